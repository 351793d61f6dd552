"""Executing report notebooks inside the worker process: an in-process kernel.

Starting a Jupyter kernel and importing pandas, SciPy and matplotlib into it costs seconds,
and every cell of a notebook run in a separate kernel is a round trip over ZeroMQ. A report
notebook is thin (one line per section, all the work is evalkit code), so a worker instead
executes the cells itself, in an IPython shell living in the worker process (the idea of
ploomber-engine): modules are imported once per worker, a report costs only its own work.

What a notebook sees is what it sees in a kernel: IPython syntax and magics, the value of
a cell's last expression as an ``execute_result`` (with its rich representations, e.g.
``text/html``), ``display()`` as ``display_data``, ``print`` and warnings as ``stdout`` and
``stderr`` streams, an exception as an ``error`` output that stops the notebook, pyplot
figures as PNG images at the end of their cell.

Isolation, report from report:

* every notebook runs in a fresh namespace (the shell is reset before and after, as
  ``%reset -f`` would; execution counts restart at 1);
* module-level state — matplotlib ``rcParams``, pandas options, numpy error and print
  settings, warnings filters, the working directory, ``sys.path``, environment variables,
  the root logger — is put back to the worker's baseline before every notebook and the
  global random generators are re-seeded (:mod:`evalkit.batch.isolation`);
* one notebook at a time per process (a lock), so threads (e.g. a Dask worker's) never
  share the shell.

The shell becomes the process's IPython instance, so it belongs in a process of its own:
evalkit's worker processes, or a Dask worker. :func:`can_run_here` tells whether this
process may host it (not when it already runs another IPython, e.g. inside Jupyter).

:func:`execute` is papermill's own flow: papermill reads the notebook and injects the
parameters, the :class:`~evalkit.batch.engine.InProcessEngine` engine (a papermill engine,
registered as ``evalkit``) executes it with papermill's execution metadata, and papermill
raises :class:`~papermill.exceptions.PapermillExecutionError` for a failed cell. The
notebooks themselves are ordinary: ``papermill notebooks/pilot_report.ipynb out.ipynb -p
pilot_id X`` runs them in a normal kernel.
"""

from __future__ import annotations

import base64
import builtins
import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from evalkit.batch.isolation import ProcessState

KERNEL_NAME = "python3"
_lock = threading.RLock()


class _Stream(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` while a cell runs: text becomes a stream output."""

    def __init__(self, shell: InProcessShell, name: str):
        self.shell, self.name = shell, name

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if text:
            self.shell.stream(self.name, str(text))
        return len(text)


class _DisplayHook(DisplayHook):
    """The value of a cell's last expression -> an ``execute_result`` output."""

    def start_displayhook(self) -> None:
        pass

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict: dict[str, Any], md_dict: dict[str, Any] | None = None) -> None:
        self.shell.collect(nbformat.v4.new_output("execute_result", data=format_dict, metadata=md_dict or {},
                                                  execution_count=self.shell.cell_count))

    def log_output(self, format_dict: dict[str, Any]) -> None:
        pass  # IPython would keep every result in its history: a worker renders thousands

    def finish_displayhook(self) -> None:
        pass

    def flush(self) -> None:
        """Forget the output cache (``_1``, ``Out``…) as IPython does, without its full ``gc.collect()``.

        A full collection after every report would cost a worker more than a tenth of a
        second each time; the garbage collector runs on its own anyway.
        """
        for count in range(1, self.prompt_count + 1):
            self.shell.user_ns_hidden.pop(f"_{count}", None)
            self.shell.user_ns.pop(f"_{count}", None)
        cache = self.shell.user_ns.get("_oh")
        if cache is not None:
            cache.clear()
        self._, self.__, self.___ = "", "", ""
        if "_" not in builtins.__dict__:
            self.shell.user_ns.update({"_": self._, "__": self.__, "___": self.___})


class _DisplayPublisher(DisplayPublisher):
    """``display()`` -> a ``display_data`` output (``update=True`` replaces the one with the same id)."""

    def publish(self, data: dict[str, Any], metadata: dict[str, Any] | None = None, *args: Any,
                transient: dict[str, Any] | None = None, update: bool = False, **kwargs: Any) -> None:
        display_id = (transient or {}).get("display_id")
        if update and display_id is not None:
            for output in self.shell.displays.get(display_id, []):
                output["data"], output["metadata"] = data, metadata or {}
            return
        output = nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})
        if display_id is not None:
            self.shell.displays.setdefault(display_id, []).append(output)
        self.shell.collect(output)

    def clear_output(self, wait: bool = False) -> None:
        self.shell.outputs.clear()


class InProcessShell(InteractiveShell):
    """An IPython shell that collects each cell's outputs as notebook outputs."""

    displayhook_class = _DisplayHook
    display_pub_class = _DisplayPublisher

    def __init__(self, **kwargs: Any):
        self.outputs: list[Any] = []
        self.cell_count = 0
        self.displays: dict[str, list[Any]] = {}
        super().__init__(**kwargs)

    # An embedded shell: leave sys.modules["__main__"], the GUI and virtualenvs alone.
    def init_sys_modules(self) -> None:
        pass

    def enable_gui(self, gui: str | None = None) -> None:
        pass

    def init_virtualenv(self) -> None:
        pass

    def _showtraceback(self, etype: type, evalue: BaseException, stb: list[str]) -> None:
        self.collect(nbformat.v4.new_output("error", ename=etype.__name__, evalue=str(evalue), traceback=stb))

    def collect(self, output: Any) -> None:
        self.outputs.append(output)

    def stream(self, name: str, text: str) -> None:
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.get("output_type") == "stream" and last.get("name") == name:
            last["text"] += text
        else:
            self.collect(nbformat.v4.new_output("stream", name=name, text=text))

    def run(self, source: str) -> tuple[list[Any], int, bool]:
        """Execute one cell: its outputs, its execution count, whether it succeeded."""
        self.outputs = []
        count = self.cell_count = self.execution_count
        figures = _pyplot_figures()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Stream(self, "stdout"), _Stream(self, "stderr")
        try:
            result = self.run_cell(source, store_history=True, silent=False)
            self._flush_figures(figures)
        finally:
            sys.stdout, sys.stderr = saved
        return self.outputs, count, result.success

    def _flush_figures(self, before: set[int]) -> None:
        """Show the pyplot figures the cell created as PNG images and close them (as the inline backend does)."""
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return
        from IPython.core.pylabtools import print_figure

        for number in sorted(set(plt.get_fignums()) - before):
            figure = plt.figure(number)
            png = print_figure(figure, "png", bbox_inches="tight")
            if png:
                self.collect(nbformat.v4.new_output("display_data", data={
                    "image/png": base64.b64encode(png).decode("ascii"), "text/plain": repr(figure)}))
            plt.close(figure)

    def clean(self) -> None:
        """A fresh namespace and execution counts from 1 (``%reset -f`` and a new session)."""
        self.reset(new_session=True)
        self.outputs, self.displays = [], {}


def _pyplot_figures() -> set[int]:
    plt = sys.modules.get("matplotlib.pyplot")
    return set(plt.get_fignums()) if plt is not None else set()


_shell: InProcessShell | None = None
_baseline: ProcessState | None = None


def can_run_here() -> bool:
    """Whether this process may host the in-process kernel (it runs no other IPython)."""
    return not InteractiveShell.initialized() or isinstance(InteractiveShell.instance(), InProcessShell)


def warm_up() -> InProcessShell:
    """Import what reports need, create the shell and record the baseline state (once per process).

    Worker processes call it when they start, so the first report costs no more than the
    others; :func:`execute` calls it anyway.
    """
    global _shell, _baseline
    with _lock:
        if _shell is None:
            if not can_run_here():
                raise RuntimeError("this process already runs IPython (e.g. Jupyter): notebooks are executed "
                                   "in worker processes instead (LocalExecutor)")
            import evalkit.report.export  # noqa: F401 - nbconvert, used for every notebook report
            import evalkit.report.pages  # noqa: F401 - pandas, SciPy, matplotlib, Jinja2 and evalkit's reports

            config = Config({"HistoryManager": {"enabled": False, "hist_file": ":memory:"},
                             "InteractiveShell": {"colors": "nocolor"}})
            _shell = InProcessShell.instance(config=config)
            _baseline = ProcessState.capture()
        return _shell


@contextmanager
def isolated() -> Iterator[InProcessShell]:
    """The shell, reset to a fresh namespace and the baseline state; the caller's state is put back after.

    Holds the process's notebook lock: one notebook at a time.
    """
    with _lock:
        shell = warm_up()
        assert _baseline is not None
        before = ProcessState.capture()
        saved = sys.stdout, sys.stderr
        try:
            _baseline.restore()
            shell.clean()
            yield shell
        finally:
            sys.stdout, sys.stderr = saved
            shell.clean()  # release the report's objects now, not at the next report
            before.restore(reseed=False)


def execute(notebook: Path, parameters: dict[str, Any]) -> nbformat.NotebookNode:
    """Run ``notebook`` with papermill ``parameters`` in this process (see the module docstring).

    Parameters
    ----------
    notebook : Path
        The report notebook (read, never written).
    parameters : dict
        Values for its ``parameters`` cell; paths must be absolute.

    Returns
    -------
    NotebookNode
        The executed notebook, with papermill's parameter cell and metadata.

    Raises
    ------
    papermill.exceptions.PapermillExecutionError
        A cell raised an exception (the notebook's own error).
    """
    import papermill
    from papermill.execute import raise_for_execution_errors

    from evalkit.batch.engine import InProcessEngine

    prepared = papermill.execute_notebook(str(notebook), None, parameters=parameters, kernel_name=KERNEL_NAME,
                                          prepare_only=True, progress_bar=False)
    executed = InProcessEngine.execute_notebook(prepared, KERNEL_NAME, progress_bar=False)
    raise_for_execution_errors(executed, None)
    return executed

