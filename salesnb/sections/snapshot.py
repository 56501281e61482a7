"""The data of a report run, loaded once: a snapshot folder the notebooks open.

The report runner loads and validates the data once, writes a *snapshot* of it
into the run's build folder (:func:`write_snapshot`), and passes its path to
every notebook as the ``snapshot`` parameter; the notebooks' load cell
(:func:`open_data`) opens it instead of loading the source again.

A snapshot folder holds:

* ``<table>.parquet`` — one Parquet file per loaded contract table;
* ``rejected-<table>.parquet`` — the rows not loaded of each table, and
  ``problems.parquet`` — every problem found;
* ``snapshot.json`` — everything else :class:`~salesnb.load.data.SalesData`
  holds (``as_of``, notes, sources, rows read, the pipeline, the revenue
  setting, the source's description) plus, per table, its text columns (their
  string dtype is restored on reading, so the pages see the same dtypes as
  after :func:`salesnb.load`).

Locations in it go through :func:`salesnb.load.redact_url` first: a database
password is never written. Parquet is written with pyarrow (the format the
engines read natively: :func:`read_snapshot` opens it lazily on DuckDB or
polars with ``engine=``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb.load import SalesData, redact_url
from salesnb.stages import SalesPipeline, Stage

__all__ = [
    "SNAPSHOT_FILE",
    "ENGINES",
    "write_snapshot",
    "read_snapshot",
    "is_snapshot",
    "open_data",
]

#: The metadata file that marks a snapshot folder.
SNAPSHOT_FILE = "snapshot.json"
#: Version of the snapshot layout; a reader refuses a folder of another version.
_FORMAT = 1
#: Engines a snapshot can be opened on: ``None``/``"pandas"`` eager, the others lazy.
ENGINES = ("pandas", "duckdb", "polars")

_URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+")


def _redact_text(text: Any) -> Any:
    """``text`` with every URL in it redacted (non-text values unchanged)."""
    if not isinstance(text, str):
        return text
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)]


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to Parquet; text columns of mixed Python types are written as text.

    Rejected rows keep their raw source values, which may mix numbers and text
    in one column; Parquet needs one type per column, so such a column is
    written as text (missing values stay missing).
    """
    try:
        frame.to_parquet(path, index=False)
    except (TypeError, ValueError):  # pyarrow's ArrowTypeError / ArrowInvalid
        fixed = frame.copy()
        for col in fixed.columns:
            if fixed[col].dtype == object:
                fixed[col] = fixed[col].map(
                    lambda v: None if v is None or v is pd.NA or v != v else str(v)
                )
        fixed.to_parquet(path, index=False)


def _write_table(frame, path: Path) -> dict:
    """Write one table to Parquet; an engine's lazy table is written by its engine.

    A DuckDB relation is copied by DuckDB (``COPY ... TO``), a polars
    ``LazyFrame`` streamed (``sink_parquet``): neither passes through pandas.
    Returns the table's metadata (its text columns, restored on reading).
    """
    if isinstance(frame, pd.DataFrame):
        frame.to_parquet(path, index=False)
        return {"text_columns": _text_columns(frame)}
    import narwhals as nw

    schema = nw.from_native(frame).collect_schema()
    text = [c for c, dtype in schema.items() if dtype == nw.String]
    module = type(frame).__module__.split(".")[0]
    if module in ("duckdb", "_duckdb"):
        frame.write_parquet(str(path))
    elif module == "polars":
        frame.lazy().sink_parquet(path)
    else:  # another engine: through narwhals (collects the table)
        nw.from_native(frame).lazy().collect().write_parquet(path)
    return {"text_columns": text}


def write_snapshot(sales: SalesData, folder: str | Path) -> Path:
    """Write ``sales`` into ``folder`` (created; must not hold a snapshot yet).

    Returns
    -------
    Path
        The snapshot folder.

    Raises
    ------
    FileExistsError
        When ``folder`` already holds a snapshot.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / SNAPSHOT_FILE).exists():
        raise FileExistsError(f"{folder} already holds a snapshot")
    tables = {}
    for name, frame in sales.tables.items():
        tables[name] = _write_table(frame, folder / f"{name}.parquet")
    rejected = {}
    for name, frame in sales.rejected.items():
        if frame is None:
            continue
        clean = frame.copy()
        if "source_file" in clean.columns:
            clean["source_file"] = clean["source_file"].map(_redact_text)
        _write_frame(clean, folder / f"rejected-{name}.parquet")
        rejected[name] = {"rows": len(frame), "text_columns": _text_columns(frame)}
    problems = sales.problems.copy()
    if "file" in problems.columns:
        problems["file"] = problems["file"].map(_redact_text)
    _write_frame(problems, folder / "problems.parquet")
    meta = {
        "format": _FORMAT,
        "as_of": sales.as_of.isoformat(),
        "tables": tables,
        "rejected": rejected,
        "problems_columns": list(problems.columns),
        "notes": [_redact_text(n) for n in sales.notes],
        "sources": {k: _redact_text(v) for k, v in sales.sources.items()},
        "rows_read": {k: int(v) for k, v in sales.rows_read.items()},
        "rows_rejected": {k: int(v) for k, v in sales.rows_rejected.items()},
        "source": redact_url(sales.source) if sales.source else "",
        "pipeline": {
            "stages": [
                {"name": s.name, "rotting_days": s.rotting_days, "probability": s.probability}
                for s in sales.pipeline.stages
            ],
            "won": list(sales.pipeline.won),
            "lost": list(sales.pipeline.lost),
            "declared": sales.pipeline.declared,
        },
        "revenue_setting": sales.revenue_setting,
    }
    (folder / SNAPSHOT_FILE).write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
    return folder


def is_snapshot(folder: str | Path) -> bool:
    """True when ``folder`` holds a snapshot written by :func:`write_snapshot`."""
    return (Path(folder) / SNAPSHOT_FILE).is_file()


def _read_meta(folder: Path) -> dict:
    try:
        meta = json.loads((folder / SNAPSHOT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(f"{folder} is not a readable salesnb snapshot: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise ValueError(
            f"{folder}/{SNAPSHOT_FILE}: snapshot format {meta.get('format')!r}, "
            f"expected {_FORMAT} (rebuild it with this salesnb)"
        )
    return meta


def _read_frame(path: Path, text_columns: list[str]) -> pd.DataFrame:
    """Read one Parquet file back to pandas with the loader's dtypes.

    Text stays in Arrow, as :func:`salesnb.load` keeps it (``pandas.read_parquet``
    on pandas 2 would build one Python string per value first: 17 s of a 10M-order
    snapshot's 20 s read).
    """
    from salesnb.load.parse import _string_dtype
    from salesnb.load.sources import _read_parquet

    frame = _read_parquet(path)
    text = _string_dtype()
    for col in frame.columns:
        if col in text_columns:
            if frame[col].dtype != text:
                frame[col] = frame[col].astype(text)
        elif frame[col].dtype == text and text is not object:
            # text the loader kept as Python objects (raw values of rejected rows)
            frame[col] = frame[col].astype(object)
    return frame


def _pipeline(raw: dict) -> SalesPipeline:
    return SalesPipeline(
        tuple(Stage(**s) for s in raw["stages"]),
        won=tuple(raw["won"]),
        lost=tuple(raw["lost"]),
        declared=bool(raw["declared"]),
    )


def read_snapshot(folder: str | Path, *, engine: str | None = None) -> SalesData:
    """Open the snapshot in ``folder`` as a :class:`~salesnb.load.data.SalesData`.

    Parameters
    ----------
    folder : path
        A folder written by :func:`write_snapshot`.
    engine : {None, "pandas", "duckdb", "polars"}
        ``None`` or ``"pandas"``: the tables are read into pandas, with the
        dtypes :func:`salesnb.load` gives. ``"duckdb"``: each table is a DuckDB
        relation (``read_parquet``) on DuckDB's default connection (its
        ``memory_limit`` set from ``SALESNB_DUCKDB_MEMORY_LIMIT`` when the
        report runner gives one); ``"polars"``: a
        ``polars.LazyFrame`` (``scan_parquet``). Nothing is read until a KPI
        asks for it. Rejected rows and problems are always pandas (they are
        what the pages list).

    Raises
    ------
    FileNotFoundError
        When ``folder`` holds no snapshot.
    ValueError
        For another snapshot format or an unknown engine.
    """
    folder = Path(folder)
    if engine not in (None, *ENGINES):
        raise ValueError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    meta = _read_meta(folder)
    tables = _open_tables(folder, meta["tables"], engine)
    rejected = {
        name: _read_frame(folder / f"rejected-{name}.parquet", info["text_columns"])
        for name, info in meta["rejected"].items()
    }
    problems = pd.read_parquet(folder / "problems.parquet")
    return SalesData(
        tables=tables,
        as_of=pd.Timestamp(meta["as_of"]),
        rejected=rejected,
        problems=problems,
        notes=list(meta["notes"]),
        sources=dict(meta["sources"]),
        rows_read={k: int(v) for k, v in meta["rows_read"].items()},
        rows_rejected={k: int(v) for k, v in meta.get("rows_rejected", {}).items()},
        source=meta["source"],
        pipeline=_pipeline(meta["pipeline"]),
        revenue_setting=meta["revenue_setting"],
    )


def _default_connection(duckdb: Any) -> Any:
    """DuckDB's default connection (a function in DuckDB 1.1+, an attribute before)."""
    default = duckdb.default_connection
    return default() if callable(default) else default


def _open_tables(folder: Path, tables: dict, engine: str | None) -> dict:
    """The snapshot's tables on ``engine`` (see :func:`read_snapshot`)."""
    if engine in (None, "pandas"):
        return {
            name: _read_frame(folder / f"{name}.parquet", info["text_columns"])
            for name, info in tables.items()
        }
    if engine == "polars":
        import polars as pl

        return {name: pl.scan_parquet(folder / f"{name}.parquet") for name in tables}
    import duckdb

    from salesnb.load.scan import limit_duckdb_memory

    # DuckDB's default connection: the one every KPI's helper frames run on; the report
    # runner gives each kernel its share of the memory (MEMORY_VARIABLE)
    limit_duckdb_memory(_default_connection(duckdb))
    return {name: duckdb.read_parquet(str(folder / f"{name}.parquet")) for name in tables}


def open_data(
    data: Any = None,
    *,
    mapping: Any = None,
    as_of: Any = None,
    snapshot: str | Path | None = None,
    engine: str | None = None,
) -> SalesData:
    """The data of a notebook: the runner's snapshot when given, else a load of ``data``.

    What a report notebook's load cell calls. With ``snapshot`` (the report
    runner passes it), the snapshot is opened (:func:`read_snapshot`) and
    ``data``, ``mapping`` and ``as_of`` are not read again: the runner loaded
    them. Without it (interactive use), ``data`` is loaded with
    :func:`salesnb.load` (the location resolved by
    :func:`~salesnb.sections.params.resolve_data_path`).

    Parameters
    ----------
    data, mapping, as_of
        The notebook's parameters of the same names.
    snapshot : path, optional
        A snapshot folder written by :func:`write_snapshot`.
    engine : {None, "pandas", "duckdb", "polars"}
        Where the tables live (see :func:`read_snapshot`). Without a snapshot,
        a lazy engine gets the loaded tables handed over.

    Raises
    ------
    FileNotFoundError
        A missing data path or snapshot folder.
    ValueError
        An unknown engine.
    """
    if engine not in (None, *ENGINES):
        raise ValueError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if snapshot is not None:
        return read_snapshot(snapshot, engine=engine)
    import salesnb
    from salesnb.sections.params import resolve_data_path

    sales = salesnb.load(resolve_data_path(data), mapping=mapping, as_of=as_of)
    if engine in (None, "pandas"):
        return sales
    return _on_engine(sales, engine)


def _on_engine(sales: SalesData, engine: str) -> SalesData:
    """``sales`` with its tables handed to ``engine`` (lazy frames of the loaded tables)."""
    import dataclasses

    if engine == "polars":
        import polars as pl

        tables = {n: pl.from_pandas(f).lazy() for n, f in sales.tables.items()}
    else:
        import duckdb

        from salesnb.load.scan import limit_duckdb_memory

        limit_duckdb_memory(_default_connection(duckdb))
        tables = {name: duckdb.from_df(frame) for name, frame in sales.tables.items()}
    return dataclasses.replace(sales, tables=tables)
