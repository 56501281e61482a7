"""Customer KPIs: RFM, cohort retention, churn, engagement after purchase, CLV, CAC.

Same conventions as :mod:`salesnb.kpi.pipeline`: frame in, new frame of the
same kind out (pandas, polars, polars LazyFrame, DuckDB relation), options
after ``*``, periods from :mod:`salesnb.periods`, ``as_of`` counts whole days (everything
up to the end of that day has happened), rates are missing (not 0) with a
``note`` when their denominator is empty.

Orders: one row per order or order line; ``order_id`` identifies an order
(``frequency`` and order counts count distinct ``order_id``), ``order_date``
decides the period and ``amount`` is the revenue. Cancelled orders
(``status == "cancelled"``) are left out unless ``include_cancelled=True``.

Examples
--------
On the bundled sample company:

>>> import salesnb
>>> from salesnb import kpi
>>> data = salesnb.load(salesnb.SAMPLE_DATA)
>>> rfm = kpi.rfm_scores(data.orders, as_of=data.as_of)
>>> print(rfm["segment"].value_counts().head(3).to_string())
segment
Hibernating           514
Potential loyalist    356
Loyal                 353
"""

from __future__ import annotations

import logging
import warnings

import narwhals as nw
import pandas as pd

from salesnb.kpi._frame import (
    PERIOD_START,
    MissingColumnsError,
    as_datetime,
    as_list,
    attach_columns,
    close_frame,
    column_names,
    days_between,
    drop_cancelled,
    finish,
    open_frame,
    ratio,
    with_period,
)
from salesnb.kpi._tables import (
    _bounds,
    _check_by_not_reserved,
    _compare,
    _complete,
    _day,
    _day_after,
    _finish,
    _flag,
    _incomplete_start,
    _join,
    _literal_frame,
    _note,
    _offset,
    _open,
    _period_grid,
)
from salesnb.periods import Period, normalize_freq, period_label_expr, period_range

__all__ = [
    "RFM_SEGMENTS",
    "rfm_scores",
    "cohort_retention",
    "retention_matrix",
    "churn_rate",
    "retention_rate",
    "engagement_after_purchase",
    "historical_clv",
    "acquisition_cost",
]

logger = logging.getLogger(__name__)

#: RFM segment rules, applied in order: (segment, R scores, F scores). Every
#: (R, F) pair of 1-5 matches exactly one rule; M does not enter the segment.
RFM_SEGMENTS: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = (
    ("Champions", (5,), (4, 5)),
    ("Loyal", (3, 4), (4, 5)),
    ("Potential loyalist", (4, 5), (2, 3)),
    ("New", (5,), (1,)),
    ("Promising", (4,), (1,)),
    ("Need attention", (3,), (3,)),
    ("About to sleep", (3,), (1, 2)),
    ("Can't lose", (1, 2), (5,)),
    ("At risk", (1, 2), (3, 4)),
    ("Lost", (1,), (1,)),
    ("Hibernating", (1, 2), (1, 2)),
)


def _orders(
    orders, *, as_of=None, include_cancelled=False, required=(), by=(), customers=None, like=None
) -> nw.LazyFrame:
    frame = _open(
        orders,
        table="orders",
        required=["customer_id", "order_date", *required],
        by=by,
        customers=customers,
        like=like,
    )
    frame = drop_cancelled(frame, include_cancelled=include_cancelled)
    frame = frame.filter(~nw.col("order_date").is_null() & ~nw.col("customer_id").is_null())
    if as_of is not None:
        frame = frame.filter(nw.col("order_date") < nw.lit(_day_after(as_of)))
    return frame


def _latest(frame: nw.LazyFrame, column: str, as_of):
    """``as_of`` or, when None, the latest date of ``column``."""
    if as_of is not None:
        return pd.Timestamp(as_of)
    _, hi = _bounds(frame, column)
    if hi is None:
        raise ValueError(f"cannot infer as_of: no {column} values")
    return hi.normalize()


# -- RFM --------------------------------------------------------------------------------------
def _quintile(column: str, *, lower_is_better: bool = False) -> nw.Expr:
    """1 + floor(5 × (customers with a strictly worse value) / customers)."""
    worse = nw.col(column).rank("min", descending=lower_is_better) - 1
    return ((worse * 5) // nw.len() + 1).cast(nw.Int64)


def _segment_expr() -> nw.Expr:
    name, rs, fs = RFM_SEGMENTS[0]
    expr = nw.when(nw.col("r_score").is_in(list(rs)) & nw.col("f_score").is_in(list(fs))).then(
        nw.lit(name)
    )
    for name, rs, fs in RFM_SEGMENTS[1:]:
        expr = expr.when(
            nw.col("r_score").is_in(list(rs)) & nw.col("f_score").is_in(list(fs))
        ).then(nw.lit(name))
    return expr.alias("segment")


def rfm_scores(orders, *, as_of, include_cancelled: bool = False):
    """Recency, frequency, monetary value and RFM scores per customer.

    For each customer with an order on or before ``as_of``:

    - ``recency_days``: calendar days from the last order date to ``as_of``;
    - ``frequency``: number of distinct ``order_id``;
    - ``monetary``: sum of ``amount``.

    Scores 1-5 (5 = best: most recent, most frequent, highest spend) by
    quintile of rank: ``score = 1 + floor(5 × w / n)`` where ``n`` is the
    number of customers and ``w`` the number of customers with a strictly
    worse value. Tied customers therefore share a score (the one of the
    lowest position of their tie), the result does not depend on row order,
    and if everybody ties everybody scores 1. ``monetary`` is compared rounded
    to 6 decimals.

    ``rfm_score`` is the text ``"<R><F><M>"``; ``segment`` follows the rule
    table :data:`RFM_SEGMENTS` on R and F (first match):

    ==================  ========  ========
    segment             R         F
    ==================  ========  ========
    Champions           5         4-5
    Loyal               3-4       4-5
    Potential loyalist  4-5       2-3
    New                 5         1
    Promising           4         1
    Need attention      3         3
    About to sleep      3         1-2
    Can't lose          1-2       5
    At risk             1-2       3-4
    Lost                1         1
    Hibernating         1-2       1-2
    ==================  ========  ========

    Parameters
    ----------
    orders : DataFrame
        Needs ``order_id``, ``customer_id``, ``order_date``, ``amount``.
    as_of : date
    include_cancelled : bool, default False

    Returns
    -------
    DataFrame
        ``customer_id, last_order_date, recency_days, frequency, monetary,
        r_score, f_score, m_score, rfm_score, segment`` sorted by customer.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["1", "2", "3", "4", "5", "6", "7"],
    ...     "customer_id": ["A", "A", "A", "B", "C", "D", "E"],
    ...     "order_date": pd.to_datetime(["2025-01-01", "2025-05-01", "2025-06-30",
    ...                                   "2025-06-20", "2024-07-01", "2025-03-01",
    ...                                   "2025-06-29"]),
    ...     "amount": [100.0, 100.0, 100.0, 50.0, 500.0, 20.0, 60.0],
    ... })
    >>> out = rfm_scores(orders, as_of="2025-06-30")
    >>> print(out.drop(columns="last_order_date").to_string())
      customer_id  recency_days  frequency  monetary  r_score  f_score  m_score rfm_score         segment
    0           A             0          3     300.0        5        5        4       554       Champions
    1           B            10          1      50.0        3        1        2       312  About to sleep
    2           C           364          1     500.0        1        1        5       115            Lost
    3           D           121          1      20.0        2        1        1       211     Hibernating
    4           E             1          1      60.0        4        1        3       413       Promising
    """
    frame = _orders(
        orders, as_of=as_of, include_cancelled=include_cancelled, required=["order_id", "amount"]
    )
    day = _day(as_of)
    frame = frame.with_columns(__amount=nw.col("amount").cast(nw.Float64))
    out = frame.group_by("customer_id").agg(
        nw.col("order_date").max().alias("last_order_date"),
        nw.col("order_id").n_unique().alias("frequency"),
        nw.col("__amount").sum().alias("monetary"),
    )
    out = out.with_columns(
        recency_days=days_between(nw.lit(day), nw.col("last_order_date").dt.truncate("1d"))
        .round(0)
        .cast(nw.Int64),
        frequency=nw.col("frequency").cast(nw.Int64),
        __m=nw.col("monetary").round(6),
    )
    out = out.with_columns(
        r_score=_quintile("recency_days", lower_is_better=True),
        f_score=_quintile("frequency"),
        m_score=_quintile("__m"),
    )
    out = out.with_columns(
        rfm_score=nw.concat_str(
            [nw.col(c).cast(nw.String) for c in ("r_score", "f_score", "m_score")]
        ),
        segment=_segment_expr(),
    )
    out = out.select(
        "customer_id",
        "last_order_date",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm_score",
        "segment",
    )
    return close_frame(out.sort("customer_id"), like=orders)


# -- cohorts and churn ------------------------------------------------------------------------
def _active(orders, *, freq, fiscal_year_start, as_of, include_cancelled, by=(), customers=None):
    frame = _orders(
        orders, as_of=as_of, include_cancelled=include_cancelled, by=by, customers=customers
    )
    frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    return frame


def _last_period(frame: nw.LazyFrame, *, freq, fiscal_year_start, as_of) -> Period | None:
    if as_of is not None:
        return Period.containing(as_of, freq=freq, fiscal_year_start=fiscal_year_start)
    _, hi = _bounds(frame, "order_date")
    if hi is None:
        return None
    return Period.containing(hi, freq=freq, fiscal_year_start=fiscal_year_start)


def _period_index(active: str, cohort: str, freq: str) -> nw.Expr:
    if freq == "week":
        return (days_between(active, cohort) / 7.0).round(0).cast(nw.Int64)
    months = (nw.col(active).dt.year() * 12 + nw.col(active).dt.month()) - (
        nw.col(cohort).dt.year() * 12 + nw.col(cohort).dt.month()
    )
    step = {"month": 1, "quarter": 3, "half": 6, "year": 12}[freq]
    return (months.cast(nw.Int64) // step).cast(nw.Int64)


def cohort_retention(
    orders,
    *,
    freq: str = "month",
    as_of=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
):
    """Cohort retention: share of each acquisition cohort active k periods later.

    Cohort of a customer = the period of the customer's first order (in the
    data up to ``as_of``). A customer is *active* in a period when they have
    at least one order in it. For cohort *c* and period index *k* (0 = the
    cohort's own period): ``customers`` = cohort size, ``active`` = cohort
    customers active in period *c + k*, ``retention = active / customers``
    (so ``retention`` is 1 at *k = 0*).

    Every cohort gets every index up to the last period of the data (the one
    containing ``as_of`` when given, else the latest order); a cell without
    orders has ``active = 0``. With ``as_of`` inside a period, that last
    period is incomplete: its cells have ``note = "period incomplete at
    as_of"``.

    Returns
    -------
    DataFrame
        Tidy: ``cohort, cohort_start, period_index, period, period_start,
        customers, active, retention, note`` sorted by cohort and index. See
        :func:`retention_matrix` for the cohort × index table.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["1", "2", "3", "4", "5"],
    ...     "customer_id": ["A", "B", "A", "C", "B"],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-03",
    ...                                   "2025-02-10", "2025-03-01"]),
    ...     "amount": [1.0] * 5,
    ... })
    >>> out = cohort_retention(orders, freq="month")
    >>> print(out[["cohort", "period_index", "customers", "active", "retention"]].to_string())
        cohort  period_index  customers  active  retention
    0  2025-01             0          2       2        1.0
    1  2025-01             1          2       1        0.5
    2  2025-01             2          2       1        0.5
    3  2025-02             0          1       1        1.0
    4  2025-02             1          1       0        0.0
    5  2025-03             0          0       0        NaN
    """
    freq = normalize_freq(freq)
    frame = _active(
        orders,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
        include_cancelled=include_cancelled,
    )
    pairs = frame.select("customer_id", PERIOD_START).unique()
    cohorts = pairs.group_by("customer_id").agg(nw.col(PERIOD_START).min().alias("cohort_start"))
    sizes = (
        cohorts.with_columns(__one=nw.lit(1))
        .group_by("cohort_start")
        .agg(nw.col("__one").sum().alias("customers"))
    )
    cells = pairs.join(cohorts, on="customer_id", how="inner").with_columns(__one=nw.lit(1))
    cells = cells.group_by(["cohort_start", PERIOD_START]).agg(
        nw.col("__one").sum().alias("active")
    )
    # grid: every period from the first cohort to the last period × later periods
    first, _ = _bounds(frame, "order_date")
    last = _last_period(frame, freq=freq, fiscal_year_start=fiscal_year_start, as_of=as_of)
    dtype = frame.collect_schema()[PERIOD_START]
    rows: dict[str, list] = {"cohort_start": [], "period_index": [], PERIOD_START: []}
    if first is not None and last is not None:
        periods = period_range(first, last, freq=freq, fiscal_year_start=fiscal_year_start)
        for i, cohort in enumerate(periods):
            for k, current in enumerate(periods[i:]):
                rows["cohort_start"].append(cohort.start.to_pydatetime())
                rows["period_index"].append(k)
                rows[PERIOD_START].append(current.start.to_pydatetime())
    grid = _literal_frame(
        rows,
        like=frame,
        schema={
            "cohort_start": nw.Datetime("us"),
            "period_index": nw.Int64(),
            PERIOD_START: nw.Datetime("us"),
        },
    )
    grid = grid.with_columns(nw.col("cohort_start").cast(dtype), nw.col(PERIOD_START).cast(dtype))
    out = grid.join(sizes, on="cohort_start", how="left").join(
        cells, on=["cohort_start", PERIOD_START], how="left"
    )
    out = out.with_columns(
        nw.col("customers").fill_null(0).cast(nw.Int64),
        nw.col("active").fill_null(0).cast(nw.Int64),
    )
    cut = _incomplete_start(as_of, freq, fiscal_year_start)
    cases = [(nw.col("customers") == 0, "no customers acquired in the cohort period")]
    if cut is not None:
        cases.append(
            (nw.col(PERIOD_START) == nw.lit(cut.to_pydatetime()), "period incomplete at as_of")
        )
    out = out.with_columns(retention=ratio("active", "customers"), note=_note(*cases))
    out = finish(out, freq=freq, fiscal_year_start=fiscal_year_start)
    out = (
        out.with_columns(
            cohort=period_label_expr("cohort_start", freq=freq, fiscal_year_start=fiscal_year_start)
        )
        .select(
            "cohort",
            "cohort_start",
            "period_index",
            "period",
            PERIOD_START,
            "customers",
            "active",
            "retention",
            "note",
        )
        .sort(["cohort_start", "period_index"])
    )
    return close_frame(out, like=orders)


def retention_matrix(retention, *, values: str = "retention"):
    """Pivot the tidy :func:`cohort_retention` table: one row per cohort, one column per index.

    Parameters
    ----------
    retention : DataFrame
        Output of :func:`cohort_retention` (pandas or polars).
    values : str, default "retention"
        Column to spread (``"retention"`` or ``"active"``).

    Returns
    -------
    DataFrame
        ``cohort`` then columns ``"0"``, ``"1"``, ... (period index, as text);
        cells after the last period of the data are missing.

    Examples
    --------
    >>> import pandas as pd
    >>> tidy = pd.DataFrame({"cohort": ["2025-01", "2025-01", "2025-02"],
    ...                      "cohort_start": pd.to_datetime(["2025-01-01"] * 2 + ["2025-02-01"]),
    ...                      "period_index": [0, 1, 0], "retention": [1.0, 0.5, 1.0]})
    >>> retention_matrix(tidy)
        cohort    0    1
    0  2025-01  1.0  0.5
    1  2025-02  1.0  NaN
    """
    frame = open_frame(
        retention, table="retention", required=["cohort", "cohort_start", "period_index", values]
    )
    # missing values are carried through the pivot as a sentinel: pandas' pivot
    # would drop a cohort whose cells are all missing
    sentinel = -1.0
    impl = frame.implementation
    native_pivot = impl.is_pandas() or impl.is_polars()
    eager = (
        frame.select(
            "cohort",
            "cohort_start",
            nw.col("period_index").cast(nw.Int64),
            nw.col(values).cast(nw.Float64).fill_null(sentinel).fill_nan(sentinel).alias("__v"),
        )
        .collect(backend=None if native_pivot else "polars")
        .sort(["period_index", "cohort_start"])
    )
    indexes = sorted(set(eager["period_index"].to_list()))
    wide = eager.with_columns(__col=nw.col("period_index").cast(nw.String)).pivot(
        on="__col", index=["cohort", "cohort_start"], values="__v", aggregate_function="first"
    )
    columns = [str(i) for i in indexes]
    wide = wide.sort("cohort_start").select(
        "cohort", *[nw.when(nw.col(c) != sentinel).then(nw.col(c)).alias(c) for c in columns]
    )
    if isinstance(nw.from_native(retention), nw.LazyFrame):
        out = wide.lazy() if impl.is_polars() else wide.lazy(backend=impl)
    else:
        out = wide
    return close_frame(out, like=retention)


def churn_rate(
    orders,
    *,
    freq: str = "quarter",
    by=None,
    as_of=None,
    customers=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
    comparisons: bool = True,
):
    """Customer churn and retention between consecutive periods.

    Definitions, for period *t* and group (a customer is *active* in a period
    when they have at least one order in it, within the group):

    - ``customers_prev``: customers active in period *t - 1*;
    - ``retained``: of those, the customers also active in *t*;
    - ``churned = customers_prev - retained``;
    - ``churn_rate = churned / customers_prev``;
    - ``retention_rate = retained / customers_prev = 1 - churn_rate``;
    - ``active``: customers active in *t*; ``new``: active customers whose
      first order (in the data, within the group) is in *t*;
      ``reactivated = active - retained - new`` (back after a gap).

    Rows: every period from the first to the last one with orders, every
    group. ``customers_prev = 0`` (e.g. the first period) → rates missing,
    ``note = "no customers active in the previous period"``. With ``as_of``,
    orders after it are ignored and a period that is not over at ``as_of`` is
    flagged ``note = "period incomplete at as_of"`` (its churn is overstated).

    Parameters
    ----------
    by : str or list of str, optional
        Columns of ``orders`` (``region``, ``channel``) or of ``customers``
        (``segment``; pass ``customers=``).
    comparisons : bool, default True
        Comparisons of ``churn_rate``.

    Returns
    -------
    DataFrame
        ``period, period_start, *by, customers_prev, retained, churned,
        churn_rate, retention_rate, active, new, reactivated, note``
        (+ comparisons).

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["1", "2", "3", "4", "5", "6"],
    ...     "customer_id": ["A", "B", "C", "A", "D", "C"],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-03-01",
    ...                                   "2025-04-10", "2025-05-01", "2025-08-01"]),
    ...     "amount": [1.0] * 6,
    ... })
    >>> out = churn_rate(orders, freq="quarter", comparisons=False)
    >>> print(out[["period", "customers_prev", "retained", "churned", "churn_rate",
    ...            "active", "new", "reactivated"]].to_string())
       period  customers_prev  retained  churned  churn_rate  active  new  reactivated
    0  2025Q1               0         0        0         NaN       3    3            0
    1  2025Q2               3         1        2    0.666667       2    1            0
    2  2025Q3               2         0        2    1.000000       1    0            1
    """
    freq = normalize_freq(freq)
    by = as_list(by)
    _check_by_not_reserved(by, ["customer_id", "customers_prev", "retained", "churned", "note"])
    frame = _active(
        orders,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
        include_cancelled=include_cancelled,
        by=by,
        customers=customers,
    )
    act = frame.select("customer_id", PERIOD_START, *by).unique()
    prev = act.with_columns(_offset(nw.col(PERIOD_START), freq, 1).alias(PERIOD_START))
    one = nw.lit(1)
    base = (
        prev.with_columns(__one=one)
        .group_by([PERIOD_START, *by])
        .agg(nw.col("__one").sum().alias("customers_prev"))
    )
    kept = _join(prev, act, on=[PERIOD_START, "customer_id"], by=by, how="inner")
    kept = (
        kept.with_columns(__one=one)
        .group_by([PERIOD_START, *by])
        .agg(nw.col("__one").sum().alias("retained"))
    )
    active = (
        act.with_columns(__one=one)
        .group_by([PERIOD_START, *by])
        .agg(nw.col("__one").sum().alias("active"))
    )
    firsts = act.group_by(["customer_id", *by]).agg(nw.col(PERIOD_START).min())
    new = (
        firsts.with_columns(__one=one)
        .group_by([PERIOD_START, *by])
        .agg(nw.col("__one").sum().alias("new"))
    )
    grid = _period_grid(
        frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start, by=by, end=as_of
    )
    out = grid
    for part, cols in (
        (base, ["customers_prev"]),
        (kept, ["retained"]),
        (active, ["active"]),
        (new, ["new"]),
    ):
        out = _complete(part, out, by=by, counts=cols)
    out = out.with_columns(
        churned=nw.col("customers_prev") - nw.col("retained"),
        reactivated=nw.col("active") - nw.col("retained") - nw.col("new"),
    ).with_columns(
        churn_rate=ratio("churned", "customers_prev"),
        retention_rate=ratio("retained", "customers_prev"),
    )
    cases = [(nw.col("customers_prev") == 0, "no customers active in the previous period")]
    cut = _incomplete_start(as_of, freq, fiscal_year_start)
    if cut is not None:
        cases.append(
            (nw.col(PERIOD_START) == nw.lit(cut.to_pydatetime()), "period incomplete at as_of")
        )
    out = out.with_columns(_note(*cases)).select(
        PERIOD_START,
        *by,
        "customers_prev",
        "retained",
        "churned",
        "churn_rate",
        "retention_rate",
        "active",
        "new",
        "reactivated",
        "note",
    )
    out = _compare(
        out,
        ["churn_rate"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=orders)


def retention_rate(
    orders,
    *,
    freq: str = "quarter",
    by=None,
    as_of=None,
    customers=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
    comparisons: bool = True,
):
    """Customer retention between consecutive periods (the same table as :func:`churn_rate`).

    ``retention_rate = retained / customers_prev = 1 - churn_rate``: the share
    of the customers active in the previous period who are active again in
    this one. All definitions, edge cases and columns are those of
    :func:`churn_rate`; the comparisons are of ``retention_rate``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["A", "B", "A"],
    ...                        "order_date": pd.to_datetime(["2025-01-05", "2025-02-01",
    ...                                                      "2025-04-10"]),
    ...                        "amount": [1.0] * 3})
    >>> retention_rate(orders, comparisons=False)[["period", "customers_prev", "retention_rate"]]
       period  customers_prev  retention_rate
    0  2025Q1               0             NaN
    1  2025Q2               2             0.5
    """
    out = churn_rate(
        orders,
        freq=freq,
        by=by,
        as_of=as_of,
        customers=customers,
        fiscal_year_start=fiscal_year_start,
        include_cancelled=include_cancelled,
        comparisons=False,
    )
    if not comparisons:
        return out
    freq = normalize_freq(freq)
    by = as_list(by)
    frame = open_frame(out, table="churn")
    frame = _compare(
        frame,
        ["retention_rate"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=True,
    )
    return close_frame(finish(frame, by=by), like=out)


# -- engagement -------------------------------------------------------------------------------
def engagement_after_purchase(
    engagement,
    orders,
    *,
    window_days: float = 90,
    by=None,
    customers=None,
    as_of=None,
    include_cancelled: bool = False,
):
    """Customer engagement in the days after their purchases.

    Window rule: an engagement event counts when it happens within
    ``window_days`` days after a purchase of the same customer, i.e.
    ``order_date <= event_at < order_date + window_days`` for at least one of
    the customer's orders (``order_date`` is a day, so events of the purchase
    day count); overlapping windows of several purchases are merged, so an
    event counts once. Events and orders after ``as_of`` are ignored
    (``as_of`` defaults to the latest order or event date).

    Measures, per group of customers (``by`` = customer attributes):

    - ``customers``: customers with at least one purchase (the population);
    - ``exposure_days``: total length of their merged windows, cut at
      ``as_of``;
    - email: ``sends``, ``opens``, ``clicks`` = events ``send``/``open``/
      ``click`` on channel ``email``; ``open_rate = opens / sends``,
      ``click_rate = clicks / sends``, ``click_to_open_rate = clicks / opens``;
    - ``visits`` = events ``visit`` (any channel);
      ``visits_per_customer_30d = visits / exposure_days × 30`` (visits per
      customer per 30 days in window);
    - ``active_time_s`` = sum of ``duration_s`` of the events in window;
      ``active_time_per_customer_s = active_time_s / customers``.

    Rates with a zero denominator are missing; ``note`` says when no email was
    sent in the windows.

    The window test is an as-of join (latest purchase at or before each
    event). With a polars LazyFrame input, polars warns at ``collect()`` that
    it "cannot check sortedness" within customer groups; both sides are sorted
    on the join key, so the warning is harmless.

    Parameters
    ----------
    engagement : DataFrame
        Needs ``customer_id``, ``event_at``, ``channel``, ``event``
        (``duration_s`` optional).
    orders : DataFrame
        Needs ``customer_id``, ``order_date``.
    window_days : float, default 90
    by : str or list of str, optional
        Customer attributes (``segment``, ``region``) from ``customers``, or
        ``"customer_id"`` for one row per customer.
    customers : DataFrame, optional
    as_of : date, optional
    include_cancelled : bool, default False
        Count cancelled orders as purchases.

    Returns
    -------
    DataFrame
        ``*by, customers, exposure_days, sends, opens, clicks, visits,
        active_time_s, open_rate, click_rate, click_to_open_rate,
        visits_per_customer_30d, active_time_per_customer_s, note``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["A", "B"], "order_id": ["1", "2"],
    ...                        "order_date": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...                        "amount": [1.0, 1.0]})
    >>> events = pd.DataFrame({
    ...     "customer_id": ["A", "A", "A", "B", "B", "A"],
    ...     "event_at": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-04",
    ...                                 "2025-01-10", "2025-01-11", "2025-02-15"]),
    ...     "channel": ["email", "email", "web", "email", "web", "email"],
    ...     "event": ["send", "open", "visit", "send", "visit", "send"],
    ...     "duration_s": [None, None, 120.0, None, 60.0, None],
    ... })
    >>> out = engagement_after_purchase(events, orders, window_days=30, as_of="2025-03-31")
    >>> print(out[["customers", "exposure_days", "sends", "opens", "visits", "open_rate",
    ...            "visits_per_customer_30d", "active_time_per_customer_s"]].to_string())
       customers  exposure_days  sends  opens  visits  open_rate  visits_per_customer_30d  active_time_per_customer_s
    0          2           60.0      2      1       2        0.5                      1.0                        90.0
    """
    by = as_list(by)
    if window_days <= 0:
        raise ValueError(f"window_days must be positive, got {window_days!r}")
    _check_by_not_reserved(by, ["customers", "exposure_days", "sends", "visits", "note"])
    events = open_frame(
        engagement, table="engagement", required=["customer_id", "event_at", "channel", "event"]
    )
    ords = _orders(orders, include_cancelled=include_cancelled, like=events)
    if as_of is None:
        _, hi_o = _bounds(ords, "order_date")
        _, hi_e = _bounds(events, "event_at")
        known = [d for d in (hi_o, hi_e) if d is not None]
        if not known:
            raise ValueError("cannot infer as_of: orders and engagement have no dates")
        as_of = max(known).normalize()
    end = _day_after(as_of)
    event_dtype = events.collect_schema()["event_at"]
    purchases = (
        ords.filter(nw.col("order_date") < nw.lit(end))
        .select("customer_id", nw.col("order_date").cast(event_dtype).alias("__purchase"))
        .unique()
    )
    # merged windows: each purchase covers up to the next purchase, the window end or as_of
    nxt = nw.col("__purchase").shift(-1).over("customer_id", order_by="__purchase")
    purchases = purchases.with_columns(__next=nxt)
    purchases = purchases.with_columns(
        __exposure=nw.min_horizontal(
            nw.lit(float(window_days)),
            days_between("__next", "__purchase"),
            days_between(nw.lit(end), "__purchase"),
        )
    )
    per_customer = purchases.group_by("customer_id").agg(
        nw.col("__exposure").sum().alias("exposure_days")
    )
    names = column_names(events)
    events = events.filter(~nw.col("event_at").is_null() & (nw.col("event_at") < nw.lit(end)))
    # the join key is duplicated: some backends (DuckDB) drop the right key column
    events = events.sort("event_at").join_asof(
        purchases.select(
            "customer_id", "__purchase", nw.col("__purchase").alias("__purchase_key")
        ).sort("__purchase_key"),
        left_on="event_at",
        right_on="__purchase_key",
        by="customer_id",
        strategy="backward",
    )
    events = events.filter(
        ~nw.col("__purchase").is_null()
        & (days_between("event_at", "__purchase") < float(window_days))
    )
    email = nw.col("channel") == "email"
    duration = (
        nw.col("duration_s").cast(nw.Float64).fill_null(0.0)
        if "duration_s" in names
        else nw.lit(0.0)
    )
    events = events.with_columns(
        __send=_flag(email & (nw.col("event") == "send")),
        __open=_flag(email & (nw.col("event") == "open")),
        __click=_flag(email & (nw.col("event") == "click")),
        __visit=_flag(nw.col("event") == "visit"),
        __dur=duration,
    )
    ev = events.group_by("customer_id").agg(
        nw.col("__send").sum().alias("sends"),
        nw.col("__open").sum().alias("opens"),
        nw.col("__click").sum().alias("clicks"),
        nw.col("__visit").sum().alias("visits"),
        nw.col("__dur").sum().alias("active_time_s"),
    )
    counts = ["sends", "opens", "clicks", "visits"]
    per_customer = per_customer.join(ev, on="customer_id", how="left").with_columns(
        *[nw.col(c).fill_null(0).cast(nw.Int64) for c in counts],
        nw.col("active_time_s").fill_null(0.0).cast(nw.Float64),
        __one=nw.lit(1),
    )
    per_customer = attach_columns(
        per_customer,
        by,
        table="engagement/orders",
        lookups={"customers": (customers, "customer_id")},
    )
    sums = [
        nw.col("__one").sum().alias("customers"),
        nw.col("exposure_days").sum(),
        *[nw.col(c).sum() for c in counts],
        nw.col("active_time_s").sum(),
    ]
    out = per_customer.group_by(by).agg(*sums) if by else per_customer.select(*sums)
    out = out.with_columns(nw.col(c).cast(nw.Int64) for c in ["customers", *counts])
    out = out.with_columns(
        open_rate=ratio("opens", "sends"),
        click_rate=ratio("clicks", "sends"),
        click_to_open_rate=ratio("clicks", "opens"),
        visits_per_customer_30d=ratio(nw.col("visits") * 30.0, "exposure_days"),
        active_time_per_customer_s=ratio("active_time_s", "customers"),
        note=_note((nw.col("sends") == 0, "no email sent in the windows")),
    )
    if by:
        out = out.sort(by, nulls_last=True)
    with warnings.catch_warnings():
        # polars cannot verify sortedness within the ``by`` groups of the as-of
        # join; both sides are sorted on the join key above
        warnings.filterwarnings(
            "ignore", message="Sortedness of columns cannot be checked", category=UserWarning
        )
        return close_frame(out, like=engagement)


# -- CLV --------------------------------------------------------------------------------------
_YEAR_DAYS = 365.25


def historical_clv(
    orders,
    *,
    by=None,
    margin=None,
    lifespan="churn",
    as_of=None,
    customers=None,
    include_cancelled: bool = False,
):
    """Simple historical customer lifetime value per group.

    Formula::

        clv = average_order_value × purchase_frequency × lifespan_years × margin

    - ``average_order_value = revenue / orders`` (distinct ``order_id``);
    - ``purchase_frequency = orders / customers / observed_years``: orders
      per customer per year, where ``observed_years`` is the span of the data
      from its first order date to the end of ``as_of`` (365.25-day years);
    - ``lifespan_years``:

      * a number: used as given;
      * ``"churn"`` (default): ``1 / annual_churn`` with ``annual_churn`` =
        share of the customers active in the year before last (days
        ``as_of - 730 < d <= as_of - 365``) with no order in the last year
        (``as_of - 365 < d <= as_of``); needs two years of data, otherwise
        missing with a note; no churn observed → missing with a note;
      * ``"observed"``: mean over the customers of (last − first order
        date) in years — a lower bound, one-time buyers count 0;

    - ``margin``: None → 1 (CLV in revenue), a fraction such as ``0.3``, or
      ``"profit"`` → ``sum(profit) / revenue`` of the group.

    This is a descriptive heuristic; the probabilistic models (BG/NBD,
    Gamma-Gamma) live in :mod:`salesnb.models`.

    Parameters
    ----------
    orders : DataFrame
        Needs ``order_id``, ``customer_id``, ``order_date``, ``amount``
        (``profit`` for ``margin="profit"``).
    by : str or list of str, optional
        Columns of orders or customers (``customers=``).
    as_of : date, optional
        Default: the latest order date.

    Returns
    -------
    DataFrame
        ``*by, customers, orders, revenue, average_order_value,
        purchase_frequency, lifespan_years, margin, clv, note``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["1", "2", "3", "4"],
    ...     "customer_id": ["A", "A", "B", "B"],
    ...     "order_date": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-03-01",
    ...                                   "2024-12-30"]),
    ...     "amount": [100.0, 300.0, 100.0, 300.0],
    ... })
    >>> out = historical_clv(orders, lifespan=3.0, margin=0.5, as_of="2024-12-30")
    >>> print(out[["customers", "orders", "average_order_value", "purchase_frequency",
    ...            "clv"]].round(4).to_string())
       customers  orders  average_order_value  purchase_frequency    clv
    0          2       4                200.0              2.0014  600.4
    """
    by = as_list(by)
    _check_by_not_reserved(by, ["customers", "orders", "revenue", "clv", "note"])
    if isinstance(lifespan, str) and lifespan not in ("churn", "observed"):
        raise ValueError(
            f"lifespan must be a number of years, 'churn' or 'observed', got {lifespan!r}"
        )
    if not isinstance(lifespan, str) and not float(lifespan) > 0:
        raise ValueError(f"lifespan must be positive, got {lifespan!r}")
    if margin is not None and margin != "profit" and not 0 < float(margin) <= 1:
        raise ValueError(f"margin must be a fraction in (0, 1] or 'profit', got {margin!r}")
    required = ["order_id", "amount"] + (["profit"] if margin == "profit" else [])
    frame = _orders(
        orders,
        as_of=as_of,
        include_cancelled=include_cancelled,
        required=required,
        by=by,
        customers=customers,
    )
    as_of = _latest(frame, "order_date", as_of)
    end = pd.Timestamp(_day_after(as_of))
    first, _ = _bounds(frame, "order_date")
    observed_years = (end - first).days / _YEAR_DAYS if first is not None else float("nan")
    frame = frame.with_columns(__amount=nw.col("amount").cast(nw.Float64))
    aggs = [
        nw.col("customer_id").n_unique().alias("customers"),
        nw.col("order_id").n_unique().alias("orders"),
        nw.col("__amount").sum().alias("revenue"),
    ]
    if margin == "profit":
        frame = frame.with_columns(__profit=nw.col("profit").cast(nw.Float64))
        aggs.append(nw.col("__profit").sum().alias("__profit"))
    out = frame.group_by(by).agg(*aggs) if by else frame.select(*aggs)
    out = out.with_columns(nw.col("customers").cast(nw.Int64), nw.col("orders").cast(nw.Int64))
    out = out.with_columns(
        average_order_value=ratio("revenue", "orders"),
        purchase_frequency=ratio("orders", "customers") / observed_years,
    )
    has_why = False
    if isinstance(lifespan, str):
        per_customer = frame.group_by(["customer_id", *by]).agg(
            nw.col("order_date").min().alias("__first"), nw.col("order_date").max().alias("__last")
        )
        if lifespan == "observed":
            per_customer = per_customer.with_columns(
                __life=days_between("__last", "__first") / _YEAR_DAYS
            )
            life = (
                per_customer.group_by(by).agg(nw.col("__life").mean().alias("lifespan_years"))
                if by
                else per_customer.select(nw.col("__life").mean().alias("lifespan_years"))
            )
        else:
            y1 = as_datetime(end - pd.Timedelta(days=365))
            y0 = as_datetime(end - pd.Timedelta(days=730))
            flags = (
                frame.with_columns(
                    __base=_flag(
                        (nw.col("order_date") >= nw.lit(y0)) & (nw.col("order_date") < nw.lit(y1))
                    ),
                    __last_year=_flag(nw.col("order_date") >= nw.lit(y1)),
                )
                .group_by(["customer_id", *by])
                .agg(nw.col("__base").max(), nw.col("__last_year").max())
            )
            flags = flags.with_columns(__kept=nw.col("__base") * nw.col("__last_year"))
            sums = [
                nw.col("__base").sum().alias("__base_n"),
                nw.col("__kept").sum().alias("__kept_n"),
            ]
            life = flags.group_by(by).agg(*sums) if by else flags.select(*sums)
            life = life.with_columns(
                __churn=ratio(nw.col("__base_n") - nw.col("__kept_n"), "__base_n")
            )
            enough = first is not None and first <= pd.Timestamp(y0)
            life = life.with_columns(
                lifespan_years=nw.when(nw.lit(enough) & (nw.col("__churn") > 0)).then(
                    1.0 / nw.col("__churn")
                ),
                __why=nw.when(~nw.lit(enough))
                .then(nw.lit("lifespan: less than two years of data to estimate churn"))
                .when(nw.col("__base_n") == 0)
                .then(nw.lit("lifespan: no customers active in the base year"))
                .when(nw.col("__churn") == 0)
                .then(nw.lit("lifespan: no churn observed")),
            ).select(*by, "lifespan_years", "__why")
            has_why = True
        out = _join(out, life, by=by, how="left") if by else out.join(life, how="cross")
    else:
        out = out.with_columns(lifespan_years=nw.lit(float(lifespan)))
    if margin is None:
        out = out.with_columns(margin=nw.lit(1.0))
    elif margin == "profit":
        out = out.with_columns(margin=ratio("__profit", "revenue")).drop("__profit")
    else:
        out = out.with_columns(margin=nw.lit(float(margin)))
    out = out.with_columns(
        clv=nw.col("average_order_value")
        * nw.col("purchase_frequency")
        * nw.col("lifespan_years")
        * nw.col("margin")
    )
    note = nw.col("__why") if has_why else nw.lit(None, dtype=nw.String)
    out = out.with_columns(
        note=nw.when(nw.col("customers") == 0).then(nw.lit("no customers")).otherwise(note)
    )
    out = out.select(
        *by,
        "customers",
        "orders",
        "revenue",
        "average_order_value",
        "purchase_frequency",
        "lifespan_years",
        "margin",
        "clv",
        "note",
    )
    if by:
        out = out.sort(by, nulls_last=True)
    return close_frame(out, like=orders)


# -- acquisition cost -------------------------------------------------------------------------
def acquisition_cost(
    marketing_spend,
    customers=None,
    leads=None,
    *,
    freq: str = "quarter",
    by="source",
    fiscal_year_start: int = 1,
    comparisons: bool = True,
):
    """Customer acquisition cost (CAC) per period and source.

    Formula: ``cac = spend / new_customers`` where

    - ``spend`` = ``marketing_spend.amount`` of the period (spend rows carry a
      period label — month, quarter, half or year — which must not be longer
      than ``freq``: monthly spend can be summed to quarters, yearly spend
      cannot be split into quarters);
    - ``new_customers`` = customers acquired in the period from that source:
      from ``customers`` (``acquired_at`` decides, ``source``), else from
      ``leads`` (converted leads, ``converted_at`` decides, ``source``; one
      converted lead = one new customer).

    Rows: the periods with recorded spend × the sources with spend or new
    customers in them. Edge cases: no new customer → ``cac`` missing,
    ``note = "no new customers"``; a source with customers but no spend row
    has ``spend = 0`` (so ``cac = 0``) and ``note = "no spend recorded"``.

    Parameters
    ----------
    marketing_spend : DataFrame
        ``period``, ``source``, ``amount``.
    customers, leads : DataFrame
        One of them, see above (``customers`` wins when both are given).
    freq : str, default "quarter"
    by : "source" or None, default "source"
        ``None`` gives the blended CAC over all sources.
    comparisons : bool, default True
        Comparisons of ``cac``.

    Returns
    -------
    DataFrame
        ``period, period_start, [source,] spend, new_customers, cac, note``
        (+ comparisons).

    Examples
    --------
    >>> import pandas as pd
    >>> spend = pd.DataFrame({"period": ["2025-01", "2025-02", "2025-01"],
    ...                       "source": ["web", "web", "event"],
    ...                       "amount": [300.0, 300.0, 500.0]})
    >>> customers = pd.DataFrame({"customer_id": ["A", "B", "C"],
    ...                           "acquired_at": pd.to_datetime(["2025-01-05", "2025-03-01",
    ...                                                          "2025-02-01"]),
    ...                           "source": ["web", "web", "referral"]})
    >>> out = acquisition_cost(spend, customers, freq="quarter", comparisons=False)
    >>> print(out.to_string())
       period period_start    source  spend  new_customers    cac               note
    0  2025Q1   2025-01-01     event  500.0              0    NaN   no new customers
    1  2025Q1   2025-01-01  referral    0.0              1    0.0  no spend recorded
    2  2025Q1   2025-01-01       web  600.0              2  300.0                NaN
    """
    freq = normalize_freq(freq)
    if by not in (None, "source"):
        raise ValueError(f"by must be 'source' or None, got {by!r}")
    by_cols = as_list(by)
    spend = open_frame(
        marketing_spend, table="marketing_spend", required=["period", "source", "amount"]
    )
    if customers is not None:
        acq = _open(customers, table="customers", required=["acquired_at", "source"], like=spend)
        date_col = "acquired_at"
    elif leads is not None:
        acq = _open(leads, table="leads", required=["converted_at", "source"], like=spend)
        date_col = "converted_at"
    else:
        raise MissingColumnsError(
            "acquisition_cost needs customers= (acquired_at, source) or leads= "
            "(converted_at, source) to count new customers"
        )
    acq = acq.filter(~nw.col(date_col).is_null())
    acq = with_period(acq, date_col, freq=freq, fiscal_year_start=fiscal_year_start)
    dtype = acq.collect_schema()[PERIOD_START]
    labels = sorted(
        str(x)
        for x in spend.select("period").unique().collect()["period"].to_list()
        if x is not None
    )
    starts = []
    for label in labels:
        p = Period.parse(label, fiscal_year_start=fiscal_year_start)
        first = Period.containing(p.start, freq=freq, fiscal_year_start=fiscal_year_start)
        last = Period.containing(p.last_day, freq=freq, fiscal_year_start=fiscal_year_start)
        if first != last:
            raise ValueError(
                f"marketing_spend period {label!r} spans more than one {freq}; use a freq "
                f"at least as long as the spend periods"
            )
        starts.append(first.start.to_pydatetime())
    mapping = _literal_frame(
        {"period": labels, PERIOD_START: starts},
        like=spend,
        schema={"period": nw.String(), PERIOD_START: nw.Datetime("us")},
    )
    mapping = mapping.with_columns(nw.col(PERIOD_START).cast(dtype))
    spend = spend.with_columns(
        nw.col("period").cast(nw.String), __amount=nw.col("amount").cast(nw.Float64)
    )
    spend = (
        spend.join(mapping, on="period", how="inner")
        .group_by([PERIOD_START, *by_cols])
        .agg(nw.col("__amount").sum().alias("spend"))
    )
    acq = (
        acq.with_columns(__one=nw.lit(1))
        .group_by([PERIOD_START, *by_cols])
        .agg(nw.col("__one").sum().alias("new_customers"))
    )
    periods = spend.select(PERIOD_START).unique()
    acq = acq.join(periods, on=PERIOD_START, how="semi")
    keys = nw.concat(
        [spend.select(PERIOD_START, *by_cols), acq.select(PERIOD_START, *by_cols)], how="vertical"
    ).unique()
    out = _join(keys, spend, on=[PERIOD_START], by=by_cols)
    out = _join(out, acq, on=[PERIOD_START], by=by_cols)
    out = out.with_columns(
        nw.col("new_customers").fill_null(0).cast(nw.Int64),
        __no_spend=nw.col("spend").is_null(),
    ).with_columns(nw.col("spend").fill_null(0.0))
    out = out.with_columns(
        cac=ratio("spend", "new_customers"),
        note=_note(
            (nw.col("new_customers") == 0, "no new customers"),
            (nw.col("__no_spend"), "no spend recorded"),
        ),
    ).drop("__no_spend")
    out = _compare(
        out,
        ["cac"],
        by=by_cols,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(
        out, by=by_cols, freq=freq, fiscal_year_start=fiscal_year_start, like=marketing_spend
    )
