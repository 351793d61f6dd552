"""What the PDF and browser tests need from the machine, and how they say it is missing.

These tests run in a real headless Chromium and look at PDFs with poppler-utils. They never
skip silently: when something is missing they fail, saying how to install it
(``scripts/install-system-packages.sh``, run by ``make test`` and ``.ci/run``). Set
``EVALKIT_SKIP_BROWSER=1`` to skip them explicitly (CI never does).
"""

from __future__ import annotations

import os
import shutil

import pytest

from evalkit.report import pdf

SKIP_ENV = "EVALKIT_SKIP_BROWSER"
HOW = ("install them with `sudo bash scripts/install-system-packages.sh` (apt-get install chromium "
       "poppler-utils fonts-noto-cjk fonts-wqy-microhei) and `pip install playwright`, "
       f"or set {SKIP_ENV}=1 to skip the browser tests")


def require_browser() -> str:
    """The Chromium executable; fails (or skips, with EVALKIT_SKIP_BROWSER=1) when it is missing."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: browser tests skipped on request")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail(f"the playwright Python package is missing; {HOW}", pytrace=False)
    executable = pdf.find_chromium()
    if executable is None:
        pytest.fail(f"Chromium is not installed (looked for {', '.join(pdf.CHROMIUM_NAMES)}); {HOW}", pytrace=False)
    return executable


def require_poppler() -> None:
    """pdftoppm, pdffonts, pdftotext and pdfinfo; fails (or skips) like :func:`require_browser`."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: browser tests skipped on request")
    missing = [tool for tool in ("pdftoppm", "pdffonts", "pdftotext", "pdfinfo") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"poppler-utils is not installed ({', '.join(missing)} missing); {HOW}", pytrace=False)
