"""What the campaign's index page (``index.html``) shows: :func:`index_context`.

Every pilot and district with links, the campaign's totals and, with a standard
implementation scheme, the standards that have their own report (:func:`standards_overview`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalkit.campaign import Evaluation
from evalkit.metrics.per_standard import report_threshold
from evalkit.report.context.facts import (
    Summary,
    category_labels,
    district_order,
    grade_counts,
    group_summaries,
    provenance,
    ranked_pilots,
    reported_standards,
    standard_links,
    standard_table,
)
from evalkit.report.layout import INDEX, QUALITY, district_path, href
from evalkit.scheme import Scheme
from evalkit.scored import ScoredCampaign


@dataclass(frozen=True)
class IndexContext:
    """Everything the campaign's index page shows.

    ``districts`` has one row per district in the campaign's order (the fields of
    :class:`Summary`, ``district`` and ``href``); ``pilots`` one row per pilot by id, with
    what the page's search and sorting use (``search``: id, name, unit and district in
    lower case; ``district_position`` and ``grade_position``: the campaign's district order
    and the scheme's grade order); ``links`` the page's table of contents (label, href):
    its own sections, and any page the campaign adds beside the reports.
    """

    title: str
    campaign_title: str
    scheme: Scheme
    summary: Summary
    grades: pd.DataFrame
    districts: pd.DataFrame
    pilots: pd.DataFrame
    links: list[dict[str, str]]
    evaluation: Evaluation
    provenance: dict[str, Any]
    standards: pd.DataFrame | None = None
    standard_scheme: Scheme | None = None
    standards_scored: int = 0
    standard_reports_min_pilots: int = 0


def index_context(scored: ScoredCampaign) -> IndexContext:
    """The index page's data: every pilot, every district, the campaign's totals.

    With a standard implementation scheme, also the standards that have their own report
    (:func:`standards_overview`).
    """
    scores = scored.scores
    table = scores.table
    districts = group_summaries(table, "district", district_order(scored))
    districts.insert(1, "href", [href(INDEX, district_path(d)) for d in districts["district"]])
    pilots = _pilot_rows(scored, districts["district"].tolist())
    return IndexContext(
        title=f"{scored.campaign.title}：总览",
        campaign_title=scored.campaign.title,
        scheme=scores.scheme,
        summary=Summary.of(table),
        grades=grade_counts(scores.scheme, {"city": table}),
        districts=districts,
        pilots=pilots,
        links=_links(scored),
        evaluation=scored.campaign.evaluation,
        provenance=provenance(scored),
        standards=standards_overview(scored),
        standard_scheme=scored.standards.scheme if scored.standards is not None else None,
        standards_scored=len(scored.standards.table) if scored.standards is not None else 0,
        standard_reports_min_pilots=report_threshold(scored.campaign),
    )


def _pilot_rows(scored: ScoredCampaign, districts: list[str]) -> pd.DataFrame:
    """Every pilot by id (:func:`ranked_pilots` from the index), with its unit and sort keys."""
    pilots = ranked_pilots(scored.scores.table, INDEX).sort_values("pilot_id", kind="stable", ignore_index=True)
    units = scored.campaign.pilots.set_index("pilot_id")["unit"].astype(str)
    pilots["unit"] = pilots["pilot_id"].map(units).to_numpy()
    pilots["search"] = (pilots[["pilot_id", "name", "unit", "district"]].astype(str).agg(" ".join, axis=1)
                        .str.normalize("NFKC").str.lower())
    pilots["district_position"] = pilots["district"].map({name: i for i, name in enumerate(districts)})
    grades = {grade.label: i for i, grade in enumerate(scored.scores.scheme.grades)}
    pilots["grade_position"] = pilots["grade"].map(grades)
    return pilots


def _links(scored: ScoredCampaign) -> list[dict[str, str]]:
    """The index page's table of contents."""
    links = [{"label": "各区情况", "href": "#districts"}, {"label": "全部试点", "href": "#pilots"}]
    if scored.standards is not None:
        links.append({"label": "标准实施情况", "href": "#standards"})
    links.append({"label": "方法与数据质量", "href": href(INDEX, QUALITY)})
    return links


def standards_overview(scored: ScoredCampaign) -> pd.DataFrame | None:
    """The index page's 标准实施情况 table: every reported standard with its figures and score.

    Returns
    -------
    DataFrame or None
        One row per reported standard, most implemented first (then by code): ``std_code``,
        ``href``, ``title``, ``level`` (Chinese), ``pilots``, ``implemented_pilots``,
        ``implemented_rate``, ``conformity_items``, ``conformity_rate``, ``total``, ``grade``,
        ``passed``, ``vetoed``. None when the campaign has no standard scheme.
    """
    if scored.standards is None:
        return None
    codes = reported_standards(scored)
    table = standard_table(scored).loc[codes]
    results = scored.standards.table.set_index("std_code").loc[codes]
    frame = pd.DataFrame({
        "std_code": codes,
        "href": standard_links(codes, set(codes), INDEX),
        "title": table["title"].to_numpy(),
        "level": category_labels("level", table["level"]).to_numpy(),
        **{name: table[name].to_numpy() for name in ("pilots", "implemented_pilots", "implemented_rate",
                                                     "conformity_items", "conformity_rate")},
        **{name: results[name].to_numpy() for name in ("total", "grade", "passed", "vetoed")},
    })
    return frame.sort_values(["implemented_pilots", "std_code"], ascending=[False, True], kind="stable",
                             ignore_index=True)
