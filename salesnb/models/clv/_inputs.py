"""Input conversion shared by the CLV modules: frames, columns, dates, arrays.

Frames in any engine narwhals reads become pandas, required columns are checked
with a message naming the missing ones, transactions are validated and cut to
calendar days, and numeric results take the shape (Series or scalar) of their
inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def _to_pandas(frame: Any, *, name: str) -> pd.DataFrame:
    """Return ``frame`` as a pandas DataFrame (polars etc. via narwhals)."""
    if isinstance(frame, pd.DataFrame):
        return frame
    try:
        import narwhals as nw

        return nw.from_native(frame, eager_only=True).to_pandas()
    except Exception as exc:  # narwhals raises TypeError for unknown objects
        raise TypeError(
            f"{name} must be a pandas DataFrame (or a polars/pyarrow frame narwhals can "
            f"read), got {type(frame).__name__}"
        ) from exc


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], *, name: str) -> None:
    """Raise ValueError naming the columns of ``columns`` missing from ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} is missing required column(s) {missing}; "
            f"it has columns {list(map(str, frame.columns))}"
        )


def _day(value: Any, *, like: pd.Series, name: str) -> pd.Timestamp:
    """``value`` as a midnight Timestamp with the time zone of ``like``."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a date, got {value!r}") from exc
    tz = getattr(like.dt, "tz", None)
    if tz is not None and ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    return ts.normalize()


def _daily_transactions(
    transactions: Any,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    extra_cols: Sequence[str] = (),
    name: str = "transactions",
) -> pd.DataFrame:
    """Validated copy with columns customer, date (midnight), amount (+ extra columns)."""
    frame = _to_pandas(transactions, name=name)
    _require_columns(frame, [customer_col, date_col, amount_col, *extra_cols], name=name)
    work = frame.loc[:, [customer_col, date_col, amount_col, *extra_cols]].reset_index(drop=True)
    work.columns = ["customer", "date", "amount", *extra_cols]
    dates = work["date"]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates)
    work["date"] = dates.dt.normalize()
    work["amount"] = pd.to_numeric(work["amount"]).astype("float64")
    bad = work["customer"].isna() | work["date"].isna() | work["amount"].isna()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())[:5].tolist()
        raise ValueError(
            f"{name} has {int(bad.sum())} row(s) with a missing {customer_col!r}, "
            f"{date_col!r} or {amount_col!r} (first row positions: {rows})"
        )
    return work


def _as_float_array(values: Any) -> np.ndarray:
    return np.asarray(values, dtype="float64")


def _wrap(result: np.ndarray, *inputs: Any, name: str | None = None) -> Any:
    """A Series (index of the first same-length Series input), else the ndarray or a float."""
    for value in inputs:
        if isinstance(value, pd.Series) and np.shape(result) == (len(value),):
            return pd.Series(result, index=value.index, name=name)
    if np.ndim(result) == 0:
        return float(result)
    return result


def _summary_arrays(
    summary: Any, columns: Sequence[str], *, name: str
) -> tuple[pd.DataFrame, list[np.ndarray]]:
    frame = _to_pandas(summary, name=name)
    _require_columns(frame, columns, name=name)
    arrays = [_as_float_array(frame[c]) for c in columns]
    for col, arr in zip(columns, arrays, strict=True):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(
                f"{name}[{col!r}] has {int(bad.sum())} missing or infinite value(s) "
                f"at positions {np.flatnonzero(bad)[:5].tolist()}"
            )
    return frame, arrays
