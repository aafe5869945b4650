"""Stories: the same news from several feeds, and across English and Chinese, as one story. Pure.

    title + lede | fold | shingles + facts (entities, amounts, codes, dates) | StoryIndex.add -> story id

``StoryIndex`` decides; it does no IO and reads no clock (times come in as values). The caller
stores each item's story id beside the item and, after a restart (or to see what other processes
placed), hands the stored rows back to ``rebuild`` / ``StoryIndex.remember_all``. Wiring, in ingest::

    index = rebuild(rows, now=now, settings=Settings(window=..., cross_language=...))  # at start
    placed = index.add(item.identity, item.feed_url, story_text(item.title, item.lede),
                       first_seen_at, item.language)        # each new item, in arrival order
    store the item with placed.story_id (placed.new: it founded the story)

See ``bot.stories.index`` for the rules and ``bench/stories.py`` for what they cost.
"""

from bot.stories.index import Placement, Settings, StoredItem, StoryIndex, news_time, rebuild
from bot.stories.similarity import story_text

__all__ = ["Placement", "Settings", "StoredItem", "StoryIndex", "news_time", "rebuild", "story_text"]
