"""Tests of salesnb.periods: hand-checked period arithmetic and the narwhals expressions."""

from __future__ import annotations

import datetime as dt

import duckdb
import narwhals as nw
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesnb.periods import (
    FREQS,
    Period,
    latest_complete_period,
    latest_complete_quarter,
    normalize_freq,
    period_label,
    period_label_expr,
    period_range,
    period_start_expr,
    period_start_from_label_expr,
    same_period_last_year_label_expr,
)

T = pd.Timestamp


# -- calendar periods -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "start", "end", "days"),
    [
        ("2025Q3", "2025-07-01", "2025-10-01", 92),
        ("2024Q1", "2024-01-01", "2024-04-01", 91),  # leap year
        ("2025Q1", "2025-01-01", "2025-04-01", 90),
        ("2025H1", "2025-01-01", "2025-07-01", 181),
        ("2024H1", "2024-01-01", "2024-07-01", 182),
        ("2024", "2024-01-01", "2025-01-01", 366),
        ("2025", "2025-01-01", "2026-01-01", 365),
        ("2024-02", "2024-02-01", "2024-03-01", 29),
        ("2025-02", "2025-02-01", "2025-03-01", 28),
        ("2000-02", "2000-02-01", "2000-03-01", 29),  # divisible by 400: leap
        ("2100-02", "2100-02-01", "2100-03-01", 28),  # divisible by 100: not leap
        ("2025-W07", "2025-02-10", "2025-02-17", 7),
        ("2025-W01", "2024-12-30", "2025-01-06", 7),
        ("2020-W53", "2020-12-28", "2021-01-04", 7),
    ],
)
def test_calendar_bounds(label, start, end, days):
    p = Period.parse(label)
    assert p.start == T(start)
    assert p.end == T(end)  # exclusive
    assert p.last_day == T(end) - pd.Timedelta(days=1)
    assert p.days == days
    assert p.label == label
    assert str(p) == label


@pytest.mark.parametrize(
    ("date", "freq", "label"),
    [
        ("2024-12-29", "week", "2024-W52"),  # Sunday
        ("2024-12-30", "week", "2025-W01"),  # Monday of ISO week 1 of 2025
        ("2021-01-03", "week", "2020-W53"),
        ("2021-01-04", "week", "2021-W01"),
        ("2026-12-31", "week", "2026-W53"),
        ("2024-02-29", "month", "2024-02"),
        ("2024-02-29", "quarter", "2024Q1"),
        ("2025-06-30 23:59:59", "quarter", "2025Q2"),
        ("2025-07-01", "quarter", "2025Q3"),
        ("2025-06-30", "half", "2025H1"),
        ("2025-07-01", "half", "2025H2"),
        ("2025-12-31", "year", "2025"),
    ],
)
def test_containing_calendar(date, freq, label):
    assert Period.containing(date, freq=freq).label == label
    assert period_label(date, freq=freq) == label


# -- fiscal years ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("date", "freq", "fys", "label", "start"),
    [
        # fiscal year starting in April: FY2026 = 2025-04-01 .. 2026-03-31
        ("2025-03-31", "quarter", 4, "2025Q4", "2025-01-01"),
        ("2025-04-01", "quarter", 4, "2026Q1", "2025-04-01"),
        ("2025-12-15", "quarter", 4, "2026Q3", "2025-10-01"),
        ("2026-02-28", "quarter", 4, "2026Q4", "2026-01-01"),
        ("2025-09-30", "half", 4, "2026H1", "2025-04-01"),
        ("2025-10-01", "half", 4, "2026H2", "2025-10-01"),
        ("2025-04-01", "year", 4, "2026", "2025-04-01"),
        ("2025-03-31", "year", 4, "2025", "2024-04-01"),
        # fiscal year starting in July: FY2026 = 2025-07-01 .. 2026-06-30
        ("2025-06-30", "quarter", 7, "2025Q4", "2025-04-01"),
        ("2025-07-01", "quarter", 7, "2026Q1", "2025-07-01"),
        ("2026-01-01", "half", 7, "2026H2", "2026-01-01"),
        ("2025-08-20", "year", 7, "2026", "2025-07-01"),
        # a start month that is no calendar quarter start: February
        ("2025-01-31", "quarter", 2, "2025Q4", "2024-11-01"),
        ("2025-02-01", "quarter", 2, "2026Q1", "2025-02-01"),
        # months and weeks ignore the fiscal year
        ("2025-04-15", "month", 4, "2025-04", "2025-04-01"),
        ("2025-04-15", "week", 4, "2025-W16", "2025-04-14"),
    ],
)
def test_fiscal_periods(date, freq, fys, label, start):
    p = Period.containing(date, freq=freq, fiscal_year_start=fys)
    assert p.label == label
    assert p.start == T(start)
    assert Period.parse(label, freq=freq, fiscal_year_start=fys) == p


def test_fiscal_year_lengths_and_leap_day():
    fy2024 = Period.parse("2024", fiscal_year_start=4)  # 2023-04-01 .. 2024-03-31
    assert (fy2024.start, fy2024.last_day, fy2024.days) == (T("2023-04-01"), T("2024-03-31"), 366)
    assert "2024-02-29" in fy2024
    fy2025 = Period.parse("2025", fiscal_year_start=7)  # 2024-07-01 .. 2025-06-30
    assert (fy2025.start, fy2025.end, fy2025.days) == (T("2024-07-01"), T("2025-07-01"), 365)
    assert fy2025.fiscal_year == 2025
    q = Period.parse("2024Q4", fiscal_year_start=4)  # Jan-Mar 2024
    assert (q.start, q.days) == (T("2024-01-01"), 91)


def test_previous_next_and_last_year():
    assert Period.parse("2025Q1").previous().label == "2024Q4"
    assert Period.parse("2024Q4").next().label == "2025Q1"
    assert Period.parse("2025-01").previous().label == "2024-12"
    assert Period.parse("2025-W01").previous().label == "2024-W52"
    assert Period.parse("2021-W01").previous().label == "2020-W53"
    assert Period.parse("2025H1").previous().label == "2024H2"
    assert Period.parse("2026Q1", fiscal_year_start=4).previous().label == "2025Q4"
    assert Period.parse("2026Q1", fiscal_year_start=4).shift(-4).label == "2025Q1"
    assert Period.parse("2025Q3").same_period_last_year().label == "2024Q3"
    assert Period.parse("2024-02").same_period_last_year().label == "2023-02"
    assert Period.parse("2026H2", fiscal_year_start=7).same_period_last_year().label == "2025H2"
    assert Period.parse("2025", fiscal_year_start=4).same_period_last_year().label == "2024"
    assert Period.parse("2021-W01").same_period_last_year().label == "2020-W01"
    with pytest.raises(ValueError, match="52 weeks"):
        Period.parse("2026-W53").same_period_last_year()


def test_ordering_and_equality():
    labels = ["2025Q2", "2024Q4", "2025Q1"]
    assert [p.label for p in sorted(Period.parse(x) for x in labels)] == [
        "2024Q4",
        "2025Q1",
        "2025Q2",
    ]
    assert Period.parse("2025Q1") < Period.parse("2025Q2")
    assert Period.parse("2025Q1") == Period.containing("2025-02-14", freq="quarter")
    assert len({Period.parse("2025Q1"), Period.containing("2025-03-31", freq="quarter")}) == 1
    with pytest.raises(TypeError, match="cannot order"):
        _ = Period.parse("2025Q1") < Period.parse("2025-01")


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("2025Q5", "cannot read"),
        ("2025-13", "month must be"),
        ("2025-W53", "no such week"),  # 2025 has 52 ISO weeks
        ("Q3 2025", "cannot read"),
        ("", "cannot read"),
    ],
)
def test_parse_errors(label, message):
    with pytest.raises(ValueError, match=message):
        Period.parse(label)


def test_argument_errors():
    with pytest.raises(ValueError, match="is a quarter, expected a month"):
        Period.parse("2025Q1", freq="month")
    with pytest.raises(ValueError, match="unknown freq 'fortnight'"):
        normalize_freq("fortnight")
    assert normalize_freq("half-year") == "half"
    assert normalize_freq("Quarter") == "quarter"
    for bad in (0, 13, 4.0, True):
        with pytest.raises(ValueError, match="fiscal_year_start"):
            Period.containing("2025-01-01", freq="quarter", fiscal_year_start=bad)
    with pytest.raises(ValueError, match="not the first day"):
        Period("quarter", T("2025-02-01"))


def test_period_range():
    assert [p.label for p in period_range("2024-11-20", "2025-02-01", freq="month")] == [
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
    ]
    assert [
        p.label for p in period_range("2025Q3", "2026Q2", freq="quarter", fiscal_year_start=4)
    ] == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert [p.label for p in period_range("2020-12-27", "2021-01-04", freq="week")] == [
        "2020-W52",
        "2020-W53",
        "2021-W01",
    ]
    assert period_range("2025-05-01", "2025-01-01", freq="month") == []
    assert len(period_range("2024-01-01", "2024-12-31", freq="week")) == 53  # 2024-W01..2025-W01


def test_latest_complete():
    assert latest_complete_quarter("2026-09-30").label == "2026Q3"
    assert latest_complete_quarter("2026-09-29").label == "2026Q2"
    assert latest_complete_quarter(dt.datetime(2026, 9, 30, 18, 0)).label == "2026Q3"
    assert latest_complete_quarter("2026-03-31", fiscal_year_start=4).label == "2026Q4"
    assert latest_complete_period("2025-01-05", freq="week").label == "2025-W01"  # a Sunday
    assert latest_complete_period("2025-01-04", freq="week").label == "2024-W52"
    assert latest_complete_period("2024-12-31", freq="year", fiscal_year_start=7).label == "2024"


# -- narwhals expressions against the Python reference ----------------------------------------
def _natives(df: pd.DataFrame):
    yield "pandas", df
    yield "polars", pl.from_pandas(df)
    yield "polars-lazy", pl.from_pandas(df).lazy()
    yield "duckdb", duckdb.from_arrow(pl.from_pandas(df).to_arrow())


def _evaluate(native, **exprs) -> pd.DataFrame:
    frame = nw.from_native(native).select(**exprs)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas()


dates = st.datetimes(min_value=dt.datetime(1995, 1, 1), max_value=dt.datetime(2035, 12, 31))


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(dates, min_size=1, max_size=30),
    freq=st.sampled_from(FREQS),
    fys=st.integers(min_value=1, max_value=12),
)
def test_expressions_match_python(values, freq, fys):
    df = pd.DataFrame({"d": pd.to_datetime(values)})
    expected = [Period.containing(v, freq=freq, fiscal_year_start=fys) for v in values]

    def last_year(p: Period) -> str:
        try:
            return p.same_period_last_year().label
        except ValueError:  # ISO week 53 without a counterpart: a label no data has
            return f"{p.fiscal_year - 1}-W53"

    for name, native in _natives(df):
        out = _evaluate(
            native,
            start=period_start_expr("d", freq=freq, fiscal_year_start=fys),
            label=period_label_expr("d", freq=freq, fiscal_year_start=fys),
            prev=period_label_expr("d", freq=freq, fiscal_year_start=fys, shift=-1),
            nxt=period_label_expr("d", freq=freq, fiscal_year_start=fys, shift=1),
            ly=same_period_last_year_label_expr("d", freq=freq, fiscal_year_start=fys),
        )
        assert list(pd.to_datetime(out["start"])) == [p.start for p in expected], name
        assert list(out["label"]) == [p.label for p in expected], name
        assert list(out["prev"]) == [p.previous().label for p in expected], name
        assert list(out["nxt"]) == [p.next().label for p in expected], name
        assert list(out["ly"]) == [last_year(p) for p in expected], name


@pytest.mark.parametrize("fys", [1, 4, 7, 11])
@pytest.mark.parametrize("freq", ["month", "quarter", "half", "year"])
def test_start_from_label_expr(freq, fys):
    periods = period_range("2023-01-01", "2026-12-31", freq=freq, fiscal_year_start=fys)
    df = pd.DataFrame({"p": [p.label for p in periods] + ["garbage", None]})
    for name, native in _natives(df):
        out = _evaluate(
            native, s=period_start_from_label_expr("p", freq=freq, fiscal_year_start=fys)
        )
        got = list(pd.to_datetime(out["s"]))
        assert got[:-2] == [p.start for p in periods], name
        assert pd.isna(got[-2]) and pd.isna(got[-1]), name
    with pytest.raises(ValueError, match="week"):
        period_start_from_label_expr("p", freq="week")


def test_start_expr_keeps_nulls():
    df = pd.DataFrame({"d": pd.to_datetime(["2025-05-10", None])})
    out = _evaluate(df, s=period_start_expr("d", freq="half", fiscal_year_start=4))
    assert out["s"].iloc[0] == T("2025-04-01")
    assert pd.isna(out["s"].iloc[1])
