"""Quota attainment of each rep and the share of reps at quota.

Also the per-rep tables the leaderboard builds on: revenue credited to reps per
period and rep quotas from the ``targets`` table.
"""

from __future__ import annotations

import narwhals as nw
import pandas as pd

from salesnb.kpi._frame import (
    PERIOD_START,
    as_list,
    attach_columns,
    column_names,
    drop_cancelled,
    open_frame,
    ratio,
    with_period,
)
from salesnb.kpi._tables import (
    _bounds,
    _check_by_not_reserved,
    _day_after,
    _finish,
    _flag,
    _incomplete_start,
    _literal_frame,
    _note,
    _open,
)
from salesnb.periods import Period, normalize_freq

__all__ = ["quota_attainment", "share_at_quota"]


_TARGET_LABEL = {
    "month": r"^\d{4}-\d{2}$",
    "quarter": r"^\d{4}Q[1-4]$",
    "half": r"^\d{4}H[12]$",
    "year": r"^\d{4}$",
}


def _resolve_period(freq, period, fiscal_year_start):
    """(freq, Period or None) from the ``freq``/``period`` arguments."""
    if period is not None:
        per = Period.parse(period, fiscal_year_start=fiscal_year_start)
        return per.freq, per
    return normalize_freq(freq), None


def _revenue(
    orders, *, like, fiscal_year_start, freq, include_cancelled, as_of=None
) -> nw.LazyFrame:
    """Revenue per period_start and rep_id (orders up to ``as_of`` when given)."""
    frame = _open(orders, table="orders", required=["order_date", "amount", "rep_id"], like=like)
    # only the columns used: filtering rows of unused text columns is costly on pandas
    present = column_names(frame)
    frame = frame.select([c for c in ("order_date", "amount", "rep_id", "status") if c in present])
    frame = drop_cancelled(frame, include_cancelled=include_cancelled)
    if as_of is not None:
        frame = frame.filter(nw.col("order_date") < nw.lit(_day_after(as_of)))
    frame = frame.filter(~nw.col("rep_id").is_null() & ~nw.col("order_date").is_null())
    frame = with_period(frame, "order_date", freq=freq, fiscal_year_start=fiscal_year_start)
    frame = frame.with_columns(__amount=nw.col("amount").cast(nw.Float64))
    return frame.group_by([PERIOD_START, "rep_id"]).agg(nw.col("__amount").sum().alias("revenue"))


def _quota_frame(targets, *, like, freq, per, fiscal_year_start, dtype, as_of=None) -> nw.LazyFrame:
    """Rep quotas as ``period_start, rep_id, quota`` for periods of ``freq``.

    Periods starting after ``as_of`` are left out.
    """
    if freq not in _TARGET_LABEL:
        raise ValueError(f"targets have no {freq!r} periods; use month, quarter, half or year")
    tgt = _open(
        targets, table="targets", required=["period", "level", "key", "revenue_target"], like=like
    )
    tgt = tgt.filter(
        (nw.col("level") == "rep") & nw.col("period").str.contains(_TARGET_LABEL[freq])
    )
    if per is not None:
        tgt = tgt.filter(nw.col("period") == per.label)
    labels = sorted(tgt.select("period").unique().collect()["period"].to_list())
    starts = [Period.parse(x, freq=freq, fiscal_year_start=fiscal_year_start).start for x in labels]
    if as_of is not None:
        day = pd.Timestamp(as_of).normalize()
        kept = [(x, s) for x, s in zip(labels, starts, strict=True) if s <= day]
        labels, starts = [x for x, _ in kept], [s for _, s in kept]
    mapping = _label_starts(labels, starts, like=like, dtype=dtype)
    tgt = tgt.select(
        nw.col("period"),
        rep_id=nw.col("key").cast(nw.String),
        quota=nw.col("revenue_target").cast(nw.Float64),
    )
    tgt = tgt.group_by(["period", "rep_id"]).agg(nw.col("quota").sum())
    return tgt.join(mapping, on="period", how="inner").drop("period")


def _label_starts(labels, starts, *, like, dtype) -> nw.LazyFrame:
    frame = _literal_frame(
        {"period": list(labels), PERIOD_START: [pd.Timestamp(s).to_pydatetime() for s in starts]},
        like=like,
        schema={"period": nw.String(), PERIOD_START: nw.Datetime("us")},
    )
    return frame.with_columns(nw.col(PERIOD_START).cast(dtype))


def _period_dtype(frame: nw.LazyFrame, date_column: str, freq: str, fiscal_year_start: int):
    return with_period(
        frame, date_column, freq=freq, fiscal_year_start=fiscal_year_start
    ).collect_schema()[PERIOD_START]


def _resolve_as_of(orders_frame: nw.LazyFrame, as_of):
    """``as_of`` or, when None, the latest order date (None for an empty table)."""
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    _, hi = _bounds(orders_frame, "order_date")
    return None if hi is None else hi.normalize()


def _attainment(
    orders, targets, *, freq, per, fiscal_year_start, include_cancelled, by, reps, as_of
):
    """period_start, rep_id, *by, revenue, quota, attainment, note (narwhals lazy)."""
    base = open_frame(orders, table="orders", required=["order_date", "amount", "rep_id"])
    as_of = _resolve_as_of(base, as_of)
    dtype = _period_dtype(base, "order_date", freq, fiscal_year_start)
    quota = _quota_frame(
        targets,
        like=base,
        freq=freq,
        per=per,
        fiscal_year_start=fiscal_year_start,
        dtype=dtype,
        as_of=as_of,
    )
    revenue = _revenue(
        orders,
        like=base,
        fiscal_year_start=fiscal_year_start,
        freq=freq,
        include_cancelled=include_cancelled,
        as_of=as_of,
    )
    periods = quota.select(PERIOD_START).unique()
    revenue = revenue.join(periods, on=PERIOD_START, how="semi")
    keys = nw.concat(
        [quota.select(PERIOD_START, "rep_id"), revenue.select(PERIOD_START, "rep_id")],
        how="vertical",
    ).unique()
    out = keys.join(quota, on=[PERIOD_START, "rep_id"], how="left").join(
        revenue, on=[PERIOD_START, "rep_id"], how="left"
    )
    out = out.with_columns(nw.col("revenue").fill_null(0.0))
    cases = [(nw.col("quota").is_null(), "no quota"), (nw.col("quota") == 0, "quota is 0")]
    cut = _incomplete_start(as_of, freq, fiscal_year_start)
    if cut is not None:
        cases.append(
            (nw.col(PERIOD_START) == nw.lit(cut.to_pydatetime()), "period incomplete at as_of")
        )
    out = out.with_columns(attainment=ratio("revenue", "quota"), note=_note(*cases))
    out = attach_columns(out, by, table="orders", lookups={"reps": (reps, "rep_id")})
    return out, cut


def quota_attainment(
    orders,
    targets,
    *,
    freq: str = "quarter",
    period: str | None = None,
    as_of=None,
    by=None,
    reps=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
):
    """Revenue of each rep against the rep's quota.

    Formula: ``attainment = revenue / quota`` per rep and period, where
    ``revenue`` = sum of the rep's (non-cancelled) order amounts whose
    ``order_date`` falls in the period and ``quota`` = the rep-level target
    (``targets.level == "rep"``, ``targets.key == rep_id``) of the period.

    Rows: every rep with a quota in a period that has rep quotas, plus the
    reps that sold in such a period without a quota (``quota`` missing,
    ``note = "no quota"``). A rep with a quota and no orders has revenue 0.
    ``quota == 0`` gives a missing attainment with ``note = "quota is 0"``.

    ``as_of`` (default: the latest order date): orders after it are ignored,
    periods starting after it are left out (future quotas), and the period
    still running at ``as_of`` is flagged ``note = "period incomplete at
    as_of"`` (quota-to-date is not prorated).

    Parameters
    ----------
    orders : DataFrame
        Needs ``order_date``, ``amount``, ``rep_id``.
    targets : DataFrame
        ``targets`` table.
    freq : str, default "quarter"
        Month, quarter, half or year (the frequency of the quota labels used).
    period : str, optional
        A single period label (``"2025Q3"``); overrides ``freq``.
    as_of : date, optional
    by : str or list of str, optional
        Rep attributes to show (``"team"``, ``"region"``), joined from ``reps``.
    reps : DataFrame, optional
    fiscal_year_start : int, default 1
    include_cancelled : bool, default False

    Returns
    -------
    DataFrame
        ``period, period_start, rep_id, *by, revenue, quota, attainment, note``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["A", "B", "C", "D"],
    ...     "rep_id": ["R1", "R1", "R2", "R3"],
    ...     "order_date": pd.to_datetime(["2025-07-01", "2025-08-01", "2025-09-30",
    ...                                   "2025-08-08"]),
    ...     "amount": [60.0, 60.0, 50.0, 10.0],
    ... })
    >>> targets = pd.DataFrame({"period": ["2025Q3", "2025Q3"], "level": ["rep", "rep"],
    ...                         "key": ["R1", "R2"], "revenue_target": [100.0, 100.0]})
    >>> print(quota_attainment(orders, targets).to_string())
       period period_start rep_id  revenue  quota  attainment      note
    0  2025Q3   2025-07-01     R1    120.0  100.0         1.2       NaN
    1  2025Q3   2025-07-01     R2     50.0  100.0         0.5       NaN
    2  2025Q3   2025-07-01     R3     10.0    NaN         NaN  no quota
    """
    by = as_list(by)
    _check_by_not_reserved(by, ["rep_id", "revenue", "quota", "attainment", "note"])
    freq, per = _resolve_period(freq, period, fiscal_year_start)
    out, _ = _attainment(
        orders,
        targets,
        freq=freq,
        per=per,
        fiscal_year_start=fiscal_year_start,
        include_cancelled=include_cancelled,
        by=by,
        reps=reps,
        as_of=as_of,
    )
    out = out.select(PERIOD_START, "rep_id", *by, "revenue", "quota", "attainment", "note")
    return _finish(out, by=["rep_id"], freq=freq, fiscal_year_start=fiscal_year_start, like=orders)


def share_at_quota(
    orders,
    targets,
    *,
    freq: str = "quarter",
    period: str | None = None,
    as_of=None,
    by=None,
    reps=None,
    fiscal_year_start: int = 1,
    include_cancelled: bool = False,
):
    """Share of reps at or above quota per period (and group).

    Formula: ``share_at_quota = reps_at_quota / reps_with_quota`` where
    ``reps_with_quota`` counts the reps with a positive quota in the period and
    ``reps_at_quota`` those with ``attainment >= 1`` (see
    :func:`quota_attainment`). Reps without a quota or with quota 0 are left
    out. No rep with a positive quota → share missing, ``note = "no rep quotas"``.
    ``as_of`` as in :func:`quota_attainment` (the running period is flagged
    ``"period incomplete at as_of"``).

    Parameters
    ----------
    by : str or list of str, optional
        Rep attributes such as ``"team"`` (joined from ``reps``).

    Returns
    -------
    DataFrame
        ``period, period_start, *by, reps_with_quota, reps_at_quota,
        share_at_quota, note``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"rep_id": ["R1", "R2"], "amount": [100.0, 30.0],
    ...                        "order_date": pd.to_datetime(["2025-07-01", "2025-07-02"])})
    >>> targets = pd.DataFrame({"period": ["2025Q3"] * 3, "level": ["rep"] * 3,
    ...                         "key": ["R1", "R2", "R3"], "revenue_target": [100.0] * 3})
    >>> share_at_quota(orders, targets)[["period", "reps_with_quota", "reps_at_quota",
    ...                                  "share_at_quota"]]
       period  reps_with_quota  reps_at_quota  share_at_quota
    0  2025Q3                3              1        0.333333
    """
    by = as_list(by)
    _check_by_not_reserved(by, ["reps_with_quota", "reps_at_quota", "share_at_quota", "note"])
    freq, per = _resolve_period(freq, period, fiscal_year_start)
    out, cut = _attainment(
        orders,
        targets,
        freq=freq,
        per=per,
        fiscal_year_start=fiscal_year_start,
        include_cancelled=include_cancelled,
        by=by,
        reps=reps,
        as_of=as_of,
    )
    with_quota = ~nw.col("quota").is_null() & (nw.col("quota") > 0)
    out = out.with_columns(
        __with=_flag(with_quota),
        __at=_flag(with_quota & (nw.col("attainment") >= 1)),
    )
    out = (
        out.group_by([PERIOD_START, *by])
        .agg(
            nw.col("__with").sum().alias("reps_with_quota"),
            nw.col("__at").sum().alias("reps_at_quota"),
        )
        .with_columns(
            nw.col("reps_with_quota").cast(nw.Int64), nw.col("reps_at_quota").cast(nw.Int64)
        )
    )
    cases = [(nw.col("reps_with_quota") == 0, "no rep quotas")]
    if cut is not None:
        cases.append(
            (nw.col(PERIOD_START) == nw.lit(cut.to_pydatetime()), "period incomplete at as_of")
        )
    out = out.with_columns(
        share_at_quota=ratio("reps_at_quota", "reps_with_quota"),
        note=_note(*cases),
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=orders)
