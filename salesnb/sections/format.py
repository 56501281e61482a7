"""Numbers, text and tables as a manager reads them, shown in a notebook.

* :func:`fmt_money`, :func:`fmt_number`, :func:`fmt_pct`, :func:`fmt_change`,
  :func:`fmt_days`, :func:`value_text` — numbers in the report's number style
  and currency (:mod:`salesnb.numbers`, set once per report by
  :func:`~salesnb.sections.settings.use_settings`), with the same decimals per
  kind everywhere (:data:`DECIMALS`: money 0, rates and days 1);
* :func:`compact_money` (chart ticks), :func:`period_text` (a period label as
  shown: ``FY2027 Q1`` in a fiscal calendar);
* :func:`format_table`, :func:`table`, :func:`show_table` — a frame as an HTML
  table with formatted numbers and every value HTML-escaped;
* :func:`note`, :func:`say`, :func:`md_escape`, :func:`bullet_list` — Markdown
  notes and narrative text with data values escaped.

>>> fmt_money(1234567.891), fmt_pct(0.1234), fmt_change(110, 100)
('$1,234,568', '12.3%', '+10.0%')
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping

import pandas as pd

from salesnb import numbers as _numbers
from salesnb.numbers import compact_money
from salesnb.sections.settings import calendar_quarter_text, period_text

__all__ = [
    "note",
    "say",
    "md_escape",
    "bullet_list",
    "fmt_money",
    "fmt_number",
    "fmt_pct",
    "fmt_change",
    "fmt_days",
    "value_text",
    "compact_money",
    "period_text",
    "DECIMALS",
    "format_table",
    "table",
    "show_table",
]


# -- notes and narrative ------------------------------------------------------------------
def _display(obj) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency via ipykernel
        print(obj)
        return
    display(obj)


# a dollar sign not escaped already (after an even number of backslashes)
_BARE_DOLLAR = re.compile(r"(?<!\\)((?:\\\\)*)\$")


def no_math(text: str) -> str:
    """Markdown ``text`` with every dollar sign escaped, so amounts are never math.

    Jupyter's and nbconvert's Markdown read ``$...$`` as a math span: in
    "lost -$15, back +$13" the text between the two signs would show raw, its
    Markdown escapes as backslashes. The pages have no math, so each ``$`` is
    written ``\\$`` (already escaped ones are left as they are).

    >>> no_math("lost -$15, back \\+$13, kept \\$2")
    'lost -\\\\$15, back \\\\+\\\\$13, kept \\\\$2'
    """
    return _BARE_DOLLAR.sub(r"\1\\$", text)


def note(text: str) -> None:
    """Show a Markdown note (already escaped; see :func:`md_escape`); dollar signs are
    never math (:func:`no_math`)."""
    from IPython.display import Markdown

    _display(Markdown(no_math(text)))


def say(text: str, *values: object) -> None:
    """Show narrative Markdown; ``values`` fill ``{}`` placeholders, escaped.

    Data values (names, regions) go through :func:`md_escape`, so a customer
    called ``<script>`` shows as text. Dollar signs are never math (:func:`no_math`).
    """
    from IPython.display import Markdown

    if values:
        text = text.format(*(md_escape(v) for v in values))
    _display(Markdown(no_math(text)))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def md_escape(value: object) -> str:
    """Text safe to put into Markdown: HTML-escaped, Markdown punctuation backslashed.

    Numbers pass through unchanged.

    >>> md_escape("<script>alert(1)</script>")
    '&lt;script&gt;alert\\\\(1\\\\)&lt;/script&gt;'
    >>> md_escape("$1,234")
    '$1,234'
    """
    text = str(value)
    text = html.escape(text, quote=False)
    return _MD_SPECIAL.sub(r"\\\1", text)


def bullet_list(messages: Iterable[str]) -> str:
    """Markdown bullet list of plain-text messages (escaped).

    >>> bullet_list(["a <b>", "c"])
    '- a &lt;b&gt;\\n- c'
    """
    return "\n".join(f"- {md_escape(m)}" for m in messages)


# -- numbers ------------------------------------------------------------------------------
def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float | int) and math.isnan(value))
    except TypeError:
        return False


def _round(value: float, decimals: int) -> float:
    """Round half away from zero (as people and spreadsheets do), not half to even."""
    return _numbers._round(value, decimals)


#: Decimals per kind of figure, the same on every page: money in whole units,
#: rates (percentages, relative changes) and days with one decimal.
DECIMALS = {"money": 0, "pct": 1, "change": 1, "days": 1, "number": 1, "count": 0}


def fmt_money(value, *, currency: str | None = None, decimals: int = 0) -> str:
    """Money in the report's number style: ``$1,234``, ``-$1,234``, ``1.234 €``; missing ``n/a``.

    ``currency`` (symbol or ISO code) defaults to the report's currency
    (:func:`~salesnb.sections.settings.use_settings`); a currency without minor
    unit (¥) never shows decimals.

    >>> fmt_money(-1234.5, decimals=2), fmt_money(float("nan")), fmt_money(5, currency="$")
    ('-$1,234.50', 'n/a', '$5')
    """
    if _missing(value):
        return "n/a"
    return _numbers.money_text(value, decimals=decimals, currency=currency)


def fmt_number(value, *, decimals: int = 0) -> str:
    """A number with thousands separators (report's number style); missing gives ``n/a``.

    >>> fmt_number(12345.678, decimals=1), fmt_number(None)
    ('12,345.7', 'n/a')
    """
    if _missing(value):
        return "n/a"
    return _numbers.number_text(value, decimals=decimals)


def fmt_pct(value, *, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.253`` -> ``25.3%``.

    >>> fmt_pct(0.253), fmt_pct(0.56710), fmt_pct(None)
    ('25.3%', '56.7%', 'n/a')
    """
    if _missing(value):
        return "n/a"
    return _numbers.number_text(float(value) * 100, decimals=decimals, half_up=False) + "%"


def _signed(value: float, decimals: int) -> str:
    text = _numbers.number_text(value, decimals=decimals, half_up=False)
    return text if text.startswith("-") else "+" + text


def fmt_change(current, previous, *, points: bool = False, decimals: int = 1) -> str:
    """Signed change of ``current`` over ``previous``.

    Relative change in percent (``+10.0%``) by default; with ``points=True``
    the difference of two rates in percentage points (``+2.0 pp``). Missing or
    zero ``previous`` gives ``n/a``.

    >>> fmt_change(90, 100), fmt_change(0.25, 0.23, points=True), fmt_change(5, 0)
    ('-10.0%', '+2.0 pp', 'n/a')
    """
    if _missing(current) or _missing(previous):
        return "n/a"
    cur, prev = float(current), float(previous)
    if points:
        return _signed((cur - prev) * 100, decimals) + " pp"
    if prev == 0:
        return "n/a"
    return _signed((cur - prev) / abs(prev) * 100, decimals) + "%"


def fmt_days(value) -> str:
    """Days with one decimal: ``85.5 days``; missing gives ``n/a``.

    >>> fmt_days(85.45), fmt_days(None)
    ('85.5 days', 'n/a')
    """
    if _missing(value):
        return "n/a"
    return _numbers.number_text(value, decimals=DECIMALS["days"]) + " days"


_KINDS = ("money", "pct", "count", "number", "days")


def value_text(value, kind: str = "number", *, currency: str | None = None) -> str:
    """``value`` formatted by ``kind``: money, pct (fraction), count, number or days.

    >>> value_text(1234.5, "money"), value_text(0.25, "pct"), value_text(12.34, "days")
    ('$1,235', '25.0%', '12.3 days')
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    if kind == "money":
        return fmt_money(value, currency=currency)
    if kind == "pct":
        return fmt_pct(value)
    if kind == "count":
        return fmt_number(value)
    if kind == "days":
        return fmt_days(value)
    return fmt_number(value, decimals=DECIMALS["number"])


# -- tables -------------------------------------------------------------------------------
def format_table(
    frame: pd.DataFrame,
    *,
    money: Iterable[str] = (),
    pct: Iterable[str] = (),
    integer: Iterable[str] = (),
    number: Iterable[str] = (),
    dates: Iterable[str] = (),
    change: Iterable[str] = (),
    days: Iterable[str] = (),
    currency: str | None = None,
    decimals: int = 1,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with the named columns turned into display text.

    ``money`` columns get the currency and thousands separators (no
    decimals), ``pct`` columns (fractions) a percent sign with one decimal,
    ``days`` one decimal, ``integer`` and ``number`` columns thousands
    separators (``number`` with ``decimals``, the one kind whose decimals a
    table may choose), ``dates`` ``YYYY-MM-DD``, ``change`` columns (relative
    changes as fractions) a signed percent (``+12.5%``). Numbers follow the
    report's number style; a ``period`` column of period labels shows them as
    :func:`period_text` (``FY2027 Q1`` in a fiscal calendar), a ``quarter``
    column (the calendar quarters of the forecasts) as
    :func:`~salesnb.sections.settings.calendar_quarter_text`.
    Other columns are left as they are. Column names have ``_`` replaced by
    spaces unless ``rename`` names them.

    Raises
    ------
    KeyError
        When a named column is not in ``frame``.

    >>> f = pd.DataFrame({"rep": ["Ann"], "revenue": [12345.6], "win_rate": [0.5]})
    >>> format_table(f, money=["revenue"], pct=["win_rate"]).to_dict("records")
    [{'rep': 'Ann', 'revenue': '$12,346', 'win rate': '50.0%'}]
    """
    from salesnb.sections.engine_inputs import collect

    frame = collect(frame)  # a lazy KPI result: small
    groups = {
        "money": list(money),
        "pct": list(pct),
        "integer": list(integer),
        "number": list(number),
        "dates": list(dates),
        "change": list(change),
        "days": list(days),
    }
    named = [c for cols in groups.values() for c in cols]
    missing = [c for c in named if c not in frame.columns]
    if missing:
        raise KeyError(
            f"format_table: column(s) {missing} not in the frame (columns: {list(frame.columns)})"
        )
    out = frame.copy()
    for c in groups["money"]:
        out[c] = [fmt_money(v, currency=currency) for v in frame[c]]
    for c in groups["pct"]:
        out[c] = [fmt_pct(v, decimals=DECIMALS["pct"]) for v in frame[c]]
    for c in groups["days"]:
        out[c] = [fmt_number(v, decimals=DECIMALS["days"]) for v in frame[c]]
    for c in groups["integer"]:
        out[c] = [fmt_number(v) for v in frame[c]]
    for c in groups["number"]:
        out[c] = [fmt_number(v, decimals=decimals) for v in frame[c]]
    for c in groups["dates"]:
        out[c] = [
            ("n/a" if _missing(v) else pd.Timestamp(v).strftime("%Y-%m-%d")) for v in frame[c]
        ]
    for c in groups["change"]:
        out[c] = [
            ("n/a" if _missing(v) else _signed(float(v) * 100, DECIMALS["change"]) + "%")
            for v in frame[c]
        ]
    if "period" in out.columns and "period" not in named:
        out["period"] = [v if _missing(v) else period_text(v) for v in frame["period"]]
    if "quarter" in out.columns and "quarter" not in named:  # the forecasts' calendar quarters
        out["quarter"] = [v if _missing(v) else calendar_quarter_text(v) for v in frame["quarter"]]
    names = dict(rename or {})
    out.columns = [names.get(str(c), str(c).replace("_", " ")) for c in out.columns]
    return out


class _HTMLTable:
    """An HTML fragment with the rich-display hook notebooks render."""

    def __init__(self, body: str):
        self.body = body

    def _repr_html_(self) -> str:
        return self.body

    def __repr__(self) -> str:
        return f"<table: {len(self.body)} characters of HTML>"


def table(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    max_rows: int = 25,
    index: bool = False,
    **formats,
) -> _HTMLTable:
    """Show-ready HTML table: numbers formatted (see :func:`format_table`), values escaped.

    Every cell, header and the caption are HTML-escaped, so data values
    cannot inject markup into the report.

    >>> t = table(pd.DataFrame({"customer": ["<b>x</b>"], "amount": [1500.0]}),
    ...           money=["amount"])
    >>> "&lt;b&gt;x&lt;/b&gt;" in t._repr_html_(), "$1,500" in t._repr_html_()
    (True, True)
    """
    shown = format_table(frame, **formats)
    more = len(shown) - max_rows
    if more > 0:
        shown = shown.head(max_rows)
    body = shown.to_html(index=index, escape=True, border=0, classes="salesnb-table", na_rep="n/a")
    if caption:
        body = f"<p class='salesnb-caption'><strong>{html.escape(caption)}</strong></p>" + body
    if more > 0:
        body += f"<p class='salesnb-caption'>… and {more:,} more rows.</p>"
    return _HTMLTable(body)


def show_table(frame: pd.DataFrame, **kwargs) -> None:
    """Display :func:`table` (for use inside ``if`` blocks of a notebook)."""
    _display(table(frame, **kwargs))
