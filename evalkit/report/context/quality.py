"""What the methods-and-quality page (``quality.html``, 方法与数据质量) shows.

The appendix a third-party assessor attaches to an evaluation (标准实施第三方评估): the
questionnaire's reliability and validity, the survey data-quality flags, the expert
panel's agreement, how robust the grades are, and the methods the scheme uses (weights,
AHP consistency, expert aggregation). Every number comes from :mod:`evalkit.quality`,
:func:`evalkit.robustness` and the scheme; this module only gathers them for
``templates/quality.html.j2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalkit import quality
from evalkit.metrics.expert import TRIM_MIN_EXPERTS
from evalkit.report.context.facts import provenance
from evalkit.report.layout import INDEX, QUALITY, href
from evalkit.respondents import FLAG_COLUMNS
from evalkit.robustness import robustness
from evalkit.scheme import Scheme
from evalkit.scored import ScoredCampaign

#: Robustness draws on the page, and their seed (the page is reproducible).
DRAWS, SEED = 1000, 0
#: A grade is called not safe when it changes in more than this share of the draws.
UNSAFE = 0.05
#: Pilots in the robustness chart: the least safe.
LEAST_SAFE = 20
#: The scheme's ways of sharing a node's points among its children, in Chinese.
WEIGHTING = {"points": "分值", "weight": "权重", "ahp": "层次分析法（AHP）", "entropy": "熵权法", "critic": "CRITIC 法"}
AGGREGATE = {"mean": "算术平均", "median": "中位数",
             "trimmed_mean": f"去掉一个最高分和一个最低分后平均（不少于 {TRIM_MIN_EXPERTS} 位专家时）"}


@dataclass(frozen=True)
class QualityContext:
    """Everything ``quality.html`` shows (see :func:`quality_context`)."""

    title: str
    campaign_title: str
    scheme: Scheme
    links: dict[str, str]
    reliability: pd.DataFrame | None
    items: pd.DataFrame | None
    flags: dict[str, Any] | None
    experts: quality.ExpertFlags | None
    decisive: pd.DataFrame | None
    robustness: dict[str, Any]
    weights: list[dict[str, Any]]
    aggregate: str
    provenance: dict[str, Any]


def quality_context(scored: ScoredCampaign) -> QualityContext:
    """The methods-and-quality page of a scored campaign."""
    campaign, scores = scored.campaign, scored.scores
    surveys = campaign.table("surveys")
    has_experts = campaign.table("experts") is not None and any(
        leaf.metric and leaf.metric.startswith("expert.") for leaf in scores.scheme.leaves())
    table = robustness(campaign, draws=DRAWS, seed=SEED, scores=scores)
    experts = quality.expert_flags(campaign, scores) if has_experts else None
    return QualityContext(
        title=f"{campaign.title}：方法与数据质量",
        campaign_title=campaign.title,
        scheme=scores.scheme,
        links={"index": href(QUALITY, INDEX)},
        reliability=quality.reliability(campaign) if surveys is not None else None,
        items=quality.construct_items(campaign) if surveys is not None else None,
        flags=survey_quality(campaign) if surveys is not None else None,
        experts=experts,
        decisive=(experts.leave_one_out.query("grade_changes or pass_changes") if experts is not None else None),
        robustness={"draws": DRAWS, "seed": SEED, "unsafe_share": UNSAFE, "pilots": len(table),
                    "unsafe": table[table["p_grade_change"] > UNSAFE].sort_values(
                        ["p_grade_change", "pilot_id"], ascending=[False, True]),
                    "pass_unsafe": int((table["p_pass_change"] > UNSAFE).sum()),
                    "least_safe": table.sort_values(["p_grade_change", "pilot_id"], ascending=[False, True]).head(
                        LEAST_SAFE)},
        weights=_weights(scores.scheme, scores.maxima),
        aggregate=AGGREGATE[scores.scheme.expert_aggregate],
        provenance=provenance(scored),
    )


def survey_quality(campaign: Any) -> dict[str, Any]:
    """The page's 问卷数据质量: respondents, how many have a known answer duration (too fast
    is checked on those only), the count of each flag, the pilots with flagged respondents."""
    flags = quality.survey_flags(campaign)
    summary = quality.flag_summary(flags)
    return {"respondents": len(flags), "timed": quality.timed_respondents(campaign),
            "counts": {name: int(flags[name].sum()) for name in (*FLAG_COLUMNS, "flagged")},
            "pilots": summary[summary["flagged"] > 0].sort_values(["share", "flagged"], ascending=False),
            "policy": campaign.quality, "excluded": int(flags["excluded"].sum())}


def _weights(scheme: Scheme, maxima: dict[str, float]) -> list[dict[str, Any]]:
    """Each inner node (and the scheme's top level): how it shares its points, its children's points."""
    parts = [{"id": "", "label": "评分方案（一级指标）", "weighting": WEIGHTING["points"] if all(
        n.weight is None for n in scheme.indicators) else WEIGHTING["weight"], "ahp": None,
        "children": [(n.id, n.label, maxima[n.id], n.bonus) for n in scheme.indicators]}]
    for node in scheme.nodes():
        if node.children:
            parts.append({"id": node.id, "label": node.label, "weighting": WEIGHTING[node.child_weighting],
                          "ahp": node.ahp, "children": [(c.id, c.label, maxima[c.id], c.bonus) for c in node.children]})
    return parts
