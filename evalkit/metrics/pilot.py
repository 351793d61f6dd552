"""Metrics of the pilots registry's extra columns: ``pilot.<column>``.

Any numeric or yes/no extra column of ``pilots`` (yes/no read as 1/0), e.g.
``pilot.major_incident`` or ``pilot.training_sessions``. A blank cell is missing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.catalogue import MetricRef


def measure(table: pd.DataFrame, rows: np.ndarray, pilots: pd.Index,
            refs: Sequence[MetricRef]) -> tuple[dict[str, np.ndarray], dict[str, pd.DataFrame]]:
    """Values of the requested ``pilot.*`` metrics for every pilot; the value is its own evidence.

    Returns
    -------
    values : dict of str to ndarray
        Metric name -> float values aligned with ``pilots``.
    evidence : dict of str to DataFrame
        Metric name -> an empty frame indexed by ``pilots`` (nothing beyond the value).
    """
    values = {}
    for ref in refs:
        column = np.full(len(pilots), np.nan)
        column[rows] = pd.to_numeric(table[ref.key]).to_numpy(dtype=float)
        values[ref.name] = column
    return values, {ref.name: pd.DataFrame(index=pilots) for ref in refs}
