"""Market: competitors whose prices undercut our list prices."""

from __future__ import annotations

import pandas as pd

from salesnb.periods import Period
from salesnb.sections.thresholds import UNDERCUT_THRESHOLD

__all__ = [
    "competitor_undercuts",
]


def competitor_undercuts(
    products: pd.DataFrame,
    competitor_prices: pd.DataFrame,
    period: Period,
    *,
    threshold: float = UNDERCUT_THRESHOLD,
) -> pd.DataFrame:
    """Competitors whose average price in ``period`` is more than ``threshold`` below ours.

    Per product and competitor, the mean of the prices observed in the period
    is compared with our ``list_price``: ``gap_pct = 1 - price / list_price``.
    Averaging over a competitor's observations keeps one promotional price
    from raising an alarm.

    Returns
    -------
    pandas.DataFrame
        ``product, competitor, price, list_price, gap_pct``, largest gap first.

    >>> products = pd.DataFrame({"product": ["A"], "list_price": [100.0]})
    >>> prices = pd.DataFrame({"observed_date": pd.to_datetime(["2025-07-01", "2025-08-01",
    ...                                                        "2025-08-01"]),
    ...                        "product": ["A", "A", "A"], "competitor": ["X", "X", "Y"],
    ...                        "price": [80.0, 90.0, 95.0]})
    >>> competitor_undercuts(products, prices, Period.parse("2025Q3"))[["competitor", "gap_pct"]]
      competitor  gap_pct
    0          X     0.15
    """
    from salesnb.sections.engine_inputs import collect

    cols = ["product", "competitor", "price", "list_price", "gap_pct"]
    products, competitor_prices = collect(products), collect(competitor_prices)  # small tables
    obs = competitor_prices.loc[
        (competitor_prices["observed_date"] >= period.start)
        & (competitor_prices["observed_date"] < period.end)
    ]
    if obs.empty:
        return pd.DataFrame(columns=cols)
    mean = obs.groupby(["product", "competitor"], as_index=False)["price"].mean()
    merged = mean.merge(products[["product", "list_price"]], on="product", how="inner")
    merged = merged.loc[merged["list_price"] > 0]
    merged["gap_pct"] = 1 - merged["price"] / merged["list_price"]
    hits = merged.loc[merged["gap_pct"] > threshold, cols]
    return hits.sort_values("gap_pct", ascending=False).reset_index(drop=True)
