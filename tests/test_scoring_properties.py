"""Properties of scoring on random campaigns (hypothesis).

* the total lies in [0, total + bonus cap], every node in [0, its maximum];
* raising one metric never lowers any score (schemes without data-driven weights);
* shuffling the input rows never changes the output bytes (and every line of
  scorecards.jsonl is exactly ``orjson.dumps`` of the card);
* a vetoed pilot never passes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.campaign import Campaign
from evalkit.outputs import scorecards_jsonl, scores_csv
from evalkit.scoring import INFO_COLUMNS, _plain, _plain_column, score
from tests.campaign_factory import build_campaign, leaf, node, pilot_rows, scheme

COLUMNS = ("a", "b", "c", "d", "e")
RESULTS = ("conform", "partial", "nonconform", "na")
VETOES = [
    {"id": "V1", "label": "严重不符合", "metric": "inspection.critical_nonconformities", "op": ">", "value": 0},
    {"id": "V2", "label": "指标过低", "metric": "pilot.a", "op": "<", "value": 0.1},
]


def _scheme(objective: bool) -> dict[str, Any]:
    """Every rule and weighting style; ``objective`` swaps AHP and weights for entropy and CRITIC."""
    b_children = [leaf("B1", "pilot.d", rule="boolean"), leaf("B2", "pilot.c", rule="expert")]
    c_children = [leaf("C1", "inspection.conformity_rate"), leaf("C2", "pilot.b")]
    if not objective:
        c_children = [dict(c_children[0], weight=2), dict(c_children[1], weight=1)]
    return scheme([
        node("A", [leaf("A1", "pilot.a", 10), leaf("A2", "pilot.b", 10, "target", target=0.8),
                   leaf("A3", "pilot.a", 10, "bands", bands=[[0.9, 10], [0.5, 5], [0.0, 1]]),
                   leaf("A4", "pilot.c", 10, "per_unit", per_unit=2)]),
        node("B", b_children, points=40, **({"weights": "entropy"} if objective else {"ahp": [[1, 2], ["1/2", 1]]})),
        node("C", c_children, points=20, **({"weights": "critic"} if objective else {})),
        node("X", [leaf("X1", "pilot.e", 5, "boolean"), leaf("X2", "pilot.c", 5, "per_unit", per_unit=1)], bonus=True),
    ], bonus_cap=5, vetoes=VETOES)


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Campaign]:
    """Loaded campaigns (one per scheme flavour) whose tables the tests replace."""
    out = {}
    for objective in (False, True):
        directory: Path = tmp_path_factory.mktemp(f"properties-{objective}")
        pilots = pilot_rows(["P1"], **{c: [1] for c in COLUMNS})
        out[objective] = build_campaign(directory, pilots=pilots, scheme=_scheme(objective))
    return out


maybe = st.one_of(st.none(), st.floats(-0.5, 1.5, allow_nan=False))


@st.composite
def pilot_data(draw: st.DrawFn) -> dict[str, Any]:
    """Registry columns and inspection results of 1–7 pilots."""
    n = draw(st.integers(1, 7))
    columns = {
        "a": draw(st.lists(maybe, min_size=n, max_size=n)),
        "b": draw(st.lists(maybe, min_size=n, max_size=n)),
        "c": draw(st.lists(st.one_of(st.none(), st.floats(0, 20)), min_size=n, max_size=n)),
        "d": draw(st.lists(st.sampled_from([0.0, 1.0, None]), min_size=n, max_size=n)),
        "e": draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n)),
    }
    items = draw(st.lists(st.lists(st.tuples(st.sampled_from(RESULTS), st.booleans()), max_size=4),
                          min_size=n, max_size=n))
    return {"columns": columns, "items": items}


def campaign_of(base: Campaign, data: dict[str, Any]) -> Campaign:
    n = len(data["columns"]["a"])
    ids = [f"P{i:02d}" for i in range(n)]
    pilots = pd.DataFrame(pilot_rows(ids)).assign(
        **{c: pd.Series(v, dtype=float) for c, v in data["columns"].items()})
    inspections = pd.DataFrame(
        [{"pilot_id": p, "item_id": f"I{k}", "std_code": None, "inspector": None, "result": result,
          "critical": critical} for p, items in zip(ids, data["items"]) for k, (result, critical) in enumerate(items)],
        columns=["pilot_id", "item_id", "std_code", "inspector", "result", "critical"])
    return replace(base, tables={**base.tables, "pilots": pilots, "inspections": inspections})


@settings(max_examples=40, deadline=None)
@given(pilot_data(), st.booleans())
def test_scores_stay_within_their_bounds(bases: dict[bool, Campaign], data: dict[str, Any], objective: bool) -> None:
    scores = score(campaign_of(bases[objective], data))
    table = scores.table
    assert ((table["total"] >= 0) & (table["total"] <= 100 + 5)).all()
    for node_id, maximum in scores.maxima.items():
        assert ((table[node_id] >= 0) & (table[node_id] <= round(maximum, 4) + 1e-9)).all(), node_id


@settings(max_examples=40, deadline=None)
@given(pilot_data(), st.booleans())
def test_a_vetoed_pilot_never_passes(bases: dict[bool, Campaign], data: dict[str, Any], objective: bool) -> None:
    table = score(campaign_of(bases[objective], data)).table
    vetoed = table[table["vetoed"]]
    assert not vetoed["passed"].any()
    assert (vetoed["grade"] == "不合格").all()


@settings(max_examples=30, deadline=None)
@given(pilot_data(), st.booleans(), st.randoms(use_true_random=False))
def test_row_order_never_changes_the_bytes(bases: dict[bool, Campaign], data: dict[str, Any], objective: bool,
                                           rng) -> None:
    campaign = campaign_of(bases[objective], data)
    shuffled = {}
    for name, frame in campaign.tables.items():
        order = list(range(len(frame)))
        rng.shuffle(order)
        shuffled[name] = frame.iloc[order]
    first, second = score(campaign), score(replace(campaign, tables=shuffled))
    assert scores_csv(first) == scores_csv(second)
    assert scorecards_jsonl(first) == scorecards_jsonl(second) == b"".join(orjson.dumps(card) + b"\n"
                                                                          for card in first.cards())


@settings(max_examples=40, deadline=None)
@given(pilot_data(), st.data())
def test_raising_a_metric_never_lowers_a_score(bases: dict[bool, Campaign], data: dict[str, Any],
                                               draw: st.DataObject) -> None:
    before = score(campaign_of(bases[False], data)).table
    n = len(before)
    pilot = draw.draw(st.integers(0, n - 1))
    raised = {"columns": {c: list(v) for c, v in data["columns"].items()}, "items": [list(i) for i in data["items"]]}
    if draw.draw(st.booleans()):
        name = draw.draw(st.sampled_from(COLUMNS))
        old = raised["columns"][name][pilot]
        raised["columns"][name][pilot] = (old if old is not None else 0.0) + draw.draw(st.floats(0, 2))
    elif raised["items"][pilot]:
        k = draw.draw(st.integers(0, len(raised["items"][pilot]) - 1))
        result, critical = raised["items"][pilot][k]
        better = {"nonconform": "partial", "partial": "conform", "conform": "conform", "na": "na"}[result]
        raised["items"][pilot][k] = (better, critical)
    after = score(campaign_of(bases[False], raised)).table
    scored = list(before.columns[len(INFO_COLUMNS):]) + ["total"]
    assert np.all(after[scored].to_numpy() >= before[scored].to_numpy() - 1e-9)


#: Evidence cells as metrics give them: numbers (NaN, -0.0, unrounded), text, flags,
#: numpy scalars, and flat or nested lists and dicts of those.
evidence_scalars = (st.none() | st.booleans() | st.integers(-2, 2) | st.text(alphabet="aE试", max_size=2)
                    | st.sampled_from([float("nan"), -0.0, 0.0, 1.0, 0.1234567, 2.0000004, np.float64(0.5),
                                       np.int64(3)]))
evidence_keys = st.text(alphabet="E0", max_size=2) | st.integers(0, 1)  # keys become text
evidence_cells = st.recursive(evidence_scalars, lambda inner: st.lists(inner, max_size=3)
                              | st.dictionaries(evidence_keys, inner, max_size=3), max_leaves=5)


@settings(max_examples=300, deadline=None)
@given(st.lists(evidence_cells, min_size=1, max_size=5)
       | st.lists(st.lists(evidence_scalars, max_size=3), min_size=1, max_size=5)
       | st.lists(st.dictionaries(evidence_keys, evidence_scalars, max_size=3),
                  min_size=1, max_size=5))
def test_an_evidence_column_is_made_json_ready_as_each_of_its_cells(cells: list[Any]) -> None:
    """Converting a column at once (lists and dicts flattened) equals converting cell by cell:
    same values, same types (True is not 1, 1 is not 1.0), floats rounded, NaN as None."""
    column = pd.Series(cells + [None], dtype=object).iloc[:-1]  # object dtype whatever the cells
    assert repr(_plain_column(column)) == repr([_plain(cell) for cell in cells])
