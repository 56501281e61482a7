"""Tests of salesnb.kpi.customers: hand-computed fixtures, engines, properties."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from salesnb.kpi._frame import MissingColumnsError
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
from tests.kpi_engines import run_on_engines, to_pandas

PROPS = settings(max_examples=25, deadline=None)


def ts(*values):
    return pd.to_datetime(list(values), format="ISO8601")


@pytest.fixture
def orders():
    # order 2 has two lines; D has only a cancelled order
    return pd.DataFrame(
        {
            "order_id": ["1", "2", "2", "3", "4", "5", "6", "7", "8", "9"],
            "line_id": ["1", "1", "2", "1", "1", "1", "1", "1", "1", "1"],
            "customer_id": ["A", "A", "A", "B", "C", "B", "D", "A", "E", "C"],
            "order_date": ts(
                "2025-01-05",
                "2025-02-10",
                "2025-02-10",
                "2025-01-20",
                "2025-02-15",
                "2025-03-03",
                "2025-03-10",
                "2025-04-02",
                "2025-04-15",
                "2025-06-20",
            ),
            "amount": [100.0, 50.0, 25.0, 200.0, 80.0, 40.0, 500.0, 60.0, 30.0, 90.0],
            "profit": [10.0, 5.0, 2.5, 20.0, 8.0, 4.0, 50.0, 6.0, 3.0, 9.0],
            "status": ["placed"] * 6 + ["cancelled"] + ["placed"] * 3,
            "region": ["N", "N", "N", "S", "S", "S", "N", "N", "S", "S"],
        }
    )


@pytest.fixture
def customers():
    return pd.DataFrame({"customer_id": list("ABCDE"), "segment": ["x", "y", "y", "x", "x"]})


# -- RFM --------------------------------------------------------------------------------------
def test_rfm_scores(orders):
    out = run_on_engines(rfm_scores, orders, as_of="2025-06-30")
    assert out["customer_id"].tolist() == ["A", "B", "C", "E"]
    assert out["recency_days"].tolist() == [89, 119, 10, 76]
    assert out["frequency"].tolist() == [3, 2, 2, 1]
    assert out["monetary"].tolist() == [235.0, 240.0, 170.0, 30.0]
    assert out["r_score"].tolist() == [2, 1, 4, 3]
    assert out["f_score"].tolist() == [4, 2, 2, 1]  # B and C tie: both get 2
    assert out["m_score"].tolist() == [3, 4, 2, 1]
    assert out["rfm_score"].tolist() == ["243", "124", "422", "311"]
    assert out["segment"].tolist() == [
        "At risk",
        "Hibernating",
        "Potential loyalist",
        "About to sleep",
    ]
    with_cancelled = rfm_scores(orders, as_of="2025-06-30", include_cancelled=True)
    assert "D" in with_cancelled["customer_id"].tolist()
    early = rfm_scores(orders, as_of="2025-02-28")
    assert early["customer_id"].tolist() == ["A", "B", "C"]


def test_rfm_scores_quintiles():
    orders = pd.DataFrame(
        {
            "order_id": [str(i) for i in range(10)],
            "customer_id": [f"C{i}" for i in range(10)],
            "order_date": pd.Timestamp("2025-01-01") + pd.to_timedelta(range(10), unit="D"),
            "amount": [float(i + 1) for i in range(10)],
        }
    )
    out = rfm_scores(orders, as_of="2025-01-31")
    assert out["m_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert out["r_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert out["f_score"].tolist() == [1] * 10  # everybody ties


def test_rfm_segment_table_covers_every_pair():
    for r, f in itertools.product(range(1, 6), range(1, 6)):
        matches = [name for name, rs, fs in RFM_SEGMENTS if r in rs and f in fs]
        assert matches, (r, f)
    # rules apply in order: (1, 1) is Lost, not Hibernating
    first = next(name for name, rs, fs in RFM_SEGMENTS if 1 in rs and 1 in fs)
    assert first == "Lost"


# -- cohorts and churn ------------------------------------------------------------------------
def test_cohort_retention_monthly(orders):
    out = run_on_engines(cohort_retention, orders, freq="month")
    assert len(out) == 21  # 6 + 5 + 4 + 3 + 2 + 1 cells up to 2025-06
    jan = out[out["cohort"] == "2025-01"]
    assert jan["customers"].unique().tolist() == [2]
    assert jan["active"].tolist() == [2, 1, 1, 1, 0, 0]
    assert jan["period"].tolist() == [
        "2025-01",
        "2025-02",
        "2025-03",
        "2025-04",
        "2025-05",
        "2025-06",
    ]
    feb = out[out["cohort"] == "2025-02"]
    assert feb["active"].tolist() == [1, 0, 0, 0, 1]
    march = out[out["cohort"] == "2025-03"]  # D's only order is cancelled
    assert (march["customers"] == 0).all() and march["retention"].isna().all()
    matrix = run_on_engines(retention_matrix, out)
    assert list(matrix.columns) == ["cohort", "0", "1", "2", "3", "4", "5"]
    assert matrix.iloc[0, 1:].tolist() == [1.0, 0.5, 0.5, 0.5, 0.0, 0.0]
    assert matrix.iloc[5, 2:].isna().all()


def test_cohort_retention_quarterly_as_of(orders):
    out = run_on_engines(cohort_retention, orders, freq="quarter")
    assert out[["cohort", "period_index", "customers", "active"]].values.tolist() == [
        ["2025Q1", 0, 3, 3],
        ["2025Q1", 1, 3, 2],
        ["2025Q2", 0, 1, 1],
    ]
    cut = run_on_engines(cohort_retention, orders, freq="quarter", as_of="2025-06-15")
    assert cut["active"].tolist() == [3, 1, 1]  # C's June order is after as_of
    assert cut["note"].tolist()[1:] == ["period incomplete at as_of"] * 2


def test_churn_rate_quarterly(orders):
    out = run_on_engines(churn_rate, orders, freq="quarter")
    q2 = out.iloc[1]
    assert (q2["customers_prev"], q2["retained"], q2["churned"]) == (3, 2, 1)
    assert q2["churn_rate"] == pytest.approx(1 / 3)
    assert q2["retention_rate"] == pytest.approx(2 / 3)
    assert (q2["active"], q2["new"], q2["reactivated"]) == (3, 1, 0)
    q1 = out.iloc[0]
    assert pd.isna(q1["churn_rate"]) and q1["note"] == "no customers active in the previous period"


def test_churn_rate_monthly(orders):
    out = run_on_engines(churn_rate, orders, freq="month", comparisons=False)
    assert out["period"].tolist() == [
        "2025-01",
        "2025-02",
        "2025-03",
        "2025-04",
        "2025-05",
        "2025-06",
    ]
    assert out["customers_prev"].tolist() == [0, 2, 2, 1, 2, 0]
    assert out["retained"].tolist() == [0, 1, 0, 0, 0, 0]
    np.testing.assert_allclose(out["churn_rate"], [np.nan, 0.5, 1.0, 1.0, 1.0, np.nan])
    assert out["active"].tolist() == [2, 2, 1, 2, 0, 1]
    assert out["new"].tolist() == [2, 1, 0, 1, 0, 0]
    assert out["reactivated"].tolist() == [0, 0, 1, 1, 0, 1]


def test_churn_rate_groups_and_as_of(orders, customers):
    regional = run_on_engines(churn_rate, orders, freq="quarter", by="region")
    q2 = regional[regional["period"] == "2025Q2"].set_index("region")["churn_rate"]
    assert q2.to_dict() == {"N": 0.0, "S": 0.5}
    seg = run_on_engines(churn_rate, orders, freq="quarter", by="segment", customers=customers)
    assert seg["segment"].unique().tolist() == ["x", "y"]
    cut = run_on_engines(churn_rate, orders, freq="quarter", as_of="2025-05-31")
    assert cut["churn_rate"].iloc[1] == pytest.approx(2 / 3)
    assert cut["note"].iloc[1] == "period incomplete at as_of"
    kept = run_on_engines(retention_rate, orders, freq="quarter")
    assert kept["retention_rate"].iloc[1] == pytest.approx(2 / 3)
    assert "retention_rate_prev" in kept.columns
    with pytest.raises(MissingColumnsError, match="customers"):
        churn_rate(orders, by="segment")


# -- engagement -------------------------------------------------------------------------------
@pytest.fixture
def engagement():
    return pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A", "A", "A", "B", "B", "B", "C", "A"],
            "event_at": ts(
                "2025-01-06",
                "2025-01-07",
                "2025-01-07",
                "2025-02-06",
                "2025-02-10 12:00",
                "2025-03-12",
                "2025-01-21",
                "2025-01-10",
                "2025-01-25",
                "2025-01-05",
                "2025-04-02",
            ),
            "channel": [
                "email",
                "email",
                "email",
                "email",
                "web",
                "web",
                "email",
                "web",
                "social",
                "email",
                "email",
            ],
            "event": [
                "send",
                "open",
                "click",
                "send",
                "visit",
                "visit",
                "send",
                "visit",
                "like",
                "send",
                "open",
            ],
            "duration_s": [None, None, None, None, 100.0, 500.0, None, 50.0, None, None, None],
        }
    )


@pytest.fixture
def purchases():
    return pd.DataFrame(
        {
            "order_id": ["1", "2", "3"],
            "customer_id": ["A", "A", "B"],
            "order_date": ts("2025-01-05", "2025-02-10", "2025-01-20"),
            "amount": [1.0, 1.0, 1.0],
        }
    )


def test_engagement_after_purchase(engagement, purchases):
    out = run_on_engines(
        engagement_after_purchase, engagement, purchases, window_days=30, as_of="2025-03-31"
    )
    row = out.iloc[0]
    assert (row["customers"], row["exposure_days"]) == (2, 90.0)
    assert (row["sends"], row["opens"], row["clicks"], row["visits"]) == (2, 1, 1, 1)
    assert row["active_time_s"] == 100.0
    assert (row["open_rate"], row["click_rate"], row["click_to_open_rate"]) == (0.5, 0.5, 1.0)
    assert row["visits_per_customer_30d"] == pytest.approx(1 / 3)
    assert row["active_time_per_customer_s"] == 50.0


def test_engagement_after_purchase_by_customer_and_segment(engagement, purchases, customers):
    per = run_on_engines(
        engagement_after_purchase,
        engagement,
        purchases,
        window_days=30,
        as_of="2025-03-31",
        by="customer_id",
    )
    assert per[["customer_id", "exposure_days", "sends", "visits"]].values.tolist() == [
        ["A", 60.0, 1, 1],
        ["B", 30.0, 1, 0],
    ]
    seg = run_on_engines(
        engagement_after_purchase,
        engagement,
        purchases,
        window_days=30,
        as_of="2025-03-31",
        by="segment",
        customers=customers,
    )
    assert seg["segment"].tolist() == ["x", "y"]
    assert seg["customers"].tolist() == [1, 1]
    wide = engagement_after_purchase(engagement, purchases, window_days=31, as_of="2025-03-31")
    assert wide["visits"].item() == 2  # 2025-03-12 is within 31 days of 2025-02-10


# -- CLV --------------------------------------------------------------------------------------
def test_historical_clv(orders):
    out = run_on_engines(historical_clv, orders, lifespan=2.0, margin=0.25, as_of="2025-06-30")
    row = out.iloc[0]
    assert (row["customers"], row["orders"], row["revenue"]) == (4, 8, 675.0)
    assert row["average_order_value"] == pytest.approx(84.375)
    assert row["purchase_frequency"] == pytest.approx(2 * 365.25 / 177)
    assert row["clv"] == pytest.approx(84.375 * (2 * 365.25 / 177) * 2.0 * 0.25)
    observed = run_on_engines(historical_clv, orders, lifespan="observed", as_of="2025-06-30")
    assert observed["lifespan_years"].item() == pytest.approx(63.5 / 365.25)
    churn = run_on_engines(historical_clv, orders, as_of="2025-06-30")
    assert pd.isna(churn["clv"].item())
    assert churn["note"].item() == "lifespan: less than two years of data to estimate churn"
    profit = run_on_engines(historical_clv, orders, lifespan=1.0, margin="profit", by="region")
    np.testing.assert_allclose(profit["margin"], [0.1, 0.1])
    assert profit["customers"].tolist() == [1, 3]


def test_historical_clv_churn_lifespan():
    orders = pd.DataFrame(
        {
            "order_id": [str(i) for i in range(7)],
            "customer_id": ["T", "P", "P", "Q", "R", "R", "S"],
            "order_date": ts(
                "2023-06-01",
                "2023-09-01",
                "2024-09-01",
                "2023-10-01",
                "2024-01-01",
                "2025-01-01",
                "2025-03-01",
            ),
            "amount": [10.0] * 7,
        }
    )
    out = run_on_engines(historical_clv, orders, as_of="2025-06-30")
    # base year 2023-07-02..2024-06-30: P, Q, R; P and R order again in the last year
    assert out["lifespan_years"].item() == pytest.approx(3.0)
    assert pd.isna(out["note"].item())


# -- CAC --------------------------------------------------------------------------------------
@pytest.fixture
def spend():
    return pd.DataFrame(
        {
            "period": ["2025-01", "2025-02", "2025-03", "2025Q1", "2025-04"],
            "source": ["web", "web", "web", "event", "web"],
            "amount": [100.0, 100.0, 100.0, 600.0, 50.0],
        }
    )


@pytest.fixture
def acquired():
    return pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4", "c5"],
            "source": ["web", "web", "event", "referral", "web"],
            "acquired_at": ts("2025-01-10", "2025-02-10", "2025-03-01", "2025-04-20", "2025-07-01"),
        }
    )


def test_acquisition_cost(spend, acquired):
    out = run_on_engines(acquisition_cost, spend, acquired, freq="quarter")
    assert out[["period", "source", "spend", "new_customers"]].values.tolist() == [
        ["2025Q1", "event", 600.0, 1],
        ["2025Q1", "web", 300.0, 2],
        ["2025Q2", "referral", 0.0, 1],
        ["2025Q2", "web", 50.0, 0],
    ]
    np.testing.assert_allclose(out["cac"], [600.0, 150.0, 0.0, np.nan])
    assert out["note"].tolist()[2:] == ["no spend recorded", "no new customers"]
    blended = run_on_engines(acquisition_cost, spend, acquired, freq="quarter", by=None)
    np.testing.assert_allclose(blended["cac"], [300.0, 50.0])
    assert blended["cac_change"].iloc[1] == pytest.approx(-250.0)
    with pytest.raises(ValueError, match="spans more than one month"):
        acquisition_cost(spend, acquired, freq="month")


def test_acquisition_cost_from_leads(spend):
    leads = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3"],
            "source": ["web", "web", "event"],
            "converted_at": ts("2025-01-15", None, "2025-02-01"),
        }
    )
    out = run_on_engines(acquisition_cost, spend, leads=leads, freq="year")
    assert out[["source", "spend", "new_customers", "cac"]].values.tolist() == [
        ["event", 600.0, 1, 600.0],
        ["web", 350.0, 1, 350.0],
    ]
    with pytest.raises(MissingColumnsError, match="customers="):
        acquisition_cost(spend)


# -- properties -------------------------------------------------------------------------------
BASE = pd.Timestamp("2024-01-01")
CUSTOMERS = pd.DataFrame(
    {"customer_id": [f"C{i}" for i in range(6)], "segment": ["x", "x", "y", "y", "z", "z"]}
)


def on_polars(kpi, *frames, **kwargs):
    """Run ``kpi`` on polars versions of ``frames`` (fast); return a pandas result."""
    pl = pytest.importorskip("polars")
    kwargs = {k: pl.from_pandas(v) if isinstance(v, pd.DataFrame) else v for k, v in kwargs.items()}
    return to_pandas(kpi(*[pl.from_pandas(f) for f in frames], **kwargs))


def shuffled(frame, seed):
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@st.composite
def order_tables(draw):
    n = draw(st.integers(1, 30))
    return pd.DataFrame(
        {
            "order_id": [f"O{draw(st.integers(0, n))}" for _ in range(n)],
            "customer_id": pd.Series(
                [draw(st.sampled_from(CUSTOMERS["customer_id"].tolist())) for _ in range(n)],
                dtype=object,
            ),
            "order_date": pd.to_datetime(
                pd.Series(
                    [BASE + pd.Timedelta(days=draw(st.integers(0, 900))) for _ in range(n)],
                    dtype="datetime64[ns]",
                )
            ),
            "amount": [float(draw(st.integers(0, 500))) for _ in range(n)],
        }
    )


@PROPS
@given(order_tables(), st.integers(0, 10_000))
def test_property_rfm_and_clv(orders, seed):
    as_of = "2026-06-30"
    rfm = on_polars(rfm_scores, orders, as_of=as_of)
    for col in ("r_score", "f_score", "m_score"):
        assert rfm[col].between(1, 5).all()
    ordered = rfm.sort_values("monetary")
    assert ordered["m_score"].is_monotonic_increasing
    assert rfm["segment"].notna().all()
    assert rfm["monetary"].sum() == pytest.approx(orders["amount"].sum())
    assert_frame_equal(on_polars(rfm_scores, shuffled(orders, seed), as_of=as_of), rfm, rtol=1e-9)
    clv = on_polars(historical_clv, orders, lifespan=2.0, as_of=as_of)
    by_seg = on_polars(
        historical_clv, orders, lifespan=2.0, as_of=as_of, by="segment", customers=CUSTOMERS
    )
    assert by_seg["customers"].sum() == clv["customers"].item()
    assert by_seg["revenue"].sum() == pytest.approx(clv["revenue"].item())


@PROPS
@given(order_tables(), st.integers(0, 10_000))
def test_property_cohorts_and_churn(orders, seed):
    cohorts = on_polars(cohort_retention, orders, freq="quarter")
    assert cohorts["retention"].dropna().between(0, 1).all()
    first = cohorts[(cohorts["period_index"] == 0) & (cohorts["customers"] > 0)]
    assert (first["retention"] == 1.0).all()
    assert first["customers"].sum() == orders["customer_id"].nunique()
    churn = on_polars(churn_rate, orders, freq="quarter", comparisons=False)
    ok = churn.dropna(subset=["churn_rate"])
    assert ok["churn_rate"].between(0, 1).all()
    np.testing.assert_allclose(ok["churn_rate"] + ok["retention_rate"], 1.0)
    assert (churn["active"] == churn["retained"] + churn["new"] + churn["reactivated"]).all()
    by_seg = on_polars(
        churn_rate, orders, freq="quarter", by="segment", customers=CUSTOMERS, comparisons=False
    )
    for col in ("customers_prev", "retained", "active", "new"):
        assert by_seg.groupby("period")[col].sum().tolist() == churn[col].tolist()
    assert_frame_equal(
        on_polars(churn_rate, shuffled(orders, seed), freq="quarter", comparisons=False), churn
    )
    assert_frame_equal(on_polars(cohort_retention, shuffled(orders, seed), freq="quarter"), cohorts)


@st.composite
def engagement_tables(draw):
    n = draw(st.integers(0, 30))
    return pd.DataFrame(
        {
            "customer_id": pd.Series(
                [draw(st.sampled_from(CUSTOMERS["customer_id"].tolist())) for _ in range(n)],
                dtype=object,
            ),
            "event_at": pd.to_datetime(
                pd.Series(
                    [BASE + pd.Timedelta(hours=draw(st.integers(0, 24 * 900))) for _ in range(n)],
                    dtype="datetime64[ns]",
                )
            ),
            "channel": pd.Series(
                [draw(st.sampled_from(["email", "web", "social"])) for _ in range(n)], dtype=object
            ),
            "event": pd.Series(
                [draw(st.sampled_from(["send", "open", "click", "visit"])) for _ in range(n)],
                dtype=object,
            ),
            "duration_s": [float(draw(st.integers(0, 600))) for _ in range(n)],
        }
    )


@PROPS
@given(engagement_tables(), order_tables(), st.integers(0, 10_000))
def test_property_engagement(events, orders, seed):
    kwargs = {"window_days": 60, "as_of": "2026-06-30"}
    overall = on_polars(engagement_after_purchase, events, orders, **kwargs)
    by_seg = on_polars(
        engagement_after_purchase, events, orders, by="segment", customers=CUSTOMERS, **kwargs
    )
    for col in ("customers", "exposure_days", "sends", "opens", "clicks", "visits"):
        assert by_seg[col].sum() == pytest.approx(overall[col].item())
    assert overall["visits"].item() <= (events["event"] == "visit").sum()
    assert overall["exposure_days"].item() <= 60 * len(
        orders[["customer_id", "order_date"]].drop_duplicates()
    )
    assert_frame_equal(
        on_polars(
            engagement_after_purchase, shuffled(events, seed), shuffled(orders, seed), **kwargs
        ),
        overall,
        rtol=1e-9,
    )


@settings(max_examples=6, deadline=None)
@given(order_tables(), engagement_tables())
def test_property_engines_agree(orders, events):
    run_on_engines(rfm_scores, orders, as_of="2026-01-31", lazy=False)
    run_on_engines(cohort_retention, orders, freq="quarter", as_of="2025-12-15", lazy=False)
    run_on_engines(churn_rate, orders, freq="half", by="segment", customers=CUSTOMERS, lazy=False)
    run_on_engines(historical_clv, orders, by="segment", customers=CUSTOMERS, lazy=False)
    run_on_engines(engagement_after_purchase, events, orders, window_days=45, lazy=False)


def test_duckdb_relations(orders, engagement, purchases):
    pytest.importorskip("duckdb")
    run_on_engines(churn_rate, orders, freq="month", duckdb=True)
    run_on_engines(engagement_after_purchase, engagement, purchases, window_days=30, duckdb=True)
    retention = cohort_retention(orders, freq="month")
    run_on_engines(retention_matrix, retention, duckdb=True)


@pytest.mark.parametrize("categorical", ["purchases", "engagement"])
@pytest.mark.parametrize("text", ["str", "object"])
def test_engagement_after_purchase_with_categorical_customer_ids(
    engagement, purchases, categorical, text
):
    """A Parquet dictionary column loads as a pandas categorical: the as-of join of
    categorical ids with text ids failed (MergeError) on a 10M-order pack."""
    kw = {"window_days": 30, "as_of": "2025-03-31"}
    frames = {"purchases": purchases.copy(), "engagement": engagement.copy()}
    for frame in frames.values():  # pandas' two text types: str (pandas 3) and object
        frame["customer_id"] = frame["customer_id"].astype(text)
    want = engagement_after_purchase(frames["engagement"], frames["purchases"], **kw)
    # as a Parquet dictionary column loads: categories of Python objects
    ids = frames[categorical]["customer_id"]
    frames[categorical]["customer_id"] = ids.astype(object).astype("category")
    got = engagement_after_purchase(frames["engagement"], frames["purchases"], **kw)
    assert want["customers"].iloc[0] == 2
    pd.testing.assert_frame_equal(got, want)
    mixed = {**frames, categorical: frames[categorical].astype({"customer_id": "object"})}
    if text == "str":  # str ids on one side, object ids on the other
        got = engagement_after_purchase(mixed["engagement"], mixed["purchases"], **kw)
        pd.testing.assert_frame_equal(got, want)
    pl = pytest.importorskip("polars")
    lazy = {k: pl.from_pandas(v).lazy() for k, v in frames.items()}
    out = engagement_after_purchase(lazy["engagement"], lazy["purchases"], **kw)
    pd.testing.assert_frame_equal(out.collect().to_pandas(), want, check_dtype=False)


def test_engagement_after_purchase_on_orders_loaded_from_parquet_dictionary_ids(tmp_path):
    """The 10M-order pack's failure, end to end: orders.parquet with dictionary-encoded
    customer ids loads them as a categorical of objects; engagement.csv as str."""
    import shutil

    import salesnb

    for path in salesnb.SAMPLE_DATA.glob("*.csv"):
        shutil.copy(path, tmp_path)
    orders = pd.read_csv(tmp_path / "orders.csv", dtype=str)
    (tmp_path / "orders.csv").unlink()
    orders["customer_id"] = orders["customer_id"].astype(object).astype("category")
    orders.to_parquet(tmp_path / "orders.parquet")
    data = salesnb.load(tmp_path)
    assert isinstance(data.revenue_lines["customer_id"].dtype, pd.CategoricalDtype)
    got = engagement_after_purchase(data.engagement, data.revenue_lines, as_of=data.as_of)
    sample = salesnb.load(salesnb.SAMPLE_DATA)
    want = engagement_after_purchase(sample.engagement, sample.revenue_lines, as_of=sample.as_of)
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("ids", ["str", "object", "string[pyarrow]", "category"])
def test_engagement_after_purchase_pandas_windows_equal_polars_on_random_data(ids):
    """pandas finds each customer's next purchase from one sort (repeated purchase
    instants dropped as neighbours); polars by ``unique`` and a shift over customers.
    Random orders with several orders on one day, cancelled orders and every pandas
    id type give the same figures (``string[pyarrow]`` compares to ``pd.NA``)."""
    pl = pytest.importorskip("polars")
    rng = np.random.default_rng(11)
    n = 400
    customers = [f"C{i:02d}" for i in range(25)]
    orders = pd.DataFrame(
        {
            "customer_id": rng.choice(customers, n),
            "order_date": pd.Timestamp("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 60, n), unit="D"),  # many repeats per day
            "amount": rng.uniform(10, 100, n),
            "status": rng.choice(["fulfilled", "fulfilled", "cancelled"], n),
        }
    )
    events = pd.DataFrame(
        {
            "customer_id": rng.choice(customers, 600),
            "event_at": pd.Timestamp("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 90 * 24, 600), unit="h"),
            "channel": rng.choice(["email", "web"], 600),
            "event": rng.choice(["send", "open", "click", "visit"], 600),
        }
    )
    kw = {"window_days": 14, "as_of": "2025-03-15"}
    want = (
        engagement_after_purchase(
            pl.from_pandas(events).lazy(), pl.from_pandas(orders).lazy(), **kw
        )
        .collect()
        .to_pandas()
    )
    typed = orders.assign(customer_id=orders["customer_id"].astype(ids))
    got = engagement_after_purchase(events, typed, **kw)
    assert want["customers"].iloc[0] == 25 and want["visits"].iloc[0] > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
