"""Mapping files: read and check one, and apply it to a raw table.

A mapping (TOML or YAML, see ``docs/mappings.md``) maps a foreign export onto
the contract of :mod:`salesnb.schema`: which file holds a table, column
renames (one source column may feed several contract columns), value maps,
date formats, lookups into other files of the same source, derived columns
(SQL expressions, :mod:`salesnb.load.expressions`), a row filter and one row
per key. Rows excluded by the filter are rejected with the filter as reason,
so nothing disappears without a trace.

Per table the steps run in this order: filter (on source columns) → columns →
values (on mapped columns) → lookups (value maps applied to the cells they
fill) → derive (in the order written) → values on derived columns → distinct.

What looks like a mistake in a mapping but does not stop it (a contract column
given twice, a value-map entry that never occurs, values no value-map entry
covers, a lookup key not found, a mapped table that is not loaded) is a
:class:`~salesnb.errors.MappingWarning` naming the mapping key, or a
:class:`~salesnb.errors.MappingError` with ``errors="raise"``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb.errors import DataSourceError, MappingError, MappingWarning
from salesnb.load.expressions import _connect, _referenced, check_expression, evaluate
from salesnb.load.lookups import (
    _check_lookup,
    _check_lookup_cycles,
    _is_empty,
    _link_lookups,
    _lookup_keys,
    _lookup_values,
)
from salesnb.load.parse import _MISSING_TEXT
from salesnb.load.sources import _Raw, _read_lookup, _read_one
from salesnb.schema import TABLES, columns
from salesnb.stages import SalesPipeline

__all__ = ["read_mapping", "mapping_settings", "REVENUE_BASES", "SETTINGS_KEYS"]

#: What revenue KPIs run on: ``orders`` when the data has them, else won deals
#: (``auto``), or either one forced.
REVENUE_BASES = ("auto", "orders", "won_deals")

_MAPPING_TOP_KEYS = {
    "as_of", "tables", "description", "name", "pipeline", "revenue", "settings",
}  # fmt: skip

#: Keys of the ``[settings]`` section: the company's calendar and money (see
#: :func:`mapping_settings`).
SETTINGS_KEYS = ("fiscal_year_start", "currency", "number_style")

_MAPPING_TABLE_KEYS = {
    "file", "sheet", "query", "columns", "values", "dates", "derive", "filter", "lookups",
    "distinct", "encoding", "delimiter", "decimal", "keep_extra", "skip_rows", "optional",
}  # fmt: skip


def read_mapping(path: str | Path | dict | None) -> dict:
    """Read and check a mapping file (TOML or YAML) or dict.

    The format is documented in ``docs/mappings.md``. Top-level keys:
    ``as_of`` (optional date), ``pipeline`` (the company's stages, see
    :mod:`salesnb.stages`), ``revenue`` (one of :data:`REVENUE_BASES`),
    ``tables`` (per contract table: ``file``,
    ``columns`` {contract: source}, ``values`` {column: {raw: value}},
    ``dates`` {column: strftime format}, ``derive`` {column: expression},
    ``filter`` (expression on source columns), ``lookups`` {column: {file or
    table, key, on, value, fill}}, ``distinct`` (key column: one row per key,
    first occurrence), ``encoding``, ``delimiter``, ``decimal``,
    ``keep_extra`` ("as_is", "snake_case" or false)).

    Every ``derive`` and ``filter`` expression is parsed and checked here,
    before any data is read (:func:`salesnb.load.expressions.check_expression`).
    Each table's section comes back as a copy carrying ``_where`` (the mapping
    file, for messages).

    Raises
    ------
    MappingError
        Unknown table or key, a duplicate key, a malformed lookup, a refused
        expression, or a file that cannot be parsed.
    """
    if path is None:
        return {"tables": {}}
    if isinstance(path, dict):
        raw, where = path, "<dict>"
    else:
        raw, where = _read_file(Path(path))
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
    if "settings" in raw:
        _check_settings(raw["settings"], where)
    tables = {}
    specs = raw.get("tables") or {}
    has_expressions = any(s.get("derive") or s.get("filter") for s in specs.values())
    con = _connect() if has_expressions else None  # no DuckDB for mappings without expressions
    try:
        for tname, spec in specs.items():
            tables[tname] = _check_table(tname, spec, where, con)
    finally:
        if con is not None:
            con.close()
    _check_lookup_cycles(tables, where)
    for tname, spec in tables.items():
        _link_lookups(tname, spec, tables, where)
    out = dict(raw)
    out["tables"] = tables
    out["_where"] = where
    return out


def mapping_settings(path: str | Path | dict | None) -> dict:
    """The ``[settings]`` section of a mapping file, checked: the company's calendar and money.

    Keys (all optional): ``fiscal_year_start`` (month 1-12 in which the fiscal
    year begins; quarters become fiscal quarters, ``FY2027 Q1``), ``currency``
    (symbol or ISO code: ``"€"``, ``"EUR"``, ``"¥"``) and ``number_style``
    (``en`` 1,234.56; ``de`` 1.234,56; ``fr`` 1 234,56; ``ch`` 1'234.56).
    A mapping may hold only this section.

    Raises
    ------
    MappingError
        An unknown key, a month outside 1-12, an empty currency or an unknown
        number style (see :func:`read_mapping` for the rest of the file).

    >>> mapping_settings({"settings": {"fiscal_year_start": 4, "currency": "EUR"}})
    {'fiscal_year_start': 4, 'currency': 'EUR'}
    >>> mapping_settings(None)
    {}
    """
    if path is None:
        return {}
    return dict(read_mapping(path).get("settings") or {})


def _check_settings(settings: Any, where: str) -> None:
    """Check the ``[settings]`` section (see :func:`mapping_settings`)."""
    from salesnb.numbers import NUMBER_STYLES, NumberStyle, number_text

    if not isinstance(settings, dict):
        raise MappingError(f"{where}: [settings] must be a table of keys, got {settings!r}")
    unknown = set(settings) - set(SETTINGS_KEYS)
    if unknown:
        raise MappingError(
            f"{where}: [settings]: unknown key(s) {sorted(unknown)}; "
            f"expected {', '.join(SETTINGS_KEYS)}"
        )
    month = settings.get("fiscal_year_start", 1)
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise MappingError(
            f"{where}: [settings] fiscal_year_start = {month!r}; expected the month number "
            "(1-12) in which the fiscal year begins, e.g. 4 for April"
        )
    currency = settings.get("currency", "$")
    if not isinstance(currency, str) or not currency.strip():
        raise MappingError(
            f'{where}: [settings] currency = {currency!r}; expected a symbol such as "€" '
            'or a code such as "EUR"'
        )
    style = settings.get("number_style", "en")
    if style not in NUMBER_STYLES:
        raise MappingError(
            f"{where}: [settings] number_style = {style!r}; expected one of "
            + ", ".join(
                f"{k} ({number_text(1234.56, decimals=2, style=NumberStyle(k))})"
                for k in NUMBER_STYLES
            )
        )


def _read_file(p: Path) -> tuple[dict, str]:
    """The content of a TOML or YAML mapping file (duplicate keys are errors in both)."""
    if not p.exists():
        raise MappingError(f"mapping file {p} does not exist")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() in {".yml", ".yaml"}:
            raw = _yaml_load(text) or {}
        else:
            raw = tomllib.loads(text)
    except Exception as exc:  # noqa: BLE001 - reported with the file name
        raise MappingError(f"mapping file {p} cannot be parsed: {exc}") from exc
    return raw, str(p)


def _yaml_load(text: str) -> Any:
    """YAML ``safe_load`` that refuses a key given twice in one mapping."""
    import yaml

    class _Strict(yaml.SafeLoader):
        pass

    def _mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise ValueError(
                    f"key {key!r} is given twice (line {key_node.start_mark.line + 1})"
                )
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    _Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    return yaml.load(text, Loader=_Strict)  # noqa: S506 - a SafeLoader subclass


def _check_table(tname: str, spec: dict, where: str, con) -> dict:
    """One table's section, checked; returned as a copy with ``_where``."""
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
    if not isinstance(spec.get("optional", False), bool):
        raise MappingError(
            f"{where}: table {tname}: optional must be true or false, not {spec['optional']!r}"
        )
    contract = columns(tname)
    for col in spec.get("columns", {}):
        if col not in contract:
            hint = difflib.get_close_matches(col, contract, n=1)
            raise MappingError(
                f"{where}: table {tname}: [columns] maps onto {col!r}, which is not a "
                f"contract column" + (f"; did you mean {hint[0]!r}?" if hint else "")
            )
    key = f"{where}: table {tname}"
    for col, expr in (spec.get("derive") or {}).items():
        check_expression(str(expr), key=f"{key}: derive.{col}", con=con)
    if spec.get("filter"):
        check_expression(str(spec["filter"]), key=f"{key}: filter", con=con)
    for col, lookup in (spec.get("lookups") or {}).items():
        _check_lookup(lookup, f"{key}: lookups.{col}")
    return {**spec, "_where": where}


@dataclasses.dataclass
class _MappingRun:
    """What applying a mapping needs from its load: the source (for lookups) and the mode."""

    kind: str | None = None
    src: Any = None
    cache: dict = dataclasses.field(default_factory=dict)
    errors: str = "quarantine"
    read: dict = dataclasses.field(default_factory=dict)  # lookup tables already read
    stack: tuple = ()  # tables being mapped, for lookups through tables

    def __post_init__(self) -> None:
        # lookup tables are read once per load: kept with the load's source cache
        self.read = self.cache.setdefault("_lookups", self.read)

    def warn(self, message: str) -> None:
        """A mapping warning: printed (``MappingWarning``), or raised with ``errors="raise"``."""
        if self.errors == "raise":
            raise MappingError(message)
        warnings.warn(message, MappingWarning, stacklevel=3)


def _snake(name: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower()
    return s or "column"


def _apply_mapping(
    table: str,
    raw: _Raw,
    tmap: dict,
    rejected_extra: list[pd.DataFrame],
    run: _MappingRun | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply one table's mapping to its raw rows (values stay unparsed).

    Returns ``(mapped, source, raw_frame)``: the table under contract names,
    the source columns of the rows the filter kept (for messages naming the
    columns found), and the raw rows of the mapped table (for the rejected
    rows' original values). Filtered-out rows are appended to
    ``rejected_extra``. Steps in the order of the module docstring.
    """
    run = run or _MappingRun()
    run = dataclasses.replace(run, stack=(*run.stack, table))  # for lookups through tables
    key = f"{tmap.get('_where', 'mapping')}: table {table}"
    contract = columns(table)
    frame = _drop_empty_unnamed_columns(raw)
    raw_frame = frame
    frame = _apply_filter(frame, tmap.get("filter"), key=key, origin=raw.origin, out=rejected_extra)
    pairs = _renames(frame, tmap, key=key, origin=raw.origin)
    mapped = _select_columns(frame, pairs, contract, tmap.get("keep_extra", "as_is"))
    derive = tmap.get("derive") or {}
    _warn_given_twice(pairs, derive, tmap.get("lookups") or {}, key, run)
    values = _ValueMaps(tmap.get("values") or {}, key, run)
    values.check_columns(mapped, derive, tmap.get("lookups") or {})
    sources = dict(pairs)
    for col in mapped.columns:
        if col in values.maps and col not in derive:
            src = sources.get(col, col)
            if src in raw_frame.columns:  # rows the filter excluded count as occurring
                values.saw(col, raw_frame[src])
            mapped[col] = values.apply(col, mapped[col], f"column {src}")
    for col, lookup in (tmap.get("lookups") or {}).items():
        _apply_lookup(mapped, frame, col, lookup, values, key=f"{key}: lookups.{col}", run=run)
    for col, expr in derive.items():
        mapped[col] = evaluate(str(expr), mapped, frame, key=f"{key}: derive.{col}")
        if col in values.maps:
            mapped[col] = values.apply(col, mapped[col], f"derived column {col}")
    values.warn_unused()
    distinct = tmap.get("distinct")
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
    frame: pd.DataFrame, query: str | None, *, key: str, origin: str, out: list[pd.DataFrame]
) -> pd.DataFrame:
    """The rows the mapping filter keeps (on source columns); the others are rejected."""
    if not query:
        return frame
    keep = evaluate(str(query), frame, frame, key=f"{key}: filter")
    given = keep.dropna()
    if len(given) and not pd.api.types.is_bool_dtype(given.infer_objects().dtype):
        raise MappingError(
            f"{key}: filter: {query!r} gives {given.iloc[0]!r}, not true or false "
            f"(a filter is a condition, e.g. \"Owner != 'test-user'\")"
        )
    keep = keep.astype(object).where(keep.notna(), False).astype(bool)
    if (~keep).any():
        rejected = frame.loc[~keep].copy()
        rejected["source_file"] = origin
        rejected["source_row"] = rejected.index
        rejected["reason"] = f"excluded by mapping filter: not ({query})"
        out.append(rejected)
    return frame.loc[keep]


def _renames(frame: pd.DataFrame, tmap: dict, *, key: str, origin: str) -> list[tuple[str, str]]:
    """(contract column, source column) pairs, checking that every source column exists.

    One source column may feed several contract columns.
    """
    pairs = []
    for target, src in (tmap.get("columns") or {}).items():
        if src not in frame.columns:
            hint = difflib.get_close_matches(str(src), [str(c) for c in frame.columns], n=1)
            raise MappingError(
                f"{key}: columns.{target}: mapped column {src!r} (for {target}) not found; "
                f"found columns: {', '.join(map(str, frame.columns))}"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
                + f" (in {Path(origin).name})"
            )
        pairs.append((target, src))
    return pairs


def _select_columns(
    frame: pd.DataFrame, pairs: list[tuple[str, str]], contract: dict, keep_extra: str | bool
) -> pd.DataFrame:
    """The mapped table, built column by column (no copies of the data).

    Contract columns come first (renamed, or by name when nothing is renamed),
    then the other source columns as ``keep_extra`` says (as they are, in
    snake_case, or not at all).
    """
    cols: dict[str, pd.Series] = {}
    used = {src for _, src in pairs}
    if pairs:
        for target, src in pairs:
            cols[target] = frame[src]
    else:
        for c in frame.columns:
            if c in contract:
                cols[c] = frame[c]
    if keep_extra:
        for c in frame.columns:
            if c in used or (not pairs and c in contract):
                continue
            name = _snake(c) if keep_extra == "snake_case" else c
            if name not in cols:
                cols[name] = frame[c]
    return pd.DataFrame(cols, index=frame.index, copy=False) if cols else frame.iloc[:, :0]


def _warn_given_twice(
    pairs: list[tuple[str, str]], derive: dict, lookups: dict, key: str, run: _MappingRun
) -> None:
    """A contract column both mapped and derived (or replaced by a lookup): one is lost."""
    mapped = dict(pairs)
    # a derived column that refers to itself (coalesce(amount, 0)) completes it: not twice
    derive = {
        c: e
        for c, e in derive.items()
        if (c in mapped or c in lookups) and c not in _referenced(check_expression(str(e), key=key))
    }
    for col in derive:
        if col in mapped:
            run.warn(
                f"{key}: {col} is given twice: columns.{col} = {mapped[col]!r} and derive.{col}; "
                f"the derived value replaces the mapped one"
            )
    for col, lookup in lookups.items():
        if col in derive:
            run.warn(
                f"{key}: {col} is given twice: lookups.{col} and derive.{col}; "
                f"the derived value replaces the looked-up one"
            )
        elif col in mapped and lookup.get("fill", "missing") == "all":
            run.warn(
                f"{key}: {col} is given twice: columns.{col} = {mapped[col]!r} and "
                f'lookups.{col} with fill = "all"; the looked-up value replaces the mapped one'
            )


class _ValueMaps:
    """The ``values`` of one table: applied to a column's values, with warnings.

    A raw value is replaced by its entry (exact, or by its text); other values
    take the ``"*"`` entry when there is one (``"*" = "*"``: kept as they are)
    and otherwise stay as they are and, unless they are already one of the
    map's results, are reported once per column. Entries that match no value
    of the column are reported at the end.
    """

    def __init__(self, maps: dict, key: str, run: _MappingRun):
        self.maps, self.key, self.run = maps, key, run
        self.seen: dict[str, set] = {col: set() for col in maps}
        self.labels: dict[str, str] = {}

    def check_columns(self, mapped: pd.DataFrame, derive: dict, lookups: dict) -> None:
        for col in self.maps:
            if col not in mapped.columns and col not in derive and col not in lookups:
                raise MappingError(
                    f"{self.key}: [values.{col}] names a column that is not mapped, derived "
                    f"or looked up"
                )

    def saw(self, col: str, values: pd.Series) -> None:
        """Note the values of a column as occurring (for the unused-entry warning)."""
        distinct = values.dropna().unique()
        self.seen[col].update(distinct)
        self.seen[col].update(str(v) for v in distinct)

    def apply(self, col: str, values: pd.Series, label: str) -> pd.Series:
        vmap = self.maps[col]
        self.labels.setdefault(col, label)
        counts = values.value_counts(dropna=True)
        if counts.empty:
            return values
        self.saw(col, pd.Series(counts.index))
        other = vmap.get("*", "*")
        lookup = {
            v: vmap.get(v, vmap.get(str(v), v if other == "*" else other)) for v in counts.index
        }
        results = {str(v).strip().lower() for v in vmap.values()}
        uncovered = [
            v
            for v in counts.index
            if v not in vmap and str(v) not in vmap and str(v).strip().lower() not in results
        ]
        uncovered = [v for v in uncovered if str(v).strip() and str(v).strip() not in _MISSING_TEXT]
        if uncovered and "*" not in vmap:
            listed = ", ".join(f"{v!r} ({int(counts[v]):,} rows)" for v in uncovered[:5])
            more = f" and {len(uncovered) - 5} more" if len(uncovered) > 5 else ""
            self.run.warn(
                f"{self.key}: [values.{col}] has no entry for {len(uncovered)} value(s) of "
                f"{label}: {listed}{more}; they are kept as they are"
            )
        return values.map(lookup)

    def warn_unused(self) -> None:
        for col, vmap in self.maps.items():
            if col not in self.labels:
                continue
            unused = [raw for raw in vmap if raw not in self.seen[col] and raw != "*"]
            if unused:
                listed = ", ".join(repr(r) for r in unused)
                verb = "does" if len(unused) == 1 else "do"
                self.run.warn(
                    f"{self.key}: [values.{col}] {listed} {verb} not occur in {self.labels[col]}"
                )


def _lookup_frame(col: str, lookup: dict, key: str, run: _MappingRun) -> tuple[pd.DataFrame, str]:
    """The rows a lookup reads (another file's raw rows, or another table mapped) and a label."""
    ref = lookup.get("table")
    cache_key = ("table", ref) if ref else ("file", lookup.get("file"), lookup.get("sheet"))
    if cache_key in run.read:
        return run.read[cache_key]
    try:
        if ref:
            if ref in run.stack:
                cycle = " -> ".join((*run.stack, ref))
                raise MappingError(f"{key}: lookups through tables form a cycle: {cycle}")
            spec = lookup["_table_spec"]
            raw = _read_one(run.kind, run.src, ref, spec, run.cache) if run.kind else None
            if raw is None:
                raise DataSourceError(f"table {ref} has no data in {run.src}")
            frame = _apply_mapping(ref, raw, spec, [], run)[0]
            result = (frame, f"table {ref}")
        else:
            if run.kind is None:
                raise DataSourceError("no data source to read it from")
            raw = _read_lookup(run.kind, run.src, lookup, run.cache)
            name = Path(raw.origin).name if run.kind == "folder" else raw.origin
            result = (raw.frame, name)
    except DataSourceError as exc:
        raise MappingError(f"{key}: cannot read the lookup's values: {exc}") from None
    run.read[cache_key] = result
    return result


def _apply_lookup(
    mapped: pd.DataFrame,
    frame: pd.DataFrame,
    col: str,
    lookup: dict,
    values: _ValueMaps,
    *,
    key: str,
    run: _MappingRun,
) -> None:
    """Fill ``mapped[col]`` from another file or table by key, in place."""
    other, label = _lookup_frame(col, lookup, key, run)
    name = lookup["key"]
    if name in mapped.columns:
        own = mapped[name]
    elif name in frame.columns:
        own = frame[name]
    else:
        raise MappingError(
            f"{key}: key = {name!r} is neither a mapped nor a source column of this table; "
            f"columns: {', '.join(map(str, dict.fromkeys([*mapped.columns, *frame.columns])))}"
        )
    on = lookup.get("on", name)
    table, known = _lookup_values(other, on, lookup["value"], label, key)
    keys = _lookup_keys(own)
    target = mapped[col] if col in mapped.columns else pd.Series(pd.NA, index=mapped.index)
    need = keys.notna()
    if lookup.get("fill", "missing") == "missing":
        need &= _is_empty(target)
    found = keys[need].map(table)
    not_found = keys[need][~keys[need].isin(known)]
    if len(not_found):
        counts = not_found.value_counts()
        listed = ", ".join(f"{k!r} ({n:,} rows)" for k, n in counts.head(5).items())
        run.warn(
            f"{key}: {len(not_found):,} row(s) have a {name} not found in {label} column {on}: "
            f"{listed}{' ...' if len(counts) > 5 else ''}; their {col} stays empty"
        )
    got = found.notna()
    if not got.any():
        if col not in mapped.columns:
            mapped[col] = target.astype(object)
        return
    fill = found[got]
    if col in values.maps:
        fill = values.apply(col, fill, f"{col} from {label}")
    out = target.astype(object)
    out.loc[fill.index] = fill.astype(object)
    mapped[col] = out


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


def _check_tables_loaded(
    mapping: dict,
    wanted: list[str],
    loaded: dict[str, pd.DataFrame],
    rows_read: dict[str, int],
    errors: str,
) -> None:
    """A table of the mapping that was wanted but not loaded (or lost every row): a warning.

    With ``errors="raise"``, a MappingError.
    """
    run = _MappingRun(errors=errors)
    where = mapping.get("_where", "mapping")
    for table in wanted:
        if table not in mapping.get("tables", {}):
            continue
        if mapping["tables"][table].get("optional") and table not in rows_read:
            continue  # an optional table whose file is absent: noted by the loader
        if table not in loaded:
            run.warn(
                f"{where}: table {table} is in the mapping but was not loaded"
                + (" (its file, sheet or table was not found)" if table not in rows_read else "")
                + "; see SalesData.notes and SalesData.rejected"
            )
        elif len(loaded[table]) == 0 and rows_read.get(table, 0) > 0:
            run.warn(
                f"{where}: table {table}: none of its {rows_read[table]:,} rows was loaded; "
                f"see SalesData.rejected[{table!r}] for the reasons"
            )
