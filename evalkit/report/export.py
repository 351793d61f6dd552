"""An executed report notebook -> one self-contained HTML page.

nbconvert walks the notebook's outputs with ``templates/notebook.html.j2``: code cells,
prompts, markdown notes, streams and errors are left out; HTML outputs are kept as they
are (evalkit's own fragments), images are embedded as data URIs. The outputs are then
wrapped in evalkit's page (``page.html.j2``: title, inlined stylesheet, print rules), so a
notebook page looks like the index page and needs no other file.
"""

from __future__ import annotations

import base64
import html
import re
from functools import cache
from importlib import resources
from pathlib import Path

import nbformat
from nbconvert.exporters.templateexporter import TemplateExporter

from evalkit.jupyter import strip_notebook_html
from evalkit.report.html import render_page

#: Page title when the notebook shows no ``<h1>``.
DEFAULT_TITLE = "验收评估报告"
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


@cache
def _template_file() -> str:
    return str(Path(str(resources.files("evalkit.report") / "templates" / "notebook.html.j2")))


@cache
def exporter() -> TemplateExporter:
    """nbconvert's template exporter with evalkit's template, made once per process (its
    template is compiled on first use).

    The plain :class:`~nbconvert.exporters.templateexporter.TemplateExporter`, not the
    ``HTMLExporter``: that one parses and re-serialises the whole page with BeautifulSoup to
    give notebook widgets alt texts and tab stops a report page does not have (ten times
    the time of the export itself).
    """
    made = TemplateExporter(template_file=_template_file(), exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    made.register_filter("clean_base64", lambda data: "".join(str(data).split()))
    made.register_filter("base64_text", lambda text: base64.b64encode(str(text).encode("utf-8")).decode("ascii"))
    return made


def notebook_body(notebook: nbformat.NotebookNode) -> str:
    """The displayed outputs of an executed notebook as HTML, without any code or prompt
    (and without the scoped stylesheets the outputs carry for notebooks: the page has its own)."""
    body, _ = exporter().from_notebook_node(notebook)
    return strip_notebook_html(body)


def page_title(body: str) -> str:
    """The text of the first ``<h1>`` of ``body``, or :data:`DEFAULT_TITLE`."""
    match = _H1.search(body)
    if not match:
        return DEFAULT_TITLE
    return html.unescape(_TAG.sub("", match.group(1))).strip() or DEFAULT_TITLE


def notebook_to_html(notebook: nbformat.NotebookNode) -> str:
    """A complete HTML page of an executed report notebook.

    Parameters
    ----------
    notebook : NotebookNode
        An executed notebook, e.g. as returned by :func:`papermill.execute_notebook`.

    Returns
    -------
    str
        A self-contained HTML document titled after the notebook's first ``<h1>``.
    """
    body = notebook_body(notebook)
    return render_page(page_title(body), body)
