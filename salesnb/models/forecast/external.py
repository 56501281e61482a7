"""Forecasters an analyst brings: any scikit-learn regressor or skforecast forecaster.

:func:`as_forecaster` turns what an analyst passes in ``backtest(models={...})``
into a forecaster with the house contract (``fit(y, exog=None)``,
``predict(steps, exog=None)``, ``predict_interval(steps, coverage=, exog=)``):

* a forecaster of this package (or anything with ``fit`` and
  ``predict_interval``): used as it is;
* a scikit-learn regressor (``Ridge()``, ``RandomForestRegressor(...)``, a
  ``Pipeline``): wrapped in
  :class:`~salesnb.models.forecast.regressor.RecursiveRegressor`, i.e. the
  same lags, calendar features and honest conformal intervals as the built-in
  ``"ridge"`` and ``"hgb"``, so the comparison is fair;
* a skforecast forecaster (``ForecasterRecursive(...)``,
  ``ForecasterDirect(...)``): wrapped in :class:`SkforecastModel`, which uses
  it exactly as configured (its lags, its window features; only the ``exog``
  given to ``backtest`` is passed on).
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from salesnb.models.forecast.intervals import _interval_frame, _quantile_levels
from salesnb.models.forecast.regressor import RecursiveRegressor
from salesnb.models.forecast.series import _check_series, _future_index

logger = logging.getLogger(__name__)

__all__ = ["SkforecastModel", "as_forecaster"]


def _is_skforecast(model) -> bool:
    return type(model).__module__.startswith("skforecast.")


class SkforecastModel(BaseEstimator):
    """A skforecast forecaster behind the house forecaster contract.

    ``fit`` trains a deep copy of ``forecaster`` on the series (and ``exog``)
    with its in-sample residuals stored; ``predict_interval`` asks it for a
    split-conformal interval of nominal ``coverage`` from those residuals,
    unbinned. In-sample residuals understate the error of a flexible model,
    so these intervals tend to be narrow: the backtest's ``coverage`` column
    shows by how much.

    Parameters
    ----------
    forecaster : skforecast forecaster
        Unfitted, e.g. ``ForecasterRecursive(estimator=Ridge(), lags=12)``.

    Attributes
    ----------
    forecaster_ : the fitted copy.
    y_ : pandas.Series
        The training series (a copy).

    Examples
    --------
    >>> from skforecast.recursive import ForecasterRecursive
    >>> from sklearn.linear_model import Ridge
    >>> idx = pd.date_range("2022-01-01", periods=30, freq="MS")
    >>> y = pd.Series(100.0 + np.arange(30), index=idx)
    >>> model = SkforecastModel(ForecasterRecursive(estimator=Ridge(), lags=3)).fit(y)
    >>> model.predict(2).round(1).tolist()
    [130.0, 131.0]
    """

    def __init__(self, forecaster=None):
        self.forecaster = forecaster

    def fit(self, y: pd.Series, exog: pd.DataFrame | None = None) -> SkforecastModel:
        """Fit a copy of the forecaster on the series. Returns ``self``."""
        if self.forecaster is None or not _is_skforecast(self.forecaster):
            raise TypeError(f"expected a skforecast forecaster; got {self.forecaster!r}")
        y = _check_series(y)
        forecaster = copy.deepcopy(self.forecaster)
        forecaster.fit(y=y, exog=exog, store_in_sample_residuals=True, suppress_warnings=True)
        self.forecaster_ = forecaster
        self.y_ = y.copy()
        return self

    def predict(self, steps: int, *, exog: pd.DataFrame | None = None) -> pd.Series:
        """Point forecast of the next ``steps`` periods."""
        index = _future_index(self.y_.index, steps)
        pred = self.forecaster_.predict(steps=steps, exog=exog, suppress_warnings=True)
        return pd.Series(np.asarray(pred, float).ravel(), index=index, name="forecast")

    def predict_interval(
        self, steps: int, *, coverage: float = 0.8, exog: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Forecast with a split-conformal interval from in-sample residuals."""
        _quantile_levels(coverage)
        index = _future_index(self.y_.index, steps)
        out = self.forecaster_.predict_interval(
            steps=steps,
            exog=exog,
            method="conformal",
            interval=coverage,
            use_in_sample_residuals=True,
            use_binned_residuals=False,
            suppress_warnings=True,
        )
        return _interval_frame(
            index,
            out["pred"].to_numpy(),
            out["lower_bound"].to_numpy(),
            out["upper_bound"].to_numpy(),
        )


def as_forecaster(model) -> BaseEstimator:
    """The house forecaster for what an analyst passes (see the module docstring).

    Raises
    ------
    TypeError
        For anything that is neither a forecaster, a scikit-learn regressor
        nor a skforecast forecaster.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> as_forecaster(Ridge(alpha=2.0))
    RecursiveRegressor(estimator=Ridge(alpha=2.0))
    """
    if hasattr(model, "fit") and hasattr(model, "predict_interval") and not _is_skforecast(model):
        return model
    if _is_skforecast(model):
        return SkforecastModel(model)
    if hasattr(model, "fit") and hasattr(model, "predict"):
        return RecursiveRegressor(model)  # a scikit-learn regressor (or one shaped like it)
    raise TypeError(
        f"expected a forecaster, a scikit-learn regressor or a skforecast forecaster; got {model!r}"
    )


def model_parameters(model) -> str:
    """The model's class and parameters as one JSON text (for the experiment log).

    >>> model_parameters(RecursiveRegressor("ridge", alpha=2.0))[:62]
    '{"class": "RecursiveRegressor", "alpha": 2.0, "calendar": true'
    """
    import json

    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    plain = {}
    for key, value in sorted(params.items()):
        if value is None or isinstance(value, (bool, int, float, str)):
            plain[key] = value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
            plain[key] = list(value)
        else:
            plain[key] = repr(value)
    return json.dumps({"class": type(model).__name__, **plain})
