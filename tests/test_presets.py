"""The shipped CRM presets (``data/mappings/``) on their fixture exports (``tests/data/crm/``).

The fixtures are invented exports shaped like each vendor's (see
``tests/data/crm/README.md``). Tests of the files themselves run on any salesnb; the
end-to-end tests (load with 0 rejected rows, counts, a rendered pack) need the CRM
mapping language of issue 9 (expressions, lookups, one source column feeding several
contract columns, the ``[pipeline]`` applied at load).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import inspect
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import salesnb
from salesnb import kpi
from salesnb.load.mapping import read_mapping
from salesnb.schema import TABLES, columns
from salesnb.stages import SalesPipeline

ROOT = Path(__file__).resolve().parent.parent
MAPPINGS = ROOT / "data" / "mappings"
CRM = Path(__file__).resolve().parent / "data" / "crm"
AS_OF = dt.date(2026, 9, 30)


@dataclasses.dataclass(frozen=True)
class Export:
    """A vendor fixture: where it is, how its outcome reads, what it holds."""

    file: str
    id_col: str
    stage_col: str
    amount_col: str
    created_col: str
    closed_cols: tuple[str, ...]  # the close date of a won / lost deal: first non-empty
    status_col: str | None = None  # outcome column; None: the stage holds it
    # expected contents
    deals: int = 0
    open: int = 0
    won: int = 0
    lost: int = 0
    won_value: float = 0.0
    open_without_amount: int = 0
    reps: int = 0
    customers: int = 0


EXPORTS = {
    "salesforce": Export(
        file="opportunities.csv",
        id_col="Opportunity ID",
        stage_col="Stage",
        amount_col="Amount",
        created_col="Created Date",
        closed_cols=("Close Date",),
        deals=32,
        open=13,
        won=11,
        lost=8,
        won_value=129_030.0,
        open_without_amount=3,
        reps=5,
        customers=12,
    ),
    "hubspot": Export(
        file="deals.csv",
        id_col="Record ID",
        stage_col="Deal Stage",
        amount_col="Amount",
        created_col="Create Date",
        closed_cols=("Close Date",),
        deals=28,
        open=12,
        won=9,
        lost=7,
        won_value=102_720.0,
        open_without_amount=3,
        reps=5,
        customers=11,
    ),
    "pipedrive": Export(
        file="deals.csv",
        id_col="Deal - ID",
        stage_col="Deal - Stage",
        status_col="Deal - Status",
        amount_col="Deal - Value",
        created_col="Deal - Deal created",
        closed_cols=("Deal - Won time", "Deal - Lost time"),
        deals=30,
        open=12,
        won=10,
        lost=8,
        won_value=165_450.0,
        open_without_amount=3,
        reps=6,
        customers=12,
    ),
    "zoho": Export(
        file="deals.csv",
        id_col="Record Id",
        stage_col="Stage",
        amount_col="Amount",
        created_col="Created Time",
        closed_cols=("Closing Date",),
        deals=26,
        open=11,
        won=8,
        lost=7,
        won_value=127_620.0,
        open_without_amount=2,
        reps=4,
        customers=10,
    ),
}
PRESETS = [*EXPORTS, "b2b_crm"]
FOLDERS = {**{name: CRM / name for name in EXPORTS}, "b2b_crm": CRM / "b2b"}

# The B2B fixture (tests/data/crm/b2b): four files, one deal_stage column.
B2B = CRM / "b2b"
B2B_COUNTS = {"Prospecting": 12, "Engaging": 24, "Won": 52, "Lost": 32}
B2B_WON_VALUE = 403_510.0
B2B_OPEN_LIST_VALUE = 180_370.0  # list prices of the open deals' products
B2B_ROTTING = {"Prospecting": 30, "Engaging": 60}

_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_BACKTICKED = re.compile(r"`([^`]+)`")


def sql(expr: str) -> str:
    """A mapping expression as DuckDB SQL: backtick-quoted names double-quoted."""
    return _BACKTICKED.sub(r'"\1"', expr)


def preset(name: str) -> dict:
    with open(MAPPINGS / f"{name}.toml", "rb") as f:
        return tomllib.load(f)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def day(text: str) -> dt.date:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date in a known format: {text!r}")


def outcome(export: Export, pipeline: SalesPipeline, row: dict[str, str]) -> str:
    """open / won / lost of a fixture row, read the way the preset declares it."""
    if export.status_col:
        return row[export.status_col].strip().lower()
    return pipeline.outcome(row[export.stage_col]) or "open"


# -- the preset files --------------------------------------------------------------------------
@pytest.mark.parametrize("name", PRESETS)
def test_preset_is_toml_with_a_description_and_a_pipeline(name):
    mp = preset(name)
    assert mp["description"]
    pipeline = SalesPipeline.from_mapping(mp["pipeline"], origin=name)
    assert pipeline.declared and len(pipeline.names) >= 2
    assert "opportunities" in mp["tables"]


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_is_a_valid_mapping(name):
    mp = read_mapping(MAPPINGS / f"{name}.toml")
    assert set(mp["tables"]) <= set(TABLES)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_names_only_contract_tables_and_columns(name):
    for table, spec in preset(name)["tables"].items():
        assert table in TABLES, f"{name}: {table} is not a contract table"
        contract = columns(table)
        named = {
            f"[{key}] {col}"
            for key in ("columns", "values", "dates", "derive", "lookups")
            for col in spec.get(key, {})
            if col not in contract
        }
        assert not named, f"{name}: {table}: not contract columns: {sorted(named)}"
        if "distinct" in spec:
            assert spec["distinct"] in spec["columns"]


def test_b2b_region_lookup_fills_a_contract_column():
    # the deal's own region (else its rep's, else its customer's) is part of the
    # CRM-first contract of issue 9
    assert "region" in preset("b2b_crm")["tables"]["opportunities"]["lookups"]
    assert "region" in columns("opportunities")


@pytest.mark.parametrize("name", PRESETS)
def test_preset_reads_columns_its_fixture_has(name):
    """Every file and source column a preset names is in the fixture export."""
    folder = FOLDERS[name]
    for table, spec in preset(name)["tables"].items():
        path = folder / spec["file"]
        assert path.is_file(), f"{name}: {table}: no {path}"
        found = set(header(path))
        mapped = set(spec.get("columns", {}))
        sources = set(spec.get("columns", {}).values())
        for expr in [*spec.get("derive", {}).values(), spec.get("filter", "")]:
            sources |= set(_BACKTICKED.findall(expr))
        assert sources <= found, f"{name}: {table}: not in {path.name}: {sources - found}"
        for target, look in spec.get("lookups", {}).items():
            other = set(header(folder / look["file"]))
            assert {look["on"], look["value"]} <= other, f"{name}: lookup {target}"
            assert look["key"] in found | mapped, f"{name}: lookup {target}: key"
            assert look.get("fill", "missing") in ("missing", "all")


# -- the vendor fixtures -----------------------------------------------------------------------
@pytest.mark.parametrize("name", EXPORTS)
def test_vendor_fixture_holds_what_its_readme_says(name):
    export = EXPORTS[name]
    pipeline = SalesPipeline.from_mapping(preset(name)["pipeline"])
    deals = rows(CRM / name / export.file)
    assert 15 <= len(deals) == export.deals <= 40
    ids = [r[export.id_col] for r in deals]
    assert all(ids) and len(set(ids)) == len(ids)
    # every stage value is a declared stage or a won / lost value
    unknown = {
        r[export.stage_col]
        for r in deals
        if pipeline.canonical(r[export.stage_col]) is None
        and pipeline.outcome(r[export.stage_col]) is None
    }
    assert not unknown, f"{name}: stages not declared in the preset: {unknown}"
    kinds = [outcome(export, pipeline, r) for r in deals]
    assert (kinds.count("open"), kinds.count("won"), kinds.count("lost")) == (
        export.open,
        export.won,
        export.lost,
    )
    won_value = sum(
        float(r[export.amount_col]) for r, k in zip(deals, kinds, strict=True) if k == "won"
    )
    assert won_value == pytest.approx(export.won_value)
    no_amount = [k for r, k in zip(deals, kinds, strict=True) if not r[export.amount_col]]
    assert no_amount == ["open"] * export.open_without_amount
    # every open stage is used, so the funnel has something at each step
    open_stages = {
        pipeline.canonical(r[export.stage_col])
        for r, k in zip(deals, kinds, strict=True)
        if k == "open"
    }
    assert open_stages == set(pipeline.names)


@pytest.mark.parametrize("name", EXPORTS)
def test_vendor_fixture_dates_are_in_order_and_not_after_as_of(name):
    export = EXPORTS[name]
    pipeline = SalesPipeline.from_mapping(preset(name)["pipeline"])
    for r in rows(CRM / name / export.file):
        created = day(r[export.created_col])
        assert dt.date(2025, 1, 1) <= created <= AS_OF
        if outcome(export, pipeline, r) != "open":
            closed = day(next(r[c] for c in export.closed_cols if r[c]))
            assert created <= closed <= AS_OF, r[export.id_col]


@pytest.mark.parametrize("name", EXPORTS)
def test_preset_expressions_are_sql_that_splits_the_close_date(name):
    """The derive expressions run as DuckDB SQL on the export, as the mapping engine runs
    them (backticks quote a name): closed_at on closed deals only, expected close on open."""
    duckdb = pytest.importorskip("duckdb")
    export = EXPORTS[name]
    spec = preset(name)["tables"]["opportunities"]
    pipeline = SalesPipeline.from_mapping(preset(name)["pipeline"])
    deals = pd.read_csv(CRM / name / export.file, dtype=str, keep_default_na=False, na_values=[""])
    con = duckdb.connect(config={"enable_external_access": False})
    con.register("deals", deals)
    derived = {
        col: con.execute(f"SELECT {sql(expr)} FROM deals").df().iloc[:, 0]
        for col, expr in spec["derive"].items()
    }
    is_open = pd.Series(
        [outcome(export, pipeline, r) == "open" for r in rows(CRM / name / export.file)]
    )
    assert (derived["closed_at"].notna() == ~is_open).all()
    if "expected_close_date" in derived:
        assert derived["expected_close_date"].loc[~is_open].isna().all()
        assert (
            derived["expected_close_date"].notna().sum()
            == (is_open & deals[export.closed_cols[0]].notna()).sum()
        )


# -- the B2B fixture ---------------------------------------------------------------------------
def test_b2b_fixture_is_shaped_like_the_public_dataset():
    deals = rows(B2B / "sales_pipeline.csv")
    teams = rows(B2B / "sales_teams.csv")
    products = {r["product"]: float(r["sales_price"]) for r in rows(B2B / "products.csv")}
    accounts = {r["account"] for r in rows(B2B / "accounts.csv")}
    assert 80 <= len(deals) <= 150
    assert len({r["opportunity_id"] for r in deals}) == len(deals)
    assert {s: sum(r["deal_stage"] == s for r in deals) for s in B2B_COUNTS} == B2B_COUNTS
    assert 8 <= len(teams) <= 12 and len({r["regional_office"] for r in teams}) == 3
    assert {r["sales_agent"] for r in deals} <= {r["sales_agent"] for r in teams}
    assert {r["account"] for r in deals if r["account"]} <= accounts
    for r in deals:
        closed = r["deal_stage"] in ("Won", "Lost")
        assert bool(r["engage_date"]) == (r["deal_stage"] != "Prospecting")
        assert bool(r["close_date"]) == closed == bool(r["close_value"])
        if closed:
            assert r["engage_date"] <= r["close_date"] <= AS_OF.isoformat()
    # one product is spelled differently in the deals file than in the product list
    assert "GTXPro" in {r["product"] for r in deals} and "GTX Pro" in products
    assert {r["product"] for r in deals} - set(products) == {"GTXPro"}
    assert sum(float(r["close_value"]) for r in deals if r["deal_stage"] == "Won") == (
        B2B_WON_VALUE
    )
    open_value = sum(
        products[r["product"].replace("GTXPro", "GTX Pro")]
        for r in deals
        if r["deal_stage"] in ("Prospecting", "Engaging")
    )
    assert open_value == B2B_OPEN_LIST_VALUE


# -- end to end: load -------------------------------------------------------------------------
def rejected(data) -> dict[str, int]:
    table = data.summary()
    return {r.table: r.rows_rejected for r in table.itertuples() if r.rows_rejected}


@pytest.mark.parametrize("name", EXPORTS)
def test_preset_loads_its_fixture_with_no_rejected_rows(name):
    export = EXPORTS[name]
    data = salesnb.load(CRM / name, mapping=MAPPINGS / f"{name}.toml")
    assert rejected(data) == {}, data.rejected
    assert data.pipeline.declared
    opps = data.opportunities
    assert len(opps) == export.deals
    counts = opps["status"].value_counts()
    assert (counts.get("open", 0), counts.get("won", 0), counts.get("lost", 0)) == (
        export.open,
        export.won,
        export.lost,
    )
    is_open = opps["status"] == "open"
    assert opps.loc[opps["status"] == "won", "amount"].sum() == pytest.approx(export.won_value)
    assert (is_open & opps["amount"].isna()).sum() == export.open_without_amount
    assert not opps.loc[~is_open, "amount"].isna().any()
    # a deals export has one close date: closed_at only on won / lost deals
    assert (opps["closed_at"].notna() == ~is_open).all()
    assert opps.loc[~is_open, "expected_close_date"].isna().all() or name == "pipedrive"
    # open deals sit in declared stages; won deals have reached the last one
    assert set(opps.loc[is_open, "stage"]) <= set(data.pipeline.names)
    if export.status_col is None:
        assert set(opps.loc[opps["status"] == "won", "stage"]) == {data.pipeline.names[-1]}
    assert len(data.reps) == export.reps
    assert len(data.customers) == export.customers
    assert data.as_of == pd.Timestamp(AS_OF)


def funnel_of(data) -> pd.DataFrame:
    """``kpi.stage_funnel`` on the data's own pipeline (when the KPI takes one)."""
    kwargs = {}
    if "pipeline" in inspect.signature(kpi.stage_funnel).parameters:
        kwargs["pipeline"] = data.pipeline
    return kpi.stage_funnel(data.opportunities, **kwargs)


def stale_of(data) -> pd.DataFrame:
    """``kpi.stale_deals`` with the pipeline's rotting days."""
    kwargs = {}
    if "pipeline" in inspect.signature(kpi.stale_deals).parameters:
        kwargs["pipeline"] = data.pipeline
    else:
        kwargs["thresholds"] = data.pipeline.rotting_days
    return kpi.stale_deals(data.opportunities, as_of=data.as_of, **kwargs)


@pytest.fixture(scope="module")
def b2b():
    return salesnb.load(B2B, mapping=MAPPINGS / "b2b_crm.toml")


def test_b2b_loads_with_no_rejected_rows(b2b):
    assert rejected(b2b) == {}, b2b.rejected
    assert {t: len(f) for t, f in b2b.tables.items()} == {
        "reps": 10,
        "customers": 26,
        "products": 6,
        "opportunities": sum(B2B_COUNTS.values()),
    }
    assert b2b.pipeline.names == ("Prospecting", "Engaging")
    assert b2b.pipeline.rotting_days == B2B_ROTTING
    assert b2b.as_of == pd.Timestamp(AS_OF)


def test_b2b_stage_and_status_come_from_one_column(b2b):
    opps = b2b.opportunities
    counts = opps["status"].value_counts().to_dict()
    assert counts == {"open": 36, "won": 52, "lost": 32}
    is_open = opps["status"] == "open"
    assert opps.loc[is_open, "stage"].value_counts().to_dict() == {
        "Engaging": 24,
        "Prospecting": 12,
    }
    assert set(opps.loc[opps["status"] == "won", "stage"]) == {"Engaging"}
    # prospecting deals have no engage date, and still load
    assert opps.loc[opps["created_at"].isna(), "stage"].eq("Prospecting").all()
    assert opps["created_at"].isna().sum() == 12


def test_b2b_open_deals_are_valued_at_list_price_through_the_lookup(b2b):
    opps = b2b.opportunities
    is_open = opps["status"] == "open"
    assert "GTXPro" not in set(opps["product"]) and "GTX Pro" in set(opps["product"])
    assert not opps["amount"].isna().any()
    prices = b2b.products.set_index("product")["list_price"]
    assert (opps.loc[is_open, "amount"] == opps.loc[is_open, "product"].map(prices)).all()
    assert opps.loc[is_open, "amount"].sum() == B2B_OPEN_LIST_VALUE
    assert opps.loc[opps["status"] == "won", "amount"].sum() == B2B_WON_VALUE


def test_b2b_deal_region_is_its_agents_regional_office(b2b):
    opps = b2b.opportunities
    office = b2b.reps.set_index("rep_id")["region"]
    assert (opps["region"] == opps["rep_id"].map(office)).all()
    assert set(opps["region"]) == {"Central", "East", "West"}
    assert set(b2b.reps["team"]) == set(b2b.reps["manager"])
    assert (b2b.reps["name"] == b2b.reps["rep_id"]).all()


def test_b2b_funnel_has_the_real_stages(b2b):
    funnel = funnel_of(b2b)
    steps = funnel["step"].tolist()
    assert steps[:2] == ["Prospecting", "Engaging"] and len(steps) == 3
    assert steps[-1].lower() == "won"
    reached = funnel["reached"].tolist()
    assert reached == sorted(reached, reverse=True) and reached[0] > reached[-1] > 0


def test_b2b_open_pipeline_is_not_empty_and_has_stale_deals(b2b):
    opps = b2b.opportunities
    assert (opps["status"] == "open").sum() == 36
    stale = stale_of(b2b)
    assert len(stale) > 0
    stale_opps = opps.set_index("opportunity_id").loc[stale["opportunity_id"]]
    assert set(stale_opps["status"]) == {"open"}
    idle = (b2b.as_of - stale_opps["created_at"]).dt.days
    assert (idle > stale_opps["stage"].map(B2B_ROTTING)).all()


# -- end to end: a pack ------------------------------------------------------------------------
#: The full pack for the B2B export; for Salesforce the pages its deals feed (summary,
#: pipeline, revenue, team); for the other vendors the summary and team pages, to keep the
#: suite's time in bounds (the loading of every preset is tested above, page by page code
#: is shared).
CRM_PAGES = ["00_executive_summary", "01_leads_conversion", "02_revenue_forecast",
             "04_team_performance"]  # fmt: skip
SHORT_PAGES = ["00_executive_summary", "04_team_performance"]


@pytest.mark.slow
@pytest.mark.parametrize("name", PRESETS)
def test_preset_renders_a_pack_from_its_fixture(name, tmp_path):
    from salesnb import report

    pages = {"b2b_crm": None, "salesforce": CRM_PAGES}.get(name, SHORT_PAGES)
    result = report.run_report(
        data=FOLDERS[name],
        mapping=MAPPINGS / f"{name}.toml",
        out=tmp_path,
        only=pages,
        jobs=2,
        progress=False,
    )
    assert result.ok, [(nb.name, nb.error) for nb in result.notebooks if not nb.ok]
    assert result.index.is_file()
    assert len(result.notebooks) == (7 if pages is None else len(pages))


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_its_fixture_without_mapping_warnings(name):
    """A shipped preset matches its fixture exactly: no value-map gaps, no unknown keys."""
    import warnings

    from salesnb.errors import MappingWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", MappingWarning)
        data = salesnb.load(FOLDERS[name], mapping=MAPPINGS / f"{name}.toml")
    assert not any(len(v) for v in data.rejected.values())


# -- deal history ------------------------------------------------------------------------------
SF_HISTORY = CRM / "salesforce" / "OpportunityHistory.csv"


def test_salesforce_history_loads_through_the_preset_and_ends_in_each_deal():
    data = salesnb.load(CRM / "salesforce", mapping=MAPPINGS / "salesforce.toml")
    hist, opps = data.opportunity_history, data.opportunities.set_index("opportunity_id")
    assert len(hist) == len(rows(SF_HISTORY)) == data.rows_read["opportunity_history"]
    assert "opportunity_history" not in data.rejected
    assert set(hist["opportunity_id"]) == set(opps.index)
    # status from StageName through [pipeline]; probability 10 (percent) -> 0.1
    assert set(hist["status"]) == {"open", "won", "lost"}
    assert hist["probability"].between(0, 1).all() and 0.1 in set(hist["probability"])
    assert hist["changed_at"].dtype.kind == "M" and hist["expected_close_date"].dtype.kind == "M"
    last = hist.sort_values("changed_at").groupby("opportunity_id").tail(1)
    last = last.set_index("opportunity_id").loc[opps.index]
    pd.testing.assert_series_equal(last["status"], opps["status"], check_names=False)
    assert (last["stage"].fillna("-") == opps["stage"].fillna("-")).all()
    assert ((last["amount"] == opps["amount"]) | opps["amount"].isna()).all()
    is_open = opps["status"] == "open"
    assert (
        last.loc[is_open, "expected_close_date"] == opps.loc[is_open, "expected_close_date"]
    ).all()
    assert (
        last.loc[~is_open, "changed_at"].dt.normalize() == opps.loc[~is_open, "closed_at"]
    ).all()


def test_salesforce_history_percent_probability(tmp_path):
    """40 and 40% are 0.4; a probability that is no number rejects its row with the reason."""
    for f in ("opportunities.csv", "OpportunityHistory.csv"):
        (tmp_path / f).write_bytes((CRM / "salesforce" / f).read_bytes())
    lines = SF_HISTORY.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    at = head.index("Probability")
    cells = [line.split(",") for line in lines[1:4]]
    for row, value in zip(cells, ["40", "40%", "high"], strict=True):
        row[at] = value
    body = [",".join(r) for r in cells] + lines[4:]
    (tmp_path / "OpportunityHistory.csv").write_text("\n".join([lines[0], *body]) + "\n")
    data = salesnb.load(tmp_path, mapping=MAPPINGS / "salesforce.toml")
    hist = data.opportunity_history
    assert hist["probability"].iloc[:2].tolist() == [0.4, 0.4]
    rejected = data.rejected["opportunity_history"]
    assert rejected["source_row"].tolist() == [4]
    assert "probability='high'" in rejected["reason"].iloc[0]
    assert "expected a number" in rejected["reason"].iloc[0]


def test_history_is_optional_in_the_preset(tmp_path):
    """An export without the history file loads as before: a note, no warning, no error."""
    import warnings

    from salesnb.errors import MappingWarning

    (tmp_path / "opportunities.csv").write_bytes(
        (CRM / "salesforce" / "opportunities.csv").read_bytes()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", MappingWarning)
        data = salesnb.load(tmp_path, mapping=MAPPINGS / "salesforce.toml")
        raised = salesnb.load(tmp_path, mapping=MAPPINGS / "salesforce.toml", errors="raise")
    assert data.opportunity_history is None and raised.opportunity_history is None
    assert any("OpportunityHistory.csv" in n and "optional" in n for n in data.notes)


@pytest.mark.parametrize("name", ["hubspot", "pipedrive", "zoho", "b2b_crm"])
def test_presets_without_a_documented_history_export_say_so(name):
    """Only Salesforce documents a flat history export; docs/your-crm.md says what to do."""
    assert "opportunity_history" not in preset(name)["tables"]
    text = (ROOT / "docs" / "your-crm.md").read_text(encoding="utf-8")
    section = text[text.index("## Deal history") :]
    crm = {"b2b_crm": "B2B"}.get(name, name.capitalize()).replace("Hubspot", "HubSpot")
    assert crm in section
