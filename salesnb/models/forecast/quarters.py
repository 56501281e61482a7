"""Quarter forecasts: the next calendar quarter, and past quarters projected vs actual."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from salesnb.models.forecast.registry import _as_model
from salesnb.models.forecast.series import _check_series

__all__ = ["forecast_next_quarter", "actual_vs_projected"]


def _quarter_label(ts) -> str:
    return str(pd.Timestamp(ts).to_period("Q"))


def forecast_next_quarter(
    series: pd.Series,
    model="seasonal_naive",
    *,
    coverage: float = 0.8,
    exog: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Forecast the periods of the next calendar quarter after the series ends.

    The next quarter is the first quarter starting after the last period of
    ``series``; periods between the series end and that quarter (when the
    series stops mid-quarter) are forecast too but not returned.

    Parameters
    ----------
    series : pandas.Series
        Revenue per period (:func:`revenue_series`), complete periods only.
    model : str or forecaster, default "seasonal_naive"
        A name for :func:`make_model` (e.g. from :func:`select_model`) or an
        unfitted forecaster (cloned).
    coverage : float, default 0.8
        Nominal interval coverage.
    exog : pandas.DataFrame, optional
        Extra predictors indexed by period, covering the series and the forecast periods.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``quarter`` (e.g. ``"2025Q1"``), ``forecast``, ``lower``,
        ``upper``, ``model``.

    Examples
    --------
    >>> idx = pd.date_range("2023-01-01", periods=24, freq="MS")
    >>> y = pd.Series(np.arange(24, dtype=float), index=idx)
    >>> forecast_next_quarter(y)[["period", "quarter", "forecast"]]
          period quarter  forecast
    0 2025-01-01  2025Q1      12.0
    1 2025-02-01  2025Q1      13.0
    2 2025-03-01  2025Q1      14.0
    """
    series = _check_series(series)
    name, est = _as_model(model)
    last = series.index[-1]
    next_q = last.to_period("Q") + 1
    q_start, q_end = next_q.start_time, next_q.end_time
    future = pd.date_range(last, q_end, freq=series.index.freq)[1:]
    in_quarter = future >= q_start
    steps = len(future)
    train_exog = None if exog is None else exog.loc[series.index]
    future_exog = None if exog is None else exog.loc[future]
    pred = est.fit(series, exog=train_exog).predict_interval(
        steps, coverage=coverage, exog=future_exog
    )
    out = pred.loc[in_quarter].rename_axis("period").reset_index()
    out.insert(1, "quarter", str(next_q))
    out["model"] = name
    return out


def actual_vs_projected(
    series: pd.Series,
    model="seasonal_naive",
    *,
    n_quarters: int = 4,
    exog: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For each of the last complete quarters, the forecast made at its start vs what happened.

    For quarter ``Q`` the model is fitted on the periods before ``Q``'s first
    period only and forecasts every period of ``Q``; ``projected`` is the sum of
    those forecasts and ``actual`` the sum of the actual values. A quarter is
    complete when the series covers all its periods (for weeks: every week
    whose Monday falls in the quarter).

    Returns
    -------
    pandas.DataFrame
        ``quarter``, ``projected``, ``actual``, ``error`` (``projected -
        actual``, positive = over-forecast), ``pct_error`` (``error /
        actual``, NaN when actual is 0), ``model``.

    Examples
    --------
    >>> idx = pd.date_range("2023-01-01", periods=24, freq="MS")
    >>> y = pd.Series(np.arange(24, dtype=float), index=idx)
    >>> actual_vs_projected(y, n_quarters=2)[["quarter", "projected", "actual", "error"]]
      quarter  projected  actual  error
    0  2024Q3       21.0    57.0  -36.0
    1  2024Q4       30.0    66.0  -36.0
    """
    series = _check_series(series)
    name, est = _as_model(model)
    quarters = series.index.to_period("Q")
    freq = series.index.freq
    complete = []
    for q in pd.unique(quarters):
        expected = pd.date_range(q.start_time, q.end_time.normalize(), freq=freq)
        expected = expected[expected >= q.start_time]
        if len(expected) and expected[0] >= series.index[0] and expected[-1] <= series.index[-1]:
            complete.append((q, expected))
    chosen = complete[-int(n_quarters) :] if n_quarters else complete
    if not chosen:
        raise ValueError("the series covers no complete quarter")
    rows = []
    for q, periods in chosen:
        origin = series.index.get_loc(periods[0])
        train = series.iloc[:origin]
        if len(train) == 0:
            raise ValueError(f"no history before {q} to project it from; lower n_quarters")
        train_exog = None if exog is None else exog.loc[train.index]
        future_exog = None if exog is None else exog.loc[periods]
        pred = clone(est).fit(train, exog=train_exog).predict(len(periods), exog=future_exog)
        projected = float(pred.sum())
        actual = float(series.loc[periods].sum())
        error = projected - actual
        rows.append(
            {
                "quarter": str(q),
                "projected": projected,
                "actual": actual,
                "error": error,
                "pct_error": error / actual if actual != 0 else np.nan,
                "model": name,
            }
        )
    return pd.DataFrame(rows)
