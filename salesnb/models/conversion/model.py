"""The conversion model: creation-time columns -> probability of converting or winning.

:class:`ConversionModel` (scikit-learn contract, seeded) is a ``Pipeline`` of a
``ColumnTransformer`` (numeric: median imputation plus missing indicators,
standard scaling; categorical: placeholder values such as ``"Select"`` turned
into missing, missing as its own level, ``OneHotEncoder(handle_unknown=
"infrequent_if_exist", min_frequency=...)``) and ``LogisticRegression``
(``model="logistic"``) or ``HistGradientBoostingClassifier`` (``"hgb"``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from threadpoolctl import threadpool_limits

from salesnb.models.conversion.features import (
    DEFAULT_PLACEHOLDERS,
    ID_COLUMNS,
    LEAKAGE_COLUMNS,
    PlaceholderToMissing,
    outcome_proxies,
    snake_case,
)

logger = logging.getLogger(__name__)

__all__ = ["ConversionModel"]


class ConversionModel(ClassifierMixin, BaseEstimator):
    """Probability that a lead converts / a deal is won, from creation-time columns.

    Parameters
    ----------
    model : {"logistic", "hgb"}, default "logistic"
        ``LogisticRegression(C, max_iter)`` or
        ``HistGradientBoostingClassifier(learning_rate, max_iter)``.
    features : list of str, optional
        Columns to use. None: every column except leaking columns
        (:data:`LEAKAGE_COLUMNS`), identifiers (:data:`ID_COLUMNS`), the
        ``exclude`` list, datetime columns and columns with at most one
        distinct non-missing value, and columns that are the outcome under another
        name (:func:`~salesnb.models.conversion.features.outcome_proxies`: the
        target's name, a copy or relabelling of it, a perfect predictor on the
        training data), which are left out with a ``UserWarning`` naming them.
        Naming a leaking column, or such an outcome column, raises ValueError.
    exclude : sequence of str, default ()
        More columns to leave out.
    placeholders : sequence of str, default ("Select",)
        Text values meaning "not filled in"; treated as missing.
    min_frequency : int or float, default 20
        Categorical levels with fewer training rows than this (a count; a float
        below 1 is a share of the rows) are merged into one "infrequent" level;
        unseen levels map to it. A count, not a share: 20 records are enough to
        estimate a level's own rate, and a rare level can be the strongest
        signal (a previous campaign's success: under 1 % of the leads, most of
        them convert) - a 1 % share merged it with unlike levels.
    max_categories : int or None, default 100
        At most this many columns per categorical feature (the most frequent
        levels, the rest as "infrequent"), so a column with thousands of
        levels on a large table does not blow up the encoded matrix.
    C : float, default 1.0
        Inverse L2 penalty of the logistic regression.
    max_iter : int, default 200
        Iterations (logistic solver) or boosting rounds (hgb).
    learning_rate : float, default 0.1
        hgb only.
    n_threads : int or None, default 1
        OpenMP/BLAS threads while fitting and predicting. One by default: on
        tables of thousands of rows thread start-up costs more than it saves,
        and on a shared machine extra threads slow everything down (measured:
        gradient boosting on the X Education leads fits in 2 s on one thread,
        17 s with default threads on a busy 2-core machine). None keeps the
        libraries' default.
    random_state : int, default 0

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
        Fitted preprocessing + classifier; its ``feature_names_in_`` are the
        input columns actually used.
    features_ : list of str
        Input columns used (numeric first, then categorical).
    numeric_features_, categorical_features_ : list of str
    excluded_ : dict
        Column -> reason it was left out.
    classes_ : numpy.ndarray
        ``[False, True]``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"lead_id": [f"L{i}" for i in range(200)],
    ...                   "source": rng.choice(["web", "event", "Select"], 200),
    ...                   "visits": rng.poisson(3, 200).astype(float),
    ...                   "converted_at": pd.NaT})
    >>> y = (X["visits"] + rng.normal(0, 2, 200) > 3).rename("converted")
    >>> model = ConversionModel().fit(X, y)
    >>> model.features_
    ['visits', 'source']
    >>> sorted(model.excluded_)
    ['converted_at', 'lead_id']
    """

    def __init__(
        self,
        model: str = "logistic",
        *,
        features: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
        placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS,
        min_frequency: float | int = 20,
        max_categories: int | None = 100,
        C: float = 1.0,
        max_iter: int = 200,
        learning_rate: float = 0.1,
        n_threads: int | None = 1,
        random_state: int = 0,
    ):
        self.model = model
        self.features = features
        self.exclude = exclude
        self.placeholders = placeholders
        self.min_frequency = min_frequency
        self.max_categories = max_categories
        self.C = C
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.n_threads = n_threads
        self.random_state = random_state

    # -- feature selection
    def _select(self, X: pd.DataFrame, y, outcome_name) -> tuple[list[str], dict[str, str]]:
        chosen, excluded = self._select_by_name(X)
        proxies = outcome_proxies(X, y, columns=chosen, outcome_name=outcome_name)
        if proxies and self.features is not None:
            reasons = "; ".join(f"{c!r}: {why}" for c, why in proxies.items())
            raise ValueError(f"feature column(s) are the outcome under another name - {reasons}")
        for c, why in proxies.items():
            warnings.warn(
                f"ConversionModel: column {c!r} is left out of the features - {why}. "
                "Drop it from the table (or pass features=...) to silence this warning.",
                UserWarning,
                stacklevel=3,
            )
            excluded[c] = why
        return [c for c in chosen if c not in proxies], excluded

    def _select_by_name(self, X: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
        excluded: dict[str, str] = {}
        exclude = {snake_case(c) for c in self.exclude}
        if self.features is not None:
            missing = [c for c in self.features if c not in X.columns]
            if missing:
                raise ValueError(f"feature column(s) {missing} are not in the table")
            leaking = [c for c in self.features if snake_case(c) in LEAKAGE_COLUMNS]
            if leaking:
                reasons = "; ".join(f"{c}: {LEAKAGE_COLUMNS[snake_case(c)]}" for c in leaking)
                raise ValueError(f"feature column(s) leak the outcome - {reasons}")
            chosen = list(self.features)
            excluded = {c: "not in features" for c in X.columns if c not in chosen}
            return chosen, excluded
        chosen = []
        for c in X.columns:
            key = snake_case(c)
            col = X[c]
            if key in LEAKAGE_COLUMNS:
                excluded[c] = "leaks the outcome: " + LEAKAGE_COLUMNS[key]
            elif key in ID_COLUMNS:
                excluded[c] = "identifier"
            elif key in exclude:
                excluded[c] = "excluded by the caller"
            elif pd.api.types.is_datetime64_any_dtype(col):
                excluded[c] = "date column (not used as a feature)"
            elif col.nunique(dropna=True) <= 1:
                excluded[c] = "at most one distinct value"
            else:
                chosen.append(c)
        return chosen, excluded

    @staticmethod
    def _is_numeric(col: pd.Series) -> bool:
        return pd.api.types.is_bool_dtype(col) or (
            pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype)
        )

    def _prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.features_ if c not in X.columns]
        if missing:
            raise ValueError(f"the table lacks feature column(s) {missing} used in fit")
        out = {}
        for c in self.numeric_features_:
            out[c] = X[c].astype("float64")
        for c in self.categorical_features_:
            out[c] = X[c].astype("object")
        return pd.DataFrame(out, index=X.index)[self.features_]

    def _build(self):
        from sklearn.compose import ColumnTransformer
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline, make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        if self.model == "logistic":
            clf = LogisticRegression(
                C=self.C, max_iter=self.max_iter, random_state=self.random_state
            )
        elif self.model == "hgb":
            clf = HistGradientBoostingClassifier(
                learning_rate=self.learning_rate,
                max_iter=self.max_iter,
                random_state=self.random_state,
            )
        else:
            raise ValueError(f"model must be 'logistic' or 'hgb'; got {self.model!r}")
        numeric = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
        )
        categorical = make_pipeline(
            PlaceholderToMissing(self.placeholders),
            SimpleImputer(strategy="constant", fill_value="(missing)"),
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=self.min_frequency,
                max_categories=self.max_categories,
                sparse_output=False,
            ),
        )
        transformers = []
        if self.numeric_features_:
            transformers.append(("numeric", numeric, self.numeric_features_))
        if self.categorical_features_:
            transformers.append(("categorical", categorical, self.categorical_features_))
        return Pipeline([("prepare", ColumnTransformer(transformers)), ("classifier", clf)])

    def fit(self, X: pd.DataFrame, y) -> ConversionModel:
        """Select features, build and fit the pipeline. Returns ``self``."""
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}")
        y_in, y = y, np.asarray(y, dtype=bool)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if y.all() or not y.any():
            raise ValueError(
                "the training data holds only one outcome; need converted and not converted"
            )
        features, excluded = self._select(X, y, getattr(y_in, "name", None))
        if not features:
            raise ValueError(f"no usable feature column; excluded: {excluded}")
        numeric = [c for c in features if self._is_numeric(X[c])]
        self.numeric_features_ = numeric
        self.categorical_features_ = [c for c in features if c not in numeric]
        self.features_ = numeric + self.categorical_features_
        self.excluded_ = excluded
        pipeline = self._build()
        with threadpool_limits(limits=self.n_threads):
            pipeline.fit(self._prepare(X), y)
        self.pipeline_ = pipeline
        self.classes_ = np.array([False, True])
        logger.info(
            "ConversionModel(%s): %d features, excluded %s", self.model, len(features), excluded
        )
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Columns: P(not converted), P(converted)."""
        with threadpool_limits(limits=self.n_threads):
            return self.pipeline_.predict_proba(self._prepare(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """``P(converted) >= 0.5``."""
        return self.predict_proba(X)[:, 1] >= 0.5
