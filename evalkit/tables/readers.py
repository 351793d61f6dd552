"""Reading a table file as text cells: CSV in any of the encodings Chinese tools export, or xlsx.

* encodings UTF-8, UTF-8 with BOM and GB18030 (a superset of GBK and GB2312) are detected
  by trying them in that order; a file that is none of them is a problem, not a guess;
* ``file.xlsx`` reads the first sheet, ``file.xlsx#Sheet`` the named one.

The frame's index is the row number as a person sees it in the file (header = 1), so
every later check can name the row. Turning cells into typed values is
:mod:`evalkit.tables.conversion`'s.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import Problem, display_path
from evalkit.text import CONTROL_CHARACTERS, control_character_problem

ENCODINGS = ("utf-8-sig", "gb18030")


def split_sheet(location: str | Path) -> tuple[Path, str | None]:
    """Split ``book.xlsx#Sheet`` into the path and the sheet name (None = first sheet)."""
    text = str(location)
    if "#" in text and text.split("#", 1)[0].lower().endswith((".xlsx", ".xlsm")):
        path, sheet = text.split("#", 1)
        return Path(path), sheet
    return Path(text), None


def read_raw(location: str | Path, numeric: Callable[[str], bool] | None = None
             ) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV file as text cells (empty cell = NA), index = row as seen by a person
    (workbooks are read by :func:`read_workbook`).

    ``numeric(header)`` may name CSV columns expected to hold plain numbers: when every
    cell of them parses as a number they are read as floats straight away (much faster
    on large surveys); otherwise every column is read as text, as without ``numeric``.
    A malformed CSV is reported with the line pandas names (and no frame); headers and
    cells holding a control character (:data:`evalkit.text.CONTROL_CHARACTERS`) are
    reported with the frame. Blank rows at the end are dropped.
    """
    path, sheet = split_sheet(location)
    file = display_path(path) + (f"#{sheet}" if sheet else "")
    if not path.is_file():
        return None, [Problem(file, None, None, "file not found")]
    if path.suffix.lower() in (".csv", ".txt", ""):
        data = path.read_bytes()
        frame, problem = _read_csv(data, file, numeric)
        problems = [problem] if problem else []
        suspect = bool(data.translate(None, _PRINTABLE_BYTES))  # a quick look at the bytes (any encoding read)
    else:
        return None, [Problem(file, None, None, f"unsupported file type '{path.suffix}' (use .csv or .xlsx)")]
    if frame is None:
        return None, problems
    end = len(frame)  # blank rows at the end (",,,," lines a spreadsheet exports) hold nothing
    while end and frame.iloc[end - 1].isna().all():
        end -= 1
    if end < len(frame):
        frame = frame.iloc[:end]
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    return frame, problems + (_control_characters(frame, file) if suspect else [])


#: Bytes that are not control characters; in UTF-8 and GB18030 alike, a control character
#: is always the single byte of its code.
_PRINTABLE_BYTES = bytes(b for b in range(256) if chr(b) not in CONTROL_CHARACTERS)


def _control_characters(frame: pd.DataFrame, file: str, header_row: int = 1) -> list[Problem]:
    """A problem for each header and cell of ``frame`` holding a control character."""
    pattern = f"[{re.escape(CONTROL_CHARACTERS)}]"
    cells = [(header_row, str(header), str(header)) for header in frame.columns]
    for header in frame.columns:
        column = frame[header]
        if not pd.api.types.is_numeric_dtype(column):
            hits = column.astype("string").str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool)
            cells += [(int(row), str(header), str(value)) for row, value in column[hits].items()]
    return [Problem(file, row, header, message) for row, header, text in cells
            if (message := control_character_problem(text))]


def _read_csv(data: bytes, file: str, numeric: Callable[[str], bool] | None = None
              ) -> tuple[pd.DataFrame | None, Problem | None]:
    # UTF-8 first, straight from the bytes: pandas decodes every cell strictly (any byte that is
    # not UTF-8 raises), so a frame means a UTF-8 file; anything else takes the checks below
    frame = _read_csv_bytes(data, ENCODINGS[0], numeric or (lambda header: False))
    if frame is not None and isinstance(frame.index, pd.RangeIndex):
        return frame, None
    decoded = _decode(data)
    if decoded is None:
        return None, _undecodable(data, file)
    text, encoding = decoded
    if not text.strip():
        return None, Problem(file, 1, None, "the file is empty (no header row)")
    del text  # parse the bytes (faster than a text buffer); free the decoded copy of a large file
    frame = _read_csv_bytes(data, encoding, numeric or (lambda header: False))
    if frame is not None and isinstance(frame.index, pd.RangeIndex):
        return frame, None
    text = data.decode(encoding)  # this path names the line of a malformed CSV
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        return None, Problem(file, _parser_error_line(str(exc)), None, f"malformed CSV: {str(exc).strip()}")
    if not isinstance(frame.index, pd.RangeIndex):  # pandas took the surplus leading cells as an index
        return None, _surplus_cells(text, file)
    return frame, None


def _decode(data: bytes) -> tuple[str, str] | None:
    """The text of ``data`` and the first of :data:`ENCODINGS` that decodes it; None when none does."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _undecodable(data: bytes, file: str) -> Problem:
    """Why ``data`` is neither UTF-8 nor GB18030: a UTF-8 file cut inside a character, or another encoding."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(data):
            line = data.count(b"\n", 0, exc.start) + 1
            return Problem(file, line, None, "the file ends in the middle of a character: it looks truncated "
                                             "(copy or export it again)")
    return Problem(file, None, None, "cannot decode: the file is neither UTF-8 nor GB18030/GBK")


def _surplus_cells(text: str, file: str) -> Problem:
    """The first line with more cells than the header (pandas would shift the columns silently)."""
    lines = csv.reader(io.StringIO(text))
    width = len(next(lines))
    for line, cells in enumerate(lines, start=2):
        if len(cells) > width:
            return Problem(file, line, None, f"malformed CSV: line {line} has {len(cells)} cells but the header "
                                             f"has {width} (a header missing, or a stray comma?)")
    return Problem(file, None, None, "malformed CSV: rows have more cells than the header")


def _read_csv_bytes(data: bytes, encoding: str, numeric: Callable[[str], bool]) -> pd.DataFrame | None:
    """Read the ``numeric`` columns as floats, the others as text; None when the CSV is malformed
    or a number column holds anything but plain numbers, so that the text path reports it."""
    if encoding == "utf-8-sig":  # pandas parses UTF-8 bytes as they are, other codecs through a decoder
        data, encoding = data.removeprefix(codecs.BOM_UTF8), "utf-8"
    options = {"encoding": encoding, "keep_default_na": False, "na_values": [""],
               # spaces after a comma are not part of the cell; a file without a space or a tab
               # (survey answers, ids) has none to skip, and parses faster without looking
               "skipinitialspace": b" " in data or b"\t" in data}
    try:
        header = pd.read_csv(io.BytesIO(data), nrows=0, **options).columns
        repeated = any(is_pandas_dup(str(name), header) for name in header)
        numbers = {} if repeated else {name: "float64" for name in header if numeric(str(name))}
        return pd.read_csv(io.BytesIO(data), dtype=defaultdict(lambda: str, numbers), **options)
    except (ValueError, csv.Error):  # pandas' ParserError is a ValueError
        return None


def _parser_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


#: What openpyxl raises on a damaged workbook: a broken zip, a missing or truncated part,
#: XML that does not parse (ElementTree's and lxml's errors are SyntaxErrors), bad compression.
_DAMAGED_XLSX = (zipfile.BadZipFile, OSError, KeyError, ValueError, IndexError, EOFError, zlib.error, SyntaxError)


@dataclass
class Sheet:
    """One sheet of a workbook (or a whole CSV) as a grid of cells.

    ``rows`` hold the values (a formula as the value Excel saved with it; None when blank
    or when no value was saved); ``formulas`` maps (row, column) — both 1-based — to the
    formula of each cell saved without a value; ``hidden`` are the rows hidden in Excel;
    ``merged_down`` the cells merged over several rows, as (first row, column, last row) —
    Excel keeps the value in the first row only, though it shows it beside every row;
    ``hidden_sheet`` whether the sheet itself is hidden in Excel.
    """

    name: str | None
    rows: list[list[object]]
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden: tuple[int, ...] = ()
    merged_down: tuple[tuple[int, int, int], ...] = ()
    hidden_sheet: bool = False

    @property
    def empty(self) -> bool:
        return not any(value is not None and str(value).strip() for row in self.rows for value in row)


@dataclass
class Workbook:
    """The sheets read from a workbook, and the names of its other non-empty sheets."""

    sheets: list[Sheet]
    unread: list[str]


#: Workbooks up to this size are loaded whole (which tells hidden rows and merged cells);
#: larger ones are streamed (openpyxl's read-only mode, much less memory), without them.
WHOLE_WORKBOOK_MAX_BYTES = 8_000_000


def read_workbook(path: Path, sheets: str | Sequence[str], file: str) -> tuple[Workbook | None, list[Problem]]:
    """The sheets of an xlsx workbook as grids.

    Parameters
    ----------
    path : Path
    sheets : {"first", "all"} or sequence of str
        The first sheet, every non-empty sheet, or the sheets of these names.
    file : str
        The file as shown in problems.

    Returns
    -------
    Workbook or None
        None when the workbook cannot be read or a named sheet does not exist (a problem says so).
    """
    try:
        grids, names = _grids(path, sheets, formulas=True)
        if any(isinstance(v, str) and v.startswith("=") for grid in grids.values() for row in grid.rows for v in row):
            saved, _ = _grids(path, list(grids), formulas=False)  # the values Excel saved with them
        else:
            saved = grids
    except _DAMAGED_XLSX as exc:
        return None, [Problem(file, None, None, f"not a readable xlsx workbook ({exc.__class__.__name__}): the file "
                                                f"is damaged or not an xlsx; open it in Excel and save it again")]
    missing = [name for name in ([] if isinstance(sheets, str) else sheets) if name not in names]
    if missing:
        return None, [Problem(file, None, None, f"no sheet named '{name}' (sheets: {', '.join(names)})")
                      for name in missing]
    read = []
    for name, grid in grids.items():
        values = saved[name].rows
        formulas = {(number, column): value
                    for number, (row, kept) in enumerate(zip(grid.rows, values), start=1)
                    for column, value in enumerate(row, start=1)
                    if isinstance(value, str) and value.startswith("=") and kept[column - 1] is None}
        read.append(Sheet(name, [list(row) for row in values], formulas, grid.hidden, grid.merged_down,
                          grid.hidden_sheet))
    if sheets == "all":
        read = [sheet for sheet in read if not sheet.empty] or read[:1]
    unread = [name for name in names if name not in grids and not _sheet_empty(path, name)] if sheets != "all" else []
    return Workbook(read, unread), []


@dataclass(frozen=True)
class _Grid:
    """What :func:`_grids` reads of one sheet (see :class:`Sheet`)."""

    rows: list[tuple[object, ...]]
    hidden: tuple[int, ...]
    merged_down: tuple[tuple[int, int, int], ...]
    hidden_sheet: bool


def _grids(path: Path, sheets: str | Sequence[str], formulas: bool) -> tuple[dict[str, _Grid], list[str]]:
    """Sheet name -> its grid for the sheets asked for, and every sheet's name."""
    import openpyxl

    whole = path.stat().st_size <= WHOLE_WORKBOOK_MAX_BYTES
    book = openpyxl.load_workbook(path, read_only=not whole, data_only=not formulas)
    try:
        names = list(book.sheetnames)
        wanted = names[:1] if sheets == "first" else names if sheets == "all" else [n for n in sheets if n in names]
        grids = {}
        for name in wanted:
            sheet = book[name]
            rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
            hidden = tuple(sorted(int(number) for number, dimension in sheet.row_dimensions.items()
                                  if dimension.hidden)) if whole else ()
            merged = tuple(sorted((cells.min_row, cells.min_col, cells.max_row) for cells in sheet.merged_cells.ranges
                                  if cells.max_row > cells.min_row)) if whole else ()
            grids[name] = _Grid(rows, hidden, merged, sheet.sheet_state != "visible")
    finally:
        if not whole:
            book.close()
    return grids, names


def _sheet_empty(path: Path, name: str) -> bool:
    """Whether the named sheet holds no value at all."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return not any(v is not None and str(v).strip() for row in book[name].iter_rows(values_only=True) for v in row)
    finally:
        book.close()


def read_csv_grid(path: Path, file: str) -> tuple[Sheet | None, list[Problem]]:
    """A CSV file as a grid of text cells (for files whose header is not on the first line)."""
    data = path.read_bytes()
    decoded = _decode(data)
    if decoded is None:
        return None, [_undecodable(data, file)]
    text = decoded[0]
    try:
        rows = [[cell if cell.strip() else None for cell in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        return None, [Problem(file, None, None, f"malformed CSV: {exc}")]
    return Sheet(None, rows), []


def grid_frame(sheet: Sheet, header_row: int, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The rows below ``header_row`` (1-based) of a grid as text cells under its headers;
    the index is the row number in the file. Blank rows at the end are dropped."""
    rows = sheet.rows
    while len(rows) > header_row and all(v is None or not str(v).strip() for v in rows[-1]):
        rows = rows[:-1]
    header = _as_pandas_headers(["" if v is None else str(v).strip() for v in rows[header_row - 1]])
    width = len(header)
    problems = []
    for number, row in enumerate(rows[header_row:], start=header_row + 1):
        if any(v is not None and str(v).strip() for v in row[width:]):
            problems.append(Problem(file, number, None, f"row {number} has {len(row)} cells but the header (row "
                                                        f"{header_row}) has {width} (a header missing, or a stray "
                                                        f"comma?)"))
            break
    body = [[_cell_text(v) for v in (list(r) + [None] * width)[:width]] for r in rows[header_row:]]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame), name="row")
    return frame, problems + _control_characters(frame, file, header_row)


def _as_pandas_headers(header: list[str]) -> list[str]:
    """Headers named as pandas names a CSV's: a blank one ``Unnamed: <position>``, a repeated
    one ``x.1``, ``x.2`` … (so that both kinds of file meet the same checks)."""
    names: list[str] = []
    for position, name in enumerate(header):
        name = name if name.strip() else f"Unnamed: {position}"
        stem, count = name, 0
        while name in names:
            count += 1
            name = f"{stem}.{count}"
        names.append(name)
    return names


def _cell_text(value: object) -> object:
    if value is None:
        return np.nan
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() != datetime.time():
        return value.isoformat(sep=" ")
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    text = str(value)
    return text if text.strip() else np.nan


def is_pandas_dup(header: str, columns: pd.Index) -> bool:
    """pandas renames a repeated header ``x`` to ``x.1``; detect that mangling."""
    stem, dot, suffix = header.rpartition(".")
    return bool(dot) and suffix.isdigit() and stem in columns
