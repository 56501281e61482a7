"""KPIs on the deal history (salesnb.kpi.pipeline.history) against hand-computed fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesnb import kpi
from salesnb.errors import MissingColumnsError
from salesnb.models.forecast import pipeline_weighted_forecast
from salesnb.stages import SalesPipeline
from tests.kpi_engines import assert_frames_equal, run_on_engines, to_pandas

T = pd.Timestamp
COLUMNS = ["opportunity_id", "changed_at", "stage", "status", "amount", "expected_close_date"]


def _history(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["changed_at"] = pd.to_datetime(frame["changed_at"], format="ISO8601")
    frame["expected_close_date"] = pd.to_datetime(frame["expected_close_date"])
    frame["amount"] = frame["amount"].astype(float)
    return frame


# --- pipeline as of a date: a past quarter seen at its end ---------------------------------

# Q2 2025 seen at its end (2025-06-30); "today" is the end of Q3.
SNAPSHOT_HISTORY = _history(
    [
        # O1: moves on to discovery in May, won in July (after as_of)
        ("O1", "2025-04-02 09:00", "qualification", "open", 100, "2025-08-15"),
        ("O1", "2025-05-10 10:00", "discovery", "open", 150, "2025-08-15"),
        ("O1", "2025-07-15 12:00", "discovery", "won", 150, "2025-08-15"),
        # O2: proposal on 25 June, won in September
        ("O2", "2025-05-01 08:00", "qualification", "open", 200, "2025-09-10"),
        ("O2", "2025-06-25 16:00", "proposal", "open", 250, "2025-09-30"),
        ("O2", "2025-09-01 11:00", "proposal", "won", 250, "2025-09-30"),
        # O3: lost on 1 June (a closing row without a stage keeps the stage)
        ("O3", "2025-03-01 08:00", "proposal", "open", 300, "2025-06-30"),
        ("O3", "2025-06-01 09:00", None, "lost", 300, "2025-06-30"),
        # O4: new in June, no amount yet
        ("O4", "2025-06-10 14:00", "qualification", "open", None, "2025-07-31"),
        ("O4", "2025-08-01 14:00", "qualification", "open", 80, "2025-07-31"),
        # O5: created after as_of
        ("O5", "2025-07-05 10:00", "qualification", "open", 90, "2025-09-30"),
        # O6: expected close moved to Q4 in May
        ("O6", "2025-02-01 08:00", "negotiation", "open", 400, "2025-05-31"),
        ("O6", "2025-05-20 08:00", "negotiation", "open", 400, "2025-10-15"),
        # O7: won in March, reopened in June, lost in August
        ("O7", "2025-01-10 08:00", "discovery", "open", 500, "2025-03-31"),
        ("O7", "2025-03-20 08:00", "discovery", "won", 500, "2025-03-31"),
        ("O7", "2025-06-05 08:00", "discovery", "open", 500, "2025-07-20"),
        ("O7", "2025-08-01 08:00", "discovery", "lost", 500, "2025-07-20"),
    ]
)

# the current state ("today": 2025-09-30)
OPPORTUNITIES = pd.DataFrame(
    {
        "opportunity_id": ["O1", "O2", "O3", "O4", "O5", "O6", "O7"],
        "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7"],
        "rep_id": ["R1", "R1", "R2", "R2", "R1", "R3", "R3"],
        "product": ["Laptop", "Tablet", "Laptop", "Setup", "Tablet", "Laptop", "Tablet"],
        "created_at": pd.to_datetime(
            [
                "2025-04-02 09:00",
                "2025-04-20 08:00",  # earlier than its first history row
                "2025-03-01 08:00",
                "2025-06-10 14:00",
                "2025-07-05 10:00",
                "2025-02-01 08:00",
                "2025-01-10 08:00",
            ]
        ),
        "stage": ["discovery", "proposal", "proposal", "qualification", "qualification"]
        + ["negotiation", "discovery"],
        "status": ["won", "won", "lost", "open", "open", "open", "lost"],
        "amount": [150.0, 250.0, 300.0, 80.0, 90.0, 400.0, 500.0],
        "expected_close_date": pd.to_datetime(
            ["2025-08-15", "2025-09-30", "2025-06-30", "2025-07-31", "2025-09-30"]
            + ["2025-10-15", "2025-07-20"]
        ),
        "closed_at": pd.to_datetime(
            ["2025-07-15 12:00", "2025-09-01 11:00", "2025-06-01 09:00", None, None, None]
            + ["2025-08-01 08:00"]
        ),
        "stage_changed_at": pd.to_datetime(
            ["2025-05-10 10:00", "2025-06-25 16:00", "2025-03-01 08:00", "2025-06-10 14:00"]
            + ["2025-07-05 10:00", "2025-02-01 08:00", "2025-06-05 08:00"]
        ),
        "last_activity_at": pd.to_datetime(
            ["2025-07-15 12:00", "2025-09-01 11:00", "2025-06-01 09:00", "2025-08-01 14:00"]
            + ["2025-07-05 10:00", "2025-06-15 09:00", "2025-08-01 08:00"]
        ),
        "lost_reason": [None, None, "price", None, None, None, "competitor"],
    }
)

AS_OF = "2025-06-30"

# built by hand from the history above: the deals as they stood at the end of 2025-06-30
EXPECTED_SNAPSHOT = pd.DataFrame(
    {
        "opportunity_id": ["O1", "O2", "O3", "O4", "O6", "O7"],
        "customer_id": ["C1", "C2", "C3", "C4", "C6", "C7"],
        "rep_id": ["R1", "R1", "R2", "R2", "R3", "R3"],
        "product": ["Laptop", "Tablet", "Laptop", "Setup", "Laptop", "Tablet"],
        "created_at": pd.to_datetime(
            ["2025-04-02 09:00", "2025-04-20 08:00", "2025-03-01 08:00", "2025-06-10 14:00"]
            + ["2025-02-01 08:00", "2025-01-10 08:00"]
        ),
        "stage": ["discovery", "proposal", "proposal", "qualification", "negotiation"]
        + ["discovery"],
        "status": ["open", "open", "lost", "open", "open", "open"],
        "amount": [150.0, 250.0, 300.0, np.nan, 400.0, 500.0],
        "expected_close_date": pd.to_datetime(
            ["2025-08-15", "2025-09-30", "2025-06-30", "2025-07-31", "2025-10-15", "2025-07-20"]
        ),
        "closed_at": pd.to_datetime([None, None, "2025-06-01 09:00", None, None, None]),
        "stage_changed_at": pd.to_datetime(
            ["2025-05-10 10:00", "2025-06-25 16:00", "2025-03-01 08:00", "2025-06-10 14:00"]
            + ["2025-02-01 08:00", "2025-06-05 08:00"]
        ),
        # O6: its current last activity (15 June) is before as_of, so it was the last then
        "last_activity_at": pd.to_datetime(
            ["2025-05-10 10:00", "2025-06-25 16:00", "2025-06-01 09:00", "2025-06-10 14:00"]
            + ["2025-06-15 09:00", "2025-06-05 08:00"]
        ),
        "lost_reason": [None, None, "price", None, None, None],
    }
)

TARGETS = pd.DataFrame(
    {"period": ["2025Q3"], "level": ["company"], "key": ["all"], "revenue_target": [1000.0]}
)


def test_snapshot_equals_hand_built_state():
    out = kpi.opportunities_as_of(SNAPSHOT_HISTORY, as_of=AS_OF, opportunities=OPPORTUNITIES)
    assert_frames_equal(to_pandas(out), to_pandas(EXPECTED_SNAPSHOT), label="snapshot")


def test_snapshot_on_engines():
    run_on_engines(
        kpi.opportunities_as_of,
        SNAPSHOT_HISTORY,
        as_of=AS_OF,
        opportunities=OPPORTUNITIES,
        duckdb=True,
    )


def test_past_quarter_coverage_from_history_equals_hand_built_snapshot():
    """Done-when item: coverage and stale deals of a past quarter from history."""
    snap = kpi.opportunities_as_of(SNAPSHOT_HISTORY, as_of=AS_OF, opportunities=OPPORTUNITIES)
    got = kpi.pipeline_coverage(snap, TARGETS, period="2025Q3", as_of=AS_OF)
    want = kpi.pipeline_coverage(EXPECTED_SNAPSHOT, TARGETS, period="2025Q3", as_of=AS_OF)
    assert_frames_equal(got, want, label="coverage")
    # by hand: open at the end of Q2, expected in Q3: O1 150, O2 250, O4 (no amount), O7 500
    row = got.iloc[0]
    assert (row["pipeline_deals"], row["pipeline_amount"], row["deals_without_amount"]) == (
        4,
        900.0,
        1,
    )
    assert row["coverage"] == pytest.approx(0.9)
    # today's state tells another story: O7 lost, O1 and O2 won -> only O4, O5 and not O6
    today = kpi.pipeline_coverage(OPPORTUNITIES, TARGETS, period="2025Q3", as_of=AS_OF)
    assert today.iloc[0]["pipeline_amount"] != 900.0


def test_past_quarter_stale_deals_from_history_equal_hand_built_snapshot():
    snap = kpi.opportunities_as_of(SNAPSHOT_HISTORY, as_of=AS_OF, opportunities=OPPORTUNITIES)
    got = kpi.stale_deals(snap, as_of=AS_OF)
    want = kpi.stale_deals(EXPECTED_SNAPSHOT, as_of=AS_OF)
    assert_frames_equal(got, want, label="stale deals")
    # by hand: O1 idle since 10 May (51 days > 21, discovery), O7 since its reopening on
    # 5 June (25 > 21), O4 since 10 June (20 > 14, qualification); O6 was touched on 15 June
    assert got["opportunity_id"].tolist() == ["O1", "O7", "O4"]
    assert got["days_idle"].tolist() == [51, 25, 20]
    summary = kpi.stale_deals(snap, as_of=AS_OF, by="rep_id")
    assert summary["stale_deals"].tolist() == [1, 1, 1]
    assert summary["stale_without_amount"].tolist() == [0, 1, 0]


def test_weighted_forecast_accepts_the_snapshot():
    snap = kpi.opportunities_as_of(SNAPSHOT_HISTORY, as_of=AS_OF, opportunities=OPPORTUNITIES)
    got = pipeline_weighted_forecast(snap, 0.5, as_of=AS_OF)
    want = pipeline_weighted_forecast(EXPECTED_SNAPSHOT, 0.5, as_of=AS_OF)
    assert_frames_equal(got, want, label="weighted forecast")
    assert got["open_deals"].sum() == 5


def test_snapshot_without_opportunities_and_edges():
    out = kpi.opportunities_as_of(SNAPSHOT_HISTORY, as_of="2025-03-20")
    assert out.columns.tolist() == [
        "opportunity_id",
        "created_at",
        "stage",
        "status",
        "amount",
        "expected_close_date",
        "closed_at",
        "stage_changed_at",
        "last_activity_at",
    ]
    # a change at any time on as_of counts: O7 was won at 08:00 on 20 March
    o7 = out.set_index("opportunity_id").loc["O7"]
    assert o7["status"] == "won" and o7["closed_at"] == T("2025-03-20 08:00")
    assert out["opportunity_id"].tolist() == ["O3", "O6", "O7"]
    # the day before: not yet won
    before = kpi.opportunities_as_of(SNAPSHOT_HISTORY, as_of="2025-03-19")
    assert before.set_index("opportunity_id").loc["O7", "status"] == "open"
    # before any history: empty, same columns
    empty = kpi.opportunities_as_of(SNAPSHOT_HISTORY, as_of="2024-12-31")
    assert len(empty) == 0 and empty.columns.tolist() == out.columns.tolist()


def test_snapshot_time_zones_and_probability():
    hist = SNAPSHOT_HISTORY.assign(
        changed_at=SNAPSHOT_HISTORY["changed_at"].dt.tz_localize("Europe/Berlin"),
        probability=0.25,
    )
    out = kpi.opportunities_as_of(hist, as_of=pd.Timestamp("2025-06-30", tz="UTC"))
    plain = kpi.opportunities_as_of(SNAPSHOT_HISTORY, as_of=AS_OF)
    # wall-clock times are kept
    assert out["stage_changed_at"].tolist() == plain["stage_changed_at"].tolist()
    assert out["probability"].tolist() == [0.25] * len(plain)


def test_snapshot_errors():
    with pytest.raises(MissingColumnsError, match="expected_close_date"):
        kpi.opportunities_as_of(SNAPSHOT_HISTORY.drop(columns="expected_close_date"), as_of=AS_OF)
    bad = SNAPSHOT_HISTORY.assign(stage="Closing")
    with pytest.raises(ValueError, match="opportunity_history.stage"):
        kpi.opportunities_as_of(bad, as_of=AS_OF)
    # the company's own pipeline
    crm = SalesPipeline.from_mapping({"stages": ["Closing"], "won": ["won"], "lost": ["lost"]})
    out = kpi.opportunities_as_of(bad, as_of=AS_OF, pipeline=crm)
    assert set(out["stage"]) == {"Closing"}


# --- stage conversion and time in stage -----------------------------------------------------

STAGE_HISTORY = _history(
    [
        # Q1
        ("D1", "2025-01-01", "qualification", "open", 1, "2025-06-30"),
        ("D1", "2025-01-11", "discovery", "open", 1, "2025-06-30"),
        ("D1", "2025-02-10", "proposal", "open", 1, "2025-06-30"),
        ("D1", "2025-03-02", "proposal", "won", 1, "2025-06-30"),
        ("D2", "2025-01-05", "qualification", "open", 1, "2025-06-30"),
        ("D2", "2025-01-25", "qualification", "lost", 1, "2025-06-30"),
        ("D3", "2025-02-01", "qualification", "open", 1, "2025-06-30"),
        ("D3", "2025-02-05", "proposal", "open", 1, "2025-06-30"),  # skips discovery
        ("D3", "2025-02-15", "discovery", "open", 1, "2025-06-30"),  # moves back
        ("D3", "2025-02-20", "discovery", "open", 2, "2025-06-30"),  # amount only
        ("D3", "2025-03-01", "negotiation", "open", 2, "2025-06-30"),  # still there
        # Q2
        ("D4", "2025-04-01", "qualification", "open", 1, "2025-06-30"),
        ("D4", "2025-04-21", "discovery", "open", 1, "2025-06-30"),
        ("D4", "2025-05-21", "discovery", "lost", 1, "2025-06-30"),
        ("D5", "2025-04-10", "Qualification ", "open", 1, "2025-06-30"),  # case, spaces
        ("D5", "2025-04-16", None, "lost", 1, "2025-06-30"),
        ("D6", "2025-04-01", "proposal", "open", 1, "2025-06-30"),
        ("D6", "2025-04-11", "proposal", "lost", 1, "2025-06-30"),
        ("D6", "2025-05-01", "proposal", "open", 1, "2025-06-30"),  # reopened
        ("D6", "2025-05-31", "proposal", "won", 1, "2025-06-30"),
    ]
)


def test_stage_conversion_hand_computed():
    out = kpi.stage_conversion(STAGE_HISTORY)
    assert out.columns.tolist()[:11] == [
        "period",
        "period_start",
        "stage",
        "entered",
        "advanced",
        "lost",
        "moved_back",
        "in_stage",
        "conversion_rate",
        "median_days_in_stage",
        "note",
    ]
    got = out.set_index(["period", "stage"])
    expected = {
        # period, stage: entered, advanced, lost, moved_back, in_stage, rate, median days
        ("2025Q1", "qualification"): (3, 2, 1, 0, 0, 2 / 3, 10.0),
        ("2025Q1", "discovery"): (2, 2, 0, 0, 0, 1.0, 22.0),
        ("2025Q1", "proposal"): (2, 1, 0, 1, 0, 0.5, 15.0),
        ("2025Q1", "negotiation"): (1, 0, 0, 0, 1, 0.0, np.nan),
        ("2025Q2", "qualification"): (2, 1, 1, 0, 0, 0.5, 13.0),
        ("2025Q2", "discovery"): (1, 0, 1, 0, 0, 0.0, 30.0),
        ("2025Q2", "proposal"): (2, 1, 1, 0, 0, 0.5, 20.0),
        ("2025Q2", "negotiation"): (0, 0, 0, 0, 0, np.nan, np.nan),
    }
    cols = ["entered", "advanced", "lost", "moved_back", "in_stage"]
    for key, (*counts, rate, days) in expected.items():
        assert got.loc[key, cols].tolist() == counts, key
        np.testing.assert_allclose(got.loc[key, "conversion_rate"], rate, err_msg=str(key))
        np.testing.assert_allclose(got.loc[key, "median_days_in_stage"], days, err_msg=str(key))
    assert list(out["stage"][:4]) == ["qualification", "discovery", "proposal", "negotiation"]
    # against the previous quarter
    q2 = got.loc["2025Q2"]
    np.testing.assert_allclose(q2["conversion_rate_change"], [0.5 - 2 / 3, -1.0, 0.0, np.nan])
    np.testing.assert_allclose(q2["median_days_in_stage_change"], [3.0, 8.0, 5.0, np.nan])
    assert got.loc[("2025Q1", "negotiation"), "note"].startswith("some deals still")
    assert got.loc[("2025Q2", "negotiation"), "note"] == "no deals entered the stage"


def test_stage_conversion_as_of_counts_later_exits_as_still_in_stage():
    out = kpi.stage_conversion(STAGE_HISTORY, as_of="2025-02-20", comparisons=False)
    got = out.set_index(["period", "stage"])
    # D1 entered proposal on 10 Feb and was won only on 2 March; D3 is in discovery
    assert got.loc[("2025Q1", "proposal"), ["entered", "advanced", "moved_back"]].tolist() == [
        2,
        0,
        1,
    ]
    assert got.loc[("2025Q1", "proposal"), "in_stage"] == 1
    assert got.loc[("2025Q1", "discovery"), "in_stage"] == 1
    assert set(out["period"]) == {"2025Q1"}


def test_stage_conversion_on_engines():
    run_on_engines(kpi.stage_conversion, STAGE_HISTORY, freq="month", duckdb=True)


def test_stage_conversion_company_pipeline():
    crm = SalesPipeline.from_mapping({"stages": ["Open", "Closing"]})
    hist = _history(
        [
            ("A", "2025-01-01", "Open", "open", 1, None),
            ("A", "2025-01-03", "Closing", "open", 1, None),
            ("A", "2025-01-04", "Closing", "won", 1, None),
        ]
    )
    out = kpi.stage_conversion(hist, pipeline=crm, comparisons=False)
    assert out["stage"].tolist() == ["Open", "Closing"]
    assert out["advanced"].tolist() == [1, 1]
    assert out["median_days_in_stage"].tolist() == [2.0, 1.0]


# --- pipeline-change waterfall --------------------------------------------------------------

# start 2025-06-30, end 2025-09-30, window 2025Q3: one deal per step
WATERFALL_HISTORY = _history(
    [
        ("A", "2025-05-01", "proposal", "open", 100, "2025-08-01"),  # increased
        ("A", "2025-07-10", "proposal", "open", 150, "2025-08-01"),
        ("B", "2025-05-01", "proposal", "open", 200, "2025-08-01"),  # decreased
        ("B", "2025-07-11", "negotiation", "open", 120, "2025-08-15"),
        ("C", "2025-05-01", "proposal", "open", 300, "2025-08-01"),  # unchanged
        ("C", "2025-08-01", "negotiation", "open", 300, "2025-09-01"),
        ("D", "2025-05-01", "proposal", "open", 400, "2025-08-01"),  # won
        ("D", "2025-08-10", "proposal", "won", 450, "2025-08-10"),
        ("E", "2025-05-01", "proposal", "open", 50, "2025-08-01"),  # lost
        ("E", "2025-08-11", "proposal", "lost", 50, "2025-08-01"),
        ("F", "2025-05-01", "proposal", "open", 60, "2025-08-01"),  # pushed out
        ("F", "2025-09-01", "proposal", "open", 60, "2025-11-15"),
        ("G", "2025-05-01", "proposal", "open", 70, "2025-12-01"),  # pulled in
        ("G", "2025-08-02", "proposal", "open", 70, "2025-09-15"),
        ("H", "2025-07-10", "qualification", "open", 80, "2025-09-20"),  # new
        ("I", "2025-04-01", "proposal", "open", 90, "2025-05-01"),  # reopened
        ("I", "2025-05-01", "proposal", "won", 90, "2025-05-01"),
        ("I", "2025-08-01", "proposal", "open", 90, "2025-09-25"),
        ("J", "2025-07-01", "proposal", "open", 500, "2025-08-01"),  # in neither
        ("J", "2025-08-01", "proposal", "won", 500, "2025-08-01"),
        ("K", "2025-07-20", "qualification", "open", None, "2025-09-30"),  # new, no amount
        ("L", "2025-06-30 23:00", "proposal", "open", 10, "2025-09-30"),  # on start: in start
        ("M", "2025-06-01", "proposal", "open", 20, "2025-09-30"),  # lost on the end day
        ("M", "2025-09-30 10:00", "proposal", "lost", 20, "2025-09-30"),
        ("N", "2025-10-01 00:00", "proposal", "open", 30, "2025-09-30"),  # after end: absent
    ]
)

EXPECTED_WATERFALL = pd.DataFrame(
    {
        "step": [s for s, _ in kpi.WATERFALL_STEPS],
        "value": [1140.0, 80.0, 90.0, 70.0, 50.0, -80.0, -60.0, -400.0, -70.0, 820.0],
        "deals": [8, 2, 1, 1, 1, 1, 1, 1, 2, 8],
        "without_amount": [0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
    }
)


def _waterfall(history=WATERFALL_HISTORY, **kwargs):
    opts = {"start": "2025-06-30", "end": "2025-09-30", "window": "2025Q3", **kwargs}
    return kpi.pipeline_waterfall(history, **opts)


def test_waterfall_one_deal_per_step():
    out = _waterfall()
    assert_frames_equal(out, EXPECTED_WATERFALL, label="waterfall")
    values = out.set_index("step")["value"]
    assert values["start"] + values.drop(["start", "end"]).sum() == values["end"]


def test_waterfall_detail():
    detail = _waterfall(detail=True)
    steps = dict(zip(detail["opportunity_id"], detail["step"], strict=True))
    assert steps == {
        "A": "increased",
        "B": "decreased",
        "C": "unchanged",
        "D": "won",
        "E": "lost",
        "F": "pushed_out",
        "G": "pulled_in",
        "H": "new",
        "I": "reopened",
        "K": "new",
        "L": "unchanged",
        "M": "lost",
    }
    assert detail.set_index("opportunity_id").loc["D", "value"] == -400.0  # start value
    assert detail.columns.tolist() == [
        "opportunity_id",
        "step",
        "value",
        "amount_start",
        "amount_end",
        "status_start",
        "status_end",
        "stage_start",
        "stage_end",
        "expected_close_start",
        "expected_close_end",
    ]
    summary = _waterfall().set_index("step")
    per_step = detail[detail["step"] != "unchanged"].groupby("step")["value"].sum()
    for step, value in per_step.items():
        assert summary.loc[step, "value"] == value


def test_waterfall_without_window_and_day_pair():
    out = _waterfall(window=None).set_index("step")
    assert out.loc[["pulled_in", "pushed_out"], "deals"].tolist() == [0, 0]
    # open at start: A-G, L, M; at end: A, B, C, F, G, H, I, K, L (N comes after end)
    assert out.loc["start", "deals"] == 9 and out.loc["end", "deals"] == 9
    pair = _waterfall(window=("2025-07-01", "2025-09-30"))
    assert_frames_equal(pair, EXPECTED_WATERFALL, label="window as a day pair")


def test_waterfall_on_engines():
    run_on_engines(
        kpi.pipeline_waterfall,
        WATERFALL_HISTORY,
        start="2025-06-30",
        end="2025-09-30",
        window="2025Q3",
        duckdb=True,
    )
    run_on_engines(
        kpi.pipeline_waterfall,
        WATERFALL_HISTORY,
        start="2025-06-30",
        end="2025-09-30",
        window="2025Q3",
        detail=True,
        duckdb=True,
    )


def test_waterfall_errors():
    with pytest.raises(ValueError, match="before start"):
        _waterfall(start="2025-09-30", end="2025-06-30")
    with pytest.raises(ValueError, match="window must be"):
        _waterfall(window=5)
    with pytest.raises(MissingColumnsError, match="status"):
        _waterfall(history=WATERFALL_HISTORY.drop(columns="status"))


def test_waterfall_same_day_is_all_zero():
    out = _waterfall(end="2025-06-30").set_index("step")
    assert out.loc["start", "value"] == out.loc["end", "value"] == 1140.0
    assert (out.drop(["start", "end"])["deals"] == 0).all()


def test_waterfall_detail_on_spark(spark):
    """The summary, the snapshot and stage conversion run on Spark in the engine matrix."""
    run_on_engines(
        kpi.pipeline_waterfall,
        WATERFALL_HISTORY,
        start="2025-06-30",
        end="2025-09-30",
        window="2025Q3",
        detail=True,
        engines=["spark"],
        spark=spark,
    )


def test_same_time_rows_close_after_open_and_date_columns():
    pl = pytest.importorskip("polars")
    hist = _history(
        [
            ("A", "2025-07-01 10:00", "proposal", "won", 100, "2025-08-01"),
            ("A", "2025-07-01 10:00", "proposal", "open", 100, "2025-08-01"),
            ("B", "2025-07-01 10:00", "proposal", "open", 50, "2025-08-01"),
        ]
    )
    snap = kpi.opportunities_as_of(hist, as_of="2025-07-01")
    assert snap["status"].tolist() == ["won", "open"]
    assert snap["closed_at"].tolist()[0] == T("2025-07-01 10:00")
    # expected close dates held as dates (no time) in polars
    dated = pl.from_pandas(hist).with_columns(pl.col("expected_close_date").cast(pl.Date))
    out = kpi.pipeline_waterfall(dated, start="2025-06-30", end="2025-07-31", window="2025Q3")
    assert out.filter(pl.col("step") == "new")["value"].to_list() == [50.0]
