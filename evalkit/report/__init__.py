"""Reports: per-pilot and per-district acceptance reports and the campaign index (SPEC §8).

The report notebooks (``notebooks/*.ipynb``) only call :class:`PilotReport`,
:class:`DistrictReport` and :class:`StandardReport`; :func:`index_page` renders ``index.html`` directly, and
:func:`evalkit.report.export.notebook_to_html` turns an executed notebook into a
self-contained page (it is not imported here, so that notebooks need not load nbconvert).
"""

from evalkit.report.pages import DistrictReport, PilotReport, index_page
from evalkit.report.standard import StandardReport

__all__ = ["DistrictReport", "PilotReport", "StandardReport", "index_page"]
