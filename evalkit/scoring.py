"""Scoring (docs/writing-a-scheme.md): metric values -> leaf points -> the tree -> total, grade, vetoes, pass.

:func:`score` runs the whole chain for every pilot of a campaign at once — or, with
``subject="standard"``, for every standard of the campaign against its standard
implementation scheme (``standard_scheme``, ``subject: standard``, ``standard.*`` metrics
of :mod:`evalkit.metrics.per_standard`). Both go through the same steps; only the rows
(pilots or standards) and their label columns (:data:`SUBJECT_COLUMNS`) differ.

1. :func:`evalkit.metrics.measure` computes every metric the scheme reads, with evidence.
2. Each leaf's rule (:mod:`evalkit.rules`) turns its metric into points on the leaf's
   *scale* (its points as written; for a leaf without points, its share under
   ``scheme.allocate()``). A missing metric scores 0 and is flagged under
   ``missing: zero``; under ``missing: error`` scoring stops with a :class:`DataError`
   naming every pilot and indicator concerned.
3. Nodes under ``weights: entropy`` or ``weights: critic`` get their children's weights
   from the campaign: each child's *attainment* (a leaf: its rule output ÷ its scale; an
   inner node: its points ÷ its maximum) across all pilots feeds
   :func:`evalkit.weights.entropy_weights` or :func:`evalkit.weights.critic_weights`.
   Nested objective nodes are resolved bottom-up. ``scheme.allocate(objective)`` then
   gives every node's maximum in this campaign, and a leaf's points are its rule output
   × maximum ÷ scale.
4. An inner node's points are the sum of its children's points. The total is
   ``min(base + bonus, total + bonus_cap)``, where base sums the non-bonus top-level
   nodes and bonus the bonus (加分) nodes.
5. A veto is triggered when its operator holds for the metric, a value within
   :data:`evalkit.tolerance.TOLERANCE` of the veto's ``value`` counting as equal to it (so a
   rate the formula makes exactly 0.9 meets ``>= 0.9`` however the floating-point sums
   round). A veto whose metric is missing is *not* triggered under ``missing: zero`` (it
   is listed with ``actual: null``; reports say 数据缺失) and stops scoring under
   ``missing: error``, like a leaf's. Any triggered veto means not passed and the lowest
   grade (一票否决), whatever the points.

Points, totals and attainments are rounded to :data:`DECIMALS` decimals (metric values
in scorecards to :data:`VALUE_DECIMALS`); grade and pass are decided on the rounded total,
the number every report prints. Every sum runs in a fixed order (children in scheme
order, pilots sorted by id, evidence rows in canonical order), so identical inputs give
identical bytes whatever the order of the input rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd

from evalkit.campaign import Campaign
from evalkit.errors import DataError, Problem, display_path
from evalkit.jupyter import card_html, card_repr, scores_html, scores_repr
from evalkit.metrics import Measurements, measure
from evalkit.rules import explanations, rule_points
from evalkit.scheme import RESULT_COLUMNS, SUBJECT_COLUMNS, Indicator, Scheme, Veto
from evalkit.tolerance import TOLERANCE
from evalkit.weights import critic_weights, entropy_weights

__all__ = ["DECIMALS", "INFO_COLUMNS", "SUBJECT_COLUMNS", "VALUE_DECIMALS", "Scorecard", "Scores", "Slot", "score",
           "score_campaign", "subject_scheme"]

#: Decimals of points, totals and attainments in the table and scorecards.
DECIMALS = 4
#: Decimals of metric values and evidence numbers in scorecards.
VALUE_DECIMALS = 6
#: The columns of a pilot ``Scores.table`` before the indicator columns.
INFO_COLUMNS = (*SUBJECT_COLUMNS["pilot"], *RESULT_COLUMNS)

OBJECTIVE_METHODS = {"entropy": entropy_weights, "critic": critic_weights}

VETO_OPERATORS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">": lambda actual, value: actual > value + TOLERANCE,
    ">=": lambda actual, value: actual >= value - TOLERANCE,
    "<": lambda actual, value: actual < value - TOLERANCE,
    "<=": lambda actual, value: actual <= value + TOLERANCE,
    "==": lambda actual, value: np.abs(actual - value) <= TOLERANCE,
    "!=": lambda actual, value: np.abs(actual - value) > TOLERANCE,
}


@dataclass(frozen=True)
class Scores:
    """The scores of every pilot of a campaign.

    Attributes
    ----------
    table : DataFrame
        Exactly what ``scores.csv`` holds: ``pilot_id, name, district, domain, total,
        grade, passed, vetoed``, then one column of points per indicator (every node,
        depth first in scheme order, bonus nodes included); one row per pilot sorted by
        ``pilot_id``; default RangeIndex. Treat it as read-only. For standards
        (``standards_scores.csv``) the first four columns are ``std_code, title, level,
        pilots`` and there is one row per standard sorted by ``std_code``.
    metrics : DataFrame
        Raw metric values, index ``pilot_id`` (``std_code``), one column per metric the
        scheme reads.
    maxima : dict of str to float
        Maximum points of every node in this campaign.
    scheme : Scheme
    campaign_id : str
    card_template : dict
        The scorecard with a :class:`Slot` — the values of all pilots, in table order —
        wherever pilots differ; :meth:`card` fills it in for one pilot, and
        :func:`evalkit.outputs.write_scorecards` writes every card from it at once.
    subject : {"pilot", "standard"}
        What the rows are.
    """

    table: pd.DataFrame
    metrics: pd.DataFrame
    maxima: Mapping[str, float]
    scheme: Scheme
    campaign_id: str
    card_template: dict[str, Any] = field(repr=False, compare=False)
    subject: str = "pilot"

    def __repr__(self) -> str:
        return scores_repr(self)

    def _repr_html_(self) -> str:
        return scores_html(self)

    @property
    def key(self) -> str:
        """The column identifying a row: ``pilot_id`` or ``std_code``."""
        return SUBJECT_COLUMNS[self.subject][0]

    @property
    def info_columns(self) -> tuple[str, ...]:
        """The columns of :attr:`table` before the indicator columns."""
        return (*SUBJECT_COLUMNS[self.subject], *RESULT_COLUMNS)

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {key: i for i, key in enumerate(self.table[self.key].tolist())}

    def card(self, pilot_id: str) -> Scorecard:
        """The scorecard of one pilot (or standard, by ``std_code``): its line of ``scorecards.jsonl``.

        Shape: ``{"pilot_id", "name", "district", "domain", "total", "max", "bonus",
        "grade", "passed", "vetoed", "vetoes": [...], "indicators": [...]}``. ``max`` is
        the scheme's total, ``bonus`` the bonus points counted in ``total`` (after the
        cap). Each veto: ``{"id", "label", "metric", "op", "value", "actual",
        "triggered"}``. Each inner node: ``{"id", "label", "max", "points",
        "attainment", "children"}``; each leaf: ``{"id", "label", "max", "points",
        "attainment", "metric", "value", "rule", "params", "missing", "explanation",
        "evidence"}``. A standard's card starts with ``"std_code", "title", "level",
        "pilots"`` instead.

        Raises
        ------
        KeyError
            When the campaign has no such pilot (standard).
        """
        if pilot_id not in self._positions:
            raise KeyError(f"no {self.subject} '{pilot_id}' in the scores")
        return Scorecard(_materialise(self.card_template, self._positions[pilot_id]))

    def cards(self) -> list[Scorecard]:
        """Every pilot's (standard's) scorecard, in table order."""
        return [Scorecard(_materialise(self.card_template, i)) for i in range(len(self.table))]


class Scorecard(dict):
    """One pilot's (standard's) scorecard: the plain mapping of :meth:`Scores.card`, with a
    short ``repr`` and, in Jupyter, the indicator tree as a table."""

    def __repr__(self) -> str:
        return card_repr(self)

    def _repr_html_(self) -> str:
        return card_html(self)


def score(campaign: Campaign, subject: str = "pilot") -> Scores:
    """Score every pilot of a campaign against its scheme (or every standard against its standard scheme).

    Parameters
    ----------
    campaign : Campaign
        A loaded, validated campaign (:func:`evalkit.load_campaign`).
    subject : {"pilot", "standard"}, default "pilot"
        ``"standard"`` scores every standard of the campaign's standards registers with
        ``campaign.standard_scheme`` (see :mod:`evalkit.metrics.per_standard`).

    Returns
    -------
    Scores

    Raises
    ------
    DataError
        Under ``missing: error``, listing every (pilot, indicator or veto) whose metric is
        missing, as ``scheme file:line:indicator or veto id: message``.
    ValueError
        ``subject="standard"`` for a campaign without a standard scheme.
    """
    scheme = subject_scheme(campaign, subject)
    measured = measure(campaign, scheme.metrics, subject)
    values = measured.values
    leaves = scheme.leaves()
    if scheme.missing == "error":
        _raise_for_missing(scheme, leaves, values, subject)
    scales = scheme.leaf_scales()
    earned = {leaf.id: rule_points(leaf.rule, values[leaf.metric], scales[leaf.id]).to_numpy() for leaf in leaves}
    missing = {leaf_id: np.isnan(points) for leaf_id, points in earned.items()}
    earned = {leaf_id: np.nan_to_num(points, nan=0.0) for leaf_id, points in earned.items()}
    maxima = scheme.allocate(objective_weights(scheme, {leaf_id: _ratio(points, scales[leaf_id])
                                                        for leaf_id, points in earned.items()}))
    points = _tree_points(scheme, {leaf_id: _rescaled(points, scales[leaf_id], maxima[leaf_id])
                                   for leaf_id, points in earned.items()})
    base = _ordered_sum([points[n.id] for n in scheme.indicators if not n.bonus], len(values))
    bonus = _ordered_sum([points[n.id] for n in scheme.indicators if n.bonus], len(values))
    total = _rounded(np.minimum(base + bonus, scheme.total + scheme.bonus_cap))
    triggered = {veto.id: veto_triggered(veto, values[veto.metric].to_numpy()) for veto in scheme.vetoes}
    vetoed = np.logical_or.reduce([np.zeros(len(values), dtype=bool), *triggered.values()])
    table = _table(_labels(campaign, measured), scheme, points, total, vetoed, missing)
    template = _card_template(
        scheme, table, measured, maxima,
        attainment={node_id: _rounded(_ratio(p, maxima[node_id], np.nan)) for node_id, p in points.items()},
        missing=missing,
        bonus=_rounded(total - _rounded(base)),
        triggered=triggered,
    )
    return Scores(table=table, metrics=values, maxima=maxima, scheme=scheme, campaign_id=campaign.id,
                  card_template=template, subject=subject)


def score_campaign(campaign: Campaign) -> tuple[Scores, Scores | None]:
    """Score the campaign's pilots and, when it has a standard scheme, its standards.

    Returns
    -------
    pilots : Scores
        ``score(campaign)``.
    standards : Scores or None
        ``score(campaign, "standard")``; None without a standard scheme.

    Raises
    ------
    DataError
        As :func:`score` (the pilots are scored first).
    """
    pilots = score(campaign)
    return pilots, score(campaign, "standard") if campaign.standard_scheme is not None else None


def subject_scheme(campaign: Campaign, subject: str = "pilot") -> Scheme:
    """The scheme that scores ``subject``: ``campaign.scheme`` or ``campaign.standard_scheme``.

    Raises
    ------
    ValueError
        Unknown subject, or a campaign without a standard scheme.
    """
    if subject not in SUBJECT_COLUMNS:
        raise ValueError(f"unknown subject '{subject}' (subjects: {', '.join(SUBJECT_COLUMNS)})")
    scheme = campaign.scheme if subject == "pilot" else campaign.standard_scheme
    if scheme is None:
        raise ValueError(f"campaign '{campaign.id}' has no standard scheme (standard_scheme: in the campaign file)")
    return scheme


def objective_weights(scheme: Scheme, unit: Mapping[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Children's weights of every ``weights: entropy|critic`` node, from the pilots' attainment.

    Parameters
    ----------
    scheme : Scheme
    unit : mapping of str to ndarray
        Each leaf's attainment per pilot (rule output ÷ scale, missing = 0), pilots in
        sorted order.

    Returns
    -------
    dict
        node id -> {child id: weight}, for :meth:`Scheme.allocate`. Nodes are resolved
        deepest first, so an inner child's attainment uses the weights below it.
    """
    objective: dict[str, dict[str, float]] = {}
    for node in reversed(scheme.objective_nodes):
        maxima = scheme.allocate(objective)
        children = pd.DataFrame({child.id: _attainment(child, unit, maxima) for child in node.children})
        objective[node.id] = OBJECTIVE_METHODS[node.child_weighting](children).to_dict()
    return objective


def veto_triggered(veto: Veto, actual: np.ndarray) -> np.ndarray:
    """Whether each pilot triggers ``veto``; a missing metric (NaN) never triggers it."""
    with np.errstate(invalid="ignore"):
        hit = actual != 0 if veto.op == "truthy" else VETO_OPERATORS[veto.op](actual, veto.value)
    return ~np.isnan(actual) & hit


def _attainment(node: Indicator, unit: Mapping[str, np.ndarray], maxima: Mapping[str, float]) -> np.ndarray:
    if node.is_leaf:
        return unit[node.id]
    parts = _ordered_sum([maxima[c.id] * _attainment(c, unit, maxima) for c in node.children],
                         len(next(iter(unit.values()))))
    return _ratio(parts, maxima[node.id])


def _tree_points(scheme: Scheme, leaf_points: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Points of every node (depth first, scheme order): leaves as given, inner nodes summed."""
    size = len(next(iter(leaf_points.values())))
    points: dict[str, np.ndarray] = {}

    def visit(node: Indicator) -> np.ndarray:
        if node.is_leaf:
            points[node.id] = leaf_points[node.id]
        else:
            points[node.id] = _ordered_sum([visit(child) for child in node.children], size)
        return points[node.id]

    for top in scheme.indicators:
        visit(top)
    return points


def _ordered_sum(arrays: list[np.ndarray], size: int) -> np.ndarray:
    """Elementwise sum, added left to right: the same bits for a pilot whatever its row."""
    out = np.zeros(size)
    for array in arrays:
        out = out + array
    return out


def _rescaled(points: np.ndarray, scale: float, maximum: float) -> np.ndarray:
    """Points on the leaf's scale -> points of its maximum in this campaign (exact when equal)."""
    return points * (maximum / scale) if scale > 0 else np.zeros_like(points)


def _ratio(numerator: np.ndarray, denominator: float, otherwise: float = 0.0) -> np.ndarray:
    if denominator > 0:
        return numerator / denominator
    return np.full(len(numerator), otherwise)


def _rounded(values: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    return np.round(values, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0


def _raise_for_missing(scheme: Scheme, leaves: list[Indicator], values: pd.DataFrame, subject: str) -> None:
    file = display_path(scheme.path)
    needs = [(leaf.line, leaf.id, leaf.metric, "") for leaf in leaves]
    needs += [(veto.line, veto.id, veto.metric, f" of veto '{veto.id}'") for veto in scheme.vetoes]
    problems = [
        Problem(file, line, node_id,
                f"{subject} '{key}' has no value for metric '{metric}'{what} (the scheme says missing: error)")
        for line, node_id, metric, what in needs
        for key in values.index[values[metric].isna()]
    ]
    if problems:
        raise DataError(problems)


def _labels(campaign: Campaign, measured: Measurements) -> dict[str, Any]:
    """The label columns of the scores table (:data:`SUBJECT_COLUMNS`), rows as ``measured``."""
    keys = measured.values.index
    if measured.labels is None:
        info = campaign.pilots.set_index("pilot_id").loc[keys]
        text = {"pilot_id": keys, "name": info["name"], "district": info["district"], "domain": info["domain"]}
        return {name: pd.array(np.asarray(column, dtype=object), dtype="str") for name, column in text.items()}
    info = measured.labels
    columns: dict[str, Any] = {name: pd.array(np.asarray(column, dtype=object), dtype="str")
                               for name, column in (("std_code", keys), ("title", info["title"]),
                                                    ("level", info["level"]))}
    columns["pilots"] = info["pilots"].to_numpy(dtype=np.int64)
    return columns


def _table(labels: dict[str, Any], scheme: Scheme, points: Mapping[str, np.ndarray],
           total: np.ndarray, vetoed: np.ndarray, missing: Mapping[str, np.ndarray]) -> pd.DataFrame:
    grades = [scheme.fail_grade if veto else scheme.grade_for(t) for t, veto in zip(total.tolist(), vetoed)]
    columns: dict[str, Any] = dict(labels)
    columns.update({"total": total, "grade": pd.array(grades, dtype="str"),
                    "passed": ~vetoed & (total >= scheme.pass_mark), "vetoed": vetoed,
                    "missing": pd.array(_missing_ids(missing, len(total)), dtype="str")})
    columns.update({node.id: _rounded(points[node.id]) for node in scheme.nodes()})
    return pd.DataFrame(columns)


def _missing_ids(missing: Mapping[str, np.ndarray], count: int) -> list[str]:
    """Per row, the ids of the leaves scored 0 for a missing metric (scheme order), space-separated."""
    ids = [""] * count
    for leaf_id, flags in missing.items():
        for row in np.flatnonzero(flags).tolist():
            ids[row] = f"{ids[row]} {leaf_id}" if ids[row] else leaf_id
    return ids


@dataclass(frozen=True, eq=False)
class Slot:
    """A per-pilot value in :attr:`Scores.card_template`: ``values[i]`` belongs to the i-th pilot."""

    values: list[Any]


def _card_template(scheme: Scheme, table: pd.DataFrame, measured: Measurements, maxima: Mapping[str, float],
                   attainment: Mapping[str, np.ndarray], missing: Mapping[str, np.ndarray], bonus: np.ndarray,
                   triggered: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The scorecard with a :class:`Slot` (a column over the pilots) wherever pilots differ."""
    column = {name: Slot(table[name].tolist()) for name in table.columns}
    value = {name: Slot(_plain_list(_rounded(measured.values[name].to_numpy(), VALUE_DECIMALS)))
             for name in measured.values.columns}
    evidence = {name: {key: Slot(_plain_column(frame[key])) for key in frame.columns}
                for name, frame in measured.evidence.items()}
    top = {node_id: _rounded(np.array([m]))[0].item() for node_id, m in maxima.items()}
    scales = scheme.leaf_scales()

    def params(item: Indicator) -> dict[str, Any]:
        """The rule's parameters; a leaf without points of its own also shows its ``scale``
        (rule points are on that scale, and points = rule points × max ÷ scale)."""
        if item.points is not None:
            return item.rule.params()
        return {**item.rule.params(), "scale": _rounded(np.array([scales[item.id]]), VALUE_DECIMALS)[0].item()}

    def node(item: Indicator) -> dict[str, Any]:
        out = {"id": item.id, "label": item.label, "max": top[item.id], "points": column[item.id],
               "attainment": Slot(_plain_list(attainment[item.id]))}
        if not item.is_leaf:
            out["children"] = [node(child) for child in item.children]
            return out
        raw = measured.values[item.metric].to_numpy()
        sentences = explanations(item, raw, table[item.id].to_numpy(), top[item.id], measured.evidence[item.metric],
                                 scales[item.id])
        out.update({"metric": item.metric, "value": value[item.metric], "rule": item.rule.name,
                    "params": params(item), "missing": Slot(missing[item.id].tolist()),
                    "explanation": Slot(sentences), "evidence": dict(evidence[item.metric])})
        return out

    labels = list(table.columns[:list(table.columns).index("total")])
    return {
        **{name: column[name] for name in (*labels, "total")},
        "max": float(scheme.total),
        "bonus": Slot(bonus.tolist()),
        **{name: column[name] for name in ("grade", "passed", "vetoed")},
        "vetoes": [{"id": veto.id, "label": veto.label, "metric": veto.metric, "op": veto.op, "value": veto.value,
                    "actual": value[veto.metric], "triggered": Slot(triggered[veto.id].tolist())}
                   for veto in scheme.vetoes],
        "indicators": [node(item) for item in scheme.indicators],
    }


def _materialise(part: Any, i: int) -> Any:
    """The i-th pilot's card from the template (fresh containers: callers may change them)."""
    if isinstance(part, Slot):
        item = part.values[i]
        return item.copy() if isinstance(item, dict | list) else item
    if isinstance(part, dict):
        return {key: _materialise(item, i) for key, item in part.items()}
    if isinstance(part, list):
        return [_materialise(item, i) for item in part]
    return part


def _plain_list(values: np.ndarray) -> list[float | None]:
    """Floats as a list, NaN as None."""
    return [None if v != v else v for v in values.tolist()]


def _plain_column(series: pd.Series) -> list[Any]:
    """A column of evidence, JSON-ready: floats rounded, NaN as None, numpy scalars as Python."""
    if pd.api.types.is_float_dtype(series):
        return _plain_list(_rounded(series.to_numpy(), VALUE_DECIMALS))
    values = series.tolist()
    kinds = set(map(type, values))
    if kinds <= {str, int, bool}:
        return values
    if kinds == {list} or kinds == {dict}:
        flat = _plain_flat_containers(values, kinds.pop())
        if flat is not None:
            return flat
    rounded: dict[float, float] = {}  # a column repeats few numbers (experts' scores…): round each once
    return [_plain(item, rounded) for item in values]


def _plain_flat_containers(values: list[Any], kind: type) -> list[Any] | None:
    """:func:`_plain` of a column of lists (or dicts with text keys) whose items are plain
    text or numbers, converting all their items at once (each distinct number once); None
    for other containers."""
    items = [item for container in values for item in (container.values() if kind is dict else container)]
    kinds = set(map(type, items))
    if kind is dict and not set(map(type, [key for container in values for key in container])) <= {str}:
        return None
    if not kinds <= {str, int, bool, float}:
        return None
    if float in kinds:
        distinct = dict.fromkeys(item for item in items if type(item) is float)
        for number in distinct:
            distinct[number] = _plain(number)
        items = [distinct[item] if type(item) is float else item for item in items]
    flat = iter(items)
    if kind is dict:
        return [dict(zip(container, flat)) for container in values]
    return [list(islice(flat, len(container))) for container in values]


def _plain(value: Any, rounded: dict[float, float] | None = None) -> Any:
    """JSON-ready: numpy scalars to Python, NaN to None, floats rounded, containers recursively.
    ``rounded`` memoises the rounding of floats (0.0 and -0.0 both round to 0.0)."""
    if type(value) is float:
        if value != value:
            return None
        if rounded is None:
            return round(value, VALUE_DECIMALS) + 0.0
        found = rounded.get(value)
        if found is None:
            found = rounded[value] = round(value, VALUE_DECIMALS) + 0.0
        return found
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _plain(float(value), rounded)
    if isinstance(value, dict):
        return {str(k): _plain(v, rounded) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, rounded) for v in value]
    return value
