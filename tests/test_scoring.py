"""`evalkit.scoring.score` on hand-computed campaigns: rules in the tree, weighting styles,
missing policies, bonus cap, vetoes, grades and the scorecard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DataError
from evalkit.load import load_campaign
from evalkit.scoring import INFO_COLUMNS, Scores, score, score_campaign
from evalkit.weights import critic_weights, entropy_weights
from tests.campaign_factory import build_campaign, expert_scores, inspection, leaf, node, pilot_rows, scheme
from tests.test_weights import HOUSE
from tests.tiny import TINY

ROOT = Path(__file__).resolve().parents[1]


def pilot_campaign(directory: Path, indicators: list[dict[str, Any]], columns: dict[str, list[Any]],
                   **scheme_fields: Any) -> Scores:
    """Score pilots P1, P2, … whose ``pilot.<column>`` metrics are ``columns``."""
    ids = [f"P{i}" for i in range(1, len(next(iter(columns.values()))) + 1)]
    campaign = build_campaign(directory, pilots=pilot_rows(ids, **columns),
                              scheme=scheme(indicators, **scheme_fields))
    return score(campaign)


def column(scores: Scores, node_id: str) -> list[float]:
    return scores.table[node_id].tolist()


# ---------------------------------------------------------------------------------------
# the tiny campaign of tests/data/tiny, by hand


def test_tiny_campaign_by_hand() -> None:
    scores = score(load_campaign(TINY / "campaign.yaml"))
    table = scores.table.set_index("pilot_id")
    # P1: A1 mean(9, 8) = 8.5; A2 current 3/3 -> band 10; A3 developed 1 × 1; B1 (1 + 0.5)/2 × 40 = 30;
    #     B2 awareness (5, 5, 4, 4) -> 4.5 -> 0.875 ≥ 0.8 -> 20; B3 -(0.03-0.05)/0.05 = 0.4 ≥ 0.2 -> 15;
    #     X1 led a national standard -> 5; total 84.5 + 5 = 89.5 -> 合格
    # P2: 6.5; 1/2 current -> 0; 1; (1 + 0)/2 × 40 = 20; (3, 3) -> 0.5 -> 20 × 0.5/0.8 = 12.5; change -0.25 -> 0
    # P3: 4.5; 10; 0; 0/1 -> 0; (2, 2) -> 0.25 -> 6.25; change 0 -> 0; vetoed (incident, critical nonconformity)
    expected = {
        "P1": [89.5, "合格", True, False, "", 19.5, 8.5, 10, 1, 65, 30, 20, 15, 5, 5],
        "P2": [40.0, "不合格", False, False, "", 7.5, 6.5, 0, 1, 32.5, 20, 12.5, 0, 0, 0],
        "P3": [20.75, "不合格", False, True, "", 14.5, 4.5, 10, 0, 6.25, 0, 6.25, 0, 0, 0],
    }
    for pilot_id, row in expected.items():
        assert table.loc[pilot_id, "total":].tolist() == row


def test_table_contract() -> None:
    scores = score(load_campaign(TINY / "campaign.yaml"))
    table = scores.table
    assert list(table.columns) == [*INFO_COLUMNS, "A", "A1", "A2", "A3", "B", "B1", "B2", "B3", "X", "X1"]
    assert isinstance(table.index, pd.RangeIndex) and table.index.start == 0
    assert table["pilot_id"].tolist() == ["P1", "P2", "P3"]
    assert table["passed"].dtype == bool and table["vetoed"].dtype == bool
    assert scores.metrics.index.name == "pilot_id" and list(scores.metrics.columns) == scores.scheme.metrics
    assert scores.maxima == {"A": 25, "A1": 10, "A2": 10, "A3": 5, "B": 75, "B1": 40, "B2": 20, "B3": 15,
                             "X": 5, "X1": 5}
    assert scores.campaign_id == "tiny"
    assert [card["pilot_id"] for card in scores.cards()] == ["P1", "P2", "P3"]
    with pytest.raises(KeyError, match="P9"):
        scores.card("P9")


def test_scorecard_shape() -> None:
    card = score(load_campaign(TINY / "campaign.yaml")).card("P3")
    assert list(card) == ["pilot_id", "name", "district", "domain", "total", "max", "bonus", "grade", "passed",
                          "vetoed", "vetoes", "indicators"]
    assert (card["total"], card["max"], card["bonus"], card["grade"], card["passed"], card["vetoed"]) == (
        20.75, 100.0, 0.0, "不合格", False, True)
    assert card["vetoes"] == [
        {"id": "V1", "label": "试点期间发生重大质量安全事故", "metric": "pilot.major_incident", "op": "truthy",
         "value": None, "actual": 1.0, "triggered": True},
        {"id": "V2", "label": "现场检查发现严重不符合项", "metric": "inspection.critical_nonconformities", "op": ">",
         "value": 0.0, "actual": 1.0, "triggered": True},
    ]
    inner = card["indicators"][1]
    assert list(inner) == ["id", "label", "max", "points", "attainment", "children"]
    assert (inner["id"], inner["max"], inner["points"], inner["attainment"]) == ("B", 75.0, 6.25, 0.0833)
    b2 = inner["children"][1]
    assert list(b2) == ["id", "label", "max", "points", "attainment", "metric", "value", "rule", "params",
                        "missing", "explanation", "evidence"]
    assert b2 == {
        "id": "B2", "label": "员工标准知晓", "max": 20.0, "points": 6.25, "attainment": 0.3125,
        "metric": "survey.awareness", "value": 0.25, "rule": "target", "params": {"target": 0.8, "better": "higher"},
        "missing": False, "explanation": "员工标准知晓：25%，目标值 80%，得 6.25/20 分",
        "evidence": {"rows": 1, "respondents": 1, "answers": 2, "answer_sum": 4.0, "mean_answer": 2.0, "scale_min": 1,
                     "scale_max": 5, "items": ["Q1", "Q2"], "reversed": ["Q2"]},
    }


# ---------------------------------------------------------------------------------------
# missing values


def test_missing_zero_scores_zero_and_flags(tmp_path: Path) -> None:
    campaign = build_campaign(tmp_path, pilots=pilot_rows(["P1", "P2"], staff=[2, 5]),
                              scheme=scheme([node("A", [leaf("A1", "inspection.conformity_rate", 60),
                                                        leaf("A2", "pilot.staff", 40, "per_unit", per_unit=10)])]),
                              inspections=[inspection("P1", "I1", "partial")])
    scores = score(campaign)
    assert column(scores, "A1") == [30.0, 0.0]
    leaf_card = scores.card("P2")["indicators"][0]["children"][0]
    assert leaf_card["missing"] is True and leaf_card["value"] is None and leaf_card["points"] == 0.0
    assert leaf_card["explanation"] == "指标A1：数据缺失，按0分计"
    assert scores.card("P1")["indicators"][0]["children"][0]["missing"] is False


def test_missing_error_names_every_pilot_and_indicator(tmp_path: Path) -> None:
    campaign = build_campaign(tmp_path, pilots=["P1", "P2", "P3"],
                              scheme=scheme([node("A", [leaf("A1", "inspection.conformity_rate", 100)])],
                                            missing="error"),
                              inspections=[inspection("P1", "I1", "conform"), inspection("P3", "I1", "na")])
    with pytest.raises(DataError) as caught:
        score(campaign)
    problems = caught.value.problems
    assert [(Path(p.file).name, p.column) for p in problems] == [("scheme.yaml", "A1")] * 2
    assert sorted(p.message.split("'")[1] for p in problems) == ["P2", "P3"]
    assert all(p.row is not None and "inspection.conformity_rate" in p.message for p in problems)


# ---------------------------------------------------------------------------------------
# weighting styles


def test_weight_style_distributes_the_total(tmp_path: Path) -> None:
    # A: 0.6 × 100 = 60 shared 1:3 -> A1 15, A2 45; B: 0.4 × 100 = 40
    indicators = [node("A", [leaf("A1", "pilot.x", weight=1), leaf("A2", "pilot.y", weight=3)], weight=0.6),
                  leaf("B", "pilot.x", weight=0.4)]
    scores = pilot_campaign(tmp_path, indicators, {"x": [0.5, 1.0], "y": [1.0, 0.2]}, total=100)
    assert scores.maxima == pytest.approx({"A": 60, "A1": 15, "A2": 45, "B": 40})
    assert column(scores, "A1") == [7.5, 15.0]
    assert column(scores, "A2") == [45.0, 9.0]
    assert column(scores, "total") == [72.5, 64.0]


def test_points_children_of_a_weighted_node_are_scaled_to_its_share(tmp_path: Path) -> None:
    # A holds 0.6 × 100 = 60; its children declare 6 and 4 points -> 36 and 24
    indicators = [node("A", [leaf("A1", "pilot.x", 6), leaf("A2", "pilot.y", 4)], weight=0.6),
                  leaf("B", "pilot.x", weight=0.4)]
    scores = pilot_campaign(tmp_path, indicators, {"x": [0.5, 1.0], "y": [1.0, 0.0]}, total=100)
    assert scores.maxima == pytest.approx({"A": 60, "A1": 36, "A2": 24, "B": 40})
    assert column(scores, "A") == [42.0, 36.0]


def test_a_rescaled_leafs_sentence_gives_the_points_it_prints(tmp_path: Path) -> None:
    # A holds 0.5 × 100 = 50 and its one leaf declares 5 points, so each of its points is
    # worth 10: 2 units × 1 point = 2 of 5 -> 20 of 50, and a unit is worth 10 points
    indicators = [node("A", [leaf("A1", "pilot.n", 5, "per_unit", per_unit=1)], weight=0.5),
                  leaf("B", "pilot.x", weight=0.5)]
    scores = pilot_campaign(tmp_path, indicators, {"n": [2], "x": [1.0]}, total=100)
    a1 = scores.card("P1")["indicators"][0]["children"][0]
    assert (a1["points"], a1["max"]) == (20.0, 50.0)
    assert a1["explanation"] == "指标A1：2，每单位计 10 分，得 20/50 分"


def test_ahp_weights_share_the_parents_points(tmp_path: Path) -> None:
    # [[1, 3], [1/3, 1]] -> weights (0.75, 0.25) of 40 points
    indicators = [node("A", [leaf("A1", "pilot.x"), leaf("A2", "pilot.y")], points=40, ahp=[[1, 3], ["1/3", 1]]),
                  leaf("B", "pilot.x", 60)]
    scores = pilot_campaign(tmp_path, indicators, {"x": [1.0, 0.5], "y": [0.0, 1.0]})
    assert scores.maxima["A1"] == pytest.approx(30) and scores.maxima["A2"] == pytest.approx(10)
    assert column(scores, "A") == [30.0, 25.0]


def test_inconsistent_ahp_matrix_names_the_node(tmp_path: Path) -> None:
    # Saaty's house matrix (CR = 0.17, see test_weights) cannot weight a scheme node
    children = [leaf(f"H{i}", "pilot.x") for i in range(1, 9)]
    with pytest.raises(DataError, match=r"AHP matrix of 'H' is inconsistent: CR = 0\.169"):
        pilot_campaign(tmp_path, [node("H", children, points=100, ahp=HOUSE)], {"x": [1.0]})


def test_entropy_weights_from_the_pilots_attainment(tmp_path: Path) -> None:
    # children's attainment over P1..P3: A1 (0, 0.5, 1), A2 (0, 0, 1) -> entropy weights (0.2961, 0.7039)
    indicators = [node("A", [leaf("A1", "pilot.x"), leaf("A2", "pilot.y")], points=100, weights="entropy")]
    scores = pilot_campaign(tmp_path, indicators, {"x": [0.0, 0.5, 1.0], "y": [0.0, 0.0, 1.0]})
    expected = entropy_weights(pd.DataFrame({"A1": [0.0, 0.5, 1.0], "A2": [0.0, 0.0, 1.0]})) * 100
    assert scores.maxima["A1"] == pytest.approx(expected["A1"]) and expected["A1"] == pytest.approx(29.61, abs=0.01)
    assert column(scores, "A1") == [0.0, round(expected["A1"] / 2, 4), round(expected["A1"], 4)]
    assert column(scores, "total") == [0.0, round(expected["A1"] / 2, 4), 100.0]


def test_critic_weights_and_rescaled_leaf_rules(tmp_path: Path) -> None:
    # leaves without points under a CRITIC node have the scale 100/3 (equal shares); the band
    # rule gives points on that scale, rescaled to each leaf's CRITIC maximum.
    third = 100 / 3
    indicators = [node("A", [leaf("A1", "pilot.x"), leaf("A2", "pilot.y"),
                             leaf("A3", "pilot.z", rule="bands", bands=[[0.5, third], [0.0, third / 2]])],
                       points=100, weights="critic")]
    scores = pilot_campaign(tmp_path, indicators, {"x": [0.0, 0.5, 1.0], "y": [0.0, 0.0, 1.0], "z": [1.0, 0.3, 0.0]})
    attainment = pd.DataFrame({"A1": [0.0, 0.5, 1.0], "A2": [0.0, 0.0, 1.0], "A3": [1.0, 0.5, 0.5]})
    weights = critic_weights(attainment)
    assert [scores.maxima[k] for k in ("A1", "A2", "A3")] == pytest.approx((weights * 100).tolist())
    assert column(scores, "A3") == [round(w, 4) for w in (weights["A3"] * 100 * attainment["A3"]).tolist()]


def test_nested_entropy_nodes_resolve_bottom_up(tmp_path: Path) -> None:
    inner = node("B", [leaf("B1", "pilot.x"), leaf("B2", "pilot.y")], weights="entropy")
    indicators = [node("A", [inner, leaf("A2", "pilot.z")], points=100, weights="entropy")]
    scores = pilot_campaign(tmp_path, indicators, {"x": [0.0, 0.5, 1.0], "y": [0.0, 0.0, 1.0], "z": [0.2, 0.4, 0.3]})
    b = entropy_weights(pd.DataFrame({"B1": [0.0, 0.5, 1.0], "B2": [0.0, 0.0, 1.0]}))
    b_attainment = b["B1"] * np.array([0.0, 0.5, 1.0]) + b["B2"] * np.array([0.0, 0.0, 1.0])
    a = entropy_weights(pd.DataFrame({"B": b_attainment, "A2": [0.2, 0.4, 0.3]}))
    assert scores.maxima["B"] == pytest.approx(100 * a["B"])
    assert scores.maxima["B1"] == pytest.approx(100 * a["B"] * b["B1"])


def test_objective_weights_with_identical_pilots_are_equal(tmp_path: Path) -> None:
    indicators = [node("A", [leaf("A1", "pilot.x"), leaf("A2", "pilot.y")], points=100, weights="entropy")]
    scores = pilot_campaign(tmp_path, indicators, {"x": [0.4, 0.4], "y": [0.9, 0.9]})
    assert scores.maxima["A1"] == pytest.approx(50) and column(scores, "total") == [65.0, 65.0]


def test_expert_rule_with_trimmed_mean(tmp_path: Path) -> None:
    campaign = build_campaign(tmp_path, pilots=pilot_rows(["P1"], x=[1.0]),
                              scheme=scheme([node("A", [leaf("A1", "expert.A1", 10, "expert"),
                                                        leaf("A2", "pilot.x", 90)])], expert_aggregate="trimmed_mean"),
                              experts=expert_scores("P1", "A1", [9, 7, 8.5, 6, 10]))
    a1 = score(campaign).card("P1")["indicators"][0]["children"][0]
    assert a1["points"] == round((9 + 7 + 8.5) / 3, 4)
    assert a1["evidence"]["dropped"] == ["E4", "E5"]
    assert a1["explanation"] == "指标A1：5 位专家评分去掉一个最高分和一个最低分后平均 8.17 分，得 8.17/10 分"


# ---------------------------------------------------------------------------------------
# bonus, vetoes, grades


def test_bonus_is_capped_on_the_grand_total(tmp_path: Path) -> None:
    # base 98 + bonus 10 = 108 > 100 + 5 -> 105 (5 bonus counted); base 80 + 10 = 90 (all counted)
    indicators = [node("A", [leaf("A1", "pilot.x", 100)]),
                  node("X", [leaf("X1", "pilot.b", 10, "boolean")], bonus=True)]
    scores = pilot_campaign(tmp_path, indicators, {"x": [0.98, 0.8, 0.5], "b": [1, 1, 0]}, bonus_cap=5)
    assert column(scores, "total") == [105.0, 90.0, 50.0]
    assert column(scores, "X") == [10.0, 10.0, 0.0]
    assert [scores.card(p)["bonus"] for p in ("P1", "P2", "P3")] == [7.0, 10.0, 0.0]


@pytest.mark.parametrize(("op", "value", "triggered"), [
    (">", 1, [False, False, True, False]),
    (">=", 1, [False, True, True, False]),
    ("<", 1, [True, False, False, False]),
    ("<=", 1, [True, True, False, False]),
    ("==", 1, [False, True, False, False]),
    ("!=", 1, [True, False, True, False]),
    ("truthy", None, [False, True, True, False]),
])
def test_every_veto_operator(tmp_path: Path, op: str, value: float | None, triggered: list[bool]) -> None:
    # pilot.v = 0, 1, 2, missing; a missing metric never triggers a veto and shows actual = None
    veto = {"id": "V1", "label": "否决项", "metric": "pilot.v", "op": op, **({"value": value} if value is not None else {})}
    scores = pilot_campaign(tmp_path, [node("A", [leaf("A1", "pilot.x", 100)])],
                            {"x": [1.0] * 4, "v": [0, 1, 2, None]}, vetoes=[veto])
    assert scores.table["vetoed"].tolist() == triggered
    assert [scores.card(p)["vetoes"][0]["triggered"] for p in ("P1", "P2", "P3", "P4")] == triggered
    assert scores.card("P4")["vetoes"][0]["actual"] is None
    assert scores.table["grade"].tolist() == ["不合格" if t else "优秀" for t in triggered]
    assert scores.table["passed"].tolist() == [not t for t in triggered]
    assert column(scores, "total") == [100.0] * 4  # a veto decides pass and grade, not points


@pytest.mark.parametrize(("op", "triggered"), [
    ("<", [False, True]), (">=", [True, False]), ("==", [True, False]),
    ("!=", [False, True]), (">", [False, False]), ("<=", [True, True]),
])
def test_a_veto_holds_its_value_within_the_tolerance(tmp_path: Path, op: str, triggered: list[bool]) -> None:
    # 0.8999999999999999 is what (4.6 − 1) / 4 gives for the 0.9 of the survey formula (docs/metrics.md)
    # (answers 5, 5, 5, 4, 4 on a 1–5 scale); against 0.9 it must count as 0.9, as bands do
    veto = {"id": "V1", "label": "员工知晓率不足", "metric": "pilot.v", "op": op, "value": 0.9}
    scores = pilot_campaign(tmp_path, [node("A", [leaf("A1", "pilot.x", 100)])],
                            {"x": [1.0, 1.0], "v": [0.8999999999999999, 0.85]}, vetoes=[veto])
    assert scores.table["vetoed"].tolist() == triggered


def test_missing_error_covers_the_metrics_of_vetoes(tmp_path: Path) -> None:
    # a 一票否决 item nobody can check must not pass silently when the scheme asks for every value
    veto = {"id": "V1", "label": "重大事故", "metric": "pilot.v", "op": "truthy"}
    with pytest.raises(DataError) as caught:
        pilot_campaign(tmp_path, [node("A", [leaf("A1", "pilot.x", 100)])], {"x": [1.0, 1.0], "v": [0, None]},
                       vetoes=[veto], missing="error")
    problems = caught.value.problems
    assert [(Path(p.file).name, p.column, p.message) for p in problems] == [
        ("scheme.yaml", "V1", "pilot 'P2' has no value for metric 'pilot.v' of veto 'V1' (the scheme says missing: error)")]
    assert problems[0].row is not None  # the veto's line in the scheme file


@pytest.mark.parametrize(("x", "grade", "passed"), [
    (0.9, "优秀", True), (0.89999, "合格", True), (0.899999999, "优秀", True),  # grades on the rounded total
    (0.8, "合格", True), (0.7999999, "合格", True), (0.79995, "不合格", False), (0.0, "不合格", False),
])
def test_grades_and_pass_mark(tmp_path: Path, x: float, grade: str, passed: bool) -> None:
    scores = pilot_campaign(tmp_path, [node("A", [leaf("A1", "pilot.x", 100)])], {"x": [x]})
    assert (scores.table.loc[0, "grade"], bool(scores.table.loc[0, "passed"])) == (grade, passed)


def test_score_campaign_scores_the_pilots_and_the_standards_as_score_does() -> None:
    demo = load_campaign(ROOT / "params" / "demo.yaml")
    pilots, standards = score_campaign(demo)
    pd.testing.assert_frame_equal(pilots.table, score(demo).table)
    alone = score(demo, "standard")
    pd.testing.assert_frame_equal(standards.table, alone.table)
    assert standards.cards() == alone.cards()
    tiny = load_campaign(TINY / "campaign.yaml")
    pilots, standards = score_campaign(tiny)
    assert standards is None and pilots.cards() == score(tiny).cards()
