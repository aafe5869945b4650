"""Stories: the same news from several feeds, and across English and Chinese, as one story. Pure.

    title + lede | fold | shingles + facts (entities, amounts, codes, dates) | StoryIndex.add -> story id

``StoryIndex`` decides; the caller stores each item's story id and hands stored rows back to
``rebuild`` after a restart. See ``bot.stories.index`` for the rules.
"""

from bot.stories.index import Placement, Settings, StoredItem, StoryIndex, rebuild
from bot.stories.similarity import story_text

__all__ = ["Placement", "Settings", "StoredItem", "StoryIndex", "rebuild", "story_text"]
