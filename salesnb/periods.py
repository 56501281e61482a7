"""Reporting periods: weeks, months, quarters, halves and (fiscal) years.

Everything in salesnb that groups by time uses this module, so that a
"quarter" means the same thing in every KPI, table and chart.

API note
--------
``freq``
    one of ``"week"``, ``"month"``, ``"quarter"``, ``"half"`` (``"half-year"``
    is accepted as an alias) and ``"year"``; :func:`normalize_freq` checks it.
``fiscal_year_start``
    month (1-12) in which the fiscal year begins; default 1 (calendar year).
    It shifts quarters, halves and years; weeks and months do not depend on it.
Labels
    ``"2025-W07"`` (ISO 8601 week, Monday to Sunday, named by its ISO year),
    ``"2025-07"`` (month), ``"2025Q3"`` (quarter), ``"2025H1"`` (half),
    ``"2025"`` (year). With ``fiscal_year_start != 1`` quarter, half and year
    labels carry the **calendar year in which the fiscal year ends**: with
    ``fiscal_year_start=4`` the fiscal year 2026 runs 2025-04-01..2026-03-31,
    ``"2026Q1"`` is April-June 2025 and ``"2026H2"`` is October 2025-March 2026.
    Labels of one ``freq`` sort chronologically as plain strings.
Bounds
    :attr:`Period.start` is the first day (midnight), :attr:`Period.end` is
    **exclusive**: the first day of the next period, so a timestamp ``t``
    belongs to the period when ``start <= t < end``. :attr:`Period.last_day`
    is the inclusive last day.
"Same period last year"
    the period twelve months earlier (fiscal quarter 3 of the previous fiscal
    year, ...); for weeks the same ISO week number of the previous ISO year
    (``2026-W53`` has none: :meth:`Period.same_period_last_year` raises and the
    expression gives a label that matches no data).

Python values: :class:`Period` (parse a label with :meth:`Period.parse`, find
the period of a date with :meth:`Period.containing`), :func:`period_range`,
:func:`period_label`, :func:`latest_complete_period`,
:func:`latest_complete_quarter`.

Column expressions (narwhals, so they run on pandas, polars and DuckDB):
:func:`period_start_expr` truncates a date column to the start of its period,
:func:`period_label_expr` gives the label of the period containing a date
(optionally ``shift`` periods away) and :func:`same_period_last_year_label_expr`
the label of the same period one year earlier.

>>> p = Period.parse("2025Q3")
>>> p.start, p.end
(Timestamp('2025-07-01 00:00:00'), Timestamp('2025-10-01 00:00:00'))
>>> p.previous().label, p.same_period_last_year().label
('2025Q2', '2024Q3')
>>> Period.containing("2025-05-10", freq="quarter", fiscal_year_start=4).label
'2026Q1'
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass

import narwhals as nw
import pandas as pd

__all__ = [
    "FREQS",
    "Period",
    "normalize_freq",
    "period_range",
    "period_label",
    "period_title",
    "latest_complete_period",
    "latest_complete_quarter",
    "period_start_expr",
    "period_label_expr",
    "same_period_last_year_label_expr",
    "period_start_from_label_expr",
    "label_pattern",
]

#: Accepted period frequencies (canonical names).
FREQS: tuple[str, ...] = ("week", "month", "quarter", "half", "year")
_ALIASES = {"half-year": "half", "halfyear": "half", "half_year": "half"}
#: Length of a period in months (weeks are handled apart).
_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}

_LABEL_PATTERNS = (
    ("week", re.compile(r"^(\d{4})-W(\d{2})$")),
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})Q([1-4])$")),
    ("half", re.compile(r"^(\d{4})H([12])$")),
    ("year", re.compile(r"^(\d{4})$")),
)


def label_pattern(freq: str) -> str:
    r"""Regular expression matching the labels of ``freq`` (for ``str.contains`` filters).

    >>> print(label_pattern("quarter"))
    ^\d{4}Q[1-4]$
    """
    freq = normalize_freq(freq)
    return dict(_LABEL_PATTERNS)[freq].pattern.replace("(", "").replace(")", "")


def normalize_freq(freq: str) -> str:
    """Return the canonical name of ``freq``.

    Raises
    ------
    ValueError
        When ``freq`` is not one of :data:`FREQS` (or ``"half-year"``).

    >>> normalize_freq("half-year")
    'half'
    """
    if isinstance(freq, str):
        key = freq.strip().lower()
        key = _ALIASES.get(key, key)
        if key in FREQS:
            return key
    raise ValueError(f"unknown freq {freq!r}; expected one of {', '.join(FREQS)} (or 'half-year')")


def _check_fiscal_year_start(fiscal_year_start: int) -> int:
    if (
        isinstance(fiscal_year_start, bool)
        or not isinstance(fiscal_year_start, int)
        or not 1 <= fiscal_year_start <= 12
    ):
        raise ValueError(
            f"fiscal_year_start must be a month number 1-12, got {fiscal_year_start!r}"
        )
    return fiscal_year_start


def _timestamp(value) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected a date, got {value!r}") from exc
    if ts is pd.NaT:
        raise ValueError(f"expected a date, got {value!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _from_month_index(index: int) -> pd.Timestamp:
    return pd.Timestamp(year=index // 12, month=index % 12 + 1, day=1)


@functools.total_ordering
@dataclass(frozen=True)
class Period:
    """One reporting period: a week, month, (fiscal) quarter, half or year.

    Build it with :meth:`parse` (from a label) or :meth:`containing` (from a
    date) rather than directly. Periods of the same ``freq`` and
    ``fiscal_year_start`` are ordered in time; ``str(period)`` is its label.

    Parameters
    ----------
    freq : str
        Canonical frequency (see :data:`FREQS`).
    start : pandas.Timestamp
        First day of the period (midnight).
    fiscal_year_start : int, default 1
        Month in which the fiscal year begins.

    Examples
    --------
    >>> q = Period.parse("2026Q1", fiscal_year_start=4)
    >>> q.start.date(), q.last_day.date(), q.days
    (datetime.date(2025, 4, 1), datetime.date(2025, 6, 30), 91)
    >>> [p.label for p in (q.previous(), q.next())]
    ['2025Q4', '2026Q2']
    >>> Period.parse("2024-02").days  # leap year
    29
    >>> "2024-02-29 18:30" in Period.parse("2024-02")
    True
    """

    freq: str
    start: pd.Timestamp
    fiscal_year_start: int = 1

    def __post_init__(self) -> None:
        freq = normalize_freq(self.freq)
        fys = _check_fiscal_year_start(self.fiscal_year_start)
        start = _timestamp(self.start)
        if Period._start_of(start, freq, fys) != start:
            raise ValueError(
                f"{start.date()} is not the first day of a {freq} "
                f"(fiscal_year_start={fys}); use Period.containing() to find the "
                "period of any date"
            )
        object.__setattr__(self, "freq", freq)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "fiscal_year_start", fys)

    # -- construction -------------------------------------------------------------
    @staticmethod
    def _start_of(date: pd.Timestamp, freq: str, fiscal_year_start: int) -> pd.Timestamp:
        if freq == "week":
            return date - pd.Timedelta(days=date.weekday())
        k = _MONTHS[freq]
        index = date.year * 12 + date.month - 1
        index -= (index - (fiscal_year_start - 1)) % k
        return _from_month_index(index)

    @classmethod
    def containing(cls, date, *, freq: str, fiscal_year_start: int = 1) -> Period:
        """The period of frequency ``freq`` that contains ``date``.

        >>> Period.containing("2025-01-01", freq="week").label  # ISO week of 2025
        '2025-W01'
        >>> Period.containing("2021-01-03", freq="week").label  # a Sunday: ISO year 2020
        '2020-W53'
        >>> Period.containing("2025-07-01", freq="year", fiscal_year_start=7).label
        '2026'
        """
        freq = normalize_freq(freq)
        fys = _check_fiscal_year_start(fiscal_year_start)
        return cls(freq, cls._start_of(_timestamp(date), freq, fys), fys)

    @classmethod
    def parse(cls, label: str, *, freq: str | None = None, fiscal_year_start: int = 1) -> Period:
        """Parse a period label such as ``"2025Q3"``, ``"2025-07"`` or ``"2025-W07"``.

        The frequency follows from the label's form; ``freq``, when given, must
        agree with it. Quarter, half and year labels are read in the fiscal
        calendar given by ``fiscal_year_start``.

        Raises
        ------
        ValueError
            When the label has none of the forms ``YYYY-Www``, ``YYYY-MM``,
            ``YYYYQn``, ``YYYYHn``, ``YYYY`` (quarter, half and year also as
            their :attr:`title`, ``FY2027 Q1``), names a week or month that
            does not exist, or disagrees with ``freq``.

        >>> Period.parse("2025H2", fiscal_year_start=7).start.date()
        datetime.date(2025, 1, 1)
        >>> Period.parse("FY2027 Q1", fiscal_year_start=4).label
        '2027Q1'
        """
        if isinstance(label, Period):
            return label
        text = _FISCAL_TITLE.sub(
            lambda m: m.group(1) + (m.group(2) or "").upper(), str(label).strip()
        )
        fys = _check_fiscal_year_start(fiscal_year_start)
        found = next(
            ((kind, m) for kind, pattern in _LABEL_PATTERNS if (m := pattern.match(text))), None
        )
        if found is None:
            raise ValueError(
                f"cannot read period label {label!r}; expected 'YYYY-Www' (ISO week), "
                "'YYYY-MM', 'YYYYQn', 'YYYYHn' or 'YYYY'"
            )
        kind, match = found
        if freq is not None and normalize_freq(freq) != kind:
            raise ValueError(f"period label {label!r} is a {kind}, expected a {freq}")
        year = int(match.group(1))
        if kind == "week":
            try:
                start = pd.Timestamp(_dt.date.fromisocalendar(year, int(match.group(2)), 1))
            except ValueError:
                raise ValueError(f"{label!r}: ISO year {year} has no such week") from None
        elif kind == "month":
            month = int(match.group(2))
            if not 1 <= month <= 12:
                raise ValueError(f"{label!r}: month must be 01-12")
            start = pd.Timestamp(year=year, month=month, day=1)
        else:
            # first month of the fiscal year named ``year`` (the year it ends in)
            first = (year if fys == 1 else year - 1) * 12 + fys - 1
            position = int(match.group(2)) - 1 if kind != "year" else 0
            start = _from_month_index(first + position * _MONTHS[kind])
        return cls(kind, start, fys)

    # -- properties ---------------------------------------------------------------
    @property
    def end(self) -> pd.Timestamp:
        """Exclusive end: the first day of the next period."""
        return self.shift(1).start

    @property
    def last_day(self) -> pd.Timestamp:
        """Inclusive last day of the period (midnight)."""
        return self.end - pd.Timedelta(days=1)

    @property
    def days(self) -> int:
        """Number of calendar days in the period."""
        return int((self.end - self.start).days)

    @property
    def label(self) -> str:
        """The period's label, e.g. ``"2025Q3"`` (see the module notes)."""
        return _label(self.start, self.freq, self.fiscal_year_start)

    @property
    def title(self) -> str:
        """The label people read: ``"FY2027 Q1"`` in a fiscal calendar, else :attr:`label`.

        With ``fiscal_year_start != 1`` quarters, halves and years are written
        with their fiscal year (``FY2027 Q1``, ``FY2027 H2``, ``FY2027``), so
        they cannot be taken for calendar quarters; :meth:`parse` reads both forms.

        >>> Period.parse("2027Q1", fiscal_year_start=4).title, Period.parse("2025Q3").title
        ('FY2027 Q1', '2025Q3')
        """
        return period_title(self.label, fiscal_year_start=self.fiscal_year_start)

    @property
    def fiscal_year(self) -> int:
        """Fiscal year (named by the calendar year it ends in) the period belongs to.

        For weeks this is the ISO year.
        """
        if self.freq == "week":
            return int(self.start.isocalendar()[0])
        return _fiscal_year(self.start.year, self.start.month, self.fiscal_year_start)

    # -- arithmetic ---------------------------------------------------------------
    def shift(self, n: int) -> Period:
        """The period ``n`` periods later (earlier when ``n`` < 0)."""
        if self.freq == "week":
            start = self.start + pd.Timedelta(days=7 * n)
        else:
            index = self.start.year * 12 + self.start.month - 1 + n * _MONTHS[self.freq]
            start = _from_month_index(index)
        return Period(self.freq, start, self.fiscal_year_start)

    def previous(self) -> Period:
        """The period just before this one."""
        return self.shift(-1)

    def next(self) -> Period:
        """The period just after this one."""
        return self.shift(1)

    def same_period_last_year(self) -> Period:
        """The same period one (fiscal) year earlier.

        Weeks: the same ISO week number in the previous ISO year.

        Raises
        ------
        ValueError
            For ISO week 53 when the previous ISO year has only 52 weeks.

        >>> Period.parse("2025-W07").same_period_last_year().label
        '2024-W07'
        """
        if self.freq != "week":
            return self.shift(-12 // _MONTHS[self.freq])
        year, week, _ = self.start.isocalendar()
        try:
            start = _dt.date.fromisocalendar(year - 1, week, 1)
        except ValueError:
            raise ValueError(
                f"{self.label} has no same week last year: ISO year {year - 1} has 52 weeks"
            ) from None
        return Period("week", pd.Timestamp(start), self.fiscal_year_start)

    def __contains__(self, date) -> bool:
        ts = pd.Timestamp(date)
        return bool(self.start <= ts < self.end)

    def _key(self, other: object) -> tuple:
        if not isinstance(other, Period):
            return NotImplemented
        if (self.freq, self.fiscal_year_start) != (other.freq, other.fiscal_year_start):
            raise TypeError(
                f"cannot order a {self.freq} (fiscal_year_start={self.fiscal_year_start}) "
                f"and a {other.freq} (fiscal_year_start={other.fiscal_year_start})"
            )
        return self.start, other.start

    def __lt__(self, other: object) -> bool:
        key = self._key(other)
        if key is NotImplemented:
            return NotImplemented
        return key[0] < key[1]

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        fys = "" if self.fiscal_year_start == 1 else f", fiscal_year_start={self.fiscal_year_start}"
        return f"Period({self.label!r}{fys})"


#: ``FY2027 Q1``, ``FY2027Q1``, ``2027 Q1``, ``FY2027``: a fiscal title (see :attr:`Period.title`).
_FISCAL_TITLE = re.compile(r"^(?:FY\s?)?(\d{4})(?:\s?([QH][1-4]))?$", re.IGNORECASE)


def period_title(label, *, fiscal_year_start: int = 1) -> str:
    """The title people read for a period label (see :attr:`Period.title`).

    Quarter, half and year labels of a fiscal calendar (``fiscal_year_start
    != 1``) get the ``FY`` form; other labels and values come back as text.

    >>> period_title("2027Q1", fiscal_year_start=4), period_title("2027", fiscal_year_start=4)
    ('FY2027 Q1', 'FY2027')
    >>> period_title("2025Q3"), period_title("2025-07", fiscal_year_start=4)
    ('2025Q3', '2025-07')
    """
    text = str(label)
    fys = _check_fiscal_year_start(fiscal_year_start)
    if fys == 1:
        return text
    match = re.match(r"^(\d{4})([QH][1-4])?$", text)
    if match is None:
        return text
    year, part = match.groups()
    return f"FY{year} {part}" if part else f"FY{year}"


def _fiscal_year(year: int, month: int, fiscal_year_start: int) -> int:
    return year + (1 if fiscal_year_start != 1 and month >= fiscal_year_start else 0)


def _label(start: pd.Timestamp, freq: str, fiscal_year_start: int) -> str:
    if freq == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if freq == "month":
        return f"{start.year}-{start.month:02d}"
    fy = _fiscal_year(start.year, start.month, fiscal_year_start)
    if freq == "year":
        return str(fy)
    position = (start.month - fiscal_year_start) % 12 // _MONTHS[freq] + 1
    return f"{fy}{'Q' if freq == 'quarter' else 'H'}{position}"


def _as_period(value, freq: str, fiscal_year_start: int) -> Period:
    if isinstance(value, Period):
        if (value.freq, value.fiscal_year_start) != (freq, fiscal_year_start):
            raise ValueError(
                f"{value!r} is not a {freq} with fiscal_year_start={fiscal_year_start}"
            )
        return value
    if isinstance(value, str) and any(p.match(value.strip()) for _, p in _LABEL_PATTERNS):
        return Period.parse(value, freq=freq, fiscal_year_start=fiscal_year_start)
    return Period.containing(value, freq=freq, fiscal_year_start=fiscal_year_start)


def period_label(date, *, freq: str, fiscal_year_start: int = 1) -> str:
    """Label of the period containing ``date``.

    >>> period_label("2024-12-30", freq="week")
    '2025-W01'
    >>> period_label("2025-03-31", freq="half", fiscal_year_start=4)
    '2025H2'
    """
    return Period.containing(date, freq=freq, fiscal_year_start=fiscal_year_start).label


def period_range(start, end, *, freq: str, fiscal_year_start: int = 1) -> list[Period]:
    """All periods from the one containing ``start`` to the one containing ``end``.

    Both ends are included. ``start``/``end`` may be dates, labels or
    :class:`Period` values. An ``end`` before ``start`` gives an empty list.

    >>> [p.label for p in period_range("2025-11-15", "2026-02-01", freq="month")]
    ['2025-11', '2025-12', '2026-01', '2026-02']
    >>> [p.label for p in period_range("2025Q4", "2026Q2", freq="quarter")]
    ['2025Q4', '2026Q1', '2026Q2']
    """
    freq = normalize_freq(freq)
    fys = _check_fiscal_year_start(fiscal_year_start)
    first, last = _as_period(start, freq, fys), _as_period(end, freq, fys)
    out: list[Period] = []
    current = first
    while current <= last:
        out.append(current)
        current = current.next()
    return out


def latest_complete_period(as_of, *, freq: str = "quarter", fiscal_year_start: int = 1) -> Period:
    """The latest period that has ended by the end of day ``as_of``.

    ``as_of`` is the last day the data covers, so a period whose last day is
    ``as_of`` is complete.

    >>> latest_complete_period("2026-09-30", freq="month").label
    '2026-09'
    >>> latest_complete_period("2026-09-29", freq="month").label
    '2026-08'
    """
    day = _timestamp(as_of)
    period = Period.containing(day, freq=freq, fiscal_year_start=fiscal_year_start)
    return period if period.last_day <= day else period.previous()


def latest_complete_quarter(as_of, *, fiscal_year_start: int = 1) -> Period:
    """The latest (fiscal) quarter that is complete at ``as_of`` (inclusive).

    >>> latest_complete_quarter("2026-09-30").label
    '2026Q3'
    >>> latest_complete_quarter("2026-09-15").label
    '2026Q2'
    >>> latest_complete_quarter("2026-09-15", fiscal_year_start=7).label  # FY2027 = Jul 26-Jun 27
    '2026Q4'
    """
    return latest_complete_period(as_of, freq="quarter", fiscal_year_start=fiscal_year_start)


# -- narwhals expressions -----------------------------------------------------------------
def _expr(column) -> nw.Expr:
    return nw.col(column) if isinstance(column, str) else column


def _week_start(date: nw.Expr) -> nw.Expr:
    day = date.dt.truncate("1d")
    weekday = date.dt.weekday()  # Monday = 1 ... Sunday = 7
    expr = nw.when(weekday == 1).then(day)
    for k in range(2, 8):
        expr = expr.when(weekday == k).then(day.dt.offset_by(f"-{k - 1}d"))
    return expr


def period_start_expr(column, *, freq: str, fiscal_year_start: int = 1) -> nw.Expr:
    """Narwhals expression truncating a date column to the start of its period.

    Parameters
    ----------
    column : str or narwhals.Expr
        Date or datetime column.
    freq : str
        See :data:`FREQS`.
    fiscal_year_start : int, default 1
        Month in which the fiscal year begins (quarters, halves, years).

    Returns
    -------
    narwhals.Expr
        Datetime of the first day of the period (midnight); null stays null.

    Examples
    --------
    >>> import narwhals as nw
    >>> import pandas as pd
    >>> df = pd.DataFrame({"d": pd.to_datetime(["2025-05-10", "2025-03-31"])})
    >>> out = nw.from_native(df).with_columns(
    ...     q=period_start_expr("d", freq="quarter", fiscal_year_start=2)
    ... ).to_native()
    >>> out["q"].dt.strftime("%Y-%m-%d").tolist()
    ['2025-05-01', '2025-02-01']
    """
    freq = normalize_freq(freq)
    fys = _check_fiscal_year_start(fiscal_year_start)
    date = _expr(column)
    if freq == "week":
        return _week_start(date)
    if freq == "month":
        return date.dt.truncate("1mo")
    shift = fys - 1
    if freq == "quarter" and shift % 3 == 0:
        return date.dt.truncate("1q")
    if freq == "year" and shift == 0:
        return date.dt.truncate("1y")
    # move the fiscal calendar onto the calendar one, truncate, move back
    moved = date.dt.truncate("1mo")
    if shift:
        moved = moved.dt.offset_by(f"-{shift}mo")
    if freq == "quarter":
        moved = moved.dt.truncate("1q")
    elif freq == "year":
        moved = moved.dt.truncate("1y")
    else:  # half: calendar halves start in January and July
        quarter = moved.dt.truncate("1q")
        moved = (
            nw.when(quarter.dt.month().is_in([4, 10]))
            .then(quarter.dt.offset_by("-3mo"))
            .otherwise(quarter)
        )
    return moved.dt.offset_by(f"{shift}mo") if shift else moved


def _shift_expr(date: nw.Expr, freq: str, periods: int) -> nw.Expr:
    if periods == 0:
        return date
    if freq == "week":
        return date.dt.offset_by(f"{7 * periods}d")
    return date.dt.offset_by(f"{_MONTHS[freq] * periods}mo")


def period_label_expr(column, *, freq: str, fiscal_year_start: int = 1, shift: int = 0) -> nw.Expr:
    """Narwhals expression: label of the period containing each date.

    Works on any date of the period (it need not be the period start), so it
    can label raw dates directly. ``shift=-1`` labels the previous period,
    ``shift=1`` the next one.

    Examples
    --------
    >>> import narwhals as nw
    >>> import pandas as pd
    >>> df = pd.DataFrame({"d": pd.to_datetime(["2025-05-10", "2025-03-31"])})
    >>> nw.from_native(df).select(
    ...     q=period_label_expr("d", freq="quarter", fiscal_year_start=4),
    ...     prev=period_label_expr("d", freq="quarter", fiscal_year_start=4, shift=-1),
    ... ).to_native().values.tolist()
    [['2026Q1', '2025Q4'], ['2025Q4', '2025Q3']]
    """
    freq = normalize_freq(freq)
    fys = _check_fiscal_year_start(fiscal_year_start)
    date = _shift_expr(_expr(column), freq, shift)
    if freq == "week":
        return date.dt.to_string("%G-W%V")
    if freq == "month":
        return date.dt.to_string("%Y-%m")
    month = date.dt.month()
    year = date.dt.year()
    if fys != 1:
        year = year + nw.when(month >= fys).then(nw.lit(1)).otherwise(nw.lit(0))
    year_text = year.cast(nw.Int64).cast(nw.String)
    if freq == "year":
        return year_text
    position = ((month - fys) % 12) // _MONTHS[freq] + 1
    letter = "Q" if freq == "quarter" else "H"
    return nw.concat_str([year_text, nw.lit(letter), position.cast(nw.Int64).cast(nw.String)])


def same_period_last_year_label_expr(column, *, freq: str, fiscal_year_start: int = 1) -> nw.Expr:
    """Narwhals expression: label of the same period one year earlier.

    For weeks: the same ISO week number in the previous ISO year (a week 53
    gives a label such as ``"2019-W53"`` that no data carries).

    >>> import narwhals as nw
    >>> import pandas as pd
    >>> df = pd.DataFrame({"d": pd.to_datetime(["2025-05-10", "2021-01-03"])})
    >>> nw.from_native(df).select(
    ...     w=same_period_last_year_label_expr("d", freq="week"),
    ...     h=same_period_last_year_label_expr("d", freq="half"),
    ... ).to_native().values.tolist()
    [['2024-W19', '2024H1'], ['2019-W53', '2020H1']]
    """
    freq = normalize_freq(freq)
    if freq != "week":
        return period_label_expr(
            column, freq=freq, fiscal_year_start=fiscal_year_start, shift=-12 // _MONTHS[freq]
        )
    date = _expr(column)
    thursday = _week_start(date).dt.offset_by("3d")  # the Thursday decides the ISO year
    return nw.concat_str(
        [
            (thursday.dt.year() - 1).cast(nw.Int64).cast(nw.String),
            nw.lit("-W"),
            date.dt.to_string("%V"),
        ]
    )


def period_start_from_label_expr(column, *, freq: str, fiscal_year_start: int = 1) -> nw.Expr:
    """Narwhals expression: start date of the period named by a label column.

    For month, quarter, half and year labels (the forms targets and spend
    tables use); labels of another form give null.

    Raises
    ------
    ValueError
        For ``freq="week"`` (ISO week labels are not parsed in expressions).

    >>> import narwhals as nw
    >>> import pandas as pd
    >>> df = pd.DataFrame({"p": ["2026Q1", "2025Q4", "2025-07"]})
    >>> out = nw.from_native(df).select(
    ...     s=period_start_from_label_expr("p", freq="quarter", fiscal_year_start=4)
    ... ).to_native()
    >>> out["s"].dt.strftime("%Y-%m-%d").tolist()[:2]
    ['2025-04-01', '2025-01-01']
    """
    freq = normalize_freq(freq)
    fys = _check_fiscal_year_start(fiscal_year_start)
    if freq == "week":
        raise ValueError("period_start_from_label_expr does not read ISO week labels")
    raw = _expr(column)
    valid = raw.str.contains(label_pattern(freq)).fill_null(False)
    placeholder = {"month": "2000-01", "quarter": "2000Q1", "half": "2000H1", "year": "2000"}
    label = nw.when(valid).then(raw).otherwise(nw.lit(placeholder[freq]))
    year = label.str.slice(0, 4).cast(nw.Int64)
    if freq == "month":
        index = year * 12 + label.str.slice(5, 2).cast(nw.Int64) - 1
    else:
        index = (year - (0 if fys == 1 else 1)) * 12 + (fys - 1)
        if freq != "year":
            position = label.str.slice(5, 1).cast(nw.Int64) - 1
            index = index + position * _MONTHS[freq]
    month = (index % 12 + 1).cast(nw.Int64).cast(nw.String).str.zfill(2)
    text = nw.concat_str(
        [(index // 12).cast(nw.Int64).cast(nw.String), nw.lit("-"), month, nw.lit("-01")]
    )
    guarded = nw.when(valid).then(text)
    return guarded.str.to_datetime("%Y-%m-%d")
