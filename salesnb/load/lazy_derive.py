"""Mapping expressions of a lazy load: ``filter`` and ``derive`` as DuckDB SQL layers.

The expressions are those of :mod:`salesnb.load.expressions`: parsed and
checked against its allow-list, column names rewritten to the columns of the
layer (a column used as a number is parsed as one when every value of it is a
number, as the eager loader decides), and checked again after the rewrite —
what runs is what was checked. They run in the scan's DuckDB (engines duckdb
and polars); Spark refuses them earlier (:func:`salesnb.load.lazy_plan.check_supported`).
"""

from __future__ import annotations

import copy
import difflib
import json

from salesnb.errors import MappingError
from salesnb.load.expressions import _connect, _rewrite, check_expression
from salesnb.load.lazy_plan import value_map
from salesnb.load.lazy_sql import missing_words, number

_NUMERIC_TYPES = ("DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT",
                  "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "DECIMAL")  # fmt: skip


class _LazyColumns:
    """The columns an expression refers to, as SQL of the layer it runs on.

    Duck-types :class:`salesnb.load.expressions._Columns` for ``_rewrite``:
    ``numbers(name)`` says whether a column is all numbers, ``alias(name,
    numeric)`` gives its internal name and remembers its SQL.
    """

    def __init__(self, refs: dict[str, str], numeric: dict[str, bool], key: str, expr: str):
        self.refs, self.numeric, self.key, self.expr = refs, numeric, key, expr
        self.aliases: dict[tuple[str, bool], str] = {}
        self.sql: dict[str, str] = {}
        self.text_in_arithmetic: list[str] = []

    def numbers(self, name: str):
        if name not in self.refs:
            hint = difflib.get_close_matches(name, list(self.refs), n=1)
            raise MappingError(
                f"{self.key}: {self.expr!r} refers to {name!r}, which is neither a mapped nor a "
                f"source column" + (f"; did you mean {hint[0]!r}?" if hint else "")
                + f" (text constants take single quotes: '{name}'). Columns: {', '.join(self.refs)}"
            )  # fmt: skip
        return True if self.numeric.get(name) else None

    def alias(self, name: str, numeric: bool) -> str:
        if numeric and self.numbers(name) is None and name not in self.text_in_arithmetic:
            self.text_in_arithmetic.append(name)
        numeric = numeric and self.numbers(name) is not None
        if (name, numeric) not in self.aliases:
            alias = f"__c{len(self.aliases)}"
            self.aliases[(name, numeric)] = alias
            self.sql[alias] = self.refs[name]
        return self.aliases[(name, numeric)]


def _numeric(eng, layer: str, refs: dict[str, str], names) -> dict[str, bool]:
    """Which of ``names`` hold numbers only: typed numbers, or text whose every value parses."""
    d = eng.dialect
    rel = eng.con.sql(f"SELECT * FROM ({layer}) q LIMIT 0")
    types = {c: str(t).upper() for c, t in zip(rel.columns, rel.types, strict=True)}
    out, texts = {}, []
    for name in names:
        col = refs[name].strip('"')
        typ = types.get(col, "VARCHAR")
        if typ == "VARCHAR":
            texts.append(name)
        else:
            out[name] = typ.startswith(_NUMERIC_TYPES)
    if texts:
        parts = []
        for name in texts:
            m = missing_words(d, refs[name])
            parts += [f"count({m})", f"count({number(d, m)})"]
        row = eng.one_row(f"SELECT {', '.join(parts)} FROM ({layer}) q")
        for i, name in enumerate(texts):
            out[name] = row[2 * i] == row[2 * i + 1]
    return out


def _expression_sql(eng, layer: str, expr: str, refs: dict[str, str], key: str) -> str:
    """The layer with the expression's aliases, and the expression on them (SQL text pair)."""
    tree = check_expression(str(expr), key=key)
    names = {
        n["column_names"][0]
        for n in _walk(tree["statements"][0]["node"]["select_list"])
        if n.get("class") == "COLUMN_REF"
    }
    known = {n for n in names if n in refs}
    cols = _LazyColumns(refs, _numeric(eng, layer, refs, known), key, expr)
    tree = copy.deepcopy(tree)
    _rewrite(tree["statements"][0]["node"]["select_list"][0], False, cols)
    con = _connect()
    try:
        sql = con.execute("SELECT json_deserialize_sql(?)", [json.dumps(tree)]).fetchall()[0][0]
        sql = sql.removeprefix("SELECT ")
        check_expression(sql, key=key, con=con)  # what runs is what was checked
    finally:
        con.close()
    d = eng.dialect
    aliases = []
    for alias, ref in cols.sql.items():
        numeric = any(a == alias and num for (_, num), a in cols.aliases.items())
        aliases.append(f"{number(d, missing_words(d, ref)) if numeric else ref} AS {alias}")
    with_aliases = f"SELECT q.*{', ' if aliases else ''}{', '.join(aliases)} FROM ({layer}) q"
    if cols.text_in_arithmetic:
        hint = ", ".join(repr(n) for n in cols.text_in_arithmetic)
        key += f" (column(s) {hint} are used as numbers but hold text that is not a number)"
    return with_aliases, sql, list(cols.sql), key


def _walk(value):
    if isinstance(value, dict):
        if "class" in value:
            yield value
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _bind(eng, sql: str, key: str, expr: str) -> list:
    """Bind a layer (no rows read); an engine error becomes a MappingError naming the key."""
    import duckdb

    try:
        rel = eng.con.sql(f"SELECT * FROM ({sql}) q LIMIT 0")
        return list(zip(rel.columns, rel.types, strict=True))
    except duckdb.Error as exc:
        text = str(exc).split("\n")[0]
        raise MappingError(f"{key}: cannot evaluate {expr!r}: {text}") from None


def filter_layer(eng, raw_sql: str, tmap: dict, src, table: str) -> str:
    """Layer 1 with ``__kept``: the mapping's filter (on source columns), else TRUE."""
    query = tmap.get("filter")
    if not query:
        return f"SELECT r.*, TRUE AS __kept FROM ({raw_sql}) r"
    key = f"{tmap.get('_where', 'mapping')}: table {table}: filter"
    refs = {n: f"__s{i}" for i, n in enumerate(src.names)}
    layer, sql, aliases, key2 = _expression_sql(eng, raw_sql, query, refs, key)
    types = dict(_bind(eng, f"SELECT ({sql}) AS v FROM ({layer}) f", key2, query))
    if str(types["v"]).upper() not in ("BOOLEAN", '"NULL"', "NULL"):
        raise MappingError(
            f"{key}: {query!r} gives {types['v']} values, not true or false "
            f"(a filter is a condition, e.g. \"Owner != 'test-user'\")"
        )
    head = f"SELECT * EXCLUDE ({', '.join(aliases)})" if aliases else "SELECT *"
    return f"{head}, COALESCE(({sql}), FALSE) AS __kept FROM ({layer}) f"


def derive_layers(
    eng, layer: str, tmap: dict, src, refs: dict[str, str], table: str
) -> tuple[str, set[str]]:
    """The mapped layer with each ``derive`` column (in the order written), value maps applied.

    Returns the layer and the derived contract column names.
    """
    derive = tmap.get("derive") or {}
    values = tmap.get("values") or {}
    names = dict(refs)
    for i, n in enumerate(src.names):
        names.setdefault(n, f"__s{i}")
    done = set()
    where = f"{tmap.get('_where', 'mapping')}: table {table}"
    for col, expr in derive.items():
        key = f"{where}: derive.{col}"
        with_aliases, sql, aliases, key2 = _expression_sql(eng, layer, str(expr), names, key)
        target = f"__m_{col}"
        if col in values:
            sql = value_map(eng.dialect, f"CAST(({sql}) AS VARCHAR)", values[col])
        drop = [*aliases] + ([target] if _has(eng, layer, target) else [])
        head = f"SELECT * EXCLUDE ({', '.join(drop)})" if drop else "SELECT *"
        layer = f"{head}, ({sql}) AS {target} FROM ({with_aliases}) g"
        _bind(eng, layer, key2, str(expr))
        names[col] = target
        done.add(col)
    return layer, done


def _has(eng, layer: str, column: str) -> bool:
    rel = eng.con.sql(f"SELECT * FROM ({layer}) q LIMIT 0")
    return column in rel.columns
