"""Tests of salesnb.models.conversion: the outcome left among the features, rare strong levels."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from salesnb.models.conversion import ConversionModel, time_split


def bank_like(n: int = 1200, seed: int = 7) -> tuple[pd.DataFrame, pd.Series]:
    """A bank-marketing-like table whose outcome column ``y`` is still among the features.

    Besides ``y`` itself, ``subscribed`` is a renamed copy (1/0) and ``segment`` a
    one-to-one relabelling ("A" for yes, "B" for no); ``balance`` and ``job`` carry
    real but imperfect signal.
    """
    rng = np.random.default_rng(seed)
    balance = rng.normal(0, 1, n)
    job = rng.choice(["admin", "technician", "student", "retired"], n)
    logit = -1.5 + 1.0 * balance + 1.2 * (job == "student")
    outcome = rng.random(n) < 1 / (1 + np.exp(-logit))
    X = pd.DataFrame(
        {
            "created_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="h"),
            "balance": balance,
            "job": job,
            "y": np.where(outcome, "yes", "no"),
            "subscribed": outcome.astype(int),
            "segment": np.where(outcome, "A", "B"),
        }
    )
    return X, pd.Series(outcome, name="y")


# --------------------------------------------------------------------------- item 4
def test_outcome_left_among_the_features_is_excluded_with_a_warning():
    X, y = bank_like()
    X_tr, X_te, y_tr, y_te = time_split(X, y)
    with pytest.warns(UserWarning) as caught:
        model = ConversionModel().fit(X_tr, y_tr)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 3
    for message, column in zip(messages, ("'segment'", "'subscribed'", "'y'"), strict=True):
        assert message.startswith(f"ConversionModel: column {column} is left out of the features")
    assert sorted(model.features_) == ["balance", "job"]
    assert model.excluded_["y"].startswith("the outcome itself")
    assert model.excluded_["subscribed"].startswith("predicts the outcome perfectly")
    auc = roc_auc_score(y_te, model.predict_proba(X_te)[:, 1])
    assert 0.6 < auc < 0.95  # an honest score, not the 1.000 of the leaked outcome
    # without a name on y the copies are still caught by their perfect prediction
    with pytest.warns(UserWarning) as caught:
        unnamed = ConversionModel().fit(X_tr, y_tr.to_numpy())
    assert "'y' is left out" in " ".join(str(w.message) for w in caught)
    assert sorted(unnamed.features_) == ["balance", "job"]


def test_naming_the_outcome_as_a_feature_raises():
    X, y = bank_like(400)
    with pytest.raises(ValueError, match=r"'subscribed'.*predicts the outcome perfectly"):
        ConversionModel(features=["balance", "subscribed"]).fit(X, y)


def test_a_numeric_column_that_separates_the_outcome_is_caught():
    X, y = bank_like(400)
    X = X[["balance", "job"]].assign(call_seconds=np.where(y, 300.0, 10.0) + X["balance"].abs())
    with pytest.warns(UserWarning, match="'call_seconds'"):
        model = ConversionModel().fit(X, y.to_numpy())
    assert "call_seconds" not in model.features_


def test_honest_features_raise_no_warning():
    X, y = bank_like(400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ConversionModel().fit(X[["balance", "job"]], y)
    assert sorted(model.features_) == ["balance", "job"]


# --------------------------------------------------------------------------- item 6
def rare_strong_level(n: int = 4000, seed: int = 11) -> tuple[pd.DataFrame, pd.Series]:
    """``previous_outcome``: "success" is rare (0.7 %) but converts at 70 % (others 10-30 %).

    Four other rare levels (0.7 % each) convert at 2 %: a 1 % share threshold merges
    them with "success" into one level that converts at about 16 %.
    """
    rng = np.random.default_rng(seed)
    rare = ["success", "rare_a", "rare_b", "rare_c", "rare_d"]
    level = rng.choice(["none", "failure", *rare], n, p=[0.865, 0.1] + [0.007] * 5)
    rate = np.select(
        [level == "success", np.isin(level, rare), level == "failure"], [0.7, 0.02, 0.3], 0.1
    )
    y = pd.Series(rng.random(n) < rate, name="converted")
    X = pd.DataFrame(
        {
            "created_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="h"),
            "previous_outcome": level,
        }
    )
    return X, y


def test_rare_but_strong_level_keeps_its_own_column_by_default():
    X, y = rare_strong_level()
    X_tr, X_te, y_tr, y_te = time_split(X, y)
    model = ConversionModel().fit(X_tr, y_tr)
    encoder = model.pipeline_.named_steps["prepare"].named_transformers_["categorical"][-1]
    infrequent = encoder.infrequent_categories_[0]
    assert infrequent is None or "success" not in list(infrequent)
    probe = X_te.iloc[:2].assign(previous_outcome=["success", "rare_a"])
    p_success, p_rare = model.predict_proba(probe)[:, 1]
    assert p_success > 0.45 and p_rare < 0.1
    merged = ConversionModel(min_frequency=0.01).fit(X_tr, y_tr)  # the former default
    assert merged.predict_proba(probe)[0, 1] < 0.3  # the signal diluted
    auc = roc_auc_score(y_te, model.predict_proba(X_te)[:, 1])
    auc_merged = roc_auc_score(y_te, merged.predict_proba(X_te)[:, 1])
    assert auc > auc_merged + 0.01
