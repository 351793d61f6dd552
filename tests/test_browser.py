"""The reports in a real headless Chromium: from ``file://`` and from a loopback web server.

One module-scoped run renders the tiny campaign (with a district whose name is no valid
file name, so links must be percent-encoded and made safe); the tests open the index and a
pilot report, look for console errors, failed requests and broken images, follow every link
of the index and of the pages it leads to, check that no page is wider than a phone's
screen, and that a screenshot is not blank.
"""

from __future__ import annotations

import functools
import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from PIL import Image

from evalkit.batch import run_reports
from evalkit.load import load_campaign
from evalkit.report import pdf
from tests.browser_support import require_browser
from tests.tiny import copy_tiny, edit

ODD_DISTRICT = 'A/B "<i>区'
PAGES = ("index.html", "pilots/P1.html")
#: Collects every link target and image state of a page.
_LINKS = "() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
_BROKEN_IMAGES = ("() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
                  ".map(i => (i.getAttribute('src') || '').slice(0, 60))")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The tiny campaign's report directory, rendered."""
    chromium = require_browser()
    assert chromium
    path = copy_tiny(tmp_path_factory.mktemp("site"))
    edit(path.parent / "pilots.csv", "徐汇区交通委,徐汇区,", '徐汇区交通委,"A/B ""<i>区",')
    campaign = load_campaign(path)
    summary = run_reports(campaign, jobs=2, progress=False)
    assert summary.exit_code == 0
    return campaign.reports_dir


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=pdf.find_chromium(), args=list(pdf.CHROMIUM_ARGS))
        yield launched
        launched.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:
    """The report directory served on the loopback interface; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def _base(kind: str, site: Path, server: str) -> str:
    return site.as_uri() + "/" if kind == "file" else server


def _open(browser, url: str, width: int = 1280):
    """Open ``url`` in a fresh context; returns (context, page, problems seen while loading)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning") and not _favicon((message.location or {}).get("url", ""))
            else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url} {request.failure}"))
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 and not _favicon(response.url) else None)
    response = page.goto(url, wait_until="load")
    if response is not None and not response.ok:
        problems.append(f"HTTP {response.status}: {url}")
    page.evaluate("document.fonts.ready.then(() => true)")
    return context, page, problems


def _favicon(url: str) -> bool:
    """The browser's own request for ``/favicon.ico``: the server's business, not the page's.

    The pages are self-contained and link to nothing, not even an icon (test_batch).
    """
    return urlsplit(url).path == "/favicon.ico"


def _local_links(page, url: str) -> set[str]:
    """Absolute URLs of the page's links within the report directory (fragments dropped)."""
    links = set()
    for href in page.evaluate(_LINKS):
        if not href or href.startswith(("#", "mailto:")) or urlsplit(href).scheme in ("http", "https"):
            continue
        links.add(urljoin(url, href).split("#")[0])
    return links


@pytest.mark.parametrize("kind", ["file", "http"])
@pytest.mark.parametrize("relative", PAGES)
def test_page_loads_without_errors_or_broken_images(browser, site, server, kind, relative):
    context, page, problems = _open(browser, _base(kind, site, server) + relative)
    try:
        assert problems == []
        assert page.evaluate(_BROKEN_IMAGES) == []
        assert page.evaluate("document.images.length") >= 1, "the page shows its charts"
        assert "评估" in page.title()
        heading = page.locator("h1").first.inner_text()
        assert heading and any("\u4e00" <= char <= "\u9fff" for char in heading)
    finally:
        context.close()


@pytest.mark.parametrize("kind", ["file", "http"])
def test_every_link_from_the_index_leads_to_a_good_page(browser, site, server, kind):
    base = _base(kind, site, server)
    context, page, problems = _open(browser, base + "index.html")
    assert problems == []
    targets = _local_links(page, base + "index.html")
    context.close()
    assert len(targets) >= 5, "three pilots and two districts are linked"
    assert any("%" in target for target in targets), "the odd district's link is percent-encoded"
    seen_next: set[str] = set()
    for target in sorted(targets):
        context, page, problems = _open(browser, target)
        try:
            assert problems == [], target
            assert page.evaluate(_BROKEN_IMAGES) == [], target
            assert page.locator("h1").count() == 1, target
            seen_next |= _local_links(page, target)
        finally:
            context.close()
    # one level further: the pages' own links (back to the index, district <-> pilot) resolve too
    for target in sorted(seen_next - targets):
        if kind == "file":
            assert Path(unquote(urlsplit(target).path)).is_file(), target
        else:
            response = browser.new_context().request.get(target)
            assert response.ok, f"{target}: HTTP {response.status}"


@pytest.mark.parametrize("width", [390, 700])
@pytest.mark.parametrize("relative", PAGES)
def test_no_page_is_wider_than_the_screen(browser, site, relative, width):
    context, page, _ = _open(browser, site.as_uri() + "/" + relative, width=width)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def test_a_screenshot_of_a_pilot_report_is_not_blank(browser, site):
    context, page, _ = _open(browser, site.as_uri() + "/pilots/P1.html")
    try:
        image = Image.open(io.BytesIO(page.screenshot(full_page=False))).convert("L")
    finally:
        context.close()
    inked = sum(image.histogram()[:200]) / (image.width * image.height)
    assert 0.01 < inked < 0.6, f"{inked:.1%} of the screen inked"
