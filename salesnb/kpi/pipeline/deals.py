"""Closed-deal KPIs: win rate, average deal size, sales cycle and sales velocity.

``closed_at`` decides the period of a closed deal; the cycle of a rep is also
compared with the rep's team (:func:`cycle_vs_team`). Period conventions: see
:mod:`salesnb.kpi.pipeline`.
"""

from __future__ import annotations

from collections.abc import Sequence

import narwhals as nw
import pandas as pd

from salesnb.kpi._frame import (
    PERIOD_START,
    as_datetime,
    as_list,
    attach_columns,
    close_frame,
    column_names,
    days_between,
    open_frame,
    ratio,
)
from salesnb.kpi._tables import (
    _aggregate,
    _check_by_not_reserved,
    _compare,
    _day_after,
    _finish,
    _flag,
    _freq_or_none,
    _join,
    _note,
    _open,
    _open_at,
    _percentile_name,
    _period_table,
)
from salesnb.kpi.pipeline.health import _value

__all__ = ["win_rate", "average_deal_size", "sales_cycle_days", "cycle_vs_team", "sales_velocity"]


def win_rate(
    opportunities,
    *,
    freq: str | None = "quarter",
    by=None,
    fiscal_year_start: int = 1,
    reps=None,
    customers=None,
    comparisons: bool = True,
):
    """Win rate of the deals closed in the period.

    Formula: ``win_rate = won / (won + lost)`` among the opportunities whose
    ``closed_at`` falls in the period (``closed_at`` decides); open deals are
    ignored. With ``freq=None`` all won and lost deals count (also those
    without ``closed_at``).

    Edge cases: a period/group with no closed deal has ``closed = 0``,
    ``win_rate`` missing and ``note = "no deals closed"``.

    Parameters
    ----------
    opportunities : DataFrame
        Needs ``status`` and ``closed_at`` (unless ``freq=None``).
    freq : str or None, default "quarter"
    by : str or list of str, optional
        Group columns; ``team`` etc. via ``reps=``, ``segment`` via ``customers=``.
    fiscal_year_start : int, default 1
    reps, customers : DataFrame, optional
    comparisons : bool, default True
        Comparisons of ``win_rate``.

    Returns
    -------
    DataFrame
        ``[period, period_start,] *by, won, lost, closed, win_rate, note``
        (+ comparisons).

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({
    ...     "opportunity_id": ["O1", "O2", "O3", "O4"],
    ...     "status": ["won", "lost", "lost", "open"],
    ...     "closed_at": pd.to_datetime(["2025-02-01", "2025-03-01", "2025-08-01", None]),
    ... })
    >>> out = win_rate(opps, comparisons=False)
    >>> print(out.to_string())
       period period_start  won  lost  closed  win_rate            note
    0  2025Q1   2025-01-01    1     1       2       0.5             NaN
    1  2025Q2   2025-04-01    0     0       0       NaN no deals closed
    2  2025Q3   2025-07-01    0     1       1       0.0             NaN
    """
    freq = _freq_or_none(freq)
    by = as_list(by)
    _check_by_not_reserved(by, ["won", "lost", "closed", "win_rate", "note"])
    required = ["status"] + (["closed_at"] if freq is not None else [])
    frame = _open(
        opportunities,
        table="opportunities",
        required=required,
        by=by,
        reps=reps,
        customers=customers,
    )
    frame = frame.filter(nw.col("status").is_in(["won", "lost"])).with_columns(
        __won=_flag(nw.col("status") == "won"), __lost=_flag(nw.col("status") == "lost")
    )
    out = _period_table(
        frame,
        "closed_at",
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        by=by,
        aggs=[nw.col("__won").sum().alias("won"), nw.col("__lost").sum().alias("lost")],
        counts=["won", "lost"],
    )
    out = out.with_columns(closed=nw.col("won") + nw.col("lost"))
    out = out.with_columns(
        win_rate=ratio("won", "closed"), note=_note((nw.col("closed") == 0, "no deals closed"))
    )
    out = _compare(
        out,
        ["win_rate"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=opportunities)


def average_deal_size(
    opportunities,
    *,
    freq: str | None = "quarter",
    by=None,
    fiscal_year_start: int = 1,
    reps=None,
    customers=None,
    comparisons: bool = True,
):
    """Average value of the deals won in the period.

    Formula: ``average_deal_size = won_amount / won_deals`` = mean ``amount``
    of the opportunities with status ``won`` whose ``closed_at`` falls in the
    period (``closed_at`` decides). Lost and open deals are ignored.

    Edge cases: no won deal → ``won_deals = 0``, ``won_amount = 0``,
    ``average_deal_size`` missing, ``note = "no deals won"``.

    Returns
    -------
    DataFrame
        ``[period, period_start,] *by, won_deals, won_amount,
        average_deal_size, note`` (+ comparisons of ``average_deal_size``).

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({
    ...     "status": ["won", "won", "lost", "won"],
    ...     "amount": [100.0, 300.0, 50.0, 80.0],
    ...     "closed_at": pd.to_datetime(["2025-01-15", "2025-02-01", "2025-02-01",
    ...                                  "2025-04-01"]),
    ... })
    >>> out = average_deal_size(opps, freq="quarter", comparisons=False)
    >>> print(out.to_string())
       period period_start  won_deals  won_amount  average_deal_size note
    0  2025Q1   2025-01-01          2       400.0              200.0  NaN
    1  2025Q2   2025-04-01          1        80.0               80.0  NaN
    """
    freq = _freq_or_none(freq)
    by = as_list(by)
    _check_by_not_reserved(by, ["won_deals", "won_amount", "average_deal_size", "note"])
    required = ["status", "amount"] + (["closed_at"] if freq is not None else [])
    frame = _open(
        opportunities,
        table="opportunities",
        required=required,
        by=by,
        reps=reps,
        customers=customers,
    )
    frame = frame.filter(nw.col("status") == "won").with_columns(
        __one=nw.lit(1), __amount=nw.col("amount").cast(nw.Float64)
    )
    out = _period_table(
        frame,
        "closed_at",
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        by=by,
        aggs=[
            nw.col("__one").sum().alias("won_deals"),
            nw.col("__amount").sum().alias("won_amount"),
        ],
        counts=["won_deals"],
    )
    out = out.with_columns(nw.col("won_amount").fill_null(0.0))
    out = out.with_columns(
        average_deal_size=ratio("won_amount", "won_deals"),
        note=_note((nw.col("won_deals") == 0, "no deals won")),
    )
    out = _compare(
        out,
        ["average_deal_size"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=opportunities)


def _check_status(status) -> list[str]:
    status = [status] if isinstance(status, str) else list(status)
    bad = [s for s in status if s not in ("won", "lost")]
    if not status or bad:
        raise ValueError(f"status must list 'won' and/or 'lost' (closed deals), got {status!r}")
    return status


def _check_percentiles(percentiles) -> list[float]:
    qs = [float(q) for q in percentiles]
    bad = [q for q in qs if not 0 <= q <= 1]
    if bad:
        raise ValueError(f"percentiles must lie in [0, 1], got {bad}")
    names = [_percentile_name(q) for q in qs]
    if len(set(names)) != len(names):
        raise ValueError(f"percentiles repeat a value: {qs}")
    return qs


def _with_cycle(frame: nw.LazyFrame, status: Sequence[str]) -> nw.LazyFrame:
    return frame.filter(
        nw.col("status").is_in(list(status))
        & ~nw.col("closed_at").is_null()
        & ~nw.col("created_at").is_null()
    ).with_columns(__cycle=days_between("closed_at", "created_at", like=frame), __one=nw.lit(1))


def sales_cycle_days(
    opportunities,
    *,
    freq: str | None = None,
    by=None,
    percentiles=(0.25, 0.5, 0.75, 0.9),
    status=("won",),
    fiscal_year_start: int = 1,
    reps=None,
    customers=None,
):
    """Sales cycle length in days: from ``created_at`` to ``closed_at``.

    Formula: ``cycle = (closed_at - created_at)`` in days (fractional: hours
    count as fractions of a day), for the deals whose status is in ``status``
    — by default **won deals only**; pass ``status=("won", "lost")`` to include
    lost deals. ``closed_at`` decides the period. Reported: number of deals,
    mean, median and the requested percentiles (linear interpolation between
    the closest ranks, as ``numpy.quantile``'s default).

    Edge cases: a period/group with no such deal has ``deals = 0`` and missing
    statistics with ``note = "no closed deals"``.

    Parameters
    ----------
    opportunities : DataFrame
        Needs ``status``, ``created_at``, ``closed_at``.
    freq : str or None, default None
        ``None`` = one row per group over all closed deals.
    by : str or list of str, optional
    percentiles : sequence of float, default (0.25, 0.5, 0.75, 0.9)
        Columns ``p25_days``, ``p50_days`` ... (``0.975`` → ``p97_5_days``).
    status : tuple of str, default ("won",)
        Closed statuses included.
    fiscal_year_start : int, default 1
    reps, customers : DataFrame, optional

    Returns
    -------
    DataFrame
        ``[period, period_start,] *by, deals, mean_days, median_days,
        p25_days, ..., note``.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({
    ...     "status": ["won", "won", "won", "lost"],
    ...     "created_at": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-01",
    ...                                   "2025-01-01"]),
    ...     "closed_at": pd.to_datetime(["2025-01-11", "2025-01-21", "2025-03-02",
    ...                                  "2025-01-02"]),
    ... })
    >>> print(sales_cycle_days(opps, percentiles=(0.5, 0.9)).to_string())
       deals  mean_days  median_days  p50_days  p90_days note
    0      3       30.0         20.0      20.0      52.0  NaN
    """
    freq = _freq_or_none(freq)
    by = as_list(by)
    status = _check_status(status)
    qs = _check_percentiles(percentiles)
    frame = _open(
        opportunities,
        table="opportunities",
        required=["status", "created_at", "closed_at"],
        by=by,
        reps=reps,
        customers=customers,
    )
    frame = _with_cycle(frame, status)
    aggs = [
        nw.col("__one").sum().alias("deals"),
        nw.col("__cycle").mean().alias("mean_days"),
        nw.col("__cycle").median().alias("median_days"),
        *[
            nw.col("__cycle").quantile(q, interpolation="linear").alias(_percentile_name(q))
            for q in qs
        ],
    ]
    out = _period_table(
        frame,
        "closed_at",
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        by=by,
        aggs=aggs,
        counts=["deals"],
    )
    out = out.with_columns(_note((nw.col("deals") == 0, "no closed deals")))
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=opportunities)


def cycle_vs_team(
    opportunities,
    reps=None,
    *,
    freq: str | None = None,
    status=("won",),
    team_column: str = "team",
    fiscal_year_start: int = 1,
):
    """Each rep's median sales cycle against the median of the rep's team.

    Cycle as in :func:`sales_cycle_days` (created → closed, days; won deals by
    default). ``team_median_days`` is the median over **all deals** of the
    team (not the median of the reps' medians); the team of a rep comes from
    ``reps[team_column]`` (the rep's current team). Without ``reps`` (or
    without that column) every rep is compared with the whole company (team
    ``"all"``).

    Formula: ``ratio_to_team = median_days / team_median_days``; above 1 the
    rep closes slower than the team. A zero team median gives a missing ratio.

    Returns
    -------
    DataFrame
        ``[period, period_start,] team, rep_id, deals, median_days,
        team_deals, team_median_days, ratio_to_team`` sorted by period, team,
        rep.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({
    ...     "rep_id": ["R1", "R1", "R2", "R3"],
    ...     "status": ["won"] * 4,
    ...     "created_at": pd.to_datetime(["2025-01-01"] * 4),
    ...     "closed_at": pd.to_datetime(["2025-01-11", "2025-01-31", "2025-02-10",
    ...                                  "2025-01-05"]),
    ... })
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "team": ["A", "A", "B"]})
    >>> print(cycle_vs_team(opps, reps).to_string())
      team rep_id  deals  median_days  team_deals  team_median_days  ratio_to_team
    0    A     R1      2         20.0           3              30.0       0.666667
    1    A     R2      1         40.0           3              30.0       1.333333
    2    B     R3      1          4.0           1               4.0       1.000000
    """
    freq = _freq_or_none(freq)
    status = _check_status(status)
    frame = open_frame(
        opportunities,
        table="opportunities",
        required=["rep_id", "status", "created_at", "closed_at"],
    )
    team_known = False
    if reps is not None:
        rep_frame = open_frame(reps, table="reps", required=["rep_id"])
        team_known = team_column in column_names(rep_frame)
    if team_known:
        if team_column in column_names(frame):
            frame = frame.drop(team_column)
        frame = attach_columns(
            frame, [team_column], table="opportunities", lookups={"reps": (reps, "rep_id")}
        )
        frame = frame.rename({team_column: "team"}) if team_column != "team" else frame
    else:
        frame = frame.with_columns(team=nw.lit("all"))
    frame = _with_cycle(frame, status)
    rep_keys = ["team", "rep_id"]
    reps_out = _period_table(
        frame,
        "closed_at",
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        by=rep_keys,
        counts=["deals"],
        complete=False,
        aggs=[
            nw.col("__one").sum().alias("deals"),
            nw.col("__cycle").median().alias("median_days"),
        ],
    )
    team_out = _period_table(
        frame,
        "closed_at",
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        by=["team"],
        counts=["team_deals"],
        complete=False,
        aggs=[
            nw.col("__one").sum().alias("team_deals"),
            nw.col("__cycle").median().alias("team_median_days"),
        ],
    )
    on = [PERIOD_START] if freq is not None else []
    out = _join(reps_out, team_out, on=on, by=["team"], how="left")
    out = out.with_columns(ratio_to_team=ratio("median_days", "team_median_days"))
    return _finish(
        out, by=rep_keys, freq=freq, fiscal_year_start=fiscal_year_start, like=opportunities
    )


def sales_velocity(
    opportunities, *, as_of, lookback_days: int = 365, by=None, reps=None, customers=None
):
    """Sales velocity: expected revenue per day from the current pipeline.

    Formula::

        velocity_per_day = open_deals × win_rate × average_deal_size / average_cycle_days

    - ``open_deals``: opportunities open at the end of day ``as_of`` (created
      by then and either still ``open`` or closed after ``as_of``; an open
      deal without ``created_at`` is taken as created by then);
      ``open_amount`` sums their ``amount``, leaving out the
      ``open_without_amount`` open deals that have none;
    - the other three factors come from the deals **closed in the lookback
      window** — ``closed_at`` in the ``lookback_days`` days ending with
      ``as_of`` (inclusive): ``win_rate = won / (won + lost)``,
      ``average_deal_size`` = mean ``amount`` of the won deals,
      ``average_cycle_days`` = mean created → closed days of the won deals.

    The unit is currency per day. Edge cases: no deal won in the window →
    size and cycle are undefined, velocity missing with ``note = "no deals won
    in the lookback window"``; a zero average cycle also gives a missing
    velocity.

    Returns
    -------
    DataFrame
        ``*by, open_deals, open_amount, open_without_amount, won, lost,
        win_rate, average_deal_size, average_cycle_days, velocity_per_day,
        note``.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({
    ...     "status": ["open", "open", "won", "won", "lost"],
    ...     "amount": [500.0, 700.0, 1000.0, 3000.0, 800.0],
    ...     "created_at": pd.to_datetime(["2025-05-01", "2025-06-01", "2025-01-01",
    ...                                   "2025-02-01", "2025-03-01"]),
    ...     "closed_at": pd.to_datetime([None, None, "2025-01-21", "2025-03-13",
    ...                                  "2025-04-01"]),
    ... })
    >>> out = sales_velocity(opps, as_of="2025-06-30")
    >>> print(out[["open_deals", "win_rate", "average_deal_size", "average_cycle_days",
    ...            "velocity_per_day"]].to_string())
       open_deals  win_rate  average_deal_size  average_cycle_days  velocity_per_day
    0           2  0.666667             2000.0                30.0         88.888889
    """
    by = as_list(by)
    if lookback_days <= 0:
        raise ValueError(f"lookback_days must be positive, got {lookback_days!r}")
    frame = _open(
        opportunities,
        table="opportunities",
        required=["status", "amount", "created_at", "closed_at"],
        by=by,
        reps=reps,
        customers=customers,
    )
    end = _day_after(as_of)
    start = as_datetime(pd.Timestamp(end) - pd.Timedelta(days=lookback_days))
    in_window = (nw.col("closed_at") >= nw.lit(start)) & (nw.col("closed_at") < nw.lit(end))
    won = in_window & (nw.col("status") == "won")
    frame = frame.with_columns(
        __open=_flag(_open_at(as_of)),
        __won=_flag(won),
        __lost=_flag(in_window & (nw.col("status") == "lost")),
    ).filter((nw.col("__open") == 1) | (nw.col("__won") == 1) | (nw.col("__lost") == 1))
    known = ~nw.col("__amount").is_null()
    frame = frame.with_columns(__amount=_value()).with_columns(
        __open_amount=nw.when((nw.col("__open") == 1) & known)
        .then(nw.col("__amount"))
        .otherwise(nw.lit(0.0)),
        __open_no_amount=_flag((nw.col("__open") == 1) & ~known),
        __won_amount=nw.when((nw.col("__won") == 1) & known)
        .then(nw.col("__amount"))
        .otherwise(nw.lit(0.0)),
        __won_cycle=nw.when(nw.col("__won") == 1)
        .then(days_between("closed_at", "created_at", like=frame))
        .otherwise(nw.lit(0.0)),
    )
    out = _aggregate(
        frame,
        by,
        nw.col("__open").sum().alias("open_deals"),
        nw.col("__open_amount").sum().alias("open_amount"),
        nw.col("__open_no_amount").sum().alias("open_without_amount"),
        nw.col("__won").sum().alias("won"),
        nw.col("__lost").sum().alias("lost"),
        nw.col("__won_amount").sum().alias("__won_amount"),
        nw.col("__won_cycle").sum().alias("__cycle_sum"),
    ).with_columns(
        nw.col(c).fill_null(0).cast(nw.Int64)
        for c in ("open_deals", "open_without_amount", "won", "lost")
    )
    out = out.with_columns(nw.col("open_amount").fill_null(0.0).cast(nw.Float64))
    out = out.with_columns(
        win_rate=ratio("won", nw.col("won") + nw.col("lost")),
        average_deal_size=ratio("__won_amount", "won"),
        average_cycle_days=ratio("__cycle_sum", "won"),
    )
    out = out.with_columns(
        velocity_per_day=ratio(
            nw.col("open_deals").cast(nw.Float64)
            * nw.col("win_rate")
            * nw.col("average_deal_size"),
            "average_cycle_days",
        ),
        note=_note(
            (nw.col("won") == 0, "no deals won in the lookback window"),
            (nw.col("average_cycle_days") == 0, "average cycle is 0 days"),
        ),
    ).drop("__won_amount", "__cycle_sum")
    out = out.sort(by, nulls_last=True) if by else out
    return close_frame(out, like=opportunities)
