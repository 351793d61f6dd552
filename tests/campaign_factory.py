"""Tiny campaigns built on disk from Python rows and dicts, for tests.

Tables are lists of row dicts (or DataFrames), the scheme and questionnaire plain dicts;
:func:`write_campaign` writes them as CSV and YAML into a directory and returns the
campaign file, :func:`build_campaign` also loads it. :func:`leaf`, :func:`node` and
:func:`scheme` keep scheme dicts short::

    campaign = build_campaign(tmp_path, pilots=["P1", "P2"],
                              scheme=scheme([node("A", [leaf("A1", "inspection.conformity_rate", 100)])]),
                              inspections=[inspection("P1", "I1", "conform"), inspection("P2", "I1", "partial")])

Tables that a campaign requires but the test does not care about get neutral defaults:
``surveys`` — one staff and one client respondent per pilot answering every item of
their group with the scale's midpoint; ``inspections`` — one conforming item per pilot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from evalkit.campaign import Campaign
from evalkit.load import load_campaign

Rows = Sequence[Mapping[str, Any]] | pd.DataFrame

QUESTIONNAIRE: dict[str, Any] = {
    "id": "test-survey",
    "scale": {"min": 1, "max": 5},
    "constructs": {"awareness": {"label": "标准知晓"}, "satisfaction": {"label": "服务满意度"}},
    "items": {
        "Q1": {"construct": "awareness", "group": "staff", "label": "我了解岗位标准"},
        "Q2": {"construct": "awareness", "group": "staff", "label": "我不清楚岗位标准的要求", "reverse": True},
        "C1": {"construct": "satisfaction", "group": "client", "label": "您对服务是否满意"},
    },
}

GRADES = [{"label": "优秀", "min": 90}, {"label": "合格", "min": 80}, {"label": "不合格", "min": 0}]


def leaf(node_id: str, metric: str, points: float | None = None, rule: str = "linear", *,
         label: str | None = None, **params: Any) -> dict[str, Any]:
    """A leaf dict; ``params`` are the rule's parameters (``target``, ``bands``, ``per_unit``, ``better``, ``weight``)."""
    out: dict[str, Any] = {"id": node_id, "label": label or f"指标{node_id}", "metric": metric, "rule": rule}
    if points is not None:
        out["points"] = points
    out.update(params)
    return out


def node(node_id: str, children: list[dict[str, Any]], *, label: str | None = None, **fields: Any) -> dict[str, Any]:
    """An inner node dict; ``fields`` may hold ``weight``, ``ahp``, ``weights``, ``bonus``, ``points``."""
    return {"id": node_id, "label": label or f"维度{node_id}", **fields, "children": children}


def scheme(indicators: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A scheme dict; ``total`` defaults to the points of the non-bonus indicators (or 100),
    and the grades' minimums to :data:`GRADES` as shares of the total."""
    out: dict[str, Any] = {
        "id": "test-scheme", "version": "1.0", "title": "测试计分表",
        "total": _declared(indicators) or 100, "pass_mark": 80, "bonus_cap": 0,
        "missing": "zero", "expert_aggregate": "mean", "vetoes": [],
    }
    out.update(fields)
    out.setdefault("grades", [{**grade, "min": grade["min"] * out["total"] / 100} for grade in GRADES])
    out["indicators"] = indicators
    return out


def _declared(nodes: Iterable[Mapping[str, Any]]) -> float:
    total = 0.0
    for item in nodes:
        if item.get("bonus"):
            continue
        if "points" in item:
            total += item["points"]
        elif "children" in item:
            total += _declared(item["children"])
    return total


def inspection(pilot_id: str, item_id: str, result: str, critical: bool = False) -> dict[str, Any]:
    return {"pilot_id": pilot_id, "item_id": item_id, "result": result, "critical": "yes" if critical else "no"}


def standard(pilot_id: str, code: str, *, level: str = "national", status: str = "current",
             origin: str = "adopted", implemented: bool = True) -> dict[str, Any]:
    return {"pilot_id": pilot_id, "std_code": code, "title": f"标准{code}", "level": level, "status": status,
            "origin": origin, "implemented": "yes" if implemented else "no"}


def respondent(pilot_id: str, respondent_id: str, group: str = "staff", **answers: float | None) -> dict[str, Any]:
    return {"pilot_id": pilot_id, "respondent_id": respondent_id, "group": group,
            **{item: answers.get(item) for item in QUESTIONNAIRE["items"]}}


def kpi(pilot_id: str, indicator: str, baseline: float | None, final: float | None,
        better: str = "higher") -> list[dict[str, Any]]:
    """The two rows (baseline, final) of one indicator; a None value leaves its row out."""
    return [{"pilot_id": pilot_id, "indicator": indicator, "period": period, "value": value, "better": better}
            for period, value in (("baseline", baseline), ("final", final)) if value is not None]


def expert_scores(pilot_id: str, indicator_id: str, scores: Sequence[float]) -> list[dict[str, Any]]:
    """One row per expert ``E1``, ``E2``, … scoring ``indicator_id``."""
    return [{"pilot_id": pilot_id, "expert_id": f"E{i}", "indicator_id": indicator_id, "score": s}
            for i, s in enumerate(scores, start=1)]


def pilot_rows(ids: Sequence[str], **columns: Sequence[Any]) -> list[dict[str, Any]]:
    """Registry rows for ``ids``; ``columns`` adds extra columns (``pilot.<column>`` metrics)."""
    districts = ("黄浦区", "徐汇区", "长宁区")
    rows = []
    for i, pilot_id in enumerate(ids):
        row = {"pilot_id": pilot_id, "name": f"试点{pilot_id}", "unit": f"单位{pilot_id}",
               "district": districts[i % len(districts)], "domain": "公共服务",
               "start_date": "2021-06-01", "end_date": "2023-05-31"}
        row.update({name: values[i] for name, values in columns.items()})
        rows.append(row)
    return rows


def write_campaign(directory: Path, *, pilots: Sequence[str] | Rows, scheme: Mapping[str, Any],
                   questionnaire: Mapping[str, Any] | None = None, surveys: Rows | None = None,
                   inspections: Rows | None = None, standards: Rows | None = None, kpis: Rows | None = None,
                   experts: Rows | None = None, campaign_id: str = "test") -> Path:
    """Write a campaign into ``directory`` and return its campaign file.

    ``pilots`` is a list of ids (registry rows are made up) or registry rows. Optional
    tables left as None are not part of the campaign.
    """
    directory.mkdir(parents=True, exist_ok=True)
    questionnaire = questionnaire or QUESTIONNAIRE
    listed_ids = not isinstance(pilots, pd.DataFrame) and isinstance(pilots[0], str)
    registry = pilot_rows(pilots) if listed_ids else pilots  # type: ignore[arg-type]
    ids = [row["pilot_id"] for row in _records(registry)]
    scale = questionnaire["scale"]
    middle = (scale["min"] + scale["max"]) // 2
    tables: dict[str, Rows | None] = {
        "pilots": registry,
        "surveys": surveys if surveys is not None else [
            {"pilot_id": p, "respondent_id": respondent, "group": group,
             **{q: middle for q, item in questionnaire["items"].items() if item["group"] == group}}
            for p in ids for respondent, group in (("R1", "staff"), ("R2", "client"))],
        "inspections": inspections if inspections is not None else [inspection(p, "I1", "conform") for p in ids],
        "standards": standards, "kpis": kpis, "experts": experts,
    }
    data = {}
    for name, rows in tables.items():
        if rows is None:
            continue
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        frame.to_csv(directory / f"{name}.csv", index=False, lineterminator="\n")
        data[name] = f"{name}.csv"
    _dump(directory / "scheme.yaml", scheme)
    _dump(directory / "questionnaire.yaml", questionnaire)
    _dump(directory / "campaign.yaml", {"id": campaign_id, "title": "测试评估", "scheme": "scheme.yaml",
                                        "questionnaire": "questionnaire.yaml", "data": data, "reports": "reports"})
    return directory / "campaign.yaml"


def build_campaign(directory: Path, **kwargs: Any) -> Campaign:
    """:func:`write_campaign`, then :func:`evalkit.load_campaign`."""
    return load_campaign(write_campaign(directory, **kwargs))


def _records(rows: Rows) -> list[Mapping[str, Any]]:
    return rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)


def _dump(path: Path, content: Mapping[str, Any]) -> None:
    path.write_text(yaml.safe_dump(dict(content), allow_unicode=True, sort_keys=False), encoding="utf-8")
