"""Data-quality flags: survey respondents (evalkit.respondents, evalkit.quality) and expert panels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.quality import OUTLIER_SHARE, expert_flags, flag_summary, survey_flags
from evalkit.respondents import MIN_DUPLICATE_ANSWERS, QualityPolicy, respondent_flags
from evalkit.stats import StatisticsWarning
from tests.campaign_factory import build_campaign, expert_scores, leaf, node, scheme, write_campaign

QUESTIONNAIRE = {
    "id": "q",
    "scale": {"min": 1, "max": 5},
    "constructs": {"awareness": {"label": "标准知晓"}, "satisfaction": {"label": "服务满意度"}},
    "items": {
        "Q1": {"construct": "awareness", "group": "staff", "label": "我了解岗位标准"},
        "Q2": {"construct": "awareness", "group": "staff", "label": "我清楚岗位要求"},
        "Q3": {"construct": "awareness", "group": "staff", "label": "我不清楚岗位标准", "reverse": True},
        "C1": {"construct": "satisfaction", "group": "client", "label": "您对服务是否满意"},
    },
}
SURVEY_SCHEME = scheme([node("A", [leaf("A1", "survey.awareness", 50), leaf("A2", "survey.satisfaction", 50)])])


def respondent(pilot_id: str, respondent_id: str, group: str = "staff", **answers: float | None) -> dict:
    return {"pilot_id": pilot_id, "respondent_id": respondent_id, "group": group,
            **{item: answers.get(item) for item in QUESTIONNAIRE["items"]}}


@pytest.fixture
def survey_campaign(tmp_path):
    rows = [respondent("P1", "R1", Q1=4, Q2=5, Q3=2),
            respondent("P1", "R2", Q1=3, Q2=3, Q3=3),      # the same answer to all three, reverse item too
            respondent("P1", "R3", Q1=4, Q2=5, Q3=2),      # R1's answers again (no metadata)
            respondent("P1", "R4", Q1=2, Q2=2, Q3=None),   # alike, but not every item answered
            respondent("P1", "C1", "client", C1=5),
            respondent("P2", "R1", Q1=5, Q2=4, Q3=1)]
    return build_campaign(tmp_path, pilots=["P1", "P2"], scheme=SURVEY_SCHEME, questionnaire=QUESTIONNAIRE,
                          surveys=rows)


def test_straightlining_counts_the_whole_block_reverse_items_included(survey_campaign):
    flags = survey_flags(survey_campaign)
    assert flags.loc[flags["straightlining"], "respondent_id"].tolist() == ["R2"]
    assert not flags["too_fast"].any()  # no durations: nobody is too fast
    assert list(flags.columns) == ["pilot_id", "respondent_id", "group", "straightlining", "duplicate", "too_fast",
                                   "flagged", "excluded"]


def test_without_metadata_short_identical_answers_are_not_duplicates(survey_campaign):
    # three items answered: identical answers happen by chance and prove nothing
    assert MIN_DUPLICATE_ANSWERS > 3
    assert not survey_flags(survey_campaign)["duplicate"].any()


def test_metadata_decides_duplicates_and_too_fast(survey_campaign):
    surveys = survey_campaign.tables["surveys"].copy()
    surveys["submitted_at"] = pd.to_datetime(["2023-05-01 09:00", "2023-05-01 09:05", "2023-05-01 09:00",
                                              "2023-05-01 10:00", "2023-05-01 11:00", "2023-05-02 09:00"])
    surveys["duration_s"] = [300.0, 45.0, 300.0, np.nan, 120.0, 59.9]
    surveys["ip"] = ["10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.4", pd.NA]
    flags = survey_flags(survey_campaign.replace(surveys=surveys))
    # R3 repeats R1's answers and metadata; the first of the two is the respondent
    assert flags.loc[flags["duplicate"], "respondent_id"].tolist() == ["R3"]
    assert flags.loc[flags["too_fast"], ["pilot_id", "respondent_id"]].values.tolist() == [["P1", "R2"], ["P2", "R1"]]
    # same answers but other metadata: not a copy
    surveys.loc[surveys["respondent_id"].eq("R3") & surveys["pilot_id"].eq("P1"), "ip"] = "10.0.0.9"
    assert not survey_flags(survey_campaign.replace(surveys=surveys))["duplicate"].any()
    # same IP and submission time, whatever the answers: a copy
    surveys.loc[surveys["respondent_id"].eq("R4"), ["ip", "submitted_at"]] = ["10.0.0.1", pd.Timestamp("2023-05-01 09:00")]
    assert survey_flags(survey_campaign.replace(surveys=surveys)).query("duplicate")["respondent_id"].tolist() == ["R4"]


def test_all_na_metadata_is_the_same_as_none(survey_campaign):
    surveys = survey_campaign.tables["surveys"].assign(submitted_at=pd.NaT, duration_s=np.nan, ip=pd.NA)
    with_na = survey_flags(survey_campaign.replace(surveys=surveys))
    pd.testing.assert_frame_equal(with_na, survey_flags(survey_campaign))


def test_long_identical_answer_vectors_are_duplicates_without_metadata():
    from evalkit.questionnaire import Construct, Item, Questionnaire

    items = {f"Q{i}": Item(construct="a", group="staff", label="…") for i in range(MIN_DUPLICATE_ANSWERS)}
    questionnaire = Questionnaire("q", "", 1, 5, {"a": Construct(label="知晓")}, items, None)
    answers = {f"Q{i}": [1 + i % 5, 1 + i % 5, 1 + (i + 1) % 5] for i in range(MIN_DUPLICATE_ANSWERS)}
    surveys = pd.DataFrame({"pilot_id": "P1", "respondent_id": ["R1", "R2", "R3"], "group": "staff", **answers})
    flags = respondent_flags(surveys, questionnaire)
    assert flags["duplicate"].tolist() == [False, True, False]
    assert flags["too_fast"].tolist() == [False] * 3


def test_too_fast_threshold_is_the_policy(survey_campaign):
    surveys = survey_campaign.tables["surveys"].assign(duration_s=[100.0, 200.0, 300.0, 400.0, 50.0, 10.0])
    flags = respondent_flags(surveys, survey_campaign.questionnaire, QualityPolicy(too_fast_seconds=150))
    assert flags["too_fast"].tolist() == [True, False, False, False, True, True]


def test_flag_summary_shares(survey_campaign):
    summary = flag_summary(survey_flags(survey_campaign))
    assert summary.loc["P1", ["respondents", "straightlining", "flagged"]].tolist() == [5, 1, 1]
    assert summary.loc["P1", "share"] == pytest.approx(0.2)
    assert summary.loc["P2", "flagged"] == 0


def test_exclude_flagged_leaves_them_out_of_scoring(tmp_path):
    rows = [respondent("P1", "R1", Q1=4, Q2=4, Q3=2), respondent("P1", "R2", Q1=1, Q2=1, Q3=1),
            respondent("P1", "C1", "client", C1=5), respondent("P2", "R1", Q1=5, Q2=4, Q3=1),
            respondent("P2", "C1", "client", C1=4)]
    path = write_campaign(tmp_path, pilots=["P1", "P2"], scheme=SURVEY_SCHEME, questionnaire=QUESTIONNAIRE,
                          surveys=rows)
    kept = ek.load_campaign(path)
    assert kept.quality == QualityPolicy()
    with path.open("a", encoding="utf-8") as stream:
        stream.write("quality: {exclude_flagged: true, too_fast_seconds: 30}\n")
    excluded = ek.load_campaign(path)
    assert excluded.quality == QualityPolicy(exclude_flagged=True, too_fast_seconds=30)
    assert excluded.tables["surveys"]["respondent_id"].tolist() == ["R1", "C1", "R1", "C1"]
    assert excluded.excluded_respondents["respondent_id"].tolist() == ["R2"]
    assert [(n.kind, n.count) for n in excluded.notes] == [("excluded-respondents", 1)]
    assert str(excluded.notes[0]).endswith("1 flagged survey respondent(s) left out of scoring (quality: exclude_flagged)")
    flags = survey_flags(excluded)
    assert flags.loc[flags["excluded"], "respondent_id"].tolist() == ["R2"]
    assert len(flags) == 5  # the excluded respondent is still listed
    # awareness of P1: kept (4 + 4 + 4 + 1 + 1 + 5) / 6 answers -> only R1's (4, 4, 4)
    before, after = ek.score(kept).metrics, ek.score(excluded).metrics
    assert after.at["P1", "survey.awareness"] == pytest.approx((4 - 1) / 4)
    assert before.at["P1", "survey.awareness"] != after.at["P1", "survey.awareness"]
    assert after.at["P2", "survey.awareness"] == before.at["P2", "survey.awareness"]


# --------------------------------------------------------------------------- experts


EXPERT_SCHEME = scheme([node("A", [leaf("A1", "expert.A1", 10, "expert"), leaf("A2", "expert.A2", 10, "expert")])],
                       pass_mark=12, grades=[{"label": "优秀", "min": 16}, {"label": "合格", "min": 12},
                                             {"label": "不合格", "min": 0}], expert_aggregate="mean")


@pytest.fixture
def panel_campaign(tmp_path):
    rows = []
    for pilot, a1, a2 in (("P1", [9, 8, 9, 8], [8, 8, 7, 8]), ("P2", [6, 7, 6, 6], [6, 5, 6, 6]),
                          ("P3", [3, 4, 2, 3], [4, 3, 4, 9]), ("P4", [7, 6, 7, 6], [7, 6, 6, 7]),
                          ("P5", [8, 8, 8, 8], [8, 8, 8, 0])):
        rows += expert_scores(pilot, "A1", a1) + expert_scores(pilot, "A2", a2)
    return build_campaign(tmp_path, pilots=["P1", "P2", "P3", "P4", "P5"], scheme=EXPERT_SCHEME, experts=rows)


def test_expert_agreement_matches_the_statistics(panel_campaign):
    from evalkit.stats import icc, kendall_w

    flags = expert_flags(panel_campaign)
    experts = panel_campaign.tables["experts"]
    a1 = experts[experts["indicator_id"] == "A1"]
    table = icc(a1, "pilot_id", "expert_id", "score")
    row = flags.agreement.loc["A1"]
    assert (row["pilots"], row["experts"], row["max"]) == (5, 4, 10)
    assert row["icc2"] == pytest.approx(table.at["ICC2", "icc"])
    assert row["icc2k"] == pytest.approx(table.at["ICC2k", "icc"])
    assert row["kendall_w"] == pytest.approx(kendall_w(a1.pivot(index="pilot_id", columns="expert_id",
                                                                values="score")).w)


def test_outlying_experts_are_named(panel_campaign):
    outliers = expert_flags(panel_campaign).outliers
    # P3's E4 gave A2 9 points where the others gave 4, 3, 4 (median 4): 5 ≥ 0.3 × 10; P5's E4 gave 0 against 8
    assert outliers[["pilot_id", "indicator_id", "expert_id"]].values.tolist() == [["P3", "A2", "E4"],
                                                                                   ["P5", "A2", "E4"]]
    assert outliers["others_median"].tolist() == [4, 8]
    assert outliers["deviation"].tolist() == [5, -8]
    assert (outliers["deviation"].abs() >= OUTLIER_SHARE * 10).all()


def test_leave_one_out_finds_the_decisive_expert(panel_campaign):
    scores = ek.score(panel_campaign)
    loo = expert_flags(panel_campaign, scores).leave_one_out
    # P5: 8 + 6 = 14 (合格); without E4 it is 8 + 8 = 16 (优秀)
    assert loo.loc["P5", ["grade", "grade_changes", "pass_changes", "decisive"]].tolist() == ["合格", True, False, "E4"]
    # P4: 6.5 + 6.5 = 13; leaving one expert out gives 12.6667 (E1), 13.3333 (E2), 13 (E3, E4)
    assert loo.loc["P4", ["total_min", "total_max"]].tolist() == [12.6667, 13.3333]
    # the vectorised re-scoring agrees with re-scoring each panel without one expert (campaign.replace)
    published = scores.table.set_index("pilot_id")
    for pilot in loo.index:
        totals = []
        for expert in ("E1", "E2", "E3", "E4"):
            rows = panel_campaign.tables["experts"]
            without = rows[~((rows["pilot_id"] == pilot) & (rows["expert_id"] == expert))]
            table = ek.score(panel_campaign.replace(experts=without)).table.set_index("pilot_id")
            totals.append(table.at[pilot, "total"])
            moved = (table.at[pilot, "grade"] != published.at[pilot, "grade"]
                     or table.at[pilot, "passed"] != published.at[pilot, "passed"])
            assert (expert in loo.at[pilot, "decisive"].split()) == moved
        assert loo.loc[pilot, ["total_min", "total_max"]].tolist() == [min(totals), max(totals)]


def test_expert_flags_need_experts(survey_campaign):
    with pytest.raises(ValueError, match="experts table"):
        expert_flags(survey_campaign)


# --------------------------------------------------------------------------- reliability, item analysis, rankings


@pytest.fixture(scope="module")
def demo():
    campaign = ek.load_campaign("params/demo.yaml")
    return campaign, ek.score(campaign)


def test_reliability_is_the_statistics_of_each_construct(demo):
    from evalkit import stats
    from evalkit.quality import construct_items, reliability
    from evalkit.survey_summary import recode_answers

    campaign, _ = demo
    table = reliability(campaign)
    answers = recode_answers(campaign.tables["surveys"], campaign.questionnaire)
    awareness = answers[campaign.questionnaire.items_of("awareness")]
    alpha = stats.cronbach_alpha(awareness)
    assert table.loc["awareness", ["n", "alpha", "alpha_low", "alpha_high"]].tolist() == pytest.approx(
        [alpha.n, alpha.value, alpha.ci_low, alpha.ci_high])
    assert table.loc["awareness", "omega"] == pytest.approx(stats.mcdonald_omega(awareness))
    assert table.loc["awareness", "kmo"] == pytest.approx(stats.kmo(awareness))
    assert table.loc["satisfaction", "label"] == "服务满意度"
    items = construct_items(campaign)
    q4 = items.set_index("item").loc["Q4"]
    assert bool(q4["reverse"]) and q4["construct"] == "awareness"
    # item analysis works on the respondents who answered every item of the construct
    complete = awareness.dropna()
    assert q4["n"] == len(complete)
    assert q4["alpha_if_deleted"] == pytest.approx(stats.cronbach_alpha(complete.drop(columns="Q4")).value)


def test_topsis_ranking_beside_the_points(demo):
    from evalkit.mcda import topsis
    from evalkit.ranking import compare_rankings

    _, scores = demo
    table = compare_rankings(scores)
    assert table["points_rank"].is_monotonic_increasing and table["points_rank"].iloc[0] == 1
    assert sorted(table["topsis_rank"]) == sorted(table["closeness"].rank(ascending=False, method="min").astype(int))
    leaves = ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3", "D1", "D2", "D3", "D4", "E1", "E2", "E3",
              "F1", "F2", "F3", "F4"]
    wide = scores.table.set_index("pilot_id")
    expected = topsis(pd.DataFrame({leaf: wide[leaf] / scores.maxima[leaf] for leaf in leaves}),
                      {leaf: scores.maxima[leaf] for leaf in leaves})
    assert table["closeness"].to_dict() == pytest.approx(expected.to_dict())
    assert 0.5 < table.attrs["spearman"] <= 1


def test_rankings_of_pilots_no_indicator_separates(tmp_path: Path) -> None:
    """One pilot (or pilots alike in every indicator): TOPSIS has no ideal to measure against;
    its rank is missing, not a crash of the workbench."""
    from evalkit.ranking import compare_rankings

    alike = build_campaign(tmp_path, pilots=["P1", "P2", "P3"],
                           scheme=scheme([node("A", [leaf("A1", "inspection.conformity_rate", 50),
                                                     leaf("A2", "survey.awareness", 50)])]))
    with pytest.warns(StatisticsWarning, match="no weighted criterion separates"):
        table = compare_rankings(ek.score(alike))
    assert table["points_rank"].tolist() == [1, 1, 1]
    assert table["closeness"].isna().all() and table["topsis_rank"].isna().all() and table["shift"].isna().all()
    assert np.isnan(table.attrs["spearman"])
