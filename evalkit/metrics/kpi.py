"""Metrics of the effect indicators (绩效指标, before/after): ``kpi.*``.

* ``kpi.<indicator>.change`` — relative change in the better direction,
  :math:`(final - baseline)/|baseline|`, sign flipped when lower is better, so that a
  positive change is always an improvement. Missing when either period is missing or the
  baseline is 0 (a relative change from 0 is undefined).
* ``kpi.improved_share`` — share of the pilot's indicators (those with both periods)
  whose final value strictly beats the baseline in their ``better`` direction; missing
  when the pilot has no indicator with both periods.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.catalogue import MetricRef


def paired(table: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """One row per (pilot position, indicator): ``baseline``, ``final`` and ``better``.

    The table's key (pilot, indicator, period) is unique, so every cell holds one value.
    """
    frame = pd.DataFrame({
        "pilot": rows,
        "indicator": table["indicator"].to_numpy(dtype=object),
        "period": table["period"].to_numpy(dtype=object),
        "value": table["value"].to_numpy(dtype=float),
        "better": table["better"].to_numpy(dtype=object),
    })
    wide = frame.pivot(index=["pilot", "indicator"], columns="period", values="value")
    wide = wide.reindex(columns=["baseline", "final"]).rename_axis(columns=None)
    wide["better"] = frame.groupby(["pilot", "indicator"])["better"].first()
    return wide


def change(pairs: pd.DataFrame) -> pd.Series:
    """Relative change in the better direction; NaN when a period is missing or baseline is 0."""
    baseline, final = pairs["baseline"], pairs["final"]
    relative = (final - baseline) / baseline.abs().where(baseline != 0)
    return relative.where(pairs["better"].ne("lower"), -relative) + 0.0  # + 0.0 turns -0.0 into 0.0


def measure(table: pd.DataFrame, rows: np.ndarray, pilots: pd.Index,
            refs: Sequence[MetricRef]) -> tuple[dict[str, np.ndarray], dict[str, pd.DataFrame]]:
    """Values and evidence of the requested ``kpi.*`` metrics for every pilot.

    Returns
    -------
    values : dict of str to ndarray
        Metric name -> float values aligned with ``pilots``.
    evidence : dict of str to DataFrame
        ``.change``: baseline, final, better; ``improved_share``: indicators with both
        periods and how many of them improved.
    """
    pairs = paired(table, rows)
    values: dict[str, np.ndarray] = {}
    evidence: dict[str, pd.DataFrame] = {}
    for ref in refs:
        if ref.key == "improved_share":
            shown = _improvement_counts(pairs, len(pilots))
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(shown["indicators"] > 0, shown["improved"] / shown["indicators"], np.nan)
            values[ref.name] = share
            evidence[ref.name] = shown.set_axis(pilots)
            continue
        one = pairs[pairs.index.get_level_values("indicator") == ref.key].droplevel("indicator")
        one = one.reindex(range(len(pilots)))
        values[ref.name] = change(one).to_numpy(dtype=float)
        evidence[ref.name] = one[["baseline", "final", "better"]].set_axis(pilots)
    return values, evidence


def _improvement_counts(pairs: pd.DataFrame, size: int) -> pd.DataFrame:
    complete = pairs.dropna(subset=["baseline", "final"])
    gain = complete["final"] - complete["baseline"]
    improved = np.where(complete["better"].eq("lower"), gain < 0, gain > 0)
    pilot = complete.index.get_level_values("pilot").to_numpy()
    return pd.DataFrame({
        "indicators": np.bincount(pilot, minlength=size),
        "improved": np.bincount(pilot, weights=improved, minlength=size).astype(np.int64),
    })
