"""How numbers read in the reports: the Jinja2 filters of :mod:`evalkit.report.html`.

One rule, shared with ``scores.xlsx`` (:mod:`evalkit.display`): points and totals with two
decimals (:func:`points`, :func:`total`), percentages with one (:func:`percent`), rounded
half up (四舍五入) as a person rounds the printed number. The numbers a scheme states —
maxima, the pass mark, grade bounds — read as written (:func:`stated`: ``满分 6 分``, not
``6.00``). A total is never rounded up onto a grade bound or the pass mark it does not
reach: 79.996 shows as ``79.99``, not as an ``80.00`` beside the grade 不合格. Full
precision stays in the data files and in the 评分依据 arithmetic, and every total cell
carries its exact value in a ``data-value`` attribute. Missing values print as an em dash.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable
from typing import Any, Protocol

from evalkit.display import PERCENT_DECIMALS, POINT_DECIMALS
from evalkit.rules import round_half_up
from evalkit.scoring import DECIMALS

MISSING = "—"


class _Marks(Protocol):
    """What :func:`total` needs of a scheme: its pass mark and grade bounds."""

    pass_mark: float
    grades: Iterable[Any]


def is_missing(value: Any) -> bool:
    """True for None and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def points(value: Any) -> str:
    """Points or a total with two decimals, rounded half up: ``96.50``, ``93.19``, ``15.00``.

    Examples
    --------
    >>> points(96.5), points(93.18640), points(4.125), points(15.0), points(None)
    ('96.50', '93.19', '4.13', '15.00', '—')
    """
    if is_missing(value):
        return MISSING
    return _unsigned_zero(f"{round_half_up(value, POINT_DECIMALS):f}")


def total(value: Any, scheme: _Marks) -> str:
    """A total as :func:`points`, except that it is never rounded up onto one of the
    scheme's marks (pass mark, grade bounds) that it does not reach: then it is cut.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> scheme = SimpleNamespace(pass_mark=80, grades=[SimpleNamespace(min=90), SimpleNamespace(min=80)])
    >>> total(79.9961, scheme), total(79.9949, scheme), total(80.0, scheme), total(93.1864, scheme)
    ('79.99', '79.99', '80.00', '93.19')
    """
    if is_missing(value):
        return MISSING
    shown = round_half_up(value, POINT_DECIMALS)
    marks = {decimal.Decimal(repr(float(m))) for m in (scheme.pass_mark, *(g.min for g in scheme.grades))}
    exact = decimal.Decimal(repr(float(value)))
    if any(exact < mark <= shown for mark in marks):
        shown = exact.quantize(decimal.Decimal(1).scaleb(-POINT_DECIMALS), decimal.ROUND_FLOOR)
    return _unsigned_zero(f"{shown:f}")


def exact(value: Any) -> str:
    """Points with the full precision of ``scores.csv`` (four decimals), trailing zeros
    dropped: the 评分依据 table, which an assessor compares with ``scorecards.jsonl``.

    Examples
    --------
    >>> exact(93.18640), exact(15.0), exact(None)
    ('93.1864', '15', '—')
    """
    if is_missing(value):
        return MISSING
    return _unsigned_zero(f"{float(value):.{DECIMALS}f}".rstrip("0").rstrip("."))


def stated(value: Any) -> str:
    """A number the scheme states (a maximum, the pass mark, a grade bound, a bonus cap):
    two decimals at most, without trailing zeros.

    Examples
    --------
    >>> stated(100.0), stated(4.4544), stated(2.5), stated(None)
    ('100', '4.45', '2.5', '—')
    """
    if is_missing(value):
        return MISSING
    text = f"{round_half_up(value, POINT_DECIMALS):f}".rstrip("0").rstrip(".")
    return _unsigned_zero(text)


def _unsigned_zero(text: str) -> str:
    return text.lstrip("-") if set(text) <= set("-0.") else text


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


def percent(value: Any, decimals: int = PERCENT_DECIMALS) -> str:
    """A share in [0, 1] as a percentage: ``percent(0.8125) == '81.3%'``."""
    if is_missing(value):
        return MISSING
    return f"{round_half_up(value, decimals, percent=True):f}%"


def signed_percent(value: Any, decimals: int = PERCENT_DECIMALS) -> str:
    """A change as a signed percentage: ``signed_percent(0.2) == '+20.0%'``."""
    if is_missing(value):
        return MISSING
    return _signed(round_half_up(value, decimals, percent=True))


def percent_difference(value: Any, reference: Any, decimals: int = PERCENT_DECIMALS) -> str:
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


def chinese_date(value: Any) -> str:
    """A date as written in Chinese documents: ``chinese_date(date(2023, 7, 20)) == '2023年7月20日'``."""
    if is_missing(value):
        return MISSING
    return f"{value.year}年{value.month}月{value.day}日"


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
    "total": total,
    "stated": stated,
    "exact": exact,
    "number": number,
    "percent": percent,
    "signed_percent": signed_percent,
    "percent_difference": percent_difference,
    "count": count,
    "chinese_date": chinese_date,
    "yes_no": yes_no,
    "pvalue": pvalue,
}
