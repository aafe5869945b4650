"""The bilingual entity list: organisations, companies, places, people and agencies in the chip,
export-control, tech and geopolitics area, each with its English and Chinese names. Pure data.

One entity a line: ``id: name | name | ...`` (an id may take several lines). Names are folded like
text (NFKC, case, Traditional to Simplified) when the list is compiled, so a Traditional spelling
is needed only where Taiwan or Hong Kong use other words (輝達 for Nvidia, 艾司摩爾 for ASML).
Latin names match on word boundaries; names in capitals of up to four letters (US, BIS, AMD) and
names marked ``=`` match with their case (so "us" and "arm" as plain words do not count).
Kept to names that identify one thing: "Commerce" alone would tie every ministry to every department.
Written for watchbot (issue 13); extend it freely, one line per entity.
"""

ENTITIES = """
asml: ASML | ASML Holding | 阿斯麦 | 阿斯麥 | 艾司摩尔 | 艾司摩爾
nvidia: Nvidia | 英伟达 | 輝達 | 辉达
mellanox: Mellanox | 迈络思 | 邁絡思
amd: AMD | Advanced Micro Devices | 超微 | 超威半导体
intel: Intel | 英特尔 | 英特爾
tsmc: TSMC | Taiwan Semiconductor Manufacturing | 台积电 | 台積電 | 台湾积体电路
samsung: Samsung | Samsung Electronics | 三星 | 三星电子
sk-hynix: SK Hynix | SK海力士 | 海力士
micron: Micron | 美光
qualcomm: Qualcomm | 高通
broadcom: Broadcom | 博通
apple: =Apple | 苹果公司 | 蘋果公司
google: Google | Alphabet | 谷歌 | 谷歌公司
microsoft: Microsoft | 微软
meta: Meta Platforms | =Meta | 脸书
amazon: Amazon | 亚马逊
openai: OpenAI
anthropic: Anthropic
mistral: Mistral AI | =Mistral
deepseek: DeepSeek | 深度求索
huawei: Huawei | 华为 | 華為
hisilicon: HiSilicon | 海思
ascend: =Ascend | 昇腾 | 昇騰
smic: SMIC | Semiconductor Manufacturing International | 中芯国际 | 中芯國際 | 中芯
hua-hong: Hua Hong | Hua Hong Semiconductor | 华虹 | 华虹半导体
ymtc: YMTC | Yangtze Memory | Yangtze Memory Technologies | 长江存储 | 長江存儲
cxmt: CXMT | ChangXin Memory | ChangXin Memory Technologies | 长鑫 | 长鑫存储 | 长鑫科技
naura: Naura | 北方华创
amec: AMEC | Advanced Micro-Fabrication Equipment | 中微公司 | 中微半导体
piotech: Piotech | 拓荆科技 | 拓荆
sicarrier: SiCarrier | 新凯来
smee: SMEE | Shanghai Micro Electronics Equipment | 上海微电子
cambricon: Cambricon | 寒武纪
hygon: Hygon | 海光
moore-threads: Moore Threads | 摩尔线程
biren: Biren | 壁仞
alibaba: Alibaba | 阿里巴巴
tencent: Tencent | 腾讯
baidu: Baidu | 百度
bytedance: ByteDance | 字节跳动
tiktok: TikTok | 抖音国际版
xiaomi: Xiaomi | 小米
zte: ZTE | 中兴 | 中兴通讯
lenovo: Lenovo | 联想
dji: DJI | 大疆
catl: CATL | 宁德时代
byd: BYD | 比亚迪
nexperia: Nexperia | 安世半导体 | 安世
wingtech: Wingtech | 闻泰科技 | 闻泰
infineon: Infineon | Infineon Technologies | 英飞凌
nxp: NXP | 恩智浦
bosch: Bosch | 博世
stmicro: STMicroelectronics | 意法半导体
esmc: ESMC | European Semiconductor Manufacturing Company
globalfoundries: GlobalFoundries | 格芯
umc: UMC | United Microelectronics | 联电 | 聯電
mediatek: MediaTek | 联发科 | 聯發科
foxconn: Foxconn | Hon Hai | 富士康 | 鸿海 | 鴻海
applied-materials: Applied Materials | 应用材料
lam-research: Lam Research | 泛林 | 科林研发
kla: KLA | 科磊
tokyo-electron: Tokyo Electron | 东京电子 | 東京威力科創
nikon: Nikon | 尼康
canon: =Canon | 佳能
zeiss: Zeiss | Carl Zeiss | 蔡司
arm: Arm Holdings | =Arm | 安谋
softbank: SoftBank | 软银 | 軟銀
rapidus: Rapidus
kioxia: Kioxia | 铠侠
synopsys: Synopsys | 新思科技
cadence: Cadence | 楷登电子 | 铿腾
cisco: Cisco | 思科
oracle: =Oracle | 甲骨文
tesla: Tesla | 特斯拉
spacex: SpaceX
entity-list: Entity List | 实体清单 | 實體清單 | 实体名单 | 實體名單
unreliable-entity-list: Unreliable Entity List | 不可靠实体清单
us-commerce: Commerce Department | Department of Commerce | US Commerce | U.S. Commerce | 美国商务部 | 美商务部
bis: Bureau of Industry and Security | BIS | 工业与安全局 | 产业安全局
ofac: OFAC | Office of Foreign Assets Control | 海外资产控制办公室
us-treasury: Treasury Department | US Treasury | U.S. Treasury | 美国财政部
us-justice: Justice Department | Department of Justice | 美国司法部
us-state: State Department | 美国国务院
white-house: White House | 白宫
pentagon: Pentagon | 五角大楼
congress: =Congress | 国会
fcc: FCC | Federal Communications Commission | 联邦通信委员会
ftc: FTC | Federal Trade Commission | 联邦贸易委员会
ustr: USTR | US Trade Representative | 美国贸易代表办公室
mofcom: Ministry of Commerce | Commerce Ministry | China's Commerce Ministry | 商务部 | 中国商务部
samr: State Administration for Market Regulation | SAMR | 市场监管总局 | 国家市场监督管理总局
cac: Cyberspace Administration | Cyberspace Administration of China | 网信办 | 国家互联网信息办公室
miit: MIIT | Ministry of Industry and Information Technology | 工信部 | 工业和信息化部
ndrc: NDRC | National Development and Reform Commission | 国家发改委 | 发改委
gacc: General Administration of Customs | 海关总署
csrc: CSRC | China Securities Regulatory Commission | 证监会
pboc: PBOC | People's Bank of China | 中国人民银行 | 央行
isc: Internet Society of China | 中国互联网协会
meti: METI | Ministry of Economy, Trade and Industry | 经济产业省 | 经产省 | 經產省
moea: Ministry of Economic Affairs | 经济部 | 經濟部
trade-administration: International Trade Administration | 国际贸易署 | 國際貿易署
eu-commission: European Commission | 欧盟委员会 | 欧盟执委会 | 歐盟執委會
eu: European Union | EU | 欧盟 | 歐盟
wto: WTO | World Trade Organization | 世贸组织 | 世界贸易组织
nato: NATO | 北约
un: United Nations | UN | 联合国
iaea: IAEA | International Atomic Energy Agency | 国际原子能机构
wassenaar: Wassenaar Arrangement | 瓦森纳协定 | 瓦圣纳协定
chips-act: CHIPS Act | Chips and Science Act | 芯片法案 | 晶片法案 | 芯片与科学法案
ai-diffusion-rule: AI diffusion rule | AI diffusion | 人工智能扩散规则 | AI扩散规则
fdpr: Foreign Direct Product Rule | FDPR | 外国直接产品规则
goods-availability-act: Goods Availability Act | 物资供应法 | 物資供應法
anti-monopoly-law: anti-monopoly law | antitrust | 反垄断法 | 反壟斷法 | 反垄断
hbm: HBM | high-bandwidth memory | high bandwidth memory | 高带宽存储器 | 高带宽存储 | 高带宽内存 | 高頻寬記憶體
euv: EUV | extreme ultraviolet | 极紫外 | 極紫外
duv: DUV | deep ultraviolet | 深紫外
immersion-lithography: immersion lithography | immersion | 浸润式 | 浸潤式
lithography: lithography | lithography systems | lithography machine | 光刻机 | 光刻 | 曝光机 | 曝光機 | 微影
gallium: gallium | 镓 | 鎵
germanium: germanium | 锗 | 鍺
antimony: antimony | 锑 | 銻
rare-earths: rare earth | rare earths | 稀土
holmium: holmium | 钬
erbium: erbium | 铒
thulium: thulium | 铥
europium: europium | 铕
ytterbium: ytterbium | 镱
graphite: graphite | 石墨
dram: DRAM | 动态随机存取存储器
nand: NAND | 闪存
ai-chips: AI chip | AI chips | AI accelerator | AI accelerators
ai-chips: 人工智能芯片 | AI芯片 | AI晶片 | 人工智慧晶片 | AI加速器
export-licence: export licence | export licences | export license | export licenses | 出口许可 | 出口许可证 | 出口許可
export-controls: export control | export controls | export curbs | 出口管制
stake: stake | 入股 | 持股
ipo: IPO | initial public offering | 首次公开发行 | 上市辅导 | 上市
layoffs: job cuts | cut jobs | jobs cuts | layoffs | lay off | 裁员 | 裁員
smuggling: smuggling | smuggle | smuggled | 走私
antitrust-probe: antitrust investigation | anti-monopoly investigation | 立案调查 | 反垄断调查
subsidies: subsidies | subsidy | state aid | 补贴 | 补助 | 補助
h20: H20
h100: H100
h200: H200
b200: B200
blackwell: Blackwell
mi308: MI308
rtx-pro-6000d: RTX Pro 6000D | 6000D
hbm3e: HBM3E
nxt-2050i: NXT:2050i | NXT2050i
nxt-2100i: NXT:2100i | NXT2100i
us: United States | US | U.S. | USA | America | American | 美国 | 美方
china: China | Chinese | PRC | 中国 | 中方 | 中国大陆 | 对华
taiwan: Taiwan | Taiwanese | 台湾 | 臺灣
netherlands: Netherlands | Dutch | Holland | 荷兰 | 荷蘭
japan: Japan | Japanese | 日本
south-korea: South Korea | Korea | Korean | 韩国 | 南韩 | 南韓
germany: Germany | German | 德国
france: France | French | 法国
uk: Britain | United Kingdom | UK | British | 英国
india: India | Indian | 印度
russia: Russia | Russian | 俄罗斯 | 俄国
ukraine: Ukraine | Ukrainian | 乌克兰 | 烏克蘭
iran: Iran | Iranian | 伊朗
israel: Israel | Israeli | 以色列
malaysia: Malaysia | Malaysian | 马来西亚
singapore: Singapore | 新加坡
vietnam: Vietnam | 越南
hong-kong: Hong Kong | 香港
arizona: Arizona | 亚利桑那 | 亚利桑那州 | 亞利桑那
dresden: Dresden | 德累斯顿 | 德勒斯登
hokkaido: Hokkaido | 北海道
kumamoto: Kumamoto | 熊本
hsinchu: Hsinchu | 新竹
shanghai: Shanghai | 上海
shenzhen: Shenzhen | 深圳
beijing: Beijing | 北京
wuhan: Wuhan | 武汉
hubei: Hubei | 湖北
california: California | 加利福尼亚 | 加州
washington: Washington | 华盛顿
brussels: Brussels | 布鲁塞尔
geneva: Geneva | 日内瓦
veldhoven: Veldhoven | 费尔德霍芬
star-market: STAR Market | 科创板
trump: Trump | Donald Trump | 特朗普 | 川普
biden: Biden | 拜登
xi-jinping: Xi Jinping | 习近平
lutnick: Lutnick | Howard Lutnick | 卢特尼克
rubio: Rubio | Marco Rubio | 鲁比奥 | 卢比奥
jensen-huang: Jensen Huang | 黄仁勋 | 黃仁勳
lisa-su: Lisa Su | 苏姿丰 | 蘇姿豐
cc-wei: C.C. Wei | 魏哲家
fouquet: Christophe Fouquet | Fouquet | 傅恪礼
lip-bu-tan: Lip-Bu Tan | 陈立武
pat-gelsinger: Pat Gelsinger | 基辛格
sam-altman: Sam Altman | 奥特曼 | 阿尔特曼
musk: Elon Musk | Musk | 马斯克
gina-raimondo: Raimondo | Gina Raimondo | 雷蒙多
wang-wentao: Wang Wentao | 王文涛
he-lifeng: He Lifeng | 何立峰
bessent: Bessent | Scott Bessent | 贝森特
lai-ching-te: Lai Ching-te | 赖清德 | 賴清德
schoof: Dick Schoof | Schoof | 斯霍夫
karremans: Karremans | Vincent Karremans | 卡雷曼斯
"""
