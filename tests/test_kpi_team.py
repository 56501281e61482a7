"""Tests of salesnb.kpi.team: hand-computed fixtures, engines, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from salesnb.kpi._frame import MissingColumnsError
from salesnb.kpi.team import (
    activity_summary,
    employee_satisfaction,
    leaderboard,
    quota_attainment,
    rep_effectiveness,
    scheduled_visits,
    share_at_quota,
)
from tests.kpi_engines import run_on_engines, to_pandas

PROPS = settings(max_examples=25, deadline=None)


def ts(*values):
    return pd.to_datetime(list(values), format="ISO8601")


@pytest.fixture
def reps():
    return pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3", "R4"],
            "name": ["Ann", "Bo", "Cy", "Di"],
            "team": ["A", "A", "B", "B"],
        }
    )


@pytest.fixture
def orders():
    # quarterly revenue (cancelled D left out): Q1 R1 300, R2 300; Q2 R1 400, R2 100, R3 250
    return pd.DataFrame(
        {
            "order_id": list("ABCDEFGH"),
            "customer_id": ["C1", "C2", "C3", "C1", "C1", "C4", "C2", "C5"],
            "rep_id": ["R1", "R1", "R2", "R2", "R1", "R2", "R3", None],
            "order_date": ts(
                "2025-01-10",
                "2025-02-15",
                "2025-03-01",
                "2025-03-20",
                "2025-04-05",
                "2025-05-01",
                "2025-06-30",
                "2025-06-01",
            ),
            "amount": [100.0, 200.0, 300.0, 50.0, 400.0, 100.0, 250.0, 999.0],
            "status": [
                "placed",
                "fulfilled",
                "placed",
                "cancelled",
                "placed",
                "placed",
                "placed",
                "placed",
            ],
        }
    )


@pytest.fixture
def targets():
    return pd.DataFrame(
        {
            "period": ["2025Q1", "2025Q1", "2025Q2", "2025Q2", "2025Q2", "2025Q2", "2025-04"],
            "level": ["rep", "rep", "rep", "rep", "rep", "company", "rep"],
            "key": ["R1", "R2", "R1", "R2", "R4", "all", "R1"],
            "revenue_target": [300.0, 600.0, 500.0, 100.0, 200.0, 5000.0, 100.0],
        }
    )


@pytest.fixture
def opps():
    return pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3", "O4", "O5"],
            "rep_id": ["R2", "R2", "R1", "R1", "R3"],
            "status": ["won", "won", "won", "lost", "open"],
            "created_at": ts("2025-01-01", "2025-02-01", "2025-04-01", "2025-04-01", "2025-04-01"),
            "closed_at": ts("2025-02-01", "2025-03-01", "2025-05-01", "2025-05-02", None),
        }
    )


@pytest.fixture
def activities():
    return pd.DataFrame(
        {
            "activity_id": [f"A{i}" for i in (1, 2, 3, 4, 5, 6, 8, 9, 10)],
            "rep_id": ["R1", "R1", "R1", "R2", "R3", "R2", "R1", "R1", "R2"],
            "customer_id": ["C1", "C2", "C1", "C3", "C2", "C4", "C5", "C1", "C3"],
            "type": [
                "call",
                "visit",
                "visit",
                "email",
                "meeting",
                "visit",
                "visit",
                "visit",
                "visit",
            ],
            "scheduled_at": ts(
                "2025-01-15",
                "2025-02-01",
                "2025-07-02",
                "2025-04-10",
                "2025-07-05",
                "2025-07-10",
                "2025-07-14 23:00",
                "2025-07-15",
                "2025-06-30 15:00",
            ),
            "completed_at": ts(
                "2025-01-15", "2025-02-01", None, "2025-04-10", None, None, None, None, None
            ),
        }
    )


@pytest.fixture
def satisfaction():
    return pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3", "R1", "R2", "R2", "R4"],
            "survey_date": ts(
                "2025-03-15",
                "2025-03-20",
                "2025-03-31",
                "2025-06-15",
                "2025-06-20",
                "2025-06-21",
                "2024-03-10",
            ),
            "score": [9.0, 6.0, 10.0, 7.0, 3.0, 5.0, 8.0],
        }
    )


# -- quota ------------------------------------------------------------------------------------
def test_quota_attainment(orders, targets):
    out = run_on_engines(quota_attainment, orders, targets)
    assert out[["period", "rep_id"]].values.tolist() == [
        ["2025Q1", "R1"],
        ["2025Q1", "R2"],
        ["2025Q2", "R1"],
        ["2025Q2", "R2"],
        ["2025Q2", "R3"],
        ["2025Q2", "R4"],
    ]
    assert out["revenue"].tolist() == [300.0, 300.0, 400.0, 100.0, 250.0, 0.0]
    np.testing.assert_allclose(out["attainment"], [1.0, 0.5, 0.8, 1.0, np.nan, 0.0])
    r3 = out.iloc[4]
    assert pd.isna(r3["quota"]) and r3["note"] == "no quota"


def test_quota_attainment_single_period_and_options(orders, targets, reps):
    april = run_on_engines(quota_attainment, orders, targets, period="2025-04")
    assert april[["rep_id", "revenue", "quota", "attainment"]].values.tolist() == [
        ["R1", 400.0, 100.0, 4.0]
    ]
    cancelled = quota_attainment(orders, targets, period="2025Q1", include_cancelled=True)
    assert cancelled["revenue"].tolist() == [300.0, 350.0]
    teams = run_on_engines(quota_attainment, orders, targets, by="team", reps=reps)
    assert teams["team"].tolist() == ["A", "A", "A", "A", "B", "B"]
    zero = targets.assign(revenue_target=0.0)
    zeroed = quota_attainment(orders, zero)
    has_quota = zeroed["quota"].notna()
    assert (zeroed.loc[has_quota, "note"] == "quota is 0").all()
    assert zeroed["attainment"].isna().all()
    with pytest.raises(ValueError, match="week"):
        quota_attainment(orders, targets, freq="week")


def test_quota_attainment_as_of(orders, targets):
    future = pd.concat(
        [
            targets,
            pd.DataFrame(
                {"period": ["2025Q3"], "level": ["rep"], "key": ["R1"], "revenue_target": [9.0]}
            ),
        ]
    )
    # default as_of = latest order date (2025-06-30): the future quarter is left out
    assert quota_attainment(orders, future)["period"].unique().tolist() == ["2025Q1", "2025Q2"]
    mid = run_on_engines(quota_attainment, orders, future, as_of="2025-05-15")
    q2 = mid[mid["period"] == "2025Q2"].set_index("rep_id")
    assert q2["revenue"].to_dict() == {"R1": 400.0, "R2": 100.0, "R4": 0.0}  # G is later
    assert (q2["note"] == "period incomplete at as_of").all()
    share = run_on_engines(share_at_quota, orders, future, as_of="2025-05-15")
    assert pd.isna(share["note"].iloc[0])
    assert share["note"].iloc[1] == "period incomplete at as_of"


def test_share_at_quota(orders, targets, reps):
    out = run_on_engines(share_at_quota, orders, targets)
    assert out["reps_with_quota"].tolist() == [2, 3]
    assert out["reps_at_quota"].tolist() == [1, 1]
    np.testing.assert_allclose(out["share_at_quota"], [0.5, 1 / 3])
    teams = run_on_engines(share_at_quota, orders, targets, by="team", reps=reps)
    got = teams.set_index(["period", "team"])["share_at_quota"]
    assert got.to_dict() == {("2025Q1", "A"): 0.5, ("2025Q2", "A"): 0.5, ("2025Q2", "B"): 0.0}


# -- leaderboard ------------------------------------------------------------------------------
def test_leaderboard_revenue_with_ties_and_movement(orders):
    out = run_on_engines(leaderboard, orders, freq="quarter")
    assert out[["period", "rep_id", "revenue_rank"]].values.tolist() == [
        ["2025Q1", "R1", 1],
        ["2025Q1", "R2", 1],
        ["2025Q2", "R1", 1],
        ["2025Q2", "R3", 2],
        ["2025Q2", "R2", 3],
    ]
    q2 = out[out["period"] == "2025Q2"].set_index("rep_id")
    assert q2.loc["R1", "rank_movement"] == 0 and q2.loc["R2", "rank_movement"] == -2
    assert q2["new_entry"].tolist() == [False, True, False]
    assert out.loc[out["period"] == "2025Q1", "new_entry"].isna().all()


def test_leaderboard_deals_and_attainment(orders, opps, targets, reps):
    out = run_on_engines(
        leaderboard,
        orders,
        freq="quarter",
        opportunities=opps,
        targets=targets,
        reps=reps,
        by="name",
        rank_by="deals_won",
    )
    q1 = out[out["period"] == "2025Q1"]
    assert q1[["rep_id", "deals_won", "deals_won_rank"]].values.tolist() == [
        ["R2", 2, 1],
        ["R1", 0, 2],
    ]
    q2 = out[out["period"] == "2025Q2"].set_index("rep_id")
    assert q2["deals_won_rank"].to_dict() == {"R1": 1, "R2": 2, "R3": 2, "R4": 2}
    assert q2.loc["R4", "revenue"] == 0.0 and q2.loc["R4", "name"] == "Di"
    assert q2["attainment_rank"].to_dict() == pytest.approx(
        {"R1": 2.0, "R2": 1.0, "R3": np.nan, "R4": 3.0}, nan_ok=True
    )
    only = run_on_engines(
        leaderboard, orders, opportunities=opps, period="2025Q2", rank_by="deals_won"
    )
    assert only["period"].unique().tolist() == ["2025Q2"]
    assert only.set_index("rep_id").loc["R2", "rank_prev"] == 1.0  # from Q1, not shown
    with pytest.raises(ValueError, match="opportunities"):
        leaderboard(orders, rank_by="deals_won")


# -- effectiveness ----------------------------------------------------------------------------
def test_rep_effectiveness(orders, opps, activities):
    out = run_on_engines(rep_effectiveness, orders, opps, activities, freq="quarter")
    cell = out.set_index(["period", "rep_id"])
    assert list(cell.index) == [
        ("2025Q1", "R1"),
        ("2025Q1", "R2"),
        ("2025Q2", "R1"),
        ("2025Q2", "R2"),
        ("2025Q2", "R3"),
    ]
    assert cell["orders"].tolist() == [2, 1, 1, 1, 1]
    assert cell["customers_gained"].tolist() == [2, 1, 0, 1, 1]
    assert cell["new_customers"].tolist() == [2, 1, 0, 1, 0]
    assert cell["won_deals"].tolist() == [0, 2, 1, 0, 0]
    np.testing.assert_allclose(cell["win_rate"], [np.nan, 1.0, 0.5, np.nan, np.nan])
    np.testing.assert_allclose(cell["median_cycle_days"], [np.nan, 29.5, 30.0, np.nan, np.nan])
    assert cell.loc[("2025Q1", "R1"), "note"] == "no deals closed"
    assert cell[
        ["activities", "activities_call", "activities_visit", "activities_email"]
    ].values.tolist() == [[2, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 1], [0, 0, 0, 0]]


def test_rep_effectiveness_new_customers_from_acquired_at(orders):
    customers = pd.DataFrame(
        {"customer_id": ["C1", "C2"], "acquired_at": ts("2025-01-01", "2025-05-01")}
    )
    out = run_on_engines(rep_effectiveness, orders, customers=customers, freq="quarter")
    cell = out.set_index(["period", "rep_id"])
    assert cell.loc[("2025Q1", "R1"), "new_customers"] == 1  # C2 only acquired in Q2
    assert cell.loc[("2025Q2", "R3"), "new_customers"] == 1
    assert "win_rate" not in out.columns
    one = rep_effectiveness(orders, period="2025Q2")
    assert one["period"].unique().tolist() == ["2025Q2"]


# -- activities -------------------------------------------------------------------------------
def test_scheduled_visits(activities, reps):
    out = run_on_engines(scheduled_visits, activities, as_of="2025-06-30", days=14, reps=reps)
    assert out["rep_id"].tolist() == ["R1", "R2", "R3", "R4"]
    # R1: 07-02 and 07-14 23:00 (not 07-15); R2: 07-10 (not the as_of day itself)
    assert out["scheduled_visits"].tolist() == [2, 1, 0, 0]
    assert out["next_scheduled_at"].iloc[0] == pd.Timestamp("2025-07-02")
    meetings = run_on_engines(
        scheduled_visits, activities, as_of="2025-06-30", types=("visit", "meeting")
    )
    assert meetings["rep_id"].tolist() == ["R1", "R2", "R3"]
    assert meetings["scheduled_visits"].tolist() == [2, 1, 1]


def test_activity_summary(activities):
    out = run_on_engines(activity_summary, activities, freq="quarter", by="type")
    cell = out.set_index(["period", "type"])
    assert cell.loc[("2025Q1", "call"), "completion_rate"] == 1.0
    assert cell.loc[("2025Q2", "visit"), ["scheduled", "completed"]].tolist() == [1, 0]
    assert cell.loc[("2025Q3", "visit"), "scheduled"] == 4
    assert cell.loc[("2025Q3", "meeting"), "completion_rate"] == 0.0
    email_q1 = cell.loc[("2025Q1", "email")]
    assert email_q1["scheduled"] == 0 and pd.isna(email_q1["completion_rate"])
    assert email_q1["note"] == "nothing scheduled"
    cut = run_on_engines(
        activity_summary, activities, freq="quarter", by="type", as_of="2025-06-30"
    )
    assert cut["period"].unique().tolist() == ["2025Q1", "2025Q2"]


# -- satisfaction -----------------------------------------------------------------------------
def test_employee_satisfaction(satisfaction):
    out = run_on_engines(employee_satisfaction, satisfaction)
    assert out["period"].tolist() == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2"]
    assert out["responses"].tolist() == [1, 0, 0, 0, 3, 3]
    q1, q2 = out.iloc[4], out.iloc[5]
    assert q1["mean_score"] == pytest.approx(25 / 3)
    assert (q1["share_low"], q1["share_mid"], q1["share_high"]) == pytest.approx((1 / 3, 0, 2 / 3))
    assert q1["enps"] == pytest.approx(100 / 3)
    assert q1["enps_ly"] == 0.0 and q1["enps_yoy"] == pytest.approx(100 / 3)
    assert q2["respondents"] == 2 and q2["mean_score"] == 5.0
    assert q2["enps"] == pytest.approx(-200 / 3)
    assert q2["enps_change"] == pytest.approx(-100.0)
    assert out.iloc[1]["note"] == "no responses" and pd.isna(out.iloc[1]["enps"])


def test_employee_satisfaction_by_team(satisfaction, reps):
    out = run_on_engines(
        employee_satisfaction, satisfaction, by="team", reps=reps, comparisons=False
    )
    cell = out.set_index(["period", "team"])
    assert cell.loc[("2025Q1", "A"), "mean_score"] == 7.5
    assert cell.loc[("2025Q1", "A"), "enps"] == 0.0
    assert cell.loc[("2025Q1", "B"), "enps"] == 100.0
    assert cell.loc[("2025Q2", "B"), "note"] == "no responses"
    with pytest.raises(MissingColumnsError, match="reps"):
        employee_satisfaction(satisfaction, by="team")


# -- properties -------------------------------------------------------------------------------
BASE = pd.Timestamp("2024-01-01")
REPS = ["R1", "R2", "R3", "R4"]
TEAMS = pd.DataFrame({"rep_id": REPS, "team": ["A", "A", "B", "B"]})


def on_polars(kpi, *frames, **kwargs):
    """Run ``kpi`` on polars versions of ``frames`` (fast); return a pandas result."""
    pl = pytest.importorskip("polars")
    kwargs = {k: pl.from_pandas(v) if isinstance(v, pd.DataFrame) else v for k, v in kwargs.items()}
    return to_pandas(kpi(*[pl.from_pandas(f) for f in frames], **kwargs))


def shuffled(frame, seed):
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@st.composite
def sales(draw):
    n = draw(st.integers(0, 25))
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(n)],
            "customer_id": [draw(st.sampled_from(["C1", "C2", "C3", "C4"])) for _ in range(n)],
            "rep_id": pd.Series([draw(st.sampled_from(REPS)) for _ in range(n)], dtype=object),
            "order_date": pd.to_datetime(
                pd.Series(
                    [BASE + pd.Timedelta(days=draw(st.integers(0, 364))) for _ in range(n)],
                    dtype="datetime64[ns]",
                )
            ),
            "amount": [float(draw(st.integers(0, 1000))) for _ in range(n)],
        }
    )
    quotas = [
        (q, r, float(draw(st.integers(0, 800))))
        for q in ("2024Q1", "2024Q2", "2024Q3", "2024Q4")
        for r in REPS
        if draw(st.booleans())
    ]
    targets = pd.DataFrame(quotas, columns=["period", "key", "revenue_target"]).assign(level="rep")
    return orders, targets


@PROPS
@given(sales(), st.integers(0, 10_000))
def test_property_quota_and_leaderboard(data, seed):
    orders, targets = data
    att = on_polars(quota_attainment, orders, targets)
    assert (att["attainment"].dropna() >= 0).all()
    share = on_polars(share_at_quota, orders, targets)
    by_team = on_polars(share_at_quota, orders, targets, by="team", reps=TEAMS)
    values = pd.concat([share["share_at_quota"], by_team["share_at_quota"]]).dropna()
    assert ((values >= 0) & (values <= 1)).all()
    for col in ("reps_with_quota", "reps_at_quota"):
        assert (
            by_team.groupby("period")[col].sum().to_dict()
            == share.set_index("period")[col].to_dict()
        )
    board = on_polars(leaderboard, orders, targets=targets)
    for _, group in board.groupby("period"):
        assert group["revenue_rank"].min() == 1
        assert group["revenue_rank"].max() <= len(group)
        top = group.loc[group["revenue_rank"] == 1, "revenue"]
        assert (top == group["revenue"].max()).all()
    assert_frame_equal(
        on_polars(leaderboard, shuffled(orders, seed), targets=shuffled(targets, seed)), board
    )
    assert_frame_equal(on_polars(quota_attainment, shuffled(orders, seed), targets), att)


@st.composite
def activity_tables(draw):
    n = draw(st.integers(0, 30))
    scheduled = [BASE + pd.Timedelta(hours=draw(st.integers(0, 24 * 300))) for _ in range(n)]
    completed = [
        s + pd.Timedelta(hours=draw(st.integers(0, 48))) if draw(st.booleans()) else pd.NaT
        for s in scheduled
    ]
    return pd.DataFrame(
        {
            "activity_id": [f"A{i}" for i in range(n)],
            "rep_id": pd.Series([draw(st.sampled_from(REPS)) for _ in range(n)], dtype=object),
            "type": pd.Series(
                [draw(st.sampled_from(["call", "email", "meeting", "visit"])) for _ in range(n)],
                dtype=object,
            ),
            "scheduled_at": pd.to_datetime(pd.Series(scheduled, dtype="datetime64[ns]")),
            "completed_at": pd.to_datetime(pd.Series(completed, dtype="datetime64[ns]")),
        }
    )


@PROPS
@given(activity_tables(), st.integers(0, 10_000))
def test_property_activity_summary(acts, seed):
    overall = on_polars(activity_summary, acts, freq="month", by=None, comparisons=False)
    by_rep = on_polars(activity_summary, acts, freq="month", by="rep_id", comparisons=False)
    rates = pd.concat([overall["completion_rate"], by_rep["completion_rate"]]).dropna()
    assert ((rates >= 0) & (rates <= 1)).all()
    sums = by_rep.groupby("period")[["scheduled", "completed"]].sum()
    assert sums.to_dict() == overall.set_index("period")[["scheduled", "completed"]].to_dict()
    assert overall["scheduled"].sum() == len(acts)
    visits = on_polars(scheduled_visits, acts, as_of="2024-06-30", days=30)
    assert visits["scheduled_visits"].sum() <= (acts["type"] == "visit").sum()
    assert_frame_equal(
        on_polars(
            activity_summary, shuffled(acts, seed), freq="month", by="rep_id", comparisons=False
        ),
        by_rep,
    )


@st.composite
def surveys(draw):
    n = draw(st.integers(0, 30))
    return pd.DataFrame(
        {
            "rep_id": pd.Series([draw(st.sampled_from(REPS)) for _ in range(n)], dtype=object),
            "survey_date": pd.to_datetime(
                pd.Series(
                    [BASE + pd.Timedelta(days=draw(st.integers(0, 500))) for _ in range(n)],
                    dtype="datetime64[ns]",
                )
            ),
            "score": [float(draw(st.integers(0, 10))) for _ in range(n)],
        }
    )


@PROPS
@given(surveys(), st.integers(0, 10_000))
def test_property_employee_satisfaction(sat, seed):
    overall = on_polars(employee_satisfaction, sat, comparisons=False)
    by_team = on_polars(employee_satisfaction, sat, by="team", reps=TEAMS, comparisons=False)
    for frame in (overall, by_team):
        ok = frame[frame["responses"] > 0]
        total = ok["share_low"] + ok["share_mid"] + ok["share_high"]
        np.testing.assert_allclose(total, 1.0)
        assert ok["enps"].between(-100, 100).all() and ok["mean_score"].between(0, 10).all()
        assert frame.loc[frame["responses"] == 0, "enps"].isna().all()
    assert (
        by_team.groupby("period")["responses"].sum().to_dict()
        == overall.set_index("period")["responses"].to_dict()
    )
    assert_frame_equal(
        on_polars(employee_satisfaction, shuffled(sat, seed), comparisons=False), overall, rtol=1e-9
    )


@settings(max_examples=6, deadline=None)
@given(sales(), activity_tables(), surveys())
def test_property_engines_agree(data, acts, sat):
    orders, targets = data
    run_on_engines(quota_attainment, orders, targets, lazy=False)
    run_on_engines(share_at_quota, orders, targets, by="team", reps=TEAMS, lazy=False)
    run_on_engines(leaderboard, orders, targets=targets, rank_by="attainment", lazy=False)
    run_on_engines(activity_summary, acts, freq="quarter", lazy=False)
    run_on_engines(scheduled_visits, acts, as_of="2024-03-31", days=60, reps=TEAMS, lazy=False)
    run_on_engines(employee_satisfaction, sat, by="team", reps=TEAMS, lazy=False)
    run_on_engines(rep_effectiveness, orders, None, acts, freq="quarter", lazy=False)


def test_duckdb_relations(orders, targets, opps, reps):
    pytest.importorskip("duckdb")
    run_on_engines(quota_attainment, orders, targets, by="team", reps=reps, duckdb=True)
    run_on_engines(leaderboard, orders, opportunities=opps, targets=targets, duckdb=True)
