"""Executors: how :func:`evalkit.batch.jobs.render` is mapped over the jobs of a run.

An executor is anything with ``map(render, jobs)`` yielding one
:class:`~evalkit.batch.jobs.JobResult` per job as each finishes (in any order).
``render`` and the jobs are picklable, so an executor may run them in other processes
or on other machines. An executor must not raise for a job that fails: when a worker
dies, the job it was rendering becomes a failed result and the others carry on.

* :class:`LocalExecutor` — local worker processes, each executing notebooks in-process
  (:mod:`evalkit.batch.kernel`), recycled after a number of reports or when they grow too
  big, so memory stays bounded however many reports a run has;
* :class:`DaskExecutor` — the workers of a Dask distributed cluster;
* :class:`SerialExecutor` — this process, one report after another (for debugging).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Protocol

import psutil

from evalkit.batch.jobs import Job, JobResult, failure, produce, render as render_job, write
from evalkit.errors import UsageError

Render = Callable[[Job], JobResult]

#: Memory one worker needs: its process with pandas, SciPy, matplotlib, nbconvert and one
#: report's objects (300–450 MB measured, 2,000-pilot campaigns included), with a margin.
WORKER_MEMORY = 600 * 2**20
#: A worker is replaced after this many reports …
MAX_REPORTS_PER_WORKER = 200
#: … or as soon as its resident memory exceeds this.
MAX_WORKER_RSS = 1536 * 2**20
#: Seconds one report may take before its worker is killed and the report failed.
JOB_TIMEOUT = 900


class Executor(Protocol):
    """Maps ``render`` over ``jobs``, yielding results as they complete."""

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]: ...


class WorkerLost(RuntimeError):
    """The worker process rendering a report died or was killed (the report fails, the run goes on)."""


def default_workers() -> int:
    """One worker per CPU core this process may use, but at most one per 600 MB of free memory."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    by_memory = psutil.virtual_memory().available // WORKER_MEMORY
    return max(1, min(cores, by_memory))


class SerialExecutor:
    """Renders the jobs one after another in this process (debugging: breakpoints work).

    The notebooks run in this process's in-process kernel, which becomes the process's
    IPython shell; in a process that already runs IPython (e.g. Jupyter) the jobs go to
    one worker process instead.
    """

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]:
        from evalkit.batch.kernel import can_run_here

        if not can_run_here():  # e.g. called from Jupyter: the notebooks need a process of their own
            yield from LocalExecutor(1).map(render, jobs)
            return
        for job in jobs:
            yield render(job)


# --------------------------------------------------------------------------- local worker processes


def _serve(connection: Connection, render: Render) -> None:
    """A worker process: warm up, then render each job received until told to stop (None)."""
    os.environ.setdefault("MPLBACKEND", "agg")
    if render is render_job:
        with contextlib.suppress(Exception):  # a broken import fails the first job instead, with its message
            from evalkit.batch.kernel import warm_up

            warm_up()
    connection.send(_READY)
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        connection.send(render(job))


_READY = "ready"


@contextlib.contextmanager
def _main_script_unless_runnable() -> Iterator[None]:
    """Hide the main module's ``__file__`` from a starting worker when it names no file.

    A spawned process first re-runs the parent's main script from its path. A script read
    from standard input (``python - <<EOF``) has the path ``<stdin>``, which a worker cannot
    run, so every worker would die while starting; workers need nothing from the main
    script (they render with evalkit's own functions), so it is left out.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or getattr(main, "__spec__", None) is not None or Path(path).is_file():
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


#: Workers that die (or hang) while starting before the pool gives up on the remaining jobs.
MAX_START_FAILURES = 3


class _Worker:
    """One worker process, whether it has warmed up, and the job it is rendering."""

    def __init__(self, context: Any, render: Render):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, render), daemon=True,
                                       name="evalkit-worker")
        with _main_script_unless_runnable():
            self.process.start()
        child.close()
        self.ready = False
        self.job: Job | None = None
        self.started = time.perf_counter()  # of its start-up, then of its current job
        self.done = 0

    def assign(self, job: Job) -> None:
        self.job, self.started = job, time.perf_counter()
        self.connection.send(job)

    def rss(self) -> int:
        try:
            return psutil.Process(self.process.pid).memory_info().rss
        except psutil.Error:
            return 0

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.connection.send(None)
        self.process.join(timeout=None if kill else 10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


class LocalExecutor:
    """Renders the jobs in ``workers`` local worker processes.

    Each worker imports the report machinery once and executes notebook after notebook
    in-process (:mod:`evalkit.batch.kernel`), one at a time. Workers are *spawned*, not
    forked, so they start clean; as with any spawning code, a script that calls
    :func:`evalkit.batch.run_reports` must do so under ``if __name__ == "__main__":``.

    Memory stays bounded: a worker is replaced by a fresh one after ``max_reports``
    reports or as soon as its resident memory exceeds ``max_rss`` bytes. A worker that
    dies (e.g. a crash in native code) or exceeds ``timeout`` seconds on one report is
    replaced; that report fails with :class:`WorkerLost`, the others are unaffected.
    """

    def __init__(self, workers: int, *, max_reports: int = MAX_REPORTS_PER_WORKER, max_rss: int = MAX_WORKER_RSS,
                 timeout: float = JOB_TIMEOUT):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers, self.max_reports, self.max_rss, self.timeout = workers, max_reports, max_rss, timeout

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]:
        context = multiprocessing.get_context("spawn")
        pending = deque(jobs)
        pool: list[_Worker] = [_Worker(context, render) for _ in range(min(self.workers, len(pending)))]
        start_failures = 0
        try:
            while pool:
                for worker in pool:
                    if worker.ready and worker.job is None and pending:
                        worker.assign(pending.popleft())
                watched = [worker for worker in pool if not worker.ready or worker.job is not None]
                deadline = min(worker.started for worker in watched) + self.timeout
                ready = set(wait([w.connection for w in watched] + [w.process.sentinel for w in watched],
                                 timeout=max(0.0, deadline - time.perf_counter())))
                replaced: list[_Worker | None] = []
                for worker in pool:
                    if not worker.ready:
                        if self._started(worker, ready):
                            replaced.append(worker)
                            continue
                        if time.perf_counter() - worker.started <= self.timeout and worker.process.is_alive():
                            replaced.append(worker)
                            continue
                        worker.stop(kill=True)  # died or hung while starting
                        start_failures += 1
                        if start_failures >= MAX_START_FAILURES:
                            while pending:
                                job = pending.popleft()
                                yield failure(job, WorkerLost("worker processes keep dying while starting"), 0.0)
                        replaced.append(_Worker(context, render) if pending else None)
                        continue
                    if worker.job is None:
                        replaced.append(worker)
                        continue
                    result, lost = self._collect(worker, ready)
                    if result is None:
                        replaced.append(worker)
                        continue
                    worker.job = None
                    worker.done += 1
                    if lost or worker.done >= self.max_reports or worker.rss() > self.max_rss:
                        worker.stop(kill=lost)
                        worker = _Worker(context, render) if pending else None
                    replaced.append(worker)
                    yield result
                pool = []
                for worker in replaced:  # idle workers with nothing left to do stop now, freeing their memory
                    if worker is not None and (pending or worker.job is not None):
                        pool.append(worker)
                    elif worker is not None:
                        worker.stop()
        finally:
            for worker in pool:
                worker.stop(kill=worker.job is not None or not worker.ready)

    @staticmethod
    def _started(worker: _Worker, ready: set[Any]) -> bool:
        """Whether the worker just said it is ready (warmed up)."""
        if worker.connection not in ready:
            return False
        try:
            if worker.connection.poll() and worker.connection.recv() == _READY:
                worker.ready = True
        except (EOFError, OSError):
            return False
        return worker.ready

    def _collect(self, worker: _Worker, ready: set[Any]) -> tuple[JobResult | None, bool]:
        """The worker's result if it has one (lost: False), a failure if it died or timed out (lost: True)."""
        job = worker.job
        assert job is not None
        seconds = time.perf_counter() - worker.started
        if worker.connection in ready or worker.process.sentinel in ready:
            try:
                if worker.connection.poll():
                    return worker.connection.recv(), False
            except (EOFError, OSError):
                pass
            worker.process.join(timeout=5)
            code = worker.process.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            return failure(job, WorkerLost(f"the worker process rendering {job.path} died ({how})"), seconds), True
        if seconds > self.timeout:
            return failure(job, WorkerLost(f"{job.path} took more than {self.timeout:g} s; its worker was killed"),
                           seconds), True
        return None, False


# --------------------------------------------------------------------------- Dask


class DaskExecutor:
    """Renders the jobs on the workers of a Dask distributed cluster.

    Parameters
    ----------
    client : distributed.Client
        Connected to the cluster's scheduler (``Client("tcp://host:8786")``).

    With the standard :func:`~evalkit.batch.jobs.render`, workers only *produce* the
    reports (:func:`~evalkit.batch.jobs.produce`: the page and the executed notebook, in
    memory) and this process writes them (:func:`~evalkit.batch.jobs.write`): the report
    directory need only be writable here, shared storage or not, and a report is written
    exactly as a local run writes it. Workers must see the campaign's input files and the
    report notebooks at the same absolute paths as this process (a shared file system or
    identical checkouts) and run the same evalkit and package versions.

    Each worker process executes one notebook at a time (the in-process kernel is per
    process): start workers with ``--nthreads 1`` and as many ``--nworkers`` as cores.
    A worker that dies fails the report it was rendering (Dask's ``KilledWorker``), never
    the run.
    """

    def __init__(self, client: Any):
        self.client = client

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]:
        from distributed import as_completed

        remote: Callable[[Job], Any] = produce if render is render_job else render
        run = uuid.uuid4().hex[:12]
        keys = [f"evalkit-{run}-{index}" for index in range(len(jobs))]
        futures = self.client.map(remote, list(jobs), key=keys, pure=False, retries=0)
        by_key = dict(zip(keys, jobs, strict=True))
        started = time.perf_counter()
        try:
            for future in as_completed(futures, loop=self.client.loop):
                job = by_key[future.key]
                if future.status != "finished":
                    yield failure(job, future.exception() or WorkerLost(future.status), time.perf_counter() - started)
                else:
                    outcome = future.result()
                    yield write(outcome) if remote is produce else outcome
                future.release()
        finally:
            self.client.cancel([future for future in futures if not future.done()])


def connect(address: str, *, timeout: float = 5) -> Any:
    """A Dask :class:`distributed.Client` connected to the scheduler at ``address``.

    Raises
    ------
    UsageError
        The scheduler cannot be reached (a clear message, no traceback; exit 2 on the
        command line).
    """
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot connect to the Dask scheduler at {address}: {exc}") from None
