"""The outcome to learn: which records have one, and what it is.

Targets
-------
* leads: ``converted`` (or, when that column is absent, ``converted_at`` is
  set); every lead is a training row. Recent leads may still convert later, so
  a time-ordered test set slightly understates the conversion rate of its
  newest leads.
* opportunities: ``status == "won"`` among closed deals (won or lost); open
  deals are what :func:`~salesnb.models.conversion.scoring.score` scores.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["training_data"]


_KINDS = ("leads", "opportunities")
_ID_OF = {"leads": "lead_id", "opportunities": "opportunity_id"}


def _kind(table: pd.DataFrame, kind: str | None) -> str:
    if kind is not None:
        if kind not in _KINDS:
            raise ValueError(f"kind must be 'leads' or 'opportunities'; got {kind!r}")
        return kind
    if "opportunity_id" in table.columns:
        return "opportunities"
    if "lead_id" in table.columns:
        return "leads"
    raise ValueError(
        "cannot tell leads from opportunities: expected a lead_id or opportunity_id column "
        f"(or kind=...); the table has {list(table.columns)[:12]}"
    )


def _leads_target(table: pd.DataFrame) -> pd.Series:
    if "converted" in table.columns:
        flag = table["converted"]
        if flag.isna().any():
            raise ValueError(f"leads.converted has {int(flag.isna().sum())} missing value(s)")
        return flag.astype(bool)
    if "converted_at" in table.columns:
        return table["converted_at"].notna()
    raise ValueError("leads need a 'converted' or 'converted_at' column to know the outcome")


def training_data(
    table: pd.DataFrame, *, kind: str | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Rows with a known outcome and the outcome as a bool Series.

    Leads: every row, target ``converted`` (or ``converted_at`` not null).
    Opportunities: closed deals (status won or lost), target ``status == "won"``.
    ``X`` still holds every column; the models drop leaking ones themselves.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c"], "status": ["won", "open", "lost"]})
    >>> X, y = training_data(opps)
    >>> y.tolist()
    [True, False]
    """
    kind = _kind(table, kind)
    if kind == "leads":
        y = _leads_target(table)
        return table.copy(), y.rename("converted")
    if "status" not in table.columns:
        raise ValueError("opportunities need a 'status' column (open / won / lost)")
    status = table["status"].astype("object")
    closed = status.isin(["won", "lost"])
    return table.loc[closed].copy(), status[closed].eq("won").rename("won")
