"""RuleBook: edits take effect on refresh; a broken edit keeps the last good version."""

from __future__ import annotations

import os
from pathlib import Path

from bot.errors import RuleError
from bot.watch import RuleBook


def write(path: Path, text: str, tick: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(tick * 10**9, tick * 10**9))  # a distinct mtime even on coarse clocks


def titles(book: RuleBook, title: str) -> list[str]:
    return [m.watchlist for m in book.matcher.match({"title": title, "lede": ""})]


def test_reload_cycle(tmp_path: Path) -> None:
    write(tmp_path / "chips.yaml", "any: [wafer]\n", 1)
    book = RuleBook(tmp_path)
    assert [w.id for w in book.watchlists] == ["chips"] and book.errors == ()
    assert book.refresh() is False
    assert titles(book, "wafer news") == ["chips"]

    write(tmp_path / "chips.yaml", "any: [lithography]\n", 2)
    assert book.refresh() is True
    assert titles(book, "wafer news") == [] and titles(book, "lithography news") == ["chips"]

    write(tmp_path / "chips.yaml", "any: [lithography]\nfuzy: 3\n", 3)
    assert book.refresh() is True
    assert titles(book, "lithography news") == ["chips"]  # the last good version stays
    assert [str(e).split(": ", 1)[1] for e in book.errors] == [
        "unknown key 'fuzy' (did you mean 'fuzzy'?)",
        "the last good version stays active",
    ]

    write(tmp_path / "metals.yaml", "any: [gallium]\n", 4)
    assert book.refresh() is True
    assert titles(book, "gallium and lithography") == ["chips", "metals"]

    (tmp_path / "metals.yaml").unlink()
    write(tmp_path / "chips.yaml", "any: [wafer]\n", 5)
    assert book.refresh() is True
    assert book.errors == ()
    assert titles(book, "gallium wafer") == ["chips"]


def test_new_broken_file_only_adds_errors(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "any: [wafer]\n", 1)
    book = RuleBook(tmp_path)
    write(tmp_path / "b.yaml", "any: [\n", 2)
    assert book.refresh() is True
    assert [w.id for w in book.watchlists] == ["a"]
    assert len(book.errors) == 1 and "b.yaml:2: not valid YAML" in str(book.errors[0])


def test_a_file_of_aliases_standing_for_billions_of_phrases_keeps_the_last_good_version(tmp_path: Path) -> None:
    write(tmp_path / "chips.yaml", "any: [wafer]\n", 1)
    book = RuleBook(tmp_path)
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    write(tmp_path / "chips.yaml", "\n".join([*lines, "any: *l8", ""]), 2)
    assert book.refresh() is True  # at once: nothing walks the 387 million phrases
    assert titles(book, "wafer news") == ["chips"]
    assert [e.message for e in book.errors] == [
        "this holds more than 250,000 entries once its aliases (*name) are written out: write the lists out, "
        "or use fewer aliases",
        "the last good version stays active",
    ]


def test_a_chat_is_told_a_rule_file_from_the_rule_folder_on(tmp_path: Path) -> None:
    folder = tmp_path / "srv" / "rules"
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("id: broken\nany: [\n", encoding="utf-8")
    book = RuleBook(folder)
    [error] = book.errors
    [told] = book.told()
    assert error.path.startswith(str(tmp_path))  # the CLI and the logs keep the whole path
    assert str(told).startswith("rules/broken.yaml:") and told.message == error.message
    assert RuleError("/elsewhere/x.yaml", 3, "m").within(folder).path == "/elsewhere/x.yaml"


def test_entries_named_like_rule_files_that_are_none_are_said_and_never_read(tmp_path: Path) -> None:
    """A folder, a link to a moved file, a link to itself, a pipe (which a read would block on): each had been passed
    over without a word, and a watchlist "gone" behind a link gave no hint."""
    import os

    from bot.watch import RuleBook, load_rules

    (tmp_path / "asml.yaml").write_text("id: asml\nany: [ASML]\n", encoding="utf-8")
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "moved.yaml").symlink_to("/nonexistent/moved.yaml")
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / ".#asml.yaml").symlink_to("root@host.1234:1700000000")  # (Emacs, while asml.yaml is edited: no problem)
    (tmp_path / ".asml.yaml").write_text("id: hidden\nany: [x]\n", encoding="utf-8")  # (hidden: no rule file)
    (tmp_path / "Upper.YAML").write_text("id: upper\nany: [x]\n", encoding="utf-8")  # (was passed over silently)
    said = {Path(e.path).name: e.message for e in load_rules(tmp_path).errors}
    assert set(said) == {"dir.yaml", "moved.yaml", "loop.yaml", "fifo.yaml", "Upper.YAML"}
    assert said["Upper.YAML"] == "not read: rule files end in .yaml or .yml, in lower case; rename it to Upper.yaml"
    assert said["dir.yaml"].startswith("a folder, not a rule file")
    assert said["moved.yaml"].startswith("a link to /nonexistent/moved.yaml, which is not there")
    assert said["loop.yaml"].startswith("a link to loop.yaml, which is not there (or links back to itself)")
    assert said["fifo.yaml"].startswith("not a regular file (a pipe, a device or a socket)")
    book = RuleBook(tmp_path)
    assert [w.id for w in book.watchlists] == ["asml"]
    assert sorted(Path(e.path).name for e in book.errors) == ["Upper.YAML", "dir.yaml", "fifo.yaml", "loop.yaml",
                                                             "moved.yaml"]
    (tmp_path / "dir.yaml").rmdir()
    assert book.refresh() and "dir.yaml" not in {Path(e.path).name for e in book.errors}  # (its going is a change)
