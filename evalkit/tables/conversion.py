"""Typing a table: canonical column names, category codes, numbers, yes/no and dates.

:func:`read_table` turns one file (read as text cells by :mod:`evalkit.tables.readers`) into
a :class:`LoadedTable`: a *typed frame with canonical codes* named by
:mod:`evalkit.tables.vocabulary` — headers may be the English names or their Chinese
aliases, category values canonical codes or their Chinese labels — and every cell that
could not be converted is a problem naming its row and column. Schema checks (required
values, allowed codes, uniqueness) live in :mod:`evalkit.validate`.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import Note, Problem, display_path
from evalkit.tables.answers import read_answers, skipped_note
from evalkit.tables.headers import ReadContext, canonical_columns, header_matcher
from evalkit.tables.sources import Piece, TableSource, count_text, note_rows, read_pieces
from evalkit.tables.vocabulary import (
    BOOL_VALUES,
    BOOL_WORDS,
    CATEGORIES,
    FALSE_WORDS,
    RESPONDENT_METADATA,
    TABLES,
    TRUE_WORDS,
    Column,
    TableSpec,
)
from evalkit.tables.wide import melt


@dataclass
class LoadedTable:
    """A table read from disk: the typed frame, where it came from, what was wrong and what
    was guessed or skipped (``notes``).

    ``frame``'s index is the row number in the file. A table stacked from several files or
    sheets, or melted from a 专家打分表, is indexed 1…n instead and ``origins`` gives each
    row's file, row and (for melted scores) column, so that :meth:`locate` names the cell a
    person sees; ``pilot_from_file`` lists the files whose pilot is their name.
    """

    name: str
    path: Path
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    extra_columns: tuple[str, ...] = ()
    categorical: dict[str, pd.Categorical] = field(default_factory=dict, repr=False)
    notes: list[Note] = field(default_factory=list)
    origins: pd.DataFrame | None = field(default=None, repr=False)
    pilot_from_file: dict[str, str] = field(default_factory=dict)
    source: TableSource | None = None
    #: Columns of the table the file does not have (filled with their default).
    absent_columns: tuple[str, ...] = ()
    #: The header's row in the file (of the first file, for a stacked table).
    header_row: int = 1

    @property
    def file(self) -> str:
        return display_path(self.path)

    def codes(self, column: str) -> pd.Categorical:
        """The column's values as a :class:`pandas.Categorical` (NA = code -1), for checks
        that compare, look up or group values: they then work once per distinct value.
        Text columns come so from :func:`read_table`; other columns are converted here."""
        if column not in self.categorical:
            self.categorical[column] = pd.Categorical(self.frame[column])
        return self.categorical[column]

    def row_name(self, row: int, beside: int | None = None) -> str:
        """'row 7' — or 'book.xlsx#Sheet row 7' when the row's file is not that of row ``beside``."""
        if self.origins is None:
            return f"row {row}"
        origin = self.origins.loc[row]
        if beside is not None and self.origins.at[beside, "file"] == origin["file"]:
            return f"row {int(origin['row'])}"
        return f"{origin['file']} row {int(origin['row'])}"

    def locate(self, problems: list[Problem]) -> list[Problem]:
        """``problems`` with the rows of a stacked or melted table named in their own files."""
        if self.origins is None:
            return problems
        out = []
        for problem in problems:
            if problem.file != self.file or problem.row not in self.origins.index:
                out.append(problem)
                continue
            origin = self.origins.loc[problem.row]
            column = problem.column
            if column in ("score", "indicator_id") and isinstance(origin["header"], str):
                column = origin["header"]
            out.append(Problem(origin["file"], int(origin["row"]), column, problem.message))
        return out


def read_table(name: str, location: str | Path | TableSource, context: ReadContext | None = None) -> LoadedTable:
    """Read one campaign table into a typed frame with canonical column names and codes.

    Parameters
    ----------
    name : str
        One of :data:`TABLES` (``pilots``, ``standards``, ``surveys``, ``inspections``,
        ``kpis``, ``experts``).
    location : str, Path or TableSource
        A ``.csv`` file, ``.xlsx`` optionally followed by ``#Sheet``, or a table spec of the
        campaign file (:class:`evalkit.tables.sources.TableSource`).
    context : ReadContext, optional
        The questionnaire (survey items and answer sets) and the expert-scored indicators
        (``layout: wide``).

    Returns
    -------
    LoadedTable
        ``frame`` holds canonical columns (and extra columns: ``pilot.*`` metrics for
        ``pilots``, item answers for ``surveys``); cells that could not be converted are
        NA and reported in ``problems``; what was guessed or skipped is in ``notes``.
    """
    spec = TABLES[name]
    source = TableSource.of(location)
    context = context or ReadContext()
    read = read_pieces(source, header_matcher(spec, source, context),
                       numeric=lambda header: _holds_numbers(spec, header))
    problems, notes = read.problems, read.notes
    frames, extras, files = [], [], []
    titled = False  # an item's column found by its question's title: a platform's download
    pilot_from_file: dict[str, str] = {}
    for piece in read.pieces:
        if source.layout == "wide":
            frame = melt(piece, source, context.expert_indicators, problems, notes)
            if frame is None:
                continue
            piece_extras: list[str] = []
        else:
            frame, piece_extras, piece_titled = canonical_columns(piece, spec, source, context, problems, notes)
            titled = titled or piece_titled
        frame = _assign_pilot(frame, piece, source, problems, pilot_from_file)
        frames.append(frame)
        files.append(piece)
        extras += [extra for extra in piece_extras if extra not in extras]
    label = source.location(source.files()[0]) if len(source.files()) == 1 and len(files) <= 1 else source.path
    path = Path(label.split("#")[0]) if label != source.path else source.base / source.path
    if not frames:
        return LoadedTable(name, path, pd.DataFrame(columns=[c.name for c in spec.columns]), problems,
                           notes=notes, source=source)
    origins = None
    if len(frames) == 1 and source.layout != "wide":
        frame = frames[0]
        file = files[0].file
        path = Path(file.split("#")[0]) if "#" not in file or file.count("#") != 1 else path
    else:
        origins = pd.concat([pd.DataFrame({"file": piece.file, "row": frame["row"] if "row" in frame else frame.index,
                                           "header": frame["header"] if "header" in frame else None})
                             for piece, frame in zip(files, frames)], ignore_index=True)
        frame = pd.concat([f.drop(columns=["row", "header"], errors="ignore") for f in frames], ignore_index=True)
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
        origins.index = frame.index
        file = display_path(path)
    loaded = _typed(name, path, frame, extras, source, context, file, problems, notes, titled)
    loaded.origins, loaded.pilot_from_file, loaded.header_row = origins, pilot_from_file, files[0].header_row
    loaded.problems = loaded.locate(loaded.problems)
    return loaded


def _assign_pilot(frame: pd.DataFrame, piece: Piece, source: TableSource, problems: list[Problem],
                  pilot_from_file: dict[str, str]) -> pd.DataFrame:
    """``pilot: ID`` for every row, or (a glob, no pilot column) the file's name."""
    if source.pilot is not None:
        if "pilot_id" in frame and frame["pilot_id"].notna().any():
            problems.append(Problem(piece.file, piece.header_row, "pilot_id",
                                    f"the file has a pilot column, and the campaign file says pilot: {source.pilot}; "
                                    f"keep one of them"))
        return frame.assign(pilot_id=source.pilot)
    if source.is_glob and "pilot_id" not in frame:
        pilot_from_file[piece.file] = piece.stem
        return frame.assign(pilot_id=piece.stem)
    return frame


def _typed(name: str, path: Path, frame: pd.DataFrame, extras: list[str], source: TableSource, context: ReadContext,
           file: str, problems: list[Problem], notes: list[Note], titled: bool = False) -> LoadedTable:
    """The frame's cells typed: category codes, numbers, yes/no, dates, survey answers
    (``titled``: an item's column was found by its question's title)."""
    spec = TABLES[name]
    frame = _apply_values(frame, source, file, problems)
    # Text cells are trimmed (blank = NA) and converted once per distinct value of the column.
    texts = {column: _Distinct(frame[column]) for column in frame.columns
             if pd.api.types.is_string_dtype(frame[column]) and column not in extras}
    columns: dict[str, object] = {}
    categorical: dict[str, pd.Categorical] = {}
    for col in spec.columns:
        if col.name not in frame:
            columns[col.name] = _absent(col, len(frame))
        elif col.name in texts:
            columns[col.name], categorical[col.name] = _convert_text(texts[col.name], col, file, problems, notes)
        else:
            columns[col.name] = _convert(frame[col.name], col, file, problems, notes)
    skipped: dict[str, int] = {}
    # a questionnaire platform's download: the platform's respondent columns are in the file, or
    # (they were deleted before the file was passed on) its questions' titles head the item columns
    platform = name == "surveys" and (titled or any(column in frame for column in RESPONDENT_METADATA))
    for extra in extras:
        series = frame[extra]
        if spec.extra_columns == "items":
            if context.questionnaire is not None and extra in context.questionnaire.items:
                columns[extra] = read_answers(series, extra, context.questionnaire, source.coding, file, problems,
                                              skipped, platform=platform)
            else:
                columns[extra] = _to_number(_Distinct(series).series() if not pd.api.types.is_float_dtype(series)
                                            else series, file, extra, problems)
        elif spec.extra_columns == "metrics":
            columns[extra] = _to_metric(_Distinct(series).series(), file, extra, problems)
        else:
            columns[extra] = series
    if note := skipped_note(file, skipped):
        notes.append(note)
    typed = pd.DataFrame(index=frame.index)
    for column, values in columns.items():
        typed[column] = values
    return LoadedTable(name, path, typed, problems, tuple(extras),
                       {c: v for c, v in categorical.items() if v is not None}, notes, source=source,
                       absent_columns=tuple(col.name for col in spec.columns if col.name not in frame))


def _absent(col: Column, rows: int) -> object:
    """The values of a column the file does not have."""
    if col.kind == "datetime":
        return pd.Series(pd.NaT, index=range(rows), dtype="datetime64[ns]").to_numpy()
    if col.kind == "duration":
        return np.nan
    if col.kind in ("id", "text") and col.default is None:
        return np.full(rows, np.nan, dtype=object)  # text, all NA (not a float column)
    return np.nan if col.default is None else col.default


def _apply_values(frame: pd.DataFrame, source: TableSource, file: str, problems: list[Problem]) -> pd.DataFrame:
    """The spec's ``values:`` (``{column: {file value: value}}``) applied to the text cells."""
    if not source.values:
        return frame
    frame = frame.copy()
    for column, mapping in source.values.items():
        if column not in frame:
            continue
        lookup = {_key_text(key): str(value) for key, value in mapping.items()}
        cells = frame[column]
        codes, distinct = pd.factorize(cells.to_numpy())
        replaced = np.array([lookup.get(_key_text(value), value) for value in distinct.tolist()] + [np.nan],
                            dtype=object)
        frame[column] = pd.Series(replaced[codes], index=frame.index, dtype=object)
    return frame


def _key_text(value: object) -> str:
    """A cell or a ``values:`` key as text: 1, 1.0 and '1' alike."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


#: Below this many bytes of input, :func:`read_tables` reads the tables one after the
#: other: a second thread would save less than it costs.
THREADED_READ_MIN_BYTES = 8_000_000
#: Threads reading tables at once: pandas parses a CSV without holding the GIL, so two
#: threads read a large campaign in about two thirds of the time (benchmarks/README.md).
READ_THREADS = 2


def read_tables(locations: Mapping[str, str | Path | TableSource], context: ReadContext | None = None
                ) -> dict[str, LoadedTable]:
    """:func:`read_table` of every table (name -> location), two at a time in threads.

    The largest files are started first. Small campaigns
    (< :data:`THREADED_READ_MIN_BYTES`) are read one table after the other.

    Returns
    -------
    dict of str to LoadedTable
        In the order of ``locations``; the same tables whether read in threads or not.
    """
    sizes = {name: _file_size(location) for name, location in locations.items()}
    if sum(sizes.values()) < THREADED_READ_MIN_BYTES:
        return {name: read_table(name, location, context) for name, location in locations.items()}
    with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="evalkit-read") as pool:
        reading = {name: pool.submit(read_table, name, locations[name], context)
                   for name in sorted(sizes, key=sizes.__getitem__, reverse=True)}
        return {name: reading[name].result() for name in locations}


def _file_size(location: str | Path | TableSource) -> int:
    """Bytes of the table's files (0 when they cannot be read: :func:`read_table` says why)."""
    total = 0
    for path in TableSource.of(location).files():
        try:
            total += path.stat().st_size
        except OSError:
            pass
    return total


class _Distinct:
    """A text column as its distinct trimmed values and, per row, the position of its value.

    ``values[0]`` is NA (empty, blank and missing cells); ``values[codes[i]]`` is row i's text.
    Long columns repeat few values (pilot ids, codes, yes/no), so checking and converting
    each distinct value once is much faster than an element-wise string method.
    """

    def __init__(self, series: pd.Series):
        codes, distinct = pd.factorize(series.to_numpy())  # (no copy; any kind of NA is -1)
        self.index = series.index
        self.codes = codes + 1
        self.values = np.array(["", *map(str.strip, map(str, distinct.tolist()))], dtype=object)
        self.values[self.values == ""] = np.nan

    def series(self, values: np.ndarray | None = None) -> pd.Series:
        """The trimmed text of every row (object dtype, NA as NaN), or ``values`` (one per
        distinct value, as :meth:`mapped` gives) of every row."""
        values = self.values if values is None else values
        return pd.Series(values.take(self.codes), index=self.index, dtype=object)

    def categorical(self, values: np.ndarray | None = None) -> pd.Categorical:
        """:meth:`series` as a :class:`pandas.Categorical`."""
        codes, categories = pd.factorize(self.values if values is None else values)
        return pd.Categorical.from_codes(codes.take(self.codes), categories=categories)

    def mapped(self, function: Callable[[str], object]) -> np.ndarray:
        """``function`` of each distinct value (NA stays NA), as an object array like ``values``."""
        return np.array([np.nan, *[np.nan if text is np.nan else function(text) for text in self.values[1:].tolist()]],
                        dtype=object)

    def failed(self, converted: np.ndarray) -> list[tuple[int, str]]:
        """(row, text) of every row, in order, whose text is there but whose conversion is NA."""
        bad = pd.notna(self.values) & pd.isna(converted)
        if not bad.any():
            return []
        rows = np.flatnonzero(bad[self.codes])
        return [(int(row), self.values[code]) for row, code in zip(self.index[rows].tolist(), self.codes[rows].tolist())]


def _convert_text(text: _Distinct, col: Column, file: str, problems: list[Problem], notes: list[Note]
                  ) -> tuple[pd.Series, pd.Categorical | None]:
    """:func:`_convert` of a text column, computed per distinct value; for text and category
    columns also the result as a categorical (see :meth:`LoadedTable.codes`)."""
    if col.kind == "bool":
        flags = text.mapped(lambda value: BOOL_VALUES.get(value.lower(), np.nan))
        for row, value in text.failed(flags):
            problems.append(Problem(file, row, col.name, f"'{value}' is not yes/no (是/否, 1/0)"))
        missing = pd.isna(flags)
        if col.default is not None:
            flags = np.where(missing, col.default, flags)
            missing = pd.isna(flags)
        data = np.where(missing, False, flags).astype(bool)
        return pd.Series(pd.arrays.BooleanArray(data.take(text.codes), missing.take(text.codes)), index=text.index), None
    if col.kind == "category":
        codes = CATEGORIES[col.category or col.name]
        lookup = _category_lookup(codes)
        mapped = text.mapped(lambda value: lookup.get(value.lower(), np.nan))
        allowed = ", ".join(f"{code} ({labels[0]})" for code, labels in codes.items())
        for row, value in text.failed(mapped):
            problems.append(Problem(file, row, col.name, f"unknown value '{value}'; expected one of {allowed} (map "
                                                         f"other words or symbols with values: in the campaign file)"))
        return text.series(mapped), text.categorical(mapped)
    if col.kind in ("id", "text"):
        return text.series(), text.categorical()
    return _convert(text.series(), col, file, problems, notes), None


def _holds_numbers(spec: TableSpec, header: str) -> bool:
    """Whether a column of this header holds numbers: ``number`` columns and survey items."""
    canonical = spec.header_aliases.get(header.strip().lower())
    if canonical is None:
        return spec.extra_columns == "items"
    return spec.column(canonical).kind == "number"


def _convert(series: pd.Series, col: Column, file: str, problems: list[Problem], notes: list[Note]) -> pd.Series:
    if col.kind == "datetime":
        return _to_datetime(series, file, col.name, notes)
    if col.kind == "duration":
        return _to_seconds(series, file, col.name, notes)
    if col.kind == "number":
        return _to_number(series, file, col.name, problems)
    if col.kind == "bool":
        converted = _to_bool(series, file, col.name, problems)
        return converted.fillna(col.default) if col.default is not None else converted
    if col.kind == "date":
        return _to_date(series, file, col.name, problems)
    if col.kind == "category":
        return _to_category(series, col, file, problems)
    return series.astype(object)


def _to_number(series: pd.Series, file: str, column: str, problems: list[Problem]) -> pd.Series:
    if pd.api.types.is_float_dtype(series):  # read as numbers already: nothing to convert
        _report_infinite(series, series, file, column, problems)
        return series
    numbers = parse_numbers(series)
    bad = series.notna() & numbers.isna()
    for row, value in series[bad].items():
        problems.append(Problem(file, int(row), column, f"'{value}' is not a number"))
    _report_infinite(numbers, series, file, column, problems)
    return numbers


def parse_numbers(series: pd.Series) -> pd.Series:
    """Numbers as people write them: ``1,200`` (thousands separators) and ``85%`` (0.85,
    the decimal the cell shows, as a spreadsheet stores it — not 85 ÷ 100 in binary, which
    is 0.85 only by luck: 33.3% ÷ 100 gives 0.33299999999999996). NaN where a cell is not
    a number."""
    text = series.astype("string").str.replace(",", "", regex=False).str.strip()
    percent = text.str.endswith("%").fillna(False).to_numpy(dtype=bool)
    numbers = pd.to_numeric(text.where(~percent), errors="coerce").astype(float)
    if percent.any():
        numbers[percent] = _per_value(text[percent].str.removesuffix("%"), _percent).astype(float).to_numpy()
    return numbers


def _percent(text: str) -> float:
    """``"33.3"`` (of ``33.3%``) -> 0.333; NaN when it is not a number."""
    try:
        return float(decimal.Decimal(text.strip()).scaleb(-2))
    except decimal.InvalidOperation:
        return math.nan


def _report_infinite(numbers: pd.Series, cells: pd.Series, file: str, column: str, problems: list[Problem]) -> None:
    """A problem for each infinite number ('inf', or 1e400 beyond a float's range): no score,
    sum or JSON file can hold it."""
    infinite = np.isinf(numbers.to_numpy(dtype=float))
    for row, value in cells[infinite].items():
        problems.append(Problem(file, int(row), column, f"'{value}' is not a finite number"))


def _per_value(series: pd.Series, function: Callable[[str], object]) -> pd.Series:
    """``function`` of each cell's text (NA stays NA), computed once per distinct value.

    Long columns repeat few values (pilot ids, codes, yes/no), so this is much faster than
    an element-wise string method.
    """
    codes, distinct = pd.factorize(series)
    results = np.array([np.nan] + [function(str(value)) for value in distinct], dtype=object)
    return pd.Series(results[codes + 1], index=series.index, dtype=object)


def _to_bool(series: pd.Series, file: str, column: str, problems: list[Problem]) -> pd.Series:
    lowered = _per_value(series, str.lower)
    result = pd.Series(pd.NA, index=series.index, dtype="boolean")
    result[lowered.isin(TRUE_WORDS).to_numpy()] = True
    result[lowered.isin(FALSE_WORDS).to_numpy()] = False
    bad = series.notna() & result.isna()
    for row, value in series[bad].items():
        problems.append(Problem(file, int(row), column, f"'{value}' is not yes/no (是/否, 1/0)"))
    return result


def _to_metric(series: pd.Series, file: str, column: str, problems: list[Problem]) -> pd.Series:
    """An extra ``pilots`` column: numbers, or yes/no read as 1/0; text columns stay text."""
    lowered = series.dropna().astype(str).str.lower()
    if lowered.empty:
        return pd.Series(np.nan, index=series.index, dtype=float)
    if lowered.isin(BOOL_WORDS).all():
        return _to_bool(series, file, column, problems).astype(float)
    numbers = parse_numbers(series)
    if numbers.notna().sum() == lowered.size:
        _report_infinite(numbers, series, file, column, problems)
        return numbers.astype(float)
    return series.astype(object)


#: A date as Chinese forms write it: 2021年6月1日 (read as 2021-6-1).
_CHINESE_DATE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*$")


def _to_date(series: pd.Series, file: str, column: str, problems: list[Problem]) -> pd.Series:
    written = series.astype("string").str.replace(_CHINESE_DATE, r"\1-\2-\3", regex=True)
    dates = pd.to_datetime(written, errors="coerce", format="mixed")
    bad = series.notna() & dates.isna()
    for row, value in series[bad].items():
        problems.append(Problem(file, int(row), column, f"'{value}' is not a date (use YYYY-MM-DD or 2021年6月1日)"))
    return dates


def _to_datetime(series: pd.Series, file: str, column: str, notes: list[Note]) -> pd.Series:
    """Submission times as platforms write them (2023/4/12 9:31:07); NaT, noted, where unreadable."""
    times = pd.to_datetime(series.astype("string").str.strip(), errors="coerce", format="mixed")
    _note_unread(series, times, file, column, "a date and time", notes)
    return times.astype("datetime64[ns]")


#: A duration as questionnaire platforms write it: 183秒, 3分3秒, 1小时2分3秒, 183 (seconds).
_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*(?:小时|时))?\s*(?:(\d+(?:\.\d+)?)\s*分(?:钟)?)?\s*"
                       r"(?:(\d+(?:\.\d+)?)\s*秒?)?\s*$")


def _seconds(text: str) -> float:
    if ":" in text:
        parts = text.strip().split(":")
        try:
            return float(sum(float(part) * 60 ** power for power, part in enumerate(reversed(parts))))
        except ValueError:
            return math.nan
    match = _DURATION.match(text)
    if match is None or not any(match.groups()):
        return math.nan
    hours, minutes, seconds = (float(group) if group else 0.0 for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _to_seconds(series: pd.Series, file: str, column: str, notes: list[Note]) -> pd.Series:
    """Durations in seconds (float); NaN, noted, where unreadable."""
    seconds = _per_value(series, _seconds).astype(float)
    _note_unread(series, seconds, file, column, "a duration", notes)
    return seconds


def _note_unread(cells: pd.Series, values: pd.Series, file: str, column: str, what: str, notes: list[Note]) -> None:
    unread = cells.notna().to_numpy() & pd.isna(values).to_numpy()
    if unread.any():
        rows = cells.index[unread].tolist()
        notes.append(note_rows(file, "unread-metadata", rows, f"{count_text(len(rows), 'cell')} of {column} not read "
                                                               f"as {what} (left blank)"))


def _category_lookup(codes: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Lower-cased code or label -> canonical code."""
    lookup = {code.lower(): code for code in codes}
    for code, labels in codes.items():
        lookup.update({label.lower(): code for label in labels})
    return lookup


def _to_category(series: pd.Series, col: Column, file: str, problems: list[Problem]) -> pd.Series:
    codes = CATEGORIES[col.category or col.name]
    lookup = _category_lookup(codes)
    mapped = _per_value(series, lambda text: lookup.get(text.lower(), np.nan))
    bad = series.notna() & mapped.isna()
    allowed = ", ".join(f"{code} ({labels[0]})" for code, labels in codes.items())
    for row, value in series[bad].items():
        problems.append(Problem(file, int(row), col.name, f"unknown value '{value}'; expected one of {allowed}"))
    return mapped.astype(object).where(mapped.notna(), np.nan)
