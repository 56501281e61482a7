"""Win probabilities of open leads and deals, and the pipeline's honest choice of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesnb.models.conversion.baselines import RateBaseline  # noqa: F401 - score example
from salesnb.models.conversion.evaluation import evaluate_conversion, scorer_words, skill_check
from salesnb.models.conversion.outcomes import (  # noqa: F401 - training_data: score example
    _ID_OF,
    _kind,
    _leads_target,
    training_data,
)

__all__ = ["score", "PipelineProbability", "pipeline_win_probability"]


def score(
    model, table: pd.DataFrame, *, kind: str | None = None, open_only: bool = True
) -> pd.Series:
    """Win (conversion) probability of each open lead or open deal.

    Open leads are those not converted (``converted`` False, or no
    ``converted_at``); open deals have ``status == "open"``. With
    ``open_only=False`` every row is scored.

    Returns
    -------
    pandas.Series
        Named ``"win_probability"``, indexed by ``lead_id`` / ``opportunity_id``
        - the input of :func:`salesnb.models.forecast.pipeline_weighted_forecast`.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c"], "status": ["won", "lost", "open"],
    ...                      "product": ["x", "y", "x"]})
    >>> X, y = training_data(opps)
    >>> score(RateBaseline("product", smoothing=0).fit(X, y), opps)
    opportunity_id
    c    1.0
    Name: win_probability, dtype: float64
    """
    kind = _kind(table, kind)
    id_col = _ID_OF[kind]
    if id_col not in table.columns:
        raise ValueError(f"{kind} need an {id_col} column to label the scores")
    rows = table
    if open_only:
        if kind == "leads":
            rows = table.loc[~_leads_target(table).to_numpy()]
        else:
            rows = table.loc[table["status"].astype("object").eq("open").to_numpy()]
    p = model.predict_proba(rows)[:, 1] if len(rows) else np.array([], dtype=float)
    index = pd.Index(rows[id_col].to_numpy(dtype=object), name=id_col)
    return pd.Series(p, index=index, name="win_probability")


@dataclass(frozen=True)
class PipelineProbability:
    """Win probabilities for the pipeline-weighted forecast, and why they were chosen.

    Attributes
    ----------
    win_probability : pandas.Series or None
        Per open ``opportunity_id``; None means "use the historical win rate of
        each deal's stage" (:func:`salesnb.models.forecast.stage_win_rates`).
    source : str
        ``"model:<name>"`` or ``"stage_win_rates"``.
    reason : str
        One sentence a report can show.
    metrics : pandas.DataFrame
        The out-of-time evaluation behind the choice.
    """

    win_probability: pd.Series | None
    source: str
    reason: str
    metrics: pd.DataFrame


def pipeline_win_probability(
    opportunities: pd.DataFrame,
    *,
    models: Sequence[str] = ("logistic", "hgb"),
    margin: float = 0.02,
    test_size: float = 0.25,
    random_state: int = 0,
) -> PipelineProbability:
    """Choose the win probability of open deals honestly: model or stage history.

    The deal-scoring models are evaluated out of time on closed deals
    (:func:`evaluate_conversion`). The best model by ROC AUC is used to score
    the open deals only when it beats the best baseline (prior, one-feature
    rate) by at least ``margin`` ROC AUC (:func:`skill_check`); otherwise the
    pipeline is weighted by the historical win rate of each deal's stage, which
    needs no model. The stage itself cannot be the tested baseline: on closed
    deals it is the furthest stage reached, which encodes the outcome.

    Raises
    ------
    ValueError
        No closed deals of both outcomes to learn from.
    """
    evaluation = evaluate_conversion(
        opportunities,
        kind="opportunities",
        models=models,
        test_size=test_size,
        random_state=random_state,
        n_repeats=1,
    )
    metrics = evaluation.metrics
    check = skill_check(metrics, margin=margin)
    scale = "on the most recent closed deals (1.0 is perfect, 0.5 is chance)"
    model = scorer_words(check.model, what="deals")
    base = scorer_words(check.baseline, what="deals")
    if check.beats:
        name = check.model
        proba = score(evaluation.models[name], opportunities, kind="opportunities")
        reason = (
            f"Open deals are weighted by the {model}: it ranks deals better than the simple "
            f"rule ({base}), AUC {check.model_auc:.2f} vs {check.baseline_auc:.2f} {scale}."
        )
        return PipelineProbability(proba, f"model:{name}", reason, metrics)
    reason = (
        f"Open deals are weighted by the historical win rate of their stage: no deal-scoring "
        f"model beats the simple rule (the {model} reaches AUC {check.model_auc:.2f} against "
        f"{check.baseline_auc:.2f} for the {base} {scale})."
    )
    return PipelineProbability(None, "stage_win_rates", reason, metrics)
