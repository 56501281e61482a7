"""Loading: sources, mappings, validation, quarantine and error messages."""

from __future__ import annotations

import gzip
import importlib
import os
import pkgutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import salesnb
from salesnb.errors import DataSourceError, DataValidationError, MappingError
from salesnb.load import parse_dates, parse_numbers
from salesnb.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
MAPPINGS = ROOT / "data" / "mappings"

CUSTOMERS = "customer_id,name,region\nC1,Acme,North\nC2,Beta,South\n"
ORDERS = (
    "order_id,customer_id,order_date,amount,region\n"
    "O1,C1,2025-01-05,100.00,North\n"
    "O2,C2,2025-02-10,250.50,South\n"
    "O3,C1,2025-03-15,80,North\n"
)


def write(folder: Path, name: str, text: str, *, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_bytes(text.encode(encoding))
    return p


def accounted(data: salesnb.SalesData) -> None:
    """rows read == rows loaded + rows rejected, for every table."""
    for table, n in data.rows_read.items():
        loaded = len(data.tables.get(table, ()))
        rejected = len(data.rejected.get(table, ()))
        assert n == loaded + rejected, (table, n, loaded, rejected)


@pytest.fixture
def good(tmp_path):
    write(tmp_path, "customers.csv", CUSTOMERS)
    write(tmp_path, "orders.csv", ORDERS)
    return tmp_path


# --------------------------------------------------------------------------- happy paths


def test_folder_of_csv_loads_typed_tables(good):
    data = salesnb.load(good)
    assert set(data.tables) == {"customers", "orders"}
    o = data.orders
    assert pd.api.types.is_datetime64_any_dtype(o["order_date"])
    assert o["amount"].tolist() == [100.0, 250.5, 80.0]
    assert data.leads is None
    assert data.as_of == pd.Timestamp("2025-03-15")
    accounted(data)
    s = data.summary().set_index("table")
    assert s.loc["orders", "rows_loaded"] == 3
    assert s.loc["orders", "first_date"] == pd.Timestamp("2025-01-05")


def test_parquet_excel_sqlite_and_gzip_sources_agree(good, tmp_path):
    ref = salesnb.load(good)
    # parquet + csv.gz folder
    other = tmp_path / "other"
    other.mkdir()
    ref.orders.to_parquet(other / "orders.parquet")
    with gzip.open(other / "customers.csv.gz", "wt") as fh:
        fh.write(CUSTOMERS)
    a = salesnb.load(other)
    pd.testing.assert_frame_equal(a.orders, ref.orders, check_dtype=False)
    # workbook with one sheet per table
    xlsx = tmp_path / "book.xlsx"
    with pd.ExcelWriter(xlsx) as xw:
        pd.read_csv(good / "customers.csv").to_excel(xw, sheet_name="customers", index=False)
        pd.read_csv(good / "orders.csv").to_excel(xw, sheet_name="orders", index=False)
    b = salesnb.load(xlsx)
    pd.testing.assert_frame_equal(b.orders, ref.orders, check_dtype=False)
    # SQLite database, by file and by URL
    db = tmp_path / "sales.db"
    with sqlite3.connect(db) as con:
        pd.read_csv(good / "customers.csv").to_sql("customers", con, index=False)
        pd.read_csv(good / "orders.csv").to_sql("orders", con, index=False)
    for src in (db, f"sqlite:///{db}"):
        c = salesnb.load(src)
        pd.testing.assert_frame_equal(c.orders, ref.orders, check_dtype=False)


def test_filter_by_region_and_dates(good):
    data = salesnb.load(good)
    north = data.filter(region="North")
    assert north.orders["order_id"].tolist() == ["O1", "O3"]
    assert north.customers["customer_id"].tolist() == ["C1"]
    feb = data.filter(start="2025-02-01", end="2025-02-28")
    assert feb.orders["order_id"].tolist() == ["O2"]
    assert len(data.orders) == 3  # the original is untouched
    with pytest.raises(ValueError, match="unknown region.*'West'.*North"):
        data.filter(region="West")


# --------------------------------------------------------------------------- bad input


def test_missing_required_column_lists_found_and_suggests(tmp_path):
    write(tmp_path, "orders.csv", "order_id,customer_id,order_date,amnt\nO1,C1,2025-01-05,1\n")
    with pytest.raises(DataValidationError) as exc:
        salesnb.load(tmp_path, errors="raise")
    msg = str(exc.value)
    assert "orders.csv" in msg and "missing required column" in msg
    assert "'amount' (did you mean 'amnt'?)" in msg
    assert "found columns: order_id, customer_id, order_date, amnt" in msg
    # quarantine: the table is not loaded, every row is kept with the reason
    data = salesnb.load(tmp_path)
    assert data.orders is None
    assert data.rejected["orders"]["reason"].str.contains("missing required column").all()
    accounted(data)


def test_unparsable_and_mixed_date_formats(tmp_path):
    write(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,order_date,amount\n"
        "O1,C1,01/05/2025,1\nO2,C1,02/17/2025,1\nO3,C1,2025-03-01,1\nO4,C1,yesterday,1\n",
    )
    with pytest.raises(DataValidationError) as exc:
        salesnb.load(tmp_path, errors="raise", as_of="2025-12-31")
    msg = str(exc.value)
    assert "row 4, column order_date: value '2025-03-01'" in msg
    assert "row 5, column order_date: value 'yesterday'" in msg
    assert "mixed or unparsable date formats" in msg and "'%m/%d/%Y'" in msg
    data = salesnb.load(tmp_path, as_of="2025-12-31")
    assert data.orders["order_date"].tolist() == [
        pd.Timestamp("2025-01-05"),
        pd.Timestamp("2025-02-17"),
    ]
    assert data.rejected["orders"]["source_row"].tolist() == [4, 5]
    accounted(data)


def test_non_numeric_and_negative_amounts(tmp_path):
    write(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,order_date,amount\n"
        "O1,C1,2025-01-05,12.5\nO2,C1,2025-01-06,twelve\nO3,C1,2025-01-07,-3\n",
    )
    with pytest.raises(DataValidationError) as exc:
        salesnb.load(tmp_path, errors="raise")
    msg = str(exc.value)
    assert "row 3, column amount: value 'twelve' — expected a number" in msg
    assert "row 4, column amount: value '-3.0' — expected a value >= 0" in msg
    assert "2 problem(s)" in msg
    data = salesnb.load(tmp_path)
    assert data.orders["order_id"].tolist() == ["O1"]
    rej = data.rejected["orders"]
    assert rej["amount"].tolist() == ["twelve", "-3"]  # raw values kept
    accounted(data)


def test_currency_strings_are_parsed():
    nums, bad = parse_numbers(pd.Series(["$1,234.50", "€ 99", "1,000", "(25.00)", "7 USD"]))
    assert nums.tolist() == [1234.5, 99.0, 1000.0, -25.0, 7.0]
    assert not bad.any()


def test_currency_strings_in_a_file(tmp_path):
    write(
        tmp_path,
        "orders.csv",
        'order_id,customer_id,order_date,amount\nO1,C1,2025-01-05,"$1,234.50"\n',
    )
    assert salesnb.load(tmp_path).orders["amount"].tolist() == [1234.5]


def test_duplicate_primary_keys(tmp_path):
    write(tmp_path, "customers.csv", "customer_id,name\nC1,A\nC2,B\nC1,A again\n")
    with pytest.raises(
        DataValidationError,
        match=r"row 4, column customer_id: value 'C1' — "
        r"duplicate key; first seen in row 2",
    ):
        salesnb.load(tmp_path, errors="raise")
    data = salesnb.load(tmp_path)
    assert data.customers["name"].tolist() == ["A", "B"]
    accounted(data)


def test_orphan_foreign_keys(tmp_path):
    write(tmp_path, "customers.csv", CUSTOMERS)
    write(tmp_path, "orders.csv", ORDERS + "O4,C9,2025-03-20,10,North\n")
    with pytest.raises(
        DataValidationError,
        match=r"row 5, column customer_id: value 'C9' — "
        r"not found in customers.customer_id",
    ):
        salesnb.load(tmp_path, errors="raise")
    data = salesnb.load(tmp_path)
    assert "O4" not in set(data.orders["order_id"])
    assert "orphan" in data.rejected["orders"]["reason"].iloc[0]


def test_closed_before_created(tmp_path):
    write(
        tmp_path,
        "opportunities.csv",
        "opportunity_id,created_at,stage,status,amount,closed_at\n"
        "P1,2025-01-10,proposal,won,100,2025-02-01\n"
        "P2,2025-01-10,proposal,lost,100,2025-01-02\n",
    )
    with pytest.raises(
        DataValidationError, match="row 3, column closed_at.*closed_at is before created_at"
    ):
        salesnb.load(tmp_path, errors="raise")


def test_dates_after_as_of(good):
    with pytest.raises(DataValidationError) as exc:
        salesnb.load(good, errors="raise", as_of="2025-02-28")
    assert "row 4, column order_date" in str(exc.value)
    assert "event date after the data's as_of date 2025-02-28" in str(exc.value)
    data = salesnb.load(good, as_of="2025-02-28")
    assert data.orders["order_id"].tolist() == ["O1", "O2"]


def test_empty_file(tmp_path):
    write(tmp_path, "orders.csv", "")
    with pytest.raises(
        DataSourceError, match="orders.csv: the file is empty; expected a header line"
    ):
        salesnb.load(tmp_path, errors="raise")
    data = salesnb.load(tmp_path)
    assert data.orders is None
    assert any("the file is empty" in n for n in data.notes)


def test_header_only_file(tmp_path):
    write(tmp_path, "orders.csv", "order_id,customer_id,order_date,amount\n")
    data = salesnb.load(tmp_path)
    assert data.orders is not None and len(data.orders) == 0
    assert any("header only, no rows" in n for n in data.notes)


def test_semicolon_delimiter_and_decimal_comma(tmp_path):
    write(
        tmp_path,
        "orders.csv",
        "order_id;customer_id;order_date;amount\nO1;C1;2025-01-05;1.234,50\n",
    )
    data = salesnb.load(tmp_path, mapping={"tables": {"orders": {"decimal": ","}}})
    assert data.orders["amount"].tolist() == [1234.5]
    assert any("delimiter ';' detected" in n for n in data.notes)


def test_utf8_bom(tmp_path):
    write(tmp_path, "customers.csv", "\ufeffcustomer_id,name\nC1,Zoë\n")
    data = salesnb.load(tmp_path)
    assert data.customers.columns[0] == "customer_id"
    assert data.customers["name"].tolist() == ["Zoë"]


def test_latin1_encoding(tmp_path):
    write(tmp_path, "customers.csv", "customer_id,name\nC1,Müller GmbH\n", encoding="latin-1")
    data = salesnb.load(tmp_path)
    assert data.customers["name"].tolist() == ["Müller GmbH"]
    assert any("not valid UTF-8" in n for n in data.notes)


def test_trailing_empty_columns_dropped_and_extra_columns_kept(tmp_path):
    write(tmp_path, "customers.csv", "customer_id,name,loyalty_tier,,\nC1,A,gold,,\n")
    data = salesnb.load(tmp_path)
    assert data.customers.columns.tolist() == ["customer_id", "name", "loyalty_tier"]
    assert data.customers["loyalty_tier"].tolist() == ["gold"]
    assert any("empty unnamed column" in n for n in data.notes)


def test_html_and_formula_text_is_kept_verbatim(tmp_path):
    write(
        tmp_path,
        "customers.csv",
        'customer_id,name\nC1,<script>alert(1)</script>\nC2,"=HYPERLINK(""x"")"\nC3,+1 Co\n',
    )
    names = salesnb.load(tmp_path).customers["name"].tolist()
    assert names == ["<script>alert(1)</script>", '=HYPERLINK("x")', "+1 Co"]


def test_raise_lists_every_problem_not_just_the_first(tmp_path):
    write(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,order_date,amount,channel\n"
        "O1,C1,2025-01-05,x,store\nO1,C1,2025-01-06,1,web\nO3,,2025-01-07,1,online\n",
    )
    with pytest.raises(DataValidationError) as exc:
        salesnb.load(tmp_path, errors="raise")
    p = exc.value.problems
    assert set(p["rule"].str.slice(0, 20)) >= {
        "expected a number (e",
        "expected one of: sto",
        "required value is em",
        "duplicate key; first",
    }
    assert sorted(p["row"].dropna().astype(int).unique().tolist()) == [2, 3, 4]


def test_unknown_source_and_unknown_table(tmp_path):
    with pytest.raises(DataSourceError, match="does not exist"):
        salesnb.load(tmp_path / "nope")
    with pytest.raises(ValueError, match="unknown table"):
        salesnb.load(tmp_path, tables=["invoices"])


# --------------------------------------------------------------------------- parsers


def test_parse_dates_iso_with_time_and_timezone():
    d, bad, used = parse_dates(pd.Series(["2025-01-05 10:30:00", "2025-01-06T08:00:00+02:00"]))
    assert not bad.any()
    assert d.tolist() == [pd.Timestamp("2025-01-05 10:30"), pd.Timestamp("2025-01-06 06:00")]


def test_parse_dates_day_first_detected():
    d, bad, used = parse_dates(pd.Series(["31/01/2025", "01/02/2025"]))
    assert used == "%d/%m/%Y" and not bad.any()
    assert d.iloc[1] == pd.Timestamp("2025-02-01")


# --------------------------------------------------------------------------- mappings


def test_mapping_renames_values_dates_derive_filter(tmp_path):
    write(
        tmp_path,
        "deals.csv",
        "Deal,Opened,Phase,Outcome,Qty,Unit Price,Owner\n"
        "D1,05.01.2025,Proposal,Closed Won,2,$50.00,ann\n"
        "D2,06.01.2025,Negotiation,Open,1,$70.00,bob\n"
        "D3,07.01.2025,Discovery,Closed Lost,3,$10.00,test-user\n",
    )
    mapping = {
        "tables": {
            "opportunities": {
                "file": "deals.csv",
                "columns": {
                    "opportunity_id": "Deal",
                    "created_at": "Opened",
                    "stage": "Phase",
                    "status": "Outcome",
                    "rep_id": "Owner",
                },
                "values": {
                    "status": {"Closed Won": "won", "Closed Lost": "lost", "Open": "open"},
                    "stage": {
                        "Proposal": "proposal",
                        "Negotiation": "negotiation",
                        "Discovery": "discovery",
                    },
                },
                "dates": {"created_at": "%d.%m.%Y"},
                "derive": {"amount": "Qty * `Unit Price`"},
                "filter": "Owner != 'test-user'",
            }
        }
    }
    data = salesnb.load(tmp_path, mapping=mapping)
    o = data.opportunities
    assert o["status"].tolist() == ["won", "open"]
    assert o["amount"].tolist() == [100.0, 70.0]
    assert o["created_at"].tolist() == [pd.Timestamp("2025-01-05"), pd.Timestamp("2025-01-06")]
    rej = data.rejected["opportunities"]
    assert rej["Deal"].tolist() == ["D3"]
    assert rej["reason"].iloc[0].startswith("excluded by mapping filter")
    accounted(data)


def test_mapping_errors_are_clear(tmp_path):
    write(tmp_path, "x.csv", "a,b\n1,2\n")
    with pytest.raises(MappingError, match="unknown table 'order'.*did you mean 'orders'"):
        salesnb.load(tmp_path, mapping={"tables": {"order": {}}})
    with pytest.raises(MappingError, match="not a contract column; did you mean 'amount'"):
        salesnb.load(tmp_path, mapping={"tables": {"orders": {"columns": {"amont": "a"}}}})
    with pytest.raises(
        MappingError, match="mapped column 'Sales' .* not found; found columns: a, b"
    ):
        salesnb.load(
            tmp_path,
            mapping={"tables": {"orders": {"file": "x.csv", "columns": {"amount": "Sales"}}}},
        )


def test_yaml_mapping(tmp_path):
    write(tmp_path, "c.csv", "ID,Name\n1,A\n")
    m = tmp_path / "m.yml"
    m.write_text(
        "tables:\n  customers:\n    file: c.csv\n    columns:\n"
        "      customer_id: ID\n      name: Name\n"
    )
    assert salesnb.load(tmp_path, mapping=m).customers["customer_id"].tolist() == ["1"]


# --------------------------------------------------------------------------- real exports


needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"real public datasets not present at {SHARED}"
)


@needs_shared
def test_superstore_through_mapping():
    data = salesnb.load(SHARED / "superstore", mapping=MAPPINGS / "superstore.toml")
    accounted(data)
    assert data.rows_read["orders"] == 9994 and len(data.orders) == 9994
    o = data.orders
    assert o["amount"].sum() == pytest.approx(2_297_200.8603, abs=1e-6)
    by_region = o.groupby("region")["amount"].sum().round(2).to_dict()
    assert by_region == {
        "West": 725457.82,
        "East": 678781.24,
        "Central": 501239.89,
        "South": 391721.90,
    }
    assert len(data.customers) == 793 and o["order_id"].nunique() == 5009


@needs_shared
def test_x_education_through_mapping():
    data = salesnb.load(SHARED / "x_education_leads", mapping=MAPPINGS / "x_education.toml")
    accounted(data)
    leads = data.leads
    assert len(leads) == 9240 and int(leads["converted"].sum()) == 3561
    assert "unnamed_37" not in leads.columns and "lead_number" in leads.columns
    assert pd.api.types.is_float_dtype(leads["totalvisits"])


def test_row_numbers_stay_exact_with_blank_lines_and_quoted_line_breaks(tmp_path):
    write(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,order_date,amount,note\n"
        'O1,C1,2025-01-05,1,"two\nlines"\n'
        "\n"
        "O2,C1,2025-01-06,x,\n",
    )
    data = salesnb.load(tmp_path)
    assert data.rejected["orders"]["source_row"].tolist() == [4]  # header = row 1
    assert data.orders["note"].tolist() == ["two\nlines"]
    assert any("1 blank line(s) skipped" in n for n in data.notes)


def test_keys_equal_after_stripping_blanks_are_duplicates(tmp_path):
    # raw values differ ("C1" vs " C1 ") but the parsed keys collide
    write(tmp_path, "customers.csv", 'customer_id,name\nC1,A\n" C1 ",B\nC2,C\n')
    data = salesnb.load(tmp_path)
    assert data.customers["customer_id"].tolist() == ["C1", "C2"]
    assert "duplicate key; first seen in row 2" in data.rejected["customers"]["reason"].iloc[0]


def test_duplicate_keys_in_parquet_are_found(tmp_path):
    frame = pd.DataFrame({"customer_id": ["C1", "C2", "C1"], "name": ["A", "B", "C"]})
    frame.to_parquet(tmp_path / "customers.parquet")
    data = salesnb.load(tmp_path)
    assert data.customers["name"].tolist() == ["A", "B"]
    assert data.rejected["customers"]["source_row"].tolist() == [3]


def test_tables_without_a_primary_key_load(tmp_path):
    write(tmp_path, "reps.csv", "rep_id,name\nR1,Ann\n")
    write(
        tmp_path, "satisfaction.csv", "rep_id,survey_date,score\nR1,2025-03-31,8\nR1,2025-06-30,7\n"
    )
    data = salesnb.load(tmp_path)
    assert data.satisfaction["score"].tolist() == [8.0, 7.0]
    accounted(data)


def test_bundled_sample_loads_without_rejections():
    data = salesnb.load(ROOT / "data" / "sample")
    assert len(data.tables) == len(TABLES) and not data.rejected
    assert data.as_of == pd.Timestamp("2026-09-30")
    accounted(data)


def test_distinct_count_fast_path_for_ordered_keys():
    import pyarrow as pa

    from salesnb.load.validate import _distinct_count

    assert _distinct_count(pa.array(["a1", "a2", "b"])) == 3  # increasing: fast path
    assert _distinct_count(pa.array(["b", "a", "b"])) == 2  # not ordered: hashed
    assert _distinct_count(pa.array(["a", "a", "b"])) == 2  # ordered with a repeat
    assert _distinct_count(pa.chunked_array([["a", None], ["c"]])) == 3


def test_typed_and_text_reads_agree(tmp_path):
    # a clean file is parsed by Arrow while reading; one bad value sends the same
    # file through the text parsers: the good rows must come out identical
    rows = "".join(f"O{i},C1,2025-01-{i + 1:02d} 10:{i:02d}:00,{i * 1.25}\n" for i in range(9))
    header = "order_id,customer_id,order_date,amount\n"
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    write(clean, "orders.csv", header + rows)
    write(dirty, "orders.csv", header + rows + "O9,C1,2025-01-10,$12.50\nO10,C1,2025-01-11,x\n")
    a = salesnb.load(clean, as_of="2025-12-31").orders
    b = salesnb.load(dirty, as_of="2025-12-31").orders
    pd.testing.assert_frame_equal(a, b.iloc[:9], check_dtype=False)
    assert b["amount"].iloc[9] == 12.5  # currency text still parsed on the text path


# --------------------------------------------------------------------------- package


def test_salesnb_load_stays_the_function_after_importing_every_load_module():
    # importing a submodule must not replace salesnb.load (the function) by the package
    package = sys.modules["salesnb.load"]
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"salesnb.load.{info.name}")
    from salesnb import load as top
    from salesnb.load import load
    from salesnb.load.loader import load as defined

    assert salesnb.load is load is top is defined
    assert len(salesnb.load(salesnb.SAMPLE_DATA, tables=["reps"]).reps) > 0


def test_salesnb_load_is_the_function_when_a_load_module_is_imported_first():
    code = (
        "import importlib, pkgutil, sys\n"
        "import salesnb.load.validate\n"
        "import salesnb\n"
        "for info in pkgutil.iter_modules(sys.modules['salesnb.load'].__path__):\n"
        "    importlib.import_module('salesnb.load.' + info.name)\n"
        "from salesnb.load import load\n"
        "assert salesnb.load is load, salesnb.load\n"
        "print(len(salesnb.load(salesnb.SAMPLE_DATA, tables=['reps']).reps))\n"
    )
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) > 0


def test_doctests_of_load_modules_collected_first_keep_salesnb_load_the_function():
    """Collecting ``salesnb/load/*.py`` before anything else must not shadow ``salesnb.load``."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
         "salesnb/load/parse.py", "salesnb/kpi/market.py"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:]
