"""What every chart shares: a new or given axes, column checks, the value axis, the title
and labels, and the empty-data chart.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from salesnb.plot.theme import _FIGSIZE, _count_formatter, money_formatter


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
        target.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
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
    return ax


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
    return ax
