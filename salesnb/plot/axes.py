"""What every chart shares: a new or given axes, column checks, the value axis, the title
and labels, data text drawn as plain text, and the empty-data chart.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.category import StrCategoryLocator
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator

from salesnb.numbers import active_number_style
from salesnb.periods import period_title
from salesnb.plot.layout import legend_outside
from salesnb.plot.theme import _FIGSIZE, _count_formatter, money_formatter, percent_formatter


def _label(
    text: str | None, *, money: bool = False, percent: bool = False, currency: str = "$"
) -> str:
    text = (text or "").replace("_", " ")
    text = text[:1].upper() + text[1:]
    if money and currency:
        return f"{text} ({currency})"
    if percent:
        return f"{text} (%)"
    return text


def _new_ax(ax: Axes | None, figsize=None) -> Axes:
    if ax is not None:
        return ax
    _fig, new = plt.subplots(figsize=figsize or _FIGSIZE)
    return new


def _check(data: pd.DataFrame, cols: Sequence[str | None], chart: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{chart} expects a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in cols if c is not None and c not in data.columns]
    if missing:
        raise KeyError(f"{chart}: missing column(s) {missing}; the frame has {list(data.columns)}")


def _value_axis(ax: Axes, *, axis: str, money: bool, percent: bool, currency: str) -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    if money:
        target.set_major_formatter(money_formatter(currency))
    elif percent:
        target.set_major_formatter(percent_formatter())
    else:
        target.set_major_formatter(_count_formatter())


def _finish(ax: Axes, *, title: str, xlabel: str | None, ylabel: str | None) -> Axes:
    ax.set_title(title, loc="left")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    legend = ax.get_legend()
    if legend is not None and legend.get_title() is not None:
        legend.get_title().set_text(legend.get_title().get_text().replace("_", " "))
    return _plain_text(ax)


def _empty(ax: Axes, title: str) -> Axes:
    ax.set_title(title, loc="left")
    ax.text(
        0.5,
        0.5,
        "no data for this selection",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="0.4",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    return _plain_text(ax)


# -- data text ----------------------------------------------------------------------------
#: Characters per line of a category label or legend entry, and lines at most.
_LABEL_WIDTH = 28
_LABEL_LINES = 2
#: Characters of a one-line category label of a horizontal bar ("C00100 Riverside
#: Consulting Group").
_ROW_WIDTH = 40
#: x tick labels are wrapped (up to three lines) to fit their share of the axis width;
#: labels that would still not fit are turned 45 degrees, one line each.


def _fit(text: str, *, width: int = _LABEL_WIDTH, lines: int = _LABEL_LINES) -> str:
    """A label that fits: wrapped at ``width`` characters on at most ``lines`` lines, the
    rest cut with an ellipsis. Short labels are returned unchanged.

    >>> _fit("North")
    'North'
    >>> _fit("Greater Metropolitan Area Holdings and Partners of the West", width=20)
    'Greater Metropolitan\\nArea Holdings and…'
    >>> _fit("x" * 30, width=10, lines=1)
    'xxxxxxxxx…'
    """
    if len(text) <= width and "\n" not in text:
        return text
    wrapped = textwrap.wrap(text, width=width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return "\n".join(wrapped)


#: A quarter or half label of the KPI tables (``2027Q1``, ``2027H2``).
_PERIOD_LABEL = re.compile(r"^\d{4}[QH]\d$")


def _category_labels(axis: Axis) -> list[str] | None:
    """The tick labels of an axis of categories (names, periods), or None for a value axis."""
    if not isinstance(axis.get_major_locator(), (FixedLocator, StrCategoryLocator)):
        return None
    locs = list(axis.get_majorticklocs())
    axis.set_major_locator(FixedLocator(locs))
    labels = [str(label) for label in axis.get_major_formatter().format_ticks(locs)]
    fiscal = active_number_style().fiscal_year_start
    if fiscal != 1:  # the company's quarters read as such: 2027Q1 -> FY2027 Q1
        labels = [
            period_title(label, fiscal_year_start=fiscal) if _PERIOD_LABEL.match(label) else label
            for label in labels
        ]
    return labels


def _rotated(axis: Axis) -> bool:
    return any(tick.label1.get_rotation() % 180 for tick in axis.get_major_ticks())


def _fit_ticks(ax: Axes) -> None:
    """Category tick labels as plain text, wrapped or shortened so they do not overlap."""
    for axis in (ax.xaxis, ax.yaxis):
        labels = _category_labels(axis)
        if not labels:
            continue
        if axis is ax.yaxis:
            lines = _LABEL_LINES if _row_height(ax, len(labels)) >= 2.4 * _font_size(axis) else 1
            width = _LABEL_WIDTH if lines > 1 else _ROW_WIDTH
            axis.set_ticklabels(
                [_fit(label, width=width, lines=lines) for label in labels], parse_math=False
            )
            continue
        if not _rotated(axis):
            slot = _slot_chars(ax, len(labels), _font_size(axis))
            wrapped = [_fit(label, width=min(slot, _LABEL_WIDTH), lines=3) for label in labels]
            words = max((len(w) for label in labels for w in label.split()), default=0)
            cut = any("…" in w and "…" not in t for w, t in zip(wrapped, labels, strict=True))
            if words <= slot and not cut:
                axis.set_ticklabels(wrapped, parse_math=False)  # side by side, wrapped
                continue
            ax.tick_params(axis="x", labelrotation=45)
        axis.set_ticklabels(  # turned: one line each, aligned at the tick
            [_fit(label, lines=1) for label in labels],
            parse_math=False,
            horizontalalignment="right",
            rotation_mode="anchor",
        )


def _slot_chars(ax: Axes, labels: int, size: float) -> int:
    """Characters of a tick label that fit in its share of the x axis width."""
    width = ax.figure.get_figwidth() * 72 * ax.get_position().width / max(labels, 1)
    return int(width / (0.55 * size)) - 1


def _row_height(ax: Axes, rows: int) -> float:
    """Points of height per category of the y axis."""
    return ax.figure.get_figheight() * 72 * ax.get_position().height / max(rows, 1)


def _font_size(axis: Axis) -> float:
    ticks = axis.get_major_ticks()
    return ticks[0].label1.get_size() if ticks else plt.rcParams["font.size"]


def _fit_legend(ax: Axes) -> None:
    """Legend entries wrapped or shortened, and the legend beside the chart, never over
    its data."""
    legend = ax.get_legend()
    if legend is None:
        return
    texts = [_fit(text.get_text()) for text in legend.get_texts()]
    legend_outside(ax, labels=texts)


def _plain_text(ax: Axes) -> Axes:
    """Draw every text of the chart as plain text: names from the data may hold ``$``,
    ``_`` or ``^``, which matplotlib would otherwise read as mathtext (and fail on
    ``$\\badcmd$``) whether or not :func:`salesnb.plot.set_theme` was called. Category
    tick labels and legend entries are wrapped or shortened with an ellipsis (one line each
    where the rows of a chart leave no room for two)."""
    _fit_ticks(ax)
    _fit_legend(ax)
    return _no_math(ax)


def _no_math(ax: Axes) -> Axes:
    """Turn mathtext off on every text the axes holds now."""
    for text in ax.findobj(Text):
        text.set_parse_math(False)
    return ax
