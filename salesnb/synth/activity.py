"""Activities and satisfaction: what reps do and how their customers rate them.

Activities are logged on each deal up to its last activity, planned on live
deals after ``end``, and as account visits to corporate customers; quarterly
satisfaction scores per rep include the planted unhappy rep.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.schema import ACTIVITY_TYPES
from salesnb.synth.company import Company
from salesnb.synth.draws import choice_rows, ids
from salesnb.synth.facts import UNHAPPY_FALL, UNHAPPY_START
from salesnb.synth.timeline import DAY_MIN, biz_minutes, dates, snap, timestamps


def make_activities(co: Company) -> None:
    """Activities (``co.acts``), by scheduled time; sets each deal's ``last_act`` to
    its latest completed activity."""
    n = len(co.opps)
    acts = [_deal_activities(co), _future_activities(co), _account_visits(co)]
    a = pd.concat(acts, ignore_index=True)
    a = a.sort_values(["sched", "rep", "cust", "opp"], kind="stable").reset_index(drop=True)
    a["activity_id"] = ids("A", len(a), 6)
    co.acts = a
    lat = a[a["opp"] >= 0].groupby("opp")["done"].max()
    co.opps["last_act"] = lat.reindex(np.arange(n)).to_numpy()


def _deal_activities(co: Company) -> pd.DataFrame:
    """Past activities on each deal, from its creation to its last activity; a few
    inner ones were missed (not completed)."""
    rng = co.rng
    o = co.opps
    n = len(o)
    created = o["created"].to_numpy()
    last = o["last_act"].to_numpy()
    span_days = (last - created) / DAY_MIN
    k = 1 + np.minimum(rng.poisson(span_days / 18.0), 12)
    opp = np.repeat(np.arange(n), k)
    pos = np.concatenate([np.arange(m) for m in k]) if n else np.zeros(0, np.int64)
    kk = np.repeat(k, k)
    u = rng.random(len(opp))
    # spread: the last at last_act, the first at created, others uniform in between
    frac = np.where(pos == kk - 1, 1.0, np.where(pos == 0, 0.0, u))
    done_t = np.floor(created[opp] + frac * (last - created)[opp])
    inner = (pos > 0) & (pos < kk - 1)
    done_t = np.where(inner, snap(rng, done_t, created[opp], last[opp]), done_t)
    corp = co.cust["segment"].to_numpy()[o["cust"].to_numpy()][opp] == 2
    typ = np.where(corp[:, None], [[0.3, 0.3, 0.25, 0.15]], [[0.4, 0.4, 0.15, 0.05]])
    atype = choice_rows(rng, typ)
    dur = np.array([15, 0, 60, 90])[atype]
    sched_t = done_t - dur
    sched_t = np.maximum(sched_t, created[opp])
    done_t = np.maximum(done_t, sched_t)
    # a few past activities did not happen (never the latest one)
    missed = (pos < kk - 1) & (pos > 0) & (rng.random(len(opp)) < 0.05)
    return pd.DataFrame(
        {
            "rep": o["rep"].to_numpy()[opp],
            "cust": o["cust"].to_numpy()[opp],
            "opp": opp,
            "type": atype,
            "sched": sched_t,
            "done": np.where(missed, np.nan, done_t),
        }
    )


def _future_activities(co: Company) -> pd.DataFrame:
    """Up to two activities planned after ``end`` on each live (open, not dark) deal."""
    rng, E = co.rng, co.E
    o = co.opps
    live = np.flatnonzero((o["status"].to_numpy() == "open") & ~o["zombie"].to_numpy())
    nf = rng.integers(0, 3, size=len(live))
    fopp = np.repeat(live, nf)
    fday = E + 1 + rng.integers(0, 45, size=len(fopp))
    return pd.DataFrame(
        {
            "rep": o["rep"].to_numpy()[fopp],
            "cust": o["cust"].to_numpy()[fopp],
            "opp": fopp,
            "type": rng.choice(4, size=len(fopp), p=[0.35, 0.1, 0.35, 0.2]),
            "sched": (fday * DAY_MIN + biz_minutes(rng, len(fopp))).astype(float),
            "done": np.nan,
        }
    )


def _account_visits(co: Company) -> pd.DataFrame:
    """Visits to corporate customers (no deal) while they are alive, some after ``end``."""
    rng, E = co.rng, co.E
    c = co.cust
    corp_c = np.flatnonzero(c["segment"].to_numpy() == 2)
    a0 = np.maximum(c["t"].to_numpy()[corp_c] / DAY_MIN, 0)
    a1 = np.minimum(co.death[corp_c], E + 60)
    years = np.maximum(a1 - a0, 0) / 365.25
    nv = rng.poisson(0.7 * years)
    vc = np.repeat(np.arange(len(corp_c)), nv)
    vday = np.floor(a0[vc] + rng.random(len(vc)) * (a1 - a0)[vc]).astype(np.int64)
    vt = (vday * DAY_MIN + biz_minutes(rng, len(vc))).astype(float)
    future = vt > (E + 1) * DAY_MIN - 1
    vdone = np.where(future | (rng.random(len(vc)) < 0.04), np.nan, vt + 90)
    vdone = np.where(vdone > (E + 1) * DAY_MIN - 1, np.nan, vdone)
    return pd.DataFrame(
        {
            "rep": c["rep"].to_numpy()[corp_c][vc],
            "cust": corp_c[vc],
            "opp": -1,
            "type": 3,
            "sched": vt,
            "done": vdone,
        }
    )


def activities_table(co: Company) -> pd.DataFrame:
    a = co.acts
    cid = co.cust["customer_id"].to_numpy()
    oid = co.opps["opportunity_id"].to_numpy()
    opp = a["opp"].to_numpy()
    return pd.DataFrame(
        {
            "activity_id": list(a["activity_id"]),
            "rep_id": list(co.rep_ids[a["rep"].to_numpy()]),
            "customer_id": list(cid[a["cust"].to_numpy()]),
            "opportunity_id": [oid[i] if i >= 0 else None for i in opp],
            "type": [ACTIVITY_TYPES[t] for t in a["type"]],
            "scheduled_at": timestamps(co.start, a["sched"].to_numpy()),
            "completed_at": timestamps(co.start, a["done"].to_numpy()),
        }
    )


def satisfaction_table(co: Company) -> pd.DataFrame:
    rng = co.rng
    rows = []
    n_q = co.q_end - co.q_first + 1
    base = rng.normal(7.4, 0.7, size=co.n_reps)
    for k, q in enumerate(range(co.q_first, co.q_end + 1)):
        qs = pd.Timestamp(year=2000 + q // 4, month=3 * (q % 4) + 3, day=15)
        day = min((qs - co.start).days, co.E)
        if day < 0:
            continue
        for i in range(co.n_reps):
            if co.rep_hire[i] > day - 30:
                continue
            mu = base[i]
            if i == co.unhappy_rep:
                mu = UNHAPPY_START - UNHAPPY_FALL * max(0, k - (n_q - 5))
            score = int(np.clip(np.round(mu + rng.normal(0, 0.8)), 0, 10))
            rows.append((co.rep_ids[i], day, score))
    frame = pd.DataFrame(rows, columns=["rep_id", "day", "score"])
    return pd.DataFrame(
        {
            "rep_id": list(frame["rep_id"]),
            "survey_date": dates(co.start, frame["day"].to_numpy()),
            "score": frame["score"].to_numpy(dtype=float),
        }
    )
