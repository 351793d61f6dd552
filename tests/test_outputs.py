"""scores.csv, scores.xlsx and scorecards.jsonl: content, format, byte-identity and atomic writes."""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import zipfile
from pathlib import Path

import openpyxl
import orjson
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evalkit import outputs
from evalkit.load import load_campaign
from evalkit.outputs import write_scores
from evalkit.scoring import Scores, Slot, score
from tests.tiny import TINY, copy_tiny

FILES = ["scores.csv", "scores.xlsx", "scorecards.jsonl"]


@pytest.fixture(scope="module")
def scores() -> Scores:
    return score(load_campaign(TINY / "campaign.yaml"))


def digests(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256((directory / name).read_bytes()).hexdigest() for name in FILES}


def test_writes_three_files(tmp_path: Path, scores: Scores) -> None:
    written = write_scores(scores, tmp_path / "out")
    assert written == [tmp_path / "out" / name for name in FILES]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES)  # no temporary leftovers


def test_identical_bytes_on_every_run(tmp_path: Path, scores: Scores) -> None:
    write_scores(scores, tmp_path / "one")
    write_scores(score(load_campaign(TINY / "campaign.yaml")), tmp_path / "two")
    assert digests(tmp_path / "one") == digests(tmp_path / "two")


def test_identical_bytes_whatever_the_order_of_the_input_rows(tmp_path: Path, scores: Scores) -> None:
    campaign_file = copy_tiny(tmp_path)
    rng = random.Random(3)
    for table in campaign_file.parent.glob("*.csv"):
        header, *rows = table.read_text(encoding="utf-8").splitlines()
        rng.shuffle(rows)
        table.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    write_scores(scores, tmp_path / "original")
    write_scores(score(load_campaign(campaign_file)), tmp_path / "shuffled")
    assert digests(tmp_path / "original") == digests(tmp_path / "shuffled")


def test_csv_format(scores: Scores) -> None:
    data = outputs.scores_csv(scores)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" not in data and data.endswith(b"\n")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "pilot_id,name,district,domain,total,grade,passed,vetoed,missing,A,A1,A2,A3,B,B1,B2,B3,X,X1"
    assert lines[1] == ("P1,黄浦区社区养老服务标准化试点,黄浦区,公共服务,89.5000,合格,True,False,,"
                        "19.5000,8.5000,10.0000,1.0000,65.0000,30.0000,20.0000,15.0000,5.0000,5.0000")
    back = pd.read_csv(io.BytesIO(data), keep_default_na=False, dtype={"missing": str})
    pd.testing.assert_frame_equal(back, scores.table, check_dtype=False)


def test_missing_lists_the_indicators_scored_0_for_missing_data(tmp_path: Path) -> None:
    # P2 has no KPI rows: B3 (kpi.投诉率.change) cannot be computed; P3 has no expert scores for A1
    campaign_file = copy_tiny(tmp_path)
    kpis = campaign_file.parent / "kpis.csv"
    kpis.write_text("\n".join(line for line in kpis.read_text(encoding="utf-8").splitlines()
                               if not line.startswith("P2,")) + "\n", encoding="utf-8")
    experts = campaign_file.parent / "experts.csv"
    experts.write_text("\n".join(line for line in experts.read_text(encoding="utf-8").splitlines()
                                 if not (line.startswith("P3,") and ",A1," in line)) + "\n", encoding="utf-8")
    scores = score(load_campaign(campaign_file))
    missing = dict(zip(scores.table["pilot_id"], scores.table["missing"]))
    assert missing == {"P1": "", "P2": "B3", "P3": "A1"}
    for pilot, ids in missing.items():  # the same as the cards' flags, in scheme order
        card = scores.card(pilot)
        flagged = [leaf["id"] for top in card["indicators"] for node in _walk(top) for leaf in [node]
                   if leaf.get("missing")]
        assert " ".join(flagged) == ids
    assert list(scores.table.columns[:9]) == ["pilot_id", "name", "district", "domain", "total", "grade", "passed",
                                              "vetoed", "missing"]
    book = openpyxl.load_workbook(io.BytesIO(outputs.scores_xlsx(scores)))
    summary = book["总表"]
    header = [c.value for c in summary[1]]
    assert header[8] == "缺失数据" and summary.cell(3, 9).value == "B3" and summary.cell(2, 9).value is None
    b3 = header.index("B3 投诉率下降") + 1
    marked = [(row, column) for row in range(2, 5) for column in range(10, len(header) + 1)
              if summary.cell(row, column).fill.fgColor.rgb not in (None, "00000000")]
    assert marked == [(3, b3), (4, header.index("A1 标准体系框架") + 1)]
    assert summary.cell(3, b3).font.italic and summary.cell(3, b3).value == 0
    assert summary.cell(3, b3).number_format == "0.00"
    dimension = book["B 标准实施"]
    assert dimension.cell(3, [c.value for c in dimension[1]].index("B3 投诉率下降") + 1).font.italic


def _walk(node: dict) -> list[dict]:
    return [node, *(item for child in node.get("children", []) for item in _walk(child))]


def test_xlsx_layout(tmp_path: Path, scores: Scores) -> None:
    path = tmp_path / "scores.xlsx"
    path.write_bytes(outputs.scores_xlsx(scores))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["总表", "A 标准体系", "B 标准实施", "X 创新加分"]
    summary = book["总表"]
    header = [c.value for c in summary[1]]
    assert header[:11] == ["试点编号", "试点名称", "所属区", "试点领域", "总分", "等级", "是否通过", "一票否决", "缺失数据",
                           "A 标准体系", "A1 标准体系框架"]
    assert summary.freeze_panes == "A2" and summary["A1"].font.bold
    assert [c.value for c in summary[4]][:10] == ["P3", "黄浦区垃圾分类标准化试点", "黄浦区", "节能环保", 20.75,
                                                  "不合格", "否", "是", None, 14.5]
    assert summary.column_dimensions["B"].width == pytest.approx(36, abs=1)
    # points and totals show two decimals as the pages do (display.XLSX_FORMATS); the cell keeps the value
    assert summary["E4"].number_format == "0.00" and summary["J4"].number_format == "0.00"
    assert summary["A4"].number_format == "General" and summary["H4"].number_format == "General"
    assert [c.value for c in book["B 标准实施"][1]] == ["试点编号", "试点名称", "B 标准实施", "B1 现场检查符合率",
                                                      "B2 员工标准知晓", "B3 投诉率下降"]
    values = [list(row) for row in summary.iter_rows(min_row=2, values_only=True)]
    table = scores.table
    assert [row[0] for row in values] == table["pilot_id"].tolist()
    assert [row[4] for row in values] == table["total"].tolist()


def test_xlsx_holds_no_timestamp(scores: Scores) -> None:
    with zipfile.ZipFile(io.BytesIO(outputs.scores_xlsx(scores))) as book:
        assert {entry.date_time for entry in book.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = book.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core and str(pd.Timestamp.now().year) not in core


def test_scorecards_are_json_lines_of_every_card(scores: Scores) -> None:
    data = outputs.scorecards_jsonl(scores)
    lines = data.split(b"\n")
    assert lines[-1] == b"" and len(lines) == len(scores.table) + 1, "one line per pilot, each ended by a newline"
    for pilot, line in zip(scores.table["pilot_id"], lines):
        assert line == orjson.dumps(scores.card(pilot))
        assert json.loads(line.decode("utf-8")) == scores.card(pilot)
    assert "标准体系".encode() in data, "UTF-8, not escaped"
    assert outputs.read_scorecards(data) == scores.cards()


#: JSON-ready values of a card's slot, with the cases a shortcut could merge: True, 1 and
#: 1.0; 0.0 and -0.0; equal containers; nested containers.
json_scalars = (st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from([0.0, -0.0, 1.0, 0.5, 1e-7])
                | st.text(alphabet="a\"\\试\n\x00", max_size=3))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(alphabet="ab试", max_size=2), inner, max_size=3), max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=6), st.lists(json_scalars, min_size=6, max_size=6))
@example([[0.0], [-0.0], [1, True], [True, 1.0], {"a": 1}, {"a": True}], [0.0, -0.0, 1, True, 1.0, None])
@example([1, True, 1], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5])  # equal first, middle and last, not one type
@example([-0.0, 0.0, -0.0], [0.0, -0.0, 0.0, 0.0, 0.0, 0.0])
def test_cards_written_from_a_template_are_orjson_dumps_of_each_card(column: list, scalars: list) -> None:
    """Each line is ``orjson.dumps(card)``, with slots the same on every card first, together and last."""
    count = len(column)
    template = {"first": Slot(["试点"] * count), "id": "X\x00", "value": Slot(column),
                "evidence": {"same": Slot([column[0]] * count), "also": Slot([True] * count),
                             "scalar": Slot(scalars[:count])}, "last": Slot([7] * count)}
    table = pd.DataFrame({"pilot_id": [f"P{i}" for i in range(count)]})
    out = io.BytesIO()
    outputs.write_scorecards(out, Scores(table, pd.DataFrame(), {}, None, "x", template))
    cards = [{"first": "试点", "id": "X\x00", "value": column[i],
              "evidence": {"same": column[0], "also": True, "scalar": scalars[i]}, "last": 7}
             for i in range(count)]
    assert out.getvalue() == b"".join(orjson.dumps(card) + b"\n" for card in cards)


def test_a_failure_leaves_the_previous_files_untouched(tmp_path: Path, scores: Scores,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_scores(scores, out)
    before = digests(out)

    def broken(values: list) -> list[bytes]:
        raise RuntimeError("the cards could not be laid out")  # (the CSV and the workbook are written already)

    monkeypatch.setattr(outputs, "_encoded", broken)
    with pytest.raises(RuntimeError):
        write_scores(score(load_campaign(TINY / "campaign.yaml")), out)
    assert digests(out) == before and sorted(p.name for p in out.iterdir()) == sorted(FILES)


def test_reports_dir_is_created(tmp_path: Path, scores: Scores) -> None:
    shutil.rmtree(tmp_path, ignore_errors=True)
    write_scores(scores, tmp_path / "deep" / "reports")
    assert (tmp_path / "deep" / "reports" / "scores.csv").is_file()


@pytest.mark.parametrize(("titles", "names"), [
    (["A 标准:体系/建设"], ["A 标准_体系_建设"]),                                   # characters Excel forbids
    (["C '宣贯培训'"], ["C '宣贯培训"]),                                         # no apostrophe at either end
    (["'引号'"], ["引号"]),
    (["D " + "标准实施" * 10, "d " + "标准实施" * 10], ["D " + ("标准实施" * 10)[:29], "d " + ("标准实施" * 10)[:25] + " (2)"]),
])
def test_sheet_names_follow_excels_rules(titles: list[str], names: list[str]) -> None:
    taken = ["总表"]
    for title in titles:
        taken.append(outputs._sheet_name(title, taken))
    assert taken[1:] == names
    assert all(len(name) <= 31 and not name.startswith("'") and not name.endswith("'") for name in taken)
    assert len({name.casefold() for name in taken}) == len(taken), "unique as Excel compares them (ignoring case)"


def test_evalkit_score_says_how_many_pilots_have_missing_data_and_the_manifest_records_the_notes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evalkit.cli import main

    campaign_file = copy_tiny(tmp_path)
    kpis = campaign_file.parent / "kpis.csv"  # P2 without KPI rows: B3 scored 0 for missing data
    kpis.write_text("\n".join(line for line in kpis.read_text(encoding="utf-8").splitlines()
                              if not line.startswith("P2,")) + "\n", encoding="utf-8")
    with open(campaign_file.parent / "inspections.csv", "a", encoding="utf-8") as table:
        table.write("合计,,,,,\n")  # a totals row: dropped with a note
    assert main(["score", str(campaign_file)]) == 0
    out = capsys.readouterr().out
    assert "  1 pilot with indicators scored 0 for missing data (column missing of scores.csv)" in out
    manifest = json.loads((campaign_file.parent / "reports" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["manifest_version"] == 2
    assert manifest["notes"] == [{"file": "../inspections.csv", "kind": "total-rows", "count": 1,
                                  "message": "1 row of totals (合计, 总计, 小计, 平均) dropped (row 8)"}]
    assert main(["score", str(TINY / "campaign.yaml"), "--out", str(tmp_path / "clean")]) == 0
    assert "missing data" not in capsys.readouterr().out
