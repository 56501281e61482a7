"""Headline KPIs of the executive summary: their history, the quarter vs earlier quarters."""

from __future__ import annotations

import pandas as pd

from salesnb.periods import Period
from salesnb.sections.collections import late_payment_share
from salesnb.sections.conversion import equal_age_rule
from salesnb.sections.engine_inputs import kpi
from salesnb.sections.format import fmt_change, value_text
from salesnb.sections.guards import REVENUE, missing_requirements
from salesnb.sections.leads import CONVERSION_WINDOW_DAYS
from salesnb.sections.params import report_as_of
from salesnb.sections.period_rows import _series
from salesnb.sections.thresholds import USUAL_RANGE_QUARTERS

__all__ = [
    "HEADLINE_KPIS",
    "LOWER_IS_BETTER",
    "better_direction",
    "headline_series",
    "headline_kpis",
    "format_headline",
]

#: Headline KPIs: (name, kind, tables needed). ``kind`` drives formatting and whether a
#: change is read in percent (money, counts) or percentage points (rates). ``revenue`` is
#: the revenue lines (``SalesData.revenue_lines``: orders, or won deals without orders).
HEADLINE_KPIS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Revenue", "money", ("revenue",)),
    ("Revenue vs target", "pct", ("revenue", "targets")),
    ("Win rate", "pct", ("opportunities",)),
    ("New leads", "count", ("leads",)),
    ("Lead conversion (within 60 days and by quarter end)", "pct", ("leads",)),
    ("Average deal size", "money", ("opportunities",)),
    ("Overdue receivables", "money", ("orders",)),
    ("Invoices paid late or unpaid", "pct", ("orders",)),
)


#: Headline KPIs (names as in :data:`HEADLINE_KPIS`) for which a fall is good news.
LOWER_IS_BETTER: frozenset[str] = frozenset({"Overdue receivables", "Invoices paid late or unpaid"})

#: Quarters of overdue receivables read back (each at its quarter's end): the trend
#: line of the index shows the last 8.
OVERDUE_QUARTERS = 8


def better_direction(kpi_name: str) -> int:
    """+1 when a rise of the headline KPI ``kpi_name`` is good news, -1 when a fall is.

    Names may carry a window in brackets ("Lead conversion (within 60 days ...)").

    >>> better_direction("Revenue"), better_direction("Overdue receivables")
    (1, -1)
    >>> better_direction("Invoices paid late or unpaid (cohort still maturing)")
    -1
    """
    base = kpi_name.split(" (", 1)[0]
    return -1 if base in LOWER_IS_BETTER else 1


def headline_series(sales, period: Period) -> dict[str, tuple[str, pd.Series]]:
    """History of each headline KPI the data allows, by quarter label, up to ``period``.

    Returns ``{kpi: (kind, series)}`` in the order of :data:`HEADLINE_KPIS`;
    KPIs whose tables (or columns) are absent are left out. Revenue and revenue vs
    target run on ``sales.revenue_lines`` (orders, or won deals without orders);
    receivables on the orders, read at the end of each of the last
    :data:`OVERDUE_QUARTERS` quarters.
    """
    as_of = report_as_of(period, sales.as_of)
    quarters = [period.shift(-k) for k in range(USUAL_RANGE_QUARTERS + 4, -1, -1)]
    labels = [q.label for q in quarters]
    out: dict[str, tuple[str, pd.Series]] = {}

    def keep(name, kind, series):
        series = series.reindex([lab for lab in labels if lab in series.index])
        if series.notna().any():
            out[name] = (kind, series)

    orders, opps, leads = sales.orders, sales.opportunities, sales.leads
    if not missing_requirements(sales, [REVENUE]):
        lines = sales.revenue_lines
        keep("Revenue", "money", _series(kpi.revenue(lines), "revenue"))
        if not missing_requirements(sales, ["targets"]):
            att = kpi.target_attainment(lines, sales.targets)
            keep("Revenue vs target", "pct", _series(att, "attainment"))
    if not missing_requirements(sales, ["opportunities"], columns={"opportunities": ["closed_at"]}):
        keep("Win rate", "pct", _series(kpi.win_rate(opps, comparisons=False), "win_rate"))
    if not missing_requirements(sales, ["leads"], columns={"leads": ["created_at"]}):
        keep(
            "New leads",
            "count",
            _series(kpi.new_leads(leads, freq="quarter", comparisons=False), "leads"),
        )
        # every quarter at the same age (converted within 60 days and by the end of its
        # own quarter): this quarter's young leads are not compared with grown ones
        keep(
            f"Lead conversion ({equal_age_rule(period, as_of)})",
            "pct",
            _series(
                kpi.lead_conversion_rate(
                    leads,
                    as_of=as_of,
                    within_days=CONVERSION_WINDOW_DAYS,
                    equal_age=True,
                    comparisons=False,
                ),
                "conversion_rate",
            ),
        )
    if not missing_requirements(sales, ["opportunities"], columns={"opportunities": ["closed_at"]}):
        keep(
            "Average deal size",
            "money",
            _series(kpi.average_deal_size(opps, comparisons=False), "average_deal_size"),
        )
    if not missing_requirements(sales, ["orders"], columns={"orders": ["due_date", "paid_at"]}):
        values = {}
        for q in (period.shift(-k) for k in range(OVERDUE_QUARTERS - 1, -1, -1)):
            at = report_as_of(q, sales.as_of)
            status = kpi.payment_status(orders, as_of=at)
            values[q.label] = float(status["overdue_amount"].iloc[0]) if len(status) else 0.0
        keep("Overdue receivables", "money", pd.Series(values))
        keep(
            "Invoices paid late or unpaid",
            "pct",
            _series(late_payment_share(orders, as_of=as_of), "late_share"),
        )
    return out


def headline_kpis(
    sales, period: Period, *, series: dict[str, tuple[str, pd.Series]] | None = None
) -> pd.DataFrame:
    """Headline KPIs for the quarter vs the previous quarter and the same quarter last year.

    ``series`` is :func:`headline_series` when the caller has it already (else computed).

    Returns
    -------
    pandas.DataFrame
        ``kpi, kind, value, previous, last_year`` (numbers; ``kind`` is money,
        pct or count). Overdue receivables are read at each quarter's end.
    """
    rows = []
    series = headline_series(sales, period) if series is None else series
    for name, (kind, values) in series.items():
        if period.label in values.attrs.get("maturing", ()):
            name = (
                f"{name[:-1]}, cohort still maturing)"
                if name.endswith(")")
                else f"{name} (cohort still maturing)"
            )
        rows.append(
            {
                "kpi": name,
                "kind": kind,
                "value": values.get(period.label, float("nan")),
                "previous": values.get(period.previous().label, float("nan")),
                "last_year": values.get(period.same_period_last_year().label, float("nan")),
            }
        )
    return pd.DataFrame(rows, columns=["kpi", "kind", "value", "previous", "last_year"])


def format_headline(
    frame: pd.DataFrame, period: Period, *, currency: str | None = None
) -> pd.DataFrame:
    """Display text of :func:`headline_kpis`: values and changes (rates in points).

    >>> f = pd.DataFrame({"kpi": ["Win rate"], "kind": ["pct"], "value": [0.30],
    ...                   "previous": [0.25], "last_year": [0.40]})
    >>> format_headline(f, Period.parse("2025Q3")).iloc[0].tolist()
    ['Win rate', '30.0%', '25.0%', '+5.0 pp', '40.0%', '-10.0 pp']
    """
    prev, ly = period.previous().title, period.same_period_last_year().title
    rows = []
    for rec in frame.itertuples(index=False):
        points = rec.kind == "pct"
        rows.append(
            [
                rec.kpi,
                value_text(rec.value, rec.kind, currency=currency),
                value_text(rec.previous, rec.kind, currency=currency),
                fmt_change(rec.value, rec.previous, points=points),
                value_text(rec.last_year, rec.kind, currency=currency),
                fmt_change(rec.value, rec.last_year, points=points),
            ]
        )
    return pd.DataFrame(rows, columns=["KPI", period.title, prev, f"vs {prev}", ly, f"vs {ly}"])
