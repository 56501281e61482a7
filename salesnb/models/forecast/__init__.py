"""Revenue forecasting: per-period revenue series, baselines, skforecast regressors.

The flow a notebook follows::

    series = revenue_series(data.orders, freq="M")           # revenue per month
    bt = backtest(series, default_models(), horizon=3, test_periods=12)
    bt.metrics                                                # MAE, WAPE, MAPE, bias, MASE
    name = select_model(bt, metric="wape")                    # falls back to seasonal naive
    nxt = forecast_next_quarter(series, name)                 # point + interval per period
    avp = actual_vs_projected(series, name, n_quarters=4)     # past quarters: projected vs actual
    pipe = pipeline_weighted_forecast(data.opportunities, as_of=data.as_of)
    compare_forecasts(nxt, pipe)

Modules: :mod:`~salesnb.models.forecast.series` (revenue per period, calendar
features, what a period is), :mod:`~salesnb.models.forecast.baselines` (seasonal
naive, moving average), :mod:`~salesnb.models.forecast.regressor` (skforecast
regressors), :mod:`~salesnb.models.forecast.intervals` (how intervals are built),
:mod:`~salesnb.models.forecast.registry` (models by name),
:mod:`~salesnb.models.forecast.metrics` (accuracy),
:mod:`~salesnb.models.forecast.backtesting` (rolling-origin backtest, model
choice), :mod:`~salesnb.models.forecast.quarters` (next quarter, actual vs
projected) and :mod:`~salesnb.models.forecast.pipeline` (pipeline-weighted
forecast).
"""

from salesnb.models.forecast.backtesting import BacktestResult, backtest, select_model
from salesnb.models.forecast.baselines import MovingAverage, SeasonalNaive
from salesnb.models.forecast.metrics import forecast_metrics, seasonal_naive_mae
from salesnb.models.forecast.pipeline import (
    compare_forecasts,
    pipeline_weighted_forecast,
    stage_win_rates,
)
from salesnb.models.forecast.quarters import actual_vs_projected, forecast_next_quarter
from salesnb.models.forecast.registry import default_models, make_model
from salesnb.models.forecast.regressor import RecursiveRegressor
from salesnb.models.forecast.series import calendar_features, revenue_series

__all__ = [
    "revenue_series",
    "calendar_features",
    "SeasonalNaive",
    "MovingAverage",
    "RecursiveRegressor",
    "make_model",
    "default_models",
    "forecast_metrics",
    "seasonal_naive_mae",
    "BacktestResult",
    "backtest",
    "select_model",
    "forecast_next_quarter",
    "actual_vs_projected",
    "stage_win_rates",
    "pipeline_weighted_forecast",
    "compare_forecasts",
]
