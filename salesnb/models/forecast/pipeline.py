"""Pipeline-weighted forecast: open deals x win probability, next to the time-series forecast.

Stages follow the company's pipeline (:class:`salesnb.stages.SalesPipeline`, by default
the contract's four stages); stage values are matched to it ignoring case and spaces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.models.forecast.series import (
    _index_freq,
    _period_start,
    _require,
    _timestamp_period_start,
)
from salesnb.stages import DEFAULT_PIPELINE, SalesPipeline

__all__ = ["stage_win_rates", "pipeline_weighted_forecast", "compare_forecasts"]

_METHODS = ("history", "declared")


def _stage_positions(stage: pd.Series, pipeline: SalesPipeline) -> pd.Series:
    """0-based pipeline position of each row's ``stage``; NaN for a deal without a stage.

    Missing and blank values and the pipeline's won/lost values mean "no stage".

    Raises
    ------
    ValueError
        For values that are not stages of the pipeline (the message lists them).
    """
    values = stage.astype("object")
    positions, unknown = {}, []
    for value in values.dropna().unique():
        if not str(value).strip() or pipeline.outcome(value) is not None:
            continue
        name = pipeline.canonical(value)
        if name is None:
            unknown.append(str(value))
        else:
            positions[value] = float(pipeline.names.index(name))
    if unknown:
        shown = sorted(unknown)
        raise ValueError(
            f"opportunities.stage holds {len(shown)} value(s) that are not stages of the "
            f"pipeline: {shown[:10]}{' ...' if len(shown) > 10 else ''}; expected one of "
            f"{', '.join(pipeline.names)} (case and spaces ignored), a won/lost value or "
            f"empty. Pass pipeline= with the company's stages."
        )
    return values.map(positions).astype(float)


def _check_method(method: str, pipeline: SalesPipeline) -> None:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    if method == "declared" and not pipeline.probabilities:
        raise ValueError(
            "method='declared' needs a pipeline that declares a probability for its stages; "
            f"this one declares none ({', '.join(pipeline.names)})"
        )


def stage_win_rates(
    opportunities: pd.DataFrame,
    *,
    as_of=None,
    pipeline: SalesPipeline | None = None,
    method: str = "history",
) -> pd.DataFrame:
    """Win rate of deals that reached each stage: from history, or as the pipeline declares.

    ``method="history"`` (default): ``stage`` holds the furthest stage a deal
    reached, so for stage ``s`` the rate is ``won / closed`` among closed deals
    (status won or lost, closed on or before ``as_of`` when given and
    ``closed_at`` exists) whose stage is ``s`` or later in ``pipeline``. A
    closed deal without a stage (missing, blank or a won/lost value) counts as
    reaching every stage when won and the first stage only when lost. A stage
    no closed deal reached (``fallback`` is True) gets its declared
    ``probability`` when the pipeline declares one, else the overall closed
    win rate.

    ``method="declared"``: the stage's declared ``probability`` (CRM default
    probabilities, e.g. Salesforce's); stages without one take the historical
    rate above (``fallback`` is True for them). ``closed`` and ``won`` always
    count history.

    Parameters
    ----------
    opportunities : pandas.DataFrame
        Needs ``stage`` and ``status``.
    as_of : timestamp, optional
    pipeline : SalesPipeline, optional
        The company's pipeline (``SalesData.pipeline``); None means
        :data:`salesnb.stages.DEFAULT_PIPELINE`.
    method : {"history", "declared"}

    Returns
    -------
    pandas.DataFrame
        ``stage``, ``closed``, ``won``, ``win_rate``, ``fallback``; one row per
        stage of the pipeline, in order.

    Raises
    ------
    ValueError
        An unknown ``method``, ``"declared"`` with a pipeline that declares no
        probability, or ``stage`` values that are not stages of the pipeline.

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

    A pipeline declaring a probability for its last stage:

    >>> from salesnb.stages import SalesPipeline
    >>> crm = SalesPipeline.from_mapping({"stages": [
    ...     "Qualification", "Proposal", {"name": "Negotiation", "probability": 0.8}]})
    >>> stage_win_rates(opps, pipeline=crm, method="declared")
               stage  closed  won  win_rate  fallback
    0  Qualification       4    1  0.250000      True
    1       Proposal       3    1  0.333333      True
    2    Negotiation       2    1  0.800000     False
    """
    _require(opportunities, ["stage", "status"], "opportunities")
    pipeline = DEFAULT_PIPELINE if pipeline is None else pipeline
    _check_method(method, pipeline)
    status = opportunities["status"].astype("object")
    closed = status.isin(["won", "lost"])
    if as_of is not None and "closed_at" in opportunities.columns:
        closed &= opportunities["closed_at"].le(pd.Timestamp(as_of))
    won = status.eq("won")
    rank = _stage_positions(opportunities["stage"], pipeline)
    rank = rank.where(rank.notna() | ~won, float(len(pipeline.stages) - 1)).fillna(0.0)
    total_closed = int(closed.sum())
    overall = won[closed].sum() / total_closed if total_closed else np.nan
    declared = pipeline.probabilities
    rows = []
    for i, stage in enumerate(pipeline.names):
        reached = closed & rank.ge(i)
        n = int(reached.sum())
        w = int((reached & won).sum())
        rate, fallback = (w / n, False) if n else (declared.get(stage, overall), True)
        if method == "declared":
            rate, fallback = (declared[stage], False) if stage in declared else (rate, True)
        rows.append({"stage": stage, "closed": n, "won": w, "win_rate": rate, "fallback": fallback})
    return pd.DataFrame(rows)


def _open_deals(opportunities: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Deals with status open, created by ``as_of`` (a deal without ``created_at`` counts)."""
    is_open = opportunities["status"].astype("object").eq("open")
    if "created_at" in opportunities.columns:
        is_open &= ~opportunities["created_at"].gt(as_of)
    return opportunities.loc[is_open]


def _deal_probabilities(
    opportunities, open_deals, win_probability, *, as_of, pipeline, method
) -> np.ndarray:
    """Win probability of each open deal (see :func:`pipeline_weighted_forecast`)."""
    ids = open_deals["opportunity_id"].astype("object")
    if win_probability is None:
        _require(opportunities, ["stage"], "opportunities")
        rates = stage_win_rates(opportunities, as_of=as_of, pipeline=pipeline, method=method)
        position = _stage_positions(open_deals["stage"], pipeline).fillna(0.0)
        return rates["win_rate"].to_numpy(dtype=float)[position.to_numpy(dtype=int)]
    if np.isscalar(win_probability):
        return np.full(len(open_deals), float(win_probability))
    wp = pd.Series(win_probability)
    wp.index = wp.index.astype("object")
    missing = ids[~ids.isin(wp.index)]
    if len(missing):
        raise ValueError(
            f"win_probability has no value for {len(missing)} open deal(s), "
            f"e.g. {list(missing[:5])}"
        )
    return wp.reindex(ids.to_numpy()).to_numpy(dtype=float)


def pipeline_weighted_forecast(
    opportunities: pd.DataFrame,
    win_probability: pd.Series | float | None = None,
    *,
    as_of,
    freq: str = "M",
    pipeline: SalesPipeline | None = None,
    method: str = "history",
) -> pd.DataFrame:
    """Expected revenue from open deals: amount x win probability, by expected close period.

    Open deals are ``status == "open"`` (and ``created_at <= as_of`` when that
    column exists; a deal without ``created_at`` counts). Each contributes
    ``amount * p`` to the period of its ``expected_close_date``; deals whose
    expected close date is missing or before the period containing ``as_of``
    (overdue) are put in the ``as_of`` period and counted in
    ``overdue_deals``. Periods run from the ``as_of`` period to the last
    expected close period, gaps as 0. An open deal without ``amount`` counts
    in ``open_deals`` and ``deals_without_amount`` but adds nothing to
    ``pipeline_amount`` or ``expected_amount`` (its probability may be
    missing).

    Parameters
    ----------
    opportunities : pandas.DataFrame
        Needs ``opportunity_id``, ``status``, ``amount``, ``expected_close_date``
        (and ``stage`` when ``win_probability`` is None).
    win_probability : pandas.Series, float or None
        Win probability per ``opportunity_id`` (e.g.
        :func:`salesnb.models.conversion.score`), one probability for all
        deals, or None for the win rate of the deal's stage from
        :func:`stage_win_rates` with ``pipeline`` and ``method`` (an open deal
        without a stage takes the first stage's).
    as_of : timestamp
        The date the pipeline is looked at.
    freq : {"M", "W"}
    pipeline : SalesPipeline, optional
        The company's pipeline (``SalesData.pipeline``); None means
        :data:`salesnb.stages.DEFAULT_PIPELINE`. Used when ``win_probability``
        is None.
    method : {"history", "declared"}
        How stage win rates are set when ``win_probability`` is None: closed
        deals' history (default), or the pipeline's declared probabilities
        (history for stages without one), see :func:`stage_win_rates`.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``open_deals``, ``pipeline_amount`` (unweighted),
        ``expected_amount`` (weighted), ``overdue_deals``,
        ``deals_without_amount``.

    Raises
    ------
    ValueError
        A probability outside 0-1 (or missing for a deal with an amount), no
        probability for an open deal, or an error of :func:`stage_win_rates`.

    Examples
    --------
    >>> opps = pd.DataFrame({
    ...     "opportunity_id": ["a", "b", "c"], "status": ["open", "open", "won"],
    ...     "amount": [100.0, 200.0, 50.0],
    ...     "expected_close_date": pd.to_datetime(["2025-01-10", "2025-03-05", "2024-12-01"])})
    >>> out = pipeline_weighted_forecast(opps, pd.Series({"a": 0.5, "b": 0.25}),
    ...                                  as_of="2024-12-31")
    >>> out[["period", "open_deals", "pipeline_amount", "expected_amount", "overdue_deals"]]
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
    pipeline = DEFAULT_PIPELINE if pipeline is None else pipeline
    _check_method(method, pipeline)
    index_freq = _index_freq(freq)
    as_of = pd.Timestamp(as_of)
    open_deals = _open_deals(opportunities, as_of)
    p = _deal_probabilities(
        opportunities, open_deals, win_probability, as_of=as_of, pipeline=pipeline, method=method
    )
    amount = pd.to_numeric(open_deals["amount"], errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(amount)
    if (np.isnan(p) & known).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("win probabilities must be between 0 and 1")
    first = _timestamp_period_start(as_of, index_freq)
    period = _period_start(open_deals["expected_close_date"], index_freq)
    overdue = period.isna() | period.lt(first)
    period = period.where(~overdue, first)
    value = np.where(known, amount, 0.0)
    frame = pd.DataFrame(
        {
            "period": period.to_numpy(),
            "open_deals": 1,
            "pipeline_amount": value,
            "expected_amount": value * np.where(known, p, 0.0),
            "overdue_deals": overdue.to_numpy().astype(int),
            "deals_without_amount": (~known).astype(int),
        }
    )
    last = frame["period"].max() if len(frame) else first
    index = pd.date_range(first, max(first, last), freq=index_freq, name="period")
    out = frame.groupby("period").sum().reindex(index, fill_value=0).reset_index()
    return out.astype(
        {
            "open_deals": int,
            "overdue_deals": int,
            "deals_without_amount": int,
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
