"""Facts every report page shares: totals of groups of pilots, ranks, scorecard rows,
links to standard pages and provenance.

The page context modules (:mod:`~evalkit.report.context.pilot`,
:mod:`~evalkit.report.context.district`, :mod:`~evalkit.report.context.standard`,
:mod:`~evalkit.report.context.index`) build on these and never on each other, so a page
kind can be added without touching the others. Everything here is a pure function of a
:class:`~evalkit.scored.ScoredCampaign` (or of a part of it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from evalkit.metrics.per_standard import reported_codes
from evalkit.report.formatting import percent
from evalkit.report.layout import district_path, href, pilot_path, standard_path
from evalkit.report.provenance import code_fingerprint, evalkit_version, input_records, package_versions
from evalkit.rules import format_value, is_rate
from evalkit.scheme import Scheme
from evalkit.scored import ScoredCampaign
from evalkit.tables.vocabulary import CATEGORY_LABELS

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
    "data.opinions": "专家组意见",
    "data.expert_names": "专家名单",
}


@dataclass(frozen=True)
class Summary:
    """Totals of a group of pilots (a district, or the whole city).

    How vetoed pilots (一票否决) count: in ``pass_rate`` as failed, whatever their points;
    ``mean`` is the mean total of all pilots, ``mean_not_vetoed`` that of the pilots not
    vetoed (NaN when every pilot is), so that a vetoed pilot's points lift neither unseen.
    """

    pilots: int
    passed: int
    vetoed: int
    pass_rate: float
    mean: float
    mean_not_vetoed: float
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
            mean_not_vetoed=float(totals[~table["vetoed"].astype(bool)].mean()),
            median=float(totals.median()),
            low=float(totals.min()),
            high=float(totals.max()),
        )


def group_summaries(table: pd.DataFrame, column: str, order: list[str]) -> pd.DataFrame:
    """:class:`Summary` of each group of ``table`` by ``column`` (e.g. district), in ``order``.

    Returns
    -------
    DataFrame
        One row per group that has pilots: ``column`` and the fields of :class:`Summary`.
    """
    rows = [{column: name, **asdict(Summary.of(part))} for name, part in table.groupby(column, sort=False)]
    frame = pd.DataFrame(rows, columns=[column, *Summary.__dataclass_fields__])
    position = {name: i for i, name in enumerate(order)}
    return frame.sort_values(column, key=lambda names: names.map(position), kind="stable", ignore_index=True)


def district_order(scored: ScoredCampaign) -> list[str]:
    """The campaign's districts with pilots, in the order reports list them: the campaign
    file's ``districts:`` when it has one (e.g. Shanghai's official order), else the order
    of first appearance in the pilots table."""
    present = list(dict.fromkeys(scored.campaign.pilots["district"].tolist()))
    listed = [name for name in scored.campaign.districts if name in set(present)]
    return listed + [name for name in present if name not in set(listed)]


def dimensions(scheme: Scheme) -> list[tuple[str, str]]:
    """(id, label) of the scheme's top-level, non-bonus nodes: the dimensions charts compare."""
    return [(node.id, node.label) for node in scheme.indicators if not node.bonus]


def attainment(scored: ScoredCampaign) -> pd.DataFrame:
    """Each pilot's attainment (points ÷ maximum) of every dimension; index ``pilot_id``."""
    table = scored.scores.table.set_index("pilot_id")
    maxima = scored.scores.maxima
    return pd.DataFrame({node_id: table[node_id] / maxima[node_id] if maxima[node_id] > 0 else np.nan
                         for node_id, _ in dimensions(scored.scores.scheme)})


def city_ranks(table: pd.DataFrame, key: str = "pilot_id") -> pd.Series:
    """Rank of each row of ``table`` by total, indexed by its ``key`` column.

    1 is the highest total; ties share the better rank; rows stopped by a veto (一票否决)
    rank after all others, whatever their points.
    """
    totals = table["total"].astype(float)
    below_all = totals.max() - totals.min() + 1
    score = totals - table["vetoed"].astype(float) * below_all
    return pd.Series(score.rank(ascending=False, method="min").astype(int).to_numpy(), index=table[key])


def grade_counts(scheme: Scheme, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Pilots per grade (rows in the scheme's order), one column per named table."""
    labels = [grade.label for grade in scheme.grades]
    return pd.DataFrame({name: table["grade"].value_counts().reindex(labels, fill_value=0)
                         for name, table in tables.items()}).rename_axis("grade").reset_index()


def ranked_pilots(rows: pd.DataFrame, page: PurePosixPath) -> pd.DataFrame:
    """Pilots of ``rows`` in rank order (:func:`city_ranks` within ``rows``, ties by id), with links from ``page``."""
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


def provenance(scored: ScoredCampaign) -> dict[str, Any]:
    """Versions, input hashes and the notes made while reading the inputs
    (:attr:`Campaign.notes`, by file name and message) for every page's 数据来源 block."""
    campaign = scored.campaign
    return {
        "campaign_id": campaign.id,
        "evalkit": evalkit_version(),
        "code": code_fingerprint(),
        "packages": package_versions(),
        "scheme": campaign.scheme,
        "questionnaire": campaign.questionnaire,
        "inputs": [{**record, "label": INPUT_ROLES.get(record["role"].split("[")[0], record["role"]),
                    "name": Path(record["path"]).name} for record in input_records(campaign)],
        # the file with its folder: files of a glob share names (检查/P1.xlsx, 明细表/P1.xlsx)
        "notes": [{"file": "/".join(Path(note.file).parts[-2:]), "message": note.message} for note in campaign.notes],
    }


def category_labels(category: str, codes: pd.Series) -> pd.Series:
    """Category codes (``current``, ``national`` …) as their Chinese labels; unknown values as they are."""
    return codes.map(CATEGORY_LABELS[category]).fillna(codes)


def rows_of(table: pd.DataFrame | None, pilot_id: str) -> pd.DataFrame | None:
    """The pilot's rows of a table, or None when the campaign has no such table or the pilot no rows."""
    if table is None:
        return None
    rows = table[table["pilot_id"] == pilot_id]
    return rows if len(rows) else None


# --------------------------------------------------------------------------- scorecards


def bonus_ids(scheme: Scheme) -> set[str]:
    """Ids of the scheme's bonus (加分) parts."""
    return {node.id for node in scheme.indicators if node.bonus}


def shown_attainment(node: dict[str, Any]) -> float | None:
    """Points ÷ max of a scorecard node, as the page shows them: the card's own attainment is
    rounded to four decimals already, and rounding it again for a percentage with one
    decimal can differ from the points shown beside it (7.5647/10 would read 75.7 %)."""
    return node["points"] / node["max"] if node["max"] else None


def scorecard_rows(nodes: list[dict[str, Any]], bonus: set[str], depth: int = 0) -> Iterator[dict[str, Any]]:
    """Scorecard rows depth first, each with its ``depth``, ``leaf`` and ``bonus`` flags and
    its :func:`shown_attainment`."""
    for node in nodes:
        yield {**node, "attainment": shown_attainment(node), "depth": depth, "leaf": "children" not in node,
               "bonus": node["id"] in bonus}
        if "children" in node:
            yield from scorecard_rows(node["children"], bonus, depth + 1)


# --------------------------------------------------------------------------- vetoes

#: A veto's comparison in words (``truthy`` reads "“是”").
OP_WORDS = {">": "大于", ">=": "不低于", "<": "小于", "<=": "不高于", "==": "等于", "!=": "不等于"}


@dataclass(frozen=True)
class VetoFinding:
    """One veto (一票否决项) of a card, in words.

    ``condition`` is the scheme's rule (``大于 0 项``), ``measured`` the subject's value
    (``2 项``, ``是``, ``96.8%``, ``数据缺失``), ``evidence`` the input rows behind it
    (which inspection item, which column of the pilots table), when the page knows them.
    """

    id: str
    label: str
    metric: str
    condition: str
    measured: str
    triggered: bool
    missing: bool
    evidence: tuple[str, ...] = ()


def measured_text(metric: str, value: float | None, truthy: bool = False) -> str:
    """A metric value in words as a report shows it: ``是``/``否`` for a yes/no test, a
    percentage with one decimal for rates, the number with its counting word otherwise.

    Examples
    --------
    >>> measured_text("inspection.critical_nonconformities", 2.0), measured_text("pilot.major_incident", 1.0, True)
    ('2 项', '是')
    >>> measured_text("standard.implemented_rate", 0.9677), measured_text("kpi.improved_share", None)
    ('96.8%', '数据缺失')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "数据缺失"
    if truthy:
        return "是" if value else "否"
    return percent(value) if is_rate(metric) else format_value(metric, value)


def veto_findings(card: dict[str, Any], evidence: dict[str, tuple[str, ...]] | None = None) -> list[VetoFinding]:
    """The card's vetoes in words, triggered ones first (then in the scheme's order).

    ``evidence`` maps a veto id to the input rows behind its value (see the pilot page).
    """
    findings = []
    for veto in card["vetoes"]:
        truthy = veto["op"] == "truthy"
        condition = "“是”" if truthy else f"{OP_WORDS[veto['op']]} {measured_text(veto['metric'], veto['value'])}"
        findings.append(VetoFinding(
            id=veto["id"], label=veto["label"], metric=veto["metric"], condition=condition,
            measured=measured_text(veto["metric"], veto["actual"], truthy), triggered=bool(veto["triggered"]),
            missing=veto["actual"] is None, evidence=(evidence or {}).get(veto["id"], ())))
    return sorted(findings, key=lambda finding: not finding.triggered)


# --------------------------------------------------------------------------- standard pages


def standard_table(scored: ScoredCampaign) -> pd.DataFrame:
    """:func:`~evalkit.metrics.per_standard.standard_metrics` of the campaign (one row per standard).

    Raises
    ------
    ValueError
        The campaign has no standards table.
    """
    table = scored.standard_table
    if table is None:
        raise ValueError(f"campaign '{scored.campaign.id}' has no standards table")
    return table


def reported_standards(scored: ScoredCampaign) -> list[str]:
    """Codes of the standards that get their own report, sorted.

    Those :func:`evalkit.metrics.per_standard.reported_codes` names by default, when the
    campaign has a standard scheme; none otherwise.
    """
    if scored.standards is None:
        return []
    return reported_codes(scored.campaign, standard_table(scored))


def standard_links(codes: Iterable[str], reported: set[str], page: PurePosixPath) -> pd.Series:
    """Link from ``page`` to each standard's report, None for a standard without one.

    An object Series on a RangeIndex: pandas would read a list of text and None as a string
    column, None becoming NaN.
    """
    return pd.Series([href(page, standard_path(code)) if code in reported else None for code in codes],
                     dtype=object)
