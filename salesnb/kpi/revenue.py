"""Revenue KPIs: revenue and growth, sales volume, new vs recurring revenue,
revenue per customer and per rep, target attainment, forecast accuracy.

Common rules (``orders`` table, see :mod:`salesnb.schema`):

- ``order_date`` decides the period of an order (:mod:`salesnb.periods`).
- Revenue is the sum of ``amount``. Orders with ``status == "cancelled"`` are
  excluded unless ``include_cancelled=True``; rows without a status, or a table
  without a ``status`` column, count.
- ``by=`` takes any column (or list of columns) of ``orders``; a column that is
  only in ``reps`` (e.g. ``team``) or ``customers`` (e.g. ``segment``) is joined
  when that table is passed (``reps=`` on ``rep_id``, ``customers=`` on
  ``customer_id``).
- Inputs may be pandas or polars DataFrames, polars LazyFrames or DuckDB
  relations; the result is of the same kind (lazy in, lazy out, nothing
  computed). Results have one row per period and group, sorted by period and
  group, with ``period`` (label) and ``period_start`` first.
- Ratios with an empty or zero denominator are missing (NaN in pandas, null in
  polars), never 0 or ``inf``.

Examples
--------
On the bundled sample company (West is the region planted to decline):

>>> import salesnb
>>> from salesnb import kpi
>>> data = salesnb.load(salesnb.SAMPLE_DATA)
>>> q = kpi.revenue(data.orders, by="region")
>>> print(q.loc[q["period"] == "2026Q3", ["region", "revenue", "revenue_yoy_pct"]]
...       .round(3).to_string(index=False))
 region   revenue  revenue_yoy_pct
Central 116793.26            0.775
   East 188018.34            0.442
  North 143657.08           -0.058
  South 162453.66            0.567
   West  36844.09           -0.536
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import narwhals as nw

from salesnb.kpi._frame import (
    PERIOD,
    PERIOD_START,
    add_comparisons,
    align_backend,
    as_list,
    attach_columns,
    close_frame,
    column_names,
    drop_cancelled,
    encode_keys,
    finish,
    open_frame,
    ratio,
    require_columns,
    sort_rows,
    with_period,
)
from salesnb.periods import (
    label_pattern,
    normalize_freq,
    period_label_expr,
    period_start_from_label_expr,
)
from salesnb.schema import TARGET_LEVELS

__all__ = [
    "revenue",
    "sales_volume",
    "new_vs_recurring_revenue",
    "revenue_per_customer",
    "revenue_per_rep",
    "target_attainment",
    "actual_vs_projected",
    "forecast_accuracy",
]

logger = logging.getLogger(__name__)


def _orders(
    orders,
    *,
    required: Sequence[str],
    by: Sequence[str],
    include_cancelled: bool,
    reps=None,
    customers=None,
    extra: Sequence[str] = (),
) -> nw.LazyFrame:
    """Open ``orders``, keep the needed columns, drop cancelled rows, join lookups."""
    frame = open_frame(orders, table="orders", required=required)
    present = column_names(frame)
    keep = [*required, *extra, *by, "status"]
    if any(c not in present for c in by):  # join keys of the lookup tables
        keep += ["rep_id", "customer_id"]
    frame = frame.select([c for c in dict.fromkeys(keep) if c in present])
    frame = drop_cancelled(frame, include_cancelled=include_cancelled)
    return attach_columns(
        frame,
        by,
        table="orders",
        lookups={"reps": (reps, "rep_id"), "customers": (customers, "customer_id")},
    )


def revenue(
    orders,
    *,
    freq: str = "quarter",
    by=None,
    fiscal_year_start: int = 1,
    compare: bool = True,
    include_cancelled: bool = False,
    reps=None,
    customers=None,
):
    """Revenue per period and group, with growth vs previous period and last year.

    Formula: ``revenue = sum(amount)`` over the orders whose ``order_date``
    falls in the period (cancelled orders excluded unless
    ``include_cancelled``).

    Comparisons (``compare=True``) look up the same group in the period named
    by the previous label and by the same label one year earlier — not the
    previous row — so gaps are honest:

    - ``revenue_prev``, ``revenue_change = revenue - revenue_prev``,
      ``revenue_change_pct = revenue_change / revenue_prev``;
    - ``revenue_ly``, ``revenue_yoy = revenue - revenue_ly``,
      ``revenue_yoy_pct = revenue_yoy / revenue_ly``.

    A group with no counted order in the compared period has no row there, so
    its ``*_prev`` / ``*_ly`` and changes are missing; a zero base gives a
    missing ``*_pct`` (never ``inf``).

    Parameters
    ----------
    orders : DataFrame or lazy frame
        Needs ``order_date``, ``amount``; ``status`` is used when present.
    freq : {"week", "month", "quarter", "half", "year"}, default "quarter"
    by : str or list of str, optional
        Grouping columns (of ``orders``, or of ``reps`` / ``customers``).
    fiscal_year_start : int, default 1
        First month of the fiscal year (see :mod:`salesnb.periods`).
    compare : bool, default True
        Add the comparison columns.
    include_cancelled : bool, default False
        Count cancelled orders as revenue.
    reps, customers : DataFrame, optional
        Lookup tables for ``by`` columns not in ``orders``.

    Returns
    -------
    Same kind as ``orders``
        ``period, period_start, *by, revenue`` (+ comparison columns).

    Raises
    ------
    MissingColumnsError
        When a required or ``by`` column is absent.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["o1", "o2", "o3", "o4"],
    ...     "order_date": pd.to_datetime(["2024-02-10", "2024-05-03", "2025-02-01",
    ...                                   "2025-02-20"]),
    ...     "amount": [100.0, 50.0, 150.0, 80.0],
    ...     "status": ["fulfilled", "fulfilled", "placed", "cancelled"],
    ... })
    >>> out = revenue(orders, freq="quarter")
    >>> out[["period", "revenue", "revenue_prev", "revenue_ly", "revenue_yoy_pct"]]
       period  revenue  revenue_prev  revenue_ly  revenue_yoy_pct
    0  2024Q1    100.0           NaN         NaN              NaN
    1  2024Q2     50.0         100.0         NaN              NaN
    2  2025Q1    150.0           NaN       100.0              0.5
    """
    by = as_list(by)
    freq = normalize_freq(freq)
    frame = _orders(
        orders,
        required=["order_date", "amount"],
        by=by,
        include_cancelled=include_cancelled,
        reps=reps,
        customers=customers,
    )
    frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    out = frame.group_by([PERIOD_START, *by]).agg(nw.col("amount").sum().alias("revenue"))
    out = out.with_columns(nw.col("revenue").cast(nw.Float64))
    if compare:
        out = add_comparisons(
            out, ["revenue"], by=by, freq=freq, fiscal_year_start=fiscal_year_start
        )
    out = finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start)
    return close_frame(out, like=orders)


def sales_volume(
    orders,
    *,
    freq: str = "quarter",
    by=("region", "channel"),
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
    reps=None,
    customers=None,
):
    """Sales volume per period and group (default region × channel): revenue, orders, units.

    Formulas, over the counted orders of the period (``order_date``):

    - ``revenue = sum(amount)``;
    - ``orders = number of distinct order_id`` (an order whose lines fall in two
      groups counts in each);
    - ``units = sum(quantity)`` (missing when ``orders`` has no ``quantity``);
    - ``revenue_share = revenue / revenue of the group's parent``, where the
      parent is the period and all ``by`` columns but the last: with the default
      ``by=("region", "channel")`` it is the store/online share within each
      region; with one ``by`` column the share of the period total. A parent
      with zero revenue gives a missing share.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["o1", "o2", "o3", "o4"],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-02-11",
    ...                                   "2025-03-30"]),
    ...     "region": ["North", "North", "North", "South"],
    ...     "channel": ["store", "online", "online", "online"],
    ...     "quantity": [1.0, 2.0, 1.0, 5.0],
    ...     "amount": [60.0, 30.0, 10.0, 50.0],
    ... })
    >>> sales_volume(orders)[["region", "channel", "revenue", "orders", "units",
    ...                       "revenue_share"]]
      region channel  revenue  orders  units  revenue_share
    0  North  online     40.0       2    3.0            0.4
    1  North   store     60.0       1    1.0            0.6
    2  South  online     50.0       1    5.0            1.0
    """
    by = as_list(by)
    freq = normalize_freq(freq)
    frame = _orders(
        orders,
        required=["order_id", "order_date", "amount"],
        by=by,
        include_cancelled=include_cancelled,
        reps=reps,
        customers=customers,
        extra=["quantity"],
    )
    has_quantity = "quantity" in column_names(frame)
    if not has_quantity:
        frame = frame.with_columns(quantity=nw.lit(None, dtype=nw.Float64))
    frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    out = frame.group_by([PERIOD_START, *by]).agg(
        nw.col("amount").sum().alias("revenue"),
        nw.col("order_id").n_unique().alias("orders"),
        nw.col("quantity").sum().alias("units"),
    )
    out = out.with_columns(
        nw.col("revenue").cast(nw.Float64),
        nw.col("orders").cast(nw.Int64),
        (
            nw.col("units").cast(nw.Float64)
            if has_quantity
            else nw.lit(None, dtype=nw.Float64).alias("units")
        ),
    )
    parent = [PERIOD_START, *by[:-1]]
    out = out.with_columns(
        revenue_share=ratio(nw.col("revenue"), nw.col("revenue").sum().over(*parent))
    )
    out = finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start)
    return close_frame(out, like=orders)


def new_vs_recurring_revenue(
    orders,
    *,
    freq: str = "quarter",
    by=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
    reps=None,
    customers=None,
):
    """Revenue from new vs recurring customers per period.

    A customer's *first period* is the period of their earliest counted order
    in the whole table (all time, all groups; cancelled orders do not count
    unless ``include_cancelled``). **All** of a customer's orders in their first
    period are *new* revenue (a customer who orders twice in their first
    quarter brings new revenue twice); orders in any later period are
    *recurring*. Note that the first period depends on the data's start:
    customers active before the table begins look new in its first period.

    Columns: ``new_revenue``, ``recurring_revenue``, ``revenue`` (their sum),
    ``new_customers`` / ``recurring_customers`` (distinct customers with
    new / recurring orders in the period and group) and
    ``new_share = new_revenue / revenue`` (missing when revenue is 0).

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["o1", "o2", "o3", "o4"],
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-04-02",
    ...                                   "2025-05-01"]),
    ...     "amount": [10.0, 20.0, 30.0, 40.0],
    ... })
    >>> out = new_vs_recurring_revenue(orders)
    >>> print(out[["period", "new_revenue", "recurring_revenue", "new_customers",
    ...            "recurring_customers", "new_share"]].to_string())
       period  new_revenue  recurring_revenue  new_customers  recurring_customers  new_share
    0  2025Q1         30.0                0.0              1                    0   1.000000
    1  2025Q2         40.0               30.0              1                    1   0.571429
    """
    by = as_list(by)
    freq = normalize_freq(freq)
    frame = _orders(
        orders,
        required=["customer_id", "order_date", "amount"],
        by=by,
        include_cancelled=include_cancelled,
        reps=reps,
        customers=customers,
    )
    frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    if "customer_id" not in by:  # pandas: hash the ids once, not at the group-by and the window
        frame = encode_keys(frame, ["customer_id"])
    # one row per customer, period and group: far fewer rows than orders
    per_customer = frame.group_by(["customer_id", PERIOD_START, *by]).agg(nw.col("amount").sum())
    # the customer's first period: polars is faster with a group-by and join, pandas
    # (no merge; the window over the integer codes is cheap) and SQL engines with a window
    if per_customer.implementation.is_polars():
        first = per_customer.group_by("customer_id").agg(
            nw.col(PERIOD_START).min().alias("__first")
        )
        per_customer = per_customer.join(first, on="customer_id", how="left")
    else:
        per_customer = per_customer.with_columns(
            __first=nw.col(PERIOD_START).min().over("customer_id")
        )
    per_customer = per_customer.with_columns(__new=nw.col(PERIOD_START) == nw.col("__first"))
    per_customer = per_customer.with_columns(
        new_revenue=nw.when(nw.col("__new")).then(nw.col("amount")).otherwise(nw.lit(0.0)),
        recurring_revenue=nw.when(nw.col("__new")).then(nw.lit(0.0)).otherwise(nw.col("amount")),
        new_customers=nw.col("__new").cast(nw.Int64),
        recurring_customers=(~nw.col("__new")).cast(nw.Int64),
    )
    out = per_customer.group_by([PERIOD_START, *by]).agg(
        nw.col("new_revenue").sum(),
        nw.col("recurring_revenue").sum(),
        nw.col("new_customers").sum(),
        nw.col("recurring_customers").sum(),
    )
    out = out.with_columns(
        nw.col("new_revenue").cast(nw.Float64),
        nw.col("recurring_revenue").cast(nw.Float64),
        nw.col("new_customers").cast(nw.Int64),
        nw.col("recurring_customers").cast(nw.Int64),
        revenue=(nw.col("new_revenue") + nw.col("recurring_revenue")).cast(nw.Float64),
    ).with_columns(new_share=ratio("new_revenue", "revenue"))
    out = finish(
        out,
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        columns=[
            "new_revenue",
            "recurring_revenue",
            "revenue",
            "new_customers",
            "recurring_customers",
            "new_share",
        ],
    )
    return close_frame(out, like=orders)


def _per_entity(
    orders,
    *,
    entity: str,
    label: str,
    freq,
    by,
    fiscal_year_start,
    include_cancelled,
    reps,
    customers,
):
    by = as_list(by)
    freq = normalize_freq(freq)
    frame = _orders(
        orders,
        required=[entity, "order_date", "amount"],
        by=by,
        include_cancelled=include_cancelled,
        reps=reps,
        customers=customers,
    )
    frame = frame.filter(~nw.col(entity).is_null())
    frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    frame = encode_keys(frame, [entity])  # pandas: integer codes count faster than text
    keys = [PERIOD_START, *[c for c in by if c != entity]]
    if frame.implementation.is_polars():  # two group-bys beat a distinct count in polars
        per_entity = frame.group_by([*keys, entity]).agg(nw.col("amount").sum())
        out = per_entity.group_by(keys).agg(
            nw.col("amount").sum().alias("revenue"), nw.len().alias(label)
        )
    else:  # one pass with a distinct count: pandas, DuckDB
        out = frame.group_by(keys).agg(
            nw.col("amount").sum().alias("revenue"), nw.col(entity).n_unique().alias(label)
        )
    out = out.with_columns(nw.col("revenue").cast(nw.Float64), nw.col(label).cast(nw.Int64))
    out = out.with_columns(ratio("revenue", label).alias(f"revenue_per_{entity.split('_')[0]}"))
    out = finish(out, by=keys[1:], freq=freq, fiscal_year_start=fiscal_year_start)
    return close_frame(out, like=orders)


def revenue_per_customer(
    orders,
    *,
    freq: str = "quarter",
    by=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
    reps=None,
    customers=None,
):
    """Average revenue per active customer (ARPC) per period.

    Formula: ``revenue_per_customer = revenue / active_customers`` where
    ``revenue = sum(amount)`` of the counted orders of the period
    (``order_date``) and ``active_customers`` = distinct ``customer_id`` with at
    least one counted order in the period and group. Rows with a missing
    ``customer_id`` are left out of both.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-02-02"]),
    ...     "amount": [10.0, 20.0, 30.0],
    ... })
    >>> revenue_per_customer(orders)
       period period_start  revenue  active_customers  revenue_per_customer
    0  2025Q1   2025-01-01     60.0                 2                  30.0
    """
    return _per_entity(
        orders,
        entity="customer_id",
        label="active_customers",
        freq=freq,
        by=by,
        fiscal_year_start=fiscal_year_start,
        include_cancelled=include_cancelled,
        reps=reps,
        customers=customers,
    )


def revenue_per_rep(
    orders,
    *,
    freq: str = "quarter",
    by=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
    reps=None,
    customers=None,
):
    """Average revenue per active rep per period.

    Formula: ``revenue_per_rep = revenue / active_reps`` where ``revenue`` sums
    the counted orders of the period credited to a rep and ``active_reps`` is
    the number of distinct ``rep_id`` with at least one such order. Orders
    without ``rep_id`` are left out of both (they are not attributable). Use
    ``by="team"`` with ``reps=`` for teams.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "rep_id": ["r1", "r2", "r2", None],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-02-02",
    ...                                   "2025-02-03"]),
    ...     "amount": [10.0, 20.0, 30.0, 99.0],
    ... })
    >>> revenue_per_rep(orders)
       period period_start  revenue  active_reps  revenue_per_rep
    0  2025Q1   2025-01-01     60.0            2             30.0
    """
    return _per_entity(
        orders,
        entity="rep_id",
        label="active_reps",
        freq=freq,
        by=by,
        fiscal_year_start=fiscal_year_start,
        include_cancelled=include_cancelled,
        reps=reps,
        customers=customers,
    )


_LEVEL_COLUMN = {"company": None, "region": "region", "rep": "rep_id"}


def _outer_keys(left: nw.LazyFrame, right: nw.LazyFrame, keys: Sequence[str]) -> nw.LazyFrame:
    return nw.concat([left.select(*keys), right.select(*keys)], how="vertical").unique()


def target_attainment(
    orders,
    targets,
    *,
    level: str = "company",
    freq: str = "quarter",
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
):
    """Actual revenue against targets per period (and region or rep).

    ``targets`` rows with ``level == level`` and a ``period`` label of the
    requested ``freq`` (``"2025Q3"`` for quarters, ``"2025-07"`` for months,
    ``"2025H1"``, ``"2025"``) are used, read in the fiscal calendar of
    ``fiscal_year_start``. The actual is matched by ``key``: ``"all"`` at
    company level (the key is ignored), ``orders.region`` at region level,
    ``orders.rep_id`` at rep level.

    Formulas: ``actual = sum(amount)`` of the counted orders of the period
    (``order_date``); ``gap = actual - target``;
    ``attainment = actual / target`` (1.0 = on target).

    Edge cases: a period/key with orders but no target has a missing target,
    gap and attainment; a target with no orders has ``actual = 0`` when its
    period is not after the last period with orders, and a missing actual (and
    gap, attainment) when it lies after the data (a future target). A target of
    0 gives a missing attainment.

    Returns
    -------
    ``period, period_start[, region | rep_id], actual, target, gap, attainment``

    Raises
    ------
    ValueError
        For an unknown ``level`` or ``freq="week"`` (targets have no week labels).

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-05-02"]),
    ...     "amount": [40.0, 50.0, 120.0],
    ... })
    >>> targets = pd.DataFrame({
    ...     "period": ["2025Q1", "2025Q2", "2025Q3"], "level": "company", "key": "all",
    ...     "revenue_target": [100.0, 100.0, 100.0],
    ... })
    >>> target_attainment(orders, targets)[["period", "actual", "target", "gap", "attainment"]]
       period  actual  target   gap  attainment
    0  2025Q1    90.0   100.0 -10.0         0.9
    1  2025Q2   120.0   100.0  20.0         1.2
    2  2025Q3     NaN   100.0   NaN         NaN
    """
    if level not in _LEVEL_COLUMN:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(TARGET_LEVELS)}")
    freq = normalize_freq(freq)
    if freq == "week":
        raise ValueError("targets are set per month, quarter, half or year, not per week")
    key_column = _LEVEL_COLUMN[level]
    required = ["order_date", "amount"] + ([key_column] if key_column else [])
    frame = _orders(orders, required=required, by=[], include_cancelled=include_cancelled)
    if key_column is not None:
        frame = frame.filter(~nw.col(key_column).is_null())
    frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    key_expr = nw.lit("all") if key_column is None else nw.col(key_column).cast(nw.String)
    actual = (
        frame.with_columns(__key=key_expr)
        .group_by([PERIOD_START, "__key"])
        .agg(nw.col("amount").sum().alias("actual"))
    )
    actual = actual.with_columns(
        period_label_expr(PERIOD_START, freq=freq, fiscal_year_start=fiscal_year_start).alias(
            PERIOD
        )
    ).select(PERIOD, "__key", nw.col("actual").cast(nw.Float64))

    open_frame(targets, table="targets", required=["period", "level", "key", "revenue_target"])
    tgt = align_backend(targets, frame, table="targets")
    tgt = tgt.filter(
        (nw.col("level") == level) & nw.col("period").str.contains(label_pattern(freq))
    ).with_columns(__key=nw.lit("all") if key_column is None else nw.col("key").cast(nw.String))
    tgt = tgt.group_by(["period", "__key"]).agg(nw.col("revenue_target").sum().alias("target"))
    tgt = tgt.select(PERIOD, "__key", nw.col("target").cast(nw.Float64))

    last = actual.select(nw.col(PERIOD).max().alias("__last"))
    out = (
        _outer_keys(actual, tgt, [PERIOD, "__key"])
        .join(actual, on=[PERIOD, "__key"], how="left")
        .join(tgt, on=[PERIOD, "__key"], how="left")
        .join(last, how="cross")
    )
    out = out.with_columns(
        actual=nw.when(nw.col("actual").is_null() & (nw.col(PERIOD) <= nw.col("__last")))
        .then(nw.lit(0.0))
        .otherwise(nw.col("actual")),
        period_start=period_start_from_label_expr(
            PERIOD, freq=freq, fiscal_year_start=fiscal_year_start
        ),
    ).with_columns(
        gap=nw.col("actual") - nw.col("target"),
        attainment=ratio("actual", "target"),
    )
    group = [] if key_column is None else [key_column]
    if key_column is not None:
        out = out.rename({"__key": key_column})
    out = finish(out, by=group, columns=["actual", "target", "gap", "attainment"])
    return close_frame(out, like=orders)


def actual_vs_projected(
    actual,
    projected,
    *,
    on="period",
    by=None,
    actual_column: str = "revenue",
    projected_column: str = "projected",
):
    """Actual against projected values, period by period.

    ``actual`` and ``projected`` are frames keyed by ``on`` (default the
    ``period`` label) and ``by``; typically ``actual`` is the output of
    :func:`revenue` and ``projected`` a forecast or plan with a
    ``projected`` column. Keys found in either frame give a row.

    Signs: ``error = projected - actual`` (positive = over-projection);
    ``abs_error = |error|``; ``pct_error = error / |actual|`` (missing when the
    actual is 0 or missing). Missing actual or projection gives missing errors.

    Returns
    -------
    ``*on, *by, actual, projected, error, abs_error, pct_error``, sorted by the keys.

    Examples
    --------
    >>> import pandas as pd
    >>> act = pd.DataFrame({"period": ["2025Q1", "2025Q2"], "revenue": [100.0, 80.0]})
    >>> proj = pd.DataFrame({"period": ["2025Q1", "2025Q2", "2025Q3"],
    ...                      "projected": [110.0, 60.0, 90.0]})
    >>> actual_vs_projected(act, proj)
       period  actual  projected  error  abs_error  pct_error
    0  2025Q1   100.0      110.0   10.0       10.0       0.10
    1  2025Q2    80.0       60.0  -20.0       20.0      -0.25
    2  2025Q3     NaN       90.0    NaN        NaN        NaN
    """
    out = _actual_vs_projected(
        actual,
        projected,
        on=on,
        by=by,
        actual_column=actual_column,
        projected_column=projected_column,
    )
    return close_frame(out, like=actual)


def _actual_vs_projected(actual, projected, *, on, by, actual_column, projected_column):
    keys = [*as_list(on), *as_list(by)]
    act = open_frame(actual, table="actual", required=[*keys, actual_column])
    require_columns(
        open_frame(projected, table="projected"), [*keys, projected_column], table="projected"
    )
    proj = align_backend(projected, act, table="projected")
    act = act.select(*keys, nw.col(actual_column).cast(nw.Float64).alias("__actual"))
    proj = proj.select(*keys, nw.col(projected_column).cast(nw.Float64).alias("__projected"))
    out = (
        _outer_keys(act, proj, keys)
        .join(act, on=keys, how="left")
        .join(proj, on=keys, how="left")
        .rename({"__actual": "actual", "__projected": "projected"})
    )
    out = out.with_columns(error=nw.col("projected") - nw.col("actual")).with_columns(
        abs_error=nw.col("error").abs(),
        pct_error=ratio(nw.col("error"), nw.col("actual").abs()),
    )
    return sort_rows(
        out.select(*keys, "actual", "projected", "error", "abs_error", "pct_error"), keys
    )


def forecast_accuracy(
    actual,
    projected,
    *,
    on="period",
    by=None,
    actual_column: str = "revenue",
    projected_column: str = "projected",
):
    """Summary accuracy of projections across periods: MAPE, WAPE and bias.

    Only periods with both an actual and a projection count. With
    ``e = projected - actual`` per period:

    - ``mape = mean(|e| / |actual|)`` over the periods whose actual is not 0;
    - ``wape = sum(|e|) / sum(actual)``;
    - ``bias = sum(e) / sum(actual)`` (positive = projections too high);

    all missing when their denominator is 0. Also ``periods`` (matched
    periods), ``actual`` and ``projected`` totals. One row per ``by`` group (one
    row in all without ``by``).

    Examples
    --------
    >>> import pandas as pd
    >>> act = pd.DataFrame({"period": ["2025Q1", "2025Q2"], "revenue": [100.0, 80.0]})
    >>> proj = pd.DataFrame({"period": ["2025Q1", "2025Q2", "2025Q3"],
    ...                      "projected": [110.0, 60.0, 90.0]})
    >>> forecast_accuracy(act, proj)
       periods  actual  projected   mape      wape      bias
    0        2   180.0      170.0  0.175  0.166667 -0.055556
    """
    by = as_list(by)
    per = _actual_vs_projected(
        actual,
        projected,
        on=on,
        by=by,
        actual_column=actual_column,
        projected_column=projected_column,
    )
    per = per.filter(~nw.col("actual").is_null() & ~nw.col("projected").is_null())
    per = per.with_columns(__ape=ratio(nw.col("abs_error"), nw.col("actual").abs()))
    aggs = [
        nw.len().alias("periods"),
        nw.col("actual").sum(),
        nw.col("projected").sum(),
        nw.col("__ape").mean().alias("mape"),
        nw.col("abs_error").sum().alias("__abs"),
        nw.col("error").sum().alias("__err"),
    ]
    out = per.group_by(by).agg(*aggs) if by else per.select(*aggs)
    out = out.with_columns(
        nw.col("periods").cast(nw.Int64),
        wape=ratio("__abs", "actual"),
        bias=ratio("__err", "actual"),
    )
    out = out.select(*by, "periods", "actual", "projected", "mape", "wape", "bias")
    if by:
        out = sort_rows(out, by)
    return close_frame(out, like=actual)
