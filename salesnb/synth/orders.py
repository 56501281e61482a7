"""Orders and payments: what customers buy, when orders are fulfilled and when
invoices are paid.

Customers buy following a BG/NBD-like process (:func:`simulate_purchases`);
each purchase becomes an order with a product, a quantity and a channel, and
each won deal becomes an order on its close date (:func:`make_orders`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.schema import CHANNELS
from salesnb.synth.catalog import PRODUCTS, SEGMENT_ONLINE
from salesnb.synth.company import Company
from salesnb.synth.draws import choice_rows, ids
from salesnb.synth.facts import (
    NEVER_PAID,
    NEVER_PAID_LAST,
    OVERDUE_LATE_FACTOR,
    PRICE_RISE,
    UNDERCUT_SALES,
    price_rise_day,
)
from salesnb.synth.timeline import DAY_MIN, biz_minutes, dates, timestamps


def simulate_purchases(co: Company) -> None:
    """BG/NBD-like process with time-varying intensity by thinning: purchase times
    (``co.purchases``) and the day each customer drops out (``co.death``)."""
    rng, E = co.rng, co.E
    c = co.cust
    n = len(c)
    region = c["region"].to_numpy()
    lam = c["lam"].to_numpy() / 365.25
    p_drop = c["p_drop"].to_numpy()
    mx = co.demand_max()[region]
    t = c["t"].to_numpy() / DAY_MIN
    ev_c, ev_t = [], []
    first = t >= 0
    ev_c.append(np.flatnonzero(first))
    ev_t.append(t[first])
    # older accounts are the ones still active at ``start``: their process
    # (memoryless between purchases) restarts there
    t = np.maximum(t, 0.0)
    dead = first & (rng.random(n) < p_drop)
    death = np.where(dead, t, np.inf)
    active = ~dead
    idx = np.flatnonzero(active)
    while len(idx):
        t[idx] += rng.exponential(1.0 / (lam[idx] * mx[idx]))
        over = t[idx] > E + 1
        idx = idx[~over]
        if not len(idx):
            break
        day = np.floor(t[idx]).astype(np.int64)
        acc = rng.random(len(idx)) < co.demand(day, region[idx]) / mx[idx]
        bought = idx[acc]
        keep = t[bought] >= 0
        ev_c.append(bought[keep])
        ev_t.append(t[bought][keep])
        drop = rng.random(len(bought)) < p_drop[bought]
        death[bought[drop]] = t[bought[drop]]
        alive = np.ones(len(idx), dtype=bool)
        alive[np.flatnonzero(acc)[drop]] = False
        idx = idx[alive]
    ev_c = np.concatenate(ev_c)
    ev_t = np.concatenate(ev_t)
    keep = ev_t < E + 1
    co.purchases = pd.DataFrame({"cust": ev_c[keep], "time": ev_t[keep]})
    co.death = death


def make_orders(co: Company) -> None:
    """Orders (``co.orders``) from purchases and won deals, by time, with
    fulfilment status and time, invoice due day and payment time."""
    rng = co.rng
    orders = pd.concat([_purchase_orders(co), _won_deal_orders(co)], ignore_index=True)
    orders["amount"] = orders["amount"].round(2)
    n = len(orders)
    orders["minute"] = biz_minutes(rng, n)
    orders = orders.sort_values(["day", "minute", "cust"], kind="stable").reset_index(drop=True)
    orders["order_id"] = ids("SO", n, 6)
    status, fulfilled, cancelled = _fulfilment(co, orders)
    orders["status"] = status
    orders["fulfilled"] = fulfilled
    due, paid = _invoices(co, orders, cancelled)
    orders["due"] = due
    orders["paid"] = paid
    co.orders = orders


def _purchase_orders(co: Company) -> pd.DataFrame:
    """One order per purchase: product (by segment and order value), discount,
    quantity, amount (at the higher prices from the price rise on) and channel."""
    rng = co.rng
    c = co.cust
    pu = co.purchases
    n = len(pu)
    cust = pu["cust"].to_numpy()
    day = np.floor(pu["time"].to_numpy()).astype(np.int64)
    seg = c["segment"].to_numpy()[cust]
    value = c["spend"].to_numpy()[cust] * rng.gamma(4.0, 0.25, size=n)
    # product choice: segment weight x closeness of the price to the order value
    sw = np.array([p[4] for p in PRODUCTS])[:, :].T  # (3, P)
    ratio = np.log(value[:, None] / co.price[None, :])  # > 0: affordable
    weights = sw[seg] * np.exp(
        -2.0 * np.minimum(ratio, 0) ** 2 - 0.5 * np.maximum(ratio - np.log(12), 0) ** 2
    )
    after = day >= co.undercut_from
    weights[after, co.undercut_p] *= UNDERCUT_SALES  # the undercut product loses sales
    prod = choice_rows(rng, weights)
    disc = np.where(
        seg == 0,
        np.where(
            (rng.random(n) < 0.3) & np.isin(co.cal.month[day - co.cal.lo], [10, 11]),
            0.1,
            0.0,
        ),
        np.round(rng.uniform(0, 0.08, size=n), 2),
    )
    unit = co.price[prod] * (1 - disc)
    qty = np.maximum(1, np.round(value / unit))
    # the price rise: the same units, at higher prices
    unit = unit * np.where(day >= price_rise_day(co.start, co.q_end), PRICE_RISE, 1.0)
    online_p = SEGMENT_ONLINE[seg] + 0.05 * day / 365.25
    online_p = np.where(_category(prod) == "Services", 0.1, online_p)
    online = rng.random(n) < online_p
    return pd.DataFrame(
        {
            "cust": cust,
            "day": day,
            "product": prod,
            "qty": qty,
            "amount": qty * unit,
            "online": online,
            "rep": c["rep"].to_numpy()[cust],
            "opp": -1,
        }
    )


def _won_deal_orders(co: Company) -> pd.DataFrame:
    """One order per won deal, on its close day, by the deal's rep."""
    o = co.opps
    won = o[o["status"] == "won"]
    return pd.DataFrame(
        {
            "cust": won["cust"].to_numpy(),
            "day": (won["closed"].to_numpy() // DAY_MIN).astype(np.int64),
            "product": won["product"].to_numpy(),
            "qty": won["qty"].to_numpy(),
            "amount": won["amount"].to_numpy(),
            "online": False,
            "rep": won["rep"].to_numpy(),
            "opp": won.index.to_numpy(),
        }
    )


def _fulfilment(co: Company, orders: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status, fulfilment time (NaN unless fulfilled) and cancellation of each order."""
    rng, E = co.rng, co.E
    n = len(orders)
    day = orders["day"].to_numpy()
    online = orders["online"].to_numpy()
    order_t = day * DAY_MIN + orders["minute"].to_numpy()
    end_t = (E + 1) * DAY_MIN - 1
    # fulfilment
    cancelled = rng.random(n) < 0.03
    lag = np.where(online, 1 + rng.poisson(1.5, size=n), rng.poisson(0.6, size=n))
    back = (day >= E - 40) & (rng.random(n) < 0.12)
    lag = np.where((rng.random(n) < 0.015), lag + rng.integers(10, 30, size=n), lag)
    ful_t = (day + lag) * DAY_MIN + biz_minutes(rng, n)
    ful_t = np.maximum(ful_t, order_t + 30)
    status = np.full(n, "fulfilled", dtype=object)
    status[ful_t > end_t] = "placed"
    status[back & ~cancelled] = "backordered"
    status[cancelled] = "cancelled"
    return status, np.where(status == "fulfilled", ful_t, np.nan), cancelled


def _invoices(co: Company, orders: pd.DataFrame, cancelled: np.ndarray) -> tuple[np.ndarray, ...]:
    """Invoice due day (NaN when cancelled) and payment time (NaN when unpaid by
    ``end``) of each order."""
    rng, E = co.rng, co.E
    n = len(orders)
    day = orders["day"].to_numpy()
    online = orders["online"].to_numpy()
    order_t = day * DAY_MIN + orders["minute"].to_numpy()
    end_t = (E + 1) * DAY_MIN - 1
    # invoices: due 30 days after the order; online orders are paid at checkout
    invoiced = ~cancelled
    due = day + 30
    payer = co.cust["payer"].to_numpy()[orders["cust"].to_numpy()]
    rise = due >= co.overdue_from
    p_late = np.clip(0.1 * payer * np.where(rise, OVERDUE_LATE_FACTOR, 1.0), 0, 0.9)
    p_never = np.where(rise, NEVER_PAID_LAST, NEVER_PAID)
    u = rng.random(n)
    never = u < p_never
    late = ~never & (u < p_never + p_late)
    pay_day = np.where(
        late,
        due + 1 + np.floor(rng.gamma(2.0, 10.0, size=n)),
        day + rng.integers(4, 31, size=n),
    )
    pay_t = pay_day * DAY_MIN + biz_minutes(rng, n)
    pay_t = np.where(online, order_t + rng.integers(0, 5, size=n), pay_t)
    paid = invoiced & ~(never & ~online) & (pay_t <= end_t)
    return np.where(invoiced, due, np.nan), np.where(paid, pay_t, np.nan)


def _category(prod: np.ndarray) -> np.ndarray:
    return np.array([p[1] for p in PRODUCTS], dtype=object)[prod]


def orders_table(co: Company) -> pd.DataFrame:
    od = co.orders
    cid = co.cust["customer_id"].to_numpy()
    names = np.array([p[0] for p in PRODUCTS], dtype=object)
    cust = od["cust"].to_numpy()
    prod = od["product"].to_numpy()
    amount = od["amount"].to_numpy(dtype=float)
    qty = od["qty"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "order_id": list(od["order_id"]),
            "customer_id": list(cid[cust]),
            "order_date": dates(co.start, od["day"].to_numpy()),
            "region": [co.regions[r] for r in co.cust["region"].to_numpy()[cust]],
            "channel": [CHANNELS[1] if x else CHANNELS[0] for x in od["online"]],
            "rep_id": list(co.rep_ids[od["rep"].to_numpy()]),
            "product": list(names[prod]),
            "quantity": qty,
            "amount": amount,
            "profit": np.round(amount - qty * co.cost[prod], 2),
            "status": list(od["status"]),
            "fulfilled_at": timestamps(co.start, od["fulfilled"].to_numpy()),
            "due_date": dates(co.start, od["due"].to_numpy()),
            "paid_at": timestamps(co.start, od["paid"].to_numpy()),
        }
    )
