"""Metrics of the standards register (标准明细表): ``standards.*``.

Every metric is computed from per-pilot counts of the register's rows:

* ``standards.count`` — rows;
* ``standards.current_rate`` — rows with status ``current`` ÷ rows;
* ``standards.implemented_rate`` — rows marked implemented ÷ rows (标准实施率);
* ``standards.adopted_count`` — origin ``adopted``;
* ``standards.developed_count`` — origin ``developed`` or ``revised``;
* ``standards.level_count.<level>`` — rows at that level.

A pilot without a single row in the register submitted nothing: all its ``standards.*``
metrics are missing (NaN), not 0, so that the scheme's ``missing`` policy decides and the
scorecard flags it. Its evidence counts are 0. A register without an ``origin`` (来源)
column leaves ``standards.adopted_count`` and ``standards.developed_count`` missing for every
pilot (a note says so when the campaign is loaded).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.catalogue import LEVELS, MetricRef

#: metric key -> evidence counts shown beside its value
EVIDENCE = {
    "count": ("rows",),
    "current_rate": ("rows", "current", "withdrawn", "upcoming"),
    "implemented_rate": ("rows", "implemented"),
    "adopted_count": ("rows", "adopted"),
    "developed_count": ("rows", "developed", "revised"),
}


def matches(column: pd.Series, codes: Sequence[str]) -> dict[str, np.ndarray]:
    """``column.eq(code).to_numpy()`` for each code, from one factorisation of the column (one
    hash per row instead of one text comparison per row and code)."""
    positions, distinct = pd.factorize(column)
    found = {value: position for position, value in enumerate(distinct.tolist())}
    return {code: positions == found.get(code, -2) for code in codes}


def counts(table: pd.DataFrame, rows: np.ndarray, size: int) -> pd.DataFrame:
    """Per-pilot counts of register rows by status, origin, level and implementation.

    Parameters
    ----------
    table : DataFrame
        The canonical ``standards`` table.
    rows : ndarray of int
        Position of each row's pilot among the campaign's sorted pilot ids.
    size : int
        Number of pilots.

    Returns
    -------
    DataFrame
        One row per pilot position; integer columns ``rows``, ``current``, ``withdrawn``,
        ``upcoming``, ``implemented``, ``adopted``, ``developed``, ``revised`` and one per
        level code.
    """
    flags = {
        "rows": np.ones(len(table), dtype=bool),
        **matches(table["status"], ("current", "withdrawn", "upcoming")),
        "implemented": table["implemented"].fillna(False).to_numpy(dtype=bool),
        **matches(table["origin"], ("adopted", "developed", "revised")),
        **matches(table["level"], LEVELS),
    }
    return pd.DataFrame({name: np.bincount(rows, weights=flag, minlength=size).astype(np.int64)
                         for name, flag in flags.items()})


def measure(table: pd.DataFrame, rows: np.ndarray, pilots: pd.Index,
            refs: Sequence[MetricRef]) -> tuple[dict[str, np.ndarray], dict[str, pd.DataFrame]]:
    """Values and evidence of the requested ``standards.*`` metrics for every pilot.

    Returns
    -------
    values : dict of str to ndarray
        Metric name -> float values aligned with ``pilots`` (NaN for a pilot without rows).
    evidence : dict of str to DataFrame
        Metric name -> integer counts indexed by ``pilots``.
    """
    tally = counts(table, rows, len(pilots))
    tally.index = pilots
    submitted = tally["rows"].to_numpy() > 0
    without_origin = table["origin"].isna().all()  # a register without the origin column: origin metrics missing
    values: dict[str, np.ndarray] = {}
    evidence: dict[str, pd.DataFrame] = {}
    for ref in refs:
        value, shown = _metric(tally, ref)
        known = submitted & ~(without_origin and ref.key in ORIGIN_METRICS)
        values[ref.name] = np.where(known, value, np.nan)
        evidence[ref.name] = tally[list(shown)]
    return values, evidence


#: Metrics read from the ``origin`` column, which a register may leave out (they are then missing).
ORIGIN_METRICS = ("adopted_count", "developed_count")


def _metric(tally: pd.DataFrame, ref: MetricRef) -> tuple[np.ndarray, tuple[str, ...]]:
    rows = tally["rows"].to_numpy(dtype=float)
    if ref.key == "level_count":
        return tally[ref.part].to_numpy(dtype=float), ("rows", ref.part)
    numerator = {
        "count": tally["rows"],
        "current_rate": tally["current"],
        "implemented_rate": tally["implemented"],
        "adopted_count": tally["adopted"],
        "developed_count": tally["developed"] + tally["revised"],
    }[ref.key].to_numpy(dtype=float)
    if ref.key.endswith("_rate"):
        with np.errstate(invalid="ignore", divide="ignore"):
            numerator = numerator / rows
    return numerator, EVIDENCE[ref.key]
