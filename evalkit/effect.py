"""Did the pilot have an effect? Before/after tests on KPIs and difference-in-differences.

* :func:`paired_change` compares each KPI's baseline and final values across pilots
  (paired t and Wilcoxon signed-rank tests, with effect sizes), and pools all indicators
  through each pilot's mean relative improvement.
* :func:`did_panel` stacks pilots and comparison units into a panel, and :func:`did`
  estimates the difference-in-differences by OLS with standard errors clustered by unit.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps

from evalkit.stats import MIN_N, StatisticsWarning

__all__ = ["POOLED", "DiDResult", "did", "did_by_indicator", "did_panel", "paired_change"]

#: Label of the row of :func:`paired_change` that pools all indicators.
POOLED = "(pooled)"

KPI_COLUMNS = ("pilot_id", "indicator", "period", "value", "better")
PERIODS = ("baseline", "final")
CHANGE_COLUMNS = [
    "better",
    "n",
    "baseline_mean",
    "final_mean",
    "mean_change",
    "mean_rel_change",
    "improved",
    "t",
    "t_pvalue",
    "cohen_dz",
    "wilcoxon_w",
    "wilcoxon_pvalue",
    "rank_biserial",
]


def _warn(message: str) -> None:
    warnings.warn(message, StatisticsWarning, stacklevel=3)


def _check_kpis(kpis: pd.DataFrame, what: str) -> pd.DataFrame:
    """The kpis table, after checking its columns and codes (docs/data.md); ``what`` names it in errors."""
    missing = [c for c in KPI_COLUMNS if c not in kpis.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")
    bad_period = sorted(set(kpis["period"].dropna()) - set(PERIODS))
    if bad_period or kpis["period"].isna().any():
        raise ValueError(f"{what}: period must be 'baseline' or 'final', got {bad_period or 'blank'}")
    bad_better = sorted(set(kpis["better"].dropna()) - {"higher", "lower"})
    if bad_better or kpis["better"].isna().any():
        raise ValueError(f"{what}: better must be 'higher' or 'lower', got {bad_better or 'blank'}")
    if not pd.api.types.is_numeric_dtype(kpis["value"]):
        raise ValueError(f"{what}: value must be numeric")
    duplicated = kpis.duplicated(["pilot_id", "indicator", "period"], keep=False)
    if duplicated.any():
        row = kpis.loc[duplicated].iloc[0]
        pilot, period, indicator = row["pilot_id"], row["period"], row["indicator"]
        raise ValueError(f"{what}: pilot {pilot} has more than one {period} value for '{indicator}'")
    directions = kpis.groupby("indicator")["better"].nunique()
    if (directions > 1).any():
        both = directions[directions > 1].index[0]
        raise ValueError(f"{what}: indicator '{both}' has both directions in 'better'")
    return kpis


def _pairs(kpis: pd.DataFrame, better: pd.Series) -> pd.DataFrame:
    """One row per (indicator, pilot) with both periods: baseline, final, change, rel_change.

    ``change`` is oriented by ``better`` (indicator -> higher/lower) so that positive means
    better; ``rel_change`` divides it by ``|baseline|`` (nan for a zero baseline).
    """
    wide = kpis.pivot(index=["indicator", "pilot_id"], columns="period", values="value")
    wide = wide.reindex(columns=list(PERIODS)).astype(float)
    complete = wide.dropna()
    if len(complete) < len(wide):
        _warn(
            f"paired_change: {len(wide) - len(complete)} pilot-indicator pair(s) lack a "
            "baseline or final value and were left out"
        )
    sign = better.map({"higher": 1.0, "lower": -1.0}).reindex(complete.index.get_level_values("indicator"))
    change = (complete["final"] - complete["baseline"]) * sign.to_numpy()
    baseline = complete["baseline"].abs()
    rel_change = change / baseline.where(baseline > 0)
    return complete.assign(change=change, rel_change=rel_change)


def _tests(differences: pd.Series) -> dict[str, float]:
    """Paired t and Wilcoxon signed-rank tests of differences against 0, with effect sizes."""
    d = differences.dropna().to_numpy(dtype=float)
    nan = dict.fromkeys(
        ["t", "t_pvalue", "cohen_dz", "wilcoxon_w", "wilcoxon_pvalue", "rank_biserial"], np.nan
    )
    if len(d) < MIN_N or not np.any(d):
        return nan
    sd = d.std(ddof=1)
    out = dict(nan)
    if sd > 0:
        t = sps.ttest_1samp(d, 0.0)
        out.update(t=float(t.statistic), t_pvalue=float(t.pvalue), cohen_dz=float(d.mean() / sd))
    nonzero = d[d != 0]
    ranks = sps.rankdata(np.abs(nonzero))
    w = sps.wilcoxon(d)
    out.update(
        wilcoxon_w=float(w.statistic),
        wilcoxon_pvalue=float(w.pvalue),
        rank_biserial=float((ranks[nonzero > 0].sum() - ranks[nonzero < 0].sum()) / ranks.sum()),
    )
    return out


def paired_change(kpis: pd.DataFrame) -> pd.DataFrame:
    r"""Before/after change of each KPI across pilots, and pooled over all KPIs.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The campaign's canonical kpis table, one row per pilot, indicator and period:
        ``pilot_id``, ``indicator``, ``period`` (``'baseline'`` | ``'final'``), ``value``
        (float), ``better`` (``'higher'`` | ``'lower'``, one direction per indicator).

    Returns
    -------
    pandas.DataFrame
        Index ``indicator`` (in order of first appearance), then a last row
        :data:`POOLED`; columns

        ``better``; ``n``: pilots with both values; ``baseline_mean``, ``final_mean``;
        ``mean_change``: mean of :math:`d = s(\text{final} - \text{baseline})`, in the
        indicator's unit, with :math:`s = +1` for higher-is-better and :math:`-1` for
        lower-is-better, so positive means improvement; ``mean_rel_change``: mean of
        :math:`d/|\text{baseline}|` (the metric ``kpi.<indicator>.change``, docs/metrics.md);
        ``improved``: pilots with :math:`d > 0`; ``t``, ``t_pvalue``: paired t test;
        ``cohen_dz``: :math:`\bar d / s_d`; ``wilcoxon_w``, ``wilcoxon_pvalue``: Wilcoxon
        signed-rank test (:func:`scipy.stats.wilcoxon` defaults: zero differences dropped,
        exact p for small samples without ties); ``rank_biserial``: matched-pairs
        rank-biserial correlation :math:`(R^+ - R^-)/(R^+ + R^-)`.

        The pooled row tests, across pilots, each pilot's mean relative improvement over
        its indicators (one value per pilot, so the pilots stay independent units); its
        ``mean_rel_change`` is the mean of those values, ``n`` the pilots with at least one
        usable indicator, and the unit-bound columns are ``nan``.

    Raises
    ------
    ValueError
        Missing columns, unknown period or direction codes, two values for one pilot,
        indicator and period, or an indicator with both directions.

    Warns
    -----
    StatisticsWarning
        Pairs lacking one period are left out; indicators with fewer than
        :data:`evalkit.stats.MIN_N` pairs, or with no change at all, get ``nan`` tests
        (one warning naming them); a zero baseline leaves the relative change undefined.

    Notes
    -----
    With :math:`n` differences of mean :math:`\bar d` and standard deviation :math:`s_d`,
    :math:`t = \bar d/(s_d/\sqrt n)` on :math:`n - 1` df; the Wilcoxon statistic is the
    smaller of the signed rank sums :math:`R^+, R^-` of the non-zero :math:`|d|`.

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics Bulletin*,
    1(6), 80–83.

    Cohen, J. (1988). *Statistical power analysis for the behavioral sciences* (2nd ed.).
    Hillsdale, NJ: Erlbaum.

    Kerby, D. S. (2014). The simple difference formula: an approach to teaching
    nonparametric correlation. *Comprehensive Psychology*, 3, 11.IT.3.1.

    Examples
    --------
    >>> import pandas as pd
    >>> kpis = pd.DataFrame({
    ...     "pilot_id": ["P1", "P2", "P3", "P4"] * 2,
    ...     "indicator": "投诉率", "better": "lower",
    ...     "period": ["baseline"] * 4 + ["final"] * 4,
    ...     "value": [0.10, 0.08, 0.12, 0.09, 0.07, 0.06, 0.09, 0.09]})
    >>> table = paired_change(kpis)[["n", "mean_change", "mean_rel_change", "improved", "wilcoxon_w"]]
    >>> table.round(3)  # doctest: +NORMALIZE_WHITESPACE
               n  mean_change  mean_rel_change  improved  wilcoxon_w
    indicator
    投诉率        4         0.02              0.2         3         0.0
    (pooled)   4          NaN              0.2         3         0.0
    """
    kpis = _check_kpis(kpis, "kpis")
    if POOLED in set(kpis["indicator"]):
        raise ValueError(f"kpis: '{POOLED}' is reserved for the pooled row; rename that indicator")
    better = kpis.drop_duplicates("indicator").set_index("indicator")["better"]
    pairs = _pairs(kpis, better)
    by_indicator = dict(list(pairs.groupby(level="indicator")))
    rows = {}
    too_few = []
    for indicator, direction in better.items():
        group = by_indicator.get(indicator, pairs.iloc[:0])
        tests = _tests(group["change"])
        if np.isnan(tests["wilcoxon_w"]):
            too_few.append(str(indicator))
        rows[indicator] = {
            "better": direction,
            "n": len(group),
            "baseline_mean": group["baseline"].mean(),
            "final_mean": group["final"].mean(),
            "mean_change": group["change"].mean(),
            "mean_rel_change": group["rel_change"].mean(),
            "improved": int((group["change"] > 0).sum()),
            **tests,
        }
    if pairs["rel_change"].isna().any():
        _warn(
            "paired_change: a zero baseline leaves the relative change undefined; "
            "those pairs are left out of mean_rel_change and the pooled test"
        )
    per_pilot = pairs["rel_change"].groupby(level="pilot_id").mean().dropna()
    tests = _tests(per_pilot)
    if np.isnan(tests["wilcoxon_w"]):
        too_few.append(POOLED)
    rows[POOLED] = {
        "better": np.nan,
        "n": len(per_pilot),
        "baseline_mean": np.nan,
        "final_mean": np.nan,
        "mean_change": np.nan,
        "mean_rel_change": per_pilot.mean(),
        "improved": int((per_pilot > 0).sum()),
        **tests,
    }
    if too_few:
        _warn(
            f"paired_change: fewer than {MIN_N} pilots with both values, or no change at all, "
            f"for {', '.join(too_few)}; their tests are nan"
        )
    table = pd.DataFrame.from_dict(rows, orient="index")[CHANGE_COLUMNS]
    table.index.name = "indicator"
    return table


# --------------------------------------------------------------------------- difference in differences


@dataclass(frozen=True)
class DiDResult:
    """Difference-in-differences estimate.

    Attributes
    ----------
    estimate : float
        The interaction coefficient δ: (pilots' change) − (comparison units' change).
    se : float
        Cluster-robust standard error (clusters = units).
    t, pvalue : float
        Test of δ = 0 on G − 1 degrees of freedom (G = clusters).
    ci_low, ci_high : float
        Confidence interval of δ.
    n_obs : int
        Observations used.
    n_clusters : int
        Units (clusters).
    means : pandas.DataFrame
        Mean outcome by group (rows ``comparison``, ``pilot``) and period (columns
        ``baseline``, ``final``): the 2 × 2 table of Card & Krueger (1994), Table 3.
    """

    estimate: float
    se: float
    t: float
    pvalue: float
    ci_low: float
    ci_high: float
    n_obs: int
    n_clusters: int
    means: pd.DataFrame


def did_panel(pilots: pd.DataFrame, comparison: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """Stack one KPI of pilots and comparison units into a two-period panel for :func:`did`.

    Parameters
    ----------
    pilots : pandas.DataFrame
        Canonical kpis table of the pilots (``pilot_id, indicator, period, value, better``).
    comparison : pandas.DataFrame
        The same columns for comparison units that were not pilots; ``pilot_id`` holds the
        comparison unit's id.
    indicator : str
        The KPI to analyse.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit_id``, ``group`` (``'pilot'`` | ``'comparison'``), ``treated``
        (bool), ``period``, ``post`` (bool, True for ``'final'``), ``value``; one row per
        unit and period, pilots first.

    Raises
    ------
    ValueError
        Invalid kpis tables, an id used both by a pilot and a comparison unit, or no rows
        for ``indicator`` in either table.

    Examples
    --------
    >>> import pandas as pd
    >>> def kpis(ids, before, after):
    ...     return pd.DataFrame({"pilot_id": ids * 2, "indicator": "满意度", "better": "higher",
    ...                          "period": ["baseline"] * len(ids) + ["final"] * len(ids),
    ...                          "value": before + after})
    >>> panel = did_panel(kpis(["P1"], [80.0], [90.0]), kpis(["C1"], [80.0], [82.0]), "满意度")
    >>> panel[["unit_id", "treated", "post", "value"]]
      unit_id  treated   post  value
    0      P1     True  False   80.0
    1      P1     True   True   90.0
    2      C1    False  False   80.0
    3      C1    False   True   82.0
    """
    parts = []
    for name, table, treated in (("pilots", pilots, True), ("comparison", comparison, False)):
        rows = _check_kpis(table, name)
        rows = rows.loc[rows["indicator"] == indicator]
        if rows.empty:
            raise ValueError(f"{name}: no values for indicator '{indicator}'")
        parts.append(
            pd.DataFrame(
                {
                    "unit_id": rows["pilot_id"].to_numpy(),
                    "group": "pilot" if treated else "comparison",
                    "treated": treated,
                    "period": rows["period"].to_numpy(),
                    "post": (rows["period"] == "final").to_numpy(),
                    "value": rows["value"].astype(float).to_numpy(),
                }
            ).sort_values(["unit_id", "post"], kind="stable")
        )
    shared = sorted(set(parts[0]["unit_id"]) & set(parts[1]["unit_id"]))
    if shared:
        raise ValueError(f"ids used by both a pilot and a comparison unit: {', '.join(map(str, shared))}")
    return pd.concat(parts, ignore_index=True)


def did(
    panel: pd.DataFrame,
    *,
    outcome: str = "value",
    unit: str = "unit_id",
    treated: str = "treated",
    post: str = "post",
    covariates: Sequence[str] = (),
    confidence: float = 0.95,
) -> DiDResult:
    r"""Difference-in-differences by OLS with standard errors clustered by unit.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel, one row per unit and period (:func:`did_panel` builds it).
    outcome : str, default "value"
        Numeric outcome column.
    unit : str, default "unit_id"
        Unit (pilot or comparison unit) column; the clusters.
    treated : str, default "treated"
        Boolean (or 0/1) column: the unit is a pilot. Must be constant within a unit.
    post : str, default "post"
        Boolean (or 0/1) column: the observation is after the pilot started.
    covariates : sequence of str, optional
        Further numeric columns entered linearly.
    confidence : float, default 0.95
        Coverage of the interval.

    Returns
    -------
    DiDResult

    Raises
    ------
    ValueError
        Missing or non-binary columns, a unit that changes ``treated``, or an empty cell
        of the 2 × 2 design (no pilot or no comparison unit before or after).

    Warns
    -----
    StatisticsWarning
        Rows with a missing outcome or covariate are left out; with fewer than 2 units in
        a group the cluster-robust standard error is undefined (``se``, ``t``, ``pvalue``
        and the interval are ``nan``; the estimate stands).

    Notes
    -----
    The model is

    .. math:: y_{it} = \beta_0 + \beta_1 D_i + \beta_2 P_t + \delta\, D_i P_t
              + \gamma^\top x_{it} + \varepsilon_{it},

    with :math:`D_i` the pilot indicator and :math:`P_t` the post-period indicator. Without
    covariates, :math:`\hat\delta = (\bar y_{D=1,P=1} - \bar y_{D=1,P=0}) -
    (\bar y_{D=0,P=1} - \bar y_{D=0,P=0})`. The variance is the cluster-robust sandwich
    with the small-sample factor :math:`\frac{G}{G-1}\frac{N-1}{N-K}` and the test uses
    :math:`t_{G-1}` (statsmodels ``cov_type="cluster"``, ``use_t=True``), which accounts
    for the serial correlation of a unit's observations (Bertrand, Duflo & Mullainathan
    2004).

    References
    ----------
    Card, D., & Krueger, A. B. (1994). Minimum wages and employment: a case study of the
    fast-food industry in New Jersey and Pennsylvania. *American Economic Review*, 84(4),
    772–793.

    Bertrand, M., Duflo, E., & Mullainathan, S. (2004). How much should we trust
    differences-in-differences estimates? *Quarterly Journal of Economics*, 119(1),
    249–275.

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({
    ...     "unit_id": ["P1", "P1", "P2", "P2", "C1", "C1", "C2", "C2"],
    ...     "treated": [True] * 4 + [False] * 4,
    ...     "post": [False, True] * 4,
    ...     "value": [70.0, 85, 72, 83, 71, 75, 69, 74]})
    >>> r = did(panel)
    >>> round(r.estimate, 6), r.n_clusters
    (8.5, 4)
    >>> r.means  # doctest: +NORMALIZE_WHITESPACE
    period      baseline  final
    group
    comparison      70.0   74.5
    pilot           71.0   84.0
    """
    frame = _did_frame(panel, outcome, unit, treated, post, list(covariates))
    d, p = frame[treated].astype(float), frame[post].astype(float)
    design = pd.DataFrame({"const": 1.0, "treated": d, "post": p, "did": d * p})
    design = pd.concat([design, frame[list(covariates)].astype(float)], axis=1)
    means = (
        frame.assign(
            group=np.where(frame[treated].astype(bool), "pilot", "comparison"),
            period=np.where(frame[post].astype(bool), "final", "baseline"),
        )
        .pivot_table(index="group", columns="period", values=outcome, aggfunc="mean")
        .reindex(index=["comparison", "pilot"], columns=["baseline", "final"])
    )
    units_per_group = frame.groupby(frame[treated].astype(bool))[unit].nunique()
    model = sm.OLS(frame[outcome].astype(float), design)
    n_obs, n_clusters = len(frame), int(frame[unit].nunique())
    if units_per_group.min() < 2:
        _warn("did: a group has a single unit; the cluster-robust standard error is undefined")
        estimate = float(model.fit().params["did"])
        return DiDResult(estimate, np.nan, np.nan, np.nan, np.nan, np.nan, n_obs, n_clusters, means)
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(frame[unit])[0]}, use_t=True)
    low, high = fit.conf_int(alpha=1 - confidence).loc["did"]
    return DiDResult(
        estimate=float(fit.params["did"]),
        se=float(fit.bse["did"]),
        t=float(fit.tvalues["did"]),
        pvalue=float(fit.pvalues["did"]),
        ci_low=float(low),
        ci_high=float(high),
        n_obs=n_obs,
        n_clusters=n_clusters,
        means=means,
    )


def _did_frame(
    panel: pd.DataFrame, outcome: str, unit: str, treated: str, post: str, covariates: list[str]
) -> pd.DataFrame:
    """The panel's rows usable for :func:`did`, checked."""
    columns = [outcome, unit, treated, post, *covariates]
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise ValueError(f"did: no column(s) {', '.join(missing)} in the panel")
    for column in (outcome, *covariates):
        if not pd.api.types.is_numeric_dtype(panel[column]) or pd.api.types.is_bool_dtype(panel[column]):
            raise ValueError(f"did: column '{column}' must be numeric")
    for column in (treated, post):
        if not panel[column].dropna().isin([0, 1]).all() or panel[column].isna().any():
            raise ValueError(f"did: column '{column}' must be boolean (True/False or 1/0) without blanks")
    frame = panel[columns].dropna()
    if len(frame) < len(panel):
        _warn(f"did: {len(panel) - len(frame)} row(s) with a missing outcome or covariate were left out")
    if (frame.groupby(unit)[treated].nunique() > 1).any():
        raise ValueError(f"did: '{treated}' must be constant within each unit")
    cells = frame.groupby([frame[treated].astype(bool), frame[post].astype(bool)]).size()
    needed = pd.MultiIndex.from_product([[False, True], [False, True]])
    empty = needed.difference(cells.index)
    if len(empty):
        names = ", ".join(
            f"{'pilots' if t else 'comparison units'} {'after' if p else 'before'}" for t, p in empty
        )
        raise ValueError(f"did: the 2 × 2 design has no observations for {names}")
    return frame


def did_by_indicator(kpis: pd.DataFrame, comparison: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """:func:`did` for every KPI that both the pilots and the comparison units report.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The campaign's canonical kpis table (the pilots).
    comparison : pandas.DataFrame
        The same columns for comparison units that were not pilots.
    confidence : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        Index ``indicator`` (in the order of ``kpis``); columns ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``pvalue``, ``n_clusters`` of :class:`DiDResult`.

    References
    ----------
    Card, D., & Krueger, A. B. (1994). Minimum wages and employment: a case study of the
    fast-food industry in New Jersey and Pennsylvania. *American Economic Review*, 84(4),
    772–793.
    """
    shared = [i for i in dict.fromkeys(kpis["indicator"]) if i in set(comparison["indicator"])]
    rows = {}
    for indicator in shared:
        result = did(did_panel(kpis, comparison, indicator), confidence=confidence)
        rows[indicator] = {"estimate": result.estimate, "se": result.se, "ci_low": result.ci_low,
                           "ci_high": result.ci_high, "pvalue": result.pvalue, "n_clusters": result.n_clusters}
    columns = ["estimate", "se", "ci_low", "ci_high", "pvalue", "n_clusters"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("indicator")
