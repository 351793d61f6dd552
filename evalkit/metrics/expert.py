"""Metrics of the expert panel (专家评分): ``expert.<indicator_id>``.

The points the panel gave a pilot on a scheme indicator, aggregated by the scheme's
``expert_aggregate``:

* ``mean`` — arithmetic mean of the experts' scores;
* ``median`` — median;
* ``trimmed_mean`` — with at least :data:`TRIM_MIN_EXPERTS` experts, drop one highest and
  one lowest score (去掉一个最高分和一个最低分) and average the rest; with fewer, the plain
  mean. Among tied scores, the lowest dropped is the one of the first ``expert_id`` and
  the highest dropped the one of the last.

Scores are put in a canonical order (pilot, score, expert) before summing, so the value
does not depend on the order of the rows. A pilot no expert scored on the indicator has
a missing value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.catalogue import MetricRef

AGGREGATES = ("mean", "median", "trimmed_mean")
TRIM_MIN_EXPERTS = 5


def measure(table: pd.DataFrame, rows: np.ndarray, pilots: pd.Index, refs: Sequence[MetricRef],
            aggregate: str) -> tuple[dict[str, np.ndarray], dict[str, pd.DataFrame]]:
    """Values and evidence of the requested ``expert.*`` metrics for every pilot.

    Parameters
    ----------
    aggregate : {"mean", "median", "trimmed_mean"}
        How the experts' scores of one pilot and indicator become one value.

    Returns
    -------
    values : dict of str to ndarray
        Metric name -> float values aligned with ``pilots``.
    evidence : dict of str to DataFrame
        Indexed by ``pilots``: ``experts`` (count), ``scores`` (expert id -> score, in
        expert order), ``dropped`` (expert ids left out by ``trimmed_mean``) and
        ``aggregate``.
    """
    if aggregate not in AGGREGATES:
        raise ValueError(f"unknown expert_aggregate '{aggregate}' (use one of {', '.join(AGGREGATES)})")
    scored = pd.DataFrame({
        "pilot": rows,
        "expert": table["expert_id"].to_numpy(dtype=object),
        "indicator": table["indicator_id"].to_numpy(dtype=object),
        "score": table["score"].to_numpy(dtype=float),
    }).dropna(subset=["score"])
    values: dict[str, np.ndarray] = {}
    evidence: dict[str, pd.DataFrame] = {}
    for ref in refs:
        panel = scored[scored["indicator"] == ref.key].sort_values(["pilot", "score", "expert"], kind="stable")
        values[ref.name], evidence[ref.name] = _aggregate(panel, pilots, aggregate)
    return values, evidence


def _aggregate(panel: pd.DataFrame, pilots: pd.Index, aggregate: str) -> tuple[np.ndarray, pd.DataFrame]:
    """One indicator's scores, sorted by (pilot, score, expert) -> value and evidence per pilot."""
    size = len(pilots)
    pilot = panel["pilot"].to_numpy()
    score = panel["score"].to_numpy()
    experts = np.bincount(pilot, minlength=size)
    dropped = _trimmed(pilot, experts) if aggregate == "trimmed_mean" else np.zeros(len(panel), dtype=bool)
    if aggregate == "median":
        value = panel.groupby("pilot")["score"].median().reindex(range(size)).to_numpy(dtype=float)
    else:
        kept = ~dropped
        with np.errstate(invalid="ignore", divide="ignore"):
            value = (np.bincount(pilot, weights=np.where(kept, score, 0.0), minlength=size)
                     / np.bincount(pilot, weights=kept, minlength=size))
    value = np.where(experts > 0, value, np.nan)
    return value, pd.DataFrame({
        "experts": experts,
        "scores": _per_pilot(panel.sort_values(["pilot", "expert"], kind="stable"), size),
        "dropped": _dropped_ids(panel, dropped, size),
        "aggregate": aggregate,
    }, index=pilots)


def _trimmed(pilot: np.ndarray, experts: np.ndarray) -> np.ndarray:
    """Rows to drop: the first (lowest) and last (highest) of each pilot with enough experts."""
    starts = np.concatenate(([0], np.cumsum(experts)[:-1]))
    position = np.arange(len(pilot)) - starts[pilot]
    group_size = experts[pilot]
    return (group_size >= TRIM_MIN_EXPERTS) & ((position == 0) | (position == group_size - 1))


def _per_pilot(panel: pd.DataFrame, size: int) -> list[dict[str, float]]:
    """Expert id -> score for every pilot position (empty dict when nobody scored it)."""
    out: list[dict[str, float]] = [{} for _ in range(size)]
    for pilot, expert, score in zip(panel["pilot"].tolist(), panel["expert"].tolist(), panel["score"].tolist()):
        out[pilot][expert] = score
    return out


def _dropped_ids(panel: pd.DataFrame, dropped: np.ndarray, size: int) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in range(size)]
    for pilot, expert in zip(panel["pilot"][dropped].tolist(), panel["expert"][dropped].tolist()):
        out[pilot].append(expert)
    return out
