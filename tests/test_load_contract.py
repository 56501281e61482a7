"""The CRM-first contract at load time: the company's pipeline, status read from the
stage column, open deals without amount or created date, case-insensitive
enumerations and placeholder dates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import salesnb
from salesnb.errors import DataValidationError, MappingError, MappingWarning
from salesnb.load.parse import _match_enum, _placeholder_dates, parse_dates
from salesnb.load.validate import _status_from_stage
from salesnb.schema import PLACEHOLDER_DATES, TABLES
from salesnb.stages import DEFAULT_PIPELINE, SalesPipeline

ROOT = Path(__file__).resolve().parents[1]

# A CRM export with one stage column (Prospecting / Engaging / Won / Lost): open deals
# carry no value, prospecting deals no engage date; stage spellings vary in case and
# spaces; D7 holds a value that is neither a stage nor won / lost, D8 an empty stage.
DEALS = (
    "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    "D1,Ann,GTX Basic,Acme,Won,2024-01-05,2024-02-01,1200\n"
    "D2,Ann,GTX Pro,Acme,Lost,2024-01-06,2024-02-10,0\n"
    "D3,Bob,GTX Basic,Beta,Engaging,2024-03-01,,\n"
    "D4,Bob,GTX Pro,,Prospecting,,,\n"
    "D5,Bob,GTX Pro,Beta, prospecting ,,,\n"
    "D6,Cid,GTX Basic,Gamma,WON,2024-02-01,2024-03-01,500\n"
    "D7,Cid,GTX Basic,Gamma,Closed,2024-02-01,2024-03-01,500\n"
    "D8,Cid,GTX Basic,Gamma,,2024-02-01,,\n"
)

PIPELINE = {
    "won": ["Won"],
    "lost": ["Lost"],
    "stages": [{"name": "Prospecting", "rotting_days": 30}, "Engaging"],
}

COLUMNS = {
    "opportunity_id": "opportunity_id",
    "rep_id": "sales_agent",
    "product": "product",
    "customer_id": "account",
    "stage": "deal_stage",
    "created_at": "engage_date",
    "closed_at": "close_date",
    "amount": "close_value",
}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def accounted(data: salesnb.SalesData) -> None:
    """rows read == rows loaded + rows rejected, for every table."""
    for table, n in data.rows_read.items():
        assert n == len(data.tables.get(table, ())) + len(data.rejected.get(table, ())), table


def crm_mapping(**table) -> dict:
    return {
        "as_of": "2024-06-30",
        "pipeline": PIPELINE,
        "tables": {"opportunities": {"file": "deals.csv", "columns": dict(COLUMNS), **table}},
    }


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("opportunity_id")


# --------------------------------------------------------------------------- pipeline


@pytest.fixture
def crm(tmp_path):
    write(tmp_path, "deals.csv", DEALS)
    return tmp_path


def test_single_stage_column_gives_status_and_stage(crm):
    data = salesnb.load(crm, mapping=crm_mapping())
    o = by_id(data.opportunities)
    assert data.pipeline.declared and data.pipeline.names == ("Prospecting", "Engaging")
    assert o["status"].to_dict() == {
        "D1": "won",
        "D2": "lost",
        "D3": "open",
        "D4": "open",
        "D5": "open",
        "D6": "won",
    }
    # won: the last declared stage; lost: furthest stage unknown; open: declared spelling
    assert o["stage"].fillna("<empty>").to_dict() == {
        "D1": "Engaging",
        "D2": "<empty>",
        "D3": "Engaging",
        "D4": "Prospecting",
        "D5": "Prospecting",
        "D6": "Engaging",
    }
    accounted(data)


def test_open_deals_without_value_or_created_date_are_not_rejected(crm):
    data = salesnb.load(crm, mapping=crm_mapping())
    o = by_id(data.opportunities)
    rej = data.rejected["opportunities"]
    assert sorted(rej["opportunity_id"]) == ["D7", "D8"]  # no open deal among them
    assert o.loc[["D3", "D4", "D5"], "amount"].isna().all()
    assert o.loc[["D4", "D5"], "created_at"].isna().all()
    assert "opportunities: 3 open deals have no amount; pipeline value sums leave them out" in (
        data.notes
    )
    assert (
        "opportunities: 2 open deals have no created date; cycle and age figures leave them out"
        in data.notes
    )
    assert "opportunities: 1 won or lost deals have no stage (furthest stage unknown)" in (
        data.notes
    )


def test_value_outside_the_pipeline_is_rejected_with_the_stages_listed(crm):
    data = salesnb.load(crm, mapping=crm_mapping())
    rej = data.rejected["opportunities"].set_index("opportunity_id")["reason"]
    assert rej["D7"] == (
        "stage='Closed': expected a stage of the pipeline (Prospecting, Engaging) "
        "or a won / lost value (won: Won; lost: Lost)"
    )
    assert rej["D8"] == (
        "stage: required value is empty (the deal's status is read from the stage column)"
    )
    # one reason per row: the status that could not be read is not reported again
    rows = data.problems.loc[data.problems["table"] == "opportunities", "row"]
    assert rows.tolist() == [8, 9]
    with pytest.raises(DataValidationError, match="expected a stage of the pipeline"):
        salesnb.load(crm, mapping=crm_mapping(), errors="raise")


def test_status_mapped_from_the_same_column_as_stage_is_read_through_the_pipeline(crm):
    mapping = crm_mapping()
    mapping["tables"]["opportunities"]["columns"]["status"] = "deal_stage"
    data = salesnb.load(crm, mapping=mapping)
    o = by_id(data.opportunities)
    assert o.loc["D1", ["stage", "status"]].tolist() == ["Engaging", "won"]
    assert o.loc["D5", ["stage", "status"]].tolist() == ["Prospecting", "open"]
    assert sorted(data.rejected["opportunities"]["opportunity_id"]) == ["D7", "D8"]


def test_status_from_stage_decision():
    pipeline = SalesPipeline.from_mapping(PIPELINE)
    same = pd.DataFrame({"stage": ["Won", "Engaging"], "status": ["Won", "Engaging"]})
    own = pd.DataFrame({"stage": ["Won", "Engaging"], "status": ["won", "open"]})
    cols = {"columns": {"stage": "deal_stage", "status": "deal_stage"}}
    assert _status_from_stage(same[["stage"]], {}, pipeline)  # status not mapped
    assert _status_from_stage(own, cols, pipeline)  # mapped from the stage's source column
    assert _status_from_stage(same, {}, pipeline)  # the same values as the stage
    assert not _status_from_stage(own, {}, pipeline)  # a status of its own
    with_map = {**cols, "values": {"status": {"Won": "won", "Engaging": "open"}}}
    assert not _status_from_stage(own, with_map, pipeline)  # the status has its own value map
    assert not _status_from_stage(same[["stage"]], {}, DEFAULT_PIPELINE)  # nothing declared
    no_outcomes = SalesPipeline.from_mapping({"stages": ["A"]})
    assert not _status_from_stage(same[["stage"]], {}, no_outcomes)


def test_status_column_holding_the_stage_values_is_read_through_the_pipeline(tmp_path):
    write(
        tmp_path,
        "opportunities.csv",
        "opportunity_id,created_at,stage,status,amount\n"
        "O1,2024-01-02,Closed Won,Closed Won,10\n"
        "O2,2024-01-03,Negotiation,Negotiation,\n"
        "O3,2024-01-04,closed lost,closed lost,5\n",
    )
    pipeline = {
        "stages": ["Qualify", "Negotiation"],
        "won": ["Closed Won"],
        "lost": ["Closed Lost"],
    }
    data = salesnb.load(tmp_path, mapping={"pipeline": pipeline}, as_of="2024-06-30")
    o = by_id(data.opportunities)
    assert o["status"].tolist() == ["won", "open", "lost"]
    assert o["stage"].fillna("").tolist() == ["Negotiation", "Negotiation", ""]
    assert data.rejected == {}


def test_status_mapped_on_its_own_stays_as_mapped(tmp_path):
    # a Pipedrive-like export: Status open / won / lost next to the stage the deal is in
    write(
        tmp_path,
        "deals.csv",
        "ID,Stage,Status,Value,Created\n"
        "1,Lead In,open,,2024-01-02\n"
        "2,negotiations started,Won,100,2024-01-03\n"
        "3,Lead In,lost,0,2024-01-04\n"
        "4,Contact Made,Closed Won,50,2024-01-05\n"
        "5,Contact Made,maybe,50,2024-01-05\n"
        "6,Nowhere,open,1,2024-01-05\n",
    )
    mapping = {
        "as_of": "2024-06-30",
        "pipeline": {
            "stages": ["Lead In", "Contact Made", "Negotiations Started"],
            "won": ["Closed Won"],
            "lost": ["Closed Lost"],
        },
        "tables": {
            "opportunities": {
                "file": "deals.csv",
                "columns": {
                    "opportunity_id": "ID",
                    "stage": "Stage",
                    "status": "Status",
                    "amount": "Value",
                    "created_at": "Created",
                },
            }
        },
    }
    data = salesnb.load(tmp_path, mapping=mapping)
    o = by_id(data.opportunities)
    assert o["status"].to_dict() == {"1": "open", "2": "won", "3": "lost", "4": "won"}
    assert o["stage"].to_dict() == {
        "1": "Lead In",
        "2": "Negotiations Started",
        "3": "Lead In",
        "4": "Contact Made",
    }
    rej = data.rejected["opportunities"]["reason"].tolist()
    assert rej[0] == (
        "status='maybe': expected one of: open, won, lost "
        "(or a [pipeline] won / lost value: Closed Won, Closed Lost)"
    )
    assert rej[1].startswith("stage='Nowhere': expected a stage of the pipeline (Lead In, ")
    assert not any("status read from the stage column" in n for n in data.notes)


def test_pipeline_without_won_lost_values_still_needs_a_status_column(crm):
    mapping = crm_mapping()
    mapping["pipeline"] = {"stages": ["Prospecting", "Engaging", "Won", "Lost"]}
    with pytest.warns(MappingWarning, match="table opportunities is in the mapping but was not"):
        data = salesnb.load(crm, mapping=mapping)
    assert "opportunities" not in data.tables
    reason = data.rejected["opportunities"]["reason"].iloc[0]
    assert "missing required column(s) 'status'" in reason


def test_malformed_pipeline_is_a_mapping_error(crm):
    mapping = crm_mapping()
    mapping["pipeline"] = {"stages": ["Won"], "won": ["won"]}
    with pytest.raises(MappingError, match=r"\[pipeline\].*also stage names"):
        salesnb.load(crm, mapping=mapping)


def test_without_a_declaration_the_default_pipeline_applies(tmp_path):
    write(
        tmp_path,
        "opportunities.csv",
        "opportunity_id,created_at,stage,status,amount\n"
        "O1,2024-01-02,Proposal,won,10\n"
        "O2,2024-01-03,Prospecting,open,1\n",
    )
    data = salesnb.load(tmp_path, as_of="2024-06-30")
    assert data.pipeline is DEFAULT_PIPELINE
    assert data.opportunities["stage"].tolist() == ["proposal"]
    assert data.rejected["opportunities"]["reason"][0] == (
        "stage='Prospecting': expected one of: qualification, discovery, proposal, negotiation"
    )


# --------------------------------------------------------------------------- open deals


OPPS = "opportunity_id,created_at,stage,status,amount\n"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "O9,,proposal,won,10",
            "created_at: required value is empty (created_at may be empty "
            "only when status is open)",
        ),
        (
            "O9,2024-01-02,proposal,lost,",
            "amount: required value is empty (amount may be empty only when status is open)",
        ),
        (
            "O9,2024-01-02,,open,5",
            "stage: required value is empty (stage may be empty only when status is won or lost)",
        ),
    ],
)
def test_won_and_lost_deals_keep_their_required_columns(tmp_path, row, reason):
    write(tmp_path, "opportunities.csv", OPPS + "O1,,discovery,open,\n" + row + "\n")
    data = salesnb.load(tmp_path, as_of="2024-06-30")
    assert data.opportunities["opportunity_id"].tolist() == ["O1"]
    assert data.rejected["opportunities"]["reason"].tolist() == [reason]
    accounted(data)


def test_empty_stage_is_allowed_on_a_lost_deal(tmp_path):
    write(tmp_path, "opportunities.csv", OPPS + "O1,2024-01-02,,lost,0\n")
    data = salesnb.load(tmp_path, as_of="2024-06-30")
    assert len(data.opportunities) == 1 and data.rejected == {}


def test_rejected_status_is_reported_once(tmp_path):
    write(tmp_path, "opportunities.csv", OPPS + "O1,2024-01-02,proposal,pending,\n")
    data = salesnb.load(tmp_path, as_of="2024-06-30")
    assert data.rejected["opportunities"]["reason"].tolist() == [
        "status='pending': expected one of: open, won, lost"
    ]


def test_contract_doc_states_the_rules():
    doc = salesnb.schema.contract_markdown()
    assert "Rule: `amount` may be empty only when `status` is open." in doc
    assert "Rule: `created_at` may be empty only when `status` is open." in doc
    assert "Rule: `stage` may be empty only when `status` is won or lost." in doc
    assert "matched case-insensitively" in doc
    assert all(d in doc for d in PLACEHOLDER_DATES)


# --------------------------------------------------------------------------- enumerations


def test_enumerations_are_matched_case_insensitively_and_trimmed(tmp_path):
    write(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,order_date,amount,channel,status\n"
        "O1,C1,2025-01-05,1,Online,FULFILLED\n"
        "O2,C1,2025-01-05,1, STORE ,Placed\n"
        "O3,C1,2025-01-05,1,online,back ordered\n"
        "O4,C1,2025-01-05,1,web,cancelled\n",
    )
    write(tmp_path, "opportunities.csv", OPPS + "P1,2025-01-02, Negotiation , Won ,10\n")
    data = salesnb.load(tmp_path, as_of="2025-06-30")
    o = data.orders
    assert o["channel"].tolist() == ["online", "store"]
    assert o["status"].tolist() == ["fulfilled", "placed"]
    reasons = data.rejected["orders"]["reason"].tolist()
    assert reasons == [
        "status='back ordered': expected one of: placed, fulfilled, backordered, cancelled",
        "channel='web': expected one of: store, online",
    ]
    assert data.opportunities[["stage", "status"]].values.tolist() == [["negotiation", "won"]]


def test_enumerations_in_a_dictionary_encoded_parquet_column(tmp_path):
    frame = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "customer_id": ["C1"] * 4,
            "order_date": pd.to_datetime(["2025-01-05"] * 4),
            "amount": [1.0, 2.0, 3.0, 4.0],
            "channel": pd.Categorical(["Online", "online", "STORE", "Web"]),
        }
    )
    (tmp_path / "p").mkdir()
    frame.to_parquet(tmp_path / "p" / "orders.parquet")
    data = salesnb.load(tmp_path / "p", as_of="2025-06-30")
    assert data.orders["channel"].astype(str).tolist() == ["online", "online", "store"]
    assert data.rejected["orders"]["reason"].tolist() == [
        "channel='Web': expected one of: store, online"
    ]


def test_match_enum_merges_categories():
    values = pd.Series(pd.Categorical(["Won", "won", None, "Lost", "x"]))
    out, bad = _match_enum(values, ["open", "won", "lost"])
    assert out.astype(object).where(out.notna(), None).tolist() == ["won", "won", None, "lost", "x"]
    assert set(out.cat.categories) == {"lost", "won", "x"}
    assert bad.tolist() == [False, False, False, False, True]


def test_clean_enumeration_is_returned_as_it_is():
    values = pd.Series(["open", "won", None])
    out, bad = _match_enum(values, ["open", "won", "lost"])
    assert out is values and not bad.any()


# --------------------------------------------------------------------------- placeholder dates


def test_placeholder_dates_in_required_columns_reject_the_row(tmp_path):
    write(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,order_date,amount,paid_at\n"
        "O1,C1,2025-01-05,1,1899-12-30\n"
        "O2,C1,1900-01-01,1,\n"
        "O3,C1,9999-12-31,1,\n"
        "O4,C1,0001-01-01 00:00:00,1,\n"
        "O5,C1,1970-01-01,1,1900-01-01 00:00:00\n",
    )
    data = salesnb.load(tmp_path, as_of="2025-06-30")
    assert data.orders["order_id"].tolist() == ["O1", "O5"]
    assert data.rejected["orders"]["reason"].tolist() == [
        f"order_date={raw!r}: placeholder date {day} in column order_date "
        "(stands for no date; give the real date)"
        for raw, day in [
            ("1900-01-01", "1900-01-01"),
            ("9999-12-31", "9999-12-31"),
            ("0001-01-01 00:00:00", "0001-01-01"),
        ]
    ]
    # 1970-01-01 is a real date; placeholders in an optional column are read as empty
    assert data.orders["order_date"].tolist()[1] == pd.Timestamp("1970-01-01")
    assert data.orders["paid_at"].isna().all()
    assert (
        "orders: 2 placeholder date(s) in paid_at (1899-12-30, 1900-01-01) read as empty"
        in data.notes
    )
    accounted(data)


def test_placeholder_dates_in_a_non_iso_format(tmp_path):
    write(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,order_date,amount\n"
        "O1,C1,03/14/2025,1\nO2,C1,12/31/9999,1\nO3,C1,12/30/1899,1\n",
    )
    data = salesnb.load(tmp_path, as_of="2025-06-30")
    assert data.orders["order_id"].tolist() == ["O1"]
    reasons = data.rejected["orders"]["reason"].str.extract(r"(placeholder date \S+)")[0]
    assert reasons.tolist() == ["placeholder date 9999-12-31", "placeholder date 1899-12-30"]


def test_placeholder_created_date_rejects_a_won_deal_and_blanks_an_open_one(tmp_path):
    write(
        tmp_path,
        "opportunities.csv",
        "opportunity_id,created_at,stage,status,amount,expected_close_date\n"
        "O1,1900-01-01,proposal,won,10,\n"
        "O2,1900-01-01,proposal,open,10,2999-12-31\n"
        "O3,2025-01-02,proposal,open,10,2025-09-30\n",
    )
    data = salesnb.load(tmp_path, as_of="2025-06-30")
    o = by_id(data.opportunities)
    assert o.index.tolist() == ["O2", "O3"]
    assert pd.isna(o.loc["O2", "created_at"]) and pd.isna(o.loc["O2", "expected_close_date"])
    assert data.rejected["opportunities"]["reason"].tolist() == [
        "created_at='1900-01-01': placeholder date 1900-01-01 in column created_at "
        "(created_at may be empty only when status is open)"
    ]
    assert "opportunities: 1 placeholder date(s) in created_at (1900-01-01) read as empty" in (
        data.notes
    )
    assert (
        "opportunities: 1 placeholder date(s) in expected_close_date (2999-12-31) read as empty"
        in data.notes
    )
    with pytest.raises(DataValidationError, match="placeholder date 1900-01-01 in column"):
        salesnb.load(tmp_path, as_of="2025-06-30", errors="raise")


def test_placeholder_dates_in_a_typed_column(tmp_path):
    frame = pd.DataFrame(
        {
            "order_id": ["O1", "O2"],
            "customer_id": ["C1", "C1"],
            "order_date": [pd.Timestamp("2025-01-05"), pd.Timestamp("1899-12-31")],
            "amount": [1.0, 2.0],
        }
    )
    frame.to_parquet(tmp_path / "orders.parquet")
    data = salesnb.load(tmp_path, as_of="2025-06-30")
    assert data.orders["order_id"].tolist() == ["O1"]
    assert "placeholder date 1899-12-31" in data.rejected["orders"]["reason"].iloc[0]


def test_placeholder_dates_helper():
    raw = pd.Series(["2025-01-05", "1753-01-01", "2099-12-31 23:59", "garbage", None])
    d, bad, used = parse_dates(raw)
    found = _placeholder_dates(d, raw, bad, used)
    assert found.to_dict() == {1: "1753-01-01", 2: "2099-12-31"}
    clean = pd.Series(pd.to_datetime(["2025-01-05", np.nan]))
    assert _placeholder_dates(clean, clean, pd.Series([False, False]), None).empty


# --------------------------------------------------------------------------- the sample


def test_bundled_sample_is_on_the_default_pipeline_with_complete_deals():
    data = salesnb.load(ROOT / "data" / "sample")
    assert data.pipeline is DEFAULT_PIPELINE
    assert sum(len(r) for r in data.rejected.values()) == 0
    o = data.opportunities
    assert o[["amount", "created_at", "stage"]].notna().all().all()
    assert not [n for n in data.notes if "have no" in n or "placeholder" in n]
    assert set(TABLES["opportunities"].required_unless[0].values) == {"open"}
