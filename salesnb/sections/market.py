"""Market: competitors whose prices undercut our list prices."""

from __future__ import annotations

import pandas as pd

from salesnb.periods import Period
from salesnb.sections.thresholds import UNDERCUT_THRESHOLD

__all__ = [
    "competitor_undercuts",
    "competitor_price_panels",
    "product_orders",
    "product_orders_sentence",
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


def _quarters(period: Period, last: int) -> list[Period]:
    return [period.shift(-k) for k in range(last - 1, -1, -1)]


def competitor_price_panels(
    products: pd.DataFrame, competitor_prices: pd.DataFrame, period: Period, *, last: int = 8
) -> pd.DataFrame:
    """Each competitor's price against ours, per product and quarter, for small multiples.

    ``price_index = 100 * list_price / mean observed price`` of the competitor in the
    quarter (the same orientation as :func:`salesnb.kpi.price_index`: 100 = parity,
    above 100 = we are dearer, i.e. the competitor is cheaper). The ``last`` quarters up
    to ``period``; products without a list price have no rows.

    Returns
    -------
    pandas.DataFrame
        ``period, product, competitor, price, list_price, price_index``.

    >>> products = pd.DataFrame({"product": ["A"], "list_price": [100.0]})
    >>> prices = pd.DataFrame({"observed_date": pd.to_datetime(["2025-05-01", "2025-08-01"]),
    ...                        "product": ["A", "A"], "competitor": ["X", "X"],
    ...                        "price": [100.0, 80.0]})
    >>> competitor_price_panels(products, prices, Period.parse("2025Q3"), last=2)[
    ...     ["period", "price_index"]]
       period  price_index
    0  2025Q2        100.0
    1  2025Q3        125.0
    """
    from salesnb.sections.engine_inputs import collect

    cols = ["period", "product", "competitor", "price", "list_price", "price_index"]
    products, competitor_prices = collect(products), collect(competitor_prices)  # small tables
    parts = []
    for q in _quarters(period, last):
        obs = competitor_prices.loc[
            (competitor_prices["observed_date"] >= q.start)
            & (competitor_prices["observed_date"] < q.end)
        ]
        if len(obs):
            mean = obs.groupby(["product", "competitor"], as_index=False)["price"].mean()
            parts.append(mean.assign(period=q.label))
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True).merge(
        products[["product", "list_price"]], on="product", how="inner"
    )
    out = out.loc[(out["list_price"] > 0) & (out["price"] > 0)]
    out["price_index"] = 100 * out["list_price"] / out["price"]
    return out[cols].reset_index(drop=True)


def product_orders(orders: pd.DataFrame, product: str, period: Period, *, last: int = 8):
    """Our orders of one product per quarter, the ``last`` quarters up to ``period``.

    Returns
    -------
    pandas.DataFrame
        ``period, orders, units`` (a quarter without orders has 0), one row per quarter.

    >>> o = pd.DataFrame({"order_date": pd.to_datetime(["2025-08-01", "2025-08-02"]),
    ...                   "product": ["A", "B"], "quantity": [2, 1]})
    >>> product_orders(o, "A", Period.parse("2025Q3"), last=2).to_dict("list")
    {'period': ['2025Q2', '2025Q3'], 'orders': [0, 1], 'units': [0, 2]}
    """
    import narwhals as nw

    from salesnb.sections.engine_inputs import collect

    table = nw.from_native(orders)
    keep = [c for c in ("order_date", "quantity") if c in table.collect_schema().names()]
    picked = collect(table.filter(nw.col("product") == str(product)).select(keep).to_native())
    rows = []
    for q in _quarters(period, last):
        inside = picked.loc[(picked["order_date"] >= q.start) & (picked["order_date"] < q.end)]
        units = int(inside["quantity"].sum()) if "quantity" in inside.columns else len(inside)
        rows.append({"period": q.label, "orders": int(len(inside)), "units": units})
    return pd.DataFrame(rows, columns=["period", "orders", "units"])


def product_orders_sentence(bought: pd.DataFrame, product: str, *, quarters: int = 2) -> str:
    """Our orders of ``product`` in the last ``quarters`` quarters of ``bought`` (from
    :func:`product_orders`) against the same quarters a year earlier.

    >>> b = pd.DataFrame({"period": [f"2025Q{q}" for q in (1, 2, 3, 4)]
    ...                   + [f"2026Q{q}" for q in (1, 2, 3, 4)],
    ...                   "orders": [9, 9, 86, 86, 9, 9, 60, 71]})
    >>> product_orders_sentence(b, "Monitor 27")
    'Our orders of Monitor 27 in 2026Q3–2026Q4: **131**, against 172 a year earlier (-23.8%).'
    """
    from salesnb.sections.format import fmt_change, fmt_number, md_escape, period_text

    if len(bought) < quarters + 4:
        return ""
    now = bought.tail(quarters)
    before = bought.iloc[-quarters - 4 : -4]
    recent, earlier = int(now["orders"].sum()), int(before["orders"].sum())
    first, last = (period_text(p) for p in (now["period"].iloc[0], now["period"].iloc[-1]))
    span = first + ("" if quarters == 1 else f"–{last}")
    change = fmt_change(recent, earlier) if earlier else "n/a"
    return (
        f"Our orders of {md_escape(product)} in {span}: **{fmt_number(recent)}**, against "
        f"{fmt_number(earlier)} a year earlier ({change})."
    )
