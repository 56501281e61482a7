"""Rolling-origin backtest of forecasters and the choice of a model from it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from salesnb.models.forecast.baselines import (  # noqa: F401 - MovingAverage: backtest example
    MovingAverage,
    SeasonalNaive,
    _Baseline,
)
from salesnb.models.forecast.external import as_forecaster, model_parameters
from salesnb.models.forecast.metrics import forecast_metrics, seasonal_naive_mae
from salesnb.models.forecast.registry import BASELINE, default_models, make_model
from salesnb.models.forecast.series import (
    _check_series,
    _require,
    _season_length,
    forecast_horizon,
    series_fingerprint,
)

logger = logging.getLogger(__name__)

__all__ = ["BacktestResult", "backtest", "select_model"]


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of :func:`backtest`.

    Attributes
    ----------
    metrics : pandas.DataFrame
        One row per model: ``model``, ``baseline`` (is it a baseline),
        ``folds``, ``points``, ``mae``, ``wape``, ``mape``, ``bias``,
        ``bias_pct``, ``mase``, ``coverage`` (share of actuals inside the
        interval), ``wape_vs_baseline`` (model WAPE / seasonal-naive WAPE),
        ``horizon`` (periods forecast from each origin) and ``freq`` (the
        series' index frequency, ``MS`` or ``W-MON``).
    predictions : pandas.DataFrame
        One row per model, fold and step (for charts): ``model``, ``fold``,
        ``origin`` (first forecast period), ``period``, ``step``, ``actual``,
        ``forecast``, ``lower``, ``upper``, ``scale`` (MASE denominator).
    horizon : int
        Periods forecast from each origin.
    freq : str
        Index frequency of the series.
    fingerprint : str
        :func:`~salesnb.models.forecast.series.series_fingerprint` of the series.
    parameters : dict
        Model name -> its class and parameters as JSON text.
    """

    metrics: pd.DataFrame
    predictions: pd.DataFrame
    horizon: int = 0
    freq: str = ""
    fingerprint: str = ""
    parameters: dict | None = None


def backtest(
    series: pd.Series,
    models: Mapping[str, BaseEstimator] | None = None,
    *,
    horizon: int | str = "next_quarter",
    test_periods: int | None = 12,
    initial: int | None = None,
    step: int | None = None,
    coverage: float = 0.8,
    exog: pd.DataFrame | None = None,
    baseline: str = BASELINE,
    full_horizon: bool = False,
) -> BacktestResult:
    """Rolling-origin backtest: refit at each origin, forecast ``horizon`` periods.

    Fold ``k`` has origin ``o_k = initial + k*step`` (0-based position of its
    first forecast period); the model is fitted on ``series[:o_k]`` only (and
    ``exog[:o_k]``), then forecasts ``min(horizon, n - o_k)`` periods. By
    default origins run while ``o_k < n``, so every period from ``initial`` to
    the end is forecast at least once (the last fold may be shorter); with
    ``full_horizon=True`` they stop at the last origin with a full horizon
    (``o_k + horizon <= n``), so every fold scores every step. Metrics
    (:func:`forecast_metrics`) pool all folds and steps; the MASE scale of a
    fold is the seasonal-naive MAE of its own training data (season 12 for
    months, 52 for weeks; lag 1 when the training data is not longer than a
    season).

    Parameters
    ----------
    series : pandas.Series
        Revenue per period (:func:`revenue_series`).
    models : dict name -> model, optional
        :func:`default_models` when None. A value may be a forecaster of this
        package, a model name for :func:`make_model`, any scikit-learn
        regressor (e.g. ``{"my ridge": Ridge(alpha=3)}``, wrapped in
        :class:`RecursiveRegressor`: lags, calendar features, conformal
        intervals) or a skforecast forecaster (used as configured, see
        :class:`~salesnb.models.forecast.external.SkforecastModel`); each is
        cloned per fold and ranked in the same table as the defaults.
    horizon : int or "next_quarter", default "next_quarter"
        Periods forecast from each origin. ``"next_quarter"`` (default) means
        the steps :func:`forecast_next_quarter` takes from the end of the
        series (:func:`~salesnb.models.forecast.series.forecast_horizon`: 3
        for a monthly series that ends with a quarter, 13-17 for weeks), so
        the models are compared at the horizon that will be forecast.
    test_periods : int, default 12
        Backtest the last ``test_periods`` periods (``initial = n - test_periods``).
    initial : int, optional
        Training length of the first fold; overrides ``test_periods``.
    step : int, optional
        Periods between origins; ``horizon`` when None (non-overlapping folds).
    coverage : float, default 0.8
        Nominal coverage of the intervals.
    exog : pandas.DataFrame, optional
        Extra predictors indexed by period, covering the whole series.
    baseline : str, default "seasonal_naive"
        Name of the reference model for ``wape_vs_baseline``; added to
        ``models`` (as :class:`SeasonalNaive`) if missing.
    full_horizon : bool, default False
        Stop at the last origin with a full horizon (see above).

    Returns
    -------
    BacktestResult

    Raises
    ------
    ValueError
        When the first training window is empty or the whole series, when
        ``horizon`` or ``step`` is below 1, or with ``full_horizon=True`` when
        no origin has a full horizon.

    Examples
    --------
    >>> idx = pd.date_range("2021-01-01", periods=30, freq="MS")
    >>> y = pd.Series(100.0 + 10 * (idx.month == 12), index=idx)
    >>> bt = backtest(y, {"seasonal_naive": SeasonalNaive(), "ma": MovingAverage()},
    ...               horizon=3, test_periods=6)
    >>> bt.metrics[["model", "folds", "points", "mae"]]
                model  folds  points       mae
    0  seasonal_naive      2       6  0.000000
    1              ma      2       6  1.666667
    """
    series = _check_series(series)
    models = dict(default_models() if models is None else models)
    if baseline not in models:
        models = {baseline: SeasonalNaive(), **models}
    models = {name: _forecaster(name, model) for name, model in models.items()}
    n = len(series)
    if isinstance(horizon, str):
        if horizon != "next_quarter":
            raise ValueError(
                f"horizon must be a positive integer or 'next_quarter'; got {horizon!r}"
            )
        horizon = forecast_horizon(series)
    horizon = int(horizon)
    if initial is None:
        if test_periods is None:
            raise ValueError("give test_periods or initial")
        initial = n - int(test_periods)
    step = int(step or horizon)
    if horizon < 1 or step < 1:
        raise ValueError("horizon and step must be >= 1")
    if not 1 <= initial < n:
        raise ValueError(
            f"the first training window must hold 1..{n - 1} periods; got initial={initial} "
            f"for a series of {n} periods"
        )
    m = _season_length(series.index)
    values = series.to_numpy()
    origins = range(initial, n - horizon + 1 if full_horizon else n, step)
    if len(origins) == 0:
        raise ValueError(
            f"no origin with a full horizon: {horizon} periods ahead from the first origin "
            f"({series.index[initial].date()}) run past the series end "
            f"({series.index[-1].date()}); hold out more periods (test_periods >= {horizon})"
        )
    rows = []
    for fold, origin in enumerate(origins):
        h = min(horizon, n - origin)
        train = series.iloc[:origin]
        train_exog = None if exog is None else exog.loc[train.index]
        future_exog = None if exog is None else exog.loc[series.index[origin : origin + h]]
        season = m if origin > m else 1
        scale = seasonal_naive_mae(values[:origin], season_length=season) if origin > 1 else np.nan
        for name, model in models.items():
            fitted = clone(model).fit(train, exog=train_exog)
            pred = fitted.predict_interval(h, coverage=coverage, exog=future_exog)
            for s in range(h):
                rows.append(
                    {
                        "model": name,
                        "fold": fold,
                        "origin": series.index[origin],
                        "period": series.index[origin + s],
                        "step": s + 1,
                        "actual": values[origin + s],
                        "forecast": pred["forecast"].iloc[s],
                        "lower": pred["lower"].iloc[s],
                        "upper": pred["upper"].iloc[s],
                        "scale": scale,
                    }
                )
    predictions = pd.DataFrame(rows)
    metrics = []
    for name in models:
        p = predictions[predictions["model"] == name]
        inside = (p["actual"] >= p["lower"]) & (p["actual"] <= p["upper"])
        metrics.append(
            {
                "model": name,
                "baseline": isinstance(models[name], _Baseline),
                "folds": int(p["fold"].nunique()),
                "points": len(p),
                **forecast_metrics(p["actual"], p["forecast"], scale=p["scale"]),
                "coverage": float(inside.mean()) if p["lower"].notna().all() else np.nan,
            }
        )
    metrics = pd.DataFrame(metrics)
    ref = metrics.loc[metrics["model"] == baseline, "wape"].iloc[0]
    metrics["wape_vs_baseline"] = metrics["wape"] / ref if ref > 0 else np.nan
    metrics["horizon"] = horizon
    metrics["freq"] = series.index.freqstr
    return BacktestResult(
        metrics=metrics,
        predictions=predictions,
        horizon=horizon,
        freq=series.index.freqstr,
        fingerprint=series_fingerprint(series),
        parameters={name: model_parameters(model) for name, model in models.items()},
    )


def _forecaster(name: str, model) -> BaseEstimator:
    """A model name (:func:`make_model`), a forecaster, a regressor or a skforecast forecaster."""
    if isinstance(model, str):
        return make_model(model)
    try:
        return as_forecaster(model)
    except TypeError as err:
        raise TypeError(f"backtest model {name!r}: {err}") from None


_LOWER_IS_BETTER = {"mae", "wape", "mape", "mase", "bias", "bias_pct"}


def select_model(
    backtest_table: BacktestResult | pd.DataFrame,
    *,
    metric: str = "wape",
    baseline: str = BASELINE,
    margin: float = 0.05,
) -> str:
    """Pick a model by backtest, falling back to the seasonal-naive baseline.

    Rule: take the model with the lowest ``metric`` (absolute value for
    ``bias``/``bias_pct``); keep it only if it beats the baseline by at least
    ``margin`` relative to the baseline's value, i.e.
    ``metric(best) <= (1 - margin) * metric(baseline)``. Otherwise - including
    ties, NaN metrics or a best model that is the baseline - return
    ``baseline``. A small edge over the baseline on a dozen backtest points is
    noise, hence the margin.

    Parameters
    ----------
    backtest_table : BacktestResult or pandas.DataFrame
        :func:`backtest` output or its ``metrics`` table.
    metric : {"wape", "mae", "mape", "mase", "bias", "bias_pct"}
    baseline : str, default "seasonal_naive"
    margin : float, default 0.05

    Returns
    -------
    str
        Name of the chosen model.

    Examples
    --------
    >>> table = pd.DataFrame({"model": ["seasonal_naive", "ridge"], "wape": [0.20, 0.195]})
    >>> select_model(table)
    'seasonal_naive'
    >>> select_model(table.assign(wape=[0.20, 0.15]))
    'ridge'
    """
    table = backtest_table.metrics if isinstance(backtest_table, BacktestResult) else backtest_table
    _require(table, ["model", metric], "backtest metrics")
    if metric not in _LOWER_IS_BETTER:
        raise ValueError(f"metric must be one of {sorted(_LOWER_IS_BETTER)}; got {metric!r}")
    if baseline not in set(table["model"]):
        raise ValueError(
            f"baseline {baseline!r} is not in the backtest table ({list(table['model'])})"
        )
    score = table.set_index("model")[metric].astype(float)
    if metric.startswith("bias"):
        score = score.abs()
    ref = score[baseline]
    candidates = score.drop(baseline).dropna()
    if candidates.empty or np.isnan(ref):
        return baseline
    best = candidates.idxmin()
    if candidates[best] <= (1 - margin) * ref:
        logger.info(
            "select_model: %s (%s %.4g) beats %s (%.4g)",
            best,
            metric,
            candidates[best],
            baseline,
            ref,
        )
        return str(best)
    logger.info("select_model: nothing beats %s by %.0f%% on %s", baseline, margin * 100, metric)
    return baseline
