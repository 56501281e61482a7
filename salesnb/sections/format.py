"""Building blocks for report notebooks: notes, formatted tables, narrative text.

A report notebook orchestrates; this module holds the little logic a notebook
would otherwise repeat:

* :func:`resolve_data_path`, :func:`report_quarter` — turn the notebook
  parameters into a data location and a :class:`~salesnb.periods.Period`;
* :func:`requires` — decide whether a section can run and, when a table (or a
  column) is absent, show a one-line note naming what would enable it;
* :func:`fmt_money`, :func:`fmt_number`, :func:`fmt_pct`, :func:`fmt_change` —
  numbers as a manager reads them (thousands separators, currency);
* :func:`format_table`, :func:`table` — a frame as an HTML table with
  formatted numbers and every value HTML-escaped;
* :func:`say` — show computed narrative text as Markdown (values escaped).

>>> fmt_money(1234567.891), fmt_pct(0.1234), fmt_change(110, 100)
('$1,234,568', '12.3%', '+10.0%')
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from salesnb.periods import Period, latest_complete_quarter

__all__ = [
    "PROJECT_ROOT",
    "SAMPLE_DATA",
    "resolve_data_path",
    "report_quarter",
    "missing_requirements",
    "requires",
    "unavailable_note",
    "note",
    "say",
    "md_escape",
    "fmt_money",
    "fmt_number",
    "fmt_pct",
    "fmt_change",
    "format_table",
    "table",
    "show_table",
    "attempt",
    "value_text",
    "report_as_of",
    "report_header",
    "row_for",
    "rows_for",
    "up_to",
    "change_sentence",
    "history_and_forecast",
    "attainment_sentence",
    "forecast_sentence",
    "HEADLINE_KPIS",
    "late_payment_share",
    "headline_series",
    "headline_kpis",
    "format_headline",
    "declining_regions",
    "unusual_moves",
    "attention",
    "bullet_list",
    "competitor_undercuts",
    "leaderboard",
    "key_tables",
    "ranking_sentence",
    "conversion_sentence",
    "with_comparisons",
]

log = logging.getLogger(__name__)

#: The project checkout holding this package (``salesnb/..``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
#: The bundled synthetic sample data.
SAMPLE_DATA = PROJECT_ROOT / "data" / "sample"

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


# -- parameters ---------------------------------------------------------------------------
def resolve_data_path(data: str | Path | None) -> str:
    """The data location a notebook should load.

    A URL is returned unchanged. A path is tried as given (relative to the
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


def report_quarter(quarter: str | Period | None, as_of, *, fiscal_year_start: int = 1) -> Period:
    """The quarter a report covers: ``quarter`` when given, else the latest complete one.

    Raises
    ------
    ValueError
        When ``quarter`` is not a quarter label such as ``"2025Q3"``.

    >>> report_quarter(None, "2026-09-30").label
    '2026Q3'
    >>> report_quarter("2025Q3", "2026-09-30").label
    '2025Q3'
    """
    if quarter is None or (isinstance(quarter, str) and not quarter.strip()):
        return latest_complete_quarter(as_of, fiscal_year_start=fiscal_year_start)
    return Period.parse(quarter, freq="quarter", fiscal_year_start=fiscal_year_start)


# -- section guards -----------------------------------------------------------------------
def missing_requirements(
    data,
    tables: Sequence[str],
    *,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """What is missing from ``data`` for a section: table names and ``table.column`` names.

    ``data`` is a :class:`~salesnb.SalesData` (anything with a ``tables``
    dict). A table counts as missing when it is absent or has no rows.

    >>> from types import SimpleNamespace
    >>> d = SimpleNamespace(tables={"orders": pd.DataFrame({"amount": [1.0]})})
    >>> missing_requirements(d, ["orders", "targets"], columns={"orders": ["status"]})
    ['targets', 'orders.status']
    """
    present = getattr(data, "tables", {}) or {}
    out: list[str] = []
    for name in tables:
        frame = present.get(name)
        if frame is None or len(frame) == 0:
            out.append(name)
    for name, cols in (columns or {}).items():
        frame = present.get(name)
        if frame is None or len(frame) == 0:
            if name not in out:
                out.append(name)
            continue
        for col in cols:
            if col not in frame.columns or frame[col].isna().all():
                out.append(f"{name}.{col}")
    return out


def unavailable_note(what: str, missing: Sequence[str]) -> str:
    """The one-line Markdown note shown instead of a section.

    >>> unavailable_note("Stage funnel", ["opportunities"])
    '> **Stage funnel: section unavailable** — needs table `opportunities` in the data.'
    >>> unavailable_note("Order status", ["orders.status"])
    '> **Order status: section unavailable** — needs column `orders.status` in the data.'
    """
    tables = [m for m in missing if "." not in m]
    cols = [m for m in missing if "." in m]
    parts = []
    if tables:
        parts.append(
            ("table " if len(tables) == 1 else "tables ") + ", ".join(f"`{t}`" for t in tables)
        )
    if cols:
        parts.append(
            ("column " if len(cols) == 1 else "columns ") + ", ".join(f"`{c}`" for c in cols)
        )
    return (
        f"> **{md_escape(what)}: section unavailable** — needs {' and '.join(parts)} in the data."
    )


def requires(
    data,
    *tables: str,
    what: str,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> bool:
    """True when ``data`` has what a section needs; otherwise show a note and return False.

    Use it to guard a notebook section::

        if sections.requires(data, "opportunities", what="Stage funnel"):
            ...

    Parameters
    ----------
    data : SalesData
    *tables : str
        Tables the section needs (present and non-empty).
    what : str
        Section name used in the note.
    columns : mapping, optional
        Optional contract columns the section needs, per table.
    """
    missing = missing_requirements(data, tables, columns=columns)
    if missing:
        note(unavailable_note(what, missing))
        return False
    return True


def _display(obj) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency via ipykernel
        print(obj)
        return
    display(obj)


def note(text: str) -> None:
    """Show a Markdown note (already escaped; see :func:`md_escape`)."""
    from IPython.display import Markdown

    _display(Markdown(text))


def say(text: str, *values: object) -> None:
    """Show narrative Markdown; ``values`` fill ``{}`` placeholders, escaped.

    Data values (names, regions) go through :func:`md_escape`, so a customer
    called ``<script>`` shows as text.
    """
    from IPython.display import Markdown

    if values:
        text = text.format(*(md_escape(v) for v in values))
    _display(Markdown(text))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def md_escape(value: object) -> str:
    """Text safe to put into Markdown: HTML-escaped, Markdown punctuation backslashed.

    Numbers pass through unchanged.

    >>> md_escape("<script>alert(1)</script>")
    '&lt;script&gt;alert\\\\(1\\\\)&lt;/script&gt;'
    >>> md_escape("$1,234")
    '$1,234'
    """
    text = str(value)
    text = html.escape(text, quote=False)
    return _MD_SPECIAL.sub(r"\\\1", text)


# -- numbers ------------------------------------------------------------------------------
def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float | int) and math.isnan(value))
    except TypeError:
        return False


def _round(value: float, decimals: int) -> float:
    """Round half away from zero (as people and spreadsheets do), not half to even."""
    from decimal import ROUND_HALF_UP, Decimal

    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP))


def fmt_money(value, *, currency: str = "$", decimals: int = 0) -> str:
    """Money with thousands separators: ``$1,234``; negatives ``-$1,234``; missing ``n/a``.

    >>> fmt_money(-1234.5, decimals=2), fmt_money(float("nan")), fmt_money(5, currency="€")
    ('-$1,234.50', 'n/a', '€5')
    """
    if _missing(value):
        return "n/a"
    v = _round(value, decimals) if math.isfinite(float(value)) else float(value)
    sign = "-" if v < 0 else ""
    return f"{sign}{currency}{abs(v):,.{decimals}f}"


def fmt_number(value, *, decimals: int = 0) -> str:
    """A number with thousands separators; missing values give ``n/a``.

    >>> fmt_number(12345.678, decimals=1), fmt_number(None)
    ('12,345.7', 'n/a')
    """
    if _missing(value):
        return "n/a"
    v = float(value)
    return f"{(_round(v, decimals) if math.isfinite(v) else v):,.{decimals}f}"


def fmt_pct(value, *, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.253`` -> ``25.3%``.

    >>> fmt_pct(0.253), fmt_pct(None)
    ('25.3%', 'n/a')
    """
    if _missing(value):
        return "n/a"
    return f"{float(value) * 100:,.{decimals}f}%"


def fmt_change(current, previous, *, points: bool = False, decimals: int = 1) -> str:
    """Signed change of ``current`` over ``previous``.

    Relative change in percent (``+10.0%``) by default; with ``points=True``
    the difference of two rates in percentage points (``+2.0 pp``). Missing or
    zero ``previous`` gives ``n/a``.

    >>> fmt_change(90, 100), fmt_change(0.25, 0.23, points=True), fmt_change(5, 0)
    ('-10.0%', '+2.0 pp', 'n/a')
    """
    if _missing(current) or _missing(previous):
        return "n/a"
    cur, prev = float(current), float(previous)
    if points:
        diff = (cur - prev) * 100
        return f"{diff:+,.{decimals}f} pp"
    if prev == 0:
        return "n/a"
    return f"{(cur - prev) / abs(prev) * 100:+,.{decimals}f}%"


def format_table(
    frame: pd.DataFrame,
    *,
    money: Iterable[str] = (),
    pct: Iterable[str] = (),
    integer: Iterable[str] = (),
    number: Iterable[str] = (),
    dates: Iterable[str] = (),
    change: Iterable[str] = (),
    currency: str = "$",
    decimals: int = 1,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with the named columns turned into display text.

    ``money`` columns get the currency and thousands separators (no
    decimals), ``pct`` columns (fractions) a percent sign, ``integer`` and
    ``number`` columns thousands separators (``number`` with ``decimals``),
    ``dates`` ``YYYY-MM-DD``, ``change`` columns (relative changes as
    fractions) a signed percent (``+12.5%``). Other columns are left as they are. Column
    names have ``_`` replaced by spaces unless ``rename`` names them.

    Raises
    ------
    KeyError
        When a named column is not in ``frame``.

    >>> f = pd.DataFrame({"rep": ["Ann"], "revenue": [12345.6], "win_rate": [0.5]})
    >>> format_table(f, money=["revenue"], pct=["win_rate"]).to_dict("records")
    [{'rep': 'Ann', 'revenue': '$12,346', 'win rate': '50.0%'}]
    """
    groups = {
        "money": list(money),
        "pct": list(pct),
        "integer": list(integer),
        "number": list(number),
        "dates": list(dates),
        "change": list(change),
    }
    named = [c for cols in groups.values() for c in cols]
    missing = [c for c in named if c not in frame.columns]
    if missing:
        raise KeyError(
            f"format_table: column(s) {missing} not in the frame (columns: {list(frame.columns)})"
        )
    out = frame.copy()
    for c in groups["money"]:
        out[c] = [fmt_money(v, currency=currency) for v in frame[c]]
    for c in groups["pct"]:
        out[c] = [fmt_pct(v, decimals=decimals) for v in frame[c]]
    for c in groups["integer"]:
        out[c] = [fmt_number(v) for v in frame[c]]
    for c in groups["number"]:
        out[c] = [fmt_number(v, decimals=decimals) for v in frame[c]]
    for c in groups["dates"]:
        out[c] = [
            ("n/a" if _missing(v) else pd.Timestamp(v).strftime("%Y-%m-%d")) for v in frame[c]
        ]
    for c in groups["change"]:
        out[c] = [("n/a" if _missing(v) else f"{float(v) * 100:+,.{decimals}f}%") for v in frame[c]]
    names = dict(rename or {})
    out.columns = [names.get(str(c), str(c).replace("_", " ")) for c in out.columns]
    return out


class _HTMLTable:
    """An HTML fragment with the rich-display hook notebooks render."""

    def __init__(self, body: str):
        self.body = body

    def _repr_html_(self) -> str:
        return self.body

    def __repr__(self) -> str:
        return f"<table: {len(self.body)} characters of HTML>"


def table(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    max_rows: int = 25,
    index: bool = False,
    **formats,
) -> _HTMLTable:
    """Show-ready HTML table: numbers formatted (see :func:`format_table`), values escaped.

    Every cell, header and the caption are HTML-escaped, so data values
    cannot inject markup into the report.

    >>> t = table(pd.DataFrame({"customer": ["<b>x</b>"], "amount": [1500.0]}),
    ...           money=["amount"])
    >>> "&lt;b&gt;x&lt;/b&gt;" in t._repr_html_(), "$1,500" in t._repr_html_()
    (True, True)
    """
    shown = format_table(frame, **formats)
    more = len(shown) - max_rows
    if more > 0:
        shown = shown.head(max_rows)
    body = shown.to_html(index=index, escape=True, border=0, classes="salesnb-table", na_rep="n/a")
    if caption:
        body = f"<p class='salesnb-caption'><strong>{html.escape(caption)}</strong></p>" + body
    if more > 0:
        body += f"<p class='salesnb-caption'>… and {more:,} more rows.</p>"
    return _HTMLTable(body)


# -- narrative ----------------------------------------------------------------------------
_KINDS = ("money", "pct", "count", "number", "days")


def value_text(value, kind: str = "number", *, currency: str = "$") -> str:
    """``value`` formatted by ``kind``: money, pct (fraction), count, number or days.

    >>> value_text(1234.5, "money"), value_text(0.25, "pct"), value_text(12.34, "days")
    ('$1,235', '25.0%', '12.3 days')
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    if kind == "money":
        return fmt_money(value, currency=currency)
    if kind == "pct":
        return fmt_pct(value)
    if kind == "count":
        return fmt_number(value)
    if kind == "days":
        return "n/a" if _missing(value) else f"{float(value):,.1f} days"
    return fmt_number(value, decimals=1)


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


def row_for(table: pd.DataFrame | None, period: Period | str, **where) -> pd.Series | None:
    """The row of ``table`` for ``period`` (column ``period``), optionally where col == value.

    Returns None when there is no such row.

    >>> t = pd.DataFrame({"period": ["2025Q2", "2025Q3"], "revenue": [1.0, 2.0]})
    >>> row_for(t, "2025Q3")["revenue"]
    np.float64(2.0)
    >>> row_for(t, "2024Q1") is None
    True
    """
    if table is None or len(table) == 0 or "period" not in table.columns:
        return None
    label = period.label if isinstance(period, Period) else str(period)
    mask = table["period"].astype(str) == label
    for col, value in where.items():
        mask &= table[col] == value
    hits = table.loc[mask]
    if hits.empty:
        return None
    return hits.iloc[0]


def change_sentence(
    what: str,
    table: pd.DataFrame | None,
    period: Period,
    *,
    column: str,
    kind: str = "money",
    currency: str = "$",
    **where,
) -> str:
    """One sentence: ``what`` in the quarter, vs the previous quarter and a year earlier.

    Reads the comparison columns ``<column>_prev`` and ``<column>_ly`` that
    the KPI functions add; rates (``kind="pct"``) change in percentage points.

    >>> t = pd.DataFrame({"period": ["2025Q3"], "revenue": [110.0],
    ...                   "revenue_prev": [100.0], "revenue_ly": [120.0]})
    >>> change_sentence("Revenue", t, Period.parse("2025Q3"), column="revenue")
    'Revenue in 2025Q3: **$110** (+10.0% vs 2025Q2, -8.3% vs 2024Q3).'

    A row whose ``note`` says the cohort is still maturing gets a warning:

    >>> m = pd.DataFrame({"period": ["2025Q3"], "rate": [0.1], "note": ["cohort still maturing"]})
    >>> change_sentence("Conversion", m, Period.parse("2025Q3"), column="rate", kind="pct")
    'Conversion in 2025Q3: **10.0%** — the cohort is still maturing: its value can still rise.'
    """
    row = row_for(table, period, **where)
    if row is None or _missing(row.get(column)):
        return f"{md_escape(what)}: no data for {period.label}."
    now = row[column]
    points = kind == "pct"
    parts = []
    for suffix, other in (("_prev", period.previous()), ("_ly", period.same_period_last_year())):
        ref = row.get(column + suffix)
        if not _missing(ref):
            parts.append(f"{fmt_change(now, ref, points=points)} vs {other.label}")
    tail = f" ({', '.join(parts)})" if parts else ""
    note = row.get("note")
    if isinstance(note, str) and "maturing" in note:
        tail += " — the cohort is still maturing: its value can still rise"
    return (
        f"{md_escape(what)} in {period.label}: **{value_text(now, kind, currency=currency)}**"
        f"{tail}."
    )


def report_header(period: Period, sales, *, region: str | None = None) -> str:
    """The line under a notebook's title: quarter, its dates, data as-of date, region.

    >>> from types import SimpleNamespace
    >>> report_header(Period.parse("2025Q3"), SimpleNamespace(as_of=pd.Timestamp("2026-09-30")))
    'Quarter **2025Q3** (2025-07-01 to 2025-09-30) · data as of 2026-09-30 · all regions'
    """
    where = f"region **{md_escape(region)}**" if region else "all regions"
    return (
        f"Quarter **{period.label}** ({period.start:%Y-%m-%d} to {period.last_day:%Y-%m-%d})"
        f" · data as of {pd.Timestamp(sales.as_of):%Y-%m-%d} · {where}"
    )


def history_and_forecast(
    history: pd.Series,
    forecast: pd.DataFrame,
    *,
    periods: int = 12,
    label_format: str = "%Y-%m",
) -> pd.DataFrame:
    """One frame for :func:`salesnb.plot.forecast_chart`: recent history, then the forecast.

    Parameters
    ----------
    history : pandas.Series
        Actual values indexed by period start (e.g. monthly revenue).
    forecast : pandas.DataFrame
        Columns ``period`` (period start), ``forecast``, ``lower``, ``upper``.
    periods : int
        Number of history periods to keep.

    Returns
    -------
    pandas.DataFrame
        ``period`` (label), ``actual``, ``forecast``, ``lower``, ``upper``; the
        last actual period also carries the forecast value so the lines join.

    >>> h = pd.Series([10.0, 12.0], index=pd.to_datetime(["2025-01-01", "2025-02-01"]))
    >>> f = pd.DataFrame({"period": pd.to_datetime(["2025-03-01"]), "forecast": [13.0],
    ...                   "lower": [11.0], "upper": [15.0]})
    >>> history_and_forecast(h, f).to_dict("list")["forecast"]
    [nan, 12.0, 13.0]
    """
    missing = [c for c in ("period", "forecast", "lower", "upper") if c not in forecast.columns]
    if missing:
        raise KeyError(f"history_and_forecast: forecast lacks column(s) {missing}")
    hist = history.tail(periods)
    past = pd.DataFrame({"start": pd.to_datetime(hist.index), "actual": hist.to_numpy(float)})
    past["forecast"] = float("nan")
    past["lower"] = float("nan")
    past["upper"] = float("nan")
    if len(past):
        past.loc[past.index[-1], "forecast"] = past["actual"].iloc[-1]
    future = pd.DataFrame(
        {
            "start": pd.to_datetime(forecast["period"]),
            "actual": float("nan"),
            "forecast": forecast["forecast"].to_numpy(float),
            "lower": forecast["lower"].to_numpy(float),
            "upper": forecast["upper"].to_numpy(float),
        }
    )
    out = pd.concat([past, future], ignore_index=True)
    out.insert(0, "period", out.pop("start").dt.strftime(label_format))
    return out


def rows_for(table: pd.DataFrame | None, period: Period | str) -> pd.DataFrame:
    """All rows of ``table`` for ``period`` (empty frame when none).

    >>> t = pd.DataFrame({"period": ["2025Q3", "2025Q3", "2025Q2"], "v": [1, 2, 3]})
    >>> rows_for(t, "2025Q3")["v"].tolist()
    [1, 2]
    """
    if table is None or "period" not in getattr(table, "columns", ()):
        return pd.DataFrame()
    label = period.label if isinstance(period, Period) else str(period)
    return table.loc[table["period"].astype(str) == label].reset_index(drop=True)


def up_to(table: pd.DataFrame, period: Period, *, last: int | None = None) -> pd.DataFrame:
    """Rows of a KPI table up to and including ``period`` (``period_start`` column).

    With ``last``, only the last ``last`` periods.

    >>> t = pd.DataFrame({"period": ["2025Q2", "2025Q3", "2025Q4"],
    ...                   "period_start": pd.to_datetime(["2025-04-01", "2025-07-01",
    ...                                                   "2025-10-01"])})
    >>> up_to(t, Period.parse("2025Q3"))["period"].tolist()
    ['2025Q2', '2025Q3']
    >>> up_to(t, Period.parse("2025Q4"), last=1)["period"].tolist()
    ['2025Q4']
    """
    if "period_start" not in table.columns:
        raise KeyError("up_to: the table has no period_start column")
    out = table.loc[table["period_start"] <= period.start]
    if last is not None:
        keep = sorted(out["period_start"].unique())[-last:]
        out = out.loc[out["period_start"].isin(keep)]
    return out.reset_index(drop=True)


def show_table(frame: pd.DataFrame, **kwargs) -> None:
    """Display :func:`table` (for use inside ``if`` blocks of a notebook)."""
    _display(table(frame, **kwargs))


class attempt:
    """Context manager for a model section: a data problem becomes a one-line note.

    ``ValueError`` and salesnb errors (too little history, a single class, ...)
    raised inside the block are shown as "*what*: not computed — reason" and
    swallowed, so the rest of the report still renders; other exceptions
    propagate. The note carries the error message, so nothing is hidden.

    >>> with attempt("Forecast"):
    ...     raise ValueError("needs 24 months of history, got 5")
    <IPython.core.display.Markdown object>
    """

    def __init__(self, what: str):
        self.what = what
        self.error: BaseException | None = None

    def __enter__(self) -> attempt:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        from salesnb.errors import SalesnbError

        if exc is None or not isinstance(exc, ValueError | SalesnbError):
            return False
        self.error = exc
        log.warning("%s not computed: %s", self.what, exc)
        note(f"> **{md_escape(self.what)}: not computed** — {md_escape(exc)}")
        return True


def attainment_sentence(
    table: pd.DataFrame | None, period: Period, *, currency: str = "$", **where
) -> str:
    """Revenue against target for the quarter (columns ``actual, target, gap, attainment``).

    >>> t = pd.DataFrame({"period": ["2025Q3"], "actual": [90.0], "target": [100.0],
    ...                   "gap": [-10.0], "attainment": [0.9]})
    >>> attainment_sentence(t, Period.parse("2025Q3"))
    'Revenue of $90 against a target of $100: **90.0% of target** (short by $10).'
    """
    row = row_for(table, period, **where)
    if row is None or _missing(row.get("target")):
        return f"No revenue target is set for {period.label}."
    gap = row.get("gap")
    tail = ""
    if not _missing(gap):
        tail = (
            f" (short by {fmt_money(-gap, currency=currency)})"
            if gap < 0
            else f" (ahead by {fmt_money(gap, currency=currency)})"
        )
    return (
        f"Revenue of {fmt_money(row['actual'], currency=currency)} against a target of "
        f"{fmt_money(row['target'], currency=currency)}: **{fmt_pct(row['attainment'])} of "
        f"target**{tail}."
    )


def forecast_sentence(
    forecast: pd.DataFrame, model: str, *, coverage: float = 0.8, currency: str = "$"
) -> str:
    """Summary of a next-quarter forecast (columns ``quarter``, ``forecast``, ``model``).

    >>> f = pd.DataFrame({"quarter": ["2025Q4"] * 3, "forecast": [10.0, 20.0, 30.0]})
    >>> forecast_sentence(f, "seasonal_naive")
    'Forecast for **2025Q4**: **$60** in total (model: seasonal naive); the table gives each period with its 80% prediction interval.'
    """
    if forecast is None or forecast.empty:
        return "No forecast could be made."
    quarter = str(forecast["quarter"].iloc[0]) if "quarter" in forecast.columns else "next quarter"
    total = float(forecast["forecast"].sum())
    return (
        f"Forecast for **{md_escape(quarter)}**: **{fmt_money(total, currency=currency)}** in "
        f"total (model: {md_escape(str(model).replace('_', ' '))}); the table gives each "
        f"period with its {coverage:.0%} prediction interval."
    )


# -- executive summary: headline KPIs, attention list, leaderboard ------------------------
#: Headline KPIs: (name, kind, tables needed). ``kind`` drives formatting and whether a
#: change is read in percent (money, counts) or percentage points (rates).
HEADLINE_KPIS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Revenue", "money", ("orders",)),
    ("Revenue vs target", "pct", ("orders", "targets")),
    ("Win rate", "pct", ("opportunities",)),
    ("New leads", "count", ("leads",)),
    ("Lead conversion (60 days)", "pct", ("leads",)),
    ("Average deal size", "money", ("opportunities",)),
    ("Overdue receivables", "money", ("orders",)),
    ("Invoices paid late or unpaid", "pct", ("orders",)),
)

#: Rules of the attention list (see :func:`attention`).
DECLINE_QUARTERS = 4
USUAL_RANGE_QUARTERS = 8
USUAL_RANGE_SD = 2.0
SLOW_CYCLE_RATIO = 1.75
UNDERCUT_THRESHOLD = 0.10
SATISFACTION_SLOPE = -1.0


#: Days after creation within which a lead's conversion counts in the headline KPI.
CONVERSION_WINDOW_DAYS = 60


def _series(table: pd.DataFrame | None, column: str) -> pd.Series:
    """A KPI column indexed by period label (one row per period)."""
    if table is None or len(table) == 0 or column not in table.columns:
        return pd.Series(dtype=float)
    out = table.set_index(table["period"].astype(str))[column].astype(float)
    out = out[~out.index.duplicated()]
    if "note" in table.columns:
        notes = table.set_index(table["period"].astype(str))["note"]
        maturing = notes[notes.astype(str).str.contains("maturing", na=False)]
        # periods whose value can still change (e.g. a lead cohort still converting)
        out.attrs["maturing"] = sorted(set(maturing.index))
    return out


def late_payment_share(orders: pd.DataFrame, *, as_of, freq: str = "quarter") -> pd.DataFrame:
    """Share of invoices not paid by their due date, per period of the due date.

    An invoice (an order with a ``due_date`` on or before ``as_of``, not
    cancelled) is *late* when ``paid_at`` is missing, after ``as_of`` (not known
    yet) or after the end of its due day. The period is that of ``due_date``.

    Returns
    -------
    pandas.DataFrame
        ``period, period_start, invoices, late, late_share, amount, late_amount,
        late_amount_share``.

    Raises
    ------
    KeyError
        When ``orders`` lacks ``due_date`` or ``paid_at``.

    >>> o = pd.DataFrame({"due_date": pd.to_datetime(["2025-07-10", "2025-08-01", "2025-10-05"]),
    ...                   "paid_at": pd.to_datetime(["2025-07-10 15:00", "2025-08-03 09:00", None]),
    ...                   "amount": [100.0, 300.0, 50.0]})
    >>> late_payment_share(o, as_of="2025-12-31")[["period", "invoices", "late", "late_share"]]
       period  invoices  late  late_share
    0  2025Q3         2     1         0.5
    1  2025Q4         1     1         1.0
    """
    from salesnb.periods import Period as _P

    missing = [c for c in ("due_date", "paid_at", "amount") if c not in orders.columns]
    if missing:
        raise KeyError(f"late_payment_share: orders lacks column(s) {missing}")
    day = pd.Timestamp(as_of).normalize()
    frame = orders.loc[orders["due_date"].notna() & (orders["due_date"] <= day)]
    if "status" in frame.columns:
        frame = frame.loc[frame["status"].astype(object).fillna("") != "cancelled"]
    paid = frame["paid_at"]
    late = (
        paid.isna()
        | (paid >= day + pd.Timedelta(days=1))
        | (paid >= frame["due_date"].dt.normalize() + pd.Timedelta(days=1))
    )
    labels = [_P.containing(d, freq=freq).label for d in frame["due_date"]]
    work = pd.DataFrame(
        {"period": labels, "late": late.to_numpy(bool), "amount": frame["amount"].to_numpy(float)}
    )
    work["late_amount"] = work["amount"].where(work["late"], 0.0)
    out = (
        work.groupby("period", sort=True)
        .agg(
            invoices=("late", "size"),
            late=("late", "sum"),
            amount=("amount", "sum"),
            late_amount=("late_amount", "sum"),
        )
        .reset_index()
    )
    out["late"] = out["late"].astype("int64")
    out["late_share"] = out["late"] / out["invoices"]
    out["late_amount_share"] = out["late_amount"] / out["amount"].where(out["amount"] > 0)
    out.insert(1, "period_start", [_P.parse(p, freq=freq).start for p in out["period"]])
    return out[
        [
            "period",
            "period_start",
            "invoices",
            "late",
            "late_share",
            "amount",
            "late_amount",
            "late_amount_share",
        ]
    ]


def headline_series(sales, period: Period) -> dict[str, tuple[str, pd.Series]]:
    """History of each headline KPI the data allows, by quarter label, up to ``period``.

    Returns ``{kpi: (kind, series)}`` in the order of :data:`HEADLINE_KPIS`;
    KPIs whose tables (or columns) are absent are left out.
    """
    from salesnb import kpi

    as_of = report_as_of(period, sales.as_of)
    quarters = [period.shift(-k) for k in range(USUAL_RANGE_QUARTERS + 4, -1, -1)]
    labels = [q.label for q in quarters]
    out: dict[str, tuple[str, pd.Series]] = {}

    def keep(name, kind, series):
        series = series.reindex([lab for lab in labels if lab in series.index])
        if series.notna().any():
            out[name] = (kind, series)

    orders, opps, leads = sales.orders, sales.opportunities, sales.leads
    if not missing_requirements(sales, ["orders"]):
        keep("Revenue", "money", _series(kpi.revenue(orders), "revenue"))
        if not missing_requirements(sales, ["targets"]):
            att = kpi.target_attainment(orders, sales.targets)
            keep("Revenue vs target", "pct", _series(att, "attainment"))
    if not missing_requirements(sales, ["opportunities"], columns={"opportunities": ["closed_at"]}):
        keep("Win rate", "pct", _series(kpi.win_rate(opps, comparisons=False), "win_rate"))
    if not missing_requirements(sales, ["leads"], columns={"leads": ["created_at"]}):
        keep(
            "New leads",
            "count",
            _series(kpi.new_leads(leads, freq="quarter", comparisons=False), "leads"),
        )
        # converted within 60 days of creation, so quarters compare like with like;
        # a cohort whose 60 days are not over at as_of is marked as maturing
        keep(
            f"Lead conversion ({CONVERSION_WINDOW_DAYS} days)",
            "pct",
            _series(
                kpi.lead_conversion_rate(
                    leads, as_of=as_of, within_days=CONVERSION_WINDOW_DAYS, comparisons=False
                ),
                "conversion_rate",
            ),
        )
    if not missing_requirements(sales, ["opportunities"], columns={"opportunities": ["closed_at"]}):
        keep(
            "Average deal size",
            "money",
            _series(kpi.average_deal_size(opps, comparisons=False), "average_deal_size"),
        )
    if not missing_requirements(sales, ["orders"], columns={"orders": ["due_date", "paid_at"]}):
        values = {}
        for q in (period, period.previous(), period.same_period_last_year()):
            at = report_as_of(q, sales.as_of)
            status = kpi.payment_status(orders, as_of=at)
            values[q.label] = float(status["overdue_amount"].iloc[0]) if len(status) else 0.0
        keep("Overdue receivables", "money", pd.Series(values))
        keep(
            "Invoices paid late or unpaid",
            "pct",
            _series(late_payment_share(orders, as_of=as_of), "late_share"),
        )
    return out


def headline_kpis(sales, period: Period) -> pd.DataFrame:
    """Headline KPIs for the quarter vs the previous quarter and the same quarter last year.

    Returns
    -------
    pandas.DataFrame
        ``kpi, kind, value, previous, last_year`` (numbers; ``kind`` is money,
        pct or count). Overdue receivables are read at each quarter's end.
    """
    rows = []
    for name, (kind, series) in headline_series(sales, period).items():
        if period.label in series.attrs.get("maturing", ()):
            name = (
                f"{name[:-1]}, cohort still maturing)"
                if name.endswith(")")
                else f"{name} (cohort still maturing)"
            )
        rows.append(
            {
                "kpi": name,
                "kind": kind,
                "value": series.get(period.label, float("nan")),
                "previous": series.get(period.previous().label, float("nan")),
                "last_year": series.get(period.same_period_last_year().label, float("nan")),
            }
        )
    return pd.DataFrame(rows, columns=["kpi", "kind", "value", "previous", "last_year"])


def format_headline(frame: pd.DataFrame, period: Period, *, currency: str = "$") -> pd.DataFrame:
    """Display text of :func:`headline_kpis`: values and changes (rates in points).

    >>> f = pd.DataFrame({"kpi": ["Win rate"], "kind": ["pct"], "value": [0.30],
    ...                   "previous": [0.25], "last_year": [0.40]})
    >>> format_headline(f, Period.parse("2025Q3")).iloc[0].tolist()
    ['Win rate', '30.0%', '25.0%', '+5.0 pp', '40.0%', '-10.0 pp']
    """
    prev, ly = period.previous().label, period.same_period_last_year().label
    rows = []
    for rec in frame.itertuples(index=False):
        points = rec.kind == "pct"
        rows.append(
            [
                rec.kpi,
                value_text(rec.value, rec.kind, currency=currency),
                value_text(rec.previous, rec.kind, currency=currency),
                fmt_change(rec.value, rec.previous, points=points),
                value_text(rec.last_year, rec.kind, currency=currency),
                fmt_change(rec.value, rec.last_year, points=points),
            ]
        )
    return pd.DataFrame(rows, columns=["KPI", period.label, prev, f"vs {prev}", ly, f"vs {ly}"])


def declining_regions(
    revenue_by_region: pd.DataFrame, period: Period, *, quarters: int = DECLINE_QUARTERS
) -> pd.DataFrame:
    """Regions whose revenue fell quarter after quarter over the last ``quarters`` quarters.

    The rule: revenue decreased in each of the ``quarters - 1`` steps from
    ``period.shift(-(quarters-1))`` to ``period`` (all quarters present).

    Returns
    -------
    pandas.DataFrame
        ``region, first_period, first_revenue, revenue, change_pct``, largest fall first.

    >>> t = pd.DataFrame({"period": ["2025Q1", "2025Q2", "2025Q3"] * 2,
    ...                   "region": ["A"] * 3 + ["B"] * 3,
    ...                   "revenue": [30.0, 20.0, 10.0, 10.0, 20.0, 15.0]})
    >>> declining_regions(t, Period.parse("2025Q3"), quarters=3)[["region", "change_pct"]]
      region  change_pct
    0      A   -0.666667
    """
    labels = [period.shift(-k).label for k in range(quarters - 1, -1, -1)]
    wide = revenue_by_region.pivot_table(
        index="region", columns="period", values="revenue", aggfunc="sum"
    )
    rows = []
    if all(lab in wide.columns for lab in labels):
        for region, values in wide[labels].iterrows():
            v = values.to_numpy(float)
            if len(v) >= 2 and not pd.isna(v).any() and (v[1:] < v[:-1]).all():
                rows.append(
                    {
                        "region": region,
                        "first_period": labels[0],
                        "first_revenue": v[0],
                        "revenue": v[-1],
                        "change_pct": v[-1] / v[0] - 1 if v[0] else float("nan"),
                    }
                )
    out = pd.DataFrame(
        rows, columns=["region", "first_period", "first_revenue", "revenue", "change_pct"]
    )
    return out.sort_values("change_pct").reset_index(drop=True)


def unusual_moves(
    series: dict[str, tuple[str, pd.Series]],
    period: Period,
    *,
    window: int = USUAL_RANGE_QUARTERS,
    sd: float = USUAL_RANGE_SD,
) -> pd.DataFrame:
    """Rate KPIs whose quarter value lies outside their usual range.

    Usual range: mean ± ``sd`` standard deviations of the previous ``window``
    quarters (at least 4 needed). Only rates (``kind == "pct"``) are tested:
    money and counts grow with the business, so their level has no stable range.
    A quarter whose value is still maturing (listed in ``series.attrs["maturing"]``,
    e.g. a lead cohort that can still convert) is not tested: a low value there is
    expected, not news.

    >>> s = pd.Series([0.30, 0.31, 0.29, 0.30, 0.32, 0.15],
    ...               index=["2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3"])
    >>> unusual_moves({"Win rate": ("pct", s)}, Period.parse("2025Q3"))[["kpi", "direction"]]
            kpi direction
    0  Win rate     below
    """
    rows = []
    for name, (kind, values) in series.items():
        if kind != "pct" or period.label not in values.index:
            continue
        if period.label in values.attrs.get("maturing", ()):
            continue
        prior_labels = [period.shift(-k).label for k in range(window, 0, -1)]
        prior = values.reindex(prior_labels).dropna()
        now = values.get(period.label)
        if len(prior) < 4 or _missing(now):
            continue
        mean, spread = float(prior.mean()), float(prior.std(ddof=1))
        lo, hi = mean - sd * spread, mean + sd * spread
        if now < lo or now > hi:
            rows.append(
                {
                    "kpi": name,
                    "kind": kind,
                    "value": float(now),
                    "low": lo,
                    "high": hi,
                    "direction": "below" if now < lo else "above",
                    "quarters": len(prior),
                }
            )
    return pd.DataFrame(
        rows, columns=["kpi", "kind", "value", "low", "high", "direction", "quarters"]
    )


def _rep_names(sales) -> dict[str, str]:
    reps = sales.reps
    if reps is None or "name" not in reps.columns:
        return {}
    return dict(zip(reps["rep_id"].astype(str), reps["name"].astype(str), strict=False))


def attention(sales, period: Period, *, currency: str = "$") -> pd.DataFrame:
    """What a manager should look at this quarter, each with the rule that raised it.

    Rules (each runs only when its tables are present):

    * **declining region** — revenue fell in each of the last
      ``DECLINE_QUARTERS - 1`` quarter-over-quarter steps (:func:`declining_regions`);
    * **unusual KPI** — a headline rate outside mean ± 2 sd of its previous 8
      quarters (:func:`unusual_moves`);
    * **stale deals** / **slipped deals** — open deals idle longer than their
      stage allows / past their expected close date, at the quarter's end;
    * **overdue receivables** — unpaid invoices past due at the quarter's end;
    * **slow rep** — a rep's median sales cycle at least ``SLOW_CYCLE_RATIO``
      times the team median (5 won deals or more);
    * **competitor undercut** — a competitor's price more than 10 % under our
      list price in the quarter;
    * **falling satisfaction** — a rep's score falling by 1 point or more per
      quarter over the last 4 quarters (least-squares slope).

    Returns
    -------
    pandas.DataFrame
        ``topic, subject, message``: plain text (escape it for HTML/Markdown).
    """
    from salesnb import kpi

    as_of = report_as_of(period, sales.as_of)
    names = _rep_names(sales)

    def who(rep_id) -> str:
        return f"{rep_id} {names[rep_id]}" if rep_id in names else str(rep_id)

    items: list[dict] = []

    def add(topic, subject, message):
        items.append({"topic": topic, "subject": str(subject), "message": message})

    if not missing_requirements(sales, ["orders"], columns={"orders": ["region"]}):
        by_region = kpi.revenue(sales.orders, by="region", compare=False)
        for rec in declining_regions(by_region, period).itertuples(index=False):
            add(
                "declining region",
                rec.region,
                f"Region {rec.region}: revenue fell for {DECLINE_QUARTERS - 1} quarters in a "
                f"row, from {fmt_money(rec.first_revenue, currency=currency)} in "
                f"{rec.first_period} to {fmt_money(rec.revenue, currency=currency)} in "
                f"{period.label} ({fmt_change(rec.revenue, rec.first_revenue)}).",
            )
    for rec in unusual_moves(headline_series(sales, period), period).itertuples(index=False):
        add(
            "unusual KPI",
            rec.kpi,
            f"{rec.kpi} of {fmt_pct(rec.value)} in {period.label} is {rec.direction} its usual "
            f"range ({fmt_pct(max(rec.low, 0))} to {fmt_pct(rec.high)}, mean ± 2 sd of the "
            f"previous {rec.quarters} quarters).",
        )
    if not missing_requirements(sales, ["opportunities"]):
        opps = sales.opportunities
        try:
            stale = kpi.stale_deals(opps, as_of=as_of)
            if len(stale):
                add(
                    "stale deals",
                    f"{len(stale)} deals",
                    f"{len(stale):,} open deals worth {fmt_money(stale['amount'].sum(), currency=currency)} "
                    f"have had no activity for longer than their stage allows (longest idle: "
                    f"{int(stale['days_idle'].max())} days).",
                )
        except KeyError as exc:
            log.info("stale deals skipped: %s", exc)
        try:
            slipped = kpi.slipped_deals(opps, as_of=as_of)
            if len(slipped):
                add(
                    "slipped deals",
                    f"{len(slipped)} deals",
                    f"{len(slipped):,} open deals worth "
                    f"{fmt_money(slipped['amount'].sum(), currency=currency)} are past their "
                    f"expected close date.",
                )
        except KeyError as exc:
            log.info("slipped deals skipped: %s", exc)
        if not missing_requirements(sales, ["reps"], columns={"reps": ["team"]}):
            cycle = kpi.cycle_vs_team(opps, sales.reps)
            slow = cycle.loc[(cycle["ratio_to_team"] >= SLOW_CYCLE_RATIO) & (cycle["deals"] >= 5)]
            for rec in slow.sort_values("ratio_to_team", ascending=False).itertuples(index=False):
                add(
                    "slow rep",
                    rec.rep_id,
                    f"Rep {who(rec.rep_id)}: median sales cycle {rec.median_days:,.1f} days, "
                    f"{rec.ratio_to_team:.2f}x the {rec.team} team median "
                    f"({rec.team_median_days:,.1f} days).",
                )
    if not missing_requirements(sales, ["orders"], columns={"orders": ["due_date", "paid_at"]}):
        ageing = kpi.receivables_ageing(sales.orders, as_of=as_of)
        overdue = ageing.loc[ageing["bucket"] != "not due"]
        if len(overdue) and overdue["amount"].sum() > 0:
            old = ageing.loc[ageing["bucket"] == "90+", "amount"].sum()
            add(
                "overdue receivables",
                "receivables",
                f"{int(overdue['orders'].sum()):,} invoices worth "
                f"{fmt_money(overdue['amount'].sum(), currency=currency)} are overdue at "
                f"{as_of:%Y-%m-%d}, {fmt_money(old, currency=currency)} of them by more than "
                f"90 days.",
            )
    if not missing_requirements(
        sales, ["products", "competitor_prices"], columns={"products": ["list_price"]}
    ):
        cuts = competitor_undercuts(sales.products, sales.competitor_prices, period)
        for rec in cuts.itertuples(index=False):
            add(
                "competitor undercut",
                rec.product,
                f"{rec.competitor} undercuts {rec.product} by {fmt_pct(rec.gap_pct)} in "
                f"{period.label} (average {fmt_money(rec.price, currency=currency, decimals=2)} "
                f"vs our list price {fmt_money(rec.list_price, currency=currency, decimals=2)}).",
            )
    if not missing_requirements(sales, ["satisfaction"]):
        sat = kpi.employee_satisfaction(sales.satisfaction, by="rep_id", comparisons=False)
        labels = [period.shift(-k).label for k in range(3, -1, -1)]
        sat = sat.loc[sat["period"].astype(str).isin(labels)]
        for rep_id, grp in sat.groupby("rep_id"):
            grp = grp.dropna(subset=["mean_score"])
            if len(grp) < 3:
                continue
            x = pd.Series([labels.index(p) for p in grp["period"].astype(str)], dtype=float)
            y = grp["mean_score"].astype(float).to_numpy()
            slope = float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())
            if slope <= SATISFACTION_SLOPE:
                add(
                    "falling satisfaction",
                    rep_id,
                    f"Rep {who(rep_id)}: satisfaction score falling by {abs(slope):.1f} points "
                    f"per quarter over the last {len(grp)} quarters (now "
                    f"{y[-1]:.0f} of 10).",
                )
    return pd.DataFrame(items, columns=["topic", "subject", "message"])


def competitor_undercuts(
    products: pd.DataFrame,
    competitor_prices: pd.DataFrame,
    period: Period,
    *,
    threshold: float = UNDERCUT_THRESHOLD,
) -> pd.DataFrame:
    """Competitors whose average price in ``period`` is more than ``threshold`` below ours.

    Per product and competitor, the mean of the prices observed in the period
    is compared with our ``list_price``: ``gap_pct = 1 - price / list_price``.
    Averaging over a competitor's observations keeps one promotional price
    from raising an alarm.

    Returns
    -------
    pandas.DataFrame
        ``product, competitor, price, list_price, gap_pct``, largest gap first.

    >>> products = pd.DataFrame({"product": ["A"], "list_price": [100.0]})
    >>> prices = pd.DataFrame({"observed_date": pd.to_datetime(["2025-07-01", "2025-08-01",
    ...                                                        "2025-08-01"]),
    ...                        "product": ["A", "A", "A"], "competitor": ["X", "X", "Y"],
    ...                        "price": [80.0, 90.0, 95.0]})
    >>> competitor_undercuts(products, prices, Period.parse("2025Q3"))[["competitor", "gap_pct"]]
      competitor  gap_pct
    0          X     0.15
    """
    cols = ["product", "competitor", "price", "list_price", "gap_pct"]
    obs = competitor_prices.loc[
        (competitor_prices["observed_date"] >= period.start)
        & (competitor_prices["observed_date"] < period.end)
    ]
    if obs.empty:
        return pd.DataFrame(columns=cols)
    mean = obs.groupby(["product", "competitor"], as_index=False)["price"].mean()
    merged = mean.merge(products[["product", "list_price"]], on="product", how="inner")
    merged = merged.loc[merged["list_price"] > 0]
    merged["gap_pct"] = 1 - merged["price"] / merged["list_price"]
    hits = merged.loc[merged["gap_pct"] > threshold, cols]
    return hits.sort_values("gap_pct", ascending=False).reset_index(drop=True)


def bullet_list(messages: Iterable[str]) -> str:
    """Markdown bullet list of plain-text messages (escaped).

    >>> bullet_list(["a <b>", "c"])
    '- a &lt;b&gt;\\n- c'
    """
    return "\n".join(f"- {md_escape(m)}" for m in messages)


def movement_text(places) -> str:
    """Rank movement since the previous period as a short label.

    >>> [movement_text(m) for m in (2, -1, 0, float("nan"))]
    ['▲ 2', '▼ 1', '=', 'new']
    """
    if _missing(places):
        return "new"
    places = int(places)
    if places > 0:
        return f"▲ {places}"
    if places < 0:
        return f"▼ {-places}"
    return "="


def leaderboard(sales, period: Period, *, top: int | None = None) -> pd.DataFrame:
    """Reps ranked by revenue in the quarter, with deals won and quota attainment.

    Returns
    -------
    pandas.DataFrame
        ``rank, rep_id, rep, team, region, revenue, deals_won, quota, attainment,
        movement`` (rank places gained since the previous quarter).
    """
    from salesnb import kpi

    cols = [
        "rank",
        "rep_id",
        "rep",
        "team",
        "region",
        "revenue",
        "deals_won",
        "attainment",
        "movement",
    ]
    if missing_requirements(sales, ["orders"], columns={"orders": ["rep_id"]}):
        return pd.DataFrame(columns=cols)
    present = sales.tables
    board = kpi.leaderboard(
        sales.orders,
        period=period.label,
        opportunities=present.get("opportunities"),
        targets=present.get("targets"),
        reps=present.get("reps"),
    )
    board = board.sort_values("revenue_rank").reset_index(drop=True)
    reps = present.get("reps")
    info = reps.set_index("rep_id") if reps is not None else pd.DataFrame()
    out = pd.DataFrame(
        {
            "rank": board["revenue_rank"].astype("int64"),
            "rep_id": board["rep_id"].astype(str),
            "rep": [info["name"].get(r, r) if "name" in info else r for r in board["rep_id"]],
            "team": [info["team"].get(r, "") if "team" in info else "" for r in board["rep_id"]],
            "region": [
                info["region"].get(r, "") if "region" in info else "" for r in board["rep_id"]
            ],
            "revenue": board["revenue"].astype(float),
            "deals_won": board["deals_won"] if "deals_won" in board else float("nan"),
            "attainment": board["attainment"] if "attainment" in board else float("nan"),
            "movement": board["rank_movement"] if "rank_movement" in board else float("nan"),
        }
    )
    return out.head(top) if top else out


def key_tables(sales, period: Period, *, currency: str = "$") -> dict:
    """Everything the report index, leaderboard page and KPI workbook show.

    Returns
    -------
    dict
        ``headline`` (display frame), ``attention`` (list of plain-text
        messages), ``leaderboard`` (display frame) and ``workbook`` (sheet name
        -> (frame, {"money": [...], "pct": [...]})).
    """
    from salesnb import kpi

    out: dict = {"workbook": {}}
    errors = []
    headline = headline_kpis(sales, period)
    out["headline"] = format_headline(headline, period, currency=currency)
    out["workbook"]["headline"] = (headline, {})
    try:
        att = attention(sales, period, currency=currency)
        out["attention"] = att["message"].tolist()
        out["workbook"]["attention"] = (att, {})
    except Exception as exc:  # keep the pack; say what failed
        log.warning("attention list failed: %s", exc)
        errors.append(f"attention list: {exc}")
        out["attention"] = []
    board = leaderboard(sales, period)
    if len(board):
        shown = board[["rank", "rep", "team", "region", "revenue", "deals_won", "attainment"]]
        shown = shown.assign(move=[movement_text(m) for m in board["movement"]])
        out["leaderboard"] = format_table(
            shown,
            money=["revenue"],
            pct=["attainment"],
            currency=currency,
            rename={"deals_won": "deals won", "attainment": "quota", "move": "vs last qtr"},
        )
        out["workbook"]["leaderboard"] = (board, {"money": ["revenue"], "pct": ["attainment"]})
    if not missing_requirements(sales, ["orders"]):
        rev = up_to(kpi.revenue(sales.orders), period)
        out["workbook"]["revenue"] = (
            rev,
            {
                "money": ["revenue", "revenue_prev", "revenue_change", "revenue_ly", "revenue_yoy"],
                "pct": ["revenue_change_pct", "revenue_yoy_pct"],
            },
        )
        if "region" in sales.orders.columns:
            reg = rows_for(kpi.revenue(sales.orders, by="region"), period)
            out["workbook"]["revenue_by_region"] = (
                reg,
                {
                    "money": [
                        "revenue",
                        "revenue_prev",
                        "revenue_change",
                        "revenue_ly",
                        "revenue_yoy",
                    ],
                    "pct": ["revenue_change_pct", "revenue_yoy_pct"],
                },
            )
        if not missing_requirements(sales, ["targets"]):
            att_t = up_to(kpi.target_attainment(sales.orders, sales.targets), period)
            out["workbook"]["target_attainment"] = (
                att_t,
                {"money": ["actual", "target", "gap"], "pct": ["attainment"]},
            )
        if not missing_requirements(sales, [], columns={"orders": ["due_date", "paid_at"]}):
            ageing = kpi.receivables_ageing(sales.orders, as_of=report_as_of(period, sales.as_of))
            out["workbook"]["receivables_ageing"] = (
                ageing,
                {"money": ["amount"], "pct": ["amount_share"]},
            )
    if errors:
        out["_error"] = "; ".join(errors)
    return out


def ranking_sentence(
    table: pd.DataFrame,
    *,
    key: str,
    value: str,
    what: str,
    kind: str = "pct",
    currency: str = "$",
    weight: str | None = None,
    min_weight: float = 0,
) -> str:
    """Name the best row of ``table`` by ``value`` and compare it with the runner-up.

    With ``weight`` (e.g. the number of leads behind a rate), only rows with
    ``weight >= min_weight`` compete, so a source with two leads does not win.

    >>> t = pd.DataFrame({"source": ["web", "referral", "event", "chat"],
    ...                   "conversion_rate": [0.15, 0.48, 0.20, 1.0], "leads": [90, 50, 40, 2]})
    >>> ranking_sentence(t, key="source", value="conversion_rate", what="Lead conversion",
    ...                  weight="leads", min_weight=30)
    'Lead conversion is highest for **referral** (48.0%), 2.40x the next best, event (20.0%), among rows with at least 30 leads.'
    """
    ranked = table.dropna(subset=[value])
    if weight is not None:
        ranked = ranked.loc[ranked[weight] >= min_weight]
    ranked = ranked.sort_values(value, ascending=False)
    if ranked.empty:
        return f"{md_escape(what)}: no data."
    best = ranked.iloc[0]
    text = (
        f"{md_escape(what)} is highest for **{md_escape(best[key])}** "
        f"({value_text(best[value], kind, currency=currency)})"
    )
    if len(ranked) > 1:
        second = ranked.iloc[1]
        if second[value] > 0:
            text += (
                f", {best[value] / second[value]:.2f}x the next best, "
                f"{md_escape(second[key])} ({value_text(second[value], kind, currency=currency)})"
            )
    if weight is not None and min_weight > 0:
        text += f", among rows with at least {fmt_number(min_weight)} {md_escape(weight)}"
    return text + "."


def conversion_sentence(metrics: pd.DataFrame) -> str:
    """Compare the best conversion model with the best baseline (ROC AUC, top-decile lift).

    ``metrics`` is :attr:`salesnb.models.conversion.ConversionEvaluation.metrics`.

    >>> m = pd.DataFrame({"model": ["prior", "logistic"], "baseline": [True, False],
    ...                   "roc_auc": [0.5, 0.7], "top_decile_rate": [0.17, 0.46],
    ...                   "top_decile_lift": [1.0, 2.7], "base_rate": [0.17, 0.17]})
    >>> conversion_sentence(m)
    'Best model: **logistic**, ROC AUC 0.700 against 0.500 for the best baseline (prior). The 10% best-scored leads convert at 46.0%, **2.70x** the average of 17.0% (baseline: 1.00x).'
    """
    models = metrics.loc[~metrics["baseline"].astype(bool)].sort_values("roc_auc", ascending=False)
    bases = metrics.loc[metrics["baseline"].astype(bool)].sort_values("roc_auc", ascending=False)
    if models.empty:
        return "No model could be evaluated."
    m = models.iloc[0]
    text = f"Best model: **{md_escape(m['model'])}**, ROC AUC {m['roc_auc']:.3f}"
    if len(bases):
        b = bases.iloc[0]
        text += f" against {b['roc_auc']:.3f} for the best baseline ({md_escape(b['model'])})"
    text += (
        f". The 10% best-scored leads convert at {fmt_pct(m['top_decile_rate'])}, "
        f"**{m['top_decile_lift']:.2f}x** the average of {fmt_pct(m['base_rate'])}"
    )
    if len(bases):
        text += f" (baseline: {bases.iloc[0]['top_decile_lift']:.2f}x)"
    return text + "."


def with_comparisons(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Add ``<column>_prev`` and ``<column>_ly`` (previous quarter, same quarter last year).

    Looked up by quarter label, so a gap gives a missing value.

    >>> t = pd.DataFrame({"period": ["2024Q3", "2025Q2", "2025Q3"], "v": [1.0, 2.0, 3.0]})
    >>> with_comparisons(t, "v")[["v_prev", "v_ly"]].values.tolist()
    [[nan, nan], [nan, nan], [2.0, 1.0]]
    """
    values = _series(table, column)
    labels = table["period"].astype(str)
    out = table.copy()
    out[column + "_prev"] = [
        values.get(Period.parse(p, freq="quarter").previous().label) for p in labels
    ]
    out[column + "_ly"] = [
        values.get(Period.parse(p, freq="quarter").same_period_last_year().label) for p in labels
    ]
    out[[column + "_prev", column + "_ly"]] = out[[column + "_prev", column + "_ly"]].astype(float)
    return out
