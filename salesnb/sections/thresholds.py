"""The thresholds of the attention list's rules (see :func:`salesnb.sections.attention`)."""

from __future__ import annotations

__all__ = [
    "DECLINE_QUARTERS",
    "USUAL_RANGE_QUARTERS",
    "USUAL_RANGE_SD",
    "SLOW_CYCLE_RATIO",
    "UNDERCUT_THRESHOLD",
    "SATISFACTION_SLOPE",
    "REJECTED_SHARE",
    "RECENT_BACKORDER_DAYS",
]

#: Rules of the attention list (see :func:`salesnb.sections.attention`).
DECLINE_QUARTERS = 4
USUAL_RANGE_QUARTERS = 8
USUAL_RANGE_SD = 2.0
SLOW_CYCLE_RATIO = 1.75
UNDERCUT_THRESHOLD = 0.10
SATISFACTION_SLOPE = -1.0

#: A table with more than this share of its rows rejected at load is raised.
REJECTED_SHARE = 0.01

#: A backorder placed this many days before the report date or later is an order
#: still in progress, not (yet) a stock problem.
RECENT_BACKORDER_DAYS = 42
