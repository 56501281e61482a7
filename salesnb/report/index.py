"""The pack's own files around the notebook pages: index, TV leaderboard, KPI workbook.

``index.html`` is a dashboard: the headline KPIs as cards with their changes and
trend lines, the attention list linking to the sections that explain each item
(:mod:`salesnb.report.dashboard`), the notebook pages by title, the run metadata
and the data quality, with the rejected rows as CSV next to it;
``leaderboard.html`` is large type for a TV and refreshes itself; ``kpis.xlsx``
holds the key KPI tables. Every data value that reaches a page is escaped
(Jinja2 autoescape); values written to CSV or Excel cannot run as formulas.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from salesnb import sections
from salesnb.report.dashboard import attention_links, kpi_cards
from salesnb.report.files import write_text_atomic
from salesnb.report.render import TEMPLATES_DIR
from salesnb.report.workbook import _csv_text, write_workbook

__all__ = ["LEADERBOARD_REFRESH_S", "LEADERBOARD_ROWS"]

log = logging.getLogger(__name__)

#: Seconds the leaderboard page waits before reloading itself.
LEADERBOARD_REFRESH_S = 300
#: Reps shown on the leaderboard page (large type: a TV shows about ten rows).
LEADERBOARD_ROWS = 10


def _jinja():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda v, currency=None: sections.fmt_money(v, currency=currency)
    env.filters["pct"] = lambda v: sections.fmt_pct(v)
    env.filters["number"] = lambda v, d=0: sections.fmt_number(v, decimals=d)
    return env


def _table_rows(frame: pd.DataFrame | None) -> tuple[list[str], list[list[str]]]:
    if frame is None or frame.empty:
        return [], []
    return [str(c) for c in frame.columns], [
        ["" if (isinstance(v, float) and v != v) else str(v) for v in row]
        for row in frame.itertuples(index=False)
    ]


def _summary_display(summary: pd.DataFrame, rejected_files: Mapping[str, str]) -> pd.DataFrame:
    if summary is None or summary.empty:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "table": summary["table"],
            "rows read": [sections.fmt_number(v) for v in summary["rows_read"]],
            "rows loaded": [sections.fmt_number(v) for v in summary["rows_loaded"]],
            "rows rejected": [sections.fmt_number(v) for v in summary["rows_rejected"]],
            "first date": [
                ("" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d"))
                for v in summary["first_date"]
            ],
            "last date": [
                ("" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d"))
                for v in summary["last_date"]
            ],
        }
    )
    return out


def _write_key_workbook(key, summary: pd.DataFrame, path: Path) -> Path | None:
    tables: dict[str, pd.DataFrame] = {}
    formats: dict[str, dict] = {}
    if isinstance(key, dict):
        for name, value in key.get("workbook", {}).items():
            frame, fmt = value if isinstance(value, tuple) else (value, {})
            tables[name] = frame
            formats[name] = dict(fmt)
    if summary is not None:
        tables["data_quality"] = summary
        formats["data_quality"] = {"count": ["rows_read", "rows_loaded", "rows_rejected"]}
    if not tables:
        return None
    return write_workbook(tables, path, formats=formats)


def _pack_tables(loaded, view, period, build: Path) -> tuple:
    """Data quality and key tables: computed while the notebooks run.

    Returns ``(summary, rejected_files, key)``: the load summary, the CSV file
    written into ``build`` per table with rejected rows, and the key KPI tables
    of ``view`` for ``period`` (``{"_error": message}`` when they failed).
    """
    summary = loaded.summary()
    rejected_files = {}
    for table, frame in loaded.rejected.items():
        if frame is not None and len(frame):
            name = f"rejected_{table}.csv"
            write_text_atomic(build / name, _csv_text(frame))
            rejected_files[table] = name
    try:
        with warnings.catch_warnings():  # library deprecation chatter
            warnings.simplefilter("ignore", FutureWarning)
            key = sections.key_tables(view, period)
        key["period"] = period  # the cards' quarter (its label may be a fiscal one)
    except Exception as exc:  # the pack still ships; the index says what failed
        log.warning("key KPI tables failed: %s", exc)
        key = {"_error": str(exc)}
    return summary, rejected_files, key


def _write_pages(
    build: Path,
    *,
    label: str,
    region: str | None,
    loaded,
    metadata: dict,
    results: list,
    key,
    key_error: str | None,
    summary: pd.DataFrame,
    rejected_files: Mapping[str, str],
    workbook: Path | None,
    started_at,
    currency: str | None = None,
) -> None:
    """Write ``index.html`` and ``leaderboard.html`` into ``build``.

    The notebook pages are already in ``build``: the attention items link to
    their sections only where the anchors exist.
    """
    label = sections.period_text(label)  # FY2027 Q1 in a fiscal calendar
    env = _jinja()
    key = key if isinstance(key, dict) else {}
    headline = key.get("headline")
    trend = key.get("trend") or {}
    period = key.get("period")
    cards = kpi_cards(trend, period, currency=currency) if trend and period else []
    titles = {r.name: r.label for r in results}
    index_html = env.get_template("index.html.j2").render(
        title=f"Sales report {label}" + (f" — {region}" if region else ""),
        quarter=label,
        meta=metadata,
        results=results,
        headline=_table_rows(headline),
        cards=cards,
        attention=attention_links(key.get("attention_items", []), build, titles=titles)
        or key.get("attention", []),
        basis=key.get("basis"),
        key_error=key_error,
        summary=_table_rows(_summary_display(summary, rejected_files)),
        rejected_files=rejected_files,
        notes=list(loaded.notes),
        workbook=workbook.name if workbook else None,
    )
    write_text_atomic(build / "index.html", index_html)
    board = key.get("leaderboard")
    board_html = env.get_template("leaderboard.html.j2").render(
        title=f"Leaderboard {label}" + (f" — {region}" if region else ""),
        quarter=label,
        refresh=LEADERBOARD_REFRESH_S,
        board=_table_rows(None if board is None else board.head(LEADERBOARD_ROWS)),
        as_of=str(loaded.as_of.date()),
        basis=key.get("basis"),
        generated=f"{started_at:%Y-%m-%d %H:%M}",
    )
    write_text_atomic(build / "leaderboard.html", board_html)
