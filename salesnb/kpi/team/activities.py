"""Activity KPIs: visits scheduled in the coming days, and activity completion per period."""

from __future__ import annotations

import narwhals as nw
import pandas as pd

from salesnb.kpi._frame import as_list, close_frame, column_names, open_frame, ratio
from salesnb.kpi._tables import (
    _check_by_not_reserved,
    _compare,
    _day_after,
    _finish,
    _flag,
    _note,
    _open,
    _period_table,
)
from salesnb.periods import normalize_freq

__all__ = ["scheduled_visits", "activity_summary"]


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
