"""Spreadsheet output that cannot run as formulas: Excel workbooks and CSV text.

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

from salesnb.report.files import _umask

__all__ = ["neutralise_formulas", "write_workbook"]

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
