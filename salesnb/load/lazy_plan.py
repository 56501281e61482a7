"""The SQL plan of one lazily loaded table: mapping, parsing and contract rules as layers.

:func:`salesnb.scan` never brings a table into Python: it writes one SQL query
per table, in layers, and lets the engine (DuckDB or Spark SQL) run it over the
files:

1. ``raw``: the source columns under internal names ``__s0, __s1...`` with
   ``__file`` (the part file), ``__row`` (its 1-based row number where the
   engine gives it) and ``__ord`` (a reading order);
2. ``mapped``: the mapping's filter (``__kept``), renames, value maps and
   derived columns (DuckDB only: the locked, checked expressions of
   :mod:`salesnb.load.expressions`), as text under ``__m_<column>``;
3. ``parsed``: every contract column parsed by its kind (:mod:`salesnb.load.lazy_sql`)
   as ``__p_<column>``, with ``__b_<column>`` for values that do not parse;
4. ``checked``: one boolean per contract rule (:class:`Rule`: required
   value, type, allowed values, ranges, pattern, unique key, date order,
   columns required on some rows, event dates after ``as_of``, foreign keys)
   and ``__bad``, their OR.

The loaded table is ``checked`` where ``NOT __bad``; the counts per rule and a
bounded sample of bad rows come from two small queries over the same layers
(:mod:`salesnb.load.scan`). The rules are those of the eager loader
(:mod:`salesnb.load.validate`); where an engine cannot tell the first row of a
duplicated key by line (Spark), its reading order decides.
"""

from __future__ import annotations

import dataclasses
import re

from salesnb.errors import MappingError
from salesnb.load.lazy_sql import (
    Dialect,
    clean_text,
    enum,
    flag,
    missing_words,
    number,
    placeholder,
    timestamp,
)
from salesnb.load.parse import _RULES, _allowed_values
from salesnb.schema import TABLES, columns, required_columns

_SUPPORTED = {"file", "columns", "values", "dates", "derive", "filter", "keep_extra", "decimal",
              "delimiter", "encoding", "skip_rows", "optional"}  # fmt: skip
_DUCKDB_ONLY = ("derive", "filter")


@dataclasses.dataclass
class Rule:
    """One contract rule of a table as SQL over the ``parsed`` layer.

    ``cond`` is true on the rows that break it, ``value`` their offending value
    (text), ``reason`` an SQL text expression when the rule text depends on the
    row (else ``text`` is the reason).
    """

    column: str | None
    text: str
    cond: str
    value: str = "NULL"
    reason: str | None = None
    after_own: bool = False  # checked only on rows that break no other rule (foreign keys)


@dataclasses.dataclass
class TablePlan:
    """The layers of one table, and what its checks report."""

    table: str
    dialect: Dialect
    raw_names: list[str]
    parsed_sql: str = ""
    rules: list[Rule] = dataclasses.field(default_factory=list)
    outputs: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (name, sql)
    counters: dict[str, str] = dataclasses.field(default_factory=dict)  # note -> condition
    joins: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (JOIN, carried)

    def checked_sql(self) -> str:
        """The ``checked`` layer: rule flags ``__r0...`` and ``__bad``."""
        own = [i for i, r in enumerate(self.rules) if not r.after_own]
        late = [i for i, r in enumerate(self.rules) if r.after_own]
        first = ", ".join(f"COALESCE({self._cond(i)}, FALSE) AS __r{i}" for i in own)
        bad0 = " OR ".join(f"__r{i}" for i in own) or "FALSE"
        carried = "".join(f", {item}" for _, item in self.joins if item)
        inner = f"SELECT t.*{carried}{', ' if first else ''}{first} FROM ({self.parsed_sql}) t"
        inner += "".join(f" {j}" for j, _ in self.joins)
        late_cols = "".join(
            f", (COALESCE({self.rules[i].cond}, FALSE) AND NOT ({bad0})) AS __r{i}" for i in late
        )
        mid = f"SELECT u.*, ({bad0}) AS __bad0{late_cols} FROM ({inner}) u"
        bad = " OR ".join(["__bad0", *(f"__r{i}" for i in late)])
        return f"SELECT v.*, ({bad}) AS __bad FROM ({mid}) v"

    def _cond(self, i: int) -> str:
        rule = self.rules[i]
        return (
            rule.cond
            if rule.column is None and rule.text.startswith("excluded")
            else f"__kept AND ({rule.cond})"
        )

    def loaded_sql(self) -> str:
        """The loaded rows: contract columns (and kept extras) under their names."""
        d = self.dialect
        cols = ", ".join(f"{sql} AS {d.ident(name)}" for name, sql in self.outputs)
        return f"SELECT {cols} FROM ({self.checked_sql()}) w WHERE NOT __bad"

    def counts_sql(self) -> str:
        """One row: rows read, rows rejected, rows per rule, an example value per rule, counters."""
        parts = ["count(*)", "sum(CASE WHEN __bad THEN 1 ELSE 0 END)"]
        for i, rule in enumerate(self.rules):
            parts.append(f"sum(CASE WHEN __r{i} THEN 1 ELSE 0 END)")
            parts.append(f"min(CASE WHEN __r{i} THEN {self.dialect.as_text(rule.value)} END)")
        parts += [f"sum(CASE WHEN {c} THEN 1 ELSE 0 END)" for c in self.counters.values()]
        return f"SELECT {', '.join(parts)} FROM ({self.checked_sql()}) w"

    def sample_sql(self, n: int) -> str:
        """Up to ``n`` rejected rows: raw values, source file and row, and the reason."""
        d = self.dialect
        raw = [f"__s{i} AS {d.ident(name)}" for i, name in enumerate(self.raw_names)]
        pieces = []
        for i, rule in enumerate(self.rules):
            if rule.reason is not None:
                text = rule.reason
            else:
                prefix = f"{rule.column}: " if rule.column else ""
                plain = d.lit(prefix + rule.text)
                if rule.column and rule.value != "NULL":
                    v = f"substr({d.as_text(rule.value)}, 1, 60)"
                    named = f"concat({d.lit(rule.column + '=' + chr(39))}, {v}, {d.lit(chr(39) + ': ' + rule.text)})"
                    text = f"CASE WHEN {rule.value} IS NULL THEN {plain} ELSE {named} END"
                else:
                    text = plain
            pieces.append(f"CASE WHEN __r{i} THEN {text} END")
        reason = f"concat_ws('; ', {', '.join(pieces)})" if pieces else "''"
        cols = ", ".join(
            [*raw, "__file AS source_file", "__row AS source_row", f"{reason} AS reason"]
        )
        return (
            f"SELECT {cols} FROM ({self.checked_sql()}) w WHERE __bad "
            f"ORDER BY __file, __ord LIMIT {int(n)}"
        )


def check_supported(table: str, tmap: dict, engine: str) -> None:
    """Refuse mapping keys that :func:`salesnb.scan` cannot apply on ``engine``.

    Raises
    ------
    MappingError
        Naming the mapping key and the engine, and what to do instead.
    """
    where = f"{tmap.get('_where', 'mapping')}: table {table}"
    for key in tmap:
        if key.startswith("_"):
            continue
        if key not in _SUPPORTED:
            raise MappingError(
                f"{where}: {key} is not supported by scan (engine {engine!r}); "
                f"use salesnb.load for this mapping, or leave {key} out"
            )
        if key in _DUCKDB_ONLY and tmap[key] and engine == "spark":
            raise MappingError(
                f"{where}: {key} is not supported by scan on engine 'spark' (mapping "
                f"expressions run in DuckDB); use engine='duckdb' or 'polars', or write the "
                f"{key} as a Spark transformation before scan"
            )


def _qident(d: Dialect, name: str) -> str:
    return d.ident(name)


def raw_layer(d: Dialect, source: str, names: list[str], extra_cols: str = "") -> str:
    """Layer 1: source columns as ``__s<i>``, with ``__file``, ``__row``, ``__ord``."""
    cols = ", ".join(f"{d.ident(n)} AS __s{i}" for i, n in enumerate(names))
    return f"SELECT {cols}{', ' if cols else ''}__file, __row, __ord{extra_cols} FROM {source}"


def value_map(d: Dialect, x: str, vmap: dict) -> str:
    """A mapping's ``values`` for one column as CASE (``"*"``: the value for all others)."""
    other = vmap.get("*", "*")
    rest = x if other == "*" else d.lit(str(other))
    whens = " ".join(
        f"WHEN {x} = {d.lit(str(k))} THEN {d.lit(str(v))}" for k, v in vmap.items() if k != "*"
    )
    return f"(CASE {whens} ELSE {rest} END)" if whens else rest


@dataclasses.dataclass
class Source:
    """What the plan knows of a table's source: column names and which are text."""

    names: list[str]
    text: set[str]  # source columns read as text (all of a CSV)
    label: str


def mapped_columns(
    d: Dialect, table: str, tmap: dict, src: Source
) -> tuple[dict[str, str], dict[str, str]]:
    """Contract and extra columns of the mapped table as SQL over layer 1.

    Returns ``(contract, extras)``: name -> SQL (text or typed as read).

    Raises
    ------
    MappingError
        A renamed source column is not in the source.
    """
    contract = columns(table)
    ref = {n: f"__s{i}" for i, n in enumerate(src.names)}
    renames = tmap.get("columns") or {}
    key = f"{tmap.get('_where', 'mapping')}: table {table}"
    out: dict[str, str] = {}
    for target, name in renames.items():
        if name not in ref:
            raise MappingError(
                f"{key}: columns.{target}: mapped column {name!r} (for {target}) not found; "
                f"found columns: {', '.join(src.names)} (in {src.label})"
            )
        out[target] = ref[name]
    if not renames:
        out.update({n: ref[n] for n in src.names if n in contract})
    extras: dict[str, str] = {}
    keep = tmap.get("keep_extra", "as_is")
    used = set(renames.values())
    if keep:
        taken = {c.lower() for c in [*out, *contract]}
        for n in src.names:
            if n in used or (not renames and n in contract):
                continue
            name = _snake(n) if keep == "snake_case" else n
            if name.lower() not in taken:  # engines compare names case-insensitively
                extras[name] = ref[n]
                taken.add(name.lower())
    for col, vmap in (tmap.get("values") or {}).items():
        if col in out and col not in (tmap.get("derive") or {}):
            out[col] = value_map(d, out[col], vmap)
    return out, extras


def _snake(name: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower()
    return s or "column"


@dataclasses.dataclass
class Profile:
    """What a scan of the mapped text found: date formats and number columns."""

    date_formats: dict[str, str | None] = dataclasses.field(default_factory=dict)
    numeric: set[str] = dataclasses.field(default_factory=set)


def parse_columns(
    d: Dialect,
    plan: TablePlan,
    mapped: dict[str, str],
    extras: dict[str, str],
    tmap: dict,
    text: set[str],
    profile: Profile,
) -> list[str]:
    """Parsed columns and per-column rules; returns the SELECT items of the parsed layer.

    ``mapped`` holds contract columns as SQL over the mapped layer (``__m_<col>``),
    ``text`` the names whose values are text (to parse) rather than typed.
    """
    table = plan.table
    contract = columns(table)
    fmts = tmap.get("dates") or {}
    decimal = tmap.get("decimal", ".")
    items: list[str] = []
    for col, col_spec in contract.items():
        if col not in mapped:
            continue
        x = mapped[col]
        kind = (col_spec.metadata or {}).get("kind", "text")
        is_text = col in text
        if kind in ("timestamp", "date"):
            items += _parse_date(d, plan, col, x, is_text, fmts.get(col), profile, col_spec)
            if kind == "date":
                items[-1] = f"date_trunc('day', {_strip_alias(items[-1])}) AS __p_{col}"
        elif kind in ("number", "integer"):
            if is_text:
                m = f"__t_{col}"
                v = number(d, m, decimal=decimal)
                items += [f"{v} AS __p_{col}", f"({m} IS NOT NULL AND {v} IS NULL) AS __b_{col}"]
                plan.rules.append(Rule(col, _RULES["number"], f"__b_{col}", x))
            else:
                items += [f"CAST({x} AS DOUBLE) AS __p_{col}", f"FALSE AS __b_{col}"]
            if kind == "integer":
                frac = f"(__p_{col} IS NOT NULL AND __p_{col} <> round(__p_{col}))"
                plan.rules.append(Rule(col, _RULES["integer"], frac, f"__p_{col}"))
        elif kind == "flag":
            value, bad = flag(d, d.as_text(x))
            items += [f"{value} AS __p_{col}", f"{bad} AS __b_{col}"]
            plan.rules.append(Rule(col, _RULES["flag"], f"__b_{col}", x))
        else:
            t = clean_text(d, d.as_text(x), strip=kind in ("id", "category"))
            allowed = _allowed_values(col_spec)
            if allowed is not None:
                value, bad = enum(d, t, allowed)
                items += [f"{value} AS __p_{col}", f"{bad} AS __b_{col}"]
                plan.rules.append(
                    Rule(col, "expected one of: " + ", ".join(allowed), f"__b_{col}", x)
                )
            else:
                items += [f"{t} AS __p_{col}", f"FALSE AS __b_{col}"]
    for name, x in extras.items():
        if name in text and name in profile.numeric:
            items.append(f"{number(d, missing_words(d, x))} AS {d.ident('__x_' + name)}")
        elif name in text:
            items.append(
                f"CASE WHEN {d.strip(x)} = '' THEN NULL ELSE {x} END AS {d.ident('__x_' + name)}"
            )
        else:
            items.append(f"{x} AS {d.ident('__x_' + name)}")
    return items


def _strip_alias(item: str) -> str:
    return item.rsplit(" AS ", 1)[0]


def _parse_date(d, plan, col, x, is_text, fmt, profile, col_spec) -> list[str]:
    """Parsed layer items of a date column: value (placeholders empty), bad, placeholder day."""
    table = plan.table
    if is_text:
        m = f"__t_{col}"
        used = fmt or profile.date_formats.get(col) or "ISO8601"
        v0 = timestamp(d, m, used)
        bad = f"({m} IS NOT NULL AND {v0} IS NULL)"
        if fmt:
            text = f"expected a date in the format {fmt!r} (from the mapping)"
        elif used != "ISO8601":
            text = (
                f"not a date in the column's format {used!r} (mixed or unparsable "
                f'date formats; set [tables.{table}.dates] {col} = "<format>")'
            )
        else:
            text = "expected a date (ISO 8601, e.g. 2025-07-31 or 2025-07-31 14:05:00)"
        plan.rules.append(Rule(col, text, f"__b_{col}", x))
    else:
        v0 = f"CAST({x} AS TIMESTAMP)"
        bad = "FALSE"
    ph = placeholder(d, v0)
    value = f"CASE WHEN {ph} IS NULL THEN {v0} END"
    if not col_spec.nullable:
        tail = f" in column {col} (stands for no date; give the real date)"
        reason = (
            f"concat({d.lit(col + '=' + chr(39))}, {d.as_text(x)}, {d.lit(chr(39) + ': placeholder date ')}, "
            f"__ph_{col}, {d.lit(tail)})"
        )
        plan.rules.append(
            Rule(
                col,
                "placeholder date" + tail,
                f"__ph_{col} IS NOT NULL",
                f"__ph_{col}",
                reason=reason,
            )
        )
    return [f"{ph} AS __ph_{col}", f"{bad} AS __b_{col}", f"{value} AS __p_{col}"]


def table_rules(d: Dialect, plan: TablePlan, present: set[str], as_of_day: str | None) -> None:
    """Rules over parsed columns: required values, ranges, patterns, date order,
    columns required on some rows, and event dates after ``as_of``."""
    table = plan.table
    spec = TABLES[table]
    contract = columns(table)
    for col, col_spec in contract.items():
        if col not in present:
            continue
        p = f"__p_{col}"
        seen = f"__b_{col}" + (f" OR __ph_{col} IS NOT NULL" if _is_date(col_spec) else "")
        if not col_spec.nullable:
            plan.rules.append(Rule(col, "required value is empty", f"{p} IS NULL AND NOT ({seen})"))
        for check in col_spec.checks:
            name = getattr(check, "name", "")
            stats = check.statistics or {}
            if name in ("greater_than_or_equal_to", "ge"):
                rule = (
                    f"{p} < {float(stats['min_value'])}",
                    f"expected a value >= {stats['min_value']}",
                )
            elif name in ("greater_than", "gt"):
                rule = (
                    f"{p} <= {float(stats['min_value'])}",
                    f"expected a value > {stats['min_value']}",
                )
            elif name in ("less_than_or_equal_to", "le"):
                rule = (
                    f"{p} > {float(stats['max_value'])}",
                    f"expected a value <= {stats['max_value']}",
                )
            elif name == "str_matches":
                rule = (
                    f"NOT {d.matches(p, stats['pattern'].lstrip('^').rstrip('$'))}",
                    "expected a period label such as 2025Q3, 2025-07, 2025H1 or 2025",
                )
            else:
                continue
            plan.rules.append(Rule(col, rule[1], f"{p} IS NOT NULL AND {rule[0]}", p))
    for a, b in spec.date_order:
        if a in present and b in present:
            value = f"concat({d.as_text(f'__p_{b}')}, {d.lit(f' < {a} ')}, {d.as_text(f'__p_{a}')})"
            cond = f"__p_{b} < date_trunc('day', __p_{a})"
            plan.rules.append(Rule(b, f"{b} is before {a}", cond, value))
    for rule in spec.required_unless:
        if rule.column not in present:
            continue
        when = f"__p_{rule.when}"
        other = (
            f" AND {when} IS NOT NULL AND NOT ({when} IN ({d.lits(rule.values)})) AND NOT __b_{rule.when}"
            if rule.when in present
            else ""
        )
        cond = f"__p_{rule.column} IS NULL AND NOT __b_{rule.column}{other}"
        reason = None
        if _is_date(contract[rule.column]):
            ph = f"__ph_{rule.column}"
            cond += (
                f" AND NOT ({ph} IS NOT NULL AND {str(not contract[rule.column].nullable).upper()})"
            )
            reason = (
                f"CASE WHEN {ph} IS NOT NULL THEN concat({d.lit(rule.column + ': placeholder date ')}, "
                f"{ph}, {d.lit(f' in column {rule.column} ({rule.text()})')}) ELSE "
                f"{d.lit(f'{rule.column}: required value is empty ({rule.text()})')} END"
            )
        plan.rules.append(
            Rule(rule.column, f"required value is empty ({rule.text()})", cond, reason=reason)
        )
        if rule.note and rule.when in present:
            note = f"{table}: " + rule.note.replace("{n:,}", "{n}")
            plan.counters[note] = (
                f"NOT __bad AND __p_{rule.column} IS NULL AND {when} IN ({d.lits(rule.values)})"
            )
    if as_of_day is not None:
        for col, col_spec in contract.items():
            if col in present and (col_spec.metadata or {}).get("event"):
                cond = f"__p_{col} >= CAST({d.lit(as_of_day)} AS TIMESTAMP) + INTERVAL 1 DAY"
                text = f"event date after the data's as_of date {as_of_day}"
                plan.rules.append(Rule(col, text, cond, f"__p_{col}"))
    for col, col_spec in contract.items():
        if col in present and _is_date(col_spec) and col_spec.nullable:
            note = f"{table}: {{n}} placeholder date(s) in {col} read as empty"
            plan.counters[note] = f"NOT __bad AND __ph_{col} IS NOT NULL"


def _is_date(col_spec) -> bool:
    return (col_spec.metadata or {}).get("kind") in ("timestamp", "date")


def key_rule(d: Dialect, plan: TablePlan, present: set[str], dups_of) -> None:
    """Unique key: every row of a repeated key after its first (reading order) is rejected.

    ``dups_of(sql)`` runs the search for repeated keys once and gives a (small)
    table of them, or None when every key is unique: then nothing is joined.
    """
    pk = [c for c in TABLES[plan.table].primary_key if c in present]
    if not pk:
        return
    keys = ", ".join(f"__p_{c}" for c in pk)
    order = d.pair("__file", "__ord")
    notnull = " AND ".join(f"__p_{c} IS NOT NULL" for c in pk)
    kcols = ", ".join(f"__p_{c} AS __k_{c}" for c in pk)
    found = dups_of(
        f"SELECT {kcols} FROM ({plan.parsed_sql}) s WHERE __kept AND {notnull} "
        f"GROUP BY {keys} HAVING count(*) > 1"
    )
    if found is None:
        return
    # the first row of each repeated key, among the rows of repeated keys only
    match = " AND ".join(f"s.__p_{c} = r.__k_{c}" for c in pk)
    firsts = (
        f"(SELECT {kcols}, min_by(__file, {order}) AS __ff, min_by(__ord, {order}) AS __fo, "
        f"min_by(__row, {order}) AS __fr FROM ({plan.parsed_sql}) s JOIN {found} r ON {match} "
        f"WHERE __kept GROUP BY {keys})"
    )
    on = " AND ".join(f"t.__p_{c} = dk.__k_{c}" for c in pk)
    plan.joins.append((f"LEFT JOIN {firsts} dk ON {on}", "dk.__fr AS __dkfr, dk.__ff AS __dkff"))
    value = (
        f"concat_ws(' / ', {', '.join(d.as_text(f'__p_{c}') for c in pk)})"
        if len(pk) > 1
        else d.as_text(f"__p_{pk[0]}")
    )
    cond = "dk.__ff IS NOT NULL AND NOT (__file = dk.__ff AND __ord = dk.__fo)"
    first = f"COALESCE({d.as_text('__dkfr')}, concat('?, file ', __dkff))"
    reason = f"concat({d.lit('+'.join(pk) + '=' + chr(39))}, {value}, {d.lit(chr(39) + ': duplicate key; first seen in row ')}, {first})"
    plan.rules.append(Rule("+".join(pk), "duplicate key", cond, value, reason=reason))


def trimmed_items(d: Dialect, table: str, cols: dict[str, str], text: set[str]) -> list[str]:
    """``__t_<col>``: the trimmed text of number and date columns, missing words as NULL."""
    out = []
    for col, col_spec in columns(table).items():
        kind = (col_spec.metadata or {}).get("kind")
        if col in cols and col in text and kind in ("number", "integer", "timestamp", "date"):
            out.append(f"{missing_words(d, cols[col])} AS __t_{col}")
    return out


def foreign_key_rules(
    d: Dialect, plan: TablePlan, present: set[str], parents: dict[str, str], keys_of
) -> None:
    """Orphan foreign keys, against the loaded rows of the parent table (when scanned).

    ``keys_of(sql)`` gives a table (or view) of the parent's distinct keys.
    """
    for i, (col, col_spec) in enumerate(columns(plan.table).items()):
        ref = (col_spec.metadata or {}).get("references")
        if not ref or col not in present:
            continue
        ptable, pcol = ref.split(".")
        if ptable not in parents:
            continue
        alias = f"fk{i}"
        keys = keys_of(
            f"SELECT DISTINCT {d.ident(pcol)} AS __k FROM ({parents[ptable]}) p "
            f"WHERE {d.ident(pcol)} IS NOT NULL"
        )
        plan.joins.append(
            (f"LEFT JOIN {keys} {alias} ON t.__p_{col} = {alias}.__k", f"{alias}.__k AS __{alias}")
        )
        cond = f"__p_{col} IS NOT NULL AND __{alias} IS NULL"
        plan.rules.append(
            Rule(
                col, f"not found in {ref} (orphan foreign key)", cond, f"__p_{col}", after_own=True
            )
        )


def missing_required(table: str, mapped: dict[str, str], src: Source) -> str | None:
    """The eager loader's message for a table that lacks a required column, or None."""
    missing = [c for c in required_columns(table) if c not in mapped]
    if not missing:
        return None
    return (
        f"{src.label}: table {table}: missing required column(s) {', '.join(map(repr, missing))}; "
        f"found columns: {', '.join(src.names)}. Rename the column in the file or map it in a "
        f'mapping file ([tables.{table}.columns] {missing[0]} = "<your column>").'
    )
