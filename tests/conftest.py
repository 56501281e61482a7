"""Shared fixtures: a throwaway PostgreSQL server holding the bundled sample; a SparkSession.

``sample_postgres`` (session scope) runs ``initdb`` in a temporary folder (as the
``postgres`` user when the tests run as root: PostgreSQL refuses to run as
root), starts the server on a free localhost port with its socket in that
folder, loads ``data/sample`` into it (typed by the contract: numbers as
``double precision``, dates and timestamps as ``timestamp``; ``orders`` also
as ``crm.orders``) and stops and deletes it at the end of the session, also
when a test fails. It skips with the reason when no PostgreSQL server binaries
or no psycopg driver are installed.

``spark`` (session scope) is a local PySpark session (``local[1]``, UI off, one
shuffle partition, session time zone UTC, log level ERROR) for the KPI engine
matrix; it skips with the reason when PySpark or Java is missing.

``sample_pack`` (session scope) is one ``salesnb report`` run on the bundled sample
(``report.run_report``'s result, its pages in ``.out_dir``): every test that reads
the default pack's pages, index, workbook or run.json uses it instead of rendering
its own (a pack takes about half a minute).
"""

from __future__ import annotations

import dataclasses
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

BIN_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)


@dataclasses.dataclass
class LivePostgres:
    """A running server with the sample loaded: its URL (with password) and row counts."""

    url: str
    password: str
    rows: dict[str, int]
    bindir: Path
    admin_url: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user() -> list[str]:
    """The command prefix that runs PostgreSQL's tools as a non-root user."""
    if os.geteuid() != 0:
        return []
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root and 'runuser' is missing (needed to run PostgreSQL)")
    return [runuser, "-u", "postgres", "--"]


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")


def start_postgres(root: Path) -> tuple[list[str], Path, int, str]:
    """initdb and start a server under ``root``; the pg_ctl command, data dir, port, password."""
    if not BIN_DIRS:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin) on this machine")
    bindir = Path(BIN_DIRS[0])
    prefix = _as_server_user()
    password = "pw-" + secrets.token_hex(8)
    (root / "pw").write_text(password)
    if prefix:
        shutil.chown(root, "postgres")
        shutil.chown(root / "pw", "postgres")
    data, port = root / "data", _free_port()
    _run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "salesnb"]
        + ["--pwfile", str(root / "pw"), "-A", "scram-sha-256", "-E", "UTF8", "--locale=C"]
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    _run([*pg_ctl, "-o", opts, "-l", str(root / "log"), "-w", "-t", "60", "start"])
    return pg_ctl, data, port, password


def load_sample(admin_url: str) -> dict[str, int]:
    """Write the bundled sample into the database, typed by the contract."""
    import pandas as pd
    import sqlalchemy as sa

    from salesnb.resources import SAMPLE_DATA
    from salesnb.schema import TABLES, columns

    engine = sa.create_engine(admin_url)
    rows = {}
    try:
        with engine.begin() as conn:
            for table in TABLES:
                path = SAMPLE_DATA / f"{table}.csv"
                if not path.exists():
                    continue
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
                for name, col in columns(table).items():
                    kind = (col.metadata or {}).get("kind")
                    if name in frame and kind == "number":
                        frame[name] = pd.to_numeric(frame[name])
                    elif name in frame and kind in ("timestamp", "date"):
                        frame[name] = pd.to_datetime(frame[name])
                frame.to_sql(table, conn, index=False, chunksize=10_000)
                rows[table] = len(frame)
            conn.exec_driver_sql("CREATE SCHEMA crm")
            conn.exec_driver_sql("CREATE TABLE crm.orders AS SELECT * FROM public.orders")
    finally:
        engine.dispose()
    return rows


@pytest.fixture(scope="session")
def sample_postgres():
    """A throwaway PostgreSQL server with the sample loaded (see the module docstring)."""
    pytest.importorskip("psycopg", reason='the PostgreSQL driver: pip install "salesnb[postgres]"')
    root = Path(tempfile.mkdtemp(prefix="salesnb-pg-"))
    pg_ctl = None
    try:
        pg_ctl, _data, port, password = start_postgres(root)
        url = f"postgresql://salesnb:{password}@127.0.0.1:{port}/postgres"
        rows = load_sample(url.replace("postgresql://", "postgresql+psycopg://"))
        yield LivePostgres(url, password, rows, Path(BIN_DIRS[0]), url)
    finally:
        if pg_ctl is not None:
            subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def spark():
    """A local SparkSession for the engine tests (one core, no UI, UTC, quiet).

    Skips with the reason when PySpark or a Java runtime is not installed.
    """
    pytest.importorskip("pyspark", reason='PySpark: pip install "salesnb[test]"')
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime (java on PATH or JAVA_HOME): PySpark needs Java 17+")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("salesnb-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def sample_pack(tmp_path_factory):
    """The default report pack rendered once from data/sample (skips when absent)."""
    sample = Path(__file__).resolve().parent.parent / "data" / "sample"
    if not (sample / "orders.csv").exists():
        pytest.skip("data/sample has not been generated")
    from salesnb import report

    out = tmp_path_factory.mktemp("sample_pack")
    return report.run_report(data=sample, out=out, jobs=2, progress=False)


def pytest_collection_modifyitems(config, items):
    """Every test that uses the ``spark`` fixture is marked ``engines``: ``make test``
    leaves them out (a JVM and one Spark job per KPI take minutes), ``make
    test-engines`` runs them, and CI (``.ci/run``) runs both."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.engines)
