"""The seeded synthetic dataset behind ``data/sample/``.

One coherent (fictional) company selling office equipment through field reps,
stores and an online shop, over 2023-10-01..2026-09-30 by default:

* **leads** arrive with a source, region, owner rep and two scoring features
  (``segment``, ``web_visits``); the probability of converting depends on the
  source, the features and the segment. A converted lead becomes a
  **customer** at ``converted_at`` (= ``customers.acquired_at``) with a first
  order that day. About 30 % of the customers are older accounts acquired
  before ``start`` (they have no lead row; their orders start at ``start``).
* Every customer then buys according to a **BG/NBD-like** process: a
  gamma-distributed purchase rate, a beta-distributed chance of dropping out
  after each purchase, gamma-gamma order values; the rate is modulated by
  seasonality (Q4 peak), a region-specific upward trend and, in one region, a
  decline (see *planted facts*). Many customers buy once, a few buy often.
* Business customers also get **opportunities** (deals) from their account
  rep. Win rates and sales cycles depend on the rep; a deal's ``stage`` is the
  furthest stage reached; some open deals go dark (stale). Won deals become
  orders on their close date.
* **orders** get a channel (store/online), a fulfilment status, an invoice
  due 30 days after the order and a payment date (online orders are paid at
  checkout; invoiced ones mostly on time, some late, a few never).
* **activities** are logged on deals (the latest completed one is the deal's
  ``last_activity_at``), plus account visits, some scheduled after ``end``.
* **targets** (company, region and rep quotas per quarter, plus the quarter
  after ``end``), quarterly **satisfaction** scores per rep, post-purchase
  **engagement** events, the **products** list, monthly **competitor_prices**
  and quarterly **marketing_spend** per lead source complete the set.

Planted facts (with the default size and a span of at least two years): one
region declines over the last four quarters while the others grow; one rep's
median sales cycle is about twice the company median; ``referral`` leads
convert 2-3x better than any other source; one competitor undercuts one
product by more than 10 % in the last two quarters; the share of invoices
paid late or not at all jumps in the last quarter; one rep's satisfaction
score falls steeply. :func:`fact_sheet` computes them from the tables.

Everything is drawn from ``numpy.random.default_rng(seed)``: the same
arguments give the same tables and (through :func:`write`) byte-identical
files. Nothing depends on the wall clock.

Command line (what ``make data`` runs)::

    python -m salesnb.synth --out data/sample --seed 7
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from salesnb.schema import (
    ACTIVITY_TYPES,
    CHANNELS,
    STAGES,
    TABLES,
    columns,
)

__all__ = ["generate", "write", "large_orders", "fact_sheet", "main", "REGIONS", "SOURCES"]

logger = logging.getLogger(__name__)

#: Region names used, in order, for ``n_regions`` regions (at most 8).
REGIONS: tuple[str, ...] = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Northeast",
    "Southwest",
    "Mountain",
)
_CITIES: dict[str, tuple[str, ...]] = {
    "North": ("Minneapolis", "Milwaukee", "Madison", "Fargo", "Duluth"),
    "South": ("Atlanta", "Nashville", "Charlotte", "Birmingham", "New Orleans"),
    "East": ("Boston", "Philadelphia", "Baltimore", "Hartford", "Newark"),
    "West": ("Seattle", "Portland", "Sacramento", "San Jose", "Reno"),
    "Central": ("Chicago", "St. Louis", "Kansas City", "Omaha", "Indianapolis"),
    "Northeast": ("Albany", "Burlington", "Providence", "Manchester", "Syracuse"),
    "Southwest": ("Phoenix", "Tucson", "Albuquerque", "El Paso", "Las Vegas"),
    "Mountain": ("Denver", "Salt Lake City", "Boise", "Billings", "Cheyenne"),
}
#: Yearly growth of demand per region (the declining region is set apart).
_REGION_GROWTH = (0.12, 0.17, 0.10, 0.04, 0.14, 0.12, 0.16, 0.10)
_REGION_SIZE = (1.15, 0.95, 1.25, 1.0, 0.8, 0.9, 0.85, 0.7)

#: Lead sources.
SOURCES: tuple[str, ...] = ("web", "referral", "event", "partner", "social", "outbound")
_SOURCE_SHARE = np.array([0.34, 0.10, 0.14, 0.10, 0.17, 0.15])
_SOURCE_CONV = np.array([0.20, 0.60, 0.22, 0.24, 0.15, 0.17])  # base conversion chance
_SOURCE_CPL = np.array([55.0, 35.0, 210.0, 120.0, 40.0, 95.0])  # marketing cost per lead
_SOURCE_VISITS = np.array([4.0, 2.0, 2.5, 2.5, 3.0, 1.5])  # mean web visits of a lead

_SEGMENTS = ("consumer", "small business", "corporate")
_SEGMENT_SHARE = np.array([0.45, 0.33, 0.22])
_SEGMENT_LOGIT = np.array([0.0, 0.1, -0.25])
#: BG/NBD-like purchase process per segment: mean purchases per year while alive,
#: mean order value.
_SEGMENT_RATE = np.array([1.7, 2.4, 3.0])
_SEGMENT_SPEND = np.array([190.0, 480.0, 950.0])
_SEGMENT_ONLINE = np.array([0.58, 0.40, 0.24])
#: opportunities per customer-year while the customer is alive.
_SEGMENT_OPP_RATE = np.array([0.0, 0.7, 1.2])

_TEAMS = ("Enterprise", "Commercial")

# product, category, list price, cost ratio, weight (consumer, small business, corporate),
# deal weight (small business, corporate)
_PRODUCTS = (
    ("Ergo Chair", "Furniture", 349.0, 0.58, (1.0, 1.2, 1.0), (1.0, 1.0)),
    ("Standing Desk", "Furniture", 699.0, 0.62, (0.5, 0.9, 1.0), (0.8, 1.0)),
    ("Storage Cabinet", "Furniture", 259.0, 0.60, (0.3, 0.8, 0.8), (0.4, 0.5)),
    ("Laptop 14", "Technology", 1199.0, 0.78, (0.6, 1.0, 1.3), (1.0, 1.3)),
    ("Monitor 27", "Technology", 329.0, 0.72, (1.0, 1.2, 1.3), (1.0, 1.2)),
    ("Docking Station", "Technology", 189.0, 0.66, (0.6, 1.0, 1.1), (0.5, 0.7)),
    ("Conference Kit", "Technology", 1899.0, 0.70, (0.05, 0.4, 0.9), (0.3, 0.8)),
    ("Paper Case", "Supplies", 42.0, 0.55, (1.2, 1.5, 1.4), (0.2, 0.2)),
    ("Toner Pack", "Supplies", 89.0, 0.50, (0.8, 1.4, 1.4), (0.3, 0.3)),
    ("Desk Organizer", "Supplies", 25.0, 0.45, (1.0, 0.6, 0.5), (0.0, 0.0)),
    ("Setup Service", "Services", 150.0, 0.35, (0.2, 0.6, 0.8), (0.4, 0.5)),
    ("Support Plan", "Services", 480.0, 0.30, (0.1, 0.5, 0.9), (0.6, 0.9)),
)
_UNDERCUT_PRODUCT = "Monitor 27"
_COMPETITORS = ("Corvex", "Brightline", "Norden Supply")
_COMPETITOR_LEVEL = (0.99, 1.05, 0.98)  # usual price relative to our list price
_UNDERCUT_COMPETITOR = "Corvex"
_UNDERCUT_LEVEL = 0.85

_LOST_REASONS = ("price", "competitor", "no budget", "timing", "no decision", "product fit")
_LOST_REASON_P = np.array([0.26, 0.22, 0.16, 0.14, 0.14, 0.08])
#: month-of-year demand multipliers (Q4 peak).
_SEASON = np.array([0.86, 0.84, 0.95, 0.95, 0.97, 1.0, 0.92, 0.92, 1.02, 1.06, 1.22, 1.31])

_FIRST = (
    "Alex",
    "Maria",
    "James",
    "Priya",
    "Daniel",
    "Sofia",
    "Michael",
    "Aisha",
    "David",
    "Elena",
    "Chris",
    "Hannah",
    "Marcus",
    "Julia",
    "Kevin",
    "Laura",
    "Omar",
    "Grace",
    "Ryan",
    "Nina",
    "Victor",
    "Chloe",
    "Samuel",
    "Maya",
    "Lucas",
    "Emma",
    "Tomas",
    "Olivia",
    "Ethan",
    "Zoe",
    "Adrian",
    "Isabel",
    "Noah",
    "Leah",
    "Felix",
    "Ruth",
    "Ivan",
    "Clara",
    "Jonah",
    "Alice",
    "Hugo",
    "Dana",
    "Miles",
    "Irene",
    "Oscar",
    "Vera",
    "Paul",
    "Nadia",
    "Simon",
    "Tara",
)
_LAST = (
    "Garcia",
    "Chen",
    "Novak",
    "Okafor",
    "Lindqvist",
    "Patel",
    "Rossi",
    "Kim",
    "Dubois",
    "Murphy",
    "Schneider",
    "Silva",
    "Walsh",
    "Ivanova",
    "Haddad",
    "Moreau",
    "Tanaka",
    "Brennan",
    "Kowalski",
    "Nguyen",
    "Fischer",
    "Costa",
    "Reyes",
    "Whitfield",
    "Andersen",
    "Bauer",
    "Ortiz",
    "Price",
    "Sato",
    "Keller",
    "Ward",
    "Lopez",
    "Nakamura",
    "Foster",
    "Berg",
    "Hughes",
    "Santos",
    "Vogel",
    "Grant",
    "Yilmaz",
    "Hale",
    "Mendes",
    "Stone",
    "Park",
    "Ellis",
    "Romero",
    "Quinn",
)
_CO_A = (
    "Harbor",
    "Summit",
    "Granite",
    "Blue Oak",
    "Maple",
    "Northstar",
    "Riverside",
    "Ironwood",
    "Bright",
    "Cedar",
    "Pioneer",
    "Keystone",
    "Silverline",
    "Redwood",
    "Lakeshore",
    "Beacon",
    "Evergreen",
    "Falcon",
    "Hillcrest",
    "Meridian",
    "Orchard",
    "Prairie",
    "Sterling",
    "Union",
)
_CO_B = (
    "Logistics",
    "Dental",
    "Legal",
    "Studio",
    "Consulting",
    "Foods",
    "Labs",
    "Realty",
    "Engineering",
    "Clinic",
    "Media",
    "Works",
    "Partners",
    "Systems",
    "Supply",
    "Design",
)
_CO_C = ("Inc", "LLC", "Co", "Group", "Ltd")

_DAY_MIN = 1440


# =============================================================================== helpers


class _Calendar:
    """Day-indexed calendar lookups; day 0 is ``start``."""

    def __init__(self, start: pd.Timestamp, lo: int, hi: int):
        self.start = start
        self.lo = lo
        days = pd.date_range(start + pd.Timedelta(days=lo), start + pd.Timedelta(days=hi))
        self.month = days.month.to_numpy() - 1
        self.qindex = (days.year.to_numpy() - 2000) * 4 + (days.month.to_numpy() - 1) // 3

    def season(self, day: np.ndarray) -> np.ndarray:
        return _SEASON[self.month[np.asarray(day, dtype=np.int64) - self.lo]]

    def quarter(self, day: np.ndarray) -> np.ndarray:
        """Quarter number (year*4 + quarter-1, offset from 2000) of ``day``."""
        return self.qindex[np.asarray(day, dtype=np.int64) - self.lo]


def _qlabel(q: int) -> str:
    return f"{2000 + q // 4}Q{q % 4 + 1}"


def _qstart_day(q: int, start: pd.Timestamp) -> int:
    ts = pd.Timestamp(year=2000 + q // 4, month=3 * (q % 4) + 1, day=1)
    return (ts - start).days


def _ids(prefix: str, n: int, width: int | None = None) -> list[str]:
    width = width or max(4, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def _biz_minutes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random minute of a working day (08:00-18:59)."""
    return 8 * 60 + rng.integers(0, 11 * 60, size=n)


def _snap(rng: np.random.Generator, t, lo, hi) -> np.ndarray:
    """Move minute times ``t`` to a random working minute of their day, within [lo, hi]."""
    t = np.asarray(t, dtype=np.float64)
    day = np.floor(t / _DAY_MIN)
    out = day * _DAY_MIN + _biz_minutes(rng, len(t))
    return np.minimum(np.maximum(out, lo), hi)


def _timestamps(start: pd.Timestamp, minutes: np.ndarray, valid=None) -> pd.Series:
    """Minutes since ``start`` -> datetime64[ns] (NaT where not ``valid``)."""
    minutes = np.asarray(minutes)
    base = np.datetime64(start.to_datetime64(), "m")
    safe = np.where(np.isfinite(minutes), minutes, 0).astype(np.int64)
    out = (base + safe.astype("timedelta64[m]")).astype("datetime64[ns]")
    bad = ~np.isfinite(minutes) if minutes.dtype.kind == "f" else np.zeros(len(out), bool)
    if valid is not None:
        bad = bad | ~np.asarray(valid, dtype=bool)
    out[bad] = np.datetime64("NaT")
    return pd.Series(out)


def _dates(start: pd.Timestamp, days: np.ndarray, valid=None) -> pd.Series:
    days = np.asarray(days, dtype=np.float64)
    return _timestamps(start, days * _DAY_MIN, valid)


def _choice_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of ``weights`` (rows need not be normalised)."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return (cum < u[:, None]).sum(axis=1).clip(0, weights.shape[1] - 1)


def _names(rng: np.random.Generator, n: int) -> list[str]:
    f = rng.integers(0, len(_FIRST), n)
    la = rng.integers(0, len(_LAST), n)
    return [f"{_FIRST[a]} {_LAST[b]}" for a, b in zip(f, la, strict=True)]


def _company_names(rng: np.random.Generator, n: int) -> list[str]:
    a = rng.integers(0, len(_CO_A), n)
    b = rng.integers(0, len(_CO_B), n)
    c = rng.integers(0, len(_CO_C), n)
    return [f"{_CO_A[i]} {_CO_B[j]} {_CO_C[k]}" for i, j, k in zip(a, b, c, strict=True)]


# =============================================================================== generate


def generate(
    seed: int = 7,
    *,
    start="2023-10-01",
    end="2026-09-30",
    n_regions: int = 5,
    n_reps: int = 30,
    n_customers: int = 3000,
    legacy_share: float = 0.3,
) -> dict[str, pd.DataFrame]:
    """Generate the synthetic company: every contract table, coherent and seeded.

    Parameters
    ----------
    seed : int, default 7
        Seed of ``numpy.random.default_rng``; the same arguments give the same
        tables.
    start, end : date-like, default "2023-10-01" and "2026-09-30"
        First and last day the data covers. ``end`` is the data's ``as_of``: no
        event date lies after it (plans such as ``due_date``,
        ``expected_close_date`` and ``scheduled_at`` may).
    n_regions : int, default 5
        Number of regions (1-8), named from :data:`REGIONS`.
    n_reps : int, default 30
        Number of sales reps; at least two per region (one Enterprise rep for
        corporate accounts, one Commercial rep for the others).
    n_customers : int, default 3000
        Exact number of customers: ``legacy_share`` of them were acquired before
        ``start``, the rest are converted leads.
    legacy_share : float, default 0.3
        Share of customers acquired before ``start``.

    Returns
    -------
    dict of str to pandas.DataFrame
        One frame per contract table (``reps``, ``customers``, ``leads``,
        ``opportunities``, ``orders``, ``targets``, ``activities``,
        ``satisfaction``, ``engagement``, ``products``, ``competitor_prices``,
        ``marketing_spend``) with the contract's column names, rows sorted by
        primary key; dates as ``datetime64[ns]``, numbers as ``float64``,
        ``leads.converted`` as bool. ``leads`` has two extra scoring features,
        ``segment`` and ``web_visits``; ``orders`` has one row per order (no
        ``line_id``) and a ``profit`` column.

    Raises
    ------
    ValueError
        When ``end`` is not at least 90 days after ``start``, ``n_regions`` is not
        1-8, ``n_reps < 2 * n_regions`` or ``n_customers < 10``.

    Examples
    --------
    >>> t = generate(1, start="2025-01-01", end="2025-12-31", n_regions=2, n_reps=4,
    ...              n_customers=60)
    >>> sorted(t) == sorted(["reps", "customers", "leads", "opportunities", "orders",
    ...     "targets", "activities", "satisfaction", "engagement", "products",
    ...     "competitor_prices", "marketing_spend"])
    True
    >>> len(t["customers"]), len(t["reps"])
    (60, 4)
    >>> bool(t["orders"]["customer_id"].isin(t["customers"]["customer_id"]).all())
    True
    >>> bool((t["orders"]["order_date"] <= "2025-12-31").all())
    True
    """
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if (end_ts - start_ts).days < 90:
        raise ValueError(
            f"end ({end_ts.date()}) must be at least 90 days after start ({start_ts.date()})"
        )
    if not 1 <= n_regions <= len(REGIONS):
        raise ValueError(f"n_regions must be 1-{len(REGIONS)}, got {n_regions}")
    if n_reps < 2 * n_regions:
        raise ValueError(
            f"n_reps must be at least 2 per region ({2 * n_regions} for "
            f"{n_regions} regions), got {n_reps}"
        )
    if n_customers < 10:
        raise ValueError(f"n_customers must be at least 10, got {n_customers}")
    if not 0.0 <= legacy_share < 1.0:
        raise ValueError(f"legacy_share must be in [0, 1), got {legacy_share}")
    return _Company(
        np.random.default_rng(seed), start_ts, end_ts, n_regions, n_reps, n_customers, legacy_share
    ).build()


class _Company:
    """State of one generation run (internal)."""

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
        self.cal = _Calendar(start, -self.legacy_span - 10, self.E + 400)
        # planted facts: the periods they concern
        q_end = int(self.cal.quarter([self.E])[0])
        self.q_end = q_end
        self.q_first = int(self.cal.quarter([0])[0])
        self.undercut_from = max(0, _qstart_day(q_end - 1, start))
        self.overdue_from = max(0, _qstart_day(q_end, start))
        decline_ts = pd.Timestamp(year=2000 + q_end // 4, month=3 * (q_end % 4) + 1, day=1)
        self.decline_from = max(1, (decline_ts - pd.DateOffset(months=15) - start).days)
        self.decline_region = min(3, n_regions - 1) if n_regions > 1 else -1
        growth = np.array(_REGION_GROWTH[:n_regions])
        self.growth = growth
        self.region_size = np.array(_REGION_SIZE[:n_regions])
        self.products = _PRODUCTS
        self.price = np.array([p[2] for p in _PRODUCTS])
        self.cost = np.round(self.price * np.array([p[3] for p in _PRODUCTS]), 2)
        self.undercut_p = [p[0] for p in _PRODUCTS].index(_UNDERCUT_PRODUCT)

    # ------------------------------------------------------------------ intensities
    def demand(self, day: np.ndarray, region: np.ndarray) -> np.ndarray:
        """Seasonal x trend x decline multiplier of demand (about 1 at ``start``)."""
        day = np.asarray(day, dtype=np.int64)
        years = day / 365.25
        out = self.cal.season(day) * np.exp(self.growth[region] * years)
        if self.decline_region >= 0:
            frac = np.clip((day - self.decline_from) / max(1, self.E - self.decline_from), 0, 1)
            factor = np.where(region == self.decline_region, 1.0 - 0.55 * frac**0.7, 1.0)
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

    # ------------------------------------------------------------------ build
    def build(self) -> dict[str, pd.DataFrame]:
        self.make_reps()
        self.make_leads_and_customers()
        self.simulate_purchases()
        self.make_opportunities()
        self.make_orders()
        self.make_activities()
        tables = {
            "reps": self.reps_table(),
            "customers": self.customers_table(),
            "leads": self.leads_table(),
            "opportunities": self.opportunities_table(),
            "orders": self.orders_table(),
            "targets": self.targets_table(),
            "activities": self.activities_table(),
            "satisfaction": self.satisfaction_table(),
            "engagement": self.engagement_table(),
            "products": self.products_table(),
            "competitor_prices": self.competitor_prices_table(),
            "marketing_spend": self.marketing_spend_table(),
        }
        return {name: _sorted(name, frame) for name, frame in tables.items()}

    # ------------------------------------------------------------------ reps
    def make_reps(self):
        rng = self.rng
        n, k = self.n_reps, self.n_regions
        region = np.arange(n) % k
        team = np.ones(n, dtype=np.int64)  # Commercial
        for r in range(k):
            members = np.flatnonzero(region == r)
            n_ent = max(1, int(round(len(members) / 3)))
            team[members[:n_ent]] = 0
        perm = rng.permutation(n)
        region, team = region[perm], team[perm]
        self.rep_region, self.rep_team = region, team
        self.rep_ids = np.array(_ids("R", n, 3))
        names = set()
        rep_names = []
        while len(rep_names) < n:
            (name,) = _names(rng, 1)
            if name not in names:
                names.add(name)
                rep_names.append(name)
        self.rep_names = rep_names
        self.managers = _names(rng, k)
        hire = -rng.integers(120, 9 * 365, size=n)
        self.rep_weight = rng.uniform(0.7, 1.3, size=n)
        # two reps hired during the span (ramping up), where the group keeps a veteran
        self.new_hires: list[int] = []
        if self.E > 400:
            for frac in (0.2, 0.42):
                cands = [
                    i
                    for i in range(n)
                    if i not in self.new_hires
                    and team[i] == 1
                    and ((region == region[i]) & (team == 1)).sum() >= 2
                    and not any(region[j] == region[i] for j in self.new_hires)
                ]
                if cands:
                    i = cands[int(rng.integers(len(cands)))]
                    hire[i] = int(frac * self.E)
                    self.new_hires.append(i)
        self.rep_hire = hire
        win = rng.normal(np.log(0.38 / 0.62), 0.35, size=n)
        self.rep_win_logit = win
        self.rep_cycle = np.exp(rng.normal(0, 0.10, size=n)).clip(0.8, 1.25)
        veterans = [i for i in range(n) if i not in self.new_hires]
        ent = [i for i in veterans if team[i] == 0 and region[i] != self.decline_region]
        ent = ent or veterans
        self.slow_rep = max(ent, key=lambda i: self.rep_weight[i])  # a big book: many deals
        self.rep_cycle[self.slow_rep] = 2.05
        others = [i for i in veterans if i != self.slow_rep] or [self.slow_rep]
        self.unhappy_rep = others[int(rng.integers(len(others)))]

    def pick_rep(self, region: np.ndarray, team: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Owner rep for each (region, team) at ``day``: weighted by book size,
        among reps already hired."""
        rng = self.rng
        out = np.empty(len(region), dtype=np.int64)
        for r in range(self.n_regions):
            for t in (0, 1):
                rows = np.flatnonzero((region == r) & (team == t))
                if not len(rows):
                    continue
                cand = np.flatnonzero((self.rep_region == r) & (self.rep_team == t))
                w = self.rep_weight[cand]
                hired = self.rep_hire[cand][None, :] <= day[rows][:, None]
                weights = np.where(hired, w[None, :], 0.0)
                none = weights.sum(axis=1) == 0
                weights[none] = w  # nobody hired yet: fall back to all (cannot happen
                # for planted hires, which keep a veteran in their group)
                out[rows] = cand[_choice_rows(rng, weights)]
        return out

    # ------------------------------------------------------------------ leads, customers
    def make_leads_and_customers(self):
        rng, E = self.rng, self.E
        dmax_days = np.arange(0, E + 1)
        # day x region weights of lead arrivals
        w = np.stack(
            [
                self.region_size[r] * self.demand(dmax_days, np.full(E + 1, r))
                for r in range(self.n_regions)
            ],
            axis=1,
        )
        p_flat = (w / w.sum()).ravel()
        exp_rate = float(_SOURCE_SHARE @ _SOURCE_CONV) * 0.9
        n_cand = int(self.n_new / exp_rate * 1.6) + 200
        chunks = []
        got = 0
        while got < self.n_new:
            cell = rng.choice(len(p_flat), size=n_cand, p=p_flat)
            day, region = cell // self.n_regions, cell % self.n_regions
            source = rng.choice(len(SOURCES), size=n_cand, p=_SOURCE_SHARE)
            segment = rng.choice(3, size=n_cand, p=_SEGMENT_SHARE)
            visits = rng.poisson(_SOURCE_VISITS[source])
            base = np.log(_SOURCE_CONV / (1 - _SOURCE_CONV))[source]
            logit = base + 0.22 * (visits - _SOURCE_VISITS[source]) + _SEGMENT_LOGIT[segment]
            p = 1 / (1 + np.exp(-logit))
            conv = rng.random(n_cand) < p
            lag = 1 + np.floor(rng.gamma(2.0, 11.0, size=n_cand)).astype(np.int64)
            lag = np.where(source == 1, np.maximum(1, lag // 2), lag)  # referrals decide fast
            in_window = conv & (day + lag <= E)
            minute = _biz_minutes(rng, n_cand)
            cminute = _biz_minutes(rng, n_cand)
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
        cut = int(np.searchsorted(leads["conv"].cumsum().to_numpy(), self.n_new)) + 1
        leads = leads.iloc[:cut].copy() if self.n_new > 0 else leads.iloc[:0].copy()
        team = np.where(leads["segment"].to_numpy() == 2, 0, 1)
        leads["rep"] = self.pick_rep(leads["region"].to_numpy(), team, leads["day"].to_numpy())
        leads["t"] = leads["day"] * _DAY_MIN + leads["minute"]
        conv_day = leads["day"] + leads["lag"]
        leads["conv_t"] = np.where(leads["conv"], conv_day * _DAY_MIN + leads["cminute"], -1)
        # same-day conversions must not precede the lead
        leads = leads.sort_values(["t", "region", "source"], kind="stable").reset_index(drop=True)
        self.leads = leads

        # customers: legacy accounts + converted leads
        rng = self.rng
        nl = self.n_legacy
        l_region = rng.choice(self.n_regions, size=nl, p=self.region_size / self.region_size.sum())
        l_segment = rng.choice(3, size=nl, p=_SEGMENT_SHARE)
        src_p = _SOURCE_SHARE * _SOURCE_CONV
        l_source = rng.choice(len(SOURCES), size=nl, p=src_p / src_p.sum())
        l_day = -rng.integers(1, self.legacy_span, size=nl)
        l_t = l_day * _DAY_MIN + _biz_minutes(rng, nl)
        l_team = np.where(l_segment == 2, 0, 1)
        l_rep = self.pick_rep(l_region, l_team, np.zeros(nl, dtype=np.int64))
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
        cust["customer_id"] = _ids("C", len(cust), 5)
        n = len(cust)
        seg = cust["segment"].to_numpy()
        cust["name"] = np.where(seg == 0, _names(rng, n), _company_names(rng, n))
        cities = rng.integers(0, 5, size=n)
        cust["city"] = [
            _CITIES[self.regions[r]][c] for r, c in zip(cust["region"], cities, strict=True)
        ]
        # BG/NBD-like parameters
        cust["lam"] = _SEGMENT_RATE[seg] * rng.gamma(1.0, 1.0, size=n)
        cust["p_drop"] = rng.beta(1.0, 3.6, size=n)
        cust["spend"] = _SEGMENT_SPEND[seg] * rng.gamma(4.0, 1 / 4.0, size=n)
        cust["payer"] = rng.gamma(2.0, 0.5, size=n)  # late-payment propensity
        # engagement: opted-in customers, propensity tied to loyalty (low dropout)
        loyal = 1 - cust["p_drop"].to_numpy()
        cust["optin"] = rng.random(n) < 0.35 + 0.3 * loyal
        cust["eng"] = np.clip(rng.beta(2, 3, size=n) * (0.6 + 0.6 * loyal), 0.02, 0.95)
        self.cust = cust
        lead_to_cust = np.full(len(leads), -1)
        lead_to_cust[cust["lead"].to_numpy()[cust["lead"].to_numpy() >= 0]] = np.flatnonzero(
            cust["lead"].to_numpy() >= 0
        )
        self.lead_customer = lead_to_cust

    # ------------------------------------------------------------------ purchases
    def simulate_purchases(self):
        """BG/NBD-like process with time-varying intensity by thinning."""
        rng, E = self.rng, self.E
        c = self.cust
        n = len(c)
        region = c["region"].to_numpy()
        lam = c["lam"].to_numpy() / 365.25
        p_drop = c["p_drop"].to_numpy()
        mx = self.demand_max()[region]
        t = c["t"].to_numpy() / _DAY_MIN
        ev_c, ev_t = [], []
        first = t >= 0
        ev_c.append(np.flatnonzero(first))
        ev_t.append(t[first])
        # older accounts are the ones still active at ``start``: their process
        # (memoryless between purchases) restarts there
        t = np.maximum(t, 0.0)
        dead = first & (rng.random(n) < p_drop)
        death = np.where(dead, t, np.inf)
        active = ~dead
        idx = np.flatnonzero(active)
        while len(idx):
            t[idx] += rng.exponential(1.0 / (lam[idx] * mx[idx]))
            over = t[idx] > E + 1
            idx = idx[~over]
            if not len(idx):
                break
            day = np.floor(t[idx]).astype(np.int64)
            acc = rng.random(len(idx)) < self.demand(day, region[idx]) / mx[idx]
            bought = idx[acc]
            keep = t[bought] >= 0
            ev_c.append(bought[keep])
            ev_t.append(t[bought][keep])
            drop = rng.random(len(bought)) < p_drop[bought]
            death[bought[drop]] = t[bought[drop]]
            alive = np.ones(len(idx), dtype=bool)
            alive[np.flatnonzero(acc)[drop]] = False
            idx = idx[alive]
        ev_c = np.concatenate(ev_c)
        ev_t = np.concatenate(ev_t)
        keep = ev_t < E + 1
        self.purchases = pd.DataFrame({"cust": ev_c[keep], "time": ev_t[keep]})
        self.death = death

    # ------------------------------------------------------------------ opportunities
    def make_opportunities(self):
        rng, E = self.rng, self.E
        c = self.cust
        seg = c["segment"].to_numpy()
        region = c["region"].to_numpy()
        rate = _SEGMENT_OPP_RATE[seg] / 365.25
        mx = self.demand_max()[region]
        t0 = np.maximum(c["t"].to_numpy() / _DAY_MIN, 0) + 7
        t1 = np.minimum(self.death + 60, E + 1)
        idx = np.flatnonzero(rate > 0)
        t = t0.copy()
        oc, ot = [], []
        while len(idx):
            t[idx] += rng.exponential(1.0 / (rate[idx] * mx[idx]))
            idx = idx[t[idx] < t1[idx]]
            if not len(idx):
                break
            day = np.floor(t[idx]).astype(np.int64)
            acc = rng.random(len(idx)) < self.demand(day, region[idx]) / mx[idx]
            oc.append(idx[acc])
            ot.append(t[idx[acc]])
        cust = np.concatenate(oc) if oc else np.zeros(0, np.int64)
        created_day = np.floor(np.concatenate(ot)).astype(np.int64) if ot else cust
        order = np.lexsort((cust, created_day))
        cust, created_day = cust[order], created_day[order]
        n = len(cust)
        rep = c["rep"].to_numpy()[cust]
        oseg = seg[cust]
        oreg = region[cust]
        corp = oseg == 2
        created = created_day * _DAY_MIN + _biz_minutes(rng, n)
        # deal content
        dw = np.array([p[5] for p in _PRODUCTS])
        prod = _choice_rows(rng, np.where(corp[:, None], dw[None, :, 1], dw[None, :, 0]))
        disc = np.round(rng.uniform(0.0, 0.15, size=n), 2)
        value = np.where(corp, 4000.0, 1300.0) * rng.lognormal(0.0, 0.35, size=n)
        unit = self.price[prod] * (1 - disc)
        qty = np.maximum(1.0, np.round(value / unit))
        amount = np.round(qty * unit, 2)
        # outcome
        logit = self.rep_win_logit[rep] + np.where(corp, -0.1, 0.1)
        late = (oreg == self.decline_region) & (created_day >= self.decline_from)
        logit = logit - 0.6 * late  # the declining region also loses more deals
        won = rng.random(n) < 1 / (1 + np.exp(-logit))
        zombie = rng.random(n) < 0.08
        base = np.where(corp, 45.0, 40.0) * self.rep_cycle[rep]
        cycle = rng.gamma(8.0, base / 8.0)
        cycle = np.where(won, cycle, cycle * 0.8)
        cycle = np.maximum(cycle, 2.0)
        final_stage = np.where(
            won, len(STAGES) - 1, rng.choice(len(STAGES), size=n, p=[0.3, 0.3, 0.25, 0.15])
        )
        # stage entry times (fractions of the cycle) for each stage up to the final one
        ns = len(STAGES)
        frac = np.sort(rng.uniform(0.05, 0.9, size=(n, ns - 1)), axis=1)
        entry = np.concatenate([np.zeros((n, 1)), frac], axis=1)  # entry[:, 0] = 0
        entry_t = created[:, None] + entry * cycle[:, None] * _DAY_MIN
        close_t = created + cycle * _DAY_MIN
        close_t = np.floor(close_t / _DAY_MIN) * _DAY_MIN + _biz_minutes(rng, n)
        close_t = np.maximum(close_t, created + 60)
        end_t = (E + 1) * _DAY_MIN - 1
        # zombies go dark part-way; reps close the oldest ones as lost months later
        dark_t = created + rng.uniform(0.1, 0.6, size=n) * cycle * _DAY_MIN
        dark_t = _snap(rng, dark_t, created, end_t - rng.exponential(3.0, size=n) * _DAY_MIN)
        cleanup_t = _snap(rng, dark_t + rng.uniform(150, 420, size=n) * _DAY_MIN, dark_t, np.inf)
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
        stage_changed = _snap(rng, entry_t[np.arange(n), reached], created, horizon)
        stage_changed = np.where(reached == 0, created, stage_changed)
        # last activity (activities are laid out up to it in make_activities)
        last_act = np.where(
            is_open & ~zombie,
            _snap(rng, end_t - rng.exponential(6.0, size=n) * _DAY_MIN, created, end_t),
            np.where(zombie, dark_t, close_t - rng.integers(0, 120, size=n)),
        )
        last_act = np.maximum(np.maximum(last_act, stage_changed), created)
        closed = np.where(cleaned, cleanup_t, np.where(is_open, np.nan, close_t))
        est = np.where(corp, 45.0, 40.0) * rng.uniform(0.7, 1.2, size=n)
        expected = created_day + np.round(est).astype(np.int64)
        push = is_open & (expected <= E) & (rng.random(n) < 0.6)
        expected = np.where(push, E + rng.integers(10, 75, size=n), expected)
        lost_reason = np.where(
            status == "lost",
            np.array(_LOST_REASONS, dtype=object)[
                rng.choice(len(_LOST_REASONS), size=n, p=_LOST_REASON_P)
            ],
            None,
        )
        lost_reason[cleaned] = "no decision"
        self.opps = pd.DataFrame(
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
        self.opps["opportunity_id"] = _ids("OP", n, 5)

    # ------------------------------------------------------------------ orders
    def make_orders(self):
        rng, E = self.rng, self.E
        c = self.cust
        pu = self.purchases
        n = len(pu)
        cust = pu["cust"].to_numpy()
        day = np.floor(pu["time"].to_numpy()).astype(np.int64)
        seg = c["segment"].to_numpy()[cust]
        value = c["spend"].to_numpy()[cust] * rng.gamma(4.0, 0.25, size=n)
        # product choice: segment weight x closeness of the price to the order value
        sw = np.array([p[4] for p in _PRODUCTS])[:, :].T  # (3, P)
        ratio = np.log(value[:, None] / self.price[None, :])  # > 0: affordable
        weights = sw[seg] * np.exp(
            -2.0 * np.minimum(ratio, 0) ** 2 - 0.5 * np.maximum(ratio - np.log(12), 0) ** 2
        )
        after = day >= self.undercut_from
        weights[after, self.undercut_p] *= 0.6  # the undercut product loses sales
        prod = _choice_rows(rng, weights)
        disc = np.where(
            seg == 0,
            np.where(
                (rng.random(n) < 0.3) & np.isin(self.cal.month[day - self.cal.lo], [10, 11]),
                0.1,
                0.0,
            ),
            np.round(rng.uniform(0, 0.08, size=n), 2),
        )
        unit = self.price[prod] * (1 - disc)
        qty = np.maximum(1, np.round(value / unit))
        online_p = _SEGMENT_ONLINE[seg] + 0.05 * day / 365.25
        online_p = np.where(self.products_category(prod) == "Services", 0.1, online_p)
        online = rng.random(n) < online_p
        tx = pd.DataFrame(
            {
                "cust": cust,
                "day": day,
                "product": prod,
                "qty": qty,
                "amount": qty * unit,
                "online": online,
                "rep": c["rep"].to_numpy()[cust],
                "opp": -1,
            }
        )
        o = self.opps
        won = o[o["status"] == "won"]
        deals = pd.DataFrame(
            {
                "cust": won["cust"].to_numpy(),
                "day": (won["closed"].to_numpy() // _DAY_MIN).astype(np.int64),
                "product": won["product"].to_numpy(),
                "qty": won["qty"].to_numpy(),
                "amount": won["amount"].to_numpy(),
                "online": False,
                "rep": won["rep"].to_numpy(),
                "opp": won.index.to_numpy(),
            }
        )
        orders = pd.concat([tx, deals], ignore_index=True)
        orders["amount"] = orders["amount"].round(2)
        n = len(orders)
        orders["minute"] = _biz_minutes(rng, n)
        orders = orders.sort_values(["day", "minute", "cust"], kind="stable").reset_index(drop=True)
        orders["order_id"] = _ids("SO", n, 6)
        day = orders["day"].to_numpy()
        online = orders["online"].to_numpy()
        order_t = day * _DAY_MIN + orders["minute"].to_numpy()
        end_t = (E + 1) * _DAY_MIN - 1
        # fulfilment
        cancelled = rng.random(n) < 0.03
        lag = np.where(online, 1 + rng.poisson(1.5, size=n), rng.poisson(0.6, size=n))
        back = (day >= E - 40) & (rng.random(n) < 0.12)
        lag = np.where((rng.random(n) < 0.015), lag + rng.integers(10, 30, size=n), lag)
        ful_t = (day + lag) * _DAY_MIN + _biz_minutes(rng, n)
        ful_t = np.maximum(ful_t, order_t + 30)
        status = np.full(n, "fulfilled", dtype=object)
        status[ful_t > end_t] = "placed"
        status[back & ~cancelled] = "backordered"
        status[cancelled] = "cancelled"
        orders["status"] = status
        orders["fulfilled"] = np.where(status == "fulfilled", ful_t, np.nan)
        # invoices: due 30 days after the order; online orders are paid at checkout
        invoiced = ~cancelled
        due = day + 30
        payer = self.cust["payer"].to_numpy()[orders["cust"].to_numpy()]
        rise = due >= self.overdue_from
        p_late = np.clip(0.1 * payer * np.where(rise, 2.8, 1.0), 0, 0.9)
        p_never = np.where(rise, 0.03, 0.012)
        u = rng.random(n)
        never = u < p_never
        late = ~never & (u < p_never + p_late)
        pay_day = np.where(
            late,
            due + 1 + np.floor(rng.gamma(2.0, 10.0, size=n)),
            day + rng.integers(4, 31, size=n),
        )
        pay_t = pay_day * _DAY_MIN + _biz_minutes(rng, n)
        pay_t = np.where(online, order_t + rng.integers(0, 5, size=n), pay_t)
        paid = invoiced & ~(never & ~online) & (pay_t <= end_t)
        orders["due"] = np.where(invoiced, due, np.nan)
        orders["paid"] = np.where(paid, pay_t, np.nan)
        self.orders = orders

    def products_category(self, prod: np.ndarray) -> np.ndarray:
        return np.array([p[1] for p in _PRODUCTS], dtype=object)[prod]

    # ------------------------------------------------------------------ activities
    def make_activities(self):
        rng, E = self.rng, self.E
        o = self.opps
        n = len(o)
        created = o["created"].to_numpy()
        last = o["last_act"].to_numpy()
        span_days = (last - created) / _DAY_MIN
        k = 1 + np.minimum(rng.poisson(span_days / 18.0), 12)
        opp = np.repeat(np.arange(n), k)
        pos = np.concatenate([np.arange(m) for m in k]) if n else np.zeros(0, np.int64)
        kk = np.repeat(k, k)
        u = rng.random(len(opp))
        # spread: the last at last_act, the first at created, others uniform in between
        frac = np.where(pos == kk - 1, 1.0, np.where(pos == 0, 0.0, u))
        done_t = np.floor(created[opp] + frac * (last - created)[opp])
        inner = (pos > 0) & (pos < kk - 1)
        done_t = np.where(inner, _snap(rng, done_t, created[opp], last[opp]), done_t)
        corp = self.cust["segment"].to_numpy()[o["cust"].to_numpy()][opp] == 2
        typ = np.where(corp[:, None], [[0.3, 0.3, 0.25, 0.15]], [[0.4, 0.4, 0.15, 0.05]])
        atype = _choice_rows(rng, typ)
        dur = np.array([15, 0, 60, 90])[atype]
        sched_t = done_t - dur
        sched_t = np.maximum(sched_t, created[opp])
        done_t = np.maximum(done_t, sched_t)
        # a few past activities did not happen (never the latest one)
        missed = (pos < kk - 1) & (pos > 0) & (rng.random(len(opp)) < 0.05)
        acts = [
            pd.DataFrame(
                {
                    "rep": o["rep"].to_numpy()[opp],
                    "cust": o["cust"].to_numpy()[opp],
                    "opp": opp,
                    "type": atype,
                    "sched": sched_t,
                    "done": np.where(missed, np.nan, done_t),
                }
            )
        ]
        # future activities on live deals
        live = np.flatnonzero((o["status"].to_numpy() == "open") & ~o["zombie"].to_numpy())
        nf = rng.integers(0, 3, size=len(live))
        fopp = np.repeat(live, nf)
        fday = E + 1 + rng.integers(0, 45, size=len(fopp))
        acts.append(
            pd.DataFrame(
                {
                    "rep": o["rep"].to_numpy()[fopp],
                    "cust": o["cust"].to_numpy()[fopp],
                    "opp": fopp,
                    "type": rng.choice(4, size=len(fopp), p=[0.35, 0.1, 0.35, 0.2]),
                    "sched": (fday * _DAY_MIN + _biz_minutes(rng, len(fopp))).astype(float),
                    "done": np.nan,
                }
            )
        )
        # account visits to corporate customers (no deal), some scheduled after end
        c = self.cust
        corp_c = np.flatnonzero(c["segment"].to_numpy() == 2)
        a0 = np.maximum(c["t"].to_numpy()[corp_c] / _DAY_MIN, 0)
        a1 = np.minimum(self.death[corp_c], E + 60)
        years = np.maximum(a1 - a0, 0) / 365.25
        nv = rng.poisson(0.7 * years)
        vc = np.repeat(np.arange(len(corp_c)), nv)
        vday = np.floor(a0[vc] + rng.random(len(vc)) * (a1 - a0)[vc]).astype(np.int64)
        vt = (vday * _DAY_MIN + _biz_minutes(rng, len(vc))).astype(float)
        future = vt > (E + 1) * _DAY_MIN - 1
        vdone = np.where(future | (rng.random(len(vc)) < 0.04), np.nan, vt + 90)
        vdone = np.where(vdone > (E + 1) * _DAY_MIN - 1, np.nan, vdone)
        acts.append(
            pd.DataFrame(
                {
                    "rep": c["rep"].to_numpy()[corp_c][vc],
                    "cust": corp_c[vc],
                    "opp": -1,
                    "type": 3,
                    "sched": vt,
                    "done": vdone,
                }
            )
        )
        a = pd.concat(acts, ignore_index=True)
        a = a.sort_values(["sched", "rep", "cust", "opp"], kind="stable").reset_index(drop=True)
        a["activity_id"] = _ids("A", len(a), 6)
        self.acts = a
        lat = a[a["opp"] >= 0].groupby("opp")["done"].max()
        self.opps["last_act"] = lat.reindex(np.arange(n)).to_numpy()

    # ------------------------------------------------------------------ tables
    def reps_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "rep_id": list(self.rep_ids),
                "name": self.rep_names,
                "team": [_TEAMS[t] for t in self.rep_team],
                "region": [self.regions[r] for r in self.rep_region],
                "manager": [self.managers[r] for r in self.rep_region],
                "hire_date": _dates(self.start, self.rep_hire),
            }
        )

    def customers_table(self) -> pd.DataFrame:
        c = self.cust
        return pd.DataFrame(
            {
                "customer_id": list(c["customer_id"]),
                "name": list(c["name"]),
                "segment": [_SEGMENTS[s] for s in c["segment"]],
                "region": [self.regions[r] for r in c["region"]],
                "country": "United States",
                "city": list(c["city"]),
                "acquired_at": _timestamps(self.start, c["t"].to_numpy()),
                "source": [SOURCES[s] for s in c["source"]],
            }
        )

    def leads_table(self) -> pd.DataFrame:
        le = self.leads
        cid = self.cust["customer_id"].to_numpy()
        lc = self.lead_customer
        conv = le["conv"].to_numpy()
        return pd.DataFrame(
            {
                "lead_id": _ids("L", len(le), 5),
                "created_at": _timestamps(self.start, le["t"].to_numpy()),
                "source": [SOURCES[s] for s in le["source"]],
                "region": [self.regions[r] for r in le["region"]],
                "rep_id": list(self.rep_ids[le["rep"].to_numpy()]),
                "converted_at": _timestamps(self.start, le["conv_t"].to_numpy(), conv),
                "converted": conv.astype(bool),
                "customer_id": [cid[i] if i >= 0 else None for i in lc],
                "segment": [_SEGMENTS[s] for s in le["segment"]],
                "web_visits": le["visits"].to_numpy().astype(float),
            }
        )

    def opportunities_table(self) -> pd.DataFrame:
        o = self.opps
        cid = self.cust["customer_id"].to_numpy()
        names = [p[0] for p in _PRODUCTS]
        closed = o["closed"].to_numpy()
        return pd.DataFrame(
            {
                "opportunity_id": list(o["opportunity_id"]),
                "customer_id": list(cid[o["cust"].to_numpy()]),
                "rep_id": list(self.rep_ids[o["rep"].to_numpy()]),
                "product": [names[p] for p in o["product"]],
                "created_at": _timestamps(self.start, o["created"].to_numpy()),
                "stage": [STAGES[s] for s in o["stage"]],
                "status": list(o["status"]),
                "amount": o["amount"].to_numpy(dtype=float),
                "expected_close_date": _dates(self.start, o["expected"].to_numpy()),
                "closed_at": _timestamps(self.start, closed),
                "stage_changed_at": _timestamps(
                    self.start, np.floor(o["stage_changed"].to_numpy())
                ),
                "last_activity_at": _timestamps(self.start, o["last_act"].to_numpy()),
                "lost_reason": list(o["lost_reason"]),
            }
        )

    def orders_table(self) -> pd.DataFrame:
        od = self.orders
        cid = self.cust["customer_id"].to_numpy()
        names = np.array([p[0] for p in _PRODUCTS], dtype=object)
        cust = od["cust"].to_numpy()
        prod = od["product"].to_numpy()
        amount = od["amount"].to_numpy(dtype=float)
        qty = od["qty"].to_numpy(dtype=float)
        return pd.DataFrame(
            {
                "order_id": list(od["order_id"]),
                "customer_id": list(cid[cust]),
                "order_date": _dates(self.start, od["day"].to_numpy()),
                "region": [self.regions[r] for r in self.cust["region"].to_numpy()[cust]],
                "channel": [CHANNELS[1] if x else CHANNELS[0] for x in od["online"]],
                "rep_id": list(self.rep_ids[od["rep"].to_numpy()]),
                "product": list(names[prod]),
                "quantity": qty,
                "amount": amount,
                "profit": np.round(amount - qty * self.cost[prod], 2),
                "status": list(od["status"]),
                "fulfilled_at": _timestamps(self.start, od["fulfilled"].to_numpy()),
                "due_date": _dates(self.start, od["due"].to_numpy()),
                "paid_at": _timestamps(self.start, od["paid"].to_numpy()),
            }
        )

    def _revenue(self) -> pd.DataFrame:
        """Non-cancelled order revenue per quarter, region and rep (internal ints)."""
        od = self.orders
        ok = od["status"].to_numpy() != "cancelled"
        return pd.DataFrame(
            {
                "q": self.cal.quarter(od["day"].to_numpy()[ok]),
                "region": self.cust["region"].to_numpy()[od["cust"].to_numpy()[ok]],
                "rep": od["rep"].to_numpy()[ok],
                "amount": od["amount"].to_numpy()[ok],
            }
        )

    def targets_table(self) -> pd.DataFrame:
        rng = self.rng
        rev = self._revenue()
        quarters = list(range(self.q_first, self.q_end + 2))
        by_rq = rev.groupby(["region", "q"])["amount"].sum()
        by_rep_q = rev.groupby(["rep", "q"])["amount"].sum()
        rows = []
        region_target = {}
        for q in quarters:
            for r in range(self.n_regions):
                prev = by_rq.get((r, q - 4))
                if prev is not None and q - 4 >= self.q_first:
                    tgt = prev * 1.2 * rng.uniform(0.97, 1.03)
                elif q <= self.q_end:
                    tgt = by_rq.get((r, q), 0.0) * rng.uniform(0.96, 1.08)
                else:
                    tgt = by_rq.get((r, self.q_end), 0.0) * rng.uniform(1.0, 1.1)
                region_target[(r, q)] = round(tgt, -3)
        for q in quarters:
            label = _qlabel(q)
            rows.append(
                (
                    label,
                    "company",
                    "all",
                    float(sum(region_target[(r, q)] for r in range(self.n_regions))),
                )
            )
            qstart = _qstart_day(q, self.start)
            for r in range(self.n_regions):
                rows.append((label, "region", self.regions[r], float(region_target[(r, q)])))
                reps = [
                    i for i in np.flatnonzero(self.rep_region == r) if self.rep_hire[i] < qstart
                ]
                if not reps:
                    continue
                ref_q = q - 4 if q - 4 >= self.q_first else q
                hist = np.array([by_rep_q.get((i, ref_q), 0.0) for i in reps])
                even = np.full(len(reps), 1 / len(reps))
                share = 0.5 * even + 0.5 * (hist / hist.sum() if hist.sum() > 0 else even)
                for i, s in zip(reps, share, strict=True):
                    ramp = 0.5 if qstart - self.rep_hire[i] < 120 else 1.0
                    rows.append(
                        (
                            label,
                            "rep",
                            self.rep_ids[i],
                            float(round(region_target[(r, q)] * s * 1.05 * ramp, -2)),
                        )
                    )
        return pd.DataFrame(rows, columns=["period", "level", "key", "revenue_target"])

    def activities_table(self) -> pd.DataFrame:
        a = self.acts
        cid = self.cust["customer_id"].to_numpy()
        oid = self.opps["opportunity_id"].to_numpy()
        opp = a["opp"].to_numpy()
        return pd.DataFrame(
            {
                "activity_id": list(a["activity_id"]),
                "rep_id": list(self.rep_ids[a["rep"].to_numpy()]),
                "customer_id": list(cid[a["cust"].to_numpy()]),
                "opportunity_id": [oid[i] if i >= 0 else None for i in opp],
                "type": [ACTIVITY_TYPES[t] for t in a["type"]],
                "scheduled_at": _timestamps(self.start, a["sched"].to_numpy()),
                "completed_at": _timestamps(self.start, a["done"].to_numpy()),
            }
        )

    def satisfaction_table(self) -> pd.DataFrame:
        rng = self.rng
        rows = []
        n_q = self.q_end - self.q_first + 1
        base = rng.normal(7.4, 0.7, size=self.n_reps)
        for k, q in enumerate(range(self.q_first, self.q_end + 1)):
            qs = pd.Timestamp(year=2000 + q // 4, month=3 * (q % 4) + 3, day=15)
            day = min((qs - self.start).days, self.E)
            if day < 0:
                continue
            for i in range(self.n_reps):
                if self.rep_hire[i] > day - 30:
                    continue
                mu = base[i]
                if i == self.unhappy_rep:
                    mu = 7.8 - 1.4 * max(0, k - (n_q - 5))
                score = int(np.clip(np.round(mu + rng.normal(0, 0.8)), 0, 10))
                rows.append((self.rep_ids[i], day, score))
        frame = pd.DataFrame(rows, columns=["rep_id", "day", "score"])
        return pd.DataFrame(
            {
                "rep_id": list(frame["rep_id"]),
                "survey_date": _dates(self.start, frame["day"].to_numpy()),
                "score": frame["score"].to_numpy(dtype=float),
            }
        )

    def engagement_table(self) -> pd.DataFrame:
        rng, E = self.rng, self.E
        od = self.orders
        od = od[od["status"].to_numpy() != "cancelled"]
        c = self.cust
        cust = od["cust"].to_numpy()
        sel = c["optin"].to_numpy()[cust]
        cust = cust[sel]
        t0 = (od["day"].to_numpy()[sel] + 3 + rng.integers(0, 8, size=len(cust))) * _DAY_MIN
        n = len(cust)
        eng = c["eng"].to_numpy()[cust]
        send_t = t0 + _biz_minutes(rng, n)
        opened = rng.random(n) < eng
        open_t = send_t + rng.exponential(600, size=n).astype(np.int64) + 1
        clicked = opened & (rng.random(n) < 0.4)
        click_t = open_t + rng.integers(1, 30, size=n)
        visit = rng.random(n) < 0.5 * eng + 0.05
        visit_t = send_t + rng.integers(60, 14 * _DAY_MIN, size=n)
        dur = np.round(rng.lognormal(np.log(120), 0.8, size=n))
        social = rng.random(n) < 0.12 * eng
        share = social & (rng.random(n) < 0.35)
        soc_t = send_t + rng.integers(60, 20 * _DAY_MIN, size=n)
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
        e = e[e["t"] <= (E + 1) * _DAY_MIN - 1]
        cid = c["customer_id"].to_numpy()
        return pd.DataFrame(
            {
                "customer_id": list(cid[e["cust"].to_numpy()]),
                "event_at": _timestamps(self.start, e["t"].to_numpy()),
                "channel": list(e["channel"]),
                "event": list(e["event"]),
                "duration_s": e["duration_s"].to_numpy(dtype=float),
            }
        )

    def products_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "product": [p[0] for p in _PRODUCTS],
                "category": [p[1] for p in _PRODUCTS],
                "list_price": self.price.astype(float),
                "unit_cost": self.cost.astype(float),
            }
        )

    def competitor_prices_table(self) -> pd.DataFrame:
        rng, E = self.rng, self.E
        months = pd.date_range(self.start.to_period("M").to_timestamp(), self.end, freq="MS")
        rows = []
        for ci, comp in enumerate(_COMPETITORS):
            covers = rng.random(len(_PRODUCTS)) < 0.85
            covers[self.undercut_p] = True
            obs_day = int(rng.integers(3, 24))
            drift = rng.normal(0, 0.005, size=len(_PRODUCTS))
            for m in months:
                base_day = (m - self.start).days + obs_day - 1 + int(rng.integers(-2, 3))
                day = min(max(base_day, 0), E)
                for p in np.flatnonzero(covers):
                    level = _COMPETITOR_LEVEL[ci] + drift[p] * day / 365.25
                    if (
                        comp == _UNDERCUT_COMPETITOR
                        and p == self.undercut_p
                        and day >= self.undercut_from
                    ):
                        level = _UNDERCUT_LEVEL
                    price = self.price[p] * (level + rng.normal(0, 0.02))
                    rows.append((day, _PRODUCTS[p][0], comp, round(float(price), 2)))
        f = pd.DataFrame(rows, columns=["day", "product", "competitor", "price"])
        return pd.DataFrame(
            {
                "observed_date": _dates(self.start, f["day"].to_numpy()),
                "product": list(f["product"]),
                "competitor": list(f["competitor"]),
                "price": f["price"].to_numpy(dtype=float),
            }
        )

    def marketing_spend_table(self) -> pd.DataFrame:
        rng = self.rng
        le = self.leads
        q = self.cal.quarter(le["day"].to_numpy())
        counts = pd.crosstab(q, le["source"].to_numpy())
        rows = []
        for qq in range(self.q_first, self.q_end + 1):
            for s, name in enumerate(SOURCES):
                k = counts.at[qq, s] if (qq in counts.index and s in counts.columns) else 0
                amount = k * _SOURCE_CPL[s] * rng.lognormal(0, 0.08) + 500.0
                rows.append((_qlabel(qq), name, round(float(amount), 2)))
        return pd.DataFrame(rows, columns=["period", "source", "amount"])


_SORT_KEYS = {
    "satisfaction": ("rep_id", "survey_date"),
    "engagement": ("customer_id", "event_at", "channel", "event"),
    "competitor_prices": ("observed_date", "product", "competitor"),
}


def _sort_key(name: str) -> tuple[str, ...]:
    return _SORT_KEYS.get(name) or tuple(TABLES[name].primary_key)


def _sorted(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    keys = [k for k in _sort_key(name) if k in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


# =============================================================================== write


def write(tables: dict[str, pd.DataFrame], folder) -> list[Path]:
    """Write one CSV per table, ``<folder>/<table>.csv``, reproducibly.

    UTF-8, ``\\n`` line endings, rows sorted by primary key, contract ``date``
    columns as ``YYYY-MM-DD`` and ``timestamp`` columns as
    ``YYYY-MM-DD HH:MM:SS``, money with 2 decimals, other numbers rounded to 2
    decimals without trailing zeros, empty cells for missing values. The same
    tables always give byte-identical files.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Contract tables, e.g. from :func:`generate`. Not modified.
    folder : str or pathlib.Path
        Output folder; created when missing.

    Returns
    -------
    list of pathlib.Path
        The files written, in table order.

    Raises
    ------
    KeyError
        When a table name is not a contract table.

    Examples
    --------
    >>> import tempfile
    >>> t = generate(3, start="2025-01-01", end="2025-06-30", n_regions=1, n_reps=2,
    ...              n_customers=20)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = write(t, d)
    ...     first = paths[0].read_text(encoding="utf-8").splitlines()[0]
    >>> first
    'rep_id,name,team,region,manager,hire_date'
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, frame in tables.items():
        cols = columns(name) if name in TABLES else None
        if cols is None:
            raise KeyError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}")
        frame = _sorted(name, frame)
        text = pd.DataFrame({c: _format_column(frame[c], cols.get(c)) for c in frame.columns})
        path = folder / f"{name}.csv"
        data = text.to_csv(index=False, lineterminator="\n")
        path.write_bytes(data.encode("utf-8"))
        logger.debug("wrote %s (%d rows)", path, len(frame))
        out.append(path)
    return out


def _format_column(s: pd.Series, col) -> list[str]:
    meta = (col.metadata or {}) if col is not None else {}
    kind = meta.get("kind")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        fmt = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
        return s.dt.strftime(fmt).fillna("").tolist()
    if pd.api.types.is_bool_dtype(s.dtype):
        return ["True" if v else "False" for v in s]
    if pd.api.types.is_numeric_dtype(s.dtype):
        money = meta.get("unit") == "currency"
        out = []
        for v in s.to_numpy(dtype=float):
            if not np.isfinite(v):
                out.append("")
            elif money:
                out.append(f"{round(v, 2):.2f}")
            else:
                r = round(v, 2)
                out.append(str(int(r)) if r == int(r) else f"{r:.2f}".rstrip("0"))
        return out
    return ["" if pd.isna(v) else str(v) for v in s.astype(object)]


# =============================================================================== facts


def fact_sheet(tables: dict[str, pd.DataFrame]) -> str:
    """The planted facts and row counts, computed from the tables, as Markdown.

    Definitions (``end`` is the latest order date; quarters are calendar
    quarters; revenue is the ``amount`` of orders that are not cancelled):

    1. *Declining region*: revenue of the last 4 quarters vs the 4 before, and
       year-over-year growth of each of the last 4 quarters, per region.
    2. *Slow rep*: median of ``closed_at - created_at`` (days) over won deals,
       per rep vs all won deals of the company and of the rep's team.
    3. *Best lead source*: ``converted`` leads / all leads per source.
    4. *Undercut product*: mean competitor price / our list price per product,
       competitor and quarter, in the last two quarters.
    5. *Overdue invoices*: per quarter of ``due_date`` (invoices due by
       ``end``), share of invoices (count and amount) not paid by their due
       date (paid later or unpaid).
    6. *Satisfaction*: mean score per rep over the last 4 quarters and the
       least-squares slope of the rep's scores over those quarters.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Tables as returned by :func:`generate` (or the sample loaded back).

    Returns
    -------
    str
        Markdown text (pasted into ``data/sample/README.md``).
    """
    t = tables
    out: list[str] = []
    orders = t["orders"]
    end = orders["order_date"].max()
    q_end = end.to_period("Q")
    last4 = [str(q_end - i) for i in range(3, -1, -1)]
    prev4 = [str(q_end - i) for i in range(7, 3, -1)]

    out.append("Row counts:")
    out.append("")
    out.append("| table | rows |")
    out.append("|---|---|")
    for name, frame in t.items():
        out.append(f"| `{name}` | {len(frame):,} |")
    out.append("")

    # 1. region revenue
    ok = orders[orders["status"] != "cancelled"]
    rq = ok.assign(q=ok["order_date"].dt.to_period("Q").astype(str)).pivot_table(
        index="region", columns="q", values="amount", aggfunc="sum", fill_value=0.0
    )
    out.append(
        "**1. Region revenue** (not cancelled orders), last 4 quarters vs the 4 before,"
        " and year-over-year growth per quarter:"
    )
    out.append("")
    out.append(
        "| region | "
        + " | ".join(prev4 + last4)
        + " | last 4Q vs prior 4Q | "
        + " | ".join(f"YoY {q}" for q in last4)
        + " |"
    )
    out.append("|---" * (1 + 8 + 1 + 4) + "|")
    growth = {}
    for region, row in rq.iterrows():
        vals = [row.get(q, 0.0) for q in prev4 + last4]
        g = sum(vals[4:]) / sum(vals[:4]) - 1 if sum(vals[:4]) else float("nan")
        growth[region] = g
        yoy = [(vals[4 + i] / vals[i] - 1) if vals[i] else float("nan") for i in range(4)]
        out.append(
            f"| {region} | "
            + " | ".join(f"{v:,.0f}" for v in vals)
            + f" | {g:+.1%} | "
            + " | ".join(f"{y:+.1%}" for y in yoy)
            + " |"
        )
    worst = min(growth, key=growth.get)
    seq = [rq.loc[worst].get(q, 0.0) for q in last4]
    out.append("")
    out.append(
        f"Declining region: **{worst}** ({growth[worst]:+.1%} over the last 4 quarters;"
        " the other regions: "
        + ", ".join(f"{r} {g:+.1%}" for r, g in growth.items() if r != worst)
        + f"). {worst} quarter by"
        " quarter: " + " > ".join(f"{v:,.0f}" for v in seq) + "."
    )
    out.append("")

    # 2. slow rep
    opp = t["opportunities"]
    won = opp[opp["status"] == "won"]
    cyc = (won["closed_at"] - won["created_at"]).dt.total_seconds() / 86400
    won = won.assign(cycle=cyc).merge(t["reps"][["rep_id", "name", "team"]], on="rep_id")
    med = won.groupby("rep_id")["cycle"].median().sort_values(ascending=False)
    team_med = won["cycle"].median()
    slow = med.index[0]
    srow = t["reps"].set_index("rep_id").loc[slow]
    own_team = won[won["team"] == srow["team"]]["cycle"].median()
    n_slow = int((won["rep_id"] == slow).sum())
    out.append(
        f"**2. Slow rep**: **{slow} {srow['name']}** ({srow['team']}, {srow['region']}):"
        f" median sales cycle {med.iloc[0]:.1f} days over {n_slow} won deals, vs"
        f" {team_med:.1f} days for all won deals (ratio {med.iloc[0] / team_med:.2f})"
        f" and {own_team:.1f} days in the {srow['team']} team (ratio"
        f" {med.iloc[0] / own_team:.2f}); median of the per-rep medians"
        f" {med.median():.1f} days; next slowest rep {med.index[1]} at"
        f" {med.iloc[1]:.1f} days."
    )
    out.append("")

    # 3. lead sources
    leads = t["leads"]
    conv = (
        leads.groupby("source")["converted"]
        .agg(["size", "mean"])
        .sort_values("mean", ascending=False)
    )
    best = conv.index[0]
    out.append("**3. Lead conversion by source** (converted / all leads):")
    out.append("")
    out.append("| source | leads | conversion |")
    out.append("|---|---|---|")
    for s, row in conv.iterrows():
        out.append(f"| {s} | {int(row['size']):,} | {row['mean']:.1%} |")
    out.append("")
    out.append(
        f"Best source: **{best}**, {conv['mean'].iloc[0] / conv['mean'].iloc[1]:.2f}x the"
        f" next best ({conv.index[1]}) and {conv['mean'].iloc[0] / conv['mean'].iloc[1:].mean():.2f}x"
        " the mean of the other sources."
    )
    out.append("")

    # 4. competitor prices
    cp = t["competitor_prices"].merge(t["products"][["product", "list_price"]], on="product")
    cp = cp.assign(
        q=cp["observed_date"].dt.to_period("Q").astype(str), ratio=cp["price"] / cp["list_price"]
    )
    last2 = last4[-2:]
    rel = cp[cp["q"].isin(last2)].groupby(["product", "competitor", "q"])["ratio"].mean()
    rel = rel.unstack("q")
    under = rel[(rel < 0.9).all(axis=1)]
    before = cp[~cp["q"].isin(last2)].groupby(["product", "competitor"])["ratio"].mean()
    out.append("**4. Competitor undercut** (mean competitor price / our list price):")
    out.append("")
    for (prod, comp), row in under.iterrows():
        lp = float(t["products"].set_index("product").at[prod, "list_price"])
        out.append(
            f"- **{comp}** undercuts **{prod}** (list price {lp:,.2f}): "
            + ", ".join(f"{q} {row[q]:.3f} ({row[q] - 1:+.1%})" for q in last2)
            + f"; before {last2[0]} it averaged {before[(prod, comp)]:.3f}."
        )
        oq = orders["order_date"].dt.to_period("Q").astype(str)
        mine = orders["product"] == prod
        now = int((mine & oq.isin(last2)).sum())
        year_ago = int((mine & oq.isin(prev4[-2:])).sum())
        out.append(
            f"  Our orders of {prod} in {last2[0]}-{last2[1]}: {now} vs {year_ago} a year"
            f" earlier ({now / year_ago - 1:+.1%})."
        )
    others = rel.drop(index=under.index)
    out.append(
        f"- every other product/competitor pair stays at or above"
        f" {others.min().min():.3f} of list price in {last2[0]}-{last2[1]}."
    )
    out.append("")

    # 5. overdue invoices
    inv = orders[orders["due_date"].notna() & (orders["due_date"] <= end)]
    late = inv["paid_at"].isna() | (inv["paid_at"].dt.normalize() > inv["due_date"])
    inv = inv.assign(
        q=inv["due_date"].dt.to_period("Q").astype(str),
        late=late,
        late_amount=inv["amount"].where(late, 0.0),
    )
    per_q = inv.groupby("q").agg(
        invoices=("late", "size"),
        late=("late", "sum"),
        amount=("amount", "sum"),
        late_amount=("late_amount", "sum"),
    )
    per_q = per_q.loc[[q for q in prev4 + last4 if q in per_q.index]]
    out.append("**5. Invoices not paid by their due date**, by quarter of the due date:")
    out.append("")
    out.append("| due quarter | invoices | not paid by due date | share | amount share |")
    out.append("|---|---|---|---|---|")
    for q, row in per_q.iterrows():
        out.append(
            f"| {q} | {int(row['invoices']):,} | {int(row['late']):,} |"
            f" {row['late'] / row['invoices']:.1%} |"
            f" {row['late_amount'] / row['amount']:.1%} |"
        )
    share = per_q["late"] / per_q["invoices"]
    out.append("")
    out.append(
        f"Latest quarter {last4[-1]}: {share.iloc[-1]:.1%} vs"
        f" {share.iloc[-5:-1].mean():.1%} on average over the 4 quarters before"
        f" ({share.iloc[-1] / share.iloc[-5:-1].mean():.2f}x)."
    )
    out.append("")

    # 6. satisfaction
    sat = t["satisfaction"].assign(q=t["satisfaction"]["survey_date"].dt.to_period("Q").astype(str))
    sat4 = sat[sat["q"].isin(last4)]
    qi = {q: i for i, q in enumerate(last4)}
    slopes = sat4.groupby("rep_id").apply(
        lambda g: np.polyfit(g["q"].map(qi), g["score"], 1)[0] if len(g) > 1 else np.nan,
        include_groups=False,
    )
    worst_rep = slopes.idxmin()
    scores = sat[sat["rep_id"] == worst_rep].set_index("q")["score"]
    wname = t["reps"].set_index("rep_id").at[worst_rep, "name"]
    others_slope = slopes.drop(worst_rep)
    out.append(
        f"**6. Satisfaction**: **{worst_rep} {wname}** scores "
        + ", ".join(f"{q} {int(v)}" for q, v in scores.tail(6).items())
        + f" (slope {slopes[worst_rep]:+.2f} points per quarter over the last 4"
        f" quarters; other reps between {others_slope.min():+.2f} and"
        f" {others_slope.max():+.2f}; company mean score in {last4[-1]}:"
        f" {sat[sat['q'] == last4[-1]]['score'].mean():.1f})."
    )
    out.append("")

    # other structure a report should show
    revq = ok.groupby(ok["order_date"].dt.to_period("Q").astype(str))["amount"].sum()
    per_c = ok.groupby("customer_id")["amount"].agg(["size", "sum"])
    top = per_c["sum"].sort_values(ascending=False)
    closed = opp[opp["status"] != "open"]
    wr = (closed["status"] == "won").groupby(closed["rep_id"]).mean()
    open_ = opp[opp["status"] == "open"]
    idle = (end - open_["last_activity_at"]).dt.days
    online = (ok["channel"] == "online").groupby(ok["order_date"].dt.year).mean()
    out.append("**Other structure**:")
    out.append("")
    out.append(
        "- company revenue by quarter: " + ", ".join(f"{q} {v:,.0f}" for q, v in revq.items()) + "."
    )
    out.append(
        f"- customers with orders: {len(per_c):,}; one-time buyers"
        f" {(per_c['size'] == 1).mean():.1%}; the top 10% of customers bring"
        f" {top.head(len(top) // 10).sum() / top.sum():.1%} of revenue; most orders by"
        f" one customer: {int(per_c['size'].max())}."
    )
    out.append(
        f"- win rate of closed deals by rep: {wr.min():.0%} to {wr.max():.0%}"
        f" (company {(closed['status'] == 'won').mean():.1%})."
    )
    out.append(
        f"- open deals: {len(open_)} worth {open_['amount'].sum():,.0f}; of these"
        f" {int((idle > 60).sum())} (worth"
        f" {open_.loc[idle > 60, 'amount'].sum():,.0f}) have had no activity for more"
        " than 60 days."
    )
    out.append(
        "- online share of orders by year: "
        + ", ".join(f"{y} {v:.0%}" for y, v in online.items())
        + "."
    )
    return "\n".join(out)


# =============================================================================== large


def large_orders(
    n_rows: int,
    *,
    seed: int = 0,
    n_customers: int | None = None,
    start="2020-01-01",
    end="2024-12-31",
) -> pd.DataFrame:
    """A big synthetic ``orders`` table for benchmarks, generated with numpy only.

    Customers have a skewed (gamma, shape 0.5) purchase frequency, so some buy
    many times and many buy once; each customer is active from an acquisition
    day on (spread over the span with an upward trend), orders follow a Q4
    seasonality, amounts are gamma-distributed per customer. Statuses, due
    dates (order + 30 days) and payments (most on time, some late, ~2 %
    unpaid) follow the sample's rules in simplified form.

    Parameters
    ----------
    n_rows : int
        Number of orders (rows).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.
    n_customers : int, optional
        Number of customers to draw from (those who get no order are left out);
        default ``max(1, n_rows // 6)``.
    start, end : date-like, default "2020-01-01" and "2024-12-31"
        Span of ``order_date``.

    Returns
    -------
    pandas.DataFrame
        Columns ``order_id`` (string), ``customer_id``, ``region``, ``channel``,
        ``rep_id``, ``product``, ``status`` (categoricals), ``order_date``,
        ``due_date``, ``paid_at`` (``datetime64[ns]``), ``quantity``, ``amount``
        (``float64``). Rows are in no particular order.

    Raises
    ------
    ValueError
        When ``n_rows`` is negative or ``end`` is before ``start``.

    Examples
    --------
    >>> df = large_orders(1000, seed=1)
    >>> len(df), bool((df["amount"] >= 0).all())
    (1000, True)
    >>> int(df["customer_id"].value_counts().max()) > 1  # repeat customers
    True
    >>> list(df.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['order_id', 'customer_id', 'order_date', 'region', 'channel', 'rep_id', 'product',
     'quantity', 'amount', 'status', 'due_date', 'paid_at']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if n_rows < 0:
        raise ValueError(f"n_rows must be >= 0, got {n_rows}")
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    span = (end_ts - start_ts).days + 1
    if span < 1:
        raise ValueError(f"end ({end_ts.date()}) is before start ({start_ts.date()})")
    rng = np.random.default_rng(seed)
    n_cust = int(n_customers) if n_customers else max(1, n_rows // 6)
    n = int(n_rows)

    # customers: acquisition day (more recent ones more likely: growth) and a skewed
    # purchase frequency; orders per customer ~ multinomial(frequency x time as customer)
    acq = np.floor(span * rng.random(n_cust) ** 0.8).astype(np.int32)
    freq = rng.gamma(0.5, 2.0, size=n_cust) + 1e-3
    weight = freq * (span - acq)
    counts = rng.multinomial(n, weight / weight.sum()) if n else np.zeros(n_cust, np.int64)
    cust = np.repeat(np.arange(n_cust, dtype=np.int32), counts)
    spend = rng.gamma(3.0, 110.0, size=n_cust)

    # order day on or after acquisition, following the monthly seasonality (Q4 peak):
    # inverse-CDF sampling of the seasonal day weights restricted to [acq, span)
    days = np.arange(span)
    month = (start_ts + pd.to_timedelta(days, unit="D")).month.to_numpy() - 1
    cs = np.cumsum(_SEASON[month])
    cs = cs / cs[-1]
    a = acq[cust]
    lo = np.where(a > 0, cs[np.maximum(a - 1, 0)], 0.0)
    u = lo + (1.0 - lo) * rng.random(n)
    day = np.clip(np.searchsorted(cs, u).astype(np.int32), a, span - 1)
    # each customer's first order is on the acquisition day
    first = (np.cumsum(counts) - counts)[counts > 0]
    day[first] = acq[counts > 0]
    # chronological rows: order ids follow the order date
    order = np.argsort(day, kind="stable")
    day, cust = day[order], cust[order]

    n_reg = 5
    region = (cust % n_reg).astype(np.int8)
    n_rep = 30
    rep = (region + n_reg * (cust // n_reg % (n_rep // n_reg))).astype(np.int16)
    channel = (rng.random(n) < 0.45).astype(np.int8)
    prod = rng.choice(len(_PRODUCTS), size=n, p=_product_mix()).astype(np.int8)
    price = np.array([p[2] for p in _PRODUCTS])[prod]
    value = spend[cust] * rng.gamma(4.0, 0.25, size=n)
    qty = np.maximum(1.0, np.round(value / price))
    amount = np.round(qty * price, 2)
    r = rng.random(n)
    status = np.where(r < 0.03, 3, np.where(r < 0.05, 2, 1)).astype(np.int8)
    recent = day > span - 4
    status = np.where(recent & (status == 1), 0, status).astype(np.int8)

    base = np.datetime64(start_ts.to_datetime64(), "D")
    order_date = (base + day.astype("timedelta64[D]")).astype("datetime64[ns]")
    due_date = (base + (day + 30).astype("timedelta64[D]")).astype("datetime64[ns]")
    pr = rng.random(n)
    pay_off = np.where(
        pr < 0.85,
        rng.integers(0, 30, size=n),
        30 + rng.gamma(2.0, 10.0, size=n).astype(np.int64) + 1,
    )
    pay_min = (day.astype(np.int64) + pay_off) * _DAY_MIN + rng.integers(480, 1140, size=n)
    unpaid = (pr > 0.98) | (status == 3) | (pay_min >= span * _DAY_MIN)
    paid_at = (
        np.datetime64(start_ts.to_datetime64(), "m") + pay_min.astype("timedelta64[m]")
    ).astype("datetime64[ns]")
    paid_at[unpaid] = np.datetime64("NaT")
    due_date[status == 3] = np.datetime64("NaT")

    width = max(7, len(str(n)))
    ids = pc.binary_join_element_wise(
        "SO", pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), width, "0"), ""
    )
    # customer_id: a categorical whose categories are exactly the customers with orders
    used = np.flatnonzero(counts > 0)
    code = np.full(n_cust, -1, dtype=np.int32)
    code[used] = np.arange(len(used), dtype=np.int32)
    cwidth = max(6, len(str(n_cust)))
    cids = pc.binary_join_element_wise(
        "C", pc.utf8_lpad(pa.array(used + 1).cast(pa.string()), cwidth, "0"), ""
    )
    cust_cat = pd.Categorical.from_codes(code[cust], categories=pd.Index(cids.to_pylist()))
    columns_ = {
        "order_id": pd.array(ids, dtype="string[pyarrow]"),
        "customer_id": cust_cat,
        "order_date": order_date,
        "region": pd.Categorical.from_codes(region, categories=list(REGIONS[:n_reg])),
        "channel": pd.Categorical.from_codes(channel, categories=list(CHANNELS)),
        "rep_id": pd.Categorical.from_codes(rep, categories=_ids("R", n_rep, 3)),
        "product": pd.Categorical.from_codes(prod, categories=[p[0] for p in _PRODUCTS]),
        "quantity": qty,
        "amount": amount,
        "status": pd.Categorical.from_codes(
            status, categories=["placed", "fulfilled", "backordered", "cancelled"]
        ),
        "due_date": due_date,
        "paid_at": paid_at,
    }
    # copy=False: no block consolidation (a full copy of every column)
    return pd.DataFrame(columns_, copy=False)


def _product_mix() -> np.ndarray:
    w = np.array([sum(p[4]) for p in _PRODUCTS])
    return w / w.sum()


# =============================================================================== cli


def main(argv=None) -> int:
    """Generate the sample and write it: ``python -m salesnb.synth --out data/sample``."""
    parser = argparse.ArgumentParser(
        prog="python -m salesnb.synth",
        description="Generate the seeded synthetic sales dataset as one CSV per table.",
    )
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--start", default="2023-10-01", help="first day (default 2023-10-01)")
    parser.add_argument("--end", default="2026-09-30", help="last day = as_of (default 2026-09-30)")
    parser.add_argument(
        "--facts",
        action="store_true",
        help="also print the planted facts and row counts (Markdown)",
    )
    args = parser.parse_args(argv)
    tables = generate(args.seed, start=args.start, end=args.end)
    paths = write(tables, args.out)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} tables to {args.out} ({total / 1e6:.2f} MB)")
    if args.facts:
        print(fact_sheet(tables))
    return 0


if __name__ == "__main__":
    main()
