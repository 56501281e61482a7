"""Plain words on manager pages: model details in a collapsed "Details for analysts" block."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from salesnb import sections


def test_analyst_details_is_a_collapsed_escaped_block():
    table = sections.table(pd.DataFrame({"model": ["<b>x</b>"], "auc": [0.88]}))
    box = sections.analyst_details("*Error* is the miss <i>", table)._repr_html_()
    assert box.startswith(
        '<details class="salesnb-details"><summary>Details for analysts</summary>'
    )
    assert box.endswith("</details>")
    assert "<p><em>Error</em> is the miss &lt;i&gt;</p>" in box
    assert "&lt;b&gt;x&lt;/b&gt;" in box and "<b>x" not in box
    assert " open" not in box  # closed until clicked


def test_holdout_table_has_plain_names_and_two_decimals():
    t = pd.DataFrame(
        {
            "n_customers": [10, 10],
            "mae_spend": [1.5, 2.5],
            "predicted_spend": [100.0, 90.0],
            "actual_spend": [95.0, 95.0],
            "spearman_spend": [0.41234, 0.33333],
            "top_decile_revenue_share": [0.40054, 0.35094],
        },
        index=pd.Index(["BG/NBD + Gamma-Gamma", "naive_baseline"], name="model"),
    )
    out = sections.holdout_table(t)
    text = out.to_string()
    assert "naive_baseline" not in text
    assert out["Model"].tolist()[1].startswith("simple rule (")
    assert out.iloc[0, 5] == "0.41" and out.iloc[0, 6] == "40.1%"


JARGON = re.compile(r"roc.auc|brier|\bhgb\b|baseline True|naive_baseline|wape", re.I)


def _visible_text(page: str) -> str:
    """Text a manager sees without opening anything: no style, script or details blocks."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    page = re.sub(r"<details\b.*?</details>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


@pytest.mark.slow
@pytest.mark.parametrize("page", ["01_leads_conversion", "02_revenue_forecast", "03_customers_clv"])
def test_model_pages_keep_jargon_in_the_details_for_analysts(sample_pack, page):
    html = (Path(sample_pack.out_dir) / f"{page}.html").read_text(encoding="utf-8")
    assert "<summary>Details for analysts</summary>" in html
    assert JARGON.findall(_visible_text(html)) == []


@pytest.mark.slow
def test_orders_page_calls_recent_backorders_orders_in_progress(sample_pack):
    html = (Path(sample_pack.out_dir) / "05_orders_collections_market.html").read_text(
        encoding="utf-8"
    )
    assert "all 59 backorders were placed in the last 6 weeks" in html
    assert "means stock problems" not in html
