"""Which sections of the report pack a data set enables, and what would enable the others.

:data:`REPORT_SECTIONS` lists every guarded section of the report notebooks with the
tables and columns its ``sections.requires(...)`` guard asks for, in one place (the
pseudo-table ``"revenue"`` is the revenue lines: orders, or won deals without orders);
``tests/test_check.py`` parses the notebooks and fails when a guard and
this list disagree. :func:`section_availability` applies the same rule as the guards
(:func:`salesnb.sections.guards.missing_requirements`) to loaded data, so ``salesnb
check`` can say before rendering which sections a pack will show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pandas as pd

from salesnb.schema import required_columns
from salesnb.sections.guards import REVENUE, missing_requirements

__all__ = ["SectionNeeds", "REPORT_SECTIONS", "section_availability", "enabling_text"]


@dataclasses.dataclass(frozen=True)
class SectionNeeds:
    """One guarded report section and what its guard requires.

    Attributes
    ----------
    notebook : str
        The notebook's file stem (``01_leads_conversion``).
    title : str
        The section name its guard shows (``what=``).
    tables : tuple of str
        Tables that must be present and non-empty.
    columns : mapping of str to tuple of str
        Columns that must be present and not all empty, per table.
    """

    notebook: str
    title: str
    tables: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


def _s(notebook: str, title: str, *tables: str, **columns: tuple[str, ...]) -> SectionNeeds:
    return SectionNeeds(notebook, title, tables, columns)


_EXEC = "00_executive_summary"
_LEADS = "01_leads_conversion"
_REV = "02_revenue_forecast"
_CUST = "03_customers_clv"
_TEAM = "04_team_performance"
_ORD = "05_orders_collections_market"
_DYN = "06_pipeline_dynamics"

#: Every guarded section of the report notebooks, in notebook order.
REPORT_SECTIONS: tuple[SectionNeeds, ...] = (
    _s(_EXEC, "Revenue in the quarter", "revenue"),
    _s(_EXEC, "Revenue against target", "revenue", "targets"),
    _s(_EXEC, "Pipeline and growth", "revenue"),
    _s(_EXEC, "Leaderboard", "revenue", revenue=("rep_id",)),
    _s(_LEADS, "New leads", "leads", leads=("created_at",)),
    _s(_LEADS, "Lead conversion", "leads"),
    _s(_LEADS, "Stage funnel", "opportunities"),
    _s(_LEADS, "Win rate", "opportunities", opportunities=("closed_at",)),
    _s(_LEADS, "Sales cycle", "opportunities", opportunities=("closed_at",)),
    _s(_LEADS, "Stale and slipped deals", "opportunities"),
    _s(_LEADS, "Conversion scoring", "leads"),
    _s(_REV, "Revenue by quarter", "revenue"),
    _s(_REV, "Revenue by region", "revenue", revenue=("region",)),
    _s(_REV, "Revenue by channel", "orders", orders=("channel",)),
    _s(_REV, "New versus recurring revenue", "revenue", revenue=("customer_id",)),
    _s(_REV, "Actual versus target", "revenue", "targets"),
    _s(_REV, "Next-quarter forecast", "revenue"),
    _s(_REV, "Forecast by region", "revenue", revenue=("region",)),
    _s(_REV, "Forecast by channel", "revenue", revenue=("channel",)),
    _s(
        _REV,
        "Pipeline-weighted forecast",
        "opportunities",
        opportunities=("expected_close_date",),
    ),
    _s(_CUST, "RFM segments", "revenue", revenue=("customer_id",)),
    _s(_CUST, "Cohort retention", "revenue", revenue=("customer_id",)),
    _s(_CUST, "Engagement after purchase", "engagement", "revenue", revenue=("customer_id",)),
    _s(_CUST, "Customer lifetime value", "revenue", revenue=("customer_id",)),
    _s(_TEAM, "Quota attainment", "revenue", "targets", revenue=("rep_id",)),
    _s(_TEAM, "Leaderboard", "revenue", revenue=("rep_id",)),
    _s(_TEAM, "Rep effectiveness", "revenue", revenue=("rep_id",)),
    _s(_TEAM, "Activities", "activities"),
    _s(_TEAM, "Employee satisfaction", "satisfaction"),
    _s(_ORD, "Order status", "orders", orders=("status",)),
    _s(_ORD, "Paid and unpaid invoices", "orders", orders=("due_date", "paid_at")),
    _s(_ORD, "Receivables ageing and DSO", "orders", orders=("due_date", "paid_at")),
    _s(
        _ORD,
        "Competitor price index",
        "products",
        "competitor_prices",
        products=("list_price",),
    ),
    _s(_DYN, "Pipeline change", "opportunity_history"),
    _s(_DYN, "Deals pushed out", "opportunity_history"),
    _s(_DYN, "Pipeline at the quarter's end", "opportunity_history", "opportunities"),
    _s(_DYN, "Stage conversion and time in stage", "opportunity_history"),
    _s(_DYN, "Revenue bridge", "revenue", revenue=("customer_id",)),
    _s(
        _DYN,
        "Quota planner",
        "opportunities",
        opportunities=("closed_at", "expected_close_date"),
    ),
)


def enabling_text(missing: list[str]) -> str:
    """What would enable a section, from its missing tables and ``table.column`` names.

    >>> enabling_text(["targets", "orders.rep_id"])
    'table targets with period, level, key, revenue_target; column orders.rep_id'
    >>> enabling_text(["revenue"])  # doctest: +ELLIPSIS
    'table orders with order_id, ... (or table opportunities with won deals)'
    """
    parts = []
    for item in missing:
        if "." in item:
            parts.append(f"column {item}")
        elif item == REVENUE:
            parts.append(
                f"table orders with {', '.join(required_columns('orders'))} "
                "(or table opportunities with won deals)"
            )
        else:
            parts.append(f"table {item} with {', '.join(required_columns(item))}")
    return "; ".join(parts)


def section_availability(data) -> pd.DataFrame:
    """Which report sections ``data`` enables, by the notebooks' own guards.

    Parameters
    ----------
    data : SalesData
        Loaded data (anything with a ``tables`` dict).

    Returns
    -------
    pandas.DataFrame
        One row per :data:`REPORT_SECTIONS` entry: ``notebook, section, available,
        missing`` (tables and ``table.column`` names the guard misses) and ``enable``
        (what would enable it: a table with its required columns, or a column).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> only_orders = SimpleNamespace(tables={"orders": pd.DataFrame({"rep_id": ["R1"]})})
    >>> table = section_availability(only_orders)
    >>> table.loc[table["section"] == "Leaderboard", "available"].tolist()
    [True, True]
    >>> table.loc[table["section"] == "Revenue against target", "enable"].item()
    'table targets with period, level, key, revenue_target'
    """
    rows = []
    for need in REPORT_SECTIONS:
        missing = missing_requirements(data, need.tables, columns=need.columns)
        rows.append(
            {
                "notebook": need.notebook,
                "section": need.title,
                "available": not missing,
                "missing": missing,
                "enable": enabling_text(missing),
            }
        )
    return pd.DataFrame(rows, columns=["notebook", "section", "available", "missing", "enable"])
