"""What each report page shows, one module per page kind.

:mod:`~evalkit.report.context.facts` holds what pages share (group totals, ranks, scorecard
rows, links to standard pages, provenance); :mod:`~evalkit.report.context.pilot`,
:mod:`~evalkit.report.context.district`, :mod:`~evalkit.report.context.standard` and
:mod:`~evalkit.report.context.index` each build one page's context from a
:class:`~evalkit.scored.ScoredCampaign` and import only the facts module, never each
other. Every context function is a pure function of the scored campaign.
"""
