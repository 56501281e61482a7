"""``salesnb check``: the dry run of a load, its exit codes, and the report sections it says
the data enables (one list, checked against the notebooks' own guards)."""

from __future__ import annotations

import ast
import json
import shutil
import sys
import warnings
from pathlib import Path

import pytest

from salesnb import cli
from salesnb.check import run_check
from salesnb.load import SAMPLE_DATA
from salesnb.resources import NOTEBOOKS_DIR
from salesnb.sections.availability import REPORT_SECTIONS, section_availability

ORDERS = """\
order_id,customer_id,order_date,amount,region
SO1,C1,2025-01-05,100.00,East
SO2,C2,2025-01-06,abc,West
SO3,C3,2025-02-30,50.00,East
SO4,C4,2025-02-01,1O0,East
SO5,C5,2025-02-02,75.00,North
"""


@pytest.fixture(scope="module")
def sample_report():
    return run_check(SAMPLE_DATA)


@pytest.fixture
def orders_only(tmp_path):
    folder = tmp_path / "orders_only"
    folder.mkdir()
    shutil.copy(SAMPLE_DATA / "orders.csv", folder / "orders.csv")
    return folder


@pytest.fixture
def bad_orders(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "orders.csv").write_text(ORDERS)
    return folder


def test_sample_loads_fully_and_enables_every_section(sample_report, capsys):
    assert sample_report.exit_code == 0 and sample_report.rejected == 0
    assert sample_report.sections["available"].all()
    assert len(sample_report.sections) == len(REPORT_SECTIONS)
    assert set(sample_report.summary["table"]) == {p.stem for p in SAMPLE_DATA.glob("*.csv")}
    # extra (non-contract) columns of the sample's leads are said
    assert ("leads", "leads.csv", "kept as extra columns", ["segment", "web_visits"]) in (
        sample_report.unmapped
    )
    text = sample_report.text()
    assert f"Report sections: {len(REPORT_SECTIONS)} of {len(REPORT_SECTIONS)} available" in text
    assert "Result: every row of every table loaded." in text


def test_cli_check_sample_exits_0(capsys):
    assert cli.main(["check", str(SAMPLE_DATA)]) == 0
    out = capsys.readouterr().out
    assert "opportunities" in out and "2,015" in out


def test_orders_only_folder_says_what_would_enable_the_rest(orders_only, capsys):
    assert cli.main(["check", str(orders_only)]) == 0
    report = run_check(orders_only)
    table = report.sections.set_index(["notebook", "section"])
    assert table.loc[("00_executive_summary", "Revenue in the quarter"), "available"]
    assert table.loc[("02_revenue_forecast", "Revenue by region"), "available"]
    funnel = table.loc[("01_leads_conversion", "Stage funnel")]
    assert not funnel["available"] and funnel["missing"] == ["opportunities"]
    assert funnel["enable"].startswith("table opportunities with opportunity_id")
    target = table.loc[("00_executive_summary", "Revenue against target")]
    assert target["enable"] == "table targets with period, level, key, revenue_target"
    out = capsys.readouterr().out
    assert "Stage funnel" in out and "no" in out


def test_rejected_rows_exit_1_with_reasons_rows_and_values(bad_orders, capsys):
    assert cli.main(["check", str(bad_orders), "--as-of", "2025-03-31"]) == 1
    out = capsys.readouterr().out
    report = run_check(bad_orders, as_of="2025-03-31")
    assert report.rejected == 3 and report.exit_code == 1
    reasons = report.reasons.set_index("reason")
    amount = reasons.loc[[r for r in reasons.index if r.startswith("amount")][0]]
    assert amount["rows"] == 2 and amount["examples"] == [3, 5]  # header is row 1
    assert set(amount["values"]) == {"abc", "1O0"}
    assert "3 row(s) rejected" in out and "rows 3, 5" in out and "'abc'" in out
    assert "Result: 3 row(s) rejected in 1 table(s)" in out


def test_mapping_unmapped_columns_and_value_gaps(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "sales.csv").write_text(
        "Order,Customer,Date,Total,State,Note\n"
        "A1,C1,2025-01-05,10,Shipped,x\n"
        "A2,C2,2025-01-06,20,Pending,y\n"
        "A3,C3,2025-01-07,30,Lost in post,z\n"
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[tables.orders]\nfile = "sales.csv"\n'
        '[tables.orders.columns]\norder_id = "Order"\ncustomer_id = "Customer"\n'
        'order_date = "Date"\namount = "Total"\nstatus = "State"\n'
        '[tables.orders.values.status]\nShipped = "fulfilled"\nPending = "placed"\n'
    )
    report = run_check(folder, mapping=mapping)
    assert report.exit_code == 1 and report.rejected == 1
    assert report.unmapped == [("orders", "sales.csv", "kept as extra columns", ["Note"])]
    assert report.value_gaps == [("orders", "status", "State", [("Lost in post (rejected)", 1)])]
    text = report.text()
    assert 'orders.status (from "State"): Lost in post (rejected) x1' in text
    assert '"Note"' in text


def test_usage_errors_exit_2(tmp_path, bad_orders, capsys):
    assert cli.main(["check", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli.main(["check", str(bad_orders), "--mapping", str(tmp_path / "none.toml")]) == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("[tables.order]\nfile = 'orders.csv'\n")
    assert cli.main(["check", str(bad_orders), "--mapping", str(bad)]) == 2
    assert "did you mean 'orders'" in capsys.readouterr().err
    missing = tmp_path / "missing.toml"
    missing.write_text("[tables.orders]\nfile = 'deals.csv'\n")
    assert cli.main(["check", str(bad_orders), "--mapping", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "'deals.csv' is not in" in err and "orders.csv" in err
    column = tmp_path / "column.toml"
    column.write_text(
        "[tables.orders]\nfile = 'orders.csv'\n[tables.orders.columns]\namount = 'Total'\n"
    )
    assert cli.main(["check", str(bad_orders), "--mapping", str(column)]) == 2


def test_warnings_during_load_are_shown(bad_orders, monkeypatch):
    check = sys.modules["salesnb.check"]
    real = check.load

    def load_with_warning(*args, **kwargs):
        warnings.warn("value map [values.status] has values not in the data: 'Void'", stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(check, "load", load_with_warning)
    report = run_check(bad_orders, as_of="2025-03-31")
    assert any("not in the data: 'Void'" in w for w in report.warnings)
    assert "Warnings" in report.text() and "'Void'" in report.text()


def test_sqlite_source_is_checked(tmp_path):
    import sqlite3

    import pandas as pd

    db = tmp_path / "sales.db"
    with sqlite3.connect(db) as con:
        pd.read_csv(SAMPLE_DATA / "orders.csv", dtype=str).head(50).to_sql("orders", con)
    report = run_check(db)
    assert report.exit_code == 0 and report.summary["rows_loaded"].tolist() == [50]
    assert report.source == str(db)


# ---------------------------------------------------------------------------------------
# one list of the sections and their requirements, equal to the notebooks' guards


def _guards() -> list[tuple[str, str, tuple, dict]]:
    """Every ``sections.requires(sales, *tables, what=..., columns=...)`` in the notebooks."""
    found = []
    for path in sorted(Path(NOTEBOOKS_DIR).glob("[0-9]*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "requires"
                ):
                    continue
                tables = tuple(ast.literal_eval(a) for a in node.args[1:])
                kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
                cols = {t: tuple(c) for t, c in kw.get("columns", {}).items()}
                found.append((path.stem, kw["what"], tables, cols))
    return found


def test_section_list_matches_the_notebook_guards():
    listed = [(s.notebook, s.title, s.tables, dict(s.columns)) for s in REPORT_SECTIONS]
    assert listed == _guards()


def test_section_availability_on_partial_data():
    from types import SimpleNamespace

    import pandas as pd

    data = SimpleNamespace(
        tables={
            "orders": pd.DataFrame({"amount": [1.0], "rep_id": [None]}),
            "leads": pd.DataFrame(),
        }
    )
    table = section_availability(data).set_index(["notebook", "section"])
    lead = table.loc[("01_leads_conversion", "Lead conversion")]
    assert not lead["available"] and lead["missing"] == ["leads"]
    board = table.loc[("04_team_performance", "Leaderboard")]
    assert board["missing"] == ["orders.rep_id"] and board["enable"] == "column orders.rep_id"
