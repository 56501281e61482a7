"""The salesnb exception hierarchy, in one place.

Every error a user can cause by their input derives from :class:`SalesnbError`
and says what was found and what was expected.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "SalesnbError",
    "DataSourceError",
    "MappingError",
    "MappingWarning",
    "DataValidationError",
    "MissingColumnsError",
    "SelectionError",
    "PROBLEM_COLUMNS",
]

#: Columns of a problems table (``DataValidationError.problems``,
#: ``SalesData.problems``).
PROBLEM_COLUMNS = ["table", "file", "row", "column", "value", "rule"]


class SalesnbError(Exception):
    """Base class of all salesnb errors."""


class DataSourceError(SalesnbError):
    """A source cannot be read at all: missing path, empty file, unknown format."""


class MappingError(SalesnbError):
    """A mapping file is malformed or refers to something that does not exist."""


class MappingWarning(UserWarning):
    """A mapping looks mistaken but can still be applied (printed; an error with errors="raise")."""


class SelectionError(SalesnbError, ValueError):
    """A choice the data cannot honour: an unknown region or table, an as-of that is no date."""


class MissingColumnsError(SalesnbError, KeyError):
    """A table lacks columns a KPI or model needs; the message names them and lists those present."""

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return str(self.args[0]) if self.args else ""


class DataValidationError(SalesnbError):
    """Rows or columns break the data contract.

    Attributes
    ----------
    problems : pandas.DataFrame
        One row per problem with columns ``table``, ``file``, ``row`` (1-based,
        counting the header line as row 1 for text and Excel sources; the record
        number for Parquet and SQL), ``column``, ``value`` and ``rule`` (what was
        expected).
    """

    def __init__(self, problems: pd.DataFrame, *, limit: int = 50):
        self.problems = problems.reset_index(drop=True)
        n = len(self.problems)
        tables = sorted(set(self.problems["table"].astype(str)))
        lines = [f"{n} problem(s) in table(s) {', '.join(tables)}:"]
        for rec in self.problems.head(limit).itertuples(index=False):
            lines.append("  - " + format_problem(rec._asdict()))
        if n > limit:
            lines.append(f"  ... and {n - limit} more (see the .problems attribute)")
        super().__init__("\n".join(lines))


def format_problem(p: dict) -> str:
    """One problem as a line a person can act on."""
    where = [str(p.get("file") or "?"), f"table {p.get('table')}"]
    row = p.get("row")
    if row is not None and not (isinstance(row, float) and pd.isna(row)):
        where.append(f"row {int(row)}")
    col = p.get("column")
    if col:
        where.append(f"column {col}")
    value = p.get("value")
    text = ", ".join(where)
    if value is not None and not (isinstance(value, float) and pd.isna(value)):
        text += f": value {str(value)[:80]!r}"
    return f"{text} — {p.get('rule')}"
