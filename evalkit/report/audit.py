"""The 评分依据 (audit trail) table of a report: how every leaf of a scorecard earned its points.

For each leaf of a card (:meth:`evalkit.Scores.card`) :func:`audit_rows` gives, in
Chinese, the metric and where its data come from, the value exactly as
``scorecards.jsonl`` holds it, the rule with its parameters, the counts of evidence behind
the value, and the arithmetic that turns those counts into the value — so that an
assessor can recompute every point by hand from the input tables, line by line.
Everything is read from the card, so the table says nothing ``scorecards.jsonl`` does not.

Examples
--------
>>> leaf = {"id": "B1", "label": "现场检查符合率", "max": 40.0, "points": 30.0, "metric": "inspection.conformity_rate",
...         "value": 0.75, "rule": "linear", "params": {}, "missing": False,
...         "evidence": {"checked": 3, "na": 1, "applicable": 2, "conform": 1, "partial": 1, "nonconform": 0}}
>>> row = audit_rows({"indicators": [leaf]})[0]
>>> row["source"], row["calculation"]
('现场检查记录（inspections）', '(1 + 0.5 × 1) ÷ 2 = 0.75')
>>> row["evidence"]
'检查记录 3 条，不适用 1，适用 2，符合 1，基本符合 1，不符合 0'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from evalkit.tables.vocabulary import CATEGORY_LABELS

#: Where each metric source's data come from.
SOURCES = {
    "standards": "标准明细表（standards）",
    "inspection": "现场检查记录（inspections）",
    "survey": "问卷（surveys）",
    "kpi": "绩效指标（kpis）",
    "expert": "专家评分（experts）",
    "pilot": "试点名册（pilots）",
    "standard": "标准明细表、现场检查记录和问卷",
}

#: Evidence keys in Chinese; ``{}`` marks where the number goes when it is not last.
EVIDENCE_LABELS = {
    "checked": "检查记录 {} 条",
    "na": "不适用",
    "applicable": "适用",
    "conform": "符合",
    "partial": "基本符合",
    "nonconform": "不符合",
    "critical_nonconform": "关键项不符合",
    "rows": "记录 {} 行",
    "current": "现行",
    "withdrawn": "废止",
    "upcoming": "即将实施",
    "implemented": "已实施",
    "adopted": "采用",
    "developed": "制定",
    "revised": "修订",
    "respondents": "作答 {} 人",
    "answers": "有效回答 {} 个",
    "answer_sum": "回答分值合计",
    "mean_answer": "平均分",
    "scale_min": "量表最低分",
    "scale_max": "量表最高分",
    "scales": "各量表",
    "items": "题目",
    "reversed": "反向计分题",
    "baseline": "基期值",
    "final": "末期值",
    "better": "方向",
    "indicators": "有基期和末期的指标 {} 项",
    "improved": "其中改善",
    "experts": "专家 {} 位",
    "scores": "各专家评分",
    "dropped": "去掉的评分",
    "aggregate": "汇总方式",
    **CATEGORY_LABELS.get("level", {}),
}
DIRECTIONS = {"higher": "越高越好", "lower": "越低越好"}
AGGREGATES = {"mean": "平均", "median": "中位数", "trimmed_mean": "去掉一个最高分和一个最低分后平均"}


def audit_rows(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per leaf of ``card`` (depth first, scheme order).

    Returns
    -------
    list of dict
        ``id``, ``label``, ``metric``, ``source``, ``value`` (text), ``rule`` (text),
        ``evidence`` (text), ``calculation`` (text, '' when there is nothing to compute),
        ``points``, ``max``, ``missing``.
    """
    rows = []
    for leaf in card_leaves(card.get("indicators", [])):
        metric = str(leaf.get("metric") or "")
        evidence = leaf.get("evidence") or {}
        value = leaf.get("value")
        rows.append({
            "id": leaf["id"],
            "label": leaf["label"],
            "metric": metric,
            "source": SOURCES.get(metric.split(".")[0], ""),
            "value": "数据缺失" if value is None else _number(value),
            "rule": rule_text(str(leaf.get("rule") or "linear"), leaf.get("params") or {}),
            "evidence": evidence_text(evidence) if evidence else "度量值即原始数据",
            "calculation": "" if value is None else calculation(metric, evidence, value),
            "points": leaf.get("points"),
            "max": leaf.get("max"),
            "missing": bool(leaf.get("missing")),
        })
    return rows


def rule_text(rule: str, params: Mapping[str, Any]) -> str:
    """The rule and its parameters as a formula in Chinese (v = the metric value, P = full points).

    A leaf weighted rather than given points (``scale`` among its parameters) scores on its
    scale S first; the points are then S-points × P ÷ S.
    """
    if "scale" in params:
        scale = _number(params["scale"])
        on_scale = _rule_formula(rule, params).replace("P", "S")
        return f"{on_scale}；S = {scale} 为本项计分尺度，得分 = 尺度得分 × P ÷ S"
    return _rule_formula(rule, params)


def _rule_formula(rule: str, params: Mapping[str, Any]) -> str:
    if rule == "target":
        target = _number(params.get("target"))
        if params.get("better") == "lower":
            return f"目标值 T = {target}（越低越好）：得分 = P × min(T ÷ v, 1)，v ≤ 0 得满分"
        return f"目标值 T = {target}：得分 = P × min(max(v ÷ T, 0), 1)"
    if rule == "bands":
        bands = "；".join(f"v ≥ {_number(low)} 得 {_number(points)} 分" for low, points in params.get("bands", []))
        return f"分档（取第一个达到的档）：{bands}；低于各档得 0 分"
    if rule == "per_unit":
        return f"按数量：每 1 计 {_number(params.get('per_unit'))} 分，不超过满分 P"
    if rule == "boolean":
        return "是（v ≠ 0）得满分 P，否则 0 分"
    if rule == "expert":
        return "专家评分汇总值即得分，限于 0 至满分 P"
    return "按比例：得分 = P × min(max(v, 0), 1)"


def evidence_text(evidence: Mapping[str, Any]) -> str:
    """The evidence counts in Chinese: '检查记录 3 条，不适用 1，适用 2，…'."""
    parts = []
    for key, value in evidence.items():
        label = EVIDENCE_LABELS.get(key, key)
        if value is None:
            shown = "—"
        elif key == "better":
            shown = DIRECTIONS.get(str(value), str(value))
        elif key == "scales":  # a construct of items on several scales (survey evidence)
            shown = "；".join(f"{s['min']}–{s['max']} 分题（{'、'.join(s['items'])}）有效回答 {s['answers']} 个、"
                             f"分值合计 {_number(s['answer_sum'])}" for s in value)
        elif key == "aggregate":
            shown = AGGREGATES.get(str(value), str(value))
        elif isinstance(value, Mapping):
            shown = "、".join(f"{k} {_number(v)}" for k, v in value.items()) or "无"
        elif isinstance(value, list | tuple):
            shown = "、".join(str(v) for v in value) or "无"
        else:
            shown = _number(value)
        parts.append(label.format(shown) if "{}" in label else f"{label} {shown}")
    return "，".join(parts)


def calculation(metric: str, evidence: Mapping[str, Any], value: Any) -> str:
    """The arithmetic from the evidence to the value, with the numbers filled in ('' when none applies)."""
    e = {key: _number(item) if isinstance(item, int | float) and not isinstance(item, bool) else item
         for key, item in evidence.items()}
    result = f" = {_number(value)}"
    source, _, key = metric.partition(".")
    try:
        if metric == "inspection.conformity_rate":
            return f"({e['conform']} + 0.5 × {e['partial']}) ÷ {e['applicable']}{result}"
        if source == "standards" and key.endswith("_rate"):
            numerator = {"current_rate": "current", "implemented_rate": "implemented"}[key]
            return f"{e[numerator]} ÷ {e['rows']}{result}"
        if metric == "standards.developed_count":
            return f"{e['developed']} + {e['revised']}{result}"
        if source == "survey" and not metric.endswith(".n") and "scales" in evidence:  # items of several scales
            terms = [f"({_number(s['answer_sum'])} − {s['answers']} × {s['min']}) ÷ ({s['max']} − {s['min']})"
                     for s in evidence["scales"]]
            return f"({' + '.join(terms)}) ÷ {e['answers']}{result}"
        if source == "survey" and not metric.endswith(".n"):
            low, high = e["scale_min"], e["scale_max"]
            return f"({e['answer_sum']} ÷ {e['answers']} − {low}) ÷ ({high} − {low}){result}"
        if source == "kpi" and metric.endswith(".change"):
            sign = "−" if evidence.get("better") == "lower" else ""
            return f"{sign}({e['final']} − {e['baseline']}) ÷ |{e['baseline']}|{result}"
        if metric == "kpi.improved_share":
            return f"{e['improved']} ÷ {e['indicators']}{result}"
        if source == "expert":
            dropped = set(evidence.get("dropped") or [])
            kept = [_number(score) for expert, score in (evidence.get("scores") or {}).items() if expert not in dropped]
            if not kept:
                return ""
            if evidence.get("aggregate") == "median":
                return f"{'、'.join(kept)} 的中位数{result}"
            return f"({' + '.join(kept)}) ÷ {len(kept)}{result}"
    except KeyError:
        return ""
    return ""


def card_leaves(nodes: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """The leaves of a scorecard's indicator tree (``card["indicators"]``), in scheme order."""
    for node in nodes:
        if "children" in node:
            yield from card_leaves(node["children"])
        else:
            yield node


def _number(value: Any) -> str:
    """A number as short as it is exact: 3 -> '3', 0.875 -> '0.875' (at most 6 decimals)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)
