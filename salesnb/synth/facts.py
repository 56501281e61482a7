"""The facts planted in the sample company, in one place: what they are, the
parameters that plant them, and :func:`fact_sheet`, which measures them back
from the tables (its Markdown is pasted into ``data/sample/README.md``).

With the default size and a span of at least two years:

1. **Declining region**: one region (:data:`DECLINE_REGION`) declines over the
   last four quarters while the others grow; its deals also lose more often.
2. **Slow rep**: one veteran Enterprise rep, outside the declining region and
   with the biggest book, has a median sales cycle about twice the company
   median (:data:`SLOW_REP_CYCLE`).
3. **Best lead source**: ``referral`` leads convert 2-3x better than any other
   source (:data:`SOURCE_CONV`), and decide in half the time.
4. **Undercut product**: one competitor undercuts one product by more than 10 %
   in the last two quarters (:data:`UNDERCUT_COMPETITOR`,
   :data:`UNDERCUT_PRODUCT`), and our orders of that product drop.
5. **Overdue invoices**: the share of invoices paid late or not at all jumps for
   invoices due in the last quarter (:data:`OVERDUE_LATE_FACTOR`).
6. **Satisfaction**: one veteran rep's satisfaction score falls steeply over the
   last four quarters (:data:`UNHAPPY_START`, :data:`UNHAPPY_FALL`).
7. **Pushed-out quarter**: in the quarter before the last, many deals are pushed
   out: their expected close date, inside the quarter, is moved past its end
   during it (:data:`PUSH_QUARTER_SHARE`, drawn by :mod:`~salesnb.synth.history`).
8. **Price rise**: from the first day of the third quarter before the last, our
   selling prices are :data:`PRICE_RISE` times higher for the same units
   (:func:`price_rise_day`); in that quarter, year over year, price is the
   largest effect on the revenue of the customers who bought in both quarters.

:func:`planted_periods` gives the days from which facts 1, 4 and 5 apply; the
generators read the constants below where they draw the affected tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.synth.timeline import qstart_day

__all__ = ["fact_sheet", "pushed_out"]

# 1. declining region
#: Index in ``REGIONS`` of the declining region (West); the last region when there are
#: fewer, none when there is only one.
DECLINE_REGION = 3
#: The decline starts this many months before the first day of the last quarter ...
DECLINE_MONTHS = 15
#: ... and scales the region's demand by ``1 - DECLINE_DEPTH * frac ** DECLINE_SHAPE``,
#: ``frac`` going from 0 at its start to 1 at ``end``.
DECLINE_DEPTH = 0.55
DECLINE_SHAPE = 0.7
#: Lowers the win logit of deals created in the declining region during the decline.
DECLINE_WIN_LOGIT = 0.6

# 2. slow rep
#: Sales-cycle multiplier of the slow rep (the other reps draw one in 0.8-1.25).
SLOW_REP_CYCLE = 2.05

# 3. best lead source
#: Base conversion chance of a lead per source, in the order of ``SOURCES``: referral
#: (0.60) converts far better than the others.
SOURCE_CONV = np.array([0.20, 0.60, 0.22, 0.24, 0.15, 0.17])

# 4. undercut product (from the first day of the quarter before the last)
UNDERCUT_PRODUCT = "Monitor 27"
UNDERCUT_COMPETITOR = "Corvex"
#: The competitor's price relative to our list price while undercutting.
UNDERCUT_LEVEL = 0.85
#: Multiplies the undercut product's weight in order choice while undercut (it loses sales).
UNDERCUT_SALES = 0.6

# 5. overdue invoices (invoices due from the first day of the last quarter)
#: Multiplier of each customer's chance of paying late.
OVERDUE_LATE_FACTOR = 2.8
#: Chance that an invoice is never paid: usually, and for invoices due in the last quarter.
NEVER_PAID = 0.012
NEVER_PAID_LAST = 0.03

# 6. satisfaction
#: Mean score of the unhappy rep before the fall, and its fall per quarter over the
#: last four quarters.
UNHAPPY_START = 7.8
UNHAPPY_FALL = 1.4

# 7. pushed-out quarter (the quarter before the last)
#: Chance that a deal open in that quarter, whose final expected close date lies after
#: the quarter's end, had its expected close date pushed out of the quarter during it.
PUSH_QUARTER_SHARE = 0.8


def planted_periods(start: pd.Timestamp, q_end: int, n_regions: int) -> tuple[int, int, int, int]:
    """Where the facts apply: ``(undercut_from, overdue_from, decline_from,
    decline_region)``; days count from ``start``, ``q_end`` is the last quarter
    number (see :class:`~salesnb.synth.timeline.Calendar`), ``decline_region``
    is -1 when nothing declines."""
    undercut_from = max(0, qstart_day(q_end - 1, start))
    overdue_from = max(0, qstart_day(q_end, start))
    decline_ts = pd.Timestamp(year=2000 + q_end // 4, month=3 * (q_end % 4) + 1, day=1)
    decline_from = max(1, (decline_ts - pd.DateOffset(months=DECLINE_MONTHS) - start).days)
    decline_region = min(DECLINE_REGION, n_regions - 1) if n_regions > 1 else -1
    return undercut_from, overdue_from, decline_from, decline_region


def fact_sheet(tables: dict[str, pd.DataFrame]) -> str:
    """The planted facts and row counts, computed from the tables, as Markdown.

    Definitions (``end`` is the latest order date; quarters are calendar
    quarters; revenue is the ``amount`` of orders that are not cancelled):

    1. *Declining region*: revenue of the last 4 quarters vs the 4 before, and
       year-over-year growth of each of the last 4 quarters, per region.
    2. *Slow rep*: median of ``closed_at - created_at`` (days) over won deals,
       per rep vs all won deals of the company and of the rep's team.
    3. *Best lead source*: ``converted`` leads / all leads per source.
    4. *Undercut product*: mean competitor price / our list price per product,
       competitor and quarter, in the last two quarters.
    5. *Overdue invoices*: per quarter of ``due_date`` (invoices due by
       ``end``), share of invoices (count and amount) not paid by their due
       date (paid later or unpaid).
    6. *Satisfaction*: mean score per rep over the last 4 quarters and the
       least-squares slope of the rep's scores over those quarters.
    7. *Pushed-out deals*: per quarter of ``changed_at``, the deals of
       ``opportunity_history`` with a change after which the deal is open and its
       ``expected_close_date`` lies after the quarter's end while the one before
       the change did not; their value is the deal's ``amount`` after that change
       (a deal counts once per quarter, at its first such change).

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Tables as returned by :func:`~salesnb.synth.generate` (or the sample loaded back).

    Returns
    -------
    str
        Markdown text (pasted into ``data/sample/README.md``).
    """
    t = tables
    orders = t["orders"]
    end = orders["order_date"].max()
    q_end = end.to_period("Q")
    last4 = [str(q_end - i) for i in range(3, -1, -1)]
    prev4 = [str(q_end - i) for i in range(7, 3, -1)]
    ok = orders[orders["status"] != "cancelled"]
    out = [
        *_row_counts(t),
        *_region_revenue(ok, prev4, last4),
        *_slow_rep(t),
        *_lead_sources(t),
        *_undercut(t, prev4, last4),
        *_overdue_invoices(orders, end, prev4, last4),
        *_satisfaction(t, last4),
        *_pushed_out(t, prev4, last4),
        *_price_rise(ok, q_end),
        *_other_structure(t, ok, end),
    ]
    return "\n".join(out)


def _row_counts(t: dict[str, pd.DataFrame]) -> list[str]:
    """Rows per table."""
    out: list[str] = []
    out.append("Row counts:")
    out.append("")
    out.append("| table | rows |")
    out.append("|---|---|")
    for name, frame in t.items():
        out.append(f"| `{name}` | {len(frame):,} |")
    out.append("")
    return out


def _region_revenue(ok: pd.DataFrame, prev4: list[str], last4: list[str]) -> list[str]:
    """1. Revenue per region and quarter; the declining region."""
    out: list[str] = []
    rq = ok.assign(q=ok["order_date"].dt.to_period("Q").astype(str)).pivot_table(
        index="region", columns="q", values="amount", aggfunc="sum", fill_value=0.0
    )
    out.append(
        "**1. Region revenue** (not cancelled orders), last 4 quarters vs the 4 before,"
        " and year-over-year growth per quarter:"
    )
    out.append("")
    out.append(
        "| region | "
        + " | ".join(prev4 + last4)
        + " | last 4Q vs prior 4Q | "
        + " | ".join(f"YoY {q}" for q in last4)
        + " |"
    )
    out.append("|---" * (1 + 8 + 1 + 4) + "|")
    growth = {}
    for region, row in rq.iterrows():
        vals = [row.get(q, 0.0) for q in prev4 + last4]
        g = sum(vals[4:]) / sum(vals[:4]) - 1 if sum(vals[:4]) else float("nan")
        growth[region] = g
        yoy = [(vals[4 + i] / vals[i] - 1) if vals[i] else float("nan") for i in range(4)]
        out.append(
            f"| {region} | "
            + " | ".join(f"{v:,.0f}" for v in vals)
            + f" | {g:+.1%} | "
            + " | ".join(f"{y:+.1%}" for y in yoy)
            + " |"
        )
    worst = min(growth, key=growth.get)
    seq = [rq.loc[worst].get(q, 0.0) for q in last4]
    out.append("")
    out.append(
        f"Declining region: **{worst}** ({growth[worst]:+.1%} over the last 4 quarters;"
        " the other regions: "
        + ", ".join(f"{r} {g:+.1%}" for r, g in growth.items() if r != worst)
        + f"). {worst} quarter by"
        " quarter: " + " > ".join(f"{v:,.0f}" for v in seq) + "."
    )
    out.append("")
    return out


def _slow_rep(t: dict[str, pd.DataFrame]) -> list[str]:
    """2. Median sales cycle of won deals per rep; the slowest rep."""
    out: list[str] = []
    opp = t["opportunities"]
    won = opp[opp["status"] == "won"]
    cyc = (won["closed_at"] - won["created_at"]).dt.total_seconds() / 86400
    won = won.assign(cycle=cyc).merge(t["reps"][["rep_id", "name", "team"]], on="rep_id")
    med = won.groupby("rep_id")["cycle"].median().sort_values(ascending=False)
    team_med = won["cycle"].median()
    slow = med.index[0]
    srow = t["reps"].set_index("rep_id").loc[slow]
    own_team = won[won["team"] == srow["team"]]["cycle"].median()
    n_slow = int((won["rep_id"] == slow).sum())
    out.append(
        f"**2. Slow rep**: **{slow} {srow['name']}** ({srow['team']}, {srow['region']}):"
        f" median sales cycle {med.iloc[0]:.1f} days over {n_slow} won deals, vs"
        f" {team_med:.1f} days for all won deals (ratio {med.iloc[0] / team_med:.2f})"
        f" and {own_team:.1f} days in the {srow['team']} team (ratio"
        f" {med.iloc[0] / own_team:.2f}); median of the per-rep medians"
        f" {med.median():.1f} days; next slowest rep {med.index[1]} at"
        f" {med.iloc[1]:.1f} days."
    )
    out.append("")
    return out


def _lead_sources(t: dict[str, pd.DataFrame]) -> list[str]:
    """3. Lead conversion per source; the best source."""
    out: list[str] = []
    leads = t["leads"]
    conv = (
        leads.groupby("source")["converted"]
        .agg(["size", "mean"])
        .sort_values("mean", ascending=False)
    )
    best = conv.index[0]
    out.append("**3. Lead conversion by source** (converted / all leads):")
    out.append("")
    out.append("| source | leads | conversion |")
    out.append("|---|---|---|")
    for s, row in conv.iterrows():
        out.append(f"| {s} | {int(row['size']):,} | {row['mean']:.1%} |")
    out.append("")
    out.append(
        f"Best source: **{best}**, {conv['mean'].iloc[0] / conv['mean'].iloc[1]:.2f}x the"
        f" next best ({conv.index[1]}) and {conv['mean'].iloc[0] / conv['mean'].iloc[1:].mean():.2f}x"
        " the mean of the other sources."
    )
    out.append("")
    return out


def _undercut(t: dict[str, pd.DataFrame], prev4: list[str], last4: list[str]) -> list[str]:
    """4. Competitor price / list price in the last two quarters; undercut products."""
    out: list[str] = []
    orders = t["orders"]
    cp = t["competitor_prices"].merge(t["products"][["product", "list_price"]], on="product")
    cp = cp.assign(
        q=cp["observed_date"].dt.to_period("Q").astype(str), ratio=cp["price"] / cp["list_price"]
    )
    last2 = last4[-2:]
    rel = cp[cp["q"].isin(last2)].groupby(["product", "competitor", "q"])["ratio"].mean()
    rel = rel.unstack("q")
    under = rel[(rel < 0.9).all(axis=1)]
    before = cp[~cp["q"].isin(last2)].groupby(["product", "competitor"])["ratio"].mean()
    out.append("**4. Competitor undercut** (mean competitor price / our list price):")
    out.append("")
    for (prod, comp), row in under.iterrows():
        lp = float(t["products"].set_index("product").at[prod, "list_price"])
        out.append(
            f"- **{comp}** undercuts **{prod}** (list price {lp:,.2f}): "
            + ", ".join(f"{q} {row[q]:.3f} ({row[q] - 1:+.1%})" for q in last2)
            + f"; before {last2[0]} it averaged {before[(prod, comp)]:.3f}."
        )
        oq = orders["order_date"].dt.to_period("Q").astype(str)
        mine = orders["product"] == prod
        now = int((mine & oq.isin(last2)).sum())
        year_ago = int((mine & oq.isin(prev4[-2:])).sum())
        out.append(
            f"  Our orders of {prod} in {last2[0]}-{last2[1]}: {now} vs {year_ago} a year"
            f" earlier ({now / year_ago - 1:+.1%})."
        )
    others = rel.drop(index=under.index)
    out.append(
        f"- every other product/competitor pair stays at or above"
        f" {others.min().min():.3f} of list price in {last2[0]}-{last2[1]}."
    )
    out.append("")
    return out


def _overdue_invoices(
    orders: pd.DataFrame, end: pd.Timestamp, prev4: list[str], last4: list[str]
) -> list[str]:
    """5. Share of invoices not paid by their due date, per quarter of the due date."""
    out: list[str] = []
    inv = orders[orders["due_date"].notna() & (orders["due_date"] <= end)]
    late = inv["paid_at"].isna() | (inv["paid_at"].dt.normalize() > inv["due_date"])
    inv = inv.assign(
        q=inv["due_date"].dt.to_period("Q").astype(str),
        late=late,
        late_amount=inv["amount"].where(late, 0.0),
    )
    per_q = inv.groupby("q").agg(
        invoices=("late", "size"),
        late=("late", "sum"),
        amount=("amount", "sum"),
        late_amount=("late_amount", "sum"),
    )
    per_q = per_q.loc[[q for q in prev4 + last4 if q in per_q.index]]
    out.append("**5. Invoices not paid by their due date**, by quarter of the due date:")
    out.append("")
    out.append("| due quarter | invoices | not paid by due date | share | amount share |")
    out.append("|---|---|---|---|---|")
    for q, row in per_q.iterrows():
        out.append(
            f"| {q} | {int(row['invoices']):,} | {int(row['late']):,} |"
            f" {row['late'] / row['invoices']:.1%} |"
            f" {row['late_amount'] / row['amount']:.1%} |"
        )
    share = per_q["late"] / per_q["invoices"]
    out.append("")
    out.append(
        f"Latest quarter {last4[-1]}: {share.iloc[-1]:.1%} vs"
        f" {share.iloc[-5:-1].mean():.1%} on average over the 4 quarters before"
        f" ({share.iloc[-1] / share.iloc[-5:-1].mean():.2f}x)."
    )
    out.append("")
    return out


def _satisfaction(t: dict[str, pd.DataFrame], last4: list[str]) -> list[str]:
    """6. Slope of each rep's satisfaction scores; the steepest fall."""
    out: list[str] = []
    sat = t["satisfaction"].assign(q=t["satisfaction"]["survey_date"].dt.to_period("Q").astype(str))
    sat4 = sat[sat["q"].isin(last4)]
    qi = {q: i for i, q in enumerate(last4)}
    slopes = sat4.groupby("rep_id").apply(
        lambda g: np.polyfit(g["q"].map(qi), g["score"], 1)[0] if len(g) > 1 else np.nan,
        include_groups=False,
    )
    worst_rep = slopes.idxmin()
    scores = sat[sat["rep_id"] == worst_rep].set_index("q")["score"]
    wname = t["reps"].set_index("rep_id").at[worst_rep, "name"]
    others_slope = slopes.drop(worst_rep)
    out.append(
        f"**6. Satisfaction**: **{worst_rep} {wname}** scores "
        + ", ".join(f"{q} {int(v)}" for q, v in scores.tail(6).items())
        + f" (slope {slopes[worst_rep]:+.2f} points per quarter over the last 4"
        f" quarters; other reps between {others_slope.min():+.2f} and"
        f" {others_slope.max():+.2f}; company mean score in {last4[-1]}:"
        f" {sat[sat['q'] == last4[-1]]['score'].mean():.1f})."
    )
    out.append("")
    return out


def pushed_out(history: pd.DataFrame) -> pd.DataFrame:
    """Deals pushed out of a quarter, per quarter of the change (fact 7).

    A change pushes a deal out of quarter ``q`` (the quarter of ``changed_at``)
    when the deal is open after it and its ``expected_close_date`` moves from on
    or before the last day of ``q`` to after it. A deal counts once per quarter,
    with its ``amount`` after its first such change.

    Returns
    -------
    pandas.DataFrame
        Index: quarter labels (``"2026Q2"``) with a push; columns ``deals``,
        ``value``.
    """
    h = history.sort_values(["opportunity_id", "changed_at"], kind="stable")
    before = h.groupby("opportunity_id", sort=False)["expected_close_date"].shift()
    q = h["changed_at"].dt.to_period("Q")
    q_last_day = q.dt.end_time.dt.normalize()
    out = (h["status"] == "open") & (before <= q_last_day) & (h["expected_close_date"] > q_last_day)
    pushes = h.loc[out, ["opportunity_id", "amount"]].assign(q=q[out].astype(str))
    pushes = pushes.drop_duplicates(["opportunity_id", "q"])
    return pushes.groupby("q").agg(deals=("opportunity_id", "size"), value=("amount", "sum"))


def _pushed_out(t: dict[str, pd.DataFrame], prev4: list[str], last4: list[str]) -> list[str]:
    """7. Deals pushed out of each quarter; the quarter with the most value pushed out."""
    per_q = pushed_out(t["opportunity_history"])
    worst = per_q["value"].idxmax()
    others = per_q.drop(index=worst)
    shown = per_q.reindex(prev4 + last4, fill_value=0)
    out = [
        "**7. Deals pushed out of a quarter** (open deals whose expected close date was"
        " moved past the quarter's end during the quarter; value = amount after the move):",
        "",
        "| quarter | deals pushed out | value |",
        "|---|---|---|",
    ]
    for q, row in shown.iterrows():
        out.append(f"| {q} | {int(row['deals']):,} | {row['value']:,.0f} |")
    out.append("")
    out.append(
        f"Pushed-out quarter: **{worst}**: {int(per_q.at[worst, 'deals'])} deals worth"
        f" {per_q.at[worst, 'value']:,.0f} moved out; every other quarter at most"
        f" {int(others['deals'].max())} deals and {others['value'].max():,.0f}"
        f" ({per_q.at[worst, 'value'] / others['value'].max():.2f}x)."
    )
    out.append("")
    return out


def _other_structure(t: dict[str, pd.DataFrame], ok: pd.DataFrame, end: pd.Timestamp) -> list[str]:
    """Revenue by quarter, repeat buyers, win rates, idle deals, online share."""
    out: list[str] = []
    opp = t["opportunities"]
    revq = ok.groupby(ok["order_date"].dt.to_period("Q").astype(str))["amount"].sum()
    per_c = ok.groupby("customer_id")["amount"].agg(["size", "sum"])
    top = per_c["sum"].sort_values(ascending=False)
    closed = opp[opp["status"] != "open"]
    wr = (closed["status"] == "won").groupby(closed["rep_id"]).mean()
    open_ = opp[opp["status"] == "open"]
    idle = (end - open_["last_activity_at"]).dt.days
    online = (ok["channel"] == "online").groupby(ok["order_date"].dt.year).mean()
    out.append("**Other structure**:")
    out.append("")
    out.append(
        "- company revenue by quarter: " + ", ".join(f"{q} {v:,.0f}" for q, v in revq.items()) + "."
    )
    out.append(
        f"- customers with orders: {len(per_c):,}; one-time buyers"
        f" {(per_c['size'] == 1).mean():.1%}; the top 10% of customers bring"
        f" {top.head(len(top) // 10).sum() / top.sum():.1%} of revenue; most orders by"
        f" one customer: {int(per_c['size'].max())}."
    )
    out.append(
        f"- win rate of closed deals by rep: {wr.min():.0%} to {wr.max():.0%}"
        f" (company {(closed['status'] == 'won').mean():.1%})."
    )
    out.append(
        f"- open deals: {len(open_)} worth {open_['amount'].sum():,.0f}; of these"
        f" {int((idle > 60).sum())} (worth"
        f" {open_.loc[idle > 60, 'amount'].sum():,.0f}) have had no activity for more"
        " than 60 days."
    )
    out.append(
        "- online share of orders by year: "
        + ", ".join(f"{y} {v:.0%}" for y, v in online.items())
        + "."
    )
    return out


# 8. price rise (from the first day of the third quarter before the last)
#: Our selling prices of purchase orders rise by this factor; customers buy the same
#: units as they would have (won deals keep the amount negotiated on the deal).
PRICE_RISE = 1.08


def price_rise_day(start: pd.Timestamp, q_end: int) -> int:
    """First day (counted from ``start``) of the higher prices of fact 8."""
    return max(0, qstart_day(q_end - 2, start))


def _continuing_effects(ok: pd.DataFrame, prev: str, cur: str) -> dict[str, float]:
    """8. Price, volume and mix of the customers who bought in both quarters.

    Per product bought by those customers in both quarters (``a`` revenue, ``q``
    units): ``price = sum(a1 - a0 * q1 / q0)``, ``volume = (Q1 - Q0) * A0 / Q0``,
    ``mix`` = their change - price - volume (the rule of
    :func:`salesnb.kpi.revenue_bridge`, recomputed here in pandas).
    """
    q = ok["order_date"].dt.to_period("Q").astype(str)
    rows = ok[q.isin([prev, cur])].assign(q=q)
    seen = rows.groupby("customer_id")["q"].nunique()
    rows = rows[rows["customer_id"].isin(seen.index[seen == 2])]
    per = rows.pivot_table(
        index="product", columns="q", values=["amount", "quantity"], aggfunc="sum"
    ).dropna()
    a0, a1 = per[("amount", prev)], per[("amount", cur)]
    q0, q1 = per[("quantity", prev)], per[("quantity", cur)]
    price = float((a1 - a0 * q1 / q0).sum())
    volume = float((q1.sum() - q0.sum()) * a0.sum() / q0.sum())
    change = float(a1.sum() - a0.sum())
    return {"price": price, "volume": volume, "mix": change - price - volume, "change": change}


def _price_rise(ok: pd.DataFrame, q_end: pd.Period) -> list[str]:
    """8. The price rise: year-over-year price, volume and mix in its first quarter."""
    first = rise = q_end - 2
    cur, prev, before = str(first), str(first - 4), str(first - 8)
    now = _continuing_effects(ok, prev, cur)
    earlier = _continuing_effects(ok, before, prev)
    revq = ok.groupby(ok["order_date"].dt.to_period("Q").astype(str))["amount"].sum()
    units = ok.groupby(ok["order_date"].dt.to_period("Q").astype(str))["quantity"].sum()
    return [
        f"**8. Price rise**: from {rise.start_time.date()} our selling prices are"
        f" {PRICE_RISE - 1:.0%} higher (the same units; won deals keep the amount of the"
        " deal; `products.list_price` keeps the earlier list price). Revenue bridge"
        f" **{cur}** vs {prev} (year over year), customers who bought in both quarters:"
        f" price effect **{now['price']:+,.0f}**, volume {now['volume']:+,.0f}, mix"
        f" {now['mix']:+,.0f} (their revenue {now['change']:+,.0f}): price is the largest"
        f" part. A year earlier ({prev} vs {before}) the price effect was"
        f" {earlier['price']:+,.0f}. Company revenue {cur}:"
        f" {revq[cur] / revq[prev] - 1:+.1%} year over year, units sold"
        f" {units[cur] / units[prev] - 1:+.1%}.",
        "",
    ]
