"""Tests of an analyst's own models in the backtest and of the experiment log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from salesnb.models.forecast import (
    SeasonalNaive,
    SkforecastModel,
    backtest,
    log_experiment,
    read_experiments,
)


@pytest.fixture(scope="module")
def series() -> pd.Series:
    rng = np.random.default_rng(1)
    idx = pd.date_range("2021-01-01", periods=36, freq="MS", name="period")
    return pd.Series(
        500 + 5 * np.arange(36) + 80 * (idx.quarter == 4) + rng.normal(0, 10, 36), index=idx
    )


def test_backtest_ranks_a_scikit_learn_regressor_and_a_skforecast_forecaster(series):
    from skforecast.recursive import ForecasterRecursive

    models = {
        "seasonal_naive": SeasonalNaive(),
        "my ridge": Ridge(alpha=3.0),
        "my skforecast": ForecasterRecursive(estimator=Ridge(), lags=3),
    }
    bt = backtest(series, models, test_periods=6)
    m = bt.metrics.set_index("model")
    assert list(m.index) == ["seasonal_naive", "my ridge", "my skforecast"]
    assert m[["wape", "coverage"]].notna().all().all()
    assert "Ridge(alpha=3.0)" in bt.parameters["my ridge"]
    assert '"class": "SkforecastModel"' in bt.parameters["my skforecast"]
    with pytest.raises(TypeError, match="backtest model 'bad'"):
        backtest(series, {"bad": object()}, test_periods=6)


def test_skforecast_model_contract(series):
    from skforecast.recursive import ForecasterRecursive

    model = SkforecastModel(ForecasterRecursive(estimator=Ridge(), lags=3)).fit(series)
    out = model.predict_interval(3)
    assert list(out.columns) == ["forecast", "lower", "upper"]
    assert (out["lower"] <= out["forecast"]).all() and (out["forecast"] <= out["upper"]).all()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_experiment_log_round_trip(series, tmp_path, suffix):
    path = tmp_path / f"experiments{suffix}"
    first = backtest(series, {"seasonal_naive": SeasonalNaive(), "r": Ridge()}, test_periods=6)
    second = backtest(series.iloc[:-3], {"seasonal_naive": SeasonalNaive()}, test_periods=6)
    log_experiment(first, path, note="ridge vs naive")
    log_experiment(second, path)
    log = read_experiments(path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # nothing else written
    assert len(log) == 3
    assert log["model"].tolist() == ["seasonal_naive", "r", "seasonal_naive"]
    assert log["note"].tolist() == ["ridge vs naive", "ridge vs naive", ""]
    assert log["horizon"].tolist() == [3, 3, 3] and set(log["freq"]) == {"MS"}
    assert log["fingerprint"].iloc[0] == log["fingerprint"].iloc[1] != log["fingerprint"].iloc[2]
    assert str(log["logged_at"].dt.tz) == "UTC"
    expected = first.metrics.set_index("model").loc["r", "wape"]
    assert log.loc[1, "wape"] == pytest.approx(expected)
    assert "Ridge()" in log.loc[1, "parameters"]


def test_experiment_log_refuses_other_files(series, tmp_path):
    bt = backtest(series, {"seasonal_naive": SeasonalNaive()}, test_periods=6)
    with pytest.raises(ValueError, match="use a .csv or .parquet file"):
        log_experiment(bt, tmp_path / "log.txt")
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="expected"):
        log_experiment(bt, other)
    with pytest.raises(FileNotFoundError, match="no experiment log"):
        read_experiments(tmp_path / "missing.csv")
