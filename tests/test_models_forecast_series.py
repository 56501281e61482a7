"""Tests of revenue_series: the as-of day with timestamped orders, a partial first period."""

from __future__ import annotations

import pandas as pd
import pytest

from salesnb.models.forecast import revenue_series


@pytest.fixture
def timed_orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_date": pd.to_datetime(
                [
                    "2024-02-10 08:00",
                    "2024-03-30 12:00",
                    "2024-03-31 09:15",  # the as-of day, with a time
                    "2024-03-31 17:40",
                    "2024-04-01 00:30",  # after the as-of day
                ]
            ),
            "amount": [1.0, 5.0, 10.0, 20.0, 99.0],
        }
    )


def test_revenue_series_as_of_keeps_the_as_of_day_with_times(timed_orders):
    s = revenue_series(timed_orders, as_of="2024-03-31")
    assert s.index[-1] == pd.Timestamp("2024-03-01")
    assert s.loc["2024-03-01"] == 35.0
    assert s.sum() == 36.0


def test_revenue_series_weekly_as_of_keeps_the_as_of_day_with_times(timed_orders):
    # 2024-03-31 is a Sunday: the week of Monday 2024-03-25 is complete
    s = revenue_series(timed_orders, freq="W", as_of="2024-03-31")
    assert s.index[-1] == pd.Timestamp("2024-03-25")
    assert s.loc["2024-03-25"] == 35.0


def test_revenue_series_drops_a_partial_first_period():
    orders = pd.DataFrame(
        {
            "order_date": pd.to_datetime(["2024-01-15", "2024-02-01", "2024-03-20"]),
            "amount": [10.0, 20.0, 30.0],
        }
    )
    kept = revenue_series(orders)
    assert kept.index[0] == pd.Timestamp("2024-01-01")
    s = revenue_series(orders, drop_partial_first=True)
    assert s.index[0] == pd.Timestamp("2024-02-01")
    assert s.tolist() == [20.0, 30.0]
    # a first period whose first day has an order is complete and kept
    full = revenue_series(orders.iloc[1:], drop_partial_first=True)
    assert full.index[0] == pd.Timestamp("2024-02-01")
    weekly = revenue_series(orders, freq="W", drop_partial_first=True)
    assert weekly.index[0] == pd.Timestamp("2024-01-15")  # a Monday with an order: complete
