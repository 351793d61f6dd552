"""The files of ``evalkit score`` (SPEC §8): ``scores.csv``, ``scores.xlsx``, ``scorecards.json``.

All three are byte-identical for identical inputs:

* ``scores.csv`` — :attr:`Scores.table` as UTF-8 *with* BOM (so that Excel, which reads a
  BOM-less CSV in the system's ANSI code page, shows the Chinese names correctly; pandas
  and every CSV reader of the project skip the BOM), ``\\n`` line ends, numbers with
  exactly four decimals, ``True``/``False`` for ``passed`` and ``vetoed``.
* ``scores.xlsx`` — the same table with Chinese headers (试点编号 … and ``A1 标准体系框架``),
  a frozen header row and sized columns on a summary sheet 总表, plus one sheet per
  top-level indicator. Document properties and zip entry times are fixed, so the bytes do
  not depend on when the file was written.
* ``scorecards.json`` — ``{"campaign", "scheme", "pilots": [scorecard, ...]}`` (see
  :meth:`Scores.card`), UTF-8, ``indent=1``, numbers rounded as in :mod:`evalkit.scoring`.

No file holds a timestamp. Every file is first written to a temporary file in the same
directory and then moved into place, after all three were produced, so a failure never
leaves a half-written file or replaces a good one with a broken one.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.core import DocumentProperties
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from evalkit.scoring import INFO_COLUMNS, Scores

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

#: Fixed document and zip-entry times of ``scores.xlsx`` (zip cannot store dates before 1980).
FIXED_TIME = datetime(2000, 1, 1)
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})
_SHEET_NAME_LENGTH = 31


def write_scores(scores: Scores, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``scores.csv``, ``scores.xlsx`` and ``scorecards.json`` into ``out_dir``.

    Parameters
    ----------
    scores : Scores
        The result of :func:`evalkit.score`.
    out_dir : path
        Output directory; created when missing.

    Returns
    -------
    list of Path
        The files written, in the order above.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    contents = {
        "scores.csv": scores_csv(scores),
        "scores.xlsx": scores_xlsx(scores),
        "scorecards.json": scorecards_json(scores),
    }
    return [write_atomic(out / name, data) for name, data in contents.items()]


def scores_csv(scores: Scores) -> bytes:
    """The bytes of ``scores.csv``."""
    text = scores.table.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return text.encode(CSV_ENCODING)


def scorecards_json(scores: Scores) -> bytes:
    """The bytes of ``scorecards.json``."""
    scheme = scores.scheme
    document = {
        "campaign": scores.campaign_id,
        "scheme": {"id": scheme.id, "version": scheme.version, "title": scheme.title, "total": float(scheme.total),
                   "pass_mark": float(scheme.pass_mark), "bonus_cap": float(scheme.bonus_cap)},
        "pilots": scores.cards(),
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def scores_xlsx(scores: Scores) -> bytes:
    """The bytes of ``scores.xlsx``: summary sheet plus one sheet per top-level indicator."""
    book = Workbook(write_only=True)
    table = scores.table
    nodes = list(table.columns[len(INFO_COLUMNS):])
    _add_sheet(book, SUMMARY_SHEET, scores, list(table.columns))
    for top in scores.scheme.indicators:
        ids = [node.id for node in top.walk()]
        _add_sheet(book, f"{top.id} {top.label}", scores, ["pilot_id", "name", *[n for n in nodes if n in ids]])
    buffer = io.BytesIO()
    book.save(buffer)
    return _without_timestamps(buffer.getvalue(), scores.scheme.title)


def _add_sheet(book: Workbook, title: str, scores: Scores, columns: list[str]) -> None:
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
    frame = scores.table[columns].copy()
    for flag in ("passed", "vetoed"):
        if flag in frame:
            frame[flag] = frame[flag].map({True: "是", False: "否"})
    for row in frame.itertuples(index=False, name=None):
        sheet.append(row)


def _sheet_name(title: str, taken: list[str]) -> str:
    """An Excel-safe, unique sheet name (≤ 31 characters, none of []:*?/\\)."""
    base = title.translate(_SHEET_NAME_FORBIDDEN)[:_SHEET_NAME_LENGTH]
    name, number = base, 1
    while name in taken:
        number += 1
        suffix = f" ({number})"
        name = base[:_SHEET_NAME_LENGTH - len(suffix)] + suffix
    return name


def _without_timestamps(xlsx: bytes, title: str) -> bytes:
    """Re-pack an xlsx with fixed document properties and fixed zip entry times."""
    properties = DocumentProperties(creator="evalkit", title=title, created=FIXED_TIME, modified=FIXED_TIME)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = tostring(properties.to_tree()) if entry.filename == "docProps/core.xml" else source.read(entry)
            fixed = zipfile.ZipInfo(entry.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.create_system = 3  # the same bytes on every operating system
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same directory and ``os.replace``."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path

