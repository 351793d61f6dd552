"""Reliability and agreement statistics for evaluation evidence, in the style of pingouin.

Is the questionnaire reliable (:func:`cronbach_alpha`, :func:`mcdonald_omega`)? Do the
experts agree (:func:`icc`, :func:`kendall_w`, :func:`fleiss_kappa`)? Are the items fit for
a factor model at all (:func:`kmo`, :func:`bartlett_sphericity`)?

Every function takes pandas (or array-like) input with a documented shape and returns a
float, a small frozen result or a :class:`pandas.DataFrame`.

Conventions shared by all functions:

* Misuse that no data could fix (one item, one rater, non-numeric columns, duplicate
  ratings) raises :class:`ValueError` with a message naming the problem.
* Data that leave a statistic undefined (fewer than :data:`MIN_N` complete observations,
  a constant item, raters who never discriminate) give ``nan`` and a
  :class:`StatisticsWarning` that says why. Callers who expect such cases can silence
  that one warning class with :func:`warnings.catch_warnings`.
* Missing values are removed listwise (whole respondents, targets or objects), as
  R's ``psych`` and ``irr`` do; results report the ``n`` actually used where the result
  type has room for it, and warn otherwise.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

# scipy.special, not scipy.stats: the same functions (scipy.stats calls them), a tenth of the import time;
# statsmodels (half a second to import) is imported by the two functions that use it.
from scipy import special

__all__ = [
    "ITEM_ANALYSIS_COLUMNS",
    "MIN_N",
    "Estimate",
    "KendallW",
    "Sphericity",
    "StatisticsWarning",
    "bartlett_sphericity",
    "cronbach_alpha",
    "fleiss_kappa",
    "icc",
    "item_analysis",
    "kendall_w",
    "kmo",
    "kmo_per_item",
    "mcdonald_omega",
]

#: Fewer complete observations (respondents, targets, objects) than this give ``nan``.
MIN_N = 3

ICC_TYPES = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")

#: The columns of :func:`item_analysis`.
ITEM_ANALYSIS_COLUMNS = ("n", "mean", "sd", "item_rest_r", "alpha_if_deleted", "omega_if_deleted")


class StatisticsWarning(UserWarning):
    """A statistic is undefined or rests on less data than given (``nan`` is returned)."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval.

    Attributes
    ----------
    value : float
        The estimate.
    ci_low, ci_high : float
        Bounds of the confidence interval.
    n : int
        Number of observations used (after listwise deletion).
    """

    value: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class KendallW:
    """Kendall's coefficient of concordance and its chi-squared test.

    Attributes
    ----------
    w : float
        Tie-corrected coefficient of concordance, in [0, 1].
    chi2 : float
        Test statistic m(n − 1)W.
    df : int
        Degrees of freedom n − 1.
    pvalue : float
        Upper-tail chi-squared probability (valid for large n).
    """

    w: float
    chi2: float
    df: int
    pvalue: float


class Sphericity(NamedTuple):
    """Bartlett's test of sphericity; unpacks as ``chi2, df, pvalue``."""

    chi2: float
    df: int
    pvalue: float


# --------------------------------------------------------------------------- helpers


def _warn(message: str) -> None:
    warnings.warn(message, StatisticsWarning, stacklevel=3)


def _numeric_frame(data: pd.DataFrame | np.ndarray, what: str) -> pd.DataFrame:
    """``data`` as a float frame; non-numeric columns are an error naming them."""
    frame = pd.DataFrame(data)
    if frame.ndim != 2 or frame.shape[1] == 0:
        raise ValueError(f"{what} must be a 2-D table with at least one column")
    bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise ValueError(f"{what} must be numeric; not numeric: {', '.join(bad)}")
    return frame.astype(float)


def _complete_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Listwise deletion: rows without any missing value."""
    return frame.dropna(axis=0, how="any")


def _constant_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if frame[c].nunique() <= 1]


def _items_for_correlation(items: pd.DataFrame | np.ndarray, what: str) -> pd.DataFrame | None:
    """Complete, non-constant items for a correlation matrix, or None after a warning."""
    frame = _numeric_frame(items, what)
    if frame.shape[1] < 2:
        raise ValueError(f"{what} needs at least 2 items, got {frame.shape[1]}")
    frame = _complete_rows(frame)
    n, p = frame.shape
    if n <= p:
        _warn(f"{what}: {n} complete respondents for {p} items; the correlation matrix is singular")
        return None
    constant = _constant_columns(frame)
    if constant:
        _warn(f"{what}: constant item(s) {', '.join(constant)} have no correlation")
        return None
    return frame


# --------------------------------------------------------------------------- reliability


def cronbach_alpha(items: pd.DataFrame | np.ndarray, *, confidence: float = 0.95) -> Estimate:
    r"""Cronbach's coefficient alpha with Feldt's F-based confidence interval.

    Parameters
    ----------
    items : pandas.DataFrame or array_like, shape (n_respondents, k_items)
        One row per respondent, one numeric column per item (reverse-coded items already
        recoded). Rows with any missing value are removed (listwise deletion).
    confidence : float, default 0.95
        Coverage of the interval.

    Returns
    -------
    Estimate
        ``value`` = α, ``ci_low``/``ci_high`` = Feldt interval, ``n`` = complete respondents.

    Raises
    ------
    ValueError
        Fewer than 2 items, or a non-numeric item.

    Warns
    -----
    StatisticsWarning
        With fewer than :data:`MIN_N` complete respondents, or a constant item (an item
        everybody answered alike carries no information and would silently lower α): the
        estimate is ``nan``.

    Notes
    -----
    With :math:`k` items, item variances :math:`s_i^2` and the variance :math:`s_X^2` of
    the respondents' total scores (both with :math:`n - 1` in the denominator),

    .. math:: \alpha = \frac{k}{k-1}\left(1 - \frac{\sum_i s_i^2}{s_X^2}\right).

    Feldt (1965) showed that :math:`(1-\alpha)/(1-\hat\alpha)` follows an F distribution
    with :math:`n-1` and :math:`(n-1)(k-1)` degrees of freedom, whence, for coverage
    :math:`1-\gamma`,

    .. math::

        \alpha_L = 1 - (1-\hat\alpha)\,F_{1-\gamma/2}(n-1, (n-1)(k-1)), \quad
        \alpha_U = 1 - (1-\hat\alpha)\,F_{\gamma/2}(n-1, (n-1)(k-1)).

    Unlike ``pingouin.cronbach_alpha(nan_policy="listwise")``, the degrees of freedom use
    the respondents left after deletion.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334.

    Feldt, L. S. (1965). The approximate sampling distribution of Kuder–Richardson
    reliability coefficient twenty. *Psychometrika*, 30(3), 357–370.

    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. *Applied Psychological Measurement*, 11(1), 93–103.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"Q1": [4, 5, 3, 4, 2, 5], "Q2": [4, 4, 3, 5, 2, 4],
    ...                         "Q3": [5, 5, 2, 4, 3, 4]})
    >>> est = cronbach_alpha(answers)
    >>> round(est.value, 3), round(est.ci_low, 3), round(est.ci_high, 3), est.n
    (0.871, 0.455, 0.981, 6)
    """
    frame = _numeric_frame(items, "items")
    k = frame.shape[1]
    if k < 2:
        raise ValueError(f"Cronbach's alpha needs at least 2 items, got {k}")
    frame = _complete_rows(frame)
    n = len(frame)
    nan = Estimate(np.nan, np.nan, np.nan, n)
    if n < MIN_N:
        _warn(f"Cronbach's alpha needs at least {MIN_N} complete respondents, got {n}")
        return nan
    constant = _constant_columns(frame)
    if constant:
        _warn(f"Cronbach's alpha is undefined with constant item(s): {', '.join(constant)}")
        return nan
    alpha = _alpha(frame)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - confidence) / 2
    low = 1 - (1 - alpha) * special.fdtri(df1, df2, 1 - tail)  # F quantiles (scipy.stats.f.isf, .ppf)
    high = 1 - (1 - alpha) * special.fdtri(df1, df2, tail)
    return Estimate(float(alpha), float(low), float(high), n)


def item_analysis(items: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    r"""Classical item analysis of a scale: item statistics, item–rest correlation, α and ω if deleted.

    Parameters
    ----------
    items : pandas.DataFrame or array_like, shape (n_respondents, k_items)
        One row per respondent, one numeric column per item of one scale (reverse-coded
        items already recoded). Rows with any missing value are removed first (listwise
        deletion, as :func:`cronbach_alpha`), so every column of the result rests on the
        same respondents.

    Returns
    -------
    pandas.DataFrame
        Indexed by item (the columns of ``items``, in order), with columns

        ``n``: complete respondents used;
        ``mean``, ``sd``: the item's mean and standard deviation (``ddof=1``);
        ``item_rest_r``: Pearson correlation of the item with the sum of the *other* items
        (the corrected item–total correlation, R ``psych::alpha``'s ``r.drop``, SPSS's
        "Corrected Item-Total Correlation");
        ``alpha_if_deleted``: Cronbach's α of the other items (``raw_alpha`` of psych's
        "Reliability if an item is dropped", SPSS's "Cronbach's Alpha if Item Deleted");
        ``omega_if_deleted``: McDonald's ω of the other items (:func:`mcdonald_omega`),
        ``nan`` when fewer than 3 items would remain.

    Raises
    ------
    ValueError
        Fewer than 2 items, or a non-numeric item.

    Warns
    -----
    StatisticsWarning
        Fewer than :data:`MIN_N` complete respondents (every statistic but ``n`` is
        ``nan``); a constant item (its correlation, and α of any set it belongs to, are
        ``nan``), as :func:`cronbach_alpha` and :func:`mcdonald_omega` warn.

    Notes
    -----
    For item :math:`i` with scores :math:`x_i` and rest score :math:`R_i = \sum_{j \ne i} x_j`,

    .. math:: r_{i,rest} = \operatorname{corr}(x_i, R_i), \qquad
              \alpha_{-i} = \frac{k-1}{k-2}\left(1 - \frac{\sum_{j \ne i} s_j^2}{s_{R_i}^2}\right).

    An item whose deletion raises α above the scale's α, or whose item–rest correlation is
    low (below about 0.3 by a common rule of thumb), measures something else than the
    rest of its scale. With 2 items, :math:`\alpha_{-i}` is undefined (one item left) and
    reported as ``nan``.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334.

    Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric theory* (3rd ed.),
    ch. 8 (item analysis: corrected item–total correlations). New York: McGraw-Hill.

    McDonald, R. P. (1999). *Test theory: A unified treatment*. Mahwah, NJ: Erlbaum.

    Revelle, W. (2024). *psych: Procedures for Psychological, Psychometric, and Personality
    Research*, function ``alpha`` (``r.drop``, "Reliability if an item is dropped").

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"Q1": [4, 5, 3, 4, 2, 5], "Q2": [4, 4, 3, 5, 2, 4],
    ...                         "Q3": [5, 5, 2, 4, 3, 4]})
    >>> item_analysis(answers)[["mean", "item_rest_r", "alpha_if_deleted"]].round(3)
         mean  item_rest_r  alpha_if_deleted
    Q1  3.833        0.823             0.752
    Q2  3.667        0.747             0.829
    Q3  3.833        0.701             0.868
    """
    frame = _numeric_frame(items, "items")
    k = frame.shape[1]
    if k < 2:
        raise ValueError(f"item analysis needs at least 2 items, got {k}")
    frame = _complete_rows(frame)
    n = len(frame)
    table = pd.DataFrame(np.nan, index=frame.columns, columns=list(ITEM_ANALYSIS_COLUMNS))
    table["n"] = n
    if n < MIN_N:
        _warn(f"item analysis needs at least {MIN_N} complete respondents, got {n}")
        return table.astype({"n": int})
    table["mean"] = frame.mean()
    table["sd"] = frame.std(ddof=1)
    constant = _constant_columns(frame)
    if constant:
        _warn(f"item analysis: constant item(s) {', '.join(constant)} have no correlation and make α undefined")
    total = frame.sum(axis=1)
    for item in frame.columns:
        rest = frame.drop(columns=item)
        if item not in constant and rest.sum(axis=1).nunique() > 1:
            table.at[item, "item_rest_r"] = np.corrcoef(frame[item], total - frame[item])[0, 1]
        if k - 1 >= 2 and not set(constant) - {str(item)}:
            table.at[item, "alpha_if_deleted"] = _alpha(rest)
        if k - 1 >= 3 and not set(constant) - {str(item)}:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StatisticsWarning)  # a Heywood case of a subset is just nan
                table.at[item, "omega_if_deleted"] = mcdonald_omega(rest)
    return table.astype({"n": int})


def _alpha(complete: pd.DataFrame) -> float:
    """Cronbach's α of complete, non-constant items (the variance form)."""
    k = complete.shape[1]
    return float(k / (k - 1) * (1 - complete.var(ddof=1).sum() / complete.sum(axis=1).var(ddof=1)))


def mcdonald_omega(items: pd.DataFrame | np.ndarray) -> float:
    r"""McDonald's omega (total) from a one-factor maximum-likelihood model.

    Parameters
    ----------
    items : pandas.DataFrame or array_like, shape (n_respondents, k_items)
        One row per respondent, one numeric column per item (reverse-coded items already
        recoded). Listwise deletion of missing values.

    Returns
    -------
    float
        ω of the standardised items' sum.

    Raises
    ------
    ValueError
        Fewer than 3 items (a one-factor model needs 3 indicators to be identified).

    Warns
    -----
    StatisticsWarning
        Too few respondents, a constant item, a fit that did not converge, or a Heywood
        case (a uniqueness at 0 or a loading of opposite sign): ``nan``.

    Notes
    -----
    The factor model :math:`x_i = \lambda_i f + e_i` is fitted to the correlation matrix by
    maximum likelihood (:class:`statsmodels.multivariate.factor.Factor`, ``method="ml"``);
    with loadings :math:`\lambda_i` and uniquenesses :math:`\psi_i = 1 - \lambda_i^2`,

    .. math:: \omega = \frac{(\sum_i \lambda_i)^2}{(\sum_i \lambda_i)^2 + \sum_i \psi_i}.

    When all loadings are equal (essentially tau-equivalent standardised items) ω equals
    α of the standardised items; otherwise α ≤ ω.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Mahwah, NJ: Erlbaum.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(400, 1))
    >>> loadings = np.array([0.8, 0.7, 0.6, 0.5])
    >>> x = pd.DataFrame(f * loadings + rng.normal(size=(400, 4)) * np.sqrt(1 - loadings**2))
    >>> round(mcdonald_omega(x), 2)
    0.75
    """
    frame = _numeric_frame(items, "items")
    if frame.shape[1] < 3:
        raise ValueError(f"omega needs at least 3 items for a one-factor model, got {frame.shape[1]}")
    frame = _items_for_correlation(frame, "omega")
    if frame is None:
        return np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is checked below, once
        from statsmodels.multivariate.factor import Factor

        fit = Factor(frame.to_numpy(), n_factor=1, method="ml").fit(start=_one_factor_start(frame))
    loadings = fit.loadings.ravel()
    loadings = loadings * np.sign(loadings.sum())
    if np.any(fit.uniqueness < 1e-3) or np.any(loadings >= 1) or np.any(loadings < 0):
        _warn("omega: Heywood case (an item's uniqueness at 0) or an item loading against the factor")
        return np.nan
    if not fit.mle_retvals.success:
        _warn("omega: the one-factor model did not converge")
        return np.nan
    common = loadings.sum() ** 2
    return float(common / (common + fit.uniqueness.sum()))


def _one_factor_start(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic starting values: uniquenesses 1 − SMC, loadings by one principal-axis step.

    (statsmodels would otherwise draw random starting values, and results must be reproducible.)
    """
    r = np.corrcoef(frame.to_numpy(), rowvar=False)
    uniqueness = np.clip(1 / np.diag(np.linalg.pinv(r)), 0.05, 0.95)
    eigenvalues, eigenvectors = np.linalg.eigh(r - np.diag(uniqueness))
    loadings = eigenvectors[:, -1] * np.sqrt(max(eigenvalues[-1], 1e-6))
    return loadings.reshape(-1, 1) * np.sign(loadings.sum()), uniqueness


# --------------------------------------------------------------------------- agreement


def _wide_ratings(data: pd.DataFrame, targets: str, raters: str, ratings: str) -> pd.DataFrame:
    """Long ratings -> targets × raters, complete targets only (warning when some are dropped)."""
    missing = [c for c in (targets, raters, ratings) if c not in data.columns]
    if missing:
        raise ValueError(f"icc: no column(s) {', '.join(missing)} in data")
    if not pd.api.types.is_numeric_dtype(data[ratings]):
        raise ValueError(f"icc: ratings column '{ratings}' must be numeric")
    duplicated = data.duplicated([targets, raters], keep=False)
    if duplicated.any():
        first = data.loc[duplicated, [targets, raters]].iloc[0]
        raise ValueError(f"icc: rater '{first[raters]}' rated target '{first[targets]}' more than once")
    wide = data.pivot(index=targets, columns=raters, values=ratings).astype(float)
    if wide.shape[1] < 2:
        raise ValueError(f"icc needs at least 2 raters, got {wide.shape[1]}")
    complete = _complete_rows(wide)
    if len(complete) < len(wide):
        dropped = ", ".join(str(t) for t in wide.index.difference(complete.index))
        _warn(f"icc: targets without a rating from every rater were left out: {dropped}")
    return complete


def icc(
    data: pd.DataFrame,
    targets: str,
    raters: str,
    ratings: str,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    r"""Intraclass correlations, the six forms of Shrout & Fleiss (1979).

    Parameters
    ----------
    data : pandas.DataFrame
        Long format, one row per (target, rater) rating.
    targets : str
        Column of the things rated (pilots, indicators).
    raters : str
        Column of the judges (experts).
    ratings : str
        Column of the numeric ratings.
    confidence : float, default 0.95
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        Index ``ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k``; columns ``icc, f, df1, df2, pval,
        ci_low, ci_high``.

    Raises
    ------
    ValueError
        Missing columns, non-numeric ratings, a rater rating a target twice, or fewer than
        2 raters.

    Warns
    -----
    StatisticsWarning
        Targets not rated by every rater are left out (listwise); fewer than :data:`MIN_N`
        complete targets give a table of ``nan``; perfect agreement leaves F infinite and
        the intervals undefined.

    Notes
    -----
    With :math:`n` targets and :math:`k` raters, the two-way ANOVA of the ratings gives the
    mean squares between targets (:math:`MS_R`), between raters (:math:`MS_C`), residual
    (:math:`MS_E`) and within targets (:math:`MS_W`, raters and residual pooled):

    .. math::

        ICC1 = \frac{MS_R - MS_W}{MS_R + (k-1)MS_W}, \quad
        ICC2 = \frac{MS_R - MS_E}{MS_R + (k-1)MS_E + k(MS_C - MS_E)/n}, \quad
        ICC3 = \frac{MS_R - MS_E}{MS_R + (k-1)MS_E},

        ICC1k = \frac{MS_R - MS_W}{MS_R}, \quad
        ICC2k = \frac{MS_R - MS_E}{MS_R + (MS_C - MS_E)/n}, \quad
        ICC3k = \frac{MS_R - MS_E}{MS_R}.

    ICC1 (one-way random): each target rated by different raters. ICC2 (two-way random,
    absolute agreement) and ICC3 (two-way mixed, consistency): the same raters rate every
    target. The ``k`` forms are the reliability of the mean of the :math:`k` raters. The F
    test of :math:`H_0: ICC = 0` is :math:`MS_R/MS_W` on :math:`(n-1, n(k-1))` df for the
    ICC1 forms and :math:`MS_R/MS_E` on :math:`(n-1, (n-1)(k-1))` df otherwise; intervals
    follow Shrout & Fleiss (1979) and, for ICC2, McGraw & Wong (1996), as in R's
    ``psych::ICC`` and ``pingouin.intraclass_corr``.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. *Psychological Bulletin*, 86(2), 420–428.

    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass
    correlation coefficients. *Psychological Methods*, 1(1), 30–46.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets, four judges.

    >>> import pandas as pd
    >>> wide = pd.DataFrame([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6],
    ...                      [10, 5, 6, 9], [6, 2, 4, 7]], columns=["J1", "J2", "J3", "J4"])
    >>> long = wide.rename_axis("target").reset_index().melt("target", var_name="judge")
    >>> icc(long, "target", "judge", "value")["icc"].round(2).tolist()
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    wide = _wide_ratings(data, targets, raters, ratings)
    n, k = wide.shape
    if n < MIN_N:
        _warn(f"icc needs at least {MIN_N} targets rated by every rater, got {n}")
        return pd.DataFrame(
            np.nan, index=list(ICC_TYPES), columns=["icc", "f", "df1", "df2", "pval", "ci_low", "ci_high"]
        )
    y = wide.to_numpy()
    grand = y.mean()
    ss_rows = k * ((y.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((y.mean(axis=0) - grand) ** 2).sum()
    ss_err = ((y - grand) ** 2).sum() - ss_rows - ss_cols
    df_r, df_w, df_e = n - 1, n * (k - 1), (n - 1) * (k - 1)
    msr, msc = ss_rows / df_r, ss_cols / (k - 1)
    msw, mse = (ss_cols + ss_err) / df_w, ss_err / df_e
    with np.errstate(divide="ignore", invalid="ignore"):
        table = _icc_table(n, k, msr, msc, msw, mse, 1 - confidence)
    if not np.isfinite(table[["icc", "ci_low", "ci_high"]].to_numpy()).all():
        _warn(
            "icc: no residual variance (perfect agreement or constant ratings); F and intervals are undefined"
        )
    return table


def _icc_table(n: int, k: int, msr: float, msc: float, msw: float, mse: float, alpha: float) -> pd.DataFrame:
    """The six ICCs with F tests and intervals from the ANOVA mean squares."""
    df_r, df_w, df_e = n - 1, n * (k - 1), (n - 1) * (k - 1)
    icc1 = (msr - msw) / (msr + (k - 1) * msw)
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = (msr - mse) / (msr + (k - 1) * mse)
    f1, f3 = msr / msw, msr / mse
    p1, p3 = special.fdtrc(df_r, df_w, f1), special.fdtrc(df_r, df_e, f3)  # F survival (scipy.stats.f.sf)
    # Shrout & Fleiss (1979) eqs. 6 and 13: bounds on F, mapped to each ICC.
    f1_low, f1_high = f1 / special.fdtri(df_r, df_w, 1 - alpha / 2), f1 * special.fdtri(df_w, df_r, 1 - alpha / 2)
    f3_low, f3_high = f3 / special.fdtri(df_r, df_e, 1 - alpha / 2), f3 * special.fdtri(df_e, df_r, 1 - alpha / 2)
    # ICC2: Satterthwaite df v (Shrout & Fleiss 1979 eq. 9; McGraw & Wong 1996 Table 7).
    fj = msc / mse
    v = (df_e * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2) / (
        df_r * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    )
    fu, fl = special.fdtri(df_r, v, 1 - alpha / 2), special.fdtri(v, df_r, 1 - alpha / 2)
    l2 = n * (msr - fu * mse) / (fu * (k * msc + (k * n - k - n) * mse) + n * msr)
    u2 = n * (fl * msr - mse) / (k * msc + (k * n - k - n) * mse + n * fl * msr)

    def single(f_bound: float) -> float:
        return (f_bound - 1) / (f_bound + k - 1)

    def average(single_icc: float) -> float:  # Spearman–Brown step-up to k raters
        return k * single_icc / (1 + (k - 1) * single_icc)

    rows = {
        "ICC1": (icc1, f1, df_r, df_w, p1, single(f1_low), single(f1_high)),
        "ICC2": (icc2, f3, df_r, df_e, p3, l2, u2),
        "ICC3": (icc3, f3, df_r, df_e, p3, single(f3_low), single(f3_high)),
        "ICC1k": ((msr - msw) / msr, f1, df_r, df_w, p1, 1 - 1 / f1_low, 1 - 1 / f1_high),
        "ICC2k": ((msr - mse) / (msr + (msc - mse) / n), f3, df_r, df_e, p3, average(l2), average(u2)),
        "ICC3k": ((msr - mse) / msr, f3, df_r, df_e, p3, 1 - 1 / f3_low, 1 - 1 / f3_high),
    }
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["icc", "f", "df1", "df2", "pval", "ci_low", "ci_high"]
    )
    return table.astype({"df1": int, "df2": int})


def kendall_w(ratings: pd.DataFrame | np.ndarray) -> KendallW:
    r"""Kendall's coefficient of concordance W, corrected for ties, with its χ² test.

    Parameters
    ----------
    ratings : pandas.DataFrame or array_like, shape (n_objects, m_raters)
        One row per object rated (indicator, pilot), one column per rater (expert); scores
        or ranks — each rater's column is ranked, ties getting their mean rank. Objects with
        a missing rating are left out (listwise, as R's ``irr::kendall``).

    Returns
    -------
    KendallW
        ``w``, ``chi2``, ``df``, ``pvalue``.

    Raises
    ------
    ValueError
        Fewer than 2 raters, or non-numeric ratings.

    Warns
    -----
    StatisticsWarning
        Objects with a missing rating were left out; fewer than :data:`MIN_N` complete
        objects, or raters who gave every object the same score, give ``nan``.

    Notes
    -----
    With :math:`R_j` the sum of the ranks object :math:`j` received,
    :math:`S = \sum_j (R_j - \bar R)^2` and, for each rater, :math:`T = \sum (t^3 - t)` over
    groups of :math:`t` tied objects,

    .. math:: W = \frac{12 S}{m^2 (n^3 - n) - m \sum T}, \qquad
              \chi^2 = m (n - 1) W \sim \chi^2_{n-1}.

    This is the Friedman test with raters as blocks; the χ² approximation needs
    moderately large :math:`n`.

    References
    ----------
    Kendall, M. G., & Babington Smith, B. (1939). The problem of m rankings. *The Annals of
    Mathematical Statistics*, 10(3), 275–287.

    Kendall, M. G. (1948). *Rank correlation methods*. London: Griffin.

    Examples
    --------
    Three raters in full agreement on four objects:

    >>> import pandas as pd
    >>> r = kendall_w(pd.DataFrame({"e1": [1, 2, 3, 4], "e2": [1, 2, 3, 4], "e3": [2, 4, 6, 8]}))
    >>> r.w, r.chi2, r.df
    (1.0, 9.0, 3)
    """
    frame = _numeric_frame(ratings, "ratings")
    m = frame.shape[1]
    if m < 2:
        raise ValueError(f"Kendall's W needs at least 2 raters, got {m}")
    complete = _complete_rows(frame)
    if len(complete) < len(frame):
        _warn(f"Kendall's W: {len(frame) - len(complete)} object(s) with a missing rating were left out")
    n = len(complete)
    if n < MIN_N:
        _warn(f"Kendall's W needs at least {MIN_N} objects rated by every rater, got {n}")
        return KendallW(np.nan, np.nan, n - 1, np.nan)
    ranks = complete.rank(axis=0).to_numpy()
    rank_sums = ranks.sum(axis=1)
    s = ((rank_sums - rank_sums.mean()) ** 2).sum()
    ties = sum(float((t**3 - t).sum()) for t in (np.unique(col, return_counts=True)[1] for col in ranks.T))
    denominator = m**2 * (n**3 - n) - m * ties
    if denominator <= 0:
        _warn("Kendall's W is undefined: every rater gave all objects the same score")
        return KendallW(np.nan, np.nan, n - 1, np.nan)
    w = 12 * s / denominator
    chi2 = m * (n - 1) * w
    return KendallW(float(w), float(chi2), n - 1, float(special.chdtrc(n - 1, chi2)))


def fleiss_kappa(counts: pd.DataFrame | np.ndarray) -> float:
    r"""Fleiss' kappa for agreement of many raters on nominal categories.

    Parameters
    ----------
    counts : pandas.DataFrame or array_like, shape (n_subjects, n_categories)
        Cell (i, j) = how many raters put subject *i* in category *j*; every row sums to
        the same number of raters. (``statsmodels.stats.inter_rater.aggregate_raters``
        builds this table from one column per rater.)

    Returns
    -------
    float
        κ; 1 is perfect agreement, 0 what chance would give.

    Raises
    ------
    ValueError
        Negative or non-integer counts, rows with different totals, or fewer than 2 raters.

    Warns
    -----
    StatisticsWarning
        Fewer than :data:`MIN_N` subjects, or every rating in one category (chance
        agreement is then 1): ``nan``.

    Notes
    -----
    With :math:`N` subjects, :math:`n` raters and :math:`n_{ij}` the counts,
    :math:`P_i = (\sum_j n_{ij}^2 - n)/(n(n-1))`, :math:`\bar P = \sum_i P_i / N`,
    :math:`p_j = \sum_i n_{ij}/(Nn)`, :math:`\bar P_e = \sum_j p_j^2` and

    .. math:: \kappa = \frac{\bar P - \bar P_e}{1 - \bar P_e}.

    Computed by :func:`statsmodels.stats.inter_rater.fleiss_kappa` (``method="fleiss"``).

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    *Psychological Bulletin*, 76(5), 378–382.

    Examples
    --------
    Three inspectors rate four checklist items conform / partial / nonconform:

    >>> round(fleiss_kappa([[3, 0, 0], [0, 3, 0], [2, 1, 0], [0, 0, 3]]), 4)
    0.7447
    """
    table = _numeric_frame(counts, "counts").to_numpy()
    if np.isnan(table).any() or (table < 0).any() or not np.equal(table, np.round(table)).all():
        raise ValueError("Fleiss' kappa needs counts: non-negative whole numbers without gaps")
    totals = table.sum(axis=1)
    if not np.all(totals == totals[0]):
        raise ValueError(
            "Fleiss' kappa needs the same number of raters for every subject; "
            f"row totals range from {int(totals.min())} to {int(totals.max())}"
        )
    if totals[0] < 2:
        raise ValueError(f"Fleiss' kappa needs at least 2 raters per subject, got {int(totals[0])}")
    if len(table) < MIN_N:
        _warn(f"Fleiss' kappa needs at least {MIN_N} subjects, got {len(table)}")
        return np.nan
    if np.count_nonzero(table.sum(axis=0)) < 2:
        _warn("Fleiss' kappa is undefined: every rating falls in one category")
        return np.nan
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

    return float(statsmodels_fleiss_kappa(table, method="fleiss"))


# --------------------------------------------------------------------------- factorability


def _msa_parts(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Squared off-diagonal correlations and squared partial (anti-image) correlations."""
    r = np.corrcoef(frame.to_numpy(), rowvar=False)
    inverse = np.linalg.pinv(r)
    scale = np.sqrt(np.outer(np.diag(inverse), np.diag(inverse)))
    partial = -inverse / scale
    off = ~np.eye(len(r), dtype=bool)
    return np.where(off, r**2, 0.0), np.where(off, partial**2, 0.0)


def kmo(items: pd.DataFrame | np.ndarray) -> float:
    r"""Kaiser–Meyer–Olkin overall measure of sampling adequacy.

    Parameters
    ----------
    items : pandas.DataFrame or array_like, shape (n_respondents, p_items)
        Listwise deletion of missing values.

    Returns
    -------
    float
        KMO in [0, 1]; Kaiser (1974): ≥ 0.9 marvelous, 0.8 meritorious, 0.7 middling,
        0.6 mediocre, 0.5 miserable, below unacceptable.

    Raises
    ------
    ValueError
        Fewer than 2 items or a non-numeric item.

    Warns
    -----
    StatisticsWarning
        No more respondents than items, or a constant item: ``nan``.

    Notes
    -----
    With correlations :math:`r_{ij}` and partial correlations
    :math:`q_{ij} = -P_{ij}/\sqrt{P_{ii}P_{jj}}` from :math:`P = R^{-1}`,

    .. math:: KMO = \frac{\sum_{i \ne j} r_{ij}^2}{\sum_{i \ne j} r_{ij}^2 + \sum_{i \ne j} q_{ij}^2}.

    As in R's ``psych::KMO``.

    References
    ----------
    Kaiser, H. F. (1970). A second generation little jiffy. *Psychometrika*, 35(4), 401–415.

    Kaiser, H. F., & Rice, J. (1974). Little Jiffy, Mark IV. *Educational and
    Psychological Measurement*, 34(1), 111–117.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> items = pd.DataFrame(f + rng.normal(size=(200, 4)), columns=["Q1", "Q2", "Q3", "Q4"])
    >>> round(kmo(items), 2)
    0.79
    """
    frame = _items_for_correlation(items, "KMO")
    if frame is None:
        return np.nan
    r2, q2 = _msa_parts(frame)
    return float(r2.sum() / (r2.sum() + q2.sum()))


def kmo_per_item(items: pd.DataFrame | np.ndarray) -> pd.Series:
    r"""Kaiser's measure of sampling adequacy of each item (MSA).

    Parameters
    ----------
    items : pandas.DataFrame or array_like, shape (n_respondents, p_items)
        As for :func:`kmo`.

    Returns
    -------
    pandas.Series
        One value per item (index = the item columns); items below 0.5 are candidates for
        removal.

    Notes
    -----
    :math:`MSA_i = \sum_{j \ne i} r_{ij}^2 / (\sum_{j \ne i} r_{ij}^2 + \sum_{j \ne i} q_{ij}^2)`,
    with the notation of :func:`kmo`.

    References
    ----------
    Kaiser, H. F., & Rice, J. (1974). Little Jiffy, Mark IV. *Educational and
    Psychological Measurement*, 34(1), 111–117.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> items = pd.DataFrame(f + rng.normal(size=(200, 3)), columns=["Q1", "Q2", "Q3"])
    >>> kmo_per_item(items).round(2).tolist()
    [0.71, 0.7, 0.66]
    """
    frame = _numeric_frame(items, "items")
    usable = _items_for_correlation(frame, "KMO")
    if usable is None:
        return pd.Series(np.nan, index=frame.columns, name="msa")
    r2, q2 = _msa_parts(usable)
    return pd.Series(r2.sum(axis=1) / (r2.sum(axis=1) + q2.sum(axis=1)), index=frame.columns, name="msa")


def bartlett_sphericity(items: pd.DataFrame | np.ndarray) -> Sphericity:
    r"""Bartlett's test that the items' correlation matrix is the identity.

    Parameters
    ----------
    items : pandas.DataFrame or array_like, shape (n_respondents, p_items)
        Listwise deletion of missing values.

    Returns
    -------
    Sphericity
        ``(chi2, df, pvalue)``; a small p-value means the items do correlate, a
        precondition for factor analysis.

    Raises
    ------
    ValueError
        Fewer than 2 items or a non-numeric item.

    Warns
    -----
    StatisticsWarning
        No more respondents than items, a constant item, or perfectly correlated items (a
        singular correlation matrix): ``nan`` statistic and p-value.

    Notes
    -----
    With :math:`n` respondents, :math:`p` items and correlation matrix :math:`R`,

    .. math:: \chi^2 = -\left(n - 1 - \frac{2p + 5}{6}\right)\ln\lvert R\rvert,
              \qquad df = \frac{p(p-1)}{2}.

    As in R's ``psych::cortest.bartlett``.

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a χ² approximation in factor
    analysis. *Biometrika*, 38(3/4), 337–344.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> items = pd.DataFrame(f + rng.normal(size=(200, 3)))
    >>> chi2, df, p = bartlett_sphericity(items)
    >>> round(chi2, 1), df, p < 0.001
    (146.8, 3, True)
    """
    frame = _numeric_frame(items, "items")
    p = frame.shape[1]
    df = p * (p - 1) // 2
    usable = _items_for_correlation(frame, "Bartlett's sphericity test")
    if usable is None:
        return Sphericity(np.nan, df, np.nan)
    n = len(usable)
    sign, logdet = np.linalg.slogdet(np.corrcoef(usable.to_numpy(), rowvar=False))
    if sign <= 0 or not np.isfinite(logdet):
        _warn("Bartlett's sphericity test: the correlation matrix is singular (items perfectly correlated)")
        return Sphericity(np.nan, df, np.nan)
    chi2 = -(n - 1 - (2 * p + 5) / 6) * logdet
    return Sphericity(float(chi2), df, float(special.chdtrc(df, chi2)))
