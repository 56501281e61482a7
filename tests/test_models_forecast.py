"""Tests of salesnb.models.forecast: series, baselines, regressors, backtest, quarters, pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from salesnb.models.forecast import (
    BacktestResult,
    MovingAverage,
    RecursiveRegressor,
    SeasonalNaive,
    actual_vs_projected,
    backtest,
    calendar_features,
    compare_forecasts,
    default_models,
    forecast_metrics,
    forecast_next_quarter,
    pipeline_weighted_forecast,
    revenue_series,
    seasonal_naive_mae,
    select_model,
    stage_win_rates,
)
from salesnb.stages import SalesPipeline

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SUPERSTORE = SHARED / "superstore" / "Sample - Superstore.csv"


def monthly(values, start="2020-01-01") -> pd.Series:
    idx = pd.date_range(start, periods=len(values), freq="MS", name="period")
    return pd.Series(np.asarray(values, dtype=float), index=idx, name="amount")


@pytest.fixture(scope="module")
def seasonal_series() -> pd.Series:
    """Seeded 48-month series: trend + Q4 peak + noise."""
    rng = np.random.default_rng(42)
    idx = pd.date_range("2020-01-01", periods=48, freq="MS", name="period")
    values = 1000 + 8 * np.arange(48) + 400 * (idx.quarter == 4) + rng.normal(0, 40, 48)
    return pd.Series(values, index=idx, name="amount")


# --------------------------------------------------------------------------- revenue_series
@pytest.fixture
def orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": ["1", "2", "3", "4", "5"],
            "order_date": pd.to_datetime(
                ["2024-01-05", "2024-01-31", "2024-03-01", "2024-03-15", "2024-04-02"]
            ),
            "amount": [100.0, 50.0, 30.0, 20.0, 7.0],
            "region": ["East", "West", "East", None, "West"],
            "status": ["fulfilled", "placed", "cancelled", "fulfilled", "placed"],
        }
    )


def test_revenue_series_monthly_zero_fills_and_drops_cancelled(orders):
    before = orders.copy()
    s = revenue_series(orders)
    assert s.index.freqstr == "MS"
    assert s.to_dict() == {
        pd.Timestamp("2024-01-01"): 150.0,
        pd.Timestamp("2024-02-01"): 0.0,
        pd.Timestamp("2024-03-01"): 20.0,
        pd.Timestamp("2024-04-01"): 7.0,
    }
    assert revenue_series(orders, include_cancelled=True).loc["2024-03-01"] == 50.0
    pd.testing.assert_frame_equal(orders, before)  # input untouched


def test_revenue_series_by_region_and_missing_group(orders):
    wide = revenue_series(orders, by="region", include_cancelled=True)
    assert list(wide.columns) == ["(missing)", "East", "West"]
    assert wide.loc["2024-03-01"].to_dict() == {"(missing)": 20.0, "East": 30.0, "West": 0.0}
    assert wide.sum().sum() == pytest.approx(orders["amount"].sum())


def test_revenue_series_weekly_starts_on_monday(orders):
    s = revenue_series(orders, freq="week", include_cancelled=True)
    assert s.index.freqstr == "W-MON"
    assert (s.index.dayofweek == 0).all()
    # 2024-01-05 is a Friday: week of Monday 2024-01-01
    assert s.loc["2024-01-01"] == 100.0
    assert s.loc["2024-01-29"] == 50.0  # Wednesday 2024-01-31
    assert s.sum() == pytest.approx(207.0)


def test_revenue_series_as_of_drops_incomplete_period(orders):
    s = revenue_series(orders, as_of="2024-04-02")
    assert s.index[-1] == pd.Timestamp("2024-03-01")
    s = revenue_series(orders, as_of="2024-04-30")
    assert s.index[-1] == pd.Timestamp("2024-04-01")


def test_revenue_series_errors(orders):
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['amount'\]"):
        revenue_series(orders.drop(columns="amount"))
    with pytest.raises(ValueError, match="freq must be one of"):
        revenue_series(orders, freq="Q")


def test_calendar_features_working_days():
    idx = pd.date_range("2024-02-01", periods=2, freq="MS")
    cal = calendar_features(idx)
    assert cal["working_days"].tolist() == [21.0, 21.0]  # Feb 2024 (leap) and Mar 2024
    assert cal.loc["2024-03-01", "month_cos"] == pytest.approx(np.cos(2 * np.pi * 3 / 12))
    weeks = calendar_features(pd.date_range("2024-09-30", periods=2, freq="W-MON"))
    assert weeks["q4"].tolist() == [0.0, 1.0]
    assert weeks["working_days"].tolist() == [5.0, 5.0]


# --------------------------------------------------------------------------- metrics
def test_forecast_metrics_hand_computed():
    # errors e = forecast - actual = [10, -20, 10, 10]
    m = forecast_metrics([100.0, 200.0, 0.0, 50.0], [110.0, 180.0, 10.0, 60.0], scale=5.0)
    assert m["mae"] == pytest.approx(12.5)  # 50 / 4
    assert m["wape"] == pytest.approx(50 / 350)
    assert m["mape"] == pytest.approx((0.1 + 0.1 + 0.2) / 3)  # the zero actual is left out
    assert m["bias"] == pytest.approx(2.5)  # 10 / 4
    assert m["bias_pct"] == pytest.approx(10 / 350)
    assert m["mase"] == pytest.approx(2.5)  # 12.5 / 5
    per_point = forecast_metrics(
        [100.0, 200.0, 0.0, 50.0], [110.0, 180.0, 10.0, 60.0], scale=[5.0, 5.0, 10.0, 10.0]
    )
    assert per_point["mase"] == pytest.approx((2 + 4 + 1 + 1) / 4)
    assert np.isnan(forecast_metrics([1.0], [2.0])["mase"])
    assert np.isnan(forecast_metrics([0.0, 0.0], [1.0, 2.0])["mape"])


def test_seasonal_naive_mae_hand_computed():
    assert seasonal_naive_mae([1, 2, 4, 7, 11], season_length=2) == pytest.approx(5.0)  # 3, 5, 7
    with pytest.raises(ValueError, match="more than 2 values"):
        seasonal_naive_mae([1, 2], season_length=2)


# --------------------------------------------------------------------------- baselines
def test_seasonal_naive_is_exact():
    y = monthly(np.arange(1, 25))  # 1..24
    pred = SeasonalNaive().fit(y).predict(14)
    # same month one year earlier; after 12 steps it wraps to the same last season
    assert pred.tolist() == [13.0, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 13, 14]
    assert pred.index[0] == pd.Timestamp("2022-01-01")
    assert pred.index.freqstr == "MS"
    weekly = pd.Series(
        np.arange(104, dtype=float), index=pd.date_range("2024-01-01", periods=104, freq="W-MON")
    )
    assert SeasonalNaive().fit(weekly).predict(3).tolist() == [52.0, 53.0, 54.0]


def test_seasonal_naive_needs_a_season():
    with pytest.raises(ValueError, match="at least 12 periods"):
        SeasonalNaive().fit(monthly(range(11)))


def test_moving_average_is_exact():
    y = monthly([3.0, 5.0, 10.0, 20.0])
    assert MovingAverage(window=2).fit(y).predict(3).tolist() == [15.0, 15.0, 15.0]
    assert MovingAverage(window=4).fit(y).predict(1).tolist() == [9.5]


def test_baseline_interval_is_empirical_residual_quantile():
    # naive (season 1): in-sample 1-step errors y[t] - y[t-1] = [2, -1, 4, -1]
    y = monthly([10.0, 12.0, 11.0, 15.0, 14.0])
    out = SeasonalNaive(season_length=1).fit(y).predict_interval(1, coverage=0.5)
    # numpy linear quantiles of [-1, -1, 2, 4]: 25% -> -1, 75% -> 2.5
    assert out.iloc[0].tolist() == [14.0, 13.0, 16.5]
    # step 2: errors y[t+1] - y[t-1] = [1, 3, 3]; quantiles 25% 2.0, 75% 3.0 -> lower widened
    out2 = SeasonalNaive(season_length=1).fit(y).predict_interval(2, coverage=0.5)
    assert out2.iloc[1].tolist() == [14.0, 14.0, 17.0]


def test_sklearn_contract():
    for model in [SeasonalNaive(), MovingAverage(window=4), RecursiveRegressor("hgb", lags=3)]:
        params = model.get_params()
        twin = clone(model)
        assert twin.get_params() == params
        assert not [k for k in vars(model) if k.endswith("_")]  # nothing learned before fit
    y = monthly(np.arange(30.0))
    model = RecursiveRegressor("ridge", lags=2)
    assert model.fit(y) is model
    assert {"forecaster_", "lags_", "residuals_used_", "y_", "exog_columns_"} <= set(vars(model))
    assert model.lags_ == [1, 2]


# --------------------------------------------------------------------------- regressors
def test_interval_ordering_all_models(seasonal_series):
    for name, model in default_models().items():
        out = clone(model).fit(seasonal_series).predict_interval(6, coverage=0.8)
        assert list(out.columns) == ["forecast", "lower", "upper"], name
        assert out.notna().all().all(), name
        assert (out["lower"] <= out["forecast"]).all(), name
        assert (out["forecast"] <= out["upper"]).all(), name
        assert (out["lower"] >= 0).all(), name
    bootstrapped = RecursiveRegressor("ridge", interval_method="bootstrapping", n_boot=50)
    out = bootstrapped.fit(seasonal_series).predict_interval(4)
    assert ((out["lower"] <= out["forecast"]) & (out["forecast"] <= out["upper"])).all()


def test_recursive_regressor_is_seeded_and_learns_seasonality(seasonal_series):
    a = RecursiveRegressor("hgb").fit(seasonal_series).predict_interval(12)
    b = RecursiveRegressor("hgb").fit(seasonal_series).predict_interval(12)
    pd.testing.assert_frame_equal(a, b)
    ridge = RecursiveRegressor("ridge").fit(seasonal_series).predict(12)
    q4 = ridge.index.quarter == 4
    assert ridge[q4].mean() > ridge[~q4].mean() + 200  # the planted Q4 peak is ~400


def test_recursive_regressor_with_user_exog(seasonal_series):
    idx = pd.date_range(seasonal_series.index[0], periods=51, freq="MS")
    exog = pd.DataFrame({"promo": (np.arange(51) % 5 == 0).astype(float)}, index=idx)
    model = RecursiveRegressor("ridge").fit(seasonal_series, exog=exog.iloc[:48])
    assert model.exog_columns_ == ["promo"]
    assert len(model.predict(3, exog=exog.iloc[48:])) == 3
    with pytest.raises(ValueError, match="pass exog"):
        model.predict(3)
    with pytest.raises(ValueError, match="no row for 1 period"):
        model.predict(3, exog=exog.iloc[48:50])


def test_recursive_regressor_short_series_message():
    with pytest.raises(ValueError, match="needs at least"):
        RecursiveRegressor("ridge", lags=12).fit(monthly(np.arange(14.0)))


# --------------------------------------------------------------------------- backtest
def test_backtest_metrics_hand_computed():
    # y_t = t for t < 13, then 20, 10; one fold at origin 13 with horizon 2
    y = monthly(list(range(13)) + [20, 10])
    bt = backtest(
        y,
        {"seasonal_naive": SeasonalNaive(), "ma": MovingAverage(window=2)},
        horizon=2,
        initial=13,
    )
    assert isinstance(bt, BacktestResult)
    m = bt.metrics.set_index("model")
    # MASE scale: seasonal-naive MAE of the 13 training values = |12 - 0| = 12
    assert bt.predictions["scale"].unique().tolist() == [12.0]
    # moving average: (11 + 12) / 2 = 11.5 both steps -> errors -8.5, 1.5
    assert m.loc["ma", "mae"] == pytest.approx(5.0)
    assert m.loc["ma", "wape"] == pytest.approx(10 / 30)
    assert m.loc["ma", "mape"] == pytest.approx((8.5 / 20 + 1.5 / 10) / 2)
    assert m.loc["ma", "bias"] == pytest.approx(-3.5)
    assert m.loc["ma", "mase"] == pytest.approx(5 / 12)
    # seasonal naive: y[1] = 1 and y[2] = 2 -> errors -19, -8
    assert m.loc["seasonal_naive", "mae"] == pytest.approx(13.5)
    assert m.loc["seasonal_naive", "mase"] == pytest.approx(13.5 / 12)
    assert m.loc["ma", "wape_vs_baseline"] == pytest.approx((10 / 30) / (27 / 30))
    assert m.loc["ma", "folds"] == 1 and m.loc["ma", "points"] == 2


def test_backtest_folds_cover_the_test_periods(seasonal_series):
    bt = backtest(seasonal_series, {"seasonal_naive": SeasonalNaive()}, horizon=3, test_periods=10)
    p = bt.predictions
    assert p["fold"].nunique() == 4  # origins 38, 41, 44, 47 (the last one forecasts 1 period)
    assert p["period"].tolist() == list(seasonal_series.index[38:])
    assert p.groupby("fold")["step"].max().tolist() == [3, 3, 3, 1]
    # seasonal naive in the backtest equals the value 12 months earlier
    expected = seasonal_series.shift(12).loc[p["period"]].to_numpy()
    np.testing.assert_allclose(p["forecast"].to_numpy(), expected)


def test_backtest_adds_baseline_and_validates(seasonal_series):
    bt = backtest(seasonal_series, {"ma": MovingAverage()}, horizon=3, test_periods=6)
    assert bt.metrics["model"].tolist() == ["seasonal_naive", "ma"]
    assert bt.metrics["baseline"].tolist() == [True, True]
    with pytest.raises(ValueError, match="first training window"):
        backtest(seasonal_series, {"ma": MovingAverage()}, test_periods=48)


def test_backtest_uses_only_data_before_each_origin(seasonal_series):
    """Perturbing values from position p on leaves every fold with origin <= p unchanged."""
    models = default_models()
    kwargs = {"horizon": 3, "test_periods": 12, "step": 2}
    base = backtest(seasonal_series, models, **kwargs).predictions
    cut = 42
    perturbed = seasonal_series.copy()
    perturbed.iloc[cut:] = perturbed.iloc[cut:] * 3 + 500
    changed = backtest(perturbed, models, **kwargs).predictions
    origin_pos = base["origin"].map({ts: i for i, ts in enumerate(seasonal_series.index)})
    early = (origin_pos <= cut).to_numpy()
    assert early.sum() > 0 and (~early).sum() > 0
    cols = ["forecast", "lower", "upper"]
    pd.testing.assert_frame_equal(
        base.loc[early, cols].reset_index(drop=True),
        changed.loc[early, cols].reset_index(drop=True),
    )
    # the later folds do see the new history (so the test can fail); the seasonal-naive
    # point forecast comes from a year back, but its interval moves
    for name in models:
        later = (~early) & (base["model"] == name).to_numpy()
        assert not np.allclose(base.loc[later, cols], changed.loc[later, cols]), name


# --------------------------------------------------------------------------- select_model
def test_select_model_rule():
    table = pd.DataFrame(
        {
            "model": ["seasonal_naive", "moving_average", "ridge", "hgb"],
            "wape": [0.20, 0.25, 0.192, np.nan],
            "bias": [-5.0, 1.0, 3.0, 2.0],
        }
    )
    assert select_model(table) == "seasonal_naive"  # 0.192 > 0.95 * 0.20 = 0.19
    assert select_model(table, margin=0.0) == "ridge"
    assert select_model(table.assign(wape=[0.20, 0.25, 0.15, 0.10])) == "hgb"
    assert select_model(table, metric="bias") == "moving_average"  # |1| vs |-5|
    assert select_model(table.assign(wape=[np.nan, 0.1, 0.1, 0.1])) == "seasonal_naive"
    with pytest.raises(ValueError, match="baseline 'seasonal_naive' is not in"):
        select_model(table.iloc[1:])
    with pytest.raises(ValueError, match="metric must be one of"):
        select_model(table.assign(r2=1.0), metric="r2")


def test_select_model_accepts_backtest_result(seasonal_series):
    bt = backtest(seasonal_series, {"ma": MovingAverage(window=12)}, horizon=3, test_periods=12)
    assert select_model(bt) in {"seasonal_naive", "ma"}


# --------------------------------------------------------------------------- quarters
def test_forecast_next_quarter_periods(seasonal_series):
    out = forecast_next_quarter(seasonal_series)
    assert out["period"].tolist() == list(pd.date_range("2024-01-01", periods=3, freq="MS"))
    assert out["quarter"].unique().tolist() == ["2024Q1"]
    assert out["forecast"].tolist() == seasonal_series.iloc[36:39].tolist()
    assert list(out.columns) == ["period", "quarter", "forecast", "lower", "upper", "model"]
    # a series ending mid-quarter (February) forecasts the next full quarter
    mid = forecast_next_quarter(seasonal_series.iloc[:-10], "ridge")
    assert mid["quarter"].unique().tolist() == ["2023Q2"]
    assert mid["period"].dt.month.tolist() == [4, 5, 6]
    assert (mid["model"] == "ridge").all()


def test_forecast_next_quarter_weekly():
    idx = pd.date_range("2022-01-03", periods=130, freq="W-MON")
    y = pd.Series(100 + np.arange(130.0), index=idx)
    out = forecast_next_quarter(y, "seasonal_naive")
    q = out["quarter"].iloc[0]
    assert (out["period"].dt.to_period("Q").astype(str) == q).all()
    assert out["period"].iloc[0] > idx[-1]
    assert len(out) in (13, 14)


def test_actual_vs_projected_uses_only_earlier_data(seasonal_series):
    out = actual_vs_projected(seasonal_series, "seasonal_naive", n_quarters=2)
    assert out["quarter"].tolist() == ["2023Q3", "2023Q4"]
    q4 = out.iloc[1]
    assert q4["projected"] == pytest.approx(seasonal_series.loc["2022-10-01":"2022-12-01"].sum())
    assert q4["actual"] == pytest.approx(seasonal_series.loc["2023-10-01":"2023-12-01"].sum())
    assert q4["error"] == pytest.approx(q4["projected"] - q4["actual"])
    assert q4["pct_error"] == pytest.approx(q4["error"] / q4["actual"])
    # changing a quarter's own values changes its actual, never its projection
    bumped = seasonal_series.copy()
    bumped.loc["2023-10-01":] += 1000
    ridge = actual_vs_projected(seasonal_series, "ridge", n_quarters=2)
    ridge_bumped = actual_vs_projected(bumped, "ridge", n_quarters=2)
    assert ridge_bumped["projected"].tolist() == ridge["projected"].tolist()
    assert ridge_bumped["actual"].iloc[1] == pytest.approx(ridge["actual"].iloc[1] + 3000)


def test_actual_vs_projected_skips_incomplete_last_quarter(seasonal_series):
    out = actual_vs_projected(seasonal_series.iloc[:-1], n_quarters=1)  # ends in November
    assert out["quarter"].tolist() == ["2023Q3"]


# --------------------------------------------------------------------------- pipeline
@pytest.fixture
def opportunities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7"],
            "created_at": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-02-01",
                    "2024-03-01",
                    "2024-04-01",
                    "2024-05-01",
                    "2024-06-01",
                    "2024-07-15",
                ]
            ),
            "stage": [
                "negotiation",
                "proposal",
                "qualification",
                "discovery",
                "proposal",
                "negotiation",
                "discovery",
            ],
            "status": ["won", "lost", "lost", "open", "open", "open", "open"],
            "amount": [100.0, 200.0, 300.0, 1000.0, 2000.0, 400.0, 50.0],
            "expected_close_date": pd.to_datetime(
                [
                    "2024-02-01",
                    "2024-03-01",
                    "2024-04-01",
                    "2024-06-15",
                    "2024-08-20",
                    None,
                    "2024-09-01",
                ]
            ),
            "closed_at": pd.to_datetime(["2024-02-10", "2024-03-10", "2024-04-10"] + [None] * 4),
        }
    )


def test_stage_win_rates_hand_computed(opportunities):
    rates = stage_win_rates(opportunities).set_index("stage")
    # closed: negotiation won, proposal lost, qualification lost
    assert rates["closed"].tolist() == [3, 2, 2, 1]
    assert rates["won"].tolist() == [1, 1, 1, 1]
    assert rates["win_rate"].tolist() == pytest.approx([1 / 3, 0.5, 0.5, 1.0])
    early = stage_win_rates(opportunities, as_of="2024-02-15").set_index("stage")
    assert early["closed"].tolist() == [1, 1, 1, 1] and not early["fallback"].any()
    none_closed = stage_win_rates(opportunities.assign(status="open"))
    assert none_closed["fallback"].all() and none_closed["win_rate"].isna().all()


def test_pipeline_weighted_forecast_by_stage_rates(opportunities):
    out = pipeline_weighted_forecast(opportunities, as_of="2024-07-01")
    # open on 2024-07-01: o4 (discovery, overdue June), o5 (proposal, Aug), o6 (negotiation,
    # no date -> July); o7 is created later and left out
    assert out["period"].tolist() == list(pd.date_range("2024-07-01", periods=2, freq="MS"))
    july, aug = out.iloc[0], out.iloc[1]
    assert july["open_deals"] == 2 and july["overdue_deals"] == 2
    assert july["pipeline_amount"] == 1400.0
    assert july["expected_amount"] == pytest.approx(1000 * 0.5 + 400 * 1.0)
    assert aug["expected_amount"] == pytest.approx(2000 * 0.5)


def test_pipeline_weighted_forecast_with_scores(opportunities):
    p = pd.Series({"o4": 0.1, "o5": 0.2, "o6": 0.3, "o7": 0.9}, name="win_probability")
    out = pipeline_weighted_forecast(opportunities, p, as_of="2024-08-01")
    assert out["period"].tolist() == list(pd.date_range("2024-08-01", periods=2, freq="MS"))
    assert out["expected_amount"].tolist() == pytest.approx([100 + 400 + 120, 45])
    assert out["open_deals"].sum() == 4
    with pytest.raises(ValueError, match=r"no value for 1 open deal\(s\), e.g. \['o7'\]"):
        pipeline_weighted_forecast(opportunities, p.drop("o7"), as_of="2024-08-01")
    flat = pipeline_weighted_forecast(opportunities, 0.5, as_of="2024-08-01")
    assert flat["expected_amount"].sum() == pytest.approx(0.5 * 3450)
    weekly = pipeline_weighted_forecast(opportunities, p, as_of="2024-08-01", freq="W")
    assert weekly["expected_amount"].sum() == pytest.approx(665)
    assert (weekly["period"].dt.dayofweek == 0).all()


def test_compare_forecasts(opportunities, seasonal_series):
    ts = forecast_next_quarter(seasonal_series)
    pipe = pd.DataFrame(
        {
            "period": [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-09-01")],
            "pipeline_amount": [500.0, 9.0],
            "expected_amount": [250.0, 3.0],
        }
    )
    out = compare_forecasts(ts, pipe)
    assert out["period"].tolist() == ts["period"].tolist()
    assert out["pipeline_expected"].tolist() == [0.0, 250.0, 0.0]
    feb = out.iloc[1]
    assert feb["difference"] == pytest.approx(250.0 - feb["ts_forecast"])
    assert feb["pipeline_share"] == pytest.approx(250.0 / feb["ts_forecast"])


# ----------------------------------------------------------- the company's own pipeline
CRM = SalesPipeline.from_mapping(
    {
        "stages": [
            {"name": "Prospecting", "probability": 0.1},
            "Engaging",
            {"name": "Closing", "probability": 0.6},
        ],
        "won": ["Won"],
        "lost": ["Lost"],
    }
)


@pytest.fixture
def crm_deals() -> pd.DataFrame:
    """Closed: d5 won (stage "Won": reached every stage), d6 lost without stage (first
    stage only), d7 lost in Closing, d8 won in Engaging. Open: d1-d4, d10 (no stage);
    d2 and d4 have no amount and no created_at; d9 is created after 2025-06-30."""
    return pd.DataFrame(
        {
            "opportunity_id": [f"d{i}" for i in range(1, 11)],
            "stage": [
                "prospecting",
                "Engaging ",
                "CLOSING",
                "Prospecting",
                "Won",
                None,
                "Closing",
                "Engaging",
                "Closing",
                None,
            ],
            "status": ["open"] * 4 + ["won", "lost", "lost", "won", "open", "open"],
            "amount": [100.0, None, 500.0, None, 1000.0, 200.0, 300.0, 800.0, None, 40.0],
            "created_at": pd.to_datetime(
                ["2025-06-01", None, "2025-05-01", None, "2025-01-01", "2025-02-01"]
                + ["2025-01-15", "2025-03-01", "2025-07-10", "2025-05-01"]
            ),
            "closed_at": pd.to_datetime(
                [None] * 4 + ["2025-03-01", "2025-04-01", "2025-05-01", "2025-05-15", None, None]
            ),
            "expected_close_date": pd.to_datetime(
                ["2025-07-15", "2025-06-20", "2025-08-10", "2025-08-20"]
                + [None] * 4
                + ["2025-09-01", "2025-06-25"]
            ),
        }
    )


def test_stage_win_rates_own_pipeline(crm_deals):
    rates = stage_win_rates(crm_deals, pipeline=CRM)
    # reached Prospecting: d5 d6 d7 d8 (2 won); Engaging: d5 d7 d8 (2); Closing: d5 d7 (1)
    assert rates["stage"].tolist() == ["Prospecting", "Engaging", "Closing"]
    assert rates["closed"].tolist() == [4, 3, 2] and rates["won"].tolist() == [2, 2, 1]
    assert rates["win_rate"].tolist() == pytest.approx([0.5, 2 / 3, 0.5])
    assert not rates["fallback"].any()
    declared = stage_win_rates(crm_deals, pipeline=CRM, method="declared")
    assert declared["win_rate"].tolist() == pytest.approx([0.1, 2 / 3, 0.6])
    assert declared["fallback"].tolist() == [False, True, False]
    # no closed deal reached Closing: its declared probability, else the overall rate
    early = crm_deals[crm_deals["opportunity_id"].isin(["d6", "d8"])]
    assert stage_win_rates(early, pipeline=CRM)["win_rate"].tolist() == [0.5, 1.0, 0.6]
    plain = SalesPipeline.from_mapping(
        {"stages": ["Prospecting", "Engaging", "Closing"], "won": ["Won"]}
    )
    fallback = stage_win_rates(early, pipeline=plain)
    assert fallback["win_rate"].tolist() == [0.5, 1.0, 0.5]
    assert fallback["fallback"].tolist() == [False, False, True]


def test_stage_win_rates_refusals(crm_deals):
    with pytest.raises(ValueError, match="not stages of the pipeline"):
        stage_win_rates(crm_deals)
    with pytest.raises(ValueError, match="declares none"):
        stage_win_rates(crm_deals.assign(stage="proposal"), method="declared")
    with pytest.raises(ValueError, match="method must be one of history, declared"):
        stage_win_rates(crm_deals, pipeline=CRM, method="crm")


def test_pipeline_weighted_forecast_own_pipeline(crm_deals):
    # open at 2025-06-30: d1 (Prospecting, Jul, 100), d2 (Engaging, Jun, no amount),
    # d3 (Closing, Aug, 500), d4 (Prospecting, Aug, no amount), d10 (no stage -> first
    # stage, Jun, 40); d9 is created later
    out = pipeline_weighted_forecast(crm_deals, as_of="2025-06-30", pipeline=CRM)
    assert out["period"].tolist() == list(pd.date_range("2025-06-01", periods=3, freq="MS"))
    assert out["open_deals"].tolist() == [2, 1, 2]
    assert out["deals_without_amount"].tolist() == [1, 0, 1]
    assert out["pipeline_amount"].tolist() == [40.0, 100.0, 500.0]
    assert out["expected_amount"].tolist() == pytest.approx([40 * 0.5, 100 * 0.5, 500 * 0.5])
    declared = pipeline_weighted_forecast(
        crm_deals, as_of="2025-06-30", pipeline=CRM, method="declared"
    )
    assert declared["expected_amount"].tolist() == pytest.approx([40 * 0.1, 100 * 0.1, 500 * 0.6])
    # scores: deals without amount may lack a probability; the others may not
    p = pd.Series({"d1": 0.2, "d2": np.nan, "d3": 0.4, "d4": 0.9, "d10": 1.0})
    scored = pipeline_weighted_forecast(crm_deals, p, as_of="2025-06-30")
    assert scored["expected_amount"].tolist() == pytest.approx([40.0, 20.0, 200.0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        pipeline_weighted_forecast(crm_deals, p.replace(0.2, np.nan), as_of="2025-06-30")


# --------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def superstore_orders() -> pd.DataFrame:
    if not SUPERSTORE.exists():
        pytest.skip(f"real data not available: {SUPERSTORE} is absent")
    raw = pd.read_csv(SUPERSTORE, encoding="utf-8-sig")
    return pd.DataFrame(
        {
            "order_id": raw["Order ID"],
            "order_date": pd.to_datetime(raw["Order Date"], format="%m/%d/%Y"),
            "amount": raw["Sales"].astype("float64"),
            "region": raw["Region"],
        }
    )


def test_superstore_revenue_series_matches_source_totals(superstore_orders):
    s = revenue_series(superstore_orders)
    assert len(s) == 48 and s.index[0] == pd.Timestamp("2014-01-01")
    assert s.sum() == pytest.approx(2_297_200.8603, abs=0.01)
    yearly = s.groupby(s.index.year).sum()
    assert yearly.round(2).tolist() == [484_247.50, 470_532.51, 609_205.60, 733_215.26]
    by_region = revenue_series(superstore_orders, by="region").sum().round(2)
    assert by_region.to_dict() == {
        "Central": 501_239.89,
        "East": 678_781.24,
        "South": 391_721.90,
        "West": 725_457.82,
    }


def test_superstore_backtest_last_12_months(superstore_orders):
    s = revenue_series(superstore_orders)
    bt = backtest(s, horizon=3, test_periods=12)
    m = bt.metrics.set_index("model")
    assert list(m.index) == ["seasonal_naive", "moving_average", "ridge", "hgb"]
    assert (m["folds"] == 4).all() and (m["points"] == 12).all()
    assert bt.predictions["period"].min() == pd.Timestamp("2017-01-01")
    # seasonal naive = same month of 2016, so its MAE can be checked from the series
    sn_mae = np.mean(np.abs(s.loc["2017"].to_numpy() - s.loc["2016"].to_numpy()))
    assert m.loc["seasonal_naive", "mae"] == pytest.approx(sn_mae)
    assert m[["mae", "wape", "mape", "mase", "coverage"]].notna().all().all()
    assert select_model(bt) in m.index
    nxt = forecast_next_quarter(s, select_model(bt))
    assert nxt["quarter"].unique().tolist() == ["2018Q1"]
    assert ((nxt["lower"] <= nxt["forecast"]) & (nxt["forecast"] <= nxt["upper"])).all()
