"""Multi-criteria ranking and fuzzy comprehensive evaluation (模糊综合评价).

* :func:`topsis` ranks alternatives (pilots) on several criteria by their closeness to
  the ideal solution.
* :func:`fuzzy_membership` turns Likert answers into a membership matrix (the share of
  answers at each level), and :func:`fuzzy_evaluation` combines it with factor weights by
  the weighted-average operator M(·, +) into a grade vector, a score and a grade.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.stats import StatisticsWarning
from evalkit.tolerance import TOLERANCE

__all__ = ["FuzzyResult", "fuzzy_evaluation", "fuzzy_membership", "topsis"]

DIRECTIONS = ("higher", "lower")


@dataclass(frozen=True)
class FuzzyResult:
    """Outcome of a fuzzy comprehensive evaluation.

    Attributes
    ----------
    vector : pandas.Series
        B = W·R: membership of the evaluated object in each grade (sums to 1), indexed by
        the grades (the columns of the membership matrix).
    score : float
        B · grade scores: the grade scores averaged with weights B.
    grade : object
        The grade of largest membership (maximum membership principle; the first one on
        ties).
    """

    vector: pd.Series
    score: float
    grade: object


def _aligned(values: Mapping | pd.Series | float | str, index: pd.Index, what: str) -> pd.Series:
    """A per-criterion (or per-factor) value as a Series on ``index``; a scalar applies to all."""
    if np.isscalar(values):
        return pd.Series(values, index=index)
    series = pd.Series(values)
    missing = [str(key) for key in index if key not in series.index]
    extra = [str(key) for key in series.index if key not in index]
    if missing or extra:
        detail = "; ".join(
            part
            for part in (
                f"missing for {', '.join(missing)}" if missing else "",
                f"given for unknown {', '.join(extra)}" if extra else "",
            )
            if part
        )
        raise ValueError(f"{what} must name exactly the same entries as the table: {detail}")
    return series.reindex(index)


def _normalised_weights(weights: Mapping | pd.Series, index: pd.Index, what: str) -> pd.Series:
    w = _aligned(weights, index, what).astype(float)
    if w.isna().any() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"{what} must be non-negative numbers, not all zero")
    return w / w.sum()


def topsis(
    table: pd.DataFrame,
    weights: Mapping[str, float] | pd.Series,
    better: Mapping[str, str] | pd.Series | str = "higher",
) -> pd.Series:
    r"""Technique for Order Preference by Similarity to Ideal Solution.

    Parameters
    ----------
    table : pandas.DataFrame, shape (n_alternatives, n_criteria)
        One row per alternative (e.g. pilot), one numeric column per criterion; no
        missing values.
    weights : mapping or pandas.Series
        Criterion -> weight, for exactly the table's columns; normalised to sum 1 (which
        does not change the result).
    better : mapping, pandas.Series or str, default "higher"
        Criterion -> ``"higher"`` (benefit) or ``"lower"`` (cost); a single string applies
        to every criterion.

    Returns
    -------
    pandas.Series
        Relative closeness :math:`C_i \in [0, 1]` per alternative (index = the table's
        index, name ``"closeness"``); rank by sorting descending.

    Raises
    ------
    ValueError
        Missing or non-numeric values, weights or directions not matching the columns,
        negative weights, or a direction other than higher/lower.

    Warns
    -----
    StatisticsWarning
        All alternatives are identical on every weighted criterion: closeness is ``nan``.

    Notes
    -----
    Vector normalisation :math:`r_{ij} = x_{ij}/\sqrt{\sum_i x_{ij}^2}`, weighting
    :math:`v_{ij} = w_j r_{ij}`, ideal :math:`A^+_j = \max_i v_{ij}` for benefit and
    :math:`\min_i v_{ij}` for cost criteria (anti-ideal :math:`A^-` the other way round),
    Euclidean distances :math:`S_i^\pm = \lVert v_i - A^\pm\rVert` and

    .. math:: C_i = \frac{S_i^-}{S_i^+ + S_i^-}.

    A criterion whose values are all 0 has no norm; it cannot separate alternatives and
    is left at 0.

    References
    ----------
    Hwang, C.-L., & Yoon, K. (1981). *Multiple Attribute Decision Making: Methods and
    Applications*. Berlin: Springer (Lecture Notes in Economics and Mathematical
    Systems 186), pp. 128–140.

    Examples
    --------
    Hwang & Yoon's (1981) fighter-aircraft example (the fourth criterion, cost, is
    "lower is better"); the book prints 0.643, 0.268, 0.613, 0.312, having rounded its
    normalised matrix to four decimals:

    >>> import pandas as pd
    >>> aircraft = pd.DataFrame(
    ...     [[2.0, 1500, 20000, 5.5, 5, 9], [2.5, 2700, 18000, 6.5, 3, 5],
    ...      [1.8, 2000, 21000, 4.5, 7, 7], [2.2, 1800, 20000, 5.0, 5, 5]],
    ...     index=["A1", "A2", "A3", "A4"],
    ...     columns=["speed", "range", "payload", "cost", "reliability", "manoeuvrability"])
    >>> w = {"speed": 0.2, "range": 0.1, "payload": 0.1, "cost": 0.1, "reliability": 0.2,
    ...      "manoeuvrability": 0.3}
    >>> topsis(aircraft, w, better={**{c: "higher" for c in w}, "cost": "lower"}).round(3).tolist()
    [0.643, 0.268, 0.614, 0.312]
    """
    values = _criteria_table(table)
    w = _normalised_weights(weights, values.columns, "weights")
    direction = _aligned(better, values.columns, "better")
    unknown = sorted({str(d) for d in direction if d not in DIRECTIONS})
    if unknown:
        raise ValueError(f"better must be 'higher' or 'lower', got {', '.join(unknown)}")
    norm = np.sqrt((values**2).sum())
    weighted = values / norm.where(norm > 0, 1.0) * w
    benefit = direction.eq("higher")
    ideal = weighted.max().where(benefit, weighted.min())
    anti = weighted.min().where(benefit, weighted.max())
    to_ideal = np.sqrt(((weighted - ideal) ** 2).sum(axis=1))
    to_anti = np.sqrt(((weighted - anti) ** 2).sum(axis=1))
    spread = to_ideal + to_anti
    if (spread == 0).any():  # then ideal == anti-ideal: every alternative is alike
        warnings.warn(
            "TOPSIS: no weighted criterion separates the alternatives; closeness is nan",
            StatisticsWarning,
            stacklevel=2,
        )
    return (to_anti / spread.where(spread > 0)).rename("closeness")


def _criteria_table(table: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(table)
    bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise ValueError(f"TOPSIS criteria must be numeric; not numeric: {', '.join(bad)}")
    frame = frame.astype(float)
    if frame.isna().to_numpy().any():
        row, column = frame.isna().stack().loc[lambda s: s].index[0]
        raise ValueError(f"TOPSIS needs every value; missing for alternative {row}, criterion {column}")
    return frame


def fuzzy_membership(
    answers: pd.DataFrame,
    scale_min: int,
    scale_max: int,
    *,
    factors: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    r"""Membership matrix from Likert answers: the share of answers at each scale level.

    Parameters
    ----------
    answers : pandas.DataFrame, shape (n_respondents, n_items)
        One row per respondent, one column per item, answers are whole numbers on the
        scale (NaN = missing, ignored). Recode reverse-worded items first
        (:func:`evalkit.survey_summary.recode_answers` does).
    scale_min, scale_max : int
        The scale; its levels become the grades (columns).
    factors : mapping, optional
        Item -> evaluation factor (e.g. construct). When given, the answers to all items
        of a factor are pooled and the rows are the factors, in order of first appearance;
        otherwise the rows are the items.

    Returns
    -------
    pandas.DataFrame
        Rows items (or factors), columns the levels ``scale_min … scale_max``; each row sums
        to 1.

    Raises
    ------
    ValueError
        A non-numeric item, an answer that is not a whole number on the scale, an item
        missing from ``factors``, or a row (item or factor) without any answer.

    Notes
    -----
    :math:`r_{ij} = n_{ij}/\sum_j n_{ij}` with :math:`n_{ij}` the number of answers of level
    :math:`j` to item (or factor) :math:`i` — the usual way survey data enter a fuzzy
    comprehensive evaluation (Wang 1983).

    References
    ----------
    Wang, P.-Z. (汪培庄) (1983). *Fuzzy sets and their applications* (模糊集合论及其应用).
    Shanghai: Shanghai Scientific and Technical Publishers.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"C1": [5, 4, 4, 3, 5], "C2": [2, 3, None, 3, 4]})
    >>> fuzzy_membership(answers, 1, 5)
          1     2    3     4    5
    C1  0.0  0.00  0.2  0.40  0.4
    C2  0.0  0.25  0.5  0.25  0.0
    """
    frame = pd.DataFrame(answers)
    bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise ValueError(f"answers must be numeric; not numeric: {', '.join(bad)}")
    levels = list(range(scale_min, scale_max + 1))
    long = frame.astype(float).melt(var_name="item", value_name="answer").dropna()
    off = long.loc[~long["answer"].isin(levels)]
    if len(off):
        first = off.iloc[0]
        raise ValueError(
            f"item {first['item']}: {first['answer']:g} is not a level of the scale {scale_min}–{scale_max}"
        )
    rows = list(frame.columns)
    if factors is not None:
        unmapped = [str(item) for item in rows if item not in factors]
        if unmapped:
            raise ValueError(f"factors gives no factor for item(s) {', '.join(unmapped)}")
        long["item"] = long["item"].map(factors)
        rows = list(dict.fromkeys(factors[item] for item in frame.columns))
    counts = pd.crosstab(long["item"], long["answer"].astype(int)).reindex(
        index=rows, columns=levels, fill_value=0
    )
    empty = [str(row) for row, total in counts.sum(axis=1).items() if total == 0]
    if empty:
        raise ValueError(f"no answers for {', '.join(empty)}: membership is undefined")
    counts.index.name, counts.columns.name = None, None
    return counts.div(counts.sum(axis=1), axis=0)


def fuzzy_evaluation(
    weights: Mapping[str, float] | pd.Series,
    membership: pd.DataFrame,
    grade_scores: Mapping[object, float] | pd.Series,
) -> FuzzyResult:
    r"""Fuzzy comprehensive evaluation with the weighted-average operator M(·, +).

    Parameters
    ----------
    weights : mapping or pandas.Series
        Factor -> weight for exactly the rows of ``membership`` (e.g. from AHP);
        normalised to sum 1.
    membership : pandas.DataFrame, shape (n_factors, n_grades)
        Fuzzy relation matrix R: row *i* is factor *i*'s membership in each grade (columns),
        values in [0, 1], each row summing to 1 (see :func:`fuzzy_membership`).
    grade_scores : mapping or pandas.Series
        Grade -> numeric score for exactly the columns of ``membership`` (e.g. 很满意 100,
        满意 80, 一般 60, 不满意 40, 很不满意 20).

    Returns
    -------
    FuzzyResult
        ``vector`` B, ``score`` and ``grade``.

    Raises
    ------
    ValueError
        Weights or grade scores not matching the matrix, negative weights, membership
        values outside [0, 1], missing, or rows not summing to 1.

    Notes
    -----
    .. math:: B = W \cdot R, \quad b_j = \sum_i w_i r_{ij}, \qquad
              \text{score} = \sum_j b_j s_j, \qquad \text{grade} = \arg\max_j b_j.

    M(·, +) (multiply, then add) uses every factor's information in proportion to its
    weight, unlike Zadeh's M(∧, ∨), which keeps only the dominant factor.

    References
    ----------
    Wang, P.-Z. (汪培庄) (1983). *Fuzzy sets and their applications* (模糊集合论及其应用).
    Shanghai: Shanghai Scientific and Technical Publishers.

    Saaty, T. L. (1980). *The Analytic Hierarchy Process*. New York: McGraw-Hill (for the
    factor weights usually fed in).

    Examples
    --------
    >>> import pandas as pd
    >>> R = pd.DataFrame([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]], index=["服务", "环境"],
    ...                  columns=["满意", "一般", "不满意"])
    >>> r = fuzzy_evaluation({"服务": 0.7, "环境": 0.3}, R, {"满意": 90, "一般": 70, "不满意": 50})
    >>> r.vector.round(2).tolist(), round(r.score, 2), r.grade
    ([0.41, 0.36, 0.23], 73.6, '满意')
    """
    relation = pd.DataFrame(membership).astype(float)
    values = relation.to_numpy()
    if np.isnan(values).any() or (values < 0).any() or (values > 1).any():
        raise ValueError("membership values must lie in [0, 1] with none missing")
    sums = relation.sum(axis=1)
    off = sums[(sums - 1).abs() > TOLERANCE]
    if len(off):
        raise ValueError(f"membership rows must sum to 1; row {off.index[0]} sums to {off.iloc[0]:g}")
    w = _normalised_weights(weights, relation.index, "weights")
    scores = _aligned(grade_scores, relation.columns, "grade_scores").astype(float)
    vector = relation.mul(w, axis=0).sum(axis=0)
    return FuzzyResult(vector=vector, score=float(vector @ scores), grade=vector.idxmax())
