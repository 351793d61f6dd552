"""HTML from Jinja2 templates, with every interpolated value escaped.

The environment autoescapes everything: pilot names, units, district names, standard
titles and scheme labels come from user files and are never trusted as markup. Only
:class:`Fragment` (evalkit's own rendered HTML) and :class:`markupsafe.Markup` pass
through unescaped.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from evalkit.jupyter import notebook_html
from evalkit.report.audit import audit_rows
from evalkit.report.formatting import FILTERS, is_missing
from evalkit.report.provenance import evalkit_version


class Fragment:
    """A piece of evalkit-rendered HTML.

    It displays as HTML in Jupyter (``_repr_html_``: wrapped with the report's scoped
    stylesheet, :func:`evalkit.jupyter.notebook_html`; its plain-text form is a short
    placeholder, so an executed notebook does not store the HTML twice) and is not escaped
    again when placed in a template (``__html__``).
    """

    def __init__(self, html: str):
        self.html = html

    def _repr_html_(self) -> str:
        return notebook_html(self.html)

    def __html__(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<evalkit report fragment: {len(self.html)} characters of HTML>"


@cache
def environment() -> Environment:
    """The templates of :mod:`evalkit.report`, autoescaped, with the number filters."""
    env = Environment(
        loader=PackageLoader("evalkit.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update(FILTERS)
    env.tests["nan_value"] = is_missing
    env.globals["audit_rows"] = audit_rows
    return env


@cache
def stylesheet() -> Markup:
    """The report stylesheet (``report.css``), inlined into every page."""
    return Markup(resources.files("evalkit.report").joinpath("report.css").read_text(encoding="utf-8"))


@cache
def index_script() -> Markup:
    """The index page's search and sort script (``index.js``), inlined into the page."""
    return Markup(resources.files("evalkit.report").joinpath("index.js").read_text(encoding="utf-8"))


def render_section(template: str, section: str, *args: Any) -> Fragment:
    """Call the macro ``section`` of ``template`` with ``args``: one section of a report."""
    macro = getattr(environment().get_template(template).module, section)
    return Fragment(str(macro(*args)))


def render_template(template: str, **context: Any) -> Fragment:
    """Render a whole template (e.g. the index page's body)."""
    return Fragment(environment().get_template(template).render(**context))


def render_page(title: str, body: str | Fragment) -> str:
    """A complete, self-contained HTML document around ``body`` (trusted HTML) with the stylesheet.

    Parameters
    ----------
    title : str
        Plain text for ``<title>`` (escaped here).
    body : str
        The page content, HTML made by evalkit's templates.
    """
    return environment().get_template("page.html.j2").render(
        title=title, body=Markup(str(body)), css=stylesheet(), version=evalkit_version())
