"""What the per-pilot acceptance report (验收评估报告) shows: :func:`pilot_context`.

It turns a :class:`~evalkit.scored.ScoredCampaign` into plain data — DataFrames,
dicts and frozen dataclasses — that the template ``pilot.html.j2`` only formats. Every
number comes from the campaign's tables, :class:`~evalkit.scoring.Scores` or the
statistics modules; nothing is scored twice, and metric definitions are reused from
:mod:`evalkit.metrics` rather than restated. Category codes are replaced by their Chinese
labels (:data:`evalkit.tables.vocabulary.CATEGORY_LABELS`) here, so templates never see codes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.campaign import Campaign, Evaluation
from evalkit.metrics import inspection as inspection_metrics
from evalkit.metrics import kpi as kpi_metrics
from evalkit.report.audit import card_leaves
from evalkit.report.context.facts import (
    Summary,
    VetoFinding,
    attainment,
    bonus_ids,
    category_labels,
    city_ranks,
    dimensions,
    provenance,
    reported_standards,
    rows_of,
    scorecard_rows,
    shown_attainment,
    standard_links,
    veto_findings,
)
from evalkit.report.layout import INDEX, district_path, href, pilot_path
from evalkit.rules import AGGREGATE_WORDS
from evalkit.scheme import Scheme
from evalkit.scored import ScoredCampaign
from evalkit.stats import MIN_N, KendallW, StatisticsWarning, kendall_w
from evalkit.tables.standard_codes import normalise_codes
from evalkit.tables.vocabulary import CATEGORY_LABELS

#: How many of the weakest indicators a pilot report turns into improvement suggestions.
SUGGESTIONS = 3

#: Schmidt (1997): strength of agreement by Kendall's W, strongest first.
AGREEMENT = ((0.7, "专家意见高度一致"), (0.5, "专家意见较为一致"), (0.3, "专家意见一致性一般"), (0.0, "专家意见一致性较弱"))

NO_STANDARD = "（未关联标准）"


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
    """The pilot's on-site inspection, overall and by standard.

    ``items`` lists the checklist items a reader must see one by one — every item found
    nonconforming (critical ones first) or partly conforming, and every item with a remark
    (备注) — with ``item_id``,
    ``std_code``, ``result`` (Chinese), ``critical`` and ``note`` ('' without one).
    """

    by_standard: pd.DataFrame
    totals: dict[str, int]
    conformity_rate: float
    items: pd.DataFrame


@dataclass(frozen=True)
class SurveyEvidence:
    """The pilot's survey: respondents per group and one row per construct."""

    respondents: dict[str, int]
    constructs: pd.DataFrame
    scale: tuple[int, int]


@dataclass(frozen=True)
class ExpertPanel:
    """The pilot's expert panel: scores by indicator and expert, and their agreement.

    ``experts`` are the codes of ``experts.expert_id`` (columns of ``scores``); ``names``
    gives each the name a page shows — from the ``expert_names`` table, else the code
    itself (which may be a name already); ``roster`` lists them with ``title`` and
    ``affiliation`` when the table gives them.
    """

    scores: pd.DataFrame
    experts: list[str]
    names: dict[str, str]
    roster: pd.DataFrame
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
    vetoes: list[VetoFinding]
    dimensions: pd.DataFrame
    city: dict[str, Any]
    standards: StandardsEvidence | None
    inspection: InspectionEvidence | None
    survey: SurveyEvidence | None
    kpis: pd.DataFrame | None
    experts: ExpertPanel | None
    opinion: str | None
    scorecard: list[dict[str, Any]]
    weakest: list[dict[str, Any]]
    evaluation: Evaluation
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
    reported = set(reported_standards(scored))

    def link(codes: pd.Series) -> np.ndarray:
        """Links to the reports of standards as a register writes them (None: no report)."""
        return standard_links(normalise_codes(codes.fillna("").astype(str)), reported, page).to_numpy()

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
        vetoes=veto_findings(card, _veto_evidence(campaign, pilot_id, card["vetoes"])),
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
        standards=_standards(campaign.table("standards"), pilot_id, link),
        inspection=_inspection(campaign.table("inspections"), campaign.table("standards"), pilot_id, link),
        survey=_survey(scored, pilot_id),
        kpis=_kpis(campaign.table("kpis"), pilot_id),
        experts=_experts(scored, card, pilot_id),
        opinion=_opinion(campaign.table("opinions"), pilot_id),
        scorecard=list(scorecard_rows(card["indicators"], bonus_ids(scores.scheme))),
        weakest=_weakest(card, scores.scheme),
        evaluation=campaign.evaluation,
        links={"index": href(page, INDEX), "district": href(page, district_path(card["district"]))},
        provenance=provenance(scored),
    )


def _date(value: Any) -> str:
    return "—" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _standards(table: pd.DataFrame | None, pilot_id: str,
               link: Callable[[pd.Series], np.ndarray]) -> StandardsEvidence | None:
    rows = rows_of(table, pilot_id)
    if rows is None:
        return None
    levels, statuses = CATEGORY_LABELS["level"], CATEGORY_LABELS["status"]
    rows = rows.assign(level=pd.Categorical(rows["level"], categories=list(levels)),
                       implemented=rows["implemented"].astype("boolean").fillna(False))
    rows = rows.sort_values(["level", "std_code"], kind="stable")
    register = pd.DataFrame({
        "std_code": rows["std_code"],
        "href": link(rows["std_code"]),
        "title": rows["title"].fillna(""),
        "level": category_labels("level", rows["level"].astype(str)),
        "status": category_labels("status", rows["status"]),
        "origin": category_labels("origin", rows["origin"]),
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


def _inspection(table: pd.DataFrame | None, standards: pd.DataFrame | None, pilot_id: str,
                link: Callable[[pd.Series], np.ndarray]) -> InspectionEvidence | None:
    rows = rows_of(table, pilot_id)
    if rows is None:
        return None
    codes = rows["std_code"].fillna("").astype(str) if "std_code" in rows else pd.Series("", index=rows.index)
    position, unique = pd.factorize(codes, sort=True)
    tally = inspection_metrics.counts(rows, position, len(unique))
    tally.insert(0, "std_code", [code or NO_STANDARD for code in unique])
    tally.insert(1, "href", link(pd.Series(unique, dtype=object)))
    titles = _titles(standards, pilot_id)
    tally.insert(2, "title", [titles.get(code, "") for code in unique])
    tally["conformity_rate"] = inspection_metrics.conformity_rate(tally)
    totals = {name: int(tally[name].sum()) for name in ("checked", "applicable", "conform", "partial",
                                                          "nonconform", "na", "critical_nonconform")}
    return InspectionEvidence(
        by_standard=tally.sort_values(["conformity_rate", "std_code"], na_position="last", kind="stable"),
        totals=totals,
        conformity_rate=float(inspection_metrics.conformity_rate(pd.DataFrame([totals]))[0]),
        items=_items(_shown_items(rows), link),
    )


def _notes(rows: pd.DataFrame) -> pd.Series:
    """The items' remarks (备注), '' where there is none (and for every item of a checklist without the column)."""
    if "note" not in rows:
        return pd.Series("", index=rows.index, dtype=object)
    return rows["note"].astype(object).where(rows["note"].notna(), "").astype(str).str.strip()


def _shown_items(rows: pd.DataFrame) -> pd.DataFrame:
    """The items :class:`InspectionEvidence` lists: nonconforming (critical first), partial, then remarked ones."""
    severity = (rows["result"].map({"nonconform": 0, "partial": 2}).fillna(3)
                - rows["critical"].fillna(False).astype(bool) * rows["result"].eq("nonconform"))
    shown = severity.lt(3) | _notes(rows).ne("")
    return rows[shown.to_numpy()].assign(_severity=severity[shown]).sort_values("_severity", kind="stable")


def _items(rows: pd.DataFrame, link: Callable[[pd.Series], np.ndarray] | None = None) -> pd.DataFrame:
    """Checklist items one per row: id, standard (with the link to its report, given
    ``link``), result in Chinese, critical flag and remark."""
    codes = rows["std_code"].fillna("").astype(str) if "std_code" in rows else pd.Series("", index=rows.index)
    return pd.DataFrame({
        "item_id": rows["item_id"].astype(str).to_numpy(),
        "std_code": codes.to_numpy(),
        "href": link(codes) if link is not None else None,
        "result": category_labels("result", rows["result"]).to_numpy(),
        "critical": rows["critical"].fillna(False).astype(bool).to_numpy(),
        "note": _notes(rows).to_numpy(),
    })


def _item_text(item: Mapping[str, Any]) -> str:
    """'检查项 JC01（Q/SHLM 0004-2022）不符合，关键项；备注：…' — one checklist item in words."""
    standard = f"（{item['std_code']}）" if item["std_code"] else ""
    critical = "，关键项" if item["critical"] else ""
    note = f"；备注：{item['note']}" if item["note"] else ""
    return f"检查项 {item['item_id']}{standard}{item['result']}{critical}{note}"


def _veto_evidence(campaign: Campaign, pilot_id: str, vetoes: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """The input rows behind each veto's value: the pilots-table cell of a ``pilot.<column>``
    veto, the nonconforming (critical, for ``critical_nonconformities``) items of an
    ``inspection.*`` veto. Vetoes on other metrics have their value only."""
    evidence: dict[str, tuple[str, ...]] = {}
    for veto in vetoes:
        source, _, key = veto["metric"].partition(".")
        if source == "pilot" and key in campaign.pilots:
            cell = campaign.pilots.set_index("pilot_id").at[pilot_id, key]
            shown = "空" if pd.isna(cell) else ("是" if cell else "否") if veto["op"] == "truthy" else f"{cell:g}"
            evidence[veto["id"]] = (f"试点名录 {key} 栏：{shown}",)
        elif source == "inspection" and (rows := rows_of(campaign.table("inspections"), pilot_id)) is not None:
            failed = rows["result"].eq("nonconform")
            if key == "critical_nonconformities":
                failed &= rows["critical"].fillna(False).astype(bool)
            evidence[veto["id"]] = tuple(_item_text(item) for item in _items(rows[failed.to_numpy()]).to_dict("records"))
    return evidence


def _titles(standards: pd.DataFrame | None, pilot_id: str) -> dict[str, str]:
    rows = rows_of(standards, pilot_id)
    if rows is None:
        return {}
    return dict(zip(rows["std_code"], rows["title"].fillna(""), strict=True))


def _survey(scored: ScoredCampaign, pilot_id: str) -> SurveyEvidence | None:
    campaign = scored.campaign
    surveys = campaign.table("surveys")
    rows = rows_of(surveys, pilot_id)
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
    respondents = category_labels("group", rows["group"]).value_counts()
    return SurveyEvidence(
        respondents={label: int(respondents.get(label, 0)) for label in CATEGORY_LABELS["group"].values()},
        constructs=constructs,
        scale=(questionnaire.scale_min, questionnaire.scale_max),
    )


def _kpis(table: pd.DataFrame | None, pilot_id: str) -> pd.DataFrame | None:
    rows = rows_of(table, pilot_id)
    if rows is None:
        return None
    pairs = kpi_metrics.paired(rows, np.zeros(len(rows), dtype=int)).droplevel("pilot")
    order = list(dict.fromkeys(rows["indicator"]))
    pairs = pairs.reindex(order)
    change = kpi_metrics.change(pairs)
    return pd.DataFrame({
        "indicator": order,
        "better": category_labels("better", pairs["better"]).to_numpy(),
        "baseline": pairs["baseline"].to_numpy(),
        "final": pairs["final"].to_numpy(),
        "change": change.to_numpy(),
        "improved": [None if pd.isna(c) else bool(c > 0) for c in change],
    })


def _experts(scored: ScoredCampaign, card: dict[str, Any], pilot_id: str) -> ExpertPanel | None:
    rows = rows_of(scored.campaign.table("experts"), pilot_id)
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
    roster = _roster(scored.campaign.table("expert_names"), experts)
    return ExpertPanel(scores=scores, experts=experts, names=dict(zip(experts, roster["name"], strict=True)),
                       roster=roster, dropped=dropped, aggregate=_aggregate_words(scheme.expert_aggregate, dropped),
                       kendall=kendall, agreement=agreement)


def _roster(names: pd.DataFrame | None, experts: list[str]) -> pd.DataFrame:
    """``expert_id``, ``name``, ``title`` and ``affiliation`` of each expert, in ``experts``'
    order; an expert the ``expert_names`` table does not list goes by their code."""
    listed = (names.set_index("expert_id") if names is not None
              else pd.DataFrame(columns=["name", "title", "affiliation"]))
    frame = listed.reindex(experts)
    return pd.DataFrame({
        "expert_id": experts,
        "name": frame["name"].fillna(pd.Series(experts, index=frame.index)).astype(str).to_numpy(),
        **{column: (frame[column].fillna("").astype(str).to_numpy() if column in frame
                    else [""] * len(experts)) for column in ("title", "affiliation")},
    })


def _opinion(table: pd.DataFrame | None, pilot_id: str) -> str | None:
    """The pilot's 专家组意见 from the ``opinions`` table, or None when it has none."""
    rows = rows_of(table, pilot_id)
    if rows is None or pd.isna(rows["text"].iloc[0]) or not str(rows["text"].iloc[0]).strip():
        return None
    return str(rows["text"].iloc[0]).strip()


def _aggregate_words(aggregate: str, dropped: Mapping[str, list[str]]) -> str:
    """How this pilot's expert scores were aggregated: ``trimmed_mean`` drops the highest and
    the lowest score only where at least five experts scored (docs/writing-a-scheme.md), else it is the mean."""
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


def _weakest(card: dict[str, Any], scheme: Scheme) -> list[dict[str, Any]]:
    """The :data:`SUGGESTIONS` non-bonus leaves with the lowest attainment (most points lost on ties).

    Leaves at full points are never suggested, so a strong pilot may get fewer.
    """
    bonus = bonus_ids(scheme)
    candidates = [leaf for top in card["indicators"] if top["id"] not in bonus
                  for leaf in card_leaves([top]) if leaf["max"] > 0 and leaf["points"] < leaf["max"]]
    candidates.sort(key=lambda leaf: (shown_attainment(leaf), leaf["points"] - leaf["max"]))
    return [{**leaf, "attainment": shown_attainment(leaf), "lost": leaf["max"] - leaf["points"],
             "note": scheme.node(leaf["id"]).note} for leaf in candidates[:SUGGESTIONS]]
