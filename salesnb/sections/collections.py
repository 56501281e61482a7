"""Collections: the share of invoices paid late or not at all, per period."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.load.basis import is_lazy
from salesnb.periods import Period
from salesnb.sections.settings import active_settings

__all__ = [
    "late_payment_share",
    "overdue_footnote",
]


def overdue_footnote(as_of) -> str:
    """Why "overdue" and "not paid by the due date" are different figures (Markdown).

    Overdue (:func:`salesnb.kpi.payment_status`) is a state at one date: of the
    amount ordered in a quarter, the share unpaid and past due at ``as_of``.
    Not paid by the due date (:func:`late_payment_share`) is a record: of the
    invoices *due* in a quarter, the share paid after their due date or not at
    all, however late the payment came. An invoice paid a week late counts in
    the second and not in the first.

    >>> print(overdue_footnote("2025-09-30"))  # doctest: +ELLIPSIS
    *Overdue* here: unpaid and past due on 2025-09-30, as a share of the amount ordered...
    """
    day = pd.Timestamp(as_of)
    return (
        f"*Overdue* here: unpaid and past due on {day:%Y-%m-%d}, as a share of the amount "
        "ordered in each quarter. It differs from *not paid by the due date* below, which "
        "counts the invoices **due** in each quarter that were paid late or not at all "
        "(an invoice paid a week late counts there, not here)."
    )


def _period_labels(dates: pd.Series, *, freq: str, fiscal_year_start: int) -> np.ndarray:
    """The period label of each date, computed once per distinct day (10M invoices:
    about 1,000 days; one label per row took 170 s)."""
    days = pd.to_datetime(dates).dt.normalize()
    label = {
        d: Period.containing(d, freq=freq, fiscal_year_start=fiscal_year_start).label
        for d in pd.DatetimeIndex(days.dropna().unique())
    }
    return days.map(label).to_numpy(object)


def late_payment_share(
    orders: pd.DataFrame, *, as_of, freq: str = "quarter", fiscal_year_start: int | None = None
) -> pd.DataFrame:
    """Share of invoices not paid by their due date, per period of the due date.

    Periods are those of the report's calendar (``fiscal_year_start``, by
    default the active settings', see :mod:`salesnb.sections.settings`).

    An invoice (an order with a ``due_date`` on or before ``as_of``, not
    cancelled) is *late* when ``paid_at`` is missing, after ``as_of`` (not known
    yet) or after the end of its due day. The period is that of ``due_date``.

    Returns
    -------
    pandas.DataFrame
        ``period, period_start, invoices, late, late_share, amount, late_amount,
        late_amount_share``.

    Raises
    ------
    KeyError
        When ``orders`` lacks ``due_date`` or ``paid_at``.

    >>> o = pd.DataFrame({"due_date": pd.to_datetime(["2025-07-10", "2025-08-01", "2025-10-05"]),
    ...                   "paid_at": pd.to_datetime(["2025-07-10 15:00", "2025-08-03 09:00", None]),
    ...                   "amount": [100.0, 300.0, 50.0]})
    >>> late_payment_share(o, as_of="2025-12-31")[["period", "invoices", "late", "late_share"]]
       period  invoices  late  late_share
    0  2025Q3         2     1         0.5
    1  2025Q4         1     1         1.0
    """
    day = pd.Timestamp(as_of).normalize()
    fys = active_settings().fiscal_year_start if fiscal_year_start is None else fiscal_year_start
    if is_lazy(orders):
        work = _late_by_due_day(orders, day)
        work["period"] = _period_labels(work["due_day"], freq=freq, fiscal_year_start=fys)
        sums = {"invoices": "sum", "late": "sum", "amount": "sum", "late_amount": "sum"}
        out = work.groupby("period", sort=True).agg(sums).reset_index()
        return _late_shares(out, freq, fys)
    missing = [c for c in ("due_date", "paid_at", "amount") if c not in orders.columns]
    if missing:
        raise KeyError(f"late_payment_share: orders lacks column(s) {missing}")
    frame = orders.loc[orders["due_date"].notna() & (orders["due_date"] <= day)]
    if "status" in frame.columns:
        frame = frame.loc[frame["status"].astype(object).fillna("") != "cancelled"]
    paid = frame["paid_at"]
    late = (
        paid.isna()
        | (paid >= day + pd.Timedelta(days=1))
        | (paid >= frame["due_date"].dt.normalize() + pd.Timedelta(days=1))
    )
    labels = _period_labels(frame["due_date"], freq=freq, fiscal_year_start=fys)
    work = pd.DataFrame(
        {"period": labels, "late": late.to_numpy(bool), "amount": frame["amount"].to_numpy(float)}
    )
    work["late_amount"] = work["amount"].where(work["late"], 0.0)
    out = (
        work.groupby("period", sort=True)
        .agg(
            invoices=("late", "size"),
            late=("late", "sum"),
            amount=("amount", "sum"),
            late_amount=("late_amount", "sum"),
        )
        .reset_index()
    )
    return _late_shares(out, freq, fys)


def _late_shares(out: pd.DataFrame, freq: str, fiscal_year_start: int) -> pd.DataFrame:
    """Shares and period starts of the per-period invoice counts of :func:`late_payment_share`."""
    out["late"] = out["late"].astype("int64")
    out["late_share"] = out["late"] / out["invoices"]
    out["late_amount_share"] = out["late_amount"] / out["amount"].where(out["amount"] > 0)
    out.insert(
        1,
        "period_start",
        [
            Period.parse(p, freq=freq, fiscal_year_start=fiscal_year_start).start
            for p in out["period"]
        ],
    )
    return out[
        [
            "period",
            "period_start",
            "invoices",
            "late",
            "late_share",
            "amount",
            "late_amount",
            "late_amount_share",
        ]
    ]


def _late_by_due_day(orders, day: pd.Timestamp) -> pd.DataFrame:
    """The rule of :func:`late_payment_share` per due day, computed on the orders' engine.

    Returns one row per due day (``due_day, invoices, late, amount,
    late_amount``); only these rows come back to pandas.

    Raises
    ------
    KeyError
        When ``orders`` lacks ``due_date``, ``paid_at`` or ``amount``.
    """
    import narwhals as nw

    from salesnb.sections.engine_inputs import collect

    table = nw.from_native(orders)
    names = table.collect_schema().names()
    missing = [c for c in ("due_date", "paid_at", "amount") if c not in names]
    if missing:
        raise KeyError(f"late_payment_share: orders lacks column(s) {missing}")
    end = (day + pd.Timedelta(days=1)).to_pydatetime()
    keep = ~nw.col("due_date").is_null() & (nw.col("due_date") <= day.to_pydatetime())
    if "status" in names:
        keep = keep & ((nw.col("status") != "cancelled") | nw.col("status").is_null())
    due_day = nw.col("due_date").dt.truncate("1d")
    paid = nw.col("paid_at")
    late = paid.is_null() | (paid >= end) | (paid >= due_day + pd.Timedelta(days=1))
    daily = (
        table.filter(keep)
        .with_columns(due_day.alias("due_day"), late.cast(nw.Int64).alias("_late"))
        .group_by("due_day")
        .agg(
            nw.len().alias("invoices"),
            nw.col("_late").sum().alias("late"),
            nw.col("amount").sum().alias("amount"),
            (nw.col("amount") * nw.col("_late")).sum().alias("late_amount"),
        )
        .sort("due_day")
    )
    return collect(daily.to_native())
