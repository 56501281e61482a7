"""Every function in ``salesnb.kpi.__all__`` on every claimed engine, equal to pandas.

Engines: polars eager, polars lazy, DuckDB relations on a connection of their own
(``duckdb.connect()``, not the default connection), PySpark DataFrames (local
session, fixture ``spark`` in ``conftest.py``); DuckDB also in a process where
polars cannot be imported. Inputs are the bundled sample (``data/sample``), one
call per KPI, so that the Spark part stays short. An unsupported input (a Dask
frame, a list) raises a ``TypeError`` naming the type and the supported engines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import salesnb
from salesnb import kpi
from salesnb.load import SAMPLE_DATA
from tests.kpi_engines import history_from_opportunities, run_on_engines

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-06-30"
#: Functions of plain numbers (no table in, a pandas table out): checked below, not per engine.
SCALAR_ONLY = {"quota_plan"}
FUNCTIONS = sorted(
    name
    for name in kpi.__all__
    if callable(getattr(kpi, name)) and name[0].islower() and name not in SCALAR_ONLY
)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return salesnb.load(SAMPLE_DATA).tables


def _history(t):
    """The sample's deal history (derived from the current state while the sample has none)."""
    if "opportunity_history" in t:
        return t["opportunity_history"]
    return history_from_opportunities(t["opportunities"])


def _actual(t):
    return kpi.revenue(t["orders"], compare=False)[["period", "revenue"]]


def _projected(t):
    actual = _actual(t)
    return actual.assign(projected=actual["revenue"] * 1.1 + 50.0).drop(columns="revenue")


# name -> function of the pandas tables giving (args, kwargs) of one call
CASES = {
    "new_leads": lambda t: ((t["leads"],), {"by": "team", "reps": t["reps"]}),
    "lead_conversion_rate": lambda t: (
        (t["leads"],),
        {"by": "source", "within_days": 60, "as_of": AS_OF},
    ),
    "stage_funnel": lambda t: (
        (t["opportunities"],),
        {"by": "segment", "customers": t["customers"]},
    ),
    "win_rate": lambda t: ((t["opportunities"],), {"by": "team", "reps": t["reps"]}),
    "average_deal_size": lambda t: ((t["opportunities"],), {"freq": "month"}),
    "sales_cycle_days": lambda t: ((t["opportunities"],), {"freq": "quarter", "by": "rep_id"}),
    "cycle_vs_team": lambda t: ((t["opportunities"], t["reps"]), {"freq": "half"}),
    "sales_velocity": lambda t: ((t["opportunities"],), {"as_of": AS_OF, "by": "rep_id"}),
    "pipeline_coverage": lambda t: (
        (t["opportunities"], t["targets"], t["orders"]),
        {"period": "2026Q3", "as_of": AS_OF, "level": "rep"},
    ),
    "stale_deals": lambda t: ((t["opportunities"],), {"as_of": AS_OF}),
    "slipped_deals": lambda t: ((t["opportunities"],), {"as_of": AS_OF, "by": "rep_id"}),
    "opportunities_as_of": lambda t: (
        (_history(t),),
        {"as_of": AS_OF, "opportunities": t["opportunities"]},
    ),
    "stage_conversion": lambda t: ((_history(t),), {"as_of": AS_OF}),
    "pipeline_waterfall": lambda t: (
        (_history(t),),
        {"start": "2026-03-31", "end": AS_OF, "window": "2026Q3"},
    ),
    "quota_attainment": lambda t: (
        (t["orders"], t["targets"]),
        {"as_of": AS_OF, "reps": t["reps"]},
    ),
    "share_at_quota": lambda t: ((t["orders"], t["targets"]), {"by": "team", "reps": t["reps"]}),
    "leaderboard": lambda t: (
        (t["orders"],),
        {
            "opportunities": t["opportunities"],
            "targets": t["targets"],
            "reps": t["reps"],
            "as_of": AS_OF,
        },
    ),
    "rep_effectiveness": lambda t: (
        (t["orders"], t["opportunities"], t["activities"], t["customers"]),
        {"reps": t["reps"]},
    ),
    "scheduled_visits": lambda t: ((t["activities"],), {"as_of": "2025-06-01", "days": 30}),
    "activity_summary": lambda t: ((t["activities"],), {"as_of": AS_OF}),
    "employee_satisfaction": lambda t: ((t["satisfaction"],), {"by": "team", "reps": t["reps"]}),
    "rfm_scores": lambda t: ((t["orders"],), {"as_of": AS_OF}),
    "cohort_retention": lambda t: ((t["orders"],), {"freq": "quarter", "as_of": AS_OF}),
    "retention_matrix": lambda t: (
        (kpi.cohort_retention(t["orders"], freq="quarter", as_of=AS_OF),),
        {},
    ),
    "churn_rate": lambda t: ((t["orders"],), {"by": "segment", "customers": t["customers"]}),
    "retention_rate": lambda t: ((t["orders"],), {"freq": "month", "as_of": AS_OF}),
    "engagement_after_purchase": lambda t: ((t["engagement"], t["orders"]), {"as_of": AS_OF}),
    "historical_clv": lambda t: ((t["orders"],), {"as_of": AS_OF, "margin": 0.3}),
    "acquisition_cost": lambda t: ((t["marketing_spend"], t["customers"], t["leads"]), {}),
    "revenue": lambda t: ((t["orders"],), {"by": "region"}),
    "sales_volume": lambda t: ((t["orders"],), {"freq": "month"}),
    "new_vs_recurring_revenue": lambda t: ((t["orders"],), {"by": "channel"}),
    "revenue_per_customer": lambda t: (
        (t["orders"],),
        {"by": "segment", "customers": t["customers"]},
    ),
    "revenue_per_rep": lambda t: ((t["orders"],), {"by": "team", "reps": t["reps"]}),
    "target_attainment": lambda t: ((t["orders"], t["targets"]), {"level": "region"}),
    "actual_vs_projected": lambda t: ((_actual(t), _projected(t)), {}),
    "forecast_accuracy": lambda t: ((_actual(t), _projected(t)), {}),
    "order_status_rates": lambda t: ((t["orders"],), {"by": "channel"}),
    "payment_status": lambda t: ((t["orders"],), {"as_of": AS_OF, "freq": "quarter"}),
    "receivables_ageing": lambda t: ((t["orders"],), {"as_of": AS_OF, "by": "region"}),
    "days_sales_outstanding": lambda t: ((t["orders"],), {"as_of": AS_OF}),
    "revenue_bridge": lambda t: (
        (t["orders"], "2026Q2"),
        {"previous": "last_year", "by": "region"},
    ),
    "quota_plan_from_opportunities": lambda t: (
        (t["opportunities"], t["targets"], t["orders"]),
        {"period": "2026Q4", "as_of": "2026-09-30", "by": "team", "reps": t["reps"]},
    ),
    "price_index": lambda t: (
        (t["products"], t["competitor_prices"]),
        {"undercut_threshold": 0.05},
    ),
}


def test_every_kpi_has_a_case():
    assert sorted(CASES) == FUNCTIONS


def test_scalar_only_functions_take_numbers_and_give_pandas():
    plan = kpi.quota_plan(1_000.0, 0.5, 100.0, 10.0, period="2026Q4")
    assert isinstance(plan, pd.DataFrame) and len(plan) == 25


def _run(name, tables, engine, spark=None):
    args, kwargs = CASES[name](tables)
    run_on_engines(getattr(kpi, name), *args, engines=[engine], spark=spark, **kwargs)


@pytest.mark.parametrize("engine", ["polars", "lazy", "duckdb"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_kpi_equal_to_pandas(name, engine, tables):
    _run(name, tables, engine)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_kpi_on_spark_equal_to_pandas(name, tables, spark):
    _run(name, tables, "spark", spark=spark)


_NO_POLARS = """
import json, sys
sys.modules["polars"] = None  # import polars -> ImportError
import duckdb
import salesnb
from salesnb import kpi
from salesnb.load import SAMPLE_DATA
from tests.kpi_engines import history_from_opportunities, run_on_engines

t = salesnb.load(SAMPLE_DATA).tables
history = t.get("opportunity_history")
if history is None:
    history = history_from_opportunities(t["opportunities"])
calls = {
    "revenue": ((t["orders"],), {"by": "region"}),
    "leaderboard": ((t["orders"],), {"reps": t["reps"], "targets": t["targets"]}),
    "win_rate": ((t["opportunities"],), {"by": "team", "reps": t["reps"]}),
    "churn_rate": ((t["orders"],), {}),
    "quota_attainment": ((t["orders"], t["targets"]), {"as_of": "2026-06-30"}),
    "cohort_retention": ((t["orders"],), {"freq": "quarter", "as_of": "2026-06-30"}),
    "pipeline_waterfall": ((history,), {"start": "2026-03-31", "end": "2026-06-30",
                                        "window": "2026Q3"}),
}
done = []
for name, (args, kwargs) in calls.items():
    run_on_engines(getattr(kpi, name), *args, engines=["duckdb"], **kwargs)
    done.append(name)
assert "polars" not in [m for m in sys.modules if sys.modules[m] is not None]
print(json.dumps(done))
"""


def test_duckdb_without_polars():
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-c", _NO_POLARS], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    done = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(done) == 7


class DaskLikeFrame:
    """Stands for a frame of an engine salesnb does not support (e.g. a Dask DataFrame)."""

    __module__ = "dask.dataframe.core"
    columns = ["order_date", "amount"]


@pytest.mark.parametrize("data", [DaskLikeFrame(), [{"order_date": "2025-01-01"}]])
def test_unsupported_input_names_type_and_engines(data):
    with pytest.raises(TypeError) as info:
        kpi.revenue(data)
    message = str(info.value)
    assert type(data).__name__ in message
    for engine in ("pandas", "polars", "DuckDB", "PySpark"):
        assert engine in message
