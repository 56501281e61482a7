"""Tests of the report notebooks: parameters, committed state, and the rendered pack.

One full ``salesnb report`` run on the sample (module-scoped fixture) serves the
end-to-end checks; a second run on a folder holding only ``orders.csv``
checks that absent tables give notes instead of errors.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest

import salesnb
from salesnb import kpi, report, sections
from salesnb.periods import latest_complete_quarter

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SAMPLE = ROOT / "data" / "sample"
SAMPLE_README = SAMPLE / "README.md"
CORE = {"quarter", "data", "mapping", "region", "as_of"}
EXPECTED = [
    "00_executive_summary",
    "01_leads_conversion",
    "02_revenue_forecast",
    "03_customers_clv",
    "04_team_performance",
    "05_orders_collections_market",
]

needs_sample = pytest.mark.skipif(
    not (SAMPLE / "orders.csv").exists(), reason="data/sample has not been generated"
)


def _text(page: str) -> str:
    """Visible text of an HTML page (no styles, tags or entities)."""
    import html

    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    text = re.sub(r"\s+", " ", html.unescape(page))
    return re.sub(r" ([,.;:)])", r"\1", text)


def _outputs_text(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            parts.append(out.get("text", ""))
            parts.append(data.get("text/markdown", ""))
            parts.append(_text(data.get("text/html", "")))
    return "\n".join(parts)


# -- committed notebooks ---------------------------------------------------------------------
def test_the_six_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_follow_the_common_contract(path):
    params = pm.inspect_notebook(str(path))
    assert CORE <= set(params), f"{path.name} lacks {CORE - set(params)}"
    for name in ("quarter", "mapping", "region", "as_of"):
        assert params[name]["default"] == "None", (path.name, name)
    data_default = params["data"]["default"].strip("\"'")
    assert (path.parent / data_default).resolve() == SAMPLE.resolve()
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_calendar_and_money_are_parameters_passed_through(path):
    """The company's calendar and money are set once (CLI or mapping), never per notebook."""
    params = pm.inspect_notebook(str(path))
    for name in ("fiscal_year_start", "currency", "number_style"):
        assert params[name]["default"] == "None", (path.name, name)
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert (
        "sections.use_settings(mapping, fiscal_year_start=fiscal_year_start, currency=currency,"
        in code
    )
    assert "currency = settings.currency" in code
    # no page fixes its own calendar, currency symbol or number style
    assert not re.search(r"fiscal_year_start=\d|currency=[\"']", code), path.name
    assert "{period.label}" not in code  # titles show FY2027 Q1 in a fiscal calendar


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_and_calls_salesnb(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    source = "\n".join(c.source for c in code)
    assert (
        "sections.open_data(data, mapping=mapping, as_of=as_of, snapshot=snapshot, engine=engine)"
        in source
    )
    assert "sales.filter(region=region)" in source
    assert "plot.set_theme()" in source
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # markdown explains each section
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 3


# -- the pack on the sample ----------------------------------------------------------------
@pytest.fixture(scope="module")
def pack(sample_pack):
    """The sample pack (rendered once per session in conftest.py)."""
    return sample_pack


@pytest.fixture(scope="module")
def sample_data():
    return salesnb.load(SAMPLE)


@pytest.fixture(scope="module")
def facts():
    """The planted facts, read from data/sample/README.md (written by salesnb.synth)."""
    text = SAMPLE_README.read_text(encoding="utf-8")
    found = {
        "region": re.search(r"Declining region: \*\*(\w+)\*\*", text),
        "slow_rep": re.search(r"\*\*2\. Slow rep\*\*: \*\*(R\d+) ([^*]+)\*\*", text),
        "source": re.search(r"Best source: \*\*(\w+)\*\*", text),
        "undercut": re.search(r"- \*\*([^*]+)\*\* undercuts \*\*([^*]+)\*\*", text),
        "late": re.search(r"Latest quarter (\d{4}Q\d): ([\d.]+%)", text),
        "unhappy_rep": re.search(r"\*\*6\. Satisfaction\*\*: \*\*(R\d+) ([^*]+)\*\*", text),
    }
    missing = [k for k, v in found.items() if v is None]
    assert not missing, f"README fact sheet changed; cannot find {missing}"
    return {k: v.groups() for k, v in found.items()}


@needs_sample
@pytest.mark.slow
def test_pack_has_every_page_and_succeeds(pack, sample_data):
    assert pack.ok, [(nb.name, nb.error) for nb in pack.notebooks]
    assert pack.quarter == latest_complete_quarter(sample_data.as_of).label
    files = {p.name for p in pack.out_dir.iterdir()}
    for name in EXPECTED:
        assert f"{name}.html" in files and f"{name}.ipynb" in files
    assert {"index.html", "leaderboard.html", "kpis.xlsx", "run.json"} <= files
    meta = json.loads((pack.out_dir / "run.json").read_text())
    assert meta["salesnb_version"] == salesnb.__version__
    assert meta["as_of"] == str(sample_data.as_of.date())


@needs_sample
@pytest.mark.slow
def test_executed_notebooks_have_no_errors(pack):
    for nb_result in pack.notebooks:
        nb = nbformat.read(nb_result.executed, as_version=4)
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, nb_result.name
        notes = _outputs_text(Path(nb_result.executed))
        assert "section unavailable" not in notes, nb_result.name
        assert "not computed" not in notes, nb_result.name


@needs_sample
@pytest.mark.slow
def test_html_has_no_code_no_external_assets_and_alt_text(pack):
    for name in EXPECTED:
        page = (pack.out_dir / f"{name}.html").read_text(encoding="utf-8")
        assert report.external_references(page) == [], name
        assert not re.search(r"<(script|link)\b[^>]*(src|href)=", page), name
        body = re.sub(r"<style\b.*?</style>", "", page, flags=re.S)
        assert "jp-InputArea-editor" not in body, name  # no code input rendered
        assert "jp-CodeMirrorEditor" not in body, name
        assert "sections.requires(" not in page and "import salesnb" not in page, name
        assert 'class="salesnb-toc"' in page, name
        alts = re.findall(r'<img [^>]*alt="([^"]*)"', page)
        imgs = re.findall(r"<img ", page)
        assert len(alts) == len(imgs)
        assert "Chart" not in alts and "No description has been provided for this image" not in alts
        assert re.findall(r'src="data:image/png;base64,', page) and len(imgs) >= 1, name


@needs_sample
@pytest.mark.slow
def test_headline_revenue_equals_the_kpi(pack, sample_data):
    from salesnb.periods import Period

    period = Period.parse(pack.quarter)
    table = kpi.revenue(sample_data.orders)
    value = table.loc[table["period"] == pack.quarter, "revenue"].iloc[0]
    money = sections.fmt_money(value)
    summary = _text((pack.out_dir / "00_executive_summary.html").read_text(encoding="utf-8"))
    assert f"Revenue in {period.label}: {money}" in summary
    index = _text((pack.out_dir / "index.html").read_text(encoding="utf-8"))
    assert f"Revenue {money}" in index


@needs_sample
@pytest.mark.slow
def test_planted_facts_appear_in_the_text(pack, facts, sample_data):
    summary = _text((pack.out_dir / "00_executive_summary.html").read_text(encoding="utf-8"))
    attention = summary.split("Needs attention", 1)[1]
    (region,) = facts["region"]
    # the alert counts every quarter of the run of falls, up to the report's quarter
    by_q = kpi.revenue(sample_data.revenue_lines, by="region", compare=False)
    series = by_q[by_q["region"] == region].set_index("period")["revenue"]
    series = series[: pack.quarter]
    falls = 0
    while falls + 1 < len(series) and series.iloc[-1 - falls] < series.iloc[-2 - falls]:
        falls += 1
    assert falls >= 3
    assert f"Region {region}: revenue fell {falls} quarters in a row" in attention
    rep_id, rep_name = facts["slow_rep"]
    assert f"Rep {rep_id} {rep_name}: median sales cycle" in attention
    competitor, product = facts["undercut"]
    assert f"{competitor} undercuts {product}" in attention
    quarter, share = facts["late"]
    assert f"Invoices paid late or unpaid of {share} in {quarter}" in attention
    rep_id, rep_name = facts["unhappy_rep"]
    assert f"Rep {rep_id} {rep_name}: satisfaction score falling" in attention
    (source,) = facts["source"]
    leads = _text((pack.out_dir / "01_leads_conversion.html").read_text(encoding="utf-8"))
    assert f"Lead conversion is highest for {source}" in leads
    index = _text((pack.out_dir / "index.html").read_text(encoding="utf-8"))
    assert f"Region {facts['region'][0]}: revenue fell" in index


@needs_sample
@pytest.mark.slow
def test_index_leaderboard_and_workbook(pack, sample_data):
    from openpyxl import load_workbook

    index = (pack.out_dir / "index.html").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f'href="{name}.html"' in index
    assert 'href="leaderboard.html"' in index and 'href="kpis.xlsx"' in index
    text = _text(index)
    for table in sample_data.tables:
        assert re.search(rf"\b{table} [\d,]+ [\d,]+ 0\b", text), table
    assert "salesnb " + salesnb.__version__ in text
    board = (pack.out_dir / "leaderboard.html").read_text(encoding="utf-8")
    assert re.search(r'<meta http-equiv="refresh" content="\d+">', board)
    assert board.count("<tr>") == 1 + report.LEADERBOARD_ROWS
    assert "$" in _text(board)
    wb = load_workbook(pack.out_dir / "kpis.xlsx")
    assert {"headline", "leaderboard", "revenue", "revenue_by_region", "data_quality"} <= set(
        wb.sheetnames
    )
    rows = list(wb["leaderboard"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Rank", "Rep ID", "Rep") and rows[1][0] == 1


# -- absent tables ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def orders_only_pack(tmp_path_factory):
    if not (SAMPLE / "orders.csv").exists():
        pytest.skip("data/sample has not been generated")
    folder = tmp_path_factory.mktemp("orders_only")
    (folder / "orders.csv").write_bytes((SAMPLE / "orders.csv").read_bytes())
    out = tmp_path_factory.mktemp("reports_orders_only")
    return report.run_report(data=folder, out=out, jobs=2, progress=False, region="West")


@needs_sample
@pytest.mark.slow
def test_orders_only_data_gives_notes_not_errors(orders_only_pack):
    assert orders_only_pack.ok, [(nb.name, nb.error) for nb in orders_only_pack.notebooks]
    pages = {
        nb.name: _text(Path(nb.html).read_text(encoding="utf-8"))
        for nb in orders_only_pack.notebooks
    }
    assert (
        "Stage funnel: section unavailable — needs table opportunities in the data"
        in pages["01_leads_conversion"]
    )
    assert "needs table leads" in pages["01_leads_conversion"]
    assert (
        "Revenue against target: section unavailable — needs table targets"
        in pages["00_executive_summary"]
    )
    assert (
        "Competitor price index: section unavailable — needs tables products, "
        "competitor_prices" in pages["05_orders_collections_market"]
    )
    assert (
        "Employee satisfaction: section unavailable — needs table satisfaction"
        in pages["04_team_performance"]
    )
    assert "Engagement after purchase: section unavailable" in pages["03_customers_clv"]
    # orders-based sections still run, for the one region asked for
    assert "Revenue in " in pages["02_revenue_forecast"]
    assert "region West" in pages["02_revenue_forecast"]


@needs_sample
@pytest.mark.slow
def test_region_filter_reaches_the_notebooks(orders_only_pack):
    meta = json.loads((orders_only_pack.out_dir / "run.json").read_text())
    assert meta["region"] == "West"
    west = salesnb.load(meta["data"]).filter(region="West")
    table = kpi.revenue(west.orders)
    value = table.loc[table["period"] == orders_only_pack.quarter, "revenue"].iloc[0]
    page = _text((orders_only_pack.out_dir / "02_revenue_forecast.html").read_text("utf-8"))
    assert f"Revenue in {orders_only_pack.quarter}: {sections.fmt_money(value)}" in page


@needs_sample
@pytest.mark.slow
def test_every_sample_page_names_the_orders_basis(pack):
    for name in EXPECTED:
        page = _text((pack.out_dir / f"{name}.html").read_text(encoding="utf-8"))
        assert "all regions · revenue = orders" in page, name
        assert "Rows not loaded" not in page and "no open deals" not in page, name
    index = _text((pack.out_dir / "index.html").read_text(encoding="utf-8"))
    assert "revenue = orders" in index


# -- opportunities only: revenue from won deals ---------------------------------------------
OPPORTUNITY_TABLES = ("opportunities", "reps", "customers", "products")


@pytest.fixture(scope="module")
def opportunities_only_pack(tmp_path_factory):
    if not (SAMPLE / "opportunities.csv").exists():
        pytest.skip("data/sample has not been generated")
    folder = tmp_path_factory.mktemp("opportunities_only")
    for table in OPPORTUNITY_TABLES:
        (folder / f"{table}.csv").write_bytes((SAMPLE / f"{table}.csv").read_bytes())
    out = tmp_path_factory.mktemp("reports_opportunities_only")
    return report.run_report(
        data=folder,
        out=out,
        jobs=2,
        progress=False,
        only=["executive_summary", "team_performance"],
    )


def _won_in_quarter(quarter: str):
    """Won deals closed in ``quarter``, read and summed with plain pandas."""
    import pandas as pd

    from salesnb.periods import Period

    opps = pd.read_csv(SAMPLE / "opportunities.csv", parse_dates=["closed_at"])
    period = Period.parse(quarter)
    closed = opps["closed_at"].dt.normalize()
    won = opps.loc[
        (opps["status"] == "won") & (closed >= period.start) & (closed <= period.last_day)
    ]
    return won


@needs_sample
@pytest.mark.slow
def test_opportunities_only_pack_reports_revenue_from_won_deals(opportunities_only_pack):
    pack = opportunities_only_pack
    assert pack.ok, [(nb.name, nb.error) for nb in pack.notebooks]
    won = _won_in_quarter(pack.quarter)
    assert len(won) > 0
    money = sections.fmt_money(won["amount"].sum())
    summary = _text((pack.out_dir / "00_executive_summary.html").read_text(encoding="utf-8"))
    assert "revenue = won deals (CRM)" in summary
    assert f"Revenue in {pack.quarter}: {money}" in summary
    assert "Leaderboard: section unavailable" not in summary
    board = summary.split("Top of the leaderboard", 2)[-1].split("Needs attention")[0]
    assert "rank rep team region revenue deals won" in board
    index = _text((pack.out_dir / "index.html").read_text(encoding="utf-8"))
    assert f"Revenue {money}" in index and "revenue = won deals (CRM)" in index
    assert "Revenue against target: section unavailable — needs table targets" in summary


@needs_sample
@pytest.mark.slow
def test_opportunities_only_team_page_ranks_reps(opportunities_only_pack):
    import pandas as pd

    pack = opportunities_only_pack
    won = _won_in_quarter(pack.quarter)
    by_rep = won.groupby("rep_id")["amount"].sum().sort_values(ascending=False)
    reps = pd.read_csv(SAMPLE / "reps.csv").set_index("rep_id")
    team = _text((pack.out_dir / "04_team_performance.html").read_text(encoding="utf-8"))
    assert "revenue = won deals (CRM)" in team
    assert "Leaderboard: section unavailable" not in team
    assert "Rep effectiveness: section unavailable" not in team
    ranking = team.split("Leaderboard", 2)[-1]
    for rank, (rep_id, amount) in enumerate(by_rep.head(3).items(), start=1):
        rep = reps.loc[rep_id]
        row = (
            f"{rank} {rep_id} {rep['name']} {rep['team']} {rep['region']} "
            f"{sections.fmt_money(amount)}"
        )
        assert row in ranking, row
    leaderboard = _text((pack.out_dir / "leaderboard.html").read_text(encoding="utf-8"))
    assert reps.loc[by_rep.index[0], "name"] in leaderboard
