"""专家打分表 as experts keep them (``layout: wide``): one row per pilot, one column per indicator.

A sheet names its pilots in a ``pilot_id`` column (试点编号), else by 试点名称 or 承担单位
(resolved against the pilots table when the campaign is loaded), and has one column per
expert-scored indicator whose header starts with the indicator's id
(``A1标准体系框架科学合理（6分）``); other columns (序号, 合计 …) are ignored. The expert is
named by a ``评审专家：NAME`` line above the header, else by the sheet (when several sheets
are read) or the file (one file per expert). ``8分`` reads as 8; a blank cell means the
expert did not score that indicator for that pilot (noted, never 0).

:func:`melt` turns such a sheet into rows of the experts table (``pilot_id``,
``expert_id``, ``indicator_id``, ``score``), each remembering the file row and header its
score came from, so that a problem still names the cell a person sees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import Note, Problem
from evalkit.tables.headers import PILOT_HEADERS, formula_problem, indicator_of
from evalkit.tables.sources import Piece, TableSource, count_text, named_expert, note_rows

#: Columns of the melted table, and the origin columns kept beside them.
COLUMNS = ("pilot_id", "expert_id", "indicator_id", "score")


def melt(piece: Piece, source: TableSource, indicators: tuple[str, ...],
         problems: list[Problem], notes: list[Note]) -> pd.DataFrame | None:
    """The experts-table rows of one 专家打分表 sheet (None when it cannot be read as one).

    Returns
    -------
    DataFrame or None
        Columns ``pilot_id``, ``expert_id``, ``indicator_id``, ``score`` (text, ``分``
        removed), ``row`` (the file row) and ``header`` (the score's column header); one row
        per filled score cell.
    """
    frame, file = piece.frame, piece.file
    headers = [str(h).strip() for h in frame.columns]
    pilot_header = _pilot_column(headers, source)
    scored = {header: indicator for header in headers if (indicator := indicator_of(header, indicators))}
    if pilot_header is None:
        problems.append(Problem(file, piece.header_row, None, "no column names the pilots (试点编号, 试点名称 or "
                                                              "承担单位; or columns: {pilot_id: …} in the campaign file)"))
    if not scored:
        shown = ", ".join(indicators) or "none: the scheme has no rule: expert indicator"
        problems.append(Problem(file, piece.header_row, None, f"no column header starts with the id of an "
                                                              f"expert-scored indicator ({shown})"))
    if pilot_header is None or not scored:
        return None
    repeated = {indicator for indicator in scored.values() if list(scored.values()).count(indicator) > 1}
    for header, indicator in scored.items():
        if indicator in repeated:
            problems.append(Problem(file, piece.header_row, header, f"two columns score indicator {indicator}"))
    if repeated:
        return None
    expert = named_expert(piece.above)
    if expert is None:  # no 评审专家 line: the sheet's name (several sheets read), else the file's
        by_sheet = source.sheets != "first" and piece.sheet is not None
        expert = piece.sheet if by_sheet else piece.stem
        notes.append(Note(file, "expert-name", 1, f"no 评审专家 line above the header: the scores are expert "
                                                  f"'{expert}''s, the {'sheet' if by_sheet else 'file'}'s name"))
    ignored = [h for h in headers if h != pilot_header and h not in scored and not h.startswith("Unnamed:") and h]
    if ignored:
        notes.append(Note(file, "ignored-columns", len(ignored),
                          f"{count_text(len(ignored), 'column')} of the 专家打分表 ignored: {', '.join(ignored)}"))
    for (row, header), formula in sorted(piece.formulas.items()):
        if (header == pilot_header or header in scored) and row in frame.index:
            problems.append(formula_problem(file, row, header, formula))
    pilots = frame[pilot_header]
    parts = []
    blank_rows: list[int] = []
    for header, indicator in scored.items():
        cells = frame[header]
        given = cells.notna().to_numpy() & pilots.notna().to_numpy()
        blank_rows += frame.index[pilots.notna().to_numpy() & cells.isna().to_numpy()].tolist()
        text = cells[given].astype(str).str.strip().str.replace(r"\s*分$", "", regex=True)
        parts.append(pd.DataFrame({"pilot_id": pilots[given].to_numpy(), "expert_id": expert,
                                   "indicator_id": indicator, "score": text.to_numpy(),
                                   "row": frame.index[given].to_numpy(), "header": header}))
    if blank_rows:
        notes.append(note_rows(file, "blank-scores", sorted(set(blank_rows)),
                               f"{count_text(len(blank_rows), 'blank score cell')}: not scored by expert '{expert}' "
                               f"(not 0)"))
    melted = pd.concat(parts, ignore_index=True)
    order = np.lexsort((melted["header"].map(headers.index).to_numpy(), melted["row"].to_numpy()))
    return melted.iloc[order].reset_index(drop=True)


def _pilot_column(headers: list[str], source: TableSource) -> str | None:
    """The header of the column naming the pilots: the spec's ``columns: {pilot_id: …}``, else
    an id column, else a name column, else a unit column."""
    if "pilot_id" in source.columns:
        return source.columns["pilot_id"].strip()
    for names in PILOT_HEADERS.values():
        for header in headers:
            if header.lower() in names:
                return header
    return None
