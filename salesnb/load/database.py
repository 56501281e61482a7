"""Database sources: open read-only, check a mapping's query, read a table as text.

Every database is opened read-only: SQLite through a ``file:…?mode=ro`` URI,
PostgreSQL with ``default_transaction_read_only=on`` (a ``DROP``, ``DELETE`` or
a data-modifying CTE fails in the server), MySQL/MariaDB with a read-only
session. A mapping ``query`` must also be a single ``SELECT`` (or ``WITH …
SELECT``) statement, checked with DuckDB's SQL parser before anything connects.

A table is read in the order of its contract primary key (an explicit
``ORDER BY``), so the rows and their record numbers are the same on every run.
PostgreSQL streams it with ``COPY … TO STDOUT (FORMAT csv)`` into a temporary
file that Arrow's CSV reader parses (numbers and ISO dates typed while reading,
falling back to text when a value does not parse), as a folder's CSV would be;
other databases are fetched in chunks and every value becomes text. Either
way the contract parsers then check each value, so a bad value rejects its row
and names it, never the whole load.

URLs are shown only through :func:`redact_url`.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb.errors import DataSourceError, MappingError
from salesnb.load.parse import _string_dtype
from salesnb.schema import TABLES

__all__ = ["redact_url"]

# query parameters of a URL whose values are secrets
_SECRET_PARAMS = ("password", "passwd", "pwd", "secret", "token", "api_key", "apikey")
# the extra that installs each database driver module
_DRIVER_EXTRAS = {"psycopg": "postgres", "psycopg2": "postgres", "psycopg_binary": "postgres"}
_READ_ONLY_PG = "-c default_transaction_read_only=on -c DateStyle=ISO -c client_encoding=UTF8"
_CHUNK = 100_000


def redact_url(url: str) -> str:
    """A data location without its secrets, safe to print or write.

    The password of ``user:password@host`` and the values of the query
    parameters ``password``, ``passwd``, ``pwd``, ``secret``, ``token``,
    ``api_key`` and ``apikey`` (any case) become ``***``.

    >>> redact_url("postgresql://ann:secret@db/sales")
    'postgresql://ann:***@db/sales'
    >>> redact_url("postgresql://db/sales?user=ann&Password=secret&sslmode=require")
    'postgresql://db/sales?user=ann&Password=***&sslmode=require'
    """
    out = re.sub(r"//([^:/@?#]+):[^@/?#]*@", r"//\1:***@", url)
    names = "|".join(_SECRET_PARAMS)
    return re.sub(rf"([?&;](?:{names})=)[^&;#]*", r"\1***", out, flags=re.IGNORECASE)


def _secrets(url: str) -> list[str]:
    """The secret strings of a URL (to scrub from driver messages)."""
    found = re.findall(r"//[^:/@?#]+:([^@/?#]+)@", url)
    names = "|".join(_SECRET_PARAMS)
    found += re.findall(rf"[?&;](?:{names})=([^&;#]+)", url, flags=re.IGNORECASE)
    return [s for s in found if s]


def _cause(exc: BaseException, url: str) -> str:
    """A driver's error as one line, without the URL's secrets."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split()) or type(orig).__name__
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    return text


def _engine(url: str):
    """A read-only SQLAlchemy engine for a database URL.

    Raises
    ------
    DataSourceError
        Not a database URL, a missing SQLite file, or a missing driver (naming
        the extra to install, e.g. ``pip install "salesnb[postgres]"``).
    """
    import sqlalchemy as sa

    shown = redact_url(url)
    try:
        u = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise DataSourceError(f"{shown}: not a database URL ({exc})") from None
    backend = u.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(u, shown)
        if backend == "postgresql":
            if u.drivername in ("postgresql", "postgres"):
                u = u.set(drivername="postgresql+psycopg")
            options = " ".join(filter(None, [u.query.get("options"), _READ_ONLY_PG]))
            return sa.create_engine(u.update_query_dict({"options": options}))
        engine = sa.create_engine(u)
    except sa.exc.NoSuchModuleError as exc:
        raise DataSourceError(f"{shown}: unsupported database ({exc})") from None
    except ImportError as exc:
        module = exc.name or "the database driver"
        extra = _DRIVER_EXTRAS.get(module.split(".")[0])
        hint = f'pip install "salesnb[{extra}]"' if extra else f"pip install {module}"
        raise DataSourceError(
            f"{shown}: the database driver {module!r} is not installed; install it with {hint}"
        ) from None
    if backend in ("mysql", "mariadb"):
        sa.event.listen(engine, "connect", _mysql_read_only)
    return engine


def _sqlite_engine(u, shown: str):
    import sqlite3

    import sqlalchemy as sa

    if not u.database or u.database == ":memory:":
        raise DataSourceError(f"{shown}: an SQLite source needs a database file")
    path = Path(u.database).expanduser()
    if not path.is_file():
        raise DataSourceError(f"SQLite database {path} does not exist")
    uri = path.resolve().as_uri() + "?mode=ro"
    return sa.create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)
    )


def _mysql_read_only(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("SET SESSION TRANSACTION READ ONLY")
    cur.close()


def check_query(query: Any, *, key: str) -> str:
    """A mapping's ``query``, checked to be one ``SELECT`` or ``WITH … SELECT`` statement.

    DuckDB's parser (``json_serialize_sql``) reads the statement; anything but
    a single query that only reads (no ``DELETE``/``INSERT``/``UPDATE`` inside a
    ``WITH``) is refused. The database connection is read-only as well.

    Returns the query without a trailing ``;``.

    Raises
    ------
    MappingError
        Naming ``key``: not text, more than one statement, or a statement
        other than a query.

    >>> check_query("SELECT * FROM deals;", key="tables.opportunities.query")
    'SELECT * FROM deals'
    >>> check_query("DROP TABLE deals", key="tables.opportunities.query")
    Traceback (most recent call last):
    ...
    salesnb.errors.MappingError: tables.opportunities.query: 'DROP TABLE deals' is not ...
    """
    import duckdb

    expected = "expected one SELECT (or WITH … SELECT) statement that only reads"
    if not isinstance(query, str) or not query.strip():
        raise MappingError(f"{key}: {query!r} is not a query; {expected}")
    con = duckdb.connect(":memory:")
    try:
        try:
            statements = con.extract_statements(query)
        except duckdb.Error as exc:
            raise MappingError(f"{key}: {query!r} is not valid SQL ({exc}); {expected}") from None
        if len(statements) != 1:
            raise MappingError(f"{key}: {query!r} holds {len(statements)} statements; {expected}")
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [query]).fetchone()[0])
    finally:
        con.close()
    nodes = [n for n in _dicts(tree) if str(n.get("type", "")).endswith("_NODE")]
    allowed = {"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"}
    if tree.get("error") or not nodes or any(n["type"] not in allowed for n in nodes):
        raise MappingError(f"{key}: {query!r} is not a query that only reads; {expected}")
    return query.strip().rstrip(";").strip()


def _dicts(value) -> list[dict]:
    out, todo = [], [value]
    while todo:
        v = todo.pop()
        if isinstance(v, dict):
            out.append(v)
            todo.extend(v.values())
        elif isinstance(v, list):
            todo.extend(v)
    return out


def _connect(cache: dict, url: str):
    """The cached engine of ``url`` and a connection, or a DataSourceError naming the cause."""
    import sqlalchemy as sa

    if "engine" not in cache:
        cache["engine"] = _engine(url)
    try:
        return cache["engine"].connect()
    except sa.exc.DBAPIError as exc:
        raise DataSourceError(f"cannot connect to {redact_url(url)}: {_cause(exc, url)}") from None


def read_database(
    url: str,
    table: str,
    tmap: dict,
    cache: dict,
    read_csv: Callable[[Path], pd.DataFrame],
) -> tuple[pd.DataFrame, str] | None:
    """Read one table (or the mapping's ``query``) as text, in primary-key order.

    ``tmap["file"]`` names the database table (``schema.table`` for another
    schema); ``tmap["query"]`` replaces it with a checked query. ``read_csv``
    reads a CSV file the way a folder source does (PostgreSQL's ``COPY``
    output goes through it). Returns the frame (index = 1-based record
    numbers) and its origin, or None when the table does not exist and no
    ``file`` names it explicitly.

    Raises
    ------
    DataSourceError
        The database cannot be reached, the named table does not exist, or
        reading fails (the cause named, without secrets).
    MappingError
        The query is not one read-only ``SELECT``.
    """
    import sqlalchemy as sa

    query = tmap.get("query")
    if query is not None:
        query = check_query(query, key=f"tables.{table}.query")
    name = str(tmap.get("file", table))
    shown = redact_url(url)
    with _connect(cache, url) as conn:
        try:
            if query is None:
                target = _table_name(conn, name)
                if target is None:
                    if "file" in tmap:
                        raise DataSourceError(f"table {name!r} (for {table}) not found in {shown}")
                    return None
                sql = _ordered(conn, target, table, tmap)
                origin = f"{shown} table {name}"
            else:
                sql, origin = query, f"{shown} query for {table}"
            if conn.dialect.driver == "psycopg":
                frame = _copy_postgres(conn, sql, read_csv)
            else:
                frame = _fetch_text(conn, sql)
        except sa.exc.DBAPIError as exc:
            raise DataSourceError(f"{origin}: cannot be read: {_cause(exc, url)}") from None
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame, origin


def _table_name(conn, name: str) -> str | None:
    """The quoted name of a table or view, trying ``schema.table`` when ``name`` has a dot."""
    import sqlalchemy as sa

    inspector = sa.inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    if inspector.has_table(name):
        return quote(name)
    schema, _, short = name.rpartition(".")
    if schema and short and inspector.has_table(short, schema=schema):
        return f"{conn.dialect.identifier_preparer.quote_schema(schema)}.{quote(short)}"
    return None


def _ordered(conn, target: str, table: str, tmap: dict) -> str:
    """``SELECT * FROM target`` ordered by the source columns of the contract primary key.

    The key's leading columns that the table has are used; a table without
    them (or without a key) keeps the database's order.
    """
    columns = list(conn.exec_driver_sql(f"SELECT * FROM {target} WHERE 1=0").keys())
    renames = tmap.get("columns") or {}
    spec = TABLES.get(table)
    keys = [renames.get(k, None if renames else k) for k in (spec.primary_key if spec else ())]
    present = []  # the leading key columns the table has (line_id of orders is optional)
    for k in keys:
        if not (isinstance(k, str) and k in columns):
            break
        present.append(k)
    sql = f"SELECT * FROM {target}"
    if present:
        quote = conn.dialect.identifier_preparer.quote
        sql += " ORDER BY " + ", ".join(quote(k) for k in present)
    return sql


def _copy_postgres(conn, sql: str, read_csv: Callable[[Path], pd.DataFrame]) -> pd.DataFrame:
    """Stream ``sql`` out of PostgreSQL as CSV into a temporary file and read it."""
    raw = conn.connection.driver_connection
    with tempfile.TemporaryDirectory(prefix="salesnb-db-") as tmp:
        path = Path(tmp) / "table.csv"
        with raw.cursor() as cur, path.open("wb") as fh:
            with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER true)") as copy:
                fh.writelines(copy)  # one block per row: the loop stays in C
        return read_csv(path)


def _fetch_text(conn, sql: str) -> pd.DataFrame:
    """Fetch ``sql`` in chunks; every value as text (None stays missing)."""
    import pyarrow as pa

    result = conn.exec_driver_sql(sql)
    names = [str(c) for c in result.keys()]
    batches = []
    while rows := result.fetchmany(_CHUNK):
        cols = list(zip(*rows, strict=True)) if rows else [()] * len(names)
        arrays = [pa.array([_text(v) for v in col], type=pa.string()) for col in cols]
        batches.append(pa.Table.from_arrays(arrays, names=names))
    schema = pa.schema([(n, pa.string()) for n in names])
    table = pa.concat_tables(batches) if batches else schema.empty_table()
    sdt = _string_dtype()
    if sdt is object:
        return table.to_pandas()
    return table.to_pandas(types_mapper={pa.string(): sdt}.get, self_destruct=True)


def _text(value: Any) -> str | None:
    """One database value as a text export would show it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value == value else None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if "sep" in _isoformat_args(value) else value.isoformat()
    return str(value)


def _isoformat_args(value: Any) -> tuple[str, ...]:
    import datetime as dt

    return ("sep",) if isinstance(value, dt.datetime) else ()
