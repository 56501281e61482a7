"""Forecasters by name: the standard model set and the reference baseline."""

from __future__ import annotations

from sklearn.base import BaseEstimator, clone

from salesnb.models.forecast.baselines import MovingAverage, SeasonalNaive
from salesnb.models.forecast.regressor import RecursiveRegressor

__all__ = ["make_model", "default_models", "model_label", "BASELINE", "MODEL_LABELS"]


#: Name of the reference baseline in :func:`default_models` and :func:`backtest`.
BASELINE = "seasonal_naive"

#: Plain-words names of the built-in models, for pages read by managers.
MODEL_LABELS: dict[str, str] = {
    "seasonal_naive": "seasonal naive (same period last year)",
    "moving_average": "moving average of the last 3 periods",
    "ridge": "linear regression on recent periods and the calendar",
    "hgb": "gradient boosting on recent periods and the calendar",
}


def model_label(name: str) -> str:
    """Plain-words name of a model: :data:`MODEL_LABELS`, else the name with spaces.

    >>> model_label("hgb"), model_label("my_forest")
    ('gradient boosting on recent periods and the calendar', 'my forest')
    """
    return MODEL_LABELS.get(str(name), str(name).replace("_", " "))


def make_model(name: str):
    """A fresh forecaster by name.

    ``"seasonal_naive"``, ``"moving_average"`` (window 3), ``"ridge"`` or
    ``"hgb"`` (:class:`RecursiveRegressor` with default settings).

    >>> make_model("moving_average")
    MovingAverage()
    """
    factories = {
        "seasonal_naive": SeasonalNaive,
        "moving_average": MovingAverage,
        "ridge": lambda: RecursiveRegressor("ridge"),
        "hgb": lambda: RecursiveRegressor("hgb"),
    }
    if name not in factories:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(factories)}")
    return factories[name]()


def default_models() -> dict[str, BaseEstimator]:
    """The standard model set: two baselines and two skforecast regressors.

    >>> list(default_models())
    ['seasonal_naive', 'moving_average', 'ridge', 'hgb']
    """
    return {name: make_model(name) for name in ("seasonal_naive", "moving_average", "ridge", "hgb")}


def _as_model(model) -> tuple[str, BaseEstimator]:
    if isinstance(model, str):
        return model, make_model(model)
    if not hasattr(model, "fit") or not hasattr(model, "predict_interval"):
        raise TypeError(
            f"expected a model name or a forecaster with fit/predict_interval; got {model!r}"
        )
    return type(model).__name__, clone(model)
