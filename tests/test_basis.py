"""Tests of the revenue basis (salesnb.load.basis, SalesData.revenue_lines) and of the
notes that keep a pack honest (salesnb.sections.data_notes, the rows-not-loaded rule).

Hand-computed fixtures; the opportunities-only pack is in tests/test_notebooks.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import salesnb
from salesnb import sections
from salesnb.load import SalesData
from salesnb.load.basis import (
    choose_basis,
    fill_region,
    revenue_lines,
    undated_won_deals,
    won_deal_lines,
)
from salesnb.periods import Period

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
AS_OF = pd.Timestamp("2025-09-30")
Q3 = Period.parse("2025Q3")


def ts(*values):
    return pd.to_datetime(list(values), format="ISO8601")


@pytest.fixture
def reps():
    return pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3"],
            "name": ["Ann", "Bo", "Cy"],
            "team": ["A", "A", "B"],
            "region": ["West", None, "East"],
        }
    )


@pytest.fixture
def customers():
    return pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "region": ["North", "South", None]})


@pytest.fixture
def opportunities():
    """Six deals: four won (one without a close date), one lost, one open."""
    return pd.DataFrame(
        {
            "opportunity_id": ["D1", "D2", "D3", "D4", "D5", "D6"],
            "customer_id": ["C1", "C2", "C3", "C1", "C2", "C1"],
            "rep_id": ["R1", "R2", "R2", "R3", "R1", "R1"],
            "product": ["P", "Q", "P", "Q", "P", "P"],
            "created_at": ts(
                "2025-06-01", "2025-06-02", "2025-06-03", "2025-06-04", "2025-06-05", "2025-07-01"
            ),
            "stage": ["negotiation"] * 6,
            "status": ["won", "won", "won", "won", "lost", "open"],
            "amount": [100.0, 200.0, 300.0, 400.0, 500.0, 600.0],
            "closed_at": ts(
                "2025-07-03 15:20", "2025-08-10 09:00", "2025-09-30 23:59", None, "2025-07-15", None
            ),
        }
    )


def _sales(**tables) -> SalesData:
    setting = tables.pop("revenue_setting", "auto")
    return SalesData(
        tables={k: v for k, v in tables.items() if v is not None},
        as_of=AS_OF,
        revenue_setting=setting,
    )


# -- basis choice ----------------------------------------------------------------------------
def test_auto_basis_is_orders_when_there_are_orders_else_won_deals(opportunities):
    orders = pd.DataFrame({"order_id": ["O1"], "amount": [1.0]})
    assert choose_basis({"orders": orders, "opportunities": opportunities}) == "orders"
    assert choose_basis({"opportunities": opportunities}) == "won_deals"
    assert choose_basis({"orders": orders.iloc[0:0], "opportunities": opportunities}) == "won_deals"
    assert choose_basis({"orders": orders}, "won_deals") == "won_deals"
    assert choose_basis({}, "orders") == "orders"
    with pytest.raises(ValueError, match="revenue basis 'deals'"):
        choose_basis({}, "deals")


def test_sales_data_reads_the_setting_and_filter_keeps_the_basis(opportunities, reps):
    orders = pd.DataFrame(
        {
            "order_id": ["O1"],
            "customer_id": ["C1"],
            "order_date": ts("2025-07-01"),
            "region": ["East"],
            "amount": [5.0],
        }
    )
    sales = _sales(orders=orders, opportunities=opportunities, reps=reps)
    assert sales.revenue_basis == "orders"
    assert sales.revenue_lines is orders  # nothing to fill: the table itself
    # West has no orders: the filtered data keeps the orders basis instead of switching
    west = sales.filter(region="West")
    assert len(west.orders) == 0 and west.revenue_basis == "orders"
    assert sections.missing_requirements(west, ["revenue"]) == ["revenue"]
    asked = _sales(
        orders=orders, opportunities=opportunities, reps=reps, revenue_setting="won_deals"
    )
    assert asked.revenue_basis == "won_deals"
    assert asked.revenue_lines["order_id"].tolist() == ["D1", "D2", "D3"]


def test_mapping_revenue_key_reaches_sales_data():
    if not (SAMPLE / "opportunities.csv").exists():
        pytest.skip("data/sample has not been generated")
    tables = ["reps", "customers", "opportunities", "orders"]
    sales = salesnb.load(SAMPLE, mapping={"revenue": "won_deals"}, tables=tables)
    assert sales.revenue_setting == "won_deals" and sales.revenue_basis == "won_deals"
    assert salesnb.load(SAMPLE, tables=tables).revenue_basis == "orders"
    opps = salesnb.load(SAMPLE, tables=["reps", "customers", "opportunities"])
    assert opps.revenue_basis == "won_deals"


# -- revenue lines from won deals ------------------------------------------------------------
def test_won_deal_lines_formula_and_region_fallback(opportunities, reps, customers):
    lines = won_deal_lines(opportunities, reps=reps, customers=customers)
    assert list(lines.columns) == [
        "order_id",
        "customer_id",
        "order_date",
        "region",
        "rep_id",
        "product",
        "amount",
        "status",
    ]
    # D4 (won, no close date), D5 (lost) and D6 (open) are not revenue
    assert lines["order_id"].tolist() == ["D1", "D2", "D3"]
    assert lines["order_date"].tolist() == list(ts("2025-07-03", "2025-08-10", "2025-09-30"))
    assert lines["amount"].tolist() == [100.0, 200.0, 300.0]
    assert lines["status"].tolist() == ["fulfilled"] * 3
    # D1: rep R1's region; D2: R2 has none -> customer C2's; D3: neither R2 nor C3 has one
    assert lines["region"].tolist()[:2] == ["West", "South"]
    assert pd.isna(lines["region"].iloc[2])
    assert undated_won_deals(opportunities) == 1


def test_a_deals_own_region_comes_first(opportunities, reps, customers):
    opps = opportunities.assign(region=["Central", None, None, None, None, None])
    lines = won_deal_lines(opps, reps=reps, customers=customers)
    assert lines["region"].tolist()[:2] == ["Central", "South"]


def test_won_deal_lines_without_reps_customers_or_close_dates(opportunities):
    lines = won_deal_lines(opportunities)
    assert lines["region"].isna().all() and len(lines) == 3
    undated = won_deal_lines(opportunities.drop(columns=["closed_at"]))
    assert len(undated) == 0 and "order_date" in undated.columns
    assert undated_won_deals(opportunities.drop(columns=["closed_at"])) == 4
    no_customer = won_deal_lines(opportunities.drop(columns=["customer_id"]))
    assert no_customer["customer_id"].isna().all()


def test_order_regions_are_filled_only_where_missing(reps, customers):
    orders = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "customer_id": ["C1", "C2", "C3", "C1"],
            "rep_id": ["R1", "R2", "R2", None],
            "region": ["East", None, None, None],
        }
    )
    filled = fill_region(orders, reps=reps, customers=customers)
    assert filled["region"].tolist()[:2] == ["East", "South"]
    assert pd.isna(filled["region"].iloc[2])
    assert filled["region"].iloc[3] == "North"
    assert orders["region"].tolist()[1] is None  # input untouched
    without = fill_region(orders.drop(columns=["region"]), reps=reps, customers=customers)
    assert without["region"].tolist()[:2] == ["West", "South"]
    complete = orders.assign(region="East")
    assert fill_region(complete, reps=reps) is complete
    assert revenue_lines({"reps": reps}, "orders") is None
    with pytest.raises(ValueError, match="expected 'orders' or 'won_deals'"):
        revenue_lines({}, "auto")


def test_revenue_lines_are_built_once_per_set_of_tables(opportunities, reps):
    sales = _sales(opportunities=opportunities, reps=reps)
    first = sales.revenue_lines
    assert sales.revenue_lines is first
    sales.tables["opportunities"] = opportunities.iloc[:1]
    assert sales.revenue_lines["order_id"].tolist() == ["D1"]


# -- sections on the won-deals basis ---------------------------------------------------------
def test_requires_accepts_won_deals_as_the_revenue_table(opportunities, reps, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(sections.guards, "note", shown.append)
    sales = _sales(opportunities=opportunities, reps=reps)
    assert sections.requires(sales, "revenue", what="Leaderboard", columns={"revenue": ["rep_id"]})
    assert sections.missing_requirements(sales, ["revenue"], columns={"revenue": ["channel"]}) == [
        "opportunities.channel"
    ]
    lost_only = _sales(opportunities=opportunities.assign(status="lost"), reps=reps)
    assert not sections.requires(lost_only, "revenue", "targets", what="Revenue against target")
    assert shown == [
        "> **Revenue against target: section unavailable** — needs tables `orders` (or "
        "`opportunities` with won deals), `targets` in the data."
    ]


def test_headline_leaderboard_and_header_on_won_deals(opportunities, reps):
    sales = _sales(opportunities=opportunities, reps=reps)
    head = sections.headline_kpis(sales, Q3).set_index("kpi")
    assert head.loc["Revenue", "value"] == 600.0  # D1 + D2 + D3, closed in 2025Q3
    board = sections.leaderboard(sales, Q3)
    assert board[["rank", "rep_id", "revenue", "deals_won"]].values.tolist() == [
        [1, "R2", 500.0, 2],
        [2, "R1", 100.0, 1],
    ]
    header = sections.report_header(Q3, sales)
    assert header.splitlines()[0].endswith("· all regions · revenue = won deals (CRM)")
    assert "counted from won deals \\(the data has no orders\\)" in header
    assert "1 won deal without a close date is left out." in header
    key = sections.key_tables(sales, Q3)
    assert key["basis"] == "revenue = won deals (CRM)"
    assert {"revenue", "revenue_by_region", "leaderboard"} <= set(key["workbook"])


# -- rows not loaded --------------------------------------------------------------------------
def _rejected(*reasons: str) -> pd.DataFrame:
    return pd.DataFrame({"source_row": range(2, len(reasons) + 2), "reason": list(reasons)})


def test_rejected_note_names_count_and_reasons():
    empty = "amount: required value is empty"
    date = "created_at='31/02/2025': expected a date (ISO 8601, e.g. 2025-07-31)"
    tricky = "lost_reason='a: \\'b\\'': value too long"
    sales = SimpleSales(
        rejected={"opportunities": _rejected(empty, empty, f"{date}; {empty}", tricky, "dup")},
        rows_read={"opportunities": 100},
    )
    assert sections.rejected_reasons(sales.rejected["opportunities"]).to_dict() == {
        "missing amount": 3,
        "created_at: expected a date": 1,
        "lost_reason: value too long": 1,
        "dup": 1,
    }
    assert sections.rejected_note(sales, "opportunities") == (
        "5 opportunities were not loaded (missing amount: 3; created_at: expected a date: 1; "
        "lost_reason: value too long: 1; other reasons: 1) — figures below exclude them."
    )
    one = SimpleSales(rejected={"orders": _rejected(empty)}, rows_read={"orders": 10})
    assert sections.rejected_note(one, "orders").startswith("1 order was not loaded (")
    odd = SimpleSales(rejected={"engagement": _rejected(empty, empty)}, rows_read={})
    assert sections.rejected_note(odd, "engagement").startswith("2 rows of engagement were")
    assert sections.rejected_note(one, "leads") == ""


def test_requires_shows_the_rejected_note_of_each_table_it_uses(opportunities, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(sections.guards, "note", shown.append)
    monkeypatch.setattr(sections.data_notes, "note", shown.append)
    sales = _sales(opportunities=opportunities)
    sales.rejected = {"opportunities": _rejected("amount: required value is empty")}
    sales.rows_read = {"opportunities": 7}
    assert sections.requires(sales, "revenue", what="Revenue")  # won deals -> opportunities
    assert shown == [
        "> **Rows not loaded:** 1 opportunity was not loaded \\(missing amount: 1\\) — figures "
        "below exclude them."
    ]
    shown.clear()
    assert sections.requires(sales, "revenue", what="Revenue", rejected=False)
    assert shown == []


class SimpleSales:
    """Just the attributes the notes read."""

    def __init__(self, rejected, rows_read):
        self.rejected = rejected
        self.rows_read = rows_read


def test_attention_raises_tables_with_more_than_one_percent_rejected(opportunities, reps):
    sales = _sales(opportunities=opportunities, reps=reps)
    sales.rejected = {"opportunities": _rejected(*["amount: required value is empty"] * 2)}
    sales.rows_read = {"opportunities": 150}  # 2 / 150 = 1.3 % > 1 %
    items = sections.attention(sales, Q3)
    raised = items.loc[items["topic"] == "rows not loaded"]
    assert raised["subject"].tolist() == ["opportunities"]
    assert raised["message"].iloc[0] == (
        "2 of 150 opportunities (1.3%) were not loaded (missing amount: 2); every figure from "
        "opportunities excludes them. Rule: more than 1% of a table's rows rejected at load."
    )
    sales.rows_read = {"opportunities": 200}  # exactly 1 %: not raised
    items = sections.attention(sales, Q3)
    assert "rows not loaded" not in set(items["topic"])
    assert sections.rejected_tables(sales).empty


def test_nothing_raised_is_not_said_while_rows_were_rejected():
    clean = SimpleSales(rejected={}, rows_read={})
    assert sections.nothing_raised(clean) == "Nothing raised an alert this quarter."
    lost = SimpleSales(
        rejected={"leads": _rejected("created_at: required value is empty")},
        rows_read={"leads": 1000},
    )
    text = sections.nothing_raised(lost)
    assert "Nothing raised" not in text
    assert "rows were not loaded: 1 lead (missing created_at: 1)" in text


# -- empty inputs -----------------------------------------------------------------------------
def test_open_deal_count_at_a_date(opportunities):
    # at the end of 2025-07-02: D6 is open, D1, D2, D3 and D5 close later (D4 has no date)
    assert sections.open_deal_count(opportunities, as_of="2025-07-02") == 5
    assert sections.open_deal_count(opportunities, as_of="2025-09-30") == 1
    assert sections.open_deal_count(opportunities, as_of="2025-05-31") == 0
    assert sections.open_deal_count(None, as_of="2025-09-30") == 0


def test_an_empty_pipeline_is_said_not_shown_as_zeros(opportunities, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(sections.data_notes, "note", shown.append)
    closed = _sales(opportunities=opportunities.loc[opportunities["status"] != "open"])
    assert not sections.has_open_deals(closed, as_of=AS_OF, what="Stale and slipped deals")
    assert shown == ["> **Stale and slipped deals: no open deals in the data at 2025-09-30.**"]
    shown.clear()
    closed.rejected = {"opportunities": _rejected("amount: required value is empty")}
    assert not sections.has_open_deals(closed, as_of=AS_OF, what="Pipeline")
    assert shown == [
        "> **Pipeline: no open deals in the data at 2025-09-30 \\(1 opportunity was not "
        "loaded, see above\\).**"
    ]
    assert sections.has_open_deals(_sales(opportunities=opportunities), as_of=AS_OF, what="x")


def test_section_availability_counts_won_deals_as_revenue(opportunities, reps):
    from salesnb.sections.availability import enabling_text, section_availability

    table = section_availability(_sales(opportunities=opportunities, reps=reps))
    table = table.set_index(["notebook", "section"])
    assert table.loc[("00_executive_summary", "Revenue in the quarter"), "available"]
    assert table.loc[("04_team_performance", "Leaderboard"), "available"]
    assert not table.loc[("02_revenue_forecast", "Revenue by channel"), "available"]
    lost = _sales(opportunities=opportunities.assign(status="lost"), reps=reps)
    board = section_availability(lost).set_index(["notebook", "section"])
    missing = board.loc[("00_executive_summary", "Leaderboard"), "missing"]
    assert missing == ["revenue"]
    assert enabling_text(missing).endswith("(or table opportunities with won deals)")
