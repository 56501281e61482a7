"""Choosing the forecast model at the horizon that will be forecast, and its skill.

:func:`choose_model` is the default flow of the revenue notebook: backtest the
model set at the steps :func:`forecast_next_quarter` will take (the
``"next_quarter"`` horizon, full-horizon folds only), keep the best model
only when it beats seasonal naive by the :func:`select_model` margin, and
record by how much (:class:`ModelChoice`). :func:`projection_bias` sums up
the sign of the errors of past quarters' projections.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from salesnb.models.forecast.backtesting import BacktestResult, _forecaster, backtest, select_model
from salesnb.models.forecast.registry import BASELINE, default_models
from salesnb.models.forecast.series import _check_series, _require, forecast_horizon

__all__ = ["ModelChoice", "choose_model", "projection_bias"]


@dataclass(frozen=True)
class ModelChoice:
    """Outcome of :func:`choose_model`.

    Attributes
    ----------
    model : str
        Name of the chosen model (the baseline when nothing beats it).
    estimator : forecaster
        The chosen model, unfitted (pass it or ``model`` to
        :func:`forecast_next_quarter`).
    backtest : BacktestResult
        The backtest the choice was made on.
    horizon : int
        Periods ahead of every backtest fold (the next-quarter horizon).
    freq : str
        Index frequency (``MS`` or ``W-MON``).
    metric : str
        Metric the choice used.
    baseline : str
        Name of the reference model.
    best : str
        The best model other than the baseline (by ``metric``); empty when none.
    score, baseline_score, best_score : float
        ``metric`` of the chosen model, of the baseline and of ``best``.
    improvement : float
        ``1 - best_score / baseline_score``: how much better (positive) or worse
        (negative) the best model did than the baseline.
    beats_baseline : bool
        True when the chosen model is not the baseline.
    """

    model: str
    estimator: BaseEstimator
    backtest: BacktestResult
    horizon: int
    freq: str
    metric: str
    baseline: str
    best: str
    score: float
    baseline_score: float
    best_score: float
    improvement: float
    beats_baseline: bool


def choose_model(
    series: pd.Series,
    models: Mapping[str, BaseEstimator] | None = None,
    *,
    test_periods: int = 12,
    min_folds: int = 3,
    metric: str = "wape",
    margin: float = 0.05,
    coverage: float = 0.8,
    exog: pd.DataFrame | None = None,
    baseline: str = BASELINE,
) -> ModelChoice:
    """Backtest at the next-quarter horizon and choose, falling back to seasonal naive.

    The horizon ``h`` is :func:`forecast_horizon` (the steps
    :func:`forecast_next_quarter` takes: 3 months, or 13-17 weeks). The
    backtest holds out ``max(test_periods, min_folds * h)`` periods (so a
    weekly series gets at least ``min_folds`` folds of a full quarter), steps
    ``h`` periods between origins and keeps full-horizon folds only
    (``full_horizon=True``); :func:`select_model` then keeps the best model
    only if its ``metric`` is at least ``margin`` below the baseline's.

    Parameters
    ----------
    series : pandas.Series
        Revenue per period (:func:`revenue_series`).
    models : dict name -> model, optional
        As in :func:`backtest`; :func:`default_models` when None.
    test_periods : int, default 12
    min_folds : int, default 3
    metric, margin : see :func:`select_model`
    coverage : float, default 0.8
    exog : pandas.DataFrame, optional
    baseline : str, default "seasonal_naive"

    Returns
    -------
    ModelChoice

    Raises
    ------
    ValueError
        When the series is too short for one full-horizon fold.

    Examples
    --------
    >>> from salesnb.models.forecast.baselines import MovingAverage, SeasonalNaive
    >>> idx = pd.date_range("2021-01-01", periods=36, freq="MS")
    >>> y = pd.Series(100.0 + 10 * (idx.month == 12), index=idx)
    >>> choice = choose_model(y, {"seasonal_naive": SeasonalNaive(), "ma": MovingAverage()})
    >>> choice.model, choice.horizon, choice.beats_baseline
    ('seasonal_naive', 3, False)
    """
    series = _check_series(series)
    models = dict(default_models() if models is None else models)
    h = forecast_horizon(series)
    held_out = min(max(int(test_periods), int(min_folds) * h), len(series) - 1)
    result = backtest(
        series,
        models,
        horizon=h,
        test_periods=held_out,
        coverage=coverage,
        exog=exog,
        baseline=baseline,
        full_horizon=True,
    )
    chosen = select_model(result, metric=metric, baseline=baseline, margin=margin)
    score = result.metrics.set_index("model")[metric].astype(float)
    if metric.startswith("bias"):
        score = score.abs()
    others = score.drop(baseline).dropna()
    best = str(others.idxmin()) if len(others) else ""
    ref = float(score[baseline])
    best_score = float(others[best]) if best else np.nan
    improvement = 1 - best_score / ref if best and ref > 0 else np.nan
    estimator = models.get(chosen) if chosen in models else None
    return ModelChoice(
        model=chosen,
        estimator=_forecaster(chosen, estimator if estimator is not None else chosen),
        backtest=result,
        horizon=h,
        freq=result.freq,
        metric=metric,
        baseline=baseline,
        best=best,
        score=float(score[chosen]),
        baseline_score=ref,
        best_score=best_score,
        improvement=float(improvement),
        beats_baseline=chosen != baseline,
    )


def projection_bias(projected: pd.DataFrame) -> dict:
    """Sign and size of past quarters' projection errors (:func:`actual_vs_projected`).

    Returns
    -------
    dict
        ``quarters`` (count), ``under`` and ``over`` (quarters projected below
        / above the actual), ``mean_pct_error`` (mean of ``pct_error`` over
        quarters with a non-zero actual; negative = under-forecast), ``model``.

    Examples
    --------
    >>> p = pd.DataFrame({"quarter": ["2024Q3", "2024Q4"], "error": [-10.0, -30.0],
    ...                   "pct_error": [-0.05, -0.15], "model": ["ridge", "ridge"]})
    >>> projection_bias(p)
    {'quarters': 2, 'under': 2, 'over': 0, 'mean_pct_error': -0.1, 'model': 'ridge'}
    """
    _require(projected, ["quarter", "error", "pct_error"], "actual-vs-projected table")
    pct = projected["pct_error"].astype(float).dropna()
    return {
        "quarters": len(projected),
        "under": int((projected["error"] < 0).sum()),
        "over": int((projected["error"] > 0).sum()),
        "mean_pct_error": round(float(pct.mean()), 10) if len(pct) else float("nan"),
        "model": str(projected["model"].iloc[0]) if "model" in projected and len(projected) else "",
    }
