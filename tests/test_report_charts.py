"""Report building blocks: CJK font, charts, number formats, file names and links, escaping."""

from __future__ import annotations

import base64
import warnings
from decimal import Decimal
from pathlib import Path, PurePosixPath
from types import SimpleNamespace

import matplotlib as mpl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib import font_manager

from evalkit.display import XLSX_FORMATS
from evalkit.report import charts
from evalkit.report.fonts import FONT_FAMILY, FONT_FILE, chart_style
from evalkit.report.formatting import exact, percent, percent_difference, points, signed_percent, stated, total
from evalkit.report.html import Fragment, render_page, render_section
from evalkit.report.layout import INDEX, district_path, district_stem, href, pilot_path
from evalkit.rules import round_half_up

LABELS = ["标准体系建设", "标准收集与制定", "评价与持续改进（含“加分”）", "试点成效 ≥ 80% · 合格线"]


def _svg(chart: charts.Chart) -> str:
    prefix = "data:image/svg+xml;base64,"
    assert chart.src.startswith(prefix)
    return base64.b64decode(chart.src[len(prefix):]).decode("utf-8")


def test_the_cjk_font_is_the_bundled_noto_sans_cjk():
    with mpl.rc_context(chart_style()):
        found = font_manager.findfont(font_manager.FontProperties(family=FONT_FAMILY), fallback_to_default=False)
    assert Path(found).name == FONT_FILE


def test_charts_with_chinese_labels_raise_no_warning_at_all():
    # a missing glyph shows up as "Glyph 26631 (\N{...}) missing from font(s) DejaVu Sans."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        made = [
            charts.attainment_chart(LABELS, [0.9, 0.5, 0.0, 1.0], [0.8, 0.7, 0.6, 0.5],
                                    value_label="本试点", reference_label="全市平均"),
            charts.construct_chart(pd.DataFrame({"construct_label": ["标准知晓", "服务满意度"], "score": [0.8, 0.6],
                                                 "ci_low": [0.7, float("nan")], "ci_high": [0.9, float("nan")],
                                                 "city_score": [0.75, 0.7]})),
            charts.distribution_chart([55.0, 70.5, 81.0, 92.25], [81.0], group_label="黄浦区", pass_mark=80, maximum=105),
            charts.bar_chart(["优秀", "合格", "不合格"], [3, 0, 1], xlabel="试点数", value_format="{:.0f}"),
        ]
    for chart in made:
        assert "<svg" in _svg(chart)
        assert chart.alt


def test_charts_are_deterministic_and_print_user_text_literally():
    # "$" in a user's label must not start mathtext
    first = charts.bar_chart(["$x$ 区"], [1.5], xlabel="平均总分")
    assert first == charts.bar_chart(["$x$ 区"], [1.5], xlabel="平均总分")
    assert "dc:date" not in _svg(first).lower()


def test_points_show_two_decimals_shares_one_and_the_schemes_numbers_as_written():
    # one display rule for pages, PDF and xlsx (evalkit.display): points and totals 2
    # decimals, percentages 1, rounded half up as people round the printed number
    assert [points(96.5), points(93.1864), points(15.0), points(0.0), points(None)] == [
        "96.50", "93.19", "15.00", "0.00", "—"]
    assert [points(4.125), points(2.675), points(-0.001)] == ["4.13", "2.68", "0.00"]
    assert [stated(100.0), stated(4.4544), stated(0.5)] == ["100", "4.45", "0.5"]
    assert exact(93.18640) == "93.1864"  # the 评分依据 table keeps scores.csv's precision
    assert percent(0.8126) == "81.3%"
    assert signed_percent(-0.2) == "-20.0%"
    assert XLSX_FORMATS == {"points": "0.00", "percent": "0.0%"}


SCHEME = SimpleNamespace(pass_mark=80.0, grades=[SimpleNamespace(min=90.0), SimpleNamespace(min=80.0),
                                                 SimpleNamespace(min=0.0)])


@given(st.integers(min_value=0, max_value=1_050_000).map(lambda n: n / 10_000))
def test_a_total_is_never_shown_reaching_a_mark_it_does_not_reach(value):
    # scores.csv keeps four decimals; 79.9961 rounded to 80.00 would sit beside 不合格
    shown = Decimal(total(value, SCHEME))
    exact_value = Decimal(repr(value))
    assert abs(shown - exact_value) < Decimal("0.01")
    for mark in (Decimal(80), Decimal(90)):
        assert (shown >= mark) == (exact_value >= mark)
    if not any(exact_value < mark <= round_half_up(value, 2) for mark in (Decimal(80), Decimal(90))):
        assert shown == round_half_up(value, 2)  # elsewhere, plain rounding half up


def test_a_tiny_fall_is_not_printed_as_minus_zero():
    assert [signed_percent(-0.0004), signed_percent(0.0), signed_percent(-0.0006)] == ["+0.0%", "+0.0%", "-0.1%"]


@pytest.mark.parametrize(("district", "city", "shown"), [
    (0.8514, 0.7996, "+5.1%"),   # 85.1 % − 80.0 %; the shares' own difference, 5.18 points, would read +5.2 %
    (0.8430, 0.8436, "-0.1%"),   # 84.3 % − 84.4 %, not -0.0 %
    (0.5, 0.5, "+0.0%"),
    (None, 0.5, "—"),
])
def test_a_difference_of_percentages_is_that_of_the_percentages_shown(district, city, shown):
    assert percent_difference(district, city) == shown
    if district is not None:
        left, right = (float(percent(x).rstrip("%")) for x in (district, city))
        assert float(shown.rstrip("%")) == pytest.approx(left - right)


@pytest.mark.parametrize("district", ["黄浦区", "浦东新区"])
def test_ordinary_district_names_are_their_own_file_names(district):
    assert district_stem(district) == district


@pytest.mark.parametrize("district", ['A/B "<i>区', "..", "CON", "a\\b", "x:y*?"])
def test_unsafe_district_names_become_distinct_safe_file_names(district):
    stem = district_stem(district)
    assert stem and not set('<>:"/\\|?*') & set(stem)
    assert not stem.startswith(".")
    assert stem != district_stem(district + " ")


def test_links_are_relative_and_percent_encoded():
    assert href(INDEX, pilot_path("P-1.2")) == "pilots/P-1.2.html"
    assert href(pilot_path("P1"), district_path("黄浦区")) == "../districts/%E9%BB%84%E6%B5%A6%E5%8C%BA.html"
    assert href(district_path("黄浦区"), INDEX) == "../index.html"
    assert str(district_path("a/b")).count("/") == 1
    assert PurePosixPath(href(INDEX, district_path('A "B"'))).suffix == ".html"


def test_templates_escape_user_text_and_keep_evalkit_fragments():
    evil = "<script>alert(1)</script>"
    page = render_page(evil, Fragment("<p>ok</p>"))
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert "<p>ok</p>" in page
    facts = {"campaign_id": evil, "evalkit": "0", "code": "0" * 64, "packages": {evil: evil},
             "scheme": {"title": evil, "id": "s", "version": "1"}, "questionnaire": {"title": "", "id": evil},
             "inputs": [{"label": evil, "name": evil, "sha256": "0" * 64}], "notes": [{"file": evil, "message": evil}]}
    html = str(render_section("macros.html.j2", "provenance", facts))
    assert evil not in html
    assert html.count("&lt;script&gt;") == 10  # questionnaire id twice: as title and as id
