"""Tests of the forecast sections: bias and skill in words, plain labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb import sections
from salesnb.models.forecast import (
    MovingAverage,
    SeasonalNaive,
    actual_vs_projected,
    choose_model,
    model_label,
)


def test_bias_sentence_from_actual_vs_projected():
    # growing 3% a month: seasonal naive (same month last year) is always low
    idx = pd.date_range("2021-01-01", periods=36, freq="MS", name="period")
    y = pd.Series(100.0 * 1.03 ** np.arange(36), index=idx)
    projected = actual_vs_projected(y, "seasonal_naive", n_quarters=4)
    assert (projected["error"] < 0).all()
    mean = projected["pct_error"].mean()
    text = sections.bias_sentence(projected)
    assert text.startswith("The chosen model under-forecast each of the last 4 quarters")
    assert f"by {abs(mean):.1%} on average" in text


def test_skill_sentence_and_plain_labels():
    idx = pd.date_range("2021-01-01", periods=36, freq="MS", name="period")
    y = pd.Series(100.0 + 30 * (idx.month == 12), index=idx)
    choice = choose_model(y, {"seasonal_naive": SeasonalNaive(), "ma": MovingAverage()})
    text = sections.forecast_skill_sentence(choice)
    assert text.startswith("No model beats the simple rule here: 3 months ahead")
    table = sections.backtest_table(choice)
    assert table["model"].tolist()[0] == "seasonal naive (same period last year)"
    assert table.loc[0, "chosen"] == "yes"
    assert model_label("hgb") == "gradient boosting on recent periods and the calendar"
    assert "3 months ahead" in sections.metrics_explanation(choice)
