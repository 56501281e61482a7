"""The one-feature conversion baseline: historical rate of a column's level.

With ``DummyClassifier(strategy="prior")`` (everyone gets the training
conversion rate), :class:`RateBaseline` (the historical conversion rate of the
record's level of one column, e.g. its lead source) is what the models must beat.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from salesnb.models.conversion.features import DEFAULT_PLACEHOLDERS, PlaceholderToMissing

__all__ = ["RateBaseline"]


class RateBaseline(ClassifierMixin, BaseEstimator):
    """One-feature baseline: the historical conversion rate of the record's level.

    For level ``v`` of ``column``: ``p(v) = (conversions(v) + s * p0) / (n(v) + s)``
    with ``p0`` the overall training rate and ``s = smoothing`` (additive
    smoothing towards the overall rate, so a level seen twice does not get 0 or
    1). Missing and placeholder values form one level; levels unseen in
    training get ``p0``.

    Parameters
    ----------
    column : str, default "source"
    smoothing : float, default 10.0
    placeholders : sequence of str, default ("Select",)

    Attributes
    ----------
    rates_ : pandas.Series
        Smoothed rate per level (missing as ``"(missing)"``).
    prior_ : float
        Overall training rate ``p0``.
    features_ : list of str
        ``[column]``.
    classes_ : numpy.ndarray
        ``[False, True]``.

    Examples
    --------
    >>> X = pd.DataFrame({"source": ["web", "web", "event", "event"]})
    >>> y = pd.Series([True, True, False, True])
    >>> RateBaseline(smoothing=0).fit(X, y).predict_proba(X)[:, 1].tolist()
    [1.0, 1.0, 0.5, 0.5]
    """

    def __init__(
        self,
        column: str = "source",
        *,
        smoothing: float = 10.0,
        placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS,
    ):
        self.column = column
        self.smoothing = smoothing
        self.placeholders = placeholders

    def _levels(self, X: pd.DataFrame) -> pd.Series:
        if self.column not in X.columns:
            raise ValueError(
                f"RateBaseline needs column {self.column!r}; not in {list(X.columns)[:12]}"
            )
        values = PlaceholderToMissing(self.placeholders).fit_transform(X[[self.column]])[:, 0]
        return pd.Series(values, index=X.index, dtype=object).fillna("(missing)")

    def fit(self, X: pd.DataFrame, y) -> RateBaseline:
        """Learn the rate of each level. Returns ``self``."""
        y = np.asarray(y, dtype=bool)
        levels = self._levels(X)
        self.prior_ = float(y.mean())
        stats = (
            pd.DataFrame({"level": levels.to_numpy(), "y": y})
            .groupby("level")["y"]
            .agg(["sum", "count"])
        )
        s = float(self.smoothing)
        self.rates_ = ((stats["sum"] + s * self.prior_) / (stats["count"] + s)).rename("rate")
        self.features_ = [self.column]
        self.classes_ = np.array([False, True])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self._levels(X).map(self.rates_).fillna(self.prior_).to_numpy(dtype=float)
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.predict_proba(X)[:, 1] >= 0.5
