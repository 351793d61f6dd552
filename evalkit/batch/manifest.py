"""``manifest.json`` (docs/reproducibility.md): what a report directory holds and what it was made from.

The manifest names its format (``manifest_version``), evalkit's version and code
fingerprint, the key packages' versions, the scheme and questionnaire (id, version,
sha256), every input file (path relative to the report directory, and sha256), the score
files, every report: its path, kind, notebook parameters, key, status, sha256, seconds,
error summary and warnings — and the notes of what reading the inputs guessed or skipped
(file — relative to the report directory, as the inputs —, kind, count, message). Report
statuses:

``rendered``  rendered by this run;
``skipped``   up to date, left as an earlier run rendered it;
``failed``    this run's attempt failed — the file (if any) is the previous good one;
``outdated``  not selected (``only``) although its inputs changed, or never rendered.

A pilot or district page printed to PDF (``evalkit run --pdf``) carries a ``pdf`` record
(:func:`pdf_record`): the PDF's path, status (as above; ``outdated`` = printed from an
earlier version of the page), sha256, key, seconds and error; ``null`` when there is no PDF.

It carries no timestamp; ``seconds`` is the only thing that differs between identical runs
(and ``audit_sha256``: the executed notebook records its own execution times).

``evalkit`` holds, besides version and code fingerprint, ``git``: the checkout's commit and
whether it had uncommitted changes (null outside a git checkout); ``platform`` names the
operating system and machine. Every file of a report entry is recorded with its digest —
``path``/``sha256`` for the page, ``audit``/``audit_sha256`` for the executed notebook,
``path``/``sha256`` inside the ``pdf`` record — and :func:`evalkit.verify.verify` checks
each such pair (a key ``<name>_sha256`` beside a path ``<name>``, or a nested record with
``path`` and ``sha256``), so a new kind of file needs no change there.

``evalkit score`` writes a manifest too, keeping the report entries of an earlier
``evalkit run`` (:func:`carried_reports`), so that ``evalkit verify`` also works on a
directory of score files alone.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evalkit.atomic import write_atomic
from evalkit.batch.jobs import FAILED, RENDERED, Job
from evalkit.campaign import Campaign
from evalkit.digest import sha256_file
from evalkit.report.layout import MANIFEST
from evalkit.report.provenance import (
    code_fingerprint,
    evalkit_version,
    git_revision,
    input_records,
    package_versions,
    platform_name,
)
from evalkit.tables.readers import split_sheet

logger = logging.getLogger(__name__)

#: 2: scores.csv and scores.xlsx gained the column ``missing``, scorecards.json became
#: scorecards.jsonl (and standards_scorecards.jsonl), and ``notes`` was added. ``evalkit
#: verify`` reads both.
MANIFEST_VERSION = 2
SKIPPED, OUTDATED = "skipped", "outdated"
__all__ = ["FAILED", "OUTDATED", "RENDERED", "SKIPPED", "carried_reports", "pdf_record", "read_reports",
           "report_entry", "write_manifest"]


def relative(path: str | os.PathLike[str], base: Path) -> str:
    """``path`` relative to ``base`` with ``/`` separators (absolute when on another drive)."""
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:
        return Path(path).as_posix()


def note_file(file: str, base: Path) -> str:
    """A note's input file (as printed: relative to the working directory, ``book.xlsx#Sheet``
    for a sheet) relative to ``base``, as the manifest names its inputs, so that the manifest
    does not depend on where the command was run from."""
    path, sheet = split_sheet(file)
    return relative(path, base) + ("" if sheet is None else f"#{sheet}")


def read_reports(reports_dir: Path) -> dict[str, dict[str, Any]]:
    """The report entries of the existing manifest by path; empty when there is none or it is unreadable."""
    try:
        manifest = json.loads((reports_dir / MANIFEST).read_text(encoding="utf-8"))
        return {entry["path"]: entry for entry in manifest["reports"]}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring the unreadable %s (%s): every report will be rendered", reports_dir / MANIFEST, exc)
        return {}


def report_entry(job: Job, status: str, *, sha256: str | None, seconds: float | None,
                 error: str | None = None, warnings: Iterable[str] = ()) -> dict[str, Any]:
    """One report's manifest entry."""
    return {
        "path": job.path,
        "kind": job.kind,
        "parameters": dict(job.parameters),
        "notebook": None if job.notebook is None else str(job.notebook),
        "audit": None if job.audit is None else relative(job.audit, job.reports_dir),
        "audit_sha256": None if job.audit is None else sha256_file(job.audit, missing_ok=True),
        "key": job.key,
        "status": status,
        "sha256": sha256,
        "seconds": None if seconds is None else round(seconds, 3),
        "error": error,
        "warnings": list(warnings),
        "pdf": None,
    }


def pdf_record(path: str, status: str, *, sha256: str | None, key: str | None, seconds: float | None,
               error: str | None = None) -> dict[str, Any]:
    """The ``pdf`` record of a report entry: the PDF printed from the page (see module docstring)."""
    return {
        "path": path,
        "status": status,
        "sha256": sha256,
        "key": key,
        "seconds": None if seconds is None else round(seconds, 3),
        "error": error,
    }


def carried_reports(campaign: Campaign, out_dir: Path) -> list[dict[str, Any]]:
    """The report entries of ``out_dir``'s manifest, for ``evalkit score`` rewriting it.

    They are kept as they are when the inputs, evalkit's code and the key packages are
    the ones the manifest records; otherwise every ``rendered`` or ``skipped`` report
    becomes ``outdated`` (made from other inputs than the new scores), so that the next
    ``evalkit run`` renders it again. No manifest (or an unreadable one): no entries.
    """
    try:
        previous = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        entries = list(previous.get("reports", []))
        inputs = {record["role"]: record["sha256"] for record in previous.get("inputs", [])}
        same = (inputs == campaign.input_hashes()
                and previous.get("evalkit", {}).get("code") == code_fingerprint()
                and previous.get("packages") == package_versions())
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        logger.warning("ignoring the unreadable %s (%s)", out_dir / MANIFEST, exc)
        return []
    if same:
        return entries
    return [{**entry, "status": OUTDATED} if entry.get("status") in (RENDERED, SKIPPED) else entry
            for entry in entries]


def write_manifest(campaign: Campaign, score_files: Iterable[Path],
                   reports: Iterable[Mapping[str, Any]], out_dir: Path | None = None) -> Path:
    """Write ``manifest.json`` into ``out_dir`` (default: the campaign's report directory), atomically."""
    base = campaign.reports_dir if out_dir is None else Path(out_dir).absolute()
    inputs = input_records(campaign)
    by_role = {record["role"]: record for record in inputs}
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "campaign": {"id": campaign.id, "title": campaign.title, "path": relative(campaign.path, base)},
        "evalkit": {"version": evalkit_version(), "code": code_fingerprint(), "git": git_revision()},
        "packages": package_versions(),
        "platform": platform_name(),
        "scheme": {"id": campaign.scheme.id, "version": campaign.scheme.version,
                   "path": relative(campaign.scheme.path, base), "sha256": by_role["scheme"]["sha256"]},
        "questionnaire": {"id": campaign.questionnaire.id, "path": relative(campaign.questionnaire.path, base),
                          "sha256": by_role["questionnaire"]["sha256"]},
        "inputs": [{**record, "path": relative(record["path"], base)} for record in inputs],
        "scores": [{"path": relative(path, base), "sha256": sha256_file(path)} for path in score_files],
        "reports": sorted(reports, key=lambda entry: (entry["path"] != "index.html", entry["path"])),
        # what reading the inputs guessed or skipped (docs/importing.md)
        "notes": [{"file": note_file(note.file, base), "kind": note.kind, "count": note.count,
                   "message": note.message} for note in campaign.notes],
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    return write_atomic(base / MANIFEST, text.encode("utf-8"))
