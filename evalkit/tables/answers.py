"""Survey answers as platforms export them: answer texts, option positions, skip codes.

An item with an answer set (``options`` in the questionnaire) is answered by the set's
texts (问卷星 and 腾讯问卷 downloads by text: ``非常同意``) or, with ``coding: position``
in the table spec, by the option's position counting from the first shown (问卷星 按序号:
1 = the first option, often 非常同意), or with ``coding: value`` by the option's value. A
number without a stated coding is ambiguous and is a problem, never a guess. Answers in
the questionnaire's ``missing`` list (``(跳过)``, ``(空)``, -3, -2 by default) are blank.
An item without an answer set is answered with scale points, as numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import Note, Problem
from evalkit.questionnaire import Questionnaire
from evalkit.tables.sources import count_text


def read_answers(series: pd.Series, item: str, questionnaire: Questionnaire, coding: str | None, file: str,
                 problems: list[Problem], skipped: dict[str, int]) -> pd.Series:
    """The values of one item's answers (float, NaN = missing).

    ``skipped`` counts, per answer text, the answers read as blank (for one note per file).
    """
    answers = questionnaire.answers_of(item)
    missing = set(questionnaire.missing)
    if pd.api.types.is_float_dtype(series) and not answers:  # read as numbers already (large plain surveys)
        codes_read = [float(text) for text in missing if _number(text) is not None]
        blank = np.isin(series.to_numpy(), codes_read) if codes_read else None
        if blank is None or not blank.any():
            return series
        for value in np.unique(series.to_numpy()[blank]).tolist():
            skipped[_text(value)] = skipped.get(_text(value), 0) + int((series.to_numpy() == value).sum())
        return series.mask(blank)
    codes, distinct = pd.factorize(series.to_numpy())
    texts = [_text(value) for value in distinct.tolist()]
    values = np.full(len(texts) + 1, np.nan)  # the last slot: NA cells (code -1)
    by_text = dict(answers)
    bad: dict[int, str] = {}
    numbers: list[int] = []
    for position, text in enumerate(texts):
        if text == "":
            continue
        if text in missing:
            skipped[text] = skipped.get(text, 0) + int((codes == position).sum())
            continue
        if text in by_text:
            values[position] = by_text[text]
            continue
        number = _number(text)
        if number is None:
            bad[position] = text
        elif answers and coding is None:
            numbers.append(position)
        elif answers and coding == "position":
            if number == int(number) and 1 <= number <= len(answers):
                values[position] = answers[int(number) - 1][1]
            else:
                bad[position] = text
        else:
            values[position] = number
    if numbers:
        rows = series.index[np.isin(codes, numbers)]
        shown = "、".join(text for text, _ in answers)
        problems.append(Problem(file, int(rows[0]), item, f"'{texts[numbers[0]]}' is a number, but the answers of item "
                                                          f"'{item}' are options ({shown}): write coding: position "
                                                          f"in the campaign file if the numbers are the options' "
                                                          f"positions (问卷星 按序号: 1 = the first option shown), "
                                                          f"or coding: value if they are the options' values"
                                                          + (f" ({len(rows) - 1} more such cells)" if len(rows) > 1 else "")))
    for position, text in bad.items():
        for row in series.index[codes == position].tolist():
            problems.append(Problem(file, int(row), item, _not_an_answer(text, item, answers, coding)))
    return pd.Series(values[codes], index=series.index, dtype=float)


def skipped_note(file: str, skipped: dict[str, int]) -> Note | None:
    """One note for the answers of a file read as blank, by text."""
    count = sum(skipped.values())
    if not count:
        return None
    shown = ", ".join(f"'{text}' × {n}" for text, n in sorted(skipped.items()))
    return Note(file, "skipped-answers", count, f"{count_text(count, 'answer')} read as blank (missing): {shown}")


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def _not_an_answer(text: str, item: str, answers: tuple[tuple[str, int], ...], coding: str | None) -> str:
    if not answers:
        return f"'{text}' is not a number"
    shown = "、".join(text for text, _ in answers)
    if coding == "position":
        return f"'{text}' is neither an answer of item '{item}' ({shown}) nor an option position 1–{len(answers)}"
    return f"'{text}' is not an answer of item '{item}' ({shown})"
