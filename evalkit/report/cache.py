"""A scored campaign, loaded once and reused by every report notebook of a run.

Each report notebook runs in its own kernel and needs the whole campaign scored (a pilot
page compares the pilot with the city). ``evalkit run`` scores once and stores the
result with :func:`store_scored`; every notebook then calls :func:`load_scored`, which
returns the stored result when it is still valid and otherwise loads and scores the
campaign itself — so a notebook opened on its own in JupyterLab works exactly the same,
only a little slower the first time.

The cache entry of a campaign file is valid while :func:`scored_key` is unchanged: the
sha256 of every input file (campaign, scheme, questionnaire, tables), the evalkit
version and :func:`evalkit.report.provenance.code_fingerprint`. Entries are pickles in
:func:`cache_dir`, written atomically; a missing, stale or unreadable entry is simply
recomputed. Pickles execute code when loaded: the cache directory must be writable by its
owner only, as the default one is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.campaign import DEFAULT_CAMPAIGN, Campaign
from evalkit.load import find_campaign_file, load_campaign
from evalkit.metrics.per_standard import standard_metrics
from evalkit.atomic import write_atomic
from evalkit.report.provenance import code_fingerprint, evalkit_version
from evalkit.scoring import Scores, score_campaign

logger = logging.getLogger(__name__)

#: Environment variable naming the cache directory (tests point it at a temporary one).
CACHE_DIR_VARIABLE = "EVALKIT_CACHE_DIR"


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
    by :meth:`for_pages` before a run stores the object, so that the pages of a run read
    them from the cache instead of each computing them again.
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
        from evalkit.survey_summary import construct_summary  # (imports SciPy: only when pages need it)

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
    checkout = Path(__file__).resolve().parents[2] / DEFAULT_CAMPAIGN
    return checkout if checkout.is_file() else DEFAULT_CAMPAIGN.absolute()


def cache_dir() -> Path:
    """``$EVALKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/evalkit``, else ``~/.cache/evalkit``."""
    configured = os.environ.get(CACHE_DIR_VARIABLE)
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "evalkit"


def scored_key(campaign: Campaign) -> str:
    """sha256 of what the scores depend on: input file hashes, evalkit version and code."""
    facts = {"inputs": campaign.input_hashes(), "evalkit": evalkit_version(), "code": code_fingerprint()}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode("utf-8")).hexdigest()


def _entry_path(campaign_path: Path) -> Path:
    name = hashlib.sha256(str(campaign_path).encode("utf-8")).hexdigest()[:24]
    return cache_dir() / f"scored-{name}.pickle"


def store_scored(scored: ScoredCampaign) -> Path | None:
    """Store a scored campaign for :func:`load_scored`; returns the entry, or None if it could not be written."""
    entry = _entry_path(scored.campaign.path)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = pickle.dumps({"key": scored_key(scored.campaign), "scored": scored}, protocol=pickle.HIGHEST_PROTOCOL)
        return write_atomic(entry, payload)
    except OSError as exc:
        logger.info("cannot write the score cache %s: %s", entry, exc)
        return None


def load_scored(campaign: str | os.PathLike[str] | None = None) -> ScoredCampaign:
    """The campaign at ``campaign``, loaded and scored — from the cache when still valid.

    Parameters
    ----------
    campaign : path, optional
        The campaign file; None means :func:`default_campaign`.

    Returns
    -------
    ScoredCampaign

    Raises
    ------
    DataError
        When the campaign does not load (every problem listed).
    """
    path = find_campaign_file(campaign) if campaign is not None else default_campaign()
    cached = _read_entry(_entry_path(path))
    if cached is not None and cached.campaign.path == path:
        return cached
    scored = ScoredCampaign.of(load_campaign(path)).for_pages(PAGE_KINDS)
    store_scored(scored)
    return scored


def _trusted(entry: Path, stream: Any) -> bool:
    """Whether the opened entry may be unpickled: on POSIX, it and its directory belong to this
    user (or root) and nobody else may write them — a pickle runs code when loaded, so an entry
    another user could have written (a shared ``$EVALKIT_CACHE_DIR``) is ignored."""
    if os.name != "posix":
        return True
    me = os.geteuid()
    for status in (os.fstat(stream.fileno()), entry.parent.stat()):
        if status.st_uid not in (me, 0) or status.st_mode & 0o022:
            logger.warning("ignoring the score cache %s: it or its directory is writable by other users", entry)
            return False
    return True


def _read_entry(entry: Path) -> ScoredCampaign | None:
    """The entry's scored campaign if it is readable, trusted and its key still matches, else None."""
    try:
        with open(entry, "rb") as stream:
            if not _trusted(entry, stream):
                return None
            payload = pickle.load(stream)
        scored = payload["scored"]
        if payload["key"] == scored_key(scored.campaign):
            return scored
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - any unreadable or outdated pickle is just a cache miss
        logger.info("ignoring the score cache %s: %s", entry, exc)
    return None
