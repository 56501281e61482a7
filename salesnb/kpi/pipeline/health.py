"""Health of the open pipeline at ``as_of``: target coverage, stale and slipped deals.

Deals created after ``as_of`` are ignored. Coverage counts the deals open at the end
of ``as_of``; stale and slipped deals read the current ``status`` of the table.
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
from salesnb.kpi._tables import _day, _day_after, _flag, _join, _note, _open, _status_open_at
from salesnb.periods import Period
from salesnb.schema import STAGES

__all__ = ["DEFAULT_STALE_THRESHOLDS", "pipeline_coverage", "stale_deals", "slipped_deals"]


#: Days without activity or stage change after which an open deal is stale.
DEFAULT_STALE_THRESHOLDS: dict[str, int] = {
    "qualification": 14,
    "discovery": 21,
    "proposal": 30,
    "negotiation": 30,
}


_LEVEL_KEY = {"company": None, "region": "region", "rep": "rep_id"}


def _level_key(key_col: str | None) -> nw.Expr:
    """The ``key`` of a row at the level: its ``key_col`` as text, or ``"all"``."""
    return nw.col(key_col).cast(nw.String) if key_col else nw.lit("all")


def _pipeline_deals(opp: nw.LazyFrame, *, key_col, as_of, start, end) -> nw.LazyFrame:
    """Deals open at the end of ``as_of`` expected to close in ``[start, end)``, keyed."""
    names = column_names(opp)
    return opp.filter(
        _status_open_at(names, as_of)
        & (nw.col("expected_close_date") >= nw.lit(start))
        & (nw.col("expected_close_date") < nw.lit(end))
    ).with_columns(
        key=_level_key(key_col),
        __one=nw.lit(1),
        __amount=nw.col("amount").cast(nw.Float64),
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
    opp = _pipeline_deals(opp, key_col=key_col, as_of=as_of, start=start, end=end)
    pipe = opp.group_by("key").agg(
        nw.col("__one").sum().alias("pipeline_deals"),
        nw.col("__amount").sum().alias("pipeline_amount"),
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
