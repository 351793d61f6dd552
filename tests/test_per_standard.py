"""Standard implementation evaluation: per-standard metrics, ``subject: standard`` schemes and their outputs.

The campaign below is small enough to compute every number by hand; the comments show
the arithmetic.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.campaign import Campaign
from evalkit.catalogue import STANDARD_METRICS
from evalkit.cli import main
from evalkit.errors import DataError
from evalkit.folder_lock import LOCK_FILE
from evalkit.load import load_campaign
from evalkit.metrics import compute_metrics, measure
from evalkit.metrics.per_standard import _most_common, standard_metrics, wilson_interval
from evalkit.outputs import read_scorecards, scorecards_jsonl, scores_csv, scores_xlsx, write_scores
from evalkit.scoring import score
from evalkit.tables.standard_codes import (
    _NORMAL_CODE,
    _normalise_code,
    _respelt_code,
    code_numbers,
    code_years,
    normalise_codes,
)
from tests.campaign_factory import QUESTIONNAIRE, leaf, node, scheme, write_campaign

NAN = float("nan")
Z = 1.959963984540054  # Φ⁻¹(0.975)

# The standards of the campaign, in std_code order (the normalised codes).
CODES = ["DB31/T 1000-2016", "DB31/T 1000-2020", "GB/T 24421.1-2023", "Q/上海 001"]

QUESTIONNAIRE_WITH_STANDARDS: dict[str, Any] = {
    **QUESTIONNAIRE,
    "items": {
        **QUESTIONNAIRE["items"],
        "S1": {"construct": "awareness", "group": "staff", "label": "我了解服务业组织标准化工作指南的要求",
               "standard": "GB/T24421.1-2023"},  # spelled without the space: normalised like the registers
        "S2": {"construct": "awareness", "group": "staff", "label": "我不清楚养老服务地方标准的要求",
               "reverse": True, "standard": "DB31/T 1000-2016"},
    },
}


def _standard(pilot_id: str, code: str, title: str, *, level: str = "national", status: str = "current",
              implemented: bool = True) -> dict[str, Any]:
    return {"pilot_id": pilot_id, "std_code": code, "title": title, "level": level, "status": status,
            "origin": "adopted", "implemented": "是" if implemented else "否"}


def _item(pilot_id: str, item_id: str, code: str | None, result: str, critical: bool = False) -> dict[str, Any]:
    return {"pilot_id": pilot_id, "item_id": item_id, "std_code": code, "result": result,
            "critical": "yes" if critical else "no"}


def _answers(pilot_id: str, respondent_id: str, **answers: float) -> dict[str, Any]:
    return {"pilot_id": pilot_id, "respondent_id": respondent_id, "group": "staff",
            **{item: answers.get(item) for item in QUESTIONNAIRE_WITH_STANDARDS["items"]}}


STANDARDS = [
    # GB/T 24421.1-2023, spelled three ways: listed by P1, P2, P3; implemented by P1 and P3
    _standard("P1", "GB/T 24421.1-2023", "服务业组织标准化工作指南 第1部分：基本要求"),
    _standard("P2", "GB/T24421.1-2023", "服务业组织标准化工作指南 第1部分：基本要求", implemented=False),
    _standard("P3", "ＧＢ／Ｔ　２４４２１．１－２０２３", "服务业组织标准化工作指南　第1部分"),
    # two editions of one local standard: the 2016 edition is superseded while P1 still lists it
    _standard("P1", "DB31/T 1000-2016", "养老机构服务规范", level="local"),
    _standard("P2", "DB31/T 1000-2020", "养老机构服务规范", level="local"),
    # an enterprise standard without a year in its code, listed as withdrawn
    _standard("P3", "Q/上海 001", "社区养老服务流程", level="enterprise", status="withdrawn"),
]

INSPECTIONS = [
    _item("P1", "I1", "GB/T 24421.1-2023", "conform"),
    _item("P1", "I2", "GB/T 24421.1-2023", "partial"),
    _item("P2", "I1", "GB/T24421.1-2023", "nonconform", critical=True),
    _item("P3", "I1", "GB/T 24421.1-2023", "na"),
    _item("P1", "I3", "DB31/T 1000-2016", "conform"),
    _item("P2", "I2", "DB31/T 1000-2020", "nonconform"),
    _item("P2", "I3", "DB31/T 1000-2020", "conform"),
    _item("P3", "I2", None, "conform"),              # tied to no standard
    _item("P3", "I3", "ISO 9001:2015", "conform"),   # a standard no register lists: not counted
]

SURVEYS = [
    _answers("P1", "R1", Q1=4, S1=5, S2=2),  # S2 is reverse-coded: 1 + 5 − 2 = 4
    _answers("P1", "R2", Q1=4, S1=4),
    _answers("P2", "R1", Q1=3, S1=3, S2=5),  # P2 does not list DB31/T 1000-2016: its S2 is not counted
    _answers("P3", "R1", Q1=2, S1=1),
]

STANDARD_SCHEME = scheme(
    [
        node("A", [leaf("A1", "standard.implemented_rate", 40),
                   leaf("A2", "standard.pilots", 20, "per_unit", per_unit=10)], label="实施覆盖"),
        node("B", [leaf("B1", "standard.conformity_rate", 40, "bands", bands=[[0.9, 40], [0.5, 20], [0.0, 0]])],
             label="实施质量"),
        node("X", [leaf("X1", "standard.awareness_rate", 5, "target", target=0.5)], label="知晓加分", bonus=True),
    ],
    id="test-standard-scheme", title="标准实施效果评价计分表（测试）", subject="standard", bonus_cap=5,
    vetoes=[{"id": "V1", "label": "发现关键项严重不符合", "metric": "standard.critical_nonconformities",
             "op": ">", "value": 0}],
)
PILOT_SCHEME = scheme([node("A", [leaf("A1", "inspection.conformity_rate", 100)])])


def write_standard_campaign(directory: Path, *, standard_scheme: dict[str, Any] | None = STANDARD_SCHEME,
                            pilot_scheme: dict[str, Any] = PILOT_SCHEME, standards: list[dict] | None = None,
                            inspections: list[dict] | None = None, surveys: list[dict] | None = None,
                            **campaign_keys: Any) -> Path:
    """The hand-computed campaign, with ``standard_scheme.yaml`` named in its campaign file."""
    path = write_campaign(directory, pilots=["P1", "P2", "P3"], scheme=pilot_scheme,
                          questionnaire=QUESTIONNAIRE_WITH_STANDARDS,
                          standards=STANDARDS if standards is None else standards,
                          inspections=INSPECTIONS if inspections is None else inspections,
                          surveys=SURVEYS if surveys is None else surveys)
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    if standard_scheme is not None:
        (directory / "standard_scheme.yaml").write_text(
            yaml.safe_dump(standard_scheme, allow_unicode=True, sort_keys=False), encoding="utf-8")
        settings["standard_scheme"] = "standard_scheme.yaml"
    settings.update(campaign_keys)
    path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Campaign:
    return load_campaign(write_standard_campaign(tmp_path_factory.mktemp("standards")))


@pytest.fixture(scope="module")
def table(campaign: Campaign) -> pd.DataFrame:
    return standard_metrics(campaign)


def metric(table: pd.DataFrame, key: str) -> list[float]:
    return table[key].tolist()


def same(actual: list[float], expected: list[float]) -> bool:
    return all((math.isnan(a) and math.isnan(e)) or math.isclose(a, e, abs_tol=1e-12)
               for a, e in zip(actual, expected, strict=True))


# --- codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "normalised"), [
    ("GB/T 24421.1-2023", "GB/T 24421.1-2023"),
    ("GB/T24421.1-2023", "GB/T 24421.1-2023"),
    ("ＧＢ／Ｔ　２４４２１．１－２０２３", "GB/T 24421.1-2023"),          # full width, ideographic space
    ("  gb / t   24421 . 1 — 2023 ", "GB/T 24421.1-2023"),       # case, spaces, em dash
    ("DB31/T1000-2016", "DB31/T 1000-2016"),
    ("DB31 1000-2016", "DB31 1000-2016"),                       # mandatory local standard: DB + province code
    ("DB 31/T 1000-2016", "DB31/T 1000-2016"),                  # the province code is the prefix's
    ("db 31 / t1000—2016", "DB31/T 1000-2016"),
    ("GB 50016-2014", "GB 50016-2014"),                         # a mandatory national standard keeps its space
    ("ISO9001：2015", "ISO 9001:2015"),
    ("ISO/IEC27001:2013", "ISO/IEC 27001:2013"),
    ("IEC 62271-1:2017", "IEC 62271-1:2017"),
    ("T/SHJT003-2022", "T/SHJT 003-2022"),
    ("Q/上海001", "Q/上海 001"),
    ("T/SH 001 2022", "T/SH 001 2022"),                         # no year suffix: left as written
])
def test_codes_are_normalised(written: str, normalised: str) -> None:
    assert normalise_codes(pd.Series([written])).tolist() == [normalised]


@settings(max_examples=500, deadline=None)
@given(st.from_regex(_NORMAL_CODE, fullmatch=True)
       | st.text(alphabet="ABDGTISO/ .:-—１３0123上", max_size=14))
def test_codes_taken_as_normal_are_what_respelling_gives(code: str) -> None:
    """The shortcut for codes already normal agrees with the full respelling, for codes it
    takes (generated from its own pattern) and for any other text."""
    assert _normalise_code.__wrapped__(code) == _respelt_code(code)


def test_missing_codes_stay_missing() -> None:
    out = normalise_codes(pd.Series(["GB 1-2020", None, np.nan], dtype=object))
    assert out.iloc[0] == "GB 1-2020" and out.iloc[1:].isna().all()


def test_years_and_numbers() -> None:
    codes = pd.Series(["GB/T 24421.1-2023", "ISO 9001:2015", "IEC 62271-1:2017", "IEC 62271-1", "Q/上海 001"])
    assert code_years(codes).tolist()[:3] == [2023, 2015, 2017]
    assert code_years(codes).iloc[3:].isna().all()
    assert code_numbers(codes).tolist() == ["GB/T 24421.1", "ISO 9001", "IEC 62271-1", "IEC 62271-1", "Q/上海 001"]


# --- Wilson interval ----------------------------------------------------------------------


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    # Newcombe (1998) Table I, method 3 (Wilson score interval without continuity correction)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_newcombe_1998(x: int, n: int, low: float, high: float) -> None:
    lows, highs = wilson_interval([x], [n])
    assert round(lows[0], 4) == low and round(highs[0], 4) == high


def test_wilson_interval_is_statsmodels_proportion_confint_to_the_bit() -> None:
    """Against an established implementation: statsmodels' ``proportion_confint(method="wilson")``
    (Seabold & Perktold 2010), fractional successes and several levels included."""
    from statsmodels.stats.proportion import proportion_confint

    rng = np.random.default_rng(7)
    n = rng.integers(1, 400, size=500).astype(float)
    x = np.round(rng.uniform(0, 1, size=500) * n * 2) / 2  # halves: a partly conforming item counts 0.5
    for alpha in (0.05, 0.01, 0.1, 0.2):  # the last without a stored quantile
        low, high = wilson_interval(x, n, alpha=alpha)
        expected_low, expected_high = proportion_confint(x, n, alpha=alpha, method="wilson")
        np.testing.assert_array_equal(low, np.clip(expected_low, 0, 1))
        np.testing.assert_array_equal(high, np.clip(expected_high, 0, 1))


def test_stored_normal_quantiles_are_scipys_to_the_bit() -> None:
    from scipy.special import ndtri

    from evalkit.metrics.per_standard import _UPPER_NORMAL_QUANTILES

    assert {p: float(-ndtri(p)) for p in _UPPER_NORMAL_QUANTILES} == _UPPER_NORMAL_QUANTILES


def test_wilson_interval_without_trials_is_missing() -> None:
    low, high = wilson_interval([0, 3], [0, 3])
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert high[1] == pytest.approx(1.0) and 0 < low[1] < 1


def wilson(x: float, n: float) -> tuple[float, float]:
    """Wilson (1927) by hand: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)."""
    p = x / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


# --- per-standard metrics, by hand ----------------------------------------------------------


def test_every_standard_once_under_its_normalised_code(table: pd.DataFrame) -> None:
    assert table.index.tolist() == CODES
    assert table.index.name == "std_code"
    assert table.loc["GB/T 24421.1-2023", "title"] == "服务业组织标准化工作指南 第1部分：基本要求"  # 2 rows of 3 say so
    assert table["level"].tolist() == ["local", "local", "national", "enterprise"]


def test_listing_and_implementation(table: pd.DataFrame) -> None:
    assert metric(table, "pilots") == [1, 1, 3, 1]
    assert metric(table, "implemented_pilots") == [1, 1, 2, 1]
    assert same(metric(table, "implemented_rate"), [1, 1, 2 / 3, 1])


def test_inspection_conformity_with_wilson_interval(table: pd.DataFrame) -> None:
    # GB/T 24421.1-2023: conform, partial, nonconform (critical) and one na -> (1 + 0.5) / 3
    # DB31/T 1000-2016: one conform -> 1; DB31/T 1000-2020: conform + nonconform -> 1/2; Q/上海 001: not inspected
    assert same(metric(table, "conformity_items"), [1, 2, 3, NAN])
    assert same(metric(table, "conformity_rate"), [1.0, 0.5, 0.5, NAN])
    expected = [wilson(1, 1), wilson(1, 2), wilson(1.5, 3)]
    assert same(metric(table, "conformity_low_rate"), [e[0] for e in expected] + [NAN])
    assert same(metric(table, "conformity_high_rate"), [e[1] for e in expected] + [NAN])
    assert table.loc["GB/T 24421.1-2023", "inspected_pilots"] == 3
    assert table.loc["GB/T 24421.1-2023", "checked"] == 4


def test_critical_nonconformities_and_their_share(table: pd.DataFrame) -> None:
    assert same(metric(table, "critical_nonconformities"), [0, 0, 1, NAN])
    assert same(metric(table, "critical_rate"), [NAN, 0.0, 1.0, NAN])  # 2016 edition: no nonconformity at all


def test_age_from_the_year_in_the_code_and_the_latest_end_date(table: pd.DataFrame) -> None:
    # every pilot ends 2023-05-31 (campaign_factory.pilot_rows)
    assert same(metric(table, "age_years"), [7, 3, 0, NAN])


def test_a_respondent_answering_two_items_on_one_standard_is_one_respondent(tmp_path: Path) -> None:
    questionnaire = {**QUESTIONNAIRE_WITH_STANDARDS, "items": {
        **QUESTIONNAIRE_WITH_STANDARDS["items"],
        "S3": {"construct": "awareness", "group": "staff", "label": "我能按服务业组织标准化工作指南开展工作",
               "standard": "GB/T 24421.1-2023"}}}
    surveys = [{**_answers("P1", "R1", Q1=4, S1=5, S2=2), "S3": 3},
               {**_answers("P1", "R2", Q1=4, S1=4), "S3": None},
               {**_answers("P2", "R1", Q1=3, S1=3), "S3": 5},
               {**_answers("P3", "R1", Q1=2), "S3": 4}]  # answers S3 only
    campaign = load_campaign(write_campaign(tmp_path, pilots=["P1", "P2", "P3"], scheme=PILOT_SCHEME,
                                            questionnaire=questionnaire, standards=STANDARDS,
                                            inspections=INSPECTIONS, surveys=surveys))
    gbt = standard_metrics(campaign).loc["GB/T 24421.1-2023"]
    # all three pilots list it: S1 5, 4, 3 and S3 3, 5, 4 -> 6 answers, mean 4 -> (4 − 1)/4; 4 people
    assert (gbt["items"], gbt["answers"], gbt["respondents"]) == (2, 6, 4)
    assert gbt["mean_answer"] == 4.0 and gbt["awareness_rate"] == 0.75


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["国家标准", "地方标准", "企业", None])),
                max_size=12))
def test_the_most_common_label_is_what_counting_each_standards_rows_gives(rows: list) -> None:
    register = pd.DataFrame(rows, columns=["std_code", "level"], dtype=object)
    index = pd.Index(["A", "B", "C", "D"], name="std_code", dtype=object)  # D: no rows
    expected = []
    for code in index:
        counts = register.loc[register["std_code"] == code, "level"].dropna().value_counts()
        tied = sorted(counts[counts == counts.max()].index) if len(counts) else [""]
        expected.append(tied[0])  # most rows; a tie goes to the first in sorted order
    assert _most_common(register, "level", index).tolist() == expected


def test_withdrawn_and_superseded_while_listed(table: pd.DataFrame) -> None:
    assert metric(table, "withdrawn_listed") == [0, 0, 0, 1]
    # the 2016 edition is listed by P1 while the 2020 edition appears in P2's register
    assert metric(table, "superseded_listed") == [1, 0, 0, 1]
    assert table["newest"].tolist() == ["DB31/T 1000-2020", "DB31/T 1000-2020", "GB/T 24421.1-2023", "Q/上海 001"]


def test_awareness_from_items_naming_the_standard(table: pd.DataFrame) -> None:
    # GB/T 24421.1-2023 (S1), all three pilots list it: answers 5, 4, 3, 1 -> mean 3.25 -> (3.25 − 1)/4
    # DB31/T 1000-2016 (S2, reversed), only P1 lists it: 1 + 5 − 2 = 4 -> (4 − 1)/4
    assert same(metric(table, "awareness_rate"), [0.75, NAN, 0.5625, NAN])
    assert same(metric(table, "awareness_respondents"), [1, NAN, 4, NAN])


def test_catalogue_names_every_column(campaign: Campaign, table: pd.DataFrame) -> None:
    names = [f"standard.{key}" for key in STANDARD_METRICS]
    values = compute_metrics(campaign, names, subject="standard")
    assert values.index.tolist() == CODES
    for key, name in zip(STANDARD_METRICS, names):
        assert same(values[name].tolist(), metric(table, key)), key
    evidence = measure(campaign, ["standard.conformity_rate"], "standard").evidence["standard.conformity_rate"]
    assert evidence.loc["GB/T 24421.1-2023", ["applicable", "conform", "partial", "nonconform"]].tolist() == [3, 1, 1, 1]


def test_metrics_of_the_other_subject_are_refused(campaign: Campaign) -> None:
    with pytest.raises(ValueError, match="per-standard metric"):
        compute_metrics(campaign, ["standard.pilots"])
    with pytest.raises(ValueError, match="per-pilot metric"):
        compute_metrics(campaign, ["inspection.items"], subject="standard")


def test_row_order_does_not_matter(tmp_path: Path, table: pd.DataFrame) -> None:
    rng = random.Random(5)
    shuffled = {name: rng.sample(rows, len(rows)) for name, rows in
                (("standards", STANDARDS), ("inspections", INSPECTIONS), ("surveys", SURVEYS))}
    again = standard_metrics(load_campaign(write_standard_campaign(tmp_path, **shuffled)))
    pd.testing.assert_frame_equal(again, table)


# --- scoring with a subject: standard scheme ------------------------------------------------


def test_standard_scheme_scores_by_hand(campaign: Campaign) -> None:
    scores = score(campaign, "standard")
    t = scores.table
    assert list(t.columns) == ["std_code", "title", "level", "pilots", "total", "grade", "passed", "vetoed", "missing",
                               "A", "A1", "A2", "B", "B1", "X", "X1"]
    assert t["std_code"].tolist() == CODES
    assert t["pilots"].tolist() == [1, 1, 3, 1]
    # A1 = 40 × implemented_rate; A2 = min(10 × pilots, 20); B1 bands on conformity; X1 = 5 × min(awareness / 0.5, 1)
    assert t["A1"].tolist() == [40, 40, 26.6667, 40]
    assert t["A2"].tolist() == [10, 10, 20, 10]
    assert t["B1"].tolist() == [40, 20, 20, 0]
    assert t["X1"].tolist() == [5, 0, 5, 0]
    assert t["total"].tolist() == [95, 70, 71.6667, 50]
    # GB/T 24421.1-2023 has a critical nonconformity: vetoed, lowest grade
    assert t["vetoed"].tolist() == [False, False, True, False]
    assert t["passed"].tolist() == [True, False, False, False]
    assert t["grade"].tolist() == ["优秀", "不合格", "不合格", "不合格"]
    card = scores.card("Q/上海 001")
    assert [card[k] for k in ("std_code", "title", "level", "pilots")] == ["Q/上海 001", "社区养老服务流程",
                                                                          "enterprise", 1]
    b1 = card["indicators"][1]["children"][0]
    assert b1["missing"] is True and b1["explanation"] == "指标B1：数据缺失，按0分计"
    assert scores.card("GB/T 24421.1-2023")["vetoes"][0]["triggered"] is True
    with pytest.raises(KeyError, match="no standard 'GB 1-2020'"):
        scores.card("GB 1-2020")


def test_a_campaign_without_standard_scheme_cannot_score_standards(tmp_path: Path) -> None:
    campaign = load_campaign(write_standard_campaign(tmp_path, standard_scheme=None))
    assert campaign.standard_scheme is None and campaign.standard_reports_min_pilots == 3
    with pytest.raises(ValueError, match="no standard scheme"):
        score(campaign, "standard")


def test_missing_error_names_every_standard(tmp_path: Path) -> None:
    strict = {**STANDARD_SCHEME, "missing": "error"}
    campaign = load_campaign(write_standard_campaign(tmp_path, standard_scheme=strict))
    with pytest.raises(DataError) as caught:
        score(campaign, "standard")
    messages = [p.message for p in caught.value.problems]
    assert "standard 'Q/上海 001' has no value for metric 'standard.conformity_rate' (the scheme says missing: error)" \
        in messages


# --- validation ------------------------------------------------------------------------------


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_campaign(path)
    return [str(p) for p in caught.value.problems]


def test_pilot_metrics_are_refused_in_a_standard_scheme(tmp_path: Path) -> None:
    wrong = scheme([node("A", [leaf("A1", "inspection.conformity_rate", 100)])], subject="standard",
                   vetoes=[{"id": "V1", "label": "否决", "metric": "pilot.major_incident", "op": "truthy"}])
    found = problems_of(write_standard_campaign(tmp_path, standard_scheme=wrong))
    assert any("standard_scheme.yaml" in p and "indicator 'A1': 'inspection.conformity_rate' is a per-pilot metric; "
               "a scheme with subject: standard uses standard.* metrics" in p for p in found), found
    assert any("veto 'V1': 'pilot.major_incident' is a per-pilot metric" in p for p in found), found


def test_standard_metrics_are_refused_in_a_pilot_scheme(tmp_path: Path) -> None:
    wrong = scheme([node("A", [leaf("A1", "standard.conformity_rate", 100)])])
    found = problems_of(write_standard_campaign(tmp_path, pilot_scheme=wrong))
    assert any("scheme.yaml" in p and "indicator 'A1': 'standard.conformity_rate' is a per-standard metric; "
               "a scheme with subject: pilot uses per-pilot metrics" in p for p in found), found


def test_unknown_standard_metric(tmp_path: Path) -> None:
    wrong = scheme([node("A", [leaf("A1", "standard.popularity", 100)])], subject="standard")
    found = problems_of(write_standard_campaign(tmp_path, standard_scheme=wrong))
    assert any("unknown standard metric 'standard.popularity'" in p for p in found), found


def test_schemes_must_match_their_campaign_key(tmp_path: Path) -> None:
    found = problems_of(write_standard_campaign(tmp_path, standard_scheme=PILOT_SCHEME))
    assert any("campaign.yaml" in p and "standard_scheme: scheme 'test-scheme' has subject: pilot, but "
               "standard_scheme takes a scheme with subject: standard" in p for p in found), found


def test_standard_scheme_needs_the_standards_table(tmp_path: Path) -> None:
    path = write_standard_campaign(tmp_path)
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    del settings["data"]["standards"]
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    found = problems_of(path)
    assert any("metric 'standard.implemented_rate' needs the standards table" in p for p in found), found


def test_campaign_keys_are_checked(tmp_path: Path) -> None:
    found = problems_of(write_standard_campaign(tmp_path, standard_reports_min_pilots=0))
    assert any("standard_reports_min_pilots" in p for p in found), found
    missing = write_standard_campaign(tmp_path / "missing")
    settings = yaml.safe_load(missing.read_text(encoding="utf-8"))
    settings["standard_scheme"] = "nowhere.yaml"
    missing.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    assert any("standard_scheme file not found: nowhere.yaml" in p for p in problems_of(missing))


def test_the_standard_scheme_is_an_input_file(campaign: Campaign) -> None:
    files = campaign.input_files()
    assert files["standard_scheme"] == campaign.standard_scheme.path
    assert "standard_scheme" in campaign.input_hashes()


# --- outputs ---------------------------------------------------------------------------------


def test_score_command_writes_standards_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               campaign: Campaign) -> None:
    assert main(["score", str(campaign.path), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "scored 3 pilots of test" in out and "scored 4 standards of test: 1 passed, 1 vetoed" in out
    files = sorted(p.name for p in (tmp_path / "out").iterdir() if p.name != LOCK_FILE)
    assert files == ["manifest.json", "scorecards.jsonl", "scores.csv", "scores.xlsx", "standards_scorecards.jsonl",
                     "standards_scores.csv"]
    lines = (tmp_path / "out" / "standards_scores.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "std_code,title,level,pilots,total,grade,passed,vetoed,missing,A,A1,A2,B,B1,X,X1"
    assert lines[4].startswith("Q/上海 001,社区养老服务流程,enterprise,1,50.0000,不合格,False,False,")
    assert lines[4].endswith(",50.0000,40.0000,10.0000,0.0000,0.0000,0.0000,0.0000")


def test_the_standards_get_scorecards_of_their_own(tmp_path: Path, campaign: Campaign) -> None:
    pilots, standards = score(campaign), score(campaign, "standard")
    written = write_scores(pilots, tmp_path / "out", standards)
    assert [p.name for p in written] == ["scores.csv", "scores.xlsx", "scorecards.jsonl", "standards_scores.csv",
                                         "standards_scorecards.jsonl"]
    assert read_scorecards(written[2].read_bytes()) == pilots.cards()
    assert read_scorecards(written[4].read_bytes()) == standards.cards()
    assert all("std_code" in card for card in standards.cards())


def test_pilot_outputs_are_byte_identical_with_or_without_a_standard_scheme(tmp_path: Path) -> None:
    with_standards = load_campaign(write_standard_campaign(tmp_path / "with"))
    without = load_campaign(write_standard_campaign(tmp_path / "without", standard_scheme=None))
    a, b = score(with_standards), score(without)
    assert scores_csv(a) == scores_csv(b) and scores_xlsx(a) == scores_xlsx(b)
    assert scorecards_jsonl(a) == scorecards_jsonl(b)
    written = write_scores(b, tmp_path / "out")
    assert [p.name for p in written] == ["scores.csv", "scores.xlsx", "scorecards.jsonl"]


def test_standard_outputs_do_not_depend_on_row_order(tmp_path: Path, campaign: Campaign) -> None:
    rng = random.Random(11)
    shuffled = load_campaign(write_standard_campaign(
        tmp_path, standards=rng.sample(STANDARDS, len(STANDARDS)), inspections=rng.sample(INSPECTIONS, len(INSPECTIONS)),
        surveys=rng.sample(SURVEYS, len(SURVEYS))))
    one, two = score(campaign, "standard"), score(shuffled, "standard")
    assert scores_csv(one) == scores_csv(two)
    assert scorecards_jsonl(one) == scorecards_jsonl(two)


# --- the shipped demo ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_standard_scheme_is_packaged_and_used_by_the_demo(tmp_path: Path) -> None:
    from evalkit.demo import STANDARD_SCHEME_FILE, packaged_file, write_demo
    from evalkit.scheme import load_scheme

    shipped = ROOT / "params" / "schemes" / STANDARD_SCHEME_FILE
    assert packaged_file(STANDARD_SCHEME_FILE).read_bytes() == shipped.read_bytes()
    standard_scheme, problems = load_scheme(shipped)
    assert problems == [] and standard_scheme.subject == "standard" and standard_scheme.total == 100
    assert len({leaf.rule.name for leaf in standard_scheme.leaves()}) >= 4
    generated = load_campaign(write_demo(tmp_path, pilots=12, seed=3))
    assert generated.standard_scheme is not None and generated.standard_reports_min_pilots == 3
    assert (tmp_path / "schemes" / STANDARD_SCHEME_FILE).read_bytes() == shipped.read_bytes()


def test_demo_standards_are_shared_and_evaluated() -> None:
    campaign = load_campaign(ROOT / "params" / "demo.yaml")
    assert campaign.standard_scheme is not None
    table = standard_metrics(campaign)
    popular = table[table["implemented_pilots"] >= campaign.standard_reports_min_pilots]
    assert len(popular) >= 20
    assert {"GB/T 24421.1-2023", "GB/T 24421.4-2023"} <= set(popular.index)
    local = popular[popular.index.str.startswith("DB31/T")]
    assert len(local) >= 3 and local["conformity_items"].notna().sum() >= 3
    assert (table["superseded_listed"] > table["withdrawn_listed"]).any()  # an old edition listed as current
    assert table["awareness_rate"].notna().sum() >= 1  # a questionnaire item names a local standard
    scores = score(campaign, "standard")
    assert scores.table["std_code"].tolist() == table.index.tolist()
    assert set(scores.table["grade"]) == {grade.label for grade in campaign.standard_scheme.grades}


def test_scoring_pilots_and_standards_imports_no_statistics_or_chart_stack(tmp_path: Path) -> None:
    """What keeps ``evalkit score`` quick to start (benchmarks/README.md): scoring the demo,
    standards and Wilson intervals included, loads neither SciPy, statsmodels nor matplotlib."""
    heavy = ("scipy", "statsmodels", "matplotlib")
    script = ("import sys\n"
              "from evalkit.cli import main\n"
              "code = main(['score', sys.argv[1], '--out', sys.argv[2]])\n"
              f"print(code, sorted(name for name in {heavy!r} if name in sys.modules))\n")
    demo = Path(__file__).resolve().parents[1] / "params" / "demo.yaml"
    done = subprocess.run([sys.executable, "-c", script, str(demo), str(tmp_path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 []"
    assert (tmp_path / "standards_scores.csv").is_file()


def test_which_standards_get_a_page_by_default_and_on_request(tmp_path: Path, campaign: Campaign) -> None:
    from dataclasses import replace

    from evalkit.batch.runner import _standard_pages
    from evalkit.metrics.per_standard import report_threshold, reported_codes
    from evalkit.scored import ScoredCampaign

    implemented = standard_metrics(campaign)["implemented_pilots"]
    assert report_threshold(campaign) == 3  # 2 % of 3 pilots is below the floor of 3 pilots
    assert reported_codes(campaign) == implemented.index[implemented >= 3].tolist()
    every = replace(campaign, standard_reports_min_pilots=1, standard_reports_min_share=0.0)
    assert reported_codes(every) == implemented.index[implemented >= 1].tolist()
    many = replace(campaign, tables={**campaign.tables, "pilots": pd.concat([campaign.pilots] * 100)})  # 300: 2 % is 6
    assert report_threshold(many) == 6 and report_threshold(replace(many, standard_reports_min_share=0.5)) == 150
    scored = ScoredCampaign.of(campaign)
    default = reported_codes(campaign)
    other = next(code for code in implemented.index if code not in default)
    assert _standard_pages(scored, None, {}) == default
    assert _standard_pages(scored, ["P1", other, "no such code"], {}) == [*default, other]  # on request
    earlier = {f"standards/{other}.html": {"kind": "standard", "parameters": {"std_code": other}}}
    assert _standard_pages(scored, None, earlier) == [*default, other]  # kept up to date once rendered
