"""Per-standard reports: which standards get one, their data, safe file names and links, the
index and district additions, and the notebook run through papermill and the batch runner."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import nbformat
import papermill
import pytest

from evalkit.load import load_campaign
from evalkit.report import DistrictReport, StandardReport, index_page
from evalkit.report.context.district import failed_standards
from evalkit.report.context.facts import reported_standards
from evalkit.report.context.index import standards_overview
from evalkit.report.context.standard import standard_context
from evalkit.report.export import notebook_to_html
from evalkit.report.layout import INDEX, STANDARDS_DIR, district_path, href, safe_stem, standard_path
from evalkit.scored import ScoredCampaign
from tests.test_per_standard import CODES, STANDARDS, write_standard_campaign

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "standard_report.ipynb"
DEMO = Path(__file__).parents[1] / "params" / "demo.yaml"
SECTIONS = ("header", "overview", "implementation", "inspection", "awareness", "editions", "scorecard", "conclusion",
            "provenance")
ODD_CODES = ["GB/T 24421.1-2023", "Q/上海 001", "T/SH 001 2022", "ISO 9001:2015", "GB_T 24421.1-2023", "CON",
             "a<b>|c?*"]


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> ScoredCampaign:
    path = write_standard_campaign(tmp_path_factory.mktemp("reports"), standard_reports_min_pilots=1)
    return ScoredCampaign.of(load_campaign(path))


# --- file names and links --------------------------------------------------------------------


def test_standard_codes_become_safe_distinct_file_names() -> None:
    paths = [standard_path(code) for code in ODD_CODES]
    assert len(set(paths)) == len(paths)
    for code, path in zip(ODD_CODES, paths, strict=True):
        assert path.parent == PurePosixPath(STANDARDS_DIR) and path.suffix == ".html"
        assert not re.search(r'[\x00-\x1f<>:"/\\|?*]', path.name), path
        assert path.stem.upper() != "CON"
        assert path.stem == safe_stem(code, "standard")
    assert standard_path("Q/上海 001").name.startswith("Q_上海 001-")  # readable: Chinese and spaces kept
    assert standard_path("DB31 1000-2016").name == "DB31 1000-2016.html"  # already safe: unchanged, no digest


def test_links_are_percent_encoded_and_resolve() -> None:
    for code in ODD_CODES:
        link = href(INDEX, standard_path(code))
        assert link.isascii() and " " not in link
        assert unquote(link) == str(standard_path(code))
        back = href(standard_path(code), district_path("黄浦区"))
        assert unquote(back) == "../districts/黄浦区.html"


# --- which standards get a report ----------------------------------------------------------------


def test_reported_standards_follow_the_minimum_of_implementing_pilots(scored: ScoredCampaign,
                                                                      tmp_path: Path) -> None:
    assert reported_standards(scored) == CODES  # every standard is implemented by at least one pilot
    two = ScoredCampaign.of(load_campaign(write_standard_campaign(tmp_path, standard_reports_min_pilots=2)))
    assert reported_standards(two) == ["GB/T 24421.1-2023"]  # implemented by P1 and P3
    none = ScoredCampaign.of(load_campaign(write_standard_campaign(tmp_path / "none", standard_scheme=None)))
    assert reported_standards(none) == [] and standards_overview(none) is None


def test_index_lists_the_reported_standards_with_working_links(scored: ScoredCampaign) -> None:
    overview = standards_overview(scored)
    assert overview["std_code"].tolist() == ["GB/T 24421.1-2023", "DB31/T 1000-2016", "DB31/T 1000-2020", "Q/上海 001"]
    assert overview["implemented_pilots"].tolist() == [2, 1, 1, 1]
    page = index_page(scored)
    assert 'id="standards"' in page and "四、标准实施情况" in page
    for code in CODES:
        assert f'href="{href(INDEX, standard_path(code))}"' in page
    assert 'data-standard="GB/T 24421.1-2023" data-value="71.6667">71.67<' in page


def test_index_without_standard_scheme_has_no_standards_section(tmp_path: Path) -> None:
    plain = ScoredCampaign.of(load_campaign(write_standard_campaign(tmp_path, standard_scheme=None)))
    assert 'id="standards"' not in index_page(plain)


# --- the per-standard page's data ------------------------------------------------------------------


def test_standard_context_by_hand(scored: ScoredCampaign) -> None:
    c = standard_context(scored, "GB/T24421.1-2023")  # any spelling finds the standard
    assert c.standard["std_code"] == "GB/T 24421.1-2023"
    assert c.standard["spellings"] == ["GB/T24421.1-2023", "ＧＢ／Ｔ　２４４２１．１－２０２３"]
    assert c.standard["level"] == "国家标准"
    assert c.pilots["pilot_id"].tolist() == ["P1", "P2", "P3"]
    assert c.pilots["implemented"].tolist() == [True, False, True]
    assert c.pilots["applicable"].tolist() == [2, 1, 0]
    assert c.pilots["critical_nonconform"].tolist() == [0, 1, 0]
    assert c.pilots["href"].tolist() == ["../pilots/P1.html", "../pilots/P2.html", "../pilots/P3.html"]
    assert c.facts["conformity_rate"] == 0.5 and c.facts["awareness_rate"] == 0.5625
    assert [item["item"] for item in c.awareness["items"]] == ["S1"]
    assert c.card["total"] == 71.6667 and c.card["vetoed"] is True
    assert (c.rank, c.ranked) == (4, 4)  # vetoed (一票否决): ranked after all others, whatever its points
    assert c.links["index"] == "../index.html"


def test_superseded_edition_links_the_newer_one(scored: ScoredCampaign) -> None:
    c = standard_context(scored, "DB31/T 1000-2016")
    assert c.standard["superseded"] and c.standard["newest"] == "DB31/T 1000-2020"
    assert unquote(c.standard["newest_href"]) == standard_path("DB31/T 1000-2020").name  # a sibling page
    assert c.editions["std_code"].tolist() == ["DB31/T 1000-2020", "DB31/T 1000-2016"]
    html = str(StandardReport(c).editions())
    assert "已被代替" in html and c.standard["newest_href"] in html


def test_unknown_standard(scored: ScoredCampaign) -> None:
    with pytest.raises(KeyError, match="no standard 'GB 9-2020'"):
        standard_context(scored, "GB 9-2020")


def test_district_report_lists_the_standards_most_often_failed(scored: ScoredCampaign) -> None:
    # P2 (徐汇区) failed GB/T 24421.1-2023 once, critically, and DB31/T 1000-2020 once
    failed = failed_standards(scored, "徐汇区")
    assert failed["std_code"].tolist() == ["GB/T 24421.1-2023", "DB31/T 1000-2020"]
    assert failed["nonconform"].tolist() == [1, 1] and failed["critical_nonconform"].tolist() == [1, 0]
    assert failed["conformity_rate"].tolist() == [0.0, 0.5]
    assert failed["city_conformity_rate"].tolist() == [0.5, 0.5]
    assert failed["href"].tolist() == [href(district_path("徐汇区"), standard_path(code)) for code in failed["std_code"]]
    assert failed_standards(scored, "黄浦区").empty  # P1 failed nothing
    html = str(DistrictReport.load(scored.campaign.path, "徐汇区").failed_standards())
    assert 'id="failed-standards"' in html and "../standards/GB_T%2024421.1-2023-" in html


# --- the notebook ------------------------------------------------------------------------------------


def test_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    assert "std_code = None" in code[0].source
    assert notebook.metadata.kernelspec.name == "python3"


def test_notebook_runs_with_its_defaults_and_with_an_odd_code(tmp_path: Path, scored: ScoredCampaign) -> None:
    executed = papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "out.ipynb"), kernel_name="python3",
                                          progress_bar=False)
    outputs = [o for cell in executed.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type in ("error", "stream")], "no error, warning or print expected"
    html = notebook_to_html(executed)
    for section in SECTIONS:
        assert f'id="{section}"' in html
    assert "GB/T 45001-2020" in html or "<h1>" in html
    odd = papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "odd.ipynb"), kernel_name="python3",
                                     progress_bar=False,
                                     parameters={"campaign": str(scored.campaign.path), "std_code": "Q/上海 001"})
    page = notebook_to_html(odd)
    assert "<h1>Q/上海 001《社区养老服务流程》实施情况评价报告</h1>" in page
    assert 'href="../index.html"' in page and "import" not in page.split("<main", 1)[1]


def test_standard_scheme_appears_in_the_provenance(scored: ScoredCampaign) -> None:
    html = str(StandardReport(standard_context(scored, "Q/上海 001")).provenance())
    assert "标准实施评价方案" in html and "standard_scheme.yaml" in html
    assert "标准实施效果评价计分表（测试）" in html


def test_pages_show_no_code_or_nan(scored: ScoredCampaign) -> None:
    report = StandardReport(standard_context(scored, "Q/上海 001"))
    html = "".join(str(getattr(report, section)()) for section in SECTIONS)
    assert not re.search(r">\s*nan\s*<|\bNaN\b|None", html)
    assert "数据缺失" in html  # not inspected: B1 is flagged
    assert json.dumps(report.context.card, ensure_ascii=False)  # the card is plain data


# --- the batch runner --------------------------------------------------------------------------------


def test_run_renders_standard_pages_under_safe_names_with_working_links(tmp_path: Path) -> None:
    from evalkit.batch import run_reports
    from evalkit.errors import UsageError

    odd = {"pilot_id": "P1", "std_code": "T/SH 001 2022", "title": "智慧养老服务规范", "level": "group",
           "status": "current", "origin": "developed", "implemented": "是"}
    campaign = load_campaign(write_standard_campaign(tmp_path / "campaign", standards=[*STANDARDS, odd],
                                                     standard_reports_min_pilots=1))
    wanted = ["Q/上海 001", "T/SH 001 2022"]
    summary = run_reports(campaign, jobs=1, progress=False, only=wanted)
    assert summary.failed == () and summary.warnings == ()
    reports = campaign.reports_dir
    assert (reports / "standards_scores.csv").is_file()
    for code in wanted:
        page = reports / standard_path(code)
        assert page.is_file() and page.with_suffix(".ipynb").is_file()
        html = page.read_text(encoding="utf-8")
        for section in SECTIONS:
            assert f'id="{section}"' in html
        assert (page.parent / unquote(re.search(r'href="([^"]*index\.html)"', html).group(1))).resolve() == \
            (reports / "index.html").resolve()
        for link in re.findall(r'href="(\.\./(?:pilots|districts)/[^"]+)"', html):  # not rendered (only=…), but named
            assert unquote(link).startswith(("../pilots/P", "../districts/"))
    index = (reports / "index.html").read_text(encoding="utf-8")
    linked = {text: target for target, text in re.findall(r'<a href="(standards/[^"]+)">([^<]+)</a>', index)}
    assert set(linked) == {*CODES, "T/SH 001 2022"}
    for code in wanted:
        assert (reports / unquote(linked[code])).is_file()
    entries = {e["path"]: e for e in json.loads((reports / "manifest.json").read_text(encoding="utf-8"))["reports"]}
    for code in wanted:
        entry = entries[str(standard_path(code))]
        assert entry["kind"] == "standard" and entry["status"] == "rendered"
        assert entry["parameters"]["std_code"] == code
    assert entries[str(standard_path("GB/T 24421.1-2023"))]["status"] == "outdated"  # not selected
    with pytest.raises(UsageError, match="no pilot, district or standard named 'GB 9-2020'"):
        run_reports(campaign, jobs=1, progress=False, only=["GB 9-2020"])


def test_pdf_of_a_standard_page_carries_the_standard_in_its_running_header(tmp_path: Path) -> None:
    import subprocess

    from evalkit.batch import run_reports
    from tests.browser_support import require_browser, require_poppler

    require_browser()
    require_poppler()
    campaign = load_campaign(write_standard_campaign(tmp_path / "campaign", standard_reports_min_pilots=1))
    code = "GB/T 24421.1-2023"
    summary = run_reports(campaign, jobs=1, progress=False, only=[code], pdf=True)
    assert summary.failed == ()
    target = campaign.reports_dir / standard_path(code).with_suffix(".pdf")
    assert [Path(path) for path in summary.pdfs] == [target]
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "GB/T 24421.1-2023 《服务业组织标准化工作指南 第1部分：基本要求》实施情况评价" in text  # the header
    entries = {e["path"]: e for e in json.loads((campaign.reports_dir / "manifest.json").read_text("utf-8"))["reports"]}
    assert entries[str(standard_path(code))]["pdf"]["status"] == "rendered"
