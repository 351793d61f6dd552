"""Where each report lives in a campaign's report directory (docs/reports.md), and links between them.

::

    index.html                     campaign overview
    quality.html                   methods and data quality (方法与数据质量)
    pilots/<pilot_id>.html         per-pilot report (+ the executed .ipynb for audit)
    districts/<district>.html      per-district report (+ the executed .ipynb)
    standards/<std_code>.html      per-standard implementation report (+ the executed .ipynb),
                                   with a standard implementation scheme
    manifest.json, scores.csv, scores.xlsx, scorecards.jsonl, standards_scores.csv,
    standards_scorecards.jsonl

Pilot ids are ASCII (``[A-Za-z0-9_.-]+``, checked on loading). District names and
standard codes come from the data (``GB/T 24421.1-2023``, ``Q/上海 001``), so
:func:`safe_stem` keeps them readable but makes them safe as file names on every platform;
links are relative and percent-encoded (:func:`href`), so they work from a file system, a
web server or a zip archive alike.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

from evalkit.filenames import WINDOWS_RESERVED

INDEX = PurePosixPath("index.html")
QUALITY = PurePosixPath("quality.html")
MANIFEST = PurePosixPath("manifest.json")
PILOTS_DIR = "pilots"
DISTRICTS_DIR = "districts"
STANDARDS_DIR = "standards"

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_MAX_STEM = 80
#: Bytes of a stem at most: with ``.ipynb`` and a temporary file's ``.<pid>.<8 random>.tmp`` around
#: it, a name stays well under the 255 bytes most file systems allow (80 CJK characters are 240).
_MAX_STEM_BYTES = 200


def pilot_path(pilot_id: str) -> PurePosixPath:
    """``pilots/<pilot_id>.html``, relative to the report directory."""
    return PurePosixPath(PILOTS_DIR, f"{pilot_id}.html")


def district_path(district: str) -> PurePosixPath:
    """``districts/<safe district name>.html``, relative to the report directory."""
    return PurePosixPath(DISTRICTS_DIR, f"{district_stem(district)}.html")


def standard_path(std_code: str) -> PurePosixPath:
    """``standards/<safe std_code>.html``, relative to the report directory.

    Examples
    --------
    >>> standard_path("GB/T 24421.1-2023")
    PurePosixPath('standards/GB_T 24421.1-2023-bc7f9a6b.html')
    """
    return PurePosixPath(STANDARDS_DIR, f"{safe_stem(std_code, 'standard')}.html")


def district_stem(district: str) -> str:
    """A file-name stem for a district: :func:`safe_stem` of its name."""
    return safe_stem(district, "district")


def safe_stem(name: str, fallback: str = "page") -> str:
    """A file-name stem for a name from the data: the name itself when that is safe.

    The name is NFC-normalised, characters no file system accepts (``<>:"/\\|?*``, control
    characters) become ``_``, surrounding dots and spaces are dropped, and over-long names
    are shortened (to 80 characters and 200 UTF-8 bytes); Windows device names (``CON``,
    ``nul.txt``) get a leading ``_``. Whenever the name had to change, 8 hex digits of its sha1 are appended,
    so two names that differ only in unsafe characters never share a file; a name with
    nothing left becomes ``fallback`` plus the digits.

    Examples
    --------
    >>> safe_stem("黄浦区")
    '黄浦区'
    >>> safe_stem("a/b")
    'a_b-3ec69c85'
    >>> safe_stem("Q/上海 001")
    'Q_上海 001-42c74d72'
    """
    stem = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" .")[:_MAX_STEM]
    reserved = stem.split(".")[0].strip().upper() in WINDOWS_RESERVED
    if stem == name and not reserved and len(stem.encode("utf-8")) <= _MAX_STEM_BYTES:
        return stem
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    while len(stem.encode("utf-8")) > _MAX_STEM_BYTES - len(digest) - 1:
        stem = stem[:-1].rstrip(" .")
    if reserved:  # 'nul.txt-…' would still open the device NUL on Windows
        stem = f"_{stem}"
    return f"{stem or fallback}-{digest}"


def href(source: PurePosixPath, target: PurePosixPath) -> str:
    """Relative, percent-encoded link from the page at ``source`` to the page at ``target``.

    Examples
    --------
    >>> href(PurePosixPath("index.html"), district_path("黄浦区"))
    'districts/%E9%BB%84%E6%B5%A6%E5%8C%BA.html'
    >>> href(pilot_path("P1"), INDEX)
    '../index.html'
    """
    relative = posixpath.relpath(str(target), posixpath.dirname(str(source)) or ".")
    return quote(relative, safe="/")
