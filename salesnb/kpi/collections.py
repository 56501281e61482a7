"""Order fulfilment and collections KPIs: status rates, payment status,
receivables ageing and days sales outstanding (DSO).

All functions read the ``orders`` table (see :mod:`salesnb.schema`); each row
counts as one order (for order-line tables: one line). Inputs may be pandas or
polars DataFrames, polars LazyFrames or DuckDB relations; results are of the
same kind.

The ``as_of`` date is the last day the data covers (inclusive): an invoice paid
at any time on ``as_of`` is paid; a ``paid_at`` after ``as_of`` is not known
yet, so the invoice counts as unpaid; orders dated after ``as_of`` are left
out. An invoice is *overdue* when it is unpaid and ``due_date < as_of``; it is
*not due* when unpaid and ``due_date >= as_of`` or it has no due date.

Examples
--------
On the bundled sample company, receivables at its as-of date:

>>> import salesnb
>>> from salesnb import kpi
>>> data = salesnb.load(salesnb.SAMPLE_DATA)
>>> print(kpi.receivables_ageing(data.orders, as_of=data.as_of).round(2)
...       .to_string(index=False))
 bucket  orders    amount  amount_share
not due     108 104977.85          0.59
   0-30      24  22564.06          0.13
  31-60       5   4756.54          0.03
  61-90       5   2647.75          0.01
    90+      52  41850.74          0.24
"""

from __future__ import annotations

import logging

import narwhals as nw
import pandas as pd

from salesnb.kpi._frame import (
    PERIOD_START,
    align_backend,
    as_datetime,
    as_list,
    close_frame,
    column_names,
    days_between,
    finish,
    open_frame,
    ratio,
    sort_rows,
    with_period,
)
from salesnb.periods import latest_complete_period, normalize_freq, period_start_expr
from salesnb.schema import ORDER_STATUSES

__all__ = [
    "AGEING_BUCKETS",
    "order_status_rates",
    "payment_status",
    "receivables_ageing",
    "days_sales_outstanding",
]

logger = logging.getLogger(__name__)

#: Receivables ageing buckets, in order (days overdue = as_of - due_date).
AGEING_BUCKETS: tuple[str, ...] = ("not due", "0-30", "31-60", "61-90", "90+")


def _open(orders, required, by, extra=()):
    frame = open_frame(orders, table="orders", required=[*required, *by])
    present = column_names(frame)
    keep = [c for c in dict.fromkeys([*required, *by, *extra, "status"]) if c in present]
    return frame.select(keep)


def order_status_rates(
    orders,
    *,
    freq: str = "quarter",
    by=None,
    fiscal_year_start: int = 1,
):
    """Counts and shares of order statuses per period, and time to fulfil.

    The period is that of ``order_date``. For each status ``s`` in
    ``placed, fulfilled, backordered, cancelled``: ``s`` = number of orders
    with that status and ``s_share = s / orders``, where ``orders`` counts all
    rows of the period and group (rows with a missing status count in
    ``orders`` but in no status, so the shares then add up to less than 1).

    Time to fulfil, in days (fractional): ``fulfilled_at - order_date`` over the
    non-cancelled orders that have a ``fulfilled_at``;
    ``fulfil_days_median`` and ``fulfil_days_mean`` are missing when no order
    of the period was fulfilled (or the table has no ``fulfilled_at``).

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-01-10", "2025-02-01",
    ...                                   "2025-03-01"]),
    ...     "status": ["fulfilled", "fulfilled", "cancelled", "backordered"],
    ...     "fulfilled_at": pd.to_datetime(["2025-01-07 00:00", "2025-01-16 12:00", None, None]),
    ... })
    >>> out = order_status_rates(orders)
    >>> print(out[["period", "orders", "fulfilled", "fulfilled_share", "cancelled_share",
    ...            "fulfil_days_median", "fulfil_days_mean"]].to_string())
       period  orders  fulfilled  fulfilled_share  cancelled_share  fulfil_days_median  fulfil_days_mean
    0  2025Q1       4          2              0.5             0.25                4.25              4.25
    """
    by = as_list(by)
    freq = normalize_freq(freq)
    frame = _open(orders, ["order_date", "status"], by, extra=["fulfilled_at"])
    if "fulfilled_at" in column_names(frame):
        days = nw.when(nw.col("status") != "cancelled").then(
            days_between("fulfilled_at", "order_date", like=frame)
        )
    else:
        days = nw.lit(None, dtype=nw.Float64)
    frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    frame = frame.with_columns(
        __days=days,
        **{f"__{s}": (nw.col("status") == s).cast(nw.Int64) for s in ORDER_STATUSES},
    )
    out = frame.group_by([PERIOD_START, *by]).agg(
        nw.len().alias("orders"),
        *[nw.col(f"__{s}").sum().alias(s) for s in ORDER_STATUSES],
        nw.col("__days").median().alias("fulfil_days_median"),
        nw.col("__days").mean().alias("fulfil_days_mean"),
    )
    out = out.with_columns(
        nw.col("orders").cast(nw.Int64),
        *[nw.col(s).fill_null(0).cast(nw.Int64) for s in ORDER_STATUSES],
        nw.col("fulfil_days_median").cast(nw.Float64),
        nw.col("fulfil_days_mean").cast(nw.Float64),
    ).with_columns(**{f"{s}_share": ratio(s, "orders") for s in ORDER_STATUSES})
    columns = [
        "orders",
        *ORDER_STATUSES,
        *[f"{s}_share" for s in ORDER_STATUSES],
        "fulfil_days_median",
        "fulfil_days_mean",
    ]
    out = finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, columns=columns)
    return close_frame(out, like=orders)


def _receivables(orders, *, as_of, by, extra=()):
    """Counted orders known at ``as_of`` with the flags ``__paid`` and ``__overdue``."""
    required = ["order_date", "amount", "due_date", "paid_at"]
    frame = _open(orders, required, by, extra=extra)
    day = as_datetime(pd.Timestamp(as_of).normalize())
    cutoff = as_datetime(pd.Timestamp(day) + pd.Timedelta(days=1))
    known = nw.col("order_date") < nw.lit(cutoff)
    if "status" in column_names(frame):  # cancelled orders are never invoiced
        known = known & ((nw.col("status") != "cancelled") | nw.col("status").is_null())
    return frame.filter(known).with_columns(
        __paid=(nw.col("paid_at") < nw.lit(cutoff)).fill_null(False),
        __overdue=(nw.col("due_date") < nw.lit(day)).fill_null(False),
    )


#: Payment states of a counted order at ``as_of`` and their codes in ``__state``.
_STATES = {"paid": 0, "not_due": 1, "overdue": 2}

_PAYMENT_COLUMNS = (
    "orders",
    "amount",
    "paid",
    "not_due",
    "overdue",
    "paid_amount",
    "not_due_amount",
    "overdue_amount",
    "unpaid_amount",
    "paid_share",
    "not_due_share",
    "overdue_share",
    "unpaid_share",
    "overdue_count_share",
)


def _state_totals(frame: nw.LazyFrame, keys: list[str]) -> nw.LazyFrame:
    """Count (``__n``) and amount (``__a``) per key and payment state, one column pair
    per state (``__n_paid``, ``__a_paid``, ...).

    One pass over the orders: count and sum per state (0 paid, 1 not due, 2 overdue),
    then spread the states into columns on the small aggregate.
    """
    state = (
        nw.when(nw.col("__paid"))
        .then(nw.lit(0))
        .when(nw.col("__overdue"))
        .then(nw.lit(2))
        .otherwise(nw.lit(1))
    )
    frame = frame.select(*keys, nw.col("amount"), state.cast(nw.Int64).alias("__state"))
    agg = frame.group_by([*keys, "__state"]).agg(
        nw.len().alias("__n"), nw.col("amount").sum().alias("__a")
    )
    agg = agg.with_columns(nw.col("__n").cast(nw.Int64), nw.col("__a").cast(nw.Float64))
    return agg.with_columns(
        **{
            f"__n_{k}": nw.when(nw.col("__state") == v).then(nw.col("__n")).otherwise(nw.lit(0))
            for k, v in _STATES.items()
        },
        **{
            f"__a_{k}": nw.when(nw.col("__state") == v).then(nw.col("__a")).otherwise(nw.lit(0.0))
            for k, v in _STATES.items()
        },
    )


def _payment_totals(agg: nw.LazyFrame, keys: list[str]) -> nw.LazyFrame:
    """Counts, amounts and amount shares per key from the per-state totals."""
    aggs = [
        nw.col("__n").sum().alias("orders"),
        nw.col("__a").sum().alias("amount"),
        *[nw.col(f"__n_{k}").sum().alias(k) for k in _STATES],
        *[nw.col(f"__a_{k}").sum().alias(f"{k}_amount") for k in _STATES],
    ]
    out = agg.group_by(keys).agg(*aggs) if keys else agg.select(*aggs)
    return (
        out.with_columns(
            *[nw.col(c).fill_null(0).cast(nw.Int64) for c in ("orders", *_STATES)],
            *[
                nw.col(c).fill_null(0.0).cast(nw.Float64)
                for c in ("amount", *[f"{k}_amount" for k in _STATES])
            ],
        )
        .with_columns(
            unpaid_amount=nw.col("not_due_amount") + nw.col("overdue_amount"),
        )
        .with_columns(
            paid_share=ratio("paid_amount", "amount"),
            not_due_share=ratio("not_due_amount", "amount"),
            overdue_share=ratio("overdue_amount", "amount"),
            unpaid_share=ratio("unpaid_amount", "amount"),
            overdue_count_share=ratio("overdue", "orders"),
        )
    )


def payment_status(
    orders,
    *,
    as_of,
    freq: str | None = None,
    by=None,
    fiscal_year_start: int = 1,
):
    """Paid, not-yet-due and overdue invoices at ``as_of``, in count, amount and share.

    Counted orders: not cancelled (cancelled orders are never invoiced) and
    dated on or before ``as_of``. At ``as_of`` each is exactly one of

    - *paid*: ``paid_at`` on or before ``as_of`` (a later payment is not yet
      known, so that order is unpaid at ``as_of``);
    - *overdue*: unpaid and ``due_date < as_of``;
    - *not due*: unpaid and ``due_date >= as_of`` or no due date.

    Columns: ``orders``, ``amount`` (totals); ``paid``, ``not_due``,
    ``overdue`` (counts); ``paid_amount``, ``not_due_amount``,
    ``overdue_amount``, ``unpaid_amount`` (sums of ``amount``); shares of the
    amount ``paid_share``, ``not_due_share``, ``overdue_share``,
    ``unpaid_share = (not_due_amount + overdue_amount) / amount`` (missing when
    the amount is 0); and ``overdue_count_share = overdue / orders``.

    With ``freq`` the rows are per period of ``order_date`` (and group);
    without, one row per ``by`` group (one row in all without ``by``).

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-03-01",
    ...                                   "2025-03-10", "2025-03-20"]),
    ...     "amount": [100.0, 50.0, 30.0, 20.0, 999.0],
    ...     "status": ["fulfilled", "fulfilled", "placed", "fulfilled", "cancelled"],
    ...     "due_date": pd.to_datetime(["2025-02-04", "2025-03-03", "2025-03-31",
    ...                                 "2025-04-09", "2025-04-19"]),
    ...     "paid_at": pd.to_datetime(["2025-02-01", "2025-04-15", None, None, None]),
    ... })
    >>> out = payment_status(orders, as_of="2025-03-31")
    >>> print(out[["orders", "paid", "not_due", "overdue", "paid_amount",
    ...            "overdue_amount", "unpaid_share"]].to_string())
       orders  paid  not_due  overdue  paid_amount  overdue_amount  unpaid_share
    0       4     1        2        1        100.0            50.0          0.5
    """
    by = as_list(by)
    frame = _receivables(orders, as_of=as_of, by=by)
    keys = [*by]
    if freq is not None:
        freq = normalize_freq(freq)
        frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
        keys = [PERIOD_START, *by]
    out = _payment_totals(_state_totals(frame, keys), keys)
    out = finish(
        out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, columns=list(_PAYMENT_COLUMNS)
    )
    return close_frame(out, like=orders)


def receivables_ageing(orders, *, as_of, by=None):
    """Open receivables at ``as_of`` by days overdue.

    Open receivables: counted orders (not cancelled, dated on or before
    ``as_of``) unpaid at ``as_of`` (see :func:`payment_status`). Days overdue
    ``d = as_of - due_date`` in days. Buckets (:data:`AGEING_BUCKETS`):

    - ``"not due"``: ``d <= 0`` (due on or after ``as_of``) or no due date;
    - ``"0-30"``: ``0 < d <= 30`` (1 to 30 days overdue for date-only due dates);
    - ``"31-60"``: ``30 < d <= 60``;
    - ``"61-90"``: ``60 < d <= 90``;
    - ``"90+"``: ``d > 90``.

    So the four overdue buckets together equal ``overdue`` of
    :func:`payment_status`. Every bucket appears for every group (count 0,
    amount 0 when empty).

    Returns
    -------
    ``*by, bucket, orders, amount, amount_share`` where ``amount_share`` is the
    bucket's share of the group's open amount (missing when that is 0); rows in
    bucket order within each group.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-03-01",
    ...                                   "2025-03-10", "2024-09-01"]),
    ...     "amount": [100.0, 50.0, 30.0, 20.0, 10.0],
    ...     "due_date": pd.to_datetime(["2025-02-04", "2025-03-01", "2025-03-31",
    ...                                 "2025-04-09", "2024-10-01"]),
    ...     "paid_at": pd.to_datetime([None, None, None, None, None]),
    ... })
    >>> receivables_ageing(orders, as_of="2025-03-31")
        bucket  orders  amount  amount_share
    0  not due       2    50.0      0.238095
    1     0-30       1    50.0      0.238095
    2    31-60       1   100.0      0.476190
    3    61-90       0     0.0      0.000000
    4      90+       1    10.0      0.047619
    """
    by = as_list(by)
    frame = _receivables(orders, as_of=as_of, by=by).filter(~nw.col("__paid"))
    d = days_between(nw.lit(as_datetime(pd.Timestamp(as_of).normalize())), "due_date", like=frame)
    bucket = (
        nw.when(d.is_null() | (d <= 0))
        .then(nw.lit(0))
        .when(d <= 30)
        .then(nw.lit(1))
        .when(d <= 60)
        .then(nw.lit(2))
        .when(d <= 90)
        .then(nw.lit(3))
        .otherwise(nw.lit(4))
    )
    frame = frame.with_columns(__bucket=bucket.cast(nw.Int64))
    agg = frame.group_by([*by, "__bucket"]).agg(nw.len().alias("orders"), nw.col("amount").sum())
    grid = align_backend(
        pd.DataFrame({"__bucket": range(len(AGEING_BUCKETS)), "bucket": list(AGEING_BUCKETS)}),
        frame,
        table="buckets",
    ).with_columns(nw.col("__bucket").cast(nw.Int64))
    if by:
        grid = frame.select(*by).unique().join(grid, how="cross")
    keys = _null_safe_keys(by)
    if keys:
        grid, agg = grid.with_columns(**keys), agg.with_columns(**keys).drop(*by)
    out = grid.join(agg, on=[*keys, "__bucket"], how="left").drop(*keys)
    out = out.with_columns(
        nw.col("orders").fill_null(0).cast(nw.Int64),
        nw.col("amount").fill_null(0.0).cast(nw.Float64),
    )
    total = nw.col("amount").sum().over(*by) if by else nw.col("amount").sum()
    out = out.with_columns(amount_share=ratio(nw.col("amount"), total))
    out = sort_rows(out, [*by, "__bucket"]).select(
        *by, "bucket", "orders", "amount", "amount_share"
    )
    return close_frame(out, like=orders)


def _null_safe_keys(by):
    return {f"__key_{i}": nw.col(c).cast(nw.String).fill_null("\x00null") for i, c in enumerate(by)}


def days_sales_outstanding(
    orders,
    *,
    as_of,
    freq: str = "quarter",
    by=None,
    fiscal_year_start: int = 1,
):
    """Days sales outstanding (DSO) per complete period up to ``as_of``.

    Formula, per period ``P`` (and group)::

        DSO = receivables at the end of P / revenue of P * days in P

    - *revenue of P*: ``sum(amount)`` of the counted orders (not cancelled)
      whose ``order_date`` is in ``P``;
    - *receivables at the end of P*: ``sum(amount)`` of counted orders dated
      before the end of ``P`` and not paid by then (``paid_at`` missing, at or
      after the end of ``P``, or after ``as_of`` — not yet known);
    - *days in P*: calendar days of ``P`` (90-92 for a quarter).

    Only periods complete at ``as_of`` are reported (the last one is
    :func:`salesnb.periods.latest_complete_period`). A period with receivables
    but no revenue has a missing DSO. Periods in which a group has neither
    orders nor payments have no row.

    Returns
    -------
    ``period, period_start, *by, revenue, receivables, days, dso``

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_date": pd.to_datetime(["2025-01-10", "2025-02-10", "2025-03-20",
    ...                                   "2025-05-01"]),
    ...     "amount": [100.0, 200.0, 300.0, 400.0],
    ...     "paid_at": pd.to_datetime(["2025-02-01", "2025-04-05", None, None]),
    ...     "due_date": pd.to_datetime(["2025-02-09", "2025-03-12", "2025-04-19",
    ...                                 "2025-05-31"]),
    ... })
    >>> days_sales_outstanding(orders, as_of="2025-06-30")
       period period_start  revenue  receivables  days    dso
    0  2025Q1   2025-01-01    600.0        500.0  90.0   75.0
    1  2025Q2   2025-04-01    400.0        700.0  91.0  159.25
    """
    by = as_list(by)
    freq = normalize_freq(freq)
    frame = _receivables(orders, as_of=as_of, by=by)
    schema = frame.collect_schema()
    paid_at = nw.col("paid_at")
    if schema["paid_at"] != schema["order_date"]:
        paid_at = paid_at.cast(schema["order_date"])
    start = period_start_expr("order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    paid_start = period_start_expr(paid_at, freq=freq, fiscal_year_start=fiscal_year_start)
    amount = nw.col("amount").cast(nw.Float64)
    sales = frame.select(
        *by, start.alias(PERIOD_START), amount.alias("__delta"), amount.alias("__revenue")
    )
    payments = frame.filter(nw.col("__paid")).select(
        *by,
        paid_start.alias(PERIOD_START),
        (-amount).alias("__delta"),
        nw.lit(0.0, dtype=nw.Float64).alias("__revenue"),
    )
    events = nw.concat([sales, payments], how="vertical")
    out = events.group_by([PERIOD_START, *by]).agg(
        nw.col("__delta").sum(), nw.col("__revenue").sum().alias("revenue")
    )
    running = nw.col("__delta").cum_sum()
    out = out.with_columns(
        receivables=running.over(*by, order_by=PERIOD_START)
        if by
        else running.over(order_by=PERIOD_START)
    )
    last = latest_complete_period(as_of, freq=freq, fiscal_year_start=fiscal_year_start)
    out = out.filter(nw.col(PERIOD_START) <= nw.lit(as_datetime(last.start)))
    months = {"week": None, "month": 1, "quarter": 3, "half": 6, "year": 12}[freq]
    end = (
        nw.col(PERIOD_START).dt.offset_by("7d")
        if months is None
        else nw.col(PERIOD_START).dt.offset_by(f"{months}mo")
    )
    out = out.with_columns(
        nw.col("revenue").cast(nw.Float64),
        # float noise of the running sum: receivables are sums of amounts
        nw.col("receivables").cast(nw.Float64).round(6),
        days=days_between(end, PERIOD_START, like=out).round(0),
    ).with_columns(dso=ratio("receivables", "revenue") * nw.col("days"))
    out = finish(
        out,
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        columns=["revenue", "receivables", "days", "dso"],
    )
    return close_frame(out, like=orders)
