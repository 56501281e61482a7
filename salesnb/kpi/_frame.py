"""Shared narwhals plumbing for the KPI modules (not public API).

API note for KPI authors
------------------------
Every KPI is written once against narwhals and follows the same steps::

    def my_kpi(orders, *, freq="quarter", by=None, fiscal_year_start=1, reps=None):
        by = as_list(by)
        frame = open_frame(orders, table="orders", required=["order_date", "amount"])
        frame = attach_columns(frame, by, table="orders",
                               lookups={"reps": (reps, "rep_id")})
        frame = with_period(frame, "order_date", freq=freq,
                            fiscal_year_start=fiscal_year_start)
        out = frame.group_by([PERIOD_START, *by]).agg(nw.col("amount").sum())
        out = add_comparisons(out, ["amount"], by=by, freq=freq,
                              fiscal_year_start=fiscal_year_start)
        out = finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start)
        return close_frame(out, like=orders)

:func:`open_frame`
    accepts a pandas / polars DataFrame, a polars LazyFrame or a DuckDB
    relation (anything :func:`narwhals.from_native` takes), checks the
    required columns (:class:`MissingColumnsError` names the missing ones) and
    returns a ``narwhals.LazyFrame`` (eager inputs are wrapped lazily: polars
    runs its lazy engine, pandas still computes eagerly step by step).
:func:`close_frame`
    turns the result back into the kind of the input: pandas in -> pandas out
    (fresh ``RangeIndex``), polars DataFrame -> polars DataFrame, LazyFrame ->
    LazyFrame, DuckDB relation -> DuckDB relation (nothing is computed).
:func:`align_backend`
    brings a second table (reps, customers, targets, ...) onto the backend of
    the main frame, so mixed inputs (polars orders, pandas reps) work.
:func:`attach_columns`
    for ``by=`` columns absent from the main table, left-joins them from
    lookup tables such as ``reps`` (key ``rep_id``) or ``customers`` (key
    ``customer_id``); the error names the tables searched.
:func:`with_period`
    adds ``period_start`` (datetime, first day of the period) from a date
    column, using :func:`salesnb.periods.period_start_expr`.
:func:`add_comparisons`
    on an aggregated frame (one row per ``period_start`` and group) adds
    ``<col>_prev``, ``<col>_change``, ``<col>_change_pct`` (previous period) and
    ``<col>_ly``, ``<col>_yoy``, ``<col>_yoy_pct`` (same period last year).
    The comparison row is found by the period *label* (not the previous row),
    so gaps give a missing value; null group keys match each other.
:func:`ratio`
    ``num / den`` that is missing (NaN in pandas, null in polars) when the
    denominator is 0 or missing, never ``inf``.
:func:`finish`
    adds the ``period`` label, puts ``period, period_start, *by`` first and
    sorts by period then group (nulls last; categorical columns by their text,
    see :func:`sort_rows`).

Also: :func:`drop_cancelled` (orders whose ``status`` is ``"cancelled"``),
:func:`as_datetime` (a date for ``nw.lit``), :func:`days_between` (fractional
days between two datetime expressions), :func:`sort_rows` (sort, nulls last,
categoricals by text), :func:`column_names`, :func:`require_columns`,
:func:`encode_keys` (pandas only: an id column used only as a grouping key
becomes integer codes, so it is hashed once, not at every group-by).

Keep ``group_by(...).agg(...)`` aggregations simple (``nw.col(c).sum()``,
``.mean()``, ``.median()``, ``.n_unique()``, ``nw.len()``), derive inputs in a
``with_columns`` before and cast/divide after, so pandas runs a plain
``groupby().agg`` (narwhals warns about slow "complex group-by expressions").

Lazy inputs: every KPI built this way works on a polars LazyFrame or a DuckDB
relation without computing anything (only the schema is read, to check
columns); the caller collects. A second table of another backend (pandas
``reps`` with polars ``orders``) is converted with :func:`align_backend`,
which does compute that (small) table.

Output conventions: columns ``period`` (label, e.g. ``"2025Q3"``) and
``period_start`` (datetime) come first, then the ``by`` columns, then the
measures; counts are ``Int64``, money and rates ``Float64``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence

import narwhals as nw
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesnb.errors import MissingColumnsError
from salesnb.periods import (
    normalize_freq,
    period_label_expr,
    period_start_expr,
    same_period_last_year_label_expr,
)

__all__ = [
    "PERIOD",
    "PERIOD_START",
    "MissingColumnsError",
    "open_frame",
    "close_frame",
    "align_backend",
    "frame_from_arrow",
    "SUPPORTED_ENGINES",
    "column_names",
    "require_columns",
    "as_list",
    "attach_columns",
    "with_period",
    "add_period_label",
    "add_comparisons",
    "ratio",
    "finish",
    "sort_rows",
    "drop_cancelled",
    "as_datetime",
    "days_between",
    "encode_keys",
]

PERIOD = "period"
PERIOD_START = "period_start"


def _is_lazy(native) -> bool:
    return isinstance(nw.from_native(native), nw.LazyFrame)


#: The engines the KPIs are written and tested for (named in errors).
SUPPORTED_ENGINES = (
    "pandas DataFrame, polars DataFrame or LazyFrame, DuckDB relation (any connection) "
    "or PySpark DataFrame"
)


def _unsupported(data, table: str) -> TypeError:
    kind = type(data)
    return TypeError(
        f"{table} must be a {SUPPORTED_ENGINES}; got {kind.__module__}.{kind.__name__} "
        "(Dask is not supported: use DuckDB, polars or PySpark for data larger than memory)"
    )


def open_frame(data, *, table: str, required: Iterable[str] = ()) -> nw.LazyFrame:
    """Wrap a native frame as a ``narwhals.LazyFrame`` and check its columns.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame, polars.LazyFrame, DuckDB relation or PySpark DataFrame
    table : str
        Name of the table for messages (``"orders"``).
    required : iterable of str
        Columns that must be present.

    Raises
    ------
    TypeError
        When ``data`` is not a frame of a supported engine (Dask, Ibis and any
        object that is not a data frame); the message names the type received
        and the supported engines.
    MissingColumnsError
        When a required column is absent.
    """
    try:
        frame = nw.from_native(data)
    except TypeError:
        raise _unsupported(data, table) from None
    if not isinstance(frame, nw.LazyFrame | nw.DataFrame):
        raise _unsupported(data, table)
    impl = frame.implementation
    if impl.is_dask() or impl.is_ibis():
        raise _unsupported(data, table)
    lazy = frame.lazy() if isinstance(frame, nw.DataFrame) else frame
    require_columns(lazy, required, table=table)
    return lazy


def close_frame(result: nw.LazyFrame | nw.DataFrame, *, like):
    """Return ``result`` as the same kind of native object as ``like``.

    Eager ``like`` -> the result is collected (pandas results get a fresh
    ``RangeIndex``); lazy ``like`` -> the native lazy object is returned.
    """
    if _is_lazy(like):
        return nw.to_native(result)
    if isinstance(result, nw.LazyFrame):
        result = result.collect()
    native = nw.to_native(result)
    if isinstance(native, pd.DataFrame):
        native = native.reset_index(drop=True)
        native.columns.name = None
    return native


def align_backend(data, like: nw.LazyFrame, *, table: str) -> nw.LazyFrame:
    """Open a second table on the same backend as ``like`` (converting if needed).

    A table of another backend is computed (it is a small lookup table such as
    ``reps``) and rebuilt with :func:`frame_from_arrow` on the backend,
    connection or session of ``like``.
    """
    other = open_frame(data, table=table)
    target = like.implementation
    if other.implementation == target:
        return other
    eager = other.collect()
    if target.is_pandas():
        return nw.from_native(eager.to_pandas()).lazy()
    if target.is_polars():
        return nw.from_native(eager.to_polars()).lazy()
    return frame_from_arrow(eager.to_arrow(), like=like)


def frame_from_arrow(table: pa.Table, *, like: nw.LazyFrame) -> nw.LazyFrame:
    """A lazy frame holding the Arrow ``table`` on the backend of ``like``.

    The frame is created where ``like`` lives, so the two can be joined:
    pandas and polars frames in memory; a DuckDB relation on the connection
    of ``like`` (through the relation's own ``query``, which runs on its
    connection: a relation from ``duckdb.connect()`` cannot be joined with
    one of the default connection); a Spark DataFrame in the session of
    ``like`` (``DataFrame.sparkSession``). polars is not needed for DuckDB or
    Spark.
    """
    impl = like.implementation
    if impl.is_pandas():
        return nw.from_native(table.to_pandas()).lazy()
    if impl.is_polars():
        return nw.from_native(table, eager_only=True).lazy(backend=impl)
    native = nw.to_native(like)
    if impl.is_duckdb():
        return nw.from_native(_duckdb_relation(native, table))
    if impl.is_spark_like():
        session = native.sparkSession
        return nw.from_native(table, eager_only=True).lazy(backend=impl, session=session)
    raise TypeError(f"cannot create a helper table on {impl}; expected {SUPPORTED_ENGINES}")


def _duckdb_relation(relation, table: pa.Table):
    """The Arrow ``table`` as a relation on the connection of ``relation``.

    ``DuckDBPyRelation.query`` runs its SQL on the relation's connection; the
    SQL names the local variable ``__salesnb_arrow``, which DuckDB reads by
    its replacement scan of Python objects (the table stays referenced by the
    new relation).
    """
    __salesnb_arrow = table  # noqa: F841 - read by DuckDB's replacement scan
    return relation.query("__salesnb_like", "SELECT * FROM __salesnb_arrow")


def column_names(frame: nw.LazyFrame | nw.DataFrame) -> list[str]:
    """Column names of a narwhals frame (no data is computed)."""
    return list(frame.collect_schema().names())


def require_columns(frame, columns: Iterable[str], *, table: str) -> None:
    """Raise :class:`MissingColumnsError` naming the ``columns`` absent from ``frame``."""
    present = column_names(frame)
    missing = [c for c in dict.fromkeys(columns) if c not in present]
    if missing:
        raise MissingColumnsError(
            f"{table} is missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"it has: {', '.join(present) or '(no columns)'}"
        )


def as_list(by) -> list[str]:
    """Normalise a ``by=`` argument: None -> [], "region" -> ["region"], tuple -> list."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    out = list(by)
    if not all(isinstance(c, str) for c in out):
        raise TypeError(f"by must be a column name or a list of column names, got {by!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"by lists a column twice: {out}")
    return out


def attach_columns(
    frame: nw.LazyFrame,
    columns: Sequence[str],
    *,
    table: str,
    lookups: Mapping[str, tuple[object, str]],
) -> nw.LazyFrame:
    """Left-join the ``columns`` missing from ``frame`` from lookup tables.

    Parameters
    ----------
    frame : narwhals.LazyFrame
        Main table.
    columns : list of str
        Columns the caller needs (typically ``by``); those already in ``frame``
        are left alone.
    table : str
        Name of the main table for messages.
    lookups : mapping name -> (native frame or None, key column)
        Tried in order, e.g. ``{"reps": (reps, "rep_id"), "customers":
        (customers, "customer_id")}``. A lookup is keyed by its key column; if a
        key occurs more than once its first row is used.

    Raises
    ------
    MissingColumnsError
        When a column is in neither the main table nor a given lookup table.
    """
    present = column_names(frame)
    missing = [c for c in columns if c not in present]
    if not missing:
        return frame
    opened: dict[str, tuple[nw.LazyFrame, str, list[str]]] = {}
    for name, (data, key) in lookups.items():
        if data is not None:
            lf = align_backend(data, frame, table=name)
            opened[name] = (lf, key, column_names(lf))
    wanted: dict[str, list[str]] = {}
    for column in missing:
        for name, (_, key, names) in opened.items():
            if column in names and key in present:
                wanted.setdefault(name, []).append(column)
                break
        else:
            hints = ", ".join(f"{name}= (joined on {key})" for name, (_, key) in lookups.items())
            given = ", ".join(opened) or "none given"
            raise MissingColumnsError(
                f"column {column!r} is not in {table} (it has: {', '.join(present)}) nor in "
                f"the lookup tables passed ({given}); pass a table holding it: {hints}"
            )
    for name, cols in wanted.items():
        lf, key, _ = opened[name]
        lookup = lf.select(key, *cols).unique(subset=[key], keep="any")
        frame = frame.join(lookup, on=key, how="left")
    return frame


def with_period(
    frame: nw.LazyFrame,
    date_column: str,
    *,
    freq: str,
    fiscal_year_start: int = 1,
    name: str = PERIOD_START,
) -> nw.LazyFrame:
    """Add column ``name`` (default ``period_start``): start of the period of ``date_column``."""
    return frame.with_columns(
        period_start_expr(date_column, freq=freq, fiscal_year_start=fiscal_year_start).alias(name)
    )


def add_period_label(
    frame: nw.LazyFrame,
    *,
    freq: str,
    fiscal_year_start: int = 1,
    start: str = PERIOD_START,
    name: str = PERIOD,
) -> nw.LazyFrame:
    """Add the period label column ``name`` computed from the date column ``start``."""
    return frame.with_columns(
        period_label_expr(start, freq=freq, fiscal_year_start=fiscal_year_start).alias(name)
    )


def ratio(numerator, denominator) -> nw.Expr:
    """``numerator / denominator``, missing when the denominator is 0 or missing.

    Accepts column names or expressions. The result is a float column; it is
    never ``inf``.
    """
    num = nw.col(numerator) if isinstance(numerator, str) else numerator
    den = nw.col(denominator) if isinstance(denominator, str) else denominator
    return nw.when(den != 0).then(num.cast(nw.Float64) / den.cast(nw.Float64))


def _key_columns(by: Sequence[str]) -> dict[str, nw.Expr]:
    # join keys as text with an explicit marker for null, so that null groups
    # match each other on every backend (pandas merges NaN with NaN, polars and
    # DuckDB never match nulls)
    return {f"__key_{i}": nw.col(c).cast(nw.String).fill_null("\x00null") for i, c in enumerate(by)}


def add_comparisons(
    frame: nw.LazyFrame,
    columns: Sequence[str],
    *,
    by: Sequence[str] = (),
    freq: str,
    fiscal_year_start: int = 1,
    previous: bool = True,
    last_year: bool = True,
) -> nw.LazyFrame:
    """Add previous-period and same-period-last-year comparisons of ``columns``.

    ``frame`` holds one row per ``period_start`` and ``by`` group. For each
    column ``c``:

    - ``c_prev``: value of the same group in the previous period (by label);
    - ``c_change = c - c_prev``;
    - ``c_change_pct = (c - c_prev) / |c_prev|``;
    - ``c_ly``: value of the same group in the same period last year;
    - ``c_yoy = c - c_ly`` and ``c_yoy_pct = (c - c_ly) / |c_ly|``.

    A group absent from the compared period gives missing ``c_prev``/``c_ly``
    and missing changes; a zero or missing base gives a missing ``*_pct``.
    """
    by = list(by)
    freq = normalize_freq(freq)
    keys = _key_columns(by)
    key_names = list(keys)
    label = period_label_expr(PERIOD_START, freq=freq, fiscal_year_start=fiscal_year_start)
    out = _shared(frame.with_columns(__label=label, **keys))
    specs = []
    if previous:
        specs.append(
            (
                "prev",
                "change",
                period_label_expr(
                    PERIOD_START, freq=freq, fiscal_year_start=fiscal_year_start, shift=-1
                ),
            )
        )
    if last_year:
        specs.append(
            (
                "ly",
                "yoy",
                same_period_last_year_label_expr(
                    PERIOD_START, freq=freq, fiscal_year_start=fiscal_year_start
                ),
            )
        )
    base = out.select("__label", *key_names, *columns)
    for suffix, change, target in specs:
        lookup = base.rename({"__label": "__target", **{c: f"{c}_{suffix}" for c in columns}})
        out = (
            out.with_columns(__target=target)
            .join(lookup, on=["__target", *key_names], how="left")
            .drop("__target")
        )
        out = out.with_columns(
            **{f"{c}_{change}": nw.col(c) - nw.col(f"{c}_{suffix}") for c in columns},
            **{
                f"{c}_{change}_pct": ratio(
                    nw.col(c) - nw.col(f"{c}_{suffix}"), nw.col(f"{c}_{suffix}").abs()
                )
                for c in columns
            },
        )
    return out.drop("__label", *key_names)


def _shared(frame: nw.LazyFrame) -> nw.LazyFrame:
    """Make a frame that is joined with itself be computed once.

    ``frame`` is an aggregate (one row per period and group, small). polars:
    marked with ``cache()`` (still lazy). DuckDB: the relational API writes
    every reference to a relation as a separate ``NOT MATERIALIZED`` CTE, so
    a self-join would scan and aggregate the input once per reference (three
    times for previous-period and last-year comparisons); the aggregate is
    computed here and held as a relation on the same connection
    (:func:`frame_from_arrow`). Other engines are left as they are (Spark
    reuses identical exchanges itself).
    """
    native = nw.to_native(frame)
    impl = frame.implementation
    cache = getattr(native, "cache", None)
    if impl.is_polars() and callable(cache):
        return nw.from_native(cache())
    if impl.is_duckdb():
        return frame_from_arrow(frame.collect(backend="pyarrow").to_native(), like=frame)
    return frame


def finish(
    frame: nw.LazyFrame,
    *,
    by: Sequence[str] = (),
    freq: str | None = None,
    fiscal_year_start: int = 1,
    columns: Sequence[str] | None = None,
) -> nw.LazyFrame:
    """Label the periods, order the columns and sort the rows.

    With ``freq`` given, adds the ``period`` label from ``period_start``. The
    result has ``period``, ``period_start`` (when present), the ``by`` columns,
    then ``columns`` (default: all other columns in their order), sorted by
    ``period_start`` (or ``period``) and then ``by``, nulls last.
    """
    by = list(by)
    if freq is not None:
        frame = add_period_label(frame, freq=freq, fiscal_year_start=fiscal_year_start)
    names = column_names(frame)
    lead = [c for c in (PERIOD, PERIOD_START) if c in names]
    if columns is None:
        columns = [c for c in names if c not in lead and c not in by]
    order = [*lead, *by, *[c for c in columns if c not in lead and c not in by]]
    period_key = [PERIOD_START] if PERIOD_START in names else [PERIOD] if PERIOD in names else []
    sort_keys = [*period_key, *by]
    frame = frame.select(order)
    if sort_keys:
        frame = sort_rows(frame, sort_keys)
    return frame


def sort_rows(frame: nw.LazyFrame, keys: Sequence[str]) -> nw.LazyFrame:
    """Sort by ``keys``, nulls last; categorical keys sort by their text, as on every engine.

    (pandas would sort a categorical by the order of its categories.)
    """
    schema = frame.collect_schema()
    text_keys = {
        k: f"__sort_{i}" for i, k in enumerate(keys) if schema[k] in (nw.Categorical, nw.Enum)
    }
    if not text_keys:
        return frame.sort(list(keys), nulls_last=True)
    frame = frame.with_columns(nw.col(k).cast(nw.String).alias(t) for k, t in text_keys.items())
    return frame.sort([text_keys.get(k, k) for k in keys], nulls_last=True).drop(
        *text_keys.values()
    )


def drop_cancelled(frame: nw.LazyFrame, *, include_cancelled: bool = False) -> nw.LazyFrame:
    """Remove rows whose ``status`` is ``"cancelled"`` (unless ``include_cancelled``).

    Rows with a missing status are kept; a table without a ``status`` column is
    returned unchanged.
    """
    if include_cancelled or "status" not in column_names(frame):
        return frame
    return frame.filter((nw.col("status") != "cancelled") | nw.col("status").is_null())


def as_datetime(value) -> _dt.datetime:
    """A plain ``datetime`` (midnight for dates) usable in ``nw.lit`` on every backend."""
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"expected a date, got {value!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.to_pydatetime()


def days_between(later, earlier, *, like: nw.LazyFrame | None = None) -> nw.Expr:
    """``later - earlier`` in (fractional) days as a float expression.

    ``like`` is the frame the expression is for: on Spark (which has no
    duration type to take ``total_seconds`` of) both instants are turned into
    seconds since 1970 from their calendar fields (:func:`_epoch_seconds`);
    other engines subtract the datetimes.
    """
    a = nw.col(later) if isinstance(later, str) else later
    b = nw.col(earlier) if isinstance(earlier, str) else earlier
    if like is not None and like.implementation.is_spark_like():
        return (_epoch_seconds(a) - _epoch_seconds(b)) / 86400.0
    return (a - b).dt.total_seconds().cast(nw.Float64) / 86400.0


def _epoch_seconds(value: nw.Expr) -> nw.Expr:
    """Seconds since 1970-01-01 of a datetime expression, from its calendar fields.

    Days from the civil date by H. Hinnant's ``days_from_civil`` (proleptic
    Gregorian calendar, integer arithmetic only), plus the time of day to the
    microsecond. Only field extraction and arithmetic: it runs on every engine,
    for ``TIMESTAMP`` and ``TIMESTAMP_NTZ`` columns alike.
    """
    month = value.dt.month().cast(nw.Int64)
    year = value.dt.year().cast(nw.Int64) - nw.when(month <= 2).then(1).otherwise(0)
    era = year // 400
    yoe = year - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + value.dt.day().cast(nw.Int64) - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    seconds = (
        value.dt.hour().cast(nw.Int64) * 3600
        + value.dt.minute().cast(nw.Int64) * 60
        + value.dt.second().cast(nw.Int64)
    )
    micros = value.dt.microsecond().cast(nw.Float64) / 1e6
    return (days * 86400 + seconds).cast(nw.Float64) + micros


def encode_keys(frame: nw.LazyFrame, columns: Sequence[str]) -> nw.LazyFrame:
    """Replace id columns that only serve as grouping keys by integer codes (pandas only).

    pandas hashes a text key again at every ``group_by`` and ``over`` (on a
    10M-row Arrow string ``customer_id`` that is about 1.5 s each time); the
    codes of one factorisation group identically and hash almost for free.
    Equal values get equal codes, different values different codes, and a
    missing value gets a code of its own, so groups, windows and distinct
    counts over the column are unchanged. Only use it for a column that is not
    in the output and not joined on afterwards. Other backends (polars,
    DuckDB, ...) are returned unchanged: they group text keys natively, and
    lazy frames stay lazy.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = nw.from_native(pd.DataFrame({"id": ["b", "a", None, "b"]})).lazy()
    >>> nw.to_native(encode_keys(frame, ["id"]))["id"].tolist()
    [0, 1, 2, 0]
    """
    if not frame.implementation.is_pandas():
        return frame
    native = nw.to_native(frame)
    codes = [
        nw.new_series(c, _factorize(native[c]), backend="pandas")
        for c in columns
        if not pd.api.types.is_integer_dtype(native[c].dtype)
    ]
    if not codes:
        return frame
    # narwhals' with_columns, not DataFrame.assign: assign consolidates the blocks (a copy)
    return nw.from_native(native, eager_only=True).with_columns(*codes).lazy()


def _factorize(series: pd.Series) -> np.ndarray:
    """Integer codes of ``series``: equal values, equal codes; missing values one code."""
    packed = _pack_short_text(series)
    if packed is None:
        return pd.factorize(series, use_na_sentinel=False)[0]
    # Arrow's hash table is faster than pandas' on these integers (no missing values)
    return pc.dictionary_encode(pa.array(packed)).indices.to_numpy()


def _pack_short_text(series: pd.Series) -> np.ndarray | None:
    """Arrow-backed text whose values all have the same length of at most 8 bytes
    (ids such as ``"C0020555"``), without missing values, as one ``uint64`` per value.

    Same length, so equal bytes <=> equal text: the integers factorise like the
    text, several times faster than hashing the strings. Returns None for any
    other column (the caller factorises it as it is).
    """
    array = getattr(series.array, "_pa_array", None)
    if not isinstance(array, pa.ChunkedArray) or array.null_count or len(array) == 0:
        return None
    if pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type):
        offset_type = np.int64  # the pandas ``str`` dtype
    elif pa.types.is_string(array.type) or pa.types.is_binary(array.type):
        offset_type = np.int32
    else:
        return None
    width = None
    parts = []
    for chunk in array.chunks:
        if len(chunk) == 0:
            continue
        _, offsets_buf, data_buf = chunk.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=offset_type)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        lengths = np.diff(offsets)
        width = int(lengths[0]) if width is None else width
        if not 0 < width <= 8 or (lengths != width).any():
            return None
        data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
        block = np.zeros((len(chunk), 8), dtype=np.uint8)
        block[:, :width] = data.reshape(len(chunk), width)
        parts.append(block.view(np.uint64).ravel())
    return np.concatenate(parts) if parts else None
