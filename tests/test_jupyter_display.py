"""How evalkit's objects and report fragments look in Jupyter (evalkit.jupyter)."""

from __future__ import annotations

import json
import re

import pytest
import tinycss2

import evalkit as ek
from evalkit.jupyter import SCOPE, notebook_html, scoped_stylesheet, strip_notebook_html
from evalkit.report.html import Fragment


@pytest.fixture(scope="module")
def demo():
    campaign = ek.load_campaign("params/demo.yaml")
    return campaign, ek.score(campaign)


def _selectors(css: str) -> list[str]:
    found = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            found += [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]
        elif rule.type == "at-rule" and rule.content is not None:
            found += _selectors(tinycss2.serialize(rule.content))
    return found


def test_every_rule_of_the_notebook_stylesheet_is_scoped():
    css = scoped_stylesheet()
    selectors = _selectors(css)
    assert len(selectors) > 50
    assert all(s.startswith(f".{SCOPE}") for s in selectors), [s for s in selectors if not s.startswith(f".{SCOPE}")]
    assert "@page" not in css  # printing JupyterLab is not the report's business
    assert f".{SCOPE} td.dropped" in selectors and f".{SCOPE} .figure" in selectors
    assert "--fail: #b42318" in css  # the report's custom properties live on the wrapper


def test_fragment_carries_its_style_and_the_page_takes_it_off():
    fragment = Fragment('<p class="fail">不通过</p>')
    shown = fragment._repr_html_()
    assert shown.startswith(f'<div class="{SCOPE}"><style>') and '<p class="fail">不通过</p>' in shown
    assert strip_notebook_html(f"<main>{shown}{shown}</main>") == '<main><p class="fail">不通过</p><p class="fail">不通过</p></main>'
    assert str(fragment) == '<p class="fail">不通过</p>'  # templates and pages get the bare HTML


def test_links_between_report_pages_read_as_text_in_a_notebook():
    css = scoped_stylesheet()
    assert re.search(rf"\.{SCOPE} \.nav \{{ display: none; \}}", css)
    assert 'a[href]:not([href^="http:"])' in css and "pointer-events: none" in css


def test_reprs_are_short(demo):
    campaign, scores = demo
    assert repr(campaign).startswith("<Campaign demo-2021: 48 pilots in 16 districts")
    assert len(repr(campaign)) < 200
    assert repr(scores).startswith("<Scores demo-2021: 48 pilots") and len(repr(scores)) < 200
    card = scores.card("SH2021-001")
    assert repr(card).startswith("<Scorecard SH2021-001: total ") and len(repr(card)) < 200


def test_card_is_still_the_mapping(demo):
    _, scores = demo
    card = scores.card("SH2021-001")
    assert isinstance(card, dict)
    assert json.loads(json.dumps(card)) == dict(card)
    assert card["indicators"][0]["id"] == "A"


def test_html_reprs_show_chinese_labels(demo):
    campaign, scores = demo
    shown = campaign._repr_html_()
    assert "评分方案" in shown and "市级标准化试点项目验收评估计分表" in shown and "48 个" in shown
    table = scores._repr_html_()
    assert table.count("<tr>") == 49 and "总分" in table and "一票否决" in table
    card = scores.card("SH2021-001")._repr_html_()
    leaves = [leaf for top in scores.card("SH2021-001")["indicators"] for leaf in top.get("children", [])]
    assert all(f">{leaf['id']}<" in card for leaf in leaves)
    assert "得分说明" in card and leaves[0]["explanation"][:10] in card
    assert card.startswith(notebook_html("")[:40])


def test_numbers_follow_the_reports_display_rule(demo):
    """Points and totals with two decimals (14.30, not 14.3), maxima as the scheme states them
    (15), metric values as exact as the report's 评分依据 (0.840042), as on the report pages."""
    from evalkit.jupyter import points_text, stated_text, value_text

    _, scores = demo
    card = scores.card("SH2021-001")._repr_html_()
    assert '<td class="label">标准体系建设</td><td class="num">15</td><td class="num">14.30</td>' in card
    assert '<td class="num">6</td><td class="num">6.00</td><td class="num">0.840042</td>' in card  # C2, survey.awareness
    assert "total 99.33/100," in repr(scores.card("SH2021-001"))
    assert (points_text(96.5), points_text(4.125), points_text(-0.001), points_text(None)) == ("96.50", "4.13", "0.00", "—")
    assert (stated_text(100.0), stated_text(4.4544), value_text(47.0), value_text(True)) == ("100", "4.45", "47", "是")
