"""Customer acquisition cost (CAC) per period and source.

Marketing spend (``marketing_spend``) divided by the new customers of the period,
counted from ``customers`` (``acquired_at``) or, without it, from converted leads.
"""

from __future__ import annotations

import narwhals as nw

from salesnb.kpi._frame import (
    PERIOD_START,
    MissingColumnsError,
    as_list,
    open_frame,
    ratio,
    with_period,
)
from salesnb.kpi._tables import _compare, _finish, _join, _literal_frame, _note, _open
from salesnb.periods import Period, normalize_freq

__all__ = ["acquisition_cost"]


def _acquisitions(customers, leads, *, like: nw.LazyFrame) -> tuple[nw.LazyFrame, str]:
    """The table of new customers and its deciding date: customers, else converted leads."""
    if customers is not None:
        acq = _open(customers, table="customers", required=["acquired_at", "source"], like=like)
        return acq, "acquired_at"
    if leads is not None:
        acq = _open(leads, table="leads", required=["converted_at", "source"], like=like)
        return acq, "converted_at"
    raise MissingColumnsError(
        "acquisition_cost needs customers= (acquired_at, source) or leads= "
        "(converted_at, source) to count new customers"
    )


def _spend_periods(spend: nw.LazyFrame, *, freq, fiscal_year_start, dtype) -> nw.LazyFrame:
    """``period, period_start``: the ``freq`` period of each spend period label.

    Raises ValueError for a spend period longer than one ``freq`` period.
    """
    labels = sorted(
        str(x)
        for x in spend.select("period").unique().collect()["period"].to_list()
        if x is not None
    )
    starts = []
    for label in labels:
        p = Period.parse(label, fiscal_year_start=fiscal_year_start)
        first = Period.containing(p.start, freq=freq, fiscal_year_start=fiscal_year_start)
        last = Period.containing(p.last_day, freq=freq, fiscal_year_start=fiscal_year_start)
        if first != last:
            raise ValueError(
                f"marketing_spend period {label!r} spans more than one {freq}; use a freq "
                f"at least as long as the spend periods"
            )
        starts.append(first.start.to_pydatetime())
    mapping = _literal_frame(
        {"period": labels, PERIOD_START: starts},
        like=spend,
        schema={"period": nw.String(), PERIOD_START: nw.Datetime("us")},
    )
    return mapping.with_columns(nw.col(PERIOD_START).cast(dtype))


def acquisition_cost(
    marketing_spend,
    customers=None,
    leads=None,
    *,
    freq: str = "quarter",
    by="source",
    fiscal_year_start: int = 1,
    comparisons: bool = True,
):
    """Customer acquisition cost (CAC) per period and source.

    Formula: ``cac = spend / new_customers`` where

    - ``spend`` = ``marketing_spend.amount`` of the period (spend rows carry a
      period label — month, quarter, half or year — which must not be longer
      than ``freq``: monthly spend can be summed to quarters, yearly spend
      cannot be split into quarters);
    - ``new_customers`` = customers acquired in the period from that source:
      from ``customers`` (``acquired_at`` decides, ``source``), else from
      ``leads`` (converted leads, ``converted_at`` decides, ``source``; one
      converted lead = one new customer).

    Rows: the periods with recorded spend × the sources with spend or new
    customers in them. Edge cases: no new customer → ``cac`` missing,
    ``note = "no new customers"``; a source with customers but no spend row
    has ``spend = 0`` (so ``cac = 0``) and ``note = "no spend recorded"``.

    Parameters
    ----------
    marketing_spend : DataFrame
        ``period``, ``source``, ``amount``.
    customers, leads : DataFrame
        One of them, see above (``customers`` wins when both are given).
    freq : str, default "quarter"
    by : "source" or None, default "source"
        ``None`` gives the blended CAC over all sources.
    comparisons : bool, default True
        Comparisons of ``cac``.

    Returns
    -------
    DataFrame
        ``period, period_start, [source,] spend, new_customers, cac, note``
        (+ comparisons).

    Examples
    --------
    >>> import pandas as pd
    >>> spend = pd.DataFrame({"period": ["2025-01", "2025-02", "2025-01"],
    ...                       "source": ["web", "web", "event"],
    ...                       "amount": [300.0, 300.0, 500.0]})
    >>> customers = pd.DataFrame({"customer_id": ["A", "B", "C"],
    ...                           "acquired_at": pd.to_datetime(["2025-01-05", "2025-03-01",
    ...                                                          "2025-02-01"]),
    ...                           "source": ["web", "web", "referral"]})
    >>> out = acquisition_cost(spend, customers, freq="quarter", comparisons=False)
    >>> print(out.to_string())
       period period_start    source  spend  new_customers    cac               note
    0  2025Q1   2025-01-01     event  500.0              0    NaN   no new customers
    1  2025Q1   2025-01-01  referral    0.0              1    0.0  no spend recorded
    2  2025Q1   2025-01-01       web  600.0              2  300.0                NaN
    """
    freq = normalize_freq(freq)
    if by not in (None, "source"):
        raise ValueError(f"by must be 'source' or None, got {by!r}")
    by_cols = as_list(by)
    spend = open_frame(
        marketing_spend, table="marketing_spend", required=["period", "source", "amount"]
    )
    acq, date_col = _acquisitions(customers, leads, like=spend)
    acq = acq.filter(~nw.col(date_col).is_null())
    acq = with_period(acq, date_col, freq=freq, fiscal_year_start=fiscal_year_start)
    dtype = acq.collect_schema()[PERIOD_START]
    mapping = _spend_periods(spend, freq=freq, fiscal_year_start=fiscal_year_start, dtype=dtype)
    spend = spend.with_columns(
        nw.col("period").cast(nw.String), __amount=nw.col("amount").cast(nw.Float64)
    )
    spend = (
        spend.join(mapping, on="period", how="inner")
        .group_by([PERIOD_START, *by_cols])
        .agg(nw.col("__amount").sum().alias("spend"))
    )
    acq = (
        acq.with_columns(__one=nw.lit(1))
        .group_by([PERIOD_START, *by_cols])
        .agg(nw.col("__one").sum().alias("new_customers"))
    )
    periods = spend.select(PERIOD_START).unique()
    acq = acq.join(periods, on=PERIOD_START, how="semi")
    keys = nw.concat(
        [spend.select(PERIOD_START, *by_cols), acq.select(PERIOD_START, *by_cols)], how="vertical"
    ).unique()
    out = _join(keys, spend, on=[PERIOD_START], by=by_cols)
    out = _join(out, acq, on=[PERIOD_START], by=by_cols)
    out = out.with_columns(
        nw.col("new_customers").fill_null(0).cast(nw.Int64),
        __no_spend=nw.col("spend").is_null(),
    ).with_columns(nw.col("spend").fill_null(0.0))
    out = out.with_columns(
        cac=ratio("spend", "new_customers"),
        note=_note(
            (nw.col("new_customers") == 0, "no new customers"),
            (nw.col("__no_spend"), "no spend recorded"),
        ),
    ).drop("__no_spend")
    out = _compare(
        out,
        ["cac"],
        by=by_cols,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(
        out, by=by_cols, freq=freq, fiscal_year_start=fiscal_year_start, like=marketing_spend
    )
