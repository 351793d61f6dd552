"""What the per-district summary report (区级验收评估汇总报告) shows: :func:`district_context`.

The district's pilots against the city — pass rate, ranking, score distribution,
dimensions, domains — and the standards most often failed on inspection in the district
(:func:`failed_standards`), the feedback on implementation that the 2015 Shanghai plan
asks of local standards (地方标准实施信息反馈和评估机制).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.campaign import Evaluation
from evalkit.metrics import inspection as inspection_metrics
from evalkit.report.context.facts import (
    Summary,
    attainment,
    city_ranks,
    dimensions,
    grade_counts,
    group_summaries,
    provenance,
    ranked_pilots,
    reported_standards,
    standard_links,
    standard_table,
)
from evalkit.report.layout import INDEX, district_path, href
from evalkit.scheme import Scheme
from evalkit.scored import ScoredCampaign
from evalkit.tables.standard_codes import normalise_codes

#: How many standards a district page lists as most often failed, at most.
FAILED_STANDARDS = 10
#: Nonconforming items that make a standard one of those "most often failed" (不符合项较多).
REPEATED_NONCONFORMITIES = 2


@dataclass(frozen=True)
class DistrictContext:
    """Everything the per-district report shows.

    ``domains`` has one row per domain, most pilots first (the fields of :class:`Summary`
    and ``domain``).
    """

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
    evaluation: Evaluation
    provenance: dict[str, Any]
    failed_standards: pd.DataFrame | None = None


def district_context(scored: ScoredCampaign, district: str) -> DistrictContext:
    """The per-district report's data.

    Raises
    ------
    KeyError
        When no pilot of the campaign is in ``district``.
    """
    scores = scored.scores
    table = scores.table
    rows = table[table["district"] == district]
    if rows.empty:
        raise KeyError(f"no pilot of campaign '{scored.campaign.id}' is in district '{district}'")
    page = district_path(district)
    ranked = ranked_pilots(rows, page).assign(city_rank=lambda f: f["pilot_id"].map(city_ranks(table)))
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
        domains=group_summaries(rows, "domain", rows["domain"].value_counts().sort_index(kind="stable")
                                .sort_values(ascending=False, kind="stable").index.tolist()),
        totals=rows["total"].tolist(),
        city_totals=table["total"].tolist(),
        links={"index": href(page, INDEX)},
        evaluation=scored.campaign.evaluation,
        provenance=provenance(scored),
        failed_standards=failed_standards(scored, district),
    )


def _tally(scored: ScoredCampaign, pilot_ids: pd.Series | None = None) -> pd.DataFrame:
    """Inspection counts per standard (normalised code; items of ``pilot_ids`` only, when given)."""
    items = scored.campaign.table("inspections")
    if items is None or "std_code" not in items:
        return pd.DataFrame(columns=["checked", "applicable", "conform", "partial", "nonconform", "na",
                                     "critical_nonconform", "pilots"])
    if pilot_ids is not None:
        items = items[items["pilot_id"].isin(pilot_ids)]
    codes = normalise_codes(items["std_code"])
    keep = codes.notna().to_numpy()
    position, unique = pd.factorize(codes[keep], sort=True)
    tally = inspection_metrics.counts(items[keep], position, len(unique))
    failing = pd.DataFrame({"code": position, "pilot": items.loc[keep, "pilot_id"].to_numpy(),
                            "failed": items.loc[keep, "result"].eq("nonconform").to_numpy()})
    failing = failing[failing["failed"]].drop_duplicates(["code", "pilot"])
    tally["pilots"] = np.bincount(failing["code"].to_numpy(dtype=np.int64), minlength=len(unique))
    tally.index = pd.Index(unique, name="std_code", dtype=object)
    return tally


def failed_standards(scored: ScoredCampaign, district: str, top: int = FAILED_STANDARDS) -> pd.DataFrame:
    """The standards most often failed on inspection in ``district`` (不符合项较多的标准).

    Ranked by nonconforming items among the district's pilots, then critical ones, then
    code: those with at least :data:`REPEATED_NONCONFORMITIES` nonconforming items; when no
    standard has that many, the first ``top`` with any (the page then says each was failed
    once).

    Returns
    -------
    DataFrame
        At most ``top`` rows: ``std_code``, ``href`` (the standard's report from the
        district page, or None), ``title``, ``pilots`` (district pilots with a
        nonconformity on it), ``nonconform``, ``critical_nonconform``, ``applicable``,
        ``conformity_rate`` (in the district) and ``city_conformity_rate`` (all pilots).
    """
    pilots = scored.scores.table
    local = _tally(scored, pilots.loc[pilots["district"] == district, "pilot_id"])
    local = local[local["nonconform"] > 0]
    if local.empty:
        return pd.DataFrame(columns=["std_code", "href", "title", "pilots", "nonconform", "critical_nonconform",
                                     "applicable", "conformity_rate", "city_conformity_rate"])
    local = local.reset_index().sort_values(["nonconform", "critical_nonconform", "std_code"],
                                            ascending=[False, False, True], kind="stable")
    repeated = local[local["nonconform"] >= REPEATED_NONCONFORMITIES]
    local = (repeated if len(repeated) else local).head(top)
    city = _tally(scored)
    city_rate = pd.Series(inspection_metrics.conformity_rate(city), index=city.index)
    titles = (standard_table(scored)["title"] if scored.campaign.table("standards") is not None
              else pd.Series(dtype=object))
    page = district_path(district)
    return pd.DataFrame({
        "std_code": local["std_code"].to_numpy(),
        "href": standard_links(local["std_code"].tolist(), set(reported_standards(scored)), page),
        "title": local["std_code"].map(titles).fillna("").to_numpy(),
        **{name: local[name].to_numpy() for name in ("pilots", "nonconform", "critical_nonconform", "applicable")},
        "conformity_rate": inspection_metrics.conformity_rate(local),
        "city_conformity_rate": local["std_code"].map(city_rate).to_numpy(dtype=float),
    })
