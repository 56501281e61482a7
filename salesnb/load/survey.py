"""Survey a data source before mapping it: every file, sheet or database table with its
headers and a sample of rows, and what the values of each column look like.

Nothing is loaded or validated here: the mapping assistant (:mod:`salesnb.load.assistant`)
and ``salesnb check`` read headers and at most ``limit`` rows per file (5,000 by default)
as text, and :func:`profile` says of each column whether its values are dates (and in
which strftime format), numbers, money, distinct ids, or a handful of repeated values.

>>> p = profile(pd.Series(["3/31/2025", "12/01/2025", "1/5/2025"], name="Close Date"))
>>> p.date_format, p.examples
('%m/%d/%Y', ('3/31/2025', '12/01/2025'))
>>> profile(pd.Series(["$1,200.00", "$80.50"], name="Amount")).money
True
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb.errors import DataSourceError
from salesnb.load.parse import parse_numbers
from salesnb.load.sources import (
    _SUFFIXES,
    _detect_encoding,
    _resolve_source,
    _sniff_delimiter,
    redact_url,
)

__all__ = ["SourceTable", "ColumnProfile", "survey", "profile", "DEFAULT_LIMIT"]

#: Rows read per file, sheet or database table.
DEFAULT_LIMIT = 5000

_DATES = (
    "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%m-%d-%Y", "%m/%d/%y",
    "%d/%m/%y", "%d.%m.%y", "%d %b %Y", "%b %d, %Y", "%d-%b-%Y", "%d-%b-%y", "%d %B %Y",
    "%B %d, %Y", "%b %d %Y",
)  # fmt: skip
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
_DATE_LIKE = re.compile(
    r"^\s*(\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}[ -][A-Za-z]{3,9}[ -,]*\d{2,4}|"
    r"[A-Za-z]{3,9} \d{1,2},? \d{4})"
)
_MONEY = re.compile(r"[$€£¥]|\b(?:USD|EUR|GBP|CHF|JPY|CAD|AUD)\b")
_COMMA_DECIMAL = re.compile(r"^\s*-?[$€£¥]?\s*\d{1,3}(\.\d{3})*,\d{1,2}\s*[$€£¥]?\s*$")


@dataclasses.dataclass
class SourceTable:
    """One file, sheet or database table of a source, with a sample of its rows.

    Attributes
    ----------
    locator : dict
        The mapping keys that point at it (``{"file": "deals.csv"}``,
        ``{"sheet": "Deals"}``, ``{"file": "book.xlsx", "sheet": "Deals"}``; for a
        database, ``{"file": "<table name>"}``).
    label : str
        How to name it to a person (``deals.csv``, ``book.xlsx sheet Deals``).
    name : str
        Its own name without suffix (file stem, sheet or table name).
    frame : pandas.DataFrame
        The sampled rows, as text; columns are the headers.
    truncated : bool
        Whether the source has more rows than were read.
    notes : list of str
        Encoding and delimiter found, when they are not UTF-8 and comma.
    delimiter : str or None
        The detected delimiter of delimited text.
    """

    locator: dict[str, str]
    label: str
    name: str
    frame: pd.DataFrame
    truncated: bool = False
    notes: list[str] = dataclasses.field(default_factory=list)
    delimiter: str | None = None

    @property
    def headers(self) -> list[str]:
        """The column names, as in the source."""
        return [str(c) for c in self.frame.columns]


@dataclasses.dataclass(frozen=True)
class ColumnProfile:
    """What the values of one column look like (in the sample).

    Attributes
    ----------
    name : str
        The header.
    filled, distinct : int
        Non-empty values, and distinct ones among them.
    examples : tuple of str
        The first two distinct values.
    date_format : str or None
        ``"ISO8601"`` or the strftime format every filled value parses with (and lies
        in 1900-2100); None when some value is not a date.
    date_alternatives : tuple of str
        Other formats that fit every value too (``%d/%m/%Y`` next to ``%m/%d/%Y``
        when no day is above 12): the format is then a guess.
    numeric, money, decimal_comma : bool
        Every filled value is a number (currency text included); some carry a currency
        sign or code; they are written with a decimal comma (``1.234,50``).
    counts : tuple of (str, int)
        Value counts, most frequent first, when there are at most 40 distinct values.
    """

    name: str
    filled: int
    distinct: int
    examples: tuple[str, ...] = ()
    date_format: str | None = None
    date_alternatives: tuple[str, ...] = ()
    numeric: bool = False
    money: bool = False
    decimal_comma: bool = False
    counts: tuple[tuple[str, int], ...] = ()

    @property
    def unique(self) -> bool:
        """Every filled value is distinct (an id-like column)."""
        return self.filled > 0 and self.distinct == self.filled


def profile(values: pd.Series) -> ColumnProfile:
    """Profile one column of text values: dates and their format, numbers, money, counts."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    distinct = pd.unique(text)
    counts = ()
    if 0 < len(distinct) <= 40:
        vc = text.value_counts(sort=False)
        order = {v: i for i, v in enumerate(distinct)}
        counts = tuple(
            sorted(((str(v), int(n)) for v, n in vc.items()), key=lambda t: (-t[1], order[t[0]]))
        )
    fmt, alternatives = _date_format(pd.Series(distinct[:500], dtype=object))
    nums, bad = parse_numbers(text) if len(text) else (text, pd.Series(dtype=bool))
    numeric = bool(len(text)) and fmt is None and not bad.any()
    comma = False
    if len(text) and fmt is None and not numeric:
        comma = bool(text.str.match(_COMMA_DECIMAL).all())
        numeric = comma and not parse_numbers(text, decimal=",")[1].any()
    return ColumnProfile(
        name=str(values.name),
        filled=len(text),
        distinct=len(distinct),
        examples=tuple(str(v) for v in distinct[:2]),
        date_format=fmt,
        date_alternatives=alternatives,
        numeric=numeric,
        money=numeric and bool(text.str.contains(_MONEY).any()),
        decimal_comma=comma,
        counts=counts,
    )


def _date_format(values: pd.Series) -> tuple[str | None, tuple[str, ...]]:
    """The date format every value parses with (ISO first), and the others that fit too."""
    if not len(values) or not values.str.match(_DATE_LIKE).all():
        return None, ()
    iso = _parsed(values, "ISO8601")
    if iso is not None and values.str.match(r"^\s*\d{4}-\d{1,2}-\d{1,2}").all():
        return "ISO8601", ()
    fits = [f"{d}{t}" for d in _DATES for t in _TIMES if _parsed(values, f"{d}{t}") is not None]
    if not fits:
        return None, ()
    return fits[0], tuple(fits[1:])


def _parsed(values: pd.Series, fmt: str) -> pd.Series | None:
    """Dates of ``values`` in ``fmt`` when every one parses and lies in 1900-2100."""
    try:
        out = pd.to_datetime(values, format=fmt, errors="coerce")
    except (ValueError, TypeError):
        return None
    if out.isna().any() or (out.dt.year < 1900).any() or (out.dt.year > 2100).any():
        return None
    return out


def survey(source: Any, *, limit: int | None = DEFAULT_LIMIT) -> tuple[str, list[SourceTable]]:
    """Every table-like part of a source, with its headers and up to ``limit`` rows.

    Parameters
    ----------
    source : str or Path
        A folder (each CSV / TSV / text / Parquet / Excel file in it; every sheet of a
        workbook), an Excel workbook (every sheet), an SQLite file or a database URL
        (every table and view).
    limit : int or None
        Rows read per part; None reads all of them.

    Returns
    -------
    (label, tables) : (str, list of SourceTable)
        ``label`` names the source (a database URL without its password).

    Raises
    ------
    DataSourceError
        When the source does not exist or is not a folder, workbook or database.
    """
    kind, src = _resolve_source(source)
    if kind == "folder":
        tables = []
        for path in sorted(src.iterdir()):
            low = path.name.lower()
            if path.is_file() and not low.startswith((".", "~$")) and low.endswith(_SUFFIXES):
                try:
                    tables.extend(_survey_file(path, limit))
                except DataSourceError as exc:  # an empty or broken file: said, not fatal
                    stem = path.name.split(".")[0]
                    tables.append(
                        SourceTable({"file": path.name}, path.name, stem, pd.DataFrame(),
                                    notes=[str(exc)])
                    )  # fmt: skip
        return str(src), tables
    if kind == "excel":
        return str(src), _survey_workbook(src, limit, in_folder=False)
    return redact_url(src), _survey_database(src, limit)


def _survey_file(path: Path, limit: int | None) -> list[SourceTable]:
    low = path.name.lower()
    if low.endswith((".xlsx", ".xls")):
        return _survey_workbook(path, limit, in_folder=True)
    stem = re.sub(r"\.(csv|tsv|txt|parquet|pq)(\.gz)?$", "", path.name, flags=re.IGNORECASE)
    if low.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        n = pf.metadata.num_rows
        if limit is None or n <= limit:
            frame = pf.read().to_pandas()
        else:
            frame = next(pf.iter_batches(batch_size=max(limit, 1))).to_pandas().head(limit)
        return [
            SourceTable(
                {"file": path.name},
                path.name,
                stem,
                _as_text(frame),
                truncated=limit is not None and n > limit,
            )
        ]
    return [_survey_text(path, stem, limit)]


def _survey_text(path: Path, stem: str, limit: int | None) -> SourceTable:
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise DataSourceError(f"{path}: the file is empty; expected a header line")
    encoding, note = _detect_encoding(head)
    first = head.decode(encoding, errors="replace").splitlines()[0]
    delimiter = "\t" if ".tsv" in path.name.lower() else _sniff_delimiter(first)
    notes = [f"{path.name}: {note}"] if note else []
    if delimiter != ",":
        notes.append(f"{path.name}: delimiter {delimiter!r}")
    nrows = None if limit is None else limit + 1
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=encoding,
            encoding_errors="replace",
            nrows=nrows,
            compression="infer",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataSourceError(f"{path}: cannot be read as delimited text: {exc}") from exc
    truncated = limit is not None and len(frame) > limit
    frame = frame.head(limit) if limit is not None else frame
    frame = frame.loc[~frame.isna().all(axis=1)]
    return SourceTable(
        {"file": path.name},
        path.name,
        stem,
        frame,
        truncated=truncated,
        notes=notes,
        delimiter=delimiter,
    )


def _survey_workbook(path: Path, limit: int | None, *, in_folder: bool) -> list[SourceTable]:
    sheets = pd.read_excel(
        path, sheet_name=None, dtype=str, keep_default_na=False, na_values=[""], nrows=limit
    )
    out = []
    for sheet, frame in sheets.items():
        frame = frame.loc[~frame.isna().all(axis=1)]
        locator = {"file": path.name, "sheet": str(sheet)} if in_folder else {"sheet": str(sheet)}
        label = f"{path.name} sheet {sheet}"
        truncated = limit is not None and len(frame) >= limit
        name = f"{path.stem} {sheet}" if in_folder else str(sheet)
        out.append(SourceTable(locator, label, name, frame, truncated=truncated))
    return out


def _survey_database(url: str, limit: int | None) -> list[SourceTable]:
    import sqlalchemy as sa

    from salesnb.load.sources import _engine

    engine = _engine(url)  # read-only
    try:
        inspector = sa.inspect(engine)
        names = sorted(set(inspector.get_table_names()) | set(inspector.get_view_names()))
        out = []
        with engine.connect() as conn:
            for name in names:
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                query = sa.select(table)
                if limit is not None:
                    query = query.limit(limit + 1)
                frame = pd.read_sql_query(query, conn)
                truncated = limit is not None and len(frame) > limit
                frame = _as_text(frame.head(limit) if limit is not None else frame)
                out.append(
                    SourceTable({"file": name}, f"table {name}", name, frame, truncated=truncated)
                )
        return out
    finally:
        engine.dispose()


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed columns (Parquet, SQL) as text, as a text export would show them."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            text = s.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
        else:
            text = s.astype("string")
        out[str(c)] = text.astype(object).where(s.notna(), None)
    return pd.DataFrame(out, index=frame.index)
