"""The pipeline-dynamics page (06): its section functions, on fixtures and on the sample."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import salesnb
from salesnb import plot, sections
from salesnb.sections import snapshot as snap

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
README = (SAMPLE / "README.md").read_text(encoding="utf-8") if SAMPLE.is_dir() else ""

needs_sample = pytest.mark.skipif(
    not (SAMPLE / "opportunity_history.csv").exists(), reason="data/sample has no deal history"
)


@pytest.fixture(scope="module")
def sample():
    return salesnb.load(SAMPLE)


def _history(rows):
    return pd.DataFrame(
        rows,
        columns=["opportunity_id", "changed_at", "stage", "status", "amount",
                 "expected_close_date"],
    ).assign(
        changed_at=lambda f: pd.to_datetime(f["changed_at"]),
        expected_close_date=lambda f: pd.to_datetime(f["expected_close_date"]),
    )  # fmt: skip


# -- fixtures ---------------------------------------------------------------------------------
def test_quarter_waterfall_counts_deals_created_and_pushed_inside_the_quarter():
    """A single start/end comparison misses B (created and pushed out in the quarter);
    the weekly sum does not, and the steps still add up to the end."""
    history = _history(
        [
            ("A", "2025-06-20", "proposal", "open", 100.0, "2025-07-31"),
            ("A", "2025-07-20", "proposal", "won", 100.0, "2025-07-31"),
            ("B", "2025-07-03", "proposal", "open", 50.0, "2025-08-31"),
            ("B", "2025-08-10", "proposal", "open", 50.0, "2025-10-15"),
            ("C", "2025-08-01", "discovery", "open", 30.0, "2025-09-20"),
        ]
    )
    steps = sections.quarter_waterfall(history, "2025Q3").set_index("step")
    assert steps.loc["start", "value"] == 100.0 and steps.loc["start", "deals"] == 1
    assert steps.loc["new", ["value", "deals"]].tolist() == [80.0, 2]  # B and C
    assert steps.loc["won", "value"] == -100.0
    assert steps.loc["pushed_out", ["value", "deals"]].tolist() == [-50.0, 1]  # B
    assert steps.loc["end", ["value", "deals"]].tolist() == [30.0, 1]  # C
    parts = steps.drop(index=["start", "end"])["value"].sum()
    assert steps.loc["start", "value"] + parts == pytest.approx(steps.loc["end", "value"])
    single = salesnb.kpi.pipeline_waterfall(
        history, start="2025-06-30", end="2025-09-30", window="2025Q3"
    ).set_index("step")
    assert single.loc["pushed_out", "deals"] == 0  # what the weekly sum adds


def test_pushed_out_rule_once_per_deal_and_quarter():
    history = _history(
        [  # D pushed twice in the quarter: once; E moved earlier: not pushed; F closed: not
            ("D", "2025-07-02", "proposal", "open", 10.0, "2025-08-01"),
            ("D", "2025-07-20", "proposal", "open", 10.0, "2025-08-30"),
            ("D", "2025-08-20", "proposal", "open", 12.0, "2025-10-30"),
            ("D", "2025-10-01", "proposal", "open", 12.0, "2025-12-30"),
            ("E", "2025-07-05", "proposal", "open", 20.0, "2025-09-30"),
            ("E", "2025-08-05", "proposal", "open", 20.0, "2025-09-01"),
            ("F", "2025-07-05", "proposal", "open", 40.0, "2025-09-30"),
            ("F", "2025-09-05", "proposal", "lost", 40.0, "2025-12-30"),
        ]
    )
    table = sections.pushed_out_by_quarter(history, "2025Q4", quarters=2)
    assert table.to_dict("records") == [
        {"quarter": "2025Q3", "pushed_deals": 1, "pushed_out": 12.0},
        {"quarter": "2025Q4", "pushed_deals": 0, "pushed_out": 0.0},  # D's ecd was not in Q4
    ]
    assert "2025Q3" in sections.pushed_out_sentence(table)


def test_deals_at_says_which_state_it_shows(sample):
    today, note = sections.deals_at(sample, sample.as_of)
    assert note is None and today is sample.opportunities
    june, note = sections.deals_at(sample, "2026-06-30")
    assert "rebuilt from the deal history" in note
    assert june["created_at"].max() <= pd.Timestamp("2026-07-01")
    opps = sample.opportunities
    closed_later = opps[(opps["closed_at"] > "2026-07-01") & (opps["created_at"] < "2026-06-30")]
    assert len(closed_later)
    again = june.set_index("opportunity_id").loc[closed_later["opportunity_id"]]
    assert set(again["status"]) == {"open"}  # closed since: open as they stood in June
    without = sample.__class__(
        tables={k: v for k, v in sample.tables.items() if k != "opportunity_history"},
        as_of=sample.as_of,
    )
    same, note = sections.deals_at(without, "2026-06-30")
    assert same is without.opportunities and "cannot be rebuilt" in note


def test_waterfall_chart_floats_the_parts_and_labels_them():
    frame = pd.DataFrame(
        {"step": ["start", "new", "won", "zero", "end"], "value": [100.0, 40.0, -60.0, 0.0, 80.0]}
    )
    ax = plot.waterfall_chart(frame, title="Pipeline")
    bars = [(round(p.get_y()), round(p.get_height())) for p in ax.patches]
    assert bars == [(0, 100), (100, 40), (140, -60), (0, 80)]  # the zero part is left out
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["$100", "+$40", "-$60", "$80"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["start", "new", "won", "end"]
    plot.close(ax)


# -- the sample -------------------------------------------------------------------------------
@needs_sample
def test_sample_quarter_waterfall_adds_up(sample):
    for quarter in ("2026Q2", "2026Q3"):
        steps = sections.quarter_waterfall(sample.opportunity_history, quarter).set_index("step")
        parts = steps.drop(index=["start", "end"])
        assert steps.at["start", "value"] + parts["value"].sum() == pytest.approx(
            steps.at["end", "value"], abs=0.01
        )
        deals_in = parts.loc[["new", "reopened", "pulled_in"], "deals"].sum()
        deals_out = parts.loc[["pushed_out", "won", "lost"], "deals"].sum()
        assert steps.at["start", "deals"] + deals_in - deals_out == steps.at["end", "deals"]


@needs_sample
def test_sample_pushed_out_quarter_is_the_planted_one(sample):
    fact = re.search(r"Pushed-out quarter: \*\*(\d{4}Q\d)\*\*: (\d+) deals worth ([\d,]+)", README)
    assert fact, "README fact sheet: pushed-out quarter not found"
    quarter, deals, value = fact.group(1), int(fact.group(2)), float(fact.group(3).replace(",", ""))
    table = sections.pushed_out_by_quarter(sample.opportunity_history, "2026Q3")
    top = table.sort_values("pushed_out").iloc[-1]
    assert (top["quarter"], top["pushed_deals"]) == (quarter, deals)
    assert top["pushed_out"] == pytest.approx(value, abs=1)
    assert f"**{quarter}**" in sections.pushed_out_sentence(table)


@needs_sample
def test_sample_price_led_quarter_is_the_planted_one(sample):
    fact = re.search(r"Revenue bridge \*\*(\d{4}Q\d)\*\* vs (\d{4}Q\d).*?price effect \*\*\+([\d,]+)",
                     README)  # fmt: skip
    assert fact, "README fact sheet: price rise not found"
    table = sections.price_led_quarters(sample.revenue_lines, "2026Q3")
    row = table.set_index("quarter").loc[fact.group(1)]
    assert bool(row["price_led"]) and row["previous"] == fact.group(2)
    assert row["price"] == pytest.approx(float(fact.group(3).replace(",", "")), abs=1)
    assert f"**{fact.group(1)}**" in sections.price_led_sentence(table)


@needs_sample
def test_sample_quota_planner_takes_the_deals_share_of_the_target(sample):
    plan = sections.quota_planner(sample, "2026Q4", as_of=sample.as_of)
    base = plan.base
    company = sample.targets.query("period == '2026Q4' and level == 'company'")["revenue_target"]
    assert 0 < base["target"] < float(company.iloc[0])  # deals bring a part of the revenue
    assert base["required_pipeline"] == pytest.approx(base["target"] / base["win_rate"], rel=1e-6)
    assert base["coverage_gap"] == pytest.approx(
        base["required_pipeline"] - base["open_pipeline"], rel=1e-6
    )
    assert "coverage gap" in plan.sentence and "Won deals brought" in plan.sentence
    assert len(plan.pipeline_by_win_rate) == 5 and plan.deals_grid.shape == (5, 6)


@needs_sample
@pytest.mark.slow
@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_summary_lines_on_an_engine_equal_pandas(sample, engine):
    want = sections.summary_lines(sample, "2026Q3", as_of=sample.as_of)
    assert len(want) == 3
    lazy = snap._on_engine(sample, engine)
    assert sections.summary_lines(lazy, "2026Q3", as_of=sample.as_of) == want


@needs_sample
@pytest.mark.slow
def test_pack_page_shows_both_planted_facts(sample_pack):
    page = (sample_pack.out_dir / "06_pipeline_dynamics.html").read_text(encoding="utf-8")
    pushed = re.search(r"Pushed-out quarter: \*\*(\d{4}Q\d)\*\*", README).group(1)
    price = re.search(r"Revenue bridge \*\*(\d{4}Q\d)\*\*", README).group(1)
    text = re.sub(r"<[^>]+>", " ", page)
    assert re.search(rf"Most deal value pushed out of its quarter:\s+{pushed}", text)
    assert re.search(rf"Growth from price, not volume: in\s+{price}", text)
    assert "coverage gap" in text
    summary = (sample_pack.out_dir / "00_executive_summary.html").read_text(encoding="utf-8")
    assert "Pipeline and growth" in summary and "Coverage gap for" in summary


def test_quota_planner_without_targets_says_what_it_needs(sample):
    """A CRM export without a targets table: no plan and the reason, not an error."""
    no_targets = sample.__class__(
        tables={k: v for k, v in sample.tables.items() if k != "targets"}, as_of=sample.as_of
    )
    plan = sections.quota_planner(no_targets, "2026Q4", as_of=sample.as_of)
    assert plan.base is None and "needs a target" in plan.sentence
    lines = sections.summary_lines(no_targets, "2026Q3", as_of=sample.as_of)
    assert len(lines) == 2 and not any("Coverage gap" in line for line in lines)
    given = sections.quota_planner(no_targets, "2026Q4", as_of=sample.as_of, target=100_000.0)
    assert given.base["target"] == 100_000.0
