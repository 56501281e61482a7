"""team KPIs."""

from salesnb.kpi.team.effectiveness import (
    activity_summary,
    employee_satisfaction,
    leaderboard,
    quota_attainment,
    rep_effectiveness,
    scheduled_visits,
    share_at_quota,
)

__all__ = [
    "quota_attainment",
    "share_at_quota",
    "leaderboard",
    "rep_effectiveness",
    "scheduled_visits",
    "activity_summary",
    "employee_satisfaction",
]
