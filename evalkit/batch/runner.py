"""``evalkit run``: score once, then render every out-of-date report in parallel.

A run

1. scores the campaign once, removes the temporary files a run killed while writing left
   behind (:func:`evalkit.atomic.remove_stray_temporaries`), writes ``scores.csv``,
   ``scores.xlsx`` and ``scorecards.jsonl`` (:func:`evalkit.outputs.write_scores`), and
   holds the scores for the pages (:func:`evalkit.scored.hold`);
2. holds the report folder's lock (:mod:`evalkit.folder_lock`: a second run waits), then
   plans one job per page — ``index.html``, ``pilots/<pilot_id>.html`` and
   ``districts/<district>.html``, and with a standard implementation scheme
   ``standards/<std_code>.html`` for the standards implemented by at least
   :func:`~evalkit.metrics.per_standard.report_threshold` pilots, and for any other standard
   asked for by ``only`` or rendered so before — each with its key (:mod:`evalkit.batch.keys`);
3. skips the pages that are up to date: same key as recorded in ``manifest.json``, file
   present with the recorded sha256, last attempt successful (``force`` renders all);
4. renders the rest with an executor (:mod:`evalkit.batch.executors`; by default every
   page in a process of its own, forked from this one) behind a progress bar; a failing
   report is recorded with its error and the others carry on;
5. with ``pdf`` (or ``pdf: true`` in the campaign file), prints every selected pilot and
   district page whose PDF is missing or older than its HTML to ``<page>.pdf`` with one
   headless browser (:mod:`evalkit.report.pdf`);
6. writes ``manifest.json`` (:mod:`evalkit.batch.manifest`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from evalkit.atomic import remove_stray_temporaries
from evalkit.batch import manifest
from evalkit.batch.executors import DaskExecutor, Executor, LocalExecutor, default_workers
from evalkit.batch.jobs import Job, JobResult, render
from evalkit.batch.keys import job_key
from evalkit.campaign import Campaign
from evalkit.digest import sha256_file
from evalkit.errors import UsageError
from evalkit.folder_lock import folder_lock
from evalkit.metrics.per_standard import reported_codes
from evalkit.outputs import write_scores
from evalkit.report import pdf as pdfs
from evalkit.report.layout import (
    DISTRICTS_DIR,
    INDEX,
    PILOTS_DIR,
    QUALITY,
    STANDARDS_DIR,
    district_path,
    pilot_path,
    standard_path,
)
from evalkit.report.provenance import code_fingerprint
from evalkit.scored import ScoredCampaign, hold
from evalkit.scoring import Scores

logger = logging.getLogger(__name__)


def _default_notebooks_dir() -> Path:
    """The report notebooks: ``evalkit/notebooks/`` of an installed package (the wheel carries
    the checkout's ``notebooks/`` there), else ``notebooks/`` of the source checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "notebooks"
    return installed if installed.is_dir() else package.parent / "notebooks"


#: Where ``run_reports`` finds the report notebooks unless told otherwise.
NOTEBOOKS_DIR = _default_notebooks_dir()
NOTEBOOKS = {"pilot": "pilot_report.ipynb", "district": "district_report.ipynb", "standard": "standard_report.ipynb"}
#: Kinds of page printed to PDF by ``pdf=True`` (the index page is a screen page of links).
PDF_KINDS = ("pilot", "district", "standard")


@dataclass(frozen=True)
class RunSummary:
    """What a run did.

    Attributes
    ----------
    rendered, skipped : tuple of Path
        Pages rendered by this run, and pages left as they were because up to date.
    failed : tuple of (Path, str)
        Pages that failed, with an error summary; any previous good file was kept.
    outdated : tuple of Path
        Pages out of date but not selected by ``only``.
    warnings : tuple of (Path, str)
        Warnings printed while rendering a page (none are expected).
    manifest : Path
        The ``manifest.json`` written.
    seconds : float
        Wall-clock time of the run.
    pdfs : tuple of Path
        PDF files printed by this run (a PDF that failed is listed in ``failed``).
    pdf_seconds : float
        Time spent printing them, browser start included.
    """

    rendered: tuple[Path, ...]
    skipped: tuple[Path, ...]
    failed: tuple[tuple[Path, str], ...]
    outdated: tuple[Path, ...]
    warnings: tuple[tuple[Path, str], ...]
    manifest: Path
    seconds: float
    pdfs: tuple[Path, ...] = ()
    pdf_seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when no report failed, else 1 (docs/commands.md)."""
        return 1 if self.failed else 0


def run_reports(
    campaign: Campaign,
    *,
    jobs: int | None = None,
    only: Sequence[str] | None = None,
    force: bool = False,
    progress: bool = True,
    notebooks_dir: str | Path | None = None,
    executor: Executor | None = None,
    pdf: bool = False,
    client: Any = None,
) -> RunSummary:
    """Score a campaign and render its reports into ``campaign.reports_dir``.

    Parameters
    ----------
    campaign : Campaign
        A loaded, validated campaign (:func:`evalkit.load_campaign`).
    jobs : int, optional
        Pages rendered at once, each in a process of its own; default
        :func:`~evalkit.batch.executors.default_workers` (one per core, bounded by
        memory). Even ``1`` renders every page in a process of its own, so a notebook that
        ends its process fails its report only; pass ``executor=SerialExecutor()`` to
        render in this process (debugging).
    only : sequence of str, optional
        Pilot ids, district names and/or standard codes: render just those pages (the
        index and quality pages are always brought up to date). Others keep their files and are
        listed as ``outdated`` in the manifest when their inputs changed.
    force : bool, default False
        Render the selected pages even when up to date; with ``only``, the pages it names
        (the index and quality pages are then rendered only when out of date).
    progress : bool, default True
        Show a progress bar on stderr.
    notebooks_dir : path, optional
        Directory holding ``pilot_report.ipynb``, ``district_report.ipynb`` and
        ``standard_report.ipynb``; default :data:`NOTEBOOKS_DIR` (the checkout's
        ``notebooks/``, or their copies installed with the package).
    executor : Executor, optional
        Overrides ``jobs``: anything that maps :func:`evalkit.batch.jobs.render` over jobs
        (:class:`~evalkit.batch.executors.LocalExecutor`, ``SerialExecutor``, ``DaskExecutor``).
    pdf : bool, default False
        Also print each pilot, district and standard page to a PDF beside it (``pilots/<id>.pdf``);
        a campaign file with ``pdf: true`` asks for them too. A page counts as up to date
        only when its PDF, when asked for, was printed from its current HTML.
    client : distributed.Client, optional
        Render on the workers of this Dask cluster instead of local processes
        (:class:`~evalkit.batch.executors.DaskExecutor`); ``jobs`` is then ignored. The
        files are written by this process: results, manifest and scores are those of a
        local run.

    Returns
    -------
    RunSummary

    Raises
    ------
    UsageError
        ``only`` names an unknown pilot, district or standard, or ``jobs`` is below 1.
    PdfEngineMissing
        PDFs are asked for and no PDF engine is installed (a :class:`UsageError`; raised
        before anything is written).
    FileNotFoundError
        A report notebook is missing.
    DataError
        Scoring failed (``missing: error`` with missing metrics).

    Notes
    -----
    Where page processes are spawned (Windows, ``EVALKIT_START_METHOD=spawn``) a script
    calling this must do so under ``if __name__ == "__main__":``.
    """
    started = time.perf_counter()
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    want_pdf = bool(pdf or campaign.pdf)
    engine = pdfs.check_engine() if want_pdf else None
    scored = ScoredCampaign.of(campaign)
    scores = scored.scores
    with folder_lock(campaign.reports_dir, what="evalkit run"):  # one run (or score) at a time per folder
        reports_dir = campaign.reports_dir
        previous = manifest.read_reports(reports_dir)
        standards = _standard_pages(scored, only, previous)
        plan = plan_jobs(campaign, scores, Path(notebooks_dir) if notebooks_dir else NOTEBOOKS_DIR, standards)
        selected = _select(plan, only)
        for folder in (PILOTS_DIR, DISTRICTS_DIR, *([STANDARDS_DIR] if standards else [])):
            (reports_dir / folder).mkdir(parents=True, exist_ok=True)
        remove_stray_temporaries(reports_dir)  # what a run killed while writing left behind
        score_files = write_scores(scores, reports_dir, scored.standards)

        current = {job.path: _up_to_date(job, previous.get(job.path)) for job in plan}
        forced = _forced(selected, only) if force else set()
        todo = [job for job in plan if job.path in selected and (job.path in forced or not current[job.path])]
        hold(scored.for_pages({job.kind for job in todo}))  # the page processes are forked with it
        if executor is None and client is not None:
            executor = DaskExecutor(client)
        results = _execute(todo, executor or _executor(jobs, len(todo)), progress)

        entries = []
        for job in plan:
            if job.path in results:
                result = results[job.path]
                entries.append(manifest.report_entry(job, result.status, sha256=result.sha256, seconds=result.seconds,
                                                     error=result.error, warnings=result.warnings))
            elif current[job.path]:
                earlier = previous[job.path]
                entries.append(manifest.report_entry(job, manifest.SKIPPED, sha256=earlier["sha256"],
                                                     seconds=earlier.get("seconds"),
                                                     warnings=earlier.get("warnings", [])))
            else:
                earlier = previous.get(job.path, {})
                entries.append(manifest.report_entry(job, manifest.OUTDATED,
                                                     sha256=sha256_file(job.target, missing_ok=True),
                                                     seconds=earlier.get("seconds"), error=earlier.get("error")))
        pdf_started = time.perf_counter()
        headers = _pdf_headers(scored) if engine is not None else {}
        printed = _print_pdfs(plan, entries, previous, selected, headers, campaign,
                              engine=engine, force=force, concurrency=jobs, progress=progress)
        pdf_seconds = time.perf_counter() - pdf_started if printed else 0.0
        manifest_path = manifest.write_manifest(campaign, score_files, entries)
        return _summary(reports_dir, entries, manifest_path, time.perf_counter() - started, pdf_seconds)


def plan_jobs(campaign: Campaign, scores: Scores, notebooks_dir: Path, standards: Sequence[str] = ()) -> list[Job]:
    """Every page of the campaign as a job: the index, then pilots by id, then districts by name,
    then the ``standards`` (codes of the standards with a report) in the order given.

    The standard report notebook is needed only when there are standards to report.
    """
    notebooks = {kind: (notebooks_dir / name).resolve() for kind, name in NOTEBOOKS.items()
                 if kind != "standard" or standards}
    for path in notebooks.values():
        if not path.is_file():
            raise FileNotFoundError(f"report notebook not found: {path}")
    notebook_hashes = {kind: sha256_file(path) for kind, path in notebooks.items()}
    inputs = campaign.input_hashes()
    campaign_path = str(campaign.path)

    def job(kind: str, page: str, own: dict[str, str]) -> Job:
        notebook = notebooks.get(kind)
        return Job(kind=kind, path=page, parameters={"campaign": campaign_path, **own},
                   reports_dir=campaign.reports_dir, notebook=notebook,
                   key=job_key(kind, own, notebook_hashes.get(kind), inputs))

    table = scores.table
    return [
        job("index", str(INDEX), {}),
        job("quality", str(QUALITY), {}),
        *(job("pilot", str(pilot_path(pilot_id)), {"pilot_id": pilot_id}) for pilot_id in table["pilot_id"]),
        *(job("district", str(district_path(district)), {"district": district})
          for district in sorted(table["district"].unique())),
        *(job("standard", str(standard_path(code)), {"std_code": code}) for code in standards),
    ]


def _standard_pages(scored: ScoredCampaign, only: Sequence[str] | None, previous: dict[str, Any]) -> list[str]:
    """Codes of the standards with a page: those :func:`reported_codes` names by default,
    then those asked for by ``only`` or rendered so before (on request; in code order)."""
    if scored.standards is None:
        return []
    default = reported_codes(scored.campaign, scored.standard_table)
    known = set(scored.standard_table.index)
    earlier = {entry["parameters"].get("std_code") for entry in previous.values()
               if entry.get("kind") == "standard" and isinstance(entry.get("parameters"), dict)}
    requested = (set(only or ()) | earlier) & known - set(default)
    return [*default, *sorted(requested)]


def _select(plan: list[Job], only: Sequence[str] | None) -> set[str]:
    """Paths of the selected pages: all, or the index plus the named pilots, districts and standards."""
    if not only:
        return {job.path for job in plan}
    named = {job.subject: job.path for job in plan if job.subject is not None}
    unknown = [name for name in only if name not in named]
    if unknown:
        what = "pilot, district or standard" if any(job.kind == "standard" for job in plan) else "pilot or district"
        raise UsageError(f"no {what} named {', '.join(repr(name) for name in unknown)} in the campaign")
    return {str(INDEX), str(QUALITY), *(named[name] for name in only)}


def _forced(selected: set[str], only: Sequence[str] | None) -> set[str]:
    """The pages ``force`` renders even when up to date: the selected ones; under ``only``,
    those it names — the index and quality pages, which it always brings up to date, are
    rendered when out of date, as without ``force`` (re-rendering one pilot's page does not
    re-run the campaign's robustness draws)."""
    return selected - {str(INDEX), str(QUALITY)} if only else selected


def _up_to_date(job: Job, entry: dict[str, Any] | None) -> bool:
    """Recorded as good with the same key, and the files are still there, unchanged.

    The executed notebook must have its recorded ``audit_sha256`` too (when one is
    recorded), so that a notebook edited after the run is rendered again, not carried
    into the next manifest as if it were the original.
    """
    return (
        entry is not None
        and entry.get("status") in (manifest.RENDERED, manifest.SKIPPED)
        and entry.get("key") == job.key
        and entry.get("sha256") is not None
        and sha256_file(job.target, missing_ok=True) == entry["sha256"]
        and (job.audit is None or (job.audit.is_file()
                                   and entry.get("audit_sha256") in (None, sha256_file(job.audit, missing_ok=True))))
    )


def _executor(jobs: int | None, count: int) -> Executor:
    workers = min(jobs or default_workers(), max(count, 1))
    return LocalExecutor(workers)


class _Progress(tqdm):
    """tqdm without its monitor thread, which outlives the bar (even a disabled one) and
    would leave a thread running in the process after every run."""

    monitor_interval = 0


def _execute(todo: list[Job], executor: Executor, progress: bool) -> dict[str, JobResult]:
    """Render ``todo`` with ``executor`` behind a progress bar; results by page path."""
    results: dict[str, JobResult] = {}
    if not todo:
        return results
    failed = 0
    with logging_redirect_tqdm(), _Progress(total=len(todo), desc="reports", unit="report",
                                       disable=not progress, dynamic_ncols=True) as bar:
        for result in executor.map(render, todo):
            results[result.job.path] = result
            if result.status == manifest.FAILED:
                failed += 1
                bar.set_postfix(failed=failed)
                logger.warning("report %s failed: %s", result.job.path, (result.error or "").splitlines()[0])
            bar.update()
    return results


def _pdf_headers(scored: ScoredCampaign) -> dict[tuple[str, str], str]:
    """The right-hand running header of each PDF, by (kind, subject): ``SH2021-001 上海市…试点``,
    ``黄浦区 区级汇总报告``, ``DB31/T 1000-2016 《title》实施情况评价``."""
    pilots = scored.scores.table
    headers = {("pilot", pilot): f"{pilot} {name}".strip()
               for pilot, name in zip(pilots["pilot_id"], pilots["name"], strict=True)}
    headers.update({("district", district): f"{district} 区级汇总报告" for district in pilots["district"].unique()})
    if scored.standards is not None:
        standards = scored.standards.table
        headers.update({("standard", code): f"{code} 《{title}》实施情况评价" if title else f"{code} 实施情况评价"
                        for code, title in zip(standards["std_code"], standards["title"], strict=True)})
    return headers


def _print_pdfs(plan: list[Job], entries: list[dict[str, Any]], previous: dict[str, dict[str, Any]],
                selected: set[str], headers: dict[tuple[str, str], str], campaign: Campaign, *,
                engine: pdfs.Engine | None,
                force: bool, concurrency: int | None, progress: bool) -> int:
    """Print the PDFs that are asked for and out of date; set every entry's ``pdf`` record.

    A PDF is up to date when the manifest records it as good, the file still has the
    recorded sha256, and its key (:func:`evalkit.report.pdf.pdf_key`: the sha256 of the
    HTML now on disk and evalkit's code) is unchanged. Without ``engine`` (no PDF asked
    for) nothing is printed: earlier PDFs are listed as ``skipped`` while they match their
    page, else ``outdated``. Returns the number of PDFs attempted.
    """
    code = code_fingerprint()
    by_path = {entry["path"]: entry for entry in entries}
    todo: list[tuple[dict[str, Any], pdfs.PdfJob, str]] = []
    for job in plan:
        if job.kind not in PDF_KINDS:
            continue
        entry = by_path[job.path]
        target = pdfs.pdf_path(job.target)
        relative = manifest.relative(target, job.reports_dir)
        key = pdfs.pdf_key(entry["sha256"], code) if entry["sha256"] else None
        earlier = previous.get(job.path, {}).get("pdf") or {}
        on_disk = sha256_file(target, missing_ok=True)
        good = (key is not None and earlier.get("status") in (manifest.RENDERED, manifest.SKIPPED)
                and earlier.get("key") == key and on_disk is not None and earlier.get("sha256") == on_disk)
        if (engine is not None and job.path in selected and entry["status"] in (manifest.RENDERED, manifest.SKIPPED)
                and (force or not good)):
            todo.append((entry, pdfs.PdfJob(job.target, target, campaign.title, headers[job.kind, job.subject],
                                            job.subject), key))
        elif good:
            entry["pdf"] = manifest.pdf_record(relative, manifest.SKIPPED, sha256=on_disk, key=key,
                                               seconds=earlier.get("seconds"))
        elif on_disk is not None:
            entry["pdf"] = manifest.pdf_record(relative, manifest.OUTDATED, sha256=on_disk, key=earlier.get("key"),
                                               seconds=earlier.get("seconds"), error=earlier.get("error"))
    if not todo:
        return 0
    concurrency = min(concurrency or pdfs.DEFAULT_CONCURRENCY, 4)
    with logging_redirect_tqdm(), _Progress(total=len(todo), desc="pdf", unit="pdf", disable=not progress,
                                       dynamic_ncols=True) as bar:
        results = pdfs.render_pdfs([item[1] for item in todo], engine=engine, concurrency=concurrency,
                                   on_result=lambda result: bar.update())
    for (entry, job, key), result in zip(todo, results, strict=True):
        relative = manifest.relative(job.target, campaign.reports_dir)
        if result.ok:
            entry["pdf"] = manifest.pdf_record(relative, manifest.RENDERED, sha256=result.sha256, key=key,
                                               seconds=result.seconds)
        else:
            logger.warning("PDF %s failed: %s", relative, result.error)
            entry["pdf"] = manifest.pdf_record(relative, manifest.FAILED, sha256=result.sha256, key=None,
                                               seconds=result.seconds, error=result.error)
    return len(todo)


def _summary(reports_dir: Path, entries: list[dict[str, Any]], manifest_path: Path, seconds: float,
             pdf_seconds: float = 0.0) -> RunSummary:
    def paths(status: str) -> tuple[Path, ...]:
        return tuple(reports_dir / e["path"] for e in entries if e["status"] == status)

    printed = [e["pdf"] for e in entries if e.get("pdf")]
    return RunSummary(
        rendered=paths(manifest.RENDERED),
        skipped=paths(manifest.SKIPPED),
        failed=tuple((reports_dir / e["path"], e["error"] or "") for e in entries if e["status"] == manifest.FAILED)
        + tuple((reports_dir / p["path"], p["error"] or "") for p in printed if p["status"] == manifest.FAILED),
        outdated=paths(manifest.OUTDATED),
        warnings=tuple((reports_dir / e["path"], w) for e in entries
                       if e["status"] == manifest.RENDERED for w in e["warnings"]),
        manifest=manifest_path,
        seconds=seconds,
        pdfs=tuple(reports_dir / p["path"] for p in printed if p["status"] == manifest.RENDERED),
        pdf_seconds=pdf_seconds,
    )
