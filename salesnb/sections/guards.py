"""Whether a notebook section can run; a note instead of the section when it cannot.

* :func:`missing_requirements`, :func:`requires`, :func:`unavailable_note` — a
  section whose tables (or columns) are absent shows a one-line note naming
  what would enable it;
* :class:`attempt` — a model section whose data is not enough shows the reason
  as a note, and the rest of the report still renders.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from salesnb.errors import SalesnbError
from salesnb.sections.format import md_escape, note

__all__ = [
    "missing_requirements",
    "requires",
    "unavailable_note",
    "attempt",
]

log = logging.getLogger(__name__)


def missing_requirements(
    data,
    tables: Sequence[str],
    *,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """What is missing from ``data`` for a section: table names and ``table.column`` names.

    ``data`` is a :class:`~salesnb.SalesData` (anything with a ``tables``
    dict). A table counts as missing when it is absent or has no rows.

    >>> from types import SimpleNamespace
    >>> import pandas as pd
    >>> d = SimpleNamespace(tables={"orders": pd.DataFrame({"amount": [1.0]})})
    >>> missing_requirements(d, ["orders", "targets"], columns={"orders": ["status"]})
    ['targets', 'orders.status']
    """
    present = getattr(data, "tables", {}) or {}
    out: list[str] = []
    for name in tables:
        frame = present.get(name)
        if frame is None or len(frame) == 0:
            out.append(name)
    for name, cols in (columns or {}).items():
        frame = present.get(name)
        if frame is None or len(frame) == 0:
            if name not in out:
                out.append(name)
            continue
        for col in cols:
            if col not in frame.columns or frame[col].isna().all():
                out.append(f"{name}.{col}")
    return out


def unavailable_note(what: str, missing: Sequence[str]) -> str:
    """The one-line Markdown note shown instead of a section.

    >>> unavailable_note("Stage funnel", ["opportunities"])
    '> **Stage funnel: section unavailable** — needs table `opportunities` in the data.'
    >>> unavailable_note("Order status", ["orders.status"])
    '> **Order status: section unavailable** — needs column `orders.status` in the data.'
    """
    tables = [m for m in missing if "." not in m]
    cols = [m for m in missing if "." in m]
    parts = []
    if tables:
        parts.append(
            ("table " if len(tables) == 1 else "tables ") + ", ".join(f"`{t}`" for t in tables)
        )
    if cols:
        parts.append(
            ("column " if len(cols) == 1 else "columns ") + ", ".join(f"`{c}`" for c in cols)
        )
    return (
        f"> **{md_escape(what)}: section unavailable** — needs {' and '.join(parts)} in the data."
    )


def requires(
    data,
    *tables: str,
    what: str,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> bool:
    """True when ``data`` has what a section needs; otherwise show a note and return False.

    Use it to guard a notebook section::

        if sections.requires(data, "opportunities", what="Stage funnel"):
            ...

    Parameters
    ----------
    data : SalesData
    *tables : str
        Tables the section needs (present and non-empty).
    what : str
        Section name used in the note.
    columns : mapping, optional
        Optional contract columns the section needs, per table.
    """
    missing = missing_requirements(data, tables, columns=columns)
    if missing:
        note(unavailable_note(what, missing))
        return False
    return True


class attempt:
    """Context manager for a model section: a data problem becomes a one-line note.

    ``ValueError`` and salesnb errors (too little history, a single class, ...)
    raised inside the block are shown as "*what*: not computed — reason" and
    swallowed, so the rest of the report still renders; other exceptions
    propagate. The note carries the error message, so nothing is hidden.

    >>> with attempt("Forecast"):
    ...     raise ValueError("needs 24 months of history, got 5")
    <IPython.core.display.Markdown object>
    """

    def __init__(self, what: str):
        self.what = what
        self.error: BaseException | None = None

    def __enter__(self) -> attempt:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or not isinstance(exc, ValueError | SalesnbError):
            return False
        self.error = exc
        log.warning("%s not computed: %s", self.what, exc)
        note(f"> **{md_escape(self.what)}: not computed** — {md_escape(exc)}")
        return True
