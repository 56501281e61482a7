"""The sample company's generator: :func:`generate` checks its arguments, then
runs the table generators on one :class:`~salesnb.synth.company.Company`.

The order of the calls in :func:`_build` is the order of draws from the one
random stream: changing it changes every table after the change (and the
committed sample). Each generator's own order of draws is fixed the same way.
The deals' history (:mod:`~salesnb.synth.history`) draws from a stream of its
own, ``default_rng([seed, 14])``, after every other table is built: the other
tables do not depend on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.synth.activity import activities_table, make_activities, satisfaction_table
from salesnb.synth.catalog import REGIONS
from salesnb.synth.company import Company, make_reps, products_table, reps_table, targets_table
from salesnb.synth.engagement import engagement_table
from salesnb.synth.history import history_table
from salesnb.synth.market import competitor_prices_table, marketing_spend_table
from salesnb.synth.orders import make_orders, orders_table, simulate_purchases
from salesnb.synth.pipeline import (
    customers_table,
    leads_table,
    make_leads_and_customers,
    make_opportunities,
    opportunities_table,
)
from salesnb.synth.write import sort_table

__all__ = ["generate"]


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
        tables. The deals' history draws from ``default_rng([seed, 14])``.
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
        ``opportunities``, ``opportunity_history``, ``orders``, ``targets``, ``activities``,
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
    >>> sorted(t) == sorted(["reps", "customers", "leads", "opportunities",
    ...     "opportunity_history", "orders", "targets", "activities", "satisfaction", "engagement", "products",
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
    co = Company(
        np.random.default_rng(seed), start_ts, end_ts, n_regions, n_reps, n_customers, legacy_share
    )
    return _build(co, np.random.default_rng([seed, 14]))


def _build(co: Company, history_rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Every contract table of ``co``, rows sorted by primary key; the deals' history
    from ``history_rng``."""
    make_reps(co)
    make_leads_and_customers(co)
    simulate_purchases(co)
    make_opportunities(co)
    make_orders(co)
    make_activities(co)
    tables = {
        "reps": reps_table(co),
        "customers": customers_table(co),
        "leads": leads_table(co),
        "opportunities": opportunities_table(co),
        "orders": orders_table(co),
        "targets": targets_table(co),
        "activities": activities_table(co),
        "satisfaction": satisfaction_table(co),
        "engagement": engagement_table(co),
        "products": products_table(co),
        "competitor_prices": competitor_prices_table(co),
        "marketing_spend": marketing_spend_table(co),
    }
    # its own random stream, after every other table: the others do not depend on it
    history = history_table(tables["opportunities"], history_rng, co.start, co.q_end - 1)
    names = list(tables)
    names.insert(names.index("opportunities") + 1, "opportunity_history")
    tables["opportunity_history"] = history
    return {name: sort_table(name, tables[name]) for name in names}
