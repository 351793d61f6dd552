"""What the report pages say, from their context builders (evalkit.report.context, audit)."""

from __future__ import annotations

import ast
import importlib

import numpy as np
import pandas as pd

from evalkit.catalogue import parse_metric
from evalkit.metrics import inspection
from evalkit.report.audit import evidence_text
from evalkit.report.context.facts import scorecard_rows
from evalkit.report.context.pilot import _aggregate_words
from evalkit.report.formatting import percent


def test_a_scorecard_rows_percentage_is_its_points_over_its_max():
    # the card stores attainment 0.7565 (7.5647/10 rounded to four decimals); a percentage
    # made from that reads 75.7 %, beside points 7.5647 of 10 and the 75.6 % of the
    # dimensions table: the row must show 75.6 %
    node = {"id": "E", "label": "评价与持续改进", "max": 10.0, "points": 7.5647, "attainment": 0.7565,
            "children": [{"id": "E1", "label": "内部检查", "max": 0.0, "points": 0.0, "attainment": None}]}
    rows = list(scorecard_rows([node], set()))
    assert [percent(row["attainment"]) for row in rows] == ["75.6%", "—"]


def test_the_expert_sections_words_say_how_this_pilots_scores_were_aggregated():
    # trimmed_mean drops the extremes only where five or more experts scored (docs/writing-a-scheme.md)
    assert _aggregate_words("trimmed_mean", {"A1": [], "E1": []}) == "平均"
    assert _aggregate_words("trimmed_mean", {"A1": ["E2", "E6"], "E1": ["E1", "E3"]}) == "去掉一个最高分和一个最低分后平均"
    assert _aggregate_words("trimmed_mean", {"A1": ["E2", "E6"], "E1": []}) == (
        "去掉一个最高分和一个最低分后平均（不足 5 位专家评分的指标直接平均）")
    assert _aggregate_words("median", {"A1": []}) == "中位数"


def test_evidence_without_values_reads_as_dashes_not_none():
    # a pilot without KPI rows: its KPI leaf's evidence holds no values
    assert evidence_text({"baseline": None, "final": None, "better": None}) == "基期值 —，末期值 —，方向 —"


def test_page_context_modules_share_the_facts_module_and_never_import_each_other():
    # one context module per page kind over one shared facts module: no page imports another
    # page's context (the cycle report.context <-> report.standard came from exactly that)
    pages = ("pilot", "district", "standard", "index")
    for page in pages:
        module = importlib.import_module(f"evalkit.report.context.{page}")
        tree = ast.parse(open(module.__file__, encoding="utf-8").read())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert "evalkit.report.context.facts" in imported, page
        assert not {f"evalkit.report.context.{other}" for other in pages} & imported, page


def test_the_conformity_rate_of_every_grouping_is_the_metrics_own():
    # the formula is written once, in evalkit.metrics.inspection; pages group items by
    # standard or district and must get the rate the metric gives for the same items

    items = pd.DataFrame({"result": ["conform", "partial", "nonconform", "na", "partial"],
                          "critical": [False, False, True, False, False]})
    rows = np.array([0, 0, 0, 0, 1])
    tally = inspection.counts(items, rows, 2)
    rate = inspection.conformity_rate(tally)
    assert rate[0] == (1 + 0.5 * 1) / 3 and rate[1] == 0.5
    values, _ = inspection.measure(items.assign(pilot_id=["P1"] * 4 + ["P2"]), rows, pd.Index(["P1", "P2"]),
                                   [parse_metric("inspection.conformity_rate")])
    assert values["inspection.conformity_rate"].tolist() == rate.tolist()
