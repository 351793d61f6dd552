"""What-if scoring: campaign.replace, scheme.replace, ek.compare and ek.robustness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evalkit as ek
from evalkit.robustness import SAATY_SCALE, _ahp_shares
from evalkit.weights import ahp
from evalkit.whatif import ScoreModel, aggregate_panel
from tests.campaign_factory import build_campaign, expert_scores, inspection, leaf, node, scheme

GRADES = [{"label": "优秀", "min": 90}, {"label": "合格", "min": 60}, {"label": "不合格", "min": 0}]


@pytest.fixture(scope="module")
def demo():
    campaign = ek.load_campaign("params/demo.yaml")
    return campaign, ek.score(campaign)


@pytest.fixture
def small(tmp_path):
    """Two pilots, an inspection leaf (40) and an expert leaf (60) under one points node."""
    tree = scheme([node("A", [leaf("A1", "inspection.conformity_rate", 40), leaf("A2", "expert.A2", 60, "expert")])],
                  pass_mark=60, grades=GRADES, expert_aggregate="mean")
    experts = expert_scores("P1", "A2", [50, 40, 30]) + expert_scores("P2", "A2", [60, 60, 57])
    inspections = [inspection("P1", "I1", "conform"), inspection("P2", "I1", "partial")]
    return build_campaign(tmp_path, pilots=["P1", "P2"], scheme=tree, experts=experts, inspections=inspections)


def test_compare_lists_only_the_pilots_that_changed(small):
    before = ek.score(small)
    experts = small.tables["experts"].copy()
    experts.loc[(experts["pilot_id"] == "P1") & (experts["expert_id"] == "E3"), "score"] = 0
    after = ek.score(small.replace(experts=experts))
    changed = ek.compare(before, after)
    # P1: 40 + (50 + 40 + 30)/3 = 80 (合格) -> 40 + 90/3 = 70, still 合格; P2 unchanged
    assert changed.to_dict("records") == [{
        "pilot_id": "P1", "name": before.table.at[0, "name"], "total_before": 80.0, "total_after": 70.0,
        "change": -10.0, "grade_before": "合格", "grade_after": "合格", "passed_before": True,
        "passed_after": True, "moved": "A2"}]
    assert ek.compare(before, ek.score(small)).empty


def test_scheme_replace_pass_mark_and_grades(small):
    before = ek.score(small)
    strict = small.replace(scheme=small.scheme.replace(pass_mark=85, grades={"合格": 85}))
    changed = ek.compare(before, ek.score(strict))
    # P2: 40 × 0.5 + 59 = 79 and P1: 80 fall below 85
    assert changed[["pilot_id", "grade_after", "passed_after", "moved"]].values.tolist() == [
        ["P1", "不合格", False, ""], ["P2", "不合格", False, ""]]


def test_scheme_replace_refuses_what_a_scheme_file_could_not_hold(demo):
    campaign, _ = demo
    with pytest.raises(ValueError, match="inconsistent"):
        campaign.scheme.replace(indicators={"B": {"ahp": [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]}})
    with pytest.raises(ValueError, match="no indicator Z9"):
        campaign.scheme.replace(indicators={"Z9": {"target": 1}})
    with pytest.raises(ValueError, match="scale of its rule"):
        campaign.scheme.replace(indicators={"C2": {"points": 8}})
    with pytest.raises(ValueError, match="descending"):
        campaign.scheme.replace(grades={"合格": 95})
    with pytest.raises(ValueError, match="unknown field"):
        campaign.scheme.replace(total=120)


def test_scheme_replace_ahp_and_points_reweight(demo):
    campaign, before = demo
    matrix = [[1, 1, 2], [1, 1, 3], [0.5, 1 / 3, 1]]
    scheme = campaign.scheme.replace(indicators={"B": {"ahp": matrix}, "A": {"points": 20}})
    after = ek.score(campaign.replace(scheme=scheme))
    weights = ahp(matrix).weights
    # A's 20 of 105 declared top-level points are scaled to the total of 100; B keeps 15 of 105
    assert after.maxima["A"] == pytest.approx(100 * 20 / 105)
    assert [after.maxima[c] for c in ("B1", "B2", "B3")] == pytest.approx(list(after.maxima["B"] * weights))
    assert sum(after.maxima[n.id] for n in scheme.indicators if not n.bonus) == pytest.approx(100)


def test_what_if_campaign_cannot_be_published(small):
    what_if = small.replace(experts=small.tables["experts"])
    assert what_if.replaced == ("experts",)
    with pytest.raises(ValueError, match="what-if"):
        what_if.input_hashes()
    with pytest.raises(ValueError, match="lacks column"):
        small.replace(experts=small.tables["experts"].drop(columns="score"))
    with pytest.raises(ValueError, match="no table or field"):
        small.replace(expert=small.tables["experts"])


def test_score_model_reproduces_the_scores(demo):
    campaign, scores = demo
    model = ScoreModel.of(campaign, scores)
    result = model.rescore()
    assert result.totals[0].tolist() == scores.table["total"].tolist()
    assert result.grades[0].tolist() == scores.table["grade"].tolist()
    assert result.passed[0].tolist() == scores.table["passed"].tolist()
    every_expert = np.ones((1, len(model.panels.pilots), model.panels.width), dtype=bool)
    assert model.rescore(expert_values=model.panels.aggregate(keep=every_expert)).totals[0].tolist() == \
        scores.table["total"].tolist()


@given(st.lists(st.one_of(st.none(), st.floats(0, 10, allow_nan=False)), min_size=1, max_size=8),
       st.sampled_from(["mean", "median", "trimmed_mean"]))
@settings(max_examples=200, deadline=None)
def test_panel_aggregate_matches_the_expert_metric(scores, how):
    # evalkit.metrics.expert is what scoring uses; the arrays must agree with it
    from evalkit.metrics.expert import _aggregate

    given_scores = [s for s in scores if s is not None]
    panel = pd.DataFrame({"pilot": 0, "score": sorted(given_scores), "expert": range(len(given_scores))})
    expected, _ = _aggregate(panel, pd.Index(["P"]), how)
    values = np.array([np.nan if s is None else s for s in scores])[None, :]
    assert aggregate_panel(values, how)[0] == pytest.approx(expected[0], nan_ok=True, abs=1e-12)


def test_robustness_without_perturbation_is_the_score(demo):
    campaign, scores = demo
    table = ek.robustness(campaign, draws=3, concentration=None, ahp_steps=0, resample_experts=False, scores=scores)
    assert table["total_p05"].tolist() == scores.table["total"].tolist()
    assert table["total_p95"].tolist() == scores.table["total"].tolist()
    assert (table["p_grade_change"] == 0).all() and (table["p_pass_change"] == 0).all()


def test_robustness_is_reproducible_and_bounded(demo):
    campaign, scores = demo
    first = ek.robustness(campaign, draws=300, seed=7, scores=scores)
    pd.testing.assert_frame_equal(first, ek.robustness(campaign, draws=300, seed=7, scores=scores))
    assert list(first.columns) == ["pilot_id", "name", "total", "grade", "passed", "p_grade_change", "p_pass_change",
                                   "total_p05", "total_p95"]
    assert first["p_grade_change"].between(0, 1).all()
    assert (first["total_p05"] <= first["total_p95"]).all()
    vetoed = scores.table["vetoed"].to_numpy()
    assert (first.loc[vetoed, "p_grade_change"] == 0).all()  # a veto is a fact, not a weight
    # a pilot far above every grade bound never changes grade; one close to a bound sometimes does
    margin = np.min(np.abs(scores.table["total"].to_numpy()[:, None] - np.array([80, 90])[None, :]), axis=1)
    assert first.loc[~vetoed & (margin > 8), "p_grade_change"].max() == 0
    assert first.loc[~vetoed & (margin < 0.5), "p_grade_change"].min() > 0


def test_ahp_perturbation_moves_one_saaty_step():
    matrix = np.array([[1, 0.5, 2], [2, 1, 3], [0.5, 1 / 3, 1]])
    rng = np.random.default_rng(0)
    shares = np.column_stack(_ahp_shares(matrix, 2000, rng, 1))
    assert np.allclose(shares.sum(axis=1), 1)
    # every draw's weights are those of some matrix with judgements within one step
    steps = {0.5: [1 / 3, 0.5, 1], 2: [1, 2, 3], 3: [2, 3, 4]}
    possible = [ahp([[1, a, b], [1 / a, 1, c], [1 / b, 1 / c, 1]]).weights
                for a in steps[0.5] for b in steps[2] for c in steps[3]]
    assert all(min(np.abs(row - w).max() for w in possible) < 1e-9 for row in shares[:50])
    assert np.allclose(shares.mean(axis=0), ahp(matrix).weights, atol=0.03)
    assert 1 / 9 in SAATY_SCALE and 9 in SAATY_SCALE and len(SAATY_SCALE) == 17
