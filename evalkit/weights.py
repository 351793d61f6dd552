"""Weights of indicators: AHP (subjective), entropy and CRITIC (objective).

All functions are pure: numbers in, numbers out. :func:`ahp` turns a bureau's pairwise
judgements into weights; :func:`entropy_weights` and :func:`critic_weights` derive weights
from how much the alternatives (pilots) differ on each criterion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

#: Saaty's random consistency index RI by matrix order n (Saaty 1980, Table 1.4 as
#: reprinted in Saaty 1990, *Eur. J. Oper. Res.* 48, p. 15, for n = 3…10).
SAATY_RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}

CR_LIMIT = 0.10

#: Direction of a criterion: one for all columns, or one per column.
Better = Literal["higher", "lower"] | Mapping[str, str]


@dataclass(frozen=True)
class AHPResult:
    """Weights from a pairwise comparison matrix and its consistency.

    Attributes
    ----------
    weights : numpy.ndarray
        Normalised principal eigenvector (sums to 1), in the order of the matrix rows.
    lambda_max : float
        Principal eigenvalue.
    ci : float
        Consistency index (λmax − n)/(n − 1).
    cr : float
        Consistency ratio CI/RI (0 for n ≤ 2, where every matrix is consistent).
    matrix : numpy.ndarray or None
        The pairwise comparison matrix the weights come from.
    """

    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    matrix: np.ndarray | None = None

    @property
    def consistent(self) -> bool:
        """Saaty's rule: the judgements are acceptable when CR < 0.10."""
        return self.cr < CR_LIMIT


def reciprocity_errors(matrix: np.ndarray, rtol: float = 0.01) -> list[tuple[int, int]]:
    """Cells (i, j), i < j, where a_ij · a_ji differs from 1 by more than ``rtol``, plus bad diagonals."""
    n = matrix.shape[0]
    bad = [(i, i) for i in range(n) if not np.isclose(matrix[i, i], 1.0, rtol=rtol)]
    for i in range(n):
        for j in range(i + 1, n):
            if not np.isclose(matrix[i, j] * matrix[j, i], 1.0, rtol=rtol):
                bad.append((i, j))
    return bad


def ahp(matrix: np.ndarray | list[list[float]]) -> AHPResult:
    """Analytic hierarchy process weights by the eigenvector method.

    Parameters
    ----------
    matrix : array_like, shape (n, n)
        Positive reciprocal pairwise comparison matrix: ``a_ij`` is how many times more
        important item *i* is than item *j* on Saaty's 1–9 scale, ``a_ji = 1/a_ij``.

    Returns
    -------
    AHPResult
        ``weights`` = principal right eigenvector normalised to sum 1;
        ``lambda_max``; ``ci = (λmax − n)/(n − 1)``; ``cr = CI/RI`` with Saaty's RI for
        n = 3…10 (0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49).

    Raises
    ------
    ValueError
        If the matrix is not square, has non-positive entries, or n > 10 (no RI).

    References
    ----------
    Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.
    Saaty, T. L. (1990). How to make a decision: the analytic hierarchy process.
    *European Journal of Operational Research*, 48(1), 9–26.

    Examples
    --------
    >>> r = ahp([[1, 3], [1/3, 1]])
    >>> r.weights.round(2).tolist()
    [0.75, 0.25]
    """
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"AHP matrix must be square, got shape {a.shape}")
    n = a.shape[0]
    if n > max(SAATY_RI):
        raise ValueError(f"AHP matrices larger than {max(SAATY_RI)}×{max(SAATY_RI)} have no random index")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError("AHP matrix entries must be positive numbers")
    eigenvalues, eigenvectors = np.linalg.eig(a)
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    vector = np.abs(eigenvectors[:, k].real)
    weights = vector / vector.sum()
    ci = (lambda_max - n) / (n - 1) if n > 1 else 0.0
    ri = SAATY_RI[n]
    cr = ci / ri if ri > 0 else 0.0
    return AHPResult(weights=weights, lambda_max=lambda_max, ci=float(ci), cr=float(cr), matrix=a)


def entropy_weights(table: pd.DataFrame, better: Better = "higher") -> pd.Series:
    """Objective weights of criteria by the entropy method (熵权法).

    Parameters
    ----------
    table : DataFrame
        Rows are alternatives (e.g. pilots), columns are criteria; numbers, no NaN.
    better : {"higher", "lower"} or mapping of column to direction, default "higher"
        Direction of each criterion.

    Returns
    -------
    Series
        One weight per column (same order), summing to 1.

    Notes
    -----
    With *m* alternatives, each column is min–max normalised in its direction,
    :math:`x_{ij} = (v_{ij} - \\min_j)/(\\max_j - \\min_j)` for ``higher`` and
    :math:`(\\max_j - v_{ij})/(\\max_j - \\min_j)` for ``lower``; then

    .. math::

        p_{ij} = x_{ij} / \\sum_i x_{ij}, \\qquad
        e_j = -\\frac{1}{\\ln m} \\sum_i p_{ij} \\ln p_{ij} \\;(0 \\ln 0 = 0), \\qquad
        w_j = \\frac{1 - e_j}{\\sum_k (1 - e_k)}.

    A constant column carries no information: its divergence :math:`1 - e_j` is 0.
    When no column carries information (all alternatives equal, or a single
    alternative), every criterion gets the same weight. Rows are put in a canonical
    order first, so the result does not depend on the order of the input rows.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. *Bell System
    Technical Journal*, 27(3), 379–423.
    Zeleny, M. (1982). *Multiple Criteria Decision Making*. McGraw-Hill, ch. 7
    (the entropy measure of the contrast intensity of criteria).

    Examples
    --------
    >>> t = pd.DataFrame({"a": [0.0, 0.5, 1.0], "b": [0.0, 0.0, 1.0]})
    >>> entropy_weights(t).round(4).tolist()
    [0.2961, 0.7039]
    """
    x = _normalised(table, better)
    m = x.shape[0]
    totals = x.sum(axis=0)
    p = np.divide(x, totals, out=np.zeros_like(x), where=totals > 0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = -plogp.sum(axis=0) / np.log(m) if m > 1 else np.ones(x.shape[1])
    divergence = np.where(totals > 0, 1.0 - entropy, 0.0)
    return _weights_from(divergence, table.columns)


def critic_weights(table: pd.DataFrame, better: Better = "higher") -> pd.Series:
    """Objective weights by CRITIC (CRiteria Importance Through Intercriteria Correlation).

    Parameters
    ----------
    table : DataFrame
        Rows are alternatives, columns are criteria; numbers, no NaN.
    better : {"higher", "lower"} or mapping of column to direction, default "higher"
        Direction of each criterion.

    Returns
    -------
    Series
        One weight per column (same order), summing to 1.

    Notes
    -----
    Columns are min–max normalised in their direction (as in :func:`entropy_weights`).
    Criterion *j* carries the information

    .. math::

        C_j = \\sigma_j \\sum_k (1 - r_{jk}), \\qquad w_j = C_j / \\sum_k C_k,

    where :math:`\\sigma_j` is the standard deviation of the normalised column and
    :math:`r_{jk}` Pearson's correlation between columns *j* and *k*. The choice of
    divisor (*m* or *m* − 1) in :math:`\\sigma_j` cancels in :math:`w_j`. A constant
    column has :math:`\\sigma_j = 0`, hence :math:`C_j = 0`, and its correlation with
    other columns (undefined) is taken as 0. When every column is constant, every
    criterion gets the same weight.

    References
    ----------
    Diakoulaki, D., Mavrotas, G., & Papayannakis, L. (1995). Determining objective
    weights in multiple criteria problems: the CRITIC method. *Computers & Operations
    Research*, 22(7), 763–770.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [0.0, 0.5, 1.0], "b": [0.0, 0.0, 1.0], "c": [1.0, 0.5, 0.0]})
    >>> critic_weights(t).round(4).tolist()
    [0.2568, 0.2779, 0.4653]
    """
    x = _normalised(table, better)
    spread = x.std(axis=0)
    centred = x - x.mean(axis=0)
    scale = np.sqrt((centred**2).sum(axis=0))
    unit = np.divide(centred, scale, out=np.zeros_like(centred), where=scale > 0)
    correlation = unit.T @ unit
    information = spread * (1.0 - correlation).sum(axis=1)
    return _weights_from(information, table.columns)


def _normalised(table: pd.DataFrame, better: Better) -> np.ndarray:
    """Min–max normalised columns in their better direction, rows in canonical order."""
    values = table.to_numpy(dtype=float)
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError("objective weights need at least one row and one column")
    if not np.all(np.isfinite(values)):
        raise ValueError("objective weights need finite numbers (no NaN)")
    directions = [better] * values.shape[1] if isinstance(better, str) else [better[c] for c in table.columns]
    if any(d not in ("higher", "lower") for d in directions):
        raise ValueError(f"better must be 'higher' or 'lower', got {sorted(set(directions))}")
    values = values[np.lexsort(values.T[::-1])]  # canonical row order: sums independent of input order
    low, high = values.min(axis=0), values.max(axis=0)
    spread = high - low
    lower = np.array([d == "lower" for d in directions])
    oriented = np.where(lower, high - values, values - low)
    return np.divide(oriented, spread, out=np.zeros_like(oriented), where=spread > 0)


def _weights_from(information: np.ndarray, columns: pd.Index) -> pd.Series:
    """Normalise non-negative information to weights; equal weights when all are 0."""
    information = np.clip(information, 0.0, None)
    total = information.sum()
    if not total > 0:
        information, total = np.ones(len(columns)), float(len(columns))
    return pd.Series(information / total, index=columns, name="weight")
