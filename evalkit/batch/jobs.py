"""One report to render (:class:`Job`), what came of it (:class:`JobResult`), and :func:`render`.

:func:`render` is what an executor maps over the jobs. It is a module-level function of
picklable arguments, so any executor can ship it to another process or machine, and it
never raises: whatever goes wrong becomes a failed :class:`JobResult` with an error
summary, so one broken report never stops the others. Its files are written atomically
(:func:`evalkit.atomic.write_all_atomic`): a report on disk is always either the previous good
one or the new one, never a half-written or failed one.

:func:`render` is :func:`produce` (execute the notebook and build the page, in memory)
followed by :func:`write` (the files). An executor whose workers cannot, or should not,
write into the report directory — e.g. on other machines — runs :func:`produce` remotely
and :func:`write` where the report directory is (:class:`~evalkit.batch.executors.DaskExecutor`).

Importing this module is cheap: the report machinery (nbconvert, papermill, matplotlib…)
is imported by the first :func:`produce`, so a run with nothing to render never loads it.
"""

from __future__ import annotations

import re
import time
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit.atomic import write_all_atomic
from evalkit.digest import sha256_bytes, sha256_file
from evalkit.scored import scored_campaign

if TYPE_CHECKING:
    import nbformat

RENDERED, FAILED = "rendered", "failed"
#: papermill's name of evalkit's engine (:mod:`evalkit.batch.engine`), and the kernel its notebooks name.
ENGINE_NAME, KERNEL_NAME = "evalkit", "python3"
#: The notebook parameter naming a page's subject, by kind of page.
SUBJECT_PARAMETERS = {"pilot": "pilot_id", "district": "district", "standard": "std_code"}
#: Lines of a traceback kept in an error summary.
TRACEBACK_TAIL = 8
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Job:
    """One report page to render.

    Attributes
    ----------
    kind : {"pilot", "district", "standard", "index", "quality"}
    path : str
        The page, relative to ``reports_dir`` (``pilots/P1.html``).
    parameters : mapping
        The notebook's parameters (``campaign`` and ``pilot_id``, ``district`` or ``std_code``); for
        the index page, ``campaign`` only.
    reports_dir : Path
    notebook : Path or None
        The report notebook; None for the index page, which is rendered directly.
    key : str
        What the page's content depends on (:func:`evalkit.batch.keys.job_key`).
    """

    kind: str
    path: str
    parameters: Mapping[str, str]
    reports_dir: Path
    notebook: Path | None
    key: str

    @property
    def target(self) -> Path:
        """The HTML file."""
        return self.reports_dir / self.path

    @property
    def subject(self) -> str | None:
        """The pilot id, district or standard code the page is about (None for the index)."""
        parameter = SUBJECT_PARAMETERS.get(self.kind)
        return self.parameters[parameter] if parameter else None

    @property
    def audit(self) -> Path | None:
        """The executed notebook kept beside the HTML, for audit (None for the index)."""
        return self.target.with_suffix(".ipynb") if self.notebook is not None else None


@dataclass(frozen=True)
class JobResult:
    """What rendering a job produced.

    Attributes
    ----------
    job : Job
    status : {"rendered", "failed"}
    seconds : float
    sha256 : str or None
        Of the HTML file now on disk: the new one, or after a failure the previous one
        (None when there is none).
    error : str or None
        Exception name and message, then the last lines of the traceback.
    warnings : tuple of str
        Warnings and other stderr output of the notebook (none expected).
    """

    job: Job
    status: str
    seconds: float
    sha256: str | None
    error: str | None = None
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Produced:
    """A rendered report in memory, before its files are written (what :func:`produce` returns).

    Attributes
    ----------
    job : Job
    seconds : float
    page : bytes or None
        The HTML page (UTF-8); None when rendering failed.
    audit : bytes or None
        The executed notebook (for notebook reports).
    error : str or None
        Error summary when rendering failed.
    warnings : tuple of str
    """

    job: Job
    seconds: float
    page: bytes | None
    audit: bytes | None = None
    error: str | None = None
    warnings: tuple[str, ...] = field(default=())


def render(job: Job) -> JobResult:
    """Render one report and write its files; never raises (see the module docstring)."""
    return write(produce(job))


def produce(job: Job) -> Produced:
    """Render one report in memory: the page and the executed notebook; never raises.

    Notebook reports run in this process, in a kernel of their own (papermill with
    evalkit's engine, :mod:`evalkit.batch.engine`); the scored campaign is the one this
    process holds (:func:`evalkit.scored.scored_campaign`).
    """
    started = time.perf_counter()
    try:
        page, notebook, messages = _produce(job)
        audit = None
        if notebook is not None:
            import nbformat

            messages += _stderr(notebook)
            audit = nbformat.writes(without_run_times(notebook)).encode("utf-8")
        return Produced(job, time.perf_counter() - started, page.encode("utf-8"), audit,
                        warnings=tuple(messages))
    except Exception as exc:  # failure isolation: any error fails this report only
        return failed_produced(job, exc, time.perf_counter() - started)


#: Papermill's metadata that records when a notebook and its cells ran (the manifest keeps each
#: report's seconds); without it, the audit notebook is the same bytes on every run.
RUN_TIMES = ("start_time", "end_time", "duration")
#: The id of the cell papermill injects with the parameters (papermill draws a random one).
INJECTED_CELL_ID = "injected-parameters"


def without_run_times(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook as kept for audit: papermill's start and end times and durations
    removed (notebook and cells) and the injected parameters cell given a fixed id, so that
    rendering the same inputs again gives the same bytes. ``notebook`` is changed and returned."""
    for holder in (notebook.metadata, *(cell.metadata for cell in notebook.cells)):
        for key in RUN_TIMES:
            holder.get("papermill", {}).pop(key, None)
    for cell in notebook.cells:
        if INJECTED_CELL_ID in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_CELL_ID
    return notebook


def write(produced: Produced) -> JobResult:
    """Write a produced report's files atomically (the audit notebook and the page together); never raises.

    A failed :class:`Produced` writes nothing: the previous page, if any, stays.
    """
    job = produced.job
    started = time.perf_counter()
    if produced.page is None:
        return JobResult(job, FAILED, produced.seconds, sha256_file(job.target, missing_ok=True), error=produced.error)
    try:
        files = {job.target: produced.page}
        if produced.audit is not None and job.audit is not None:
            files = {job.audit: produced.audit, **files}
        write_all_atomic(files)  # the page and its audit notebook are replaced together or not at all
    except Exception as exc:  # e.g. a full disk: this report fails, the others carry on
        return failure(job, exc, produced.seconds + time.perf_counter() - started)
    return JobResult(job, RENDERED, produced.seconds + time.perf_counter() - started,
                     sha256_bytes(produced.page), warnings=produced.warnings)


def failure(job: Job, exc: BaseException, seconds: float) -> JobResult:
    """A failed result for ``job``; the previous HTML (if any) stays and is described."""
    return JobResult(job, FAILED, seconds, sha256_file(job.target, missing_ok=True), error=error_summary(exc))


def failed_produced(job: Job, exc: BaseException, seconds: float) -> Produced:
    """What :func:`produce` gives for ``job`` when rendering it raised ``exc`` (or its process was lost)."""
    return Produced(job, seconds, None, error=error_summary(exc))


def _produce(job: Job) -> tuple[str, nbformat.NotebookNode | None, list[str]]:
    """The page's HTML, for notebook reports the executed notebook, and the warnings raised."""
    if job.notebook is None:
        from evalkit.report import index_page, quality_page

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            page = (quality_page if job.kind == "quality" else index_page)(scored_campaign(job.parameters["campaign"]))
        return page, None, _messages(caught)
    import papermill

    from evalkit.report.export import notebook_to_html

    notebook = papermill.execute_notebook(str(job.notebook), None, parameters=dict(job.parameters),
                                          engine_name=ENGINE_NAME, kernel_name=KERNEL_NAME, progress_bar=False)
    with warnings.catch_warnings(record=True) as caught:  # (the notebook's own warnings are in its stderr)
        warnings.simplefilter("always")
        page = notebook_to_html(notebook)
    return page, notebook, _messages(caught)


def _messages(caught: list[warnings.WarningMessage]) -> list[str]:
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def _stderr(notebook: nbformat.NotebookNode) -> list[str]:
    return [_ANSI.sub("", output.get("text", "")).strip()
            for cell in notebook.cells for output in cell.get("outputs", [])
            if output.get("output_type") == "stream" and output.get("name") == "stderr"]


def error_summary(exc: BaseException) -> str:
    """``Name: message``, then the last lines of the traceback (colour codes removed).

    For an error inside a notebook (papermill's ``PapermillExecutionError`` or nbclient's
    ``CellExecutionError``) the name, message and traceback are those of the cell's exception.
    """
    ename, evalue, cell_traceback = (getattr(exc, name, None) for name in ("ename", "evalue", "traceback"))
    if isinstance(ename, str) and cell_traceback is not None:
        head = f"{ename}: {evalue}" if evalue else ename
        text = cell_traceback if isinstance(cell_traceback, str) else "\n".join(cell_traceback)
        lines = _ANSI.sub("", text).splitlines()
    else:
        head = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
        lines = "".join(traceback.format_exception(exc)).splitlines()
    tail = [line for line in lines if line.strip()][-TRACEBACK_TAIL:]
    return "\n".join([head, *tail])
