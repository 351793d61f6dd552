"""Scoring rules (docs/writing-a-scheme.md): a leaf's metric value -> points, and the sentence that explains them.

Each rule maps values to points on the leaf's *scale* — its points as written in the
scheme (for a weight-style leaf without points: its share of the total under
:meth:`evalkit.scheme.Scheme.allocate`). With ``P`` the scale and ``v`` the value:

===========  ==========================================================================
``linear``   :math:`P \\cdot clamp(v, 0, 1)`
``target``   higher: :math:`P \\cdot clamp(v/T, 0, 1)`; lower: :math:`P \\cdot clamp(T/v, 0, 1)`,
             and full points for :math:`v \\le 0` (at or below zero is as low as it gets)
``bands``    the points of the first band (in descending order of ``min``) whose ``min``
             the value reaches (within :data:`evalkit.tolerance.TOLERANCE`); 0 below every band
``per_unit`` :math:`min(max(v, 0) \\cdot p, P)`
``boolean``  :math:`P` when the value is true (non-zero), else 0
``expert``   the value already is points: :math:`clamp(v, 0, P)`
===========  ==========================================================================

Every result lies in [0, P]; a missing value (NaN) stays NaN — the scheme's ``missing``
policy decides what it scores (see :mod:`evalkit.scoring`).
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.scheme import Indicator, Rule
from evalkit.tolerance import TOLERANCE

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
    return np.select([v >= low - TOLERANCE for low, _ in rule.bands],
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
            evidence: Mapping[str, Any] | None = None, scale: float | None = None) -> str:
    """One Chinese sentence telling how a leaf earned its points.

    Numbers are shown with at most two decimals, rounded half up (四舍五入) from their
    shortest decimal form: 8.625 -> 8.63. A ``bands`` value shows more decimals where two
    would put it in a band it does not reach (4.996 under a band from 5 shows as 4.996,
    not 5).

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
    scale : float, optional
        The leaf's scale (see the module notes) when it differs from ``maximum``: a leaf
        with points of its own under a weighted parent, whose rule points are rescaled to
        the share the parent gives it. ``per_unit`` then states the points a unit is worth
        after rescaling, ``expert`` the panel's scale. None means ``maximum``.

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
    '现场检查符合率：92.5%，落在 ≥90% 档，得 8/10 分'
    >>> explain(leaf, 0.89999, 0, 10)
    '现场检查符合率：89.999%，低于 90%，得 0/10 分'
    >>> explain(leaf, 0.0, 0, 10)
    '现场检查符合率：0%，得 0/10 分'
    >>> explain(leaf, None, 0, 10)
    '现场检查符合率：数据缺失，按0分计'
    """
    panel = pd.DataFrame([dict(evidence)]) if evidence else None
    return explanations(leaf, np.array([np.nan if value is None else value], dtype=float),
                        np.array([points], dtype=float), maximum, panel, scale)[0]


def explanations(leaf: Indicator, values: np.ndarray, points: np.ndarray, maximum: float,
                 evidence: pd.DataFrame | None = None, scale: float | None = None) -> list[str]:
    """:func:`explain` for many pilots at once (arrays of values and points, one evidence row each).

    Each distinct sentence is composed once: pilots (and above all standards) share values,
    points and bands, so a column of 50,000 rows holds a few thousand sentences.
    """
    rule = leaf.rule or Rule("linear")
    metric = leaf.metric or ""
    label = leaf.label
    top = _number(maximum)
    scale = maximum if scale is None else scale
    point_texts, point_codes = _number_texts(points)
    earned = ([f"得 {p}/{top} 分" for p in point_texts], point_codes)
    constant = ([""], np.zeros(len(values), dtype=np.intp))
    if rule.name == "boolean":
        flags = (["否", "是"], (values != 0).astype(np.intp))
        parts, sentence = (constant, flags), lambda _, flag, e: f"{label}：{flag}，{e}"
    elif rule.name == "expert":
        codes, panels = pd.factorize(np.array(_panels(evidence, len(values)), dtype=object))
        scores, panel_part = _number_texts(values), (panels.tolist(), codes)
        joint = "，" if _number(scale) == top else f"（满分 {_number(scale)} 分），折算后"
        parts, sentence = (scores, panel_part), lambda v, panel, e: f"{label}：{panel} {v} 分{joint}{e}"
    elif rule.name == "target":
        goal = ("目标值不高于 " if rule.better == "lower" else "目标值 ") + format_value(metric, rule.target, exact=True)
        parts, sentence = (_value_texts(metric, values), constant), lambda v, _, e: f"{label}：{v}，{goal}，{e}"
    elif rule.name == "bands":
        lows = np.array([low for low, _ in rule.bands], dtype=float)
        shown = [format_value(metric, low, exact=True) for low in lows.tolist()]
        # a band from 0 under another reads "below the next band's min"; a value of 0 in it needs no band
        texts = [f"低于 {shown[i - 1]}" if low == 0 and i > 0 else f"落在 ≥{shown[i]} 档"
                 for i, low in enumerate(lows.tolist())]
        texts += [f"低于最低档 {shown[-1]}", ""]
        with np.errstate(invalid="ignore"):
            reached = np.select([values >= low - TOLERANCE for low in lows], range(len(lows)), default=len(lows))
        # the shown value must lie in the band named: from its min to below the next one's
        bounds = (np.concatenate([lows, [-np.inf]])[reached], np.concatenate([[np.inf], lows])[reached])
        zero = (values == 0) & (np.append(lows, np.nan)[reached] == 0)
        parts = (_value_texts(metric, values, bounds), (texts, np.where(zero, len(lows) + 1, reached)))
        sentence = lambda v, band, e: f"{label}：{v}，{band}，{e}" if band else f"{label}：{v}，{e}"  # noqa: E731
    elif rule.name == "per_unit":
        worth = float(rule.per_unit) * (maximum / scale if scale > 0 else 1.0)  # type: ignore[arg-type]
        shown_worth = _rounded_text(worth, places=EXACT_PLACES if worth == rule.per_unit else 2)
        unit = f"每{(_unit(metric) or '单位').removeprefix('个')}计 {shown_worth} 分"
        parts, sentence = (_value_texts(metric, values), constant), lambda v, _, e: f"{label}：{v}，{unit}，{e}"
    else:
        parts, sentence = (_value_texts(metric, values), constant), lambda v, _, e: f"{label}：{v}，按比例计分，{e}"
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
    "standard.withdrawn_listed": "个试点",
    "standard.superseded_listed": "个试点",
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


def format_value(metric: str, value: float, exact: bool = False) -> str:
    """A metric value as a report shows it: ``92.5%`` for rates, ``3 项`` for counts, else the
    number; rounded half up to two decimals, or with ``exact`` (a number of the scheme: a
    target, a band's min) to as many as it has, up to :data:`EXACT_PLACES`."""
    texts, codes = _value_texts(metric, np.array([value], dtype=float), places=EXACT_PLACES if exact else 2)
    return texts[codes[0]]


def _value_texts(metric: str, values: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None = None,
                 places: int = 2) -> _Part:
    """:func:`format_value` of many values, as distinct texts and each value's position among
    them; with ``bounds`` (from, below), each value's text stays in its range, shown with
    more decimals where two would leave it."""
    rate = is_rate(metric)
    texts, codes = _number_texts(values, percent=rate, bounds=bounds, places=places)
    if rate:
        return [f"{v}%" for v in texts], codes
    unit = _unit(metric)
    return ([f"{v} {unit}" for v in texts] if unit else texts), codes


def numbers(values: np.ndarray) -> list[str]:
    """At most two decimals, rounded half up, without trailing zeros: 8 -> '8', 37.5 -> '37.5',
    7.333 -> '7.33', 8.625 -> '8.63'."""
    texts, codes = _number_texts(values)
    return list(map(texts.__getitem__, codes.tolist()))


def _number_texts(values: np.ndarray, percent: bool = False, bounds: tuple[np.ndarray, np.ndarray] | None = None,
                  places: int = 2) -> _Part:
    """:func:`numbers` as distinct texts and each value's position among them (NaN as 0);
    ``percent`` shows values × 100; ``bounds`` as in :func:`_value_texts`."""
    values = np.nan_to_num(values)
    distinct, first, position = np.unique(values, return_index=True, return_inverse=True)  # columns repeat values
    lows, highs = (np.full(len(distinct), -np.inf), np.full(len(distinct), np.inf)) if bounds is None else (
        bounds[0][first], bounds[1][first])
    texts = [_rounded_text(x, percent, low, high, places)
             for x, low, high in zip(distinct.tolist(), lows.tolist(), highs.tolist())]
    return texts, position.ravel()


#: Room for every float's decimal digits (up to 1.8e308), so that rounding never runs out of precision.
_DECIMALS = decimal.Context(prec=400)
#: Decimals shown of the scheme's own numbers (targets, bands' mins): enough to show them as written.
EXACT_PLACES = 15


def round_half_up(x: float, places: int = 2, percent: bool = False) -> decimal.Decimal:
    """``x`` (× 100 when ``percent``) rounded half up (四舍五入, halves away from zero) to
    ``places`` decimals, from its shortest decimal form — as a person rounds the number
    printed in a table: 4.125 -> 4.13 and 2.675 -> 2.68 (Python's ``f"{x:.2f}"`` gives 4.12
    and 2.67: it rounds the binary value, halves to even).

    Examples
    --------
    >>> str(round_half_up(4.125)), str(round_half_up(-2.675)), str(round_half_up(0.81255, 1, percent=True))
    ('4.13', '-2.68', '81.3')
    """
    number = decimal.Decimal(repr(float(x))).scaleb(2 if percent else 0)
    return number.quantize(decimal.Decimal(1).scaleb(-places), decimal.ROUND_HALF_UP, _DECIMALS)


def _rounded_text(x: float, percent: bool = False, low: float = -math.inf, high: float = math.inf,
                  places: int = 2) -> str:
    """:func:`round_half_up` to ``places`` decimals — more, up to 15, while the rounded number
    falls outside [``low``, ``high``) — without trailing zeros."""
    floor = round_half_up(low, 15, percent) if math.isfinite(low) else None
    limit = round_half_up(high, 15, percent) if math.isfinite(high) else None
    for shown_places in range(places, 16):
        rounded = round_half_up(x, shown_places, percent)
        if (floor is None or rounded >= floor) and (limit is None or rounded < limit):
            break
    text = f"{rounded:f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text == "-0" else text


def _number(x: float | None) -> str:
    return _rounded_text(float(x or 0.0))
