"""Revenue lines: the table every revenue KPI runs on, built from orders or from won deals.

A company that books its sales as orders reports revenue from its ``orders``
table. A company that only keeps a CRM has no orders, but its won deals carry
the same facts: who bought, from which rep, when and for how much. The
*revenue basis* says which of the two the revenue KPIs (revenue and growth,
leaderboard, quota and target attainment, rep effectiveness, the revenue
forecast, RFM, cohorts and customer value) run on:

* ``"orders"`` — the ``orders`` table, its ``region`` filled where missing
  (:func:`fill_region`);
* ``"won_deals"`` — one line per won opportunity (:func:`won_deal_lines`).

:func:`choose_basis` decides it from the mapping's top-level ``revenue`` key
(``"auto"``, ``"orders"`` or ``"won_deals"``) and the tables present;
:func:`revenue_lines` builds the table. Collections (order status, payments,
receivables) always stay on the real ``orders`` table.

Lazy tables (a DuckDB relation, a polars ``LazyFrame``, a PySpark DataFrame:
anything that is not a pandas frame) get the same rules written on narwhals,
so the revenue lines stay on the tables' engine and nothing is materialised;
counts (:func:`row_count`, :func:`has_rows`) run as queries on that engine.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = [
    "BASIS_LABELS",
    "is_lazy",
    "row_count",
    "has_rows",
    "choose_basis",
    "won_deal_lines",
    "fill_region",
    "revenue_lines",
    "undated_won_deals",
]

#: How a page names the basis its revenue figures use.
BASIS_LABELS = {"orders": "revenue = orders", "won_deals": "revenue = won deals (CRM)"}

#: Columns of the revenue lines built from won deals, in order.
_WON_COLUMNS = [
    "order_id",
    "customer_id",
    "order_date",
    "region",
    "rep_id",
    "product",
    "amount",
    "status",
]


def is_lazy(frame) -> bool:
    """True for a table that is not a pandas frame (an engine's frame: DuckDB, polars, Spark).

    >>> is_lazy(pd.DataFrame()), is_lazy(None)
    (False, False)
    """
    return frame is not None and not isinstance(frame, pd.DataFrame)


def row_count(frame) -> int:
    """Rows of a table: ``len`` of a pandas frame, a ``count(*)`` query on an engine's frame.

    >>> row_count(pd.DataFrame({"a": [1, 2]}))
    2
    """
    if not is_lazy(frame):
        return 0 if frame is None else len(frame)
    import narwhals as nw

    table = nw.from_native(frame)
    if isinstance(table, nw.DataFrame):
        return len(table)
    return int(table.select(nw.len()).collect().item())


def has_rows(frame) -> bool:
    """Whether a table has at least one row (an engine reads at most one row to tell)."""
    if not is_lazy(frame):
        return frame is not None and len(frame) > 0
    import narwhals as nw

    table = nw.from_native(frame)
    if isinstance(table, nw.DataFrame):
        return len(table) > 0
    return len(table.head(1).collect()) > 0


def choose_basis(tables: Mapping[str, pd.DataFrame], requested: str = "auto") -> str:
    """The revenue basis of the data: ``"orders"`` or ``"won_deals"``.

    Rule: ``requested`` ``"orders"`` or ``"won_deals"`` is taken as given (the
    mapping said so). ``"auto"`` (no ``revenue`` key in the mapping) means
    ``"orders"`` when the data has an ``orders`` table with at least one row,
    else ``"won_deals"``.

    Raises
    ------
    ValueError
        When ``requested`` is not ``"auto"``, ``"orders"`` or ``"won_deals"``.

    >>> choose_basis({"orders": pd.DataFrame({"amount": [1.0]})})
    'orders'
    >>> choose_basis({"opportunities": pd.DataFrame({"amount": [1.0]})})
    'won_deals'
    >>> choose_basis({"orders": pd.DataFrame({"amount": [1.0]})}, "won_deals")
    'won_deals'
    """
    if requested not in ("auto", "orders", "won_deals"):
        raise ValueError(f"revenue basis {requested!r}: expected 'auto', 'orders' or 'won_deals'")
    if requested != "auto":
        return requested
    return "orders" if has_rows(tables.get("orders")) else "won_deals"


def _region_of(frame: pd.DataFrame, key: str, lookup: pd.DataFrame | None) -> pd.Series | None:
    """Region of each row of ``frame`` through ``lookup`` (a table with ``key`` and region)."""
    if (
        lookup is None
        or key not in frame.columns
        or key not in lookup.columns
        or "region" not in lookup.columns
    ):
        return None
    regions = lookup.dropna(subset=[key]).drop_duplicates(key).set_index(key)["region"]
    return frame[key].map(regions)


def _as_text(values: pd.Series, *, like: pd.DataFrame) -> pd.Series:
    """``values`` in the string dtype the loader gives text columns of ``like`` (if any)."""
    if values.dtype != object:
        return values
    for dtype in like.dtypes:
        if isinstance(dtype, pd.StringDtype):
            return values.astype(dtype)
    return values


def fill_region(
    frame: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``frame`` with its ``region`` filled where missing: the rep's region, else the customer's.

    Rule, row by row: the row's own ``region`` when it has one; else the
    region of its rep (``rep_id`` in ``reps``); else the region of its
    customer (``customer_id`` in ``customers``); else missing. A frame
    without a ``region`` column gets one when a rep or customer region is
    known. The frame is returned unchanged (the same object) when nothing is
    missing or nothing can be filled; otherwise a new frame.

    >>> orders = pd.DataFrame({"rep_id": ["R1", "R2", "R9"], "customer_id": ["C1", "C2", "C3"],
    ...                        "region": ["East", None, None]})
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "region": ["West", "North"]})
    >>> customers = pd.DataFrame({"customer_id": ["C3"], "region": ["South"]})
    >>> fill_region(orders, reps=reps, customers=customers)["region"].tolist()
    ['East', 'North', 'South']
    """
    has_region = "region" in frame.columns
    if has_region and not frame["region"].isna().any():
        return frame
    region = frame["region"] if has_region else pd.Series(pd.NA, index=frame.index, dtype=object)
    filled = region
    for key, lookup in (("rep_id", reps), ("customer_id", customers)):
        found = _region_of(frame, key, lookup)
        if found is not None:
            filled = filled.where(filled.notna(), found)
    if not (filled.notna() & region.isna()).any():
        return frame
    return frame.assign(region=_as_text(filled, like=frame))


def won_deal_lines(
    opportunities: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Revenue lines built from won deals: one line per won opportunity with a close date.

    Formula, per opportunity with ``status == "won"`` and ``closed_at`` set:
    ``order_id = opportunity_id``, ``order_date = closed_at`` (its calendar
    day), ``amount`` = the deal's amount, ``customer_id``, ``rep_id`` and
    ``product`` as on the deal (missing when the table has no such column),
    ``status = "fulfilled"``, and ``region`` = the deal's own ``region``
    column when it has one, else its rep's region (``reps``), else its
    customer's region (``customers``) — see :func:`fill_region`. Won deals
    without ``closed_at`` have no date to count in and are left out;
    :func:`undated_won_deals` counts them.

    Returns
    -------
    pandas.DataFrame
        ``order_id, customer_id, order_date, region, rep_id, product, amount,
        status`` (a new frame; the opportunities are not changed).

    >>> opps = pd.DataFrame({"opportunity_id": ["D1", "D2", "D3"], "rep_id": ["R1", "R1", "R2"],
    ...                      "status": ["won", "lost", "won"], "amount": [100.0, 50.0, 70.0],
    ...                      "closed_at": pd.to_datetime(["2025-07-03 15:00", "2025-07-04 10:00",
    ...                                                   "2025-08-01 09:30"])})
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "region": ["West", "East"]})
    >>> won_deal_lines(opps, reps=reps)[["order_id", "order_date", "region", "amount"]]
      order_id order_date region  amount
    0       D1 2025-07-03   West   100.0
    1       D3 2025-08-01   East    70.0
    """
    opps = opportunities
    if "closed_at" in opps.columns:
        won = opps.loc[(opps["status"] == "won") & opps["closed_at"].notna()]
        order_date = won["closed_at"].dt.normalize()
    else:
        won = opps.iloc[0:0]
        order_date = pd.Series(pd.NaT, index=won.index, dtype="datetime64[ns]")

    def column(name: str) -> pd.Series:
        if name in won.columns:
            return won[name]
        return pd.Series(None, index=won.index, dtype=object)

    lines = pd.DataFrame(
        {
            "order_id": won["opportunity_id"],
            "customer_id": column("customer_id"),
            "order_date": order_date,
            "region": column("region"),
            "rep_id": column("rep_id"),
            "product": column("product"),
            "amount": won["amount"].astype(float),
            "status": "fulfilled",
        },
        index=won.index,
    )
    lines = fill_region(lines, reps=reps, customers=customers)
    for col in ("customer_id", "region", "rep_id", "product", "status"):
        lines[col] = _as_text(lines[col], like=opps)
    return lines[_WON_COLUMNS].reset_index(drop=True)


def undated_won_deals(opportunities: pd.DataFrame | None) -> int:
    """Number of won deals without ``closed_at``: they cannot count as revenue in any period.

    >>> undated_won_deals(pd.DataFrame({"status": ["won", "won", "lost"],
    ...                                 "closed_at": pd.to_datetime(["2025-01-02", None, None])}))
    1
    """
    if opportunities is None or "status" not in _columns(opportunities):
        return 0
    if is_lazy(opportunities):
        import narwhals as nw

        won = nw.col("status") == "won"
        if "closed_at" in _columns(opportunities):
            won = won & nw.col("closed_at").is_null()
        return row_count(nw.from_native(opportunities).filter(won).to_native())
    won = opportunities["status"] == "won"
    if "closed_at" not in opportunities.columns:
        return int(won.sum())
    return int((won & opportunities["closed_at"].isna()).sum())


def revenue_lines(tables: Mapping[str, pd.DataFrame], basis: str) -> pd.DataFrame | None:
    """The table every revenue KPI runs on, for ``basis`` (see :func:`choose_basis`).

    ``"orders"``: the ``orders`` table, with ``region`` filled where missing
    from the rep, then the customer (:func:`fill_region`); ``None`` without
    an orders table. ``"won_deals"``: :func:`won_deal_lines` of the
    ``opportunities`` table; ``None`` without one.

    Raises
    ------
    ValueError
        When ``basis`` is not ``"orders"`` or ``"won_deals"``.
    """
    reps, customers = tables.get("reps"), tables.get("customers")
    main = tables.get("orders" if basis == "orders" else "opportunities")
    if is_lazy(main):
        return _lazy_revenue_lines(main, basis, reps=reps, customers=customers)
    if basis == "orders":
        orders = tables.get("orders")
        return None if orders is None else fill_region(orders, reps=reps, customers=customers)
    if basis == "won_deals":
        opps = tables.get("opportunities")
        if opps is None or "status" not in opps.columns:
            return None
        return won_deal_lines(opps, reps=reps, customers=customers)
    raise ValueError(f"revenue basis {basis!r}: expected 'orders' or 'won_deals'")


# -- lazy tables: the same rules on narwhals ------------------------------------------------
def _columns(frame) -> list[str]:
    if not is_lazy(frame):
        return list(frame.columns)
    import narwhals as nw

    return list(nw.from_native(frame).collect_schema().names())


def _lazy_fill_region(lines, *, reps, customers):
    """:func:`fill_region` on a narwhals frame: left joins on the rep and customer regions.

    The joins are skipped when ``region`` has no missing value (one count query).
    """
    import narwhals as nw

    names = lines.collect_schema().names()
    has_region = "region" in names
    if has_region and row_count(lines.filter(nw.col("region").is_null()).to_native()) == 0:
        return lines
    region = nw.col("region") if has_region else nw.lit(None, dtype=nw.String)
    parts = [region]
    for key, lookup in (("rep_id", reps), ("customer_id", customers)):
        if lookup is None or key not in names or not {key, "region"} <= set(_columns(lookup)):
            continue
        alias = f"_{key}_region"
        found = (
            nw.from_native(lookup)
            .select(key, nw.col("region").alias(alias))
            .filter(~nw.col(key).is_null())
            .unique(subset=[key], keep="any")
        )
        if isinstance(found, nw.DataFrame) and not isinstance(lines, nw.DataFrame):
            found = found.lazy()
        lines = lines.join(found, on=key, how="left")
        parts.append(nw.col(alias))
    if len(parts) == 1:
        return lines
    order = names if has_region else [*names, "region"]
    return lines.with_columns(nw.coalesce(*parts).alias("region")).select(order)


def _lazy_revenue_lines(frame, basis: str, *, reps, customers):
    """:func:`revenue_lines` of an engine's table: a frame on the same engine, not collected."""
    import narwhals as nw

    table = nw.from_native(frame)
    if basis == "orders":
        return _lazy_fill_region(table, reps=reps, customers=customers).to_native()
    if basis != "won_deals":
        raise ValueError(f"revenue basis {basis!r}: expected 'orders' or 'won_deals'")
    names = table.collect_schema().names()
    if "status" not in names:
        return None
    if "closed_at" not in names:
        won = table.filter(nw.lit(False))
        order_date = nw.lit(None, dtype=nw.Datetime("us"))
    else:
        won = table.filter((nw.col("status") == "won") & ~nw.col("closed_at").is_null())
        order_date = nw.col("closed_at").dt.truncate("1d")

    def column(name: str):
        return nw.col(name) if name in names else nw.lit(None, dtype=nw.String)

    lines = won.select(
        nw.col("opportunity_id").alias("order_id"),
        column("customer_id").alias("customer_id"),
        order_date.alias("order_date"),
        column("region").alias("region"),
        column("rep_id").alias("rep_id"),
        column("product").alias("product"),
        nw.col("amount").cast(nw.Float64).alias("amount"),
        nw.lit("fulfilled").alias("status"),
    )
    return _lazy_fill_region(lines, reps=reps, customers=customers).select(_WON_COLUMNS).to_native()
