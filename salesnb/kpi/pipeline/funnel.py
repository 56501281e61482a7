"""Stage funnel: how many opportunities reached each stage, and stage-to-stage conversion.

The steps are the stages of :data:`salesnb.schema.STAGES` in order, then ``"won"``.
"""

from __future__ import annotations

import narwhals as nw

from salesnb.kpi._frame import as_list, close_frame, ratio
from salesnb.kpi._tables import (
    _aggregate,
    _check_by_not_reserved,
    _day,
    _day_after,
    _flag,
    _note,
    _open,
)
from salesnb.schema import STAGES

__all__ = ["stage_funnel"]


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
