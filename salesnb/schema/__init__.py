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

import pandera.pandas as pa

from salesnb.schema.models import (  # noqa: F401 - the contract's names, read from here
    ACTIVITY_TYPES,
    CHANNELS,
    ENGAGEMENT_CHANNELS,
    ENGAGEMENT_EVENTS,
    OPPORTUNITY_STATUSES,
    ORDER_STATUSES,
    PLACEHOLDER_DATES,
    STAGES,
    TARGET_LEVELS,
    Activities,
    CompetitorPrices,
    Customers,
    Engagement,
    Leads,
    MarketingSpend,
    Opportunities,
    OpportunityHistory,
    Orders,
    Products,
    Reps,
    Satisfaction,
    Targets,
)

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
        "Generated from `salesnb/schema/` by `python -m salesnb contract`; do not edit by hand.",
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
