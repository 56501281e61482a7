"""compare_on_holdout with a calibration end date, a data-limited ML window, thread limits.

The CDNOW master test reads /work/shared/data/cdnow/CDNOW_master.txt (the
published split: calibration ends 1997-09-30, holdout to 1998-06-30) and
skips when the file is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from threadpoolctl import threadpool_info

from salesnb.models.clv import MLCustomerValue, compare_on_holdout

MASTER = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow" / "CDNOW_master.txt"
COLS = {"customer_col": "customer_id", "date_col": "date", "amount_col": "amount"}


def _weekly_buyers(start: str, end: str, n_customers: int = 40) -> pd.DataFrame:
    """Customers buying every 1-4 weeks between ``start`` and ``end``, amounts 10-50."""
    rng = np.random.default_rng(3)
    rows = []
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days
    for c in range(n_customers):
        day = 0 if c == 0 else int(rng.integers(0, 20))
        step = 7 * int(rng.integers(1, 5))
        while day <= days:
            rows.append((f"c{c:02d}", pd.Timestamp(start) + pd.Timedelta(days=day), 10.0 + c))
            day += step
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_compare_on_holdout_takes_a_calibration_end_date():
    tx = _weekly_buyers("2024-01-01", "2024-12-31")
    table, cal_end = compare_on_holdout(
        tx, observation_end="2024-12-31", calibration_end="2024-09-30", **COLS
    )
    assert cal_end == pd.Timestamp("2024-09-30")
    assert list(table.index) == ["BG/NBD + Gamma-Gamma", "machine learning", "naive_baseline"]
    later = tx.loc[tx["date"] > cal_end, "amount"].sum()
    assert table["actual_spend"].iloc[0] == pytest.approx(later)
    with pytest.raises(ValueError, match=r"either holdout_months \(3\) or calibration_end"):
        compare_on_holdout(
            tx,
            observation_end="2024-12-31",
            calibration_end="2024-09-30",
            holdout_months=3,
            **COLS,
        )
    with pytest.raises(ValueError, match="calibration_end 2025-01-31 is not before"):
        compare_on_holdout(tx, observation_end="2024-12-31", calibration_end="2025-01-31", **COLS)


def test_ml_window_is_shortened_to_what_the_data_allows_and_said():
    """Holdout as long as the calibration history: the ML training window cannot shift back
    by a whole holdout length (it would start before the first purchase)."""
    tx = _weekly_buyers("2024-01-01", "2024-12-31")
    table, cal_end = compare_on_holdout(
        tx, observation_end="2024-12-31", calibration_end="2024-06-30", **COLS
    )
    window = table.attrs["ml_training"]
    # first purchase 2024-01-01, calibration end 2024-06-30: 181 days of history, so the
    # ML target window is half of it (90 days) instead of the 184-day holdout
    assert window["target_days"] == 90
    assert window["features_end"] == pd.Timestamp("2024-04-01")
    assert window["shortened"]
    assert any("shortened" in note and "90 days" in note for note in table.attrs["notes"])
    assert np.isfinite(table.loc["machine learning", "mae_spend"])


def test_ml_window_impossible_is_a_clear_error():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "b"],
            "date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-05-01", "2024-06-01"]),
            "amount": [10.0, 20.0, 30.0, 40.0],
        }
    )
    with pytest.raises(ValueError, match="all purchases before the holdout are on 2024-03-01"):
        compare_on_holdout(tx, observation_end="2024-06-30", calibration_end="2024-03-01", **COLS)


@pytest.fixture(scope="module")
def cdnow_master() -> pd.DataFrame:
    if not MASTER.exists():
        pytest.skip(f"{MASTER} not found (the shared CDNOW master is not in a user's clone)")
    master = pd.read_csv(MASTER, sep=r"\s+", dtype=str)
    return master.assign(
        date=pd.to_datetime(master["date"], format="%Y%m%d"),
        amount=master["dollar_value"].astype(float),
    )


def test_compare_on_holdout_runs_on_cdnow_master_published_split(cdnow_master):
    table, cal_end = compare_on_holdout(
        cdnow_master, observation_end="1998-06-30", calibration_end="1997-09-30", **COLS
    )
    assert cal_end == pd.Timestamp("1997-09-30")
    assert list(table.index) == ["BG/NBD + Gamma-Gamma", "machine learning", "naive_baseline"]
    assert (table["n_customers"] == 23_570).all()  # the whole cohort bought in 1997Q1
    # what happened in the holdout (1997-10-01 to 1998-06-30) is the same for every model
    later = cdnow_master.loc[cdnow_master["date"] > cal_end, "amount"].sum()
    assert table["actual_spend"].iloc[0] == pytest.approx(later, rel=1e-9)
    assert table["spearman_spend"].notna().all()
    # 272 days of history: the ML model trains on features to 1997-05-17 and the
    # 136 days after, not on a 273-day shift that would start in 1996
    window = table.attrs["ml_training"]
    assert window["features_end"] == pd.Timestamp("1997-05-17")
    assert window["target_days"] == 136 and window["shortened"]
    # BG/NBD beats carrying the calibration purchase rate forward on purchases
    assert (
        table.loc["BG/NBD + Gamma-Gamma", "mae_purchases"]
        < table.loc["naive_baseline", "mae_purchases"]
    )


# --------------------------------------------------------------------------- threads


class _ThreadRecorder(RegressorMixin, BaseEstimator):
    """Records the thread pools' sizes seen inside ``fit``; predicts the mean."""

    def __init__(self, n_jobs=None):
        self.n_jobs = n_jobs

    def fit(self, X, y):
        self.threads_ = {
            (p["user_api"], p["internal_api"]): p["num_threads"] for p in threadpool_info()
        }
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def _train_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"frequency": rng.integers(0, 5, 50), "monetary_value": rng.gamma(2.0, 10.0, 50)}
    )
    return X.assign(duration_holdout=13.0, spend_holdout=X["frequency"] * X["monetary_value"])


def test_ml_customer_value_fits_single_threaded_by_default():
    model = MLCustomerValue(_ThreadRecorder()).fit(_train_frame())
    threads = model.estimator_.threads_
    assert threads, "threadpoolctl sees no thread pool (numpy without BLAS?)"
    assert set(threads.values()) == {1}, threads
    assert model.estimator_.n_jobs == 1  # a joblib n_jobs left at None is the thread limit too


def test_ml_customer_value_thread_limit_is_a_parameter():
    model = MLCustomerValue(_ThreadRecorder(n_jobs=3), n_threads=2).fit(_train_frame())
    assert set(model.estimator_.threads_.values()) <= {1, 2}
    assert model.estimator_.n_jobs == 3  # an n_jobs the user chose is kept
    with pytest.raises(ValueError, match="n_threads must be a positive whole number or None"):
        MLCustomerValue(n_threads=0).fit(_train_frame())
