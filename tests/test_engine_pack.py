"""SalesData on lazy tables (DuckDB, polars) and the report pack on an engine."""

from __future__ import annotations

import dataclasses

import narwhals as nw
import pandas as pd
import pytest

from salesnb import sections
from salesnb.load import SalesData
from salesnb.load.basis import row_count
from salesnb.sections import snapshot as snap

ENGINES = ["duckdb", "polars"]


def to_pandas(frame) -> pd.DataFrame:
    if isinstance(frame, pd.DataFrame):
        return frame
    table = nw.from_native(frame)
    return (table.collect() if isinstance(table, nw.LazyFrame) else table).to_pandas()


def same(a, b, keys) -> None:
    """Equal contents, ignoring row order and missing-value flavour."""
    a = to_pandas(a).sort_values(keys).reset_index(drop=True)
    b = to_pandas(b).sort_values(keys).reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        left = a[col].astype(object).where(a[col].notna(), None).tolist()
        right = b[col].astype(object).where(b[col].notna(), None).tolist()
        assert left == right, col


@pytest.fixture(scope="module")
def eager() -> SalesData:
    """A hand-made company: 3 reps, 3 customers, 5 orders (two without region), 4 deals."""
    ts = pd.to_datetime
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "region": ["West", "East", "East"]})
    customers = pd.DataFrame(
        {"customer_id": ["C1", "C2", "C3"], "region": ["West", "East", "North"]}
    )
    orders = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4", "O5"],
            "customer_id": ["C1", "C2", "C3", "C3", "C1"],
            "order_date": ts(
                ["2025-01-05", "2025-02-01", "2025-04-03", "2025-07-09", "2025-08-30"]
            ),
            "region": ["West", None, "North", None, "West"],
            "rep_id": ["R1", "R2", None, None, "R1"],
            "amount": [100.0, 250.0, 40.0, 60.0, 10.0],
        }
    )
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["D1", "D2", "D3", "D4"],
            "customer_id": ["C1", "C2", "C3", "C1"],
            "rep_id": ["R1", "R3", "R2", "R1"],
            "status": ["won", "won", "lost", "won"],
            "amount": [500.0, 300.0, 80.0, 20.0],
            "created_at": ts(["2025-01-01", "2025-02-01", "2025-03-01", "2025-03-05"]),
            "closed_at": ts(["2025-03-01 15:00", "2025-05-02 09:00", "2025-06-01 00:00", None]),
        }
    )
    targets = pd.DataFrame(
        {
            "period": ["2025Q1", "2025Q1", "2025Q1", "2025Q1", "2025Q1"],
            "level": ["company", "region", "region", "rep", "rep"],
            "key": ["all", "West", "East", "R1", "R2"],
            "revenue_target": [900.0, 400.0, 500.0, 200.0, 300.0],
        }
    )
    tables = {
        "reps": reps,
        "customers": customers,
        "opportunities": opportunities,
        "orders": orders,
        "targets": targets,
    }
    return SalesData(
        tables=tables,
        as_of=pd.Timestamp("2025-09-30"),
        rows_read={k: len(v) for k, v in tables.items()},
    )


@pytest.fixture(scope="module", params=ENGINES)
def lazy(request, eager) -> SalesData:
    return snap._on_engine(eager, request.param)


def test_lazy_tables_stay_on_their_engine(lazy):
    assert not isinstance(lazy.orders, pd.DataFrame)
    assert not isinstance(lazy.revenue_lines, pd.DataFrame)
    assert (
        type(lazy.revenue_lines).__module__.split(".")[0]
        == type(lazy.orders).__module__.split(".")[0]
    )
    assert not isinstance(lazy.filter(region="East").orders, pd.DataFrame)


def test_lazy_repr_and_summary_count_on_the_engine(eager, lazy):
    assert repr(lazy) == repr(eager)
    assert row_count(lazy.orders) == 5
    pd.testing.assert_frame_equal(lazy.summary(), eager.summary())


def test_lazy_revenue_lines_fill_regions_like_pandas(eager, lazy):
    same(lazy.revenue_lines, eager.revenue_lines, ["order_id"])
    # O2: rep R2's region; O4: no rep, customer C3's region
    assert to_pandas(lazy.revenue_lines).set_index("order_id")["region"].to_dict() == {
        "O1": "West",
        "O2": "East",
        "O3": "North",
        "O4": "North",
        "O5": "West",
    }


def test_lazy_won_deal_lines_like_pandas(eager, lazy):
    won, lazy_won = (dataclasses.replace(d, revenue_setting="won_deals") for d in (eager, lazy))
    same(lazy_won.revenue_lines, won.revenue_lines, ["order_id"])
    assert sorted(to_pandas(lazy_won.revenue_lines)["order_id"]) == ["D1", "D2"]  # D4 undated


@pytest.mark.parametrize("region", ["East", ["West", "North"]])
def test_lazy_filter_like_pandas(eager, lazy, region):
    want = eager.filter(region=region, start="2025-02-01", end="2025-07-31")
    got = lazy.filter(region=region, start="2025-02-01", end="2025-07-31")
    assert repr(got) == repr(want)
    keys = {
        "targets": ["level", "key"],
        "orders": ["order_id"],
        "opportunities": ["opportunity_id"],
    }
    for name in want.tables:
        same(got.tables[name], want.tables[name], keys.get(name, [want.tables[name].columns[0]]))


def test_lazy_filter_refuses_unknown_region(lazy):
    with pytest.raises(ValueError, match="unknown region"):
        lazy.filter(region="Atlantis")


@pytest.mark.parametrize("engine", ENGINES)
def test_snapshot_opens_lazily_on_an_engine(eager, engine, tmp_path):
    folder = snap.write_snapshot(eager, tmp_path / "snap")
    opened = snap.read_snapshot(folder, engine=engine)
    assert not isinstance(opened.orders, pd.DataFrame)
    assert repr(opened) == repr(eager)
    same(opened.revenue_lines, eager.revenue_lines, ["order_id"])


# -- the report pack on an engine -----------------------------------------------------------
def _headline_html(pack_dir) -> str:
    import nbformat

    nb = nbformat.read(pack_dir / "00_executive_summary.ipynb", as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    pages = [str(o.get("data", {}).get("text/html", "")) for o in outputs]
    return next(p for p in pages if "<th>KPI</th>" in p)


@pytest.mark.slow
@pytest.mark.engines
def test_executive_summary_on_duckdb_equals_pandas(tmp_path):
    """The headline KPIs of the sample computed on DuckDB read exactly as on pandas."""
    from pathlib import Path

    from salesnb import report

    sample = Path(__file__).resolve().parent.parent / "data" / "sample"
    runs = {}
    for engine in (None, "duckdb"):
        result = report.run_report(
            data=sample,
            out=tmp_path / str(engine),
            only=["00_executive_summary"],
            progress=False,
            engine=engine,
        )
        assert result.ok, result.notebooks[0].error
        runs[engine] = _headline_html(result.out_dir)
    assert runs["duckdb"] == runs[None]
    assert "Revenue" in runs[None]


@pytest.mark.parametrize("engine", ENGINES)
def test_clv_summary_on_an_engine_equals_the_models_summary(eager, engine):
    from salesnb.models.clv import rfm_summary
    from salesnb.sections.engine_inputs import clv_summary

    lazy = snap._on_engine(eager, engine)
    cols = dict(customer_col="customer_id", date_col="order_date", amount_col="amount")
    want = rfm_summary(eager.revenue_lines, observation_end="2025-08-31", **cols)
    got = clv_summary(lazy.revenue_lines, observation_end="2025-08-31", **cols)
    pd.testing.assert_frame_equal(got, want[got.columns.tolist()], check_names=False)


@pytest.mark.parametrize("engine", ENGINES)
def test_daily_revenue_and_late_payments_on_an_engine(eager, engine):
    from salesnb.models.forecast import revenue_series
    from salesnb.sections import engine_inputs, late_payment_share

    lazy = snap._on_engine(eager, engine)
    daily = engine_inputs.daily_revenue(lazy.revenue_lines)
    pd.testing.assert_series_equal(revenue_series(daily), revenue_series(eager.revenue_lines))
    orders = eager.orders.assign(
        due_date=eager.orders["order_date"] + pd.Timedelta(days=30),
        paid_at=eager.orders["order_date"] + pd.to_timedelta([10, 40, 5, 31, 0], unit="D"),
    )
    on_engine = snap._on_engine(dataclasses.replace(eager, tables={"orders": orders}), engine)
    want = late_payment_share(orders, as_of="2025-09-30")
    got = late_payment_share(on_engine.orders, as_of="2025-09-30")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_clv_transactions_on_an_engine_equal_pandas(eager, lazy):
    until = pd.Timestamp("2025-07-31")
    want, note = sections.clv_transactions(eager, until=until)
    got, lazy_note = sections.clv_transactions(lazy, until=until)
    assert note is None and lazy_note is None
    cols = ["customer_id", "order_date", "amount"]
    same(to_pandas(got)[cols], want[cols], ["customer_id", "order_date"])
    assert set(want["order_date"]) == set(
        pd.to_datetime(["2025-01-05", "2025-02-01", "2025-04-03", "2025-07-09"])
    )


def test_clv_transactions_sample_customers_past_the_limit_and_say_so(lazy):
    got, note = sections.clv_transactions(lazy, until=pd.Timestamp("2025-12-31"), max_customers=2)
    kept = set(got["customer_id"])
    assert 0 < len(kept) <= 3
    assert note and f"sample of {len(kept)} of 3 customers" in note
    # every purchase of a sampled customer is kept
    per_customer = {"C1": 2, "C2": 1, "C3": 2}
    counts = got["customer_id"].value_counts()
    assert all(counts[c] == per_customer[c] for c in kept)


@pytest.mark.parametrize("engine", [None, *ENGINES])
def test_customer_names_only_for_the_ids_asked(eager, engine):
    customers = eager.customers.assign(name=["Ann", "Bo", "Cy"])
    data = dataclasses.replace(eager, tables={**eager.tables, "customers": customers})
    if engine:
        data = snap._on_engine(data, engine)
    named = to_pandas(sections.customer_names(data, ["C3", "C1"]))
    assert sorted(map(tuple, named[["customer_id", "name"]].values)) == [
        ("C1", "Ann"),
        ("C3", "Cy"),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_leads_page_sections_take_lazy_leads(engine):
    from salesnb.periods import Period
    from salesnb.synth import generate

    leads = generate(seed=3, start="2024-01-01", end="2025-09-30")["leads"]
    data = SalesData(tables={"leads": leads}, as_of=pd.Timestamp("2025-09-30"))
    period = Period.parse("2025Q3")
    want, label = sections.conversion_by_quarter(data.leads, period, as_of=data.as_of)
    got, lazy_label = sections.conversion_by_quarter(
        snap._on_engine(data, engine).leads, period, as_of=data.as_of
    )
    assert label == lazy_label
    same(to_pandas(got), want, ["period"])


@pytest.mark.parametrize("engine", ENGINES)
def test_leads_to_call_take_lazy_leads(engine):
    from salesnb.models import conversion
    from salesnb.synth import generate

    leads = generate(seed=3, start="2024-01-01", end="2025-09-30")["leads"]
    data = SalesData(tables={"leads": leads}, as_of=pd.Timestamp("2025-09-30"))
    scoring = conversion.evaluate_conversion(leads, models=["logistic"], test_size=0.25)
    want, _ = sections.leads_to_call(scoring, leads, as_of=data.as_of, n=5)
    got, _ = sections.leads_to_call(
        scoring, snap._on_engine(data, engine).leads, as_of=data.as_of, n=5
    )
    same(got, want, ["lead_id"])


@pytest.mark.parametrize("engine", ENGINES)
def test_rfm_segments_on_an_engine_equal_the_pandas_groupby(eager, engine):
    """The customer page's segment table: aggregated on the engine, same as pandas."""
    from salesnb.kpi import rfm_scores
    from salesnb.sections import rfm_segments

    lazy = snap._on_engine(eager, engine)
    rfm = rfm_scores(eager.revenue_lines, as_of="2025-08-31")
    want = (
        rfm.groupby("segment", as_index=False)
        .agg(customers=("customer_id", "size"), revenue=("monetary", "sum"))
        .sort_values(["revenue", "segment"], ascending=[False, True], ignore_index=True)
    )
    got = rfm_segments(lazy.revenue_lines, as_of="2025-08-31")
    assert got["customers"].sum() == len(rfm) > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_clv_transactions_sample_customers_on_pandas_too(eager):
    """A pandas load of millions of customers gets the same cap as an engine (10M orders:
    1.6M customers kept the customer page busy for most of an hour)."""
    until = pd.Timestamp("2025-12-31")
    every, none = sections.clv_transactions(eager, until=until)
    assert none is None
    got, note = sections.clv_transactions(eager, until=until, max_customers=2)
    kept = set(got["customer_id"])
    assert 0 < len(kept) <= 3
    assert note and f"sample of {len(kept)} of 3 customers" in note
    want = every[every["customer_id"].isin(kept)]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    again, _ = sections.clv_transactions(eager, until=until, max_customers=2)
    assert set(again["customer_id"]) == kept  # the same customers on every run
