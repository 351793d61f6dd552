"""scores.csv, scores.xlsx and scorecards.json: content, format, byte-identity and atomic writes."""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import zipfile
from pathlib import Path
from typing import BinaryIO

import openpyxl
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evalkit import outputs
from evalkit.load import load_campaign
from evalkit.outputs import write_scores
from evalkit.scoring import Scores, Slot, score
from tests.tiny import TINY, copy_tiny

FILES = ["scores.csv", "scores.xlsx", "scorecards.json"]


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
    assert lines[0] == "pilot_id,name,district,domain,total,grade,passed,vetoed,A,A1,A2,A3,B,B1,B2,B3,X,X1"
    assert lines[1] == ("P1,黄浦区社区养老服务标准化试点,黄浦区,公共服务,89.5000,合格,True,False,"
                        "19.5000,8.5000,10.0000,1.0000,65.0000,30.0000,20.0000,15.0000,5.0000,5.0000")
    back = pd.read_csv(io.BytesIO(data))
    pd.testing.assert_frame_equal(back, scores.table, check_dtype=False)


def test_xlsx_layout(tmp_path: Path, scores: Scores) -> None:
    path = tmp_path / "scores.xlsx"
    path.write_bytes(outputs.scores_xlsx(scores))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["总表", "A 标准体系", "B 标准实施", "X 创新加分"]
    summary = book["总表"]
    header = [c.value for c in summary[1]]
    assert header[:10] == ["试点编号", "试点名称", "所属区", "试点领域", "总分", "等级", "是否通过", "一票否决",
                           "A 标准体系", "A1 标准体系框架"]
    assert summary.freeze_panes == "A2" and summary["A1"].font.bold
    assert [c.value for c in summary[4]][:9] == ["P3", "黄浦区垃圾分类标准化试点", "黄浦区", "节能环保", 20.75,
                                                 "不合格", "否", "是", 14.5]
    assert summary.column_dimensions["B"].width == 36
    assert [c.value for c in book["B 标准实施"][1]] == ["试点编号", "试点名称", "B 标准实施", "B1 现场检查符合率",
                                                      "B2 员工标准知晓", "B3 投诉率下降"]


def test_xlsx_holds_no_timestamp(scores: Scores) -> None:
    with zipfile.ZipFile(io.BytesIO(outputs.scores_xlsx(scores))) as book:
        assert {entry.date_time for entry in book.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = book.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core and str(pd.Timestamp.now().year) not in core


def reference_json(scores: Scores) -> bytes:
    """scorecards.json as the plain ``json.dumps`` of the documented document."""
    scheme = scores.scheme
    document = {"campaign": scores.campaign_id,
                "scheme": {"id": scheme.id, "version": scheme.version, "title": scheme.title,
                           "total": float(scheme.total), "pass_mark": float(scheme.pass_mark),
                           "bonus_cap": float(scheme.bonus_cap)},
                "pilots": scores.cards()}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def test_scorecards_json_is_json_dumps_with_indent_1(scores: Scores) -> None:
    assert outputs.scorecards_json(scores) == reference_json(scores)


#: JSON-ready values of a card's slot, with the cases a shortcut could merge: True, 1 and
#: 1.0; 0.0 and -0.0; equal containers; nested containers.
json_scalars = (st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from([0.0, -0.0, 1.0, 0.5, 1e-7])
                | st.text(alphabet="a\"\\试\n", max_size=3))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(alphabet="ab试", max_size=2), inner, max_size=3), max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=6), st.lists(json_scalars, min_size=6, max_size=6))
@example([[0.0], [-0.0], [1, True], [True, 1.0], {"a": 1}, {"a": True}], [0.0, -0.0, 1, True, 1.0, None])
@example([1, True, 1], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5])  # equal first, middle and last, not one type
@example([-0.0, 0.0, -0.0], [0.0, -0.0, 0.0, 0.0, 0.0, 0.0])
def test_cards_are_laid_out_as_json_dumps_does(column: list, scalars: list) -> None:
    """The cards written from a template are ``json.dumps(card, indent=1)`` of each card,
    with slots the same on every card first, together and last."""
    count = len(column)
    template = {"first": Slot(["试点"] * count), "id": "X", "value": Slot(column),
                "evidence": {"same": Slot([column[0]] * count), "also": Slot([True] * count),
                             "scalar": Slot(scalars[:count])}, "last": Slot([7] * count)}
    out = io.BytesIO()
    outputs._CardFormat(template).write("  ", out)
    cards = [{"first": "试点", "id": "X", "value": column[i],
              "evidence": {"same": column[0], "also": True, "scalar": scalars[i]}, "last": 7}
             for i in range(count)]
    expected = ",\n".join("  " + json.dumps(card, ensure_ascii=False, indent=1).replace("\n", "\n  ")
                          for card in cards)
    assert out.getvalue().decode("utf-8") == expected


def test_xlsx_rows_are_the_cells_openpyxl_writes(scores: Scores) -> None:
    with zipfile.ZipFile(io.BytesIO(outputs.scores_xlsx(scores))) as book:
        ours = book.read("xl/worksheets/sheet1.xml")
    reference = openpyxl.Workbook(write_only=True)
    sheet = reference.create_sheet("总表")
    sheet.append(list(scores.table.columns))
    for row in scores.table.itertuples(index=False, name=None):
        sheet.append([("是" if v else "否") if isinstance(v, bool) else v for v in row])
    buffer = io.BytesIO()
    reference.save(buffer)
    with zipfile.ZipFile(buffer) as book:
        theirs = book.read("xl/worksheets/sheet1.xml")
    assert ours.split(b'<row r="2">', 1)[1] == theirs.split(b'<row r="2">', 1)[1]


def test_scorecards_json(scores: Scores) -> None:
    text = outputs.scorecards_json(scores).decode("utf-8")
    assert "标准体系" in text and text.endswith("}\n") and text.startswith('{\n "campaign": "tiny",')
    document = json.loads(text)
    assert document["scheme"] == {"id": "tiny-acceptance", "version": "1.0", "title": "标准化试点验收评估计分表（测试）",
                                  "total": 100.0, "pass_mark": 80.0, "bonus_cap": 5.0}
    assert document["pilots"] == scores.cards()


def test_a_failure_leaves_the_previous_files_untouched(tmp_path: Path, scores: Scores,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_scores(scores, out)
    before = digests(out)

    def broken(self: object, indent: str, stream: BinaryIO) -> None:
        stream.write(b"[{")  # half a scorecards.json is already in its temporary file
        raise RuntimeError("the cards could not be laid out")

    monkeypatch.setattr(outputs._CardFormat, "write", broken)
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
