"""Reading KPI tables by period: a quarter's rows, rows up to a quarter, comparison columns.

KPI tables have one row per period (column ``period``, a label such as
``"2025Q3"``, and ``period_start``), possibly per group.
"""

from __future__ import annotations

import pandas as pd

from salesnb.periods import Period
from salesnb.sections.engine_inputs import collect

__all__ = [
    "row_for",
    "rows_for",
    "up_to",
    "with_comparisons",
]


def row_for(table: pd.DataFrame | None, period: Period | str, **where) -> pd.Series | None:
    """The row of ``table`` for ``period`` (column ``period``), optionally where col == value.

    Returns None when there is no such row.

    >>> t = pd.DataFrame({"period": ["2025Q2", "2025Q3"], "revenue": [1.0, 2.0]})
    >>> row_for(t, "2025Q3")["revenue"]
    np.float64(2.0)
    >>> row_for(t, "2024Q1") is None
    True
    """
    table = collect(table)  # a lazy KPI result: small
    if table is None or len(table) == 0 or "period" not in table.columns:
        return None
    label = period.label if isinstance(period, Period) else str(period)
    mask = table["period"].astype(str) == label
    for col, value in where.items():
        mask &= table[col] == value
    hits = table.loc[mask]
    if hits.empty:
        return None
    return hits.iloc[0]


def rows_for(table: pd.DataFrame | None, period: Period | str) -> pd.DataFrame:
    """All rows of ``table`` for ``period`` (empty frame when none).

    >>> t = pd.DataFrame({"period": ["2025Q3", "2025Q3", "2025Q2"], "v": [1, 2, 3]})
    >>> rows_for(t, "2025Q3")["v"].tolist()
    [1, 2]
    """
    table = collect(table)  # a lazy KPI result: small
    if table is None or "period" not in getattr(table, "columns", ()):
        return pd.DataFrame()
    label = period.label if isinstance(period, Period) else str(period)
    return table.loc[table["period"].astype(str) == label].reset_index(drop=True)


def up_to(table: pd.DataFrame, period: Period, *, last: int | None = None) -> pd.DataFrame:
    """Rows of a KPI table up to and including ``period`` (``period_start`` column).

    With ``last``, only the last ``last`` periods.

    >>> t = pd.DataFrame({"period": ["2025Q2", "2025Q3", "2025Q4"],
    ...                   "period_start": pd.to_datetime(["2025-04-01", "2025-07-01",
    ...                                                   "2025-10-01"])})
    >>> up_to(t, Period.parse("2025Q3"))["period"].tolist()
    ['2025Q2', '2025Q3']
    >>> up_to(t, Period.parse("2025Q4"), last=1)["period"].tolist()
    ['2025Q4']
    """
    table = collect(table)  # a lazy KPI result: small
    if "period_start" not in table.columns:
        raise KeyError("up_to: the table has no period_start column")
    out = table.loc[table["period_start"] <= period.start]
    if last is not None:
        keep = sorted(out["period_start"].unique())[-last:]
        out = out.loc[out["period_start"].isin(keep)]
    return out.reset_index(drop=True)


def _series(table: pd.DataFrame | None, column: str) -> pd.Series:
    """A KPI column indexed by period label (one row per period)."""
    if table is None or len(table) == 0 or column not in table.columns:
        return pd.Series(dtype=float)
    out = table.set_index(table["period"].astype(str))[column].astype(float)
    out = out[~out.index.duplicated()]
    if "note" in table.columns:
        notes = table.set_index(table["period"].astype(str))["note"]
        maturing = notes[notes.astype(str).str.contains("maturing", na=False)]
        # periods whose value can still change (e.g. a lead cohort still converting)
        out.attrs["maturing"] = sorted(set(maturing.index))
    return out


def with_comparisons(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Add ``<column>_prev`` and ``<column>_ly`` (previous quarter, same quarter last year).

    Looked up by quarter label, so a gap gives a missing value.

    >>> t = pd.DataFrame({"period": ["2024Q3", "2025Q2", "2025Q3"], "v": [1.0, 2.0, 3.0]})
    >>> with_comparisons(t, "v")[["v_prev", "v_ly"]].values.tolist()
    [[nan, nan], [nan, nan], [2.0, 1.0]]
    """
    values = _series(table, column)
    labels = table["period"].astype(str)
    out = table.copy()
    out[column + "_prev"] = [
        values.get(Period.parse(p, freq="quarter").previous().label) for p in labels
    ]
    out[column + "_ly"] = [
        values.get(Period.parse(p, freq="quarter").same_period_last_year().label) for p in labels
    ]
    out[[column + "_prev", column + "_ly"]] = out[[column + "_prev", column + "_ly"]].astype(float)
    return out
