"""Pipeline-weighted forecast: open deals x win probability, next to the time-series forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.models.forecast.series import (
    _index_freq,
    _period_start,
    _require,
    _timestamp_period_start,
)
from salesnb.schema import STAGES

__all__ = ["stage_win_rates", "pipeline_weighted_forecast", "compare_forecasts"]


def stage_win_rates(opportunities: pd.DataFrame, *, as_of=None) -> pd.DataFrame:
    """Historical win rate of deals that reached each stage.

    ``stage`` holds the furthest stage a deal reached, so for stage ``s`` the
    rate is ``won / closed`` among closed deals (status won or lost, closed on
    or before ``as_of`` when given and ``closed_at`` exists) whose stage is
    ``s`` or later in :data:`salesnb.schema.STAGES`. Stages no closed deal
    reached get the overall closed win rate (``fallback`` is True).

    Returns
    -------
    pandas.DataFrame
        ``stage``, ``closed``, ``won``, ``win_rate``, ``fallback``.

    Examples
    --------
    >>> opps = pd.DataFrame({"stage": ["qualification", "proposal", "negotiation", "negotiation"],
    ...                      "status": ["lost", "lost", "won", "lost"]})
    >>> stage_win_rates(opps)
               stage  closed  won  win_rate  fallback
    0  qualification       4    1  0.250000     False
    1      discovery       3    1  0.333333     False
    2       proposal       3    1  0.333333     False
    3    negotiation       2    1  0.500000     False
    """
    _require(opportunities, ["stage", "status"], "opportunities")
    status = opportunities["status"].astype("object")
    closed = status.isin(["won", "lost"])
    if as_of is not None and "closed_at" in opportunities.columns:
        closed &= opportunities["closed_at"].le(pd.Timestamp(as_of))
    rank = opportunities["stage"].astype("object").map({s: i for i, s in enumerate(STAGES)})
    won = status.eq("won")
    total_closed = int(closed.sum())
    overall = won[closed].sum() / total_closed if total_closed else np.nan
    rows = []
    for i, stage in enumerate(STAGES):
        reached = closed & rank.ge(i)
        n = int(reached.sum())
        w = int((reached & won).sum())
        rows.append(
            {
                "stage": stage,
                "closed": n,
                "won": w,
                "win_rate": w / n if n else overall,
                "fallback": n == 0,
            }
        )
    return pd.DataFrame(rows)


def pipeline_weighted_forecast(
    opportunities: pd.DataFrame,
    win_probability: pd.Series | float | None = None,
    *,
    as_of,
    freq: str = "M",
) -> pd.DataFrame:
    """Expected revenue from open deals: amount x win probability, by expected close period.

    Open deals are ``status == "open"`` (and ``created_at <= as_of`` when that
    column exists). Each contributes ``amount * p`` to the period of its
    ``expected_close_date``; deals whose expected close date is missing or
    before the period containing ``as_of`` (overdue) are put in the ``as_of``
    period and counted in ``overdue_deals``. Periods run from the ``as_of``
    period to the last expected close period, gaps as 0.

    Parameters
    ----------
    opportunities : pandas.DataFrame
        Needs ``opportunity_id``, ``status``, ``amount``, ``expected_close_date``
        (and ``stage`` when ``win_probability`` is None).
    win_probability : pandas.Series, float or None
        Win probability per ``opportunity_id`` (e.g.
        :func:`salesnb.models.conversion.score`), one probability for all
        deals, or None for the historical win rate of the deal's stage
        (:func:`stage_win_rates`).
    as_of : timestamp
        The date the pipeline is looked at.
    freq : {"M", "W"}

    Returns
    -------
    pandas.DataFrame
        ``period``, ``open_deals``, ``pipeline_amount`` (unweighted),
        ``expected_amount`` (weighted), ``overdue_deals``.

    Examples
    --------
    >>> opps = pd.DataFrame({
    ...     "opportunity_id": ["a", "b", "c"], "status": ["open", "open", "won"],
    ...     "amount": [100.0, 200.0, 50.0],
    ...     "expected_close_date": pd.to_datetime(["2025-01-10", "2025-03-05", "2024-12-01"])})
    >>> pipeline_weighted_forecast(opps, pd.Series({"a": 0.5, "b": 0.25}), as_of="2024-12-31")
          period  open_deals  pipeline_amount  expected_amount  overdue_deals
    0 2024-12-01           0              0.0              0.0              0
    1 2025-01-01           1            100.0             50.0              0
    2 2025-02-01           0              0.0              0.0              0
    3 2025-03-01           1            200.0             50.0              0
    """
    _require(
        opportunities,
        ["opportunity_id", "status", "amount", "expected_close_date"],
        "opportunities",
    )
    index_freq = _index_freq(freq)
    as_of = pd.Timestamp(as_of)
    is_open = opportunities["status"].astype("object").eq("open")
    if "created_at" in opportunities.columns:
        is_open &= ~opportunities["created_at"].gt(as_of)
    open_deals = opportunities.loc[is_open]
    ids = open_deals["opportunity_id"].astype("object")
    if win_probability is None:
        _require(opportunities, ["stage"], "opportunities")
        rates = stage_win_rates(opportunities, as_of=as_of).set_index("stage")["win_rate"]
        p = open_deals["stage"].astype("object").map(rates).to_numpy(dtype=float)
    elif np.isscalar(win_probability):
        p = np.full(len(open_deals), float(win_probability))
    else:
        wp = pd.Series(win_probability)
        wp.index = wp.index.astype("object")
        missing = ids[~ids.isin(wp.index)]
        if len(missing):
            raise ValueError(
                f"win_probability has no value for {len(missing)} open deal(s), "
                f"e.g. {list(missing[:5])}"
            )
        p = wp.reindex(ids.to_numpy()).to_numpy(dtype=float)
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("win probabilities must be between 0 and 1")
    first = _timestamp_period_start(as_of, index_freq)
    period = _period_start(open_deals["expected_close_date"], index_freq)
    overdue = period.isna() | period.lt(first)
    period = period.where(~overdue, first)
    frame = pd.DataFrame(
        {
            "period": period.to_numpy(),
            "open_deals": 1,
            "pipeline_amount": open_deals["amount"].to_numpy(dtype=float),
            "expected_amount": open_deals["amount"].to_numpy(dtype=float) * p,
            "overdue_deals": overdue.to_numpy().astype(int),
        }
    )
    last = frame["period"].max() if len(frame) else first
    index = pd.date_range(first, max(first, last), freq=index_freq, name="period")
    out = frame.groupby("period").sum().reindex(index, fill_value=0).reset_index()
    return out.astype(
        {
            "open_deals": int,
            "overdue_deals": int,
            "pipeline_amount": float,
            "expected_amount": float,
        }
    )


def compare_forecasts(time_series: pd.DataFrame, pipeline: pd.DataFrame) -> pd.DataFrame:
    """Put the time-series forecast and the pipeline-weighted forecast side by side.

    Rows are the periods of ``time_series`` (:func:`forecast_next_quarter`);
    pipeline values of periods not in ``pipeline`` are 0. The pipeline only
    holds deals open today, so ``pipeline_share`` (``pipeline_expected /
    ts_forecast``) is the part of the forecast the current pipeline already
    covers; the rest must come from deals not yet created (or from revenue
    not tracked as opportunities).

    Returns
    -------
    pandas.DataFrame
        ``period``, ``ts_forecast``, ``ts_lower``, ``ts_upper``,
        ``pipeline_amount``, ``pipeline_expected``, ``difference``
        (``pipeline_expected - ts_forecast``), ``pipeline_share``.

    Examples
    --------
    >>> ts = pd.DataFrame({"period": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    ...                    "forecast": [100.0, 80.0], "lower": [90.0, 70.0], "upper": [110.0, 90.0]})
    >>> pipe = pd.DataFrame({"period": pd.to_datetime(["2025-01-01"]),
    ...                      "pipeline_amount": [120.0], "expected_amount": [60.0]})
    >>> compare_forecasts(ts, pipe)[["period", "ts_forecast", "pipeline_expected", "pipeline_share"]]
          period  ts_forecast  pipeline_expected  pipeline_share
    0 2025-01-01        100.0               60.0             0.6
    1 2025-02-01         80.0                0.0             0.0
    """
    _require(time_series, ["period", "forecast", "lower", "upper"], "time-series forecast")
    _require(pipeline, ["period", "pipeline_amount", "expected_amount"], "pipeline forecast")
    ts = time_series[["period", "forecast", "lower", "upper"]].rename(
        columns={"forecast": "ts_forecast", "lower": "ts_lower", "upper": "ts_upper"}
    )
    pipe = pipeline[["period", "pipeline_amount", "expected_amount"]].rename(
        columns={"expected_amount": "pipeline_expected"}
    )
    out = ts.merge(pipe, on="period", how="left")
    out[["pipeline_amount", "pipeline_expected"]] = out[
        ["pipeline_amount", "pipeline_expected"]
    ].fillna(0.0)
    out["difference"] = out["pipeline_expected"] - out["ts_forecast"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pipeline_share"] = np.where(
            out["ts_forecast"] > 0, out["pipeline_expected"] / out["ts_forecast"], np.nan
        )
    return out
