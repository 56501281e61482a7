"""Charts out of matplotlib: PNG bytes, display in a notebook with alternative text, close."""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from salesnb.plot.theme import _DPI

__all__ = [
    "figure_png",
    "show",
    "close",
]


# -- display ------------------------------------------------------------------------------
def _figure(obj: Axes | Figure) -> Figure:
    if isinstance(obj, Figure):
        return obj
    if isinstance(obj, Axes):
        return obj.figure
    if isinstance(obj, np.ndarray) and obj.size:
        return _figure(obj.flat[0])
    raise TypeError(f"expected a matplotlib Axes or Figure, got {type(obj).__name__}")


def _title(fig: Figure) -> str:
    titles = []
    for ax in fig.axes:
        text = " ".join(t for loc in ("left", "center", "right") if (t := ax.get_title(loc)))
        if text:
            titles.append(text)
    if fig._suptitle is not None and fig._suptitle.get_text():
        titles.insert(0, fig._suptitle.get_text())
    return "; ".join(titles) or "Chart"


def figure_png(obj: Axes | Figure) -> bytes:
    """PNG bytes of the figure holding ``obj`` (tight bounding box)."""
    fig = _figure(obj)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=_DPI)
    return buf.getvalue()


def show(obj: Axes | Figure, *, alt: str | None = None) -> None:
    """Display the figure as an embedded PNG with alternative text, then close it.

    The alternative text defaults to the chart title(s); the HTML report writes
    it into the image's ``alt`` attribute.
    """
    from IPython.display import display

    fig = _figure(obj)
    text = alt or _title(fig)
    png = figure_png(fig)
    plt.close(fig)
    display(
        {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": f"<chart: {text}>"},
        raw=True,
        metadata={"image/png": {"alt": text}},
    )


def close(obj: Axes | Figure) -> None:
    """Close the figure holding ``obj`` (free its memory without displaying it)."""
    plt.close(_figure(obj))
