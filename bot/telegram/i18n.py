"""Every reply of the phrase commands, and every command's menu description, in English, Simplified and
Traditional Chinese: one dict per language. No IO.

A chat's language is its /lang choice, else the writer's Telegram ``language_code`` (zh-hans, zh-cn,
zh-sg, zh → Simplified; zh-hant, zh-tw, zh-hk, zh-mo → Traditional; anything else → English). Alert
text from feeds is never translated: only what the bot itself says. tests/telegram/test_i18n.py fails
when a language lacks a key or a key's {placeholders} differ between languages.

Values are HTML (Telegram's parse mode): placeholders are filled with escaped text by the caller.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh-hans", "zh-hant")
DEFAULT = "en"
# Telegram's setMyCommands takes a two-letter code: one Chinese menu, in Simplified.
MENU_CODES = {"en": "en", "zh-hans": "zh"}

_SIMPLIFIED = ("zh-hans", "zh-cn", "zh-sg", "zh-my", "zh")
_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def language_for(code: str | None) -> str:
    """Our language for a Telegram ``language_code`` (or a /lang argument); English when unknown."""
    code = (code or "").strip().lower().replace("_", "-")
    if code in _TRADITIONAL or code.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
        return "zh-hant"
    if code in _SIMPLIFIED or code.startswith("zh"):
        return "zh-hans"
    return DEFAULT


def choose(stored: str | None, telegram_code: str | None) -> str:
    """The chat's /lang choice if any, else the writer's Telegram language."""
    return stored if stored in LANGUAGES else language_for(telegram_code)


def t(lang: str, key: str, **values: object) -> str:
    """The text of ``key`` in ``lang`` (English when the language is unknown), filled with ``values``."""
    table = CATALOG.get(lang, CATALOG[DEFAULT])
    return table[key].format(**values)


def description(lang: str, command: str, fallback: str) -> str:
    """A command's menu description in ``lang``; ``fallback`` for a command the catalog does not know."""
    return CATALOG.get(lang, CATALOG[DEFAULT]).get(f"cmd.{command}", fallback)


EN: dict[str, str] = {
    # menu descriptions (setMyCommands, /help)
    "cmd.start": "what this bot does",
    "cmd.help": "every command",
    "cmd.watchlists": "the watchlists, with buttons to subscribe",
    "cmd.subscribe": "ID [instant|digest]: follow a watchlist",
    "cmd.unsubscribe": "ID|all: stop following",
    "cmd.list": "this chat's subscriptions, phrases, mutes and settings",
    "cmd.mode": "instant|digest: how this chat gets alerts",
    "cmd.tz": "ZONE: time zone, e.g. Asia/Shanghai",
    "cmd.quiet": "HH:MM-HH:MM|off: hold alerts during these hours",
    "cmd.pause": "stop alerts until /resume",
    "cmd.resume": "alerts again",
    "cmd.test": "TEXT: which watchlists would match this title",
    "cmd.digest": "send this chat's pending digest now",
    "cmd.digest_at": "HH:MM: when the daily digest comes (in your /tz)",
    "cmd.watch": "PHRASE: alert this chat on a phrase of its own",
    "cmd.unwatch": "PHRASE|all: stop watching a phrase",
    "cmd.mute": "PHRASE | source NAME: never alert this chat on it",
    "cmd.unmute": "PHRASE | source NAME | all: undo /mute",
    "cmd.lang": "en|zh-hans|zh-hant: the bot's language in this chat",
    "cmd.feeds": "admins: feed health",
    "cmd.reload": "admins: reload the watchlists",
    "cmd.stats": "admins: delivery and feed counts",
    "cmd.suggest": "admins: rule edits your 👍/👎 call for",
    "cmd.web": "admins: a one-time link to the web interface",
    # /watch
    "watch.usage": "Usage: /watch PHRASE, e.g. /watch Huawei or /watch 光刻机. "
                   "It alerts this chat alone. No regular expressions: the phrase is taken as written.",
    "watch.added": "Watching <b>{phrase}</b> ({count} of {limit}). It matches:",
    "watch.known": "This chat already watches <b>{phrase}</b>.",
    "watch.full": "This chat watches {limit} phrases, the most it can. Remove one with /unwatch first.",
    "watch.empty": "{phrase} has nothing to match (only punctuation). Write a word or a name.",
    "watch.too_long": "That phrase is {length} characters long; at most {limit}. Watch a shorter phrase.",
    "watch.folded": "• Traditional and Simplified alike (as {folded})",
    "watch.case": "• in any case (Huawei, HUAWEI, huawei)",
    "watch.words": "• whole words only ({phrase} inside a longer word does not count)",
    "watch.substring": "• anywhere in the text, as a Chinese phrase",
    "watch.fuzzy": "• close misspellings too (one letter off in a word of 6+ letters)",
    "watch.exact": "• exact spelling only (typo tolerance needs a word of 6+ letters)",
    "watch.fields": "• in the title and the opening paragraph",
    "watch.literal": "⚠️ Taken literally: characters like * ? | ( ) are not regular expressions here.",
    "watch.short": "⚠️ Very short: it may hit many unrelated stories. A longer phrase works better.",
    "watch.common": "⚠️ Common: it would have hit {percent}% of the last {sample} stored stories. "
                    "A narrower phrase works better.",
    "watch.share": "It would have hit {hits} of the last {sample} stored stories.",
    "watch.mode": "Alerts for it come as this chat gets alerts: {mode}.",
    # /unwatch
    "unwatch.usage": "Usage: /unwatch PHRASE or /unwatch all. This chat watches: {phrases}",
    "unwatch.removed": "Stopped watching {count} phrase(s).",
    "unwatch.unknown": "This chat does not watch {phrase}. It watches: {phrases}",
    # /list
    "list.phrases": "<b>Your phrases</b> ({count} of {limit})",
    "list.no_phrases": "none yet: /watch PHRASE",
    "list.not_followed": "(they alert nobody since /unsubscribe all: /watch one again to follow them)",
    "list.mutes": "<b>Muted</b>",
    "list.no_mutes": "nothing: /mute PHRASE or /mute source NAME",
    "list.muted_phrase": "• phrase: {value}",
    "list.muted_source": "• source: {value}",
    "list.language": "Language: {language}",
    "nothing": "nothing",
    # /mute, /unmute
    "mute.usage": "Usage: /mute PHRASE or /mute source NAME (a feed's name). Alerts on it no longer come to this chat.",
    "mute.phrase": "Muted <b>{phrase}</b>: no alert holding it comes to this chat.",
    "mute.source": "Muted the source <b>{name}</b>: no alert from it comes to this chat.",
    "mute.known": "{value} is muted already.",
    "mute.unknown_source": "No feed is called {name}. Feeds: {names}",
    "unmute.usage": "Usage: /unmute PHRASE, /unmute source NAME or /unmute all. Muted: {mutes}",
    "unmute.removed": "Unmuted {count}.",
    "unmute.unknown": "{value} is not muted here. Muted: {mutes}",
    # /lang
    "lang.usage": "Usage: /lang en|zh-hans|zh-hant (now: {language})",
    "lang.set": "I will answer in English here.",
    # groups
    "group.admins_only": "Only this group's administrators can change its phrases and mutes.",
    # the hourly cap
    "cap.notice": "More than {limit} alerts in the last hour: the next ones wait for this chat's digest "
                  "(/digest now, or at {at}). Fewer with /mute or /unwatch.",
}

ZH_HANS: dict[str, str] = {
    "cmd.start": "这个机器人做什么",
    "cmd.help": "全部命令",
    "cmd.watchlists": "监控清单，带订阅按钮",
    "cmd.subscribe": "ID [instant|digest]：订阅一个监控清单",
    "cmd.unsubscribe": "ID|all：取消订阅",
    "cmd.list": "本聊天的订阅、关键词、屏蔽和设置",
    "cmd.mode": "instant|digest：本聊天如何接收提醒",
    "cmd.tz": "ZONE：时区，例如 Asia/Shanghai",
    "cmd.quiet": "HH:MM-HH:MM|off：在这段时间暂缓提醒",
    "cmd.pause": "暂停提醒，直到 /resume",
    "cmd.resume": "恢复提醒",
    "cmd.test": "TEXT：哪些监控清单会匹配这个标题",
    "cmd.digest": "立即发送本聊天待发的摘要",
    "cmd.digest_at": "HH:MM：每日摘要的时间（按你的 /tz）",
    "cmd.watch": "关键词：为本聊天单独监控一个关键词",
    "cmd.unwatch": "关键词|all：停止监控关键词",
    "cmd.mute": "关键词 | source 名称：本聊天不再因此收到提醒",
    "cmd.unmute": "关键词 | source 名称 | all：撤销 /mute",
    "cmd.lang": "en|zh-hans|zh-hant：机器人在本聊天使用的语言",
    "cmd.feeds": "管理员：信息源状态",
    "cmd.reload": "管理员：重新加载监控清单",
    "cmd.stats": "管理员：发送与信息源统计",
    "cmd.suggest": "管理员：根据 👍/👎 建议的规则修改",
    "cmd.web": "管理员：网页界面的一次性登录链接",
    "watch.usage": "用法：/watch 关键词，例如 /watch 华为 或 /watch 光刻机。只提醒本聊天。"
                   "不支持正则表达式：关键词按原样匹配。",
    "watch.added": "正在监控 <b>{phrase}</b>（{count}/{limit}）。它会匹配：",
    "watch.known": "本聊天已经在监控 <b>{phrase}</b>。",
    "watch.full": "本聊天已监控 {limit} 个关键词，已达上限。请先用 /unwatch 删除一个。",
    "watch.empty": "{phrase} 没有可匹配的内容（只有标点）。请写一个词或名称。",
    "watch.too_long": "这个关键词有 {length} 个字符，最多 {limit} 个。请换一个短一些的。",
    "watch.folded": "• 繁体和简体都算（按 {folded} 匹配）",
    "watch.case": "• 不分大小写（Huawei、HUAWEI、huawei）",
    "watch.words": "• 只匹配完整单词（{phrase} 在更长的单词里不算）",
    "watch.substring": "• 作为中文词语，出现在文中任何位置都算",
    "watch.fuzzy": "• 也匹配相近的拼写错误（6 个字母以上的单词错一个字母）",
    "watch.exact": "• 只匹配准确拼写（容错需要 6 个字母以上的单词）",
    "watch.fields": "• 在标题和导语中",
    "watch.literal": "⚠️ 按字面匹配：* ? | ( ) 等字符在这里不是正则表达式。",
    "watch.short": "⚠️ 太短：可能命中许多无关的新闻。长一些的关键词效果更好。",
    "watch.common": "⚠️ 太常见：在最近保存的 {sample} 条新闻中会命中 {percent}%。更具体的关键词效果更好。",
    "watch.share": "在最近保存的 {sample} 条新闻中会命中 {hits} 条。",
    "watch.mode": "它的提醒按本聊天的方式发送：{mode}。",
    "unwatch.usage": "用法：/unwatch 关键词 或 /unwatch all。本聊天监控：{phrases}",
    "unwatch.removed": "已停止监控 {count} 个关键词。",
    "unwatch.unknown": "本聊天没有监控 {phrase}。正在监控：{phrases}",
    "list.phrases": "<b>你的关键词</b>（{count}/{limit}）",
    "list.no_phrases": "还没有：/watch 关键词",
    "list.not_followed": "（自 /unsubscribe all 起不再提醒：再 /watch 一个关键词即可恢复）",
    "list.mutes": "<b>已屏蔽</b>",
    "list.no_mutes": "没有：/mute 关键词 或 /mute source 名称",
    "list.muted_phrase": "• 关键词：{value}",
    "list.muted_source": "• 信息源：{value}",
    "list.language": "语言：{language}",
    "nothing": "无",
    "mute.usage": "用法：/mute 关键词 或 /mute source 名称（信息源的名称）。本聊天不再收到相关提醒。",
    "mute.phrase": "已屏蔽 <b>{phrase}</b>：含有它的提醒不再发到本聊天。",
    "mute.source": "已屏蔽信息源 <b>{name}</b>：它的提醒不再发到本聊天。",
    "mute.known": "{value} 已经屏蔽了。",
    "mute.unknown_source": "没有名为 {name} 的信息源。信息源：{names}",
    "unmute.usage": "用法：/unmute 关键词、/unmute source 名称 或 /unmute all。已屏蔽：{mutes}",
    "unmute.removed": "已取消屏蔽 {count} 项。",
    "unmute.unknown": "{value} 在这里没有被屏蔽。已屏蔽：{mutes}",
    "lang.usage": "用法：/lang en|zh-hans|zh-hant（当前：{language}）",
    "lang.set": "我将在这里用简体中文回答。",
    "group.admins_only": "只有本群管理员可以修改关键词和屏蔽。",
    "cap.notice": "过去一小时的提醒超过 {limit} 条：之后的提醒将放入本聊天的摘要（现在 /digest，或在 {at}）。"
                  "可用 /mute 或 /unwatch 减少提醒。",
}

ZH_HANT: dict[str, str] = {
    "cmd.start": "這個機器人做什麼",
    "cmd.help": "全部指令",
    "cmd.watchlists": "監控清單，附訂閱按鈕",
    "cmd.subscribe": "ID [instant|digest]：訂閱一個監控清單",
    "cmd.unsubscribe": "ID|all：取消訂閱",
    "cmd.list": "本聊天的訂閱、關鍵詞、封鎖和設定",
    "cmd.mode": "instant|digest：本聊天如何接收提醒",
    "cmd.tz": "ZONE：時區，例如 Asia/Taipei",
    "cmd.quiet": "HH:MM-HH:MM|off：在這段時間暫緩提醒",
    "cmd.pause": "暫停提醒，直到 /resume",
    "cmd.resume": "恢復提醒",
    "cmd.test": "TEXT：哪些監控清單會匹配這個標題",
    "cmd.digest": "立即傳送本聊天待發的摘要",
    "cmd.digest_at": "HH:MM：每日摘要的時間（依你的 /tz）",
    "cmd.watch": "關鍵詞：為本聊天單獨監控一個關鍵詞",
    "cmd.unwatch": "關鍵詞|all：停止監控關鍵詞",
    "cmd.mute": "關鍵詞 | source 名稱：本聊天不再因此收到提醒",
    "cmd.unmute": "關鍵詞 | source 名稱 | all：撤銷 /mute",
    "cmd.lang": "en|zh-hans|zh-hant：機器人在本聊天使用的語言",
    "cmd.feeds": "管理員：資訊來源狀態",
    "cmd.reload": "管理員：重新載入監控清單",
    "cmd.stats": "管理員：傳送與資訊來源統計",
    "cmd.suggest": "管理員：根據 👍/👎 建議的規則修改",
    "cmd.web": "管理員：網頁介面的一次性登入連結",
    "watch.usage": "用法：/watch 關鍵詞，例如 /watch 華為 或 /watch 光刻機。只提醒本聊天。"
                   "不支援正規表示式：關鍵詞依原樣匹配。",
    "watch.added": "正在監控 <b>{phrase}</b>（{count}/{limit}）。它會匹配：",
    "watch.known": "本聊天已經在監控 <b>{phrase}</b>。",
    "watch.full": "本聊天已監控 {limit} 個關鍵詞，已達上限。請先用 /unwatch 刪除一個。",
    "watch.empty": "{phrase} 沒有可匹配的內容（只有標點）。請寫一個詞或名稱。",
    "watch.too_long": "這個關鍵詞有 {length} 個字元，最多 {limit} 個。請換一個短一些的。",
    "watch.folded": "• 繁體和簡體都算（依 {folded} 匹配）",
    "watch.case": "• 不分大小寫（Huawei、HUAWEI、huawei）",
    "watch.words": "• 只匹配完整單字（{phrase} 在更長的單字裡不算）",
    "watch.substring": "• 作為中文詞語，出現在文中任何位置都算",
    "watch.fuzzy": "• 也匹配相近的拼寫錯誤（6 個字母以上的單字錯一個字母）",
    "watch.exact": "• 只匹配準確拼寫（容錯需要 6 個字母以上的單字）",
    "watch.fields": "• 在標題和導言中",
    "watch.literal": "⚠️ 依字面匹配：* ? | ( ) 等字元在這裡不是正規表示式。",
    "watch.short": "⚠️ 太短：可能命中許多無關的新聞。長一些的關鍵詞效果更好。",
    "watch.common": "⚠️ 太常見：在最近儲存的 {sample} 則新聞中會命中 {percent}%。更具體的關鍵詞效果更好。",
    "watch.share": "在最近儲存的 {sample} 則新聞中會命中 {hits} 則。",
    "watch.mode": "它的提醒依本聊天的方式傳送：{mode}。",
    "unwatch.usage": "用法：/unwatch 關鍵詞 或 /unwatch all。本聊天監控：{phrases}",
    "unwatch.removed": "已停止監控 {count} 個關鍵詞。",
    "unwatch.unknown": "本聊天沒有監控 {phrase}。正在監控：{phrases}",
    "list.phrases": "<b>你的關鍵詞</b>（{count}/{limit}）",
    "list.no_phrases": "還沒有：/watch 關鍵詞",
    "list.not_followed": "（自 /unsubscribe all 起不再提醒：再 /watch 一個關鍵詞即可恢復）",
    "list.mutes": "<b>已封鎖</b>",
    "list.no_mutes": "沒有：/mute 關鍵詞 或 /mute source 名稱",
    "list.muted_phrase": "• 關鍵詞：{value}",
    "list.muted_source": "• 資訊來源：{value}",
    "list.language": "語言：{language}",
    "nothing": "無",
    "mute.usage": "用法：/mute 關鍵詞 或 /mute source 名稱（資訊來源的名稱）。本聊天不再收到相關提醒。",
    "mute.phrase": "已封鎖 <b>{phrase}</b>：含有它的提醒不再傳到本聊天。",
    "mute.source": "已封鎖資訊來源 <b>{name}</b>：它的提醒不再傳到本聊天。",
    "mute.known": "{value} 已經封鎖了。",
    "mute.unknown_source": "沒有名為 {name} 的資訊來源。資訊來源：{names}",
    "unmute.usage": "用法：/unmute 關鍵詞、/unmute source 名稱 或 /unmute all。已封鎖：{mutes}",
    "unmute.removed": "已取消封鎖 {count} 項。",
    "unmute.unknown": "{value} 在這裡沒有被封鎖。已封鎖：{mutes}",
    "lang.usage": "用法：/lang en|zh-hans|zh-hant（目前：{language}）",
    "lang.set": "我將在這裡用繁體中文回答。",
    "group.admins_only": "只有本群組管理員可以修改關鍵詞和封鎖。",
    "cap.notice": "過去一小時的提醒超過 {limit} 則：之後的提醒將放入本聊天的摘要（現在 /digest，或在 {at}）。"
                  "可用 /mute 或 /unwatch 減少提醒。",
}

CATALOG: dict[str, dict[str, str]] = {"en": EN, "zh-hans": ZH_HANS, "zh-hant": ZH_HANT}
