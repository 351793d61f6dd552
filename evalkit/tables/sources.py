"""Where a table comes from and how its files are laid out: the campaign file's table specs.

A table of a campaign file's ``data:`` is a path, or a *table spec* (``docs/importing.md``)::

    surveys:
      path: raw/问卷星_按序号.xlsx    # a file or a glob: every file read and stacked
      sheets: all                     # xlsx: first (default) | all | [张三, 李四]
      header_row: 3                   # default: the first row naming the table's columns
      coding: position                # surveys: answers are option positions, or values
      columns: {pilot_id: "1、您所在的单位", respondent_id: 序号}
      values: {pilot_id: {1: SH2021-001, 2: SH2021-002}}
      pilot: SH2021-002               # every row belongs to this pilot
      layout: wide                    # experts: a 专家打分表, one row per pilot

This module reads the files of a spec into *pieces* — one per file and sheet: the text
cells under the header row, indexed by the row numbers a person sees — and drops the rows
that hold no data, saying so in notes (:class:`evalkit.errors.Note`): blank rows, rows
whose only filled cell is the first (section headings such as 一、基础标准, a 说明 footnote)
and 合计/总计/小计/平均 rows. Hidden rows are read, and noted; the non-empty sheets of a
workbook that are not read are named in a note. Typing the cells is
:mod:`evalkit.tables.conversion`'s.
"""

from __future__ import annotations

import dataclasses
import glob
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import Note, Problem, display_path
from evalkit.tables.readers import Sheet, grid_frame, read_csv_grid, read_raw, read_workbook, split_sheet

#: First cells of rows that sum up the rows above them (dropped, with a note).
TOTAL_WORDS = frozenset({"合计", "总计", "小计", "平均", "平均分", "总分"})
#: The first cells of such rows as typed: the words, spaced out (合 计, 合　计) or padded.
TOTAL_CELLS = frozenset(
    variant
    for word in TOTAL_WORDS
    for spaced in (word, *(gap.join(word) for gap in (" ", "  ", "\u3000")))
    for variant in (spaced, f" {spaced}", f"{spaced} ", f" {spaced} ")
)
#: How many rows from the top are searched for the header row.
HEADER_SEARCH_ROWS = 30
#: How many row numbers a note lists before it says "…".
SHOWN_ROWS = 8


@dataclass(frozen=True)
class TableSource:
    """One table of a campaign file's ``data:``: a path, or a table spec (see the module).

    ``path`` is relative to ``base`` (the campaign file's folder); ``line`` is the
    campaign file's line of the table, for problems about the spec itself.
    """

    path: str
    base: Path = Path(".")
    sheets: str | tuple[str, ...] = "first"
    header_row: int | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    pilot: str | None = None
    coding: str | None = None
    layout: str = "long"
    spec_file: str = ""
    line: int | None = None

    @classmethod
    def of(cls, location: str | Path | TableSource) -> TableSource:
        """A source for a bare path (``book.xlsx#Sheet`` reads that sheet)."""
        if isinstance(location, TableSource):
            return location
        path, sheet = split_sheet(location)
        return cls(str(path), sheets=(sheet,) if sheet else "first")

    @property
    def is_glob(self) -> bool:
        return glob.has_magic(self.path)

    def files(self) -> list[Path]:
        """The files of the source: the path, or every file its glob matches, sorted by name."""
        target = self.base / self.path
        if not self.is_glob:
            return [target]
        return sorted((Path(p) for p in glob.glob(str(target)) if Path(p).is_file()), key=lambda p: p.as_posix())

    def location(self, path: Path) -> str:
        """The file as shown in problems and notes, with ``#Sheet`` when one named sheet is read."""
        shown = display_path(path)
        if isinstance(self.sheets, tuple) and len(self.sheets) == 1 and path.suffix.lower() in (".xlsx", ".xlsm"):
            return f"{shown}#{self.sheets[0]}"
        return shown


@dataclass
class Piece:
    """The text cells of one file (and sheet) under its header row.

    ``frame``'s columns are the header texts, its index the row numbers in the file;
    ``above`` are the rows above the header (a title, ``评审专家：张三``); ``formulas`` the
    cells (row, header) holding a formula saved without a value, for the columns that are
    read to refuse.
    """

    file: str
    path: Path
    sheet: str | None
    frame: pd.DataFrame
    header_row: int
    above: list[list[object]] = field(default_factory=list)
    formulas: dict[tuple[int, str], str] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.path.stem


@dataclass
class Pieces:
    """What reading a source gave: its pieces, the problems and the notes."""

    pieces: list[Piece]
    problems: list[Problem]
    notes: list[Note]


def read_pieces(source: TableSource, knows: Callable[[str], bool],
                numeric: Callable[[str], bool] | None = None) -> Pieces:
    """Read every file and sheet of ``source`` into pieces.

    Parameters
    ----------
    source : TableSource
    knows : callable
        Whether a header text names a column of the table: the header row is the first
        row (of the first :data:`HEADER_SEARCH_ROWS`) holding such a header, unless the
        source gives ``header_row``; row 1 when none does.
    numeric : callable, optional
        Headers of CSV columns expected to hold plain numbers (read faster as floats).
    """
    problems: list[Problem] = []
    notes: list[Note] = []
    pieces: list[Piece] = []
    files = source.files()
    if not files:
        problems.append(Problem(source.spec_file, source.line, "path", f"no file matches {source.path}"))
    for path in files:
        file = source.location(path)
        if not path.is_file():
            problems.append(Problem(file, None, None, "file not found"))
            continue
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            book, trouble = read_workbook(path, source.sheets, file)
            problems += trouble
            if book is None:
                continue
            if book.unread:
                notes.append(Note(display_path(path), "unread-sheets", len(book.unread),
                                  f"{count_text(len(book.unread), 'sheet')} not read: {', '.join(book.unread)} "
                                  f"(only {_which(source.sheets)} is; write sheets: all to read every sheet)"))
            for sheet in book.sheets:
                shown = f"{display_path(path)}#{sheet.name}" if len(book.sheets) > 1 else file
                if sheet.hidden_sheet:
                    notes.append(Note(shown, "hidden-sheet", 1, f"the sheet '{sheet.name}' is hidden in Excel and "
                                                                f"read as any other (name the sheets to read in "
                                                                f"sheets: to leave it out)"))
                piece = _grid_piece(sheet, shown, path, source, knows, problems, notes)
                if piece is not None:
                    pieces.append(piece)
        elif suffix in (".csv", ".txt", ""):
            piece = _csv_piece(path, file, source, knows, numeric, problems, notes)
            if piece is not None:
                pieces.append(piece)
        else:
            problems.append(Problem(file, None, None, f"unsupported file type '{path.suffix}' (use .csv or .xlsx)"))
    for piece in pieces:
        piece.frame = _drop_rows_without_data(piece, notes)
    return Pieces(pieces, problems, notes)


def _which(sheets: str | tuple[str, ...]) -> str:
    return "the first" if sheets == "first" else ", ".join(sheets)


def _csv_piece(path: Path, file: str, source: TableSource, knows: Callable[[str], bool],
               numeric: Callable[[str], bool] | None, problems: list[Problem], notes: list[Note]) -> Piece | None:
    """A CSV file: read fast when its header is the first line, else as a grid."""
    fast: list[Problem] = []
    if source.header_row in (None, 1):
        frame, fast = read_raw(path, numeric=numeric)
        if frame is not None and (source.header_row == 1 or any(knows(str(h)) for h in frame.columns)):
            problems += fast
            return Piece(file, path, None, frame, 1)
        if frame is None and (source.header_row == 1 or any(p.column is None and p.row is None for p in fast)):
            problems += fast  # not a CSV evalkit can read (encoding, file missing): nothing more to find
            return None
    sheet, trouble = read_csv_grid(path, file)
    if sheet is None:
        problems += trouble
        return None
    if fast and (source.header_row or _find_header(sheet.rows, knows)) == 1:
        problems += fast  # the first line is the header, and the file is malformed below it
        return None
    return _grid_piece(sheet, file, path, source, knows, problems, notes)


def _grid_piece(sheet: Sheet, file: str, path: Path, source: TableSource, knows: Callable[[str], bool],
                problems: list[Problem], notes: list[Note]) -> Piece | None:
    rows = sheet.rows
    if not any(any(v is not None and str(v).strip() for v in row) for row in rows):
        problems.append(Problem(file, 1, None, f"the sheet '{sheet.name}' is empty (no header row)"
                                if sheet.name is not None else "the file is empty (no header row)"))
        return None
    header_row = source.header_row or _find_header(rows, knows)
    if header_row > len(rows):
        problems.append(Problem(source.spec_file, source.line, "header_row",
                                f"header_row {header_row} is below the last row of {file} ({len(rows)})"))
        return None
    if source.header_row is None and header_row > 1:
        notes.append(Note(file, "header-row", 1, f"header on row {header_row}; the rows above it are not data"))
    sheet, spread = _merged_filled_down(sheet, header_row)
    if spread:
        notes.append(note_rows(file, "merged-cells", spread, f"{count_text(len(spread), 'cell')} merged with the "
                                                              f"cell above read as its value"))
    frame, trouble = grid_frame(sheet, header_row, file)
    problems += trouble
    headers = list(frame.columns)
    formulas = {(row, headers[column - 1]): text for (row, column), text in sheet.formulas.items()
                if row > header_row and column <= len(headers)}
    formulas.update({(row, headers[column - 1]): text for (row, column), text in sheet.formulas.items()
                     if row == header_row and column <= len(headers)})
    hidden = [row for row in sheet.hidden if row > header_row and row - header_row <= len(frame)]
    if hidden:
        notes.append(Note(file, "hidden-rows", len(hidden),
                          f"{count_text(len(hidden), 'row')} hidden in Excel read as any other ({_rows(hidden)})"))
    return Piece(file, path, sheet.name, frame, header_row, [list(r) for r in rows[:header_row - 1]], formulas)


def _merged_filled_down(sheet: Sheet, header_row: int) -> tuple[Sheet, list[int]]:
    """The sheet with each cell merged down several rows below the header given its first
    row's value, as Excel shows it beside every row of the merge (a 关键项 是 or a 级别 国标
    written once for a block of rows); and the rows so filled."""
    below = [(first, column, last) for first, column, last in sheet.merged_down if first > header_row]
    if not below:
        return sheet, []
    rows = [list(row) for row in sheet.rows]
    filled = []
    for first, column, last in below:
        value = rows[first - 1][column - 1] if column <= len(rows[first - 1]) else None
        for number in range(first + 1, min(last, len(rows)) + 1):
            row = rows[number - 1]
            row.extend([None] * (column - len(row)))
            row[column - 1] = value
            filled.append(number)
    return dataclasses.replace(sheet, rows=rows), sorted(set(filled))


def _find_header(rows: Sequence[Sequence[object]], knows: Callable[[str], bool]) -> int:
    """The first row (1-based) holding a header of the table; 1 when none does."""
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        if any(value is not None and knows(str(value).strip()) for value in row):
            return number
    return 1


def _drop_rows_without_data(piece: Piece, notes: list[Note]) -> pd.DataFrame:
    """The piece's rows less blank rows, first-cell-only rows and total rows (each noted)."""
    frame = piece.frame
    if frame.empty or frame.shape[1] == 0:
        return frame
    first = frame.iloc[:, 0]
    # rows with no cell filled after the first: narrowed column by column, so that a long
    # table whose second column is filled costs one look at that column
    empty = np.flatnonzero(frame.iloc[:, 1].isna().to_numpy()) if frame.shape[1] > 1 else np.arange(len(frame))
    for position in range(2, frame.shape[1]):
        if not len(empty):
            break
        empty = empty[frame.iloc[empty, position].isna().to_numpy()]
    first_filled = first.iloc[empty].notna().to_numpy()
    blank = np.zeros(len(frame), dtype=bool)
    blank[empty[~first_filled]] = True
    lonely = np.zeros(len(frame), dtype=bool)
    if frame.shape[1] > 1:
        lonely[empty[first_filled]] = True
    totals = _total_rows(frame)
    dropped = blank | lonely | totals
    if not dropped.any():
        return frame
    rows = frame.index.to_numpy()
    for mask, kind, what in ((blank, "blank-rows", ("blank row", "")),
                             (lonely & ~totals, "section-rows", ("row", " with only the first cell filled (section "
                                                                        "headings, 说明 notes)")),
                             (totals, "total-rows", ("row", " of totals (合计, 总计, 小计, 平均)"))):
        if mask.any():
            count = int(mask.sum())
            noun, rest = what
            notes.append(Note(piece.file, kind, count,
                              f"{count_text(count, noun)}{rest} dropped ({_rows(rows[mask].tolist())})"))
    return frame[~dropped]


def _total_rows(frame: pd.DataFrame) -> np.ndarray:
    """Whether each row's first filled cell is 合计, 总计, 小计 or 平均 (the label of a totals row
    is often in the name column, its 序号 cell left blank)."""
    first = frame.iloc[:, 0]
    totals = (np.zeros(len(frame), dtype=bool) if pd.api.types.is_numeric_dtype(first)
              else first.isin(TOTAL_CELLS).to_numpy(copy=True))
    unfilled = first.isna().to_numpy()
    if unfilled.any() and frame.shape[1] > 1:
        totals[unfilled] = _total_rows(frame.iloc[unfilled, 1:])
    return totals


def count_text(count: int, noun: str) -> str:
    """'1 row', '3 rows'."""
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _rows(rows: Sequence[int]) -> str:
    shown = ", ".join(str(row) for row in rows[:SHOWN_ROWS])
    return f"row{'s' if len(rows) != 1 else ''} {shown}{', …' if len(rows) > SHOWN_ROWS else ''}"


#: A cell naming the expert above a 专家打分表's header: ``评审专家：张三``, ``专家: 李四``.
EXPERT_LINE = re.compile(r"^\s*(?:评审专家|评分专家|专家姓名|专家)\s*[:：]\s*(.*?)\s*$")


def named_expert(above: Sequence[Sequence[object]]) -> str | None:
    """The expert a ``评审专家：NAME`` line above the header names (the name may be in the next
    cell); None when no such line names one."""
    for row in above:
        cells = [None if v is None else str(v).strip() for v in row]
        for position, cell in enumerate(cells):
            match = EXPERT_LINE.match(cell or "")
            if match is None:
                continue
            name = match.group(1) or next((c for c in cells[position + 1:] if c), None)
            if name and not re.search(r"[:：]", name):  # not the next label (日期：…)
                return name
    return None


def note_rows(file: str, kind: str, rows: Sequence[int], message: str) -> Note:
    """A note about ``rows`` of ``file``: '<message> (rows 3, 5, …)'."""
    return Note(file, kind, len(rows), f"{message} ({_rows(list(rows))})")
