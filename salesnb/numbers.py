"""How a company writes money and numbers: currency symbol, its place, separators.

One :class:`NumberStyle` holds a report's way of writing numbers: ``$1,234.56``
(``en``), ``1.234,56 €`` (``de``), ``1 234,56 €`` (``fr``) or ``1'234.56``
(``ch``); a currency without minor unit (¥, ₩) is always shown without
decimals. :func:`number_style` builds one from the report settings (a currency
symbol or ISO code, an optional style name; the euro defaults to ``de``,
everything else to ``en``).

A report sets its style once (:func:`use_number_style`, or the
:func:`using_number_style` context); :func:`number_text`, :func:`money_text`
and :func:`compact_money` use the active style unless given one, so tables,
sentences and chart ticks of one report agree. The active style is held in a
:class:`contextvars.ContextVar`: setting it in one thread does not change
another's.

Written here rather than with :mod:`locale` or Babel because the process
locale is global and may be missing on a machine, and the few rules a report
needs (separators, symbol place, rounding half away from zero as people and
spreadsheets round) fit in a page; this module is part of the foundation, so
charts (:mod:`salesnb.plot`) and sections use the same rules.

>>> de = number_style("EUR")
>>> money_text(1234.56, decimals=2, style=de), number_text(0.5, decimals=1, style=de)
('1.234,56\\xa0€', '0,5')
>>> money_text(1234.5, decimals=2, style=number_style("JPY"))
'¥1,235'
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "NUMBER_STYLES",
    "CURRENCY_CODES",
    "NumberStyle",
    "number_style",
    "currency_symbol",
    "active_number_style",
    "use_number_style",
    "using_number_style",
    "number_text",
    "money_text",
    "compact_money",
    "excel_money_format",
]

_NBSP = "\u00a0"

#: Number style names: thousands separator and decimal mark.
NUMBER_STYLES: dict[str, tuple[str, str]] = {
    "en": (",", "."),  # 1,234.56
    "de": (".", ","),  # 1.234,56
    "fr": (_NBSP, ","),  # 1 234,56
    "ch": ("'", "."),  # 1'234.56
}

#: ISO 4217 codes read as their symbol (any other text is used as given).
CURRENCY_CODES: dict[str, str] = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "KRW": "₩",
    "INR": "₹",
    "CHF": "CHF",
    "SEK": "kr",
    "NOK": "kr",
    "DKK": "kr",
    "AUD": "A$",
    "CAD": "C$",
}
#: Currencies without a minor unit: amounts are never shown with decimals.
_NO_DECIMALS = {"¥", "₩"}
#: Styles that write the currency after the amount (``1.234 €``).
_SYMBOL_AFTER = {"de", "fr"}


@dataclass(frozen=True)
class NumberStyle:
    """A way of writing numbers and money.

    Parameters
    ----------
    name : str
        One of :data:`NUMBER_STYLES`.
    currency : str
        Symbol written with amounts.
    fiscal_year_start : int
        The month the company's fiscal year starts in: chart axes write the
        quarter labels of such a calendar with their fiscal year (``FY2027
        Q1``, :func:`salesnb.periods.period_title`).
    """

    name: str = "en"
    currency: str = "$"
    fiscal_year_start: int = 1

    def __post_init__(self) -> None:
        if self.name not in NUMBER_STYLES:
            raise ValueError(
                f"number style {self.name!r}: expected one of {', '.join(NUMBER_STYLES)}"
            )
        if not isinstance(self.currency, str):
            raise ValueError(f"currency must be text such as '$' or 'EUR', got {self.currency!r}")

    @property
    def thousands(self) -> str:
        return NUMBER_STYLES[self.name][0]

    @property
    def decimal(self) -> str:
        return NUMBER_STYLES[self.name][1]

    @property
    def symbol_after(self) -> bool:
        """Whether the currency follows the amount (``1.234 €``)."""
        return self.name in _SYMBOL_AFTER

    def money_decimals(self, decimals: int) -> int:
        """``decimals``, or 0 for a currency without minor unit (¥)."""
        return 0 if self.currency in _NO_DECIMALS else decimals

    def with_currency(self, currency: str | None) -> NumberStyle:
        """The same separators with another currency (``None`` keeps this one)."""
        if currency is None or currency_symbol(currency) == self.currency:
            return self
        return NumberStyle(self.name, currency_symbol(currency))


def currency_symbol(currency: str) -> str:
    """The symbol of ``currency``: an ISO code (``EUR``) gives its symbol, other text itself.

    >>> currency_symbol("eur"), currency_symbol("€"), currency_symbol(" CHF ")
    ('€', '€', 'CHF')
    """
    text = str(currency).strip()
    return CURRENCY_CODES.get(text.upper(), text)


def number_style(currency: str | None = None, style: str | None = None) -> NumberStyle:
    """The number style of a report: ``currency`` (symbol or ISO code) in style ``style``.

    Without ``style``, the euro is written ``1.234,56 €`` (``de``) and every
    other currency ``$1,234.56`` (``en``).

    Raises
    ------
    ValueError
        An unknown style name, or an empty currency.

    >>> number_style("€"), number_style("EUR", "en"), number_style()
    (NumberStyle(name='de', currency='€', fiscal_year_start=1), NumberStyle(name='en', currency='€', fiscal_year_start=1), NumberStyle(name='en', currency='$', fiscal_year_start=1))
    """
    symbol = "$" if currency is None else currency_symbol(currency)
    if not symbol:
        raise ValueError("currency is empty; give a symbol such as '$' or a code such as 'EUR'")
    if style is None:
        style = "de" if symbol == "€" else "en"
    return NumberStyle(str(style).strip().lower(), symbol)


_DEFAULT = NumberStyle()
_ACTIVE: contextvars.ContextVar[NumberStyle | None] = contextvars.ContextVar(
    "salesnb_number_style", default=None
)


def active_number_style() -> NumberStyle:
    """The style numbers are written in now (``en`` with ``$`` until one is set)."""
    return _ACTIVE.get() or _DEFAULT


def use_number_style(style: NumberStyle) -> NumberStyle:
    """Make ``style`` the active style (a notebook sets it once, in its first cell)."""
    _ACTIVE.set(style)
    return style


@contextlib.contextmanager
def using_number_style(style: NumberStyle) -> Iterator[NumberStyle]:
    """Context in which ``style`` is the active style; the previous one comes back after."""
    token = _ACTIVE.set(style)
    try:
        yield style
    finally:
        _ACTIVE.reset(token)


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return str(value) in {"<NA>", "NaT"}


def _round(value: float, decimals: int) -> float:
    """Round half away from zero (as people and spreadsheets do), not half to even."""
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP))


def _digits(value: float, decimals: int, style: NumberStyle) -> str:
    """``abs(value)`` with the style's separators (``value`` already rounded)."""
    text = f"{abs(value):,.{decimals}f}"
    if style.name == "en":
        return text
    return text.translate({ord(","): "\0", ord("."): style.decimal}).replace("\0", style.thousands)


def number_text(
    value, *, decimals: int = 0, style: NumberStyle | None = None, half_up: bool = True
) -> str:
    """``value`` with thousands separators and ``decimals`` decimals; missing gives ``n/a``.

    Halves round away from zero (``half_up``, as spreadsheets do); with
    ``half_up=False`` as Python's ``format`` rounds the binary value (how rates
    and changes have always been written: ``-6.25`` gives ``-6.2``).

    >>> number_text(12345.678, decimals=1), number_text(-0.04, decimals=1), number_text(None)
    ('12,345.7', '-0.0', 'n/a')
    >>> number_text(12345.678, decimals=1, style=number_style(style="fr"))
    '12\\xa0345,7'
    """
    if _missing(value):
        return "n/a"
    style = style or active_number_style()
    v = float(value)
    if not math.isfinite(v):
        return f"{v}"
    if half_up:
        v = _round(v, decimals)
    else:
        v = float(f"{v:.{decimals}f}")
    return ("-" if math.copysign(1.0, v) < 0 else "") + _digits(v, decimals, style)


def money_text(
    value, *, decimals: int = 0, currency: str | None = None, style: NumberStyle | None = None
) -> str:
    """``value`` as money: ``$1,234``, ``-$1,234``, ``1.234 €``; missing gives ``n/a``.

    ``currency`` (symbol or code) replaces the style's currency.

    >>> money_text(-1234.5, decimals=2), money_text(5, currency="EUR")
    ('-$1,234.50', '€5')
    >>> money_text(-1234.5, style=number_style("€"))
    '-1.235\\xa0€'
    """
    if _missing(value):
        return "n/a"
    style = (style or active_number_style()).with_currency(currency)
    decimals = style.money_decimals(decimals)
    v = float(value)
    if not math.isfinite(v):
        return f"{v}"
    v = _round(v, decimals)
    sign = "-" if v < 0 else ""
    digits = _digits(v, decimals, style)
    symbol = style.currency
    if style.symbol_after:
        return f"{sign}{digits}{_NBSP}{symbol}"
    gap = _NBSP if symbol[-1:].isalpha() else ""
    return f"{sign}{symbol}{gap}{digits}"


def compact_money(
    value, *, currency: str | None = None, style: NumberStyle | None = None, extra: int = 0
) -> str:
    """Short money for chart ticks: ``$1.2M``, ``$950``, ``-$2.5k`` (``1,2M €`` in ``de``).

    Thousands, millions and billions get one decimal (trailing zeros dropped),
    smaller values none; ``extra`` decimals more where ticks need them to
    differ. ``currency=""`` gives the number alone (a count axis); a value that
    rounds to zero has no sign.

    >>> compact_money(1234567), compact_money(950), compact_money(-2500)
    ('$1.2M', '$950', '-$2.5k')
    >>> compact_money(1234567, style=number_style("€")), compact_money(1500, currency="")
    ('1,2M\xa0€', '1.5k')
    >>> compact_money(7.75, currency="", extra=1), compact_money(-0.01, currency="")
    ('7.8', '0')
    """
    style = (style or active_number_style()).with_currency(currency or None)
    symbol = "" if currency == "" else style.currency
    v = abs(float(value))
    text = None
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= limit:
            short = _digits(_round(v / limit, 1 + extra), 1 + extra, style)
            text = short.rstrip("0").rstrip(style.decimal) + suffix
            break
    if text is None:
        rounded = _round(v, extra)
        text = _digits(rounded, extra, style)
        v = rounded
    sign = "-" if float(value) < 0 and v != 0 else ""
    if not symbol:
        return sign + text
    if style.symbol_after:
        return f"{sign}{text}{_NBSP}{symbol}"
    gap = _NBSP if symbol[-1:].isalpha() else ""
    return f"{sign}{symbol}{gap}{text}"


def excel_money_format(style: NumberStyle | None = None) -> str:
    """Excel number format for whole amounts in the style's currency.

    Excel writes the separators of the reader's own settings, so only the
    symbol and its place are part of the format.

    >>> excel_money_format(number_style("$")), excel_money_format(number_style("€"))
    ('"$"#,##0', '#,##0\\\\ "€"')
    """
    symbol = (style or active_number_style()).currency.replace('"', "")
    if (style or active_number_style()).symbol_after:
        return f'#,##0\\ "{symbol}"'
    return f'"{symbol}"#,##0'
