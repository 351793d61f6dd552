"""Survey answers as platforms export them: answer texts, option positions, skip codes.

An item with an answer set (``options`` in the questionnaire) is answered by the set's
texts (问卷星 and 腾讯问卷 downloads by text: ``非常同意``) or, with ``coding: position``
in the table spec, by the option's position counting from the first shown (问卷星 按序号:
1 = the first option, often 非常同意), or with ``coding: value`` by the option's value. A
number without a stated coding is ambiguous and is a problem, never a guess. Answers in
the questionnaire's ``missing`` list (``(跳过)``, ``(空)``, -3, -2 by default) are blank.
An item without an answer set is answered with scale points, as numbers — except in a
questionnaire platform's download (a file with the platform's respondent columns such as
提交答卷时间, 所用时间 or 来自IP, or whose item columns are headed by the questions' titles)
that states no coding: there a number may as well be an
option's position, so it is a problem that asks for ``coding: value`` (the numbers are the
scale's points) or for the item's options and ``coding: position``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import Note, Problem
from evalkit.questionnaire import Questionnaire
from evalkit.tables.sources import count_text


def read_answers(series: pd.Series, item: str, questionnaire: Questionnaire, coding: str | None, file: str,
                 problems: list[Problem], skipped: dict[str, int], platform: bool = False) -> pd.Series:
    """The values of one item's answers (float, NaN = missing).

    ``skipped`` counts, per answer text, the answers read as blank (for one note per file).
    ``platform``: the file is a questionnaire platform's download (it has the platform's
    respondent columns, or its item columns are headed by the questions' titles), where a
    number may be an option's position.
    """
    answers = questionnaire.answers_of(item)
    missing = set(questionnaire.missing)
    if not answers and (coding == "position" or (platform and coding is None)):
        return _unresolved_numbers(series, item, questionnaire, coding, file, problems, skipped)
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
                                                          + _more_cells(len(rows) - 1)))
    for position, text in bad.items():
        for row in series.index[codes == position].tolist():
            problems.append(Problem(file, int(row), item, _not_an_answer(text, item, answers, coding)))
    return pd.Series(values[codes], index=series.index, dtype=float)


def _unresolved_numbers(series: pd.Series, item: str, questionnaire: Questionnaire, coding: str | None, file: str,
                        problems: list[Problem], skipped: dict[str, int]) -> pd.Series:
    """Answers to an item without an answer set that cannot be read as scale points: option
    positions (``coding: position``) with no options to count, or numbers in a platform's
    download that does not say what they are. One problem for the item (its first such
    cell, with the count of the others); blank answers and skip codes stay blank."""
    missing = set(questionnaire.missing)
    texts = pd.Series([_text(value) for value in series.tolist()], index=series.index)
    blank = texts.eq("") | texts.isin(missing)
    for text in texts[texts.isin(missing)].unique().tolist():
        skipped[text] = skipped.get(text, 0) + int(texts.eq(text).sum())
    given = texts[~blank]
    if not given.empty:
        if coding == "position":
            message = (f"coding: position reads '{given.iloc[0]}' as the position of an option, but item '{item}' has "
                       f"no options: give it its answer set (options: in the questionnaire, in the order shown)")
        else:
            message = (f"'{given.iloc[0]}' is a number in a questionnaire platform's download, and the campaign file "
                       f"does not say what its numbers are: 问卷星 按序号 numbers the options from the first shown "
                       f"(1 = often 非常同意, the best answer). Write coding: value if the numbers are points of the "
                       f"scale %d–%d, or give item '{item}' its options and write coding: position") % questionnaire.item_scale(item)
        problems.append(Problem(file, int(given.index[0]), item, message + _more_cells(len(given) - 1)))
    return pd.Series(np.nan, index=series.index, dtype=float)


def _more_cells(count: int) -> str:
    """`` (N more such cells)`` after a problem reported once for several cells."""
    return "" if count < 1 else f" ({count_text(count, 'more such cell')})"


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
