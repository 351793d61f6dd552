"""The scheme file (docs/writing-a-scheme.md): the bureau's scoring table as data.

:func:`load_scheme` parses the YAML with pydantic, checks its structure (unique ids,
points that add up, known rules, weights never mixed with points, consistent AHP
matrices, ordered grades) and returns a frozen :class:`Scheme`. How many points each
node is worth is decided by :meth:`Scheme.allocate`; under ``weights: entropy`` or
``weights: critic`` that needs the campaign's metric values, which scoring supplies.
Whether each metric exists in the campaign is checked in :mod:`evalkit.validate`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator

from evalkit.catalogue import is_identifier
from evalkit.errors import Problem, display_path
from evalkit.tolerance import TOLERANCE
from evalkit.weights import CR_LIMIT, AHPResult, ahp, reciprocity_errors
from evalkit.yamlfile import LineDict, StrictModel, line_of, load_model

RULES = ("linear", "target", "bands", "per_unit", "boolean", "expert")
VETO_OPS = (">", ">=", "<", "<=", "==", "!=", "truthy")
OBJECTIVE_WEIGHTS = ("entropy", "critic")
#: The columns of ``scores.csv`` (and ``standards_scores.csv``) that name a row, by the
#: scheme's subject; the first is the row's key.
SUBJECT_COLUMNS = {
    "pilot": ("pilot_id", "name", "district", "domain"),
    "standard": ("std_code", "title", "level", "pilots"),
}
#: The result columns that follow them; after these comes one column per indicator id.
#: ``missing``: the ids of the indicators scored 0 because their metric could not be
#: computed, separated by spaces ("" when none).
RESULT_COLUMNS = ("total", "grade", "passed", "vetoed", "missing")
#: Ids an indicator cannot have: its column would take the place of one of the above.
RESERVED_IDS = frozenset(RESULT_COLUMNS).union(*SUBJECT_COLUMNS.values())


class NodeModel(StrictModel):
    id: str
    label: str
    points: float | None = Field(default=None, ge=0)
    weight: float | None = Field(default=None, gt=0)
    ahp: list[list[float]] | None = None
    weights: Literal["entropy", "critic"] | None = None
    bonus: bool = False
    children: list[NodeModel] | None = None
    metric: str | None = None
    rule: str = "linear"
    target: float | None = None
    better: Literal["higher", "lower"] = "higher"
    bands: list[tuple[float, float]] | None = None
    per_unit: float | None = None
    note: str = ""

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @field_validator("ahp", mode="before")
    @classmethod
    def _fractions(cls, value: Any) -> Any:
        """Accept judgements written as fractions, e.g. ``1/3``, as people write them."""
        if not isinstance(value, list):
            return value
        return [[_fraction(cell) for cell in row] if isinstance(row, list) else row for row in value]


def _fraction(cell: Any) -> Any:
    if isinstance(cell, str) and cell.count("/") == 1:
        numerator, denominator = cell.split("/")
        try:
            return float(numerator) / float(denominator)
        except (ValueError, ZeroDivisionError):
            return cell
    return cell


class GradeModel(StrictModel):
    label: str
    min: float


class VetoModel(StrictModel):
    id: str
    label: str
    metric: str
    op: Literal[">", ">=", "<", "<=", "==", "!=", "truthy"] = "truthy"
    value: float | None = None


class SchemeModel(StrictModel):
    id: str
    version: str
    title: str
    subject: Literal["pilot", "standard"] = "pilot"
    total: float = Field(gt=0)
    pass_mark: float = Field(ge=0)
    bonus_cap: float = Field(default=0, ge=0)
    missing: Literal["zero", "error"] = "zero"
    expert_aggregate: Literal["mean", "median", "trimmed_mean"] = "mean"
    grades: list[GradeModel] = Field(min_length=1)
    vetoes: list[VetoModel] = []
    indicators: list[NodeModel] = Field(min_length=1)
    description: str = ""

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


@dataclass(frozen=True)
class Rule:
    """How a leaf's metric value becomes points (see :mod:`evalkit.rules`)."""

    name: str
    target: float | None = None
    better: str = "higher"
    bands: tuple[tuple[float, float], ...] = ()
    per_unit: float | None = None

    def params(self) -> dict[str, Any]:
        """The rule's parameters as written in the scheme (for scorecards)."""
        out: dict[str, Any] = {}
        if self.name == "target":
            out = {"target": self.target, "better": self.better}
        elif self.name == "bands":
            out = {"bands": [list(b) for b in self.bands]}
        elif self.name == "per_unit":
            out = {"per_unit": self.per_unit}
        return out


@dataclass(frozen=True)
class Indicator:
    """One node of the scoring tree.

    ``points`` and ``weight`` are as declared in the file; the points a node is worth in a
    given campaign come from :meth:`Scheme.allocate`. ``child_weighting`` says how the
    node's points are shared among its children: ``points``, ``weight``, ``ahp``,
    ``entropy`` or ``critic`` ('' for a leaf).
    """

    id: str
    label: str
    points: float | None
    weight: float | None
    bonus: bool
    metric: str | None
    rule: Rule | None
    children: tuple[Indicator, ...]
    child_weighting: str
    ahp: AHPResult | None
    line: int | None
    note: str = ""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def walk(self) -> Iterator[Indicator]:
        """This node and all below it, depth first in scheme order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Grade:
    label: str
    min: float


@dataclass(frozen=True)
class Veto:
    id: str
    label: str
    metric: str
    op: str
    value: float | None
    line: int | None = field(default=None, compare=False)  # of its metric in the scheme file, for messages


@dataclass(frozen=True)
class Scheme:
    """A validated scoring scheme."""

    id: str
    version: str
    title: str
    subject: str
    total: float
    pass_mark: float
    bonus_cap: float
    missing: str
    expert_aggregate: str
    grades: tuple[Grade, ...]
    vetoes: tuple[Veto, ...]
    indicators: tuple[Indicator, ...]
    path: Path

    def nodes(self) -> Iterator[Indicator]:
        """Every node, depth first in scheme order."""
        for top in self.indicators:
            yield from top.walk()

    def leaves(self) -> list[Indicator]:
        return [n for n in self.nodes() if n.is_leaf]

    def node(self, node_id: str) -> Indicator:
        return next(n for n in self.nodes() if n.id == node_id)

    @property
    def metrics(self) -> list[str]:
        """Every metric the scheme reads (leaves, then vetoes), without repeats, in order."""
        names = [n.metric for n in self.leaves() if n.metric] + [v.metric for v in self.vetoes]
        return list(dict.fromkeys(names))

    @property
    def objective_nodes(self) -> list[Indicator]:
        """Inner nodes whose children's weights come from the data (entropy, CRITIC)."""
        return [n for n in self.nodes() if n.child_weighting in OBJECTIVE_WEIGHTS]

    def grade_for(self, total: float) -> str:
        """The label of the highest grade whose lower bound ``total`` reaches."""
        for grade in self.grades:
            if total >= grade.min - TOLERANCE:
                return grade.label
        return self.grades[-1].label

    @property
    def fail_grade(self) -> str:
        """The lowest grade: what a vetoed pilot gets."""
        return self.grades[-1].label

    def allocate(self, objective: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, float]:
        """Maximum points of every node.

        Parameters
        ----------
        objective : mapping, optional
            For each entropy/CRITIC node id, the weights of its children (summing to 1).
            Missing entries get equal weights.

        Returns
        -------
        dict
            node id -> maximum points; the non-bonus top level sums to ``total``.
        """
        return _allocate(self.indicators, self.total, objective or {})

    def leaf_scales(self) -> dict[str, float]:
        """Each leaf's scale: its points as written, else its share under :meth:`allocate`.

        Rule parameters in points (band points, the ``per_unit`` cap, expert scores) are on
        this scale; points in the campaign are rule output × maximum ÷ scale.
        """
        static = self.allocate()
        return {leaf.id: float(leaf.points) if leaf.points is not None else static[leaf.id] for leaf in self.leaves()}

    def replace(self, indicators: Mapping[str, Mapping[str, Any]] | None = None, **fields: Any) -> Scheme:
        """A what-if copy of the scheme: other weights, AHP judgements, rule thresholds or grades.

        Parameters
        ----------
        indicators : mapping, optional
            Indicator id -> changes: ``weight`` (weight style), ``points`` (an inner node
            of the points style: its siblings and it then share their parent's points in
            the new proportions), ``ahp`` (the node's new pairwise matrix; refused when
            CR ≥ 0.10, as on loading), or a leaf's rule parameters ``target``, ``better``,
            ``bands``, ``per_unit``.
        **fields
            ``pass_mark``, ``bonus_cap``, ``expert_aggregate``, ``title``, or ``grades``
            (a mapping of grade label -> new lower bound).

        Returns
        -------
        Scheme
            Score with it by replacing the campaign's: ``campaign.replace(scheme=...)``.

        Raises
        ------
        ValueError
            An unknown field or change, an indicator id not in the scheme, or a value
            the scheme file could not hold either (inconsistent AHP matrix, unordered
            grades, a pass mark above the total, a leaf's points).

        Examples
        --------
        >>> import evalkit as ek
        >>> scheme = ek.load_campaign("params/demo.yaml").scheme
        >>> milder = scheme.replace(pass_mark=75, indicators={"C2": {"target": 0.7}})
        >>> milder.pass_mark, milder.node("C2").rule.target
        (75, 0.7)
        """
        unknown = sorted(set(fields) - _REPLACEABLE)
        if unknown:
            raise ValueError(f"scheme.replace: unknown field(s) {', '.join(unknown)} "
                             f"(fields: {', '.join(sorted(_REPLACEABLE))}, indicators)")
        if "grades" in fields:
            fields["grades"] = _replaced_grades(self.grades, fields["grades"])
        if fields.get("expert_aggregate", self.expert_aggregate) not in ("mean", "median", "trimmed_mean"):
            raise ValueError(f"scheme.replace: unknown expert_aggregate '{fields['expert_aggregate']}'")
        changes = dict(indicators or {})
        missing = sorted(set(changes) - {node.id for node in self.nodes()})
        if missing:
            raise ValueError(f"scheme.replace: no indicator {', '.join(missing)} in scheme '{self.id}'")
        replaced = dataclasses.replace(self, indicators=tuple(_replaced_node(n, changes) for n in self.indicators),
                                       **fields)
        if replaced.pass_mark > replaced.total:
            raise ValueError(f"scheme.replace: pass_mark {replaced.pass_mark:g} exceeds total {replaced.total:g}")
        return replaced


_REPLACEABLE = frozenset({"pass_mark", "bonus_cap", "expert_aggregate", "title", "grades"})
_RULE_PARAMETERS = frozenset({"target", "better", "bands", "per_unit"})


def _replaced_grades(grades: tuple[Grade, ...], bounds: Mapping[str, float]) -> tuple[Grade, ...]:
    unknown = sorted(set(bounds) - {grade.label for grade in grades})
    if unknown:
        raise ValueError(f"scheme.replace: no grade {', '.join(unknown)}")
    new = tuple(Grade(grade.label, float(bounds.get(grade.label, grade.min))) for grade in grades)
    mins = [grade.min for grade in new]
    if any(a <= b for a, b in itertools.pairwise(mins)) or mins[-1] != 0:
        raise ValueError("scheme.replace: grades must keep descending lower bounds, the lowest at 0")
    return new


def _replaced_node(node: Indicator, changes: Mapping[str, Mapping[str, Any]]) -> Indicator:
    children = tuple(_replaced_node(child, changes) for child in node.children)
    change = dict(changes.get(node.id, {}))
    updates: dict[str, Any] = {"children": children}
    unknown = sorted(set(change) - {"points", "weight", "ahp"} - (_RULE_PARAMETERS if node.is_leaf else set()))
    if unknown:
        raise ValueError(f"scheme.replace: cannot change {', '.join(unknown)} of indicator '{node.id}'")
    if "points" in change:
        if node.is_leaf or node.points is None:
            raise ValueError(f"scheme.replace: '{node.id}' has no points to change: a leaf's points are the scale "
                             "of its rule (bands, expert scores); change its parent's points, a weight or the rule")
        updates["points"] = float(change["points"])
    if "weight" in change:
        if node.weight is None or float(change["weight"]) <= 0:
            raise ValueError(f"scheme.replace: '{node.id}' is not weighted by 'weight', or the weight is not positive")
        updates["weight"] = float(change["weight"])
    if "ahp" in change:
        updates["ahp"] = _replaced_ahp(node, change["ahp"])
    rule_changes = {key: change[key] for key in _RULE_PARAMETERS & set(change)}
    if rule_changes:
        if "bands" in rule_changes:
            rule_changes["bands"] = tuple((float(a), float(b)) for a, b in rule_changes["bands"])
        updates["rule"] = dataclasses.replace(node.rule, **rule_changes)
    return dataclasses.replace(node, **updates)


def _replaced_ahp(node: Indicator, matrix: Any) -> AHPResult:
    a = np.asarray(matrix, dtype=float)
    if node.child_weighting != "ahp" or a.shape != (len(node.children),) * 2:
        raise ValueError(f"scheme.replace: '{node.id}' needs an AHP matrix of {len(node.children)}×"
                         f"{len(node.children)} (and must weight its children by AHP)")
    if np.any(a <= 0) or reciprocity_errors(a):
        raise ValueError(f"scheme.replace: the AHP matrix of '{node.id}' must be positive and reciprocal")
    result = ahp(a)
    if result.cr >= CR_LIMIT:
        raise ValueError(f"scheme.replace: the AHP matrix of '{node.id}' is inconsistent: CR = {result.cr:.3f} ≥ 0.10")
    return result


def _declared_points(node: Indicator) -> float | None:
    if node.points is not None:
        return node.points
    if node.children and node.child_weighting == "points":
        parts = [_declared_points(c) for c in node.children]
        if all(p is not None for p in parts):
            return math.fsum(parts)  # type: ignore[arg-type]
    return None


def _shares(nodes: tuple[Indicator, ...], weighting: str, parent: Indicator | None,
            objective: Mapping[str, Mapping[str, float]]) -> list[float] | None:
    """Fraction of the parent's points each sibling gets; None for points style."""
    if weighting == "weight":
        total = math.fsum(n.weight or 0.0 for n in nodes)
        return [(n.weight or 0.0) / total for n in nodes]
    if weighting == "ahp" and parent is not None and parent.ahp is not None:
        return [float(w) for w in parent.ahp.weights]
    if weighting in OBJECTIVE_WEIGHTS and parent is not None:
        given = objective.get(parent.id, {})
        return [float(given.get(n.id, 1.0 / len(nodes))) for n in nodes]
    return None


def _allocate(nodes: tuple[Indicator, ...], budget: float, objective: Mapping[str, Mapping[str, float]],
              parent: Indicator | None = None) -> dict[str, float]:
    out: dict[str, float] = {}
    scored = tuple(n for n in nodes if not n.bonus)
    weighting = parent.child_weighting if parent else ("weight" if any(n.weight for n in scored) else "points")
    shares = _shares(scored, weighting, parent, objective)
    if shares is None:  # points style: the declared points, scaled when a weighted parent set the budget
        declared = [_declared_points(node) or 0.0 for node in scored]
        whole = math.fsum(declared)
        factor = budget / whole if whole > 0 else 0.0
        for node, points in zip(scored, declared):
            out[node.id] = points * factor
    else:
        for node, share in zip(scored, shares):
            out[node.id] = budget * share
    for node in nodes:
        if node.bonus:
            out[node.id] = _declared_points(node) or 0.0
    for node in nodes:
        if node.children:
            out.update(_allocate(node.children, out[node.id], objective, node))
    return out


# ---------------------------------------------------------------------------------------
# loading and structural checks


def load_scheme(path: Path) -> tuple[Scheme | None, list[Problem]]:
    """Parse and structurally check a scheme file: the scheme (None when it cannot be built
    or its structure is wrong) and every problem found. A scheme whose only problems are
    misspelt keys comes back with them, so that the campaign's checks against the scheme
    still run in the same pass (callers treat any problem as failure)."""
    file = display_path(path)
    model, data, problems = load_model(path, SchemeModel)
    if model is None:
        return None, problems
    checker = _StructureChecker(file)
    indicators = tuple(checker.build(n, raw) for n, raw in zip(model.indicators, data["indicators"]))
    scheme = Scheme(
        id=model.id,
        version=model.version,
        title=model.title,
        subject=model.subject,
        total=model.total,
        pass_mark=model.pass_mark,
        bonus_cap=model.bonus_cap,
        missing=model.missing,
        expert_aggregate=model.expert_aggregate,
        grades=tuple(Grade(g.label, g.min) for g in model.grades),
        vetoes=tuple(Veto(v.id, v.label, v.metric, v.op, v.value, line_of(data, ("vetoes", i, "metric"))[0])
                     for i, v in enumerate(model.vetoes)),
        indicators=indicators,
        path=path,
    )
    checker.check_scheme(scheme, data)
    if checker.problems:
        return None, problems + checker.problems
    return scheme, problems


class _StructureChecker:
    """Builds :class:`Indicator` nodes from the parsed model, collecting every problem."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.seen_ids: dict[str, int | None] = {}

    def problem(self, raw: Any, key: str | None, message: str) -> None:
        line = raw.key_lines.get(key, raw.line) if isinstance(raw, LineDict) and key else getattr(raw, "line", None)
        self.problems.append(Problem(self.file, line, key, message))

    def build(self, node: NodeModel, raw: LineDict) -> Indicator:
        if not is_identifier(node.id):  # ids become column names of scores.csv/xlsx and metric names
            self.problem(raw, "id", f"indicator id '{node.id}' may contain only letters, digits, '_', '.' and '-'")
        elif node.id in RESERVED_IDS:
            self.problem(raw, "id", f"indicator id '{node.id}' is the name of a column of scores.csv; "
                                    f"choose another (reserved: {', '.join(sorted(RESERVED_IDS))})")
        if node.id in self.seen_ids:
            self.problem(raw, "id", f"duplicate indicator id '{node.id}' (first on line {self.seen_ids[node.id]})")
        else:
            self.seen_ids[node.id] = raw.line
        children = tuple(self.build(c, r) for c, r in zip(node.children or [], raw.get("children") or []))
        weighting = self._child_weighting(node, raw, children)
        matrix = self._ahp(node, raw, children) if node.ahp is not None and children else None
        rule = self._rule(node, raw) if not children else None
        return Indicator(
            id=node.id, label=node.label, points=node.points, weight=node.weight, bonus=node.bonus,
            metric=node.metric, rule=rule, children=children, child_weighting=weighting, ahp=matrix,
            line=raw.line, note=node.note,
        )

    def _child_weighting(self, node: NodeModel, raw: LineDict, children: tuple[Indicator, ...]) -> str:
        if not children:
            if node.children is not None:
                self.problem(raw, "children", f"indicator '{node.id}' has an empty children list")
            if node.ahp is not None or node.weights is not None:
                self.problem(raw, "ahp" if node.ahp else "weights", f"leaf '{node.id}' cannot weight children")
            return ""
        if node.metric is not None:
            self.problem(raw, "metric", f"indicator '{node.id}' has children, so it cannot have a metric")
        has_points = [c.id for c in children if c.points is not None]
        has_weight = [c.id for c in children if c.weight is not None]
        if node.ahp is not None and node.weights is not None:
            self.problem(raw, "weights", f"indicator '{node.id}' has both 'ahp' and 'weights'; keep one")
        if node.ahp is not None or node.weights is not None:
            given = has_points + has_weight
            if given:
                how = "its 'ahp' matrix" if node.ahp is not None else f"'weights: {node.weights}'"
                self.problem(raw, "children", f"children of '{node.id}' take their weights from {how}; "
                                              f"remove points/weight from {', '.join(given)}")
            return "ahp" if node.ahp is not None else str(node.weights)
        if has_points and has_weight:
            self.problem(raw, "children", f"children of '{node.id}' mix points ({', '.join(has_points)}) and "
                                          f"weight ({', '.join(has_weight)}); use one style among siblings")
        if has_weight:
            missing = [c.id for c in children if c.weight is None]
            if missing:
                self.problem(raw, "children", f"children of '{node.id}' use weights but {', '.join(missing)} has none")
            return "weight"
        return "points"

    def _ahp(self, node: NodeModel, raw: LineDict, children: tuple[Indicator, ...]) -> AHPResult | None:
        matrix = node.ahp or []
        n = len(children)
        if len(matrix) != n or any(len(row) != n for row in matrix):
            self.problem(raw, "ahp", f"AHP matrix of '{node.id}' must be {n}×{n} (one row and column per child)")
            return None
        a = np.asarray(matrix, dtype=float)
        if np.any(a <= 0):
            self.problem(raw, "ahp", f"AHP matrix of '{node.id}' must contain positive numbers only")
            return None
        bad = reciprocity_errors(a)
        if bad:
            cells = ", ".join(f"row {i + 1} col {j + 1}" for i, j in bad[:3])
            self.problem(raw, "ahp", f"AHP matrix of '{node.id}' is not reciprocal (a_ij·a_ji ≠ 1 at {cells})")
            return None
        try:
            result = ahp(a)
        except ValueError as exc:
            self.problem(raw, "ahp", f"AHP matrix of '{node.id}': {exc}")
            return None
        if result.cr >= CR_LIMIT:
            self.problem(raw, "ahp", f"AHP matrix of '{node.id}' is inconsistent: CR = {result.cr:.3f} ≥ 0.10 "
                                     f"(λmax = {result.lambda_max:.3f}); revise the pairwise judgements")
        return result

    def _rule(self, node: NodeModel, raw: LineDict) -> Rule | None:
        if node.metric is None:
            self.problem(raw, "metric", f"leaf indicator '{node.id}' needs a metric")
        if node.rule not in RULES:
            self.problem(raw, "rule", f"unknown rule '{node.rule}' (rules: {', '.join(RULES)})")
            return None
        if node.rule == "target" and (node.target is None or node.target <= 0):
            self.problem(raw, "target", f"rule 'target' of '{node.id}' needs a positive 'target'")
        if node.rule == "per_unit" and (node.per_unit is None or node.per_unit <= 0):
            self.problem(raw, "per_unit", f"rule 'per_unit' of '{node.id}' needs a positive 'per_unit'")
        if node.rule == "bands":
            self._check_bands(node, raw)
        for key, used_by in (("target", "target"), ("per_unit", "per_unit"), ("bands", "bands")):
            if getattr(node, key) is not None and node.rule != used_by:
                self.problem(raw, key, f"'{key}' is only used by rule '{used_by}' (this leaf uses '{node.rule}')")
        return Rule(
            name=node.rule, target=node.target, better=node.better,
            bands=tuple((float(a), float(b)) for a, b in node.bands or ()), per_unit=node.per_unit,
        )

    def _check_bands(self, node: NodeModel, raw: LineDict) -> None:
        bands = node.bands or []
        if not bands:
            self.problem(raw, "bands", f"rule 'bands' of '{node.id}' needs a list of [min_value, points]")
            return
        mins = [b[0] for b in bands]
        if any(a <= b for a, b in itertools.pairwise(mins)):
            self.problem(raw, "bands", f"bands of '{node.id}' must be in descending order of min_value")
        if node.points is not None and any(p > node.points + TOLERANCE or p < 0 for _, p in bands):
            self.problem(raw, "bands", f"band points of '{node.id}' must lie between 0 and its {node.points:g} points")

    def check_scheme(self, scheme: Scheme, data: LineDict) -> None:
        self._check_points(scheme, data)
        self._check_grades(scheme, data)
        self._check_vetoes(data)
        for top in scheme.indicators:
            for child in top.children:
                for below in child.walk():
                    if below.bonus:
                        self.problems.append(Problem(self.file, below.line, "bonus",
                                                     f"only top-level indicators can be bonus ('{below.id}')"))
        if scheme.pass_mark > scheme.total:
            self.problem(data, "pass_mark", f"pass_mark {scheme.pass_mark:g} exceeds total {scheme.total:g}")

    def _check_points(self, scheme: Scheme, data: LineDict) -> None:
        top = [n for n in scheme.indicators if not n.bonus]
        if not top:
            self.problem(data, "indicators", "the scheme has no scored (non-bonus) indicators")
            return
        if any(n.weight is not None for n in top) and any(n.points is not None for n in top):
            self.problem(data, "indicators", "top-level indicators mix points and weight; use one style")
        elif all(n.weight is None for n in top):
            declared = [_declared_points(n) for n in top]
            if any(d is None for d in declared):
                missing = ", ".join(n.id for n, d in zip(top, declared) if d is None)
                self.problem(data, "indicators", f"top-level indicators {missing} have neither points nor weight")
            elif not math.isclose(math.fsum(declared), scheme.total, abs_tol=TOLERANCE):  # type: ignore[arg-type]
                self.problem(data, "total", f"points of the non-bonus indicators sum to "
                                            f"{math.fsum(declared):g}, but total is {scheme.total:g}")  # type: ignore[arg-type]
        for bonus in (n for n in scheme.indicators if n.bonus):
            if _declared_points(bonus) is None:
                self.problems.append(Problem(self.file, bonus.line, "points",
                                             f"bonus indicator '{bonus.id}' needs points"))
        for node in scheme.nodes():
            if node.children and node.child_weighting == "points" and node.points is not None:
                parts = [_declared_points(c) for c in node.children]
                if all(p is not None for p in parts) and not math.isclose(
                        math.fsum(parts), node.points, abs_tol=TOLERANCE):  # type: ignore[arg-type]
                    self.problems.append(Problem(self.file, node.line, "points",
                                                 f"children of '{node.id}' sum to {math.fsum(parts):g} "  # type: ignore[arg-type]
                                                 f"points, but '{node.id}' has {node.points:g}"))
            if node.is_leaf and node.points is None and node.weight is None:
                parent_style = _parent_weighting(scheme, node)
                if parent_style in ("points", "top"):
                    self.problems.append(Problem(self.file, node.line, "points",
                                                 f"leaf '{node.id}' needs points (or weight)"))

    def _check_grades(self, scheme: Scheme, data: LineDict) -> None:
        mins = [g.min for g in scheme.grades]
        if any(a <= b for a, b in itertools.pairwise(mins)):
            self.problem(data, "grades", "grades must be listed from the highest min to the lowest, without repeats")
        labels = [g.label for g in scheme.grades]
        if len(set(labels)) != len(labels):
            self.problem(data, "grades", "grade labels must be unique")
        if mins and mins[-1] > 0:
            self.problem(data, "grades", f"the lowest grade must start at 0 (it starts at {mins[-1]:g})")
        highest = scheme.total + scheme.bonus_cap
        for grade in scheme.grades:
            if grade.min > highest + TOLERANCE:
                self.problem(data, "grades", f"grade '{grade.label}' starts at {grade.min:g}, above the highest "
                                             f"total a pilot can reach ({highest:g} = total + bonus_cap)")

    def _check_vetoes(self, data: LineDict) -> None:
        seen: set[str] = set()
        for raw in data.get("vetoes") or []:
            veto_id = raw.get("id")
            if veto_id in seen:
                self.problem(raw, "id", f"duplicate veto id '{veto_id}'")
            elif not is_identifier(str(veto_id)):
                self.problem(raw, "id", f"veto id '{veto_id}' may contain only letters, digits, '_', '.' and '-'")
            seen.add(veto_id)
            op = raw.get("op", "truthy")
            if op != "truthy" and raw.get("value") is None:
                self.problem(raw, "value", f"veto '{veto_id}' with op '{op}' needs a value")
            if op == "truthy" and raw.get("value") is not None:
                self.problem(raw, "value", f"veto '{veto_id}' with op 'truthy' takes no value "
                                           f"(compare with '>', '>=', '==' … to use one)")


def _parent_weighting(scheme: Scheme, target: Indicator) -> str:
    if target in scheme.indicators:
        return "top"
    for node in scheme.nodes():
        if target in node.children:
            return node.child_weighting
    return ""
