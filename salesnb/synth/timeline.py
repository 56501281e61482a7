"""Time inside the generator: minutes and days counted from ``start``.

Every generator keeps event times as numbers (day 0 and minute 0 are ``start``,
0:00) and converts them to ``datetime64[ns]`` columns only when it builds a
table. This module holds that convention: calendar lookups by day (month,
quarter), quarter labels and first days, random working minutes, and the
conversion to timestamps and dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.synth.catalog import SEASON

#: Minutes per day.
DAY_MIN = 1440


class Calendar:
    """Day-indexed calendar lookups; day 0 is ``start``."""

    def __init__(self, start: pd.Timestamp, lo: int, hi: int):
        self.start = start
        self.lo = lo
        days = pd.date_range(start + pd.Timedelta(days=lo), start + pd.Timedelta(days=hi))
        self.month = days.month.to_numpy() - 1
        self.qindex = (days.year.to_numpy() - 2000) * 4 + (days.month.to_numpy() - 1) // 3

    def season(self, day: np.ndarray) -> np.ndarray:
        return SEASON[self.month[np.asarray(day, dtype=np.int64) - self.lo]]

    def quarter(self, day: np.ndarray) -> np.ndarray:
        """Quarter number (year*4 + quarter-1, offset from 2000) of ``day``."""
        return self.qindex[np.asarray(day, dtype=np.int64) - self.lo]


def qlabel(q: int) -> str:
    return f"{2000 + q // 4}Q{q % 4 + 1}"


def qstart_day(q: int, start: pd.Timestamp) -> int:
    ts = pd.Timestamp(year=2000 + q // 4, month=3 * (q % 4) + 1, day=1)
    return (ts - start).days


def biz_minutes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random minute of a working day (08:00-18:59)."""
    return 8 * 60 + rng.integers(0, 11 * 60, size=n)


def snap(rng: np.random.Generator, t, lo, hi) -> np.ndarray:
    """Move minute times ``t`` to a random working minute of their day, within [lo, hi]."""
    t = np.asarray(t, dtype=np.float64)
    day = np.floor(t / DAY_MIN)
    out = day * DAY_MIN + biz_minutes(rng, len(t))
    return np.minimum(np.maximum(out, lo), hi)


def timestamps(start: pd.Timestamp, minutes: np.ndarray, valid=None) -> pd.Series:
    """Minutes since ``start`` -> datetime64[ns] (NaT where not ``valid``)."""
    minutes = np.asarray(minutes)
    base = np.datetime64(start.to_datetime64(), "m")
    safe = np.where(np.isfinite(minutes), minutes, 0).astype(np.int64)
    out = (base + safe.astype("timedelta64[m]")).astype("datetime64[ns]")
    bad = ~np.isfinite(minutes) if minutes.dtype.kind == "f" else np.zeros(len(out), bool)
    if valid is not None:
        bad = bad | ~np.asarray(valid, dtype=bool)
    out[bad] = np.datetime64("NaT")
    return pd.Series(out)


def dates(start: pd.Timestamp, days: np.ndarray, valid=None) -> pd.Series:
    """Days since ``start`` -> datetime64[ns] at midnight (NaT where not ``valid``)."""
    days = np.asarray(days, dtype=np.float64)
    return timestamps(start, days * DAY_MIN, valid)
