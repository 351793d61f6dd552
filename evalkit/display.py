"""How numbers are shown to people: one rule for HTML pages, PDF and spreadsheets.

Points and totals are shown with :data:`POINT_DECIMALS` decimals (``93.19``), percentages
with :data:`PERCENT_DECIMALS` (``81.3%``), both rounded half up (四舍五入). Only the data
files (``scores.csv``, ``scorecards.jsonl``) and a report's 评分依据 arithmetic keep full
precision. The report filters (:mod:`evalkit.report.formatting`) and the number formats of
``scores.xlsx`` (:data:`XLSX_FORMATS`) follow these constants, so a total reads the same
on a page, on paper and in Excel. This module imports nothing, so that any layer may use it.
"""

from __future__ import annotations

#: Decimals of points and totals as shown.
POINT_DECIMALS = 2
#: Decimals of a percentage as shown.
PERCENT_DECIMALS = 1

#: Excel number formats of the same rule: the cell keeps the full value, Excel shows it
#: rounded ("points" for points and totals, "percent" for shares stored in [0, 1]).
XLSX_FORMATS = {
    "points": "0." + "0" * POINT_DECIMALS,
    "percent": "0." + "0" * PERCENT_DECIMALS + "%",
}
