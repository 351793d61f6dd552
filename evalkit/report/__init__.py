"""Reports: per-pilot, per-district and per-standard reports and the campaign index (docs/reports.md).

The report notebooks (``notebooks/*.ipynb``) only call :class:`PilotReport`,
:class:`DistrictReport` and :class:`StandardReport`; :func:`index_page` renders ``index.html`` directly, and
:func:`evalkit.report.export.notebook_to_html` turns an executed notebook into a
self-contained page (it is not imported here, so that notebooks need not load nbconvert).

The names are imported on first use (PEP 562): importing a light submodule such as
:mod:`evalkit.report.layout` or :mod:`evalkit.report.provenance` does not load matplotlib and
the statistics — an ``evalkit run`` with nothing to render never needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalkit.report.pages import DistrictReport, PilotReport, StandardReport, index_page, quality_page

_PAGES = frozenset({"DistrictReport", "PilotReport", "StandardReport", "index_page", "quality_page"})

__all__ = ["DistrictReport", "PilotReport", "StandardReport", "index_page", "quality_page"]


def __getattr__(name: str) -> Any:
    if name in _PAGES:
        from evalkit.report import pages

        value = getattr(pages, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evalkit.report' has no attribute {name!r}")
