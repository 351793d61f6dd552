"""``evalkit verify``: re-score a published evaluation from its inputs and detect any change (docs/reproducibility.md).

A report directory's ``manifest.json`` (:mod:`evalkit.batch.manifest`) names every input
file of the evaluation with its sha256 — the campaign file, the scheme(s), the
questionnaire and every data table — and every output file with its sha256: the score
files and, after ``evalkit run``, every report page, executed notebook and PDF.
:func:`verify` checks all of it, in three steps:

1. **Inputs.** Each input is looked up (next to the report directory, where the manifest's
   relative path points; or in the assessor's own directory ``inputs``) and hashed.
2. **Outputs.** Each output file listed in the manifest must still have the recorded
   sha256 (an edited ``scores.csv`` or report page is found here).
3. **Scores.** The campaign is loaded from exactly the input files of step 1 and scored
   again with the evalkit that runs ``verify``; the score files are produced again, in
   memory, and compared with the published ones — byte for byte (``scores.xlsx``: cell
   value by cell value, since its zip's bytes depend on the zlib that packed it). Every
   value that differs is listed as (row, column, published, recomputed). A manifest of the
   first wave's format (``manifest_version`` 1: no column ``missing``, every scorecard in one
   ``scorecards.json``) is compared value by value with the recomputed files, leaving out
   what that format did not hold and the explanation sentences (worded otherwise then).

Exit status (:attr:`VerifyResult.status`):

``0`` reproduced: every input has its recorded sha256 (with ``inputs``: every input was
    found), every output file is unchanged, and the recomputed score files equal the
    published ones;
``1`` not reproduced: a published value differs from the recomputed one, an output file
    changed or is missing, or recomputing gives other bytes although every value matches;
``2`` inputs missing or changed: without ``inputs``, an input file is missing or its
    sha256 differs from the manifest's; with ``inputs``, an input file is missing; also
    when the manifest is missing or unreadable, or the assessor's inputs do not load.

With ``inputs`` the assessor's files may legitimately differ in bytes from the published
ones (re-exported from another system, saved as GBK instead of UTF-8, rows in another
order): such files are reported, not held against the evaluation; what counts is whether
they give the same scores. Without ``inputs`` a changed input is always exit 2, and the
scores recomputed from the changed inputs are listed as well, to show what the change
affects.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import yaml

from evalkit.digest import sha256_bytes, sha256_file
from evalkit.errors import DataError, display_path

REPRODUCED, DIFFERENT, INPUTS_CHANGED = 0, 1, 2
MANIFEST = "manifest.json"

__all__ = ["DIFFERENT", "INPUTS_CHANGED", "REPRODUCED", "InputChange", "OutputChange", "ScoreDifference",
           "VerifyResult", "verify"]


@dataclass(frozen=True)
class InputChange:
    """An input file whose bytes are not those the manifest records.

    Attributes
    ----------
    role : str
        ``campaign``, ``scheme``, ``questionnaire``, ``data.<table>`` …
    path : str
        The file as the manifest names it (relative to the report directory).
    location : Path
        Where it was looked for (with ``inputs``: the first place looked).
    expected : str
        The sha256 recorded in the manifest.
    found : str or None
        Its sha256 now; None when the file is missing.
    """

    role: str
    path: str
    location: Path
    expected: str
    found: str | None

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def missing(self) -> bool:
        return self.found is None


class ScoreDifference(NamedTuple):
    """One value of a published score file that the inputs do not reproduce.

    ``pilot`` is the row (a ``pilot_id``; a ``std_code`` for the scores of standards; ``""``
    for the campaign-level part of the scorecards), ``indicator`` the column — an
    indicator id, ``total``, ``grade``… in ``scores.csv``; ``A1.points``, ``A1.value``,
    ``A1.evidence.conform``… in ``scorecards.jsonl``; ``总表: 总分``… in ``scores.xlsx``.
    ``expected`` is the published value (in the report directory), ``found`` the value
    recomputed from the inputs, both as the file writes them; ``file`` the score file.
    """

    pilot: str
    indicator: str
    expected: str
    found: str
    file: str


@dataclass(frozen=True)
class OutputChange:
    """An output file listed in the manifest that is missing or no longer has its recorded sha256."""

    path: str
    expected: str
    found: str | None

    @property
    def missing(self) -> bool:
        return self.found is None


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify` found.

    Attributes
    ----------
    status : int
        0 reproduced, 1 not reproduced, 2 inputs missing or changed (module docstring).
    summary : str
        One line saying so.
    changed_inputs : tuple of InputChange
        Inputs missing or with other bytes than recorded (with ``inputs``: the files of
        the assessor's copy that differ in bytes — listed, not failures — and the missing).
    score_differences : tuple of ScoreDifference
        Published values that differ from the recomputed ones.
    changed_outputs : tuple of OutputChange
        Output files missing or changed since the run.
    unreproduced : tuple of str
        Score files whose recomputed bytes differ without a value to show for it (e.g.
        number formatting), or that recomputing no longer produces.
    errors : tuple of str
        Why something could not be checked (no manifest, inputs that do not load…).
    notes : tuple of str
        For information: other evalkit code or package versions than the manifest's,
        reports that were failed or outdated when published, …
    inputs_dir : Path or None
        The assessor's input directory, when given.
    """

    status: int
    summary: str
    changed_inputs: tuple[InputChange, ...] = ()
    score_differences: tuple[ScoreDifference, ...] = ()
    changed_outputs: tuple[OutputChange, ...] = ()
    unreproduced: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    inputs_dir: Path | None = None

    def lines(self) -> list[str]:
        """Every finding as a line of text, the summary last (what ``evalkit verify`` prints)."""
        out = [f"error: {error}" for error in self.errors if error not in self.summary]
        for change in self.changed_inputs:
            if self.inputs_dir is not None and not change.missing:
                continue  # an assessor's copy may differ in bytes: listed among the notes
            if change.missing:
                where = f"in {self.inputs_dir}" if self.inputs_dir is not None else f"at {change.location}"
                out.append(f"input missing: {change.path} ({change.role}): not found {where}")
            else:
                out.append(f"input changed: {change.path} ({change.role}): sha256 {change.found}, "
                           f"the manifest records {change.expected}")
        for change in self.changed_outputs:
            if change.missing:
                out.append(f"output missing: {change.path}")
            else:
                out.append(f"output changed since the run: {change.path}: sha256 {change.found}, "
                           f"the manifest records {change.expected}")
        for d in self.score_differences:
            row = f"{d.pilot} " if d.pilot else ""
            out.append(f"score differs: {d.file}: {row}{d.indicator}: published {d.expected}, recomputed {d.found}")
        out += [f"not reproduced: {text}" for text in self.unreproduced]
        out += [f"note: {note}" for note in self.notes]
        out.append(self.summary)
        return out


def verify(report_dir: str | os.PathLike[str], inputs: str | os.PathLike[str] | None = None) -> VerifyResult:
    """Re-score a published evaluation from the inputs its manifest names, and compare.

    Parameters
    ----------
    report_dir : path
        The report directory holding ``manifest.json`` (written by ``evalkit run`` or
        ``evalkit score``) and the published files.
    inputs : path, optional
        A directory holding the assessor's own copy of the input files. Each input is
        looked up there by its path below the inputs' common directory (the published
        layout, e.g. ``params/demo.yaml`` and ``data/demo/pilots.csv``), then by its file
        name alone (all files in one folder). Its bytes may differ from the published
        input's; only the scores count.

    Returns
    -------
    VerifyResult
        See the module docstring for the exit statuses.

    Examples
    --------
    >>> result = verify("reports/demo-2021")  # doctest: +SKIP
    >>> result.status, result.summary  # doctest: +SKIP
    (0, 'reproduced: demo-2021, 48 pilots; 9 inputs, 3 score files and 104 report files match manifest.json ...')
    """
    report_dir = Path(report_dir)
    manifest_path = report_dir / MANIFEST
    try:
        manifest_bytes = manifest_path.read_bytes()
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        records = [(str(r["role"]), str(r["path"]), str(r["sha256"])) for r in manifest["inputs"]]
        if not isinstance(manifest.get("scores", []), list) or not isinstance(manifest.get("reports", []), list):
            raise TypeError("'scores' and 'reports' must be lists")
    except FileNotFoundError:
        message = f"no {MANIFEST} in {report_dir} (made by 'evalkit run' or 'evalkit score')"
        return VerifyResult(INPUTS_CHANGED, f"cannot verify: {message}", errors=(message,))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        message = f"{manifest_path} is not a readable evalkit manifest ({type(exc).__name__}: {exc})"
        return VerifyResult(INPUTS_CHANGED, f"cannot verify: {message}", errors=(message,))
    if not any(role == "campaign" for role, _, _ in records):
        message = f"{manifest_path} names no campaign file among its inputs"
        return VerifyResult(INPUTS_CHANGED, f"cannot verify: {message}", errors=(message,))

    own = None if inputs is None else Path(inputs).absolute()
    located, input_changes = _locate_inputs(records, report_dir, own)
    missing = [c for c in input_changes if c.missing]
    changed_outputs = list(_changed_outputs(manifest, report_dir))
    notes = _version_notes(manifest) + _report_notes(manifest)
    if own is not None:
        notes += [f"{c.path} ({c.role}): the copy {c.location} differs in bytes from the published input; "
                  "scored from the copy" for c in input_changes if not c.missing]
    errors: list[str] = []
    differences: list[ScoreDifference] = []
    unreproduced: list[str] = []
    pilots: int | None = None
    if missing:
        errors.append("cannot re-score: " + ", ".join(c.name for c in missing) + " missing")
    else:
        try:
            recomputed, pilots, more = _recompute(located)
            notes += more
        except DataError as exc:
            errors += [f"the inputs do not load: {problem}" for problem in exc.problems]
        else:
            differences, unreproduced = _compare_scores(manifest, report_dir, recomputed)

    input_problem = bool(missing) or (own is None and bool(input_changes)) or (own is not None and bool(errors))
    if input_problem:
        status = INPUTS_CHANGED
    elif errors or differences or changed_outputs or unreproduced:
        status = DIFFERENT
    else:
        status = REPRODUCED
    summary = _summary(status, manifest, manifest_bytes, own, pilots, input_changes, differences,
                       changed_outputs, unreproduced, errors)
    return VerifyResult(status, summary, tuple(input_changes), tuple(differences), tuple(changed_outputs),
                        tuple(unreproduced), tuple(errors), tuple(notes), own)


# ---------------------------------------------------------------------------------------
# inputs


def _locate_inputs(records: list[tuple[str, str, str]], report_dir: Path,
                   own: Path | None) -> tuple[dict[str, Path], list[InputChange]]:
    """Each input's file (role -> path) and the inputs that are missing or differ in bytes."""
    located: dict[str, Path] = {}
    changes: list[InputChange] = []
    places = _candidates(records, report_dir, own)
    for role, path, expected in records:
        candidates = places[role]
        location = next((p for p in candidates if p.is_file()), candidates[0])
        found = sha256_file(location, missing_ok=True)
        located[role] = location
        if found != expected:
            changes.append(InputChange(role, path, location, expected, found))
    return located, changes


def _candidates(records: list[tuple[str, str, str]], report_dir: Path, own: Path | None) -> dict[str, list[Path]]:
    """Where to look for each input: beside the report directory, or in the assessor's directory."""
    published = {role: Path(os.path.normpath(report_dir.absolute() / path)) for role, path, _ in records}
    if own is None:
        return {role: [path] for role, path in published.items()}
    try:
        common = Path(os.path.commonpath(list(published.values())))
    except ValueError:  # different drives
        common = None
    out = {}
    for role, path in published.items():
        places = []
        if common is not None and path != common:
            places.append(own / path.relative_to(common))
        places.append(own / path.name)
        out[role] = list(dict.fromkeys(places))
    return out


# ---------------------------------------------------------------------------------------
# outputs


def _changed_outputs(manifest: Mapping[str, Any], report_dir: Path) -> Iterator[OutputChange]:
    for path, expected in _output_files(manifest):
        found = sha256_file(report_dir / path, missing_ok=True)
        if found != expected:
            yield OutputChange(path, expected, found)


def _output_files(manifest: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, sha256) of every output file the manifest lists: score files, then each report's files.

    A report entry records a file as ``path``/``sha256``, as ``<name>``/``<name>_sha256``
    (``audit``/``audit_sha256``), or as a nested record with ``path`` and ``sha256`` (the
    ``pdf`` record). A null sha256 means no file (a report that failed on its first attempt).
    """
    for record in manifest.get("scores", []):
        yield str(record["path"]), str(record["sha256"])
    for entry in manifest.get("reports", []):
        yield from _entry_files(entry)


def _entry_files(entry: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if isinstance(entry.get("path"), str) and isinstance(entry.get("sha256"), str):
        yield entry["path"], entry["sha256"]
    for key, value in entry.items():
        if key.endswith("_sha256") and isinstance(value, str) and isinstance(entry.get(key[:-7]), str):
            yield entry[key[:-7]], value
        elif isinstance(value, Mapping):
            yield from _entry_files(value)


def _report_notes(manifest: Mapping[str, Any]) -> list[str]:
    notes = []
    for entry in manifest.get("reports", []):
        status = entry.get("status")
        if status == "failed":
            notes.append(f"{entry.get('path')}: its last rendering failed; the file is an earlier one")
        elif status == "outdated":
            notes.append(f"{entry.get('path')}: outdated when published (made from other inputs than the scores)")
    return notes


def _version_notes(manifest: Mapping[str, Any]) -> list[str]:
    from evalkit.report.provenance import code_fingerprint, evalkit_version, package_versions

    notes = []
    recorded = manifest.get("evalkit") or {}
    if recorded.get("version") != evalkit_version() or recorded.get("code") != code_fingerprint():
        notes.append(f"the manifest was made by evalkit {recorded.get('version')} "
                     f"(code {str(recorded.get('code'))[:12]}); "
                     f"this is evalkit {evalkit_version()} (code {code_fingerprint()[:12]})")
    packages = manifest.get("packages") or {}
    current = package_versions()
    for name in sorted(set(packages) | set(current)):
        if packages.get(name) != current.get(name):
            notes.append(f"{name} {current.get(name, 'not recorded')} here, {packages.get(name, 'not recorded')} "
                         "in the manifest")
    return notes


# ---------------------------------------------------------------------------------------
# re-scoring


def _recompute(located: Mapping[str, Path]) -> tuple[dict[str, bytes], int, list[str]]:
    """Score the campaign made of exactly the ``located`` files; the score files' bytes by name.

    The campaign file is read, and every file it refers to is replaced by the located
    input of the same role (``scheme``, ``questionnaire``, ``data.pilots`` …; a table's
    ``#Sheet`` is kept), so that the manifest — not the campaign file's relative paths —
    decides which files are scored. Nothing is written outside a temporary directory.
    """
    from evalkit.load import load_campaign
    from evalkit.yamlfile import load_yaml

    campaign_file = located["campaign"]
    data, problems = load_yaml(campaign_file)
    if data is None:
        raise DataError(problems)
    document = _plain(data)
    notes = []
    tables = document.get("data") if isinstance(document.get("data"), dict) else {}
    named = {role[len("data."):].split("[")[0] for role in located if role.startswith("data.")}
    for name in sorted(set(tables) - named):
        notes.append(f"the campaign file lists the table '{name}', which the manifest does not name; not used")
    for role, path in located.items():
        if role != "campaign" and not role.startswith("data."):
            document[role] = str(path)
    with tempfile.TemporaryDirectory(prefix="evalkit-verify-") as scratch:
        document["data"] = {name: _table_entry(name, tables.get(name), located, Path(scratch)) for name in sorted(named)}
        document["reports"] = str(Path(scratch) / "reports")
        substitute = Path(scratch) / campaign_file.name
        substitute.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
        try:
            campaign = load_campaign(substitute)
        except DataError as exc:
            shown, real = display_path(substitute), display_path(campaign_file)
            raise DataError([p if p.file != shown else p.__class__(real, None, p.column, p.message)
                             for p in exc.problems]) from None
        written, pilots = _score_files(campaign, Path(scratch) / "scores")
        files = {path.relative_to(Path(scratch) / "scores").as_posix(): path.read_bytes() for path in written}
    return files, pilots, notes


def _score_files(campaign: Any, out: Path) -> tuple[list[Path], int]:
    """Write the score files exactly as ``evalkit score`` and ``evalkit run`` do; also the pilot count."""
    from evalkit.outputs import write_scores
    from evalkit.scoring import score_campaign

    scores, standards = score_campaign(campaign)
    return write_scores(scores, out, standards), len(scores.table)


def _table_entry(name: str, entry: Any, located: Mapping[str, Path], scratch: Path) -> Any:
    """The campaign file's entry of a table, reading the located file(s): a path (``#Sheet``
    kept), or a table spec whose ``path`` is replaced. A table stacked from several files
    (roles ``data.<name>[1]`` …) reads links to them gathered in a folder of ``scratch``,
    by the file-name pattern of its glob."""
    several = sorted((role for role in located if role.startswith(f"data.{name}[")),
                     key=lambda role: int(role.rpartition("[")[2].rstrip("]")))
    written = entry.get("path") if isinstance(entry, dict) else entry
    if several:
        folder = scratch / "inputs" / name
        folder.mkdir(parents=True)
        for role in several:
            (folder / located[role].name).symlink_to(located[role].absolute())
        path = str(folder / Path(str(written)).name)
    else:
        path = str(located[f"data.{name}"]) + ("" if isinstance(entry, dict) else _sheet(entry))
    return {**entry, "path": path} if isinstance(entry, dict) else path


def _sheet(location: Any) -> str:
    """The ``#Sheet`` part of a table location of the campaign file ('' when none)."""
    return "#" + str(location).split("#", 1)[1] if isinstance(location, str) and "#" in location else ""


def _plain(value: Any) -> Any:
    """YAML data as plain dicts and lists (the line-remembering mappings cannot be dumped)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------
# comparing score files


#: The manifest version of the first wave's score files: ``scores.csv`` and ``scores.xlsx``
#: without the column ``missing``, every scorecard in one ``scorecards.json``.
FIRST_WAVE = 1
#: First-wave ``scorecards.json``: the sections of the document and the files holding them now.
FIRST_WAVE_SCORECARDS = "scorecards.json"
SCORECARD_SECTIONS = {"pilots": "scorecards.jsonl", "standards": "standards_scorecards.jsonl"}
#: Columns of the score tables the first wave did not have (by header: scores.csv, then scores.xlsx).
NEW_COLUMNS = ("missing", "缺失数据")


def _compare_scores(manifest: Mapping[str, Any], report_dir: Path,
                    recomputed: Mapping[str, bytes]) -> tuple[list[ScoreDifference], list[str]]:
    """Every published score file against the recomputed one: bytes first, then value by value.

    ``scores.xlsx`` is compared by its cells' values (its zip's bytes depend on the zlib
    that packed it). A first-wave manifest (``manifest_version`` 1) names files of the first
    wave's format: those are compared by value with the recomputed files, leaving out what
    the first wave did not write (the column ``missing``).
    """
    first_wave = manifest.get("manifest_version", FIRST_WAVE) <= FIRST_WAVE
    if first_wave:
        recomputed = _as_first_wave(recomputed)
    differences: list[ScoreDifference] = []
    unreproduced: list[str] = []
    listed = {str(record["path"]): str(record["sha256"]) for record in manifest.get("scores", [])}
    for path, recorded in listed.items():
        fresh = recomputed.get(path)
        if fresh is None:
            unreproduced.append(f"{path}: re-scoring no longer produces this file")
            continue
        try:
            published = (report_dir / path).read_bytes()
        except OSError:
            if sha256_bytes(fresh) != recorded and not first_wave:
                unreproduced.append(f"{path}: the recomputed file differs from the one the manifest records")
            continue  # the missing file itself is an OutputChange
        if published == fresh:
            continue
        found = list(_differences(path, published, fresh, first_wave))
        differences += found
        if not found and not first_wave and not path.endswith(".xlsx"):
            unreproduced.append(f"{path}: the recomputed bytes differ from the published file although every "
                                "value matches (number formatting or package versions?)")
    for path in sorted(set(recomputed) - set(listed)):
        if recomputed[path]:
            unreproduced.append(f"{path}: re-scoring produces this file, which the manifest does not list")
    return differences, unreproduced


def _as_first_wave(recomputed: Mapping[str, bytes]) -> dict[str, bytes]:
    """The recomputed score files under the first wave's names: the scorecards of every
    section together as ``scorecards.json`` (``{"pilots": [...], "standards": [...]}``)."""
    from evalkit.outputs import read_scorecards

    files = {path: data for path, data in recomputed.items() if PurePosixPath(path).name not in
             SCORECARD_SECTIONS.values()}
    document = {section: read_scorecards(recomputed[name]) for section, name in SCORECARD_SECTIONS.items()
                if name in recomputed}
    files[FIRST_WAVE_SCORECARDS] = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return files


def _differences(path: str, published: bytes, fresh: bytes, first_wave: bool = False) -> Iterator[ScoreDifference]:
    name = PurePosixPath(path).name
    try:
        if path.endswith(".csv"):
            yield from _csv_differences(name, published, fresh, first_wave)
        elif path.endswith(".jsonl"):
            yield from _json_differences(name, _cards(published), _cards(fresh))
        elif path.endswith(".json"):
            old, new = json.loads(published.decode("utf-8")), json.loads(fresh.decode("utf-8"))
            if first_wave:  # the first wave's header (campaign, schemes) is in the manifest now, and
                old = {section: old.get(section, []) for section in new}  # its sentences were worded otherwise
                old, new = _without_sentences(old), _without_sentences(new)
            yield from _json_differences(name, old, new)
        elif path.endswith(".xlsx"):
            yield from _xlsx_differences(name, published, fresh, first_wave)
    except (ValueError, KeyError, zipfile.BadZipFile, OSError) as exc:
        yield ScoreDifference("", "(whole file)", f"unreadable ({type(exc).__name__}: {exc})", "a valid file", name)


def _without_sentences(value: Any) -> Any:
    """Scorecards without their explanation sentences (words, not values: worded otherwise
    by the first wave)."""
    if isinstance(value, dict):
        return {key: _without_sentences(item) for key, item in value.items() if key != "explanation"}
    if isinstance(value, list):
        return [_without_sentences(item) for item in value]
    return value


def _cards(data: bytes) -> list[Any]:
    """The cards of a JSON Lines scorecards file."""
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def _without_new_columns(rows: list[list[str]]) -> list[list[str]]:
    """A table without the columns the first wave did not write (:data:`NEW_COLUMNS`)."""
    if not rows:
        return rows
    keep = [position for position, header in enumerate(rows[0]) if header not in NEW_COLUMNS]
    return [[row[position] for position in keep if position < len(row)] for row in rows]


def _table_differences(name: str, published: list[list[str]], fresh: list[list[str]],
                       prefix: str = "") -> Iterator[ScoreDifference]:
    """Cell by cell: rows matched by their first cell, columns by their header."""
    if not published or not fresh:
        if published != fresh:
            yield ScoreDifference("", f"{prefix}(table)", f"{len(published)} rows", f"{len(fresh)} rows", name)
        return
    old_header, new_header = published[0], fresh[0]
    old_rows = {row[0]: dict(zip(old_header, row)) for row in published[1:] if row}
    new_rows = {row[0]: dict(zip(new_header, row)) for row in fresh[1:] if row}
    for column in [c for c in old_header if c not in new_header]:
        yield ScoreDifference("", f"{prefix}{column}", "a column", "no such column", name)
    for column in [c for c in new_header if c not in old_header]:
        yield ScoreDifference("", f"{prefix}{column}", "no such column", "a column", name)
    if old_header != new_header and set(old_header) == set(new_header):
        yield ScoreDifference("", f"{prefix}(columns)", ",".join(old_header), ",".join(new_header), name)
    for key in list(new_rows) + [k for k in old_rows if k not in new_rows]:
        old, new = old_rows.get(key), new_rows.get(key)
        if old is None or new is None:
            yield ScoreDifference(key, f"{prefix}(row)", "absent" if old is None else "present",
                                  "absent" if new is None else "present", name)
            continue
        for column in new_header:
            if column in old and old[column] != new[column]:
                yield ScoreDifference(key, f"{prefix}{column}", old[column], new[column], name)
    if [r[0] for r in published[1:] if r] != [r[0] for r in fresh[1:] if r] and set(old_rows) == set(new_rows):
        yield ScoreDifference("", f"{prefix}(row order)", " ".join(old_rows), " ".join(new_rows), name)


def _csv_differences(name: str, published: bytes, fresh: bytes, first_wave: bool = False
                     ) -> Iterator[ScoreDifference]:
    def rows(data: bytes) -> list[list[str]]:
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))

    new = rows(fresh)
    yield from _table_differences(name, rows(published), _without_new_columns(new) if first_wave else new)


def _xlsx_differences(name: str, published: bytes, fresh: bytes, first_wave: bool = False
                      ) -> Iterator[ScoreDifference]:
    from openpyxl import load_workbook

    def sheets(data: bytes) -> dict[str, list[list[str]]]:
        book = load_workbook(io.BytesIO(data), read_only=True)
        try:
            return {sheet.title: [["" if v is None else str(v) for v in row]
                                  for row in sheet.iter_rows(values_only=True)]
                    for sheet in book.worksheets}
        finally:
            book.close()

    old, new = sheets(published), sheets(fresh)
    for title in list(new) + [t for t in old if t not in new]:
        if title not in old or title not in new:
            yield ScoreDifference("", f"{title}: (sheet)", "present" if title in old else "absent",
                                  "present" if title in new else "absent", name)
            continue
        fresh_rows = _without_new_columns(new[title]) if first_wave else new[title]
        yield from _table_differences(name, old[title], fresh_rows, prefix=f"{title}: ")


#: Keys that identify an item of a list of scorecards (cards, then nodes and vetoes).
_ROW_KEYS = ("pilot_id", "std_code")
_ITEM_KEYS = ("pilot_id", "std_code", "id")


def _json_differences(name: str, published: Any, fresh: Any, row: str = "",
                      where: str = "") -> Iterator[ScoreDifference]:
    """Every value that differs, located by card (row) and by node or veto id + field (column).

    Lists of cards are matched by ``pilot_id`` (``std_code``), lists of nodes and vetoes by
    ``id``; other lists (bands, dropped experts) are compared whole.
    """
    if isinstance(published, dict) and isinstance(fresh, dict):
        for key in [*fresh, *(k for k in published if k not in fresh)]:
            if key not in published or key not in fresh:
                yield ScoreDifference(row, _join(where, key), _text(published.get(key, "(absent)")),
                                      _text(fresh.get(key, "(absent)")), name)
            else:
                yield from _json_differences(name, published[key], fresh[key], row, _join(where, key))
    elif isinstance(published, list) and isinstance(fresh, list) and (_list_key(published) or _list_key(fresh)):
        key = _list_key(published) or _list_key(fresh)
        old = {str(item.get(key)): item for item in published if isinstance(item, dict)}
        new = {str(item.get(key)): item for item in fresh if isinstance(item, dict)}
        for item in [*new, *(k for k in old if k not in new)]:
            item_row, item_where = (item, "") if key in _ROW_KEYS else (row, item)
            if item not in old or item not in new:
                yield ScoreDifference(item_row, item_where or "(row)", "present" if item in old else "absent",
                                      "present" if item in new else "absent", name)
            else:
                yield from _json_differences(name, old[item], new[item], item_row, item_where)
        if list(old) != list(new) and set(old) == set(new):
            yield ScoreDifference(row, _join(where, "(order)"), " ".join(old), " ".join(new), name)
    elif _text(published) != _text(fresh):
        yield ScoreDifference(row, where, _text(published), _text(fresh), name)


def _list_key(items: list[Any]) -> str | None:
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    return next((key for key in _ITEM_KEYS if all(key in item for item in items)), None)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _text(value: Any) -> str:
    """A JSON value as text (for listing a difference)."""
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------------------------------
# summary


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _summary(status: int, manifest: Mapping[str, Any], manifest_bytes: bytes, own: Path | None,
             pilots: int | None, input_changes: list[InputChange], differences: list[ScoreDifference],
             changed_outputs: list[OutputChange], unreproduced: list[str], errors: list[str]) -> str:
    campaign = (manifest.get("campaign") or {}).get("id", "?")
    if status == INPUTS_CHANGED:
        missing = [c.name for c in input_changes if c.missing]
        changed = [c.name for c in input_changes if not c.missing] if own is None else []
        parts = []
        if changed:
            parts.append("changed: " + ", ".join(changed))
        if missing:
            parts.append("missing: " + ", ".join(missing))
        if not parts:
            parts.append(errors[0] if errors else "the inputs do not load")
        return f"INPUTS CHANGED: {campaign}: " + "; ".join(parts)
    if status == DIFFERENT:
        parts = []
        if differences:
            files = ", ".join(sorted({d.file for d in differences}))
            parts.append(f"{_count(len(differences), 'value')} {'differs' if len(differences) == 1 else 'differ'} "
                         f"({files})")
        if changed_outputs:
            shown = ", ".join(c.path for c in changed_outputs[:5]) + (", …" if len(changed_outputs) > 5 else "")
            parts.append(f"{_count(len(changed_outputs), 'output file')} changed since the run ({shown})")
        if unreproduced:
            parts.append(f"{_count(len(unreproduced), 'score file')} not reproduced")
        if errors:
            parts.append(errors[0])
        return f"NOT REPRODUCED: {campaign}: " + "; ".join(parts)
    reports = sum(1 for entry in manifest.get("reports", []) for _ in _entry_files(entry))
    scores = len(manifest.get("scores", []))
    source = f" from the inputs in {own}" if own is not None else ""
    copied = [c for c in input_changes if not c.missing]
    verb = "differs" if len(copied) == 1 else "differ"
    differing = f" ({len(copied)} of them {verb} in bytes but give the same scores)" if copied else ""
    return (f"reproduced: {campaign}, {pilots} pilots{source}; {len(manifest['inputs'])} inputs{differing}, "
            f"{scores} score files and {reports} report files match {MANIFEST} "
            f"(sha256 {sha256_bytes(manifest_bytes)[:16]})")
