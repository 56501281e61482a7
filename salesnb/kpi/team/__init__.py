"""Sales-team KPIs: quota attainment, leaderboard, rep effectiveness, activities, eNPS.

Modules: :mod:`~salesnb.kpi.team.quota` (quota attainment, share at quota),
:mod:`~salesnb.kpi.team.leaderboard`, :mod:`~salesnb.kpi.team.effectiveness` (rep
effectiveness), :mod:`~salesnb.kpi.team.activities` (scheduled visits, activity
summary) and :mod:`~salesnb.kpi.team.satisfaction` (eNPS).

Same conventions as :mod:`salesnb.kpi.pipeline`: frame in, new frame of the
same kind out (pandas, polars, polars LazyFrame, DuckDB relation), options
after ``*``, periods from :mod:`salesnb.periods`, ``as_of`` counts whole days, rates are
missing (not 0) with a ``note`` when their denominator is empty.

Revenue is the sum of ``orders.amount`` of the orders that are not
cancelled (``status != "cancelled"``; pass ``include_cancelled=True`` to keep
them), credited to ``orders.rep_id``; ``order_date`` decides the period.
Rep quotas are the ``targets`` rows with ``level == "rep"`` (``key`` is the
``rep_id``) whose ``period`` label has the frequency asked for.

Examples
--------
On the bundled sample company:

>>> import salesnb
>>> from salesnb import kpi
>>> data = salesnb.load(salesnb.SAMPLE_DATA)
>>> board = kpi.leaderboard(data.orders, period="2026Q3", reps=data.reps)
>>> print(board.sort_values("revenue_rank")[["rep_id", "revenue", "revenue_rank"]]
...       .head(3).round(2).to_string(index=False))
rep_id  revenue  revenue_rank
  R021 59476.78             1
  R018 57750.35             2
  R027 40936.36             3
"""

from salesnb.kpi.team.activities import activity_summary, scheduled_visits
from salesnb.kpi.team.effectiveness import rep_effectiveness
from salesnb.kpi.team.leaderboard import leaderboard
from salesnb.kpi.team.quota import quota_attainment, share_at_quota
from salesnb.kpi.team.satisfaction import employee_satisfaction

__all__ = [
    "quota_attainment",
    "share_at_quota",
    "leaderboard",
    "rep_effectiveness",
    "scheduled_visits",
    "activity_summary",
    "employee_satisfaction",
]
