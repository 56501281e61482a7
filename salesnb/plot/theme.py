"""The house theme of every chart: colours, figure size, fonts, number formats."""

from __future__ import annotations

import seaborn as sns
from matplotlib.ticker import Formatter

from salesnb.numbers import compact_money

__all__ = [
    "PALETTE",
    "set_theme",
    "money_formatter",
    "percent_formatter",
    "DistinctFormatter",
]


#: House colours: colour-blind safe (seaborn "colorblind"), first colour = "us".
PALETTE: tuple[str, ...] = tuple(sns.color_palette("colorblind", 10).as_hex())


_FIGSIZE = (9.0, 4.8)


_DPI = 100


def set_theme(*, font_scale: float = 1.1) -> None:
    """Apply the house theme (seaborn whitegrid, colour-blind palette, print sizes, text
    drawn as plain text: a ``$`` in a name is a dollar sign, never mathtext).

    Call it once at the top of a notebook; importing :mod:`salesnb.plot` changes
    nothing.

    >>> set_theme()
    >>> import matplotlib
    >>> matplotlib.rcParams["axes.titleweight"], matplotlib.rcParams["text.parse_math"]
    ('bold', False)
    """
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=list(PALETTE),
        font_scale=font_scale,
        rc={
            "figure.figsize": _FIGSIZE,
            "figure.dpi": _DPI,
            "savefig.dpi": _DPI,
            "savefig.bbox": "tight",
            "axes.titleweight": "bold",
            "axes.titlesize": "large",
            "axes.titlelocation": "left",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "figure.autolayout": False,
            # names from the data are text, never mathtext ("$5 and $10", "a_b")
            "text.parse_math": False,
        },
    )


# -- formatting ---------------------------------------------------------------------------
def _compact(value: float, currency: str = "", extra: int = 0) -> str:
    """``value`` shortened with k, M, B (one decimal, trailing zeros dropped) or written
    in full below a thousand; ``extra`` decimals more where ticks need them to differ.
    Written in the report's number style (:func:`salesnb.numbers.compact_money`):
    ``1,2M €`` in a euro report."""
    return compact_money(value, currency=currency, extra=extra)


class DistinctFormatter(Formatter):
    """Tick labels with the fewest decimals that keep every label on the axis distinct.

    ``text(value, extra)`` writes a value with ``extra`` decimals more than its
    plainest form; before the ticks are drawn the formatter tries ``extra`` = 0,
    1, 2, 3 and keeps the first that gives distinct labels, so scores between
    7.6 and 8.2 read 7.6, 7.8, 8.0 rather than 8, 8, 8.

    >>> f = DistinctFormatter(lambda v, extra: f"{v:.{extra}f}")
    >>> f.format_ticks([7.6, 7.8, 8.0, 8.2])
    ['7.6', '7.8', '8.0', '8.2']
    >>> f.format_ticks([0, 50, 100])
    ['0', '50', '100']
    """

    def __init__(self, text, *, most: int = 3):
        self.text = text
        self.most = most
        self.extra = 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        shown = list(locs)
        if self.axis is not None:
            low, high = sorted(self.axis.get_view_interval())
            span = (high - low) * 1e-9
            shown = [v for v in locs if low - span <= v <= high + span] or shown
        for extra in range(self.most + 1):
            self.extra = extra
            labels = [self.text(v, extra) for v in shown]
            if len(set(labels)) == len(labels):
                break

    def __call__(self, x, pos=None) -> str:
        return self.text(x, self.extra)


def money_formatter(currency: str = "$") -> DistinctFormatter:
    """Tick formatter for money: ``$1,200`` below a thousand is ``$1.2k``, then ``M``, ``B``.

    >>> f = money_formatter("$")
    >>> f(1234567, 0), f(950, 0), f(-2500, 0)
    ('$1.2M', '$950', '-$2.5k')
    >>> f.format_ticks([1200, 1250, 1300])
    ['$1.2k', '$1.25k', '$1.3k']
    """
    return DistinctFormatter(lambda v, extra: _compact(v, currency, extra))


def percent_formatter() -> DistinctFormatter:
    """Tick formatter for fractions shown as percent: 0.25 is ``25%``; more decimals
    only where ticks would read the same.

    >>> percent_formatter().format_ticks([0.17, 0.175, 0.18])
    ['17.0%', '17.5%', '18.0%']
    """
    return DistinctFormatter(lambda v, extra: f"{v * 100:,.{extra}f}%")


def _count_formatter() -> DistinctFormatter:
    return DistinctFormatter(lambda v, extra: _compact(v, "", extra))
