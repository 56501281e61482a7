"""Each customer's predicted value over the coming months: BG/NBD + Gamma-Gamma, ML or naive."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from salesnb.models.clv.beta_geo import BetaGeo
from salesnb.models.clv.gamma_gamma import GammaGamma
from salesnb.models.clv.holdout import _ml_training_window, naive_holdout_baseline
from salesnb.models.clv.ml import MLCustomerValue, features
from salesnb.models.clv.summary import rfm_summary

__all__ = ["VALUE_METHODS", "predicted_customer_value"]

#: Methods of :func:`predicted_customer_value`, with the names
#: :func:`~salesnb.models.clv.holdout.compare_on_holdout` gives them.
VALUE_METHODS: dict[str, str] = {
    "bgnbd": "BG/NBD + Gamma-Gamma",
    "ml": "machine learning",
    "naive": "naive_baseline",
}

_WEEKS_PER_MONTH = 4.345


def _discounted_months(horizon_months: int, discount_rate: float) -> float:
    """``sum_{k=1..H} (1 + d)^-k``: the value today of one unit of spend in each month."""
    months = np.arange(1, int(horizon_months) + 1)
    return float(np.sum((1.0 + discount_rate) ** -months))


def predicted_customer_value(
    transactions: Any,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    observation_end: Any,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    method: str = "bgnbd",
    random_state: int = 0,
    n_threads: int | None = 1,
) -> pd.DataFrame:
    """Each customer's predicted value over the coming months.

    Every method sees all purchases up to ``observation_end``:

    - ``"bgnbd"``: BG/NBD + Gamma-Gamma fitted on them; the value is
      :meth:`GammaGamma.customer_lifetime_value` over ``horizon_months``
      discounted by ``discount_rate`` per month.
    - ``"ml"``: :class:`MLCustomerValue` trained on features up to
      ``observation_end - horizon`` and the spend of the horizon after it
      (shortened to half the history when the data do not reach back that
      far, as in :func:`compare_on_holdout`), then applied to features at
      ``observation_end``. Its weekly spend rate ``s`` gives ``value = s *
      4.345 * sum_{k=1..H} (1 + d)^-k``.
    - ``"naive"``: the naive baseline of the holdout check, the repeat spend
      per week since the first purchase carried forward
      (``frequency / T * monetary_value``, 0 without a repeat purchase),
      discounted like ``"ml"``.

    Returns
    -------
    DataFrame
        The :func:`rfm_summary` columns plus ``predicted_value``, indexed by
        customer, highest value first (ties in summary order).

    Raises
    ------
    ValueError
        An unknown ``method``, or (``"ml"``) all purchases on one day.
    """
    if method not in VALUE_METHODS:
        raise ValueError(f"method must be one of {sorted(VALUE_METHODS)}, got {method!r}")
    columns = {"customer_col": customer_col, "date_col": date_col, "amount_col": amount_col}
    summary = rfm_summary(transactions, observation_end=observation_end, **columns)
    discount = _discounted_months(horizon_months, discount_rate) * _WEEKS_PER_MONTH
    if method == "bgnbd":
        beta_geo = BetaGeo().fit(summary)
        gamma_gamma = GammaGamma().fit(summary.loc[summary["frequency"] > 0])
        value = gamma_gamma.customer_lifetime_value(
            beta_geo, summary, horizon_months=horizon_months, discount_rate=discount_rate
        ).to_numpy()
    elif method == "naive":
        weekly = naive_holdout_baseline(summary.assign(duration_holdout=1.0))["spend"]
        value = weekly.to_numpy() * discount
    else:
        end = summary.attrs["observation_end"]
        first_day = end - pd.Timedelta(days=round(float(summary["T"].max()) * 7))
        window = _ml_training_window(
            first_day, end, end - pd.DateOffset(months=int(horizon_months))
        )
        train = features(
            transactions, calibration_end=window["features_end"], holdout_end=end, **columns
        )
        now = features(transactions, calibration_end=end, **columns)
        model = MLCustomerValue(random_state=random_state, n_threads=n_threads).fit(train)
        weekly = model.predict(now.reindex(summary.index), duration=1.0)
        value = weekly.to_numpy() * discount
    return summary.assign(predicted_value=value).sort_values(
        "predicted_value", ascending=False, kind="stable"
    )
