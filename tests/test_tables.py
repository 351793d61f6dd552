"""Reading tables: encodings, xlsx sheets, Chinese headers and category labels."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.tables import readers
from evalkit.tables.conversion import read_table
from evalkit.tables.vocabulary import CATEGORIES

CHINESE_STANDARDS = (
    "试点编号,标准编号,标准名称,层级,状态,来源,是否实施\n"
    "P1,GB/T 24421.1-2023,服务业组织标准化工作指南,国家标准,现行,采用,是\n"
    "P1,DB31/T 1000-2016,养老机构服务规范,地方标准,废止,制定,否\n"
)


def _expect_canonical(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == ["pilot_id", "std_code", "title", "level", "status", "origin", "implemented"]
    assert list(frame["level"]) == ["national", "local"]
    assert list(frame["status"]) == ["current", "withdrawn"]
    assert list(frame["origin"]) == ["adopted", "developed"]
    assert list(frame["implemented"]) == [True, False]
    assert list(frame.index) == [2, 3], "index is the row number a person sees (header = 1)"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "standards.csv"
    path.write_bytes(CHINESE_STANDARDS.encode(encoding))
    table = read_table("standards", path)
    assert table.problems == []
    _expect_canonical(table.frame)
    assert table.frame.at[2, "title"] == "服务业组织标准化工作指南"


@pytest.mark.parametrize("space", [" ", "  "])
def test_spaces_after_the_commas_are_not_part_of_the_cells(tmp_path: Path, space: str) -> None:
    path = tmp_path / "standards.csv"
    text = CHINESE_STANDARDS.replace(",", "," + space).replace(
        "服务业组织标准化工作指南", '"服务业组织标准化工作指南, 第1部分"')  # quoted after the spaces: one cell
    path.write_text(text, encoding="utf-8")
    table = read_table("standards", path)
    assert table.problems == []
    _expect_canonical(table.frame)
    assert table.frame.at[2, "title"] == "服务业组织标准化工作指南, 第1部分"
    assert table.frame.at[2, "std_code"] == "GB/T 24421.1-2023"


CELLS = st.lists(st.sampled_from(list('ab1.-"\n,;中') + ["\r\n"]), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(CELLS)
def test_a_file_without_spaces_parses_as_with_skipinitialspace(text: str) -> None:
    # (the reader looks for spaces after commas only in files that have a space or a tab)
    data = ("x,y\n" + text).encode("utf-8")
    try:
        expected = pd.read_csv(io.BytesIO(data), dtype=defaultdict(lambda: str), keep_default_na=False,
                               na_values=[""], skipinitialspace=True)
    except (ValueError, csv.Error):
        expected = None
    actual = readers._read_csv_bytes(data, "utf-8-sig", lambda header: False)
    if expected is None:
        assert actual is None
    else:
        pd.testing.assert_frame_equal(actual, expected)


def test_undecodable_csv_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "standards.csv"
    path.write_bytes(CHINESE_STANDARDS.encode("utf-16"))
    table = read_table("standards", path)
    assert [p.message for p in table.problems] == ["cannot decode: the file is neither UTF-8 nor GB18030/GBK"]


def _write_book(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)


ROWS = [line.split(",") for line in CHINESE_STANDARDS.strip().splitlines()]


def test_xlsx_first_sheet_and_named_sheet(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    _write_book(path, {"说明": [["本工作簿第二页是标准明细表"]], "标准明细表": ROWS})
    named = read_table("standards", f"{path}#标准明细表")
    assert named.problems == []
    _expect_canonical(named.frame)
    first = read_table("standards", path)
    assert any("required column missing" in p.message for p in first.problems), "first sheet is the notes sheet"


def test_xlsx_numbers_and_dates(tmp_path: Path) -> None:
    import datetime

    path = tmp_path / "pilots.xlsx"
    _write_book(path, {"Sheet1": [
        ["试点编号", "试点名称", "承担单位", "所属区", "试点领域", "开始日期", "结束日期", "training_sessions"],
        ["P1", "试点一", "单位一", "黄浦区", "公共服务", datetime.datetime(2021, 6, 1), datetime.datetime(2023, 5, 31), 12],
    ]})
    table = read_table("pilots", path)
    assert table.problems == []
    assert table.frame.at[2, "start_date"] == pd.Timestamp("2021-06-01")
    assert table.frame.at[2, "training_sessions"] == 12.0
    assert table.extra_columns == ("training_sessions",)


def test_xlsx_missing_sheet_names_the_sheets(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    _write_book(path, {"标准明细表": ROWS})
    table = read_table("standards", f"{path}#Standards")
    assert len(table.problems) == 1
    assert "no sheet named 'Standards' (sheets: 标准明细表)" in table.problems[0].message


def test_every_category_label_maps_to_its_code(tmp_path: Path) -> None:
    rows = ["pilot_id,item_id,result"] + [
        f"P1,I{i},{label}" for i, label in enumerate(["符合", "基本符合", "不符合", "不适用", "conform", "NA"])
    ]
    path = tmp_path / "inspections.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    table = read_table("inspections", path)
    assert table.problems == []
    assert list(table.frame["result"]) == ["conform", "partial", "nonconform", "na", "conform", "na"]
    assert set(table.frame["result"]) <= set(CATEGORIES["result"])
    assert list(table.frame["critical"]) == [False] * 6, "critical defaults to no"


def test_survey_items_are_numbers_and_blanks_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "surveys.csv"
    path.write_text("试点编号,答卷编号,群体,Q1,Q2\nP1,R1,员工,5,\nP1,R2,服务对象,,3\n", encoding="utf-8")
    table = read_table("surveys", path)
    assert table.problems == []
    assert list(table.frame["group"]) == ["staff", "client"]
    assert table.frame["Q1"].tolist()[0] == 5.0 and pd.isna(table.frame["Q1"].tolist()[1])


def test_cells_are_trimmed(tmp_path: Path) -> None:
    path = tmp_path / "experts.csv"
    path.write_text("pilot_id,expert_id,indicator_id,score\n P1 , E1 ,A1, 8 \n", encoding="utf-8")
    table = read_table("experts", path)
    assert table.problems == []
    assert table.frame.iloc[0].tolist() == ["P1", "E1", "A1", 8.0]


def test_a_late_non_utf8_byte_makes_the_file_gb18030_as_a_whole(tmp_path: Path) -> None:
    """UTF-8 is read straight from the bytes; one GBK cell far down the file (even in a number
    column) still makes it a GB18030 file, decoded as one."""
    path = tmp_path / "experts.csv"
    rows = [f"P{i},E1,A1,{i % 5}" for i in range(20000)]
    path.write_bytes(("pilot_id,expert_id,indicator_id,score\n" + "\n".join(rows) + "\nP0,专家,A1,3\n").encode("gbk"))
    table = read_table("experts", path)
    assert table.problems == []
    assert table.frame["expert_id"].iloc[-1] == "专家" and len(table.frame) == 20001
    path.write_bytes(("pilot_id,expert_id,indicator_id,score\n" + "\n".join(rows)).encode() + b"\nP0,E1,A1,3\xff\n")
    assert [p.message for p in read_table("experts", path).problems] == [
        "cannot decode: the file is neither UTF-8 nor GB18030/GBK"]


def test_text_is_converted_per_distinct_value(tmp_path: Path) -> None:
    """Values equal after trimming and labels of the same code give one value; the categorical
    view (LoadedTable.codes) holds the same values as the frame."""
    path = tmp_path / "standards.csv"
    path.write_text("pilot_id,std_code,title,level,status,origin,implemented\n"
                    "P1,GB 1,标题 ,国标,现行,采用,是\n"
                    "P1 ,GB 2,标题,national ,current,adopted, yes\n"
                    "P2,GB 1,  ,国家标准,有效,制定,否\n"
                    "P2,GB 3,,省级,现行,修订,也许\n", encoding="utf-8")
    table = read_table("standards", path)
    assert [p.message.split(";")[0] for p in table.problems] == ["unknown value '省级'", "'也许' is not yes/no (是/否, 1/0)"]
    frame = table.frame
    assert frame["pilot_id"].tolist() == ["P1", "P1", "P2", "P2"]
    assert frame["title"].tolist()[:2] == ["标题", "标题"] and frame["title"].isna().tolist() == [False, False, True, True]
    assert frame["level"].tolist()[:3] == ["national"] * 3 and pd.isna(frame["level"].iloc[3])
    assert frame["implemented"].tolist()[:3] == [True, True, False] and pd.isna(frame["implemented"].iloc[3])
    assert frame["pilot_id"].dtype == object and frame["implemented"].dtype == "boolean"
    for column in ("pilot_id", "std_code", "title", "level", "status", "origin"):
        codes = table.codes(column)
        assert list(codes.categories) == list(pd.unique(frame[column].dropna()))
        assert pd.Series(codes).astype(object).where(pd.notna(codes), None).tolist() == \
            frame[column].astype(object).where(frame[column].notna(), None).tolist()


def test_blank_rows_at_the_end_of_a_csv_are_dropped_as_in_xlsx(tmp_path: Path) -> None:
    # Excel saving a sheet whose last rows once held data writes ",,,,,," lines; the xlsx of
    # the same sheet reads without them, and so must the CSV
    path = tmp_path / "standards.csv"
    path.write_bytes((CHINESE_STANDARDS + ",,,,,,\r\n,,,,,,\r\n").encode("gbk"))
    table = read_table("standards", path)
    assert table.problems == []
    _expect_canonical(table.frame)


def _pilots_with(tmp_path: Path, column: str, cells: list[str]) -> pd.Series:
    path = tmp_path / "pilots.csv"
    rows = [f"P{i},试点{i},单位,黄浦区,公共服务,2021-06-01,2023-05-31,\"{cell}\"" for i, cell in enumerate(cells, 1)]
    path.write_text("试点编号,试点名称,承担单位,所属区,试点领域,开始日期,结束日期," + column + "\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    table = read_table("pilots", path)
    assert table.problems == []
    return table.frame[column]


def test_extra_pilot_columns_read_numbers_as_people_write_them(tmp_path: Path) -> None:
    # thousands separators and percentages, as kpis.value reads them
    assert _pilots_with(tmp_path, "investment", ["1,200", "85%", "3.5"]).tolist() == [1200.0, 0.85, 3.5]


def test_a_percentage_is_the_decimal_it_shows(tmp_path: Path) -> None:
    # 33.3 / 100 in binary is 0.33299999999999996; the cell shows 0.333, which an xlsx stores
    path = tmp_path / "kpis.csv"
    path.write_text("pilot_id,indicator,period,value,better\nP1,达标率,baseline,33.3%,higher\n"
                    "P1,达标率,final,0.333,higher\n", encoding="utf-8")
    values = read_table("kpis", path).frame["value"].tolist()
    assert values == [0.333, 0.333]


@pytest.mark.parametrize(("cell", "problem"), [
    ("inf", "'inf' is not a finite number"), ("1e400", "'1e400' is not a finite number"),
])
def test_infinite_numbers_are_problems(tmp_path: Path, cell: str, problem: str) -> None:
    path = tmp_path / "kpis.csv"
    path.write_text(f"pilot_id,indicator,period,value,better\nP1,达标率,baseline,{cell},higher\n"
                    "P1,达标率,final,x,higher\n", encoding="utf-8")  # text in the column: the cell-by-cell path
    messages = {p.message for p in read_table("kpis", path).problems}
    assert problem in messages and "'x' is not a number" in messages


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_control_characters_are_named_by_row_and_column(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "standards.csv"
    path.write_bytes(CHINESE_STANDARDS.replace("养老机构", "养老\x1b机构").encode(encoding))
    table = read_table("standards", path)
    assert [(p.row, p.column, p.message.split(",")[0]) for p in table.problems] == [
        (3, "标准名称", "contains the control character U+001B")]
    assert table.frame.at[3, "std_code"] == "DB31/T 1000-2016", "the rest of the table is read for further checks"


def test_xlsx_blank_and_repeated_headers_meet_the_csv_checks(tmp_path: Path) -> None:
    # an xlsx gave these headers to pandas as they were ("", "", "备注", "备注") and crashed
    rows = [ROWS[0] + ["", "", "备注", "备注"]] + [row + [None, "x", "a", "b"] for row in ROWS[1:]]
    _write_book(tmp_path / "book.xlsx", {"标准明细表": rows})
    csv_path = tmp_path / "standards.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([[("" if v is None else v) for v in row] for row in rows])
    from_xlsx, from_csv = read_table("standards", tmp_path / "book.xlsx"), read_table("standards", csv_path)
    assert [(p.row, p.column, p.message) for p in from_xlsx.problems] == [
        (p.row, p.column, p.message) for p in from_csv.problems]
    assert {p.message for p in from_xlsx.problems} == {"column has values but no header"}
    assert [str(n) for n in from_xlsx.notes] == [
        f"note: {from_xlsx.file}: 2 columns not used by the standards table ignored: 备注, 备注"]


def _with_saved_value(path: Path, formula: str, value: str) -> None:
    """Add the value Excel would have saved beside ``formula`` (openpyxl saves formulas only)."""
    with zipfile.ZipFile(path) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(f"<f>{formula}</f><v />".encode(), f"<f>{formula}</f><v>{value}</v>".encode())
    with zipfile.ZipFile(path, "w") as book:
        for name, data in parts.items():
            book.writestr(name, data)


def test_a_formula_is_read_as_its_saved_value_and_refused_without_one(tmp_path: Path) -> None:
    rows = [["pilot_id", "indicator", "period", "value", "better"],
            ["P1", "投诉率", "baseline", "=2*3", "lower"], ["P1", "投诉率", "final", "=1+1", "lower"]]
    _write_book(tmp_path / "kpis.xlsx", {"Sheet1": rows})
    _with_saved_value(tmp_path / "kpis.xlsx", "2*3", "6")  # saved by Excel; =1+1 saved by a script, without
    table = read_table("kpis", tmp_path / "kpis.xlsx")
    assert [(p.row, p.column, p.message.split(":")[0]) for p in table.problems] == [
        (3, "value", "the cell holds a formula (=1+1) without a saved value")]
    assert table.frame.at[2, "value"] == 6.0


def test_a_damaged_xlsx_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    _write_book(tmp_path / "book.xlsx", {"标准明细表": ROWS})
    with zipfile.ZipFile(tmp_path / "book.xlsx") as book:
        parts = {name: book.read(name) for name in book.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:300]  # the sheet's XML cut short
    with zipfile.ZipFile(tmp_path / "book.xlsx", "w") as book:
        for name, data in parts.items():
            book.writestr(name, data)
    problems = read_table("standards", tmp_path / "book.xlsx").problems
    assert len(problems) == 1 and problems[0].message.startswith("not a readable xlsx workbook (")


def test_dates_as_chinese_forms_write_them(tmp_path: Path) -> None:
    path = tmp_path / "pilots.csv"
    path.write_text("试点编号,试点名称,承担单位,所属区,试点领域,开始日期,结束日期\n"
                    "P1,试点一,单位一,黄浦区,公共服务,2021年6月1日,2023年5月31日\n"
                    "P2,试点二,单位二,徐汇区,公共服务,2021/6/1,2023-05-31\n", encoding="utf-8")
    table = read_table("pilots", path)
    assert table.problems == []
    assert table.frame["start_date"].tolist() == [pd.Timestamp("2021-06-01")] * 2
    assert table.frame["end_date"].tolist() == [pd.Timestamp("2023-05-31")] * 2


def test_survey_metadata_columns_are_always_there(tmp_path: Path) -> None:
    """submitted_at (datetime), duration_s (seconds) and ip (text) are in every surveys frame, NA when unknown."""
    path = tmp_path / "surveys.csv"
    path.write_text("pilot_id,respondent_id,group,Q1\nP1,R1,staff,5\n", encoding="utf-8")
    frame = read_table("surveys", path).frame
    assert str(frame["submitted_at"].dtype) == "datetime64[ns]" and frame["submitted_at"].isna().all()
    assert frame["duration_s"].dtype == float and frame["duration_s"].isna().all()
    assert frame["ip"].dtype == object and frame["ip"].isna().all()
    path.write_text("pilot_id,respondent_id,group,Q1,提交答卷时间,所用时间,来自IP\n"
                    "P1,R1,staff,5,2023/4/12 9:31:07,1分3秒,10.0.0.1\nP1,R2,staff,4,昨天,很久,\n", encoding="utf-8")
    table = read_table("surveys", path)
    assert table.problems == []
    assert table.frame["duration_s"].tolist()[0] == 63.0 and str(table.frame["submitted_at"].iloc[0]) == "2023-04-12 09:31:07"
    assert [str(n) for n in table.notes] == [
        f"note: {table.file}: 1 cell of submitted_at not read as a date and time (left blank) (row 3)",
        f"note: {table.file}: 1 cell of duration_s not read as a duration (left blank) (row 3)"]
