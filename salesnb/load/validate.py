"""Check parsed tables against the contract and quarantine the rows that break it.

Each table is validated with its pandera model, lazily, so that *all*
problems are collected. Then table rules (primary keys, date order, columns
required on some rows only), foreign keys and the ``as_of`` rule (no event
after the data's as-of date) are checked. Opportunities are put on the
company's pipeline first (:func:`_apply_pipeline`). Each problem names the file, table, 1-based row, column, the
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
from salesnb.load.parse import _match_enum, _string_dtype
from salesnb.schema import OPPORTUNITY_STATUSES, TABLES, TableSpec, columns, required_columns
from salesnb.stages import SalesPipeline

# the package's logger: messages are named salesnb.load wherever they come from
log = logging.getLogger(__package__)


class _Collector:
    """Problems of one load, and the rows they condemn."""

    def __init__(self):
        self.records: list[dict] = []
        self.bad_rows: dict[str, dict[int, list[str]]] = {}
        self.seen: set[tuple] = set()
        #: (table, column) -> placeholder dates read as empty, by row
        self.blanked: dict[tuple[str, str], pd.Series] = {}

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

    def silence(self, table: str, rows: Iterable, column: str) -> None:
        """Record no further problem for these cells (their row is condemned already)."""
        self.seen.update((table, int(r), column) for r in rows)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records, columns=PROBLEM_COLUMNS)


class _MissingColumns(Exception):
    pass


def _check_required_columns(
    table: str,
    mapped: pd.DataFrame,
    source: pd.DataFrame,
    origin: str,
    *,
    derived: Iterable[str] = (),
) -> None:
    """Raise :class:`_MissingColumns` when the mapped table lacks a required column.

    ``derived`` columns are filled later by the loader (the opportunities'
    status read from the stage column). The message lists the source columns
    found and suggests close names.
    """
    derived = set(derived)
    missing = [c for c in required_columns(table) if c not in mapped.columns and c not in derived]
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
    """Run the table's pandera model lazily and record every failure.

    Enumerations (``isin`` checks) were matched while parsing, case-insensitively
    (:func:`salesnb.load.parse._match_enum`), so pandera leaves them out.
    """
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
                checks=[ch for ch in col.checks if getattr(ch, "name", "") != "isin"],
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
    for rule in spec.required_unless:
        _check_required_unless(spec.name, rule, frame, origin, problems)


def _check_required_unless(table: str, rule, frame: pd.DataFrame, origin: str, problems) -> None:
    """Rule :class:`~salesnb.schema.RequiredUnless`: ``column`` empty only when ``when`` allows.

    Rows whose ``when`` value is empty or already wrong are left to that
    column's own problem; a cell read as empty because it held a placeholder
    date says so.
    """
    if rule.column not in frame.columns:
        return
    empty = frame[rule.column].isna()
    if not empty.any():
        return
    if rule.when in frame.columns:
        cond = frame[rule.when]
        empty &= cond.notna() & ~cond.isin(rule.values)
    rows = [
        r
        for r in frame.index[empty]
        if (table, r, rule.column) not in problems.seen
        and (table, r, rule.when) not in problems.seen
    ]
    if not rows:
        return
    blanked = problems.blanked.get((table, rule.column), pd.Series([], dtype=object))
    placeholder = [r for r in rows if r in blanked.index]
    plain = [r for r in rows if r not in blanked.index]
    for day in sorted(set(blanked.loc[placeholder])):
        hit = [r for r in placeholder if blanked[r] == day]
        rule_text = f"placeholder date {day} in column {rule.column} ({rule.text()})"
        problems.add(table, origin, hit, rule.column, [day] * len(hit), rule_text)
    if plain:
        text = f"required value is empty ({rule.text()})"
        problems.add(table, origin, plain, rule.column, [None] * len(plain), text)


def _apply_pipeline(
    parsed: dict[str, pd.Series],
    pipeline: SalesPipeline,
    *,
    status_from_stage: bool,
    problems: _Collector,
    origin: str,
    table: str = "opportunities",
) -> list[str]:
    """Put parsed opportunities (or their history) on the company's declared pipeline, in place.

    Rules, per row (values compared trimmed and case-insensitively):

    - a ``stage`` value naming a declared stage is stored in the declared spelling
      (``pipeline.canonical``); with ``status_from_stage`` the status is ``open``;
    - a won value (``pipeline.won``) is stored as the last declared stage (a won
      deal has reached every stage); with ``status_from_stage`` the status is ``won``;
    - a lost value leaves the stage empty (the furthest stage is unknown); with
      ``status_from_stage`` the status is ``lost``;
    - any other value is a problem naming the stages and the won / lost values;
      with ``status_from_stage`` an empty stage is one too (the status cannot be
      read).

    Without ``status_from_stage`` the status column stays as mapped; its values
    may be open / won / lost or the pipeline's won / lost values.

    Returns
    -------
    list of str
        Notes for ``SalesData.notes``.
    """
    stage = parsed.get("stage")
    if stage is None:
        return []
    sdt = _string_dtype()
    stage = stage.astype(sdt)  # a categorical could not map values to one stage
    stage_of: dict = {}
    status_of: dict = {}
    unknown = []
    for value in pd.unique(stage.dropna()):
        name = pipeline.canonical(value)
        outcome = "open" if name is not None else pipeline.outcome(value)
        if outcome is None:
            unknown.append(value)
            continue
        stage_of[value] = (
            name if outcome == "open" else (pipeline.names[-1] if outcome == "won" else None)
        )
        status_of[value] = outcome
    condemned = []
    if unknown:
        bad = stage.isin(unknown)
        problems.add(table, origin, stage.index[bad], "stage", stage[bad], _stage_rule(pipeline))
        condemned.append(stage.index[bad])
    parsed["stage"] = stage.map(stage_of).astype(sdt)
    if not status_from_stage:
        if "status" in parsed:
            parsed["status"] = _status_values(
                parsed["status"], pipeline, problems, origin, table=table
            )
        return []
    empty = stage.isna()
    if empty.any():
        rule = "required value is empty (the deal's status is read from the stage column)"
        problems.add(table, origin, stage.index[empty], "stage", [None] * int(empty.sum()), rule)
        condemned.append(stage.index[empty])
    for rows in condemned:
        problems.silence(table, rows, "status")
    parsed["status"] = stage.map(status_of).astype(sdt)
    won = ", ".join(pipeline.won) or "none"
    lost = ", ".join(pipeline.lost) or "none"
    return [
        f"{table}: status read from the stage column with the [pipeline] won / lost values "
        f"(won: {won}; lost: {lost}); other stages are open deals"
    ]


def _stage_rule(pipeline: SalesPipeline) -> str:
    text = "expected a stage of the pipeline (" + ", ".join(pipeline.names) + ")"
    outcomes = [f"won: {', '.join(pipeline.won)}"] if pipeline.won else []
    outcomes += [f"lost: {', '.join(pipeline.lost)}"] if pipeline.lost else []
    return text + (" or a won / lost value (" + "; ".join(outcomes) + ")" if outcomes else "")


def _status_values(
    status: pd.Series,
    pipeline: SalesPipeline,
    problems: _Collector,
    origin: str,
    *,
    table: str = "opportunities",
) -> pd.Series:
    """A separately mapped status: open / won / lost, or the pipeline's won / lost values."""
    status, odd = _match_enum(status, OPPORTUNITY_STATUSES)
    if not odd.any():
        return status
    fix = {v: pipeline.outcome(v) for v in pd.unique(status[odd])}
    fix = {v: o for v, o in fix.items() if o is not None}
    if fix:
        status = status.astype(sdt := _string_dtype())
        hit = odd & status.isin(list(fix))
        status.loc[hit] = status[hit].map(fix).astype(sdt)
        odd &= ~hit
    if odd.any():
        outcomes = [*pipeline.won, *pipeline.lost]
        rule = "expected one of: " + ", ".join(OPPORTUNITY_STATUSES)
        rule += f" (or a [pipeline] won / lost value: {', '.join(outcomes)})" if outcomes else ""
        problems.add(table, origin, status.index[odd], "status", status[odd], rule)
    return status


def _status_from_stage(mapped: pd.DataFrame, tmap: dict, pipeline: SalesPipeline) -> bool:
    """Whether the opportunities' status is read from the stage column.

    True when the pipeline is declared with won or lost values, the table has a
    stage column, and its status column is not mapped on its own: absent, mapped
    from the same source column as ``stage`` (without a value map or derived
    expression of its own), or holding the very same values as ``stage``.
    """
    if not pipeline.declared or not (pipeline.won or pipeline.lost) or "stage" not in mapped:
        return False
    if "status" not in mapped.columns:
        return True
    cols = tmap.get("columns") or {}
    own = set(tmap.get("values") or {}) | set(tmap.get("derive") or {})
    src = cols.get("status")
    if src is not None and src == cols.get("stage") and "status" not in own:
        return True
    return bool(mapped["status"].equals(mapped["stage"]))


def _load_notes(loaded: dict[str, pd.DataFrame], problems: _Collector) -> list[str]:
    """What ``SalesData.notes`` says about loaded rows the contract lets be incomplete.

    One line per :class:`~salesnb.schema.RequiredUnless` rule with loaded rows
    whose column is empty ("opportunities: 2,089 open deals have no amount; ..."),
    and one per column whose placeholder dates were read as empty.
    """
    notes = []
    for table, frame in loaded.items():
        for rule in TABLES[table].required_unless:
            if rule.note and rule.column in frame.columns and rule.when in frame.columns:
                n = int((frame[rule.column].isna() & frame[rule.when].isin(rule.values)).sum())
                if n:
                    notes.append(f"{table}: " + rule.note.format(n=n))
    for (table, col), found in problems.blanked.items():
        bad = problems.bad_rows.get(table, {})
        kept = found[~found.index.isin(list(bad))]
        if len(kept):
            days = ", ".join(sorted(set(kept)))
            notes.append(
                f"{table}: {len(kept):,} placeholder date(s) in {col} ({days}) read as empty"
            )
    return notes


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
