"""Leaderboard: reps ranked per period by revenue, deals won and quota attainment.

Each rep's movement on the ranking measure is taken against the previous period.
"""

from __future__ import annotations

import narwhals as nw

from salesnb.kpi._frame import (
    PERIOD_START,
    _shared,
    add_comparisons,
    as_list,
    attach_columns,
    close_frame,
    finish,
    open_frame,
    with_period,
)
from salesnb.kpi._tables import _day_after, _open, _starts_frame
from salesnb.kpi.team.quota import _attainment, _resolve_period, _revenue

__all__ = ["leaderboard"]


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


def _check_rank_by(rank_by: str, *, opportunities, targets) -> None:
    if rank_by not in _RANKABLE:
        raise ValueError(f"rank_by must be one of {', '.join(_RANKABLE)}, got {rank_by!r}")
    if rank_by == "deals_won" and opportunities is None:
        raise ValueError("rank_by='deals_won' needs opportunities=")
    if rank_by == "attainment" and targets is None:
        raise ValueError("rank_by='attainment' needs targets=")


def _rep_measures(
    orders, opportunities, targets, *, freq, fiscal_year_start, include_cancelled, as_of
) -> dict[str, nw.LazyFrame]:
    """``period_start, rep_id, <measure>`` per measure: revenue, and deals won and
    attainment when ``opportunities`` and ``targets`` are given."""
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
    return measures


def _rank_movement(out: nw.LazyFrame, rank_col: str, *, freq, fiscal_year_start) -> nw.LazyFrame:
    """``rank_prev``, ``rank_movement`` and ``new_entry`` of each rep on ``rank_col``."""
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
    return out.with_columns(
        rank_prev=nw.col("__rank_prev"),
        rank_movement=nw.col("__rank_prev") - nw.col("__rank"),
        __first=first,
    ).with_columns(
        new_entry=nw.when(nw.col(PERIOD_START) != nw.col("__first")).then(
            nw.col("rank_prev").is_null()
        ),
    )


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
    :func:`~salesnb.kpi.team.quota_attainment`). Each measure ``m`` gets ``m_rank``: 1 = best,
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
        :func:`~salesnb.kpi.team.quota_attainment` (default: the latest order date).
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
    _check_rank_by(rank_by, opportunities=opportunities, targets=targets)
    freq, per = _resolve_period(freq, period, fiscal_year_start)
    measures = _rep_measures(
        orders,
        opportunities,
        targets,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        include_cancelled=include_cancelled,
        as_of=as_of,
    )
    # each measure (an aggregate) is used twice: for the keys and in the join
    measures = {name: _shared(m) for name, m in measures.items()}
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
    out = _rank_movement(out, rank_col, freq=freq, fiscal_year_start=fiscal_year_start)
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
