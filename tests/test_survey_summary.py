"""evalkit.survey_summary: construct levels, intervals and α per pilot.

Expected values come from hand computation with the metric definition of docs/metrics.md, from
pingouin 0.7's ``cronbach_alpha`` (test-only dependency) and from ``scipy.stats.t.interval``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from evalkit.questionnaire import Construct, Item, Questionnaire
from evalkit.stats import cronbach_alpha
from evalkit.survey_summary import SUMMARY_COLUMNS, construct_summary, recode_answers


def questionnaire(
    scale: tuple[int, int], items: dict[str, tuple[str, bool]], labels: dict[str, str]
) -> Questionnaire:
    """A questionnaire from {item: (construct, reverse)} and {construct: label}."""
    return Questionnaire(
        id="test",
        title="",
        scale_min=scale[0],
        scale_max=scale[1],
        constructs={c: Construct(label=label) for c, label in labels.items()},
        items={
            name: Item(construct=construct, group="staff", label=name, reverse=reverse)
            for name, (construct, reverse) in items.items()
        },
        path=Path("pilot-survey.yaml"),
    )


LIKERT = questionnaire(
    (1, 5),
    {
        "Q1": ("awareness", False),
        "Q2": ("awareness", True),
        "Q3": ("awareness", False),
        "C1": ("satisfaction", False),
    },
    {"awareness": "标准知晓", "satisfaction": "服务满意度"},
)


def surveys(rows: list[tuple[str, float, float, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["pilot_id", "Q1", "Q2", "Q3", "C1"])
    return frame.assign(respondent_id=range(1, len(frame) + 1), group="staff")


HAND = surveys(
    [
        ("P2", 5, 1, 4, np.nan),
        ("P2", 4, 2, np.nan, np.nan),
        ("P2", 3, 3, 3, np.nan),
        ("P2", 4, 1, 5, np.nan),
        ("P1", 2, 4, 2, 5),
        ("P1", np.nan, np.nan, np.nan, 4),
        ("P1", 3, 3, 4, 4),
    ]
)


def test_columns_rows_and_order():
    summary = construct_summary(HAND, LIKERT)
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary[["pilot_id", "construct"]].values.tolist() == [
        ["P1", "awareness"],
        ["P1", "satisfaction"],
        ["P2", "awareness"],
        ["P2", "satisfaction"],
    ]
    assert summary["construct_label"].tolist() == ["标准知晓", "服务满意度", "标准知晓", "服务满意度"]


def test_score_is_the_spec_metric_by_hand():
    # docs/metrics.md, survey.<construct>: mean of all non-missing answers, Q2 reverse-coded (6 - x),
    # rescaled (mean - 1) / 4. P2 awareness answers: 5 5 4 | 4 4 | 3 3 3 | 4 5 5 -> 45 / 11.
    # P1 awareness: 2 2 2 | 3 3 4 -> 16 / 6; P1 satisfaction: 5 4 4 -> 13 / 3.
    summary = construct_summary(HAND, LIKERT).set_index(["pilot_id", "construct"])
    assert summary.at[("P2", "awareness"), "mean"] == pytest.approx(45 / 11)
    assert summary.at[("P2", "awareness"), "score"] == pytest.approx((45 / 11 - 1) / 4)
    assert summary.at[("P1", "awareness"), "score"] == pytest.approx((16 / 6 - 1) / 4)
    assert summary.at[("P1", "satisfaction"), "score"] == pytest.approx((13 / 3 - 1) / 4)
    # survey.<construct>.n: respondents with at least one answer in the construct
    assert summary["n"].to_dict() == {
        ("P1", "awareness"): 2,
        ("P1", "satisfaction"): 3,
        ("P2", "awareness"): 4,
        ("P2", "satisfaction"): 0,
    }


def test_pilot_without_answers_to_a_construct_has_nan_row():
    row = construct_summary(HAND, LIKERT).set_index(["pilot_id", "construct"]).loc[("P2", "satisfaction")]
    assert row["n"] == 0
    assert row[["mean", "score", "ci_low", "ci_high", "alpha"]].isna().all()


def test_interval_is_scipy_t_interval_of_respondent_means():
    # P2 awareness respondent means (recoded): 14/3, 4, 3, 14/3; scipy.stats.t.interval, rescaled.
    means = np.array([14 / 3, 4, 3, 14 / 3])
    low, high = sps.t.interval(0.80, len(means) - 1, loc=means.mean(), scale=sps.sem(means))
    row = (
        construct_summary(HAND, LIKERT, confidence=0.80)
        .set_index(["pilot_id", "construct"])
        .loc[("P2", "awareness")]
    )
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(((low - 1) / 4, (high - 1) / 4))


def test_interval_is_truncated_to_the_unit_range():
    near_top = surveys([("P1", 5, 1, 5, 5), ("P1", 5, 1, 5, 5), ("P1", 4, 1, 5, 5)])
    row = construct_summary(near_top, LIKERT).iloc[0]
    assert row["ci_high"] == 1.0
    assert 0 <= row["ci_low"] < row["score"]


def test_alpha_per_pilot_matches_pingouin():
    # pingouin.read_dataset("cronbach_alpha"): 15 respondents, 10 items on a 1-7 scale;
    # pg.cronbach_alpha(...) = 0.5917188485995826 for the whole table (pingouin 0.7 docstring).
    wide = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    items = list(wide.columns)
    q = questionnaire((1, 7), dict.fromkeys(items, ("c", False)), {"c": "满意度"})
    second = wide.iloc[::-1].reset_index(drop=True).astype(float)
    second.iloc[0, 3] = np.nan  # listwise: drops one respondent of pilot B
    data = pd.concat([wide.reset_index(drop=True).assign(pilot_id="A"), second.assign(pilot_id="B")])
    summary = construct_summary(data, q).set_index("pilot_id")
    assert summary.at["A", "alpha"] == pytest.approx(0.5917188485995826, abs=1e-12)
    expected_b, _ = pg.cronbach_alpha(second.dropna())
    assert summary.at["B", "alpha"] == pytest.approx(expected_b, abs=1e-12)


def test_alpha_equals_stats_cronbach_alpha_on_random_pilots():
    rng = np.random.default_rng(11)
    items = {"Q1": ("a", False), "Q2": ("a", True), "Q3": ("a", False), "Q4": ("a", False)}
    q = questionnaire((1, 5), items, {"a": "知晓"})
    answers = pd.DataFrame(rng.integers(1, 6, size=(120, 4)).astype(float), columns=list(items))
    answers = answers.mask(rng.random(answers.shape) < 0.1)
    data = answers.assign(pilot_id=rng.choice(["P1", "P2", "P3", "P4"], size=120))
    summary = construct_summary(data, q).set_index("pilot_id")
    recoded = recode_answers(data, q)
    for pilot, group in recoded.groupby(data["pilot_id"]):
        assert summary.at[pilot, "alpha"] == pytest.approx(cronbach_alpha(group).value, abs=1e-12)


def test_alpha_nan_without_warnings_when_undefined():
    # one-item construct (satisfaction), < 3 complete respondents (P1 awareness: 2), constant item.
    constant = surveys([("P3", 4, 2, 3, 5), ("P3", 4, 1, 5, 4), ("P3", 4, 3, 4, 3)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = construct_summary(pd.concat([HAND, constant]), LIKERT).set_index(["pilot_id", "construct"])
    assert np.isnan(summary.at[("P1", "satisfaction"), "alpha"])
    assert np.isnan(summary.at[("P1", "awareness"), "alpha"])
    assert np.isnan(summary.at[("P3", "awareness"), "alpha"])
    assert not np.isnan(summary.at[("P2", "awareness"), "alpha"])


def test_single_respondent_has_no_interval():
    row = construct_summary(surveys([("P1", 4, 2, 4, 5)]), LIKERT).iloc[0]
    assert row["n"] == 1 and row["score"] == pytest.approx(0.75)
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])


def test_answer_outside_the_scale_is_named():
    bad = HAND.copy()
    bad.loc[2, "Q3"] = 9
    with pytest.raises(ValueError, match="row 2, item Q3: 9 is outside the scale 1–5"):
        construct_summary(bad, LIKERT)


def test_missing_item_column_is_named():
    with pytest.raises(ValueError, match="no column for questionnaire item\\(s\\) C1"):
        construct_summary(HAND.drop(columns="C1"), LIKERT)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["P1", "P2"]), *[st.one_of(st.none(), st.integers(1, 5))] * 4),
        min_size=1,
        max_size=25,
    )
)
def test_scores_and_intervals_stay_in_the_unit_range(rows):
    data = surveys([tuple(np.nan if v is None else v for v in row) for row in rows])
    summary = construct_summary(data, LIKERT)
    answered = summary.dropna(subset=["score"])
    assert answered["score"].between(0, 1).all()
    both = answered.dropna(subset=["ci_low"])
    assert (both["ci_low"] <= both["ci_high"]).all()
    assert both[["ci_low", "ci_high"]].stack().between(0, 1).all()
    assert (summary["n"] >= 0).all() and (summary.loc[summary["n"] == 0, "score"].isna()).all()
