"""Metrics of the catalogue (docs/metrics.md): one number per pilot and metric, all pilots at once.

:func:`compute_metrics` gives the tidy pilot × metric table; :func:`measure` gives it
together with the evidence an assessor needs to recompute each value by hand (counts of
rows, answers, items, the experts' individual scores…). Each evidence source has its own
module (:mod:`.standards`, :mod:`.inspection`, :mod:`.survey`, :mod:`.kpi`,
:mod:`.expert`, :mod:`.pilot`), vectorised over all pilots.

Schemes with ``subject: standard`` read the ``standard.*`` metrics instead, one value per
standard of the campaign (:mod:`.per_standard`); ``measure(campaign, names, "standard")``
gives them indexed by ``std_code``.

A metric that cannot be computed for a pilot is **missing** (NaN), never 0; the scheme's
``missing`` policy decides later what a missing value scores. In particular a pilot with
no row at all in a table (it submitted no standards register, was not inspected, has no
survey or KPI rows) has every metric of that table missing, counts included — a pilot
that submitted nothing is flagged, not silently scored 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.campaign import Campaign
from evalkit.catalogue import SOURCE_TABLES, SUBJECTS, MetricRef, parse_metric
from evalkit.metrics import expert, inspection, kpi, per_standard, pilot, standards, survey

__all__ = ["Measurements", "compute_metrics", "measure"]


@dataclass(frozen=True)
class Measurements:
    """Metric values and their evidence for every pilot of a campaign.

    Attributes
    ----------
    values : DataFrame
        Index ``pilot_id`` (every pilot, sorted) — or ``std_code`` (every standard, sorted)
        for standard metrics — one float column per metric; NaN where the metric cannot be
        computed.
    evidence : dict of str to DataFrame
        Metric name -> a frame indexed like ``values`` whose columns are the counts behind
        the value (e.g. ``applicable``, ``conform``, ``partial``, ``nonconform`` for
        ``inspection.conformity_rate``).
    labels : DataFrame or None
        For standard metrics, the label columns of ``standards_scores.csv`` indexed like
        ``values``: ``title``, ``level`` (what most register rows give) and ``pilots``
        (how many pilots list the standard). None for pilots (their labels are the
        ``pilots`` table).
    """

    values: pd.DataFrame
    evidence: dict[str, pd.DataFrame]
    labels: pd.DataFrame | None = None


def compute_metrics(campaign: Campaign, names: Iterable[str] | None = None, subject: str = "pilot") -> pd.DataFrame:
    """The pilot × metric table (or standard × metric table).

    Parameters
    ----------
    campaign : Campaign
        A loaded campaign.
    names : iterable of str, optional
        Metric names of the catalogue; default: every metric the scheme of ``subject``
        reads.
    subject : {"pilot", "standard"}, default "pilot"
        Whose metrics: the pilots' (``campaign.scheme``) or the standards'
        (``campaign.standard_scheme``, ``standard.*`` metrics).

    Returns
    -------
    DataFrame
        Index ``pilot_id`` (all pilots, sorted) or ``std_code`` (all standards, sorted),
        columns ``names`` (float); NaN = the metric cannot be computed for that row.

    Raises
    ------
    ValueError
        For a name outside the catalogue, one of the other subject, or one whose table the
        campaign lacks.
    """
    return measure(campaign, names, subject).values


def measure(campaign: Campaign, names: Iterable[str] | None = None, subject: str = "pilot") -> Measurements:
    """Metric values with their evidence (see :class:`Measurements` and :func:`compute_metrics`)."""
    if names is None:
        scheme = campaign.scheme if subject == "pilot" else getattr(campaign, "standard_scheme", None)
        if scheme is None:
            raise ValueError(f"the campaign has no {subject} scheme")
        names = scheme.metrics
    wanted = list(dict.fromkeys(names))
    by_source: dict[str, list[MetricRef]] = {}
    for name in wanted:
        ref = parse_metric(name)
        if ref is None:
            raise ValueError(f"unknown metric '{name}'")
        if SUBJECTS[ref.source] != subject:
            raise ValueError(f"'{name}' is a per-{SUBJECTS[ref.source]} metric, not a per-{subject} one")
        by_source.setdefault(ref.source, []).append(ref)
    if subject == "standard":
        refs = by_source.get("standard", [])
        index, values, evidence, labels = per_standard.measure(campaign, refs)
        frame = pd.DataFrame({name: values[name] for name in wanted}, index=index, dtype=float)
        return Measurements(frame, {name: evidence[name] for name in wanted}, labels)
    pilots = pd.Index(sorted(campaign.pilots["pilot_id"]), name="pilot_id", dtype=object)
    values: dict[str, np.ndarray] = {}
    evidence: dict[str, pd.DataFrame] = {}
    for source, refs in by_source.items():
        table = campaign.table(SOURCE_TABLES[source])
        if table is None:
            raise ValueError(f"metric '{refs[0].name}' needs the {SOURCE_TABLES[source]} table, "
                             "which the campaign does not provide")
        rows = pilots.get_indexer(table["pilot_id"])
        source_values, source_evidence = _measure_source(campaign, source, table, rows, pilots, refs)
        values.update(source_values)
        evidence.update(source_evidence)
    frame = pd.DataFrame({name: values[name] for name in wanted}, index=pilots, dtype=float)
    return Measurements(frame, {name: evidence[name] for name in wanted})


def _measure_source(campaign: Campaign, source: str, table: pd.DataFrame, rows: np.ndarray,
                    pilots: pd.Index, refs: list[MetricRef]) -> tuple[dict[str, np.ndarray], dict[str, pd.DataFrame]]:
    if source == "survey":
        return survey.measure(table, rows, pilots, refs, campaign.questionnaire)
    if source == "expert":
        return expert.measure(table, rows, pilots, refs, campaign.scheme.expert_aggregate)
    module = {"standards": standards, "inspection": inspection, "kpi": kpi, "pilot": pilot}[source]
    return module.measure(table, rows, pilots, refs)
