"""Spreadsheet output that cannot run as formulas: Excel workbooks and CSV text.

The KPI workbook is formatted for a reader (:func:`write_workbook`): Excel
number formats for money (in the report's currency), shares, counts, days and
dates; readable headers; frozen, bold header row; sized columns; no internal
columns or folder paths. openpyxl writes it; the formats are Excel's own, so
the numbers stay numbers.

Values written to CSV or Excel come from other people's data: text that a
spreadsheet would read as a formula is neutralised (:func:`neutralise_formulas`)
before it is written.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from salesnb.numbers import NumberStyle, active_number_style, excel_money_format
from salesnb.report.files import _umask

__all__ = ["neutralise_formulas", "write_workbook", "readable_header", "HEADERS", "EXCEL_FORMATS"]

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


#: Column headers of the key KPI sheets (other columns: :func:`readable_header`).
HEADERS: dict[str, str] = {
    "kpi": "KPI",
    "rep_id": "Rep ID",
    "deals_won": "Deals won",
    "attainment": "Attainment",
    "movement": "Places gained since previous quarter",
    "revenue_prev": "Revenue, previous quarter",
    "revenue_change": "Change vs previous quarter",
    "revenue_change_pct": "Change vs previous quarter (%)",
    "revenue_ly": "Revenue, same quarter last year",
    "revenue_yoy": "Change vs same quarter last year",
    "revenue_yoy_pct": "Change vs same quarter last year (%)",
    "gap": "Gap to target",
    "amount_share": "Share of amount",
    "source": "Source file",
}

#: Columns of no use to a reader of the workbook (the row kind is applied as formats).
INTERNAL_COLUMNS = ("kind", "period_start")

#: What each kind of column is written as (``money`` gets the report's currency).
EXCEL_FORMATS: dict[str, str] = {
    "pct": "0.0%",
    "count": "#,##0",
    "days": "#,##0.0",
    "number": "#,##0.00",
    "date": "yyyy-mm-dd",
}
_KINDS = ("money", "pct", "count", "days", "number", "date")


def readable_header(name: str) -> str:
    """A column name as a person reads it: ``win_rate`` -> ``Win rate``.

    >>> readable_header("win_rate"), readable_header("revenue_yoy_pct"), readable_header("KPI")
    ('Win rate', 'Change vs same quarter last year (%)', 'KPI')
    >>> readable_header("share_pct"), readable_header("customer_id")
    ('Share (%)', 'Customer ID')
    """
    text = str(name)
    if text in HEADERS:
        return HEADERS[text]
    if "_" not in text and not text.islower():
        return text  # already written for people
    words = text.replace("_", " ").strip().split()
    words = ["ID" if w == "id" else "(%)" if w == "pct" else w for w in words]
    out = " ".join(words)
    return out[:1].upper() + out[1:]


def write_workbook(
    tables: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    money: Mapping[str, Iterable[str]] | None = None,
    pct: Mapping[str, Iterable[str]] | None = None,
    formats: Mapping[str, Mapping] | None = None,
    style: NumberStyle | None = None,
) -> Path:
    """Write one sheet per table to an Excel workbook (openpyxl), formatted, formulas neutralised.

    Every sheet is formatted for a reader: numbers carry Excel number formats
    (money in the report's currency, ``#,##0 €`` or ``"$"#,##0``; shares
    ``0.0%``; counts ``#,##0``; days ``#,##0.0``; dates ``yyyy-mm-dd``; any
    other number ``#,##0.00``), headers are readable (:func:`readable_header`),
    the header row is bold and frozen with a filter, columns are sized to their
    content, internal columns (:data:`INTERNAL_COLUMNS`) are left out, a
    ``period`` column shows its period as titled in the report's calendar
    (``FY2027 Q1``) and a ``source`` column only the file name. Written atomically.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Sheet name -> table.
    money, pct : mapping of str to list of str, optional
        Sheet name -> its money / share columns.
    formats : mapping of str to mapping, optional
        Sheet name -> ``{kind: [columns]}`` for the kinds ``money``, ``pct``,
        ``count``, ``days``, ``number``, ``date``; ``"row_kind": column`` (that
        column names each row's kind, for tables of mixed measures such as the
        headline KPIs; it is not written); ``"headers": {column: header}``.
    style : salesnb.numbers.NumberStyle, optional
        Currency of money columns; default the active style.
    """
    path = Path(path)
    style = style or active_number_style()
    specs = {name: _sheet_spec(name, money=money, pct=pct, formats=formats) for name in tables}
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
                _write_sheet(writer, sheet, frame, specs[name], style)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _sheet_spec(name, *, money, pct, formats) -> dict:
    """``{"kinds": {column: kind}, "row_kind": column or None, "headers": {...}}`` of a sheet."""
    given = dict((formats or {}).get(name, {}))
    kinds: dict[str, str] = {}
    for kind in _KINDS:
        for col in given.get(kind, ()):
            kinds[col] = kind
    for col in (money or {}).get(name, ()):
        kinds[col] = "money"
    for col in (pct or {}).get(name, ()):
        kinds[col] = "pct"
    unknown = set(given) - {*_KINDS, "row_kind", "headers"}
    if unknown:
        raise ValueError(f"write_workbook: sheet {name!r}: unknown format key(s) {sorted(unknown)}")
    return {"kinds": kinds, "row_kind": given.get("row_kind"), "headers": given.get("headers", {})}


def _shown(frame: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, list | None]:
    """The columns a reader sees, periods titled, sources as file names; and the row kinds."""
    from salesnb import sections

    row_kind = spec["row_kind"]
    rows = frame[row_kind].astype(str).tolist() if row_kind in frame.columns else None
    drop = [c for c in frame.columns if c == row_kind or c in INTERNAL_COLUMNS]
    out = _excel_ready(frame.drop(columns=drop))
    if "period" in out.columns and not pd.api.types.is_datetime64_any_dtype(out["period"]):
        out["period"] = [v if pd.isna(v) else sections.period_text(v) for v in out["period"]]
    if "source" in out.columns:
        out["source"] = [v if pd.isna(v) else _file_name(v) for v in out["source"]]
    return out, rows


def _file_name(location) -> str:
    """The file name of a path or URL (no folders, no credentials).

    >>> _file_name("/home/ann/exports/orders.csv"), _file_name("postgresql://u:p@db/sales")
    ('orders.csv', 'sales')
    """
    text = str(location).rstrip("/\\")
    return re.split(r"[/\\]", text)[-1] or text


def _column_kind(series: pd.Series, given: str | None) -> str | None:
    if given:
        return given
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    values = series.dropna()
    integral = bool(len(values)) and bool((values == values.round()).all())
    return "count" if pd.api.types.is_integer_dtype(series) or integral else "number"


def _write_sheet(writer, sheet: str, frame: pd.DataFrame, spec: dict, style) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    shown, rows = _shown(frame, spec)
    names = {**HEADERS, **spec["headers"]}
    headers = [names.get(str(c)) or readable_header(c) for c in shown.columns]
    safe = neutralise_formulas(shown.set_axis(headers, axis=1))
    safe.to_excel(writer, sheet_name=sheet, index=False)
    ws = writer.sheets[sheet]
    ws.freeze_panes = "A2"
    if len(safe.columns):
        ws.auto_filter.ref = ws.dimensions
    money = excel_money_format(style)
    for j, col in enumerate(shown.columns, start=1):
        letter = get_column_letter(j)
        ws[f"{letter}1"].font = Font(bold=True)
        kind = _column_kind(shown[col], spec["kinds"].get(col))
        for i, cell in enumerate(ws[letter][1:]):
            cell_kind = kind
            if rows is not None and kind in ("count", "number"):
                cell_kind = rows[i] if rows[i] in _KINDS else kind
            if cell_kind:
                cell.number_format = money if cell_kind == "money" else EXCEL_FORMATS[cell_kind]
        ws.column_dimensions[letter].width = _width(headers[j - 1], safe.iloc[:200, j - 1], kind)


def _width(header: str, values: pd.Series, kind: str | None) -> float:
    """Column width in characters: the longer of the header and the shown values, 10-60."""
    if kind in ("money", "count", "number", "days"):
        texts = [f"{v:,.2f}" for v in values if isinstance(v, int | float) and v == v] or [""]
        longest = max(len(t) for t in texts) + (3 if kind == "money" else 0)
    elif kind == "date":
        longest = 10
    else:
        longest = max([len(str(v)) for v in values] or [0])
    return min(max(10, len(header) + 2, longest + 2), 60)


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
