"""`evalkit validate`: a clean summary, or every problem as file:row:column and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from evalkit.cli import main
from tests.tiny import TINY, copy_tiny, edit


def run_validate(campaign: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["validate", str(campaign)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_clean_campaign_prints_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_validate(TINY / "campaign.yaml", capsys)
    assert code == 0, err
    assert "is valid" in out
    assert "pilots              3" in out
    assert "districts           2" in out
    assert "survey respondents  6" in out


def _csv(name: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda d: edit(d / name, old, new)


def _yaml(name: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda d: edit(d / name, old, new)


def _write(name: str, content: bytes) -> Callable[[Path], None]:
    return lambda d: (d / name).write_bytes(content)


def _xlsx_without_sheet(d: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "其他"
    book.save(d / "kpis.xlsx")
    edit(d / "campaign.yaml", "kpis: kpis.csv", "kpis: kpis.xlsx#绩效指标")


# (class of bad input, how to break the tiny campaign, the problem line expected on stderr)
BAD_INPUTS: list[tuple[str, Callable[[Path], None], str]] = [
    ("unknown pilot reference", _csv("surveys.csv", "P3,R1", "P9,R1"),
     "surveys.csv:7:pilot_id: unknown pilot 'P9' (not in the pilots table)"),
    ("duplicate pilot id", _csv("pilots.csv", "P2,徐汇区", "P1,徐汇区"),
     "pilots.csv:3:pilot_id: duplicate row for pilot_id=P1 (first on row 2)"),
    ("duplicate respondent", _csv("surveys.csv", "P1,R2,staff", "P1,R1,staff"),
     "surveys.csv:3:respondent_id: duplicate row for pilot_id=P1, respondent_id=R1 (first on row 2)"),
    ("Likert value outside the scale", _csv("surveys.csv", "P2,R1,staff,3,3", "P2,R1,staff,9,3"),
     "surveys.csv:5:Q1: 9 is outside the scale 1–5"),
    ("Likert value not a scale point", _csv("surveys.csv", "P2,R1,staff,3,3", "P2,R1,staff,3.5,3"),
     "surveys.csv:5:Q1: 3.5 is not a whole point of the scale 1–5"),
    ("survey column not in questionnaire", _csv("surveys.csv", "Q1,Q2,C1", "Q1,Q2,C9"),
     "surveys.csv:1:C9: column 'C9' is not an item of questionnaire 'tiny-survey'"),
    ("questionnaire item without survey column", _csv("surveys.csv", "Q1,Q2,C1", "Q1,Q2,C9"),
     "surveys.csv:1:C1: questionnaire item 'C1' has no column in the survey"),
    ("dates out of order", _csv("pilots.csv", "2021-07-01,2023-06-30", "2023-07-01,2021-06-30"),
     "pilots.csv:4:end_date: end_date 2021-06-30 is before start_date 2023-07-01"),
    ("unreadable date", _csv("pilots.csv", "2021-07-01,2023-06-30", "2021-07-01,明年"),
     "pilots.csv:4:end_date: '明年' is not a date (use YYYY-MM-DD)"),
    ("empty table", _write("inspections.csv", "pilot_id,item_id,std_code,inspector,result,critical\n".encode()),
     "inspections.csv:2:: the inspections table has no rows"),
    ("missing required column", _csv("kpis.csv", "pilot_id,indicator,period,value,better", "pilot_id,indicator,period,value"),
     "kpis.csv:1:better: required column missing (better / 方向)"),
    ("duplicated column", _csv("experts.csv", "pilot_id,expert_id,indicator_id,score", "pilot_id,expert_id,indicator_id,score,得分"),
     "experts.csv:1:得分: duplicate column (same as 'score')"),
    ("unknown column", _csv("standards.csv", "origin,implemented", "origin,implemented,备注"),
     "standards.csv:1:备注: unknown column for the standards table"),
    ("unknown category value", _csv("standards.csv", "DB31/T 1000-2016,养老机构服务规范,local", "DB31/T 1000-2016,养老机构服务规范,省级"),
     "standards.csv:3:level: unknown value '省级'"),
    ("non-numeric KPI value", _csv("kpis.csv", "P1,投诉率,final,0.03", "P1,投诉率,final,约三成"),
     "kpis.csv:3:value: '约三成' is not a number"),
    ("not a yes/no value", _csv("standards.csv", "developed,yes", "developed,也许"),
     "standards.csv:4:implemented: '也许' is not yes/no"),
    ("missing required value", _csv("pilots.csv", "P2,徐汇区智慧停车服务标准化试点,徐汇区交通委,徐汇区", "P2,徐汇区智慧停车服务标准化试点,徐汇区交通委,"),
     "pilots.csv:3:district: a value is required"),
    ("pilot id with bad characters", _csv("pilots.csv", "P2,徐汇区智慧", "P 2,徐汇区智慧"),
     "pilots.csv:3:pilot_id: 'P 2': pilot_id may contain only letters"),
    ("wrong encoding", _write("experts.csv", "pilot_id,expert_id,indicator_id,score\nP1,专家,A1,9\n".encode("utf-16")),
     "experts.csv::: cannot decode: the file is neither UTF-8 nor GB18030/GBK"),
    ("xlsx with a missing sheet", _xlsx_without_sheet,
     "kpis.xlsx#绩效指标::: no sheet named '绩效指标' (sheets: 其他)"),
    ("data file not found", _yaml("campaign.yaml", "experts: experts.csv", "experts: expert.csv"),
     "campaign.yaml:11:data.experts: file not found: expert.csv"),
    ("campaign key missing", _yaml("campaign.yaml", "title: 测试用小型评估活动\n", ""),
     "campaign.yaml:1:title: 'title' is required"),
    ("malformed YAML", _yaml("scheme.yaml", "pass_mark: 80", "pass_mark: [80"),
     "scheme.yaml:6:: malformed YAML"),
    ("scheme points not summing", _yaml("scheme.yaml", "points: 40, metric: inspection", "points: 35, metric: inspection"),
     "scheme.yaml:4:total: points of the non-bonus indicators sum to 95, but total is 100"),
    ("scheme duplicate indicator id", _yaml("scheme.yaml", "{id: A3,", "{id: A2,"),
     "scheme.yaml:23:id: duplicate indicator id 'A2' (first on line 21)"),
    ("scheme unknown metric", _yaml("scheme.yaml", "metric: survey.awareness", "metric: survey.knowledge"),
     "scheme.yaml:28:metric: indicator 'B2': unknown survey construct 'knowledge'"),
    ("scheme unknown rule", _yaml("scheme.yaml", "rule: per_unit, per_unit: 1", "rule: per_item, per_unit: 1"),
     "scheme.yaml:23:rule: unknown rule 'per_item'"),
    ("scheme grades unordered", _yaml("scheme.yaml", "{label: 优秀, min: 90}", "{label: 优秀, min: 70}"),
     "scheme.yaml:9:grades: grades must be listed from the highest min to the lowest"),
    ("scheme AHP inconsistent", _yaml("scheme.yaml", "  - id: B\n    label: 标准实施\n    children:\n      - {id: B1, label: 现场检查符合率, points: 40, metric: inspection.conformity_rate}\n      - {id: B2, label: 员工标准知晓, points: 20, metric: survey.awareness, rule: target, target: 0.8}\n      - {id: B3, label: 投诉率下降, points: 15, metric: kpi.投诉率.change, rule: target, target: 0.2}",
                                      "  - id: B\n    label: 标准实施\n    points: 75\n    ahp: [[1, 9, 1/9], [0.1111111111, 1, 9], [9, 0.1111111111, 1]]\n    children:\n      - {id: B1, label: 现场检查符合率, metric: inspection.conformity_rate}\n      - {id: B2, label: 员工标准知晓, metric: survey.awareness, rule: target, target: 0.8}\n      - {id: B3, label: 投诉率下降, metric: kpi.投诉率.change, rule: target, target: 0.2}"),
     "scheme.yaml:27:ahp: AHP matrix of 'B' is inconsistent: CR = "),
    ("expert score above the indicator's points", _csv("experts.csv", "P1,E1,A1,9", "P1,E1,A1,19"),
     "experts.csv:2:score: 19 is outside 0–10, the points of indicator A1"),
    ("expert score for an unknown indicator", _csv("experts.csv", "P1,E2,A1,8", "P1,E2,A9,8"),
     "experts.csv:3:indicator_id: 'A9' is not an expert-scored indicator"),
    ("questionnaire unknown construct", _yaml("questionnaire.yaml", "C1: {construct: satisfaction", "C1: {construct: happiness"),
     "questionnaire.yaml:9:C1: unknown construct 'happiness'"),
    ("KPI direction differs between periods", _csv("kpis.csv", "P2,投诉率,final,0.05,lower", "P2,投诉率,final,0.05,higher"),
     "kpis.csv:5:better: 'better' differs between periods of P2 / 投诉率"),
]


@pytest.mark.parametrize("break_it,expected", [(b, e) for _, b, e in BAD_INPUTS], ids=[c for c, _, _ in BAD_INPUTS])
def test_bad_input_is_reported_with_file_row_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    break_it: Callable[[Path], None], expected: str,
) -> None:
    campaign = copy_tiny(tmp_path)
    monkeypatch.chdir(campaign.parent)
    break_it(campaign.parent)
    before = sorted(p.name for p in campaign.parent.iterdir())
    code, out, err = run_validate(Path("campaign.yaml"), capsys)
    assert code == 2
    assert expected in err, err
    assert "Traceback" not in err
    assert "problem" in err.splitlines()[-1]
    assert sorted(p.name for p in campaign.parent.iterdir()) == before, "validate writes nothing"


def test_at_least_fifteen_classes_of_bad_input() -> None:
    assert len({name for name, _, _ in BAD_INPUTS}) >= 15


def test_every_problem_is_reported_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    campaign = copy_tiny(tmp_path)
    monkeypatch.chdir(campaign.parent)
    edit(Path("surveys.csv"), "P3,R1", "P9,R1")
    edit(Path("kpis.csv"), "P1,投诉率,final,0.03", "P1,投诉率,final,abc")
    edit(Path("scheme.yaml"), "metric: survey.awareness", "metric: survey.knowledge")
    code, _, err = run_validate(Path("campaign.yaml"), capsys)
    assert code == 2
    assert "surveys.csv:7:pilot_id" in err and "kpis.csv:3:value" in err and "scheme.yaml:28:metric" in err
    assert "3 problems found" in err


def test_console_script_exit_code_and_no_traceback(tmp_path: Path) -> None:
    campaign = copy_tiny(tmp_path)
    edit(campaign.parent / "surveys.csv", "P3,R1", "P9,R1")
    result = subprocess.run([sys.executable, "-m", "evalkit.cli", "validate", str(campaign)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert "tiny/surveys.csv:7:pilot_id: unknown pilot 'P9'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_campaign_file_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_validate(tmp_path / "nowhere.yaml", capsys)
    assert code == 2
    assert "nowhere.yaml::: file not found" in err


def test_score_command_writes_the_three_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["score", str(TINY / "campaign.yaml"), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert "scored 3 pilots of tiny" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["scorecards.json", "scores.csv", "scores.xlsx"]


def test_score_command_on_bad_input_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    campaign = copy_tiny(tmp_path)
    edit(campaign.parent / "kpis.csv", "P1,投诉率,final,0.03", "P1,投诉率,final,n/a?")
    code = main(["score", str(campaign), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "kpis.csv:3:value: 'n/a?' is not a number" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_run_with_unknown_only_id_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    campaign = copy_tiny(tmp_path)
    code = main(["run", str(campaign), "--only", "P9", "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no pilot or district named 'P9'" in err
    assert "Traceback" not in err


def test_a_generated_500_pilot_campaign_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path / "d500"), "--pilots", "500", "--seed", "7"]) == 0
    code, out, err = run_validate(tmp_path / "d500" / "campaign.yaml", capsys)
    assert code == 0, err
    assert "pilots              500" in out
    assert "districts           16" in out


def test_shipped_demo_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_validate(Path(__file__).resolve().parents[1] / "params" / "demo.yaml", capsys)
    assert code == 0, err
    assert "pilots              48" in out
