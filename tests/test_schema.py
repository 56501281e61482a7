"""The data contract: documented, consistent, and in sync with docs/data-contract.md."""

from pathlib import Path

import pytest

from salesnb import schema

ROOT = Path(__file__).resolve().parents[1]


def test_docs_data_contract_is_generated_from_the_schema():
    doc = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert doc.strip() == schema.contract_markdown().strip(), (
        "docs/data-contract.md is stale: run `make contract`"
    )


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_every_column_is_documented_and_snake_case(table):
    for name, col in schema.columns(table).items():
        assert name == name.lower() and " " not in name
        assert col.description, f"{table}.{name} has no description"
        assert (col.metadata or {}).get("kind") in {
            "id",
            "text",
            "category",
            "timestamp",
            "date",
            "number",
            "integer",
            "flag",
        }
        if name.endswith("_at"):
            assert col.metadata["kind"] == "timestamp", name
        if name.endswith("_date"):
            assert col.metadata["kind"] == "date", name


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_keys_and_references_point_at_contract_columns(table):
    spec = schema.table_spec(table)
    cols = schema.columns(table)
    for key in spec.primary_key:
        assert key in cols
    for a, b in spec.date_order:
        assert a in cols and b in cols
    for col in cols.values():
        ref = (col.metadata or {}).get("references")
        if ref:
            parent, pcol = ref.split(".")
            assert pcol in schema.columns(parent), ref


def test_unknown_table_message_lists_tables():
    with pytest.raises(KeyError, match="unknown table 'deals'; the contract tables are: reps"):
        schema.table_spec("deals")
