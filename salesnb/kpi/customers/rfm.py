"""RFM: recency, frequency, monetary value and 1-5 scores per customer, and segments.

The segment of a customer follows the rule table :data:`RFM_SEGMENTS` on the R and
F scores, except that a customer who bought within their typical purchase interval
is never named as lapsed (see :func:`rfm_scores`).
"""

from __future__ import annotations

import warnings

import narwhals as nw

from salesnb.kpi._frame import close_frame, days_between
from salesnb.kpi._tables import _day
from salesnb.kpi.customers.orders import _orders

__all__ = ["RFM_SEGMENTS", "rfm_scores"]


#: RFM segment rules, applied in order: (segment, R scores, F scores). Every
#: (R, F) pair of 1-5 matches exactly one rule; M does not enter the segment.
RFM_SEGMENTS: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = (
    ("Champions", (5,), (4, 5)),
    ("Loyal", (3, 4), (4, 5)),
    ("Potential loyalist", (4, 5), (2, 3)),
    ("New", (5,), (1,)),
    ("Promising", (4,), (1,)),
    ("Need attention", (3,), (3,)),
    ("About to sleep", (3,), (1, 2)),
    ("Can't lose", (1, 2), (5,)),
    ("At risk", (1, 2), (3, 4)),
    ("Lost", (1,), (1,)),
    ("Hibernating", (1, 2), (1, 2)),
)


def _quintile(column: str, *, lower_is_better: bool = False) -> nw.Expr:
    """1 + floor(5 × (customers with a strictly worse value) / customers)."""
    worse = nw.col(column).rank("min", descending=lower_is_better) - 1
    return ((worse * 5) // nw.len() + 1).cast(nw.Int64)


def _segment_expr(r: str = "r_score") -> nw.Expr:
    name, rs, fs = RFM_SEGMENTS[0]
    expr = nw.when(nw.col(r).is_in(list(rs)) & nw.col("f_score").is_in(list(fs))).then(nw.lit(name))
    for name, rs, fs in RFM_SEGMENTS[1:]:
        expr = expr.when(nw.col(r).is_in(list(rs)) & nw.col("f_score").is_in(list(fs))).then(
            nw.lit(name)
        )
    return expr.alias("segment")


#: R score a customer within their typical purchase interval counts with at least,
#: for naming only: R 1-2 names ("Lost", "At risk", "Hibernating", "Can't lose")
#: say the customer has lapsed.
_ACTIVE_MIN_R = 3


def _naming_r() -> nw.Expr:
    """R score used for the segment name: at least 3 within the typical purchase interval.

    Typical interval: (last - first order day) / (distinct order days - 1) for a
    repeat buyer; for a one-order customer, the median of the repeat buyers'.
    """
    own = nw.when(nw.col("__days") > 1).then(nw.col("__span") / (nw.col("__days") - 1))
    typical = own.fill_null(own.median())
    within = (nw.col("recency_days").cast(nw.Float64) <= typical).fill_null(value=False)
    return (
        nw.when(within & (nw.col("r_score") < _ACTIVE_MIN_R))
        .then(nw.lit(_ACTIVE_MIN_R))
        .otherwise(nw.col("r_score"))
        .cast(nw.Int64)
        .alias("__r_name")
    )


def rfm_scores(orders, *, as_of, include_cancelled: bool = False):
    """Recency, frequency, monetary value and RFM scores per customer.

    For each customer with an order on or before ``as_of``:

    - ``recency_days``: calendar days from the last order date to ``as_of``;
    - ``frequency``: number of distinct ``order_id``;
    - ``monetary``: sum of ``amount``.

    Scores 1-5 (5 = best: most recent, most frequent, highest spend) by
    quintile of rank: ``score = 1 + floor(5 × w / n)`` where ``n`` is the
    number of customers and ``w`` the number of customers with a strictly
    worse value. Tied customers therefore share a score (the one of the
    lowest position of their tie), the result does not depend on row order,
    and if everybody ties everybody scores 1. ``monetary`` is compared rounded
    to 6 decimals.

    ``rfm_score`` is the text ``"<R><F><M>"``; ``segment`` follows the rule
    table :data:`RFM_SEGMENTS` on R and F (first match), with one exception.
    The scores rank customers against each other, but names such as "Lost"
    or "At risk" sound absolute: on data where everybody bought last week,
    someone still has the lowest R. So a customer who bought within their
    **typical purchase interval** (``recency_days`` at most ``(last - first
    order day) / (distinct order days - 1)``; for a customer with one order
    day, the median of that interval over the repeat buyers) is named with
    R counted as at least 3. Such a customer is never "Lost", "At risk",
    "Hibernating" or "Can't lose"; ``r_score`` itself is unchanged. Beyond
    the interval, the names still rank customers against each other (a
    "Champion" is among the most recent buyers of this data, however long
    ago that was).

    ==================  ========  ========
    segment             R         F
    ==================  ========  ========
    Champions           5         4-5
    Loyal               3-4       4-5
    Potential loyalist  4-5       2-3
    New                 5         1
    Promising           4         1
    Need attention      3         3
    About to sleep      3         1-2
    Can't lose          1-2       5
    At risk             1-2       3-4
    Lost                1         1
    Hibernating         1-2       1-2
    ==================  ========  ========

    Parameters
    ----------
    orders : DataFrame
        Needs ``order_id``, ``customer_id``, ``order_date``, ``amount``.
    as_of : date
    include_cancelled : bool, default False

    Returns
    -------
    DataFrame
        ``customer_id, last_order_date, recency_days, frequency, monetary,
        r_score, f_score, m_score, rfm_score, segment`` sorted by customer.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["1", "2", "3", "4", "5", "6", "7"],
    ...     "customer_id": ["A", "A", "A", "B", "C", "D", "E"],
    ...     "order_date": pd.to_datetime(["2025-01-01", "2025-05-01", "2025-06-30",
    ...                                   "2025-06-20", "2024-07-01", "2025-03-01",
    ...                                   "2025-06-29"]),
    ...     "amount": [100.0, 100.0, 100.0, 50.0, 500.0, 20.0, 60.0],
    ... })
    >>> out = rfm_scores(orders, as_of="2025-06-30")
    >>> print(out.drop(columns="last_order_date").to_string())
      customer_id  recency_days  frequency  monetary  r_score  f_score  m_score rfm_score         segment
    0           A             0          3     300.0        5        5        4       554       Champions
    1           B            10          1      50.0        3        1        2       312  About to sleep
    2           C           364          1     500.0        1        1        5       115            Lost
    3           D           121          1      20.0        2        1        1       211     Hibernating
    4           E             1          1      60.0        4        1        3       413       Promising
    """
    frame = _orders(
        orders, as_of=as_of, include_cancelled=include_cancelled, required=["order_id", "amount"]
    )
    day = _day(as_of)
    frame = frame.with_columns(__amount=nw.col("amount").cast(nw.Float64))
    frame = frame.with_columns(__day=nw.col("order_date").dt.truncate("1d"))
    out = frame.group_by("customer_id").agg(
        nw.col("order_date").max().alias("last_order_date"),
        nw.col("order_id").n_unique().alias("frequency"),
        nw.col("__amount").sum().alias("monetary"),
        nw.col("__day").n_unique().alias("__days"),
        nw.col("__day").min().alias("__first_day"),
        nw.col("__day").max().alias("__last_day"),
    )
    out = out.with_columns(
        recency_days=days_between(
            nw.lit(day), nw.col("last_order_date").dt.truncate("1d"), like=out
        )
        .round(0)
        .cast(nw.Int64),
        frequency=nw.col("frequency").cast(nw.Int64),
        __m=nw.col("monetary").round(6),
        __span=days_between("__last_day", "__first_day", like=out),
    )
    out = out.with_columns(
        r_score=_quintile("recency_days", lower_is_better=True),
        f_score=_quintile("frequency"),
        m_score=_quintile("__m"),
    )
    with warnings.catch_warnings():
        # pandas computes here: the median interval of no repeat buyer is NaN, with a warning
        warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
        out = out.with_columns(_naming_r())
    out = out.with_columns(
        rfm_score=nw.concat_str(
            [nw.col(c).cast(nw.String) for c in ("r_score", "f_score", "m_score")]
        ),
        segment=_segment_expr("__r_name"),
    )
    out = out.select(
        "customer_id",
        "last_order_date",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm_score",
        "segment",
    )
    return close_frame(out.sort("customer_id"), like=orders)
