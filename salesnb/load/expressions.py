"""Evaluate the expressions of a mapping file: derived columns and row filters.

An expression is a quoted constant, or pandas arithmetic or comparison over
column names (backticks for names with spaces) evaluated with ``pandas.eval``;
every name in it must be a mapped or a source column.
"""

from __future__ import annotations

import re

import pandas as pd

from salesnb.errors import MappingError
from salesnb.load.parse import parse_numbers

_NAME_IN_EXPR = re.compile(r"`([^`]+)`|\b([A-Za-z_][A-Za-z0-9_]*)\b")


def _inside_quotes(text: str, pos: int) -> bool:
    before = text[:pos]
    return before.count("'") % 2 == 1 or before.count('"') % 2 == 1


def _derive(
    mapped: pd.DataFrame, source: pd.DataFrame, expr: str, *, table: str, origin: str
) -> pd.Series:
    """Evaluate a derived-column expression on mapped or source columns.

    A bare quoted string is a constant; otherwise the expression is pandas
    arithmetic or comparison over column names (backticks for names with
    spaces); referenced text columns that hold only numbers (currency text
    included) are parsed as numbers first.
    """
    e = expr.strip()
    if (e.startswith("'") and e.endswith("'")) or (e.startswith('"') and e.endswith('"')):
        return pd.Series(e[1:-1], index=mapped.index)
    env: dict[str, pd.Series] = {}
    names = []
    for m in _NAME_IN_EXPR.finditer(e):
        name = m.group(1) or m.group(2)
        if m.group(2) and (
            name in ("and", "or", "not", "True", "False") or _inside_quotes(e, m.start())
        ):
            continue
        if name in mapped.columns:
            col = mapped[name]
        elif name in source.columns:
            col = source.loc[mapped.index, name]
        else:
            raise MappingError(
                f"{origin}: table {table}: derived expression {expr!r} refers to {name!r}, "
                f"which is neither a mapped nor a source column"
            )
        if not pd.api.types.is_datetime64_any_dtype(col.dtype):
            nums, bad = parse_numbers(col)
            if not bad.any() and nums.notna().any():
                col = nums
        key = f"__c{len(names)}"
        names.append((m.group(0), key))
        env[key] = col
    code = e
    for token, key in sorted(names, key=lambda t: -len(t[0])):
        code = code.replace(token, key)
    try:
        return pd.eval(code, local_dict=env, engine="python")
    except Exception as exc:  # noqa: BLE001
        raise MappingError(f"{origin}: table {table}: cannot evaluate {expr!r}: {exc}") from exc
