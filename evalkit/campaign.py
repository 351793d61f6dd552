"""A loaded, validated campaign: plain data at the bottom of the data flow.

:class:`Campaign` holds what :func:`evalkit.load.load_campaign` read and checked — the
scheme, the questionnaire, every table as a typed frame, where each came from and the
notes made while reading. Everything downstream (metrics, scoring, outputs, reports) takes
a Campaign; nothing here reads files or validates.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit.digest import sha256_file
from evalkit.errors import Note
from evalkit.jupyter import campaign_html, campaign_repr
from evalkit.questionnaire import Questionnaire
from evalkit.respondents import QualityPolicy
from evalkit.scheme import Scheme
from evalkit.tables.readers import split_sheet
from evalkit.tables.vocabulary import TABLES

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
    standard_reports_min_pilots, standard_reports_min_share : int, float
        A standard gets its own report by default when at least this many pilots, and at
        least this share of the campaign's pilots, implement it
        (``standard_reports_min_pilots:``, default 3; ``standard_reports_min_share:``,
        default 0.02); any other on request (docs/reports.md).
    notes : tuple of Note
        What reading the inputs guessed or skipped (a header found below a title row, rows
        dropped, columns ignored …), one per kind and file; empty when nothing was.
    quality : QualityPolicy
        The campaign file's ``quality:`` options (flagged survey respondents kept or left
        out of scoring; see :mod:`evalkit.respondents`).
    excluded_respondents : DataFrame or None
        The survey rows left out of ``tables["surveys"]`` under ``quality:
        {exclude_flagged: true}`` (None otherwise).
    replaced : tuple of str
        What :meth:`replace` changed (empty for a campaign as loaded from its files).
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
    standard_reports_min_share: float = 0.02
    notes: tuple[Note, ...] = ()
    quality: QualityPolicy = QualityPolicy()
    excluded_respondents: pd.DataFrame | None = None
    replaced: tuple[str, ...] = ()
    evaluation: Evaluation = field(default_factory=Evaluation)
    districts: tuple[str, ...] = ()

    @property
    def pilots(self) -> pd.DataFrame:
        return self.tables["pilots"]

    def replace(self, **changes: object) -> Campaign:
        """A what-if copy of the campaign with tables or fields replaced.

        Parameters
        ----------
        **changes
            A table by name (``experts=frame``, ``surveys=frame`` …: the new frame, with
            the table's canonical columns) or a field (``scheme=scheme.replace(...)``,
            ``questionnaire=…``).

        Returns
        -------
        Campaign
            Scores like any campaign; it has no input files of its own, so its scores
            cannot be published or verified (:meth:`input_files` raises).

        Raises
        ------
        ValueError
            An unknown table or field, or a table without the columns of the original.
        """
        tables, fields = dict(self.tables), {}
        for name, value in changes.items():
            if name in TABLES:
                if not isinstance(value, pd.DataFrame):
                    raise ValueError(f"replace: table '{name}' must be a DataFrame")
                original = self.tables.get(name)
                lacking = [c for c in (original.columns if original is not None else ()) if c not in value.columns]
                if lacking:
                    raise ValueError(f"replace: the new '{name}' table lacks column(s) {', '.join(lacking)}")
                tables[name] = value
            elif name in {f.name for f in dataclasses.fields(self)} - {"tables", "replaced"}:
                fields[name] = value
            else:
                raise ValueError(f"replace: no table or field '{name}' (tables: {', '.join(TABLES)})")
        return dataclasses.replace(self, tables=tables, replaced=(*self.replaced, *changes), **fields)

    def __repr__(self) -> str:
        return campaign_repr(self)

    def _repr_html_(self) -> str:
        return campaign_html(self)

    def table(self, name: str) -> pd.DataFrame | None:
        """The named table, or None when the campaign does not provide it."""
        return self.tables.get(name)

    def input_files(self) -> dict[str, Path]:
        """Every file the scores depend on, by role: campaign, scheme, questionnaire, tables.

        Raises
        ------
        ValueError
            For a what-if campaign (:meth:`replace`): its scores come from no files.
        """
        if self.replaced:
            raise ValueError(f"campaign '{self.id}' is a what-if ({', '.join(self.replaced)} replaced): "
                             "its scores come from no input files and cannot be published or verified")
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
