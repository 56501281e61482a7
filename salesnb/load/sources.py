"""Read sales data, map it onto the contract, validate it, quarantine bad rows.

``load(source, *, mapping=None, errors="quarantine")`` is the one boundary
where data enters salesnb. It reads

* a folder with one file per table (``orders.csv``, ``orders.csv.gz``,
  ``orders.parquet``, ``orders.xlsx``, ``orders.tsv``),
* an Excel workbook with one sheet per table, or
* a database URL (SQLAlchemy, e.g. ``sqlite:///sales.db`` or
  ``postgresql://...``) or an SQLite file, with one table/view per table,

optionally through a mapping file (TOML or YAML, see ``docs/mappings.md``) that
maps a foreign export onto the contract of :mod:`salesnb.schema`.

Every column is parsed by its contract kind and the result is validated with
the table's pandera model, lazily, so that *all* problems are collected. Then
table rules (primary keys, date order), foreign keys and the ``as_of`` rule
(no event after the data's as-of date) are checked. Each problem names the
file, table, 1-based row (the header is row 1, as a spreadsheet shows it; for
Parquet and SQL the record number), column, the offending value and the rule.

With ``errors="raise"`` any problem raises one :class:`DataValidationError`
listing them all. With ``errors="quarantine"`` (the default) good rows are
loaded and bad rows are kept in ``SalesData.rejected[table]`` with a
``reason`` column: for every table ``rows read == rows loaded + rows
rejected``. Rows excluded by a mapping filter are rejected with the filter as
reason, so nothing disappears without a trace.

Why parsing is written here rather than left to pandas/pandera coercion:
pandas' coercion either fails on the first bad value or turns it into NaN
without saying which row held what; the contract needs, per row, the raw value
and the rule it broke, and needs currency text ("$1,234.50"), mixed date
formats and encodings handled the way real exports need them.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import gzip
import logging
import re
import tomllib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from salesnb.errors import (
    PROBLEM_COLUMNS,
    DataSourceError,
    DataValidationError,
    MappingError,
)
from salesnb.schema import TABLES, TableSpec, columns, required_columns

__all__ = ["load", "SalesData", "SAMPLE_DATA", "read_mapping", "parse_numbers", "parse_dates"]

#: The bundled synthetic sample company (``data/sample/`` of a source checkout;
#: see its README for the facts planted in it).
SAMPLE_DATA = Path(__file__).resolve().parents[2] / "data" / "sample"

log = logging.getLogger(__name__)

_TEXT_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")
_SUFFIXES = (*_TEXT_SUFFIXES, ".parquet", ".pq", ".xlsx", ".xls")
_MISSING_TEXT = {"", "nan", "NaN", "NULL", "null", "None", "N/A", "n/a", "NA", "#N/A", "NaT"}
_ORDER = [
    "reps",
    "customers",
    "products",
    "leads",
    "opportunities",
    "orders",
    "targets",
    "activities",
    "satisfaction",
    "engagement",
    "competitor_prices",
    "marketing_spend",
]


# --------------------------------------------------------------------------- result


@dataclasses.dataclass
class SalesData:
    """The loaded tables of one company, validated against the contract.

    Attributes
    ----------
    tables : dict[str, pandas.DataFrame]
        Present tables by name; each is also an attribute (``data.orders``),
        which is ``None`` when the table is absent.
    as_of : pandas.Timestamp
        The date the data describes ("now" for KPIs that need one).
    rejected : dict[str, pandas.DataFrame]
        Per table, the rows not loaded: their raw values plus ``source_file``,
        ``source_row`` and ``reason``.
    problems : pandas.DataFrame
        Every problem found (columns table, file, row, column, value, rule).
    notes : list[str]
        What the loader did that a user should know (encoding fallbacks,
        dropped empty columns, header-only files, tables missing entirely).
    sources : dict[str, str]
        Where each table came from.
    rows_read : dict[str, int]
        Data rows read per table (rows loaded + rows rejected).
    """

    tables: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    rejected: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    problems: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS)
    )
    notes: list[str] = dataclasses.field(default_factory=list)
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    rows_read: dict[str, int] = dataclasses.field(default_factory=dict)
    source: str = ""

    def __getattr__(self, name: str):
        if name in TABLES:
            return self.__dict__["tables"].get(name)
        raise AttributeError(name)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={len(v):,}" for k, v in self.tables.items())
        n_rej = sum(len(v) for v in self.rejected.values())
        return f"SalesData(as_of={self.as_of.date()}, {parts}, rejected={n_rej:,})"

    def summary(self) -> pd.DataFrame:
        """Rows read, loaded and rejected per table, with each table's date range.

        Returns
        -------
        pandas.DataFrame
            Columns ``table, source, rows_read, rows_loaded, rows_rejected,
            first_date, last_date``; one row per table that was found.
        """
        rows = []
        for name in _ORDER:
            if name not in self.rows_read and name not in self.tables:
                continue
            frame = self.tables.get(name)
            spec = TABLES[name]
            first = last = pd.NaT
            if frame is not None:
                for col in spec.date_columns:
                    if col in frame.columns and frame[col].notna().any():
                        first, last = frame[col].min(), frame[col].max()
                        break
            rows.append(
                {
                    "table": name,
                    "source": self.sources.get(name, ""),
                    "rows_read": self.rows_read.get(name, 0),
                    "rows_loaded": 0 if frame is None else len(frame),
                    "rows_rejected": len(self.rejected.get(name, ())),
                    "first_date": first,
                    "last_date": last,
                }
            )
        return pd.DataFrame(
            rows,
            columns=[
                "table",
                "source",
                "rows_read",
                "rows_loaded",
                "rows_rejected",
                "first_date",
                "last_date",
            ],
        )

    def filter(
        self,
        *,
        region: str | Iterable[str] | None = None,
        start: Any = None,
        end: Any = None,
    ) -> SalesData:
        """A new SalesData restricted to a region and/or a date range.

        Parameters
        ----------
        region : str or list of str, optional
            Keep rows of these regions. Tables with a ``region`` column are
            filtered on it; tables without one follow their rep (``rep_id`` of a
            rep in the region) or customer (``customer_id`` of a customer in the
            region). Targets keep region rows for the region and rep rows of its
            reps. Tables with no way to tell (products, competitor prices,
            marketing spend) are kept whole.
        start, end : date-like, optional
            Keep event rows whose main date (the first of the table's
            ``date_columns``) lies in ``[start, end]`` (both inclusive, whole
            days). Tables without dates are kept whole.

        Raises
        ------
        ValueError
            When ``region`` names no region present in the data.
        """
        tables = dict(self.tables)
        if region is not None:
            regions = {region} if isinstance(region, str) else set(region)
            known: set[str] = set()
            for frame in tables.values():
                if "region" in frame.columns:
                    known |= set(frame["region"].dropna().astype(str))
            unknown = regions - known
            if unknown:
                raise ValueError(
                    f"unknown region(s) {sorted(unknown)}; the data has: {sorted(known)}"
                )
            reps = tables.get("reps")
            customers = tables.get("customers")
            rep_ids = (
                set(reps.loc[reps["region"].isin(regions), "rep_id"])
                if reps is not None and "region" in reps.columns
                else None
            )
            cust_ids = (
                set(customers.loc[customers["region"].isin(regions), "customer_id"])
                if customers is not None and "region" in customers.columns
                else None
            )
            for name, frame in list(tables.items()):
                if name == "targets":
                    keep = ((frame["level"] == "region") & frame["key"].isin(regions)) | (
                        (frame["level"] == "rep") & frame["key"].isin(rep_ids or set())
                    )
                elif "region" in frame.columns:
                    keep = frame["region"].isin(regions)
                elif "rep_id" in frame.columns and rep_ids is not None:
                    keep = frame["rep_id"].isin(rep_ids)
                elif "customer_id" in frame.columns and cust_ids is not None:
                    keep = frame["customer_id"].isin(cust_ids)
                else:
                    continue
                tables[name] = frame.loc[keep].reset_index(drop=True)
        if start is not None or end is not None:
            lo = pd.Timestamp(start) if start is not None else None
            hi = pd.Timestamp(end) + pd.Timedelta(days=1) if end is not None else None
            for name, frame in list(tables.items()):
                cols = [c for c in TABLES[name].date_columns if c in frame.columns]
                if not cols:
                    continue
                d = frame[cols[0]]
                keep = pd.Series(True, index=frame.index)
                if lo is not None:
                    keep &= d >= lo
                if hi is not None:
                    keep &= d < hi
                tables[name] = frame.loc[keep].reset_index(drop=True)
        return dataclasses.replace(self, tables=tables)


# --------------------------------------------------------------------------- parsing


_CURRENCY = re.compile(
    r"^\s*(?P<neg1>-)?\s*(?:[$€£¥]|USD|EUR|GBP)?\s*(?P<neg2>-)?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*"
    r"(?:[$€£¥]|USD|EUR|GBP)?\s*$"
)
_PAREN = re.compile(r"^\s*\((?P<inner>[^()]*)\)\s*$")


def parse_numbers(values: pd.Series, *, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Parse numbers, accepting thousands separators and currency text.

    Parameters
    ----------
    values : pandas.Series
        Raw values (text or already numeric).
    decimal : {".", ","}
        Decimal mark of the source. With ``","`` the thousands separator is
        ``"."`` (``"1.234,50"``).

    Returns
    -------
    (numbers, bad) : (pandas.Series of float64, pandas.Series of bool)
        ``bad`` marks non-missing values that are not numbers.

    Examples
    --------
    >>> nums, bad = parse_numbers(pd.Series(["12", "$1,234.50", "(3.5)", "abc", None]))
    >>> nums.tolist()[:3], bad.tolist()
    ([12.0, 1234.5, -3.5], [False, False, False, True, False])
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype("float64")
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = values.astype("float64")
        return out, pd.Series(False, index=values.index)
    text = values.astype(_string_dtype())
    missing = text.isna() | text.str.strip().isin(_MISSING_TEXT)
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    out = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    todo = out.isna() & ~missing
    if todo.any():
        fixed = text[todo].map(_parse_number_text).astype("float64")
        out = out.copy()
        out[todo] = fixed
    bad = out.isna() & ~missing
    return out, bad


def _parse_number_text(s: str) -> float:
    sign = 1.0
    m = _PAREN.match(s)
    if m:
        s, sign = m.group("inner"), -1.0
    s = s.strip()
    if s.endswith("-") and not s.startswith("-"):
        s, sign = s[:-1], -sign
    m = _CURRENCY.match(s)
    if not m:
        return np.nan
    if m.group("neg1") or m.group("neg2"):
        sign = -sign
    return sign * float(m.group("num").replace(",", ""))


_DATE_CANDIDATES = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%Y%m%d",
    "%d %b %Y",
    "%b %d, %Y",
    "%d-%b-%Y",
    "%m/%d/%y",
    "%d/%m/%y",
)


def parse_dates(
    values: pd.Series, *, fmt: str | None = None
) -> tuple[pd.Series, pd.Series, str | None]:
    """Parse dates/timestamps, detecting the format and mixed formats.

    Without ``fmt``, ISO 8601 is tried first; values that are not ISO are tried
    against common formats (``%m/%d/%Y``, ``%d/%m/%Y``, ``%d.%m.%Y``...). The
    format that parses most values is the column's format; values only
    parseable in another format are *mixed formats* and marked bad, because a
    silent guess could swap day and month. Time-zone-aware values are
    converted to UTC and made naive.

    Returns
    -------
    (dates, bad, used) : (Series of datetime64[ns], Series of bool, str or None)
        ``used`` is the detected or given format (``"ISO8601"`` for ISO).

    Examples
    --------
    >>> d, bad, used = parse_dates(pd.Series(["03/14/2025", "12/01/2025", "2025-01-02"]))
    >>> used, bad.tolist()
    ('%m/%d/%Y', [False, False, True])
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        return out.astype("datetime64[ns]"), pd.Series(False, index=values.index), None
    text = values.astype(_string_dtype()).str.strip()
    missing = text.isna() | text.isin(_MISSING_TEXT)
    present = text.where(~missing)
    if fmt is not None:
        out = _to_datetime(present, fmt)
        return out, out.isna() & ~missing, fmt
    if not (~missing).any():
        return _to_datetime(present, "ISO8601"), pd.Series(False, index=values.index), None
    iso = _to_datetime(present, "ISO8601")
    ok_iso = iso.notna()
    n_present = int((~missing).sum())
    if int(ok_iso.sum()) == n_present:
        return iso, pd.Series(False, index=values.index), "ISO8601"
    best, best_n, best_out = "ISO8601", int(ok_iso.sum()), iso
    sample = present[~missing]
    for cand in _DATE_CANDIDATES[1:]:
        out = _to_datetime(sample, cand)
        n = int(out.notna().sum())
        if n > best_n:
            best, best_n, best_out = cand, n, out
    if best != "ISO8601":
        best_out = _to_datetime(present, best)
    bad = best_out.isna() & ~missing
    return best_out, bad, best


def _to_datetime(s: pd.Series, fmt: str) -> pd.Series:
    # utc=True: aware values are converted to UTC, naive ones are taken as they are
    out = pd.to_datetime(s, format=fmt, errors="coerce", utc=True).dt.tz_localize(None)
    return out.astype("datetime64[ns]")


_TRUE = {"true", "t", "yes", "y", "1", "1.0", "won", "converted"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def parse_flags(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no flags (true/false, yes/no, y/n, 1/0). Missing is bad."""
    if pd.api.types.is_bool_dtype(values.dtype) and values.notna().all():
        return values.astype(bool), pd.Series(False, index=values.index)
    low = values.astype("string").str.strip().str.lower()
    is_true = low.isin(_TRUE).fillna(False).astype(bool)
    is_false = low.isin(_FALSE).fillna(False).astype(bool)
    return is_true, ~(is_true | is_false)


def _clean_text(values: pd.Series, *, strip: bool) -> pd.Series:
    """Text columns: strip (ids, categories), empty -> missing.

    A dictionary-encoded source column (pandas ``category``, Parquet dictionary)
    stays categorical: only its categories are cleaned, so a 10M-row column of
    a few distinct values is not expanded into 10M strings.
    """
    sdt = _string_dtype()
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        if not (pd.api.types.is_string_dtype(cats.dtype) or cats.dtype == object):
            values = values.cat.rename_categories(cats.astype(str))
            cats = values.cat.categories
        clean = pd.Index(cats.astype(sdt))
        if strip:
            clean = clean.str.strip()
        if clean.equals(pd.Index(cats.astype(sdt))) and not (clean == "").any():
            return values
        # map each category to its cleaned text (duplicates after stripping merge)
        mapping = dict(zip(cats, clean, strict=True))
        out = values.map(lambda v: mapping.get(v, v) if pd.notna(v) else v)
        out = (
            out.cat.remove_categories([c for c in out.cat.categories if c == ""])
            if isinstance(out.dtype, pd.CategoricalDtype)
            else out.mask(out == "")
        )
        return out
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        # integral floats from spreadsheets/parquet: "123.0" -> "123"
        text = values.astype("string").str.replace(r"\.0$", "", regex=True).astype(sdt)
    elif values.dtype == sdt:
        text = values
    else:
        text = values.astype(sdt)
    if strip:
        text = text.str.strip()
    empty = text == ""
    if empty.any():
        text = text.mask(empty)
    return text


def _string_dtype():
    """The text dtype of loaded tables.

    pandas' future default string dtype (Arrow-backed, NaN for missing) — the
    default ``str`` dtype of pandas 3, and available in pandas 2.3 — so text
    columns behave the same on both and vectorised string work stays in Arrow.
    """
    try:
        return pd.StringDtype("pyarrow", na_value=np.nan)
    except (TypeError, ImportError):  # pandas < 2.3 or no pyarrow
        return object


def _pandas_major() -> int:
    return int(pd.__version__.split(".")[0])


# --------------------------------------------------------------------------- mapping


_MAPPING_TABLE_KEYS = {
    "file",
    "sheet",
    "query",
    "columns",
    "values",
    "dates",
    "derive",
    "filter",
    "distinct",
    "encoding",
    "delimiter",
    "decimal",
    "keep_extra",
    "skip_rows",
}


def read_mapping(path: str | Path | dict | None) -> dict:
    """Read and check a mapping file (TOML or YAML) or dict.

    The format is documented in ``docs/mappings.md``. Top-level keys:
    ``as_of`` (optional date), ``tables`` (per contract table: ``file``,
    ``columns`` {contract: source}, ``values`` {column: {raw: value}},
    ``dates`` {column: strftime format}, ``derive`` {column: expression},
    ``filter`` (pandas query on source columns), ``distinct`` (key column:
    one row per key, first occurrence), ``encoding``, ``delimiter``,
    ``decimal``, ``keep_extra`` ("as_is", "snake_case" or false)).

    Raises
    ------
    MappingError
        Unknown table or key, or a file that cannot be parsed.
    """
    if path is None:
        return {"tables": {}}
    if isinstance(path, dict):
        raw, where = path, "<dict>"
    else:
        p = Path(path)
        if not p.exists():
            raise MappingError(f"mapping file {p} does not exist")
        where = str(p)
        text = p.read_text(encoding="utf-8")
        try:
            if p.suffix.lower() in {".yml", ".yaml"}:
                import yaml

                raw = yaml.safe_load(text) or {}
            else:
                raw = tomllib.loads(text)
        except Exception as exc:  # noqa: BLE001 - reported with the file name
            raise MappingError(f"mapping file {p} cannot be parsed: {exc}") from exc
    unknown = set(raw) - {"as_of", "tables", "description", "name"}
    if unknown:
        raise MappingError(
            f"{where}: unknown top-level key(s) {sorted(unknown)}; expected as_of, tables"
        )
    tables = raw.get("tables") or {}
    for tname, spec in tables.items():
        if tname not in TABLES:
            hint = difflib.get_close_matches(tname, TABLES, n=1)
            raise MappingError(
                f"{where}: unknown table {tname!r} in [tables]"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
                + f" Contract tables: {', '.join(TABLES)}"
            )
        bad = set(spec) - _MAPPING_TABLE_KEYS
        if bad:
            raise MappingError(
                f"{where}: table {tname}: unknown key(s) {sorted(bad)}; "
                f"allowed: {sorted(_MAPPING_TABLE_KEYS)}"
            )
        contract = columns(tname)
        for col in spec.get("columns", {}):
            if col not in contract:
                hint = difflib.get_close_matches(col, contract, n=1)
                raise MappingError(
                    f"{where}: table {tname}: [columns] maps onto {col!r}, which is not a "
                    f"contract column" + (f"; did you mean {hint[0]!r}?" if hint else "")
                )
    out = dict(raw)
    out["tables"] = tables
    out["_where"] = where
    return out


def _snake(name: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower()
    return s or "column"


# --------------------------------------------------------------------------- reading


@dataclasses.dataclass
class _Raw:
    """A table as read, before mapping: values, row numbers, origin."""

    frame: pd.DataFrame  # index = 1-based row numbers as in the source
    origin: str
    notes: list[str]


def _resolve_source(source: Any) -> tuple[str, Any]:
    """Classify the source: ("folder", Path) | ("excel", Path) | ("sql", url)."""
    if isinstance(source, Path | str):
        s = str(source)
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+]*://", s):
            return "sql", s
        p = Path(s).expanduser()
        if p.is_dir():
            return "folder", p
        if p.is_file():
            low = p.name.lower()
            if low.endswith((".xlsx", ".xlsm", ".xls")):
                return "excel", p
            if low.endswith((".db", ".sqlite", ".sqlite3")):
                return "sql", f"sqlite:///{p.resolve()}"
            raise DataSourceError(
                f"{p}: a single file can be an Excel workbook (.xlsx) or an SQLite "
                f"database (.db/.sqlite); for CSV or Parquet files pass their folder"
            )
        raise DataSourceError(
            f"data source {s!r} does not exist (expected a folder, an "
            f"Excel workbook, an SQLite file or a database URL)"
        )
    raise DataSourceError(f"unsupported data source {source!r}")


def _find_file(folder: Path, table: str) -> Path | None:
    for suffix in _SUFFIXES:
        p = folder / f"{table}{suffix}"
        if p.exists():
            return p
    return None


def _detect_encoding(head: bytes) -> tuple[str, str | None]:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", None
    try:
        head.decode("utf-8")
        return "utf-8", None
    except UnicodeDecodeError as exc:
        # a cut multi-byte sequence at the end of the sample is fine
        if exc.start >= len(head) - 3:
            return "utf-8", None
        try:
            head.decode("cp1252")
            return "cp1252", "not valid UTF-8; decoded as Windows-1252 (latin-1)"
        except UnicodeDecodeError:
            return "latin-1", "not valid UTF-8; decoded as latin-1"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: 0 for d in [",", ";", "\t", "|"]}
    in_quotes = False
    for ch in first_line:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_text(
    path: Path,
    *,
    encoding: str | None,
    delimiter: str | None,
    skip_rows: int = 0,
    typed: dict[str, str] | None = None,
) -> _Raw:
    notes: list[str] = []
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        head = fh.read(1 << 20)
    if not head.strip():
        raise DataSourceError(
            f"{path}: the file is empty; expected a header line with the column names "
            f"and then one line per row"
        )
    if encoding is None:
        encoding, note = _detect_encoding(head)
        if note:
            notes.append(f"{path.name}: {note}")
    text_head = head.decode(encoding, errors="replace")
    lines = text_head.splitlines()
    first = lines[skip_rows] if len(lines) > skip_rows else ""
    if delimiter is None:
        delimiter = "\t" if ".tsv" in path.name.lower() else _sniff_delimiter(first)
        if delimiter != ",":
            notes.append(f"{path.name}: delimiter {delimiter!r} detected")

    def _read(enc: str) -> pd.DataFrame:
        return pd.read_csv(
            path,
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=enc,
            skip_blank_lines=False,
            skiprows=skip_rows,
            compression="infer",
            quoting=csv.QUOTE_MINIMAL,
        )

    fast = _read_text_arrow(
        path, first, encoding=encoding, delimiter=delimiter, skip_rows=skip_rows, typed=typed
    )
    if fast is not None:
        return _Raw(fast, str(path), notes)
    try:
        frame = _read(encoding)
    except UnicodeDecodeError:
        notes.append(f"{path.name}: not valid UTF-8; decoded as Windows-1252 (latin-1)")
        encoding = "cp1252"
        try:
            frame = _read(encoding)
        except UnicodeDecodeError:
            frame = _read("latin-1")
    except pd.errors.EmptyDataError as exc:
        raise DataSourceError(f"{path}: no header line found ({exc})") from exc
    except pd.errors.ParserError as exc:
        raise DataSourceError(
            f"{path}: cannot be parsed as delimited text with delimiter {delimiter!r}: {exc}"
        ) from exc
    frame.index = pd.RangeIndex(2 + skip_rows, 2 + skip_rows + len(frame))
    empty_rows = frame.isna().all(axis=1)
    if empty_rows.any():
        notes.append(f"{path.name}: {int(empty_rows.sum())} blank line(s) skipped")
        frame = frame.loc[~empty_rows]
    return _Raw(frame, str(path), notes)


def _typed_columns(table: str, tmap: dict) -> dict[str, str]:
    """Source columns that Arrow may parse while reading: numbers and ISO dates.

    Only columns read straight into a number or date contract column: not
    those with a mapping date format, value map or decimal comma.
    """
    if tmap.get("decimal", ".") != "." or tmap.get("derive") or tmap.get("filter"):
        return {}
    renames = tmap.get("columns") or {}
    formats = tmap.get("dates") or {}
    value_maps = tmap.get("values") or {}
    out = {}
    for name, col in columns(table).items():
        kind = (col.metadata or {}).get("kind")
        if kind not in ("number", "timestamp", "date") or name in formats or name in value_maps:
            continue
        src = renames.get(name, None if renames else name)
        if src is not None:
            out[src] = kind
    return out


def _read_text_arrow(
    path: Path,
    header_line: str,
    *,
    encoding: str,
    delimiter: str,
    skip_rows: int,
    typed: dict[str, str] | None = None,
) -> pd.DataFrame | None:
    """Fast path: read delimited text with Arrow's multithreaded reader.

    Used only when row numbers stay exact: a header with unique, non-empty
    names, and exactly one line per row (no blank lines, no line breaks inside
    quoted values — checked by counting lines). Otherwise None, and the caller
    uses pandas' reader, which keeps blank lines visible.

    ``typed`` names columns whose contract kind is a number or an ISO date:
    Arrow parses them while reading. If any value in them does not parse (a
    currency string, another date format), the file is read again as text and
    the per-row parsers report each bad value.
    """
    import pyarrow as pa_
    import pyarrow.csv as pacsv

    names = next(csv.reader([header_line], delimiter=delimiter), [])
    if not names or any(not n.strip() for n in names) or len(set(names)) != len(names):
        return None
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    n_lines, last = 0, b"\n"
    with opener(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            n_lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        n_lines += 1
    enc = {"utf-8-sig": "utf8", "utf-8": "utf8"}.get(encoding, encoding)
    arrow_types = {
        "number": pa_.float64(),
        "timestamp": pa_.timestamp("ns"),
        "date": pa_.timestamp("ns"),
    }

    def _read(types: dict):
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=enc, skip_rows=skip_rows, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                timestamp_parsers=[pacsv.ISO8601],
            ),
        )

    text_types = {n: pa_.string() for n in names}
    typed_types = dict(text_types)
    for name, kind in (typed or {}).items():
        if name in typed_types and kind in arrow_types:
            typed_types[name] = arrow_types[kind]
    table = None
    if typed_types != text_types:
        try:
            table = _read(typed_types)
        except (pa_.ArrowInvalid, UnicodeDecodeError, ValueError):
            table = None  # some value needs the per-row parsers: read as text
    if table is None:
        try:
            table = _read(text_types)
        except (pa_.ArrowInvalid, UnicodeDecodeError, ValueError):
            return None
    if table.num_rows != n_lines - 1 - skip_rows or table.column_names != names:
        return None
    sdt = _string_dtype()
    if sdt is object:
        frame = table.to_pandas()
    else:
        frame = table.to_pandas(types_mapper={pa_.string(): sdt}.get, self_destruct=True)
    frame.index = pd.RangeIndex(2 + skip_rows, 2 + skip_rows + len(frame))
    return frame


def _read_one(kind: str, src: Any, table: str, tmap: dict, engine_cache: dict) -> _Raw | None:
    """Read one table's raw rows, or None when the source has no such table."""
    if kind == "folder":
        fname = tmap.get("file")
        path = (src / fname) if fname else _find_file(src, table)
        if path is None:
            return None
        if not path.exists():
            raise DataSourceError(f"mapping: file {fname!r} for table {table} not found in {src}")
        low = path.name.lower()
        if low.endswith((".parquet", ".pq")):
            frame = _read_parquet(path)
            frame.index = pd.RangeIndex(1, len(frame) + 1)
            return _Raw(frame, str(path), [])
        if low.endswith((".xlsx", ".xls")):
            return _read_sheet(path, tmap.get("sheet", 0), table)
        return _read_text(
            path,
            encoding=tmap.get("encoding"),
            delimiter=tmap.get("delimiter"),
            skip_rows=int(tmap.get("skip_rows", 0)),
            typed=_typed_columns(table, tmap),
        )
    if kind == "excel":
        import openpyxl

        if "sheets" not in engine_cache:
            wb = openpyxl.load_workbook(src, read_only=True)
            engine_cache["sheets"] = wb.sheetnames
            wb.close()
        sheet = tmap.get("sheet", table)
        if sheet not in engine_cache["sheets"]:
            return None
        return _read_sheet(src, sheet, table)
    if kind == "sql":
        import sqlalchemy as sa

        if "engine" not in engine_cache:
            engine_cache["engine"] = sa.create_engine(src)
            engine_cache["names"] = set(sa.inspect(engine_cache["engine"]).get_table_names()) | set(
                sa.inspect(engine_cache["engine"]).get_view_names()
            )
        engine = engine_cache["engine"]
        query = tmap.get("query")
        name = tmap.get("file", table)
        if query is None and name not in engine_cache["names"]:
            return None
        with engine.connect() as conn:
            if query is not None:
                frame = pd.read_sql_query(sa.text(query), conn)
            else:
                frame = pd.read_sql_table(name, conn)
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        return _Raw(frame, f"{redact_url(src)} table {name}", [])
    raise AssertionError(kind)


def _read_parquet(path: Path) -> pd.DataFrame:
    """Read Parquet keeping text in Arrow (no Python string objects)."""
    import pyarrow as pa_
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    sdt = _string_dtype()
    if sdt is object:
        return table.to_pandas()
    mapping = {pa_.string(): sdt, pa_.large_string(): sdt, pa_.string_view(): sdt}
    return table.to_pandas(types_mapper=mapping.get, self_destruct=True, split_blocks=True)


def redact_url(url: str) -> str:
    """A data location without its password (database URLs), safe to print.

    >>> redact_url("postgresql://ann:secret@db/sales")
    'postgresql://ann:***@db/sales'
    """
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _read_sheet(path: Path, sheet: Any, table: str) -> _Raw:
    frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False, na_values=[""])
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    empty = frame.isna().all(axis=1)
    notes = []
    if empty.any():
        notes.append(f"{path.name}[{sheet}]: {int(empty.sum())} empty row(s) skipped")
        frame = frame.loc[~empty]
    return _Raw(frame, f"{path} sheet {sheet}", notes)


# --------------------------------------------------------------------------- per table


class _Collector:
    """Problems of one load, and the rows they condemn."""

    def __init__(self):
        self.records: list[dict] = []
        self.bad_rows: dict[str, dict[int, list[str]]] = {}
        self.seen: set[tuple] = set()

    def add(
        self,
        table: str,
        file: str,
        rows: Iterable,
        column: str | None,
        values: Iterable,
        rule: str,
        *,
        condemn: bool = True,
    ):
        rows = list(rows)
        values = list(values)
        for r, v in zip(rows, values, strict=True):
            self.seen.add((table, r, column))
            self.records.append(
                {"table": table, "file": file, "row": r, "column": column, "value": v, "rule": rule}
            )
            if condemn and r is not None:
                reason = f"{column}: {rule}" if column else rule
                if v is not None and not (isinstance(v, float) and np.isnan(v)):
                    reason = f"{column}={str(v)[:60]!r}: {rule}" if column else reason
                self.bad_rows.setdefault(table, {}).setdefault(int(r), []).append(reason)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records, columns=PROBLEM_COLUMNS)


_RULES = {
    "number": "expected a number (e.g. 1234.50, 1,234.50 or $1,234.50)",
    "integer": "expected a whole number",
    "flag": "expected a yes/no value (true/false, yes/no, 1/0)",
}


def _prepare(
    table: str, raw: _Raw, tmap: dict, problems: _Collector, rejected_extra: list[pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the mapping and parse every contract column.

    Returns the parsed frame (index = source row numbers) and the raw frame
    (for the rejected rows' original values).
    """
    contract = columns(table)
    frame = raw.frame
    origin = raw.origin
    # trailing / unnamed empty columns
    drop = []
    for c in frame.columns:
        name = str(c)
        if (name.startswith("Unnamed:") or name.strip() == "") and frame[c].isna().all():
            drop.append(c)
    if drop:
        raw.notes.append(f"{Path(origin).name}: {len(drop)} empty unnamed column(s) dropped")
        frame = frame.drop(columns=drop)
    raw_frame = frame
    # filter (on source columns)
    query = tmap.get("filter")
    if query:
        try:
            keep = _derive(frame, frame, str(query), table=table, origin=origin)
        except MappingError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported with the table
            raise MappingError(f"table {table}: filter {query!r} failed: {exc}") from exc
        keep = pd.Series(keep, index=frame.index).fillna(False).astype(bool)
        if (~keep).any():
            out = frame.loc[~keep].copy()
            out["source_file"] = origin
            out["source_row"] = out.index
            out["reason"] = f"excluded by mapping filter: not ({query})"
            rejected_extra.append(out)
        frame = frame.loc[keep]
    distinct = tmap.get("distinct")
    # renames: contract <- source
    renames = {}
    for target, src in (tmap.get("columns") or {}).items():
        if src not in frame.columns:
            hint = difflib.get_close_matches(str(src), [str(c) for c in frame.columns], n=1)
            raise MappingError(
                f"{origin}: table {table}: mapped column {src!r} (for {target}) not found; "
                f"found columns: {', '.join(map(str, frame.columns))}"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
            )
        renames[src] = target
    # build the mapped table column by column (no copies of the data)
    cols: dict[str, pd.Series] = {}
    if renames:
        for src, target in renames.items():
            cols[target] = frame[src]
    else:
        for c in frame.columns:
            if c in contract:
                cols[c] = frame[c]
    keep_extra = tmap.get("keep_extra", "as_is")
    if keep_extra:
        for c in frame.columns:
            if c in renames or (not renames and c in contract):
                continue
            name = _snake(c) if keep_extra == "snake_case" else c
            if name not in cols:
                cols[name] = frame[c]
    mapped = pd.DataFrame(cols, index=frame.index, copy=False) if cols else frame.iloc[:, :0]
    # value maps
    for col, vmap in (tmap.get("values") or {}).items():
        if col not in mapped.columns:
            raise MappingError(
                f"{origin}: table {table}: [values.{col}] names a column that is not mapped"
            )
        s = mapped[col]
        mapped[col] = s.map(lambda v, m=vmap: m.get(v, m.get(str(v), v)) if pd.notna(v) else v)
    # derived columns
    for col, expr in (tmap.get("derive") or {}).items():
        mapped[col] = _derive(mapped, frame, str(expr), table=table, origin=origin)
    if distinct:
        key = distinct if isinstance(distinct, str) else distinct[0]
        before = len(mapped)
        mapped = mapped.loc[~mapped[key].duplicated(keep="first")]
        raw_frame = raw_frame.loc[mapped.index]
        raw.notes.append(
            f"{table}: derived from {Path(origin).name} as one row per {key} "
            f"({len(mapped):,} of {before:,} lines)"
        )
    # required columns
    missing = [c for c in required_columns(table) if c not in mapped.columns]
    if missing:
        found = [str(c) for c in frame.columns]
        hints = []
        for m in missing:
            close = difflib.get_close_matches(m, found, n=1, cutoff=0.5)
            if close:
                hints.append(f"{m!r} (did you mean {close[0]!r}?)")
            else:
                hints.append(repr(m))
        raise _MissingColumns(
            f"{origin}: table {table}: missing required column(s) {', '.join(hints)}; "
            f"found columns: {', '.join(found)}. Rename the column in the file or map it in a "
            f'mapping file ([tables.{table}.columns] {missing[0]} = "<your column>").'
        )
    # parse by kind
    fmts = tmap.get("dates") or {}
    decimal = tmap.get("decimal", ".")
    parsed = {}
    for col in mapped.columns:
        if col not in contract:
            parsed[col] = _infer_extra(mapped[col])
            continue
        meta = contract[col].metadata or {}
        kind = meta.get("kind", "text")
        s = mapped[col]
        if kind in ("timestamp", "date"):
            values, bad, used = parse_dates(s, fmt=fmts.get(col))
            if bad.any():
                if fmts.get(col):
                    rule = f"expected a date in the format {fmts[col]!r} (from the mapping)"
                elif used and used != "ISO8601":
                    rule = (
                        f"not a date in the column's format {used!r} (mixed or unparsable "
                        f'date formats; set [tables.{table}.dates] {col} = "<format>")'
                    )
                else:
                    rule = "expected a date (ISO 8601, e.g. 2025-07-31 or 2025-07-31 14:05:00)"
                problems.add(table, origin, s.index[bad], col, s[bad], rule)
            if kind == "date" and (values.dt.floor("D") != values).any():
                values = values.dt.normalize()
            parsed[col] = values
        elif kind in ("number", "integer"):
            values, bad = parse_numbers(s, decimal=decimal)
            if bad.any():
                problems.add(table, origin, s.index[bad], col, s[bad], _RULES["number"])
            if kind == "integer":
                frac = values.notna() & (values != values.round())
                if frac.any():
                    problems.add(table, origin, s.index[frac], col, s[frac], _RULES["integer"])
            parsed[col] = values
        elif kind == "flag":
            values, bad = parse_flags(s)
            if bad.any():
                problems.add(table, origin, s.index[bad], col, s[bad], _RULES["flag"])
            parsed[col] = values
        else:
            parsed[col] = _clean_text(s, strip=kind in ("id", "category"))
    out = pd.DataFrame(parsed, index=mapped.index, copy=False)
    if table == "leads" and "converted" not in out.columns and "converted_at" in out.columns:
        out["converted"] = out["converted_at"].notna()
    # order contract columns first
    order = [c for c in contract if c in out.columns] + [
        c for c in out.columns if c not in contract
    ]
    if order != list(out.columns):
        out = out[order]
    return out, raw_frame


def _infer_extra(values: pd.Series) -> pd.Series:
    """Extra (non-contract) columns: plain numbers become float, the rest stays text."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        return values
    text = values.astype("string")
    present = text.notna() & (text.str.strip() != "")
    nums = pd.to_numeric(text.where(present), errors="coerce")
    if present.any() and nums[present].notna().all():
        return nums.astype("float64")
    return text.mask(~present).astype(_string_dtype())


class _MissingColumns(Exception):
    pass


_NAME_IN_EXPR = re.compile(r"`([^`]+)`|\b([A-Za-z_][A-Za-z0-9_]*)\b")


def _inside_quotes(text: str, pos: int) -> bool:
    before = text[:pos]
    return before.count("'") % 2 == 1 or before.count('"') % 2 == 1


def _derive(
    mapped: pd.DataFrame, source: pd.DataFrame, expr: str, *, table: str, origin: str
) -> pd.Series:
    """Evaluate a derived-column expression on mapped or source columns.

    A bare quoted string is a constant; otherwise the expression is pandas
    arithmetic or comparison over column names (backticks for names with
    spaces); referenced text columns that hold only numbers (currency text
    included) are parsed as numbers first.
    """
    e = expr.strip()
    if (e.startswith("'") and e.endswith("'")) or (e.startswith('"') and e.endswith('"')):
        return pd.Series(e[1:-1], index=mapped.index)
    env: dict[str, pd.Series] = {}
    names = []
    for m in _NAME_IN_EXPR.finditer(e):
        name = m.group(1) or m.group(2)
        if m.group(2) and (
            name in ("and", "or", "not", "True", "False") or _inside_quotes(e, m.start())
        ):
            continue
        if name in mapped.columns:
            col = mapped[name]
        elif name in source.columns:
            col = source.loc[mapped.index, name]
        else:
            raise MappingError(
                f"{origin}: table {table}: derived expression {expr!r} refers to {name!r}, "
                f"which is neither a mapped nor a source column"
            )
        if not pd.api.types.is_datetime64_any_dtype(col.dtype):
            nums, bad = parse_numbers(col)
            if not bad.any() and nums.notna().any():
                col = nums
        key = f"__c{len(names)}"
        names.append((m.group(0), key))
        env[key] = col
    code = e
    for token, key in sorted(names, key=lambda t: -len(t[0])):
        code = code.replace(token, key)
    try:
        return pd.eval(code, local_dict=env, engine="python")
    except Exception as exc:  # noqa: BLE001
        raise MappingError(f"{origin}: table {table}: cannot evaluate {expr!r}: {exc}") from exc


def _validate_schema(table: str, frame: pd.DataFrame, origin: str, problems: _Collector):
    """Run the table's pandera model lazily and record every failure."""
    spec = TABLES[table]
    schema = spec.model.to_schema()
    present = {c: col for c, col in schema.columns.items() if c in frame.columns}
    # text columns: dtype is checked by parsing; pandera checks values
    sub = pa.DataFrameSchema(
        {
            c: pa.Column(
                None
                if (col.metadata or {}).get("kind") in ("id", "text", "category")
                else col.dtype,
                checks=col.checks,
                nullable=col.nullable,
                required=False,
            )
            for c, col in present.items()
        },
        strict=False,
    )
    try:
        sub.validate(frame, lazy=True, inplace=True)  # inplace: no copy of the table
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        for rec in fc.itertuples(index=False):
            col = getattr(rec, "column", None)
            idx = getattr(rec, "index", None)
            check = str(getattr(rec, "check", ""))
            rule = _rule_text(table, col, check)
            if idx is None or (isinstance(idx, float) and np.isnan(idx)):
                problems.add(table, origin, [None], col, [rec.failure_case], rule, condemn=False)
            elif (table, int(idx), col) not in problems.seen:  # not already unparsable
                problems.add(table, origin, [int(idx)], col, [rec.failure_case], rule)


def _rule_text(table: str, column: str | None, check: str) -> str:
    if check == "not_nullable":
        return "required value is empty"
    if check.startswith("isin"):
        allowed = re.findall(r"'([^']*)'", check)
        return "expected one of: " + ", ".join(allowed)
    if check.startswith("greater_than_or_equal_to"):
        return f"expected a value >= {check.split('(')[-1].rstrip(')')}"
    if check.startswith("greater_than"):
        return f"expected a value > {check.split('(')[-1].rstrip(')')}"
    if check.startswith("less_than_or_equal_to"):
        return f"expected a value <= {check.split('(')[-1].rstrip(')')}"
    if check.startswith("str_matches"):
        return "expected a period label such as 2025Q3, 2025-07, 2025H1 or 2025"
    return f"failed check {check}"


def _table_rules(
    spec: TableSpec,
    frame: pd.DataFrame,
    origin: str,
    problems: _Collector,
    *,
    raw_key: tuple | None = None,
    raw: pd.DataFrame | None = None,
):
    # primary key
    pk = [c for c in spec.primary_key if c in frame.columns]
    if pk and len(frame) and not _key_is_unique(frame, pk, raw_key, raw):
        key = frame[pk]
        dup = key.duplicated(keep="first") & key.notna().all(axis=1)
        if dup.any():
            first_row = {}
            for row, k in zip(frame.index, map(tuple, key.itertuples(index=False)), strict=True):
                first_row.setdefault(k, row)
            rows = frame.index[dup]
            values = [" / ".join(map(str, k)) for k in key.loc[dup].itertuples(index=False)]
            for r, v, k in zip(rows, values, key.loc[dup].itertuples(index=False), strict=True):
                problems.add(
                    spec.name,
                    origin,
                    [r],
                    "+".join(pk),
                    [v],
                    f"duplicate key; first seen in row {first_row[tuple(k)]}",
                )
    # date order
    for a, b in spec.date_order:
        if a in frame.columns and b in frame.columns:
            wrong = frame[b].notna() & frame[a].notna() & (frame[b] < frame[a].dt.normalize())
            if wrong.any():
                vals = [
                    f"{x} < {a} {y}"
                    for x, y in zip(frame.loc[wrong, b], frame.loc[wrong, a], strict=True)
                ]
                problems.add(spec.name, origin, frame.index[wrong], b, vals, f"{b} is before {a}")


def _start_key_check(pool, table: str, tmap: dict, raw: pd.DataFrame) -> tuple | None:
    """Count distinct raw values of a single-column key in a worker thread.

    Returns ``(source_column, future)`` or None when the key has several
    columns or its raw column is not Arrow-backed.
    """
    pk = TABLES[table].primary_key
    if not pk or (len(pk) != 1 and any(c in raw.columns for c in pk[1:])):
        return None
    renames = {t: s for t, s in (tmap.get("columns") or {}).items()}
    src = renames.get(pk[0], pk[0] if not renames else None)
    if src is None or src not in raw.columns or tmap.get("distinct") or tmap.get("derive"):
        return None
    arr = getattr(raw[src].array, "_pa_array", None)
    if arr is None:
        return None
    return src, pool.submit(_distinct_count, arr)


def _distinct_count(arr) -> int:
    """Number of distinct values of an Arrow array (nulls count as one value).

    Keys exported in order (database ids, invoice numbers) are strictly
    increasing: then every value is distinct, which one vectorised comparison
    shows in a fraction of the time of hashing every value.
    """
    import pyarrow as pa_
    import pyarrow.compute as pc

    if isinstance(arr, pa_.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if n > 1 and arr.null_count == 0:
        increasing = pc.all(pc.greater(arr.slice(1), arr.slice(0, n - 1))).as_py()
        if increasing:
            return n
    return pc.count_distinct(arr, mode="all").as_py()


def _key_is_unique(
    frame: pd.DataFrame, pk: list[str], raw_key: tuple | None, raw: pd.DataFrame | None
) -> bool:
    """True when the key surely has no repeats (then the slow search is skipped).

    Uses the raw-column count from :func:`_start_key_check` when the parsed key
    equals the raw one row for row (parsing only strips blanks, which could
    merge two raw values); otherwise counts the parsed key.
    """
    if raw_key is not None and raw is not None and len(pk) == 1:
        src, future = raw_key
        distinct = future.result()
        if distinct == len(raw):
            parsed = frame[pk[0]]
            original = raw.loc[frame.index, src] if len(frame) != len(raw) else raw[src]
            if parsed.dtype == original.dtype and bool(
                (parsed.isna() == original.isna()).all()
                and (parsed.fillna("") == original.fillna("")).all()
            ):
                return True
    return _surely_unique(frame, pk)


def _surely_unique(frame: pd.DataFrame, pk: list[str]) -> bool:
    """Fast path for the usual case: a single Arrow-backed key column without repeats."""
    if len(pk) != 1:
        return False
    s = frame[pk[0]]
    arr = getattr(s.array, "_pa_array", None)
    if arr is None:
        return False
    return _distinct_count(arr) == len(s)


def _check_as_of(
    table: str, frame: pd.DataFrame, origin: str, as_of: pd.Timestamp, problems: _Collector
):
    contract = columns(table)
    limit = as_of.normalize() + pd.Timedelta(days=1)
    for col in frame.columns:
        meta = (contract[col].metadata or {}) if col in contract else {}
        if meta.get("event"):
            late = frame[col].notna() & (frame[col] >= limit)
            if late.any():
                problems.add(
                    table,
                    origin,
                    frame.index[late],
                    col,
                    frame.loc[late, col],
                    f"event date after the data's as_of date {as_of.date()}",
                )


def _check_foreign_keys(
    table: str,
    frame: pd.DataFrame,
    origin: str,
    loaded: dict[str, pd.DataFrame],
    problems: _Collector,
):
    contract = columns(table)
    for col in frame.columns:
        ref = (contract[col].metadata or {}).get("references") if col in contract else None
        if not ref:
            continue
        ptable, pcol = ref.split(".")
        parent = loaded.get(ptable)
        if parent is None or pcol not in parent.columns:
            continue
        known = frame[col].isin(parent[pcol].dropna().unique())
        orphan = frame[col].notna() & ~known
        if orphan.any():
            problems.add(
                table,
                origin,
                frame.index[orphan],
                col,
                frame.loc[orphan, col],
                f"not found in {ref} (orphan foreign key)",
            )


# --------------------------------------------------------------------------- load


def load(
    source: str | Path,
    *,
    mapping: str | Path | dict | None = None,
    errors: str = "quarantine",
    as_of: Any = None,
    tables: Iterable[str] | None = None,
) -> SalesData:
    """Load, map and validate sales data.

    Parameters
    ----------
    source : str or Path
        A folder with one file per table, an Excel workbook with one sheet per
        table, an SQLite file, or an SQLAlchemy database URL.
    mapping : path or dict, optional
        A mapping (TOML/YAML file or dict) from a foreign export onto the
        contract; see ``docs/mappings.md``.
    errors : {"quarantine", "raise"}
        ``"quarantine"`` loads good rows and keeps bad ones in
        ``SalesData.rejected`` with reasons; ``"raise"`` raises one
        :class:`~salesnb.errors.DataValidationError` listing every problem.
    as_of : date-like, optional
        The data's "now". Event dates after it are rejected. Default: the
        mapping's ``as_of``, else the latest event date in the data that is not
        after today.
    tables : list of str, optional
        Load only these tables.

    Returns
    -------
    SalesData

    Raises
    ------
    DataSourceError
        Source missing, empty file, unreadable file.
    MappingError
        Malformed mapping.
    DataValidationError
        With ``errors="raise"``, when any row or column breaks the contract;
        with either mode, when a table lacks a required column.

    Examples
    --------
    >>> import salesnb
    >>> data = salesnb.load(SAMPLE)  # doctest: +SKIP
    >>> data.summary()[["table", "rows_loaded", "rows_rejected"]].head(3)  # doctest: +SKIP
    """
    if errors not in ("quarantine", "raise"):
        raise ValueError(f"errors must be 'quarantine' or 'raise', not {errors!r}")
    kind, src = _resolve_source(source)
    mp = read_mapping(mapping)
    wanted = list(tables) if tables is not None else _ORDER
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; contract tables: {', '.join(TABLES)}")
    mapped_tables = mp["tables"]
    if mapped_tables:
        # with a mapping, only the mapped tables are read (a foreign export has no
        # contract-named files)
        wanted = [t for t in _ORDER if t in mapped_tables and t in wanted]
    problems = _Collector()
    notes: list[str] = []
    parsed: dict[str, pd.DataFrame] = {}
    raws: dict[str, pd.DataFrame] = {}
    origins: dict[str, str] = {}
    filtered: dict[str, list[pd.DataFrame]] = {}
    structural: list[str] = []
    cache: dict = {}
    pool = ThreadPoolExecutor(max_workers=1)
    for table in wanted:
        tmap = mapped_tables.get(table, {})
        try:
            raw = _read_one(kind, src, table, tmap, cache)
        except DataSourceError as exc:
            if errors == "raise":
                raise
            structural.append(str(exc))
            notes.append(f"{table}: not loaded: {exc}")
            continue
        if raw is None:
            continue
        if len(raw.frame) == 0:
            raw.notes.append(
                f"{Path(raw.origin).name}: header only, no rows (table {table} is empty)"
            )
        extra: list[pd.DataFrame] = []
        # the key-uniqueness count is the slowest check on big tables: it runs on the
        # raw key column in a thread (Arrow releases the GIL) while the columns parse
        key_check = _start_key_check(pool, table, tmap, raw.frame)
        try:
            frame, raw_frame = _prepare(table, raw, tmap, problems, extra)
        except _MissingColumns as exc:
            if errors == "raise":
                problems.add(table, raw.origin, [None], None, [None], str(exc), condemn=False)
                raise DataValidationError(problems.frame()) from None
            notes.append(f"{table}: not loaded: {exc}")
            structural.append(str(exc))
            rej = raw.frame.copy()
            rej["source_file"] = raw.origin
            rej["source_row"] = rej.index
            rej["reason"] = str(exc)
            filtered[table] = [rej]
            origins[table] = raw.origin
            continue
        notes.extend(raw.notes)
        parsed[table], raws[table], origins[table] = frame, raw_frame, raw.origin
        filtered[table] = extra
        _validate_schema(table, frame, raw.origin, problems)
        _table_rules(TABLES[table], frame, raw.origin, problems, raw_key=key_check, raw=raw.frame)
    pool.shutdown(wait=True)
    # as_of
    as_of_ts = _decide_as_of(as_of if as_of is not None else mp.get("as_of"), parsed, problems)
    for table, frame in parsed.items():
        _check_as_of(table, frame, origins[table], as_of_ts, problems)
    # foreign keys: against rows that survived their own table's checks
    good: dict[str, pd.DataFrame] = {}
    for table in _ORDER:
        if table not in parsed:
            continue
        frame = parsed[table]
        bad = problems.bad_rows.get(table, {})
        good[table] = frame.loc[~frame.index.isin(list(bad))] if bad else frame
    for table in _ORDER:
        if table in parsed:
            _check_foreign_keys(table, good[table], origins[table], good, problems)
    prob = problems.frame()
    if errors == "raise" and (len(prob) or structural):
        if structural and not len(prob):
            raise DataSourceError("\n".join(structural))
        raise DataValidationError(prob)
    loaded: dict[str, pd.DataFrame] = {}
    rejected: dict[str, pd.DataFrame] = {}
    rows_read: dict[str, int] = {}
    for table in _ORDER:
        extra = filtered.get(table, [])
        if table not in parsed:
            if extra:
                rejected[table] = pd.concat(extra)
                rows_read[table] = sum(len(x) for x in extra)
            continue
        frame = parsed[table]
        bad = problems.bad_rows.get(table, {})
        mask = frame.index.isin(list(bad))
        good_rows = frame.loc[~mask] if mask.any() else frame
        good_rows.index = pd.RangeIndex(len(good_rows))  # our own frame: no copy needed
        loaded[table] = good_rows
        parts = list(extra)
        if mask.any():
            rej = raws[table].loc[frame.index[mask]].copy()
            rej["source_file"] = origins[table]
            rej["source_row"] = rej.index
            rej["reason"] = ["; ".join(bad[int(r)]) for r in rej.index]
            parts.append(rej)
        if parts:
            rejected[table] = pd.concat(parts).sort_values("source_row").reset_index(drop=True)
        rows_read[table] = len(frame) + sum(len(x) for x in extra)
        if mask.any():
            log.warning(
                "%s: %d of %d rows rejected (see SalesData.rejected[%r])",
                table,
                int(mask.sum()),
                len(frame),
                table,
            )
    for n in notes:
        log.info(n)
    return SalesData(
        tables=loaded,
        as_of=as_of_ts,
        rejected=rejected,
        problems=prob,
        notes=notes,
        sources=origins,
        rows_read=rows_read,
        source=redact_url(str(source)),
    )


def _decide_as_of(
    given: Any, parsed: dict[str, pd.DataFrame], problems: _Collector
) -> pd.Timestamp:
    if given is not None:
        try:
            return pd.Timestamp(given).normalize()
        except (ValueError, TypeError) as exc:
            raise ValueError(f"as_of {given!r} is not a date (expected e.g. 2025-09-30)") from exc
    today = pd.Timestamp.today().normalize()
    latest = pd.NaT
    for table, frame in parsed.items():
        contract = columns(table)
        for col in frame.columns:
            if col in contract and (contract[col].metadata or {}).get("event"):
                s = frame[col]
                s = s[s < today + pd.Timedelta(days=1)]
                if s.notna().any():
                    m = s.max()
                    latest = m if pd.isna(latest) else max(latest, m)
    return today if pd.isna(latest) else pd.Timestamp(latest).normalize()
