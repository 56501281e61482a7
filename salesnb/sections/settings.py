"""The company's own calendar and money in a report: fiscal year start, currency, number style.

Set once per report and used by every page:

* :func:`report_settings` resolves them: a value given explicitly (a
  ``salesnb report`` flag, a notebook parameter) wins over the mapping file's
  ``[settings]`` section (:func:`salesnb.load.mapping_settings`), which wins
  over the default (calendar quarters, ``$``, ``en`` style);
* :func:`use_settings` (a notebook's first cell) resolves and activates them:
  tables, sentences and chart ticks are then written in the company's number
  style (:mod:`salesnb.numbers`), KPIs called through
  :data:`~salesnb.sections.engine_inputs.kpi` or :func:`kpi_for
  <salesnb.sections.engine_inputs.kpi_for>` count in its fiscal quarters, and
  period labels are shown as fiscal titles (``FY2027 Q1``);
* :func:`using_settings` does the same for a block of code (the report runner's
  index, leaderboard page and workbook).

The active settings live in a :class:`contextvars.ContextVar`, like the number
style: what one thread sets does not leak into another.

>>> s = report_settings({"settings": {"fiscal_year_start": 4, "currency": "EUR"}}, currency="¥")
>>> s.fiscal_year_start, s.currency, s.number_style
(4, '¥', 'en')
>>> with using_settings(s):
...     active_settings().fiscal_year_start
4
>>> active_settings().fiscal_year_start
1
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from salesnb.load import mapping_settings
from salesnb.numbers import NumberStyle, currency_symbol, number_style, using_number_style
from salesnb.numbers import use_number_style as _use_number_style
from salesnb.periods import Period, period_title

__all__ = [
    "ReportSettings",
    "report_settings",
    "use_settings",
    "using_settings",
    "active_settings",
    "period_text",
    "calendar_quarter_text",
]


@dataclass(frozen=True)
class ReportSettings:
    """A report's calendar and money.

    Parameters
    ----------
    fiscal_year_start : int
        Month (1-12) in which the fiscal year begins; 1 gives calendar quarters.
    currency : str
        Symbol shown with amounts (an ISO code given to :func:`report_settings`
        becomes its symbol).
    number_style : str
        ``en`` (1,234.56), ``de`` (1.234,56), ``fr`` (1 234,56) or ``ch`` (1'234.56).
    """

    fiscal_year_start: int = 1
    currency: str = "$"
    number_style: str = "en"

    @property
    def style(self) -> NumberStyle:
        """The :class:`~salesnb.numbers.NumberStyle` of these settings."""
        return NumberStyle(self.number_style, self.currency, self.fiscal_year_start)

    def parameters(self) -> dict:
        """The notebook parameters carrying these settings."""
        return {
            "fiscal_year_start": self.fiscal_year_start,
            "currency": self.currency,
            "number_style": self.number_style,
        }


def report_settings(
    mapping: str | Path | dict | None = None,
    *,
    fiscal_year_start: int | None = None,
    currency: str | None = None,
    number_style: str | None = None,
) -> ReportSettings:
    """The settings of a report: explicit values > the mapping's ``[settings]`` > defaults.

    Without a number style anywhere, the euro is written ``1.234,56 €`` and
    other currencies ``$1,234.56`` (:func:`salesnb.numbers.number_style`).

    Raises
    ------
    ValueError
        ``fiscal_year_start`` outside 1-12, an empty currency, an unknown number style.
    salesnb.errors.MappingError
        A malformed ``[settings]`` section.

    >>> report_settings(currency="EUR")
    ReportSettings(fiscal_year_start=1, currency='€', number_style='de')
    >>> report_settings(fiscal_year_start=7, currency="$", number_style="ch").number_style
    'ch'
    """
    given = mapping_settings(mapping) if mapping is not None else {}
    month = (
        fiscal_year_start if fiscal_year_start is not None else given.get("fiscal_year_start", 1)
    )
    if isinstance(month, str) and month.strip().isdigit():
        month = int(month)
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise ValueError(
            f"fiscal_year_start = {month!r}: expected the month number (1-12) in which the "
            "fiscal year begins, e.g. 4 for April"
        )
    money = currency if currency is not None else given.get("currency")
    style_name = number_style if number_style is not None else given.get("number_style")
    if money is not None and not str(money).strip():
        raise ValueError("currency is empty; give a symbol such as '€' or a code such as 'EUR'")
    style = _number_style(money, style_name)
    return ReportSettings(month, style.currency, style.name)


def _number_style(currency, name) -> NumberStyle:
    try:
        return number_style(None if currency is None else currency_symbol(currency), name)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


_DEFAULT = ReportSettings()
_ACTIVE: contextvars.ContextVar[ReportSettings | None] = contextvars.ContextVar(
    "salesnb_report_settings", default=None
)


def active_settings() -> ReportSettings:
    """The settings in force (defaults until :func:`use_settings` is called)."""
    return _ACTIVE.get() or _DEFAULT


def use_settings(
    mapping: str | Path | dict | None = None,
    *,
    fiscal_year_start: int | None = None,
    currency: str | None = None,
    number_style: str | None = None,
) -> ReportSettings:
    """Resolve the settings (:func:`report_settings`) and make them the active ones.

    What a report notebook's first cell calls with its parameters, so that every
    table, sentence, chart and KPI of the page follows the company's calendar and money.
    """
    settings = report_settings(
        mapping,
        fiscal_year_start=fiscal_year_start,
        currency=currency,
        number_style=number_style,
    )
    _ACTIVE.set(settings)
    _use_number_style(settings.style)
    return settings


@contextlib.contextmanager
def using_settings(settings: ReportSettings) -> Iterator[ReportSettings]:
    """Context in which ``settings`` are active; the previous ones come back after."""
    token = _ACTIVE.set(settings)
    try:
        with using_number_style(settings.style):
            yield settings
    finally:
        _ACTIVE.reset(token)


def period_text(label) -> str:
    """A period label as shown: its fiscal title in a fiscal calendar (``FY2027 Q1``).

    >>> period_text("2027Q1")
    '2027Q1'
    >>> with using_settings(ReportSettings(fiscal_year_start=4)):
    ...     period_text("2027Q1")
    'FY2027 Q1'
    """
    return period_title(label, fiscal_year_start=active_settings().fiscal_year_start)


def calendar_quarter_text(label) -> str:
    """A calendar quarter label (as the forecast models write them) in the report's calendar.

    In a fiscal calendar whose quarters line up with calendar quarters (a
    fiscal year starting in January, April, July or October) the calendar
    quarter is shown as the fiscal quarter it is; otherwise it keeps its
    calendar label, marked as such. Text that is no quarter label comes back as it is.

    >>> calendar_quarter_text("2026Q4")
    '2026Q4'
    >>> with using_settings(ReportSettings(fiscal_year_start=4)):
    ...     calendar_quarter_text("2026Q4")
    'FY2027 Q3'
    >>> with using_settings(ReportSettings(fiscal_year_start=2)):
    ...     calendar_quarter_text("2026Q4")
    '2026Q4 (calendar quarter)'
    """
    text = str(label)
    fys = active_settings().fiscal_year_start
    if fys == 1:
        return text
    try:
        quarter = Period.parse(text, freq="quarter")
    except ValueError:
        return text
    fiscal = Period.containing(quarter.start, freq="quarter", fiscal_year_start=fys)
    return fiscal.title if fiscal.start == quarter.start else f"{text} (calendar quarter)"
