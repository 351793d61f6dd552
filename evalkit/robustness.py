"""How safe is each pilot's grade? Monte Carlo re-scoring under reasonable doubt.

:func:`robustness` re-scores every pilot ``draws`` times, each time with the scheme's
weights, its AHP judgements and the expert panels perturbed within stated ranges, and
reports how often each pilot's grade and pass change and the 5–95 % range of its total.
All draws of all pilots are computed as arrays (:class:`evalkit.whatif.ScoreModel`), a
few hundred draws at a time: 1,000 draws of 500 pilots take seconds
(``benchmarks/robustness.py``).

The perturbation model (each part can be switched off):

* **Weights** — at every node whose children share its points by ``points``, ``weight``,
  ``entropy`` or ``critic`` (and among the scored top-level parts), the children's shares
  :math:`s` as scored are replaced by a draw from a Dirichlet distribution with
  parameters :math:`c\\,s` (``concentration`` :math:`c`, default 100): the shares keep
  their mean and their sum, and each varies with standard deviation
  :math:`\\sqrt{s(1-s)/(c+1)}` — for a share of 0.25, 0.043 (17 % of it).
* **AHP judgements** — at every node weighted by an AHP matrix, each judgement above the
  diagonal moves independently by −1, 0 or +1 step (``ahp_steps``) on Saaty's scale
  1/9, 1/8 … 1/2, 1, 2 … 9, each with equal probability, its reciprocal mirrored below;
  the children's shares are the perturbed matrix's principal eigenvector. (A perturbed
  matrix is used whatever its consistency ratio.)
* **Expert panels** — each pilot's panel is resampled with replacement (a bootstrap of
  its experts, the same size; an expert drawn brings all their scores) and aggregated by
  the scheme's ``expert_aggregate``.

Everything else — the other metrics, the rules, the bonus points, the vetoes — stays as
scored: a vetoed pilot stays vetoed. Totals are rounded and graded as
:func:`evalkit.score` does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.campaign import Campaign
from evalkit.scheme import Indicator
from evalkit.scoring import Scores
from evalkit.whatif import ScoreModel

__all__ = ["SAATY_SCALE", "robustness"]

#: Saaty's 1–9 scale with its reciprocals, in increasing order.
SAATY_SCALE = np.array([1 / k for k in range(9, 1, -1)] + list(range(1, 10)), dtype=float)
#: Draws computed at once (bounds the memory of the expert panels' arrays).
CHUNK = 250


def robustness(campaign: Campaign, draws: int = 1000, seed: int = 0, *, concentration: float | None = 100.0,
               ahp_steps: int = 1, resample_experts: bool = True, scores: Scores | None = None) -> pd.DataFrame:
    """Probability that each pilot's grade and pass change under perturbed weights, AHP
    judgements and expert panels, and the 5–95 % range of its total.

    Parameters
    ----------
    campaign : Campaign
    draws : int, default 1000
        Perturbed re-scorings.
    seed : int, default 0
        Seed of the random generator (the result is the same for the same seed).
    concentration : float or None, default 100
        Dirichlet concentration of the sibling shares (larger: less doubt); None keeps
        the weights as scored.
    ahp_steps : int, default 1
        Largest move of an AHP judgement, in steps of Saaty's scale; 0 keeps them.
    resample_experts : bool, default True
        Bootstrap each pilot's expert panel.
    scores : Scores, optional
        ``ek.score(campaign)`` when already at hand.

    Returns
    -------
    DataFrame
        One row per pilot in ``scores.table`` order: ``pilot_id``, ``name``, ``total``,
        ``grade``, ``passed`` (as scored), ``p_grade_change`` and ``p_pass_change`` (share
        of draws in which the grade, the pass differ from the scored ones), ``total_p05``
        and ``total_p95`` (5th and 95th percentiles of the total over the draws).

    Notes
    -----
    The model is described in the module's documentation (:mod:`evalkit.robustness`)
    and in ``docs/workbench.md``. Dirichlet perturbation of weights follows Butler, Jia &
    Dyer (1997); the ±1 step on Saaty's scale is the usual sensitivity range of a pairwise
    judgement; bootstrapping the panel follows Efron & Tibshirani (1993).

    References
    ----------
    Butler, J., Jia, J., & Dyer, J. (1997). Simulation techniques for the sensitivity
    analysis of multi-criteria decision models. *European Journal of Operational
    Research*, 103(3), 531–546.

    Saaty, T. L. (1980). *The Analytic Hierarchy Process*. New York: McGraw-Hill.

    Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. New York:
    Chapman & Hall.

    Examples
    --------
    >>> import evalkit as ek
    >>> table = ek.robustness(ek.load_campaign("params/demo.yaml"), draws=200, seed=1)
    >>> table.columns.tolist()[-4:]
    ['p_grade_change', 'p_pass_change', 'total_p05', 'total_p95']
    >>> bool((table["total_p05"] <= table["total_p95"]).all())
    True
    """
    if draws < 1:
        raise ValueError(f"robustness needs at least one draw, got {draws}")
    model = ScoreModel.of(campaign, scores)
    rng = np.random.default_rng(seed)
    grade, passed = model.table["grade"].to_numpy(dtype=object), model.table["passed"].to_numpy()
    grade_changes = np.zeros(len(model.table))
    pass_changes = np.zeros(len(model.table))
    totals = []
    for start in range(0, draws, CHUNK):
        size = min(CHUNK, draws - start)
        maxima = _perturbed_maxima(model, size, rng, concentration, ahp_steps)
        experts = None
        if resample_experts and model.panels is not None and model.panels.width > 0:
            panels = model.panels
            take = np.floor(rng.random((size, len(panels.pilots), panels.width))
                            * np.maximum(panels.sizes, 1)[None, :, None]).astype(int)
            take = np.where(np.arange(panels.width)[None, None, :] < panels.sizes[None, :, None], take, panels.width)
            experts = panels.aggregate(take=take)
        result = model.rescore(maxima, experts)
        grade_changes += (result.grades != grade[None, :]).sum(axis=0)
        pass_changes += (result.passed != passed[None, :]).sum(axis=0)
        totals.append(result.totals)
    low, high = np.percentile(np.vstack(totals), [5, 95], axis=0)
    key, label = model.table.columns[:2]
    return pd.DataFrame({
        key: model.table[key], label: model.table[label], "total": model.table["total"], "grade": grade,
        "passed": passed, "p_grade_change": grade_changes / draws, "p_pass_change": pass_changes / draws,
        "total_p05": low, "total_p95": high,
    })


def _perturbed_maxima(model: ScoreModel, size: int, rng: np.random.Generator, concentration: float | None,
                      ahp_steps: int) -> np.ndarray:
    """Leaf maxima of ``size`` draws, shape (size, leaves): shares perturbed top-down."""
    scheme, maxima = model.scheme, model.maxima
    drawn: dict[str, np.ndarray] = {}
    scored = [node for node in scheme.indicators if not node.bonus]
    for node, share in zip(scored, _shares(scored, scheme.total, maxima, size, rng, concentration)):
        drawn[node.id] = scheme.total * share
    for node in scheme.indicators:
        if node.bonus:
            drawn[node.id] = np.full(size, maxima[node.id])

    def visit(node: Indicator) -> None:
        if node.is_leaf:
            return
        if node.child_weighting == "ahp" and node.ahp is not None and node.ahp.matrix is not None and ahp_steps > 0:
            shares = _ahp_shares(node.ahp.matrix, size, rng, ahp_steps)
        else:
            shares = _shares(node.children, maxima[node.id], maxima, size, rng, concentration)
        for child, share in zip(node.children, shares):
            drawn[child.id] = drawn[node.id] * share
            visit(child)

    for top in scheme.indicators:
        visit(top)
    return np.column_stack([drawn[leaf] for leaf in model.leaves])


def _shares(children: tuple[Indicator, ...] | list[Indicator], budget: float, maxima: dict[str, float], size: int,
            rng: np.random.Generator, concentration: float | None) -> list[np.ndarray]:
    """Each child's share of ``budget`` in every draw: as scored, or Dirichlet around it."""
    scored = np.array([maxima[child.id] / budget if budget > 0 else 0.0 for child in children])
    if concentration is None or len(children) < 2 or budget <= 0:
        return [np.full(size, share) for share in scored]
    positive = scored > 0
    shares = np.zeros((size, len(children)))
    if positive.sum() >= 2:
        shares[:, positive] = rng.dirichlet(concentration * scored[positive], size=size)
    else:
        shares[:, positive] = 1.0
    return list(shares.T)


def _ahp_shares(matrix: np.ndarray, size: int, rng: np.random.Generator, steps: int) -> list[np.ndarray]:
    """Children's shares of ``size`` draws of the matrix with each judgement moved by up to
    ``steps`` steps of Saaty's scale (principal eigenvector of each perturbed matrix)."""
    n = len(matrix)
    upper = np.triu_indices(n, k=1)
    judgements = matrix[upper]
    position = np.abs(np.log(SAATY_SCALE)[None, :] - np.log(judgements)[:, None]).argmin(axis=1)
    moves = rng.integers(-steps, steps + 1, size=(size, len(judgements)))
    moved = SAATY_SCALE[np.clip(position[None, :] + moves, 0, len(SAATY_SCALE) - 1)]
    values = np.where(moves == 0, judgements[None, :], moved)
    stack = np.ones((size, n, n))
    stack[:, upper[0], upper[1]] = values
    stack[:, upper[1], upper[0]] = 1 / values
    eigenvalues, eigenvectors = np.linalg.eig(stack)
    principal = np.argmax(eigenvalues.real, axis=1)
    vectors = np.abs(np.take_along_axis(eigenvectors.real, principal[:, None, None], axis=2)[:, :, 0])
    return list((vectors / vectors.sum(axis=1, keepdims=True)).T)
