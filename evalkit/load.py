"""The campaign file and :func:`load_campaign`, the entry point of the data flow.

``load_campaign`` reads the campaign file, the scheme, the questionnaire and every table,
runs all checks of :mod:`evalkit.validate`, and returns a frozen
:class:`~evalkit.campaign.Campaign` — or raises :class:`evalkit.DataError` listing *every*
problem found. The campaign file's keys are described in ``docs/writing-a-scheme.md``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import Field, field_validator

from evalkit.campaign import DEFAULT_CAMPAIGN, Campaign
from evalkit.errors import DataError, Problem, display_path
from evalkit.questionnaire import Questionnaire, load_questionnaire
from evalkit.scheme import Scheme, load_scheme
from evalkit.tables.conversion import LoadedTable, read_tables
from evalkit.tables.readers import split_sheet
from evalkit.tables.vocabulary import OPTIONAL_TABLES, TABLES
from evalkit.validate import validate_campaign
from evalkit.yamlfile import StrictModel, line_of, load_model


class CampaignModel(StrictModel):
    id: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    title: str
    scheme: str
    questionnaire: str
    data: dict[str, str]
    reports: str
    pdf: bool = False
    description: str = ""
    standard_scheme: str | None = None
    standard_reports_min_pilots: int = Field(default=3, ge=1)

    @field_validator("data")
    @classmethod
    def _known_tables(cls, data: dict[str, str]) -> dict[str, str]:
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
    path = Path(path).absolute()
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
        if reason := _not_a_file(split_sheet(base / location)[0], path):
            problems.append(Problem(file, line_of(data, ("data", name))[0], f"data.{name}", f"{reason}: {location}"))
    if reason := directory_problem(base / model.reports):
        problems.append(Problem(file, line_of(data, ("reports",))[0], "reports", f"{reason}: {model.reports}"))
    if len(problems) > misspelt:  # a path that cannot be read: nothing more to check
        raise DataError(problems)
    scheme, scheme_problems = load_scheme(base / model.scheme)
    standard_scheme, standard_problems = (load_scheme(base / model.standard_scheme) if model.standard_scheme
                                          else (None, []))
    scheme_problems += standard_problems + _subject_problems(data, file, scheme, standard_scheme)
    questionnaire, questionnaire_problems = load_questionnaire(base / model.questionnaire)
    loaded = read_tables({name: base / location for name, location in model.data.items()})
    problems += scheme_problems + questionnaire_problems + [p for t in loaded.values() for p in t.problems]
    problems += validate_campaign(loaded, scheme, questionnaire, standard_scheme=standard_scheme)
    if problems or scheme is None or questionnaire is None or (model.standard_scheme and standard_scheme is None):
        raise DataError(problems)
    return _build(model, path, scheme, questionnaire, loaded, standard_scheme)


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
           loaded: dict[str, LoadedTable], standard_scheme: Scheme | None = None) -> Campaign:
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
        sources={name: str((base / location).resolve()) if "#" not in location
                 else str((base / location.split("#")[0]).resolve()) + "#" + location.split("#", 1)[1]
                 for name, location in model.data.items()},
        reports_dir=(base / model.reports).resolve(),
        pdf=model.pdf,
        pilot_metric_columns=metric_columns,
        extra_columns={name: table.extra_columns for name, table in loaded.items()},
        standard_scheme=standard_scheme,
        standard_reports_min_pilots=model.standard_reports_min_pilots,
    )
