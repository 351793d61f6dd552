"""AHP, entropy and CRITIC weights against published and hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evalkit.weights import ahp, critic_weights, entropy_weights

# Saaty (1977), "A scaling method for priorities in hierarchical structures", J. Math. Psychol.
# 15(3), 234–281, the wealth-of-nations example (reprinted in Saaty 1980, The Analytic Hierarchy
# Process, ch. 2): US, USSR, China, France, UK, Japan, W. Germany; published eigenvector
# (.427, .230, .021, .052, .052, .123, .094) and λmax = 7.61.
WEALTH = [
    [1, 4, 9, 6, 6, 5, 5],
    [1 / 4, 1, 7, 5, 5, 3, 4],
    [1 / 9, 1 / 7, 1, 1 / 5, 1 / 5, 1 / 7, 1 / 5],
    [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
    [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
    [1 / 5, 1 / 3, 7, 3, 3, 1, 2],
    [1 / 5, 1 / 4, 5, 3, 3, 1 / 2, 1],
]

# Saaty (1990), "How to make a decision: the analytic hierarchy process", Eur. J. Oper. Res.
# 48(1), 9–26, the house-buying example: the 8×8 matrix of the criteria (size, transportation,
# neighbourhood, age, yard, modern facilities, general condition, financing); published
# priorities (.173, .054, .188, .018, .031, .036, .167, .333), λmax = 9.669 and C.R. = 0.17 —
# inconsistent by Saaty's own 0.10 rule.
HOUSE = [
    [1, 5, 3, 7, 6, 6, 1 / 3, 1 / 4],
    [1 / 5, 1, 1 / 3, 5, 3, 3, 1 / 5, 1 / 7],
    [1 / 3, 3, 1, 6, 3, 4, 6, 1 / 5],
    [1 / 7, 1 / 5, 1 / 6, 1, 1 / 3, 1 / 4, 1 / 7, 1 / 8],
    [1 / 6, 1 / 3, 1 / 3, 3, 1, 1 / 2, 1 / 5, 1 / 6],
    [1 / 6, 1 / 3, 1 / 4, 4, 2, 1, 1 / 5, 1 / 6],
    [3, 5, 1 / 6, 7, 5, 5, 1, 1 / 2],
    [4, 7, 5, 8, 6, 6, 2, 1],
]


def test_ahp_wealth_of_nations() -> None:
    result = ahp(WEALTH)
    assert result.weights.round(3).tolist() == [0.427, 0.230, 0.021, 0.052, 0.052, 0.123, 0.094]
    assert result.lambda_max == pytest.approx(7.61, abs=0.005)
    assert result.cr == pytest.approx((result.lambda_max - 7) / 6 / 1.32)
    assert result.consistent


def test_ahp_house_example_is_inconsistent() -> None:
    result = ahp(HOUSE)
    assert result.weights.round(3).tolist() == [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]
    assert result.lambda_max == pytest.approx(9.669, abs=0.0005)
    assert result.ci == pytest.approx((result.lambda_max - 8) / 7)
    assert round(result.cr, 2) == 0.17
    assert not result.consistent


def test_ahp_consistent_5x5_has_lambda_max_n() -> None:
    # A consistent matrix a_ij = w_i / w_j has λmax = n exactly and returns w
    # (Saaty 1977, theorem on consistent matrices); CI = CR = 0.
    w = np.array([0.4, 0.25, 0.15, 0.12, 0.08])
    result = ahp(np.outer(w, 1 / w))
    np.testing.assert_allclose(result.weights, w, atol=1e-12)
    assert result.lambda_max == pytest.approx(5.0, abs=1e-9)
    assert result.cr == pytest.approx(0.0, abs=1e-9)


def test_ahp_5x5_lambda_max_matches_power_iteration() -> None:
    # A perturbed 5×5; λmax cross-checked by the power method (Saaty 1980, §"computing the eigenvector").
    a = np.array([[1, 2, 3, 5, 7], [1 / 2, 1, 2, 3, 5], [1 / 3, 1 / 2, 1, 3, 3],
                  [1 / 5, 1 / 3, 1 / 3, 1, 2], [1 / 7, 1 / 5, 1 / 3, 1 / 2, 1]])
    v = np.ones(5)
    for _ in range(200):
        v = a @ v
        v /= v.sum()
    result = ahp(a)
    np.testing.assert_allclose(result.weights, v, atol=1e-10)
    assert result.lambda_max == pytest.approx(float((a @ v).sum()), abs=1e-10)
    assert result.ci == pytest.approx((result.lambda_max - 5) / 4)
    assert result.cr == pytest.approx(result.ci / 1.12)


def test_entropy_weights_by_hand() -> None:
    # a: normalised (0, .5, 1) -> p = (0, 1/3, 2/3), e = (1/3 ln 3 + 2/3 ln 1.5)/ln 3 = 0.579380,
    # d = 0.420620; b: (0, 0, 1) -> p = (0, 0, 1), e = 0, d = 1. w = d / Σd.
    table = pd.DataFrame({"a": [10.0, 15.0, 20.0], "b": [3.0, 3.0, 7.0]})
    e_a = (np.log(3) / 3 + 2 / 3 * np.log(1.5)) / np.log(3)
    expected = np.array([1 - e_a, 1.0]) / (2 - e_a)
    np.testing.assert_allclose(entropy_weights(table).to_numpy(), expected, rtol=1e-12)
    assert entropy_weights(table).round(4).tolist() == [0.2961, 0.7039]


def test_entropy_lower_is_better_mirrors_the_column() -> None:
    table = pd.DataFrame({"a": [10.0, 15.0, 20.0], "b": [7.0, 7.0, 3.0]})
    mirrored = pd.DataFrame({"a": [10.0, 15.0, 20.0], "b": [3.0, 3.0, 7.0]})
    pd.testing.assert_series_equal(entropy_weights(table, {"a": "higher", "b": "lower"}), entropy_weights(mirrored))


def test_critic_weights_by_hand() -> None:
    # σ (population) = (.4082, .4714, .4082); r_ab = .8660, r_ac = -1, r_bc = -.8660;
    # C = σ·Σ(1 - r) = (.8711, .9428, 1.5782) -> w = (.2568, .2779, .4653).
    table = pd.DataFrame({"a": [0.0, 0.5, 1.0], "b": [0.0, 0.0, 1.0], "c": [1.0, 0.5, 0.0]})
    sigma = np.array([np.sqrt(1 / 6), np.sqrt(2 / 9), np.sqrt(1 / 6)])
    r_ab = 0.5 / np.sqrt(0.5 * 6 / 9)
    information = sigma * np.array([(1 - r_ab) + 2, (1 - r_ab) + (1 + r_ab), 2 + (1 + r_ab)])
    np.testing.assert_allclose(critic_weights(table).to_numpy(), information / information.sum(), rtol=1e-12)


@pytest.mark.parametrize("weigh", [entropy_weights, critic_weights])
def test_degenerate_tables_give_equal_weights(weigh) -> None:
    equal = pd.DataFrame({"a": [0.7, 0.7, 0.7], "b": [0.2, 0.2, 0.2], "c": [1.0, 1.0, 1.0]})
    assert weigh(equal).tolist() == pytest.approx([1 / 3] * 3)
    single = pd.DataFrame({"a": [0.1], "b": [0.9]})
    assert weigh(single).tolist() == pytest.approx([0.5, 0.5])


@pytest.mark.parametrize("weigh", [entropy_weights, critic_weights])
def test_constant_column_gets_no_weight(weigh) -> None:
    table = pd.DataFrame({"a": [0.1, 0.5, 0.9], "b": [0.4, 0.4, 0.4]})
    assert weigh(table).tolist() == pytest.approx([1.0, 0.0])


@pytest.mark.parametrize("weigh", [entropy_weights, critic_weights])
def test_rejects_nan(weigh) -> None:
    with pytest.raises(ValueError, match="NaN"):
        weigh(pd.DataFrame({"a": [0.1, np.nan]}))


@settings(max_examples=40, deadline=None)
@given(arrays(float, st.tuples(st.integers(2, 12), st.integers(1, 5)), elements=st.floats(0, 1)),
       st.randoms(use_true_random=False))
def test_weights_are_a_distribution_independent_of_row_order(values: np.ndarray, rng) -> None:
    table = pd.DataFrame(values, columns=[f"c{i}" for i in range(values.shape[1])])
    order = list(range(len(table)))
    rng.shuffle(order)
    for weigh in (entropy_weights, critic_weights):
        weights = weigh(table)
        assert (weights >= 0).all() and weights.sum() == pytest.approx(1.0)
        assert weigh(table.iloc[order]).to_numpy().tobytes() == weights.to_numpy().tobytes()
