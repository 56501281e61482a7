"""Tests of salesnb.kpi.collections: hand-computed fixture, properties, engines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesnb.kpi._frame import MissingColumnsError
from salesnb.kpi.collections import (
    AGEING_BUCKETS,
    days_sales_outstanding,
    order_status_rates,
    payment_status,
    receivables_ageing,
)
from tests.kpi_engines import run_on_engines

NAN = np.nan
AS_OF = "2025-03-31"


@pytest.fixture
def orders() -> pd.DataFrame:
    """Hand-checked at as_of 2025-03-31 (days overdue d = as_of - due_date in brackets)."""
    rows = [
        # id, order_date, amount, status, fulfilled_at, due_date, paid_at, region
        ("a1", "2025-01-05", 100.0, "fulfilled", "2025-01-07", "2025-02-04", "2025-02-01", "North"),
        (
            "a2",
            "2025-02-01",
            50.0,
            "fulfilled",
            "2025-02-04 12:00",
            "2025-03-03",
            "2025-04-15",
            "South",
        ),  # d=28, paid after as_of
        ("a3", "2025-03-01", 30.0, "placed", None, "2025-03-31", None, "North"),  # d=0: not due
        ("a4", "2025-03-10", 20.0, "backordered", None, "2025-04-09", None, "South"),  # d=-9
        ("a5", "2025-03-20", 999.0, "cancelled", None, "2025-04-19", None, "North"),
        ("a6", "2024-11-01", 10.0, "fulfilled", "2024-11-11", "2024-12-01", None, "North"),  # d=120
        ("a7", "2025-01-20", 40.0, "fulfilled", "2025-01-21", "2025-01-30", None, "South"),  # d=60
        ("a8", "2025-04-02", 70.0, "placed", None, "2025-05-02", None, "North"),  # after as_of
        (
            "a9",
            "2025-02-28",
            25.0,
            "fulfilled",
            "2025-03-01",
            "2025-03-01",
            "2025-03-31 15:00",
            "North",
        ),
        ("a10", "2024-12-31", 60.0, "fulfilled", "2025-01-02", "2024-12-31", None, "North"),  # d=90
        ("a11", "2025-02-10", 15.0, "placed", None, "2025-03-01", None, "South"),  # d=30
        ("a12", "2025-02-01", 5.0, "placed", None, "2025-02-28", None, "South"),  # d=31
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "order_id",
            "order_date",
            "amount",
            "status",
            "fulfilled_at",
            "due_date",
            "paid_at",
            "region",
        ],
    )
    for c in ("order_date", "fulfilled_at", "due_date", "paid_at"):
        df[c] = pd.to_datetime(df[c], format="ISO8601")
    return df


def expect(rows, columns) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def check(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = result[list(expected.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)


def test_order_status_rates(orders):
    out = run_on_engines(order_status_rates, orders, duckdb=True)
    check(
        out,
        expect(
            [
                ["2024Q4", 2, 2, 0, 0, 0, 1.0, 0.0, 6.0, 6.0],
                ["2025Q1", 9, 4, 3, 1, 1, 4 / 9, 1 / 9, 1.5, 1.875],
                ["2025Q2", 1, 0, 1, 0, 0, 0.0, 0.0, NAN, NAN],
            ],
            [
                "period",
                "orders",
                "fulfilled",
                "placed",
                "backordered",
                "cancelled",
                "fulfilled_share",
                "cancelled_share",
                "fulfil_days_median",
                "fulfil_days_mean",
            ],
        ),
    )
    assert np.allclose(out["placed_share"], [0.0, 3 / 9, 1.0])


def test_order_status_rates_by_region_without_fulfilled_at(orders):
    out = run_on_engines(
        order_status_rates, orders.drop(columns="fulfilled_at"), by="region", freq="year"
    )
    check(
        out,
        expect(
            [
                ["2024", "North", 2, 2, NAN],
                ["2025", "North", 5, 2, NAN],
                ["2025", "South", 5, 2, NAN],
            ],
            ["period", "region", "orders", "fulfilled", "fulfil_days_mean"],
        ),
    )


PS = [
    "orders",
    "amount",
    "paid",
    "not_due",
    "overdue",
    "paid_amount",
    "not_due_amount",
    "overdue_amount",
    "unpaid_amount",
    "paid_share",
    "not_due_share",
    "overdue_share",
    "unpaid_share",
    "overdue_count_share",
]


def test_payment_status(orders):
    out = run_on_engines(payment_status, orders, as_of=AS_OF, duckdb=True)
    assert list(out.columns) == PS
    check(
        out,
        expect(
            [
                [
                    10,
                    355.0,
                    2,
                    2,
                    6,
                    125.0,
                    50.0,
                    180.0,
                    230.0,
                    125 / 355,
                    50 / 355,
                    180 / 355,
                    230 / 355,
                    0.6,
                ]
            ],
            PS,
        ),
    )


def test_payment_status_by_period_and_region(orders):
    out = run_on_engines(payment_status, orders, as_of=AS_OF, freq="quarter", by="region")
    check(
        out,
        expect(
            [
                ["2024Q4", "North", 2, 0, 0, 2, 70.0],
                ["2025Q1", "North", 3, 2, 1, 0, 0.0],
                ["2025Q1", "South", 5, 0, 1, 4, 110.0],
            ],
            ["period", "region", "orders", "paid", "not_due", "overdue", "overdue_amount"],
        ),
    )
    later = payment_status(orders, as_of="2025-04-30")  # a2's payment is now known, a8 counts
    assert (later["orders"].iloc[0], later["paid"].iloc[0]) == (11, 3)


AGE = ["bucket", "orders", "amount", "amount_share"]


def test_receivables_ageing(orders):
    out = run_on_engines(receivables_ageing, orders, as_of=AS_OF, duckdb=True)
    check(
        out,
        expect(
            [
                ["not due", 2, 50.0, 50 / 230],
                ["0-30", 2, 65.0, 65 / 230],  # d = 28 and d = 30
                ["31-60", 2, 45.0, 45 / 230],  # d = 31 and d = 60
                ["61-90", 1, 60.0, 60 / 230],  # d = 90
                ["90+", 1, 10.0, 10 / 230],  # d = 120
            ],
            AGE,
        ),
    )
    assert tuple(out["bucket"]) == AGEING_BUCKETS


def test_receivables_ageing_by_region(orders):
    out = run_on_engines(receivables_ageing, orders, as_of=AS_OF, by="region", duckdb=True)
    check(
        out,
        expect(
            [
                ["North", "not due", 1, 30.0, 0.3],
                ["North", "0-30", 0, 0.0, 0.0],
                ["North", "31-60", 0, 0.0, 0.0],
                ["North", "61-90", 1, 60.0, 0.6],
                ["North", "90+", 1, 10.0, 0.1],
                ["South", "not due", 1, 20.0, 20 / 130],
                ["South", "0-30", 2, 65.0, 65 / 130],
                ["South", "31-60", 2, 45.0, 45 / 130],
                ["South", "61-90", 0, 0.0, 0.0],
                ["South", "90+", 0, 0.0, 0.0],
            ],
            ["region", *AGE],
        ),
    )


DSO = ["period", "revenue", "receivables", "days", "dso"]


def test_days_sales_outstanding(orders):
    out = run_on_engines(days_sales_outstanding, orders, as_of=AS_OF, duckdb=True)
    check(
        out,
        expect(
            [
                ["2024Q4", 70.0, 70.0, 92.0, 92.0],
                ["2025Q1", 285.0, 230.0, 90.0, 230 / 285 * 90],
            ],
            DSO,
        ),
    )
    later = run_on_engines(days_sales_outstanding, orders, as_of="2025-06-30")
    check(
        later,
        expect(
            [
                ["2024Q4", 70.0, 70.0, 92.0, 92.0],
                ["2025Q1", 285.0, 230.0, 90.0, 230 / 285 * 90],  # a2 is paid only in Q2
                ["2025Q2", 70.0, 250.0, 91.0, 325.0],
            ],
            DSO,
        ),
    )
    # the incomplete quarter is not reported
    assert days_sales_outstanding(orders, as_of="2025-06-29")["period"].iloc[-1] == "2025Q1"


def test_days_sales_outstanding_by_region_monthly(orders):
    out = run_on_engines(days_sales_outstanding, orders, as_of=AS_OF, freq="month", by="region")
    north = out[(out["region"] == "North") & (out["period"] == "2025-02")]
    # North at end of Feb: a6 10 + a10 60 + a9 25 (paid in March) = 95; revenue a9 = 25
    check(north, expect([["2025-02", 25.0, 95.0, 28.0, 95 / 25 * 28]], DSO))


def test_missing_columns(orders):
    with pytest.raises(MissingColumnsError, match="'paid_at'"):
        payment_status(orders.drop(columns="paid_at"), as_of=AS_OF)
    with pytest.raises(MissingColumnsError, match="'status'"):
        order_status_rates(orders.drop(columns="status"))


# -- properties -------------------------------------------------------------------------------
@st.composite
def random_orders(draw) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=40))

    def ints(lo, hi):
        return draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n))

    order_date = pd.Timestamp("2024-01-01") + pd.to_timedelta(ints(0, 500), unit="D")
    paid_after = pd.Series(ints(-1, 200), dtype=float)
    paid_after[paid_after < 0] = np.nan
    return pd.DataFrame(
        {
            "order_date": order_date,
            "amount": [c / 100 for c in ints(0, 50_000)],
            "status": draw(
                st.lists(
                    st.sampled_from(["fulfilled", "placed", "backordered", "cancelled"]),
                    min_size=n,
                    max_size=n,
                )
            ),
            "fulfilled_at": order_date + pd.to_timedelta(ints(0, 300), unit="h"),
            "due_date": order_date + pd.to_timedelta(ints(0, 60), unit="D"),
            "paid_at": order_date + pd.to_timedelta(paid_after, unit="D"),
            "region": draw(st.lists(st.sampled_from(["N", "S"]), min_size=n, max_size=n)),
        }
    )


@settings(max_examples=20, deadline=None)
@given(data=random_orders(), as_of_day=st.integers(100, 700), seed=st.integers(0, 999))
def test_properties(data, as_of_day, seed):
    as_of = pd.Timestamp("2024-01-01") + pd.Timedelta(days=as_of_day)
    rates = order_status_rates(data, by="region")
    shares = rates[[c for c in rates.columns if c.endswith("_share")]]
    assert ((shares >= 0) & (shares <= 1)).all().all()
    assert (
        rates[["placed", "fulfilled", "backordered", "cancelled"]].sum(axis=1) == rates["orders"]
    ).all()

    status = payment_status(data, as_of=as_of)
    if len(status) and status["orders"].iloc[0] > 0:
        row = status.iloc[0]
        assert row["paid"] + row["not_due"] + row["overdue"] == row["orders"]
        assert row["paid_amount"] + row["unpaid_amount"] == pytest.approx(row["amount"])
        for c in ("paid_share", "not_due_share", "overdue_share", "unpaid_share"):
            assert np.isnan(row[c]) or 0 <= row[c] <= 1
        # the ageing buckets hold exactly the unpaid orders, overdue ones in the 4 last
        ageing = receivables_ageing(data, as_of=as_of)
        assert ageing["amount"].sum() == pytest.approx(row["unpaid_amount"])
        assert ageing["orders"].iloc[1:].sum() == row["overdue"]
        # group totals add up
        by_region = payment_status(data, as_of=as_of, by="region")
        assert by_region["amount"].sum() == pytest.approx(row["amount"])
        assert by_region["overdue"].sum() == row["overdue"]

    # results do not depend on row order
    shuffled = data.sample(frac=1.0, random_state=seed)
    for kpi, kwargs in [
        (order_status_rates, {"by": "region"}),
        (payment_status, {"as_of": as_of, "freq": "month"}),
        (receivables_ageing, {"as_of": as_of, "by": "region"}),
        (days_sales_outstanding, {"as_of": as_of, "freq": "month"}),
    ]:
        pd.testing.assert_frame_equal(kpi(shuffled, **kwargs), kpi(data, **kwargs))


@settings(max_examples=25, deadline=None)
@given(data=random_orders(), quarters=st.integers(1, 6))
def test_dso_receivables_equal_unpaid_at_quarter_end(data, quarters):
    as_of = pd.Timestamp("2024-01-01") + pd.DateOffset(months=3 * quarters) - pd.Timedelta(days=1)
    dso = days_sales_outstanding(data, as_of=as_of)
    unpaid = payment_status(data, as_of=as_of)["unpaid_amount"]
    last_start = pd.Timestamp("2024-01-01") + pd.DateOffset(months=3 * (quarters - 1))
    last = dso[dso["period_start"] == last_start]
    if len(last):
        assert last["receivables"].iloc[0] == pytest.approx(unpaid.iloc[0], abs=1e-6)
    assert dso["period_start"].max() <= last_start if len(dso) else True


@settings(max_examples=10, deadline=None)
@given(data=random_orders())
def test_properties_engines_agree(data):
    run_on_engines(order_status_rates, data, by="region", freq="month")
    run_on_engines(payment_status, data, as_of="2024-09-30", freq="quarter")
    run_on_engines(receivables_ageing, data, as_of="2024-09-30", by="region")
    run_on_engines(days_sales_outstanding, data, as_of="2024-09-30", by="region")


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_sample_data():
    if not (SAMPLE / "orders.csv").exists():
        pytest.skip(f"sample data not generated yet: {SAMPLE / 'orders.csv'} is absent")
    import salesnb

    data = salesnb.load(SAMPLE)
    orders, as_of = data.orders, data.as_of
    rates = run_on_engines(order_status_rates, orders, by="channel")
    assert rates["orders"].sum() == len(orders)
    status = run_on_engines(payment_status, orders, as_of=as_of, by="region")
    ageing = run_on_engines(receivables_ageing, orders, as_of=as_of, by="region")
    assert ageing["amount"].sum() == pytest.approx(status["unpaid_amount"].sum())
    dso = run_on_engines(days_sales_outstanding, orders, as_of=as_of)
    assert dso["period"].iloc[-1] == "2026Q3"
    assert (dso["dso"].dropna() >= 0).all()
