"""`evalkit validate`: a clean summary, or every problem as file:row:column and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.folder_lock import LOCK_FILE
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


# Classes of bad input, each with its expected file:row:column line, exit 2, no traceback and no
# file touched, are the corpus under tests/corpus, run by tests/test_corpus.py.


def test_every_problem_is_reported_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    campaign = copy_tiny(tmp_path)
    monkeypatch.chdir(campaign.parent)
    edit(Path("surveys.csv"), "P3,R1", "P9,R1")
    edit(Path("kpis.csv"), "P1,投诉率,final,0.03", "P1,投诉率,final,abc")
    edit(Path("scheme.yaml"), "metric: survey.awareness", "metric: survey.knowledge")
    # misspelt keys are reported, and do not hide the rest of their file's problems
    edit(Path("campaign.yaml"), "reports: reports", "reports: reports\nreport_title: x")
    edit(Path("scheme.yaml"), "pass_mark: 80", "pass_mark: 80\npassmark: 70")
    code, _, err = run_validate(Path("campaign.yaml"), capsys)
    assert code == 2
    assert "surveys.csv:7:pilot_id" in err and "kpis.csv:3:value" in err and "scheme.yaml:29:metric" in err
    assert "campaign.yaml:13:report_title: unknown key" in err and "scheme.yaml:6:passmark: unknown key" in err
    assert "5 problems found" in err


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


def test_score_command_writes_the_three_files_and_a_manifest(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["score", str(TINY / "campaign.yaml"), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert "scored 3 pilots of tiny" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name != LOCK_FILE) == [
        "manifest.json", "scorecards.jsonl", "scores.csv", "scores.xlsx"]


def test_score_command_on_bad_input_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    campaign = copy_tiny(tmp_path)
    edit(campaign.parent / "kpis.csv", "P1,投诉率,final,0.03", "P1,投诉率,final,n/a?")
    code = main(["score", str(campaign), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "kpis.csv:3:value: 'n/a?' is not a number" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("out", ["a-file", "a-file/below"])
def test_score_out_that_cannot_be_a_directory_is_a_usage_error(tmp_path: Path, out: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("kept", encoding="utf-8")
    code = main(["score", str(TINY / "campaign.yaml"), "--out", str(tmp_path / out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"evalkit score: --out {tmp_path / out} " in err and "a-file is a file" in err.replace(", not a directory", "")
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "kept"


def test_a_reader_that_stops_early_gets_no_broken_pipe_message(tmp_path: Path) -> None:
    # as with evalkit validate | head -1; `true` reads nothing, so the pipe is closed before
    # evalkit writes its first line
    command = f"{sys.executable} -m evalkit.cli validate {TINY / 'campaign.yaml'} | true"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=tmp_path)
    assert result.stderr == ""


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
