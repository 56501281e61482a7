"""Pipeline and conversion KPIs: leads, funnel, win rate, deal size, cycle, velocity.

Every function takes a table of the data contract (:mod:`salesnb.schema`) as a
pandas or polars DataFrame (a polars LazyFrame or a DuckDB relation works
too), its options after ``*``, and returns a new frame of the same kind: one
row per period and group, named columns, sorted. Inputs are never modified. Period logic comes from
:mod:`salesnb.periods`: ``freq`` is ``"week"``, ``"month"``, ``"quarter"``,
``"half"`` or ``"year"`` (``None`` where documented: one overall row per group),
``fiscal_year_start`` is the month the fiscal year begins.

Conventions shared by the period KPIs of this module
----------------------------------------------------
- The date column named in each docstring decides the period; rows whose
  deciding date is missing are left out of period results (they count with
  ``freq=None``).
- The table is *complete*: every period from the first to the last one with
  data, for every group seen in the data, has a row. Counts of an empty cell
  are 0 and its rates are missing (NaN in pandas, null in polars) with the
  reason in the ``note`` column, never 0.
- ``by=`` takes a column or a list of columns of the input table; a column the
  table lacks is joined from ``reps=`` (key ``rep_id``) or ``customers=``
  (key ``customer_id``) when those are passed.
- Comparisons of the headline measure ``m``: ``m_prev``, ``m_change``,
  ``m_change_pct`` (previous period) and ``m_ly``, ``m_yoy``, ``m_yoy_pct``
  (same period last year), see :func:`salesnb.kpi._frame.add_comparisons`.
- ``as_of`` is a day: it counts *whole*, i.e. everything up to the end of that
  day has happened (``timestamp < as_of + 1 day``).

Examples
--------
On the bundled sample company (referral is the source planted to convert best):

>>> import salesnb
>>> from salesnb import kpi
>>> data = salesnb.load(salesnb.SAMPLE_DATA)
>>> w = kpi.win_rate(data.opportunities, comparisons=False)
>>> print(w.loc[w["period"] == "2026Q3", ["won", "lost", "win_rate"]].round(3)
...       .to_string(index=False))
 won  lost  win_rate
  75   164     0.314
>>> r = kpi.lead_conversion_rate(data.leads, freq=None, by="source")
>>> print(r.sort_values("conversion_rate", ascending=False)[["source", "leads",
...       "conversion_rate"]].head(2).round(3).to_string(index=False))
  source  leads  conversion_rate
referral    963            0.567
 partner    891            0.260
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

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
    open_frame,
    ratio,
)
from salesnb.kpi._tables import (
    _aggregate,
    _check_by_not_reserved,
    _compare,
    _day,
    _day_after,
    _finish,
    _flag,
    _freq_or_none,
    _join,
    _note,
    _offset,
    _open,
    _open_at,
    _percentile_name,
    _period_table,
    _status_open_at,
)
from salesnb.periods import Period, normalize_freq
from salesnb.schema import STAGES

__all__ = [
    "DEFAULT_STALE_THRESHOLDS",
    "new_leads",
    "lead_conversion_rate",
    "stage_funnel",
    "win_rate",
    "average_deal_size",
    "sales_cycle_days",
    "cycle_vs_team",
    "sales_velocity",
    "pipeline_coverage",
    "stale_deals",
    "slipped_deals",
]

logger = logging.getLogger(__name__)

#: Days without activity or stage change after which an open deal is stale.
DEFAULT_STALE_THRESHOLDS: dict[str, int] = {
    "qualification": 14,
    "discovery": 21,
    "proposal": 30,
    "negotiation": 30,
}


# -- leads ------------------------------------------------------------------------------------
def new_leads(
    leads,
    *,
    freq: str = "month",
    by=None,
    fiscal_year_start: int = 1,
    reps=None,
    comparisons: bool = True,
):
    """Number of new leads per period and group.

    Formula: ``leads = count of leads whose created_at falls in the period``
    (one row of ``leads`` is one lead). ``created_at`` decides the period;
    leads without ``created_at`` are not counted.

    Parameters
    ----------
    leads : DataFrame
        The ``leads`` table; needs ``created_at`` and the ``by`` columns.
    freq : str, default "month"
        Period length (see :mod:`salesnb.periods`).
    by : str or list of str, optional
        Group columns, e.g. ``"source"``, ``["region", "rep_id"]``; ``"team"``
        etc. are joined from ``reps``.
    fiscal_year_start : int, default 1
    reps : DataFrame, optional
        Reps table (key ``rep_id``) for ``by`` columns such as ``team``.
    comparisons : bool, default True
        Add ``leads_prev/_change/_change_pct`` and ``leads_ly/_yoy/_yoy_pct``.

    Returns
    -------
    DataFrame
        ``period, period_start, *by, leads`` (+ comparisons), one row per
        period and group from the first to the last period with leads; a group
        without leads in a period has ``leads = 0``.

    Raises
    ------
    MissingColumnsError
        When ``created_at`` or a ``by`` column is absent.

    Examples
    --------
    >>> import pandas as pd
    >>> leads = pd.DataFrame({
    ...     "lead_id": ["L1", "L2", "L3", "L4"],
    ...     "created_at": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-03-02",
    ...                                   "2025-03-09"]),
    ...     "source": ["web", "event", "web", "web"],
    ... })
    >>> out = new_leads(leads, freq="month", by="source")
    >>> print(out[["period", "source", "leads", "leads_prev", "leads_change"]].to_string())
        period source  leads  leads_prev  leads_change
    0  2025-01  event      1         NaN           NaN
    1  2025-01    web      1         NaN           NaN
    2  2025-02  event      0         1.0          -1.0
    3  2025-02    web      0         1.0          -1.0
    4  2025-03  event      0         0.0           0.0
    5  2025-03    web      2         0.0           2.0
    """
    freq = normalize_freq(freq)
    by = as_list(by)
    frame = _open(leads, table="leads", required=["created_at"], by=by, reps=reps)
    out = _period_table(
        frame.with_columns(__one=nw.lit(1)),
        "created_at",
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        by=by,
        aggs=[nw.col("__one").sum().alias("leads")],
        counts=["leads"],
    )
    out = _compare(
        out,
        ["leads"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=leads)


def lead_conversion_rate(
    leads,
    *,
    freq: str | None = "quarter",
    by=None,
    within_days: float | None = None,
    as_of=None,
    fiscal_year_start: int = 1,
    reps=None,
    comparisons: bool = True,
):
    """Cohort lead-to-customer conversion rate.

    Cohort definition: the leads **created** in the period (``created_at``
    decides the period, also for the conversions). A lead is converted when
    ``converted_at`` is set; a table without ``converted_at`` (e.g. the X
    Education export, which has no dates) uses the ``converted`` flag, and then
    only ``freq=None`` (overall) is possible if ``created_at`` is absent too.

    Formula: ``conversion_rate = converted / leads`` where ``leads`` counts the
    leads of the cohort and ``converted`` those converted (within
    ``within_days`` × 24 h of ``created_at`` when given; needs
    ``converted_at``).

    Edge cases: a period/group without leads has ``leads = 0``,
    ``conversion_rate`` missing and ``note = "no leads"``. With ``as_of``,
    leads created after ``as_of`` are left out, conversions after ``as_of``
    do not count, and a cohort that can still gain conversions inside its
    window (the period or the period + ``within_days`` extends past ``as_of``)
    is flagged ``note = "cohort still maturing at as_of"``.

    Parameters
    ----------
    leads : DataFrame
        ``leads`` table: ``converted_at`` or ``converted``; ``created_at`` unless
        ``freq=None``.
    freq : str or None, default "quarter"
        Period length; ``None`` gives one overall row per group.
    by : str or list of str, optional
        Group columns (``source``, ``region``, ``rep_id``, ``team`` via ``reps``).
    within_days : float, optional
        Count only conversions at most this many days after creation.
    as_of : date, optional
        Point-in-time view (see above).
    fiscal_year_start : int, default 1
    reps : DataFrame, optional
        Reps table for ``by`` columns such as ``team``.
    comparisons : bool, default True
        Add comparisons of ``conversion_rate`` (previous period, last year).

    Returns
    -------
    DataFrame
        ``[period, period_start,] *by, leads, converted, conversion_rate,
        note`` (+ comparisons).

    Raises
    ------
    MissingColumnsError
        When neither ``converted_at`` nor ``converted`` is present, or
        ``created_at`` is absent while ``freq``, ``within_days`` or ``as_of``
        needs it.
    ValueError
        When ``within_days`` is given but the table has no ``converted_at``.

    Examples
    --------
    >>> import pandas as pd
    >>> leads = pd.DataFrame({
    ...     "lead_id": ["L1", "L2", "L3", "L4", "L5"],
    ...     "created_at": pd.to_datetime(["2025-01-10", "2025-02-01", "2025-03-15",
    ...                                   "2025-07-01", "2025-07-02"]),
    ...     "converted_at": pd.to_datetime(["2025-01-20", None, "2025-05-01",
    ...                                     "2025-07-05", None]),
    ... })
    >>> out = lead_conversion_rate(leads, freq="quarter", comparisons=False)
    >>> print(out.to_string())
       period period_start  leads  converted  conversion_rate     note
    0  2025Q1   2025-01-01      3          2         0.666667      NaN
    1  2025Q2   2025-04-01      0          0              NaN no leads
    2  2025Q3   2025-07-01      2          1         0.500000      NaN
    >>> lead_conversion_rate(leads, freq=None, within_days=30)[["leads", "converted"]]
       leads  converted
    0      5          2
    """
    freq = _freq_or_none(freq)
    by = as_list(by)
    _check_by_not_reserved(by, ["leads", "converted", "conversion_rate", "note"])
    frame = _open(leads, table="leads", by=by, reps=reps)
    names = column_names(frame)
    needs_created = freq is not None or within_days is not None or as_of is not None
    if needs_created and "created_at" not in names:
        why = "freq" if freq is not None else "within_days" if within_days is not None else "as_of"
        raise MissingColumnsError(
            f"leads is missing column 'created_at', needed for {why}= (the period is decided by "
            f"the creation date); use freq=None, within_days=None, as_of=None for the overall "
            f"rate; the table has: {', '.join(names)}"
        )
    if "converted_at" in names:
        converted = ~nw.col("converted_at").is_null()
        if within_days is not None:
            converted = converted & (days_between("converted_at", "created_at") <= within_days)
        if as_of is not None:
            converted = converted & (nw.col("converted_at") < nw.lit(_day_after(as_of)))
    elif "converted" in names:
        if within_days is not None:
            raise ValueError(
                "within_days needs the conversion date: leads has a 'converted' flag but no "
                "'converted_at' column"
            )
        converted = nw.col("converted").cast(nw.Boolean)
    else:
        raise MissingColumnsError(
            "leads needs 'converted_at' (conversion date) or 'converted' (flag) to tell "
            f"converted leads; it has: {', '.join(names)}"
        )
    if as_of is not None:
        frame = frame.filter(nw.col("created_at") < nw.lit(_day_after(as_of)))
    frame = frame.with_columns(__one=nw.lit(1), __conv=_flag(converted))
    out = _period_table(
        frame,
        "created_at",
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        by=by,
        aggs=[nw.col("__one").sum().alias("leads"), nw.col("__conv").sum().alias("converted")],
        counts=["leads", "converted"],
    )
    out = out.with_columns(conversion_rate=ratio("converted", "leads"))
    cases = [(nw.col("leads") == 0, "no leads")]
    if as_of is not None and freq is not None:
        window_end = _offset(nw.col(PERIOD_START), freq, 1)
        if within_days is not None:
            window_end = window_end + pd.Timedelta(days=within_days).to_pytimedelta()
        cases.append((window_end > nw.lit(_day_after(as_of)), "cohort still maturing at as_of"))
    out = out.with_columns(_note(*cases))
    out = _compare(
        out,
        ["conversion_rate"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=leads)


# -- funnel -----------------------------------------------------------------------------------
def _stage_index() -> nw.Expr:
    """0-based index of the furthest stage reached; won deals reach every step (len(STAGES)).

    Float literals: a chain of integer ``when`` branches makes pandas warn
    about silent downcasting.
    """
    expr = nw.when(nw.col("status") == "won").then(nw.lit(float(len(STAGES))))
    for i, stage in enumerate(STAGES):
        expr = expr.when(nw.col("stage") == stage).then(nw.lit(float(i)))
    return expr


def stage_funnel(
    opportunities, *, by=None, created_from=None, created_to=None, reps=None, customers=None
):
    """How many opportunities reached each stage, and stage-to-stage conversion.

    Steps are the stages of :data:`salesnb.schema.STAGES` in order followed by
    ``"won"``. ``opportunities.stage`` is the furthest stage a deal reached, so
    a deal reached step *k* when its stage index is ≥ *k*; a won deal reached
    every step (also when its recorded stage is earlier). Open deals count for
    the steps they reached so far.

    Formulas, per group: ``reached_k`` = number of deals that reached step *k*;
    ``step_conversion = reached_k / reached_{k-1}`` (missing for the first
    step); ``overall_conversion = reached_k / reached_first``. A zero
    denominator gives a missing rate with a ``note``.

    Parameters
    ----------
    opportunities : DataFrame
        Needs ``stage``, ``status`` (and ``created_at`` for the date filter).
    by : str or list of str, optional
        Group columns (``rep_id``, ``product``, ``team`` via ``reps``,
        ``segment`` via ``customers``...).
    created_from, created_to : date, optional
        Keep deals created on or after ``created_from`` and on or before the
        day ``created_to`` (both days inclusive).
    reps, customers : DataFrame, optional
        Lookup tables for ``by`` columns.

    Returns
    -------
    DataFrame
        ``*by, step, step_index (1-based), reached, step_conversion,
        overall_conversion, note`` sorted by group and step.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({
    ...     "opportunity_id": ["O1", "O2", "O3", "O4"],
    ...     "created_at": pd.to_datetime(["2025-01-01"] * 4),
    ...     "stage": ["qualification", "proposal", "negotiation", "negotiation"],
    ...     "status": ["lost", "open", "lost", "won"],
    ... })
    >>> print(stage_funnel(opps).to_string())
                step  step_index  reached  step_conversion  overall_conversion note
    0  qualification           1        4              NaN                1.00  NaN
    1      discovery           2        3         0.750000                0.75  NaN
    2       proposal           3        3         1.000000                0.75  NaN
    3    negotiation           4        2         0.666667                0.50  NaN
    4            won           5        1         0.500000                0.25  NaN
    """
    by = as_list(by)
    steps = [*STAGES, "won"]
    _check_by_not_reserved(by, ["step", "step_index", "reached"])
    required = ["stage", "status"]
    if created_from is not None or created_to is not None:
        required.append("created_at")
    frame = _open(
        opportunities,
        table="opportunities",
        required=required,
        by=by,
        reps=reps,
        customers=customers,
    )
    if created_from is not None:
        frame = frame.filter(nw.col("created_at") >= nw.lit(_day(created_from)))
    if created_to is not None:
        frame = frame.filter(nw.col("created_at") < nw.lit(_day_after(created_to)))
    frame = frame.with_columns(__idx=_stage_index())
    frame = frame.with_columns(
        **{f"__r{k}": _flag(nw.col("__idx") >= k) for k in range(len(steps))}
    )
    wide = _aggregate(frame, by, *[nw.col(f"__r{k}").sum() for k in range(len(steps))])
    parts = []
    for k, step in enumerate(steps):
        prev = nw.col(f"__r{k - 1}") if k else nw.lit(None, dtype=nw.Float64)
        parts.append(
            wide.select(
                *by,
                step=nw.lit(step),
                step_index=nw.lit(k + 1).cast(nw.Int64),
                reached=nw.col(f"__r{k}").cast(nw.Int64),
                __prev=prev.cast(nw.Float64),
                __first=nw.col("__r0").cast(nw.Float64),
            )
        )
    out = nw.concat(parts, how="vertical")
    out = out.with_columns(
        step_conversion=ratio("reached", "__prev"),
        overall_conversion=ratio("reached", "__first"),
    )
    out = out.with_columns(
        _note(
            ((nw.col("__first") == 0), "no opportunities"),
            ((nw.col("__prev") == 0), "no deals reached the previous step"),
        )
    ).drop("__prev", "__first")
    out = out.sort([*by, "step_index"], nulls_last=True)
    return close_frame(out, like=opportunities)


# -- closed deals -----------------------------------------------------------------------------
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
    ).with_columns(__cycle=days_between("closed_at", "created_at"), __one=nw.lit(1))


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
      by then and either still ``open`` or closed after ``as_of``);
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
        ``*by, open_deals, open_amount, won, lost, win_rate,
        average_deal_size, average_cycle_days, velocity_per_day, note``.

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
    frame = frame.with_columns(
        __open_amount=nw.col("amount").cast(nw.Float64) * nw.col("__open"),
        __won_amount=nw.col("amount").cast(nw.Float64) * nw.col("__won"),
        __won_cycle=nw.when(nw.col("__won") == 1)
        .then(days_between("closed_at", "created_at"))
        .otherwise(nw.lit(0.0)),
    )
    out = _aggregate(
        frame,
        by,
        nw.col("__open").sum().alias("open_deals"),
        nw.col("__open_amount").sum().alias("open_amount"),
        nw.col("__won").sum().alias("won"),
        nw.col("__lost").sum().alias("lost"),
        nw.col("__won_amount").sum().alias("__won_amount"),
        nw.col("__won_cycle").sum().alias("__cycle_sum"),
    ).with_columns(nw.col(c).fill_null(0).cast(nw.Int64) for c in ("open_deals", "won", "lost"))
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


# -- pipeline coverage ------------------------------------------------------------------------
_LEVEL_KEY = {"company": None, "region": "region", "rep": "rep_id"}


def pipeline_coverage(
    opportunities,
    targets,
    orders=None,
    *,
    period: str = "2025Q3",
    as_of,
    level: str = "company",
    fiscal_year_start: int = 1,
    reps=None,
    customers=None,
    include_cancelled: bool = False,
):
    """Pipeline coverage of the remaining target of a period.

    Formula::

        coverage = pipeline_amount / remaining_target
        remaining_target = target - booked

    - ``pipeline_amount``: sum of ``amount`` of the opportunities open at the
      end of day ``as_of`` (see :func:`sales_velocity`) whose
      ``expected_close_date`` falls in ``period``;
    - ``target``: ``targets.revenue_target`` of ``period`` at ``level``
      (key ``"all"``, a region, or a ``rep_id``);
    - ``booked``: revenue of the orders (not cancelled) dated from the start of
      ``period`` up to and including ``as_of`` (the order's ``order_date``
      decides; its ``region``/``rep_id`` decide the key).

    Edge cases: ``remaining_target <= 0`` (target met) → coverage missing,
    ``note = "target already met"``; no target for the key → missing,
    ``note = "no target"``; ``orders=None`` → ``booked`` missing and the full
    target is taken as remaining (``note`` says so).

    Parameters
    ----------
    opportunities : DataFrame
        Needs ``status``, ``amount``, ``created_at``, ``expected_close_date``.
    targets : DataFrame
        ``targets`` table (``period``, ``level``, ``key``, ``revenue_target``).
    orders : DataFrame, optional
        For the revenue already booked.
    period : str, default "2025Q3"
        Period label (quarter, month, half or year).
    as_of : date
    level : {"company", "region", "rep"}
        Region of a deal: ``opportunities.region`` if present, else the
        customer's (``customers=``) or the rep's (``reps=``) region.
    fiscal_year_start : int, default 1
    reps, customers : DataFrame, optional
    include_cancelled : bool, default False
        Count cancelled orders as booked revenue.

    Returns
    -------
    DataFrame
        ``period, level, key, target, booked, remaining_target,
        pipeline_deals, pipeline_amount, coverage, note``, one row per key
        with a target or a pipeline, sorted by key.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({
    ...     "status": ["open", "open", "won"],
    ...     "amount": [300.0, 100.0, 50.0],
    ...     "created_at": pd.to_datetime(["2025-06-01", "2025-07-01", "2025-07-01"]),
    ...     "closed_at": pd.to_datetime([None, None, "2025-07-15"]),
    ...     "expected_close_date": pd.to_datetime(["2025-09-01", "2025-10-15", None]),
    ... })
    >>> targets = pd.DataFrame({"period": ["2025Q3"], "level": ["company"], "key": ["all"],
    ...                         "revenue_target": [1000.0]})
    >>> orders = pd.DataFrame({"order_id": ["A", "B"], "customer_id": ["C1", "C2"],
    ...                        "order_date": pd.to_datetime(["2025-07-10", "2025-08-20"]),
    ...                        "amount": [400.0, 450.0]})
    >>> out = pipeline_coverage(opps, targets, orders, period="2025Q3", as_of="2025-08-15")
    >>> print(out[["key", "target", "booked", "remaining_target", "pipeline_amount",
    ...            "coverage"]].to_string())
       key  target  booked  remaining_target  pipeline_amount  coverage
    0  all  1000.0   400.0             600.0            300.0       0.5
    """
    if level not in _LEVEL_KEY:
        raise ValueError(f"level must be one of {', '.join(_LEVEL_KEY)}, got {level!r}")
    per = Period.parse(period, fiscal_year_start=fiscal_year_start)
    key_col = _LEVEL_KEY[level]
    start, end = as_datetime(per.start), as_datetime(per.end)
    booked_end = min(end, _day_after(as_of))
    by = [key_col] if key_col else []
    opp = _open(
        opportunities,
        table="opportunities",
        required=["status", "amount", "created_at", "expected_close_date"],
        by=by,
        reps=reps,
        customers=customers,
    )
    names = column_names(opp)
    opp = opp.filter(
        _status_open_at(names, as_of)
        & (nw.col("expected_close_date") >= nw.lit(start))
        & (nw.col("expected_close_date") < nw.lit(end))
    ).with_columns(
        key=nw.col(key_col).cast(nw.String) if key_col else nw.lit("all"),
        __one=nw.lit(1),
        __amount=nw.col("amount").cast(nw.Float64),
    )
    pipe = opp.group_by("key").agg(
        nw.col("__one").sum().alias("pipeline_deals"),
        nw.col("__amount").sum().alias("pipeline_amount"),
    )
    tgt = _open(
        targets, table="targets", required=["period", "level", "key", "revenue_target"], like=opp
    )
    tgt = tgt.filter((nw.col("period") == per.label) & (nw.col("level") == level)).select(
        nw.col("key").cast(nw.String), nw.col("revenue_target").cast(nw.Float64).alias("target")
    )
    tgt = tgt.group_by("key").agg(nw.col("target").sum())
    keys = nw.concat([pipe.select("key"), tgt.select("key")], how="vertical").unique()
    out = _join(keys, tgt, by=["key"]).pipe(lambda f: _join(f, pipe, by=["key"]))
    if orders is not None:
        order_frame = _open(
            orders,
            table="orders",
            required=["order_date", "amount"],
            by=by,
            reps=reps,
            customers=customers,
            like=opp,
        )
        order_frame = drop_cancelled(order_frame, include_cancelled=include_cancelled)
        booked = order_frame.filter(
            (nw.col("order_date") >= nw.lit(start)) & (nw.col("order_date") < nw.lit(booked_end))
        ).with_columns(
            key=nw.col(key_col).cast(nw.String) if key_col else nw.lit("all"),
            __amount=nw.col("amount").cast(nw.Float64),
        )
        booked = booked.group_by("key").agg(nw.col("__amount").sum().alias("booked"))
        out = _join(out, booked, by=["key"]).with_columns(nw.col("booked").fill_null(0.0))
        remaining = nw.col("target") - nw.col("booked")
    else:
        out = out.with_columns(booked=nw.lit(None, dtype=nw.Float64))
        remaining = nw.col("target")
    out = out.with_columns(
        nw.col("pipeline_deals").fill_null(0).cast(nw.Int64),
        nw.col("pipeline_amount").fill_null(0.0),
        remaining_target=remaining,
    )
    cases = [
        (nw.col("target").is_null(), "no target"),
        (nw.col("remaining_target") <= 0, "target already met"),
    ]
    if orders is None:
        cases.append((nw.lit(True), "orders not given: remaining target = full target"))
    out = out.with_columns(
        coverage=nw.when(nw.col("remaining_target") > 0).then(
            nw.col("pipeline_amount") / nw.col("remaining_target")
        ),
        note=_note(*cases),
        period=nw.lit(per.label),
        level=nw.lit(level),
    )
    out = out.select(
        "period",
        "level",
        "key",
        "target",
        "booked",
        "remaining_target",
        "pipeline_deals",
        "pipeline_amount",
        "coverage",
        "note",
    )
    return close_frame(out.sort("key", nulls_last=True), like=opportunities)


# -- stale and slipped deals ------------------------------------------------------------------
def _thresholds(thresholds: Mapping[str, float] | None) -> dict[str, float]:
    merged = {k: float(v) for k, v in DEFAULT_STALE_THRESHOLDS.items()}
    if thresholds:
        unknown = [s for s in thresholds if s not in STAGES]
        if unknown:
            raise ValueError(
                f"thresholds name unknown stage(s) {unknown}; stages are {', '.join(STAGES)}"
            )
        merged.update({k: float(v) for k, v in thresholds.items()})
    return merged


def _deal_columns(names: Sequence[str], extra: Sequence[str]) -> list[str]:
    base = [c for c in ("opportunity_id", "rep_id", "customer_id", "product") if c in names]
    return [*base, *[c for c in extra if c not in base]]


def stale_deals(
    opportunities,
    *,
    as_of,
    thresholds: Mapping[str, float] | None = None,
    by=None,
    reps=None,
    customers=None,
):
    """Open deals without activity or stage change for longer than their stage allows.

    ``last_touch_at = max(last_activity_at, stage_changed_at, created_at)``
    (whichever are present and set); ``days_idle`` = calendar days from the
    day of ``last_touch_at`` to ``as_of``. A deal is stale when its status is
    ``open`` and ``days_idle > threshold[stage]``. Default thresholds
    (:data:`DEFAULT_STALE_THRESHOLDS`): qualification 14, discovery 21,
    proposal 30, negotiation 30 days; ``thresholds`` overrides some of them.
    Uses the current state of the table (deals created after ``as_of`` are
    ignored). The amount at risk is the deal's ``amount``.

    Parameters
    ----------
    opportunities : DataFrame
        Needs ``status``, ``stage``, ``amount``, ``created_at``.
    as_of : date
    thresholds : dict stage -> days, optional
    by : str or list of str, optional
        Without ``by``: one row per stale deal, longest idle first. With
        ``by`` (e.g. ``"rep_id"``, ``"stage"``): a summary per group with
        ``open_deals, stale_deals, stale_share, amount_at_risk, max_days_idle``.
    reps, customers : DataFrame, optional

    Returns
    -------
    DataFrame
        Per deal: ``opportunity_id, [rep_id, customer_id, product,] stage,
        amount, last_touch_at, days_idle, threshold_days``.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({
    ...     "opportunity_id": ["O1", "O2", "O3"],
    ...     "rep_id": ["R1", "R1", "R2"],
    ...     "stage": ["qualification", "proposal", "qualification"],
    ...     "status": ["open", "open", "open"],
    ...     "amount": [100.0, 200.0, 300.0],
    ...     "created_at": pd.to_datetime(["2025-05-01", "2025-05-01", "2025-06-20"]),
    ...     "last_activity_at": pd.to_datetime(["2025-06-01", "2025-06-10", None]),
    ... })
    >>> print(stale_deals(opps, as_of="2025-06-30").to_string())
      opportunity_id rep_id          stage  amount last_touch_at  days_idle  threshold_days
    0             O1     R1  qualification   100.0    2025-06-01         29            14.0
    >>> print(stale_deals(opps, as_of="2025-06-30", by="rep_id").to_string())
      rep_id  open_deals  stale_deals  stale_share  amount_at_risk  max_days_idle
    0     R1           2            1          0.5           100.0           29.0
    1     R2           1            0          0.0             0.0            NaN
    """
    by = as_list(by)
    limits = _thresholds(thresholds)
    frame = _open(
        opportunities,
        table="opportunities",
        required=["status", "stage", "amount", "created_at"],
        by=by,
        reps=reps,
        customers=customers,
    )
    names = column_names(frame)
    touch_cols = [c for c in ("last_activity_at", "stage_changed_at", "created_at") if c in names]
    day = _day(as_of)
    limit = nw.when(nw.col("stage") == STAGES[0]).then(nw.lit(limits[STAGES[0]]))
    for stage in STAGES[1:]:
        limit = limit.when(nw.col("stage") == stage).then(nw.lit(limits[stage]))
    frame = frame.filter(
        (nw.col("status") == "open") & (nw.col("created_at") < nw.lit(_day_after(as_of)))
    ).with_columns(
        last_touch_at=nw.max_horizontal(*touch_cols), threshold_days=limit.cast(nw.Float64)
    )
    frame = frame.with_columns(
        days_idle=days_between(nw.lit(day), nw.col("last_touch_at").dt.truncate("1d"))
        .round(0)
        .cast(nw.Int64)
    )
    frame = frame.with_columns(__stale=_flag(nw.col("days_idle") > nw.col("threshold_days")))
    if by:
        frame = frame.with_columns(
            __one=nw.lit(1),
            __risk=nw.col("amount").cast(nw.Float64) * nw.col("__stale"),
            __idle=nw.when(nw.col("__stale") == 1).then(nw.col("days_idle").cast(nw.Float64)),
        )
        out = (
            frame.group_by(by)
            .agg(
                nw.col("__one").sum().alias("open_deals"),
                nw.col("__stale").sum().alias("stale_deals"),
                nw.col("__risk").sum().alias("amount_at_risk"),
                nw.col("__idle").max().alias("max_days_idle"),
            )
            .with_columns(nw.col("open_deals").cast(nw.Int64), nw.col("stale_deals").cast(nw.Int64))
        )
        out = out.with_columns(stale_share=ratio("stale_deals", "open_deals")).select(
            *by, "open_deals", "stale_deals", "stale_share", "amount_at_risk", "max_days_idle"
        )
        return close_frame(out.sort(by, nulls_last=True), like=opportunities)
    cols = _deal_columns(names, ["stage", "amount", "last_touch_at", "days_idle", "threshold_days"])
    out = frame.filter(nw.col("__stale") == 1).select(cols)
    sort_keys = ["days_idle"] + (["opportunity_id"] if "opportunity_id" in cols else [])
    out = out.sort(sort_keys, descending=[True] + [False] * (len(sort_keys) - 1))
    return close_frame(out, like=opportunities)


def slipped_deals(opportunities, *, as_of, by=None, reps=None, customers=None):
    """Open deals whose expected close date has passed.

    A deal slipped when its status is ``open`` and ``expected_close_date`` is
    before the day ``as_of`` (a deal expected to close on ``as_of`` itself has
    not slipped yet); ``days_slipped`` = calendar days from
    ``expected_close_date`` to ``as_of``. Current state of the table; deals
    created after ``as_of`` are ignored.

    Parameters
    ----------
    opportunities : DataFrame
        Needs ``status``, ``amount``, ``created_at``, ``expected_close_date``.
    as_of : date
    by : str or list of str, optional
        Without ``by``: one row per slipped deal, most slipped first. With
        ``by``: a summary per group: ``open_deals, slipped_deals,
        slipped_share, slipped_amount, mean_days_slipped, max_days_slipped``.
    reps, customers : DataFrame, optional

    Returns
    -------
    DataFrame
        Per deal: ``opportunity_id, [rep_id, customer_id, product,] stage,
        amount, expected_close_date, days_slipped``.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({
    ...     "opportunity_id": ["O1", "O2", "O3"],
    ...     "stage": ["proposal", "negotiation", "discovery"],
    ...     "status": ["open", "open", "won"],
    ...     "amount": [100.0, 200.0, 300.0],
    ...     "created_at": pd.to_datetime(["2025-05-01"] * 3),
    ...     "expected_close_date": pd.to_datetime(["2025-06-20", "2025-06-30", "2025-06-01"]),
    ... })
    >>> print(slipped_deals(opps, as_of="2025-06-30").to_string())
      opportunity_id     stage  amount expected_close_date  days_slipped
    0             O1  proposal   100.0          2025-06-20            10
    """
    by = as_list(by)
    frame = _open(
        opportunities,
        table="opportunities",
        required=["status", "amount", "created_at", "expected_close_date"],
        by=by,
        reps=reps,
        customers=customers,
    )
    names = column_names(frame)
    day = _day(as_of)
    frame = frame.filter(
        (nw.col("status") == "open") & (nw.col("created_at") < nw.lit(_day_after(as_of)))
    ).with_columns(
        days_slipped=days_between(nw.lit(day), nw.col("expected_close_date").dt.truncate("1d"))
        .round(0)
        .cast(nw.Int64)
    )
    slipped = ~nw.col("expected_close_date").is_null() & (nw.col("days_slipped") > 0)
    frame = frame.with_columns(__slipped=_flag(slipped))
    if by:
        frame = frame.with_columns(
            __one=nw.lit(1),
            __amt=nw.col("amount").cast(nw.Float64) * nw.col("__slipped"),
            __days=(nw.col("days_slipped") * nw.col("__slipped")).cast(nw.Float64),
            __days_max=nw.when(nw.col("__slipped") == 1).then(
                nw.col("days_slipped").cast(nw.Float64)
            ),
        )
        out = (
            frame.group_by(by)
            .agg(
                nw.col("__one").sum().alias("open_deals"),
                nw.col("__slipped").sum().alias("slipped_deals"),
                nw.col("__amt").sum().alias("slipped_amount"),
                nw.col("__days").sum().alias("__days_sum"),
                nw.col("__days_max").max().alias("max_days_slipped"),
            )
            .with_columns(
                nw.col("open_deals").cast(nw.Int64), nw.col("slipped_deals").cast(nw.Int64)
            )
        )
        out = out.with_columns(
            slipped_share=ratio("slipped_deals", "open_deals"),
            mean_days_slipped=ratio("__days_sum", "slipped_deals"),
        ).select(
            *by,
            "open_deals",
            "slipped_deals",
            "slipped_share",
            "slipped_amount",
            "mean_days_slipped",
            "max_days_slipped",
        )
        return close_frame(out.sort(by, nulls_last=True), like=opportunities)
    extra = ["stage"] if "stage" in names else []
    cols = _deal_columns(names, [*extra, "amount", "expected_close_date", "days_slipped"])
    out = frame.filter(nw.col("__slipped") == 1).select(cols)
    sort_keys = ["days_slipped"] + (["opportunity_id"] if "opportunity_id" in cols else [])
    out = out.sort(sort_keys, descending=[True] + [False] * (len(sort_keys) - 1))
    return close_frame(out, like=opportunities)
