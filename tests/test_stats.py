"""evalkit.stats against published values and established implementations.

Sources: pingouin 0.7 (test-only dependency) and its bundled datasets; R psych / irr /
DescTools outputs stored with their calls in tests/reference/; Shrout & Fleiss (1979);
Fleiss (1971).
"""

from __future__ import annotations

import doctest
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from evalkit import effect, mcda, stats, survey_summary
from evalkit.stats import (
    StatisticsWarning,
    bartlett_sphericity,
    cronbach_alpha,
    fleiss_kappa,
    icc,
    item_analysis,
    kendall_w,
    kmo,
    kmo_per_item,
    mcdonald_omega,
)

REFERENCE = Path(__file__).parent / "reference"


def reference(name: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, comment="#", **kwargs)


@pytest.fixture
def pingouin_full_precision():
    """pingouin rounds its ICC intervals to 2 decimals by default; compare unrounded."""
    pg.options["round.column.CI95"] = None
    yield
    pg.set_default_options()


# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = pd.DataFrame(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    columns=["J1", "J2", "J3", "J4"],
)


def long_format(wide: pd.DataFrame) -> pd.DataFrame:
    return wide.rename_axis("target").reset_index().melt("target", var_name="rater", value_name="rating")


@pytest.mark.parametrize("module", [stats, mcda, effect, survey_summary], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


# --------------------------------------------------------------------------- Cronbach's alpha


def test_alpha_matches_pingouin_on_its_likert_dataset():
    # pingouin.read_dataset("cronbach_alpha"); pingouin 0.7 docstring (checked against R psych::alpha):
    # pg.cronbach_alpha(data, items="Items", scores="Scores", subject="Subj")
    #   -> (0.5917188485995826, [0.195, 0.84])
    data = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    est = cronbach_alpha(data)
    expected, ci = pg.cronbach_alpha(data)
    assert est.value == pytest.approx(0.5917188485995826, abs=1e-12)
    assert est.value == pytest.approx(expected, abs=1e-12)
    assert (est.ci_low, est.ci_high) == pytest.approx(tuple(ci), abs=5e-4)
    assert (round(est.ci_low, 3), round(est.ci_high, 3)) == (0.195, 0.840)
    assert est.n == len(data)


def test_alpha_listwise_deletion_with_feldt_df_after_deletion():
    # pingouin 0.7 docstring: "In R: psych:alpha(data, use='complete.obs')" gives 0.8016949152542373.
    # pingouin's listwise CI keeps the pre-deletion n in Feldt's df; ours uses the complete rows,
    # which equals pingouin on the already-reduced table.
    data = pg.read_dataset("cronbach_wide_missing")
    est = cronbach_alpha(data)
    assert est.value == pytest.approx(0.8016949152542373, abs=1e-12)
    complete = data.dropna()
    _, ci = pg.cronbach_alpha(complete)
    assert est.n == len(complete) < len(data)
    assert (est.ci_low, est.ci_high) == pytest.approx(tuple(ci), abs=5e-4)


def test_alpha_equals_icc3k():
    # psych::ICC documentation: "alpha and ICC3k are identical" (Shrout & Fleiss 1979 Table 2 data).
    est = cronbach_alpha(SHROUT_FLEISS)
    table = icc(long_format(SHROUT_FLEISS), "target", "rater", "rating")
    assert est.value == pytest.approx(table.at["ICC3k", "icc"], abs=1e-12)


def test_alpha_confidence_level():
    est90 = cronbach_alpha(SHROUT_FLEISS, confidence=0.90)
    est95 = cronbach_alpha(SHROUT_FLEISS)
    assert est95.ci_low < est90.ci_low < est90.value < est90.ci_high < est95.ci_high


def test_alpha_needs_two_items():
    with pytest.raises(ValueError, match="at least 2 items, got 1"):
        cronbach_alpha(SHROUT_FLEISS[["J1"]])


def test_alpha_rejects_text_items():
    with pytest.raises(ValueError, match="not numeric: Q2"):
        cronbach_alpha(pd.DataFrame({"Q1": [1, 2, 3], "Q2": ["a", "b", "c"]}))


def test_alpha_too_few_respondents_is_nan_with_warning():
    with pytest.warns(StatisticsWarning, match="at least 3 complete respondents, got 2"):
        est = cronbach_alpha(pd.DataFrame({"Q1": [1, 2, np.nan], "Q2": [2, 3, 4]}))
    assert np.isnan(est.value) and np.isnan(est.ci_low) and est.n == 2


def test_alpha_constant_item_is_nan_with_warning():
    data = SHROUT_FLEISS.assign(J5=3)
    with pytest.warns(StatisticsWarning, match="constant item.*J5"):
        assert np.isnan(cronbach_alpha(data).value)


# --------------------------------------------------------------------------- McDonald's omega


def exact_sample(correlation: np.ndarray, n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Data whose sample correlation matrix equals ``correlation`` exactly."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, len(correlation)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False)).T)
    return pd.DataFrame(z @ np.linalg.cholesky(correlation).T)


def test_omega_recovers_known_congeneric_loadings():
    # One-factor model with loadings .8 .7 .6 .5: omega = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))
    # = 6.76 / (6.76 + 2.26) = 0.749445676... (McDonald 1999, eq. 6.20b), computed by hand.
    loadings = np.array([0.8, 0.7, 0.6, 0.5])
    correlation = np.outer(loadings, loadings)
    np.fill_diagonal(correlation, 1.0)
    assert mcdonald_omega(exact_sample(correlation)) == pytest.approx(6.76 / 9.02, abs=1e-5)


def test_omega_equals_standardised_alpha_for_equal_loadings():
    # Tau-equivalent standardised items: omega = alpha (McDonald 1999, ch. 6).
    correlation = np.full((4, 4), 0.49)
    np.fill_diagonal(correlation, 1.0)
    data = exact_sample(correlation)
    standardised = (data - data.mean()) / data.std()
    assert mcdonald_omega(data) == pytest.approx(cronbach_alpha(standardised).value, abs=1e-5)


def test_omega_matches_scikit_learn_factor_analysis():
    # sklearn.decomposition.FactorAnalysis(n_components=1) on the standardised items (an
    # independent ML implementation, installed with pingouin) gives the same loadings.
    from sklearn.decomposition import FactorAnalysis

    rng = np.random.default_rng(7)
    loadings = np.array([0.75, 0.65, 0.6, 0.45, 0.4])
    x = rng.normal(size=(500, 1)) * loadings + rng.normal(size=(500, 5)) * np.sqrt(1 - loadings**2)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    fa = FactorAnalysis(n_components=1, tol=1e-12, max_iter=100_000).fit(z)
    lam = np.abs(fa.components_.ravel())
    expected = lam.sum() ** 2 / (lam.sum() ** 2 + fa.noise_variance_.sum())
    assert mcdonald_omega(pd.DataFrame(x)) == pytest.approx(expected, abs=1e-4)


def test_omega_needs_three_items():
    with pytest.raises(ValueError, match="at least 3 items"):
        mcdonald_omega(SHROUT_FLEISS[["J1", "J2"]])


def test_omega_heywood_case_is_nan_with_warning():
    # r12 = r13 = .8, r23 = .5 imply a loading of sqrt(.64/.5) > 1 for item 1 (a Heywood case).
    correlation = np.array([[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]])
    with pytest.warns(StatisticsWarning, match="Heywood"):
        assert np.isnan(mcdonald_omega(exact_sample(correlation)))


# --------------------------------------------------------------------------- ICC


def test_icc_shrout_fleiss_table_4():
    # Shrout & Fleiss (1979) Table 4: ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71,
    # ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91; Table 3 mean squares BMS 11.24, WMS 6.26, EMS 1.02.
    table = icc(long_format(SHROUT_FLEISS), "target", "rater", "rating")
    assert list(table.index) == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    assert list(table.columns) == ["icc", "f", "df1", "df2", "pval", "ci_low", "ci_high"]
    assert table["icc"].round(2).tolist() == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    assert table.at["ICC1", "f"] == pytest.approx(11.24 / 6.26, abs=0.01)
    assert table.at["ICC3", "f"] == pytest.approx(11.24 / 1.02, abs=0.05)
    assert table[["df1", "df2"]].loc["ICC1"].tolist() == [5, 18]
    assert table[["df1", "df2"]].loc["ICC2"].tolist() == [5, 15]


@pytest.mark.parametrize(
    "data, targets, raters, ratings",
    [
        (pg.read_dataset("icc"), "Wine", "Judge", "Scores"),  # pingouin's wine dataset (real-statistics.com)
        (long_format(SHROUT_FLEISS), "target", "rater", "rating"),
    ],
    ids=["pingouin-wine", "shrout-fleiss"],
)
@pytest.mark.filterwarnings("ignore:The inplace keyword")  # raised inside pingouin 0.7 under pandas 3
def test_icc_matches_pingouin(pingouin_full_precision, data, targets, raters, ratings):
    # pingouin 0.7: pg.intraclass_corr(data, targets, raters, ratings), rows in the order
    # ICC(1,1) ICC(A,1) ICC(C,1) ICC(1,k) ICC(A,k) ICC(C,k) = ICC1 ICC2 ICC3 ICC1k ICC2k ICC3k.
    # Docstring values for the wine data: ICC 0.728 0.728 0.729 0.914 0.914 0.915, F 11.680 / 11.787.
    ours = icc(data, targets, raters, ratings)
    theirs = pg.intraclass_corr(data=data, targets=targets, raters=raters, ratings=ratings)
    np.testing.assert_allclose(ours["icc"], theirs["ICC"], rtol=1e-10)
    np.testing.assert_allclose(ours["f"], theirs["F"], rtol=1e-10)
    np.testing.assert_array_equal(ours["df1"], theirs["df1"])
    np.testing.assert_array_equal(ours["df2"], theirs["df2"])
    np.testing.assert_allclose(ours["pval"], theirs["pval"], rtol=1e-8)
    bounds = np.vstack(theirs["CI95"].to_numpy())
    np.testing.assert_allclose(ours[["ci_low", "ci_high"]].to_numpy(), bounds, rtol=1e-8)


def test_icc_leaves_out_incomplete_targets_with_warning():
    data = long_format(SHROUT_FLEISS)
    extra = pd.DataFrame({"target": [99, 99], "rater": ["J1", "J2"], "rating": [5, 6]})
    with pytest.warns(StatisticsWarning, match="left out: 99"):
        table = icc(pd.concat([data, extra]), "target", "rater", "rating")
    pd.testing.assert_frame_equal(table, icc(data, "target", "rater", "rating"))


def test_icc_rejects_double_ratings():
    data = long_format(SHROUT_FLEISS)
    with pytest.raises(ValueError, match="rater 'J1' rated target '0' more than once"):
        icc(pd.concat([data, data.iloc[[0]]]), "target", "rater", "rating")


def test_icc_needs_two_raters():
    with pytest.raises(ValueError, match="at least 2 raters, got 1"):
        icc(long_format(SHROUT_FLEISS[["J1"]]), "target", "rater", "rating")


def test_icc_too_few_targets_is_nan_with_warning():
    with pytest.warns(StatisticsWarning, match="at least 3 targets"):
        table = icc(long_format(SHROUT_FLEISS.head(2)), "target", "rater", "rating")
    assert table.isna().all().all()


def test_icc_perfect_agreement_warns():
    agree = pd.DataFrame({"J1": [1, 2, 3, 4], "J2": [1, 2, 3, 4]})
    with pytest.warns(StatisticsWarning, match="perfect agreement"):
        table = icc(long_format(agree), "target", "rater", "rating")
    assert table["icc"].tolist() == pytest.approx([1.0] * 6)


# --------------------------------------------------------------------------- Kendall's W


def test_kendall_w_anxiety_descTools():
    # tests/reference/anxiety.csv: DescTools::KendallW(anxiety, correct = TRUE) -> 0.5396569;
    # chi2 = m (n - 1) W on n - 1 = 19 df (irr::kendall); pingouin.friedman(anxiety.T) agrees.
    anxiety = reference("anxiety.csv")
    result = kendall_w(anxiety)
    assert result.w == pytest.approx(0.5396569, abs=5e-8)
    assert result.df == 19
    assert result.chi2 == pytest.approx(3 * 19 * result.w)
    friedman = pg.friedman(anxiety.T)
    assert result.chi2 == pytest.approx(friedman["Q"].iloc[0], rel=1e-12)
    assert result.pvalue == pytest.approx(friedman["p_unc"].iloc[0], rel=1e-10)


def test_kendall_w_without_ties_textbook_formula():
    # No ties: W = 12 S / (m^2 (n^3 - n)) (Kendall & Babington Smith 1939). Three raters rank four
    # objects: rank sums 4, 7, 10, 9 (mean 7.5) -> S = 21, W = 12 * 21 / (9 * 60) = 0.4667;
    # chi2 = m (n - 1) W = 4.2 on 3 df.
    ranks = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3], "c": [1, 4, 3, 2]})
    result = kendall_w(ranks)
    assert result.w == pytest.approx(12 * 21 / 540)
    assert (result.chi2, result.df) == (pytest.approx(4.2), 3)


def test_kendall_w_matches_pingouin_friedman_with_many_ties():
    rng = np.random.default_rng(3)
    scores = pd.DataFrame(rng.integers(1, 4, size=(12, 5)))
    friedman = pg.friedman(scores.T)
    assert kendall_w(scores).w == pytest.approx(friedman["W"].iloc[0], rel=1e-12)


def test_kendall_w_needs_two_raters():
    with pytest.raises(ValueError, match="at least 2 raters, got 1"):
        kendall_w(SHROUT_FLEISS[["J1"]])


def test_kendall_w_drops_incomplete_objects_with_warning():
    anxiety = reference("anxiety.csv")
    with_gap = pd.concat([anxiety, pd.DataFrame({"rater1": [4.0], "rater2": [np.nan], "rater3": [1.0]})])
    with pytest.warns(StatisticsWarning, match="1 object"):
        assert kendall_w(with_gap) == kendall_w(anxiety)


def test_kendall_w_too_few_objects_is_nan_with_warning():
    with pytest.warns(StatisticsWarning, match="at least 3 objects"):
        assert np.isnan(kendall_w(SHROUT_FLEISS.head(2)).w)


def test_kendall_w_raters_without_discrimination_is_nan_with_warning():
    with pytest.warns(StatisticsWarning, match="same score"):
        assert np.isnan(kendall_w(pd.DataFrame({"a": [3, 3, 3], "b": [5, 5, 5]})).w)


# --------------------------------------------------------------------------- Fleiss' kappa


def diagnosis_counts() -> pd.DataFrame:
    ratings = reference("fleiss1971_diagnoses.csv")
    return ratings.apply(lambda row: row.value_counts().reindex(range(1, 6), fill_value=0), axis=1)


def test_fleiss_kappa_fleiss_1971():
    # Fleiss (1971) p. 380: kappa = .430; R irr::kappam.fleiss(diagnoses) -> 0.4302445.
    assert fleiss_kappa(diagnosis_counts()) == pytest.approx(0.4302445, abs=5e-8)


def test_fleiss_kappa_wikipedia_worked_example():
    # Worked example of the Wikipedia article "Fleiss' kappa" (10 subjects, 14 raters): kappa = 0.210.
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    assert fleiss_kappa(table) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_rejects_unequal_rater_counts():
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa([[3, 0], [2, 0], [1, 2]])


def test_fleiss_kappa_rejects_non_counts():
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        fleiss_kappa([[1.5, 1.5], [3, 0], [0, 3]])


def test_fleiss_kappa_single_rater():
    with pytest.raises(ValueError, match="at least 2 raters"):
        fleiss_kappa([[1, 0], [0, 1], [1, 0]])


def test_fleiss_kappa_one_category_is_nan_with_warning():
    with pytest.warns(StatisticsWarning, match="one category"):
        assert np.isnan(fleiss_kappa([[3, 0], [3, 0], [3, 0]]))


# --------------------------------------------------------------------------- KMO and Bartlett


def test_kmo_and_bartlett_mtcars_psych():
    # tests/reference/mtcars.csv: psych::KMO(mtcars) overall MSA 0.83 and per-variable MSAi;
    # psych::cortest.bartlett(cor(mtcars), n = 32): chisq 408.01 on 55 df.
    mtcars = reference("mtcars.csv", index_col="model")
    assert round(kmo(mtcars), 2) == 0.83
    expected_items = {
        "mpg": 0.93,
        "cyl": 0.90,
        "disp": 0.76,
        "hp": 0.84,
        "drat": 0.95,
        "wt": 0.74,
        "qsec": 0.74,
        "vs": 0.91,
        "am": 0.88,
        "gear": 0.85,
        "carb": 0.62,
    }
    assert kmo_per_item(mtcars).round(2).to_dict() == expected_items
    chi2, df, pvalue = bartlett_sphericity(mtcars)
    assert round(chi2, 2) == 408.01
    assert df == 55
    assert pvalue < 1e-3


def test_kmo_bartlett_listwise_deletion():
    mtcars = reference("mtcars.csv", index_col="model")
    gappy = mtcars.copy()
    gappy.iloc[0, 0] = np.nan
    assert kmo(gappy) == pytest.approx(kmo(mtcars.iloc[1:]))
    assert bartlett_sphericity(gappy) == pytest.approx(bartlett_sphericity(mtcars.iloc[1:]))


@pytest.mark.parametrize("function", [kmo, bartlett_sphericity, kmo_per_item])
def test_factorability_constant_item_is_nan_with_warning(function):
    data = SHROUT_FLEISS.assign(J5=1.0)
    with pytest.warns(StatisticsWarning, match="constant item.*J5"):
        result = function(data)
    assert np.isnan(
        np.asarray(result if function is not bartlett_sphericity else result.chi2, dtype=float)
    ).all()


def test_factorability_too_few_respondents_is_nan_with_warning():
    with pytest.warns(StatisticsWarning, match="4 complete respondents for 4 items"):
        assert np.isnan(kmo(SHROUT_FLEISS.head(4)))


def test_no_warning_on_clean_data():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cronbach_alpha(SHROUT_FLEISS)
        icc(long_format(SHROUT_FLEISS), "target", "rater", "rating")
        kendall_w(SHROUT_FLEISS)
        kmo(reference("mtcars.csv", index_col="model"))


def test_omega_item_loading_against_the_factor_is_nan_with_warning():
    # A reverse-worded item left un-recoded correlates negatively with the others.
    loadings = np.array([0.8, 0.7, 0.6, -0.5])
    correlation = np.outer(loadings, loadings)
    np.fill_diagonal(correlation, 1.0)
    with pytest.warns(StatisticsWarning, match="loading against the factor"):
        assert np.isnan(mcdonald_omega(exact_sample(correlation)))


# --------------------------------------------------------------------------- item analysis


@pytest.mark.filterwarnings("ignore::evalkit.stats.StatisticsWarning")  # ω of some subsets is a Heywood case
def test_item_analysis_matches_pingouin_and_numpy():
    # pingouin.read_dataset("cronbach_alpha") (pingouin 0.7's Likert example): α of the other items is
    # pg.cronbach_alpha(data.drop(columns=item))[0]; the item–rest correlation is numpy's Pearson r of
    # the item with the row sum of the other items (psych::alpha's r.drop).
    data = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    table = item_analysis(data)
    assert list(table.index) == list(data.columns)
    assert list(table.columns) == list(stats.ITEM_ANALYSIS_COLUMNS)
    for item in data.columns:
        rest = data.drop(columns=item)
        assert table.at[item, "alpha_if_deleted"] == pytest.approx(pg.cronbach_alpha(rest)[0], abs=1e-12)
        r = np.corrcoef(data[item], rest.sum(axis=1))[0, 1]
        assert table.at[item, "item_rest_r"] == pytest.approx(r, abs=1e-12)
        assert table.at[item, "omega_if_deleted"] == pytest.approx(mcdonald_omega(rest), abs=1e-12, nan_ok=True)
    assert table["mean"].tolist() == pytest.approx(data.mean().tolist())
    assert table["sd"].tolist() == pytest.approx(data.std(ddof=1).tolist())
    assert (table["n"] == len(data)).all()


#: Denis, D. J. (2021). *Applied Univariate, Bivariate, and Multivariate Statistics* (2nd ed.),
#: Wiley, the section on Cronbach's alpha: a five-item test taken by 10 persons, printed with the
#: output of SPSS ``RELIABILITY /MODEL=ALPHA /SUMMARY=TOTAL`` on it.
DENIS_ITEMS = pd.DataFrame(
    [[10, 12, 15, 11, 12], [12, 18, 12, 12, 1], [8, 16, 14, 14, 4], [6, 8, 16, 8, 6], [4, 7, 8, 7, 5],
     [6, 6, 3, 7, 3], [3, 4, 6, 5, 8], [7, 3, 7, 9, 9], [8, 9, 4, 10, 10], [9, 5, 6, 11, 12]],
    columns=[f"Item_{i}" for i in range(1, 6)])


@pytest.mark.filterwarnings("ignore::evalkit.stats.StatisticsWarning")  # ω without Item_5: a Heywood case
def test_item_analysis_against_a_published_spss_table():
    # Denis (2021), SPSS output: Cronbach's Alpha 0.633; Item Statistics (Mean, Std. Deviation); Item-Total
    # Statistics for Item_1: Scale Mean if Item Deleted 34.3000, Scale Variance if Item Deleted 108.900,
    # Corrected Item-Total Correlation 0.712, Cronbach's Alpha if Item Deleted 0.4… (the rest of the row
    # is (4/3)(1 − Σ other items' variances from the printed SDs / 108.900) = 0.478).
    table = item_analysis(DENIS_ITEMS)
    assert cronbach_alpha(DENIS_ITEMS).value == pytest.approx(0.633, abs=5e-4)
    assert table["mean"].tolist() == pytest.approx([7.3, 8.8, 9.1, 9.4, 7.0], abs=5e-5)
    assert table["sd"].tolist() == pytest.approx([2.71006, 5.05085, 4.74810, 2.71621, 3.80058], abs=5e-6)
    assert table.at["Item_1", "item_rest_r"] == pytest.approx(0.712, abs=5e-4)
    rest = DENIS_ITEMS.drop(columns="Item_1").sum(axis=1)
    assert (rest.mean(), rest.var()) == pytest.approx((34.3, 108.9), abs=5e-4)
    printed_variances = np.square([5.05085, 4.74810, 2.71621, 3.80058]).sum()
    assert table.at["Item_1", "alpha_if_deleted"] == pytest.approx(4 / 3 * (1 - printed_variances / 108.9), abs=5e-4)
    assert 0.4 <= table.at["Item_1", "alpha_if_deleted"] < 0.5
    # the table's lesson: Item_5 correlates negatively with the rest, and α rises without it
    assert table.at["Item_5", "item_rest_r"] < 0 < 0.633 < table.at["Item_5", "alpha_if_deleted"]


def test_item_analysis_alpha_if_deleted_by_hand():
    # Shrout & Fleiss (1979) Table 2 read as 6 respondents × 4 items. Without J1 the items J2, J3, J4 have
    # variances 27/10, 8/3, 94/15 (sum 349/30) and their row sums 15, 6, 18, 9, 20, 13 a variance of
    # 283/10: α = 3/2 · (1 − (349/30)/(283/10)) = 0.88339…
    table = item_analysis(SHROUT_FLEISS)
    assert table.at["J1", "alpha_if_deleted"] == pytest.approx(1.5 * (1 - (349 / 30) / (283 / 10)), abs=1e-12)


def test_item_analysis_listwise_deletion_and_two_items():
    data = pd.DataFrame({"a": [1, 2, 3, 4, np.nan], "b": [2, 2, 4, 5, 1]})
    table = item_analysis(data)
    assert (table["n"] == 4).all()
    assert table["alpha_if_deleted"].isna().all()  # one item left: α undefined
    assert table.at["a", "item_rest_r"] == pytest.approx(np.corrcoef([1, 2, 3, 4], [2, 2, 4, 5])[0, 1])


def test_item_analysis_constant_item_warns():
    data = pd.DataFrame({"a": [3, 3, 3, 3], "b": [1, 2, 3, 4], "c": [2, 2, 4, 5]})
    with pytest.warns(StatisticsWarning, match="constant"):
        table = item_analysis(data)
    assert np.isnan(table.at["a", "item_rest_r"])
    assert table.at["a", "alpha_if_deleted"] == pytest.approx(cronbach_alpha(data[["b", "c"]]).value)
    assert np.isnan(table.at["b", "alpha_if_deleted"])


def test_item_analysis_needs_two_items():
    with pytest.raises(ValueError, match="at least 2 items"):
        item_analysis(pd.DataFrame({"a": [1, 2, 3]}))


def test_bartlett_perfectly_correlated_items_is_nan_with_warning():
    # |R| = 0: ln|R| is -inf and the statistic would be infinite
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 4, 6, 8], "c": [1, 3, 2, 5]})
    with pytest.warns(StatisticsWarning, match="singular"):
        chi2, df, pvalue = bartlett_sphericity(items)
    assert np.isnan(chi2) and np.isnan(pvalue) and df == 3
