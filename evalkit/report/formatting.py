"""How numbers read in the reports: the Jinja2 filters of :mod:`evalkit.report.html`.

Points are printed with the precision of ``scores.csv`` (four decimals) without trailing
zeros, so the total on a page is the very number in ``scores.csv`` and the grade next to
it never seems to contradict it (``79.9999`` is not shown as ``80.00``). Missing values
print as an em dash.
"""

from __future__ import annotations

import math
from typing import Any

from evalkit.rules import round_half_up
from evalkit.scoring import DECIMALS

MISSING = "—"


def is_missing(value: Any) -> bool:
    """True for None and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def points(value: Any) -> str:
    """Points as in ``scores.csv``, trailing zeros dropped: ``96.5``, ``93.1864``, ``15``.

    Examples
    --------
    >>> points(96.5), points(93.18640), points(15.0), points(None)
    ('96.5', '93.1864', '15', '—')
    """
    if is_missing(value):
        return MISSING
    text = f"{float(value):.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def number(value: Any, decimals: int = 2) -> str:
    """A measured value with fixed decimals, rounded half up as the scorecards' sentences are
    (:func:`evalkit.rules.round_half_up`).

    Examples
    --------
    >>> number(4.125), number(7.0), number(None)
    ('4.13', '7.00', '—')
    """
    if is_missing(value):
        return MISSING
    return f"{round_half_up(value, decimals):f}"


def percent(value: Any, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage: ``percent(0.8125) == '81.3%'``."""
    if is_missing(value):
        return MISSING
    return f"{round_half_up(value, decimals, percent=True):f}%"


def signed_percent(value: Any, decimals: int = 1) -> str:
    """A change as a signed percentage: ``signed_percent(0.2) == '+20.0%'``."""
    if is_missing(value):
        return MISSING
    return _signed(round_half_up(value, decimals, percent=True))


def percent_difference(value: Any, reference: Any, decimals: int = 1) -> str:
    """``value`` − ``reference`` as signed percentage points, the difference of the two
    percentages as :func:`percent` shows them (so the three numbers in a row agree):
    ``percent_difference(0.8514, 0.7996) == '+5.1%'`` (85.1 % − 80.0 %), where the
    difference of the shares themselves, 0.0518, would read +5.2 %."""
    if is_missing(value) or is_missing(reference):
        return MISSING
    return _signed(round_half_up(value, decimals, percent=True) - round_half_up(reference, decimals, percent=True))


def _signed(number: Any) -> str:
    """A signed percentage; zero (also a tiny fall rounded to -0.0) as ``+0.0%``."""
    return f"{abs(number) if number == 0 else number:+f}%"


def count(value: Any) -> str:
    """A count: ``count(3.0) == '3'``."""
    if is_missing(value):
        return MISSING
    return f"{int(value):d}"


def yes_no(value: Any, yes: str = "是", no: str = "否") -> str:
    """A flag in Chinese."""
    if is_missing(value):
        return MISSING
    return yes if value else no


def pvalue(value: Any) -> str:
    """A p value: three decimals, ``< 0.001`` below that."""
    if is_missing(value):
        return MISSING
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


FILTERS = {
    "points": points,
    "number": number,
    "percent": percent,
    "signed_percent": signed_percent,
    "percent_difference": percent_difference,
    "count": count,
    "yes_no": yes_no,
    "pvalue": pvalue,
}
