"""Database sources: read-only access, per-row quarantine, redaction, a live PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import salesnb
from salesnb.errors import DataSourceError, DataValidationError, MappingError
from salesnb.load.sources import redact_url
from salesnb.resources import SAMPLE_DATA
from salesnb.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]

ORDERS = pd.DataFrame(
    {
        "order_id": ["O1", "O2", "O3"],
        "customer_id": ["C1", "C2", "C1"],
        "order_date": ["2025-01-05", "2025-02-10", "2025-03-15"],
        "amount": [100.0, 250.5, 80.0],
        "region": ["North", "South", "North"],
    }
)
CUSTOMERS = pd.DataFrame(
    {"customer_id": ["C1", "C2"], "name": ["Acme", "Beta"], "region": ["North", "South"]}
)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "sales.db"
    with sqlite3.connect(path) as con:
        CUSTOMERS.to_sql("customers", con, index=False)
        ORDERS.to_sql("orders", con, index=False)
    return path


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as con:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


# --------------------------------------------------------------------------- read-only


@pytest.mark.parametrize(
    "query",
    [
        "DROP TABLE orders",
        "SELECT 1; DROP TABLE orders",
        "DELETE FROM orders",
        "WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d",
        "INSERT INTO orders SELECT * FROM orders",
    ],
)
def test_a_query_that_writes_is_refused_and_the_source_is_intact(db, query):
    mapping = {"tables": {"orders": {"query": query}}}
    with pytest.raises(MappingError, match=r"tables\.orders\.query.*SELECT"):
        salesnb.load(db, mapping=mapping, errors="raise")
    assert _tables(db) == {"customers", "orders"}
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == 3


def test_a_select_query_is_read(db):
    mapping = {"tables": {"orders": {"query": "WITH o AS (SELECT * FROM orders) SELECT * FROM o"}}}
    data = salesnb.load(db, mapping=mapping)
    assert sorted(data.orders["order_id"]) == ["O1", "O2", "O3"]


def test_sqlite_is_opened_read_only(db):
    from salesnb.load.sources import _engine

    engine = _engine(f"sqlite:///{db}")
    with engine.connect() as conn, pytest.raises(Exception, match="readonly|read-only|read only"):
        conn.exec_driver_sql("DROP TABLE orders")
    engine.dispose()
    assert _tables(db) == {"customers", "orders"}


# --------------------------------------------------------------------------- quarantine


def test_a_text_value_in_a_numeric_column_rejects_only_that_row(tmp_path):
    path = tmp_path / "bad.db"
    with sqlite3.connect(path) as con:
        CUSTOMERS.to_sql("customers", con, index=False)
        ORDERS.to_sql("orders", con, index=False)
        con.execute("UPDATE orders SET amount = 'abc' WHERE order_id = 'O2'")
    data = salesnb.load(path)
    assert data.orders["order_id"].tolist() == ["O1", "O3"]
    assert data.orders["amount"].tolist() == [100.0, 80.0]
    rej = data.rejected["orders"]
    assert rej["order_id"].tolist() == ["O2"]
    prob = data.problems[data.problems["table"] == "orders"].iloc[0]
    assert "orders" in prob["file"] and prob["row"] == 2
    assert prob["column"] == "amount" and "abc" in str(prob["value"])
    with pytest.raises(DataValidationError, match="abc"):
        salesnb.load(path, errors="raise")


def test_database_rows_come_in_key_order(tmp_path):
    path = tmp_path / "shuffled.db"
    with sqlite3.connect(path) as con:
        CUSTOMERS.iloc[::-1].to_sql("customers", con, index=False)
        ORDERS.iloc[[2, 0, 1]].to_sql("orders", con, index=False)
    data = salesnb.load(path)
    assert data.orders["order_id"].tolist() == ["O1", "O2", "O3"]
    assert data.customers["customer_id"].tolist() == ["C1", "C2"]


# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ann:s3cr3t@db/sales",
        "postgresql://db/sales?user=ann&password=s3cr3t",
        "postgresql://db/sales?sslmode=require&PWD=s3cr3t",
        "mssql+pyodbc://db/sales?secret=s3cr3t&driver=x",
        "snowflake://acct/db?token=s3cr3t",
        "bigquery://proj?api_key=s3cr3t&x=1",
        "postgresql://ann:s3cr3t@db/sales?password=s3cr3t",
    ],
)
def test_redact_url_hides_passwords_and_secret_parameters(url):
    out = redact_url(url)
    assert "s3cr3t" not in out
    assert "***" in out


def test_redact_url_keeps_other_parameters():
    assert redact_url("postgresql://db/s?sslmode=require&password=x") == (
        "postgresql://db/s?sslmode=require&password=***"
    )


def test_summary_prints_only_the_redacted_url(db, capsys, monkeypatch):
    from salesnb import cli

    url = "postgresql://ann:s3cr3t@db.example/sales?password=s3cr3t"
    real = salesnb.load
    monkeypatch.setattr(salesnb, "load", lambda source, **kw: real(db, **kw))
    assert cli.main(["summary", "--data", url]) == 0
    out = capsys.readouterr()
    assert "s3cr3t" not in out.out + out.err
    assert "ann:***@db.example/sales?password=***" in out.out


def test_summary_error_does_not_print_the_password(capsys):
    from salesnb import cli

    url = "postgresql://127.0.0.1:1/sales?user=ann&password=s3cr3t"
    assert cli.main(["summary", "--data", url]) == 2
    out = capsys.readouterr()
    assert "s3cr3t" not in out.out + out.err
    assert "password=***" in out.err


# --------------------------------------------------------------------------- user errors


def test_a_csv_named_xlsx_names_the_file(tmp_path):
    fake = tmp_path / "orders.xlsx"
    fake.write_text("order_id,customer_id\nO1,C1\n")
    with pytest.raises(DataSourceError, match=r"orders\.xlsx.*not an Excel workbook.*CSV"):
        salesnb.load(fake)
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "orders.xlsx").write_text("order_id,customer_id\nO1,C1\n")
    with pytest.raises(DataSourceError, match=r"orders\.xlsx.*not an Excel workbook.*CSV"):
        salesnb.load(folder, errors="raise")
    data = salesnb.load(folder)
    assert any("not an Excel workbook" in n for n in data.notes)


def test_a_csv_named_xlsx_is_one_line_on_the_command_line(tmp_path):
    fake = tmp_path / "orders.xlsx"
    fake.write_text("order_id,customer_id\nO1,C1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "salesnb", "summary", "--data", str(fake)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "not an Excel workbook" in proc.stderr


def test_unreachable_database_is_one_clear_error():
    url = "postgresql://ann:s3cr3t@127.0.0.1:1/sales"
    with pytest.raises(DataSourceError) as exc:
        salesnb.load(url)
    msg = str(exc.value)
    assert "s3cr3t" not in msg and "ann:***@127.0.0.1:1/sales" in msg
    assert "\n" not in msg


def test_a_missing_driver_names_the_extra(monkeypatch):
    import sqlalchemy as sa

    real = sa.create_engine

    def no_driver(url, *a, **k):
        if str(url).startswith("postgresql"):
            raise ModuleNotFoundError("No module named 'psycopg'", name="psycopg")
        return real(url, *a, **k)

    monkeypatch.setattr(sa, "create_engine", no_driver)
    with pytest.raises(DataSourceError, match=r'pip install "salesnb\[postgres\]"') as exc:
        salesnb.load("postgresql://ann:s3cr3t@db/sales")
    assert "s3cr3t" not in str(exc.value)


# --------------------------------------------------------------------------- live PostgreSQL


def _by_key(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    key = [k for k in TABLES[table].primary_key if k in frame] or list(frame.columns)
    return frame.sort_values(key).reset_index(drop=True)


def test_postgres_load_equals_the_folder_load(sample_postgres):
    ref = salesnb.load(SAMPLE_DATA)
    live = salesnb.load(sample_postgres.url)
    assert set(live.tables) == set(ref.tables)
    assert live.as_of == ref.as_of
    for table, frame in ref.tables.items():
        got = live.tables[table]
        pd.testing.assert_frame_equal(
            _by_key(got, table), _by_key(frame, table), check_dtype=False, obj=table
        )
    assert "s3cr3t" not in live.source and sample_postgres.password not in live.source


def test_postgres_rows_come_in_key_order(sample_postgres):
    live = salesnb.load(sample_postgres.url, tables=["orders"])
    ids = live.orders["order_id"].tolist()
    assert ids == sorted(ids)


def test_postgres_schema_qualified_table(sample_postgres):
    mapping = {"tables": {"orders": {"file": "crm.orders"}}}
    data = salesnb.load(sample_postgres.url, mapping=mapping, errors="raise", tables=["orders"])
    assert len(data.orders) == sample_postgres.rows["orders"]
    missing = {"tables": {"orders": {"file": "crm.nothing"}}}
    with pytest.raises(DataSourceError, match="crm.nothing"):
        salesnb.load(sample_postgres.url, mapping=missing, errors="raise", tables=["orders"])


def test_postgres_is_read_only(sample_postgres):
    for query in (
        "WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d",
        "SELECT 1; DROP TABLE orders",
    ):
        with pytest.raises(MappingError, match="query"):
            salesnb.load(
                sample_postgres.url,
                mapping={"tables": {"orders": {"query": query}}},
                tables=["orders"],
            )
    from salesnb.load.sources import _engine

    engine = _engine(sample_postgres.url)
    with engine.connect() as conn, pytest.raises(Exception, match="read-only"):
        conn.exec_driver_sql("DELETE FROM orders")
    engine.dispose()
    data = salesnb.load(sample_postgres.url, tables=["orders"])
    assert len(data.orders) == sample_postgres.rows["orders"]


def test_postgres_text_in_a_numeric_column_is_quarantined(sample_postgres):
    query = (
        "SELECT order_id, customer_id, order_date, "
        "CASE WHEN order_id = (SELECT min(order_id) FROM orders) THEN 'abc' "
        "ELSE amount::text END AS amount, region FROM orders"
    )
    mapping = {"tables": {"orders": {"query": query}}}
    data = salesnb.load(sample_postgres.url, mapping=mapping, tables=["orders"])
    assert len(data.rejected["orders"]) >= 1
    prob = data.problems[data.problems["column"] == "amount"]
    assert (prob["value"].astype(str) == "abc").any()
    assert data.rows_read["orders"] == len(data.orders) + len(data.rejected["orders"])


def test_postgres_wrong_password_is_one_clear_error(sample_postgres):
    url = sample_postgres.url.replace(sample_postgres.password, "wrong-password")
    with pytest.raises(DataSourceError) as exc:
        salesnb.load(url)
    msg = str(exc.value)
    assert "wrong-password" not in msg and "***" in msg and "\n" not in msg


@pytest.mark.slow
def test_no_pack_file_holds_the_database_password(sample_postgres, tmp_path):
    import zipfile

    from salesnb.cli import main

    out = tmp_path / "reports"
    code = main(
        ["report", "--data", sample_postgres.url, "--out", str(out), "--jobs", "2",
         "--only", "00_executive_summary", "04_team_performance", "--no-progress"]
    )  # fmt: skip
    # every notebook gets the same parameters: two pages, index, workbook and run.json show
    # whether the URL reaches any file
    assert code == 0
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len([p for p in files if p.suffix == ".html"]) >= 4  # 2 pages, index, leaderboard
    assert len([p for p in files if p.suffix == ".ipynb"]) == 2
    secret = sample_postgres.password.encode()
    leaks = [p for p in files if secret in p.read_bytes()]
    for book in [p for p in files if p.suffix == ".xlsx"]:  # compressed: look inside
        with zipfile.ZipFile(book) as z:
            leaks += [f"{book}:{n}" for n in z.namelist() if secret in z.read(n)]
    assert not leaks, leaks


def test_postgres_headline_numbers_equal_the_folder_headline(sample_postgres):
    from salesnb import sections

    folder = salesnb.load(salesnb.SAMPLE_DATA)
    database = salesnb.load(sample_postgres.url)
    period = sections.report_quarter(None, folder.as_of)
    assert sections.report_quarter(None, database.as_of) == period
    a = sections.headline_kpis(folder, period).reset_index(drop=True)
    b = sections.headline_kpis(database, period).reset_index(drop=True)
    assert len(a) >= 5
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
