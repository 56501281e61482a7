"""Pipeline over time from the deal history: the pipeline as of any date, stage conversion
and time in stage, and the pipeline-change waterfall between two dates.

The history table ``opportunity_history`` holds one row per change of a deal
(``opportunity_id, changed_at, stage, status, amount, expected_close_date``, optional
``probability``); the last row of a deal at or before a moment is the deal's state at
that moment, and a deal without a row by then did not exist yet.

Conventions of this module
--------------------------
- **Days count whole**, as everywhere in :mod:`salesnb.kpi.pipeline`: the state "as of"
  a day is the state at the end of that day (rows with ``changed_at < day + 1``). A
  change at any time on ``as_of`` (or on a waterfall's ``start``) is already in that
  day's state; a change on ``end`` is in the end state.
- **Time zones**: timestamps are compared as the wall-clock times the table holds (the
  loader stores them without a time zone). A column with a time zone is read as its
  wall-clock time in that zone, and a date passed with a time zone as its wall-clock
  date.
- **Order of the rows of a deal**: by ``changed_at``; at the same ``changed_at`` a won
  or lost row comes after an open one (closing is the last thing that happens).
  ``(opportunity_id, changed_at)`` is the table's key; rows that still tie are one
  change and one of them is taken.
- **Stages**: ``stage`` values are matched to the company's pipeline
  (:class:`~salesnb.stages.SalesPipeline`, ``pipeline=``) ignoring case and spaces; a
  row whose stage is missing, blank or a won/lost value keeps the deal's previous stage.
- **Amounts**: a missing ``amount`` counts as 0 in value sums and is counted in a
  ``without_amount`` column.

Examples
--------
A past quarter seen at its end: rebuild the deals as they stood on 30 June and hand them
to the KPIs that read the ``opportunities`` table (coverage of the next quarter here).
On that day O1 was open in proposal at 120 and O2 did not exist yet:

>>> import pandas as pd
>>> from salesnb import kpi
>>> history = pd.DataFrame({
...     "opportunity_id": ["O1", "O1", "O1", "O2"],
...     "changed_at": pd.to_datetime(["2025-05-05", "2025-06-10", "2025-08-02",
...                                   "2025-07-01"]),
...     "stage": ["qualification", "proposal", "proposal", "qualification"],
...     "status": ["open", "open", "won", "open"],
...     "amount": [100.0, 120.0, 120.0, 50.0],
...     "expected_close_date": pd.to_datetime(["2025-08-31"] * 3 + ["2025-09-30"]),
... })
>>> june = kpi.opportunities_as_of(history, as_of="2025-06-30")
>>> targets = pd.DataFrame({"period": ["2025Q3"], "level": ["company"], "key": ["all"],
...                         "revenue_target": [400.0]})
>>> cov = kpi.pipeline_coverage(june, targets, period="2025Q3", as_of="2025-06-30")
>>> print(cov[["pipeline_deals", "pipeline_amount", "coverage"]].to_string(index=False))
 pipeline_deals  pipeline_amount  coverage
              1            120.0       0.3

What happened to that pipeline during July and August:

>>> steps = kpi.pipeline_waterfall(history, start="2025-06-30", end="2025-08-31",
...                                window="2025Q3")
>>> print(steps[steps["deals"] > 0].to_string(index=False))
 step  value  deals  without_amount
start  120.0      1               0
  new   50.0      1               0
  won -120.0      1               0
  end   50.0      1               0

The window functions (previous row, running fill and count per deal, ordered by
``changed_at``) are narwhals' ``over(..., order_by=...)``, so the same code runs on
pandas, polars, DuckDB and Spark; no library offers these CRM-history reconstructions.
"""

from __future__ import annotations

import datetime as _dt

import narwhals as nw
import pandas as pd

from salesnb.kpi._frame import (
    PERIOD,
    PERIOD_START,
    add_comparisons,
    add_period_label,
    as_datetime,
    close_frame,
    column_names,
    days_between,
    open_frame,
    ratio,
    sort_rows,
    with_period,
)
from salesnb.kpi._tables import (
    _bounds,
    _day_after,
    _flag,
    _join,
    _literal_frame,
    _note,
    _open,
    _starts_frame,
)
from salesnb.kpi.pipeline.funnel import _stage_groups
from salesnb.periods import Period, normalize_freq, period_range
from salesnb.stages import DEFAULT_PIPELINE, SalesPipeline

__all__ = [
    "HISTORY_COLUMNS",
    "WATERFALL_STEPS",
    "opportunities_as_of",
    "stage_conversion",
    "pipeline_waterfall",
]

#: Columns ``opportunity_history`` must have (``probability`` is optional).
HISTORY_COLUMNS: tuple[str, ...] = (
    "opportunity_id",
    "changed_at",
    "stage",
    "status",
    "amount",
    "expected_close_date",
)

#: The steps of :func:`pipeline_waterfall`, in order, with the sign of their value.
WATERFALL_STEPS: tuple[tuple[str, str], ...] = (
    ("start", "="),
    ("new", "+"),
    ("reopened", "+"),
    ("pulled_in", "+"),
    ("increased", "+"),
    ("decreased", "-"),
    ("pushed_out", "-"),
    ("won", "-"),
    ("lost", "-"),
    ("end", "="),
)

_TABLE = "opportunity_history"
_ID = "opportunity_id"
_ORDER = ["changed_at", "__closed"]
_STATE_COLUMNS = (
    "created_at",
    "stage",
    "status",
    "amount",
    "expected_close_date",
    "closed_at",
    "stage_changed_at",
    "last_activity_at",
    "lost_reason",
    "probability",
)


# --- reading the history ------------------------------------------------------------------


def _wall_clock(frame: nw.LazyFrame, columns) -> nw.LazyFrame:
    """Columns with a time zone as their wall-clock time (no zone); others unchanged."""
    if frame.implementation.is_spark_like():
        return frame
    schema = frame.collect_schema()
    zoned = [
        c
        for c in columns
        if c in schema and isinstance(schema[c], nw.Datetime) and schema[c].time_zone
    ]
    if not zoned:
        return frame
    return frame.with_columns(nw.col(c).dt.replace_time_zone(None) for c in zoned)


def _history(history) -> nw.LazyFrame:
    """The history opened, checked and ordered: ``__closed`` and ``__ord`` (1, 2, ... per deal)."""
    frame = open_frame(history, table=_TABLE, required=HISTORY_COLUMNS)
    frame = _wall_clock(frame, ["changed_at", "expected_close_date"])
    frame = frame.with_columns(
        __closed=_flag(nw.col("status").is_in(["won", "lost"])), __ord=nw.lit(1)
    )
    # a running sum of ones: narwhals 2.29's ``cum_count().over(order_by=...)`` on pandas
    # counts in row order, ignoring ``order_by``
    return frame.with_columns(
        __ord=nw.col("__ord").cum_sum().over(_ID, order_by=_ORDER).cast(nw.Int64)
    )


def _positions(frame: nw.LazyFrame, pipeline: SalesPipeline) -> nw.Expr:
    """0-based pipeline position of each row's ``stage`` (a float); null for no stage.

    Float literals: a chain of integer ``when`` branches makes pandas warn about
    silent downcasting (and an integer column cannot hold pandas' missing values).

    Raises
    ------
    ValueError
        For stage values that are not stages of the pipeline (they are listed).
    """
    try:
        groups, _ = _stage_groups(frame, pipeline)
    except ValueError as exc:
        raise ValueError(str(exc).replace("opportunities.stage", f"{_TABLE}.stage")) from None
    expr = None
    for i, values in enumerate(groups):
        if values:
            cond = nw.col("stage").is_in(values)
            expr = (nw.when(cond) if expr is None else expr.when(cond)).then(nw.lit(float(i)))
    if expr is None:
        return nw.lit(None, dtype=nw.Float64)
    return expr.cast(nw.Float64)


def _with_runs(frame: nw.LazyFrame, pipeline: SalesPipeline) -> nw.LazyFrame:
    """Add per-row state that depends on the rows before it (same deal, in order).

    ``__pos`` / ``__stage``: the deal's stage position and text (the last row with a
    stage); ``stage_changed_at``: when that stage was entered (a change of stage, the
    deal's first row, or a reopening); ``closed_at``: when the deal entered its
    current won/lost status (null while open); ``__seg``: number of the run of rows
    with the same stage and status.
    """
    over = {"order_by": _ORDER}
    frame = frame.with_columns(__pos0=_positions(frame, pipeline))
    frame = frame.with_columns(
        __pos=nw.col("__pos0").fill_null(strategy="forward").over(_ID, **over),
        __stage=nw.when(~nw.col("__pos0").is_null())
        .then(nw.col("stage"))
        .fill_null(strategy="forward")
        .over(_ID, **over),
    )
    frame = frame.with_columns(
        __prev_pos=nw.col("__pos").fill_null(-1).shift(1).over(_ID, **over),
        __prev_closed=nw.col("__closed").shift(1).over(_ID, **over),
        __prev_status=nw.col("status").shift(1).over(_ID, **over),
    )
    first = nw.col("__ord") == 1
    stage_entry = (
        first
        | (nw.col("__pos").fill_null(-1) != nw.col("__prev_pos"))
        | ((nw.col("__prev_closed") == 1) & (nw.col("__closed") == 0))
    )
    close_entry = (nw.col("__closed") == 1) & (
        first | (nw.col("__prev_closed") == 0) | (nw.col("__prev_status") != nw.col("status"))
    )
    frame = frame.with_columns(
        __stage_entry=_flag(stage_entry),
        __close_entry=_flag(close_entry),
        __boundary=_flag(
            stage_entry | close_entry | (nw.col("__prev_closed") != nw.col("__closed"))
        ),
    )
    # the entry times as columns first: pandas does not forward-fill a ``when`` of datetimes
    frame = frame.with_columns(
        stage_changed_at=nw.when(nw.col("__stage_entry") == 1).then(nw.col("changed_at")),
        closed_at=nw.when(nw.col("__close_entry") == 1).then(nw.col("changed_at")),
    )
    frame = frame.with_columns(
        stage_changed_at=nw.col("stage_changed_at").fill_null(strategy="forward").over(_ID, **over),
        closed_at=nw.col("closed_at").fill_null(strategy="forward").over(_ID, **over),
        __seg=nw.col("__boundary").cum_sum().over(_ID, **over).cast(nw.Int64),
    )
    return frame.with_columns(
        closed_at=nw.when(nw.col("__closed") == 1).then(nw.col("closed_at"))
    ).drop("__pos0", "__prev_pos", "__prev_closed", "__prev_status")


def _state_at(rows: nw.LazyFrame, cutoff: _dt.datetime) -> nw.LazyFrame:
    """The last row of each deal with ``changed_at < cutoff``, plus ``__first_at``."""
    upto = rows.filter(nw.col("changed_at") < nw.lit(cutoff))
    last = upto.group_by(_ID).agg(
        nw.col("__ord").max().alias("__last"), nw.col("changed_at").min().alias("__first_at")
    )
    state = upto.join(last, left_on=[_ID, "__ord"], right_on=[_ID, "__last"], how="inner")
    return state.unique(subset=[_ID], keep="any")


# --- pipeline as of a date -----------------------------------------------------------------


def _static_columns(opportunities, *, like: nw.LazyFrame) -> tuple[nw.LazyFrame, list[str]]:
    opp = _open(opportunities, table="opportunities", required=[_ID], like=like)
    names = column_names(opp)
    static = [c for c in names if c != _ID and c not in _STATE_COLUMNS]
    keep = [c for c in ("created_at", "last_activity_at", "lost_reason") if c in names]
    opp = _wall_clock(opp, ["created_at", "last_activity_at"])
    opp = opp.select(_ID, *static, *[nw.col(c).alias(f"__opp_{c}") for c in keep])
    return opp.unique(subset=[_ID], keep="any"), static


def opportunities_as_of(
    history, *, as_of, opportunities=None, pipeline: SalesPipeline | None = None
):
    """Each deal's state at the end of day ``as_of``, in the shape of ``opportunities``.

    The state of a deal is its last history row with ``changed_at`` on or before
    ``as_of`` (the whole day counts); a deal with no row by then did not exist yet and
    is not in the result (nor is a deal of ``opportunities`` that has no history row).
    The result can be passed unchanged to the KPIs that read the ``opportunities``
    table (:func:`~salesnb.kpi.pipeline_coverage`, :func:`~salesnb.kpi.stale_deals`,
    :func:`~salesnb.kpi.slipped_deals`, :func:`~salesnb.kpi.sales_velocity`,
    :func:`salesnb.models.forecast.pipeline_weighted_forecast` ...) with the same
    ``as_of``, to see a past quarter as it stood at its end instead of in today's
    state.

    Columns:

    - ``stage``: the stage of the last row that names one (a closing row without a
      stage keeps the stage the deal was in); ``status``, ``amount``,
      ``expected_close_date`` (and ``probability`` when the history has it): of the
      last row;
    - ``stage_changed_at``: when the deal entered that stage (the first row of the
      latest run of rows in it; a reopened deal re-enters its stage);
    - ``closed_at``: for a won or lost deal, when it took that status (missing while
      open; a deal closed after ``as_of`` is open here);
    - ``created_at``: the earliest of ``opportunities.created_at`` and the deal's
      first history row;
    - ``last_activity_at``: the latest of the deal's last history change by
      ``as_of`` and ``opportunities.last_activity_at`` when that is on or before
      ``as_of`` (then it was already the last activity at ``as_of``; a later one
      says nothing about ``as_of`` and is ignored);
    - ``lost_reason``: from ``opportunities`` for deals lost at ``as_of``;
    - every other column of ``opportunities`` (``customer_id``, ``rep_id``,
      ``product``, ``region`` ...) is taken as it is there (static), joined on
      ``opportunity_id``; missing for deals ``opportunities`` lacks.

    Parameters
    ----------
    history : DataFrame
        ``opportunity_history``: ``opportunity_id, changed_at, stage, status, amount,
        expected_close_date`` (optional ``probability``).
    as_of : date
        The day the pipeline is looked at (counts whole; a time of day is ignored).
    opportunities : DataFrame, optional
        The current-state table, for the static columns.
    pipeline : SalesPipeline, optional
        The company's pipeline (``SalesData.pipeline``); None is the contract's.

    Returns
    -------
    DataFrame
        ``opportunity_id, *static, created_at, stage, status, amount,
        expected_close_date, closed_at, stage_changed_at, last_activity_at
        [, lost_reason][, probability]``, one row per deal, sorted by id.

    Raises
    ------
    MissingColumnsError
        A required column of ``history`` (or ``opportunity_id`` of
        ``opportunities``) is missing.
    ValueError
        A ``stage`` value that is not a stage of ``pipeline``.

    Examples
    --------
    >>> import pandas as pd
    >>> history = pd.DataFrame({
    ...     "opportunity_id": ["O1", "O1", "O1", "O2"],
    ...     "changed_at": pd.to_datetime(["2025-01-05", "2025-02-10", "2025-04-02",
    ...                                   "2025-05-01"]),
    ...     "stage": ["qualification", "proposal", "proposal", "qualification"],
    ...     "status": ["open", "open", "won", "open"],
    ...     "amount": [100.0, 120.0, 120.0, 50.0],
    ...     "expected_close_date": pd.to_datetime(["2025-03-31"] * 3 + ["2025-06-30"]),
    ... })
    >>> snap = opportunities_as_of(history, as_of="2025-03-31")
    >>> print(snap[["opportunity_id", "stage", "status", "amount", "stage_changed_at",
    ...             "closed_at"]].to_string())
      opportunity_id     stage status  amount stage_changed_at closed_at
    0             O1  proposal   open   120.0       2025-02-10       NaT
    """
    pipeline = DEFAULT_PIPELINE if pipeline is None else pipeline
    cutoff = _day_after(as_of)
    rows = _with_runs(_history(history), pipeline)
    has_probability = "probability" in column_names(rows)
    state = _state_at(rows, cutoff)
    static: list[str] = []
    if opportunities is not None:
        opp, static = _static_columns(opportunities, like=state)
        state = state.join(opp, on=_ID, how="left")
    names = column_names(state)
    created = nw.col("__first_at")
    last_touch = nw.col("changed_at")
    if "__opp_created_at" in names:
        own = nw.col("__opp_created_at").cast(state.collect_schema()["changed_at"])
        created = nw.when(~own.is_null() & (own < created)).then(own).otherwise(created)
    if "__opp_last_activity_at" in names:
        own = nw.col("__opp_last_activity_at").cast(state.collect_schema()["changed_at"])
        last_touch = (
            nw.when(~own.is_null() & (own < nw.lit(cutoff)) & (own > last_touch))
            .then(own)
            .otherwise(last_touch)
        )
    extra = []
    if "__opp_lost_reason" in names:
        extra.append(
            nw.when(nw.col("status") == "lost")
            .then(nw.col("__opp_lost_reason"))
            .alias("lost_reason")
        )
    if has_probability:
        extra.append(nw.col("probability"))
    out = state.select(
        _ID,
        *static,
        created.alias("created_at"),
        nw.col("__stage").alias("stage"),
        "status",
        "amount",
        "expected_close_date",
        "closed_at",
        "stage_changed_at",
        last_touch.alias("last_activity_at"),
        *extra,
    )
    return close_frame(out.sort(_ID), like=history)


# --- stage conversion and time in stage ----------------------------------------------------


def _visits(rows: nw.LazyFrame) -> nw.LazyFrame:
    """One row per stay of a deal in a stage while open, with how the stay ended.

    ``__entered_at``, ``__pos``; flags ``__advanced`` (next run is a later stage or
    won), ``__lost``, ``__back`` (an earlier stage), ``__in_stage`` (no next run yet)
    and ``__days`` (entered → left, missing while in the stage).
    """
    segs = rows.group_by(_ID, "__seg").agg(
        nw.col("changed_at").min().alias("__entered_at"),
        nw.col("__pos").max(),
        nw.col("__closed").max(),
        nw.col("__won").max(),
        nw.col("__lost").max(),
    )
    nxt = segs.select(
        _ID,
        (nw.col("__seg") - 1).alias("__seg"),
        nw.col("__entered_at").alias("__left_at"),
        nw.col("__pos").alias("__next_pos"),
        nw.col("__won").alias("__next_won"),
        nw.col("__lost").alias("__next_lost"),
    )
    visits = segs.filter((nw.col("__closed") == 0) & ~nw.col("__pos").is_null()).select(
        _ID, "__seg", "__entered_at", "__pos"
    )
    visits = visits.join(nxt, on=[_ID, "__seg"], how="left")
    left = ~nw.col("__left_at").is_null()
    next_open = left & (nw.col("__next_won") == 0) & (nw.col("__next_lost") == 0)
    return visits.with_columns(
        __one=nw.lit(1),
        __advanced=_flag(
            (left & (nw.col("__next_won") == 1))
            | (next_open & (nw.col("__next_pos") > nw.col("__pos")))
        ),
        __lost=_flag(left & (nw.col("__next_lost") == 1)),
        __back=_flag(next_open & (nw.col("__next_pos") < nw.col("__pos"))),
        __in_stage=_flag(~left),
        __days=nw.when(left).then(days_between("__left_at", "__entered_at", like=visits)),
    )


def _stage_grid(visits, *, pipeline, freq, fiscal_year_start) -> nw.LazyFrame:
    lo, hi = _bounds(visits, "__entered_at")
    periods = (
        [] if lo is None else period_range(lo, hi, freq=freq, fiscal_year_start=fiscal_year_start)
    )
    dtype = visits.collect_schema()[PERIOD_START]
    starts = _starts_frame([p.start for p in periods], like=visits, dtype=dtype)
    stages = _literal_frame(
        {"stage": list(pipeline.names), "__pos": [float(i) for i in range(len(pipeline.names))]},
        like=visits,
        schema={"stage": nw.String(), "__pos": nw.Float64()},
    )
    return starts.join(stages, how="cross")


def stage_conversion(
    history,
    *,
    freq: str = "quarter",
    as_of=None,
    pipeline: SalesPipeline | None = None,
    fiscal_year_start: int = 1,
    comparisons: bool = True,
):
    """For each stage and period: deals that entered it, the share that moved on, time in it.

    A *stay* is a run of a deal's history rows in one stage while open; it starts at
    the first row of the run (a deal's first row, a change of stage, or a reopening)
    and ends at the next row with another stage or a won/lost status. The **period of
    the stay's start decides**. For the stays started in the period:

    - ``entered``: number of stays (a deal that comes back to a stage enters it again);
    - ``advanced``: the stay ended in a later stage (skipping stages counts) or won —
      won is the step after the last stage; ``lost``: it ended lost; ``moved_back``:
      it ended in an earlier stage; ``in_stage``: it had not ended by ``as_of``;
    - ``conversion_rate = advanced / entered`` (recent periods rise while deals are
      still ``in_stage``: the ``note`` says so);
    - ``median_days_in_stage``: median of (left − entered) in fractional days over
      the stays that ended (those still in the stage are left out).

    With ``comparisons``: ``conversion_rate_prev``, ``conversion_rate_change``,
    ``conversion_rate_change_pct`` and the same for ``median_days_in_stage``, against
    the previous period (see :func:`salesnb.kpi._frame.add_comparisons`).

    Parameters
    ----------
    history : DataFrame
        ``opportunity_history`` (see :func:`opportunities_as_of`).
    freq : str, default "quarter"
    as_of : date, optional
        Only rows changed by the end of this day count; None = the whole history.
    pipeline : SalesPipeline, optional
        Stage order; None is the contract's four stages.
    fiscal_year_start : int, default 1
    comparisons : bool, default True

    Returns
    -------
    DataFrame
        ``period, period_start, stage, entered, advanced, lost, moved_back, in_stage,
        conversion_rate, median_days_in_stage, note`` (+ comparisons), every period
        from the first to the last stay × every stage of the pipeline, sorted by
        period and pipeline order.

    Raises
    ------
    MissingColumnsError
        A required column of ``history`` is missing.
    ValueError
        A ``stage`` value that is not a stage of ``pipeline``, or an unknown ``freq``.

    Examples
    --------
    >>> import pandas as pd
    >>> history = pd.DataFrame({
    ...     "opportunity_id": ["O1", "O1", "O1", "O2", "O2"],
    ...     "changed_at": pd.to_datetime(["2025-01-01", "2025-01-11", "2025-02-10",
    ...                                   "2025-01-05", "2025-01-25"]),
    ...     "stage": ["qualification", "discovery", "discovery", "qualification",
    ...               "qualification"],
    ...     "status": ["open", "open", "won", "open", "lost"],
    ...     "amount": [100.0] * 5,
    ...     "expected_close_date": pd.to_datetime(["2025-03-31"] * 5),
    ... })
    >>> out = stage_conversion(history, comparisons=False)
    >>> print(out[["period", "stage", "entered", "advanced", "lost", "conversion_rate",
    ...            "median_days_in_stage"]].to_string())
       period          stage  entered  advanced  lost  conversion_rate  median_days_in_stage
    0  2025Q1  qualification        2         1     1              0.5                  15.0
    1  2025Q1      discovery        1         1     0              1.0                  30.0
    2  2025Q1       proposal        0         0     0              NaN                   NaN
    3  2025Q1    negotiation        0         0     0              NaN                   NaN
    """
    pipeline = DEFAULT_PIPELINE if pipeline is None else pipeline
    freq = normalize_freq(freq)
    rows = _history(history)
    if as_of is not None:
        rows = rows.filter(nw.col("changed_at") < nw.lit(_day_after(as_of)))
    rows = _with_runs(rows, pipeline).with_columns(
        __won=_flag(nw.col("status") == "won"), __lost=_flag(nw.col("status") == "lost")
    )
    visits = with_period(
        _visits(rows), "__entered_at", freq=freq, fiscal_year_start=fiscal_year_start
    )
    counts = ["entered", "advanced", "lost", "moved_back", "in_stage"]
    agg = visits.group_by(PERIOD_START, "__pos").agg(
        nw.col("__one").sum().alias("entered"),
        nw.col("__advanced").sum().alias("advanced"),
        nw.col("__lost").sum().alias("lost"),
        nw.col("__back").sum().alias("moved_back"),
        nw.col("__in_stage").sum().alias("in_stage"),
        nw.col("__days").median().alias("median_days_in_stage"),
    )
    grid = _stage_grid(visits, pipeline=pipeline, freq=freq, fiscal_year_start=fiscal_year_start)
    out = _join(
        grid, agg.with_columns(nw.col("__pos").cast(nw.Float64)), on=[PERIOD_START, "__pos"]
    )
    out = out.with_columns(nw.col(c).fill_null(0).cast(nw.Int64) for c in counts)
    out = out.with_columns(
        conversion_rate=ratio("advanced", "entered"),
        median_days_in_stage=nw.col("median_days_in_stage").cast(nw.Float64),
        note=_note(
            (nw.col("entered") == 0, "no deals entered the stage"),
            (nw.col("in_stage") > 0, "some deals still in the stage: the rate may rise"),
        ),
    )
    measures = ["conversion_rate", "median_days_in_stage"]
    if comparisons:
        out = add_comparisons(
            out,
            measures,
            by=["stage"],
            freq=freq,
            fiscal_year_start=fiscal_year_start,
            last_year=False,
        )
    out = add_period_label(out, freq=freq, fiscal_year_start=fiscal_year_start)
    lead = [PERIOD, PERIOD_START, "stage", *counts, *measures, "note"]
    rest = [c for c in column_names(out) if c not in lead and not c.startswith("__")]
    out = sort_rows(out.select(*lead, *rest, "__pos"), [PERIOD_START, "__pos"])
    return close_frame(out.drop("__pos"), like=history)


# --- pipeline-change waterfall -------------------------------------------------------------


def _window_bounds(window, fiscal_year_start: int) -> tuple[_dt.datetime, _dt.datetime] | None:
    """``[start, end)`` of the expected-close window: a period label, Period or day pair."""
    if window is None:
        return None
    if isinstance(window, str):
        window = Period.parse(window, fiscal_year_start=fiscal_year_start)
    if isinstance(window, Period):
        return as_datetime(window.start), as_datetime(window.end)
    try:
        first, last = window
    except (TypeError, ValueError):
        raise ValueError(
            f"window must be a period label such as '2025Q3', a Period or a pair "
            f"(first_day, last_day); got {window!r}"
        ) from None
    lo, hi = as_datetime(pd.Timestamp(first).normalize()), _day_after(last)
    if hi <= lo:
        raise ValueError(f"window ends ({last!r}) before it starts ({first!r})")
    return lo, hi


def _in_pipeline(prefix: str, bounds) -> nw.Expr:
    """Open, and expected to close in the window (when one is given)."""
    cond = nw.col(f"status_{prefix}") == "open"
    if bounds is not None:
        close = nw.col(f"expected_close_{prefix}")
        cond = cond & (close >= nw.lit(bounds[0])) & (close < nw.lit(bounds[1]))
    return _flag(cond)


def _amount(column: str) -> nw.Expr:
    return nw.col(column).cast(nw.Float64).fill_nan(None)


def _waterfall_deals(rows: nw.LazyFrame, start, end, bounds) -> nw.LazyFrame:
    """One row per deal in the pipeline at ``start`` or ``end``, with its step and value."""
    names = {
        "stage": "stage",
        "status": "status",
        "amount": "amount",
        "expected_close_date": "expected_close",
    }

    def side(cutoff, prefix):
        state = _state_at(rows, cutoff)
        cols = [nw.col(k).alias(f"{v}_{prefix}") for k, v in names.items()]
        return state.select(_ID, *cols, nw.lit(1).alias(f"__seen_{prefix}"))

    deals = side(_day_after(end), "end").join(side(_day_after(start), "start"), on=_ID, how="left")
    deals = deals.with_columns(
        __in0=_in_pipeline("start", bounds) * nw.col("__seen_start").fill_null(0),
        __in1=_in_pipeline("end", bounds),
        __v0=_amount("amount_start").fill_null(0.0),
        __v1=_amount("amount_end").fill_null(0.0),
        __na0=_flag(_amount("amount_start").is_null()),
        __na1=_flag(_amount("amount_end").is_null()),
    )
    both = (nw.col("__in0") == 1) & (nw.col("__in1") == 1)
    only0 = (nw.col("__in0") == 1) & (nw.col("__in1") == 0)
    only1 = (nw.col("__in0") == 0) & (nw.col("__in1") == 1)
    step = (
        nw.when(both & (nw.col("__v1") > nw.col("__v0")))
        .then(nw.lit("increased"))
        .when(both & (nw.col("__v1") < nw.col("__v0")))
        .then(nw.lit("decreased"))
        .when(both)
        .then(nw.lit("unchanged"))
        .when(only0 & (nw.col("status_end") == "won"))
        .then(nw.lit("won"))
        .when(only0 & (nw.col("status_end") == "lost"))
        .then(nw.lit("lost"))
        .when(only0)
        .then(nw.lit("pushed_out"))
        .when(only1 & nw.col("__seen_start").is_null())
        .then(nw.lit("new"))
        .when(only1 & nw.col("status_start").is_in(["won", "lost"]))
        .then(nw.lit("reopened"))
        .when(only1)
        .then(nw.lit("pulled_in"))
    )
    value = (
        nw.when(both)
        .then(nw.col("__v1") - nw.col("__v0"))
        .when(only0)
        .then(-nw.col("__v0"))
        .when(only1)
        .then(nw.col("__v1"))
    )
    without = (
        nw.when(both)
        .then(_flag((nw.col("__na0") == 1) | (nw.col("__na1") == 1)))
        .when(only0)
        .then(nw.col("__na0"))
        .otherwise(nw.col("__na1"))
    )
    deals = deals.filter((nw.col("__in0") == 1) | (nw.col("__in1") == 1))
    return deals.with_columns(
        step=step, value=value.cast(nw.Float64), __without=without.cast(nw.Int64)
    )


def _steps_frame(like: nw.LazyFrame, *, names=None) -> nw.LazyFrame:
    names = [s for s, _ in WATERFALL_STEPS] if names is None else names
    return _literal_frame(
        {"step": names, "__order": list(range(len(names)))},
        like=like,
        schema={"step": nw.String(), "__order": nw.Int64()},
    )


def _waterfall_summary(deals: nw.LazyFrame) -> nw.LazyFrame:
    steps = _steps_frame(deals)
    middle = deals.filter(nw.col("step") != "unchanged").with_columns(__one=nw.lit(1))
    parts = middle.group_by("step").agg(
        nw.col("value").sum(),
        nw.col("__one").sum().alias("deals"),
        nw.col("__without").sum().alias("without_amount"),
    )
    totals = []
    for name, flag, v, na in (
        ("start", "__in0", "__v0", "__na0"),
        ("end", "__in1", "__v1", "__na1"),
    ):
        weighted = deals.with_columns(__tv=nw.col(v) * nw.col(flag), __tn=nw.col(na) * nw.col(flag))
        totals.append(
            weighted.select(
                nw.col("__tv").sum().alias("value"),
                nw.col(flag).sum().alias("deals"),
                nw.col("__tn").sum().alias("without_amount"),
            ).with_columns(step=nw.lit(name))
        )
    schema = {"value": nw.Float64, "deals": nw.Int64, "without_amount": nw.Int64}
    pieces = [
        p.select(nw.col("step").cast(nw.String), *[nw.col(c).cast(t) for c, t in schema.items()])
        for p in (totals[0], parts, totals[1])
    ]
    measured = nw.concat(pieces, how="vertical")
    out = steps.join(measured, on="step", how="left").with_columns(
        nw.col("value").fill_null(0.0),
        nw.col("deals").fill_null(0).cast(nw.Int64),
        nw.col("without_amount").fill_null(0).cast(nw.Int64),
    )
    return out.sort("__order").select("step", "value", "deals", "without_amount")


def pipeline_waterfall(
    history, *, start, end, window=None, fiscal_year_start: int = 1, detail: bool = False
):
    """How the open pipeline changed between two days, step by step, adding up exactly.

    The pipeline at a day is the deals open at the end of that day (state from the
    history, see :func:`opportunities_as_of`), and with ``window`` only those whose
    ``expected_close_date`` falls in it (e.g. the quarter being sold). Its value is the
    sum of their ``amount`` (a missing amount counts 0 and is counted in
    ``without_amount``). Every deal in the pipeline at ``start`` or at ``end`` falls in
    exactly one step, tried in this order:

    ====================  =====================================================  ========
    step                  deal                                                   value
    ====================  =====================================================  ========
    ``increased``         in both, amount higher at ``end``                      v1 − v0
    ``decreased``         in both, amount lower                                  v1 − v0
    (unchanged)           in both, same amount: in no step                       0
    ``won`` / ``lost``    in at ``start``, won / lost at ``end``                 − v0
    ``pushed_out``        in at ``start``, open at ``end`` with the expected     − v0
                          close date moved out of the window (or cleared)
    ``new``               in at ``end``, no history row by ``start``             + v1
    ``reopened``          in at ``end``, won or lost at ``start``                + v1
    ``pulled_in``         in at ``end``, open at ``start`` outside the window    + v1
    ====================  =====================================================  ========

    (v0, v1: the deal's amount at ``start`` and ``end``.) Hence

    ``start + Σ value of the steps = end`` and
    ``start deals + new + reopened + pulled_in − pushed_out − won − lost = end deals``

    exactly (in floating point up to the rounding of the sums). A won/lost deal leaves
    with its value at ``start``, whatever it closed at. Without ``window`` nothing is
    pulled in or pushed out. Deals created and closed between the two days, or outside
    the window at both, are in no step (they were never in either pipeline).

    Parameters
    ----------
    history : DataFrame
        ``opportunity_history`` (see :func:`opportunities_as_of`).
    start, end : date
        The two days (each counts whole: a change on ``start`` is in the start
        pipeline, a change on ``end`` in the end pipeline).
    window : str, Period or (first_day, last_day), optional
        Expected close dates that count: a period label such as ``"2025Q3"``
        (``fiscal_year_start`` applies), a :class:`~salesnb.periods.Period`, or a
        pair of days (both included).
    fiscal_year_start : int, default 1
    detail : bool, default False
        Return the deals instead of the steps.

    Returns
    -------
    DataFrame
        ``step, value, deals, without_amount``: the ten rows of
        :data:`WATERFALL_STEPS` in order, ``start`` and ``end`` being the totals (a
        step without deals has 0). With ``detail=True``: ``opportunity_id, step,
        value, amount_start, amount_end, status_start, status_end, stage_start,
        stage_end, expected_close_start, expected_close_end``, one row per deal in
        either pipeline (``unchanged`` ones too), sorted by step then id.

    Raises
    ------
    MissingColumnsError
        A required column of ``history`` is missing.
    ValueError
        ``end`` before ``start``, or a ``window`` that is not a period or day pair.

    Examples
    --------
    >>> import pandas as pd
    >>> history = pd.DataFrame({
    ...     "opportunity_id": ["O1", "O2", "O2", "O3", "O1"],
    ...     "changed_at": pd.to_datetime(["2025-06-01", "2025-06-02", "2025-07-15",
    ...                                   "2025-08-01", "2025-08-20"]),
    ...     "stage": ["proposal"] * 5,
    ...     "status": ["open", "open", "won", "open", "open"],
    ...     "amount": [100.0, 200.0, 200.0, 50.0, 150.0],
    ...     "expected_close_date": pd.to_datetime(["2025-09-30"] * 5),
    ... })
    >>> out = pipeline_waterfall(history, start="2025-06-30", end="2025-09-01")
    >>> print(out.to_string())
             step  value  deals  without_amount
    0       start  300.0      2               0
    1         new   50.0      1               0
    2    reopened    0.0      0               0
    3   pulled_in    0.0      0               0
    4   increased   50.0      1               0
    5   decreased    0.0      0               0
    6  pushed_out    0.0      0               0
    7         won -200.0      1               0
    8        lost    0.0      0               0
    9         end  200.0      2               0
    """
    if pd.Timestamp(end).normalize() < pd.Timestamp(start).normalize():
        raise ValueError(f"end ({end!r}) is before start ({start!r})")
    bounds = _window_bounds(window, fiscal_year_start)
    rows = _history(history)
    if bounds is not None:
        schema = rows.collect_schema()
        if schema["expected_close_date"] == nw.Date:
            rows = rows.with_columns(nw.col("expected_close_date").cast(nw.Datetime("us")))
    deals = _waterfall_deals(rows, start, end, bounds)
    if not detail:
        return close_frame(_waterfall_summary(deals), like=history)
    order = [s for s, _ in WATERFALL_STEPS[1:-1]]
    order.insert(order.index("pushed_out"), "unchanged")
    out = deals.join(_steps_frame(deals, names=order), on="step", how="left")
    out = out.sort(["__order", _ID]).select(
        _ID,
        "step",
        "value",
        *[f"{c}_{p}" for c in ("amount", "status", "stage") for p in ("start", "end")],
        "expected_close_start",
        "expected_close_end",
    )
    return close_frame(out, like=history)
