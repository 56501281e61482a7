"""Narrative sentences any section uses: a KPI's change over time, the best row of a ranking.

Sentences are Markdown; data values in them are escaped. Model details a manager
does not need (evaluation tables, metric definitions) go into a collapsed
"Details for analysts" block (:func:`analyst_details`, an HTML ``<details>``
element: no script, it opens with a click in any browser).
"""

from __future__ import annotations

import html
import re

import pandas as pd

from salesnb.periods import Period
from salesnb.sections.format import (
    _display,
    _missing,
    fmt_change,
    fmt_money,
    fmt_number,
    md_escape,
    value_text,
)
from salesnb.sections.period_rows import row_for

__all__ = [
    "change_sentence",
    "ranking_sentence",
    "deals_worth_sentence",
    "analyst_details",
    "show_details",
]

#: The label of a collapsed block of model details.
ANALYST_SUMMARY = "Details for analysts"


class _Details:
    """A collapsed HTML block with the rich-display hook notebooks render."""

    def __init__(self, body: str):
        self.body = body

    def _repr_html_(self) -> str:
        return self.body

    def __repr__(self) -> str:
        return f"<details block: {len(self.body)} characters of HTML>"


def analyst_details(*parts, summary: str = ANALYST_SUMMARY) -> _Details:
    """Model details in a collapsed ``<details>`` block, closed until clicked.

    ``parts`` are shown in order: objects with ``_repr_html_`` (tables from
    :func:`salesnb.sections.table`) as they are, text as an escaped paragraph
    (``*word*`` emphasis kept as italics).

    >>> box = analyst_details("AUC <b>0.88</b>", summary="Details for analysts")
    >>> box._repr_html_()
    '<details class="salesnb-details"><summary>Details for analysts</summary><p>AUC &lt;b&gt;0.88&lt;/b&gt;</p></details>'
    """
    body = []
    for part in parts:
        if hasattr(part, "_repr_html_"):
            body.append(part._repr_html_())
        else:
            text = html.escape(str(part).replace("\\", ""))
            body.append("<p>" + _ITALIC.sub(r"<em>\1</em>", text) + "</p>")
    return _Details(
        f'<details class="salesnb-details"><summary>{html.escape(summary)}</summary>'
        + "".join(body)
        + "</details>"
    )


def show_details(*parts, summary: str = ANALYST_SUMMARY) -> None:
    """Display :func:`analyst_details` (for use inside ``if`` blocks of a notebook)."""
    _display(analyst_details(*parts, summary=summary))


_ITALIC = re.compile(r"\*([^*]+)\*")


def change_sentence(
    what: str,
    table: pd.DataFrame | None,
    period: Period,
    *,
    column: str,
    kind: str = "money",
    currency: str | None = None,
    **where,
) -> str:
    """One sentence: ``what`` in the quarter, vs the previous quarter and a year earlier.

    Reads the comparison columns ``<column>_prev`` and ``<column>_ly`` that
    the KPI functions add; rates (``kind="pct"``) change in percentage points.

    >>> t = pd.DataFrame({"period": ["2025Q3"], "revenue": [110.0],
    ...                   "revenue_prev": [100.0], "revenue_ly": [120.0]})
    >>> change_sentence("Revenue", t, Period.parse("2025Q3"), column="revenue")
    'Revenue in 2025Q3: **$110** (+10.0% vs 2025Q2, -8.3% vs 2024Q3).'

    A row whose ``note`` says the cohort is still maturing gets a warning:

    >>> m = pd.DataFrame({"period": ["2025Q3"], "rate": [0.1], "note": ["cohort still maturing"]})
    >>> change_sentence("Conversion", m, Period.parse("2025Q3"), column="rate", kind="pct")
    'Conversion in 2025Q3: **10.0%** — the cohort is still maturing: its value can still rise.'
    """
    row = row_for(table, period, **where)
    if row is None or _missing(row.get(column)):
        return f"{md_escape(what)}: no data for {period.title}."
    now = row[column]
    points = kind == "pct"
    parts = []
    for suffix, other in (("_prev", period.previous()), ("_ly", period.same_period_last_year())):
        ref = row.get(column + suffix)
        if not _missing(ref):
            parts.append(f"{fmt_change(now, ref, points=points)} vs {other.title}")
    tail = f" ({', '.join(parts)})" if parts else ""
    note = row.get("note")
    if isinstance(note, str) and "maturing" in note:
        tail += " — the cohort is still maturing: its value can still rise"
    return (
        f"{md_escape(what)} in {period.title}: **{value_text(now, kind, currency=currency)}**"
        f"{tail}."
    )


def ranking_sentence(
    table: pd.DataFrame,
    *,
    key: str,
    value: str,
    what: str,
    kind: str = "pct",
    currency: str | None = None,
    weight: str | None = None,
    min_weight: float = 0,
) -> str:
    """Name the best row of ``table`` by ``value`` and compare it with the runner-up.

    With ``weight`` (e.g. the number of leads behind a rate), only rows with
    ``weight >= min_weight`` compete, so a source with two leads does not win.

    >>> t = pd.DataFrame({"source": ["web", "referral", "event", "chat"],
    ...                   "conversion_rate": [0.15, 0.48, 0.20, 1.0], "leads": [90, 50, 40, 2]})
    >>> ranking_sentence(t, key="source", value="conversion_rate", what="Lead conversion",
    ...                  weight="leads", min_weight=30)
    'Lead conversion is highest for **referral** (48.0%), 2.40x the next best, event (20.0%), among rows with at least 30 leads.'
    """
    ranked = table.dropna(subset=[value])
    if weight is not None:
        ranked = ranked.loc[ranked[weight] >= min_weight]
    ranked = ranked.sort_values(value, ascending=False)
    if ranked.empty:
        return f"{md_escape(what)}: no data."
    best = ranked.iloc[0]
    text = (
        f"{md_escape(what)} is highest for **{md_escape(best[key])}** "
        f"({value_text(best[value], kind, currency=currency)})"
    )
    if len(ranked) > 1:
        second = ranked.iloc[1]
        if second[value] > 0:
            text += (
                f", {best[value] / second[value]:.2f}x the next best, "
                f"{md_escape(second[key])} ({value_text(second[value], kind, currency=currency)})"
            )
    if weight is not None and min_weight > 0:
        text += f", among rows with at least {fmt_number(min_weight)} {md_escape(weight)}"
    return text + "."


def deals_worth_sentence(deals: pd.DataFrame, what: str, *, currency: str | None = None) -> str:
    """How many deals and their total ``amount``, saying how many have no value.

    Deals without an ``amount`` (open deals may lack one) are counted but not in the sum.

    >>> d = pd.DataFrame({"amount": [1200.0, None, 300.0]})
    >>> deals_worth_sentence(d, "stale")
    '**3** stale deals worth **$1,500** (1 without a value, not in that sum).'
    >>> deals_worth_sentence(d.dropna(), "slipped")
    '**2** slipped deals worth **$1,500**.'
    """
    no_value = int(deals["amount"].isna().sum())
    text = f"**{fmt_number(len(deals))}** {what} deals worth **{fmt_money(deals['amount'].sum(), currency=currency)}**"
    return text + (
        f" ({fmt_number(no_value)} without a value, not in that sum)." if no_value else "."
    )
