"""Render one email digest (several watchlists, Chinese and English stories) and screenshot it. Does IO.

    python bench/digest_screenshot.py [--out bench/out] [--width 900] [--height 1400] [--zone Asia/Shanghai]
                                      [--detail N]   # N stories per watchlist in full, the rest as titles
                                      [--corpus]     # the real captured feeds, polled and matched

Writes digest.html, digest.txt and digest.eml (the whole MIME message), the Telegram pages as
telegram.txt, and digest.png, a screenshot by headless Chromium (Debian: apt-get install chromium;
fonts-noto-cjk for the Chinese glyphs). Look at the PNG: this is how a reader sees the digest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

# the repo root instead of bench/ (where bench/telegram.py would shadow the telegram package)
sys.path[0] = str(Path(__file__).resolve().parents[1])

from bot.digest.build import Digest, PendingMatch, build_digest  # noqa: E402
from bot.digest.email import DETAIL, compose, render  # noqa: E402
from bot.digest.pages import pages  # noqa: E402
from bot.markup import rendered_len  # noqa: E402

NOW = datetime(2026, 3, 27, 0, 0, tzinfo=UTC)
CORPUS = Path(os.environ.get("WATCHBOT_CORPUS") or Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "feeds").parent

# (watchlists, title, lede, feeds, minutes ago, matched terms)
STORIES = [
    (["asml", "semiconductors"], "阿斯麦：对华出口部分DUV光刻机须获荷兰政府许可",
     "荷兰政府周五宣布，自9月起，阿斯麦向中国出口部分深紫外光刻系统前须申请许可证，此举扩大了对华半导体设备出口管制的范围。",
     ("RFI 中文 (feedx)", "BBC 中文", "德国之声中文"), 35, ("阿斯麦", "光刻机")),
    (["asml"], "ASML shares rise as China sales hold up despite export curbs",
     "The Dutch lithography giant said demand from Chinese chipmakers remained strong in the first quarter, "
     "even as new licence requirements took effect.", ("Reuters Business", "Financial Times"), 95, ("ASML",)),
    (["asml", "export-controls"], "艾司摩爾：新規不影響今年財測　台積電先進製程需求強勁",
     "艾司摩爾執行長表示，荷蘭新出口管制規定對今年營收影響有限。", ("中央社", "自由時報"), 180, ("艾司摩爾", "出口管制")),
    (["export-controls"], "US adds 140 Chinese entities to export blacklist in chip crackdown",
     "The Commerce Department's Entity List additions cover toolmakers and several fabs; licences for "
     "U.S. suppliers will be reviewed with a presumption of denial.", ("AP News", "Reuters", "Nikkei Asia",
                                                                       "South China Morning Post", "VOA"), 240,
     ("Entity List", "export")),
    (["export-controls"], "中国宣布对镓、锗相关物项实施出口管制", "商务部、海关总署联合发布公告，8月1日起对镓、锗相关物项实施出口管制。",
     ("新华网", "联合早报"), 420, ("出口管制",)),
    (["semiconductors"], "TSMC to start 2nm production in Kaohsiung ahead of schedule",
     "Taiwan Semiconductor Manufacturing Co said trial output at its new fab was running ahead of plan.",
     ("Nikkei Asia",), 60, ("TSMC", "fab")),
    (["semiconductors"], "中芯国际第一季度营收同比增长28%，产能利用率回升",
     "中芯国际公布财报称，受益于国内需求回暖，一季度产能利用率回升至80%以上。", ("财新网",), 150, ("中芯国际",)),
    (["semiconductors"], "Samsung's <b>HBM4</b> chips pass Nvidia qualification & ship in Q3",
     "A hostile-looking title with markup and an ampersand must read as plain text.", ("Korea Herald",), 300,
     ("HBM4", "chips")),
]
NAMES = {"asml": "ASML", "export-controls": "Export controls", "semiconductors": "Semiconductors"}


def sample(zone: str) -> Digest:
    pending = []
    for n, (watchlists, title, lede, feeds, ago, terms) in enumerate(STORIES):
        for w in watchlists:
            pending.append(PendingMatch(
                match_id=len(pending) + 1, identity=f"story-{n}", watchlist=w, matched_at=NOW,
                title=title, link=f"https://news.example/{n}", lede=lede,
                published=NOW - timedelta(minutes=ago), feeds=feeds, terms=terms))
    digest = build_digest("bench", pending, watchlists=["asml", "export-controls", "semiconductors"], zone=zone,
                          now=NOW, since=NOW - timedelta(days=1), names=NAMES)
    assert digest is not None
    return digest


async def corpus_digest(zone: str, work: Path) -> Digest | None:
    """Poll the real captured feeds (../shared/corpus) and the seed with the shipped watchlists; digest it all."""
    import random
    from dataclasses import replace

    from bot.app.alerts import Alerts
    from bot.app.pipeline import Pipeline
    from bot.config import FeedConfig, default_config
    from bot.feeds.fetch import HttpFetcher
    from bot.shipped import shipped_path
    from bot.store.sqlite import SqliteStore
    from bot.watch import RuleBook

    corpus = CORPUS
    if not corpus.is_dir():
        print(f"corpus not found at {corpus}", file=sys.stderr)
        return None
    paths = sorted((corpus / "feeds").iterdir()) + sorted((corpus / "zh").glob("*.xml"))
    paths.append(shipped_path("seeds") / "rfi-feedx.xml")
    config = replace(default_config(work), storage_url="sqlite:///corpus.db", rules_path=shipped_path("rules"),
                     feeds=tuple(FeedConfig(url=str(p.resolve())) for p in paths if p.is_file()))
    store = SqliteStore(config.db_path)
    store.feeds.sync((f.url, f.name) for f in config.feeds)
    rules = RuleBook(config.rules_path)
    async with HttpFetcher(max_bytes=50_000_000) as fetcher:
        pipeline = Pipeline(config=config, store=store, fetcher=fetcher, matcher=lambda: rules.matcher,
                            alerts=Alerts(store, [], clock=lambda: NOW), clock=lambda: NOW, rng=random.Random(1))
        summary = await pipeline.poll_once(deliver=False)
    print(summary.line())
    pending = store.digests.pending_email("bench", watchlists=(), since=None)
    names = {w.id: w.name for w in rules.watchlists}
    store.close()
    return build_digest("bench", pending, watchlists=sorted(names), zone=zone, now=NOW, names=names)


def screenshot(html_path: Path, png: Path, width: int, height: int) -> bool:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        print("chromium not found: apt-get install chromium (and fonts-noto-cjk for Chinese)", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               f"--screenshot={png}", f"--window-size={width},{height}", "--hide-scrollbars",
               html_path.resolve().as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 or not png.exists():
        print(f"chromium failed ({done.returncode}): {done.stderr[-500:]}", file=sys.stderr)
        return False
    return True


def cjk_fonts() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    return sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--width", type=int, default=900)
    parser.add_argument("--height", type=int, default=1400)
    parser.add_argument("--zone", default="Asia/Shanghai")
    parser.add_argument("--corpus", action="store_true", help="digest the real captured feeds instead of samples")
    parser.add_argument("--detail", type=int, default=DETAIL, help="stories per watchlist in full (rest: titles)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    if args.corpus:
        with tempfile.TemporaryDirectory() as work:
            found = asyncio.run(corpus_digest(args.zone, Path(work)))
        if found is None:
            return 1
        digest = found
    else:
        digest = sample(args.zone)
    text, html = render(digest, recipient="analyst@example.com", watchlists=list(NAMES.values()), detail=args.detail)
    (args.out / "digest.html").write_text(html, encoding="utf-8")
    (args.out / "digest.txt").write_text(text, encoding="utf-8")
    message = compose(digest, sender="监控机器人 Watchbot <alerts@example.com>", to="analyst@example.com", now=NOW)
    (args.out / "digest.eml").write_bytes(bytes(message))
    tg = pages(digest)
    (args.out / "telegram.txt").write_text(
        "\n\n-----\n\n".join(f"[page {i + 1}, {rendered_len(p.text)} UTF-16 units]\n{p.text}" for i, p in enumerate(tg)),
        encoding="utf-8")
    print(f"{digest.subject()}\n{args.out / 'digest.html'}  {len(html):,} bytes; text part {len(text):,} chars; "
          f"{len(tg)} Telegram page(s)")
    fonts = cjk_fonts()
    print("CJK fonts: " + (", ".join(fonts) if fonts else "none (Chinese will show as boxes: apt-get install "
                                                         "fonts-noto-cjk)"))
    png = args.out / "digest.png"
    if screenshot(args.out / "digest.html", png, args.width, args.height):
        print(f"screenshot: {png}")
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
