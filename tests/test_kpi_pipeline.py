"""Tests of salesnb.kpi.pipeline: hand-computed fixtures, engines, properties, real data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from salesnb.kpi._frame import MissingColumnsError
from salesnb.kpi.pipeline import (
    average_deal_size,
    cycle_vs_team,
    lead_conversion_rate,
    new_leads,
    pipeline_coverage,
    sales_cycle_days,
    sales_velocity,
    slipped_deals,
    stage_funnel,
    stale_deals,
    win_rate,
)
from salesnb.schema import STAGES
from salesnb.stages import SalesPipeline
from tests.kpi_engines import run_on_engines, to_pandas

ROOT = Path(__file__).resolve().parents[1]
X_EDUCATION = ROOT.parent / "shared" / "data" / "x_education_leads" / "Leads.csv"

PROPS = settings(max_examples=25, deadline=None)


def ts(*values):
    return pd.to_datetime(list(values), format="ISO8601")


@pytest.fixture
def leads():
    # created / converted (days to convert): L1 20, L3 69, L4 3, L6 9
    return pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
            "source": ["web", "web", "event", "web", "event", None],
            "rep_id": ["R1", "R2", "R1", "R1", "R2", "R2"],
            "created_at": ts(
                "2025-01-05", "2025-01-15", "2025-02-10", "2025-04-02", "2025-05-01", "2025-08-01"
            ),
            "converted_at": ts("2025-01-25", None, "2025-04-20", "2025-04-05", None, "2025-08-10"),
        }
    )


@pytest.fixture
def reps():
    return pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3"],
            "team": ["A", "A", "B"],
            "region": ["North", "South", "South"],
        }
    )


@pytest.fixture
def opps():
    # cycles of closed deals (days): O1 15 (lost), O2 30, O3 30 (lost), O4 40, O7 90
    return pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3", "O4", "O5", "O6", "O7", "O8"],
            "rep_id": ["R1", "R1", "R2", "R2", "R1", "R2", "R1", "R2"],
            "stage": [
                "qualification",
                "negotiation",
                "proposal",
                "negotiation",
                "discovery",
                "proposal",
                "negotiation",
                "qualification",
            ],
            "status": ["lost", "won", "lost", "won", "open", "open", "won", "open"],
            "amount": [100.0, 1000.0, 500.0, 2000.0, 300.0, 800.0, 1500.0, 50.0],
            "created_at": ts(
                "2025-01-05",
                "2025-01-10",
                "2025-02-01",
                "2025-03-01",
                "2025-05-01",
                "2025-06-01",
                "2025-04-01",
                "2025-06-10",
            ),
            "closed_at": ts(
                "2025-01-20",
                "2025-02-09",
                "2025-03-03",
                "2025-04-10",
                None,
                None,
                "2025-06-30",
                None,
            ),
            "expected_close_date": ts(
                None, None, None, None, "2025-06-15", "2025-07-20", None, "2025-06-29"
            ),
            "last_activity_at": ts(None, None, None, None, "2025-05-20", "2025-06-25", None, None),
        }
    )


# -- leads ------------------------------------------------------------------------------------
def test_new_leads_monthly_with_comparisons(leads):
    out = run_on_engines(new_leads, leads, freq="month")
    assert out["period"].tolist() == [
        "2025-01",
        "2025-02",
        "2025-03",
        "2025-04",
        "2025-05",
        "2025-06",
        "2025-07",
        "2025-08",
    ]
    assert out["leads"].tolist() == [2, 1, 0, 1, 1, 0, 0, 1]
    feb, mar, apr = out.iloc[1], out.iloc[2], out.iloc[3]
    assert (feb["leads_prev"], feb["leads_change"], feb["leads_change_pct"]) == (2, -1, -0.5)
    assert (mar["leads_change"], mar["leads_change_pct"]) == (-1, -1.0)
    assert apr["leads_change"] == 1 and math.isnan(apr["leads_change_pct"])  # base 0
    assert out["leads_ly"].isna().all()


def test_new_leads_by_team_joins_reps(leads, reps):
    out = run_on_engines(new_leads, leads, freq="quarter", by="team", reps=reps)
    got = out.set_index(["period", "team"])["leads"].to_dict()
    assert got == {("2025Q1", "A"): 3, ("2025Q2", "A"): 2, ("2025Q3", "A"): 1}


def test_new_leads_year_over_year():
    leads = pd.DataFrame(
        {"lead_id": ["a", "b", "c"], "created_at": ts("2024-03-01", "2025-03-05", "2025-03-06")}
    )
    out = run_on_engines(new_leads, leads, freq="quarter")
    q = out.set_index("period")
    assert q.loc["2025Q1", "leads_ly"] == 1 and q.loc["2025Q1", "leads_yoy"] == 1
    assert q.loc["2025Q1", "leads_yoy_pct"] == 1.0
    assert len(out) == 5  # 2024Q1 .. 2025Q1, empty quarters included


def test_lead_conversion_rate_quarterly(leads):
    out = run_on_engines(lead_conversion_rate, leads, freq="quarter")
    assert out["period"].tolist() == ["2025Q1", "2025Q2", "2025Q3"]
    assert out["leads"].tolist() == [3, 2, 1]
    assert out["converted"].tolist() == [2, 1, 1]
    np.testing.assert_allclose(out["conversion_rate"], [2 / 3, 0.5, 1.0])
    np.testing.assert_allclose(out["conversion_rate_change"], [np.nan, 0.5 - 2 / 3, 0.5])


def test_lead_conversion_rate_within_days(leads):
    out = run_on_engines(lead_conversion_rate, leads, freq="quarter", within_days=30)
    assert out["converted"].tolist() == [1, 1, 1]  # L3 took 69 days


def test_lead_conversion_rate_by_source_marks_empty_cells(leads):
    out = run_on_engines(
        lead_conversion_rate, leads, freq="quarter", by="source", comparisons=False
    )
    assert len(out) == 9  # 3 quarters x (event, web, missing source)
    cell = out.set_index(["period", "source"])
    assert cell.loc[("2025Q1", "web"), "conversion_rate"] == 0.5
    assert cell.loc[("2025Q1", "event"), "conversion_rate"] == 1.0
    empty = out[out["leads"] == 0]
    assert empty["conversion_rate"].isna().all()
    assert (empty["note"] == "no leads").all()
    assert out.loc[out["leads"] > 0, "note"].isna().all()
    null_source = out[out["source"].isna()]
    assert null_source["leads"].tolist() == [0, 0, 1]


def test_lead_conversion_rate_as_of_is_point_in_time(leads):
    out = run_on_engines(
        lead_conversion_rate, leads, freq="quarter", as_of="2025-04-10", comparisons=False
    )
    assert out["period"].tolist() == ["2025Q1", "2025Q2"]
    assert out["leads"].tolist() == [3, 1]
    assert out["converted"].tolist() == [1, 1]  # L3 converts on 2025-04-20, after as_of
    assert pd.isna(out["note"].iloc[0])
    assert out["note"].iloc[1] == "cohort still maturing at as_of"


def test_lead_conversion_rate_flag_only_overall():
    flags = pd.DataFrame(
        {
            "lead_id": list("abcde"),
            "source": ["x", "x", "y", "y", "y"],
            "converted": [True, False, True, True, False],
        }
    )
    out = run_on_engines(lead_conversion_rate, flags, freq=None, by="source")
    assert out["leads"].tolist() == [2, 3]
    np.testing.assert_allclose(out["conversion_rate"], [0.5, 2 / 3])
    with pytest.raises(MissingColumnsError, match="created_at"):
        lead_conversion_rate(flags, freq="quarter")
    with pytest.raises(ValueError, match="converted_at"):
        lead_conversion_rate(
            flags.assign(created_at=pd.Timestamp("2025-01-01")), freq=None, within_days=30
        )


def test_lead_conversion_rate_needs_a_conversion_column():
    bare = pd.DataFrame({"lead_id": ["a"], "created_at": ts("2025-01-01")})
    with pytest.raises(MissingColumnsError, match="converted_at"):
        lead_conversion_rate(bare)


@pytest.mark.skipif(not X_EDUCATION.exists(), reason="../shared/data (X Education) is absent")
def test_lead_conversion_rate_x_education_overall():
    import salesnb

    mapping = Path(__file__).resolve().parents[1] / "data" / "mappings" / "x_education.toml"
    data = salesnb.load(X_EDUCATION.parent, mapping=mapping)
    leads = data.leads
    out = lead_conversion_rate(leads, freq=None)
    assert out["leads"].item() == 9240
    assert out["converted"].item() == 3561
    assert out["conversion_rate"].item() == pytest.approx(3561 / 9240, rel=1e-12)
    by_source = lead_conversion_rate(leads, freq=None, by="source")
    assert by_source["leads"].sum() == 9240 and by_source["converted"].sum() == 3561


# -- funnel, win rate, deal size, cycle -------------------------------------------------------
def test_stage_funnel(opps):
    out = run_on_engines(stage_funnel, opps)
    assert out["step"].tolist() == [*STAGES, "won"]
    assert out["reached"].tolist() == [8, 6, 5, 3, 3]
    np.testing.assert_allclose(out["step_conversion"], [np.nan, 6 / 8, 5 / 6, 3 / 5, 1.0])
    np.testing.assert_allclose(out["overall_conversion"], [1, 6 / 8, 5 / 8, 3 / 8, 3 / 8])


def test_stage_funnel_created_window_and_groups(opps, reps):
    out = run_on_engines(stage_funnel, opps, created_from="2025-03-01", created_to="2025-05-31")
    assert out["reached"].tolist() == [3, 3, 2, 2, 2]
    by_team = run_on_engines(stage_funnel, opps, by="team", reps=reps)
    assert by_team["team"].unique().tolist() == ["A"]
    empty = stage_funnel(opps, created_from="2030-01-01")
    assert empty["reached"].tolist() == [0] * 5
    assert (empty["note"] == "no opportunities").all()


def test_win_rate(opps):
    out = run_on_engines(win_rate, opps, freq="quarter")
    assert out[["won", "lost", "closed"]].values.tolist() == [[1, 2, 3], [2, 0, 2]]
    np.testing.assert_allclose(out["win_rate"], [1 / 3, 1.0])
    assert out["win_rate_change_pct"].iloc[1] == pytest.approx(2.0)
    by_rep = run_on_engines(win_rate, opps, freq="quarter", by="rep_id", comparisons=False)
    np.testing.assert_allclose(by_rep["win_rate"], [0.5, 0.0, 1.0, 1.0])


def test_win_rate_month_gap_has_note(opps):
    out = run_on_engines(win_rate, opps, freq="month", comparisons=False)
    may = out.set_index("period").loc["2025-05"]
    assert may["closed"] == 0 and pd.isna(may["win_rate"]) and may["note"] == "no deals closed"


def test_average_deal_size(opps):
    out = run_on_engines(average_deal_size, opps, freq="quarter")
    assert out["won_deals"].tolist() == [1, 2]
    np.testing.assert_allclose(out["average_deal_size"], [1000.0, 1750.0])
    np.testing.assert_allclose(out["average_deal_size_change"], [np.nan, 750.0])


def test_sales_cycle_days(opps):
    out = run_on_engines(sales_cycle_days, opps)
    row = out.iloc[0]
    assert row["deals"] == 3
    assert row["mean_days"] == pytest.approx(160 / 3)
    assert row["median_days"] == 40.0
    # numpy linear percentiles of [30, 40, 90]
    assert (row["p25_days"], row["p50_days"], row["p75_days"]) == (35.0, 40.0, 65.0)
    assert row["p90_days"] == pytest.approx(80.0)
    both = run_on_engines(sales_cycle_days, opps, status=("won", "lost"), percentiles=(0.5,))
    assert both["deals"].item() == 5 and both["median_days"].item() == 30.0
    assert both["mean_days"].item() == pytest.approx(41.0)
    with pytest.raises(ValueError, match="status"):
        sales_cycle_days(opps, status=("open",))


def test_sales_cycle_days_quarterly(opps):
    out = run_on_engines(sales_cycle_days, opps, freq="quarter", by="rep_id", percentiles=(0.9,))
    cell = out.set_index(["period", "rep_id"])
    assert cell.loc[("2025Q2", "R1"), "median_days"] == 90.0
    assert cell.loc[("2025Q1", "R2"), "deals"] == 0
    assert cell.loc[("2025Q1", "R2"), "note"] == "no closed deals"


def test_cycle_vs_team(opps, reps):
    out = run_on_engines(cycle_vs_team, opps, reps)
    assert out[["team", "rep_id"]].values.tolist() == [["A", "R1"], ["A", "R2"]]
    assert out["median_days"].tolist() == [60.0, 40.0]
    assert out["team_median_days"].tolist() == [40.0, 40.0]
    np.testing.assert_allclose(out["ratio_to_team"], [1.5, 1.0])
    company = run_on_engines(cycle_vs_team, opps)
    assert company["team"].unique().tolist() == ["all"]


def test_sales_velocity(opps):
    out = run_on_engines(sales_velocity, opps, as_of="2025-06-30")
    row = out.iloc[0]
    assert (row["open_deals"], row["open_amount"], row["won"], row["lost"]) == (3, 1150.0, 3, 2)
    assert row["win_rate"] == pytest.approx(0.6)
    assert row["average_deal_size"] == pytest.approx(1500.0)
    assert row["average_cycle_days"] == pytest.approx(160 / 3)
    assert row["velocity_per_day"] == pytest.approx(3 * 0.6 * 1500 / (160 / 3))


def test_sales_velocity_is_point_in_time(opps):
    # at 2025-03-31 O4 (closed 2025-04-10) was still open; the window is Jan-Mar
    out = run_on_engines(sales_velocity, opps, as_of="2025-03-31", lookback_days=90)
    row = out.iloc[0]
    assert (row["open_deals"], row["won"], row["lost"]) == (1, 1, 2)
    assert row["velocity_per_day"] == pytest.approx(1 * (1 / 3) * 1000 / 30)
    by_rep = run_on_engines(sales_velocity, opps, as_of="2025-03-31", lookback_days=90, by="rep_id")
    r2 = by_rep.set_index("rep_id").loc["R2"]
    assert r2["won"] == 0 and pd.isna(r2["velocity_per_day"])
    assert r2["note"] == "no deals won in the lookback window"


@pytest.fixture
def q3_orders():
    return pd.DataFrame(
        {
            "order_id": ["A", "B", "C", "D"],
            "customer_id": ["C1", "C2", "C3", "C1"],
            "rep_id": ["R1", "R2", "R2", "R1"],
            "order_date": ts("2025-07-02", "2025-07-15", "2025-07-16", "2025-07-03"),
            "amount": [1000.0, 400.0, 999.0, 500.0],
            "status": ["fulfilled", "placed", "placed", "cancelled"],
        }
    )


@pytest.fixture
def targets():
    return pd.DataFrame(
        {
            "period": ["2025Q3", "2025Q3", "2025Q3", "2025Q2"],
            "level": ["company", "rep", "rep", "company"],
            "key": ["all", "R1", "R2", "all"],
            "revenue_target": [5000.0, 1000.0, 2000.0, 1.0],
        }
    )


def test_pipeline_coverage_company(opps, targets, q3_orders):
    out = run_on_engines(
        pipeline_coverage, opps, targets, q3_orders, period="2025Q3", as_of="2025-07-15"
    )
    row = out.iloc[0]
    assert (row["key"], row["target"], row["booked"]) == ("all", 5000.0, 1400.0)
    assert row["remaining_target"] == 3600.0
    assert (row["pipeline_deals"], row["pipeline_amount"]) == (1, 800.0)
    assert row["coverage"] == pytest.approx(800 / 3600)


def test_pipeline_coverage_rep_level_and_met_target(opps, targets, q3_orders):
    out = run_on_engines(
        pipeline_coverage,
        opps,
        targets,
        q3_orders,
        period="2025Q3",
        as_of="2025-07-15",
        level="rep",
    )
    r1, r2 = out.iloc[0], out.iloc[1]
    assert r1["remaining_target"] == 0.0 and pd.isna(r1["coverage"])
    assert r1["note"] == "target already met"
    assert r2["coverage"] == pytest.approx(800 / 1600)
    without_orders = run_on_engines(
        pipeline_coverage, opps, targets, period="2025Q3", as_of="2025-07-15", level="rep"
    )
    assert without_orders["booked"].isna().all()
    assert without_orders["remaining_target"].tolist() == [1000.0, 2000.0]


def test_pipeline_coverage_region_via_reps(opps, targets, q3_orders, reps):
    regional = pd.DataFrame(
        {"period": ["2025Q3"], "level": ["region"], "key": ["North"], "revenue_target": [100.0]}
    )
    out = run_on_engines(
        pipeline_coverage,
        opps,
        regional,
        q3_orders,
        period="2025Q3",
        as_of="2025-07-15",
        level="region",
        reps=reps,
    )
    assert out["key"].tolist() == ["North", "South"]
    south = out.iloc[1]
    assert pd.isna(south["target"]) and south["note"] == "no target"
    assert south["pipeline_amount"] == 800.0
    with pytest.raises(ValueError, match="level"):
        pipeline_coverage(opps, targets, period="2025Q3", as_of="2025-07-15", level="team")


# -- stale and slipped ------------------------------------------------------------------------
def test_stale_deals(opps):
    out = run_on_engines(stale_deals, opps, as_of="2025-06-30")
    assert out["opportunity_id"].tolist() == ["O5", "O8"]
    assert out["days_idle"].tolist() == [41, 20]
    assert out["threshold_days"].tolist() == [21.0, 14.0]
    assert out["amount"].sum() == 350.0
    relaxed = stale_deals(opps, as_of="2025-06-30", thresholds={"discovery": 60})
    assert relaxed["opportunity_id"].tolist() == ["O8"]
    with pytest.raises(ValueError, match="unknown stage"):
        stale_deals(opps, as_of="2025-06-30", thresholds={"closing": 3})


def test_stale_deals_summary(opps):
    out = run_on_engines(stale_deals, opps, as_of="2025-06-30", by="rep_id")
    assert out[["rep_id", "open_deals", "stale_deals"]].values.tolist() == [
        ["R1", 1, 1],
        ["R2", 2, 1],
    ]
    assert out["stale_share"].tolist() == [1.0, 0.5]
    assert out["amount_at_risk"].tolist() == [300.0, 50.0]
    assert out["max_days_idle"].tolist() == [41.0, 20.0]


def test_slipped_deals(opps):
    out = run_on_engines(slipped_deals, opps, as_of="2025-06-30")
    assert out["opportunity_id"].tolist() == ["O5", "O8"]
    assert out["days_slipped"].tolist() == [15, 1]
    summary = run_on_engines(slipped_deals, opps, as_of="2025-06-30", by="stage")
    assert summary["stage"].tolist() == ["discovery", "proposal", "qualification"]
    assert summary["slipped_deals"].tolist() == [1, 0, 1]
    assert summary["slipped_amount"].tolist() == [300.0, 0.0, 50.0]
    # the expected close day itself has not slipped yet
    assert slipped_deals(opps, as_of="2025-06-29")["opportunity_id"].tolist() == ["O5"]


def test_missing_columns_are_named(opps):
    with pytest.raises(MissingColumnsError, match="closed_at"):
        win_rate(opps.drop(columns="closed_at"))
    with pytest.raises(MissingColumnsError, match="team"):
        win_rate(opps, by="team")


def test_inputs_are_not_mutated_and_types_follow_input(opps):
    pl = pytest.importorskip("polars")
    before = opps.copy(deep=True)
    win_rate(opps)
    assert_frame_equal(opps, before)
    assert isinstance(win_rate(pl.from_pandas(opps).lazy()), pl.LazyFrame)


# -- properties -------------------------------------------------------------------------------
BASE = pd.Timestamp("2024-01-01")


@st.composite
def opportunity_tables(draw):
    n = draw(st.integers(0, 25))
    rows = []
    for i in range(n):
        created = BASE + pd.Timedelta(hours=draw(st.integers(0, 24 * 500)))
        status = draw(st.sampled_from(["open", "won", "lost"]))
        stage = "negotiation" if status == "won" else draw(st.sampled_from(STAGES))
        cycle = pd.Timedelta(hours=draw(st.integers(1, 24 * 200)))
        closed = created + cycle if status != "open" else pd.NaT
        rows.append(
            {
                "opportunity_id": f"O{i}",
                "rep_id": draw(st.sampled_from(["R1", "R2", "R3"])),
                "stage": stage,
                "status": status,
                "amount": float(draw(st.integers(0, 10_000))),
                "created_at": created,
                "closed_at": closed,
                "expected_close_date": (
                    created + pd.Timedelta(days=draw(st.integers(0, 120)))
                ).normalize(),
                "last_activity_at": created + pd.Timedelta(days=draw(st.integers(0, 60))),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "opportunity_id",
            "rep_id",
            "stage",
            "status",
            "amount",
            "created_at",
            "closed_at",
            "expected_close_date",
            "last_activity_at",
        ],
    )
    for c in ("created_at", "closed_at", "expected_close_date", "last_activity_at"):
        frame[c] = pd.to_datetime(frame[c])
    frame["amount"] = frame["amount"].astype(float)
    for c in ("opportunity_id", "rep_id", "stage", "status"):
        frame[c] = frame[c].astype(str) if n else frame[c].astype(object)
    return frame


def shuffled(frame, seed):
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def on_polars(kpi, frame, **kwargs):
    """Run ``kpi`` on the polars version of ``frame`` (fast), return a pandas result.

    Properties run on polars for speed; pandas and polars are asserted equal
    by the fixture tests and by ``test_property_engines_agree``.
    """
    pl = pytest.importorskip("polars")
    return to_pandas(kpi(pl.from_pandas(frame), **kwargs))


def in_unit_interval(series):
    values = series.dropna()
    return bool(((values >= 0) & (values <= 1 + 1e-12)).all())


@PROPS
@given(opportunity_tables(), st.integers(0, 10_000))
def test_property_win_rate(frame, seed):
    overall = on_polars(win_rate, frame, freq="quarter", comparisons=False)
    by_rep = on_polars(win_rate, frame, freq="quarter", by="rep_id", comparisons=False)
    assert in_unit_interval(overall["win_rate"]) and in_unit_interval(by_rep["win_rate"])
    sums = by_rep.groupby("period")[["won", "lost"]].sum()
    assert sums.to_dict() == overall.set_index("period")[["won", "lost"]].to_dict()
    assert_frame_equal(
        on_polars(win_rate, shuffled(frame, seed), freq="quarter", comparisons=False), overall
    )


@PROPS
@given(opportunity_tables(), st.integers(0, 10_000))
def test_property_stage_funnel(frame, seed):
    overall = on_polars(stage_funnel, frame)
    reached = overall["reached"].tolist()
    assert reached == sorted(reached, reverse=True)
    assert in_unit_interval(overall["step_conversion"])
    assert in_unit_interval(overall["overall_conversion"])
    by_rep = on_polars(stage_funnel, frame, by="rep_id")
    assert by_rep.groupby("step_index")["reached"].sum().tolist() == (
        reached if len(by_rep) else []
    )
    assert_frame_equal(on_polars(stage_funnel, shuffled(frame, seed)), overall)


@PROPS
@given(opportunity_tables(), st.integers(0, 10_000))
def test_property_cycle_and_deal_size(frame, seed):
    cycle = on_polars(sales_cycle_days, frame, by="rep_id")
    ok = cycle.dropna(subset=["median_days"])
    assert (ok["p25_days"] <= ok["median_days"] + 1e-9).all()
    assert (ok["median_days"] <= ok["p75_days"] + 1e-9).all()
    assert (ok["p75_days"] <= ok["p90_days"] + 1e-9).all()
    overall = on_polars(sales_cycle_days, frame)
    assert cycle["deals"].sum() == overall["deals"].sum()
    size = on_polars(average_deal_size, frame, freq=None)
    won = frame[frame["status"] == "won"]
    assert size["won_amount"].sum() == pytest.approx(won["amount"].sum())
    assert_frame_equal(
        on_polars(sales_cycle_days, shuffled(frame, seed), by="rep_id"), cycle, rtol=1e-9
    )


@PROPS
@given(opportunity_tables(), st.integers(0, 10_000))
def test_property_velocity_stale_slipped(frame, seed):
    as_of = "2025-03-31"
    overall = on_polars(sales_velocity, frame, as_of=as_of)
    by_rep = on_polars(sales_velocity, frame, as_of=as_of, by="rep_id")
    for col in ("open_deals", "won", "lost"):
        assert by_rep[col].sum() == overall[col].sum()
    assert in_unit_interval(by_rep["win_rate"])
    stale = on_polars(stale_deals, frame, as_of=as_of)
    summary = on_polars(stale_deals, frame, as_of=as_of, by="stage")
    assert summary["stale_deals"].sum() == len(stale)
    assert in_unit_interval(summary["stale_share"])
    slipped = on_polars(slipped_deals, frame, as_of=as_of, by="rep_id")
    assert slipped["slipped_deals"].sum() == len(on_polars(slipped_deals, frame, as_of=as_of))
    assert_frame_equal(on_polars(stale_deals, shuffled(frame, seed), as_of=as_of), stale)


@st.composite
def lead_tables(draw):
    n = draw(st.integers(0, 30))
    created = [BASE + pd.Timedelta(hours=draw(st.integers(0, 24 * 400))) for _ in range(n)]
    converted = [
        c + pd.Timedelta(hours=draw(st.integers(1, 24 * 90))) if draw(st.booleans()) else pd.NaT
        for c in created
    ]
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "source": pd.Series(
                [draw(st.sampled_from(["web", "event", "referral"])) for _ in range(n)],
                dtype=object,
            ),
            "created_at": pd.to_datetime(pd.Series(created, dtype="datetime64[ns]")),
            "converted_at": pd.to_datetime(pd.Series(converted, dtype="datetime64[ns]")),
        }
    )


@PROPS
@given(lead_tables(), st.integers(0, 10_000))
def test_property_lead_conversion(frame, seed):
    overall = on_polars(lead_conversion_rate, frame, freq="month", comparisons=False)
    by_source = on_polars(lead_conversion_rate, frame, freq="month", by="source", comparisons=False)
    assert in_unit_interval(overall["conversion_rate"])
    assert in_unit_interval(by_source["conversion_rate"])
    sums = by_source.groupby("period")[["leads", "converted"]].sum()
    assert sums.to_dict() == overall.set_index("period")[["leads", "converted"]].to_dict()
    assert overall["leads"].sum() == len(frame)
    assert on_polars(new_leads, frame, freq="month")["leads"].tolist() == overall["leads"].tolist()
    assert (overall["note"] == "no leads").sum() == (overall["leads"] == 0).sum()
    assert_frame_equal(
        on_polars(lead_conversion_rate, shuffled(frame, seed), freq="month", comparisons=False),
        overall,
    )


@settings(max_examples=10, deadline=None)
@given(opportunity_tables(), lead_tables())
def test_property_engines_agree(frame, leads):
    """pandas and polars give the same results on random tables (nulls, empty groups...)."""
    run_on_engines(win_rate, frame, freq="month", by="rep_id", lazy=False)
    run_on_engines(stage_funnel, frame, by="rep_id", lazy=False)
    run_on_engines(sales_cycle_days, frame, freq="quarter", lazy=False)
    run_on_engines(sales_velocity, frame, as_of="2025-01-31", by="rep_id", lazy=False)
    run_on_engines(stale_deals, frame, as_of="2025-01-31", lazy=False)
    run_on_engines(slipped_deals, frame, as_of="2025-01-31", by="stage", lazy=False)
    run_on_engines(lead_conversion_rate, leads, freq="quarter", by="source", lazy=False)


def test_duckdb_relations(opps, leads):
    pytest.importorskip("duckdb")
    run_on_engines(win_rate, opps, freq="month", by="rep_id", duckdb=True)
    run_on_engines(stage_funnel, opps, duckdb=True)
    run_on_engines(stale_deals, opps, as_of="2025-06-30", duckdb=True)
    run_on_engines(lead_conversion_rate, leads, by="source", within_days=30, duckdb=True)


# -- the company's own pipeline; open deals without amount or created_at ---------------------
CRM = SalesPipeline.from_mapping(
    {
        "stages": [
            {"name": "Prospecting", "rotting_days": 10, "probability": 0.1},
            {"name": "Engaging", "rotting_days": 20},
            {"name": "Closing", "probability": 0.6},
        ],
        "won": ["Won"],
        "lost": ["Lost"],
    }
)


@pytest.fixture
def crm_deals():
    """A CRM export: its own stages (any case), outcomes in the stage column, open deals
    without amount (D2, D4, D9) or created_at (D2, D4); D4 has no date at all to measure
    idle time; D9 is created after 2025-06-30; D10 is an open deal without a stage."""
    return pd.DataFrame(
        {
            "opportunity_id": [f"D{i}" for i in range(1, 11)],
            "rep_id": ["R1", "R1", "R2", "R2", "R1", "R2", "R2", "R1", "R1", "R2"],
            "stage": [
                "prospecting",
                "Engaging ",
                "CLOSING",
                "Prospecting",
                "Won",
                None,
                "Closing",
                "Engaging",
                "Closing",
                None,
            ],
            "status": ["open"] * 4 + ["won", "lost", "lost", "won", "open", "open"],
            "amount": [100.0, None, 500.0, None, 1000.0, 200.0, 300.0, 800.0, None, 40.0],
            "created_at": ts(
                "2025-06-01",
                None,
                "2025-05-01",
                None,
                "2025-01-01",
                "2025-02-01",
                "2025-01-15",
                "2025-03-01",
                "2025-07-10",
                "2025-05-01",
            ),
            "closed_at": ts(
                None,
                None,
                None,
                None,
                "2025-03-01",
                "2025-04-01",
                "2025-05-01",
                "2025-05-15",
                None,
                None,
            ),
            "expected_close_date": ts(
                "2025-07-15",
                "2025-06-20",
                "2025-08-10",
                "2025-08-20",
                None,
                None,
                None,
                None,
                "2025-09-01",
                "2025-06-25",
            ),
            "last_activity_at": ts(
                "2025-06-10",
                "2025-06-05",
                "2025-06-15",
                None,
                None,
                None,
                None,
                None,
                None,
                "2025-05-20",
            ),
        }
    )


def test_stage_funnel_own_pipeline(crm_deals):
    # step index: D1 0, D2 1, D3 2, D4 0, D5 won, D6 lost without stage 0, D7 2, D8 won,
    # D9 2, D10 open without stage 0
    out = run_on_engines(stage_funnel, crm_deals, pipeline=CRM, duckdb=True)
    assert out["step"].tolist() == ["Prospecting", "Engaging", "Closing", "won"]
    assert out["reached"].tolist() == [10, 6, 5, 2]
    np.testing.assert_allclose(out["step_conversion"], [np.nan, 6 / 10, 5 / 6, 2 / 5])
    np.testing.assert_allclose(out["overall_conversion"], [1, 6 / 10, 5 / 10, 2 / 10])
    # created_to keeps the undated open deals D2, D4 and drops D9 (created later)
    upto = run_on_engines(stage_funnel, crm_deals, pipeline=CRM, created_to="2025-06-30")
    assert upto["reached"].tolist() == [9, 5, 4, 2]
    # created_from cannot place D2, D4: left out, as are D5, D6, D7 (created earlier)
    since = run_on_engines(stage_funnel, crm_deals, pipeline=CRM, created_from="2025-03-01")
    assert since["reached"].tolist() == [5, 3, 3, 1]
    by_rep = run_on_engines(stage_funnel, crm_deals, pipeline=CRM, by="rep_id")
    assert by_rep.groupby("step_index")["reached"].sum().tolist() == [10, 6, 5, 2]


def test_stage_funnel_refuses_stages_the_pipeline_lacks(crm_deals):
    with pytest.raises(ValueError, match=r"not stages of the pipeline: \['CLOSING', 'Closing'"):
        stage_funnel(crm_deals)
    with pytest.raises(ValueError, match="qualification, discovery, proposal, negotiation"):
        stage_funnel(crm_deals)


def test_stale_deals_own_pipeline(crm_deals):
    # open and created by 2025-06-30: D1 (idle 20 > 10), D2 (25 > 20, no amount),
    # D3 (15; Closing has no rotting days and no default: 30), D4 (no date: not judged),
    # D10 (no stage: default 30, idle 41)
    out = run_on_engines(stale_deals, crm_deals, as_of="2025-06-30", pipeline=CRM, duckdb=True)
    assert out["opportunity_id"].tolist() == ["D10", "D2", "D1"]
    assert out["days_idle"].tolist() == [41, 25, 20]
    assert out["threshold_days"].tolist() == [30.0, 20.0, 10.0]
    assert out["amount"].isna().tolist() == [False, True, False]
    assert out["amount"].sum() == 140.0
    summary = run_on_engines(
        stale_deals, crm_deals, as_of="2025-06-30", pipeline=CRM, by="rep_id", duckdb=True
    )
    assert summary.to_dict("list") == {
        "rep_id": ["R1", "R2"],
        "open_deals": [2, 3],
        "stale_deals": [2, 1],
        "stale_share": [1.0, 1 / 3],
        "amount_at_risk": [100.0, 40.0],
        "max_days_idle": [25.0, 41.0],
        "stale_without_amount": [1, 0],
        "undated_deals": [0, 1],
    }


def test_stale_thresholds_precedence(crm_deals):
    def stale(**kwargs):
        return stale_deals(crm_deals, as_of="2025-06-30", pipeline=CRM, **kwargs)[
            "opportunity_id"
        ].tolist()

    # explicit thresholds (any case) beat the pipeline's rotting days
    assert stale(thresholds={"prospecting": 30}) == ["D10", "D2"]
    assert stale(thresholds={"CLOSING": 14}) == ["D10", "D2", "D1", "D3"]
    # default_days: stages with no threshold at all, and deals without a stage
    assert stale(default_days=12) == ["D10", "D2", "D1", "D3"]
    assert stale(default_days=45) == ["D2", "D1"]
    with pytest.raises(ValueError, match="unknown stage"):
        stale(thresholds={"qualification": 3})
    with pytest.raises(ValueError, match="default_days"):
        stale(default_days=0)
    # a stage named like a contract stage keeps its default (discovery: 21 days)
    named = SalesPipeline.from_mapping({"stages": ["Discovery", "Closing"]})
    deals = crm_deals.assign(stage=["Closing", "discovery"] * 5)
    out = stale_deals(deals, as_of="2025-06-30", pipeline=named, default_days=19)
    assert dict(zip(out["opportunity_id"], out["threshold_days"], strict=True)) == {
        "D10": 21.0,
        "D2": 21.0,
        "D1": 19.0,
    }


def test_slipped_deals_without_amount_or_created_at(crm_deals):
    # D2 (no amount, no created_at) slipped 10 days, D10 5 days; D4 has no expected date
    out = run_on_engines(slipped_deals, crm_deals, as_of="2025-06-30", duckdb=True)
    assert out["opportunity_id"].tolist() == ["D2", "D10"]
    assert out["days_slipped"].tolist() == [10, 5]
    summary = run_on_engines(slipped_deals, crm_deals, as_of="2025-06-30", by="rep_id")
    assert summary[["open_deals", "slipped_deals", "slipped_without_amount"]].values.tolist() == [
        [2, 1, 1],
        [3, 1, 0],
    ]
    assert summary["slipped_amount"].tolist() == [0.0, 40.0]
    assert summary["mean_days_slipped"].tolist() == [10.0, 5.0]


def test_pipeline_coverage_counts_deals_without_amount(crm_deals):
    # open at 2025-07-15, expected in Q3: D1 100, D3 500, D4 (no amount, no created_at),
    # D9 (no amount)
    targets = pd.DataFrame(
        {"period": ["2025Q3"], "level": ["company"], "key": ["all"], "revenue_target": [3000.0]}
    )
    out = run_on_engines(
        pipeline_coverage, crm_deals, targets, period="2025Q3", as_of="2025-07-15", duckdb=True
    )
    row = out.iloc[0]
    assert (row["pipeline_deals"], row["pipeline_amount"], row["deals_without_amount"]) == (
        4,
        600.0,
        2,
    )
    assert row["coverage"] == pytest.approx(600 / 3000)


def test_sales_velocity_counts_open_deals_without_amount(crm_deals):
    # open at 2025-06-30: D1, D2, D3, D4, D10 (D2, D4 without amount or created_at);
    # closed in the window: D5 won 1000 in 59 days, D8 won 800 in 75 days, D6 and D7 lost
    out = run_on_engines(sales_velocity, crm_deals, as_of="2025-06-30", duckdb=True)
    row = out.iloc[0]
    assert (row["open_deals"], row["open_amount"], row["open_without_amount"]) == (5, 640.0, 2)
    assert (row["won"], row["lost"], row["average_deal_size"]) == (2, 2, 900.0)
    assert row["average_cycle_days"] == pytest.approx(67.0)
    assert row["velocity_per_day"] == pytest.approx(5 * 0.5 * 900 / 67)


def test_nan_amounts_on_polars_are_missing(crm_deals):
    pl = pytest.importorskip("polars")
    frame = pl.from_pandas(crm_deals).with_columns(pl.col("amount").fill_null(float("nan")))
    out = to_pandas(sales_velocity(frame, as_of="2025-06-30"))
    assert (out["open_amount"].item(), out["open_without_amount"].item()) == (640.0, 2)
    summary = to_pandas(stale_deals(frame, as_of="2025-06-30", pipeline=CRM, by="rep_id"))
    assert summary["amount_at_risk"].tolist() == [100.0, 40.0]


def test_attention_stale_rule_uses_the_data_pipeline(crm_deals):
    from types import SimpleNamespace

    from salesnb.sections.needs_attention import _slipped_deal_items, _stale_deal_items

    sales = SimpleNamespace(
        tables={"opportunities": crm_deals}, opportunities=crm_deals, pipeline=CRM
    )
    as_of = pd.Timestamp("2025-06-30")
    (item,) = _stale_deal_items(sales, as_of, currency="$")
    assert item["subject"] == "3 deals"
    assert item["message"] == (
        "3 open deals worth $140 have had no activity for longer than their stage allows "
        "(longest idle: 41 days) (1 of them have no value). 1 open deals have no creation "
        "or activity date: whether they are stale cannot be told. Rule: an open deal with no "
        "activity or stage change for longer than its stage allows, at 2025-06-30."
    )
    (slipped,) = _slipped_deal_items(sales, as_of, currency="$")
    assert slipped["message"].endswith(
        "expected close date (1 of them have no value). Rule: a deal still open at "
        "2025-06-30 after its expected close date."
    )
    wrong = SimpleNamespace(tables=sales.tables, opportunities=crm_deals, pipeline=None)
    (refused,) = _stale_deal_items(wrong, as_of, currency="$")
    assert (
        refused["subject"] == "not checked" and "not stages of the pipeline" in refused["message"]
    )
