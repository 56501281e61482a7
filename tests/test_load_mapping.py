"""The mapping language: SQL expressions in a locked engine, lookups, value maps, warnings."""

from __future__ import annotations

import json
import re
import sqlite3
import tomllib
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import salesnb
from salesnb.errors import MappingError, MappingWarning
from salesnb.load.expressions import FUNCTIONS, _connect, check_expression, evaluate
from salesnb.load.mapping import read_mapping


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def accounted(data: salesnb.SalesData) -> None:
    for table, n in data.rows_read.items():
        assert n == len(data.tables.get(table, ())) + len(data.rejected.get(table, ())), table


ROWS = pd.DataFrame(
    {
        "Qty": ["2", "1", "3", None],
        "Unit Price": ["$50.00", "$70.00", "$10.00", "$5.00"],
        "Outcome": ["Closed Won", "Open", "Closed Lost", None],
        "Opened": ["05.01.2025", "06.01.2025", "07.01.2025", None],
        "Code": ["007", "012", "100", "003"],
        "Owner": ["  Ann ", "bob", "CAROL", "dave"],
    },
    index=[2, 3, 4, 5],
)


def ev(expr: str) -> list:
    out = evaluate(expr, ROWS, key="test: derive.x")
    assert out.index.tolist() == ROWS.index.tolist()
    return [None if pd.isna(v) else v for v in out.tolist()]


# --------------------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("Qty * `Unit Price`", [100.0, 70.0, 30.0, None]),  # currency text parsed as numbers
        ('Qty * "Unit Price" + 1', [101.0, 71.0, 31.0, None]),
        ("Qty / 2 - 1", [0.0, -0.5, 0.5, None]),
        ("Qty > 1", [True, False, True, None]),
        ("Qty == 2 or Outcome == 'Open'", [True, True, False, None]),
        ("Qty != 2 and not Outcome = 'Open'", [False, False, True, None]),
        ("Outcome IN ('Closed Won', 'Closed Lost')", [True, False, True, None]),
        ("Qty BETWEEN 2 AND 3", [True, False, True, None]),
        (
            "CASE WHEN Outcome = 'Closed Won' THEN 'won' WHEN Outcome = 'Closed Lost' THEN 'lost' "
            "ELSE 'open' END",
            ["won", "open", "lost", "open"],
        ),
        ("coalesce(Qty, 0) * 10", [20.0, 10.0, 30.0, 0.0]),
        ("coalesce(Outcome, 'none')", ["Closed Won", "Open", "Closed Lost", "none"]),
        ("Outcome IS NULL", [False, False, False, True]),
        ("nullif(Outcome, 'Open')", ["Closed Won", None, "Closed Lost", None]),
        ("trim(Owner)", ["Ann", "bob", "CAROL", "dave"]),
        ("lower(trim(Owner))", ["ann", "bob", "carol", "dave"]),
        ("upper(Owner)", ["  ANN ", "BOB", "CAROL", "DAVE"]),
        ("replace(Outcome, 'Closed ', '')", ["Won", "Open", "Lost", None]),
        ("substring(Outcome, 8, 3)", ["Won", "", "Los", None]),
        ("concat('R', Code)", ["R007", "R012", "R100", "R003"]),  # text stays text
        ("'R-' || Code", ["R-007", "R-012", "R-100", "R-003"]),
        ("Code + 1", [8.0, 13.0, 101.0, 4.0]),  # ... and is a number in arithmetic
        ("Outcome LIKE 'Closed%'", [True, False, True, None]),
        ("'fulfilled'", ["fulfilled"] * 4),  # a whole-expression constant
        ('"fulfilled"', ["fulfilled"] * 4),  # earlier mappings' double-quoted constant
        ("NULL", [None] * 4),
    ],
)
def test_expressions(expr, expected):
    assert ev(expr) == expected


def test_date_parsing_with_a_format():
    out = evaluate("strptime(Opened, '%d.%m.%Y')", ROWS.iloc[:3], key="k")
    assert out.tolist() == [pd.Timestamp(f"2025-01-0{d}") for d in (5, 6, 7)]
    out = evaluate("try_strptime(Opened, '%d.%m.%Y')", ROWS, key="k")
    assert pd.isna(out.iloc[3])
    with pytest.raises(MappingError, match=r"^k: cannot evaluate .*Could not parse string"):
        evaluate("strptime(Owner, '%d.%m.%Y')", ROWS, key="k")


def test_unknown_column_names_the_key_and_suggests():
    with pytest.raises(MappingError) as exc:
        evaluate("Quantity * 2", ROWS, key="m.toml: table orders: derive.amount")
    msg = str(exc.value)
    assert msg.startswith("m.toml: table orders: derive.amount: 'Quantity * 2' refers to")
    assert "neither a mapped nor a source column" in msg
    with pytest.raises(MappingError, match=r"did you mean 'Outcome'.*single quotes: 'Outcom'"):
        evaluate('"Outcom" = 1', ROWS, key="k")


def test_text_in_arithmetic_says_which_column():
    with pytest.raises(MappingError, match=r"column 'Owner' is used as a number .*TRY_CAST"):
        evaluate("Owner * 2", ROWS, key="k")


def test_mapped_columns_are_found_before_source_columns():
    mapped = pd.DataFrame({"status": ["won", "lost"]}, index=[7, 8])
    source = pd.DataFrame({"Status": ["Closed Won", "Closed Lost"]}, index=[7, 8])
    out = evaluate("status || '/' || Status", mapped, source, key="k")
    assert out.tolist() == ["won/Closed Won", "lost/Closed Lost"]
    assert out.index.tolist() == [7, 8]


def test_results_keep_row_order_on_many_rows():
    n = 200_000
    frame = pd.DataFrame({"a": range(n)}, index=range(10, n + 10))
    out = evaluate("a * 2", frame, key="k")
    assert (out.to_numpy() == frame["a"].to_numpy() * 2).all()
    assert out.index.equals(frame.index)


def test_allowed_functions_exist_in_duckdb():
    con = _connect()
    names = {r[0] for r in con.execute("SELECT function_name FROM duckdb_functions()").fetchall()}
    con.close()
    assert FUNCTIONS <= names


# --------------------------------------------------------------------------- hostile corpus


def hostile(target: Path) -> list[str]:
    """Expressions that would run code, read or write files: every one must be refused."""
    f = str(target)
    return [
        # the payload of the report: Python attribute access through a quote
        f'quantity == "\'" or quantity.head.__globals__["sys"].modules["os"].system("id > {f}")',
        "quantity.__class__.__mro__[1].__subclasses__()",
        "__import__('os').system('id')",
        f"__import__('os').system('touch {f}')",
        "import os",
        "@pd.io.common",
        "@x",
        "quantity.eval('1')",
        f'quantity.query(\'__import__("os").system("touch {f}")\')',
        "pd.eval('1')",
        f"open('{f}', 'w').write('x')",
        f"exec(\"open('{f}','w')\")",
        "eval('1+1')",
        "lambda: 1",
        "getattr(quantity, '__class__')",
        # file reading / writing functions of the engine
        "read_csv('/etc/passwd')",
        "read_text('/etc/passwd')",
        "read_blob('/etc/passwd')",
        "(SELECT content FROM read_text('/etc/passwd'))",
        "(SELECT * FROM read_csv('/etc/passwd', sep=':'))",
        "sniff_csv('/etc/passwd')",
        "glob('/*')",
        "(SELECT count(*) FROM glob('/*'))",
        "getenv('HOME')",
        "current_setting('enable_external_access')",
        "query('SELECT 1')",
        "json_execute_serialized_sql('x')",
        "write_log('x')",
        f"COPY (SELECT 1) TO '{f}'",
        f"1; COPY (SELECT 1) TO '{f}'",
        f"quantity; ATTACH '{f}' AS x",
        "1; INSTALL httpfs",
        "1; LOAD httpfs",
        "1; SET enable_external_access = true",
        "1; PRAGMA version",
        f"1 -- hidden\n; COPY (SELECT 1) TO '{f}'",
        f"1 /* hidden */ ; COPY (SELECT 1) TO '{f}'",
        "quantity FROM read_csv('/etc/passwd')",
        "quantity WHERE 1 = 1",
        "1 UNION SELECT 2",
        "quantity IN (SELECT 1)",
        "EXISTS (SELECT 1)",
        "sum(quantity)",
        "row_number() OVER ()",
        "list_transform([1], x -> x + 1)",
        "$1",
        "COLUMNS(*)",
        "*",
        "main.lower(quantity)",
        "quantity.upper()",
        "quantity, quantity",
    ]


def _payload_ids() -> list[str]:
    return [p.splitlines()[0][:40] for p in hostile(Path("f"))]


@pytest.mark.parametrize("index", range(len(hostile(Path("f")))), ids=_payload_ids())
def test_hostile_expressions_are_refused_and_create_nothing(index, tmp_path, monkeypatch):
    work, data = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    monkeypatch.chdir(work)  # relative paths written by a payload would land here
    target = tmp_path / "pwned"
    payload = hostile(target)[index]
    key = "evil.toml: table orders: derive.amount"
    with pytest.raises(MappingError, match=r"^evil\.toml: table orders: derive\.amount: "):
        check_expression(payload, key=key)
    frame = pd.DataFrame({"quantity": ["1", "2"]})
    with pytest.raises(MappingError, match=r"^evil\.toml: table orders: derive\.amount: "):
        evaluate(payload, frame, key=key)
    # through salesnb.load: refused when the mapping is read, in both modes, nothing loads
    write(data, "o.csv", "order_id,customer_id,order_date,quantity\nO1,C1,2025-01-05,1\n")
    for spec in ({"derive": {"amount": payload}}, {"filter": payload}):
        mapping = {"tables": {"orders": {"file": "o.csv", **spec}}}
        for errors in ("raise", "quarantine"):
            with pytest.raises(
                MappingError, match=r"^<dict>: table orders: (derive\.amount|filter): "
            ):
                salesnb.load(data, mapping=mapping, errors=errors)
    assert list(work.iterdir()) == []
    assert not target.exists() and not (work / "f").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "work"]


def test_the_engine_itself_has_no_file_access(tmp_path):
    # defence in depth: even SQL the checks would refuse cannot touch files or settings
    con = _connect()
    target = tmp_path / "x.csv"
    for sql in (
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        f"COPY (SELECT 1) TO '{target}'",
        f"ATTACH '{tmp_path / 'x.db'}'",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "LOAD httpfs",
    ):
        with pytest.raises(Exception) as exc:  # noqa: PT011 - DuckDB's error classes vary
            con.execute(sql).fetchall()
        assert "disabled" in str(exc.value) or "locked" in str(exc.value), sql
    con.close()
    assert list(tmp_path.iterdir()) == []


def test_expressions_are_checked_when_the_mapping_is_read(tmp_path):
    with pytest.raises(MappingError, match=r"^<dict>: table orders: filter: .*function 'glob'"):
        read_mapping({"tables": {"orders": {"filter": "glob('*') IS NULL"}}})
    m = write(tmp_path, "m.toml", '[tables.orders.derive]\namount = "(SELECT 1)"\n')
    with pytest.raises(MappingError, match=rf"^{m}: table orders: derive\.amount: .*subquery"):
        read_mapping(m)


def test_tables_without_expressions_do_not_touch_duckdb(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("DuckDB was used")

    monkeypatch.setattr(duckdb, "connect", refuse)
    write(tmp_path, "c.csv", "ID,Name,Tier\n1,A,g\n2,B,s\n")
    mapping = {
        "tables": {
            "customers": {
                "file": "c.csv",
                "columns": {"customer_id": "ID", "name": "Name", "segment": "Tier"},
                "values": {"segment": {"g": "gold", "s": "silver"}},
            }
        }
    }
    data = salesnb.load(tmp_path, mapping=mapping)
    assert data.customers["segment"].tolist() == ["gold", "silver"]


# --------------------------------------------------------------------------- the CRM export

DEALS = (
    "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    "O1,Ann Lee,GTXPro,Acme,Won,2025-01-05,2025-02-01,1100\n"
    "O2,Bob Ray,MG Special,Beta,Lost,2025-01-06,2025-02-10,0\n"
    "O3,Ann Lee,GTXPro,Acme,Engaging,2025-02-01,,\n"
    "O4,Bob Ray,MG Special,Beta,Prospecting,,,\n"
)
PRODUCTS = "product,series,sales_price\nGTX Pro,GTX,1096\nMG Special,MG,55\n"
TEAMS = "sales_agent,manager,regional_office\nAnn Lee,Dustin,Central\nBob Ray,Melvin,West\n"
STATUS = {"Won": "won", "Lost": "lost", "Engaging": "open", "Prospecting": "open"}
STAGE = {"Prospecting": "qualification", "Engaging": "discovery", "Won": "proposal"}
NAMES = {"GTXPro": "GTX Pro", "*": "*"}


@pytest.fixture
def crm(tmp_path):
    write(tmp_path, "sales_pipeline.csv", DEALS)
    write(tmp_path, "products.csv", PRODUCTS)
    write(tmp_path, "sales_teams.csv", TEAMS)
    return tmp_path


def crm_mapping(derive: dict | None = None, **opportunities) -> dict:
    """The mapping of the CRM export; prospecting deals have no engage date."""
    deals = {
        "file": "sales_pipeline.csv",
        "columns": {
            "opportunity_id": "opportunity_id",
            "rep_id": "sales_agent",
            "product": "product",
            "status": "deal_stage",
            "stage": "deal_stage",
            "closed_at": "close_date",
            "amount": "close_value",
        },
        "values": {"product": NAMES, "status": STATUS, "stage": {**STAGE, "Lost": "proposal"}},
        "derive": {"created_at": "coalesce(engage_date, '2025-01-01')", **(derive or {})},
    }
    deals.update(opportunities)
    return {
        "tables": {
            "reps": {
                "file": "sales_teams.csv",
                "columns": {
                    "rep_id": "sales_agent",
                    "name": "sales_agent",
                    "manager": "manager",
                    "region": "regional_office",
                },
            },
            "opportunities": deals,
        }
    }


def test_one_source_column_feeds_several_contract_columns(crm):
    mapping = crm_mapping(derive={"amount": "coalesce(amount, 0)"})
    data = salesnb.load(crm, mapping=mapping, as_of="2025-12-31")
    o = data.opportunities
    assert o["status"].tolist() == ["won", "lost", "open", "open"]
    assert o["stage"].tolist() == ["proposal", "proposal", "discovery", "qualification"]
    assert data.reps["rep_id"].tolist() == data.reps["name"].tolist() == ["Ann Lee", "Bob Ray"]
    accounted(data)


def test_lookup_fills_missing_values_from_another_file(crm):
    lookups = {
        "amount": {"file": "products.csv", "key": "product", "value": "sales_price"},
        "region": {"file": "sales_teams.csv", "key": "sales_agent", "value": "regional_office"},
    }
    data = salesnb.load(crm, mapping=crm_mapping(lookups=lookups), as_of="2025-12-31")
    o = data.opportunities.set_index("opportunity_id")
    # won and lost deals keep their value; open deals take the product's list price,
    # matched after the value map fixed the product name ("GTXPro" -> "GTX Pro")
    assert o["amount"].tolist() == [1100.0, 0.0, 1096.0, 55.0]
    assert o["region"].tolist() == ["Central", "West", "Central", "West"]
    assert not data.rejected
    accounted(data)


def test_lookup_through_a_mapped_table_and_fill_all(crm):
    lookups = {
        "amount": {"table": "products", "key": "product", "value": "list_price", "fill": "all"},
    }
    mapping = crm_mapping(lookups=lookups)
    del mapping["tables"]["opportunities"]["columns"]["amount"]
    mapping["tables"]["products"] = {
        "file": "products.csv",
        "columns": {"product": "product", "category": "series", "list_price": "sales_price"},
    }
    data = salesnb.load(crm, mapping=mapping, as_of="2025-12-31")
    assert data.opportunities["amount"].tolist() == [1096.0, 55.0, 1096.0, 55.0]
    assert data.products["list_price"].tolist() == [1096.0, 55.0]


def test_lookup_keys_not_found_stay_empty_and_are_counted(crm):
    names = {"MG Special": "MG Special", "GTXPro": "GTXPro"}  # GTXPro: not in products.csv
    lookups = {"amount": {"file": "products.csv", "key": "product", "value": "sales_price"}}
    mapping = crm_mapping(lookups=lookups)
    mapping["tables"]["opportunities"]["values"]["product"] = names
    with pytest.warns(MappingWarning) as record:
        data = salesnb.load(crm, mapping=mapping, as_of="2025-12-31")
    found = [str(w.message) for w in record if "not found" in str(w.message)]
    assert found == [
        "<dict>: table opportunities: lookups.amount: 1 row(s) have a product not found in "
        "products.csv column product: 'GTXPro' (1 rows); their amount stays empty"
    ]
    # the open deal left without a value loads (the contract allows it) and is counted
    o3 = data.opportunities.set_index("opportunity_id").loc["O3"]
    assert o3["status"] == "open" and pd.isna(o3["amount"])
    assert not data.rejected.get("opportunities", pd.DataFrame()).shape[0]
    assert any("open deals have no amount" in n for n in data.notes)
    with pytest.raises(MappingError, match="lookups.amount: 1 row"):
        salesnb.load(crm, mapping=mapping, as_of="2025-12-31", errors="raise")


def test_lookup_duplicate_keys_with_different_values_are_an_error(crm):
    write(crm, "products.csv", PRODUCTS + "GTX Pro,GTX,999\nMG Special,MG,55\n")
    lookups = {"amount": {"file": "products.csv", "key": "product", "value": "sales_price"}}
    mapping = crm_mapping(lookups=lookups)
    with pytest.raises(MappingError) as exc:
        salesnb.load(crm, mapping=mapping)
    msg = str(exc.value)
    assert msg.startswith("<dict>: table opportunities: lookups.amount: products.csv holds 1")
    assert "'GTX Pro' (rows 2, 4: '1096', '999')" in msg  # same value twice is fine (MG)


def test_lookup_sections_are_checked(crm):
    def lookup(**spec):
        return {"tables": {"opportunities": {"lookups": {"amount": spec}}}}

    with pytest.raises(MappingError, match="lookups.amount: missing value"):
        read_mapping(lookup(file="p.csv", key="product"))
    with pytest.raises(MappingError, match="lookups.amount: give the other file"):
        read_mapping(lookup(file="p.csv", table="products", key="k", value="v"))
    with pytest.raises(MappingError, match="fill = 'some'"):
        read_mapping(lookup(file="p.csv", key="k", value="v", fill="some"))
    with pytest.raises(MappingError, match="table = 'products' is not another table"):
        read_mapping(lookup(table="products", key="k", value="v"))
    with pytest.raises(MappingError, match=r"lookups.amount: cannot read .*'nope.csv' not found"):
        salesnb.load(
            crm,
            mapping=crm_mapping(
                lookups={"amount": {"file": "nope.csv", "key": "product", "value": "x"}}
            ),
        )
    with pytest.raises(MappingError, match=r"lookups.amount: products.csv has no column 'price'"):
        salesnb.load(
            crm,
            mapping=crm_mapping(
                lookups={"amount": {"file": "products.csv", "key": "product", "value": "price"}}
            ),
        )


def test_value_maps_apply_to_derived_and_looked_up_columns(crm):
    mapping = crm_mapping(
        derive={
            "stage": "CASE WHEN deal_stage IN ('Won', 'Lost') THEN 'Closing' ELSE deal_stage END",
            "amount": "coalesce(amount, 0)",
        },
        lookups={
            "region": {"file": "sales_teams.csv", "key": "sales_agent", "value": "regional_office"}
        },
    )
    del mapping["tables"]["opportunities"]["columns"]["stage"]
    mapping["tables"]["opportunities"]["values"].update(
        {
            "stage": {
                "Prospecting": "qualification",
                "Engaging": "discovery",
                "Closing": "negotiation",
            },
            "region": {"Central": "Central US", "West": "West US"},
        }
    )
    data = salesnb.load(crm, mapping=mapping, as_of="2025-12-31")
    o = data.opportunities
    assert o["stage"].tolist() == ["negotiation", "negotiation", "discovery", "qualification"]
    assert o["region"].tolist() == ["Central US", "West US", "Central US", "West US"]


def test_derive_sees_mapped_values_and_looked_up_columns(crm):
    # order: columns -> values -> lookups -> derive: status is already "won"/"lost"/"open"
    mapping = crm_mapping(
        derive={
            "amount": "CASE WHEN status = 'open' THEN list_price ELSE amount END",
        },
        lookups={"list_price": {"file": "products.csv", "key": "product", "value": "sales_price"}},
    )
    data = salesnb.load(crm, mapping=mapping, as_of="2025-12-31")
    assert data.opportunities["amount"].tolist() == [1100.0, 0.0, 1096.0, 55.0]
    assert data.opportunities["list_price"].tolist() == [1096.0, 55.0, 1096.0, 55.0]


# --------------------------------------------------------------------------- warnings


def messages(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, MappingWarning)]


def test_value_map_entries_that_do_not_occur_and_values_not_covered(crm):
    mapping = crm_mapping()
    values = mapping["tables"]["opportunities"]["values"]
    values["status"] = {"Won": "won", "Closed Lost": "lost", "Engaging": "open", "Lost": "lost"}
    with pytest.warns(MappingWarning) as record:
        salesnb.load(crm, mapping=mapping, as_of="2025-12-31")
    got = messages(record)
    assert (
        "<dict>: table opportunities: [values.status] has no entry for 1 value(s) of column "
        "deal_stage: 'Prospecting' (1 rows); they are kept as they are" in got
    )
    assert (
        "<dict>: table opportunities: [values.status] 'Closed Lost' does not occur in column "
        "deal_stage" in got
    )
    with pytest.raises(MappingError, match=r"\[values.status\] has no entry"):
        salesnb.load(crm, mapping=mapping, as_of="2025-12-31", errors="raise")


def test_values_already_in_the_maps_results_are_covered(tmp_path):
    write(tmp_path, "c.csv", "ID,Tier\n1,Gold\n2,silver\n")
    mapping = {
        "tables": {
            "customers": {
                "file": "c.csv",
                "columns": {"customer_id": "ID", "segment": "Tier"},
                "values": {"segment": {"Gold": "gold", "Silver": "silver"}},
            }
        }
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", MappingWarning)
        with pytest.raises(MappingWarning, match="'Silver' does not occur in column Tier"):
            salesnb.load(tmp_path, mapping=mapping)  # 'silver' is a result: covered


def test_a_column_given_twice_is_a_warning(crm):
    mapping = crm_mapping(derive={"amount": "1"})
    with pytest.warns(
        MappingWarning, match=r"amount is given twice: columns.amount = 'close_value'"
    ):
        salesnb.load(crm, mapping=mapping, as_of="2025-12-31")
    with pytest.raises(MappingError, match="amount is given twice"):
        salesnb.load(crm, mapping=mapping, as_of="2025-12-31", errors="raise")
    # a derived column that completes itself is not given twice
    mapping = crm_mapping(derive={"amount": "coalesce(amount, 0)"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", MappingWarning)
        data = salesnb.load(crm, mapping=mapping, as_of="2025-12-31")
    assert data.opportunities["amount"].tolist() == [1100.0, 0.0, 0.0, 0.0]


def test_a_key_given_twice_in_yaml_is_an_error(tmp_path):
    m = write(
        tmp_path,
        "m.yml",
        "tables:\n  reps:\n    columns:\n      rep_id: a\n      rep_id: b\n",
    )
    with pytest.raises(MappingError, match=r"key 'rep_id' is given twice \(line 5\)"):
        read_mapping(m)


def test_a_mapped_table_that_is_not_loaded_is_a_warning(crm):
    mapping = crm_mapping(derive={"amount": "coalesce(amount, 0)"})
    mapping["tables"]["customers"] = {"columns": {"customer_id": "account"}}  # no customers file
    with pytest.warns(MappingWarning, match="table customers is in the mapping but was not loaded"):
        data = salesnb.load(crm, mapping=mapping, as_of="2025-12-31")
    assert data.customers is None and data.opportunities is not None
    with pytest.raises(MappingError, match="table customers is in the mapping but was not"):
        salesnb.load(crm, mapping=mapping, as_of="2025-12-31", errors="raise")


def test_a_mapped_source_column_that_does_not_exist_stays_an_error(crm):
    mapping = crm_mapping()
    mapping["tables"]["opportunities"]["columns"]["lost_reason"] = "Reason"
    with pytest.raises(MappingError, match=r"columns.lost_reason: mapped column 'Reason'"):
        salesnb.load(crm, mapping=mapping)


def test_the_documented_example_loads_without_warnings(tmp_path):
    root = Path(__file__).resolve().parents[1]
    write(
        tmp_path,
        "deals.csv",
        "Deal,Opened,Phase,Outcome,Qty,Unit Price,Owner\n"
        "D1,05.01.2025,Proposal,Closed Won,2,$50.00,ann\n"
        "D2,06.01.2025,Negotiation,Open,1,$70.00,bob\n"
        "D3,07.01.2025,Discovery,Closed Lost,3,$10.00,test-user\n",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", MappingWarning)
        data = salesnb.load(tmp_path, mapping=root / "data" / "mappings" / "starter.toml")
    assert data.opportunities["amount"].tolist() == [100.0, 70.0]


def test_lookups_in_a_workbook_and_a_database(crm, tmp_path):
    deals = pd.read_csv(crm / "sales_pipeline.csv", dtype=str)
    products = pd.read_csv(crm / "products.csv", dtype=str)
    book = tmp_path / "crm.xlsx"
    with pd.ExcelWriter(book) as xw:
        deals.to_excel(xw, sheet_name="Deals", index=False)
        products.to_excel(xw, sheet_name="Products", index=False)
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as con:
        deals.to_sql("deals", con, index=False)
        products.to_sql("products", con, index=False)
    for source, where in ((book, {"sheet": "Products"}), (db, {"file": "products"})):
        lookups = {"amount": {**where, "key": "product", "value": "sales_price"}}
        mapping = crm_mapping(lookups=lookups)
        del mapping["tables"]["reps"]
        deals_at = {"sheet": "Deals"} if source == book else {"file": "deals"}
        del mapping["tables"]["opportunities"]["file"]
        mapping["tables"]["opportunities"].update(deals_at)
        data = salesnb.load(source, mapping=mapping, as_of="2025-12-31")
        assert data.opportunities["amount"].tolist() == [1100.0, 0.0, 1096.0, 55.0], source


def test_lookups_through_tables_may_not_form_a_cycle(crm):
    mapping = crm_mapping(
        lookups={"amount": {"table": "products", "key": "product", "value": "list_price"}}
    )
    mapping["tables"]["products"] = {
        "file": "products.csv",
        "columns": {"product": "product", "list_price": "sales_price"},
        "lookups": {"category": {"table": "opportunities", "key": "product", "value": "stage"}},
    }
    with pytest.raises(MappingError, match="cycle: opportunities -> products -> opportunities"):
        salesnb.load(crm, mapping=mapping)
    # a chain is fine, and the mapping stays plain data (no circular references)
    del mapping["tables"]["products"]["lookups"]
    json.dumps(read_mapping(mapping))


def test_a_filter_must_be_a_condition(crm):
    with pytest.raises(MappingError, match=r"filter: 'deal_stage' gives 'Won', not true or false"):
        salesnb.load(crm, mapping=crm_mapping(filter="deal_stage"))
    with pytest.raises(MappingError, match="operator '&' .combine conditions with AND, OR and NOT"):
        salesnb.load(crm, mapping=crm_mapping(filter="(deal_stage = 'Won') & (product = 'x')"))


def test_expressions_on_a_table_without_rows(tmp_path):
    write(tmp_path, "deals.csv", "Deal,Opened,Qty\n")
    mapping = {
        "tables": {
            "opportunities": {
                "file": "deals.csv",
                "columns": {"opportunity_id": "Deal"},
                "derive": {
                    "amount": "Qty * 2",
                    "created_at": "Opened",
                    "status": "'open'",
                    "stage": "'proposal'",
                },
                "filter": "Qty > 0",
            }
        }
    }
    data = salesnb.load(tmp_path, mapping=mapping)
    assert len(data.opportunities) == 0


def test_the_crm_example_of_the_docs_loads_every_open_deal(crm):
    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "mappings.md").read_text(encoding="utf-8")
    section = page.split("## Worked example: a CRM with one stage column")[1]
    mapping = tomllib.loads(re.search(r"```toml\n(.*?)```", section, re.S).group(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", MappingWarning)
        data = salesnb.load(crm, mapping=mapping, as_of="2025-12-31")
    o = data.opportunities.set_index("opportunity_id")
    assert not data.rejected and len(o) == 4
    assert o["status"].tolist() == ["won", "lost", "open", "open"]
    assert o["amount"].tolist() == [1100.0, 0.0, 1096.0, 55.0]
    assert o["region"].tolist() == ["Central", "West", "Central", "West"]
    assert data.reps["name"].tolist() == ["Ann Lee", "Bob Ray"]
    accounted(data)


def test_a_star_entry_covers_every_other_value(tmp_path):
    write(tmp_path, "c.csv", "ID,Tier\n1,Gold\n2,Silver\n3,\n4,Bronze\n")
    mapping = {
        "tables": {
            "customers": {
                "file": "c.csv",
                "columns": {"customer_id": "ID", "segment": "Tier"},
                "values": {"segment": {"Gold": "key", "*": "other"}},
            }
        }
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", MappingWarning)
        data = salesnb.load(tmp_path, mapping=mapping)
    assert data.customers["segment"].tolist()[:2] == ["key", "other"]
    assert pd.isna(data.customers["segment"].iloc[2])  # empty stays empty
