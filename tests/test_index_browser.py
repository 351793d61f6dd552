"""The index page's search box and sortable headers, in a real headless Chromium from ``file://``.

The demo campaign's index (48 pilots in 16 districts) is written to a temporary folder and
opened as a file, as a bureau evaluator opens it from a shared drive or a zip; the script is
inline, so nothing is fetched. The tests type and click as a person does and read the rows
the browser shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.load import load_campaign
from evalkit.report import pdf
from evalkit.report.context.facts import district_order
from evalkit.report.pages import index_page
from evalkit.scored import ScoredCampaign
from tests.browser_support import require_browser

DEMO = Path(__file__).parents[1] / "params" / "demo.yaml"
#: The rows the page shows, top to bottom: [pilot id, district, total (exact), grade].
_SHOWN = """() => [...document.querySelectorAll('#pilot-table tbody tr')].filter(r => !r.hidden).map(r => [
    r.cells[1].textContent.trim(), r.cells[3].textContent.trim(),
    parseFloat(r.cells[5].dataset.value), r.cells[6].textContent.trim()])"""


@pytest.fixture(scope="module")
def scored() -> ScoredCampaign:
    return ScoredCampaign.of(load_campaign(DEMO))


@pytest.fixture(scope="module")
def index(scored, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("index") / "index.html"
    path.write_text(index_page(scored), encoding="utf-8")
    return path.as_uri()


@pytest.fixture()
def page(index):
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=pdf.find_chromium(), args=list(pdf.CHROMIUM_ARGS))
        context = browser.new_context(offline=True)  # nothing may come from the network
        opened = context.new_page()
        problems: list[str] = []
        opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        opened.on("pageerror", lambda error: problems.append(str(error)))
        opened.on("request", lambda request: problems.append(request.url)
                  if not request.url.startswith(("file:", "data:")) else None)
        opened.goto(index)
        yield opened
        assert problems == []
        browser.close()


def test_the_search_box_filters_pilots_by_id_name_unit_or_district(page, scored):
    pilots = scored.campaign.pilots
    assert len(page.evaluate(_SHOWN)) == len(pilots)
    assert page.locator("#pilot-count").inner_text() == f"共 {len(pilots)} 个试点"
    search = page.locator("input[type=search]")
    expectations = {
        "徐汇区": set(pilots.loc[pilots["district"] == "徐汇区", "pilot_id"]),           # district
        "sh2021-01": {f"SH2021-01{i}" for i in range(10)},                                # id, any case
        "图书馆": set(pilots.loc[pilots["name"].str.contains("图书馆"), "pilot_id"]),     # name
        "绿化和市容管理局": set(pilots.loc[pilots["unit"].str.contains("绿化和市容管理局"), "pilot_id"]),  # unit only
        "浦东新区 图书馆": set(pilots.loc[(pilots["district"] == "浦东新区")
                                        & pilots["name"].str.contains("图书馆"), "pilot_id"]),  # every word
    }
    for text, expected in expectations.items():
        search.fill(text)
        shown = {row[0] for row in page.evaluate(_SHOWN)}
        assert shown == expected and expected, text
        assert page.locator("#pilot-count").inner_text() == f"显示 {len(expected)} / {len(pilots)} 个试点"
    search.fill("没有这样的试点")
    assert page.evaluate(_SHOWN) == []
    search.fill("")
    assert len(page.evaluate(_SHOWN)) == len(pilots)


def test_headers_sort_by_total_grade_and_district_and_back(page, scored):
    header = page.locator("#pilot-table thead th")
    total = header.filter(has_text="总分")
    total.locator("button").click()
    totals = [row[2] for row in page.evaluate(_SHOWN)]
    assert totals == sorted(totals, reverse=True)  # highest first on the first click
    assert total.get_attribute("aria-sort") == "descending"
    total.locator("button").click()
    assert [row[2] for row in page.evaluate(_SHOWN)] == sorted(totals)
    assert total.get_attribute("aria-sort") == "ascending"

    header.filter(has_text="所属区").locator("button").click()
    order = district_order(scored)
    districts = [row[1] for row in page.evaluate(_SHOWN)]
    assert districts == sorted(districts, key=order.index)  # the campaign's order, not Unicode order
    assert districts[0] == "黄浦区" and districts[-1] == "崇明区"
    assert header.filter(has_text="总分").get_attribute("aria-sort") is None

    header.filter(has_text="等级").locator("button").click()
    grades = [grade.label for grade in scored.scores.scheme.grades]
    shown = [row[3] for row in page.evaluate(_SHOWN)]
    assert shown == sorted(shown, key=grades.index)  # 优秀, 合格, 不合格: the scheme's order


def test_sorting_keeps_the_filter(page):
    page.locator("input[type=search]").fill("浦东新区")
    filtered = {row[0] for row in page.evaluate(_SHOWN)}
    page.locator("#pilot-table thead th").filter(has_text="总分").locator("button").click()
    rows = page.evaluate(_SHOWN)
    assert {row[0] for row in rows} == filtered
    assert [row[2] for row in rows] == sorted((row[2] for row in rows), reverse=True)
