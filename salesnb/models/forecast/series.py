"""Revenue per period, calendar features, and the period checks every forecaster shares.

Periods
-------
A period is a calendar month (``freq="M"``, labelled by its first day, index
frequency ``MS``) or a Monday-to-Sunday week (``freq="W"``, labelled by its
Monday, index frequency ``W-MON``). An order belongs to the period of its
``order_date``. A quarter is a calendar quarter; a week belongs to the quarter
of its Monday.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "revenue_series",
    "calendar_features",
    "forecast_horizon",
    "series_fingerprint",
    "FREQ_ALIASES",
    "SEASON_LENGTHS",
]


#: Accepted ``freq`` spellings and the pandas index frequency they mean.
FREQ_ALIASES: dict[str, str] = {
    "M": "MS",
    "MS": "MS",
    "month": "MS",
    "monthly": "MS",
    "W": "W-MON",
    "W-MON": "W-MON",
    "week": "W-MON",
    "weekly": "W-MON",
}
#: Season length (periods per year) of each index frequency.
SEASON_LENGTHS: dict[str, int] = {"MS": 12, "W-MON": 52}


def _index_freq(freq: str) -> str:
    try:
        return FREQ_ALIASES[freq]
    except (KeyError, TypeError):
        raise ValueError(
            f"freq must be one of {sorted(FREQ_ALIASES)} (month or week); got {freq!r}"
        ) from None


def _period_start(dates: pd.Series, index_freq: str) -> pd.Series:
    """First day of the period (month, or Monday of the week) of each date."""
    dates = pd.to_datetime(dates)
    if index_freq == "MS":
        return dates.dt.to_period("M").dt.start_time.astype("datetime64[ns]")
    return (dates.dt.normalize() - pd.to_timedelta(dates.dt.dayofweek, unit="D")).astype(
        "datetime64[ns]"
    )


def _timestamp_period_start(ts: pd.Timestamp, index_freq: str) -> pd.Timestamp:
    return pd.Timestamp(_period_start(pd.Series([pd.Timestamp(ts)]), index_freq).iloc[0])


def _require(frame: pd.DataFrame, columns, table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{table} table is missing required column(s) {missing}; it has {list(frame.columns)}"
        )


def revenue_series(
    orders: pd.DataFrame,
    *,
    freq: str = "M",
    by: str | None = None,
    include_cancelled: bool = False,
    as_of: pd.Timestamp | str | None = None,
    drop_partial_first: bool = False,
) -> pd.Series | pd.DataFrame:
    """Revenue (sum of ``amount``) per period, gaps filled with zero.

    Parameters
    ----------
    orders : pandas.DataFrame
        Orders (or order lines) with ``order_date`` and ``amount``; ``status``
        when cancelled orders should be left out; the ``by`` column if given.
    freq : {"M", "month", "W", "week"}
        Calendar months (labelled by their first day) or Monday-to-Sunday weeks
        (labelled by their Monday). An order counts in the period of its
        ``order_date``.
    by : str, optional
        Column to split revenue by (e.g. ``"region"``); missing values form the
        group ``"(missing)"``.
    include_cancelled : bool, default False
        Count orders with ``status == "cancelled"`` (ignored without ``status``).
    as_of : timestamp, optional
        The day the data describes: keep only orders dated on or before that
        day (the whole day, whatever time an order carries; a time part of
        ``as_of`` is ignored) and drop the period that contains ``as_of``
        unless ``as_of`` is its last day (an incomplete period would look like
        a drop in revenue).
    drop_partial_first : bool, default False
        Drop the first period when it is partial: the earliest order kept
        falls after the period's first day (data that starts mid-month or
        mid-week would look like a low first period). Off by default: a
        business closed on the first day of the month would lose a complete
        month.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        ``by=None``: a Series named ``"amount"`` indexed by period start (a
        ``DatetimeIndex`` named ``"period"`` with frequency ``MS`` or
        ``W-MON``), from the first to the last period with an order, periods
        without orders as 0. With ``by``: a DataFrame with the same index and
        one column per group.

    Raises
    ------
    ValueError
        When a required column is missing, ``freq`` is unknown or no order is left.

    Examples
    --------
    >>> orders = pd.DataFrame({
    ...     "order_date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-02"]),
    ...     "amount": [100.0, 50.0, 30.0],
    ...     "region": ["East", "West", "East"]})
    >>> revenue_series(orders)
    period
    2024-01-01    150.0
    2024-02-01      0.0
    2024-03-01     30.0
    Freq: MS, Name: amount, dtype: float64
    >>> revenue_series(orders, by="region")
    region       East  West
    period
    2024-01-01  100.0  50.0
    2024-02-01    0.0   0.0
    2024-03-01   30.0   0.0
    """
    need = ["order_date", "amount"] + ([by] if by else [])
    _require(orders, need, "orders")
    index_freq = _index_freq(freq)
    keep = pd.Series(True, index=orders.index)
    if not include_cancelled and "status" in orders.columns:
        keep &= orders["status"].astype("object").ne("cancelled")
    end_period = None
    if as_of is not None:
        as_of = pd.Timestamp(as_of).normalize()
        keep &= orders["order_date"].lt(as_of + pd.Timedelta(days=1))
        end_period = _timestamp_period_start(as_of, index_freq)
        next_day_period = _timestamp_period_start(as_of + pd.Timedelta(days=1), index_freq)
        if next_day_period == end_period:  # as_of is not the last day of its period
            end_period = end_period - pd.tseries.frequencies.to_offset(index_freq)
    rows = orders.loc[keep]
    if rows.empty:
        raise ValueError("no orders left to build a revenue series from")
    period = _period_start(rows["order_date"], index_freq)
    amount = rows["amount"].astype("float64")
    start = period.min()
    if drop_partial_first and pd.Timestamp(rows["order_date"].min()).normalize() > start:
        start = start + pd.tseries.frequencies.to_offset(index_freq)
        keep_rows = period.ge(start).to_numpy()
        rows, period, amount = rows.loc[keep_rows], period[keep_rows], amount[keep_rows]
        if rows.empty:
            raise ValueError("no orders left after dropping the partial first period")
    stop = period.max() if end_period is None else end_period
    index = pd.date_range(start, stop, freq=index_freq, name="period")
    if by is None:
        out = amount.groupby(period.to_numpy()).sum().reindex(index, fill_value=0.0)
        out.index = index
        out.name = "amount"
        return out.astype("float64")
    group = rows[by].astype("object").where(rows[by].notna(), "(missing)")
    wide = (
        pd.DataFrame({"period": period.to_numpy(), "group": group.to_numpy(), "amount": amount})
        .pivot_table(index="period", columns="group", values="amount", aggfunc="sum")
        .reindex(index)
        .fillna(0.0)
    )
    wide.index = index
    wide.columns = pd.Index([str(c) for c in wide.columns], name=by)
    return wide.astype("float64")


def calendar_features(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Calendar predictors of each period, known in advance for future periods.

    Columns: ``month_sin`` and ``month_cos`` (the month of the period start on
    the unit circle, ``2*pi*month/12``), ``q4`` (1.0 when the period starts in
    October-December) and ``working_days`` (Monday-to-Friday days from the
    period start up to the next period start; public holidays are not known
    and not removed).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=2, freq="MS")
    >>> calendar_features(idx)[["q4", "working_days"]]
                 q4  working_days
    2024-01-01  0.0          23.0
    2024-02-01  0.0          21.0
    """
    index = pd.DatetimeIndex(index)
    freq = index.freq or pd.tseries.frequencies.to_offset(pd.infer_freq(index))
    month = index.month.to_numpy()
    start = index.values.astype("datetime64[D]")
    end = (index + freq).values.astype("datetime64[D]")
    return pd.DataFrame(
        {
            "month_sin": np.sin(2 * np.pi * month / 12),
            "month_cos": np.cos(2 * np.pi * month / 12),
            "q4": (index.quarter == 4).astype("float64"),
            "working_days": np.busday_count(start, end).astype("float64"),
        },
        index=index,
    )


def forecast_horizon(series: pd.Series) -> int:
    """Periods from the end of ``series`` to the end of the next calendar quarter.

    The number of steps :func:`~salesnb.models.forecast.forecast_next_quarter`
    forecasts: every period after the last one of ``series`` up to the last
    period of the first quarter that starts after it (for weeks, the last
    Monday in that quarter). Monthly series that end with a quarter: 3;
    weekly: 13 to 17.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=12, freq="MS")
    >>> forecast_horizon(pd.Series(1.0, index=idx))
    3
    >>> forecast_horizon(pd.Series(1.0, index=idx[:-1]))  # ends in November: Dec + 2025Q1
    4
    >>> weeks = pd.date_range("2024-01-01", "2024-12-23", freq="W-MON")
    >>> forecast_horizon(pd.Series(1.0, index=weeks))  # Dec 30, then 13 Mondays of 2025Q1
    14
    """
    series = _check_series(series)
    last = series.index[-1]
    quarter_end = (last.to_period("Q") + 1).end_time
    return len(pd.date_range(last, quarter_end, freq=series.index.freq)) - 1


def _check_series(y) -> pd.Series:
    if not isinstance(y, pd.Series):
        raise TypeError(f"expected a pandas Series of revenue per period; got {type(y).__name__}")
    if not isinstance(y.index, pd.DatetimeIndex):
        raise ValueError("the series needs a DatetimeIndex of periods (see revenue_series)")
    freq = y.index.freq
    if freq is None:
        inferred = pd.infer_freq(y.index) if len(y) >= 3 else None
        if inferred is None:
            raise ValueError(
                "the series index has no regular frequency; build it with revenue_series, "
                "which zero-fills missing periods"
            )
        y = y.copy()
        y.index = pd.DatetimeIndex(y.index, freq=inferred)
    if y.isna().any():
        raise ValueError(f"the series has {int(y.isna().sum())} missing value(s); fill them first")
    return y.astype("float64").rename("y")


def _season_length(index: pd.DatetimeIndex) -> int:
    code = index.freqstr
    if code in SEASON_LENGTHS:
        return SEASON_LENGTHS[code]
    if code.startswith("W"):
        return 52
    if code.startswith(("Q", "BQ")):
        return 4
    if code.startswith(("M", "BM")):
        return 12
    if code in {"D", "B"}:
        return 7
    raise ValueError(f"cannot infer a season length for frequency {code!r}; pass season_length")


def _future_index(index: pd.DatetimeIndex, steps: int) -> pd.DatetimeIndex:
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer; got {steps!r}")
    return pd.date_range(index[-1], periods=steps + 1, freq=index.freq, name=index.name)[1:]


def series_fingerprint(series: pd.Series) -> str:
    """A short hash of a series' periods and values: equal data, equal fingerprint.

    SHA-256 of the period starts (nanoseconds) and the float64 values, first
    16 hex digits. Used to tell, in an experiment log, which results were
    computed on the same data.

    >>> idx = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> a = series_fingerprint(pd.Series([1.0, 2.0, 3.0], index=idx))
    >>> a == series_fingerprint(pd.Series([1.0, 2.0, 3.0], index=idx)), len(a)
    (True, 16)
    """
    import hashlib

    digest = hashlib.sha256()
    digest.update(series.index.to_numpy(dtype="datetime64[ns]").astype("int64").tobytes())
    digest.update(np.asarray(series.to_numpy(), dtype="float64").tobytes())
    return digest.hexdigest()[:16]
