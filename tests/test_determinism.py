"""Determinism of the scored files (docs/outputs.md): ``scores.csv`` and ``scorecards.jsonl``
are byte-identical, and ``scores.xlsx`` holds identical values, for identical inputs whatever
the job count, the executor, the order of the input rows and columns, the input encoding —
and the machine.

"The machine" is pinned by golden files in ``tests/data/golden/tiny``: the exact bytes of
``scores.csv`` and ``scorecards.jsonl`` and the cell values of every sheet of ``scores.xlsx``
for the tiny campaign. They are checked here, and again in a fresh interpreter with another
time zone, locale, hash seed and working directory. A machine (operating system, CPU,
Python or package build) that formats or computes differently fails these tests.

After an *intended* change of the score files (a new field in the scorecards, a new rule),
regenerate the golden files and review their diff::

    EVALKIT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_determinism.py
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import distributed
import openpyxl
import pytest

from evalkit.batch import executors, run_reports
from evalkit.load import load_campaign
from evalkit.outputs import write_scores
from evalkit.report.provenance import code_fingerprint
from evalkit.scoring import score
from tests.tiny import TINY, copy_tiny

GOLDEN = Path(__file__).parent / "data" / "golden" / "tiny"
SCORED = ("scores.csv", "scores.xlsx", "scorecards.jsonl")
UPDATE = os.environ.get("EVALKIT_UPDATE_GOLDEN") == "1"


def xlsx_values(data: bytes) -> dict[str, list[list[Any]]]:
    """The cell values of every sheet of an xlsx file (as JSON gives them back)."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return json.loads(json.dumps({sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
                                      for sheet in book.worksheets}, ensure_ascii=False))
    finally:
        book.close()


def snapshot(reports: Path) -> dict[str, Any]:
    """What must not change between runs: the scored files, the pages, the manifest without
    timings (it holds the sha256 of every page and audit notebook)."""
    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["reports"]:
        entry.pop("seconds")
        if isinstance(entry.get("pdf"), dict):
            entry["pdf"].pop("seconds", None)
    return {
        "files": {name: (reports / name).read_bytes() for name in SCORED},
        "pages": {path.relative_to(reports).as_posix(): path.read_bytes() for path in sorted(reports.rglob("*.html"))},
        "manifest": manifest,
    }


# ---------------------------------------------------------------------------------------
# job counts and executors


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The tiny campaign rendered with jobs=1, then again (forced) with jobs=2, in one directory."""
    code_before = code_fingerprint.__wrapped__()
    campaign = load_campaign(copy_tiny(tmp_path_factory.mktemp("runs")))
    out: dict[str, Any] = {"code_before": code_before}
    for jobs in (1, 2):
        summary = run_reports(campaign, jobs=jobs, force=True, progress=False)
        assert not summary.failed and len(summary.rendered) == 7
        out[f"jobs={jobs}"] = snapshot(campaign.reports_dir)
    out["campaign"] = campaign
    return out


def skip_if_the_code_changed(runs: dict[str, Any]) -> None:
    """Pages show evalkit's code fingerprint, computed by each report kernel: an edit of
    evalkit while the runs went on (others working in the same checkout) changes them."""
    if code_fingerprint.__wrapped__() != runs["code_before"]:
        pytest.skip("evalkit's code changed while the runs went on (a concurrent edit of the checkout)")


def test_jobs_1_and_2_give_identical_scored_files(runs: dict[str, Any]) -> None:
    one, two = runs["jobs=1"], runs["jobs=2"]
    for name in SCORED:
        assert one["files"][name] == two["files"][name], name


def test_jobs_1_and_2_give_identical_pages_and_manifests_apart_from_seconds(runs: dict[str, Any]) -> None:
    one, two = runs["jobs=1"], runs["jobs=2"]
    skip_if_the_code_changed(runs)
    assert one["pages"].keys() == two["pages"].keys()
    assert [page for page in one["pages"] if one["pages"][page] != two["pages"][page]] == []
    assert one["manifest"] == two["manifest"]


def test_the_run_scores_match_the_golden_files(runs: dict[str, Any]) -> None:
    files = runs["jobs=1"]["files"]
    assert files["scores.csv"] == (GOLDEN / "scores.csv").read_bytes()
    assert files["scorecards.jsonl"] == (GOLDEN / "scorecards.jsonl").read_bytes()
    assert xlsx_values(files["scores.xlsx"]) == json.loads((GOLDEN / "scores.xlsx.values.json").read_text())


def test_a_dask_executor_gives_identical_files(runs: dict[str, Any], tmp_path: Path) -> None:
    campaign = runs["campaign"]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        summary = run_reports(campaign, executor=executors.DaskExecutor(client), force=True, progress=False)
    assert not summary.failed
    skip_if_the_code_changed(runs)
    dask = snapshot(campaign.reports_dir)
    assert dask["files"] == runs["jobs=1"]["files"]
    assert [page for page in dask["pages"] if dask["pages"][page] != runs["jobs=1"]["pages"][page]] == []
    assert dask["manifest"] == runs["jobs=1"]["manifest"]


# ---------------------------------------------------------------------------------------
# the order, layout and encoding of the input files


def scored_bytes(campaign_file: Path, out: Path) -> dict[str, bytes]:
    write_scores(score(load_campaign(campaign_file)), out)
    return {name: (out / name).read_bytes() for name in SCORED}


def test_row_order_column_order_and_encoding_of_the_inputs_do_not_matter(tmp_path: Path) -> None:
    original = scored_bytes(TINY / "campaign.yaml", tmp_path / "original")
    campaign_file = copy_tiny(tmp_path)
    rng = random.Random(2021)
    for table in sorted(campaign_file.parent.glob("*.csv")):
        header, *rows = [line.split(",") for line in table.read_text(encoding="utf-8").splitlines()]
        order = list(range(len(header)))
        rng.shuffle(order)
        rng.shuffle(rows)
        lines = [",".join(row[i] for i in order) for row in [header, *rows]]
        encoding = rng.choice(["utf-8", "utf-8-sig", "gbk"])
        table.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    assert scored_bytes(campaign_file, tmp_path / "shuffled") == original


def test_each_table_shuffled_alone_gives_identical_files(tmp_path: Path) -> None:
    original = scored_bytes(TINY / "campaign.yaml", tmp_path / "original")
    for seed, table in enumerate(("inspections", "surveys", "experts", "kpis", "standards", "pilots")):
        campaign_file = copy_tiny(tmp_path / table)
        path = campaign_file.parent / f"{table}.csv"
        header, *rows = path.read_text(encoding="utf-8").splitlines()
        random.Random(seed).shuffle(rows)
        rows.reverse()
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        assert scored_bytes(campaign_file, tmp_path / table / "out") == original, table


# ---------------------------------------------------------------------------------------
# machines: golden bytes, in this interpreter and in another environment


def test_scored_files_match_the_golden_files(tmp_path: Path) -> None:
    files = scored_bytes(TINY / "campaign.yaml", tmp_path / "out")
    values = xlsx_values(files["scores.xlsx"])
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        (GOLDEN / "scores.csv").write_bytes(files["scores.csv"])
        (GOLDEN / "scorecards.jsonl").write_bytes(files["scorecards.jsonl"])
        (GOLDEN / "scores.xlsx.values.json").write_text(json.dumps(values, indent=1, ensure_ascii=False) + "\n",
                                                        encoding="utf-8")
        pytest.skip("golden files written: review their diff")
    hint = "if this change is intended: EVALKIT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_determinism.py"
    assert files["scores.csv"] == (GOLDEN / "scores.csv").read_bytes(), hint
    assert files["scorecards.jsonl"] == (GOLDEN / "scorecards.jsonl").read_bytes(), hint
    assert values == json.loads((GOLDEN / "scores.xlsx.values.json").read_text(encoding="utf-8")), hint


def test_the_golden_files_are_plain_and_timeless() -> None:
    """What makes the bytes machine-independent, checked on the golden files themselves."""
    csv_bytes, json_bytes = (GOLDEN / "scores.csv").read_bytes(), (GOLDEN / "scorecards.jsonl").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and b"\r" not in csv_bytes and csv_bytes.endswith(b"\n")
    assert b"\r" not in json_bytes and json_bytes.endswith(b"}\n")
    lines = csv_bytes.decode("utf-8-sig").splitlines()
    numbers = [cell for line in lines[1:] for cell in line.split(",")[9:]] + [line.split(",")[4] for line in lines[1:]]
    assert all(len(cell.split(".")[1]) == 4 for cell in numbers)  # fixed decimals, never 1e-05 or a locale comma
    text = json_bytes.decode("utf-8")
    assert "NaN" not in text and "Infinity" not in text and "\\u" not in text  # strict JSON, CJK as UTF-8
    cards = [json.loads(line) for line in text.splitlines()]
    assert [card["pilot_id"] for card in cards] == sorted(card["pilot_id"] for card in cards)
    for data in (csv_bytes, json_bytes):
        assert b"2026" not in data and b"2025" not in data and b"T00:" not in data  # no timestamps


CHILD = """
import hashlib, io, json, sys, zipfile
from pathlib import Path
from evalkit.load import load_campaign
from evalkit.outputs import scorecards_jsonl, scores_csv, scores_xlsx
from evalkit.scoring import score
from tests.test_determinism import xlsx_values
scores = score(load_campaign(Path(sys.argv[1])))
print(json.dumps({"scores.csv": hashlib.sha256(scores_csv(scores)).hexdigest(),
                  "scorecards.jsonl": hashlib.sha256(scorecards_jsonl(scores)).hexdigest(),
                  "xlsx": xlsx_values(scores_xlsx(scores))}))
"""


def test_another_environment_gives_the_golden_bytes(tmp_path: Path) -> None:
    """A fresh interpreter with another time zone, locale, hash seed and working directory."""
    environment = {**os.environ, "TZ": "America/Los_Angeles", "LC_ALL": "C", "LANG": "C",
                   "PYTHONHASHSEED": "12345", "PYTHONIOENCODING": "latin-1", "PYTHONUTF8": "0",
                   "PYTHONPATH": str(Path(__file__).parents[1])}
    result = subprocess.run([sys.executable, "-c", CHILD, str(TINY / "campaign.yaml")], cwd=tmp_path, env=environment,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["scores.csv"] == hashlib.sha256((GOLDEN / "scores.csv").read_bytes()).hexdigest()
    assert found["scorecards.jsonl"] == hashlib.sha256((GOLDEN / "scorecards.jsonl").read_bytes()).hexdigest()
    assert found["xlsx"] == json.loads((GOLDEN / "scores.xlsx.values.json").read_text(encoding="utf-8"))
