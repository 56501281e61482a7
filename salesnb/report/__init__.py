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
5. builds all of this in a hidden folder ``.<quarter>.build-<pid>-<random>``
   next to ``<out>/<quarter>`` and swaps it in at the end (old pack renamed
   aside, new one renamed in, old one deleted), so a killed run leaves the
   previous pack or the new one in place, and the next run removes its
   leftovers. Single files are written atomically too (temp file in the same
   directory, then :func:`os.replace`).

Before anything is executed, the run stops with :class:`ReportError` when the
data has no contract table with rows, the quarter lies outside the data, or
``<out>/<quarter>`` exists and is not a pack salesnb wrote (no ``run.json``):
a folder salesnb did not make is never replaced. A lock file
``<out>/.<quarter>.lock`` keeps two runs out of the same pack. A region pack
goes to ``<out>/<quarter>-<region>/``. With ``only``, the other pages of the
previous pack are kept and the index lists them all. A page whose every
section is unavailable is listed "no data"; a notebook that cannot be read is
a failed page, the others still render. A database password never reaches a
file of the pack: the notebooks get the redacted URL as ``data`` and their
kernels the real one in the environment variable ``SALESNB_DATA_URL``
(:func:`salesnb.sections.resolve_data_path`).

Every data value that reaches an HTML page is escaped (Jinja2 autoescape for
the index and leaderboard pages, :func:`salesnb.sections.table` in the
notebooks); values written to CSV or Excel cannot run as formulas
(:func:`neutralise_formulas`).

Modules: ``runner`` (:func:`run_report`, step by step), ``execute`` (kernel,
Papermill, worker processes), ``render`` (nbconvert pages), ``index`` (index,
leaderboard, KPI workbook), ``workbook`` (spreadsheet output), ``files``
(atomic writes, swapping a pack in), ``results`` (what a run returns or raises).
"""

from salesnb.report.execute import (
    CORE_PARAMETERS,
    NOTEBOOKS_DIR,
    ensure_kernel,
    execute_notebook,
    list_notebooks,
)
from salesnb.report.files import write_bytes_atomic, write_text_atomic
from salesnb.report.index import LEADERBOARD_ROWS
from salesnb.report.render import (
    TEMPLATES_DIR,
    NotebookRenderer,
    add_table_of_contents,
    external_references,
)
from salesnb.report.results import NotebookResult, ReportError, ReportResult
from salesnb.report.runner import DEFAULT_DATA, run_report
from salesnb.report.workbook import neutralise_formulas, write_workbook

__all__ = [
    "NOTEBOOKS_DIR",
    "TEMPLATES_DIR",
    "DEFAULT_DATA",
    "CORE_PARAMETERS",
    "LEADERBOARD_ROWS",
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
