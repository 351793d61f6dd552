"""标准明细表 registers and 现场检查表 checklists as bureaus keep them in Excel."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evalkit import DataError, load_campaign, score
from tests.campaign_factory import leaf, node, scheme, write_campaign
from tests.exports import checklist_rows, register_rows, write_xlsx

SCHEME = scheme([node("A", [leaf("A1", "standards.count", 10, "per_unit", per_unit=1),
                            leaf("A2", "standards.implemented_rate", 10),
                            leaf("A3", "standards.level_count.national", 10, "per_unit", per_unit=1),
                            leaf("A4", "standards.developed_count", 10, "per_unit", per_unit=1),
                            leaf("B1", "inspection.conformity_rate", 60)])], pass_mark=50)


def _campaign(tmp_path: Path, **data: object) -> Path:
    path = write_campaign(tmp_path, pilots=["P1", "P2"], scheme=SCHEME)
    campaign = yaml.safe_load(path.read_text(encoding="utf-8"))
    campaign["data"].update(data)
    path.write_text(yaml.safe_dump(campaign, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _registers(tmp_path: Path, second: list[object] | None = None) -> None:
    (tmp_path / "明细表").mkdir()
    write_xlsx(tmp_path / "明细表" / "P1.xlsx", {"标准明细表": register_rows({
        "一、通用基础标准": [["GB/T 24421.1-2023", "服务业组织标准化工作指南 第1部分：总则", "国标", "现行", "是"],
                       second or ["GB/T24421.1—2023", "服务业组织标准化工作指南 第1部分：总则", "国标", "现行", "是"]],
        "二、服务保障标准": [["DB31/T 1000-2016", "养老机构服务规范", None, "现行", "是"],
                       ["Q/HPMZ 001-2022", "社区养老服务流程", "地方标准", "现行", "否"]],
    })}, hidden_rows={"标准明细表": [8]})
    write_xlsx(tmp_path / "明细表" / "P2.xlsx", {"标准明细表": register_rows({
        "一、通用基础标准": [["GB/T 19273-2017", "企业标准化工作 评价与改进", None, "现行", "是"]]})})


def _checklists(tmp_path: Path) -> None:
    (tmp_path / "检查").mkdir()
    write_xlsx(tmp_path / "检查" / "P1.xlsx", {"现场检查表": checklist_rows([
        ["服务流程公示", "DB31/T 1000-2016", "✓", None],
        ["服务记录完整", "DB31/T 1000-2016", "○", "部分记录缺少签名"],
        ["投诉处理时限", "Q/HPMZ 001-2022", "×", "超过规定时限2天"],
        ["夜间值守", "Q/HPMZ 001-2022", "—", "不涉及"]])})
    write_xlsx(tmp_path / "检查" / "P2.xlsx", {"现场检查表": checklist_rows([
        ["停车收费公示", "GB/T 19273-2017", "√", None]])})


CHECKLIST_SPEC = {"path": "检查/*.xlsx", "columns": {"item_id": "序号"},
                  "values": {"result": {"○": "partial", "—": "na"}}}


def test_registers_and_checklists_as_kept_in_excel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _registers(tmp_path)
    _checklists(tmp_path)
    campaign = load_campaign(_campaign(tmp_path, standards="明细表/*.xlsx", inspections=CHECKLIST_SPEC))
    table = score(campaign).table.set_index("pilot_id")
    # P1: 4 rows less the respelt GB/T 24421.1 = 3 standards, 2 implemented; national: GB/T 24421.1 (国标),
    # levels inferred: DB31/T local; Q/ written 地方标准 (contradiction noted, written kept). No 来源 column:
    # developed_count missing, scored 0. Checklist: ✓ conform, ○ partial, × nonconform, — na:
    # (1 + 0.5) ÷ 3 = 0.5.
    assert table.loc["P1", ["A1", "A2", "A3", "A4"]].tolist() == pytest.approx([3, 6.6667, 1, 0])  # points are rounded to 4 places
    assert table.at["P1", "B1"] == pytest.approx(60 * 0.5)
    assert table.loc["P2", ["A1", "A2", "A3", "B1"]].tolist() == pytest.approx([1, 10, 1, 60])
    assert score(campaign).card("P1")["indicators"][0]["children"][3]["missing"] is True
    standards = campaign.tables["standards"]
    assert standards.loc[standards["std_code"] == "DB31/T 1000-2016", "level"].tolist() == ["local"]
    inspections = campaign.tables["inspections"]
    assert inspections["note"].fillna("").tolist() == ["", "部分记录缺少签名", "超过规定时限2天", "不涉及", ""]
    notes = [str(note) for note in campaign.notes]
    expected = [
        "note: 明细表/P1.xlsx: header on row 3; the rows above it are not data",
        "note: 明细表/P1.xlsx: 1 row hidden in Excel read as any other (row 8)",
        "note: 明细表/P1.xlsx: 2 blank rows dropped (rows 7, 11)",
        "note: 明细表/P1.xlsx: 3 rows with only the first cell filled (section headings, 说明 notes) dropped "
        "(rows 4, 8, 12)",
        "note: 明细表/P1.xlsx: 1 column not used by the standards table ignored: 序号",
        "note: 明细表/P1.xlsx: pilot P1 for its 4 rows: the file's name (the file has no pilot column)",
        "note: 明细表/P1.xlsx: 1 level inferred from the standard codes (GB national, DB local, T/ group, Q/ enterprise, "
        "ISO/IEC international, other prefixes industry) (row 9)",
        "note: 明细表/P1.xlsx: 1 row repeating the standard of an earlier row in another spelling "
        "(e.g. 'GB/T24421.1—2023') dropped: the standard is counted once (row 6)",
        "note: 明细表/P1.xlsx: no origin (来源) column: standards.adopted_count and standards.developed_count are "
        "missing for every pilot",
        "note: 检查/P1.xlsx: 1 column not used by the inspections table ignored: 检查内容",
    ]
    for line in expected:
        assert line in notes, f"{line}\n" + "\n".join(notes)
    assert ("note: 明细表/P1.xlsx: the written level of 1 row contradicts the code (e.g. 'Q/HPMZ 001-2022' written "
            "地方标准, its code says 企业标准); the written level is used (row 10)") in notes


def test_a_standard_listed_twice_that_disagrees_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _registers(tmp_path, second=["GB/T24421.1—2023", "服务业组织标准化工作指南 第1部分：总则", "国标", "现行", "否"])
    _checklists(tmp_path)
    with pytest.raises(DataError) as caught:
        load_campaign(_campaign(tmp_path, standards="明细表/*.xlsx", inspections=CHECKLIST_SPEC))
    assert [str(p) for p in caught.value.problems] == [
        "明细表/P1.xlsx:6:std_code: 'GB/T24421.1—2023' is the standard of row 5 ('GB/T 24421.1-2023') written another "
        "way, and the two rows disagree on implemented (yes / no): list it once"]


def test_a_symbol_without_a_meaning_is_a_problem_naming_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _registers(tmp_path)
    _checklists(tmp_path)
    with pytest.raises(DataError) as caught:
        load_campaign(_campaign(tmp_path, standards="明细表/*.xlsx", inspections={"path": "检查/*.xlsx",
                                                                                  "columns": {"item_id": "序号"}}))
    lines = [str(p) for p in caught.value.problems]
    assert lines[0].startswith("检查/P1.xlsx:4:result: unknown value '○'") and "values:" in lines[0], lines
    assert lines[1].startswith("检查/P1.xlsx:6:result: unknown value '—'"), lines


def test_a_cell_merged_down_several_rows_holds_for_each_of_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Excel keeps a merged cell's value in its first row only, yet shows it beside every row:
    a 关键项 是 merged over two items makes both critical (read blank, the second would be
    'not critical' and its nonconformity would fire no veto), and a 级别 merged over a section
    is each row's written level (not one inferred from the code)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "检查").mkdir()
    header = ("序号", "检查内容", "标准编号", "检查结果", "关键项", "备注")
    for pilot in ("P1", "P2"):
        write_xlsx(tmp_path / "检查" / f"{pilot}.xlsx", {"现场检查表": checklist_rows([
            ["消防通道畅通", "GB 25201-2010", "✓", "是", None],
            ["灭火器在有效期内", "GB 25201-2010", "×", None, "3具过期"],
            ["服务流程公示", "DB31/T 1000-2016", "✓", "否", None]], header=header)},
            merged={"现场检查表": ["E3:E4"]} if pilot == "P1" else None)
    (tmp_path / "明细表").mkdir()
    write_xlsx(tmp_path / "明细表" / "P1.xlsx", {"标准明细表": register_rows({
        "一、通用基础标准": [["Q/HPMZ 001-2022", "社区养老服务流程", "地标", "现行", "是"],
                       ["Q/HPMZ 002-2022", "社区养老膳食服务", None, "现行", "是"]]})},
        merged={"标准明细表": ["D5:D6"]})
    vetoed = {**SCHEME, "vetoes": [{"id": "V1", "label": "关键项严重不符合", "op": ">", "value": 0,
                                    "metric": "inspection.critical_nonconformities"}]}
    path = write_campaign(tmp_path, pilots=["P1", "P2"], scheme=vetoed)
    campaign_file = yaml.safe_load(path.read_text(encoding="utf-8"))
    campaign_file["data"].update(inspections=CHECKLIST_SPEC, standards={"path": "明细表/P1.xlsx", "pilot": "P1"})
    path.write_text(yaml.safe_dump(campaign_file, allow_unicode=True, sort_keys=False), encoding="utf-8")
    campaign = load_campaign(path)
    inspections = campaign.tables["inspections"].set_index(["pilot_id", "item_id"])
    assert inspections["critical"].tolist() == [True, True, False, True, False, False]
    table = score(campaign).table.set_index("pilot_id")
    assert bool(table.at["P1", "vetoed"]) and not bool(table.at["P2", "vetoed"])
    assert campaign.tables["standards"]["level"].tolist() == ["local", "local"]  # as written (merged), not enterprise
    notes = [str(note) for note in campaign.notes]
    assert "note: 检查/P1.xlsx: 1 cell merged with the cell above read as its value (row 4)" in notes, notes
    assert "note: 明细表/P1.xlsx: 1 cell merged with the cell above read as its value (row 6)" in notes, notes
    assert not any("inferred" in note for note in notes if "明细表" in note), notes
