"""What the report pages say, from their context builders (evalkit.report.context, audit)."""

from __future__ import annotations

from evalkit.report.audit import evidence_text
from evalkit.report.context import _aggregate_words, _flatten
from evalkit.report.formatting import percent


def test_a_scorecard_rows_percentage_is_its_points_over_its_max():
    # the card stores attainment 0.7565 (7.5647/10 rounded to four decimals); a percentage
    # made from that reads 75.7 %, beside points 7.5647 of 10 and the 75.6 % of the
    # dimensions table: the row must show 75.6 %
    node = {"id": "E", "label": "评价与持续改进", "max": 10.0, "points": 7.5647, "attainment": 0.7565,
            "children": [{"id": "E1", "label": "内部检查", "max": 0.0, "points": 0.0, "attainment": None}]}
    rows = list(_flatten([node], set()))
    assert [percent(row["attainment"]) for row in rows] == ["75.6%", "—"]


def test_the_expert_sections_words_say_how_this_pilots_scores_were_aggregated():
    # trimmed_mean drops the extremes only where five or more experts scored (SPEC §5)
    assert _aggregate_words("trimmed_mean", {"A1": [], "E1": []}) == "平均"
    assert _aggregate_words("trimmed_mean", {"A1": ["E2", "E6"], "E1": ["E1", "E3"]}) == "去掉一个最高分和一个最低分后平均"
    assert _aggregate_words("trimmed_mean", {"A1": ["E2", "E6"], "E1": []}) == (
        "去掉一个最高分和一个最低分后平均（不足 5 位专家评分的指标直接平均）")
    assert _aggregate_words("median", {"A1": []}) == "中位数"


def test_evidence_without_values_reads_as_dashes_not_none():
    # a pilot without KPI rows: its KPI leaf's evidence holds no values
    assert evidence_text({"baseline": None, "final": None, "better": None}) == "基期值 —，末期值 —，方向 —"
