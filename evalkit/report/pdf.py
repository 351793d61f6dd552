"""Report pages -> PDF, printed by a real browser: headless Chromium driven by Playwright.

The HTML page is the report; the PDF is that page printed on A4 by the same engine a
reader's browser uses, so what is filed looks like what is read on screen. The engine:

* **Chromium** from the system (Debian's ``chromium`` package, ``/usr/bin/chromium``), or
  any Chrome/Chromium named by ``$EVALKIT_CHROMIUM``; failing those, a browser installed by
  ``playwright install chromium``. Nothing is downloaded at run time.
* **Playwright** (the ``playwright`` Python package; its wheel carries its own driver)
  launches it headless and prints with ``page.pdf``: A4, a running header with the
  campaign and the pilot (or district), and ``第 n 页 / 共 N 页`` in the footer.

One browser serves a whole run; pages are printed a few at a time in separate tabs.

Fonts. Chromium embeds TrueType-outline fonts in a PDF as named CID TrueType fonts but
draws CFF-outline fonts (Noto Sans/Serif CJK, Source Han) as unnamed Type 3 glyph
procedures. For the PDF the page text therefore prefers WenQuanYi Micro Hei (Debian's
``fonts-wqy-microhei``, TrueType outlines) and falls back to the CJK fonts of the page's
own stylesheet. Either way the text is embedded and extractable (``pdftotext``); charts
are SVG with the text as outlines and print as vector graphics. Bold text is synthesised
from the regular face (WenQuanYi has no bold) and Chromium draws synthetic bold as Type 3.

References
----------
.. [1] Playwright for Python, ``Page.pdf``: https://playwright.dev/python/docs/api/class-page#page-pdf
.. [2] Chrome DevTools Protocol, ``Page.printToPDF`` (header and footer templates, the
   ``pageNumber`` / ``totalPages`` classes).
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evalkit.atomic import write_atomic
from evalkit.digest import sha256_bytes, sha256_file
from evalkit.errors import UsageError

logger = logging.getLogger(__name__)

#: Environment variable naming a Chrome or Chromium executable to print with.
CHROMIUM_ENV = "EVALKIT_CHROMIUM"
#: Executables looked for on ``PATH``, in this order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Command-line switches: headless printing needs no sandbox (containers, root), GPU, sync,
#: component updates or any other traffic.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--font-render-hinting=none",
)
#: Tabs printing at the same time in the one browser of a run.
DEFAULT_CONCURRENCY = 3
#: Seconds allowed for a page to load.
LOAD_TIMEOUT = 120.0

INSTALL_HELP = (
    "install the PDF engine, headless Chromium driven by the playwright Python package: "
    "`apt-get install chromium` (Debian/Ubuntu; or set EVALKIT_CHROMIUM to a Chrome or Chromium "
    "executable) and `pip install playwright` (a dependency of evalkit); "
    "fonts-wqy-microhei is recommended for the Chinese text. "
    "Run without --pdf for the HTML reports only."
)

#: A4 page margins (top, right, bottom, left); the header and footer sit in the top and
#: bottom margins.
MARGINS = {"top": "20mm", "right": "14mm", "bottom": "18mm", "left": "14mm"}
#: The CJK fonts for text printed to PDF: TrueType-outline faces first (see module docstring).
PDF_FONTS = ('"WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC", '
             '"Droid Sans Fallback", "DejaVu Sans", sans-serif')
PDF_MONO_FONTS = '"WenQuanYi Micro Hei Mono", "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace'
#: Added to every page before printing (the page's own ``@media print`` rules still apply).
PDF_CSS = f"""
@page {{ size: A4; margin: {MARGINS['top']} {MARGINS['right']} {MARGINS['bottom']} {MARGINS['left']}; }}
body {{ font-family: {PDF_FONTS}; }}
td.code {{ font-family: {PDF_MONO_FONTS}; }}
"""
_MARGIN_STYLE = (f"font-family: {PDF_FONTS}; font-size: 7.5pt; color: #5c6b7a; width: 100%; "
                 f"margin: 0 {MARGINS['right']} 0 {MARGINS['left']}; -webkit-print-color-adjust: exact;")
_HEADER = (
    '<div style=\'{style} display: flex; justify-content: space-between; gap: 6mm; '
    'border-bottom: 0.4pt solid #d5dce4; padding-bottom: 1.2mm;\'>'
    '<span style="white-space: nowrap; overflow: hidden; text-overflow: ellipsis;">{left}</span>'
    '<span style="white-space: nowrap; overflow: hidden; text-overflow: ellipsis; text-align: right;">{right}</span>'
    "</div>"
)
_FOOTER = (
    "<div style='{style} display: flex; justify-content: space-between;'>"
    '<span>{left}</span>'
    '<span>第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</span>'
    '<span style="min-width: 20%; text-align: right;">{right}</span>'
    "</div>"
)


class PdfEngineMissing(UsageError):
    """No PDF engine is installed: the message says what to install (exit code 2)."""


@dataclass(frozen=True)
class Engine:
    """The browser a run prints with.

    Attributes
    ----------
    executable : str or None
        Chrome/Chromium executable; None for the browser ``playwright install`` put in
        Playwright's own cache.
    """

    executable: str | None


@dataclass(frozen=True)
class PdfJob:
    """One page to print.

    Attributes
    ----------
    source : Path
        The HTML page.
    target : Path
        The PDF file to write (atomically).
    header_left, header_right : str
        Plain text of the running header: the campaign, and the pilot or district.
    footer_left : str
        Plain text at the left of the footer (e.g. the pilot id).
    """

    source: Path
    target: Path
    header_left: str = ""
    header_right: str = ""
    footer_left: str = ""


@dataclass(frozen=True)
class PdfResult:
    """What printing a :class:`PdfJob` produced.

    Attributes
    ----------
    job : PdfJob
    ok : bool
    seconds : float
        Loading and printing this page (the browser's start is not included).
    sha256 : str or None
        Of the PDF now on disk: the new one, or after a failure the previous one (None
        when there is none).
    error : str or None
    """

    job: PdfJob
    ok: bool
    seconds: float
    sha256: str | None
    error: str | None = None


def find_chromium() -> str | None:
    """The Chrome/Chromium to print with: ``$EVALKIT_CHROMIUM``, else the first of
    :data:`CHROMIUM_NAMES` on ``PATH``; None when there is none."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _playwright_browser() -> str | None:
    """The Chromium that ``playwright install chromium`` put in Playwright's cache, if any."""
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            path = playwright.chromium.executable_path
    except Error:
        return None
    return path if path and Path(path).is_file() else None


def check_engine() -> Engine:
    """The PDF engine of this machine, or :class:`PdfEngineMissing` naming what to install.

    Cheap: nothing is launched. Called before a run renders anything, so a run asked for
    PDFs on a machine that cannot make them stops at once (exit 2) and leaves every file
    as it was.
    """
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        raise PdfEngineMissing(f"PDF output needs the playwright Python package, which is not installed; "
                               f"{INSTALL_HELP}") from None
    executable = find_chromium()
    if executable is None and os.environ.get(CHROMIUM_ENV):
        raise PdfEngineMissing(f"PDF output: {CHROMIUM_ENV}={os.environ[CHROMIUM_ENV]} is not an executable; "
                               f"{INSTALL_HELP}")
    if executable is None and _playwright_browser() is None:
        raise PdfEngineMissing(f"PDF output needs Chromium (or Chrome), and none was found "
                               f"({', '.join(CHROMIUM_NAMES)} on PATH); {INSTALL_HELP}")
    return Engine(executable)


def header_template(left: str, right: str) -> str:
    """Chromium's running header: ``left`` and ``right`` as plain text (escaped here)."""
    return _HEADER.format(style=_MARGIN_STYLE, left=html.escape(left), right=html.escape(right))


def footer_template(left: str = "", right: str = "") -> str:
    """Chromium's running footer: ``left``, the page number of the page count, ``right``."""
    return _FOOTER.format(style=_MARGIN_STYLE, left=html.escape(left), right=html.escape(right))


def pdf_key(html_sha256: str, code: str) -> str:
    """What a PDF depends on: its page's HTML (sha256) and evalkit's code (fingerprint)."""
    return sha256_bytes(f"pdf\0{html_sha256}\0{code}".encode())


def render_pdfs(jobs: Sequence[PdfJob], *, engine: Engine | None = None, concurrency: int = DEFAULT_CONCURRENCY,
                on_result: Callable[[PdfResult], None] | None = None) -> list[PdfResult]:
    """Print HTML pages to PDF with one headless browser.

    Parameters
    ----------
    jobs : sequence of PdfJob
    engine : Engine, optional
        Default :func:`check_engine`.
    concurrency : int, default 3
        Pages printed at the same time (tabs of the one browser).
    on_result : callable, optional
        Called with each result as it comes (e.g. to advance a progress bar), from the
        calling thread's point of view in any order.

    Returns
    -------
    list of PdfResult
        One per job, in the order of ``jobs``. Never raises for a page: a page that cannot
        be printed (or a browser that cannot start) gives failed results, and the previous
        PDF, if any, stays in place.

    Raises
    ------
    PdfEngineMissing
        ``engine`` not given and no engine is installed.
    """
    if not jobs:
        return []
    engine = engine or check_engine()
    results: dict[int, PdfResult] = {}

    def collect(index: int, result: PdfResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    # The browser runs on an event loop of its own thread: this also works when the caller
    # already runs an event loop (a notebook), where Playwright's sync API refuses to run.
    failure: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(_print_all(list(jobs), engine, max(1, concurrency), collect))
        except BaseException as exc:  # reported below as failed pages
            failure.append(exc)

    thread = threading.Thread(target=main, name="evalkit-pdf", daemon=True)
    thread.start()
    thread.join()
    if failure:
        message = _error(failure[0])
        for index, job in enumerate(jobs):
            if index not in results:
                collect(index, PdfResult(job, False, 0.0, sha256_file(job.target, missing_ok=True), f"the browser failed: {message}"))
    return [results[index] for index in range(len(jobs))]


def html_to_pdf(source: str | os.PathLike[str], target: str | os.PathLike[str] | None = None, *,
                header_left: str = "", header_right: str = "", footer_left: str = "") -> Path:
    """Print one HTML page to PDF (see :func:`render_pdfs`); returns the PDF's path.

    Raises
    ------
    PdfEngineMissing
        No engine is installed.
    RuntimeError
        The page could not be printed.
    """
    source = Path(source)
    job = PdfJob(source, Path(target) if target else source.with_suffix(".pdf"), header_left, header_right,
                 footer_left)
    (result,) = render_pdfs([job])
    if not result.ok:
        raise RuntimeError(f"cannot print {source} to PDF: {result.error}")
    return job.target


async def _print_all(jobs: list[PdfJob], engine: Engine, concurrency: int,
                     collect: Callable[[int, PdfResult], None]) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=engine.executable, args=list(CHROMIUM_ARGS))
        try:
            context = await browser.new_context(java_script_enabled=True, offline=True)
            gate = asyncio.Semaphore(concurrency)

            async def one(index: int, job: PdfJob) -> None:
                async with gate:
                    collect(index, await _print_one(context, job))

            await asyncio.gather(*(one(index, job) for index, job in enumerate(jobs)))
        finally:
            await browser.close()


async def _print_one(context, job: PdfJob) -> PdfResult:  # context: playwright's BrowserContext
    started = time.perf_counter()
    page = None
    try:
        page = await context.new_page()
        await page.goto(job.source.resolve().as_uri(), wait_until="load", timeout=LOAD_TIMEOUT * 1000)
        await page.add_style_tag(content=PDF_CSS)
        await page.evaluate("document.fonts.ready.then(() => true)")
        data = await page.pdf(
            format="A4",
            print_background=True,
            display_header_footer=True,
            header_template=header_template(job.header_left, job.header_right),
            footer_template=footer_template(job.footer_left),
            margin=MARGINS,
            prefer_css_page_size=False,
        )
        if not data.startswith(b"%PDF-"):
            raise RuntimeError("the browser returned no PDF")
        write_atomic(job.target, data)
        return PdfResult(job, True, time.perf_counter() - started, sha256_bytes(data))
    except Exception as exc:  # one page's failure never stops the others
        return PdfResult(job, False, time.perf_counter() - started, sha256_file(job.target, missing_ok=True), _error(exc))
    finally:
        if page is not None:
            try:
                await page.close()
            except Exception:  # the browser may be gone already
                pass


def _error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def pdf_path(html_path: Path) -> Path:
    """The PDF beside an HTML page: ``pilots/P1.html`` -> ``pilots/P1.pdf``."""
    return html_path.with_suffix(".pdf")


def describe(results: Iterable[PdfResult]) -> str:
    """``3 PDFs, 1.2 s each`` — a short line for logs."""
    good = [r for r in results if r.ok]
    if not good:
        return "no PDF"
    return f"{len(good)} PDF{'s' if len(good) != 1 else ''}, {sum(r.seconds for r in good) / len(good):.2f} s each"
