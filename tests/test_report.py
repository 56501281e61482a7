"""Tests of salesnb.report and the salesnb command (fast parts and the failure mode).

The full pack on the sample data is exercised in tests/test_notebooks.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from salesnb import cli, report
from salesnb.report import execute, files
from salesnb.report.index import _jinja, _table_rows

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT / "data" / "sample"
TEST_NOTEBOOKS = HERE / "notebooks"


def external_assets(page: str) -> list[str]:
    return report.external_references(page)


def test_external_references_finds_network_scripts_and_styles():
    page = (
        "<script src='https://cdn.x/require.js'></script><link rel=stylesheet "
        'href="//fonts.x/css"><style>@import url(http://a/b.css); '
        "p{background:url( 'https://i/x.png')}</style><script>var a=1</script>"
        "<img src='data:image/png;base64,AA'><a href='https://ok.example'>link</a>"
    )
    found = report.external_references(page)
    assert len(found) == 4
    assert report.external_references("<script>1</script><link href='local.css'>") == []


# -- spreadsheet safety --------------------------------------------------------------------
def test_neutralise_formulas_prefixes_formula_text_only():
    frame = pd.DataFrame(
        {
            "name": [
                '=HYPERLINK("http://x")',
                "+1+1",
                "-2+3",
                "@SUM(A1)",
                "\tcmd",
                "Ann",
                "-12.5",
                None,
            ],
            "profit": [-3.0, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    out = report.neutralise_formulas(frame)
    assert out["name"].tolist()[:7] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tcmd",
        "Ann",
        "-12.5",
    ]
    assert out["name"].isna().tolist()[-1]
    assert out["profit"].tolist() == frame["profit"].tolist()
    assert out["profit"].dtype == "float64"
    assert frame["name"].iloc[0].startswith("=")  # input untouched


def test_neutralise_formulas_handles_labels_and_categories():
    frame = pd.DataFrame({"=evil": pd.Categorical(["=1+1", "ok"])})
    out = report.neutralise_formulas(frame)
    assert list(out.columns) == ["'=evil"]
    assert out.iloc[:, 0].tolist() == ["'=1+1", "ok"]


def test_workbook_cells_cannot_run_formulas(tmp_path):
    from openpyxl import load_workbook

    frame = pd.DataFrame(
        {
            "customer": ["=1+1", "@cmd", "Bob"],
            "amount": [-1500.0, 20.0, 3.5],
            "share": [0.1, 0.2, 0.3],
        }
    )
    path = report.write_workbook(
        {"kpis": frame}, tmp_path / "k.xlsx", money={"kpis": ["amount"]}, pct={"kpis": ["share"]}
    )
    ws = load_workbook(path)["kpis"]
    assert [c.value for c in ws["A"]] == ["Customer", "'=1+1", "'@cmd", "Bob"]
    assert all(c.data_type == "s" for c in ws["A"])
    assert ws["B2"].value == -1500.0 and ws["B2"].data_type == "n"
    assert ws["B2"].number_format == '"$"#,##0'  # money carries the report's currency
    assert ws["C2"].number_format == "0.0%"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# -- files -----------------------------------------------------------------------------------
def test_write_text_atomic_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "page.html"
    target.write_text("old")
    report.write_text_atomic(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_write_text_atomic_keeps_old_file_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "page.html"
    target.write_text("complete old page")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        report.write_text_atomic(target, "half")
    assert target.read_text() == "complete old page"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_swap_in_replaces_previous_pack(tmp_path):
    final = tmp_path / "2025Q3"
    final.mkdir()
    (final / "stale.html").write_text("old")
    build = tmp_path / ".build"
    build.mkdir()
    (build / "index.html").write_text("new")
    files._swap_in(build, final)
    assert sorted(p.name for p in final.iterdir()) == ["index.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["2025Q3"]


# -- notebooks and rendering ---------------------------------------------------------------
def test_list_notebooks_only_and_errors(tmp_path):
    names = [p.stem for p in report.list_notebooks(TEST_NOTEBOOKS)]
    assert names == ["broken", "ok"]
    assert [p.stem for p in report.list_notebooks(TEST_NOTEBOOKS, only=["ok"])] == ["ok"]
    pack = report.list_notebooks(report.NOTEBOOKS_DIR, only=["executive_summary", "05"])
    assert [p.stem for p in pack] == ["00_executive_summary", "05_orders_collections_market"]
    with pytest.raises(report.ReportError, match="matches no notebook; available: broken, ok"):
        report.list_notebooks(TEST_NOTEBOOKS, only=["nope"])
    with pytest.raises(report.ReportError, match="no notebooks"):
        report.list_notebooks(tmp_path)


def test_ensure_kernel_finds_one_for_this_interpreter():
    from jupyter_client.kernelspec import KernelSpecManager

    folder = report.ensure_kernel()
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert Path(folder) == Path(spec.resource_dir)
    assert execute._runs_this_interpreter(spec.argv[0])


def test_add_table_of_contents_links_headings():
    page = (
        "<html><body><main><div class='jp-Cell'><h1>T</h1></div><h2 id='a'>One</h2>"
        "<h3>Two &amp; three</h3><h2>One</h2></main></body></html>"
    )
    out = report.add_table_of_contents(page)
    assert out.index("<nav") > out.index("<h1>")
    assert '<a href="#a">One</a>' in out
    assert 'href="#two-three"' in out and 'id="two-three"' in out
    assert 'href="#one"' in out  # a second "One" gets its own anchor
    assert report.add_table_of_contents("<h2>only one</h2>") == "<h2>only one</h2>"


def _executed_notebook():
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("quarter = None")
    params.metadata["tags"] = ["parameters"]
    code = nbformat.v4.new_code_cell("SECRET_SOURCE_CODE = 1")
    code.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": "iVBORw0KGgo=", "text/plain": "<chart>"},
            metadata={"image/png": {"alt": "Revenue by region"}},
        ),
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: noise"),
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": "<table><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr></table>",
                "text/plain": "t",
            },
        ),
    ]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\n## First\n\ntext\n\n## Second"),
        params,
        code,
    ]
    return nb


def test_renderer_hides_code_embeds_images_with_alt_and_is_self_contained():
    page = report.NotebookRenderer().render(_executed_notebook(), title="T <x>", footer="f")
    assert "SECRET_SOURCE_CODE" not in page
    assert "quarter = None" not in page
    assert 'alt="Revenue by region"' in page
    assert 'src="data:image/png;base64,' in page
    assert "FutureWarning" not in page  # stderr noise is dropped from a good report
    assert "<script>alert(1)</script>" not in page
    assert external_assets(page) == []
    assert not re.search(r"https?://", page)
    assert "<title>T &lt;x&gt;</title>" in page
    assert 'class="salesnb-toc"' in page and 'href="#First"' in page


def test_renderer_error_section_is_escaped():
    error = {
        "cell_index": 3,
        "exec_count": 2,
        "source": "x = '<b>'\nraise ValueError(x)",
        "ename": "ValueError",
        "evalue": "<b>",
        "traceback": "Traceback <b>",
    }
    page = report.NotebookRenderer().render(_executed_notebook(), title="T", error=error)
    assert "This report failed: ValueError" in page
    assert "cell 3 (In [2])" in page
    assert "x = &#x27;&lt;b&gt;&#x27;" in page
    assert "<b>" not in page.split("salesnb-error", 2)[-1].split("</section>")[0]


# -- the runner: failure mode ---------------------------------------------------------------
@pytest.fixture(scope="module")
def orders_only(tmp_path_factory):
    folder = tmp_path_factory.mktemp("orders_only")
    pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "customer_id": ["C1", "C2", "=cmd|' /C calc'!A0", "C1"],
            "order_date": ["2025-07-03", "2025-08-10", "2025-09-30", "2025-09-01"],
            "amount": ["100.5", "2000", "300", "=1+1"],
            "region": ["North", "South", "North", "North"],
        }
    ).to_csv(folder / "orders.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def failing_run(orders_only, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    code = cli.main(
        [
            "report",
            "--data",
            str(orders_only),
            "--notebooks",
            str(TEST_NOTEBOOKS),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--no-progress",
        ]
    )
    return code, out / "2025Q3"


@pytest.mark.slow
def test_failed_notebook_gives_error_page_failed_mark_and_exit_code(failing_run):
    code, pack = failing_run
    assert code == 1
    broken = (pack / "broken.html").read_text(encoding="utf-8")
    assert "This report failed: ValueError" in broken
    assert "planted failure for the runner test" in broken
    assert "raise ValueError(&quot;planted failure for the runner test&quot;)" in broken
    assert "Traceback" in broken
    assert "this cell runs" in broken  # cells before the failure are shown
    ok = (pack / "ok.html").read_text(encoding="utf-8")
    assert "This report failed" not in ok
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ok and "<script>alert" not in ok
    assert "$1,234,567" in ok
    assert "quarter parameter: 2025Q3" in ok
    index = (pack / "index.html").read_text(encoding="utf-8")
    # pages are listed by their titles (the notebooks' "# " headings)
    assert re.search(
        r"<tr class=\"failed\">\s*<td><a href=\"broken.html\">A notebook that fails</a>", index
    )
    assert re.search(
        r"<tr class=\"ok\">\s*<td><a href=\"ok.html\">A notebook that works</a>", index
    )
    assert "Some reports failed" in index
    meta = json.loads((pack / "run.json").read_text())
    assert meta["ok"] is False
    failed = [nb for nb in meta["notebooks"] if not nb["ok"]]
    assert [nb["name"] for nb in failed] == ["broken"]
    assert failed[0]["error"]["ename"] == "ValueError"
    for page in pack.glob("*.html"):
        assert external_assets(page.read_text(encoding="utf-8")) == [], page.name


@pytest.mark.slow
def test_rejected_rows_are_saved_as_safe_csv_and_summarised(failing_run):
    _code, pack = failing_run
    rejected = (pack / "rejected_orders.csv").read_text()
    assert "'=1+1" in rejected
    assert "\n=" not in rejected and ",=" not in rejected
    index = (pack / "index.html").read_text(encoding="utf-8")
    assert '<a href="rejected_orders.csv">' in index
    # customer ids are escaped in HTML pages and neutralised in the workbook
    from openpyxl import load_workbook

    wb = load_workbook(pack / "kpis.xlsx")
    assert "data_quality" in wb.sheetnames
    values = [c.value for row in wb["data_quality"].iter_rows() for c in row]
    assert not [v for v in values if isinstance(v, str) and v.startswith("=")]


@pytest.mark.slow
def test_rerun_replaces_previous_pack_cleanly(failing_run, orders_only):
    _code, pack = failing_run
    code = cli.main(
        [
            "report",
            "--data",
            str(orders_only),
            "--notebooks",
            str(TEST_NOTEBOOKS),
            "--out",
            str(pack.parent),
            "--only",
            "ok",
            "--no-progress",
        ]
    )
    assert code == 0
    names = sorted(p.name for p in pack.iterdir())
    assert "broken.html" in names and "ok.html" in names  # --only keeps the other pages
    assert [p.name for p in pack.parent.iterdir()] == ["2025Q3"]  # no build/old folders left
    meta = json.loads((pack / "run.json").read_text())
    assert meta["kept_from_previous_run"] == ["broken"]
    index = (pack / "index.html").read_text(encoding="utf-8")
    assert re.search(
        r"<tr class=\"ok\">\s*<td><a href=\"ok.html\">A notebook that works</a>", index
    )
    # the kept page keeps its title (from the previous run.json)
    assert re.search(
        r"<tr class=\"failed\">\s*<td><a href=\"broken.html\">A notebook that fails</a>", index
    )


# -- command line ----------------------------------------------------------------------------
def test_cli_bad_quarter_exits_2_without_traceback(capsys):
    code = cli.main(["report", "--quarter", "2025Q5", "--data", str(SAMPLE)])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad quarter '2025Q5'" in err
    assert "Traceback" not in err


def test_cli_missing_data_exits_2(capsys, tmp_path):
    code = cli.main(["report", "--data", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    code = cli.main(["summary", "--data", str(tmp_path / "nope")])
    assert code == 2


def test_cli_bad_jobs_and_unknown_notebook(capsys, orders_only):
    assert cli.main(["report", "--data", str(orders_only), "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err
    assert cli.main(["report", "--data", str(orders_only), "--only", "nothing"]) == 2
    assert "matches no notebook" in capsys.readouterr().err


def test_cli_contract_prints_and_writes(capsys, tmp_path):
    from salesnb.schema import contract_markdown

    text = contract_markdown()
    expected = text if text.endswith("\n") else text + "\n"
    assert cli.main(["contract"]) == 0
    assert capsys.readouterr().out == expected
    target = tmp_path / "data-contract.md"
    assert cli.main(["contract", "--write", str(target)]) == 0
    assert target.read_text() == expected
    assert cli.main(["contract", "--write", str(tmp_path / "no" / "x.md")]) == 2


def test_cli_summary_prints_rows_per_table(capsys, orders_only):
    assert cli.main(["summary", "--data", str(orders_only)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"orders\s+\S+\s+4\s+3\s+1", out)
    assert "1 row(s) rejected" in out


def test_python_dash_m_salesnb_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "salesnb", "contract"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("# The salesnb data contract")


def test_index_and_leaderboard_pages_escape_data_values():
    evil = "<script>alert(1)</script>"
    env = _jinja()
    frame = pd.DataFrame({"rank": [1], "rep": [evil], "revenue": ["$1,000"]})
    meta = {
        "ok": True,
        "as_of": "2025-09-30",
        "region": evil,
        "data": evil,
        "mapping": None,
        "as_of_given": None,
        "quarter": "2025Q3",
        "jobs": 1,
        "salesnb_version": "0",
        "python": "3",
        "started_at": "now",
        "duration_s": 1.0,
    }
    result = report.NotebookResult(name=evil, ok=True, seconds=1.0, html="x.html")
    index = env.get_template("index.html.j2").render(
        title=evil,
        quarter="2025Q3",
        meta=meta,
        results=[result],
        headline=_table_rows(frame),
        attention=[evil],
        key_error=None,
        summary=_table_rows(frame),
        rejected_files={},
        notes=[evil],
        workbook=None,
    )
    board = env.get_template("leaderboard.html.j2").render(
        title=evil,
        quarter="2025Q3",
        refresh=60,
        board=_table_rows(frame),
        as_of="2025-09-30",
        generated="now",
    )
    for page in (index, board):
        assert evil not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert report.external_references(page) == []
    assert '<meta http-equiv="refresh" content="60">' in board


def test_index_and_leaderboard_pages_name_the_revenue_basis():
    env = _jinja()
    frame = pd.DataFrame({"rank": [1], "rep": ["Ann"], "revenue": ["$1,000"]})
    meta = {
        "ok": True,
        "as_of": "2025-09-30",
        "region": None,
        "data": "crm",
        "mapping": None,
        "as_of_given": None,
        "quarter": "2025Q3",
        "jobs": 1,
        "salesnb_version": "0",
        "python": "3",
        "started_at": "now",
        "duration_s": 1.0,
    }
    common = dict(quarter="2025Q3", title="T")
    index = env.get_template("index.html.j2").render(
        **common,
        meta=meta,
        results=[],
        headline=_table_rows(frame),
        attention=[],
        basis="revenue = won deals (CRM)",
        key_error=None,
        summary=_table_rows(frame),
        rejected_files={},
        notes=[],
        workbook=None,
    )
    board = env.get_template("leaderboard.html.j2").render(
        **common,
        refresh=60,
        board=_table_rows(frame),
        as_of="2025-09-30",
        basis="revenue = won deals (CRM)",
        generated="now",
    )
    for page in (index, board):
        assert "2025-09-30 · revenue = won deals (CRM)" in page
    unnamed = env.get_template("leaderboard.html.j2").render(
        **common, refresh=60, board=_table_rows(frame), as_of="2025-09-30", generated="now"
    )
    assert "revenue =" not in unnamed


def test_key_tables_name_the_basis_and_keep_orders_sheets(orders_only):
    import salesnb
    from salesnb import sections
    from salesnb.periods import Period

    sales = salesnb.load(orders_only)
    key = sections.key_tables(sales, Period.parse("2025Q3"))
    assert key["basis"] == "revenue = orders"
    assert {"revenue", "revenue_by_region"} <= set(key["workbook"])


def test_money_in_narrative_is_never_read_as_math(monkeypatch):
    """Two amounts in one sentence, the second signed ("-$143 ... +$113"), made a
    ``$...$`` math span in the page: the text between showed raw, with the Markdown
    escapes as backslashes ("customers back \\+$113", seen on a 10M-order pack)."""
    from salesnb import sections

    shown = []
    monkeypatch.setattr("salesnb.sections.format._display", lambda obj: shown.append(obj.data))
    sections.say(
        sections.bullet_list(
            [
                "Revenue $120 against $100 (+20.0%): lost customers -$15, customers back +$13, "
                "new customers +$20, volume +$2."
            ]
        )
    )
    sections.say("Revenue of {} against {} (ahead by -$5): **bold** -$3", "$10", "$15")
    sections.note("Gap -$4, rest +$6 \\\\$7")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": t, "text/plain": t})
        for t in shown
    ]
    nb.cells = [cell]
    page = report.NotebookRenderer().render(nb, title="T")
    text = re.sub(r"<[^>]+>", "", page)
    assert (
        "Revenue $120 against $100 (+20.0%): lost customers -$15, customers back +$13, "
        "new customers +$20, volume +$2." in text
    )
    assert "Revenue of $10 against $15 (ahead by -$5): bold -$3" in text
    assert "<strong>bold</strong>" in page
    assert "Gap -$4, rest +$6 \\$7" in text  # an escaped backslash stays one backslash
