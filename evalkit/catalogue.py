"""The metric catalogue (docs/metrics.md): which names exist and which table each one needs.

A metric name is ``<source>.<rest>``; :func:`parse_metric` splits it, and
:func:`check_metric` tells whether a campaign can compute it. The computation of each
source lives in the module of the same name in :mod:`evalkit.metrics` (``standards``,
``inspection``, ``survey``, ``kpi``, ``expert``, ``pilot``); the names are kept apart from
the computations so that the scheme can check them without importing any.

Metrics belong to a *subject* (:data:`SUBJECTS`): the sources above give one value per
pilot; the ``standard`` source (:data:`STANDARD_METRICS`, computed in
:mod:`evalkit.metrics.per_standard`) gives one value per standard, for schemes with
``subject: standard``. A scheme may only read metrics of its own subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from evalkit.tables.vocabulary import CATEGORIES

#: metric source -> the table it is computed from
SOURCE_TABLES = {
    "standards": "standards",
    "inspection": "inspections",
    "survey": "surveys",
    "kpi": "kpis",
    "expert": "experts",
    "pilot": "pilots",
    "standard": "standards",
}

#: metric source -> the subject its metrics describe (one value per pilot or per standard)
SUBJECTS = {source: "standard" if source == "standard" else "pilot" for source in SOURCE_TABLES}

#: Metrics of the ``standard`` source (``standard.<key>``): one value per standard.
STANDARD_METRICS = (
    "pilots", "implemented_pilots", "implemented_rate",
    "conformity_items", "conformity_rate", "conformity_low_rate", "conformity_high_rate",
    "critical_nonconformities", "critical_rate",
    "age_years", "withdrawn_listed", "superseded_listed",
    "awareness_rate", "awareness_respondents",
)

FIXED_METRICS = {
    "standards": ("count", "current_rate", "implemented_rate", "adopted_count", "developed_count"),
    "inspection": ("items", "conformity_rate", "critical_nonconformities"),
    "kpi": ("improved_share",),
    "standard": STANDARD_METRICS,
}

LEVELS = tuple(CATEGORIES["level"])


@dataclass(frozen=True)
class MetricRef:
    """A parsed metric name: ``survey.awareness.n`` -> source ``survey``, key ``awareness``, part ``n``."""

    name: str
    source: str
    key: str
    part: str = ""


@dataclass
class CatalogueContext:
    """What a campaign offers, for checking metric names before any computation."""

    tables: set[str]
    constructs: set[str] | None = field(default_factory=set)  # None: unknown (questionnaire unreadable)
    pilot_columns: set[str] | None = field(default_factory=set)  # None: unknown (pilots table unreadable)
    #: Extra pilots columns that hold text, each with its first cell that is not a number or yes/no.
    pilot_text_columns: dict[str, str] = field(default_factory=dict)
    kpi_indicators: set[str] | None = None
    expert_indicators: set[str] | None = None


def parse_metric(name: str) -> MetricRef | None:
    """Split a metric name into source, key and part; None when it has no known shape."""
    source, dot, rest = name.partition(".")
    if not dot or source not in SOURCE_TABLES or not rest:
        return None
    if source == "standards" and rest.startswith("level_count."):
        return MetricRef(name, source, "level_count", rest.removeprefix("level_count."))
    if source == "kpi" and rest.endswith(".change"):
        return MetricRef(name, source, rest.removesuffix(".change"), "change")
    if source == "survey" and rest.endswith(".n"):
        return MetricRef(name, source, rest.removesuffix(".n"), "n")
    return MetricRef(name, source, rest)


def check_metric(name: str, context: CatalogueContext, subject: str = "pilot") -> str | None:
    """None when ``name`` can be computed for this campaign, else the reason it cannot.

    ``subject`` is the scheme's (``pilot`` or ``standard``): a metric of the other subject
    is refused.
    """
    ref = parse_metric(name)
    if ref is None:
        sources = ", ".join(f"{s}.*" for s in SOURCE_TABLES)
        return f"unknown metric '{name}' (metrics start with {sources})"
    if SUBJECTS[ref.source] != subject:
        uses = "standard.* metrics" if subject == "standard" else "per-pilot metrics (not standard.*)"
        return f"'{name}' is a per-{SUBJECTS[ref.source]} metric; a scheme with subject: {subject} uses {uses}"
    table = SOURCE_TABLES[ref.source]
    if table not in context.tables:
        return f"metric '{name}' needs the {table} table, which the campaign does not provide"
    if ref.source in FIXED_METRICS and ref.key in FIXED_METRICS[ref.source]:
        return None
    if ref.source == "standards" and ref.key == "level_count":
        return None if ref.part in LEVELS else f"unknown standard level '{ref.part}' (levels: {', '.join(LEVELS)})"
    if ref.source == "survey":
        if context.constructs is None or ref.key in context.constructs:
            return None
        return f"unknown survey construct '{ref.key}' (constructs: {', '.join(sorted(context.constructs))})"
    if ref.source == "kpi" and ref.part == "change":
        known = context.kpi_indicators
        if known is None or ref.key in known:
            return None
        return f"no KPI indicator '{ref.key}' in the kpis table"
    if ref.source == "expert":
        known = context.expert_indicators
        if known is None or ref.key in known:
            return None
        return f"no expert scores for indicator '{ref.key}' in the experts table"
    if ref.source == "standard":
        return f"unknown standard metric '{name}' (standard metrics: {', '.join(STANDARD_METRICS)})"
    if ref.source == "pilot":
        if context.pilot_columns is None or ref.key in context.pilot_columns:
            return None
        if ref.key in context.pilot_text_columns:
            return (f"column '{ref.key}' of the pilots table is not all numbers or yes/no "
                    f"({context.pilot_text_columns[ref.key]})")
        return f"the pilots table has no extra column '{ref.key}'"
    return f"unknown metric '{name}'"


def is_identifier(text: str) -> bool:
    """Scheme and pilot ids: ASCII letters, digits, ``_ . -``."""
    return re.fullmatch(r"[A-Za-z0-9_.\-]+", text) is not None
