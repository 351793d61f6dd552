"""evalkit.forked.call_all, and the steps of ``evalkit score`` that use it: the same results
forked as one after the other, failures raised as they would be without forking."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from evalkit import forked, outputs
from evalkit.tables import conversion as tables
from evalkit.campaign import DEFAULT_CAMPAIGN
from evalkit.load import load_campaign
from evalkit.errors import DataError, Problem
from evalkit.forked import call_all, can_fork
from evalkit.outputs import write_scores
from evalkit.scoring import score, score_campaign
from tests.tiny import TINY, copy_tiny, edit

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """call_all forks in every test here, even after other tests left idle threads behind
    (Dask's IO loop): whether it would fork is :func:`can_fork`'s test below."""
    monkeypatch.setattr(forked, "can_fork", lambda: True)


@pytest.fixture
def serial(monkeypatch: pytest.MonkeyPatch) -> None:
    """call_all without forking, as on a platform that cannot."""
    monkeypatch.setattr(forked, "can_fork", lambda: False)


def test_evalkit_score_forks_because_evalkit_starts_no_thread(tmp_path: Path) -> None:
    script = ("import threading\n"
              "from evalkit.cli import main\n"
              "from evalkit.forked import can_fork\n"
              "assert can_fork(), 'no fork in a fresh process'\n"
              f"assert main(['score', {str(TINY / 'campaign.yaml')!r}, '--out', {str(tmp_path)!r}]) == 0\n"
              "print(can_fork(), threading.active_count())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.splitlines()[-1] == "True 1"


def test_no_fork_where_another_thread_runs() -> None:
    assert forked.can_fork is not can_fork  # (the fixture's stand-in)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
    finally:
        stop.set()
        thread.join()


def test_results_come_back_in_order_the_first_computed_here_the_others_in_children() -> None:
    parent = os.getpid()
    results = call_all([os.getpid, os.getpid, lambda: "三"])
    assert results[0] == parent and results[1] != parent and results[2] == "三"


def test_without_fork_everything_runs_here(serial: None) -> None:
    assert call_all([os.getpid, os.getpid]) == [os.getpid()] * 2


def test_a_function_whose_child_cannot_be_started_is_called_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_memory(self: object) -> None:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", no_memory)
    assert call_all([os.getpid, os.getpid, lambda: "三"]) == [os.getpid(), os.getpid(), "三"]


def fail(error: BaseException):
    def function() -> None:
        raise error
    return function


def test_the_childs_exception_is_raised_here_with_its_traceback_as_a_note() -> None:
    with pytest.raises(ValueError, match="bad standard") as raised:
        call_all([lambda: 1, fail(ValueError("bad standard"))])
    assert "in a forked child process" in raised.value.__notes__[0]
    assert "raise error" in raised.value.__notes__[0]


def test_the_first_failure_in_order_wins_as_it_would_one_after_the_other() -> None:
    with pytest.raises(KeyError):
        call_all([fail(KeyError("pilots")), fail(ValueError("standards"))])
    with pytest.raises(ValueError):
        call_all([lambda: 1, fail(ValueError("second")), fail(KeyError("third"))])


def test_a_data_error_keeps_its_problems_across_the_fork() -> None:
    problem = Problem("schemes/standard.yaml", 12, "S1", "metric 'standard.x' is missing for 3 standards")
    with pytest.raises(DataError) as raised:
        call_all([lambda: 1, fail(DataError([problem]))])
    assert raised.value.problems == [problem]


def test_a_child_that_dies_is_a_child_process_error_naming_its_exit_code() -> None:
    with pytest.raises(ChildProcessError, match="without a result .exit code 3"):
        call_all([lambda: 1, lambda: os._exit(3)])
    with pytest.raises(ChildProcessError, match=f"exit code -{int(signal.SIGKILL)}"):
        call_all([lambda: 1, lambda: os.kill(os.getpid(), signal.SIGKILL)])


def test_a_result_that_does_not_pickle_is_a_child_process_error() -> None:
    with pytest.raises(ChildProcessError, match="could not be sent back"):
        call_all([lambda: 1, lambda: (lambda: "a function does not pickle")])


def test_a_child_whose_parent_is_gone_ends_quietly() -> None:
    # a parent killed (SIGKILL) while its child works: the child's result has nowhere to go
    receiver, sender = multiprocessing.Pipe(duplex=False)
    receiver.close()
    previous = signal.getsignal(signal.SIGINT)
    try:
        forked._send_outcome(lambda: "三" * 100_000, sender)  # raises nothing
    finally:
        signal.signal(signal.SIGINT, previous)  # (the child's own handler, set on this process here)


def test_an_interrupted_parent_kills_its_child() -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        call_all([interrupted, lambda: time.sleep(60)])
    assert time.perf_counter() - started < 30 and not multiprocessing.active_children()


# --- the steps of `evalkit score` -------------------------------------------------------------

def test_tables_read_in_two_processes_equal_those_read_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    locations = {name: ROOT / "data" / "demo" / f"{name}.csv"
                 for name in ("pilots", "standards", "surveys", "inspections", "kpis", "experts")}
    assert all(path.is_file() for path in locations.values())
    alone = tables.read_tables(locations)  # the demo is under PARALLEL_READ_MIN_BYTES
    monkeypatch.setattr(tables, "PARALLEL_READ_MIN_BYTES", 0)
    spy = []
    monkeypatch.setattr(tables, "call_all", lambda functions: spy.append(len(functions)) or call_all(functions))
    shared = tables.read_tables(locations)
    assert spy == [2] and list(shared) == list(locations)
    for name, table in alone.items():
        pd.testing.assert_frame_equal(shared[name].frame, table.frame)
        assert (shared[name].problems, shared[name].extra_columns) == (table.problems, table.extra_columns)
        assert shared[name].categorical.keys() == table.categorical.keys()


def test_sheets_of_a_workbook_and_a_missing_file_read_in_two_processes_as_in_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = tmp_path / "台账.xlsx"
    with pd.ExcelWriter(book) as writer:
        for sheet, name in (("试点", "pilots"), ("标准", "standards")):
            pd.read_csv(ROOT / "data" / "demo" / f"{name}.csv", dtype=str).to_excel(writer, sheet_name=sheet,
                                                                                  index=False)
    locations = {"pilots": f"{book}#试点", "standards": f"{book}#标准", "kpis": tmp_path / "缺失.csv"}
    alone = tables.read_tables(locations)
    monkeypatch.setattr(tables, "PARALLEL_READ_MIN_BYTES", 0)
    shared = tables.read_tables(locations)
    assert list(shared) == list(locations) and [p.message for p in shared["kpis"].problems] == [
        p.message for p in alone["kpis"].problems] != []
    for name in ("pilots", "standards"):
        pd.testing.assert_frame_equal(shared[name].frame, alone[name].frame)
        assert shared[name].problems == alone[name].problems == []


def test_problems_found_in_the_child_are_reported_as_without_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    campaign_file = copy_tiny(tmp_path)
    edit(campaign_file.parent / "inspections.csv", "I1,DB31/T 1000-2016,张三,conform,", "I1,DB31/T 1000-2016,张三,maybe,")
    with pytest.raises(DataError) as alone:
        load_campaign(campaign_file)
    monkeypatch.setattr(tables, "PARALLEL_READ_MIN_BYTES", 0)
    with pytest.raises(DataError) as shared:
        load_campaign(campaign_file)
    assert shared.value.problems == alone.value.problems and "maybe" in str(shared.value)


@pytest.fixture(scope="module")
def demo():
    return load_campaign(ROOT / DEFAULT_CAMPAIGN)


def test_pilots_and_standards_scored_side_by_side_equal_score(demo) -> None:
    pilots, standards = score_campaign(demo)
    pd.testing.assert_frame_equal(pilots.table, score(demo).table)
    alone = score(demo, "standard")
    pd.testing.assert_frame_equal(standards.table, alone.table)
    assert standards.cards() == alone.cards()


def test_without_a_standard_scheme_only_the_pilots_are_scored() -> None:
    campaign = load_campaign(TINY / "campaign.yaml")
    pilots, standards = score_campaign(campaign)
    assert standards is None and pilots.cards() == score(campaign).cards()


def test_score_files_written_side_by_side_are_the_bytes_written_one_after_the_other(
        demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pilots, standards = score_campaign(demo)
    shared = write_scores(pilots, tmp_path / "shared", standards)
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    alone = write_scores(pilots, tmp_path / "alone", standards)
    assert [path.name for path in shared] == [path.name for path in alone] == [
        "scores.csv", "scores.xlsx", "scorecards.json", "standards_scores.csv"]
    for one, other in zip(shared, alone):
        assert one.read_bytes() == other.read_bytes(), one.name


def test_a_failure_in_the_writing_child_replaces_nothing(demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    pilots, standards = score_campaign(demo)
    out = tmp_path / "out"
    write_scores(pilots, out, standards)
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "write_scorecards", full_disk)  # written by the forked child
    with pytest.raises(OSError, match="No space left"):
        write_scores(pilots, out, standards)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before  # no temporaries either


def test_ctrl_c_interrupts_the_parent_which_ends_the_child() -> None:
    def press_ctrl_c() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(60)  # interrupted by the signal

    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        call_all([press_ctrl_c, lambda: time.sleep(60)])
    assert time.perf_counter() - started < 30 and not multiprocessing.active_children()
