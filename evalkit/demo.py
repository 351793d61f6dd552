"""A synthetic but realistic demo campaign (``evalkit demo``, SPEC §7).

:func:`write_demo` writes a self-contained campaign of any size: ``campaign.yaml``, the six
tables of SPEC §3 and copies of the demo scheme and questionnaire. It imitates a 2021
Shanghai municipal pilot round (沪市监标技〔2021〕141号): the 16 districts, the seven
domains of the notice, pilots run by street offices, service centres, companies and
co-operatives, standards registers with real national, industry and international codes
plus local (DB31/T), group (T/…) and enterprise (Q/…) standards. A few (invented)
Shanghai local standards are shared: city-wide ones in many registers, each domain's in
the registers of its pilots, so that the standard implementation evaluation (the
``standard_scheme`` of the campaign, :mod:`evalkit.metrics.per_standard`) sees standards
implemented — and inspected — across several pilots.

Every pilot has a latent quality ``q`` (normal, :data:`QUALITY`); all its evidence is
drawn around it, so the evidence agrees the way real evidence does:

* survey answers come from a latent-trait model — respondent trait per construct, item
  response = trait + item noise, cut into the 1–5 scale — so Cronbach's α of each
  construct lands around 0.8;
* standards status and implementation, inspection results, KPI changes and expert
  scores are Bernoulli or normal draws whose centre moves with ``q``;
* a few pilots are weak (``q`` far below zero) and about one in 48 has a major incident
  (the ``V1`` veto) and a critical nonconformity on inspection (``V2``).

The structure comes from the shipped scheme and questionnaire (item columns, expert
indicators and their points), so the data always fits them. Everything is drawn from one
:class:`numpy.random.Generator` seeded with ``seed``, in a fixed order, and the tables are
built with vectorised numpy/pandas operations (10,000 pilots ≈ 1M survey rows in
seconds). Unit and company names are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from evalkit.atomic import write_atomic
from evalkit.questionnaire import Questionnaire, load_questionnaire
from evalkit.scheme import Scheme, load_scheme

SCHEME_FILE = "municipal-pilot-acceptance.yaml"
STANDARD_SCHEME_FILE = "standard-implementation.yaml"
STANDARD_REPORTS_MIN_PILOTS = 3
QUESTIONNAIRE_FILE = "pilot-survey.yaml"
TABLE_NAMES = ("pilots", "standards", "surveys", "inspections", "kpis", "experts")
CAMPAIGN_ID = "demo-2021"
CAMPAIGN_TITLE = "2021年度市级标准化试点验收评估（示例数据）"

# ---------------------------------------------------------------------------------------
# reference data: places, domains, projects, standards, KPIs


@dataclass(frozen=True)
class District:
    """A Shanghai district, how many pilots it tends to host, and its streets and towns."""

    name: str
    weight: float
    rural: bool
    places: tuple[str, ...]


DISTRICTS: tuple[District, ...] = (
    District("黄浦区", 1.0, False, ("南京东路街道", "外滩街道", "半淞园路街道", "小东门街道", "豫园街道",
                                   "老西门街道", "五里桥街道", "打浦桥街道", "淮海中路街道", "瑞金二路街道")),
    District("徐汇区", 1.2, False, ("天平路街道", "湖南路街道", "斜土路街道", "枫林路街道", "长桥街道", "田林街道",
                                   "虹梅路街道", "康健新村街道", "徐家汇街道", "凌云路街道", "龙华街道", "华泾镇")),
    District("长宁区", 0.9, False, ("华阳路街道", "江苏路街道", "新华路街道", "周家桥街道", "天山路街道",
                                   "仙霞新村街道", "虹桥街道", "程家桥街道", "北新泾街道", "新泾镇")),
    District("静安区", 1.1, False, ("江宁路街道", "石门二路街道", "南京西路街道", "静安寺街道", "曹家渡街道",
                                   "天目西路街道", "北站街道", "大宁路街道", "彭浦新村街道", "临汾路街道", "彭浦镇")),
    District("普陀区", 0.9, False, ("曹杨新村街道", "长风新村街道", "长寿路街道", "甘泉路街道", "石泉路街道",
                                   "宜川路街道", "万里街道", "长征镇", "桃浦镇")),
    District("虹口区", 0.8, False, ("欧阳路街道", "曲阳路街道", "广中路街道", "嘉兴路街道", "凉城新村街道",
                                   "四川北路街道", "北外滩街道", "江湾镇街道")),
    District("杨浦区", 1.0, False, ("定海路街道", "平凉路街道", "江浦路街道", "四平路街道", "控江路街道",
                                   "长白新村街道", "延吉新村街道", "殷行街道", "五角场街道", "新江湾城街道")),
    District("闵行区", 1.4, True, ("江川路街道", "古美街道", "新虹街道", "浦锦街道", "莘庄镇", "七宝镇", "颛桥镇",
                                  "华漕镇", "梅陇镇", "吴泾镇", "马桥镇", "浦江镇")),
    District("宝山区", 1.1, True, ("友谊路街道", "吴淞街道", "张庙街道", "罗店镇", "大场镇", "杨行镇", "月浦镇",
                                  "罗泾镇", "顾村镇", "庙行镇")),
    District("嘉定区", 1.2, True, ("新成路街道", "真新街道", "嘉定镇街道", "南翔镇", "安亭镇", "马陆镇", "徐行镇",
                                  "华亭镇", "外冈镇", "江桥镇")),
    District("浦东新区", 3.0, True, ("潍坊新村街道", "陆家嘴街道", "周家渡街道", "塘桥街道", "花木街道", "洋泾街道",
                                    "金杨新村街道", "川沙新镇", "高桥镇", "北蔡镇", "张江镇", "三林镇", "惠南镇",
                                    "周浦镇", "新场镇", "康桥镇", "祝桥镇", "书院镇", "泥城镇", "老港镇")),
    District("金山区", 0.8, True, ("石化街道", "朱泾镇", "枫泾镇", "张堰镇", "亭林镇", "吕巷镇", "廊下镇",
                                  "金山卫镇", "漕泾镇", "山阳镇")),
    District("松江区", 1.2, True, ("岳阳街道", "永丰街道", "方松街道", "中山街道", "广富林街道", "九里亭街道", "泗泾镇",
                                  "佘山镇", "车墩镇", "新桥镇", "洞泾镇", "九亭镇", "泖港镇", "叶榭镇")),
    District("青浦区", 1.0, True, ("夏阳街道", "盈浦街道", "香花桥街道", "朱家角镇", "练塘镇", "金泽镇", "赵巷镇",
                                  "徐泾镇", "华新镇", "重固镇", "白鹤镇")),
    District("奉贤区", 0.9, True, ("西渡街道", "奉浦街道", "金海街道", "南桥镇", "奉城镇", "庄行镇", "金汇镇",
                                  "四团镇", "青村镇", "柘林镇", "海湾镇")),
    District("崇明区", 0.8, True, ("城桥镇", "堡镇", "新河镇", "庙镇", "竖新镇", "向化镇", "三星镇", "港沿镇",
                                  "中兴镇", "陈家镇", "绿华镇", "港西镇", "建设镇", "新海镇", "东平镇", "长兴镇",
                                  "新村乡", "横沙乡")),
)

#: The office that runs a street (街道办事处) or a town/township (镇/乡人民政府).
PLACE_OFFICES = (("街道", "办事处"), ("镇", "人民政府"), ("乡", "人民政府"))

#: Invented two-character trade names for companies and co-operatives.
BRANDS = ("浦江", "申城", "东方", "华申", "沪联", "嘉禾", "恒远", "兴沪", "宏安", "启明", "星联", "云海", "智汇",
          "绿源", "万源", "联和", "锦程", "信达", "汇通", "新纪", "天演", "中诚", "海纳", "明德", "润禾", "瑞丰",
          "同济", "卓越", "金桥", "临港", "长江", "东滩", "博远", "宝隆", "安信", "凯旋", "德晟", "和润", "佳园", "鼎盛")


@dataclass(frozen=True)
class Project:
    """A kind of pilot in a domain: unit and pilot name templates, subject, and the municipal
    department that sponsors it (保证单位) when the district bureau does not.

    Templates use ``{district}``, ``{place}`` (a street or town), ``{office}`` (the office
    of that place) and ``{brand}``; the name template may also use ``{unit}``.
    """

    unit: str
    name: str
    topic: str
    sponsor: str


@dataclass(frozen=True)
class Kpi:
    """An effect indicator and how its baseline and change are drawn.

    ``percent`` indicators (higher is better, at most 100) improve by closing a share
    ``gain`` of the gap to 100; the others change by a relative ``gain``.
    """

    name: str
    better: str
    low: float
    high: float
    decimals: int
    gain: float
    percent: bool = False


@dataclass(frozen=True)
class Std:
    """A real standard that registers may adopt.

    ``old`` is a superseded edition (listed, as withdrawn, by careless registers);
    ``topics`` the project topics it suits (empty: every project of its domain).
    """

    code: str
    title: str
    level: str
    old: str = ""
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Domain:
    """One of the seven domains of the 2021 notice."""

    name: str
    weight: float
    rural_only: bool
    associations: tuple[str, ...]
    projects: tuple[Project, ...]
    kpis: tuple[Kpi, ...]
    standards: tuple[Std, ...]


_GOV = "上海市{district}{place}{office}"
_CO = "上海{brand}"
_ECONOMY, _COMMERCE, _TOURISM = "上海市经济和信息化委员会", "上海市商务委员会", "上海市文化和旅游局"
_ECOLOGY, _REFORM, _AGRICULTURE = "上海市生态环境局", "上海市发展和改革委员会", "上海市农业农村委员会"

# project topics shared by several standards
_CITY, _EMERGENCY, _FIRE = "城市运行管理", "应急管理", "消防安全管理"
_ELDERLY, _DOCTOR = "社区养老服务", "家庭医生签约服务"
_COUNTERS = ("政务服务", "社区事务受理服务", "公共就业服务")
_DEVICES, _VEHICLES = "医疗器械生产", "智能网联汽车测试"
_FACTORY = ("智能制造", "集成电路制造", "工业互联网平台服务")
_NETWORKED = ("工业互联网平台服务", "智能网联汽车测试", "智能制造")
_TESTING = ("新材料研发检测", _VEHICLES)
_LOGISTICS, _DATA, _TRAVEL = "现代物流服务", "数据信息服务", "旅游服务"
_ENERGY = ("合同能源管理", "节能诊断咨询", "资源综合利用")
_COATINGS = "低VOCs涂料生产"
_VILLAGE = "美丽乡村建设"
_FARMING = ("绿色蔬菜生产", "优质稻米生产", "生态水产养殖")
_CROPS = ("绿色蔬菜生产", "优质稻米生产", "智慧农业")
_POWER, _EXPORT, _PORT, _OVERSEAS = "电力装备国际标准应用", "出口产品标准互认", "港口服务", "海外工程项目管理"

DOMAINS: tuple[Domain, ...] = (
    Domain(
        "社会管理", 0.14, False,
        ("SHSGL", "SHWYXH"),
        (
            Project(_GOV, "上海市{district}{place}“一网统管”城市运行标准化试点", "城市运行管理",
                    "上海市城市运行管理中心"),
            Project(_GOV, "上海市{district}{place}基层社会治理标准化试点", "基层社会治理", "上海市民政局"),
            Project("上海市{district}绿化和市容管理局", "上海市{district}绿化市容精细化管理标准化试点", "绿化市容管理",
                    "上海市绿化和市容管理局"),
            Project("上海市{district}应急管理局", "上海市{district}城市应急管理标准化试点", "应急管理", "上海市应急管理局"),
            Project("上海市{district}消防救援支队", "上海市{district}社会单位消防安全管理标准化试点", "消防安全管理",
                    "上海市消防救援总队"),
        ),
        (Kpi("事件按时处置率", "higher", 82, 95, 1, 0.35, True), Kpi("平均处置时长（小时）", "lower", 12, 48, 1, 0.2),
         Kpi("重复投诉率", "lower", 3, 10, 2, 0.25)),
        (Std("GB/T 37228-2018", "公共安全 应急管理 突发事件响应要求", "national", topics=(_EMERGENCY, _CITY)),
         Std("GB/T 29639-2020", "生产经营单位生产安全事故应急预案编制导则", "national", "GB/T 29639-2013",
             (_EMERGENCY, _FIRE)),
         Std("GB 25201-2010", "建筑消防设施的维护管理", "national", topics=(_FIRE,)),
         Std("GB/T 33000-2016", "企业安全生产标准化基本规范", "national", topics=(_EMERGENCY, _FIRE)),
         Std("GB/T 20647.9-2006", "社区服务指南 第9部分：物业服务", "national", topics=("基层社会治理",)),
         Std("CJJ/T 287-2018", "园林绿化养护标准", "industry", topics=("绿化市容管理",)),
         Std("GB/T 51328-2018", "城市综合交通体系规划标准", "national", topics=(_CITY,)),
         Std("ISO 37101:2016", "社区可持续发展 管理体系 要求及使用指南", "international", topics=("基层社会治理", _CITY)),
         Std("ISO 22301:2019", "安全与韧性 业务连续性管理体系 要求", "international"),
         Std("DB31/T 1462-2021", "城市运行“一网统管”事件处置工作规范", "local", topics=(_CITY, "基层社会治理")),
         Std("DB31/T 1465-2022", "社会单位消防安全标准化管理规范", "local", "DB31/T 1465-2016", (_FIRE, _EMERGENCY))),
    ),
    Domain(
        "公共服务", 0.22, False,
        ("SHYLXH", "SHSQFW"),
        (
            Project("上海市{district}{place}社区综合为老服务中心", "上海市{district}{place}社区养老服务标准化试点",
                    "社区养老服务", "上海市民政局"),
            Project("上海市{district}行政服务中心", "上海市{district}“一网通办”政务服务标准化试点", "政务服务",
                    "上海市人民政府办公厅"),
            Project("上海市{district}{place}社区事务受理服务中心", "上海市{district}{place}社区事务受理服务标准化试点",
                    "社区事务受理服务", "上海市民政局"),
            Project("上海市{district}{place}社区卫生服务中心", "上海市{district}{place}家庭医生签约服务标准化试点",
                    "家庭医生签约服务", "上海市卫生健康委员会"),
            Project("上海市{district}图书馆", "{unit}公共文化服务标准化试点", "公共文化服务", "上海市文化和旅游局"),
            Project("上海市{district}就业促进中心", "上海市{district}公共就业服务标准化试点", "公共就业服务",
                    "上海市人力资源和社会保障局"),
        ),
        (Kpi("一次办结率", "higher", 80, 94, 1, 0.4, True), Kpi("平均等候时长（分钟）", "lower", 10, 30, 1, 0.25),
         Kpi("承诺办结时限（工作日）", "lower", 5, 15, 0, 0.2)),
        (Std("GB/T 28222-2011", "服务标准编写通则", "national"),
         Std("GB/T 24620-2009", "服务标准制定导则 考虑消费者需求", "national"),
         Std("GB/T 35796-2017", "养老机构服务质量基本规范", "national", topics=(_ELDERLY,)),
         Std("GB 38600-2019", "养老机构服务安全基本规范", "national", topics=(_ELDERLY,)),
         Std("GB/T 29353-2012", "养老机构基本规范", "national", topics=(_ELDERLY,)),
         Std("MZ/T 064-2016", "老年社会工作服务指南", "industry", topics=(_ELDERLY,)),
         Std("MZ/T 133-2019", "养老机构顾客满意度测评", "industry", topics=(_ELDERLY,)),
         Std("GB/T 32169.1-2015", "政务服务中心运行规范 第1部分：基本要求", "national", topics=_COUNTERS),
         Std("GB/T 39735-2020", "政务服务评价工作指南", "national", topics=_COUNTERS),
         Std("GB/T 28220-2011", "公共图书馆服务规范", "national", "GB/T 28220-2009", ("公共文化服务",)),
         Std("WS/T 313-2019", "医务人员手卫生规范", "industry", "WS/T 313-2009", (_DOCTOR,)),
         Std("WS/T 367-2012", "医疗机构消毒技术规范", "industry", topics=(_DOCTOR,)),
         Std("DB31/T 1470-2021", "公共服务窗口服务规范", "local"),
         Std("DB31/T 1473-2022", "社区综合为老服务中心服务规范", "local", "DB31/T 1473-2017", (_ELDERLY,))),
    ),
    Domain(
        "高新技术", 0.14, False,
        ("SHZNZZ", "SHJCDL"),
        (
            Project(_CO + "智能装备有限公司", "{unit}智能制造标准化试点", "智能制造", _ECONOMY),
            Project(_CO + "微电子有限公司", "{unit}集成电路制造质量管理标准化试点", "集成电路制造", _ECONOMY),
            Project(_CO + "医疗器械股份有限公司", "{unit}医疗器械生产质量标准化试点", "医疗器械生产",
                    "上海市药品监督管理局"),
            Project(_CO + "工业互联网科技有限公司", "{unit}工业互联网平台服务标准化试点", "工业互联网平台服务", _ECONOMY),
            Project(_CO + "新材料科技有限公司", "{unit}新材料研发与检测标准化试点", "新材料研发检测",
                    "上海市科学技术委员会"),
            Project(_CO + "汽车科技有限公司", "{unit}智能网联汽车测试服务标准化试点", "智能网联汽车测试", _ECONOMY),
        ),
        (Kpi("产品一次交验合格率", "higher", 95, 99, 2, 0.3, True), Kpi("研发周期（天）", "lower", 90, 240, 0, 0.15),
         Kpi("单位产值能耗（吨标准煤/万元）", "lower", 0.05, 0.3, 3, 0.1)),
        (Std("GB/T 39116-2020", "智能制造能力成熟度模型", "national", topics=_FACTORY),
         Std("GB/T 39117-2020", "智能制造能力成熟度评估方法", "national", topics=_FACTORY),
         Std("GB/T 37393-2019", "数字化车间 通用技术要求", "national", topics=_FACTORY),
         Std("GB/T 22239-2019", "信息安全技术 网络安全等级保护基本要求", "national", "GB/T 22239-2008", _NETWORKED),
         Std("GB/T 35273-2020", "信息安全技术 个人信息安全规范", "national", "GB/T 35273-2017", _NETWORKED),
         Std("ISO/IEC 27001:2013", "信息技术 安全技术 信息安全管理体系 要求", "international", topics=_NETWORKED),
         Std("GB/T 29490-2013", "企业知识产权管理规范", "national"),
         Std("YY/T 0287-2017", "医疗器械 质量管理体系 用于法规的要求", "industry", "YY/T 0287-2003", (_DEVICES,)),
         Std("ISO 13485:2016", "医疗器械 质量管理体系 用于法规的要求", "international", topics=(_DEVICES,)),
         Std("GB/T 27025-2019", "检测和校准实验室能力的通用要求", "national", "GB/T 27025-2008", _TESTING),
         Std("ISO/IEC 17025:2017", "检测和校准实验室能力的通用要求", "international", "ISO/IEC 17025:2005", _TESTING),
         Std("IATF 16949:2016", "汽车生产件及相关服务件组织的质量管理体系要求", "international", topics=(_VEHICLES,)),
         Std("DB31/T 1476-2021", "智能工厂建设评价导则", "local", topics=_FACTORY)),
    ),
    Domain(
        "服务业", 0.20, False,
        ("SHWLXH", "SHJZXH", "SHWYXH"),
        (
            Project(_CO + "供应链管理有限公司", "{unit}现代物流服务标准化试点", "现代物流服务", _COMMERCE),
            Project(_CO + "家政服务有限公司", "{unit}家政服务标准化试点", "家政服务", _COMMERCE),
            Project(_CO + "物业管理有限公司", "{unit}智慧物业服务标准化试点", "物业服务", "上海市房屋管理局"),
            Project(_CO + "数据科技有限公司", "{unit}大数据信息服务标准化试点", "数据信息服务", _ECONOMY),
            Project(_CO + "酒店管理有限公司", "{unit}酒店服务质量标准化试点", "酒店服务", _TOURISM),
            Project(_CO + "人力资源有限公司", "{unit}人力资源服务标准化试点", "人力资源服务", "上海市人力资源和社会保障局"),
            Project(_CO + "文化旅游发展有限公司", "{unit}旅游服务标准化试点", "旅游服务", _TOURISM),
        ),
        (Kpi("订单准时交付率", "higher", 90, 98, 1, 0.35, True), Kpi("平均响应时长（分钟）", "lower", 20, 60, 1, 0.25),
         Kpi("员工持证上岗率", "higher", 60, 90, 1, 0.4, True)),
        (Std("GB/T 28222-2011", "服务标准编写通则", "national"),
         Std("GB/T 27922-2011", "商品售后服务评价体系", "national"),
         Std("GB/T 18354-2021", "物流术语", "national", "GB/T 18354-2006", (_LOGISTICS,)),
         Std("GB/T 24359-2021", "第三方物流服务质量及测评", "national", "GB/T 24359-2009", (_LOGISTICS,)),
         Std("GB/T 21334-2017", "物流园区分类与规划基本要求", "national", topics=(_LOGISTICS,)),
         Std("GB/T 31771-2015", "家政服务 母婴护理服务质量规范", "national", topics=("家政服务",)),
         Std("SB/T 10847-2012", "家政服务业服务规范", "industry", topics=("家政服务",)),
         Std("GB/T 20647.9-2006", "社区服务指南 第9部分：物业服务", "national", topics=("物业服务",)),
         Std("GB/T 22239-2019", "信息安全技术 网络安全等级保护基本要求", "national", "GB/T 22239-2008", (_DATA,)),
         Std("GB/T 35273-2020", "信息安全技术 个人信息安全规范", "national", "GB/T 35273-2017", (_DATA,)),
         Std("ISO/IEC 20000-1:2018", "信息技术 服务管理 第1部分：服务管理体系要求", "international", topics=(_DATA,)),
         Std("GB/T 14308-2010", "旅游饭店星级的划分与评定", "national", "GB/T 14308-2003", ("酒店服务",)),
         Std("GB/T 17775-2003", "旅游景区质量等级的划分与评定", "national", topics=(_TRAVEL,)),
         Std("LB/T 065-2019", "旅游民宿基本要求与评价", "industry", "LB/T 065-2017", (_TRAVEL,)),
         Std("DB31/T 1478-2022", "服务业组织服务质量评价规范", "local", "DB31/T 1478-2015")),
    ),
    Domain(
        "节能环保", 0.10, False,
        ("SHJNXH", "SHHBCY"),
        (
            Project(_CO + "环保科技有限公司", "{unit}第三方环保服务标准化试点", "第三方环保服务", _ECOLOGY),
            Project(_CO + "能源科技有限公司", "{unit}合同能源管理服务标准化试点", "合同能源管理", _REFORM),
            Project(_CO + "再生资源利用有限公司", "{unit}资源综合利用标准化试点", "资源综合利用", _REFORM),
            Project(_CO + "涂料有限公司", "{unit}低VOCs含量涂料推广应用标准化试点", "低VOCs涂料生产", _ECOLOGY),
            Project(_CO + "节能技术服务有限公司", "{unit}节能诊断与咨询服务标准化试点", "节能诊断咨询", _REFORM),
        ),
        (Kpi("单位产值综合能耗（吨标准煤/万元）", "lower", 0.05, 0.3, 3, 0.12),
         Kpi("资源综合利用率", "higher", 70, 90, 1, 0.3, True), Kpi("VOCs排放量（吨/年）", "lower", 5, 40, 1, 0.2)),
        (Std("GB/T 32150-2015", "工业企业温室气体排放核算和报告通则", "national"),
         Std("GB/T 23331-2020", "能源管理体系 要求及使用指南", "national", "GB/T 23331-2012", _ENERGY),
         Std("GB/T 2589-2020", "综合能耗计算通则", "national", "GB/T 2589-2008", _ENERGY),
         Std("GB 17167-2006", "用能单位能源计量器具配备和管理通则", "national", topics=_ENERGY),
         Std("GB/T 15316-2009", "节能监测技术通则", "national", topics=_ENERGY),
         Std("GB/T 24915-2020", "合同能源管理技术通则", "national", "GB/T 24915-2010", ("合同能源管理",)),
         Std("ISO 50001:2018", "能源管理体系 要求及使用指南", "international", "ISO 50001:2011", _ENERGY),
         Std("GB 37822-2019", "挥发性有机物无组织排放控制标准", "national", topics=("第三方环保服务", _COATINGS)),
         Std("GB 18582-2020", "建筑用墙面涂料中有害物质限量", "national", topics=(_COATINGS,)),
         Std("GB/T 36132-2018", "绿色工厂评价通则", "national", topics=(_COATINGS, "资源综合利用")),
         Std("DB31/T 1481-2021", "合同能源管理服务规范", "local", topics=_ENERGY)),
    ),
    Domain(
        "农业农村", 0.12, True,
        ("SHNCXH", "SHSGXH"),
        (
            Project(_CO + "蔬果专业合作社", "上海市{district}{place}绿色蔬菜生产标准化试点", "绿色蔬菜生产", _AGRICULTURE),
            Project(_CO + "农业科技发展有限公司", "上海市{district}{place}智慧农业标准化试点", "智慧农业", _AGRICULTURE),
            Project(_GOV, "上海市{district}{place}美丽乡村建设标准化试点", "美丽乡村建设", _AGRICULTURE),
            Project(_CO + "稻米专业合作社", "上海市{district}{place}优质稻米生产标准化试点", "优质稻米生产", _AGRICULTURE),
            Project(_CO + "水产养殖专业合作社", "上海市{district}{place}生态水产养殖标准化试点", "生态水产养殖",
                    _AGRICULTURE),
        ),
        (Kpi("农产品抽检合格率", "higher", 96, 99.5, 2, 0.3, True), Kpi("亩均产值（元）", "higher", 8000, 20000, 0, 0.12),
         Kpi("化肥使用量（公斤/亩）", "lower", 20, 40, 1, 0.15)),
        (Std("GB/T 31600-2015", "农业综合标准化工作指南", "national"),
         Std("GB/T 32000-2015", "美丽乡村建设指南", "national", topics=(_VILLAGE,)),
         Std("GB/T 37072-2018", "美丽乡村建设评价", "national", topics=(_VILLAGE,)),
         Std("GB/T 19630-2019", "有机产品 生产、加工、标识与管理体系要求", "national", "GB/T 19630-2011", _FARMING),
         Std("NY/T 391-2021", "绿色食品 产地环境质量", "industry", "NY/T 391-2013", _CROPS),
         Std("NY/T 393-2020", "绿色食品 农药使用准则", "industry", "NY/T 393-2013", _CROPS),
         Std("NY/T 394-2021", "绿色食品 肥料使用准则", "industry", "NY/T 394-2013", _CROPS),
         Std("NY/T 5010-2016", "无公害农产品 种植业产地环境条件", "industry", topics=("绿色蔬菜生产",)),
         Std("GB/T 1354-2018", "大米", "national", "GB/T 1354-2009", ("优质稻米生产",)),
         Std("GB 11607-1989", "渔业水质标准", "national", topics=("生态水产养殖",)),
         Std("ISO 22000:2018", "食品安全管理体系 食品链中各类组织的要求", "international", "ISO 22000:2005", _FARMING),
         Std("DB31/T 1484-2021", "绿色农产品生产基地建设规范", "local", "DB31/T 1484-2016", _CROPS),
         Std("DB31/T 1486-2022", "美丽乡村建设评价规范", "local", topics=(_VILLAGE,))),
    ),
    Domain(
        "国际标准化", 0.08, False,
        ("SHGJBZ", "SHDQXH"),
        (
            Project(_CO + "国际工程有限公司", "{unit}海外工程项目标准体系建设试点", "海外工程项目管理", _COMMERCE),
            Project(_CO + "电气集团有限公司", "{unit}电力装备国际标准应用试点", "电力装备国际标准应用", _ECONOMY),
            Project(_CO + "进出口有限公司", "{unit}出口产品标准互认试点", "出口产品标准互认", _COMMERCE),
            Project(_CO + "港口服务有限公司", "{unit}港口服务国际标准化试点", "港口服务", "上海市交通委员会"),
        ),
        (Kpi("国际标准采标率", "higher", 40, 80, 1, 0.3, True), Kpi("出口产品合格率", "higher", 96, 99.5, 2, 0.3, True),
         Kpi("海外项目准时交付率", "higher", 85, 95, 1, 0.3, True)),
        (Std("GB/T 20000.2-2009", "标准化工作指南 第2部分：采用国际标准", "national", "GB/T 20000.2-2001"),
         Std("GB/T 1.2-2020", "标准化工作导则 第2部分：以ISO/IEC标准化文件为基础的标准化文件起草规则",
             "national"),
         Std("ISO 37001:2016", "反贿赂管理体系 要求及使用指南", "international"),
         Std("IEC 62271-1:2017", "高压开关设备和控制设备 第1部分：通用规范", "international", topics=(_POWER,)),
         Std("IEC 60076-1:2011", "电力变压器 第1部分：总则", "international", topics=(_POWER,)),
         Std("ISO/IEC 17025:2017", "检测和校准实验室能力的通用要求", "international", "ISO/IEC 17025:2005",
             (_EXPORT, _POWER)),
         Std("ISO 28000:2007", "供应链安全管理体系规范", "international", topics=(_PORT, _EXPORT)),
         Std("ISO 21500:2012", "项目管理指南", "international", topics=(_OVERSEAS,)),
         Std("ISO 45001:2018", "职业健康安全管理体系 要求及使用指南", "international", topics=(_OVERSEAS, _PORT)),
         Std("DB31/T 1489-2021", "采用国际标准和国外先进标准工作指南", "local")),
    ),
)

#: Every project with the index of its domain; the registry refers to projects by position here.
PROJECTS: tuple[tuple[int, Project], ...] = tuple((i, p) for i, m in enumerate(DOMAINS) for p in m.projects)

#: Standards that almost every pilot's register adopts (the DB31/T ones are invented city-wide
#: local standards, numbered above the pilots' own local standards).
COMMON_STANDARDS: tuple[Std, ...] = (
    Std("GB/T 24421.1-2023", "服务业组织标准化工作指南 第1部分：基本要求", "national", "GB/T 24421.1-2009"),
    Std("GB/T 24421.2-2023", "服务业组织标准化工作指南 第2部分：标准体系构建", "national", "GB/T 24421.2-2009"),
    Std("GB/T 24421.3-2023", "服务业组织标准化工作指南 第3部分：标准编写", "national", "GB/T 24421.3-2009"),
    Std("GB/T 24421.4-2023", "服务业组织标准化工作指南 第4部分：标准实施及评价", "national", "GB/T 24421.4-2009"),
    Std("GB/T 19273-2017", "企业标准化工作 评价与改进", "national", "GB/T 19273-2003"),
    Std("GB/T 15496-2017", "企业标准体系 要求", "national", "GB/T 15496-2003"),
    Std("GB/T 15497-2017", "企业标准体系 产品实现", "national", "GB/T 15497-2003"),
    Std("GB/T 15498-2017", "企业标准体系 基础保障", "national", "GB/T 15498-2003"),
    Std("GB/T 35778-2017", "企业标准化工作 指南", "national"),
    Std("GB/T 13016-2018", "标准体系构建原则和要求", "national", "GB/T 13016-2009"),
    Std("GB/T 13017-2018", "企业标准体系表编制指南", "national", "GB/T 13017-2008"),
    Std("GB/T 1.1-2020", "标准化工作导则 第1部分：标准化文件的结构和起草规则", "national", "GB/T 1.1-2009"),
    Std("GB/T 19001-2016", "质量管理体系 要求", "national", "GB/T 19001-2008"),
    Std("GB/T 24001-2016", "环境管理体系 要求及使用指南", "national", "GB/T 24001-2004"),
    Std("GB/T 45001-2020", "职业健康安全管理体系 要求及使用指南", "national"),
    Std("GB/T 19012-2019", "质量管理 顾客满意 组织投诉处理指南", "national", "GB/T 19012-2008"),
    Std("GB/T 3533.1-2017", "标准化效益评价 第1部分：经济效益评价通则", "national", "GB/T 3533.1-2009"),
    Std("GB/T 3533.2-2017", "标准化效益评价 第2部分：社会效益评价通则", "national"),
    Std("ISO 9001:2015", "质量管理体系 要求", "international", "ISO 9001:2008"),
    Std("ISO 10002:2018", "质量管理 顾客满意 组织投诉处理指南", "international", "ISO 10002:2014"),
    Std("DB31/T 1451-2021", "标准化试点项目建设与评价指南", "local", "DB31/T 1451-2017"),
    Std("DB31/T 1455-2022", "服务业组织标准实施自我评价规范", "local"),
)

#: Indicators every pilot reports (the scheme's ``kpi.投诉率.change`` needs 投诉率).
COMMON_KPIS: tuple[Kpi, ...] = (
    Kpi("投诉率", "lower", 0.8, 3.5, 2, 0.25),
    Kpi("服务满意度", "higher", 82, 93, 1, 0.3, True),
)
#: Offered to every domain beside its own indicators.
EXTRA_KPI = Kpi("标准覆盖率", "higher", 60, 85, 1, 0.4, True)

#: Title endings of the standards a pilot writes itself, by level; ``{topic}`` = the pilot's subject.
LOCAL_TITLES = ("{topic}服务规范", "{topic}管理规范", "{topic}服务质量评价规范", "{topic}运行管理规范",
                "{topic}技术规范", "{topic}信息化建设规范", "{topic}安全管理要求", "{topic}设施设备配置要求")
GROUP_TITLES = ("{topic}服务质量要求", "{topic}服务评价指南", "{topic}操作规程", "{topic}人员能力要求",
                "{topic}数字化建设指南", "{topic}服务合同示范文本", "{topic}服务等级划分与评定", "{topic}术语")
ENTERPRISE_TITLES = (
    "{topic}服务提供规范", "{topic}质量控制规范", "{topic}服务质量检查与考核规范", "{topic}应急处置规程",
    "{topic}作业指导书", "{topic}设施设备管理规范", "{topic}安全管理规范", "{topic}投诉处理规范",
    "{topic}服务流程规范", "{topic}信息系统运行维护规范", "{topic}档案管理规范", "{topic}现场管理规范",
    "标准化工作管理办法", "标准体系表编制说明", "标准实施监督检查办法", "员工培训管理规范", "人力资源管理规范",
    "财务管理规范", "采购管理规范", "合同管理规范", "文件和记录管理规范", "信息安全管理规范", "安全生产责任制规定",
    "消防安全管理规定", "环境卫生管理规范", "能源计量管理规范", "计量器具管理规范", "顾客满意度测评规范",
    "内部审核管理规范", "持续改进管理办法", "负责人岗位工作标准", "管理人员岗位工作标准", "一线员工岗位工作标准",
    "质检员岗位工作标准", "标准化专员岗位工作标准", "安全员岗位工作标准",
)
LEVEL_ORDER = ("international", "national", "industry", "local", "group", "enterprise")

#: Latent mean of each construct at average pilot quality, and how much quality moves it.
CONSTRUCT_LEVELS = {"awareness": (0.75, 0.35), "training": (0.7, 0.35), "compliance": (0.8, 0.3),
                    "satisfaction": (0.95, 0.3)}
LIKERT_CUTS = np.array([-1.9, -1.1, -0.25, 0.75])  # latent thresholds between answers 1|2|3|4|5
TRAIT_SD, ITEM_SD, MISSING_RATE = 0.75, 0.65, 0.015

#: Sizes per pilot (inclusive bounds): respondents by group, register rows, checklist items, experts.
RESPONDENTS = {"staff": (30, 70), "client": (30, 70)}
STANDARDS_PER_PILOT = (15, 60)
INSPECTION_ITEMS = (20, 40)
EXPERTS_PER_PANEL = (5, 7)

QUALITY = (-0.8, 0.25)      # latent quality of a pilot: mean, sd (tuned: most pass, some 优秀)
WEAK_SHARE = 0.08           # share of pilots far below the pass mark …
WEAK_QUALITY = (-2.3, 0.3)  # … with this quality
VETO_EVERY = 48             # one pilot in this many has a major incident
NAME_RETRIES = 5            # redraws of a pilot whose name repeats an earlier one


# ---------------------------------------------------------------------------------------
# entry point


def write_demo(out: Path, pilots: int = 48, seed: int = 2021) -> Path:
    """Write a synthetic campaign into ``out`` and return its ``campaign.yaml``.

    Parameters
    ----------
    out : Path
        Output directory (created if needed). Receives ``campaign.yaml``, the tables
        ``pilots.csv``, ``standards.csv``, ``surveys.csv``, ``inspections.csv``,
        ``kpis.csv``, ``experts.csv`` and ``schemes/``, ``questionnaires/`` copies of the
        demo scheme, standard implementation scheme and questionnaire; reports go to
        ``out/reports``.
    pilots : int, default 48
        Number of pilots; with 16 or more every district has one, with 7 or more every
        domain.
    seed : int, default 2021
        Seed of the random generator: the same seed and size give the same bytes.

    Returns
    -------
    Path
        The written campaign file.

    Examples
    --------
    >>> import tempfile
    >>> path = write_demo(Path(tempfile.mkdtemp()), pilots=20, seed=1)
    >>> path.name
    'campaign.yaml'
    """
    if pilots < 1:
        raise ValueError(f"pilots must be at least 1, got {pilots}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scheme_path, questionnaire_path = _copy_instruments(out)
    scheme, questionnaire = _instruments(scheme_path, questionnaire_path)
    tables = generate(pilots, seed, scheme, questionnaire)
    for name in TABLE_NAMES:
        _write_csv(tables[name], out / f"{name}.csv")
    campaign = {
        "id": CAMPAIGN_ID,
        "title": CAMPAIGN_TITLE,
        "description": f"evalkit demo --pilots {pilots} --seed {seed} 生成的合成数据，单位名称均为虚构。",
        "scheme": scheme_path.relative_to(out).as_posix(),
        "standard_scheme": f"schemes/{STANDARD_SCHEME_FILE}",
        "standard_reports_min_pilots": STANDARD_REPORTS_MIN_PILOTS,
        "questionnaire": questionnaire_path.relative_to(out).as_posix(),
        "data": {name: f"{name}.csv" for name in TABLE_NAMES},
        "reports": "reports",
        "districts": [district.name for district in DISTRICTS],
    }
    path = out / "campaign.yaml"
    _write_text(path, yaml.safe_dump(campaign, allow_unicode=True, sort_keys=False))
    return path


def packaged_file(name: str) -> Path:
    """The path of a file shipped in ``evalkit/data`` (the demo schemes and questionnaire)."""
    return Path(str(resources.files("evalkit") / "data" / name))


def _copy_instruments(out: Path) -> tuple[Path, Path]:
    targets = (out / "schemes" / SCHEME_FILE, out / "questionnaires" / QUESTIONNAIRE_FILE,
               out / "schemes" / STANDARD_SCHEME_FILE)
    for target in targets:
        target.parent.mkdir(exist_ok=True)
        _write_text(target, packaged_file(target.name).read_text(encoding="utf-8"))
    return targets[0], targets[1]


def _instruments(scheme_path: Path, questionnaire_path: Path) -> tuple[Scheme, Questionnaire]:
    scheme, problems = load_scheme(scheme_path)
    questionnaire, more = load_questionnaire(questionnaire_path)
    if scheme is None or questionnaire is None or problems or more:
        raise RuntimeError("the packaged demo scheme or questionnaire is invalid: "
                           + "; ".join(str(p) for p in problems + more))
    return scheme, questionnaire


def _write_text(path: Path, text: str) -> None:
    """Write through a temporary file, so an interrupted run never leaves half a file."""
    write_atomic(path, text.encode("utf-8"))


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    _write_text(path, frame.to_csv(index=False, lineterminator="\n"))


# ---------------------------------------------------------------------------------------
# generation


def generate(pilots: int, seed: int, scheme: Scheme, questionnaire: Questionnaire) -> dict[str, pd.DataFrame]:
    """The six tables of a synthetic campaign fitting ``scheme`` and ``questionnaire``.

    Parameters
    ----------
    pilots : int
        Number of pilots.
    seed : int
        Seed of the :class:`numpy.random.Generator`; all draws happen in a fixed order.
    scheme, questionnaire
        Supply the expert-scored indicators with their points, and the survey items.

    Returns
    -------
    dict of str to DataFrame
        ``pilots``, ``standards``, ``surveys``, ``inspections``, ``kpis``, ``experts``
        with the canonical English headers and codes of SPEC §3.
    """
    rng = np.random.default_rng(seed)
    registry = _registry(rng, pilots)
    standards = _standards(rng, registry)
    return {
        "pilots": _pilot_table(rng, registry),
        "standards": standards,
        "surveys": _surveys(rng, registry, questionnaire),
        "inspections": _inspections(rng, registry, standards),
        "kpis": _kpis(rng, registry),
        "experts": _experts(rng, registry, scheme),
    }


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _sample_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category per row of a (rows × categories) probability matrix (inverse CDF)."""
    cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    draws = rng.random(len(probabilities))
    return np.minimum((draws[:, None] > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _choose_distinct(rng: np.random.Generator, pool_sizes: np.ndarray,
                     counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each owner i, ``counts[i]`` distinct positions in ``range(pool_sizes[i])``.

    Returns the owner and the position of every pick, owners in order.
    """
    keys = rng.random((len(pool_sizes), int(pool_sizes.max())))
    keys[np.arange(keys.shape[1])[None, :] >= pool_sizes[:, None]] = np.inf
    order = np.argsort(keys, axis=1, kind="stable")
    taken = np.arange(keys.shape[1])[None, :] < np.minimum(counts, pool_sizes)[:, None]
    owners = np.broadcast_to(np.arange(len(pool_sizes))[:, None], keys.shape)
    return owners[taken], order[taken]


def _within(owners: np.ndarray) -> np.ndarray:
    """Position of each row among the rows of the same owner (owners sorted)."""
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    return np.arange(len(owners)) - np.repeat(starts, np.diff(np.r_[starts, len(owners)]))


def _text(values: np.ndarray | pd.Series) -> pd.Series:
    return pd.Series(np.asarray(values), dtype=object).astype(str)


# --- the registry ----------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    """The drawn pilots: text columns plus the indices and quality the other tables use."""

    frame: pd.DataFrame      # pilot_id, name, unit, district, domain, sponsor, start_date, end_date
    domain: np.ndarray       # index into DOMAINS
    project: np.ndarray      # index into PROJECTS
    quality: np.ndarray      # latent quality (QUALITY); weak pilots far below
    vetoed: np.ndarray       # bool: major incident and a critical nonconformity

    @property
    def size(self) -> int:
        return len(self.frame)

    @property
    def topic(self) -> np.ndarray:
        """Each pilot's subject, e.g. 社区养老服务 (for the titles of its own standards)."""
        return np.array([p.topic for _, p in PROJECTS], dtype=object)[self.project]


def _registry(rng: np.random.Generator, n: int) -> Registry:
    district = _districts(rng, n)
    domain = _domains(rng, district)
    order = np.lexsort((rng.random(n), district, domain))
    district, domain = district[order], domain[order]
    quality, vetoed = _quality(rng, n)
    texts = _describe_all(rng, district, domain)
    start = np.datetime64("2021-06-01") + rng.integers(0, 120, n)
    frame = pd.DataFrame({
        "pilot_id": [f"SH2021-{i + 1:03d}" for i in range(n)],
        "name": [t[0] for t in texts],
        "unit": [t[1] for t in texts],
        "district": [DISTRICTS[d].name for d in district],
        "domain": [DOMAINS[m].name for m in domain],
        "sponsor": [t[2] for t in texts],
        "start_date": pd.Series(start.astype(str)),
        "end_date": pd.Series(start.astype(str)).str.replace("2021-", "2023-", regex=False),
    })
    return Registry(frame, domain, np.array([t[3] for t in texts]), quality, vetoed)


def _districts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Every district once (in random order) while pilots last, the rest by weight."""
    weights = np.array([d.weight for d in DISTRICTS])
    first = rng.permutation(len(DISTRICTS))[:n]
    rest = rng.choice(len(DISTRICTS), size=max(n - len(DISTRICTS), 0), p=weights / weights.sum())
    return np.concatenate([first, rest])


def _domains(rng: np.random.Generator, district: np.ndarray) -> np.ndarray:
    """A domain per pilot by weight (rural domains only in rural districts); all seven when n ≥ 7."""
    allowed = np.array([[d.rural or not m.rural_only for m in DOMAINS] for d in DISTRICTS])
    weights = np.array([m.weight for m in DOMAINS])
    probabilities = allowed[district] * weights
    domain = _sample_rows(rng, probabilities)
    preference = rng.permutation(len(district))
    for m in range(len(DOMAINS)):
        counts = np.bincount(domain, minlength=len(DOMAINS))
        if counts[m] or len(district) < len(DOMAINS):
            continue
        movable = [i for i in preference if counts[domain[i]] > 1 and allowed[district[i], m]]
        if movable:
            domain[movable[0]] = m
    return domain


def _quality(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Latent quality per pilot; the weakest few pushed down; vetoed pilots are otherwise good."""
    quality = rng.normal(*QUALITY, n)
    order = rng.permutation(n)
    n_weak = int(round(n * WEAK_SHARE))
    quality[order[:n_weak]] = rng.normal(*WEAK_QUALITY, n_weak)
    n_veto = max(1, int(round(n / VETO_EVERY)))
    vetoed = np.zeros(n, dtype=bool)
    vetoed[order[n_weak:n_weak + n_veto]] = True
    quality[vetoed] = np.abs(quality[vetoed]) + 0.3
    return quality, vetoed


def _describe_all(rng: np.random.Generator, district: np.ndarray, domain: np.ndarray) -> list[tuple]:
    """Name, unit, sponsor and project of every pilot; a repeated name is drawn again (a few times)."""
    texts = [_describe(rng, DISTRICTS[d], m) for d, m in zip(district, domain)]
    for _ in range(NAME_RETRIES):
        repeated = np.flatnonzero(pd.Series([t[0] for t in texts]).duplicated().to_numpy())
        for i in repeated:
            texts[i] = _describe(rng, DISTRICTS[district[i]], domain[i])
    return texts


def _describe(rng: np.random.Generator, district: District, domain_index: int) -> tuple[str, str, str, int]:
    """Name, unit, sponsor and project (index into PROJECTS) of one pilot."""
    domain = DOMAINS[domain_index]
    choices = [i for i, (m, _) in enumerate(PROJECTS) if m == domain_index]
    index = choices[rng.integers(len(choices))]
    project = PROJECTS[index][1]
    places = [p for p in district.places if not domain.rural_only or not p.endswith("街道")]
    place = places[rng.integers(len(places))]
    office = next(o for suffix, o in PLACE_OFFICES if place.endswith(suffix))
    brand = BRANDS[rng.integers(len(BRANDS))]
    fields = {"district": district.name, "place": place, "office": office, "brand": brand}
    unit = project.unit.format(**fields)
    sponsor = project.sponsor if rng.random() < 0.5 else f"上海市{district.name}市场监督管理局"
    return project.name.format(unit=unit, **fields), unit, sponsor, index


def _pilot_table(rng: np.random.Generator, registry: Registry) -> pd.DataFrame:
    """The registry plus the columns the scheme reads as ``pilot.<column>`` metrics."""
    q, n = registry.quality, registry.size
    frame = registry.frame.copy()
    frame["training_sessions"] = np.maximum(np.round(rng.normal(8.5 + 2.5 * q, 1.5)), 1).astype(int)
    frame["standardization_staff"] = 3 + rng.poisson(np.clip(1.0 + 0.8 * q, 0.2, None))
    frame["rectification_days"] = np.round(np.clip(14.0 * np.exp(-0.35 * q + rng.normal(0, 0.25, n)), 3, 90))
    frame["rectification_days"] = frame["rectification_days"].astype(int)
    led = rng.random(n) < _logistic(-1.9 + 0.8 * q + 0.8 * _is_domain(registry, "高新技术", "国际标准化"))
    frame["led_national_standard"] = led.astype(int)
    frame["major_incident"] = registry.vetoed.astype(int)
    return frame


def _is_domain(registry: Registry, *names: str) -> np.ndarray:
    wanted = [i for i, m in enumerate(DOMAINS) if m.name in names]
    return np.isin(registry.domain, wanted)


# --- standards registers -----------------------------------------------------------------

STD_FIELDS = ("code", "title", "level", "old")


def _standard_pools() -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per project the real standards a register may adopt: padded (project × slot) arrays per field."""
    pools = [COMMON_STANDARDS + tuple(s for s in DOMAINS[m].standards if not s.topics or p.topic in s.topics)
             for m, p in PROJECTS]
    fields = {f: _padded([tuple(getattr(s, f) for s in pool) for pool in pools]) for f in STD_FIELDS}
    return fields, np.array([len(p) for p in pools])


def _standards(rng: np.random.Generator, registry: Registry) -> pd.DataFrame:
    """Each pilot's 标准明细表: adopted real standards plus its own local, group, enterprise ones."""
    n, q = registry.size, registry.quality
    total = rng.integers(STANDARDS_PER_PILOT[0], STANDARDS_PER_PILOT[1] + 1, n)
    pools, pool_sizes = _standard_pools()
    real = np.minimum(np.round(total * rng.uniform(0.35, 0.5, n)).astype(int), pool_sizes[registry.project])
    shares = rng.dirichlet([1.5, 2.0, 6.0], n)  # local, group, enterprise
    own = total - real
    local = np.round(own * shares[:, 0]).astype(int)
    group = np.round(own * shares[:, 1]).astype(int)
    frame = pd.concat([
        _adopted_rows(rng, registry, pools, pool_sizes, real),
        _own_rows(rng, registry, "local", local),
        _own_rows(rng, registry, "group", group),
        _own_rows(rng, registry, "enterprise", own - local - group),
    ], ignore_index=True)
    owner = frame["owner"].to_numpy()
    penalty = np.where(frame["status"] == "withdrawn", 1.0, 0.0)
    implemented = rng.random(len(frame)) < _logistic(4.0 + 1.0 * q[owner] - penalty)
    frame["implemented"] = np.where(implemented & (frame["status"] != "upcoming"), "yes", "no")
    level_rank = frame["level"].map({level: i for i, level in enumerate(LEVEL_ORDER)}).to_numpy()
    frame = frame.iloc[np.lexsort((frame["std_code"].to_numpy(), level_rank, owner))]
    frame.insert(0, "pilot_id", registry.frame["pilot_id"].to_numpy()[frame["owner"].to_numpy()])
    return frame.drop(columns="owner").reset_index(drop=True)


def _withdrawn_probability(q: np.ndarray) -> np.ndarray:
    return _logistic(-4.6 - 1.2 * q)


#: Share of registers that list a superseded edition as if it were still current.
STALE_STATUS = 0.3


def _adopted_rows(rng: np.random.Generator, registry: Registry, pools: dict[str, np.ndarray],
                  pool_sizes: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """Real standards from the pilot's project pool; an old edition listed instead is withdrawn —
    and :data:`STALE_STATUS` of the registers listing one still call it current."""
    owner, slot = _choose_distinct(rng, pool_sizes[registry.project], counts)
    project = registry.project[owner]
    old = pools["old"][project, slot]
    withdrawn = (old != "") & (rng.random(len(owner)) < 2.5 * _withdrawn_probability(registry.quality[owner]))
    stale = rng.random(len(owner)) < STALE_STATUS
    return pd.DataFrame({
        "owner": owner,
        "std_code": np.where(withdrawn, old, pools["code"][project, slot]),
        "title": pools["title"][project, slot],
        "level": pools["level"][project, slot],
        "status": np.where(withdrawn & ~stale, "withdrawn", "current"),
        "origin": "adopted",
    })


#: Per level of a pilot's own standards: title templates, and the share the pilot drafted
#: itself (the rest of its local standards are adopted; its own group and enterprise
#: standards are developed or revised).
OWN_LEVELS = {"local": (LOCAL_TITLES, 0.1), "group": (GROUP_TITLES, 1.0), "enterprise": (ENTERPRISE_TITLES, 1.0)}
STATUSES = np.array(["current", "withdrawn", "upcoming"])


def _own_rows(rng: np.random.Generator, registry: Registry, level: str, counts: np.ndarray) -> pd.DataFrame:
    """Local (DB31/T), group (T/…) or enterprise (Q/…) standards, numbered without repeats.

    A current edition's year follows from its number, so that two registers listing the
    same code number list the same edition (an older, withdrawn edition has an older year).
    """
    owner = np.repeat(np.arange(registry.size), counts)
    k = _within(owner)
    rows = len(owner)
    offset = rng.integers(0, 1000, registry.size)[owner]
    status = _sample_rows(rng, np.column_stack([
        np.full(rows, 0.97), _withdrawn_probability(registry.quality[owner]), np.full(rows, 0.01),
    ]))
    codes = _own_codes(rng, registry, level, owner, k, offset)
    number = codes.str.extract(r"(\d+)$", expand=False).astype(int).to_numpy()
    year = np.select([status == 1, status == 2], [rng.integers(2010, 2017, rows), 2023], 2017 + (3 * number) % 7)
    templates, drafted_share = OWN_LEVELS[level]
    drafted = rng.random(rows) < drafted_share
    revised = rng.random(rows) < 0.25
    return pd.DataFrame({
        "owner": owner,
        "std_code": codes + "-" + _text(year),
        "title": _titles(templates, registry.topic[owner], (offset + k) % len(templates)),
        "level": level,
        "status": STATUSES[status],
        "origin": np.where(drafted, np.where(revised, "revised", "developed"), "adopted"),
    })


def _own_codes(rng: np.random.Generator, registry: Registry, level: str, owner: np.ndarray, k: np.ndarray,
               offset: np.ndarray) -> pd.Series:
    """Codes without the year: ``DB31/T 1234``, ``T/SHYLXH 012``, ``Q/SHHX 0007``.

    A pilot's own local standards get numbers no other row of the campaign has (from 1500 up,
    in random order, above the shared ones), so one number never stands for two editions
    by accident.
    """
    if level == "local":
        return "DB31/T " + _text(1500 + rng.permutation(len(owner)))
    if level == "group":
        associations = _padded([m.associations for m in DOMAINS])
        choice = rng.integers(0, 1 << 16, registry.size)[owner]
        width = np.array([len(m.associations) for m in DOMAINS])[registry.domain[owner]]
        code = associations[registry.domain[owner], choice % width]
        return "T/" + _text(code) + " " + _text(1 + (offset + 7 * k) % 200).str.zfill(3)
    letters = np.array(list("ABCDEFGHJKLMNPQRSTWXYZ"), dtype=object)
    pairs = len(letters) ** 2  # one company code per pilot while there are enough
    chosen = rng.choice(pairs, size=registry.size, replace=registry.size > pairs)
    company = "SH" + letters[chosen // len(letters)] + letters[chosen % len(letters)]
    return "Q/" + _text(company[owner]) + " " + _text(k + 1).str.zfill(4)


def _padded(rows: list[tuple]) -> np.ndarray:
    """Rows of unequal length as one object array, padded with ''."""
    table = np.full((len(rows), max(len(r) for r in rows)), "", dtype=object)
    for i, row in enumerate(rows):
        table[i, :len(row)] = row
    return table


def _titles(templates: tuple[str, ...], topic: np.ndarray, index: np.ndarray) -> pd.Series:
    """Fill ``{topic}`` (only ever a prefix) of the chosen templates; 文化服务 + 服务规范 → 文化服务规范."""
    chosen = pd.Series(np.asarray(templates, dtype=object)[index])
    uses_topic = chosen.str.startswith("{topic}")
    titles = pd.Series(topic, dtype=object).where(uses_topic, "") + chosen.str.removeprefix("{topic}")
    return titles.str.replace("服务服务", "服务", regex=False)


# --- surveys -----------------------------------------------------------------------------


def _surveys(rng: np.random.Generator, registry: Registry, questionnaire: Questionnaire) -> pd.DataFrame:
    """One row per respondent; answers from a latent trait per construct (see the module notes)."""
    n = registry.size
    groups = tuple(RESPONDENTS)
    counts = np.column_stack([rng.integers(lo, hi + 1, n) for lo, hi in RESPONDENTS.values()])
    owner = np.repeat(np.arange(n), counts.sum(axis=1))
    k = _within(owner)
    before = np.cumsum(counts, axis=1) - counts  # respondents of earlier groups, per pilot
    group = (k[:, None] >= before[owner]).sum(axis=1) - 1
    number = k - before[owner, group] + 1
    frame = pd.DataFrame({
        "pilot_id": registry.frame["pilot_id"].to_numpy()[owner],
        "respondent_id": _text(np.array([g[0].upper() for g in groups], dtype=object)[group])
        + _text(number).str.zfill(3),
        "group": np.array(groups, dtype=object)[group],
    })
    constructs = list(questionnaire.constructs)
    levels = np.array([CONSTRUCT_LEVELS[c] for c in constructs])
    centre = levels[:, 0] + levels[:, 1] * registry.quality[:, None] + rng.normal(0, 0.15, (n, len(constructs)))
    trait = centre[owner] + TRAIT_SD * rng.standard_normal((len(owner), len(constructs)))
    for name, item in questionnaire.items.items():
        frame[name] = _answers(rng, trait[:, constructs.index(item.construct)], group == groups.index(item.group),
                               item.reverse, questionnaire)
    return frame


def _answers(rng: np.random.Generator, trait: np.ndarray, asked: np.ndarray, reverse: bool,
             questionnaire: Questionnaire) -> pd.arrays.IntegerArray:
    """One item's column: trait + item noise cut into the five points; blank when not asked or skipped."""
    low, high = questionnaire.scale_min, questionnaire.scale_max
    latent = trait + rng.normal(0, 0.15) + ITEM_SD * rng.standard_normal(len(trait))
    answer = low + np.searchsorted(LIKERT_CUTS, latent)
    if reverse:
        answer = low + high - answer
    blank = ~asked | (rng.random(len(trait)) < MISSING_RATE)
    return pd.arrays.IntegerArray(answer.astype(np.int8), blank)


# --- inspections -------------------------------------------------------------------------

RESULTS = np.array(["conform", "partial", "nonconform", "na"], dtype=object)
INSPECTORS = 40


def _inspections(rng: np.random.Generator, registry: Registry, standards: pd.DataFrame) -> pd.DataFrame:
    """20–40 checklist items per pilot against standards of its register; critical
    nonconformities only where the pilot is vetoed."""
    n, q = registry.size, registry.quality
    items = rng.integers(INSPECTION_ITEMS[0], INSPECTION_ITEMS[1] + 1, n)
    owner = np.repeat(np.arange(n), items)
    k = _within(owner)
    register = pd.Index(registry.frame["pilot_id"]).get_indexer(standards["pilot_id"])
    sizes = np.bincount(register, minlength=n)
    starts = np.cumsum(sizes) - sizes
    standard = starts[owner] + (rng.random(len(owner)) * sizes[owner]).astype(int)
    conform = _logistic(2.3 + 0.9 * q[owner])
    result = _sample_rows(rng, np.column_stack([
        conform, (1 - conform) * 0.65, (1 - conform) * 0.35, np.full(len(owner), 0.05),
    ]))
    critical = rng.random(len(owner)) < 0.12
    result[critical & (result == 2) & ~registry.vetoed[owner]] = 1
    first_of_vetoed = (k == 0) & registry.vetoed[owner]
    critical[first_of_vetoed], result[first_of_vetoed] = True, 2
    pair = rng.integers(INSPECTORS, size=n)
    partner = (pair + 1 + rng.integers(INSPECTORS - 1, size=n)) % INSPECTORS
    inspector = np.where(k < items[owner] // 2, pair[owner], partner[owner])
    return pd.DataFrame({
        "pilot_id": registry.frame["pilot_id"].to_numpy()[owner],
        "item_id": "JC" + _text(k + 1).str.zfill(2),
        "std_code": standards["std_code"].to_numpy()[standard],
        "inspector": "INS" + _text(inspector + 1).str.zfill(2),
        "result": RESULTS[result],
        "critical": np.where(critical, "yes", "no"),
    })


# --- KPIs --------------------------------------------------------------------------------


def _kpis(rng: np.random.Generator, registry: Registry) -> pd.DataFrame:
    """Every common indicator plus 1–3 of the domain's, each with a baseline and a final value."""
    n, q = registry.size, registry.quality
    catalogue = COMMON_KPIS + (EXTRA_KPI,) + tuple(k for m in DOMAINS for k in m.kpis)
    position = {k: i for i, k in enumerate(catalogue)}
    own = _padded([tuple(position[k] for k in (EXTRA_KPI,) + m.kpis) for m in DOMAINS]).astype(int)
    pool = np.full(n, own.shape[1])
    owner_extra, slot = _choose_distinct(rng, pool, rng.integers(1, 4, n))
    owner = np.concatenate([np.repeat(np.arange(n), len(COMMON_KPIS)), owner_extra])
    kpi = np.concatenate([np.tile(np.arange(len(COMMON_KPIS)), n), own[registry.domain[owner_extra], slot]])
    order = np.lexsort((kpi, owner))
    owner, kpi = owner[order], kpi[order]
    spec = {f: np.array([getattr(k, f) for k in catalogue])[kpi] for f in ("low", "high", "decimals", "gain")}
    lower = np.array([k.better == "lower" for k in catalogue])[kpi]
    percent = np.array([k.percent for k in catalogue])[kpi]
    baseline = rng.uniform(spec["low"], spec["high"])
    change = np.minimum(spec["gain"] * (1.2 + 0.45 * q[owner] + 0.45 * rng.standard_normal(len(kpi))), 0.9)
    final = np.select([lower, percent], [baseline * (1 - change), 100 - (100 - baseline) * (1 - change)],
                      baseline * (1 + change))
    scale = 10.0 ** spec["decimals"]
    values = np.column_stack([baseline, final])
    values = np.round(values * scale[:, None]) / scale[:, None]
    rows = len(kpi)
    return pd.DataFrame({
        "pilot_id": np.repeat(registry.frame["pilot_id"].to_numpy()[owner], 2),
        "indicator": np.repeat(np.array([k.name for k in catalogue], dtype=object)[kpi], 2),
        "period": np.tile(np.array(["baseline", "final"], dtype=object), rows),
        "value": values.ravel(),
        "better": np.repeat(np.where(lower, "lower", "higher"), 2),
    })


# --- expert panel ------------------------------------------------------------------------


def _experts(rng: np.random.Generator, registry: Registry, scheme: Scheme) -> pd.DataFrame:
    """Panels of 5–7 experts scoring the scheme's expert indicators in half points.

    Each (pilot, indicator) has a true standing driven by quality; every expert adds a
    personal leniency and noise, so panels agree well but not perfectly.
    """
    n = registry.size
    maxima = scheme.allocate()
    leaves = [leaf for leaf in scheme.leaves() if leaf.rule is not None and leaf.rule.name == "expert"]
    points = np.array([maxima[leaf.id] for leaf in leaves])
    standing = _logistic(1.7 + 0.9 * registry.quality[:, None] + rng.normal(0, 0.45, (n, len(leaves))))
    panel = rng.integers(EXPERTS_PER_PANEL[0], EXPERTS_PER_PANEL[1] + 1, n)
    owner = np.repeat(np.arange(n), panel)
    leniency = rng.normal(0, 0.05, len(owner))
    share = standing[owner] + leniency[:, None] + rng.normal(0, 0.07, (len(owner), len(leaves)))
    score = np.minimum(np.round(np.clip(share, 0, 1) * points * 2) / 2, points)
    return pd.DataFrame({
        "pilot_id": np.repeat(registry.frame["pilot_id"].to_numpy()[owner], len(leaves)),
        "expert_id": np.repeat(("E" + _text(_within(owner) + 1).str.zfill(2)).to_numpy(), len(leaves)),
        "indicator_id": np.tile(np.array([leaf.id for leaf in leaves], dtype=object), len(owner)),
        "score": score.ravel(),
    })
