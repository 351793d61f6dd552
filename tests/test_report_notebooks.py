"""The report notebooks: committed clean, and they run top to bottom with plain papermill."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill
import pytest

from evalkit.load import load_campaign
from evalkit.report.export import notebook_to_html
from evalkit.scoring import score

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
DEMO = Path(__file__).parents[1] / "params" / "demo.yaml"
PILOT_SECTIONS = ("overview", "standards", "inspection", "survey", "kpis", "experts", "scorecard", "conclusion",
                  "opinion", "suggestions", "signature", "provenance")
DISTRICT_SECTIONS = ("summary", "ranking", "distribution", "dimensions", "domains", "failed-standards", "provenance")


@pytest.mark.parametrize("name", ["pilot_report.ipynb", "district_report.ipynb"])
def test_notebooks_are_committed_without_outputs(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize(("name", "sections", "column"), [
    ("pilot_report.ipynb", PILOT_SECTIONS, "pilot_id"),
    ("district_report.ipynb", DISTRICT_SECTIONS, "district"),
])
def test_notebooks_run_with_their_defaults_through_papermill(tmp_path, name, sections, column):
    # What an evaluator gets in JupyterLab: no parameters given, the demo campaign.
    executed = papermill.execute_notebook(str(NOTEBOOKS / name), str(tmp_path / name), kernel_name="python3",
                                          progress_bar=False)
    outputs = [output for cell in executed.cells for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type in ("error", "stream")], "no error, warning or print expected"
    html = notebook_to_html(executed)
    for section in sections:
        assert f'id="{section}"' in html
    campaign = load_campaign(DEMO)
    # the first pilot by id; the first district in the campaign's order (districts:), 黄浦区
    first = sorted(score(campaign).table[column])[0] if column == "pilot_id" else campaign.districts[0]
    assert first in html
    assert re.search(r"<h1>[^<]+</h1>", html)
    assert "report.header()" not in html and "import" not in html.split("<main", 1)[1]
