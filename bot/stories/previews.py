"""Reports that look ahead to an event: a preview is not a report of the event. Pure.

"U.S. and Iran to hold a second round of nuclear talks in Geneva", published the morning before, and "Amid threat of
U.S. attack, Iran nuclear talks proceed without breakthrough", the evening after, share the topic's words (Iran,
U.S., nuclear, talks, Geneva, round) and not its news: one tells a reader that talks will happen, the other what
came of them. The story index never joins a preview and a report that is not one (``bot.stories.index``).

A title looks ahead when it announces an event to come in the words headlines use for it: "to hold", "to meet",
"to begin / start / resume", "set to", "set for", "heading to", "expectations", "preview", "what to expect"; in
Chinese 将举行, 将会晤, 将会谈, 前瞻. Only the title counts: a lede's "will continue on Wednesday" or "set to" is
background in the report of an event. "Will" alone does not count either, since "X says it will" is itself news
("Nvidia says US will require licence for H20 chip exports"), nor do 将于 and 即将 alone ("新规将于下月生效": the
rule is the news, not its date).

Measured on tests/data/stories/stories.jsonl (same-script pairs): precision / recall 0.947 / 0.878 -> 0.991 / 0.902
with the corpus of those days seen, 0.871 / 0.878 -> 0.991 / 0.902 on the set alone; on the blind hold-out
(holdout.jsonl) unchanged, 0.917 / 0.440; a first poll of the corpus loses one wrong join (NPR's "U.S. and Iran set
for high-stakes nuclear talks" and "Trump says he will be involved indirectly") and gains none. On the corpus, 13
titles of 6,565 look ahead; "expectations" also marks one report of the event ("Ukraine and Russia Hold New Round of
Peace Talks, but Expectations Are Low"), which then may not join the talks' other reports.
"""

from __future__ import annotations

import re

# Folded titles (lower case, Simplified): see bot.watch.text.fold.
_AHEAD = re.compile(
    r"\b(?:to (?:hold|meet|begin|start|resume)|set (?:to|for)|heads? to|heading to|expectations?|preview"
    r"|what to expect)\b"
    r"|将举行|将会晤|将会谈|前瞻"
)


def looks_ahead(folded_title: str) -> bool:
    """Whether a folded title announces an event to come (a preview, not a report of the event)."""
    return _AHEAD.search(folded_title) is not None
