"""The points ranking beside a multi-criteria ranking (TOPSIS) of the same pilots.

The scheme ranks pilots by points: a compensatory sum. TOPSIS ranks them by their
distance to the ideal and the anti-ideal pilot over the same indicators and weights. Where
the two rankings disagree much, a pilot's rank rests on one strong or weak indicator
rather than on a broad performance: worth a look before publishing a ranking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from evalkit.mcda import topsis
from evalkit.scoring import Scores

__all__ = ["compare_rankings"]


def compare_rankings(scores: Scores) -> pd.DataFrame:
    """Each pilot's points rank and TOPSIS rank over the scheme's scored leaves.

    Parameters
    ----------
    scores : Scores

    Returns
    -------
    DataFrame
        Index ``pilot_id`` in points order: ``name``, ``total``, ``points_rank``,
        ``closeness`` (TOPSIS relative closeness), ``topsis_rank`` and ``shift``
        (points rank − TOPSIS rank). ``attrs["spearman"]`` holds Spearman's ρ of the two
        rankings. When no indicator separates the pilots (one pilot, or all alike), the
        closeness is ``nan`` and ``topsis_rank`` and ``shift`` are ``<NA>`` (nullable integers).

    Notes
    -----
    The criteria are the non-bonus leaves' attainments (points ÷ maximum, so that every
    criterion is on [0, 1]), weighted by the leaves' maxima, all "higher is better";
    leaves worth no points are left out. Ranks are 1 for the best, ties sharing the lowest
    rank (``method="min"``).

    References
    ----------
    Hwang, C.-L., & Yoon, K. (1981). *Multiple Attribute Decision Making: Methods and
    Applications*. Berlin: Springer.
    """
    table = scores.table.set_index(scores.key)
    bonus = {node.id for top in scores.scheme.indicators if top.bonus for node in top.walk()}
    leaves = [leaf.id for leaf in scores.scheme.leaves() if leaf.id not in bonus and scores.maxima[leaf.id] > 0]
    attainment = pd.DataFrame({leaf: table[leaf] / scores.maxima[leaf] for leaf in leaves})
    closeness = topsis(attainment, {leaf: scores.maxima[leaf] for leaf in leaves})
    out = pd.DataFrame({
        "name": table[scores.info_columns[1]], "total": table["total"],
        "points_rank": table["total"].rank(ascending=False, method="min").astype(int),
        "closeness": closeness,
        "topsis_rank": closeness.rank(ascending=False, method="min").astype("Int64"),
    })
    out["shift"] = out["points_rank"] - out["topsis_rank"]
    out = out.sort_values(["points_rank", "topsis_rank"], kind="stable")
    ranked = out["closeness"].notna()
    out.attrs["spearman"] = (float(sps.spearmanr(out["total"][ranked], out["closeness"][ranked]).statistic)
                             if ranked.sum() > 2 else np.nan)
    return out
