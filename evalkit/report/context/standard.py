"""What the per-standard implementation report (标准实施情况评价报告) shows: :func:`standard_context`.

A campaign with a standard implementation scheme (``standard_scheme``) scores every
standard of its registers (:func:`evalkit.score` with ``subject="standard"``). The standards
implemented by enough pilots (:func:`~evalkit.report.context.facts.reported_standards`), and
any other asked for, get a page of their own,
``standards/<safe code>.html``, from ``notebooks/standard_report.ipynb``: the standard, the
pilots that list and implement it, what inspection found (with the Wilson interval of the
conformity rate), staff awareness, editions and age, and the scorecard.

Every number comes from :mod:`evalkit.metrics.per_standard` (codes normalised there) and
from the standards' :class:`~evalkit.scoring.Scores`; nothing is scored twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from evalkit.campaign import Evaluation
from evalkit.metrics import inspection as inspection_metrics
from evalkit.report.context.facts import (
    VetoFinding,
    bonus_ids,
    category_labels,
    city_ranks,
    district_order,
    provenance,
    reported_standards,
    scorecard_rows,
    standard_links,
    standard_table,
    veto_findings,
)
from evalkit.report.layout import INDEX, district_path, href, pilot_path, standard_path
from evalkit.scheme import Scheme
from evalkit.scored import ScoredCampaign
from evalkit.tables.standard_codes import normalise_codes
from evalkit.tables.vocabulary import CATEGORY_LABELS


@dataclass(frozen=True)
class StandardContext:
    """Everything the per-standard report shows.

    ``card``, ``scheme`` and ``scorecard`` are the standard's scorecard under the standard
    implementation scheme; ``facts`` its row of :func:`standard_metrics`; ``pilots`` the
    pilots whose registers list it, with what their register says, what inspection found
    and their totals under the pilot scheme ``pilot_scheme``; ``districts`` the same by district; ``editions`` every edition of its number in
    the campaign; ``awareness`` the questionnaire items naming it (None when there are none).
    """

    title: str
    campaign_title: str
    standard: dict[str, Any]
    facts: dict[str, Any]
    card: dict[str, Any]
    scheme: Scheme
    pilot_scheme: Scheme
    vetoes: list[VetoFinding]
    rank: int
    ranked: int
    pilots: pd.DataFrame
    districts: pd.DataFrame
    editions: pd.DataFrame
    awareness: dict[str, Any] | None
    scorecard: list[dict[str, Any]]
    links: dict[str, str]
    evaluation: Evaluation
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
    table = standard_table(scored)
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
    ranks = city_ranks(results, key="std_code")
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
        pilot_scheme=scored.scores.scheme,
        vetoes=veto_findings(card),
        rank=int(ranks[code]),
        ranked=len(results),
        pilots=pilots,
        districts=_districts(pilots, district_order(scored)),
        editions=_editions(table, facts["number"], reported, page),
        awareness=_awareness(scored, code, facts),
        scorecard=list(scorecard_rows(card["indicators"], bonus_ids(scored.standards.scheme))),
        links={"index": href(page, INDEX)},
        evaluation=scored.campaign.evaluation,
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
        "status": category_labels("status", listing["status"]).to_numpy(),
        "implemented": listing["implemented"].to_numpy(),
        **{name: tally[name].to_numpy() for name in ("checked", "applicable", "conform", "partial", "nonconform",
                                                     "critical_nonconform")},
        "conformity_rate": inspection_metrics.conformity_rate(tally),
        "total": info["total"].to_numpy(),
        "grade": info["grade"].to_numpy(),
    })


def _districts(pilots: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """The pilots listing the standard, by district in the campaign's order: how many list
    and implement it, and what inspection found there."""
    grouped = pilots.groupby("district", sort=False)
    frame = pd.DataFrame({
        "pilots": grouped.size(),
        "implemented": grouped["implemented"].sum().astype(int),
        **{name: grouped[name].sum().astype(int) for name in ("applicable", "conform", "partial", "nonconform",
                                                               "critical_nonconform")},
    })
    frame["conformity_rate"] = inspection_metrics.conformity_rate(frame)
    position = {name: i for i, name in enumerate(order)}
    return frame.rename_axis("district").reset_index().sort_values(
        "district", key=lambda names: names.map(position), kind="stable", ignore_index=True)


def _editions(table: pd.DataFrame, number: str, reported: set[str], page: PurePosixPath) -> pd.DataFrame:
    same = table[table["number"] == number].sort_values(["year", "std_code"], ascending=[False, True],
                                                        na_position="last")
    return pd.DataFrame({
        "std_code": same.index.to_numpy(),
        "href": standard_links(same.index, reported, page),
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
