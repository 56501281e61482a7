"""The contract table opportunity_history: validation by load and scan, region views."""

from __future__ import annotations

import pandas as pd
import pytest

import salesnb
from salesnb.errors import DataValidationError
from salesnb.schema import TABLES, required_columns

OPPS = """opportunity_id,rep_id,region,created_at,stage,status,amount,expected_close_date,closed_at
D1,R1,North,2025-01-02 09:00:00,proposal,open,1200,2025-04-30,
D2,R2,South,2025-01-03 10:00:00,negotiation,won,900,2025-02-28,2025-02-20 16:00:00
"""

# rows 2.. of the file; the comment names what each bad row breaks
HISTORY = """opportunity_id,changed_at,stage,status,amount,expected_close_date,probability
D1,2025-01-02 09:00:00,qualification,open,1000,2025-03-31,0.1
D1,2025-02-10 11:00:00,proposal,open,1200,2025-04-30,0.5
D2,2025-01-03 10:00:00,qualification,open,,2025-02-28,
D2,2025-02-20 16:00:00,negotiation,won,900,2025-02-28,1
,2025-02-01 10:00:00,discovery,open,100,2025-03-31,
D1,2025-02-11 10:00:00,discovery,pending,100,2025-03-31,
D1,2025-02-12 10:00:00,discovery,open,-5,2025-03-31,
D1,yesterday,discovery,open,100,2025-03-31,
D9,2025-02-13 10:00:00,discovery,open,100,2025-03-31,
D1,2025-02-14 10:00:00,discovery,open,100,2025-03-31,1.5
D1,2025-02-10 11:00:00,proposal,open,1200,2025-04-30,
D1,2025-02-15 10:00:00,,open,100,2025-03-31,
"""

#: row -> (column, value, rule) of each bad row
BAD = {
    6: ("opportunity_id", None, "required value is empty"),
    7: ("status", "pending", "expected one of: open, won, lost"),
    8: ("amount", -5.0, "expected a value >= 0"),
    9: ("changed_at", "yesterday", "expected a date"),
    10: ("opportunity_id", "D9", "not found in opportunities.opportunity_id (orphan foreign key)"),
    11: ("probability", 1.5, "expected a value <= 1"),
    12: ("opportunity_id+changed_at", "D1 / 2025-02-10 11:00:00", "duplicate key"),
    13: ("stage", None, "stage may be empty only when status is won or lost"),
}


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "opportunities.csv").write_text(OPPS)
    (tmp_path / "opportunity_history.csv").write_text(HISTORY)
    return tmp_path


def test_contract_declares_the_table():
    spec = TABLES["opportunity_history"]
    assert spec.primary_key == ("opportunity_id", "changed_at")
    assert required_columns("opportunity_history") == ["opportunity_id", "changed_at", "status"]
    cols = spec.model.to_schema().columns
    assert list(cols) == [
        "opportunity_id",
        "changed_at",
        "stage",
        "status",
        "amount",
        "expected_close_date",
        "probability",
    ]
    assert cols["opportunity_id"].metadata["references"] == "opportunities.opportunity_id"


def test_load_rejects_each_bad_row_with_file_table_column_row_value(folder):
    data = salesnb.load(folder, as_of="2025-03-31")
    hist = data.opportunity_history
    assert len(hist) == 4
    assert data.rows_read["opportunity_history"] == 4 + len(BAD)
    assert hist["changed_at"].dtype.kind == "M"
    assert hist["expected_close_date"].dtype.kind == "M"
    assert hist["probability"].tolist()[:2] == [0.1, 0.5]
    rejected = data.rejected["opportunity_history"].set_index("source_row")
    assert sorted(rejected.index) == sorted(BAD)
    prob = data.problems[data.problems["table"] == "opportunity_history"]
    for row, (column, value, rule) in BAD.items():
        found = prob[(prob["row"] == row) & (prob["column"] == column)]
        assert len(found) == 1, (row, column, prob)
        rec = found.iloc[0]
        assert rec["file"].endswith("opportunity_history.csv")
        assert rule in rec["rule"]
        if value is None:
            assert pd.isna(rec["value"])
        else:
            assert str(rec["value"]) == str(value)
        assert column.split("+")[0] in rejected.at[row, "reason"]


def test_load_raise_lists_every_problem(folder):
    with pytest.raises(DataValidationError) as exc:
        salesnb.load(folder, as_of="2025-03-31", errors="raise")
    text = str(exc.value)
    assert "opportunity_history" in text and "D9" in text


def test_history_without_opportunities_loads_without_the_reference_check(folder):
    (folder / "opportunities.csv").unlink()
    data = salesnb.load(folder, as_of="2025-03-31")
    prob = data.problems
    assert not (prob["rule"].str.contains("orphan")).any()
    assert len(data.opportunity_history) == 5  # D9 is kept: no deals to check against


def test_history_event_dates_after_as_of_are_rejected(folder):
    data = salesnb.load(folder, as_of="2025-02-10")
    rejected = data.rejected["opportunity_history"]
    assert rejected["reason"].str.contains("after the data's as_of").any()


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_scan_checks_the_history_in_the_engine(folder, engine):
    data = salesnb.scan(folder, engine=engine, as_of="2025-03-31")
    lazy = data.opportunity_history
    frame = lazy.collect().to_pandas() if engine == "polars" else lazy.df()
    read, rejected = (
        data.rows_read["opportunity_history"],
        data.rejected_count("opportunity_history"),
    )
    assert read == 4 + len(BAD)
    assert rejected == len(BAD)
    assert len(frame) == read - rejected
    assert sorted(data.rejected["opportunity_history"]["source_row"]) == sorted(BAD)
    prob = data.problems[data.problems["table"] == "opportunity_history"]
    for column, _, rule in BAD.values():
        assert prob[
            (prob["column"] == column) & prob["rule"].str.contains(rule, regex=False)
        ].shape[0], (column, rule)


def test_region_view_keeps_the_history_of_the_region_deals(folder):
    data = salesnb.load(folder, as_of="2025-03-31")
    north = data.filter(region="North")
    assert set(north.opportunity_history["opportunity_id"]) == {"D1"}


def test_region_view_on_a_lazy_engine(folder):
    data = salesnb.scan(folder, engine="duckdb", as_of="2025-03-31")
    south = data.filter(region="South").opportunity_history.df()
    assert set(south["opportunity_id"]) == {"D2"}


PIPELINE_MAPPING = {
    "pipeline": {
        "stages": [{"name": "Prospecting"}, {"name": "Proposal"}],
        "won": ["Closed Won"],
        "lost": ["Closed Lost"],
    },
    "tables": {
        "opportunities": {"file": "deals.csv", "columns": {"opportunity_id": "Id"}},
        "opportunity_history": {
            "file": "history.csv",
            "columns": {"opportunity_id": "Id", "changed_at": "When", "stage": "Stage"},
        },
    },
}


def test_declared_pipeline_gives_the_history_its_stages_and_status(tmp_path):
    (tmp_path / "deals.csv").write_text(
        "Id,created_at,stage,amount\nA,2025-01-01,Closed Won,10\nB,2025-01-01,Closed Lost,5\n"
    )
    (tmp_path / "history.csv").write_text(
        "Id,When,Stage\nA,2025-01-01,prospecting\nA,2025-01-05,Closed Won\n"
        "B,2025-01-01,Prospecting\nB,2025-01-04,Closed Lost\nB,2025-01-06,Demo\n"
    )
    data = salesnb.load(tmp_path, mapping=PIPELINE_MAPPING, as_of="2025-02-01")
    hist = data.opportunity_history
    assert hist["status"].tolist() == ["open", "won", "open", "lost"]
    assert hist["stage"].tolist()[:3] == ["Prospecting", "Proposal", "Prospecting"]
    assert pd.isna(hist["stage"].iloc[3])
    reason = data.rejected["opportunity_history"]["reason"].iloc[0]
    assert "Demo" in reason and "Prospecting, Proposal" in reason


def test_optional_history_file_may_be_missing_for_load_and_scan(folder):
    (folder / "opportunity_history.csv").unlink()
    mapping = {
        "tables": {
            "opportunities": {"file": "opportunities.csv"},
            "opportunity_history": {"file": "history.csv", "optional": True},
        }
    }
    data = salesnb.load(folder, mapping=mapping, as_of="2025-03-31", errors="raise")
    assert data.opportunity_history is None and len(data.opportunities) == 2
    assert any("optional in the mapping" in n for n in data.notes)
    lazy = salesnb.scan(folder, mapping, engine="duckdb", as_of="2025-03-31")
    assert lazy.opportunity_history is None
    mapping["tables"]["opportunity_history"]["optional"] = "yes"
    with pytest.raises(salesnb.errors.MappingError, match="optional must be true or false"):
        salesnb.load(folder, mapping=mapping)
