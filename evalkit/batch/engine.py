"""``evalkit``: a papermill engine that executes notebooks in the calling process.

:class:`InProcessEngine` plugs the in-process kernel (:mod:`evalkit.batch.kernel`) into
papermill's engine interface, so papermill keeps doing what it does for its own engines —
the parameters cell, the notebook's and every cell's ``papermill`` metadata (status, start,
end, duration, exception), and :class:`~papermill.exceptions.PapermillExecutionError`
for a failed cell — while the cells run without a kernel process. Importing this module
registers it with papermill under the name ``evalkit``::

    import papermill, evalkit.batch.engine
    papermill.execute_notebook("notebooks/pilot_report.ipynb", "out.ipynb",
                               parameters={"pilot_id": "SH2021-001"}, engine_name="evalkit")

As with nbclient, a failing cell stops the notebook unless it is tagged
``raises-exception``.
"""

from __future__ import annotations

from typing import Any

from papermill.engines import Engine, NotebookExecutionManager, papermill_engines

from evalkit.batch.kernel import isolated

ENGINE_NAME = "evalkit"


class InProcessEngine(Engine):
    """Executes a notebook's code cells in this process, each notebook in a fresh, isolated namespace."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: NotebookExecutionManager, kernel_name: str, **kwargs: Any) -> None:
        with isolated() as shell:
            for index, cell in enumerate(nb_man.nb.cells):
                nb_man.cell_start(cell, index)
                try:
                    if cell.cell_type != "code":
                        continue
                    outputs, count, ok = shell.run(cell.source)
                    cell.outputs, cell.execution_count = outputs, count
                    if not ok:
                        nb_man.cell_exception(cell, index)
                        if "raises-exception" not in cell.metadata.get("tags", []):
                            break
                finally:
                    nb_man.cell_complete(cell, index)


papermill_engines.register(ENGINE_NAME, InProcessEngine)
