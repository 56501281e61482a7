"""Waterfall chart: a start total, signed steps, an end total (pipeline change, revenue bridge).

Written on matplotlib bars (each step a bar floating from the running total before it)
because seaborn has no waterfall and the chart is a few lines on top of ``Axes.bar``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes

from salesnb.plot.axes import _check, _empty, _finish, _new_ax, _value_axis
from salesnb.plot.theme import _compact

__all__ = ["waterfall_chart"]

#: Colours: totals, an increase, a decrease (colour-blind safe blue / green / red-orange).
_TOTAL, _UP, _DOWN = "#4C72B0", "#55A868", "#DD8452"


def waterfall_chart(
    data: pd.DataFrame,
    *,
    step: str = "step",
    value: str = "value",
    totals: Sequence[str] = (),
    ax: Axes | None = None,
    title: str,
    ylabel: str | None = None,
    currency: str = "$",
    money: bool = True,
    skip_zero: bool = True,
) -> Axes:
    """Waterfall of ``value`` per ``step``: totals as full bars, parts floating.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per step, in order: the first total, the signed parts, the last
        total (e.g. :func:`salesnb.kpi.pipeline_waterfall`,
        :func:`salesnb.kpi.revenue_bridge`).
    step, value : str
        The step-name column and the value column.
    totals : sequence of str
        The step names drawn as totals from zero (default: the first and the
        last row).
    skip_zero : bool, default True
        Leave out parts whose value is 0 (totals are always drawn).

    Each part's bar starts where the running total stood and is labelled with
    its signed value (a decrease under the bar's foot); green for an increase,
    orange for a decrease. The value axis spans every bar plus room for the
    labels.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> frame = pd.DataFrame({"step": ["start", "won", "new", "end"],
    ...                       "value": [100.0, -30.0, 10.0, 80.0]})
    >>> ax = waterfall_chart(frame, title="Pipeline")
    >>> [round(p.get_height()) for p in ax.patches]
    [100, -30, 10, 80]
    >>> from salesnb.plot import close; close(ax)
    """
    _check(data, [step, value], "waterfall_chart")
    rows = data[[step, value]].reset_index(drop=True)
    ends = set(totals) if totals else {str(rows[step].iloc[0]), str(rows[step].iloc[-1])}
    if skip_zero and len(rows):
        keep = rows[step].astype(str).isin(ends) | (rows[value].fillna(0) != 0)
        rows = rows[keep].reset_index(drop=True)
    ax = _new_ax(ax, figsize=(max(6.4, 0.85 * len(rows) + 1.5), 4.2))
    if rows.empty:
        return _empty(ax, title)
    running = 0.0
    labels = []
    low = high = 0.0
    names, amounts = rows[step].astype(str), rows[value].astype(float)
    for i, (name, amount) in enumerate(zip(names, amounts, strict=True)):
        if name in ends:
            bottom, height, colour = 0.0, amount, _TOTAL
            running = amount
        else:
            bottom, height = running, amount
            colour = _UP if amount >= 0 else _DOWN
            running += amount
        ax.bar(i, height, bottom=bottom, color=colour, width=0.7)
        low, high = min(low, bottom, bottom + height), max(high, bottom, bottom + height)
        text = _compact(amount, currency if money else "")
        if name not in ends and amount > 0:
            text = "+" + text
        if name not in ends and amount < 0:  # a decrease: the label under the bar's foot
            ax.annotate(text, (i, bottom + height), xytext=(0, -3), textcoords="offset points",
                        ha="center", va="top", fontsize="small")  # fmt: skip
        else:
            ax.annotate(text, (i, max(bottom, bottom + height)), xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom", fontsize="small")  # fmt: skip
        labels.append(name)  # drawn as in the data; wrapped or turned by _finish
    span = (high - low) or 1.0
    ax.set_ylim(low - (0.12 * span if low < 0 else 0), high + 0.14 * span)  # room for labels
    ax.set_xticks(range(len(rows)), labels)
    ax.axhline(0, color="0.6", linewidth=0.8)
    _value_axis(ax, axis="y", money=money, percent=False, currency=currency)
    return _finish(ax, title=title, xlabel="", ylabel=ylabel)
