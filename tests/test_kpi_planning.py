"""Tests of salesnb.kpi.planning: hand-computed plans, what-ifs, errors, measured inputs."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from salesnb.kpi import PLAN_COLUMNS, quota_plan, quota_plan_from_opportunities
from tests.kpi_engines import run_on_engines


def _base(plan: pd.DataFrame) -> pd.Series:
    rows = plan[plan["base"]]
    assert len(rows) == 1
    return rows.iloc[0]


def test_hand_computed_plan():
    plan = quota_plan(
        100_000,
        win_rate=0.25,
        deal_size=5_000,
        cycle_days=40.5,
        period="2026Q4",
        open_pipeline=250_000,
        booked=10_000,
        as_of="2026-10-01",
    )
    assert list(plan.columns) == list(PLAN_COLUMNS)
    base = _base(plan)
    assert base["remaining_target"] == 90_000  # 100,000 - 10,000 booked
    assert base["deals_to_win"] == 18  # 90,000 / 5,000
    assert base["required_pipeline"] == 360_000  # 90,000 / 0.25
    assert base["required_deals"] == 72
    assert base["coverage_gap"] == 110_000  # 360,000 - 250,000
    assert base["pipeline_to_create"] == 110_000
    assert base["deals_to_create"] == 22
    assert base["create_from"] == pd.Timestamp("2026-08-22")  # 2026-10-01 - 40 days
    assert base["create_by"] == pd.Timestamp("2026-11-21")  # 2026-12-31 - 40 days
    assert base["days_left"] == 51


def test_sensitivity_rows():
    plan = quota_plan(
        100_000,
        win_rate=0.25,
        deal_size=5_000,
        cycle_days=40,
        period="2026Q4",
        open_pipeline=250_000,
        win_rate_changes=(-0.2, 0.2),
        deal_size_changes=(0.1,),
    )
    assert len(plan) == 6  # win rate -20 %, 0, +20 % x deal size 0, +10 %
    assert list(plan["win_rate_change"]) == [-0.2, -0.2, 0.0, 0.0, 0.2, 0.2]
    row = plan[(plan["win_rate_change"] == 0.2) & (plan["deal_size_change"] == 0.1)].iloc[0]
    assert row["win_rate"] == pytest.approx(0.3)
    assert row["deal_size"] == pytest.approx(5_500)
    assert row["required_pipeline"] == pytest.approx(100_000 / 0.3)
    assert row["coverage_gap"] == pytest.approx(100_000 / 0.3 - 250_000)
    assert row["deals_to_create"] == math.ceil((100_000 / 0.3 - 250_000) / 5_500)  # 16
    assert row["deals_to_win"] == 19  # 18.2 rounded up
    assert pd.isna(row["days_left"])  # no as_of


def test_win_rate_capped_surplus_and_target_met():
    plan = quota_plan(
        9_000,
        win_rate=0.9,
        deal_size=1_000,
        cycle_days=0,
        period="2026Q4",
        open_pipeline=20_000,
        win_rate_changes=(0.2,),
        deal_size_changes=(),
    )
    up = plan[plan["win_rate_change"] == 0.2].iloc[0]
    assert up["win_rate"] == 1.0 and up["required_pipeline"] == 9_000
    assert up["coverage_gap"] == -11_000  # more pipeline than needed
    assert up["pipeline_to_create"] == 0 and up["deals_to_create"] == 0
    met = _base(quota_plan(5_000, 0.5, 1_000, 10, period="2026Q4", booked=6_000))
    assert met["remaining_target"] == 0 and met["required_pipeline"] == 0
    assert met["deals_to_create"] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"win_rate": 0}, r"win_rate must be in \(0, 1\] .*got 0; with no deal won"),
        ({"win_rate": 30}, r"win_rate must be in \(0, 1\] .*got 30; pass a fraction, e.g. 0.3"),
        ({"win_rate": -0.1}, r"win_rate must be in \(0, 1\]"),
        ({"target": -5}, r"target must be >= 0 \(revenue to reach in the period\); got -5"),
        ({"target": float("nan")}, r"target must be >= 0 .*got nan"),
        ({"target": "lots"}, r"target must be a number .*got 'lots'"),
        ({"deal_size": 0}, r"deal_size must be > 0 \(average won deal amount\); got 0"),
        ({"cycle_days": -1}, r"cycle_days must be >= 0 .*got -1"),
        ({"open_pipeline": -1}, r"open_pipeline must be >= 0"),
        ({"booked": -1}, r"booked must be >= 0"),
        ({"win_rate_changes": (-1.0,)}, r"win_rate_changes must be relative changes > -1"),
        ({"deal_size_changes": (-1.5,)}, r"deal_size_changes must be relative changes > -1"),
        ({"period": "Q4 2026"}, r"cannot read period label"),
    ],
)
def test_errors_name_value_and_expectation(kwargs, message):
    args = {
        "target": 1_000,
        "win_rate": 0.3,
        "deal_size": 100,
        "cycle_days": 10,
        "period": "2026Q4",
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        quota_plan(**args)


def _ts(values):
    return pd.to_datetime(values)


@pytest.fixture
def opportunities() -> pd.DataFrame:
    """Window 2025Q3-Q4 (as_of 2025-12-31, two quarters); o7 closed before it."""
    return pd.DataFrame(
        {
            "opportunity_id": [f"o{i}" for i in range(1, 11)],
            "rep_id": ["r1", "r1", "r1", "r2", "r2", "r2", "r1", "r1", "r2", "r2"],
            "status": ["won", "won", "lost", "won", "lost", "lost", "won", "open", "open", "open"],
            "amount": [
                1000.0,
                3000.0,
                500.0,
                2000.0,
                800.0,
                900.0,
                99999.0,
                4000.0,
                7000.0,
                1000.0,
            ],
            "created_at": _ts(
                [
                    "2025-07-01",
                    "2025-08-01",
                    "2025-09-01",
                    "2025-10-01",
                    "2025-10-01",
                    "2025-10-01",
                    "2025-01-01",
                    "2025-12-01",
                    "2025-11-01",
                    "2025-11-15",
                ]
            ),
            "closed_at": _ts(
                [
                    "2025-07-21",
                    "2025-09-10",
                    "2025-10-01",
                    "2025-10-31",
                    "2025-11-01",
                    "2025-12-01",
                    "2025-03-01",
                    None,
                    None,
                    None,
                ]
            ),
            "expected_close_date": _ts(
                [None, None, None, None, None, None, None, "2026-02-15", "2026-05-01", "2026-03-31"]
            ),
        }
    )


@pytest.fixture
def targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2026Q1", "2026Q1", "2026Q1"],
            "level": ["rep", "rep", "company"],
            "key": ["r1", "r2", "all"],
            "revenue_target": [10_000.0, 6_000.0, 16_000.0],
        }
    )


@pytest.fixture
def reps() -> pd.DataFrame:
    return pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["A", "A"]})


def _plan(opportunities, targets, **kwargs):
    options = {
        "period": "2026Q1",
        "as_of": "2025-12-31",
        "lookback_quarters": 2,
        "win_rate_changes": (),
        "deal_size_changes": (),
        **kwargs,
    }
    return quota_plan_from_opportunities(opportunities, targets, **options)


def test_measured_per_rep(opportunities, targets):
    plan = _plan(opportunities, targets, by="rep_id")
    assert list(plan.columns) == ["rep_id", *PLAN_COLUMNS]
    r1, r2 = (plan[plan["rep_id"] == r].iloc[0] for r in ("r1", "r2"))
    # r1: won 2 of 3 closed in the window; deal size (1000 + 3000) / 2; cycles 20, 40 days
    assert r1["win_rate"] == pytest.approx(2 / 3)
    assert (r1["deal_size"], r1["cycle_days"]) == (2_000, 30)
    assert r1["open_pipeline"] == 4_000  # o8 expected in 2026Q1
    assert r1["required_pipeline"] == pytest.approx(15_000)  # 10,000 / (2/3)
    assert r1["coverage_gap"] == pytest.approx(11_000)
    assert r1["deals_to_create"] == 6  # 11,000 / 2,000 = 5.5
    assert r1["create_from"] == pd.Timestamp("2025-12-02")  # 2026-01-01 - 30 days
    assert r1["create_by"] == pd.Timestamp("2026-03-01")  # 2026-03-31 - 30 days
    assert r1["days_left"] == 60
    # r2: 1 won of 3; o9 is expected after the quarter, o10 in it
    assert r2["win_rate"] == pytest.approx(1 / 3)
    assert r2["open_pipeline"] == 1_000
    assert r2["required_pipeline"] == pytest.approx(18_000)
    assert r2["deals_to_create"] == 9  # (18,000 - 1,000) / 2,000 = 8.5


def test_measured_per_team_and_company(opportunities, targets, reps):
    team = _base(_plan(opportunities, targets, by="team", reps=reps))
    company = _base(_plan(opportunities, targets))
    for row in (team, company):
        assert row["win_rate"] == 0.5  # 3 won of 6 closed in the window
        assert row["deal_size"] == 2_000 and row["cycle_days"] == 30
        assert row["target"] == 16_000 and row["open_pipeline"] == 5_000
        assert row["coverage_gap"] == 27_000  # 32,000 - 5,000
    assert team["team"] == "A"


def test_target_override_and_missing_inputs(opportunities, targets):
    plan = _plan(opportunities, None, by="rep_id", target={"r1": 2_000})
    r1, r2 = (plan[plan["rep_id"] == r].iloc[0] for r in ("r1", "r2"))
    assert r1["required_pipeline"] == pytest.approx(3_000)
    assert pd.isna(r2["target"]) and pd.isna(r2["required_pipeline"])
    assert r2["note"] == "no target"
    new_rep = opportunities.assign(
        rep_id=opportunities["rep_id"].where(opportunities["opportunity_id"] != "o10", "r3")
    )
    r3 = _plan(new_rep, targets, by="rep_id").set_index("rep_id").loc["r3"]
    assert r3["note"] == "no deals closed in the lookback window"
    assert pd.isna(r3["deals_to_create"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "segment"}, "by must be None, 'region', 'rep_id' or 'team'; got 'segment'"),
        ({"by": "team"}, "by='team' needs reps="),
        ({"lookback_quarters": 0}, "lookback_quarters must be >= 1; got 0"),
        ({"target": -1.0}, r"target must be >= 0 .*got -1.0"),
    ],
)
def test_measured_errors(opportunities, targets, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _plan(opportunities, targets, **kwargs)
    with pytest.raises(ValueError, match="pass targets= .* or target="):
        _plan(opportunities, None)


def test_measured_on_engines(opportunities, targets, reps):
    run_on_engines(
        quota_plan_from_opportunities,
        opportunities,
        targets,
        period="2026Q1",
        as_of="2025-12-31",
        by="team",
        reps=reps,
        lookback_quarters=2,
        duckdb=True,
    )
