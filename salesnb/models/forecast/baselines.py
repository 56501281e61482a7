"""Closed-form baseline forecasters: seasonal naive and moving average.

Like every forecaster they follow the scikit-learn contract (hyperparameters in
``__init__`` only, ``fit(y, exog=None)`` returns ``self``, learned state ends
in ``_``) and forecast from the end of the series they were fitted on:

* :class:`SeasonalNaive` - ``y[T+h] = y[T+h-m*ceil(h/m)]`` (same period one
  season earlier); the reference baseline.
* :class:`MovingAverage` - ``y[T+h] = mean(y[T-w+1..T])`` for every ``h``.

Their intervals are empirical quantiles of their own in-sample ``h``-step
errors (see :mod:`salesnb.models.forecast.intervals`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from salesnb.models.forecast.intervals import _interval_frame, _quantile_levels
from salesnb.models.forecast.series import _check_series, _future_index, _season_length

logger = logging.getLogger(__name__)

__all__ = ["SeasonalNaive", "MovingAverage"]


class _Baseline(BaseEstimator):
    """Shared machinery of the closed-form baselines."""

    def _min_history(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def _forecast_from(self, values: np.ndarray, origins: np.ndarray, h: int) -> np.ndarray:
        """Forecast of step ``h`` made at each origin ``t`` (history ``values[:t]``)."""
        raise NotImplementedError  # pragma: no cover

    def _fit_series(self, y) -> pd.Series:
        y = _check_series(y)
        need = self._min_history()
        if len(y) < need:
            raise ValueError(
                f"{type(self).__name__} needs at least {need} periods of history; got {len(y)}"
            )
        return y

    def _fallback_errors(self, values: np.ndarray, h: int) -> np.ndarray | None:
        """Errors standing in for step ``h`` when the history has too few; None: no rule."""
        return None

    def predict(self, steps: int, *, exog=None) -> pd.Series:
        """Point forecast of the next ``steps`` periods (``exog`` is ignored)."""
        values = self.y_.to_numpy()
        index = _future_index(self.y_.index, steps)
        point = [
            self._forecast_from(values, np.array([len(values)]), h)[0] for h in range(1, steps + 1)
        ]
        return pd.Series(point, index=index, name="forecast", dtype="float64")

    def predict_interval(self, steps: int, *, coverage: float = 0.8, exog=None) -> pd.DataFrame:
        """Forecast with an empirical interval of nominal ``coverage``.

        For each step ``h`` the interval is the point forecast plus the
        ``(1-coverage)/2`` and ``(1+coverage)/2`` quantiles (numpy's linear
        rule) of the in-sample ``h``-step errors ``y[t+h-1] - forecast made at
        t`` over every origin ``t`` of the training series. Steps without any
        in-sample error get NaN bounds (and a warning in the log).
        """
        lo_q, hi_q = _quantile_levels(coverage)
        values = self.y_.to_numpy()
        n = len(values)
        point = self.predict(steps).to_numpy()
        lower = np.full(steps, np.nan)
        upper = np.full(steps, np.nan)
        for h in range(1, steps + 1):
            origins = np.arange(self._min_history(), n - h + 1)
            errors = values[origins + h - 1] - self._forecast_from(values, origins, h)
            if len(errors) < 2:
                fallback = self._fallback_errors(values, h)
                errors = errors if fallback is None or len(fallback) == 0 else fallback
            if len(errors) == 0:
                logger.warning("%s: no in-sample %d-step errors for an interval", self, h)
                continue
            lower[h - 1] = point[h - 1] + np.quantile(errors, lo_q)
            upper[h - 1] = point[h - 1] + np.quantile(errors, hi_q)
        index = _future_index(self.y_.index, steps)
        frame = _interval_frame(index, point, lower, upper)
        frame.loc[np.isnan(lower), ["lower", "upper"]] = np.nan
        return frame


class SeasonalNaive(_Baseline):
    """Seasonal-naive forecast: the value of the same period one season earlier.

    ``forecast[T+h] = y[T + h - m*ceil(h/m)]`` where ``T`` is the last fitted
    period and ``m`` the season length (12 for months, 52 for weeks).

    Intervals on short histories: a step with fewer than two in-sample
    ``h``-step errors (a history shorter than ``m + h + 1`` periods) uses the
    seasonal differences ``y[t] - y[t-m]`` of the whole history instead (the
    same error formula at every step up to a season), multiplied by
    ``sqrt(k + 1)`` with ``k = (h - 1) // m`` (each further season adds one
    more independent year-on-year change, the seasonal-naive rule of
    Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 5.5).
    With exactly one season of history there is no seasonal difference and
    the period-to-period changes ``y[t] - y[t-1]`` stand in, with the same
    scaling.

    Parameters
    ----------
    season_length : int, optional
        Periods per season; inferred from the index frequency when None.

    Attributes
    ----------
    season_length_ : int
        Season length used.
    y_ : pandas.Series
        The training series (a copy).

    Examples
    --------
    >>> y = pd.Series([1.0, 2, 3, 4, 5, 6], index=pd.date_range("2024-01-01", periods=6, freq="MS"))
    >>> SeasonalNaive(season_length=4).fit(y).predict(5).tolist()
    [3.0, 4.0, 5.0, 6.0, 3.0]
    """

    def __init__(self, season_length: int | None = None):
        self.season_length = season_length

    def _min_history(self) -> int:
        return self.season_length_

    def fit(self, y: pd.Series, exog=None) -> SeasonalNaive:
        """Store the series; ``exog`` is ignored. Returns ``self``."""
        y = _check_series(y)
        self.season_length_ = int(self.season_length or _season_length(y.index))
        self.y_ = self._fit_series(y)
        return self

    def _forecast_from(self, values, origins, h):
        m = self.season_length_
        return values[origins - 1 + h - m * int(np.ceil(h / m))]

    def _fallback_errors(self, values, h):
        m = self.season_length_
        lag = m if len(values) > m else 1
        return (values[lag:] - values[:-lag]) * np.sqrt((h - 1) // m + 1)


class MovingAverage(_Baseline):
    """Moving-average forecast: the mean of the last ``window`` periods, flat.

    ``forecast[T+h] = (y[T-w+1] + ... + y[T]) / w`` for every step ``h``.

    Parameters
    ----------
    window : int, default 3
        Number of most recent periods averaged.

    Attributes
    ----------
    y_ : pandas.Series
        The training series (a copy).

    Examples
    --------
    >>> y = pd.Series([1.0, 2, 3, 4, 5, 6], index=pd.date_range("2024-01-01", periods=6, freq="MS"))
    >>> MovingAverage(window=3).fit(y).predict(2).tolist()
    [5.0, 5.0]
    """

    def __init__(self, window: int = 3):
        self.window = window

    def _min_history(self) -> int:
        return int(self.window)

    def fit(self, y: pd.Series, exog=None) -> MovingAverage:
        """Store the series; ``exog`` is ignored. Returns ``self``."""
        if int(self.window) < 1:
            raise ValueError(f"window must be >= 1; got {self.window!r}")
        self.y_ = self._fit_series(y)
        return self

    def _forecast_from(self, values, origins, h):
        w = int(self.window)
        cs = np.concatenate([[0.0], np.cumsum(values)])
        return (cs[origins] - cs[origins - w]) / w
