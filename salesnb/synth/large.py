"""A big synthetic ``orders`` table for benchmarks (:func:`large_orders`).

Not the sample company: numpy only, vectorised for millions of rows, with the
sample's products, regions, seasonality and payment rules in simplified form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.schema import CHANNELS
from salesnb.synth.catalog import PRODUCTS, REGIONS, SEASON
from salesnb.synth.draws import ids
from salesnb.synth.timeline import DAY_MIN

__all__ = ["large_orders", "write_large_orders"]


def large_orders(
    n_rows: int,
    *,
    seed: int = 0,
    n_customers: int | None = None,
    start="2020-01-01",
    end="2024-12-31",
    first_id: int = 1,
    id_width: int | None = None,
) -> pd.DataFrame:
    """A big synthetic ``orders`` table for benchmarks, generated with numpy only.

    Customers have a skewed (gamma, shape 0.5) purchase frequency, so some buy
    many times and many buy once; each customer is active from an acquisition
    day on (spread over the span with an upward trend), orders follow a Q4
    seasonality, amounts are gamma-distributed per customer. Statuses, due
    dates (order + 30 days) and payments (most on time, some late, ~2 %
    unpaid) follow the sample's rules in simplified form.

    Parameters
    ----------
    n_rows : int
        Number of orders (rows).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.
    n_customers : int, optional
        Number of customers to draw from (those who get no order are left out);
        default ``max(1, n_rows // 6)``.
    start, end : date-like, default "2020-01-01" and "2024-12-31"
        Span of ``order_date``.
    first_id : int, default 1
        Number of the first ``order_id`` (``SO0000001``); parts of one big table
        (:func:`write_large_orders`) use consecutive ranges so ids stay unique.
    id_width : int, optional
        Digits of the ``order_id`` number; default ``max(7, len(str(last id)))``.

    Returns
    -------
    pandas.DataFrame
        Columns ``order_id`` (string), ``customer_id``, ``region``, ``channel``,
        ``rep_id``, ``product``, ``status`` (categoricals), ``order_date``,
        ``due_date``, ``paid_at`` (``datetime64[ns]``), ``quantity``, ``amount``
        (``float64``). Rows are in no particular order.

    Raises
    ------
    ValueError
        When ``n_rows`` is negative or ``end`` is before ``start``.

    Examples
    --------
    >>> df = large_orders(1000, seed=1)
    >>> len(df), bool((df["amount"] >= 0).all())
    (1000, True)
    >>> int(df["customer_id"].value_counts().max()) > 1  # repeat customers
    True
    >>> list(df.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['order_id', 'customer_id', 'order_date', 'region', 'channel', 'rep_id', 'product',
     'quantity', 'amount', 'status', 'due_date', 'paid_at']
    """
    if n_rows < 0:
        raise ValueError(f"n_rows must be >= 0, got {n_rows}")
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    span = (end_ts - start_ts).days + 1
    if span < 1:
        raise ValueError(f"end ({end_ts.date()}) is before start ({start_ts.date()})")
    rng = np.random.default_rng(seed)
    n_cust = int(n_customers) if n_customers else max(1, n_rows // 6)
    n = int(n_rows)

    day, cust, counts, spend = _customers_and_days(rng, n, n_cust, span, start_ts)

    n_reg = 5
    region = (cust % n_reg).astype(np.int8)
    n_rep = 30
    rep = (region + n_reg * (cust // n_reg % (n_rep // n_reg))).astype(np.int16)
    channel = (rng.random(n) < 0.45).astype(np.int8)
    prod = rng.choice(len(PRODUCTS), size=n, p=_product_mix()).astype(np.int8)
    price = np.array([p[2] for p in PRODUCTS])[prod]
    value = spend[cust] * rng.gamma(4.0, 0.25, size=n)
    qty = np.maximum(1.0, np.round(value / price))
    amount = np.round(qty * price, 2)
    r = rng.random(n)
    status = np.where(r < 0.03, 3, np.where(r < 0.05, 2, 1)).astype(np.int8)
    recent = day > span - 4
    status = np.where(recent & (status == 1), 0, status).astype(np.int8)

    base = np.datetime64(start_ts.to_datetime64(), "D")
    order_date = (base + day.astype("timedelta64[D]")).astype("datetime64[ns]")
    due_date = (base + (day + 30).astype("timedelta64[D]")).astype("datetime64[ns]")
    pr = rng.random(n)
    pay_off = np.where(
        pr < 0.85,
        rng.integers(0, 30, size=n),
        30 + rng.gamma(2.0, 10.0, size=n).astype(np.int64) + 1,
    )
    pay_min = (day.astype(np.int64) + pay_off) * DAY_MIN + rng.integers(480, 1140, size=n)
    unpaid = (pr > 0.98) | (status == 3) | (pay_min >= span * DAY_MIN)
    paid_at = (
        np.datetime64(start_ts.to_datetime64(), "m") + pay_min.astype("timedelta64[m]")
    ).astype("datetime64[ns]")
    paid_at[unpaid] = np.datetime64("NaT")
    due_date[status == 3] = np.datetime64("NaT")

    order_ids = _order_ids(n, first=first_id, width=id_width)
    cust_cat = _customer_ids(counts, cust, n_cust)
    columns_ = {
        "order_id": pd.array(order_ids, dtype="string[pyarrow]"),
        "customer_id": cust_cat,
        "order_date": order_date,
        "region": pd.Categorical.from_codes(region, categories=list(REGIONS[:n_reg])),
        "channel": pd.Categorical.from_codes(channel, categories=list(CHANNELS)),
        "rep_id": pd.Categorical.from_codes(rep, categories=ids("R", n_rep, 3)),
        "product": pd.Categorical.from_codes(prod, categories=[p[0] for p in PRODUCTS]),
        "quantity": qty,
        "amount": amount,
        "status": pd.Categorical.from_codes(
            status, categories=["placed", "fulfilled", "backordered", "cancelled"]
        ),
        "due_date": due_date,
        "paid_at": paid_at,
    }
    # copy=False: no block consolidation (a full copy of every column)
    return pd.DataFrame(columns_, copy=False)


def _product_mix() -> np.ndarray:
    w = np.array([sum(p[4]) for p in PRODUCTS])
    return w / w.sum()


def _customers_and_days(
    rng: np.random.Generator, n: int, n_cust: int, span: int, start_ts: pd.Timestamp
) -> tuple[np.ndarray, ...]:
    """Order day and customer of each order, by day, orders per customer and mean
    order value per customer."""
    # customers: acquisition day (more recent ones more likely: growth) and a skewed
    # purchase frequency; orders per customer ~ multinomial(frequency x time as customer)
    acq = np.floor(span * rng.random(n_cust) ** 0.8).astype(np.int32)
    freq = rng.gamma(0.5, 2.0, size=n_cust) + 1e-3
    weight = freq * (span - acq)
    counts = rng.multinomial(n, weight / weight.sum()) if n else np.zeros(n_cust, np.int64)
    cust = np.repeat(np.arange(n_cust, dtype=np.int32), counts)
    spend = rng.gamma(3.0, 110.0, size=n_cust)

    # order day on or after acquisition, following the monthly seasonality (Q4 peak):
    # inverse-CDF sampling of the seasonal day weights restricted to [acq, span)
    days = np.arange(span)
    month = (start_ts + pd.to_timedelta(days, unit="D")).month.to_numpy() - 1
    cs = np.cumsum(SEASON[month])
    cs = cs / cs[-1]
    a = acq[cust]
    lo = np.where(a > 0, cs[np.maximum(a - 1, 0)], 0.0)
    u = lo + (1.0 - lo) * rng.random(n)
    day = np.clip(np.searchsorted(cs, u).astype(np.int32), a, span - 1)
    # each customer's first order is on the acquisition day
    first = (np.cumsum(counts) - counts)[counts > 0]
    day[first] = acq[counts > 0]
    # chronological rows: order ids follow the order date
    order = np.argsort(day, kind="stable")
    day, cust = day[order], cust[order]
    return day, cust, counts, spend


def _order_ids(n: int, *, first: int = 1, width: int | None = None):
    """``SO0000001``... (numbers ``first`` .. ``first + n - 1``) as a pyarrow string array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    width = width or max(7, len(str(first + n - 1)))
    numbers = pa.array(np.arange(first, first + n, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise("SO", pc.utf8_lpad(numbers, width, "0"), "")


def _customer_ids(counts: np.ndarray, cust: np.ndarray, n_cust: int) -> pd.Categorical:
    """``customer_id`` of each order: a categorical whose categories are exactly the
    customers with orders."""
    import pyarrow as pa
    import pyarrow.compute as pc

    used = np.flatnonzero(counts > 0)
    code = np.full(n_cust, -1, dtype=np.int32)
    code[used] = np.arange(len(used), dtype=np.int32)
    cwidth = max(6, len(str(n_cust)))
    cids = pc.binary_join_element_wise(
        "C", pc.utf8_lpad(pa.array(used + 1).cast(pa.string()), cwidth, "0"), ""
    )
    return pd.Categorical.from_codes(code[cust], categories=pd.Index(cids.to_pylist()))


def write_large_orders(
    folder,
    n_rows: int,
    *,
    parts: int = 10,
    seed: int = 0,
    start="2020-01-01",
    end="2024-12-31",
    progress=None,
) -> list:
    """Write a big ``orders`` table as a folder of Parquet parts, one part at a time.

    Each part is :func:`large_orders` of ``n_rows / parts`` rows (seed ``seed + i``)
    over the same customers (``n_rows // 6`` ids) and span, with consecutive
    ``order_id`` ranges, written to ``folder/part-00000.parquet`` ... so no more than
    one part is ever in memory. For benchmarks of engines that read a folder of parts
    (DuckDB, polars, Spark).

    Parameters
    ----------
    folder : path-like
        Output folder (created; existing ``part-*.parquet`` files in it are replaced).
    n_rows : int
        Total rows over all parts.
    parts : int, default 10
        Number of part files (at least 1).
    seed : int, default 0
        Seed of the first part.
    start, end : date-like
        Span of ``order_date`` (as :func:`large_orders`).
    progress : callable, optional
        Called with ``(part_index, parts)`` after each part is written.

    Returns
    -------
    list of pathlib.Path
        The part files written, in order.

    Raises
    ------
    ValueError
        When ``n_rows`` is negative or ``parts`` is below 1.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = write_large_orders(tmp, 1000, parts=3, seed=1)
    ...     df = pd.concat([pd.read_parquet(f) for f in files])
    >>> len(files), len(df), df["order_id"].is_unique
    (3, 1000, True)
    """
    from pathlib import Path

    if n_rows < 0:
        raise ValueError(f"n_rows must be >= 0, got {n_rows}")
    if parts < 1:
        raise ValueError(f"parts must be >= 1, got {parts}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    sizes = [n_rows // parts + (1 if i < n_rows % parts else 0) for i in range(parts)]
    width = max(7, len(str(n_rows)))
    n_customers = max(1, n_rows // 6)
    written, first = [], 1
    for i, size in enumerate(sizes):
        chunk = large_orders(
            size,
            seed=seed + i,
            n_customers=n_customers,
            start=start,
            end=end,
            first_id=first,
            id_width=width,
        )
        path = out / f"part-{i:05d}.parquet"
        chunk.to_parquet(path, index=False)
        written.append(path)
        first += size
        del chunk
        if progress is not None:
            progress(i, parts)
    return written
