"""Machine-learning CLV: calibration-period features per customer and a holdout-spend regressor.

An alternative to the BG/NBD + Gamma-Gamma models: :func:`features` builds one
row of calibration-period features (and holdout targets) per customer, and
:class:`MLCustomerValue` predicts holdout spend from them.

Threads: the regressor's OpenMP/BLAS thread pools are limited with
``threadpoolctl`` (installed with scikit-learn) during ``fit`` and ``predict``,
one thread by default. Gradient boosting on a few thousand customers gains
little from more threads even on an idle machine, and when the cores are busy
(another notebook, another report job) OpenMP threads that wait for each other
make a fit 25 times slower.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from salesnb.models.clv._inputs import (
    _as_float_array,
    _daily_transactions,
    _day,
    _require_columns,
    _to_pandas,
)
from salesnb.models.clv.summary import HOLDOUT_COLUMNS, rfm_summary

__all__ = ["MLCustomerValue", "features"]


def features(
    transactions: Any,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    calibration_end: Any,
    holdout_end: Any = None,
    extra_cols: Sequence[str] = (),
    time_unit: str = "W",
) -> pd.DataFrame:
    """Calibration-period features per customer (and holdout targets) for ML CLV.

    Uses transactions up to ``calibration_end`` (inclusive) for features and
    ``(calibration_end, holdout_end]`` for targets. Purchases are aggregated
    per customer and day first, as in :func:`rfm_summary`; an "order" below
    is one such purchase day.

    To train honestly, shift the window back: build the training frame with
    ``calibration_end = cutoff - horizon`` and ``holdout_end = cutoff``, fit
    :class:`MLCustomerValue` on it, then predict from the frame built with
    ``calibration_end = cutoff``. This way no target overlaps the
    features it is predicted from.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    customer_col, date_col, amount_col : str
        Column names.
    calibration_end : date-like
        Last day of the feature window.
    holdout_end : date-like, optional
        Last day of the target window; without it there are no target columns.
    extra_cols : sequence of str, optional
        Categorical columns (e.g. channel, region). For each, the number of
        calibration transactions (rows) per category becomes a feature
        ``n_<col>_<value>``.
    time_unit : {"W", "D"}, default "W"
        Unit of the time features.

    Returns
    -------
    DataFrame
        Indexed by customer id, with ``frequency``, ``recency``, ``T``
        (tenure), ``monetary_value`` (as in :func:`rfm_summary`),
        ``n_orders``, ``total_spend``, ``first_order_value``,
        ``order_value_mean``, ``order_value_max``, ``order_value_std``
        (population std, 0 for one order), ``time_since_last`` (``T -
        recency``), ``mean_interpurchase_time`` (``recency / frequency``, NaN
        for one-time buyers; HistGradientBoosting handles NaN), the
        ``extra_cols`` counts and, with ``holdout_end``, the targets
        ``frequency_holdout``, ``monetary_value_holdout``,
        ``spend_holdout`` and ``duration_holdout``.

    Raises
    ------
    ValueError
        If a column is missing or ``holdout_end`` is before ``calibration_end``.

    Examples
    --------
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-20",
    ...                                   "2024-01-08"]),
    ...     "amount": [10.0, 20.0, 30.0, 7.0],
    ...     "channel": ["web", "shop", "web", "web"],
    ... })
    >>> f = features(tx, customer_col="customer_id", date_col="ordered_at", amount_col="amount",
    ...              calibration_end="2024-01-15", holdout_end="2024-01-29",
    ...              extra_cols=["channel"], time_unit="D")
    >>> f[["n_orders", "order_value_max", "n_channel_shop", "spend_holdout"]]
                 n_orders  order_value_max  n_channel_shop  spend_holdout
    customer_id
    a                   2             20.0               1           30.0
    b                   1              7.0               0            0.0
    """
    extra_cols = list(extra_cols)
    work = _daily_transactions(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        extra_cols=extra_cols,
    )
    cal_end = _day(calibration_end, like=work["date"], name="calibration_end")
    obs_end = (
        cal_end if holdout_end is None else _day(holdout_end, like=work["date"], name="holdout_end")
    )
    summary = rfm_summary(
        work,
        customer_col="customer",
        date_col="date",
        amount_col="amount",
        observation_end=obs_end,
        calibration_end=None if holdout_end is None else cal_end,
        time_unit=time_unit,
    )
    cal = work.loc[work["date"] <= cal_end]
    orders = cal.groupby(["customer", "date"], sort=True, observed=True)["amount"].sum()
    by_customer = orders.groupby(level="customer", sort=True, observed=True)
    out = summary[["frequency", "recency", "T", "monetary_value"]].copy()
    out["n_orders"] = out["frequency"] + 1
    out["total_spend"] = by_customer.sum()
    out["first_order_value"] = by_customer.first()
    out["order_value_mean"] = by_customer.mean()
    out["order_value_max"] = by_customer.max()
    out["order_value_std"] = by_customer.std(ddof=0)
    out["time_since_last"] = out["T"] - out["recency"]
    out["mean_interpurchase_time"] = out["recency"] / out["frequency"].where(out["frequency"] > 0)
    for col in extra_cols:
        counts = (
            cal.groupby(["customer", col], sort=True, observed=True)
            .size()
            .unstack(fill_value=0)
            .reindex(out.index, fill_value=0)
        )
        counts.columns = [f"n_{col}_{value}" for value in counts.columns]
        out = out.join(counts.astype("int64"))
    if holdout_end is not None:
        out = out.join(summary[list(HOLDOUT_COLUMNS)])
    out.index.name = customer_col
    out.attrs = dict(summary.attrs)
    return out


class MLCustomerValue(RegressorMixin, BaseEstimator):
    """Machine-learning CLV: predict holdout spend from :func:`features`.

    A thin scikit-learn-contract wrapper. It learns the holdout target per
    unit of time (``target / duration_holdout``) with a regressor and predicts
    ``rate * duration``, so a model trained on one window length can forecast
    another. That assumes a stationary rate, which churn makes optimistic for
    longer horizons. Train on a time-shifted window (see :func:`features`).

    Parameters
    ----------
    estimator : scikit-learn regressor, optional
        Default ``HistGradientBoostingRegressor(loss="poisson",
        random_state=random_state)``, which handles NaN features and keeps
        predictions non-negative. Any regressor works; it is cloned in ``fit``.
    target : str, default "spend_holdout"
        Target column of the features frame (``"frequency_holdout"`` to
        predict purchases).
    random_state : int, default 0
        Seed of the default estimator.
    n_threads : int or None, default 1
        Threads the estimator may use: its OpenMP and BLAS thread pools are
        limited to ``n_threads`` (``threadpoolctl.threadpool_limits``) while
        it fits and predicts, and an ``n_jobs`` parameter left at ``None`` is
        set to it. One thread is the fastest on a shared machine and never
        exceeds the per-job cap of the report runner (``OMP_NUM_THREADS``).
        ``None`` leaves the libraries' own defaults (all cores unless
        ``OMP_NUM_THREADS`` says otherwise).

    Attributes
    ----------
    estimator_ : regressor
        The fitted clone.
    feature_names_in_ : ndarray of str
        Feature columns used (all columns except :data:`HOLDOUT_COLUMNS`).
    duration_ : float
        Mean training window length, used when ``predict`` is given none.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"frequency": rng.integers(0, 5, 200),
    ...                   "monetary_value": rng.gamma(2.0, 10.0, 200)})
    >>> X["duration_holdout"] = 13.0
    >>> X["spend_holdout"] = X["frequency"] * X["monetary_value"] * rng.uniform(0.5, 1.5, 200)
    >>> model = MLCustomerValue().fit(X)
    >>> pred = model.predict(X)
    >>> bool((pred >= 0).all()), pred.name
    (True, 'spend_holdout')
    """

    def __init__(
        self,
        estimator: Any = None,
        *,
        target: str = "spend_holdout",
        random_state: int = 0,
        n_threads: int | None = 1,
    ) -> None:
        self.estimator = estimator
        self.target = target
        self.random_state = random_state
        self.n_threads = n_threads

    def _thread_limit(self) -> int | None:
        n = self.n_threads
        if n is None:
            return None
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n_threads must be a positive whole number or None, got {n!r}")
        return int(n)

    def _default_estimator(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(loss="poisson", random_state=self.random_state)

    def fit(self, X: pd.DataFrame, y: Any = None) -> MLCustomerValue:
        """Fit on a :func:`features` frame built with ``holdout_end``.

        Parameters
        ----------
        X : DataFrame
            Features plus ``duration_holdout`` (and ``target`` if ``y`` is None).
        y : array-like, optional
            Holdout totals over ``X["duration_holdout"]``; default ``X[target]``.

        Returns
        -------
        MLCustomerValue
            ``self``, fitted.

        Raises
        ------
        ValueError
            If ``duration_holdout`` (or the target) is missing, or ``n_threads``
            is not a positive whole number or None.
        """
        threads = self._thread_limit()
        X = _to_pandas(X, name="X")
        needed = ["duration_holdout"] + ([self.target] if y is None else [])
        _require_columns(X, needed, name="X")
        y = X[self.target] if y is None else y
        duration = X["duration_holdout"].to_numpy(dtype="float64")
        if (duration <= 0).any():
            raise ValueError("X['duration_holdout'] must be positive")
        rate = _as_float_array(y) / duration
        feature_names = [c for c in X.columns if c not in HOLDOUT_COLUMNS and c != self.target]
        estimator = (
            clone(self.estimator) if self.estimator is not None else self._default_estimator()
        )
        if threads is not None and estimator.get_params().get("n_jobs", 0) is None:
            estimator.set_params(n_jobs=threads)
        with threadpool_limits(limits=threads):
            estimator.fit(X[feature_names], rate)
        self.estimator_ = estimator
        self.feature_names_in_ = np.asarray(feature_names, dtype=object)
        self.n_features_in_ = len(feature_names)
        self.duration_ = float(duration.mean())
        return self

    def predict(self, X: pd.DataFrame, *, duration: Any = None) -> pd.Series:
        """Predicted holdout total (``rate * duration``), clipped at 0.

        Parameters
        ----------
        X : DataFrame
            A :func:`features` frame. Category-count columns (``n_...``) seen
            in ``fit`` but missing here (a category absent from this window)
            are 0; new columns are ignored.
        duration : float or array-like, optional
            Horizon length; default ``X["duration_holdout"]`` if present, else
            the training window length.

        Returns
        -------
        Series
            Named after ``target``, indexed like ``X``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ValueError
            If a feature column other than a category count is missing.
        """
        check_is_fitted(
            self,
            "estimator_",
            msg="This MLCustomerValue model is not fitted yet: call fit(X) before predict.",
        )
        X = _to_pandas(X, name="X")
        if duration is None:
            duration = (
                X["duration_holdout"].to_numpy(dtype="float64")
                if "duration_holdout" in X
                else self.duration_
            )
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        not_counts = [c for c in missing if not str(c).startswith("n_")]
        if not_counts:
            raise ValueError(f"X is missing feature column(s) {not_counts} seen in fit")
        Xf = X.reindex(columns=list(self.feature_names_in_), fill_value=0)
        with threadpool_limits(limits=self._thread_limit()):
            rate = np.asarray(self.estimator_.predict(Xf), dtype="float64")
        values = np.clip(rate * _as_float_array(duration), 0.0, None)
        return pd.Series(values, index=X.index, name=self.target)
