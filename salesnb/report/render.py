"""Render an executed notebook to one self-contained HTML page (nbconvert).

Code is hidden, images are embedded as base64 PNG with the chart title as
``alt``, a table of contents is added, and no external script or style URL is
left (:func:`external_references` finds any). One in-process
:class:`nbconvert.HTMLExporter` (:class:`NotebookRenderer`) renders every page;
a failed notebook is rendered with its error on top: cell index, cell source
and traceback, all escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "TEMPLATES_DIR",
    "NotebookRenderer",
    "add_table_of_contents",
    "align_tables",
    "external_references",
]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def add_table_of_contents(page: str, *, title: str = "Contents") -> str:
    """Insert a table of contents of the page's ``h2``/``h3`` headings after its ``h1``.

    Headings without an ``id`` get one. Returns the page unchanged when it has
    fewer than two such headings.

    >>> page = ("<html><body><main><h1>Report</h1><h2 id='a'>Revenue</h2>"
    ...         "<h2>Costs &amp; more</h2></main></body></html>")
    >>> out = add_table_of_contents(page)
    >>> '<a href="#a">Revenue</a>' in out, 'href="#costs-more"' in out
    (True, True)
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    heads = soup.find_all(["h2", "h3"])
    if len(heads) < 2:
        return page
    used = {tag.get("id") for tag in soup.find_all(id=True)}
    nav = soup.new_tag("nav", attrs={"class": "salesnb-toc", "aria-label": title})
    strong = soup.new_tag("strong")
    strong.string = title
    nav.append(strong)
    ul = soup.new_tag("ul")
    for tag in heads:
        text = tag.get_text(" ", strip=True).rstrip("¶").strip()
        if not tag.get("id"):
            base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
            anchor, k = base, 1
            while anchor in used:
                k += 1
                anchor = f"{base}-{k}"
            tag["id"] = anchor
            used.add(anchor)
        li = soup.new_tag("li", attrs={"class": f"toc-{tag.name}"})
        a = soup.new_tag("a", href=f"#{tag['id']}")
        a.string = text
        li.append(a)
        ul.append(li)
    nav.append(ul)
    h1 = soup.find("h1")
    if h1 is not None:
        # after the cell holding the title, so the title stays on top
        holder = h1.find_parent("div", class_="jp-Cell") or h1
        holder.insert_after(nav)
    else:
        (soup.find("main") or soup.body or soup).insert(0, nav)
    return str(soup)


#: A cell that reads as a number: an optional sign and currency, digits with separators,
#: an optional unit (%, pp, k/M/B, days, a currency after the number) or a rank arrow.
_NUMBER = re.compile(
    r"^(?:[▲▼]\s*)?[+\-−]?\s?[^\w\s]{0,3}\s?\d[\d.,\u00a0\u202f' ]*"
    r"(?:\s?(?:%|pp|[kMB]|days?|[^\w\s]{1,3}))?$"
)
#: Cells that say nothing about a column's kind.
_NEUTRAL = {"", "n/a", "nan", "=", "new", "—", "-"}


def _is_number(text: str) -> bool:
    """Whether a table cell's text reads as a number.

    >>> [_is_number(t) for t in ("$1,234", "-12.5%", "1.234,56 €", "+2.0 pp", "▲ 2", "85.5 days")]
    [True, True, True, True, True, True]
    >>> [_is_number(t) for t in ("R029 Irene Nakamura", "2026Q3", "2026-09-30", "West")]
    [False, False, False, False]
    """
    return bool(_NUMBER.match(text.strip()))


def align_tables(page: str) -> str:
    """Wrap every table of the page in a horizontally scrolling box (a wide table
    scrolls on a phone instead of widening the page) and mark its number columns with
    the class ``num`` (right-aligned; text columns stay left-aligned).

    >>> out = align_tables("<table><tr><th>rep</th><th>revenue</th></tr>"
    ...                    "<tr><td>R1 Ann</td><td>$1,200</td></tr></table>")
    >>> '<div class="salesnb-scroll"><table>' in out, out.count('class="num"')
    (True, 2)
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    for table in soup.find_all("table"):
        parent = table.parent
        if not (parent is not None and "salesnb-scroll" in (parent.get("class") or [])):
            box = soup.new_tag("div", attrs={"class": "salesnb-scroll"})
            table.wrap(box)
        rows = [row.find_all(["td", "th"], recursive=False) for row in table.find_all("tr")]
        body = [r for r in rows if r and all(c.name == "td" for c in r[-1:])]
        width = max((len(r) for r in rows), default=0)
        for col in range(width):
            texts = [r[col].get_text(" ", strip=True) for r in body if col < len(r)]
            shown = [t for t in texts if t.lower() not in _NEUTRAL]
            if shown and all(_is_number(t) for t in shown):
                for r in rows:
                    if col < len(r):
                        r[col]["class"] = [*(r[col].get("class") or []), "num"]
    return str(soup)


class NotebookRenderer:
    """One reusable nbconvert HTML exporter for report pages (code hidden, self-contained).

    Creating an exporter costs far more than using it, so the runner makes
    one and renders every notebook with it.
    """

    def __init__(self) -> None:
        from nbconvert import HTMLExporter

        self.exporter = HTMLExporter(
            template_name="lab",
            extra_template_paths=[str(TEMPLATES_DIR)],
            template_file="notebook.html.j2",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            theme="light",
        )

    @staticmethod
    def _clean(nb, *, keep_stderr: bool):
        """Copy of the notebook without the papermill parameter cells and stderr noise."""
        import copy

        nb = copy.deepcopy(nb)
        cells = []
        for cell in nb.cells:
            tags = cell.get("metadata", {}).get("tags", [])
            if cell.cell_type == "code" and ("parameters" in tags or "injected-parameters" in tags):
                continue
            if cell.cell_type == "code" and not keep_stderr:
                cell.outputs = [
                    o
                    for o in cell.get("outputs", [])
                    if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                ]
            cells.append(cell)
        nb.cells = cells
        return nb

    def render(self, nb, *, title: str, error: Mapping | None = None, footer: str = "") -> str:
        """HTML of an executed notebook; with ``error``, an error section on top."""
        clean = self._clean(nb, keep_stderr=error is not None)
        page, _ = self.exporter.from_notebook_node(clean, resources={"metadata": {"name": title}})
        page = align_tables(add_table_of_contents(_strip_css_comments(page)))
        inserts = ""
        if error is not None:
            inserts += _error_section(error)
        if inserts:
            page = page.replace("<main>", "<main>\n" + inserts, 1)
        if footer:
            page = page.replace(
                "</main>", f"<footer class='salesnb-footer'>{footer}</footer>\n</main>", 1
            )
        return page


_EXTERNAL = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^\"'\s>]*"
    r"|<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^\"'\s>]*"
    r"|@import\s+(?:url\()?\s*[\"']?(?:https?:)?//[^\"'\s)]*"
    r"|url\(\s*[\"']?(?:https?:)?//[^\"'\s)]*",
    re.I,
)


def external_references(page: str) -> list[str]:
    """Scripts, style sheets, imports and CSS ``url()`` s of ``page`` that point at the network.

    A self-contained report page has none (links ``<a href>`` are fine).

    >>> external_references('<script src="https://cdn.example/require.js"></script>')
    ['<script src="https://cdn.example/require.js']
    >>> external_references('<img src="data:image/png;base64,AA"><a href="https://x">x</a>')
    []
    """
    return [m.group(0) for m in _EXTERNAL.finditer(page)]


def _strip_css_comments(page: str) -> str:
    """Drop ``/* ... */`` comments inside ``<style>`` blocks (the stock theme's comments
    carry reference URLs; a self-contained page should carry none)."""

    def clean(match: re.Match) -> str:
        return re.sub(r"/\*.*?\*/", "", match.group(0), flags=re.S)

    return re.sub(r"<style\b[^>]*>.*?</style>", clean, page, flags=re.S | re.I)


def _error_section(error: Mapping) -> str:
    cell = error.get("cell_index")
    where = f"cell {cell}" if cell is not None else "before any cell ran"
    if error.get("exec_count") is not None:
        where += f" (In [{error['exec_count']}])"
    parts = [
        "<section class='salesnb-error' role='alert'>",
        f"<h2 id='report-failed'>This report failed: {html.escape(str(error.get('ename')))}</h2>",
        f"<p>The notebook stopped at {html.escape(where)}: "
        f"<strong>{html.escape(str(error.get('evalue')))}</strong></p>",
    ]
    if error.get("source"):
        parts += ["<p>Failing cell:</p>", f"<pre>{html.escape(str(error['source']))}</pre>"]
    if error.get("traceback"):
        parts += ["<p>Traceback:</p>", f"<pre>{html.escape(str(error['traceback']))}</pre>"]
    if error.get("kernel_stderr"):
        parts += [
            "<p>Kernel log (last lines):</p>",
            f"<pre>{html.escape(str(error['kernel_stderr']))}</pre>",
        ]
    parts.append("<p>Sections rendered below ran before the failure.</p></section>")
    return "\n".join(parts)


def _notebook_title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback.replace("_", " ")
