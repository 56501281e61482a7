"""The company being built: one generation run's settings, random stream and
shared state (:class:`Company`), its demand curve, and the company-level tables:
reps (with the planted slow and unhappy reps), products and revenue targets.

The generators of the other tables (:mod:`~salesnb.synth.pipeline`,
:mod:`~salesnb.synth.orders`, :mod:`~salesnb.synth.activity`,
:mod:`~salesnb.synth.engagement`, :mod:`~salesnb.synth.market`) are functions
of a :class:`Company`: each ``make_*`` function draws from ``co.rng`` and stores
its internal frame on the company, each ``*_table`` function builds one contract
table from that state (some draw from ``co.rng`` too). :func:`salesnb.synth.generate` calls them in a fixed
order, which is the order of the random stream.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.synth.catalog import PRODUCTS, REGION_GROWTH, REGION_SIZE, REGIONS, TEAMS
from salesnb.synth.draws import choice_rows, ids, person_names
from salesnb.synth.facts import (
    DECLINE_DEPTH,
    DECLINE_SHAPE,
    SLOW_REP_CYCLE,
    UNDERCUT_PRODUCT,
    planted_periods,
)
from salesnb.synth.timeline import Calendar, dates, qlabel, qstart_day


class Company:
    """State of one generation run (internal).

    Days and minutes count from ``start``; internal frames hold integer codes
    (region, segment, source, product, rep as indexes) until the tables are built.
    """

    # set by make_reps (this module)
    rep_region: np.ndarray
    rep_team: np.ndarray  # 0 Enterprise, 1 Commercial
    rep_ids: np.ndarray
    rep_names: list[str]
    managers: list[str]  # one per region
    rep_weight: np.ndarray  # book size
    new_hires: list[int]
    rep_hire: np.ndarray  # hire day
    rep_win_logit: np.ndarray
    rep_cycle: np.ndarray  # sales-cycle multiplier
    slow_rep: int
    unhappy_rep: int
    # set by pipeline.make_leads_and_customers
    leads: pd.DataFrame
    cust: pd.DataFrame
    lead_customer: np.ndarray  # customer row of each lead, -1 when not converted
    # set by orders.simulate_purchases
    purchases: pd.DataFrame
    death: np.ndarray  # day each customer drops out (inf: never)
    # set by pipeline.make_opportunities (activity.make_activities updates ``last_act``)
    opps: pd.DataFrame
    # set by orders.make_orders
    orders: pd.DataFrame
    # set by activity.make_activities
    acts: pd.DataFrame

    def __init__(self, rng, start, end, n_regions, n_reps, n_customers, legacy_share):
        self.rng = rng
        self.start, self.end = start, end
        self.E = (end - start).days  # last day index (inclusive)
        self.regions = REGIONS[:n_regions]
        self.n_regions = n_regions
        self.n_reps = n_reps
        self.n_customers = n_customers
        self.n_legacy = int(round(legacy_share * n_customers))
        self.n_new = n_customers - self.n_legacy
        self.legacy_span = 4 * 365
        self.cal = Calendar(start, -self.legacy_span - 10, self.E + 400)
        # planted facts: the periods they concern
        q_end = int(self.cal.quarter([self.E])[0])
        self.q_end = q_end
        self.q_first = int(self.cal.quarter([0])[0])
        (
            self.undercut_from,
            self.overdue_from,
            self.decline_from,
            self.decline_region,
        ) = planted_periods(start, q_end, n_regions)
        growth = np.array(REGION_GROWTH[:n_regions])
        self.growth = growth
        self.region_size = np.array(REGION_SIZE[:n_regions])
        self.price = np.array([p[2] for p in PRODUCTS])
        self.cost = np.round(self.price * np.array([p[3] for p in PRODUCTS]), 2)
        self.undercut_p = [p[0] for p in PRODUCTS].index(UNDERCUT_PRODUCT)

    # ------------------------------------------------------------------ intensities
    def demand(self, day: np.ndarray, region: np.ndarray) -> np.ndarray:
        """Seasonal x trend x decline multiplier of demand (about 1 at ``start``)."""
        day = np.asarray(day, dtype=np.int64)
        years = day / 365.25
        out = self.cal.season(day) * np.exp(self.growth[region] * years)
        if self.decline_region >= 0:
            frac = np.clip((day - self.decline_from) / max(1, self.E - self.decline_from), 0, 1)
            factor = np.where(
                region == self.decline_region, 1.0 - DECLINE_DEPTH * frac**DECLINE_SHAPE, 1.0
            )
            out = out * factor
        return out

    def demand_max(self) -> np.ndarray:
        days = np.arange(-self.legacy_span, self.E + 1)
        return (
            np.array(
                [self.demand(days, np.full(len(days), r)).max() for r in range(self.n_regions)]
            )
            * 1.0001
        )


# =============================================================================== reps


def make_reps(co: Company) -> None:
    """Reps: region, team, names, hire days, book sizes, win rates and cycles; the
    planted slow rep and unhappy rep (and managers, one per region)."""
    rng = co.rng
    n, k = co.n_reps, co.n_regions
    region = np.arange(n) % k
    team = np.ones(n, dtype=np.int64)  # Commercial
    for r in range(k):
        members = np.flatnonzero(region == r)
        n_ent = max(1, int(round(len(members) / 3)))
        team[members[:n_ent]] = 0
    perm = rng.permutation(n)
    region, team = region[perm], team[perm]
    co.rep_region, co.rep_team = region, team
    co.rep_ids = np.array(ids("R", n, 3))
    names = set()
    rep_names = []
    while len(rep_names) < n:
        (name,) = person_names(rng, 1)
        if name not in names:
            names.add(name)
            rep_names.append(name)
    co.rep_names = rep_names
    co.managers = person_names(rng, k)
    hire = -rng.integers(120, 9 * 365, size=n)
    co.rep_weight = rng.uniform(0.7, 1.3, size=n)
    # two reps hired during the span (ramping up), where the group keeps a veteran
    co.new_hires = []
    if co.E > 400:
        for frac in (0.2, 0.42):
            cands = [
                i
                for i in range(n)
                if i not in co.new_hires
                and team[i] == 1
                and ((region == region[i]) & (team == 1)).sum() >= 2
                and not any(region[j] == region[i] for j in co.new_hires)
            ]
            if cands:
                i = cands[int(rng.integers(len(cands)))]
                hire[i] = int(frac * co.E)
                co.new_hires.append(i)
    co.rep_hire = hire
    win = rng.normal(np.log(0.38 / 0.62), 0.35, size=n)
    co.rep_win_logit = win
    co.rep_cycle = np.exp(rng.normal(0, 0.10, size=n)).clip(0.8, 1.25)
    veterans = [i for i in range(n) if i not in co.new_hires]
    ent = [i for i in veterans if team[i] == 0 and region[i] != co.decline_region]
    ent = ent or veterans
    co.slow_rep = max(ent, key=lambda i: co.rep_weight[i])  # a big book: many deals
    co.rep_cycle[co.slow_rep] = SLOW_REP_CYCLE
    others = [i for i in veterans if i != co.slow_rep] or [co.slow_rep]
    co.unhappy_rep = others[int(rng.integers(len(others)))]


def pick_rep(co: Company, region: np.ndarray, team: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Owner rep for each (region, team) at ``day``: weighted by book size,
    among reps already hired."""
    rng = co.rng
    out = np.empty(len(region), dtype=np.int64)
    for r in range(co.n_regions):
        for t in (0, 1):
            rows = np.flatnonzero((region == r) & (team == t))
            if not len(rows):
                continue
            cand = np.flatnonzero((co.rep_region == r) & (co.rep_team == t))
            w = co.rep_weight[cand]
            hired = co.rep_hire[cand][None, :] <= day[rows][:, None]
            weights = np.where(hired, w[None, :], 0.0)
            none = weights.sum(axis=1) == 0
            weights[none] = w  # nobody hired yet: fall back to all (cannot happen
            # for planted hires, which keep a veteran in their group)
            out[rows] = cand[choice_rows(rng, weights)]
    return out


def reps_table(co: Company) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rep_id": list(co.rep_ids),
            "name": co.rep_names,
            "team": [TEAMS[t] for t in co.rep_team],
            "region": [co.regions[r] for r in co.rep_region],
            "manager": [co.managers[r] for r in co.rep_region],
            "hire_date": dates(co.start, co.rep_hire),
        }
    )


def products_table(co: Company) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product": [p[0] for p in PRODUCTS],
            "category": [p[1] for p in PRODUCTS],
            "list_price": co.price.astype(float),
            "unit_cost": co.cost.astype(float),
        }
    )


# =============================================================================== targets


def _revenue(co: Company) -> pd.DataFrame:
    """Non-cancelled order revenue per quarter, region and rep (internal ints)."""
    od = co.orders
    ok = od["status"].to_numpy() != "cancelled"
    return pd.DataFrame(
        {
            "q": co.cal.quarter(od["day"].to_numpy()[ok]),
            "region": co.cust["region"].to_numpy()[od["cust"].to_numpy()[ok]],
            "rep": od["rep"].to_numpy()[ok],
            "amount": od["amount"].to_numpy()[ok],
        }
    )


def targets_table(co: Company) -> pd.DataFrame:
    """Revenue targets per quarter, through the quarter after ``end``: per region
    (about 1.2x its revenue a year earlier; without that year, about its revenue in
    the quarter, or in the last quarter for the one after ``end``), the company (sum
    of the regions) and each rep of the region hired before the quarter (a share of
    the region's target, half even and half by revenue; halved while ramping up)."""
    rng = co.rng
    rev = _revenue(co)
    quarters = list(range(co.q_first, co.q_end + 2))
    by_rq = rev.groupby(["region", "q"])["amount"].sum()
    by_rep_q = rev.groupby(["rep", "q"])["amount"].sum()
    rows = []
    region_target = {}
    for q in quarters:
        for r in range(co.n_regions):
            prev = by_rq.get((r, q - 4))
            if prev is not None and q - 4 >= co.q_first:
                tgt = prev * 1.2 * rng.uniform(0.97, 1.03)
            elif q <= co.q_end:
                tgt = by_rq.get((r, q), 0.0) * rng.uniform(0.96, 1.08)
            else:
                tgt = by_rq.get((r, co.q_end), 0.0) * rng.uniform(1.0, 1.1)
            region_target[(r, q)] = round(tgt, -3)
    for q in quarters:
        label = qlabel(q)
        rows.append(
            (
                label,
                "company",
                "all",
                float(sum(region_target[(r, q)] for r in range(co.n_regions))),
            )
        )
        qstart = qstart_day(q, co.start)
        for r in range(co.n_regions):
            rows.append((label, "region", co.regions[r], float(region_target[(r, q)])))
            reps = [i for i in np.flatnonzero(co.rep_region == r) if co.rep_hire[i] < qstart]
            if not reps:
                continue
            ref_q = q - 4 if q - 4 >= co.q_first else q
            hist = np.array([by_rep_q.get((i, ref_q), 0.0) for i in reps])
            even = np.full(len(reps), 1 / len(reps))
            share = 0.5 * even + 0.5 * (hist / hist.sum() if hist.sum() > 0 else even)
            for i, s in zip(reps, share, strict=True):
                ramp = 0.5 if qstart - co.rep_hire[i] < 120 else 1.0
                rows.append(
                    (
                        label,
                        "rep",
                        co.rep_ids[i],
                        float(round(region_target[(r, q)] * s * 1.05 * ramp, -2)),
                    )
                )
    return pd.DataFrame(rows, columns=["period", "level", "key", "revenue_target"])
