"""Conversion scoring: will a lead convert, will an open deal be won?

Targets
-------
* leads: ``converted`` (or, when that column is absent, ``converted_at`` is
  set); every lead is a training row. Recent leads may still convert later, so
  a time-ordered test set slightly understates the conversion rate of its
  newest leads.
* opportunities: ``status == "won"`` among closed deals (won or lost); open
  deals are what :func:`score` scores.

Features are the columns known when the record is created. Columns that would
leak the outcome are removed by name (:data:`LEAKAGE_COLUMNS`, matched after
:func:`snake_case`, so ``"Lead Quality"`` and ``lead_quality`` are both
caught), as are identifiers (:data:`ID_COLUMNS`), dates (datetime columns) and
columns with a single value.

Models (scikit-learn contract, seeded)
--------------------------------------
* :class:`ConversionModel` - a ``Pipeline`` of a ``ColumnTransformer``
  (numeric: median imputation plus missing indicators, standard scaling;
  categorical: placeholder values such as ``"Select"`` turned into missing,
  missing as its own level, ``OneHotEncoder(handle_unknown=
  "infrequent_if_exist", min_frequency=...)``) and ``LogisticRegression``
  (``model="logistic"``) or ``HistGradientBoostingClassifier`` (``"hgb"``).
* baselines: ``DummyClassifier(strategy="prior")`` (everyone gets the
  training conversion rate) and :class:`RateBaseline` (the historical
  conversion rate of the record's level of one column, e.g. its lead source).

Evaluation is out of time: :func:`time_split` trains on the earlier records
and tests on the later ones (by ``created_at``; by ``lead_number`` or row
order when there is no date, as in the X Education export).
:func:`evaluate_conversion` reports every model next to the baselines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from threadpoolctl import threadpool_limits

logger = logging.getLogger(__name__)

__all__ = [
    "LEAKAGE_COLUMNS",
    "ID_COLUMNS",
    "DEFAULT_PLACEHOLDERS",
    "snake_case",
    "training_data",
    "time_split",
    "PlaceholderToMissing",
    "RateBaseline",
    "ConversionModel",
    "gains_table",
    "calibration_table",
    "ConversionEvaluation",
    "evaluate_classifiers",
    "evaluate_conversion",
    "score",
    "PipelineProbability",
    "pipeline_win_probability",
]

#: Columns never used as features because they are recorded after (or because
#: of) the outcome. Keys are snake_case names; values say why.
LEAKAGE_COLUMNS: dict[str, str] = {
    # --- the outcome itself -------------------------------------------------
    "converted": "the lead target itself",
    "converted_at": "set when the lead converts: the outcome itself",
    "won": "the deal target itself",
    "status": "open / won / lost: the deal outcome",
    "closed_at": "set when the deal is won or lost",
    "lost_reason": "only filled in for lost deals",
    "customer_id": (
        "leads: filled in when the lead becomes a customer, i.e. on conversion; "
        "opportunities: an account identifier without generalisable signal"
    ),
    # --- updated while the record progresses ---------------------------------
    "stage": (
        "the furthest stage reached: a won deal always reached the last stage, so on "
        "closed deals it encodes the outcome; at creation every deal is at the first stage"
    ),
    "stage_changed_at": "moves with the stage until the deal closes",
    "last_activity_at": "updated until the record is closed or exported",
    "expected_close_date": (
        "revised as the deal progresses and commonly overwritten with the real close "
        "date when it closes"
    ),
    # --- X Education export: filled in by the sales team after contact --------
    "tags": (
        "free tags the sales team sets after talking to the lead ('Will revert after "
        "reading the email', 'Closed by Horizzon', 'Lost to EINS'): a log of the outcome"
    ),
    "lead_quality": "the rep's judgement of the lead after calling it",
    "last_activity": "last activity at export time, i.e. after the conversion for converted leads",
    "last_notable_activity": "as last_activity, for 'notable' activities",
    "lead_profile": (
        "assigned by the sales team after interaction ('Potential Lead', 'Student of SomeSchool')"
    ),
    "asymmetrique_activity_index": (
        "X Education's activity score, computed from the lead's later activity "
        "(missing for 46% of leads)"
    ),
    "asymmetrique_profile_index": "X Education's profile score, assigned after contact",
    "asymmetrique_activity_score": "numeric form of asymmetrique_activity_index",
    "asymmetrique_profile_score": "numeric form of asymmetrique_profile_index",
    "i_agree_to_pay_the_amount_through_cheque": (
        "a payment agreement is part of enrolling, i.e. of converting (constant 'No' in "
        "the export anyway)"
    ),
}
# Kept on purpose (known at sign-up, or mostly accumulated before converting):
# lead origin and source, the sign-up form answers (occupation, specialization,
# city, country, 'How did you hear...', 'What matters most...'), do-not-email /
# do-not-call, the free-copy flag, and the website counters (TotalVisits, Total
# Time Spent on Website, Page Views Per Visit). The counters are totals at export
# time; visits after enrolling would leak a little, but a prospect browses the
# course site before paying for it, so they are treated as pre-conversion
# behaviour. Opportunity ``amount``, ``product`` and ``rep_id`` are set when the
# deal is opened.
# Caveat, measured on X Education: 'What matters most...' and the occupation
# answer are missing for the same ~2,700 leads whose sales-team 'Lead Profile' is
# missing, and those leads convert at 14 % against 49 %. The data dictionary calls
# both customer-selected form options, so they stay, but their missingness may
# partly record that the sales team never worked the lead.

#: Identifier columns: unique per record, never features. ``lead_number`` is
#: X Education's sequential lead number: it orders the leads in time (the export
#: has no dates), so it serves :func:`time_split` and is not a feature - in an
#: out-of-time test set every value lies beyond the training range.
ID_COLUMNS: tuple[str, ...] = ("lead_id", "opportunity_id", "prospect_id", "lead_number")

#: Form placeholders meaning "not chosen"; treated as missing.
DEFAULT_PLACEHOLDERS: tuple[str, ...] = ("Select",)

_KINDS = ("leads", "opportunities")
_ID_OF = {"leads": "lead_id", "opportunities": "opportunity_id"}


def snake_case(name: str) -> str:
    """Column name in snake_case: lower case, runs of other characters as ``_``.

    >>> snake_case("Total Time Spent on Website")
    'total_time_spent_on_website'
    >>> snake_case("Prospect ID")
    'prospect_id'
    """
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def _kind(table: pd.DataFrame, kind: str | None) -> str:
    if kind is not None:
        if kind not in _KINDS:
            raise ValueError(f"kind must be 'leads' or 'opportunities'; got {kind!r}")
        return kind
    if "opportunity_id" in table.columns:
        return "opportunities"
    if "lead_id" in table.columns:
        return "leads"
    raise ValueError(
        "cannot tell leads from opportunities: expected a lead_id or opportunity_id column "
        f"(or kind=...); the table has {list(table.columns)[:12]}"
    )


def _leads_target(table: pd.DataFrame) -> pd.Series:
    if "converted" in table.columns:
        flag = table["converted"]
        if flag.isna().any():
            raise ValueError(f"leads.converted has {int(flag.isna().sum())} missing value(s)")
        return flag.astype(bool)
    if "converted_at" in table.columns:
        return table["converted_at"].notna()
    raise ValueError("leads need a 'converted' or 'converted_at' column to know the outcome")


def training_data(
    table: pd.DataFrame, *, kind: str | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Rows with a known outcome and the outcome as a bool Series.

    Leads: every row, target ``converted`` (or ``converted_at`` not null).
    Opportunities: closed deals (status won or lost), target ``status == "won"``.
    ``X`` still holds every column; the models drop leaking ones themselves.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c"], "status": ["won", "open", "lost"]})
    >>> X, y = training_data(opps)
    >>> y.tolist()
    [True, False]
    """
    kind = _kind(table, kind)
    if kind == "leads":
        y = _leads_target(table)
        return table.copy(), y.rename("converted")
    if "status" not in table.columns:
        raise ValueError("opportunities need a 'status' column (open / won / lost)")
    status = table["status"].astype("object")
    closed = status.isin(["won", "lost"])
    return table.loc[closed].copy(), status[closed].eq("won").rename("won")


def _order_key(X: pd.DataFrame, order_by: str | None) -> tuple[str, pd.Series]:
    if order_by is None:
        if "created_at" in X.columns and X["created_at"].notna().any():
            order_by = "created_at"
        elif "lead_number" in X.columns:
            order_by = "lead_number"
        else:
            order_by = "row"
    if order_by == "row":
        return "row", pd.Series(np.arange(len(X)), index=X.index)
    if order_by not in X.columns:
        raise ValueError(f"order_by column {order_by!r} is not in the table")
    key = X[order_by]
    if key.isna().any():
        raise ValueError(
            f"{int(key.isna().sum())} record(s) have no {order_by}; they cannot be placed in time"
        )
    return order_by, key


def time_split(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    test_size: float = 0.25,
    order_by: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Out-of-time split: train on the earlier records, test on the later ones.

    Records are ordered by ``order_by``: by default ``created_at`` when it is
    present and filled, else ``lead_number`` (X Education numbers its leads
    sequentially and has no dates), else ``"row"`` - the row order of the
    table. The cut is the order value of the record at position
    ``floor(n * (1 - test_size))``: records strictly before it train, records at
    or after it test, so no test record is older than a training record (ties
    go to the test side).

    Returns
    -------
    X_train, X_test, y_train, y_test

    Examples
    --------
    >>> X = pd.DataFrame({"created_at": pd.to_datetime(["2024-03-01", "2024-01-01",
    ...                                                  "2024-02-01", "2024-04-01"])})
    >>> y = pd.Series([True, False, True, False])
    >>> X_train, X_test, y_train, y_test = time_split(X, y, test_size=0.5)
    >>> X_train["created_at"].dt.month.tolist(), X_test["created_at"].dt.month.tolist()
    ([1, 2], [3, 4])
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1; got {test_size!r}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    name, key = _order_key(X, order_by)
    order = np.argsort(key.to_numpy(), kind="mergesort")
    cut_pos = int(np.floor(len(X) * (1 - test_size)))
    if not 0 < cut_pos < len(X):
        raise ValueError(f"{len(X)} records are too few to split with test_size={test_size}")
    cutoff = key.to_numpy()[order][cut_pos]
    is_test = (key >= cutoff).to_numpy()
    if is_test.all():
        raise ValueError(f"every record has the same {name}; nothing is left to train on")
    order_train = order[~is_test[order]]
    order_test = order[is_test[order]]
    logger.info(
        "time_split by %s: %d train, %d test, cut at %s",
        name,
        len(order_train),
        len(order_test),
        cutoff,
    )
    return (
        X.iloc[order_train],
        X.iloc[order_test],
        y.iloc[order_train],
        y.iloc[order_test],
    )


# --------------------------------------------------------------------------- transformers
class PlaceholderToMissing(TransformerMixin, BaseEstimator):
    """Turn placeholder text (``"Select"``) and any missing marker into ``np.nan``.

    Output is an object array whose non-missing values are ``str`` (so numbers
    stored as categories encode consistently). Matching ignores surrounding
    whitespace and is case-sensitive.

    Parameters
    ----------
    placeholders : sequence of str, default ("Select",)

    Examples
    --------
    >>> PlaceholderToMissing().fit_transform(pd.DataFrame({"city": ["Select", "Mumbai", None]}))
    array([[nan],
           ['Mumbai'],
           [nan]], dtype=object)
    """

    def __init__(self, placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS):
        self.placeholders = placeholders

    def fit(self, X, y=None) -> PlaceholderToMissing:
        X = pd.DataFrame(X)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        return self

    def transform(self, X) -> np.ndarray:
        X = pd.DataFrame(X)
        placeholders = {str(p).strip() for p in self.placeholders}
        out = np.empty(X.shape, dtype=object)
        for j in range(X.shape[1]):
            # work on the distinct values only: factorize codes missing values as -1
            codes, uniques = pd.factorize(X.iloc[:, j], use_na_sentinel=True)
            labels = np.array(
                [np.nan if str(u).strip() in placeholders else str(u) for u in uniques] + [np.nan],
                dtype=object,
            )
            out[:, j] = labels[codes]  # code -1 picks the trailing NaN
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        if input_features is not None:
            return np.asarray(input_features, dtype=object)
        return self.feature_names_in_


# --------------------------------------------------------------------------- models
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
        distinct non-missing value. Naming a leaking column raises ValueError.
    exclude : sequence of str, default ()
        More columns to leave out.
    placeholders : sequence of str, default ("Select",)
        Text values meaning "not filled in"; treated as missing.
    min_frequency : float or int, default 0.01
        Categorical levels rarer than this (share of training rows, or count)
        are merged into one "infrequent" level; unseen levels map to it.
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
    >>> y = pd.Series(X["visits"] > 3)
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
        min_frequency: float | int = 0.01,
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
        self.C = C
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.n_threads = n_threads
        self.random_state = random_state

    # -- feature selection
    def _select(self, X: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
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
        y = np.asarray(y, dtype=bool)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if y.all() or not y.any():
            raise ValueError(
                "the training data holds only one outcome; need converted and not converted"
            )
        features, excluded = self._select(X)
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


# --------------------------------------------------------------------------- evaluation
def _check_scores(y_true, scores, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError("y_true and scores must be 1-d and of the same length")
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    if len(y) < n_bins:
        raise ValueError(f"need at least n_bins={n_bins} records; got {len(y)}")
    return y, s


def gains_table(y_true, scores, *, n_bins: int = 10) -> pd.DataFrame:
    """Lift and cumulative gains by score decile (or ``n_bins`` groups).

    Records are sorted by score, highest first, and cut into ``n_bins``
    groups at positions ``floor(k * n / n_bins)``; group 1 holds the highest
    scores. Records with tied scores are exchangeable, so a tie group that
    straddles a cut shares its conversions among the groups in proportion to
    how many of its records fall in each (the expected value under random tie
    breaking; a constant score thus gives lift 1 everywhere).

    Returns
    -------
    pandas.DataFrame
        ``decile``, ``n``, ``conversions``, ``conversion_rate``, ``lift``
        (rate / overall rate), ``cumulative_share`` (share of records in
        groups 1..k), ``cumulative_conversions``, ``cumulative_gain`` (share
        of all conversions in groups 1..k), ``cumulative_lift``.

    Examples
    --------
    >>> t = gains_table([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.2, 0.1], n_bins=5)
    >>> t[["decile", "conversions", "lift", "cumulative_gain"]]
       decile  conversions  lift  cumulative_gain
    0       1          1.0   2.5              0.5
    1       2          0.0   0.0              0.5
    2       3          1.0   2.5              1.0
    3       4          0.0   0.0              1.0
    4       5          0.0   0.0              1.0
    """
    y, s = _check_scores(y_true, scores, n_bins)
    n = len(y)
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    bounds = (np.arange(n_bins + 1) * n) // n_bins
    starts = np.r_[0, np.flatnonzero(np.diff(s_sorted) != 0) + 1]
    ends = np.r_[starts[1:], n]
    group_conv = np.add.reduceat(y_sorted, starts)
    overlap = np.clip(
        np.minimum(ends[:, None], bounds[None, 1:])
        - np.maximum(starts[:, None], bounds[None, :-1]),
        0,
        None,
    )
    conversions = (group_conv / (ends - starts)) @ overlap
    sizes = np.diff(bounds)
    total = y.sum()
    overall = total / n
    rate = conversions / sizes
    cum_n = np.cumsum(sizes)
    cum_conv = np.cumsum(conversions)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "decile": np.arange(1, n_bins + 1),
                "n": sizes,
                "conversions": conversions,
                "conversion_rate": rate,
                "lift": rate / overall if overall > 0 else np.nan,
                "cumulative_share": cum_n / n,
                "cumulative_conversions": cum_conv,
                "cumulative_gain": cum_conv / total if total > 0 else np.nan,
                "cumulative_lift": (cum_conv / cum_n) / overall if overall > 0 else np.nan,
            }
        )


def calibration_table(y_true, scores, *, n_bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed conversion rate in equal-width probability bins.

    Bin ``b`` (1..n_bins) holds scores in ``[(b-1)/n_bins, b/n_bins)``; a score
    of exactly 1 falls in the last bin. Empty bins are left out.

    Returns
    -------
    pandas.DataFrame
        ``bin``, ``lower``, ``upper``, ``n``, ``mean_predicted``, ``observed_rate``.

    Examples
    --------
    >>> calibration_table([0, 1, 1, 0], [0.05, 0.15, 0.95, 1.0], n_bins=2)
       bin  lower  upper  n  mean_predicted  observed_rate
    0    1    0.0    0.5  2           0.100            0.5
    1    2    0.5    1.0  2           0.975            0.5
    """
    y, s = _check_scores(y_true, scores, 1)
    if (s < 0).any() or (s > 1).any():
        raise ValueError("scores must be probabilities in [0, 1]")
    b = np.minimum((s * n_bins).astype(int), n_bins - 1)
    frame = pd.DataFrame({"bin": b + 1, "s": s, "y": y})
    out = frame.groupby("bin").agg(
        n=("y", "size"), mean_predicted=("s", "mean"), observed_rate=("y", "mean")
    )
    out = out.reset_index()
    out.insert(1, "lower", (out["bin"] - 1) / n_bins)
    out.insert(2, "upper", out["bin"] / n_bins)
    return out


@dataclass(frozen=True)
class ConversionEvaluation:
    """Out-of-time evaluation of conversion models next to their baselines.

    Attributes
    ----------
    metrics : pandas.DataFrame
        One row per model: ``model``, ``baseline``, ``n_test``, ``base_rate``
        (test conversion rate), ``roc_auc``, ``pr_auc`` (average precision),
        ``brier``, ``top_decile_rate``, ``top_decile_lift``,
        ``top_decile_capture`` (share of conversions in the top decile).
    gains : pandas.DataFrame
        :func:`gains_table` per model (``model`` column first).
    calibration : pandas.DataFrame
        :func:`calibration_table` per model.
    roc : pandas.DataFrame
        ``model``, ``fpr``, ``tpr`` (ROC curve points, for a chart).
    importance : pandas.DataFrame
        Permutation importance on the test set (drop in ROC AUC when a column
        is shuffled): ``model``, ``feature``, ``importance_mean``,
        ``importance_std``; models without features (the prior) have no rows.
    models : dict
        The fitted estimators by name.
    split : dict
        How the data was split: ``order_by``, ``n_train``, ``n_test``,
        ``train_rate``, ``test_rate``.
    """

    metrics: pd.DataFrame
    gains: pd.DataFrame
    calibration: pd.DataFrame
    roc: pd.DataFrame
    importance: pd.DataFrame
    models: dict = field(default_factory=dict)
    split: dict = field(default_factory=dict)


def _used_features(estimator, X: pd.DataFrame) -> list[str]:
    features = getattr(estimator, "features_", None)
    if features is None:
        return []  # DummyClassifier and the like: no input column matters
    return [c for c in features if c in X.columns]


def _is_baseline(estimator) -> bool:
    from sklearn.dummy import DummyClassifier

    return isinstance(estimator, (DummyClassifier, RateBaseline))


def evaluate_classifiers(
    models: Mapping[str, BaseEstimator],
    X_test: pd.DataFrame,
    y_test,
    *,
    n_bins: int = 10,
    n_repeats: int = 3,
    random_state: int = 0,
) -> ConversionEvaluation:
    """Score fitted classifiers on a test set: metrics, gains, calibration, ROC, importance.

    ROC AUC and average precision (``pr_auc``) use
    :mod:`sklearn.metrics`; ``brier`` is the mean squared error of the
    probability; top-decile figures come from :func:`gains_table`. Permutation
    importance is :func:`sklearn.inspection.permutation_importance` with
    ``scoring="roc_auc"`` over the columns each model uses.
    """
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve

    y = np.asarray(y_test, dtype=bool)
    if y.all() or not y.any():
        raise ValueError("the test set holds only one outcome; ROC AUC is undefined")
    rows, gains, calib, roc, imp = [], [], [], [], []
    for name, est in models.items():
        p = est.predict_proba(X_test)[:, 1]
        g = gains_table(y, p, n_bins=n_bins)
        rows.append(
            {
                "model": name,
                "baseline": _is_baseline(est),
                "n_test": len(y),
                "base_rate": float(y.mean()),
                "roc_auc": float(roc_auc_score(y, p)),
                "pr_auc": float(average_precision_score(y, p)),
                "brier": float(brier_score_loss(y, p)),
                "top_decile_rate": float(g["conversion_rate"].iloc[0]),
                "top_decile_lift": float(g["lift"].iloc[0]),
                "top_decile_capture": float(g["cumulative_gain"].iloc[0]),
            }
        )
        gains.append(g.assign(model=name))
        calib.append(calibration_table(y, p, n_bins=n_bins).assign(model=name))
        fpr, tpr, _ = roc_curve(y, p)
        roc.append(pd.DataFrame({"model": name, "fpr": fpr, "tpr": tpr}))
        cols = _used_features(est, X_test)
        if cols:
            result = permutation_importance(
                est,
                X_test[cols],
                y,
                scoring="roc_auc",
                n_repeats=n_repeats,
                random_state=random_state,
            )
            imp.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "feature": cols,
                        "importance_mean": result.importances_mean,
                        "importance_std": result.importances_std,
                    }
                ).sort_values("importance_mean", ascending=False)
            )

    def stack(parts, first="model"):
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[first])
        return frame[[first] + [c for c in frame.columns if c != first]]

    return ConversionEvaluation(
        metrics=pd.DataFrame(rows),
        gains=stack(gains),
        calibration=stack(calib),
        roc=stack(roc),
        importance=stack(imp)
        if imp
        else pd.DataFrame(columns=["model", "feature", "importance_mean", "importance_std"]),
        models=dict(models),
    )


_BASELINE_COLUMNS = ("source", "lead_source", "product", "region", "rep_id")


def evaluate_conversion(
    table: pd.DataFrame,
    *,
    kind: str | None = None,
    models: Sequence[str] = ("logistic", "hgb"),
    baseline_column: str | None = "auto",
    test_size: float = 0.25,
    order_by: str | None = None,
    n_bins: int = 10,
    n_repeats: int = 3,
    random_state: int = 0,
    model_params: Mapping | None = None,
) -> ConversionEvaluation:
    """Out-of-time evaluation of conversion models and baselines on a leads or deals table.

    Steps: :func:`training_data` (outcome known), :func:`time_split` (earlier
    records train, later test), fit ``DummyClassifier(strategy="prior")`` as
    ``"prior"``, :class:`RateBaseline` on ``baseline_column`` as
    ``"<column>_rate"`` and a :class:`ConversionModel` per entry of
    ``models``, then :func:`evaluate_classifiers` on the test records.

    Parameters
    ----------
    table : pandas.DataFrame
        The leads or opportunities table.
    kind : {"leads", "opportunities"}, optional
        Inferred from ``lead_id`` / ``opportunity_id`` when None.
    models : sequence of {"logistic", "hgb"}
    baseline_column : str or None, default "auto"
        Column of the one-feature baseline; "auto" takes the first present of
        source, lead_source, product, region, rep_id; None for none.
    test_size, order_by
        See :func:`time_split`.
    n_bins, n_repeats, random_state
        See :func:`evaluate_classifiers`.
    model_params : dict, optional
        Extra :class:`ConversionModel` hyperparameters (e.g. ``min_frequency``).

    Returns
    -------
    ConversionEvaluation
    """
    from sklearn.dummy import DummyClassifier

    X, y = training_data(table, kind=kind)
    key, _ = _order_key(X, order_by)
    X_train, X_test, y_train, y_test = time_split(X, y, test_size=test_size, order_by=key)
    fitted: dict[str, BaseEstimator] = {
        "prior": DummyClassifier(strategy="prior").fit(X_train, y_train)
    }
    if baseline_column == "auto":
        baseline_column = next((c for c in _BASELINE_COLUMNS if c in X.columns), None)
    if baseline_column is not None:
        fitted[f"{baseline_column}_rate"] = RateBaseline(baseline_column).fit(X_train, y_train)
    for name in models:
        params = dict(model_params or {}, model=name, random_state=random_state)
        fitted[name] = ConversionModel(**params).fit(X_train, y_train)
    result = evaluate_classifiers(
        fitted, X_test, y_test, n_bins=n_bins, n_repeats=n_repeats, random_state=random_state
    )
    split = {
        "order_by": key,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "train_rate": float(np.mean(y_train)),
        "test_rate": float(np.mean(y_test)),
    }
    return ConversionEvaluation(
        metrics=result.metrics,
        gains=result.gains,
        calibration=result.calibration,
        roc=result.roc,
        importance=result.importance,
        models=fitted,
        split=split,
    )


def score(
    model, table: pd.DataFrame, *, kind: str | None = None, open_only: bool = True
) -> pd.Series:
    """Win (conversion) probability of each open lead or open deal.

    Open leads are those not converted (``converted`` False, or no
    ``converted_at``); open deals have ``status == "open"``. With
    ``open_only=False`` every row is scored.

    Returns
    -------
    pandas.Series
        Named ``"win_probability"``, indexed by ``lead_id`` / ``opportunity_id``
        - the input of :func:`salesnb.models.forecast.pipeline_weighted_forecast`.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c"], "status": ["won", "lost", "open"],
    ...                      "product": ["x", "y", "x"]})
    >>> X, y = training_data(opps)
    >>> score(RateBaseline("product", smoothing=0).fit(X, y), opps)
    opportunity_id
    c    1.0
    Name: win_probability, dtype: float64
    """
    kind = _kind(table, kind)
    id_col = _ID_OF[kind]
    if id_col not in table.columns:
        raise ValueError(f"{kind} need an {id_col} column to label the scores")
    rows = table
    if open_only:
        if kind == "leads":
            rows = table.loc[~_leads_target(table).to_numpy()]
        else:
            rows = table.loc[table["status"].astype("object").eq("open").to_numpy()]
    p = model.predict_proba(rows)[:, 1] if len(rows) else np.array([], dtype=float)
    index = pd.Index(rows[id_col].to_numpy(dtype=object), name=id_col)
    return pd.Series(p, index=index, name="win_probability")


@dataclass(frozen=True)
class PipelineProbability:
    """Win probabilities for the pipeline-weighted forecast, and why they were chosen.

    Attributes
    ----------
    win_probability : pandas.Series or None
        Per open ``opportunity_id``; None means "use the historical win rate of
        each deal's stage" (:func:`salesnb.models.forecast.stage_win_rates`).
    source : str
        ``"model:<name>"`` or ``"stage_win_rates"``.
    reason : str
        One sentence a report can show.
    metrics : pandas.DataFrame
        The out-of-time evaluation behind the choice.
    """

    win_probability: pd.Series | None
    source: str
    reason: str
    metrics: pd.DataFrame


def pipeline_win_probability(
    opportunities: pd.DataFrame,
    *,
    models: Sequence[str] = ("logistic", "hgb"),
    margin: float = 0.02,
    test_size: float = 0.25,
    random_state: int = 0,
) -> PipelineProbability:
    """Choose the win probability of open deals honestly: model or stage history.

    The deal-scoring models are evaluated out of time on closed deals
    (:func:`evaluate_conversion`). The best model by ROC AUC is used to score
    the open deals only when it beats the best baseline (prior, one-feature
    rate) by at least ``margin`` ROC AUC; otherwise the pipeline is weighted by
    the historical win rate of each deal's stage, which needs no model.

    Raises
    ------
    ValueError
        No closed deals of both outcomes to learn from.
    """
    evaluation = evaluate_conversion(
        opportunities,
        kind="opportunities",
        models=models,
        test_size=test_size,
        random_state=random_state,
        n_repeats=1,
    )
    metrics = evaluation.metrics
    is_base = metrics["baseline"].astype(bool)
    best_model = metrics.loc[~is_base].sort_values("roc_auc", ascending=False).iloc[0]
    best_base = metrics.loc[is_base].sort_values("roc_auc", ascending=False).iloc[0]
    gain = float(best_model["roc_auc"] - best_base["roc_auc"])
    if gain >= margin:
        name = str(best_model["model"])
        proba = score(evaluation.models[name], opportunities, kind="opportunities")
        reason = (
            f"Deals are weighted by the {name} deal-scoring model (ROC AUC "
            f"{best_model['roc_auc']:.3f} on later deals vs {best_base['roc_auc']:.3f} for "
            f"the best baseline, {best_base['model']})."
        )
        return PipelineProbability(proba, f"model:{name}", reason, metrics)
    reason = (
        f"Deals are weighted by the historical win rate of their stage: the best deal-scoring "
        f"model ({best_model['model']}, ROC AUC {best_model['roc_auc']:.3f} on later deals) "
        f"does not beat the best baseline ({best_base['model']}, {best_base['roc_auc']:.3f}) "
        f"by {margin:.2f}."
    )
    return PipelineProbability(None, "stage_win_rates", reason, metrics)
