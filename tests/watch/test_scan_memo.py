"""Scanners with the same long phrase words share their fuzzy caches (a watchlist previewed again and
again while it is edited); what one scanner learned never changes what a scanner with other words finds."""

from __future__ import annotations

from bot.watch import Matcher, Term, Watchlist

TEXTS = ["Gallum and germanum supply worries", "A semiconducter shortage", "Weather: sunny"]


def hits(matcher: Matcher) -> list[list[tuple[str, str]]]:
    return [[(h.pattern, h.text) for m in matcher.match({"title": t}) for h in m.hits] for t in TEXTS]


def watchlist(*terms: str) -> Watchlist:
    return Watchlist(id="w", name="w", fields=("title",), any=tuple(Term(t) for t in terms))


def test_a_second_scanner_with_the_same_words_finds_the_same() -> None:
    first = hits(Matcher([watchlist("semiconductor", "germanium")]))
    assert first == [[("germanium", "germanum")], [("semiconductor", "semiconducter")], []]
    assert hits(Matcher([watchlist("semiconductor", "germanium")])) == first


def test_words_another_scanner_saw_as_plain_are_looked_at_again_for_new_phrase_words() -> None:
    hits(Matcher([watchlist("semiconductor")]))  # "Gallum" is no near-miss of its words
    assert hits(Matcher([watchlist("semiconductor", "gallium")]))[0] == [("gallium", "Gallum")]


def test_other_cutoffs_are_other_words() -> None:
    loose = Watchlist(id="w", name="w", fields=("title",), any=(Term("germanium", fuzzy=80),))
    strict = Watchlist(id="w", name="w", fields=("title",), any=(Term("germanium", fuzzy=99),))
    assert hits(Matcher([strict]))[0] == []  # first: "germanum" is no near-miss at 99
    assert hits(Matcher([loose]))[0] == [("germanium", "germanum")]
