"""Cohort retention: the share of each acquisition cohort active k periods later.

As a tidy table (:func:`cohort_retention`) and as a cohort × period-index matrix
(:func:`retention_matrix`).
"""

from __future__ import annotations

import narwhals as nw

from salesnb.kpi._frame import (
    PERIOD_START,
    close_frame,
    finish,
    frame_from_arrow,
    open_frame,
    ratio,
)
from salesnb.kpi._tables import _bounds, _incomplete_start, _literal_frame, _note
from salesnb.kpi.customers.orders import _active
from salesnb.periods import Period, normalize_freq, period_label_expr, period_range

__all__ = ["cohort_retention", "retention_matrix"]


def _cohort_counts(frame: nw.LazyFrame) -> tuple[nw.LazyFrame, nw.LazyFrame]:
    """Cohort sizes (``cohort_start, customers``) and active customers per cohort and
    period (``cohort_start, period_start, active``)."""
    pairs = frame.select("customer_id", PERIOD_START).unique()
    cohorts = pairs.group_by("customer_id").agg(nw.col(PERIOD_START).min().alias("cohort_start"))
    sizes = (
        cohorts.with_columns(__one=nw.lit(1))
        .group_by("cohort_start")
        .agg(nw.col("__one").sum().alias("customers"))
    )
    cells = pairs.join(cohorts, on="customer_id", how="inner").with_columns(__one=nw.lit(1))
    cells = cells.group_by(["cohort_start", PERIOD_START]).agg(
        nw.col("__one").sum().alias("active")
    )
    return sizes, cells


def _last_period(frame: nw.LazyFrame, *, freq, fiscal_year_start, as_of) -> Period | None:
    if as_of is not None:
        return Period.containing(as_of, freq=freq, fiscal_year_start=fiscal_year_start)
    _, hi = _bounds(frame, "order_date")
    if hi is None:
        return None
    return Period.containing(hi, freq=freq, fiscal_year_start=fiscal_year_start)


def _cohort_grid(frame: nw.LazyFrame, *, freq, fiscal_year_start, as_of) -> nw.LazyFrame:
    """``cohort_start, period_index, period_start``: every period from the first cohort to
    the last period, each with itself and all later periods."""
    first, _ = _bounds(frame, "order_date")
    last = _last_period(frame, freq=freq, fiscal_year_start=fiscal_year_start, as_of=as_of)
    dtype = frame.collect_schema()[PERIOD_START]
    rows: dict[str, list] = {"cohort_start": [], "period_index": [], PERIOD_START: []}
    if first is not None and last is not None:
        periods = period_range(first, last, freq=freq, fiscal_year_start=fiscal_year_start)
        for i, cohort in enumerate(periods):
            for k, current in enumerate(periods[i:]):
                rows["cohort_start"].append(cohort.start.to_pydatetime())
                rows["period_index"].append(k)
                rows[PERIOD_START].append(current.start.to_pydatetime())
    grid = _literal_frame(
        rows,
        like=frame,
        schema={
            "cohort_start": nw.Datetime("us"),
            "period_index": nw.Int64(),
            PERIOD_START: nw.Datetime("us"),
        },
    )
    return grid.with_columns(nw.col("cohort_start").cast(dtype), nw.col(PERIOD_START).cast(dtype))


def cohort_retention(
    orders,
    *,
    freq: str = "month",
    as_of=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
):
    """Cohort retention: share of each acquisition cohort active k periods later.

    Cohort of a customer = the period of the customer's first order (in the
    data up to ``as_of``). A customer is *active* in a period when they have
    at least one order in it. For cohort *c* and period index *k* (0 = the
    cohort's own period): ``customers`` = cohort size, ``active`` = cohort
    customers active in period *c + k*, ``retention = active / customers``
    (so ``retention`` is 1 at *k = 0*).

    Every cohort gets every index up to the last period of the data (the one
    containing ``as_of`` when given, else the latest order); a cell without
    orders has ``active = 0``. With ``as_of`` inside a period, that last
    period is incomplete: its cells have ``note = "period incomplete at
    as_of"``.

    Returns
    -------
    DataFrame
        Tidy: ``cohort, cohort_start, period_index, period, period_start,
        customers, active, retention, note`` sorted by cohort and index. See
        :func:`retention_matrix` for the cohort × index table.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["1", "2", "3", "4", "5"],
    ...     "customer_id": ["A", "B", "A", "C", "B"],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-03",
    ...                                   "2025-02-10", "2025-03-01"]),
    ...     "amount": [1.0] * 5,
    ... })
    >>> out = cohort_retention(orders, freq="month")
    >>> print(out[["cohort", "period_index", "customers", "active", "retention"]].to_string())
        cohort  period_index  customers  active  retention
    0  2025-01             0          2       2        1.0
    1  2025-01             1          2       1        0.5
    2  2025-01             2          2       1        0.5
    3  2025-02             0          1       1        1.0
    4  2025-02             1          1       0        0.0
    5  2025-03             0          0       0        NaN
    """
    freq = normalize_freq(freq)
    frame = _active(
        orders,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
        include_cancelled=include_cancelled,
    )
    sizes, cells = _cohort_counts(frame)
    grid = _cohort_grid(frame, freq=freq, fiscal_year_start=fiscal_year_start, as_of=as_of)
    out = grid.join(sizes, on="cohort_start", how="left").join(
        cells, on=["cohort_start", PERIOD_START], how="left"
    )
    out = out.with_columns(
        nw.col("customers").fill_null(0).cast(nw.Int64),
        nw.col("active").fill_null(0).cast(nw.Int64),
    )
    cut = _incomplete_start(as_of, freq, fiscal_year_start)
    cases = [(nw.col("customers") == 0, "no customers acquired in the cohort period")]
    if cut is not None:
        cases.append(
            (nw.col(PERIOD_START) == nw.lit(cut.to_pydatetime()), "period incomplete at as_of")
        )
    out = out.with_columns(retention=ratio("active", "customers"), note=_note(*cases))
    out = finish(out, freq=freq, fiscal_year_start=fiscal_year_start)
    out = (
        out.with_columns(
            cohort=period_label_expr("cohort_start", freq=freq, fiscal_year_start=fiscal_year_start)
        )
        .select(
            "cohort",
            "cohort_start",
            "period_index",
            "period",
            PERIOD_START,
            "customers",
            "active",
            "retention",
            "note",
        )
        .sort(["cohort_start", "period_index"])
    )
    return close_frame(out, like=orders)


def retention_matrix(retention, *, values: str = "retention"):
    """Pivot the tidy :func:`cohort_retention` table: one row per cohort, one column per index.

    Parameters
    ----------
    retention : DataFrame
        Output of :func:`cohort_retention` (pandas or polars).
    values : str, default "retention"
        Column to spread (``"retention"`` or ``"active"``).

    Returns
    -------
    DataFrame
        ``cohort`` then columns ``"0"``, ``"1"``, ... (period index, as text);
        cells after the last period of the data are missing.

    Examples
    --------
    >>> import pandas as pd
    >>> tidy = pd.DataFrame({"cohort": ["2025-01", "2025-01", "2025-02"],
    ...                      "cohort_start": pd.to_datetime(["2025-01-01"] * 2 + ["2025-02-01"]),
    ...                      "period_index": [0, 1, 0], "retention": [1.0, 0.5, 1.0]})
    >>> retention_matrix(tidy)
        cohort    0    1
    0  2025-01  1.0  0.5
    1  2025-02  1.0  NaN
    """
    frame = open_frame(
        retention, table="retention", required=["cohort", "cohort_start", "period_index", values]
    )
    # missing values are carried through the pivot as a sentinel: pandas' pivot
    # would drop a cohort whose cells are all missing
    sentinel = -1.0
    impl = frame.implementation
    native_pivot = impl.is_pandas() or impl.is_polars()
    eager = (
        frame.select(
            "cohort",
            "cohort_start",
            nw.col("period_index").cast(nw.Int64),
            nw.col(values).cast(nw.Float64).fill_null(sentinel).fill_nan(sentinel).alias("__v"),
        )
        .collect(backend=None if native_pivot else "pandas")
        .sort(["period_index", "cohort_start"])
    )
    indexes = sorted(set(eager["period_index"].to_list()))
    wide = eager.with_columns(__col=nw.col("period_index").cast(nw.String)).pivot(
        on="__col", index=["cohort", "cohort_start"], values="__v", aggregate_function="first"
    )
    columns = [str(i) for i in indexes]
    wide = wide.sort("cohort_start").select(
        "cohort", *[nw.when(nw.col(c) != sentinel).then(nw.col(c)).alias(c) for c in columns]
    )
    if isinstance(nw.from_native(retention), nw.LazyFrame):
        out = wide.lazy() if impl.is_polars() else frame_from_arrow(wide.to_arrow(), like=frame)
    else:
        out = wide
    return close_frame(out, like=retention)
