"""Which file column is which table column: aliases, the spec's ``columns:``, questionnaire items.

A file's header names a table column (:mod:`evalkit.tables.vocabulary`) by its English name
or a Chinese alias, or through the table spec's ``columns:`` (``{table column: file column}``,
which then wins over the aliases); a survey's header names a questionnaire item by its id,
its ``column`` or its label after the question number
(:meth:`evalkit.questionnaire.Questionnaire.column_items`). Columns of no use to the table
(序号, 来源, 来源详情 …) are noted once and ignored; the pilots table keeps its other columns
as the ``pilot.<column>`` metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from evalkit.errors import Note, Problem
from evalkit.questionnaire import Questionnaire
from evalkit.tables.readers import is_pandas_dup
from evalkit.tables.sources import Piece, TableSource, count_text
from evalkit.tables.vocabulary import TABLES, TableSpec


@dataclass(frozen=True)
class ReadContext:
    """What reading a table needs besides its file: the questionnaire (survey items and their
    answers) and the ids of the scheme's expert-scored indicators (``layout: wide``)."""

    questionnaire: Questionnaire | None = None
    expert_indicators: tuple[str, ...] = ()


#: Headers naming a pilot in a 专家打分表 (``layout: wide``), by the pilots column they hold.
PILOT_HEADERS = {
    "pilot_id": tuple(name.lower() for name in ("pilot_id", *TABLES["pilots"].column("pilot_id").aliases)),
    "name": tuple(name.lower() for name in ("name", *TABLES["pilots"].column("name").aliases)),
    "unit": tuple(name.lower() for name in ("unit", *TABLES["pilots"].column("unit").aliases)),
}


def header_matcher(spec: TableSpec, source: TableSource, context: ReadContext) -> Callable[[str], bool]:
    """Whether a header text names a column of the table (for finding the header row)."""
    aliases = spec.header_aliases
    mapped = {text.strip() for text in source.columns.values()}
    questionnaire = context.questionnaire if spec.extra_columns == "items" else None
    wide = source.layout == "wide"

    def knows(text: str) -> bool:
        text = text.strip()
        if not text:
            return False
        if text in mapped or text.lower() in aliases:
            return True
        if wide and (any(text.lower() in names for names in PILOT_HEADERS.values())
                     or indicator_of(text, context.expert_indicators) is not None):
            return True
        return questionnaire is not None and bool(questionnaire.column_items([text]))

    return knows


def indicator_of(header: str, indicators: tuple[str, ...]) -> str | None:
    """The indicator a 专家打分表 column is for: the longest id its header starts with, not
    followed by an ASCII letter, digit, ``_``, ``.`` or ``-`` (``A1标准体系（6分）`` is A1's,
    ``A10…`` is not)."""
    text = header.strip()
    best = None
    for indicator in indicators:
        following = text[len(indicator):len(indicator) + 1]
        continues = following != "" and following.isascii() and (following.isalnum() or following in "_.-")
        if text.startswith(indicator) and not continues:
            if best is None or len(indicator) > len(best):
                best = indicator
    return best


def canonical_columns(piece: Piece, spec: TableSpec, source: TableSource, context: ReadContext,
                      problems: list[Problem], notes: list[Note]) -> tuple[pd.DataFrame, list[str], bool]:
    """The piece's columns renamed to the table's, with the columns of no use dropped.

    Returns
    -------
    frame : DataFrame
        The kept columns, renamed: table columns, then (pilots) metric columns or
        (surveys) item ids.
    extras : list of str
        The kept columns that are not the table's own (metrics or items).
    titled : bool
        Whether a survey item's column was found by its question's title (its label after
        the question number, or its ``column:``) rather than by the item's id: the file is
        a questionnaire platform's download.
    """
    raw, file, header_row = piece.frame, piece.file, piece.header_row
    explicit = {text.strip(): column for column, text in source.columns.items()}
    headers = [str(header).strip() for header in raw.columns]
    for column, text in source.columns.items():
        if text.strip() not in headers:
            problems.append(Problem(source.spec_file, source.line, f"columns.{column}",
                                    f"no column '{text}' in {file} (its columns: {', '.join(headers)})"))
    aliases = {alias: name for alias, name in spec.header_aliases.items() if name not in source.columns.values()
               and name not in source.columns}
    items = (context.questionnaire.column_items(headers)
             if spec.extra_columns == "items" and context.questionnaire is not None else {})
    renamed: list[str] = []
    extras: list[str] = []
    titled = False
    ignored: list[str] = []
    seen: dict[str, str] = {}
    keep: list[int] = []
    for position, header in enumerate(raw.columns):
        text = str(header).strip()
        if text.startswith("Unnamed:") or not text:
            if raw.iloc[:, position].notna().any():
                problems.append(Problem(file, header_row, f"column {position + 1}", "column has values but no header"))
            continue
        base = text.rpartition(".")[0] if is_pandas_dup(text, raw.columns) else text
        canonical = explicit.get(base) or aliases.get(base.lower())
        if canonical is None and base in items:
            if len(items[base]) > 1:
                problems.append(Problem(file, header_row, text, f"the column is the title of items "
                                                                f"{', '.join(items[base])}: give each its column:"))
                continue
            canonical = items[base][0]
            titled = titled or base != canonical
        if canonical is None:
            if spec.extra_columns == "metrics" or (spec.extra_columns == "items" and context.questionnaire is None):
                canonical = base  # pilots' metric columns; survey items, when no questionnaire tells them
            else:
                ignored.append(base)
                continue
        if canonical in seen:
            problems.append(Problem(file, header_row, text, f"duplicate column (same as '{seen[canonical]}')"))
            continue
        seen[canonical] = text
        if canonical not in {col.name for col in spec.columns}:
            extras.append(canonical)
        renamed.append(canonical)
        keep.append(position)
    frame = raw.iloc[:, keep]  # copy-on-write: no copy needed (copying would consolidate 1M-row blocks)
    frame.columns = renamed
    if ignored:
        notes.append(Note(file, "ignored-columns", len(ignored),
                          f"{count_text(len(ignored), 'column')} not used by the {spec.name} table ignored: "
                          f"{', '.join(ignored)}"))
    pilot_given = source.pilot is not None or source.is_glob
    for col in spec.columns:
        if col.required and col.name not in frame and not (col.name == "pilot_id" and pilot_given):
            names = " / ".join((col.name, *col.aliases[:1]))
            problems.append(Problem(file, header_row, col.name, f"required column missing ({names})"))
    for (row, header), formula in sorted(piece.formulas.items()):
        if header in raw.columns and raw.columns.get_loc(header) in keep and row in raw.index:
            problems.append(formula_problem(file, row, header, formula))
    return frame, extras, titled


def formula_problem(file: str, row: int, header: str, formula: str) -> Problem:
    """A cell of a column evalkit reads holds a formula saved without its value."""
    return Problem(file, row, header, f"the cell holds a formula ({formula}) without a saved value: open the "
                                      f"workbook in Excel and save it, so that its values are stored")
