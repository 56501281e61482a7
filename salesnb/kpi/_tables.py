"""Table-building helpers shared by the pipeline, team and customer KPI modules.

Private to :mod:`salesnb.kpi`: opening a contract table with optional lookup
joins (``_open``), complete period grids so that empty periods show up with a
reason (``_period_grid``, ``_complete``, ``_period_table``), comparisons and
the final sort/conversion (``_compare``, ``_finish``), ``note`` columns for
empty denominators, and date handling for ``as_of`` (whole days).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import narwhals as nw
import pandas as pd

from salesnb.kpi._frame import (
    PERIOD_START,
    add_comparisons,
    align_backend,
    as_datetime,
    attach_columns,
    close_frame,
    finish,
    frame_from_arrow,
    open_frame,
    require_columns,
    with_period,
)
from salesnb.periods import Period, normalize_freq, period_range

_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}
_NULL_KEY = "\x00null"


def _freq_or_none(freq):
    return None if freq is None else normalize_freq(freq)


def _day_after(as_of) -> _dt.datetime:
    """Exclusive end of the day ``as_of`` (``as_of`` counts whole)."""
    return as_datetime(pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1))


def _day(value) -> _dt.datetime:
    """Midnight of the day ``value``."""
    return as_datetime(pd.Timestamp(value).normalize())


def _offset(expr: nw.Expr, freq: str, n: int) -> nw.Expr:
    """Shift a period start by ``n`` periods of ``freq``."""
    if n == 0:
        return expr
    if freq == "week":
        return expr.dt.offset_by(f"{7 * n}d")
    return expr.dt.offset_by(f"{_MONTHS[freq] * n}mo")


def _lookups(reps=None, customers=None) -> dict:
    return {"reps": (reps, "rep_id"), "customers": (customers, "customer_id")}


def _open(
    data,
    *,
    table: str,
    required=(),
    by=(),
    reps=None,
    customers=None,
    like: nw.LazyFrame | None = None,
) -> nw.LazyFrame:
    """open_frame + attach the ``by`` columns the table lacks from reps/customers.

    With ``like``, the table is brought onto the backend of ``like`` first.
    """
    if like is None:
        frame = open_frame(data, table=table, required=required)
    else:
        frame = align_backend(data, like, table=table)
        require_columns(frame, required, table=table)
    return attach_columns(frame, list(by), table=table, lookups=_lookups(reps, customers))


def _aggregate(frame: nw.LazyFrame, keys: Sequence[str], *aggs: nw.Expr) -> nw.LazyFrame:
    """``group_by(keys).agg(...)``, or a one-row ``select`` when there are no keys."""
    if keys:
        return frame.group_by(list(keys)).agg(*aggs)
    return frame.select(*aggs)


def _literal_frame(data: dict, *, like: nw.LazyFrame, schema: dict) -> nw.LazyFrame:
    """A small lazy frame built from Python lists on the backend of ``like``.

    Lazy engines get it on the connection / session of ``like``
    (:func:`~salesnb.kpi._frame.frame_from_arrow`), built through pyarrow.
    """
    impl = like.implementation
    if impl.is_pandas() or impl.is_polars():
        return nw.from_dict(data, schema=schema, backend=impl).lazy()
    table = nw.to_native(nw.from_dict(data, schema=schema, backend="pyarrow"))
    return frame_from_arrow(table, like=like)


def _join(
    left: nw.LazyFrame,
    right: nw.LazyFrame,
    *,
    on: Sequence[str] = (),
    by: Sequence[str] = (),
    how: str = "left",
) -> nw.LazyFrame:
    """Join on the plain columns ``on`` and on the ``by`` columns, null matching null.

    pandas merges NaN keys with each other while polars never matches nulls;
    the ``by`` keys are compared as text with an explicit marker for null so
    every backend gives the same rows. The ``by`` columns of ``right`` are
    dropped (the left ones are kept).
    """
    by = list(by)
    keys = {f"__by{i}": nw.col(c).cast(nw.String).fill_null(_NULL_KEY) for i, c in enumerate(by)}
    left2 = left.with_columns(**keys) if keys else left
    right2 = right.with_columns(**keys).drop(*by) if keys else right
    join_on = [*on, *keys]
    if not join_on:
        return left.join(right, how="cross")
    out = left2.join(right2, on=join_on, how=how)
    return out.drop(*keys) if keys else out


def _bounds(frame: nw.LazyFrame, column: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Smallest and largest value of a date column (None when there is none), naive."""
    row = frame.select(nw.col(column).min().alias("lo"), nw.col(column).max().alias("hi")).collect()
    return _naive(row.item(0, "lo")), _naive(row.item(0, "hi"))


def _naive(value) -> pd.Timestamp | None:
    """A collected date as a naive ``Timestamp`` (None when missing).

    Spark reports its ``TIMESTAMP`` columns in the session time zone; the
    wall-clock time is kept, as the other engines give it.
    """
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def _starts_frame(
    starts: Sequence[pd.Timestamp], *, like: nw.LazyFrame, dtype, name: str = PERIOD_START
) -> nw.LazyFrame:
    frame = _literal_frame(
        {name: [pd.Timestamp(s).to_pydatetime() for s in starts]},
        like=like,
        schema={name: nw.Datetime("us")},
    )
    return frame.with_columns(nw.col(name).cast(dtype))


def _period_grid(
    frame: nw.LazyFrame,
    date_column: str,
    *,
    freq: str,
    fiscal_year_start: int,
    by: Sequence[str],
    start=None,
    end=None,
) -> nw.LazyFrame:
    """Every period from the first to the last date of ``date_column`` × every group.

    ``frame`` must already hold ``period_start``; ``start``/``end`` (dates)
    widen the range. Groups are the distinct combinations of ``by`` in ``frame``.
    """
    lo, hi = _bounds(frame, date_column)
    if start is not None:
        lo = pd.Timestamp(start) if lo is None else min(lo, pd.Timestamp(start))
    if end is not None:
        hi = pd.Timestamp(end) if hi is None else max(hi, pd.Timestamp(end))
    periods = (
        []
        if lo is None or hi is None
        else period_range(lo, hi, freq=freq, fiscal_year_start=fiscal_year_start)
    )
    dtype = frame.collect_schema()[PERIOD_START]
    grid = _starts_frame([p.start for p in periods], like=frame, dtype=dtype)
    if by:
        grid = grid.join(frame.select(list(by)).unique(), how="cross")
    return grid


def _complete(
    out: nw.LazyFrame,
    grid: nw.LazyFrame,
    *,
    by: Sequence[str],
    counts: Sequence[str] = (),
    on: Sequence[str] = (PERIOD_START,),
) -> nw.LazyFrame:
    """Left-join the aggregated ``out`` onto ``grid``; empty cells get count 0."""
    res = _join(grid, out, on=list(on), by=by, how="left")
    if counts:
        res = res.with_columns(nw.col(c).fill_null(0).cast(nw.Int64) for c in counts)
    return res


def _period_table(
    frame: nw.LazyFrame,
    date_column: str,
    *,
    freq: str | None,
    fiscal_year_start: int,
    by: Sequence[str],
    aggs: Sequence[nw.Expr],
    counts: Sequence[str],
    complete: bool = True,
) -> nw.LazyFrame:
    """Aggregate ``frame`` per period of ``date_column`` (or overall) and group.

    With ``freq`` None: one row per group (all rows). Otherwise rows whose date
    is missing are dropped and, with ``complete``, the result is completed to
    the period × group grid with zero counts.
    """
    by = list(by)
    if freq is None:
        out = _aggregate(frame, by, *aggs)
        return out.with_columns(nw.col(c).fill_null(0).cast(nw.Int64) for c in counts)
    frame = with_period(
        frame.filter(~nw.col(date_column).is_null()),
        date_column,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
    )
    out = _aggregate(frame, [PERIOD_START, *by], *aggs)
    if not complete:
        return out.with_columns(nw.col(c).cast(nw.Int64) for c in counts)
    grid = _period_grid(frame, date_column, freq=freq, fiscal_year_start=fiscal_year_start, by=by)
    return _complete(out, grid, by=by, counts=counts)


def _compare(
    out: nw.LazyFrame, measures: Sequence[str], *, by, freq, fiscal_year_start, comparisons: bool
) -> nw.LazyFrame:
    if freq is None or not comparisons:
        return out
    return add_comparisons(
        out, list(measures), by=list(by), freq=freq, fiscal_year_start=fiscal_year_start
    )


def _finish(out: nw.LazyFrame, *, by, freq, fiscal_year_start, like):
    out = finish(out, by=list(by), freq=freq, fiscal_year_start=fiscal_year_start)
    return close_frame(out, like=like)


def _note(*cases: tuple[nw.Expr, str]) -> nw.Expr:
    """A text column: the message of the first true condition, else missing."""
    cond, text = cases[0]
    expr = nw.when(cond).then(nw.lit(text))
    for cond, text in cases[1:]:
        expr = expr.when(cond).then(nw.lit(text))
    return expr.alias("note")


def _flag(cond: nw.Expr) -> nw.Expr:
    """A 0/1 integer column from a condition (missing counts as 0)."""
    return nw.when(cond).then(nw.lit(1)).otherwise(nw.lit(0)).cast(nw.Int64)


def _check_by_not_reserved(by: Sequence[str], reserved: Sequence[str]) -> None:
    clash = [c for c in by if c in reserved]
    if clash:
        raise ValueError(f"by= may not use the output column name(s) {clash}")


def _created_by(as_of) -> nw.Expr:
    """Deals created by the end of day ``as_of``; a deal without ``created_at`` counts.

    CRMs may export open deals without a creation date: such a deal is in the
    table, so it is taken as created by ``as_of``.
    """
    return (nw.col("created_at") < nw.lit(_day_after(as_of))) | nw.col("created_at").is_null()


def _open_at(as_of) -> nw.Expr:
    """Deals open at the end of day ``as_of``: created by then, not closed by then.

    A deal is open at ``as_of`` when it was created by then (:func:`_created_by`)
    and either its status is ``open`` or it was closed after ``as_of``
    (``closed_at > as_of``).
    """
    end = _day_after(as_of)
    closed_later = ~nw.col("closed_at").is_null() & (nw.col("closed_at") >= nw.lit(end))
    return _created_by(as_of) & ((nw.col("status") == "open") | closed_later)


def _status_open_at(names, as_of) -> nw.Expr:
    if "closed_at" in names:
        return _open_at(as_of)
    return (nw.col("status") == "open") & _created_by(as_of)


def _incomplete_start(as_of, freq: str, fiscal_year_start: int) -> pd.Timestamp | None:
    """Start of the period containing ``as_of`` if that period is not over at ``as_of``."""
    if as_of is None:
        return None
    per = Period.containing(as_of, freq=freq, fiscal_year_start=fiscal_year_start)
    return None if per.last_day <= pd.Timestamp(as_of).normalize() else per.start


def _percentile_name(q: float) -> str:
    text = f"{q * 100:g}".replace(".", "_")
    return f"p{text}_days"
