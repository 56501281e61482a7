"""Building blocks for report notebooks: notes, formatted tables, narrative text.

A report notebook orchestrates; this package holds the little logic a notebook
would otherwise repeat, one module per job:

* :mod:`~salesnb.sections.params` — notebook parameters made concrete: data
  location, quarter, its "now", the header line;
* :mod:`~salesnb.sections.settings` — the company's calendar and money (fiscal
  year start, currency, number style), set once per report;
* :mod:`~salesnb.sections.guards` — whether a section can run, a note when not;
* :mod:`~salesnb.sections.data_notes` — rows not loaded, empty inputs, the
  revenue basis a page uses;
* :mod:`~salesnb.sections.format` — numbers, Markdown text and HTML tables;
* :mod:`~salesnb.sections.period_rows` — KPI table rows by period;
* :mod:`~salesnb.sections.narrative` — a KPI's change, the best row of a ranking;
* topics: :mod:`~salesnb.sections.headline`, :mod:`~salesnb.sections.leads`,
  :mod:`~salesnb.sections.conversion`,
  :mod:`~salesnb.sections.revenue`, :mod:`~salesnb.sections.team`,
  :mod:`~salesnb.sections.collections`, :mod:`~salesnb.sections.market`,
  :mod:`~salesnb.sections.customer_value`;
* :mod:`~salesnb.sections.needs_attention` (with
  :mod:`~salesnb.sections.thresholds`) — the attention list;
* :mod:`~salesnb.sections.report_pack` — the key tables of a report pack;
* :mod:`~salesnb.sections.snapshot` — the data a report run loaded once, for its notebooks;
* :mod:`~salesnb.sections.engine_inputs` — KPI results and model inputs from an engine to pandas.
"""

from salesnb.sections.cohorts import cohort_matrix
from salesnb.sections.collections import late_payment_share, overdue_footnote
from salesnb.sections.conversion import (
    conversion_by_quarter,
    equal_age_rule,
    gains_by_scorer,
    leads_to_call,
    scorer_name,
    scoring_table,
    skill_sentence,
)
from salesnb.sections.customer_value import (
    HoldoutVerdict,
    customer_value_ranking,
    holdout_table,
    holdout_verdict,
    top_customers_intro,
)
from salesnb.sections.data_notes import (
    basis_label,
    basis_note,
    has_open_deals,
    nothing_raised,
    open_deal_count,
    rejected_alert,
    rejected_note,
    rejected_reasons,
    rejected_share,
    rejected_summary,
    show_rejected,
)
from salesnb.sections.engine_inputs import (
    clv_summary,
    clv_transactions,
    collect,
    customer_names,
    daily_revenue,
    kpi_for,
    models_for,
    rfm_segments,
)
from salesnb.sections.forecasting import (
    GroupForecast,
    backtest_table,
    bias_sentence,
    forecast_skill_sentence,
    group_forecast,
    metrics_explanation,
    reconciliation_sentence,
    region_forecast_table,
)
from salesnb.sections.format import (
    bullet_list,
    compact_money,
    fmt_change,
    fmt_days,
    fmt_money,
    fmt_number,
    fmt_pct,
    format_table,
    md_escape,
    note,
    say,
    show_table,
    table,
    value_text,
)
from salesnb.sections.guards import (
    REVENUE,
    attempt,
    missing_requirements,
    requires,
    revenue_source,
    unavailable_note,
)
from salesnb.sections.headline import (
    HEADLINE_KPIS,
    LOWER_IS_BETTER,
    better_direction,
    format_headline,
    headline_kpis,
    headline_series,
)
from salesnb.sections.leads import CONVERSION_WINDOW_DAYS, conversion_sentence
from salesnb.sections.market import (
    competitor_price_panels,
    competitor_undercuts,
    product_orders,
    product_orders_sentence,
)
from salesnb.sections.names import label, name_map, with_names
from salesnb.sections.narrative import (
    analyst_details,
    change_sentence,
    deals_worth_sentence,
    ranking_sentence,
    show_details,
)
from salesnb.sections.needs_attention import (
    attention,
    backorder_sentence,
    declining_regions,
    rejected_tables,
    unusual_moves,
)
from salesnb.sections.params import (
    DATA_URL_VARIABLE,
    PROJECT_ROOT,
    SAMPLE_DATA,
    report_as_of,
    report_header,
    report_quarter,
    resolve_data_path,
)
from salesnb.sections.period_rows import row_for, rows_for, up_to, with_comparisons
from salesnb.sections.report_pack import key_tables
from salesnb.sections.revenue import (
    attainment_sentence,
    forecast_sentence,
    history_and_forecast,
)
from salesnb.sections.settings import (
    ReportSettings,
    active_settings,
    period_text,
    report_settings,
    use_settings,
    using_settings,
)
from salesnb.sections.snapshot import open_data, read_snapshot, write_snapshot
from salesnb.sections.team import leaderboard, movement_text
from salesnb.sections.thresholds import (
    DECLINE_QUARTERS,
    REJECTED_SHARE,
    SATISFACTION_SLOPE,
    SLOW_CYCLE_RATIO,
    UNDERCUT_THRESHOLD,
    USUAL_RANGE_QUARTERS,
    USUAL_RANGE_SD,
)

__all__ = [
    "PROJECT_ROOT",
    "DATA_URL_VARIABLE",
    "SAMPLE_DATA",
    "resolve_data_path",
    "report_quarter",
    "missing_requirements",
    "requires",
    "unavailable_note",
    "note",
    "say",
    "md_escape",
    "fmt_money",
    "fmt_number",
    "fmt_pct",
    "fmt_change",
    "format_table",
    "table",
    "show_table",
    "show_details",
    "analyst_details",
    "attempt",
    "value_text",
    "report_as_of",
    "report_header",
    "row_for",
    "rows_for",
    "up_to",
    "change_sentence",
    "history_and_forecast",
    "attainment_sentence",
    "forecast_sentence",
    "forecast_skill_sentence",
    "GroupForecast",
    "group_forecast",
    "bias_sentence",
    "metrics_explanation",
    "backtest_table",
    "region_forecast_table",
    "reconciliation_sentence",
    "HEADLINE_KPIS",
    "LOWER_IS_BETTER",
    "better_direction",
    "late_payment_share",
    "overdue_footnote",
    "headline_series",
    "headline_kpis",
    "format_headline",
    "declining_regions",
    "unusual_moves",
    "backorder_sentence",
    "attention",
    "bullet_list",
    "competitor_undercuts",
    "competitor_price_panels",
    "product_orders",
    "product_orders_sentence",
    "cohort_matrix",
    "label",
    "name_map",
    "with_names",
    "leaderboard",
    "key_tables",
    "ranking_sentence",
    "deals_worth_sentence",
    "conversion_sentence",
    "equal_age_rule",
    "conversion_by_quarter",
    "scorer_name",
    "skill_sentence",
    "scoring_table",
    "leads_to_call",
    "gains_by_scorer",
    "with_comparisons",
    "CONVERSION_WINDOW_DAYS",
    "movement_text",
    "DECLINE_QUARTERS",
    "USUAL_RANGE_QUARTERS",
    "USUAL_RANGE_SD",
    "SLOW_CYCLE_RATIO",
    "UNDERCUT_THRESHOLD",
    "SATISFACTION_SLOPE",
    "REJECTED_SHARE",
    "REVENUE",
    "revenue_source",
    "rejected_reasons",
    "rejected_note",
    "rejected_alert",
    "rejected_share",
    "rejected_summary",
    "rejected_tables",
    "show_rejected",
    "nothing_raised",
    "open_deal_count",
    "has_open_deals",
    "basis_label",
    "basis_note",
    "open_data",
    "collect",
    "kpi_for",
    "models_for",
    "daily_revenue",
    "clv_summary",
    "clv_transactions",
    "customer_names",
    "rfm_segments",
    "read_snapshot",
    "write_snapshot",
    "HoldoutVerdict",
    "holdout_verdict",
    "holdout_table",
    "customer_value_ranking",
    "top_customers_intro",
    "ReportSettings",
    "report_settings",
    "use_settings",
    "using_settings",
    "active_settings",
    "period_text",
    "fmt_days",
    "compact_money",
]
