"""Property-based tests of the pipeline-change waterfall on randomised deal histories.

Amounts are whole numbers, so sums are exact in floating point and the identity
``start + Σ steps = end`` is checked with ``==``.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesnb import kpi
from salesnb.schema import STAGES
from tests.kpi_engines import run_on_engines

DAY0 = pd.Timestamp("2025-06-01")
WINDOWS = [None, "2025Q3", ("2025-07-15", "2025-08-31")]

_row = st.tuples(
    st.integers(0, 120),  # changed_at: days after DAY0
    st.integers(0, 23),  # hour
    st.sampled_from(["open", "open", "won", "lost"]),
    st.one_of(st.none(), st.integers(0, 1000)),  # amount
    st.one_of(st.none(), st.integers(0, 200)),  # expected close: days after DAY0
    st.sampled_from([*STAGES, None]),
)
_deal = st.lists(_row, min_size=1, max_size=5, unique_by=lambda r: (r[0], r[1]))
_histories = st.lists(_deal, min_size=1, max_size=6)


def _frame(deals) -> pd.DataFrame:
    rows = [
        {
            "opportunity_id": f"O{i}",
            "changed_at": DAY0 + pd.Timedelta(days=day, hours=hour),
            "stage": stage,
            "status": status,
            "amount": None if amount is None else float(amount),
            "expected_close_date": None if close is None else DAY0 + pd.Timedelta(days=close),
        }
        for i, deal in enumerate(deals)
        for day, hour, status, amount, close, stage in deal
    ]
    frame = pd.DataFrame(rows)
    frame["expected_close_date"] = pd.to_datetime(frame["expected_close_date"])
    frame["amount"] = frame["amount"].astype(float)
    return frame


def _window(window):
    if window is None:
        return None
    if isinstance(window, str):
        return pd.Timestamp("2025-07-01"), pd.Timestamp("2025-10-01")
    return pd.Timestamp(window[0]), pd.Timestamp(window[1]) + pd.Timedelta(days=1)


def _reference_pipeline(history: pd.DataFrame, day: pd.Timestamp, window) -> pd.DataFrame:
    """Plain pandas: the last row of each deal by the end of ``day``, open and in window."""
    upto = history[history["changed_at"] < day + pd.Timedelta(days=1)]
    state = upto.sort_values("changed_at").groupby("opportunity_id").tail(1)
    in_pipe = state["status"].eq("open")
    bounds = _window(window)
    if bounds is not None:
        close = state["expected_close_date"]
        in_pipe &= close.ge(bounds[0]) & close.lt(bounds[1])
    return state[in_pipe]


def _check(history, start, end, window, out, detail):
    steps = out.set_index("step")
    values, deals = steps["value"], steps["deals"]
    parts = values.drop(["start", "end"])
    assert values["start"] + parts.sum() == values["end"]
    entering = deals[["new", "reopened", "pulled_in"]].sum()
    leaving = deals[["pushed_out", "won", "lost"]].sum()
    assert deals["start"] + entering - leaving == deals["end"]
    assert (parts[["new", "reopened", "pulled_in", "increased"]] >= 0).all()
    assert (parts[["decreased", "pushed_out", "won", "lost"]] <= 0).all()
    for day, name in ((start, "start"), (end, "end")):
        ref = _reference_pipeline(history, day, window)
        assert deals[name] == len(ref)
        assert values[name] == ref["amount"].fillna(0.0).sum()
        assert steps.loc[name, "without_amount"] == ref["amount"].isna().sum()
    ref_ids = set(_reference_pipeline(history, start, window)["opportunity_id"]) | set(
        _reference_pipeline(history, end, window)["opportunity_id"]
    )
    assert set(detail["opportunity_id"]) == ref_ids
    assert detail["opportunity_id"].is_unique
    moved = detail[detail["step"] != "unchanged"]
    assert (
        moved.groupby("step").size().reindex(parts.index, fill_value=0) == deals[parts.index]
    ).all()
    assert (
        moved.groupby("step")["value"].sum().reindex(parts.index, fill_value=0.0) == parts
    ).all()


_settings = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@_settings
@given(
    deals=_histories,
    days=st.lists(st.integers(-5, 125), min_size=2, max_size=2).map(sorted),
    window=st.sampled_from(WINDOWS),
)
def test_waterfall_adds_up_on_random_histories(deals, days, window):
    history = _frame(deals)
    start, end = (DAY0 + pd.Timedelta(days=d) for d in days)
    opts = {"start": start, "end": end, "window": window}
    out = kpi.pipeline_waterfall(history, **opts)
    detail = kpi.pipeline_waterfall(history, detail=True, **opts)
    _check(history, start, end, window, out, detail)


@settings(max_examples=3, deadline=None, derandomize=True)
@given(
    deals=_histories,
    days=st.lists(st.integers(-5, 125), min_size=2, max_size=2).map(sorted),
    window=st.sampled_from(WINDOWS),
)
def test_waterfall_same_on_polars_and_duckdb(deals, days, window):
    history = _frame(deals)
    start, end = (DAY0 + pd.Timedelta(days=d) for d in days)
    out = run_on_engines(
        kpi.pipeline_waterfall,
        history,
        start=start,
        end=end,
        window=window,
        engines=["polars", "duckdb"],
    )
    assert out["value"].iloc[0] + out["value"].iloc[1:-1].sum() == out["value"].iloc[-1]


@settings(max_examples=10, deadline=None, derandomize=True)
@given(deals=_histories, day=st.integers(-5, 125))
def test_snapshot_is_the_last_row_by_the_day(deals, day):
    history = _frame(deals)
    as_of = DAY0 + pd.Timedelta(days=day)
    out = kpi.opportunities_as_of(history, as_of=as_of).set_index("opportunity_id")
    upto = history[history["changed_at"] < as_of + pd.Timedelta(days=1)]
    ref = upto.sort_values("changed_at").groupby("opportunity_id").tail(1)
    ref = ref.set_index("opportunity_id").sort_index()
    assert out.index.tolist() == ref.index.tolist()
    assert out["status"].tolist() == ref["status"].tolist()
    pd.testing.assert_series_equal(out["amount"], ref["amount"], check_names=False)
    assert (out["stage_changed_at"] <= out["last_activity_at"]).all()
    closed = out["status"].isin(["won", "lost"])
    assert out.loc[closed, "closed_at"].notna().all()
    assert out.loc[~closed, "closed_at"].isna().all()
