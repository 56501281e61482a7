"""Team: the rep leaderboard of a quarter and the rank movement label."""

from __future__ import annotations

import pandas as pd

from salesnb.periods import Period
from salesnb.sections.engine_inputs import collect, kpi
from salesnb.sections.format import _missing
from salesnb.sections.guards import REVENUE, missing_requirements
from salesnb.sections.names import label

__all__ = [
    "leaderboard",
    "movement_text",
]


def leaderboard(sales, period: Period, *, top: int | None = None) -> pd.DataFrame:
    """Reps ranked by revenue in the quarter, with deals won and quota attainment.

    Revenue is ``sales.revenue_lines`` (orders, or won deals without orders).

    Returns
    -------
    pandas.DataFrame
        ``rank, rep_id, rep, team, region, revenue, deals_won, quota, attainment,
        movement``: ``rep`` is the rep's label, id and name ("R029 Irene Nakamura",
        :func:`salesnb.sections.names.label`); ``movement`` is the rank places gained
        since the previous quarter.
    """
    cols = [
        "rank",
        "rep_id",
        "rep",
        "team",
        "region",
        "revenue",
        "deals_won",
        "attainment",
        "movement",
    ]
    if missing_requirements(sales, [REVENUE], columns={REVENUE: ["rep_id"]}):
        return pd.DataFrame(columns=cols)
    present = sales.tables
    board = kpi.leaderboard(
        sales.revenue_lines,
        period=period.label,
        opportunities=present.get("opportunities"),
        targets=present.get("targets"),
        reps=present.get("reps"),
    )
    board = board.sort_values("revenue_rank").reset_index(drop=True)
    reps = collect(present.get("reps"))  # reps are few
    info = reps.set_index("rep_id") if reps is not None else pd.DataFrame()
    out = pd.DataFrame(
        {
            "rank": board["revenue_rank"].astype("int64"),
            "rep_id": board["rep_id"].astype(str),
            "rep": [
                label(r, info["name"].get(r)) if "name" in info else r for r in board["rep_id"]
            ],
            "team": [info["team"].get(r, "") if "team" in info else "" for r in board["rep_id"]],
            "region": [
                info["region"].get(r, "") if "region" in info else "" for r in board["rep_id"]
            ],
            "revenue": board["revenue"].astype(float),
            "deals_won": board["deals_won"] if "deals_won" in board else float("nan"),
            "attainment": board["attainment"] if "attainment" in board else float("nan"),
            "movement": board["rank_movement"] if "rank_movement" in board else float("nan"),
        }
    )
    return out.head(top) if top else out


def movement_text(places) -> str:
    """Rank movement since the previous period as a short label.

    >>> [movement_text(m) for m in (2, -1, 0, float("nan"))]
    ['▲ 2', '▼ 1', '=', 'new']
    """
    if _missing(places):
        return "new"
    places = int(places)
    if places > 0:
        return f"▲ {places}"
    if places < 0:
        return f"▼ {-places}"
    return "="
