"""SQL text of lazy loading: parsing raw values by contract kind, in DuckDB or Spark SQL.

:func:`salesnb.scan` maps, parses and checks a table with SQL expressions that an
engine runs over the files (:mod:`salesnb.load.lazy_plan`); this module writes
those expressions. The rules are the eager loader's (:mod:`salesnb.load.parse`),
restated as SQL so that no row has to come to Python:

- numbers: a plain number, else currency text (``$1,234.50``, ``(3.5)``,
  ``12-``) by the same pattern as :func:`salesnb.load.parse.parse_numbers`;
  the missing-value words (``NULL``, ``N/A``...) are empty;
- dates: ISO 8601 by a cast, or the mapping's / the detected ``strftime``
  format; placeholder dates (:data:`salesnb.schema.PLACEHOLDER_DATES`) are empty;
- flags: true/false, yes/no, y/n, 1/0 (anything else, empty included, is bad);
- text: ids and categories trimmed, empty text is missing; enumerations
  matched trimmed and case-insensitively and stored in the contract's spelling.

Written here because no library turns a pandera model into engine SQL with
the loader's lenient parsing and per-rule reasons. Identifiers and literals
are always quoted by :class:`Dialect`; mapping expressions never pass through
here (they are checked by :mod:`salesnb.load.expressions`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from salesnb.load.parse import _MISSING_TEXT
from salesnb.schema import PLACEHOLDER_DATES

_CURRENCY = (
    r"^\s*(-)?\s*(?:[$€£¥]|USD|EUR|GBP)?\s*(-)?\s*"
    r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*"
    r"(?:[$€£¥]|USD|EUR|GBP)?\s*$"
)
_PAREN = r"^\s*\(([^()]*)\)\s*$"
_EDGES = r"^\s+|\s+$"
_SPACES = r"\s+"
_TRUE = ("true", "t", "yes", "y", "1", "1.0", "won", "converted")
_FALSE = ("false", "f", "no", "n", "0", "0.0")

# strftime codes and their Java (Spark) equivalents, for the date formats Spark can take
_JAVA_CODES = {
    "%Y": "yyyy", "%y": "yy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss",
    "%b": "MMM", "%B": "MMMM", "%f": "SSSSSS", "%p": "a", "%I": "hh", "%%": "%",
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Dialect:
    """How one engine writes the few things DuckDB SQL and Spark SQL spell differently."""

    name: str  # "duckdb" or "spark"

    def ident(self, name: str) -> str:
        """A quoted identifier."""
        if self.name == "spark":
            return "`" + str(name).replace("`", "``") + "`"
        return '"' + str(name).replace('"', '""') + '"'

    def lit(self, value) -> str:
        """A literal: a quoted string, a number, or NULL."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return repr(float(value)) if isinstance(value, float) else str(value)
        text = str(value).replace("'", "''")
        if self.name == "spark":
            text = text.replace("\\", "\\\\")
        return f"'{text}'"

    def lits(self, values: Iterable) -> str:
        return ", ".join(self.lit(v) for v in values)

    @property
    def text(self) -> str:
        return "STRING" if self.name == "spark" else "VARCHAR"

    def try_double(self, x: str) -> str:
        return f"TRY_CAST({x} AS DOUBLE)"

    def try_timestamp(self, x: str) -> str:
        return f"TRY_CAST({x} AS TIMESTAMP)"

    def strptime(self, x: str, fmt: str) -> str:
        if self.name == "spark":
            return f"try_to_timestamp({x}, {self.lit(java_format(fmt))})"
        return f"try_strptime({x}, {self.lit(fmt)})"

    def matches(self, x: str, pattern: str) -> str:
        """Whether the whole text matches a regular expression."""
        if self.name == "spark":
            return f"({x} RLIKE {self.lit(pattern)})"
        return f"regexp_full_match({x}, {self.lit(pattern)})"

    def strip(self, x: str) -> str:
        """Leading and trailing white space removed (as Python's ``str.strip``)."""
        flags = "" if self.name == "spark" else ", 'g'"
        return f"regexp_replace({x}, {self.lit(_EDGES)}, ''{flags})"

    def squeeze(self, x: str) -> str:
        """Runs of white space as one space."""
        flags = "" if self.name == "spark" else ", 'g'"
        return f"regexp_replace({x}, {self.lit(_SPACES)}, ' '{flags})"

    def pair(self, a: str, b: str) -> str:
        """A comparable pair of values (ordering by ``a``, then ``b``)."""
        return f"struct({a}, {b})" if self.name == "spark" else f"row({a}, {b})"

    def day_text(self, x: str) -> str:
        """A timestamp as ``YYYY-MM-DD``."""
        if self.name == "spark":
            return f"date_format({x}, 'yyyy-MM-dd')"
        return f"strftime({x}, '%Y-%m-%d')"

    def as_text(self, x: str) -> str:
        return f"CAST({x} AS {self.text})"


def java_format(fmt: str) -> str:
    """A ``strftime`` format as a Java date pattern (Spark).

    >>> java_format("%d/%m/%Y %H:%M")
    'dd/MM/yyyy HH:mm'
    """
    out, i = [], 0
    while i < len(fmt):
        code = fmt[i : i + 2]
        if code in _JAVA_CODES:
            out.append(_JAVA_CODES[code])
            i += 2
        elif fmt[i] == "%":
            raise ValueError(f"date format {fmt!r}: {code} has no Spark equivalent")
        else:
            ch = fmt[i]
            out.append(f"'{ch}'" if ch.isalpha() else ch)
            i += 1
    return "".join(out)


def missing_words(d: Dialect, x: str) -> str:
    """The trimmed text, or NULL for a missing-value word (``NULL``, ``N/A``...) or blank."""
    t = d.strip(x)
    return f"CASE WHEN {t} IN ({d.lits(sorted(_MISSING_TEXT))}) THEN NULL ELSE {t} END"


def number(d: Dialect, m: str, *, decimal: str = ".") -> str:
    """A number from trimmed text ``m`` (NULL when missing or not a number).

    Plain numbers cast; others are read as currency text: optional sign,
    currency sign or code, thousands commas, parentheses or a trailing minus
    for negatives (the rules of :func:`salesnb.load.parse.parse_numbers`).
    """
    if decimal == ",":
        m = f"replace(replace({m}, '.', ''), ',', '.')"
    paren = f"regexp_extract({m}, {d.lit(_PAREN)}, 1)"
    inner = f"CASE WHEN {d.matches(m, _PAREN)} THEN {d.strip(paren)} ELSE {m} END"
    trail = f"(({inner}) LIKE '%-' AND NOT (({inner}) LIKE '-%'))"
    body = f"CASE WHEN {trail} THEN substr({inner}, 1, length({inner}) - 1) ELSE {inner} END"
    sign = (
        f"(CASE WHEN {d.matches(m, _PAREN)} THEN -1.0 ELSE 1.0 END)"
        f" * (CASE WHEN {trail} THEN -1.0 ELSE 1.0 END)"
        f" * (CASE WHEN regexp_extract({body}, {d.lit(_CURRENCY)}, 1) = '-'"
        f" OR regexp_extract({body}, {d.lit(_CURRENCY)}, 2) = '-' THEN -1.0 ELSE 1.0 END)"
    )
    digits = f"replace(regexp_extract({body}, {d.lit(_CURRENCY)}, 3), ',', '')"
    currency = f"CASE WHEN {d.matches(body, _CURRENCY)} THEN {sign} * {d.try_double(digits)} END"
    plain = d.try_double(m)
    return f"(CASE WHEN {m} IS NULL THEN NULL WHEN {plain} IS NOT NULL THEN {plain} ELSE {currency} END)"


def timestamp(d: Dialect, m: str, fmt: str | None) -> str:
    """A timestamp from trimmed text ``m``: ISO 8601 (``fmt`` None) or a ``strftime`` format."""
    if fmt is None or fmt == "ISO8601":
        return d.try_timestamp(m)
    return d.strptime(m, fmt)


def placeholder(d: Dialect, v: str) -> str:
    """The placeholder day of a timestamp (``'1900-01-01'``...), else NULL."""
    days = ", ".join(f"DATE {d.lit(day)}" for day in PLACEHOLDER_DATES)
    return f"CASE WHEN CAST({v} AS DATE) IN ({days}) THEN {d.day_text(v)} END"


def flag(d: Dialect, x: str) -> tuple[str, str]:
    """(value, bad) of a yes/no flag from text ``x``; missing is bad."""
    low = f"lower({d.strip(x)})"
    value = f"COALESCE({low} IN ({d.lits(_TRUE)}), FALSE)"
    bad = f"NOT COALESCE({low} IN ({d.lits(_TRUE + _FALSE)}), FALSE)"
    return value, bad


def clean_text(d: Dialect, x: str, *, strip: bool) -> str:
    """Text: trimmed when ``strip``; empty text is NULL."""
    t = d.strip(x) if strip else x
    return f"NULLIF({t}, '')"


def enum(d: Dialect, t: str, allowed: list[str]) -> tuple[str, str]:
    """(value, bad) of an enumeration: matched trimmed, spaces squeezed, case-folded.

    A value equal to an allowed one that way is stored in the allowed spelling;
    others stay as they are and are bad.
    """
    key = f"lower({d.squeeze(d.strip(t))})"
    cases = " ".join(
        f"WHEN {key} = {d.lit(' '.join(a.split()).casefold())} THEN {d.lit(a)}" for a in allowed
    )
    value = f"(CASE WHEN {t} IS NULL THEN NULL WHEN {t} IN ({d.lits(allowed)}) THEN {t} {cases} ELSE {t} END)"
    bad = f"({t} IS NOT NULL AND NOT ({value} IN ({d.lits(allowed)})))"
    return value, bad
