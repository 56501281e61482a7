"""Tests of salesnb.kpi.market: hand-computed fixture, properties, engines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesnb.kpi._frame import MissingColumnsError
from salesnb.kpi.market import price_index
from tests.kpi_engines import run_on_engines

NAN = np.nan


@pytest.fixture
def products() -> pd.DataFrame:
    return pd.DataFrame(
        {"product": ["A", "B", "C"], "list_price": [100.0, 50.0, NAN], "category": ["x", "x", "y"]}
    )


@pytest.fixture
def prices() -> pd.DataFrame:
    rows = [
        ("2025-01-10", "A", "X", 90.0),
        ("2025-02-10", "A", "Y", 110.0),
        ("2025-03-01", "A", "Y", 120.0),
        ("2025-03-05", "A", "Z", 90.0),  # ties X for the cheapest: X wins (alphabetical)
        ("2025-01-15", "B", "X", 52.0),
        ("2025-04-01", "A", "X", 105.0),
        ("2025-04-02", "A", "Y", 98.0),
        ("2025-02-01", "C", "X", 10.0),  # C has no list price
        ("2025-02-01", "D", "Y", 7.0),  # D is not in products
    ]
    df = pd.DataFrame(rows, columns=["observed_date", "product", "competitor", "price"])
    df["observed_date"] = pd.to_datetime(df["observed_date"])
    return df


COLS = [
    "period",
    "product",
    "list_price",
    "competitor_median",
    "competitors",
    "observations",
    "price_index",
    "min_price",
    "cheapest_competitor",
    "cheapest_gap_pct",
    "undercut",
]


def test_price_index(products, prices):
    out = run_on_engines(price_index, products, prices, undercut_threshold=0.05, duckdb=True)
    expected = pd.DataFrame(
        [
            ["2025Q1", "A", 100.0, 100.0, 3, 4, 100.0, 90.0, "X", 0.1, True],
            ["2025Q1", "B", 50.0, 52.0, 1, 1, 100 * 50 / 52, 52.0, "X", -0.04, False],
            ["2025Q1", "C", NAN, 10.0, 1, 1, NAN, 10.0, "X", NAN, False],
            ["2025Q1", "D", NAN, 7.0, 1, 1, NAN, 7.0, "Y", NAN, False],
            ["2025Q2", "A", 100.0, 101.5, 2, 2, 100 * 100 / 101.5, 98.0, "Y", 0.02, False],
        ],
        columns=COLS,
    )
    pd.testing.assert_frame_equal(out[COLS], expected, check_dtype=False, rtol=1e-9)
    assert list(out.columns) == [COLS[0], "period_start", *COLS[1:]]


def test_undercut_threshold_is_strict(products, prices):
    zero = price_index(products, prices)
    assert list(zero["undercut"]) == [True, False, False, False, True]
    ten = price_index(products, prices, undercut_threshold=0.1)  # 90 is not below 90
    assert list(ten["undercut"]) == [False, False, False, False, False]
    with pytest.raises(ValueError, match="undercut_threshold"):
        price_index(products, prices, undercut_threshold=1.5)


def test_price_index_monthly_fiscal(products, prices):
    out = run_on_engines(price_index, products, prices, freq="month")
    assert list(out["period"]) == [
        "2025-01",
        "2025-01",
        "2025-02",
        "2025-02",
        "2025-02",
        "2025-03",
        "2025-04",
    ]
    yearly = price_index(products, prices, freq="year", fiscal_year_start=4)
    assert list(yearly["period"]) == ["2025", "2025", "2025", "2025", "2026"]


def test_price_index_missing_columns(products, prices):
    with pytest.raises(MissingColumnsError, match="products is missing column.*'list_price'"):
        price_index(products.drop(columns="list_price"), prices)
    with pytest.raises(MissingColumnsError, match="competitor_prices .*'competitor'"):
        price_index(products, prices.drop(columns="competitor"))


@st.composite
def observations(draw) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=40))
    return pd.DataFrame(
        {
            "observed_date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(
                draw(st.lists(st.integers(0, 700), min_size=n, max_size=n)), unit="D"
            ),
            "product": draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=n, max_size=n)),
            "competitor": draw(st.lists(st.sampled_from(["X", "Y", "Z"]), min_size=n, max_size=n)),
            "price": [p / 4 for p in draw(st.lists(st.integers(1, 800), min_size=n, max_size=n))],
        }
    )


@settings(max_examples=20, deadline=None)
@given(obs=observations(), t1=st.floats(0, 0.5), t2=st.floats(0, 0.5), seed=st.integers(0, 999))
def test_properties(obs, t1, t2, seed):
    products = pd.DataFrame({"product": ["A", "B", "C"], "list_price": [50.0, 100.0, 150.0]})
    out = price_index(products, obs, undercut_threshold=min(t1, t2))
    strict = price_index(products, obs, undercut_threshold=max(t1, t2))
    assert (out["undercut"] | ~strict["undercut"]).all()  # a higher threshold flags fewer
    assert (out["min_price"] <= out["competitor_median"]).all()
    assert (out["price_index"] > 0).all()
    assert out["observations"].sum() == len(obs)
    assert (out["competitors"] <= out["observations"]).all()
    shuffled = obs.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(price_index(products, shuffled), price_index(products, obs))


@settings(max_examples=10, deadline=None)
@given(obs=observations())
def test_properties_engines_agree(obs):
    products = pd.DataFrame({"product": ["A", "B"], "list_price": [50.0, 100.0]})
    run_on_engines(price_index, products, obs, freq="month", undercut_threshold=0.1)


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_sample_data():
    if not (SAMPLE / "competitor_prices.csv").exists():
        pytest.skip(f"sample data not generated yet: {SAMPLE} has no competitor_prices.csv")
    import salesnb

    data = salesnb.load(SAMPLE)
    out = run_on_engines(price_index, data.products, data.competitor_prices, duckdb=True)
    assert out["observations"].sum() == len(data.competitor_prices)
    assert out["price_index"].between(10, 1000).all()
