"""Sections on an engine: small results back to pandas, aggregated inputs for pandas models.

With ``salesnb report --engine duckdb`` (or ``polars``) a notebook's tables are
lazy frames on that engine (:mod:`salesnb.sections.snapshot`). KPIs run there
and return lazy frames; the pages need pandas for their charts and tables, so:

* :func:`collect` brings a (small) result to pandas;
* :data:`kpi` — :mod:`salesnb.kpi` whose every function returns pandas (the
  sections call KPIs through it), and :func:`kpi_for` the same for a
  notebook's own KPI calls;
* :func:`models_for` — a model package whose functions get pandas inputs:
  lazy tables are collected (leads and opportunities: small), except the
  revenue lines of :func:`salesnb.models.forecast.revenue_series`, which
  become :func:`daily_revenue` (one row per day, computed on the engine);
* :func:`clv_summary` — the per-customer frequency / recency / T / monetary
  summary of the CLV models computed on the engine (the per-customer rows come
  back, never the transactions).

On pandas tables every wrapper returns the wrapped function's result as it is.
Written here rather than in :mod:`salesnb.kpi` because only the notebooks'
pandas-bound pages need it; the KPIs themselves stay engine-agnostic.
"""

from __future__ import annotations

import functools
import inspect
import types
from typing import Any

import pandas as pd

from salesnb.load.basis import is_lazy
from salesnb.sections.settings import active_settings

__all__ = [
    "collect",
    "kpi",
    "kpi_for",
    "models_for",
    "daily_revenue",
    "clv_summary",
    "clv_transactions",
    "customer_names",
    "rfm_segments",
]


def collect(frame: Any) -> Any:
    """``frame`` as pandas: an engine's (lazy) frame is collected; anything else is returned.

    Meant for small results (KPI tables, aggregates), never for raw tables.

    >>> collect(pd.DataFrame({"a": [1]})).shape
    (1, 1)
    """
    if not is_lazy(frame) or isinstance(frame, pd.Series | types.ModuleType | dict | list):
        return frame
    import narwhals as nw

    try:
        table = nw.from_native(frame)
    except TypeError:  # not a frame: a number, a text, a model
        return frame
    if isinstance(table, nw.LazyFrame):
        table = table.collect()
    return table.to_pandas()


@functools.cache
def _takes_fiscal_year(function) -> bool:
    try:
        return "fiscal_year_start" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _in_report_calendar(function, kwargs: dict) -> dict:
    """``kwargs`` with the report's fiscal year start when ``function`` takes one.

    A ``fiscal_year_start`` the caller gives wins; the report's comes from
    :func:`~salesnb.sections.settings.active_settings` (calendar quarters by default).
    """
    if "fiscal_year_start" in kwargs or not _takes_fiscal_year(function):
        return kwargs
    month = active_settings().fiscal_year_start
    return kwargs if month == 1 else {**kwargs, "fiscal_year_start": month}


class _Collecting:
    """A module whose functions return pandas (see :data:`kpi`); submodules are wrapped too.

    Its functions count periods in the report's calendar (the active
    ``fiscal_year_start``) unless the caller gives one; with ``results=False``
    results are returned as they are (pandas data).
    """

    def __init__(self, module: types.ModuleType, wrap_args: bool = False, results: bool = True):
        self._module = module
        self._wrap_args = wrap_args
        self._results = results

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if isinstance(value, types.ModuleType):
            return _Collecting(value, self._wrap_args, self._results)
        if not callable(value) or isinstance(value, type):
            return value
        if self._wrap_args:
            return _with_pandas_inputs(value)
        finish = collect if self._results else (lambda result: result)

        @functools.wraps(value)
        def collected(*args, **kwargs):
            return finish(value(*args, **_in_report_calendar(value, kwargs)))

        return collected

    def __dir__(self):
        return dir(self._module)

    def __repr__(self) -> str:
        return f"<{self._module.__name__}, results collected to pandas>"


def _with_pandas_inputs(function):
    """``function`` called with lazy arguments made pandas (see :func:`models_for`)."""

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        if function.__name__ == "revenue_series" and args and is_lazy(args[0]):
            by = kwargs.get("by")
            args = (daily_revenue(args[0], by=by), *args[1:])
        args = tuple(collect(a) for a in args)
        kwargs = {k: collect(v) for k, v in kwargs.items()}
        return function(*args, **kwargs)

    return wrapped


def _kpi_module() -> types.ModuleType:
    import salesnb.kpi

    return salesnb.kpi


class _LazyKpi(_Collecting):
    """:mod:`salesnb.kpi` with collected results, imported on first use."""

    def __init__(self):  # no module yet: sections import this before salesnb.kpi is needed
        pass

    def __getattr__(self, name: str):
        self.__dict__["_module"] = _kpi_module()
        self.__dict__["_wrap_args"] = False
        self.__dict__["_results"] = True
        return _Collecting.__getattr__(self, name)


#: :mod:`salesnb.kpi` whose functions return pandas whatever engine their inputs are on.
kpi = _LazyKpi()


def _lazy_data(sales) -> bool:
    return any(is_lazy(frame) for frame in sales.tables.values())


def kpi_for(sales, module: types.ModuleType | None = None):
    """The KPI module a notebook should call for ``sales``.

    The functions of ``module`` (default :mod:`salesnb.kpi`) counting periods
    in the report's calendar (the fiscal year start of
    :func:`~salesnb.sections.settings.use_settings`); on an engine, their
    (small) results are collected to pandas, so a notebook's tables and charts
    work unchanged.
    """
    module = module or _kpi_module()
    return _Collecting(module, results=_lazy_data(sales))


def models_for(sales, module: types.ModuleType):
    """A model package for ``sales``: on an engine, its functions get pandas inputs.

    Lazy arguments are collected (the leads and opportunities the conversion
    models read are small), except that the revenue lines given to
    ``revenue_series`` become :func:`daily_revenue`, computed on the engine.
    With pandas tables, ``module`` itself.
    """
    return _Collecting(module, wrap_args=True) if _lazy_data(sales) else module


def daily_revenue(lines: Any, *, by: str | None = None) -> pd.DataFrame:
    """Revenue lines summed per day (and ``status``, and ``by``), computed on their engine.

    Rule: rows grouped by the calendar day of ``order_date`` (and ``status``
    when present, and the ``by`` column), ``amount`` summed. A per-period
    revenue series of the result equals the one of ``lines``: every period is
    a union of whole days.

    >>> lines = pd.DataFrame({"order_date": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 12:00",
    ...                                                      "2025-01-02 00:00"]), "amount": [1.0, 2.0, 4.0]})
    >>> daily_revenue(lines)
      order_date  amount
    0 2025-01-01     3.0
    1 2025-01-02     4.0
    """
    import narwhals as nw

    table = nw.from_native(lines)
    names = table.collect_schema().names()
    keys = ["order_date", *(c for c in ("status", by) if c and c in names)]
    daily = (
        table.with_columns(nw.col("order_date").dt.truncate("1d"))
        .group_by(keys)
        .agg(nw.col("amount").sum())
        .sort(keys)
    )
    out = collect(daily.to_native())
    return out.reset_index(drop=True)


def clv_summary(
    lines: Any,
    *,
    observation_end: Any,
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    time_unit: str = "W",
) -> pd.DataFrame:
    """The CLV models' per-customer summary, aggregated on the lines' engine.

    Formula, as :func:`salesnb.models.clv.rfm_summary` without a calibration
    split: purchases up to ``observation_end`` (inclusive; rows without a
    customer left out) are summed per customer and calendar day; per customer,
    ``frequency`` = purchase days - 1, ``recency`` = last - first purchase day,
    ``T`` = ``observation_end`` - first purchase day (both in ``time_unit``:
    7 days for ``"W"``, 1 for ``"D"``), ``monetary_value`` = (total spend -
    first day's spend) / ``frequency`` (0 when ``frequency`` is 0). Only one
    row per customer comes back to pandas.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_col`` (sorted): ``frequency, recency, T, monetary_value``.

    Raises
    ------
    ValueError
        For an unknown ``time_unit`` or a missing column.
    """
    import narwhals as nw

    days = {"W": 7, "D": 1}.get(time_unit)
    if days is None:
        raise ValueError(f"time_unit {time_unit!r}: expected 'W' or 'D'")
    table = nw.from_native(lines)
    missing = [c for c in (customer_col, date_col, amount_col) if c not in table.collect_schema()]
    if missing:
        raise ValueError(f"clv_summary: the lines lack column(s) {missing}")
    end = pd.Timestamp(observation_end).normalize()
    daily = (
        table.filter(~nw.col(customer_col).is_null())
        .with_columns(nw.col(date_col).dt.truncate("1d").alias("_day"))
        .filter(nw.col("_day") <= end.to_pydatetime())
        .group_by(customer_col, "_day")
        .agg(nw.col(amount_col).sum().alias("_spend"))
    )
    per = daily.group_by(customer_col).agg(
        nw.col("_day").min().alias("_first"),
        nw.col("_day").max().alias("_last"),
        nw.len().alias("_days"),
        nw.col("_spend").sum().alias("_total"),
    )
    first_spend = daily.join(
        per.select(customer_col, nw.col("_first").alias("_day")), on=[customer_col, "_day"]
    ).select(customer_col, nw.col("_spend").alias("_first_spend"))
    got = collect(per.join(first_spend, on=customer_col).to_native())
    got[customer_col] = got[customer_col].astype(str)
    got = got.sort_values(customer_col).set_index(customer_col)
    unit = pd.Timedelta(days=days)
    first, last = pd.to_datetime(got["_first"]), pd.to_datetime(got["_last"])
    frequency = (got["_days"] - 1).astype("int64")
    repeat = got["_total"] - got["_first_spend"]
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first) / unit,
            "T": (end - first) / unit,
            "monetary_value": (repeat / frequency.where(frequency > 0)).fillna(0.0).astype(float),
        }
    )


#: Customers the CLV models take before they run on a sample of them (any engine, pandas too).
CLV_MAX_CUSTOMERS = 250_000


def clv_transactions(
    sales,
    *,
    until: Any,
    max_customers: int = CLV_MAX_CUSTOMERS,
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> tuple[pd.DataFrame, str | None]:
    """The purchases the CLV models learn from, as pandas, and a note when sampled.

    Rule: the revenue lines with a customer, dated up to ``until`` (inclusive)
    and not ``cancelled``. On pandas tables: those rows, every column. On an
    engine the rows are filtered there and only the three model columns come
    back. When more than ``max_customers`` customers bought, the models run on
    a sample of them chosen by a hash of the customer id (the same customers
    on every run with the same engine; pandas, DuckDB, polars and Spark hash
    differently), all their purchases kept, and the note says so, with both
    counts; else the note is ``None``.

    Returns
    -------
    (pandas.DataFrame, str or None)
        The purchases and the sampling note (``None`` when every customer is in).

    >>> from salesnb.load.data import SalesData
    >>> orders = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["a", None, "b"],
    ...     "order_date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-03-01"]),
    ...     "amount": [10.0, 5.0, 7.0], "status": ["fulfilled", "fulfilled", "fulfilled"]})
    >>> sales = SalesData(tables={"orders": orders}, as_of=pd.Timestamp("2025-03-31"))
    >>> bought, note = clv_transactions(sales, until=pd.Timestamp("2025-02-01"))
    >>> list(bought["customer_id"]), note
    (['a'], None)
    """
    import narwhals as nw

    lines = sales.revenue_lines
    until = pd.Timestamp(until)
    if not is_lazy(lines):
        bought = lines.dropna(subset=[customer_col])
        bought = bought.loc[bought[date_col] <= until]
        if "status" in bought.columns:
            bought = bought.loc[bought["status"] != "cancelled"]
        n_customers = int(bought[customer_col].nunique())
        if n_customers <= max_customers:
            return bought, None
        cut = int(_BUCKETS * max_customers / n_customers)
        ids = bought[customer_col].astype(str)
        hashed = pd.util.hash_pandas_object(ids, index=False).to_numpy() % _BUCKETS
        bought = bought.loc[hashed < cut]
        return bought, _sample_note(int(bought[customer_col].nunique()), n_customers)
    table = nw.from_native(lines)
    keep = (~nw.col(customer_col).is_null()) & (nw.col(date_col) <= until.to_pydatetime())
    if "status" in table.collect_schema().names():
        keep = keep & (nw.col("status").is_null() | (nw.col("status") != "cancelled"))
    rows = table.filter(keep).select(customer_col, date_col, amount_col)
    counted = collect(rows.select(nw.col(customer_col).n_unique().alias("n")).to_native())
    n_customers = int(counted["n"].iloc[0])
    note = None
    if n_customers > max_customers:
        cut = int(_BUCKETS * max_customers / n_customers)
        rows = nw.from_native(_hash_sample(rows.to_native(), customer_col, _BUCKETS, cut))
        kept = collect(rows.select(nw.col(customer_col).n_unique().alias("n")).to_native())
        note = _sample_note(int(kept["n"].iloc[0]), n_customers)
    return collect(rows.to_native()).reset_index(drop=True), note


_BUCKETS = 1_000_000


def _sample_note(kept: int, customers: int) -> str:
    return (
        f"The customer-value models ran on a sample of {kept:,} of {customers:,} customers "
        "(chosen by a hash of the customer id; all their purchases kept): fitting them on "
        "every customer would take too much time and memory."
    )


def _hash_sample(native: Any, column: str, buckets: int, cut: int) -> Any:
    """Rows of ``native`` whose ``column`` hashes into the first ``cut`` of ``buckets``.

    Written per engine because narwhals has no hash expression; the SQL text is
    this module's own constant (no data or user text in it).
    """
    import duckdb

    if isinstance(native, duckdb.DuckDBPyRelation):
        return native.filter(f'hash("{column}") % {buckets} < {cut}')
    module = type(native).__module__
    if module.startswith("polars"):
        import polars as pl

        return native.filter(pl.col(column).hash(seed=0) % buckets < cut)
    if module.startswith("pyspark"):
        from pyspark.sql import functions as F

        return native.filter(F.pmod(F.xxhash64(F.col(column)), F.lit(buckets)) < cut)
    raise TypeError(f"cannot sample customers of a {type(native).__name__} frame")


def customer_names(sales, ids: Any, *, customer_col: str = "customer_id") -> pd.DataFrame | None:
    """``customer_id`` and ``name`` of the customers ``ids`` (``None`` without names).

    On an engine only those customers' rows come back.
    """
    import narwhals as nw

    customers = sales.customers
    if customers is None:
        return None
    table = nw.from_native(customers)
    if "name" not in table.collect_schema().names():
        return None
    wanted = [str(i) for i in ids]
    picked = table.filter(nw.col(customer_col).is_in(wanted)).select(customer_col, "name")
    return collect(picked.to_native())


def rfm_segments(lines: Any, *, as_of: Any) -> pd.DataFrame:
    """Customers and revenue per RFM segment, aggregated where ``lines`` live.

    Formula: :func:`salesnb.kpi.rfm_scores` per customer at ``as_of``, then per
    ``segment``: ``customers`` = number of customers, ``revenue`` = sum of
    their ``monetary`` (revenue to date); sorted by revenue, largest first. On
    an engine both steps run there and only the segment rows (at most ten)
    come back to pandas: the per-customer table (one row per customer, 16.7M
    on the 100M-order benchmark) is never collected.

    >>> import pandas as pd
    >>> lines = pd.DataFrame({"order_id": ["O1", "O2", "O3"], "customer_id": ["C1", "C1", "C2"],
    ...                       "order_date": pd.to_datetime(["2025-01-05", "2025-03-01", "2024-02-01"]),
    ...                       "amount": [100.0, 50.0, 20.0]})
    >>> int(rfm_segments(lines, as_of="2025-03-31")["customers"].sum())
    2
    """
    import narwhals as nw

    from salesnb.kpi import rfm_scores

    scores = nw.from_native(rfm_scores(lines, as_of=as_of))
    segments = scores.group_by("segment").agg(
        nw.col("customer_id").count().alias("customers"),
        nw.col("monetary").sum().alias("revenue"),
    )
    if isinstance(segments, nw.LazyFrame):
        segments = segments.collect()
    table = segments.to_pandas()
    table["customers"] = table["customers"].astype("int64")
    return table.sort_values(["revenue", "segment"], ascending=[False, True], ignore_index=True)
