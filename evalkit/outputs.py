"""The files of ``evalkit score`` (SPEC §8): ``scores.csv``, ``scores.xlsx``, ``scorecards.json``.

All three are byte-identical for identical inputs:

* ``scores.csv`` — :attr:`Scores.table` as UTF-8 *with* BOM (so that Excel, which reads a
  BOM-less CSV in the system's ANSI code page, shows the Chinese names correctly; pandas
  and every CSV reader of the project skip the BOM), ``\\n`` line ends, numbers with
  exactly four decimals, ``True``/``False`` for ``passed`` and ``vetoed``; a text cell that
  starts like a spreadsheet formula gets a leading ``'`` (:func:`_csv_text`).
* ``scores.xlsx`` — the same table with Chinese headers (试点编号 … and ``A1 标准体系框架``),
  a frozen header row and sized columns on a summary sheet 总表, plus one sheet per
  top-level indicator. Document properties and zip entry times are fixed, so the bytes do
  not depend on when the file was written.
* ``scorecards.json`` — ``{"campaign", "scheme", "pilots": [scorecard, ...]}`` (see
  :meth:`Scores.card`), UTF-8, ``indent=1``, numbers rounded as in :mod:`evalkit.scoring`.

When the campaign has a standard implementation scheme (``standard_scheme``), the scores
of its standards (``score(campaign, "standard")``) are written too: ``standards_scores.csv``
in the format of ``scores.csv``, and ``"standard_scheme"`` and ``"standards": [scorecard,
...]`` after ``"pilots"`` in ``scorecards.json``. Without one, the files are exactly as
before.

No file holds a timestamp. The files are replaced together or not at all
(:func:`evalkit.atomic.write_all_atomic`), so a failure (a full disk included) never leaves
a half-written file, replaces a good one with a broken one, or leaves a mix of new and old
files.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from datetime import datetime
from functools import partial
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.packaging.core import DocumentProperties
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from evalkit.atomic import Content, write_all_atomic
from evalkit.scoring import Scores, Slot

CSV_ENCODING = "utf-8-sig"
FLOAT_FORMAT = "%.4f"

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
}
COLUMN_WIDTHS = {"pilot_id": 14, "name": 36, "district": 10, "domain": 10}
DEFAULT_WIDTH = 12
SUMMARY_SHEET = "总表"

#: zlib level of the xlsx entries: 1 compresses 10,000 pilots' workbook in half the time of
#: the default 6, for a file about 30 % larger (5.7 instead of 4.4 MB).
XLSX_COMPRESSION = 1
#: Fixed document and zip-entry times of ``scores.xlsx`` (zip cannot store dates before 1980).
FIXED_TIME = datetime(2000, 1, 1)
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})
_SHEET_NAME_LENGTH = 31

#: Placeholders of the cards in the scorecards document, and of the per-pilot values in a card.
_SENTINEL_CARD = "\x00card\x00"
_SLOT = re.compile(r'"\\u0000(\d+)\\u0000"')


def write_scores(scores: Scores, out_dir: str | os.PathLike[str], standards: Scores | None = None) -> list[Path]:
    """Write ``scores.csv``, ``scores.xlsx`` and ``scorecards.json`` into ``out_dir``.

    Parameters
    ----------
    scores : Scores
        The result of :func:`evalkit.score`.
    out_dir : path
        Output directory; created when missing.
    standards : Scores, optional
        The scores of the campaign's standards (``score(campaign, "standard")``): also
        writes ``standards_scores.csv`` and adds them to ``scorecards.json``.

    Returns
    -------
    list of Path
        The files written, in the order above (``standards_scores.csv`` last).

    Notes
    -----
    ``scorecards.json`` — hundreds of megabytes for 10,000 pilots — is not built in memory:
    its text goes to its temporary file as it is produced (:func:`write_scorecards`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    contents: dict[Path, Content] = {
        out / "scores.csv": scores_csv(scores),
        out / "scores.xlsx": scores_xlsx(scores),
        out / "scorecards.json": partial(write_scorecards, scores=scores, standards=standards),
    }
    if standards is not None:
        contents[out / "standards_scores.csv"] = scores_csv(standards)
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


def scorecards_json(scores: Scores, standards: Scores | None = None) -> bytes:
    """The bytes of ``scorecards.json`` (:func:`write_scorecards` into memory)."""
    out = io.BytesIO()  # grows in place; getvalue() hands over its buffer without a copy
    write_scorecards(out, scores, standards)
    return out.getvalue()


def write_scorecards(stream: BinaryIO, scores: Scores, standards: Scores | None = None) -> None:
    """Write ``scorecards.json`` to a binary stream.

    Exactly ``json.dumps(document, ensure_ascii=False, indent=1)`` plus a final newline,
    but built from :attr:`Scores.card_template`: the parts every card shares are encoded
    once, each distinct value of a slot once, and the cards are written from those UTF-8
    pieces, :attr:`_CardFormat.CHUNK` cards per ``stream.write`` (json's indenting encoder
    is pure Python and takes tens of seconds for 10,000 pilots).
    ``standards`` adds ``"standard_scheme"`` and ``"standards"`` after ``"pilots"``.
    """
    document: dict[str, Any] = {
        "campaign": scores.campaign_id,
        "scheme": _scheme_header(scores.scheme),
        "pilots": scores,
    }
    if standards is not None:
        document.update({"standard_scheme": _scheme_header(standards.scheme), "standards": standards})
    sections = {key: value for key, value in document.items() if isinstance(value, Scores)}
    cards = {key: _CardFormat(value.card_template) for key, value in sections.items()}
    marked = {key: [_SENTINEL_CARD] if key in sections and cards[key].count else [] if key in sections else value
              for key, value in document.items()}
    parts = json.dumps(marked, ensure_ascii=False, indent=1).split(f"{_CARD_INDENT}{json.dumps(_SENTINEL_CARD)}")
    stream.write(parts[0].encode("utf-8"))
    for card_format, rest in zip((found for found in cards.values() if found.count), parts[1:]):
        card_format.write(_CARD_INDENT, stream)
        stream.write(rest.encode("utf-8"))
    stream.write(b"\n")


#: Indent of a card in ``scorecards.json``: the cards are items of a top-level list.
_CARD_INDENT = "  "


def _scheme_header(scheme: Any) -> dict[str, Any]:
    return {"id": scheme.id, "version": scheme.version, "title": scheme.title, "total": float(scheme.total),
            "pass_mark": float(scheme.pass_mark), "bonus_cap": float(scheme.bonus_cap)}


class _CardFormat:
    """Every pilot's card as JSON text (``indent=1`` layout) from a card template."""

    #: Cards laid out at a time by :meth:`write`.
    CHUNK = 2000

    def __init__(self, template: dict[str, Any]):
        self.slots: list[Slot] = []
        self.template = self._mark(template)
        self.count = len(self.slots[0].values) if self.slots else 0

    def _mark(self, part: Any) -> Any:
        """The template with each slot replaced by the marker string of its number."""
        if isinstance(part, Slot):
            self.slots.append(part)
            return f"\x00{len(self.slots) - 1}\x00"
        if isinstance(part, dict):
            return {key: self._mark(item) for key, item in part.items()}
        if isinstance(part, list):
            return [self._mark(item) for item in part]
        return part

    def _pieces(self, indent: str) -> tuple[bytes, list[list[bytes]]]:
        """The card's UTF-8 text split at its slots, every line indented by ``indent``: the
        text before the first slot, and for each slot its JSON values, each followed by the
        text up to the next slot (or to the end of the card)."""
        text = indent + json.dumps(self.template, ensure_ascii=False, indent=1).replace("\n", "\n" + indent)
        markers = list(_SLOT.finditer(text))
        ends = [marker.start() for marker in markers[1:]] + [len(text)]
        columns = []
        for marker, end in zip(markers, ends):
            line = text[text.rfind("\n", 0, marker.start()) + 1:marker.start()]
            depth = line[:len(line) - len(line.lstrip(" "))]
            values = self.slots[int(marker.group(1))].values
            columns.append(_json_column(values, depth, text[marker.end():end].encode("utf-8")))
        return text[:markers[0].start() if markers else len(text)].encode("utf-8"), columns

    def write(self, indent: str, out: BinaryIO) -> None:
        """Write every card to ``out`` in UTF-8: each card's JSON text, every line (the first
        included) indented by ``indent``, the cards separated by ``,\\n``; one ``write``
        per :attr:`CHUNK` cards."""
        head, columns = self._pieces(indent)
        width = 1 + len(columns)  # the card's head (after the separator), then its slots
        for start in range(0, self.count, self.CHUNK):
            count = min(self.CHUNK, self.count - start)
            pieces = [b",\n" + head] * (count * width)
            for position, column in enumerate(columns, start=1):
                pieces[position::width] = column[start:start + count]
            if start == 0:
                pieces[0] = head  # no separator before the first card
            out.write(b"".join(pieces))


def _json_column(values: list[Any], indent: str, suffix: bytes = b"") -> list[bytes]:
    """:func:`_json_value` of every item in UTF-8, each followed by ``suffix``; columns of
    one plain type are encoded once per distinct value (and share the encoded pieces)."""
    kinds = set(map(type, values))
    if kinds <= {float, type(None)}:
        if 0.0 in values:
            as_array = np.array(values, dtype=float)  # None -> NaN
            if (np.signbit(as_array) & (as_array == 0)).any():  # -0.0 == 0.0: a dict would merge them
                return [_json_scalar(v).encode("utf-8") + suffix for v in values]
        encode = _json_scalar
    elif kinds == {bool}:
        return list(map({True: b"true" + suffix, False: b"false" + suffix}.__getitem__, values))
    elif kinds == {str}:
        encode = encode_basestring
    elif kinds == {int}:
        encode = int.__repr__
    else:
        return _json_containers(values, indent, suffix)
    distinct = dict.fromkeys(values)
    for value in distinct:
        distinct[value] = encode(value).encode("utf-8") + suffix
    return list(map(distinct.__getitem__, values))


def _json_containers(values: list[Any], indent: str, suffix: bytes) -> list[bytes]:
    """:func:`_json_column` of a column of lists and dicts, each distinct one encoded once.

    Distinct by ``repr``, which tells apart exactly what JSON tells apart among JSON-ready
    values (``True``, ``1`` and ``1.0``; ``0.0`` and ``-0.0``), and is computed in C.
    """
    keys = list(map(repr, values))
    distinct: dict[str, Any] = dict(zip(keys, values))
    for key, item in distinct.items():
        distinct[key] = _json_value(item, indent).encode("utf-8") + suffix
    return list(map(distinct.__getitem__, keys))


def _json_scalar(value: float | None) -> str:
    return "null" if value is None else float.__repr__(value)


def _json_value(value: Any, indent: str) -> str:
    """``value`` as ``json.dumps(..., ensure_ascii=False, indent=1)`` writes it at ``indent``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, float):
        return float.__repr__(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    inner = indent + " "
    if isinstance(value, dict):
        items = [f"{inner}{encode_basestring(str(k))}: {_json_value(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + _json_value(v, inner) for v in value) + "\n" + indent + "]"


def scores_xlsx(scores: Scores) -> bytes:
    """The bytes of ``scores.xlsx``: summary sheet plus one sheet per top-level indicator.

    openpyxl writes the workbook, its styled header rows, frozen panes and column widths;
    the data rows — the same ``inlineStr``/number cells openpyxl's write-only mode would
    write — are rendered with string templates and put into each sheet while the file is
    re-packed without timestamps (openpyxl's per-cell path takes seconds for 10,000 pilots).
    """
    book = Workbook(write_only=True)
    table = scores.table
    nodes = list(table.columns[len(scores.info_columns):])
    sheets = [_add_sheet(book, SUMMARY_SHEET, scores, list(table.columns))]
    for top in scores.scheme.indicators:
        ids = {node.id for node in top.walk()}
        sheets.append(_add_sheet(book, f"{top.id} {top.label}", scores,
                                 ["pilot_id", "name", *[n for n in nodes if n in ids]]))
    buffer = io.BytesIO()
    book.save(buffer)
    tails: dict[str, list[str]] = {}  # a column's cells after their reference, shared by the sheets
    rows = {sheet.path.lstrip("/"): _rows_xml(table, columns, tails) for sheet, columns in sheets}
    return _without_timestamps(buffer.getvalue(), scores.scheme.title, rows)


def _add_sheet(book: Workbook, title: str, scores: Scores, columns: list[str]) -> tuple[Any, list[str]]:
    """A sheet with its header row, frozen below the header; returns it and its columns."""
    sheet = book.create_sheet(_sheet_name(title, book.sheetnames))
    sheet.freeze_panes = "A2"
    for position, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = COLUMN_WIDTHS.get(column, DEFAULT_WIDTH)
    labels = {node.id: f"{node.id} {node.label}" for node in scores.scheme.nodes()}
    header_font, header_alignment = Font(bold=True), Alignment(wrap_text=True, vertical="center")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, HEADERS.get(column) or labels[column])
        cell.font, cell.alignment = header_font, header_alignment
        header.append(cell)
    sheet.append(header)
    return sheet, columns


def _rows_xml(table: pd.DataFrame, columns: list[str], tails: dict[str, list[str]] | None = None) -> str:
    """``<row>`` elements of the table's rows 2, 3, … for ``columns`` (yes/no flags as 是/否).

    ``tails`` caches each column's cells after their ``<c r="…"`` (computed once per distinct
    value) for the next sheet showing the column.
    """
    tails = {} if tails is None else tails
    numbers = range(2, len(table) + 2)
    cells = []
    for position, column in enumerate(columns, start=1):
        if column not in tails:
            tails[column] = _cell_tails(table[column])
        letter = get_column_letter(position)
        cells.append([f'<c r="{letter}{r}"{tail}' for r, tail in zip(numbers, tails[column])])
    return "".join(f'<row r="{r}">{"".join(row)}</row>' for r, row in zip(numbers, zip(*cells)))


def _cell_tails(series: pd.Series) -> list[str]:
    """Each cell of a column without its ``<c r="…"`` start, encoded once per distinct value."""
    if pd.api.types.is_bool_dtype(series):
        values, encode = ["是" if flag else "否" for flag in series.tolist()], _text_tail
    elif pd.api.types.is_numeric_dtype(series):
        values, encode = series.tolist(), _number_tail  # (0.0 and -0.0, 1 and 1.0 are written alike)
    else:
        values, encode = list(map(str, series.tolist())), _text_tail
    distinct = dict.fromkeys(values)
    for value in distinct:
        distinct[value] = encode(value)
    return list(map(distinct.__getitem__, values))


def _number_tail(value: float) -> str:
    return f' t="n"><v>{_excel_number(value)}</v></c>'


def _text_tail(text: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f' t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _excel_number(value: float) -> str:
    """A number as openpyxl writes it: whole numbers without '.0'."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


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


def _without_timestamps(xlsx: bytes, title: str, rows: dict[str, str]) -> bytes:
    """Re-pack an xlsx with fixed document properties and zip entry times, adding ``rows``
    (sheet path -> ``<row>`` elements) at the end of each sheet's data."""
    properties = DocumentProperties(creator="evalkit", title=title, created=FIXED_TIME, modified=FIXED_TIME)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = tostring(properties.to_tree()) if entry.filename == "docProps/core.xml" else source.read(entry)
            if entry.filename in rows:
                data = data.replace(b"</sheetData>", rows[entry.filename].encode("utf-8") + b"</sheetData>", 1)
            fixed = zipfile.ZipInfo(entry.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.create_system = 3  # the same bytes on every operating system
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSION)
    return out.getvalue()
