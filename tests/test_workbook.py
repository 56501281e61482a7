"""The KPI workbook is formatted for a reader: number formats, headers, widths, no internals."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from salesnb import report, sections
from salesnb.numbers import number_style
from salesnb.report.workbook import readable_header


def _headline() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi": ["Revenue", "Win rate", "New leads"],
            "kind": ["money", "pct", "count"],
            "value": [611856.83, 0.31412, 1200.0],
            "previous": [574945.27, 0.29, 1100.0],
            "last_year": [531692.16, 0.33, 990.0],
        }
    )


def _revenue() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2026Q4", "2027Q1"],
            "period_start": pd.to_datetime(["2026-01-01", "2026-04-01"]),
            "revenue": [1234.5, 2345.25],
            "revenue_change_pct": [None, 0.9],
            "deals": [3, 12000],
            "closed_on": pd.to_datetime(["2026-03-31", "2026-06-30"]),
        }
    )


@pytest.fixture
def euro_workbook(tmp_path):
    frames = {
        "headline": _headline(),
        "revenue": _revenue(),
        "data_quality": pd.DataFrame(
            {"table": ["orders"], "source": ["/home/ann/exports/orders.csv"], "rows_read": [10]}
        ),
    }
    formats = {
        "headline": {"row_kind": "kind", "headers": {"value": "FY2027 Q1"}},
        "revenue": {"money": ["revenue"], "pct": ["revenue_change_pct"]},
    }
    with sections.using_settings(sections.report_settings(fiscal_year_start=4, currency="EUR")):
        path = report.write_workbook(frames, tmp_path / "k.xlsx", formats=formats)
    return load_workbook(path)


def test_money_carries_the_currency_and_rows_their_kind(euro_workbook):
    ws = euro_workbook["headline"]
    assert [c.value for c in ws[1]] == ["KPI", "FY2027 Q1", "Previous", "Last year"]
    # the kind column is applied as formats, not written
    assert ws["B2"].number_format == '#,##0\\ "€"' and ws["B2"].value == 611856.83
    assert ws["B3"].number_format == "0.0%" and ws["D3"].number_format == "0.0%"
    assert ws["B4"].number_format == "#,##0"
    assert ws["A2"].number_format == "General"  # text stays text


def test_columns_are_formatted_by_kind_with_readable_headers(euro_workbook):
    ws = euro_workbook["revenue"]
    headers = [c.value for c in ws[1]]
    assert headers == ["Period", "Revenue", "Change vs previous quarter (%)", "Deals", "Closed on"]
    assert [ws["A2"].value, ws["A3"].value] == ["FY2026 Q4", "FY2027 Q1"]  # period_start dropped
    assert ws["B2"].number_format == '#,##0\\ "€"'
    assert ws["C3"].number_format == "0.0%"
    assert ws["D3"].number_format == "#,##0"  # counts: thousands separators
    assert ws["E2"].number_format == "yyyy-mm-dd"
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    assert ws.auto_filter.ref == "A1:E3"
    width = ws.column_dimensions["C"].width
    assert width >= len("Change vs previous quarter (%)") + 2


def test_sources_show_the_file_name_only(euro_workbook):
    ws = euro_workbook["data_quality"]
    assert [c.value for c in ws[1]] == ["Table", "Source file", "Rows read"]
    assert ws["B2"].value == "orders.csv"


def test_dollar_money_format_by_default(tmp_path):
    frame = pd.DataFrame({"customer": ["Ann"], "amount": [1500.0]})
    path = report.write_workbook({"k": frame}, tmp_path / "k.xlsx", money={"k": ["amount"]})
    assert load_workbook(path)["k"]["B2"].number_format == '"$"#,##0'
    yen = report.write_workbook(
        {"k": frame}, tmp_path / "y.xlsx", money={"k": ["amount"]}, style=number_style("JPY")
    )
    assert load_workbook(yen)["k"]["B2"].number_format == '"¥"#,##0'


def test_unknown_format_key_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown format key"):
        report.write_workbook(
            {"k": pd.DataFrame({"a": [1]})}, tmp_path / "k.xlsx", formats={"k": {"percent": ["a"]}}
        )


def test_readable_headers():
    assert readable_header("deals_won") == "Deals won"
    assert readable_header("rows_rejected") == "Rows rejected"
    assert readable_header("vs 2026Q3") == "vs 2026Q3"


@pytest.mark.slow
def test_sample_pack_workbook_is_formatted_on_every_sheet(sample_pack):
    wb = load_workbook(sample_pack.out_dir / "kpis.xlsx")
    for ws in wb:
        headers = [c.value for c in ws[1]]
        assert ws.freeze_panes == "A2", ws.title
        assert not [h for h in headers if "_" in str(h)], (ws.title, headers)
        assert "Kind" not in headers and "kind" not in headers
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    assert cell.number_format != "General", (ws.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert "/" not in cell.value or " " in cell.value, (ws.title, cell.value)
    headline = wb["headline"]
    money = [r for r in headline.iter_rows(min_row=2) if r[0].value == "Revenue"][0]
    assert money[1].number_format == '"$"#,##0'
