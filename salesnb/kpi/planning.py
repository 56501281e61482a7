"""Quota planner (what-if): the pipeline a target needs, by when, and how far off it is.

Given a revenue target for a period, a win rate, an average deal size and a
sales cycle, :func:`quota_plan` says how much pipeline must exist, how many
deals that is, how much of it still has to be created and by which date, and
how the answer moves when the win rate or the deal size change.
:func:`quota_plan_from_opportunities` measures those inputs from the
``opportunities`` table (per rep, region or team) with the pipeline KPIs
(:func:`~salesnb.kpi.win_rate`, :func:`~salesnb.kpi.average_deal_size`,
:func:`~salesnb.kpi.sales_cycle_days`, :func:`~salesnb.kpi.pipeline_coverage`)
and plans every group.

The plan is a few lines of arithmetic on one row per group, done in pandas
(dates shifted by a per-group number of days are awkward on SQL engines); the
measured inputs are computed on the input's engine and the result is returned
in the input's kind.

Examples
--------
>>> plan = quota_plan(120_000, win_rate=0.25, deal_size=10_000, cycle_days=30,
...                   period="2026Q4", open_pipeline=300_000, as_of="2026-09-30")
>>> base = plan[plan["base"]].iloc[0]
>>> float(base["required_pipeline"]), float(base["coverage_gap"]), int(base["deals_to_create"])
(480000.0, 180000.0, 18)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

import narwhals as nw
import numpy as np
import pandas as pd
import pyarrow as pa

from salesnb.kpi._frame import as_datetime, close_frame, frame_from_arrow, open_frame
from salesnb.kpi._tables import _day_after
from salesnb.kpi.pipeline import (
    average_deal_size,
    pipeline_coverage,
    sales_cycle_days,
    win_rate,
)
from salesnb.periods import Period, latest_complete_period

__all__ = ["quota_plan", "quota_plan_from_opportunities", "PLAN_COLUMNS"]

logger = logging.getLogger(__name__)

#: Columns of a plan, after the group column (see :func:`quota_plan`).
PLAN_COLUMNS = (
    "period",
    "win_rate_change",
    "deal_size_change",
    "base",
    "target",
    "booked",
    "remaining_target",
    "win_rate",
    "deal_size",
    "cycle_days",
    "deals_to_win",
    "required_pipeline",
    "required_deals",
    "open_pipeline",
    "coverage_gap",
    "pipeline_to_create",
    "deals_to_create",
    "create_from",
    "create_by",
    "days_left",
    "note",
)

_LEVELS = {None: "company", "region": "region", "rep_id": "rep", "team": "rep"}


def _number(name: str, value, *, low: float, low_open: bool = False, high=None, what: str):
    """``value`` as a float, or a ValueError naming it and the range expected."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number ({what}); got {value!r}") from None
    too_low = number <= low if low_open else number < low
    if not math.isfinite(number) or too_low or (high is not None and number > high):
        bound = f"> {low:g}" if low_open else f">= {low:g}"
        if high is not None:
            bound = f"in ({low:g}, {high:g}]" if low_open else f"in [{low:g}, {high:g}]"
        hint = ""
        if name == "win_rate" and number > 1:
            hint = f"; pass a fraction, e.g. {number / 100:g} for {number:g} %"
        elif name == "win_rate" and number == 0:
            hint = "; with no deal won no pipeline reaches the target"
        raise ValueError(f"{name} must be {bound} ({what}); got {value!r}{hint}")
    return number


def _changes(changes: Sequence[float], name: str) -> list[float]:
    out = sorted({0.0, *(float(c) for c in changes)})
    bad = [c for c in out if not math.isfinite(c) or c <= -1]
    if bad:
        raise ValueError(
            f"{name} must be relative changes > -1 (-0.1 = 10 % lower); got {bad[0]!r}"
        )
    return out


def _plan_rows(
    inputs: pd.DataFrame, *, per: Period, as_of, changes_w, changes_d, keys=()
) -> pd.DataFrame:
    """The plan of every row of ``inputs`` (``keys``, target, booked, win_rate,
    deal_size, cycle_days, open_pipeline) for every scenario; missing inputs give
    missing figures."""
    grid = pd.MultiIndex.from_product([changes_w, changes_d]).to_frame(
        index=False, name=["win_rate_change", "deal_size_change"]
    )
    rows = inputs.reset_index(drop=True).merge(grid, how="cross")
    remaining = (rows["target"] - rows["booked"].fillna(0.0)).clip(lower=0.0)
    wr = (rows["win_rate"] * (1 + rows["win_rate_change"])).clip(upper=1.0)
    ds = rows["deal_size"] * (1 + rows["deal_size_change"])
    required = remaining / wr
    gap = required - rows["open_pipeline"]
    to_create = gap.clip(lower=0.0)
    shift = pd.to_timedelta(np.floor(rows["cycle_days"].astype(float)), unit="D")
    create_from = per.start - shift
    create_by = per.last_day - shift
    out = pd.DataFrame(
        {
            **{k: rows[k] for k in keys},
            "period": per.label,
            "win_rate_change": rows["win_rate_change"],
            "deal_size_change": rows["deal_size_change"],
            "base": (rows["win_rate_change"] == 0) & (rows["deal_size_change"] == 0),
            "target": rows["target"],
            "booked": rows["booked"],
            "remaining_target": remaining,
            "win_rate": wr,
            "deal_size": ds,
            "cycle_days": rows["cycle_days"],
            "deals_to_win": np.ceil(remaining / ds),
            "required_pipeline": required,
            "required_deals": np.ceil(required / ds),
            "open_pipeline": rows["open_pipeline"],
            "coverage_gap": gap,
            "pipeline_to_create": to_create,
            "deals_to_create": np.ceil(to_create / ds),
            "create_from": create_from,
            "create_by": create_by,
            "days_left": (
                (create_by - pd.Timestamp(as_of).normalize()).dt.days.astype("Float64")
                if as_of is not None
                else pd.Series(np.nan, index=rows.index, dtype="Float64")
            ),
            "note": rows["note"] if "note" in rows else None,
        }
    )
    for column in ("deals_to_win", "required_deals", "deals_to_create", "days_left"):
        out[column] = out[column].astype("Int64")
    return out.sort_values(
        [*keys, "win_rate_change", "deal_size_change"], kind="stable"
    ).reset_index(drop=True)


def quota_plan(
    target,
    win_rate,
    deal_size,
    cycle_days,
    *,
    period,
    open_pipeline=0.0,
    booked=0.0,
    as_of=None,
    win_rate_changes: Sequence[float] = (-0.2, -0.1, 0.0, 0.1, 0.2),
    deal_size_changes: Sequence[float] = (-0.2, -0.1, 0.0, 0.1, 0.2),
    fiscal_year_start: int = 1,
) -> pd.DataFrame:
    """The pipeline a revenue target needs, the gap to today's pipeline, and what-ifs.

    Formulas (money in the data's currency, ``ceil`` = rounded up to whole deals)::

        remaining_target   = max(target - booked, 0)
        deals_to_win       = ceil(remaining_target / deal_size)
        required_pipeline  = remaining_target / win_rate
        required_deals     = ceil(required_pipeline / deal_size)
        coverage_gap       = required_pipeline - open_pipeline   # < 0: more than enough
        pipeline_to_create = max(coverage_gap, 0)
        deals_to_create    = ceil(pipeline_to_create / deal_size)
        create_from        = first day of period - cycle_days
        create_by          = last day of period - cycle_days
        days_left          = create_by - as_of (days; < 0: already late)

    ``open_pipeline`` is the open pipeline expected to close in the period (at
    full amount, as :func:`~salesnb.kpi.pipeline_coverage` sums it). A deal
    created between ``create_from`` and ``create_by`` closes inside the period
    when its cycle is the typical one (``cycle_days``, whole days).

    Sensitivity: every combination of ``win_rate * (1 + w)`` for ``w`` in
    ``win_rate_changes`` (capped at 1) and ``deal_size * (1 + d)`` for ``d`` in
    ``deal_size_changes`` gives one row; 0 is always included, and the row with
    both changes 0 (``base``) is the plan itself.

    Parameters
    ----------
    target : float
        Revenue to reach in the period (>= 0).
    win_rate : float
        Share of closed deals that are won, in (0, 1].
    deal_size : float
        Average amount of a won deal (> 0).
    cycle_days : float
        Typical days from a deal's creation to its close (>= 0).
    period : str or Period
        The period of the target (``"2026Q4"``).
    open_pipeline : float, default 0
        Open pipeline expected to close in the period (>= 0).
    booked : float, default 0
        Revenue already booked in the period (>= 0).
    as_of : date, optional
        Today, for ``days_left``.
    win_rate_changes, deal_size_changes : sequence of float
        Relative changes (> -1) for the sensitivity rows.
    fiscal_year_start : int, default 1

    Returns
    -------
    pandas.DataFrame
        One row per scenario, sorted by ``win_rate_change`` then
        ``deal_size_change``; columns :data:`PLAN_COLUMNS`.

    Raises
    ------
    ValueError
        When ``target``, ``booked`` or ``open_pipeline`` is negative or not a
        number, ``win_rate`` is not in (0, 1] (0 can reach no target; 30
        instead of 0.3 is named), ``deal_size`` is not > 0, ``cycle_days`` is
        negative, a change is <= -1, or the period label cannot be read.

    Examples
    --------
    >>> plan = quota_plan(100_000, win_rate=0.25, deal_size=5_000, cycle_days=40.5,
    ...                   period="2026Q4", open_pipeline=250_000, as_of="2026-10-01",
    ...                   win_rate_changes=(-0.2, 0.2), deal_size_changes=())
    >>> print(plan[["win_rate_change", "win_rate", "required_pipeline", "coverage_gap",
    ...             "deals_to_create", "create_by", "days_left"]].to_string(index=False))
     win_rate_change  win_rate  required_pipeline  coverage_gap  deals_to_create  create_by  days_left
                -0.2      0.20           500000.0      250000.0               50 2026-11-21         51
                 0.0      0.25           400000.0      150000.0               30 2026-11-21         51
                 0.2      0.30      333333.333333   83333.333333               17 2026-11-21         51
    """
    target = _number("target", target, low=0, what="revenue to reach in the period")
    rate = _number("win_rate", win_rate, low=0, low_open=True, high=1, what="share of deals won")
    size = _number("deal_size", deal_size, low=0, low_open=True, what="average won deal amount")
    cycle = _number("cycle_days", cycle_days, low=0, what="days from creation to close")
    pipe = _number("open_pipeline", open_pipeline, low=0, what="open pipeline amount")
    done = _number("booked", booked, low=0, what="revenue already booked")
    per = Period.parse(period, fiscal_year_start=fiscal_year_start)
    inputs = pd.DataFrame(
        {
            "target": [target],
            "booked": [done],
            "win_rate": [rate],
            "deal_size": [size],
            "cycle_days": [cycle],
            "open_pipeline": [pipe],
        }
    )
    return _plan_rows(
        inputs,
        per=per,
        as_of=as_of,
        changes_w=_changes(win_rate_changes, "win_rate_changes"),
        changes_d=_changes(deal_size_changes, "deal_size_changes"),
    )


def _pandas(native) -> pd.DataFrame:
    frame = nw.from_native(native)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas()


def _window(per_end: Period, quarters: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return per_end.shift(-(quarters - 1)).start, per_end.end


def _measured(opportunities, *, by, reps, start, end) -> pd.DataFrame:
    """Win rate, average deal size and median cycle of deals closed in ``[start, end)``."""
    frame = open_frame(opportunities, table="opportunities", required=["status", "closed_at"])
    closed = frame.filter(
        (nw.col("closed_at") >= nw.lit(as_datetime(start)))
        & (nw.col("closed_at") < nw.lit(as_datetime(end)))
    )
    native = nw.to_native(closed)
    opts = {"freq": None, "by": by, "reps": reps}
    keys = list(by)
    rate = _pandas(win_rate(native, comparisons=False, **opts))[[*keys, "closed", "win_rate"]]
    size = _pandas(average_deal_size(native, comparisons=False, **opts))
    cycle = _pandas(sales_cycle_days(native, percentiles=(), **opts))
    out = (
        rate.merge(size[[*keys, "average_deal_size"]], on=keys, how="outer")
        if keys
        else (rate.join(size[["average_deal_size"]]))
    )
    cycle = cycle[[*keys, "median_days"]]
    out = out.merge(cycle, on=keys, how="outer") if keys else out.join(cycle)
    return out.rename(columns={"average_deal_size": "deal_size", "median_days": "cycle_days"})


def _coverage(opportunities, targets, orders, *, level, per, as_of, reps, by) -> pd.DataFrame:
    cov = _pandas(
        pipeline_coverage(
            opportunities,
            targets,
            orders,
            period=per.label,
            as_of=as_of,
            level=level,
            fiscal_year_start=per.fiscal_year_start,
            reps=reps,
        )
    )
    cov = cov[["key", "target", "booked", "pipeline_amount"]].rename(
        columns={"pipeline_amount": "open_pipeline"}
    )
    if by == ["team"]:
        team = _pandas(reps)[["rep_id", "team"]].drop_duplicates("rep_id")
        cov = cov.merge(team, left_on="key", right_on="rep_id", how="left")
        cov = cov.groupby("team", dropna=False, as_index=False)[
            ["target", "booked", "open_pipeline"]
        ].sum(min_count=1)
        return cov
    if by:
        return cov.rename(columns={"key": by[0]})
    return cov.drop(columns="key")


def quota_plan_from_opportunities(
    opportunities,
    targets=None,
    orders=None,
    *,
    period,
    as_of,
    by=None,
    target: float | Mapping | None = None,
    lookback_quarters: int = 4,
    reps=None,
    win_rate_changes: Sequence[float] = (-0.2, -0.1, 0.0, 0.1, 0.2),
    deal_size_changes: Sequence[float] = (-0.2, -0.1, 0.0, 0.1, 0.2),
    fiscal_year_start: int = 1,
):
    """:func:`quota_plan` for every group, with inputs measured from the pipeline.

    Measured per group (``by``: None for the company, ``"region"``,
    ``"rep_id"`` or ``"team"``), from the deals closed in the
    ``lookback_quarters`` quarters ending with the latest quarter complete at
    ``as_of`` (``closed_at`` decides):

    - ``win_rate`` = won / (won + lost) (:func:`~salesnb.kpi.win_rate`);
    - ``deal_size`` = mean amount of won deals
      (:func:`~salesnb.kpi.average_deal_size`);
    - ``cycle_days`` = median days from ``created_at`` to ``closed_at`` of won
      deals (:func:`~salesnb.kpi.sales_cycle_days`);
    - ``open_pipeline`` = amount of the deals open at the end of ``as_of``
      whose ``expected_close_date`` falls in ``period``, ``target`` = the
      ``targets`` row of ``period`` at the group's level (a team sums its
      reps' targets), ``booked`` = revenue of ``orders`` in ``period`` up to
      ``as_of`` (:func:`~salesnb.kpi.pipeline_coverage`).

    ``target=`` overrides the targets table: a number (``by=None``) or a
    mapping group -> target. The plan takes the whole remaining target as
    revenue to win from deals; where part of the revenue comes without a deal
    (web or repeat orders), pass ``target=`` the part expected from deals. A group whose win rate, deal size, cycle or
    target is missing (no closed deal in the window, no target) keeps its
    row with missing figures and a ``note``.

    Parameters
    ----------
    opportunities : DataFrame or lazy frame
        Needs ``status``, ``amount``, ``created_at``, ``closed_at``,
        ``expected_close_date`` (and ``rep_id`` / ``region`` for ``by``).
    targets : DataFrame, optional
        The ``targets`` table; needed unless ``target=`` is given.
    orders : DataFrame, optional
        For the revenue already booked in ``period``.
    period : str
        The period to plan (``"2026Q4"``).
    as_of : date
        Today: the pipeline is taken open at the end of this day.
    by : {None, "region", "rep_id", "team"}
        ``"team"`` needs ``reps=``.
    target : float or mapping, optional
    lookback_quarters : int, default 4
    reps : DataFrame, optional
    win_rate_changes, deal_size_changes : sequence of float
    fiscal_year_start : int, default 1

    Returns
    -------
    Same kind as ``opportunities``
        ``*by`` then :data:`PLAN_COLUMNS`, one row per group and scenario.

    Raises
    ------
    ValueError
        When ``by`` is not one of the levels above, ``team`` without ``reps``,
        neither ``targets`` nor ``target`` is given, ``lookback_quarters < 1``,
        or a given ``target`` is negative.

    Examples
    --------
    >>> import salesnb
    >>> data = salesnb.load(salesnb.SAMPLE_DATA)
    >>> plan = quota_plan_from_opportunities(data.opportunities, data.targets, data.orders,
    ...                                      period="2026Q4", as_of="2026-09-30")
    >>> base = plan[plan["base"]]
    >>> bool((base["required_pipeline"] > base["remaining_target"]).all())
    True
    """
    if by not in _LEVELS:
        raise ValueError(f"by must be None, 'region', 'rep_id' or 'team'; got {by!r}")
    if by == "team" and reps is None:
        raise ValueError("by='team' needs reps= (the reps table with rep_id and team)")
    if targets is None and target is None:
        raise ValueError("pass targets= (the targets table) or target= (a number or mapping)")
    if int(lookback_quarters) < 1:
        raise ValueError(f"lookback_quarters must be >= 1; got {lookback_quarters!r}")
    keys = [] if by is None else [by]
    per = Period.parse(period, fiscal_year_start=fiscal_year_start)
    last = latest_complete_period(as_of, freq="quarter", fiscal_year_start=fiscal_year_start)
    start, end = _window(last, int(lookback_quarters))
    end = min(end, pd.Timestamp(_day_after(as_of)))
    measured = _measured(opportunities, by=keys, reps=reps, start=start, end=end)
    cov = _coverage(
        opportunities,
        _empty_targets() if targets is None else targets,
        orders,
        level=_LEVELS[by],
        per=per,
        as_of=as_of,
        reps=reps,
        by=keys,
    )
    inputs = _merge_inputs(measured, cov, keys=keys, target=target)
    plan = _plan_rows(
        inputs,
        per=per,
        as_of=as_of,
        changes_w=_changes(win_rate_changes, "win_rate_changes"),
        changes_d=_changes(deal_size_changes, "deal_size_changes"),
        keys=keys,
    )
    if isinstance(opportunities, pd.DataFrame):
        return plan
    like = open_frame(opportunities, table="opportunities")
    table = pa.Table.from_pandas(plan, preserve_index=False)
    return close_frame(frame_from_arrow(table, like=like), like=opportunities)


def _empty_targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": pd.Series([], dtype=object),
            "level": pd.Series([], dtype=object),
            "key": pd.Series([], dtype=object),
            "revenue_target": pd.Series([], dtype=float),
        }
    )


def _merge_inputs(measured, cov, *, keys, target) -> pd.DataFrame:
    """One row per group: measured rates, targets, booked revenue and open pipeline."""
    if keys:
        for frame in (measured, cov):
            frame[keys[0]] = frame[keys[0]].astype(object)
        inputs = measured.merge(cov, on=keys, how="outer")
    else:
        inputs = (
            measured.join(cov)
            if len(cov)
            else measured.assign(target=np.nan, booked=np.nan, open_pipeline=0.0)
        )
    if target is not None:
        if isinstance(target, Mapping):
            given = {
                k: _number(f"target[{k!r}]", v, low=0, what="revenue to reach")
                for k, v in target.items()
            }
            inputs["target"] = inputs[keys[0]].map(given) if keys else np.nan
        else:
            inputs["target"] = _number("target", target, low=0, what="revenue to reach")
    inputs["open_pipeline"] = inputs["open_pipeline"].fillna(0.0)
    inputs["booked"] = inputs["booked"].astype(float)
    missing = {
        "win_rate": "no deals closed in the lookback window",
        "deal_size": "no deals won in the lookback window",
        "cycle_days": "no deals won in the lookback window",
        "target": "no target",
    }
    note = pd.Series(None, index=inputs.index, dtype=object)
    for column, text in missing.items():
        note = note.where(note.notna() | inputs[column].notna(), text)
    # a zero win rate plans nothing: no pipeline can reach the target
    note = note.where(note.notna() | (inputs["win_rate"] != 0), "win rate 0 in the window")
    inputs["win_rate"] = inputs["win_rate"].where(inputs["win_rate"] != 0)
    inputs["note"] = note
    if keys:
        inputs = inputs.sort_values(keys, kind="stable").reset_index(drop=True)
    return inputs
