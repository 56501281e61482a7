"""Market KPIs: our prices against competitor prices.

Reads ``products`` (``product``, ``list_price``) and ``competitor_prices``
(``observed_date``, ``product``, ``competitor``, ``price``), see
:mod:`salesnb.schema`. Inputs may be pandas or polars DataFrames, polars
LazyFrames or DuckDB relations; the result is of the kind of
``competitor_prices``.

Examples
--------
On the bundled sample company (Corvex is planted to undercut Monitor 27):

>>> import salesnb
>>> from salesnb import kpi
>>> data = salesnb.load(salesnb.SAMPLE_DATA)
>>> p = kpi.price_index(data.products, data.competitor_prices, undercut_threshold=0.10)
>>> print(p.loc[(p["period"] == "2026Q3") & p["undercut"].astype(bool),
...             ["product", "list_price", "min_price", "cheapest_competitor"]]
...       .round(1).to_string(index=False))
   product  list_price  min_price cheapest_competitor
Monitor 27       329.0      285.7              Corvex
"""

from __future__ import annotations

import logging

import narwhals as nw

from salesnb.kpi._frame import (
    PERIOD_START,
    align_backend,
    close_frame,
    finish,
    open_frame,
    ratio,
    require_columns,
    with_period,
)
from salesnb.periods import normalize_freq

__all__ = ["price_index"]

logger = logging.getLogger(__name__)


def price_index(
    products,
    competitor_prices,
    *,
    freq: str = "quarter",
    undercut_threshold: float = 0.0,
    fiscal_year_start: int = 1,
):
    """Price index of our list price against competitor prices, per product and period.

    The period is that of ``observed_date``. Per product and period, over all
    competitor observations in the period:

    - ``list_price``: our current list price (``products`` has no price
      history, so the same price is used in every period);
    - ``competitor_median``: median of the observed prices (all observations,
      so a competitor observed more often weighs more);
    - ``competitors``: distinct competitors observed; ``observations``: rows;
    - ``price_index = 100 * list_price / competitor_median`` (100 = parity,
      above 100 = we are dearer);
    - ``min_price`` and ``cheapest_competitor``: the lowest observed price and
      the competitor who offered it (ties: the first name in alphabetical order);
    - ``cheapest_gap_pct = (list_price - min_price) / list_price``: how far the
      cheapest offer is below our price (negative when above);
    - ``undercut``: True when ``min_price < list_price * (1 - undercut_threshold)``,
      i.e. the cheapest competitor is more than ``undercut_threshold`` (a
      fraction, 0.05 = 5 %) below our price; with the default 0 any cheaper
      offer undercuts.

    A product without a ``list_price`` (or not in ``products``) has missing
    ``list_price``, ``price_index`` and ``cheapest_gap_pct`` and
    ``undercut = False``. Products never observed have no row.

    Parameters
    ----------
    products : DataFrame or lazy frame
        Needs ``product`` and ``list_price``.
    competitor_prices : DataFrame or lazy frame
        Needs ``observed_date``, ``product``, ``competitor``, ``price``.
    freq : str, default "quarter"
    undercut_threshold : float, default 0.0
        Relative margin in [0, 1).
    fiscal_year_start : int, default 1

    Returns
    -------
    ``period, period_start, product, list_price, competitor_median, competitors,
    observations, price_index, min_price, cheapest_competitor,
    cheapest_gap_pct, undercut``

    Raises
    ------
    ValueError
        When ``undercut_threshold`` is outside [0, 1).

    Examples
    --------
    >>> import pandas as pd
    >>> products = pd.DataFrame({"product": ["A", "B"], "list_price": [100.0, 50.0]})
    >>> prices = pd.DataFrame({
    ...     "observed_date": pd.to_datetime(["2025-01-10", "2025-02-10", "2025-03-01",
    ...                                    "2025-01-15"]),
    ...     "product": ["A", "A", "A", "B"],
    ...     "competitor": ["X", "Y", "Y", "X"],
    ...     "price": [90.0, 110.0, 120.0, 52.0],
    ... })
    >>> out = price_index(products, prices, undercut_threshold=0.05)
    >>> print(out[["product", "competitor_median", "competitors", "observations",
    ...            "price_index", "cheapest_competitor", "undercut"]].to_string())
      product  competitor_median  competitors  observations  price_index cheapest_competitor  undercut
    0       A              110.0            2             3    90.909091                   X      True
    1       B               52.0            1             1    96.153846                   X     False
    """
    if not 0 <= undercut_threshold < 1:
        raise ValueError(
            f"undercut_threshold must be a fraction in [0, 1), got {undercut_threshold!r}"
        )
    freq = normalize_freq(freq)
    obs = open_frame(
        competitor_prices,
        table="competitor_prices",
        required=["observed_date", "product", "competitor", "price"],
    )
    obs = obs.select("observed_date", "product", "competitor", nw.col("price").cast(nw.Float64))
    require_columns(
        open_frame(products, table="products"), ["product", "list_price"], table="products"
    )
    prod = align_backend(products, obs, table="products")
    prod = prod.select("product", nw.col("list_price").cast(nw.Float64)).unique(
        subset=["product"], keep="any"
    )
    obs = with_period(obs, "observed_date", freq=freq, fiscal_year_start=fiscal_year_start)
    keys = [PERIOD_START, "product"]
    stats = obs.group_by(keys).agg(
        nw.col("price").median().alias("competitor_median"),
        nw.col("price").min().alias("min_price"),
        nw.col("competitor").n_unique().alias("competitors"),
        nw.len().alias("observations"),
    )
    cheapest = (
        obs.join(stats.select(*keys, "min_price"), on=keys, how="inner")
        .filter(nw.col("price") == nw.col("min_price"))
        .group_by(keys)
        .agg(nw.col("competitor").min().alias("cheapest_competitor"))
    )
    out = stats.join(cheapest, on=keys, how="left").join(prod, on="product", how="left")
    out = out.with_columns(
        nw.col("competitor_median").cast(nw.Float64),
        nw.col("min_price").cast(nw.Float64),
        nw.col("competitors").cast(nw.Int64),
        nw.col("observations").cast(nw.Int64),
        price_index=ratio("list_price", "competitor_median") * 100.0,
        cheapest_gap_pct=ratio(nw.col("list_price") - nw.col("min_price"), "list_price"),
        undercut=(
            nw.col("min_price") < nw.col("list_price") * (1.0 - undercut_threshold)
        ).fill_null(False),
    )
    out = finish(
        out,
        by=["product"],
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        columns=[
            "list_price",
            "competitor_median",
            "competitors",
            "observations",
            "price_index",
            "min_price",
            "cheapest_competitor",
            "cheapest_gap_pct",
            "undercut",
        ],
    )
    return close_frame(out, like=competitor_prices)
