"""evalkit.mcda: TOPSIS against Hwang & Yoon (1981); fuzzy evaluation against hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evalkit.mcda import FuzzyResult, fuzzy_evaluation, fuzzy_membership, topsis
from evalkit.stats import StatisticsWarning

# Hwang & Yoon (1981), pp. 131-134: fighter aircraft A1-A4 on maximum speed (Mach), ferry range
# (NM), maximum payload (lb), acquisition cost ($10^6, lower is better), reliability and
# manoeuvrability (rated 1-9); weights .2 .1 .1 .1 .2 .3.
AIRCRAFT = pd.DataFrame(
    [
        [2.0, 1500, 20000, 5.5, 5, 9],
        [2.5, 2700, 18000, 6.5, 3, 5],
        [1.8, 2000, 21000, 4.5, 7, 7],
        [2.2, 1800, 20000, 5.0, 5, 5],
    ],
    index=["A1", "A2", "A3", "A4"],
    columns=["speed", "range", "payload", "cost", "reliability", "manoeuvrability"],
)
AIRCRAFT_WEIGHTS = {
    "speed": 0.2,
    "range": 0.1,
    "payload": 0.1,
    "cost": 0.1,
    "reliability": 0.2,
    "manoeuvrability": 0.3,
}
AIRCRAFT_BETTER = {c: ("lower" if c == "cost" else "higher") for c in AIRCRAFT.columns}


# --------------------------------------------------------------------------- TOPSIS


def test_topsis_hwang_yoon_aircraft():
    # Hwang & Yoon (1981) p. 134: C* = 0.643, 0.268, 0.613, 0.312 (ranking A1 > A3 > A4 > A2).
    # The book rounds its normalised matrix to 4 decimals, hence the tolerance of 1.5e-3.
    closeness = topsis(AIRCRAFT, AIRCRAFT_WEIGHTS, AIRCRAFT_BETTER)
    assert closeness.name == "closeness"
    assert list(closeness.index) == ["A1", "A2", "A3", "A4"]
    assert closeness.tolist() == pytest.approx([0.643, 0.268, 0.613, 0.312], abs=1.5e-3)
    assert list(closeness.sort_values(ascending=False).index) == ["A1", "A3", "A4", "A2"]


def test_topsis_weights_are_scale_free_and_accept_series():
    scaled = pd.Series(AIRCRAFT_WEIGHTS) * 10
    pd.testing.assert_series_equal(
        topsis(AIRCRAFT, scaled, pd.Series(AIRCRAFT_BETTER)),
        topsis(AIRCRAFT, AIRCRAFT_WEIGHTS, AIRCRAFT_BETTER),
    )


def test_topsis_dominant_alternative_is_one_and_dominated_is_zero():
    table = pd.DataFrame(
        {"rate": [0.9, 0.5, 0.7], "complaints": [1.0, 9.0, 4.0]}, index=["best", "worst", "mid"]
    )
    closeness = topsis(table, {"rate": 1, "complaints": 1}, {"rate": "higher", "complaints": "lower"})
    assert closeness["best"] == 1.0 and closeness["worst"] == 0.0 and 0 < closeness["mid"] < 1


def test_topsis_single_direction_string():
    higher = topsis(AIRCRAFT, AIRCRAFT_WEIGHTS, "higher")
    explicit = topsis(AIRCRAFT, AIRCRAFT_WEIGHTS, dict.fromkeys(AIRCRAFT.columns, "higher"))
    pd.testing.assert_series_equal(higher, explicit)


def test_topsis_all_zero_criterion_is_ignored():
    with_zero = AIRCRAFT.assign(awards=0.0)
    weights = {**AIRCRAFT_WEIGHTS, "awards": 0.0}
    better = {**AIRCRAFT_BETTER, "awards": "higher"}
    pd.testing.assert_series_equal(
        topsis(with_zero, weights, better), topsis(AIRCRAFT, AIRCRAFT_WEIGHTS, AIRCRAFT_BETTER)
    )


@pytest.mark.parametrize(
    "weights, better, message",
    [
        ({"speed": 1}, "higher", "missing for range"),
        ({**AIRCRAFT_WEIGHTS, "colour": 1}, "higher", "given for unknown colour"),
        ({**AIRCRAFT_WEIGHTS, "cost": -0.1}, "higher", "non-negative"),
        (AIRCRAFT_WEIGHTS, {**AIRCRAFT_BETTER, "cost": "cheaper"}, "'higher' or 'lower', got cheaper"),
    ],
)
def test_topsis_rejects_bad_arguments(weights, better, message):
    with pytest.raises(ValueError, match=message):
        topsis(AIRCRAFT, weights, better)


def test_topsis_missing_value_is_named():
    gappy = AIRCRAFT.astype(float)
    gappy.loc["A3", "range"] = np.nan
    with pytest.raises(ValueError, match="alternative A3, criterion range"):
        topsis(gappy, AIRCRAFT_WEIGHTS, AIRCRAFT_BETTER)


def test_topsis_identical_alternatives_are_nan_with_warning():
    same = pd.DataFrame({"a": [1.0, 1.0], "b": [2.0, 2.0]})
    with pytest.warns(StatisticsWarning, match="no weighted criterion separates"):
        assert topsis(same, {"a": 1, "b": 1}).isna().all()


@settings(max_examples=80, deadline=None)
@given(arrays(float, (5, 3), elements=st.floats(0.01, 1e4)), arrays(float, 3, elements=st.floats(0.01, 1)))
def test_topsis_closeness_in_unit_interval(values, weights):
    table = pd.DataFrame(values, columns=["x", "y", "z"])
    assume(((table.max() - table.min()) > 1e-6 * table.max()).any())  # else: nan with a warning, tested above
    closeness = topsis(
        table, dict(zip(table.columns, weights, strict=True)), {"x": "higher", "y": "lower", "z": "higher"}
    )
    assert closeness.between(0, 1).all()


# --------------------------------------------------------------------------- fuzzy membership


ANSWERS = pd.DataFrame({"C1": [5, 4, 4, 3, 5], "C2": [2, 3, np.nan, 3, 4], "C3": [1, 1, 2, 5, 5]})


def test_membership_is_share_of_answers_per_level():
    # Counted by hand: C1 levels 3,4,4,5,5 -> (0, 0, 1, 2, 2)/5;
    # C2 (missing ignored) 2,3,3,4 -> (0, 1, 2, 1, 0)/4.
    membership = fuzzy_membership(ANSWERS, 1, 5)
    assert list(membership.columns) == [1, 2, 3, 4, 5]
    assert membership.loc["C1"].tolist() == pytest.approx([0, 0, 0.2, 0.4, 0.4])
    assert membership.loc["C2"].tolist() == pytest.approx([0, 0.25, 0.5, 0.25, 0])
    assert membership.sum(axis=1).tolist() == pytest.approx([1, 1, 1])


def test_membership_pooled_by_factor():
    # service = C1 + C2 answers: 3,4,4,5,5,2,3,3,4 -> levels 2:1, 3:3, 4:3, 5:2 of 9.
    membership = fuzzy_membership(
        ANSWERS, 1, 5, factors={"C1": "service", "C2": "service", "C3": "environment"}
    )
    assert list(membership.index) == ["service", "environment"]
    assert membership.loc["service"].tolist() == pytest.approx([0, 1 / 9, 3 / 9, 3 / 9, 2 / 9])


@pytest.mark.parametrize(
    "bad, message", [(3.5, "3.5 is not a level of the scale 1–5"), (6, "6 is not a level")]
)
def test_membership_rejects_answers_off_the_scale(bad, message):
    wrong = ANSWERS.astype(float)
    wrong.loc[0, "C3"] = bad
    with pytest.raises(ValueError, match=f"item C3: {message}"):
        fuzzy_membership(wrong, 1, 5)


def test_membership_item_without_answers():
    with pytest.raises(ValueError, match="no answers for C4"):
        fuzzy_membership(ANSWERS.assign(C4=np.nan), 1, 5)


def test_membership_item_without_factor():
    with pytest.raises(ValueError, match="no factor for item\\(s\\) C3"):
        fuzzy_membership(ANSWERS, 1, 5, factors={"C1": "service", "C2": "service"})


# --------------------------------------------------------------------------- fuzzy evaluation


def test_fuzzy_evaluation_by_hand():
    # Four factors, four grades, weighted-average operator M(.,+), worked by hand:
    # B = .2(.2 .5 .2 .1) + .5(.7 .2 .1 0) + .2(0 .4 .5 .1) + .1(.2 .3 .5 0) = (.41 .31 .24 .04);
    # score = .41*95 + .31*80 + .24*65 + .04*40 = 80.95; maximum membership -> 很欢迎.
    membership = pd.DataFrame(
        [[0.2, 0.5, 0.2, 0.1], [0.7, 0.2, 0.1, 0.0], [0.0, 0.4, 0.5, 0.1], [0.2, 0.3, 0.5, 0.0]],
        index=["花色", "式样", "耐穿度", "价格"],
        columns=["很欢迎", "较欢迎", "不太欢迎", "不欢迎"],
    )
    weights = {"花色": 0.2, "式样": 0.5, "耐穿度": 0.2, "价格": 0.1}
    result = fuzzy_evaluation(weights, membership, {"很欢迎": 95, "较欢迎": 80, "不太欢迎": 65, "不欢迎": 40})
    assert isinstance(result, FuzzyResult)
    assert result.vector.tolist() == pytest.approx([0.41, 0.31, 0.24, 0.04])
    assert list(result.vector.index) == ["很欢迎", "较欢迎", "不太欢迎", "不欢迎"]
    assert result.score == pytest.approx(80.95)
    assert result.grade == "很欢迎"


def test_fuzzy_score_with_level_values_is_weighted_mean_of_item_means():
    # With grade score = the Likert level, sum_j b_j j = sum_i w_i (mean answer of item i).
    membership = fuzzy_membership(ANSWERS, 1, 5)
    weights = pd.Series({"C1": 0.5, "C2": 0.3, "C3": 0.2})
    result = fuzzy_evaluation(weights, membership, {level: level for level in range(1, 6)})
    assert result.score == pytest.approx((ANSWERS.mean() * weights).sum())


def test_fuzzy_weights_are_normalised():
    membership = fuzzy_membership(ANSWERS, 1, 5)
    scores = {level: 20 * level for level in range(1, 6)}
    a = fuzzy_evaluation({"C1": 2, "C2": 1, "C3": 1}, membership, scores)
    b = fuzzy_evaluation({"C1": 0.5, "C2": 0.25, "C3": 0.25}, membership, scores)
    assert a.score == pytest.approx(b.score)
    assert a.vector.sum() == pytest.approx(1)


@pytest.mark.parametrize(
    "membership, message",
    [
        (pd.DataFrame([[0.5, 0.4], [0.5, 0.5]], index=["a", "b"], columns=["g1", "g2"]), "row a sums to 0.9"),
        (pd.DataFrame([[1.2, -0.2], [0.5, 0.5]], index=["a", "b"], columns=["g1", "g2"]), "in \\[0, 1\\]"),
        (pd.DataFrame([[np.nan, 1.0], [0.5, 0.5]], index=["a", "b"], columns=["g1", "g2"]), "none missing"),
    ],
)
def test_fuzzy_rejects_bad_membership(membership, message):
    with pytest.raises(ValueError, match=message):
        fuzzy_evaluation({"a": 1, "b": 1}, membership, {"g1": 1, "g2": 0})


def test_fuzzy_rejects_grade_scores_not_matching():
    membership = pd.DataFrame([[0.5, 0.5]], index=["a"], columns=["g1", "g2"])
    with pytest.raises(ValueError, match=r"grade_scores .* missing for g2"):
        fuzzy_evaluation({"a": 1}, membership, {"g1": 1})
