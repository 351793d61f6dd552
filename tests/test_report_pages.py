"""What a bureau reads first on the report pages: the veto up front, numbers as people write
them, how vetoed pilots count in district and city figures, and inspection remarks.

On the tiny campaign (``tests/data/tiny``): P3 in 黄浦区 is vetoed twice — its pilots row says
``major_incident: 是`` and its inspection item I1 is a critical nonconformity.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import Note
from evalkit.load import load_campaign
from evalkit.report.charts import histogram_range
from evalkit.report.context.district import district_context
from evalkit.report.context.facts import district_order, measured_text, reported_standards, veto_findings
from evalkit.report.context.index import index_context, standards_overview
from evalkit.report.context.pilot import pilot_context
from evalkit.report.context.standard import standard_context
from evalkit.report.layout import href, pilot_path, standard_path
from evalkit.report.pages import DistrictReport, PilotReport, StandardReport, index_page
from evalkit.scored import ScoredCampaign
from tests.tiny import TINY, copy_tiny

DEMO = Path(__file__).parents[1] / "params" / "demo.yaml"


@pytest.fixture(scope="module")
def scored() -> ScoredCampaign:
    return ScoredCampaign.of(load_campaign(TINY / "campaign.yaml"))


def _text(fragment) -> str:
    """The visible text of rendered HTML, tags removed."""
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", str(fragment)))


def test_a_vetoed_pilots_header_names_every_veto_with_its_evidence(scored):
    context = pilot_context(scored, "P3")
    assert [(v.id, v.triggered, v.measured, v.evidence) for v in context.vetoes] == [
        ("V1", True, "是", ("试点名录 major_incident 栏：是",)),
        ("V2", True, "1 项", ("检查项 I1（DB31/T 1200-2020）不符合，关键项",)),
    ]
    header = _text(PilotReport(context).header())
    assert "一票否决：本试点触发2项一票否决情形" in header
    assert "V1试点期间发生重大质量安全事故：本试点数据是（否决条件：“是”）。依据：试点名录major_incident栏：是" in header
    assert "V2现场检查发现严重不符合项：本试点数据1项（否决条件：大于0项）。依据：检查项I1（DB31/T1200-2020）不符合，关键项" in header


def test_a_pilot_not_vetoed_has_no_veto_banner_and_its_conclusion_says_the_values_in_words(scored):
    report = PilotReport(pilot_context(scored, "P1"))
    assert 'class="veto-banner"' not in str(report.header())
    conclusion = _text(report.conclusion())
    assert "V1试点期间发生重大质量安全事故“是”否试点名录major_incident栏：否未触发" in conclusion  # not a bare 0
    assert "V2现场检查发现严重不符合项大于0项0项未触发" in conclusion


def test_suggestions_start_with_the_veto_that_failed_the_pilot(scored):
    vetoed = _text(PilotReport(pilot_context(scored, "P3")).suggestions())
    assert vetoed.index("首先消除一票否决情形") < vetoed.index("V1") < vetoed.index("V2") < vetoed.index("其次")
    plain = _text(PilotReport(pilot_context(scored, "P1")).suggestions())
    assert "一票否决" not in plain


def test_a_veto_value_reads_in_words_whatever_its_metric():
    assert measured_text("standard.implemented_rate", 0.9677) == "96.8%"  # was a bare 0.9677
    assert measured_text("pilot.major_incident", 0.0, truthy=True) == "否"
    assert measured_text("inspection.critical_nonconformities", None) == "数据缺失"
    card = {"vetoes": [
        {"id": "V1", "label": "a", "metric": "pilot.x", "op": "truthy", "value": None, "actual": None,
         "triggered": False},
        {"id": "V2", "label": "b", "metric": "standard.implemented_rate", "op": "==", "value": 0.0,
         "actual": 0.0, "triggered": True}]}
    findings = veto_findings(card)
    assert [(f.id, f.condition, f.measured, f.missing) for f in findings] == [
        ("V2", "等于 0.0%", "0.0%", False), ("V1", "“是”", "数据缺失", True)]  # triggered first


def test_district_and_city_figures_say_how_vetoed_pilots_count(scored):
    table = scored.scores.table.set_index("pilot_id")
    context = district_context(scored, "黄浦区")
    summary = context.summary
    assert (summary.pilots, summary.passed, summary.vetoed) == (2, 1, 1)
    assert summary.pass_rate == 0.5  # the vetoed pilot counts as failed whatever its points
    assert summary.mean == pytest.approx((table.at["P1", "total"] + table.at["P3", "total"]) / 2)
    assert summary.mean_not_vetoed == table.at["P1", "total"]
    page = _text(DistrictReport(context).summary())
    assert f"不含一票否决试点的平均总分{table.at['P1', 'total']:.2f}分" in page
    assert "触发一票否决的试点计为未通过" in page


def test_the_index_ranks_districts_by_pass_rate_and_shows_both_means(scored):
    context = index_context(scored)
    assert context.districts["district"].tolist() == ["黄浦区", "徐汇区"]  # first appearance in pilots.csv
    html = index_page(scored)
    chart_alt = re.search(r'alt="通过率（%）：([^"]+)"', html).group(1)
    rates = {row.district: row.pass_rate for row in context.districts.itertuples()}
    ranked = sorted(rates, key=lambda d: -rates[d])
    assert chart_alt.index(ranked[0]) < chart_alt.index(ranked[1])
    assert "不含一票否决" in html and "触发一票否决的试点计为未通过" in html


def test_totals_show_two_decimals_and_keep_the_exact_value_and_the_bonus_is_said():
    scored = ScoredCampaign.of(load_campaign(TINY / "campaign.yaml"))
    card = scored.scores.card("P1")
    header = str(PilotReport(pilot_context(scored, "P1")).header())
    shown = re.search(r'<div class="label">总分</div><div class="value ">([^<]+)<', header).group(1)
    assert shown == f"{card['total']:.2f}"
    if card["bonus"]:
        assert f"加分 {card['bonus']:.2f}" in header
    else:
        assert f"/ {card['max']:g} 分" in header
    scorecard = str(PilotReport(pilot_context(scored, "P1")).scorecard())
    assert f'data-value="{card["total"]}" id="total">{card["total"]:.2f}<' in scorecard


def test_inspection_remarks_are_shown_beside_their_item_and_nothing_without_them(scored):
    plain = str(PilotReport(pilot_context(scored, "P1")).inspection())
    assert "<th>备注</th>" not in plain  # a checklist without a 备注 column: no column
    assert re.search(r"<td class=\"code\">I2</td>.*?基本符合", plain)  # a partial item is listed one by one
    assert "<td class=\"code\">I1</td>" not in plain  # a conforming item without a remark is not
    # the inspections frame as the reading of a 备注 column gives it: text, NA when blank
    items = scored.campaign.tables["inspections"]
    notes = pd.Series(pd.NA, index=items.index, dtype=object)
    notes[(items["pilot_id"] == "P1") & (items["item_id"] == "I1")] = "整改中，已提交方案"
    campaign = dataclasses.replace(scored.campaign, tables={**scored.campaign.tables,
                                                             "inspections": items.assign(note=notes)})
    page = str(PilotReport(pilot_context(ScoredCampaign(campaign, scored.scores), "P1")).inspection())
    assert "<th>备注</th>" in page
    assert re.search(r"<td class=\"code\">I1</td>.*?<td>整改中，已提交方案</td>", page)  # conforming, but remarked
    assert re.search(r"<td class=\"code\">I2</td>.*?<td></td></tr>", page)  # an item without one: empty


def test_the_notes_made_while_reading_are_listed_in_the_data_sources_section(scored):
    # Campaign.notes (docs/importing.md): every guess made while reading is listed on every page
    assert "读取输入文件时所作的推断" not in str(PilotReport(pilot_context(scored, "P1")).provenance())
    notes = (Note("/data/问卷星_按序号.xlsx", "header-row", 1, "header found on row 3, below a title row"),
             Note("/data/inspections.csv", "section-rows", 2, "2 section rows dropped (一、基础标准 …)"))
    noted = ScoredCampaign(dataclasses.replace(scored.campaign, notes=notes), scored.scores)
    pages = [PilotReport(pilot_context(noted, "P1")).provenance(),
             DistrictReport(district_context(noted, "黄浦区")).provenance(), index_page(noted)]
    for page in pages:
        text = _text(page)
        assert "问卷星_按序号.xlsx：headerfoundonrow3,belowatitlerow" in text
        assert "inspections.csv：2sectionrowsdropped(一、基础标准…)" in text
        assert "/data/" not in str(page)  # file names only: no machine path in a published page


def test_the_district_histogram_spans_the_data_not_zero_to_the_maximum():
    # every total lies in 60–100: on a 0–105 axis a district's pilots were slivers
    assert histogram_range(np.array([61.69, 88.0, 100.09]), 80, 105) == (55.0, 105.0)
    assert histogram_range(np.array([20.75, 40.0, 89.5]), 80, 105) == (15.0, 95.0)
    assert histogram_range(np.array([83.0, 86.0]), 80, 105) == (75.0, 95.0)  # the pass mark stays in view
    assert histogram_range(np.array([2.0]), 80, 100) == (0.0, 90.0)


def test_a_district_lists_standards_failed_at_least_twice_or_says_each_was_failed_once(tmp_path):
    path = copy_tiny(tmp_path)
    inspections = path.parent / "inspections.csv"
    inspections.write_text(inspections.read_text(encoding="utf-8")
                           + "P1,I4,Q/HPMZ 001-2022,李四,nonconform,no\nP1,I5,Q/HPMZ 001-2022,李四,nonconform,no\n"
                           + "P1,I6,GB/T 19273-2017,李四,nonconform,no\n", encoding="utf-8")
    scored = ScoredCampaign.of(load_campaign(path))
    failed = district_context(scored, "黄浦区").failed_standards
    assert failed["std_code"].tolist() == ["Q/HPMZ 001-2022"] and failed["nonconform"].tolist() == [2]
    page = _text(DistrictReport(district_context(scored, "黄浦区")).failed_standards())
    assert "有2项及以上不符合的标准共1项" in page
    once = _text(DistrictReport(district_context(ScoredCampaign.of(load_campaign(TINY / "campaign.yaml")),
                                                 "黄浦区")).failed_standards())
    assert "本区没有标准在现场检查中出现2项及以上不符合；以下1项标准各有1项不符合" in once


def test_every_listed_standard_with_a_page_is_linked_from_the_pilot_page():
    scored = ScoredCampaign.of(load_campaign(DEMO))
    context = pilot_context(scored, "SH2021-001")
    reported = set(reported_standards(scored))
    register = context.standards.register
    linked = register[register["href"].notna()]
    assert len(linked) and set(linked["std_code"]) <= reported
    assert set(register["std_code"]) & reported == set(linked["std_code"])  # every one with a page
    for row in linked.itertuples():
        assert row.href == href(pilot_path("SH2021-001"), standard_path(row.std_code))
    page = str(PilotReport(context).standards())
    code = linked["std_code"].iloc[0]
    assert f'<a href="{linked["href"].iloc[0]}">{code}</a>' in page
    by_standard = context.inspection.by_standard
    assert set(by_standard.loc[by_standard["href"].notna(), "std_code"]) == set(by_standard["std_code"]) & reported


def test_the_standard_pages_district_table_has_every_result_column():
    scored = ScoredCampaign.of(load_campaign(DEMO))
    code = standards_overview(scored)["std_code"].iloc[0]
    context = standard_context(scored, code)
    districts = context.districts
    assert districts["district"].tolist() == [d for d in district_order(scored) if d in set(districts["district"])]
    table = str(StandardReport(context).implementation()).split("按区统计")[1]
    assert "<th class=\"num\">符合</th><th class=\"num\">基本符合</th><th class=\"num\">不符合</th>" in table
    row = districts.iloc[0]
    assert row["conform"] + row["partial"] + row["nonconform"] == row["applicable"]


def test_a_checklists_remark_column_reaches_the_pilot_page(tmp_path):
    # end to end: a 备注 column in inspections.csv, read as the inspections' note
    path = copy_tiny(tmp_path)
    inspections = path.parent / "inspections.csv"
    lines = inspections.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",备注"] + [line + (",整改中，已提交方案" if line.startswith("P1,I2,") else ",")
                                    for line in lines[1:]]
    inspections.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page = str(PilotReport(pilot_context(ScoredCampaign.of(load_campaign(path)), "P1")).inspection())
    assert re.search(r"<td class=\"code\">I2</td>.*?<td>整改中，已提交方案</td>", page)

