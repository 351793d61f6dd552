"""Report charts: matplotlib figures with Chinese labels, embedded as SVG data URIs.

Every chart is drawn on a :class:`matplotlib.figure.Figure` (no pyplot, no global state,
safe in any process or thread) under :func:`evalkit.report.fonts.chart_style`, and saved
as SVG with text as paths: the page needs no font to show it, it prints sharply at any
size, and the same data give the same bytes (no date, fixed ids). It is embedded in the
page as an ``<img>`` data URI, so a report is one self-contained file.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit.report.fonts import chart_style

WIDTH = 6.4  # inches: the printable width of an A4 page with 2 cm margins, a little less
PRIMARY = "#1f5fa8"
REFERENCE = "#e08a1e"
MUTED = "#c4ccd6"
PASS_LINE = "#c0392b"
TEXT = "#333333"
#: Characters of a label drawn in a chart at most (axis labels and legend entries); a longer
#: name from the data is cut with "…" so the plot keeps its width. The alt text has it in full.
LABEL_LENGTH = 24


@dataclass(frozen=True)
class Chart:
    """An embedded chart: ``src`` is a ``data:image/svg+xml;base64,…`` URI, ``alt`` its text."""

    src: str
    alt: str


def _embed(figure: Figure, alt: str) -> Chart:
    buffer = io.BytesIO()
    with mpl.rc_context(chart_style()):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return Chart("data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"), alt)


def _fit(label: object) -> str:
    """``label`` as drawn in a chart: at most :data:`LABEL_LENGTH` characters."""
    text = str(label)
    return text if len(text) <= LABEL_LENGTH else text[:LABEL_LENGTH - 1] + "…"


def _figure(height: float) -> Figure:
    with mpl.rc_context(chart_style()):
        return Figure(figsize=(WIDTH, height), layout="constrained")


def attainment_chart(labels: Sequence[str], values: Sequence[float], reference: Sequence[float], *,
                     value_label: str, reference_label: str) -> Chart:
    """Horizontal bars of attainment (0–1) per dimension, with a reference mean on each.

    Parameters
    ----------
    labels : sequence of str
        Dimension labels, drawn top to bottom.
    values : sequence of float
        Attainment of the pilot or district (points ÷ maximum).
    reference : sequence of float
        The reference attainment (e.g. the city mean), drawn as a marker.
    value_label, reference_label : str
        Legend entries.
    """
    with mpl.rc_context(chart_style()):
        figure = _figure(0.45 * len(labels) + 0.9)
        axes = figure.add_subplot()
        y = np.arange(len(labels))[::-1]
        percent = 100 * np.nan_to_num(np.asarray(values, dtype=float))
        bars = axes.barh(y, percent, height=0.6, color=PRIMARY, label=_fit(value_label))
        marks = axes.scatter(100 * np.asarray(reference, dtype=float), y, marker="D", s=28, color=REFERENCE,
                             edgecolors="white", linewidths=0.6, zorder=3, label=_fit(reference_label))
        for row, share in zip(y, percent, strict=True):  # a value column right of the axis: clear of the markers
            axes.text(103, row, f"{share:.1f}%", va="center", fontsize=8, color=TEXT)
        axes.set_yticks(y, [_fit(label) for label in labels])
        axes.set_xlim(0, 100)
        axes.set_xticks(range(0, 101, 20))
        axes.set_xlabel("得分率（%）")
        axes.legend(handles=[bars, marks], loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    alt = "；".join(f"{label} {100 * float(v):.1f}%" for label, v in zip(labels, np.nan_to_num(values), strict=True))
    return _embed(figure, f"{value_label}各维度得分率与{reference_label}对比：{alt}")


def construct_chart(frame: pd.DataFrame) -> Chart:
    """Survey construct scores (0–1) with confidence intervals, and the city mean.

    Parameters
    ----------
    frame : DataFrame
        Columns ``construct_label``, ``score``, ``ci_low``, ``ci_high``, ``city_score``.
    """
    with mpl.rc_context(chart_style()):
        figure = _figure(0.42 * len(frame) + 0.9)
        axes = figure.add_subplot()
        y = np.arange(len(frame))[::-1]
        score = 100 * frame["score"].to_numpy(dtype=float)
        low = 100 * frame["ci_low"].to_numpy(dtype=float)
        high = 100 * frame["ci_high"].to_numpy(dtype=float)
        has_ci = ~np.isnan(low) & ~np.isnan(high)
        axes.errorbar(score[has_ci], y[has_ci], xerr=[score[has_ci] - low[has_ci], high[has_ci] - score[has_ci]],
                      fmt="none", ecolor=PRIMARY, elinewidth=1.2, capsize=3)
        axes.scatter(score, y, color=PRIMARY, s=30, zorder=3, label="本试点（95% 置信区间）")
        axes.scatter(100 * frame["city_score"].to_numpy(dtype=float), y, marker="D", s=24, color=REFERENCE,
                     zorder=3, label="全市平均")
        axes.set_yticks(y, [_fit(label) for label in frame["construct_label"]])
        axes.set_xlim(0, 100)
        axes.set_xlabel("得分（换算为 0–100）")
        axes.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        axes.set_axisbelow(True)
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    alt = "；".join(f"{label} {s:.1f}" for label, s in zip(frame["construct_label"], np.nan_to_num(score), strict=True))
    return _embed(figure, f"问卷各维度得分：{alt}")


def distribution_chart(city: Sequence[float], group: Sequence[float], *, group_label: str,
                       pass_mark: float, maximum: float) -> Chart:
    """Histogram of the city's totals with a group's totals (e.g. one district) on top.

    The axis spans the data (and the pass mark) in bins of 5 points, not 0 to the maximum:
    totals bunch in 60–100, and on a 0–105 axis a district's pilots would be slivers.

    Parameters
    ----------
    city, group : sequence of float
        Totals of every pilot in the campaign, and of the group's pilots.
    group_label : str
        Legend entry of the group.
    pass_mark, maximum : float
        The scheme's pass mark (a vertical line) and the highest possible total.
    """
    totals = np.asarray(city, dtype=float)
    low, high = histogram_range(totals, pass_mark, maximum)
    bins = np.arange(low, high + 2.5, 5.0)
    with mpl.rc_context(chart_style()):
        figure = _figure(2.6)
        axes = figure.add_subplot()
        axes.hist(totals, bins=bins, color=MUTED, label="全市试点")
        axes.hist(np.asarray(group, dtype=float), bins=bins, color=PRIMARY, label=_fit(group_label))
        axes.axvline(pass_mark, color=PASS_LINE, linestyle="--", linewidth=1)
        axes.annotate(f"合格线 {pass_mark:g} 分", (pass_mark, 1), xycoords=("data", "axes fraction"),
                      xytext=(-4, -4), textcoords="offset points", ha="right", va="top", color=PASS_LINE, fontsize=8)
        axes.set_xlim(low, high)
        axes.set_xticks(bins)
        axes.set_xlabel("总分")
        axes.set_ylabel("试点数")
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.legend(loc="upper left")
    return _embed(figure, f"总分分布（{low:g}–{high:g} 分）：全市 {len(city)} 个试点，其中{group_label} {len(group)} 个")


def histogram_range(totals: np.ndarray, pass_mark: float, maximum: float) -> tuple[float, float]:
    """The axis of :func:`distribution_chart`: multiples of 5 around the totals and the pass
    mark, one empty bin of margin on each side, within 0 and ``maximum`` (rounded up to 5).

    Examples
    --------
    >>> histogram_range(np.array([61.7, 88.0, 99.3]), 80, 105)
    (55.0, 105.0)
    >>> histogram_range(np.array([20.75, 40.0, 89.5]), 80, 105)
    (15.0, 95.0)
    """
    values = np.append(totals[np.isfinite(totals)], pass_mark)
    top = 5.0 * math.ceil(maximum / 5.0)
    low = max(0.0, 5.0 * math.floor(values.min() / 5.0) - 5.0)
    high = min(top, 5.0 * math.floor(values.max() / 5.0) + 10.0)
    return low, high


def bar_chart(labels: Sequence[str], values: Sequence[float], *, xlabel: str, value_format: str = "{:g}",
              reference: float | None = None, reference_label: str = "") -> Chart:
    """Horizontal bars, one per label (top to bottom), with an optional vertical reference line.

    Parameters
    ----------
    labels : sequence of str
    values : sequence of float
    xlabel : str
        Axis title, e.g. ``"平均总分"``.
    value_format : str
        How each bar's value is printed beside it.
    reference : float, optional
        Position of a dashed reference line (e.g. the pass mark or the city mean).
    reference_label : str
        Its annotation.
    """
    numbers = np.nan_to_num(np.asarray(values, dtype=float))
    with mpl.rc_context(chart_style()):
        figure = _figure(0.3 * len(labels) + 0.9)
        axes = figure.add_subplot()
        y = np.arange(len(labels))[::-1]
        axes.barh(y, numbers, height=0.65, color=PRIMARY)
        top = max(float(numbers.max(initial=0)), reference or 0) or 1.0
        for row, value in zip(y, numbers, strict=True):
            axes.text(value + top * 0.01, row, value_format.format(value), va="center", fontsize=8, color=TEXT)
        if reference is not None:
            axes.axvline(reference, color=PASS_LINE, linestyle="--", linewidth=1)
            axes.annotate(reference_label, (reference, 1), xycoords=("data", "axes fraction"), xytext=(3, 2),
                          textcoords="offset points", ha="left", va="bottom", color=PASS_LINE, fontsize=8)
        axes.set_yticks(y, [_fit(label) for label in labels])
        axes.set_xlim(0, top * 1.12)
        axes.set_xlabel(xlabel)
        if np.array_equal(numbers, np.round(numbers)):
            axes.xaxis.get_major_locator().set_params(integer=True)
    alt = "；".join(f"{label} {value_format.format(v)}" for label, v in zip(labels, numbers, strict=True))
    return _embed(figure, f"{xlabel}：{alt}")
