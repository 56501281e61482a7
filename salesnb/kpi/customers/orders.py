"""The orders the customer KPIs count, and their periods.

Counted orders have a customer and an order date, are not cancelled (unless
``include_cancelled=True``) and, with ``as_of``, are dated on or before that day.
"""

from __future__ import annotations

import narwhals as nw

from salesnb.kpi._frame import drop_cancelled, with_period
from salesnb.kpi._tables import _day_after, _open


def _orders(
    orders,
    *,
    as_of=None,
    include_cancelled=False,
    required=(),
    by=(),
    customers=None,
    like=None,
    only=None,
) -> nw.LazyFrame:
    """The counted orders; with ``only``, just ``customer_id``, ``order_date`` and those
    columns, selected before the rows are filtered (an eager table copies less)."""
    frame = _open(
        orders,
        table="orders",
        required=["customer_id", "order_date", *required],
        by=by,
        customers=customers,
        like=like,
    )
    if only is not None:
        names = frame.collect_schema().names()
        keep = ["customer_id", "order_date", *only, "status"]
        frame = frame.select(*dict.fromkeys(c for c in keep if c in names))
    frame = drop_cancelled(frame, include_cancelled=include_cancelled)
    frame = frame.filter(~nw.col("order_date").is_null() & ~nw.col("customer_id").is_null())
    if as_of is not None:
        frame = frame.filter(nw.col("order_date") < nw.lit(_day_after(as_of)))
    return frame


def _active(orders, *, freq, fiscal_year_start, as_of, include_cancelled, by=(), customers=None):
    frame = _orders(
        orders, as_of=as_of, include_cancelled=include_cancelled, by=by, customers=customers
    )
    frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    return frame
