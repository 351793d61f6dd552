"""The methods-and-quality page (quality.html, 方法与数据质量) of a campaign."""

from __future__ import annotations

import re

import pytest

from evalkit import quality
from evalkit.report import index_page, quality_page
from evalkit.report.context.quality import quality_context, survey_quality
from evalkit.scored import scored_campaign
from tests.campaign_factory import leaf, node, scheme, write_campaign


@pytest.fixture(scope="module")
def demo():
    return scored_campaign("params/demo.yaml")


@pytest.fixture(scope="module")
def page(demo) -> str:
    return quality_page(demo)


def test_page_has_every_section(page):
    assert "<title>2021年度市级标准化试点验收评估（示例数据）：方法与数据质量</title>" in page
    for section in ("reliability", "items", "flags", "experts", "outliers", "leave-one-out", "robustness", "methods",
                    "provenance"):
        assert f'id="{section}"' in page
    assert 'href="index.html"' in page


def test_page_shows_the_library_numbers(demo, page):
    reliability = quality.reliability(demo.campaign)
    assert f"{reliability.at['awareness', 'alpha']:.3f}" in page
    flags = quality.survey_flags(demo.campaign)
    assert f"共 {len(flags)} 份问卷，其中存疑 {int(flags['flagged'].sum())} 份" in page
    context = quality_context(demo)
    unsafe = context.robustness["unsafe"]
    assert f"等级改变概率超过 5% 的有 <strong>{len(unsafe)}</strong> 个" in page
    assert all(pilot in page for pilot in unsafe["pilot_id"])
    # B shares its points by AHP: its consistency is on the page
    assert "层次分析法（AHP）" in page and re.search(r"CR = 0\.\d{3}", page)


def test_numbers_the_scheme_states_read_as_on_the_other_pages(page):
    """Maxima, the total, the bonus cap and the pass mark as the scheme states them (满分 6, not
    6.00), as the pilot, district and index pages write them; totals with two decimals."""
    assert "满分 100 分，加分上限 5 分，合格线 80 分" in page
    assert "A1 标准体系框架科学合理 6 分" in page and "B1 收集采用国家、行业和地方标准 4.45 分" in page
    assert re.search(r'<td>A1 标准体系框架科学合理</td><td class="num">6</td>', page)
    assert re.search(r'<td class="num">\d+\.\d\d–\d+\.\d\d</td></tr>', page)  # a total's 5 %–95 % range


def test_index_links_to_the_quality_page(demo):
    assert '<a href="quality.html">方法与数据质量</a>' in index_page(demo)


def test_page_without_expert_indicators_says_so(tmp_path):
    path = write_campaign(tmp_path, pilots=["P1", "P2", "P3"],
                          scheme=scheme([node("A", [leaf("A1", "inspection.conformity_rate", 100)])]))
    page = quality_page(scored_campaign(path))
    assert "本次评估没有专家评分指标。" in page and 'id="robustness"' in page


def test_too_fast_answers_are_counted_only_where_durations_are_known(demo, page):
    """The demo's surveys have no answer durations: the page says too-fast answers were not
    checked instead of counting 0 of them; with durations it counts them."""
    assert "作答过快未检查：问卷数据没有答题时长" in page and '<th class="num">作答过快</th>' not in page
    surveys = demo.campaign.table("surveys").copy()
    surveys["duration_s"] = 300.0
    surveys.loc[surveys.index[:3], "duration_s"] = 20.0
    timed = survey_quality(demo.campaign.replace(surveys=surveys))
    assert timed["timed"] == len(surveys) and timed["counts"]["too_fast"] == 3
    assert survey_quality(demo.campaign)["timed"] == 0
