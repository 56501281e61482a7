"""``scan``: lazy loading — the tables stay in DuckDB, polars or Spark, checked there.

``scan(source, mapping=None, *, engine="duckdb", ...)`` is :func:`salesnb.load`
for data that does not fit in memory. It returns the same
:class:`~salesnb.load.data.SalesData`, but its tables are lazy native frames
of the engine: DuckDB relations, polars LazyFrames or PySpark DataFrames. The
mapping and the contract checks run as SQL in the engine
(:mod:`salesnb.load.lazy_plan`); per table two queries come back to Python:
one row of counts (rows read, rows rejected, rows per rule with an example
value) and a bounded sample of rejected rows. Nothing else is materialised;
the loaded tables are the engine's query of the rows that break no rule.

Why a function of its own and not ``load(lazy=True)``: the return types
differ (native lazy frames, not pandas), the options differ (``engine``,
``connection``, ``session``, ``sample_rows``; no workbook or database
sources; ``errors="raise"`` makes no sense without materialising), and a
separate name keeps ``load``'s contract — pandas tables — unconditional.

What runs where:

- ``engine="duckdb"``: everything in DuckDB, on ``connection`` or a new
  in-memory one; mapping expressions (``derive``, ``filter``) run as the
  locked, checked SQL of :mod:`salesnb.load.expressions`.
- ``engine="polars"``: the same DuckDB queries, handed to polars lazily
  (``DuckDBPyRelation.pl(lazy=True)``): polars pulls Arrow batches from DuckDB
  when it collects; the files are read by DuckDB.
- ``engine="spark"``: files read by Spark (``session`` or the active
  SparkSession), mapping and checks in Spark SQL. Mapping expressions
  (``derive``, ``filter``) are DuckDB SQL and are refused on Spark.

Lookups, ``distinct``, a declared ``[pipeline]`` and workbooks or databases
are not supported by ``scan`` (a clear error names the mapping key and the
engine); ``salesnb.load`` handles them.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb.errors import PROBLEM_COLUMNS, DataSourceError, MappingError, SelectionError
from salesnb.load.data import _ORDER, SalesData
from salesnb.load.lazy_derive import derive_layers, filter_layer
from salesnb.load.lazy_plan import (
    Profile,
    Rule,
    Source,
    TablePlan,
    check_supported,
    foreign_key_rules,
    key_rule,
    mapped_columns,
    missing_required,
    parse_columns,
    raw_layer,
    table_rules,
    trimmed_items,
)
from salesnb.load.lazy_sql import Dialect, missing_words, number, timestamp  # noqa: F401
from salesnb.load.loader import given_as_of
from salesnb.load.mapping import read_mapping
from salesnb.load.parse import _DATE_CANDIDATES
from salesnb.load.sources import _find_file, _hive_values, _Parts, _table_parts, redact_url
from salesnb.schema import TABLES, columns

__all__ = ["scan", "ENGINES", "MEMORY_VARIABLE", "DEFAULT_MEMORY_LIMIT", "limit_duckdb_memory"]

log = logging.getLogger(__package__)

#: The engines :func:`scan` can hand its tables to.
ENGINES = ("duckdb", "polars", "spark")
#: Environment variable with the DuckDB ``memory_limit`` of the connections salesnb
#: opens itself (``scan``'s own connection; the report notebooks' connection, where the
#: report runner sets it to each kernel's share).
MEMORY_VARIABLE = "SALESNB_DUCKDB_MEMORY_LIMIT"
#: ``memory_limit`` of the connection :func:`scan` opens when :data:`MEMORY_VARIABLE` is
#: not set: ``None`` keeps DuckDB's own default (80 % of RAM). Measured on 100M orders
#: in Parquet parts: the checks took 1,583 s at 7.6 GB peak with DuckDB's default and
#: 532 s at 1.2 GB with a 1 GB limit, but with 1 GB the new-vs-recurring revenue query
#: (first order per customer over 16.7M customers) ran out of memory, so no lower
#: default is imposed: set the variable to bound a shared machine.
DEFAULT_MEMORY_LIMIT: str | None = None


def limit_duckdb_memory(connection: Any, limit: str | None = None) -> str | None:
    """Set DuckDB's ``memory_limit`` on ``connection`` and spill to a private temp folder.

    ``limit`` (e.g. ``"1GB"``, ``"800MB"``) or else the environment variable
    :data:`MEMORY_VARIABLE`; with neither, nothing changes. Past the limit
    DuckDB spills intermediate results to ``<system temp>/salesnb-duckdb-<pid>``
    (not its default ``.tmp`` in the current folder). Returns the limit applied.

    Raises
    ------
    ValueError
        When DuckDB refuses the value (the message names it).
    """
    limit = limit or os.environ.get(MEMORY_VARIABLE) or None
    if limit is None:
        return None
    try:
        connection.execute("SET memory_limit = ?", [str(limit)]).fetchall()
    except Exception as exc:  # duckdb's own error types differ between versions
        raise ValueError(
            f"DuckDB memory limit {limit!r} (from {MEMORY_VARIABLE} or the argument): "
            f"expected a size such as '1GB' or '800MB' ({exc})"
        ) from None
    spill = Path(tempfile.gettempdir()) / f"salesnb-duckdb-{os.getpid()}"
    connection.execute("SET temp_directory = ?", [str(spill)]).fetchall()
    return str(limit)


def scan(
    source: str | Path | dict,
    mapping: str | Path | dict | None = None,
    *,
    engine: str = "duckdb",
    connection: Any = None,
    session: Any = None,
    as_of: Any = None,
    sample_rows: int = 1000,
) -> SalesData:
    """Load sales data lazily: map and check it in DuckDB, polars or Spark.

    Parameters
    ----------
    source : str, Path or dict
        A folder with one file per table (``orders.csv``, ``orders.parquet``)
        or a folder of parts per table (``orders/part-*.parquet``, hive
        partitions ``orders/region=West/part-0.parquet``, ``orders/*.csv``),
        or a dict ``{table: path or glob}``.
    mapping : path or dict, optional
        A mapping file as for :func:`salesnb.load`; ``columns``, ``values``,
        ``dates``, ``decimal``, ``keep_extra``, ``file``, ``delimiter``,
        ``encoding``, ``skip_rows`` on every engine, ``derive`` and ``filter``
        on DuckDB and polars.
    engine : {"duckdb", "polars", "spark"}
        What the tables are: DuckDB relations, polars LazyFrames or PySpark
        DataFrames.
    connection : duckdb.DuckDBPyConnection, optional
        The DuckDB connection to build the relations on (engines duckdb and
        polars); default a new in-memory one, whose ``memory_limit`` is the
        environment variable :data:`MEMORY_VARIABLE` when set (past it DuckDB
        spills to a temporary folder of its own), else DuckDB's default (80 %
        of RAM). A connection you pass keeps its settings.
    session : pyspark.sql.SparkSession, optional
        Engine spark: the session (local or a cluster's); default the active
        session.
    as_of : date-like, optional
        The data's "now" (event dates after it are rejected); default the
        mapping's ``as_of``, else the latest event date not after today.
    sample_rows : int, default 1000
        At most this many rejected rows per table are kept in
        ``SalesData.rejected`` (the counts are exact).

    Returns
    -------
    SalesData
        ``tables`` hold lazy frames of the rows that break no rule;
        ``rows_read[t] == rows loaded + rows rejected`` (exact counts);
        ``rejected[t]`` a sample of rejected rows (raw values, ``source_file``,
        ``source_row`` where the engine gives it, ``reason``); ``problems`` one
        row per table, column and rule with ``rows`` (how many rows break it)
        and an example ``value``; ``notes`` the rejected counts per table.

    Raises
    ------
    DataSourceError
        Missing source, no table found, unreadable files.
    MappingError
        Malformed mapping, or a mapping key the engine does not support
        (the message names the key and the engine).
    SelectionError
        Unknown engine, or a Spark engine without a session.

    Examples
    --------
    >>> import salesnb
    >>> data = salesnb.scan(salesnb.SAMPLE_DATA, engine="duckdb")  # doctest: +SKIP
    >>> data.orders.aggregate("sum(amount)")  # a DuckDB relation  # doctest: +SKIP
    """
    if engine not in ENGINES:
        raise SelectionError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    mp = read_mapping(mapping)
    if mp.get("pipeline"):
        raise MappingError(
            f"{mp.get('_where', 'mapping')}: pipeline is not supported by scan (engine "
            f"{engine!r}); use salesnb.load for a mapping with a [pipeline] section"
        )
    for table, tmap in mp["tables"].items():
        check_supported(table, tmap, "spark" if engine == "spark" else "duckdb")
    runner = _runner(engine, connection, session)
    found = _discover(source, mp["tables"])
    if not found:
        raise DataSourceError(f"no contract table found in {redact_url(str(source))}")
    run = _Run(runner, mp, max(0, int(sample_rows)))
    for table, parts in found.items():
        run.prepare(table, parts, mp["tables"].get(table, {}))
    as_of_ts = _decide_as_of(as_of if as_of is not None else mp.get("as_of"), run)
    run.check(as_of_ts)
    return SalesData(
        tables=run.tables,
        as_of=as_of_ts,
        rejected=run.rejected,
        problems=pd.DataFrame(run.problems, columns=[*PROBLEM_COLUMNS, "rows"]),
        notes=run.notes,
        sources={t: p.label for t, p in found.items()},
        rows_read=run.rows_read,
        rows_rejected=run.rows_rejected,
        source=redact_url(str(source)) if not isinstance(source, dict) else "tables given by path",
        revenue_setting=mp.get("revenue", "auto"),
    )


def _is_glob(name: str | None) -> bool:
    return any(ch in str(name or "") for ch in "*?[")


def _discover(source: Any, mapped: dict) -> dict[str, _Parts]:
    """The files of each contract table in the source (mapped tables only, with a mapping)."""
    out: dict[str, _Parts] = {}
    if isinstance(source, dict):
        unknown = [t for t in source if t not in TABLES]
        if unknown:
            raise SelectionError(
                f"unknown table(s) {unknown}; contract tables: {', '.join(TABLES)}"
            )
        return {t: _table_parts(source[t], table=t) for t in _ORDER if t in source}
    folder = Path(str(source)).expanduser()
    if not folder.is_dir():
        raise DataSourceError(
            f"scan reads a folder of files or parts per table, or a dict of paths; "
            f"{redact_url(str(source))} is not a folder (use salesnb.load for workbooks and "
            f"databases)"
        )
    for table in _ORDER:
        if mapped and table not in mapped:
            continue
        fname = (mapped.get(table) or {}).get("file")
        path = folder / fname if fname else _find_file(folder, table)
        optional = (mapped.get(table) or {}).get("optional")
        if path is not None and not (optional and not path.exists() and not _is_glob(fname)):
            out[table] = _table_parts(path, table=table)
    return out


def _runner(engine: str, connection: Any, session: Any) -> _Engine:
    if engine == "spark":
        if session is None:
            from pyspark.sql import SparkSession

            session = SparkSession.getActiveSession()
        if session is None:
            raise SelectionError(
                "engine 'spark' needs a SparkSession: pass session=... or start one first "
                "(SparkSession.builder.master('local[*]').getOrCreate(), or your cluster's)"
            )
        return _Spark(session)
    import duckdb

    if connection is None:
        connection = duckdb.connect()
        connection.execute("SET enable_progress_bar = false")  # our own connection: quiet
        limit_duckdb_memory(connection, os.environ.get(MEMORY_VARIABLE) or DEFAULT_MEMORY_LIMIT)
    con = connection
    return _DuckDB(con, polars=engine == "polars")


class _Engine:
    """What the plan needs from an engine: read files, describe, run, hand out frames."""

    dialect: Dialect

    def source(self, parts: _Parts, tmap: dict) -> str:
        raise NotImplementedError

    def describe(self, sql: str) -> tuple[list[str], set[str]]:
        """Column names of a query and the names of its text columns (no rows read)."""
        raise NotImplementedError

    def one_row(self, sql: str) -> tuple:
        raise NotImplementedError

    def frame(self, sql: str) -> pd.DataFrame:
        raise NotImplementedError

    def lazy(self, sql: str) -> Any:
        raise NotImplementedError

    def keys(self, sql: str) -> str:
        """A parent table's distinct keys (a small table) to check foreign keys against."""
        raise NotImplementedError

    def repeated(self, sql: str) -> str | None:
        """The repeated keys of a table (a small table), or None when there are none."""
        raise NotImplementedError


class _DuckDB(_Engine):
    def __init__(self, con, *, polars: bool):
        self.con, self.polars, self.dialect = con, polars, Dialect("duckdb")

    def source(self, parts: _Parts, tmap: dict) -> str:
        d = self.dialect
        files = "[" + ", ".join(d.lit(str(p)) for p in parts.files) + "]"
        if parts.fmt == "parquet":
            hive = any(_hive_values(p, parts.base) for p in parts.files)
            return (
                "(SELECT * EXCLUDE (filename, file_row_number), filename AS __file, "
                "file_row_number + 1 AS __row, file_row_number AS __ord FROM read_parquet("
                f"{files}, filename = true, file_row_number = true, union_by_name = true, "
                f"hive_partitioning = {str(hive).lower()})) src"
            )
        skip = int(tmap.get("skip_rows", 0))
        opts = ", all_varchar = true, header = true"
        opts += f", skip = {skip}" if skip else ""
        if tmap.get("delimiter"):
            opts += f", delim = {d.lit(tmap['delimiter'])}"
        if tmap.get("encoding"):
            opts += f", encoding = {d.lit(tmap['encoding'])}"
        selects = []
        for p in parts.files:
            hive = "".join(
                f", {d.lit(v)} AS {d.ident(k)}" for k, v in _hive_values(p, parts.base).items()
            )
            selects.append(
                f"SELECT * EXCLUDE (ordinality), {d.lit(str(p))} AS __file, "
                f"ordinality + {1 + skip} AS __row, ordinality AS __ord{hive} "
                f"FROM read_csv({d.lit(str(p))}{opts}) WITH ORDINALITY"
            )
        return "(" + " UNION ALL BY NAME ".join(selects) + ") src"

    def describe(self, sql: str) -> tuple[list[str], set[str]]:
        rel = self.con.sql(f"SELECT * FROM ({sql}) q LIMIT 0")
        names = list(rel.columns)
        text = {n for n, t in zip(names, rel.types, strict=True) if str(t).upper() == "VARCHAR"}
        return names, text

    def one_row(self, sql: str) -> tuple:
        return tuple(self.con.execute(sql).fetchall()[0])

    def frame(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def keys(self, sql: str) -> str:
        # a temporary table of the connection: the keys only, not the parent table
        name = f"salesnb_keys_{uuid.uuid4().hex}"
        self.con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
        return name

    def repeated(self, sql: str) -> str | None:
        name = self.keys(sql)
        if self.con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] == 0:
            self.con.execute(f"DROP TABLE {name}")
            return None
        return name

    def lazy(self, sql: str) -> Any:
        rel = self.con.sql(sql)
        return rel.pl(lazy=True) if self.polars else rel


class _Spark(_Engine):
    def __init__(self, session):
        self.spark, self.dialect = session, Dialect("spark")

    def source(self, parts: _Parts, tmap: dict) -> str:
        files = [str(p) for p in parts.files]
        if parts.fmt == "parquet":
            reader = self.spark.read
            if parts.base is not None:
                reader = reader.option("basePath", str(parts.base))
            df = reader.parquet(*files)
        else:
            opts = {"header": True, "inferSchema": False}
            if tmap.get("delimiter"):
                opts["sep"] = tmap["delimiter"]
            if tmap.get("encoding"):
                opts["encoding"] = tmap["encoding"]
            if tmap.get("skip_rows"):
                raise MappingError(
                    f"{tmap.get('_where', 'mapping')}: skip_rows is not supported by scan on "
                    f"engine 'spark'; use engine='duckdb'"
                )
            df = self.spark.read.options(**opts).csv(files)
        df = df.selectExpr(
            "*",
            "_metadata.file_path AS __file",
            "CAST(NULL AS BIGINT) AS __row",
            "monotonically_increasing_id() AS __ord",
        )
        view = f"salesnb_scan_{uuid.uuid4().hex}"
        df.createOrReplaceTempView(view)
        return f"{view} src"

    def describe(self, sql: str) -> tuple[list[str], set[str]]:
        schema = self.spark.sql(sql).schema
        names = [f.name for f in schema.fields]
        text = {f.name for f in schema.fields if f.dataType.typeName() == "string"}
        return names, text

    def one_row(self, sql: str) -> tuple:
        return tuple(self.spark.sql(sql).collect()[0])

    def frame(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()

    def lazy(self, sql: str) -> Any:
        return self.spark.sql(sql)

    def keys(self, sql: str) -> str:
        name = f"salesnb_keys_{uuid.uuid4().hex}"
        self.spark.sql(sql).createOrReplaceTempView(name)
        return name

    def repeated(self, sql: str) -> str | None:
        found = self.spark.sql(sql).cache()
        if found.limit(1).count() == 0:
            return None
        name = f"salesnb_keys_{uuid.uuid4().hex}"
        found.createOrReplaceTempView(name)
        return name


@dataclasses.dataclass
class _Table:
    plan: TablePlan
    parts: _Parts
    present: set[str]
    raw_sql: str
    missing: str | None = None


class _Run:
    """One scan: the plans of its tables, then their checks and what they report."""

    def __init__(self, engine: _Engine, mp: dict, sample_rows: int):
        self.engine, self.mp, self.sample_rows = engine, mp, sample_rows
        self.d = engine.dialect
        self.items: dict[str, _Table] = {}
        self.tables: dict[str, Any] = {}
        self.rejected: dict[str, pd.DataFrame] = {}
        self.problems: list[dict] = []
        self.notes: list[str] = []
        self.rows_read: dict[str, int] = {}
        self.rows_rejected: dict[str, int] = {}

    def prepare(self, table: str, parts: _Parts, tmap: dict) -> None:
        """Layers 1-3 of a table (raw, mapped, parsed); rules wait for ``as_of``."""
        check_supported(table, tmap, self.d.name)
        d, eng = self.d, self.engine
        source = eng.source(parts, tmap)
        names, text = eng.describe(f"SELECT * FROM {source}")
        names = [n for n in names if n not in ("__file", "__row", "__ord")]
        src = Source(names, text, parts.label)
        raw_sql = raw_layer(d, source, names)
        layer = filter_layer(eng, raw_sql, tmap, src, table)
        mapped, extras = mapped_columns(d, table, tmap, src)
        items = [f"{sql} AS __m_{c}" for c, sql in mapped.items()]
        items += [f"{sql} AS {d.ident('__e_' + n)}" for n, sql in extras.items()]
        layer = f"SELECT q.*{', ' if items else ''}{', '.join(items)} FROM ({layer}) q"
        mapped_refs = {c: f"__m_{c}" for c in mapped}
        mapped_refs.update({n: d.ident("__e_" + n) for n in extras})
        layer, derived = derive_layers(eng, layer, tmap, src, mapped_refs, table)
        contract = columns(table)
        cols = {c: f"__m_{c}" for c in contract if c in mapped or c in derived}
        plan = TablePlan(table, d, names)
        if tmap.get("filter"):
            text = f"excluded by mapping filter: not ({tmap['filter']})"
            plan.rules.append(Rule(None, text, "NOT __kept"))
        missing = missing_required(table, cols, src)
        if missing:
            plan.parsed_sql = layer
            self.items[table] = _Table(plan, parts, set(), raw_sql, missing)
            return
        _, layer_text = eng.describe(layer)
        text_names = {c for c in cols if f"__m_{c}" in layer_text}
        text_names |= {n for n in extras if f"__e_{n}" in layer_text}
        extra_refs = {n: d.ident("__e_" + n) for n in extras}
        trimmed = trimmed_items(d, table, cols, text_names)
        if trimmed:
            layer = f"SELECT m.*, {', '.join(trimmed)} FROM ({layer}) m"
        profile = _profile(eng, layer, table, tmap, cols, extra_refs, text_names)
        items = parse_columns(d, plan, cols, extra_refs, tmap, text_names, profile)
        plan.parsed_sql = f"SELECT m.*, {', '.join(items)} FROM ({layer}) m"
        present = set(cols)
        plan.outputs = [(c, f"__p_{c}") for c in contract if c in present]
        if table == "leads" and "converted" not in present and "converted_at" in present:
            plan.outputs.insert(
                [c for c, _ in plan.outputs].index("converted_at") + 1,
                ("converted", "(__p_converted_at IS NOT NULL)"),
            )
        plan.outputs += [(n, d.ident("__x_" + n)) for n in extras]
        self.items[table] = _Table(plan, parts, present, raw_sql)

    def check(self, as_of: pd.Timestamp) -> None:
        """Rules, counts, samples and loaded frames, table by table in load order."""
        parents: dict[str, str] = {}
        day = str(as_of.date())
        for table in _ORDER:
            item = self.items.get(table)
            if item is None:
                continue
            if item.missing:
                self._reject_table(table, item)
                continue
            plan, present = item.plan, item.present
            table_rules(self.d, plan, present, day)
            key_rule(self.d, plan, present, self.engine.repeated)
            foreign_key_rules(self.d, plan, present, parents, self.engine.keys)
            self._report(table, item)
            loaded = plan.loaded_sql()
            parents[table] = loaded
            self.tables[table] = self.engine.lazy(loaded)

    def _report(self, table: str, item: _Table) -> None:
        plan = item.plan
        row = self.engine.one_row(plan.counts_sql())
        n_read, n_bad = int(row[0]), int(row[1] or 0)
        self.rows_read[table] = n_read
        for i, rule in enumerate(plan.rules):
            hits = int(row[2 + 2 * i] or 0)
            if hits:
                self.problems.append(_problem(table, item.parts.label, rule, row[3 + 2 * i], hits))
        for j, note in enumerate(plan.counters):
            n = int(row[2 + 2 * len(plan.rules) + j] or 0)
            if n:
                self.notes.append(note.format(n=f"{n:,}"))
        self.rows_rejected[table] = n_bad
        if n_bad:
            sample = self.engine.frame(plan.sample_sql(self.sample_rows))
            self.rejected[table] = sample
            kept = len(sample)
            self.notes.append(
                f"{table}: {n_bad:,} of {n_read:,} rows rejected; SalesData.rejected[{table!r}] "
                f"keeps a sample of {kept:,} (scan keeps at most {self.sample_rows:,} per table)"
            )
            log.warning("%s: %d of %d rows rejected", table, n_bad, n_read)

    def _reject_table(self, table: str, item: _Table) -> None:
        """A table without a required column: every row is rejected with the reason."""
        d = self.d
        n = int(self.engine.one_row(f"SELECT count(*) FROM ({item.raw_sql}) r")[0])
        raw = [f"__s{i} AS {d.ident(c)}" for i, c in enumerate(item.plan.raw_names)]
        cols = ", ".join([*raw, "__file AS source_file", "__row AS source_row"])
        sql = (
            f"SELECT {cols}, {d.lit(item.missing)} AS reason FROM ({item.raw_sql}) r "
            f"ORDER BY __file, __ord LIMIT {self.sample_rows}"
        )
        self.rows_read[table] = n
        self.rows_rejected[table] = n
        self.rejected[table] = self.engine.frame(sql)
        self.notes.append(f"{table}: not loaded: {item.missing}")
        self.problems.append(
            {
                "table": table,
                "file": item.parts.label,
                "row": None,
                "column": None,
                "value": None,
                "rule": item.missing,
                "rows": n,
            }  # fmt: skip
        )


def _problem(table: str, label: str, rule: Rule, example: Any, hits: int) -> dict:
    return {
        "table": table,
        "file": label,
        "row": None,
        "column": rule.column,
        "value": example,
        "rule": rule.text,
        "rows": hits,
    }


def _profile(
    eng: _Engine,
    layer: str,
    table: str,
    tmap: dict,
    cols: dict[str, str],
    extras: dict[str, str],
    text: set[str],
) -> Profile:
    """Date formats of text date columns and which text extra columns hold only numbers.

    The eager loader's rules, counted in one query: a date column is ISO 8601
    when every value parses so, else the format (ISO or one of
    :data:`salesnb.load.parse._DATE_CANDIDATES`) that parses most values; an
    extra column is a number column when every non-blank value is a number.
    """
    d = eng.dialect
    contract = columns(table)
    fmts = tmap.get("dates") or {}
    dates = [
        c
        for c in cols
        if c in text
        and c not in fmts
        and (contract[c].metadata or {}).get("kind") in ("timestamp", "date")
    ]
    nums = [n for n in extras if n in text]
    if not dates and not nums:
        return Profile()
    parts, index = [], {}
    for c in dates:
        m = f"__t_{c}"
        index[c] = len(parts)
        parts.append(f"count({m})")
        for fmt in _DATE_CANDIDATES:
            fmt_sql = timestamp(d, m, "ISO8601" if fmt == "%Y-%m-%d" else fmt)
            parts.append(f"count({fmt_sql})")
    for n in nums:
        x = extras[n]
        present = f"NULLIF({d.strip(x)}, '')"
        index[n] = len(parts)
        parts += [f"count({present})", f"count({number(d, missing_words(d, x))})"]
    row = eng.one_row(f"SELECT {', '.join(parts)} FROM ({layer}) q")
    prof = Profile()
    for c in dates:
        i = index[c]
        counts = row[i + 1 : i + 1 + len(_DATE_CANDIDATES)]
        present = row[i]
        best, best_n = "ISO8601", counts[0]
        if present and best_n < present:
            for fmt, n in zip(_DATE_CANDIDATES[1:], counts[1:], strict=True):
                if n > best_n:
                    best, best_n = fmt, n
        prof.date_formats[c] = best
    for n in nums:
        i = index[n]
        if row[i] and row[i] == row[i + 1]:
            prof.numeric.add(n)
    return prof


def _decide_as_of(given: Any, run: _Run) -> pd.Timestamp:
    """The given ``as_of``, else the latest event date not after today (one query per table)."""
    if given is not None:
        return given_as_of(given)
    today = pd.Timestamp.today().normalize()
    limit = run.d.lit(str((today + pd.Timedelta(days=1)).date()))
    latest = pd.NaT
    for table, item in run.items.items():
        if item.missing:
            continue
        events = [
            c
            for c, col in columns(table).items()
            if c in item.present and (col.metadata or {}).get("event")
        ]
        if not events:
            continue
        parts = [
            f"max(CASE WHEN __p_{c} < CAST({limit} AS TIMESTAMP) THEN __p_{c} END)" for c in events
        ]
        row = run.engine.one_row(f"SELECT {', '.join(parts)} FROM ({item.plan.parsed_sql}) p")
        for value in row:
            if value is not None and not pd.isna(value):
                v = pd.Timestamp(value)
                latest = v if pd.isna(latest) else max(latest, v)
    return today if pd.isna(latest) else pd.Timestamp(latest).normalize()
