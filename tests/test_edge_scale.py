"""Edge sizes and shapes: one pilot, a pilot without survey answers, very long Chinese names,
district names with spaces and slashes.

(10,000 pilots validated, with time and peak memory: ``benchmarks/validate_scale.py``; no timing
thresholds in unit tests.)
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest

from evalkit.batch import run_reports
from evalkit.cli import main
from evalkit.load import load_campaign
from evalkit.report.layout import district_path
from evalkit.scoring import score
from tests.tiny import copy_tiny, edit

#: 200 Chinese characters: a pilot name, a unit and a district name of that length.
LONG_NAME = ("浦东新区社区综合为老服务中心标准化建设与服务质量提升试点项目" * 8)[:200]
LONG_UNIT = ("上海市浦东新区民政局社区养老服务指导中心（第三方评估配合单位）" * 7)[:200]
LONG_DISTRICT = ("临港新片区" * 40)[:200]
SPACED_DISTRICT = "浦东 新区/张江 片区"


def _keep_rows(path: Path, pilots: tuple[str, ...]) -> None:
    """Keep the header and the rows of ``pilots`` of a CSV table."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([lines[0], *(line for line in lines[1:] if line.split(",")[0] in pilots)]),
                    encoding="utf-8")


@pytest.fixture(scope="module")
def one_pilot(tmp_path_factory):
    """The tiny campaign cut down to its first pilot, scored and rendered by the command line."""
    campaign = copy_tiny(tmp_path_factory.mktemp("one"))
    for table in ("pilots", "standards", "surveys", "inspections", "kpis", "experts"):
        _keep_rows(campaign.parent / f"{table}.csv", ("pilot_id", "P1"))
    return campaign, main(["score", str(campaign)]), main(["run", str(campaign), "--jobs", "1"])


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    """Two pilots: P1 with a 200-character name and unit in a district with spaces and a slash;
    P2 in a 200-character district, without a single survey answer."""
    campaign = copy_tiny(tmp_path_factory.mktemp("odd"))
    d = campaign.parent
    edit(d / "pilots.csv", "P1,黄浦区社区养老服务标准化试点,黄浦区民政局,黄浦区", f"P1,{LONG_NAME},{LONG_UNIT},{SPACED_DISTRICT}")
    edit(d / "pilots.csv", "徐汇区交通委,徐汇区,", f"徐汇区交通委,{LONG_DISTRICT},")
    for table in ("pilots", "standards", "inspections", "kpis", "experts"):
        _keep_rows(d / f"{table}.csv", ("pilot_id", "P1", "P2"))
    _keep_rows(d / "surveys.csv", ("pilot_id", "P1"))
    loaded = load_campaign(campaign)
    return loaded, run_reports(loaded, jobs=1, progress=False)


def test_one_pilot_is_scored_and_reported(one_pilot):
    campaign, scored, ran = one_pilot
    assert scored == 0 and ran == 0
    reports = campaign.parent / "reports"
    table = pd.read_csv(reports / "scores.csv", dtype={"pilot_id": str})
    assert table["pilot_id"].tolist() == ["P1"]
    pages = {p.relative_to(reports).as_posix() for p in reports.rglob("*.html")}
    assert pages == {"index.html", "quality.html", "pilots/P1.html", str(district_path("黄浦区"))}
    district = (reports / district_path("黄浦区")).read_text(encoding="utf-8")
    assert ">P1<" in district


def test_a_pilot_without_survey_answers_scores_zero_with_a_flag_and_renders(odd):
    campaign, summary = odd
    assert summary.exit_code == 0 and summary.failed == ()
    assert summary.warnings == (), "long names must not squeeze a chart to nothing"
    card = score(campaign).card("P2")
    leaves = {node["id"]: node for node in _walk(card["indicators"])}
    assert leaves["B2"]["missing"] is True and leaves["B2"]["points"] == 0
    html = (campaign.reports_dir / "pilots" / "P2.html").read_text(encoding="utf-8")
    assert 'id="survey"' in html and 'id="scorecard"' in html


def test_long_chinese_names_render_in_full(odd):
    campaign, _ = odd
    pilot = (campaign.reports_dir / "pilots" / "P1.html").read_text(encoding="utf-8")
    assert LONG_NAME in pilot and LONG_UNIT in pilot
    index = (campaign.reports_dir / "index.html").read_text(encoding="utf-8")
    assert LONG_NAME in index and LONG_DISTRICT in index
    page = campaign.reports_dir / district_path(LONG_DISTRICT)
    assert LONG_DISTRICT in page.read_text(encoding="utf-8")
    for path in campaign.reports_dir.rglob("*"):
        assert len(path.name.encode("utf-8")) <= 255 - len(".X.XXXXXXXX.tmp"), path.name


def test_district_names_with_spaces_and_slashes_get_one_safe_file(odd):
    campaign, _ = odd
    page = campaign.reports_dir / district_path(SPACED_DISTRICT)
    assert page.parent == campaign.reports_dir / "districts" and page.is_file()
    assert "/" not in page.name and SPACED_DISTRICT in page.read_text(encoding="utf-8")
    index = (campaign.reports_dir / "index.html").read_text(encoding="utf-8")
    links = [unquote(link) for link in re.findall(r'href="([^"]+)"', index)
             if not link.startswith(("data:", "#"))]  # "#…": the index's table of contents
    assert str(district_path(SPACED_DISTRICT)) in links and str(district_path(LONG_DISTRICT)) in links
    for link in links:
        assert (campaign.reports_dir / link).is_file(), link


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.get("children") or [])
