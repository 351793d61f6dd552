"""What each report shows: the numbers and tables of a pilot, district or index page.

The functions here turn a :class:`~evalkit.report.cache.ScoredCampaign` into plain data —
DataFrames, dicts and frozen dataclasses — that the templates only format. Every number
comes from the campaign's tables, :class:`~evalkit.scoring.Scores` or the statistics
modules; nothing is scored twice, and metric definitions are reused from
:mod:`evalkit.metrics` rather than restated. Category codes are replaced by their
Chinese labels (:data:`evalkit.tables.vocabulary.CATEGORY_LABELS`) here, so templates never see codes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from evalkit.metrics import inspection as inspection_metrics
from evalkit.metrics import kpi as kpi_metrics
from evalkit.report.audit import card_leaves
from evalkit.report.cache import ScoredCampaign
from evalkit.report.layout import INDEX, district_path, href, pilot_path
from evalkit.report.provenance import (
    code_fingerprint,
    evalkit_version,
    input_records,
    package_versions,
)
from evalkit.rules import AGGREGATE_WORDS
from evalkit.scheme import Scheme
from evalkit.stats import MIN_N, KendallW, StatisticsWarning, kendall_w
from evalkit.tables.vocabulary import CATEGORY_LABELS

#: How many of the weakest indicators a pilot report turns into improvement suggestions.
SUGGESTIONS = 3

#: Chinese names of the input files, by :meth:`Campaign.input_files` role.
INPUT_ROLES = {
    "campaign": "评估活动文件",
    "scheme": "评分方案",
    "standard_scheme": "标准实施评价方案",
    "questionnaire": "调查问卷",
    "data.pilots": "试点名录",
    "data.standards": "标准明细表",
    "data.surveys": "问卷调查数据",
    "data.inspections": "现场检查记录",
    "data.kpis": "绩效指标",
    "data.experts": "专家评分",
}

#: Schmidt (1997): strength of agreement by Kendall's W, strongest first.
AGREEMENT = ((0.7, "专家意见高度一致"), (0.5, "专家意见较为一致"), (0.3, "专家意见一致性一般"), (0.0, "专家意见一致性较弱"))

NO_STANDARD = "（未关联标准）"


# --------------------------------------------------------------------------- shared


@dataclass(frozen=True)
class Summary:
    """Totals of a group of pilots (a district, or the whole city)."""

    pilots: int
    passed: int
    vetoed: int
    pass_rate: float
    mean: float
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, table: pd.DataFrame) -> Summary:
        totals = table["total"]
        return cls(
            pilots=len(table),
            passed=int(table["passed"].sum()),
            vetoed=int(table["vetoed"].sum()),
            pass_rate=float(table["passed"].mean()) if len(table) else math.nan,
            mean=float(totals.mean()),
            median=float(totals.median()),
            low=float(totals.min()),
            high=float(totals.max()),
        )


def dimensions(scheme: Scheme) -> list[tuple[str, str]]:
    """(id, label) of the scheme's top-level, non-bonus nodes: the dimensions charts compare."""
    return [(node.id, node.label) for node in scheme.indicators if not node.bonus]


def attainment(scored: ScoredCampaign) -> pd.DataFrame:
    """Each pilot's attainment (points ÷ maximum) of every dimension; index ``pilot_id``."""
    table = scored.scores.table.set_index("pilot_id")
    maxima = scored.scores.maxima
    return pd.DataFrame({node_id: table[node_id] / maxima[node_id] if maxima[node_id] > 0 else np.nan
                         for node_id, _ in dimensions(scored.scores.scheme)})


def city_ranks(table: pd.DataFrame) -> pd.Series:
    """Rank of each pilot of ``table`` by total, indexed by ``pilot_id``.

    1 is the highest total; ties share the better rank; pilots stopped by a veto (一票否决)
    rank after all others, whatever their points.
    """
    totals = table["total"].astype(float)
    below_all = totals.max() - totals.min() + 1
    key = totals - table["vetoed"].astype(float) * below_all
    return pd.Series(key.rank(ascending=False, method="min").astype(int).to_numpy(), index=table["pilot_id"])


def grade_counts(scheme: Scheme, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Pilots per grade (rows in the scheme's order), one column per named table."""
    labels = [grade.label for grade in scheme.grades]
    return pd.DataFrame({name: table["grade"].value_counts().reindex(labels, fill_value=0)
                         for name, table in tables.items()}).rename_axis("grade").reset_index()


def provenance(scored: ScoredCampaign) -> dict[str, Any]:
    """Versions and input hashes for the provenance block (see :mod:`evalkit.report.provenance`)."""
    campaign = scored.campaign
    return {
        "campaign_id": campaign.id,
        "evalkit": evalkit_version(),
        "code": code_fingerprint(),
        "packages": package_versions(),
        "scheme": campaign.scheme,
        "questionnaire": campaign.questionnaire,
        "inputs": [{**record, "label": INPUT_ROLES.get(record["role"], record["role"]),
                    "name": Path(record["path"]).name} for record in input_records(campaign)],
    }


def _label(category: str, codes: pd.Series) -> pd.Series:
    return codes.map(CATEGORY_LABELS[category]).fillna(codes)


def _rows_of(table: pd.DataFrame | None, pilot_id: str) -> pd.DataFrame | None:
    """The pilot's rows of a table, or None when the campaign has no such table or the pilot no rows."""
    if table is None:
        return None
    rows = table[table["pilot_id"] == pilot_id]
    return rows if len(rows) else None


# --------------------------------------------------------------------------- pilot


@dataclass(frozen=True)
class StandardsEvidence:
    """The pilot's standards register (标准明细表)."""

    register: pd.DataFrame
    by_level: pd.DataFrame
    count: int
    current_rate: float
    implemented_rate: float
    adopted: int
    developed: int


@dataclass(frozen=True)
class InspectionEvidence:
    """The pilot's on-site inspection, overall and by standard."""

    by_standard: pd.DataFrame
    totals: dict[str, int]
    conformity_rate: float


@dataclass(frozen=True)
class SurveyEvidence:
    """The pilot's survey: respondents per group and one row per construct."""

    respondents: dict[str, int]
    constructs: pd.DataFrame
    scale: tuple[int, int]


@dataclass(frozen=True)
class ExpertPanel:
    """The pilot's expert panel: scores by indicator and expert, and their agreement."""

    scores: pd.DataFrame
    experts: list[str]
    dropped: dict[str, list[str]]
    aggregate: str
    kendall: KendallW | None
    agreement: str


@dataclass(frozen=True)
class PilotContext:
    """Everything the per-pilot report shows."""

    title: str
    campaign_title: str
    pilot: dict[str, str]
    card: dict[str, Any]
    scheme: Scheme
    dimensions: pd.DataFrame
    city: dict[str, Any]
    standards: StandardsEvidence | None
    inspection: InspectionEvidence | None
    survey: SurveyEvidence | None
    kpis: pd.DataFrame | None
    experts: ExpertPanel | None
    scorecard: list[dict[str, Any]]
    weakest: list[dict[str, Any]]
    links: dict[str, str]
    provenance: dict[str, Any]


def pilot_context(scored: ScoredCampaign, pilot_id: str) -> PilotContext:
    """The per-pilot report's data.

    Parameters
    ----------
    scored : ScoredCampaign
    pilot_id : str

    Raises
    ------
    KeyError
        When the campaign has no such pilot.
    """
    campaign, scores = scored.campaign, scored.scores
    card = scores.card(pilot_id)
    row = campaign.pilots.set_index("pilot_id").loc[pilot_id]
    table = scores.table
    district_table = table[table["district"] == card["district"]]
    shares = attainment(scored)
    page = pilot_path(pilot_id)
    return PilotContext(
        title=f"{card['name']}验收评估报告",
        campaign_title=campaign.title,
        pilot={
            "pilot_id": pilot_id,
            "name": card["name"],
            "unit": str(row["unit"]),
            "district": card["district"],
            "domain": card["domain"],
            "period": f"{_date(row['start_date'])} 至 {_date(row['end_date'])}",
        },
        card=card,
        scheme=scores.scheme,
        dimensions=pd.DataFrame([
            {"id": node_id, "label": label, "max": scores.maxima[node_id],
             "points": table.set_index("pilot_id").at[pilot_id, node_id],
             "attainment": shares.at[pilot_id, node_id], "city": shares[node_id].mean()}
            for node_id, label in dimensions(scores.scheme)
        ]),
        city={
            "summary": Summary.of(table),
            "rank": int(city_ranks(table)[pilot_id]),
            "district_pilots": len(district_table),
            "district_rank": int(city_ranks(district_table)[pilot_id]),
        },
        standards=_standards(campaign.table("standards"), pilot_id),
        inspection=_inspection(campaign.table("inspections"), campaign.table("standards"), pilot_id),
        survey=_survey(scored, pilot_id),
        kpis=_kpis(campaign.table("kpis"), pilot_id),
        experts=_experts(scored, card, pilot_id),
        scorecard=list(_flatten(card["indicators"], _bonus_ids(scores.scheme))),
        weakest=_weakest(card, scores.scheme),
        links={"index": href(page, INDEX), "district": href(page, district_path(card["district"]))},
        provenance=provenance(scored),
    )


def _date(value: Any) -> str:
    return "—" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _standards(table: pd.DataFrame | None, pilot_id: str) -> StandardsEvidence | None:
    rows = _rows_of(table, pilot_id)
    if rows is None:
        return None
    levels, statuses = CATEGORY_LABELS["level"], CATEGORY_LABELS["status"]
    rows = rows.assign(level=pd.Categorical(rows["level"], categories=list(levels)),
                       implemented=rows["implemented"].astype("boolean").fillna(False))
    rows = rows.sort_values(["level", "std_code"], kind="stable")
    register = pd.DataFrame({
        "std_code": rows["std_code"],
        "title": rows["title"].fillna(""),
        "level": _label("level", rows["level"].astype(str)),
        "status": _label("status", rows["status"]),
        "origin": _label("origin", rows["origin"]),
        "implemented": rows["implemented"].map({True: "是", False: "否"}),
    })
    by_level = pd.crosstab(rows["level"], pd.Categorical(rows["status"], categories=list(statuses)), dropna=False)
    by_level = by_level.rename(index=levels, columns=statuses)
    by_level.insert(0, "合计", by_level.sum(axis=1))
    by_level["已实施"] = rows.groupby("level", observed=False)["implemented"].sum().astype(int).to_numpy()
    by_level = by_level[by_level["合计"] > 0]
    by_level.loc["合计"] = by_level.sum()
    return StandardsEvidence(
        register=register,
        by_level=by_level,
        count=len(rows),
        current_rate=float(rows["status"].eq("current").mean()),
        implemented_rate=float(rows["implemented"].mean()),
        adopted=int(rows["origin"].eq("adopted").sum()),
        developed=int(rows["origin"].isin(["developed", "revised"]).sum()),
    )


def _inspection(table: pd.DataFrame | None, standards: pd.DataFrame | None,
                pilot_id: str) -> InspectionEvidence | None:
    rows = _rows_of(table, pilot_id)
    if rows is None:
        return None
    codes = rows["std_code"].fillna("").astype(str) if "std_code" in rows else pd.Series("", index=rows.index)
    position, unique = pd.factorize(codes, sort=True)
    tally = inspection_metrics.counts(rows, position, len(unique))
    tally.insert(0, "std_code", [code or NO_STANDARD for code in unique])
    titles = _titles(standards, pilot_id)
    tally.insert(1, "title", [titles.get(code, "") for code in unique])
    tally["conformity_rate"] = _conformity(tally)
    totals = {name: int(tally[name].sum()) for name in ("checked", "applicable", "conform", "partial",
                                                          "nonconform", "na", "critical_nonconform")}
    return InspectionEvidence(
        by_standard=tally.sort_values(["conformity_rate", "std_code"], na_position="last", kind="stable"),
        totals=totals,
        conformity_rate=float(_conformity(pd.DataFrame([totals]))[0]),
    )


def _conformity(tally: pd.DataFrame) -> np.ndarray:
    """(conform + 0.5 × partial) ÷ applicable, with the weights of the metric; NaN without applicable items."""
    earned = sum(weight * tally[code].to_numpy(dtype=float) for code, weight in inspection_metrics.CONFORMITY.items())
    applicable = tally["applicable"].to_numpy(dtype=float)
    return np.divide(earned, applicable, out=np.full(len(tally), np.nan), where=applicable > 0)


def _titles(standards: pd.DataFrame | None, pilot_id: str) -> dict[str, str]:
    rows = _rows_of(standards, pilot_id)
    if rows is None:
        return {}
    return dict(zip(rows["std_code"], rows["title"].fillna(""), strict=True))


def _survey(scored: ScoredCampaign, pilot_id: str) -> SurveyEvidence | None:
    campaign = scored.campaign
    surveys = campaign.table("surveys")
    rows = _rows_of(surveys, pilot_id)
    if rows is None:
        return None
    questionnaire = campaign.questionnaire
    summary = scored.survey_summary
    city = summary.groupby("construct", sort=False)["score"].mean()
    constructs = summary[summary["pilot_id"] == pilot_id].drop(columns="pilot_id").reset_index(drop=True)
    groups = [questionnaire.items[questionnaire.items_of(c)[0]].group for c in constructs["construct"]]
    constructs.insert(2, "group", [CATEGORY_LABELS["group"].get(g, g) for g in groups])
    constructs.insert(3, "items", [len(questionnaire.items_of(c)) for c in constructs["construct"]])
    constructs["city_score"] = constructs["construct"].map(city).to_numpy(dtype=float)
    respondents = _label("group", rows["group"]).value_counts()
    return SurveyEvidence(
        respondents={label: int(respondents.get(label, 0)) for label in CATEGORY_LABELS["group"].values()},
        constructs=constructs,
        scale=(questionnaire.scale_min, questionnaire.scale_max),
    )


def _kpis(table: pd.DataFrame | None, pilot_id: str) -> pd.DataFrame | None:
    rows = _rows_of(table, pilot_id)
    if rows is None:
        return None
    pairs = kpi_metrics.paired(rows, np.zeros(len(rows), dtype=int)).droplevel("pilot")
    order = list(dict.fromkeys(rows["indicator"]))
    pairs = pairs.reindex(order)
    change = kpi_metrics.change(pairs)
    return pd.DataFrame({
        "indicator": order,
        "better": _label("better", pairs["better"]).to_numpy(),
        "baseline": pairs["baseline"].to_numpy(),
        "final": pairs["final"].to_numpy(),
        "change": change.to_numpy(),
        "improved": [None if pd.isna(c) else bool(c > 0) for c in change],
    })


def _experts(scored: ScoredCampaign, card: dict[str, Any], pilot_id: str) -> ExpertPanel | None:
    rows = _rows_of(scored.campaign.table("experts"), pilot_id)
    if rows is None:
        return None
    scheme = scored.scores.scheme
    scales = scheme.leaf_scales()
    leaves = {leaf["metric"]: leaf for leaf in card_leaves(card["indicators"])}
    wide = rows.pivot_table(index="indicator_id", columns="expert_id", values="score", aggfunc="first")
    order = [leaf.id for leaf in scheme.leaves() if leaf.id in wide.index]
    order += sorted(set(wide.index) - set(order))
    wide = wide.reindex(order)
    experts = sorted(wide.columns)
    labels = {node.id: node.label for node in scheme.nodes()}
    scores = pd.DataFrame({
        "id": order,
        "label": [labels.get(i, "") for i in order],
        "max": [scales.get(i, math.nan) for i in order],
        **{expert: wide[expert].to_numpy() for expert in experts},
        "aggregate": [leaves.get(f"expert.{i}", {}).get("value") for i in order],
    })
    dropped = {i: leaves.get(f"expert.{i}", {}).get("evidence", {}).get("dropped", []) for i in order}
    kendall, agreement = _agreement(wide[experts].div(scores["max"].to_numpy(), axis=0))
    return ExpertPanel(scores=scores, experts=experts, dropped=dropped,
                       aggregate=_aggregate_words(scheme.expert_aggregate, dropped),
                       kendall=kendall, agreement=agreement)


def _aggregate_words(aggregate: str, dropped: Mapping[str, list[str]]) -> str:
    """How this pilot's expert scores were aggregated: ``trimmed_mean`` drops the highest and
    the lowest score only where at least five experts scored (SPEC §5), else it is the mean."""
    if aggregate == "trimmed_mean" and not any(dropped.values()):
        aggregate = "mean"
    words = AGGREGATE_WORDS.get(aggregate, aggregate).removeprefix("的")  # "按“中位数”汇总"
    if aggregate == "trimmed_mean" and not all(dropped.values()):
        words += "（不足 5 位专家评分的指标直接平均）"
    return words


def _agreement(shares: pd.DataFrame) -> tuple[KendallW | None, str]:
    """Kendall's W over indicators (objects) × experts (raters), on score ÷ maximum, and its reading."""
    complete = shares.dropna()
    if shares.shape[1] < 2:
        return None, "仅有 1 位专家评分，无法计算专家意见一致性。"
    if len(complete) < MIN_N:
        return None, f"全体专家共同评分的指标少于 {MIN_N} 项，无法计算 Kendall 协调系数。"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticsWarning)
        result = kendall_w(complete)
    if math.isnan(result.w):
        return None, "各位专家对全部指标给出相同的得分率，无法计算 Kendall 协调系数。"
    reading = next(text for bound, text in AGREEMENT if result.w >= bound)
    significance = "显著" if result.pvalue < 0.05 else "不显著"
    return result, f"{reading}（χ² 检验在 0.05 水平上{significance}）。"


def _flatten(nodes: list[dict[str, Any]], bonus: set[str], depth: int = 0) -> Iterator[dict[str, Any]]:
    """Scorecard rows depth first, each with its ``depth``, ``leaf`` and ``bonus`` flags and
    its :func:`_shown_attainment`."""
    for node in nodes:
        yield {**node, "attainment": _shown_attainment(node), "depth": depth, "leaf": "children" not in node,
               "bonus": node["id"] in bonus}
        if "children" in node:
            yield from _flatten(node["children"], bonus, depth + 1)


def _shown_attainment(node: dict[str, Any]) -> float | None:
    """Points ÷ max of a scorecard node, as the page shows them: the card's own attainment is
    rounded to four decimals already, and rounding it again for a percentage with one
    decimal can differ from the points shown beside it (7.5647/10 would read 75.7 %)."""
    return node["points"] / node["max"] if node["max"] else None


def _bonus_ids(scheme: Scheme) -> set[str]:
    return {node.id for node in scheme.indicators if node.bonus}


def _weakest(card: dict[str, Any], scheme: Scheme) -> list[dict[str, Any]]:
    """The :data:`SUGGESTIONS` non-bonus leaves with the lowest attainment (most points lost on ties).

    Leaves at full points are never suggested, so a strong pilot may get fewer.
    """
    bonus = _bonus_ids(scheme)
    candidates = [leaf for top in card["indicators"] if top["id"] not in bonus
                  for leaf in card_leaves([top]) if leaf["max"] > 0 and leaf["points"] < leaf["max"]]
    candidates.sort(key=lambda leaf: (_shown_attainment(leaf), leaf["points"] - leaf["max"]))
    return [{**leaf, "attainment": _shown_attainment(leaf), "lost": leaf["max"] - leaf["points"],
             "note": scheme.node(leaf["id"]).note} for leaf in candidates[:SUGGESTIONS]]


# --------------------------------------------------------------------------- district


@dataclass(frozen=True)
class DistrictContext:
    """Everything the per-district report shows."""

    title: str
    campaign_title: str
    district: str
    scheme: Scheme
    pilots: pd.DataFrame
    summary: Summary
    city: Summary
    grades: pd.DataFrame
    dimensions: pd.DataFrame
    domains: pd.DataFrame
    totals: list[float]
    city_totals: list[float]
    links: dict[str, str]
    provenance: dict[str, Any]
    failed_standards: pd.DataFrame | None = None


def district_context(scored: ScoredCampaign, district: str) -> DistrictContext:
    """The per-district report's data.

    Raises
    ------
    KeyError
        When no pilot of the campaign is in ``district``.
    """
    from evalkit.report.standard import failed_standards

    scores = scored.scores
    table = scores.table
    rows = table[table["district"] == district]
    if rows.empty:
        raise KeyError(f"no pilot of campaign '{scored.campaign.id}' is in district '{district}'")
    page = district_path(district)
    ranked = _ranked(rows, page).assign(city_rank=lambda f: f["pilot_id"].map(city_ranks(table)))
    shares = attainment(scored)
    mine = shares.loc[rows["pilot_id"]]
    return DistrictContext(
        title=f"{district}标准化试点验收评估汇总报告",
        campaign_title=scored.campaign.title,
        district=district,
        scheme=scores.scheme,
        pilots=ranked,
        summary=Summary.of(rows),
        city=Summary.of(table),
        grades=grade_counts(scores.scheme, {"district": rows, "city": table}),
        dimensions=pd.DataFrame([{"id": node_id, "label": label, "district": mine[node_id].mean(),
                                  "city": shares[node_id].mean()}
                                 for node_id, label in dimensions(scores.scheme)]),
        domains=_domains(rows),
        totals=rows["total"].tolist(),
        city_totals=table["total"].tolist(),
        links={"index": href(page, INDEX)},
        provenance=provenance(scored),
        failed_standards=failed_standards(scored, district),
    )


def _ranked(rows: pd.DataFrame, page: PurePosixPath) -> pd.DataFrame:
    """Pilots in rank order (:func:`city_ranks` within ``rows``, ties by id), with links from ``page``."""
    ranks = city_ranks(rows)
    ranked = rows.assign(_rank=ranks.to_numpy()).sort_values(["_rank", "pilot_id"], kind="stable")
    return pd.DataFrame({
        "rank": ranked["_rank"].to_numpy(),
        "pilot_id": ranked["pilot_id"].to_numpy(),
        "href": [href(page, pilot_path(p)) for p in ranked["pilot_id"]],
        "name": ranked["name"].to_numpy(),
        "district": ranked["district"].to_numpy(),
        "district_href": [href(page, district_path(d)) for d in ranked["district"]],
        "domain": ranked["domain"].to_numpy(),
        "total": ranked["total"].to_numpy(),
        "grade": ranked["grade"].to_numpy(),
        "passed": ranked["passed"].to_numpy(),
        "vetoed": ranked["vetoed"].to_numpy(),
    })


def _domains(rows: pd.DataFrame) -> pd.DataFrame:
    grouped = rows.groupby("domain", sort=True)
    return pd.DataFrame({
        "pilots": grouped.size(),
        "passed": grouped["passed"].sum().astype(int),
        "pass_rate": grouped["passed"].mean(),
        "mean": grouped["total"].mean(),
    }).rename_axis("domain").reset_index().sort_values(["pilots", "domain"], ascending=[False, True], kind="stable")


# --------------------------------------------------------------------------- index


@dataclass(frozen=True)
class IndexContext:
    """Everything the campaign's index page shows."""

    title: str
    campaign_title: str
    scheme: Scheme
    summary: Summary
    grades: pd.DataFrame
    districts: pd.DataFrame
    pilots: pd.DataFrame
    provenance: dict[str, Any]
    standards: pd.DataFrame | None = None
    standard_scheme: Scheme | None = None
    standards_scored: int = 0
    standard_reports_min_pilots: int = 0


def index_context(scored: ScoredCampaign) -> IndexContext:
    """The index page's data: every pilot, every district, the campaign's totals.

    With a standard implementation scheme, also the standards that have their own report
    (:func:`evalkit.report.standard.standards_overview`).
    """
    from evalkit.report.standard import standards_overview

    scores = scored.scores
    table = scores.table
    grouped = table.groupby("district", sort=True)
    districts = pd.DataFrame({
        "pilots": grouped.size(),
        "passed": grouped["passed"].sum().astype(int),
        "vetoed": grouped["vetoed"].sum().astype(int),
        "pass_rate": grouped["passed"].mean(),
        "mean": grouped["total"].mean(),
    }).rename_axis("district").reset_index()
    districts.insert(1, "href", [href(INDEX, district_path(d)) for d in districts["district"]])
    pilots = _ranked(table, INDEX).sort_values("pilot_id", kind="stable").reset_index(drop=True)
    return IndexContext(
        title=f"{scored.campaign.title}：总览",
        campaign_title=scored.campaign.title,
        scheme=scores.scheme,
        summary=Summary.of(table),
        grades=grade_counts(scores.scheme, {"city": table}),
        districts=districts,
        pilots=pilots,
        provenance=provenance(scored),
        standards=standards_overview(scored),
        standard_scheme=scored.standards.scheme if scored.standards is not None else None,
        standards_scored=len(scored.standards.table) if scored.standards is not None else 0,
        standard_reports_min_pilots=scored.campaign.standard_reports_min_pilots,
    )
