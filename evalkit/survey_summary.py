"""Survey construct summaries for the reports: level, interval and reliability per pilot.

One call summarises every pilot at once; the work is grouped by pilot with pandas, with a
Python loop only over the questionnaire's constructs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from evalkit.questionnaire import Questionnaire
from evalkit.stats import MIN_N

__all__ = ["SUMMARY_COLUMNS", "construct_summary", "recode_answers"]

SUMMARY_COLUMNS = [
    "pilot_id",
    "construct",
    "construct_label",
    "n",
    "mean",
    "score",
    "ci_low",
    "ci_high",
    "alpha",
]


def recode_answers(surveys: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """The questionnaire's item columns as floats, reverse-coded items recoded min + max − x.

    Parameters
    ----------
    surveys : pandas.DataFrame
        One row per respondent with one column per questionnaire item (NaN = missing).
    questionnaire : Questionnaire
        Scale and items.

    Returns
    -------
    pandas.DataFrame
        Same index as ``surveys``, one float column per item in questionnaire order.

    Raises
    ------
    ValueError
        An item column is missing or not numeric, or an answer lies outside the scale
        (the message names the item, the value and the row label).

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.questionnaire import Construct, Item, Questionnaire
    >>> q = Questionnaire("q", "", 1, 5, {"a": Construct(label="知晓")},
    ...                   {"Q1": Item(construct="a", group="staff", label="…"),
    ...                    "Q2": Item(construct="a", group="staff", label="…", reverse=True)}, None)
    >>> recode_answers(pd.DataFrame({"Q1": [5, 4], "Q2": [1, None]}), q)
        Q1   Q2
    0  5.0  5.0
    1  4.0  NaN
    """
    items = list(questionnaire.items)
    missing = [item for item in items if item not in surveys.columns]
    if missing:
        raise ValueError(f"surveys: no column for questionnaire item(s) {', '.join(missing)}")
    not_numeric = [item for item in items if not pd.api.types.is_numeric_dtype(surveys[item])]
    if not_numeric:
        raise ValueError(f"surveys: item column(s) {', '.join(not_numeric)} are not numeric")
    answers = surveys[items].astype(float)
    for item in items:  # each item on its own scale (its answer set's, else the questionnaire's)
        low, high = questionnaire.item_scale(item)
        outside = answers[item].lt(low) | answers[item].gt(high)
        if outside.any():
            row = outside.idxmax()
            raise ValueError(
                f"surveys: row {row}, item {item}: {answers.at[row, item]:g} is outside the scale {low}–{high}"
            )
        if questionnaire.items[item].reverse:
            answers[item] = low + high - answers[item]
    return answers


def construct_summary(
    surveys: pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    r"""Per pilot and construct: respondents, mean, score in [0, 1], its interval, and α.

    Parameters
    ----------
    surveys : pandas.DataFrame
        The campaign's canonical surveys table: ``pilot_id``, ``respondent_id``, ``group``
        and one float column per questionnaire item (NaN = missing), one row per respondent.
    questionnaire : Questionnaire
        Scale, constructs (with their Chinese labels) and items (with ``reverse``).
    confidence : float, default 0.95
        Coverage of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per (pilot, construct) — every pilot in ``surveys`` times every construct of
        the questionnaire — sorted by ``pilot_id`` and then the questionnaire's construct
        order, with columns:

        ``pilot_id``, ``construct``, ``construct_label``;
        ``n``: respondents with at least one answer in the construct (the metric ``survey.<c>.n``, docs/metrics.md);
        ``mean``: mean of all non-missing answers to the construct's items, on the scale
        (when the items have different scales — 3-, 4-, 5-point answer sets — each answer
        is first rescaled to [0, 1] on its own item's scale, and ``mean`` is on [0, 1]);
        ``score``: ``(mean − min)/(max − min)``, equal to the metric ``survey.<construct>``;
        ``ci_low``, ``ci_high``: Student-t interval of the respondents' own construct means,
        rescaled to [0, 1] like ``score`` and truncated to [0, 1]; ``nan`` when ``n < 2``;
        ``alpha``: Cronbach's α of the construct's items within the pilot, over the
        respondents who answered all of them; ``nan`` (without warning) when the construct
        has fewer than 2 items, fewer than :data:`evalkit.stats.MIN_N` respondents answered
        them all, or an item was answered identically by all of them — the same cases in
        which :func:`evalkit.stats.cronbach_alpha` returns ``nan``.

    Raises
    ------
    ValueError
        ``pilot_id`` or an item column is missing, or an answer lies outside the scale.

    Notes
    -----
    Reverse-coded items are recoded :math:`x' = min + max - x` first. The interval is
    :math:`\bar m \pm t_{1-\gamma/2,\,n-1}\, s_m/\sqrt{n}` over the respondents' construct
    means :math:`m_r`; its centre :math:`\bar m` equals ``mean`` when no respondent skipped
    an item of the construct, and otherwise weights respondents equally rather than
    answers. α per pilot uses the variance form of :func:`evalkit.stats.cronbach_alpha`,

    .. math:: \alpha = \frac{k}{k-1}\left(1 - \frac{\sum_i s_i^2}{s_X^2}\right),

    with variances computed per pilot by a grouped ``var``.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.questionnaire import Construct, Item, Questionnaire
    >>> q = Questionnaire("q", "", 1, 5, {"awareness": Construct(label="标准知晓")},
    ...                   {"Q1": Item(construct="awareness", group="staff", label="…"),
    ...                    "Q2": Item(construct="awareness", group="staff", label="…", reverse=True)},
    ...                   None)
    >>> surveys = pd.DataFrame({"pilot_id": ["P1"] * 4, "respondent_id": [1, 2, 3, 4],
    ...                         "group": "staff", "Q1": [5, 4, 4, 3], "Q2": [1, 2, 1, 3]})
    >>> s = construct_summary(surveys, q)
    >>> s[["pilot_id", "construct", "n", "mean", "score", "alpha"]].round(3)
      pilot_id  construct  n   mean  score  alpha
    0       P1  awareness  4  4.125  0.781  0.914
    """
    if "pilot_id" not in surveys.columns:
        raise ValueError("surveys: no pilot_id column")
    answers = recode_answers(surveys, questionnaire)
    pilot = surveys["pilot_id"].rename("pilot_id")
    pilots = pd.Index(sorted(pilot.dropna().unique()), name="pilot_id")
    parts = []
    for construct, definition in questionnaire.constructs.items():
        items = questionnaire.items_of(construct)
        scales = {questionnaire.item_scale(item) for item in items}
        if len(scales) == 1:
            (low, high), = scales
            span = high - low
            construct_answers = answers[items]
        else:  # items of 3, 4, 5 points: each answer rescaled to [0, 1] on its own item's scale
            low, span = 0, 1
            construct_answers = pd.DataFrame({item: (answers[item] - questionnaire.item_scale(item)[0])
                                              / (questionnaire.item_scale(item)[1] - questionnaire.item_scale(item)[0])
                                              for item in items})
        stats = _construct_stats(construct_answers, pilot, confidence)
        stats = stats.reindex(pilots).assign(
            construct=construct,
            construct_label=definition.label,
            n=lambda f: f["n"].fillna(0).astype(int),
            score=lambda f: (f["mean"] - low) / span,  # noqa: B023 - called by assign, here
            ci_low=lambda f: ((f["ci_low"] - low) / span).clip(0, 1),  # noqa: B023
            ci_high=lambda f: ((f["ci_high"] - low) / span).clip(0, 1),  # noqa: B023
        )
        parts.append(stats.reset_index())
    if not parts:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    # parts are in questionnaire order, so a stable sort by pilot keeps constructs in that order
    summary = pd.concat(parts, ignore_index=True).sort_values("pilot_id", kind="stable")
    return summary[SUMMARY_COLUMNS].reset_index(drop=True)


def _construct_stats(answers: pd.DataFrame, pilot: pd.Series, confidence: float) -> pd.DataFrame:
    """n, mean, t interval (on the scale) and α of one construct's items, per pilot."""
    answered = answers.notna().sum(axis=1)
    total = answers.sum(axis=1, min_count=1)
    by_pilot = pd.DataFrame(
        {"answered": answered, "total": total, "person": total / answered.where(answered > 0)}
    )
    groups = by_pilot.groupby(pilot)
    n = groups["person"].count()
    mean = groups["total"].sum(min_count=1) / groups["answered"].sum().where(lambda a: a > 0)
    centre, sd = groups["person"].mean(), groups["person"].std(ddof=1)
    with np.errstate(invalid="ignore"):
        half = special.stdtrit(n - 1, (1 + confidence) / 2) * sd / np.sqrt(n)  # t quantile (scipy.stats.t.ppf)
    return pd.DataFrame(
        {
            "n": n,
            "mean": mean,
            "ci_low": (centre - half).where(n >= 2),
            "ci_high": (centre + half).where(n >= 2),
            "alpha": _grouped_alpha(answers, pilot),
        }
    )


def _grouped_alpha(answers: pd.DataFrame, pilot: pd.Series) -> pd.Series:
    """Cronbach's α per pilot over complete respondents; nan where undefined (see construct_summary)."""
    k = answers.shape[1]
    if k < 2:
        return pd.Series(np.nan, index=pd.Index(pilot.unique(), name="pilot_id"), dtype=float)
    complete = answers.notna().all(axis=1)
    items, who = answers[complete], pilot[complete]
    item_var = items.groupby(who).var(ddof=1)
    total_var = items.sum(axis=1).groupby(who).var(ddof=1)
    size = items.groupby(who).size()
    alpha = k / (k - 1) * (1 - item_var.sum(axis=1) / total_var)
    defined = (size >= MIN_N) & (item_var > 0).all(axis=1)
    return alpha.where(defined)
