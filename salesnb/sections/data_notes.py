"""What a section's input lost or lacks: rejected rows, empty inputs, the revenue basis.

A pack must not look complete when it is not:

* :func:`rejected_note` — "2,089 opportunities were not loaded (missing amount:
  2,089) — figures below exclude them.", shown at the top of every section that
  uses the table (:func:`salesnb.sections.requires` does it);
* :func:`rejected_share`, :func:`rejected_summary` — how much of a table was
  rejected, for the attention list and for the "nothing raised" sentence;
* :func:`has_open_deals` — a pipeline section with no open deals says so
  instead of showing "0 open deals, $0";
* :func:`basis_label`, :func:`basis_note` — which table the revenue figures
  run on ("revenue = orders" or "revenue = won deals (CRM)").
"""

from __future__ import annotations

import re

import pandas as pd

from salesnb.load.basis import BASIS_LABELS, has_rows, is_lazy, undated_won_deals
from salesnb.sections.format import fmt_number, fmt_pct, md_escape, note

__all__ = [
    "rejected_reasons",
    "rejected_note",
    "rejected_alert",
    "rejected_share",
    "rejected_summary",
    "show_rejected",
    "nothing_raised",
    "open_deal_count",
    "has_open_deals",
    "basis_label",
    "basis_note",
]

#: Table name -> (one row, several rows) as a sentence says them.
_NOUNS = {
    "reps": ("rep", "reps"),
    "customers": ("customer", "customers"),
    "products": ("product", "products"),
    "leads": ("lead", "leads"),
    "opportunities": ("opportunity", "opportunities"),
    "orders": ("order", "orders"),
    "targets": ("target", "targets"),
    "activities": ("activity", "activities"),
}

#: Reasons listed by name in a note; the rest are summed as "other reasons".
_REASONS_SHOWN = 3

# one reason of a rejected row: "column: rule" or "column='value': rule" (value as repr)
_REASON = re.compile(
    r"""^(?P<column>[A-Za-z_][\w+]*)(?:=(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))?: (?P<rule>.+)$""",
    re.S,
)


def _rows(table: str, n: int) -> str:
    """``n`` rows of ``table`` as words: "2,089 opportunities", "1 order", "3 rows of engagement"."""
    one, many = _NOUNS.get(table, (f"row of {table}", f"rows of {table}"))
    return f"{fmt_number(n)} {one if n == 1 else many}"


def _short_reason(part: str) -> str:
    """One reason without the offending value: "missing amount", "created_at: expected a date"."""
    part = part.strip()
    found = _REASON.match(part)
    if not found:
        return part[:80]
    column, rule = found["column"], found["rule"].strip()
    if rule == "required value is empty":
        return f"missing {column}"
    rule = re.sub(r"\s*\(.*\)\s*$", "", rule, flags=re.S)  # drop a trailing example
    return f"{column}: {rule[:80]}"


def rejected_reasons(rejected: pd.DataFrame | None) -> pd.Series:
    """Rejected rows per reason, most frequent first (a row with two reasons counts in both).

    Reasons are the ``reason`` column of ``SalesData.rejected[table]`` without
    the offending values; "column: required value is empty" reads "missing column".

    >>> rej = pd.DataFrame({"reason": ["amount: required value is empty",
    ...     "created_at='x': expected a date (ISO 8601); amount: required value is empty"]})
    >>> rejected_reasons(rej).to_dict()
    {'missing amount': 2, 'created_at: expected a date': 1}
    """
    if rejected is None or not len(rejected) or "reason" not in rejected.columns:
        return pd.Series(dtype="int64")
    counts: dict[str, int] = {}
    for text in rejected["reason"].astype(str):
        for label in dict.fromkeys(_short_reason(p) for p in text.split("; ") if p.strip()):
            counts[label] = counts.get(label, 0) + 1
    out = pd.Series(counts, dtype="int64")
    return out.sort_values(ascending=False, kind="stable")


def _rejected(sales, table: str) -> pd.DataFrame | None:
    return (getattr(sales, "rejected", None) or {}).get(table)


def _rejected_count(sales, table: str) -> int:
    """All rejected rows of ``table``: ``rows_rejected`` when only a sample was kept."""
    counted = (getattr(sales, "rows_rejected", None) or {}).get(table)
    if counted is not None:
        return int(counted)
    rejected = _rejected(sales, table)
    return 0 if rejected is None else len(rejected)


def _why_counted(rejected: pd.DataFrame, n: int) -> str:
    """:func:`_why`, saying when the reasons come from a sample of the ``n`` rows."""
    why = _why(rejected)
    if why and len(rejected) < n:
        return f"reasons of a sample of {fmt_number(len(rejected))}: {why}"
    return why


def rejected_note(sales, table: str) -> str:
    """One sentence on the rows of ``table`` that were not loaded; ``""`` when none were.

    Plain text (escape it for Markdown or HTML). The three most frequent
    reasons are named with their row counts, the rest summed.

    >>> from types import SimpleNamespace
    >>> rej = pd.DataFrame({"reason": ["amount: required value is empty"] * 2089})
    >>> rejected_note(SimpleNamespace(rejected={"opportunities": rej}), "opportunities")
    '2,089 opportunities were not loaded (missing amount: 2,089) — figures below exclude them.'
    >>> rejected_note(SimpleNamespace(rejected={}), "orders")
    ''
    """
    rejected = _rejected(sales, table)
    n = _rejected_count(sales, table)
    if rejected is None or not n:
        return ""
    why = _why_counted(rejected, n)
    verb = "was" if n == 1 else "were"
    why = f" ({why})" if why else ""
    return f"{_rows(table, n)} {verb} not loaded{why} — figures below exclude them."


def _why(rejected: pd.DataFrame | None) -> str:
    """The most frequent reasons with their row counts: "missing amount: 12; other reasons: 3"."""
    reasons = rejected_reasons(rejected)
    shown = [
        f"{label}: {fmt_number(count)}" for label, count in reasons.head(_REASONS_SHOWN).items()
    ]
    rest = int(reasons.iloc[_REASONS_SHOWN:].sum())
    if rest:
        shown.append(f"other reasons: {fmt_number(rest)}")
    return "; ".join(shown)


def rejected_alert(sales, table: str) -> str:
    """The attention-list message on the rows of ``table`` that were not loaded ("" if none).

    Plain text, with the share of the rows read (see :func:`rejected_share`).

    >>> from types import SimpleNamespace
    >>> s = SimpleNamespace(rejected={"orders": pd.DataFrame({"reason": ["amount: required value is empty"] * 3})},
    ...                     rows_read={"orders": 200})
    >>> rejected_alert(s, "orders")
    '3 of 200 orders (1.5%) were not loaded (missing amount: 3); every figure from orders excludes them.'
    """
    rejected = _rejected(sales, table)
    n = _rejected_count(sales, table)
    if rejected is None or not n:
        return ""
    read = max((getattr(sales, "rows_read", None) or {}).get(table, 0) or 0, n)
    why = _why_counted(rejected, n)
    why = f" ({why})" if why else ""
    verb = "was" if n == 1 else "were"
    share = fmt_pct(rejected_share(sales, table))
    return (
        f"{fmt_number(n)} of {_rows(table, read)} ({share}) {verb} not loaded{why}; "
        f"every figure from {table} excludes them."
    )


def rejected_share(sales, table: str) -> float:
    """Share of the rows read for ``table`` that were rejected (0 when none were read).

    Formula: rows rejected / rows read (``SalesData.rows_read``; rows read =
    rows loaded + rows rejected).

    >>> from types import SimpleNamespace
    >>> s = SimpleNamespace(rejected={"orders": pd.DataFrame({"reason": ["x"] * 3})},
    ...                     rows_read={"orders": 200})
    >>> rejected_share(s, "orders")
    0.015
    """
    n = _rejected_count(sales, table)
    read = (getattr(sales, "rows_read", None) or {}).get(table, 0) or 0
    if not n:
        return 0.0
    return n / max(read, n)


def rejected_summary(sales) -> pd.DataFrame:
    """Per table with rejected rows: ``table, rows_read, rows_rejected, share, note``.

    Tables in the order of ``SalesData.rejected``; ``note`` is :func:`rejected_note`.
    """
    rows = []
    for table, frame in (getattr(sales, "rejected", None) or {}).items():
        if frame is None or not len(frame):
            continue
        rows.append(
            {
                "table": table,
                "rows_read": int((getattr(sales, "rows_read", None) or {}).get(table, len(frame))),
                "rows_rejected": _rejected_count(sales, table),
                "share": rejected_share(sales, table),
                "note": rejected_note(sales, table),
            }
        )
    return pd.DataFrame(rows, columns=["table", "rows_read", "rows_rejected", "share", "note"])


def show_rejected(sales, *tables: str) -> None:
    """Show :func:`rejected_note` of each of ``tables`` that lost rows, as a Markdown note."""
    for table in dict.fromkeys(tables):
        text = rejected_note(sales, table)
        if text:
            note(f"> **Rows not loaded:** {md_escape(text)}")


def nothing_raised(sales) -> str:
    """What to say when no attention rule fired: never "nothing" while rows were rejected.

    Plain text (escape it for Markdown or HTML).

    >>> from types import SimpleNamespace
    >>> nothing_raised(SimpleNamespace(rejected={}))
    'Nothing raised an alert this quarter.'
    >>> rej = {"orders": pd.DataFrame({"reason": ["amount: required value is empty"] * 3})}
    >>> nothing_raised(SimpleNamespace(rejected=rej))
    'No rule raised an alert this quarter, but rows were not loaded: 3 orders (missing amount: 3). The figures exclude them; the index page lists them.'
    """
    lost = rejected_summary(sales)
    if lost.empty:
        return "Nothing raised an alert this quarter."
    parts = []
    for rec in lost.itertuples(index=False):
        why = _why(_rejected(sales, rec.table))
        parts.append(f"{_rows(rec.table, rec.rows_rejected)}" + (f" ({why})" if why else ""))
    return (
        "No rule raised an alert this quarter, but rows were not loaded: "
        + ", ".join(parts)
        + ". The figures exclude them; the index page lists them."
    )


def open_deal_count(opportunities: pd.DataFrame | None, *, as_of) -> int:
    """Deals open at the end of day ``as_of``.

    Rule: created by the end of ``as_of`` (or without ``created_at``) and either
    still ``open`` or closed after ``as_of``.

    >>> opps = pd.DataFrame({"status": ["open", "won", "open"],
    ...     "created_at": pd.to_datetime(["2025-01-05", "2025-01-02", "2025-03-01"]),
    ...     "closed_at": pd.to_datetime([None, "2025-02-10", None])})
    >>> open_deal_count(opps, as_of="2025-02-01")
    2
    """
    if is_lazy(opportunities):  # opportunities are few: counted in pandas
        from salesnb.sections.engine_inputs import collect

        opportunities = collect(opportunities)
    if opportunities is None or not len(opportunities) or "status" not in opportunities.columns:
        return 0
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    opps = opportunities
    created = (
        opps["created_at"].isna() | (opps["created_at"] < end)
        if "created_at" in opps.columns
        else pd.Series(True, index=opps.index)
    )
    still_open = opps["status"] == "open"
    if "closed_at" in opps.columns:
        still_open |= opps["status"].isin(["won", "lost"]) & (opps["closed_at"] >= end)
    return int((created & still_open).sum())


def has_open_deals(sales, *, as_of, what: str) -> bool:
    """True when the data has open deals at ``as_of``; otherwise say so and return False.

    Guards a pipeline section (stale and slipped deals, sales velocity, the
    pipeline-weighted forecast) so that an empty pipeline reads "no open deals in
    the data at 2026-09-30" instead of "0 open deals, $0"; when opportunities were
    rejected, the note adds how many.
    """
    tables = getattr(sales, "tables", {}) or {}
    if open_deal_count(tables.get("opportunities"), as_of=as_of):
        return True
    text = f"{what}: no open deals in the data at {pd.Timestamp(as_of):%Y-%m-%d}"
    lost = _rejected(sales, "opportunities")
    if lost is not None and len(lost):
        verb = "was" if len(lost) == 1 else "were"
        text += f" ({_rows('opportunities', len(lost))} {verb} not loaded, see above)"
    note(f"> **{md_escape(text)}.**")
    return False


def basis_label(sales) -> str:
    """Which table the revenue figures run on: "revenue = orders" or "revenue = won deals (CRM)".

    ``""`` for an object without a revenue basis.

    >>> from types import SimpleNamespace
    >>> basis_label(SimpleNamespace(revenue_basis="won_deals"))
    'revenue = won deals (CRM)'
    """
    return BASIS_LABELS.get(getattr(sales, "revenue_basis", None), "")


def basis_note(sales) -> str:
    """How revenue is counted on the won-deals basis (Markdown); ``""`` on the orders basis.

    Names the won deals left out for lack of a close date.
    """
    if getattr(sales, "revenue_basis", None) != "won_deals":
        return ""
    tables = getattr(sales, "tables", {}) or {}
    orders = tables.get("orders")
    why = "the mapping says revenue = won_deals" if has_rows(orders) else "the data has no orders"
    text = (
        f"Revenue here is counted from won deals ({why}): each won opportunity counts once, "
        "for its amount, in the period of its close date; its region is the deal's own, "
        "else its rep's, else its customer's."
    )
    undated = undated_won_deals(tables.get("opportunities"))
    if undated:
        deals = (
            "won deal without a close date is"
            if undated == 1
            else "won deals without a close date are"
        )
        text += f" {fmt_number(undated)} {deals} left out."
    return f"> {md_escape(text)}"
