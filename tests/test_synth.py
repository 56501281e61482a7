"""Tests of salesnb.synth: the seeded synthetic dataset behind data/sample/."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesnb import synth
from salesnb.schema import (
    ACTIVITY_TYPES,
    CHANNELS,
    ENGAGEMENT_CHANNELS,
    ENGAGEMENT_EVENTS,
    OPPORTUNITY_STATUSES,
    ORDER_STATUSES,
    STAGES,
    TABLES,
    TARGET_LEVELS,
    columns,
    required_columns,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

SMALL = dict(start="2024-07-01", end="2026-06-30", n_regions=3, n_reps=10, n_customers=300)
TINY = dict(start="2025-01-01", end="2025-06-30", n_regions=1, n_reps=2, n_customers=25)

#: (table, earlier, later) pairs that must be ordered, beyond schema.TABLES' date_order.
ORDERED = [
    ("leads", "created_at", "converted_at"),
    ("opportunities", "created_at", "closed_at"),
    ("opportunities", "created_at", "stage_changed_at"),
    ("opportunities", "created_at", "last_activity_at"),
    ("opportunities", "stage_changed_at", "closed_at"),
    ("orders", "order_date", "fulfilled_at"),
    ("orders", "order_date", "paid_at"),
    ("orders", "order_date", "due_date"),
    ("activities", "scheduled_at", "completed_at"),
]


@pytest.fixture(scope="module")
def small():
    return synth.generate(3, **SMALL)


@pytest.fixture(scope="module")
def default_tables():
    """The committed sample's tables, regenerated (default seed and size)."""
    return synth.generate()


@pytest.fixture(scope="module")
def sample():
    """The committed CSVs read back with plain pandas (dates parsed)."""
    if not SAMPLE.is_dir():
        pytest.fail(f"{SAMPLE} is missing: run `python -m salesnb.synth --out data/sample`")
    out = {}
    for name in TABLES:
        frame = pd.read_csv(SAMPLE / f"{name}.csv", keep_default_na=False, na_values=[""])
        for col, spec in columns(name).items():
            if col in frame.columns and (spec.metadata or {}).get("kind") in ("date", "timestamp"):
                frame[col] = pd.to_datetime(frame[col])
        out[name] = frame
    return out


# ------------------------------------------------------------------ reproducibility


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def test_same_seed_gives_byte_identical_files(tmp_path):
    synth.write(synth.generate(11, **SMALL), tmp_path / "a")
    synth.write(synth.generate(11, **SMALL), tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert sorted(a) == sorted(f"{t}.csv" for t in TABLES)
    assert a == b


def test_different_seed_gives_different_data(tmp_path):
    synth.write(synth.generate(11, **SMALL), tmp_path / "a")
    synth.write(synth.generate(12, **SMALL), tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a["orders.csv"] != b["orders.csv"]
    assert a["leads.csv"] != b["leads.csv"]
    assert a["products.csv"] == b["products.csv"]  # the product list is fixed


def test_committed_sample_matches_regeneration(default_tables, tmp_path):
    synth.write(default_tables, tmp_path)
    fresh, committed = _files(tmp_path), _files(SAMPLE)
    assert sorted(committed) == sorted(fresh)
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, (
        f"data/sample differs from a regeneration in {stale}: "
        "run `python -m salesnb.synth --out data/sample --seed 7`"
    )
    assert sum(len(b) for b in committed.values()) < 5_000_000


def test_readme_lists_the_facts_the_generator_produces(default_tables):
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    assert synth.fact_sheet(default_tables) in readme
    assert "python -m salesnb.synth --out data/sample --seed 7" in readme


def test_write_format(tmp_path):
    t = synth.generate(5, **TINY)
    synth.write(t, tmp_path)
    raw = (tmp_path / "orders.csv").read_bytes()
    assert b"\r" not in raw
    lines = raw.decode("utf-8").splitlines()
    header = lines[0].split(",")
    row = dict(zip(header, lines[1].split(","), strict=True))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["order_date"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["due_date"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", row["fulfilled_at"]) or (
        row["fulfilled_at"] == ""
    )
    assert re.fullmatch(r"\d+\.\d{2}", row["amount"])
    ids = [line.split(",")[0] for line in lines[1:]]
    assert ids == sorted(ids)
    # the input frames are not modified by write
    again = synth.generate(5, **TINY)
    for name in t:
        pd.testing.assert_frame_equal(t[name], again[name])


# ------------------------------------------------------------------ contract


@pytest.mark.parametrize("config", [SMALL, TINY], ids=["small", "tiny"])
def test_contract_columns_values_keys_and_dates(config):
    t = synth.generate(2, **config)
    _check_contract(t, pd.Timestamp(config["end"]))


def test_default_size_holds_the_contract(default_tables):
    _check_contract(default_tables, pd.Timestamp("2026-09-30"))
    assert len(default_tables["customers"]) == 3000
    assert len(default_tables["reps"]) == 30
    assert default_tables["customers"]["region"].nunique() == 5


def _check_contract(t: dict[str, pd.DataFrame], end: pd.Timestamp) -> None:
    assert sorted(t) == sorted(TABLES)
    for name, frame in t.items():
        contract = columns(name)
        missing = set(required_columns(name)) - set(frame.columns)
        assert not missing, (name, missing)
        extra = set(frame.columns) - set(contract)
        assert extra <= ({"segment", "web_visits"} if name == "leads" else set()), (name, extra)
        assert len(frame), name
        # primary keys unique
        pk = list(TABLES[name].primary_key)
        pk = [c for c in pk if c in frame.columns]
        if pk:
            assert not frame.duplicated(pk).any(), name
        for col, spec in contract.items():
            if col not in frame.columns:
                continue
            meta = spec.metadata or {}
            values = frame[col]
            if not spec.nullable:
                assert values.notna().all(), (name, col)
            if meta.get("kind") in ("date", "timestamp"):
                assert pd.api.types.is_datetime64_any_dtype(values.dtype), (name, col)
                if meta.get("event"):
                    assert (
                        values.dropna() <= end + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
                    ).all(), (name, col)
            if meta.get("kind") in ("number", "integer"):
                assert values.dtype == np.float64, (name, col)
            if meta.get("references"):
                ptable, pcol = meta["references"].split(".")
                assert values.dropna().isin(t[ptable][pcol]).all(), (name, col)
    # allowed values
    assert set(t["opportunities"]["stage"]) <= set(STAGES)
    assert set(t["opportunities"]["status"]) <= set(OPPORTUNITY_STATUSES)
    assert set(t["orders"]["status"]) <= set(ORDER_STATUSES)
    assert set(t["orders"]["channel"]) <= set(CHANNELS)
    assert set(t["activities"]["type"]) <= set(ACTIVITY_TYPES)
    assert set(t["engagement"]["channel"]) <= set(ENGAGEMENT_CHANNELS)
    assert set(t["engagement"]["event"]) <= set(ENGAGEMENT_EVENTS)
    assert set(t["targets"]["level"]) == set(TARGET_LEVELS)
    assert t["targets"]["period"].str.fullmatch(r"\d{4}Q[1-4]").all()
    assert t["marketing_spend"]["period"].str.fullmatch(r"\d{4}Q[1-4]").all()
    assert (t["orders"]["amount"] >= 0).all() and (t["orders"]["quantity"] >= 1).all()
    assert (t["opportunities"]["amount"] >= 0).all()
    assert (t["competitor_prices"]["price"] > 0).all()
    score = t["satisfaction"]["score"]
    assert score.between(0, 10).all() and (score == score.round()).all()
    assert t["leads"]["converted"].dtype == bool
    # date order
    for table, a, b in ORDERED + [(n, a, b) for n, s in TABLES.items() for a, b in s.date_order]:
        f = t[table]
        both = f[a].notna() & f[b].notna()
        assert (f.loc[both, b] >= f.loc[both, a]).all(), (table, a, b)
    # every contract table's dates stay inside its story: orders within [start, end]
    assert t["orders"]["order_date"].max() <= end


# ------------------------------------------------------------------ coherence


def test_leads_convert_into_customers(small):
    leads, customers = small["leads"], small["customers"]
    conv = leads[leads["converted"]]
    assert (leads["converted"] == leads["converted_at"].notna()).all()
    assert (leads["converted"] == leads["customer_id"].notna()).all()
    assert conv["customer_id"].is_unique
    merged = conv.merge(customers, on="customer_id", suffixes=("_lead", ""))
    assert (merged["acquired_at"] == merged["converted_at"]).all()
    assert (merged["source_lead"] == merged["source"]).all()
    assert (merged["region_lead"] == merged["region"]).all()
    # customers not from leads are older accounts
    older = customers[~customers["customer_id"].isin(conv["customer_id"])]
    assert (older["acquired_at"] < pd.Timestamp(SMALL["start"])).all()
    assert len(customers) == SMALL["n_customers"]
    # a converted lead's first order is on its conversion day
    first = small["orders"].groupby("customer_id")["order_date"].min()
    assert (
        first.reindex(conv["customer_id"]).to_numpy()
        == conv["converted_at"].dt.normalize().to_numpy()
    ).all()


def test_opportunity_states(small):
    o = small["opportunities"]
    won, lost, open_ = (o[o["status"] == s] for s in ("won", "lost", "open"))
    assert len(won) and len(lost) and len(open_)
    assert (won["stage"] == STAGES[-1]).all()
    assert won["closed_at"].notna().all() and lost["closed_at"].notna().all()
    assert open_["closed_at"].isna().all()
    assert lost["lost_reason"].notna().all()
    assert o.loc[o["status"] != "lost", "lost_reason"].isna().all()
    assert o["expected_close_date"].notna().all()
    assert o["stage_changed_at"].notna().all() and o["last_activity_at"].notna().all()


@pytest.mark.parametrize("config", ["small", "tiny"])
def test_history_ends_in_each_deals_current_state(config, small):
    t = small if config == "small" else synth.generate(4, **TINY)
    end = pd.Timestamp((SMALL if config == "small" else TINY)["end"]) + pd.Timedelta(days=1)
    h, o = t["opportunity_history"], t["opportunities"].set_index("opportunity_id")
    assert set(h["opportunity_id"]) == set(o.index)
    assert h.equals(h.sort_values(["opportunity_id", "changed_at"], ignore_index=True))
    last = h.groupby("opportunity_id").tail(1).set_index("opportunity_id").loc[o.index]
    for col in ("stage", "status", "amount", "expected_close_date"):
        pd.testing.assert_series_equal(last[col], o[col], check_names=False)
    closed = o["status"] != "open"
    assert (last.loc[closed, "changed_at"] == o.loc[closed, "closed_at"]).all()
    open_ = ~closed
    assert (last.loc[open_, "changed_at"] >= o.loc[open_, "stage_changed_at"]).all()
    assert (last.loc[open_, "changed_at"] < end).all()
    late = o[["stage_changed_at", "last_activity_at"]].max(axis=1)
    assert (last.loc[open_, "changed_at"] <= late[open_]).all()  # no change after going dark
    first = h.groupby("opportunity_id").head(1).set_index("opportunity_id").loc[o.index]
    assert (first["changed_at"] == o["created_at"]).all()
    assert (first["status"] == "open").all()
    # the stage was entered at stage_changed_at: the row then holds it, the row before not
    h_at = h.merge(o[["stage", "stage_changed_at"]].reset_index(), on="opportunity_id")
    entered = h_at[h_at["changed_at"] == h_at["stage_changed_at"]]
    assert entered["opportunity_id"].is_unique and len(entered) == len(o)
    assert (entered["stage_x"] == entered["stage_y"]).all()
    # stages only advance, pushes only move the expected close date later, never into the past
    rank = h["stage"].map({s: i for i, s in enumerate(STAGES)})
    assert (rank.groupby(h["opportunity_id"]).diff().dropna() >= 0).all()
    moved = h.groupby("opportunity_id")["expected_close_date"].diff()
    assert (moved.dropna() >= pd.Timedelta(0)).all()
    pushed = moved > pd.Timedelta(0)
    assert (h.loc[pushed, "expected_close_date"] > h.loc[pushed, "changed_at"]).all()


def test_history_has_its_own_random_stream():
    from salesnb.synth.build import _build
    from salesnb.synth.company import Company

    def company():
        start, end = pd.Timestamp(TINY["start"]), pd.Timestamp(TINY["end"])
        return Company(np.random.default_rng(5), start, end, 1, 2, 25, 0.3)

    a = _build(company(), np.random.default_rng(1))
    b = _build(company(), np.random.default_rng(2))
    assert not a["opportunity_history"].equals(b["opportunity_history"])
    for name in a:
        if name != "opportunity_history":
            pd.testing.assert_frame_equal(a[name], b[name])


def test_won_deals_become_orders(small):
    won = small["opportunities"].query("status == 'won'")
    orders = small["orders"]
    key = ["customer_id", "rep_id", "product", "amount", "order_date"]
    won_keys = won.assign(order_date=won["closed_at"].dt.normalize())[key]
    matched = won_keys.merge(orders[key].drop_duplicates(), on=key, how="left", indicator=True)
    assert (matched["_merge"] == "both").all()


def test_last_activity_is_the_latest_completed_activity(small):
    acts = small["activities"]
    latest = acts.dropna(subset=["opportunity_id"]).groupby("opportunity_id")["completed_at"].max()
    opp = small["opportunities"].set_index("opportunity_id")
    assert (latest.reindex(opp.index) == opp["last_activity_at"]).all()


def test_orders_status_fulfilment_and_payment(small):
    o = small["orders"]
    assert (o["fulfilled_at"].notna() == (o["status"] == "fulfilled")).all()
    cancelled = o["status"] == "cancelled"
    assert o.loc[cancelled, ["due_date", "paid_at"]].isna().all().all()
    invoiced = o[~cancelled]
    assert ((invoiced["due_date"] - invoiced["order_date"]).dt.days == 30).all()
    paid_on_time = invoiced["paid_at"].dt.normalize() <= invoiced["due_date"]
    assert paid_on_time.mean() > 0.8  # most on time
    assert (invoiced["paid_at"].dt.normalize() > invoiced["due_date"]).sum() > 0  # some late
    assert invoiced["paid_at"].isna().sum() > 0  # some unpaid


def test_future_plans_exist_and_repeat_buyers_are_skewed(default_tables):
    end = pd.Timestamp("2026-09-30 23:59:59")
    acts = default_tables["activities"]
    future = acts[acts["scheduled_at"] > end]
    assert len(future) and future["completed_at"].isna().all()
    assert (future["type"] == "visit").any()
    orders = default_tables["orders"]
    per_customer = orders.groupby("customer_id").size()
    assert (per_customer == 1).mean() > 0.25  # many one-time buyers
    assert per_customer.max() >= 20  # a few heavy ones
    # demand (units) peaks in Q4; revenue also carries the 2026 price rise (fact 8)
    by_q = orders.groupby(orders["order_date"].dt.quarter)["quantity"].sum()
    assert by_q.idxmax() == 4  # Q4 peak


# ------------------------------------------------------------------ planted facts (sample)


def _quarter(s: pd.Series) -> pd.Series:
    return s.dt.to_period("Q").astype(str)


LAST4 = ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
PREV4 = ["2024Q4", "2025Q1", "2025Q2", "2025Q3"]


def test_fact_declining_region(sample):
    o = sample["orders"]
    o = o[o["status"] != "cancelled"]
    rq = o.assign(q=_quarter(o["order_date"])).pivot_table(
        index="region", columns="q", values="amount", aggfunc="sum"
    )
    growth = rq[LAST4].sum(axis=1) / rq[PREV4].sum(axis=1) - 1
    assert growth.idxmin() == "West"
    assert growth["West"] < -0.2
    assert (growth.drop("West") > 0).all()
    yoy = rq.loc["West", LAST4].to_numpy() / rq.loc["West", PREV4].to_numpy() - 1
    assert (yoy < 0).all()
    assert (np.diff(rq.loc["West", LAST4].to_numpy()) < 0).all()  # falls every quarter


def test_fact_slow_rep(sample):
    o = sample["opportunities"]
    won = o[o["status"] == "won"]
    days = (won["closed_at"] - won["created_at"]).dt.total_seconds() / 86400
    med = days.groupby(won["rep_id"]).median().sort_values()
    assert med.index[-1] == "R029"
    ratio = med.iloc[-1] / days.median()
    assert 1.8 <= ratio <= 2.5
    assert med.iloc[-2] / days.median() < 1.6


def test_fact_best_lead_source(sample):
    conv = sample["leads"].groupby("source")["converted"].mean().sort_values()
    assert conv.index[-1] == "referral"
    assert conv.iloc[-1] >= 2 * conv.iloc[-2]


def test_fact_undercut_product(sample):
    cp = sample["competitor_prices"].merge(sample["products"], on="product")
    cp = cp.assign(q=_quarter(cp["observed_date"]), ratio=cp["price"] / cp["list_price"])
    recent = (
        cp[cp["q"].isin(LAST4[-2:])]
        .groupby(["product", "competitor", "q"])["ratio"]
        .mean()
        .unstack("q")
    )
    under = recent[(recent < 0.9).all(axis=1)]
    assert list(under.index) == [("Monitor 27", "Corvex")]
    before = cp[~cp["q"].isin(LAST4[-2:])]
    pair = before[(before["product"] == "Monitor 27") & (before["competitor"] == "Corvex")]
    assert pair["ratio"].mean() > 0.95


def test_fact_overdue_rise(sample):
    o = sample["orders"]
    inv = o[o["due_date"].notna() & (o["due_date"] <= "2026-09-30")]
    late = inv["paid_at"].isna() | (inv["paid_at"].dt.normalize() > inv["due_date"])
    share = late.groupby(_quarter(inv["due_date"])).mean()
    assert share.idxmax() == "2026Q3"
    assert share["2026Q3"] >= 2 * share[PREV4[-1:] + LAST4[:-1]].mean()


def test_fact_satisfaction_drop(sample):
    s = sample["satisfaction"]
    s = s[_quarter(s["survey_date"]).isin(LAST4)]
    x = _quarter(s["survey_date"]).map({q: i for i, q in enumerate(LAST4)})
    slope = (
        s.assign(x=x)
        .groupby("rep_id")
        .apply(lambda g: np.polyfit(g["x"], g["score"], 1)[0], include_groups=False)
    )
    assert slope.idxmin() == "R013"
    assert slope.min() <= -1.5 and slope.drop("R013").min() > -1.0


def test_fact_pushed_out_quarter(sample):
    h = sample["opportunity_history"].sort_values(["opportunity_id", "changed_at"])
    before = h.groupby("opportunity_id")["expected_close_date"].shift()
    q = h["changed_at"].dt.to_period("Q")
    q_last = q.dt.end_time.dt.normalize()
    out = (h["status"] == "open") & (before <= q_last) & (h["expected_close_date"] > q_last)
    pushes = h[out].assign(q=q[out].astype(str)).drop_duplicates(["opportunity_id", "q"])
    value = pushes.groupby("q")["amount"].sum().sort_values()
    assert value.index[-1] == "2026Q2"
    assert value.iloc[-1] >= 2 * value.iloc[-2]
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    found = re.search(
        r"Pushed-out quarter: \*\*(\d{4}Q[1-4])\*\*: (\d+) deals worth ([\d,]+) moved out", readme
    )
    assert found and found.group(1) == "2026Q2"
    assert int(found.group(2)) == int((pushes["q"] == "2026Q2").sum())
    assert int(found.group(3).replace(",", "")) == round(value.iloc[-1])


def test_sample_loads_cleanly_through_the_loader():
    from salesnb import load

    data = load(SAMPLE)
    assert str(data.as_of.date()) == "2026-09-30"
    assert all(len(v) == 0 for v in data.rejected.values()), {
        k: len(v) for k, v in data.rejected.items()
    }


# ------------------------------------------------------------------ large_orders, cli, errors


def test_large_orders_contract_and_skew():
    df = synth.large_orders(1000, seed=4)
    assert list(df.columns) == [
        "order_id",
        "customer_id",
        "order_date",
        "region",
        "channel",
        "rep_id",
        "product",
        "quantity",
        "amount",
        "status",
        "due_date",
        "paid_at",
    ]
    assert len(df) == 1000 and df["order_id"].is_unique
    assert (df["amount"] >= 0).all() and (df["quantity"] >= 1).all()
    assert set(df["status"]) <= set(ORDER_STATUSES) and set(df["channel"]) <= set(CHANNELS)
    assert df["order_date"].between("2020-01-01", "2024-12-31").all()
    assert (df["paid_at"].dropna() <= pd.Timestamp("2025-01-01")).all()
    counts = df["customer_id"].value_counts()
    assert (counts == 1).any() and counts.max() >= 5
    pd.testing.assert_frame_equal(df, synth.large_orders(1000, seed=4))
    assert len(synth.large_orders(0)) == 0


def test_main_writes_the_tables(tmp_path, capsys):
    assert (
        synth.main(
            ["--out", str(tmp_path), "--seed", "3", "--start", "2025-01-01", "--end", "2025-12-31"]
        )
        == 0
    )
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == sorted(f"{t}.csv" for t in TABLES)
    assert f"wrote {len(TABLES)} tables" in capsys.readouterr().out


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(start="2025-01-01", end="2025-02-01"), "at least 90 days"),
        (dict(n_regions=9), "n_regions"),
        (dict(n_regions=5, n_reps=6), "at least 2 per region"),
        (dict(n_customers=5), "n_customers"),
    ],
)
def test_generate_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        synth.generate(**kwargs)
