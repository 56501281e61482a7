"""The "Needs attention" list: what a manager should look at this quarter, and its rules.

Each rule is one check; the thresholds live in :mod:`salesnb.sections.thresholds`.
Every message ends with the rule that raised it ("Rule: ..."), and every item names
the page and section of the pack that explains it (``page``: a notebook's file stem
or ``"index"``; ``section``: the heading's anchor in that page, as nbconvert writes
it: the heading text with spaces replaced by ``-``).
"""

from __future__ import annotations

import logging

import pandas as pd

from salesnb.periods import Period
from salesnb.sections.data_notes import rejected_alert, rejected_summary
from salesnb.sections.engine_inputs import collect, kpi
from salesnb.sections.format import (
    _missing,
    fmt_change,
    fmt_days,
    fmt_money,
    fmt_number,
    fmt_pct,
    period_text,
)
from salesnb.sections.guards import REVENUE, missing_requirements
from salesnb.sections.headline import headline_series
from salesnb.sections.market import competitor_undercuts
from salesnb.sections.params import report_as_of
from salesnb.sections.thresholds import (
    DECLINE_QUARTERS,
    RECENT_BACKORDER_DAYS,
    REJECTED_SHARE,
    SATISFACTION_SLOPE,
    SLOW_CYCLE_RATIO,
    UNDERCUT_THRESHOLD,
    USUAL_RANGE_QUARTERS,
    USUAL_RANGE_SD,
)

__all__ = [
    "attention",
    "rejected_tables",
    "declining_regions",
    "unusual_moves",
    "backorder_sentence",
]

#: Where each topic is explained: (page, section anchor). Unusual KPIs go to the page of
#: their KPI (:data:`_KPI_SECTIONS`).
_SECTIONS = {
    "rows not loaded": ("index", "data-quality"),
    "declining region": ("02_revenue_forecast", "Revenue-by-region"),
    "unusual KPI": ("00_executive_summary", "Headline-KPIs"),
    "stale deals": ("01_leads_conversion", "Stale-and-slipped-deals"),
    "slipped deals": ("01_leads_conversion", "Stale-and-slipped-deals"),
    "slow rep": ("01_leads_conversion", "Sales-cycle-and-velocity"),
    "overdue receivables": ("05_orders_collections_market", "Receivables-ageing-and-DSO"),
    "competitor undercut": ("05_orders_collections_market", "Competitor-price-index"),
    "falling satisfaction": ("04_team_performance", "Employee-satisfaction"),
}
#: Headline KPI name (its start) -> (page, section anchor) of the section showing it.
_KPI_SECTIONS = {
    "Revenue vs target": ("02_revenue_forecast", "Actual-versus-target"),
    "Win rate": ("01_leads_conversion", "Stage-funnel-and-win-rate"),
    "New leads": ("01_leads_conversion", "New-leads-by-source-and-region"),
    "Lead conversion": ("01_leads_conversion", "Lead-conversion"),
    "Invoices paid late or unpaid": ("05_orders_collections_market", "Paid-and-unpaid-invoices"),
}

log = logging.getLogger(__name__)


def attention(
    sales, period: Period, *, currency: str | None = None, series: dict | None = None
) -> pd.DataFrame:
    """What a manager should look at this quarter, each with the rule that raised it.

    Rules (each runs only when its tables are present):

    * **rows not loaded** — a table with more than ``REJECTED_SHARE`` (1 %) of the
      rows read rejected at load (:func:`rejected_tables`);
    * **declining region** — revenue (``sales.revenue_lines``: orders, or won
      deals without orders) fell in each of the last
      ``DECLINE_QUARTERS - 1`` quarter-over-quarter steps (:func:`declining_regions`);
    * **unusual KPI** — a headline rate outside mean ± 2 sd of its previous 8
      quarters (:func:`unusual_moves`);
    * **stale deals** / **slipped deals** — open deals idle longer than their
      stage allows / past their expected close date, at the quarter's end;
    * **overdue receivables** — unpaid invoices past due at the quarter's end;
    * **slow rep** — a rep's median sales cycle at least ``SLOW_CYCLE_RATIO``
      times the team median (5 won deals or more);
    * **competitor undercut** — a competitor's price more than 10 % under our
      list price in the quarter;
    * **falling satisfaction** — a rep's score falling by 1 point or more per
      quarter over the last 4 quarters (least-squares slope).

    ``series`` is :func:`headline_series` of the same ``sales`` and ``period``
    when the caller has it already (the executive summary and the report index
    show it): the unusual-KPI rule reads it instead of computing every headline
    KPI's history again. Without it, it is computed here.

    Returns
    -------
    pandas.DataFrame
        ``topic, subject, message, page, section``: plain text (escape it for
        HTML/Markdown); ``message`` ends with the item's rule ("Rule: ...");
        ``page`` and ``section`` say where the pack explains it (module docstring).
    """
    as_of = report_as_of(period, sales.as_of)
    names = _rep_names(sales)
    items = [
        *_rejected_row_items(sales),
        *_declining_region_items(sales, period, currency=currency),
        *_unusual_kpi_items(sales, period, series),
        *_stale_deal_items(sales, as_of, currency=currency),
        *_slipped_deal_items(sales, as_of, currency=currency),
        *_slow_rep_items(sales, names),
        *_overdue_items(sales, as_of, currency=currency),
        *_undercut_items(sales, period, currency=currency),
        *_satisfaction_items(sales, period, names),
    ]
    return pd.DataFrame(items, columns=["topic", "subject", "message", "page", "section"])


def _item(topic: str, subject, message: str, rule: str, *, where=None) -> dict:
    """One entry of the attention list: the message, its rule, where the pack explains it."""
    page, section = where or _SECTIONS[topic]
    text = f"{message} Rule: {rule}." if rule else message
    return {
        "topic": topic,
        "subject": str(subject),
        "message": text,
        "page": page,
        "section": section,
    }


def _who(rep_id, names: dict[str, str]) -> str:
    """A rep as shown in a message: id and name when the name is known."""
    return f"{rep_id} {names[rep_id]}" if rep_id in names else str(rep_id)


def _rejected_row_items(sales) -> list[dict]:
    """Tables with more than ``REJECTED_SHARE`` of their rows rejected (:func:`rejected_tables`)."""
    rule = f"more than {REJECTED_SHARE * 100:g}% of a table's rows rejected at load"
    return [
        _item("rows not loaded", rec.table, rejected_alert(sales, rec.table), rule)
        for rec in rejected_tables(sales).itertuples(index=False)
    ]


def rejected_tables(sales, *, share: float = REJECTED_SHARE) -> pd.DataFrame:
    """Tables with more than ``share`` of the rows read rejected at load, largest share first.

    Rule: rows rejected / rows read > ``share`` (rows read = loaded + rejected).

    Returns
    -------
    pandas.DataFrame
        ``table, rows_read, rows_rejected, share, note`` (see
        :func:`salesnb.sections.rejected_summary`).

    >>> from types import SimpleNamespace
    >>> s = SimpleNamespace(rejected={"orders": pd.DataFrame({"reason": ["x"] * 2}),
    ...                               "leads": pd.DataFrame({"reason": ["x"] * 5})},
    ...                     rows_read={"orders": 200, "leads": 100})
    >>> rejected_tables(s)[["table", "share"]]
       table  share
    0  leads   0.05
    """
    lost = rejected_summary(sales)
    lost = lost.loc[lost["share"] > share]
    return lost.sort_values("share", ascending=False, kind="stable").reset_index(drop=True)


def _declining_region_items(sales, period: Period, *, currency: str) -> list[dict]:
    """Regions whose revenue fell quarter after quarter (:func:`declining_regions`)."""
    if missing_requirements(sales, [REVENUE], columns={REVENUE: ["region"]}):
        return []
    by_region = kpi.revenue(sales.revenue_lines, by="region", compare=False)
    rule = (
        f"revenue below the previous quarter's in {DECLINE_QUARTERS - 1} or more quarters in a row"
    )
    return [
        _item(
            "declining region",
            rec.region,
            f"Region {rec.region}: revenue fell {rec.quarters} quarters in a "
            f"row, from {fmt_money(rec.first_revenue, currency=currency)} in "
            f"{period_text(rec.first_period)} to {fmt_money(rec.revenue, currency=currency)} in "
            f"{period.title} ({fmt_change(rec.revenue, rec.first_revenue)}).",
            rule,
        )
        for rec in declining_regions(by_region, period).itertuples(index=False)
    ]


def _unusual_kpi_items(sales, period: Period, series: dict | None = None) -> list[dict]:
    """Headline rates outside their usual range (:func:`unusual_moves`)."""
    series = headline_series(sales, period) if series is None else series
    return [
        _item(
            "unusual KPI",
            rec.kpi,
            f"{rec.kpi} of {fmt_pct(rec.value)} in {period.title} is {rec.direction} its usual "
            f"range ({fmt_pct(max(rec.low, 0))} to {fmt_pct(rec.high)}).",
            f"a rate outside the mean ± {USUAL_RANGE_SD:g} standard deviations of its "
            f"previous {rec.quarters} quarters",
            where=_kpi_section(rec.kpi),
        )
        for rec in unusual_moves(series, period).itertuples(index=False)
    ]


def _stale_deal_items(sales, as_of: pd.Timestamp, *, currency: str) -> list[dict]:
    """Open deals idle longer than their stage of the data's pipeline allows, at ``as_of``.

    Thresholds: the pipeline's rotting days, else the defaults (:func:`kpi.stale_deals`).
    Deals without a value are counted apart from the amount; deals with no date to
    measure idle time are said too. Stage values the pipeline does not know are raised as
    an item instead of being skipped.
    """
    if missing_requirements(sales, ["opportunities"]):
        return []
    pipeline = getattr(sales, "pipeline", None)
    try:
        stale = kpi.stale_deals(sales.opportunities, as_of=as_of, pipeline=pipeline)
        # one summary row (every deal it counts is open): the deals it could not judge
        summary = kpi.stale_deals(sales.opportunities, as_of=as_of, by="status", pipeline=pipeline)
    except KeyError as exc:
        log.info("stale deals skipped: %s", exc)
        return []
    except ValueError as exc:
        return [_item("stale deals", "not checked", f"Stale deals could not be checked: {exc}", "")]
    undated = int(summary["undated_deals"].sum())
    unjudged = (
        f"{fmt_number(undated)} open deals have no creation or activity date: whether they are "
        f"stale cannot be told."
        if undated
        else ""
    )
    rule = (
        f"an open deal with no activity or stage change for longer than its stage allows, "
        f"at {as_of:%Y-%m-%d}"
    )
    if not len(stale):
        return [_item("stale deals", "undated deals", unjudged, rule)] if undated else []
    no_value = int(stale["amount"].isna().sum())
    said = f" ({fmt_number(no_value)} of them have no value)" if no_value else ""
    return [
        _item(
            "stale deals",
            f"{len(stale)} deals",
            f"{fmt_number(len(stale))} open deals worth {fmt_money(stale['amount'].sum(), currency=currency)} "
            f"have had no activity for longer than their stage allows (longest idle: "
            f"{int(stale['days_idle'].max())} days){said}." + (f" {unjudged}" if unjudged else ""),
            rule,
        )
    ]


def _slipped_deal_items(sales, as_of: pd.Timestamp, *, currency: str) -> list[dict]:
    """Open deals past their expected close date at ``as_of`` (those without a value counted)."""
    if missing_requirements(sales, ["opportunities"]):
        return []
    try:
        slipped = kpi.slipped_deals(sales.opportunities, as_of=as_of)
    except KeyError as exc:
        log.info("slipped deals skipped: %s", exc)
        return []
    if not len(slipped):
        return []
    no_value = int(slipped["amount"].isna().sum())
    said = f" ({fmt_number(no_value)} of them have no value)" if no_value else ""
    return [
        _item(
            "slipped deals",
            f"{len(slipped)} deals",
            f"{fmt_number(len(slipped))} open deals worth "
            f"{fmt_money(slipped['amount'].sum(), currency=currency)} are past their "
            f"expected close date{said}.",
            f"a deal still open at {as_of:%Y-%m-%d} after its expected close date",
        )
    ]


def _slow_rep_items(sales, names: dict[str, str]) -> list[dict]:
    """Reps whose median sales cycle is ``SLOW_CYCLE_RATIO`` times their team's or more."""
    if missing_requirements(sales, ["opportunities"]) or missing_requirements(
        sales, ["reps"], columns={"reps": ["team"]}
    ):
        return []
    cycle = kpi.cycle_vs_team(sales.opportunities, sales.reps)
    slow = cycle.loc[(cycle["ratio_to_team"] >= SLOW_CYCLE_RATIO) & (cycle["deals"] >= 5)]
    return [
        _item(
            "slow rep",
            rec.rep_id,
            f"Rep {_who(rec.rep_id, names)}: median sales cycle {fmt_days(rec.median_days)}, "
            f"{fmt_number(rec.ratio_to_team, decimals=2)}x the {rec.team} team median "
            f"({fmt_days(rec.team_median_days)}).",
            f"median days from opening to winning a deal, over all won deals, at least "
            f"{SLOW_CYCLE_RATIO:g}x the team's median (5 won deals or more)",
        )
        for rec in slow.sort_values("ratio_to_team", ascending=False).itertuples(index=False)
    ]


def _overdue_items(sales, as_of: pd.Timestamp, *, currency: str) -> list[dict]:
    """Unpaid invoices past their due date at ``as_of``."""
    if missing_requirements(sales, ["orders"], columns={"orders": ["due_date", "paid_at"]}):
        return []
    ageing = kpi.receivables_ageing(sales.orders, as_of=as_of)
    overdue = ageing.loc[ageing["bucket"] != "not due"]
    if not (len(overdue) and overdue["amount"].sum() > 0):
        return []
    old = ageing.loc[ageing["bucket"] == "90+", "amount"].sum()
    return [
        _item(
            "overdue receivables",
            "receivables",
            f"{fmt_number(int(overdue['orders'].sum()))} invoices worth "
            f"{fmt_money(overdue['amount'].sum(), currency=currency)} are overdue at "
            f"{as_of:%Y-%m-%d}, {fmt_money(old, currency=currency)} of them by more than "
            f"90 days.",
            f"any unpaid invoice past its due date at {as_of:%Y-%m-%d}",
        )
    ]


def _undercut_items(sales, period: Period, *, currency: str) -> list[dict]:
    """Competitors whose average price in the quarter undercuts our list price."""
    if missing_requirements(
        sales, ["products", "competitor_prices"], columns={"products": ["list_price"]}
    ):
        return []
    cuts = competitor_undercuts(sales.products, sales.competitor_prices, period)
    return [
        _item(
            "competitor undercut",
            rec.product,
            f"{rec.competitor} undercuts {rec.product} by {fmt_pct(rec.gap_pct)} in "
            f"{period.title} (average {fmt_money(rec.price, currency=currency, decimals=2)} "
            f"vs our list price {fmt_money(rec.list_price, currency=currency, decimals=2)}).",
            f"a competitor's average price in the quarter more than "
            f"{UNDERCUT_THRESHOLD * 100:g}% under our list price",
        )
        for rec in cuts.itertuples(index=False)
    ]


def _satisfaction_items(sales, period: Period, names: dict[str, str]) -> list[dict]:
    """Reps whose satisfaction score falls by ``-SATISFACTION_SLOPE`` points a quarter or more.

    The slope is the least-squares slope over the last 4 quarters (3 scores or more).
    """
    if missing_requirements(sales, ["satisfaction"]):
        return []
    sat = kpi.employee_satisfaction(sales.satisfaction, by="rep_id", comparisons=False)
    labels = [period.shift(-k).label for k in range(3, -1, -1)]
    sat = sat.loc[sat["period"].astype(str).isin(labels)]
    items = []
    for rep_id, grp in sat.groupby("rep_id"):
        grp = grp.dropna(subset=["mean_score"])
        if len(grp) < 3:
            continue
        x = pd.Series([labels.index(p) for p in grp["period"].astype(str)], dtype=float)
        y = grp["mean_score"].astype(float).to_numpy()
        slope = float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())
        if slope <= SATISFACTION_SLOPE:
            items.append(
                _item(
                    "falling satisfaction",
                    rep_id,
                    f"Rep {_who(rep_id, names)}: satisfaction score falling by {fmt_number(abs(slope), decimals=1)} "
                    f"points per quarter over the last {len(grp)} quarters (now "
                    f"{fmt_number(y[-1])} of 10).",
                    f"a least-squares trend over the last 4 quarters falling by "
                    f"{abs(SATISFACTION_SLOPE):g} point or more per quarter (3 scores or more)",
                )
            )
    return items


def declining_regions(
    revenue_by_region: pd.DataFrame, period: Period, *, quarters: int = DECLINE_QUARTERS
) -> pd.DataFrame:
    """Regions whose revenue fell quarter after quarter, with the whole run of falls counted.

    The rule: revenue decreased in each of the ``quarters - 1`` (or more) consecutive
    quarter-over-quarter steps ending at ``period``. ``quarters`` (column) counts every
    fall of the run, back to the last quarter that did not fall (or the first quarter
    of data); ``first_period`` is where the run started (the quarter before its first
    fall). A missing quarter ends the run.

    Returns
    -------
    pandas.DataFrame
        ``region, quarters, first_period, first_revenue, revenue, change_pct``,
        largest fall first.

    >>> t = pd.DataFrame({"period": ["2024Q4", "2025Q1", "2025Q2", "2025Q3"] * 2,
    ...                   "region": ["A"] * 4 + ["B"] * 4,
    ...                   "revenue": [40.0, 30.0, 20.0, 10.0, 10.0, 20.0, 20.0, 15.0]})
    >>> declining_regions(t, Period.parse("2025Q3"), quarters=3)[["region", "quarters", "first_period"]]
      region  quarters first_period
    0      A         3       2024Q4
    """
    wide = revenue_by_region.pivot_table(
        index="region", columns="period", values="revenue", aggfunc="sum", observed=True
    )
    wide.columns = [str(c) for c in wide.columns]
    rows = []
    for region, values in wide.iterrows():
        falls, first = 0, period
        while True:
            now, before = values.get(first.label), values.get(first.previous().label)
            if _missing(now) or _missing(before) or not now < before:
                break
            falls, first = falls + 1, first.previous()
        if falls >= max(quarters - 1, 1):
            start, end = float(values[first.label]), float(values[period.label])
            rows.append(
                {
                    "region": region,
                    "quarters": falls,
                    "first_period": first.label,
                    "first_revenue": start,
                    "revenue": end,
                    "change_pct": end / start - 1 if start else float("nan"),
                }
            )
    out = pd.DataFrame(
        rows,
        columns=["region", "quarters", "first_period", "first_revenue", "revenue", "change_pct"],
    )
    return out.sort_values("change_pct", kind="stable").reset_index(drop=True)


def backorder_sentence(
    orders: pd.DataFrame, *, as_of, recent_days: int = RECENT_BACKORDER_DAYS
) -> str:
    """Whether the backorders at ``as_of`` are recent orders still in progress, or old ones.

    Rule: a backorder (``status == "backordered"``, ordered by ``as_of``) placed in the
    ``recent_days`` days up to ``as_of`` is an order still in progress: a jump of
    recent backorders alone says little about stock yet. Backorders older than that
    point to stock or supply problems.

    >>> o = pd.DataFrame({"order_date": pd.to_datetime(["2025-09-01", "2025-09-20"]),
    ...                   "status": ["backordered", "backordered"]})
    >>> backorder_sentence(o, as_of="2025-09-30")[:60]
    'At 2025-09-30, all 2 backorders were placed in the last 6 we'
    """
    import narwhals as nw

    as_of = pd.Timestamp(as_of)
    weeks = f"{recent_days // 7} weeks" if recent_days % 7 == 0 else f"{recent_days} days"
    # only the backorders' dates leave the engine (few rows)
    backorders = (
        nw.from_native(orders).filter(nw.col("status") == "backordered").select("order_date")
    )
    dates = pd.to_datetime(collect(backorders.to_native())["order_date"])
    dates = dates.loc[dates < as_of.normalize() + pd.Timedelta(days=1)]
    n = len(dates)
    if not n:
        return f"No order is backordered at {as_of:%Y-%m-%d}."
    old = int((dates < as_of.normalize() - pd.Timedelta(days=recent_days - 1)).sum())
    if not old:
        return (
            f"At {as_of:%Y-%m-%d}, "
            + (f"all {fmt_number(n)} backorders were" if n > 1 else "the only backorder was")
            + f" placed in the last {weeks}: these are orders still in progress, not (yet) "
            "a sign of a stock problem. "
            f"Rule: a backorder placed in the last {weeks} is an order in progress."
        )
    return (
        f"At {as_of:%Y-%m-%d}, {fmt_number(old)} of the {fmt_number(n)} backorders are older than {weeks}: "
        "orders waiting that long point to stock or supply problems. "
        f"Rule: a backorder placed in the last {weeks} is an order in progress."
    )


def _kpi_section(name: str) -> tuple[str, str]:
    """Page and section anchor explaining the headline KPI ``name``."""
    for start, where in _KPI_SECTIONS.items():
        if name.startswith(start):
            return where
    return _SECTIONS["unusual KPI"]


def unusual_moves(
    series: dict[str, tuple[str, pd.Series]],
    period: Period,
    *,
    window: int = USUAL_RANGE_QUARTERS,
    sd: float = USUAL_RANGE_SD,
) -> pd.DataFrame:
    """Rate KPIs whose quarter value lies outside their usual range.

    Usual range: mean ± ``sd`` standard deviations of the previous ``window``
    quarters (at least 4 needed). Only rates (``kind == "pct"``) are tested:
    money and counts grow with the business, so their level has no stable range.
    A quarter whose value is still maturing (listed in ``series.attrs["maturing"]``,
    e.g. a lead cohort that can still convert) is not tested: a low value there is
    expected, not news.

    >>> s = pd.Series([0.30, 0.31, 0.29, 0.30, 0.32, 0.15],
    ...               index=["2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3"])
    >>> unusual_moves({"Win rate": ("pct", s)}, Period.parse("2025Q3"))[["kpi", "direction"]]
            kpi direction
    0  Win rate     below
    """
    rows = []
    for name, (kind, values) in series.items():
        if kind != "pct" or period.label not in values.index:
            continue
        if period.label in values.attrs.get("maturing", ()):
            continue
        prior_labels = [period.shift(-k).label for k in range(window, 0, -1)]
        prior = values.reindex(prior_labels).dropna()
        now = values.get(period.label)
        if len(prior) < 4 or _missing(now):
            continue
        mean, spread = float(prior.mean()), float(prior.std(ddof=1))
        lo, hi = mean - sd * spread, mean + sd * spread
        if now < lo or now > hi:
            rows.append(
                {
                    "kpi": name,
                    "kind": kind,
                    "value": float(now),
                    "low": lo,
                    "high": hi,
                    "direction": "below" if now < lo else "above",
                    "quarters": len(prior),
                }
            )
    return pd.DataFrame(
        rows, columns=["kpi", "kind", "value", "low", "high", "direction", "quarters"]
    )


def _rep_names(sales) -> dict[str, str]:
    reps = collect(sales.reps)  # reps are few
    if reps is None or "name" not in reps.columns:
        return {}
    return dict(zip(reps["rep_id"].astype(str), reps["name"].astype(str), strict=False))
