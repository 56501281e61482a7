"""Find and read the raw tables of a data source, before any mapping.

A source is

* a folder with one file per table (``orders.csv``, ``orders.csv.gz``,
  ``orders.parquet``, ``orders.xlsx``, ``orders.tsv``) or a folder of parts per
  table (``orders/part-*.parquet``, hive-partitioned
  ``orders/region=West/part-0.parquet``, ``orders/*.csv``; see :func:`_table_parts`),
* an Excel workbook with one sheet per table, or
* a database URL (SQLAlchemy, e.g. ``sqlite:///sales.db`` or
  ``postgresql://...``) or an SQLite file, with one table/view per table.

A mapping's lookups read other files, sheets or database tables of the same
source (``_read_lookup``). Every table is read as text with its source row numbers (the header is row 1,
as a spreadsheet shows it; for Parquet and SQL the record number), so later
problems can name the row. Delimited text takes Arrow's multithreaded reader
when row numbers stay exact, and pandas' reader otherwise.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import re
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb.errors import DataSourceError
from salesnb.load.database import _engine, redact_url  # noqa: F401 - _engine for survey
from salesnb.load.parse import _string_dtype
from salesnb.resources import SAMPLE_DATA
from salesnb.schema import columns

__all__ = ["SAMPLE_DATA", "redact_url"]

# SAMPLE_DATA, the bundled synthetic sample company, is found by salesnb.resources (in
# a checkout or inside the installed package); see its README for the planted facts.

_TEXT_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")
_SUFFIXES = (*_TEXT_SUFFIXES, ".parquet", ".pq", ".xlsx", ".xls")


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
                _check_workbook(p)
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
    if (folder / table).is_dir() and _part_files(folder / table):
        return folder / table
    return None


_PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclasses.dataclass
class _Parts:
    """The files of one table: one file, or the parts of a folder or glob.

    ``fmt`` is ``"parquet"`` or ``"text"``; ``base`` is the folder whose
    ``key=value`` sub-folders are hive partitions (None for a single file).
    """

    fmt: str
    files: list[Path]
    base: Path | None
    label: str


def _part_files(folder: Path) -> list[Path]:
    """The data files under a folder of parts, in path order.

    Parquet parts (``*.parquet``, ``*.pq``) anywhere below the folder (hive
    partitions ``key=value/`` included); if there are none, delimited text
    (``*.csv``, ``*.csv.gz``, ``*.tsv``...). Hidden files and Spark/Hadoop
    markers (``_SUCCESS``, ``.crc``, names starting with ``.`` or ``_``) are left out.
    """
    found = [
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    ]
    parquet = sorted(p for p in found if p.name.lower().endswith(_PARQUET_SUFFIXES))
    if parquet:
        return parquet
    return sorted(p for p in found if p.name.lower().endswith(_TEXT_SUFFIXES))


def _table_parts(where: Path | str, *, table: str) -> _Parts:
    """The files of one table given as a file, a folder of parts or a glob.

    Rules: a file is one part (Parquet by its suffix, else delimited text); a
    folder holds parts (:func:`_part_files`; its ``key=value`` sub-folders are
    hive partitions); a path with ``*``, ``?`` or ``[`` is a glob (relative to
    its first folder without wildcards). All parts must be of one format.

    Raises
    ------
    DataSourceError
        Nothing matches, a folder holds no data files, or parts mix Parquet and text.
    """
    where = Path(where).expanduser()
    text = str(where)
    if any(ch in text for ch in "*?["):
        parts = where.parts
        fixed = next(i for i, part in enumerate(parts) if any(ch in part for ch in "*?["))
        base = Path(*parts[:fixed]) if fixed else Path(".")
        files = sorted(p for p in base.glob(str(Path(*parts[fixed:]))) if p.is_file())
        if not files:
            raise DataSourceError(f"table {table}: no file matches {text}")
    elif where.is_dir():
        base, files = where, _part_files(where)
        if not files:
            raise DataSourceError(
                f"table {table}: folder {where} holds no Parquet or CSV parts "
                f"(expected e.g. {where}/part-0.parquet or {where}/part-0.csv)"
            )
    elif where.is_file():
        base, files = None, [where]
    else:
        raise DataSourceError(f"table {table}: {where} does not exist")
    kinds = {p.name.lower().endswith(_PARQUET_SUFFIXES) for p in files}
    if len(kinds) > 1:
        raise DataSourceError(
            f"table {table}: {text} mixes Parquet and text files; give one format per table"
        )
    if any(p.name.lower().endswith((".xlsx", ".xls")) for p in files):
        raise DataSourceError(f"table {table}: {text}: workbooks cannot be read as parts")
    return _Parts("parquet" if kinds.pop() else "text", files, base, text)


def _hive_values(path: Path, base: Path | None) -> dict[str, str]:
    """The ``key=value`` folders between ``base`` and a part file (hive partitions)."""
    if base is None:
        return {}
    out = {}
    for part in path.relative_to(base).parts[:-1]:
        if "=" in part:
            key, value = part.split("=", 1)
            out[key] = value
    return out


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
    if any(tmap.get(k) for k in ("derive", "filter", "lookups")) or tmap.get("decimal", ".") != ".":
        return {}
    renames = tmap.get("columns") or {}
    formats = tmap.get("dates") or {}
    value_maps = tmap.get("values") or {}
    kinds: dict[str, set] = {}  # source column -> how its contract columns read it
    for name, col in columns(table).items():
        src = renames.get(name, None if renames else name)
        if src is None:
            continue
        kind = (col.metadata or {}).get("kind")
        if kind not in ("number", "timestamp", "date") or name in formats or name in value_maps:
            kind = "text"
        kinds.setdefault(src, set()).add(kind)
    # a source column feeding several contract columns is typed only if all read it alike
    return {src: k.pop() for src, k in kinds.items() if len(k) == 1 and "text" not in k}


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


def _open_source(kind: str, src: Any, cache: dict) -> None:
    """Connect to a database source once, so that an unreachable server, a wrong
    password or a missing driver stops the load with one error (not one per table)."""
    if kind == "sql":
        from salesnb.load.database import _connect

        _connect(cache, src).close()


def _read_one(kind: str, src: Any, table: str, tmap: dict, engine_cache: dict) -> _Raw | None:
    """Read one table's raw rows, or None when the source has no such table."""
    if kind == "folder":
        fname = tmap.get("file")
        path = (src / fname) if fname else _find_file(src, table)
        if path is None:
            return None
        if path.is_dir() or any(ch in str(fname or "") for ch in "*?["):
            return _read_parts(_table_parts(path, table=table), tmap, table)
        if not path.exists():
            if tmap.get("optional"):
                return None
            raise DataSourceError(f"mapping: file {fname!r} for table {table} not found in {src}")
        return _read_file(path, tmap, table, typed=_typed_columns(table, tmap))
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
        # lazy: the database module reads PostgreSQL's COPY output with _read_text below
        from salesnb.load.database import read_database

        def read_csv(path: Path) -> pd.DataFrame:
            typed = _typed_columns(table, tmap) if "query" not in tmap else {}
            return _read_text(path, encoding="utf-8", delimiter=",", typed=typed).frame

        found = read_database(src, table, tmap, engine_cache, read_csv)
        if found is None:
            return None
        return _Raw(found[0], found[1], [])
    raise AssertionError(kind)


def _read_file(path: Path, tmap: dict, table: str, *, typed: dict[str, str] | None) -> _Raw:
    """Read one file of a folder source: Parquet, a workbook's sheet or delimited text."""
    low = path.name.lower()
    if low.endswith((".parquet", ".pq")):
        frame = _read_parquet(path)
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        return _Raw(frame, str(path), [])
    if low.endswith((".xlsx", ".xls")):
        _check_workbook(path)
        return _read_sheet(path, tmap.get("sheet", 0), table)
    return _read_text(
        path,
        encoding=tmap.get("encoding"),
        delimiter=tmap.get("delimiter"),
        skip_rows=int(tmap.get("skip_rows", 0)),
        typed=typed,
    )


def _read_parts(parts: _Parts, tmap: dict, table: str) -> _Raw:
    """Read the parts of one table as one raw table (eager ``load``).

    Parts are read in path order and stacked; hive partition values
    (``region=West/``) become text columns. Rows are numbered on through the
    parts (1-based record numbers, in path order), and the origin is the folder
    or glob: a problem names it and the row counted over all parts.
    """
    frames, notes = [], []
    typed = _typed_columns(table, tmap)
    for path in parts.files:
        raw = _read_file(path, tmap, table, typed=typed)
        frame = raw.frame
        for key, value in _hive_values(path, parts.base).items():
            if key not in frame.columns:
                frame = frame.assign(
                    **{key: pd.Series(value, index=frame.index, dtype=_string_dtype())}
                )
        frames.append(frame)
        notes.extend(raw.notes)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    notes.append(f"{table}: read from {len(parts.files)} part(s) in {parts.label}")
    return _Raw(frame, parts.label, notes)


def _read_lookup(kind: str, src: Any, spec: dict, cache: dict) -> _Raw:
    """Read the file, sheet or database table a mapping lookup takes its values from.

    ``spec`` holds ``file`` (a file of the folder, or a database table) and/or
    ``sheet`` (a sheet of the workbook, or of ``file``), and optionally
    ``encoding``, ``delimiter``, ``skip_rows``. Every value is read as text.

    Raises
    ------
    DataSourceError
        The file, sheet or table does not exist or cannot be read.
    """
    name = spec.get("file") or spec.get("sheet")
    if kind == "folder":
        path = src / str(spec.get("file"))
        if not spec.get("file") or not path.is_file():
            raise DataSourceError(f"file {spec.get('file')!r} not found in {src}")
        return _read_file(path, spec, str(name), typed=None)
    tmap = {"sheet": spec.get("sheet", name)} if kind == "excel" else {"file": name}
    raw = _read_one(kind, src, str(name), tmap, cache)
    if raw is None:
        what = "sheet" if kind == "excel" else "table"
        raise DataSourceError(f"{what} {name!r} not found in {redact_url(str(src))}")
    return raw


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


def _check_workbook(path: Path) -> None:
    """Refuse a file named like a workbook that is not one (e.g. a CSV renamed .xlsx).

    Raises
    ------
    DataSourceError
        Naming the file, and suggesting CSV when its start reads as delimited text.
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # zip (.xlsx), OLE (.xls)
        return
    hint = ""
    try:
        first = head.decode("utf-8-sig").splitlines()[0] if head.strip() else ""
    except UnicodeDecodeError:
        first = ""
    if first and _sniff_delimiter(first) in first:
        hint = (
            f"; it looks like delimited text (CSV) — rename it to {path.stem}.csv"
            f" (in a folder, salesnb reads it as CSV)"
        )
    raise DataSourceError(f"{path}: not an Excel workbook (not an .xlsx/.xls file){hint}")


def _read_sheet(path: Path, sheet: Any, table: str) -> _Raw:
    frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False, na_values=[""])
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    empty = frame.isna().all(axis=1)
    notes = []
    if empty.any():
        notes.append(f"{path.name}[{sheet}]: {int(empty.sum())} empty row(s) skipped")
        frame = frame.loc[~empty]
    return _Raw(frame, f"{path} sheet {sheet}", notes)
