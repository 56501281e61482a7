"""pipeline KPIs."""

from salesnb.kpi.pipeline.deals import (
    DEFAULT_STALE_THRESHOLDS,
    average_deal_size,
    cycle_vs_team,
    lead_conversion_rate,
    new_leads,
    pipeline_coverage,
    sales_cycle_days,
    sales_velocity,
    slipped_deals,
    stage_funnel,
    stale_deals,
    win_rate,
)

__all__ = [
    "DEFAULT_STALE_THRESHOLDS",
    "new_leads",
    "lead_conversion_rate",
    "stage_funnel",
    "win_rate",
    "average_deal_size",
    "sales_cycle_days",
    "cycle_vs_team",
    "sales_velocity",
    "pipeline_coverage",
    "stale_deals",
    "slipped_deals",
]
