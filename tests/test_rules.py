"""Every scoring rule on hand-computed values, and the sentence that explains each."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from evalkit.rules import explain, explanations, format_value, numbers, rule_points
from evalkit.scheme import Indicator, Rule
from evalkit.tolerance import TOLERANCE

NAN = float("nan")


def points(rule: Rule, values: list[float], scale: float = 10) -> list[float]:
    return rule_points(rule, pd.Series(values, dtype=float), scale).tolist()


def same(actual: list[float], expected: list[float]) -> bool:
    return all((math.isnan(a) and math.isnan(e)) or a == pytest.approx(e) for a, e in zip(actual, expected))


def test_linear() -> None:
    # 40 × clamp(v, 0, 1): 0.925 -> 37; below 0 -> 0; above 1 -> 40
    assert same(points(Rule("linear"), [0.925, -0.2, 1.3, 0.0, NAN], 40), [37.0, 0.0, 40.0, 0.0, NAN])


def test_target_higher() -> None:
    # 20 × clamp(v / 0.8, 0, 1): 0.6 -> 15, 0.8 -> 20, 0.9 -> 20, -0.1 -> 0
    rule = Rule("target", target=0.8)
    assert same(points(rule, [0.6, 0.8, 0.9, -0.1, NAN], 20), [15.0, 20.0, 20.0, 0.0, NAN])


def test_target_lower() -> None:
    # 15 × clamp(T / v, 0, 1), T = 0.02: 0.04 -> 7.5, 0.02 -> 15, 0.01 -> 15; v ≤ 0 -> full points
    rule = Rule("target", target=0.02, better="lower")
    assert same(points(rule, [0.04, 0.02, 0.01, 0.0, -1.0, NAN], 15), [7.5, 15.0, 15.0, 15.0, 15.0, NAN])


def test_bands_first_band_reached() -> None:
    rule = Rule("bands", bands=((1.0, 10.0), (0.95, 8.0), (0.9, 5.0), (0.5, 1.0)))
    values = [1.0, 0.97, 0.95, 0.9499, 0.9, 0.89, 0.5, 0.49, NAN]
    assert same(points(rule, values), [10.0, 8.0, 8.0, 5.0, 5.0, 1.0, 1.0, 0.0, NAN])


def test_bands_tolerate_float_noise_at_a_boundary() -> None:
    rule = Rule("bands", bands=((0.8, 10.0), (0.0, 0.0)))
    assert points(rule, [0.7999999999999999, 0.7999]) == [10.0, 0.0]


def test_per_unit() -> None:
    # min(max(v, 0) × 0.5, 3): 3 -> 1.5, 6 -> 3, 10 -> 3, -2 -> 0
    rule = Rule("per_unit", per_unit=0.5)
    assert same(points(rule, [3, 6, 10, -2, 0, NAN], 3), [1.5, 3.0, 3.0, 0.0, 0.0, NAN])


def test_boolean() -> None:
    assert same(points(Rule("boolean"), [1, 0, 2, -1, NAN], 5), [5.0, 0.0, 5.0, 5.0, NAN])


def test_expert() -> None:
    assert same(points(Rule("expert"), [8.5, 12, -1, 0, NAN], 10), [8.5, 10.0, 0.0, 0.0, NAN])


def test_rule_points_keeps_the_index() -> None:
    values = pd.Series([0.5, 1.0], index=pd.Index(["P2", "P1"], name="pilot_id"), name="m")
    result = rule_points(Rule("linear"), values, 4)
    assert result.index.equals(values.index) and result.name == "m"


def _leaf(rule: Rule, metric: str, label: str = "现场检查符合率") -> Indicator:
    return Indicator("B1", label, 10, None, False, metric, rule, (), "", None, None)


@pytest.mark.parametrize(("rule", "metric", "value", "earned", "maximum", "sentence"), [
    (Rule("bands", bands=((1.0, 10.0), (0.9, 8.0), (0.0, 0.0))), "inspection.conformity_rate", 0.925, 8, 10,
     "现场检查符合率：92.5%，落在 ≥90% 档，得 8/10 分"),
    (Rule("bands", bands=((1.0, 10.0), (0.9, 8.0))), "inspection.conformity_rate", 0.5, 0, 10,
     "现场检查符合率：50%，低于最低档 90%，得 0/10 分"),
    (Rule("linear"), "inspection.conformity_rate", 0.75, 30, 40, "现场检查符合率：75%，按比例计分，得 30/40 分"),
    (Rule("target", target=0.8), "survey.awareness", 0.875, 20, 20, "现场检查符合率：87.5%，目标值 80%，得 20/20 分"),
    (Rule("target", target=2, better="lower"), "pilot.complaints", 4, 7.5, 15,
     "现场检查符合率：4，目标值不高于 2，得 7.5/15 分"),
    (Rule("target", target=0.02, better="lower"), "pilot.complaint_rate", 0.04, 7.5, 15,
     "现场检查符合率：4%，目标值不高于 2%，得 7.5/15 分"),
    (Rule("per_unit", per_unit=0.5), "standards.developed_count", 3, 1.5, 3,
     "现场检查符合率：3 项，每项计 0.5 分，得 1.5/3 分"),
    # a band from 0 reads as "below the next one", and a 0 in it needs no band at all
    (Rule("bands", bands=((1.0, 0.0), (0.0, 5.0))), "standard.critical_nonconformities", 0, 5, 5,
     "现场检查符合率：0 项，得 5/5 分"),
    (Rule("bands", bands=((1.0, 10.0), (0.9, 8.0), (0.0, 0.0))), "inspection.conformity_rate", 0.5, 0, 10,
     "现场检查符合率：50%，低于 90%，得 0/10 分"),
    (Rule("boolean"), "pilot.led_national_standard", 1, 5, 5, "现场检查符合率：是，得 5/5 分"),
    (Rule("boolean"), "pilot.led_national_standard", 0, 0, 5, "现场检查符合率：否，得 0/5 分"),
    (Rule("expert"), "expert.A1", 8.25, 8.25, 10, "现场检查符合率：专家评分 8.25 分，得 8.25/10 分"),
    (Rule("linear"), "inspection.conformity_rate", None, 0, 40, "现场检查符合率：数据缺失，按0分计"),
    (Rule("linear"), "inspection.conformity_rate", NAN, 0, 40, "现场检查符合率：数据缺失，按0分计"),
])
def test_explain(rule: Rule, metric: str, value: float | None, earned: float, maximum: float, sentence: str) -> None:
    assert explain(_leaf(rule, metric), value, earned, maximum) == sentence


@pytest.mark.parametrize(("evidence", "sentence"), [
    ({"experts": 5, "aggregate": "trimmed_mean", "dropped": ["E1", "E5"]},
     "标准体系框架：5 位专家评分去掉一个最高分和一个最低分后平均 8.33 分，得 8.33/10 分"),
    ({"experts": 3, "aggregate": "trimmed_mean", "dropped": []}, "标准体系框架：3 位专家评分平均 8.33 分，得 8.33/10 分"),
    ({"experts": 4, "aggregate": "median", "dropped": []}, "标准体系框架：4 位专家评分的中位数 8.33 分，得 8.33/10 分"),
])
def test_explain_expert_panel(evidence: dict, sentence: str) -> None:
    leaf = _leaf(Rule("expert"), "expert.A1", "标准体系框架")
    assert explain(leaf, 8.3333, 8.3333, 10, evidence) == sentence


@pytest.mark.parametrize("rule", [
    Rule("bands", bands=((1.0, 10.0), (0.9, 8.0), (0.5, 2.0))), Rule("linear"), Rule("target", target=0.8),
    Rule("target", target=0.2, better="lower"), Rule("per_unit", per_unit=0.5), Rule("boolean"), Rule("expert"),
])
def test_explanations_of_many_rows_are_each_rows_explanation(rule: Rule) -> None:
    """The sentences of a column (each distinct one composed once) are those of each row."""
    rng = np.random.default_rng(7)
    values = rng.choice([0.0, 0.45, 0.5, 0.9, 0.925, 1.0, 1.2, 3.0, NAN], size=300)
    earned = np.where(np.isnan(values), 0.0, rng.choice([0.0, 2.0, 7.333, 8.0, 10.0], size=300))
    panels = pd.DataFrame({"experts": rng.choice([0, 3, 5], size=300), "aggregate": "trimmed_mean",
                           "dropped": [["E1", "E5"] if draw else [] for draw in rng.integers(0, 2, size=300)]})
    leaf = _leaf(rule, "expert.A1" if rule.name == "expert" else "inspection.conformity_rate")
    evidence = panels if rule.name == "expert" else None
    one_by_one = [explain(leaf, value, points, 10, None if evidence is None else evidence.iloc[row].to_dict())
                  for row, (value, points) in enumerate(zip(values.tolist(), earned.tolist()))]
    assert explanations(leaf, values, earned, 10, evidence) == one_by_one
    assert len(set(one_by_one)) > 5


@pytest.mark.parametrize(("metric", "value", "shown"), [
    ("inspection.conformity_rate", 0.925, "92.5%"),
    ("standards.implemented_rate", 1.0, "100%"),
    ("survey.awareness", 0.8125, "81.25%"),
    ("kpi.投诉率.change", -0.25, "-25%"),
    ("kpi.improved_share", 0.5, "50%"),
    ("survey.awareness.n", 12, "12 人"),
    ("standards.level_count.national", 4, "4 项"),
    ("inspection.critical_nonconformities", 0, "0 项"),
    ("pilot.training_sessions", 12.0, "12"),
    ("expert.A1", 7.333333, "7.33"),
])
def test_format_value(metric: str, value: float, shown: str) -> None:
    assert format_value(metric, value) == shown


def test_standard_count_metrics_have_counting_words() -> None:
    from evalkit.rules import explain
    from evalkit.scheme import Indicator, Rule

    leaf = Indicator("S1", "实施试点数", 10, None, False, "standard.pilots", Rule("per_unit", per_unit=2.0),
                     (), "", None, None)
    assert explain(leaf, 3, 6, 10) == "实施试点数：3 个试点，每试点计 2 分，得 6/10 分"
    age = Indicator("S2", "标准年龄", 10, None, False, "standard.age_years",
                    Rule("target", target=5.0, better="lower"), (), "", None, None)
    assert explain(age, 10, 5, 10) == "标准年龄：10 年，目标值不高于 5 年，得 5/10 分"


# ---------------------------------------------------------------------------------------
# numbers in sentences: rounded as a person rounds, never contradicting the band


@pytest.mark.parametrize(("value", "shown"), [
    (8.625, "8.63"), (1.125, "1.13"), (4.125, "4.13"), (2.675, "2.68"), (-2.675, "-2.68"),  # halves up (四舍五入)
    (7.333333, "7.33"), (37.5, "37.5"), (8.0, "8"), (-0.001, "0"), (0.0049, "0"), (0.005, "0.01"),
])
def test_numbers_round_half_up_from_the_decimal_form(value: float, shown: str) -> None:
    # f"{8.625:.2f}" == "8.62" (the binary value's tie goes to even); a person rounding the
    # 8.625 printed in scores.csv writes 8.63, and so must the sentence next to it
    assert numbers(np.array([value])) == [shown]
    assert explain(_leaf(Rule("expert"), "expert.A1"), value, max(value, 0), 10).startswith(f"现场检查符合率：专家评分 {shown} 分")


@pytest.mark.parametrize(("metric", "value", "sentence"), [
    ("pilot.training_hours", 4.996, "人均培训学时：4.996，落在 ≥4 档，得 6/10 分"),  # "5" would claim the ≥5 band
    ("inspection.conformity_rate", 0.89995, "人均培训学时：89.995%，落在 ≥80% 档，得 6/10 分"),
    ("inspection.conformity_rate", 0.7999999999999999, "人均培训学时：80%，落在 ≥80% 档，得 6/10 分"),  # reached (noise)
    ("pilot.training_hours", 0.00001, "人均培训学时：0，低于最低档 0.0001，得 0/10 分"),  # the band as written
])
def test_a_bands_value_is_shown_on_the_side_of_the_band_it_reached(metric: str, value: float, sentence: str) -> None:
    rate = metric.endswith("_rate")
    bands = ((0.9, 10.0), (0.8, 6.0), (0.0001, 1.0)) if rate else ((5.0, 10.0), (4.0, 6.0), (0.0001, 1.0))
    leaf = _leaf(Rule("bands", bands=bands), metric, "人均培训学时")
    earned = float(rule_points(leaf.rule, pd.Series([value]), 10).iloc[0])
    assert explain(leaf, value, earned, 10) == sentence


@example(1.2345679, [1.23456789, 5.0])  # reached, though two decimals (1.23) would fall below the band
@example(4.996, [5.0, 4.0])
@given(st.floats(min_value=-10, max_value=10, allow_nan=False),
       st.lists(st.floats(min_value=-10, max_value=10).map(lambda low: round(low, 6)),  # as a scheme writes them
                min_size=1, max_size=4, unique=True))
def test_the_value_a_bands_sentence_shows_lies_in_the_band_it_names(value: float, lows: list[float]) -> None:
    bands = tuple((low, 1.0) for low in sorted(lows, reverse=True))
    sentence = explain(_leaf(Rule("bands", bands=bands), "pilot.x"), value, 0, 10)
    shown, band = float(sentence.split("：")[1].split("，")[0]), sentence.split("，")[1]
    reached = [low for low in sorted(lows, reverse=True) if value >= low - TOLERANCE]
    above = [low for low in lows if (not reached or low > reached[0])]
    if reached and reached[0] == 0 and value == 0:  # a 0 in the band from 0: no band named
        assert band.startswith("得 ")
    elif reached and reached[0] == 0 and above:  # the band from 0 under another: "below" that one
        assert band == f"低于 {format_value('pilot.x', min(above), exact=True)}"
    elif reached:  # the band as written, and a value that reads as reaching it
        assert band == f"落在 ≥{format_value('pilot.x', reached[0], exact=True)} 档"
        assert float(band.removeprefix("落在 ≥").removesuffix(" 档")) == reached[0] <= shown
    if above:
        assert shown < min(above)


def test_per_unit_sentence_states_the_rescaled_worth_of_a_unit() -> None:
    # a leaf of scale 5 given 10 points by its weighted parent: 2 units × 1 point on its scale
    # = 2 -> 4 of 10; the sentence's arithmetic must give the points it prints
    leaf = _leaf(Rule("per_unit", per_unit=1.0), "pilot.training_sessions", "宣贯培训")
    assert explain(leaf, 2, 4, 10, scale=5) == "宣贯培训：2，每单位计 2 分，得 4/10 分"
    assert explain(leaf, 2, 2, 5) == "宣贯培训：2，每单位计 1 分，得 2/5 分"


def test_expert_sentence_names_the_panels_scale_when_points_are_rescaled() -> None:
    leaf = _leaf(Rule("expert"), "expert.A1", "标准体系框架")
    assert explain(leaf, 3, 6, 10, scale=5) == "标准体系框架：专家评分 3 分（满分 5 分），折算后得 6/10 分"
    assert explain(leaf, 3, 3, 5, scale=5) == "标准体系框架：专家评分 3 分，得 3/5 分"


@pytest.mark.parametrize("module", ["evalkit.rules", "evalkit.text", "evalkit.report.formatting",
                                    "evalkit.metrics.inspection", "evalkit.metrics.per_standard",
                                    "evalkit.tables.standard_codes", "evalkit.report.charts",
                                    "evalkit.report.context.facts"])
def test_docstring_examples_of_scoring_and_reading_run(module: str) -> None:
    # the rounding, band and code-normalising examples in these docstrings are claims users read
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
