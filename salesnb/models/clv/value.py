"""Each customer's predicted value over the coming months, from BG/NBD + Gamma-Gamma."""

from __future__ import annotations

from typing import Any

import pandas as pd

from salesnb.models.clv.beta_geo import BetaGeo
from salesnb.models.clv.gamma_gamma import GammaGamma
from salesnb.models.clv.summary import rfm_summary

__all__ = ["predicted_customer_value"]


def predicted_customer_value(
    transactions: Any,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    observation_end: Any,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
) -> pd.DataFrame:
    """Each customer's predicted value over the coming months (BG/NBD + Gamma-Gamma).

    Both models are fitted on all purchases up to ``observation_end``; the
    value is :meth:`GammaGamma.customer_lifetime_value` over
    ``horizon_months`` discounted by ``discount_rate`` per month.

    Returns
    -------
    DataFrame
        The :func:`rfm_summary` columns plus ``predicted_value``, indexed by
        customer, highest value first.
    """
    summary = rfm_summary(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        observation_end=observation_end,
    )
    beta_geo = BetaGeo().fit(summary)
    gamma_gamma = GammaGamma().fit(summary.loc[summary["frequency"] > 0])
    value = gamma_gamma.customer_lifetime_value(
        beta_geo, summary, horizon_months=horizon_months, discount_rate=discount_rate
    )
    return summary.assign(predicted_value=value).sort_values(
        "predicted_value", ascending=False, kind="stable"
    )
