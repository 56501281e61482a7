"""customers KPIs."""

from salesnb.kpi.customers.lifetime_value import (
    RFM_SEGMENTS,
    acquisition_cost,
    churn_rate,
    cohort_retention,
    engagement_after_purchase,
    historical_clv,
    retention_matrix,
    retention_rate,
    rfm_scores,
)

__all__ = [
    "RFM_SEGMENTS",
    "rfm_scores",
    "cohort_retention",
    "retention_matrix",
    "churn_rate",
    "retention_rate",
    "engagement_after_purchase",
    "historical_clv",
    "acquisition_cost",
]
