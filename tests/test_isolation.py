"""Isolation by the operating system: every page in a process of its own, so a report alone is
byte-identical to the same report in a batch, in any order, after any other report.

The engine tests run small notebooks with papermill and evalkit's engine; the page-process
tests render notebooks that pollute and observe their process; the report tests render the
tiny campaign in different orders, in this process and by plain papermill in a Jupyter
kernel, and compare every page byte for byte.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from evalkit.batch import LocalExecutor, SerialExecutor, processes, run_reports
from evalkit.load import load_campaign
from tests.tiny import copy_tiny

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"


#: evalkit's code fingerprint as printed on a page. Each worker computes it when it starts, so
#: in a checkout edited while the tests run, two runs may print different ones; nothing else
#: on a page may differ.
_FINGERPRINT = re.compile('代码指纹 <span class="code">[0-9a-f]{12}</span>'.encode())

def _unfingerprinted(page: bytes) -> bytes:
    return _FINGERPRINT.sub(b"<fingerprint>", page)

POLLUTE = """\
import os, random, sys, warnings, logging
import matplotlib as mpl
import numpy as np
import pandas as pd
mpl.rcParams["font.size"] = 31
mpl.rcParams["lines.linewidth"] = 7
pd.set_option("display.max_rows", 3)
np.seterr(all="raise")
np.set_printoptions(precision=2)
warnings.simplefilter("error")
os.chdir("/")
sys.path.insert(0, "/polluted")
os.environ["EVALKIT_TEST_POLLUTED"] = "1"
logging.getLogger().setLevel(logging.DEBUG)
leftover = 42
np.random.rand(5), random.random()
"""

OBSERVE = """\
import os, random, sys, warnings, logging
import matplotlib as mpl
import numpy as np
import pandas as pd
print(sorted(k for k in globals() if not k.startswith("_") and k not in ("In", "Out", "exit", "quit", "get_ipython")))
print(mpl.rcParams["font.size"], mpl.rcParams["lines.linewidth"], pd.get_option("display.max_rows"))
print(np.geterr()["divide"], np.get_printoptions()["precision"], len(warnings.filters), os.getcwd())
print("/polluted" in sys.path, os.environ.get("EVALKIT_TEST_POLLUTED"), logging.getLogger().level)
print(np.random.rand(2), random.random())
"""


def _notebook(path: Path, *sources: str) -> Path:
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                 "display_name": "Python 3"}})
    parameters = nbformat.v4.new_code_cell("value = 1")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, *(nbformat.v4.new_code_cell(source) for source in sources)]
    nbformat.write(notebook, path)
    return path


def _stdout(notebook: nbformat.NotebookNode) -> str:
    return "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
                   if output.get("name") == "stdout")


# --------------------------------------------------------------------------- the engine


def _in_a_fresh_process(script: str, *arguments: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *arguments], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


ENGINE_OUTPUTS = """\
import json, sys, papermill
executed = papermill.execute_notebook(sys.argv[1], None, parameters={"value": 41}, engine_name="evalkit",
                                      progress_bar=False)
print(json.dumps(executed))
"""


def test_the_engine_gives_the_outputs_a_kernel_gives(tmp_path):
    # In a fresh process, as every page is rendered: streams, display() and the cell's value,
    # a hidden value, and a pyplot figure shown inline, each with the execution count a kernel gives.
    notebook = _notebook(tmp_path / "outputs.ipynb",
                         "print('hello')\nimport sys; print('careful', file=sys.stderr)",
                         "from IPython.display import display, HTML\ndisplay(HTML('<b>shown</b>'))\n1 + value",
                         "x = 3;",
                         "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nNone")
    executed = nbformat.reads(_in_a_fresh_process(ENGINE_OUTPUTS, str(notebook)), as_version=4)
    cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1))
    streams = [(o.name, o.text) for o in cells[2].outputs]
    assert streams == [("stdout", "hello\n"), ("stderr", "careful\n")]
    display, result = cells[3].outputs
    assert display.output_type == "display_data" and display.data["text/html"] == "<b>shown</b>"
    assert result.output_type == "execute_result" and result.data["text/plain"] == "42"
    assert result.execution_count == cells[3].execution_count
    assert cells[4].outputs == []  # a trailing semicolon hides the value
    assert [o.output_type for o in cells[5].outputs] == ["display_data"] and "image/png" in cells[5].outputs[0].data
    assert executed.metadata.papermill.parameters == {"value": 41}
    nbformat.validate(executed)


def test_every_notebook_gets_a_kernel_of_its_own(tmp_path):
    first = _notebook(tmp_path / "first.ipynb", "leftover = 42\nprint(sorted(k for k in globals() if not k.startswith('_')))")
    executed = [papermill.execute_notebook(str(first), None, engine_name="evalkit", progress_bar=False)
                for _ in range(2)]
    assert _stdout(executed[0]) == _stdout(executed[1])  # the second does not see the first one's variables
    assert [c.execution_count for c in executed[1].cells] == [1, 2]  # counts from 1 again


def test_a_failing_cell_stops_the_notebook_with_papermills_error(tmp_path):
    notebook = _notebook(tmp_path / "fails.ipynb", "raise ValueError('no such pilot')", "print('never')")
    with pytest.raises(PapermillExecutionError) as caught:
        papermill.execute_notebook(str(notebook), None, engine_name="evalkit", progress_bar=False)
    assert caught.value.ename == "ValueError" and caught.value.evalue == "no such pilot"
    assert "ValueError" in "\n".join(caught.value.traceback)
    ok = _notebook(tmp_path / "ok.ipynb", "print('hello')")  # the process can run the next notebook
    assert "hello" in _stdout(papermill.execute_notebook(str(ok), None, engine_name="evalkit", progress_bar=False))


def test_the_engine_is_registered_with_papermill_by_its_entry_point(tmp_path):
    from importlib.metadata import entry_points

    from papermill.engines import papermill_engines

    [entry] = [e for e in entry_points(group="papermill.engine") if e.name == "evalkit"]
    assert papermill_engines.get_engine("evalkit") is entry.load()
    notebook = _notebook(tmp_path / "engine.ipynb", "value * 2")
    done = subprocess.run([sys.executable, "-m", "papermill", "--engine", "evalkit", str(notebook),
                           str(tmp_path / "out.ipynb"), "-p", "value", "21"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    saved = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert saved.cells[-1].outputs[0].data["text/plain"] == "42"
    assert saved.metadata.papermill.parameters == {"value": 21}
    assert all(cell.metadata.papermill.status == "completed" for cell in saved.cells)


# --------------------------------------------------------------------------- page processes


def test_every_page_is_rendered_in_a_process_of_its_own_forked_from_a_warm_parent(tmp_path):
    # A notebook that pollutes its process and one that observes it, rendered one after the
    # other by one page process at a time: the observer sees a fresh process every time.
    from evalkit.batch.jobs import Job
    from evalkit.batch.processes import render_pages

    observe = _notebook(tmp_path / "observe.ipynb", OBSERVE + "print(os.getpid(), os.getppid())")
    pollute = _notebook(tmp_path / "pollute.ipynb", POLLUTE)

    def job(name, notebook):
        return Job(kind="pilot", path=f"pilots/{name}.html", parameters={"value": "1"}, reports_dir=tmp_path,
                   notebook=notebook, key=name)

    jobs = [job("first", observe), job("pollute", pollute), job("after", observe)]
    results = {r.job.key: r for r in render_pages(produce_notebook, failure_of, jobs, workers=1)}
    assert {key: r.error for key, r in results.items()} == {"first": None, "pollute": None, "after": None}
    first, after = results["first"].stdout, results["after"].stdout
    *state_first, pids_first = first.splitlines()
    *state_after, pids_after = after.splitlines()
    assert state_first == state_after and "leftover" not in after
    pid_first, parent_first = pids_first.split()
    pid_after, parent_after = pids_after.split()
    assert pid_first != pid_after and parent_first == parent_after  # fresh processes, one warm parent
    assert int(pid_first) != os.getpid()


class Observed(NamedTuple):
    job: Any
    stdout: str | None
    error: str | None


def produce_notebook(job) -> Observed:
    """A page function for :func:`render_pages`: the notebook's stdout, or its error."""
    try:
        executed = papermill.execute_notebook(str(job.notebook), None, parameters=dict(job.parameters),
                                              engine_name="evalkit", progress_bar=False)
    except Exception as exc:
        return Observed(job, None, repr(exc))
    return Observed(job, _stdout(executed), None)


def failure_of(job, exc, seconds) -> Observed:
    return Observed(job, None, repr(exc))


# --------------------------------------------------------------------------- whole reports


class _Reversed:
    """Renders the jobs in reverse order (one worker: every page after the others)."""

    def __init__(self, inner):
        self.inner = inner

    def map(self, render, jobs):
        return self.inner.map(render, list(reversed(jobs)))


def _pages(campaign) -> dict[str, bytes]:
    return {path.relative_to(campaign.reports_dir).as_posix(): _unfingerprinted(path.read_bytes())
            for path in sorted(campaign.reports_dir.rglob("*.html"))}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    campaign = load_campaign(copy_tiny(tmp_path_factory.mktemp("isolation")))
    summary = run_reports(campaign, jobs=2, progress=False)
    assert summary.exit_code == 0
    return campaign, _pages(campaign)


def test_pages_hold_no_timestamp_or_random_id(tiny):
    _, pages = tiny
    for name, page in pages.items():
        text = page.decode("utf-8")
        assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text), name
        assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-", text), name
    import base64

    svgs = [base64.b64decode(match) for page in pages.values()
            for match in re.findall(rb"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page)]
    assert svgs and all(b"<dc:date>" not in svg for svg in svgs)


@pytest.mark.parametrize("how", ["reversed order", "this process, one page", "forked by a warm parent process",
                                 "spawned, as where nothing forks"])
def test_a_page_alone_or_in_another_order_or_way_is_byte_identical(tiny, how, monkeypatch):
    campaign, pages = tiny
    if how == "reversed order":
        summary = run_reports(campaign, force=True, progress=False, executor=_Reversed(LocalExecutor(1)))
    elif how == "this process, one page":
        summary = run_reports(campaign, force=True, progress=False, executor=SerialExecutor(), only=["P2"])
    else:
        if how == "forked by a warm parent process":  # as from Jupyter, a Dask worker, a process with threads
            monkeypatch.setattr(processes, "can_fork_here", lambda: False)
        else:  # the Windows path, forced here
            monkeypatch.setenv(processes.START_METHOD_VARIABLE, "spawn")
        summary = run_reports(campaign, force=True, progress=False, jobs=2, only=["P1", "黄浦区"])
    assert summary.exit_code == 0 and summary.rendered
    again = _pages(campaign)
    for path in summary.rendered:
        name = path.relative_to(campaign.reports_dir).as_posix()
        assert again[name] == pages[name], name


def test_a_polluting_report_does_not_change_the_next_one(tiny, tmp_path):
    # P1's notebook changes module-level state; P2 and P3 rendered after it in the same
    # worker must be identical to P2 and P3 rendered first.
    campaign, _ = tiny
    folder = tmp_path / "notebooks"
    folder.mkdir()
    pilot = nbformat.read(NOTEBOOKS / "pilot_report.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell("if pilot_id == 'P1':\n" + "".join(f"    {line}\n" for line in
                                                                     POLLUTE.splitlines() if "warnings" not in line))
    cell["id"] = "polluting-cell"
    pilot.cells.insert(3, cell)
    nbformat.write(pilot, folder / "pilot_report.ipynb")
    (folder / "district_report.ipynb").write_bytes((NOTEBOOKS / "district_report.ipynb").read_bytes())

    def render(order):
        class Ordered:
            def map(self, render, jobs):
                by_id = {job.parameters.get("pilot_id"): job for job in jobs}
                return LocalExecutor(1).map(render, [by_id[key] for key in order if key in by_id])

        run_reports(campaign, force=True, progress=False, notebooks_dir=folder, only=["P1", "P2", "P3"],
                    executor=Ordered())
        return {name: page for name, page in _pages(campaign).items() if name.startswith("pilots/")}

    polluted_first = render([None, "P1", "P2", "P3"])
    clean_first = render(["P3", "P2", None, "P1"])
    assert polluted_first == clean_first


def test_a_page_is_the_one_papermill_and_a_jupyter_kernel_give(tiny):
    # papermill-compatible: the notebook run by plain papermill in a normal kernel, then
    # exported, is byte for byte the page evalkit run rendered in-process.
    from evalkit.report.export import notebook_to_html

    campaign, pages = tiny
    executed = papermill.execute_notebook(str(NOTEBOOKS / "pilot_report.ipynb"), None, kernel_name="python3",
                                          parameters={"campaign": str(campaign.path), "pilot_id": "P2"},
                                          progress_bar=False)
    assert _unfingerprinted(notebook_to_html(executed).encode("utf-8")) == pages["pilots/P2.html"]
