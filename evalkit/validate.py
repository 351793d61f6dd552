"""Checks of a campaign's tables against their schemas and against each other.

Column-level rules (required values, identifier syntax, unique keys) are pandera
schemas built from :data:`evalkit.tables.vocabulary.TABLES`; pandera's lazy validation collects
every failure, which :func:`_pandera_problems` turns into ``file:row:column`` problems.
Cross-table rules (unknown pilots, questionnaire items, Likert range, dates, scheme
metrics) are vectorised pandas checks below.

Text columns are checked in their categorical form (:meth:`LoadedTable.codes`): the
same values, but lookups, null checks and duplicate keys then cost one integer
comparison per row and one string operation per *distinct* value, which is what keeps
validation of a million survey rows fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from evalkit.campaign import Campaign
from evalkit.catalogue import CatalogueContext, check_metric
from evalkit.errors import Problem, display_path
from evalkit.filenames import WINDOWS_RESERVED
from evalkit.questionnaire import Questionnaire
from evalkit.scheme import Scheme
from evalkit.tables.conversion import LoadedTable, parse_numbers
from evalkit.tables.vocabulary import BOOL_WORDS, CATEGORY_LABELS, TABLES, TableSpec

ID_PATTERN = r"[A-Za-z0-9_.\-]+"
#: A pilot id names its report files (``pilots/<pilot_id>.html``): at most this long, and no
#: Windows device name (``pilots/CON.html`` cannot be created, or opened, there).
ID_MAX_LENGTH = 100

_CHECK_MESSAGES = {
    "not_nullable": "a value is required",
    "pilot_id_syntax": "pilot_id may contain only letters, digits, '_', '.' and '-'",
    "pilot_id_reserved": "pilot_id is a device name on Windows (CON, PRN, AUX, NUL, COM1–9, LPT1–9), "
                         "which no report file may be called",
    "pilot_id_length": f"pilot_id is longer than {ID_MAX_LENGTH} characters",
    "pilot_id_sign": "pilot_id may not start with '-': spreadsheets read such a cell as a formula, so scores.csv "
                     "would have to change the id",
    "multiple_fields_uniqueness": "duplicate",
    "field_uniqueness": "duplicate",
}


def table_schema(spec: TableSpec) -> pa.DataFrameSchema:
    """The pandera schema of one table: required values, id syntax and unique key."""
    columns = {}
    for col in spec.columns:
        checks = []
        if col.name == "pilot_id" and spec.name == "pilots":
            checks.append(pa.Check(lambda ids: ids.str.fullmatch(ID_PATTERN), name="pilot_id_syntax"))
            checks.append(pa.Check(lambda ids: ~ids.str.split(".").str[0].str.upper().isin(WINDOWS_RESERVED),
                                   name="pilot_id_reserved"))
            checks.append(pa.Check(lambda ids: ids.str.len() <= ID_MAX_LENGTH, name="pilot_id_length"))
            checks.append(pa.Check(lambda ids: ~ids.str.startswith("-"), name="pilot_id_sign"))
        columns[col.name] = pa.Column(None, checks=checks, nullable=col.blank_allowed, required=False)
    return pa.DataFrameSchema(columns, unique=list(spec.key), report_duplicates="exclude_first", strict=False)


def validate_campaign(
    loaded: dict[str, LoadedTable], scheme: Scheme | None, questionnaire: Questionnaire | None,
    standard_scheme: Scheme | None = None,
) -> list[Problem]:
    """Every problem of the tables and of how they fit the scheme(s) and questionnaire."""
    problems: list[Problem] = []
    usable = {name: t for name, t in loaded.items() if not _unreadable(t)}
    for table in usable.values():
        problems += _schema_problems(table)
    pilots = usable.get("pilots")
    if pilots is not None:
        problems += _date_problems(pilots)
        known = set(pilots.codes("pilot_id").categories)
        for name, table in usable.items():
            if name != "pilots" and "pilot_id" in table.frame:  # expert_names has no pilot
                problems += _unknown_pilot_problems(table, known)
    if "surveys" in usable and questionnaire is not None:
        problems += _survey_problems(usable["surveys"], questionnaire)
    if "kpis" in usable:
        problems += _kpi_direction_problems(usable["kpis"])
    if standard_scheme is not None:
        problems += _scheme_metric_problems(standard_scheme, usable, questionnaire, set(loaded))
    if scheme is not None:
        problems += _scheme_metric_problems(scheme, usable, questionnaire, set(loaded))
        if "experts" in usable:
            problems += _expert_problems(usable["experts"], scheme)
    return problems


def _unreadable(table: LoadedTable) -> bool:
    """The file could not be read as a table (a problem without a column: missing, undecodable,
    empty, malformed) or lacks a required column: its rows are not checked any further."""
    return any(p.column is None or (p.row == 1 and "required column" in p.message) for p in table.problems)


def _schema_problems(table: LoadedTable) -> list[Problem]:
    frame = table.frame
    if frame.empty:
        return [Problem(table.file, 2, None, f"the {table.name} table has no rows")]
    spec = TABLES[table.name]
    # only the schema's columns (not e.g. the survey's item columns), text as categoricals
    checked = pd.DataFrame({col.name: table.codes(col.name) if col.name in table.categorical else frame[col.name]
                            for col in spec.columns if col.name not in table.absent_columns}, index=frame.index)
    try:
        table_schema(spec).validate(checked, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _pandera_problems(exc.failure_cases, table, spec)
    return []


def _pandera_problems(cases: pd.DataFrame, table: LoadedTable, spec: TableSpec) -> list[Problem]:
    problems = []
    converted = {(p.file, p.row, p.column) for p in table.problems}
    first: np.ndarray | None = None
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            continue
        row = int(case.index)
        check = str(case.check)
        if check == "not_nullable":
            cell, = table.locate([Problem(table.file, row, str(case.column), "")])
            if (cell.file, cell.row, cell.column) in converted:
                continue  # already reported as an unreadable value
        if check in ("multiple_fields_uniqueness", "field_uniqueness"):
            if first is None:
                first = _first_of_key(table, spec.key)
            position = table.frame.index.get_loc(row)
            if first[position] < 0:
                continue  # a key value is missing: already reported as such
            shown = ", ".join(f"{k}={table.frame[k].iat[position]}" for k in spec.key)
            message = f"duplicate row for {shown} (first on {table.row_name(table.frame.index[first[position]], row)})"
            column = spec.key[-1]
        else:
            message = _CHECK_MESSAGES.get(check, f"failed check {check}")
            if check.startswith("pilot_id_"):
                message = f"'{case.failure_case}': {message}"
            column = str(case.column)
        problems.append(Problem(table.file, row, column, message))
    return problems


def _first_of_key(table: LoadedTable, key: tuple[str, ...]) -> np.ndarray:
    """For each row (by position), the position of the first row with the same key; -1
    where a key value is missing."""
    group = np.zeros(len(table.frame), dtype=np.int64)
    complete = np.ones(len(table.frame), dtype=bool)
    for column in key:
        codes = table.codes(column).codes.astype(np.int64)
        complete &= codes >= 0
        group = pd.factorize(group * (int(codes.max(initial=0)) + 2) + codes + 1)[0]
    first = np.unique(group, return_index=True)[1][group]
    return np.where(complete, first, -1)


def _date_problems(table: LoadedTable) -> list[Problem]:
    frame = table.frame
    reversed_rows = frame.index[(frame["start_date"] > frame["end_date"]).fillna(False)]
    return [
        Problem(table.file, int(row), "end_date",
                f"end_date {frame.at[row, 'end_date']:%Y-%m-%d} is before start_date {frame.at[row, 'start_date']:%Y-%m-%d}")
        for row in reversed_rows
    ]


def _unknown_pilot_problems(table: LoadedTable, known: set[str]) -> list[Problem]:
    ids = table.codes("pilot_id")
    unknown = np.append(~ids.categories.isin(known), False)  # code -1 (missing) picks the last: False
    rows = np.flatnonzero(unknown[ids.codes])
    return [
        Problem(table.file, int(row), "pilot_id", f"unknown pilot '{ids.categories[code]}' (not in the pilots table)")
        for row, code in zip(table.frame.index[rows].tolist(), ids.codes[rows].tolist())
    ]


def _survey_problems(table: LoadedTable, questionnaire: Questionnaire) -> list[Problem]:
    problems = []
    items = set(questionnaire.items)
    for item in questionnaire.items:
        if item not in table.frame:
            problems.append(Problem(table.file, table.header_row, item, f"questionnaire item '{item}' has no column in the "
                                                                  f"survey (by its id, its column: or its label)"))
    present = [c for c in table.extra_columns if c in items]
    found_rows, found_columns, found_values = [], [], []
    for position, column in enumerate(present):
        low, high = questionnaire.item_scale(column)
        answers = table.frame[column].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ((answers < low) | (answers > high) | (np.floor(answers) != answers)) & ~np.isnan(answers)
        if questionnaire.answers_of(column):  # and only the values of its answer set
            bad |= ~np.isin(answers, [value for _, value in questionnaire.answers_of(column)]) & ~np.isnan(answers)
        rows = np.flatnonzero(bad)
        found_rows.append(rows)
        found_columns.append(np.full(len(rows), position))
        found_values.append(answers[rows])
    rows, columns, values = (np.concatenate(found) if found else np.array([])
                             for found in (found_rows, found_columns, found_values))
    order = np.lexsort((columns, rows))  # row by row, columns in file order
    for row, column, value in zip(table.frame.index[rows[order].astype(int)].tolist(), columns[order].tolist(),
                                  values[order].tolist()):
        item = present[int(column)]
        low, high = questionnaire.item_scale(item)
        if not low <= value <= high:
            message = f"{value:g} is outside the scale {low}–{high}"
        elif value != int(value):
            message = f"{value:g} is not a whole point of the scale {low}–{high}"
        else:
            values_of = ", ".join(f"{value:g} ({text})" for text, value in questionnaire.answers_of(item))
            message = f"{value:g} is not the value of an answer of item '{item}' ({values_of})"
        problems.append(Problem(table.file, int(row), item, message))
    return problems + _group_problems(table, questionnaire, present)


def _group_problems(table: LoadedTable, questionnaire: Questionnaire, items: list[str]) -> list[Problem]:
    """Answers to an item of one respondent group (员工 staff, 服务对象 client) by a respondent
    of the other: each group fills in its own form, so such an answer is misfiled, and would
    count in the construct of the wrong group."""
    groups = table.codes("group")
    labels = CATEGORY_LABELS["group"]
    problems = []
    for item in items:
        wanted = questionnaire.items[item].group
        other = (groups.codes >= 0) & (groups.codes != groups.categories.get_indexer([wanted])[0])
        answered = other & table.frame[item].notna().to_numpy()
        for row, code in zip(table.frame.index[answered].tolist(), groups.codes[answered].tolist()):
            group = groups.categories[code]
            problems.append(Problem(table.file, int(row), item,
                                    f"answered by a {labels.get(group, group)} respondent, but questionnaire item "
                                    f"'{item}' is for {labels.get(wanted, wanted)} ({wanted})"))
    return problems


def _kpi_direction_problems(table: LoadedTable) -> list[Problem]:
    frame = table.frame.dropna(subset=["pilot_id", "indicator", "better"])
    groups = frame.assign(row=frame.index).groupby(["pilot_id", "indicator"])
    counts = groups["better"].nunique()
    last = groups["row"].max()
    return [
        Problem(table.file, int(last[(pilot_id, indicator)]), "better",
                f"'better' differs between periods of {pilot_id} / {indicator}")
        for pilot_id, indicator in counts.index[counts > 1]
    ]


def _text_columns(pilots: LoadedTable) -> dict[str, str]:
    """Extra pilots columns read as text, each with its first cell that is not a number or
    yes/no (a '#N/A' among numbers), for the message of a metric that reads one."""
    out = {}
    for column in pilots.extra_columns:
        cells = pilots.frame[column]
        if pd.api.types.is_numeric_dtype(cells):
            continue
        odd = cells.notna() & parse_numbers(cells).isna() & ~cells.astype("string").str.lower().isin(BOOL_WORDS)
        if odd.any():
            row = odd.idxmax()
            out[column] = f"'{cells[row]}' in {pilots.file} row {row}"
    return out


def _scheme_metric_problems(scheme: Scheme, tables: dict[str, LoadedTable],
                            questionnaire: Questionnaire | None, listed: set[str] | None = None) -> list[Problem]:
    """Metrics the campaign cannot compute. ``tables`` are the readable tables, ``listed`` every
    table the campaign file names: what an unreadable table or questionnaire would offer is
    unknown (its own problems are reported), so metrics reading it are not second-guessed."""
    pilots = tables.get("pilots")
    context = CatalogueContext(
        tables=set(tables) if listed is None else listed,
        constructs=set(questionnaire.constructs) if questionnaire else None,
        pilot_columns={c for c in pilots.extra_columns if pd.api.types.is_numeric_dtype(pilots.frame[c])}
        if pilots is not None else None,
        pilot_text_columns=_text_columns(pilots) if pilots is not None else {},
        kpi_indicators=set(tables["kpis"].codes("indicator").categories) if "kpis" in tables else None,
        expert_indicators=set(tables["experts"].codes("indicator_id").categories) if "experts" in tables else None,
    )
    file = display_path(scheme.path)
    problems = []
    for node in scheme.leaves():
        reason = check_metric(node.metric, context, scheme.subject) if node.metric else None
        if reason:
            problems.append(Problem(file, node.line, "metric", f"indicator '{node.id}': {reason}"))
    for veto in scheme.vetoes:
        reason = check_metric(veto.metric, context, scheme.subject)
        if reason:
            problems.append(Problem(file, veto.line, "metric", f"veto '{veto.id}': {reason}"))
    return problems


def _expert_problems(table: LoadedTable, scheme: Scheme) -> list[Problem]:
    """Expert scores must be of an expert-scored leaf and within 0 and the leaf's scale: its
    points as written (what the expert rule caps at), not its maximum under a weighted parent."""
    expert_leaves = {n.id for n in scheme.leaves() if n.rule is not None and n.rule.name == "expert"}
    scales = {**scheme.allocate(), **scheme.leaf_scales()}  # inner nodes (not expert-scored anyway): their maximum
    frame = table.frame
    problems = []
    indicators = table.codes("indicator_id")
    names = indicators.categories
    unknown = np.append(~names.isin(expert_leaves), False)  # code -1 (missing) picks the last: False
    for row, code in zip(frame.index[unknown[indicators.codes]].tolist(),
                         indicators.codes[unknown[indicators.codes]].tolist()):
        problems.append(Problem(table.file, int(row), "indicator_id",
                                f"'{names[code]}' is not an expert-scored indicator of scheme '{scheme.id}'"))
    top = np.append(np.array([scales.get(name, np.nan) for name in names], dtype=float), np.nan)[indicators.codes]
    score = frame["score"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        out = (score < 0) | (score > top + 1e-9)
    for position in np.flatnonzero(out):
        problems.append(Problem(table.file, int(frame.index[position]), "score",
                                f"{score[position]:g} is outside 0–{top[position]:g}, the points of "
                                f"indicator {names[indicators.codes[position]]}"))
    return problems


def summary(campaign: Campaign) -> list[tuple[str, str]]:
    """One-screen facts about a valid campaign, as (label, value) pairs."""
    pilots = campaign.pilots
    rows = [
        ("campaign", f"{campaign.id} — {campaign.title}"),
        ("scheme", f"{campaign.scheme.id} v{campaign.scheme.version} ({len(campaign.scheme.leaves())} scored items, "
                   f"total {campaign.scheme.total:g}, pass {campaign.scheme.pass_mark:g})"),
        *([("standard scheme", f"{standard.id} v{standard.version} ({len(standard.leaves())} scored items, "
                                f"total {standard.total:g}, pass {standard.pass_mark:g})")]
          if (standard := campaign.standard_scheme) is not None else []),
        ("questionnaire", f"{campaign.questionnaire.id} ({len(campaign.questionnaire.items)} items)"),
        ("pilots", str(len(pilots))),
        ("districts", str(pilots["district"].nunique())),
        ("domains", str(pilots["domain"].nunique())),
    ]
    counts = {
        "standards": "standards rows",
        "surveys": "survey respondents",
        "inspections": "inspection items",
        "kpis": "KPI values",
        "experts": "expert scores",
    }
    for name, label in counts.items():
        table = campaign.table(name)
        rows.append((label, "not provided" if table is None else str(len(table))))
    return rows
