"""The seeded synthetic dataset behind ``data/sample/``.

One coherent (fictional) company selling office equipment through field reps,
stores and an online shop, over 2023-10-01..2026-09-30 by default:

* **leads** arrive with a source, region, owner rep and two scoring features
  (``segment``, ``web_visits``); the probability of converting depends on the
  source, the features and the segment. A converted lead becomes a
  **customer** at ``converted_at`` (= ``customers.acquired_at``) with a first
  order that day. About 30 % of the customers are older accounts acquired
  before ``start`` (they have no lead row; their orders start at ``start``).
* Every customer then buys according to a **BG/NBD-like** process: a
  gamma-distributed purchase rate, a beta-distributed chance of dropping out
  after each purchase, gamma-gamma order values; the rate is modulated by
  seasonality (Q4 peak), a region-specific upward trend and, in one region, a
  decline (see *planted facts*). Many customers buy once, a few buy often.
* Business customers also get **opportunities** (deals) from their account
  rep. Win rates and sales cycles depend on the rep; a deal's ``stage`` is the
  furthest stage reached; some open deals go dark (stale). Won deals become
  orders on their close date. Their **opportunity_history** holds one row per
  change (stage advances, amount changes, pushed expected close dates, the
  close) and ends in each deal's current state.
* **orders** get a channel (store/online), a fulfilment status, an invoice
  due 30 days after the order and a payment date (online orders are paid at
  checkout; invoiced ones mostly on time, some late, a few never).
* **activities** are logged on deals (the latest completed one is the deal's
  ``last_activity_at``), plus account visits, some scheduled after ``end``.
* **targets** (company, region and rep quotas per quarter, plus the quarter
  after ``end``), quarterly **satisfaction** scores per rep, post-purchase
  **engagement** events, the **products** list, monthly **competitor_prices**
  and quarterly **marketing_spend** per lead source complete the set.

Planted facts (with the default size and a span of at least two years): one
region declines over the last four quarters while the others grow; one rep's
median sales cycle is about twice the company median; ``referral`` leads
convert 2-3x better than any other source; one competitor undercuts one
product by more than 10 % in the last two quarters; the share of invoices
paid late or not at all jumps in the last quarter; one rep's satisfaction
score falls steeply; in the quarter before the last, many deals are pushed out
of the quarter. :mod:`~salesnb.synth.facts` holds the parameters that
plant them and :func:`fact_sheet`, which computes them from the tables.

Everything is drawn from ``numpy.random.default_rng(seed)`` (the deals'
history from ``default_rng([seed, 14])``, so that the other tables do not
depend on it): the same arguments give the same tables and (through :func:`write`) byte-identical
files. Nothing depends on the wall clock.

Command line (what ``make data`` runs)::

    python -m salesnb.synth --out data/sample --seed 7

Modules: :mod:`~salesnb.synth.build` (:func:`generate`),
:mod:`~salesnb.synth.company` (run state, reps, products, targets),
:mod:`~salesnb.synth.pipeline` (leads, customers, opportunities),
:mod:`~salesnb.synth.history` (the deals' history),
:mod:`~salesnb.synth.orders` (purchases, orders, payments),
:mod:`~salesnb.synth.activity` (activities, satisfaction),
:mod:`~salesnb.synth.engagement`, :mod:`~salesnb.synth.market` (competitor
prices, marketing spend), :mod:`~salesnb.synth.facts` (planted facts,
:func:`fact_sheet`), :mod:`~salesnb.synth.write` (CSV files),
:mod:`~salesnb.synth.large` (:func:`large_orders` for benchmarks),
:mod:`~salesnb.synth.cli` (:func:`main`); shared pieces in
:mod:`~salesnb.synth.catalog`, :mod:`~salesnb.synth.draws` and
:mod:`~salesnb.synth.timeline`.
"""

from salesnb.synth.build import generate
from salesnb.synth.catalog import REGIONS, SOURCES
from salesnb.synth.cli import main
from salesnb.synth.facts import fact_sheet
from salesnb.synth.large import large_orders, write_large_orders
from salesnb.synth.write import write

__all__ = [
    "generate",
    "write",
    "large_orders",
    "write_large_orders",
    "fact_sheet",
    "main",
    "REGIONS",
    "SOURCES",
]
