"""Revenue forecasting: per-period revenue series, baselines, skforecast regressors.

The flow a notebook follows::

    series = revenue_series(data.orders, freq="M")           # revenue per month
    choice = choose_model(series)                             # backtest at the next-quarter horizon
    choice.backtest.metrics                                   # MAE, WAPE, MAPE, bias, MASE, horizon
    name = choice.model                                       # falls back to seasonal naive
    nxt = forecast_next_quarter(series, name)                 # point + interval per period
    avp = actual_vs_projected(series, name, n_quarters=4)     # past quarters: projected vs actual
    projection_bias(avp)                                      # under/over-forecast quarters
    frame = hierarchy_frame(revenue_series(data.orders, by="region"))
    backtest_hierarchy(frame, name)                           # base vs reconciled vs seasonal naive
    forecast_hierarchy(frame, name, method="wls_var")         # regions that add up to the total
    log_experiment(choice.backtest, "experiments.csv")        # read_experiments() reads it back
    pipe = pipeline_weighted_forecast(data.opportunities, as_of=data.as_of)
    compare_forecasts(nxt, pipe)

Modules: :mod:`~salesnb.models.forecast.series` (revenue per period, calendar
features, what a period is), :mod:`~salesnb.models.forecast.baselines` (seasonal
naive, moving average), :mod:`~salesnb.models.forecast.regressor` (skforecast
regressors), :mod:`~salesnb.models.forecast.intervals` (how intervals are built),
:mod:`~salesnb.models.forecast.registry` (models by name),
:mod:`~salesnb.models.forecast.metrics` (accuracy),
:mod:`~salesnb.models.forecast.backtesting` (rolling-origin backtest, model
choice), :mod:`~salesnb.models.forecast.choice` (the choice at the forecast
horizon and its skill), :mod:`~salesnb.models.forecast.external` (an analyst's
own regressor or skforecast forecaster), :mod:`~salesnb.models.forecast.hierarchy`
(region and channel forecasts that add up),
:mod:`~salesnb.models.forecast.experiments` (the experiment log),
:mod:`~salesnb.models.forecast.quarters` (next quarter, actual vs projected)
and :mod:`~salesnb.models.forecast.pipeline` (pipeline-weighted forecast).
"""

from salesnb.models.forecast.backtesting import BacktestResult, backtest, select_model
from salesnb.models.forecast.baselines import MovingAverage, SeasonalNaive
from salesnb.models.forecast.choice import ModelChoice, choose_model, projection_bias
from salesnb.models.forecast.experiments import log_experiment, read_experiments
from salesnb.models.forecast.external import SkforecastModel, as_forecaster
from salesnb.models.forecast.hierarchy import (
    backtest_hierarchy,
    choose_reconciliation,
    forecast_hierarchy,
    hierarchy_frame,
    reconcile,
)
from salesnb.models.forecast.metrics import forecast_metrics, seasonal_naive_mae
from salesnb.models.forecast.pipeline import (
    compare_forecasts,
    pipeline_weighted_forecast,
    stage_win_rates,
)
from salesnb.models.forecast.quarters import actual_vs_projected, forecast_next_quarter
from salesnb.models.forecast.registry import MODEL_LABELS, default_models, make_model, model_label
from salesnb.models.forecast.regressor import RecursiveRegressor
from salesnb.models.forecast.series import (
    calendar_features,
    forecast_horizon,
    revenue_series,
    series_fingerprint,
)

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
    "forecast_horizon",
    "series_fingerprint",
    "ModelChoice",
    "choose_model",
    "projection_bias",
    "SkforecastModel",
    "as_forecaster",
    "MODEL_LABELS",
    "model_label",
    "hierarchy_frame",
    "reconcile",
    "forecast_hierarchy",
    "backtest_hierarchy",
    "choose_reconciliation",
    "log_experiment",
    "read_experiments",
    "forecast_next_quarter",
    "actual_vs_projected",
    "stage_win_rates",
    "pipeline_weighted_forecast",
    "compare_forecasts",
]
