"""Layout rules every chart follows: a figure as tall as its bars, legends outside the
data, reference lines with their label, bar labels inside the axes, tick labels that do
not overlap, and "top N + the rest" when there are too many series.

matplotlib places things where it is told; these helpers measure what it drew (text
extents from the figure's renderer) and move it, because the sizes depend on the data
(a rep's name, the number of bars) and cannot be fixed once in the theme.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> bar_figsize(30)
(9.0, 9.8)
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox, blended_transform_factory

from salesnb.plot.theme import _FIGSIZE

__all__ = [
    "BAR_HEIGHT_IN",
    "bar_figsize",
    "legend_outside",
    "reference_line",
    "reference_lines",
    "top_n_rest",
    "fit_bar_labels",
    "untangle_x_labels",
]

#: Inches of figure height per bar of a horizontal bar chart (room for one line of text).
BAR_HEIGHT_IN = 0.28
#: Inches around the bars: title, value axis and its title.
_FRAME_IN = 1.4
#: Height of the shortest bar chart, inches.
_MIN_HEIGHT_IN = 2.6
#: The gid of a reference line (tests and :func:`reference_lines` find them by it).
REFERENCE_GID = "salesnb-reference"


def bar_figsize(bars: int, *, width: float = _FIGSIZE[0]) -> tuple[float, float]:
    """Figure size of a horizontal bar chart with ``bars`` bars: ``BAR_HEIGHT_IN`` inches
    per bar plus the frame (title and value axis), at least ``_MIN_HEIGHT_IN``.

    >>> bar_figsize(5), bar_figsize(30)
    ((9.0, 2.8), (9.0, 9.8))
    """
    height = max(_MIN_HEIGHT_IN, _FRAME_IN + BAR_HEIGHT_IN * max(int(bars), 1))
    return (float(width), round(height, 2))


def legend_outside(ax: Axes, *, where: str = "right", title: str | None = None, labels=None):
    """Move the legend of ``ax`` outside its data area: to the ``right`` of the axes (top
    aligned) or ``below`` them (under the x axis and its labels). Returns the legend, or
    None when the axes has nothing to put in one.

    Raises
    ------
    ValueError
        When ``where`` is not ``"right"`` or ``"below"``.
    """
    if where not in ("right", "below"):
        raise ValueError(f"where must be 'right' or 'below', got {where!r}")
    old = ax.get_legend()
    if old is not None:
        handles = list(old.legend_handles)
        texts = [t.get_text() for t in old.get_texts()]
        title = title if title is not None else (old.get_title().get_text() or None)
    else:
        handles, texts = ax.get_legend_handles_labels()
    if labels is not None:
        texts = list(labels)
    if not handles:
        return None
    if where == "right":
        return ax.legend(
            handles=handles,
            labels=texts,
            title=title,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0.0,
            fontsize="small",
            title_fontsize="small",
        )
    below = _below_x_axis(ax)
    return ax.legend(
        handles=handles,
        labels=texts,
        title=title,
        loc="upper center",
        bbox_to_anchor=(0.5, below),
        borderaxespad=0.0,
        ncols=min(len(handles), 4),
        fontsize="small",
        title_fontsize="small",
    )


def _below_x_axis(ax: Axes) -> float:
    """Axes-fraction y just under the x axis, its tick labels and its title."""
    renderer = ax.figure.canvas.get_renderer()
    box = ax.xaxis.get_tightbbox(renderer)
    if box is None:
        return -0.1
    bottom = ax.transAxes.inverted().transform((0, box.y0))[1]
    return float(bottom) - 0.03


def reference_line(
    ax: Axes, value: float, label: str, *, axis: str = "x", color: str = "0.15"
) -> Line2D:
    """A dashed reference line at ``value`` (a quota of 100 %, a target, parity) with its
    label written at the foot of a vertical line (where bars sorted largest first are
    shortest) or at the left end of a horizontal one. ``axis="x"`` draws a vertical line
    at x = ``value`` (the value axis of horizontal bars), ``"y"`` a horizontal one.

    The line carries the gid ``REFERENCE_GID`` so tests find it.

    Raises
    ------
    ValueError
        When ``axis`` is not ``"x"`` or ``"y"``.
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    style = dict(color=color, linestyle="--", linewidth=1.3, zorder=2.5)
    if axis == "x":
        line = ax.axvline(value, **style)
        where = blended_transform_factory(ax.transData, ax.transAxes)
        ax.annotate(  # at the foot of the line, where sorted bars are shortest
            label,
            (value, 0.0),
            xycoords=where,
            xytext=(4, 4),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize="small",
            color=color,
            bbox=dict(boxstyle="square,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85),
        )
    else:
        line = ax.axhline(value, **style)
        where = blended_transform_factory(ax.transAxes, ax.transData)
        if label:
            ax.annotate(  # at the left end, just above the line
                label,
                (0.0, value),
                xycoords=where,
                xytext=(4, 3),
                textcoords="offset points",
                ha="left",
                va="bottom",
                fontsize="small",
                color=color,
                bbox=dict(
                    boxstyle="square,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85
                ),
            )
    line.set_gid(REFERENCE_GID)
    line.set_label(f"_{label}")  # not a legend entry: the label is written at the line
    return line


def reference_lines(ax: Axes) -> list[Line2D]:
    """The reference lines drawn on ``ax`` by :func:`reference_line`."""
    return [line for line in ax.get_lines() if line.get_gid() == REFERENCE_GID]


def top_n_rest(
    frame: pd.DataFrame,
    *,
    by: str,
    value: str,
    n: int = 8,
    x: str | None = None,
    rest: str = "all others",
) -> pd.DataFrame:
    """The ``n`` largest ``by`` categories by total ``value``, the others summed into one
    ``rest`` row (per ``x`` when given, e.g. per period for a line chart).

    For additive measures (revenue, counts): the rest is a sum. A rate or an average
    cannot be summed; draw those as small multiples instead.

    Raises
    ------
    KeyError
        When a named column is not in ``frame``.
    ValueError
        When ``n`` is below 1.

    >>> f = pd.DataFrame({"rep": list("abcd"), "revenue": [5.0, 1.0, 3.0, 2.0]})
    >>> top_n_rest(f, by="rep", value="revenue", n=2)
              rep  revenue
    0           a      5.0
    1           c      3.0
    2  all others      3.0
    """
    cols = [c for c in (by, value, x) if c is not None]
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(
            f"top_n_rest: missing column(s) {missing}; the frame has {list(frame.columns)}"
        )
    if n < 1:
        raise ValueError(f"top_n_rest: n must be at least 1, got {n}")
    totals = frame.groupby(by, sort=False)[value].sum().sort_values(ascending=False)
    if len(totals) <= n + 1:  # a "rest" of one category is that category
        order = list(totals.index)
        return frame.loc[frame[by].isin(order), cols].reset_index(drop=True)
    keep = list(totals.index[:n])
    named = frame[by].where(frame[by].isin(keep), rest)
    keys = [x, by] if x is not None else [by]
    out = frame.assign(**{by: named}).groupby(keys, sort=False, as_index=False)[value].sum()
    rank = {name: i for i, name in enumerate([*keep, rest])}
    out = out.assign(_rank=out[by].map(rank))
    out = out.sort_values([x, "_rank"] if x is not None else ["_rank"], kind="stable")
    return out.drop(columns="_rank").reset_index(drop=True)


def fit_bar_labels(ax: Axes, texts, *, horizontal: bool, rounds: int = 3) -> None:
    """Widen the value axis until every bar label in ``texts`` lies inside the axes (the
    labels sit at the bars' ends; without headroom the longest ones are clipped)."""
    texts = [t for t in texts if t.get_text()]
    if not texts:
        return
    for _ in range(rounds):
        renderer = ax.figure.canvas.get_renderer()
        box = ax.get_window_extent(renderer)
        union = Bbox.union([t.get_window_extent(renderer) for t in texts])
        if horizontal:
            over_hi, over_lo, room = union.x1 - box.x1, box.x0 - union.x0, box.width
            low, high = ax.get_xlim()
        else:
            over_hi, over_lo, room = union.y1 - box.y1, box.y0 - union.y0, box.height
            low, high = ax.get_ylim()
        if over_hi <= 0 and over_lo <= 0:
            return
        span = high - low
        per_px = span / max(room, 1.0)
        if over_hi > 0:
            high += (over_hi + 6) * per_px * 1.15
        if over_lo > 0:
            low -= (over_lo + 6) * per_px * 1.15
        (ax.set_xlim if horizontal else ax.set_ylim)(low, high)


def untangle_x_labels(ax: Axes) -> bool:
    """Turn the x tick labels 30 degrees (anchored at their tick) when any two of them
    overlap as drawn. Returns True when they were turned."""
    renderer = ax.figure.canvas.get_renderer()
    labels = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
    if any(t.get_rotation() % 180 for t in labels):  # already turned
        return False
    boxes = [t.get_window_extent(renderer) for t in labels]
    boxes.sort(key=lambda b: b.x0)
    tangled = any(a.x1 + 2 > b.x0 for a, b in zip(boxes, boxes[1:], strict=False))
    if tangled:
        for text in labels:
            text.set_rotation(30)
            text.set_horizontalalignment("right")
            text.set_rotation_mode("anchor")
    return tangled
