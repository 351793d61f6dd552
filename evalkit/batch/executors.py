"""Executors: how :func:`evalkit.batch.jobs.render` is mapped over the jobs of a run.

An executor is anything with ``map(render, jobs)`` yielding one
:class:`~evalkit.batch.jobs.JobResult` per job as each finishes (in any order).
``render`` and the jobs are picklable, so an executor may run them in other processes
or on other machines — a Dask executor only needs to submit ``render`` for each job and
yield the results as they complete. An executor must not raise for a job that fails:
when a worker dies, the jobs it took become failed results.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Protocol

import psutil

from evalkit.batch.jobs import Job, JobResult, failure
from evalkit.batch.kernel import close_kernel

Render = Callable[[Job], JobResult]

#: Memory one worker needs at most: its own process plus the kernel running the notebook.
WORKER_MEMORY = 600 * 2**20


class Executor(Protocol):
    """Maps ``render`` over ``jobs``, yielding results as they complete."""

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]: ...


def default_workers() -> int:
    """One worker per CPU core this process may use, but at most one per 600 MB of free memory.

    Each worker runs its own Python kernel, so memory, not only cores, bounds how many
    reports can be rendered at once.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    by_memory = psutil.virtual_memory().available // WORKER_MEMORY
    return max(1, min(cores, by_memory))


class SerialExecutor:
    """Renders the jobs one after another in this process (``--jobs 1``; easiest to debug)."""

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]:
        try:
            for job in jobs:
                yield render(job)
        finally:
            close_kernel()


class LocalExecutor:
    """Renders the jobs in ``workers`` local processes.

    Workers are *spawned*, not forked, so they start clean (no copied threads or locks);
    as with any spawning code, a script that calls :func:`evalkit.batch.run_reports` must
    do so under ``if __name__ == "__main__":``.
    """

    def __init__(self, workers: int):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)) or 1, mp_context=context) as pool:
            started = time.perf_counter()
            futures = {pool.submit(render, job): job for job in jobs}
            try:
                for future in as_completed(futures):
                    exc = future.exception()
                    yield failure(futures[future], exc, time.perf_counter() - started) if exc else future.result()
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
