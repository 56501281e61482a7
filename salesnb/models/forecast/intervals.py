"""Prediction intervals: quantile levels and the ordering rule every forecaster applies.

The baselines use empirical quantiles of their own in-sample ``h``-step errors
(every origin of the training series, per step ``h``); the regressors use
skforecast's conformal (default) or bootstrapped intervals built from
out-of-sample one-step residuals (see
:class:`~salesnb.models.forecast.regressor.RecursiveRegressor`). The backtest
reports the empirical ``coverage`` of every model's interval. All intervals are
widened if needed so that ``lower <= forecast <= upper``, and lower bounds are
floored at 0 (revenue is not negative) unless the forecast itself is negative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _quantile_levels(coverage: float) -> tuple[float, float]:
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be between 0 and 1; got {coverage!r}")
    return (1 - coverage) / 2, 1 - (1 - coverage) / 2


def _order_interval(point, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    """Widen so lower <= point <= upper; floor lower at 0 unless point < 0."""
    point = np.asarray(point, float)
    lower = np.minimum(np.maximum(np.asarray(lower, float), 0.0), point)
    upper = np.maximum(np.asarray(upper, float), point)
    return lower, upper


def _interval_frame(index, point, lower, upper) -> pd.DataFrame:
    lower, upper = _order_interval(point, lower, upper)
    return pd.DataFrame(
        {"forecast": np.asarray(point, float), "lower": lower, "upper": upper}, index=index
    )
