"""``evalkit forms``: blank workbooks that, filled in as they are, score without any conversion."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml

from evalkit import load_campaign, score
from evalkit.cli import main
from tests.tiny import copy_tiny


def test_expert_forms_filled_in_score_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    campaign_file = copy_tiny(tmp_path)
    monkeypatch.chdir(campaign_file.parent)
    assert main(["forms", "campaign.yaml", "--out", "forms", "--experts", "张三", "李四"]) == 0
    out = capsys.readouterr().out
    assert "  experts: {path: forms/专家打分表/*.xlsx, layout: wide}" in out.splitlines()
    book = openpyxl.load_workbook("forms/专家打分表/张三.xlsx")
    sheet = book.active
    assert sheet["A2"].value == "评审专家：张三"
    assert [cell.value for cell in sheet[3]] == ["序号", "试点编号", "试点名称", "A1标准体系框架（10分）", "合计"]
    assert [sheet.cell(row, 2).value for row in (4, 5, 6)] == ["P1", "P2", "P3"]
    assert sheet["E4"].value == "=SUM(D4:D4)"
    validation, = sheet.data_validations.dataValidation
    assert (validation.type, validation.formula1, validation.formula2) == ("decimal", "0", "10")
    assert str(validation.sqref) == "D4:D6" and "0～10" in validation.prompt
    assert sheet.protection.sheet and not sheet["D4"].protection.locked and sheet["B4"].protection.locked
    # the experts fill in their workbooks as they would in Excel (here with openpyxl)
    for expert, scores in {"张三": {"D4": 9, "D5": "6分"}, "李四": {"D4": 8, "D5": 7, "D6": 5}}.items():
        path = Path("forms/专家打分表") / f"{expert}.xlsx"
        book = openpyxl.load_workbook(path)
        for cell, value in scores.items():
            book.active[cell] = value
        book.save(path)
    data = yaml.safe_load(campaign_file.read_text(encoding="utf-8"))
    data["data"]["experts"] = {"path": "forms/专家打分表/*.xlsx", "layout": "wide"}
    campaign_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    campaign = load_campaign(campaign_file)
    table = score(campaign).table.set_index("pilot_id")
    # mean of the experts who scored: P1 (9 + 8) ÷ 2 = 8.5, P2 (6 + 7) ÷ 2 = 6.5, P3 5 (张三 left it blank)
    assert table["A1"].to_dict() == pytest.approx({"P1": 8.5, "P2": 6.5, "P3": 5.0})
    assert "note: forms/专家打分表/张三.xlsx: 1 blank score cell: not scored by expert '张三' (not 0) (row 6)" in [
        str(note) for note in campaign.notes]


def test_checklist_and_register_forms_filled_in_are_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    campaign_file = copy_tiny(tmp_path)
    monkeypatch.chdir(campaign_file.parent)
    assert main(["forms", "campaign.yaml", "--out", "forms"]) == 0  # experts from the experts table: E1, E2
    assert sorted(p.name for p in Path("forms/专家打分表").iterdir()) == ["E1.xlsx", "E2.xlsx"]
    for pilot in ("P1", "P2", "P3"):
        path = Path("forms/现场检查表") / f"{pilot}.xlsx"
        book = openpyxl.load_workbook(path)
        sheet = book.active
        assert [cell.value for cell in sheet[2]] == ["检查项编号", "标准编号", "检查内容", "检查结果", "关键项", "备注"]
        for row in range(3, 13):
            if sheet.cell(row, 1).value:
                sheet.cell(row, 4).value = "✓" if row == 3 else "不符合"
        sheet.cell(4, 5).value = "是" if pilot == "P1" else None  # P1's second item is critical
        book.save(path)
        path = Path("forms/标准明细表") / f"{pilot}.xlsx"
        book = openpyxl.load_workbook(path)
        book.active.append([1, "GB/T 24421.1-2023", "服务业组织标准化工作指南", "国家标准", "现行", "采用", "是"])
        book.save(path)
    data = yaml.safe_load(campaign_file.read_text(encoding="utf-8"))
    data["data"].update({"inspections": "forms/现场检查表/*.xlsx", "standards": "forms/标准明细表/*.xlsx"})
    campaign_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    campaign = load_campaign(campaign_file)
    inspections = campaign.tables["inspections"]
    # tiny's P1 lists 3 standards (items: ✓, 不符合, 不符合), P2 2, P3 1
    assert inspections.groupby("pilot_id")["result"].apply(list).to_dict() == {
        "P1": ["conform", "nonconform", "nonconform"], "P2": ["conform", "nonconform"], "P3": ["conform"]}
    # the 关键项 column carries a critical nonconformity, which a veto counts
    assert inspections.loc[inspections["critical"], ["pilot_id", "result"]].values.tolist() == [["P1", "nonconform"]]
    assert len(campaign.tables["standards"]) == 3
