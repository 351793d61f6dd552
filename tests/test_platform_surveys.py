"""Surveys as questionnaire platforms export them (问卷星, 腾讯问卷), read as they are.

Answers go in as values; the expected construct values are computed by hand from the same
values. Every export keeps its platform's metadata columns and question titles.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evalkit import DataError, load_campaign, score
from tests.campaign_factory import leaf, node, scheme, write_campaign
from tests.exports import AGREE, THREE, Question, Respondent, wjx_rows, write_xlsx

QUESTIONNAIRE = {
    "id": "platform-survey",
    "scale": {"min": 1, "max": 5},
    "options": {"agree": AGREE, "three": THREE},
    "constructs": {"awareness": {"label": "标准知晓"}, "satisfaction": {"label": "服务满意度"}},
    "items": {
        "Q1": {"construct": "awareness", "group": "staff", "label": "我了解本单位标准体系的总体框架和主要内容",
               "options": "agree"},
        "Q2": {"construct": "awareness", "group": "staff", "label": "我不清楚本岗位的工作应当依据哪些标准",
               "options": "agree", "reverse": True},
        "C1": {"construct": "satisfaction", "group": "client", "label": "您对本单位提供的服务总体是否满意",
               "options": "three"},
    },
}
QUESTIONS = [Question(item, spec["label"], {"agree": AGREE, "three": THREE}[spec["options"]])
             for item, spec in QUESTIONNAIRE["items"].items()]
UNITS = ("单位P1", "单位P2")
RESPONDENTS = [
    Respondent("单位P1", "员工", {"Q1": 5, "Q2": 2}),       # Q2 reversed: 6 − 2 = 4
    Respondent("单位P1", "员工", {"Q1": 4, "Q2": 1}),       # 4, 5
    Respondent("单位P1", "服务对象", {"C1": 3}),
    Respondent("单位P2", "员工", {"Q1": 2, "Q2": None}),    # skipped: (跳过) / -3
    Respondent("单位P2", "服务对象", {"C1": 1}),
    Respondent("单位P2", "服务对象", {"C1": 2}),
]
# awareness: P1 (5 + 4 + 4 + 5) ÷ 4 = 4.5 -> (4.5 − 1) ÷ 4 = 0.875; P2 (2 − 1) ÷ 4 = 0.25
# satisfaction (3-point items): P1 (3 − 1) ÷ 2 = 1; P2 ((1 − 1) + (2 − 1)) ÷ 2 ÷ 2 = 0.25
SCHEME = scheme([node("B", [leaf("B1", "survey.awareness", 60), leaf("B2", "survey.satisfaction", 40)])])
EXPECTED = {"P1": {"B1": 60 * 0.875, "B2": 40.0}, "P2": {"B1": 60 * 0.25, "B2": 40 * 0.25}}


def _campaign(tmp_path: Path, surveys: dict) -> Path:
    path = write_campaign(tmp_path, pilots=["P1", "P2"], scheme=SCHEME, questionnaire=QUESTIONNAIRE)
    campaign = yaml.safe_load(path.read_text(encoding="utf-8"))
    campaign["data"]["surveys"] = surveys
    path.write_text(yaml.safe_dump(campaign, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _by_position(tmp_path: Path) -> Path:
    rows = wjx_rows(QUESTIONS, RESPONDENTS, by="position", units=UNITS)
    return write_xlsx(tmp_path / "问卷星_按序号.xlsx", {"Sheet1": rows})


POSITION_SPEC = {
    "path": "问卷星_按序号.xlsx",
    "columns": {"pilot_id": "1、您所在的单位：", "group": "2、您的身份：", "respondent_id": "序号"},
    "values": {"pilot_id": {1: "P1", 2: "P2"}, "group": {1: "staff", 2: "client"}},
}


def test_wjx_download_by_option_number_scores_each_answer_as_its_option(tmp_path: Path) -> None:
    """问卷星 numbers options from the first shown (非常同意 = 1): read as positions, not values."""
    _by_position(tmp_path)
    campaign = load_campaign(_campaign(tmp_path, {**POSITION_SPEC, "coding": "position"}))
    table = score(campaign).table.set_index("pilot_id")
    for pilot, points in EXPECTED.items():
        for indicator, expected in points.items():
            assert table.at[pilot, indicator] == pytest.approx(expected, abs=1e-12), (pilot, indicator)


def test_wjx_download_by_option_number_without_a_coding_is_a_problem(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``coding`` a number is ambiguous: a problem naming the cell and the fix, never a guess."""
    monkeypatch.chdir(tmp_path)
    _by_position(tmp_path)
    with pytest.raises(DataError) as caught:
        load_campaign(_campaign(tmp_path, POSITION_SPEC))
    lines = [str(p) for p in caught.value.problems]
    assert any(line.startswith("问卷星_按序号.xlsx:2:") and "coding: position" in line and "coding: value" in line
               for line in lines), lines


TEXT_SPEC = {
    "path": "问卷星_按文本.csv",
    "columns": {"pilot_id": "1、您所在的单位：", "group": "2、您的身份：", "respondent_id": "序号"},
}


def test_wjx_text_download_as_gbk_csv_is_read_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """问卷星 按文本: GBK, metadata columns, question titles as headers, answers as text, (跳过);
    pilots named by their unit, 员工/服务对象 as the groups."""
    from evalkit.cli import main
    from tests.exports import write_csv

    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "问卷星_按文本.csv", wjx_rows(QUESTIONS, RESPONDENTS, by="text"))
    path = _campaign(tmp_path, TEXT_SPEC)
    campaign = load_campaign(path)
    table = score(campaign).table.set_index("pilot_id")
    for pilot, points in EXPECTED.items():
        for indicator, expected in points.items():
            assert table.at[pilot, indicator] == pytest.approx(expected, abs=1e-12), (pilot, indicator)
    surveys = campaign.tables["surveys"]
    assert surveys["duration_s"].tolist() == [120.0] * 6
    assert str(surveys["submitted_at"].iloc[0]) == "2023-04-12 09:31:07"
    assert surveys["ip"].iloc[0] == "101.88.12.4(上海-上海)"
    notes = {note.kind: str(note) for note in campaign.notes}
    assert notes["ignored-columns"] == "note: 问卷星_按文本.csv: 2 columns not used by the surveys table ignored: 来源, 来源详情"
    # 问卷星 writes (跳过) for the questions its logic skips: C1 for 3 staff, Q1 and Q2 for 3 clients, Q2 once
    assert notes["skipped-answers"] == "note: 问卷星_按文本.csv: 10 answers read as blank (missing): '(跳过)' × 10"
    assert notes["pilot-by-name"] == ("note: 问卷星_按文本.csv: 6 rows name their pilot by its name or unit, read as "
                                      "its id: 单位P1 → P1, 单位P2 → P2")
    assert main(["validate", "campaign.yaml"]) == 0
    err = capsys.readouterr().err
    assert "note: 问卷星_按文本.csv: 2 columns not used by the surveys table ignored: 来源, 来源详情" in err.splitlines()


def test_tencent_export_with_q_numbers_and_durations_in_minutes(tmp_path: Path) -> None:
    from tests.exports import tencent_rows

    respondents = [Respondent(r.unit, r.group, r.answers, seconds=95 + i) for i, r in enumerate(RESPONDENTS)]
    write_xlsx(tmp_path / "腾讯问卷.xlsx", {"答卷数据": tencent_rows(QUESTIONS, respondents)})
    spec = {"path": "腾讯问卷.xlsx",
            "columns": {"pilot_id": "Q1:您所在的单位", "group": "Q2:您的身份", "respondent_id": "编号"}}
    campaign = load_campaign(_campaign(tmp_path, spec))
    table = score(campaign).table.set_index("pilot_id")
    assert table.at["P1", "B1"] == pytest.approx(EXPECTED["P1"]["B1"])
    assert table.at["P2", "B2"] == pytest.approx(EXPECTED["P2"]["B2"])
    assert campaign.tables["surveys"]["duration_s"].tolist() == [95.0 + i for i in range(6)]
    assert str(campaign.tables["surveys"]["submitted_at"].iloc[0]) == "2023-04-12 09:31:07"


def test_items_of_three_and_five_points_share_a_construct(tmp_path: Path) -> None:
    """Each answer is rescaled on its own item's scale: (x − min) ÷ (max − min), then averaged."""
    questionnaire = {**QUESTIONNAIRE, "items": {
        **QUESTIONNAIRE["items"],
        "Q3": {"construct": "awareness", "group": "staff", "label": "我参加过标准宣贯培训", "options": "three"}}}
    questions = [*QUESTIONS, Question("Q3", "我参加过标准宣贯培训", THREE)]
    respondents = [Respondent("单位P1", "员工", {"Q1": 5, "Q2": 2, "Q3": 2}),
                   Respondent("单位P2", "员工", {"Q1": 2, "Q2": 4, "Q3": 3})]
    path = write_campaign(tmp_path, pilots=["P1", "P2"], scheme=scheme([node("B", [leaf("B1", "survey.awareness", 90)])]),
                          questionnaire=questionnaire)
    from tests.exports import write_csv

    write_csv(tmp_path / "问卷星_按文本.csv", wjx_rows(questions, respondents, by="text"))
    campaign_file = yaml.safe_load(path.read_text(encoding="utf-8"))
    campaign_file["data"]["surveys"] = TEXT_SPEC
    path.write_text(yaml.safe_dump(campaign_file, allow_unicode=True), encoding="utf-8")
    scores = score(load_campaign(path))
    # P1: Q1 (5 − 1)/4 = 1, Q2 reversed 6 − 2 = 4 -> (4 − 1)/4 = 0.75, Q3 (2 − 1)/2 = 0.5: mean 0.75
    # P2: Q1 (2 − 1)/4 = 0.25, Q2 reversed 2 -> 0.25, Q3 (3 − 1)/2 = 1: mean 0.5
    table = scores.table.set_index("pilot_id")
    assert table.at["P1", "B1"] == pytest.approx(90 * 0.75, abs=1e-12)
    assert table.at["P2", "B1"] == pytest.approx(90 * 0.5, abs=1e-12)
    evidence = next(leaf for leaf in scores.card("P1")["indicators"][0]["children"])["evidence"]
    assert evidence["scales"] == [{"min": 1, "max": 5, "items": ["Q1", "Q2"], "answers": 2, "answer_sum": 9.0},
                                  {"min": 1, "max": 3, "items": ["Q3"], "answers": 1, "answer_sum": 2.0}]
    from evalkit.report.audit import calculation  # the report writes the arithmetic out, checkable by hand

    assert calculation("survey.awareness", evidence, 0.75) == "((9 − 2 × 1) ÷ (5 − 1) + (2 − 1 × 1) ÷ (3 − 1)) ÷ 3 = 0.75"
    from evalkit.survey_summary import construct_summary

    summary = construct_summary(load_campaign(path).tables["surveys"], load_campaign(path).questionnaire)
    assert summary.set_index(["pilot_id", "construct"]).loc[("P1", "awareness"), "score"] == pytest.approx(0.75)


def _without_answer_sets(tmp_path: Path, surveys: dict) -> Path:
    """The campaign with the questionnaire as first-wave campaigns wrote it: items answered
    with scale points, no answer sets (every item on the 1–5 scale here)."""
    path = _campaign(tmp_path, surveys)
    questionnaire = {key: value for key, value in QUESTIONNAIRE.items() if key != "options"}
    questionnaire["items"] = {item: {key: value for key, value in spec.items() if key != "options"}
                              for item, spec in QUESTIONNAIRE["items"].items()}
    campaign = yaml.safe_load(path.read_text(encoding="utf-8"))
    (tmp_path / campaign["questionnaire"]).write_text(yaml.safe_dump(questionnaire, allow_unicode=True),
                                                      encoding="utf-8")
    return path


def test_wjx_download_by_option_number_is_never_read_as_scale_points_unless_the_campaign_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The silent reversal of a 问卷星 按序号 download (1 = 非常同意 read as the worst point)
    cannot happen with a questionnaire that declares no answer sets either: a platform's
    download (it has 提交答卷时间, 所用时间, 来自IP) whose answers are numbers must say what they
    are."""
    monkeypatch.chdir(tmp_path)
    _by_position(tmp_path)
    with pytest.raises(DataError) as caught:
        load_campaign(_without_answer_sets(tmp_path, POSITION_SPEC))
    by_item = {p.column: str(p) for p in caught.value.problems}
    assert set(by_item) == {"Q1", "Q2", "C1"}
    # the first answer of Q1 is row 2's position 1 (非常同意, value 5); two more of Q1's cells are numbers
    assert by_item["Q1"].startswith("问卷星_按序号.xlsx:2:Q1: '1' is a number in a questionnaire platform's download")
    assert by_item["Q1"].endswith("Write coding: value if the numbers are points of the scale 1–5, or give item 'Q1' "
                                  "its options and write coding: position (2 more such cells)")
    assert by_item["C1"].endswith("(2 more such cells)") and by_item["Q2"].endswith("(1 more such cell)")


def test_a_platform_download_of_scale_points_reads_with_coding_value(tmp_path: Path) -> None:
    """``coding: value``: the numbers are the scale's points, read as they are."""
    answered_with_points = [Question(question.item, question.title) for question in QUESTIONS]
    rows = wjx_rows(answered_with_points, RESPONDENTS, by="position", units=UNITS)
    write_xlsx(tmp_path / "问卷星_按序号.xlsx", {"Sheet1": rows})
    campaign = load_campaign(_without_answer_sets(tmp_path, {**POSITION_SPEC, "coding": "value"}))
    table = score(campaign).table.set_index("pilot_id")
    # C1 on the 1–5 scale now: P1 (3 − 1) ÷ 4 = 0.5; P2 ((1 − 1) + (2 − 1)) ÷ 2 ÷ 4 = 0.125
    assert table.at["P1", "B1"] == pytest.approx(EXPECTED["P1"]["B1"], abs=1e-12)
    assert table.at["P2", "B1"] == pytest.approx(EXPECTED["P2"]["B1"], abs=1e-12)
    assert table.at["P1", "B2"] == pytest.approx(40 * 0.5, abs=1e-12)
    assert table.at["P2", "B2"] == pytest.approx(40 * 0.125, abs=1e-12)


def test_coding_position_for_an_item_without_options_is_a_problem(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A position counts options; an item with none cannot be read by position."""
    monkeypatch.chdir(tmp_path)
    _by_position(tmp_path)
    with pytest.raises(DataError) as caught:
        load_campaign(_without_answer_sets(tmp_path, {**POSITION_SPEC, "coding": "position"}))
    lines = [str(p) for p in caught.value.problems]
    assert ("问卷星_按序号.xlsx:2:Q1: coding: position reads '1' as the position of an option, but item 'Q1' has no "
            "options: give it its answer set (options: in the questionnaire, in the order shown) "
            "(2 more such cells)") in lines, lines


def test_a_download_whose_metadata_columns_were_deleted_is_still_a_platform_download(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Staff often delete 提交答卷时间, 所用时间 and 来自IP (personal data) before passing a
    download on; its columns are still headed by the questions' titles (``3、我了解…``), so
    its numbers still need a stated coding — read as scale points they would be reversed."""
    monkeypatch.chdir(tmp_path)
    rows = wjx_rows(QUESTIONS, RESPONDENTS, by="position", units=UNITS)
    kept = [i for i, header in enumerate(rows[0]) if header not in ("提交答卷时间", "所用时间", "来源", "来源详情", "来自IP")]
    write_xlsx(tmp_path / "问卷星_按序号.xlsx", {"Sheet1": [[row[i] for i in kept] for row in rows]})
    with pytest.raises(DataError) as caught:
        load_campaign(_without_answer_sets(tmp_path, POSITION_SPEC))
    assert {p.column for p in caught.value.problems} == {"Q1", "Q2", "C1"}
    assert all("coding: value" in str(p) for p in caught.value.problems)
    # a tidy table whose columns are the items' ids is no platform's download: its numbers are scale points
    tidy = write_campaign(tmp_path / "tidy", pilots=["P1", "P2"], scheme=SCHEME,
                          questionnaire={**QUESTIONNAIRE, "options": {},
                                         "items": {item: {k: v for k, v in spec.items() if k != "options"}
                                                   for item, spec in QUESTIONNAIRE["items"].items()}})
    load_campaign(tidy)
