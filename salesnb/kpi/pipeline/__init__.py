"""Pipeline and conversion KPIs: leads, funnel, win rate, deal size, cycle, velocity, coverage.

Modules: :mod:`~salesnb.kpi.pipeline.leads` (new leads, lead conversion),
:mod:`~salesnb.kpi.pipeline.funnel` (stage funnel), :mod:`~salesnb.kpi.pipeline.deals`
(closed deals: win rate, deal size, cycle, velocity) and
:mod:`~salesnb.kpi.pipeline.health` (the open pipeline at a date: coverage, stale and
slipped deals) and :mod:`~salesnb.kpi.pipeline.history` (from the deal history: the
pipeline as of any date, stage conversion and time in stage, the pipeline-change
waterfall).

Every function takes a table of the data contract (:mod:`salesnb.schema`) as a
pandas or polars DataFrame (a polars LazyFrame or a DuckDB relation works
too), its options after ``*``, and returns a new frame of the same kind: one
row per period and group, named columns, sorted. Inputs are never modified. Period logic comes from
:mod:`salesnb.periods`: ``freq`` is ``"week"``, ``"month"``, ``"quarter"``,
``"half"`` or ``"year"`` (``None`` where documented: one overall row per group),
``fiscal_year_start`` is the month the fiscal year begins.

Conventions shared by the period KPIs of this package
-----------------------------------------------------
- The date column named in each docstring decides the period; rows whose
  deciding date is missing are left out of period results (they count with
  ``freq=None``).
- The table is *complete*: every period from the first to the last one with
  data, for every group seen in the data, has a row. Counts of an empty cell
  are 0 and its rates are missing (NaN in pandas, null in polars) with the
  reason in the ``note`` column, never 0.
- ``by=`` takes a column or a list of columns of the input table; a column the
  table lacks is joined from ``reps=`` (key ``rep_id``) or ``customers=``
  (key ``customer_id``) when those are passed.
- Comparisons of the headline measure ``m``: ``m_prev``, ``m_change``,
  ``m_change_pct`` (previous period) and ``m_ly``, ``m_yoy``, ``m_yoy_pct``
  (same period last year), see :func:`salesnb.kpi._frame.add_comparisons`.
- ``as_of`` is a day: it counts *whole*, i.e. everything up to the end of that
  day has happened (``timestamp < as_of + 1 day``).
- The stage KPIs (:func:`stage_funnel`, :func:`stale_deals`) take
  ``pipeline=``, the company's :class:`~salesnb.stages.SalesPipeline`
  (``SalesData.pipeline``; None = the contract's four stages); ``stage`` values
  match its stages ignoring case and surrounding spaces.
- Open deals may lack ``amount`` and ``created_at`` (CRM exports). They count as
  open deals (an undated one as created by ``as_of``); value sums leave them out
  and a count column says how many (``deals_without_amount``,
  ``open_without_amount``, ``stale_without_amount``, ``slipped_without_amount``);
  age figures leave out deals without a date (``undated_deals``). Won and lost
  deals need both, as the contract says.

Examples
--------
On the bundled sample company (referral is the source planted to convert best):

>>> import salesnb
>>> from salesnb import kpi
>>> data = salesnb.load(salesnb.SAMPLE_DATA)
>>> w = kpi.win_rate(data.opportunities, comparisons=False)
>>> print(w.loc[w["period"] == "2026Q3", ["won", "lost", "win_rate"]].round(3)
...       .to_string(index=False))
 won  lost  win_rate
  75   164     0.314
>>> r = kpi.lead_conversion_rate(data.leads, freq=None, by="source")
>>> print(r.sort_values("conversion_rate", ascending=False)[["source", "leads",
...       "conversion_rate"]].head(2).round(3).to_string(index=False))
  source  leads  conversion_rate
referral    963            0.567
 partner    891            0.260
"""

from salesnb.kpi.pipeline.deals import (
    average_deal_size,
    cycle_vs_team,
    sales_cycle_days,
    sales_velocity,
    win_rate,
)
from salesnb.kpi.pipeline.funnel import stage_funnel
from salesnb.kpi.pipeline.health import (
    DEFAULT_STALE_DAYS,
    DEFAULT_STALE_THRESHOLDS,
    pipeline_coverage,
    slipped_deals,
    stale_deals,
)
from salesnb.kpi.pipeline.history import (
    WATERFALL_STEPS,
    opportunities_as_of,
    pipeline_waterfall,
    stage_conversion,
)
from salesnb.kpi.pipeline.leads import lead_conversion_rate, new_leads

__all__ = [
    "DEFAULT_STALE_THRESHOLDS",
    "DEFAULT_STALE_DAYS",
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
]
