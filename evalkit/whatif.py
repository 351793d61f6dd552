"""What if: compare two scorings, and re-score many variants of a campaign at once.

The evaluator's questions — what if this expert's score were different, this weight
larger, this AHP judgement one step milder, the pass mark 75? — are answered by changing
the inputs and scoring again::

    import evalkit as ek
    campaign = ek.load_campaign("params/demo.yaml")
    before = ek.score(campaign)
    experts = campaign.tables["experts"].copy()
    experts.loc[experts["expert_id"] == "E03", "score"] -= 1
    after = ek.score(campaign.replace(experts=experts))                 # any table by name
    ek.compare(before, after)                                            # the pilots that changed
    lenient = campaign.replace(scheme=campaign.scheme.replace(pass_mark=75))
    ek.compare(before, ek.score(lenient))

A replaced campaign is a what-if: it scores like any campaign, but it has no input files
of its own, so it cannot be published or verified (:meth:`Campaign.input_files` refuses).

:class:`ScoreModel` re-scores a campaign for many variants at once — other indicator
maxima (weights) and other expert aggregates, for every pilot, as arrays — which is what
:func:`evalkit.robustness` and :func:`evalkit.quality.expert_flags` need. It reproduces
:func:`evalkit.score`'s totals, grades and passes (same rules, same rounding, vetoes as
scored), with the metrics of the other evidence held as scored.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.campaign import Campaign
from evalkit.rules import TOLERANCE, rule_points
from evalkit.scheme import Scheme
from evalkit.scoring import DECIMALS, Scores, score

__all__ = ["ExpertPanels", "Rescored", "ScoreModel", "compare"]

#: Points closer than this count as unchanged.
CHANGE_TOLERANCE = 1e-9


def compare(before: Scores, after: Scores) -> pd.DataFrame:
    """The pilots whose total, grade or pass differ between two scorings.

    Parameters
    ----------
    before, after : Scores
        E.g. ``ek.score(campaign)`` and ``ek.score(campaign.replace(...))``. Pilots are
        matched by ``pilot_id``; a pilot in only one of them is left out.

    Returns
    -------
    DataFrame
        One row per changed pilot, sorted by ``pilot_id``: ``pilot_id``, ``name``,
        ``total_before``, ``total_after``, ``change`` (after − before), ``grade_before``,
        ``grade_after``, ``passed_before``, ``passed_after`` and ``moved`` (the ids of the
        scored indicators, leaves, whose points changed, space-separated). Empty when
        nothing changed.

    Examples
    --------
    >>> import evalkit as ek
    >>> campaign = ek.load_campaign("params/demo.yaml")
    >>> strict = campaign.replace(scheme=campaign.scheme.replace(pass_mark=85))
    >>> changed = ek.compare(ek.score(campaign), ek.score(strict))
    >>> bool((changed["passed_before"] & ~changed["passed_after"]).all())
    True
    """
    key = before.key
    merged = before.table.merge(after.table, on=key, suffixes=("_before", "_after"), sort=True)
    leaves = [leaf.id for leaf in before.scheme.leaves() if leaf.id in set(after.table.columns)]
    moved_points = pd.DataFrame({leaf: (merged[f"{leaf}_after"] - merged[f"{leaf}_before"]).abs() > CHANGE_TOLERANCE
                                 for leaf in leaves}, index=merged.index)
    change = merged["total_after"] - merged["total_before"]
    changed = ((change.abs() > CHANGE_TOLERANCE) | (merged["grade_before"] != merged["grade_after"])
               | (merged["passed_before"] != merged["passed_after"]))
    label = before.info_columns[1]
    out = pd.DataFrame({
        key: merged[key], label: merged[f"{label}_before"],
        "total_before": merged["total_before"], "total_after": merged["total_after"], "change": change.round(DECIMALS),
        "grade_before": merged["grade_before"], "grade_after": merged["grade_after"],
        "passed_before": merged["passed_before"], "passed_after": merged["passed_after"],
        "moved": [" ".join(np.array(leaves, dtype=object)[row]) for row in moved_points.to_numpy(dtype=bool)],
    })
    return out[changed.to_numpy()].reset_index(drop=True)


@dataclass(frozen=True)
class ExpertPanels:
    """Every pilot's expert panel as arrays: one slot per expert of the pilot.

    Attributes
    ----------
    pilots : list of str
        Every pilot, sorted (the rows of ``Scores.table``).
    experts : list of list of str
        Each pilot's experts, sorted by ``expert_id``; slot k of a pilot is its k-th expert.
    sizes : ndarray of int, shape (pilots,)
        Experts per pilot.
    scores : dict of str to ndarray, shape (pilots, width)
        Indicator id (``expert.<indicator_id>``) -> the score of each slot's expert, NaN
        where that expert did not score the indicator or the slot is empty.
    aggregate_name : str
        The scheme's ``expert_aggregate``.
    """

    pilots: list[str]
    experts: list[list[str]]
    sizes: np.ndarray
    scores: dict[str, np.ndarray]
    aggregate_name: str

    @classmethod
    def of(cls, experts: pd.DataFrame, pilots: list[str], indicators: list[str], aggregate: str) -> ExpertPanels:
        """Panels of ``pilots`` on ``indicators`` from the campaign's experts table."""
        rows = experts[experts["indicator_id"].isin(indicators)].dropna(subset=["score"])
        rows = rows[rows["pilot_id"].isin(pilots)]
        panel = rows[["pilot_id", "expert_id"]].drop_duplicates().sort_values(["pilot_id", "expert_id"])
        panel["slot"] = panel.groupby("pilot_id", sort=False).cumcount()
        members = panel.groupby("pilot_id", sort=False)["expert_id"].agg(list)
        names = [list(members.get(pilot, [])) for pilot in pilots]
        width = max((len(n) for n in names), default=0)
        placed = rows.merge(panel, on=["pilot_id", "expert_id"], how="left")
        row = pd.Index(pilots).get_indexer(placed["pilot_id"])
        slot, score = placed["slot"].to_numpy(dtype=int), placed["score"].to_numpy(dtype=float)
        scores = {}
        for indicator in indicators:
            grid = np.full((len(pilots), width), np.nan)
            mine = (placed["indicator_id"] == indicator).to_numpy()
            grid[row[mine], slot[mine]] = score[mine]
            scores[indicator] = grid
        return cls(list(pilots), names, np.array([len(n) for n in names], dtype=int), scores, aggregate)

    @property
    def width(self) -> int:
        """Slots per pilot: the largest panel."""
        return int(self.sizes.max(initial=0))

    def wide(self) -> dict[str, pd.DataFrame]:
        """Indicator id -> pilots × expert ids table of scores (NaN where not scored)."""
        out = {}
        for indicator, grid in self.scores.items():
            long = [(self.pilots[p], self.experts[p][k], grid[p, k]) for p, k in zip(*np.nonzero(np.isfinite(grid)))]
            frame = pd.DataFrame(long, columns=["pilot_id", "expert_id", "score"])
            out[indicator] = frame.pivot(index="pilot_id", columns="expert_id", values="score").reindex(self.pilots)
        return out

    def aggregate(self, keep: np.ndarray | None = None, take: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Each indicator's aggregated panel score for variants of the panels.

        Parameters
        ----------
        keep : bool ndarray, shape (variants, pilots, width), optional
            Which slots count in each variant (leave-one-out: all but one).
        take : int ndarray, shape (variants, pilots, width), optional
            The slots each variant draws (a bootstrap of the panel: slot indices below
            the pilot's panel size, and a slot index at or above it for an unused place).

        Returns
        -------
        dict of str to ndarray, shape (variants, pilots)
            NaN where a variant's panel has no score.
        """
        out = {}
        for indicator, grid in self.scores.items():
            if take is not None:
                padded = np.concatenate([grid, np.full((len(grid), 1), np.nan)], axis=1)
                rows = np.arange(len(grid))[None, :, None]
                values = padded[rows, np.minimum(take, grid.shape[1])]
            else:
                values = np.broadcast_to(grid, keep.shape if keep is not None else (1, *grid.shape)).copy()
            if keep is not None:
                values[~keep] = np.nan
            out[indicator] = aggregate_panel(values, self.aggregate_name)
        return out


def aggregate_panel(values: np.ndarray, how: str) -> np.ndarray:
    """Aggregate panel scores along the last axis, NaN = no score (as :mod:`evalkit.metrics.expert`).

    ``mean``; ``median``; ``trimmed_mean``: with at least 5 scores, the mean without one
    lowest and one highest.
    """
    n = np.isfinite(values).sum(axis=-1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # empty panels give NaN
        if how == "median":
            return np.nanmedian(values, axis=-1)
        total = np.nansum(values, axis=-1)
        if how == "trimmed_mean":  # drop one lowest and one highest score: their sum is min + max
            trim = n >= 5
            total = np.where(trim, total - np.nanmin(values, axis=-1) - np.nanmax(values, axis=-1), total)
            n = np.where(trim, n - 2, n)
        return np.where(n > 0, total / n, np.nan)


@dataclass(frozen=True)
class Rescored:
    """Totals, grades and passes of many variants: arrays of shape (variants, pilots)."""

    totals: np.ndarray
    grades: np.ndarray
    passed: np.ndarray


@dataclass(frozen=True)
class ScoreModel:
    """A scored campaign as arrays, for re-scoring many variants at once.

    Attributes
    ----------
    scheme : Scheme
    table : DataFrame
        ``Scores.table`` of the campaign as scored.
    leaves : list of str
        Leaf ids in scheme order.
    scales : dict of str to float
        Each leaf's scale (rule points are on it).
    unit : ndarray, shape (leaves, pilots)
        Each leaf's rule output ÷ scale as scored (missing metrics 0).
    maxima : dict of str to float
        Every node's maximum points as scored.
    bonus : ndarray of bool, shape (leaves,)
        Leaves under a bonus (加分) node.
    panels : ExpertPanels or None
        The expert panels of the expert-scored leaves (None without experts).
    expert_leaves : dict of str to str
        Leaf id -> the indicator id of its ``expert.<indicator_id>`` metric.
    """

    scheme: Scheme
    table: pd.DataFrame
    leaves: list[str]
    scales: dict[str, float]
    unit: np.ndarray
    maxima: dict[str, float]
    bonus: np.ndarray
    panels: ExpertPanels | None
    expert_leaves: dict[str, str]

    @classmethod
    def of(cls, campaign: Campaign, scores: Scores | None = None) -> ScoreModel:
        """The model of ``campaign`` (scored here unless ``scores`` is given)."""
        scores = scores if scores is not None else score(campaign)
        scheme = scores.scheme
        scales = scheme.leaf_scales()
        leaves = scheme.leaves()
        unit = np.vstack([np.nan_to_num(rule_points(leaf.rule, scores.metrics[leaf.metric], scales[leaf.id])
                                        .to_numpy(dtype=float) / scales[leaf.id] if scales[leaf.id] > 0
                                        else np.zeros(len(scores.table)), nan=0.0) for leaf in leaves])
        bonus_ids = {n.id for top in scheme.indicators if top.bonus for n in top.walk()}
        expert_leaves = {leaf.id: leaf.metric.split(".", 1)[1] for leaf in leaves
                         if leaf.metric and leaf.metric.startswith("expert.")}
        experts = campaign.table("experts")
        panels = None
        if experts is not None and expert_leaves:
            panels = ExpertPanels.of(experts, scores.table[scores.key].tolist(),
                                     list(dict.fromkeys(expert_leaves.values())), scheme.expert_aggregate)
        return cls(scheme, scores.table, [leaf.id for leaf in leaves], scales, unit, dict(scores.maxima),
                   np.array([leaf.id in bonus_ids for leaf in leaves]), panels, expert_leaves)

    def leaf_maxima(self) -> np.ndarray:
        """The leaves' maxima as scored, shape (leaves,)."""
        return np.array([self.maxima[leaf] for leaf in self.leaves])

    def rescore(self, maxima: np.ndarray | None = None, expert_values: dict[str, np.ndarray] | None = None) -> Rescored:
        """Totals, grades and passes of variants of the campaign.

        Parameters
        ----------
        maxima : ndarray, shape (variants, leaves), optional
            Each variant's leaf maxima (default: as scored).
        expert_values : dict of str to ndarray, shape (variants, pilots), optional
            Indicator id -> each variant's aggregated panel score (NaN: no score, which
            scores 0 as under ``missing: zero``); other indicators as scored.

        Returns
        -------
        Rescored
        """
        variants = (len(maxima) if maxima is not None
                    else len(next(iter(expert_values.values()))) if expert_values else 1)
        maxima = maxima if maxima is not None else np.broadcast_to(self.leaf_maxima(), (variants, len(self.leaves)))
        base = maxima[:, ~self.bonus] @ self.unit[~self.bonus]
        bonus = maxima[:, self.bonus] @ self.unit[self.bonus]
        for leaf_id, indicator in self.expert_leaves.items():
            if not expert_values or indicator not in expert_values:
                continue
            i = self.leaves.index(leaf_id)
            leaf = self.scheme.node(leaf_id)
            values = expert_values[indicator]
            scale = self.scales[leaf_id]
            points = rule_points(leaf.rule, pd.Series(values.ravel()), scale).to_numpy(dtype=float).reshape(values.shape)
            unit = np.nan_to_num(points / scale, nan=0.0) if scale > 0 else np.zeros_like(points)
            delta = maxima[:, i][:, None] * (unit - self.unit[i][None, :])
            if self.bonus[i]:
                bonus = bonus + delta
            else:
                base = base + delta
        totals = np.round(np.minimum(base + bonus, self.scheme.total + self.scheme.bonus_cap), DECIMALS) + 0.0
        vetoed = self.table["vetoed"].to_numpy(dtype=bool)[None, :]
        return Rescored(totals, np.where(vetoed, self.scheme.fail_grade, grades_for(self.scheme, totals)),
                        ~vetoed & (totals >= self.scheme.pass_mark))


def grades_for(scheme: Scheme, totals: np.ndarray) -> np.ndarray:
    """:meth:`Scheme.grade_for` of every total of an array (object array of labels)."""
    lower = np.array([grade.min for grade in scheme.grades]) - TOLERANCE
    labels = np.array([grade.label for grade in scheme.grades] + [scheme.grades[-1].label], dtype=object)
    reached = totals[..., None] >= lower
    first = np.where(reached.any(axis=-1), np.argmax(reached, axis=-1), len(scheme.grades))
    return labels[first]
