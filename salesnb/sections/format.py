"""Numbers, text and tables as a manager reads them, shown in a notebook.

* :func:`fmt_money`, :func:`fmt_number`, :func:`fmt_pct`, :func:`fmt_change`,
  :func:`value_text` — numbers with thousands separators and currency;
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

__all__ = [
    "note",
    "say",
    "md_escape",
    "bullet_list",
    "fmt_money",
    "fmt_number",
    "fmt_pct",
    "fmt_change",
    "value_text",
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


def note(text: str) -> None:
    """Show a Markdown note (already escaped; see :func:`md_escape`)."""
    from IPython.display import Markdown

    _display(Markdown(text))


def say(text: str, *values: object) -> None:
    """Show narrative Markdown; ``values`` fill ``{}`` placeholders, escaped.

    Data values (names, regions) go through :func:`md_escape`, so a customer
    called ``<script>`` shows as text.
    """
    from IPython.display import Markdown

    if values:
        text = text.format(*(md_escape(v) for v in values))
    _display(Markdown(text))


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
    from decimal import ROUND_HALF_UP, Decimal

    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP))


def fmt_money(value, *, currency: str = "$", decimals: int = 0) -> str:
    """Money with thousands separators: ``$1,234``; negatives ``-$1,234``; missing ``n/a``.

    >>> fmt_money(-1234.5, decimals=2), fmt_money(float("nan")), fmt_money(5, currency="€")
    ('-$1,234.50', 'n/a', '€5')
    """
    if _missing(value):
        return "n/a"
    v = _round(value, decimals) if math.isfinite(float(value)) else float(value)
    sign = "-" if v < 0 else ""
    return f"{sign}{currency}{abs(v):,.{decimals}f}"


def fmt_number(value, *, decimals: int = 0) -> str:
    """A number with thousands separators; missing values give ``n/a``.

    >>> fmt_number(12345.678, decimals=1), fmt_number(None)
    ('12,345.7', 'n/a')
    """
    if _missing(value):
        return "n/a"
    v = float(value)
    return f"{(_round(v, decimals) if math.isfinite(v) else v):,.{decimals}f}"


def fmt_pct(value, *, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.253`` -> ``25.3%``.

    >>> fmt_pct(0.253), fmt_pct(None)
    ('25.3%', 'n/a')
    """
    if _missing(value):
        return "n/a"
    return f"{float(value) * 100:,.{decimals}f}%"


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
        diff = (cur - prev) * 100
        return f"{diff:+,.{decimals}f} pp"
    if prev == 0:
        return "n/a"
    return f"{(cur - prev) / abs(prev) * 100:+,.{decimals}f}%"


_KINDS = ("money", "pct", "count", "number", "days")


def value_text(value, kind: str = "number", *, currency: str = "$") -> str:
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
        return "n/a" if _missing(value) else f"{float(value):,.1f} days"
    return fmt_number(value, decimals=1)


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
    currency: str = "$",
    decimals: int = 1,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with the named columns turned into display text.

    ``money`` columns get the currency and thousands separators (no
    decimals), ``pct`` columns (fractions) a percent sign, ``integer`` and
    ``number`` columns thousands separators (``number`` with ``decimals``),
    ``dates`` ``YYYY-MM-DD``, ``change`` columns (relative changes as
    fractions) a signed percent (``+12.5%``). Other columns are left as they are. Column
    names have ``_`` replaced by spaces unless ``rename`` names them.

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
        out[c] = [fmt_pct(v, decimals=decimals) for v in frame[c]]
    for c in groups["integer"]:
        out[c] = [fmt_number(v) for v in frame[c]]
    for c in groups["number"]:
        out[c] = [fmt_number(v, decimals=decimals) for v in frame[c]]
    for c in groups["dates"]:
        out[c] = [
            ("n/a" if _missing(v) else pd.Timestamp(v).strftime("%Y-%m-%d")) for v in frame[c]
        ]
    for c in groups["change"]:
        out[c] = [("n/a" if _missing(v) else f"{float(v) * 100:+,.{decimals}f}%") for v in frame[c]]
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
