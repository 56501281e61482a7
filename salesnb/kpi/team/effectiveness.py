"""Rep effectiveness: one row per rep and period with sales, customers, deals and activities."""

from __future__ import annotations

import narwhals as nw

from salesnb.kpi._frame import (
    PERIOD_START,
    as_list,
    attach_columns,
    column_names,
    days_between,
    drop_cancelled,
    open_frame,
    ratio,
    with_period,
)
from salesnb.kpi._tables import _finish, _flag, _note, _open, _starts_frame
from salesnb.kpi.team.quota import _resolve_period
from salesnb.schema import ACTIVITY_TYPES

__all__ = ["rep_effectiveness"]


def _customers_gained(
    rep_orders: nw.LazyFrame, ords: nw.LazyFrame, customers, *, like, freq, fiscal_year_start
) -> nw.LazyFrame:
    """``period_start, rep_id, customers_gained, new_customers`` per rep and period.

    Gained: the customer's first order with the rep; new: that period is also the
    customer's first with the company (``customers.acquired_at`` when given, else the
    customer's first order of all).
    """
    first_with_rep = rep_orders.group_by(["customer_id", "rep_id"]).agg(nw.col(PERIOD_START).min())
    names = [] if customers is None else column_names(open_frame(customers, table="customers"))
    if customers is not None and "acquired_at" in names:
        cust = _open(
            customers, table="customers", required=["customer_id", "acquired_at"], like=like
        ).filter(~nw.col("acquired_at").is_null())
        cust = with_period(
            cust,
            "acquired_at",
            freq=freq,
            fiscal_year_start=fiscal_year_start,
            name="__company_first",
        )
        company_first = cust.select("customer_id", "__company_first").unique(
            subset=["customer_id"], keep="any"
        )
    else:
        company_first = ords.group_by("customer_id").agg(
            nw.col(PERIOD_START).min().alias("__company_first")
        )
    gained = first_with_rep.join(company_first, on="customer_id", how="left").with_columns(
        __one=nw.lit(1),
        __new=_flag(nw.col("__company_first") == nw.col(PERIOD_START)),
    )
    return gained.group_by([PERIOD_START, "rep_id"]).agg(
        nw.col("__one").sum().alias("customers_gained"),
        nw.col("__new").sum().alias("new_customers"),
    )


def _deal_measures(opportunities, *, like, freq, fiscal_year_start) -> nw.LazyFrame:
    """``period_start, rep_id, won_deals, lost_deals, median_cycle_days`` (``closed_at``
    decides the period; the cycle of won deals, created → closed, in days)."""
    opp = _open(
        opportunities,
        table="opportunities",
        required=["rep_id", "status", "created_at", "closed_at"],
        like=like,
    )
    opp = opp.filter(
        nw.col("status").is_in(["won", "lost"])
        & ~nw.col("closed_at").is_null()
        & ~nw.col("rep_id").is_null()
    )
    opp = with_period(opp, "closed_at", freq=freq, fiscal_year_start=fiscal_year_start)
    opp = opp.with_columns(
        __won=_flag(nw.col("status") == "won"),
        __lost=_flag(nw.col("status") == "lost"),
        __cycle=nw.when(nw.col("status") == "won").then(
            days_between("closed_at", "created_at", like=opp)
        ),
    )
    return opp.group_by([PERIOD_START, "rep_id"]).agg(
        nw.col("__won").sum().alias("won_deals"),
        nw.col("__lost").sum().alias("lost_deals"),
        nw.col("__cycle").median().alias("median_cycle_days"),
    )


def _activity_measures(activities, *, like, freq, fiscal_year_start) -> nw.LazyFrame:
    """``period_start, rep_id, activities, activities_<type>...`` of completed activities
    (``completed_at`` decides the period)."""
    act = _open(
        activities, table="activities", required=["rep_id", "type", "completed_at"], like=like
    )
    act = act.filter(~nw.col("completed_at").is_null())
    act = with_period(act, "completed_at", freq=freq, fiscal_year_start=fiscal_year_start)
    act = act.with_columns(
        __one=nw.lit(1), **{f"__{t}": _flag(nw.col("type") == t) for t in ACTIVITY_TYPES}
    )
    return act.group_by([PERIOD_START, "rep_id"]).agg(
        nw.col("__one").sum().alias("activities"),
        *[nw.col(f"__{t}").sum().alias(f"activities_{t}") for t in ACTIVITY_TYPES],
    )


def rep_effectiveness(
    orders,
    opportunities=None,
    activities=None,
    customers=None,
    *,
    freq: str = "quarter",
    period: str | None = None,
    by=None,
    reps=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
):
    """One row per rep and period with the rep's sales effectiveness measures.

    - ``revenue``, ``orders``: sum of amounts and number of distinct
      ``order_id`` of the rep's non-cancelled orders (``order_date`` decides);
    - ``customers_gained``: customers whose **first order credited to this
      rep** (over the whole ``orders`` table) falls in the period — a customer
      moving to another rep counts as gained by the new rep too;
      ``new_customers``: those of them new to the company in that period (the
      customer's ``customers.acquired_at`` when ``customers`` with
      ``acquired_at`` is given, otherwise the customer's first order of all);
    - from ``opportunities`` (``closed_at`` decides): ``won_deals``,
      ``lost_deals``, ``win_rate = won / (won + lost)``,
      ``median_cycle_days`` (created → closed, won deals);
    - from ``activities`` (``completed_at`` decides; only completed ones):
      ``activities`` and one ``activities_<type>`` count per type of
      :data:`salesnb.schema.ACTIVITY_TYPES`.

    Rows: every rep with an order, a closed deal or a completed activity in
    the period; counts are 0 and rates missing where a source has nothing
    (``win_rate`` without closed deals: missing, ``note = "no deals closed"``).

    Parameters
    ----------
    orders : DataFrame
        Needs ``order_id``, ``customer_id``, ``order_date``, ``amount``, ``rep_id``.
    opportunities, activities, customers : DataFrame, optional
    freq : str, default "quarter"
    period : str, optional
        Keep only this period label.
    by : str or list of str, optional
        Rep attributes (``"team"``) joined from ``reps``.
    reps : DataFrame, optional
    fiscal_year_start : int, default 1
    include_cancelled : bool, default False

    Returns
    -------
    DataFrame
        ``period, period_start, rep_id, *by, revenue, orders,
        customers_gained, new_customers, [won_deals, lost_deals, win_rate,
        median_cycle_days,] [activities, activities_call, ...,] note``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["A", "B", "C"], "customer_id": ["C1", "C1", "C2"],
    ...     "rep_id": ["R1", "R1", "R1"], "amount": [10.0, 20.0, 30.0],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-04-05", "2025-04-06"]),
    ... })
    >>> out = rep_effectiveness(orders, freq="quarter")
    >>> print(out[["period", "rep_id", "revenue", "orders", "customers_gained",
    ...            "new_customers"]].to_string())
       period rep_id  revenue  orders  customers_gained  new_customers
    0  2025Q1     R1     10.0       1                 1              1
    1  2025Q2     R1     50.0       2                 1              1
    """
    by = as_list(by)
    freq, per = _resolve_period(freq, period, fiscal_year_start)
    base = open_frame(
        orders,
        table="orders",
        required=["order_id", "customer_id", "order_date", "amount", "rep_id"],
    )
    ords = drop_cancelled(base, include_cancelled=include_cancelled).filter(
        ~nw.col("order_date").is_null()
    )
    ords = with_period(ords, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    rep_orders = ords.filter(~nw.col("rep_id").is_null()).with_columns(
        __amount=nw.col("amount").cast(nw.Float64)
    )
    periods = {"freq": freq, "fiscal_year_start": fiscal_year_start}
    measures = [
        rep_orders.group_by([PERIOD_START, "rep_id"]).agg(
            nw.col("__amount").sum().alias("revenue"),
            nw.col("order_id").n_unique().alias("orders"),
        ),
        _customers_gained(rep_orders, ords, customers, like=base, **periods),
    ]
    counts = ["orders", "customers_gained", "new_customers"]
    if opportunities is not None:
        measures.append(_deal_measures(opportunities, like=base, **periods))
        counts += ["won_deals", "lost_deals"]
    if activities is not None:
        measures.append(_activity_measures(activities, like=base, **periods))
        counts += ["activities", *[f"activities_{t}" for t in ACTIVITY_TYPES]]
    out = nw.concat([m.select(PERIOD_START, "rep_id") for m in measures], how="vertical").unique()
    for m in measures:
        out = out.join(m, on=[PERIOD_START, "rep_id"], how="left")
    out = out.with_columns(
        *[nw.col(c).fill_null(0).cast(nw.Int64) for c in counts],
        nw.col("revenue").fill_null(0.0).cast(nw.Float64),
    )
    order = ["revenue", "orders", "customers_gained", "new_customers"]
    if opportunities is not None:
        out = out.with_columns(
            win_rate=ratio("won_deals", nw.col("won_deals") + nw.col("lost_deals")),
            note=_note((nw.col("won_deals") + nw.col("lost_deals") == 0, "no deals closed")),
        )
        order += ["won_deals", "lost_deals", "win_rate", "median_cycle_days"]
    else:
        out = out.with_columns(note=nw.lit(None, dtype=nw.String))
    if activities is not None:
        order += ["activities", *[f"activities_{t}" for t in ACTIVITY_TYPES]]
    if per is not None:
        dtype = out.collect_schema()[PERIOD_START]
        out = out.join(
            _starts_frame([per.start], like=out, dtype=dtype), on=PERIOD_START, how="semi"
        )
    out = attach_columns(out, by, table="orders", lookups={"reps": (reps, "rep_id")})
    out = out.select(PERIOD_START, "rep_id", *by, *order, "note")
    return _finish(out, by=["rep_id"], freq=freq, fiscal_year_start=fiscal_year_start, like=orders)
