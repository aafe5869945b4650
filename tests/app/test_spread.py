"""How the plan (bot/app/spread.py) cuts the claimed feeds into poll jobs."""

from __future__ import annotations

from bot.app.spread import POLL_BATCH, hosts_in_turn


def test_a_batch_takes_feeds_of_different_hosts_in_turn() -> None:
    urls = sorted([f"https://a.example/{i}" for i in range(40)] + [f"https://b.example/{i}" for i in range(8)]
                  + ["https://c.example/feed"])
    turned = hosts_in_turn(urls)
    assert sorted(turned) == urls  # each feed once
    first = turned[:POLL_BATCH]  # not sixteen feeds of a.example, polled poll.per_host at a time
    assert {u.split("/")[2] for u in first[:3]} == {"a.example", "b.example", "c.example"}
    assert sum(u.startswith("https://a.example/") for u in first) == 8
    assert [u for u in turned if u.startswith("https://a.example/")] == [u for u in urls if "a.example" in u]


def test_feeds_of_one_host_keep_their_order() -> None:
    urls = ["http://x/1", "http://x/2", "http://x/3"]
    assert hosts_in_turn(urls) == urls and hosts_in_turn([]) == []
