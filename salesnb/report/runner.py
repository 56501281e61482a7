"""The quarterly report pack: run the notebooks, render shareable HTML, write the index.

:func:`run_report` is what ``salesnb report`` calls. It

1. loads the data once (``salesnb.load``) to learn ``as_of``, the default
   quarter and the data-quality summary;
2. executes every notebook of ``notebooks/`` with Papermill (kernel
   ``python3``, made available by :func:`ensure_kernel`) with the common
   parameters ``quarter, data, mapping, region, as_of`` — in parallel up to
   ``jobs`` worker processes, with a progress bar on stderr. A notebook that
   fails does not stop the others;
3. renders each executed notebook to one self-contained HTML file (code
   hidden, images embedded as base64 PNG with the chart title as ``alt``, a
   table of contents, no external script or style URL) with one in-process
   :class:`nbconvert.HTMLExporter` (:class:`NotebookRenderer`). A failed
   notebook is rendered with its error: cell index, cell source and traceback;
4. writes ``index.html`` (headline KPIs, links, run metadata, data quality
   with the rejected rows as CSV next to it), ``leaderboard.html`` (large type
   for a TV, refreshing itself) and ``kpis.xlsx`` (key KPI tables);
5. builds all of this in a temporary directory next to ``<out>/<quarter>``
   and swaps it in at the end, so a crash never leaves a half-written pack
   and a rerun replaces the previous one cleanly. Single files are written
   atomically too (temp file in the same directory, then :func:`os.replace`).

Every data value that reaches an HTML page is escaped (Jinja2 autoescape for
the index and leaderboard pages, :func:`salesnb.sections.table` in the
notebooks); values written to CSV or Excel cannot run as formulas
(:func:`neutralise_formulas`).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as _dt
import html
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb import sections
from salesnb.load import redact_url
from salesnb.periods import Period

__all__ = [
    "NOTEBOOKS_DIR",
    "TEMPLATES_DIR",
    "DEFAULT_DATA",
    "CORE_PARAMETERS",
    "NotebookResult",
    "ReportResult",
    "ReportError",
    "ensure_kernel",
    "list_notebooks",
    "execute_notebook",
    "NotebookRenderer",
    "add_table_of_contents",
    "external_references",
    "neutralise_formulas",
    "write_text_atomic",
    "write_bytes_atomic",
    "write_workbook",
    "run_report",
]

log = logging.getLogger(__name__)

NOTEBOOKS_DIR = sections.PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_DATA = sections.SAMPLE_DATA
#: Parameters every report notebook declares in its ``parameters`` cell.
CORE_PARAMETERS: tuple[str, ...] = ("quarter", "data", "mapping", "region", "as_of")
KERNEL_NAME = "python3"
#: Seconds the leaderboard page waits before reloading itself.
LEADERBOARD_REFRESH_S = 300
#: Reps shown on the leaderboard page (large type: a TV shows about ten rows).
LEADERBOARD_ROWS = 10


class ReportError(Exception):
    """The report cannot be built as asked (bad option, no notebooks, ...)."""


@dataclasses.dataclass
class NotebookResult:
    """Outcome of executing and rendering one notebook."""

    name: str
    ok: bool
    seconds: float
    executed: str = ""
    html: str = ""
    error: dict | None = None

    @property
    def status(self) -> str:
        return "ok" if self.ok else "failed"


@dataclasses.dataclass
class ReportResult:
    """What :func:`run_report` produced."""

    quarter: str
    out_dir: Path
    index: Path
    notebooks: list[NotebookResult]
    seconds: float
    metadata: dict

    @property
    def ok(self) -> bool:
        return all(nb.ok for nb in self.notebooks)

    @property
    def failed(self) -> list[str]:
        return [nb.name for nb in self.notebooks if not nb.ok]


# -- kernel -------------------------------------------------------------------------------
def _runs_this_interpreter(argv0: str) -> bool:
    # jupyter_client launches "python"/"python3"/"python3.X" with sys.executable
    names = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    if argv0 in names:
        return True
    try:
        return Path(argv0).resolve() == Path(sys.executable).resolve()
    except OSError:
        return False


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Make sure kernel ``name`` exists and runs this interpreter; return the spec's folder.

    When no such kernelspec is found, or it points at another Python, the
    ipykernel spec of the current interpreter is installed into this
    environment's prefix (``python -m ipykernel install --sys-prefix``).

    Raises
    ------
    ReportError
        When the installation fails.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(name)
        if spec.argv and _runs_this_interpreter(spec.argv[0]):
            return str(spec.resource_dir)
        log.warning(
            "kernel %r runs %s, not %s; installing one for this interpreter",
            name,
            spec.argv[0] if spec.argv else "?",
            sys.executable,
        )
    except NoSuchKernel:
        log.info("no %r kernelspec found; installing one for %s", name, sys.executable)
    proc = subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", name],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ReportError(f"could not install the {name!r} Jupyter kernel: {proc.stderr.strip()}")
    spec = KernelSpecManager().get_kernel_spec(name)
    if not (spec.argv and _runs_this_interpreter(spec.argv[0])):
        log.warning(
            "kernel %r found at %s still runs %s (a user-level kernelspec takes "
            "precedence); notebooks may run in another environment",
            name,
            spec.resource_dir,
            spec.argv[0],
        )
    return str(spec.resource_dir)


# -- notebooks ----------------------------------------------------------------------------
def list_notebooks(
    directory: str | Path = NOTEBOOKS_DIR, *, only: Sequence[str] | None = None
) -> list[Path]:
    """The report notebooks of ``directory`` in name order, optionally only some.

    ``only`` entries match a notebook's stem exactly, or its stem without the
    numeric prefix (``"executive_summary"`` selects
    ``00_executive_summary.ipynb``), or a prefix of the stem (``"00"``).

    Raises
    ------
    ReportError
        When the folder has no notebooks or an ``only`` entry matches none.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise ReportError(f"notebooks folder {str(folder)!r} does not exist")
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not found:
        raise ReportError(f"no notebooks (*.ipynb) in {str(folder)!r}")
    if not only:
        return found
    chosen: list[Path] = []
    for want in only:
        hits = [
            p
            for p in found
            if p.stem == want or re.sub(r"^\d+_", "", p.stem) == want or p.stem.startswith(want)
        ]
        if not hits:
            raise ReportError(
                f"--only {want!r} matches no notebook; available: "
                + ", ".join(p.stem for p in found)
            )
        chosen += [p for p in hits if p not in chosen]
    return sorted(chosen)


def _ansi_free(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def execute_notebook(
    source: str | Path,
    output: str | Path,
    parameters: Mapping[str, Any],
    *,
    kernel_name: str = KERNEL_NAME,
    timeout: float | None = None,
) -> NotebookResult:
    """Execute one notebook with Papermill into ``output``; never raises for a failing cell.

    The kernel's working directory is the notebook's folder (as in JupyterLab).

    Returns
    -------
    NotebookResult
        ``ok=False`` with ``error`` = ``{"cell_index", "exec_count", "source",
        "ename", "evalue", "traceback"}`` when a cell raised (or the kernel could
        not run), the partially executed notebook being saved at ``output``.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    source, output = Path(source), Path(output)
    start = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(
            str(source),
            str(output),
            parameters=dict(parameters),
            kernel_name=kernel_name,
            cwd=str(source.parent),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
        )
    except PapermillExecutionError as exc:
        error = {
            "cell_index": exc.cell_index,
            "exec_count": exc.exec_count,
            "source": exc.source,
            "ename": exc.ename,
            "evalue": _ansi_free(str(exc.evalue)),
            "traceback": _ansi_free("\n".join(exc.traceback)),
        }
    except Exception as exc:  # kernel died, timeout, bad notebook: report, don't crash
        error = {
            "cell_index": None,
            "exec_count": None,
            "source": "",
            "ename": type(exc).__name__,
            "evalue": _ansi_free(str(exc)),
            "traceback": _ansi_free(traceback.format_exc()),
        }
    return NotebookResult(
        name=source.stem,
        ok=error is None,
        seconds=time.perf_counter() - start,
        executed=str(output),
        error=error,
    )


# -- rendering ----------------------------------------------------------------------------
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
        page = add_table_of_contents(_strip_css_comments(page))
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


# -- files --------------------------------------------------------------------------------
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _neutral(value):
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.match(value)
    ):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` whose text cannot run as a spreadsheet formula.

    Text cells (and column labels) starting with ``=``, ``+``, ``-``, ``@``,
    tab or carriage return get a leading single quote, unless they are a
    plain number such as ``"-12.5"``. Numeric columns are left alone, so
    negative numbers stay numbers.

    >>> f = pd.DataFrame({"name": ["=HYPERLINK(1)", "-5", "@SUM(A1)", "Ann"],
    ...                   "profit": [-3.0, 1.0, 2.0, 4.0]})
    >>> neutralise_formulas(f).to_dict("list")
    {'name': ["'=HYPERLINK(1)", '-5', "'@SUM(A1)", 'Ann'], 'profit': [-3.0, 1.0, 2.0, 4.0]}
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if (
            pd.api.types.is_numeric_dtype(series)
            or pd.api.types.is_datetime64_any_dtype(series)
            or isinstance(series.dtype, pd.CategoricalDtype)
        ):
            if isinstance(series.dtype, pd.CategoricalDtype):
                out[col] = series.astype(object).map(_neutral)
            continue
        out[col] = series.map(_neutral)
    out.columns = [_neutral(c) for c in out.columns]
    return out


def write_workbook(
    tables: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    money: Mapping[str, Iterable[str]] | None = None,
    pct: Mapping[str, Iterable[str]] | None = None,
) -> Path:
    """Write one sheet per table to an Excel workbook (openpyxl), formulas neutralised.

    Money columns get the ``#,##0`` number format, ``pct`` columns ``0.0%``;
    columns are sized to their content and the header row is frozen. Written
    atomically.
    """
    from openpyxl.utils import get_column_letter

    path = Path(path)
    money = {k: set(v) for k, v in (money or {}).items()}
    pct = {k: set(v) for k, v in (pct or {}).items()}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            used: set[str] = set()
            for name, frame in tables.items():
                sheet = re.sub(r"[\[\]:*?/\\]", "_", str(name))[:31] or "sheet"
                while sheet in used:
                    sheet = sheet[:28] + f"_{len(used)}"
                used.add(sheet)
                safe = neutralise_formulas(_excel_ready(frame))
                safe.to_excel(writer, sheet_name=sheet, index=False)
                ws = writer.sheets[sheet]
                ws.freeze_panes = "A2"
                for j, col in enumerate(frame.columns, start=1):
                    letter = get_column_letter(j)
                    fmt = (
                        "#,##0"
                        if col in money.get(name, ())
                        else "0.0%"
                        if col in pct.get(name, ())
                        else None
                    )
                    if fmt:
                        for cell in ws[letter][1:]:
                            cell.number_format = fmt
                    width = max([len(str(col))] + [len(str(v)) for v in safe.iloc[:200, j - 1]])
                    ws.column_dimensions[letter].width = min(max(10, width + 2), 60)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones and no nullable-extension NA: convert both."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_localize(None)
        elif pd.api.types.is_extension_array_dtype(s.dtype) and pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype("float64")
    return out


def _csv_text(frame: pd.DataFrame) -> str:
    return neutralise_formulas(frame).to_csv(index=False)


# -- pages --------------------------------------------------------------------------------
def _jinja():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda v, currency="$": sections.fmt_money(v, currency=currency)
    env.filters["pct"] = lambda v: sections.fmt_pct(v)
    env.filters["number"] = lambda v, d=0: sections.fmt_number(v, decimals=d)
    return env


def _table_rows(frame: pd.DataFrame | None) -> tuple[list[str], list[list[str]]]:
    if frame is None or frame.empty:
        return [], []
    return [str(c) for c in frame.columns], [
        ["" if (isinstance(v, float) and v != v) else str(v) for v in row]
        for row in frame.itertuples(index=False)
    ]


# -- the runner ---------------------------------------------------------------------------
def _salesnb_version() -> str:
    try:
        import salesnb

        return getattr(salesnb, "__version__", "unknown")
    except Exception:  # pragma: no cover
        return "unknown"


def _parse_as_of(as_of):
    if as_of is None or as_of == "":
        return None
    try:
        return pd.Timestamp(as_of)
    except (ValueError, TypeError):
        raise ReportError(f"--as-of {as_of!r} is not a date (expected YYYY-MM-DD)") from None


def _swap_in(build: Path, final: Path) -> None:
    """Replace ``final`` by ``build`` (both in the same folder)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}-{time.time_ns()}")
        os.replace(final, old)
    os.replace(build, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def run_report(
    *,
    quarter: str | None = None,
    data: str | Path = DEFAULT_DATA,
    mapping: str | Path | None = None,
    out: str | Path = "reports",
    only: Sequence[str] | None = None,
    jobs: int = 1,
    as_of: Any = None,
    region: str | None = None,
    notebooks: str | Path = NOTEBOOKS_DIR,
    timeout: float | None = None,
    progress: bool = True,
) -> ReportResult:
    """Build the report pack ``<out>/<quarter>/``; see the module notes.

    Parameters
    ----------
    quarter : str, optional
        Quarter label such as ``"2025Q3"``; default the latest complete quarter
        at the data's ``as_of``.
    data : str or Path
        Data folder, workbook, SQLite file or database URL (default the sample).
    mapping : path, optional
        Mapping file for a foreign export.
    out : path
        Parent folder of the pack.
    only : list of str, optional
        Run only these notebooks (see :func:`list_notebooks`).
    jobs : int
        Notebooks executed at the same time (worker processes).
    as_of, region
        Passed to the notebooks (and to ``salesnb.load`` / ``SalesData.filter``).
    notebooks : path
        Folder of the report notebooks.
    timeout : float, optional
        Per-cell execution timeout in seconds.

    Returns
    -------
    ReportResult
        ``.ok`` is False when any notebook failed; the pack is written anyway.

    Raises
    ------
    ReportError
        Bad quarter label, ``jobs`` < 1, unknown notebook, kernel not installable.
    salesnb.SalesnbError
        The data cannot be read at all (missing path, malformed mapping).
    """
    import nbformat
    from tqdm.auto import tqdm

    import salesnb

    started = time.perf_counter()
    started_at = _dt.datetime.now().astimezone()
    if jobs < 1:
        raise ReportError(f"--jobs must be at least 1, got {jobs}")
    if quarter is not None:
        try:
            Period.parse(quarter, freq="quarter")
        except ValueError as exc:
            raise ReportError(f"bad quarter {quarter!r}: {exc}") from None
    as_of_ts = _parse_as_of(as_of)
    paths = list_notebooks(notebooks, only=only)
    data_loc = sections.resolve_data_path(data) if data is not None else str(DEFAULT_DATA)
    mapping_loc = str(Path(mapping).resolve()) if mapping else None
    if mapping_loc and not Path(mapping_loc).is_file():
        raise ReportError(f"mapping file {str(mapping)!r} does not exist")

    loaded = salesnb.load(data_loc, mapping=mapping_loc, as_of=as_of_ts)
    period = sections.report_quarter(quarter, loaded.as_of)
    view = loaded.filter(region=region) if region else loaded
    label = period.label

    out_root = Path(out).resolve()
    out_root.mkdir(parents=True, exist_ok=True)
    final = out_root / label
    build = Path(tempfile.mkdtemp(prefix=f".{label}.build-", dir=out_root))
    os.chmod(build, 0o777 & ~_umask())  # mkdtemp creates 0700
    try:
        ensure_kernel(KERNEL_NAME)
        parameters = {
            "quarter": label,
            "data": data_loc,
            "mapping": mapping_loc,
            "region": region,
            "as_of": None if as_of_ts is None else as_of_ts.strftime("%Y-%m-%d"),
        }
        renderer = NotebookRenderer()
        footer = html.escape(
            f"salesnb {_salesnb_version()} · quarter {label} · data as of "
            f"{loaded.as_of.date()} · generated {started_at:%Y-%m-%d %H:%M %Z}"
        )
        sources = {src.stem: src for src in paths}

        def render(res: NotebookResult) -> None:
            src = sources[res.name]
            executed = Path(res.executed)
            if executed.is_file():
                nb = nbformat.read(executed, as_version=4)
            else:  # papermill could not even start: render the input
                nb = nbformat.read(src, as_version=4)
            page = renderer.render(
                nb, title=_notebook_title(nb, src.stem), error=res.error, footer=footer
            )
            target = build / f"{src.stem}.html"
            write_text_atomic(target, page)
            res.html = target.name
            res.executed = executed.name if executed.is_file() else ""

        def parent_work() -> tuple:
            """Data quality and key tables: computed while the notebooks run."""
            summary = loaded.summary()
            rejected_files = {}
            for table, frame in loaded.rejected.items():
                if frame is not None and len(frame):
                    name = f"rejected_{table}.csv"
                    write_text_atomic(build / name, _csv_text(frame))
                    rejected_files[table] = name
            try:
                with warnings.catch_warnings():  # library deprecation chatter
                    warnings.simplefilter("ignore", FutureWarning)
                    key = sections.key_tables(view, period)
            except Exception as exc:  # the pack still ships; the index says what failed
                log.warning("key KPI tables failed: %s", exc)
                key = {"_error": str(exc)}
            return summary, rejected_files, key

        order = _longest_first(paths, final / "run.json")
        results, (summary, rejected_files, key) = _execute_all(
            order,
            build,
            parameters,
            jobs=jobs,
            timeout=timeout,
            progress=progress,
            tqdm=tqdm,
            on_done=render,
            meanwhile=parent_work,
        )
        results = sorted(results, key=lambda r: paths.index(sources[r.name]))
        key_error = key.pop("_error", None) if isinstance(key, dict) else None
        workbook = _write_key_workbook(key, summary, build / "kpis.xlsx")

        duration = time.perf_counter() - started
        metadata = {
            "quarter": label,
            "data": redact_url(data_loc),
            "mapping": mapping_loc,
            "region": region,
            "as_of": str(loaded.as_of.date()),
            "as_of_given": parameters["as_of"],
            "jobs": jobs,
            "notebooks": [dataclasses.asdict(r) for r in results],
            "salesnb_version": _salesnb_version(),
            "python": sys.version.split()[0],
            "started_at": started_at.isoformat(timespec="seconds"),
            "duration_s": round(duration, 2),
            "ok": all(r.ok for r in results),
        }
        env = _jinja()
        headline = key.get("headline") if isinstance(key, dict) else None
        index_html = env.get_template("index.html.j2").render(
            title=f"Sales report {label}" + (f" — {region}" if region else ""),
            quarter=label,
            meta=metadata,
            results=results,
            headline=_table_rows(headline),
            attention=key.get("attention", []) if isinstance(key, dict) else [],
            key_error=key_error,
            summary=_table_rows(_summary_display(summary, rejected_files)),
            rejected_files=rejected_files,
            notes=list(loaded.notes),
            workbook=workbook.name if workbook else None,
        )
        write_text_atomic(build / "index.html", index_html)
        board = key.get("leaderboard") if isinstance(key, dict) else None
        board_html = env.get_template("leaderboard.html.j2").render(
            title=f"Leaderboard {label}" + (f" — {region}" if region else ""),
            quarter=label,
            refresh=LEADERBOARD_REFRESH_S,
            board=_table_rows(None if board is None else board.head(LEADERBOARD_ROWS)),
            as_of=str(loaded.as_of.date()),
            generated=f"{started_at:%Y-%m-%d %H:%M}",
        )
        write_text_atomic(build / "leaderboard.html", board_html)
        write_text_atomic(build / "run.json", json.dumps(metadata, indent=2, default=str))
        _swap_in(build, final)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    for res in results:
        res.executed = str(final / res.executed) if res.executed else ""
        res.html = str(final / res.html) if res.html else ""
    return ReportResult(
        quarter=label,
        out_dir=final,
        index=final / "index.html",
        notebooks=results,
        seconds=time.perf_counter() - started,
        metadata=metadata,
    )


def _summary_display(summary: pd.DataFrame, rejected_files: Mapping[str, str]) -> pd.DataFrame:
    if summary is None or summary.empty:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "table": summary["table"],
            "rows read": [sections.fmt_number(v) for v in summary["rows_read"]],
            "rows loaded": [sections.fmt_number(v) for v in summary["rows_loaded"]],
            "rows rejected": [sections.fmt_number(v) for v in summary["rows_rejected"]],
            "first date": [
                ("" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d"))
                for v in summary["first_date"]
            ],
            "last date": [
                ("" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d"))
                for v in summary["last_date"]
            ],
        }
    )
    return out


def _write_key_workbook(key, summary: pd.DataFrame, path: Path) -> Path | None:
    tables: dict[str, pd.DataFrame] = {}
    money: dict[str, list[str]] = {}
    pct: dict[str, list[str]] = {}
    if isinstance(key, dict):
        for name, value in key.get("workbook", {}).items():
            frame, fmt = value if isinstance(value, tuple) else (value, {})
            tables[name] = frame
            money[name] = list(fmt.get("money", ()))
            pct[name] = list(fmt.get("pct", ()))
    if summary is not None:
        tables["data_quality"] = summary
    if not tables:
        return None
    return write_workbook(tables, path, money=money, pct=pct)


def _longest_first(paths: list[Path], previous_run: Path) -> list[Path]:
    """Notebooks ordered by their duration in the previous run, longest first.

    Starting the long notebooks first keeps the workers busy until the end
    (longest-processing-time scheduling). Without a previous run: name order.
    """
    try:
        meta = json.loads(previous_run.read_text(encoding="utf-8"))
        seconds = {nb["name"]: float(nb["seconds"]) for nb in meta.get("notebooks", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return list(paths)
    return sorted(paths, key=lambda p: -seconds.get(p.stem, float("inf")))


_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def _execute_quietly(
    source: Path, output: Path, parameters: dict, *, timeout, threads: int | None = None
) -> NotebookResult:
    """:func:`execute_notebook` in a worker process, the kernel's stderr captured.

    Kernels write start-up and shutdown chatter to the stderr they inherit
    (transport warnings, "KeyboardInterrupt caught in kernel"); the worker
    points its stderr at a temporary file, so the console shows only the
    progress bar, and a failed notebook's error carries the last lines.
    """
    if threads is not None:
        # kernels inherit this worker's environment: with several notebooks at once,
        # each kernel's numerical libraries get their share of the CPUs, not all of them
        for name in _THREAD_VARIABLES:
            os.environ.setdefault(name, str(threads))
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            result = execute_notebook(source, output, parameters, timeout=timeout)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        if result.error is not None:
            sink.seek(0)
            tail = sink.read().decode("utf-8", "replace").splitlines()[-20:]
            result.error["kernel_stderr"] = _ansi_free("\n".join(tail))
    return result


def _crashed(src: Path, build: Path, exc: BaseException) -> NotebookResult:
    return NotebookResult(
        name=src.stem,
        ok=False,
        seconds=0.0,
        executed=str(build / src.name),
        error={
            "cell_index": None,
            "exec_count": None,
            "source": "",
            "ename": type(exc).__name__,
            "evalue": str(exc),
            "traceback": "".join(traceback.format_exception(exc)),
        },
    )


def _execute_all(
    paths: list[Path],
    build: Path,
    parameters: dict,
    *,
    jobs: int,
    timeout,
    progress: bool,
    tqdm,
    on_done=None,
    meanwhile=None,
):
    """Execute ``paths`` in up to ``jobs`` worker processes.

    ``meanwhile()`` runs in this process while the workers execute, and
    ``on_done(result)`` is called here as each notebook finishes (rendering
    overlaps the remaining executions). Returns ``(results in completion
    order, meanwhile's return value)`` — only the results when ``meanwhile``
    is None.
    """
    import multiprocessing as mp

    results: list[NotebookResult] = []
    extra = None
    bar = tqdm(
        total=len(paths),
        desc="notebooks",
        unit="nb",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    ctx = mp.get_context("forkserver" if sys.platform != "win32" else "spawn")
    workers = min(jobs, len(paths))
    threads = max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None
    try:
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {
                pool.submit(
                    _execute_quietly,
                    src,
                    build / src.name,
                    parameters,
                    timeout=timeout,
                    threads=threads,
                ): src
                for src in paths
            }
            if meanwhile is not None:
                extra = meanwhile()
            for fut in cf.as_completed(futures):
                src = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # worker crashed (killed, out of memory)
                    res = _crashed(src, build, exc)
                if on_done is not None:
                    on_done(res)
                results.append(res)
                bar.set_postfix_str(src.stem)
                bar.update(1)
    finally:
        bar.close()
    return results if meanwhile is None else (results, extra)
