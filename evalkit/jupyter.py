"""How evalkit's objects and report fragments look in Jupyter.

* :func:`notebook_html` wraps a piece of report HTML for a notebook output: inside a
  ``<div class="evalkit-report">`` that carries the report's stylesheet, every rule scoped
  under that class (:func:`scoped_stylesheet`), so that the output looks like the report
  page in JupyterLab and in nbconvert's exports without restyling JupyterLab itself.
  Links between report pages (relative links) resolve only inside a report directory, so
  in a notebook they read as plain text, and the report's navigation line is hidden.
  :func:`strip_notebook_html` takes the wrapper off again where the report page brings
  its own stylesheet (:func:`evalkit.report.export.notebook_body`).
* ``campaign_*``, ``scores_*`` and ``card_*`` are the short ``repr`` and the compact HTML
  table (Chinese labels) of :class:`evalkit.Campaign`, :class:`evalkit.Scores` and a
  scorecard (``scores.card(pilot_id)``).

This module reads plain data only: it is imported by the campaign and scoring modules, and
names what it reads of their objects as protocols.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any, Protocol

import pandas as pd
import tinycss2

from evalkit.display import POINT_DECIMALS

__all__ = ["SCOPE", "campaign_html", "campaign_repr", "card_html", "card_repr", "notebook_html", "scoped_stylesheet",
           "scores_html", "scores_repr", "strip_notebook_html"]


class DisplayedCampaign(Protocol):
    """What the display of a campaign reads (:class:`evalkit.campaign.Campaign`, which is
    above this module: it imports it to display itself)."""

    id: str
    title: str
    scheme: Any
    questionnaire: Any
    tables: Mapping[str, pd.DataFrame]
    excluded_respondents: pd.DataFrame | None
    replaced: tuple[str, ...]

    @property
    def pilots(self) -> pd.DataFrame: ...


class DisplayedScores(Protocol):
    """What the display of scores reads (:class:`evalkit.scoring.Scores`, above this module)."""

    campaign_id: str
    subject: str
    table: pd.DataFrame
    scheme: Any

    @property
    def info_columns(self) -> tuple[str, ...]: ...


#: The class of the element that scopes the report's styles in a notebook.
SCOPE = "evalkit-report"
_OPEN = f'<div class="{SCOPE}"><style>'
_BODY = "</style>\n"
_CLOSE = "</div><!-- /evalkit-report -->"
#: Selectors of the page itself: in a notebook they become the wrapper.
_PAGE = {":root", "html", "body"}
#: Rules for the notebook only: JupyterLab's own rendered-HTML rules that would otherwise win
#: (right-aligned cells, zebra rows, centred fixed-layout tables) — some of them with two
#: classes, hence the doubled scope class —, links, and the wrapper's width.
_TWICE = f".{SCOPE}.{SCOPE}"
_NOTEBOOK_RULES = f"""
.{SCOPE} {{ max-width: 1040px; text-align: left; }}
{_TWICE} table {{ table-layout: auto; margin-left: 0; margin-right: 0; color: var(--ink); font-size: 0.9rem; }}
{_TWICE} th, {_TWICE} td {{ text-align: left; vertical-align: top; line-height: 1.6; }}
{_TWICE} td.num, {_TWICE} th.num {{ text-align: right; }}
{_TWICE} tbody tr:nth-child(odd), {_TWICE} tbody tr:nth-child(even), {_TWICE} tbody tr:hover {{ background: transparent; }}
{_TWICE} tr.depth-0 td {{ background: var(--soft); }}
.{SCOPE} .nav {{ display: none; }}
.{SCOPE} a[href]:not([href^="http:"]):not([href^="https:"]):not([href^="#"]) {{
  color: inherit; text-decoration: none; pointer-events: none; cursor: text;
}}
"""


@cache
def scoped_stylesheet() -> str:
    """``report.css`` with every selector scoped under ``.evalkit-report``.

    ``:root``, ``html`` and ``body`` become the wrapper itself; the page frame
    (``main.report``) and ``@page`` rules are left out; ``@media`` blocks are kept, scoped.
    """
    css = resources.files("evalkit.report").joinpath("report.css").read_text(encoding="utf-8")
    return _scoped(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)) + _NOTEBOOK_RULES


def _scoped(rules: Iterable[Any]) -> str:
    out = []
    for rule in rules:
        if rule.type == "qualified-rule":
            selectors = [_scope(s) for s in _split_selectors(tinycss2.serialize(rule.prelude))]
            selectors = [s for s in selectors if s]
            if selectors:
                out.append(f"{', '.join(selectors)} {{{tinycss2.serialize(rule.content)}}}")
        elif rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content is not None:
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
            out.append(f"@media {tinycss2.serialize(rule.prelude).strip()} {{\n{_scoped(inner)}\n}}")
    return "\n".join(out)


def _split_selectors(prelude: str) -> list[str]:
    """A selector list split at its top-level commas."""
    parts, depth, current = [], 0, ""
    for char in prelude:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [part.strip() for part in [*parts, current] if part.strip()]


def _scope(selector: str) -> str | None:
    if selector.startswith("main.report"):
        return None
    if selector in _PAGE:
        return f".{SCOPE}"
    first, _, rest = selector.partition(" ")
    if first in _PAGE:
        return f".{SCOPE} {rest}"
    return f".{SCOPE} {selector}"


def notebook_html(body: str) -> str:
    """Report HTML wrapped for a notebook output, with the scoped stylesheet."""
    return f"{_OPEN}{scoped_stylesheet()}{_BODY}{body}{_CLOSE}"


def strip_notebook_html(text: str) -> str:
    """``text`` with every :func:`notebook_html` wrapper (and its stylesheet) taken off."""
    head = f"{_OPEN}{scoped_stylesheet()}{_BODY}"
    return text.replace(head, "").replace(_CLOSE, "")


# --------------------------------------------------------------------------- reprs


def _e(value: Any) -> str:
    return html.escape(str(value))


def points_text(value: Any) -> str:
    """Points or a total as the reports show them: :data:`evalkit.display.POINT_DECIMALS`
    decimals, rounded half up (``96.50``, ``15.00``); — when missing."""
    return _rounded(value, strip=False)


def stated_text(value: Any) -> str:
    """A maximum as the scheme states it: at most :data:`evalkit.display.POINT_DECIMALS`
    decimals, trailing zeros dropped (``6``, ``4.45``); — when missing."""
    return _rounded(value, strip=True)


def value_text(value: Any) -> str:
    """A metric value as exact as the reports' 评分依据 give it: at most 6 decimals,
    trailing zeros dropped (``0.840042``, ``47``); — when missing."""
    if value is None or value != value:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _rounded(value: Any, strip: bool) -> str:
    if value is None or value != value:
        return "—"
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-POINT_DECIMALS), ROUND_HALF_UP)
    text = f"{rounded:f}".rstrip("0").rstrip(".") if strip else f"{rounded:f}"
    return text[1:] if text.startswith("-") and Decimal(text) == 0 else text


def _verdict(passed: bool, vetoed: bool) -> str:
    if vetoed:
        return '<span class="fail">不通过（一票否决）</span>'
    return '<span class="pass">通过</span>' if passed else '<span class="fail">不通过</span>'


def _facts(caption: str, rows: Iterable[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{_e(label)}</th><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="facts"><caption>{_e(caption)}</caption><tbody>{body}</tbody></table>'


def campaign_repr(campaign: DisplayedCampaign) -> str:
    pilots = campaign.pilots
    what_if = f"; what-if: {', '.join(campaign.replaced)} replaced" if campaign.replaced else ""
    return (f"<Campaign {campaign.id}: {len(pilots)} pilots in {pilots['district'].nunique()} districts; "
            f"scheme {campaign.scheme.id} {campaign.scheme.version}; tables {', '.join(campaign.tables)}{what_if}>")


def campaign_html(campaign: DisplayedCampaign) -> str:
    pilots = campaign.pilots
    tables = " · ".join(f"{_e(name)} {len(frame)} 行" for name, frame in campaign.tables.items())
    rows = [("编号", f'<span class="code">{_e(campaign.id)}</span>'),
            ("试点", f"{len(pilots)} 个，分布于 {pilots['district'].nunique()} 个区"),
            ("评分方案", f"{_e(campaign.scheme.title)}（{_e(campaign.scheme.id)} {_e(campaign.scheme.version)}）"),
            ("调查问卷", f"{_e(campaign.questionnaire.title)}（{len(campaign.questionnaire.items)} 题）"),
            ("数据表", tables)]
    if campaign.excluded_respondents is not None:
        rows.append(("剔除的问卷", f"{len(campaign.excluded_respondents)} 份（数据质量标记）"))
    if campaign.replaced:
        rows.append(("假设分析", f'<span class="warn">已替换 {_e(", ".join(campaign.replaced))}，不可发布</span>'))
    return notebook_html(_facts(campaign.title, rows))


def scores_repr(scores: DisplayedScores) -> str:
    table = scores.table
    if table.empty:
        return f"<Scores {scores.campaign_id}: no {scores.subject}s>"
    grades = ", ".join(f"{grade} {count}" for grade, count in table["grade"].value_counts(sort=False).items())
    return (f"<Scores {scores.campaign_id}: {len(table)} {scores.subject}s, total {points_text(table['total'].min())}"
            f"–{points_text(table['total'].max())}; {grades}; passed {int(table['passed'].sum())}>")


#: Rows shown by a Scores table before it is cut (head and tail are shown).
MAX_ROWS = 60


def scores_html(scores: DisplayedScores) -> str:
    table = scores.table
    labels = {"pilot_id": "试点编号", "name": "试点名称", "district": "所属区", "std_code": "标准编号",
              "title": "标准名称", "level": "层级", "pilots": "试点数"}
    shown = list(scores.info_columns[:3])
    head = "".join(f"<th>{labels.get(c, c)}</th>" for c in shown)
    head += '<th class="num">总分</th><th>等级</th><th>验收结论</th>'
    records = table.to_dict("records")
    if len(records) > MAX_ROWS:
        records = [*records[:MAX_ROWS - 10], None, *records[-10:]]
    body = []
    for r in records:
        if r is None:
            body.append(f'<tr><td colspan="{len(shown) + 3}" class="note">… 共 {len(table)} 行 …</td></tr>')
            continue
        cells = "".join(f'<td{" class=code" if i == 0 else ""}>{_e(r[c])}</td>' for i, c in enumerate(shown))
        body.append(f'<tr>{cells}<td class="num">{points_text(r["total"])}</td><td>{_e(r["grade"])}</td>'
                    f'<td>{_verdict(bool(r["passed"]), bool(r["vetoed"]))}</td></tr>')
    summary = (f'<p class="meta">{_e(scores.scheme.title)} · {len(table)} 个 · 通过 {int(table["passed"].sum())} 个 · '
               f'一票否决 {int(table["vetoed"].sum())} 个</p>')
    return notebook_html(f'{summary}<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def card_repr(card: Mapping[str, Any]) -> str:
    key = next(iter(card))
    state = "vetoed" if card.get("vetoed") else ("passed" if card.get("passed") else "not passed")
    return (f"<Scorecard {card[key]}: total {points_text(card.get('total'))}/{stated_text(card.get('max'))}, "
            f"{card.get('grade')}, {state}; {len(card.get('indicators', []))} top-level indicators>")


def card_html(card: Mapping[str, Any]) -> str:
    key = next(iter(card))
    title = card.get("name") or card.get("title") or ""
    figures = (f'<div class="figures"><div class="figure"><div class="label">总分</div><div class="value">'
               f'{points_text(card["total"])}<span class="unit">/ {stated_text(card["max"])} 分</span></div></div>'
               f'<div class="figure"><div class="label">等级</div><div class="value {"pass" if card["passed"] else "fail"}">'
               f'{_e(card["grade"])}</div></div><div class="figure"><div class="label">验收结论</div>'
               f'<div class="value">{_verdict(bool(card["passed"]), bool(card["vetoed"]))}</div></div></div>')
    rows = []

    def visit(node: Mapping[str, Any], depth: int) -> None:
        leaf = "children" not in node
        missing = leaf and node.get("missing")
        flag = '<span class="tag warn">数据缺失</span>' if missing else ""
        value = value_text(node.get("value")) if leaf else ""
        rows.append(f'<tr class="depth-{min(depth, 3)}{" missing" if missing else ""}"><td class="code">{_e(node["id"])}'
                    f'</td><td class="label">{_e(node["label"])}{flag}</td><td class="num">{stated_text(node["max"])}</td>'
                    f'<td class="num">{points_text(node["points"])}</td><td class="num">{value}</td>'
                    f'<td class="explanation">{_e(node.get("explanation", "")) if leaf else ""}</td></tr>')
        for child in node.get("children", []):
            visit(child, depth + 1)

    for top in card.get("indicators", []):
        visit(top, 0)
    vetoes = "".join(f'<li class="fail">一票否决：{_e(v["id"])} {_e(v["label"])}</li>'
                     for v in card.get("vetoes", []) if v.get("triggered"))
    table = ('<table><thead><tr><th>编号</th><th>指标</th><th class="num">满分</th><th class="num">得分</th>'
             f'<th class="num">度量值</th><th>得分说明</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
    header = f'<p class="meta"><span class="code">{_e(card[key])}</span> {_e(title)}</p>'
    return notebook_html(header + figures + (f"<ul>{vetoes}</ul>" if vetoes else "") + table)
