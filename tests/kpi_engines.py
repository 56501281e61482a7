"""Shared test helper: run a KPI on pandas and on polars input, assert identical results.

API note (import it as ``from tests.kpi_engines import run_on_engines``)
------------------------------------------------------------------------
``run_on_engines(kpi, *args, lazy=True, duckdb=False, engines=None, spark=None,
rtol=1e-9, **kwargs)``
    calls ``kpi(*args, **kwargs)`` with the pandas DataFrames given, then with
    every pandas DataFrame among ``args``/``kwargs`` converted to a polars
    DataFrame (and, with ``lazy=True``, to a polars LazyFrame; with
    ``duckdb=True``, to DuckDB relations on a connection of their own, made by
    ``duckdb.connect()`` for the call, not the default one). ``engines`` names
    the kinds explicitly instead (any of :data:`ENGINES`: ``"polars"``,
    ``"lazy"``, ``"duckdb"``, ``"spark"``); ``"spark"`` needs the SparkSession
    ``spark``. It asserts that

    - the pandas call returns a pandas DataFrame, the polars call a polars
      DataFrame, the lazy call a polars LazyFrame (a DuckDB relation, a Spark
      DataFrame);
    - after converting every result to pandas and resetting the index, all
      results are equal (``pandas.testing.assert_frame_equal`` with
      ``check_dtype=False`` and relative tolerance ``rtol``; missing values
      compare equal whether NaN or null);
    - the pandas inputs were not mutated.

    It returns the pandas result. KPIs that return a tuple of frames (or a
    dict of frames) are compared element by element.

``to_pandas(result)``
    converts a pandas / polars / DuckDB / Spark result to a pandas DataFrame
    with a fresh RangeIndex.

``convert(frame, kind, *, spark=None, connection=None)``
    one pandas DataFrame as the native frame of ``kind`` (text as plain
    strings, datetimes as they are); ``connection`` is the DuckDB connection
    to create the relation on (default: a new one).

``history_from_opportunities(opportunities)``
    a deal history (``opportunity_history``) consistent with the current state of
    ``opportunities``, for running the history KPIs on the bundled sample when it has
    no history table: per deal a row at ``created_at`` (first stage, open), one at
    ``stage_changed_at`` when the deal moved on (its stage, open) and one at
    ``closed_at`` for closed deals (its stage and status).

polars is imported only when a polars kind is used, so the helpers also run
where polars cannot be imported.
"""

from __future__ import annotations

import sys

import duckdb as _duckdb
import pandas as pd
import pyarrow as pa
from pandas.testing import assert_frame_equal

__all__ = [
    "ENGINES",
    "run_on_engines",
    "to_pandas",
    "convert",
    "assert_frames_equal",
    "history_from_opportunities",
]

#: Kinds of input besides pandas that :func:`run_on_engines` can run a KPI on.
ENGINES = ("polars", "lazy", "duckdb", "spark")


def _is_spark(value) -> bool:
    return type(value).__module__.startswith("pyspark.")


def to_pandas(result) -> pd.DataFrame:
    """Any supported result (pandas, polars eager/lazy, DuckDB relation, Spark) as pandas."""
    pl = sys.modules.get("polars")
    if isinstance(result, pd.DataFrame):
        out = result
    elif pl is not None and isinstance(result, pl.LazyFrame):
        out = result.collect().to_pandas()
    elif pl is not None and isinstance(result, pl.DataFrame):
        out = result.to_pandas()
    elif isinstance(result, _duckdb.DuckDBPyRelation):
        out = result.df()
    elif _is_spark(result):
        out = result.toPandas()
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


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table with text as plain ``string`` columns."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns = [
        c.cast(pa.string())
        if pa.types.is_large_string(c.type) or pa.types.is_dictionary(c.type)
        else c
        for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def convert(frame: pd.DataFrame, kind: str, *, spark=None, connection=None):
    """One pandas DataFrame as the native frame of ``kind`` (see the module docstring)."""
    if kind in ("polars", "lazy"):
        import polars as pl

        out = pl.from_pandas(frame)
        return out.lazy() if kind == "lazy" else out
    if kind == "duckdb":
        con = connection if connection is not None else _duckdb.connect()
        return con.from_arrow(_arrow(frame))
    if kind == "spark":
        if spark is None:
            raise ValueError("kind 'spark' needs a SparkSession (spark=...)")
        return spark.createDataFrame(_arrow(frame))
    raise ValueError(f"unknown kind {kind!r}; expected one of {ENGINES}")


def _convert(value, kind: str, *, spark=None, connection=None):
    if isinstance(value, pd.DataFrame):
        return convert(value, kind, spark=spark, connection=connection)
    return value


def _parts(result):
    if isinstance(result, tuple):
        return list(result)
    if isinstance(result, dict):
        return [result[k] for k in sorted(result)]
    return [result]


def _expected_type(kind: str, part) -> str | None:
    """None when ``part`` is the native kind expected for input ``kind``, else its name."""
    if kind in ("polars", "lazy"):
        import polars as pl

        ok = isinstance(part, pl.LazyFrame if kind == "lazy" else pl.DataFrame)
        name = "LazyFrame" if kind == "lazy" else "polars DataFrame"
    elif kind == "duckdb":
        ok, name = isinstance(part, _duckdb.DuckDBPyRelation), "DuckDBPyRelation"
    else:
        ok, name = _is_spark(part) and hasattr(part, "toPandas"), "Spark DataFrame"
    return None if ok else name


def run_on_engines(
    kpi,
    *args,
    lazy: bool = True,
    duckdb: bool = False,
    engines=None,
    spark=None,
    rtol: float = 1e-9,
    **kwargs,
):
    """Run ``kpi`` on pandas and other engines' inputs; assert equal; return pandas result."""
    snapshots = [
        (a, a.copy(deep=True)) for a in [*args, *kwargs.values()] if isinstance(a, pd.DataFrame)
    ]
    reference = kpi(*args, **kwargs)
    for original, snapshot in snapshots:
        assert_frame_equal(original, snapshot, obj="input (mutated by the KPI)")
    if engines is None:
        kinds = ["polars"] + (["lazy"] if lazy else []) + (["duckdb"] if duckdb else [])
    else:
        kinds = list(engines)
    ref_parts = _parts(reference)
    for part in ref_parts:
        assert isinstance(part, pd.DataFrame), f"pandas input gave {type(part).__name__}"
    ref_pandas = [to_pandas(p) for p in ref_parts]
    for kind in kinds:
        con = _duckdb.connect() if kind == "duckdb" else None
        opts = {"spark": spark, "connection": con}
        result = kpi(
            *[_convert(a, kind, **opts) for a in args],
            **{k: _convert(v, kind, **opts) for k, v in kwargs.items()},
        )
        parts = _parts(result)
        assert len(parts) == len(ref_parts), (
            f"{kind}: {len(parts)} results, pandas gave {len(ref_parts)}"
        )
        for i, (part, expected) in enumerate(zip(parts, ref_pandas, strict=True)):
            wrong = _expected_type(kind, part)
            assert wrong is None, f"{kind} input gave {type(part).__name__}, expected {wrong}"
            assert_frames_equal(
                to_pandas(part),
                expected,
                rtol=rtol,
                label=f"{getattr(kpi, '__name__', kpi)} [{kind} vs pandas, part {i}]",
            )
    return reference


def history_from_opportunities(opportunities: pd.DataFrame) -> pd.DataFrame:
    """A deal history agreeing with ``opportunities`` (see the module docstring)."""
    opp = opportunities
    keep = ["opportunity_id", "amount", "expected_close_date"]
    first = opp[keep].assign(changed_at=opp["created_at"], stage="qualification", status="open")
    moved = opp["stage_changed_at"].gt(opp["created_at"]) & opp["stage"].ne("qualification")
    middle = opp.loc[moved, keep].assign(
        changed_at=opp.loc[moved, "stage_changed_at"], stage=opp.loc[moved, "stage"], status="open"
    )
    closed = opp["closed_at"].notna()
    last = opp.loc[closed, keep].assign(
        changed_at=opp.loc[closed, "closed_at"],
        stage=opp.loc[closed, "stage"],
        status=opp.loc[closed, "status"],
    )
    columns = ["opportunity_id", "changed_at", "stage", "status", "amount", "expected_close_date"]
    history = pd.concat([first, middle, last], ignore_index=True)[columns]
    return history.sort_values(["opportunity_id", "changed_at"], kind="stable").reset_index(
        drop=True
    )
