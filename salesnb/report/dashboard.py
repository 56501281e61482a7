"""The index as a dashboard: headline KPI cards with trend lines, linked attention items.

A card shows one headline KPI of the quarter (:func:`salesnb.sections.headline_series`,
computed once by the runner on the loaded data), its change against the previous
quarter and the same quarter last year, each marked ``good`` or ``bad`` by whether
that change is good news for the KPI (revenue up is good, overdue receivables up is
bad: :func:`salesnb.sections.better_direction`), and a trend line of the last 8
quarters. The trend line is a few SVG coordinates written here rather than a chart
library's output: the index stays one small self-contained page (no script, no
external file), and a polyline of 8 points needs no more than a scale.

Attention items link to the section of the page that explains them
(:func:`attention_links`): the anchor is used only when the rendered page has it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from salesnb import sections
from salesnb.periods import Period

__all__ = [
    "SPARK_QUARTERS",
    "Change",
    "Card",
    "kpi_cards",
    "sparkline_points",
    "page_anchors",
    "attention_links",
]

#: Quarters drawn by a card's trend line (the quarter and the 7 before it).
SPARK_QUARTERS = 8
#: Size of the trend line's drawing box (SVG user units; the page scales it).
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120.0, 32.0, 3.0


@dataclasses.dataclass(frozen=True)
class Change:
    """A card's change against one earlier quarter.

    ``direction`` is ``up``, ``down`` or ``flat`` (or ``none`` without a
    comparison); ``verdict`` is ``good``, ``bad`` or ``neutral``.
    """

    against: str
    text: str
    direction: str
    verdict: str

    @property
    def css(self) -> str:
        """CSS classes of the change: ``change up good``, ``change down bad``..."""
        return f"change {self.direction} {self.verdict}"

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "flat": "▶"}.get(self.direction, "")


@dataclasses.dataclass(frozen=True)
class Card:
    """One headline KPI as the index shows it (text ready for the page)."""

    name: str
    value: str
    changes: tuple[Change, ...]
    points: str
    last_point: tuple[float, float] | None
    trend_text: str
    good_when: str


def _change(now, ref, *, kind: str, good: int, against: str) -> Change:
    points = kind == "pct"
    text = sections.fmt_change(now, ref, points=points)
    if text == "n/a":
        return Change(against, text, "none", "neutral")
    diff = float(now) - float(ref)
    if diff == 0 or text.lstrip("+-").startswith("0.0"):
        return Change(against, text, "flat", "neutral")
    direction = "up" if diff > 0 else "down"
    verdict = "good" if (diff > 0) == (good > 0) else "bad"
    return Change(against, text, direction, verdict)


def sparkline_points(
    values: Iterable[float],
    *,
    width: float = SPARK_WIDTH,
    height: float = SPARK_HEIGHT,
    pad: float = SPARK_PAD,
) -> list[tuple[float, float]]:
    """SVG coordinates of a trend line: one point per value present, left to right.

    Position ``i`` of ``n`` values is at ``x = pad + i * (width - 2 pad) / (n - 1)``;
    ``y`` scales the smallest value to the bottom (``height - pad``) and the largest
    to the top (``pad``); SVG's y axis points down. Equal values sit in the middle.
    Missing values (None, NaN) leave a gap: no point.

    >>> sparkline_points([1.0, 3.0, 2.0], width=20, height=12, pad=1)
    [(1.0, 11.0), (10.0, 1.0), (19.0, 6.0)]
    >>> sparkline_points([5.0, float("nan"), 5.0], width=20, height=12, pad=1)
    [(1.0, 6.0), (19.0, 6.0)]
    """
    values = [None if v is None or _nan(v) else float(v) for v in values]
    present = [v for v in values if v is not None]
    if not present:
        return []
    lo, hi = min(present), max(present)
    n = len(values)
    step = (width - 2 * pad) / (n - 1) if n > 1 else 0.0
    out = []
    for i, v in enumerate(values):
        if v is None:
            continue
        share = 0.5 if hi == lo else (v - lo) / (hi - lo)
        x = pad + i * step if n > 1 else width / 2
        out.append((round(x, 2), round(height - pad - share * (height - 2 * pad), 2)))
    return out


def _nan(value) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def kpi_cards(
    series: Mapping[str, tuple[str, pd.Series]],
    period: Period,
    *,
    currency: str | None = None,
    quarters: int = SPARK_QUARTERS,
) -> list[Card]:
    """One card per headline KPI of ``series`` (:func:`salesnb.sections.headline_series`).

    Value of ``period``; changes against the previous quarter and the same quarter
    last year (rates in percentage points, the rest in percent), each ``good`` when
    it goes the KPI's better way (:func:`salesnb.sections.better_direction`); a
    trend line of the last ``quarters`` quarters up to ``period``
    (:func:`sparkline_points`). A KPI with no value in ``period`` gets no card.

    >>> s = pd.Series([100.0, 90, 95, 120, 110, 100, 130, 150],
    ...               index=[Period.parse("2025Q4").shift(-k).label for k in range(7, -1, -1)])
    >>> card = kpi_cards({"Revenue": ("money", s)}, Period.parse("2025Q4"))[0]
    >>> card.value, [(c.text, c.css) for c in card.changes]
    ('$150', [('+15.4%', 'change up good'), ('+25.0%', 'change up good')])
    >>> len(card.points.split())
    8
    """
    labels = [period.shift(-k).label for k in range(quarters - 1, -1, -1)]
    cards = []
    for name, (kind, values) in series.items():
        now = values.get(period.label)
        if now is None or _nan(now):
            continue
        good = sections.better_direction(name)
        changes = tuple(
            _change(now, values.get(other.label, float("nan")), kind=kind, good=good, against=label)
            for other, label in (
                (period.previous(), "vs last quarter"),
                (period.same_period_last_year(), "vs a year ago"),
            )
        )
        trend = [values.get(lab, float("nan")) for lab in labels]
        pts = sparkline_points(trend)
        shown = [
            f"{sections.period_text(lab)} {sections.value_text(v, kind, currency=currency)}"
            for lab, v in zip(labels, trend, strict=True)
            if not _nan(v)
        ]
        maturing = period.label in values.attrs.get("maturing", ())
        cards.append(
            Card(
                name=name + (" (cohort still maturing)" if maturing else ""),
                value=sections.value_text(now, kind, currency=currency),
                changes=changes,
                points=" ".join(f"{x:g},{y:g}" for x, y in pts),
                last_point=pts[-1] if pts and not _nan(trend[-1]) else None,
                trend_text=f"Last {len(shown)} quarters: " + ", ".join(shown),
                good_when="higher is better" if good > 0 else "lower is better",
            )
        )
    return cards


_ID = re.compile(r"""\bid=["']([^"']+)["']""")


def page_anchors(path: Path) -> set[str]:
    """The ``id`` attributes of the HTML page at ``path`` (empty when it is missing)."""
    try:
        return set(_ID.findall(path.read_text(encoding="utf-8")))
    except OSError:
        return set()


def attention_links(
    items: Iterable[Mapping], folder: Path, *, titles: Mapping[str, str] | None = None
) -> list[dict]:
    """Attention items with the link to the section that explains them.

    Each item has ``message``, ``page`` (a page's file stem, or ``index``) and
    ``section`` (an anchor; see :func:`salesnb.sections.attention`). The link is
    ``<page>.html#<section>`` when that page in ``folder`` has the anchor,
    ``<page>.html`` when the page exists without it, else no link (``href`` "").
    ``where`` names the target for the link text: the page's title (``titles``:
    file stem -> title) and the section's heading.

    Returns
    -------
    list of dict
        ``message, href, where``.
    """
    titles = dict(titles or {})
    anchors: dict[str, set[str]] = {}
    out = []
    for item in items:
        page, section = str(item.get("page") or ""), str(item.get("section") or "")
        href, where = "", ""
        heading = section.replace("-", " ")
        heading = heading[:1].upper() + heading[1:]
        if page:
            name = f"{page}.html"
            if page == "index":
                href, where = (f"#{section}", heading) if section else ("", "")
            elif (folder / name).is_file():
                if page not in anchors:
                    anchors[page] = page_anchors(folder / name)
                found = section in anchors[page]
                href = f"{name}#{section}" if found else name
                title = titles.get(page, page.replace("_", " "))
                where = f"{title} › {heading}" if found else title
        out.append({"message": str(item["message"]), "href": href, "where": where})
    return out
