"""The salesnb data contract: one pandera model per table.

Every table a report can use is declared here, once. Each column carries a
description, a unit where it has one, and whether it is required; the loader
(:mod:`salesnb.load`) reads these models to parse, validate and quarantine
rows, and ``docs/data-contract.md`` is generated from them
(:func:`contract_markdown`).

Column conventions: ``snake_case``; timestamps end in ``_at``, calendar dates
in ``_date``; money is ``amount`` / ``price`` in the data's single currency.

Besides pandera's own column checks, a column's ``metadata`` may hold:

``kind``
    ``"id"``, ``"text"``, ``"category"``, ``"timestamp"``, ``"date"``,
    ``"number"``, ``"integer"`` or ``"flag"``: how the loader parses raw text.
``unit``
    unit of a number (``currency``, ``days``, ``seconds``, ``score``...).
``event``
    True for dates that record something that already happened. Such a date
    after the data's ``as_of`` is rejected; plans (``expected_close_date``,
    ``due_date``, ``scheduled_at``) may lie in the future.
``references``
    ``"table.column"`` of a foreign key; rows whose key is missing from the
    parent table are rejected when the parent table is loaded.

Table-level rules (primary keys, date order, columns required only for some
rows) live in :data:`TABLES`.

Values of a column with an ``isin`` check (an enumeration such as
``orders.status``) are matched case-insensitively and trimmed, and stored in
the contract's spelling (``" FULFILLED"`` loads as ``fulfilled``).
``opportunities.stage`` follows the company's pipeline
(:mod:`salesnb.stages`) when a mapping declares one, else :data:`STAGES`.

Dates in :data:`PLACEHOLDER_DATES` stand for "no date" in many systems; they
never load as dates (see :data:`PLACEHOLDER_DATES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    "TABLES",
    "TableSpec",
    "RequiredUnless",
    "table_spec",
    "contract_markdown",
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


@dataclass(frozen=True)
class RequiredUnless:
    """A column that may be empty only on rows whose ``when`` column is in ``values``.

    Attributes
    ----------
    column : str
        The column that must not be empty on the other rows.
    when, values : str, tuple of str
        The deciding column and the values that allow ``column`` to be empty.
    note : str
        What ``SalesData.notes`` says about loaded rows with ``column`` empty;
        ``{n}`` is their count (``"{n:,} open deals have no amount"``).
    """

    column: str
    when: str
    values: tuple[str, ...]
    note: str = ""

    def text(self, *, code: str = "") -> str:
        """The rule in words, column names quoted with ``code``.

        >>> RequiredUnless("stage", "status", ("won", "lost")).text(code="`")
        '`stage` may be empty only when `status` is won or lost'
        """
        allowed = " or ".join(self.values)
        return (
            f"{code}{self.column}{code} may be empty only when {code}{self.when}{code} is {allowed}"
        )


@dataclass(frozen=True)
class TableSpec:
    """Table-level rules the column models cannot express."""

    name: str
    model: type[pa.DataFrameModel]
    primary_key: tuple[str, ...] = ()
    #: pairs (earlier, later): the later timestamp may not precede the earlier.
    date_order: tuple[tuple[str, str], ...] = ()
    #: columns whose values decide the data's date range (first is the main one).
    date_columns: tuple[str, ...] = ()
    description: str = ""
    extra: dict = field(default_factory=dict)
    #: columns that are required on some rows only (the pandera model lets them be
    #: empty; the loader checks the rule).
    required_unless: tuple[RequiredUnless, ...] = ()


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("reps", Reps, ("rep_id",), (), ("hire_date",), Reps.__doc__),
        TableSpec(
            "customers", Customers, ("customer_id",), (), ("acquired_at",), Customers.__doc__
        ),
        TableSpec(
            "leads",
            Leads,
            ("lead_id",),
            (("created_at", "converted_at"),),
            ("created_at",),
            Leads.__doc__,
        ),
        TableSpec(
            "opportunities",
            Opportunities,
            ("opportunity_id",),
            (("created_at", "closed_at"), ("created_at", "stage_changed_at")),
            ("created_at", "closed_at"),
            Opportunities.__doc__,
            required_unless=(
                RequiredUnless(
                    "amount",
                    "status",
                    ("open",),
                    "{n:,} open deals have no amount; pipeline value sums leave them out",
                ),
                RequiredUnless(
                    "created_at",
                    "status",
                    ("open",),
                    "{n:,} open deals have no created date; cycle and age figures leave them out",
                ),
                RequiredUnless(
                    "stage",
                    "status",
                    ("won", "lost"),
                    "{n:,} won or lost deals have no stage (furthest stage unknown)",
                ),
            ),
        ),
        TableSpec(
            "opportunity_history",
            OpportunityHistory,
            ("opportunity_id", "changed_at"),
            (),
            ("changed_at",),
            OpportunityHistory.__doc__,
            required_unless=(
                RequiredUnless(
                    "stage",
                    "status",
                    ("won", "lost"),
                    "{n:,} changes of won or lost deals have no stage",
                ),
            ),
        ),
        TableSpec(
            "orders",
            Orders,
            ("order_id", "line_id"),
            (("order_date", "fulfilled_at"),),
            ("order_date",),
            Orders.__doc__,
        ),
        TableSpec("targets", Targets, ("period", "level", "key"), (), (), Targets.__doc__),
        TableSpec(
            "activities", Activities, ("activity_id",), (), ("scheduled_at",), Activities.__doc__
        ),
        TableSpec("satisfaction", Satisfaction, (), (), ("survey_date",), Satisfaction.__doc__),
        TableSpec("engagement", Engagement, (), (), ("event_at",), Engagement.__doc__),
        TableSpec("products", Products, ("product",), (), (), Products.__doc__),
        TableSpec(
            "competitor_prices",
            CompetitorPrices,
            (),
            (),
            ("observed_date",),
            CompetitorPrices.__doc__,
        ),
        TableSpec(
            "marketing_spend", MarketingSpend, ("period", "source"), (), (), MarketingSpend.__doc__
        ),
    )
}


def table_spec(name: str) -> TableSpec:
    """Return the :class:`TableSpec` of table ``name``.

    Raises
    ------
    KeyError
        When ``name`` is not a contract table; the message lists the tables.
    """
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(
            f"unknown table {name!r}; the contract tables are: {', '.join(TABLES)}"
        ) from None


def columns(name: str) -> dict[str, pa.Column]:
    """Contract columns of table ``name`` as pandera ``Column`` objects, in order."""
    return dict(table_spec(name).model.to_schema().columns)


def required_columns(name: str) -> list[str]:
    """Columns a file for table ``name`` must contain.

    >>> required_columns("orders")
    ['order_id', 'customer_id', 'order_date', 'amount']
    """
    return [c for c, col in columns(name).items() if col.required]


def contract_markdown() -> str:
    """The data contract as Markdown (the body of ``docs/data-contract.md``)."""
    lines = [
        "# The salesnb data contract",
        "",
        "Generated from `salesnb/schema.py` by `python -m salesnb contract`; do not edit by hand.",
        "",
        "Every table is optional: a report section whose table is absent says which"
        " table would enable it. Extra columns are kept (leads: as scoring features).",
        "Column kinds: `id`/`text`/`category` are text; `timestamp` and `date` are"
        " parsed dates (ISO 8601 by default, or the format given in a mapping);"
        " `number` accepts `1234.5`, `1,234.50` and currency text such as `$1,234.50`;"
        " `flag` accepts true/false, yes/no, 1/0.",
        "",
        "Opportunity stages, in order (`stage` is the furthest reached): a mapping's"
        f" `[pipeline]` stages, else {' → '.join(STAGES)}. When the pipeline declares"
        " won / lost values and `status` is not mapped on its own (absent, or from the"
        " stage's source column), the status is read from the stage: a won value gives"
        " `won` and the last stage (a won deal reached every stage), a lost value `lost`"
        " and an empty stage, a stage `open`; other values are rejected.",
        "",
        "Enumerations (rules `one of ...`) are matched case-insensitively and trimmed and"
        " loaded in the spelling shown (` FULFILLED` loads as `fulfilled`).",
        "",
        f"Placeholder dates ({', '.join(PLACEHOLDER_DATES)}, any time of day) mean no"
        " date: in a column that must not be empty the row is rejected, elsewhere the"
        " value is read as empty and counted in the load notes. 1970-01-01 is a date.",
        "",
        "Event dates (marked *event*) record something that happened and may not lie"
        " after the data's `as_of` date; plans (expected close, due date, scheduled"
        " time) may.",
        "",
    ]
    for spec in TABLES.values():
        lines += [f"## `{spec.name}`", "", (spec.description or "").strip(), ""]
        if spec.primary_key:
            lines += [f"Primary key: `{', '.join(spec.primary_key)}` (unique).", ""]
        for a, b in spec.date_order:
            lines += [f"Rule: `{b}` may not be before `{a}`.", ""]
        for rule in spec.required_unless:
            lines += [f"Rule: {rule.text(code='`')}.", ""]
        lines += [
            "| column | required | kind | unit | rules | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for cname, col in columns(spec.name).items():
            meta = col.metadata or {}
            rules = []
            if not col.nullable:
                rules.append("not empty")
            for check in col.checks:
                rules.append(_check_text(check))
            if meta.get("event"):
                rules.append("event: not after as_of")
            if meta.get("references"):
                rules.append(f"references `{meta['references']}`")
            lines.append(
                f"| `{cname}` | {'yes' if col.required else 'no'} | {meta.get('kind', '')} "
                f"| {meta.get('unit') or ''} | {'; '.join(rules)} | {col.description} |"
            )
        lines.append("")
    return "\n".join(lines)


def _check_text(check) -> str:
    stats = getattr(check, "statistics", None) or {}
    name = getattr(check, "name", str(check))
    if name == "isin":
        return "one of " + ", ".join(map(str, stats.get("allowed_values", [])))
    if name in {"greater_than_or_equal_to", "ge"}:
        return f">= {stats.get('min_value')}"
    if name in {"greater_than", "gt"}:
        return f"> {stats.get('min_value')}"
    if name in {"less_than_or_equal_to", "le"}:
        return f"<= {stats.get('max_value')}"
    if name == "str_matches":
        return f"matches `{stats.get('pattern')}`"
    return name
