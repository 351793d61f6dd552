"""The report notebooks in a real JupyterLab, driven in headless Chromium.

A JupyterLab server is started on the loopback interface (a free port, no token, no
browser of its own) in a temporary root holding a copy of the pilot report notebook; the
test opens the notebook, runs all cells from the Run menu as an evaluator would, and looks
at the rendered DOM: the report's header cards, colours and struck-out expert scores must
survive JupyterLab's own styles, links between report pages must not show as links, and
JupyterLab itself must not be restyled. The server is stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalkit.report import pdf
from tests.browser_support import require_browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "pilot_report.ipynb"
#: Seconds allowed for JupyterLab to start, and for all cells to run.
STARTUP, RUN = 90, 180


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[str]:
    """A JupyterLab server on 127.0.0.1 serving a copy of the pilot report notebook; yields its URL."""
    require_browser()
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    home = tmp_path_factory.mktemp("jupyter")
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--IdentityProvider.token=",
               "--ServerApp.password=", f"--ServerApp.root_dir={root}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=",
               f"--LabApp.workspaces_dir={home / 'workspaces'}"]
    if os.geteuid() == 0:  # CI runs as root
        command.append("--allow-root")
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(home / 'server.log').read_text()}")
                time.sleep(0.5)
        yield url
    finally:
        _stop(server)
        log.close()


def _stop(server: subprocess.Popen) -> None:
    """Stop the server and the kernels it started (its process group)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@pytest.fixture(scope="module")
def page(lab, tmp_path_factory):
    """The pilot report notebook opened in JupyterLab with every cell run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=pdf.find_chromium(), args=list(pdf.CHROMIUM_ARGS))
        view = browser.new_page(viewport={"width": 1400, "height": 1000})
        view.goto(f"{lab}/lab/tree/{NOTEBOOK}", timeout=STARTUP * 1000)
        view.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=STARTUP * 1000)
        # JupyterLab either starts the notebook's kernel or asks which one ("Select Kernel": Python 3)
        view.wait_for_function("() => document.querySelector('.jp-Dialog') || document.body.innerText.includes("
                               "'Python 3 (ipykernel) | Idle')", timeout=STARTUP * 1000)
        if view.locator(".jp-Dialog").count():
            view.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
        view.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=STARTUP * 1000)
        news = view.locator(".jp-Notification-Toast-Close")  # "notified about Jupyter news?": not in the picture
        if news.count():
            news.first.click()
        view.evaluate("() => window.labFontBefore = getComputedStyle(document.body).fontFamily")
        view.click(".lm-MenuBar-item:has-text('Run')")
        view.click(".lm-Menu-item:has-text('Run All Cells')")
        view.wait_for_selector(".evalkit-report .provenance", state="attached", timeout=RUN * 1000)
        view.wait_for_function("() => [...document.querySelectorAll('.jp-InputPrompt')]"
                               ".every(p => !p.textContent.includes('*'))", timeout=RUN * 1000)
        yield view
        view.screenshot(path=str(tmp_path_factory.mktemp("shot") / "jupyterlab.png"))
        browser.close()


def _style(page, selector: str, *properties: str) -> list[str]:
    return page.eval_on_selector(selector, "(e, ps) => ps.map(p => getComputedStyle(e)[p])", list(properties))


def test_header_card_keeps_its_border_and_background(page):
    width, style, colour, background = _style(page, ".evalkit-report #header .figure", "borderTopWidth",
                                              "borderTopStyle", "borderTopColor", "backgroundColor")
    assert (width, style) == ("1px", "solid")
    assert colour == "rgb(213, 220, 228)"  # --line
    assert background == "rgb(243, 246, 249)"  # --soft


def test_vetoed_pilots_conclusion_is_red(page):
    assert "一票否决" in page.text_content(".evalkit-report #conclusion")
    assert _style(page, ".evalkit-report #conclusion .fail", "color") == ["rgb(180, 35, 24)"]  # --fail


def test_dropped_expert_scores_are_struck_out(page):
    assert page.locator(".evalkit-report #experts td.dropped").count() > 0
    line, = _style(page, ".evalkit-report #experts td.dropped", "textDecorationLine")
    assert "line-through" in line


def test_tables_align_as_in_the_report(page):
    assert _style(page, ".evalkit-report #scorecard thead th", "textAlign") == ["left"]  # JupyterLab right-aligns
    assert _style(page, ".evalkit-report #scorecard td.num", "textAlign") == ["right"]


def test_links_between_report_pages_are_not_shown(page):
    assert _style(page, ".evalkit-report #header .nav", "display") == ["none"]


def test_jupyterlab_itself_is_not_restyled(page):
    assert page.evaluate("() => getComputedStyle(document.body).fontFamily === window.labFontBefore")
    # the report's h2 rule (a blue rule under every heading) stays inside the outputs
    assert _style(page, ".jp-NotebookPanel-toolbar", "borderBottomColor") != ["rgb(31, 95, 168)"]
    outside = page.evaluate("() => [...document.querySelectorAll('table')].filter(t => !t.closest('.evalkit-report'))"
                            ".map(t => getComputedStyle(t).fontSize)")
    assert all(size != "13.5px" for size in outside)


def test_relative_campaign_paths_work_from_the_notebooks_folder(monkeypatch, capsys):
    from evalkit.load import find_campaign_file

    monkeypatch.chdir(ROOT / "notebooks")
    assert find_campaign_file("params/demo.yaml") == ROOT / "params" / "demo.yaml"
    assert "note: params/demo.yaml is not in" in capsys.readouterr().err
    assert find_campaign_file("../params/demo.yaml") == ROOT / "notebooks" / ".." / "params" / "demo.yaml"
    assert find_campaign_file("params/none.yaml") == ROOT / "notebooks" / "params" / "none.yaml"  # reported missing


def test_make_lab_opens_jupyterlab_on_the_notebooks():
    # --no-print-directory: under `make test` this make is nested and would add "Leaving directory" lines
    shown = subprocess.run(["make", "--no-print-directory", "-n", "lab"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout
    assert shown.strip().splitlines()[-1] == ".venv/bin/jupyter lab --notebook-dir=notebooks"
