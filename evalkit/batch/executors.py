"""Executors: how :func:`evalkit.batch.jobs.render` is mapped over the jobs of a run.

An executor is anything with ``map(render, jobs)`` yielding one
:class:`~evalkit.batch.jobs.JobResult` per job as each finishes (in any order).
``render`` and the jobs are picklable, so an executor may run them in other processes
or on other machines. An executor must not raise for a job that fails: when the process
rendering a page dies, the page becomes a failed result and the others carry on.

* :class:`LocalExecutor` — every page in a process of its own on this machine, forked
  from a warm parent (:mod:`evalkit.batch.processes`);
* :class:`DaskExecutor` — the workers of a Dask distributed cluster, each with a warm
  parent holding the scored campaign once;
* :class:`SerialExecutor` — this process, one report after another (for debugging).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import psutil

from evalkit import scored as scored_campaigns
from evalkit.batch.jobs import Job, JobResult, failed_produced, failure, produce, write
from evalkit.batch.jobs import render as render_job
from evalkit.batch.processes import PAGE_TIMEOUT, WarmParent, render_pages, start_method
from evalkit.errors import UsageError
from evalkit.load import load_campaign

Render = Callable[[Job], JobResult]

#: Memory one page process may come to need on top of what it shares with its parent
#: (measured 100–250 MB for the demo's pages and those of a 2,000-pilot campaign), with a margin.
PAGE_MEMORY = 400 * 2**20


class Executor(Protocol):
    """Maps ``render`` over ``jobs``, yielding results as they complete."""

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]: ...


def default_workers() -> int:
    """One page process per CPU core this process may use, but at most one per 400 MB of free memory."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    by_memory = psutil.virtual_memory().available // PAGE_MEMORY
    return max(1, min(cores, by_memory))


def _on_loss(render: Callable[[Job], Any]) -> Callable[[Job, BaseException, float], Any]:
    """What stands for the result of ``render`` when the process running it was lost."""
    return failed_produced if render is produce else failure


class SerialExecutor:
    """Renders the jobs one after another in this process (debugging: breakpoints work).

    No isolation: every notebook gets a kernel of its own, but modules are this
    process's. In a process that hosts an IPython shell (Jupyter), whose kernel a page
    cannot share, the jobs go to :class:`LocalExecutor` instead.
    """

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]:
        from IPython.core.interactiveshell import InteractiveShell

        if InteractiveShell.initialized():
            yield from LocalExecutor(1).map(render, jobs)
            return
        for job in jobs:
            yield render(job)


class LocalExecutor:
    """Renders every job in a process of its own, at most ``workers`` at once.

    The processes are forked from a warm parent — this process, or one started for the run
    when this one may not fork — that imported the report machinery and holds the scored
    campaign (:mod:`evalkit.batch.processes`); where nothing forks they are spawned.
    Memory stays bounded whatever the number of pages: a page process ends with its page.
    A page process that dies (a crash in native code, ``os._exit`` in a notebook) or exceeds
    ``timeout`` seconds fails its page only.
    """

    def __init__(self, workers: int, *, timeout: float = PAGE_TIMEOUT):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers, self.timeout = workers, timeout

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]:
        yield from render_pages(render, _on_loss(render), jobs, self.workers, self.timeout)


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

    Each worker process keeps one warm parent (:class:`~evalkit.batch.processes.WarmParent`)
    that scores the campaign once and forks a process for every page the worker is given:
    the scores are held once per worker, and pages are isolated as in a local run. A worker
    renders one page at a time (start workers with ``--nthreads 1`` and as many
    ``--nworkers`` as cores). A page whose process dies fails alone; a worker that dies
    fails the page it was rendering (Dask's ``KilledWorker``), never the run.
    """

    def __init__(self, client: Any):
        self.client = client

    def map(self, render: Render, jobs: Sequence[Job]) -> Iterator[JobResult]:
        from distributed import as_completed

        remote: Callable[[Job], Any] = produce if render is render_job else render
        state = scored_campaigns.held_state()
        key = state[1] if state is not None else None
        run = uuid.uuid4().hex[:12]
        keys = [f"evalkit-{run}-{index}" for index in range(len(jobs))]
        futures = self.client.map(on_dask_worker, list(jobs), function=remote, inputs=key, key=keys, pure=False,
                                  retries=0)
        by_key = dict(zip(keys, jobs, strict=True))
        started = time.perf_counter()
        try:
            for future in as_completed(futures, loop=self.client.loop):
                job = by_key[future.key]
                if future.status != "finished":
                    yield failure(job, future.exception() or RuntimeError(future.status), time.perf_counter() - started)
                else:
                    outcome = future.result()
                    yield write(outcome) if remote is produce else outcome
                future.release()
        finally:
            self.client.cancel([future for future in futures if not future.done()])


_worker_parent: WarmParent | None = None
_worker_parent_for: tuple[str, str | None] | None = None
_worker_lock = threading.Lock()


def on_dask_worker(job: Job, function: Callable[[Job], Any], inputs: str | None) -> Any:
    """A Dask task: ``function(job)`` in a process forked from this worker's warm parent.

    The warm parent is started on the worker's first page of a campaign and kept for the
    next ones; it loads and scores the campaign (whose inputs must have the sha256 key
    ``inputs``) once. A campaign or inputs other than its own start a new one. Where nothing
    forks (Windows) the worker itself holds the scored campaign and renders the page.
    """
    global _worker_parent, _worker_parent_for
    wanted = (str(job.parameters["campaign"]), inputs)
    if start_method() != "fork":  # (Windows) no warm parent to fork from: the worker renders the page itself
        with _worker_lock:
            if scored_campaigns.held(wanted[0], inputs) is None:
                scored = scored_campaigns.ScoredCampaign.of(load_campaign(wanted[0]))
                scored_campaigns.hold(scored.for_pages(scored_campaigns.PAGE_KINDS), inputs)
            return function(job)
    with _worker_lock:  # one page at a time per worker process
        if _worker_parent is None or _worker_parent_for != wanted or not _worker_parent.alive():
            if _worker_parent is not None:
                _worker_parent.close()
                _worker_parent = None
            try:
                _worker_parent = WarmParent(campaign=wanted[0], key=inputs)
            except Exception as exc:  # the page fails with the reason
                return _on_loss(function)(job, exc, 0.0)
            _worker_parent_for = wanted
        [result] = _worker_parent.render(function, _on_loss(function), [job])
        return result


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
