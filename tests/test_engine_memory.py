"""DuckDB memory limits of the connections salesnb opens: scan's own, the report kernels'."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

duckdb = pytest.importorskip("duckdb")
scan_module = importlib.import_module("salesnb.load.scan")

from salesnb import sections  # noqa: E402
from salesnb.report import runner  # noqa: E402


def _setting(con, name: str) -> str:
    return con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]


def test_limit_sets_memory_and_a_private_spill_folder(monkeypatch):
    monkeypatch.delenv(scan_module.MEMORY_VARIABLE, raising=False)
    con = duckdb.connect()
    before = _setting(con, "memory_limit")
    assert scan_module.limit_duckdb_memory(con) is None  # nothing asked: unchanged
    assert _setting(con, "memory_limit") == before
    assert scan_module.limit_duckdb_memory(con, "700MB") == "700MB"
    assert _setting(con, "memory_limit") in ("667.5 MiB", "700.0 MB", "667.5MiB")
    assert "salesnb-duckdb-" in _setting(con, "temp_directory")
    monkeypatch.setenv(scan_module.MEMORY_VARIABLE, "1GB")
    assert scan_module.limit_duckdb_memory(con) == "1GB"
    assert _setting(con, "memory_limit") == "953.6 MiB"


def test_a_bad_limit_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(scan_module.MEMORY_VARIABLE, "lots")
    with pytest.raises(ValueError, match=r"'lots'.*SALESNB_DUCKDB_MEMORY_LIMIT.*'1GB'"):
        scan_module.limit_duckdb_memory(duckdb.connect())


def test_scan_limits_its_own_connection_not_a_given_one(monkeypatch):
    monkeypatch.delenv(scan_module.MEMORY_VARIABLE, raising=False)
    default = _setting(duckdb.connect(), "memory_limit")
    own = scan_module._runner("duckdb", None, None).con
    assert _setting(own, "memory_limit") == default  # DEFAULT_MEMORY_LIMIT None: DuckDB's
    mine = duckdb.connect()
    before = _setting(mine, "memory_limit")
    assert _setting(scan_module._runner("duckdb", mine, None).con, "memory_limit") == before
    monkeypatch.setenv(scan_module.MEMORY_VARIABLE, "2GB")
    assert _setting(scan_module._runner("duckdb", None, None).con, "memory_limit") == "1.8 GiB"


def test_runner_gives_each_duckdb_kernel_its_share(monkeypatch):
    import os

    monkeypatch.delenv(scan_module.MEMORY_VARIABLE, raising=False)
    ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    two = runner._engine_env("duckdb", 2)[scan_module.MEMORY_VARIABLE]
    assert two == f"{max(512, int(ram_mb / 4))}MB"
    assert runner._engine_env("polars", 2) == {} and runner._engine_env(None, 2) == {}
    monkeypatch.setenv(scan_module.MEMORY_VARIABLE, "3GB")  # the user's own value is kept
    assert runner._engine_env("duckdb", 2) == {}


def test_snapshot_on_duckdb_applies_the_kernel_share(tmp_path, monkeypatch):
    data = sections.snapshot.SalesData  # the class, to build a tiny data set
    orders = pd.DataFrame(
        {"order_id": ["O1"], "customer_id": ["C1"],
         "order_date": pd.to_datetime(["2025-01-02"]), "amount": [10.0]}
    )  # fmt: skip
    sales = data(tables={"orders": orders}, as_of=pd.Timestamp("2025-01-31"))
    folder = sections.write_snapshot(sales, tmp_path / "snap")
    default = sections.snapshot._default_connection(duckdb)
    monkeypatch.setenv(scan_module.MEMORY_VARIABLE, "600MB")
    try:
        opened = sections.read_snapshot(folder, engine="duckdb")
        assert _setting(default, "memory_limit") in ("572.2 MiB", "600.0 MB")
        assert opened.tables["orders"].aggregate("sum(amount)").fetchall()[0][0] == 10.0
    finally:
        default.execute("RESET memory_limit").fetchall()
        default.execute("RESET temp_directory").fetchall()


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_runner_key_tables_read_the_checked_snapshot_on_an_engine(tmp_path, engine):
    """On an engine the loaded tables are the source under its contract checks: the
    index's KPI tables on them repeated the checks per query (100M orders: the runner
    was still computing them 5 minutes after the last notebook). They read the snapshot."""
    import salesnb

    loaded = salesnb.scan(salesnb.SAMPLE_DATA, engine=engine)
    snap = runner._write_snapshot(loaded, tmp_path)
    source = runner._key_source(loaded, snap, engine)
    assert source is not loaded
    assert set(source.tables) == set(loaded.tables)
    native = source.orders
    plan = native.sql_query() if engine == "duckdb" else native.explain()
    assert ".snapshot" in plan and "orders.parquet" in plan
    collect = sections.engine_inputs.collect
    assert collect(source.orders).shape == collect(loaded.orders).shape
    eager = salesnb.load(salesnb.SAMPLE_DATA)
    assert runner._key_source(eager, snap, None) is eager  # pandas: the loaded tables
    assert runner._key_source(loaded, None, engine) is loaded  # no snapshot: as loaded
