"""English words, to tell a real word from a misspelling in typo tolerance (typos.py). Reads one package file, once.

Typo tolerance takes a text word as a misspelling of a long phrase word when the two are similar enough. Many real
words are that similar to each other: "county" and "country", "tracing" and "tracking", "patents" and "patients". A
text word that is an English word is taken to be that word, not a misspelling, unless it is a form of the phrase's
word: they begin with the same six letters ("escalating" for "escalation", "exported" for "export") or are its British
and American spellings ("colour" and "color", "organisation" and "organization"). Misspellings ("equipement",
"accross", "semiconducter") and names ("Zelenskyy") are in no word list, and still hit.

The list: ``data/english_words.txt.gz``, the 64,433 words of 6 or more letters (a-z, lower case) of Debian's
wamerican and wbritish word lists (from SCOWL; notices in ``data/english_words.NOTICE``). Shorter words need no list:
a text word shorter than 6 letters is a misspelling only where it begins the phrase's word. Made with::

    cat /usr/share/dict/american-english /usr/share/dict/british-english | tr A-Z a-z | grep -x '[a-z]\\{6,\\}' \\
      | sort -u | gzip -9n > bot/watch/data/english_words.txt.gz
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib.resources import files


@cache
def english_words() -> frozenset[str]:
    """The English words of 6 or more letters, lower case."""
    data = files("bot.watch").joinpath("data", "english_words.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("ascii").split())


def forms_of_one_word(a: str, b: str) -> bool:
    """Whether two words are forms of one word: they begin with the same six letters, or one is the other's British or
    American spelling."""
    return a[:6] == b[:6] or american(a) == american(b)


def american(word: str) -> str:
    """``word`` with British spellings made American, for comparing two words (not for showing: "cause" becomes
    "cauze"): colour/color, defence/defense, organise/organize, travelled/traveled, centre/center."""
    word = word.replace("our", "or").replace("ence", "ense").replace("s", "z").replace("ll", "l")
    return word[:-3] + "ter" if word.endswith("tre") else word
