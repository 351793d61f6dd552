"""Standard implementation metrics (标准实施情况): one row per *standard*, not per pilot.

Bureaus ask per standard — above all their own local standards (DB31/T …) — whether it is
actually implemented, and how well. Every number here is computed for all standards of a
campaign at once from the same tables the pilot metrics read: the standards registers
(标准明细表), the inspection checklists (现场检查) and the questionnaire (问卷).

Standard identity
-----------------
Registers spell one code in several ways; a standard is identified by its *normalised code*
(:func:`evalkit.tables.standard_codes.normalise_codes`, which also defines an edition's year
and number).

Which standards
---------------
The standards of a campaign are the distinct normalised codes of its standards registers,
sorted. Inspection items and questionnaire items naming a code that no register lists are
not counted. A pilot listing one edition twice (two spellings) counts once; it counts as
implementing it when any of its rows says so, as listing it withdrawn when any says so.
A standard's ``title`` and ``level`` are the ones most of its register rows give (ties: the
first in sorted order).

The metrics (``standard.<key>``, see :data:`evalkit.catalogue.STANDARD_METRICS`)
-----------------------------------------------------------------------------------------
* ``pilots`` — pilots whose register lists the standard; ``implemented_pilots`` — of those,
  pilots that mark it implemented (是否实施); ``implemented_rate`` — their ratio.
* ``conformity_items`` — applicable inspection items (result ≠ na) tied to the standard, over
  all pilots; ``conformity_rate`` — (conform + 0.5 × partial) ÷ applicable, as
  ``inspection.conformity_rate``; ``conformity_low_rate`` / ``conformity_high_rate`` — the
  Wilson 95 % score interval of that rate (:func:`wilson_interval`; a partial item counts as
  half a success). All missing when no item was checked against the standard (the rate and
  interval also when none was applicable).
* ``critical_nonconformities`` — nonconform items flagged critical; ``critical_rate`` —
  their share of the nonconform items (missing without nonconformities).
* ``age_years`` — reference year − the edition's year, at least 0; the reference year is
  the year of the campaign's latest pilot ``end_date`` (never "today", so results do not
  change with the calendar); missing without a year in the code or without end dates.
* ``withdrawn_listed`` — pilots listing the edition with status withdrawn (废止);
  ``superseded_listed`` — pilots listing the edition while it is superseded (a newer edition
  of the same number appears in some register of the campaign) or listing it as withdrawn.
* ``awareness_rate`` — staff awareness (知晓率) from questionnaire items that name the
  standard (``standard:`` of an item): the mean of all answers to them by respondents of the
  pilots that list the standard, reverse-coded items recoded, rescaled to [0, 1] like
  ``survey.<construct>``; ``awareness_respondents`` — respondents with at least one such
  answer. Both missing when no item names the standard.

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
   inference. *Journal of the American Statistical Association*, 22(158), 209–212.
.. [2] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
   comparison of seven methods. *Statistics in Medicine*, 17(8), 857–872.
.. [3] GB/T 24421.4-2023 服务业组织标准化工作指南 第4部分：标准实施及评价.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.campaign import Campaign
from evalkit.catalogue import MetricRef
from evalkit.metrics import inspection
from evalkit.tables.standard_codes import code_numbers, code_years, normalise_codes
from evalkit.tolerance import TOLERANCE

__all__ = ["EVIDENCE", "LABEL_COLUMNS", "measure", "reported_codes", "standard_metrics", "wilson_interval"]

#: Columns that name a standard in ``standards_scores.csv``, before the scores.
LABEL_COLUMNS = ("std_code", "title", "level", "pilots")

#: metric key -> the columns of :func:`standard_metrics` shown as its evidence
_CONFORMITY = ("inspected_pilots", "checked", "applicable", "conform", "partial", "nonconform", "ci_low", "ci_high")
_LISTING = ("pilots", "implemented", "withdrawn", "superseded", "newest")
_AWARENESS = ("items", "respondents", "answers", "mean_answer", "scale_min", "scale_max")
EVIDENCE = {
    "pilots": ("pilots", "implemented"),
    "implemented_pilots": ("pilots", "implemented"),
    "implemented_rate": ("pilots", "implemented"),
    "conformity_items": _CONFORMITY,
    "conformity_rate": _CONFORMITY,
    "conformity_low_rate": _CONFORMITY,
    "conformity_high_rate": _CONFORMITY,
    "critical_nonconformities": ("applicable", "nonconform", "critical_nonconform"),
    "critical_rate": ("applicable", "nonconform", "critical_nonconform"),
    "age_years": ("year", "reference_year"),
    "withdrawn_listed": _LISTING,
    "superseded_listed": _LISTING,
    "awareness_rate": _AWARENESS,
    "awareness_respondents": _AWARENESS,
}

# --------------------------------------------------------------------------- statistics


#: ``-scipy.special.ndtri(p)`` of the usual ``p`` (a test checks every bit against scipy),
#: so that scoring does not import scipy.special (0.1–0.2 s) for a constant.
_UPPER_NORMAL_QUANTILES = {0.025: 1.9599639845400545, 0.005: 2.575829303548901, 0.05: 1.6448536269514729}


def _normal_quantile(p: float) -> float:
    """The upper ``p`` quantile of the standard normal distribution, as scipy computes it."""
    if p in _UPPER_NORMAL_QUANTILES:
        return _UPPER_NORMAL_QUANTILES[p]
    from scipy.special import (
        ndtri,  # (scipy.special: 0.1–0.2 s to import; statsmodels: 0.5 s more)
    )

    return float(-ndtri(p))


def wilson_interval(successes: np.ndarray | Sequence[float], n: np.ndarray | Sequence[float],
                    alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of binomial proportions, vectorised.

    With :math:`\\hat p = x/n` and :math:`z = \\Phi^{-1}(1 - \\alpha/2)`,

    .. math::

        \\frac{\\hat p + \\frac{z^2}{2n} \\pm z\\sqrt{\\frac{\\hat p(1-\\hat p)}{n} + \\frac{z^2}{4n^2}}}
             {1 + \\frac{z^2}{n}}

    Unlike the Wald interval it stays inside [0, 1] and keeps its coverage for small ``n``
    and proportions near 0 or 1 (Newcombe 1998, method 3) — the usual case for a standard
    checked on a handful of items. ``successes`` may be fractional (a partially conforming
    item counts half).

    Parameters
    ----------
    successes, n : array-like
        Successes and trials; ``n`` = 0 gives NaN bounds.
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    low, high : ndarray
        The bounds, NaN where ``n`` is 0.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. *JASA*, 22(158), 209–212.
    .. [2] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
       comparison of seven methods. *Statistics in Medicine*, 17(8), 857–872, Table I.

    Examples
    --------
    Newcombe (1998) Table I, 81/263 and 0/20:

    >>> low, high = wilson_interval([81, 0], [263, 20])
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([0.2553, 0.0], [0.3662, 0.1611])
    """
    x = np.asarray(successes, dtype=float)
    trials = np.asarray(n, dtype=float)
    low, high = np.full(x.shape, np.nan), np.full(x.shape, np.nan)
    some = trials > 0
    if some.any():
        # the operations of statsmodels' proportion_confint(method="wilson"), in its order, so
        # the bits are the same (a test compares them); z = norm.isf(alpha / 2) = -ndtri(alpha / 2)
        z = _normal_quantile(alpha / 2.0)
        z2 = z**2
        trials_some = trials[some]
        p = x[some] / trials_some
        denominator = 1 + z2 / trials_some
        centre = (p + z2 / (2 * trials_some)) / denominator
        half = z * np.sqrt(p * (1.0 - p) / trials_some + z2 / (4.0 * trials_some**2))
        half /= denominator
        low[some], high[some] = centre - half, centre + half
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


# --------------------------------------------------------------------------- the table


def _register(campaign: Campaign) -> pd.DataFrame:
    """The standards registers with normalised codes: one row per register row."""
    table = campaign.table("standards")
    if table is None:
        raise ValueError("standard metrics need the standards table, which the campaign does not provide")
    return pd.DataFrame({
        "std_code": normalise_codes(table["std_code"]).to_numpy(dtype=object),
        "pilot_id": table["pilot_id"].to_numpy(dtype=object),
        "title": table["title"].to_numpy(dtype=object),
        "level": table["level"].to_numpy(dtype=object),
        "implemented": table["implemented"].fillna(False).to_numpy(dtype=bool),
        "withdrawn": table["status"].eq("withdrawn").to_numpy(dtype=bool),
    }).dropna(subset=["std_code", "pilot_id"])


def _listings(register: pd.DataFrame) -> pd.DataFrame:
    """One row per (standard, pilot) listing it, sorted: ``implemented`` and ``withdrawn`` flags."""
    return register.groupby(["std_code", "pilot_id"], sort=True)[["implemented", "withdrawn"]].any()


def _most_common(register: pd.DataFrame, column: str, index: pd.Index) -> pd.Series:
    """Per standard, the value of ``column`` most rows give (ties: first in sorted order); '' if none."""
    # counted on integer codes (the order of a code is the order of its value): grouping and
    # sorting 10^5 rows of text is much slower
    standards = index.get_indexer(register["std_code"])
    values, names = pd.factorize(register[column], sort=True)
    given = (standards >= 0) & (values >= 0)
    pairs, rows = np.unique(standards[given].astype(np.int64) * len(names) + values[given], return_counts=True)
    standard, value = np.divmod(pairs, max(len(names), 1))
    order = np.lexsort((value, -rows, standard))  # by standard, then most rows, then first value
    best = order[np.r_[True, standard[order][1:] != standard[order][:-1]]] if len(order) else order
    found = np.full(len(index), "", dtype=object)
    found[standard[best]] = np.asarray(names, dtype=object)[value[best]]
    return pd.Series(found, index=index, name=column)


def standard_metrics(campaign: Campaign) -> pd.DataFrame:
    """Every standard metric and its evidence for every standard of a campaign.

    Parameters
    ----------
    campaign : Campaign
        A loaded campaign with a standards table.

    Returns
    -------
    DataFrame
        Index ``std_code`` (normalised, sorted). Label columns ``title``, ``level``,
        ``number``, ``year``, ``newest`` (the newest edition of the same number in the
        campaign), ``superseded`` (bool); one float column per metric key of
        :data:`~evalkit.catalogue.STANDARD_METRICS` (NaN = missing, see the module
        notes); and the evidence counts ``implemented``, ``withdrawn``,
        ``inspected_pilots``, ``checked``, ``applicable``, ``conform``, ``partial``,
        ``nonconform``, ``na``, ``critical_nonconform``, ``ci_low``, ``ci_high``,
        ``reference_year``, ``items``, ``respondents``, ``answers``, ``mean_answer``,
        ``scale_min``, ``scale_max``.

    Raises
    ------
    ValueError
        When the campaign has no standards table.
    """
    register = _register(campaign)
    listings = _listings(register)
    codes = listings.index.get_level_values("std_code")
    index = pd.Index(codes.unique(), name="std_code", dtype=object)
    position = index.get_indexer(codes)
    size = len(index)

    def per_standard(flags: np.ndarray | pd.Series) -> np.ndarray:
        return np.bincount(position, weights=np.asarray(flags, dtype=float), minlength=size)

    frame = pd.DataFrame(index=index)
    frame["title"] = _most_common(register, "title", index)
    frame["level"] = _most_common(register, "level", index)
    editions = _editions(index)
    frame = frame.join(editions)
    superseded = frame["superseded"].to_numpy(dtype=bool)
    frame["pilots"] = per_standard(np.ones(len(listings)))
    frame["implemented"] = per_standard(listings["implemented"])
    frame["withdrawn"] = per_standard(listings["withdrawn"])
    frame["implemented_pilots"] = frame["implemented"]
    frame["implemented_rate"] = frame["implemented"] / frame["pilots"]
    frame["withdrawn_listed"] = frame["withdrawn"]
    frame["superseded_listed"] = per_standard(superseded[position] | listings["withdrawn"].to_numpy(dtype=bool))
    frame["reference_year"] = _reference_year(campaign)
    frame["age_years"] = (frame["reference_year"] - frame["year"]).clip(lower=0)
    frame = frame.join(_conformity(campaign, index))
    frame = frame.join(_awareness(campaign, index, listings))
    for column in ("pilots", "implemented", "withdrawn", "implemented_pilots", "withdrawn_listed",
                   "superseded_listed"):
        frame[column] = frame[column].astype(float)
    return frame


def report_threshold(campaign: Campaign) -> int:
    """How many pilots must implement a standard for it to get its own report by default:
    ``standard_reports_min_pilots``, and at least ``standard_reports_min_share`` of the
    campaign's pilots (3 of the demo's 48 pilots; 40 of 2,000).

    >>> from types import SimpleNamespace
    >>> import pandas as pd
    >>> report_threshold(SimpleNamespace(standard_reports_min_pilots=3, standard_reports_min_share=0.02,
    ...                                  pilots=pd.DataFrame(index=range(2000))))
    40
    """
    return max(campaign.standard_reports_min_pilots, math.ceil(campaign.standard_reports_min_share
                                                               * len(campaign.pilots) - TOLERANCE))


def reported_codes(campaign: Campaign, table: pd.DataFrame | None = None) -> list[str]:
    """The standards that get their own report by default, sorted by code.

    Those implemented by at least :func:`report_threshold` pilots, when the campaign has a
    standard implementation scheme; none otherwise. ``table`` is the campaign's
    :func:`standard_metrics`, when already at hand.
    """
    if getattr(campaign, "standard_scheme", None) is None:
        return []
    table = standard_metrics(campaign) if table is None else table
    return table.index[table["implemented_pilots"] >= report_threshold(campaign)].tolist()


def _editions(index: pd.Index) -> pd.DataFrame:
    """Number, year, newest edition and ``superseded`` of every standard (vectorised over codes)."""
    codes = pd.Series(index, index=index, dtype=object)
    editions = pd.DataFrame({"number": code_numbers(codes), "year": code_years(codes)}, index=index)
    ordered = editions.reset_index().sort_values(["number", "year", "std_code"], kind="stable", na_position="first")
    newest = ordered.drop_duplicates("number", keep="last").set_index("number")
    editions["newest"] = editions["number"].map(newest["std_code"])
    latest = editions["number"].map(newest["year"])
    editions["superseded"] = (editions["year"] < latest).to_numpy(dtype=bool)
    return editions


def _reference_year(campaign: Campaign) -> float:
    """Year of the latest pilot end date (NaN when no pilot has one)."""
    end = pd.to_datetime(campaign.pilots["end_date"]).max()
    return float("nan") if pd.isna(end) else float(end.year)


def _conformity(campaign: Campaign, index: pd.Index) -> pd.DataFrame:
    """Inspection counts, conformity rate with its Wilson interval and critical share per standard."""
    table = campaign.table("inspections")
    size = len(index)
    if table is None or "std_code" not in table:
        table = pd.DataFrame(columns=["pilot_id", "std_code", "result", "critical"])
    position = index.get_indexer(normalise_codes(table["std_code"]))
    tied = position >= 0
    rows = table[tied]
    tally = inspection.counts(rows, position[tied], size)
    pairs = pd.DataFrame({"standard": position[tied], "pilot": rows["pilot_id"].to_numpy(dtype=object)})
    inspected = np.bincount(pairs.drop_duplicates()["standard"].to_numpy(dtype=np.int64), minlength=size)
    checked = tally["checked"].to_numpy() > 0
    applicable = tally["applicable"].to_numpy(dtype=float)
    earned = inspection.conformity_earned(tally)
    nonconform = tally["nonconform"].to_numpy(dtype=float)
    critical = tally["critical_nonconform"].to_numpy(dtype=float)
    low, high = wilson_interval(earned, applicable)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({
            "inspected_pilots": inspected,
            **{name: tally[name].to_numpy() for name in ("checked", "applicable", "conform", "partial", "nonconform",
                                                         "na", "critical_nonconform")},
            "ci_low": low,
            "ci_high": high,
            "conformity_items": np.where(checked, applicable, np.nan),
            "conformity_rate": inspection.conformity_rate(tally),
            "conformity_low_rate": low,
            "conformity_high_rate": high,
            "critical_nonconformities": np.where(checked, critical, np.nan),
            "critical_rate": np.where(nonconform > 0, critical / nonconform, np.nan),
        }, index=index)
    return out


def _awareness(campaign: Campaign, index: pd.Index, listings: pd.DataFrame) -> pd.DataFrame:
    """Answers to questionnaire items naming a standard, by respondents of pilots listing it."""
    questionnaire = campaign.questionnaire
    low, high = questionnaire.scale_min, questionnaire.scale_max
    named = {name: item.standard for name, item in questionnaire.items.items() if getattr(item, "standard", None)}
    size = len(index)
    surveys = campaign.table("surveys")
    item_codes = normalise_codes(pd.Series(named, dtype=object))
    item_position = index.get_indexer(item_codes)
    items = np.bincount(item_position[item_position >= 0], minlength=size)
    answers = np.zeros(size)
    total = np.zeros(size)
    respondents = np.zeros(size)
    positions = {name: position for name, position in zip(named, item_position) if position >= 0}
    present = [name for name in positions if surveys is not None and name in surveys]
    if present:
        # on integer codes: a survey row counts for an item's standard when its pilot lists it
        row_pilots, pilot_ids = pd.factorize(surveys["pilot_id"])
        listed_standards = index.get_indexer(listings.index.get_level_values("std_code"))
        listed_pilots = pilot_ids.get_indexer(listings.index.get_level_values("pilot_id"))
        where, values = [], []
        answered: dict[int, np.ndarray] = {}  # standard -> the survey rows answering an item naming it
        for name in present:
            position = positions[name]
            listing = np.zeros(len(pilot_ids) + 1, dtype=bool)  # the last entry: code -1, no pilot
            listing[listed_pilots[(listed_standards == position) & (listed_pilots >= 0)]] = True
            answer = surveys[name].to_numpy(dtype=float)
            counted = listing[row_pilots] & ~np.isnan(answer)
            answer = answer[counted]
            values.append(low + high - answer if questionnaire.items[name].reverse else answer)
            where.append(np.full(len(answer), position))
            answered[position] = answered.get(position, counted) | counted
        where_all = np.concatenate(where)
        answers = np.bincount(where_all, minlength=size).astype(float)
        total = np.bincount(where_all, weights=np.concatenate(values), minlength=size)
        for position, rows in answered.items():  # (pilot, respondent) is the surveys' key: a row is a person
            respondents[position] = rows.sum()
    asked = items > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(answers > 0, total / answers, np.nan)
    return pd.DataFrame({
        "items": items,
        "respondents": np.where(asked, respondents, 0.0).astype(np.int64),
        "answers": answers.astype(np.int64),
        "mean_answer": mean,
        "scale_min": low,
        "scale_max": high,
        "awareness_rate": (mean - low) / (high - low),
        "awareness_respondents": np.where(asked, respondents, np.nan),
    }, index=index)


# --------------------------------------------------------------------------- catalogue access


def measure(campaign: Campaign, refs: Sequence[MetricRef]) -> tuple[pd.Index, dict[str, np.ndarray],
                                                                     dict[str, pd.DataFrame], pd.DataFrame]:
    """Values and evidence of the requested ``standard.*`` metrics for every standard.

    Returns
    -------
    index : Index
        ``std_code`` of every standard (normalised, sorted).
    values : dict of str to ndarray
        Metric name -> float values aligned with ``index``.
    evidence : dict of str to DataFrame
        Metric name -> the columns of :func:`standard_metrics` behind it, indexed like ``index``.
    labels : DataFrame
        The label columns of ``standards_scores.csv``: ``title``, ``level`` and ``pilots``
        (an integer count), indexed like ``index``.
    """
    table = standard_metrics(campaign)
    values = {ref.name: table[ref.key].to_numpy(dtype=float) for ref in refs}
    evidence = {ref.name: _evidence(table, ref.key) for ref in refs}
    labels = table[["title", "level"]].assign(pilots=table["pilots"].to_numpy(dtype=np.int64))
    return table.index, values, evidence, labels


def _evidence(table: pd.DataFrame, key: str) -> pd.DataFrame:
    shown = table[list(EVIDENCE[key])].copy()
    for column in shown.columns:
        if column in ("pilots", "implemented", "withdrawn"):
            shown[column] = shown[column].astype(np.int64)
    return shown
