"""Reading campaign tables: CSV in any of the encodings Chinese tools export, or xlsx.

This module turns one file into a *typed frame with canonical codes*:

* encodings UTF-8, UTF-8 with BOM and GB18030 (a superset of GBK and GB2312) are detected
  by trying them in that order; a file that is none of them is a problem, not a guess;
* ``file.xlsx`` reads the first sheet, ``file.xlsx#Sheet`` the named one;
* headers may be the English names of SPEC §3 or their Chinese aliases;
* category values may be canonical codes or their Chinese labels.

The frame's index is the row number as a person sees it in the file (header = 1), so
every later check can name the row. Schema checks (required values, allowed codes,
uniqueness) live in :mod:`evalkit.validate`.
"""

from __future__ import annotations

import codecs
import csv
import decimal
import io
import math
import re
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import Problem, display_path
from evalkit.forked import call_all
from evalkit.text import CONTROL_CHARACTERS, control_character_problem

ENCODINGS = ("utf-8-sig", "gb18030")

#: Canonical category codes and the labels accepted for them (case-insensitive).
CATEGORIES: dict[str, dict[str, tuple[str, ...]]] = {
    "level": {
        "international": ("国际标准", "国际"),
        "national": ("国家标准", "国标", "国家"),
        "industry": ("行业标准", "行标", "行业"),
        "local": ("地方标准", "地标", "地方"),
        "group": ("团体标准", "团标", "团体"),
        "enterprise": ("企业标准", "企标", "企业"),
    },
    "status": {
        "current": ("现行", "现行有效", "有效"),
        "withdrawn": ("废止", "作废"),
        "upcoming": ("即将实施",),
    },
    "origin": {
        "adopted": ("采用",),
        "developed": ("制定", "自主制定"),
        "revised": ("修订",),
    },
    "group": {
        "staff": ("员工", "职工"),
        "client": ("服务对象", "顾客", "客户"),
    },
    "result": {
        "conform": ("符合",),
        "partial": ("基本符合", "部分符合"),
        "nonconform": ("不符合",),
        "na": ("不适用", "n/a"),
    },
    "period": {
        "baseline": ("基期", "基线", "试点前"),
        "final": ("末期", "试点后"),
    },
    "better": {
        "higher": ("越高越好", "高", "正向"),
        "lower": ("越低越好", "低", "负向"),
    },
}

#: Labels of category codes for reports (the first Chinese alias).
CATEGORY_LABELS: dict[str, dict[str, str]] = {
    name: {code: aliases[0] for code, aliases in codes.items()} for name, codes in CATEGORIES.items()
}

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "是", "已实施", "实施", "有", "√"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "否", "未实施", "无", "×"})
#: Every word read as yes or no.
BOOL_WORDS = TRUE_WORDS | FALSE_WORDS
_BOOL_VALUES = {**{word: False for word in FALSE_WORDS}, **{word: True for word in TRUE_WORDS}}


@dataclass(frozen=True)
class Column:
    """One column of a campaign table.

    ``kind`` is one of ``id`` (text, required), ``text``, ``category`` (values of
    :data:`CATEGORIES` under ``category``), ``number``, ``bool`` and ``date``.
    """

    name: str
    aliases: tuple[str, ...]
    kind: str = "text"
    required: bool = True
    category: str | None = None
    default: object = None


@dataclass(frozen=True)
class TableSpec:
    """The columns of one table; ``key`` columns identify a row and must be unique together."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    extra_columns: str = "forbid"  # "forbid", "metrics" (pilots) or "items" (surveys)
    label: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def header_aliases(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for col in self.columns:
            for alias in (col.name, *col.aliases):
                mapping[alias.strip().lower()] = col.name
        return mapping


_PILOT_ID = Column("pilot_id", ("试点编号", "项目编号", "编号"), "id")

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "pilots",
            (
                _PILOT_ID,
                Column("name", ("试点名称", "项目名称", "名称")),
                Column("unit", ("承担单位", "单位")),
                Column("district", ("所属区", "区", "所在区")),
                Column("domain", ("试点领域", "领域")),
                Column("start_date", ("开始日期", "起始日期"), "date", required=False),
                Column("end_date", ("结束日期", "截止日期"), "date", required=False),
            ),
            key=("pilot_id",),
            extra_columns="metrics",
            label="试点名录",
        ),
        TableSpec(
            "standards",
            (
                _PILOT_ID,
                Column("std_code", ("标准编号", "标准号"), "id"),
                Column("title", ("标准名称", "名称"), required=False, default=""),
                Column("level", ("层级", "标准层级"), "category", category="level"),
                Column("status", ("状态", "标准状态"), "category", category="status"),
                Column("origin", ("来源", "标准来源"), "category", category="origin"),
                Column("implemented", ("是否实施", "实施"), "bool"),
            ),
            key=("pilot_id", "std_code"),
            label="标准明细表",
        ),
        TableSpec(
            "surveys",
            (
                _PILOT_ID,
                Column("respondent_id", ("答卷编号", "受访者编号", "问卷编号"), "id"),
                Column("group", ("群体", "对象类别", "受访者类别"), "category", category="group"),
            ),
            key=("pilot_id", "respondent_id"),
            extra_columns="items",
            label="问卷",
        ),
        TableSpec(
            "inspections",
            (
                _PILOT_ID,
                Column("item_id", ("检查项编号", "检查项"), "id"),
                Column("std_code", ("标准编号", "标准号"), required=False),
                Column("inspector", ("检查员", "检查人"), required=False),
                Column("result", ("检查结果", "结果"), "category", category="result"),
                Column("critical", ("是否关键项", "关键项", "严重"), "bool", required=False, default=False),
            ),
            key=("pilot_id", "item_id"),
            label="现场检查",
        ),
        TableSpec(
            "kpis",
            (
                _PILOT_ID,
                Column("indicator", ("指标", "指标名称"), "id"),
                Column("period", ("期别", "时期"), "category", category="period"),
                Column("value", ("数值", "值"), "number"),
                Column("better", ("方向", "优化方向"), "category", category="better"),
            ),
            key=("pilot_id", "indicator", "period"),
            label="绩效指标",
        ),
        TableSpec(
            "experts",
            (
                _PILOT_ID,
                Column("expert_id", ("专家编号", "专家"), "id"),
                Column("indicator_id", ("指标编号", "评分指标"), "id"),
                Column("score", ("得分", "评分", "分数"), "number"),
            ),
            key=("pilot_id", "expert_id", "indicator_id"),
            label="专家评分",
        ),
    )
}

OPTIONAL_TABLES = frozenset({"standards", "kpis", "experts"})


@dataclass
class LoadedTable:
    """A table read from disk: the typed frame, where it came from, and what was wrong."""

    name: str
    path: Path
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    extra_columns: tuple[str, ...] = ()
    categorical: dict[str, pd.Categorical] = field(default_factory=dict, repr=False)

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


def split_sheet(location: str | Path) -> tuple[Path, str | None]:
    """Split ``book.xlsx#Sheet`` into the path and the sheet name (None = first sheet)."""
    text = str(location)
    if "#" in text and text.split("#", 1)[0].lower().endswith((".xlsx", ".xlsm")):
        path, sheet = text.split("#", 1)
        return Path(path), sheet
    return Path(text), None


def read_raw(location: str | Path, numeric: Callable[[str], bool] | None = None
             ) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV or xlsx file as text cells (empty cell = NA), index = row as seen by a person.

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
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame, problems = _read_xlsx(path, sheet, file)
        suspect = True
    elif path.suffix.lower() in (".csv", ".txt", ""):
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


def _control_characters(frame: pd.DataFrame, file: str) -> list[Problem]:
    """A problem for each header and cell of ``frame`` holding a control character."""
    pattern = f"[{re.escape(CONTROL_CHARACTERS)}]"
    cells = [(1, str(header), str(header)) for header in frame.columns]
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
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None, _undecodable(data, file)
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
        repeated = any(_is_pandas_dup(str(name), header) for name in header)
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


def _read_xlsx(path: Path, sheet: str | None, file: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The sheet as text cells; no frame when the workbook cannot be read, problems (with the
    frame) for formulas saved without their values."""
    try:
        rows, name, sheets = _sheet_rows(path, sheet, formulas=True)
        formulas = any(isinstance(v, str) and v.startswith("=") for row in rows for v in row)
        if formulas:  # the values Excel saved with them (openpyxl writes none)
            saved, _, _ = _sheet_rows(path, sheet, formulas=False)
    except _DAMAGED_XLSX as exc:
        return None, [Problem(file, None, None, f"not a readable xlsx workbook ({exc.__class__.__name__}): the file "
                                                f"is damaged or not an xlsx; open it in Excel and save it again")]
    if name is None:
        return None, [Problem(file, None, None, f"no sheet named '{sheet}' (sheets: {', '.join(sheets)})")]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    if not rows:
        where = ("" if sheet is not None or len(sheets) == 1
                 else f" (sheets: {', '.join(sheets)}; name the one to read as {path.name}#{sheets[-1]})")
        return None, [Problem(file, 1, None, f"the sheet '{name}' is empty (no header row){where}")]
    header = _as_pandas_headers(["" if v is None else str(v) for v in rows[0]])
    problems = []
    if formulas:  # a formula without its value reads as a blank cell: never silently
        problems = [Problem(file, number, header[column], f"the cell holds a formula ({value}) without a saved "
                                                          f"value: open the workbook in Excel and save it, so that "
                                                          f"its values are stored")
                    for number, (row, values) in enumerate(zip(rows, saved), start=1)
                    for column, value in enumerate(row[:len(header)])
                    if isinstance(value, str) and value.startswith("=") and values[column] is None]
        rows = saved[:len(rows)]
    width = len(header)
    body = [[_cell_text(v) for v in (r + [None] * width)[:width]] for r in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=object), problems


def _sheet_rows(path: Path, sheet: str | None, formulas: bool) -> tuple[list[list[object]], str | None, list[str]]:
    """The rows of the sheet (the first when ``sheet`` is None), with formulas as text
    (``=B2*2``) or as the values saved with them; its name (None: no such sheet); every sheet's name."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=not formulas)
    try:
        sheets = list(book.sheetnames)
        name = sheets[0] if sheet is None else sheet if sheet in sheets else None
        rows = [] if name is None else [list(r) for r in book[name].iter_rows(values_only=True)]
    finally:
        book.close()
    return rows, name, sheets


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
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    text = str(value)
    return text if text.strip() else np.nan


def read_table(name: str, location: str | Path) -> LoadedTable:
    """Read one campaign table into a typed frame with canonical column names and codes.

    Parameters
    ----------
    name : str
        One of :data:`TABLES` (``pilots``, ``standards``, ``surveys``, ``inspections``,
        ``kpis``, ``experts``).
    location : str or Path
        A ``.csv`` file, or ``.xlsx`` optionally followed by ``#Sheet``.

    Returns
    -------
    LoadedTable
        ``frame`` holds canonical columns (and extra columns: ``pilot.*`` metrics for
        ``pilots``, item answers for ``surveys``); cells that could not be converted are
        NA and reported in ``problems``.
    """
    spec = TABLES[name]
    path, sheet = split_sheet(location)
    raw, problems = read_raw(location, numeric=lambda header: _holds_numbers(spec, header))
    file = display_path(path) + (f"#{sheet}" if sheet else "")
    if raw is None:
        return LoadedTable(name, path, pd.DataFrame(columns=[c.name for c in spec.columns]), problems)
    frame, extras = _canonical_headers(raw, spec, file, problems)
    # Text cells are trimmed (blank = NA) and converted once per distinct value of the column.
    texts = {column: _Distinct(frame[column]) for column in frame.columns
             if pd.api.types.is_string_dtype(frame[column])}
    columns: dict[str, object] = {}
    categorical: dict[str, pd.Categorical] = {}
    for col in spec.columns:
        if col.name not in frame:
            columns[col.name] = np.nan if col.default is None else col.default
        elif col.name in texts:
            columns[col.name], categorical[col.name] = _convert_text(texts[col.name], col, file, problems)
        else:
            columns[col.name] = _convert(frame[col.name], col, file, problems)
    for extra in extras:
        series = texts[extra].series() if extra in texts else frame[extra]
        if spec.extra_columns == "items":
            columns[extra] = _to_number(series, file, extra, problems)
        elif spec.extra_columns == "metrics":
            columns[extra] = _to_metric(series, file, extra, problems)
        else:
            columns[extra] = series
    typed = pd.DataFrame(index=frame.index)
    for column, values in columns.items():
        typed[column] = values
    return LoadedTable(name, path, typed, problems, tuple(extras), {c: v for c, v in categorical.items() if v is not None})


#: Below this many bytes of input, :func:`read_tables` reads every table in this process:
#: forking a child and sending its tables back costs more than it saves.
PARALLEL_READ_MIN_BYTES = 8_000_000


def read_tables(locations: Mapping[str, str | Path]) -> dict[str, LoadedTable]:
    """:func:`read_table` of every table (name -> location), in two processes at once.

    The tables are shared out by file size between this process and a forked child
    (:func:`evalkit.forked.call_all`), largest first, each to the process with fewer bytes
    so far; the child's tables come back pickled. Small campaigns
    (< :data:`PARALLEL_READ_MIN_BYTES`) are read here alone.

    Returns
    -------
    dict of str to LoadedTable
        In the order of ``locations``.
    """
    sizes = {name: _file_size(location) for name, location in locations.items()}
    if sum(sizes.values()) < PARALLEL_READ_MIN_BYTES:
        return {name: read_table(name, location) for name, location in locations.items()}
    shares: tuple[list[str], list[str]] = ([], [])
    loads = [0, 0]
    for name in sorted(sizes, key=sizes.__getitem__, reverse=True):
        lighter = loads.index(min(loads))
        shares[lighter].append(name)
        loads[lighter] += sizes[name]
    read = call_all([partial(_read_share, share, locations) for share in shares if share])
    tables = {name: table for share in read for name, table in share.items()}
    return {name: tables[name] for name in locations}


def _read_share(names: list[str], locations: Mapping[str, str | Path]) -> dict[str, LoadedTable]:
    return {name: read_table(name, locations[name]) for name in names}


def _file_size(location: str | Path) -> int:
    """Bytes of the table's file (0 when it cannot be read: :func:`read_table` says why)."""
    try:
        return split_sheet(location)[0].stat().st_size
    except OSError:
        return 0


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


def _convert_text(text: _Distinct, col: Column, file: str, problems: list[Problem]
                  ) -> tuple[pd.Series, pd.Categorical | None]:
    """:func:`_convert` of a text column, computed per distinct value; for text and category
    columns also the result as a categorical (see :meth:`LoadedTable.codes`)."""
    if col.kind == "bool":
        flags = text.mapped(lambda value: _BOOL_VALUES.get(value.lower(), np.nan))
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
            problems.append(Problem(file, row, col.name, f"unknown value '{value}'; expected one of {allowed}"))
        return text.series(mapped), text.categorical(mapped)
    if col.kind in ("id", "text"):
        return text.series(), text.categorical()
    return _convert(text.series(), col, file, problems), None


def _holds_numbers(spec: TableSpec, header: str) -> bool:
    """Whether a column of this header holds numbers: ``number`` columns and survey items."""
    canonical = spec.header_aliases.get(header.strip().lower())
    if canonical is None:
        return spec.extra_columns == "items"
    return spec.column(canonical).kind == "number"


def _canonical_headers(
    raw: pd.DataFrame, spec: TableSpec, file: str, problems: list[Problem]
) -> tuple[pd.DataFrame, list[str]]:
    aliases = spec.header_aliases
    renamed: list[str] = []
    extras: list[str] = []
    seen: dict[str, str] = {}
    keep: list[int] = []
    for position, header in enumerate(raw.columns):
        header_text = str(header).strip()
        if header_text.startswith("Unnamed:") or not header_text:
            if raw.iloc[:, position].notna().any():
                problems.append(Problem(file, 1, f"column {position + 1}", "column has values but no header"))
            continue
        canonical = aliases.get(header_text.lower())
        if canonical is None:
            if spec.extra_columns == "forbid":
                problems.append(Problem(file, 1, header_text, f"unknown column for the {spec.name} table"))
                continue
            canonical = header_text
            extras.append(canonical)
        base = canonical.split(".")[0] if _is_pandas_dup(header_text, raw.columns) else canonical
        if base in seen:
            problems.append(Problem(file, 1, header_text, f"duplicate column (same as '{seen[base]}')"))
            if canonical in extras:
                extras.remove(canonical)
            continue
        seen[base] = header_text
        renamed.append(canonical)
        keep.append(position)
    frame = raw.iloc[:, keep]  # copy-on-write: no copy needed (copying would consolidate 1M-row blocks)
    frame.columns = renamed
    for col in spec.columns:
        if col.required and col.name not in frame:
            names = " / ".join((col.name, *col.aliases[:1]))
            problems.append(Problem(file, 1, col.name, f"required column missing ({names})"))
    return frame, extras


def _is_pandas_dup(header: str, columns: pd.Index) -> bool:
    """pandas renames a repeated header ``x`` to ``x.1``; detect that mangling."""
    stem, dot, suffix = header.rpartition(".")
    return bool(dot) and suffix.isdigit() and stem in columns


def _convert(series: pd.Series, col: Column, file: str, problems: list[Problem]) -> pd.Series:
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
