"""Every metric of the catalogue on a hand-computed campaign, with its evidence and missing values."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from evalkit.campaign import Campaign
from evalkit.metrics import compute_metrics, measure
from tests.campaign_factory import (
    build_campaign,
    expert_scores,
    inspection,
    kpi,
    leaf,
    node,
    pilot_rows,
    respondent,
    scheme,
    standard,
)

NAN = float("nan")


def campaign_with(directory: Path, expert_aggregate: str = "mean", **changes) -> Campaign:
    tables = dict(
        pilots=pilot_rows(["P1", "P2", "P3"], major_incident=["否", "是", None], staff=[12, 3, 0]),
        scheme=scheme([node("A", [leaf("A1", "expert.A1", 10, "expert"),
                                  leaf("A2", "inspection.conformity_rate", 90)])],
                      expert_aggregate=expert_aggregate),
        standards=[
            standard("P1", "GB/T 1-2020", level="national", status="current", origin="adopted"),
            standard("P1", "DB31/T 2-2021", level="local", status="current", origin="developed"),
            standard("P1", "Q/X 3-2022", level="enterprise", status="withdrawn", origin="revised", implemented=False),
            standard("P1", "T/Y 4-2023", level="group", status="upcoming", origin="adopted"),
            standard("P3", "GB/T 5-2020"),
        ],
        inspections=[
            inspection("P1", "I1", "conform"), inspection("P1", "I2", "conform"), inspection("P1", "I3", "partial"),
            inspection("P1", "I4", "nonconform", critical=True), inspection("P1", "I5", "na", critical=True),
            inspection("P2", "I1", "na"),
        ],
        surveys=[
            respondent("P1", "R1", Q1=5, Q2=1), respondent("P1", "R2", Q1=4),
            respondent("P1", "R3", "client", C1=3), respondent("P2", "R1"),
        ],
        kpis=[
            *kpi("P1", "投诉率", 0.05, 0.03, "lower"), *kpi("P1", "营业额", 100, 120), *kpi("P1", "满意度", 80, 80),
            *kpi("P2", "投诉率", 0, 0.01, "lower"), *kpi("P2", "营业额", 100, None),
        ],
        experts=[*expert_scores("P1", "A1", [9, 7, 8.5, 6, 10]), *expert_scores("P2", "A1", [6, 7])],
    )
    tables.update(changes)
    return build_campaign(directory, **tables)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Campaign:
    return campaign_with(tmp_path_factory.mktemp("metrics"))


def values(campaign: Campaign, name: str) -> list[float]:
    return compute_metrics(campaign, [name])[name].tolist()


def check(actual: list[float], expected: list[float]) -> None:
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert (math.isnan(a) and math.isnan(e)) or a == pytest.approx(e, abs=1e-12), (actual, expected)


def test_table_shape(campaign: Campaign) -> None:
    table = compute_metrics(campaign)
    assert table.index.tolist() == ["P1", "P2", "P3"] and table.index.name == "pilot_id"
    assert table.columns.tolist() == campaign.scheme.metrics
    assert all(dtype == "float64" for dtype in table.dtypes)


@pytest.mark.parametrize(("name", "expected"), [
    # P1: 4 rows (2 current, 3 implemented, adopted 2, developed 1 + revised 1); P2: no register -> missing
    ("standards.count", [4, NAN, 1]),
    ("standards.current_rate", [0.5, NAN, 1.0]),
    ("standards.implemented_rate", [0.75, NAN, 1.0]),
    ("standards.adopted_count", [2, NAN, 1]),
    ("standards.developed_count", [2, NAN, 0]),
    ("standards.level_count.national", [1, NAN, 1]),
    ("standards.level_count.group", [1, NAN, 0]),
    ("standards.level_count.international", [0, NAN, 0]),
])
def test_standards(campaign: Campaign, name: str, expected: list[float]) -> None:
    check(values(campaign, name), expected)


@pytest.mark.parametrize(("name", "expected"), [
    # P1: conform 2, partial 1, nonconform 1 (critical), na 1 (critical, but not a nonconformity)
    # -> applicable 4, (2 + 0.5)/4 = 0.625; P2: only na -> 0 applicable, rate missing; P3 not inspected
    ("inspection.items", [4, 0, NAN]),
    ("inspection.conformity_rate", [0.625, NAN, NAN]),
    ("inspection.critical_nonconformities", [1, 0, NAN]),
])
def test_inspection(campaign: Campaign, name: str, expected: list[float]) -> None:
    check(values(campaign, name), expected)


@pytest.mark.parametrize(("name", "expected"), [
    # P1 awareness: answers 5, reverse(1) = 5, 4 -> mean 14/3 -> (14/3 - 1)/4; 2 respondents.
    # P2: a respondent who answered nothing -> n = 0, mean missing. P3: no survey rows -> both missing.
    ("survey.awareness", [(14 / 3 - 1) / 4, NAN, NAN]),
    ("survey.awareness.n", [2, 0, NAN]),
    ("survey.satisfaction", [0.5, NAN, NAN]),
    ("survey.satisfaction.n", [1, 0, NAN]),
])
def test_survey(campaign: Campaign, name: str, expected: list[float]) -> None:
    check(values(campaign, name), expected)


@pytest.mark.parametrize(("name", "expected"), [
    # 投诉率 lower: P1 -(0.03 - 0.05)/0.05 = 0.4; P2 baseline 0 -> missing
    ("kpi.投诉率.change", [0.4, NAN, NAN]),
    # 营业额 higher: P1 (120 - 100)/100; P2 has no final value -> missing
    ("kpi.营业额.change", [0.2, NAN, NAN]),
    ("kpi.满意度.change", [0.0, NAN, NAN]),
    # P1: 投诉率 and 营业额 improved, 满意度 did not (equal) -> 2/3; P2: only 投诉率 complete, worse -> 0
    ("kpi.improved_share", [2 / 3, 0.0, NAN]),
])
def test_kpi(campaign: Campaign, name: str, expected: list[float]) -> None:
    check(values(campaign, name), expected)


def test_kpi_change_never_negative_zero(campaign: Campaign) -> None:
    assert math.copysign(1, values(campaign, "kpi.满意度.change")[0]) == 1


@pytest.mark.parametrize(("aggregate", "expected"), [
    # P1 scores 9, 7, 8.5, 6, 10; P2 scores 6, 7 (fewer than 5 experts: trimmed_mean = mean)
    ("mean", [40.5 / 5, 6.5, NAN]),
    ("median", [8.5, 6.5, NAN]),
    ("trimmed_mean", [(9 + 7 + 8.5) / 3, 6.5, NAN]),
])
def test_expert_aggregates(tmp_path: Path, aggregate: str, expected: list[float]) -> None:
    check(values(campaign_with(tmp_path, aggregate), "expert.A1"), expected)


def test_trimmed_mean_evidence_names_the_dropped_experts(tmp_path: Path) -> None:
    evidence = measure(campaign_with(tmp_path, "trimmed_mean"), ["expert.A1"]).evidence["expert.A1"]
    p1 = evidence.loc["P1"]
    assert p1["experts"] == 5
    assert p1["scores"] == {"E1": 9.0, "E2": 7.0, "E3": 8.5, "E4": 6.0, "E5": 10.0}
    assert p1["dropped"] == ["E4", "E5"]
    assert evidence.loc["P2", "dropped"] == [] and evidence.loc["P3", "scores"] == {}


def test_trimmed_mean_ties_drop_first_lowest_and_last_highest(tmp_path: Path) -> None:
    experts = expert_scores("P1", "A1", [8, 5, 5, 9, 9, 7])
    evidence = measure(campaign_with(tmp_path, "trimmed_mean", experts=experts), ["expert.A1"])
    assert evidence.evidence["expert.A1"].loc["P1", "dropped"] == ["E2", "E5"]
    assert evidence.values.loc["P1", "expert.A1"] == pytest.approx((8 + 5 + 9 + 7) / 4)


def test_pilot_columns(campaign: Campaign) -> None:
    check(values(campaign, "pilot.major_incident"), [0, 1, NAN])
    check(values(campaign, "pilot.staff"), [12, 3, 0])


def test_evidence_counts(campaign: Campaign) -> None:
    evidence = measure(campaign, ["inspection.conformity_rate", "standards.current_rate", "survey.awareness",
                                  "kpi.投诉率.change", "kpi.improved_share"]).evidence
    assert evidence["inspection.conformity_rate"].loc["P1"].to_dict() == {
        "checked": 5, "na": 1, "applicable": 4, "conform": 2, "partial": 1, "nonconform": 1}
    assert evidence["standards.current_rate"].loc["P2"].to_dict() == {
        "rows": 0, "current": 0, "withdrawn": 0, "upcoming": 0}
    survey = evidence["survey.awareness"].loc["P1"]
    assert (survey["respondents"], survey["answers"], survey["mean_answer"]) == (2, 3, pytest.approx(14 / 3))
    assert survey["answer_sum"] == 14 and survey["items"] == ["Q1", "Q2"] and survey["reversed"] == ["Q2"]
    assert evidence["kpi.投诉率.change"].loc["P1"].to_dict() == {"baseline": 0.05, "final": 0.03, "better": "lower"}
    assert evidence["kpi.improved_share"].loc["P1"].to_dict() == {"indicators": 3, "improved": 2}


def test_unknown_metric_is_an_error(campaign: Campaign) -> None:
    with pytest.raises(ValueError, match="unknown metric 'nonsense'"):
        compute_metrics(campaign, ["nonsense"])


def test_metric_of_a_missing_table_is_an_error(tmp_path: Path) -> None:
    campaign = build_campaign(tmp_path, pilots=["P1"],
                              scheme=scheme([node("A", [leaf("A1", "inspection.conformity_rate", 100)])]))
    with pytest.raises(ValueError, match="needs the standards table"):
        compute_metrics(campaign, ["standards.count"])


def test_row_order_does_not_change_any_bit(campaign: Campaign) -> None:
    rng = np.random.default_rng(7)
    shuffled = {name: frame.iloc[rng.permutation(len(frame))] for name, frame in campaign.tables.items()}
    names = ["standards.current_rate", "inspection.conformity_rate", "survey.awareness", "kpi.improved_share",
             "kpi.投诉率.change", "expert.A1", "pilot.staff"]
    original = compute_metrics(campaign, names)
    reordered = compute_metrics(replace(campaign, tables=shuffled), names)
    assert original.to_numpy().tobytes() == reordered.to_numpy().tobytes()
