"""What CRM and ERP exports call things: the header names of each contract column, file
names of each table, stage names in their usual order, and the words for won and lost.

Data for the mapping assistant (:mod:`salesnb.load.assistant`), written from the
default column and stage names of the big CRMs' exports: Salesforce (opportunity
report), HubSpot (deals export), Pipedrive (deals export, every header prefixed
``Deal - ``), Zoho CRM (deals), a generic B2B deals export, and ERP order lines.
Headers and values are compared by :func:`header_key` (case, spacing, punctuation and
camelCase ignored), so ``"Close Date"``, ``"close_date"`` and ``"CloseDate"`` are one
name.

>>> header_key("Probability (%)"), header_key("CustomerID"), header_key("close_date")
('probability', 'customer id', 'close date')
>>> split_prefix("Deal - Expected close date")
('deal', 'expected close date')
>>> outcome_of("Closed Won"), outcome_of("closedlost"), outcome_of("Prospecting")
('won', 'lost', None)
"""

from __future__ import annotations

import re

__all__ = [
    "HEADERS",
    "ROLES",
    "FILE_HINTS",
    "ENTITY_PREFIXES",
    "ATTRIBUTES",
    "STAGE_RANKS",
    "ENUM_WORDS",
    "EXPORT_SIGNATURES",
    "header_key",
    "split_prefix",
    "outcome_of",
    "is_percent",
    "PERCENT_SHARE",
]


def header_key(name: object) -> str:
    """A header or value as compared: camelCase split, lower case, words of letters/digits.

    Text in parentheses is dropped (``"Probability (%)"`` -> ``probability``).
    """
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name).strip())
    s = re.sub(r"\([^)]*\)", " ", s.lower())
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s).split())


_PREFIX = re.compile(
    r"^\s*(deal|organi[sz]ation|person|product|activity|lead|opportunity|account)\s+-\s+(.+)$",
    re.IGNORECASE,
)


def split_prefix(header: object) -> tuple[str | None, str]:
    """A header's entity prefix (Pipedrive's ``"Deal - "``) and the key of the rest."""
    m = _PREFIX.match(str(header))
    if not m:
        return None, header_key(header)
    return header_key(m.group(1)).replace("organisation", "organization"), header_key(m.group(2))


_WON = {"won", "closed won", "closedwon", "deal won", "win", "closed win", "won deal"}
_LOST = {"lost", "closed lost", "closedlost", "deal lost", "lose", "loss", "lost deal"}


def outcome_of(value: object) -> str | None:
    """``"won"`` / ``"lost"`` when a stage or status value says so, ``"open"`` for open words.

    ``"Closed Won"``, ``"Won"``, ``"closedwon"`` are won; ``"Closed Lost"``, ``"Lost"``,
    ``"Closed-Lost to Competition"`` are lost; ``"Open"``, ``"In progress"`` are open;
    anything else (a stage name) is None.
    """
    key = header_key(value)
    squashed = key.replace(" ", "")
    if key in _WON or squashed.startswith("closedwon"):
        return "won"
    if key in _LOST or squashed.startswith("closedlost"):
        return "lost"
    if key in {"open", "in progress", "active", "ongoing", "pending"}:
        return "open"
    return None


#: Header names of each contract column, best first, as :func:`header_key` gives them.
#: Names starting with ``_`` are roles the assistant uses without a contract column of
#: their own: win/loss times (a closing date from either), the deal's win probability
#: (to order stages), its pipeline and currency (notes).
# fmt: off
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "opportunities": {
        "opportunity_id": (
            "opportunity id", "deal id", "record id", "id", "opp id", "deal number",
            "opportunity number", "deal record id",
        ),
        "customer_id": (
            "account name", "account", "account id", "associated company", "organization",
            "organization name", "company", "company name", "customer", "customer id",
            "customer name", "client", "associated company ids", "associated company id",
        ),
        "rep_id": (
            "opportunity owner", "deal owner", "owner", "sales agent", "sales rep",
            "salesperson", "sales person", "owner name", "rep", "rep id", "assigned to",
            "account executive", "user",
        ),
        "product": ("product", "product name", "primary product", "products"),
        "created_at": (
            "created date", "create date", "created time", "deal created", "created",
            "created on", "date created", "creation date", "engage date", "created at",
            "add time", "opened", "open date", "deal creation date",
        ),
        "stage": (
            "stage", "deal stage", "sales stage", "opportunity stage", "pipeline stage",
            "stage name", "phase", "dealstage",
        ),
        "status": ("status", "deal status", "outcome", "opportunity status", "won lost", "result"),
        "amount": (
            "amount", "value", "deal value", "close value", "deal amount", "opportunity amount",
            "total amount", "amount in company currency", "total contract value",
        ),
        "expected_close_date": (
            "expected close date", "expected closing date", "expected close",
            "forecast close date", "target close date", "estimated close date",
        ),
        "closed_at": (
            "close date", "closing date", "closed date", "date closed", "closed at",
            "close time", "deal closed on", "closed on", "actual close date",
        ),
        "stage_changed_at": (
            "last stage change", "last stage change date", "stage change time",
            "last stage change time", "stage changed at", "stage changed",
            "date entered current stage",
        ),
        "last_activity_at": (
            "last activity date", "last activity", "last activity time", "last activity at",
            "last activity date time", "last contacted",
        ),
        "lost_reason": (
            "lost reason", "loss reason", "reason for loss", "closed lost reason", "reason lost",
        ),
        "_won_at": ("won time", "won date", "date won", "won on"),
        "_lost_at": ("lost time", "lost date", "date lost", "lost on"),
        "_probability": ("probability", "win probability", "deal probability"),
        "_pipeline": ("pipeline", "deal pipeline", "sales pipeline"),
        "_currency": ("currency", "deal currency", "currency code", "opportunity currency"),
    },
    "orders": {
        "order_id": (
            "order id", "order number", "order no", "invoice id", "invoice number", "invoice no",
            "sales order", "sales order number", "order", "transaction id", "so number",
        ),
        "line_id": ("row id", "line id", "line number", "line no", "order line", "line item id"),
        "customer_id": (
            "customer id", "customer", "customer number", "client id", "account id",
            "customer name", "account", "client", "sold to",
        ),
        "order_date": (
            "order date", "invoice date", "date", "transaction date", "sale date",
            "purchase date", "order datetime", "ordered at", "order placed",
        ),
        "region": ("region", "sales region", "territory"),
        "channel": ("channel", "sales channel", "order channel"),
        "rep_id": (
            "sales rep", "salesperson", "sales person", "rep", "rep id", "seller",
            "sales agent", "sales rep id", "employee id",
        ),
        "product": (
            "product id", "product", "product name", "sku", "item", "stock code", "product code",
        ),
        "quantity": ("quantity", "qty", "units", "quantity ordered", "units sold"),
        "amount": (
            "sales", "amount", "revenue", "total", "net amount", "line total", "total price",
            "net sales", "order total", "sales amount", "total amount", "value", "subtotal",
        ),
        "profit": ("profit", "gross profit", "margin", "gross margin"),
        "status": ("status", "order status", "state", "fulfillment status"),
        "fulfilled_at": (
            "ship date", "shipped date", "shipping date", "delivery date", "fulfilled at",
            "fulfillment date", "fulfilment date", "delivered date", "shipped at",
        ),
        "due_date": ("due date", "payment due date", "invoice due date"),
        "paid_at": ("paid date", "payment date", "paid at", "paid on", "date paid"),
    },
    "customers": {
        "customer_id": (
            "customer id", "account id", "account", "account name", "company id", "company",
            "organization", "customer", "client id", "record id", "id",
        ),
        "name": (
            "customer name", "account name", "company name", "organization name", "name",
            "client name",
        ),
        "segment": ("segment", "customer segment", "sector", "industry", "customer type"),
        "region": ("region", "territory", "billing region", "sales region"),
        "country": ("country", "billing country", "country region", "office location"),
        "city": ("city", "billing city"),
        "acquired_at": (
            "customer since", "acquired at", "became a customer date", "first order date",
            "created date", "create date", "created time",
        ),
        "source": ("lead source", "source", "original source", "acquisition source"),
    },
    "reps": {
        "rep_id": (
            "rep id", "sales agent", "user id", "employee id", "owner", "salesperson",
            "sales rep", "rep", "agent", "user", "owner id",
        ),
        "name": ("name", "full name", "rep name", "user name", "employee name", "agent name"),
        "team": ("team", "sales team", "group", "team name"),
        "region": ("region", "regional office", "office", "territory"),
        "manager": ("manager", "reports to", "manager name", "supervisor"),
        "hire_date": ("hire date", "start date", "hired", "date hired", "joined"),
    },
    "products": {
        "product": (
            "product", "product name", "product id", "sku", "item", "product code", "name",
        ),
        "category": (
            "category", "product category", "series", "product family", "family",
            "product line",
        ),
        "list_price": ("list price", "sales price", "price", "unit price", "msrp"),
        "unit_cost": ("unit cost", "cost", "cost price", "standard cost"),
    },
    "leads": {
        "lead_id": ("lead id", "record id", "prospect id", "lead number", "id", "contact id"),
        "created_at": (
            "create date", "created date", "created time", "lead created", "created",
            "date created", "created at",
        ),
        "source": ("lead source", "source", "original source", "lead origin"),
        "region": ("region", "territory"),
        "rep_id": ("lead owner", "contact owner", "owner", "sales rep"),
        "converted_at": (
            "converted date", "conversion date", "converted at", "became a customer date",
            "date converted",
        ),
        "converted": ("converted", "is converted", "lead converted"),
        "customer_id": ("converted account", "converted account id", "customer id"),
    },
    "opportunity_history": {
        "opportunity_id": ("opportunity id", "deal id", "opportunity", "deal", "record id"),
        "changed_at": (
            "created date", "changed at", "change date", "edit date", "modified time",
            "last modified", "last modified date", "update time", "timestamp",
        ),
        "stage": ("stage name", "stage", "deal stage", "to stage", "moved to"),
        "status": ("status", "deal status"),
        "amount": ("amount", "value", "deal value"),
        "expected_close_date": ("close date", "closing date", "expected close date"),
        "probability": ("probability", "win probability", "deal probability"),
    },
    "activities": {
        "activity_id": ("activity id", "task id", "event id", "record id", "id"),
        "rep_id": (
            "assigned to", "activity owner", "owner", "user", "rep", "sales rep", "assigned user",
        ),
        "customer_id": ("account", "account name", "organization", "company", "customer"),
        "opportunity_id": ("deal id", "opportunity id", "deal", "opportunity", "related to"),
        "type": ("type", "activity type", "task type", "subtype"),
        "scheduled_at": (
            "due date", "scheduled at", "scheduled", "activity date", "start time", "start",
            "due time", "date",
        ),
        "completed_at": (
            "done time", "marked as done time", "completed at", "completed date", "completed",
            "completion date",
        ),
    },
    "targets": {
        "period": ("period", "quarter", "month", "fiscal period"),
        "level": ("level",),
        "key": ("key", "region", "rep id", "owner"),
        "revenue_target": ("revenue target", "target", "quota", "quota amount", "target amount"),
    },
    "satisfaction": {
        "rep_id": ("rep id", "employee id", "user", "rep"),
        "survey_date": ("survey date", "date", "response date"),
        "score": ("score", "rating", "enps score", "satisfaction"),
    },
    "engagement": {
        "customer_id": ("customer id", "contact id", "customer"),
        "event_at": ("event at", "event time", "timestamp", "date"),
        "channel": ("channel",),
        "event": ("event", "event type", "action"),
        "duration_s": ("duration s", "duration", "seconds", "time on page"),
    },
    "competitor_prices": {
        "observed_date": ("observed date", "date", "observation date"),
        "product": ("product", "product name", "sku"),
        "competitor": ("competitor", "competitor name", "vendor"),
        "price": ("price", "competitor price"),
    },
    "marketing_spend": {
        "period": ("period", "quarter", "month"),
        "source": ("source", "lead source", "channel", "campaign type"),
        "amount": ("amount", "spend", "cost", "budget"),
    },
}
# fmt: on

#: Assistant-only roles (see :data:`HEADERS`): not written as contract columns.
ROLES = ("_won_at", "_lost_at", "_probability", "_pipeline", "_currency")

#: Words in a file, sheet or database-table name that point at a table.
FILE_HINTS: dict[str, tuple[str, ...]] = {
    "opportunities": ("opportunit", "deal", "pipeline", "opps"),
    "orders": ("order", "invoice", "sales", "transaction", "superstore"),
    "customers": ("customer", "account", "compan", "organi", "client"),
    "reps": ("rep", "user", "owner", "agent", "team", "employee", "staff"),
    "products": ("product", "item", "catalog", "price list"),
    "leads": ("lead", "contact", "prospect"),
    "activities": ("activit", "task", "call", "meeting"),
    "opportunity_history": ("history", "dealflow", "dealupdates"),
    "targets": ("target", "quota"),
    "satisfaction": ("satisfaction", "survey", "enps"),
    "engagement": ("engagement", "web event", "email event"),
    "competitor_prices": ("competitor",),
    "marketing_spend": ("marketing", "spend", "campaign"),
}

#: Header prefixes (Pipedrive's ``Deal - Title``) that name a table.
ENTITY_PREFIXES: dict[str, str] = {
    "deal": "opportunities",
    "opportunity": "opportunities",
    "organization": "customers",
    "account": "customers",
    "person": "leads",
    "lead": "leads",
    "product": "products",
    "activity": "activities",
}

#: Columns that make a table worth deriving from another table's file (one row per key,
#: mapping ``distinct``): customers from order lines that carry the customer's name.
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "customers": ("name", "segment", "country", "city"),
    "products": ("category", "list_price", "unit_cost"),
}

#: Usual order of stage names (lower ranks come first; roughly the CRMs' default win
#: probability in percent): Salesforce, HubSpot, Pipedrive and Zoho default pipelines,
#: the contract's own stages and common B2B names.
STAGE_RANKS: dict[str, float] = {
    "lead": 2, "new": 3, "lead in": 4, "prospecting": 10, "prospect": 10,
    "qualification": 12, "qualifying": 12, "qualified": 15, "appointment scheduled": 20,
    "contact made": 22, "needs analysis": 25, "discovery": 28, "engaging": 30,
    "needs defined": 32, "demo scheduled": 35, "qualified to buy": 40, "value proposition": 45,
    "proposal made": 55, "presentation scheduled": 60, "id decision makers": 62,
    "identify decision makers": 62, "perception analysis": 70, "proposal": 72,
    "proposal price quote": 75, "quote": 76, "decision maker bought in": 80,
    "negotiations started": 85, "negotiation": 86, "negotiation review": 90,
    "contract sent": 92, "contract": 93, "commit": 95, "closing": 96,
}  # fmt: skip

#: Source values (by :func:`header_key`) of contract enumerations that mean a contract
#: value; values found in a column that are neither contract values nor listed here
#: are left for the user to map.
ENUM_WORDS: dict[tuple[str, str], dict[str, str]] = {
    ("orders", "status"): {
        "placed": "placed", "new": "placed", "pending": "placed", "processing": "placed",
        "open": "placed", "fulfilled": "fulfilled", "shipped": "fulfilled",
        "delivered": "fulfilled", "complete": "fulfilled", "completed": "fulfilled",
        "closed": "fulfilled", "invoiced": "fulfilled", "backordered": "backordered",
        "backorder": "backordered", "back order": "backordered", "on hold": "backordered",
        "cancelled": "cancelled", "canceled": "cancelled", "void": "cancelled",
        "returned": "cancelled",
    },
    ("orders", "channel"): {
        "store": "store", "in store": "store", "retail": "store", "shop": "store",
        "offline": "store", "online": "online", "web": "online", "e commerce": "online",
        "ecommerce": "online", "internet": "online", "website": "online",
    },
    ("activities", "type"): {
        "call": "call", "phone call": "call", "phone": "call", "email": "email",
        "e mail": "email", "meeting": "meeting", "visit": "visit", "site visit": "visit",
    },
    ("targets", "level"): {
        "company": "company", "total": "company", "region": "region", "rep": "rep",
        "user": "rep", "owner": "rep",
    },
}  # fmt: skip

#: Headers that together identify a vendor's export (named in the mapping's comments).
EXPORT_SIGNATURES: dict[str, tuple[str, ...]] = {
    "a Salesforce opportunity report": (
        "opportunity name", "opportunity id", "opportunity owner", "account name", "stage",
        "fiscal period", "probability",
    ),
    "a HubSpot deals export": (
        "record id", "deal name", "deal stage", "create date", "deal owner", "pipeline",
        "associated company",
    ),
    "a Pipedrive deals export": ("deal id", "deal title", "deal value", "deal stage",
                                 "deal status", "deal owner", "deal deal created"),
    "a Zoho CRM deals export": (
        "record id", "deal name", "deal owner", "closing date", "created time", "account name",
    ),
    "a B2B deals export": ("opportunity id", "sales agent", "deal stage", "engage date",
                           "close value"),
    "an ERP order-lines export": ("order id", "order date", "customer id", "sales", "quantity",
                                  "ship date", "row id"),
}  # fmt: skip


#: A percent probability (``40`` or ``40%``) as a share, as a mapping expression; text
#: that is no number stays as it is, so that the load rejects its row with the reason.
#: ``{c}`` is the quoted source column.
PERCENT_SHARE = (
    "coalesce(CAST(TRY_CAST(replace(trim({c}), '%', '') AS DOUBLE) / 100 AS VARCHAR), {c})"
)


def is_percent(value: object) -> bool:
    """Whether a probability value is written as a percent: ``40%``, or a number above 1.

    >>> is_percent("40%"), is_percent("40"), is_percent("0.4"), is_percent("high")
    (True, True, False, False)
    """
    text = str(value).strip()
    if text.endswith("%"):
        return True
    try:
        return float(text) > 1
    except ValueError:
        return False
