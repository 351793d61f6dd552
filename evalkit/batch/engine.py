"""``evalkit``: a papermill engine that executes a notebook in the calling process.

:class:`InProcessEngine` runs a notebook's cells in an IPython kernel living in this
process — ipykernel's own in-process kernel (:mod:`ipykernel.inprocess`), the same shell,
display hooks, output streams and inline matplotlib backend as a Jupyter kernel, without
a kernel process, its start-up and its ZeroMQ round trips. Each cell's messages become its
outputs exactly as nbclient makes them (:func:`nbformat.v4.output_from_msg`), and
papermill keeps doing what it does for its own engines: the parameters cell, the
notebook's and every cell's ``papermill`` metadata, and
:class:`~papermill.exceptions.PapermillExecutionError` for a failed cell. As with
nbclient, a failing cell stops the notebook unless it is tagged ``raises-exception``.

The engine is registered with papermill through the ``papermill.engine`` entry point
(``pyproject.toml``), so wherever evalkit is installed::

    papermill --engine evalkit notebooks/pilot_report.ipynb out.ipynb -p pilot_id SH2021-001
    papermill.execute_notebook("notebooks/pilot_report.ipynb", "out.ipynb", engine_name="evalkit",
                               parameters={"pilot_id": "SH2021-001"})

papermill imports this module when it is itself imported (it loads every registered
engine then), so use the engine through papermill: importing this module before papermill
would have papermill load it while it is still being imported.

Every notebook gets a kernel of its own, started for it and shut down after it: a fresh
namespace and execution counts from 1. Modules, though, belong to the process, so a
notebook that changes module-level state (matplotlib's ``rcParams``, pandas options…)
changes it for whatever runs after it in the same process. ``evalkit run`` therefore
executes each page in a process of its own, forked for it from a warm parent
(:mod:`evalkit.batch.forking`): isolation by the operating system, not by resets.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# ipykernel imports debugpy, which warns on stderr about Python's frozen modules; nothing
# here debugs (the kernel's debugger is never started).
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

import nbformat
from ipykernel.inprocess.blocking import BlockingInProcessKernelClient
from ipykernel.inprocess.ipkernel import InProcessInteractiveShell
from ipykernel.inprocess.manager import InProcessKernelManager
from papermill.engines import Engine, NotebookExecutionManager
from traitlets.config import Config

#: Seconds a cell may run before the notebook fails (none of a report's cells takes more than a few).
CELL_TIMEOUT = 600
#: matplotlib's backend in a Jupyter kernel: pyplot figures become display outputs.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: The kernel keeps no input history (a Jupyter kernel keeps it in an SQLite file per user):
#: nothing a notebook shows depends on it, and a page process writes nothing but its page.
KERNEL_CONFIG = Config({"HistoryManager": {"enabled": False, "hist_file": ":memory:"}})
#: Messages of a cell that become its outputs.
OUTPUT_MESSAGES = frozenset({"execute_result", "display_data", "update_display_data", "stream", "error",
                             "clear_output"})


class InProcessEngine(Engine):
    """Executes a notebook's code cells in an in-process kernel (see the module docstring)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: NotebookExecutionManager, kernel_name: str, **kwargs: Any) -> None:
        with in_process_kernel() as client:
            for index, cell in enumerate(nb_man.nb.cells):
                nb_man.cell_start(cell, index)
                try:
                    if cell.cell_type != "code":
                        continue
                    ok = run_cell(client, cell)
                    if not ok:
                        nb_man.cell_exception(cell, index)
                        if "raises-exception" not in cell.metadata.get("tags", []):
                            break
                finally:
                    nb_man.cell_complete(cell, index)


@contextmanager
def in_process_kernel() -> Iterator[BlockingInProcessKernelClient]:
    """A fresh in-process kernel and a client talking to it; shut down afterwards.

    As a Jupyter kernel does, pyplot figures are shown inline (as PNG images at the end of
    their cell) unless pyplot was imported already with a backend of its own.
    """
    if "matplotlib.pyplot" not in sys.modules:
        os.environ["MPLBACKEND"] = INLINE_BACKEND
        if "matplotlib" in sys.modules:
            sys.modules["matplotlib"].rcParams["backend"] = INLINE_BACKEND
    manager = InProcessKernelManager(config=KERNEL_CONFIG)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        yield client
    finally:
        io_loop = manager.kernel.iopub_thread.io_loop.asyncio_loop
        client.stop_channels()
        manager.shutdown_kernel()
        # ipykernel stops its output thread's loop with a housekeeping task still pending;
        # asyncio would print "Task was destroyed but it is pending!" when it is collected.
        io_loop.set_exception_handler(lambda loop, context: None)
        InProcessInteractiveShell.clear_instance()  # the next kernel of this process gets a shell of its own


def run_cell(client: BlockingInProcessKernelClient, cell: nbformat.NotebookNode) -> bool:
    """Execute one code cell: set its outputs and execution count; whether it succeeded."""
    message_id = client.execute(cell.source, stop_on_error=False)
    outputs: list[nbformat.NotebookNode] = []
    displays: dict[str, list[nbformat.NotebookNode]] = {}
    clear_pending = False
    while True:
        message = client.get_iopub_msg(timeout=CELL_TIMEOUT)
        if message["parent_header"].get("msg_id") not in (message_id, None):
            continue  # (the in-process kernel sends its streams without a parent: they are this cell's)
        kind, content = message["msg_type"], message["content"]
        if kind == "status" and content["execution_state"] == "idle":
            break
        if kind not in OUTPUT_MESSAGES:
            continue
        if kind == "clear_output":
            if content.get("wait"):
                clear_pending = True
            else:
                outputs.clear()
            continue
        if kind == "update_display_data":
            for output in displays.get(content.get("transient", {}).get("display_id"), []):
                output["data"], output["metadata"] = content["data"], content["metadata"]
            continue
        if clear_pending:
            outputs.clear()
            clear_pending = False
        output = nbformat.v4.output_from_msg(message)
        if kind == "stream" and outputs and outputs[-1].get("output_type") == "stream" \
                and outputs[-1].get("name") == output["name"]:
            outputs[-1]["text"] += output["text"]  # as nbclient joins consecutive stream messages
            continue
        display_id = content.get("transient", {}).get("display_id")
        if display_id is not None:
            displays.setdefault(display_id, []).append(output)
        outputs.append(output)
    reply = client.get_shell_msg(timeout=CELL_TIMEOUT)
    while reply["parent_header"].get("msg_id") != message_id:
        reply = client.get_shell_msg(timeout=CELL_TIMEOUT)
    cell.outputs = outputs
    cell.execution_count = reply["content"].get("execution_count")
    return reply["content"]["status"] == "ok"
