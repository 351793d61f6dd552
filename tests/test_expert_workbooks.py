"""专家打分表 workbooks as experts keep them, and tidy expert tables spread over sheets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evalkit import DataError, load_campaign, score
from tests.campaign_factory import leaf, node, scheme, write_campaign
from tests.exports import expert_sheet, write_xlsx

SCHEME = scheme([node("A", [leaf("A1", "expert.A1", 10, "expert"), leaf("A2", "expert.A2", 6, "expert")])], pass_mark=12)


def _campaign(tmp_path: Path, experts: object) -> Path:
    path = write_campaign(tmp_path, pilots=["P1", "P2"], scheme=SCHEME)
    campaign = yaml.safe_load(path.read_text(encoding="utf-8"))
    campaign["data"]["experts"] = experts
    path.write_text(yaml.safe_dump(campaign, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _one_sheet_per_expert(tmp_path: Path) -> Path:
    header = ["pilot_id", "expert_id", "indicator_id", "score"]
    scores = {"张三": {"P1": (8, 5), "P2": (6, 4)}, "李四": {"P1": (9, 6), "P2": (7, 3)},
              "王五": {"P1": (7, 4), "P2": (5, 5)}}
    sheets = {expert: [header] + [[pilot, expert, indicator, value] for pilot, values in by_pilot.items()
                                  for indicator, value in zip(("A1", "A2"), values)]
              for expert, by_pilot in scores.items()}
    return write_xlsx(tmp_path / "专家评分.xlsx", sheets)


def test_a_workbook_with_one_sheet_per_expert_is_never_read_in_part_silently(tmp_path: Path) -> None:
    """Only the first sheet is read by default: the unread sheets are named in a note."""
    _one_sheet_per_expert(tmp_path)
    campaign = load_campaign(_campaign(tmp_path, "专家评分.xlsx"))
    notes = [str(note) for note in campaign.notes]
    assert any("专家评分.xlsx" in note and "李四" in note and "王五" in note and "not read" in note
               for note in notes), notes


def test_sheets_all_reads_every_expert(tmp_path: Path) -> None:
    _one_sheet_per_expert(tmp_path)
    campaign = load_campaign(_campaign(tmp_path, {"path": "专家评分.xlsx", "sheets": "all"}))
    table = score(campaign).table.set_index("pilot_id")
    # mean of the three experts: P1 A1 (8 + 9 + 7) ÷ 3 = 8, A2 (5 + 6 + 4) ÷ 3 = 5;
    # P2 A1 (6 + 7 + 5) ÷ 3 = 6, A2 (4 + 3 + 5) ÷ 3 = 4
    assert table.loc["P1", ["A1", "A2"]].tolist() == pytest.approx([8, 5])
    assert table.loc["P2", ["A1", "A2"]].tolist() == pytest.approx([6, 4])
    assert len(campaign.tables["experts"]) == 12


INDICATORS = [("A1", "标准体系框架科学合理", 10), ("A2", "标准明细表完整", 6)]


def _keep_book(tmp_path: Path) -> Path:
    """Two experts' sheets as experts keep them: title, 评审专家 line, 8分, a blank, 合计 formulas
    without saved values, a 合计 row, a hidden row, a 说明 footnote."""
    zhang = expert_sheet("张三", INDICATORS, {"P1": {"A1": "8分", "A2": 5}, "P2": {"A1": 6, "A2": None}})
    li = expert_sheet("李四", INDICATORS, {"P1": {"A1": 9, "A2": "6 分"}, "P2": {"A1": 7, "A2": 3}})
    return write_xlsx(tmp_path / "专家打分表.xlsx", {"第1位": zhang, "第2位": li}, hidden_rows={"第2位": [5]})


def test_expert_workbooks_as_experts_keep_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _keep_book(tmp_path)
    campaign = load_campaign(_campaign(tmp_path, {"path": "专家打分表.xlsx", "sheets": "all", "layout": "wide"}))
    experts = campaign.tables["experts"]
    assert sorted(set(experts["expert_id"])) == ["张三", "李四"], "named by the 评审专家 line, not the sheet"
    table = score(campaign).table.set_index("pilot_id")
    # P1: A1 (8 + 9) ÷ 2 = 8.5, A2 (5 + 6) ÷ 2 = 5.5; P2: A1 (6 + 7) ÷ 2 = 6.5, A2 3 (张三's blank is not a 0)
    assert table.loc["P1", ["A1", "A2"]].tolist() == pytest.approx([8.5, 5.5])
    assert table.loc["P2", ["A1", "A2"]].tolist() == pytest.approx([6.5, 3.0])
    notes = [str(note) for note in campaign.notes]
    assert "note: 专家打分表.xlsx#第1位: 1 blank score cell: not scored by expert '张三' (not 0) (row 5)" in notes
    assert "note: 专家打分表.xlsx#第1位: 1 row of totals (合计, 总计, 小计, 平均) dropped (row 6)" in notes
    assert "note: 专家打分表.xlsx#第1位: 1 row with only the first cell filled (section headings, 说明 notes) " \
           "dropped (row 7)" in notes
    assert "note: 专家打分表.xlsx#第2位: 1 row hidden in Excel read as any other (row 5)" in notes
    assert any("专家打分表.xlsx#第1位: 3 columns of the 专家打分表 ignored: 序号, 试点名称, 合计" in note for note in notes)
    assert any("header on row 3" in note for note in notes)


def test_a_formula_without_a_saved_value_is_refused_only_where_it_is_read(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = expert_sheet("张三", INDICATORS, {"P1": {"A1": "=4*2", "A2": 5}, "P2": {"A1": 6, "A2": 4}})
    write_xlsx(tmp_path / "张三.xlsx", {"Sheet1": rows})
    with pytest.raises(DataError) as caught:
        load_campaign(_campaign(tmp_path, {"path": "张三.xlsx", "layout": "wide"}))
    assert [str(p) for p in caught.value.problems] == [
        "张三.xlsx:4:A1标准体系框架科学合理（10分）: the cell holds a formula (=4*2) without a saved value: open the "
        "workbook in Excel and save it, so that its values are stored"], "the 合计 formulas are not read"


def test_one_file_per_expert_named_by_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "打分").mkdir()
    names = {"P1": "试点P1", "P2": "试点P2"}
    write_xlsx(tmp_path / "打分" / "王五.xlsx",
               {"Sheet1": expert_sheet(None, INDICATORS, {"P1": {"A1": 10, "A2": 6}, "P2": {"A1": 4, "A2": 2}},
                                       names=names)})
    write_xlsx(tmp_path / "打分" / "赵六.xlsx",
               {"Sheet1": expert_sheet(None, INDICATORS, {"P1": {"A1": 8, "A2": 4}, "P2": {"A1": 6, "A2": 4}},
                                       names=names)})
    campaign = load_campaign(_campaign(tmp_path, {"path": "打分/*.xlsx", "layout": "wide"}))
    assert sorted(set(campaign.tables["experts"]["expert_id"])) == ["王五", "赵六"]
    table = score(campaign).table.set_index("pilot_id")
    assert table.loc["P1", ["A1", "A2"]].tolist() == pytest.approx([9, 5])
    assert table.loc["P2", ["A1", "A2"]].tolist() == pytest.approx([5, 3])
    assert sorted(campaign.input_files()) == ["campaign", "data.experts[1]", "data.experts[2]", "data.inspections",
                                              "data.pilots", "data.surveys", "questionnaire", "scheme"]


def test_a_score_problem_names_the_cell_of_the_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = expert_sheet("张三", INDICATORS, {"P1": {"A1": 12, "A2": 5}, "P2": {"A1": "良好", "A2": 4}})
    write_xlsx(tmp_path / "张三.xlsx", {"Sheet1": rows})
    with pytest.raises(DataError) as caught:
        load_campaign(_campaign(tmp_path, {"path": "张三.xlsx", "layout": "wide"}))
    assert [str(p) for p in caught.value.problems] == [
        "张三.xlsx:4:A1标准体系框架科学合理（10分）: 12 is outside 0–10, the points of indicator A1",
        "张三.xlsx:5:A1标准体系框架科学合理（10分）: '良好' is not a number"]


def test_a_campaign_of_workbooks_is_verified_from_its_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """``evalkit verify`` re-reads a glob of workbooks and a table spec from the files the manifest names."""
    from evalkit.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "打分").mkdir()
    for expert, cells in {"王五": {"P1": {"A1": 10, "A2": 6}, "P2": {"A1": 4, "A2": 2}},
                          "赵六": {"P1": {"A1": "8分", "A2": 4}, "P2": {"A1": 6, "A2": None}}}.items():
        write_xlsx(tmp_path / "打分" / f"{expert}.xlsx", {"Sheet1": expert_sheet(expert, INDICATORS, cells)})
    _campaign(tmp_path, {"path": "打分/*.xlsx", "layout": "wide"})
    assert main(["score", "campaign.yaml"]) == 0
    capsys.readouterr()
    import json

    notes = json.loads((tmp_path / "reports" / "manifest.json").read_text(encoding="utf-8"))["notes"]
    assert {"file": "../打分/赵六.xlsx", "kind": "blank-scores", "count": 1,
            "message": "1 blank score cell: not scored by expert '赵六' (not 0) (row 5)"} in notes
    assert main(["verify", "reports"]) == 0
    assert capsys.readouterr().out.startswith("reproduced: test, 2 pilots; 8 inputs")
    (tmp_path / "打分" / "赵六.xlsx").write_bytes((tmp_path / "打分" / "王五.xlsx").read_bytes())
    assert main(["verify", "reports"]) == 2
    assert capsys.readouterr().out.splitlines()[-1] == "INPUTS CHANGED: test: changed: 赵六.xlsx"


def test_named_sheets_and_a_given_header_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sheets: [..]`` reads those sheets only (the others named in a note); ``header_row`` is taken as given."""
    monkeypatch.chdir(tmp_path)
    _keep_book(tmp_path)
    campaign = load_campaign(_campaign(tmp_path, {"path": "专家打分表.xlsx", "sheets": ["第2位"], "header_row": 3,
                                                  "layout": "wide"}))
    assert set(campaign.tables["experts"]["expert_id"]) == {"李四"}
    notes = [str(note) for note in campaign.notes]
    assert "note: 专家打分表.xlsx: 1 sheet not read: 第1位 (only 第2位 is; write sheets: all to read every sheet)" in notes
    assert not any("header on row" in note for note in notes), "a header row given is not a guess"


def test_a_hidden_sheet_is_named_and_a_totals_label_may_sit_after_a_blank_serial(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook kept by a bureau: a hidden 填写示例 sheet (read, as hidden rows are, but
    named in a note — it moves the means), and 合计 rows whose label is in the 试点名称 column
    under a blank 序号 (dropped as totals: its formulas are not refused, and 合计 is no pilot)."""
    monkeypatch.chdir(tmp_path)
    sheets = {"张三": expert_sheet("张三", INDICATORS, {"P1": {"A1": 8, "A2": 5}, "P2": {"A1": 6, "A2": 4}}),
              "示例": expert_sheet("（示例）", INDICATORS, {"P1": {"A1": 10, "A2": 6}, "P2": {"A1": 10, "A2": 6}})}
    for rows in sheets.values():
        total = next(row for row in rows if row[0] == "合计")
        total[0], total[2] = None, "合计"  # 序号 | 试点编号 | 试点名称: the label in the name column
    write_xlsx(tmp_path / "专家打分表.xlsx", sheets, hidden_sheets=["示例"])
    campaign = load_campaign(_campaign(tmp_path, {"path": "专家打分表.xlsx", "sheets": "all", "layout": "wide"}))
    notes = [str(note) for note in campaign.notes]
    assert ("note: 专家打分表.xlsx#示例: the sheet '示例' is hidden in Excel and read as any other (name the sheets "
            "to read in sheets: to leave it out)") in notes, notes
    assert "note: 专家打分表.xlsx#张三: 1 row of totals (合计, 总计, 小计, 平均) dropped (row 6)" in notes, notes
    # P1 A1: (8 + 10) ÷ 2 = 9 with the hidden sheet; 8 with sheets: [张三]
    assert score(campaign).table.set_index("pilot_id").at["P1", "A1"] == pytest.approx(9)
    alone = load_campaign(_campaign(tmp_path, {"path": "专家打分表.xlsx", "sheets": ["张三"], "layout": "wide"}))
    assert score(alone).table.set_index("pilot_id").at["P1", "A1"] == pytest.approx(8)
