"""Metrics of the questionnaire survey (问卷): ``survey.<construct>`` and ``survey.<construct>.n``.

``survey.<construct>`` is the mean of *all* non-missing answers of the pilot's respondents
to the construct's items, after reverse-coding reversed items (:math:`x' = min + max - x`),
rescaled to [0, 1] on the questionnaire's scale: :math:`(\\bar{x} - min)/(max - min)`.
Every answer weighs the same, so a respondent who skipped items weighs less.

When the construct's items have different scales (3-, 4- and 5-point answer sets, see
:meth:`evalkit.questionnaire.Questionnaire.item_scale`), each answer is reverse-coded and
rescaled on its own item's scale and the value is the mean of the rescaled answers:
:math:`\\sum_s (S_s - n_s\\,min_s)/(max_s - min_s) \\,/\\, \\sum_s n_s` over the scales
:math:`s`, with :math:`S_s` the sum and :math:`n_s` the number of answers on scale
:math:`s`. The sum is computed in whole numbers over the least common multiple of the
scales' ranges and divided once, so it is exact and independent of the order of rows.

``survey.<construct>.n`` counts respondents with at least one answer in the construct.

A pilot without any survey row has both missing (NaN); a pilot whose respondents left the
construct blank has ``.n`` = 0 and a missing mean. Answers are whole scale points (checked
on loading), so the sums are exact and independent of the order of the rows.
"""

from __future__ import annotations

import math
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
        answers); when the construct's items have more than one scale, also ``answers
        low–high`` and ``total low–high`` for each scale (see :func:`scales_of`).
    """
    scales = scales_of(questionnaire, construct)
    per_row = np.zeros(len(table), dtype=np.int64)  # answers of each survey row
    row_total = np.zeros(len(table))  # their sum, reversed items reverse-coded
    by_scale = {scale: (np.zeros(len(table), dtype=np.int64), np.zeros(len(table))) for scale in scales}
    for item in questionnaire.items_of(construct):  # item by item: no rows × items temporaries
        low, high = questionnaire.item_scale(item)
        answer = table[item].to_numpy(dtype=float)
        given = ~np.isnan(answer)
        coded = np.where(given, low + high - answer if questionnaire.items[item].reverse else answer, 0.0)
        per_row += given
        row_total += coded
        if len(scales) > 1:
            count, total = by_scale[(low, high)]
            count += given
            total += coded
    size = len(pilots)
    columns = {
        "rows": np.bincount(rows, minlength=size),
        "respondents": np.bincount(rows, weights=per_row > 0, minlength=size).astype(np.int64),
        "answers": np.bincount(rows, weights=per_row, minlength=size).astype(np.int64),
        "total": np.bincount(rows, weights=row_total, minlength=size),
    }
    if len(scales) > 1:
        for (low, high), (count, total) in by_scale.items():
            columns[f"answers {low}–{high}"] = np.bincount(rows, weights=count, minlength=size).astype(np.int64)
            columns[f"total {low}–{high}"] = np.bincount(rows, weights=total, minlength=size)
    return pd.DataFrame(columns, index=pilots)


def scales_of(questionnaire: Questionnaire, construct: str) -> list[tuple[int, int]]:
    """The distinct scales (lowest, highest answer value) of the construct's items, in item order."""
    return list(dict.fromkeys(questionnaire.item_scale(item) for item in questionnaire.items_of(construct)))


def _mixed_scale_value(tally: pd.DataFrame, scales: list[tuple[int, int]]) -> np.ndarray:
    """The mean of answers rescaled on their own scales, exactly (see the module's docstring)."""
    common = math.lcm(*(high - low for low, high in scales))
    numerator = np.zeros(len(tally))
    for low, high in scales:
        count = tally[f"answers {low}–{high}"].to_numpy(dtype=float)
        total = tally[f"total {low}–{high}"].to_numpy(dtype=float)
        numerator += (total - count * low) * (common // (high - low))
    answers = tally["answers"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(answers > 0, numerator / (answers * common), np.nan)


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
        the value by hand: (answer_sum ÷ answers − scale_min) ÷ (scale_max − scale_min).
        When the items have different scales, ``scale_min``, ``scale_max`` and
        ``mean_answer`` are left out and ``scales`` lists, per scale, its ends, its items
        and the pilot's answers and their sum: the value is
        Σ (answer_sum − answers × min) ÷ (max − min) over the scales, ÷ answers.
        ``survey.<construct>.n``: survey rows and respondents.
    """
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
        items = questionnaire.items_of(ref.key)
        reversed_items = [item for item in items if questionnaire.items[item].reverse]
        scales = scales_of(questionnaire, ref.key)
        if len(scales) > 1:
            values[ref.name] = _mixed_scale_value(tally, scales)
            evidence[ref.name] = tally[["rows", "respondents", "answers"]].assign(
                answer_sum=tally["total"].to_numpy(dtype=float), items=[list(items)] * len(pilots),
                reversed=[reversed_items] * len(pilots), scales=_scale_evidence(tally, scales, questionnaire, items))
            continue
        (low, high), = scales
        answers = tally["answers"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(answers > 0, tally["total"].to_numpy() / answers, np.nan)
        values[ref.name] = (mean - low) / (high - low)
        evidence[ref.name] = tally[["rows", "respondents", "answers"]].assign(
            answer_sum=tally["total"].to_numpy(dtype=float), mean_answer=mean, scale_min=low, scale_max=high,
            items=[list(items)] * len(pilots), reversed=[reversed_items] * len(pilots))
    return values, evidence


def _scale_evidence(tally: pd.DataFrame, scales: list[tuple[int, int]], questionnaire: Questionnaire,
                    items: list[str]) -> list[list[dict[str, object]]]:
    """Per pilot, per scale: its ends, its items, the pilot's answers on it and their sum."""
    members = {scale: [item for item in items if questionnaire.item_scale(item) == scale] for scale in scales}
    counts = {scale: tally[f"answers {scale[0]}–{scale[1]}"].tolist() for scale in scales}
    totals = {scale: tally[f"total {scale[0]}–{scale[1]}"].tolist() for scale in scales}
    return [[{"min": low, "max": high, "items": members[(low, high)], "answers": int(counts[(low, high)][position]),
              "answer_sum": float(totals[(low, high)][position])} for low, high in scales]
            for position in range(len(tally))]
