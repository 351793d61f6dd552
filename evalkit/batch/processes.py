"""Every report page in a process of its own: isolation by the operating system.

A page is rendered in a fresh process that ends with it, so nothing a notebook does to its
process — matplotlib's ``rcParams``, pandas options, warnings filters, the working
directory, the random generators, a crash in native code, ``os._exit`` — reaches another
page; nothing needs putting back. What would make a fresh process slow — importing pandas,
matplotlib, nbconvert and the kernel, scoring the campaign — is done once, in a *warm
parent* every page process is forked from (:func:`warm_up`, :func:`evalkit.scored.hold`):
a forked child starts with its parent's memory, so a page costs only its own work.

Where the pages' processes come from (:func:`render_pages`):

* **fork, from this process** — where the operating system forks (Linux, macOS) and this
  process is safe to fork (:func:`can_fork_here`: no other thread, no IPython shell, not
  daemonic): ``evalkit run``, scripts;
* **fork, from a warm parent process** (:class:`WarmParent`) — where this process must not
  fork (a Jupyter kernel, a Dask worker, any process running threads): a new interpreter
  imports the report stack, is handed the scored campaign once (or, on a Dask worker,
  scores it once itself), and forks the page processes;
* **spawn** — where there is no fork (Windows), or ``EVALKIT_START_METHOD=spawn``: every
  page in a new interpreter that imports what it needs and is handed the scored campaign.
  Slower (each page pays the imports), with the same pages.

At most ``workers`` page processes run at once; a page process that dies or outlives
``timeout`` fails its page only (``on_loss``), the others go on.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from evalkit import scored as scored_campaigns
from evalkit.batch.jobs import Job
from evalkit.errors import UsageError
from evalkit.load import load_campaign

#: What a page process runs: a job in, its result out (:func:`evalkit.batch.jobs.render` or ``produce``).
PageFunction = Callable[[Job], Any]
#: What stands for the result of a page whose process was lost: (job, what happened, seconds) -> result.
OnLoss = Callable[[Job, BaseException, float], Any]

#: Environment variable choosing how page processes start: ``fork`` or ``spawn``.
START_METHOD_VARIABLE = "EVALKIT_START_METHOD"
#: Seconds one page may take before its process is killed and the page failed.
PAGE_TIMEOUT = 900.0
#: Seed of the global random generators (:mod:`random`, ``numpy.random``) when a page process
#: starts: a notebook drawing random numbers without seeding them draws the same in every
#: page process, alone or in a batch, forked or spawned.
PAGE_SEED = 0
#: Templates of evalkit's report folder that nbconvert renders, not evalkit's Jinja2 environment.
NBCONVERT_TEMPLATES = frozenset({"notebook.html.j2"})
#: Optional modules nothing in a page uses that would take seconds to import: rfc3987-syntax
#: (installed with JupyterLab, through jsonschema[format-nongpl]) builds 25 Earley parsers as
#: it is imported — 1.9 s of the 6.6 s of re-rendering one pilot's page on the 2-core machine —
#: so that jsonschema can check the "iri" formats, which the notebook schema nbformat
#: validates against does not use. jsonschema treats a checker that cannot be imported as
#: absent, as when the package is not installed.
UNUSED_SLOW_IMPORTS = ("rfc3987_syntax",)


class PageProcessLost(RuntimeError):
    """The process rendering a page died, was killed, or took too long (the page fails, the run goes on)."""


def start_method() -> str:
    """``fork`` where the operating system can fork, else ``spawn``; ``EVALKIT_START_METHOD`` overrides.

    Raises
    ------
    UsageError
        ``EVALKIT_START_METHOD`` names another method, or one this system lacks.
    """
    available = multiprocessing.get_all_start_methods()
    configured = os.environ.get(START_METHOD_VARIABLE)
    if configured:
        if configured not in ("fork", "spawn") or configured not in available:
            raise UsageError(f"{START_METHOD_VARIABLE}={configured}: page processes start by "
                             f"{' or '.join(m for m in ('fork', 'spawn') if m in available)} here")
        return configured
    return "fork" if "fork" in available else "spawn"


def can_fork_here() -> bool:
    """Whether this process may be the warm parent of page processes forked from it.

    Not when another thread runs (a lock it holds at the fork would stay held in the child
    for ever), when an IPython shell lives here (a Jupyter kernel: the page's kernel needs a
    process of its own), or when the process is daemonic (it may have no children).
    """
    from IPython.core.interactiveshell import InteractiveShell  # (IPython is imported by the kernel anyway)

    return (threading.active_count() == 1 and not InteractiveShell.initialized()
            and not multiprocessing.current_process().daemon)


def warm_up() -> None:
    """Import and prepare, once, what every page needs, so that a forked page process does not.

    papermill (and through its entry point evalkit's engine, ipykernel with its debugger
    and IPython), the
    report modules with pandas, SciPy, matplotlib and Jinja2, nbconvert's exporter with its
    template, evalkit's compiled templates, matplotlib's fonts (a chart drawn with Chinese
    text), and the provenance facts every page prints. None of it changes what a page shows:
    a page rendered by plain papermill in a fresh kernel is the same bytes.
    """
    import nbformat
    import papermill  # noqa: F401 - loads the evalkit engine (papermill.engine entry point)

    importlib.import_module("ipykernel.debugger")  # what every kernel imports as it starts (after the engine, which quiets it)

    from evalkit.report import charts, export, html, pages, provenance  # noqa: F401

    export.notebook_to_html(nbformat.v4.new_notebook())
    for template in html.environment().list_templates(filter_func=lambda name: name not in NBCONVERT_TEMPLATES):
        html.environment().get_template(template)
    charts.bar_chart(["标准"], [1.0], xlabel="试点数")
    provenance.code_fingerprint()
    provenance.package_versions()
    provenance.git_revision()


def render_pages(function: PageFunction, on_loss: OnLoss, jobs: Sequence[Job], workers: int,
                 timeout: float = PAGE_TIMEOUT) -> Iterator[Any]:
    """``function(job)`` of every job, each in a process of its own, at most ``workers`` at once.

    The scored campaign this process holds (:func:`evalkit.scored.hold`) is the one the
    pages are rendered from. Results are yielded as the pages finish, in any order; a page
    whose process is lost yields ``on_loss(job, PageProcessLost(...), seconds)``.
    """
    if not jobs:
        return
    method = start_method()
    if method == "fork" and can_fork_here():
        warm_up()
        yield from page_processes(multiprocessing.get_context("fork"), function, on_loss, jobs, workers, timeout)
    elif method == "fork":
        with WarmParent(scored_campaigns.held_state(), workers=workers, timeout=timeout) as parent:
            yield from parent.render(function, on_loss, jobs)
    else:
        yield from page_processes(multiprocessing.get_context("spawn"), function, on_loss, jobs, workers, timeout,
                                  held=scored_campaigns.held_state())


def skip_unused_slow_imports() -> None:
    """Make importing :data:`UNUSED_SLOW_IMPORTS` fail in this process (``sys.modules[name] =
    None``: Python's way of blocking an import), unless one is imported already.

    Called in the processes evalkit owns — the ``evalkit run`` command, warm parent and page
    processes — never on ``import evalkit`` in somebody else's kernel or script.
    """
    for name in UNUSED_SLOW_IMPORTS:
        sys.modules.setdefault(name, None)


# --------------------------------------------------------------------------- page processes


def _page_main(function: PageFunction, job: Job, sender: Connection,
               held: tuple[scored_campaigns.ScoredCampaign, str] | None) -> None:
    """A page process: render ``job`` and send the result. Ctrl-C is for the parent, which ends it."""
    skip_unused_slow_imports()  # (a spawned process has imported nothing yet)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _caller is not None:  # forked by a warm parent: its caller's connection is not this process's
        _caller.close()
    if held is not None:  # (spawned: handed the scored campaign)
        scored_campaigns.hold(*held)
    random.seed(PAGE_SEED)  # (Python re-seeds a forked child from the system; numpy's it would inherit)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(PAGE_SEED)
    result = function(job)
    with contextlib.suppress(OSError):  # the parent is gone (killed): nobody to tell
        sender.send(result)
    sender.close()


class _Page:
    """A page process, the pipe its result comes through, and when it started."""

    def __init__(self, context: Any, function: PageFunction, job: Job, held: Any):
        self.job = job
        self.receiver, sender = context.Pipe(duplex=False)
        for stream in (sys.stdout, sys.stderr):  # a forked child must not write the parent's buffered text again
            with contextlib.suppress(Exception):
                stream.flush()
        self.process = context.Process(target=_page_main, args=(function, job, sender, held), daemon=True,
                                       name=f"evalkit-page {job.path}")
        with _main_script_unless_runnable():
            self.process.start()
        sender.close()
        self.started = time.perf_counter()

    def outcome(self, ready: set[Any], timeout: float, on_loss: OnLoss) -> Any | None:
        """The page's result, or ``on_loss`` when its process ended without one or ran out of
        time; None while it is still rendering."""
        seconds = time.perf_counter() - self.started
        if self.receiver in ready:
            try:
                result = self.receiver.recv()
            except (EOFError, OSError):
                pass
            else:
                self.end()
                return result
        if self.receiver in ready or self.process.sentinel in ready:
            self.process.join(timeout=5)
            code = self.process.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            self.end(kill=True)
            return on_loss(self.job, PageProcessLost(f"the process rendering {self.job.path} died ({how})"), seconds)
        if seconds > timeout:
            self.end(kill=True)
            return on_loss(self.job, PageProcessLost(f"{self.job.path} took more than {timeout:g} s; its process "
                                                     f"was killed"), seconds)
        return None

    def end(self, *, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.receiver.close()


def page_processes(context: Any, function: PageFunction, on_loss: OnLoss, jobs: Iterable[Job], workers: int,
                   timeout: float = PAGE_TIMEOUT, held: Any = None) -> Iterator[Any]:
    """``function(job)`` of every job in a process of its own started by ``context`` (fork or
    spawn), at most ``workers`` at once; results as they come (see :func:`render_pages`).

    ``held`` — a scored campaign and its key — is handed to each spawned process; forked
    ones inherit what this process holds.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    pending = deque(jobs)
    running: list[_Page] = []
    try:
        while pending or running:
            while pending and len(running) < workers:
                running.append(_Page(context, function, pending.popleft(), held))
            deadline = min(page.started for page in running) + timeout
            ready = set(wait([page.receiver for page in running] + [page.process.sentinel for page in running],
                             timeout=max(0.0, deadline - time.perf_counter())))
            still = []
            for page in running:
                outcome = page.outcome(ready, timeout, on_loss)
                if outcome is None:
                    still.append(page)
                else:
                    yield outcome
            running = still
    finally:
        for page in running:  # interrupted (Ctrl-C, the consumer stopped): no page process is left behind
            page.end(kill=True)


@contextlib.contextmanager
def _main_script_unless_runnable() -> Iterator[None]:
    """Hide the main module's ``__file__`` from a spawned process when it names no file.

    A spawned process first re-runs the parent's main script from its path. A script read
    from standard input (``python - <<EOF``) has the path ``<stdin>``, which a new process
    cannot run; page processes need nothing from the main script, so it is left out.
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


# --------------------------------------------------------------------------- the warm parent process


class WarmParent:
    """A new process that imports the report stack, holds one scored campaign, and renders the
    pages it is given, each in a process forked from it.

    For callers that must not fork themselves (:func:`can_fork_here`): a Jupyter kernel,
    a Dask worker, a process running threads. The scored campaign is handed over once
    (``held``), or, given only its file and key (``campaign``, ``key``), loaded and scored
    once by the new process itself. It is started with :mod:`subprocess`, so even a daemonic
    process (a Dask worker) may have one.

    Raises
    ------
    PageProcessLost
        The process could not load, score or warm up (with its error).
    """

    def __init__(self, held: tuple[scored_campaigns.ScoredCampaign, str] | None = None, *,
                 campaign: str | None = None, key: str | None = None, workers: int = 1,
                 timeout: float = PAGE_TIMEOUT):
        ours, theirs = multiprocessing.Pipe()
        self.connection = ours
        source = Path(__file__).resolve().parents[2]  # the folder holding evalkit: import this evalkit there
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(source), *filter(None, [os.environ.get("PYTHONPATH")])])}
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from evalkit.batch.processes import serve; serve({theirs.fileno()})"],
            pass_fds=(theirs.fileno(),), env=environment, stdin=subprocess.DEVNULL)
        theirs.close()
        try:
            self.connection.send(list(sys.path))  # first, so that what follows unpickles as here
            self.connection.send((held, campaign, key, workers, timeout))
            ready = self._receive()
        except (EOFError, OSError) as exc:
            self.close()
            raise PageProcessLost(f"the warm parent process ended while starting ({exc!r})") from None
        if ready is not True:
            self.close()
            raise PageProcessLost(f"the warm parent process could not start: {ready}")

    def __enter__(self) -> WarmParent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def render(self, function: PageFunction, on_loss: OnLoss, jobs: Sequence[Job]) -> Iterator[Any]:
        """:func:`render_pages` of ``jobs`` in processes forked from the warm parent."""
        remaining = {job.path: job for job in jobs}
        started = time.perf_counter()
        try:
            self.connection.send((function, on_loss, list(jobs)))
            while (result := self._receive()) is not None:  # until the end of this batch
                remaining.pop(result.job.path, None)
                yield result
        except (EOFError, OSError):
            pass
        for job in remaining.values():
            yield on_loss(job, PageProcessLost("the warm parent process of the page processes died"),
                          time.perf_counter() - started)

    def _receive(self) -> Any:
        """The warm parent's next message; EOFError once it has died (even while a page
        process it forked still runs)."""
        while not self.connection.poll(WATCH_INTERVAL):
            if self.process.poll() is not None:
                raise EOFError("the warm parent process died")
        return self.connection.recv()

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """Stop the warm parent (killing any page process still running) and wait for it."""
        with contextlib.suppress(OSError):
            self.connection.send(None)
        self.connection.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


#: Seconds between two looks at whether a warm parent process is still alive.
WATCH_INTERVAL = 1.0
#: In a warm parent process: its connection to the process that started it (not for its page processes).
_caller: Connection | None = None


def serve(fd: int) -> None:
    """The warm parent process (:class:`WarmParent`): warm up, hold the campaign, render what is asked."""
    global _caller
    skip_unused_slow_imports()
    connection = _caller = Connection(fd)
    try:
        sys.path[:] = connection.recv()
        held, campaign, key, workers, timeout = connection.recv()
        if held is None and campaign is not None:
            loaded = scored_campaigns.ScoredCampaign.of(load_campaign(campaign))
            if key is not None and scored_campaigns.inputs_key(loaded.campaign) != key:
                raise PageProcessLost(f"the input files of {campaign} changed during the run")
            held = (loaded.for_pages(scored_campaigns.PAGE_KINDS), key)
        if held is not None:
            scored_campaigns.hold(*held)
        warm_up()
    except (EOFError, OSError):
        return
    except Exception as exc:  # told to the caller, whose pages fail with it
        with contextlib.suppress(OSError):
            connection.send(f"{type(exc).__name__}: {exc}")
        return
    connection.send(True)
    context = multiprocessing.get_context("fork")
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        function, on_loss, jobs = request
        try:
            for result in page_processes(context, function, on_loss, jobs, workers, timeout):
                connection.send(result)
            connection.send(None)
        except (BrokenPipeError, ConnectionResetError):
            return  # the caller is gone; page_processes has ended the page processes

