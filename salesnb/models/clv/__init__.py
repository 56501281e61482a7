"""Customer lifetime value: RFM summaries, BG/NBD, Gamma-Gamma, an ML model and holdout checks.

The pieces, in the order a CLV analysis uses them, one module each:

- :func:`rfm_summary` (:mod:`~salesnb.models.clv.summary`) turns a transaction
  table into one row per customer (``frequency``, ``recency``, ``T``,
  ``monetary_value`` and, with a calibration/holdout split, the holdout counts
  and spend).
- :class:`BetaGeo` (:mod:`~salesnb.models.clv.beta_geo`) is the BG/NBD model of
  repeat purchasing (Fader, Hardie & Lee 2005) and :class:`GammaGamma`
  (:mod:`~salesnb.models.clv.gamma_gamma`) the Gamma-Gamma model of spend per
  transaction (Fader & Hardie 2013). Both are fitted by maximum likelihood and
  report standard errors; :mod:`~salesnb.models.clv.beta_geo` explains why they
  are written here instead of coming from a library.
- :func:`features` and :class:`MLCustomerValue` (:mod:`~salesnb.models.clv.ml`)
  are a machine-learning alternative that predicts holdout spend from
  calibration-period features.
- :func:`holdout_predictions`, :func:`naive_holdout_baseline` and
  :func:`evaluate_holdout` (:mod:`~salesnb.models.clv.holdout`) compare any of
  these on a holdout period, next to a naive "same rate as before" baseline;
  :func:`compare_on_holdout` runs that comparison on a transaction table.
- :func:`predicted_customer_value` (:mod:`~salesnb.models.clv.value`) ranks
  customers by their predicted value over the coming months, with BG/NBD +
  Gamma-Gamma, the ML model or the naive baseline (:data:`VALUE_METHODS`).

Units: every time quantity (``recency``, ``T``, ``t``, ``duration_holdout``)
is in the ``time_unit`` that :func:`rfm_summary` was given (weeks by default),
and the model parameters ``alpha`` (BG/NBD) are in the same unit.
"""

from salesnb.models.clv.beta_geo import BetaGeo, beta_geo_log_likelihood, simulate_beta_geo
from salesnb.models.clv.gamma_gamma import GammaGamma, gamma_gamma_log_likelihood
from salesnb.models.clv.holdout import (
    compare_on_holdout,
    evaluate_holdout,
    holdout_predictions,
    naive_holdout_baseline,
)
from salesnb.models.clv.ml import MLCustomerValue, features
from salesnb.models.clv.summary import HOLDOUT_COLUMNS, TIME_UNITS, rfm_summary
from salesnb.models.clv.value import VALUE_METHODS, predicted_customer_value

__all__ = [
    "HOLDOUT_COLUMNS",
    "TIME_UNITS",
    "VALUE_METHODS",
    "BetaGeo",
    "GammaGamma",
    "MLCustomerValue",
    "beta_geo_log_likelihood",
    "compare_on_holdout",
    "predicted_customer_value",
    "evaluate_holdout",
    "features",
    "gamma_gamma_log_likelihood",
    "holdout_predictions",
    "naive_holdout_baseline",
    "rfm_summary",
    "simulate_beta_geo",
]
