"""Executing report notebooks: papermill parameters, one warm private kernel per process.

:func:`execute` injects the parameters with papermill (``prepare_only``: papermill's own
``parameters`` cell handling and metadata) and runs the notebook with nbclient — the
engine papermill itself uses — in a kernel that the process keeps for its next notebook.
Starting a kernel and importing pandas, SciPy and matplotlib into it costs seconds, more
than rendering one report; a warm kernel pays that once per worker. Between notebooks the
kernel's namespace is cleared (``%reset -f``); imported modules and their caches stay. A
kernel that dies, times out or fails to start is discarded and the next notebook gets a
fresh one.

Two known papermill traps under parallelism are avoided by construction:

* ``execute_notebook(cwd=...)`` changes the *process-wide* working directory while the
  notebook runs (papermill#473). No ``cwd`` is passed anywhere; the kernel's working
  directory is a private scratch directory given to nbclient through
  ``resources["metadata"]["path"]``, which only affects the kernel process, and every path
  handed to a notebook is absolute.
* Kernels pick random TCP ports, and two kernels starting at once can pick the same one
  (papermill#511). On POSIX each kernel talks over IPC (Unix domain) sockets inside its own
  scratch directory instead, so there are no ports to race for; elsewhere TCP is kept.

The kernel runs the interpreter evalkit runs in (``sys.executable``), whatever
``python3`` kernel specs the user has installed; its own stdout and stderr (e.g. the last
words of a crashing kernel) go to a log whose tail :class:`KernelFailed` reports.
"""

from __future__ import annotations

import atexit
import multiprocessing.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets import Unicode
from traitlets.config import Config

#: Seconds a kernel may take to start, and a single cell to run.
START_TIMEOUT = 120
CELL_TIMEOUT = 600
#: Lines of the kernel's own log kept in an error summary.
LOG_TAIL = 10
KERNEL_NAME = "python3"


class WorkerKernelManager(AsyncKernelManager):
    """An ipykernel of the running interpreter whose own output goes to ``log_path``."""

    log_path = Unicode("", help="file receiving the kernel process's stdout and stderr").tag(config=True)

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name="Python (evalkit)", language="python")

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        with open(self.log_path or os.devnull, "ab") as log:  # the child keeps its own descriptor
            await super()._async_launch_kernel(kernel_cmd, **{"stdout": log, "stderr": log, **kw})


class KernelFailed(RuntimeError):
    """The kernel could not start, died or timed out; the message ends with the tail of its log."""


class WarmKernel:
    """A private kernel kept running between the notebooks one process executes."""

    def __init__(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="evalkit-kernel-"))
        self.log = self.scratch / "kernel.log"
        self.manager: WorkerKernelManager | None = None
        self.client: Any = None

    def run(self, notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
        """Execute ``notebook`` in place and return it.

        Raises
        ------
        CellExecutionError
            A cell raised (the kernel is kept, its namespace cleared before the next run).
        KernelFailed
            Anything else; the kernel is discarded.
        """
        try:
            if self.manager is None:
                self.manager = self._manager()
            if self.client is not None:
                run_sync(self.client.execute_interactive)("%reset -f", silent=True, store_history=False,
                                                          timeout=START_TIMEOUT)
            runner = NotebookClient(notebook, km=self.manager, kernel_name=KERNEL_NAME, timeout=CELL_TIMEOUT,
                                    startup_timeout=START_TIMEOUT, resources={"metadata": {"path": str(self.scratch)}})
            runner.kc = self.client
            try:
                runner.execute()
            finally:
                self.client = runner.kc
            return notebook
        except CellExecutionError:
            raise
        except Exception as exc:
            self.stop()
            tail = self._log_tail()
            raise KernelFailed("\n".join([f"{type(exc).__name__}: {exc}", *tail])) from exc

    def _manager(self) -> WorkerKernelManager:
        settings: dict[str, Any] = {"log_path": str(self.log)}
        if os.name == "posix":
            settings.update(transport="ipc", ip=str(self.scratch / "socket"))
        return WorkerKernelManager(kernel_name=KERNEL_NAME, config=Config({"WorkerKernelManager": settings}))

    def _log_tail(self) -> list[str]:
        if not self.log.exists():
            return []
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL:]

    def stop(self) -> None:
        """Shut the kernel down (a later :meth:`run` starts a new one)."""
        manager, client = self.manager, self.client
        self.manager, self.client = None, None
        if client is not None:
            client.stop_channels()
        if manager is not None and manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=False)

    def close(self) -> None:
        """Shut the kernel down and remove the scratch directory."""
        self.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)


_kernel: WarmKernel | None = None


def execute(notebook: Path, parameters: dict[str, Any]) -> nbformat.NotebookNode:
    """Run ``notebook`` with papermill ``parameters`` in this process's warm kernel.

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
    nbclient.exceptions.CellExecutionError
        A cell raised an exception (the notebook's own error).
    KernelFailed
        The kernel could not start, died or timed out.
    """
    global _kernel
    prepared = papermill.execute_notebook(str(notebook), None, parameters=parameters, kernel_name=KERNEL_NAME,
                                          prepare_only=True, progress_bar=False)
    if _kernel is None:
        _kernel = WarmKernel()
        atexit.register(close_kernel)
        multiprocessing.util.Finalize(None, close_kernel, exitpriority=10)  # worker processes skip atexit
    return _kernel.run(prepared)


def close_kernel() -> None:
    """Shut down this process's warm kernel, if any (executors call it when they finish)."""
    global _kernel
    if _kernel is not None:
        kernel, _kernel = _kernel, None
        kernel.close()
