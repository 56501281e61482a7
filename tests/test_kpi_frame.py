"""Tests for salesnb.kpi._frame.encode_keys (pandas integer codes for id keys)."""

from __future__ import annotations

import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from salesnb.kpi._frame import _factorize, _pack_short_text, encode_keys


def _arrow_str(values, *, large=True) -> pd.Series:
    kind = pa.large_string() if large else pa.string()
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([values], type=kind)))


def _same_partition(codes, values) -> bool:
    """True when ``codes`` group the positions exactly as ``values`` do (None = one group)."""
    keys = ["\x00null" if v is None or v is pd.NA or v != v else v for v in values]
    pairs = set(zip(codes, keys, strict=True))
    return len({c for c, _ in pairs}) == len(pairs) == len(set(keys))


@pytest.mark.parametrize(
    "values",
    [
        ["C001", "C002", "C001", "C003", "C002"],  # same width: packed fast path
        ["a", "bb", "a", "ccc", "bb"],  # different widths: pandas factorize
        ["C001", None, "C001", None, "C002"],  # missing values: one code of their own
        ["ABCDEFGHI", "ABCDEFGHJ", "ABCDEFGHI"],  # wider than 8 bytes
        ["C0000001", "C0000002", "C0000001"],  # exactly 8 bytes
    ],
)
@pytest.mark.parametrize("storage", ["large", "small", "object", "category"])
def test_factorize_groups_like_the_values(values, storage):
    if storage in ("large", "small"):
        series = _arrow_str(values, large=storage == "large")
    else:
        series = pd.Series(values, dtype=storage)
    codes = _factorize(series)
    assert len(codes) == len(values)
    assert np.issubdtype(codes.dtype, np.integer)
    assert _same_partition(codes.tolist(), values)


def test_pack_short_text_only_for_equal_widths_up_to_8_bytes_without_nulls():
    packed = _pack_short_text(_arrow_str(["C001", "C002", "C001"]))
    assert packed is not None and packed.dtype == np.uint64
    assert packed[0] == packed[2] != packed[1]
    assert _pack_short_text(_arrow_str(["a", "bb"])) is None
    assert _pack_short_text(_arrow_str(["C001", None])) is None
    assert _pack_short_text(_arrow_str(["ABCDEFGHI", "ABCDEFGHJ"])) is None
    assert _pack_short_text(_arrow_str(["", ""])) is None
    assert _pack_short_text(pd.Series(["C001", "C002"], dtype=object)) is None


def test_pack_short_text_reads_sliced_chunks():
    # a filtered/sliced frame has chunks with a non-zero offset
    base = pa.array(["X999", "C001", "C002", "C001", "C003"], type=pa.large_string())
    chunked = pa.chunked_array([base.slice(1, 2), base.slice(3, 2)])
    series = pd.Series(pd.arrays.ArrowExtensionArray(chunked))
    codes = _factorize(series)
    assert _same_partition(codes.tolist(), ["C001", "C002", "C001", "C003"])


def test_encode_keys_pandas_keeps_index_and_other_columns():
    df = pd.DataFrame({"id": ["b", "a", None, "b"], "x": [1.0, 2.0, 3.0, 4.0]}, index=[5, 3, 9, 1])
    before = df.copy()
    out = nw.to_native(encode_keys(nw.from_native(df).lazy(), ["id"]))
    assert out["id"].tolist() == [0, 1, 2, 0]
    assert out["x"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert out.index.tolist() == [5, 3, 9, 1]
    pd.testing.assert_frame_equal(df, before)  # input not mutated


def test_encode_keys_leaves_integer_columns_and_other_backends_alone():
    ints = nw.from_native(pd.DataFrame({"id": [7, 3, 7]})).lazy()
    assert encode_keys(ints, ["id"]) is ints
    lazy = nw.from_native(pl.LazyFrame({"id": ["b", "a"]}))
    out = encode_keys(lazy, ["id"])
    assert out is lazy
    assert isinstance(nw.to_native(out), pl.LazyFrame)
