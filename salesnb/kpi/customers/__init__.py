"""Customer KPIs: RFM, cohort retention, churn, engagement after purchase, CLV, CAC.

Modules: :mod:`~salesnb.kpi.customers.rfm`, :mod:`~salesnb.kpi.customers.cohorts`
(cohort retention), :mod:`~salesnb.kpi.customers.churn` (churn and retention between
periods), :mod:`~salesnb.kpi.customers.engagement` (engagement after purchase),
:mod:`~salesnb.kpi.customers.lifetime_value` (historical CLV) and
:mod:`~salesnb.kpi.customers.acquisition` (CAC); :mod:`~salesnb.kpi.customers.orders`
holds the order rules they share.

Same conventions as :mod:`salesnb.kpi.pipeline`: frame in, new frame of the
same kind out (pandas, polars, polars LazyFrame, DuckDB relation), options
after ``*``, periods from :mod:`salesnb.periods`, ``as_of`` counts whole days (everything
up to the end of that day has happened), rates are missing (not 0) with a
``note`` when their denominator is empty.

Orders: one row per order or order line; ``order_id`` identifies an order
(``frequency`` and order counts count distinct ``order_id``), ``order_date``
decides the period and ``amount`` is the revenue. Cancelled orders
(``status == "cancelled"``) are left out unless ``include_cancelled=True``.

Examples
--------
On the bundled sample company:

>>> import salesnb
>>> from salesnb import kpi
>>> data = salesnb.load(salesnb.SAMPLE_DATA)
>>> rfm = kpi.rfm_scores(data.orders, as_of=data.as_of)
>>> print(rfm["segment"].value_counts().head(3).to_string())
segment
Hibernating           505
Potential loyalist    356
About to sleep        354
"""

from salesnb.kpi.customers.acquisition import acquisition_cost
from salesnb.kpi.customers.churn import churn_rate, retention_rate
from salesnb.kpi.customers.cohorts import cohort_retention, retention_matrix
from salesnb.kpi.customers.engagement import engagement_after_purchase
from salesnb.kpi.customers.lifetime_value import historical_clv
from salesnb.kpi.customers.rfm import RFM_SEGMENTS, rfm_scores

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
