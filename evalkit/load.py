"""The campaign file and :func:`load_campaign`, the entry point of the data flow.

``load_campaign`` reads the campaign file, the scheme, the questionnaire and every table,
runs all checks of :mod:`evalkit.validate`, and returns a frozen
:class:`~evalkit.campaign.Campaign` — or raises :class:`evalkit.DataError` listing *every*
problem found. The campaign file's keys are described in ``docs/campaign.md``.
"""

from __future__ import annotations

import dataclasses
import datetime
import sys
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field, field_validator

from evalkit.campaign import DEFAULT_CAMPAIGN, Campaign, Evaluation
from evalkit.errors import DataError, Note, Problem, display_path
from evalkit.questionnaire import Questionnaire, load_questionnaire
from evalkit.respondents import QualityPolicy, respondent_flags
from evalkit.scheme import Scheme, load_scheme
from evalkit.tables.conversion import LoadedTable, read_tables
from evalkit.tables.headers import ReadContext
from evalkit.tables.readers import split_sheet
from evalkit.tables.reconcile import reconcile
from evalkit.tables.sources import TableSource
from evalkit.tables.vocabulary import OPTIONAL_TABLES, TABLES
from evalkit.validate import validate_campaign
from evalkit.yamlfile import StrictModel, line_of, load_model


class TableSpecModel(StrictModel):
    """A table of ``data:`` given as a mapping (``docs/importing.md``)."""

    path: str
    sheets: Literal["first", "all"] | list[str] = "first"
    header_row: int | None = Field(default=None, ge=1)
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str | int | float, str | int | float]] = Field(default_factory=dict)
    pilot: str | None = None
    coding: Literal["position", "value"] | None = None
    layout: Literal["long", "wide"] = "long"


class QualityModel(StrictModel):
    exclude_flagged: bool = False
    too_fast_seconds: float = Field(default=60.0, ge=0)


class EvaluationModel(StrictModel):
    date: datetime.date | None = None
    organisation: str = ""
    leader: str = ""
    team: list[str] = []


class CampaignModel(StrictModel):
    id: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    title: str
    scheme: str
    questionnaire: str
    data: dict[str, str | TableSpecModel]
    reports: str
    pdf: bool = False
    description: str = ""
    standard_scheme: str | None = None
    standard_reports_min_pilots: int = Field(default=3, ge=1)
    standard_reports_min_share: float = Field(default=0.02, ge=0, le=1)
    quality: QualityModel = QualityModel()
    evaluation: EvaluationModel = EvaluationModel()
    districts: list[str] = []

    @field_validator("districts")
    @classmethod
    def _distinct_districts(cls, districts: list[str]) -> list[str]:
        repeated = sorted({name for name in districts if districts.count(name) > 1})
        if repeated:
            raise ValueError(f"district(s) listed twice: {', '.join(repeated)}")
        return districts

    @field_validator("data")
    @classmethod
    def _known_tables(cls, data: dict[str, str | TableSpecModel]) -> dict[str, str | TableSpecModel]:
        unknown = sorted(set(data) - set(TABLES))
        if unknown:
            raise ValueError(f"unknown table(s) {', '.join(unknown)}; tables are {', '.join(TABLES)}")
        return data


def load_campaign(path: str | Path = DEFAULT_CAMPAIGN) -> Campaign:
    """Load and validate a campaign.

    Parameters
    ----------
    path : str or Path
        The campaign file; its ``scheme``, ``questionnaire``, ``data`` and ``reports``
        paths are relative to it.

    Returns
    -------
    Campaign

    Raises
    ------
    DataError
        Listing every problem in the campaign file, scheme, questionnaire and tables.
    """
    path = find_campaign_file(path)
    file = display_path(path)
    model, data, problems = load_model(path, CampaignModel)
    if model is None:
        raise DataError(problems)
    misspelt = len(problems)  # beside a model: unknown keys only, which keep nothing else from being checked
    base = path.parent
    for key in ("scheme", "questionnaire", "standard_scheme"):
        if getattr(model, key) is not None and (reason := _not_a_file(base / getattr(model, key), path)):
            problems.append(Problem(file, line_of(data, (key,))[0], key, f"{key} {reason}: {getattr(model, key)}"))
    for name in TABLES:
        location = model.data.get(name)
        if location is None:
            if name not in OPTIONAL_TABLES:
                problems.append(Problem(file, line_of(data, ("data",))[0], f"data.{name}",
                                        f"the required table '{name}' is not listed"))
            continue
        problems += _source_problems(name, _source(name, location, base, file, data), path, file, data)
    if reason := directory_problem(base / model.reports):
        problems.append(Problem(file, line_of(data, ("reports",))[0], "reports", f"{reason}: {model.reports}"))
    if len(problems) > misspelt:  # a path that cannot be read: nothing more to check
        raise DataError(problems)
    scheme, scheme_problems = load_scheme(base / model.scheme)
    standard_scheme, standard_problems = (load_scheme(base / model.standard_scheme) if model.standard_scheme
                                          else (None, []))
    scheme_problems += standard_problems + _subject_problems(data, file, scheme, standard_scheme)
    questionnaire, questionnaire_problems = load_questionnaire(base / model.questionnaire)
    context = ReadContext(questionnaire, _expert_indicators(scheme))
    sources = {name: _source(name, location, base, file, data) for name, location in model.data.items()}
    loaded = read_tables(sources, context)
    problems += scheme_problems + questionnaire_problems + [p for t in loaded.values() for p in t.problems]
    reconciled, notes = reconcile(loaded)
    checked = validate_campaign(loaded, scheme, questionnaire, standard_scheme=standard_scheme)
    checked += _district_problems(model, loaded)
    for table in loaded.values():
        checked = table.locate(checked)
    problems += reconciled + checked
    notes = _by_file([note for table in loaded.values() for note in table.notes] + notes)
    if problems or scheme is None or questionnaire is None or (model.standard_scheme and standard_scheme is None):
        raise DataError(problems, tuple(notes))
    return _without_flagged(_build(model, path, scheme, questionnaire, loaded, standard_scheme, tuple(notes)))


def _by_file(notes: list[Note]) -> list[Note]:
    """The notes grouped by file (files in the order they first appear), each file's in order."""
    first: dict[str, int] = {}
    for note in notes:
        first.setdefault(note.file, len(first))
    return sorted(notes, key=lambda note: first[note.file])


def _source(name: str, location: str | TableSpecModel, base: Path, file: str, data: dict) -> TableSource:
    """The campaign file's entry of a table as a :class:`TableSource`."""
    line = line_of(data, ("data", name))[0]
    if isinstance(location, str):
        path, sheet = split_sheet(location)
        return TableSource(str(path), base, sheets=(sheet,) if sheet else "first", spec_file=file, line=line)
    sheets = location.sheets if isinstance(location.sheets, str) else tuple(location.sheets)
    return TableSource(location.path, base, sheets, location.header_row, dict(location.columns),
                       {column: {key: str(value) for key, value in mapping.items()}
                        for column, mapping in location.values.items()},
                       location.pilot, location.coding, location.layout, file, line)


def _source_problems(name: str, source: TableSource, campaign: Path, file: str, data: dict) -> list[Problem]:
    """What keeps a table spec from being read: a missing file, keys the table has no use for."""
    key = f"data.{name}"
    spec = TABLES[name]
    line = source.line
    problems = []
    if source.is_glob:
        if not source.files():
            problems.append(Problem(file, line, key, f"no file matches {source.path}"))
    elif reason := _not_a_file(source.files()[0], campaign):
        written = data["data"][name]
        problems.append(Problem(file, line, key, f"{reason}: {written if isinstance(written, str) else source.path}"))
    names = {col.name for col in spec.columns}
    for column in (*source.columns, *source.values):
        if column not in names and spec.extra_columns != "items":
            problems.append(Problem(file, line, key, f"'{column}' is not a column of the {name} table "
                                                     f"({', '.join(sorted(names))})"))
    if source.layout == "wide" and name != "experts":
        problems.append(Problem(file, line, key, "layout: wide is for the experts table (a 专家打分表)"))
    if source.coding is not None and name != "surveys":
        problems.append(Problem(file, line, key, "coding is for the surveys table"))
    return problems


def _expert_indicators(scheme: Scheme | None) -> tuple[str, ...]:
    """The ids the experts table scores (``expert.<id>`` metrics of the scheme)."""
    if scheme is None:
        return ()
    return tuple(dict.fromkeys(metric.removeprefix("expert.") for metric in scheme.metrics
                               if metric.startswith("expert.")))


def find_campaign_file(path: str | Path) -> Path:
    """The campaign file ``path`` names, as an absolute path.

    A relative path that does not exist from the working directory is looked up from the
    folders above it, nearest first — so ``params/demo.yaml`` works from a notebook that
    runs in ``notebooks/`` — and a ``note:`` line on stderr says which file is used. Without
    a match the path is returned as given (and loading reports it missing).
    """
    given = Path(path)
    if given.is_absolute() or given.exists():
        return given.absolute()
    for folder in Path.cwd().parents:
        if (folder / given).is_file():
            print(f"note: {given} is not in {Path.cwd()}; using {folder / given}", file=sys.stderr)
            return folder / given
    return given.absolute()


def _without_flagged(campaign: Campaign) -> Campaign:
    """Under ``quality: {exclude_flagged: true}``, the campaign without its flagged survey respondents."""
    surveys = campaign.table("surveys")
    if not campaign.quality.exclude_flagged or surveys is None:
        return campaign
    flagged = respondent_flags(surveys, campaign.questionnaire, campaign.quality)["flagged"].to_numpy()
    notes = campaign.notes
    if flagged.any():
        count = int(flagged.sum())
        source = campaign.sources["surveys"]
        file = display_path(split_sheet(source if isinstance(source, str) else source[0])[0])
        notes = (*notes, Note(file, "excluded-respondents", count,
                              f"{count} flagged survey respondent(s) left out of scoring (quality: exclude_flagged)"))
    return dataclasses.replace(campaign, tables={**campaign.tables, "surveys": surveys[~flagged]},
                               excluded_respondents=surveys[flagged], notes=notes)


def _not_a_file(target: Path, campaign: Path) -> str | None:
    """Why a path named by the campaign file cannot be read as its input, or None."""
    if target.is_dir():
        return "is a directory, not a file"
    if not target.is_file():
        return "file not found"
    if target.resolve() == campaign.resolve():
        return "is the campaign file itself"
    return None


def directory_problem(target: Path) -> str | None:
    """Why ``target`` cannot be (made into) a directory for outputs — it, or a folder above
    it, is a file — or None."""
    for folder in (target, *target.parents):
        if folder.is_dir():
            return None
        if folder.exists():
            return ("is a file, not a directory" if folder == target
                    else f"cannot be a directory: {display_path(folder)} is a file")
    return None


def _district_problems(model: CampaignModel, loaded: dict[str, LoadedTable]) -> list[Problem]:
    """With ``districts:`` in the campaign file, every pilot's district must be one of them
    (a name spelt another way would otherwise get a page of its own, out of order)."""
    pilots = loaded.get("pilots")
    if not model.districts or pilots is None or "district" not in pilots.frame:
        return []
    listed = set(model.districts)
    districts = pilots.frame["district"]
    return [Problem(pilots.file, int(row), "district",
                    f"district '{name}' is not in the campaign file's districts: list")
            for row, name in districts[districts.notna() & ~districts.isin(listed)].items()]


def _subject_problems(data: dict, file: str, scheme: Scheme | None, standard_scheme: Scheme | None) -> list[Problem]:
    """``scheme`` must score pilots (``subject: pilot``), ``standard_scheme`` standards."""
    problems = []
    for key, loaded, subject in (("scheme", scheme, "pilot"), ("standard_scheme", standard_scheme, "standard")):
        if loaded is not None and loaded.subject != subject:
            other = "standard_scheme" if key == "scheme" else "scheme"
            problems.append(Problem(file, line_of(data, (key,))[0], key,
                                    f"scheme '{loaded.id}' has subject: {loaded.subject}, but {key} takes a "
                                    f"scheme with subject: {subject} (give it as {other})"))
    return problems


def _build(model: CampaignModel, path: Path, scheme: Scheme, questionnaire: Questionnaire,
           loaded: dict[str, LoadedTable], standard_scheme: Scheme | None = None,
           notes: tuple[Note, ...] = ()) -> Campaign:
    base = path.parent
    pilots = loaded["pilots"].frame
    metric_columns = tuple(c for c in loaded["pilots"].extra_columns if pd.api.types.is_numeric_dtype(pilots[c]))
    return Campaign(
        id=model.id,
        title=model.title,
        path=path,
        scheme=scheme,
        questionnaire=questionnaire,
        tables={name: table.frame for name, table in loaded.items()},
        sources={name: _sources(table.source) for name, table in loaded.items() if table.source is not None},
        reports_dir=(base / model.reports).resolve(),
        pdf=model.pdf,
        pilot_metric_columns=metric_columns,
        extra_columns={name: table.extra_columns for name, table in loaded.items()},
        standard_scheme=standard_scheme,
        standard_reports_min_pilots=model.standard_reports_min_pilots,
        standard_reports_min_share=model.standard_reports_min_share,
        notes=notes,
        quality=QualityPolicy(model.quality.exclude_flagged, model.quality.too_fast_seconds),
        evaluation=Evaluation(date=model.evaluation.date, organisation=model.evaluation.organisation,
                              leader=model.evaluation.leader, team=_team(model.evaluation)),
        districts=tuple(model.districts),
    )


def _team(evaluation: EvaluationModel) -> tuple[str, ...]:
    """The team with its leader first (added when the file lists the leader only as ``leader``)."""
    names = [evaluation.leader, *evaluation.team] if evaluation.leader else list(evaluation.team)
    return tuple(dict.fromkeys(names))


def _sources(source: TableSource) -> str | tuple[str, ...]:
    """Where a table came from: its file (absolute, ``#Sheet`` for one named sheet), or its files."""
    files = [str(path.resolve()) for path in source.files()]
    if len(files) == 1 and not source.is_glob:
        sheets = source.sheets
        return files[0] + (f"#{sheets[0]}" if isinstance(sheets, tuple) and len(sheets) == 1 else "")
    return tuple(files)
