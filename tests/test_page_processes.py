"""Page processes: every page in a process of its own, at most ``workers`` at once, a lost
process failing its page only — forked from this process, from a warm parent process, or
spawned where nothing forks.

Driven with small module-level page functions (a warm parent or a spawned process imports
this module to run them) instead of real reports, so that crashes, hangs and deaths can be
provoked. No timing thresholds: only what happened to which job, in which process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evalkit.batch import LocalExecutor, processes
from evalkit.batch.jobs import RENDERED, Job, JobResult, failure

FORKED_HERE = "forked from this process"
#: Set to FORKED_HERE in the fresh process of test_forking_from_a_process_that_runs_no_thread.
WAY_VARIABLE = "EVALKIT_TEST_PAGE_PROCESS_WAY"
#: The suite's process may run threads left by other tests, and then it forks through a warm
#: parent: the ways tested here are the other two, and the first is tested in a fresh process.
WAYS = [os.environ[WAY_VARIABLE]] if os.environ.get(WAY_VARIABLE) else ["forked from a warm parent process", "spawned"]
#: The tests that take each way (the `way` fixture).
WAY_TESTS = ["test_every_job_gets_one_result_from_a_process_of_its_own", "test_a_page_process_that_dies_fails_its_page_only"]


@pytest.fixture(params=WAYS)
def way(request, monkeypatch):
    """Each way page processes start."""
    if request.param == FORKED_HERE:
        assert processes.can_fork_here(), "a fresh process runs no thread and may fork"
    if request.param == "forked from a warm parent process":
        monkeypatch.setattr(processes, "can_fork_here", lambda: False)
    if request.param == "spawned":
        monkeypatch.setenv(processes.START_METHOD_VARIABLE, "spawn")
    return request.param


def _jobs(tmp_path: Path, count: int) -> list[Job]:
    return [Job(kind="pilot", path=f"pilots/P{index}.html", parameters={"pilot_id": f"P{index}"},
                reports_dir=tmp_path, notebook=None, key=str(index)) for index in range(count)]


def whose(job: Job) -> JobResult:
    """Renders nothing; tells which process took the job, and when it started and ended."""
    started = time.monotonic()
    time.sleep(0.2)
    return JobResult(job, RENDERED, 0.0, None, warnings=(str(os.getpid()), str(os.getppid()), repr(started),
                                                          repr(time.monotonic())))


def crash_on_p1(job: Job) -> JobResult:
    if job.parameters["pilot_id"] == "P1":
        os.kill(os.getpid(), signal.SIGKILL)  # as a segfault in native code would
    return whose(job)


def exit_on_p1(job: Job) -> JobResult:
    if job.parameters["pilot_id"] == "P1":
        os._exit(1)  # as a notebook ending its process would
    return whose(job)


def hang_on_p1(job: Job) -> JobResult:
    if job.parameters["pilot_id"] == "P1":
        time.sleep(600)
    return whose(job)


def kill_the_parent_on_p1(job: Job) -> JobResult:
    if job.parameters["pilot_id"] == "P1":
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(5)  # (then it ends as an orphan: nobody is left to hear from it)
    return whose(job)


def _run(render, jobs: list[Job], workers: int = 2, timeout: float = processes.PAGE_TIMEOUT) -> dict[str, JobResult]:
    results = list(processes.render_pages(render, failure, jobs, workers, timeout))
    assert len(results) == len(jobs), "exactly one result per job"
    return {result.job.parameters["pilot_id"]: result for result in results}


def test_every_job_gets_one_result_from_a_process_of_its_own(tmp_path, way):
    results = _run(whose, _jobs(tmp_path, 5))
    assert sorted(results) == [f"P{index}" for index in range(5)]
    assert all(result.status == RENDERED for result in results.values())
    pids = [result.warnings[0] for result in results.values()]
    assert len(set(pids)) == 5 and str(os.getpid()) not in pids
    parents = {result.warnings[1] for result in results.values()}
    if way != "spawned":
        assert len(parents) == 1, "one warm parent forked them all"
        assert (parents == {str(os.getpid())}) == (way == FORKED_HERE)


def test_forking_from_a_process_that_runs_no_thread():
    """The way tests above, forking page processes from the test process itself: in a fresh
    pytest process, which runs no thread (the suite's may run threads left by other tests)."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
                           "-k", " or ".join(WAY_TESTS)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, WAY_VARIABLE: FORKED_HERE}, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout and "skipped" not in done.stdout, done.stdout


def test_at_most_workers_pages_run_at_once(tmp_path):
    results = _run(whose, _jobs(tmp_path, 6), workers=2)
    spans = sorted((float(r.warnings[2]), float(r.warnings[3])) for r in results.values())
    most = max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)
    assert most <= 2


@pytest.mark.parametrize(("render", "how"), [(crash_on_p1, "killed by signal 9"), (exit_on_p1, "exit code 1")])
def test_a_page_process_that_dies_fails_its_page_only(tmp_path, way, render, how):
    results = _run(render, _jobs(tmp_path, 4))
    assert results["P1"].status == "failed"
    assert results["P1"].error.startswith(f"PageProcessLost: the process rendering pilots/P1.html died ({how})")
    assert all(results[f"P{index}"].status == RENDERED for index in (0, 2, 3))


def test_a_page_that_hangs_is_failed_and_its_process_killed(tmp_path):
    results = _run(hang_on_p1, _jobs(tmp_path, 3), workers=1, timeout=5)
    assert results["P1"].status == "failed" and "took more than 5 s" in results["P1"].error
    assert results["P0"].status == results["P2"].status == RENDERED


def test_when_the_warm_parent_process_dies_its_pages_fail_and_the_call_returns(tmp_path, monkeypatch):
    monkeypatch.setattr(processes, "can_fork_here", lambda: False)
    results = _run(kill_the_parent_on_p1, _jobs(tmp_path, 4), workers=1)
    assert results["P0"].status == RENDERED
    assert {results[p].status for p in ("P1", "P2", "P3")} == {"failed"}
    assert "warm parent process" in results["P2"].error


class DiesOnArrival:
    """A page function whose unpickling ends the (spawned) process before it renders."""

    def __reduce__(self):
        return os._exit, (3,)

    def __call__(self, job: Job) -> JobResult:  # never reached
        return whose(job)


def test_a_spawned_process_that_cannot_start_fails_its_page_and_the_run_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv(processes.START_METHOD_VARIABLE, "spawn")
    results = _run(DiesOnArrival(), _jobs(tmp_path, 3))
    assert {result.error.splitlines()[0] for result in results.values()} == {
        f"PageProcessLost: the process rendering pilots/P{index}.html died (exit code 3)" for index in range(3)}


def test_workers_must_be_positive_and_the_start_method_known(monkeypatch):
    with pytest.raises(ValueError, match="at least 1"):
        LocalExecutor(0)
    monkeypatch.setenv(processes.START_METHOD_VARIABLE, "thread")
    with pytest.raises(processes.UsageError, match="EVALKIT_START_METHOD=thread"):
        processes.start_method()
