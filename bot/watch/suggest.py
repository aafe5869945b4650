"""Rule edits that 👍/👎 judgments point to, each with its effect. Pure: values in, values out.

    judged items (👎 mostly, 👍 as counter-evidence) | candidate edits per watchlist
        | each edit on a copy of the watchlist, matched again | effect | ranked suggestions

Three kinds of edit, the ones a rule author makes by hand (DESIGN.md, "Evidence"):
- ``weak``: mark a phrase ``weak: true`` (it then counts only in the title, the lede's first sentence,
  or beside a hit that is not weak): for a word a 👎 item used in passing.
- ``except``: add the phrase a 👎 hit sat inside ("potato chip" for "chip") to the phrase's ``except``.
- ``none``: veto a word that 👎 items share and 👍 items lack.

Every edit only narrows a watchlist, so its effect is measured on the items the watchlist matches
now: the judged 👎 it removes, the judged 👍 it loses (counter-evidence), and the other stored
matches it would drop (alerts people did not judge). An edit that loses more 👍 than half what it
removes is not suggested. A suggestion's id is a short hash of the edit: stable across runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from bot.watch.match import Matcher
from bot.watch.model import Pattern, Term, Watchlist
from bot.watch.text import normalize

WEAK, EXCEPT, NONE = "weak", "except", "none"
KINDS = (EXCEPT, WEAK, NONE)  # narrowest first: of two edits with one effect, the narrower is suggested first
EXAMPLES = 3  # titles shown per effect
VETO_CANDIDATES = 8  # `none` words tried per watchlist (each costs one match of its current matches)
# A veto word found more often than this share of stored items is an everyday word (进行, "market"): vetoing it
# says nothing about why the 👎 items were wrong, however well it separates a handful of judged items.
COMMON = 0.005

_LATIN_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]")
_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_STOPWORDS = frozenset({
    "about", "above", "after", "again", "against", "also", "among", "amid", "before", "being", "below", "between",
    "both", "could", "does", "doing", "down", "during", "each", "from", "further", "have", "having", "here",
    "into", "itself", "just", "more", "most", "much", "news", "other", "over", "said", "says", "same", "should",
    "some", "such", "than", "that", "their", "them", "then", "there", "these", "they", "this", "those", "through",
    "under", "until", "very", "were", "what", "when", "where", "which", "while", "will", "with", "within",
    "would", "your", "year", "years", "week", "today", "according", "report", "reports", "reported"
})

_FUNCTION_WORDS = frozenset({
    "the", "and", "for", "its", "his", "her", "our", "not", "but", "are", "was", "has", "had", "who", "how",
    "why", "new", "all", "any", "can", "off", "out", "via", "per"
})


@dataclass(frozen=True, slots=True)
class JudgedItem:
    """An item people judged for some watchlists: 'down' (not relevant) or 'up' (relevant)."""

    identity: str
    title: str
    lede: str
    verdict: str
    watchlists: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Edit:
    """One change to one watchlist: mark ``pattern`` weak, add ``phrase`` to its except, or veto ``phrase``."""

    watchlist: str
    kind: str
    pattern: str = ""
    phrase: str = ""

    @property
    def id(self) -> str:
        key = json.dumps([self.watchlist, self.kind, self.pattern, self.phrase], ensure_ascii=False)
        return hashlib.sha1(key.encode()).hexdigest()[:7]

    def describe(self) -> str:
        if self.kind == WEAK:
            return f"{self.watchlist}: mark {self.pattern!r} weak"
        if self.kind == EXCEPT:
            return f"{self.watchlist}: {self.pattern!r} except {self.phrase!r}"
        return f"{self.watchlist}: veto {self.phrase!r} (none)"


@dataclass(frozen=True, slots=True)
class Effect:
    """What an edit changes among the items its watchlist matches now."""

    down_removed: tuple[str, ...]  # titles of judged 👎 items it no longer matches
    down_total: int
    up_lost: tuple[str, ...]  # titles of judged 👍 items it would lose
    up_total: int
    others_lost: tuple[str, ...]  # titles of other stored matches it would drop
    others_total: int

    @property
    def score(self) -> int:
        return len(self.down_removed) - 2 * len(self.up_lost)


@dataclass(frozen=True, slots=True)
class Suggestion:
    edit: Edit
    effect: Effect

    @property
    def id(self) -> str:
        return self.edit.id


def apply(w: Watchlist, edit: Edit) -> Watchlist:
    """The watchlist as it reads after ``edit`` (as loading the edited file would give it)."""
    if edit.kind == NONE:
        return replace(w, none=(Term(edit.phrase, w.fuzzy), *w.none))  # first, as the file gets it

    def change(p: Pattern) -> Pattern:
        if not isinstance(p, Term) or p.text != edit.pattern:
            return p
        if edit.kind == WEAK:
            return replace(p, weak=True)
        return replace(p, excepts=(edit.phrase, *p.excepts))

    return replace(w, any=tuple(map(change, w.any)), all=tuple(tuple(map(change, g)) for g in w.all))


def suggest(watchlists: Sequence[Watchlist], judged: Sequence[JudgedItem],
            stored: Sequence[tuple[str, str, str]], *, limit: int = 10) -> list[Suggestion]:
    """The best edits, best first. ``stored``: (identity, title, lede) of stored items (judged ones may be among
    them); ``judged``: one verdict per item and watchlist (the caller settles disagreements)."""
    out: list[Suggestion] = []
    judged_ids = {j.identity for j in judged}
    background = "\0".join(normalize(t + "\n" + lede) for i, t, lede in stored if i not in judged_ids)
    common = max(2, int(COMMON * len(stored)))
    for w in watchlists:
        downs = [j for j in judged if w.id in j.watchlists and j.verdict == "down"]
        if not downs:
            continue
        ups = [j for j in judged if w.id in j.watchlists and j.verdict == "up"]
        out += _for_watchlist(w, downs, ups, stored, lambda word: background.count(word) > common)
    out.sort(key=lambda s: (-s.effect.score, len(s.effect.others_lost), KINDS.index(s.edit.kind), s.id))
    return out[:limit]


def _for_watchlist(w: Watchlist, downs: Sequence[JudgedItem], ups: Sequence[JudgedItem],
                   stored: Sequence[tuple[str, str, str]], is_common: Callable[[str], bool]) -> list[Suggestion]:
    now = Matcher([w])
    judged_ids = {j.identity for j in (*downs, *ups)}
    live_downs = [(j, m) for j in downs for m in now.match(_fields(j.title, j.lede))]  # still alerted today
    if not live_downs:
        return []
    live_ups = [j for j in ups if now.match(_fields(j.title, j.lede))]
    others = [(title, lede) for identity, title, lede in stored
              if identity not in judged_ids and now.match(_fields(title, lede))]
    edits: dict[str, Edit] = {}
    written: dict[tuple[str, str], Counter[str]] = {}
    terms = {p.text: p for ps in (w.any, *w.all) for p in ps if isinstance(p, Term)}
    for j, m in live_downs:
        for h in m.hits:
            term = terms.get(h.pattern)
            if term is None:
                continue
            if not term.weak:
                e = Edit(w.id, WEAK, pattern=term.text)
                edits[e.id] = e
            text = j.title if h.field == "title" else j.lede
            for phrase in _around(text, h.span):
                key = normalize(phrase)
                if key not in {normalize(x) for x in term.excepts}:
                    written.setdefault((term.text, key), Counter())[phrase] += 1
    for (pattern, _), forms in written.items():  # one edit per folded phrase, written as most items write it
        e = Edit(w.id, EXCEPT, pattern=pattern, phrase=forms.most_common(1)[0][0])
        edits[e.id] = e
    for phrase in _veto_words(w, [j for j, _ in live_downs], live_ups, others, is_common):
        e = Edit(w.id, NONE, phrase=phrase)
        edits[e.id] = e
    found = []
    for edit in edits.values():
        effect = _effect(apply(w, edit), [j for j, _ in live_downs], live_ups, others)
        if effect.down_removed and effect.score > 0:
            found.append(Suggestion(edit, effect))
    return found


def _effect(edited: Watchlist, downs: Sequence[JudgedItem], ups: Sequence[JudgedItem],
            others: Sequence[tuple[str, str]]) -> Effect:
    after = Matcher([edited])

    def lost(items: Iterable[tuple[str, str]]) -> tuple[str, ...]:
        return tuple(title for title, lede in items if not after.match(_fields(title, lede)))

    return Effect(down_removed=lost((j.title, j.lede) for j in downs), down_total=len(downs),
                  up_lost=lost((j.title, j.lede) for j in ups), up_total=len(ups),
                  others_lost=lost(others), others_total=len(others))


def _fields(title: str, lede: str) -> dict[str, str]:
    return {"title": title, "lede": lede}


def _around(text: str, span: Sequence[int]) -> list[str]:
    """The phrases a hit sits inside: with the word before it and with the word after it (two characters
    either side for Chinese), as written in ``text``."""
    start, end = span[0], span[1]
    hit = text[start:end]
    out = []
    if hit and _HAN_RUN.fullmatch(hit[0]) and _HAN_RUN.fullmatch(hit[-1]):
        before = re.search(r"[\u3400-\u9fff]+$", text[max(0, start - 2):start])
        after = _HAN_RUN.match(text[end:end + 2])
        return [p for p in (before.group() + hit if before else "", hit + after.group() if after else "") if p]
    left = re.search(r"([^\W_][\w'’-]*)[ -]$", text[:start])
    if left and _meaningful(left.group(1)):
        out.append(left.group(1) + text[left.end(1):start] + hit)
    right = re.match(r"[ -]([^\W_][\w'’-]*[^\W_]|[^\W_])", text[end:])
    if right and _meaningful(right.group(1)):
        out.append(hit + right.group())
    return out


def _meaningful(word: str) -> bool:
    """A neighbour worth an except phrase: not 'an', 'the', 'of' ... ('an Intel' would say nothing)."""
    key = normalize(word)
    return len(key) >= 3 and key not in _STOPWORDS and key not in _FUNCTION_WORDS


def _veto_words(w: Watchlist, downs: Sequence[JudgedItem], ups: Sequence[JudgedItem],
                others: Sequence[tuple[str, str]], is_common: Callable[[str], bool]) -> list[str]:
    """Words that several 👎 items share (a quarter of them, at least two), that no 👍 item has and that are
    not everyday words in the stored items, fewest other matches first."""
    phrases = {normalize(p.text) for ps in (w.any, *w.all, w.none) for p in ps if isinstance(p, Term)}
    support: dict[str, int] = {}
    shown: dict[str, str] = {}
    for j in downs:
        for word, written in _words(j.title + "\n" + j.lede).items():
            if any(word in p or p in word for p in phrases):
                continue  # vetoing the watchlist's own words is no edit but a deletion
            support[word] = support.get(word, 0) + 1
            shown.setdefault(word, written)
    need = max(2, -(-len(downs) // 4))  # a quarter of the 👎 items, at least two: a word two share may be chance
    up_text = [normalize(j.title + "\n" + j.lede) for j in ups]
    other_text = [normalize(t + "\n" + lede) for t, lede in others]
    ranked = sorted(((-n, sum(word in t for t in other_text), word) for word, n in support.items()
                     if n >= need and not any(word in t for t in up_text) and not is_common(word)))
    return [shown[word] for _, _, word in ranked[:VETO_CANDIDATES]]


def _words(text: str) -> dict[str, str]:
    """Folded word -> the word as written: Latin words of four letters or more (not the commonest) and
    two-character Chinese words."""
    out: dict[str, str] = {}
    for m in _LATIN_WORD.finditer(text):
        word = m.group()
        key = normalize(word)
        if len(key) >= 4 and key not in _STOPWORDS:
            out.setdefault(key, word)
    for m in _HAN_RUN.finditer(text):
        run = m.group()
        for i in range(len(run) - 1):
            out.setdefault(normalize(run[i:i + 2]), run[i:i + 2])
    return out
