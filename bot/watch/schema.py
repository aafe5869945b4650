"""The rule-file schema as pydantic models, and the JSON Schema generated from them. No IO.

These models check the shape of a parsed YAML file (unknown keys, types, empty phrases, regexes
that do not compile); ``load.py`` turns a checked file into a ``Watchlist``. The JSON Schema at
``rules/watchlist.schema.json`` is ``json_schema()`` written out; a test keeps it current.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from bot.watch.text import phrase_key

FieldName = Literal["title", "lede"]
# fuzzy: false turns typo tolerance off; a number 50..100 is the least rapidfuzz similarity.
Fuzzy = bool | Annotated[int, Field(ge=50, le=100)]


def _check_phrase(value: str) -> str:
    if not value.strip():
        raise ValueError("empty pattern: write a word or phrase, or remove the line")
    if not any(c.isalnum() for c in phrase_key(value)):
        raise ValueError(f"pattern {value!r} has no letter or digit to match")
    return value


Phrase = Annotated[
    str,
    AfterValidator(_check_phrase),
    Field(description="A word or phrase, matched on word boundaries (CJK: as a substring)."),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TermSpec(_Strict):
    """A phrase with options."""

    term: Phrase
    fuzzy: Fuzzy | None = Field(None, description="Override the list's fuzzy setting for this phrase.")
    case: bool = Field(False, description="Match case-sensitively and exactly (no folding, no fuzzy).")
    except_: list[Phrase] = Field(
        default_factory=list,
        alias="except",
        description="A hit inside one of these phrases does not count.",
    )
    weak: bool = Field(
        False,
        description="A word news uses in passing (a company named as a product spec, a part name): its hit counts "
        "only in the title or the lede's first sentence, or beside a hit of a pattern that is not weak.",
    )


class RegexSpec(_Strict):
    """A Python regular expression, run on the folded (lower-case, Simplified) text."""

    regex: str

    @field_validator("regex")
    @classmethod
    def _regex(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("empty regex: write an expression, or remove the line")
        try:
            compiled = re.compile(v)
        except re.error as e:
            raise ValueError(f"invalid regex {v!r}: {e}") from None
        if compiled.match(""):
            raise ValueError(f"regex {v!r} matches the empty string, so it would hit every item")
        upper = _literal_upper(v)
        if upper:
            raise ValueError(
                f"regex {v!r} has upper-case {upper!r} but runs on lower-cased text: write it in lower case"
            )
        return v


def _literal_upper(source: str) -> str:
    """The first upper-case letter the regex matches literally, or ''. Escapes like \\S are fine."""
    i = 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if c == "(" and source.startswith("(?P<", i):
            i = source.find(">", i) + 1 if ">" in source[i:] else i + 1
            continue
        if c.isupper():
            return c
        i += 1
    return ""


class NearSpec(_Strict):
    """Two lists of phrases; a hit of each with at most ``within`` tokens between them."""

    near: Annotated[list[list[Phrase]], Field(min_length=2, max_length=2)]
    within: int = Field(4, ge=0, le=50, strict=True,  # (not true, taken as 1)
                        description="Tokens allowed between (a Latin word or one CJK character each).")
    except_: list[Phrase] = Field(
        default_factory=list,
        alias="except",
        description="A word of either list inside one of these phrases does not count (出口 in 安全出口, an exit).",
    )

    @field_validator("near")
    @classmethod
    def _near(cls, v: list[list[str]]) -> list[list[str]]:
        if any(not group for group in v):
            raise ValueError("each near list needs at least one phrase")
        return v


def _pattern_kind(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("regex", "near", "term"):
            if key in value:
                return key
        if "within" in value:  # ({neer: ..., within: 4}: a near pattern with its key misspelt)
            return "near"
        return "term"  # pydantic then reports the missing 'term' and any unknown keys
    return "phrase"


PatternSpec = Annotated[
    Annotated[Phrase, Tag("phrase")]
    | Annotated[TermSpec, Tag("term")]
    | Annotated[RegexSpec, Tag("regex")]
    | Annotated[NearSpec, Tag("near")],
    Discriminator(_pattern_kind),
]


class WatchlistSpec(_Strict):
    """One watchlist file."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        title="watchbot watchlist",
    )

    id: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Default: the file name without .yaml. Lower case, digits, '-' and '_'.",
    )
    name: str | None = Field(None, description="Shown in alerts. Default: the id.")
    description: str = ""
    fields: list[FieldName] = Field(default_factory=lambda: ["title", "lede"], min_length=1)  # type: ignore[arg-type]
    any: list[PatternSpec] = Field(default_factory=list, description="At least one of these must hit.")
    all: list[list[PatternSpec]] = Field(
        default_factory=list, description="Groups; one pattern of each group must hit too."
    )
    none: list[PatternSpec] = Field(default_factory=list, description="Any hit of these vetoes the item.")
    fuzzy: Fuzzy = Field(90, description="Least similarity for typo tolerance; false turns it off.")

    @field_validator("all")
    @classmethod
    def _groups(cls, v: list[list[Any]]) -> list[list[Any]]:
        for group in v:
            if not group:
                raise ValueError("an empty 'all' group can never hit: add phrases or remove it")
        return v


# The keys each mapping may hold, for "did you mean" hints.
KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "watchlist": tuple(WatchlistSpec.model_fields),
    "pattern": ("term", "fuzzy", "case", "except", "weak", "regex", "near", "within"),
}


def schema_text() -> str:
    """``json_schema()`` as the text of rules/watchlist.schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a watchlist file (for editors: completion and checks)."""
    schema = WatchlistSpec.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


if __name__ == "__main__":  # python -m bot.watch.schema > rules/watchlist.schema.json
    print(schema_text(), end="")
