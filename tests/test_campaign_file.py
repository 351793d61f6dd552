"""The campaign file's report keys: ``evaluation`` (who evaluated, and when), ``districts``
(their order everywhere), and the optional tables ``opinions`` and ``expert_names``."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.errors import DataError
from evalkit.load import load_campaign
from evalkit.report.context.district import district_context
from evalkit.report.context.facts import district_order
from evalkit.report.context.index import index_context
from evalkit.report.context.pilot import pilot_context
from evalkit.report.pages import DistrictReport, PilotReport, index_page
from evalkit.scored import ScoredCampaign
from tests.tiny import copy_tiny, edit

DEMO = Path(__file__).parents[1] / "params" / "demo.yaml"
#: Shanghai's 16 districts in their official order (docs/campaign.md).
OFFICIAL = ["黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区", "宝山区", "嘉定区", "浦东新区",
            "金山区", "松江区", "青浦区", "奉贤区", "崇明区"]


def _with_keys(tmp_path: Path, text: str) -> Path:
    path = copy_tiny(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return path


def _text(fragment) -> str:
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", str(fragment)))


EVALUATION = """evaluation:
  date: 2023-07-20
  organisation: 上海某评估中心
  leader: 张华
  team: [李明, 张华, 王芳]
"""


def test_the_evaluation_block_is_read_and_shown_in_every_header_and_signed(tmp_path):
    campaign = load_campaign(_with_keys(tmp_path, EVALUATION))
    evaluation = campaign.evaluation
    assert evaluation.date == datetime.date(2023, 7, 20) and evaluation.organisation == "上海某评估中心"
    assert evaluation.team == ("张华", "李明", "王芳") and evaluation.members == ("李明", "王芳")  # leader first
    scored = ScoredCampaign.of(campaign)
    line = "评估机构：上海某评估中心·评估日期：2023年7月20日·评估组：张华（组长）、李明、王芳"
    pilot = PilotReport(pilot_context(scored, "P1"))
    assert line in _text(pilot.header())
    assert line in _text(DistrictReport(district_context(scored, "黄浦区")).header())
    assert line in _text(index_page(scored))
    signature = _text(pilot.signature())
    assert "评估机构上海某评估中心（盖章）" in signature
    assert "评估组组长张华签字：日期：" in signature and "评估组成员李明、王芳签字：" in signature


def test_without_an_evaluation_block_the_header_says_nothing_and_the_signature_block_is_blank(tmp_path):
    scored = ScoredCampaign.of(load_campaign(copy_tiny(tmp_path)))
    assert not scored.campaign.evaluation
    pilot = PilotReport(pilot_context(scored, "P1"))
    assert "评估机构" not in str(pilot.header())
    assert "评估组组长签字：日期：" in _text(pilot.signature())  # still there to sign by hand


def test_districts_follow_the_campaign_files_order_everywhere(tmp_path):
    path = _with_keys(tmp_path, "districts: [徐汇区, 黄浦区, 长宁区]\n")
    scored = ScoredCampaign.of(load_campaign(path))
    assert district_order(scored) == ["徐汇区", "黄浦区"]  # listed districts without pilots are left out
    assert index_context(scored).districts["district"].tolist() == ["徐汇区", "黄浦区"]
    html = index_page(scored)
    table = html.split('id="districts"')[1].split("</table>")[0]
    assert table.index("徐汇区") < table.index("黄浦区")
    assert DistrictReport.load(path).context.district == "徐汇区"  # the default district is the first


def test_without_districts_the_order_is_that_of_the_pilots_table(tmp_path):
    path = copy_tiny(tmp_path)
    edit(path.parent / "pilots.csv", "P1,黄浦区社区养老服务标准化试点", "P0,黄浦区社区养老服务标准化试点")
    text = (path.parent / "pilots.csv").read_text(encoding="utf-8").splitlines()
    (path.parent / "pilots.csv").write_text("\n".join([text[0], text[2], text[1], text[3]]) + "\n", encoding="utf-8")
    for name in ("standards", "surveys", "inspections", "kpis", "experts"):
        table = path.parent / f"{name}.csv"
        table.write_text(table.read_text(encoding="utf-8").replace("\nP1,", "\nP0,"), encoding="utf-8")
    scored = ScoredCampaign.of(load_campaign(path))
    assert scored.campaign.pilots["pilot_id"].tolist()[0] == "P2"
    assert district_order(scored) == ["徐汇区", "黄浦区"]  # P2 (徐汇区) comes first in pilots.csv


def test_the_demo_lists_shanghais_districts_in_the_official_order():
    campaign = load_campaign(DEMO)
    assert list(campaign.districts) == OFFICIAL
    assert set(campaign.pilots["district"]) == set(OFFICIAL)


def test_a_pilot_in_a_district_the_list_does_not_name_is_a_problem_at_its_cell(tmp_path, capsys):
    path = _with_keys(tmp_path, "districts: [黄浦区]\n")
    with pytest.raises(DataError) as raised:
        load_campaign(path)
    assert [str(p) for p in raised.value.problems] == [
        f"{path.parent / 'pilots.csv'}:3:district: district '徐汇区' is not in the campaign file's districts: list"]
    assert main(["validate", str(path)]) == 2
    assert "pilots.csv:3:district: district '徐汇区' is not in the campaign file's districts: list" in capsys.readouterr().err


def test_a_district_listed_twice_is_a_problem(tmp_path):
    with pytest.raises(DataError, match=r"district.s. listed twice: 黄浦区"):
        load_campaign(_with_keys(tmp_path, "districts: [黄浦区, 徐汇区, 黄浦区]\n"))


def _with_tables(tmp_path: Path, opinions: str, names: str | None) -> Path:
    path = copy_tiny(tmp_path)
    (path.parent / "opinions.csv").write_text(opinions, encoding="utf-8")
    data = "  opinions: opinions.csv\n"
    if names is not None:
        (path.parent / "expert_names.csv").write_text(names, encoding="utf-8")
        data += "  expert_names: expert_names.csv\n"
    edit(path, "  experts: experts.csv\n", "  experts: experts.csv\n" + data)
    return path


def test_the_expert_groups_opinion_is_its_own_section_and_names_replace_codes(tmp_path):
    path = _with_tables(tmp_path, "试点编号,专家组意见\nP1,\"专家组同意通过验收。\n建议推广试点经验。\"\n",
                        "专家编号,专家姓名,职称\nE1,周明远,研究员\n")
    scored = ScoredCampaign.of(load_campaign(path))
    context = pilot_context(scored, "P1")
    assert context.opinion == "专家组同意通过验收。\n建议推广试点经验。"
    section = str(PilotReport(context).opinion())
    assert "九、专家组意见" in section
    assert "<p>专家组同意通过验收。</p><p>建议推广试点经验。</p>" in section  # paragraphs kept
    assert "未提供本试点的专家组意见" in str(PilotReport(pilot_context(scored, "P2")).opinion())
    experts = context.experts
    codes = experts.experts
    assert codes == ["E1", "E2"] and experts.names == {"E1": "周明远", "E2": "E2"}  # not listed: the code
    page = str(PilotReport(context).experts())
    assert '<th class="num">周明远</th>' in page and "周明远（E1，研究员）；E2。" in _text(page)
    inputs = {record["role"]: record["label"] for record in context.provenance["inputs"]}
    assert inputs["data.opinions"] == "专家组意见" and inputs["data.expert_names"] == "专家名单"


def test_an_opinion_for_an_unknown_pilot_is_a_problem(tmp_path):
    path = _with_tables(tmp_path, "pilot_id,text\nP9,意见\n", None)
    with pytest.raises(DataError, match=r"opinions.csv:2:pilot_id: unknown pilot 'P9'"):
        load_campaign(path)


def test_the_demo_shows_its_evaluation_opinions_and_expert_names():
    campaign = load_campaign(DEMO)
    scored = ScoredCampaign.of(campaign)
    context = pilot_context(scored, "SH2021-001")
    assert campaign.evaluation.leader == "张华" and context.opinion.startswith("专家组听取了试点单位汇报")
    assert context.experts.names["E01"] == "周明远"
