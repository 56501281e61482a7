"""Mapping files: read and check one, and apply it to a raw table.

A mapping (TOML or YAML, see ``docs/mappings.md``) maps a foreign export onto
the contract of :mod:`salesnb.schema`: which file holds a table, column
renames, value maps, date formats, derived columns, a row filter and one row
per key. Rows excluded by the filter are rejected with the filter as reason,
so nothing disappears without a trace.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path

import pandas as pd

from salesnb.errors import MappingError
from salesnb.load.expressions import _derive
from salesnb.load.sources import _Raw
from salesnb.schema import TABLES, columns
from salesnb.stages import SalesPipeline

__all__ = ["read_mapping", "REVENUE_BASES"]

#: What revenue KPIs run on: ``orders`` when the data has them, else won deals
#: (``auto``), or either one forced.
REVENUE_BASES = ("auto", "orders", "won_deals")

_MAPPING_TOP_KEYS = {"as_of", "tables", "description", "name", "pipeline", "revenue"}

_MAPPING_TABLE_KEYS = {
    "file",
    "sheet",
    "query",
    "columns",
    "values",
    "dates",
    "derive",
    "filter",
    "distinct",
    "encoding",
    "delimiter",
    "decimal",
    "keep_extra",
    "skip_rows",
}


def read_mapping(path: str | Path | dict | None) -> dict:
    """Read and check a mapping file (TOML or YAML) or dict.

    The format is documented in ``docs/mappings.md``. Top-level keys:
    ``as_of`` (optional date), ``pipeline`` (the company's stages, see
    :mod:`salesnb.stages`), ``revenue`` (one of :data:`REVENUE_BASES`),
    ``tables`` (per contract table: ``file``,
    ``columns`` {contract: source}, ``values`` {column: {raw: value}},
    ``dates`` {column: strftime format}, ``derive`` {column: expression},
    ``filter`` (pandas query on source columns), ``distinct`` (key column:
    one row per key, first occurrence), ``encoding``, ``delimiter``,
    ``decimal``, ``keep_extra`` ("as_is", "snake_case" or false)).

    Raises
    ------
    MappingError
        Unknown table or key, or a file that cannot be parsed.
    """
    if path is None:
        return {"tables": {}}
    if isinstance(path, dict):
        raw, where = path, "<dict>"
    else:
        p = Path(path)
        if not p.exists():
            raise MappingError(f"mapping file {p} does not exist")
        where = str(p)
        text = p.read_text(encoding="utf-8")
        try:
            if p.suffix.lower() in {".yml", ".yaml"}:
                import yaml

                raw = yaml.safe_load(text) or {}
            else:
                raw = tomllib.loads(text)
        except Exception as exc:  # noqa: BLE001 - reported with the file name
            raise MappingError(f"mapping file {p} cannot be parsed: {exc}") from exc
    unknown = set(raw) - _MAPPING_TOP_KEYS
    if unknown:
        raise MappingError(
            f"{where}: unknown top-level key(s) {sorted(unknown)}; "
            f"expected {', '.join(sorted(_MAPPING_TOP_KEYS))}"
        )
    if "pipeline" in raw:
        SalesPipeline.from_mapping(raw["pipeline"], origin=where)  # checked here, used by load
    if raw.get("revenue", "auto") not in REVENUE_BASES:
        raise MappingError(
            f"{where}: revenue = {raw['revenue']!r}; expected one of {', '.join(REVENUE_BASES)}"
        )
    tables = raw.get("tables") or {}
    for tname, spec in tables.items():
        if tname not in TABLES:
            hint = difflib.get_close_matches(tname, TABLES, n=1)
            raise MappingError(
                f"{where}: unknown table {tname!r} in [tables]"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
                + f" Contract tables: {', '.join(TABLES)}"
            )
        bad = set(spec) - _MAPPING_TABLE_KEYS
        if bad:
            raise MappingError(
                f"{where}: table {tname}: unknown key(s) {sorted(bad)}; "
                f"allowed: {sorted(_MAPPING_TABLE_KEYS)}"
            )
        contract = columns(tname)
        for col in spec.get("columns", {}):
            if col not in contract:
                hint = difflib.get_close_matches(col, contract, n=1)
                raise MappingError(
                    f"{where}: table {tname}: [columns] maps onto {col!r}, which is not a "
                    f"contract column" + (f"; did you mean {hint[0]!r}?" if hint else "")
                )
    out = dict(raw)
    out["tables"] = tables
    out["_where"] = where
    return out


def _snake(name: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower()
    return s or "column"


def _apply_mapping(
    table: str, raw: _Raw, tmap: dict, rejected_extra: list[pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply one table's mapping to its raw rows (values stay unparsed).

    Returns ``(mapped, source, raw_frame)``: the table under contract names,
    the source columns of the rows the filter kept (for messages naming the
    columns found), and the raw rows of the mapped table (for the rejected
    rows' original values). Filtered-out rows are appended to
    ``rejected_extra``.
    """
    contract = columns(table)
    origin = raw.origin
    frame = _drop_empty_unnamed_columns(raw)
    raw_frame = frame
    frame = _apply_filter(
        frame, tmap.get("filter"), table=table, origin=origin, rejected_extra=rejected_extra
    )
    distinct = tmap.get("distinct")
    renames = _renames(frame, tmap, table=table, origin=origin)
    mapped = _select_columns(frame, renames, contract, tmap.get("keep_extra", "as_is"))
    _map_values(mapped, tmap, table=table, origin=origin)
    for col, expr in (tmap.get("derive") or {}).items():
        mapped[col] = _derive(mapped, frame, str(expr), table=table, origin=origin)
    if distinct:
        mapped, raw_frame = _one_row_per_key(mapped, raw_frame, distinct, table=table, raw=raw)
    return mapped, frame, raw_frame


def _drop_empty_unnamed_columns(raw: _Raw) -> pd.DataFrame:
    """The raw rows without trailing / unnamed empty columns (noted when any)."""
    frame = raw.frame
    drop = []
    for c in frame.columns:
        name = str(c)
        if (name.startswith("Unnamed:") or name.strip() == "") and frame[c].isna().all():
            drop.append(c)
    if drop:
        raw.notes.append(f"{Path(raw.origin).name}: {len(drop)} empty unnamed column(s) dropped")
        frame = frame.drop(columns=drop)
    return frame


def _apply_filter(
    frame: pd.DataFrame,
    query: str | None,
    *,
    table: str,
    origin: str,
    rejected_extra: list[pd.DataFrame],
) -> pd.DataFrame:
    """The rows the mapping filter keeps (on source columns); the others are rejected."""
    if not query:
        return frame
    try:
        keep = _derive(frame, frame, str(query), table=table, origin=origin)
    except MappingError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported with the table
        raise MappingError(f"table {table}: filter {query!r} failed: {exc}") from exc
    keep = pd.Series(keep, index=frame.index).fillna(False).astype(bool)
    if (~keep).any():
        out = frame.loc[~keep].copy()
        out["source_file"] = origin
        out["source_row"] = out.index
        out["reason"] = f"excluded by mapping filter: not ({query})"
        rejected_extra.append(out)
    return frame.loc[keep]


def _renames(frame: pd.DataFrame, tmap: dict, *, table: str, origin: str) -> dict[str, str]:
    """Source column -> contract column, checking that every mapped column exists."""
    renames = {}
    for target, src in (tmap.get("columns") or {}).items():
        if src not in frame.columns:
            hint = difflib.get_close_matches(str(src), [str(c) for c in frame.columns], n=1)
            raise MappingError(
                f"{origin}: table {table}: mapped column {src!r} (for {target}) not found; "
                f"found columns: {', '.join(map(str, frame.columns))}"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
            )
        renames[src] = target
    return renames


def _select_columns(
    frame: pd.DataFrame, renames: dict[str, str], contract: dict, keep_extra: str | bool
) -> pd.DataFrame:
    """The mapped table, built column by column (no copies of the data).

    Contract columns come first (renamed, or by name when nothing is renamed),
    then the other source columns as ``keep_extra`` says (as they are, in
    snake_case, or not at all).
    """
    cols: dict[str, pd.Series] = {}
    if renames:
        for src, target in renames.items():
            cols[target] = frame[src]
    else:
        for c in frame.columns:
            if c in contract:
                cols[c] = frame[c]
    if keep_extra:
        for c in frame.columns:
            if c in renames or (not renames and c in contract):
                continue
            name = _snake(c) if keep_extra == "snake_case" else c
            if name not in cols:
                cols[name] = frame[c]
    return pd.DataFrame(cols, index=frame.index, copy=False) if cols else frame.iloc[:, :0]


def _map_values(mapped: pd.DataFrame, tmap: dict, *, table: str, origin: str) -> None:
    """Replace raw values by the mapping's value maps, in place."""
    for col, vmap in (tmap.get("values") or {}).items():
        if col not in mapped.columns:
            raise MappingError(
                f"{origin}: table {table}: [values.{col}] names a column that is not mapped"
            )
        s = mapped[col]
        mapped[col] = s.map(lambda v, m=vmap: m.get(v, m.get(str(v), v)) if pd.notna(v) else v)


def _one_row_per_key(
    mapped: pd.DataFrame, raw_frame: pd.DataFrame, distinct: str | list, *, table: str, raw: _Raw
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the first row of each key (mapping ``distinct``), noting how many remain."""
    key = distinct if isinstance(distinct, str) else distinct[0]
    before = len(mapped)
    mapped = mapped.loc[~mapped[key].duplicated(keep="first")]
    raw_frame = raw_frame.loc[mapped.index]
    raw.notes.append(
        f"{table}: derived from {Path(raw.origin).name} as one row per {key} "
        f"({len(mapped):,} of {before:,} lines)"
    )
    return mapped, raw_frame
