"""Simple historical customer lifetime value (CLV) per group.

A descriptive heuristic from the order history; the probabilistic models
(BG/NBD, Gamma-Gamma) live in :mod:`salesnb.models`.
"""

from __future__ import annotations

import narwhals as nw
import pandas as pd

from salesnb.kpi._frame import as_datetime, as_list, close_frame, days_between, ratio
from salesnb.kpi._tables import _bounds, _check_by_not_reserved, _day_after, _flag, _join
from salesnb.kpi.customers.orders import _orders

__all__ = ["historical_clv"]


def _latest(frame: nw.LazyFrame, column: str, as_of):
    """``as_of`` or, when None, the latest date of ``column``."""
    if as_of is not None:
        return pd.Timestamp(as_of)
    _, hi = _bounds(frame, column)
    if hi is None:
        raise ValueError(f"cannot infer as_of: no {column} values")
    return hi.normalize()


_YEAR_DAYS = 365.25


def _check_clv_options(*, lifespan, margin) -> None:
    if isinstance(lifespan, str) and lifespan not in ("churn", "observed"):
        raise ValueError(
            f"lifespan must be a number of years, 'churn' or 'observed', got {lifespan!r}"
        )
    if not isinstance(lifespan, str) and not float(lifespan) > 0:
        raise ValueError(f"lifespan must be positive, got {lifespan!r}")
    if margin is not None and margin != "profit" and not 0 < float(margin) <= 1:
        raise ValueError(f"margin must be a fraction in (0, 1] or 'profit', got {margin!r}")


def _order_totals(frame: nw.LazyFrame, *, by, margin, observed_years: float) -> nw.LazyFrame:
    """Customers, orders, revenue (and profit), average order value, purchase frequency."""
    frame = frame.with_columns(__amount=nw.col("amount").cast(nw.Float64))
    aggs = [
        nw.col("customer_id").n_unique().alias("customers"),
        nw.col("order_id").n_unique().alias("orders"),
        nw.col("__amount").sum().alias("revenue"),
    ]
    if margin == "profit":
        frame = frame.with_columns(__profit=nw.col("profit").cast(nw.Float64))
        aggs.append(nw.col("__profit").sum().alias("__profit"))
    out = frame.group_by(by).agg(*aggs) if by else frame.select(*aggs)
    out = out.with_columns(nw.col("customers").cast(nw.Int64), nw.col("orders").cast(nw.Int64))
    return out.with_columns(
        average_order_value=ratio("revenue", "orders"),
        purchase_frequency=ratio("orders", "customers") / observed_years,
    )


def _observed_lifespan(frame: nw.LazyFrame, *, by) -> nw.LazyFrame:
    """``*by, lifespan_years``: mean (last - first order date) of the customers, in years."""
    per_customer = frame.group_by(["customer_id", *by]).agg(
        nw.col("order_date").min().alias("__first"), nw.col("order_date").max().alias("__last")
    )
    per_customer = per_customer.with_columns(
        __life=days_between("__last", "__first", like=frame) / _YEAR_DAYS
    )
    if by:
        return per_customer.group_by(by).agg(nw.col("__life").mean().alias("lifespan_years"))
    return per_customer.select(nw.col("__life").mean().alias("lifespan_years"))


def _churn_lifespan(frame: nw.LazyFrame, *, by, end: pd.Timestamp, first) -> nw.LazyFrame:
    """``*by, lifespan_years, __why``: 1 / annual churn, with the reason when missing.

    Annual churn: share of the customers active in the year before last with no
    order in the last year (years ending at ``end``); needs two years of data.
    """
    y1 = as_datetime(end - pd.Timedelta(days=365))
    y0 = as_datetime(end - pd.Timedelta(days=730))
    flags = (
        frame.with_columns(
            __base=_flag(
                (nw.col("order_date") >= nw.lit(y0)) & (nw.col("order_date") < nw.lit(y1))
            ),
            __last_year=_flag(nw.col("order_date") >= nw.lit(y1)),
        )
        .group_by(["customer_id", *by])
        .agg(nw.col("__base").max(), nw.col("__last_year").max())
    )
    flags = flags.with_columns(__kept=nw.col("__base") * nw.col("__last_year"))
    sums = [
        nw.col("__base").sum().alias("__base_n"),
        nw.col("__kept").sum().alias("__kept_n"),
    ]
    life = flags.group_by(by).agg(*sums) if by else flags.select(*sums)
    life = life.with_columns(__churn=ratio(nw.col("__base_n") - nw.col("__kept_n"), "__base_n"))
    enough = first is not None and first <= pd.Timestamp(y0)
    return life.with_columns(
        lifespan_years=nw.when(nw.lit(enough) & (nw.col("__churn") > 0)).then(
            1.0 / nw.col("__churn")
        ),
        __why=nw.when(~nw.lit(enough))
        .then(nw.lit("lifespan: less than two years of data to estimate churn"))
        .when(nw.col("__base_n") == 0)
        .then(nw.lit("lifespan: no customers active in the base year"))
        .when(nw.col("__churn") == 0)
        .then(nw.lit("lifespan: no churn observed")),
    ).select(*by, "lifespan_years", "__why")


def _with_margin(out: nw.LazyFrame, margin) -> nw.LazyFrame:
    """The ``margin`` column: 1, the given fraction, or profit / revenue of the group."""
    if margin is None:
        return out.with_columns(margin=nw.lit(1.0))
    if margin == "profit":
        return out.with_columns(margin=ratio("__profit", "revenue")).drop("__profit")
    return out.with_columns(margin=nw.lit(float(margin)))


def historical_clv(
    orders,
    *,
    by=None,
    margin=None,
    lifespan="churn",
    as_of=None,
    customers=None,
    include_cancelled: bool = False,
):
    """Simple historical customer lifetime value per group.

    Formula::

        clv = average_order_value × purchase_frequency × lifespan_years × margin

    - ``average_order_value = revenue / orders`` (distinct ``order_id``);
    - ``purchase_frequency = orders / customers / observed_years``: orders
      per customer per year, where ``observed_years`` is the span of the data
      from its first order date to the end of ``as_of`` (365.25-day years);
    - ``lifespan_years``:

      * a number: used as given;
      * ``"churn"`` (default): ``1 / annual_churn`` with ``annual_churn`` =
        share of the customers active in the year before last (days
        ``as_of - 730 < d <= as_of - 365``) with no order in the last year
        (``as_of - 365 < d <= as_of``); needs two years of data, otherwise
        missing with a note; no churn observed → missing with a note;
      * ``"observed"``: mean over the customers of (last − first order
        date) in years — a lower bound, one-time buyers count 0;

    - ``margin``: None → 1 (CLV in revenue), a fraction such as ``0.3``, or
      ``"profit"`` → ``sum(profit) / revenue`` of the group.

    This is a descriptive heuristic; the probabilistic models (BG/NBD,
    Gamma-Gamma) live in :mod:`salesnb.models`.

    Parameters
    ----------
    orders : DataFrame
        Needs ``order_id``, ``customer_id``, ``order_date``, ``amount``
        (``profit`` for ``margin="profit"``).
    by : str or list of str, optional
        Columns of orders or customers (``customers=``).
    as_of : date, optional
        Default: the latest order date.

    Returns
    -------
    DataFrame
        ``*by, customers, orders, revenue, average_order_value,
        purchase_frequency, lifespan_years, margin, clv, note``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["1", "2", "3", "4"],
    ...     "customer_id": ["A", "A", "B", "B"],
    ...     "order_date": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-03-01",
    ...                                   "2024-12-30"]),
    ...     "amount": [100.0, 300.0, 100.0, 300.0],
    ... })
    >>> out = historical_clv(orders, lifespan=3.0, margin=0.5, as_of="2024-12-30")
    >>> print(out[["customers", "orders", "average_order_value", "purchase_frequency",
    ...            "clv"]].round(4).to_string())
       customers  orders  average_order_value  purchase_frequency    clv
    0          2       4                200.0              2.0014  600.4
    """
    by = as_list(by)
    _check_by_not_reserved(by, ["customers", "orders", "revenue", "clv", "note"])
    _check_clv_options(lifespan=lifespan, margin=margin)
    required = ["order_id", "amount"] + (["profit"] if margin == "profit" else [])
    frame = _orders(
        orders,
        as_of=as_of,
        include_cancelled=include_cancelled,
        required=required,
        by=by,
        customers=customers,
    )
    as_of = _latest(frame, "order_date", as_of)
    end = pd.Timestamp(_day_after(as_of))
    first, _ = _bounds(frame, "order_date")
    observed_years = (end - first).days / _YEAR_DAYS if first is not None else float("nan")
    out = _order_totals(frame, by=by, margin=margin, observed_years=observed_years)
    has_why = False
    if isinstance(lifespan, str):
        if lifespan == "observed":
            life = _observed_lifespan(frame, by=by)
        else:
            life = _churn_lifespan(frame, by=by, end=end, first=first)
            has_why = True
        out = _join(out, life, by=by, how="left") if by else out.join(life, how="cross")
    else:
        out = out.with_columns(lifespan_years=nw.lit(float(lifespan)))
    out = _with_margin(out, margin)
    out = out.with_columns(
        clv=nw.col("average_order_value")
        * nw.col("purchase_frequency")
        * nw.col("lifespan_years")
        * nw.col("margin")
    )
    note = nw.col("__why") if has_why else nw.lit(None, dtype=nw.String)
    out = out.with_columns(
        note=nw.when(nw.col("customers") == 0).then(nw.lit("no customers")).otherwise(note)
    )
    out = out.select(
        *by,
        "customers",
        "orders",
        "revenue",
        "average_order_value",
        "purchase_frequency",
        "lifespan_years",
        "margin",
        "clv",
        "note",
    )
    if by:
        out = out.sort(by, nulls_last=True)
    return close_frame(out, like=orders)
