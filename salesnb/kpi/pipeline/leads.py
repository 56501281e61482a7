"""New leads and lead-to-customer conversion per period (the ``leads`` table).

Period conventions (complete tables, ``note`` columns, comparisons, ``as_of``):
see :mod:`salesnb.kpi.pipeline`.
"""

from __future__ import annotations

import narwhals as nw
import pandas as pd

from salesnb.kpi._frame import (
    PERIOD_START,
    MissingColumnsError,
    as_list,
    column_names,
    days_between,
    ratio,
    with_period,
)
from salesnb.kpi._tables import (
    _check_by_not_reserved,
    _compare,
    _day_after,
    _finish,
    _flag,
    _freq_or_none,
    _note,
    _offset,
    _open,
    _period_table,
)
from salesnb.periods import Period, normalize_freq

__all__ = ["new_leads", "lead_conversion_rate"]


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
    equal_age: bool = False,
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

    Equal age (``equal_age=True``, needs ``as_of`` and ``freq``): every
    period's cohort is read as it stood at the same point of its own period as
    ``as_of`` is of the period containing it, so periods compare like with
    like while the latest cohort is young. With ``as_of`` on the last day of
    its period, a lead counts when it converted by the end of its own period
    (and within ``within_days``); with ``as_of`` on day ``d`` of its period,
    each period keeps the leads created in its first ``d`` days and the
    conversions made by then. No cohort is then flagged as maturing: all are
    equally young.

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
    equal_age : bool, default False
        Read every period at the same age as the period of ``as_of`` (see above).
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
        When ``within_days`` is given but the table has no ``converted_at``, or
        ``equal_age`` is set without ``as_of``, ``freq`` or ``converted_at``.

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

    At equal age as of 2025-09-30, the last day of 2025Q3: a lead counts as
    converted when it converted by the end of its own quarter (L3, created in
    Q1 and converted in Q2, does not).

    >>> out = lead_conversion_rate(leads, as_of="2025-09-30", equal_age=True, comparisons=False)
    >>> print(out[["period", "leads", "converted", "conversion_rate"]].to_string())
       period  leads  converted  conversion_rate
    0  2025Q1      3          1         0.333333
    1  2025Q2      0          0              NaN
    2  2025Q3      2          1         0.500000
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
            converted = converted & (
                days_between("converted_at", "created_at", like=frame) <= within_days
            )
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
    if equal_age:
        if as_of is None or freq is None or "converted_at" not in names:
            raise ValueError(
                "equal_age needs as_of=, a freq= and the conversion date (converted_at)"
            )
        frame = with_period(
            frame, "created_at", freq=freq, fiscal_year_start=fiscal_year_start, name="__cohort"
        )
        # leads created after the cohort's view are not counted (kept, so that every
        # period keeps its row)
        end = _equal_age_end(as_of, freq=freq, fiscal_year_start=fiscal_year_start)
        counted = nw.col("created_at") < end
        converted = converted & counted & (nw.col("converted_at") < end)
    else:
        counted = nw.lit(True)
    if as_of is not None:
        frame = frame.filter(nw.col("created_at") < nw.lit(_day_after(as_of)))
    frame = frame.with_columns(__one=_flag(counted), __conv=_flag(converted))
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
    if as_of is not None and freq is not None and not equal_age:
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


def _equal_age_end(as_of, *, freq: str, fiscal_year_start: int) -> nw.Expr:
    """Exclusive end of each cohort's view at equal age (column ``__cohort``: period start).

    ``as_of`` on the last day of its period: the start of the cohort's next
    period. On day ``d`` of its period: ``d`` days after the cohort's start,
    at most the start of its next period (periods differ in length).
    """
    per = Period.containing(as_of, freq=freq, fiscal_year_start=fiscal_year_start)
    next_start = _offset(nw.col("__cohort"), freq, 1)
    if per.last_day <= pd.Timestamp(as_of).normalize():
        return next_start
    days = (pd.Timestamp(_day_after(as_of)) - per.start).to_pytimedelta()
    return nw.min_horizontal(nw.col("__cohort") + days, next_start)
