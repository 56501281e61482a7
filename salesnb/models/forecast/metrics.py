"""Forecast accuracy: MAE, WAPE, MAPE, bias and MASE against actuals."""

from __future__ import annotations

import numpy as np

__all__ = ["forecast_metrics", "seasonal_naive_mae"]


def seasonal_naive_mae(history, *, season_length: int) -> float:
    """In-sample MAE of the seasonal-naive forecast: ``mean |y[t] - y[t-m]|``, t = m..n-1.

    The denominator of MASE. Raises ValueError when the history has no more
    than ``season_length`` values.

    >>> seasonal_naive_mae([1.0, 2, 4, 7], season_length=1)
    2.0
    """
    values = np.asarray(history, dtype=float)
    m = int(season_length)
    if len(values) <= m:
        raise ValueError(f"need more than {m} values for a seasonal-naive MAE; got {len(values)}")
    return float(np.mean(np.abs(values[m:] - values[:-m])))


def forecast_metrics(actual, forecast, *, scale=None) -> dict[str, float]:
    """Accuracy of forecasts against actuals.

    With errors ``e = forecast - actual`` (positive = over-forecast):

    * ``mae`` = mean ``|e|`` (currency);
    * ``wape`` = sum ``|e|`` / sum ``|actual|`` (fraction);
    * ``mape`` = mean ``|e| / |actual|`` over points with ``actual != 0``
      (fraction; zero actuals are left out, NaN if all are zero);
    * ``bias`` = mean ``e`` (currency) and ``bias_pct`` = sum ``e`` / sum ``|actual|``;
    * ``mase`` = mean ``|e| / scale`` where ``scale`` is the in-sample
      seasonal-naive MAE (:func:`seasonal_naive_mae`) of the training data the
      forecast was made from (scalar or one per point; NaN when not given or 0).

    Examples
    --------
    >>> m = forecast_metrics([10.0, 20.0, 0.0], [12.0, 15.0, 1.0], scale=2.0)
    >>> {k: round(v, 4) for k, v in m.items()}
    {'mae': 2.6667, 'wape': 0.2667, 'mape': 0.225, 'bias': -0.6667, 'bias_pct': -0.0667, 'mase': 1.3333}
    """
    actual = np.asarray(actual, dtype=float)
    forecast = np.asarray(forecast, dtype=float)
    if actual.shape != forecast.shape or actual.size == 0:
        raise ValueError("actual and forecast must be non-empty and of the same length")
    err = forecast - actual
    abs_err = np.abs(err)
    total = np.abs(actual).sum()
    nonzero = actual != 0
    if scale is None:
        mase = np.nan
    else:
        scale = np.broadcast_to(np.asarray(scale, dtype=float), actual.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(scale > 0, abs_err / np.where(scale > 0, scale, 1.0), np.nan)
        mase = float(np.mean(q)) if not np.isnan(q).any() else np.nan
    return {
        "mae": float(abs_err.mean()),
        "wape": float(abs_err.sum() / total) if total > 0 else np.nan,
        "mape": float(np.mean(abs_err[nonzero] / np.abs(actual[nonzero])))
        if nonzero.any()
        else np.nan,
        "bias": float(err.mean()),
        "bias_pct": float(err.sum() / total) if total > 0 else np.nan,
        "mase": mase,
    }
