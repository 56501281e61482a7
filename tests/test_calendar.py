"""The company's own calendar and money: set once, used by every table, sentence and KPI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import salesnb
from salesnb import cli, numbers, report, sections
from salesnb.errors import MappingError
from salesnb.load import mapping_settings
from salesnb.periods import Period

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
APRIL_EURO = sections.ReportSettings(fiscal_year_start=4, currency="€", number_style="de")


# -- number style ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("currency", "style", "value", "decimals", "expected"),
    [
        ("$", None, 1234.56, 2, "$1,234.56"),
        ("EUR", None, 1234.56, 2, "1.234,56\u00a0€"),
        ("€", "en", 1234.56, 2, "€1,234.56"),
        ("¥", None, 1234.56, 2, "¥1,235"),  # no minor unit: never decimals
        ("JPY", None, -1234567.4, 0, "-¥1,234,567"),
        ("EUR", "fr", 1234567.0, 0, "1\u00a0234\u00a0567\u00a0€"),
        ("CHF", "ch", 1234.5, 2, "CHF\u00a01'234.50"),
    ],
)
def test_money_in_the_company_style(currency, style, value, decimals, expected):
    got = numbers.money_text(value, decimals=decimals, style=numbers.number_style(currency, style))
    assert got == expected


def test_active_style_drives_the_section_formatters():
    with sections.using_settings(APRIL_EURO):
        assert sections.fmt_money(1234567.891) == "1.234.568\u00a0€"
        assert sections.fmt_pct(0.5671) == "56,7%"
        assert sections.fmt_change(110, 100) == "+10,0%"
        assert sections.value_text(85.45, "days") == "85,5 days"
        assert sections.compact_money(1_250_000) == "1,3M\u00a0€"
    assert sections.fmt_money(1234567.891) == "$1,234,568"  # back to the default after


def test_decimals_per_kind_are_the_same_in_every_table():
    frame = pd.DataFrame(
        {"share": [0.5671], "median_days": [85.45], "spearman": [0.87654], "amount": [1234.5]}
    )
    out = sections.format_table(
        frame, pct=["share"], days=["median_days"], number=["spearman"], money=["amount"],
        decimals=3,
    )  # fmt: skip
    # decimals choose the number columns only: rates and days keep one decimal, money none
    assert out.iloc[0].tolist() == ["56.7%", "85.5", "0.877", "$1,235"]


# -- mapping [settings] and precedence -----------------------------------------------------------
def test_mapping_settings_section(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[settings]\nfiscal_year_start = 4\ncurrency = "EUR"\nnumber_style = "fr"\n')
    assert mapping_settings(path) == {
        "fiscal_year_start": 4,
        "currency": "EUR",
        "number_style": "fr",
    }
    settings = sections.report_settings(path)
    assert (settings.fiscal_year_start, settings.currency, settings.number_style) == (4, "€", "fr")
    # an explicit value (a CLI flag, a notebook parameter) wins over the mapping
    assert sections.report_settings(path, currency="¥", fiscal_year_start=1).currency == "¥"
    assert sections.report_settings(path, fiscal_year_start=1).fiscal_year_start == 1
    assert sections.report_settings() == sections.ReportSettings(1, "$", "en")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"fiscal_year_start": 13}, "fiscal_year_start = 13"),
        ({"fiscal_year_start": "april"}, "month number"),
        ({"currency": ""}, "currency"),
        ({"number_style": "us"}, "number_style = 'us'.*de \\(1.234,56\\)"),
        ({"fiscal_year": 4}, "unknown key.*fiscal_year"),
    ],
)
def test_bad_settings_name_the_key(section, message):
    with pytest.raises(MappingError, match=message):
        mapping_settings({"settings": section})


# -- fiscal quarters ---------------------------------------------------------------------------
def test_fiscal_quarter_titles_and_parsing():
    q = Period.parse("FY2027 Q1", fiscal_year_start=4)
    assert (q.label, q.title, str(q.start.date())) == ("2027Q1", "FY2027 Q1", "2026-04-01")
    assert Period.parse("fy2027q1", fiscal_year_start=4) == q
    assert Period.parse("2025Q3").title == "2025Q3"  # calendar quarters keep their label
    with sections.using_settings(APRIL_EURO):
        period = sections.report_quarter(None, "2026-09-30")
        assert period.title == "FY2027 Q2"
        assert sections.report_quarter("FY2027 Q2", "2026-09-30") == period
        header = sections.report_header(period, type("S", (), {"as_of": "2026-09-30"})())
    assert header.startswith("Quarter **FY2027 Q2** (2026-07-01 to 2026-09-30)")


def test_format_table_shows_fiscal_titles_and_forecast_quarters():
    frame = pd.DataFrame({"period": ["2027Q1"], "quarter": ["2026Q4"], "v": [1.0]})
    with sections.using_settings(APRIL_EURO):
        out = sections.format_table(frame)
    # KPI periods are fiscal labels; the forecasts' quarters are calendar quarters
    assert out.iloc[0].tolist()[:2] == ["FY2027 Q1", "FY2027 Q3"]
    assert sections.format_table(frame).iloc[0].tolist()[:2] == ["2027Q1", "2026Q4"]


@pytest.fixture(scope="module")
def sample():
    if not (SAMPLE / "orders.csv").exists():
        pytest.skip("data/sample has not been generated")
    return salesnb.load(SAMPLE)


def test_kpis_count_in_the_report_calendar(sample):
    kpi = sections.kpi_for(sample)
    lines = sample.revenue_lines
    with sections.using_settings(APRIL_EURO):
        fiscal = kpi.revenue(lines, compare=False)
        given = kpi.revenue(lines, compare=False, fiscal_year_start=1)  # a caller's value wins
        late = sections.late_payment_share(sample.orders, as_of="2026-09-30")
    expected = salesnb.kpi.revenue(lines, compare=False, fiscal_year_start=4)
    pd.testing.assert_frame_equal(fiscal.reset_index(drop=True), expected.reset_index(drop=True))
    assert given["period_start"].dt.month.isin([1, 4, 7, 10]).all()
    assert fiscal.loc[fiscal["period"] == "2027Q2", "period_start"].dt.month.tolist() == [7]
    row = late.loc[late["period"] == "2027Q1"].iloc[0]
    assert row["period_start"] == pd.Timestamp("2026-04-01")


def test_pack_tables_follow_the_settings(sample):
    with sections.using_settings(APRIL_EURO):
        period = sections.report_quarter(None, sample.as_of)
        key = sections.key_tables(sample, period)
    text = key["headline"].to_string() + key["leaderboard"].to_string() + " ".join(key["attention"])
    assert "$" not in text and "€" in text
    assert "FY2027 Q2" in key["headline"].columns
    assert key["workbook"]["headline"][1]["headers"]["value"] == "FY2027 Q2"


# -- command line and runner -----------------------------------------------------------------
def test_cli_reads_the_settings_flags():
    parser = cli.build_parser()
    args = parser.parse_args(
        ["report", "--fiscal-year-start", "april", "--currency", "EUR", "--number-style", "fr"]
    )
    assert (args.fiscal_year_start, args.currency, args.number_style) == (4, "EUR", "fr")
    assert parser.parse_args(["report", "--fiscal-year-start", "7"]).fiscal_year_start == 7
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "--fiscal-year-start", "13"])


def test_runner_refuses_bad_settings_before_loading(tmp_path):
    with pytest.raises(report.ReportError, match="fiscal_year_start = 0"):
        report.run_report(out=tmp_path, fiscal_year_start=0, progress=False)
    with pytest.raises(report.ReportError, match="number style 'xx'"):
        report.run_report(out=tmp_path, number_style="xx", progress=False)


# -- one definition per label ---------------------------------------------------------------------
def test_overdue_footnote_says_how_it_differs():
    text = sections.overdue_footnote("2026-09-30")
    assert "unpaid and past due on 2026-09-30" in text
    assert "not paid by the due date" in text and "**due** in each quarter" in text


@pytest.mark.slow
def test_sample_pages_say_which_window_a_figure_uses(sample_pack):
    pages = {p.stem: p.read_text(encoding="utf-8") for p in sample_pack.out_dir.glob("*.html")}
    assert "win rate, deals closed in the last 365 days" in pages["01_leads_conversion"]
    assert "median cycle, all won deals (days)" in pages["01_leads_conversion"]
    assert "median cycle, deals won in 2026Q3 (days)" in pages["04_team_performance"]
    assert "win rate, deals closed in 2026Q3" in pages["04_team_performance"]
    assert "Overdue</em> here" in pages["05_orders_collections_market"]


# -- a pack in the company's own calendar and money ---------------------------------------------
def _visible(page: str) -> str:
    import html
    import re

    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


@pytest.fixture(scope="module")
def april_euro_pack(tmp_path_factory):
    """The one extra pack: the sample with a mapping holding only ``[settings]``."""
    if not (SAMPLE / "orders.csv").exists():
        pytest.skip("data/sample has not been generated")
    folder = tmp_path_factory.mktemp("april_euro")
    mapping = folder / "settings.toml"
    mapping.write_text('[settings]\nfiscal_year_start = 4\ncurrency = "EUR"\n', encoding="utf-8")
    return report.run_report(
        data=SAMPLE, mapping=mapping, out=folder / "out", jobs=2, progress=False
    )


@pytest.mark.slow
def test_april_euro_pack_shows_fiscal_quarters_and_euros_everywhere(april_euro_pack):
    import json
    import re

    from openpyxl import load_workbook

    pack = april_euro_pack
    assert pack.ok, [nb.error for nb in pack.notebooks if nb.error]
    assert pack.out_dir.name == "2027Q2"  # the latest complete fiscal quarter: Jul-Sep 2026
    pages = {p.stem: _visible(p.read_text(encoding="utf-8")) for p in pack.out_dir.glob("*.html")}
    assert len(pages) == 9  # seven notebook pages, index, leaderboard
    for name, text in pages.items():
        assert "$" not in text, (name, text[text.find("$") - 80 : text.find("$") + 40])
        assert "FY2027 Q2" in text, name
        assert "€" in text or name == "01_leads_conversion", name
        if name != "index":  # the index also lists the run's raw parameters
            calendar = re.findall(r"(?<![\w ])20\d\dQ[1-4]\b", text)
            assert not calendar, (name, calendar)
    assert "Quarter FY2027 Q2 (2026-07-01 to 2026-09-30)" in pages["00_executive_summary"]
    assert re.search(r"\d{1,3}(\.\d{3})+\s€", pages["02_revenue_forecast"])  # 611.857 €
    wb = load_workbook(pack.out_dir / "kpis.xlsx")
    assert "FY2027 Q2" in [c.value for c in wb["headline"][1]]
    assert wb["revenue"]["B2"].number_format == '#,##0\\ "€"'
    meta = json.loads((pack.out_dir / "run.json").read_text(encoding="utf-8"))
    assert meta["settings"] == {"fiscal_year_start": 4, "currency": "€", "number_style": "de"}


def test_chart_axes_write_fiscal_quarters_with_their_year():
    """A chart of KPI periods in a fiscal calendar reads FY2027 Q1, not 2027Q1 (a
    calendar quarter to a reader); other categories and the calendar year stay as they are."""
    import matplotlib

    matplotlib.use("Agg")
    from salesnb import plot
    from salesnb.sections.settings import ReportSettings, using_settings

    frame = pd.DataFrame({"period": ["2027Q1", "2027Q2", "2027Q3"], "revenue": [1.0, 2.0, 3.0]})
    with using_settings(ReportSettings(fiscal_year_start=4)):
        ax = plot.bar_chart(frame, x="period", y="revenue", title="Revenue")
        fiscal = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
        regions = plot.bar_chart(frame.assign(period=["North", "South", "2027"]), x="period",
                                 y="revenue", title="By region")  # fmt: skip
        names = [t.get_text() for t in regions.get_xticklabels()]
    calendar = plot.bar_chart(frame, x="period", y="revenue", title="Revenue")
    assert fiscal == ["FY2027 Q1", "FY2027 Q2", "FY2027 Q3"]
    assert names == ["North", "South", "2027"]
    assert [t.get_text() for t in calendar.get_xticklabels()] == ["2027Q1", "2027Q2", "2027Q3"]
    for ax_ in (ax, regions, calendar):
        plot.close(ax_)
