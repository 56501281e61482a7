"""The index as a dashboard (salesnb.report.dashboard, index.html.j2 / dashboard.html.j2).

Unit tests of the card and trend-line builders on small inputs; the rendered default
pack (session fixture ``sample_pack``) for the page itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from salesnb.periods import Period
from salesnb.report.dashboard import attention_links, kpi_cards, sparkline_points

Q = Period.parse("2025Q4")
LABELS = [Q.shift(-k).label for k in range(7, -1, -1)]  # 2024Q1 .. 2025Q4


def test_sparkline_scales_lowest_to_bottom_and_highest_to_top():
    pts = sparkline_points([10.0, 30.0, 20.0, 40.0], width=32, height=12, pad=1)
    assert pts == [(1.0, 11.0), (11.0, 4.33), (21.0, 7.67), (31.0, 1.0)]


def test_sparkline_leaves_gaps_and_centres_flat_lines():
    assert sparkline_points([None, 5.0, float("nan"), 5.0], width=32, height=10, pad=1) == [
        (11.0, 5.0),
        (31.0, 5.0),
    ]
    assert sparkline_points([]) == []
    assert sparkline_points([float("nan")] * 3) == []


def test_cards_colour_changes_by_whether_they_are_good_news():
    revenue = pd.Series([100.0, 110, 120, 130, 140, 150, 160, 150], index=LABELS)
    overdue = pd.Series([10.0, 10, 10, 10, 10, 10, 10, 20], index=LABELS)
    win = pd.Series([0.3] * 7 + [0.25], index=LABELS)
    cards = kpi_cards(
        {
            "Revenue": ("money", revenue),
            "Overdue receivables": ("money", overdue),
            "Win rate": ("pct", win),
        },
        Q,
    )
    rev, due, rate = cards
    assert rev.value == "$150"
    # vs 2025Q3 (160): down, bad; vs 2024Q4 (130): up, good
    assert [(c.text, c.css) for c in rev.changes] == [
        ("-6.2%", "change down bad"),
        ("+15.4%", "change up good"),
    ]
    # overdue doubled: up is bad news
    assert [c.css for c in due.changes] == ["change up bad", "change up bad"]
    assert due.good_when == "lower is better"
    # rates change in percentage points
    assert [c.text for c in rate.changes] == ["-5.0 pp", "-5.0 pp"]
    assert [c.arrow for c in rate.changes] == ["▼", "▼"]
    assert len(rev.points.split()) == 8
    assert rev.last_point == tuple(float(v) for v in rev.points.split()[-1].split(","))
    assert rev.trend_text.startswith("Last 8 quarters: 2024Q1 $100, 2024Q2 $110")


def test_cards_skip_kpis_without_a_value_and_say_no_comparison():
    short = pd.Series([5.0], index=[Q.label])
    none = pd.Series([1.0], index=[Q.previous().label])
    cards = kpi_cards({"New leads": ("count", short), "Revenue": ("money", none)}, Q)
    assert [c.name for c in cards] == ["New leads"]
    assert [(c.text, c.css) for c in cards[0].changes] == [
        ("n/a", "change none neutral"),
        ("n/a", "change none neutral"),
    ]
    assert len(cards[0].points.split()) == 1


def test_attention_links_use_anchors_only_when_the_page_has_them(tmp_path):
    (tmp_path / "02_revenue.html").write_text('<h2 id="Revenue-by-region">x</h2>')
    items = [
        {"message": "a", "page": "02_revenue", "section": "Revenue-by-region"},
        {"message": "b", "page": "02_revenue", "section": "Gone"},
        {"message": "c", "page": "09_missing", "section": "X"},
        {"message": "d", "page": "index", "section": "data-quality"},
    ]
    out = attention_links(items, tmp_path, titles={"02_revenue": "Revenue"})
    assert [(o["href"], o["where"]) for o in out] == [
        ("02_revenue.html#Revenue-by-region", "Revenue › Revenue by region"),
        ("02_revenue.html", "Revenue"),
        ("", ""),
        ("#data-quality", "Data quality"),
    ]


# -- the rendered default pack ---------------------------------------------------------
def _index(sample_pack) -> str:
    return Path(sample_pack.index).read_text(encoding="utf-8")


@pytest.mark.slow
def test_index_shows_kpi_cards_with_values_changes_and_trend_lines(sample_pack):
    page = _index(sample_pack)
    cards = re.findall(r'<section class="card">(.*?)</section>', page, flags=re.S)
    assert len(cards) >= 6
    names = [re.search(r"<h3>(.*?)</h3>", c).group(1) for c in cards]
    assert names[0] == "Revenue" and "Overdue receivables" in names
    for card in cards:
        assert re.search(r'<p class="value">[^<]*\d[^<]*</p>', card)
        changes = re.findall(r'<li class="change (up|down|flat|none) (good|bad|neutral)"', card)
        assert len(changes) == 2
        assert "vs last quarter" in card and "vs a year ago" in card
        points = re.search(r'<polyline points="([^"]*)"', card).group(1).split()
        assert len(points) == 8, card
    revenue = cards[0]
    assert re.search(r'class="change (up good|down bad|flat neutral)"', revenue)
    overdue = cards[names.index("Overdue receivables")]
    # the sample's overdue receivables grew: up, and bad news
    assert 'class="change up bad"' in overdue
    assert "<script" not in page.lower()


@pytest.mark.slow
def test_index_attention_items_link_to_anchors_that_exist(sample_pack):
    page = _index(sample_pack)
    block = page.split('<h2 id="attention">', 1)[1].split("</ul>", 1)[0]
    links = re.findall(r'<a class="where" href="([^"#]+)#([^"]+)">', block)
    assert len(links) >= 6
    out = Path(sample_pack.out_dir)
    for file, anchor in links:
        target = (out / file).read_text(encoding="utf-8")
        assert f'id="{anchor}"' in target, (file, anchor)
    assert ("02_revenue_forecast.html", "Revenue-by-region") in links
    assert "fell 6 quarters in a row" in block


@pytest.mark.slow
def test_index_lists_reports_by_title(sample_pack):
    page = _index(sample_pack)
    assert re.search(
        r'<tr class="ok">\s*<td><a href="00_executive_summary.html">Executive summary</a>', page
    )
    assert ">04_team_performance</a>" not in page
    assert '<a href="04_team_performance.html">Team performance</a>' in page
