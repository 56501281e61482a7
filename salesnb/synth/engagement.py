"""Engagement: post-purchase marketing events of opted-in customers.

A few days after each order that is not cancelled, an opted-in customer gets
an email, which they may open and click, and may visit the web shop or like or
share a post; the chance of each follows the customer's engagement propensity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.synth.company import Company
from salesnb.synth.timeline import DAY_MIN, biz_minutes, timestamps


def engagement_table(co: Company) -> pd.DataFrame:
    rng, E = co.rng, co.E
    od = co.orders
    od = od[od["status"].to_numpy() != "cancelled"]
    c = co.cust
    cust = od["cust"].to_numpy()
    sel = c["optin"].to_numpy()[cust]
    cust = cust[sel]
    t0 = (od["day"].to_numpy()[sel] + 3 + rng.integers(0, 8, size=len(cust))) * DAY_MIN
    n = len(cust)
    eng = c["eng"].to_numpy()[cust]
    send_t = t0 + biz_minutes(rng, n)
    opened = rng.random(n) < eng
    open_t = send_t + rng.exponential(600, size=n).astype(np.int64) + 1
    clicked = opened & (rng.random(n) < 0.4)
    click_t = open_t + rng.integers(1, 30, size=n)
    visit = rng.random(n) < 0.5 * eng + 0.05
    visit_t = send_t + rng.integers(60, 14 * DAY_MIN, size=n)
    dur = np.round(rng.lognormal(np.log(120), 0.8, size=n))
    social = rng.random(n) < 0.12 * eng
    share = social & (rng.random(n) < 0.35)
    soc_t = send_t + rng.integers(60, 20 * DAY_MIN, size=n)
    parts = [
        (np.ones(n, bool), send_t, "email", "send", np.nan),
        (opened, open_t, "email", "open", np.nan),
        (clicked, click_t, "email", "click", np.nan),
        (visit, visit_t, "web", "visit", dur),
        (social & ~share, soc_t, "social", "like", np.nan),
        (share, soc_t, "social", "share", np.nan),
    ]
    frames = []
    for mask, t, ch, ev, d in parts:
        frames.append(
            pd.DataFrame(
                {
                    "cust": cust[mask],
                    "t": np.asarray(t)[mask],
                    "channel": ch,
                    "event": ev,
                    "duration_s": (d[mask] if isinstance(d, np.ndarray) else np.nan),
                }
            )
        )
    e = pd.concat(frames, ignore_index=True)
    e = e[e["t"] <= (E + 1) * DAY_MIN - 1]
    cid = c["customer_id"].to_numpy()
    return pd.DataFrame(
        {
            "customer_id": list(cid[e["cust"].to_numpy()]),
            "event_at": timestamps(co.start, e["t"].to_numpy()),
            "channel": list(e["channel"]),
            "event": list(e["event"]),
            "duration_s": e["duration_s"].to_numpy(dtype=float),
        }
    )
