"""The fixed make-up of the sample company: regions, lead sources, segments,
teams, products, competitors, lost reasons and the seasonal demand curve.

Plain constants, read by the generators; the parameters that plant the facts
of the sample live in :mod:`salesnb.synth.facts`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["REGIONS", "SOURCES"]

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
CITIES: dict[str, tuple[str, ...]] = {
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
REGION_GROWTH = (0.12, 0.17, 0.10, 0.04, 0.14, 0.12, 0.16, 0.10)
REGION_SIZE = (1.15, 0.95, 1.25, 1.0, 0.8, 0.9, 0.85, 0.7)

#: Lead sources.
SOURCES: tuple[str, ...] = ("web", "referral", "event", "partner", "social", "outbound")
SOURCE_SHARE = np.array([0.34, 0.10, 0.14, 0.10, 0.17, 0.15])
SOURCE_CPL = np.array([55.0, 35.0, 210.0, 120.0, 40.0, 95.0])  # marketing cost per lead
SOURCE_VISITS = np.array([4.0, 2.0, 2.5, 2.5, 3.0, 1.5])  # mean web visits of a lead

SEGMENTS = ("consumer", "small business", "corporate")
SEGMENT_SHARE = np.array([0.45, 0.33, 0.22])
SEGMENT_LOGIT = np.array([0.0, 0.1, -0.25])
#: BG/NBD-like purchase process per segment: mean purchases per year while alive,
#: mean order value.
SEGMENT_RATE = np.array([1.7, 2.4, 3.0])
SEGMENT_SPEND = np.array([190.0, 480.0, 950.0])
SEGMENT_ONLINE = np.array([0.58, 0.40, 0.24])
#: opportunities per customer-year while the customer is alive.
SEGMENT_OPP_RATE = np.array([0.0, 0.7, 1.2])

TEAMS = ("Enterprise", "Commercial")

# product, category, list price, cost ratio, weight (consumer, small business, corporate),
# deal weight (small business, corporate)
PRODUCTS = (
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
COMPETITORS = ("Corvex", "Brightline", "Norden Supply")
COMPETITOR_LEVEL = (0.99, 1.05, 0.98)  # usual price relative to our list price

LOST_REASONS = ("price", "competitor", "no budget", "timing", "no decision", "product fit")
LOST_REASON_P = np.array([0.26, 0.22, 0.16, 0.14, 0.14, 0.08])
#: month-of-year demand multipliers (Q4 peak).
SEASON = np.array([0.86, 0.84, 0.95, 0.95, 0.97, 1.0, 0.92, 0.92, 1.02, 1.06, 1.22, 1.31])
