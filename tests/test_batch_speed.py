"""The local worker pool: warm workers recycled and bounded, failures isolated per report.

The pool is driven with small module-level render functions (spawned workers import this
module to run them) instead of real reports, so that crashes, hangs and recycling can be
provoked. No timing thresholds: only what happened to which job.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from evalkit.batch import LocalExecutor
from evalkit.batch.jobs import RENDERED, Job, JobResult


def _jobs(tmp_path: Path, count: int) -> list[Job]:
    return [Job(kind="pilot", path=f"pilots/P{index}.html", parameters={"pilot_id": f"P{index}"},
                reports_dir=tmp_path, notebook=None, key=str(index)) for index in range(count)]


def whose(job: Job) -> JobResult:
    """Renders nothing; tells which process took the job."""
    return JobResult(job, RENDERED, 0.0, None, warnings=(str(os.getpid()),))


def crash_on_p1(job: Job) -> JobResult:
    if job.parameters["pilot_id"] == "P1":
        os.kill(os.getpid(), signal.SIGKILL)  # as a segfault in native code would
    return whose(job)


def hang_on_p1(job: Job) -> JobResult:
    if job.parameters["pilot_id"] == "P1":
        time.sleep(600)
    return whose(job)


def _run(executor: LocalExecutor, render, jobs: list[Job]) -> dict[str, JobResult]:
    return {result.job.parameters["pilot_id"]: result for result in executor.map(render, jobs)}


def test_every_job_gets_exactly_one_result_from_warm_workers(tmp_path):
    results = _run(LocalExecutor(2), whose, _jobs(tmp_path, 7))
    assert sorted(results) == [f"P{index}" for index in range(7)]
    assert all(result.status == RENDERED for result in results.values())
    pids = {result.warnings[0] for result in results.values()}
    assert 1 <= len(pids) <= 2 and str(os.getpid()) not in pids  # worker processes, kept between jobs


def test_workers_are_replaced_after_max_reports(tmp_path):
    results = _run(LocalExecutor(1, max_reports=2), whose, _jobs(tmp_path, 5))
    pids = [results[f"P{index}"].warnings[0] for index in range(5)]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]


def test_workers_are_replaced_when_they_outgrow_max_rss(tmp_path):
    results = _run(LocalExecutor(1, max_rss=1), whose, _jobs(tmp_path, 3))
    assert len({result.warnings[0] for result in results.values()}) == 3


def test_a_worker_that_dies_fails_its_report_only(tmp_path):
    results = _run(LocalExecutor(2), crash_on_p1, _jobs(tmp_path, 5))
    assert results["P1"].status == "failed"
    assert results["P1"].error.startswith("WorkerLost: the worker process rendering pilots/P1.html died")
    assert "signal 9" in results["P1"].error
    assert all(results[f"P{index}"].status == RENDERED for index in (0, 2, 3, 4))


def test_a_report_that_hangs_is_failed_and_its_worker_killed(tmp_path):
    results = _run(LocalExecutor(1, timeout=2), hang_on_p1, _jobs(tmp_path, 3))
    assert results["P1"].status == "failed" and "took more than 2 s" in results["P1"].error
    assert results["P0"].status == results["P2"].status == RENDERED
    assert results["P0"].warnings != results["P2"].warnings  # a new worker took over


def test_workers_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        LocalExecutor(0)


class DiesOnArrival:
    """A render function whose unpickling kills the worker before it is ready."""

    def __reduce__(self):
        return os._exit, (3,)

    def __call__(self, job: Job) -> JobResult:  # never reached
        return whose(job)


def test_workers_that_cannot_start_fail_the_jobs_instead_of_looping(tmp_path):
    results = _run(LocalExecutor(2), DiesOnArrival(), _jobs(tmp_path, 4))
    assert sorted(results) == ["P0", "P1", "P2", "P3"]
    assert {result.error.splitlines()[0] for result in results.values()} == \
        {"WorkerLost: worker processes keep dying while starting"}
