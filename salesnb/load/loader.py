"""``load``: the one boundary where data enters salesnb.

``load(source, *, mapping=None, errors="quarantine")`` reads a folder of
files, an Excel workbook, an SQLite file or a database URL
(:mod:`salesnb.load.sources`), optionally through a mapping file
(:mod:`salesnb.load.mapping`) that maps a foreign export onto the contract of
:mod:`salesnb.schema`, parses every column by its contract kind
(:mod:`salesnb.load.parse`) and checks the tables against the contract
(:mod:`salesnb.load.validate`). Each problem names the file, table, 1-based
row (the header is row 1, as a spreadsheet shows it; for Parquet and SQL the
record number), column, the offending value and the rule.

With ``errors="raise"`` any problem raises one :class:`DataValidationError`
listing them all. With ``errors="quarantine"`` (the default) good rows are
loaded and bad rows are kept in ``SalesData.rejected[table]`` with a
``reason`` column: for every table ``rows read == rows loaded + rows
rejected``. Rows excluded by a mapping filter are rejected with the filter as
reason, so nothing disappears without a trace.

A mapping's ``[pipeline]`` section (:mod:`salesnb.stages`) is applied after the
mapping has produced the contract columns: the stages of opportunities and of
their history are checked against the declared stages, and their status is read
from the stage column when it is not mapped on its own. ``SalesData.notes`` says what loaded
incomplete by the contract's own rules (open deals without amount or created
date, placeholder dates read as empty).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb.errors import DataSourceError, DataValidationError, SelectionError
from salesnb.load.data import _ORDER, SalesData
from salesnb.load.mapping import _apply_mapping, _check_tables_loaded, _MappingRun, read_mapping
from salesnb.load.parse import _parse_columns
from salesnb.load.sources import _open_source, _Raw, _read_one, _resolve_source, redact_url
from salesnb.load.validate import (
    _apply_pipeline,
    _check_all_foreign_keys,
    _check_as_of,
    _check_required_columns,
    _Collector,
    _load_notes,
    _MissingColumns,
    _quarantine,
    _start_key_check,
    _status_from_stage,
    _table_rules,
    _validate_schema,
)
from salesnb.schema import TABLES, columns
from salesnb.stages import DEFAULT_PIPELINE, SalesPipeline

__all__ = ["load"]

# the package's logger: messages are named salesnb.load wherever they come from
log = logging.getLogger(__package__)

#: Tables whose ``stage`` and ``status`` follow a mapping's declared ``[pipeline]``.
_ON_PIPELINE = ("opportunities", "opportunity_history")


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
    pipeline = _pipeline(mp)
    wanted = _wanted_tables(tables, mp["tables"])
    batch = _read_tables(kind, src, wanted, mp["tables"], errors, pipeline)
    problems = batch.problems
    # as_of
    as_of_ts = _decide_as_of(
        as_of if as_of is not None else mp.get("as_of"), batch.parsed, problems
    )
    for table, frame in batch.parsed.items():
        _check_as_of(table, frame, batch.origins[table], as_of_ts, problems)
    _check_all_foreign_keys(batch.parsed, batch.origins, problems)
    prob = problems.frame()
    if errors == "raise" and (len(prob) or batch.structural):
        if batch.structural and not len(prob):
            raise DataSourceError("\n".join(batch.structural))
        raise DataValidationError(prob)
    loaded, rejected, rows_read = _quarantine(
        batch.parsed, batch.raws, batch.origins, batch.filtered, problems
    )
    batch.notes.extend(_load_notes(loaded, problems))
    _check_tables_loaded(mp, wanted, loaded, rows_read, errors)
    for n in batch.notes:
        log.info(n)
    return SalesData(
        tables=loaded,
        as_of=as_of_ts,
        rejected=rejected,
        problems=prob,
        notes=batch.notes,
        sources=batch.origins,
        rows_read=rows_read,
        source=redact_url(str(source)),
        pipeline=pipeline,
        revenue_setting=mp.get("revenue", "auto"),
    )


def _pipeline(mp: dict) -> SalesPipeline:
    """The mapping's ``[pipeline]``, else the contract's default pipeline."""
    section = mp.get("pipeline")
    if section is None:
        return DEFAULT_PIPELINE
    return SalesPipeline.from_mapping(section, origin=mp.get("_where", "mapping"))


def _wanted_tables(tables: Iterable[str] | None, mapped_tables: dict) -> list[str]:
    """The tables to read, in load order; with a mapping, only the mapped ones."""
    wanted = list(tables) if tables is not None else _ORDER
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise SelectionError(f"unknown table(s) {unknown}; contract tables: {', '.join(TABLES)}")
    if mapped_tables:
        # with a mapping, only the mapped tables are read (a foreign export has no
        # contract-named files)
        wanted = [t for t in _ORDER if t in mapped_tables and t in wanted]
    return wanted


@dataclasses.dataclass
class _Batch:
    """The tables of one load as they are read and checked, and what went wrong."""

    problems: _Collector = dataclasses.field(default_factory=_Collector)
    notes: list[str] = dataclasses.field(default_factory=list)
    parsed: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    raws: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    origins: dict[str, str] = dataclasses.field(default_factory=dict)
    filtered: dict[str, list[pd.DataFrame]] = dataclasses.field(default_factory=dict)
    structural: list[str] = dataclasses.field(default_factory=list)


def _read_tables(
    kind: str,
    src: Any,
    wanted: list[str],
    mapped_tables: dict,
    errors: str,
    pipeline: SalesPipeline = DEFAULT_PIPELINE,
) -> _Batch:
    """Read, map, parse and check each wanted table on its own."""
    batch = _Batch()
    cache: dict = {}
    _open_source(kind, src, cache)
    pool = ThreadPoolExecutor(max_workers=1)
    for table in wanted:
        tmap = mapped_tables.get(table, {})
        _read_table(batch, pool, cache, kind, src, table, tmap, errors, pipeline)
    pool.shutdown(wait=True)
    return batch


def _read_table(
    batch: _Batch,
    pool: ThreadPoolExecutor,
    cache: dict,
    kind: str,
    src: Any,
    table: str,
    tmap: dict,
    errors: str,
    pipeline: SalesPipeline = DEFAULT_PIPELINE,
) -> None:
    """Read one table into ``batch``: parsed rows, raw rows, origin and problems."""
    try:
        raw = _read_one(kind, src, table, tmap, cache)
    except DataSourceError as exc:
        if errors == "raise":
            raise
        batch.structural.append(str(exc))
        batch.notes.append(f"{table}: not loaded: {exc}")
        return
    if raw is None:
        if tmap.get("optional"):
            batch.notes.append(
                f"{table}: not loaded: its file {tmap.get('file', table)!r} is not in the data "
                "(optional in the mapping)"
            )
        return
    if len(raw.frame) == 0:
        raw.notes.append(f"{Path(raw.origin).name}: header only, no rows (table {table} is empty)")
    extra: list[pd.DataFrame] = []
    # the key-uniqueness count is the slowest check on big tables: it runs on the
    # raw key column in a thread (Arrow releases the GIL) while the columns parse
    key_check = _start_key_check(pool, table, tmap, raw.frame)
    try:
        run = _MappingRun(kind, src, cache, errors)
        frame, raw_frame = _prepare(
            table, raw, tmap, batch.problems, extra, pipeline, batch.notes, run
        )
    except _MissingColumns as exc:
        _reject_table(batch, table, raw, exc, errors)
        return
    batch.notes.extend(raw.notes)
    batch.parsed[table], batch.raws[table], batch.origins[table] = frame, raw_frame, raw.origin
    batch.filtered[table] = extra
    _validate_schema(table, frame, raw.origin, batch.problems)
    _table_rules(TABLES[table], frame, raw.origin, batch.problems, raw_key=key_check, raw=raw.frame)


def _reject_table(batch: _Batch, table: str, raw: _Raw, exc: _MissingColumns, errors: str) -> None:
    """A table that lacks a required column: raise, or reject every row with the reason."""
    problems = batch.problems
    if errors == "raise":
        problems.add(table, raw.origin, [None], None, [None], str(exc), condemn=False)
        raise DataValidationError(problems.frame()) from None
    batch.notes.append(f"{table}: not loaded: {exc}")
    batch.structural.append(str(exc))
    rej = raw.frame.copy()
    rej["source_file"] = raw.origin
    rej["source_row"] = rej.index
    rej["reason"] = str(exc)
    batch.filtered[table] = [rej]
    batch.origins[table] = raw.origin


def _prepare(
    table: str,
    raw: _Raw,
    tmap: dict,
    problems: _Collector,
    rejected_extra: list[pd.DataFrame],
    pipeline: SalesPipeline = DEFAULT_PIPELINE,
    notes: list[str] | None = None,
    run: _MappingRun | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the mapping, parse every contract column and apply a declared pipeline.

    The pipeline comes after the mapping has produced the contract columns: the
    opportunities' stages are checked against the declared stages, and the
    status is read from the stage column when it is not mapped on its own
    (:func:`salesnb.load.validate._apply_pipeline`).

    Returns the parsed frame (index = source row numbers) and the raw frame
    (for the rejected rows' original values).
    """
    contract = columns(table)
    mapped, frame, raw_frame = _apply_mapping(table, raw, tmap, rejected_extra, run)
    on_pipeline = table in _ON_PIPELINE and pipeline.declared
    from_stage = on_pipeline and _status_from_stage(mapped, tmap, pipeline)
    _check_required_columns(
        table, mapped, frame, raw.origin, derived=("status",) if from_stage else ()
    )
    enums = {"stage": None, "status": None} if on_pipeline else None
    parsed = _parse_columns(table, mapped, tmap, problems, raw.origin, enums=enums)
    if on_pipeline:
        found = _apply_pipeline(
            parsed,
            pipeline,
            status_from_stage=from_stage,
            problems=problems,
            origin=raw.origin,
            table=table,
        )
        if notes is not None:
            notes.extend(found)
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


def given_as_of(given: Any) -> pd.Timestamp:
    """An ``as_of`` the caller or the mapping gave, as a day; a clear error when not a date."""
    try:
        return pd.Timestamp(given).normalize()
    except (ValueError, TypeError) as exc:
        raise SelectionError(f"as_of {given!r} is not a date (expected e.g. 2025-09-30)") from exc


def _decide_as_of(
    given: Any, parsed: dict[str, pd.DataFrame], problems: _Collector
) -> pd.Timestamp:
    if given is not None:
        return given_as_of(given)
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
