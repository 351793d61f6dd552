"""Tables read against each other, before validation: what one file says about another's rows.

* A ``pilot_id`` cell may hold a pilot's id, its name (试点名称) or its unit (承担单位), exactly
  as in the pilots table; a name or unit is replaced by the id (noted), and one matching two
  pilots is a problem. A file of a glob without a pilot column belongs to the pilot its name
  is (noted); a file whose name is no pilot id is a problem.
* Standards registers: a level left out (column or cell) is inferred from the code
  (:func:`evalkit.tables.standard_codes.code_levels`) and noted, a written level that the
  code contradicts is noted, and a register without an origin column is noted (the origin
  metrics are then missing). A standard listed twice in one pilot's register in two
  spellings (``GB/T24421.1-2023`` and ``GB/T 24421.1-2023``, see
  :func:`evalkit.tables.standard_codes.normalise_codes`) is counted once, with a note, when
  both rows agree on status and implementation; when they disagree it is a problem — which
  row is right is not for evalkit to guess. (Rows repeating a code exactly are reported by
  the key check of :mod:`evalkit.validate`.)
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from evalkit.errors import Note, Problem
from evalkit.tables.conversion import LoadedTable
from evalkit.tables.sources import count_text, note_rows
from evalkit.tables.standard_codes import code_levels, normalise_codes
from evalkit.tables.vocabulary import CATEGORY_LABELS


def reconcile(tables: dict[str, LoadedTable]) -> tuple[list[Problem], list[Note]]:
    """Resolve pilot references and tidy the standards register, in place; the problems and notes."""
    problems: list[Problem] = []
    notes: list[Note] = []
    pilots = tables.get("pilots")
    if pilots is not None and not pilots.frame.empty:
        known = set(pilots.frame["pilot_id"].dropna().astype(str))
        named: dict[str, set[str]] = defaultdict(set)  # a pilot's name or unit -> the pilots it names
        for column in ("name", "unit"):
            for pilot, text in zip(pilots.frame["pilot_id"].tolist(), pilots.frame[column].tolist()):
                if isinstance(pilot, str) and isinstance(text, str):
                    named[text.strip()].add(pilot)
        for name, table in tables.items():
            if name != "pilots" and "pilot_id" in table.frame and not table.frame.empty:
                problems += _resolve_pilots(table, known, named, notes)
    standards = tables.get("standards")
    if standards is not None and not standards.frame.empty and "std_code" in standards.frame:
        problems += _standard_levels(standards, notes)
        if "origin" in standards.absent_columns:
            for file in _where(standards, np.arange(len(standards.frame))) or [standards.file]:
                notes.append(Note(file, "no-origin", 1, "no origin (来源) column: standards.adopted_count and "
                                                        "standards.developed_count are missing for every pilot"))
        problems += _merge_respelt(standards, notes)
    return problems, notes


def _where(table: LoadedTable, positions: np.ndarray) -> dict[str, list[int]]:
    """The rows at ``positions``, by the file they came from (for notes)."""
    found: dict[str, list[int]] = defaultdict(list)
    index = table.frame.index[positions]
    if table.origins is None:
        found[table.file] = index.tolist()
        return found
    origins = table.origins.loc[index]
    for file, row in zip(origins["file"].tolist(), origins["row"].tolist()):
        found[file].append(int(row))
    return found


def _resolve_pilots(table: LoadedTable, known: set[str], named: dict[str, set[str]],
                    notes: list[Note]) -> list[Problem]:
    problems: list[Problem] = []
    for file, stem in table.pilot_from_file.items():
        rows = np.flatnonzero(_file_rows(table, file))
        if stem in known:
            notes.append(Note(file, "pilot-from-file", len(rows), f"pilot {stem} for its {count_text(len(rows), 'row')}: "
                                                                  f"the file's name (the file has no pilot column)"))
        else:
            problems.append(Problem(file, None, None, f"the file has no pilot column and its name '{stem}' is not a "
                                                      f"pilot id: name the file after its pilot (e.g. "
                                                      f"{sorted(known)[0]}.xlsx), or add a pilot column"))
    codes = table.codes("pilot_id")
    replacement = {}
    by_file: dict[str, tuple[int, list[str]]] = {}
    for position, value in enumerate(codes.categories.tolist()):
        text = str(value).strip()
        if text in known:
            continue
        matches = sorted(named.get(text, ()))
        rows = np.flatnonzero(codes.codes == position)
        if len(matches) == 1:
            replacement[value] = matches[0]
            for file, found in _where(table, rows).items():
                count, shown = by_file.get(file, (0, []))
                by_file[file] = (count + len(found), [*shown, f"{text} → {matches[0]}"])
        elif len(matches) > 1:
            problems += table.locate([Problem(table.file, int(table.frame.index[rows[0]]), "pilot_id",
                                              f"'{text}' is the name or unit of pilots {', '.join(matches)}: write "
                                              f"the pilot id" + (f" ({len(rows) - 1} more such rows)"
                                                                 if len(rows) > 1 else ""))])
    for file, (count, shown) in by_file.items():
        notes.append(Note(file, "pilot-by-name", count, f"{count_text(count, 'row')} name their pilot by its name "
                                                        f"or unit, read as its id: {', '.join(shown)}"))
    if replacement:
        table.frame["pilot_id"] = table.frame["pilot_id"].map(lambda v: replacement.get(v, v))
        table.categorical.pop("pilot_id", None)
    return problems


def _file_rows(table: LoadedTable, file: str) -> np.ndarray:
    if table.origins is None:
        return np.ones(len(table.frame), dtype=bool)
    return (table.origins["file"] == file).to_numpy()


def _standard_levels(table: LoadedTable, notes: list[Note]) -> list[Problem]:
    frame = table.frame
    written_codes = table.codes("std_code")  # inferred once per distinct code
    by_code = code_levels(normalise_codes(pd.Series(written_codes.categories, dtype=object))).to_numpy()
    inferred = np.append(by_code, np.nan)[written_codes.codes]
    known = np.append(pd.notna(by_code), False)[written_codes.codes]
    levels = table.codes("level")
    written = np.append(levels.categories.to_numpy(dtype=object), np.nan)[levels.codes]
    blank = (levels.codes < 0) & (written_codes.codes >= 0)
    problems = []
    fill = blank & known
    if fill.any():
        frame.loc[fill, "level"] = inferred[fill]
        table.categorical.pop("level", None)
        for file, rows in _where(table, np.flatnonzero(fill)).items():
            notes.append(note_rows(file, "level-from-code", rows, f"{count_text(len(rows), 'level')} inferred from the "
                                                                   f"standard codes (GB national, DB local, T/ group, "
                                                                   f"Q/ enterprise, ISO/IEC international, other "
                                                                   f"prefixes industry)"))
    for position in np.flatnonzero(blank & ~known):
        problems += table.locate([Problem(table.file, int(frame.index[position]), "level",
                                          f"no level, and the code '{frame['std_code'].iat[position]}' does not say "
                                          f"it: write the level (国家标准, 行业标准, 地方标准, 团体标准, 企业标准, "
                                          f"国际标准)")])
    contradicted = np.flatnonzero(~blank & known & (levels.codes >= 0) & (written != inferred))
    if len(contradicted):
        labels = CATEGORY_LABELS["level"]
        first = contradicted[0]
        example = (f"e.g. '{frame['std_code'].iat[first]}' written {labels.get(written[first], written[first])}, "
                   f"its code says {labels[inferred[first]]}")
        for file, rows in _where(table, contradicted).items():
            notes.append(note_rows(file, "level-contradicts-code", rows,
                                   f"the written level of {count_text(len(rows), 'row')} contradicts the code "
                                   f"({example}); the written level is used"))
    return problems


#: Columns two spellings of one standard in a register must agree on to be counted once.
AGREEING = ("status", "implemented")


def _merge_respelt(table: LoadedTable, notes: list[Note]) -> list[Problem]:
    """Drop the later rows of a standard listed again in another spelling when they agree;
    a problem for each that disagrees."""
    frame = table.frame
    pilots = table.codes("pilot_id").codes.astype(np.int64)
    written = table.codes("std_code")
    normal = pd.factorize(normalise_codes(pd.Series(written.categories, dtype=object)))[0]
    codes = np.where(written.codes >= 0, normal[written.codes], -1)
    complete = (pilots >= 0) & (codes >= 0)
    key = np.where(complete, pilots * (int(codes.max(initial=0)) + 1) + codes, -1 - np.arange(len(codes)))
    exact = np.where(complete, pilots * (len(written.categories) + 1) + written.codes, -1 - np.arange(len(codes)))
    _, first_of, group = np.unique(key, return_index=True, return_inverse=True)
    firsts = first_of[group]
    _, exact_first = np.unique(exact, return_index=True)
    repeated_exactly = np.ones(len(exact), dtype=bool)
    repeated_exactly[exact_first] = False
    candidates = np.flatnonzero((firsts != np.arange(len(key))) & ~repeated_exactly)
    agree, problems = [], []
    for position in candidates.tolist():
        original = int(firsts[position])
        differ = [column for column in AGREEING
                  if not _same(frame[column].iat[position], frame[column].iat[original])]
        if not differ:
            agree.append(position)
            continue
        shown = ", ".join(f"{column} ({_shown(frame[column].iat[original])} / {_shown(frame[column].iat[position])})"
                          for column in differ)
        problems += table.locate([Problem(
            table.file, int(frame.index[position]), "std_code",
            f"'{frame['std_code'].iat[position]}' is the standard of "
            f"{table.row_name(frame.index[original], frame.index[position])} ('{frame['std_code'].iat[original]}') "
            f"written another way, and the two rows disagree on {shown}: list it once")])
    if agree:
        for file, rows in _where(table, np.array(agree)).items():
            notes.append(note_rows(file, "respelt-standards", rows,
                                   f"{count_text(len(rows), 'row')} repeating the standard of an earlier row in "
                                   f"another spelling (e.g. '{frame['std_code'].iat[agree[0]]}') dropped: the "
                                   f"standard is counted once"))
        keep = np.ones(len(frame), dtype=bool)
        keep[agree] = False
        table.frame = frame[keep]
        if table.origins is not None:
            table.origins = table.origins[keep]
        table.categorical.clear()
    return problems


def _shown(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    return "blank" if pd.isna(value) else str(value)


def _same(left: object, right: object) -> bool:
    return (pd.isna(left) and pd.isna(right)) or (not pd.isna(left) and not pd.isna(right) and left == right)
