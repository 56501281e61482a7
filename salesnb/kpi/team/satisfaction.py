"""Employee satisfaction from 0-10 surveys: mean score, distribution and eNPS per period."""

from __future__ import annotations

import narwhals as nw

from salesnb.kpi._frame import as_list, ratio
from salesnb.kpi._tables import (
    _check_by_not_reserved,
    _compare,
    _finish,
    _flag,
    _note,
    _open,
    _period_table,
)
from salesnb.periods import normalize_freq

__all__ = ["employee_satisfaction"]


def employee_satisfaction(
    satisfaction,
    *,
    freq: str = "quarter",
    by=None,
    reps=None,
    fiscal_year_start: int = 1,
    comparisons: bool = True,
):
    """Employee satisfaction (0-10 survey) per period: mean, distribution, eNPS.

    ``survey_date`` decides the period; every answer counts (a rep answering
    twice in a period counts twice in ``responses``; ``respondents`` counts
    distinct reps). Buckets (eNPS convention): low / detractors = score ≤ 6,
    mid / passives = 7-8 (6 < score < 9), high / promoters = score ≥ 9.

    Formulas: ``mean_score`` = mean of the scores; ``share_low``,
    ``share_mid``, ``share_high`` = bucket count / responses (they add up to
    1); ``enps = (share_high - share_low) × 100``, in points from -100 to
    +100.

    ``by="team"`` (or ``"region"``...) joins the column from ``reps`` (key
    ``rep_id``); the trend of a team is read from the comparisons of
    ``mean_score`` and ``enps`` (previous period, same period last year).
    Edge cases: no answer in a period/group → ``responses = 0``, statistics
    missing, ``note = "no responses"``.

    Returns
    -------
    DataFrame
        ``period, period_start, *by, responses, respondents, mean_score,
        share_low, share_mid, share_high, enps, note`` (+ comparisons of
        ``mean_score`` and ``enps``).

    Examples
    --------
    >>> import pandas as pd
    >>> sat = pd.DataFrame({
    ...     "rep_id": ["R1", "R2", "R3", "R4"],
    ...     "survey_date": pd.to_datetime(["2025-03-31"] * 4),
    ...     "score": [10.0, 9.0, 7.0, 3.0],
    ... })
    >>> out = employee_satisfaction(sat, comparisons=False)
    >>> print(out[["period", "responses", "mean_score", "share_low", "share_mid",
    ...            "share_high", "enps"]].to_string())
       period  responses  mean_score  share_low  share_mid  share_high  enps
    0  2025Q1          4        7.25       0.25       0.25         0.5  25.0
    """
    freq = normalize_freq(freq)
    by = as_list(by)
    _check_by_not_reserved(by, ["responses", "respondents", "mean_score", "enps", "note"])
    frame = _open(
        satisfaction,
        table="satisfaction",
        required=["rep_id", "survey_date", "score"],
        by=by,
        reps=reps,
    )
    score = nw.col("score").cast(nw.Float64)
    frame = frame.filter(~nw.col("score").is_null()).with_columns(
        __one=nw.lit(1),
        __score=score,
        __low=_flag(score <= 6),
        __mid=_flag((score > 6) & (score < 9)),
        __high=_flag(score >= 9),
    )
    out = _period_table(
        frame,
        "survey_date",
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        by=by,
        aggs=[
            nw.col("__one").sum().alias("responses"),
            nw.col("rep_id").n_unique().alias("respondents"),
            nw.col("__score").mean().alias("mean_score"),
            nw.col("__low").sum().alias("__low"),
            nw.col("__mid").sum().alias("__mid"),
            nw.col("__high").sum().alias("__high"),
        ],
        counts=["responses", "respondents", "__low", "__mid", "__high"],
    )
    out = (
        out.with_columns(
            share_low=ratio("__low", "responses"),
            share_mid=ratio("__mid", "responses"),
            share_high=ratio("__high", "responses"),
        )
        .with_columns(
            enps=(nw.col("share_high") - nw.col("share_low")) * 100.0,
            note=_note((nw.col("responses") == 0, "no responses")),
        )
        .drop("__low", "__mid", "__high")
    )
    out = _compare(
        out,
        ["mean_score", "enps"],
        by=by,
        freq=freq,
        fiscal_year_start=fiscal_year_start,
        comparisons=comparisons,
    )
    return _finish(out, by=by, freq=freq, fiscal_year_start=fiscal_year_start, like=satisfaction)
