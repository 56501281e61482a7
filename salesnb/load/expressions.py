"""Evaluate the expressions of a mapping file: derived columns and row filters.

A mapping expression is one SQL expression over the columns of a table
(``"Qty * \\`Unit Price\\`"``, ``"CASE WHEN Outcome = 'Won' THEN 'won' END"``,
``"coalesce(close_value, 0)"``), evaluated by DuckDB. Mapping files are written
and shared by other people, so an expression is data that must not be able to
run code or touch files. DuckDB is used because it parses and evaluates SQL in
its own engine, with no way back into Python, and because its parser can be
asked for the parse tree without running anything. Three layers guarantee it:

1. **Parse, do not run.** The expression is parsed by DuckDB's own parser
   (``json_serialize_sql``, which only parses) as ``SELECT <expression>``. The
   tree must be one ``SELECT`` of one expression and nothing else: no
   ``FROM``, ``WHERE``, second statement (``;``), ``COPY``, ``ATTACH``,
   ``INSTALL``, ``SET``, ``PRAGMA`` — these are statements, not expressions.
2. **Allow-list every node.** Each node of the tree must be a column name (one
   part), a constant, an operator of arithmetic, comparison or logic,
   ``CASE``, ``CAST``, ``IN (list)``, ``BETWEEN``, ``IS NULL``, ``COALESCE`` or
   one of the scalar functions of :data:`FUNCTIONS` (text, numbers, dates).
   Subqueries, table functions (``read_csv``, ``read_text``, ``glob`` ...),
   aggregates, window functions, lambdas, parameters, qualified names and
   every other function are refused with a :class:`~salesnb.errors.MappingError`
   naming the mapping key. No Python function is registered in DuckDB.
3. **A locked, file-less engine.** The checked tree, with column names
   replaced by internal ones, is printed back to SQL by DuckDB
   (``json_deserialize_sql``), checked again, and evaluated as one expression
   (``DuckDBPyRelation.project``) over an in-memory relation of only the
   referenced columns, in a fresh in-memory connection opened with external
   access disabled (no file, network, ``COPY``, ``ATTACH``, extension
   loading), extension auto-install/auto-load and community extensions off,
   scans of Python variables off, and the configuration locked so nothing in
   a query can switch them back on.

Backward compatibility with the pandas-style expressions of earlier mapping
files: backticks around names (```Unit Price```) become SQL double-quoted
identifiers; ``==``, ``!=``, ``and``, ``or``, ``not`` are SQL already; a whole
expression in double quotes that names no column is a text constant.

A text column whose values are all numbers (currency text such as ``$50.00``
included, see :func:`salesnb.load.parse.parse_numbers`) is used as a number
where the expression computes with it (arithmetic, numeric functions, a
comparison with or ``COALESCE`` of a number); elsewhere (text functions,
``||``, ``strptime``, comparison with text) its text is used.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterator

import pandas as pd

from salesnb.errors import MappingError
from salesnb.load.parse import _string_dtype, parse_numbers

__all__ = ["FUNCTIONS", "check_expression", "evaluate"]

#: The DuckDB connection settings of every expression evaluation.
ENGINE_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,
    "lock_configuration": True,
}

_ARITHMETIC = {"+", "-", "*", "/", "//", "%", "**", "^"}
_NUMBER_FUNCTIONS = {
    "abs", "round", "ceil", "ceiling", "floor", "trunc", "sign", "sqrt",
    "pow", "power", "ln", "log", "log10", "log2", "exp",
}  # fmt: skip
_TEXT_FUNCTIONS = {
    "lower", "upper", "lcase", "ucase", "trim", "ltrim", "rtrim", "replace",
    "substring", "substr", "concat", "concat_ws", "length", "len", "left", "right",
    "lpad", "rpad", "strpos", "instr", "position", "contains", "starts_with",
    "ends_with", "prefix", "suffix", "split_part", "regexp_matches",
    "regexp_replace", "regexp_extract", "regexp_full_match", "reverse",
    "strip_accents", "||", "~~", "!~~", "~~*", "!~~*",
}  # fmt: skip
_DATE_FUNCTIONS = {
    "strptime", "try_strptime", "strftime", "date_trunc", "datetrunc", "date_part",
    "datepart", "year", "month", "day", "quarter", "week", "dayofweek", "isodow",
    "date_diff", "datediff", "date_sub", "datesub", "make_date", "make_timestamp",
    "last_day", "to_days", "to_weeks", "to_months", "to_years",
}  # fmt: skip
_PEER_FUNCTIONS = {"if", "nullif", "greatest", "least"}

#: Scalar functions and operators a mapping expression may call.
FUNCTIONS = frozenset(
    _ARITHMETIC | _NUMBER_FUNCTIONS | _TEXT_FUNCTIONS | _DATE_FUNCTIONS | _PEER_FUNCTIONS
)

_OPERATOR_TYPES = {
    "OPERATOR_NOT",
    "OPERATOR_IS_NULL",
    "OPERATOR_IS_NOT_NULL",
    "COMPARE_IN",
    "COMPARE_NOT_IN",
    "OPERATOR_COALESCE",
}
_NUMBER_TYPES = {
    "double", "float", "real", "decimal", "numeric", "integer", "int", "bigint",
    "smallint", "tinyint", "hugeint", "int4", "int8", "float8",
}  # fmt: skip
_CAST_TYPES = _NUMBER_TYPES | {
    "varchar", "text", "string", "date", "timestamp", "boolean", "bool", "interval",
}  # fmt: skip
_NUMBER_LITERALS = {"INTEGER", "NUMERIC", "DECIMAL", "DOUBLE", "FLOAT", "BIGINT", "HUGEINT"}


def _connect():
    import duckdb

    return duckdb.connect(":memory:", config=dict(ENGINE_CONFIG))


def _translate(expr: str) -> str:
    """Backtick-quoted names (pandas style) as SQL double-quoted identifiers.

    >>> _translate("Qty * `Unit Price` + 'a`b'")
    'Qty * "Unit Price" + \\'a`b\\''
    """
    out, i, n = [], 0, len(expr)
    while i < n:
        ch = expr[i]
        if ch in "'\"":  # a string or identifier: copied as it is ('' and "" escape)
            j = i + 1
            while j < n and not (expr[j] == ch and (j + 1 >= n or expr[j + 1] != ch)):
                j += 2 if expr[j] == ch else 1
            out.append(expr[i : j + 1])
            i = j + 1
        elif ch == "`":
            j = expr.find("`", i + 1)
            if j < 0:
                raise ValueError("a backtick-quoted name is not closed")
            out.append('"' + expr[i + 1 : j].replace('"', '""') + '"')
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _parse_tree(con, sql: str, key: str, expr: str) -> dict:
    """The parse tree of ``SELECT <sql>``: the one expression, checked."""
    try:
        n_statements = len(con.extract_statements("SELECT " + sql))
    except Exception as exc:  # noqa: BLE001 - DuckDB's parser error, reported with the key
        msg = str(exc).replace("SELECT ", "", 1)
        raise MappingError(f"{key}: {expr!r} is not a valid expression: {msg}") from None
    if n_statements != 1:
        raise MappingError(
            f"{key}: {expr!r} holds {n_statements} statements; a mapping expression is one "
            f"expression (';' and statements such as COPY, ATTACH or INSTALL are not allowed)"
        )
    raw = con.execute("SELECT json_serialize_sql(?)", ["SELECT " + sql]).fetchall()[0][0]
    tree = json.loads(raw)
    if tree.get("error"):
        msg = str(tree.get("error_message", "")).replace("SELECT ", "", 1)
        raise MappingError(f"{key}: {expr!r} is not a valid expression: {msg}")
    statements = tree.get("statements") or []
    node = statements[0].get("node", {}) if len(statements) == 1 else {}
    simple = (
        node.get("type") == "SELECT_NODE"
        and len(node.get("select_list") or []) == 1
        and not node["select_list"][0].get("alias")
        and (node.get("from_table") or {}).get("type") == "EMPTY"
        and not node.get("modifiers")
        and not (node.get("cte_map") or {}).get("map")
        and all(
            not node.get(k)
            for k in ("where_clause", "group_expressions", "group_sets", "having", "qualify")
        )
        and node.get("sample") is None
    )
    if not simple:
        raise MappingError(
            f"{key}: {expr!r} is not one expression over the table's columns "
            f"(statements, FROM, WHERE, GROUP BY, aliases and lists of expressions are not allowed)"
        )
    return tree


def _nodes(value) -> Iterator[dict]:
    """Every expression node (a dict with a ``class``) anywhere in a parse tree."""
    if isinstance(value, dict):
        if "class" in value:
            yield value
        for v in value.values():
            yield from _nodes(v)
    elif isinstance(value, list):
        for v in value:
            yield from _nodes(v)


def _refusal(node: dict) -> str | None:
    """Why a parse-tree node is not allowed in a mapping expression, or None."""
    cls = node.get("class")
    if cls == "COLUMN_REF":
        names = node.get("column_names") or []
        if len(names) != 1:
            return f"qualified name {'.'.join(names)!r} (attribute access is not allowed)"
        return None
    if cls in ("CONSTANT", "COMPARISON", "CONJUNCTION", "CASE", "BETWEEN", "CAST"):
        return None
    if cls == "OPERATOR":
        typ = node.get("type")
        return None if typ in _OPERATOR_TYPES else f"operator {typ}"
    if cls == "TYPE":
        name = str(node.get("type_name", "")).lower()
        if name in _CAST_TYPES and not node.get("schema") and not node.get("catalog"):
            return None
        return f"type {name!r}"
    if cls == "FUNCTION":
        name = str(node.get("function_name", "")).lower()
        path = (node.get("qualified_name") or {}).get("path") or [name]
        if node.get("schema") or node.get("catalog") or len(path) != 1:
            return f"function {'.'.join(path)!r} (qualified and method-style calls are not allowed)"
        if name in ("&", "|", "~", "!"):
            return f"operator {name!r} (combine conditions with AND, OR and NOT)"
        if name not in FUNCTIONS:
            return f"function {name!r}"
        if (
            node.get("filter")
            or (node.get("order_bys") or {}).get("orders")
            or node.get("distinct")
            or node.get("export_state")
            or any(a.get("name") for a in node.get("arguments") or [])
        ):
            return f"function {name!r} with FILTER, ORDER BY, DISTINCT or named arguments"
        return None
    names = {
        "SUBQUERY": "a subquery (SELECT inside an expression)",
        "WINDOW": "a window function",
        "LAMBDA": "a lambda",
        "PARAMETER": "a parameter",
        "STAR": "* or COLUMNS(...)",
    }
    return names.get(cls, f"{cls}")


def check_expression(expr: str, *, key: str, con=None) -> dict:
    """Parse a mapping expression and check that it is allowed; nothing is run.

    Parameters
    ----------
    expr : str
        The expression as written in the mapping (SQL; pandas-style backticks
        accepted).
    key : str
        Where the expression is, for messages
        (``"my.toml: table opportunities: derive.amount"``).

    Returns
    -------
    dict
        DuckDB's parse tree of ``SELECT <expr>``.

    Raises
    ------
    MappingError
        The expression does not parse, is not one scalar expression, or uses
        something outside the allow-list (module docstring).

    Examples
    --------
    >>> _ = check_expression("coalesce(amount, 0) * 2", key="derive.amount")
    >>> check_expression("(SELECT 1)", key="derive.amount")
    Traceback (most recent call last):
    ...
    salesnb.errors.MappingError: derive.amount: '(SELECT 1)' uses a subquery (SELECT inside an expression), which is not allowed in mapping expressions (allowed: ...)
    """
    try:
        sql = _translate(str(expr))
    except ValueError as exc:
        raise MappingError(f"{key}: {expr!r}: {exc}") from None
    own = con is None
    con = _connect() if own else con
    try:
        tree = _parse_tree(con, sql, key, expr)
    finally:
        if own:
            con.close()
    for node in _nodes(tree["statements"][0]["node"]["select_list"]):
        why = _refusal(node)
        if why:
            raise MappingError(
                f"{key}: {expr!r} uses {why}, which is not allowed in mapping expressions "
                f"(allowed: column names, constants, operators, CASE, CAST, IN, BETWEEN, "
                f"COALESCE and the functions listed in docs/mappings.md)"
            )
    return tree


def _referenced(tree: dict) -> set[str]:
    """The column names a checked expression refers to."""
    select = tree["statements"][0]["node"]["select_list"]
    return {n["column_names"][0] for n in _nodes(select) if n["class"] == "COLUMN_REF"}


# --------------------------------------------------------------------------- evaluation


class _Columns:
    """The columns an expression refers to, registered under internal names."""

    def __init__(self, mapped: pd.DataFrame, source: pd.DataFrame, key: str, expr: str):
        self.mapped, self.source, self.key, self.expr = mapped, source, key, expr
        self.frame: dict[str, pd.Series] = {}
        self._aliases: dict[tuple[str, bool], str] = {}
        self._numbers: dict[str, pd.Series | None] = {}
        self.text_in_arithmetic: list[str] = []

    def error(self, exc: Exception) -> MappingError:
        """A DuckDB error as a MappingError: column names as written, no candidate list."""
        text = str(exc).split("\n\tCandidate functions:")[0]
        for (name, _), alias in sorted(self._aliases.items(), key=lambda kv: -len(kv[1])):
            text = text.replace(alias, repr(name))
        hint = ""
        for name in self.text_in_arithmetic:
            col = self.series(name)
            _, bad = parse_numbers(col)
            examples = ", ".join(repr(v) for v in col[bad].drop_duplicates().head(3))
            hint += (
                f"; column {name!r} is used as a number but holds text that is not a number"
                + (f" ({examples})" if examples else "")
                + f' (TRY_CAST("{name}" AS DOUBLE) turns such values into empty ones)'
            )
        return MappingError(f"{self.key}: cannot evaluate {self.expr!r}: {text}{hint}")

    def series(self, name: str) -> pd.Series:
        if name in self.mapped.columns:
            return self.mapped[name]
        if name in self.source.columns:
            col = self.source[name]
            return col if col.index is self.mapped.index else col.loc[self.mapped.index]
        found = [str(c) for c in dict.fromkeys([*self.mapped.columns, *self.source.columns])]
        hint = difflib.get_close_matches(name, found, n=1)
        raise MappingError(
            f"{self.key}: {self.expr!r} refers to {name!r}, which is neither a mapped nor a "
            f"source column"
            + (f"; did you mean {hint[0]!r}?" if hint else "")
            + f" (text constants take single quotes: '{name}'). Columns: {', '.join(found)}"
        )

    def numbers(self, name: str) -> pd.Series | None:
        """The column as numbers when all its values are numbers, else None."""
        if name not in self._numbers:
            col = self.series(name)
            nums = None
            if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(
                col.dtype
            ):
                nums = col
            elif not pd.api.types.is_datetime64_any_dtype(col.dtype) and not (
                pd.api.types.is_bool_dtype(col.dtype)
            ):
                parsed, bad = parse_numbers(col)
                if not bad.any():  # an empty column is a number column too
                    nums = parsed
            self._numbers[name] = nums
        return self._numbers[name]

    def alias(self, name: str, numeric: bool) -> str:
        if numeric and self.numbers(name) is None and name not in self.text_in_arithmetic:
            self.text_in_arithmetic.append(name)
        numeric = numeric and self.numbers(name) is not None
        if (name, numeric) not in self._aliases:
            alias = f"__c{len(self._aliases)}"
            self._aliases[(name, numeric)] = alias
            col = self.numbers(name) if numeric else self.series(name)
            self.frame[alias] = col.reset_index(drop=True)
        return self._aliases[(name, numeric)]


def _hint(node: dict, cols: _Columns) -> str | None:
    """What an operand looks like: "number", "text", "number_column", "text_column" or None."""
    cls = node.get("class")
    if cls == "CONSTANT":
        kind = (node.get("literal") or {}).get("kind")
        return "text" if kind == "STRING" else "number" if kind in _NUMBER_LITERALS else None
    if cls == "FUNCTION":
        name = node["function_name"].lower()
        if name in _ARITHMETIC or name in _NUMBER_FUNCTIONS:
            return "number"
        return "text" if name in _TEXT_FUNCTIONS else None
    if cls == "CAST":
        name = str(node["type_expr"].get("type_name", "")).lower()
        return "number" if name in _NUMBER_TYPES else "text" if name != "date" else None
    if cls == "COLUMN_REF":
        name = node["column_names"][0]
        return "number_column" if cols.numbers(name) is not None else "text_column"
    return None


def _peers(operands: list[dict], inherited: bool, cols: _Columns) -> bool:
    """Whether compared / coalesced operands are numbers (see the module docstring)."""
    if inherited:
        return True
    hints = [_hint(op, cols) for op in operands]
    if "text" in hints:
        return False
    if "number" in hints:
        return True
    columns = [h for h in hints if h is not None]
    return bool(columns) and all(h == "number_column" for h in columns)


def _rewrite(node: dict, numeric: bool, cols: _Columns) -> None:
    """Replace column names by their internal names, in place, choosing text or numbers."""
    cls = node["class"]
    if cls == "COLUMN_REF":
        node["column_names"] = [cols.alias(node["column_names"][0], numeric)]
        return
    if cls == "FUNCTION":
        name = node["function_name"].lower()
        args = [a["expression"] for a in node["arguments"]]
        if name in _ARITHMETIC or name in _NUMBER_FUNCTIONS:
            flags = [True] * len(args)
        elif name in _PEER_FUNCTIONS:
            group = args[1:] if name == "if" else args
            peer = _peers(group, numeric and name != "nullif", cols)
            flags = [False] * (len(args) - len(group)) + [peer] * len(group)
        else:
            flags = [False] * len(args)
        for arg, flag in zip(args, flags, strict=True):
            _rewrite(arg, flag, cols)
        return
    if cls == "OPERATOR":
        children = node["children"]
        if node["type"] == "OPERATOR_COALESCE":
            peer = _peers(children, numeric, cols)
        elif node["type"] in ("COMPARE_IN", "COMPARE_NOT_IN"):
            peer = _peers(children, False, cols)
        else:
            peer = False
        for child in children:
            _rewrite(child, peer, cols)
        return
    if cls == "COMPARISON":
        peer = _peers([node["left"], node["right"]], False, cols)
        _rewrite(node["left"], peer, cols)
        _rewrite(node["right"], peer, cols)
    elif cls == "BETWEEN":
        ops = [node["input"], node["lower"], node["upper"]]
        peer = _peers(ops, False, cols)
        for op in ops:
            _rewrite(op, peer, cols)
    elif cls == "CONJUNCTION":
        for child in node["children"]:
            _rewrite(child, False, cols)
    elif cls == "CASE":
        results = [c["then_expr"] for c in node["case_checks"]] + [node["else_expr"]]
        peer = _peers(results, numeric, cols)
        for check in node["case_checks"]:
            _rewrite(check["when_expr"], False, cols)
        for result in results:
            _rewrite(result, peer, cols)
    elif cls == "CAST":
        name = str(node["type_expr"].get("type_name", "")).lower()
        _rewrite(node["child"], name in _NUMBER_TYPES, cols)


def evaluate(
    expr: str, mapped: pd.DataFrame, source: pd.DataFrame | None = None, *, key: str
) -> pd.Series:
    """Evaluate a mapping expression on a table's rows, in a locked DuckDB.

    Parameters
    ----------
    expr : str
        The expression (see :func:`check_expression` and ``docs/mappings.md``).
    mapped : pandas.DataFrame
        The table under contract names; its names are looked up first.
    source : pandas.DataFrame, optional
        The source columns of the same rows (same index), looked up next.
    key : str
        The mapping key, for messages.

    Returns
    -------
    pandas.Series
        One value per row of ``mapped``, on its index.

    Raises
    ------
    MappingError
        Refused expression, unknown column, or an evaluation error (a value
        that does not parse with ``strptime``, text in arithmetic...).

    Examples
    --------
    >>> rows = pd.DataFrame({"Qty": ["2", "1"], "Unit Price": ["$50.00", "$70.00"]})
    >>> evaluate("Qty * `Unit Price`", rows, key="derive.amount").tolist()
    [100.0, 70.0]
    >>> evaluate("CASE WHEN Qty == 2 THEN 'two' ELSE lower('ONE') END", rows, key="k").tolist()
    ['two', 'one']
    """
    import duckdb
    import pyarrow as pa

    source = mapped if source is None else source
    cols = _Columns(mapped, source, key, expr)
    con = _connect()
    try:
        tree = check_expression(expr, key=key, con=con)
        node = tree["statements"][0]["node"]["select_list"][0]
        text = str(expr).strip()
        if (
            node["class"] == "COLUMN_REF"
            and len(text) > 1
            and text[0] == text[-1] == '"'
            and node["column_names"][0] not in mapped.columns
            and node["column_names"][0] not in source.columns
        ):
            # an earlier mapping's double-quoted constant ("\"fulfilled\"")
            return pd.Series(node["column_names"][0], index=mapped.index, dtype=_string_dtype())
        tree = copy.deepcopy(tree)
        _rewrite(tree["statements"][0]["node"]["select_list"][0], False, cols)
        sql = con.execute("SELECT json_deserialize_sql(?)", [json.dumps(tree)]).fetchall()[0][0]
        sql = sql.removeprefix("SELECT ")
        check_expression(sql, key=key, con=con)  # what runs is what was checked
        frame = pd.DataFrame(cols.frame) if cols.frame else pd.DataFrame({"__one": [1]})
        rel = con.from_df(frame).project(duckdb.SQLExpression(sql).alias("value"))
        table = rel.to_arrow_table()
    except MappingError:
        raise
    except duckdb.Error as exc:
        raise cols.error(exc) from None
    finally:
        con.close()
    column = table.column(0)
    if pa.types.is_decimal(column.type):
        column = column.cast(pa.float64())
    sdt = _string_dtype()
    mapper = {pa.string(): sdt, pa.large_string(): sdt}.get if sdt is not object else None
    values = pa.table({"value": column}).to_pandas(types_mapper=mapper)["value"]
    if not cols.frame:
        return pd.Series(values.iloc[0], index=mapped.index, dtype=values.dtype)
    if len(values) != len(mapped):
        raise MappingError(f"{key}: {expr!r} does not give one value per row")
    values.index = mapped.index
    return values.rename(None)
