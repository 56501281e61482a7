"""Charts for the report pack, in one house theme.

Every chart function has the shape ``chart(data, *, ax=None, ...) -> Axes``:
it takes a tidy frame (as returned by the KPI and model functions), draws on
``ax`` (a new figure when ``None``) and returns the axes. Each chart has a
title, and axes are labelled with their unit (money axes carry the currency
symbol and thousands separators, rates are shown in percent) so that a
printed page reads on its own.

The theme is applied explicitly with :func:`set_theme`, never at import.
:func:`show` displays a figure in a notebook as an embedded PNG whose
alternative text is the chart title (the HTML report uses it as ``alt``).

>>> import pandas as pd
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> frame = pd.DataFrame({"region": ["North", "South"], "revenue": [1200.0, 3400.0]})
>>> ax = bar_chart(frame, x="region", y="revenue", title="Revenue by region",
...                money=True, currency="$")
>>> ax.get_title(loc="left"), ax.get_ylabel()
('Revenue by region', 'Revenue ($)')
>>> close(ax)
"""

from salesnb.plot.charts import (
    actual_vs_target_chart,
    bar_chart,
    forecast_chart,
    funnel_chart,
    heatmap_chart,
    leaderboard_chart,
    lift_chart,
    line_chart,
    scatter_chart,
)
from salesnb.plot.display import close, figure_png, show
from salesnb.plot.layout import (
    BAR_HEIGHT_IN,
    bar_figsize,
    fit_bar_labels,
    legend_outside,
    reference_line,
    reference_lines,
    top_n_rest,
    untangle_x_labels,
)
from salesnb.plot.panels import small_multiples_chart
from salesnb.plot.theme import (
    PALETTE,
    DistinctFormatter,
    money_formatter,
    percent_formatter,
    set_theme,
)

__all__ = [
    "PALETTE",
    "set_theme",
    "money_formatter",
    "bar_chart",
    "line_chart",
    "actual_vs_target_chart",
    "forecast_chart",
    "funnel_chart",
    "lift_chart",
    "heatmap_chart",
    "scatter_chart",
    "leaderboard_chart",
    "small_multiples_chart",
    "BAR_HEIGHT_IN",
    "bar_figsize",
    "legend_outside",
    "reference_line",
    "reference_lines",
    "top_n_rest",
    "fit_bar_labels",
    "untangle_x_labels",
    "DistinctFormatter",
    "percent_formatter",
    "figure_png",
    "show",
    "close",
]
