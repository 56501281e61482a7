"""Notebook parameters made concrete: the data location, the quarter, its "now", the header.

* :func:`resolve_data_path` — the ``data`` parameter as a location to load
  (a URL, a path, or the bundled sample);
* :func:`report_quarter`, :func:`report_as_of` — the quarter a report covers and
  the date its stock KPIs are read at;
* :func:`report_header` — the line under a notebook's title (with the revenue
  basis the page uses).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from salesnb.load import redact_url
from salesnb.periods import Period, latest_complete_quarter
from salesnb.resources import RESOURCE_ROOT, SAMPLE_DATA
from salesnb.sections.data_notes import basis_label, basis_note
from salesnb.sections.format import md_escape
from salesnb.sections.settings import active_settings

__all__ = [
    "PROJECT_ROOT",
    "SAMPLE_DATA",
    "DATA_URL_VARIABLE",
    "resolve_data_path",
    "report_quarter",
    "report_as_of",
    "report_header",
]

#: The folder holding ``notebooks/`` and ``data/``: the project checkout, or inside the
#: installed package (see :mod:`salesnb.resources`). Relative data paths are also tried
#: against it, so a notebook's default ``../data/sample`` works in both.
PROJECT_ROOT = RESOURCE_ROOT

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")

#: Environment variable the report runner sets for the notebook kernels: the real data
#: location when it carries a password, whose redacted form is the ``data`` parameter.
DATA_URL_VARIABLE = "SALESNB_DATA_URL"


def resolve_data_path(data: str | Path | None) -> str:
    """The data location a notebook should load.

    A URL is returned unchanged, except the redacted form of the URL in the
    environment variable :data:`DATA_URL_VARIABLE` (``postgresql://ann:***@db/sales``
    for ``postgresql://ann:secret@db/sales``), which gives that URL: the report
    runner passes a URL with a password this way, so the password is never a
    notebook parameter nor written into an executed notebook. A path is tried as given (relative to the
    working directory, which is the notebook's folder under JupyterLab and the
    report runner), then relative to the project root; ``None`` means the
    bundled sample.

    Raises
    ------
    FileNotFoundError
        When the path exists in neither place; the message lists both.

    >>> resolve_data_path(None) == str(SAMPLE_DATA)
    True
    >>> resolve_data_path("sqlite:///sales.db")
    'sqlite:///sales.db'
    """
    if data is None:
        return str(SAMPLE_DATA)
    text = str(data)
    if _URL.match(text):
        real = os.environ.get(DATA_URL_VARIABLE)
        if real and real != text and redact_url(real) == text:
            return real
        return text
    path = Path(text).expanduser()
    if path.is_absolute():
        if path.exists():
            return str(path)
        raise FileNotFoundError(f"data path {text!r} does not exist")
    candidates = [Path.cwd() / path, PROJECT_ROOT / path]
    if text.startswith(".."):
        # a notebook-relative path such as "../data/sample" from notebooks/
        candidates.append(PROJECT_ROOT / "notebooks" / path)
    for candidate in candidates:
        if candidate.exists():
            return str(candidate.resolve())
    raise FileNotFoundError(
        f"data path {text!r} not found; looked in "
        + ", ".join(str(c.resolve()) for c in candidates)
    )


def report_quarter(
    quarter: str | Period | None, as_of, *, fiscal_year_start: int | None = None
) -> Period:
    """The quarter a report covers: ``quarter`` when given, else the latest complete one.

    Quarters are those of the report's calendar: ``fiscal_year_start``, by
    default the active settings' (:func:`~salesnb.sections.settings.use_settings`).
    A fiscal quarter may be given as its label (``"2027Q1"``) or its title
    (``"FY2027 Q1"``).

    Raises
    ------
    ValueError
        When ``quarter`` is not a quarter label such as ``"2025Q3"`` (any case).

    >>> report_quarter(None, "2026-09-30").label
    '2026Q3'
    >>> report_quarter("2025q3", "2026-09-30").label
    '2025Q3'
    >>> report_quarter("2025Q3", "2026-09-30").label
    '2025Q3'
    >>> report_quarter("fy2027 q1", "2026-09-30", fiscal_year_start=4).title
    'FY2027 Q1'
    """
    if fiscal_year_start is None:
        fiscal_year_start = active_settings().fiscal_year_start
    if quarter is None or (isinstance(quarter, str) and not quarter.strip()):
        return latest_complete_quarter(as_of, fiscal_year_start=fiscal_year_start)
    if isinstance(quarter, str):
        quarter = quarter.strip().upper()
    return Period.parse(quarter, freq="quarter", fiscal_year_start=fiscal_year_start)


def report_as_of(period: Period, as_of) -> pd.Timestamp:
    """The "now" of a quarter's report: the quarter's last day, or ``as_of`` if earlier.

    Stock KPIs (open receivables, open pipeline) of a past quarter are read at
    its end, not at the data's as-of date.

    >>> report_as_of(Period.parse("2025Q3"), "2026-09-30").date()
    datetime.date(2025, 9, 30)
    >>> report_as_of(Period.parse("2026Q3"), "2026-08-15").date()
    datetime.date(2026, 8, 15)
    """
    day = pd.Timestamp(as_of).normalize()
    return min(period.last_day, day)


def report_header(period: Period, sales, *, region: str | None = None) -> str:
    """The line under a notebook's title: quarter, its dates, data as-of date, region, basis.

    The revenue basis reads "revenue = orders" or "revenue = won deals (CRM)"
    (see ``SalesData.revenue_basis``); on the won-deals basis a note on how
    revenue is counted follows the line.

    >>> from types import SimpleNamespace
    >>> report_header(Period.parse("2025Q3"), SimpleNamespace(as_of=pd.Timestamp("2026-09-30")))
    'Quarter **2025Q3** (2025-07-01 to 2025-09-30) · data as of 2026-09-30 · all regions'
    >>> report_header(Period.parse("2025Q3"), SimpleNamespace(as_of=pd.Timestamp("2026-09-30"),
    ...                                                       revenue_basis="orders"))
    'Quarter **2025Q3** (2025-07-01 to 2025-09-30) · data as of 2026-09-30 · all regions · revenue = orders'
    """
    where = f"region **{md_escape(region)}**" if region else "all regions"
    line = (
        f"Quarter **{period.title}** ({period.start:%Y-%m-%d} to {period.last_day:%Y-%m-%d})"
        f" · data as of {pd.Timestamp(sales.as_of):%Y-%m-%d} · {where}"
    )
    basis = basis_label(sales)
    if basis:
        line += f" · {basis}"
    extra = basis_note(sales)
    return f"{line}\n\n{extra}" if extra else line
