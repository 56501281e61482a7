"""The market around the company: monthly competitor prices (with the planted
undercut) and quarterly marketing spend per lead source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.synth.catalog import COMPETITOR_LEVEL, COMPETITORS, PRODUCTS, SOURCE_CPL, SOURCES
from salesnb.synth.company import Company
from salesnb.synth.facts import UNDERCUT_COMPETITOR, UNDERCUT_LEVEL
from salesnb.synth.timeline import dates, qlabel


def competitor_prices_table(co: Company) -> pd.DataFrame:
    rng, E = co.rng, co.E
    months = pd.date_range(co.start.to_period("M").to_timestamp(), co.end, freq="MS")
    rows = []
    for ci, comp in enumerate(COMPETITORS):
        covers = rng.random(len(PRODUCTS)) < 0.85
        covers[co.undercut_p] = True
        obs_day = int(rng.integers(3, 24))
        drift = rng.normal(0, 0.005, size=len(PRODUCTS))
        for m in months:
            base_day = (m - co.start).days + obs_day - 1 + int(rng.integers(-2, 3))
            day = min(max(base_day, 0), E)
            for p in np.flatnonzero(covers):
                level = COMPETITOR_LEVEL[ci] + drift[p] * day / 365.25
                if comp == UNDERCUT_COMPETITOR and p == co.undercut_p and day >= co.undercut_from:
                    level = UNDERCUT_LEVEL
                price = co.price[p] * (level + rng.normal(0, 0.02))
                rows.append((day, PRODUCTS[p][0], comp, round(float(price), 2)))
    f = pd.DataFrame(rows, columns=["day", "product", "competitor", "price"])
    return pd.DataFrame(
        {
            "observed_date": dates(co.start, f["day"].to_numpy()),
            "product": list(f["product"]),
            "competitor": list(f["competitor"]),
            "price": f["price"].to_numpy(dtype=float),
        }
    )


def marketing_spend_table(co: Company) -> pd.DataFrame:
    rng = co.rng
    le = co.leads
    q = co.cal.quarter(le["day"].to_numpy())
    counts = pd.crosstab(q, le["source"].to_numpy())
    rows = []
    for qq in range(co.q_first, co.q_end + 1):
        for s, name in enumerate(SOURCES):
            k = counts.at[qq, s] if (qq in counts.index and s in counts.columns) else 0
            amount = k * SOURCE_CPL[s] * rng.lognormal(0, 0.08) + 500.0
            rows.append((qlabel(qq), name, round(float(amount), 2)))
    return pd.DataFrame(rows, columns=["period", "source", "amount"])
