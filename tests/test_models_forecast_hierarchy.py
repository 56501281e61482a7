"""Tests of region and channel forecasts that add up to the total (reconciliation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesnb.models.forecast import (
    backtest_hierarchy,
    choose_reconciliation,
    forecast_hierarchy,
    hierarchy_frame,
    reconcile,
    revenue_series,
)
from salesnb.models.forecast.hierarchy import summing_matrix

SAMPLE_ORDERS = Path(__file__).resolve().parents[1] / "data" / "sample" / "orders.csv"


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    """Three regions over 36 months: different levels, trends and noise (seeded)."""
    rng = np.random.default_rng(7)
    idx = pd.date_range("2022-01-01", periods=36, freq="MS", name="period")
    season = 1 + 0.3 * (idx.quarter == 4)
    t = np.arange(36)
    wide = pd.DataFrame(
        {
            "East": (500 + 6 * t) * season + rng.normal(0, 30, 36),
            "North": (300 + 2 * t) * season + rng.normal(0, 10, 36),
            "West": 200 * season + rng.normal(0, 40, 36),
        },
        index=idx,
    )
    return hierarchy_frame(wide)


def test_reconcile_wls_hand_computed():
    base = pd.DataFrame({"total": [100.0], "East": [70.0], "West": [40.0]})
    # groups exceed the total by 10; WLS spreads it in proportion to the weights
    out = reconcile(base, method="wls_var", variances=[1.0, 3.0, 1.0]).iloc[0]
    # weights 1, 3, 1: total +10*1/5, East -10*3/5, West -10*1/5
    assert out.tolist() == pytest.approx([102.0, 64.0, 38.0])
    assert reconcile(base, method="bottom_up").iloc[0].tolist() == [110.0, 70.0, 40.0]
    with pytest.raises(ValueError, match="needs the error variances"):
        reconcile(base, method="wls_var")
    with pytest.raises(ValueError, match="method must be one of"):
        reconcile(base, method="mint")
    assert summing_matrix(2).shape == (3, 2)


@pytest.mark.parametrize("method", ["bottom_up", "wls_struct", "wls_var"])
@pytest.mark.parametrize("model", ["ridge", "moving_average"])
def test_region_forecasts_sum_to_the_total_in_every_period(regions, method, model):
    out = forecast_hierarchy(regions, model, method=method, steps=4)
    wide = out.pivot(index="period", columns="series", values="forecast")
    groups = wide[["East", "North", "West"]].sum(axis=1)
    np.testing.assert_allclose(groups.to_numpy(), wide["total"].to_numpy(), rtol=1e-9)
    assert len(wide) == 4
    assert (out["lower"] <= out["forecast"]).all() and (out["forecast"] <= out["upper"]).all()


def test_sample_regions_and_channels_sum_to_the_total_within_rounding():
    orders = pd.read_csv(SAMPLE_ORDERS, parse_dates=["order_date"])
    for by in ("region", "channel"):
        frame = hierarchy_frame(revenue_series(orders, by=by, as_of="2026-09-30"))
        out = forecast_hierarchy(frame, "ridge", method="wls_var")
        wide = out.pivot(index="period", columns="series", values="forecast").round(2)
        groups = wide.drop(columns="total").sum(axis=1)
        assert (groups - wide["total"]).abs().max() <= 0.01 * wide.shape[1]
        assert list(wide.index.strftime("%Y-%m")) == ["2026-10", "2026-11", "2026-12"]


def test_backtest_hierarchy_reports_base_methods_and_seasonal_naive(regions):
    bt = backtest_hierarchy(regions, "ridge")
    assert set(bt["method"]) == {"base", "bottom_up", "wls_struct", "wls_var", "seasonal_naive"}
    assert set(bt["series"]) == {"total", "East", "North", "West", "all groups"}
    assert (bt["horizon"] == 3).all()
    sn = bt[bt["method"] == "seasonal_naive"]
    assert np.allclose(sn["wape_vs_baseline"], 1.0)
    # bottom-up keeps the groups' base forecasts
    pooled = bt[bt["series"] == "all groups"].set_index("method")["wape"]
    assert pooled["bottom_up"] == pytest.approx(pooled["base"])
    assert choose_reconciliation(bt) in {"bottom_up", "wls_struct", "wls_var", "seasonal_naive"}


def test_reconciliation_falls_back_to_seasonal_naive():
    # a pure yearly pattern: seasonal naive is exact, nothing beats it
    idx = pd.date_range("2021-01-01", periods=36, freq="MS", name="period")
    wide = pd.DataFrame({"East": 100.0 + 50 * (idx.month == 12), "West": 40.0 + idx.month}, idx)
    bt = backtest_hierarchy(hierarchy_frame(wide), "moving_average")
    assert choose_reconciliation(bt) == "seasonal_naive"


def test_group_forecast_of_the_page_adds_up_over_the_quarter():
    from salesnb.sections import group_forecast

    orders = pd.read_csv(SAMPLE_ORDERS, parse_dates=["order_date"])
    series_by = revenue_series(orders, by="region", as_of="2026-09-30")
    quarter = pd.DataFrame({"period": pd.date_range("2026-10-01", periods=3, freq="MS")})
    got = group_forecast(series_by, "ridge", quarter, by="region", test_periods=6)
    assert got.method in {"bottom_up", "wls_struct", "wls_var", "seasonal_naive"}
    assert set(got.forecasts["period"]) == set(quarter["period"])
    total = got.forecasts.loc[got.forecasts["series"] == "total", "forecast"].sum()
    assert got.quarter_totals["forecast"].sum() == pytest.approx(total, rel=1e-9)
    assert list(got.quarter_totals.columns) == ["region", "forecast"]
    assert got.columns[0] == "total"
