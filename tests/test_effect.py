"""evalkit.effect: paired before/after tests against pingouin 0.7; DiD against hand computation.

Difference-in-differences is checked on a Card & Krueger (1994) style panel whose 2 × 2
group means are those of their Table 3, so the estimate follows by hand from the means,
and against the closed form of the clustered standard error in a balanced two-period panel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from evalkit.effect import POOLED, DiDResult, did, did_by_indicator, did_panel, paired_change
from evalkit.stats import StatisticsWarning

PILOTS = [f"P{i}" for i in range(1, 9)]
COMPLAINTS_BEFORE = [0.10, 0.08, 0.12, 0.09, 0.15, 0.11, 0.07, 0.13]  # 投诉率, lower is better
COMPLAINTS_AFTER = [0.07, 0.06, 0.09, 0.09, 0.10, 0.12, 0.05, 0.08]
SATISFACTION_BEFORE = [78.0, 82, 75, 80, 70, 85, 77, 73]  # 满意度, higher is better
SATISFACTION_AFTER = [84.0, 85, 74, 86, 79, 88, 80, 80]


def kpis_table(
    pilots: list[str], indicator: str, better: str, before: list[float], after: list[float]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pilot_id": pilots * 2,
            "indicator": indicator,
            "period": ["baseline"] * len(pilots) + ["final"] * len(pilots),
            "value": before + after,
            "better": better,
        }
    )


KPIS = pd.concat(
    [
        kpis_table(PILOTS, "投诉率", "lower", COMPLAINTS_BEFORE, COMPLAINTS_AFTER),
        kpis_table(PILOTS, "满意度", "higher", SATISFACTION_BEFORE, SATISFACTION_AFTER),
    ],
    ignore_index=True,
)


# --------------------------------------------------------------------------- paired_change


def test_paired_change_layout():
    table = paired_change(KPIS)
    assert list(table.index) == ["投诉率", "满意度", POOLED]
    assert table.index.name == "indicator"
    assert table.loc["投诉率", "better"] == "lower"
    assert table["n"].tolist() == [8, 8, 8]


@pytest.mark.parametrize(
    "indicator, better_values, worse_values",
    [
        # lower is better: the improvement is baseline - final
        ("投诉率", COMPLAINTS_BEFORE, COMPLAINTS_AFTER),
        # higher is better: the improvement is final - baseline
        ("满意度", SATISFACTION_AFTER, SATISFACTION_BEFORE),
    ],
)
def test_paired_change_matches_pingouin(indicator, better_values, worse_values):
    # pingouin 0.7: pg.ttest(x, y, paired=True); pg.compute_effsize(x, y, paired=True, eftype="cohen_dz");
    # pg.wilcoxon(x, y) -> W_val, p_val, RBC (matched-pairs rank-biserial, Kerby 2014).
    row = paired_change(KPIS).loc[indicator]
    x, y = np.array(better_values), np.array(worse_values)
    t = pg.ttest(x, y, paired=True)
    w = pg.wilcoxon(x, y)
    assert row["t"] == pytest.approx(t["T"].iloc[0], rel=1e-10)
    assert row["t_pvalue"] == pytest.approx(t["p_val"].iloc[0], rel=1e-8)
    assert row["cohen_dz"] == pytest.approx(
        pg.compute_effsize(x, y, paired=True, eftype="cohen_dz"), rel=1e-10
    )
    assert row["wilcoxon_w"] == pytest.approx(w["W_val"].iloc[0])
    assert row["wilcoxon_pvalue"] == pytest.approx(w["p_val"].iloc[0], rel=1e-8)
    assert row["rank_biserial"] == pytest.approx(w["RBC"].iloc[0], rel=1e-10)


def test_paired_change_descriptives_by_hand():
    # 投诉率 improvements (baseline - final): .03 .02 .03 0 .05 -.01 .02 .05 -> mean .02375, 6 improved.
    # Relative change (kpi.<indicator>.change, docs/metrics.md): improvement / |baseline|.
    row = paired_change(KPIS).loc["投诉率"]
    improvement = np.array(COMPLAINTS_BEFORE) - np.array(COMPLAINTS_AFTER)
    assert row["mean_change"] == pytest.approx(0.02375)
    assert row["improved"] == 6
    assert row["baseline_mean"] == pytest.approx(np.mean(COMPLAINTS_BEFORE))
    assert row["final_mean"] == pytest.approx(np.mean(COMPLAINTS_AFTER))
    assert row["mean_rel_change"] == pytest.approx(np.mean(improvement / np.array(COMPLAINTS_BEFORE)))


def test_paired_change_pooled_row_tests_each_pilots_mean_relative_change():
    complaints = (np.array(COMPLAINTS_BEFORE) - COMPLAINTS_AFTER) / COMPLAINTS_BEFORE
    satisfaction = (np.array(SATISFACTION_AFTER) - SATISFACTION_BEFORE) / SATISFACTION_BEFORE
    per_pilot = (complaints + satisfaction) / 2
    row = paired_change(KPIS).loc[POOLED]
    t = pg.ttest(per_pilot, 0)
    w = pg.wilcoxon(per_pilot)
    assert row["mean_rel_change"] == pytest.approx(per_pilot.mean())
    assert row["improved"] == int((per_pilot > 0).sum())
    assert row["t"] == pytest.approx(t["T"].iloc[0], rel=1e-10)
    assert row["wilcoxon_pvalue"] == pytest.approx(w["p_val"].iloc[0], rel=1e-8)
    assert np.isnan(row["mean_change"]) and np.isnan(row["baseline_mean"])


def test_paired_change_incomplete_pair_left_out_with_warning():
    without_final = KPIS.drop(
        KPIS.index[(KPIS["pilot_id"] == "P3") & (KPIS["indicator"] == "满意度") & (KPIS["period"] == "final")]
    )
    with pytest.warns(StatisticsWarning, match="1 pilot-indicator pair"):
        table = paired_change(without_final)
    assert table.loc["满意度", "n"] == 7
    assert table.loc["投诉率", "n"] == 8


def test_paired_change_too_few_pilots_is_nan_with_one_warning():
    two = KPIS[KPIS["pilot_id"].isin(["P1", "P2"])]
    with pytest.warns(StatisticsWarning, match="fewer than 3 pilots") as record:
        table = paired_change(two)
    assert len([w for w in record if "fewer than 3" in str(w.message)]) == 1
    assert table[["t", "t_pvalue", "wilcoxon_w", "rank_biserial"]].isna().all().all()
    assert table.loc["投诉率", "mean_change"] == pytest.approx(0.025)


def test_paired_change_without_any_change_is_nan_with_warning():
    flat = kpis_table(PILOTS[:4], "培训人次", "higher", [10.0, 12, 8, 9], [10.0, 12, 8, 9])
    with pytest.warns(StatisticsWarning, match="no change at all, for 培训人次"):
        row = paired_change(flat).loc["培训人次"]
    assert row["mean_change"] == 0 and np.isnan(row["t"]) and np.isnan(row["wilcoxon_pvalue"])


def test_paired_change_zero_baseline_has_no_relative_change():
    zero = kpis_table(PILOTS[:4], "事故数", "lower", [0.0, 2, 3, 1], [0.0, 1, 1, 1])
    with pytest.warns(StatisticsWarning, match="zero baseline"):
        row = paired_change(zero).loc["事故数"]
    assert row["mean_rel_change"] == pytest.approx(np.mean([1 / 2, 2 / 3, 0]))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda k: pd.concat([k, k.iloc[[0]]]), "more than one baseline value for '投诉率'"),
        (
            lambda k: k.assign(period=k["period"].replace("final", "末期")),
            "period must be 'baseline' or 'final'",
        ),
        (
            lambda k: k.assign(better=np.where(k.index == 0, "higher", k["better"])),
            "'投诉率' has both directions",
        ),
        (lambda k: k.drop(columns="better"), "missing column\\(s\\) better"),
        (lambda k: k.assign(indicator=k["indicator"].replace("满意度", POOLED)), "reserved"),
    ],
)
def test_paired_change_rejects_bad_tables(change, message):
    with pytest.raises(ValueError, match=message):
        paired_change(change(KPIS))


# --------------------------------------------------------------------------- difference in differences


def card_krueger_panel() -> pd.DataFrame:
    """Full-time-equivalent employment per store with the group means of Card & Krueger (1994),
    Table 3, row 1-2: New Jersey 20.44 -> 21.03, Pennsylvania 23.33 -> 21.17."""
    nj_before = [20.44 + d for d in (-3.0, 1.5, 2.5, -1.0)]
    nj_after = [21.03 + d for d in (-2.0, 2.0, 1.0, -1.0)]
    pa_before = [23.33 + d for d in (2.0, -1.0, -1.0)]
    pa_after = [21.17 + d for d in (1.0, -2.5, 1.5)]
    rows = []
    for prefix, before, after, treated in (
        ("NJ", nj_before, nj_after, True),
        ("PA", pa_before, pa_after, False),
    ):
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            rows += [(f"{prefix}{i}", treated, False, b), (f"{prefix}{i}", treated, True, a)]
    return pd.DataFrame(rows, columns=["unit_id", "treated", "post", "value"])


def test_did_card_krueger_means_by_hand():
    # Card & Krueger (1994) Table 3, row 4 "change in mean FTE employment": NJ +0.59, PA -2.16;
    # DiD = 0.59 - (-2.16) = 2.75 from the rounded means (the paper prints 2.76 from unrounded ones).
    result = did(card_krueger_panel())
    assert isinstance(result, DiDResult)
    assert result.estimate == pytest.approx(2.75, abs=1e-10)
    assert result.means.loc["pilot"].tolist() == pytest.approx([20.44, 21.03])
    assert result.means.loc["comparison"].tolist() == pytest.approx([23.33, 21.17])
    assert (result.n_obs, result.n_clusters) == (14, 7)


def test_did_clustered_standard_error_closed_form():
    # Balanced two-period panel without covariates: the unit-clustered sandwich (CR0) of the
    # interaction is sum_T (D_i - mean_T)^2 / n_T^2 + sum_C (D_i - mean_C)^2 / n_C^2, with D_i a unit's
    # change; statsmodels' CR1 multiplies by G/(G-1) * (N-1)/(N-K); the test uses t with G-1 df.
    panel = card_krueger_panel()
    change = panel.pivot(index="unit_id", columns="post", values="value").pipe(lambda w: w[True] - w[False])
    treated = panel.groupby("unit_id")["treated"].first()
    cr0 = sum(
        ((change[treated == g] - change[treated == g].mean()) ** 2).sum() / (treated == g).sum() ** 2
        for g in (True, False)
    )
    groups, n, k = 7, 14, 4
    se = np.sqrt(cr0 * groups / (groups - 1) * (n - 1) / (n - k))
    result = did(panel)
    assert result.se == pytest.approx(se, rel=1e-10)
    assert result.t == pytest.approx(2.75 / se, rel=1e-10)
    from scipy import stats as sps

    assert result.pvalue == pytest.approx(2 * sps.t.sf(abs(result.t), groups - 1), rel=1e-8)
    half = sps.t.ppf(0.975, groups - 1) * se
    assert (result.ci_low, result.ci_high) == pytest.approx((2.75 - half, 2.75 + half), rel=1e-10)


def test_did_time_invariant_covariate_leaves_balanced_estimate_unchanged():
    panel = card_krueger_panel()
    panel["stores_in_chain"] = panel["unit_id"].map(
        {u: i * 3.0 for i, u in enumerate(panel["unit_id"].unique())}
    )
    assert did(panel, covariates=["stores_in_chain"]).estimate == pytest.approx(2.75, abs=1e-9)


def test_did_custom_column_names_and_integer_flags():
    panel = card_krueger_panel().rename(columns={"unit_id": "store", "value": "fte"})
    panel = panel.assign(nj=panel.pop("treated").astype(int), after=panel.pop("post").astype(int))
    assert did(panel, outcome="fte", unit="store", treated="nj", post="after").estimate == pytest.approx(2.75)


def test_did_missing_outcome_rows_left_out_with_warning():
    panel = card_krueger_panel()
    panel.loc[0, "value"] = np.nan
    with pytest.warns(StatisticsWarning, match="1 row"):
        assert did(panel).n_obs == 13


def test_did_single_treated_unit_has_no_clustered_se():
    panel = card_krueger_panel()
    one = panel[~panel["unit_id"].isin(["NJ1", "NJ2", "NJ3"])]
    with pytest.warns(StatisticsWarning, match="single unit"):
        result = did(one)
    assert np.isfinite(result.estimate)
    assert np.isnan(result.se) and np.isnan(result.pvalue) and np.isnan(result.ci_low)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: p[~(p["treated"] & p["post"])], "no observations for pilots after"),
        (
            lambda p: p.assign(treated=np.where(p.index == 0, False, p["treated"])),
            "constant within each unit",
        ),
        (lambda p: p.assign(post=p["post"].astype(int) * 2), "'post' must be boolean"),
        (lambda p: p.drop(columns="unit_id"), "no column\\(s\\) unit_id"),
    ],
)
def test_did_rejects_bad_panels(change, message):
    with pytest.raises(ValueError, match=message):
        did(change(card_krueger_panel()))


def test_did_panel_from_kpis_tables():
    pilots = kpis_table(PILOTS[:3], "满意度", "higher", [78.0, 82, 75], [84.0, 85, 74])
    comparison = kpis_table(["C1", "C2", "C3"], "满意度", "higher", [79.0, 80, 76], [80.0, 80, 78])
    panel = did_panel(pilots, comparison, "满意度")
    assert list(panel.columns) == ["unit_id", "group", "treated", "period", "post", "value"]
    assert panel["unit_id"].tolist() == [
        "P1",
        "P1",
        "P2",
        "P2",
        "P3",
        "P3",
        "C1",
        "C1",
        "C2",
        "C2",
        "C3",
        "C3",
    ]
    assert panel["post"].tolist() == [False, True] * 6
    # pilots' mean change (6 + 3 - 1)/3, comparison units' (1 + 0 + 2)/3 -> DiD 8/3 - 1 = 5/3
    assert did(panel).estimate == pytest.approx(5 / 3)


def test_did_panel_rejects_shared_ids_and_unknown_indicator():
    pilots = kpis_table(["P1"], "满意度", "higher", [78.0], [84.0])
    with pytest.raises(ValueError, match="both a pilot and a comparison unit: P1"):
        did_panel(pilots, pilots, "满意度")
    with pytest.raises(ValueError, match="pilots: no values for indicator '投诉率'"):
        did_panel(pilots, pilots, "投诉率")


def test_did_by_indicator_is_did_for_each_shared_indicator():
    # the same hand-computed panel as test_did_panel_from_kpis_tables: DiD 8/3 - 1 = 5/3
    pilots = pd.concat([kpis_table(PILOTS[:3], "满意度", "higher", [78.0, 82, 75], [84.0, 85, 74]),
                        kpis_table(PILOTS[:3], "投诉率", "lower", [5.0, 4, 6], [4.0, 3, 5])])
    comparison = kpis_table(["C1", "C2", "C3"], "满意度", "higher", [79.0, 80, 76], [80.0, 80, 78])
    table = did_by_indicator(pilots, comparison)
    assert table.index.tolist() == ["满意度"]  # 投诉率 has no comparison units
    expected = did(did_panel(pilots, comparison, "满意度"))
    assert table.loc["满意度", "estimate"] == pytest.approx(5 / 3)
    assert table.loc["满意度", ["se", "pvalue", "n_clusters"]].tolist() == pytest.approx(
        [expected.se, expected.pvalue, expected.n_clusters])
