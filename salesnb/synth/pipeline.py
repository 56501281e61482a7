"""Leads, customers and opportunities: the sales pipeline of the sample company.

Leads arrive by day and region following demand, with a source, a segment and
web visits that set their chance of converting; a converted lead becomes a
customer (next to the older accounts acquired before ``start``), with the
purchase, payment and engagement propensities the later generators use.
Business customers get opportunities from their account rep, with a win
chance and sales cycle that depend on the rep.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.schema import STAGES
from salesnb.synth.catalog import (
    CITIES,
    LOST_REASON_P,
    LOST_REASONS,
    PRODUCTS,
    SEGMENT_LOGIT,
    SEGMENT_OPP_RATE,
    SEGMENT_RATE,
    SEGMENT_SHARE,
    SEGMENT_SPEND,
    SEGMENTS,
    SOURCE_SHARE,
    SOURCE_VISITS,
    SOURCES,
)
from salesnb.synth.company import Company, pick_rep
from salesnb.synth.draws import choice_rows, company_names, ids, person_names
from salesnb.synth.facts import DECLINE_WIN_LOGIT, SOURCE_CONV
from salesnb.synth.timeline import DAY_MIN, biz_minutes, dates, snap, timestamps

# =============================================================================== leads, customers


def make_leads_and_customers(co: Company) -> None:
    """Leads (``co.leads``), customers (``co.cust``) and the customer row of each
    lead (``co.lead_customer``, -1 when not converted)."""
    leads = _draw_leads(co)
    co.leads = leads
    cust = _draw_customers(co, leads)
    co.cust = cust
    lead_to_cust = np.full(len(leads), -1)
    lead_to_cust[cust["lead"].to_numpy()[cust["lead"].to_numpy() >= 0]] = np.flatnonzero(
        cust["lead"].to_numpy() >= 0
    )
    co.lead_customer = lead_to_cust


def _draw_leads(co: Company) -> pd.DataFrame:
    """Leads in batches until ``co.n_new`` of them convert within the span, cut
    after the last needed conversion; with owner rep and minute times, by time."""
    rng, E = co.rng, co.E
    dmax_days = np.arange(0, E + 1)
    # day x region weights of lead arrivals
    w = np.stack(
        [co.region_size[r] * co.demand(dmax_days, np.full(E + 1, r)) for r in range(co.n_regions)],
        axis=1,
    )
    p_flat = (w / w.sum()).ravel()
    exp_rate = float(SOURCE_SHARE @ SOURCE_CONV) * 0.9
    n_cand = int(co.n_new / exp_rate * 1.6) + 200
    chunks = []
    got = 0
    while got < co.n_new:
        cell = rng.choice(len(p_flat), size=n_cand, p=p_flat)
        day, region = cell // co.n_regions, cell % co.n_regions
        source = rng.choice(len(SOURCES), size=n_cand, p=SOURCE_SHARE)
        segment = rng.choice(3, size=n_cand, p=SEGMENT_SHARE)
        visits = rng.poisson(SOURCE_VISITS[source])
        base = np.log(SOURCE_CONV / (1 - SOURCE_CONV))[source]
        logit = base + 0.22 * (visits - SOURCE_VISITS[source]) + SEGMENT_LOGIT[segment]
        p = 1 / (1 + np.exp(-logit))
        conv = rng.random(n_cand) < p
        lag = 1 + np.floor(rng.gamma(2.0, 11.0, size=n_cand)).astype(np.int64)
        lag = np.where(source == 1, np.maximum(1, lag // 2), lag)  # referrals decide fast
        in_window = conv & (day + lag <= E)
        minute = biz_minutes(rng, n_cand)
        cminute = biz_minutes(rng, n_cand)
        chunks.append(
            pd.DataFrame(
                {
                    "day": day,
                    "minute": minute,
                    "region": region,
                    "source": source,
                    "segment": segment,
                    "visits": visits,
                    "conv": in_window,
                    "lag": lag,
                    "cminute": cminute,
                }
            )
        )
        got += int(in_window.sum())
    leads = pd.concat(chunks, ignore_index=True)
    cut = int(np.searchsorted(leads["conv"].cumsum().to_numpy(), co.n_new)) + 1
    leads = leads.iloc[:cut].copy() if co.n_new > 0 else leads.iloc[:0].copy()
    team = np.where(leads["segment"].to_numpy() == 2, 0, 1)
    leads["rep"] = pick_rep(co, leads["region"].to_numpy(), team, leads["day"].to_numpy())
    leads["t"] = leads["day"] * DAY_MIN + leads["minute"]
    conv_day = leads["day"] + leads["lag"]
    leads["conv_t"] = np.where(leads["conv"], conv_day * DAY_MIN + leads["cminute"], -1)
    # same-day conversions must not precede the lead
    leads = leads.sort_values(["t", "region", "source"], kind="stable").reset_index(drop=True)
    return leads


def _draw_customers(co: Company, leads: pd.DataFrame) -> pd.DataFrame:
    """Legacy accounts and converted leads, by acquisition time, with names, cities
    and the BG/NBD-like, payment and engagement propensities."""
    # customers: legacy accounts + converted leads
    rng = co.rng
    nl = co.n_legacy
    l_region = rng.choice(co.n_regions, size=nl, p=co.region_size / co.region_size.sum())
    l_segment = rng.choice(3, size=nl, p=SEGMENT_SHARE)
    src_p = SOURCE_SHARE * SOURCE_CONV
    l_source = rng.choice(len(SOURCES), size=nl, p=src_p / src_p.sum())
    l_day = -rng.integers(1, co.legacy_span, size=nl)
    l_t = l_day * DAY_MIN + biz_minutes(rng, nl)
    l_team = np.where(l_segment == 2, 0, 1)
    l_rep = pick_rep(co, l_region, l_team, np.zeros(nl, dtype=np.int64))
    conv = leads[leads["conv"]]
    cust = pd.DataFrame(
        {
            "t": np.concatenate([l_t, conv["conv_t"].to_numpy()]),
            "region": np.concatenate([l_region, conv["region"].to_numpy()]),
            "segment": np.concatenate([l_segment, conv["segment"].to_numpy()]),
            "source": np.concatenate([l_source, conv["source"].to_numpy()]),
            "rep": np.concatenate([l_rep, conv["rep"].to_numpy()]),
            "lead": np.concatenate([np.full(nl, -1), conv.index.to_numpy()]),
        }
    )
    cust = cust.sort_values(["t", "lead"], kind="stable").reset_index(drop=True)
    cust["customer_id"] = ids("C", len(cust), 5)
    n = len(cust)
    seg = cust["segment"].to_numpy()
    cust["name"] = np.where(seg == 0, person_names(rng, n), company_names(rng, n))
    cities = rng.integers(0, 5, size=n)
    cust["city"] = [CITIES[co.regions[r]][c] for r, c in zip(cust["region"], cities, strict=True)]
    # BG/NBD-like parameters
    cust["lam"] = SEGMENT_RATE[seg] * rng.gamma(1.0, 1.0, size=n)
    cust["p_drop"] = rng.beta(1.0, 3.6, size=n)
    cust["spend"] = SEGMENT_SPEND[seg] * rng.gamma(4.0, 1 / 4.0, size=n)
    cust["payer"] = rng.gamma(2.0, 0.5, size=n)  # late-payment propensity
    # engagement: opted-in customers, propensity tied to loyalty (low dropout)
    loyal = 1 - cust["p_drop"].to_numpy()
    cust["optin"] = rng.random(n) < 0.35 + 0.3 * loyal
    cust["eng"] = np.clip(rng.beta(2, 3, size=n) * (0.6 + 0.6 * loyal), 0.02, 0.95)
    return cust


# =============================================================================== opportunities


def make_opportunities(co: Company) -> None:
    """Deals of business customers (``co.opps``): product, amount, outcome, stage,
    dates, and whether the deal went dark (``zombie``)."""
    rng, E = co.rng, co.E
    c = co.cust
    cust, created_day = _opportunity_arrivals(co)
    n = len(cust)
    rep = c["rep"].to_numpy()[cust]
    oseg = c["segment"].to_numpy()[cust]
    oreg = c["region"].to_numpy()[cust]
    corp = oseg == 2
    created = created_day * DAY_MIN + biz_minutes(rng, n)
    prod, disc, qty, amount = _deal_content(co, corp)
    # outcome
    logit = co.rep_win_logit[rep] + np.where(corp, -0.1, 0.1)
    late = (oreg == co.decline_region) & (created_day >= co.decline_from)
    logit = logit - DECLINE_WIN_LOGIT * late  # the declining region also loses more deals
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    zombie = rng.random(n) < 0.08
    base = np.where(corp, 45.0, 40.0) * co.rep_cycle[rep]
    cycle = rng.gamma(8.0, base / 8.0)
    cycle = np.where(won, cycle, cycle * 0.8)
    cycle = np.maximum(cycle, 2.0)
    final_stage = np.where(
        won, len(STAGES) - 1, rng.choice(len(STAGES), size=n, p=[0.3, 0.3, 0.25, 0.15])
    )
    status, reached, closed, stage_changed, last_act, is_open, cleaned = _deal_timeline(
        co, created, cycle, won, zombie, final_stage
    )
    est = np.where(corp, 45.0, 40.0) * rng.uniform(0.7, 1.2, size=n)
    expected = created_day + np.round(est).astype(np.int64)
    push = is_open & (expected <= E) & (rng.random(n) < 0.6)
    expected = np.where(push, E + rng.integers(10, 75, size=n), expected)
    lost_reason = np.where(
        status == "lost",
        np.array(LOST_REASONS, dtype=object)[
            rng.choice(len(LOST_REASONS), size=n, p=LOST_REASON_P)
        ],
        None,
    )
    lost_reason[cleaned] = "no decision"
    co.opps = pd.DataFrame(
        {
            "cust": cust,
            "rep": rep,
            "product": prod,
            "qty": qty.astype(float),
            "disc": disc,
            "amount": amount,
            "created": created,
            "stage": reached,
            "status": status,
            "expected": expected,
            "closed": closed,
            "stage_changed": stage_changed,
            "last_act": np.floor(last_act),
            "lost_reason": lost_reason,
            "zombie": zombie,
            "region": oreg,
        }
    )
    co.opps["opportunity_id"] = ids("OP", n, 5)


def _opportunity_arrivals(co: Company) -> tuple[np.ndarray, np.ndarray]:
    """Customer row and creation day of each deal, by day: a Poisson process per
    business customer while alive (plus 60 days), thinned by demand."""
    rng, E = co.rng, co.E
    c = co.cust
    seg = c["segment"].to_numpy()
    region = c["region"].to_numpy()
    rate = SEGMENT_OPP_RATE[seg] / 365.25
    mx = co.demand_max()[region]
    t0 = np.maximum(c["t"].to_numpy() / DAY_MIN, 0) + 7
    t1 = np.minimum(co.death + 60, E + 1)
    idx = np.flatnonzero(rate > 0)
    t = t0.copy()
    oc, ot = [], []
    while len(idx):
        t[idx] += rng.exponential(1.0 / (rate[idx] * mx[idx]))
        idx = idx[t[idx] < t1[idx]]
        if not len(idx):
            break
        day = np.floor(t[idx]).astype(np.int64)
        acc = rng.random(len(idx)) < co.demand(day, region[idx]) / mx[idx]
        oc.append(idx[acc])
        ot.append(t[idx[acc]])
    cust = np.concatenate(oc) if oc else np.zeros(0, np.int64)
    created_day = np.floor(np.concatenate(ot)).astype(np.int64) if ot else cust
    order = np.lexsort((cust, created_day))
    return cust[order], created_day[order]


def _deal_content(co: Company, corp: np.ndarray) -> tuple[np.ndarray, ...]:
    """Product, discount, quantity and amount of each deal (bigger for corporate)."""
    rng = co.rng
    n = len(corp)
    dw = np.array([p[5] for p in PRODUCTS])
    prod = choice_rows(rng, np.where(corp[:, None], dw[None, :, 1], dw[None, :, 0]))
    disc = np.round(rng.uniform(0.0, 0.15, size=n), 2)
    value = np.where(corp, 4000.0, 1300.0) * rng.lognormal(0.0, 0.35, size=n)
    unit = co.price[prod] * (1 - disc)
    qty = np.maximum(1.0, np.round(value / unit))
    amount = np.round(qty * unit, 2)
    return prod, disc, qty, amount


def _deal_timeline(co: Company, created, cycle, won, zombie, final_stage) -> tuple:
    """Status, stage reached, close, stage-change and last-activity times of each deal.

    Won and lost deals close after their cycle (still open when that is after
    ``end``); zombies go dark part-way and reps close the oldest ones as lost
    months later. Returns ``(status, reached, closed, stage_changed, last_act,
    is_open, cleaned)``.
    """
    rng, E = co.rng, co.E
    n = len(created)
    # stage entry times (fractions of the cycle) for each stage up to the final one
    ns = len(STAGES)
    frac = np.sort(rng.uniform(0.05, 0.9, size=(n, ns - 1)), axis=1)
    entry = np.concatenate([np.zeros((n, 1)), frac], axis=1)  # entry[:, 0] = 0
    entry_t = created[:, None] + entry * cycle[:, None] * DAY_MIN
    close_t = created + cycle * DAY_MIN
    close_t = np.floor(close_t / DAY_MIN) * DAY_MIN + biz_minutes(rng, n)
    close_t = np.maximum(close_t, created + 60)
    end_t = (E + 1) * DAY_MIN - 1
    # zombies go dark part-way; reps close the oldest ones as lost months later
    dark_t = created + rng.uniform(0.1, 0.6, size=n) * cycle * DAY_MIN
    dark_t = snap(rng, dark_t, created, end_t - rng.exponential(3.0, size=n) * DAY_MIN)
    cleanup_t = snap(rng, dark_t + rng.uniform(150, 420, size=n) * DAY_MIN, dark_t, np.inf)
    cleaned = zombie & (cleanup_t <= end_t)
    status = np.where(won, "won", "lost").astype(object)
    is_open = (zombie & ~cleaned) | (~zombie & (close_t > end_t))
    status[is_open] = "open"
    status[cleaned] = "lost"
    horizon = np.where(zombie, dark_t, np.minimum(close_t, end_t))
    partial = is_open | cleaned
    reached = np.where(partial, 0, final_stage)
    for s in range(1, ns):
        hit = (s <= final_stage) & (entry_t[:, s] <= horizon) & partial
        reached = np.where(hit, s, reached)
    stage_changed = snap(rng, entry_t[np.arange(n), reached], created, horizon)
    stage_changed = np.where(reached == 0, created, stage_changed)
    # last activity (activities are laid out up to it in make_activities)
    last_act = np.where(
        is_open & ~zombie,
        snap(rng, end_t - rng.exponential(6.0, size=n) * DAY_MIN, created, end_t),
        np.where(zombie, dark_t, close_t - rng.integers(0, 120, size=n)),
    )
    last_act = np.maximum(np.maximum(last_act, stage_changed), created)
    closed = np.where(cleaned, cleanup_t, np.where(is_open, np.nan, close_t))
    return status, reached, closed, stage_changed, last_act, is_open, cleaned


# =============================================================================== tables


def customers_table(co: Company) -> pd.DataFrame:
    c = co.cust
    return pd.DataFrame(
        {
            "customer_id": list(c["customer_id"]),
            "name": list(c["name"]),
            "segment": [SEGMENTS[s] for s in c["segment"]],
            "region": [co.regions[r] for r in c["region"]],
            "country": "United States",
            "city": list(c["city"]),
            "acquired_at": timestamps(co.start, c["t"].to_numpy()),
            "source": [SOURCES[s] for s in c["source"]],
        }
    )


def leads_table(co: Company) -> pd.DataFrame:
    le = co.leads
    cid = co.cust["customer_id"].to_numpy()
    lc = co.lead_customer
    conv = le["conv"].to_numpy()
    return pd.DataFrame(
        {
            "lead_id": ids("L", len(le), 5),
            "created_at": timestamps(co.start, le["t"].to_numpy()),
            "source": [SOURCES[s] for s in le["source"]],
            "region": [co.regions[r] for r in le["region"]],
            "rep_id": list(co.rep_ids[le["rep"].to_numpy()]),
            "converted_at": timestamps(co.start, le["conv_t"].to_numpy(), conv),
            "converted": conv.astype(bool),
            "customer_id": [cid[i] if i >= 0 else None for i in lc],
            "segment": [SEGMENTS[s] for s in le["segment"]],
            "web_visits": le["visits"].to_numpy().astype(float),
        }
    )


def opportunities_table(co: Company) -> pd.DataFrame:
    o = co.opps
    cid = co.cust["customer_id"].to_numpy()
    names = [p[0] for p in PRODUCTS]
    closed = o["closed"].to_numpy()
    return pd.DataFrame(
        {
            "opportunity_id": list(o["opportunity_id"]),
            "customer_id": list(cid[o["cust"].to_numpy()]),
            "rep_id": list(co.rep_ids[o["rep"].to_numpy()]),
            "product": [names[p] for p in o["product"]],
            "created_at": timestamps(co.start, o["created"].to_numpy()),
            "stage": [STAGES[s] for s in o["stage"]],
            "status": list(o["status"]),
            "amount": o["amount"].to_numpy(dtype=float),
            "expected_close_date": dates(co.start, o["expected"].to_numpy()),
            "closed_at": timestamps(co.start, closed),
            "stage_changed_at": timestamps(co.start, np.floor(o["stage_changed"].to_numpy())),
            "last_activity_at": timestamps(co.start, o["last_act"].to_numpy()),
            "lost_reason": list(o["lost_reason"]),
        }
    )
