"""Scoring rules (SPEC §5): a leaf's metric value -> points, and the sentence that explains them.

Each rule maps values to points on the leaf's *scale* — its points as written in the
scheme (for a weight-style leaf without points: its share of the total under
:meth:`evalkit.scheme.Scheme.allocate`). With ``P`` the scale and ``v`` the value:

===========  ==========================================================================
``linear``   :math:`P \\cdot clamp(v, 0, 1)`
``target``   higher: :math:`P \\cdot clamp(v/T, 0, 1)`; lower: :math:`P \\cdot clamp(T/v, 0, 1)`,
             and full points for :math:`v \\le 0` (at or below zero is as low as it gets)
``bands``    the points of the first band (in descending order of ``min``) whose ``min``
             the value reaches (within :data:`BAND_TOLERANCE`); 0 below every band
``per_unit`` :math:`min(max(v, 0) \\cdot p, P)`
``boolean``  :math:`P` when the value is true (non-zero), else 0
``expert``   the value already is points: :math:`clamp(v, 0, P)`
===========  ==========================================================================

Every result lies in [0, P]; a missing value (NaN) stays NaN — the scheme's ``missing``
policy decides what it scores (see :mod:`evalkit.scoring`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.scheme import Indicator, Rule

#: A value this close below a band's ``min`` still reaches it (floating-point noise, e.g.
#: a survey mean rescaled to 0.7999999999999999).
BAND_TOLERANCE = 1e-9

#: How :func:`explain` names an expert aggregate.
AGGREGATE_WORDS = {
    "mean": "平均",
    "median": "的中位数",
    "trimmed_mean": "去掉一个最高分和一个最低分后平均",
}


def _linear(v: np.ndarray, scale: float, rule: Rule) -> np.ndarray:
    return scale * np.clip(v, 0.0, 1.0)


def _target(v: np.ndarray, scale: float, rule: Rule) -> np.ndarray:
    target = float(rule.target)  # type: ignore[arg-type]
    if rule.better == "lower":
        ratio = np.divide(target, v, out=np.ones_like(v), where=v > 0)
    else:
        ratio = v / target
    return scale * np.clip(ratio, 0.0, 1.0)


def _bands(v: np.ndarray, scale: float, rule: Rule) -> np.ndarray:
    return np.select([v >= low - BAND_TOLERANCE for low, _ in rule.bands],
                     [points for _, points in rule.bands], default=0.0)


def _per_unit(v: np.ndarray, scale: float, rule: Rule) -> np.ndarray:
    return np.minimum(np.clip(v, 0.0, None) * float(rule.per_unit), scale)  # type: ignore[arg-type]


def _boolean(v: np.ndarray, scale: float, rule: Rule) -> np.ndarray:
    return np.where(v != 0, scale, 0.0)


def _expert(v: np.ndarray, scale: float, rule: Rule) -> np.ndarray:
    return np.clip(v, 0.0, scale)


RULE_FUNCTIONS: dict[str, Callable[[np.ndarray, float, Rule], np.ndarray]] = {
    "linear": _linear,
    "target": _target,
    "bands": _bands,
    "per_unit": _per_unit,
    "boolean": _boolean,
    "expert": _expert,
}


def rule_points(rule: Rule, values: pd.Series, scale: float) -> pd.Series:
    """Points of each value under ``rule`` on a leaf worth ``scale`` points.

    Parameters
    ----------
    rule : Rule
        The leaf's rule and its parameters.
    values : Series
        Metric values (one per pilot); NaN = missing.
    scale : float
        The leaf's points as written in the scheme.

    Returns
    -------
    Series
        Points in [0, ``scale``], same index as ``values``; NaN where the value is missing.

    Examples
    --------
    >>> from evalkit.scheme import Rule
    >>> bands = Rule("bands", bands=((1.0, 10.0), (0.9, 8.0), (0.0, 0.0)))
    >>> rule_points(bands, pd.Series([1.0, 0.925, 0.5, float("nan")]), 10).tolist()
    [10.0, 8.0, 0.0, nan]
    """
    v = values.to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        points = np.clip(RULE_FUNCTIONS[rule.name](v, float(scale), rule), 0.0, float(scale))
    return pd.Series(np.where(np.isnan(v), np.nan, points), index=values.index, name=values.name)


# ---------------------------------------------------------------------------------------
# explanations


def explain(leaf: Indicator, value: float | None, points: float, maximum: float,
            evidence: Mapping[str, Any] | None = None) -> str:
    """One Chinese sentence telling how a leaf earned its points.

    Parameters
    ----------
    leaf : Indicator
        The scheme leaf (label, metric, rule).
    value : float or None
        The metric value; None or NaN when it is missing.
    points, maximum : float
        Points earned and the leaf's maximum in this campaign.
    evidence : mapping, optional
        The leaf's evidence; expert leaves use ``experts``, ``aggregate`` and ``dropped``.

    Returns
    -------
    str

    Examples
    --------
    >>> from evalkit.scheme import Indicator, Rule
    >>> rule = Rule("bands", bands=((1.0, 10.0), (0.9, 8.0), (0.0, 0.0)))
    >>> leaf = Indicator("B1", "现场检查符合率", 10, None, False, "inspection.conformity_rate",
    ...                  rule, (), "", None, None)
    >>> explain(leaf, 0.925, 8, 10)
    '现场检查符合率 92.5%，落在 ≥90% 档，得 8/10 分'
    >>> explain(leaf, None, 0, 10)
    '现场检查符合率：数据缺失，按0分计'
    """
    panel = pd.DataFrame([dict(evidence)]) if evidence else None
    return explanations(leaf, np.array([np.nan if value is None else value], dtype=float),
                        np.array([points], dtype=float), maximum, panel)[0]


def explanations(leaf: Indicator, values: np.ndarray, points: np.ndarray, maximum: float,
                 evidence: pd.DataFrame | None = None) -> list[str]:
    """:func:`explain` for many pilots at once (arrays of values and points, one evidence row each).

    Each distinct sentence is composed once: pilots (and above all standards) share values,
    points and bands, so a column of 50,000 rows holds a few thousand sentences.
    """
    rule = leaf.rule or Rule("linear")
    metric = leaf.metric or ""
    label = leaf.label
    top = _number(maximum)
    point_texts, point_codes = _number_texts(points)
    earned = ([f"得 {p}/{top} 分" for p in point_texts], point_codes)
    shown = _value_texts(metric, values)
    constant = ([""], np.zeros(len(values), dtype=np.intp))
    if rule.name == "boolean":
        flags = (["否", "是"], (values != 0).astype(np.intp))
        parts, sentence = (constant, flags), lambda _, flag, e: f"{label}：{flag}，{e}"
    elif rule.name == "expert":
        codes, panels = pd.factorize(np.array(_panels(evidence, len(values)), dtype=object))
        scores, panel_part = _number_texts(values), (panels.tolist(), codes)
        parts, sentence = (scores, panel_part), lambda v, panel, e: f"{label}：{panel} {v} 分，{e}"
    elif rule.name == "target":
        goal = ("目标值不高于 " if rule.better == "lower" else "目标值 ") + format_value(metric, float(rule.target))
        parts, sentence = (shown, constant), lambda v, _, e: f"{label} {v}，{goal}，{e}"
    elif rule.name == "bands":
        texts = [f"落在 ≥{format_value(metric, low)} 档" for low, _ in rule.bands]
        texts.append(f"低于最低档 {format_value(metric, rule.bands[-1][0])}")
        with np.errstate(invalid="ignore"):
            reached = np.select([values >= low - BAND_TOLERANCE for low, _ in rule.bands],
                                range(len(rule.bands)), default=len(rule.bands))
        parts, sentence = (shown, (texts, reached)), lambda v, band, e: f"{label} {v}，{band}，{e}"
    elif rule.name == "per_unit":
        unit = f"每{(_unit(metric) or '单位').removeprefix('个')}计 {_number(rule.per_unit)} 分"
        parts, sentence = (shown, constant), lambda v, _, e: f"{label} {v}，{unit}，{e}"
    else:
        parts, sentence = (shown, constant), lambda v, _, e: f"{label} {v}，按比例计分，{e}"
    return _composed(sentence, (*parts, earned), np.isnan(values), f"{label}：数据缺失，按0分计")


#: Texts of a sentence part, and per row the position of its text.
_Part = tuple[list[str], np.ndarray]


def _composed(sentence: Callable[[str, str, str], str], parts: tuple[_Part, _Part, _Part],
              missing: np.ndarray, missing_text: str) -> list[str]:
    """``sentence(*texts)`` of every row from three coded parts (``missing_text`` where
    ``missing``), each distinct combination composed once."""
    key = np.zeros(len(missing), dtype=np.int64)
    for texts, codes in parts:
        key = key * len(texts) + codes
    distinct, position = np.unique(np.where(missing, -1, key), return_inverse=True)
    composed = []
    for combination in distinct.tolist():
        if combination < 0:
            composed.append(missing_text)
            continue
        chosen = []
        for texts, _ in reversed(parts):
            combination, code = divmod(combination, len(texts))
            chosen.append(texts[code])
        composed.append(sentence(*reversed(chosen)))
    return list(map(composed.__getitem__, position.ravel().tolist()))


def _panels(evidence: pd.DataFrame | None, size: int) -> list[str]:
    """'5 位专家评分去掉一个最高分和一个最低分后平均' — who scored and how it was aggregated."""
    if evidence is None or "experts" not in evidence:
        return ["专家评分"] * size
    out = []
    for experts, aggregate, dropped in zip(evidence["experts"].tolist(), evidence["aggregate"].tolist(),
                                           evidence["dropped"].tolist()):
        how = "trimmed_mean" if dropped else "median" if aggregate == "median" else "mean"
        out.append(f"{experts} 位专家评分{AGGREGATE_WORDS[how]}" if experts else "专家评分")
    return out


def is_rate(metric: str) -> bool:
    """Metrics that are shares or relative changes, shown as percentages."""
    return (metric.endswith(("_rate", ".change", "improved_share"))
            or (metric.startswith("survey.") and not metric.endswith(".n")))


#: Counting words of the per-standard count metrics (subject: standard schemes).
STANDARD_UNITS = {
    "standard.pilots": "个试点",
    "standard.implemented_pilots": "个试点",
    "standard.conformity_items": "项",
    "standard.critical_nonconformities": "项",
    "standard.age_years": "年",
    "standard.awareness_respondents": "人",
}


def _unit(metric: str) -> str:
    """The counting word of a count metric ('' for metrics that are not counts)."""
    if metric.startswith("survey.") and metric.endswith(".n"):
        return "人"
    if (metric.startswith("standards.") and ("count" in metric)) or metric in (
            "inspection.items", "inspection.critical_nonconformities"):
        return "项"
    return STANDARD_UNITS.get(metric, "")


def format_value(metric: str, value: float) -> str:
    """A metric value as a report shows it: ``92.5%`` for rates, ``3 项`` for counts, else the number."""
    return _values_text(metric, np.array([value], dtype=float))[0]


def _values_text(metric: str, values: np.ndarray) -> list[str]:
    texts, codes = _value_texts(metric, values)
    return list(map(texts.__getitem__, codes.tolist()))


def _value_texts(metric: str, values: np.ndarray) -> _Part:
    """:func:`_values_text` as distinct texts and each value's position among them."""
    if is_rate(metric):
        texts, codes = _number_texts(values * 100)
        return [f"{v}%" for v in texts], codes
    texts, codes = _number_texts(values)
    unit = _unit(metric)
    return ([f"{v} {unit}" for v in texts] if unit else texts), codes


def numbers(values: np.ndarray) -> list[str]:
    """At most two decimals, without trailing zeros: 8 -> '8', 37.5 -> '37.5', 7.333 -> '7.33'."""
    texts, codes = _number_texts(values)
    return list(map(texts.__getitem__, codes.tolist()))


def _number_texts(values: np.ndarray) -> _Part:
    """:func:`numbers` as distinct texts and each value's position among them (NaN as 0)."""
    distinct, position = np.unique(np.nan_to_num(values), return_inverse=True)  # columns repeat values
    texts = [f"{x:.2f}".rstrip("0").rstrip(".") for x in distinct.tolist()]
    return ["0" if text == "-0" else text for text in texts], position.ravel()


def _number(x: float | None) -> str:
    return numbers(np.array([x or 0.0], dtype=float))[0]
