"""The vocabulary of campaign tables: their columns, Chinese header aliases and category codes.

Every table a campaign provides (``pilots``, ``standards``, ``surveys``, ``inspections``,
``kpis``, ``experts``, and for the reports ``opinions`` — the 专家组意见 per pilot — and
``expert_names`` — the panel's names for its expert codes) is described here once — its
columns, the English names and Chinese aliases accepted as headers, the kind of value each holds, its unique key — together with
the category codes and the Chinese labels accepted for them. The readers
(:mod:`evalkit.tables.readers`) and the conversion into typed frames
(:mod:`evalkit.tables.conversion`) work from these definitions; the contract is in
``docs/architecture.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Canonical category codes and the labels accepted for them (case-insensitive).
CATEGORIES: dict[str, dict[str, tuple[str, ...]]] = {
    "level": {
        "international": ("国际标准", "国际"),
        "national": ("国家标准", "国标", "国家"),
        "industry": ("行业标准", "行标", "行业"),
        "local": ("地方标准", "地标", "地方"),
        "group": ("团体标准", "团标", "团体"),
        "enterprise": ("企业标准", "企标", "企业"),
    },
    "status": {
        "current": ("现行", "现行有效", "有效"),
        "withdrawn": ("废止", "作废"),
        "upcoming": ("即将实施",),
    },
    "origin": {
        "adopted": ("采用",),
        "developed": ("制定", "自主制定"),
        "revised": ("修订",),
    },
    "group": {
        "staff": ("员工", "职工"),
        "client": ("服务对象", "顾客", "客户"),
    },
    "result": {
        "conform": ("符合", "✓", "√", "☑", "✔"),
        "partial": ("基本符合", "部分符合"),
        "nonconform": ("不符合", "×", "✗", "☒", "✘"),
        "na": ("不适用", "n/a"),
    },
    "period": {
        "baseline": ("基期", "基线", "试点前"),
        "final": ("末期", "试点后"),
    },
    "better": {
        "higher": ("越高越好", "高", "正向"),
        "lower": ("越低越好", "低", "负向"),
    },
}

#: Labels of category codes for reports (the first Chinese alias).
CATEGORY_LABELS: dict[str, dict[str, str]] = {
    name: {code: aliases[0] for code, aliases in codes.items()} for name, codes in CATEGORIES.items()
}

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "是", "已实施", "实施", "有", "√"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "否", "未实施", "无", "×"})
#: Every word read as yes or no.
BOOL_WORDS = TRUE_WORDS | FALSE_WORDS
BOOL_VALUES = {**dict.fromkeys(FALSE_WORDS, False), **dict.fromkeys(TRUE_WORDS, True)}


@dataclass(frozen=True)
class Column:
    """One column of a campaign table.

    ``kind`` is one of ``id`` (text, required), ``text``, ``category`` (values of
    :data:`CATEGORIES` under ``category``), ``number``, ``bool``, ``date``, ``datetime``
    and ``duration`` (seconds: ``183秒``, ``3分3秒``, ``183``). ``required`` columns must be
    in the file; their cells may be blank when ``nullable`` (default: not ``required``).
    """

    name: str
    aliases: tuple[str, ...]
    kind: str = "text"
    required: bool = True
    category: str | None = None
    default: object = None
    nullable: bool | None = None

    @property
    def blank_allowed(self) -> bool:
        return not self.required if self.nullable is None else self.nullable


@dataclass(frozen=True)
class TableSpec:
    """The columns of one table; ``key`` columns identify a row and must be unique together."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: What other columns are: ``ignore`` (noted and ignored), ``metrics`` (pilots: the
    #: ``pilot.<column>`` metrics) or ``items`` (surveys: the questionnaire's items).
    extra_columns: str = "ignore"
    label: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def header_aliases(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for col in self.columns:
            for alias in (col.name, *col.aliases):
                mapping[alias.strip().lower()] = col.name
        return mapping


_PILOT_ID = Column("pilot_id", ("试点编号", "项目编号", "编号"), "id")

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "pilots",
            (
                _PILOT_ID,
                Column("name", ("试点名称", "项目名称", "名称")),
                Column("unit", ("承担单位", "单位")),
                Column("district", ("所属区", "区", "所在区")),
                Column("domain", ("试点领域", "领域")),
                Column("start_date", ("开始日期", "起始日期"), "date", required=False),
                Column("end_date", ("结束日期", "截止日期"), "date", required=False),
            ),
            key=("pilot_id",),
            extra_columns="metrics",
            label="试点名录",
        ),
        TableSpec(
            "standards",
            (
                _PILOT_ID,
                Column("std_code", ("标准编号", "标准号"), "id"),
                Column("title", ("标准名称", "名称"), required=False, default=""),
                # inferred from the code where absent or blank (evalkit.tables.standard_codes.code_levels)
                Column("level", ("层级", "标准层级", "级别", "标准级别"), "category", required=False, category="level"),
                Column("status", ("状态", "标准状态"), "category", category="status"),
                # without it the origin metrics are missing for every pilot (noted)
                Column("origin", ("来源", "标准来源"), "category", required=False, category="origin", nullable=False),
                Column("implemented", ("是否实施", "实施"), "bool"),
            ),
            key=("pilot_id", "std_code"),
            label="标准明细表",
        ),
        TableSpec(
            "surveys",
            (
                _PILOT_ID,
                Column("respondent_id", ("答卷编号", "受访者编号", "问卷编号"), "id"),
                Column("group", ("群体", "对象类别", "受访者类别"), "category", category="group"),
                # respondent metadata of questionnaire platforms (问卷星, 腾讯问卷), for data-quality checks
                Column("submitted_at", ("提交答卷时间", "提交时间", "结束答题时间", "答卷提交时间"), "datetime",
                       required=False),
                Column("duration_s", ("所用时间", "答题时长", "填写用时", "用时"), "duration", required=False),
                Column("ip", ("来自IP", "IP", "IP地址", "来源IP"), required=False),
            ),
            key=("pilot_id", "respondent_id"),
            extra_columns="items",
            label="问卷",
        ),
        TableSpec(
            "inspections",
            (
                _PILOT_ID,
                Column("item_id", ("检查项编号", "检查项"), "id"),
                Column("std_code", ("标准编号", "标准号"), required=False),
                Column("inspector", ("检查员", "检查人"), required=False),
                Column("result", ("检查结果", "结果"), "category", category="result"),
                Column("critical", ("是否关键项", "关键项", "严重"), "bool", required=False, default=False),
                Column("note", ("备注",), required=False),  # shown beside the item in the reports
            ),
            key=("pilot_id", "item_id"),
            label="现场检查",
        ),
        TableSpec(
            "kpis",
            (
                _PILOT_ID,
                Column("indicator", ("指标", "指标名称"), "id"),
                Column("period", ("期别", "时期"), "category", category="period"),
                Column("value", ("数值", "值"), "number"),
                Column("better", ("方向", "优化方向"), "category", category="better"),
            ),
            key=("pilot_id", "indicator", "period"),
            label="绩效指标",
        ),
        TableSpec(
            "experts",
            (
                _PILOT_ID,
                Column("expert_id", ("专家编号", "专家"), "id"),
                Column("indicator_id", ("指标编号", "评分指标"), "id"),
                Column("score", ("得分", "评分", "分数"), "number"),
            ),
            key=("pilot_id", "expert_id", "indicator_id"),
            label="专家评分",
        ),
        TableSpec(
            "opinions",
            (
                _PILOT_ID,
                Column("text", ("专家组意见", "评审意见", "意见")),
            ),
            key=("pilot_id",),
            label="专家组意见",
        ),
        TableSpec(
            "expert_names",
            (
                Column("expert_id", ("专家编号", "编号"), "id"),
                Column("name", ("专家姓名", "姓名")),
                Column("title", ("职称",), required=False, default=""),
                Column("affiliation", ("工作单位", "单位"), required=False, default=""),
            ),
            key=("expert_id",),
            label="专家名单",
        ),
    )
}

#: Survey columns only questionnaire platforms write (问卷星's 提交答卷时间, 所用时间, 来自IP …):
#: a file that has one is a platform's download.
RESPONDENT_METADATA = ("submitted_at", "duration_s", "ip")

OPTIONAL_TABLES = frozenset({"standards", "kpis", "experts", "opinions", "expert_names"})
