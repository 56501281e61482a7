"""Out-of-time split of records: train on the earlier ones, test on the later ones.

Records are placed in time by ``created_at``; by ``lead_number`` or row order
when there is no date, as in the X Education export.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["time_split"]


def _order_key(X: pd.DataFrame, order_by: str | None) -> tuple[str, pd.Series]:
    if order_by is None:
        if "created_at" in X.columns and X["created_at"].notna().any():
            order_by = "created_at"
        elif "lead_number" in X.columns:
            order_by = "lead_number"
        else:
            order_by = "row"
    if order_by == "row":
        return "row", pd.Series(np.arange(len(X)), index=X.index)
    if order_by not in X.columns:
        raise ValueError(f"order_by column {order_by!r} is not in the table")
    key = X[order_by]
    if key.isna().any():
        raise ValueError(
            f"{int(key.isna().sum())} record(s) have no {order_by}; they cannot be placed in time"
        )
    return order_by, key


def time_split(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    test_size: float = 0.25,
    order_by: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Out-of-time split: train on the earlier records, test on the later ones.

    Records are ordered by ``order_by``: by default ``created_at`` when it is
    present and filled, else ``lead_number`` (X Education numbers its leads
    sequentially and has no dates), else ``"row"`` - the row order of the
    table. The cut is the order value of the record at position
    ``floor(n * (1 - test_size))``: records strictly before it train, records at
    or after it test, so no test record is older than a training record (ties
    go to the test side).

    Returns
    -------
    X_train, X_test, y_train, y_test

    Examples
    --------
    >>> X = pd.DataFrame({"created_at": pd.to_datetime(["2024-03-01", "2024-01-01",
    ...                                                  "2024-02-01", "2024-04-01"])})
    >>> y = pd.Series([True, False, True, False])
    >>> X_train, X_test, y_train, y_test = time_split(X, y, test_size=0.5)
    >>> X_train["created_at"].dt.month.tolist(), X_test["created_at"].dt.month.tolist()
    ([1, 2], [3, 4])
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1; got {test_size!r}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    name, key = _order_key(X, order_by)
    order = np.argsort(key.to_numpy(), kind="mergesort")
    cut_pos = int(np.floor(len(X) * (1 - test_size)))
    if not 0 < cut_pos < len(X):
        raise ValueError(f"{len(X)} records are too few to split with test_size={test_size}")
    cutoff = key.to_numpy()[order][cut_pos]
    is_test = (key >= cutoff).to_numpy()
    if is_test.all():
        raise ValueError(f"every record has the same {name}; nothing is left to train on")
    order_train = order[~is_test[order]]
    order_test = order[is_test[order]]
    logger.info(
        "time_split by %s: %d train, %d test, cut at %s",
        name,
        len(order_train),
        len(order_test),
        cutoff,
    )
    return (
        X.iloc[order_train],
        X.iloc[order_test],
        y.iloc[order_train],
        y.iloc[order_test],
    )
