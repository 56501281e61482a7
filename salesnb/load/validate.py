"""Check parsed tables against the contract and quarantine the rows that break it.

Each table is validated with its pandera model, lazily, so that *all*
problems are collected. Then table rules (primary keys, date order), foreign
keys and the ``as_of`` rule (no event after the data's as-of date) are
checked. Each problem names the file, table, 1-based row, column, the
offending value and the rule; the rows it condemns are set aside with a
``reason`` so that, for every table, ``rows read == rows loaded + rows
rejected``.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from salesnb.errors import PROBLEM_COLUMNS
from salesnb.load.data import _ORDER
from salesnb.schema import TABLES, TableSpec, columns, required_columns

# the package's logger: messages are named salesnb.load wherever they come from
log = logging.getLogger(__package__)


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


class _MissingColumns(Exception):
    pass


def _check_required_columns(
    table: str, mapped: pd.DataFrame, source: pd.DataFrame, origin: str
) -> None:
    """Raise :class:`_MissingColumns` when the mapped table lacks a required column.

    The message lists the source columns found and suggests close names.
    """
    missing = [c for c in required_columns(table) if c not in mapped.columns]
    if missing:
        found = [str(c) for c in source.columns]
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


def _check_all_foreign_keys(
    parsed: dict[str, pd.DataFrame], origins: dict[str, str], problems: _Collector
) -> None:
    """Foreign keys of every table, against rows that survived their own table's checks."""
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


def _quarantine(
    parsed: dict[str, pd.DataFrame],
    raws: dict[str, pd.DataFrame],
    origins: dict[str, str],
    filtered: dict[str, list[pd.DataFrame]],
    problems: _Collector,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], dict[str, int]]:
    """Split every table into loaded rows and rejected rows (raw values + reason).

    ``filtered`` holds, per table, rows already set aside (mapping filter,
    missing columns). Returns ``(loaded, rejected, rows_read)``.
    """
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
    return loaded, rejected, rows_read
