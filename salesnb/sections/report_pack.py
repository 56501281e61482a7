"""The key tables of a report pack: index page, leaderboard page and KPI workbook."""

from __future__ import annotations

import logging

from salesnb.periods import Period
from salesnb.sections.data_notes import basis_label
from salesnb.sections.engine_inputs import kpi
from salesnb.sections.format import format_table
from salesnb.sections.guards import REVENUE, _empty_columns, missing_requirements
from salesnb.sections.headline import format_headline, headline_kpis, headline_series
from salesnb.sections.needs_attention import attention
from salesnb.sections.params import report_as_of
from salesnb.sections.period_rows import rows_for, up_to
from salesnb.sections.team import leaderboard, movement_text

__all__ = [
    "key_tables",
]

log = logging.getLogger(__name__)


def key_tables(sales, period: Period, *, currency: str | None = None) -> dict:
    """Everything the report index, leaderboard page and KPI workbook show.

    Returns
    -------
    dict
        ``headline`` (display frame), ``trend`` (:func:`headline_series`: each
        headline KPI's kind and quarterly history, for the index's cards),
        ``attention`` (list of plain-text messages), ``attention_items`` (the
        same as records with ``message, page, section``), ``leaderboard`` (display frame), ``basis`` (which table the
        revenue figures run on, e.g. "revenue = won deals (CRM)") and ``workbook``
        (sheet name -> (frame, formats of
        :func:`salesnb.report.workbook.write_workbook`: ``{"money": [...], "pct":
        [...], ...}``)). Revenue figures
        run on ``sales.revenue_lines`` (orders, or won deals without orders).
    """
    out: dict = {"workbook": {}, "basis": basis_label(sales)}
    errors = []
    out["trend"] = headline_series(sales, period)
    headline = headline_kpis(sales, period, series=out["trend"])
    out["headline"] = format_headline(headline, period, currency=currency)
    out["workbook"]["headline"] = (
        headline,
        {
            "row_kind": "kind",  # money, pct or count per KPI
            "headers": {
                "value": period.title,
                "previous": period.previous().title,
                "last_year": period.same_period_last_year().title,
            },
        },
    )
    try:
        att = attention(sales, period, currency=currency, series=out["trend"])
        out["attention"] = att["message"].tolist()
        out["attention_items"] = att[["message", "page", "section"]].to_dict("records")
        out["workbook"]["attention"] = (att, {})
    except Exception as exc:  # keep the pack; say what failed
        log.warning("attention list failed: %s", exc)
        errors.append(f"attention list: {exc}")
        out["attention"] = []
        out["attention_items"] = []
    board = leaderboard(sales, period)
    if len(board):
        shown = board[["rank", "rep", "team", "region", "revenue", "deals_won", "attainment"]]
        shown = shown.assign(move=[movement_text(m) for m in board["movement"]])
        out["leaderboard"] = format_table(
            shown,
            money=["revenue"],
            pct=["attainment"],
            currency=currency,
            rename={"deals_won": "deals won", "attainment": "quota", "move": "vs last qtr"},
        )
        out["workbook"]["leaderboard"] = (
            board,
            {
                "money": ["revenue"],
                "pct": ["attainment"],
                "count": ["rank", "deals_won", "movement"],
                "headers": {"attainment": "Quota attainment"},
            },
        )
    if not missing_requirements(sales, [REVENUE]):
        out["workbook"].update(_revenue_sheets(sales, period))
    if not missing_requirements(sales, [], columns={"orders": ["due_date", "paid_at"]}):
        ageing = kpi.receivables_ageing(sales.orders, as_of=report_as_of(period, sales.as_of))
        out["workbook"]["receivables_ageing"] = (
            ageing,
            {"money": ["amount"], "pct": ["amount_share"], "count": ["orders"]},
        )
    if errors:
        out["_error"] = "; ".join(errors)
    return out


def _revenue_sheets(sales, period: Period) -> dict:
    """Workbook sheets computed from the revenue lines: revenue, by region, targets."""
    sheets: dict = {}
    lines = sales.revenue_lines
    rev = up_to(kpi.revenue(lines), period)
    sheets["revenue"] = (
        rev,
        {
            "money": ["revenue", "revenue_prev", "revenue_change", "revenue_ly", "revenue_yoy"],
            "pct": ["revenue_change_pct", "revenue_yoy_pct"],
        },
    )
    if not _empty_columns(lines, ["region"]):
        reg = rows_for(kpi.revenue(lines, by="region"), period)
        sheets["revenue_by_region"] = (
            reg,
            {
                "money": ["revenue", "revenue_prev", "revenue_change", "revenue_ly", "revenue_yoy"],
                "pct": ["revenue_change_pct", "revenue_yoy_pct"],
            },
        )
    if not missing_requirements(sales, ["targets"]):
        att_t = up_to(kpi.target_attainment(lines, sales.targets), period)
        sheets["target_attainment"] = (
            att_t,
            {"money": ["actual", "target", "gap"], "pct": ["attainment"]},
        )
    return sheets
