"""One report to render (:class:`Job`), what came of it (:class:`JobResult`), and :func:`render`.

:func:`render` is what an executor maps over the jobs. It is a module-level function of
picklable arguments, so any executor can ship it to another process or machine, and it
never raises: whatever goes wrong becomes a failed :class:`JobResult` with an error
summary, so one broken report never stops the others. Its files are written atomically
(:func:`evalkit.outputs.write_atomic`): a report on disk is always either the previous good
one or the new one, never a half-written or failed one.
"""

from __future__ import annotations

import hashlib
import re
import time
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

from evalkit.batch.kernel import execute
from evalkit.campaign import sha256_file
from evalkit.outputs import write_atomic
from evalkit.report import index_page
from evalkit.report.cache import load_scored
from evalkit.report.export import notebook_to_html

RENDERED, FAILED = "rendered", "failed"
#: Lines of a traceback kept in an error summary.
TRACEBACK_TAIL = 8
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Job:
    """One report page to render.

    Attributes
    ----------
    kind : {"pilot", "district", "index"}
    path : str
        The page, relative to ``reports_dir`` (``pilots/P1.html``).
    parameters : mapping
        The notebook's parameters (``campaign`` and ``pilot_id`` or ``district``); for
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


def render(job: Job) -> JobResult:
    """Render one report and write its files; never raises (see module docstring)."""
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            page, notebook = _produce(job)
        messages = [f"{w.category.__name__}: {w.message}" for w in caught]
        if notebook is not None:
            messages += _stderr(notebook)
            write_atomic(job.audit, nbformat.writes(notebook).encode("utf-8"))
        data = page.encode("utf-8")
        write_atomic(job.target, data)
    except Exception as exc:  # noqa: BLE001 - failure isolation: any error fails this report only
        return failure(job, exc, time.perf_counter() - started)
    return JobResult(job, RENDERED, time.perf_counter() - started, hashlib.sha256(data).hexdigest(),
                     warnings=tuple(messages))


def failure(job: Job, exc: BaseException, seconds: float) -> JobResult:
    """A failed result for ``job``; the previous HTML (if any) stays and is described."""
    return JobResult(job, FAILED, seconds, file_sha256(job.target), error=error_summary(exc))


def _produce(job: Job) -> tuple[str, nbformat.NotebookNode | None]:
    """The page's HTML and, for notebook reports, the executed notebook."""
    if job.notebook is None:
        return index_page(load_scored(job.parameters["campaign"])), None
    notebook = execute(job.notebook, dict(job.parameters))
    return notebook_to_html(notebook), notebook


def _stderr(notebook: nbformat.NotebookNode) -> list[str]:
    return [_ANSI.sub("", output.get("text", "")).strip()
            for cell in notebook.cells for output in cell.get("outputs", [])
            if output.get("output_type") == "stream" and output.get("name") == "stderr"]


def error_summary(exc: BaseException) -> str:
    """``Name: message``, then the last lines of the traceback (colour codes removed)."""
    if isinstance(exc, CellExecutionError):
        head = f"{exc.ename}: {exc.evalue}"
        lines = _ANSI.sub("", exc.traceback).splitlines()
    else:
        head = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
        lines = "".join(traceback.format_exception(exc)).splitlines()
    tail = [line for line in lines if line.strip()][-TRACEBACK_TAIL:]
    return "\n".join([head, *tail])


def file_sha256(path: Path) -> str | None:
    """sha256 of a file, or None when it does not exist."""
    try:
        return sha256_file(path)
    except FileNotFoundError:
        return None
