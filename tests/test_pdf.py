"""``evalkit run --pdf``: PDFs printed by headless Chromium, looked at with poppler-utils.

One module-scoped run prints the tiny campaign's reports; read-only tests look at its PDFs
(A4, header, page numbers, an embedded named CJK font, extractable Chinese text, pages
that are not blank). Tests that change things (incremental runs, the campaign's
``pdf: true``, a missing engine) work on their own copies.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from evalkit.batch import run_reports
from evalkit.cli import main
from evalkit.load import load_campaign
from evalkit.report import pdf
from evalkit.report.layout import district_path
from tests.browser_support import require_browser, require_poppler
from tests.tiny import copy_tiny, edit

PILOT_PDFS = {"pilots/P1.pdf", "pilots/P2.pdf", "pilots/P3.pdf"}
DISTRICT_PDFS = {str(district_path(name).with_suffix(".pdf")) for name in ("黄浦区", "徐汇区")}


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    require_browser()
    require_poppler()
    campaign = load_campaign(copy_tiny(tmp_path_factory.mktemp("printed")))
    summary = run_reports(campaign, jobs=2, progress=False, pdf=True)
    return campaign, summary


def _run(*command: str | Path) -> str:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, check=True).stdout


def _manifest(campaign) -> dict:
    return json.loads((campaign.reports_dir / "manifest.json").read_text(encoding="utf-8"))


def _pdf_records(campaign) -> dict[str, dict | None]:
    return {entry["path"]: entry["pdf"] for entry in _manifest(campaign)["reports"]}


def _title(html_file: Path) -> str:
    return re.search(r"<title>(.*?)</title>", html_file.read_text(encoding="utf-8")).group(1)


def _relative(campaign, paths) -> set[str]:
    return {Path(p).relative_to(campaign.reports_dir).as_posix() for p in paths}


# --------------------------------------------------------------------------- one run with --pdf


def test_a_pdf_beside_every_pilot_and_district_page(printed):
    campaign, summary = printed
    assert summary.exit_code == 0 and summary.failed == ()
    assert _relative(campaign, summary.pdfs) == PILOT_PDFS | DISTRICT_PDFS
    assert not (campaign.reports_dir / "index.pdf").exists()
    assert summary.pdf_seconds > 0
    assert not list(campaign.reports_dir.rglob("*.tmp")), "no temporary file left behind"


def test_manifest_lists_every_pdf_with_its_sha256(printed):
    campaign, _ = printed
    records = _pdf_records(campaign)
    assert records["index.html"] is None and records["quality.html"] is None  # screen pages
    for page, record in records.items():
        if page in ("index.html", "quality.html"):
            continue
        assert record["path"] == str(Path(page).with_suffix(".pdf"))
        assert record["status"] == "rendered" and record["error"] is None and record["seconds"] > 0
        data = (campaign.reports_dir / record["path"]).read_bytes()
        assert data.startswith(b"%PDF-")
        assert record["sha256"] == hashlib.sha256(data).hexdigest()


def test_pdf_is_a4_with_running_header_and_page_numbers(printed):
    campaign, _ = printed
    path = campaign.reports_dir / "pilots" / "P1.pdf"
    info = _run("pdfinfo", path)
    assert "(A4)" in re.search(r"Page size:.*", info).group(0)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 2
    for page in (1, pages):
        text = _run("pdftotext", "-f", page, "-l", page, "-layout", path, "-")
        assert campaign.title in text, "the campaign in the header of every page"
        assert "P1 黄浦区社区养老服务标准化试点" in text, "the pilot in the header"
        assert re.search(rf"第\s*{page}\s*页\s*/\s*共\s*{pages}\s*页", text), "page n of N in the footer"


def test_chinese_text_is_embedded_in_a_named_cjk_font_and_extractable(printed):
    campaign, _ = printed
    for relative in ("pilots/P1.pdf", str(district_path("黄浦区").with_suffix(".pdf"))):
        path = campaign.reports_dir / relative
        fonts = _run("pdffonts", path).splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), "every font embedded:\n" + "\n".join(fonts)
        named_cjk = [line for line in fonts if "WenQuanYi" in line and "CID TrueType" in line]
        assert named_cjk, ("no named TrueType CJK font embedded (apt-get install fonts-wqy-microhei):\n"
                           + "\n".join(fonts))
        text = _run("pdftotext", path, "-")
        assert _title(path.with_suffix(".html")) in text, "the Chinese title extracts as text"
    text = _run("pdftotext", campaign.reports_dir / "pilots" / "P1.pdf", "-")
    for heading in ("一、试点概况", "七、评分明细", "数据来源与可追溯信息"):
        assert heading in text


def test_pdf_pages_are_not_blank(printed, tmp_path):
    campaign, _ = printed
    for relative in ("pilots/P1.pdf", str(district_path("徐汇区").with_suffix(".pdf"))):
        prefix = tmp_path / Path(relative).stem
        _run("pdftoppm", "-r", "40", "-png", campaign.reports_dir / relative, prefix)
        images = sorted(tmp_path.glob(f"{prefix.name}-*.png"))
        assert images
        for image in images:
            grey = Image.open(image).convert("L")
            inked = sum(grey.histogram()[:200]) / (grey.width * grey.height)
            assert 0.005 < inked < 0.6, f"{image.name}: {inked:.1%} of the page inked"


# --------------------------------------------------------------------------- incremental runs


def test_pdfs_follow_their_pages_across_runs(tmp_path):
    require_browser()
    campaign = load_campaign(copy_tiny(tmp_path))
    first = run_reports(campaign, jobs=2, progress=False)
    assert first.pdfs == () and not list(campaign.reports_dir.rglob("*.pdf"))
    assert all(record is None for record in _pdf_records(campaign).values())

    # --pdf added to an otherwise up-to-date run: the pages stay, the PDFs appear
    second = run_reports(campaign, jobs=2, progress=False, pdf=True)
    assert second.rendered == () and _relative(campaign, second.pdfs) == PILOT_PDFS | DISTRICT_PDFS

    third = run_reports(campaign, jobs=2, progress=False, pdf=True)
    assert third.rendered == () and third.pdfs == ()
    assert {r["status"] for r in _pdf_records(campaign).values() if r} == {"skipped"}

    (campaign.reports_dir / "pilots" / "P2.pdf").unlink()
    fourth = run_reports(campaign, jobs=2, progress=False, pdf=True)
    assert _relative(campaign, fourth.pdfs) == {"pilots/P2.pdf"}

    # an input changes and the run has no --pdf: the pages change, the PDFs are outdated but kept
    edit(campaign.path.parent / "pilots.csv", "黄浦区垃圾分类标准化试点", "黄浦区生活垃圾分类标准化试点")
    campaign = load_campaign(campaign.path)
    fifth = run_reports(campaign, jobs=2, progress=False)
    assert fifth.pdfs == () and len(fifth.rendered) == 7
    records = _pdf_records(campaign)
    assert {r["status"] for r in records.values() if r} == {"outdated"}
    assert all((campaign.reports_dir / r["path"]).is_file() for r in records.values() if r)

    sixth = run_reports(campaign, jobs=2, progress=False, pdf=True)
    assert sixth.rendered == () and _relative(campaign, sixth.pdfs) == PILOT_PDFS | DISTRICT_PDFS
    assert "黄浦区生活垃圾分类标准化试点" in _run("pdftotext", campaign.reports_dir / "pilots" / "P3.pdf", "-")


def test_campaign_file_can_ask_for_pdfs(tmp_path):
    require_browser()
    path = copy_tiny(tmp_path)
    edit(path, "reports: reports", "reports: reports\npdf: true")
    campaign = load_campaign(path)
    assert campaign.pdf
    summary = run_reports(campaign, jobs=2, progress=False, only=["P1"])
    assert _relative(campaign, summary.pdfs) == {"pilots/P1.pdf"}


# --------------------------------------------------------------------------- no engine, failures


def test_missing_engine_is_a_usage_error_naming_what_to_install(tmp_path, monkeypatch, capsys):
    campaign = copy_tiny(tmp_path)
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    assert main(["run", str(campaign), "--pdf", "--jobs", "1"]) == 2
    error = capsys.readouterr().err
    assert "apt-get install chromium" in error and "pip install playwright" in error
    assert "Traceback" not in error
    assert not (campaign.parent / "reports").exists(), "nothing written when the PDFs cannot be made"


def test_missing_engine_leaves_html_runs_alone(tmp_path, monkeypatch, capsys):
    campaign = copy_tiny(tmp_path)
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    assert main(["run", str(campaign), "--jobs", "1", "--only", "P1"]) == 0
    assert (campaign.parent / "reports" / "pilots" / "P1.html").is_file()
    assert not list((campaign.parent / "reports").rglob("*.pdf"))


def test_missing_playwright_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright.async_api", None)
    with pytest.raises(pdf.PdfEngineMissing, match="pip install playwright"):
        pdf.check_engine()


def test_a_page_that_cannot_be_printed_fails_alone_and_keeps_the_previous_pdf(tmp_path):
    require_browser()
    good = tmp_path / "good.html"
    good.write_text("<!DOCTYPE html><html lang=zh-CN><meta charset=utf-8><title>好</title><h1>验收评估报告</h1>",
                    encoding="utf-8")
    previous = tmp_path / "gone.pdf"
    previous.write_bytes(b"%PDF-1.4 previous")
    jobs = [pdf.PdfJob(good, tmp_path / "good.pdf", "活动", "试点"),
            pdf.PdfJob(tmp_path / "gone.html", previous, "活动", "试点")]
    ok, failed = pdf.render_pdfs(jobs)
    assert ok.ok and ok.sha256 == hashlib.sha256((tmp_path / "good.pdf").read_bytes()).hexdigest()
    assert not failed.ok and failed.error
    assert previous.read_bytes() == b"%PDF-1.4 previous" and failed.sha256 == hashlib.sha256(b"%PDF-1.4 previous").hexdigest()


def test_header_and_footer_text_is_escaped():
    header = pdf.header_template("<script>x</script>", "A&B")
    assert "<script>" not in header and "&lt;script&gt;" in header and "A&amp;B" in header
    footer = pdf.footer_template("P1")
    assert 'class="pageNumber"' in footer and 'class="totalPages"' in footer
