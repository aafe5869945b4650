"""Folding that keeps meaning: Traditional phrases whose Simplified form is another word. Pure.

Text and phrases are folded from Traditional to Simplified Chinese, so 半導體 and 半导体 meet.
But t2s merges characters: 醜 (ugly) and 丑 (the clown of 小丑) both become 丑, 髮 (hair) and
發 both become 发. A phrase like 小醜 then folds to 小丑 ("clown"), an everyday word with another
meaning, and would hit ordinary Simplified prose. Such a phrase matches only as written.

The check: some character that folding changed is not the one the Simplified word is written
with in Traditional (OpenCC's s2t, s2tw, s2hk and s2twp spellings of the folded form), and the
folded form is a common Simplified word. 發布 stays folded (發 is how 发布 is written, 布 is
unchanged); 小醜 does not (小丑 is written 小丑). The common words are a small built-in list of
everyday words that hold a merged character (no download, no frequency file at run time).
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from functools import lru_cache

from bot.watch.model import Term, Watchlist, terms_of
from bot.watch.text import converter

# Everyday Simplified words that hold a character t2s merges from several Traditional ones
# (干 后 发 面 里 台 系 制 谷 余 松 丑 冲 准 范 斗 几 只 钟 历 征 志 云 于 周 ...). Words only:
# a phrase folding to one of these, with a character that is not that word's own, is another word.
_WORDS = """
干部 干净 干杯 干扰 干预 干涉 干旱 干货 干燥 干活 若干 树干 才干 主干 干线
后来 以后 最后 然后 之后 后面 后台 皇后 王后 太后 后果 前后 落后 背后 后悔
发布 发现 发展 发生 出发 发表 发明 发射 发动 开发 发货 发电 发言 头发 理发 发型 发达 爆发 研发
面包 面条 方面 面对 面临 面积 表面 见面 面子 面试 全面 面粉 面板 正面 局面 下面 面膜
里面 这里 那里 公里 哪里 心里 家里 夜里 手里
台风 平台 舞台 电台 后台 柜台 讲台 阳台 台阶 出台 台灯
系统 关系 联系 体系 系列 派系 直系
制度 控制 制造 限制 管制 体制 机制 制定 制作 制裁 制约 编制 研制 制品 制程
山谷 谷歌 硅谷 谷物 低谷 谷底 稻谷
其余 剩余 多余 余额 业余 余地 余震
放松 轻松 松树 宽松 松鼠 松饼 松弛 松懈
小丑 丑闻 丑陋 丑恶
冲突 冲击 冲动 冲浪 缓冲 冲刺 冲锋 冲洗
准备 标准 批准 准确 准时 瞄准
范围 规范 示范 防范 模范 典范
斗争 战斗 奋斗 搏斗 斗志
几乎 几个 茶几 几何
只是 只有 一只 只要 只能
钟表 分钟 钟声 闹钟 钟爱
历史 经历 日历 历来 学历 历程
特征 征收 征求 象征 征服 征兆
杂志 标志 意志 同志 志愿
云端 云计算 白云 乌云
关于 由于 对于 终于 属于 位于 至于 等于
周末 一周 周期 周围 周年 周边
家具 家伙 伙伴 合伙 伙食
占领 占据 占有 占比
克服 克隆 巧克力
回复 回答 回来 回应 回收 回顾
试卷 卷入 卷烟 席卷
复杂 复制 恢复 复兴 重复 复习 复苏
汇率 词汇 汇报 外汇 汇款
获得 收获 获取 获奖
手表 代表 表示 表达 表现 发表 仪表
老板 地板 主板 黑板
签名 签证 签约 标签 签署
恶心 肮脏 心脏 脏话
并且 合并 并购
尽管 尽量 尽快 尽头
论坛 文坛 花坛
注意 注册 注释 关注
采访 采用 采购 采取
政党 党员
挣扎 扎实
杰出 杰作
上升 升级 提升 升腾 升起 升值 升温 升华
防御 御用
困难 困惑 困扰 穷困
借口 凭借 借鉴 借款
凶手 凶猛 凶险
团队 集团 团体 团结
必须 胡须
朴素 简朴
折扣 打折 骨折 周折
合作 合同 合理
公布 宣布 分布 布局
旅游 游戏 游客 上游 下游
导致 一致 精致 致力
饥饿 饥荒
蒙古 启蒙
丰富 丰田 丰收
人才 刚才 才能
出口 出租
"""
COMMON_WORDS = frozenset(_WORDS.split())

_CONVERTERS = ("s2t", "s2tw", "s2hk", "s2twp")


def other_word(phrase: str) -> str | None:
    """The common Simplified word ``phrase`` folds into while meaning something else, or None."""
    if phrase.isascii() or max(phrase) < "\u2e80":
        return None  # no Chinese in it (most phrases): nothing to fold
    return _other_word(phrase)


@lru_cache(maxsize=1 << 16)  # (every chat's phrases are read again at each rebuild of the combined matcher)
def _other_word(phrase: str) -> str | None:
    written = unicodedata.normalize("NFKC", phrase).casefold()
    folded = converter("t2s").convert(written)
    if folded == written or len(folded) != len(written) or folded not in COMMON_WORDS:
        return None
    spellings = [converter(c).convert(folded) for c in _CONVERTERS]
    for i, (was, now) in enumerate(zip(written, folded, strict=True)):
        if was != now and all(len(s) != len(folded) or s[i] != was for s in spellings):
            return folded
    return None


def as_written(t: Term) -> Term:
    """``t``, matching only as written (like ``case: true``) if folding would make it another word."""
    if t.case or other_word(t.text) is None:
        return t
    return replace(t, case=True, fuzzy=None)


def fold_warnings(watchlist: Watchlist) -> list[str]:
    """One line per phrase of ``watchlist`` that matches only as written because folding would
    turn it into another everyday word (for ``watchbot rules check``); a phrase written with ``case: true`` says so
    itself."""
    where = f"{watchlist.source}: " if watchlist.source else ""
    seen: set[str] = set()
    lines = []
    for part, patterns in watchlist.parts():
        for p in patterns:
            terms = terms_of(p)
            for t in terms:
                word = None if t.case else other_word(t.text)  # (case: true is "as written", chosen already)
                if word is None or t.text in seen:
                    continue
                seen.add(t.text)
                lines.append(
                    f"{where}watchlist {watchlist.id!r}, {part}: phrase '{t.text}' folds to '{word}', an everyday "
                    f"Simplified word with another meaning, so it matches only as written ('{t.text}'); add '{word}' "
                    "as a phrase of its own if that word is meant too"
                )
    return lines
