"""The chart functions: ``chart(data, *, ax=None, ...) -> Axes`` on a tidy frame."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from salesnb.plot.axes import (
    _check,
    _empty,
    _finish,
    _label,
    _new_ax,
    _no_math,
    _value_axis,
)
from salesnb.plot.display import close  # noqa: F401 - used by the examples
from salesnb.plot.layout import (
    bar_figsize,
    fit_bar_labels,
    reference_line,
    top_n_rest,
    untangle_x_labels,
)
from salesnb.plot.theme import PALETTE, _compact, _count_formatter, percent_formatter

__all__ = [
    "bar_chart",
    "line_chart",
    "actual_vs_target_chart",
    "forecast_chart",
    "funnel_chart",
    "lift_chart",
    "heatmap_chart",
    "scatter_chart",
    "leaderboard_chart",
]


# -- charts -------------------------------------------------------------------------------
def bar_chart(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    hue: str | None = None,
    ax: Axes | None = None,
    title: str,
    xlabel: str | None = None,
    ylabel: str | None = None,
    money: bool = False,
    percent: bool = False,
    currency: str = "$",
    horizontal: bool = False,
    order: Sequence | None = None,
    annotate: bool = False,
    reference: float | None = None,
    reference_label: str = "target",
) -> Axes:
    """Bar chart of ``y`` per ``x`` (optionally split by ``hue``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per bar (per ``x`` and ``hue``).
    x, y : str
        Category column and value column. With ``horizontal=True`` the
        categories run down the y axis, and the figure is ``BAR_HEIGHT_IN`` inches
        tall per bar (:func:`salesnb.plot.layout.bar_figsize`).
    xlabel, ylabel : str, optional
        Titles of the axes as drawn: with ``horizontal=True`` the x axis is the
        value axis. By default the value axis is titled after ``y`` with its unit
        and the category axis after ``x``.
    money, percent : bool
        Format the value axis as money (``currency``) or percent (values are
        fractions, 0.25 = 25 %).
    annotate : bool
        Write each bar's value at its end (the value axis is widened so that no
        label is clipped).
    reference, reference_label : float, str
        A dashed line across the bars at ``reference`` on the value axis (a quota
        of 100 %, a target), labelled ``reference_label``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _check(data, [x, y, hue], "bar_chart")
    bars = data[x].nunique() * (max(data[hue].nunique(), 1) if hue else 1)
    ax = _new_ax(ax, figsize=bar_figsize(bars) if horizontal else None)
    if data.empty:
        return _empty(ax, title)
    frame = data.copy()
    frame[x] = frame[x].astype(str)
    if order is not None:
        order = [str(o) for o in order]
    kwargs = dict(data=frame, hue=hue, ax=ax, order=order, errorbar=None)
    if hue is None:
        kwargs.update(color=PALETTE[0])
    if horizontal:
        sns.barplot(x=y, y=x, orient="h", **kwargs)
    else:
        sns.barplot(x=x, y=y, **kwargs)
    value_axis = "x" if horizontal else "y"
    _value_axis(ax, axis=value_axis, money=money, percent=percent, currency=currency)
    texts = []
    if annotate:
        fmt = _value_text(money=money, percent=percent, currency=currency)
        for container in ax.containers:
            texts += ax.bar_label(
                container,
                labels=[fmt(v) for v in container.datavalues],
                padding=3,
                fontsize="small",
            )
    if reference is not None:
        reference_line(ax, reference, reference_label, axis=value_axis)
    vlabel = _label(y, money=money, percent=percent, currency=currency)
    clabel = _label(x)
    if horizontal:
        ax.set_xlabel(xlabel if xlabel is not None else vlabel)
        ax.set_ylabel(ylabel if ylabel is not None else clabel)
    else:
        ax.set_xlabel(xlabel if xlabel is not None else clabel)
        ax.set_ylabel(ylabel if ylabel is not None else vlabel)
    _finish(ax, title=title, xlabel=None, ylabel=None)
    if not horizontal:
        untangle_x_labels(ax)
    fit_bar_labels(ax, texts, horizontal=horizontal)
    return ax


def _value_text(*, money: bool, percent: bool, currency: str):
    if money:
        return lambda v: _compact(v, currency)
    if percent:
        return lambda v: f"{v:.0%}"
    return lambda v: _compact(v)


def line_chart(
    data: pd.DataFrame,
    *,
    x: str,
    y: str | Sequence[str],
    hue: str | None = None,
    ax: Axes | None = None,
    title: str,
    xlabel: str | None = None,
    ylabel: str | None = None,
    money: bool = False,
    percent: bool = False,
    currency: str = "$",
    markers: bool = True,
    top: int | None = None,
    reference: float | None = None,
    reference_label: str = "target",
) -> Axes:
    """Line chart of ``y`` over ``x`` (periods or dates), one line per ``hue``.

    Period labels (``"2025Q3"``) sort chronologically as text, so ``x`` may be
    a label column. ``y`` may be a list of columns: one line per column. With
    ``top``, the ``top`` largest ``hue`` series are drawn and the others summed
    into one "all others" line (additive measures only: revenue, counts). The
    legend stands beside the chart, never over the lines; ``reference`` draws a
    labelled dashed line at that value.
    """
    measures = not isinstance(y, str)
    if measures:  # several measures: one line each
        ys = list(y)
        _check(data, [x, *ys], "line_chart")
        data = data.melt(id_vars=[x], value_vars=ys, var_name="measure", value_name="value")
        data["measure"] = data["measure"].str.replace("_", " ")
        y, hue = "value", "measure"
        if ylabel is None:
            ylabel = _label("value", money=money, percent=percent, currency=currency)
    _check(data, [x, y, hue], "line_chart")
    ax = _new_ax(ax)
    if data.empty:
        return _empty(ax, title)
    if top is not None and hue is not None:
        data = top_n_rest(data, by=hue, value=y, n=top, x=x)
    frame = data.sort_values(x, kind="stable")
    if not pd.api.types.is_datetime64_any_dtype(frame[x]) and not pd.api.types.is_numeric_dtype(
        frame[x]
    ):
        frame = frame.assign(**{x: frame[x].astype(str)})
    sns.lineplot(
        data=frame,
        x=x,
        y=y,
        hue=hue,
        ax=ax,
        marker="o" if markers else None,
        errorbar=None,
        sort=False,
        hue_order=list(dict.fromkeys(frame[hue])) if hue else None,
        **({} if hue else {"color": PALETTE[0]}),
    )
    _value_axis(ax, axis="y", money=money, percent=percent, currency=currency)
    if frame[x].nunique() > 6 and not pd.api.types.is_numeric_dtype(frame[x]):
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel(xlabel if xlabel is not None else _label(x))
    ax.set_ylabel(
        ylabel if ylabel is not None else _label(y, money=money, percent=percent, currency=currency)
    )
    if hue is not None:  # several measures need no legend title
        ax.legend(title=None if measures else hue.replace("_", " "))
    if reference is not None:
        reference_line(ax, reference, reference_label, axis="y")
    return _finish(ax, title=title, xlabel=None, ylabel=None)


def actual_vs_target_chart(
    data: pd.DataFrame,
    *,
    x: str = "period",
    actual: str = "actual",
    target: str = "target",
    ax: Axes | None = None,
    title: str = "Revenue: actual vs target",
    xlabel: str | None = None,
    currency: str = "$",
) -> Axes:
    """Bars of the actual value with the target drawn as a black tick per category."""
    _check(data, [x, actual, target], "actual_vs_target_chart")
    ax = _new_ax(ax)
    if data.empty:
        return _empty(ax, title)
    frame = data.reset_index(drop=True)
    labels = frame[x].astype(str).tolist()
    pos = np.arange(len(frame))
    ax.bar(pos, frame[actual].astype(float), color=PALETTE[0], label="actual", width=0.6)
    ax.hlines(
        frame[target].astype(float),
        pos - 0.38,
        pos + 0.38,
        colors="black",
        linewidth=2.5,
        label="target",
    )
    ax.set_xticks(pos, labels)
    if len(labels) > 6:
        ax.tick_params(axis="x", labelrotation=45)
    _value_axis(ax, axis="y", money=True, percent=False, currency=currency)
    ax.set_xlabel(xlabel if xlabel is not None else _label(x))
    ax.set_ylabel(_label("revenue", money=True, currency=currency))
    ax.legend(loc="best")
    return _finish(ax, title=title, xlabel=None, ylabel=None)


def forecast_chart(
    data: pd.DataFrame,
    *,
    x: str = "period",
    actual: str = "actual",
    forecast: str = "forecast",
    lower: str | None = "lower",
    upper: str | None = "upper",
    ax: Axes | None = None,
    title: str = "Revenue: history and forecast",
    currency: str = "$",
    interval_label: str = "prediction interval",
) -> Axes:
    """History as a solid line, forecast dashed with a shaded interval.

    ``data`` holds one row per period; ``actual`` is empty for future periods
    and ``forecast``/``lower``/``upper`` are empty where there is no forecast.
    """
    cols = [x, actual, forecast] + [c for c in (lower, upper) if c is not None]
    _check(data, cols, "forecast_chart")
    ax = _new_ax(ax)
    if data.empty:
        return _empty(ax, title)
    frame = data.sort_values(x).reset_index(drop=True)
    labels = frame[x].astype(str).tolist()
    pos = np.arange(len(frame))
    act = frame[actual].astype(float)
    fc = frame[forecast].astype(float)
    ax.plot(pos, act, marker="o", color=PALETTE[0], label="actual")
    ax.plot(pos, fc, marker="o", linestyle="--", color=PALETTE[1], label="forecast")
    if lower is not None and upper is not None:
        lo, hi = frame[lower].astype(float), frame[upper].astype(float)
        mask = lo.notna() & hi.notna()
        if mask.any():
            ax.fill_between(
                pos[mask.to_numpy()],
                lo[mask],
                hi[mask],
                color=PALETTE[1],
                alpha=0.2,
                label=interval_label,
            )
    step = max(1, len(labels) // 12)
    ax.set_xticks(pos[::step], labels[::step])
    if len(labels) > 6:
        ax.tick_params(axis="x", labelrotation=45)
    _value_axis(ax, axis="y", money=True, percent=False, currency=currency)
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label("revenue", money=True, currency=currency))
    ax.legend(loc="best")
    return _finish(ax, title=title, xlabel=None, ylabel=None)


def funnel_chart(
    data: pd.DataFrame,
    *,
    stage: str = "stage",
    count: str = "count",
    ax: Axes | None = None,
    title: str = "Stage funnel",
    xlabel: str = "Deals (count)",
) -> Axes:
    """Horizontal funnel: one bar per stage in the frame's order, with the share of the first.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> f = pd.DataFrame({"stage": ["qualification", "proposal"], "count": [100, 40]})
    >>> ax = funnel_chart(f)
    >>> [t.get_text() for t in ax.texts]
    ['100 (100%)', '40 (40%)']
    >>> close(ax)
    """
    _check(data, [stage, count], "funnel_chart")
    ax = _new_ax(ax)
    if data.empty:
        return _empty(ax, title)
    frame = data.reset_index(drop=True)
    values = frame[count].astype(float).to_numpy()
    pos = np.arange(len(frame))
    colors = [PALETTE[0]] * len(frame)
    ax.barh(pos, values, color=colors, height=0.65)
    ax.set_yticks(pos, frame[stage].astype(str).tolist())
    ax.invert_yaxis()
    first = values[0] if len(values) and values[0] else np.nan
    for p, v in zip(pos, values, strict=True):
        share = v / first if first == first else np.nan
        text = f"{v:,.0f}" + (f" ({share:.0%})" if share == share else "")
        ax.annotate(
            text,
            (v, p),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize="small",
        )
    ax.set_xlim(0, max(values.max() * 1.25, 1))
    ax.xaxis.set_major_formatter(_count_formatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Stage")
    return _finish(ax, title=title, xlabel=None, ylabel=None)


def lift_chart(
    data: pd.DataFrame,
    *,
    x: str = "share_contacted",
    y: str = "share_converted",
    hue: str = "model",
    ax: Axes | None = None,
    title: str = "Cumulative gains: leads converted vs leads contacted",
) -> Axes:
    """Cumulative gains curve per model, with the random-order diagonal.

    ``data`` has one row per model and cut-off: the share of leads contacted
    (best-scored first) and the share of all conversions they hold.
    """
    _check(data, [x, y, hue], "lift_chart")
    ax = _new_ax(ax)
    if data.empty:
        return _empty(ax, title)
    sns.lineplot(data=data, x=x, y=y, hue=hue, ax=ax, errorbar=None)
    ax.plot([0, 1], [0, 1], linestyle=":", color="0.4", label="random order")
    ax.xaxis.set_major_formatter(percent_formatter())
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Leads contacted, best scores first (%)")
    ax.set_ylabel("Conversions captured (%)")
    ax.legend(loc="lower right")
    return _finish(ax, title=title, xlabel=None, ylabel=None)


def heatmap_chart(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str,
    xlabel: str,
    ylabel: str,
    percent: bool = True,
    cmap: str = "Blues",
) -> Axes:
    """Annotated heatmap of a wide frame (rows × columns), e.g. cohort retention.

    With ``percent=True`` values are fractions shown as whole percents.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"heatmap_chart expects a pandas DataFrame, got {type(data).__name__}")
    ax = _new_ax(ax, figsize=(9.0, max(3.0, 0.4 * len(data) + 1.5)))
    if data.empty:
        return _empty(ax, title)
    values = data.astype(float)
    _no_math(ax)  # seaborn draws the figure to place the labels: no mathtext there either
    with matplotlib.rc_context({"text.parse_math": False}):
        sns.heatmap(
            values,
            ax=ax,
            cmap=cmap,
            annot=len(values.columns) <= 16,
            fmt=".0%" if percent else ",.0f",
            cbar=False,
            linewidths=0.5,
            vmin=0,
            vmax=1 if percent else None,
            annot_kws={"fontsize": "x-small"},
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="y", labelrotation=0)
    return _finish(ax, title=title, xlabel=None, ylabel=None)


def scatter_chart(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    hue: str | None = None,
    ax: Axes | None = None,
    title: str,
    xlabel: str | None = None,
    ylabel: str | None = None,
    money: bool = True,
    currency: str = "$",
    diagonal: bool = True,
) -> Axes:
    """Scatter of ``y`` against ``x`` (e.g. predicted vs actual value), with y = x."""
    _check(data, [x, y, hue], "scatter_chart")
    ax = _new_ax(ax)
    if data.empty:
        return _empty(ax, title)
    sns.scatterplot(
        data=data,
        x=x,
        y=y,
        hue=hue,
        ax=ax,
        alpha=0.6,
        s=25,
        **({} if hue else {"color": PALETTE[0]}),
    )
    if diagonal:
        hi = float(np.nanmax([data[x].max(), data[y].max()]))
        ax.plot([0, hi], [0, hi], linestyle=":", color="0.4", label="perfect prediction")
        ax.legend(loc="upper left")
    for axis in ("x", "y"):
        _value_axis(ax, axis=axis, money=money, percent=False, currency=currency)
    ax.set_xlabel(xlabel if xlabel is not None else _label(x, money=money, currency=currency))
    ax.set_ylabel(ylabel if ylabel is not None else _label(y, money=money, currency=currency))
    return _finish(ax, title=title, xlabel=None, ylabel=None)


def leaderboard_chart(
    data: pd.DataFrame,
    *,
    name: str = "name",
    value: str = "revenue",
    ax: Axes | None = None,
    title: str = "Leaderboard",
    top: int = 10,
    money: bool = True,
    percent: bool = False,
    currency: str = "$",
    xlabel: str | None = None,
    reference: float | None = None,
    reference_label: str = "target",
) -> Axes:
    """Horizontal bars of the ``top`` rows by ``value``, best on top, values written.

    ``name`` is the label of each bar ("R029 Irene Nakamura"); ``xlabel`` titles the
    value axis (x); ``reference`` draws a labelled line at that value (1.0 with
    ``percent=True`` is a quota of 100 %). The figure grows with the number of bars.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> f = pd.DataFrame({"rep": ["R1 Ann Lee", "R2 Bo Kim"], "attainment": [1.2, 0.8]})
    >>> ax = leaderboard_chart(f, name="rep", value="attainment", money=False, percent=True,
    ...                        xlabel="Quota attainment (%)", reference=1.0,
    ...                        reference_label="quota")
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()]
    ('Quota attainment (%)', ['R1 Ann Lee', 'R2 Bo Kim'])
    >>> close(ax)
    """
    _check(data, [name, value], "leaderboard_chart")
    frame = data.sort_values(value, ascending=False).head(top)
    return bar_chart(
        frame,
        x=name,
        y=value,
        ax=ax,
        title=title,
        money=money,
        percent=percent,
        currency=currency,
        horizontal=True,
        annotate=True,
        xlabel=xlabel,
        ylabel="",
        reference=reference,
        reference_label=reference_label,
    )
