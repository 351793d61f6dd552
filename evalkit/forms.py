"""Blank forms for collecting a campaign's data: 专家打分表, 现场检查表 and 标准明细表.

``evalkit forms`` writes, from the scheme and the pilots of a campaign,

* one 专家打分表 workbook per expert (``专家打分表/<expert>.xlsx``): a title, the
  ``评审专家：NAME`` line, one row per pilot, one column per expert-scored indicator headed
  by its id, label and points (``A1标准体系框架（10分）``), Excel data validation from 0 to
  the indicator's points with a Chinese input message, a 合计 formula column, and the
  sheet protected except for the score cells;
* one 现场检查表 per pilot (``现场检查表/<pilot_id>.xlsx``): the pilot's standards as
  checklist items, a drop-down of the results (符合 / 基本符合 / 不符合 / 不适用, or ✓ ×), a
  关键项 column (是 / 否: a critical item's nonconformity is what a veto on
  ``inspection.critical_nonconformities`` counts) and a 备注 column;
* one 标准明细表 per pilot (``标准明细表/<pilot_id>.xlsx``): the register's columns with
  drop-downs of the levels, statuses, origins and 是/否.

Each is read back by the campaign file lines :func:`campaign_lines` gives (``layout: wide``
for the expert workbooks, a glob whose file names are the pilot ids for the others), as the
bureau receives it, with no conversion (``docs/importing.md``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from evalkit.campaign import Campaign
from evalkit.errors import UsageError
from evalkit.tables.vocabulary import CATEGORIES

EXPERT_FOLDER = "专家打分表"
CHECKLIST_FOLDER = "现场检查表"
REGISTER_FOLDER = "标准明细表"

#: The results a checklist's drop-down offers (the symbols are read as conform / nonconform).
CHECK_RESULTS = ("符合", "基本符合", "不符合", "不适用", "✓", "×")
CHECKLIST_HEADER = ("检查项编号", "标准编号", "检查内容", "检查结果", "关键项", "备注")
REGISTER_HEADER = ("序号", "标准编号", "标准名称", "级别", "状态", "来源", "是否实施")

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
#: Characters no file name may hold on Windows or Linux.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class ExpertColumn:
    """An expert-scored indicator as a column of the 专家打分表."""

    indicator: str  # the id the experts table uses (the ``expert.<id>`` metric's key)
    label: str
    points: float

    @property
    def header(self) -> str:
        return f"{self.indicator}{self.label}（{self.points:g}分）"


def expert_columns(campaign: Campaign) -> list[ExpertColumn]:
    """The scheme's expert-scored leaves (``rule: expert``), in scheme order, with their points."""
    scales = campaign.scheme.leaf_scales()
    return [ExpertColumn(leaf.metric.removeprefix("expert."), leaf.label, scales[leaf.id])
            for leaf in campaign.scheme.leaves()
            if leaf.rule is not None and leaf.rule.name == "expert" and leaf.metric]


def write_forms(campaign: Campaign, out: Path, experts: Sequence[str] | None = None) -> list[Path]:
    """Write every blank form of ``campaign`` under ``out``; the paths written.

    Parameters
    ----------
    campaign : Campaign
        Its scheme gives the expert-scored indicators, its pilots the rows, its standards
        register (when it has one) each pilot's checklist items.
    out : Path
        Directory to write into (created).
    experts : sequence of str, optional
        The experts' names, one workbook each; default: the experts of the campaign's
        experts table.

    Raises
    ------
    UsageError
        When no expert is named and the campaign has no experts table to take them from,
        or when a name cannot be a file name.
    """
    columns = expert_columns(campaign)
    if experts is None:
        table = campaign.table("experts")
        experts = sorted(set(table["expert_id"])) if table is not None and len(table) else []
    if columns and not experts:
        raise UsageError("name the experts (--experts 张三 李四 …): the campaign has no expert scores to take them from")
    for name in experts:
        if not name.strip() or _UNSAFE.search(name) or name.strip(" .") != name:
            raise UsageError(f"--experts: '{name}' cannot be a file name")
    written = []
    if columns:
        (out / EXPERT_FOLDER).mkdir(parents=True, exist_ok=True)
        for name in experts:
            written.append(_save(expert_workbook(campaign, columns, name), out / EXPERT_FOLDER / f"{name}.xlsx"))
    (out / CHECKLIST_FOLDER).mkdir(parents=True, exist_ok=True)
    (out / REGISTER_FOLDER).mkdir(parents=True, exist_ok=True)
    for pilot in campaign.pilots.sort_values("pilot_id").itertuples(index=False):
        written.append(_save(checklist_workbook(campaign, pilot.pilot_id, pilot.name),
                             out / CHECKLIST_FOLDER / f"{pilot.pilot_id}.xlsx"))
        written.append(_save(register_workbook(campaign, pilot.pilot_id, pilot.name),
                             out / REGISTER_FOLDER / f"{pilot.pilot_id}.xlsx"))
    return written


def campaign_lines(out: str, expert_columns_present: bool) -> str:
    """The ``data:`` lines of a campaign file that read the filled-in forms back."""
    lines = ["data:"]
    if expert_columns_present:
        lines.append(f"  experts: {{path: {out}/{EXPERT_FOLDER}/*.xlsx, layout: wide}}")
    lines.append(f"  inspections: {out}/{CHECKLIST_FOLDER}/*.xlsx")
    lines.append(f"  standards: {out}/{REGISTER_FOLDER}/*.xlsx")
    return "\n".join(lines)


def _save(book: openpyxl.Workbook, path: Path) -> Path:
    temporary = path.with_name(path.name + ".tmp")
    book.save(temporary)
    temporary.replace(path)
    return path


def expert_workbook(campaign: Campaign, columns: Sequence[ExpertColumn], expert: str) -> openpyxl.Workbook:
    """One expert's 专家打分表: a row per pilot, a column per expert-scored indicator."""
    header = ["序号", "试点编号", "试点名称", *(column.header for column in columns), "合计"]
    book, sheet = _new_sheet("专家打分表", f"{campaign.title} 专家打分表", header, f"评审专家：{expert}")
    first, last = 4, 3 + len(columns)  # the score columns (1-based)
    pilots = campaign.pilots.sort_values("pilot_id")
    for number, pilot in enumerate(pilots.itertuples(index=False), start=1):
        row = 3 + number
        total = f"=SUM({get_column_letter(first)}{row}:{get_column_letter(last)}{row})"
        sheet.append([number, pilot.pilot_id, pilot.name, *([None] * len(columns)), total])
    end = 3 + len(pilots)
    for position, column in enumerate(columns, start=first):
        letter = get_column_letter(position)
        validation = DataValidation(
            type="decimal", operator="between", formula1="0", formula2=f"{column.points:g}", allow_blank=True,
            showInputMessage=True, promptTitle=f"{column.indicator} 评分"[:32],
            prompt=f"请填写 0～{column.points:g} 之间的得分（{column.label}）"[:255], showErrorMessage=True,
            errorTitle="得分超出范围", error=f"{column.indicator} 的得分应在 0～{column.points:g} 之间")
        sheet.add_data_validation(validation)
        if end >= 4:
            validation.add(f"{letter}4:{letter}{end}")
        for row in range(4, end + 1):
            cell = sheet.cell(row, position)
            cell.protection = Protection(locked=False)
            cell.fill = _INPUT_FILL
        sheet.column_dimensions[letter].width = max(12, min(30, len(column.header) * 2))
    _finish(sheet, 3, len(header), {"A": 6, "B": 14, "C": 44}, "D4")
    sheet.protection.sheet = True  # only the score cells can be edited
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    return book


def checklist_workbook(campaign: Campaign, pilot_id: str, name: str) -> openpyxl.Workbook:
    """One pilot's 现场检查表: an item per standard of its register (blank rows without one)."""
    book, sheet = _new_sheet("现场检查表", f"{name} 标准实施现场检查表", CHECKLIST_HEADER)
    standards = campaign.table("standards")
    codes = [] if standards is None else list(standards.loc[standards["pilot_id"] == pilot_id, "std_code"])
    rows = [(f"I{number}", code, f"《{code}》的实施情况") for number, code in enumerate(codes, start=1)]
    rows += [(None, None, None)] * max(10 - len(rows), 0)  # room for more items (blank rows are not read)
    for row in rows:
        sheet.append([*row, None, None, None])
    end = 2 + len(rows)
    results = DataValidation(type="list", formula1='"' + ",".join(CHECK_RESULTS) + '"', allow_blank=True,
                             showInputMessage=True, promptTitle="检查结果",
                             prompt="符合、基本符合、不符合、不适用；✓ 即符合，× 即不符合")
    critical = DataValidation(type="list", formula1='"是,否"', allow_blank=True, showInputMessage=True,
                              promptTitle="关键项", prompt="关键项填“是”（关键项不符合即严重不符合），其余留空或填“否”")
    for validation, letter in ((results, "D"), (critical, "E")):
        sheet.add_data_validation(validation)
        validation.add(f"{letter}3:{letter}{end}")
    for row in range(3, end + 1):
        for column in (4, 5, 6):
            sheet.cell(row, column).fill = _INPUT_FILL
    sheet.append(["说明：检查结果填写符合、基本符合、不符合或不适用（✓ 符合，× 不符合）；关键项填“是”；"
                  "不符合的请在备注中写明原因。"])
    _finish(sheet, 2, len(CHECKLIST_HEADER), dict(zip("ABCDEF", (12, 22, 40, 12, 10, 36))), "A3")
    return book


def register_workbook(campaign: Campaign, pilot_id: str, name: str) -> openpyxl.Workbook:
    """One pilot's 标准明细表, blank, with drop-downs of the allowed values."""
    book, sheet = _new_sheet("标准明细表", f"{name} 标准明细表", REGISTER_HEADER)
    rows = 30
    lists = {"D": CATEGORIES["level"], "E": CATEGORIES["status"], "F": CATEGORIES["origin"]}
    for letter, codes in lists.items():
        labels = ",".join(aliases[0] for aliases in codes.values())
        validation = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True)
        sheet.add_data_validation(validation)
        validation.add(f"{letter}3:{letter}{rows + 2}")
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    sheet.add_data_validation(yes_no)
    yes_no.add(f"G3:G{rows + 2}")
    _finish(sheet, 2, len(REGISTER_HEADER), dict(zip("ABCDEFG", (8, 24, 40, 12, 10, 10, 10))), "A3")
    return book


def _new_sheet(name: str, title: str, header: Sequence[str], *above: str) -> tuple[openpyxl.Workbook, Worksheet]:
    """A workbook of one sheet: a merged title row, the ``above`` lines, then the header row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = name
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(header), 1))
    sheet.cell(1, 1).font = _TITLE
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    for line in above:
        sheet.append([line])
    sheet.append(list(header))
    return book, sheet


def _finish(sheet: Worksheet, header_row: int, width: int, widths: dict[str, float], freeze: str) -> None:
    """Style the header row, set column widths, freeze the panes above and left of ``freeze``,
    and print it landscape, one page wide, with the rows down to the header on every page."""
    _style_header(sheet, header_row, width)
    sheet.row_dimensions[header_row].height = 48  # long indicator labels wrap
    for letter, size in widths.items():
        sheet.column_dimensions[letter].width = size
    sheet.freeze_panes = freeze
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{header_row}"


def _style_header(sheet: Worksheet, row: int, width: int) -> None:
    for column in range(1, width + 1):
        cell = sheet.cell(row, column)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
