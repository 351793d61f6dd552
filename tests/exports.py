"""Files as questionnaire platforms and bureau staff produce them, for tests.

Each builder writes one realistic file: a 问卷星 download (按文本: a GBK CSV with the
platform's metadata columns and question titles as headers, answers as text; 按序号: an
xlsx with answers as option numbers, the first option shown being 1), a 腾讯问卷 export,
a 专家打分表 workbook as experts keep it (title row, ``评审专家：`` line, one column per
indicator with its points, a 合计 column and row whose formulas have no saved values,
``8分``, blanks, hidden rows, one sheet per expert), a 标准明细表 register and a 现场检查表
checklist (title row, 序号, section rows, blank rows, a 说明 footnote).

The builders take the answers and scores as *values*, so that a test computes the
expected score by hand from the same numbers it wrote.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

#: 问卷星's metadata columns, before the questions, in its order.
WJX_METADATA = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP")
#: 腾讯问卷's metadata columns, before the questions.
TENCENT_METADATA = ("编号", "开始答题时间", "结束答题时间", "答题时长", "IP")

AGREE = {"非常同意": 5, "同意": 4, "一般": 3, "不同意": 2, "非常不同意": 1}
THREE = {"满意": 3, "基本满意": 2, "不满意": 1}


@dataclass
class Respondent:
    """One questionnaire filled in: who answered (their unit and 身份) and each item's value
    (None = skipped), with the platform's metadata."""

    unit: str
    group: str  # 员工 / 服务对象, as the questionnaire shows it
    answers: Mapping[str, int | None]
    seconds: int = 120
    submitted: str = "2023/4/12 9:31:07"
    ip: str = "101.88.12.4(上海-上海)"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Question:
    """An item as the platform shows it: its number, its title and its answer set (text ->
    value, in the order shown; None for a question answered with a number)."""

    item: str
    title: str
    options: Mapping[str, int] | None = None


def _answer_text(question: Question, value: int | None) -> str:
    if value is None:
        return "(跳过)"
    if question.options is None:
        return str(value)
    return next(text for text, option in question.options.items() if option == value)


def _answer_position(question: Question, value: int | None) -> int | str:
    if value is None:
        return -3
    if question.options is None:
        return value
    return list(question.options.values()).index(value) + 1


def wjx_rows(questions: Sequence[Question], respondents: Sequence[Respondent], *, by: str,
             units: Sequence[str] = (), groups: Sequence[str] = ("员工", "服务对象")) -> list[list[object]]:
    """The rows of a 问卷星 download (header first): metadata, ``1、您所在的单位：``,
    ``2、您的身份：``, then one column per question titled ``N、<title>``. ``by`` is
    ``text`` (按文本) or ``position`` (按序号: single-choice answers as the option's position,
    counting from the first shown; the unit and 身份 questions too, in the order of
    ``units`` and ``groups``)."""
    header = [*WJX_METADATA, "1、您所在的单位：", "2、您的身份："]
    header += [f"{number}、{question.title}" for number, question in enumerate(questions, start=3)]
    rows: list[list[object]] = [header]
    for number, person in enumerate(respondents, start=1):
        if by == "text":
            who = [person.unit, person.group]
            answers = [_answer_text(q, person.answers.get(q.item)) for q in questions]
        else:
            who = [list(units).index(person.unit) + 1, list(groups).index(person.group) + 1]
            answers = [_answer_position(q, person.answers.get(q.item)) for q in questions]
        rows.append([number, person.submitted, f"{person.seconds}秒", "手机提交", "直接访问", person.ip, *who, *answers])
    return rows


def tencent_rows(questions: Sequence[Question], respondents: Sequence[Respondent]) -> list[list[object]]:
    """The rows of a 腾讯问卷 export by answer text: metadata, then ``Q1:您所在的单位``,
    ``Q2:您的身份`` and one ``Qn:<title>`` column per question; skipped answers are empty."""
    header = [*TENCENT_METADATA, "Q1:您所在的单位", "Q2:您的身份"]
    header += [f"Q{number}:{question.title}" for number, question in enumerate(questions, start=3)]
    rows: list[list[object]] = [header]
    for number, person in enumerate(respondents, start=1):
        answers = ["" if person.answers.get(q.item) is None else _answer_text(q, person.answers.get(q.item))
                   for q in questions]
        minutes, seconds = divmod(person.seconds, 60)
        rows.append([number, "2023-04-12 09:28:00", "2023-04-12 09:31:07", f"{minutes}分{seconds}秒",
                     person.ip.split("(")[0], person.unit, person.group, *answers])
    return rows


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "gbk") -> Path:
    """A CSV as Excel on a Chinese Windows saves it (GBK, CRLF)."""
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


def write_xlsx(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]], *,
               hidden_rows: Mapping[str, Sequence[int]] | None = None,
               merged: Mapping[str, Sequence[str]] | None = None, hidden_sheets: Sequence[str] = ()) -> Path:
    """A workbook with one sheet per entry (rows as given; ``=…`` cells are formulas, saved
    without values as every file written by a program is); ``hidden_rows`` hides rows
    (1-based) as Excel's 隐藏 does, ``merged`` merges ranges (``"E3:E4"``: Excel keeps the
    value of the first cell only) and ``hidden_sheets`` hides whole sheets."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for number in (hidden_rows or {}).get(name, ()):
            sheet.row_dimensions[number].hidden = True
        for cells in (merged or {}).get(name, ()):
            sheet.merge_cells(cells)
        if name in hidden_sheets:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def expert_sheet(expert: str | None, indicators: Sequence[tuple[str, str, float]],
                 scores: Mapping[str, Mapping[str, object]], *, names: Mapping[str, str] | None = None,
                 title: str = "标准化试点验收评估专家打分表", total_row: bool = True) -> list[list[object]]:
    """The rows of one expert's 专家打分表 as experts keep it.

    ``indicators`` are (id, label, points); ``scores`` pilot id -> indicator id -> cell
    (a number, text such as ``8分``, or None for blank). With ``names`` (pilot id -> 试点名称)
    the pilots are named by name only, without an id column. The 合计 column and row are
    ``=SUM(…)`` formulas without saved values.
    """
    by_name = names is not None
    header = ["序号", "试点名称"] if by_name else ["序号", "试点编号", "试点名称"]
    first = len(header) + 1
    header += [f"{code}{label}（{points:g}分）" for code, label, points in indicators] + ["合计"]
    rows: list[list[object]] = [[title], [f"评审专家：{expert}" if expert else "评审专家：", None, None, "日期：2023年5月"]]
    rows.append(header)
    start = len(rows) + 1
    for number, (pilot, cells) in enumerate(scores.items(), start=1):
        who = [names[pilot]] if by_name else [pilot, f"试点{pilot}"]
        row = len(rows) + 1
        sum_range = f"{get_column_letter(first)}{row}:{get_column_letter(first + len(indicators) - 1)}{row}"
        rows.append([number, *who, *(cells.get(code) for code, _, _ in indicators), f"=SUM({sum_range})"])
    end = len(rows)
    if total_row:
        rows.append(["合计", *([None] * (first - 2)),
                     *(f"=SUM({get_column_letter(first + i)}{start}:{get_column_letter(first + i)}{end})"
                       for i in range(len(indicators))), None])
    rows.append(["说明：请在对应单元格内填写得分，不得超过该项分值。"])
    return rows


def register_rows(sections: Mapping[str, Sequence[Sequence[object]]], *,
                  header: Sequence[str] = ("序号", "标准编号", "标准名称", "级别", "状态", "是否实施"),
                  title: str = "标准化试点标准明细表") -> list[list[object]]:
    """A 标准明细表: title row, blank row, header, then per section a section row
    (``一、通用基础标准``) and its standards (cells after 序号, in ``header``'s order),
    a blank row between sections and a 说明 footnote."""
    rows: list[list[object]] = [[title], [], list(header)]
    number = 0
    for section, standards in sections.items():
        rows.append([section])
        for standard in standards:
            number += 1
            rows.append([number, *standard])
        rows.append([])
    rows.append(["说明：级别按国家标准、行业标准、地方标准、团体标准、企业标准填写。"])
    return rows


def checklist_rows(items: Sequence[Sequence[object]], *,
                   header: Sequence[str] = ("序号", "检查内容", "标准编号", "检查结果", "备注"),
                   title: str = "标准实施现场检查表") -> list[list[object]]:
    """A 现场检查表: title row, header, one row per item (cells after 序号) and a 说明 footnote."""
    rows: list[list[object]] = [[title], list(header)]
    rows += [[number, *item] for number, item in enumerate(items, start=1)]
    rows.append(["说明：✓ 符合，× 不符合，○ 基本符合，— 不适用。"])
    return rows
