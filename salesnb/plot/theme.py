"""The house theme of every chart: colours, figure size, fonts, number formats."""

from __future__ import annotations

import seaborn as sns
from matplotlib.ticker import FuncFormatter

from salesnb.numbers import compact_money

__all__ = [
    "PALETTE",
    "set_theme",
    "money_formatter",
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
def _compact(value: float, currency: str = "") -> str:
    # the report's number style (salesnb.numbers): 1,2M € for a euro report
    return compact_money(value, currency=currency)


def money_formatter(currency: str = "$") -> FuncFormatter:
    """Tick formatter for money: ``$1,200`` below a thousand is ``$1.2k``, then ``M``, ``B``.

    >>> f = money_formatter("$")
    >>> f(1234567, 0), f(950, 0), f(-2500, 0)
    ('$1.2M', '$950', '-$2.5k')
    """
    return FuncFormatter(lambda v, _pos: _compact(v, currency))


def _count_formatter() -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: _compact(v))
