"""Shared test helper: run a KPI on pandas and on polars input, assert identical results.

API note (import it as ``from tests.kpi_engines import run_on_engines``)
------------------------------------------------------------------------
``run_on_engines(kpi, *args, lazy=True, duckdb=False, rtol=1e-9, **kwargs)``
    calls ``kpi(*args, **kwargs)`` with the pandas DataFrames given, then with
    every pandas DataFrame among ``args``/``kwargs`` converted to a polars
    DataFrame (and, with ``lazy=True``, to a polars LazyFrame; with
    ``duckdb=True``, to DuckDB relations). It asserts that

    - the pandas call returns a pandas DataFrame, the polars call a polars
      DataFrame, the lazy call a polars LazyFrame (a DuckDB relation);
    - after converting every result to pandas and resetting the index, all
      results are equal (``pandas.testing.assert_frame_equal`` with
      ``check_dtype=False`` and relative tolerance ``rtol``; missing values
      compare equal whether NaN or null);
    - the pandas inputs were not mutated.

    It returns the pandas result. KPIs that return a tuple of frames (or a
    dict of frames) are compared element by element.

``to_pandas(result)``
    converts a pandas / polars / DuckDB result to a pandas DataFrame with a
    fresh RangeIndex.
"""

from __future__ import annotations

import duckdb as _duckdb
import pandas as pd
import polars as pl
from pandas.testing import assert_frame_equal

__all__ = ["run_on_engines", "to_pandas", "assert_frames_equal"]


def to_pandas(result) -> pd.DataFrame:
    """Any supported result (pandas, polars eager/lazy, DuckDB relation) as pandas."""
    if isinstance(result, pd.DataFrame):
        out = result
    elif isinstance(result, pl.LazyFrame):
        out = result.collect().to_pandas()
    elif isinstance(result, pl.DataFrame):
        out = result.to_pandas()
    elif isinstance(result, _duckdb.DuckDBPyRelation):
        out = result.df()
    else:
        raise TypeError(f"unexpected result type {type(result).__name__}")
    out = out.reset_index(drop=True)
    out.columns = list(out.columns)
    # datetime resolution differs between engines (ns / us): compare at ns
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.astype("datetime64[ns]")
        elif pd.api.types.is_bool_dtype(series):
            out[column] = series.astype(object).where(series.notna(), None)
        elif pd.api.types.is_numeric_dtype(series):
            # nullable integers (Int64 with <NA>) and floats (NaN) mean the same numbers
            out[column] = series.astype("float64")
        else:
            # text: None / NaN / pd.NA all mean missing
            out[column] = series.astype(object).where(series.notna(), None)
    return out


def assert_frames_equal(
    left: pd.DataFrame, right: pd.DataFrame, *, rtol: float = 1e-9, label: str = ""
) -> None:
    """Assert two pandas frames hold the same columns and values (dtype-agnostic)."""
    assert list(left.columns) == list(right.columns), (
        f"{label}: columns differ: {list(left.columns)} != {list(right.columns)}"
    )
    assert_frame_equal(
        left,
        right,
        check_dtype=False,
        rtol=rtol,
        atol=1e-12,
        check_index_type=False,
        obj=label or "DataFrame",
    )


def _convert(value, kind: str):
    if isinstance(value, pd.DataFrame):
        if kind == "polars":
            return pl.from_pandas(value)
        if kind == "lazy":
            return pl.from_pandas(value).lazy()
        if kind == "duckdb":
            return _duckdb.from_arrow(pl.from_pandas(value).to_arrow())
    return value


def _parts(result):
    if isinstance(result, tuple):
        return list(result)
    if isinstance(result, dict):
        return [result[k] for k in sorted(result)]
    return [result]


_EXPECTED_TYPE = {
    "pandas": pd.DataFrame,
    "polars": pl.DataFrame,
    "lazy": pl.LazyFrame,
    "duckdb": _duckdb.DuckDBPyRelation,
}


def run_on_engines(
    kpi, *args, lazy: bool = True, duckdb: bool = False, rtol: float = 1e-9, **kwargs
):
    """Run ``kpi`` on pandas and polars (and lazy) inputs; assert equal; return pandas result."""
    snapshots = [
        (a, a.copy(deep=True)) for a in [*args, *kwargs.values()] if isinstance(a, pd.DataFrame)
    ]
    reference = kpi(*args, **kwargs)
    for original, snapshot in snapshots:
        assert_frame_equal(original, snapshot, obj="input (mutated by the KPI)")
    kinds = ["polars"] + (["lazy"] if lazy else []) + (["duckdb"] if duckdb else [])
    ref_parts = _parts(reference)
    for part in ref_parts:
        assert isinstance(part, pd.DataFrame), f"pandas input gave {type(part).__name__}"
    ref_pandas = [to_pandas(p) for p in ref_parts]
    for kind in kinds:
        result = kpi(
            *[_convert(a, kind) for a in args], **{k: _convert(v, kind) for k, v in kwargs.items()}
        )
        parts = _parts(result)
        assert len(parts) == len(ref_parts), (
            f"{kind}: {len(parts)} results, pandas gave {len(ref_parts)}"
        )
        for i, (part, expected) in enumerate(zip(parts, ref_pandas, strict=True)):
            assert isinstance(part, _EXPECTED_TYPE[kind]), (
                f"{kind} input gave {type(part).__name__}, expected {_EXPECTED_TYPE[kind].__name__}"
            )
            assert_frames_equal(
                to_pandas(part),
                expected,
                rtol=rtol,
                label=f"{getattr(kpi, '__name__', kpi)} [{kind} vs pandas, part {i}]",
            )
    return reference
