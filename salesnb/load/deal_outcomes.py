"""Rules 3 and 4 of the mapping assistant: a deals table's outcomes and pipeline.

A deal's close date filled on open deals too is a plan (the expected close date; the
closing date is derived for won and lost deals only); win and loss times give the
closing date; the status values are mapped to open/won/lost; with a stage column the
proposed ``[pipeline]`` lists the open stages in an order (median win probability, the
CRMs' usual stage order, or as found) and the won and lost values. See
:mod:`salesnb.load.assistant`.
"""

from __future__ import annotations

import pandas as pd

from salesnb.load.guesses import Guess, PipelineGuess, TableGuess, date_entry
from salesnb.load.vocabulary import STAGE_RANKS, header_key, outcome_of

__all__ = ["opportunity_outcomes", "sql_literal"]


def sql_literal(value: str) -> str:
    """A value as an SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def opportunity_outcomes(guess: TableGuess) -> PipelineGuess | None:
    """Status value map, closing date and the proposed pipeline of a deals table."""
    frame, cols = guess.part.frame, guess.columns
    stage = cols["stage"].source if "stage" in cols else None
    status = cols["status"].source if "status" in cols else None
    if stage is None and status is None:
        guess.notes.append(
            "CHECK: no stage or status column recognised; the contract needs the deal's stage"
        )
        return None
    decider = status or stage
    outcome = frame[decider].map(lambda v: outcome_of(v) if pd.notna(v) else None)
    if status is not None:
        _status_values(guess, status)
    _closing_date(guess, decider, outcome)
    if status is None:
        guess.notes.append(
            "status is not mapped: a deal is won or lost when its stage is one of the "
            "[pipeline] won / lost values, else open"
        )
    if stage is None:
        guess.notes.append(
            "CHECK: no stage column recognised; map the deal's stage to use the pipeline"
        )
        return None
    return _pipeline(guess, stage, status, outcome)


def _status_values(guess: TableGuess, status: str) -> None:
    vmap, unknown = {}, []
    for value, _ in guess.profiles[status].counts:
        target = outcome_of(value)
        if target is None:
            unknown.append(value)
        elif value != target:
            vmap[value] = target
    if vmap:
        guess.values["status"] = vmap
    if unknown:
        guess.unknown_values["status"] = unknown
        guess.filter_hint = f"`{status}` NOT IN ({', '.join(sql_literal(v) for v in unknown)})"


def _closing_date(guess: TableGuess, decider: str, outcome: pd.Series) -> None:
    """``closed_at`` only on won and lost deals; an open deal's close date is a plan."""
    cols, frame = guess.columns, guess.part.frame
    closed = cols.get("closed_at")
    shut = outcome.isin(["won", "lost"])
    values = sorted({str(v) for v in frame.loc[shut, decider].dropna()})
    if (
        closed is not None
        and not closed.expression
        and frame.loc[~shut, closed.source].notna().any()
    ):
        src = closed.source
        if "expected_close_date" not in cols:
            cols["expected_close_date"] = Guess(
                src, f"{closed.why}; filled on open deals too, so a planned date"
            )
            if "closed_at" in guess.dates:
                guess.dates["expected_close_date"] = guess.dates["closed_at"]
        if not values:
            del cols["closed_at"]
            guess.dates.pop("closed_at", None)
            guess.notes.append(
                f'no won or lost deals in the sample: closed_at not taken from "{src}"'
            )
            return
        in_list = ", ".join(sql_literal(v) for v in values)
        cols["closed_at"] = Guess(
            src,
            f'"{src}" is filled on open deals too: a closing date only for deals '
            f'whose "{decider}" is won or lost',
            expression=f"CASE WHEN `{decider}` IN ({in_list}) THEN `{src}` END",
            check=True,
        )
        return
    times = [cols[r].source for r in ("_won_at", "_lost_at") if r in cols]
    if closed is None and times:
        fmt = next((guess.dates.get(r) for r in ("_won_at", "_lost_at") if r in guess.dates), None)
        profs = [guess.profiles[t] for t in times]
        fmt_of = {p.date_format for p in profs if p.date_format}
        expr = f"COALESCE({', '.join(f'`{t}`' for t in times)})" if len(times) > 1 else None
        cols["closed_at"] = Guess(
            times[0],
            (
                "the closing date of a deal is its win or loss time: "
                + " or ".join(f'"{t}"' for t in times)
            )
            if expr
            else f'header "{times[0]}"',
            expression=expr,
        )
        if fmt is None and len(fmt_of) == 1 and "ISO8601" not in fmt_of:
            guess.dates["closed_at"] = date_entry(profs[0])


def _pipeline(
    guess: TableGuess, stage: str, status: str | None, outcome: pd.Series
) -> PipelineGuess | None:
    """Open stages in a proposed order; the won and lost values of stage and status."""
    counts = guess.profiles[stage].counts
    if not counts:
        guess.notes.append(f'CHECK: "{stage}" has more than 40 values: is it the stage?')
        return None
    won: dict[str, int] = {}
    lost: dict[str, int] = {}
    for col in dict.fromkeys([stage, status]) if status else [stage]:
        for value, n in guess.profiles[col].counts:
            side = {"won": won, "lost": lost}.get(outcome_of(value))
            if side is not None:
                side[value] = side.get(value, 0) + n
    open_stages = [(v, n) for v, n in counts if outcome_of(v) not in ("won", "lost")]
    if not open_stages:
        guess.notes.append(f'CHECK: every value of "{stage}" means won or lost: no open stages')
        return None
    first_seen = {v: i for i, v in enumerate(pd.unique(guess.part.frame[stage].dropna()))}
    prob = _stage_probabilities(guess, stage)
    ranks = {v: STAGE_RANKS.get(header_key(v)) for v, _ in open_stages}
    if prob:
        order_why = f'by the median "{guess.columns["_probability"].source}" of the deals in each'
        key = lambda v: (prob.get(v, 101), ranks[v] or 101, first_seen.get(v, 0))  # noqa: E731
    elif any(r is not None for r in ranks.values()):
        order_why = "by the usual order of these stage names in CRM pipelines"
        key = lambda v: (ranks[v] if ranks[v] is not None else 101, first_seen.get(v, 0))  # noqa: E731
    else:
        order_why = "as first found in the file: nothing else suggests an order"
        key = lambda v: first_seen.get(v, 0)  # noqa: E731
    stages = sorted(open_stages, key=lambda t: key(t[0]))
    return PipelineGuess(
        where=f'{guess.part.label} column "{stage}"',
        stages=[(v, n, prob.get(v)) for v, n in stages],
        won=sorted(won.items(), key=lambda t: -t[1]),
        lost=sorted(lost.items(), key=lambda t: -t[1]),
        order_why=order_why,
        values=list(counts),
    )


def _stage_probabilities(guess: TableGuess, stage: str) -> dict[str, float]:
    """Median win probability (0-1) of the deals in each stage, when the export has one."""
    g = guess.columns.get("_probability")
    if g is None:
        return {}
    frame = guess.part.frame
    from salesnb.load.parse import parse_numbers

    nums, bad = parse_numbers(frame[g.source].astype("string").str.replace("%", "", regex=False))
    if bad.any() or nums.isna().all():
        return {}
    scale = 100.0 if nums.max() > 1 else 1.0
    med = (nums / scale).groupby(frame[stage]).median().dropna()
    return {str(k): round(float(v), 2) for k, v in med.items()}
