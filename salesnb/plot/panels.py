"""Small multiples: one small chart per category (product, region) on a shared scale,
for data with too many series to read as one tangle of lines.

The highlighted series (a competitor undercutting one product) are drawn in colour, the
others in grey, so the story is seen before the legend is read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from salesnb.plot.axes import _check, _fit, _label, _value_axis
from salesnb.plot.layout import reference_line
from salesnb.plot.theme import PALETTE

__all__ = [
    "small_multiples_chart",
]

#: Colour of the series that are not highlighted.
_MUTED = "0.72"
#: Colour of a highlighted panel's title and series.
_ALERT = "#c62828"


def small_multiples_chart(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    facet: str,
    hue: str | None = None,
    title: str,
    highlight: Iterable = (),
    notes: Mapping[str, str] | None = None,
    cols: int = 4,
    ylabel: str | None = None,
    money: bool = False,
    percent: bool = False,
    currency: str = "$",
    reference: float | None = None,
    reference_label: str = "",
    muted_label: str = "others",
) -> Figure:
    """One panel per ``facet`` value with ``y`` over ``x``, panels sharing one y scale.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy rows: ``x`` (periods), ``y``, ``facet`` and optionally ``hue``.
    highlight : iterable
        Without ``hue``: facet values whose line and title are drawn in colour.
        With ``hue``: ``(facet, hue)`` pairs drawn in colour (e.g. ``("Monitor 27",
        "Corvex")``); every other series is grey. Highlighted panels come first.
    notes : mapping, optional
        A short line under a panel's title (``{"Monitor 27": "Corvex 15% below"}``).
    reference, reference_label
        A dashed line on every panel (parity at 100).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (its axes in ``fig.axes``), titled ``title``.

    Raises
    ------
    KeyError
        When a named column is not in ``data``.
    """
    _check(data, [x, y, facet, hue], "small_multiples_chart")
    marks = {tuple(h) if hue else (h,) for h in highlight}
    facets = list(dict.fromkeys(data[facet].astype(str)))
    hot = [f for f in facets if any(m[0] == f for m in marks)]
    facets = hot + [f for f in facets if f not in hot]
    cols = max(1, min(cols, len(facets) or 1))
    rows = max(1, math.ceil(len(facets) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.1 * cols, 2.4 * rows + 1.3), sharey=True, squeeze=False
    )
    fig.suptitle(title, x=0.01, y=0.995, ha="left", va="top", fontweight="bold")
    frame = data.assign(**{facet: data[facet].astype(str), x: data[x].astype(str)})
    periods = sorted(frame[x].unique())
    used = set()
    for ax, name in zip(axes.flat, facets, strict=False):
        _panel(
            ax,
            frame.loc[frame[facet] == name],
            x=x,
            y=y,
            hue=hue,
            periods=periods,
            name=name,
            marks=marks,
            used=used,
        )
        is_hot = name in hot
        ax.set_title(
            _fit(name) + (f"\n{notes[name]}" if notes and name in notes else ""),
            loc="left",
            fontsize="small",
            color=_ALERT if is_hot else "0.1",
            fontweight="bold" if is_hot else "normal",
        )
        if reference is not None:
            reference_line(ax, reference, "", axis="y")
        _value_axis(ax, axis="y", money=money, percent=percent, currency=currency)
        shown = sorted({0, (len(periods) - 1) // 2, len(periods) - 1})
        ax.set_xticks(shown, [periods[i] for i in shown], fontsize="x-small")
        ax.tick_params(axis="y", labelsize="x-small")
        ax.set_xlabel("")
    for ax in list(axes.flat)[len(facets) :]:
        ax.set_visible(False)
    fig.supylabel(
        ylabel
        if ylabel is not None
        else _label(y, money=money, percent=percent, currency=currency),
        fontsize="small",
    )
    _figure_legend(
        fig, used, muted_label=muted_label, reference=reference, reference_label=reference_label
    )
    for text in fig.findobj(Text):  # names from the data are text, never mathtext
        text.set_parse_math(False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.75 / fig.get_figheight()))
    return fig


def _panel(ax, rows, *, x, y, hue, periods, name, marks, used) -> None:
    """The lines of one panel: highlighted series in colour, the rest grey behind them."""
    position = {p: i for i, p in enumerate(periods)}
    groups = rows.groupby(hue, sort=True) if hue else [(None, rows)]
    for key, grp in groups:
        grp = grp.sort_values(x)
        hot = ((name, str(key)) in marks) if hue else ((name,) in marks)
        colour = (_ALERT if hue else PALETTE[0]) if hot else (_MUTED if hue else PALETTE[0])
        ax.plot(
            [position[p] for p in grp[x]],
            grp[y].astype(float),
            color=colour,
            linewidth=2.2 if hot else 1.1,
            marker="o" if hot else None,
            markersize=3,
            zorder=4 if hot else 2,
        )
        used.add(str(key) if hot and hue else ("" if hot else None))


def _figure_legend(fig, used, *, muted_label, reference, reference_label) -> None:
    handles = [
        Line2D([], [], color=_ALERT, linewidth=2.2, marker="o", markersize=3, label=name)
        for name in sorted(u for u in used if u)
    ]
    if None in used:
        handles.append(Line2D([], [], color=_MUTED, linewidth=1.1, label=muted_label))
    if reference is not None and reference_label:
        handles.append(Line2D([], [], color="0.15", linestyle="--", label=reference_label))
    if handles:
        top = 1 - 0.32 / fig.get_figheight()
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.01, top),
            ncols=len(handles),
            fontsize="small",
            frameon=False,
        )
