"""salesnb.scan: lazy loading with the contract checked in the engine (DuckDB, polars, Spark)."""

from __future__ import annotations

import pandas as pd
import pytest

import salesnb
from salesnb.errors import MappingError, SelectionError

REPS = "rep_id,name,hire_date\nR1,Ann,2020-01-01\nR2,Bob,2021-05-01\n"

# one row per rule; the comment names the rule each row breaks (rows 2.. of the file)
ORDERS = """order_id,customer_id,order_date,amount,status,rep_id,fulfilled_at
O1,C1,2025-01-05,100,fulfilled,R1,2025-01-06
O2,C1,2025-01-06,"$1,234.50", FULFILLED ,R2,
O3,C2,2025-01-07,abc,placed,R1,
O4,,2025-01-08,10,placed,R1,
O5,C3,2025-01-09,10,lost,R1,
O6,C3,2025-01-10,-5,placed,R1,
O1,C4,2025-01-11,10,placed,R1,
O8,C5,2025-01-12,10,fulfilled,R1,2025-01-02
O9,C6,notadate,10,placed,R1,
O10,C7,2025-03-01,10,placed,R1,
O11,C8,2025-01-13,10,placed,R9,
O12,C9,1900-01-01,10,placed,R1,
"""
# rule -> rows breaking it (as_of 2025-02-28)
EXPECTED = {
    ("amount", "expected a number (e.g. 1234.50, 1,234.50 or $1,234.50)"): 1,
    ("customer_id", "required value is empty"): 1,
    ("status", "expected one of: placed, fulfilled, backordered, cancelled"): 1,
    ("amount", "expected a value >= 0"): 1,
    ("order_id", "duplicate key"): 1,
    ("fulfilled_at", "fulfilled_at is before order_date"): 1,
    ("order_date", "expected a date (ISO 8601, e.g. 2025-07-31 or 2025-07-31 14:05:00)"): 1,
    ("order_date", "event date after the data's as_of date 2025-02-28"): 1,
    ("rep_id", "not found in reps.rep_id (orphan foreign key)"): 1,
    (
        "order_date",
        "placeholder date in column order_date (stands for no date; give the real date)",
    ): 1,
}


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "reps.csv").write_text(REPS)
    (tmp_path / "orders.csv").write_text(ORDERS)
    return tmp_path


def collect(frame) -> pd.DataFrame:
    """A lazy table of any engine as pandas."""
    if hasattr(frame, "collect"):
        frame = frame.collect()
    if hasattr(frame, "to_pandas"):
        return frame.to_pandas()
    if hasattr(frame, "toPandas"):
        return frame.toPandas()
    return frame.df()


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_every_rule_is_counted_and_rejected_rows_leave_the_table(folder, engine):
    data = salesnb.scan(folder, engine=engine, as_of="2025-02-28")
    found = {(r.column, r.rule): r.rows for r in data.problems.itertuples() if r.table == "orders"}
    assert found == EXPECTED
    orders = collect(data.orders)
    assert sorted(orders["order_id"]) == ["O1", "O2"]
    assert orders.set_index("order_id").loc["O2", "amount"] == 1234.5  # currency text
    assert orders.set_index("order_id").loc["O2", "status"] == "fulfilled"  # matched, trimmed
    rejected = data.rejected["orders"]
    assert data.rows_read["orders"] == 12 == len(orders) + len(rejected)
    assert set(rejected["source_row"]) == set(range(4, 14))  # header is row 1
    dup = rejected.set_index("source_row").loc[8, "reason"]
    assert dup == "order_id='O1': duplicate key; first seen in row 2"
    assert rejected.set_index("source_row").loc[4, "reason"].startswith("amount='abc': expected")
    assert "orders: 10 of 12 rows rejected" in " ".join(data.notes)


def test_rejected_keeps_a_bounded_sample_and_exact_counts(folder):
    data = salesnb.scan(folder, as_of="2025-02-28", sample_rows=3)
    assert len(data.rejected["orders"]) == 3
    assert data.rows_read["orders"] == 12
    assert data.orders.aggregate("count(*)").fetchall()[0][0] == 2
    assert "sample of 3" in " ".join(data.notes)


def test_tables_are_native_lazy_frames_on_the_given_connection(folder):
    import duckdb
    import polars as pl

    con = duckdb.connect()
    data = salesnb.scan(folder, connection=con, as_of="2025-02-28")
    assert isinstance(data.orders, duckdb.DuckDBPyRelation)
    assert con.sql("SELECT 1").fetchall() == [(1,)]  # the caller's connection stays usable
    lazy = salesnb.scan(folder, engine="polars", as_of="2025-02-28")
    assert isinstance(lazy.orders, pl.LazyFrame)


def test_mapping_applies_as_engine_expressions(tmp_path):
    (tmp_path / "export.csv").write_text(
        "Id,Client,Day,Qty,Unit Price,State,Owner\n"
        "A,C1,05/01/2025,2,$50.00,done,ann\n"
        "B,C2,06/01/2025,1,$70.00,open,test-user\n"
        "C,C3,07/01/2025,3,$10.00,weird,ann\n"
    )
    mapping = {
        "tables": {
            "orders": {
                "file": "export.csv",
                "columns": {"order_id": "Id", "customer_id": "Client", "order_date": "Day"},
                "dates": {"order_date": "%d/%m/%Y"},
                "derive": {"amount": "Qty * `Unit Price`", "status": "State"},
                "values": {"status": {"done": "fulfilled", "open": "placed"}},
                "filter": "Owner != 'test-user'",
            }
        }
    }
    data = salesnb.scan(tmp_path, mapping, as_of="2025-12-31")
    orders = collect(data.orders)
    assert orders["order_id"].tolist() == ["A"]
    assert orders["amount"].tolist() == [100.0]  # Qty * `Unit Price`, currency text as a number
    assert orders["order_date"].tolist() == [pd.Timestamp("2025-01-05")]
    assert orders["status"].tolist() == ["fulfilled"]
    rej = data.rejected["orders"]
    reasons = dict(zip(rej["Id"], rej["reason"], strict=True))
    assert reasons["B"] == "excluded by mapping filter: not (Owner != 'test-user')"
    assert "status='weird'" in reasons["C"]
    assert data.rows_read["orders"] == 3


@pytest.mark.parametrize(
    ("key", "spec"),
    [("lookups", {"region": {"table": "reps", "key": "rep_id", "value": "region"}})],
)
def test_unsupported_mapping_keys_are_named_with_the_engine(folder, key, spec):
    mapping = {"tables": {"orders": {key: spec}, "reps": {}}}
    with pytest.raises(
        MappingError, match=rf"table orders: {key} is not supported by scan \(engine 'duckdb'\)"
    ):
        salesnb.scan(folder, mapping)


def test_unknown_engine_is_refused(folder):
    with pytest.raises(SelectionError, match="engine 'dask'"):
        salesnb.scan(folder, engine="dask")


def _parts(tmp_path, frame: pd.DataFrame, *, hive: bool) -> None:
    orders = tmp_path / "orders"
    if hive:
        for region, part in frame.groupby("region"):
            sub = orders / f"region={region}"
            sub.mkdir(parents=True)
            part.drop(columns="region").to_parquet(sub / "part-0.parquet", index=False)
    else:
        orders.mkdir()
        half = len(frame) // 2
        frame.iloc[:half].to_parquet(orders / "part-00000.parquet", index=False)
        frame.iloc[half:].to_parquet(orders / "part-00001.parquet", index=False)


@pytest.mark.parametrize("hive", [False, True])
def test_load_and_scan_read_a_folder_of_parts(tmp_path, hive):
    frame = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "customer_id": ["C1", "C2", "C1", "C3"],
            "order_date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]),
            "region": ["East", "West", "East", "West"],
            "amount": [10.0, 20.0, -1.0, 40.0],
        }
    )
    _parts(tmp_path, frame, hive=hive)
    eager = salesnb.load(tmp_path, as_of="2025-12-31")
    lazy = salesnb.scan(tmp_path, as_of="2025-12-31")
    got = collect(lazy.orders).sort_values("order_id").reset_index(drop=True)
    want = eager.orders.sort_values("order_id").reset_index(drop=True)
    assert sorted(got["order_id"]) == sorted(want["order_id"]) == ["O1", "O2", "O4"]
    cols = ["order_id", "customer_id", "order_date", "region", "amount"]
    pd.testing.assert_frame_equal(got[cols].astype(str), want[cols].astype(str), check_dtype=False)
    assert eager.rows_read["orders"] == lazy.rows_read["orders"] == 4
    assert len(eager.rejected["orders"]) == len(lazy.rejected["orders"]) == 1


def test_scan_of_a_csv_glob(tmp_path):
    (tmp_path / "a.csv").write_text("order_id,customer_id,order_date,amount\nO1,C1,2025-01-01,1\n")
    (tmp_path / "b.csv").write_text("order_id,customer_id,order_date,amount\nO2,C1,2025-01-02,x\n")
    data = salesnb.scan({"orders": tmp_path / "*.csv"}, as_of="2025-12-31")
    assert collect(data.orders)["order_id"].tolist() == ["O1"]
    rej = data.rejected["orders"]
    assert rej["source_file"].tolist() == [str(tmp_path / "b.csv")]
    assert rej["source_row"].tolist() == [2]


@pytest.mark.slow
def test_scan_equals_load_on_the_sample_data():
    eager = salesnb.load(salesnb.SAMPLE_DATA, as_of="2025-09-30")
    lazy = salesnb.scan(salesnb.SAMPLE_DATA, as_of="2025-09-30")
    assert lazy.rows_read == eager.rows_read
    assert set(lazy.tables) == set(eager.tables)
    for table, want in eager.tables.items():
        got = collect(lazy.tables[table])
        assert list(got.columns) == list(want.columns), table
        key = list(want.columns)
        got = got.sort_values(key).reset_index(drop=True)
        want = want.sort_values(key).reset_index(drop=True)
        _same(got, want, table)


def _same(got: pd.DataFrame, want: pd.DataFrame, table: str) -> None:
    for col in want.columns:
        a, b = got[col], want[col]
        if pd.api.types.is_datetime64_any_dtype(b):
            a = pd.to_datetime(a).astype("datetime64[ns]")
            assert a.equals(b.astype("datetime64[ns]")), (table, col)
        elif pd.api.types.is_float_dtype(b):
            assert ((a.astype(float) - b).abs().fillna(0) < 1e-9).all(), (table, col)
            assert a.isna().equals(b.isna()), (table, col)
        else:
            assert (
                a.astype(object).where(a.notna(), None).tolist()
                == b.astype(object).where(b.notna(), None).tolist()
            ), (table, col)


@pytest.mark.slow
def test_spark_counts_the_same_rules(folder, spark):
    data = salesnb.scan(folder, engine="spark", session=spark, as_of="2025-02-28")
    found = {(r.column, r.rule): r.rows for r in data.problems.itertuples() if r.table == "orders"}
    assert found == EXPECTED
    assert sorted(r.order_id for r in data.orders.collect()) == ["O1", "O2"]
    assert data.rows_read["orders"] == 12


def test_spark_refuses_mapping_expressions(folder):
    mapping = {"tables": {"orders": {"derive": {"amount": "amount * 2"}}}}
    with pytest.raises(
        MappingError, match=r"table orders: derive is not supported by scan on engine 'spark'"
    ):
        salesnb.scan(folder, mapping, engine="spark", session=object())  # refused before use


@pytest.mark.parametrize("hive", [False, True])
def test_load_reads_a_folder_of_parquet_parts(tmp_path, hive):
    frame = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "customer_id": ["C1", "C2", "C1"],
            "order_date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]),
            "region": ["East", "West", "East"],
            "amount": [10.0, 20.0, 30.0],
        }
    )
    _parts(tmp_path, frame, hive=hive)
    data = salesnb.load(tmp_path, as_of="2025-12-31")
    assert data.orders is not None, "a folder of parts per table is a table"
    got = data.orders.sort_values("order_id")
    assert got["order_id"].tolist() == ["O1", "O2", "O3"]
    assert got["region"].tolist() == ["East", "West", "East"]  # hive partition values
    assert data.rows_read["orders"] == 3
    assert data.sources["orders"] == str(tmp_path / "orders")


def test_load_reads_a_folder_of_csv_parts(tmp_path):
    (tmp_path / "orders").mkdir()
    head = "order_id,customer_id,order_date,amount\n"
    (tmp_path / "orders" / "part-0.csv").write_text(head + "O1,C1,2025-01-01,1\n")
    (tmp_path / "orders" / "part-1.csv").write_text(head + "O2,C1,2025-01-02,2\n")
    data = salesnb.load(tmp_path, as_of="2025-12-31")
    assert data.orders["order_id"].tolist() == ["O1", "O2"]


@pytest.mark.slow
def test_scan_of_parts_equals_load_of_one_file(tmp_path):
    sample = salesnb.SAMPLE_DATA
    lines = (sample / "orders.csv").read_text().splitlines(keepends=True)
    parts = tmp_path / "orders"
    parts.mkdir()
    half = len(lines) // 2
    (parts / "part-0.csv").write_text("".join(lines[:half]))
    (parts / "part-1.csv").write_text(lines[0] + "".join(lines[half:]))
    tables = ["reps", "customers", "orders"]
    eager = salesnb.load(sample, tables=tables, as_of="2025-09-30")
    source = {"reps": sample / "reps.csv", "customers": sample / "customers.csv", "orders": parts}
    lazy = salesnb.scan(source, as_of="2025-09-30")
    assert lazy.rows_read == eager.rows_read
    got = collect(lazy.orders).sort_values("order_id").reset_index(drop=True)
    want = eager.orders.sort_values("order_id").reset_index(drop=True)
    _same(got, want, "orders")


def test_rejected_counts_are_all_rows_not_the_sample(tmp_path):
    """scan keeps a sample of rejected rows; counts, notes and the summary use every row."""
    from salesnb import sections

    n_bad = 7
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(20)],
            "customer_id": ["C1"] * 20,
            "order_date": ["2025-01-05"] * 20,
            "amount": ["x"] * n_bad + ["10"] * 13,
        }
    )
    orders.to_csv(tmp_path / "orders.csv", index=False)
    data = salesnb.scan(tmp_path, as_of="2025-06-30", sample_rows=2)
    assert len(data.rejected["orders"]) == 2
    assert data.rejected_count("orders") == n_bad
    row = data.summary().set_index("table").loc["orders"]
    assert (row["rows_read"], row["rows_loaded"], row["rows_rejected"]) == (20, 13, n_bad)
    assert sections.rejected_note(data, "orders").startswith("7 orders were not loaded")
    assert "sample of 2" in sections.rejected_note(data, "orders")
    assert sections.rejected_share(data, "orders") == pytest.approx(7 / 20)
