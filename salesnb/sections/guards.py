"""Whether a notebook section can run; a note instead of the section when it cannot.

* :func:`missing_requirements`, :func:`requires`, :func:`unavailable_note` — a
  section whose tables (or columns) are absent shows a one-line note naming
  what would enable it, and a section whose tables lost rows at load says how
  many and why (:func:`salesnb.sections.rejected_note`). The pseudo-table
  ``"revenue"`` is the table revenue KPIs run on (``SalesData.revenue_lines``:
  the orders, or the won deals when there are no orders);
* :class:`attempt` — a model section whose data is not enough shows the reason
  as a note, and the rest of the report still renders.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from salesnb.errors import SalesnbError
from salesnb.load.basis import has_rows, is_lazy
from salesnb.sections.data_notes import show_rejected
from salesnb.sections.format import md_escape, note

__all__ = [
    "REVENUE",
    "revenue_source",
    "missing_requirements",
    "requires",
    "unavailable_note",
    "attempt",
]

log = logging.getLogger(__name__)

#: Pseudo-table name for the revenue lines (``SalesData.revenue_lines``) in
#: :func:`requires` and :func:`missing_requirements`.
REVENUE = "revenue"

_REVENUE_NEED = "`orders` (or `opportunities` with won deals)"


def revenue_source(data) -> str:
    """The contract table the revenue lines of ``data`` come from: orders or opportunities.

    >>> from types import SimpleNamespace
    >>> revenue_source(SimpleNamespace(revenue_basis="won_deals"))
    'opportunities'
    >>> revenue_source(SimpleNamespace(tables={}))
    'orders'
    """
    return "opportunities" if getattr(data, "revenue_basis", None) == "won_deals" else "orders"


def _frame(data, name: str):
    """Table ``name`` of ``data``; ``"revenue"`` is its revenue lines (orders without them)."""
    present = getattr(data, "tables", {}) or {}
    if name == REVENUE:
        if hasattr(data, "revenue_lines"):
            return data.revenue_lines
        return present.get("orders")
    return present.get(name)


def missing_requirements(
    data,
    tables: Sequence[str],
    *,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """What is missing from ``data`` for a section: table names and ``table.column`` names.

    ``data`` is a :class:`~salesnb.SalesData` (anything with a ``tables``
    dict). A table counts as missing when it is absent or has no rows. The
    pseudo-table ``"revenue"`` is ``data.revenue_lines``; a missing column of it
    is named after its source table (``orders.rep_id``, or
    ``opportunities.rep_id`` on the won-deals basis).

    >>> from types import SimpleNamespace
    >>> import pandas as pd
    >>> d = SimpleNamespace(tables={"orders": pd.DataFrame({"amount": [1.0]})})
    >>> missing_requirements(d, ["orders", "targets"], columns={"orders": ["status"]})
    ['targets', 'orders.status']
    >>> missing_requirements(d, ["revenue"], columns={"revenue": ["rep_id"]})
    ['orders.rep_id']
    """
    out: list[str] = []
    for name in tables:
        frame = _frame(data, name)
        if not has_rows(frame):
            out.append(name)
    for name, cols in (columns or {}).items():
        frame = _frame(data, name)
        if not has_rows(frame):
            if name not in out:
                out.append(name)
            continue
        shown = revenue_source(data) if name == REVENUE else name
        out += [f"{shown}.{col}" for col in _empty_columns(frame, cols)]
    return out


def _empty_columns(frame, cols: Sequence[str]) -> list[str]:
    """The columns of ``cols`` that ``frame`` lacks or holds no value in (a query on an engine)."""
    if not is_lazy(frame):
        return [c for c in cols if c not in frame.columns or frame[c].isna().all()]
    import narwhals as nw

    table = nw.from_native(frame)
    names = table.collect_schema().names()
    present = [c for c in cols if c in names]
    counts = {}
    if present:
        found = table.select(*(nw.col(c).count() for c in present))
        found = found.collect() if isinstance(found, nw.LazyFrame) else found
        counts = found.rows(named=True)[0]
    return [c for c in cols if c not in names or not counts[c]]


def unavailable_note(what: str, missing: Sequence[str]) -> str:
    """The one-line Markdown note shown instead of a section.

    >>> unavailable_note("Stage funnel", ["opportunities"])
    '> **Stage funnel: section unavailable** — needs table `opportunities` in the data.'
    >>> unavailable_note("Order status", ["orders.status"])
    '> **Order status: section unavailable** — needs column `orders.status` in the data.'
    >>> unavailable_note("Leaderboard", ["revenue"])
    '> **Leaderboard: section unavailable** — needs table `orders` (or `opportunities` with won deals) in the data.'
    """
    tables = [m for m in missing if "." not in m]
    cols = [m for m in missing if "." in m]
    parts = []
    if tables:
        parts.append(
            ("table " if len(tables) == 1 else "tables ")
            + ", ".join(_REVENUE_NEED if t == REVENUE else f"`{t}`" for t in tables)
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
    rejected: bool = True,
) -> bool:
    """True when ``data`` has what a section needs; otherwise show a note and return False.

    Use it to guard a notebook section::

        if sections.requires(data, "opportunities", what="Stage funnel"):
            ...

    Either way, each of the tables that lost rows at load gets a note saying how
    many and why (:func:`salesnb.sections.rejected_note`), so the section does
    not look complete when it is not.

    Parameters
    ----------
    data : SalesData
    *tables : str
        Tables the section needs (present and non-empty); ``"revenue"`` for the
        revenue lines (orders, or won deals when there are no orders).
    what : str
        Section name used in the note.
    columns : mapping, optional
        Optional contract columns the section needs, per table.
    rejected : bool
        Show the notes on rejected rows (False when an earlier call in the same
        section already did).
    """
    if rejected:
        used = [*tables, *(columns or {})]
        show_rejected(data, *(revenue_source(data) if t == REVENUE else t for t in used))
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
