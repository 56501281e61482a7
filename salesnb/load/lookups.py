"""Lookups of a mapping: checking a ``[tables.X.lookups.col]`` section, and the values
another file or table gives per key.

A lookup fills a column from another file (or sheet, or database table) of the same
source, or from another table of the same mapping, by key; see ``docs/mappings.md``.
Reading the other rows and filling the column is done while the mapping is applied
(:func:`salesnb.load.mapping._apply_lookup`); this module holds what does not depend on
that: the section's rules, the chain of table lookups, and one value per key.
"""

from __future__ import annotations

import difflib
from typing import Any

import pandas as pd

from salesnb.errors import MappingError
from salesnb.load.parse import _MISSING_TEXT, _clean_text

_LOOKUP_KEYS = {
    "file", "sheet", "table", "key", "on", "value", "fill", "encoding", "delimiter", "skip_rows",
}  # fmt: skip


def _is_empty(values: pd.Series) -> pd.Series:
    """Missing values: NaN/None, blank text or a missing-value word (``NULL``, ``N/A``...)."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        return values.isna()
    text = values.astype("string").str.strip()
    return (text.isna() | text.isin(_MISSING_TEXT)).fillna(True).astype(bool)


def _check_lookup(lookup: Any, key: str) -> None:
    """A lookup section: where to look (file/sheet or table), key, value, fill."""
    if not isinstance(lookup, dict):
        raise MappingError(f"{key}: expected a section with file (or table), key, on and value")
    bad = set(lookup) - _LOOKUP_KEYS
    if bad:
        raise MappingError(f"{key}: unknown key(s) {sorted(bad)}; allowed: {sorted(_LOOKUP_KEYS)}")
    places = [k for k in ("file", "table") if k in lookup]
    if len(places) != 1 and not (not places and "sheet" in lookup):
        raise MappingError(
            f'{key}: give the other file (file = "products.csv", or sheet = "...") or a '
            f'table of this mapping (table = "products"), not {places or "neither"}'
        )
    missing = [k for k in ("key", "value") if not lookup.get(k)]
    if missing:
        raise MappingError(f"{key}: missing {' and '.join(missing)} (see docs/mappings.md)")
    if lookup.get("fill", "missing") not in ("missing", "all"):
        raise MappingError(f"{key}: fill = {lookup['fill']!r}; expected 'missing' or 'all'")


def _check_lookup_cycles(tables: dict, where: str) -> None:
    """Lookups through tables (``table = ...``) may chain but not loop."""
    refs = {
        t: [lk.get("table") for lk in (spec.get("lookups") or {}).values() if lk.get("table")]
        for t, spec in tables.items()
    }

    def visit(table: str, path: tuple) -> None:
        for ref in refs.get(table, []):
            if ref in path:
                cycle = " -> ".join((*path, ref))
                raise MappingError(f"{where}: lookups through tables form a cycle: {cycle}")
            visit(ref, (*path, ref))

    for table in refs:
        visit(table, (table,))


def _link_lookups(tname: str, spec: dict, tables: dict, where: str) -> None:
    """Give each ``table = ...`` lookup the section of the table it reads (``_table_spec``)."""
    lookups = {}
    for col, lookup in (spec.get("lookups") or {}).items():
        ref = lookup.get("table")
        if ref is not None:
            if ref not in tables or ref == tname:
                raise MappingError(
                    f"{where}: table {tname}: lookups.{col}: table = {ref!r} is not another "
                    f"table of this mapping (mapped: {', '.join(tables)})"
                )
            lookup = {**lookup, "_table_spec": tables[ref]}
        lookups[col] = lookup
    if lookups:
        spec["lookups"] = lookups


def _lookup_keys(values: pd.Series) -> pd.Series:
    """Key values as comparable text: stripped, ``123.0`` as ``123``, blanks missing."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    return _clean_text(values, strip=True)


def _lookup_values(
    other: pd.DataFrame, on: str, value: str, label: str, key: str
) -> tuple[pd.Series, list]:
    """One value per key of the lookup rows (``key -> value``) and every key present.

    Raises MappingError when a key appears with different non-empty values.
    """
    for name in (on, value):
        if name not in other.columns:
            hint = difflib.get_close_matches(str(name), [str(c) for c in other.columns], n=1)
            raise MappingError(
                f"{key}: {label} has no column {name!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
                + f"; columns: {', '.join(map(str, other.columns))}"
            )
    keys = _lookup_keys(other[on])
    vals = other[value]
    present = keys.notna()
    filled = present & ~_is_empty(vals)
    pairs = pd.DataFrame({"k": keys[filled], "v": _lookup_keys(vals[filled])})
    distinct = pairs.drop_duplicates()
    clash = distinct["k"][distinct["k"].duplicated(keep=False)].unique()
    if len(clash):
        shown = []
        for k in clash[:3]:
            rows = pairs.index[pairs["k"] == k][:4].tolist()
            got = sorted(set(pairs.loc[pairs["k"] == k, "v"]))[:3]
            shown.append(f"{k!r} (rows {', '.join(map(str, rows))}: {', '.join(map(repr, got))})")
        raise MappingError(
            f"{key}: {label} holds {len(clash)} {on} value(s) more than once with different "
            f"{value} values: {'; '.join(shown)}; a lookup needs one value per key"
        )
    first = distinct.drop_duplicates("k")
    return pd.Series(first["v"].to_numpy(), index=first["k"].to_numpy()), list(set(keys[present]))
