"""Survey respondents whose answers are not to be trusted: straight-lining, duplicates, too fast.

:func:`respondent_flags` looks at the surveys frame alone (answers and the respondent
metadata that platform exports carry: ``submitted_at``, ``duration_s``, ``ip``), so that
loading can use it to leave flagged respondents out of scoring when the campaign file asks
for it (``quality: {exclude_flagged: true}``; :class:`QualityPolicy`). The public view,
with a pilot-level summary, is :func:`evalkit.quality.survey_flags`.

The three flags (each a boolean column):

* ``straightlining`` — the respondent gave the same answer to every item of their group's
  block (the items whose ``group`` is the respondent's), the block having at least
  :data:`MIN_BLOCK_ITEMS` items and every one answered. Reverse-worded items are included:
  "agree" to a statement and to its negation is a contradiction, not an opinion.
* ``duplicate`` — a later copy of an earlier row of the same pilot and group with the same
  answers to every item and the same metadata (unknown metadata counting as equal, so
  that without metadata the answers alone decide), or a later row with the same ``ip`` and
  the same ``submitted_at`` as an earlier one (both known). The first row of each set is
  not flagged: it is the respondent; the others are copies. Rows whose metadata are all
  unknown are compared on their answers only when they answered at least
  :data:`MIN_DUPLICATE_ANSWERS` items: on a short block identical answers are common by
  chance (the demo's 5-item client block on a 5-point scale gives hundreds of identical
  pairs among honest respondents), so they prove nothing there.
* ``too_fast`` — a known ``duration_s`` shorter than ``too_fast_seconds`` (default 60 s);
  False where the duration is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.questionnaire import Questionnaire

__all__ = ["FLAG_COLUMNS", "METADATA_COLUMNS", "MIN_BLOCK_ITEMS", "MIN_DUPLICATE_ANSWERS", "QualityPolicy", "answer_durations",
           "respondent_flags"]

#: Respondent metadata kept from questionnaire-platform exports (NA where unknown).
METADATA_COLUMNS = ("submitted_at", "duration_s", "ip")
#: The flags of :func:`respondent_flags`, in order.
FLAG_COLUMNS = ("straightlining", "duplicate", "too_fast")
#: A block of fewer items answered alike is not called straight-lining.
MIN_BLOCK_ITEMS = 3
#: Without metadata, identical answers to fewer items are not called a duplicate.
MIN_DUPLICATE_ANSWERS = 10


@dataclass(frozen=True)
class QualityPolicy:
    """The campaign file's ``quality:`` options.

    Attributes
    ----------
    exclude_flagged : bool, default False
        Leave flagged respondents out of every survey metric, summary and report. By
        default they are kept and only reported (:func:`evalkit.quality.survey_flags`, the
        methods-and-quality page).
    too_fast_seconds : float, default 60
        A respondent whose known answering time is shorter is flagged ``too_fast``.
    """

    exclude_flagged: bool = False
    too_fast_seconds: float = 60.0


def respondent_flags(surveys: pd.DataFrame, questionnaire: Questionnaire,
                     policy: QualityPolicy = QualityPolicy()) -> pd.DataFrame:
    """The quality flags of every survey row.

    Parameters
    ----------
    surveys : DataFrame
        The campaign's surveys frame: ``pilot_id``, ``respondent_id``, ``group``, one column
        per questionnaire item and, when the export had them, the metadata columns
        :data:`METADATA_COLUMNS` (absent or all-NA otherwise).
    questionnaire : Questionnaire
        Items and the group each belongs to.
    policy : QualityPolicy
        The ``too_fast`` threshold.

    Returns
    -------
    DataFrame
        Indexed like ``surveys``: ``pilot_id``, ``respondent_id``, ``group``, then one boolean
        column per flag (:data:`FLAG_COLUMNS`) and ``flagged`` (any of them).
    """
    items = [item for item in questionnaire.items if item in surveys.columns]
    out = surveys[["pilot_id", "respondent_id", "group"]].copy()
    out["straightlining"] = _straightlining(surveys, questionnaire)
    out["duplicate"] = _duplicates(surveys, items)
    out["too_fast"] = (answer_durations(surveys) < policy.too_fast_seconds).fillna(False).astype(bool)
    out["flagged"] = out[list(FLAG_COLUMNS)].any(axis=1)
    return out


def answer_durations(surveys: pd.DataFrame) -> pd.Series:
    """Seconds each survey row took to answer (``duration_s``), NaN where the export did not say."""
    if "duration_s" not in surveys.columns:
        return pd.Series(np.nan, index=surveys.index)
    return pd.to_numeric(surveys["duration_s"], errors="coerce")


def _straightlining(surveys: pd.DataFrame, questionnaire: Questionnaire) -> np.ndarray:
    flags = np.zeros(len(surveys), dtype=bool)
    group = surveys["group"].astype(str).to_numpy()
    for name in dict.fromkeys(item.group for item in questionnaire.items.values()):
        block = [item for item, spec in questionnaire.items.items() if spec.group == name and item in surveys.columns]
        if len(block) < MIN_BLOCK_ITEMS:
            continue
        answers = surveys[block].to_numpy(dtype=float)
        complete = ~np.isnan(answers).any(axis=1)
        with np.errstate(invalid="ignore"):
            same = np.nanmax(answers, axis=1, initial=-np.inf) == np.nanmin(answers, axis=1, initial=np.inf)
        flags |= (group == name) & complete & same
    return flags


def _duplicates(surveys: pd.DataFrame, items: list[str]) -> np.ndarray:
    metadata = [column for column in METADATA_COLUMNS if column in surveys.columns]
    copies = surveys.duplicated(["pilot_id", "group", *items, *metadata], keep="first").to_numpy().copy()
    unknown = surveys[metadata].isna().all(axis=1).to_numpy() if metadata else np.ones(len(surveys), dtype=bool)
    copies &= ~unknown | (surveys[items].notna().sum(axis=1).to_numpy() >= MIN_DUPLICATE_ANSWERS)
    if {"ip", "submitted_at"} <= set(metadata):
        known = surveys["ip"].notna() & surveys["submitted_at"].notna()
        same_source = surveys[known].duplicated(["ip", "submitted_at"], keep="first")
        copies |= same_source.reindex(surveys.index, fill_value=False).to_numpy()
    return copies
