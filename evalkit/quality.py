"""Data quality behind the scores: untrustworthy survey respondents and expert panels.

* :func:`reliability` and :func:`construct_items` — the questionnaire's reliability and
  validity per construct (Cronbach's α with its interval, McDonald's ω, KMO, Bartlett's
  test) and its item analysis, over the campaign's respondents.
* :func:`survey_flags` — one row per survey respondent with the flags of
  :mod:`evalkit.respondents` (straight-lining, duplicates, too-fast answers);
  :func:`flag_summary` gives each pilot's share of flagged respondents. Whether flagged
  respondents count in the scores is the campaign file's choice
  (``quality: {exclude_flagged: false, too_fast_seconds: 60}``; by default they are kept
  and reported).
* :func:`expert_flags` — per indicator, how far the experts agree (ICC, Kendall's W);
  which experts' scores lie far from the rest of their panel; and for each pilot whether
  leaving any one expert out changes its grade or its pass.

See ``docs/workbench.md`` for the definitions and thresholds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.campaign import Campaign
from evalkit.respondents import FLAG_COLUMNS, answer_durations, respondent_flags
from evalkit.scoring import Scores
from evalkit.stats import (
    StatisticsWarning,
    bartlett_sphericity,
    cronbach_alpha,
    icc,
    item_analysis,
    kendall_w,
    kmo,
    mcdonald_omega,
)
from evalkit.survey_summary import recode_answers
from evalkit.whatif import ExpertPanels, ScoreModel

__all__ = ["OUTLIER_SHARE", "ExpertFlags", "construct_items", "expert_flags", "flag_summary", "reliability",
           "survey_flags", "timed_respondents"]

#: An expert's score is an outlier when it lies at least this share of the indicator's
#: points from the median of the other experts of the panel.
OUTLIER_SHARE = 0.3


def reliability(campaign: Campaign) -> pd.DataFrame:
    """Reliability and factorability of each construct of the questionnaire, over all pilots.

    Parameters
    ----------
    campaign : Campaign
        With a surveys table; reverse-worded items are recoded first
        (:func:`evalkit.survey_summary.recode_answers`).

    Returns
    -------
    DataFrame
        Index ``construct`` (questionnaire order): ``label``, ``items``, ``n`` (respondents
        who answered every item of the construct), ``alpha``, ``alpha_low``, ``alpha_high``
        (Feldt's 95 % interval, :func:`evalkit.stats.cronbach_alpha`), ``omega``
        (:func:`evalkit.stats.mcdonald_omega`, 3 items or more), ``kmo``,
        ``bartlett_chi2``, ``bartlett_df``, ``bartlett_p``. NaN where a statistic is
        undefined (a one-item construct, too few respondents, a constant item).
    """
    answers, questionnaire = recode_answers(campaign.tables["surveys"], campaign.questionnaire), campaign.questionnaire
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticsWarning)  # undefined cases are nan in the table
        for construct, definition in questionnaire.constructs.items():
            items = answers[questionnaire.items_of(construct)]
            row = {"construct": construct, "label": definition.label, "items": items.shape[1],
                   "n": len(items.dropna()), "alpha": np.nan, "alpha_low": np.nan, "alpha_high": np.nan,
                   "omega": np.nan, "kmo": np.nan, "bartlett_chi2": np.nan, "bartlett_df": np.nan,
                   "bartlett_p": np.nan}
            if items.shape[1] >= 2:
                alpha = cronbach_alpha(items)
                sphericity = bartlett_sphericity(items)
                row.update(alpha=alpha.value, alpha_low=alpha.ci_low, alpha_high=alpha.ci_high, kmo=kmo(items),
                           bartlett_chi2=sphericity.chi2, bartlett_df=sphericity.df, bartlett_p=sphericity.pvalue)
            if items.shape[1] >= 3:
                row["omega"] = mcdonald_omega(items)
            rows.append(row)
    return pd.DataFrame(rows).set_index("construct")


def construct_items(campaign: Campaign) -> pd.DataFrame:
    """:func:`evalkit.stats.item_analysis` of every construct's items, over all pilots.

    Returns
    -------
    DataFrame
        One row per item of a construct with 2 items or more (questionnaire order):
        ``construct``, ``item``, ``label``, ``reverse`` and the columns of
        :func:`evalkit.stats.item_analysis` (answers of reverse-worded items recoded).
    """
    answers, questionnaire = recode_answers(campaign.tables["surveys"], campaign.questionnaire), campaign.questionnaire
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticsWarning)
        for construct in questionnaire.constructs:
            items = questionnaire.items_of(construct)
            if len(items) < 2:
                continue
            table = item_analysis(answers[items]).rename_axis("item").reset_index()
            table.insert(0, "construct", construct)
            table.insert(2, "label", [questionnaire.items[i].label for i in items])
            table.insert(3, "reverse", [questionnaire.items[i].reverse for i in items])
            parts.append(table)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def survey_flags(campaign: Campaign) -> pd.DataFrame:
    """Quality flags of every survey respondent of the campaign.

    Parameters
    ----------
    campaign : Campaign

    Returns
    -------
    DataFrame
        One row per respondent, in file order (index: the row in the surveys file):
        ``pilot_id``, ``respondent_id``, ``group``, the boolean flags ``straightlining``,
        ``duplicate``, ``too_fast``, ``flagged`` (any of them) and ``excluded`` (left out of
        scoring: flagged, under ``quality: {exclude_flagged: true}``). Empty without a
        surveys table.
    """
    everyone = _all_respondents(campaign)
    if everyone is None:
        return pd.DataFrame(columns=["pilot_id", "respondent_id", "group", *FLAG_COLUMNS, "flagged", "excluded"])
    excluded = campaign.excluded_respondents
    flags = respondent_flags(everyone, campaign.questionnaire, campaign.quality)
    flags["excluded"] = flags.index.isin(excluded.index) if excluded is not None else False
    return flags


def timed_respondents(campaign: Campaign) -> int:
    """How many of :func:`survey_flags`' respondents have a known answering time: ``too_fast``
    is checked on those only (0 when the surveys carry no ``duration_s``)."""
    everyone = _all_respondents(campaign)
    return 0 if everyone is None else int(answer_durations(everyone).notna().sum())


def _all_respondents(campaign: Campaign) -> pd.DataFrame | None:
    """The surveys with the respondents excluded from scoring put back, in file order."""
    surveys = campaign.table("surveys")
    excluded = campaign.excluded_respondents
    if surveys is None or excluded is None or excluded.empty:
        return surveys
    return pd.concat([surveys, excluded]).sort_index()


def flag_summary(flags: pd.DataFrame) -> pd.DataFrame:
    """Each pilot's respondents, flagged respondents by flag, and the share flagged.

    Parameters
    ----------
    flags : DataFrame
        :func:`survey_flags`.

    Returns
    -------
    DataFrame
        Index ``pilot_id`` (sorted): ``respondents``, one count per flag, ``flagged``,
        ``share`` (flagged ÷ respondents) and ``excluded``.
    """
    counted = flags.groupby("pilot_id", sort=True)
    summary = pd.DataFrame({"respondents": counted.size()})
    for column in (*FLAG_COLUMNS, "flagged", "excluded"):
        summary[column] = counted[column].sum().astype(int)
    summary["share"] = summary["flagged"] / summary["respondents"]
    return summary[["respondents", *FLAG_COLUMNS, "flagged", "share", "excluded"]]


@dataclass(frozen=True)
class ExpertFlags:
    """The expert panel checks of :func:`expert_flags`.

    Attributes
    ----------
    agreement : DataFrame
        One row per expert-scored indicator (index ``indicator_id``): ``label``, ``max``
        (the indicator's points), ``pilots`` and ``experts`` (the complete block the
        statistics use: pilots scored by every one of those experts), ``icc2`` and
        ``icc2k`` (absolute agreement of one expert and of the panel's mean, two-way
        random; Shrout & Fleiss 1979), ``kendall_w`` and ``kendall_p``. NaN where
        undefined (fewer than 3 such pilots, or no spread).
    outliers : DataFrame
        One row per score lying at least :data:`OUTLIER_SHARE` of the indicator's points
        from the median of the rest of its panel (panels of 4 or more, so that the rest
        has a median an outlier cannot move): ``pilot_id``,
        ``indicator_id``, ``expert_id``, ``score``, ``others_median``, ``deviation``.
    leave_one_out : DataFrame
        One row per pilot with experts (index ``pilot_id``): ``experts``, ``total``,
        ``grade``, ``passed``, ``total_min`` and ``total_max`` over the panels with one
        expert left out, ``grade_changes`` and ``pass_changes`` (whether leaving some
        expert out changes them), and ``decisive`` (the experts whose absence changes the
        grade or the pass, space-separated).
    """

    agreement: pd.DataFrame
    outliers: pd.DataFrame
    leave_one_out: pd.DataFrame


def expert_flags(campaign: Campaign, scores: Scores | None = None) -> ExpertFlags:
    """Agreement, outlying experts and leave-one-expert-out stability of the expert panel.

    Parameters
    ----------
    campaign : Campaign
        With an ``experts`` table.
    scores : Scores, optional
        ``ek.score(campaign)`` when already at hand (it is computed otherwise).

    Returns
    -------
    ExpertFlags

    Raises
    ------
    ValueError
        The campaign has no experts table or its scheme no expert-scored indicator.

    Notes
    -----
    Agreement per indicator treats the pilots as targets and the experts as raters. When
    panels differ between pilots, the statistics use the largest complete block found
    by dropping, one at a time, the expert who scored the fewest pilots, and say how many
    pilots and experts that is. Leaving one expert out re-aggregates the pilot's panels
    (the scheme's ``expert_aggregate``) without that expert's scores on every indicator
    and re-scores the pilot with the campaign's indicator maxima (so under
    ``weights: entropy|critic`` the other pilots' weights are held as they are).

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. *Psychological Bulletin*, 86(2), 420–428.

    Kendall, M. G., & Babington Smith, B. (1939). The problem of m rankings. *The Annals of
    Mathematical Statistics*, 10(3), 275–287.
    """
    model = ScoreModel.of(campaign, scores)
    panels = model.panels
    if panels is None:
        raise ValueError("expert flags need an experts table and expert-scored indicators in the scheme")
    return ExpertFlags(_agreement(model, panels), _outliers(model, panels), _leave_one_out(model, panels))


def _agreement(model: ScoreModel, panels: ExpertPanels) -> pd.DataFrame:
    rows = []
    for leaf_id, wide in panels.wide().items():
        block = _complete_block(wide)
        row = {"indicator_id": leaf_id, "label": model.scheme.node(leaf_id).label, "max": model.scales[leaf_id],
               "pilots": len(block), "experts": block.shape[1], "icc2": np.nan, "icc2k": np.nan,
               "kendall_w": np.nan, "kendall_p": np.nan}
        if len(block) >= 3 and block.shape[1] >= 2:
            long = block.rename_axis(index="pilot", columns="expert").stack().rename("score").reset_index()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StatisticsWarning)  # undefined cases come back as nan
                table = icc(long, "pilot", "expert", "score")
                w = kendall_w(block)
            row.update(icc2=table.at["ICC2", "icc"], icc2k=table.at["ICC2k", "icc"], kendall_w=w.w,
                       kendall_p=w.pvalue)
        rows.append(row)
    return pd.DataFrame(rows).set_index("indicator_id")


def _complete_block(wide: pd.DataFrame) -> pd.DataFrame:
    """The pilots × experts block without gaps left after dropping, one by one, the
    expert with the fewest scores, stopping at the first block of at least 3 pilots."""
    wide = wide.dropna(axis=1, how="all")
    while wide.shape[1] > 2 and wide.dropna().shape[0] < 3:
        wide = wide.drop(columns=wide.count().sort_values(kind="stable").index[0])
    return wide.dropna()


def _outliers(model: ScoreModel, panels: ExpertPanels) -> pd.DataFrame:
    rows = []
    for leaf_id, scores in panels.scores.items():
        others = np.repeat(scores[:, None, :], scores.shape[1], axis=1)
        k = np.arange(scores.shape[1])
        others[:, k, k] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-nan slices: no panel
            median = np.nanmedian(others, axis=2)
        enough = (np.isfinite(others).sum(axis=2) >= 3) & np.isfinite(scores)
        deviation = scores - median
        far = enough & (np.abs(deviation) >= OUTLIER_SHARE * model.scales[leaf_id] - 1e-9)
        for p, slot in zip(*np.nonzero(far)):
            rows.append({"pilot_id": panels.pilots[p], "indicator_id": leaf_id, "expert_id": panels.experts[p][slot],
                         "score": scores[p, slot], "others_median": median[p, slot],
                         "deviation": deviation[p, slot]})
    columns = ["pilot_id", "indicator_id", "expert_id", "score", "others_median", "deviation"]
    return pd.DataFrame(rows, columns=columns).sort_values(["pilot_id", "indicator_id", "expert_id"],
                                                           ignore_index=True)


def _leave_one_out(model: ScoreModel, panels: ExpertPanels) -> pd.DataFrame:
    slots = panels.width
    keep = np.ones((slots, len(panels.pilots), slots), dtype=bool)
    keep[np.arange(slots), :, np.arange(slots)] = False
    result = model.rescore(expert_values=panels.aggregate(keep=keep))
    sizes = panels.sizes
    real = np.arange(slots)[:, None] < sizes[None, :]  # slot k of pilot p holds an expert
    real &= sizes[None, :] >= 2  # leaving the only expert out leaves no panel to score
    base_grade, base_pass = model.table["grade"].to_numpy(dtype=object), model.table["passed"].to_numpy()
    grade_moves = real & (result.grades != base_grade[None, :])
    pass_moves = real & (result.passed != base_pass[None, :])
    totals = np.where(real, result.totals, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanmin(totals, axis=0), np.nanmax(totals, axis=0)
    decisive = [" ".join(panels.experts[p][k] for k in range(slots) if grade_moves[k, p] or pass_moves[k, p])
                for p in range(len(panels.pilots))]
    frame = pd.DataFrame({
        "experts": sizes, "total": model.table["total"].to_numpy(), "grade": base_grade,
        "passed": base_pass, "total_min": low, "total_max": high,
        "grade_changes": grade_moves.any(axis=0), "pass_changes": pass_moves.any(axis=0), "decisive": decisive,
    }, index=pd.Index(panels.pilots, name="pilot_id"))
    return frame[frame["experts"] > 0]
