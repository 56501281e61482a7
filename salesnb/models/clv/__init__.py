"""Customer lifetime value: RFM summaries, BG/NBD, Gamma-Gamma, an ML model and holdout checks."""

from salesnb.models.clv.beta_geo import (
    HOLDOUT_COLUMNS,
    TIME_UNITS,
    BetaGeo,
    GammaGamma,
    MLCustomerValue,
    beta_geo_log_likelihood,
    compare_on_holdout,
    evaluate_holdout,
    features,
    gamma_gamma_log_likelihood,
    holdout_predictions,
    naive_holdout_baseline,
    predicted_customer_value,
    rfm_summary,
    simulate_beta_geo,
)

__all__ = [
    "HOLDOUT_COLUMNS",
    "TIME_UNITS",
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
