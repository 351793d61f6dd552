"""notebooks/workbench.ipynb runs top to bottom with its defaults (papermill, from notebooks/),
and every notebook is committed without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


def test_workbench_runs_with_its_defaults_on_the_demo(tmp_path, cache):
    executed = papermill.execute_notebook(str(ROOT / "notebooks" / "workbench.ipynb"), str(tmp_path / "out.ipynb"),
                                          cwd=str(ROOT / "notebooks"), kernel_name="python3", progress_bar=False)
    outputs = [output for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = "\n".join(o.get("data", {}).get("text/html", "") for o in outputs)
    # the campaign and scores display as tables, the robustness table lists pilots whose grade is not safe
    assert "2021年度市级标准化试点验收评估（示例数据）" in shown and "p_grade_change" in shown
    assert "alpha_if_deleted" in shown and "icc2k" in shown and "closeness" in shown
    assert shown.count("evalkit-report") >= 3  # campaign, scores and the least safe pilot's card
    parameters = next(cell for cell in executed.cells if "parameters" in cell.metadata.get("tags", []))
    assert 'campaign = "../params/demo.yaml"' in parameters.source
    # exported with nbconvert's lab template, the report's scoped styles travel with the outputs
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter(template_name="lab").from_notebook_node(executed)
    assert '<div class="evalkit-report"><style>' in page and ".evalkit-report .figure {" in page
