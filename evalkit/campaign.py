"""A loaded, validated campaign: plain data at the bottom of the data flow.

:class:`Campaign` holds what :func:`evalkit.load.load_campaign` read and checked — the
scheme, the questionnaire, every table as a typed frame, where each came from and the
notes made while reading. Everything downstream (metrics, scoring, outputs, reports) takes
a Campaign; nothing here reads files or validates.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit.digest import sha256_file
from evalkit.errors import Note
from evalkit.questionnaire import Questionnaire
from evalkit.scheme import Scheme
from evalkit.tables.readers import split_sheet

DEFAULT_CAMPAIGN = Path("params/demo.yaml")


@dataclass(frozen=True)
class Evaluation:
    """Who evaluated the campaign, and when (``evaluation:`` in the campaign file; docs/campaign.md).

    Reports show it in their header and sign it at the end: the evaluating organisation
    (评估机构), the date of the evaluation, the team (评估组) and its leader (组长), who
    signs. Every field may be left out; an empty Evaluation shows nothing.
    """

    date: datetime.date | None = None
    organisation: str = ""
    leader: str = ""
    team: tuple[str, ...] = ()

    @property
    def members(self) -> tuple[str, ...]:
        """The team without its leader, in the order given."""
        return tuple(name for name in self.team if name != self.leader)

    def __bool__(self) -> bool:
        return bool(self.date or self.organisation or self.leader or self.team)


@dataclass(frozen=True)
class Campaign:
    """A loaded, validated campaign.

    Attributes
    ----------
    id, title : str
        From the campaign file.
    path : Path
        The campaign file (absolute).
    scheme : Scheme
    questionnaire : Questionnaire
    tables : dict of str to DataFrame
        The tables the campaign provides, typed, with canonical column names and codes;
        each frame's index is the row number in its source file.
    sources : dict of str to str or tuple of str
        Where each table came from (absolute path, ``#Sheet`` for a named xlsx sheet), or
        the files of a table stacked from several (a glob of the campaign file).
    reports_dir : Path
        Output directory (absolute).
    pdf : bool
        Whether ``evalkit run`` also writes PDF files.
    pilot_metric_columns : tuple of str
        Extra numeric/boolean columns of ``pilots`` (the ``pilot.<column>`` metrics).
    standard_scheme : Scheme or None
        The optional standard-implementation scheme (``subject: standard``) that scores
        every standard of the campaign (``standard_scheme:`` in the campaign file).
    standard_reports_min_pilots : int
        A standard gets its own report when at least this many pilots implement it
        (``standard_reports_min_pilots:``, default 3).
    notes : tuple of Note
        What reading the inputs guessed or skipped (a header found below a title row, rows
        dropped, columns ignored …), one per kind and file; empty when nothing was.
    evaluation : Evaluation
        Who evaluated, and when (``evaluation:``); empty when the campaign file says nothing.
    districts : tuple of str
        The order of districts in every report (``districts:``); empty when the campaign
        file gives none (reports then take the order of first appearance in ``pilots``).
    """

    id: str
    title: str
    path: Path
    scheme: Scheme
    questionnaire: Questionnaire
    tables: dict[str, pd.DataFrame]
    sources: dict[str, str | tuple[str, ...]]
    reports_dir: Path
    pdf: bool = False
    pilot_metric_columns: tuple[str, ...] = ()
    extra_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    standard_scheme: Scheme | None = None
    standard_reports_min_pilots: int = 3
    notes: tuple[Note, ...] = ()
    evaluation: Evaluation = field(default_factory=Evaluation)
    districts: tuple[str, ...] = ()

    @property
    def pilots(self) -> pd.DataFrame:
        return self.tables["pilots"]

    def table(self, name: str) -> pd.DataFrame | None:
        """The named table, or None when the campaign does not provide it."""
        return self.tables.get(name)

    def input_files(self) -> dict[str, Path]:
        """Every file the scores depend on, by role: campaign, scheme, questionnaire, tables."""
        files = {"campaign": self.path, "scheme": self.scheme.path, "questionnaire": self.questionnaire.path}
        if self.standard_scheme is not None:
            files["standard_scheme"] = self.standard_scheme.path
        for name, location in sorted(self.sources.items()):
            if isinstance(location, str):
                files[f"data.{name}"] = split_sheet(location)[0]
            else:  # a table stacked from several files: data.<name>[1], data.<name>[2] …
                files.update({f"data.{name}[{number}]": Path(path) for number, path in enumerate(location, start=1)})
        return files

    def input_hashes(self) -> dict[str, str]:
        """sha256 of every input file, keyed as :meth:`input_files`."""
        return {role: sha256_file(path) for role, path in self.input_files().items()}
