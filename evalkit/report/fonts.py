"""A CJK font for matplotlib, so that Chinese chart labels never lose a glyph.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: every label would render
as boxes with a ``Glyph … missing from font(s)`` warning. :func:`chart_style` registers
Noto Sans CJK SC, which ships inside the ``mplfonts`` package (a dependency, so reports
look the same on every machine whatever fonts the system has), and returns rcParams that
use it first, with DejaVu Sans as the fallback for the few symbols it lacks. Noto Sans
CJK SC has Latin letters and digits designed to sit with the Chinese glyphs, so numbers
and ids need no separate font.

Charts use these settings inside :func:`matplotlib.rc_context`, so importing evalkit
never changes a user's global matplotlib configuration.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from matplotlib import font_manager

#: The font file inside the mplfonts package, and the family name it declares.
FONT_FILE = "NotoSansCJKsc-Regular.otf"
FONT_FAMILY = "Noto Sans CJK SC"
FALLBACK_FAMILY = "DejaVu Sans"


@cache
def cjk_font_path() -> Path:
    """The bundled Noto Sans CJK SC file (registered with matplotlib on first call).

    Raises
    ------
    FileNotFoundError
        When the installed ``mplfonts`` package lacks the font file.
    """
    path = Path(str(resources.files("mplfonts") / "fonts" / FONT_FILE))
    if not path.is_file():
        raise FileNotFoundError(f"the CJK font {FONT_FILE} is missing from the mplfonts package ({path})")
    manager = font_manager.fontManager
    manager.addfont(str(path))
    # A system font may declare the same family (Debian's fonts-noto-cjk ships a collection
    # with a "Noto Sans CJK SC" face): among equally good matches matplotlib takes the first
    # in its list, so the bundled file goes first, and charts are drawn with the same glyphs
    # on every machine.
    manager.ttflist.sort(key=lambda entry: entry.fname != str(path))
    manager._findfont_cached.cache_clear()
    return path


def chart_style() -> dict[str, Any]:
    """rcParams for report charts: CJK font with fallback, no mathtext, deterministic SVG.

    ``text.parse_math`` is off because labels are user data (scheme labels, district
    names): a ``$`` in a name must print as a dollar sign, not start a formula.
    """
    cjk_font_path()
    return {
        "font.family": [FONT_FAMILY, FALLBACK_FAMILY],
        "font.size": 9,
        "axes.unicode_minus": True,
        "text.parse_math": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "evalkit",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "axes.titleweight": "normal",
        "legend.frameon": False,
    }
