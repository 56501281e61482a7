"""Tests of model choice at the forecast horizon, backtest options and short-history intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import salesnb
from salesnb import sections
from salesnb.models.forecast import (
    MovingAverage,
    SeasonalNaive,
    backtest,
    choose_model,
    forecast_next_quarter,
    revenue_series,
    select_model,
)


def weekly_ar(seed: int = 3, weeks: int = 156) -> pd.Series:
    """Weekly series: a yearly sine wave plus a persistent AR(1) deviation (phi 0.9).

    Last week's value wins a few weeks ahead (the deviation persists); a
    quarter ahead the deviation has faded and the season has moved, so the
    same week last year wins.
    """
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-03", periods=weeks, freq="W-MON", name="period")
    ar = np.zeros(weeks)
    shocks = rng.normal(0, 10 * np.sqrt(1 - 0.9**2), weeks)
    for t in range(1, weeks):
        ar[t] = 0.9 * ar[t - 1] + shocks[t]
    season = 35 * np.sin(2 * np.pi * np.arange(weeks) / 52)
    return pd.Series(1000 + season + ar, index=idx, name="amount")


def monthly(values, start="2020-01-01") -> pd.Series:
    idx = pd.date_range(start, periods=len(values), freq="MS", name="period")
    return pd.Series(np.asarray(values, dtype=float), index=idx, name="amount")


def _steps_to(series: pd.Series, last_period) -> int:
    return len(pd.date_range(series.index[-1], last_period, freq=series.index.freq)) - 1


# ---------------------------------------------------------------- item 1: the forecast horizon
def test_default_backtest_selects_at_the_next_quarter_horizon_weekly():
    y = weekly_ar()
    models = {"seasonal_naive": SeasonalNaive(), "last_value": MovingAverage(window=1)}
    # the short-horizon winner: last week's value, 3 weeks ahead
    short = backtest(y, models, horizon=3, test_periods=39)
    assert select_model(short) == "last_value"
    # the default flow backtests at the steps forecast_next_quarter will take
    steps = _steps_to(y, forecast_next_quarter(y)["period"].iloc[-1])
    assert steps == 14  # 2024-12-30 (still Q4) then the 13 Mondays of 2025Q1
    bt = backtest(y, models, test_periods=39)
    assert bt.metrics["horizon"].tolist() == [steps, steps]
    assert select_model(bt) == "seasonal_naive"
    wape = bt.metrics.set_index("model")["wape"]
    assert wape["last_value"] > wape["seasonal_naive"]


def test_backtest_horizon_column_for_an_explicit_horizon(seasonal_series):
    bt = backtest(seasonal_series, {"seasonal_naive": SeasonalNaive()}, horizon=2, test_periods=6)
    assert bt.metrics["horizon"].tolist() == [2]
    assert bt.metrics["freq"].tolist() == ["MS"]


@pytest.fixture(scope="module")
def seasonal_series() -> pd.Series:
    rng = np.random.default_rng(42)
    idx = pd.date_range("2020-01-01", periods=48, freq="MS", name="period")
    values = 1000 + 8 * np.arange(48) + 400 * (idx.quarter == 4) + rng.normal(0, 40, 48)
    return pd.Series(values, index=idx, name="amount")


# ------------------------------------------------------------- item 11: full-horizon folds only
def test_backtest_full_horizon_stops_at_the_last_complete_origin():
    y = monthly(np.arange(30) + 100.0)
    models = {"seasonal_naive": SeasonalNaive()}
    default = backtest(y, models, horizon=3, test_periods=7)
    assert sorted(default.predictions.groupby("fold")["step"].max()) == [1, 3, 3]
    full = backtest(y, models, horizon=3, test_periods=7, full_horizon=True)
    assert full.predictions.groupby("fold")["step"].max().tolist() == [3, 3]
    assert full.predictions["period"].max() == y.index[-2]  # origin n-1 would be 1 step only
    assert full.metrics["points"].tolist() == [6]


def test_backtest_full_horizon_needs_one_complete_fold():
    y = monthly(np.arange(30) + 100.0)
    with pytest.raises(ValueError, match="no origin with a full horizon"):
        backtest(
            y, {"seasonal_naive": SeasonalNaive()}, horizon=6, test_periods=4, full_horizon=True
        )


# -------------------------------------------------- item 11: seasonal-naive intervals, short data
def test_seasonal_naive_interval_on_a_short_history_falls_back():
    # 14 months: in-sample 3-step errors need an origin >= 12 and <= 11: none
    values = [100.0, 120, 90, 110, 105, 130, 95, 100, 140, 150, 160, 200, 110, 114]
    y = monthly(values)
    out = SeasonalNaive().fit(y).predict_interval(3, coverage=0.8)
    assert out[["lower", "upper"]].notna().all().all()
    assert (out["upper"] > out["lower"]).all()
    # rule: the seasonal differences y[t] - y[t-12] (here 10 and -6) for every step up to a season
    diffs = np.array([10.0, -6.0])
    lo, hi = np.quantile(diffs, [0.1, 0.9])
    assert out["lower"].iloc[2] == pytest.approx(out["forecast"].iloc[2] + lo)
    assert out["upper"].iloc[2] == pytest.approx(out["forecast"].iloc[2] + hi)
    # steps that do have in-sample errors keep them (step 1: the same two differences)
    assert out["upper"].iloc[0] == pytest.approx(out["forecast"].iloc[0] + hi)


def test_seasonal_naive_interval_beyond_a_season_widens_by_sqrt_seasons():
    y = monthly(np.r_[np.arange(12) * 10.0, np.arange(12) * 10.0 + 5, [130.0]])  # 25 months
    out = SeasonalNaive().fit(y).predict_interval(14, coverage=0.8)
    assert out[["lower", "upper"]].notna().all().all()
    width_1 = out["upper"].iloc[0] - out["lower"].iloc[0]
    width_14 = out["upper"].iloc[13] - out["lower"].iloc[13]
    assert width_14 >= width_1


def test_seasonal_naive_interval_with_exactly_one_season_uses_period_changes():
    y = monthly([100.0, 110, 90, 120, 100, 130, 90, 100, 140, 150, 160, 200])
    out = SeasonalNaive().fit(y).predict_interval(3, coverage=0.8)
    assert out[["lower", "upper"]].notna().all().all()
    assert (out["upper"] - out["lower"] > 0).all()


# --------------------------------------------- skill: the default flow at the forecast horizon
def test_choose_model_weekly_picks_the_long_horizon_winner():
    y = weekly_ar()
    models = {"seasonal_naive": SeasonalNaive(), "last_value": MovingAverage(window=1)}
    choice = choose_model(y, models, test_periods=12)
    assert choice.horizon == 14 and choice.freq == "W-MON"
    assert (choice.backtest.metrics["points"] == 3 * 14).all()  # min_folds full quarters
    assert choice.model == "seasonal_naive" and not choice.beats_baseline
    assert choice.best == "last_value" and choice.improvement < 0


ROOT = Path(__file__).resolve().parents[1]
SUPERSTORE_DIR = ROOT.parent / "shared" / "data" / "superstore"


@pytest.fixture(scope="module")
def sample_lines():
    return _lines(ROOT / "data" / "sample", None)


@pytest.fixture(scope="module")
def superstore_lines():
    if not (SUPERSTORE_DIR / "Sample - Superstore.csv").exists():
        pytest.skip(f"shared Superstore export not available: {SUPERSTORE_DIR} is absent")
    return _lines(SUPERSTORE_DIR, str(ROOT / "data" / "mappings" / "superstore.toml"))


def _lines(data, mapping):
    """The notebook's load: revenue lines and the report quarter's end."""
    sales = salesnb.load(sections.resolve_data_path(str(data)), mapping=mapping)
    period = sections.report_quarter(None, sales.as_of)
    return sales.revenue_lines, sections.report_as_of(period, sales.as_of)


def _default_flow(lines, freq):
    """The notebook's forecast cell: series up to the report quarter's end, choose, forecast."""
    revenue_lines, now = lines
    history = revenue_series(revenue_lines, freq=freq, as_of=now)
    choice = choose_model(history, test_periods=12, coverage=0.8)
    return history, choice, forecast_next_quarter(history, choice.model, coverage=0.8)


def _never_worse_than_seasonal_naive(history, choice, presented):
    steps = _steps_to(history, presented["period"].iloc[-1])
    assert choice.horizon == steps
    assert (choice.backtest.metrics["horizon"] == steps).all()
    assert (choice.backtest.predictions.groupby("fold")["step"].max() == steps).all()
    wape = choice.backtest.metrics.set_index("model")["wape"]
    assert presented["model"].unique().tolist() == [choice.model]
    assert wape[choice.model] <= wape["seasonal_naive"]
    sentence = sections.forecast_skill_sentence(choice)
    assert ("No model beats the simple rule" in sentence) != choice.beats_baseline


def test_sample_default_flow_never_presents_a_model_worse_than_seasonal_naive(sample_lines):
    _never_worse_than_seasonal_naive(*_default_flow(sample_lines, "M"))


@pytest.mark.slow
def test_sample_weekly_default_flow_never_presents_a_model_worse_than_seasonal_naive(
    sample_lines,
):
    _never_worse_than_seasonal_naive(*_default_flow(sample_lines, "W"))


@pytest.mark.slow
@pytest.mark.parametrize("freq", ["M", "W"])
def test_superstore_default_flow_never_presents_a_model_worse_than_seasonal_naive(
    superstore_lines, freq
):
    _never_worse_than_seasonal_naive(*_default_flow(superstore_lines, freq))
