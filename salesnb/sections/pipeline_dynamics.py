"""The pipeline-dynamics page: what happened to the pipeline, the revenue bridge, the plan.

The section functions of ``06_pipeline_dynamics`` (and the three lines it gives the
executive summary). The measures are :mod:`salesnb.kpi` functions
(:func:`~salesnb.kpi.pipeline_waterfall`, :func:`~salesnb.kpi.opportunities_as_of`,
:func:`~salesnb.kpi.stage_conversion`, :func:`~salesnb.kpi.revenue_bridge`,
:func:`~salesnb.kpi.quota_plan_from_opportunities`); this module chooses the windows
a quarterly page shows and words the results.

Quarter waterfall: the pipeline of a quarter is the open deals expected to close in it.
A single comparison of its first and last day misses every deal created and closed (or
pushed out) in between, which with cycles of a few weeks is most of them; so the
quarter's waterfall is the sum of the weekly waterfalls from the day before the quarter
to its last day (start of week 1, then each step summed over the weeks, then the end of
the last week). The steps still add up exactly (each week's end is the next week's
start); a deal created and closed or pushed out within one week is in no step.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from salesnb.periods import Period
from salesnb.sections.format import fmt_money, fmt_pct

__all__ = [
    "WATERFALL_LABELS",
    "BRIDGE_LABELS",
    "quarter_waterfall",
    "pushed_out_by_quarter",
    "waterfall_sentence",
    "pushed_out_sentence",
    "pipeline_at_quarter_ends",
    "stage_movement",
    "bridge_table",
    "bridge_sentence",
    "price_led_quarters",
    "price_led_sentence",
    "quota_planner",
    "QuotaPlanner",
    "summary_lines",
    "deals_at",
]

#: Plain names of the waterfall steps (:func:`salesnb.kpi.pipeline_waterfall`).
WATERFALL_LABELS = {
    "start": "start",
    "new": "new deals",
    "reopened": "reopened",
    "pulled_in": "pulled in",
    "increased": "raised",
    "decreased": "cut",
    "pushed_out": "pushed out",
    "won": "won",
    "lost": "lost",
    "end": "end",
}
_SENTENCE_LABELS = {"increased": "amounts raised", "decreased": "amounts cut"}
#: Plain names of the revenue-bridge steps (:func:`salesnb.kpi.revenue_bridge`).
BRIDGE_LABELS = {
    "previous revenue": "previous quarter",
    "price": "price",
    "volume": "volume",
    "mix": "product mix",
    "without units": "no unit count",
    "new products": "new products",
    "dropped products": "dropped products",
    "new customers": "new customers",
    "returning customers": "customers back",
    "lost customers": "lost customers",
    "current revenue": "this quarter",
}


def _period(period: Period | str) -> Period:
    """``period`` as a quarter of the report's calendar (the active settings')."""
    if isinstance(period, Period):
        return period
    from salesnb.sections.settings import active_settings

    return Period.parse(str(period), fiscal_year_start=active_settings().fiscal_year_start)


def _signed_pct(value: float, decimals: int = 1) -> str:
    """``+12.5%`` / ``-3.0%`` / ``0%``."""
    text = fmt_pct(value, decimals=decimals)
    return text if value <= 0 or text.startswith("+") else "+" + text


def _day(ts: Any) -> pd.Timestamp:
    return pd.Timestamp(ts).normalize()


def quarter_waterfall(
    history: Any, period: Period | str, *, as_of: Any = None, step_days: int = 7
) -> pd.DataFrame:
    """What happened to the quarter's pipeline: weekly waterfalls summed over the quarter.

    Formula: for the days ``d0 < d1 < ... < dn`` (``d0`` the day before the
    quarter, then every ``step_days`` days, ``dn`` the quarter's last day or
    ``as_of`` when earlier), :func:`salesnb.kpi.pipeline_waterfall` of each
    ``(d[i], d[i+1])`` with ``window`` = the quarter; ``start`` is the first
    interval's start, ``end`` the last interval's end, every other step the sum
    over the intervals (value and deals; a deal pushed out twice counts twice).
    ``start + sum(steps) = end`` exactly (up to rounding of the sums).

    Returns ``step, label, value, deals``, in the order of the KPI's steps.

    >>> history = pd.DataFrame({
    ...     "opportunity_id": ["A", "A", "B", "B"],
    ...     "changed_at": pd.to_datetime(["2025-06-20", "2025-07-20", "2025-07-03",
    ...                                   "2025-08-10"]),
    ...     "stage": ["proposal"] * 4, "status": ["open", "won", "open", "open"],
    ...     "amount": [100.0, 100.0, 50.0, 50.0],
    ...     "expected_close_date": pd.to_datetime(["2025-07-31", "2025-07-31",
    ...                                            "2025-08-31", "2025-10-15"]),
    ... })
    >>> steps = quarter_waterfall(history, "2025Q3")
    >>> steps.set_index("step").loc[["start", "new", "won", "pushed_out", "end"], "value"].tolist()
    [100.0, 50.0, -100.0, -50.0, 0.0]
    """
    from salesnb import kpi
    from salesnb.sections.engine_inputs import collect

    per = _period(period)
    first = _day(per.start) - pd.Timedelta(days=1)
    last = _day(per.last_day)
    if as_of is not None:
        last = min(last, _day(as_of))
    days = list(pd.date_range(first, last, freq=f"{step_days}D"))
    if days[-1] != last:
        days.append(last)
    if len(days) < 2:
        days = [first, first]
    total: pd.DataFrame | None = None
    start = end = None
    for a, b in zip(days[:-1], days[1:], strict=True):
        steps = collect(
            kpi.pipeline_waterfall(
                history,
                start=a.date(),
                end=b.date(),
                window=(per.start.date(), per.last_day.date()),
            )
        ).set_index("step")
        if start is None:
            start = steps.loc["start", ["value", "deals"]]
        end = steps.loc["end", ["value", "deals"]]
        parts = steps.drop(index=["start", "end"])[["value", "deals"]]
        total = parts if total is None else total.add(parts, fill_value=0)
    rows = [("start", *start.tolist())]
    rows += [(name, float(r["value"]), int(r["deals"])) for name, r in total.iterrows()]
    rows.append(("end", *end.tolist()))
    out = pd.DataFrame(rows, columns=["step", "value", "deals"])
    out["deals"] = out["deals"].astype("int64")
    out["value"] = out["value"].astype(float).round(2)
    out.insert(1, "label", out["step"].map(WATERFALL_LABELS).fillna(out["step"]))
    return out


def waterfall_sentence(steps: pd.DataFrame, period: Period | str, *, currency: str = "$") -> str:
    """One sentence: start and end of the quarter's pipeline and its largest change.

    >>> steps = pd.DataFrame({"step": ["start", "won", "pushed_out", "end"],
    ...                       "value": [100.0, -30.0, -50.0, 20.0], "deals": [3, 1, 2, 0]})
    >>> waterfall_sentence(steps, "2025Q3")
    'The pipeline expected to close in 2025Q3 went from $100 (3 deals) at the start of the quarter to $20 at its end; the largest change: pushed out -$50 (2 deals).'
    """
    per = _period(period)
    by = steps.set_index("step")
    parts = by.drop(index=["start", "end"], errors="ignore")
    parts = parts[parts["value"] != 0]
    text = (
        f"The pipeline expected to close in {per.title} went from "
        f"{fmt_money(by.at['start', 'value'], currency=currency)} "
        f"({int(by.at['start', 'deals'])} deals) at the start of the quarter to "
        f"{fmt_money(by.at['end', 'value'], currency=currency)} at its end"
    )
    if parts.empty:
        return text + "; nothing changed in between."
    big = parts["value"].abs().idxmax()
    value = parts.at[big, "value"]
    sign = "+" if value > 0 else "-"
    return (
        f"{text}; the largest change: {_SENTENCE_LABELS.get(big, WATERFALL_LABELS.get(big, big))} "
        f"{sign}{fmt_money(abs(value), currency=currency)} ({int(parts.at[big, 'deals'])} deals)."
    )


def pushed_out_by_quarter(history: Any, period: Period | str, *, quarters: int = 8) -> pd.DataFrame:
    """Deals pushed out of each of the last ``quarters`` quarters up to ``period``.

    Rule: a deal is *pushed out of quarter q* when a change dated in q leaves it
    open with an expected close date after q's last day (or none) while its
    expected close date just before that change fell in q. Counted once per deal
    and quarter, with the deal's amount after that change (a missing amount
    counts 0). Unlike the quarter's waterfall, this also counts deals created
    and pushed out within the same week. Quarters before the first history row
    are left out.

    Returns ``quarter, pushed_deals, pushed_out`` (value).

    >>> history = pd.DataFrame({
    ...     "opportunity_id": ["A", "A", "B", "B"],
    ...     "changed_at": pd.to_datetime(["2025-07-02", "2025-08-20", "2025-07-03",
    ...                                   "2025-09-10"]),
    ...     "status": ["open", "open", "open", "open"], "amount": [100.0, 120.0, 50.0, 50.0],
    ...     "expected_close_date": pd.to_datetime(["2025-09-15", "2025-10-20", "2025-09-30",
    ...                                            "2025-09-20"]),
    ... })
    >>> pushed_out_by_quarter(history, "2025Q3", quarters=1).to_dict("records")
    [{'quarter': '2025Q3', 'pushed_deals': 1, 'pushed_out': 120.0}]
    """
    from salesnb.sections.engine_inputs import collect

    per = _period(period)
    cols = ["opportunity_id", "changed_at", "status", "amount", "expected_close_date"]
    rows = collect(history)[cols].copy()
    rows["changed_at"] = pd.to_datetime(rows["changed_at"])
    rows["expected_close_date"] = pd.to_datetime(rows["expected_close_date"]).dt.normalize()
    rows["_closing"] = rows["status"].ne("open")  # at the same time, closing comes last
    rows = rows.sort_values(["opportunity_id", "changed_at", "_closing"], kind="stable")
    rows["_before"] = rows.groupby("opportunity_id", sort=False)["expected_close_date"].shift(1)
    first = rows["changed_at"].min()
    out = []
    for k in range(quarters - 1, -1, -1):
        q = per.shift(-k)
        lo, hi = _day(q.start), _day(q.last_day)
        if pd.isna(first) or hi < _day(first):
            continue
        day_after = hi + pd.Timedelta(days=1)
        during = rows[(rows["changed_at"] >= lo) & (rows["changed_at"] < day_after)]
        moved = during[
            during["status"].eq("open")
            & during["_before"].between(lo, hi)
            & ~(during["expected_close_date"] <= hi)
        ]
        last = moved.drop_duplicates("opportunity_id", keep="last")
        out.append(
            {
                "quarter": q.title,
                "pushed_deals": int(len(last)),
                "pushed_out": float(last["amount"].fillna(0).sum()),
            }
        )
    return pd.DataFrame(out, columns=["quarter", "pushed_deals", "pushed_out"])


def pushed_out_sentence(table: pd.DataFrame, *, currency: str = "$") -> str:
    """Which quarter had the most deal value pushed out, against the others.

    >>> t = pd.DataFrame({"quarter": ["2025Q1", "2025Q2", "2025Q3"],
    ...                   "pushed_out": [10.0, 90.0, 20.0], "pushed_deals": [1, 9, 2]})
    >>> pushed_out_sentence(t)
    'Most deal value pushed out of its quarter: **2025Q2**, $90 in 9 deals (4.5x the next highest quarter, 2025Q3 with $20).'
    """
    if table.empty or not (table["pushed_out"] > 0).any():
        return "No deal was pushed out of its quarter in these quarters."
    ranked = table.sort_values("pushed_out", ascending=False).reset_index(drop=True)
    top = ranked.iloc[0]
    text = (
        f"Most deal value pushed out of its quarter: **{top['quarter']}**, "
        f"{fmt_money(top['pushed_out'], currency=currency)} in {int(top['pushed_deals'])} deals"
    )
    if len(ranked) > 1 and ranked.iloc[1]["pushed_out"] > 0:
        nxt = ranked.iloc[1]
        ratio = top["pushed_out"] / nxt["pushed_out"]
        text += (
            f" ({ratio:.1f}x the next highest quarter, {nxt['quarter']} with "
            f"{fmt_money(nxt['pushed_out'], currency=currency)})"
        )
    return text + "."


def pipeline_at_quarter_ends(sales: Any, period: Period | str) -> pd.DataFrame:
    """The pipeline as it stood at the end of ``period`` and of the quarter before.

    Both columns are rebuilt from the deal history
    (:func:`salesnb.kpi.opportunities_as_of` at each quarter's last day), so a
    past quarter shows its own pipeline, not today's state of its deals. Rows:

    - ``open deals`` and ``open pipeline``: deals open at that day, their amount;
    - ``pipeline for the next quarter`` and ``coverage of the next quarter's
      target``: :func:`salesnb.kpi.pipeline_coverage` of the following quarter
      at that day (coverage = open pipeline expected in the quarter / the part
      of its target not yet booked; missing without targets);
    - ``stale deals``: :func:`salesnb.kpi.stale_deals` at that day (deals idle
      longer than their stage's threshold).
    """
    from salesnb import kpi
    from salesnb.sections.engine_inputs import collect

    per = _period(period)
    history = sales.opportunity_history
    opps = sales.tables.get("opportunities")
    targets = sales.tables.get("targets")
    columns = {}
    for q in (per.shift(-1), per):
        day = _day(q.last_day)
        state = collect(
            kpi.opportunities_as_of(history, as_of=day.date(), opportunities=opps,
                                    pipeline=sales.pipeline)
        )  # fmt: skip
        open_ = state[state["status"] == "open"]
        nxt = q.shift(1)
        values: dict[str, Any] = {
            "open deals": float(len(open_)),
            "open pipeline": float(open_["amount"].fillna(0).sum()),
        }
        if targets is not None:
            cov = collect(
                kpi.pipeline_coverage(
                    state,
                    collect(targets),
                    period=nxt.label,
                    as_of=day,
                    fiscal_year_start=per.fiscal_year_start,
                )
            )
            values["pipeline for the next quarter"] = float(cov["pipeline_amount"].iloc[0])
            values["coverage of the next quarter's target"] = float(cov["coverage"].iloc[0])
        stale = collect(kpi.stale_deals(state, as_of=day, pipeline=sales.pipeline))
        values["stale deals"] = float(len(stale))
        columns[f"end of {q.title}"] = values
    table = pd.DataFrame(columns)
    table.index.name = "measure"
    return table.reset_index()


def stage_movement(history: Any, period: Period | str, *, pipeline: Any = None) -> pd.DataFrame:
    """Per stage, the stays started in ``period``: entered, moved on, days in the stage.

    :func:`salesnb.kpi.stage_conversion` rows of ``period`` with its change
    against the previous quarter: ``conversion_rate`` = stays that moved to a
    later stage or won / stays started; ``median_days_in_stage`` over the stays
    that ended; ``conversion_rate_change_pp`` is the rate's change in
    percentage points. Recent stays may still be open (``in_stage``), so the
    latest quarter's rate can still rise.
    """
    from salesnb import kpi
    from salesnb.sections.engine_inputs import collect

    per = _period(period)
    table = collect(
        kpi.stage_conversion(history, freq="quarter", as_of=_day(per.last_day).date(),
                             pipeline=pipeline, fiscal_year_start=per.fiscal_year_start)
    )  # fmt: skip
    rows = table[table["period"] == per.label].copy()
    if "conversion_rate_change" in rows.columns:  # a difference of two rates: in points
        rows["conversion_rate_change_pp"] = rows["conversion_rate_change"] * 100
    keep = ["stage", "entered", "advanced", "lost", "in_stage", "conversion_rate",
            "conversion_rate_change_pp", "median_days_in_stage", "median_days_in_stage_change"]  # fmt: skip
    return rows[[c for c in keep if c in rows.columns]].reset_index(drop=True)


def bridge_table(bridge: pd.DataFrame) -> pd.DataFrame:
    """The bridge's steps with plain labels (zero parts left out, totals kept)."""
    rows = bridge[(bridge["kind"] == "total") | (bridge["value"] != 0)].copy()
    rows["label"] = rows["step"].map(BRIDGE_LABELS).fillna(rows["step"])
    return rows[["step", "label", "value", "kind"]].reset_index(drop=True)


def bridge_sentence(bridge: pd.DataFrame, *, currency: str = "$") -> str:
    """Revenue from the previous period to this one, and what moved it most.

    >>> b = pd.DataFrame({"period": "2025Q3", "previous_period": "2025Q2",
    ...     "step": ["previous revenue", "price", "volume", "new customers", "lost customers",
    ...              "current revenue"], "value": [100.0, 5.0, 10.0, 20.0, -15.0, 120.0],
    ...     "kind": ["total", "continuing", "continuing", "customers", "customers", "total"]})
    >>> bridge_sentence(b)
    'Revenue 2025Q3 $120 against $100 in 2025Q2 (+20.0%): new customers +$20, lost customers -$15, volume +$10, price +$5.'
    """
    steps = bridge.set_index("step")["value"]
    prev, cur = float(steps["previous revenue"]), float(steps["current revenue"])
    from salesnb.sections.settings import period_text

    period = period_text(bridge["period"].iloc[0])
    previous = period_text(bridge["previous_period"].iloc[0])
    change = f" ({_signed_pct(cur / prev - 1)})" if prev else ""
    parts = steps.drop(["previous revenue", "current revenue"])
    parts = parts[parts != 0].reindex(parts[parts != 0].abs().sort_values(ascending=False).index)
    words = ", ".join(
        f"{BRIDGE_LABELS.get(k, k)} {'+' if v > 0 else '-'}{fmt_money(abs(v), currency=currency)}"
        for k, v in parts.head(4).items()
    )
    return (
        f"Revenue {period} {fmt_money(cur, currency=currency)} against "
        f"{fmt_money(prev, currency=currency)} in {previous}{change}"
        + (f": {words}." if words else ".")
    )


def price_led_quarters(lines: Any, period: Period | str, *, quarters: int = 4) -> pd.DataFrame:
    """Year-over-year price, volume and mix of the last ``quarters`` quarters.

    Per quarter q up to ``period``: :func:`salesnb.kpi.revenue_bridge` of q
    against the same quarter a year earlier; ``price``, ``volume``, ``mix`` are
    the continuing customers' effects, ``growth`` = current / previous revenue −
    1, ``price_led`` is true when the price effect is positive and larger than
    the volume effect (the growth of the customers who stayed came from price,
    not from more units). Quarters without a year-earlier quarter in the data
    are left out.
    """
    from salesnb import kpi
    from salesnb.sections.engine_inputs import collect
    from salesnb.sections.settings import period_text

    per = _period(period)
    rows = []
    for k in range(quarters - 1, -1, -1):
        q = per.shift(-k)
        try:
            bridge = collect(
                kpi.revenue_bridge(
                    lines, q.label, "last_year", fiscal_year_start=per.fiscal_year_start
                )
            )
        except ValueError:
            continue
        s = bridge.set_index("step")["value"]
        if not s["previous revenue"]:
            continue
        rows.append(
            {
                "quarter": q.title,
                "previous": period_text(bridge["previous_period"].iloc[0]),
                "revenue": float(s["current revenue"]),
                "growth": float(s["current revenue"] / s["previous revenue"] - 1),
                "price": float(s["price"]),
                "volume": float(s["volume"]),
                "mix": float(s["mix"]),
                "new_customers": float(s["new customers"]),
                "lost_customers": float(s["lost customers"]),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=["quarter", "previous", "revenue", "growth", "price", "volume", "mix",
                 "new_customers", "lost_customers"],
    )  # fmt: skip
    table["price_led"] = (table["price"] > 0) & (table["price"] > table["volume"])
    return table


def price_led_sentence(table: pd.DataFrame, *, currency: str = "$") -> str:
    """Name the quarters whose year-over-year growth of returning buyers came from price.

    >>> t = pd.DataFrame({"quarter": ["2025Q1", "2025Q2"], "previous": ["2024Q1", "2024Q2"],
    ...     "price": [900.0, -10.0], "volume": [300.0, 50.0], "price_led": [True, False]})
    >>> price_led_sentence(t)
    'Growth from price, not volume: in **2025Q1** (against 2024Q1) the customers who bought in both quarters paid +$900 more for what they bought, while buying more units added only +$300.'
    """
    led = table[table["price_led"]] if len(table) else table
    if led.empty:
        return (
            "In no quarter shown did price add more than volume for the customers who "
            "bought in both quarters."
        )
    top = led.sort_values("price", ascending=False).iloc[0]
    return (
        f"Growth from price, not volume: in **{top['quarter']}** (against {top['previous']}) the "
        f"customers who bought in both quarters paid "
        f"+{fmt_money(top['price'], currency=currency)} more for what they bought, while buying "
        f"more units added only {'+' if top['volume'] >= 0 else '-'}"
        f"{fmt_money(abs(top['volume']), currency=currency)}."
    )


@dataclasses.dataclass
class QuotaPlanner:
    """The quota planner's answer: the base row, the what-if tables and the sentence."""

    base: pd.Series | None
    pipeline_by_win_rate: pd.DataFrame
    deals_grid: pd.DataFrame
    sentence: str


def quota_planner(
    sales: Any,
    period: Period | str,
    *,
    as_of: Any,
    target: float | None = None,
    changes: tuple[float, ...] = (-0.2, -0.1, 0.0, 0.1, 0.2),
    currency: str = "$",
) -> QuotaPlanner:
    """What the next quarter's target asks of the pipeline (company level).

    :func:`salesnb.kpi.quota_plan_from_opportunities` for ``period`` at
    ``as_of`` (win rate, deal size and cycle measured over the last four
    quarters; target from ``targets`` unless ``target`` is given):
    ``required_pipeline`` = remaining target / win rate, ``coverage_gap`` =
    required − open pipeline expected in the quarter, ``deals_to_create`` =
    gap / deal size, to be created by ``create_by`` (the quarter's end minus
    the median cycle). The what-ifs: pipeline to create per win-rate change,
    deals to create per win-rate × deal-size change.

    Without ``target``, on the orders basis, the target deals must bring is the
    company target times the share of revenue won deals brought over the last
    four quarters (see :func:`_deal_share_target`; the sentence says so).
    """
    from salesnb import kpi
    from salesnb.sections.engine_inputs import collect

    per = _period(period)
    if target is None and sales.tables.get("targets") is None:
        empty = pd.DataFrame()
        return QuotaPlanner(
            None,
            empty,
            empty,
            f"No plan for {per.title}: it needs a target — a `targets` table in the data, or "
            "the notebook's `plan_target` parameter.",
        )
    share, share_text = (None, "")
    if target is None:
        share, share_text, target = _deal_share_target(sales, per, as_of=as_of, currency=currency)
    plan = collect(
        kpi.quota_plan_from_opportunities(
            sales.opportunities, sales.tables.get("targets"), sales.tables.get("orders"),
            period=per.label, as_of=_day(as_of).date(), target=target,
            fiscal_year_start=per.fiscal_year_start,
            win_rate_changes=changes, deal_size_changes=changes,
        )
    )  # fmt: skip
    base_rows = plan[plan["base"]]
    base = base_rows.iloc[0] if len(base_rows) else None
    by_wr = (
        plan[plan["deal_size_change"] == 0][["win_rate_change", "win_rate", "required_pipeline",
                                             "pipeline_to_create"]]
        .reset_index(drop=True)
    )  # fmt: skip
    grid = plan.pivot_table(index="win_rate_change", columns="deal_size_change",
                            values="deals_to_create", aggfunc="first")  # fmt: skip
    grid.columns = [f"deal size {_signed_pct(c, 0)}" for c in grid.columns]
    grid.index = [f"win rate {_signed_pct(i, 0)}" for i in grid.index]
    grid.index.name = "what if"
    sentence = _plan_sentence(base, per, currency)
    return QuotaPlanner(base, by_wr, grid.reset_index(), f"{share_text} {sentence}".strip())


def _amount_between(frame: Any, column: str, start, end, *, won_only: bool = False) -> float:
    """Sum of ``amount`` of the rows with ``start <= column < end``, where ``frame`` lives."""
    import narwhals as nw

    table = nw.from_native(frame)
    cond = (nw.col(column) >= start.to_pydatetime()) & (nw.col(column) < end.to_pydatetime())
    if won_only:
        cond = cond & (nw.col("status") == "won")
    total = table.filter(cond).select(nw.col("amount").sum())
    if isinstance(total, nw.LazyFrame):
        total = total.collect()
    value = total.item()
    return float(value) if value is not None else 0.0


def _deal_share_target(sales: Any, per: Period, *, as_of: Any, currency: str) -> tuple:
    """The part of ``per``'s company target that deals must bring, and why.

    When revenue is orders and some orders come without a deal (web shop, repeat
    orders), the planner's target is the company target times the share of
    revenue that won deals brought over the last four complete quarters (won
    amount by ``closed_at`` / revenue by ``order_date``, capped at 1). On the
    won-deals basis, or without orders or targets, the target is left to the
    targets table (share ``None``).
    """
    from salesnb.sections.engine_inputs import collect

    targets = sales.tables.get("targets")
    if targets is None or sales.tables.get("orders") is None:
        return None, "", None
    if getattr(sales, "revenue_basis", "orders") != "orders":
        return None, "", None
    t = collect(targets)
    row = t[(t["period"].astype(str) == per.label) & (t["level"] == "company")]
    if row.empty:
        return None, "", None
    company = float(row["revenue_target"].iloc[0])
    end = _day(as_of) + pd.Timedelta(days=1)
    start = end - pd.DateOffset(years=1)
    won = _amount_between(sales.opportunities, "closed_at", start, end, won_only=True)
    revenue = _amount_between(sales.revenue_lines, "order_date", start, end)
    if not revenue:
        return None, "", None
    share = min(1.0, won / revenue)
    text = (
        f"Won deals brought {fmt_pct(share)} of revenue over the last four quarters (the rest "
        f"are orders without a deal), so deals must bring "
        f"{fmt_money(company * share, currency=currency)} of the "
        f"{fmt_money(company, currency=currency)} target of {per.title}."
    )
    return share, text, company * share


def _plan_sentence(base: pd.Series | None, per: Period, currency: str) -> str:
    if base is None or pd.isna(base.get("required_pipeline")):
        note = "" if base is None else f" ({base.get('note')})"
        return f"No plan for {per.title}: a target, won and lost deals are needed{note}."
    gap = float(base["coverage_gap"])
    text = (
        f"To win {fmt_money(base['target'], currency=currency)} from deals in {per.title} "
        f"at a win rate of {fmt_pct(base['win_rate'])} and an average won deal of "
        f"{fmt_money(base['deal_size'], currency=currency)}, the quarter needs "
        f"{fmt_money(base['required_pipeline'], currency=currency)} of pipeline; "
        f"{fmt_money(base['open_pipeline'], currency=currency)} is open for it today"
    )
    if gap <= 0:
        return text + ": the pipeline covers the target."
    by = pd.Timestamp(base["create_by"])
    return (
        f"{text}, a **coverage gap of {fmt_money(gap, currency=currency)}**: about "
        f"{int(base['deals_to_create'])} new deals, created by {by:%Y-%m-%d} "
        f"(the median cycle is {float(base['cycle_days']):.0f} days)."
    )


def summary_lines(
    sales: Any, period: Period | str, *, as_of: Any, currency: str = "$"
) -> list[str]:
    """The executive summary's three lines from the pipeline-dynamics page.

    The largest change of the quarter's pipeline (:func:`quarter_waterfall`,
    with deal history), the revenue bridge's headline
    (:func:`bridge_sentence`, quarter over quarter) and the coming quarter's
    coverage gap (:func:`quota_planner`, with deals); a line whose tables are
    missing is left out.
    """
    from salesnb import kpi
    from salesnb.errors import MissingColumnsError
    from salesnb.load.basis import has_rows
    from salesnb.sections.engine_inputs import collect

    per = _period(period)
    tables = sales.tables
    lines = []
    if has_rows(tables.get("opportunity_history")):
        steps = quarter_waterfall(sales.opportunity_history, per, as_of=as_of)
        lines.append(waterfall_sentence(steps, per, currency=currency))
    if has_rows(sales.revenue_lines):
        try:
            bridge = collect(
                kpi.revenue_bridge(
                    sales.revenue_lines, per.label, fiscal_year_start=per.fiscal_year_start
                )
            )
        except MissingColumnsError:  # no customer_id: no bridge line
            bridge = None
        if bridge is not None:
            lines.append(bridge_sentence(bridge, currency=currency))
    if has_rows(tables.get("opportunities")):
        plan = quota_planner(sales, per.shift(1), as_of=as_of, currency=currency)
        if plan.base is not None and pd.notna(plan.base.get("coverage_gap")):
            gap = float(plan.base["coverage_gap"])
            lines.append(
                f"Coverage gap for {per.shift(1).title}: "
                + (
                    f"{fmt_money(gap, currency=currency)} of pipeline still to create "
                    f"(about {int(plan.base['deals_to_create'])} deals by "
                    f"{pd.Timestamp(plan.base['create_by']):%Y-%m-%d})."
                    if gap > 0
                    else "none: the open pipeline covers the target."
                )
            )
    return lines


def deals_at(sales: Any, as_of: Any) -> tuple[Any, str | None]:
    """The deals as they stood at the end of day ``as_of``, and a note saying how.

    For the data's own day (``as_of`` on or after ``sales.as_of``) the
    ``opportunities`` table as loaded, no note. For an earlier day (a past
    quarter's end), with a deal history: each deal's state on that day,
    rebuilt by :func:`salesnb.kpi.opportunities_as_of` (the note says so);
    without one: today's state, and the note says that the pipeline of a past
    quarter is shown as the deals stand today.
    """
    from salesnb import kpi
    from salesnb.load.basis import has_rows

    opps = sales.opportunities
    day = _day(as_of)
    if sales.as_of is None or day >= _day(sales.as_of):
        return opps, None
    history = sales.tables.get("opportunity_history")
    if has_rows(history):
        state = kpi.opportunities_as_of(history, as_of=day.date(), opportunities=opps,
                                        pipeline=sales.pipeline)  # fmt: skip
        return state, (
            f"Deals as they stood on {day:%Y-%m-%d}, rebuilt from the deal history "
            "(opportunity_history)."
        )
    return opps, (
        f"Deals in their state on {_day(sales.as_of):%Y-%m-%d}, the data's date: without a deal "
        f"history (table opportunity_history) the pipeline of {day:%Y-%m-%d} cannot be "
        "rebuilt, so deals closed since then count as closed here."
    )
