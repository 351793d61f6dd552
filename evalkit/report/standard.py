"""The per-standard implementation report (标准实施情况评价报告) and the standard tables of other pages.

A campaign with a standard implementation scheme (``standard_scheme``) scores every
standard of its registers (:func:`evalkit.score` with ``subject="standard"``). Each standard
implemented by at least ``standard_reports_min_pilots`` pilots (:func:`reported_standards`)
gets its own page, ``standards/<safe code>.html``, from ``notebooks/standard_report.ipynb``:
the standard, the pilots that list and implement it, what inspection found (with the
Wilson interval of the conformity rate), staff awareness, editions and age, and the
scorecard. The index page lists those standards (:func:`standards_overview`) and every
district page shows the standards most often failed on inspection in the district
(:func:`failed_standards`) — the feedback on implementation that the 2015 Shanghai plan
asks of local standards (地方标准实施信息反馈和评估机制).

Every number comes from :mod:`evalkit.metrics.per_standard` (codes normalised there) and
from the standards' :class:`~evalkit.scoring.Scores`; nothing is scored twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from evalkit.metrics import inspection as inspection_metrics
from evalkit.metrics.per_standard import reported_codes
from evalkit.report import charts
from evalkit.report.cache import ScoredCampaign, load_scored
from evalkit.report.context import _bonus_ids, _flatten, _label, city_ranks, provenance
from evalkit.report.html import Fragment, render_section
from evalkit.report.layout import INDEX, district_path, href, pilot_path, standard_path
from evalkit.scheme import Scheme
from evalkit.tables.standard_codes import normalise_codes
from evalkit.tables.vocabulary import CATEGORY_LABELS

__all__ = ["StandardContext", "StandardReport", "failed_standards", "reported_standards", "standard_context",
           "standards_overview"]

#: How many standards a district page lists as most often failed.
FAILED_STANDARDS = 10


def _metrics(scored: ScoredCampaign) -> pd.DataFrame:
    """:func:`standard_metrics` of the campaign (:attr:`ScoredCampaign.standard_table`)."""
    table = scored.standard_table
    if table is None:
        raise ValueError(f"campaign '{scored.campaign.id}' has no standards table")
    return table


def reported_standards(scored: ScoredCampaign) -> list[str]:
    """Codes of the standards that get their own report, sorted.

    Those implemented by at least ``campaign.standard_reports_min_pilots`` pilots, when the
    campaign has a standard scheme; none otherwise.
    """
    if scored.standards is None:
        return []
    return reported_codes(scored.campaign, _metrics(scored))


def _links(codes: pd.Index | list[str], reported: set[str], page: PurePosixPath) -> pd.Series:
    """Link from ``page`` to each standard's report, None for a standard without one.

    An object Series on a RangeIndex: pandas would read a list of text and None as a string
    column, None becoming NaN.
    """
    return pd.Series([href(page, standard_path(code)) if code in reported else None for code in codes],
                     dtype=object)


# --------------------------------------------------------------------------- index and district tables


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
    table = _metrics(scored).loc[codes]
    results = scored.standards.table.set_index("std_code").loc[codes]
    frame = pd.DataFrame({
        "std_code": codes,
        "href": _links(codes, set(codes), INDEX),
        "title": table["title"].to_numpy(),
        "level": _label("level", table["level"]).to_numpy(),
        **{name: table[name].to_numpy() for name in ("pilots", "implemented_pilots", "implemented_rate",
                                                     "conformity_items", "conformity_rate")},
        **{name: results[name].to_numpy() for name in ("total", "grade", "passed", "vetoed")},
    })
    return frame.sort_values(["implemented_pilots", "std_code"], ascending=[False, True], kind="stable",
                             ignore_index=True)


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


def _conformity(tally: pd.DataFrame) -> np.ndarray:
    earned = sum(w * tally[code].to_numpy(dtype=float) for code, w in inspection_metrics.CONFORMITY.items())
    applicable = tally["applicable"].to_numpy(dtype=float)
    return np.divide(earned, applicable, out=np.full(len(tally), np.nan), where=applicable > 0)


def failed_standards(scored: ScoredCampaign, district: str, top: int = FAILED_STANDARDS) -> pd.DataFrame:
    """The standards most often failed on inspection in ``district`` (不符合项较多的标准).

    Ranked by nonconforming items among the district's pilots, then critical ones, then
    code; only standards with at least one nonconforming item.

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
                                            ascending=[False, False, True], kind="stable").head(top)
    city = _tally(scored)
    city_rate = pd.Series(_conformity(city), index=city.index)
    titles = _metrics(scored)["title"] if scored.campaign.table("standards") is not None else pd.Series(dtype=object)
    page = district_path(district)
    return pd.DataFrame({
        "std_code": local["std_code"].to_numpy(),
        "href": _links(local["std_code"].tolist(), set(reported_standards(scored)), page),
        "title": local["std_code"].map(titles).fillna("").to_numpy(),
        **{name: local[name].to_numpy() for name in ("pilots", "nonconform", "critical_nonconform", "applicable")},
        "conformity_rate": _conformity(local),
        "city_conformity_rate": local["std_code"].map(city_rate).to_numpy(dtype=float),
    })


# --------------------------------------------------------------------------- the per-standard report


@dataclass(frozen=True)
class StandardContext:
    """Everything the per-standard report shows.

    ``card``, ``scheme`` and ``scorecard`` are the standard's scorecard under the standard
    implementation scheme; ``facts`` its row of :func:`standard_metrics`; ``pilots`` the
    pilots whose registers list it, with what their register says and what inspection
    found; ``districts`` the same by district; ``editions`` every edition of its number in
    the campaign; ``awareness`` the questionnaire items naming it (None when there are none).
    """

    title: str
    campaign_title: str
    standard: dict[str, Any]
    facts: dict[str, Any]
    card: dict[str, Any]
    scheme: Scheme
    rank: int
    ranked: int
    pilots: pd.DataFrame
    districts: pd.DataFrame
    editions: pd.DataFrame
    awareness: dict[str, Any] | None
    scorecard: list[dict[str, Any]]
    links: dict[str, str]
    provenance: dict[str, Any]


def standard_context(scored: ScoredCampaign, std_code: str) -> StandardContext:
    """The per-standard report's data.

    Parameters
    ----------
    scored : ScoredCampaign
        With standard scores (a campaign with a standard scheme).
    std_code : str
        The standard, in any spelling its code normalises from (``GB/T24421.1-2023``).

    Raises
    ------
    KeyError
        The campaign has no standard scheme, or no register lists the standard.
    """
    if scored.standards is None:
        raise KeyError(f"campaign '{scored.campaign.id}' has no standard scheme (standard_scheme:)")
    code = normalise_codes(pd.Series([std_code], dtype=object)).iloc[0]
    table = _metrics(scored)
    if code not in table.index:
        raise KeyError(f"no standard '{std_code}' in the standards registers of campaign '{scored.campaign.id}'")
    facts = table.loc[code].to_dict()
    card = scored.standards.card(code)
    page = standard_path(code)
    campaign = scored.campaign
    register = campaign.tables["standards"]
    mine = register[normalise_codes(register["std_code"]).eq(code).to_numpy()]
    reported = set(reported_standards(scored))
    results = scored.standards.table
    ranks = city_ranks(results.rename(columns={"std_code": "pilot_id"}))
    pilots = _pilots(scored, mine, code, page)
    return StandardContext(
        title=f"{code}《{facts['title']}》实施情况评价报告" if facts["title"] else f"{code}实施情况评价报告",
        campaign_title=campaign.title,
        standard={
            "std_code": code,
            "title": facts["title"],
            "level": CATEGORY_LABELS["level"].get(facts["level"], facts["level"]),
            "number": facts["number"],
            "year": facts["year"],
            "newest": facts["newest"],
            "newest_href": href(page, standard_path(facts["newest"])) if facts["newest"] in reported else None,
            "superseded": bool(facts["superseded"]),
            "spellings": sorted(set(mine["std_code"].astype(str)) - {code}),
        },
        facts=facts,
        card=card,
        scheme=scored.standards.scheme,
        rank=int(ranks[code]),
        ranked=len(results),
        pilots=pilots,
        districts=_districts(pilots),
        editions=_editions(table, facts["number"], reported, page),
        awareness=_awareness(scored, code, facts),
        scorecard=list(_flatten(card["indicators"], _bonus_ids(scored.standards.scheme))),
        links={"index": href(page, INDEX)},
        provenance={**provenance(scored), "scheme": scored.standards.scheme},
    )


def _pilots(scored: ScoredCampaign, mine: pd.DataFrame, code: str, page: PurePosixPath) -> pd.DataFrame:
    """Every pilot listing the standard: register entry, inspection results and link, by pilot id."""
    listing = pd.DataFrame({
        "pilot_id": mine["pilot_id"].to_numpy(),
        "implemented": mine["implemented"].astype("boolean").fillna(False).to_numpy(dtype=bool),
        "status": mine["status"].to_numpy(),
    }).groupby("pilot_id", sort=True).agg(implemented=("implemented", "any"), status=("status", "min"))
    info = scored.scores.table.set_index("pilot_id").loc[listing.index]
    items = scored.campaign.table("inspections")
    if items is not None and "std_code" in items:
        items = items[normalise_codes(items["std_code"]).eq(code).to_numpy()]
        position = listing.index.get_indexer(items["pilot_id"])
        items, position = items[position >= 0], position[position >= 0]
    else:
        items, position = pd.DataFrame(columns=["result", "critical"]), np.zeros(0, dtype=np.int64)
    tally = inspection_metrics.counts(items, position, len(listing))
    return pd.DataFrame({
        "pilot_id": listing.index.to_numpy(),
        "href": [href(page, pilot_path(p)) for p in listing.index],
        "name": info["name"].to_numpy(),
        "district": info["district"].to_numpy(),
        "district_href": [href(page, district_path(d)) for d in info["district"]],
        "domain": info["domain"].to_numpy(),
        "status": _label("status", listing["status"]).to_numpy(),
        "implemented": listing["implemented"].to_numpy(),
        **{name: tally[name].to_numpy() for name in ("checked", "applicable", "conform", "partial", "nonconform",
                                                     "critical_nonconform")},
        "conformity_rate": _conformity(tally),
        "total": info["total"].to_numpy(),
        "grade": info["grade"].to_numpy(),
    })


def _districts(pilots: pd.DataFrame) -> pd.DataFrame:
    grouped = pilots.groupby("district", sort=True)
    frame = pd.DataFrame({
        "pilots": grouped.size(),
        "implemented": grouped["implemented"].sum().astype(int),
        **{name: grouped[name].sum().astype(int) for name in ("applicable", "conform", "partial", "nonconform",
                                                               "critical_nonconform")},
    })
    frame["conformity_rate"] = _conformity(frame)
    return frame.rename_axis("district").reset_index().sort_values(["implemented", "district"],
                                                                   ascending=[False, True], kind="stable")


def _editions(table: pd.DataFrame, number: str, reported: set[str], page: PurePosixPath) -> pd.DataFrame:
    same = table[table["number"] == number].sort_values(["year", "std_code"], ascending=[False, True],
                                                        na_position="last")
    return pd.DataFrame({
        "std_code": same.index.to_numpy(),
        "href": _links(same.index, reported, page),
        **{name: same[name].to_numpy() for name in ("year", "pilots", "implemented_pilots", "withdrawn_listed",
                                                    "superseded")},
    })


def _awareness(scored: ScoredCampaign, code: str, facts: dict[str, Any]) -> dict[str, Any] | None:
    questionnaire = scored.campaign.questionnaire
    named = {name: item for name, item in questionnaire.items.items() if getattr(item, "standard", None)}
    if not named:
        return None
    codes = normalise_codes(pd.Series({name: item.standard for name, item in named.items()}, dtype=object))
    items = [{"item": name, "label": named[name].label, "reverse": named[name].reverse}
             for name in codes.index[codes.eq(code).to_numpy()]]
    if not items:
        return None
    return {"items": items, "respondents": int(facts["respondents"]), "answers": int(facts["answers"]),
            "mean": facts["mean_answer"], "rate": facts["awareness_rate"],
            "scale": (questionnaire.scale_min, questionnaire.scale_max)}


CampaignPath = str | os.PathLike[str] | None


class StandardReport:
    """The per-standard implementation report, section by section (see :class:`~evalkit.report.PilotReport`)."""

    template = "standard.html.j2"

    def __init__(self, context: StandardContext):
        self.context = context

    @classmethod
    def load(cls, campaign: CampaignPath = None, std_code: str | None = None) -> StandardReport:
        """The report of ``std_code`` of the campaign file ``campaign``.

        Parameters
        ----------
        campaign : path, optional
            The campaign file; None means the shipped demo campaign.
        std_code : str, optional
            Default: the reported standard implemented by the most pilots (ties: by code).

        Raises
        ------
        DataError
            The campaign does not load.
        KeyError
            The campaign has no standard scheme or no such standard.
        """
        scored = load_scored(campaign)
        if std_code is None:
            overview = standards_overview(scored)
            if overview is None or overview.empty:
                raise KeyError(f"campaign '{scored.campaign.id}' has no standard with a report")
            std_code = str(overview["std_code"].iloc[0])
        return cls(standard_context(scored, std_code))

    def _section(self, name: str, *extra: object) -> Fragment:
        return render_section(self.template, name, self.context, *extra)

    def header(self) -> Fragment:
        """Title, standard, total, grade and implementing pilots."""
        return self._section("header")

    def overview(self) -> Fragment:
        """一、标准概况: the standard, its edition and the evaluation at a glance."""
        return self._section("overview")

    def implementation(self) -> Fragment:
        """二、实施情况: the pilots that list it and whether they implement it, by district."""
        frame = self.context.districts
        chart = charts.bar_chart(frame["district"].tolist(), frame["implemented"].tolist(), xlabel="实施试点数",
                                 value_format="{:.0f}") if len(frame) > 1 else None
        return self._section("implementation", chart)

    def inspection(self) -> Fragment:
        """三、现场检查: conformity on the checklist items tied to the standard, with its Wilson interval."""
        return self._section("inspection")

    def awareness(self) -> Fragment:
        """四、标准知晓: staff answers to the questionnaire items naming the standard."""
        return self._section("awareness")

    def editions(self) -> Fragment:
        """五、版本与时效: age, newer editions and withdrawn or superseded listings."""
        return self._section("editions")

    def scorecard(self) -> Fragment:
        """六、评分明细: the standard implementation scheme, point by point."""
        return self._section("scorecard")

    def conclusion(self) -> Fragment:
        """七、评价结论: grade, vetoes and verdict."""
        return self._section("conclusion")

    def provenance(self) -> Fragment:
        """Versions and input hashes."""
        return render_section("macros.html.j2", "provenance", self.context.provenance)
