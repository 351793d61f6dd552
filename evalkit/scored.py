"""A campaign and its scores — everything a report page is made from — and the one this process holds.

A report notebook asks for the scored campaign by the path of its campaign file
(:func:`scored_campaign`). Opened on its own (JupyterLab, plain papermill) it loads and
scores the campaign itself. Rendered by ``evalkit run`` it finds the campaign already
scored: the run scores once and :func:`hold`\\ s the result in the process every page process
is forked from (docs/architecture.md, "Rendering"), so a page reads it from memory — no
file, no pickle, no re-hashing of the inputs per page. A process holds one scored campaign
at a time, for its path and the sha256 of its inputs (:func:`inputs_key`): a Dask worker
that rendered an earlier run's pages scores again when the inputs changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from evalkit.campaign import DEFAULT_CAMPAIGN, Campaign
from evalkit.digest import sha256_bytes
from evalkit.load import find_campaign_file, load_campaign
from evalkit.metrics.per_standard import standard_metrics
from evalkit.scoring import Scores, score_campaign

#: The kinds of report page.
PAGE_KINDS = frozenset({"pilot", "district", "standard", "index", "quality"})


@dataclass(frozen=True)
class ScoredCampaign:
    """A campaign and its scores: everything a report is made from.

    ``standards`` holds the scores of the campaign's standards when it has a standard
    implementation scheme (``score(campaign, "standard")``), else None.

    :attr:`survey_summary` and :attr:`standard_table` are what many pages share (each pilot
    page compares its constructs with the city's; standard, district and index pages read
    every standard's metrics): computed on first use, once per object, and computed ahead
    by :meth:`for_pages` before pages are rendered from it, so that every page process
    finds them computed.
    """

    campaign: Campaign
    scores: Scores
    standards: Scores | None = None

    @classmethod
    def of(cls, campaign: Campaign) -> ScoredCampaign:
        """Score ``campaign`` (its pilots, and its standards when it has a standard scheme)."""
        return cls(campaign, *score_campaign(campaign))

    @cached_property
    def survey_summary(self) -> pd.DataFrame | None:
        """:func:`evalkit.survey_summary.construct_summary` of the surveys (None without them)."""
        surveys = self.campaign.table("surveys")
        if surveys is None:
            return None
        from evalkit.survey_summary import construct_summary  # SciPy: imported only when a page needs it

        return construct_summary(surveys, self.campaign.questionnaire)

    @cached_property
    def standard_table(self) -> pd.DataFrame | None:
        """:func:`evalkit.metrics.per_standard.standard_metrics` (None without a standards table)."""
        if self.campaign.table("standards") is None:
            return None
        return standard_metrics(self.campaign)

    def for_pages(self, kinds: Collection[str]) -> ScoredCampaign:
        """Compute ahead what pages of ``kinds`` share (see the class notes); returns self."""
        if "pilot" in kinds:
            _ = self.survey_summary
        if {"pilot", "standard", "district", "index"} & set(kinds):  # pilot pages link to standard pages
            _ = self.standard_table
        return self


def default_campaign() -> Path:
    """The shipped demo campaign: ``params/demo.yaml`` of the checkout evalkit runs from.

    Falls back to ``params/demo.yaml`` under the working directory for an installed package.
    """
    checkout = Path(__file__).resolve().parents[1] / DEFAULT_CAMPAIGN
    return checkout if checkout.is_file() else DEFAULT_CAMPAIGN.absolute()


def inputs_key(campaign: Campaign) -> str:
    """sha256 of the sha256 of every input file (:meth:`Campaign.input_hashes`): what the scores depend on."""
    return sha256_bytes(json.dumps(campaign.input_hashes(), sort_keys=True).encode("utf-8"))


_held: tuple[ScoredCampaign, str] | None = None


def hold(scored: ScoredCampaign, key: str | None = None) -> ScoredCampaign:
    """Make ``scored`` the scored campaign of this process (and of processes forked from it).

    Parameters
    ----------
    scored : ScoredCampaign
    key : str, optional
        Its :func:`inputs_key`, when the caller has it (computed otherwise).
    """
    global _held
    _held = (scored, key or inputs_key(scored.campaign))
    return scored


def held_state() -> tuple[ScoredCampaign, str] | None:
    """The scored campaign this process holds and its key, as :func:`hold` takes them (None: none held)."""
    return _held


def held(campaign: str | os.PathLike[str], key: str | None = None) -> ScoredCampaign | None:
    """The scored campaign this process holds for the campaign file ``campaign`` (and, when
    given, the inputs ``key``), else None."""
    if _held is None:
        return None
    scored, held_key = _held
    if scored.campaign.path != Path(campaign).absolute() or (key is not None and key != held_key):
        return None
    return scored


def scored_campaign(campaign: str | os.PathLike[str] | None = None) -> ScoredCampaign:
    """The campaign at ``campaign``, loaded and scored — what every report page starts from.

    Parameters
    ----------
    campaign : path, optional
        The campaign file; None means :func:`default_campaign`.

    Returns
    -------
    ScoredCampaign
        The one this process holds (:func:`hold`) for that file, else the campaign loaded
        and scored now (not held: a notebook re-run after its inputs changed sees the change).

    Raises
    ------
    DataError
        When the campaign does not load (every problem listed).
    """
    path = find_campaign_file(campaign) if campaign is not None else default_campaign()
    found = held(path)
    if found is not None:
        return found
    return ScoredCampaign.of(load_campaign(path))
