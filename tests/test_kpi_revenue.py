"""Tests of salesnb.kpi.revenue: hand-computed fixtures, properties, engines, Superstore."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesnb.kpi._frame import MissingColumnsError
from salesnb.kpi.revenue import (
    actual_vs_projected,
    forecast_accuracy,
    new_vs_recurring_revenue,
    revenue,
    revenue_per_customer,
    revenue_per_rep,
    sales_volume,
    target_attainment,
)
from salesnb.periods import Period
from tests.kpi_engines import run_on_engines

NAN = np.nan
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def orders() -> pd.DataFrame:
    """Eight orders; o4 is cancelled (c3's earliest order), 2024Q3-Q4 are empty."""
    return pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"],
            "customer_id": ["c1", "c2", "c1", "c3", "c2", "c3", "c1", "c3"],
            "order_date": pd.to_datetime(
                [
                    "2024-01-15",
                    "2024-02-20",
                    "2024-04-10",
                    "2024-05-05",
                    "2025-01-05",
                    "2025-02-10",
                    "2025-03-30",
                    "2025-03-15",
                ]
            ),
            "region": ["North", "South", "North", "North", "South", "North", "North", "North"],
            "channel": ["store", "online", "online", "store", "online", "store", "online", "store"],
            "rep_id": ["r1", "r2", "r1", "r1", "r2", "r3", "r1", "r3"],
            "quantity": [1.0, 2.0, 1.0, 3.0, 1.0, 2.0, 1.0, 1.0],
            "amount": [100.0, 200.0, 50.0, 300.0, 120.0, 80.0, 40.0, 20.0],
            "status": [
                "fulfilled",
                "fulfilled",
                "fulfilled",
                "cancelled",
                "fulfilled",
                "placed",
                "backordered",
                "placed",
            ],
        }
    )


@pytest.fixture
def reps() -> pd.DataFrame:
    return pd.DataFrame({"rep_id": ["r1", "r2", "r3"], "team": ["A", "A", "B"]})


def expect(rows, columns) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def check(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = result[list(expected.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)


# -- revenue ---------------------------------------------------------------------------------
REV_COLS = [
    "period",
    "revenue",
    "revenue_prev",
    "revenue_change",
    "revenue_change_pct",
    "revenue_ly",
    "revenue_yoy",
    "revenue_yoy_pct",
]


def test_revenue_by_quarter(orders):
    out = run_on_engines(revenue, orders, duckdb=True)
    check(
        out,
        expect(
            [
                ["2024Q1", 300.0, NAN, NAN, NAN, NAN, NAN, NAN],
                ["2024Q2", 50.0, 300.0, -250.0, -250 / 300, NAN, NAN, NAN],
                # 2024Q4 has no orders: no previous value (not the previous row, 2024Q2)
                ["2025Q1", 260.0, NAN, NAN, NAN, 300.0, -40.0, -40 / 300],
            ],
            REV_COLS,
        ),
    )
    assert list(out["period_start"]) == list(
        pd.to_datetime(["2024-01-01", "2024-04-01", "2025-01-01"])
    )
    assert list(out.columns[:2]) == ["period", "period_start"]


def test_revenue_includes_cancelled_on_request(orders):
    out = revenue(orders, include_cancelled=True, compare=False)
    assert list(out["revenue"]) == [300.0, 350.0, 260.0]
    assert list(out.columns) == ["period", "period_start", "revenue"]


def test_revenue_by_region_gaps(orders):
    out = run_on_engines(revenue, orders, by="region")
    check(
        out,
        expect(
            [
                ["2024Q1", "North", 100.0, NAN, NAN, NAN, NAN],
                ["2024Q1", "South", 200.0, NAN, NAN, NAN, NAN],
                ["2024Q2", "North", 50.0, 100.0, -0.5, NAN, NAN],
                ["2025Q1", "North", 140.0, NAN, NAN, 100.0, 0.4],
                ["2025Q1", "South", 120.0, NAN, NAN, 200.0, -0.4],
            ],
            [
                "period",
                "region",
                "revenue",
                "revenue_prev",
                "revenue_change_pct",
                "revenue_ly",
                "revenue_yoy_pct",
            ],
        ),
    )


def test_revenue_by_team_from_reps(orders, reps):
    out = run_on_engines(revenue, orders, by="team", reps=reps, duckdb=True)
    check(
        out,
        expect(
            [
                ["2024Q1", "A", 300.0, NAN],
                ["2024Q2", "A", 50.0, NAN],
                ["2025Q1", "A", 160.0, 300.0],
                ["2025Q1", "B", 100.0, NAN],
            ],
            ["period", "team", "revenue", "revenue_ly"],
        ),
    )


def test_revenue_by_two_columns_and_segment(orders):
    customers = pd.DataFrame(
        {"customer_id": ["c1", "c2", "c3"], "segment": ["consumer", "corporate", "consumer"]}
    )
    out = run_on_engines(
        revenue, orders, by=["segment", "channel"], customers=customers, compare=False
    )
    check(
        out,
        expect(
            [
                ["2024Q1", "consumer", "store", 100.0],
                ["2024Q1", "corporate", "online", 200.0],
                ["2024Q2", "consumer", "online", 50.0],
                ["2025Q1", "consumer", "online", 40.0],
                ["2025Q1", "consumer", "store", 100.0],
                ["2025Q1", "corporate", "online", 120.0],
            ],
            ["period", "segment", "channel", "revenue"],
        ),
    )


def test_revenue_monthly(orders):
    out = run_on_engines(revenue, orders, freq="month")
    check(
        out,
        expect(
            [
                ["2024-01", 100.0, NAN, NAN, NAN],
                ["2024-02", 200.0, 100.0, 1.0, NAN],
                ["2024-04", 50.0, NAN, NAN, NAN],
                ["2025-01", 120.0, NAN, NAN, 100.0],
                ["2025-02", 80.0, 120.0, -1 / 3, 200.0],
                ["2025-03", 60.0, 80.0, -0.25, NAN],
            ],
            ["period", "revenue", "revenue_prev", "revenue_change_pct", "revenue_ly"],
        ),
    )


def test_revenue_fiscal_april(orders):
    out = run_on_engines(revenue, orders, fiscal_year_start=4)
    check(
        out,
        expect(
            [
                ["2024Q4", "2024-01-01", 300.0, NAN, NAN],
                ["2025Q1", "2024-04-01", 50.0, 300.0, NAN],
                ["2025Q4", "2025-01-01", 260.0, NAN, 300.0],
            ],
            ["period", "period_start", "revenue", "revenue_prev", "revenue_ly"],
        ).assign(period_start=lambda d: pd.to_datetime(d["period_start"])),
    )
    halves = revenue(orders, freq="half-year", fiscal_year_start=4, compare=False)
    assert list(halves["period"]) == ["2024H2", "2025H1", "2025H2"]
    assert list(halves["revenue"]) == [300.0, 50.0, 260.0]


def test_revenue_zero_base_gives_nan_not_inf():
    orders = pd.DataFrame(
        {"order_date": pd.to_datetime(["2024-01-05", "2024-04-05"]), "amount": [0.0, 10.0]}
    )
    out = revenue(orders)
    assert out["revenue_change"].iloc[1] == 10.0
    assert np.isnan(out["revenue_change_pct"].iloc[1])


def test_revenue_errors(orders):
    with pytest.raises(MissingColumnsError, match="orders is missing column.*'amount'"):
        revenue(orders.drop(columns="amount"))
    with pytest.raises(MissingColumnsError, match="'team' is not in orders.*reps="):
        revenue(orders, by="team")
    with pytest.raises(ValueError, match="unknown freq"):
        revenue(orders, freq="fortnight")
    with pytest.raises(TypeError, match="orders must be"):
        revenue({"amount": [1]})


# -- sales volume --------------------------------------------------------------------------------
def test_sales_volume(orders):
    out = run_on_engines(sales_volume, orders, duckdb=True)
    check(
        out,
        expect(
            [
                ["2024Q1", "North", "store", 100.0, 1, 1.0, 1.0],
                ["2024Q1", "South", "online", 200.0, 1, 2.0, 1.0],
                ["2024Q2", "North", "online", 50.0, 1, 1.0, 1.0],
                ["2025Q1", "North", "online", 40.0, 1, 1.0, 40 / 140],
                ["2025Q1", "North", "store", 100.0, 2, 3.0, 100 / 140],
                ["2025Q1", "South", "online", 120.0, 1, 1.0, 1.0],
            ],
            ["period", "region", "channel", "revenue", "orders", "units", "revenue_share"],
        ),
    )


def test_sales_volume_single_group_and_no_quantity(orders):
    out = run_on_engines(sales_volume, orders.drop(columns="quantity"), by="channel")
    check(
        out[out["period"] == "2025Q1"],
        expect(
            [
                ["2025Q1", "online", 160.0, 2, 160 / 260],
                ["2025Q1", "store", 100.0, 2, 100 / 260],
            ],
            ["period", "channel", "revenue", "orders", "revenue_share"],
        ),
    )
    assert out["units"].isna().all()


# -- new vs recurring -----------------------------------------------------------------------------
NVR = [
    "period",
    "new_revenue",
    "recurring_revenue",
    "revenue",
    "new_customers",
    "recurring_customers",
    "new_share",
]


def test_new_vs_recurring(orders):
    out = run_on_engines(new_vs_recurring_revenue, orders, duckdb=True)
    # c3's cancelled 2024Q2 order does not count: c3 is new in 2025Q1 with BOTH orders
    check(
        out,
        expect(
            [
                ["2024Q1", 300.0, 0.0, 300.0, 2, 0, 1.0],
                ["2024Q2", 0.0, 50.0, 50.0, 0, 1, 0.0],
                ["2025Q1", 100.0, 160.0, 260.0, 1, 2, 100 / 260],
            ],
            NVR,
        ),
    )


def test_new_vs_recurring_with_cancelled_and_region(orders):
    out = new_vs_recurring_revenue(orders, include_cancelled=True)
    check(
        out,
        expect(
            [
                ["2024Q1", 300.0, 0.0, 300.0, 2, 0, 1.0],
                ["2024Q2", 300.0, 50.0, 350.0, 1, 1, 300 / 350],
                ["2025Q1", 0.0, 260.0, 260.0, 0, 3, 0.0],
            ],
            NVR,
        ),
    )
    by_region = run_on_engines(new_vs_recurring_revenue, orders, by="region")
    q1 = by_region[by_region["period"] == "2025Q1"]
    check(
        q1,
        expect(
            [
                ["2025Q1", 100.0, 40.0, 140.0, 1, 1, 100 / 140],
                ["2025Q1", 0.0, 120.0, 120.0, 0, 1, 0.0],
            ],
            NVR,
        ),
    )


# -- per customer / per rep -----------------------------------------------------------------------
def test_revenue_per_customer(orders):
    out = run_on_engines(revenue_per_customer, orders, duckdb=True)
    check(
        out,
        expect(
            [["2024Q1", 300.0, 2, 150.0], ["2024Q2", 50.0, 1, 50.0], ["2025Q1", 260.0, 3, 260 / 3]],
            ["period", "revenue", "active_customers", "revenue_per_customer"],
        ),
    )


def test_revenue_per_rep(orders, reps):
    with_missing = pd.concat([orders, orders.iloc[[0]].assign(rep_id=None, order_id="o9")])
    out = run_on_engines(revenue_per_rep, with_missing)  # the rep-less order is left out
    check(
        out,
        expect(
            [["2024Q1", 300.0, 2, 150.0], ["2024Q2", 50.0, 1, 50.0], ["2025Q1", 260.0, 3, 260 / 3]],
            ["period", "revenue", "active_reps", "revenue_per_rep"],
        ),
    )
    by_team = run_on_engines(revenue_per_rep, orders, by="team", reps=reps)
    check(
        by_team[by_team["period"] == "2025Q1"],
        expect(
            [["2025Q1", "A", 160.0, 2, 80.0], ["2025Q1", "B", 100.0, 1, 100.0]],
            ["period", "team", "revenue", "active_reps", "revenue_per_rep"],
        ),
    )


# -- targets ------------------------------------------------------------------------------------
@pytest.fixture
def targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": [
                "2024Q1",
                "2024Q2",
                "2025Q1",
                "2025Q2",
                "2024Q1",
                "2024Q1",
                "2024Q2",
                "2024-01",
            ],
            "level": ["company"] * 4 + ["region"] * 3 + ["company"],
            "key": ["all"] * 4 + ["North", "South", "South", "all"],
            "revenue_target": [250.0, 100.0, 0.0, 300.0, 200.0, 200.0, 50.0, 999.0],
        }
    )


TA = ["period", "actual", "target", "gap", "attainment"]


def test_target_attainment_company(orders, targets):
    out = run_on_engines(target_attainment, orders, targets, duckdb=True)
    check(
        out,
        expect(
            [
                ["2024Q1", 300.0, 250.0, 50.0, 1.2],
                ["2024Q2", 50.0, 100.0, -50.0, 0.5],
                ["2025Q1", 260.0, 0.0, 260.0, NAN],  # zero target: no attainment
                ["2025Q2", NAN, 300.0, NAN, NAN],  # after the data: no actual yet
            ],
            TA,
        ),
    )
    monthly = target_attainment(orders, targets, freq="month")
    jan = monthly[monthly["period"] == "2024-01"]
    check(jan, expect([["2024-01", 100.0, 999.0, -899.0, 100 / 999]], TA))
    assert monthly.loc[monthly["period"] != "2024-01", "target"].isna().all()


def test_target_attainment_region_and_rep(orders, targets):
    out = run_on_engines(target_attainment, orders, targets, level="region")
    check(
        out,
        expect(
            [
                ["2024Q1", "North", 100.0, 200.0, -100.0, 0.5],
                ["2024Q1", "South", 200.0, 200.0, 0.0, 1.0],
                ["2024Q2", "North", 50.0, NAN, NAN, NAN],
                ["2024Q2", "South", 0.0, 50.0, -50.0, 0.0],  # a target without orders: actual 0
                ["2025Q1", "North", 140.0, NAN, NAN, NAN],
                ["2025Q1", "South", 120.0, NAN, NAN, NAN],
            ],
            ["period", "region", *TA[1:]],
        ),
    )
    reps_out = target_attainment(orders, targets, level="rep")
    assert list(reps_out.columns) == ["period", "period_start", "rep_id", *TA[1:]]
    assert reps_out["target"].isna().all() and reps_out["actual"].sum() == 610.0
    with pytest.raises(ValueError, match="unknown level"):
        target_attainment(orders, targets, level="team")
    with pytest.raises(ValueError, match="not per week"):
        target_attainment(orders, targets, freq="week")


# -- forecast accuracy ------------------------------------------------------------------------
def test_actual_vs_projected_and_accuracy():
    actual = pd.DataFrame({"period": ["2025Q1", "2025Q2", "2025Q3"], "revenue": [100.0, 80.0, 0.0]})
    projected = pd.DataFrame(
        {"period": ["2025Q1", "2025Q2", "2025Q3", "2025Q4"], "projected": [110.0, 60.0, 10.0, 70.0]}
    )
    per = run_on_engines(actual_vs_projected, actual, projected, duckdb=True)
    check(
        per,
        expect(
            [
                ["2025Q1", 100.0, 110.0, 10.0, 10.0, 0.1],
                ["2025Q2", 80.0, 60.0, -20.0, 20.0, -0.25],
                ["2025Q3", 0.0, 10.0, 10.0, 10.0, NAN],
                ["2025Q4", NAN, 70.0, NAN, NAN, NAN],
            ],
            ["period", "actual", "projected", "error", "abs_error", "pct_error"],
        ),
    )
    summary = run_on_engines(forecast_accuracy, actual, projected, duckdb=True)
    check(
        summary,
        expect(
            [[3, 180.0, 180.0, 0.175, 40 / 180, 0.0]],
            ["periods", "actual", "projected", "mape", "wape", "bias"],
        ),
    )


def test_forecast_accuracy_by_group():
    actual = pd.DataFrame(
        {"period": ["q1", "q2", "q1"], "region": ["N", "N", "S"], "revenue": [100.0, 100.0, 50.0]}
    )
    projected = actual.rename(columns={"revenue": "projected"}).assign(
        projected=[120.0, 90.0, 50.0]
    )
    out = run_on_engines(forecast_accuracy, actual, projected, by="region")
    check(
        out,
        expect(
            [["N", 2, 200.0, 210.0, 0.15, 0.15, 0.05], ["S", 1, 50.0, 50.0, 0.0, 0.0, 0.0]],
            ["region", "periods", "actual", "projected", "mape", "wape", "bias"],
        ),
    )


# -- properties ------------------------------------------------------------------------------------
@st.composite
def random_orders(draw) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=40))
    days = draw(st.lists(st.integers(0, 1200), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(0, 100_000), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": draw(
                st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=n, max_size=n)
            ),
            "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D"),
            "region": draw(st.lists(st.sampled_from(["N", "S", "E"]), min_size=n, max_size=n)),
            "channel": draw(st.lists(st.sampled_from(["store", "online"]), min_size=n, max_size=n)),
            "amount": [c / 100 for c in cents],
            "status": draw(
                st.lists(
                    st.sampled_from(["fulfilled", "placed", "cancelled"]), min_size=n, max_size=n
                )
            ),
        }
    )


PROPS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPS
@given(data=random_orders(), fys=st.sampled_from([1, 4, 7]))
def test_properties_totals(data, fys):
    counted = data.loc[data["status"] != "cancelled", "amount"].sum()
    quarterly = revenue(data, fiscal_year_start=fys, compare=False)
    assert quarterly["revenue"].sum() == pytest.approx(counted)
    # group totals add up to the overall total, period by period
    by_region = revenue(data, by="region", fiscal_year_start=fys, compare=False)
    summed = by_region.groupby("period")["revenue"].sum()
    assert np.allclose(summed.reindex(quarterly["period"]).to_numpy(), quarterly["revenue"])
    # months partition quarters
    monthly = revenue(data, freq="month", compare=False)
    quarter_of = {
        m: Period.containing(s, freq="quarter", fiscal_year_start=fys).label
        for m, s in zip(monthly["period"], monthly["period_start"], strict=True)
    }
    from_months = monthly.groupby(monthly["period"].map(quarter_of))["revenue"].sum()
    assert np.allclose(from_months.reindex(quarterly["period"]).to_numpy(), quarterly["revenue"])
    # new + recurring = revenue; shares are rates
    nvr = new_vs_recurring_revenue(data, fiscal_year_start=fys)
    assert np.allclose(nvr["revenue"], quarterly["revenue"])
    assert nvr["new_share"].dropna().between(0, 1).all()
    vol = sales_volume(data)
    assert vol["revenue_share"].dropna().between(0, 1 + 1e-12).all()
    parent = vol.groupby(["period", "region"])["revenue_share"].sum()
    region_rev = vol.groupby(["period", "region"])["revenue"].sum()
    assert np.allclose(parent[region_rev > 0], 1.0)


@settings(max_examples=15, deadline=None)
@given(data=random_orders(), seed=st.integers(0, 2**16))
def test_properties_shuffle_invariant(data, seed):
    shuffled = data.sample(frac=1.0, random_state=seed)
    for kpi, kwargs in [
        (revenue, {"by": "region"}),
        (sales_volume, {}),
        (new_vs_recurring_revenue, {"by": "channel"}),
        (revenue_per_customer, {"freq": "month"}),
    ]:
        pd.testing.assert_frame_equal(kpi(shuffled, **kwargs), kpi(data, **kwargs))


@settings(max_examples=10, deadline=None)
@given(data=random_orders())
def test_properties_engines_agree(data):
    run_on_engines(revenue, data, by=["region", "channel"], freq="month")
    run_on_engines(new_vs_recurring_revenue, data, by="region")
    run_on_engines(revenue_per_customer, data, freq="half")


# -- real data: Superstore -----------------------------------------------------------------------------
def superstore_orders() -> pd.DataFrame:
    """Superstore order lines through the shipped mapping (data/mappings/superstore.toml)."""
    folder = SHARED_DATA / "superstore"
    if not folder.is_dir():
        pytest.skip(f"real data not available: {folder} is absent (../shared/data not mounted)")
    import salesnb

    mapping = Path(__file__).resolve().parents[1] / "data" / "mappings" / "superstore.toml"
    data = salesnb.load(folder, mapping=mapping)
    assert len(data.orders) == 9994 and not data.rejected
    return data.orders


def test_superstore_revenue_matches_source_totals():
    data = superstore_orders()
    # SOURCE.md: Sales by year and by region (rounded to cents)
    by_year = run_on_engines(revenue, data, freq="year")
    assert list(by_year["period"]) == ["2014", "2015", "2016", "2017"]
    assert np.allclose(
        by_year["revenue"], [484_247.50, 470_532.51, 609_205.60, 733_215.26], atol=0.006
    )
    assert by_year["revenue_yoy_pct"].iloc[3] == pytest.approx(
        733_215.26 / 609_205.60 - 1, abs=1e-6
    )
    by_region = revenue(data, freq="year", by="region", compare=False)
    totals = by_region.groupby("region")["revenue"].sum()
    expected = {"West": 725_457.82, "East": 678_781.24, "Central": 501_239.89, "South": 391_721.90}
    for region, value in expected.items():
        assert totals[region] == pytest.approx(value, abs=0.006)
    assert by_region["revenue"].sum() == pytest.approx(2_297_200.8603, abs=1e-4)
    quarterly = revenue(data, by="region", compare=False)
    assert quarterly["revenue"].sum() == pytest.approx(2_297_200.8603, abs=1e-4)
    nvr = new_vs_recurring_revenue(data, freq="year")
    assert nvr["new_customers"].sum() == 793  # each customer is new exactly once


# -- the bundled sample data ----------------------------------------------------------------------
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample():
    if not (SAMPLE / "orders.csv").exists():
        pytest.skip(f"sample data not generated yet: {SAMPLE / 'orders.csv'} is absent")
    import salesnb

    return salesnb.load(SAMPLE)


def test_sample_data(sample):
    orders = sample.orders
    counted = orders.loc[orders["status"] != "cancelled", "amount"].sum()
    by_team = run_on_engines(revenue, orders, by="team", reps=sample.reps)
    assert by_team["revenue"].sum() == pytest.approx(counted)
    assert set(by_team["team"].dropna()) <= set(sample.reps["team"])
    nvr = run_on_engines(new_vs_recurring_revenue, orders, by="region")
    assert nvr["revenue"].sum() == pytest.approx(counted)
    buyers = orders.loc[orders["status"] != "cancelled", "customer_id"].nunique()
    assert nvr["new_customers"].sum() >= buyers  # new once (per region of the first period)
    assert new_vs_recurring_revenue(orders)["new_customers"].sum() == buyers
    run_on_engines(sales_volume, orders)
    run_on_engines(revenue_per_customer, orders, by="segment", customers=sample.customers)
    run_on_engines(revenue_per_rep, orders)
    for level in ("company", "region", "rep"):
        att = run_on_engines(target_attainment, orders, sample.targets, level=level)
        quarterly = sample.targets[
            (sample.targets["level"] == level) & sample.targets["period"].str.contains("Q")
        ]
        assert att["target"].sum() == pytest.approx(quarterly["revenue_target"].sum())
