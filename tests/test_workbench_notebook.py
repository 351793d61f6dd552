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


def test_workbench_runs_with_its_defaults_on_the_demo(tmp_path):
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


def test_workbench_reviews_a_campaign_without_experts_or_kpis(tmp_path):
    """The parameters cell invites reviewing other campaigns: one with no experts table, no KPIs
    and pilots no indicator separates (TOPSIS has no ranking) still runs top to bottom."""
    from tests.campaign_factory import leaf, node, scheme, write_campaign

    campaign = write_campaign(tmp_path / "campaign", pilots=["P1", "P2", "P3"],
                              scheme=scheme([node("A", [leaf("A1", "inspection.conformity_rate", 50),
                                                        leaf("A2", "survey.awareness", 50)])]))
    executed = papermill.execute_notebook(str(ROOT / "notebooks" / "workbench.ipynb"), str(tmp_path / "out.ipynb"),
                                          parameters={"campaign": str(campaign), "draws": 50},
                                          cwd=str(ROOT / "notebooks"), kernel_name="python3", progress_bar=False)
    outputs = [output for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "本活动没有专家评分。" in shown and "本活动没有绩效指标（KPI）数据。" in shown
