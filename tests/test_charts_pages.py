"""Names next to ids in tables and charts, and the layout of the rendered pages."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from salesnb import sections

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
PAGES = [
    "00_executive_summary",
    "01_leads_conversion",
    "02_revenue_forecast",
    "03_customers_clv",
    "04_team_performance",
    "05_orders_collections_market",
]


def test_with_names_puts_id_and_name_in_one_label():
    reps = pd.DataFrame({"rep_id": ["R029", "R030"], "name": ["Irene Nakamura", "Ryan Ward"]})
    sales = SimpleNamespace(tables={"reps": reps})
    frame = pd.DataFrame(
        {"rep_id": ["R030", "R029", "R099"], "name": ["x", "y", "z"], "deals": [1, 2, 3]}
    )
    out = sections.with_names(frame, sales)
    assert list(out.columns) == ["rep", "deals"]
    assert out["rep"].tolist() == ["R030 Ryan Ward", "R029 Irene Nakamura", "R099"]
    assert frame.columns.tolist() == ["rep_id", "name", "deals"]  # no mutation
    customers = pd.DataFrame({"customer_id": ["C1"], "name": ["Union Labs"]})
    named = sections.with_names(
        pd.DataFrame({"customer_id": ["C1"]}),
        SimpleNamespace(tables={"customers": customers}),
        "customer_id",
    )
    assert named["customer"].tolist() == ["C1 Union Labs"]
    with pytest.raises(ValueError, match="rep_id"):
        sections.with_names(frame, sales, "lead_id")


def test_cohort_matrix_labels_rows_with_cohort_size():
    retention = pd.DataFrame(
        {
            "cohort": ["2025Q1"] * 3 + ["2025Q2"] * 2,
            "period_index": [0, 1, 2, 0, 1],
            "customers": [40, 40, 40, 12, 12],
            "retention": [1.0, 0.5, 0.25, 1.0, 0.5],
        }
    )
    matrix = sections.cohort_matrix(retention)
    assert matrix.index.tolist() == ["2025Q1 (40 customers)", "2025Q2 (12 customers)"]
    assert matrix.columns.tolist() == [1, 2]  # quarter 0 (always 100 %) is left out


# -- the rendered sample pack -----------------------------------------------------------------
def _cells(page: str, table_index: int | None = None) -> list[list[str]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    rows = []
    for table in soup.find_all("table", class_="salesnb-table"):
        for tr in table.find_all("tr"):
            rows.append([c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])])
    return rows


def check_team_labels(out_dir: Path) -> None:
    """Every rep in the team page's tables is shown as "<id> <name>", never an id alone."""
    reps = pd.read_csv(SAMPLE / "reps.csv")
    labels = {f"{r.rep_id} {r.name}" for r in reps.itertuples()}
    ids = set(reps["rep_id"])
    page = (out_dir / "04_team_performance.html").read_text(encoding="utf-8")
    cells = [c for row in _cells(page) for c in row]
    assert sum(c in labels for c in cells) >= 30
    assert not [c for c in cells if c in ids], "a rep shown only as an id"
    for name in PAGES:
        page = (out_dir / f"{name}.html").read_text(encoding="utf-8")
        bare = [c for row in _cells(page) for c in row if c in ids]
        assert not bare, (name, bare[:3])


def check_page_layout(out_dir: Path) -> None:
    """Tables scroll inside a box, numbers are right-aligned, text left, one sans-serif."""
    from bs4 import BeautifulSoup

    for name in PAGES:
        page = (out_dir / f"{name}.html").read_text(encoding="utf-8")
        soup = BeautifulSoup(page, "html.parser")
        tables = soup.find_all("table", class_="salesnb-table")
        assert tables, name
        for table in tables:
            assert "salesnb-scroll" in (table.parent.get("class") or []), name
        style = "\n".join(s.get_text() for s in soup.find_all("style"))
        assert re.search(r"footer\.salesnb-footer[^{]*\{[^}]*sans-serif", style, re.S) or re.search(
            r"footer\.salesnb-footer,[^{]*\{\s*font-family:[^}]*sans-serif", style, re.S
        ), name
        assert "td.num" in style and "text-align: right" in style
    team = (out_dir / "04_team_performance.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(team, "html.parser")
    header = soup.find("table", class_="salesnb-table").find_all("tr")[1].find_all("td")
    kinds = ["num" in (c.get("class") or []) for c in header]
    texts = [c.get_text(strip=True) for c in header]
    for text, is_num in zip(texts, kinds, strict=True):
        if text.startswith(("R0", "$")) or text.endswith("%"):
            assert is_num == (not text.startswith("R0")), (text, is_num)


def check_story_charts(out_dir: Path) -> None:
    """The undercut story, the quota line and the cohort sizes are on the pages."""
    market = (out_dir / "05_orders_collections_market.html").read_text(encoding="utf-8")
    assert 'alt="Our list price against each competitor' in market
    assert 'alt="Our orders of Monitor 27 per quarter"' in market
    assert "Our orders of Monitor 27 in 2026Q2–2026Q3: <strong>131</strong>" in market
    assert 'alt="Price index by product' not in market  # the tangle of 12 lines is gone


@pytest.mark.slow
def test_team_page_shows_reps_with_id_and_name(sample_pack):
    check_team_labels(sample_pack.out_dir)


@pytest.mark.slow
def test_pages_align_and_scroll_tables_in_one_font(sample_pack):
    check_page_layout(sample_pack.out_dir)


@pytest.mark.slow
def test_price_story_is_drawn(sample_pack):
    check_story_charts(sample_pack.out_dir)
