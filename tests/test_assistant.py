"""``salesnb map``: the mapping assistant on small exports shaped like the big CRMs' and an
ERP's, written to tmp_path (3-10 rows each).

Each export gets the right table, columns, date formats and pipeline; the mapping it
writes is accepted by ``read_mapping`` and loads the export with 0 rejected rows as
written (the user only confirms the stage order).
"""

from __future__ import annotations

import sqlite3
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import salesnb
from salesnb import cli
from salesnb.load import read_mapping
from salesnb.load.assistant import propose_mapping
from salesnb.load.survey import profile
from salesnb.load.vocabulary import outcome_of
from salesnb.stages import SalesPipeline

AS_OF = "2025-03-31"

SALESFORCE = """\
Opportunity Name,Opportunity ID,Account Name,Opportunity Owner,Stage,Amount,Probability (%),Close Date,Created Date,Lead Source,Type,Fiscal Period
Acme - 200 licenses,0065g00000AbC01,Acme Corp,Ann Lee,Prospecting,"$12,000.00",10,4/30/2025,1/15/2025,Web,New Business,Q2-2025
Globex renewal,0065g00000AbC02,Globex,Bob Ray,Qualification,"$8,500.00",10,5/15/2025,1/20/2025,Partner,Existing Business,Q2-2025
Initech upgrade,0065g00000AbC03,Initech,Ann Lee,Needs Analysis,"$20,000.00",20,5/31/2025,2/3/2025,Web,Existing Business,Q2-2025
Umbrella pilot,0065g00000AbC04,Umbrella,Cy Dunn,Value Proposition,"$5,000.00",50,6/13/2025,2/14/2025,Trade Show,New Business,Q2-2025
Hooli expansion,0065g00000AbC05,Hooli,Bob Ray,Proposal/Price Quote,"$30,000.00",75,6/30/2025,2/21/2025,Referral,Existing Business,Q2-2025
Stark deal,0065g00000AbC06,Stark Ind,Cy Dunn,Negotiation/Review,"$45,000.00",90,6/20/2025,3/1/2025,Web,New Business,Q2-2025
Wayne order,0065g00000AbC07,Wayne Ent,Ann Lee,Closed Won,"$15,000.00",100,3/28/2025,1/10/2025,Partner,New Business,Q1-2025
Tyrell,0065g00000AbC08,Tyrell,Bob Ray,Closed Lost,"$9,000.00",0,3/14/2025,1/12/2025,Web,New Business,Q1-2025
"""

HUBSPOT = """\
Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Pipeline,Associated Company
9001,Acme Q2,Appointment Scheduled,12000,2025-05-30 00:00,2025-01-15 09:30,Ann Lee,Sales Pipeline,Acme Corp
9002,Globex renewal,Qualified To Buy,8500,2025-05-15 00:00,2025-01-20 11:02,Bob Ray,Sales Pipeline,Globex
9003,Initech upgrade,Presentation Scheduled,20000,2025-06-30 00:00,2025-02-03 14:45,Ann Lee,Sales Pipeline,Initech
9004,Umbrella pilot,Decision Maker Bought-In,5000,2025-06-13 00:00,2025-02-14 08:10,Cy Dunn,Sales Pipeline,Umbrella
9005,Hooli expansion,Contract Sent,30000,2025-04-30 00:00,2025-02-21 16:20,Bob Ray,Sales Pipeline,Hooli
9006,Wayne order,Closed Won,15000,2025-03-28 00:00,2025-01-10 10:00,Ann Lee,Sales Pipeline,Wayne Ent
9007,Tyrell,Closed Lost,9000,2025-03-14 00:00,2025-01-12 13:30,Bob Ray,Sales Pipeline,Tyrell
"""

PIPEDRIVE = """\
Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Stage,Deal - Status,Deal - Owner,Deal - Organization,Deal - Deal created,Deal - Expected close date,Deal - Won time,Deal - Lost time,Deal - Pipeline,Deal - Last activity date
101,Acme deal,12000,USD,Qualified,Open,Ann Lee,Acme Corp,2025-01-15 10:22:31,2025-05-30,,,Pipeline,2025-03-20
102,Globex deal,8500,USD,Contact Made,Open,Bob Ray,Globex,2025-01-20 11:02:00,2025-05-15,,,Pipeline,2025-03-18
103,Initech deal,20000,USD,Demo Scheduled,Open,Ann Lee,Initech,2025-02-03 14:45:10,2025-06-30,,,Pipeline,2025-03-25
104,Umbrella deal,5000,USD,Proposal Made,Open,Cy Dunn,Umbrella,2025-02-14 08:10:00,2025-06-13,,,Pipeline,
105,Hooli deal,30000,USD,Negotiations Started,Open,Bob Ray,Hooli,2025-02-21 16:20:00,2025-04-30,,,Pipeline,2025-03-27
106,Wayne deal,15000,USD,Negotiations Started,Won,Ann Lee,Wayne Ent,2025-01-10 10:00:00,2025-03-31,2025-03-02 14:00:00,,Pipeline,2025-03-02
107,Tyrell deal,9000,USD,Proposal Made,Lost,Bob Ray,Tyrell,2025-01-12 13:30:00,2025-03-31,,2025-03-10 09:00:00,Pipeline,2025-03-10
"""

ZOHO = """\
Record Id,Deal Name,Account Name,Deal Owner,Stage,Amount,Closing Date,Created Time,Probability (%),Lead Source,Type
zcrm_5725767000000421001,Acme Q2,Acme Corp,Ann Lee,Qualification,12000.00,30/05/2025,15/01/2025 10:22,10,Web Download,New Business
zcrm_5725767000000421002,Globex renewal,Globex,Bob Ray,Needs Analysis,8500.00,15/05/2025,20/01/2025 11:02,20,Partner,Existing Business
zcrm_5725767000000421003,Initech upgrade,Initech,Ann Lee,Value Proposition,20000.00,30/06/2025,03/02/2025 14:45,40,Web Download,Existing Business
zcrm_5725767000000421004,Umbrella pilot,Umbrella,Cy Dunn,Identify Decision Makers,5000.00,13/06/2025,14/02/2025 08:10,60,Trade Show,New Business
zcrm_5725767000000421005,Hooli expansion,Hooli,Bob Ray,Proposal/Price Quote,30000.00,30/04/2025,21/02/2025 16:20,75,Employee Referral,Existing Business
zcrm_5725767000000421006,Stark deal,Stark Ind,Cy Dunn,Negotiation/Review,45000.00,20/06/2025,01/03/2025 09:00,90,Web Download,New Business
zcrm_5725767000000421007,Wayne order,Wayne Ent,Ann Lee,Closed Won,15000.00,28/03/2025,10/01/2025 10:00,100,Partner,New Business
zcrm_5725767000000421008,Tyrell,Tyrell,Bob Ray,Closed Lost,9000.00,14/03/2025,12/01/2025 13:30,0,Web Download,New Business
"""

# a generic B2B export in four files: open deals have no value, prospecting deals no
# engage date, the product is spelt differently in the deals and products files
B2B = {
    "sales_pipeline.csv": """\
opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value
1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054
Z063OYW0,Darcel Schlecht,GTXPro,Isdom,Won,2016-10-25,2017-03-11,4514
EC4QE1BX,Darcel Schlecht,MG Special,Cancity,Engaging,2016-10-25,,
MV1LWRNH,Moses Frase,GTX Basic,Codehow,Lost,2016-10-25,2017-03-07,0
PE84CX4O,Zane Levy,GTX Basic,Hatfan,Prospecting,,,
ZNBS69V1,Anna Snelling,MG Special,Ron-tech,Won,2016-10-29,2017-03-01,50
""",
    "accounts.csv": """\
account,sector,year_established,revenue,employees,office_location,subsidiary_of
Cancity,retail,2001,718.62,2448,United States,
Codehow,software,1998,2714.90,2641,United States,Acme Corporation
Hatfan,services,1982,792.46,1299,United States,
Isdom,medical,2002,3178.24,4540,United States,
Ron-tech,medical,1992,3922.42,6837,United States,
""",
    "products.csv": """\
product,series,sales_price
GTX Basic,GTX,550
GTX Pro,GTX,4821
MG Special,MG,55
GTX Plus Basic,GTX,1096
""",
    "sales_teams.csv": """\
sales_agent,manager,regional_office
Anna Snelling,Dustin Brinkmann,Central
Darcel Schlecht,Melvin Marxen,Central
Moses Frase,Dustin Brinkmann,Central
Zane Levy,Summer Sewald,West
""",
}

ERP = """\
Row ID,Order ID,Order Date,Ship Date,Customer ID,Customer Name,Segment,Region,Product ID,Category,Sales,Quantity,Profit
1,CA-2016-152156,11/8/2016,11/11/2016,CG-12520,Claire Gute,Consumer,South,FUR-BO-10001798,Furniture,261.96,2,41.91
2,CA-2016-152156,11/8/2016,11/11/2016,CG-12520,Claire Gute,Consumer,South,FUR-CH-10000454,Furniture,731.94,3,219.58
3,CA-2016-138688,6/12/2016,6/16/2016,DV-13045,Darrin Van Huff,Corporate,West,OFF-LA-10000240,Office Supplies,14.62,2,6.87
4,US-2015-108966,10/11/2015,10/18/2015,SO-20335,Sean O'Donnell,Consumer,South,FUR-TA-10000577,Furniture,957.58,5,-383.03
5,US-2015-108966,10/11/2015,10/18/2015,SO-20335,Sean O'Donnell,Consumer,South,OFF-ST-10000760,Office Supplies,22.37,2,2.52
6,CA-2014-115812,6/9/2014,6/14/2014,BH-11710,Brosina Hoffman,Consumer,West,FUR-FU-10001487,Furniture,48.86,7,14.17
7,CA-2017-114412,4/15/2017,4/20/2017,AA-10480,Andrew Allen,Consumer,South,OFF-PA-10002365,Office Supplies,15.55,3,5.44
"""

EXPORTS = {
    "salesforce": {"opportunities.csv": SALESFORCE},
    "hubspot": {"hubspot-crm-exports-all-deals-2025-03-31.csv": HUBSPOT},
    "pipedrive": {"deals-export.csv": PIPEDRIVE},
    "zoho": {"Deals_2025_03_31.csv": ZOHO},
    "b2b": B2B,
    "erp": {"orders.csv": ERP},
}


def write_export(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for fname, text in EXPORTS[name].items():
        (folder / fname).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def export(tmp_path):
    return lambda name: write_export(tmp_path / name, name)


def _pipeline(text: str) -> dict:
    section = tomllib.loads(text)["pipeline"]
    stages = [s if isinstance(s, str) else s["name"] for s in section["stages"]]
    return {"stages": stages, "won": section.get("won"), "lost": section.get("lost")}


# ---------------------------------------------------------------------------------------
# what each export is recognised as


def test_salesforce_opportunity_report(export):
    proposal = propose_mapping(export("salesforce"))
    opp = proposal.table("opportunities")
    assert [t.table for t in proposal.tables] == ["opportunities"]
    assert opp.mapped == {
        "opportunity_id": "Opportunity ID",
        "customer_id": "Account Name",
        "rep_id": "Opportunity Owner",
        "created_at": "Created Date",
        "stage": "Stage",
        "amount": "Amount",
        "expected_close_date": "Close Date",
    }
    assert "status" not in opp.columns  # one stage column: status comes from [pipeline]
    # "Close Date" is filled on open deals: a closing date only for won and lost deals
    assert opp.columns["closed_at"].expression == (
        "CASE WHEN `Stage` IN ('Closed Lost', 'Closed Won') THEN `Close Date` END"
    )
    assert {c: f for c, (f, _, _) in opp.dates.items()} == {
        "created_at": "%m/%d/%Y",
        "expected_close_date": "%m/%d/%Y",
        "closed_at": "%m/%d/%Y",
    }
    p = proposal.pipeline
    assert [s for s, _, _ in p.stages] == [
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Value Proposition",
        "Proposal/Price Quote",
        "Negotiation/Review",
    ]
    assert [prob for _, _, prob in p.stages] == [0.1, 0.1, 0.2, 0.5, 0.75, 0.9]
    assert p.won == [("Closed Won", 1)] and p.lost == [("Closed Lost", 1)]
    assert "Probability" in p.order_why
    assert opp.unmapped == ["Opportunity Name", "Probability (%)", "Lead Source", "Type",
                            "Fiscal Period"]  # fmt: skip
    assert "Salesforce" in opp.why


def test_hubspot_deals_export(export):
    proposal = propose_mapping(export("hubspot"))
    opp = proposal.table("opportunities")
    assert opp.mapped == {
        "opportunity_id": "Record ID",
        "customer_id": "Associated Company",
        "rep_id": "Deal owner",
        "created_at": "Create Date",
        "stage": "Deal Stage",
        "amount": "Amount",
        "expected_close_date": "Close Date",
    }
    assert "CASE WHEN `Deal Stage` IN" in opp.columns["closed_at"].expression
    assert opp.dates == {}  # ISO dates need no format
    assert [s for s, _, _ in proposal.pipeline.stages] == [
        "Appointment Scheduled",
        "Qualified To Buy",
        "Presentation Scheduled",
        "Decision Maker Bought-In",
        "Contract Sent",
    ]
    assert "usual order" in proposal.pipeline.order_why
    assert "HubSpot" in opp.why


def test_pipedrive_deals_export(export):
    proposal = propose_mapping(export("pipedrive"))
    opp = proposal.table("opportunities")
    assert opp.mapped == {
        "opportunity_id": "Deal - ID",
        "customer_id": "Deal - Organization",
        "rep_id": "Deal - Owner",
        "created_at": "Deal - Deal created",
        "stage": "Deal - Stage",
        "status": "Deal - Status",
        "amount": "Deal - Value",
        "expected_close_date": "Deal - Expected close date",
        "last_activity_at": "Deal - Last activity date",
    }
    assert opp.values == {"status": {"Open": "open", "Won": "won", "Lost": "lost"}}
    assert opp.columns["closed_at"].expression == "COALESCE(`Deal - Won time`, `Deal - Lost time`)"
    assert opp.unmapped == ["Deal - Title", "Deal - Currency", "Deal - Pipeline"]
    p = proposal.pipeline
    assert [s for s, _, _ in p.stages] == [
        "Qualified",
        "Contact Made",
        "Demo Scheduled",
        "Proposal Made",
        "Negotiations Started",
    ]
    assert p.won == [("Won", 1)] and p.lost == [("Lost", 1)]


def test_zoho_deals_export_day_first_dates(export):
    proposal = propose_mapping(export("zoho"))
    opp = proposal.table("opportunities")
    assert opp.mapped["opportunity_id"] == "Record Id"
    assert opp.mapped["customer_id"] == "Account Name"
    assert opp.mapped["rep_id"] == "Deal Owner"
    assert opp.mapped["expected_close_date"] == "Closing Date"
    assert {c: f for c, (f, _, _) in opp.dates.items()} == {
        "created_at": "%d/%m/%Y %H:%M",
        "expected_close_date": "%d/%m/%Y",
        "closed_at": "%d/%m/%Y",
    }
    assert [s for s, _, _ in proposal.pipeline.stages][:2] == ["Qualification", "Needs Analysis"]
    assert [prob for _, _, prob in proposal.pipeline.stages][-1] == 0.9
    assert [t.table for t in proposal.tables] == ["opportunities"]  # no customers from ids


def test_b2b_export_of_four_files(export):
    proposal = propose_mapping(export("b2b"))
    assert {t.table: t.part.label for t in proposal.tables} == {
        "reps": "sales_teams.csv",
        "customers": "accounts.csv",
        "products": "products.csv",
        "opportunities": "sales_pipeline.csv",
    }
    opp = proposal.table("opportunities")
    assert opp.mapped == {
        "opportunity_id": "opportunity_id",
        "customer_id": "account",
        "rep_id": "sales_agent",
        "product": "product",
        "created_at": "engage_date",
        "stage": "deal_stage",
        "amount": "close_value",
        "closed_at": "close_date",  # empty on open deals: a closing date as it is
    }
    assert proposal.table("reps").mapped == {
        "rep_id": "sales_agent",
        "region": "regional_office",
        "manager": "manager",
    }
    assert proposal.table("products").mapped == {
        "product": "product",
        "category": "series",
        "list_price": "sales_price",
    }
    assert _pipeline(proposal.toml()) == {
        "stages": ["Prospecting", "Engaging"],
        "won": ["Won"],
        "lost": ["Lost"],
    }


def test_erp_order_lines_with_customers_and_products_derived(export):
    proposal = propose_mapping(export("erp"))
    orders = proposal.table("orders")
    assert orders.mapped == {
        "order_id": "Order ID",
        "line_id": "Row ID",
        "customer_id": "Customer ID",
        "order_date": "Order Date",
        "region": "Region",
        "product": "Product ID",
        "quantity": "Quantity",
        "amount": "Sales",
        "profit": "Profit",
        "fulfilled_at": "Ship Date",
    }
    assert {c: f for c, (f, _, _) in orders.dates.items()} == {
        "order_date": "%m/%d/%Y",
        "fulfilled_at": "%m/%d/%Y",
    }
    customers = proposal.table("customers")
    assert customers.distinct == "customer_id"
    assert customers.mapped == {
        "customer_id": "Customer ID",
        "name": "Customer Name",
        "segment": "Segment",
        "region": "Region",
    }
    assert proposal.table("products").mapped == {"product": "Product ID", "category": "Category"}
    assert proposal.pipeline is None


# ---------------------------------------------------------------------------------------
# the written mapping: commented, accepted, and (as written) loading every row


@pytest.mark.parametrize("name", list(EXPORTS))
def test_written_mapping_is_commented_and_accepted(export, tmp_path, name):
    folder = export(name)
    text = propose_mapping(folder).toml(data=str(folder), out="my_crm.toml")
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    mapping = read_mapping(path)
    assert mapping["tables"]
    assert f"salesnb check {folder} --mapping my_crm.toml" in text
    # every mapped column says why, with its header
    for line in text.splitlines():
        if " = " in line and not line.startswith(("#", "description", "file", "[")):
            assert "#" in line or line.strip().startswith(('"', "closed_at", "stages")), line
    if name != "erp":
        assert "CHECK the order of the stages" in text


@pytest.mark.parametrize("name", list(EXPORTS))
def test_written_mapping_loads_every_row(export, tmp_path, name, capsys):
    folder = export(name)
    path = tmp_path / f"{name}.toml"
    assert cli.main(["map", str(folder), "--out", str(path)]) == 0
    data = salesnb.load(folder, mapping=path, as_of=AS_OF)
    assert sum(len(r) for r in data.rejected.values()) == 0, data.problems
    rows = {f: len(pd.read_csv(folder / f)) for f in EXPORTS[name]}
    if name == "erp":
        assert len(data.orders) == rows["orders.csv"]
        assert len(data.customers) == 5 and len(data.products) == 7
        return
    opp = data.opportunities
    assert len(opp) == max(rows.values()) if name != "b2b" else len(opp) == 6
    status = opp["status"].value_counts().to_dict()
    expected = {"b2b": {"won": 3, "lost": 1, "open": 2}}.get(name)
    if expected is None:
        expected = {"won": 1, "lost": 1, "open": len(opp) - 2}
    assert status == expected
    assert (opp["closed_at"].notna() == opp["status"].isin(["won", "lost"])).all()
    assert cli.main(["check", str(folder), "--mapping", str(path), "--as-of", AS_OF]) == 0


# ---------------------------------------------------------------------------------------
# the command


def test_map_prints_without_out_and_never_loads(export, monkeypatch, capsys):
    folder = export("salesforce")

    def no_load(*args, **kwargs):
        raise AssertionError("salesnb map loaded the data")

    monkeypatch.setattr(sys.modules["salesnb.load.loader"], "load", no_load)
    monkeypatch.setattr(salesnb, "load", no_load)
    assert cli.main(["map", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert tomllib.loads(out)["tables"]["opportunities"]["file"] == "opportunities.csv"
    assert "opportunities" in err and "salesnb check" in err
    assert sorted(p.name for p in folder.iterdir()) == ["opportunities.csv"]


def test_map_never_overwrites_without_force(export, tmp_path, capsys):
    folder = export("hubspot")
    out = tmp_path / "mine.toml"
    out.write_text("# my own edits\n")
    assert cli.main(["map", str(folder), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == "# my own edits\n"
    assert cli.main(["map", str(folder), "--out", str(out), "--force"]) == 0
    assert "[pipeline]" in out.read_text()


def test_map_usage_errors(tmp_path, capsys):
    assert cli.main(["map", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "notes.csv").write_text("foo,bar\n1,2\n")
    assert cli.main(["map", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no contract table recognised" in err and "notes.csv" in err
    assert cli.main(["map", str(tmp_path), "--out", str(tmp_path / "no" / "x.toml")]) == 2


def test_unrecognised_files_are_listed(export):
    folder = export("erp")
    (folder / "notes.csv").write_text("foo,bar\n1,2\n")
    proposal = propose_mapping(folder)
    assert [p.label for p in proposal.unrecognised] == ["notes.csv"]
    assert "# Not recognised as a contract table" in proposal.toml()
    assert 'notes.csv: "foo", "bar"' in proposal.toml()


def test_workbook_and_sqlite_sources(export, tmp_path):
    frame = pd.read_csv(export("erp") / "orders.csv", dtype=str)
    book = tmp_path / "erp.xlsx"
    with pd.ExcelWriter(book) as xl:
        frame.to_excel(xl, sheet_name="Orders", index=False)
        pd.DataFrame({"foo": ["x"]}).to_excel(xl, sheet_name="Notes", index=False)
    proposal = propose_mapping(book)
    assert proposal.table("orders").part.locator == {"sheet": "Orders"}
    path = tmp_path / "erp.toml"
    path.write_text(proposal.toml(), encoding="utf-8")
    data = salesnb.load(book, mapping=path)
    assert len(data.orders) == len(frame) and not data.rejected

    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as con:
        pd.read_csv(export("hubspot") / next(iter(EXPORTS["hubspot"])), dtype=str).to_sql(
            "deals", con, index=False
        )
    proposal = propose_mapping(db)
    opp = proposal.table("opportunities")
    assert opp.part.locator == {"file": "deals"} and opp.mapped["stage"] == "Deal Stage"
    path.write_text(proposal.toml(), encoding="utf-8")
    assert read_mapping(path)["tables"]["opportunities"]["file"] == "deals"


# ---------------------------------------------------------------------------------------
# value patterns and the details of a proposal


def test_value_patterns():
    p = profile(pd.Series(["03/04/2025", "05/06/2025", None], name="d"))
    assert p.date_format == "%m/%d/%Y" and "%d/%m/%Y" in p.date_alternatives
    assert profile(pd.Series(["2025-01-02 10:00", "2025-01-03"])).date_format == "ISO8601"
    assert profile(pd.Series(["31.12.2024 23:59"])).date_format == "%d.%m.%Y %H:%M"
    assert profile(pd.Series(["Mar 31, 2025"])).date_format == "%b %d, %Y"
    money = profile(pd.Series(["€1.234,50", "12,00"]))
    assert money.numeric and money.decimal_comma and money.money
    assert not profile(pd.Series(["12", "x"])).numeric
    assert profile(pd.Series(["A1", "A2", "A3"])).unique


def test_ambiguous_dates_are_marked_check(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "Order ID,Order Date,Customer ID,Sales\nA1,03/04/2025,C1,10\nA2,05/06/2025,C2,20\n"
    )
    proposal = propose_mapping(tmp_path)
    fmt, why, check = proposal.table("orders").dates["order_date"]
    assert fmt == "%m/%d/%Y" and check and "%d/%m/%Y" in why
    assert 'order_date = "%m/%d/%Y"' in proposal.toml() and "# CHECK:" in proposal.toml()


def test_unknown_status_values_and_several_currencies(export, tmp_path):
    folder = export("pipedrive")
    text = (folder / "deals-export.csv").read_text()
    text += "108,Old deal,100,EUR,Qualified,Deleted,Ann Lee,Acme Corp,2025-01-01 10:00:00,,,,Pipeline,\n"
    (folder / "deals-export.csv").write_text(text)
    proposal = propose_mapping(folder)
    opp = proposal.table("opportunities")
    assert opp.unknown_values == {"status": ["Deleted"]}
    toml = proposal.toml()
    assert '# Deleted = ""' in toml and "CHECK: unknown value" in toml
    assert "# filter = \"`Deal - Status` NOT IN ('Deleted')\"" in toml
    assert any("several currencies" in n for n in opp.notes)
    read_mapping(tomllib.loads(toml))  # the commented lines leave a valid mapping


def test_required_column_guessed_from_values_is_marked(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "Order ID,Booked,Customer ID,Net\nA1,2025-01-02,C1,$10.00\nA2,2025-01-03,C2,$20.00\n"
    )
    orders = propose_mapping(tmp_path).table("orders")
    assert orders.mapped["order_date"] == "Booked" and orders.columns["order_date"].check
    assert orders.mapped["amount"] == "Net" and orders.columns["amount"].check


def test_outcome_words():
    assert [outcome_of(v) for v in ["Closed Won", "won", "closedwon", "WON"]] == ["won"] * 4
    assert outcome_of("Closed-Lost to Competition") == "lost"
    assert outcome_of("Open") == "open" and outcome_of("Negotiation/Review") is None


def test_sample_data_maps_onto_itself():
    proposal = propose_mapping(salesnb.SAMPLE_DATA)
    assert len(proposal.tables) == len(salesnb.schema.TABLES) and not proposal.unrecognised
    for guess in proposal.tables:
        assert all(k == v for k, v in guess.mapped.items()), guess.table
    assert [s for s, _, _ in proposal.pipeline.stages] == list(salesnb.schema.STAGES)


def test_awkward_names_and_values_stay_valid_toml(tmp_path):
    (tmp_path / "deals.csv").write_text(
        'Deal ID,"Amount (""net"")",Stage,Created Date,Close Date\n'
        "D1,10,O'Brien review,2025-01-02,2025-06-30\n"
        'D2,20,"Say ""yes""",2025-01-03,2025-06-30\n'
        "D3,30,Closed Won,2025-01-04,2025-02-01\n"
    )
    (tmp_path / "empty.csv").write_text("")
    proposal = propose_mapping(tmp_path)
    text = proposal.toml()
    parsed = tomllib.loads(text)
    assert parsed["pipeline"]["stages"] == ["O'Brien review", 'Say "yes"']
    assert parsed["tables"]["opportunities"]["columns"]["amount"] == 'Amount ("net")'
    assert "closed_at" in parsed["tables"]["opportunities"]["derive"]
    assert "IN ('Closed Won')" in parsed["tables"]["opportunities"]["derive"]["closed_at"]
    # comment lines wrap long paths: read the comments as one line of words
    comments = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    assert "empty.csv: the file is empty" in comments
    read_mapping(parsed)


def test_gzip_and_parquet_files_are_surveyed(tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(ERP), dtype=str)
    frame.to_csv(tmp_path / "orders.csv.gz", index=False)
    frame.assign(**{"Order Date": pd.to_datetime(frame["Order Date"])}).to_parquet(
        tmp_path / "lines.parquet"
    )
    labels = {t.part.label: t.table for t in propose_mapping(tmp_path).tables if not t.distinct}
    assert labels["orders.csv.gz"] == "orders" or labels["lines.parquet"] == "orders"
    part = next(t.part for t in propose_mapping(tmp_path, limit=3).tables if t.table == "orders")
    assert len(part.frame) == 3 and part.truncated


# ---------------------------------------------------------------------------------------
# the preset fixtures of tests/data/crm: map, then check, loads every row as proposed

CRM_FIXTURES = Path(__file__).resolve().parent / "data" / "crm"
ROOT_MAPPINGS = Path(__file__).resolve().parents[1] / "data" / "mappings"


@pytest.mark.parametrize("vendor", ["salesforce", "hubspot", "pipedrive", "zoho", "b2b"])
def test_map_then_check_loads_every_row_of_each_crm_fixture(tmp_path, capsys, vendor):
    from salesnb.cli import main

    out = tmp_path / f"{vendor}.toml"
    assert main(["map", str(CRM_FIXTURES / vendor), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "CHECK the order of the stages" in text  # the one decision left to the user
    # ... and the proposed order is already the vendor's (the shipped preset's) order
    preset = {"b2b": "b2b_crm"}.get(vendor, vendor)
    shipped = tomllib.loads((ROOT_MAPPINGS / f"{preset}.toml").read_text(encoding="utf-8"))
    assert (
        SalesPipeline.from_mapping(tomllib.loads(text)["pipeline"]).names
        == SalesPipeline.from_mapping(shipped["pipeline"]).names
    )
    capsys.readouterr()
    assert main(["check", str(CRM_FIXTURES / vendor), "--mapping", str(out)]) == 0
    report = capsys.readouterr().out
    assert "every row of every table loaded" in report
    assert "opportunities" in report
