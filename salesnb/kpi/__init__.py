"""Sales KPIs: pure functions, one module or package per family (frame in, new frame out).

Families: :mod:`~salesnb.kpi.pipeline` (leads, funnel, win rate, cycle, velocity; the pipeline
over time from the deal history),
:mod:`~salesnb.kpi.team` (quotas, leaderboard, activities, satisfaction),
:mod:`~salesnb.kpi.customers` (RFM, cohorts, retention, churn, CLV, CAC),
:mod:`~salesnb.kpi.revenue` (revenue, growth, new vs recurring, targets, forecast
accuracy), :mod:`~salesnb.kpi.bridge` (revenue bridge: price, volume, mix, customers),
:mod:`~salesnb.kpi.planning` (quota planner: pipeline to create, by when, what-ifs),
:mod:`~salesnb.kpi.collections` (order status, payments, receivables, DSO)
and :mod:`~salesnb.kpi.market` (price index).

Every KPI takes pandas or polars DataFrames, or lazy frames (polars LazyFrame, DuckDB
relation from any connection, PySpark DataFrame), and returns the same kind, lazy
inputs giving lazy results on the same engine; polars is not needed for DuckDB or
Spark. Dask is not supported (a ``TypeError`` names the type received and the
supported engines). See :mod:`salesnb.periods` for periods and fiscal years.
"""

from salesnb.kpi._frame import MissingColumnsError
from salesnb.kpi.bridge import BRIDGE_STEPS, revenue_bridge
from salesnb.kpi.collections import (
    AGEING_BUCKETS,
    days_sales_outstanding,
    order_status_rates,
    payment_status,
    receivables_ageing,
)
from salesnb.kpi.customers import (
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
from salesnb.kpi.market import (
    price_index,
)
from salesnb.kpi.pipeline import (
    DEFAULT_STALE_THRESHOLDS,
    WATERFALL_STEPS,
    average_deal_size,
    cycle_vs_team,
    lead_conversion_rate,
    new_leads,
    opportunities_as_of,
    pipeline_coverage,
    pipeline_waterfall,
    sales_cycle_days,
    sales_velocity,
    slipped_deals,
    stage_conversion,
    stage_funnel,
    stale_deals,
    win_rate,
)
from salesnb.kpi.planning import PLAN_COLUMNS, quota_plan, quota_plan_from_opportunities
from salesnb.kpi.revenue import (
    actual_vs_projected,
    forecast_accuracy,
    new_vs_recurring_revenue,
    revenue,
    revenue_per_customer,
    revenue_per_rep,
    sales_volume,
    target_attainment,
)
from salesnb.kpi.team import (
    activity_summary,
    employee_satisfaction,
    leaderboard,
    quota_attainment,
    rep_effectiveness,
    scheduled_visits,
    share_at_quota,
)

__all__ = [
    "MissingColumnsError",
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
    "WATERFALL_STEPS",
    "opportunities_as_of",
    "stage_conversion",
    "pipeline_waterfall",
    "quota_attainment",
    "share_at_quota",
    "leaderboard",
    "rep_effectiveness",
    "scheduled_visits",
    "activity_summary",
    "employee_satisfaction",
    "RFM_SEGMENTS",
    "rfm_scores",
    "cohort_retention",
    "retention_matrix",
    "churn_rate",
    "retention_rate",
    "engagement_after_purchase",
    "historical_clv",
    "acquisition_cost",
    "revenue",
    "sales_volume",
    "new_vs_recurring_revenue",
    "revenue_per_customer",
    "revenue_per_rep",
    "target_attainment",
    "actual_vs_projected",
    "forecast_accuracy",
    "BRIDGE_STEPS",
    "revenue_bridge",
    "PLAN_COLUMNS",
    "quota_plan",
    "quota_plan_from_opportunities",
    "AGEING_BUCKETS",
    "order_status_rates",
    "payment_status",
    "receivables_ageing",
    "days_sales_outstanding",
    "price_index",
]
