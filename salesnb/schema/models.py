"""The column models of the contract tables: one pandera model per table.

Each column is a pandera ``Field`` with the loader's metadata (``kind``,
``unit``, ``event``, ``references``; see :mod:`salesnb.schema`, which adds the
table-level rules and is the module to import from).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

__all__ = [
    "STAGES",
    "OPPORTUNITY_STATUSES",
    "ORDER_STATUSES",
    "CHANNELS",
    "ACTIVITY_TYPES",
    "ENGAGEMENT_CHANNELS",
    "ENGAGEMENT_EVENTS",
    "TARGET_LEVELS",
    "PLACEHOLDER_DATES",
    "Reps",
    "Customers",
    "Leads",
    "Opportunities",
    "OpportunityHistory",
    "Orders",
    "Targets",
    "Activities",
    "Satisfaction",
    "Engagement",
    "Products",
    "CompetitorPrices",
    "MarketingSpend",
]

#: Ordered opportunity stages. ``opportunities.stage`` is the furthest stage a
#: deal reached; a won deal has reached the last stage.
STAGES: tuple[str, ...] = ("qualification", "discovery", "proposal", "negotiation")
OPPORTUNITY_STATUSES: tuple[str, ...] = ("open", "won", "lost")
ORDER_STATUSES: tuple[str, ...] = ("placed", "fulfilled", "backordered", "cancelled")
CHANNELS: tuple[str, ...] = ("store", "online")
ACTIVITY_TYPES: tuple[str, ...] = ("call", "email", "meeting", "visit")
ENGAGEMENT_CHANNELS: tuple[str, ...] = ("email", "web", "social")
ENGAGEMENT_EVENTS: tuple[str, ...] = ("send", "open", "click", "visit", "share", "like")
TARGET_LEVELS: tuple[str, ...] = ("company", "region", "rep")

#: Dates that systems write when they have no date: the minimum of .NET / Go /
#: many databases (0001-01-01), SQL Server's ``datetime`` minimum (1753-01-01),
#: the spreadsheet day zero (1899-12-30 as OLE Automation / Excel serial 0,
#: 1899-12-31 as Excel shows it, 1900-01-01 as serial 1 and a common "unknown"),
#: and "open-ended" far-future stand-ins (2099-12-31, 2999-12-31, 9999-01-01,
#: 9999-12-31). A date or timestamp column holding one of them (at any time of
#: that day) never loads it as a date: in a column that must not be empty the
#: row is rejected ("placeholder date 1900-01-01 in column created_at"); in an
#: optional column the value is read as empty and ``SalesData.notes`` says how
#: many. 1970-01-01 (the Unix epoch) is *not* on the list: it is a real date in
#: some data and is loaded as it is.
PLACEHOLDER_DATES: tuple[str, ...] = (
    "0001-01-01",
    "1753-01-01",
    "1899-12-30",
    "1899-12-31",
    "1900-01-01",
    "2099-12-31",
    "2999-12-31",
    "9999-01-01",
    "9999-12-31",
)


def _f(
    description: str,
    kind: str,
    *,
    required: bool = True,
    unit: str | None = None,
    event: bool = False,
    references: str | None = None,
    nullable: bool = True,
    **checks,
) -> pa.Field:
    """A contract column: pandera Field plus the loader metadata."""
    meta = {"kind": kind, "unit": unit, "event": event, "references": references}
    return pa.Field(
        description=description,
        nullable=nullable,
        required=required,
        metadata=meta,
        **checks,
    )


class Reps(pa.DataFrameModel):
    """Sales representatives."""

    rep_id: Series[str] = _f("Unique rep identifier.", "id", nullable=False)
    name: Series[str] = _f("Display name.", "text", required=False)
    team: Series[str] = _f("Sales team the rep belongs to.", "category", required=False)
    region: Series[str] = _f("Home region of the rep.", "category", required=False)
    manager: Series[str] = _f("Name or id of the rep's manager.", "text", required=False)
    hire_date: Series[pd.Timestamp] = _f(
        "Date the rep started.", "date", required=False, event=True
    )

    class Config:
        strict = False
        name = "reps"


class Customers(pa.DataFrameModel):
    """Customer accounts."""

    customer_id: Series[str] = _f("Unique customer identifier.", "id", nullable=False)
    name: Series[str] = _f("Customer (account) name.", "text", required=False)
    segment: Series[str] = _f(
        "Segment, e.g. consumer / corporate / small business.", "category", required=False
    )
    region: Series[str] = _f("Sales region of the customer.", "category", required=False)
    country: Series[str] = _f("Country.", "category", required=False)
    city: Series[str] = _f("City.", "text", required=False)
    acquired_at: Series[pd.Timestamp] = _f(
        "When the customer became a customer.", "timestamp", required=False, event=True
    )
    source: Series[str] = _f(
        "Acquisition source (lead source of the first deal).", "category", required=False
    )

    class Config:
        strict = False
        name = "customers"


class Leads(pa.DataFrameModel):
    """Leads (prospects). Extra columns are kept as scoring features."""

    lead_id: Series[str] = _f("Unique lead identifier.", "id", nullable=False)
    created_at: Series[pd.Timestamp] = _f(
        "When the lead was created; decides the lead's period. Optional only for "
        "exports without dates (period KPIs then need it).",
        "timestamp",
        required=False,
        event=True,
    )
    source: Series[str] = _f("Lead source (web, referral, event, ...).", "category", required=False)
    region: Series[str] = _f("Region of the lead.", "category", required=False)
    rep_id: Series[str] = _f("Owner rep.", "id", required=False, references="reps.rep_id")
    converted_at: Series[pd.Timestamp] = _f(
        "When the lead converted; empty if not (yet).", "timestamp", required=False, event=True
    )
    converted: Series[bool] = _f(
        "Whether the lead converted. Derived from converted_at when absent.", "flag", required=False
    )
    customer_id: Series[str] = _f(
        "Customer the lead became, if any.",
        "id",
        required=False,
        references="customers.customer_id",
    )

    class Config:
        strict = False
        name = "leads"


class Opportunities(pa.DataFrameModel):
    """Deals in the pipeline, one row per opportunity, current state."""

    opportunity_id: Series[str] = _f("Unique opportunity identifier.", "id", nullable=False)
    customer_id: Series[str] = _f(
        "Customer.", "id", required=False, references="customers.customer_id"
    )
    rep_id: Series[str] = _f("Owner rep.", "id", required=False, references="reps.rep_id")
    product: Series[str] = _f("Main product of the deal.", "category", required=False)
    region: Series[str] = _f(
        "Sales region of the deal; where empty, revenue by region uses the rep's region, "
        "else the customer's.",
        "category",
        required=False,
    )
    created_at: Series[pd.Timestamp] = _f(
        "When the opportunity was opened; may be empty for an open deal (left out of "
        "cycle and age figures).",
        "timestamp",
        event=True,
    )
    stage: Series[str] = _f(
        "Furthest stage reached: one of the pipeline's stages (a mapping's [pipeline], "
        "else " + ", ".join(STAGES) + "); may be empty for a won or lost deal.",
        "category",
        isin=list(STAGES),
    )
    status: Series[str] = _f(
        "open, won or lost; read from the stage column through the pipeline's won/lost "
        "values when not mapped on its own.",
        "category",
        nullable=False,
        isin=list(OPPORTUNITY_STATUSES),
    )
    amount: Series[float] = _f(
        "Deal value; may be empty for an open deal (left out of value sums).",
        "number",
        unit="currency",
        ge=0,
    )
    expected_close_date: Series[pd.Timestamp] = _f(
        "Expected close date (a plan).", "date", required=False
    )
    closed_at: Series[pd.Timestamp] = _f(
        "When the deal was won or lost; empty while open.", "timestamp", required=False, event=True
    )
    stage_changed_at: Series[pd.Timestamp] = _f(
        "When the deal entered its current stage.", "timestamp", required=False, event=True
    )
    last_activity_at: Series[pd.Timestamp] = _f(
        "Last logged activity on the deal.", "timestamp", required=False, event=True
    )
    lost_reason: Series[str] = _f("Reason given for a lost deal.", "text", required=False)

    class Config:
        strict = False
        name = "opportunities"


class OpportunityHistory(pa.DataFrameModel):
    """Changes of deals, one row per change: the deal's state right after it.

    A deal's rows in ``changed_at`` order tell its story: its first row is its
    creation (first stage, amount and expected close date), later rows a stage
    advance, a new amount, a moved expected close date, and the close (status
    won or lost). A row holds the deal's whole state after the change, not only
    the changed field; its last row is the deal's current state.
    """

    opportunity_id: Series[str] = _f(
        "The deal that changed.",
        "id",
        nullable=False,
        references="opportunities.opportunity_id",
    )
    changed_at: Series[pd.Timestamp] = _f(
        "When the change was made.", "timestamp", nullable=False, event=True
    )
    stage: Series[str] = _f(
        "Stage after the change: one of the pipeline's stages (as for opportunities); "
        "may be empty once the deal is won or lost.",
        "category",
        required=False,
        isin=list(STAGES),
    )
    status: Series[str] = _f(
        "open, won or lost after the change; read from the stage column through the "
        "pipeline's won/lost values when not mapped on its own.",
        "category",
        nullable=False,
        isin=list(OPPORTUNITY_STATUSES),
    )
    amount: Series[float] = _f(
        "Deal value after the change; may be empty (value unknown then).",
        "number",
        unit="currency",
        required=False,
        ge=0,
    )
    expected_close_date: Series[pd.Timestamp] = _f(
        "Expected close date after the change (a plan).", "date", required=False
    )
    probability: Series[float] = _f(
        "Win probability after the change, 0-1 (a mapping turns 40 or 40% into 0.4).",
        "number",
        unit="share",
        required=False,
        ge=0,
        le=1,
    )

    class Config:
        strict = False
        name = "opportunity_history"


class Orders(pa.DataFrameModel):
    """Orders or order lines (then ``line_id`` distinguishes lines of one order)."""

    order_id: Series[str] = _f("Order identifier.", "id", nullable=False)
    line_id: Series[str] = _f(
        "Line identifier when the table holds order lines.", "id", required=False
    )
    customer_id: Series[str] = _f(
        "Customer.", "id", nullable=False, references="customers.customer_id"
    )
    order_date: Series[pd.Timestamp] = _f(
        "Order date; decides the order's period.", "date", nullable=False, event=True
    )
    region: Series[str] = _f("Sales region.", "category", required=False)
    channel: Series[str] = _f("store or online.", "category", required=False, isin=list(CHANNELS))
    rep_id: Series[str] = _f(
        "Rep credited with the order.", "id", required=False, references="reps.rep_id"
    )
    product: Series[str] = _f("Product sold.", "category", required=False)
    quantity: Series[float] = _f("Units.", "number", unit="units", required=False, ge=0)
    amount: Series[float] = _f(
        "Net revenue of the order (line).", "number", unit="currency", nullable=False, ge=0
    )
    profit: Series[float] = _f(
        "Gross profit (may be negative).", "number", unit="currency", required=False
    )
    status: Series[str] = _f(
        "placed, fulfilled, backordered or cancelled.",
        "category",
        required=False,
        isin=list(ORDER_STATUSES),
    )
    fulfilled_at: Series[pd.Timestamp] = _f(
        "When the order was fulfilled (shipped).", "timestamp", required=False, event=True
    )
    due_date: Series[pd.Timestamp] = _f(
        "Invoice payment due date (a plan).", "date", required=False
    )
    paid_at: Series[pd.Timestamp] = _f(
        "When the invoice was paid; empty if unpaid.", "timestamp", required=False, event=True
    )

    class Config:
        strict = False
        name = "orders"


class Targets(pa.DataFrameModel):
    """Revenue targets; rep quotas are targets at level ``rep``."""

    period: Series[str] = _f(
        "Period label: '2025Q3', '2025-07' or '2025'.",
        "id",
        nullable=False,
        str_matches=r"^\d{4}(Q[1-4]|-\d{2}|H[12])?$",
    )
    level: Series[str] = _f(
        "company, region or rep.", "category", nullable=False, isin=list(TARGET_LEVELS)
    )
    key: Series[str] = _f("Region name or rep_id; 'all' at company level.", "id", nullable=False)
    revenue_target: Series[float] = _f(
        "Revenue target for the period.", "number", unit="currency", nullable=False, ge=0
    )

    class Config:
        strict = False
        name = "targets"


class Activities(pa.DataFrameModel):
    """Sales activities: calls, emails, meetings, visits (done or scheduled)."""

    activity_id: Series[str] = _f("Unique activity identifier.", "id", nullable=False)
    rep_id: Series[str] = _f(
        "Rep doing the activity.", "id", nullable=False, references="reps.rep_id"
    )
    customer_id: Series[str] = _f(
        "Customer concerned.", "id", required=False, references="customers.customer_id"
    )
    opportunity_id: Series[str] = _f(
        "Opportunity concerned.", "id", required=False, references="opportunities.opportunity_id"
    )
    type: Series[str] = _f(
        "call, email, meeting or visit.", "category", nullable=False, isin=list(ACTIVITY_TYPES)
    )
    scheduled_at: Series[pd.Timestamp] = _f(
        "When it is/was scheduled (a plan).", "timestamp", nullable=False
    )
    completed_at: Series[pd.Timestamp] = _f(
        "When it was done; empty if not (yet).", "timestamp", required=False, event=True
    )

    class Config:
        strict = False
        name = "activities"


class Satisfaction(pa.DataFrameModel):
    """Employee satisfaction survey answers (0-10, eNPS scale)."""

    rep_id: Series[str] = _f("Answering rep.", "id", nullable=False, references="reps.rep_id")
    survey_date: Series[pd.Timestamp] = _f("Survey date.", "date", nullable=False, event=True)
    score: Series[float] = _f(
        "Score 0-10 (10 = very satisfied).", "integer", unit="score", nullable=False, ge=0, le=10
    )

    class Config:
        strict = False
        name = "satisfaction"


class Engagement(pa.DataFrameModel):
    """Customer engagement events after purchase (marketing and web)."""

    customer_id: Series[str] = _f(
        "Customer.", "id", nullable=False, references="customers.customer_id"
    )
    event_at: Series[pd.Timestamp] = _f(
        "When the event happened.", "timestamp", nullable=False, event=True
    )
    channel: Series[str] = _f(
        "email, web or social.", "category", nullable=False, isin=list(ENGAGEMENT_CHANNELS)
    )
    event: Series[str] = _f(
        "send, open, click, visit, share or like.",
        "category",
        nullable=False,
        isin=list(ENGAGEMENT_EVENTS),
    )
    duration_s: Series[float] = _f(
        "Active time of a visit.", "number", unit="seconds", required=False, ge=0
    )

    class Config:
        strict = False
        name = "engagement"


class Products(pa.DataFrameModel):
    """Our product list."""

    product: Series[str] = _f("Product name or code.", "id", nullable=False)
    category: Series[str] = _f("Product category.", "category", required=False)
    list_price: Series[float] = _f(
        "Our list price per unit.", "number", unit="currency", required=False, ge=0
    )
    unit_cost: Series[float] = _f(
        "Our cost per unit.", "number", unit="currency", required=False, ge=0
    )

    class Config:
        strict = False
        name = "products"


class CompetitorPrices(pa.DataFrameModel):
    """Competitor price observations."""

    observed_date: Series[pd.Timestamp] = _f(
        "When the price was observed.", "date", nullable=False, event=True
    )
    product: Series[str] = _f(
        "Our product the competitor's offer compares with.",
        "id",
        nullable=False,
        references="products.product",
    )
    competitor: Series[str] = _f("Competitor name.", "category", nullable=False)
    price: Series[float] = _f(
        "Competitor price per unit.", "number", unit="currency", nullable=False, gt=0
    )

    class Config:
        strict = False
        name = "competitor_prices"


class MarketingSpend(pa.DataFrameModel):
    """Marketing spend per period and lead source."""

    period: Series[str] = _f(
        "Period label: '2025Q3', '2025-07' or '2025'.",
        "id",
        nullable=False,
        str_matches=r"^\d{4}(Q[1-4]|-\d{2}|H[12])?$",
    )
    source: Series[str] = _f("Lead source the money was spent on.", "category", nullable=False)
    amount: Series[float] = _f("Spend.", "number", unit="currency", nullable=False, ge=0)

    class Config:
        strict = False
        name = "marketing_spend"
