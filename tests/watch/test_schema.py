"""The shipped rule files and the JSON Schema generated from the pydantic model."""

from __future__ import annotations

import json
from pathlib import Path

from bot.watch import load_rules
from bot.watch.schema import json_schema, schema_text

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_schema_file_is_current() -> None:
    # Regenerate with: python -m bot.watch.schema > rules/watchlist.schema.json
    assert (RULES / "watchlist.schema.json").read_text(encoding="utf-8") == schema_text()


def test_schema_describes_every_pattern_form() -> None:
    schema = json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"id", "name", "description", "fields", "any", "all", "none", "fuzzy"}
    assert {"TermSpec", "RegexSpec", "NearSpec"} <= set(schema["$defs"])
    assert "except" in schema["$defs"]["TermSpec"]["properties"]
    json.dumps(schema)


def test_shipped_rules_load_cleanly() -> None:
    rules = load_rules(RULES)
    assert rules.errors == ()
    assert [w.id for w in rules.watchlists] == ["asml", "export-controls", "semiconductors"]


def test_shipped_rules_point_editors_at_the_schema() -> None:
    for path in RULES.glob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=./watchlist.schema.json")
