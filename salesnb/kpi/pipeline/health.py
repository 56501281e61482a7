"""Health of the open pipeline at ``as_of``: target coverage, stale and slipped deals.

Deals created after ``as_of`` are ignored. Coverage counts the deals open at the end
of ``as_of``; stale and slipped deals read the current ``status`` of the table.

Open deals exported by a CRM may lack ``amount`` (no value yet) and ``created_at``
(no creation date). Such a deal still counts as an open deal (one without
``created_at`` is taken as created by ``as_of``); value sums leave its missing amount
out and a count column says how many deals that was; idle and slip days need a date and
leave out deals without one (also counted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import narwhals as nw

from salesnb.kpi._frame import (
    as_datetime,
    as_list,
    close_frame,
    column_names,
    days_between,
    drop_cancelled,
    ratio,
)
from salesnb.kpi._tables import (
    _created_by,
    _day,
    _day_after,
    _flag,
    _join,
    _note,
    _open,
    _status_open_at,
)
from salesnb.kpi.pipeline.funnel import _no_stage, _stage_groups
from salesnb.periods import Period
from salesnb.stages import DEFAULT_PIPELINE, SalesPipeline

__all__ = [
    "DEFAULT_STALE_THRESHOLDS",
    "DEFAULT_STALE_DAYS",
    "pipeline_coverage",
    "stale_deals",
    "slipped_deals",
]


#: Days without activity or stage change after which an open deal is stale.
DEFAULT_STALE_THRESHOLDS: dict[str, int] = {
    "qualification": 14,
    "discovery": 21,
    "proposal": 30,
    "negotiation": 30,
}

#: Stale threshold (days) of a stage that has none from ``thresholds=``, the pipeline's
#: ``rotting_days`` or :data:`DEFAULT_STALE_THRESHOLDS`, and of open deals without a
#: stage: the largest default threshold.
DEFAULT_STALE_DAYS: float = float(max(DEFAULT_STALE_THRESHOLDS.values()))


def _value() -> nw.Expr:
    """``amount`` as a float; NaN counts as missing on every backend."""
    return nw.col("amount").cast(nw.Float64).fill_nan(None)


_LEVEL_KEY = {"company": None, "region": "region", "rep": "rep_id"}


def _level_key(key_col: str | None) -> nw.Expr:
    """The ``key`` of a row at the level: its ``key_col`` as text, or ``"all"``."""
    return nw.col(key_col).cast(nw.String) if key_col else nw.lit("all")


def _pipeline_deals(opp: nw.LazyFrame, *, key_col, as_of, start, end) -> nw.LazyFrame:
    """Deals open at the end of ``as_of`` expected to close in ``[start, end)``, keyed."""
    names = column_names(opp)
    return (
        opp.filter(
            _status_open_at(names, as_of)
            & (nw.col("expected_close_date") >= nw.lit(start))
            & (nw.col("expected_close_date") < nw.lit(end))
        )
        .with_columns(
            key=_level_key(key_col),
            __one=nw.lit(1),
            __amount=_value(),
        )
        .with_columns(__no_amount=_flag(nw.col("__amount").is_null()))
    )


def _period_targets(targets, *, per: Period, level: str, like: nw.LazyFrame) -> nw.LazyFrame:
    """``key, target``: the revenue targets of period ``per`` at ``level``, summed per key."""
    tgt = _open(
        targets, table="targets", required=["period", "level", "key", "revenue_target"], like=like
    )
    tgt = tgt.filter((nw.col("period") == per.label) & (nw.col("level") == level)).select(
        nw.col("key").cast(nw.String), nw.col("revenue_target").cast(nw.Float64).alias("target")
    )
    return tgt.group_by("key").agg(nw.col("target").sum())


def _booked(order_frame: nw.LazyFrame, *, key_col, start, end) -> nw.LazyFrame:
    """``key, booked``: order revenue dated in ``[start, end)`` per key."""
    booked = order_frame.filter(
        (nw.col("order_date") >= nw.lit(start)) & (nw.col("order_date") < nw.lit(end))
    ).with_columns(
        key=_level_key(key_col),
        __amount=nw.col("amount").cast(nw.Float64),
    )
    return booked.group_by("key").agg(nw.col("__amount").sum().alias("booked"))


def _coverage_columns(
    out: nw.LazyFrame, *, remaining: nw.Expr, orders_given: bool, per: Period, level: str
) -> nw.LazyFrame:
    """Remaining target, coverage and note on the joined target/pipeline/booked table."""
    out = out.with_columns(
        nw.col("pipeline_deals").fill_null(0).cast(nw.Int64),
        nw.col("pipeline_amount").fill_null(0.0),
        nw.col("deals_without_amount").fill_null(0).cast(nw.Int64),
        remaining_target=remaining,
    )
    cases = [
        (nw.col("target").is_null(), "no target"),
        (nw.col("remaining_target") <= 0, "target already met"),
    ]
    if not orders_given:
        cases.append((nw.lit(True), "orders not given: remaining target = full target"))
    out = out.with_columns(
        coverage=nw.when(nw.col("remaining_target") > 0).then(
            nw.col("pipeline_amount") / nw.col("remaining_target")
        ),
        note=_note(*cases),
        period=nw.lit(per.label),
        level=nw.lit(level),
    )
    return out.select(
        "period",
        "level",
        "key",
        "target",
        "booked",
        "remaining_target",
        "pipeline_deals",
        "pipeline_amount",
        "deals_without_amount",
        "coverage",
        "note",
    )


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
      end of day ``as_of`` (see :func:`~salesnb.kpi.pipeline.sales_velocity`) whose
      ``expected_close_date`` falls in ``period``; open deals without an
      ``amount`` count in ``pipeline_deals`` but not in the sum, and
      ``deals_without_amount`` says how many they are (an open deal without
      ``created_at`` is taken as created by ``as_of``);
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
        pipeline_deals, pipeline_amount, deals_without_amount, coverage,
        note``, one row per key with a target or a pipeline, sorted by key.

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
    opp = _pipeline_deals(opp, key_col=key_col, as_of=as_of, start=start, end=end)
    pipe = opp.group_by("key").agg(
        nw.col("__one").sum().alias("pipeline_deals"),
        nw.col("__amount").sum().alias("pipeline_amount"),
        nw.col("__no_amount").sum().alias("deals_without_amount"),
    )
    tgt = _period_targets(targets, per=per, level=level, like=opp)
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
        booked = _booked(order_frame, key_col=key_col, start=start, end=booked_end)
        out = _join(out, booked, by=["key"]).with_columns(nw.col("booked").fill_null(0.0))
        remaining = nw.col("target") - nw.col("booked")
    else:
        out = out.with_columns(booked=nw.lit(None, dtype=nw.Float64))
        remaining = nw.col("target")
    out = _coverage_columns(
        out, remaining=remaining, orders_given=orders is not None, per=per, level=level
    )
    return close_frame(out.sort("key", nulls_last=True), like=opportunities)


def _stale_limits(
    pipeline: SalesPipeline, thresholds: Mapping[str, float] | None, default_days: float
) -> dict[str, float]:
    """The stale threshold in days of every stage of ``pipeline`` (see :func:`stale_deals`)."""
    given: dict[str, float] = {}
    unknown = []
    for stage, days in (thresholds or {}).items():
        name = pipeline.canonical(stage)
        if name is None:
            unknown.append(stage)
        else:
            given[name] = float(days)
    if unknown:
        raise ValueError(
            f"thresholds name unknown stage(s) {unknown}; stages are {', '.join(pipeline.names)}"
        )
    limits = {}
    for stage in pipeline.stages:
        default = DEFAULT_STALE_THRESHOLDS.get(DEFAULT_PIPELINE.canonical(stage.name) or "")
        if stage.name in given:
            limits[stage.name] = given[stage.name]
        elif stage.rotting_days is not None:
            limits[stage.name] = float(stage.rotting_days)
        elif default is not None:
            limits[stage.name] = float(default)
        else:
            limits[stage.name] = float(default_days)
    return limits


def _stage_limit(frame: nw.LazyFrame, pipeline: SalesPipeline, limits, default_days) -> nw.Expr:
    """The stale threshold of each row's stage; ``default_days`` for deals without a stage."""
    groups, empty = _stage_groups(frame, pipeline)
    expr = nw.when(_no_stage(empty)).then(nw.lit(float(default_days)))
    for name, values in zip(pipeline.names, groups, strict=True):
        if values:
            expr = expr.when(nw.col("stage").is_in(values)).then(nw.lit(limits[name]))
    return expr.cast(nw.Float64)


def _deal_columns(names: Sequence[str], extra: Sequence[str]) -> list[str]:
    base = [c for c in ("opportunity_id", "rep_id", "customer_id", "product") if c in names]
    return [*base, *[c for c in extra if c not in base]]


def _deal_list(frame: nw.LazyFrame, flag: str, days: str, cols: list[str], like):
    """The flagged deals, ``days`` as whole days, most days first (then by id)."""
    out = frame.filter(nw.col(flag) == 1).with_columns(nw.col(days).cast(nw.Int64)).select(cols)
    sort_keys = [days] + (["opportunity_id"] if "opportunity_id" in cols else [])
    out = out.sort(sort_keys, descending=[True] + [False] * (len(sort_keys) - 1))
    return close_frame(out, like=like)


def stale_deals(
    opportunities,
    *,
    as_of,
    thresholds: Mapping[str, float] | None = None,
    by=None,
    reps=None,
    customers=None,
    pipeline: SalesPipeline | None = None,
    default_days: float = DEFAULT_STALE_DAYS,
):
    """Open deals without activity or stage change for longer than their stage allows.

    ``last_touch_at = max(last_activity_at, stage_changed_at, created_at)``
    (whichever are present and set); ``days_idle`` = calendar days from the
    day of ``last_touch_at`` to ``as_of``. A deal is stale when its status is
    ``open`` and ``days_idle > threshold[stage]``. Uses the current state of
    the table (deals created after ``as_of`` are ignored; an open deal without
    ``created_at`` is taken as created by then). The amount at risk is the
    deal's ``amount``.

    Threshold of a stage of ``pipeline``, first that applies:

    1. ``thresholds[stage]`` (keys matched to the pipeline's stages ignoring case);
    2. the stage's ``rotting_days`` declared in the pipeline;
    3. :data:`DEFAULT_STALE_THRESHOLDS` for a stage named like a contract stage
       (qualification 14, discovery 21, proposal 30, negotiation 30 days);
    4. ``default_days`` (:data:`DEFAULT_STALE_DAYS`, 30: the largest default).

    An open deal without a stage (missing, blank or a won/lost value) gets
    ``default_days``. An open deal with no date at all (no ``created_at``,
    ``last_activity_at`` or ``stage_changed_at``) has no idle time: it is not
    judged and the summary counts it in ``undated_deals``. A stale deal
    without ``amount`` is listed with a missing amount, left out of
    ``amount_at_risk`` and counted in ``stale_without_amount``.

    Parameters
    ----------
    opportunities : DataFrame
        Needs ``status``, ``stage``, ``amount``, ``created_at``.
    as_of : date
    thresholds : dict stage -> days, optional
    by : str or list of str, optional
        Without ``by``: one row per stale deal, longest idle first. With
        ``by`` (e.g. ``"rep_id"``, ``"stage"``): a summary per group with
        ``open_deals, stale_deals, stale_share, amount_at_risk,
        max_days_idle, stale_without_amount, undated_deals``
        (``stale_share = stale_deals / open_deals``).
    reps, customers : DataFrame, optional
    pipeline : SalesPipeline, optional
        The company's pipeline (``SalesData.pipeline``); None means
        :data:`salesnb.stages.DEFAULT_PIPELINE`.
    default_days : float, default DEFAULT_STALE_DAYS

    Returns
    -------
    DataFrame
        Per deal: ``opportunity_id, [rep_id, customer_id, product,] stage,
        amount, last_touch_at, days_idle, threshold_days``.

    Raises
    ------
    ValueError
        ``thresholds`` names a stage the pipeline lacks, or an open deal's
        ``stage`` is not a stage of the pipeline.

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
    >>> out = stale_deals(opps, as_of="2025-06-30", by="rep_id")
    >>> print(out[["rep_id", "open_deals", "stale_deals", "stale_share", "amount_at_risk",
    ...            "max_days_idle"]].to_string())
      rep_id  open_deals  stale_deals  stale_share  amount_at_risk  max_days_idle
    0     R1           2            1          0.5           100.0           29.0
    1     R2           1            0          0.0             0.0            NaN

    A pipeline that lets proposals rot after 15 days:

    >>> from salesnb.stages import SalesPipeline
    >>> crm = SalesPipeline.from_mapping(
    ...     {"stages": ["Qualification", {"name": "Proposal", "rotting_days": 15}]})
    >>> print(stale_deals(opps, as_of="2025-06-30", pipeline=crm)[
    ...     ["opportunity_id", "days_idle", "threshold_days"]].to_string())
      opportunity_id  days_idle  threshold_days
    0             O1         29            14.0
    1             O2         20            15.0
    """
    by = as_list(by)
    pipeline = DEFAULT_PIPELINE if pipeline is None else pipeline
    if not default_days > 0:
        raise ValueError(f"default_days must be a positive number of days, got {default_days!r}")
    limits = _stale_limits(pipeline, thresholds, default_days)
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
    frame = frame.filter((nw.col("status") == "open") & _created_by(as_of))
    frame = frame.with_columns(
        last_touch_at=nw.max_horizontal(*touch_cols),
        threshold_days=_stage_limit(frame, pipeline, limits, default_days),
        __amount=_value(),
    )
    frame = frame.with_columns(
        days_idle=days_between(
            nw.lit(_day(as_of)), nw.col("last_touch_at").dt.truncate("1d"), like=frame
        ).round(0)
    )
    frame = frame.with_columns(__stale=_flag(nw.col("days_idle") > nw.col("threshold_days")))
    if by:
        frame = frame.with_columns(
            __one=nw.lit(1),
            __risk=nw.when((nw.col("__stale") == 1) & ~nw.col("__amount").is_null())
            .then(nw.col("__amount"))
            .otherwise(nw.lit(0.0)),
            __idle=nw.when(nw.col("__stale") == 1).then(nw.col("days_idle")),
            __no_amount=_flag((nw.col("__stale") == 1) & nw.col("__amount").is_null()),
            __undated=_flag(nw.col("days_idle").is_null()),
        )
        counts = ["open_deals", "stale_deals", "stale_without_amount", "undated_deals"]
        out = (
            frame.group_by(by)
            .agg(
                nw.col("__one").sum().alias("open_deals"),
                nw.col("__stale").sum().alias("stale_deals"),
                nw.col("__risk").sum().alias("amount_at_risk"),
                nw.col("__idle").max().alias("max_days_idle"),
                nw.col("__no_amount").sum().alias("stale_without_amount"),
                nw.col("__undated").sum().alias("undated_deals"),
            )
            .with_columns(nw.col(c).cast(nw.Int64) for c in counts)
        )
        out = out.with_columns(stale_share=ratio("stale_deals", "open_deals")).select(
            *by,
            "open_deals",
            "stale_deals",
            "stale_share",
            "amount_at_risk",
            "max_days_idle",
            "stale_without_amount",
            "undated_deals",
        )
        return close_frame(out.sort(by, nulls_last=True), like=opportunities)
    cols = _deal_columns(names, ["stage", "amount", "last_touch_at", "days_idle", "threshold_days"])
    return _deal_list(frame, "__stale", "days_idle", cols, like=opportunities)


def slipped_deals(opportunities, *, as_of, by=None, reps=None, customers=None):
    """Open deals whose expected close date has passed.

    A deal slipped when its status is ``open`` and ``expected_close_date`` is
    before the day ``as_of`` (a deal expected to close on ``as_of`` itself has
    not slipped yet); ``days_slipped`` = calendar days from
    ``expected_close_date`` to ``as_of``. Current state of the table; deals
    created after ``as_of`` are ignored (an open deal without ``created_at``
    is taken as created by then). A deal without ``expected_close_date``
    cannot slip. A slipped deal without ``amount`` is listed with a missing
    amount, left out of ``slipped_amount`` and counted in
    ``slipped_without_amount``.

    Parameters
    ----------
    opportunities : DataFrame
        Needs ``status``, ``amount``, ``created_at``, ``expected_close_date``.
    as_of : date
    by : str or list of str, optional
        Without ``by``: one row per slipped deal, most slipped first. With
        ``by``: a summary per group: ``open_deals, slipped_deals,
        slipped_share, slipped_amount, mean_days_slipped, max_days_slipped,
        slipped_without_amount``.
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
    frame = frame.filter((nw.col("status") == "open") & _created_by(as_of)).with_columns(
        days_slipped=days_between(
            nw.lit(day), nw.col("expected_close_date").dt.truncate("1d"), like=frame
        ).round(0),
        __amount=_value(),
    )
    slipped = ~nw.col("expected_close_date").is_null() & (nw.col("days_slipped") > 0)
    frame = frame.with_columns(__slipped=_flag(slipped))
    if by:
        is_slipped = nw.col("__slipped") == 1
        frame = frame.with_columns(
            __one=nw.lit(1),
            __amt=nw.when(is_slipped & ~nw.col("__amount").is_null())
            .then(nw.col("__amount"))
            .otherwise(nw.lit(0.0)),
            __days=nw.when(is_slipped).then(nw.col("days_slipped")).otherwise(nw.lit(0.0)),
            __days_max=nw.when(is_slipped).then(nw.col("days_slipped")),
            __no_amount=_flag(is_slipped & nw.col("__amount").is_null()),
        )
        counts = ["open_deals", "slipped_deals", "slipped_without_amount"]
        out = (
            frame.group_by(by)
            .agg(
                nw.col("__one").sum().alias("open_deals"),
                nw.col("__slipped").sum().alias("slipped_deals"),
                nw.col("__amt").sum().alias("slipped_amount"),
                nw.col("__days").sum().alias("__days_sum"),
                nw.col("__days_max").max().alias("max_days_slipped"),
                nw.col("__no_amount").sum().alias("slipped_without_amount"),
            )
            .with_columns(nw.col(c).cast(nw.Int64) for c in counts)
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
            "slipped_without_amount",
        )
        return close_frame(out.sort(by, nulls_last=True), like=opportunities)
    extra = ["stage"] if "stage" in names else []
    cols = _deal_columns(names, [*extra, "amount", "expected_close_date", "days_slipped"])
    return _deal_list(frame, "__slipped", "days_slipped", cols, like=opportunities)
