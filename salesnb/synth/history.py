"""The history of the sample company's deals: one row per change of a deal.

Built from the finished ``opportunities`` table, so that it agrees with it by
construction: a deal's rows start at its ``created_at`` in the first stage, with
a first amount and a first expected close date; the stages it went through come
next (the last one at ``stage_changed_at``), then amount changes and moves of
the expected close date (pushes, each to a later date, made near the old date),
and, for a won or lost deal, the close at ``closed_at``. The state after the
last row is the deal's current state: its ``stage``, ``status``, ``amount`` and
``expected_close_date``. A closed deal's last row is at ``closed_at``; an open
deal's last change is made at the latest on its ``last_activity_at`` (or
``stage_changed_at`` when later), so a deal gone dark has no changes after it.
Changes of one deal at the same minute are one row (the state after them).

Planted fact (:data:`~salesnb.synth.facts.PUSH_QUARTER_SHARE`): in the quarter
before the last, many deals whose expected close date lay in that quarter are
pushed past its end during it.

The history draws from a random stream of its own (``default_rng([seed, 14])``,
:func:`salesnb.synth.generate`), so the other tables do not depend on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.schema import STAGES
from salesnb.synth.facts import PUSH_QUARTER_SHARE
from salesnb.synth.timeline import DAY_MIN, dates, qstart_day, snap, timestamps

__all__ = ["history_table"]

#: Mean number of pushes of the expected close date per 120 days of a deal's life,
#: on top of a base of :data:`_PUSH_BASE`, at most :data:`_PUSH_MAX`.
_PUSH_RATE = 1.0
_PUSH_BASE = 0.1
_PUSH_MAX = 3
#: Chances of 0, 1 and 2 amount changes.
_AMOUNT_CHANGES = (0.6, 0.3, 0.1)


def history_table(
    opps: pd.DataFrame, rng: np.random.Generator, start: pd.Timestamp, q_push: int
) -> pd.DataFrame:
    """The ``opportunity_history`` table of ``opps`` (the contract ``opportunities``).

    Parameters
    ----------
    opps : pandas.DataFrame
        The finished opportunities table.
    rng : numpy.random.Generator
        The history's own random stream.
    start : pandas.Timestamp
        Day 0 of the generator's clock.
    q_push : int
        Quarter number (see :class:`~salesnb.synth.timeline.Calendar`) of the
        planted push-out; deals open in it, with an expected close date after its
        end, are pushed out of it with chance :data:`PUSH_QUARTER_SHARE`.
    """
    minutes = {
        c: ((opps[c] - start) / pd.Timedelta(minutes=1)).to_numpy(dtype=float)
        for c in ("created_at", "closed_at", "stage_changed_at", "last_activity_at")
    }
    plan = ((opps["expected_close_date"] - start) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    stage_of = {s: i for i, s in enumerate(STAGES)}
    q_lo, q_hi = qstart_day(q_push, start), qstart_day(q_push + 1, start) - 1
    cols: dict[str, list] = {k: [] for k in ("deal", "t", "stage", "status", "amount", "plan")}
    for i in range(len(opps)):
        deal = _Deal(
            created=minutes["created_at"][i],
            closed=minutes["closed_at"][i],
            stage_changed=minutes["stage_changed_at"][i],
            last_activity=minutes["last_activity_at"][i],
            stage=stage_of[opps["stage"].iat[i]],
            status=opps["status"].iat[i],
            amount=float(opps["amount"].iat[i]),
            plan=int(plan[i]),
        )
        for row in deal.rows(rng, q_lo, q_hi):
            for k, v in zip(cols, (i, *row), strict=True):
                cols[k].append(v)
    deal_ix = np.asarray(cols["deal"], dtype=np.int64)
    return pd.DataFrame(
        {
            "opportunity_id": opps["opportunity_id"].to_numpy()[deal_ix],
            "changed_at": timestamps(start, np.asarray(cols["t"], dtype=np.int64)),
            "stage": [STAGES[s] for s in cols["stage"]],
            "status": cols["status"],
            "amount": np.asarray(cols["amount"], dtype=float),
            "expected_close_date": dates(start, np.asarray(cols["plan"], dtype=np.int64)),
        }
    )


class _Deal:
    """One deal's final state; :meth:`rows` draws the changes that led to it."""

    def __init__(
        self, *, created, closed, stage_changed, last_activity, stage, status, amount, plan
    ):
        self.created, self.closed = int(created), closed
        self.stage_changed, self.stage = int(stage_changed), stage
        self.status, self.amount, self.plan = status, amount, plan
        is_open = status == "open"
        # the last moment a change can be made: the close, or the last work on an open deal
        self.end = max(int(stage_changed), int(last_activity)) if is_open else int(closed)

    def rows(self, rng: np.random.Generator, q_lo: int, q_hi: int) -> list[tuple]:
        """``(minute, stage, status, amount, plan)`` after each change, one row per minute."""
        c = self.created
        # (minute, order within a minute, field, value)
        events: list[tuple] = []
        inner = np.sort(
            snap(
                rng,
                rng.uniform(c, self.stage_changed, size=max(self.stage - 1, 0)),
                c,
                self.stage_changed,
            )
        )
        for s, t in enumerate(inner, start=1):
            events.append((int(t), 1, "stage", s))
        if self.stage > 0:
            events.append((self.stage_changed, 1, "stage", self.stage))
        first_amount = self._amounts(rng, events)
        first_plan = self._plans(rng, events, q_lo, q_hi)
        if self.status != "open":
            events.append((int(self.closed), 4, "status", self.status))
        state = {"stage": 0, "status": "open", "amount": first_amount, "plan": first_plan}
        out: dict[int, tuple] = {c: tuple(state.values())}
        for t, _, name, value in sorted(events, key=lambda e: (e[0], e[1])):
            state[name] = value
            out[max(t, c)] = tuple(state.values())
        return [(t, *v) for t, v in sorted(out.items())]

    def _amounts(self, rng: np.random.Generator, events: list) -> float:
        """Amount changes (in ``events``); returns the first amount."""
        k = int(rng.choice(len(_AMOUNT_CHANGES), p=_AMOUNT_CHANGES))
        if self.end - self.created < 2 * DAY_MIN:
            k = 0
        times = np.sort(
            snap(rng, rng.uniform(self.created, self.end, size=k), self.created, self.end)
        )
        factors = rng.uniform(0.7, 1.3, size=k)
        value = self.amount
        for t, f in zip(times[::-1], factors, strict=True):
            events.append((int(t), 2, "amount", value))
            value = round(value * f, 2)
        return value

    def _plans(self, rng: np.random.Generator, events: list, q_lo: int, q_hi: int) -> int:
        """Pushes of the expected close date (in ``events``); returns the first plan.

        Drawn backwards from the final plan: each push moves the date later, to a
        day after the push, and is made near the old date (within 20 days after
        it, or 10 days before it). A
        deal open in the push-out quarter with a final plan after its end is, with
        chance :data:`PUSH_QUARTER_SHARE`, pushed during that quarter from a date
        in it to a date after its end.
        """
        c, end = self.created, self.end
        c_day = c // DAY_MIN
        life = (end - c) / DAY_MIN
        k = min(int(rng.poisson(_PUSH_BASE + _PUSH_RATE * life / 120)), _PUSH_MAX)
        if life <= 8:
            k = 0
        # a push is made at least a week after the deal was opened, on a working day
        times = list(snap(rng, rng.uniform(min(c + 7 * DAY_MIN, end), end, size=k), c, end))
        forced = None
        lo_t, hi_t = max(c, q_lo * DAY_MIN) + DAY_MIN, min(end, (q_hi + 1) * DAY_MIN - 1)
        eligible = self.plan > q_hi and hi_t - lo_t > DAY_MIN and c_day + 7 <= q_hi
        if rng.random() < PUSH_QUARTER_SHARE and eligible:
            forced = float(snap(rng, rng.uniform(lo_t, hi_t, size=1), lo_t, hi_t)[0])
            times.append(forced)
        times.sort()
        slips = rng.integers(-20, 11, size=len(times))
        plan = self.plan
        after_forced = False
        for t, slip in zip(times[::-1], slips, strict=True):
            day = int(t) // DAY_MIN
            lo, hi = c_day + 7, plan - 7
            if t == forced:
                hi = min(hi, q_hi)
                after_forced = True  # plans before this one stay in or before the quarter
            elif not after_forced and forced is not None and t > forced:
                lo = max(lo, q_hi + 1)
            if lo > hi or day >= plan:  # nobody pushes a deal to a day already past
                continue
            events.append((int(t), 3, "plan", plan))
            plan = int(min(max(day + int(slip), lo), hi))
        return plan
