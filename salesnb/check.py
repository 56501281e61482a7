"""``salesnb check``: a dry run of loading a data source, said so a person can act on it.

:func:`run_check` loads the data with quarantine (nothing is written anywhere) and
collects, per table, the rows read, loaded and rejected, the top rejection reasons with
counts, example source rows and values, the source columns the mapping leaves unmapped,
values that a value map does not cover, the warnings and notes of the load, and which
report sections the data enables (by the notebooks' own guards,
:mod:`salesnb.sections.availability`). :meth:`CheckReport.text` is what the command
prints; :attr:`CheckReport.exit_code` is 0 when every row of every table loaded, 1 when
rows were rejected or a mapped table was not loaded.

Usage errors (a source that does not exist, a mapping that cannot be read or names a
file that is not there) raise :class:`~salesnb.errors.SalesnbError` subclasses: the
command exits with 2.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb.errors import MappingError
from salesnb.load.data import _ORDER
from salesnb.load.loader import load
from salesnb.load.mapping import read_mapping
from salesnb.load.sources import _find_file, _resolve_source, redact_url
from salesnb.load.survey import SourceTable, survey
from salesnb.schema import TABLES, columns
from salesnb.sections.availability import section_availability

__all__ = ["CheckReport", "run_check"]

_TOP_REASONS = 5
_EXAMPLES = 3


@dataclasses.dataclass
class CheckReport:
    """What a dry run of loading found.

    Attributes
    ----------
    source, mapping : str
        The data source (a database URL without its password) and the mapping file
        (``""`` when none).
    as_of : pandas.Timestamp
        The data's "now" used by the load.
    summary : pandas.DataFrame
        :meth:`salesnb.SalesData.summary`: rows read / loaded / rejected per table.
    reasons : pandas.DataFrame
        ``table, reason, rows, examples, values``: rejected rows grouped by reason,
        most frequent first within each table; ``examples`` are source row numbers.
    unmapped : list of (table, source, fate, columns)
        Source columns no contract column comes from, and what happens to them.
    value_gaps : list of (table, column, fate, [(value, rows)])
        Values of a value-mapped column that its value map does not cover.
    warnings, notes : list of str
        Warnings issued during the load, and the loader's notes.
    not_loaded : list of str
        Tables the mapping names that were not loaded at all.
    sections : pandas.DataFrame
        :func:`~salesnb.sections.availability.section_availability` of the loaded data.
    """

    source: str
    mapping: str
    as_of: pd.Timestamp
    summary: pd.DataFrame
    reasons: pd.DataFrame
    unmapped: list[tuple[str, str, str, list[str]]]
    value_gaps: list[tuple[str, str, str, list[tuple[str, int]]]]
    warnings: list[str]
    notes: list[str]
    not_loaded: list[str]
    sections: pd.DataFrame

    @property
    def rejected(self) -> int:
        """Rows rejected over all tables."""
        return int(self.summary["rows_rejected"].sum()) if len(self.summary) else 0

    @property
    def exit_code(self) -> int:
        """0 when every row of every table loaded, else 1."""
        return 1 if self.rejected or self.not_loaded else 0

    def text(self) -> str:
        """The report as the command prints it (plain text, fits a terminal)."""
        return "\n".join(
            [
                *_head(self),
                *_tables(self),
                *_rejections(self),
                *_columns_and_values(self),
                *_said(self),
                *_sections(self),
                _verdict(self),
            ]
        )


def run_check(data: Any, *, mapping: str | Path | None = None, as_of: Any = None) -> CheckReport:
    """Dry-run loading ``data`` (with ``mapping``) and report what would be loaded.

    Parameters
    ----------
    data : str or Path
        A folder, Excel workbook, SQLite file or database URL.
    mapping : path, optional
        A mapping file (TOML/YAML).
    as_of : date-like, optional
        The data's "now"; default as :func:`salesnb.load` decides it.

    Returns
    -------
    CheckReport

    Raises
    ------
    DataSourceError
        When ``data`` does not exist or cannot be read.
    MappingError
        When the mapping cannot be read, names a file that is not in the data folder,
        or maps a column the data does not have.

    Examples
    --------
    >>> from salesnb.load import SAMPLE_DATA
    >>> report = run_check(SAMPLE_DATA)
    >>> report.exit_code, bool(report.sections["available"].all())
    (0, True)
    """
    mp = read_mapping(mapping)
    kind, src = _resolve_source(data)
    _check_files(kind, src, mp)
    with warnings.catch_warnings(record=True) as caught, _logged("salesnb") as logged:
        warnings.simplefilter("always")
        sales = load(data, mapping=mapping, as_of=as_of, errors="quarantine")
    said = [f"{w.category.__name__}: {w.message}" for w in caught]
    said += [m for m in logged if not re.search(r"rows rejected \(see SalesData", m)]
    _, parts = survey(data, limit=1)
    tables = mp["tables"] or {t: {} for t in sales.rows_read}
    return CheckReport(
        source=redact_url(str(data)),
        mapping=str(mapping) if mapping else "",
        as_of=sales.as_of,
        summary=sales.summary(),
        reasons=_reasons(sales),
        unmapped=_unmapped(kind, src, parts, tables),
        value_gaps=_value_gaps(sales, mp["tables"]),
        warnings=list(dict.fromkeys(said)),
        notes=list(sales.notes),
        not_loaded=[t for t in mp["tables"] if t not in sales.tables and t not in sales.rows_read],
        sections=section_availability(sales),
    )


def _check_files(kind: str, src: Any, mp: dict) -> None:
    """A mapping that names a file missing from the data folder is a usage error."""
    if kind != "folder":
        return
    for table, tmap in mp["tables"].items():
        name = tmap.get("file")
        if name and not (src / name).exists():
            there = sorted(p.name for p in src.iterdir() if p.is_file())
            raise MappingError(
                f"{mp['_where']}: [tables.{table}] file {name!r} is not in {src}; "
                f"files there: {', '.join(there) or 'none'}"
            )


@contextlib.contextmanager
def _logged(name: str) -> Iterator[list[str]]:
    """Collect the WARNING messages of a logger (and its children) instead of printing them."""
    messages: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger(name)
    handler, propagate = _Keep(level=logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _reasons(sales) -> pd.DataFrame:
    """Rejected rows grouped by reason (column and rule), with example rows and values."""
    out = []
    probs = sales.problems
    for table in _ORDER:
        rej = sales.rejected.get(table)
        if rej is None or not len(rej):
            continue
        rows = set(pd.to_numeric(rej["source_row"], errors="coerce").dropna().astype(int))
        mine = probs[(probs["table"] == table) & probs["row"].notna()].copy()
        mine["row"] = pd.to_numeric(mine["row"], errors="coerce")
        mine = mine[mine["row"].isin(rows)]
        found = []
        for (col, rule), grp in mine.groupby(["column", "rule"], dropna=False, sort=False):
            reason = f"{col}: {rule}" if isinstance(col, str) and col else str(rule)
            found.append(_reason(table, reason, grp["row"], grp["value"]))
        rest = rej[~rej["source_row"].isin(set(mine["row"].astype(int)))]
        for reason, grp in rest.groupby("reason", sort=False):
            found.append(_reason(table, str(reason), grp["source_row"], None))
        out += sorted(found, key=lambda r: -r["rows"])
    return pd.DataFrame(out, columns=["table", "reason", "rows", "examples", "values"])


def _reason(table: str, reason: str, rows: pd.Series, values: pd.Series | None) -> dict:
    uniq = sorted({int(r) for r in rows})
    shown = []
    if values is not None:
        shown = [str(v)[:40] for v in pd.unique(values.dropna())[:_EXAMPLES]]
    return {
        "table": table,
        "reason": reason,
        "rows": len(uniq),
        "examples": uniq[:_EXAMPLES],
        "values": shown,
    }


def _part(kind: str, src: Any, parts: list[SourceTable], table: str, tmap: dict):
    """The surveyed file, sheet or database table a contract table is read from."""
    if kind == "folder":
        name = tmap.get("file")
        if name is None:
            path = _find_file(src, table)
            name = path.name if path is not None else None
        want = {"file": name, **({"sheet": tmap["sheet"]} if "sheet" in tmap else {})}
    elif kind == "excel":
        want = {"sheet": tmap.get("sheet", table)}
    else:
        want = {"file": tmap.get("file", table)}
    for part in parts:
        if all(part.locator.get(k) == v for k, v in want.items()):
            return part
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _unmapped(kind: str, src: Any, parts: list, tables: dict) -> list:
    """Per table, the source columns no contract column comes from, and their fate."""
    out = []
    for table in _ORDER:
        if table not in tables:
            continue
        tmap = tables[table] or {}
        part = _part(kind, src, parts, table, tmap)
        if part is None or tmap.get("query"):
            continue
        used = set(_strings(tmap.get("columns") or {}))
        if not used:
            used = {h for h in part.headers if h in columns(table)}
        text = " ".join(_strings(tmap.get("derive") or {}) + _strings(tmap.get("filter") or ""))
        left = [h for h in part.headers if h not in used and not _named_in(h, text)]
        keep = tmap.get("keep_extra", "as_is")
        if keep is False and tmap.get("distinct"):
            continue  # a table derived from another table's file: the rest belongs there
        fate = {"snake_case": "kept as extra columns, in snake_case", False: "dropped"}.get(
            keep, "kept as extra columns"
        )
        if left:
            out.append((table, part.label, fate, left))
    return out


def _named_in(header: str, text: str) -> bool:
    """Whether an expression names a column (in backticks, double quotes or bare)."""
    if f"`{header}`" in text or f'"{header}"' in text:
        return True
    return bool(re.search(rf"(?<![\w`'\"]){re.escape(header)}(?![\w`'\"])", text))


def _value_gaps(sales, tables: dict) -> list:
    """Values of value-mapped columns that their value map does not cover.

    Rows whose value the map does not cover keep the value as it is: they load when it is
    a valid value already, and are rejected otherwise (then counted here as rejected).
    """
    out = []
    for table, tmap in tables.items():
        for col, vmap in (tmap.get("values") or {}).items():
            if not isinstance(vmap, dict):
                continue
            keys = {str(k) for k in vmap}
            targets = {str(v) for v in vmap.values()}
            src = (tmap.get("columns") or {}).get(col, col)
            gaps: Counter = Counter()
            rej = sales.rejected.get(table)
            if rej is not None and isinstance(src, str) and src in rej.columns:
                for v, n in rej[src].dropna().astype(str).value_counts().items():
                    if v not in keys and v not in targets:
                        gaps[f"{v} (rejected)"] += int(n)
            frame = sales.tables.get(table)
            enum = any(getattr(c, "name", "") == "isin" for c in _checks(table, col))
            if frame is not None and col in frame.columns and not enum:
                for v, n in frame[col].dropna().astype(str).value_counts().items():
                    if v not in keys and v not in targets:
                        gaps[f"{v} (kept as it is)"] += int(n)
            if gaps:
                out.append((table, col, str(src), gaps.most_common(10)))
    return out


def _checks(table: str, col: str) -> list:
    spec = columns(table).get(col) if table in TABLES else None
    return list(spec.checks) if spec is not None else []


def _grid(rows: list[list[str]], *, right: set[int] = frozenset(), indent: str = "  ") -> list[str]:
    """Rows of cells as aligned text lines (numbers right-aligned)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        out.append((indent + "  ".join(cells)).rstrip())
    return out


def _head(r: CheckReport) -> list[str]:
    return [
        "salesnb check",
        f"  data:    {r.source}",
        f"  mapping: {r.mapping or '(none: files and columns named as in the contract)'}",
        f"  as of:   {r.as_of.date()}",
        "",
    ]


def _tables(r: CheckReport) -> list[str]:
    if not len(r.summary):
        return ["Tables: none found", ""]
    rows = [["table", "rows read", "loaded", "rejected", "source"]]
    for rec in r.summary.to_dict("records"):
        rows.append(
            [
                rec["table"],
                f"{rec['rows_read']:,}",
                f"{rec['rows_loaded']:,}",
                f"{rec['rows_rejected']:,}",
                redact_url(str(rec["source"])),
            ]
        )
    lines = ["Tables", *_grid(rows, right={1, 2, 3})]
    for t in r.not_loaded:
        lines.append(f"  {t}: not loaded (see the notes below)")
    return [*lines, ""]


def _rejections(r: CheckReport) -> list[str]:
    if not len(r.reasons):
        return []
    lines = ["Rejected rows, by reason (row numbers as in the source: the header is row 1)"]
    for table, grp in r.reasons.groupby("table", sort=False):
        total = int(r.summary.loc[r.summary["table"] == table, "rows_rejected"].sum())
        lines.append(f"  {table}: {total:,} row(s) rejected")
        for rec in grp.head(_TOP_REASONS).to_dict("records"):
            ex = ", ".join(map(str, rec["examples"]))
            more = "..." if rec["rows"] > len(rec["examples"]) else ""
            vals = ", ".join(repr(v) for v in rec["values"])
            lines.append(f"    {rec['rows']:>6,} x {_cut(rec['reason'], 150)}")
            lines.append(f"             rows {ex}{more}" + (f"; values {vals}" if vals else ""))
        if len(grp) > _TOP_REASONS:
            lines.append(f"    ... and {len(grp) - _TOP_REASONS} more reason(s)")
    return [*lines, ""]


def _cut(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _columns_and_values(r: CheckReport) -> list[str]:
    lines = []
    if r.unmapped:
        lines.append("Source columns not mapped to the contract")
        for table, label, fate, cols in r.unmapped:
            names = ", ".join(f'"{c}"' for c in cols)
            lines.append(f"  {table} ({label}), {fate}: {_cut(names, 400)}")
        lines.append("")
    if r.value_gaps:
        lines.append("Values not in the value maps")
        for table, col, src, gaps in r.value_gaps:
            found = ", ".join(f"{v} x{n:,}" for v, n in gaps)
            lines.append(f'  {table}.{col} (from "{src}"): {_cut(found, 400)}')
        lines.append("")
    return lines


def _said(r: CheckReport) -> list[str]:
    lines = []
    if r.warnings:
        lines += ["Warnings", *(f"  - {_cut(w, 400)}" for w in r.warnings), ""]
    if r.notes:
        lines += ["Notes", *(f"  - {_cut(n, 400)}" for n in r.notes), ""]
    return lines


def _sections(r: CheckReport) -> list[str]:
    s = r.sections
    n_ok = int(s["available"].sum())
    lines = [f"Report sections: {n_ok} of {len(s)} available"]
    rows = [["notebook", "section", "available", "what would enable it"]]
    for rec in s.to_dict("records"):
        rows.append(
            [rec["notebook"], rec["section"], "yes" if rec["available"] else "no", rec["enable"]]
        )
    return [*lines, *_grid(rows), ""]


def _verdict(r: CheckReport) -> str:
    if r.exit_code == 0:
        return "Result: every row of every table loaded."
    parts = []
    if r.rejected:
        n_tables = int((r.summary["rows_rejected"] > 0).sum())
        parts.append(f"{r.rejected:,} row(s) rejected in {n_tables} table(s)")
    if r.not_loaded:
        parts.append(f"table(s) not loaded: {', '.join(r.not_loaded)}")
    return "Result: " + "; ".join(parts) + ". Fix the mapping or the data and check again."
