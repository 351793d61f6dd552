"""Faults while rendering: a page process killed, a notebook that ends its process, the whole
run killed, a full disk, a read-only output directory.

After each: no truncated or corrupt file (every page is the previous good one or a complete
new one), the manifest names what failed, and a re-run completes the rest. A notebook that
raises for one pilot is covered by ``tests/test_batch.py`` (failure isolation, the previous
page kept, a retry).

The faults are planted in copies of the report notebooks (:func:`fault_notebooks`): a cell
after the parameters that, for one pilot and only while a flag file exists, waits to be
killed or ends its process — so removing the flag lets the *same* notebooks (same report
keys) complete the re-run.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import psutil
import pytest

from evalkit.batch import SerialExecutor, run_reports
from evalkit.cli import main
from evalkit.load import load_campaign
from tests.reports_tree import copy_rendered, leftovers, snapshot
from tests.tiny import edit

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
PAGES = ("index.html", "pilots/P1.html", "pilots/P2.html", "pilots/P3.html")


def fault_notebooks(folder: Path, cells: dict[str, str]) -> Path:
    """Copies of the report notebooks with ``cells[kind]`` inserted after the parameters cell."""
    folder.mkdir()
    for source in NOTEBOOKS.glob("*_report.ipynb"):
        notebook = nbformat.read(source, as_version=4)
        kind = source.name.removesuffix("_report.ipynb")
        if kind in cells:
            cell = nbformat.v4.new_code_cell(cells[kind])
            cell["id"] = "planted-fault"
            position = next(i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", []))
            notebook.cells.insert(position + 1, cell)
        nbformat.write(notebook, folder / source.name)
    return folder


def manifest_entries(reports: Path) -> dict[str, dict]:
    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    return {entry["path"]: entry for entry in manifest["reports"]}


def assert_pages_whole(reports: Path, before: dict[str, str] | None = None) -> None:
    """Every page is complete HTML; with ``before``, each is either unchanged or a whole new page."""
    for page in reports.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>"), page
    for audit in reports.rglob("*.ipynb"):
        nbformat.validate(nbformat.read(audit, as_version=4))
    assert leftovers(reports) == [], "no temporary or partial files"


def descendants() -> list[psutil.Process]:
    """Child processes of this one, but multiprocessing's resource tracker (it lives as long as we do)."""
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if not any("resource_tracker" in part for part in process.cmdline()):
                found.append(process)
        except psutil.Error:
            pass
    return found


def assert_no_processes_left(timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while (alive := [p for p in descendants() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive, f"processes left behind: {[(p.pid, p.name()) for p in alive]}"


# --------------------------------------------------------------------------- a page process killed, a notebook ending it


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A forced re-render of a good run's index and pilots (two at a time) during which the process
    rendering P2 is SIGKILLed from outside, and P3's notebook ends its own process (``os._exit(1)``)."""
    base = tmp_path_factory.mktemp("killed")
    campaign_file = copy_rendered(tmp_path_factory, base / "tiny")
    flag, pidfile = base / "faults-on", base / "p2.pid"
    flag.touch()
    notebooks = fault_notebooks(base / "notebooks", {"pilot": (
        "import os, pathlib, time\n"
        f"if pathlib.Path({str(flag)!r}).exists():\n"
        "    if pilot_id == 'P2':\n"
        f"        pathlib.Path({str(pidfile)!r}).write_text(str(os.getpid()))\n"
        "        time.sleep(120)  # until killed\n"
        "    if pilot_id == 'P3':\n"
        "        os._exit(1)  # the process executing the notebook dies\n")})
    campaign = load_campaign(campaign_file)
    before = snapshot(campaign.reports_dir)
    killed_pids: list[int] = []

    def kill_the_process_of_p2() -> None:
        deadline = time.monotonic() + 120
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        process = psutil.Process(int(pidfile.read_text()))  # the page process: it runs the notebook
        killed_pids.append(process.pid)
        process.send_signal(signal.SIGKILL)

    watcher = threading.Thread(target=kill_the_process_of_p2, daemon=True)
    watcher.start()  # (a thread runs here now: the pages are forked by a warm parent process)
    summary = run_reports(campaign, jobs=2, force=True, only=["P1", "P2", "P3"], progress=False,
                          notebooks_dir=notebooks)
    watcher.join(timeout=5)
    after_kill = snapshot(campaign.reports_dir), manifest_entries(campaign.reports_dir)
    assert_no_processes_left()
    flag.unlink()
    rerun = run_reports(campaign, jobs=1, progress=False, notebooks_dir=notebooks)
    return campaign, before, summary, after_kill, rerun, killed_pids


def test_a_killed_page_process_and_a_notebook_ending_its_process_fail_only_their_reports(killed):
    campaign, before, summary, (after, entries), _, killed_pids = killed
    assert killed_pids, "the process rendering P2 was killed"
    assert summary.exit_code == 1
    failed = {path.relative_to(campaign.reports_dir).as_posix(): error for path, error in summary.failed}
    assert set(failed) == {"pilots/P2.html", "pilots/P3.html"}
    # (--force with --only re-renders the pages named; the index and quality pages are up to date)
    assert {p.relative_to(campaign.reports_dir).as_posix() for p in summary.rendered} == {"pilots/P1.html"}
    for page in ("pilots/P2.html", "pilots/P3.html"):
        assert entries[page]["status"] == "failed" and entries[page]["error"], entries[page]
        assert after[page] == before[page], f"{page}: the previous good page is kept"
        assert entries[page]["sha256"] == before[page]


def test_after_the_kill_every_file_is_whole_and_nothing_is_left_running(killed):
    campaign, *_ = killed
    assert_pages_whole(campaign.reports_dir)
    assert_no_processes_left(timeout=1)


def test_a_rerun_completes_exactly_the_failed_reports(killed):
    campaign, before, _, _, rerun, _ = killed
    assert rerun.exit_code == 0 and rerun.failed == ()
    assert sorted(p.relative_to(campaign.reports_dir).as_posix() for p in rerun.rendered) == \
        ["pilots/P2.html", "pilots/P3.html"]
    entries = manifest_entries(campaign.reports_dir)
    assert {e["status"] for e in entries.values()} <= {"rendered", "skipped"}
    assert_pages_whole(campaign.reports_dir)


def test_one_job_at_a_time_survives_a_notebook_that_ends_its_process(tmp_path_factory, tmp_path):
    """``jobs=1`` renders every page in a process of its own too: a notebook that ends its
    process (``os._exit``) fails its own report; the other reports and the manifest are written."""
    campaign = load_campaign(copy_rendered(tmp_path_factory, tmp_path / "tiny"))
    notebooks = fault_notebooks(tmp_path / "notebooks", {"pilot": "import os\nif pilot_id == 'P2':\n    os._exit(1)\n"})
    summary = run_reports(campaign, jobs=1, force=True, only=["P1", "P2", "P3"], progress=False,
                          notebooks_dir=notebooks)
    assert summary.exit_code == 1
    assert [path.name for path, _ in summary.failed] == ["P2.html"]
    assert sorted(path.name for path in summary.rendered) == ["P1.html", "P3.html"]
    entries = manifest_entries(campaign.reports_dir)
    assert entries["pilots/P2.html"]["status"] == "failed" and entries["pilots/P2.html"]["error"]
    assert {entries[f"pilots/{pilot}.html"]["status"] for pilot in ("P1", "P3")} == {"rendered"}
    assert_pages_whole(campaign.reports_dir)


# --------------------------------------------------------------------------- the whole run killed


def test_the_whole_run_killed_mid_batch_then_rerun(tmp_path_factory, tmp_path):
    """``evalkit run`` SIGKILLed once its first new page is on disk: every page is the old one
    or a whole new one, stray temporary files go with the re-run, which completes everything."""
    campaign_file = copy_rendered(tmp_path_factory, tmp_path / "tiny")
    reports = campaign_file.parent / "reports"
    edit(campaign_file.parent / "kpis.csv", "P3,投诉率,final,0.02", "P3,投诉率,final,0.01")  # every page out of date
    before = snapshot(reports)
    run = subprocess.Popen([sys.executable, "-m", "evalkit.cli", "run", str(campaign_file), "--jobs", "2"],
                           cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:
            pages = {p.relative_to(reports).as_posix() for p in reports.rglob("*.html")}
            if any(snapshot_changed(reports, page, before) for page in pages if page.startswith(("pilots/", "districts/"))):
                break
            time.sleep(0.05)
        pages = [p.pid for p in psutil.Process(run.pid).children(recursive=True)]
        run.send_signal(signal.SIGKILL)  # the main process only, as the OOM killer would
        run.wait(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == -signal.SIGKILL, "killed mid-batch, not finished"
    deadline = time.monotonic() + 30  # its page processes finish or drop their report and exit
    while [pid for pid in pages if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"] \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in pages if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    after = snapshot(reports)
    assert before.keys() <= after.keys()
    for page in after:
        if page.endswith(".html"):
            text = (reports / page).read_text(encoding="utf-8")
            assert after[page] == before.get(page) or text.rstrip().endswith("</html>"), page
    # a kill during a write leaves its temporary file behind; the re-run clears such strays
    (reports / "pilots" / f".P1.html.{dead_pid()}.k1ll3d_x.tmp").write_text("<!DOCTYPE html><html><bo", encoding="utf-8")
    code = main(["run", str(campaign_file), "--jobs", "1"])
    assert code == 0
    assert_pages_whole(reports)
    entries = manifest_entries(reports)
    assert {e["status"] for e in entries.values()} <= {"rendered", "skipped"} and len(entries) == 7
    scores = pd.read_csv(reports / "scores.csv", dtype={"pilot_id": str}).set_index("pilot_id")
    assert scores.loc["P3", "B3"] == 15, "the scores are those of the changed input"


def snapshot_changed(reports: Path, page: str, before: dict[str, str]) -> bool:
    import hashlib

    try:
        return hashlib.sha256((reports / page).read_bytes()).hexdigest() != before.get(page)
    except FileNotFoundError:
        return False


def dead_pid() -> int:
    """The pid of a process that has ended (what a killed writer's temporary file names)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --------------------------------------------------------------------------- a full disk, a read-only directory


def _full_disk_for(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Writing any of the files ``names`` fails as on a full disk (ENOSPC when its temporary is created)."""
    create = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        prefix = kwargs.get("prefix") or ""
        for name in names:
            if prefix.startswith(f".{name}."):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(kwargs.get("dir") or ".") / name))
        return create(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


@pytest.fixture()
def good_copy(tmp_path_factory, tmp_path):
    return copy_rendered(tmp_path_factory, tmp_path / "tiny")


def test_a_full_disk_fails_the_report_being_written_and_keeps_the_previous_one(good_copy, monkeypatch):
    campaign = load_campaign(good_copy)
    before = snapshot(campaign.reports_dir)
    with monkeypatch.context() as patch:
        _full_disk_for(patch, "P2.html")
        # rendered in this process, where the patched tempfile is (not in a warm parent process)
        summary = run_reports(campaign, executor=SerialExecutor(), force=True, only=["P2"], progress=False)
    assert summary.exit_code == 1
    [(path, error)] = summary.failed
    assert path.name == "P2.html" and "No space left on device" in error
    entry = manifest_entries(campaign.reports_dir)["pilots/P2.html"]
    assert entry["status"] == "failed" and "No space left on device" in entry["error"]
    after = snapshot(campaign.reports_dir)
    assert after["pilots/P2.html"] == before["pilots/P2.html"] == entry["sha256"]
    assert after["pilots/P2.ipynb"] == before["pilots/P2.ipynb"], "the audit notebook goes with its page"
    assert_pages_whole(campaign.reports_dir)
    rerun = run_reports(campaign, jobs=1, progress=False)
    assert rerun.exit_code == 0 and [p.name for p in rerun.rendered] == ["P2.html"]


def test_a_full_disk_while_writing_the_scores_changes_no_file(good_copy, monkeypatch, capsys):
    """scores.csv, scores.xlsx and scorecards.jsonl are replaced all together or not at all."""
    edit(good_copy.parent / "kpis.csv", "P3,投诉率,final,0.02", "P3,投诉率,final,0.01")  # new scores
    reports = good_copy.parent / "reports"
    before = snapshot(reports)
    for argv in (["run", str(good_copy), "--jobs", "1"], ["score", str(good_copy)]):
        with monkeypatch.context() as patch:
            _full_disk_for(patch, "scorecards.jsonl")
            code = main(argv)
        err = capsys.readouterr().err
        assert code == 1, err
        assert "No space left on device" in err and "scorecards.jsonl" in err and "Traceback" not in err
        assert snapshot(reports) == before, f"evalkit {argv[0]}: every file as it was"


def test_a_full_disk_for_the_manifest_leaves_whole_pages_and_the_rerun_repairs_it(good_copy, monkeypatch, capsys):
    edit(good_copy.parent / "kpis.csv", "P3,投诉率,final,0.02", "P3,投诉率,final,0.01")
    reports = good_copy.parent / "reports"
    old_manifest = (reports / "manifest.json").read_bytes()
    with monkeypatch.context() as patch:
        _full_disk_for(patch, "manifest.json")
        code = main(["run", str(good_copy), "--jobs", "1", "--only", "P3"])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert (reports / "manifest.json").read_bytes() == old_manifest
    assert_pages_whole(reports)
    assert main(["run", str(good_copy), "--jobs", "1"]) == 0
    entries = manifest_entries(reports)
    assert {e["status"] for e in entries.values()} <= {"rendered", "skipped"}
    for path, entry in entries.items():
        assert entry["sha256"] == snapshot(reports)[path], f"the manifest describes {path} as it is"


def _in_private_mount_namespace() -> bool:
    try:
        probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt && umount /mnt"],
                               capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


@pytest.mark.skipif(not _in_private_mount_namespace(), reason="needs unshare -m and mount (root)")
def test_a_read_only_report_directory_is_one_line_and_exit_1(good_copy, tmp_path):
    """A real read-only bind mount (in a private mount namespace, so nothing leaks to the host)."""
    reports = good_copy.parent / "reports"
    edit(good_copy.parent / "kpis.csv", "P3,投诉率,final,0.02", "P3,投诉率,final,0.01")
    before = snapshot(reports)
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    for command in ("score", "run"):
        result = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(reports),
                                 sys.executable, "-m", "evalkit.cli", command, str(good_copy), "--jobs", "1"][
                                    : None if command == "run" else -2],
                                capture_output=True, text=True, cwd=tmp_path, timeout=300)
        assert result.returncode == 1, result.stderr
        assert "Read-only file system" in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert snapshot(reports) == before
