"""The watchlist editor: problems as you type (file:line), a preview over stored items with
explanations and the backtest difference, saving the user's own text (comments stay) and reloading;
a broken save refused with the last good file kept."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.store.protocols import Judgment
from tests.web.conftest import Web
from tests.worlds import RULES, seed

GOOD = """# Our ASML list: keep this comment
id: asml
name: ASML
any:
  - ASML
  - 阿斯麦   # the Chinese name
  - lithography
"""


def stored(web: Web) -> None:
    at = web.world.clock.now - timedelta(hours=1)
    seed(web.world.store, "a", watchlists=["asml"], at=at, title="ASML ships its newest EUV machine")
    seed(web.world.store, "b", watchlists=[], at=at, title="阿斯麦 第三季度 营收 增长")
    seed(web.world.store, "c", watchlists=[], at=at, title="New lithography tools for chipmakers")
    seed(web.world.store, "d", watchlists=[], at=at, title="Sunny weekend ahead")


async def test_the_list_shows_each_file_and_its_problems(web: Web) -> None:
    (web.world.rules.folder / "broken.yaml").write_text("id: broken\nany: [x]\nfuzy: 80\n")
    web.world.rules.refresh()
    csrf = await web.sign_in()
    page = (await web.client.get("/watchlists")).text
    assert 'href="/watchlists/asml.yaml"' in page and 'href="/watchlists/chips.yaml"' in page
    assert "broken.yaml" in page and "fuzy" in page
    new = await web.client.post("/watchlists/new", data={"csrf": csrf, "name": "Gallium"})
    assert new.headers["location"] == "/watchlists/gallium.yaml"
    editor = await web.client.get("/watchlists/gallium.yaml")
    assert editor.status_code == 200 and "id: gallium" in editor.text and "is there already" not in editor.text
    again = await web.client.post("/watchlists/new", data={"csrf": csrf, "name": "asml"}, follow_redirects=True)
    assert "asml.yaml is there already: this is it, to edit" in again.text  # (it opened the file without a word)


async def test_problems_as_you_type_name_the_line(web: Web) -> None:
    csrf = await web.sign_in()
    r = await web.client.post("/watchlists/asml.yaml/check", data={"csrf": csrf, "text": "id: asml\nany: [ASML]\nfuzy: 80\n"},
                              headers={"HX-Request": "true"})
    assert r.status_code == 200 and "asml.yaml:3:" in r.text and "fuzzy" in r.text and "<html" not in r.text
    ok = await web.client.post("/watchlists/asml.yaml/check", data={"csrf": csrf, "text": GOOD})
    assert "No problems" in ok.text and "3 phrases" in ok.text
    one = await web.client.post("/watchlists/asml.yaml/check", data={"csrf": csrf, "text": "id: asml\nany: [ASML]\n"})
    assert "<code>asml</code>, 1 phrase." in one.text
    listing = (await web.client.get("/watchlists")).text
    assert ">1 phrase · " in listing  # (the test world's asml.yaml: any: [ASML])
    taken = await web.client.post("/watchlists/other.yaml/check", data={"csrf": csrf, "text": GOOD})
    assert "already used by asml.yaml" in taken.text
    # what `rules check` warns of, the editor shows too (it had said "No problems" of {term: a})
    warned = await web.client.post("/watchlists/asml.yaml/check",
                                   data={"csrf": csrf, "text": "id: asml\nany: [ASML, {term: a}]\n"})
    assert "No problems" in warned.text
    assert ("<li class=\"warning\">⚠ line 2: watchlist &#39;asml&#39;, any: &#39;a&#39; is 1 letter matched in any "
            "case" in warned.text) and "/rules/" not in warned.text  # (no server path; the line, as problems have)


async def test_preview_explains_matches_and_shows_the_difference(web: Web) -> None:
    stored(web)
    csrf = await web.sign_in()
    r = await web.client.post("/watchlists/asml.yaml/preview", data={"csrf": csrf, "text": GOOD},
                              headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<strong>3</strong> of the last 4 stored items match" in r.text
    assert "+2 new" in r.text and "−0 no longer" in r.text
    assert "阿斯麦 第三季度" in r.text and "&#39;阿斯麦&#39; — phrase" in r.text
    narrower = GOOD.replace("  - lithography\n", "").replace("  - ASML\n", "")
    r = await web.client.post("/watchlists/asml.yaml/preview", data={"csrf": csrf, "text": narrower})
    assert "<html" in r.text  # without htmx: the whole editor page, preview included
    assert "<strong>1</strong> of the last 4" in r.text and "−1 no longer" in r.text and "ASML ships" in r.text
    saved = await web.client.post("/watchlists/asml.yaml/preview", data={"csrf": csrf, "text": RULES["asml.yaml"]},
                                  headers={"HX-Request": "true"})
    assert "The saved watchlist matches the same ones." in saved.text and "no longer" not in saved.text
    broken = await web.client.post("/watchlists/asml.yaml/preview", data={"csrf": csrf, "text": "any: ["},
                                   headers={"HX-Request": "true"})
    assert "Fix the problems first" in broken.text


async def test_saving_writes_the_users_text_and_reloads(web: Web) -> None:
    csrf = await web.sign_in()
    r = await web.client.post("/watchlists/asml.yaml", data={"csrf": csrf, "text": GOOD.replace("\n", "\r\n")})
    assert r.status_code == 303 and r.headers["location"] == "/watchlists/asml.yaml?saved=1"
    assert (web.world.rules.folder / "asml.yaml").read_text() == GOOD  # comments and layout as written
    (asml,) = [w for w in web.world.rules.watchlists if w.id == "asml"]
    assert len(asml.any) == 3
    assert "Saved." in (await web.client.get(r.headers["location"])).text


async def test_a_broken_save_is_refused_and_the_last_good_file_stays(web: Web) -> None:
    csrf = await web.sign_in()
    path = web.world.rules.folder / "asml.yaml"
    before = path.read_text()
    r = await web.client.post("/watchlists/asml.yaml", data={"csrf": csrf, "text": "id: asml\nany: [ASML\n"})
    assert r.status_code == 422 and "Not saved" in r.text and "not valid YAML" in r.text
    assert "any: [ASML\n" in r.text  # the user's text is kept in the editor
    assert path.read_text() == before and [w.id for w in web.world.rules.watchlists] == ["asml", "chips"]


async def test_a_bad_file_name_is_refused(web: Web) -> None:
    csrf = await web.sign_in()
    for name in ("..%2Fconfig.toml", "x.txt", "UPPER.yaml"):
        r = await web.client.post(f"/watchlists/{name}", data={"csrf": csrf, "text": GOOD})
        assert r.status_code in (404, 422), name
        assert "no watchlist file name" in r.text or r.status_code == 404
    assert not (web.world.tmp / "config.toml").exists()


async def test_a_new_watchlist_is_created_by_saving_it(web: Web) -> None:
    csrf = await web.sign_in()
    text = "# Gallium and germanium\nid: gallium\nname: Gallium\nany: [gallium, 镓]\n"
    r = await web.client.post("/watchlists/gallium.yaml", data={"csrf": csrf, "text": text})
    assert r.status_code == 303
    assert (web.world.rules.folder / "gallium.yaml").read_text() == text
    assert [w.id for w in web.world.rules.watchlists] == ["asml", "chips", "gallium"]
    assert 'href="/watchlists/gallium.yaml"' in (await web.client.get("/watchlists")).text


async def test_changing_the_id_takes_its_followers_along(web: Web) -> None:
    """A changed `id:` had left the chats that followed it subscribed to a watchlist no longer there: no alerts."""
    for chat in (11, 12):
        await web.world.ask(chat, "/subscribe chips")
    await web.world.ask(12, "/subscribe asml")
    web.world.store.judgments.record(Judgment(chat_id=12, story="s", user_id=12, verdict="down", identity="s",
                                              watchlists=("chips",), hits={"chips": []}, at=web.world.clock.now))
    csrf = await web.sign_in()
    listed = (await web.client.get("/watchlists")).text
    assert "followed by 2 chats" in listed and "followed by 1 chat<" in listed
    text = "id: semis\nname: Chips\nany: [semiconductor, chipmaker, 芯片]\n"
    check = await web.client.post("/watchlists/chips.yaml/check", data={"csrf": csrf, "text": text},
                                  headers={"HX-Request": "true"})
    assert "the id was &#39;chips&#39;: saving makes it &#39;semis&#39;, and the 2 chats that follow" in check.text
    r = await web.client.post("/watchlists/chips.yaml", data={"csrf": csrf, "text": text})
    assert r.status_code == 303
    page = (await web.client.get(r.headers["location"])).text
    assert "The 2 chats that followed <code>chips</code> follow <code>semis</code> now." in page
    assert [w.id for w in web.world.rules.watchlists] == ["asml", "semis"]
    subscribed = await web.world.app.chats.subscriptions(12)
    assert sorted(s.watchlist for s in subscribed) == ["asml", "semis"]
    assert [j.watchlists for j in web.world.store.judgments.all()] == [("semis",)]  # (👎 teach it still)


async def test_the_email_digest_naming_a_changed_id_is_named_too(web: Web) -> None:
    csrf = await web.sign_in()
    check = await web.client.post("/watchlists/asml.yaml/check", data={"csrf": csrf, "text": "id: asml2\nany: [ASML]\n"},
                                  headers={"HX-Request": "true"})
    assert "(no chat follows it)" in check.text
    assert "email digest to analyst@example.com names &#39;asml&#39;: change it there" in check.text


async def test_a_watchlist_not_there_yet_says_save_creates_it(web: Web) -> None:
    await web.sign_in()
    page = (await web.client.get("/watchlists/doesnotexist.yaml")).text
    assert "doesnotexist.yaml does not exist yet: Save creates it." in page
    assert "does not exist yet" not in (await web.client.get("/watchlists/asml.yaml")).text


async def test_a_name_too_long_says_how_long_it_may_be(web: Web) -> None:
    csrf = await web.sign_in()
    name = "semiconductor-export-controls-" * 3
    r = await web.client.post(f"/watchlists/{name}.yaml", data={"csrf": csrf, "text": GOOD})
    assert r.status_code == 422 and "at most 64" in r.text and "this one has 90 before .yaml" in r.text
    assert 'maxlength="64"' in (await web.client.get("/watchlists")).text


async def test_a_preview_of_a_watchlist_not_saved_yet_says_so(web: Web) -> None:
    seed(web.world.store, "g", watchlists=[], at=web.world.clock.now, title="Gallium exports curbed")
    csrf = await web.sign_in()
    r = await web.client.post("/watchlists/gallium.yaml/preview", data={"csrf": csrf, "text": "id: gallium\nany: [gallium]\n"},
                              headers={"HX-Request": "true"})
    assert "Not saved yet: when they were stored, nothing matched them for it" in r.text and "When they were" not in r.text
    # each match with its feed, time and link (two items of one title could not be told apart)
    assert 'href="https://news.example/g"' in r.text and "Reuters · " in r.text and " UTC</span>" in r.text
    saved = await web.client.post("/watchlists/asml.yaml/preview", data={"csrf": csrf, "text": "id: asml\nany: [gallium]\n"},
                                  headers={"HX-Request": "true"})
    assert "When they were stored, the saved watchlist matched 0" in saved.text


async def test_a_file_that_is_not_utf8_is_left_alone(web: Web) -> None:
    """A GBK file was shown as "does not exist yet" with the template, and Save replaced the list with it."""
    path = web.world.rules.folder / "rare-earths.yaml"
    original = "id: rare-earths\nany: [稀土, 镓, gallium]\n".encode("gbk")
    path.write_bytes(original)
    csrf = await web.sign_in()
    page = await web.client.get("/watchlists/rare-earths.yaml")
    assert page.status_code == 409 and "does not exist yet" not in page.text
    assert "rare-earths.yaml:2: not UTF-8 (byte 0xcd)" in page.text and "iconv -f GBK -t UTF-8" in page.text
    r = await web.client.post("/watchlists/rare-earths.yaml", data={"csrf": csrf, "text": GOOD.replace(
        "id: asml", "id: rare-earths"), "base": ""})
    assert r.status_code == 422 and "not UTF-8" in r.text
    assert path.read_bytes() == original


async def test_a_file_changed_since_it_was_opened_is_not_overwritten(web: Web) -> None:
    """An edit made on the server while the editor was open was lost to the editor's Save, without a word."""
    path = web.world.rules.folder / "chips.yaml"
    csrf = await web.sign_in()
    page = (await web.client.get("/watchlists/chips.yaml")).text
    [base] = re.findall(r'name="base" value="([0-9a-f]+)"', page)
    theirs = path.read_text(encoding="utf-8") + "  - wafer fab  # a colleague's\n"
    path.write_text(theirs, encoding="utf-8")
    mine = "id: chips\nname: Chips\nany: [semiconductor, chipmaker, 芯片, foundry]\n"
    r = await web.client.post("/watchlists/chips.yaml", data={"csrf": csrf, "text": mine, "base": base})
    assert r.status_code == 409 and path.read_text(encoding="utf-8") == theirs
    assert "chips.yaml changed since you opened it" in r.text and "nothing was saved" in r.text
    assert "foundry]" in r.text  # (what was typed stays)
    assert "The version on the server now" in r.text and "- wafer fab  # a colleague&#39;s" in r.text  # (theirs too)
    [again] = re.findall(r'name="base" value="([0-9a-f]+)"', r.text)
    assert again != base
    r = await web.client.post("/watchlists/chips.yaml", data={"csrf": csrf, "text": mine, "base": again})
    assert r.status_code == 303 and path.read_text(encoding="utf-8") == mine  # (a second Save, knowingly)
    new = await web.client.post("/watchlists/gallium.yaml", data={"csrf": csrf, "text": "id: gallium\nany: [镓]\n",
                                                                  "base": ""})
    assert new.status_code == 303  # (a new file: opened as none, saved as one)


async def test_a_saved_file_keeps_its_permissions(web: Web) -> None:
    """A save left the watchlist readable by its owner alone (the temporary file's mode)."""
    import os
    import stat

    path = web.world.rules.folder / "chips.yaml"
    path.chmod(0o644)
    csrf = await web.sign_in()
    for name in ("chips", "gallium"):  # (an existing file, a new one)
        r = await web.client.post(f"/watchlists/{name}.yaml", data={"csrf": csrf, "text": f"id: {name}\nany: [x]\n"})
        assert r.status_code == 303
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((path.parent / "gallium.yaml").stat().st_mode) == 0o666 & ~umask


async def test_a_watchlist_over_a_megabyte_is_checked_not_refused_bare(web: Web) -> None:
    """A text over 1 MB (40,000 phrases) got Starlette's bare "Field exceeded maximum size of 1024KB.", and was lost."""
    csrf = await web.sign_in()
    text = "id: big\nany:\n" + "".join(f"  - phrase number {n}\n" for n in range(60_000))
    assert len(text) > 1024 * 1024
    r = await web.client.post("/watchlists/big.yaml/check", data={"csrf": csrf, "text": text},
                              headers={"HX-Request": "true"})
    assert r.status_code == 200 and "60,000 patterns" in r.text  # (checked: the size warning says what it costs)
