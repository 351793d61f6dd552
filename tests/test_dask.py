"""Rendering on a Dask distributed cluster gives exactly what a local run gives.

A real ``distributed.LocalCluster`` (two worker processes on loopback, one thread each)
renders the tiny campaign; pages, ``scores.csv``, ``scorecards.jsonl`` and the manifest
(apart from the times: the seconds each report took, and the executed notebooks, which
record when each cell ran) must equal those of a local run of a copy.
"""

from __future__ import annotations

import json
import re

import distributed
import pytest

from evalkit.batch import run_reports
from evalkit.cli import main
from evalkit.load import load_campaign
from tests.tiny import copy_tiny

#: evalkit's code fingerprint as printed on a page. Each worker computes it when it starts, so
#: in a checkout edited while the tests run, two runs may print different ones; nothing else
#: on a page may differ.
_FINGERPRINT = re.compile('代码指纹 <span class="code">[0-9a-f]{12}</span>'.encode())


def _unfingerprinted(page: bytes) -> bytes:
    return _FINGERPRINT.sub(b"<fingerprint>", page)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None) as local, \
            distributed.Client(local, set_as_default=False) as client:  # as `evalkit run --scheduler` connects
        yield client


def _manifest(campaign) -> dict:
    manifest = json.loads((campaign.reports_dir / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["reports"]:  # what differs between any two runs: times, and the executed
        entry["seconds"] = None         # notebook, which records when each cell ran
        entry.pop("audit_sha256", None)
    return manifest


def _files(campaign) -> dict[str, bytes]:
    return {path.relative_to(campaign.reports_dir).as_posix(): path.read_bytes()
            for path in sorted(campaign.reports_dir.rglob("*"))
            if path.is_file() and path.suffix in (".html", ".csv", ".json")}


def test_a_dask_run_equals_a_local_run(cluster, tmp_path):
    local = load_campaign(copy_tiny(tmp_path / "local"))
    remote = load_campaign(copy_tiny(tmp_path / "remote"))
    expected_summary = run_reports(local, jobs=1, progress=False)
    summary = run_reports(remote, client=cluster, progress=False)
    assert expected_summary.exit_code == summary.exit_code == 0
    assert len(summary.rendered) == len(expected_summary.rendered) > 3
    workers = {entry["host"] for entry in cluster.scheduler_info()["workers"].values()}
    assert workers == {"127.0.0.1"}

    mine, theirs = _files(local), _files(remote)
    assert mine.keys() == theirs.keys()
    for name in mine:
        if name != "manifest.json":
            assert _unfingerprinted(mine[name]) == _unfingerprinted(theirs[name]), name
    expected = json.dumps(_manifest(local), ensure_ascii=False).replace(str(local.path.parent), "<campaign>")
    actual = json.dumps(_manifest(remote), ensure_ascii=False).replace(str(remote.path.parent), "<campaign>")
    assert actual == expected


def test_a_failing_report_on_the_cluster_fails_alone(cluster, tmp_path):
    from tests.test_batch import _failing_notebooks

    campaign = load_campaign(copy_tiny(tmp_path))
    failing = _failing_notebooks(tmp_path, "P2")
    summary = run_reports(campaign, client=cluster, progress=False, notebooks_dir=failing, only=["P1", "P2"])
    assert summary.exit_code == 1
    assert [(p.name, error.splitlines()[0]) for p, error in summary.failed] == \
        [("P2.html", "RuntimeError: P2 cannot be reported")]
    assert not (campaign.reports_dir / "pilots" / "P2.html").exists()
    assert (campaign.reports_dir / "pilots" / "P1.html").is_file()


def test_cli_scheduler_renders_on_the_cluster(cluster, tmp_path, capsys):
    campaign = copy_tiny(tmp_path)
    assert main(["run", str(campaign), "--only", "P1", "--scheduler", cluster.scheduler_info()["address"]]) == 0
    assert " rendered, " in capsys.readouterr().out


def test_cli_unreachable_scheduler_is_a_usage_error(tmp_path, capsys):
    campaign = copy_tiny(tmp_path)
    code = main(["run", str(campaign), "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in err and "Traceback" not in err
    assert not (tmp_path / "tiny" / "reports" / "manifest.json").exists()


def test_dask_workers_where_nothing_forks_render_the_same_pages(tmp_path, monkeypatch):
    """As on Windows (EVALKIT_START_METHOD=spawn here): a worker renders its pages itself,
    holding the scored campaign once; the pages are a local run's."""
    local = load_campaign(copy_tiny(tmp_path / "local"))
    remote = load_campaign(copy_tiny(tmp_path / "remote"))
    assert run_reports(local, jobs=1, progress=False, only=["P1", "P2"]).exit_code == 0
    monkeypatch.setenv("EVALKIT_START_METHOD", "spawn")  # the workers inherit the environment
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        summary = run_reports(remote, client=client, progress=False, only=["P1", "P2"])
    assert summary.exit_code == 0
    assert sorted(path.name for path in summary.rendered) == ["P1.html", "P2.html", "index.html", "quality.html"]
    for name in ("pilots/P1.html", "pilots/P2.html", "index.html", "quality.html"):
        assert _unfingerprinted((local.reports_dir / name).read_bytes()) == \
            _unfingerprinted((remote.reports_dir / name).read_bytes()), name
