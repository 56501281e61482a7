"""Forecasts that add up: revenue by region (or channel) reconciled with the company total.

The hierarchy has two levels: the company total and its groups (regions, or
channels), with ``total = sum(groups)`` in every period. Base forecasts of
each series (made independently) do not add up; a reconciled forecast
``y~ = S G y^`` does, for

* ``"bottom_up"``: the groups' base forecasts, summed for the total;
* ``"wls_struct"``: weighted least squares with structural scaling,
  ``W = diag(S 1)`` (the total weighs as many groups as it sums);
* ``"wls_var"`` (default): weighted least squares with variance scaling,
  ``W = diag(v)``, ``v`` the variance of each series' seasonal-naive errors
  ``y[t] - y[t-m]`` in the training data (period-to-period changes when it is
  not longer than a season), known at every origin without peeking;

where ``S`` is the summing matrix (a row of ones over the identity) and
``G = (S' W^-1 S)^-1 S' W^-1`` (Wickramasuriya, Athanasopoulos & Hyndman,
2019, "Optimal forecast reconciliation", JASA; Hyndman & Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., 11.3). Seasonal naive is
coherent by itself (its group forecasts sum to its total forecast), so it is
the fall-back of :func:`choose_reconciliation` as for the total.

Why hand-written: Nixtla ``hierarchicalforecast`` 1.5.3 is the maintained
library for this, but for a two-level hierarchy the reconciliation is the one
matrix formula above (a dozen lines of numpy), while the library would add
four packages (hierarchicalforecast, utilsforecast, qpsolvers and the
clarabel solver) to every install, expects its own long-format frames and
forecasting stack, and its support of pandas 3 could not be checked here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from salesnb.models.forecast.external import as_forecaster
from salesnb.models.forecast.metrics import forecast_metrics
from salesnb.models.forecast.registry import BASELINE, make_model
from salesnb.models.forecast.series import (
    _check_series,
    _future_index,
    _season_length,
    forecast_horizon,
)

__all__ = [
    "RECONCILIATION_METHODS",
    "summing_matrix",
    "reconcile",
    "hierarchy_frame",
    "forecast_hierarchy",
    "backtest_hierarchy",
    "choose_reconciliation",
]

TOTAL = "total"
RECONCILIATION_METHODS = ("bottom_up", "wls_struct", "wls_var")


def summing_matrix(n_groups: int) -> np.ndarray:
    """``S``: the total (first row, all ones) over the identity of the groups.

    >>> summing_matrix(2)
    array([[1., 1.],
           [1., 0.],
           [0., 1.]])
    """
    return np.vstack([np.ones((1, n_groups)), np.eye(n_groups)])


def _error_variances(frame: pd.DataFrame) -> np.ndarray:
    """Variance of each column's seasonal-naive (or lag-1) errors; tiny floor against 0."""
    values = frame.to_numpy(dtype=float)
    m = _season_length(frame.index)
    lag = m if len(values) > m + 1 else 1
    diffs = values[lag:] - values[:-lag]
    if len(diffs) < 2:
        return np.ones(values.shape[1])
    var = diffs.var(axis=0, ddof=1)
    floor = max(float(np.nanmax(var)), 1.0) * 1e-9
    return np.maximum(np.nan_to_num(var, nan=floor), floor)


def reconcile(base: pd.DataFrame, *, method: str = "wls_var", variances=None) -> pd.DataFrame:
    """Reconcile base forecasts so the groups sum to the total in every period.

    Parameters
    ----------
    base : pandas.DataFrame
        One row per period; the first column is the total, the others the groups.
    method : {"bottom_up", "wls_struct", "wls_var"}
        See the module docstring.
    variances : array of len(columns), optional
        Error variance of each column for ``"wls_var"`` (required then).

    Returns
    -------
    pandas.DataFrame
        Same shape and labels; ``total == sum(groups)`` row by row.

    Raises
    ------
    ValueError
        An unknown method, fewer than two columns, or ``"wls_var"`` without variances.

    Examples
    --------
    >>> base = pd.DataFrame({"total": [100.0], "East": [70.0], "West": [40.0]})
    >>> reconcile(base, method="bottom_up").iloc[0].tolist()
    [110.0, 70.0, 40.0]
    >>> reconcile(base, method="wls_struct").round(3).iloc[0].tolist()  # W = diag(2, 1, 1)
    [105.0, 67.5, 37.5]
    """
    if method not in RECONCILIATION_METHODS:
        raise ValueError(f"method must be one of {RECONCILIATION_METHODS}; got {method!r}")
    if base.shape[1] < 2:
        raise ValueError("reconcile needs the total and at least one group")
    k = base.shape[1] - 1
    y_hat = base.to_numpy(dtype=float)
    s = summing_matrix(k)
    if method == "bottom_up":
        g = np.hstack([np.zeros((k, 1)), np.eye(k)])
    else:
        if method == "wls_struct":
            w = s.sum(axis=1)
        elif variances is None:
            raise ValueError("method 'wls_var' needs the error variances of the series")
        else:
            w = np.asarray(variances, dtype=float)
        w_inv = np.diag(1.0 / w)
        g = np.linalg.solve(s.T @ w_inv @ s, s.T @ w_inv)
    out = y_hat @ (s @ g).T
    return pd.DataFrame(out, index=base.index, columns=base.columns)


def hierarchy_frame(wide: pd.DataFrame) -> pd.DataFrame:
    """The total (first column, ``"total"``) next to the groups of a ``revenue_series(by=...)`` frame.

    >>> idx = pd.date_range("2024-01-01", periods=2, freq="MS", name="period")
    >>> hierarchy_frame(pd.DataFrame({"East": [1.0, 2.0], "West": [3.0, 4.0]}, index=idx))
                total  East  West
    period
    2024-01-01    4.0   1.0   3.0
    2024-02-01    6.0   2.0   4.0
    """
    if TOTAL in wide.columns:
        raise ValueError(f"a group may not be called {TOTAL!r}")
    out = wide.astype(float).copy()
    out.insert(0, TOTAL, out.sum(axis=1))
    return out


def _base_forecasts(frame, models, steps, coverage=None) -> tuple[pd.DataFrame, dict]:
    """Point forecasts of every column and, with ``coverage``, interval offsets per column."""
    points, spread = {}, {}
    for column in frame.columns:
        model = models[column] if isinstance(models, dict) else models
        est = make_model(model) if isinstance(model, str) else clone(as_forecaster(model))
        if coverage is None and "residuals" in est.get_params():
            est.set_params(residuals="in_sample")  # points only: skip the calibration fit
        fitted = est.fit(_check_series(frame[column].rename(column)))
        if coverage is None:
            points[column] = fitted.predict(steps).to_numpy()
            continue
        pred = fitted.predict_interval(steps, coverage=coverage)
        points[column] = pred["forecast"].to_numpy()
        spread[column] = (
            (pred["forecast"] - pred["lower"]).to_numpy(),
            (pred["upper"] - pred["forecast"]).to_numpy(),
        )
    return pd.DataFrame(points, index=_future_index(frame.index, steps)), spread


def forecast_hierarchy(
    frame: pd.DataFrame,
    model="seasonal_naive",
    *,
    method: str = "wls_var",
    steps: int | None = None,
    coverage: float = 0.8,
) -> pd.DataFrame:
    """Forecast the total and every group, then reconcile so they add up.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`hierarchy_frame` output (total first).
    model : str, forecaster, or dict column -> model
        Base model of every series (a name for :func:`make_model`, a
        forecaster, a regressor), or one per column.
    method : {"bottom_up", "wls_struct", "wls_var"} or "base"
        Reconciliation (``"base"``: none, the forecasts need not add up).
    steps : int, optional
        Periods ahead; :func:`forecast_horizon` of the total when None.
    coverage : float, default 0.8

    Returns
    -------
    pandas.DataFrame
        ``period``, ``series``, ``base``, ``forecast`` (reconciled),
        ``lower``, ``upper``. The interval is the base model's interval moved
        by the reconciliation's adjustment (``forecast - base``); it is not
        itself reconciled. Floored at 0 like every interval.

    Examples
    --------
    >>> idx = pd.date_range("2023-01-01", periods=24, freq="MS", name="period")
    >>> wide = pd.DataFrame({"East": np.arange(24.0), "West": 10.0}, index=idx)
    >>> out = forecast_hierarchy(hierarchy_frame(wide), method="bottom_up", steps=1)
    >>> out[["series", "forecast"]]
      series  forecast
    0  total      22.0
    1   East      12.0
    2   West      10.0
    """
    steps = forecast_horizon(frame[TOTAL]) if steps is None else int(steps)
    base, spread = _base_forecasts(frame, model, steps, coverage)
    if method == "base":
        rec = base
    else:
        variances = _error_variances(frame) if method == "wls_var" else None
        rec = reconcile(base, method=method, variances=variances)
    rows = []
    for column in frame.columns:
        point = rec[column].to_numpy()
        low, high = spread[column]
        lower, upper = point - low, point + high  # base interval moved by the adjustment
        rows.append(
            pd.DataFrame(
                {
                    "period": rec.index,
                    "series": column,
                    "base": base[column].to_numpy(),
                    "forecast": point,
                    "lower": np.minimum(np.maximum(lower, 0.0), point),
                    "upper": np.maximum(upper, point),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["period"], kind="stable").reset_index(drop=True)


def backtest_hierarchy(
    frame: pd.DataFrame,
    model="seasonal_naive",
    *,
    horizon: int | str = "next_quarter",
    test_periods: int = 12,
    min_folds: int = 3,
    methods=RECONCILIATION_METHODS,
) -> pd.DataFrame:
    """Rolling-origin backtest of base and reconciled forecasts, with seasonal naive.

    At each origin (full-horizon folds, ``horizon`` periods apart, over the
    last ``max(test_periods, min_folds * horizon)`` periods) the base model is
    fitted on each series' history only, its forecasts are reconciled with
    every method (variances from the training data only), and seasonal naive
    is forecast too. Points are never intervals here: the cost is one fit per
    series and origin.

    Returns
    -------
    pandas.DataFrame
        One row per ``method`` (``"base"``, the methods, ``"seasonal_naive"``)
        and ``series`` (``"total"``, each group, and ``"all groups"``: the
        groups' points pooled): ``points``, ``mae``, ``wape``, ``bias_pct``,
        ``wape_vs_baseline`` (WAPE / seasonal-naive WAPE of the same series),
        ``horizon``.

    Examples
    --------
    >>> idx = pd.date_range("2021-01-01", periods=36, freq="MS", name="period")
    >>> wide = pd.DataFrame({"East": 10.0 + np.arange(36), "West": 5.0}, index=idx)
    >>> bt = backtest_hierarchy(hierarchy_frame(wide), "moving_average", methods=["bottom_up"])
    >>> bt[bt["series"] == "total"][["method", "points", "wape"]].round(3)
               method  points   wape
    0            base      12  0.067
    4       bottom_up      12  0.067
    8  seasonal_naive      12  0.270
    """
    n = len(frame)
    h = forecast_horizon(frame[TOTAL]) if isinstance(horizon, str) else int(horizon)
    held_out = min(max(int(test_periods), int(min_folds) * h), n - 1)
    origins = range(n - held_out, n - h + 1, h)
    if len(origins) == 0:
        raise ValueError(f"no origin with a full {h}-period horizon in the last {held_out} periods")
    records = []
    for origin in origins:
        train = frame.iloc[:origin]
        actual = frame.iloc[origin : origin + h].to_numpy()
        base, _ = _base_forecasts(train, model, h)
        naive, _ = _base_forecasts(train, BASELINE, h)
        variances = _error_variances(train)
        forecasts = {"base": base, BASELINE: naive}
        for method in methods:
            forecasts[method] = reconcile(base, method=method, variances=variances)
        for method, values in forecasts.items():
            for j, column in enumerate(frame.columns):
                records.append((method, column, actual[:, j], values[column].to_numpy()))
    return _hierarchy_metrics(records, list(frame.columns), ["base", *methods, BASELINE], h)


def _hierarchy_metrics(records, columns, methods, horizon) -> pd.DataFrame:
    pooled = {}
    for method, column, actual, forecast in records:
        pooled.setdefault((method, column), []).append((actual, forecast))
        if column != TOTAL:
            pooled.setdefault((method, "all groups"), []).append((actual, forecast))
    rows = []
    for method in methods:
        for column in [*columns, "all groups"]:
            parts = pooled[(method, column)]
            actual = np.concatenate([a for a, _ in parts])
            forecast = np.concatenate([f for _, f in parts])
            m = forecast_metrics(actual, forecast)
            rows.append(
                {
                    "method": method,
                    "series": column,
                    "points": len(actual),
                    "mae": m["mae"],
                    "wape": m["wape"],
                    "bias_pct": m["bias_pct"],
                }
            )
    out = pd.DataFrame(rows)
    ref = out[out["method"] == BASELINE].set_index("series")["wape"]
    out["wape_vs_baseline"] = out["wape"] / out["series"].map(ref)
    out["horizon"] = horizon
    return out


def choose_reconciliation(
    table: pd.DataFrame, *, margin: float = 0.05, series: str = "all groups"
) -> str:
    """The reconciliation method with the lowest WAPE on ``series``, or seasonal naive.

    Same rule as :func:`select_model`: among the reconciliation methods of a
    :func:`backtest_hierarchy` table (``"base"`` is not a candidate: it does
    not add up), keep the best only when its WAPE is at least ``margin``
    below seasonal naive's on the groups pooled; otherwise
    ``"seasonal_naive"`` (coherent by itself).

    >>> t = pd.DataFrame({"method": ["base", "wls_var", "seasonal_naive"],
    ...                   "series": ["all groups"] * 3, "wape": [0.10, 0.118, 0.12]})
    >>> choose_reconciliation(t), choose_reconciliation(t.assign(wape=[0.1, 0.08, 0.12]))
    ('seasonal_naive', 'wls_var')
    """
    rows = table[table["series"] == series].set_index("method")["wape"].astype(float)
    ref = rows.get(BASELINE, np.nan)
    candidates = rows.drop([BASELINE, "base"], errors="ignore").dropna()
    if candidates.empty or np.isnan(ref):
        return BASELINE
    best = str(candidates.idxmin())
    return best if candidates[best] <= (1 - margin) * ref else BASELINE
