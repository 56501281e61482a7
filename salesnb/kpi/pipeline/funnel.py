"""Stage funnel: how many opportunities reached each stage, and stage-to-stage conversion.

The steps are the stages of the company's pipeline (:class:`salesnb.stages.SalesPipeline`,
by default the contract's four stages) in order, then ``"won"``. The stage helpers here
(which pipeline position each ``stage`` value means) serve the other pipeline KPIs too.
"""

from __future__ import annotations

import math

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
from salesnb.stages import DEFAULT_PIPELINE, SalesPipeline

__all__ = ["stage_funnel"]


def _blank(value: object) -> bool:
    """A missing or all-space stage value."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return not str(value).strip()


def _stage_groups(
    frame: nw.LazyFrame, pipeline: SalesPipeline
) -> tuple[list[list[object]], list[object]]:
    """The distinct ``stage`` values of ``frame`` per pipeline position, and the "no stage" ones.

    Values are matched to the pipeline's stages with :meth:`SalesPipeline.canonical`
    (case and surrounding spaces ignored). Blank values and the pipeline's won / lost
    values (a single CRM column holding both stages and outcomes) mean "no stage"; a
    missing value is always "no stage" too (see :func:`_no_stage`).

    Raises
    ------
    ValueError
        For values that are neither a stage of the pipeline, a won/lost value nor blank;
        the message lists them and the expected stages.
    """
    values = frame.select(nw.col("stage")).unique().collect()["stage"].to_list()
    groups: list[list[object]] = [[] for _ in pipeline.stages]
    empty, unknown = [], []
    for value in values:
        if _blank(value):
            if value is not None and not isinstance(value, float):
                empty.append(value)
            continue
        name = pipeline.canonical(value)
        if name is not None:
            groups[pipeline.names.index(name)].append(value)
        elif pipeline.outcome(value) is not None:
            empty.append(value)
        else:
            unknown.append(value)
    if unknown:
        shown = sorted(str(v) for v in unknown)
        raise ValueError(
            f"opportunities.stage holds {len(shown)} value(s) that are not stages of the "
            f"pipeline: {shown[:10]}{' ...' if len(shown) > 10 else ''}; expected one of "
            f"{', '.join(pipeline.names)} (case and spaces ignored), a won/lost value or "
            f"empty. Pass pipeline= with the company's stages."
        )
    return groups, empty


def _no_stage(empty: list[object]) -> nw.Expr:
    """Rows whose ``stage`` is missing, blank or a won/lost value (see :func:`_stage_groups`)."""
    expr = nw.col("stage").is_null()
    return expr | nw.col("stage").is_in(empty) if empty else expr


def _stage_index(frame: nw.LazyFrame, pipeline: SalesPipeline) -> nw.Expr:
    """0-based index of the furthest step reached.

    Won deals reach every step (``len(pipeline.stages)``); a deal without a stage that
    is not won reached the first step only (index 0). Float literals: a chain of
    integer ``when`` branches makes pandas warn about silent downcasting.
    """
    groups, empty = _stage_groups(frame, pipeline)
    expr = nw.when(nw.col("status") == "won").then(nw.lit(float(len(pipeline.stages))))
    for i, values in enumerate(groups):
        if values:
            expr = expr.when(nw.col("stage").is_in(values)).then(nw.lit(float(i)))
    return expr.when(_no_stage(empty)).then(nw.lit(0.0))


def stage_funnel(
    opportunities,
    *,
    by=None,
    created_from=None,
    created_to=None,
    reps=None,
    customers=None,
    pipeline: SalesPipeline | None = None,
):
    """How many opportunities reached each stage, and stage-to-stage conversion.

    Steps are the stages of ``pipeline`` in order (by default the contract's
    four, :data:`salesnb.schema.STAGES`) followed by ``"won"``.
    ``opportunities.stage`` is the furthest stage a deal reached, so a deal
    reached step *k* when its stage index is ≥ *k*; a won deal reached every
    step (also when its recorded stage is earlier). Open deals count for the
    steps they reached so far. Stage values are matched to the pipeline's
    stages ignoring case and surrounding spaces.

    Deals without a stage (``stage`` missing, blank, or one of the pipeline's
    won/lost values, as when one CRM column holds stages and outcomes): a
    **won** deal counts as reaching every step; a **lost or open** deal counts
    at the first step only (it entered the pipeline; how far it went is
    unknown).

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
        day ``created_to`` (both days inclusive). A deal without
        ``created_at`` (an open deal whose CRM has no creation date) is kept
        by ``created_to`` (it is in the table, so taken as created by then, as
        the open-pipeline KPIs do) and left out by ``created_from``.
    reps, customers : DataFrame, optional
        Lookup tables for ``by`` columns.
    pipeline : SalesPipeline, optional
        The company's pipeline (``SalesData.pipeline``); None means
        :data:`salesnb.stages.DEFAULT_PIPELINE`.

    Returns
    -------
    DataFrame
        ``*by, step, step_index (1-based), reached, step_conversion,
        overall_conversion, note`` sorted by group and step.

    Raises
    ------
    ValueError
        When ``stage`` holds values that are not stages of ``pipeline`` (nor
        won/lost values nor blank); the message lists them.

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

    The company's own three-stage pipeline, one CRM column for stages and
    outcomes (the won deal's stage says "Won", the lost one has none):

    >>> from salesnb.stages import SalesPipeline
    >>> crm = SalesPipeline.from_mapping({"stages": ["Prospecting", "Engaging", "Closing"],
    ...                                   "won": ["Won"], "lost": ["Lost"]})
    >>> deals = pd.DataFrame({"stage": ["prospecting", "Engaging", "Won", None],
    ...                       "status": ["open", "open", "won", "lost"]})
    >>> print(stage_funnel(deals, pipeline=crm)[["step", "reached"]].to_string())
              step  reached
    0  Prospecting        4
    1     Engaging        2
    2      Closing        1
    3          won        1
    """
    by = as_list(by)
    pipeline = DEFAULT_PIPELINE if pipeline is None else pipeline
    steps = [*pipeline.names, "won"]
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
        frame = frame.filter(
            (nw.col("created_at") < nw.lit(_day_after(created_to))) | nw.col("created_at").is_null()
        )
    frame = frame.with_columns(__idx=_stage_index(frame, pipeline))
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
