"""RFM segment names agree with absolute recency (salesnb.kpi.customers.rfm_scores).

The R score is a quintile among customers; a customer who bought within their
typical purchase interval is never named as lapsed ("Lost", "At risk",
"Hibernating", "Can't lose"), even with the lowest R score.
"""

from __future__ import annotations

import pandas as pd

from salesnb.kpi.customers import rfm_scores
from tests.kpi_engines import run_on_engines

AS_OF = pd.Timestamp("2025-06-30")
LAPSED = {"Lost", "At risk", "Hibernating", "Can't lose"}


def _orders() -> pd.DataFrame:
    rows = []

    def buy(customer: str, *days_before: int) -> None:
        for d in days_before:
            rows.append((f"{customer}-{d}", customer, AS_OF - pd.Timedelta(days=d), 10.0))

    for k in range(8):  # regulars every 60 days, last order 0-7 days ago
        buy(f"R{k}", k, k + 60)
    buy("X", 20, 50)  # every 30 days, last 20 days ago: within the interval
    buy("Y", 40, 50)  # every 10 days, last 40 days ago: lapsed
    buy("Z", 50)  # one order 50 days ago; repeat buyers' median interval is 60 days
    buy("W", 90)  # one order 90 days ago: beyond the median interval
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount"])


def test_customer_within_typical_interval_is_not_named_lapsed():
    out = run_on_engines(rfm_scores, _orders(), as_of=AS_OF, duckdb=True).set_index("customer_id")
    # relative scores are unchanged: X, Y, Z, W have the lowest recency
    assert out.loc[["X", "Y", "Z", "W"], "r_score"].tolist() == [2, 1, 1, 1]
    assert out.loc["X", "segment"] not in LAPSED
    assert out.loc["Z", "segment"] not in LAPSED
    assert out.loc["X", "segment"] == "About to sleep"  # named with R counted as 3
    # beyond their typical interval, the relative name stays
    assert out.loc["Y", "segment"] == "Lost"
    assert out.loc["W", "segment"] == "Lost"


def test_everybody_recent_nobody_lost():
    """A CRM export where every account bought 8-15 days ago, usually every 30 days."""
    rows = []
    for k in range(10):
        last = AS_OF - pd.Timedelta(days=8 + k % 8)
        for j in range(3):
            rows.append((f"{k}-{j}", f"C{k}", last - pd.Timedelta(days=30 * j), 10.0 + k))
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount"])
    out = rfm_scores(orders, as_of=AS_OF)
    assert out["r_score"].min() == 1
    assert not set(out["segment"]) & LAPSED, out[["customer_id", "recency_days", "segment"]]
