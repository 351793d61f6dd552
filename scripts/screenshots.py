"""Regenerate the pictures of the docs from the demo campaign: ``make screenshots``.

Renders the vetoed demo pilot SH2021-001 (HTML and PDF) and the index with ``evalkit run``
into the demo's report folder, then photographs them in headless Chromium (the system's,
through Playwright, as the PDF printing does) and with poppler's ``pdftoppm``:

* ``docs/img/pilot-report.png`` — the top of the pilot's report: header, veto box, overview;
* ``docs/img/index.png`` — the index's pilot table, searched for 浦东 and sorted by total;
* ``docs/img/pdf-pages.png`` — the first two pages of the pilot's PDF, side by side.

Run it after changing what a page shows, so that the README and the docs show the pages the
code renders today.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from evalkit.batch import run_reports
from evalkit.load import load_campaign
from evalkit.report import pdf

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "img"
PILOT = "SH2021-001"
#: Width of the browser window (CSS pixels) and height of a page picture.
WIDTH, HEIGHT = 1080, 1300
#: Resolution of the PDF page pictures (dots per inch) and the gap around them (pixels).
PDF_DPI, GAP = 62, 24


def main() -> int:
    campaign = load_campaign(ROOT / "params" / "demo.yaml")
    summary = run_reports(campaign, only=[PILOT], pdf=True, progress=False)
    if summary.exit_code != 0:
        print(f"evalkit run failed (exit {summary.exit_code}); no picture written", file=sys.stderr)
        return summary.exit_code
    reports = campaign.reports_dir
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=pdf.find_chromium(), args=list(pdf.CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
        page.goto((reports / "pilots" / f"{PILOT}.html").as_uri())
        page.evaluate("document.fonts.ready.then(() => true)")
        page.screenshot(path=str(IMAGES / "pilot-report.png"))
        page.goto((reports / "index.html").as_uri())
        page.evaluate("document.fonts.ready.then(() => true)")
        page.fill("#pilot-search", "浦东")
        page.click("#pilot-table thead th:has-text('总分') button")
        page.locator("#pilots").scroll_into_view_if_needed()
        page.evaluate("window.scrollTo(0, document.getElementById('pilots').offsetTop - 16)")
        page.screenshot(path=str(IMAGES / "index.png"))
        browser.close()
    _pdf_pages(reports / "pilots" / f"{PILOT}.pdf", IMAGES / "pdf-pages.png")
    for name in ("pilot-report.png", "index.png", "pdf-pages.png"):
        print(IMAGES / name)
    return 0


def _pdf_pages(document: Path, target: Path) -> None:
    """Pages 1 and 2 of ``document`` side by side on a grey ground, with a thin frame each."""
    with tempfile.TemporaryDirectory() as folder:
        stem = Path(folder) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", str(PDF_DPI), "-f", "1", "-l", "2", str(document), str(stem)],
                       check=True)
        pages = [Image.open(path).convert("RGB") for path in sorted(Path(folder).glob("page-*.png"))]
    width = sum(page.width for page in pages) + GAP * (len(pages) + 1)
    height = max(page.height for page in pages) + 2 * GAP
    sheet = Image.new("RGB", (width, height), (236, 238, 241))
    left = GAP
    for page in pages:
        framed = Image.new("RGB", (page.width + 2, page.height + 2), (190, 196, 204))
        framed.paste(page, (1, 1))
        sheet.paste(framed, (left - 1, GAP - 1))
        left += page.width + GAP
    sheet.save(target, optimize=True)


if __name__ == "__main__":
    sys.exit(main())
