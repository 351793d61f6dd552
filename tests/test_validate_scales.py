"""Validation against the scheme's leaf scales, and duplicate keys with a missing value."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import DataError
from tests.campaign_factory import (
    build_campaign,
    expert_scores,
    kpi,
    leaf,
    node,
    scheme,
)


def _weighted_scheme() -> dict:
    """Top level by weight: A (half of 100) holds two points-style expert leaves of 6 and 4
    points, so A1 is worth 30 in the campaign but experts score it on its scale of 6."""
    return scheme([
        node("A", [leaf("A1", "expert.A1", 6, "expert"), leaf("A2", "expert.A2", 4, "expert")], weight=1),
        node("B", [leaf("B1", "inspection.conformity_rate", 10)], weight=1),
    ], total=100)


def _problems(tmp_path: Path, **kwargs) -> list[str]:
    with pytest.raises(DataError) as caught:
        build_campaign(tmp_path, **kwargs)
    return [f"{p.column}: {p.message}" for p in caught.value.problems]


def test_expert_score_is_checked_against_the_leaf_scale_not_its_weighted_maximum(tmp_path: Path) -> None:
    plan = _weighted_scheme()
    assert build_campaign(tmp_path / "ok", pilots=["P1"], scheme=plan,
                          experts=expert_scores("P1", "A1", [6, 5]) + expert_scores("P1", "A2", [4])
                          ).scheme.leaf_scales()["A1"] == 6
    problems = _problems(tmp_path / "bad", pilots=["P1"], scheme=plan,
                         experts=expert_scores("P1", "A1", [6, 7]) + expert_scores("P1", "A2", [4, 4.5]))
    assert problems == ["score: 7 is outside 0–6, the points of indicator A1",
                        "score: 4.5 is outside 0–4, the points of indicator A2"]


def test_expert_leaf_without_points_is_checked_against_its_share(tmp_path: Path) -> None:
    plan = scheme([node("A", [leaf("A1", "expert.A1", rule="expert"), leaf("A2", "inspection.conformity_rate")],
                        points=10, ahp=[[1, 1], [1, 1]])], total=10, pass_mark=8)
    build_campaign(tmp_path / "ok", pilots=["P1"], scheme=plan, experts=expert_scores("P1", "A1", [5]))
    assert _problems(tmp_path / "bad", pilots=["P1"], scheme=plan, experts=expert_scores("P1", "A1", [5.5])) == [
        "score: 5.5 is outside 0–5, the points of indicator A1"]


def test_duplicate_key_with_a_missing_value_is_reported_once_as_missing(tmp_path: Path) -> None:
    plan = scheme([node("K", [leaf("K1", "kpi.improved_share", 10)])], total=10, pass_mark=8)
    rows = kpi("P1", "投诉率", 2, 1, "lower")
    rows += [{**rows[0], "period": "上期"}, {**rows[0], "period": "下期"}]  # both unreadable: the key lacks a period
    problems = _problems(tmp_path, pilots=["P1"], scheme=plan, kpis=rows)
    assert [p for p in problems if "duplicate" in p] == []
    assert sum("unknown value '上期'" in p for p in problems) == 1
    assert sum("unknown value '下期'" in p for p in problems) == 1


def test_duplicate_key_names_the_first_row(tmp_path: Path) -> None:
    plan = scheme([node("K", [leaf("K1", "kpi.improved_share", 10)])], total=10, pass_mark=8)
    rows = kpi("P1", "投诉率", 2, 1, "lower") + kpi("P2", "投诉率", 2, 1, "lower") + kpi("P1", "投诉率", 3, None, "lower")
    assert _problems(tmp_path, pilots=["P1", "P2"], scheme=plan, kpis=rows) == [
        "period: duplicate row for pilot_id=P1, indicator=投诉率, period=baseline (first on row 2)"]


def test_validation_names_the_same_windows_device_names_as_the_report_layout() -> None:
    """Both read evalkit.filenames (validate may not import evalkit.report); they must agree."""
    from evalkit import validate
    from evalkit.report import layout

    assert validate.WINDOWS_RESERVED == layout.WINDOWS_RESERVED


def test_validate_does_not_import_the_report_package() -> None:
    import subprocess
    import sys

    code = "import evalkit.validate, sys; print('evalkit.report' in sys.modules, 'matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split() == ["False", "False"]
