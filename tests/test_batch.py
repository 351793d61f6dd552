"""``run_reports`` on the tiny campaign: pages, numbers, escaping, failures, incremental runs.

One module-scoped run renders the tiny campaign — with a pilot named like an XSS payload
and a district whose name is no valid file name — and the read-only tests look at its
output; tests that change things work on their own copies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pandas as pd
import pytest

from evalkit.batch import run_reports
from evalkit.digest import sha256_file
from evalkit.errors import UsageError
from evalkit.load import load_campaign
from evalkit.report.html import index_script
from evalkit.report.layout import district_path
from tests.tiny import copy_tiny, edit

EVIL_NAME = "<script>alert(1)</script>"
ODD_DISTRICT = 'A/B "<i>区'
NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
PILOT_SECTIONS = ("overview", "standards", "inspection", "survey", "kpis", "experts", "scorecard", "conclusion",
                  "opinion", "suggestions", "signature", "provenance")
DISTRICT_SECTIONS = ("summary", "ranking", "distribution", "dimensions", "domains", "failed-standards", "provenance")


def _tiny(base: Path) -> Path:
    """A tiny campaign whose P1 is named like a script and whose P2 sits in an awkward district."""
    path = copy_tiny(base)
    pilots = path.parent / "pilots.csv"
    edit(pilots, "P1,黄浦区社区养老服务标准化试点", f"P1,{EVIL_NAME}")
    edit(pilots, "徐汇区交通委,徐汇区,", '徐汇区交通委,"A/B ""<i>区",')
    return path


def _failing_notebooks(base: Path, pilot_id: str) -> Path:
    """Copies of the report notebooks whose pilot report raises for ``pilot_id``."""
    folder = base / "failing-notebooks"
    folder.mkdir()
    pilot = nbformat.read(NOTEBOOKS / "pilot_report.ipynb", as_version=4)
    boom = nbformat.v4.new_code_cell(f'if pilot_id == "{pilot_id}":\n    raise RuntimeError("{pilot_id} cannot be reported")')
    boom["id"] = "failing-cell"
    pilot.cells.insert(2, boom)
    nbformat.write(pilot, folder / "pilot_report.ipynb")
    (folder / "district_report.ipynb").write_bytes((NOTEBOOKS / "district_report.ipynb").read_bytes())
    return folder


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    campaign = load_campaign(_tiny(tmp_path_factory.mktemp("rendered")))
    summary = run_reports(campaign, jobs=2, progress=False)
    return campaign, summary


@pytest.fixture()
def fresh(rendered, tmp_path):
    """A copy of the rendered campaign and its reports, for tests that change them.

    Report keys do not depend on where the campaign lives, so the copy is up to date.
    """
    campaign, _ = rendered
    shutil.copytree(campaign.path.parent, tmp_path / "copy")
    return load_campaign(tmp_path / "copy" / campaign.path.name)


def _page(campaign, relative: str | Path) -> str:
    return (campaign.reports_dir / relative).read_text(encoding="utf-8")


def _manifest(campaign) -> dict:
    return json.loads((campaign.reports_dir / "manifest.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- one good run


def test_every_page_is_rendered_without_failure_or_warning(rendered):
    campaign, summary = rendered
    assert summary.exit_code == 0
    assert summary.failed == () and summary.warnings == ()
    expected = {"index.html", "quality.html", "pilots/P1.html", "pilots/P2.html", "pilots/P3.html",
                str(district_path("黄浦区")), str(district_path(ODD_DISTRICT))}
    assert {p.relative_to(campaign.reports_dir).as_posix() for p in summary.rendered} == expected
    for pilot_id in ("P1", "P2", "P3"):
        assert (campaign.reports_dir / "pilots" / f"{pilot_id}.ipynb").is_file()
    for name in ("scores.csv", "scores.xlsx", "scorecards.jsonl", "manifest.json"):
        assert (campaign.reports_dir / name).is_file()


def test_pilot_pages_have_every_section_and_the_totals_of_scores_csv(rendered):
    campaign, _ = rendered
    scores = pd.read_csv(campaign.reports_dir / "scores.csv", dtype={"pilot_id": str})
    for row in scores.itertuples():
        html = _page(campaign, f"pilots/{row.pilot_id}.html")
        for section in PILOT_SECTIONS:
            assert f'id="{section}"' in html
        exact, shown = re.search(r'<td class="num" data-value="([^"]+)" id="total">([^<]+)</td>', html).groups()
        assert float(exact) == row.total and shown == f"{row.total:.2f}"
        assert row.grade in html


def test_district_pages_have_every_section_and_rank_their_pilots(rendered):
    campaign, _ = rendered
    html = _page(campaign, district_path("黄浦区"))
    for section in DISTRICT_SECTIONS:
        assert f'id="{section}"' in html
    ranking = html.split('id="ranking"')[1].split("</section>")[0]
    assert ranking.index(">P1<") < ranking.index(">P3<")  # P3 is vetoed: last whatever its points


def test_index_lists_every_pilot_with_its_total_and_working_links(rendered):
    campaign, _ = rendered
    html = _page(campaign, "index.html")
    scores = pd.read_csv(campaign.reports_dir / "scores.csv", dtype={"pilot_id": str})
    for row in scores.itertuples():
        cell = rf'<td class="num total" data-key="[^"]+" data-pilot="{row.pilot_id}" data-value="([^"]+)">([^<]+)</td>'
        exact, shown = re.search(cell, html).groups()
        assert float(exact) == row.total and shown == f"{row.total:.2f}"
    links = re.findall(r'href="([^"]+)"', html)
    assert len(links) >= 3 + 2 + 3  # pilots, districts, districts of pilots
    for link in links:
        assert "%" in link or link.isascii()
        if link.startswith("#"):  # the index's table of contents: a section of the page itself
            assert f'id="{link[1:]}"' in html, link
            continue
        assert (campaign.reports_dir / unquote(link)).is_file(), link
    pilot = _page(campaign, "pilots/P2.html")
    for link in re.findall(r'href="([^"]+)"', pilot):
        assert (campaign.reports_dir / "pilots" / unquote(link)).resolve().is_file(), link


def test_pages_are_self_contained_without_code_or_scripts(rendered):
    campaign, summary = rendered
    for path in summary.rendered:
        html = path.read_text(encoding="utf-8")
        if path.name == "index.html":  # its one script is evalkit's own search and sort, inlined
            assert html.lower().count("<script") == 1 and str(index_script()) in html
            assert not re.search(r"<script[^>]*\bsrc=", html)
        else:
            assert "<script" not in html.lower()
        assert "<link" not in html.lower()
        sources = re.findall(r'src="([^"]*)"', html)
        assert sources and all(src.startswith("data:image/") for src in sources)
        assert "report = " not in html and "PilotReport" not in html and "jp-InputArea" not in html
        assert "@media print" in html


def test_user_text_is_escaped_everywhere(rendered):
    campaign, _ = rendered
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for page in ("index.html", "pilots/P1.html", district_path("黄浦区")):
        html = _page(campaign, page)
        assert EVIL_NAME not in html
        assert escaped in html
    assert f"<title>{escaped}验收评估报告</title>" in _page(campaign, "pilots/P1.html")
    odd = _page(campaign, district_path(ODD_DISTRICT))
    assert "<i>" not in odd and "A/B &#34;&lt;i&gt;区" in odd


def test_manifest_names_versions_inputs_and_every_report(rendered):
    campaign, _ = rendered
    manifest = _manifest(campaign)
    assert manifest["campaign"]["id"] == "tiny"
    assert manifest["scheme"]["sha256"] == sha256_file(campaign.scheme.path)
    assert manifest["questionnaire"]["sha256"] == sha256_file(campaign.questionnaire.path)
    assert {"evalkit", "packages"} <= set(manifest) and manifest["packages"]["pandas"]
    assert {record["role"] for record in manifest["inputs"]} == set(campaign.input_files())
    for record in manifest["inputs"]:
        assert sha256_file(campaign.reports_dir / record["path"]) == record["sha256"]
    reports = {entry["path"]: entry for entry in manifest["reports"]}
    assert len(reports) == 7
    entry = reports["pilots/P1.html"]
    assert entry["status"] == "rendered" and entry["error"] is None and entry["warnings"] == []
    assert entry["parameters"] == {"campaign": str(campaign.path), "pilot_id": "P1"}
    assert entry["sha256"] == sha256_file(campaign.reports_dir / "pilots/P1.html")
    assert entry["seconds"] > 0 and entry["audit"] == "pilots/P1.ipynb"
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d", json.dumps(manifest)), "no timestamps"


# --------------------------------------------------------------------------- incremental runs


def test_a_second_run_renders_nothing_and_force_renders_everything(fresh):
    again = run_reports(fresh, jobs=2, progress=False)
    assert again.rendered == () and len(again.skipped) == 7 and again.exit_code == 0
    assert {e["status"] for e in _manifest(fresh)["reports"]} == {"skipped"}
    # with --only, --force re-renders the pages named; the up-to-date index and quality page stay
    forced = run_reports(fresh, jobs=1, progress=False, force=True, only=["P3"])
    assert [p.name for p in forced.rendered] == ["P3.html"] and len(forced.skipped) == 6
    (fresh.reports_dir / "quality.html").unlink()  # ... unless they are out of date
    forced = run_reports(fresh, jobs=1, progress=False, force=True, only=["P3"])
    assert [p.name for p in forced.rendered] == ["quality.html", "P3.html"]
    everything = run_reports(fresh, jobs=2, progress=False, force=True)
    assert len(everything.rendered) == 7


def test_missing_files_and_changed_inputs_are_rendered_again_as_selected(fresh):
    (fresh.reports_dir / "pilots" / "P2.html").unlink()
    summary = run_reports(fresh, jobs=1, progress=False)
    assert [p.name for p in summary.rendered] == ["P2.html"]
    edit(fresh.path.parent / "kpis.csv", "P3,投诉率,final,0.02", "P3,投诉率,final,0.01")
    campaign = load_campaign(fresh.path)
    summary = run_reports(campaign, jobs=2, progress=False, only=["P1", "黄浦区"])
    assert {p.name for p in summary.rendered} == {"index.html", "quality.html", "P1.html", "黄浦区.html"}
    assert {p.name for p in summary.outdated} == {"P2.html", "P3.html", Path(district_path(ODD_DISTRICT)).name}
    assert {e["status"] for e in _manifest(campaign)["reports"]} == {"rendered", "outdated"}
    with pytest.raises(UsageError, match="'P9'"):
        run_reports(campaign, only=["P9"], progress=False)


# --------------------------------------------------------------------------- failures


def test_a_failing_report_does_not_stop_the_others(tmp_path):
    campaign = load_campaign(_tiny(tmp_path))
    failing = _failing_notebooks(tmp_path, "P2")
    summary = run_reports(campaign, jobs=2, progress=False, notebooks_dir=failing, only=["P1", "P2", "P3"])
    assert summary.exit_code == 1
    assert [(p.name, error.splitlines()[0]) for p, error in summary.failed] == \
        [("P2.html", "RuntimeError: P2 cannot be reported")]
    assert {p.name for p in summary.rendered} == {"index.html", "quality.html", "P1.html", "P3.html"}
    assert not (campaign.reports_dir / "pilots" / "P2.html").exists()
    entry = next(e for e in _manifest(campaign)["reports"] if e["path"] == "pilots/P2.html")
    assert entry["status"] == "failed" and entry["sha256"] is None and "RuntimeError" in entry["error"]


def test_a_failed_render_leaves_the_previous_page_untouched(fresh, tmp_path):
    page = fresh.reports_dir / "pilots" / "P2.html"
    before = page.read_bytes()
    failing = _failing_notebooks(tmp_path, "P2")
    summary = run_reports(fresh, jobs=1, progress=False, force=True, only=["P2"], notebooks_dir=failing)
    assert summary.exit_code == 1
    assert page.read_bytes() == before
    assert not list(page.parent.glob(".*.tmp"))
    entry = next(e for e in _manifest(fresh)["reports"] if e["path"] == "pilots/P2.html")
    assert entry["status"] == "failed" and entry["sha256"] == sha256_file(page)
    retried = run_reports(fresh, jobs=1, progress=False, only=["P2"])  # failed last time: not up to date
    assert [p.name for p in retried.rendered] == ["P2.html"] and retried.exit_code == 0


def test_a_script_read_from_standard_input_renders_with_workers(tmp_path):
    """Spawned workers re-run the parent's main script by its path; ``python - <<EOF`` has none
    (``<stdin>``), and the workers must start all the same."""
    campaign = copy_tiny(tmp_path / "campaign")
    script = ("import sys\n"
              "from evalkit.batch import run_reports\n"
              "from evalkit.load import load_campaign\n"
              f"summary = run_reports(load_campaign({str(campaign)!r}), jobs=1, progress=False, only=['P1'])\n"
              "print(len(summary.rendered), len(summary.failed))\n")
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "0"], done.stderr  # P1, the index and the quality page


def test_a_run_with_nothing_to_do_imports_no_report_or_statistics_stack(fresh):
    """What keeps a no-op run fast (README, Performance): it renders nothing, so it loads
    neither the report machinery nor SciPy's statistics or statsmodels."""
    heavy = ("matplotlib", "nbconvert", "papermill", "scipy.stats", "statsmodels")
    script = ("import sys\n"
              "from evalkit.cli import main\n"
              "code = main(['run', sys.argv[1]])\n"
              f"print(code, sorted(name for name in {heavy!r} if name in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script, str(fresh.path)], capture_output=True, text=True,
                          timeout=300, env={**os.environ})
    assert done.returncode == 0, done.stderr
    summary, imported = done.stdout.splitlines()
    assert "0 rendered" in summary
    assert imported == "0 []"


def test_the_run_command_skips_the_slow_optional_iri_checker_of_jsonschema(fresh):
    """rfc3987-syntax (1.9 s to import) is not imported by `evalkit run` rendering a page; what
    the page is does not depend on it (test_isolation: a page is the one papermill and a
    Jupyter kernel give, where it is imported). Elsewhere nothing is blocked."""
    script = ("import sys\n"
              "from evalkit.cli import main\n"
              "code = main(['run', sys.argv[1], '--force', '--only', 'P1', '--jobs', '1'])\n"
              "import jsonschema\n"
              "print(code, sys.modules.get('rfc3987_syntax', 'not imported'),\n"
              "      'iri' in jsonschema.FormatChecker().checkers)\n")
    done = subprocess.run([sys.executable, "-c", script, str(fresh.path)], capture_output=True, text=True,
                          timeout=300, env={**os.environ})
    assert done.returncode == 0, done.stderr
    summary, blocked = done.stdout.splitlines()
    assert "1 rendered" in summary and blocked == "0 None False"
    here = subprocess.run([sys.executable, "-c", "import evalkit, jsonschema\n"
                                                 "print('iri' in jsonschema.FormatChecker().checkers)"],
                          capture_output=True, text=True, timeout=300)
    assert here.stdout.strip() == "True", "importing evalkit blocks nothing"


def test_a_second_run_on_the_same_folder_waits_for_the_first(tmp_path):
    """``evalkit run`` holds its report folder's lock: a second run (or score) says that the
    folder is busy and waits, instead of rendering the same pages at the same time."""
    campaign = copy_tiny(tmp_path / "campaign")
    reports = campaign.parent / "reports"
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time\n"
                               "from evalkit.folder_lock import folder_lock\n"
                               "with folder_lock(sys.argv[1]):\n"
                               "    print('holding', flush=True)\n"
                               "    time.sleep(float(sys.argv[2]))\n", str(reports), "8"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        done = subprocess.run([sys.executable, "-m", "evalkit.cli", "run", str(campaign), "--only", "P1"],
                              capture_output=True, text=True, timeout=600, cwd=tmp_path)
        ended = holder.poll()
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 0, done.stderr
    assert f"evalkit run: another evalkit run or score is writing into {reports}; waiting for it to finish" \
        in done.stderr
    assert ended == 0, "the run finished only after the first one had let go of the folder"
    assert json.loads((reports / "manifest.json").read_text(encoding="utf-8"))["manifest_version"] == 2
