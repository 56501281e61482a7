"""Revenue bridge: from the previous period's revenue to the current one, step by step.

The bridge explains the change of revenue between two periods (quarter over
quarter, or the same quarter a year earlier) with parts that add up exactly:
price, volume and mix on the products that continuing customers buy in both
periods, the products they start or stop buying, and the customers who are
new, come back or do not buy again.

Revenue follows the revenue KPIs (:mod:`salesnb.kpi.revenue`): the sum of
``amount`` of the orders dated in the period, cancelled orders left out unless
``include_cancelled=True``. Pass ``SalesData.revenue_lines`` to follow the
data's revenue setting (orders, or won deals as lines without quantities).

Every part is computed in whole cents (integers) and mix is what is left of
the continuing products' change after price and volume, so the identity
``previous revenue + parts = current revenue`` holds exactly, to the cent,
on every engine. The price-volume-mix split is the usual one of management
accounting, written here on narwhals (no maintained library computes it on
lazy engines).

Examples
--------
On the bundled sample company (prices rose 8 % on 2026-01-01): in 2026Q1, year
over year, price is the largest effect on the customers who bought in both
quarters, while most of the change comes from customers who start or stop buying:

>>> import salesnb
>>> from salesnb import kpi
>>> data = salesnb.load(salesnb.SAMPLE_DATA)
>>> b = kpi.revenue_bridge(data.orders, "2026Q1", previous="last_year")
>>> print(b[["step", "value", "kind"]].round(0).to_string(index=False))
               step     value       kind
   previous revenue  465693.0      total
              price    9936.0 continuing
             volume    5296.0 continuing
                mix    8599.0 continuing
      without units       0.0 continuing
       new products       0.0 continuing
   dropped products       0.0 continuing
      new customers  272489.0  customers
returning customers  120117.0  customers
     lost customers -345940.0  customers
    current revenue  536189.0      total
"""

from __future__ import annotations

import logging

import narwhals as nw

from salesnb.kpi._frame import (
    _shared,
    as_datetime,
    as_list,
    attach_columns,
    close_frame,
    column_names,
    drop_cancelled,
    open_frame,
    sort_rows,
)
from salesnb.kpi._tables import _aggregate, _check_by_not_reserved, _join, _lookups
from salesnb.periods import Period

__all__ = ["revenue_bridge", "BRIDGE_STEPS"]

logger = logging.getLogger(__name__)

#: The steps of a bridge in order, with their ``kind``: ``"total"`` (the two
#: revenues), ``"continuing"`` (continuing customers) or ``"customers"``
#: (customers who start, come back or stop buying).
BRIDGE_STEPS: tuple[tuple[str, str], ...] = (
    ("previous revenue", "total"),
    ("price", "continuing"),
    ("volume", "continuing"),
    ("mix", "continuing"),
    ("without units", "continuing"),
    ("new products", "continuing"),
    ("dropped products", "continuing"),
    ("new customers", "customers"),
    ("returning customers", "customers"),
    ("lost customers", "customers"),
    ("current revenue", "total"),
)

_NULL_PRODUCT = "\x00no product"
_RESERVED = ("period", "previous_period", "step", "value", "kind")


def _resolve_periods(period, previous, fiscal_year_start: int) -> tuple[Period, Period]:
    """The current and the compared period (see :func:`revenue_bridge`, ``previous``)."""
    cur = Period.parse(period, fiscal_year_start=fiscal_year_start)
    if previous is None or previous == "previous":
        prev = cur.previous()
    elif previous == "last_year":
        prev = cur.same_period_last_year()
    else:
        prev = Period.parse(previous, freq=cur.freq, fiscal_year_start=fiscal_year_start)
        if not prev < cur:
            raise ValueError(
                f"previous={previous!r} must be a period before period={cur.label!r}; "
                "expected None, 'previous', 'last_year' or an earlier period label"
            )
    return cur, prev


def _lines(
    orders, *, by, include_cancelled, reps, customers, cur: Period, prev: Period
) -> tuple[nw.LazyFrame, nw.LazyFrame]:
    """The counted orders' ``customer_id, order_date`` (every period: first purchases),
    and the counted lines of the two periods with ``__cents`` (integer), ``__q`` (units)
    and ``__product``.

    Only the two periods' lines are typed and looked up: on an eager table (pandas)
    the casts and ``by`` lookups then run on those rows, not on the whole history.
    """
    frame = open_frame(orders, table="orders", required=["customer_id", "order_date", "amount"])
    present = column_names(frame)
    # columns first, then rows: an eager table copies only what is kept
    status = ["status"] if "status" in present else []
    dates = drop_cancelled(
        frame.select("customer_id", "order_date", *status), include_cancelled=include_cancelled
    ).select("customer_id", "order_date")
    window = drop_cancelled(frame.filter(_in(prev) | _in(cur)), include_cancelled=include_cancelled)
    window = attach_columns(window, by, table="orders", lookups=_lookups(reps, customers))
    product = (
        nw.col("product").cast(nw.String).fill_null(_NULL_PRODUCT)
        if "product" in present
        else nw.lit(_NULL_PRODUCT)
    )
    quantity = (
        nw.col("quantity").cast(nw.Float64)
        if "quantity" in present
        else nw.lit(None, dtype=nw.Float64)
    )
    window = window.select(
        *by,
        "customer_id",
        "order_date",
        __product=product,
        __q=quantity,
        __cents=(nw.col("amount").cast(nw.Float64) * 100.0).round(0).fill_null(0.0).cast(nw.Int64),
    )
    return dates, window


def _in(period: Period) -> nw.Expr:
    return (nw.col("order_date") >= nw.lit(as_datetime(period.start))) & (
        nw.col("order_date") < nw.lit(as_datetime(period.end))
    )


def _when(cond: nw.Expr, value: nw.Expr, zero=0) -> nw.Expr:
    return nw.when(cond).then(value).otherwise(nw.lit(zero))


def _customer_parts(
    dates: nw.LazyFrame, window: nw.LazyFrame, *, by, cur: Period, prev: Period
) -> tuple[nw.LazyFrame, nw.LazyFrame]:
    """Per customer (and group) its class; per group revenues, new, returning, lost (cents)."""
    before = nw.col("order_date") < nw.lit(as_datetime(cur.end))
    first = (
        dates.filter(before)
        .group_by("customer_id")
        .agg(nw.col("order_date").min().alias("__first"))
    )
    rows = window.with_columns(
        __a0=_when(_in(prev), nw.col("__cents")),
        __a1=_when(_in(cur), nw.col("__cents")),
        __n0=_when(_in(prev), nw.lit(1)),
        __n1=_when(_in(cur), nw.lit(1)),
    )
    per = rows.group_by([*by, "customer_id"]).agg(
        nw.col("__a0").sum(), nw.col("__a1").sum(), nw.col("__n0").sum(), nw.col("__n1").sum()
    )
    per = per.join(first, on="customer_id", how="left")
    in0, in1 = nw.col("__n0") > 0, nw.col("__n1") > 0
    is_new = nw.col("__first") >= nw.lit(as_datetime(prev.end))
    per = per.with_columns(
        __start=nw.col("__a0"),
        __end=nw.col("__a1"),
        __new=_when(~in0 & is_new, nw.col("__a1")),
        __returning=_when(~in0 & ~is_new, nw.col("__a1")),
        __lost=_when(in0 & ~in1, -nw.col("__a0")),
        __continuing=in0 & in1,
    )
    sums = [nw.col(c).sum() for c in ("__start", "__end", "__new", "__returning", "__lost")]
    return per, _aggregate(per, by, *sums)


def _product_parts(window: nw.LazyFrame, per, *, by, cur: Period) -> nw.LazyFrame:
    """Per group: price, volume, mix, without units, new and dropped products (cents)."""
    keep = per.filter(nw.col("__continuing")).select(*by, "customer_id")
    rows = _join(window, keep, on=["customer_id"], by=by, how="inner")
    c1 = _in(cur)
    rows = rows.with_columns(
        __a0=_when(~c1, nw.col("__cents")),
        __a1=_when(c1, nw.col("__cents")),
        __q0=_when(~c1, nw.col("__q").fill_null(0.0), 0.0),
        __q1=_when(c1, nw.col("__q").fill_null(0.0), 0.0),
        __n0=_when(~c1, nw.lit(1)),
        __n1=_when(c1, nw.lit(1)),
        __m0=_when(~c1 & nw.col("__q").is_null(), nw.lit(1)),
        __m1=_when(c1 & nw.col("__q").is_null(), nw.lit(1)),
    )
    names = ("__a0", "__a1", "__q0", "__q1", "__n0", "__n1", "__m0", "__m1")
    prod = rows.group_by([*by, "__product"]).agg(nw.col(c).sum() for c in names)
    in0, in1 = nw.col("__n0") > 0, nw.col("__n1") > 0
    priced = (
        in0
        & in1
        & (nw.col("__q0") > 0)
        & (nw.col("__q1") > 0)
        & (nw.col("__m0") == 0)
        & (nw.col("__m1") == 0)
    )
    prod = prod.with_columns(__priced=priced)
    prod = prod.with_columns(
        __pa0=_when(nw.col("__priced"), nw.col("__a0")),
        __pa1=_when(nw.col("__priced"), nw.col("__a1")),
        __pq0=_when(nw.col("__priced"), nw.col("__q0"), 0.0),
        __pq1=_when(nw.col("__priced"), nw.col("__q1"), 0.0),
        # previous unit price x current units: the current units at old prices
        __at_p0=_when(
            nw.col("__priced"),
            nw.col("__a0").cast(nw.Float64) * nw.col("__q1") / nw.col("__q0"),
            0.0,
        ),
        __units=_when(in0 & in1 & ~nw.col("__priced"), nw.col("__a1") - nw.col("__a0")),
        __added=_when(~in0 & in1, nw.col("__a1")),
        __dropped=_when(in0 & ~in1, -nw.col("__a0")),
    )
    names = ("__pa0", "__pa1", "__pq0", "__pq1", "__at_p0", "__units", "__added", "__dropped")
    out = _aggregate(prod, by, *(nw.col(c).sum() for c in names))
    change = nw.col("__pa1") - nw.col("__pa0")
    price = (nw.col("__pa1").cast(nw.Float64) - nw.col("__at_p0")).round(0)
    volume = (
        _when(
            nw.col("__pq0") > 0,
            (nw.col("__pq1") - nw.col("__pq0"))
            * nw.col("__pa0").cast(nw.Float64)
            / nw.col("__pq0"),
            0.0,
        )
    ).round(0)
    out = out.with_columns(
        __price=price.cast(nw.Int64), __volume=volume.cast(nw.Int64), __change=change
    )
    return out.with_columns(__mix=nw.col("__change") - nw.col("__price") - nw.col("__volume"))


def revenue_bridge(
    orders,
    period,
    previous=None,
    by=None,
    *,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
    reps=None,
    customers=None,
):
    """Bridge from the previous period's revenue to the current period's, in parts.

    Revenue of a period is ``sum(amount)`` of the orders whose ``order_date``
    falls in it (cancelled orders excluded unless ``include_cancelled``).
    Amounts are taken in whole cents (``round(amount * 100)``), so every part
    is a whole number of cents and ``previous revenue + sum(parts) = current
    revenue`` holds exactly.

    Customers (per group when ``by`` is given):

    - *continuing*: counted orders in both periods;
    - *lost*: orders in the previous period, none in the current one; the part
      ``lost customers = -(their previous revenue)``;
    - *new*: orders in the current period, none in the previous one, and no
      counted order anywhere in the table before the previous period's end
      (their first order is after the previous period); part ``new customers
      = their current revenue``;
    - *returning*: orders in the current period, none in the previous one
      (in this group), but an earlier order (before the previous period's
      end, in any group); part ``returning customers``.

    Continuing customers' revenue, per product (``product``; lines without a
    product form one product), with ``a`` revenue and ``q`` units of the
    product bought by continuing customers in the previous (0) and current
    (1) period and the unit price ``p = a / q``:

    - a product bought in both periods with units in both (``q0 > 0``,
      ``q1 > 0``, no line with a missing quantity) is *priced*; over the
      priced products (``Q = sum(q)``, ``A = sum(a)``, previous average unit
      price ``p̄0 = A0 / Q0``)::

          price  = sum((p1 - p0) * q1)           # current units at the price change
          volume = (Q1 - Q0) * p̄0                # more or fewer units at the old average price
          mix    = (A1 - A0) - price - volume    # = sum((p0 - p̄0) * q1): shift between products

      price and volume are rounded to the cent, mix takes the rest;
    - a product bought in both periods but with a missing or zero quantity in
      either (no unit price) puts its whole change ``a1 - a0`` in ``without
      units`` (with no ``quantity`` column, e.g. revenue from won deals, all
      continuing change lands there);
    - ``new products = a1`` of products bought only in the current period,
      ``dropped products = -a0`` of those bought only in the previous one.

    Parameters
    ----------
    orders : DataFrame or lazy frame
        Needs ``customer_id``, ``order_date``, ``amount``; uses ``product``,
        ``quantity`` and ``status`` when present.
    period : str or Period
        The current period (``"2026Q2"``; any label of :mod:`salesnb.periods`).
    previous : {None, "previous", "last_year"} or str, default None
        The period compared with: None / ``"previous"`` the period just before
        (quarter over quarter), ``"last_year"`` the same period a year earlier
        (year over year), or an earlier label of the same frequency.
    by : str or list of str, optional
        One bridge per group (``"region"``); a customer is classified within
        each group (a customer moving region is lost in one, returning in the
        other).
    fiscal_year_start : int, default 1
    include_cancelled : bool, default False
    reps, customers : DataFrame, optional
        Lookup tables for ``by`` columns not in ``orders``.

    Returns
    -------
    Same kind as ``orders``
        ``period, previous_period, *by, step, value, kind``: one row per step
        of :data:`BRIDGE_STEPS` (in that order) and group, ``value`` in the
        data's currency (signed for the parts), ``kind`` ``"total"``,
        ``"continuing"`` or ``"customers"``. Ready for a waterfall chart.

    Raises
    ------
    MissingColumnsError
        When a required or ``by`` column is absent.
    ValueError
        When a label cannot be read, or ``previous`` is not before ``period``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "a", "a", "c"],
    ...     "order_date": pd.to_datetime(["2025-01-10", "2025-02-10", "2025-03-01",
    ...                                   "2025-04-10", "2025-05-10", "2025-06-01"]),
    ...     "product": ["X", "Y", "X", "X", "Y", "X"],
    ...     "quantity": [10.0, 10.0, 1.0, 10.0, 12.0, 2.0],
    ...     "amount": [100.0, 50.0, 10.0, 110.0, 60.0, 22.0],
    ... })
    >>> b = revenue_bridge(orders, period="2025Q2")
    >>> print(b[["step", "value", "kind"]].to_string(index=False))
                   step  value       kind
       previous revenue  160.0      total
                  price   10.0 continuing
                 volume   15.0 continuing
                   mix   -5.0 continuing
          without units    0.0 continuing
           new products    0.0 continuing
       dropped products    0.0 continuing
          new customers   22.0  customers
    returning customers    0.0  customers
         lost customers  -10.0  customers
        current revenue  192.0      total
    """
    by = as_list(by)
    _check_by_not_reserved(by, _RESERVED)
    cur, prev = _resolve_periods(period, previous, fiscal_year_start)
    dates, window = _lines(
        orders,
        by=by,
        include_cancelled=include_cancelled,
        reps=reps,
        customers=customers,
        cur=cur,
        prev=prev,
    )
    per, groups = _customer_parts(dates, window, by=by, cur=cur, prev=prev)
    products = _product_parts(window, per, by=by, cur=cur)
    parts = ("__price", "__volume", "__mix", "__units", "__added", "__dropped")
    wide = _join(groups, products.select(*by, *parts), by=by, how="left")
    wide = wide.with_columns(nw.col(c).fill_null(0).cast(nw.Int64) for c in parts)
    # one row per group, read by each of the eleven steps below: computed once
    wide = _shared(wide)
    columns = (
        "__start", "__price", "__volume", "__mix", "__units", "__added",
        "__dropped", "__new", "__returning", "__lost", "__end",
    )  # fmt: skip
    # one frame per step, stacked (narwhals' DuckDB unpivot runs on the default connection)
    long = nw.concat(
        [
            wide.select(
                *by,
                __step=nw.lit(i, dtype=nw.Int64),
                __cents=nw.col(c).cast(nw.Int64),
            )
            for i, c in enumerate(columns)
        ],
        how="vertical",
    )
    step = kind = None
    for i, (name, k) in enumerate(BRIDGE_STEPS):
        cond = nw.col("__step") == i
        step = (
            nw.when(cond).then(nw.lit(name)) if step is None else step.when(cond).then(nw.lit(name))
        )
        kind = nw.when(cond).then(nw.lit(k)) if kind is None else kind.when(cond).then(nw.lit(k))
    long = long.with_columns(
        period=nw.lit(cur.label),
        previous_period=nw.lit(prev.label),
        step=step,
        value=nw.col("__cents").cast(nw.Float64) / 100.0,
        kind=kind,
    )
    long = sort_rows(long, [*by, "__step"])
    out = long.select("period", "previous_period", *by, "step", "value", "kind")
    return close_frame(out, like=orders)
