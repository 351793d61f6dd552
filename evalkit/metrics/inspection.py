"""Metrics of the on-site inspection checklist (现场检查): ``inspection.*``.

* ``inspection.items`` — applicable items (result other than ``na``);
* ``inspection.conformity_rate`` — (conform + 0.5 × partial) ÷ applicable items; missing
  when the pilot has no applicable item;
* ``inspection.critical_nonconformities`` — nonconform items flagged critical.

A pilot that was not inspected at all (no row in the table) has all three metrics missing
(NaN), not 0: the scheme's ``missing`` policy decides, and a veto on them is not triggered.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.catalogue import MetricRef
from evalkit.metrics.standards import matches

#: weight of each result in the conformity rate (``na`` is not applicable)
CONFORMITY = {"conform": 1.0, "partial": 0.5, "nonconform": 0.0}

#: metric key -> evidence counts shown beside its value
EVIDENCE = {
    "items": ("checked", "applicable", "na"),
    "conformity_rate": ("checked", "na", "applicable", "conform", "partial", "nonconform"),
    "critical_nonconformities": ("checked", "nonconform", "critical_nonconform"),
}


def counts(table: pd.DataFrame, rows: np.ndarray, size: int) -> pd.DataFrame:
    """Per-pilot counts of checklist items by result (integer columns, one row per pilot position)."""
    results = matches(table["result"], (*CONFORMITY, "na"))
    flags = {
        "checked": np.ones(len(table), dtype=bool),
        **results,
        "critical_nonconform": results["nonconform"] & table["critical"].fillna(False).astype(bool).to_numpy(),
    }
    tally = pd.DataFrame({name: np.bincount(rows, weights=flag, minlength=size).astype(np.int64)
                          for name, flag in flags.items()})
    tally["applicable"] = tally["checked"] - tally["na"]
    return tally


def conformity_earned(tally: pd.DataFrame) -> np.ndarray:
    """Conformity points of each row of a :func:`counts` tally: conform + 0.5 × partial (:data:`CONFORMITY`)."""
    return sum(weight * tally[code].to_numpy(dtype=float) for code, weight in CONFORMITY.items())


def conformity_rate(tally: pd.DataFrame) -> np.ndarray:
    """The conformity rate of each row of a tally with the :func:`counts` columns.

    (conform + 0.5 × partial) ÷ applicable items; NaN for a row without applicable items.
    This is the one definition of ``inspection.conformity_rate``; reports and the
    per-standard metrics use it for any grouping of checklist items (by pilot, by
    standard, by district).

    Examples
    --------
    >>> tally = pd.DataFrame({"conform": [1, 0], "partial": [1, 0], "nonconform": [0, 0], "applicable": [2, 0]})
    >>> conformity_rate(tally)
    array([0.75,  nan])
    """
    applicable = tally["applicable"].to_numpy(dtype=float)
    return np.divide(conformity_earned(tally), applicable, out=np.full(len(tally), np.nan), where=applicable > 0)


def measure(table: pd.DataFrame, rows: np.ndarray, pilots: pd.Index,
            refs: Sequence[MetricRef]) -> tuple[dict[str, np.ndarray], dict[str, pd.DataFrame]]:
    """Values and evidence of the requested ``inspection.*`` metrics for every pilot.

    Returns
    -------
    values : dict of str to ndarray
        Metric name -> float values aligned with ``pilots``.
    evidence : dict of str to DataFrame
        Metric name -> integer counts indexed by ``pilots``.
    """
    tally = counts(table, rows, len(pilots))
    tally.index = pilots
    inspected = tally["checked"].to_numpy() > 0
    computed = {
        "items": tally["applicable"].to_numpy(dtype=float),
        "conformity_rate": conformity_rate(tally),
        "critical_nonconformities": tally["critical_nonconform"].to_numpy(dtype=float),
    }
    values = {ref.name: np.where(inspected, computed[ref.key], np.nan) for ref in refs}
    evidence = {ref.name: tally[list(EVIDENCE[ref.key])] for ref in refs}
    return values, evidence
