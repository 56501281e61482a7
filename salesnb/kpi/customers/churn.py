"""Customer churn and retention between consecutive periods.

A customer is active in a period with at least one counted order in it
(:mod:`salesnb.kpi.customers.orders`); churn compares each period with the one before.
"""

from __future__ import annotations

import narwhals as nw

from salesnb.kpi._frame import PERIOD_START, as_list, close_frame, finish, open_frame, ratio
from salesnb.kpi._tables import (
    _check_by_not_reserved,
    _compare,
    _complete,
    _finish,
    _incomplete_start,
    _join,
    _note,
    _offset,
    _period_grid,
)
from salesnb.kpi.customers.orders import _active
from salesnb.periods import normalize_freq

__all__ = ["churn_rate", "retention_rate"]


def _churn_counts(frame: nw.LazyFrame, *, by, freq) -> list[tuple[nw.LazyFrame, list[str]]]:
    """Customer counts per period and group: active in the previous period, retained,
    active and new, each with the names of its count columns."""
    act = frame.select("customer_id", PERIOD_START, *by).unique()
    prev = act.with_columns(_offset(nw.col(PERIOD_START), freq, 1).alias(PERIOD_START))
    one = nw.lit(1)
    base = (
        prev.with_columns(__one=one)
        .group_by([PERIOD_START, *by])
        .agg(nw.col("__one").sum().alias("customers_prev"))
    )
    kept = _join(prev, act, on=[PERIOD_START, "customer_id"], by=by, how="inner")
    kept = (
        kept.with_columns(__one=one)
        .group_by([PERIOD_START, *by])
        .agg(nw.col("__one").sum().alias("retained"))
    )
    active = (
        act.with_columns(__one=one)
        .group_by([PERIOD_START, *by])
        .agg(nw.col("__one").sum().alias("active"))
    )
    firsts = act.group_by(["customer_id", *by]).agg(nw.col(PERIOD_START).min())
    new = (
        firsts.with_columns(__one=one)
        .group_by([PERIOD_START, *by])
        .agg(nw.col("__one").sum().alias("new"))
    )
    return [
        (base, ["customers_prev"]),
        (kept, ["retained"]),
        (active, ["active"]),
        (new, ["new"]),
    ]


def churn_rate(
    orders,
    *,
    freq: str = "quarter",
    by=None,
    as_of=None,
    customers=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
    comparisons: bool = True,
):
    """Customer churn and retention between consecutive periods.

    Definitions, for period *t* and group (a customer is *active* in a period
    when they have at least one order in it, within the group):

    - ``customers_prev``: customers active in period *t - 1*;
    - ``retained``: of those, the customers also active in *t*;
    - ``churned = customers_prev - retained``;
    - ``churn_rate = churned / customers_prev``;
    - ``retention_rate = retained / customers_prev = 1 - churn_rate``;
    - ``active``: customers active in *t*; ``new``: active customers whose
      first order (in the data, within the group) is in *t*;
      ``reactivated = active - retained - new`` (back after a gap).

    Rows: every period from the first to the last one with orders, every
    group. ``customers_prev = 0`` (e.g. the first period) → rates missing,
    ``note = "no customers active in the previous period"``. With ``as_of``,
    orders after it are ignored and a period that is not over at ``as_of`` is
    flagged ``note = "period incomplete at as_of"`` (its churn is overstated).

    Parameters
    ----------
    by : str or list of str, optional
        Columns of ``orders`` (``region``, ``channel``) or of ``customers``
        (``segment``; pass ``customers=``).
    comparisons : bool, default True
        Comparisons of ``churn_rate``.

    Returns
    -------
    DataFrame
        ``period, period_start, *by, customers_prev, retained, churned,
        churn_rate, retention_rate, active, new, reactivated, note``
        (+ comparisons).

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["1", "2", "3", "4", "5", "6"],
    ...     "customer_id": ["A", "B", "C", "A", "D", "C"],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-03-01",
    ...                                   "2025-04-10", "2025-05-01", "2025-08-01"]),
    ...     "amount": [1.0] * 6,
    ... })
    >>> out = churn_rate(orders, freq="quarter", comparisons=False)
    >>> print(out[["period", "customers_prev", "retained", "churned", "churn_rate",
    ...            "active", "new", "reactivated"]].to_string())
       period  customers_prev  retained  churned  churn_rate  active  new  reactivated
    0  2025Q1               0         0        0         NaN       3    3            0
    1  2025Q2               3         1        2    0.666667       2    1            0
    2  2025Q3               2         0        2    1.000000       1    0            1
    """
    freq = normalize_freq(freq)
    by = as_list(by)
    _check_by_not_reserved(by, ["customer_id", "customers_prev", "retained", "churned", "note"])
    frame = _active(
        orders,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
        include_cancelled=include_cancelled,
        by=by,
        customers=customers,
    )
    parts = _churn_counts(frame, by=by, freq=freq)
    grid = _period_grid(
        frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start, by=by, end=as_of
    )
    out = grid
    for part, cols in parts:
        out = _complete(part, out, by=by, counts=cols)
    out = out.with_columns(
        churned=nw.col("customers_prev") - nw.col("retained"),
        reactivated=nw.col("active") - nw.col("retained") - nw.col("new"),
    ).with_columns(
        churn_rate=ratio("churned", "customers_prev"),
        retention_rate=ratio("retained", "customers_prev"),
    )
    cases = [(nw.col("customers_prev") == 0, "no customers active in the previous period")]
    cut = _incomplete_start(as_of, freq, fiscal_year_start)
    if cut is not None:
        cases.append(
            (nw.col(PERIOD_START) == nw.lit(cut.to_pydatetime()), "period incomplete at as_of")
        )
    out = out.with_columns(_note(*cases)).select(
        PERIOD_START,
        *by,
        "customers_prev",
        "retained",
        "churned",
        "churn_rate",
        "retention_rate",
        "active",
        "new",
        "reactivated",
        "note",
    )
    out = _compare(
        out,
        ["churn_rate"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=orders)


def retention_rate(
    orders,
    *,
    freq: str = "quarter",
    by=None,
    as_of=None,
    customers=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
    comparisons: bool = True,
):
    """Customer retention between consecutive periods (the same table as :func:`churn_rate`).

    ``retention_rate = retained / customers_prev = 1 - churn_rate``: the share
    of the customers active in the previous period who are active again in
    this one. All definitions, edge cases and columns are those of
    :func:`churn_rate`; the comparisons are of ``retention_rate``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["A", "B", "A"],
    ...                        "order_date": pd.to_datetime(["2025-01-05", "2025-02-01",
    ...                                                      "2025-04-10"]),
    ...                        "amount": [1.0] * 3})
    >>> retention_rate(orders, comparisons=False)[["period", "customers_prev", "retention_rate"]]
       period  customers_prev  retention_rate
    0  2025Q1               0             NaN
    1  2025Q2               2             0.5
    """
    out = churn_rate(
        orders,
        freq=freq,
        by=by,
        as_of=as_of,
        customers=customers,
        fiscal_year_start=fiscal_year_start,
        include_cancelled=include_cancelled,
        comparisons=False,
    )
    if not comparisons:
        return out
    freq = normalize_freq(freq)
    by = as_list(by)
    frame = open_frame(out, table="churn")
    frame = _compare(
        frame,
        ["retention_rate"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=True,
    )
    return close_frame(finish(frame, by=by), like=out)
