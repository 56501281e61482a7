"""Cohorts for the retention heatmap: one row per cohort, labelled with its size."""

from __future__ import annotations

import pandas as pd

from salesnb.sections.format import fmt_number, period_text

__all__ = [
    "cohort_matrix",
]


def cohort_matrix(retention: pd.DataFrame) -> pd.DataFrame:
    """Retention by cohort (rows) and quarters after the first purchase (columns 1, 2, ...),
    each row labelled ``"<cohort> (<customers> customers)"``.

    The column of quarter 0 is left out: every cohort is 100 % active in its first
    quarter by definition, and the cohort's size in the row label says more.

    Parameters
    ----------
    retention : pandas.DataFrame
        :func:`salesnb.kpi.customers.cohort_retention` output: ``cohort,
        period_index, customers, retention``.

    Raises
    ------
    KeyError
        When a needed column is missing.

    >>> r = pd.DataFrame({"cohort": ["2025Q1", "2025Q1", "2025Q2"], "period_index": [0, 1, 0],
    ...                   "customers": [40, 40, 12], "retention": [1.0, 0.25, 1.0]})
    >>> cohort_matrix(r)
                           1
    2025Q1 (40 customers)  0.25
    2025Q2 (12 customers)   NaN
    """
    needed = ["cohort", "period_index", "customers", "retention"]
    missing = [c for c in needed if c not in retention.columns]
    if missing:
        raise KeyError(
            f"cohort_matrix: missing column(s) {missing}; the frame has {list(retention.columns)}"
        )
    sizes = retention.groupby("cohort", sort=True)["customers"].max()
    wide = retention.pivot_table(
        index="cohort", columns="period_index", values="retention", aggfunc="first", dropna=False
    )
    wide = wide.reindex(sizes.index)
    wide.columns = [int(c) for c in wide.columns]
    wide = wide.drop(columns=[0], errors="ignore")
    if wide.columns.empty:
        wide = pd.DataFrame({1: [float("nan")] * len(sizes)}, index=sizes.index)
    wide.index = [f"{period_text(c)} ({fmt_number(n)} customers)" for c, n in sizes.items()]
    wide.columns.name = None
    return wide.astype(float)
