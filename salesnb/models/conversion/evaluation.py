"""Out-of-time evaluation of conversion models next to their baselines.

:func:`evaluate_conversion` trains on the earlier records and tests on the
later ones (:func:`~salesnb.models.conversion.split.time_split`) and reports
every model next to the baselines: ROC AUC, average precision, Brier score,
gains (:func:`gains_table`), calibration (:func:`calibration_table`), ROC
points and permutation importance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from salesnb.models.conversion.baselines import RateBaseline
from salesnb.models.conversion.model import ConversionModel
from salesnb.models.conversion.outcomes import training_data
from salesnb.models.conversion.split import _order_key, time_split

__all__ = [
    "gains_table",
    "calibration_table",
    "ConversionEvaluation",
    "evaluate_classifiers",
    "evaluate_conversion",
    "SkillCheck",
    "skill_check",
    "scorer_words",
]


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


@dataclass(frozen=True)
class SkillCheck:
    """Whether the best model ranks records better than the best simple rule, out of time.

    Attributes
    ----------
    model, baseline : str
        Best model and best baseline by ROC AUC (names in the metrics table).
    model_auc, baseline_auc : float
        Their ROC AUC on the later records.
    gain : float
        ``model_auc - baseline_auc``.
    beats : bool
        ``gain >= margin``.
    chosen : str
        The name whose scores to use: ``model`` when it beats the rule, else ``baseline``.
    margin : float
    """

    model: str
    baseline: str
    model_auc: float
    baseline_auc: float
    gain: float
    beats: bool
    chosen: str
    margin: float


def skill_check(metrics: pd.DataFrame, *, margin: float = 0.02) -> SkillCheck:
    """Compare the best model with the best baseline of an evaluation (ROC AUC).

    Rule: the model is used when its ROC AUC on the later records is at least
    ``margin`` above the best baseline's (ties in AUC go to the baseline: the
    simpler rule wins); otherwise the baseline is. ROC AUC is the chance that
    a converted record is scored above a non-converted one (1 perfect, 0.5
    chance).

    Raises
    ------
    ValueError
        When ``metrics`` lacks a model or a baseline row.

    Examples
    --------
    >>> m = pd.DataFrame({"model": ["prior", "source_rate", "logistic"],
    ...                   "baseline": [True, True, False], "roc_auc": [0.5, 0.71, 0.88]})
    >>> check = skill_check(m)
    >>> check.chosen, round(check.gain, 2)
    ('logistic', 0.17)
    >>> skill_check(m.assign(roc_auc=[0.5, 0.71, 0.72])).chosen
    'source_rate'
    """
    is_base = metrics["baseline"].astype(bool)
    if is_base.all() or not is_base.any():
        raise ValueError("skill_check needs at least one model row and one baseline row")
    best_model = metrics.loc[~is_base].sort_values("roc_auc", ascending=False, kind="stable")
    best_base = metrics.loc[is_base].sort_values("roc_auc", ascending=False, kind="stable")
    model, base = best_model.iloc[0], best_base.iloc[0]
    gain = float(model["roc_auc"]) - float(base["roc_auc"])
    beats = bool(gain >= margin)
    return SkillCheck(
        model=str(model["model"]),
        baseline=str(base["model"]),
        model_auc=float(model["roc_auc"]),
        baseline_auc=float(base["roc_auc"]),
        gain=gain,
        beats=beats,
        chosen=str(model["model"] if beats else base["model"]),
        margin=float(margin),
    )


_MODEL_WORDS = {"logistic": "logistic regression", "hgb": "gradient boosting"}
_SINGULAR = {"leads": "lead", "deals": "deal", "opportunities": "deal"}


def scorer_words(name: str, *, what: str = "leads") -> str:
    """Plain name of a scorer of an evaluation table (``prior``, ``source_rate``, ``logistic``).

    >>> scorer_words("source_rate"), scorer_words("prior", what="deals")
    ('source-only rule', 'same rate for every deal')
    >>> scorer_words("hgb")
    'lead-scoring model (gradient boosting)'
    """
    one = _SINGULAR.get(what, what)
    if name == "prior":
        return f"same rate for every {one}"
    if name.endswith("_rate"):
        return f"{name[: -len('_rate')].replace('_', ' ')}-only rule"
    if name in _MODEL_WORDS:
        return f"{one}-scoring model ({_MODEL_WORDS[name]})"
    return name
