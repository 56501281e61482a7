"""The attention list states its exact rule and counts right (salesnb.sections.needs_attention).

Hand-computed fixtures, plus the planted facts of the bundled sample (West falls six
quarters in a row; every backorder of the sample is from the last six weeks).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import salesnb
from salesnb import sections
from salesnb.periods import Period

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
Q = Period.parse("2025Q3")


@pytest.fixture(scope="module")
def sample():
    if not (SAMPLE / "orders.csv").exists():
        pytest.skip("data/sample has not been generated")
    return salesnb.load(SAMPLE)


def _by_region(values: dict[str, list[float]], last: Period = Q) -> pd.DataFrame:
    rows = []
    for region, revenue in values.items():
        labels = [last.shift(-k).label for k in range(len(revenue) - 1, -1, -1)]
        rows += [
            {"period": p, "region": region, "revenue": v}
            for p, v in zip(labels, revenue, strict=True)
        ]
    return pd.DataFrame(rows)


def test_declining_regions_counts_the_whole_run_of_falls():
    # A: 7 quarters, each below the one before -> 6 falls in a row, from 2024Q1 (70)
    # B: rose in 2025Q1, then fell twice -> under the 3-fall rule, not raised
    # C: fell 3 times after a rise -> exactly the rule
    table = _by_region(
        {
            "A": [70.0, 60, 50, 40, 30, 20, 10],
            "B": [10.0, 20, 30, 40, 50, 40, 30],
            "C": [10.0, 20, 30, 40, 35, 30, 25],
        }
    )
    out = sections.declining_regions(table, Q).set_index("region")
    assert sorted(out.index) == ["A", "C"]
    assert out.loc["A", "quarters"] == 6
    assert out.loc["A", "first_period"] == "2024Q1"
    assert out.loc["A", "first_revenue"] == 70.0
    assert out.loc["A", "change_pct"] == pytest.approx(10 / 70 - 1)
    assert out.loc["C", "quarters"] == 3
    assert out.loc["C", "first_period"] == "2024Q4"


def test_west_alert_says_six_quarters_and_states_its_rule(sample):
    items = sections.attention(sample, Period.parse("2026Q3"))
    west = items.loc[items["topic"] == "declining region", "message"].tolist()
    assert len(west) == 1
    assert "fell 6 quarters in a row" in west[0]
    assert "from $95,763 in 2025Q1 to $36,844 in 2026Q3" in west[0]
    assert "Rule: revenue below the previous quarter's in 3 or more quarters in a row." in west[0]


def test_every_alert_states_its_rule(sample):
    items = sections.attention(sample, Period.parse("2026Q3"))
    assert len(items) >= 6
    for message in items["message"]:
        assert " Rule: " in message, message


def test_every_alert_names_the_section_that_explains_it(sample):
    items = sections.attention(sample, Period.parse("2026Q3"))
    assert {"page", "section"} <= set(items.columns)
    assert items["page"].str.match(r"0\d_|index$").all()
    assert (items["section"].str.len() > 0).all()
    west = items.loc[items["topic"] == "declining region"].iloc[0]
    assert (west["page"], west["section"]) == ("02_revenue_forecast", "Revenue-by-region")


def _orders(dates, statuses):
    return pd.DataFrame(
        {"order_date": pd.to_datetime(dates), "status": statuses, "amount": [10.0] * len(dates)}
    )


def test_backorders_from_the_last_six_weeks_are_called_orders_in_progress():
    as_of = pd.Timestamp("2025-09-30")
    orders = _orders(
        ["2025-08-25", "2025-09-10", "2025-09-29", "2025-05-02"],
        ["backordered", "backordered", "backordered", "fulfilled"],
    )
    text = sections.backorder_sentence(orders, as_of=as_of)
    assert "all 3 backorders" in text
    assert "last 6 weeks" in text
    assert "still in progress" in text
    assert "stock" in text  # says it is not (yet) a stock problem


def test_old_backorders_point_to_stock():
    as_of = pd.Timestamp("2025-09-30")
    orders = _orders(
        ["2025-03-01", "2025-04-10", "2025-09-20"],
        ["backordered", "backordered", "backordered"],
    )
    text = sections.backorder_sentence(orders, as_of=as_of)
    assert "2 of the 3 backorders" in text
    assert "older than 6 weeks" in text
    assert sections.backorder_sentence(_orders(["2025-09-01"], ["fulfilled"]), as_of=as_of) == (
        "No order is backordered at 2025-09-30."
    )


def test_sample_backorders_are_recent(sample):
    text = sections.backorder_sentence(sample.orders, as_of=pd.Timestamp("2026-09-30"))
    assert "all 59 backorders" in text


def test_attention_reads_the_headline_history_it_is_given(sample, monkeypatch):
    """The executive summary and the index already hold the headline history: the
    unusual-KPI rule reads it instead of computing every headline KPI again."""
    period = Period.parse("2026Q3")
    series = sections.headline_series(sample, period)
    expected = sections.attention(sample, period)
    calls = []
    monkeypatch.setattr(
        "salesnb.sections.needs_attention.headline_series",
        lambda *a, **k: calls.append(a) or series,
    )
    given = sections.attention(sample, period, series=series)
    assert calls == []
    pd.testing.assert_frame_equal(given, expected)
    # the rule runs on what it is given: a win rate far outside its history is raised
    kind, win = series["Win rate"]
    odd = win.copy()
    odd[period.label] = 0.99
    raised = sections.attention(sample, period, series={"Win rate": (kind, odd)})
    assert "Win rate" in raised.loc[raised["topic"] == "unusual KPI", "subject"].tolist()


def test_declining_regions_with_categorical_regions_warns_nothing():
    """Regions read as categories (Parquet dictionary columns) give the same rows,
    without pandas' deprecation warning about ``observed``."""
    t = pd.DataFrame(
        {
            "period": ["2025Q1", "2025Q2", "2025Q3"] * 2,
            "region": pd.Categorical(["A"] * 3 + ["B"] * 3, categories=["A", "B", "C"]),
            "revenue": [30.0, 20.0, 10.0, 10.0, 20.0, 30.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = sections.declining_regions(t, Period.parse("2025Q3"), quarters=3)
    assert out["region"].astype(str).tolist() == ["A"]
    assert out["quarters"].tolist() == [2]
