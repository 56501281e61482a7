"""Parse raw values by contract kind: numbers, dates, flags, text.

Why parsing is written here rather than left to pandas/pandera coercion:
pandas' coercion either fails on the first bad value or turns it into NaN
without saying which row held what; the contract needs, per row, the raw value
and the rule it broke, and needs currency text ("$1,234.50"), mixed date
formats and encodings handled the way real exports need them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesnb.schema import PLACEHOLDER_DATES, columns

if TYPE_CHECKING:
    from salesnb.load.validate import _Collector

__all__ = ["parse_numbers", "parse_dates", "parse_flags"]

_MISSING_TEXT = {"", "nan", "NaN", "NULL", "null", "None", "N/A", "n/a", "NA", "#N/A", "NaT"}

_CURRENCY = re.compile(
    r"^\s*(?P<neg1>-)?\s*(?:[$€£¥]|USD|EUR|GBP)?\s*(?P<neg2>-)?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*"
    r"(?:[$€£¥]|USD|EUR|GBP)?\s*$"
)
_PAREN = re.compile(r"^\s*\((?P<inner>[^()]*)\)\s*$")


def parse_numbers(values: pd.Series, *, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Parse numbers, accepting thousands separators and currency text.

    Parameters
    ----------
    values : pandas.Series
        Raw values (text or already numeric).
    decimal : {".", ","}
        Decimal mark of the source. With ``","`` the thousands separator is
        ``"."`` (``"1.234,50"``).

    Returns
    -------
    (numbers, bad) : (pandas.Series of float64, pandas.Series of bool)
        ``bad`` marks non-missing values that are not numbers.

    Examples
    --------
    >>> nums, bad = parse_numbers(pd.Series(["12", "$1,234.50", "(3.5)", "abc", None]))
    >>> nums.tolist()[:3], bad.tolist()
    ([12.0, 1234.5, -3.5], [False, False, False, True, False])
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype("float64")
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = values.astype("float64")
        return out, pd.Series(False, index=values.index)
    text = values.astype(_string_dtype())
    missing = text.isna() | text.str.strip().isin(_MISSING_TEXT)
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    out = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    todo = out.isna() & ~missing
    if todo.any():
        fixed = text[todo].map(_parse_number_text).astype("float64")
        out = out.copy()
        out[todo] = fixed
    bad = out.isna() & ~missing
    return out, bad


def _parse_number_text(s: str) -> float:
    sign = 1.0
    m = _PAREN.match(s)
    if m:
        s, sign = m.group("inner"), -1.0
    s = s.strip()
    if s.endswith("-") and not s.startswith("-"):
        s, sign = s[:-1], -sign
    m = _CURRENCY.match(s)
    if not m:
        return np.nan
    if m.group("neg1") or m.group("neg2"):
        sign = -sign
    return sign * float(m.group("num").replace(",", ""))


_DATE_CANDIDATES = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%Y%m%d",
    "%d %b %Y",
    "%b %d, %Y",
    "%d-%b-%Y",
    "%m/%d/%y",
    "%d/%m/%y",
)


def parse_dates(
    values: pd.Series, *, fmt: str | None = None
) -> tuple[pd.Series, pd.Series, str | None]:
    """Parse dates/timestamps, detecting the format and mixed formats.

    Without ``fmt``, ISO 8601 is tried first; values that are not ISO are tried
    against common formats (``%m/%d/%Y``, ``%d/%m/%Y``, ``%d.%m.%Y``...). The
    format that parses most values is the column's format; values only
    parseable in another format are *mixed formats* and marked bad, because a
    silent guess could swap day and month. Time-zone-aware values are
    converted to UTC and made naive.

    Returns
    -------
    (dates, bad, used) : (Series of datetime64[ns], Series of bool, str or None)
        ``used`` is the detected or given format (``"ISO8601"`` for ISO).

    Examples
    --------
    >>> d, bad, used = parse_dates(pd.Series(["03/14/2025", "12/01/2025", "2025-01-02"]))
    >>> used, bad.tolist()
    ('%m/%d/%Y', [False, False, True])
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        return out.astype("datetime64[ns]"), pd.Series(False, index=values.index), None
    text = values.astype(_string_dtype()).str.strip()
    missing = text.isna() | text.isin(_MISSING_TEXT)
    present = text.where(~missing)
    if fmt is not None:
        out = _to_datetime(present, fmt)
        return out, out.isna() & ~missing, fmt
    if not (~missing).any():
        return _to_datetime(present, "ISO8601"), pd.Series(False, index=values.index), None
    iso = _to_datetime(present, "ISO8601")
    ok_iso = iso.notna()
    n_present = int((~missing).sum())
    if int(ok_iso.sum()) == n_present:
        return iso, pd.Series(False, index=values.index), "ISO8601"
    best, best_n, best_out = "ISO8601", int(ok_iso.sum()), iso
    sample = present[~missing]
    for cand in _DATE_CANDIDATES[1:]:
        out = _to_datetime(sample, cand)
        n = int(out.notna().sum())
        if n > best_n:
            best, best_n, best_out = cand, n, out
    if best != "ISO8601":
        best_out = _to_datetime(present, best)
    bad = best_out.isna() & ~missing
    return best_out, bad, best


def _to_datetime(s: pd.Series, fmt: str) -> pd.Series:
    # utc=True: aware values are converted to UTC, naive ones are taken as they are
    out = pd.to_datetime(s, format=fmt, errors="coerce", utc=True).dt.tz_localize(None)
    return out.astype("datetime64[ns]")


_TRUE = {"true", "t", "yes", "y", "1", "1.0", "won", "converted"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def parse_flags(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no flags (true/false, yes/no, y/n, 1/0). Missing is bad."""
    if pd.api.types.is_bool_dtype(values.dtype) and values.notna().all():
        return values.astype(bool), pd.Series(False, index=values.index)
    low = values.astype("string").str.strip().str.lower()
    is_true = low.isin(_TRUE).fillna(False).astype(bool)
    is_false = low.isin(_FALSE).fillna(False).astype(bool)
    return is_true, ~(is_true | is_false)


def _clean_text(values: pd.Series, *, strip: bool) -> pd.Series:
    """Text columns: strip (ids, categories), empty -> missing.

    A dictionary-encoded source column (pandas ``category``, Parquet dictionary)
    stays categorical: only its categories are cleaned, so a 10M-row column of
    a few distinct values is not expanded into 10M strings.
    """
    sdt = _string_dtype()
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        if not (pd.api.types.is_string_dtype(cats.dtype) or cats.dtype == object):
            values = values.cat.rename_categories(cats.astype(str))
            cats = values.cat.categories
        clean = pd.Index(cats.astype(sdt))
        if strip:
            clean = clean.str.strip()
        if clean.equals(pd.Index(cats.astype(sdt))) and not (clean == "").any():
            return values
        # map each category to its cleaned text (duplicates after stripping merge)
        mapping = dict(zip(cats, clean, strict=True))
        out = values.map(lambda v: mapping.get(v, v) if pd.notna(v) else v)
        out = (
            out.cat.remove_categories([c for c in out.cat.categories if c == ""])
            if isinstance(out.dtype, pd.CategoricalDtype)
            else out.mask(out == "")
        )
        return out
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        # integral floats from spreadsheets/parquet: "123.0" -> "123"
        text = values.astype("string").str.replace(r"\.0$", "", regex=True).astype(sdt)
    elif values.dtype == sdt:
        text = values
    else:
        text = values.astype(sdt)
    if strip:
        text = text.str.strip()
    empty = text == ""
    if empty.any():
        text = text.mask(empty)
    return text


def _string_dtype():
    """The text dtype of loaded tables.

    pandas' future default string dtype (Arrow-backed, NaN for missing) — the
    default ``str`` dtype of pandas 3, and available in pandas 2.3 — so text
    columns behave the same on both and vectorised string work stays in Arrow.
    """
    try:
        return pd.StringDtype("pyarrow", na_value=np.nan)
    except (TypeError, ImportError):  # pandas < 2.3 or no pyarrow
        return object


def _pandas_major() -> int:
    return int(pd.__version__.split(".")[0])


def _infer_extra(values: pd.Series) -> pd.Series:
    """Extra (non-contract) columns: plain numbers become float, the rest stays text."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        return values
    text = values.astype("string")
    present = text.notna() & (text.str.strip() != "")
    nums = pd.to_numeric(text.where(present), errors="coerce")
    if present.any() and nums[present].notna().all():
        return nums.astype("float64")
    return text.mask(~present).astype(_string_dtype())


def _enum_key(value: object) -> str:
    """How enumeration values are compared: trimmed, inner spaces collapsed, case-folded."""
    return " ".join(str(value).split()).casefold()


def _allowed_values(col) -> list[str] | None:
    """The values an ``isin`` check of a contract column allows, or None."""
    for check in col.checks:
        if getattr(check, "name", "") == "isin":
            return list((check.statistics or {}).get("allowed_values", []))
    return None


def _match_enum(values: pd.Series, allowed: Sequence[str]) -> tuple[pd.Series, pd.Series]:
    """Match an enumeration case-insensitively and trimmed; store the allowed spelling.

    Rule: a value equal to an allowed value once both are trimmed, their inner
    runs of spaces collapsed and case-folded is replaced by the allowed value.
    Only the values outside ``allowed`` are looked at (one ``isin`` pass over the
    column), so a clean column is returned as it is.

    Returns
    -------
    (values, bad) : (pandas.Series, pandas.Series of bool)
        ``bad`` marks non-missing values that match no allowed value.

    Examples
    --------
    >>> v, bad = _match_enum(pd.Series([" FULFILLED", "placed", "lost", None]),
    ...                      ["placed", "fulfilled"])
    >>> v.tolist()[:3], bad.tolist()
    (['fulfilled', 'placed', 'lost'], [False, False, True, False])
    """
    odd = ~(values.isin(allowed) | values.isna())
    if not odd.any():
        return values, odd
    lookup = {_enum_key(a): a for a in allowed}
    fix = {}
    for u in pd.unique(values[odd]):
        hit = lookup.get(_enum_key(u))
        if hit is not None:
            fix[u] = hit
    if not fix:
        return values, odd
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = [fix.get(c, c) for c in values.cat.categories]
        new_cats = list(dict.fromkeys(cats))
        code_of = np.array([new_cats.index(c) for c in cats], dtype=np.int64)
        codes = values.cat.codes.to_numpy()
        new_codes = np.where(codes >= 0, code_of[np.maximum(codes, 0)], -1)
        out = pd.Series(
            pd.Categorical.from_codes(new_codes, categories=new_cats),
            index=values.index,
            name=values.name,
        )
    else:
        repl = values[odd].map(fix)
        hit = repl.notna()
        out = values.copy()
        out.loc[repl.index[hit]] = repl[hit].to_numpy()
    return out, odd & ~values.isin(list(fix))


_LOW_PLACEHOLDER = pd.Timestamp("1900-01-02")  # placeholders at or before 1900-01-01
_HIGH_PLACEHOLDER = pd.Timestamp("2099-12-31")  # ... and from 2099-12-31 on


def _placeholder_dates(
    values: pd.Series, raw: pd.Series, bad: pd.Series, fmt: str | None
) -> pd.Series:
    """The rows of a date column that hold a placeholder date (:data:`PLACEHOLDER_DATES`).

    Parsed values are checked at the extremes only (min / max first, so a clean
    column costs two reductions); values that did not parse (``bad``) are read
    again with Python's calendar, which reaches years 1 to 9999 (pandas stops at
    1677 and 2262), so 0001-01-01 and 9999-12-31 are recognised too.

    Returns
    -------
    pandas.Series of str
        Indexed by row, the placeholder date (ISO ``YYYY-MM-DD``); empty when none.

    Examples
    --------
    >>> raw = pd.Series(["2025-01-05", "1900-01-01", "9999-12-31 23:59:59", "x"])
    >>> d, bad, used = parse_dates(raw)
    >>> _placeholder_dates(d, raw, bad, used).to_dict()
    {1: '1900-01-01', 2: '9999-12-31'}
    """
    parts = []
    # int64 view: NaT is the smallest value, so a column with gaps needs no masked
    # min / max (pandas' is ~30x slower than the two comparisons below)
    ticks = values.to_numpy(dtype="datetime64[ns]").view("i8")
    n_nat = np.count_nonzero(ticks == np.iinfo(np.int64).min)
    if len(ticks) > n_nat and (
        ticks.max() >= _HIGH_PLACEHOLDER.value
        or np.count_nonzero(ticks < _LOW_PLACEHOLDER.value) > n_nat
    ):
        ext = values[values.notna() & ((values < _LOW_PLACEHOLDER) | (values >= _HIGH_PLACEHOLDER))]
        iso = ext.dt.strftime("%Y-%m-%d")
        parts.append(iso[iso.isin(PLACEHOLDER_DATES)])
    if bad.any():
        text = raw[bad].astype(str)
        found = {u: _calendar_date(u, fmt) for u in pd.unique(text)}
        iso = text.map(found)
        parts.append(iso[iso.isin(PLACEHOLDER_DATES)])
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.Series([], dtype=object)
    return pd.concat(parts).astype(object)


def _calendar_date(text: str, fmt: str | None) -> str | None:
    """ISO date of a date text that pandas cannot hold (years 1-9999), or None."""
    text = text.strip()
    candidates = [text, text.split()[0] if text.split() else text]
    for t in candidates:
        try:
            if fmt and fmt != "ISO8601":
                return datetime.strptime(t, fmt).date().isoformat()
            return datetime.fromisoformat(t).date().isoformat()
        except ValueError:
            continue
    return None


_RULES = {
    "number": "expected a number (e.g. 1234.50, 1,234.50 or $1,234.50)",
    "integer": "expected a whole number",
    "flag": "expected a yes/no value (true/false, yes/no, 1/0)",
}


def _parse_columns(
    table: str,
    mapped: pd.DataFrame,
    tmap: dict,
    problems: _Collector,
    origin: str,
    *,
    enums: dict[str, Sequence[str] | None] | None = None,
) -> dict[str, pd.Series]:
    """Parse every column of a mapped table by its contract kind.

    Values that do not parse are recorded in ``problems`` with the rule they
    broke; columns outside the contract are inferred (:func:`_infer_extra`).
    Enumerations (columns with an ``isin`` check) are matched case-insensitively
    (:func:`_match_enum`); ``enums`` replaces a column's allowed values (None:
    the caller checks that column). Placeholder dates are read as empty
    (:func:`_placeholder_dates`): in a column that must not be empty they are a
    problem, elsewhere they are kept in ``problems.blanked`` for the table rules
    and the load notes.
    """
    contract = columns(table)
    fmts = tmap.get("dates") or {}
    decimal = tmap.get("decimal", ".")
    enums = enums or {}
    parsed = {}
    for col in mapped.columns:
        if col not in contract:
            parsed[col] = _infer_extra(mapped[col])
            continue
        meta = contract[col].metadata or {}
        kind = meta.get("kind", "text")
        s = mapped[col]
        if kind in ("timestamp", "date"):
            values, bad, used = parse_dates(s, fmt=fmts.get(col))
            values, bad = _blank_placeholders(
                table, col, s, values, bad, used, problems, origin, contract[col].nullable
            )
            if bad.any():
                if fmts.get(col):
                    rule = f"expected a date in the format {fmts[col]!r} (from the mapping)"
                elif used and used != "ISO8601":
                    rule = (
                        f"not a date in the column's format {used!r} (mixed or unparsable "
                        f'date formats; set [tables.{table}.dates] {col} = "<format>")'
                    )
                else:
                    rule = "expected a date (ISO 8601, e.g. 2025-07-31 or 2025-07-31 14:05:00)"
                problems.add(table, origin, s.index[bad], col, s[bad], rule)
            if kind == "date" and (values.dt.floor("D") != values).any():
                values = values.dt.normalize()
            parsed[col] = values
        elif kind in ("number", "integer"):
            values, bad = parse_numbers(s, decimal=decimal)
            if bad.any():
                problems.add(table, origin, s.index[bad], col, s[bad], _RULES["number"])
            if kind == "integer":
                frac = values.notna() & (values != values.round())
                if frac.any():
                    problems.add(table, origin, s.index[frac], col, s[frac], _RULES["integer"])
            parsed[col] = values
        elif kind == "flag":
            values, bad = parse_flags(s)
            if bad.any():
                problems.add(table, origin, s.index[bad], col, s[bad], _RULES["flag"])
            parsed[col] = values
        else:
            values = _clean_text(s, strip=kind in ("id", "category"))
            allowed = enums[col] if col in enums else _allowed_values(contract[col])
            if allowed is not None:
                values, bad = _match_enum(values, allowed)
                if bad.any():
                    rule = "expected one of: " + ", ".join(allowed)
                    problems.add(table, origin, s.index[bad], col, s[bad], rule)
            parsed[col] = values
    return parsed


def _blank_placeholders(
    table: str,
    col: str,
    raw: pd.Series,
    values: pd.Series,
    bad: pd.Series,
    used: str | None,
    problems: _Collector,
    origin: str,
    nullable: bool,
) -> tuple[pd.Series, pd.Series]:
    """Read the placeholder dates of one column as empty (see :func:`_parse_columns`)."""
    found = _placeholder_dates(values, raw, bad, used)
    if not len(found):
        return values, bad
    rows = found.index
    values = values.copy()
    values.loc[rows] = pd.NaT
    bad = bad.copy()
    bad.loc[rows] = False
    if nullable:
        problems.blanked[(table, col)] = found
        return values, bad
    for day, group in found.groupby(found, sort=True):
        problems.add(
            table,
            origin,
            group.index,
            col,
            raw.loc[group.index],
            f"placeholder date {day} in column {col} (stands for no date; give the real date)",
        )
    return values, bad
