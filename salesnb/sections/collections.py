"""Collections: the share of invoices paid late or not at all, per period."""

from __future__ import annotations

import pandas as pd

from salesnb.periods import Period

__all__ = [
    "late_payment_share",
]


def late_payment_share(orders: pd.DataFrame, *, as_of, freq: str = "quarter") -> pd.DataFrame:
    """Share of invoices not paid by their due date, per period of the due date.

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
    missing = [c for c in ("due_date", "paid_at", "amount") if c not in orders.columns]
    if missing:
        raise KeyError(f"late_payment_share: orders lacks column(s) {missing}")
    day = pd.Timestamp(as_of).normalize()
    frame = orders.loc[orders["due_date"].notna() & (orders["due_date"] <= day)]
    if "status" in frame.columns:
        frame = frame.loc[frame["status"].astype(object).fillna("") != "cancelled"]
    paid = frame["paid_at"]
    late = (
        paid.isna()
        | (paid >= day + pd.Timedelta(days=1))
        | (paid >= frame["due_date"].dt.normalize() + pd.Timedelta(days=1))
    )
    labels = [Period.containing(d, freq=freq).label for d in frame["due_date"]]
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
    out["late"] = out["late"].astype("int64")
    out["late_share"] = out["late"] / out["invoices"]
    out["late_amount_share"] = out["late_amount"] / out["amount"].where(out["amount"] > 0)
    out.insert(1, "period_start", [Period.parse(p, freq=freq).start for p in out["period"]])
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
