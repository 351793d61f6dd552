"""``evalkit verify``: an untouched evaluation reproduces; every change to an input, a score
file or a report is found and named, with the exit code of docs/commands.md (0 / 1 / 2).

Most tests verify a directory made by ``evalkit score`` (which writes a manifest too); the
tests about report pages use one ``evalkit run`` of the tiny campaign, copied per test.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import zipfile
from pathlib import Path

import pytest

from evalkit.batch import run_reports
from evalkit.cli import main
from evalkit.digest import sha256_file
from evalkit.load import load_campaign
from evalkit.verify import DIFFERENT, INPUTS_CHANGED, REPRODUCED, ScoreDifference, verify
from tests.tiny import copy_tiny, edit

# ---------------------------------------------------------------------------------------
# fixtures


def scored(base: Path) -> Path:
    """A copy of the tiny campaign scored by ``evalkit score``; returns its report directory."""
    campaign = copy_tiny(base)
    assert main(["score", str(campaign)]) == 0
    return campaign.parent / "reports"


@pytest.fixture()
def reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    directory = scored(tmp_path)
    capsys.readouterr()
    return directory


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny campaign after ``evalkit run`` (jobs=1): its folder, with reports/."""
    campaign = load_campaign(copy_tiny(tmp_path_factory.mktemp("rendered")))
    summary = run_reports(campaign, jobs=1, progress=False)
    assert not summary.failed
    return campaign.path.parent


@pytest.fixture()
def run_copy(rendered: Path, tmp_path: Path) -> Path:
    """A copy of the rendered campaign; returns its report directory."""
    shutil.copytree(rendered, tmp_path / "tiny")
    return tmp_path / "tiny" / "reports"


def cli(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, list[str]]:
    code = main(["verify", *arguments])
    return code, capsys.readouterr().out.splitlines()


def flat_copy(reports: Path, target: Path) -> Path:
    """The campaign's input files copied into one folder, as an assessor might receive them."""
    target.mkdir()
    for path in reports.parent.iterdir():
        if path.is_file():
            shutil.copy(path, target / path.name)
    return target


# ---------------------------------------------------------------------------------------
# reproduced


def test_an_untouched_evaluation_reproduces_with_one_line(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = cli(capsys, str(reports))
    assert code == REPRODUCED
    assert len(lines) == 1
    assert lines[0].startswith("reproduced: tiny, 3 pilots; 9 inputs, 3 score files and 0 report files match "
                               "manifest.json (sha256 ")


def test_an_untouched_run_with_its_reports_reproduces(run_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = verify(run_copy)
    assert result.status == REPRODUCED, result.lines()
    # 6 pages (index, 3 pilots, 2 districts) and the 5 executed notebooks of the pilot and district pages
    assert "3 score files and 12 report files match manifest.json" in result.summary
    assert cli(capsys, str(run_copy))[0] == REPRODUCED


def test_the_manifest_records_git_platform_and_every_output(run_copy: Path) -> None:
    manifest = json.loads((run_copy / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["evalkit"]) == {"version", "code", "git"}
    git = manifest["evalkit"]["git"]
    assert git is None or (len(git["revision"]) == 40 and isinstance(git["dirty"], bool))
    assert manifest["packages"]["python"] and manifest["packages"]["openpyxl"] and manifest["platform"]
    assert [record["path"] for record in manifest["scores"]] == ["scores.csv", "scores.xlsx", "scorecards.jsonl"]
    for record in manifest["scores"]:
        assert record["sha256"] == sha256_file(run_copy / record["path"])
    pilot = next(entry for entry in manifest["reports"] if entry["path"] == "pilots/P1.html")
    assert pilot["audit_sha256"] == sha256_file(run_copy / "pilots" / "P1.ipynb")
    assert pilot["parameters"]["pilot_id"] == "P1" and pilot["status"] == "rendered" and pilot["error"] is None
    assert "timestamp" not in json.dumps(manifest) and "2026-" not in json.dumps(manifest)


# ---------------------------------------------------------------------------------------
# inputs changed: exit 2, naming the input


def test_a_changed_survey_answer_is_exit_2_naming_surveys_csv(reports: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    edit(reports.parent / "surveys.csv", "P2,R1,staff,3,3,", "P2,R1,staff,4,3,")
    result = verify(reports)
    assert result.status == INPUTS_CHANGED
    assert [(c.role, c.name) for c in result.changed_inputs] == [("data.surveys", "surveys.csv")]
    assert result.summary == "INPUTS CHANGED: tiny: changed: surveys.csv"
    # what the change does to the published scores is listed too
    assert ScoreDifference("P2", "B2", "12.5000", "15.6250", "scores.csv") in result.score_differences
    code, lines = cli(capsys, str(reports))
    assert code == INPUTS_CHANGED
    assert any(line.startswith("input changed: ../surveys.csv (data.surveys): sha256 ") for line in lines)
    assert lines[-1] == "INPUTS CHANGED: tiny: changed: surveys.csv"


def test_a_changed_inspection_result_is_exit_2_naming_inspections_csv(reports: Path) -> None:
    edit(reports.parent / "inspections.csv", "P1,I2,DB31/T 1000-2016,张三,partial", "P1,I2,DB31/T 1000-2016,张三,conform")
    result = verify(reports)
    assert result.status == INPUTS_CHANGED
    assert [c.name for c in result.changed_inputs] == ["inspections.csv"]
    assert ScoreDifference("P1", "B1", "30.0000", "40.0000", "scores.csv") in result.score_differences


def test_a_changed_scheme_weight_is_exit_2_naming_the_scheme(reports: Path) -> None:
    scheme = reports.parent / "scheme.yaml"
    edit(scheme, "label: 现场检查符合率, points: 40", "label: 现场检查符合率, points: 35")
    edit(scheme, "label: 员工标准知晓, points: 20", "label: 员工标准知晓, points: 25")
    result = verify(reports)
    assert result.status == INPUTS_CHANGED
    assert [(c.role, c.name) for c in result.changed_inputs] == [("scheme", "scheme.yaml")]
    assert "scheme.yaml" in result.summary
    assert ScoreDifference("P1", "B1", "30.0000", "26.2500", "scores.csv") in result.score_differences


def test_a_missing_input_is_exit_2(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (reports.parent / "kpis.csv").unlink()
    code, lines = cli(capsys, str(reports))
    assert code == INPUTS_CHANGED
    assert lines[-1] == "INPUTS CHANGED: tiny: missing: kpis.csv"
    assert any(line.startswith("input missing: ../kpis.csv (data.kpis): not found at ") for line in lines)


def test_no_manifest_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = cli(capsys, str(tmp_path))
    assert code == INPUTS_CHANGED and lines == [f"cannot verify: no manifest.json in {tmp_path} "
                                                "(made by 'evalkit run' or 'evalkit score')"]
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert verify(tmp_path).status == INPUTS_CHANGED


# ---------------------------------------------------------------------------------------
# outputs changed: exit 1, naming the file and the value


def test_one_number_edited_in_scores_csv_is_exit_1(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(reports / "scores.csv", "P1,黄浦区社区养老服务标准化试点,黄浦区,公共服务,89.5000",
         "P1,黄浦区社区养老服务标准化试点,黄浦区,公共服务,99.5000")
    result = verify(reports)
    assert result.status == DIFFERENT
    assert [c.path for c in result.changed_outputs] == ["scores.csv"]
    assert result.score_differences == (ScoreDifference("P1", "total", "99.5000", "89.5000", "scores.csv"),)
    code, lines = cli(capsys, str(reports))
    assert code == DIFFERENT
    assert "score differs: scores.csv: P1 total: published 99.5000, recomputed 89.5000" in lines
    assert lines[-1] == ("NOT REPRODUCED: tiny: 1 value differs (scores.csv); 1 output file changed since the run "
                         "(scores.csv)")


def test_one_number_edited_in_the_scorecards_is_exit_1(reports: Path) -> None:
    text = (reports / "scorecards.jsonl").read_text(encoding="utf-8")
    assert text.count('"points":8.5,') == 1
    (reports / "scorecards.jsonl").write_text(text.replace('"points":8.5,', '"points":9.5,'), encoding="utf-8")
    result = verify(reports)
    assert result.status == DIFFERENT
    assert [c.path for c in result.changed_outputs] == ["scorecards.jsonl"]
    assert result.score_differences == (ScoreDifference("P1", "A1.points", "9.5", "8.5", "scorecards.jsonl"),)


def test_an_edited_xlsx_cell_is_exit_1(reports: Path) -> None:
    path = reports / "scores.xlsx"
    with zipfile.ZipFile(path) as book:
        entries = [(info, book.read(info)) for info in book.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for info, data in entries:
            if info.filename == "xl/worksheets/sheet1.xml":
                assert data.count(b"<v>89.5</v>") == 1
                data = data.replace(b"<v>89.5</v>", b"<v>98.5</v>")
            book.writestr(info, data)
    path.write_bytes(buffer.getvalue())
    result = verify(reports)
    assert result.status == DIFFERENT
    assert ScoreDifference("P1", "总表: 总分", "98.5", "89.5", "scores.xlsx") in result.score_differences


def test_xlsx_compressed_differently_but_with_the_same_values_reproduces(reports: Path) -> None:
    """A zlib build that compresses differently changes the zip's bytes, not the cells' values."""
    path = reports / "scores.xlsx"
    with zipfile.ZipFile(path) as book:
        entries = [(info, book.read(info)) for info in book.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for info, data in entries:
            book.writestr(info, data, compresslevel=9)
    assert buffer.getvalue() != path.read_bytes()
    path.write_bytes(buffer.getvalue())
    manifest_path = reports / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["scores"][1]["sha256"] = sha256_file(path)  # as published by that machine
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert verify(reports).status == REPRODUCED


def test_an_edited_report_page_is_exit_1_naming_it(run_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = run_copy / "pilots" / "P1.html"
    html = page.read_text(encoding="utf-8")
    assert html.count('data-value="89.5" id="total">89.50<') == 1
    page.write_text(html.replace('data-value="89.5" id="total">89.50<', 'data-value="99.5" id="total">99.50<'),
                    encoding="utf-8")
    code, lines = cli(capsys, str(run_copy))
    assert code == DIFFERENT
    assert any(line.startswith("output changed since the run: pilots/P1.html: sha256 ") for line in lines)
    assert lines[-1] == "NOT REPRODUCED: tiny: 1 output file changed since the run (pilots/P1.html)"


def test_an_edited_audit_notebook_or_a_deleted_page_is_exit_1(run_copy: Path) -> None:
    notebook = run_copy / "districts" / "徐汇区.ipynb"
    notebook.write_bytes(notebook.read_bytes().replace(b"\n", b"\r\n", 1))
    (run_copy / "index.html").unlink()
    result = verify(run_copy)
    assert result.status == DIFFERENT
    assert {(c.path, c.missing) for c in result.changed_outputs} == {("districts/徐汇区.ipynb", False),
                                                                      ("index.html", True)}


# ---------------------------------------------------------------------------------------
# --inputs DIR: an assessor's own copy of the data


def test_inputs_dir_with_byte_different_but_identical_data_reproduces(reports: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    own = flat_copy(reports, tmp_path / "own")
    pilots = own / "pilots.csv"
    pilots.write_bytes(pilots.read_text(encoding="utf-8").encode("gbk"))  # re-saved by Excel in China
    surveys = own / "surveys.csv"
    header, *rows = surveys.read_text(encoding="utf-8").splitlines()
    random.Random(1).shuffle(rows)
    surveys.write_text("\r\n".join([header, *rows]) + "\r\n", encoding="utf-8-sig")
    result = verify(reports, inputs=own)
    assert result.status == REPRODUCED, result.lines()
    assert sorted(c.name for c in result.changed_inputs) == ["pilots.csv", "surveys.csv"]
    assert "(2 of them differ in bytes but give the same scores)" in result.summary
    code, lines = cli(capsys, str(reports), "--inputs", str(own))
    assert code == REPRODUCED
    assert not any(line.startswith("input changed") for line in lines)


def test_inputs_dir_with_a_real_data_change_lists_pilots_and_indicators(reports: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    own = flat_copy(reports, tmp_path / "own")
    edit(own / "surveys.csv", "P2,R1,staff,3,3,", "P2,R1,staff,4,3,")
    result = verify(reports, inputs=own)
    assert result.status == DIFFERENT
    csv_differences = [d for d in result.score_differences if d.file == "scores.csv"]
    assert csv_differences == [ScoreDifference("P2", "total", "40.0000", "43.1250", "scores.csv"),
                               ScoreDifference("P2", "B", "32.5000", "35.6250", "scores.csv"),
                               ScoreDifference("P2", "B2", "12.5000", "15.6250", "scores.csv")]
    assert ScoreDifference("P2", "B2.value", "0.5", "0.625", "scorecards.jsonl") in result.score_differences
    code, lines = cli(capsys, str(reports), "--inputs", str(own))
    assert code == DIFFERENT
    assert "score differs: scores.csv: P2 B2: published 12.5000, recomputed 15.6250" in lines


def test_inputs_dir_in_the_published_layout(rendered: Path, tmp_path: Path) -> None:
    """Inputs found by their path below the inputs' common folder (here the campaign folder itself)."""
    own = tmp_path / "own"
    shutil.copytree(rendered, own, ignore=shutil.ignore_patterns("reports"))
    (own / "extra").mkdir()
    shutil.move(own / "kpis.csv", own / "extra" / "kpis.csv")  # not where the layout says: not found
    result = verify(rendered / "reports", inputs=own)
    assert result.status == INPUTS_CHANGED
    assert [(c.name, c.missing) for c in result.changed_inputs] == [("kpis.csv", True)]
    shutil.move(own / "extra" / "kpis.csv", own / "kpis.csv")
    assert verify(rendered / "reports", inputs=own).status == REPRODUCED


def test_inputs_dir_missing_a_file_is_exit_2(reports: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    own = flat_copy(reports, tmp_path / "own")
    (own / "experts.csv").unlink()
    code, lines = cli(capsys, str(reports), "--inputs", str(own))
    assert code == INPUTS_CHANGED
    assert lines[-1] == "INPUTS CHANGED: tiny: missing: experts.csv"
    assert f"input missing: ../experts.csv (data.experts): not found in {own}" in lines


def test_inputs_dir_that_does_not_load_is_exit_2(reports: Path, tmp_path: Path) -> None:
    own = flat_copy(reports, tmp_path / "own")
    edit(own / "kpis.csv", "P1,投诉率,final,0.03", "P1,投诉率,final,n/a?")
    result = verify(reports, inputs=own)
    assert result.status == INPUTS_CHANGED
    assert any("kpis.csv:3:value: 'n/a?' is not a number" in error for error in result.errors)


def test_inputs_dir_that_does_not_exist_is_a_usage_error(reports: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(reports), "--inputs", str(tmp_path / "nowhere")]) == 2
    assert "no such directory" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# evalkit score and the manifest of a run


def test_score_keeps_the_report_entries_of_a_run(run_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = json.loads((run_copy / "manifest.json").read_text(encoding="utf-8"))
    assert main(["score", str(run_copy.parent / "campaign.yaml")]) == 0
    after = json.loads((run_copy / "manifest.json").read_text(encoding="utf-8"))
    assert after["reports"] == before["reports"]
    assert verify(run_copy).status == REPRODUCED
    edit(run_copy.parent / "kpis.csv", "P1,投诉率,final,0.03", "P1,投诉率,final,0.04")
    assert main(["score", str(run_copy.parent / "campaign.yaml")]) == 0
    capsys.readouterr()
    after = json.loads((run_copy / "manifest.json").read_text(encoding="utf-8"))
    assert {entry["status"] for entry in after["reports"]} == {"outdated"}
    result = verify(run_copy)  # the new scores reproduce; the reports are flagged as outdated
    assert result.status == REPRODUCED and any("outdated when published" in note for note in result.notes)


def test_standards_scores_are_verified_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_per_standard import write_standard_campaign

    campaign = write_standard_campaign(tmp_path / "standards")
    out = tmp_path / "out"
    assert main(["score", str(campaign), "--out", str(out)]) == 0
    capsys.readouterr()
    assert verify(out).status == REPRODUCED
    text = (out / "standards_scores.csv").read_text(encoding="utf-8-sig")
    first = text.splitlines()[1].split(",")
    first[4] = "99.0000"
    (out / "standards_scores.csv").write_text(text.replace(text.splitlines()[1], ",".join(first)),
                                              encoding="utf-8-sig")
    result = verify(out)
    assert result.status == DIFFERENT and [c.path for c in result.changed_outputs] == ["standards_scores.csv"]
    assert [(d.pilot, d.indicator, d.expected) for d in result.score_differences] == [(first[0], "total", "99.0000")]


def test_a_run_renders_again_a_page_whose_notebook_was_edited(run_copy: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Not carried into the next manifest as if it were the original."""
    notebook = run_copy / "pilots" / "P1.ipynb"
    notebook.write_bytes(notebook.read_bytes().replace(b"\n", b"\r\n", 1))
    assert verify(run_copy).status == DIFFERENT
    summary = run_reports(load_campaign(run_copy.parent / "campaign.yaml"), jobs=1, progress=False)
    assert [path.name for path in summary.rendered] == ["P1.html"]
    assert verify(run_copy).status == REPRODUCED


# --------------------------------------------------------------------------- the first wave's format

FIRST_WAVE = Path(__file__).parent / "data" / "first-wave"


@pytest.fixture()
def first_wave(tmp_path: Path) -> Path:
    """A copy of an evaluation published in the first wave's format (manifest_version 1: scores.csv
    and scores.xlsx without the column missing, every scorecard in one indented scorecards.json),
    made by the evalkit of that time from the tiny campaign; its report directory."""
    shutil.copytree(FIRST_WAVE, tmp_path / "first-wave")
    return tmp_path / "first-wave" / "reports"


def test_a_first_wave_evaluation_is_verified_value_by_value(first_wave: Path) -> None:
    manifest = json.loads((first_wave / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["manifest_version"] == 1 and "missing" not in (first_wave / "scores.csv").read_text("utf-8-sig")
    result = verify(first_wave)
    assert result.status == REPRODUCED, result.lines()
    assert result.summary.startswith("reproduced: tiny, 3 pilots; ")


@pytest.mark.parametrize(("file", "old", "new", "difference"), [
    ("scores.csv", ",89.5000,", ",99.5000,", ScoreDifference("P1", "total", "99.5000", "89.5000", "scores.csv")),
    ("scorecards.json", '"points": 8.5,', '"points": 9.5,',
     ScoreDifference("P1", "A1.points", "9.5", "8.5", "scorecards.json")),
])
def test_a_first_wave_number_edited_is_found(first_wave: Path, file: str, old: str, new: str,
                                             difference: ScoreDifference) -> None:
    path = first_wave / file
    text = path.read_text(encoding="utf-8-sig" if file.endswith(".csv") else "utf-8")
    assert text.count(old) == 1
    path.write_bytes(text.replace(old, new).encode("utf-8-sig" if file.endswith(".csv") else "utf-8"))
    result = verify(first_wave)
    assert result.status == DIFFERENT and result.score_differences == (difference,)


def test_a_workbook_saved_again_with_the_same_values_reproduces(reports: Path) -> None:
    """scores.xlsx is compared by its cells' values: the same workbook written by another program."""
    import openpyxl

    path = reports / "scores.xlsx"
    book = openpyxl.load_workbook(path)
    book.save(path)
    manifest_path = reports / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["scores"][1]["sha256"] = sha256_file(path)  # as published that way
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert verify(reports).status == REPRODUCED
