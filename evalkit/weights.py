"""Weights of indicators: AHP (subjective), entropy and CRITIC (objective).

All functions are pure: numbers in, numbers out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Saaty's random consistency index RI by matrix order n (Saaty 1980, Table 1.4 as
#: reprinted in Saaty 1990, *Eur. J. Oper. Res.* 48, p. 15, for n = 3…10).
SAATY_RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}

CR_LIMIT = 0.10


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
    """

    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float

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
    >>> [round(w, 2) for w in r.weights]
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
    return AHPResult(weights=weights, lambda_max=lambda_max, ci=float(ci), cr=float(cr))
