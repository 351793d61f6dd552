"""Metrics of the questionnaire survey (问卷): ``survey.<construct>`` and ``survey.<construct>.n``.

``survey.<construct>`` is the mean of *all* non-missing answers of the pilot's respondents
to the construct's items, after reverse-coding reversed items (:math:`x' = min + max - x`),
rescaled to [0, 1] on the questionnaire's scale: :math:`(\\bar{x} - min)/(max - min)`.
Every answer weighs the same, so a respondent who skipped items weighs less.

``survey.<construct>.n`` counts respondents with at least one answer in the construct.

A pilot without any survey row has both missing (NaN); a pilot whose respondents left the
construct blank has ``.n`` = 0 and a missing mean. Answers are whole scale points (checked
on loading), so the sums are exact and independent of the order of the rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.catalogue import MetricRef
from evalkit.questionnaire import Questionnaire


def construct_tally(table: pd.DataFrame, rows: np.ndarray, pilots: pd.Index,
                    questionnaire: Questionnaire, construct: str) -> pd.DataFrame:
    """Per-pilot answer counts and sums of one construct.

    Returns
    -------
    DataFrame
        Indexed by ``pilots``: ``rows`` (survey rows), ``respondents`` (with at least one
        answer), ``answers`` (non-missing answers) and ``total`` (sum of reverse-coded
        answers).
    """
    flip = questionnaire.scale_min + questionnaire.scale_max
    per_row = np.zeros(len(table), dtype=np.int64)  # answers of each survey row
    row_total = np.zeros(len(table))  # their sum, reversed items reverse-coded
    for item in questionnaire.items_of(construct):  # item by item: no rows × items temporaries
        answer = table[item].to_numpy(dtype=float)
        given = ~np.isnan(answer)
        per_row += given
        row_total += np.where(given, flip - answer if questionnaire.items[item].reverse else answer, 0.0)
    size = len(pilots)
    return pd.DataFrame({
        "rows": np.bincount(rows, minlength=size),
        "respondents": np.bincount(rows, weights=per_row > 0, minlength=size).astype(np.int64),
        "answers": np.bincount(rows, weights=per_row, minlength=size).astype(np.int64),
        "total": np.bincount(rows, weights=row_total, minlength=size),
    }, index=pilots)


def measure(table: pd.DataFrame, rows: np.ndarray, pilots: pd.Index, refs: Sequence[MetricRef],
            questionnaire: Questionnaire) -> tuple[dict[str, np.ndarray], dict[str, pd.DataFrame]]:
    """Values and evidence of the requested ``survey.*`` metrics for every pilot.

    Returns
    -------
    values : dict of str to ndarray
        Metric name -> float values aligned with ``pilots``.
    evidence : dict of str to DataFrame
        ``survey.<construct>``: the pilot's survey rows, respondents, answers, their sum
        (reversed items reverse-coded), the mean answer, the scale's ends, the
        construct's item columns and which of them are reversed — enough to recompute
        the value by hand: (answer_sum ÷ answers − scale_min) ÷ (scale_max − scale_min);
        ``survey.<construct>.n``: survey rows and respondents.
    """
    low, high = questionnaire.scale_min, questionnaire.scale_max
    values: dict[str, np.ndarray] = {}
    evidence: dict[str, pd.DataFrame] = {}
    tallies: dict[str, pd.DataFrame] = {}
    for ref in refs:
        if ref.key not in tallies:
            tallies[ref.key] = construct_tally(table, rows, pilots, questionnaire, ref.key)
        tally = tallies[ref.key]
        surveyed = tally["rows"].to_numpy() > 0
        if ref.part == "n":
            values[ref.name] = np.where(surveyed, tally["respondents"].to_numpy(dtype=float), np.nan)
            evidence[ref.name] = tally[["rows", "respondents"]]
            continue
        answers = tally["answers"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(answers > 0, tally["total"].to_numpy() / answers, np.nan)
        values[ref.name] = (mean - low) / (high - low)
        items = questionnaire.items_of(ref.key)
        reversed_items = [item for item in items if questionnaire.items[item].reverse]
        evidence[ref.name] = tally[["rows", "respondents", "answers"]].assign(
            answer_sum=tally["total"].to_numpy(dtype=float), mean_answer=mean, scale_min=low, scale_max=high,
            items=[list(items)] * len(pilots), reversed=[reversed_items] * len(pilots))
    return values, evidence
