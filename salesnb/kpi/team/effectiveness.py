"""Sales-team KPIs: quota attainment, leaderboard, rep effectiveness, activities, eNPS.

Same conventions as :mod:`salesnb.kpi.pipeline`: frame in, new frame of the
same kind out (pandas, polars, polars LazyFrame, DuckDB relation), options
after ``*``, periods from :mod:`salesnb.periods`, ``as_of`` counts whole days, rates are
missing (not 0) with a ``note`` when their denominator is empty.

Revenue is the sum of ``orders.amount`` of the orders that are not
cancelled (``status != "cancelled"``; pass ``include_cancelled=True`` to keep
them), credited to ``orders.rep_id``; ``order_date`` decides the period.
Rep quotas are the ``targets`` rows with ``level == "rep"`` (``key`` is the
``rep_id``) whose ``period`` label has the frequency asked for.

Examples
--------
On the bundled sample company:

>>> import salesnb
>>> from salesnb import kpi
>>> data = salesnb.load(salesnb.SAMPLE_DATA)
>>> board = kpi.leaderboard(data.orders, period="2026Q3", reps=data.reps)
>>> print(board.sort_values("revenue_rank")[["rep_id", "revenue", "revenue_rank"]]
...       .head(3).round(2).to_string(index=False))
rep_id  revenue  revenue_rank
  R021 57677.72             1
  R018 55165.28             2
  R027 38315.95             3
"""

from __future__ import annotations

import logging

import narwhals as nw
import pandas as pd

from salesnb.kpi._frame import (
    PERIOD_START,
    add_comparisons,
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
    _day_after,
    _finish,
    _flag,
    _incomplete_start,
    _literal_frame,
    _note,
    _open,
    _period_table,
    _starts_frame,
)
from salesnb.periods import Period, normalize_freq
from salesnb.schema import ACTIVITY_TYPES

__all__ = [
    "quota_attainment",
    "share_at_quota",
    "leaderboard",
    "rep_effectiveness",
    "scheduled_visits",
    "activity_summary",
    "employee_satisfaction",
]

logger = logging.getLogger(__name__)

_TARGET_LABEL = {
    "month": r"^\d{4}-\d{2}$",
    "quarter": r"^\d{4}Q[1-4]$",
    "half": r"^\d{4}H[12]$",
    "year": r"^\d{4}$",
}


def _resolve_period(freq, period, fiscal_year_start):
    """(freq, Period or None) from the ``freq``/``period`` arguments."""
    if period is not None:
        per = Period.parse(period, fiscal_year_start=fiscal_year_start)
        return per.freq, per
    return normalize_freq(freq), None


def _revenue(
    orders, *, like, fiscal_year_start, freq, include_cancelled, as_of=None
) -> nw.LazyFrame:
    """Revenue per period_start and rep_id (orders up to ``as_of`` when given)."""
    frame = _open(orders, table="orders", required=["order_date", "amount", "rep_id"], like=like)
    # only the columns used: filtering rows of unused text columns is costly on pandas
    present = column_names(frame)
    frame = frame.select([c for c in ("order_date", "amount", "rep_id", "status") if c in present])
    frame = drop_cancelled(frame, include_cancelled=include_cancelled)
    if as_of is not None:
        frame = frame.filter(nw.col("order_date") < nw.lit(_day_after(as_of)))
    frame = frame.filter(~nw.col("rep_id").is_null() & ~nw.col("order_date").is_null())
    frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    frame = frame.with_columns(__amount=nw.col("amount").cast(nw.Float64))
    return frame.group_by([PERIOD_START, "rep_id"]).agg(nw.col("__amount").sum().alias("revenue"))


def _quota_frame(targets, *, like, freq, per, fiscal_year_start, dtype, as_of=None) -> nw.LazyFrame:
    """Rep quotas as ``period_start, rep_id, quota`` for periods of ``freq``.

    Periods starting after ``as_of`` are left out.
    """
    if freq not in _TARGET_LABEL:
        raise ValueError(f"targets have no {freq!r} periods; use month, quarter, half or year")
    tgt = _open(
        targets, table="targets", required=["period", "level", "key", "revenue_target"], like=like
    )
    tgt = tgt.filter(
        (nw.col("level") == "rep") & nw.col("period").str.contains(_TARGET_LABEL[freq])
    )
    if per is not None:
        tgt = tgt.filter(nw.col("period") == per.label)
    labels = sorted(tgt.select("period").unique().collect()["period"].to_list())
    starts = [Period.parse(x, freq=freq, fiscal_year_start=fiscal_year_start).start for x in labels]
    if as_of is not None:
        day = pd.Timestamp(as_of).normalize()
        kept = [(x, s) for x, s in zip(labels, starts, strict=True) if s <= day]
        labels, starts = [x for x, _ in kept], [s for _, s in kept]
    mapping = _label_starts(labels, starts, like=like, dtype=dtype)
    tgt = tgt.select(
        nw.col("period"),
        rep_id=nw.col("key").cast(nw.String),
        quota=nw.col("revenue_target").cast(nw.Float64),
    )
    tgt = tgt.group_by(["period", "rep_id"]).agg(nw.col("quota").sum())
    return tgt.join(mapping, on="period", how="inner").drop("period")


def _label_starts(labels, starts, *, like, dtype) -> nw.LazyFrame:
    frame = _literal_frame(
        {"period": list(labels), PERIOD_START: [pd.Timestamp(s).to_pydatetime() for s in starts]},
        like=like,
        schema={"period": nw.String(), PERIOD_START: nw.Datetime("us")},
    )
    return frame.with_columns(nw.col(PERIOD_START).cast(dtype))


def _period_dtype(frame: nw.LazyFrame, date_column: str, freq: str, fiscal_year_start: int):
    return with_period(
        frame, date_column, freq=freq, fiscal_year_start=fiscal_year_start
    ).collect_schema()[PERIOD_START]


def _resolve_as_of(orders_frame: nw.LazyFrame, as_of):
    """``as_of`` or, when None, the latest order date (None for an empty table)."""
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    _, hi = _bounds(orders_frame, "order_date")
    return None if hi is None else hi.normalize()


def _attainment(
    orders, targets, *, freq, per, fiscal_year_start, include_cancelled, by, reps, as_of
):
    """period_start, rep_id, *by, revenue, quota, attainment, note (narwhals lazy)."""
    base = open_frame(orders, table="orders", required=["order_date", "amount", "rep_id"])
    as_of = _resolve_as_of(base, as_of)
    dtype = _period_dtype(base, "order_date", freq, fiscal_year_start)
    quota = _quota_frame(
        targets,
        like=base,
        freq=freq,
        per=per,
        fiscal_year_start=fiscal_year_start,
        dtype=dtype,
        as_of=as_of,
    )
    revenue = _revenue(
        orders,
        like=base,
        fiscal_year_start=fiscal_year_start,
        freq=freq,
        include_cancelled=include_cancelled,
        as_of=as_of,
    )
    periods = quota.select(PERIOD_START).unique()
    revenue = revenue.join(periods, on=PERIOD_START, how="semi")
    keys = nw.concat(
        [quota.select(PERIOD_START, "rep_id"), revenue.select(PERIOD_START, "rep_id")],
        how="vertical",
    ).unique()
    out = keys.join(quota, on=[PERIOD_START, "rep_id"], how="left").join(
        revenue, on=[PERIOD_START, "rep_id"], how="left"
    )
    out = out.with_columns(nw.col("revenue").fill_null(0.0))
    cases = [(nw.col("quota").is_null(), "no quota"), (nw.col("quota") == 0, "quota is 0")]
    cut = _incomplete_start(as_of, freq, fiscal_year_start)
    if cut is not None:
        cases.append(
            (nw.col(PERIOD_START) == nw.lit(cut.to_pydatetime()), "period incomplete at as_of")
        )
    out = out.with_columns(attainment=ratio("revenue", "quota"), note=_note(*cases))
    out = attach_columns(out, by, table="orders", lookups={"reps": (reps, "rep_id")})
    return out, cut


def quota_attainment(
    orders,
    targets,
    *,
    freq: str = "quarter",
    period: str | None = None,
    as_of=None,
    by=None,
    reps=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
):
    """Revenue of each rep against the rep's quota.

    Formula: ``attainment = revenue / quota`` per rep and period, where
    ``revenue`` = sum of the rep's (non-cancelled) order amounts whose
    ``order_date`` falls in the period and ``quota`` = the rep-level target
    (``targets.level == "rep"``, ``targets.key == rep_id``) of the period.

    Rows: every rep with a quota in a period that has rep quotas, plus the
    reps that sold in such a period without a quota (``quota`` missing,
    ``note = "no quota"``). A rep with a quota and no orders has revenue 0.
    ``quota == 0`` gives a missing attainment with ``note = "quota is 0"``.

    ``as_of`` (default: the latest order date): orders after it are ignored,
    periods starting after it are left out (future quotas), and the period
    still running at ``as_of`` is flagged ``note = "period incomplete at
    as_of"`` (quota-to-date is not prorated).

    Parameters
    ----------
    orders : DataFrame
        Needs ``order_date``, ``amount``, ``rep_id``.
    targets : DataFrame
        ``targets`` table.
    freq : str, default "quarter"
        Month, quarter, half or year (the frequency of the quota labels used).
    period : str, optional
        A single period label (``"2025Q3"``); overrides ``freq``.
    as_of : date, optional
    by : str or list of str, optional
        Rep attributes to show (``"team"``, ``"region"``), joined from ``reps``.
    reps : DataFrame, optional
    fiscal_year_start : int, default 1
    include_cancelled : bool, default False

    Returns
    -------
    DataFrame
        ``period, period_start, rep_id, *by, revenue, quota, attainment, note``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["A", "B", "C", "D"],
    ...     "rep_id": ["R1", "R1", "R2", "R3"],
    ...     "order_date": pd.to_datetime(["2025-07-01", "2025-08-01", "2025-09-30",
    ...                                   "2025-08-08"]),
    ...     "amount": [60.0, 60.0, 50.0, 10.0],
    ... })
    >>> targets = pd.DataFrame({"period": ["2025Q3", "2025Q3"], "level": ["rep", "rep"],
    ...                         "key": ["R1", "R2"], "revenue_target": [100.0, 100.0]})
    >>> print(quota_attainment(orders, targets).to_string())
       period period_start rep_id  revenue  quota  attainment      note
    0  2025Q3   2025-07-01     R1    120.0  100.0         1.2       NaN
    1  2025Q3   2025-07-01     R2     50.0  100.0         0.5       NaN
    2  2025Q3   2025-07-01     R3     10.0    NaN         NaN  no quota
    """
    by = as_list(by)
    _check_by_not_reserved(by, ["rep_id", "revenue", "quota", "attainment", "note"])
    freq, per = _resolve_period(freq, period, fiscal_year_start)
    out, _ = _attainment(
        orders,
        targets,
        freq=freq,
        per=per,
        fiscal_year_start=fiscal_year_start,
        include_cancelled=include_cancelled,
        by=by,
        reps=reps,
        as_of=as_of,
    )
    out = out.select(PERIOD_START, "rep_id", *by, "revenue", "quota", "attainment", "note")
    return _finish(out, by=["rep_id"], freq=freq, fiscal_year_start=fiscal_year_start, like=orders)


def share_at_quota(
    orders,
    targets,
    *,
    freq: str = "quarter",
    period: str | None = None,
    as_of=None,
    by=None,
    reps=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
):
    """Share of reps at or above quota per period (and group).

    Formula: ``share_at_quota = reps_at_quota / reps_with_quota`` where
    ``reps_with_quota`` counts the reps with a positive quota in the period and
    ``reps_at_quota`` those with ``attainment >= 1`` (see
    :func:`quota_attainment`). Reps without a quota or with quota 0 are left
    out. No rep with a positive quota → share missing, ``note = "no rep quotas"``.
    ``as_of`` as in :func:`quota_attainment` (the running period is flagged
    ``"period incomplete at as_of"``).

    Parameters
    ----------
    by : str or list of str, optional
        Rep attributes such as ``"team"`` (joined from ``reps``).

    Returns
    -------
    DataFrame
        ``period, period_start, *by, reps_with_quota, reps_at_quota,
        share_at_quota, note``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"rep_id": ["R1", "R2"], "amount": [100.0, 30.0],
    ...                        "order_date": pd.to_datetime(["2025-07-01", "2025-07-02"])})
    >>> targets = pd.DataFrame({"period": ["2025Q3"] * 3, "level": ["rep"] * 3,
    ...                         "key": ["R1", "R2", "R3"], "revenue_target": [100.0] * 3})
    >>> share_at_quota(orders, targets)[["period", "reps_with_quota", "reps_at_quota",
    ...                                  "share_at_quota"]]
       period  reps_with_quota  reps_at_quota  share_at_quota
    0  2025Q3                3              1        0.333333
    """
    by = as_list(by)
    _check_by_not_reserved(by, ["reps_with_quota", "reps_at_quota", "share_at_quota", "note"])
    freq, per = _resolve_period(freq, period, fiscal_year_start)
    out, cut = _attainment(
        orders,
        targets,
        freq=freq,
        per=per,
        fiscal_year_start=fiscal_year_start,
        include_cancelled=include_cancelled,
        by=by,
        reps=reps,
        as_of=as_of,
    )
    with_quota = ~nw.col("quota").is_null() & (nw.col("quota") > 0)
    out = out.with_columns(
        __with=_flag(with_quota),
        __at=_flag(with_quota & (nw.col("attainment") >= 1)),
    )
    out = (
        out.group_by([PERIOD_START, *by])
        .agg(
            nw.col("__with").sum().alias("reps_with_quota"),
            nw.col("__at").sum().alias("reps_at_quota"),
        )
        .with_columns(
            nw.col("reps_with_quota").cast(nw.Int64), nw.col("reps_at_quota").cast(nw.Int64)
        )
    )
    cases = [(nw.col("reps_with_quota") == 0, "no rep quotas")]
    if cut is not None:
        cases.append(
            (nw.col(PERIOD_START) == nw.lit(cut.to_pydatetime()), "period incomplete at as_of")
        )
    out = out.with_columns(
        share_at_quota=ratio("reps_at_quota", "reps_with_quota"),
        note=_note(*cases),
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=orders)


# -- leaderboard ------------------------------------------------------------------------------
def _won_deals(opportunities, *, like, freq, fiscal_year_start, as_of=None) -> nw.LazyFrame:
    opp = _open(
        opportunities, table="opportunities", required=["rep_id", "status", "closed_at"], like=like
    )
    opp = opp.filter(
        (nw.col("status") == "won") & ~nw.col("closed_at").is_null() & ~nw.col("rep_id").is_null()
    )
    if as_of is not None:
        opp = opp.filter(nw.col("closed_at") < nw.lit(_day_after(as_of)))
    opp = with_period(opp, "closed_at", freq=freq, fiscal_year_start=fiscal_year_start)
    return (
        opp.with_columns(__one=nw.lit(1))
        .group_by([PERIOD_START, "rep_id"])
        .agg(nw.col("__one").sum().alias("deals_won"))
    )


_RANKABLE = ("revenue", "deals_won", "attainment")


def leaderboard(
    orders,
    *,
    freq: str = "quarter",
    period: str | None = None,
    opportunities=None,
    targets=None,
    reps=None,
    by=None,
    rank_by: str = "revenue",
    as_of=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
):
    """Rank the reps per period by revenue, deals won and quota attainment.

    Measures per rep and period: ``revenue`` (orders, ``order_date``
    decides), ``deals_won`` (won opportunities, ``closed_at`` decides; needs
    ``opportunities``), ``attainment`` (needs ``targets``, see
    :func:`quota_attainment`). Each measure ``m`` gets ``m_rank``: 1 = best,
    descending, ties share the lowest rank (``method="min"``: 1, 2, 2, 4);
    a missing measure (no quota) has no rank.

    Movement, on the ``rank_by`` measure: ``rank_prev`` = the rep's rank in the
    previous period, ``rank_movement = rank_prev - rank`` (positive = moved
    up), ``new_entry`` = True when the rep is not ranked in the previous period
    (missing for the first period of the data, which has nothing to compare).

    Rows: every rep with an order, a won deal or a quota in the period (a rep
    with a quota and no sales has revenue 0). Sorted by period, then rank.

    Parameters
    ----------
    orders : DataFrame
        Needs ``order_date``, ``amount``, ``rep_id``.
    freq : str, default "quarter"
    period : str, optional
        Show only this period label (movement still uses the previous one).
    opportunities, targets : DataFrame, optional
        Enable ``deals_won`` and ``attainment``.
    reps : DataFrame, optional
        For ``by`` rep attributes (``"name"``, ``"team"``) shown next to the rep.
    by : str or list of str, optional
    rank_by : {"revenue", "deals_won", "attainment"}
        Measure that orders the rows and drives the movement.
    as_of : date, optional
        Orders and deals after it are ignored; quotas as in
        :func:`quota_attainment` (default: the latest order date).
    fiscal_year_start : int, default 1
    include_cancelled : bool, default False

    Returns
    -------
    DataFrame
        ``period, period_start, rep_id, *by, revenue, revenue_rank,
        [deals_won, deals_won_rank,] [attainment, attainment_rank,]
        rank_prev, rank_movement, new_entry``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "rep_id": ["R1", "R2", "R1", "R2", "R3"],
    ...     "order_date": pd.to_datetime(["2025-01-10", "2025-02-10", "2025-04-10",
    ...                                   "2025-05-10", "2025-06-10"]),
    ...     "amount": [100.0, 50.0, 10.0, 70.0, 70.0],
    ... })
    >>> out = leaderboard(orders, freq="quarter")
    >>> print(out.to_string())
       period period_start rep_id  revenue  revenue_rank  rank_prev  rank_movement new_entry
    0  2025Q1   2025-01-01     R1    100.0             1        NaN            NaN       NaN
    1  2025Q1   2025-01-01     R2     50.0             2        NaN            NaN       NaN
    2  2025Q2   2025-04-01     R2     70.0             1        2.0            1.0     False
    3  2025Q2   2025-04-01     R3     70.0             1        NaN            NaN      True
    4  2025Q2   2025-04-01     R1     10.0             3        1.0           -2.0     False
    """
    by = as_list(by)
    if rank_by not in _RANKABLE:
        raise ValueError(f"rank_by must be one of {', '.join(_RANKABLE)}, got {rank_by!r}")
    if rank_by == "deals_won" and opportunities is None:
        raise ValueError("rank_by='deals_won' needs opportunities=")
    if rank_by == "attainment" and targets is None:
        raise ValueError("rank_by='attainment' needs targets=")
    freq, per = _resolve_period(freq, period, fiscal_year_start)
    base = open_frame(orders, table="orders", required=["order_date", "amount", "rep_id"])
    measures = {
        "revenue": _revenue(
            orders,
            like=base,
            fiscal_year_start=fiscal_year_start,
            freq=freq,
            include_cancelled=include_cancelled,
            as_of=as_of,
        )
    }
    if opportunities is not None:
        measures["deals_won"] = _won_deals(
            opportunities, like=base, freq=freq, fiscal_year_start=fiscal_year_start, as_of=as_of
        )
    if targets is not None:
        att, _ = _attainment(
            orders,
            targets,
            freq=freq,
            per=None,
            fiscal_year_start=fiscal_year_start,
            include_cancelled=include_cancelled,
            by=[],
            reps=None,
            as_of=as_of,
        )
        measures["attainment"] = att.filter(~nw.col("quota").is_null()).select(
            PERIOD_START, "rep_id", "attainment"
        )
    keys = nw.concat(
        [m.select(PERIOD_START, "rep_id") for m in measures.values()], how="vertical"
    ).unique()
    out = keys
    for frame in measures.values():
        out = out.join(frame, on=[PERIOD_START, "rep_id"], how="left")
    out = out.with_columns(nw.col("revenue").fill_null(0.0))
    if "deals_won" in measures:
        out = out.with_columns(nw.col("deals_won").fill_null(0).cast(nw.Int64))
    out = out.with_columns(
        nw.col(name).rank("min", descending=True).over(PERIOD_START).alias(f"{name}_rank")
        for name in measures
    )
    # revenue and deals_won are never missing, so their ranks are whole numbers
    out = out.with_columns(
        nw.col(f"{name}_rank").cast(nw.Int64) for name in measures if name != "attainment"
    )
    rank_col = f"{rank_by}_rank"
    out = out.with_columns(__rank=nw.col(rank_col).cast(nw.Float64))
    out = add_comparisons(
        out,
        ["__rank"],
        by=["rep_id"],
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        last_year=False,
    )
    first = nw.col(PERIOD_START).min()
    out = out.with_columns(
        rank_prev=nw.col("__rank_prev"),
        rank_movement=nw.col("__rank_prev") - nw.col("__rank"),
        __first=first,
    ).with_columns(
        new_entry=nw.when(nw.col(PERIOD_START) != nw.col("__first")).then(
            nw.col("rank_prev").is_null()
        ),
    )
    if per is not None:
        dtype = out.collect_schema()[PERIOD_START]
        target = _starts_frame([per.start], like=out, dtype=dtype)
        out = out.join(target, on=PERIOD_START, how="semi")
    out = attach_columns(out, by, table="orders", lookups={"reps": (reps, "rep_id")})
    cols = []
    for name in measures:
        cols += [name, f"{name}_rank"]
    out = finish(
        out.select(PERIOD_START, "rep_id", *by, *cols, "rank_prev", "rank_movement", "new_entry"),
        by=[],
        freq=freq,
        fiscal_year_start=fiscal_year_start,
    )
    out = out.sort([PERIOD_START, rank_col, "rep_id"], nulls_last=True)
    return close_frame(out, like=orders)


# -- rep effectiveness ------------------------------------------------------------------------
def rep_effectiveness(
    orders,
    opportunities=None,
    activities=None,
    customers=None,
    *,
    freq: str = "quarter",
    period: str | None = None,
    by=None,
    reps=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
):
    """One row per rep and period with the rep's sales effectiveness measures.

    - ``revenue``, ``orders``: sum of amounts and number of distinct
      ``order_id`` of the rep's non-cancelled orders (``order_date`` decides);
    - ``customers_gained``: customers whose **first order credited to this
      rep** (over the whole ``orders`` table) falls in the period — a customer
      moving to another rep counts as gained by the new rep too;
      ``new_customers``: those of them new to the company in that period (the
      customer's ``customers.acquired_at`` when ``customers`` with
      ``acquired_at`` is given, otherwise the customer's first order of all);
    - from ``opportunities`` (``closed_at`` decides): ``won_deals``,
      ``lost_deals``, ``win_rate = won / (won + lost)``,
      ``median_cycle_days`` (created → closed, won deals);
    - from ``activities`` (``completed_at`` decides; only completed ones):
      ``activities`` and one ``activities_<type>`` count per type of
      :data:`salesnb.schema.ACTIVITY_TYPES`.

    Rows: every rep with an order, a closed deal or a completed activity in
    the period; counts are 0 and rates missing where a source has nothing
    (``win_rate`` without closed deals: missing, ``note = "no deals closed"``).

    Parameters
    ----------
    orders : DataFrame
        Needs ``order_id``, ``customer_id``, ``order_date``, ``amount``, ``rep_id``.
    opportunities, activities, customers : DataFrame, optional
    freq : str, default "quarter"
    period : str, optional
        Keep only this period label.
    by : str or list of str, optional
        Rep attributes (``"team"``) joined from ``reps``.
    reps : DataFrame, optional
    fiscal_year_start : int, default 1
    include_cancelled : bool, default False

    Returns
    -------
    DataFrame
        ``period, period_start, rep_id, *by, revenue, orders,
        customers_gained, new_customers, [won_deals, lost_deals, win_rate,
        median_cycle_days,] [activities, activities_call, ...,] note``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["A", "B", "C"], "customer_id": ["C1", "C1", "C2"],
    ...     "rep_id": ["R1", "R1", "R1"], "amount": [10.0, 20.0, 30.0],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-04-05", "2025-04-06"]),
    ... })
    >>> out = rep_effectiveness(orders, freq="quarter")
    >>> print(out[["period", "rep_id", "revenue", "orders", "customers_gained",
    ...            "new_customers"]].to_string())
       period rep_id  revenue  orders  customers_gained  new_customers
    0  2025Q1     R1     10.0       1                 1              1
    1  2025Q2     R1     50.0       2                 1              1
    """
    by = as_list(by)
    freq, per = _resolve_period(freq, period, fiscal_year_start)
    base = open_frame(
        orders,
        table="orders",
        required=["order_id", "customer_id", "order_date", "amount", "rep_id"],
    )
    ords = drop_cancelled(base, include_cancelled=include_cancelled).filter(
        ~nw.col("order_date").is_null()
    )
    ords = with_period(ords, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    rep_orders = ords.filter(~nw.col("rep_id").is_null()).with_columns(
        __amount=nw.col("amount").cast(nw.Float64)
    )
    measures = [
        rep_orders.group_by([PERIOD_START, "rep_id"]).agg(
            nw.col("__amount").sum().alias("revenue"),
            nw.col("order_id").n_unique().alias("orders"),
        )
    ]
    # customers gained: first order of a customer with a rep
    first_with_rep = rep_orders.group_by(["customer_id", "rep_id"]).agg(nw.col(PERIOD_START).min())
    names = [] if customers is None else column_names(open_frame(customers, table="customers"))
    if customers is not None and "acquired_at" in names:
        cust = _open(
            customers, table="customers", required=["customer_id", "acquired_at"], like=base
        ).filter(~nw.col("acquired_at").is_null())
        cust = with_period(
            cust,
            "acquired_at",
            freq=freq,
            fiscal_year_start=fiscal_year_start,
            name="__company_first",
        )
        company_first = cust.select("customer_id", "__company_first").unique(
            subset=["customer_id"], keep="any"
        )
    else:
        company_first = ords.group_by("customer_id").agg(
            nw.col(PERIOD_START).min().alias("__company_first")
        )
    gained = first_with_rep.join(company_first, on="customer_id", how="left").with_columns(
        __one=nw.lit(1),
        __new=_flag(nw.col("__company_first") == nw.col(PERIOD_START)),
    )
    measures.append(
        gained.group_by([PERIOD_START, "rep_id"]).agg(
            nw.col("__one").sum().alias("customers_gained"),
            nw.col("__new").sum().alias("new_customers"),
        )
    )
    counts = ["orders", "customers_gained", "new_customers"]
    floats = ["revenue"]
    if opportunities is not None:
        opp = _open(
            opportunities,
            table="opportunities",
            required=["rep_id", "status", "created_at", "closed_at"],
            like=base,
        )
        opp = opp.filter(
            nw.col("status").is_in(["won", "lost"])
            & ~nw.col("closed_at").is_null()
            & ~nw.col("rep_id").is_null()
        )
        opp = with_period(opp, "closed_at", freq=freq, fiscal_year_start=fiscal_year_start)
        opp = opp.with_columns(
            __won=_flag(nw.col("status") == "won"),
            __lost=_flag(nw.col("status") == "lost"),
            __cycle=nw.when(nw.col("status") == "won").then(
                days_between("closed_at", "created_at")
            ),
        )
        measures.append(
            opp.group_by([PERIOD_START, "rep_id"]).agg(
                nw.col("__won").sum().alias("won_deals"),
                nw.col("__lost").sum().alias("lost_deals"),
                nw.col("__cycle").median().alias("median_cycle_days"),
            )
        )
        counts += ["won_deals", "lost_deals"]
    if activities is not None:
        act = _open(
            activities, table="activities", required=["rep_id", "type", "completed_at"], like=base
        )
        act = act.filter(~nw.col("completed_at").is_null())
        act = with_period(act, "completed_at", freq=freq, fiscal_year_start=fiscal_year_start)
        act = act.with_columns(
            __one=nw.lit(1), **{f"__{t}": _flag(nw.col("type") == t) for t in ACTIVITY_TYPES}
        )
        measures.append(
            act.group_by([PERIOD_START, "rep_id"]).agg(
                nw.col("__one").sum().alias("activities"),
                *[nw.col(f"__{t}").sum().alias(f"activities_{t}") for t in ACTIVITY_TYPES],
            )
        )
        counts += ["activities", *[f"activities_{t}" for t in ACTIVITY_TYPES]]
    out = nw.concat([m.select(PERIOD_START, "rep_id") for m in measures], how="vertical").unique()
    for m in measures:
        out = out.join(m, on=[PERIOD_START, "rep_id"], how="left")
    out = out.with_columns(
        *[nw.col(c).fill_null(0).cast(nw.Int64) for c in counts],
        *[nw.col(c).fill_null(0.0).cast(nw.Float64) for c in floats],
    )
    order = ["revenue", "orders", "customers_gained", "new_customers"]
    if opportunities is not None:
        out = out.with_columns(
            win_rate=ratio("won_deals", nw.col("won_deals") + nw.col("lost_deals")),
            note=_note((nw.col("won_deals") + nw.col("lost_deals") == 0, "no deals closed")),
        )
        order += ["won_deals", "lost_deals", "win_rate", "median_cycle_days"]
    else:
        out = out.with_columns(note=nw.lit(None, dtype=nw.String))
    if activities is not None:
        order += ["activities", *[f"activities_{t}" for t in ACTIVITY_TYPES]]
    if per is not None:
        dtype = out.collect_schema()[PERIOD_START]
        out = out.join(
            _starts_frame([per.start], like=out, dtype=dtype), on=PERIOD_START, how="semi"
        )
    out = attach_columns(out, by, table="orders", lookups={"reps": (reps, "rep_id")})
    out = out.select(PERIOD_START, "rep_id", *by, *order, "note")
    return _finish(out, by=["rep_id"], freq=freq, fiscal_year_start=fiscal_year_start, like=orders)


# -- activities -------------------------------------------------------------------------------
def scheduled_visits(activities, *, as_of, days: int = 14, reps=None, types=("visit",)):
    """Visits per rep scheduled in the next ``days`` days and not yet completed.

    Counts the activities of the given ``types`` (default ``visit``) with
    ``scheduled_at`` in ``(as_of, as_of + days]`` — from the day after
    ``as_of`` through the day ``as_of + days``, whole days — that are not
    completed by ``as_of`` (``completed_at`` empty or later).

    With ``reps``, every rep of the table is listed (0 when nothing is
    planned) with the rep's ``name``/``team``/``region`` when present.

    Returns
    -------
    DataFrame
        ``rep_id, [name, team, region,] scheduled_visits, customers,
        next_scheduled_at`` sorted by ``rep_id``; ``customers`` = distinct
        customers to visit (when ``customer_id`` is present).

    Examples
    --------
    >>> import pandas as pd
    >>> acts = pd.DataFrame({
    ...     "activity_id": ["A1", "A2", "A3", "A4"],
    ...     "rep_id": ["R1", "R1", "R2", "R1"],
    ...     "customer_id": ["C1", "C2", "C3", "C1"],
    ...     "type": ["visit", "visit", "visit", "call"],
    ...     "scheduled_at": pd.to_datetime(["2025-07-01 10:00", "2025-07-14 09:00",
    ...                                     "2025-07-15 09:00", "2025-07-02 08:00"]),
    ...     "completed_at": pd.to_datetime([None, None, None, None]),
    ... })
    >>> scheduled_visits(acts, as_of="2025-06-30", days=14)
      rep_id  scheduled_visits  customers   next_scheduled_at
    0     R1                 2          2 2025-07-01 10:00:00
    """
    if days <= 0:
        raise ValueError(f"days must be positive, got {days!r}")
    types = [types] if isinstance(types, str) else list(types)
    frame = open_frame(activities, table="activities", required=["rep_id", "type", "scheduled_at"])
    names = column_names(frame)
    start = _day_after(as_of)
    end = _day_after(pd.Timestamp(as_of) + pd.Timedelta(days=days))
    due = (nw.col("scheduled_at") >= nw.lit(start)) & (nw.col("scheduled_at") < nw.lit(end))
    pending = nw.lit(True)
    if "completed_at" in names:
        pending = nw.col("completed_at").is_null() | (nw.col("completed_at") >= nw.lit(start))
    frame = frame.filter(nw.col("type").is_in(types) & due & pending).with_columns(__one=nw.lit(1))
    aggs = [nw.col("__one").sum().alias("scheduled_visits")]
    if "customer_id" in names:
        aggs.append(nw.col("customer_id").n_unique().alias("customers"))
    aggs.append(nw.col("scheduled_at").min().alias("next_scheduled_at"))
    out = frame.group_by("rep_id").agg(*aggs)
    fill = ["scheduled_visits"] + (["customers"] if "customer_id" in names else [])
    if reps is not None:
        rep_frame = _open(reps, table="reps", required=["rep_id"], like=frame)
        extra = [c for c in ("name", "team", "region") if c in column_names(rep_frame)]
        rep_frame = rep_frame.select("rep_id", *extra).unique(subset=["rep_id"], keep="any")
        out = rep_frame.join(out, on="rep_id", how="left")
    out = out.with_columns(nw.col(c).fill_null(0).cast(nw.Int64) for c in fill)
    return close_frame(out.sort("rep_id"), like=activities)


def activity_summary(
    activities,
    *,
    freq: str = "month",
    by=("rep_id", "type"),
    as_of=None,
    reps=None,
    fiscal_year_start: int = 1,
    comparisons: bool = True,
):
    """Scheduled and completed activities and completion rate per period.

    ``scheduled_at`` decides the period. ``scheduled`` counts the activities
    scheduled in the period, ``completed`` those of them with a
    ``completed_at``; ``completion_rate = completed / scheduled``. With
    ``as_of``, activities scheduled after ``as_of`` are left out (not due yet)
    and completions after ``as_of`` do not count.

    Edge cases: a period/group with nothing scheduled has ``scheduled = 0``,
    ``completion_rate`` missing and ``note = "nothing scheduled"``.

    Parameters
    ----------
    by : str or list of str, default ("rep_id", "type")
        Group columns; ``team`` etc. from ``reps``.
    comparisons : bool, default True
        Comparisons of ``completion_rate``.

    Returns
    -------
    DataFrame
        ``period, period_start, *by, scheduled, completed, completion_rate,
        note`` (+ comparisons).

    Examples
    --------
    >>> import pandas as pd
    >>> acts = pd.DataFrame({
    ...     "rep_id": ["R1", "R1", "R1"],
    ...     "type": ["call", "call", "visit"],
    ...     "scheduled_at": pd.to_datetime(["2025-07-01", "2025-07-09", "2025-07-10"]),
    ...     "completed_at": pd.to_datetime(["2025-07-01", None, "2025-07-10"]),
    ... })
    >>> out = activity_summary(acts, freq="month", by="type", comparisons=False)
    >>> print(out.to_string())
        period period_start   type  scheduled  completed  completion_rate note
    0  2025-07   2025-07-01   call          2          1              0.5  NaN
    1  2025-07   2025-07-01  visit          1          1              1.0  NaN
    """
    freq = normalize_freq(freq)
    by = as_list(by)
    _check_by_not_reserved(by, ["scheduled", "completed", "completion_rate", "note"])
    frame = _open(
        activities, table="activities", required=["scheduled_at", "completed_at"], by=by, reps=reps
    )
    done = ~nw.col("completed_at").is_null()
    if as_of is not None:
        end = _day_after(as_of)
        frame = frame.filter(nw.col("scheduled_at") < nw.lit(end))
        done = done & (nw.col("completed_at") < nw.lit(end))
    frame = frame.with_columns(__one=nw.lit(1), __done=_flag(done))
    out = _period_table(
        frame,
        "scheduled_at",
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        by=by,
        aggs=[nw.col("__one").sum().alias("scheduled"), nw.col("__done").sum().alias("completed")],
        counts=["scheduled", "completed"],
    )
    out = out.with_columns(
        completion_rate=ratio("completed", "scheduled"),
        note=_note((nw.col("scheduled") == 0, "nothing scheduled")),
    )
    out = _compare(
        out,
        ["completion_rate"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=activities)


# -- employee satisfaction --------------------------------------------------------------------
def employee_satisfaction(
    satisfaction,
    *,
    freq: str = "quarter",
    by=None,
    reps=None,
    fiscal_year_start: int = 1,
    comparisons: bool = True,
):
    """Employee satisfaction (0-10 survey) per period: mean, distribution, eNPS.

    ``survey_date`` decides the period; every answer counts (a rep answering
    twice in a period counts twice in ``responses``; ``respondents`` counts
    distinct reps). Buckets (eNPS convention): low / detractors = score ≤ 6,
    mid / passives = 7-8 (6 < score < 9), high / promoters = score ≥ 9.

    Formulas: ``mean_score`` = mean of the scores; ``share_low``,
    ``share_mid``, ``share_high`` = bucket count / responses (they add up to
    1); ``enps = (share_high - share_low) × 100``, in points from -100 to
    +100.

    ``by="team"`` (or ``"region"``...) joins the column from ``reps`` (key
    ``rep_id``); the trend of a team is read from the comparisons of
    ``mean_score`` and ``enps`` (previous period, same period last year).
    Edge cases: no answer in a period/group → ``responses = 0``, statistics
    missing, ``note = "no responses"``.

    Returns
    -------
    DataFrame
        ``period, period_start, *by, responses, respondents, mean_score,
        share_low, share_mid, share_high, enps, note`` (+ comparisons of
        ``mean_score`` and ``enps``).

    Examples
    --------
    >>> import pandas as pd
    >>> sat = pd.DataFrame({
    ...     "rep_id": ["R1", "R2", "R3", "R4"],
    ...     "survey_date": pd.to_datetime(["2025-03-31"] * 4),
    ...     "score": [10.0, 9.0, 7.0, 3.0],
    ... })
    >>> out = employee_satisfaction(sat, comparisons=False)
    >>> print(out[["period", "responses", "mean_score", "share_low", "share_mid",
    ...            "share_high", "enps"]].to_string())
       period  responses  mean_score  share_low  share_mid  share_high  enps
    0  2025Q1          4        7.25       0.25       0.25         0.5  25.0
    """
    freq = normalize_freq(freq)
    by = as_list(by)
    _check_by_not_reserved(by, ["responses", "respondents", "mean_score", "enps", "note"])
    frame = _open(
        satisfaction,
        table="satisfaction",
        required=["rep_id", "survey_date", "score"],
        by=by,
        reps=reps,
    )
    score = nw.col("score").cast(nw.Float64)
    frame = frame.filter(~nw.col("score").is_null()).with_columns(
        __one=nw.lit(1),
        __score=score,
        __low=_flag(score <= 6),
        __mid=_flag((score > 6) & (score < 9)),
        __high=_flag(score >= 9),
    )
    out = _period_table(
        frame,
        "survey_date",
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        by=by,
        aggs=[
            nw.col("__one").sum().alias("responses"),
            nw.col("rep_id").n_unique().alias("respondents"),
            nw.col("__score").mean().alias("mean_score"),
            nw.col("__low").sum().alias("__low"),
            nw.col("__mid").sum().alias("__mid"),
            nw.col("__high").sum().alias("__high"),
        ],
        counts=["responses", "respondents", "__low", "__mid", "__high"],
    )
    out = (
        out.with_columns(
            share_low=ratio("__low", "responses"),
            share_mid=ratio("__mid", "responses"),
            share_high=ratio("__high", "responses"),
        )
        .with_columns(
            enps=(nw.col("share_high") - nw.col("share_low")) * 100.0,
            note=_note((nw.col("responses") == 0, "no responses")),
        )
        .drop("__low", "__mid", "__high")
    )
    out = _compare(
        out,
        ["mean_score", "enps"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=satisfaction)
