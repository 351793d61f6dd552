"""The score files (docs/outputs.md): ``scores.csv``, ``scores.xlsx``, ``scorecards.jsonl``.

* ``scores.csv`` — :attr:`Scores.table` as UTF-8 *with* BOM (so that Excel, which reads a
  BOM-less CSV in the system's ANSI code page, shows the Chinese names correctly; pandas
  and every CSV reader of the project skip the BOM), ``\\n`` line ends, numbers with
  exactly four decimals, ``True``/``False`` for ``passed`` and ``vetoed``, ``missing`` the
  ids of the indicators scored 0 for missing data; a text cell that starts like a
  spreadsheet formula gets a leading ``'`` (:func:`_csv_text`). Byte-identical for
  identical inputs.
* ``scores.xlsx`` — the same table with Chinese headers (试点编号 … 缺失数据 and
  ``A1 标准体系框架``), a frozen header row and sized columns on a summary sheet 总表, plus
  one sheet per top-level indicator; an indicator's cell is marked (shaded, italic) where it
  was scored 0 for missing data. Written by XlsxWriter with fixed document properties and
  zip entry times, so the same values give the same workbook; compare workbooks by their
  values (``evalkit verify`` does), as the zip's bytes depend on the zlib that packed them.
* ``scorecards.jsonl`` — every pilot's full scorecard (:meth:`Scores.card`: the tree with
  every point explained), one compact JSON object per line, in table order (JSON Lines;
  orjson encodes the values). Byte-identical for identical inputs.

When the campaign has a standard implementation scheme (``standard_scheme``), the scores
of its standards (``score(campaign, "standard")``) are written too: ``standards_scores.csv``
in the format of ``scores.csv`` and ``standards_scorecards.jsonl`` in that of
``scorecards.jsonl``.

No file holds a timestamp. The files are replaced together or not at all
(:func:`evalkit.atomic.write_all_atomic`), so a failure (a full disk included) never leaves
a half-written file, replaces a good one with a broken one, or leaves a mix of new and old
files.
"""

from __future__ import annotations

import io
import os
import re
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
import pandas as pd
import xlsxwriter

from evalkit.atomic import Content, write_all_atomic
from evalkit.display import XLSX_FORMATS
from evalkit.scoring import Scores, Slot

CSV_ENCODING = "utf-8-sig"
FLOAT_FORMAT = "%.4f"

#: The files of a campaign's scores, in the order :func:`write_scores` returns them.
SCORES_CSV, SCORES_XLSX, SCORECARDS = "scores.csv", "scores.xlsx", "scorecards.jsonl"
STANDARDS_CSV, STANDARD_SCORECARDS = "standards_scores.csv", "standards_scorecards.jsonl"

#: Chinese headers of the information columns of ``scores.xlsx``.
HEADERS = {
    "pilot_id": "试点编号",
    "name": "试点名称",
    "district": "所属区",
    "domain": "试点领域",
    "total": "总分",
    "grade": "等级",
    "passed": "是否通过",
    "vetoed": "一票否决",
    "missing": "缺失数据",
}
COLUMN_WIDTHS = {"pilot_id": 14, "name": 36, "district": 10, "domain": 10, "missing": 16}
DEFAULT_WIDTH = 12
SUMMARY_SHEET = "总表"
#: How ``scores.xlsx`` marks an indicator's cell scored 0 for missing data.
MISSING_CELL = {"bg_color": "#FCE4D6", "italic": True}
#: Fixed document time of ``scores.xlsx`` (XlsxWriter fixes the zip entries' times itself).
FIXED_TIME = datetime(2000, 1, 1)
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
_SHEET_NAME_LENGTH = 31


def write_scores(scores: Scores, out_dir: str | os.PathLike[str], standards: Scores | None = None) -> list[Path]:
    """Write ``scores.csv``, ``scores.xlsx`` and ``scorecards.jsonl`` into ``out_dir``.

    Parameters
    ----------
    scores : Scores
        The result of :func:`evalkit.score`.
    out_dir : path
        Output directory; created when missing.
    standards : Scores, optional
        The scores of the campaign's standards (``score(campaign, "standard")``): also
        writes ``standards_scores.csv`` and ``standards_scorecards.jsonl``.

    Returns
    -------
    list of Path
        The files written, in the order above (the standards' two last).

    Notes
    -----
    The scorecards — hundreds of megabytes for 10,000 pilots and their standards — are not
    built in memory: their lines go to the temporary file as they are produced.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    contents: dict[Path, Content] = {
        out / SCORES_CSV: scores_csv(scores),
        out / SCORES_XLSX: scores_xlsx(scores),
        out / SCORECARDS: partial(write_scorecards, scores=scores),
    }
    if standards is not None:
        contents[out / STANDARDS_CSV] = scores_csv(standards)
        contents[out / STANDARD_SCORECARDS] = partial(write_scorecards, scores=standards)
    return write_all_atomic(contents)


def scores_csv(scores: Scores) -> bytes:
    """The bytes of ``scores.csv`` (or ``standards_scores.csv`` for the scores of standards).

    What ``table.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\\n")``
    writes, with the float columns formatted beforehand once per distinct value (pandas
    formats every cell in Python).
    """
    table = scores.table
    columns = {name: _csv_floats(table[name]) if pd.api.types.is_float_dtype(table[name])
               else _csv_text(table[name]) if _is_text(table[name]) else table[name]
               for name in table.columns}
    text = pd.DataFrame(columns, index=table.index).to_csv(index=False, lineterminator="\n")
    return text.encode(CSV_ENCODING)


#: What makes a spreadsheet program read a CSV cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A cell starting like a formula, in a column's cells joined by ``\n`` (and one before them).
_FORMULA_START = re.compile("\n[" + re.escape("".join(FORMULA_STARTS)) + "]")


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)


def _csv_text(series: pd.Series) -> pd.Series:
    """Text cells as written, except that one starting like a formula gets a leading ``'``.

    Excel and WPS run ``=HYPERLINK(…)`` (or ``+``, ``-``, ``@`` …) in a CSV cell as a formula
    when they open the file; names and titles come from the data (standard titles from the
    pilots' own registers), so such a cell is written as text the way a spreadsheet user
    would type it: ``'=HYPERLINK(…)``.
    """
    texts = series.dropna().tolist()
    if set(map(type, texts)) <= {str} and not _FORMULA_START.search("\n" + "\n".join(texts)):
        return series  # (no cell starts like a formula: one search over the column's text)
    risky = series.str.startswith(FORMULA_STARTS, na=False).to_numpy(dtype=bool)
    if not risky.any():
        return series
    values = series.to_numpy(dtype=object, na_value=None).copy()
    values[risky] = ["'" + text for text in values[risky]]
    return pd.Series(values, index=series.index, dtype=object)


def _csv_floats(series: pd.Series) -> pd.Series:
    """``FLOAT_FORMAT % value`` of every cell, NaN as an empty cell (as ``to_csv`` writes them)."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(values)
    plain = values[present].tolist()
    if (np.signbit(values) & (values == 0)).any():  # -0.0 == 0.0: a dict would merge them
        texts = [FLOAT_FORMAT % value for value in plain]
    else:
        distinct = dict.fromkeys(plain)
        for value in distinct:
            distinct[value] = FLOAT_FORMAT % value
        texts = list(map(distinct.__getitem__, plain))
    out = np.full(len(values), "", dtype=object)
    out[present] = texts
    return pd.Series(out, index=series.index, dtype=object)


def scorecards_jsonl(scores: Scores) -> bytes:
    """The bytes of ``scorecards.jsonl`` (:func:`write_scorecards` into memory)."""
    out = io.BytesIO()
    write_scorecards(out, scores)
    return out.getvalue()


def read_scorecards(data: bytes) -> list[dict[str, Any]]:
    """The cards of a ``scorecards.jsonl`` (or ``standards_scorecards.jsonl``), in file order."""
    return [orjson.loads(line) for line in data.splitlines() if line.strip()]


#: Cards laid out at a time by :func:`write_scorecards`.
CARDS_AT_A_TIME = 2000
#: Where a per-pilot value goes in a card's encoded template: a NUL byte, which JSON text
#: cannot hold raw (orjson writes it inside strings as ``\\u0000``).
_VALUE = orjson.Fragment(b"\x00")


def write_scorecards(stream: BinaryIO, scores: Scores) -> None:
    """Write every card of ``scores`` as JSON Lines: one compact JSON object per line, in table order.

    Line ``i`` is ``orjson.dumps(scores.card(key_i))``. It is put together from
    :attr:`Scores.card_template`: the parts every card shares are encoded once (orjson,
    with a placeholder where the pilots differ), each distinct value of a slot once, and
    the encoded pieces of :data:`CARDS_AT_A_TIME` cards are joined and written at a time —
    encoding 66,000 cards one by one takes several times as long.
    """
    slots: list[Slot] = []

    def marked(part: Any) -> Any:
        if isinstance(part, Slot):
            slots.append(part)
            return _VALUE
        if isinstance(part, dict):
            return {key: marked(item) for key, item in part.items()}
        if isinstance(part, list):
            return [marked(item) for item in part]
        return part

    shared = orjson.dumps(marked(scores.card_template)).split(b"\x00")
    columns = [_encoded(slot.values) for slot in slots]
    count = len(scores.table)
    width = 2 * len(slots) + 2  # shared piece, value, …, value, last piece, newline
    for start in range(0, count, CARDS_AT_A_TIME):
        cards = min(CARDS_AT_A_TIME, count - start)
        pieces: list[bytes] = [b"\n"] * (cards * width)
        for position, piece in enumerate(shared):
            pieces[2 * position::width] = [piece] * cards
        for position, column in enumerate(columns):
            pieces[2 * position + 1::width] = column[start:start + cards]
        stream.write(b"".join(pieces))


def _encoded(values: list[Any]) -> list[bytes]:
    """``orjson.dumps`` of every value, each distinct one encoded once (a column repeats few values).

    Values of one plain type are told apart as they are; others (and floats when a ``-0.0``
    is among them, which equals ``0.0``) by ``repr``, which tells ``True`` from ``1`` and
    ``0.0`` from ``-0.0``.
    """
    kinds = set(map(type, values))
    plain = len(kinds - {type(None)}) <= 1 and kinds <= {float, int, str, bool, type(None)}
    if plain and float in kinds and 0.0 in values:
        numbers = np.array(values, dtype=float)  # (None -> NaN)
        plain = not (np.signbit(numbers) & (numbers == 0)).any()
    keys = values if plain else list(map(repr, values))
    distinct = dict(zip(keys, values))
    for key, value in distinct.items():
        distinct[key] = orjson.dumps(value)
    return list(map(distinct.__getitem__, keys))


def scores_xlsx(scores: Scores) -> bytes:
    """The bytes of ``scores.xlsx``: the summary sheet plus one sheet per top-level indicator.

    Written by XlsxWriter in memory, every text as a text cell (no formula, number or link
    is read into one), yes/no flags as 是/否, points and totals shown with two decimals
    (:data:`evalkit.display.XLSX_FORMATS`; the cell keeps the full value), and the cells of
    indicators scored 0 for missing data marked (:data:`MISSING_CELL`).
    """
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False, "nan_inf_to_errors": True})
    book.set_properties({"title": scores.scheme.title, "author": "evalkit", "created": FIXED_TIME})
    header_format = book.add_format({"bold": True, "text_wrap": True, "valign": "vcenter"})
    points_format = book.add_format({"num_format": XLSX_FORMATS["points"]})
    missing_format = book.add_format({**MISSING_CELL, "num_format": XLSX_FORMATS["points"]})
    table = scores.table
    points_columns = {"total", *table.columns[len(scores.info_columns):]}
    labels = {node.id: f"{node.id} {node.label}" for node in scores.scheme.nodes()}
    cells = {column: _cells(table[column]) for column in table.columns}
    missing = {row: ids.split() for row, ids in enumerate(table["missing"].tolist()) if ids}
    nodes = list(table.columns[len(scores.info_columns):])
    sheets = [(SUMMARY_SHEET, list(table.columns))]
    for top in scores.scheme.indicators:
        ids = {node.id for node in top.walk()}
        sheets.append((f"{top.id} {top.label}", ["pilot_id", "name", *[n for n in nodes if n in ids]]))
    names: list[str] = []
    for title, columns in sheets:
        names.append(_sheet_name(title, names))
        sheet = book.add_worksheet(names[-1])
        sheet.freeze_panes(1, 0)
        for position, column in enumerate(columns):
            sheet.set_column(position, position, COLUMN_WIDTHS.get(column, DEFAULT_WIDTH),
                             points_format if column in points_columns else None)
        sheet.write_row(0, 0, [HEADERS.get(column) or labels[column] for column in columns], header_format)
        for row, values in enumerate(zip(*(cells[column] for column in columns)), start=1):
            sheet.write_row(row, 0, values)
        position = {column: index for index, column in enumerate(columns)}
        for row, ids in missing.items():
            for node_id in ids:
                if node_id in position:
                    sheet.write_number(row + 1, position[node_id], cells[node_id][row], missing_format)
    book.close()
    return out.getvalue()


def _cells(series: pd.Series) -> list[Any]:
    """A column's cells as written: yes/no flags as 是/否, numbers as numbers, the rest as text."""
    if pd.api.types.is_bool_dtype(series):
        return ["是" if flag else "否" for flag in series.tolist()]
    if pd.api.types.is_numeric_dtype(series):
        return series.tolist()
    return [str(value) for value in series.tolist()]


def _sheet_name(title: str, taken: list[str]) -> str:
    """An Excel-safe sheet name: ≤ 31 characters, none of []:*?/\\, not starting or ending
    with an apostrophe, and unique ignoring case (as Excel compares them)."""
    base = title.translate(_SHEET_NAME_FORBIDDEN)[:_SHEET_NAME_LENGTH].strip("'") or "_"
    used = {name.casefold() for name in taken}
    name, number = base, 1
    while name.casefold() in used:
        number += 1
        suffix = f" ({number})"
        name = base[:_SHEET_NAME_LENGTH - len(suffix)].rstrip("'") + suffix
    return name
