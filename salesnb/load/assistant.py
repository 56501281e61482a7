"""The mapping assistant: recognise the tables and columns of a CRM or ERP export and
propose a mapping for the user to confirm (what ``salesnb map`` writes).

:func:`propose_mapping` surveys the source (headers and up to 5,000 rows per file, see
:mod:`salesnb.load.survey`), recognises which contract table each file is and which
contract column each source column is, by header names and their usual variants in the
big CRMs' exports (:mod:`salesnb.load.vocabulary`) and by value patterns (dates and their
format, money, distinct ids), lists the stage and status values and proposes the
company's pipeline. It never loads or validates anything: the proposal's
:meth:`~MappingProposal.toml` is a commented mapping file (:mod:`salesnb.load.draft`) to
read, edit and dry-run with ``salesnb check``.

Rules, in order:

1. A file is a table when the table's identifying column (``opportunity_id``,
   ``order_id``, ...) is among its headers and at least one more column is, or its name
   says so (``deals.csv``, Pipedrive's ``Deal - `` headers); each table takes its
   best-scoring file (required columns weigh more than optional ones).
2. A header is a contract column when its name (case, spacing and punctuation ignored) is
   one of the column's names in the vocabulary and its values fit the column's kind:
   dates for dates, numbers for numbers. Required columns still missing are guessed
   from values alone (the only date column left, a money column, a distinct id) and
   marked CHECK.
3. A deal's close date that is also filled on open deals is the expected close date; the
   closing date is then derived for won and lost deals only. Win and loss times
   (Pipedrive) give the closing date with ``COALESCE``.
4. With one stage column, the stage is mapped and the status is not: ``[pipeline]``
   lists the open stages and which values mean won and lost. Stages are ordered by the
   deals' median win probability when the export has one, else by the usual order of
   the CRMs' default stage names, else as found; the user confirms the order.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from salesnb.load.deal_outcomes import opportunity_outcomes, sql_literal
from salesnb.load.guesses import (
    Guess,
    MappingProposal,
    PipelineGuess,
    TableGuess,
    date_entry,
    example_text,
)
from salesnb.load.survey import DEFAULT_LIMIT, ColumnProfile, SourceTable, profile, survey
from salesnb.load.vocabulary import (
    ATTRIBUTES,
    ENTITY_PREFIXES,
    ENUM_WORDS,
    EXPORT_SIGNATURES,
    FILE_HINTS,
    HEADERS,
    PERCENT_SHARE,
    header_key,
    is_percent,
    split_prefix,
)
from salesnb.schema import TABLES, columns

__all__ = ["Guess", "TableGuess", "PipelineGuess", "MappingProposal", "propose_mapping"]

_DATE_KINDS = ("timestamp", "date")
_NUMBER_KINDS = ("number", "integer")
_ROLE_KINDS = {"_won_at": "timestamp", "_lost_at": "timestamp", "_probability": "number"}


def propose_mapping(source: Any, *, limit: int | None = DEFAULT_LIMIT) -> MappingProposal:
    """Recognise the tables and columns of an export and propose a mapping.

    Parameters
    ----------
    source : str or Path
        A folder of files, an Excel workbook, an SQLite file or a database URL.
    limit : int or None
        Rows read per file, sheet or database table (headers are always read).

    Returns
    -------
    MappingProposal
        Its ``toml()`` is the commented mapping file; nothing has been loaded.

    Raises
    ------
    DataSourceError
        When the source does not exist or a file cannot be read as a table.

    Examples
    --------
    >>> from salesnb.load import SAMPLE_DATA
    >>> proposal = propose_mapping(SAMPLE_DATA)
    >>> proposal.table("orders").mapped["order_date"]
    'order_date'
    """
    label, parts = survey(source, limit=limit)
    profiles = {id(p): {h: profile(p.frame[h]) for h in p.headers} for p in parts}
    candidates = []
    for part in parts:
        for table in HEADERS:
            guess = _recognise(table, part, profiles[id(part)])
            if guess is not None:
                candidates.append(guess)
    chosen: list[TableGuess] = []
    for guess in sorted(candidates, key=lambda g: -g.score):
        taken = {t.table for t in chosen}, {id(t.part) for t in chosen}
        if guess.table not in taken[0] and id(guess.part) not in taken[1]:
            chosen.append(guess)
    order = list(TABLES)
    chosen.sort(key=lambda g: order.index(g.table))
    for guess in chosen:
        _complete(guess)
    chosen += _derived_tables(chosen)
    chosen.sort(key=lambda g: order.index(g.table))
    used = {id(g.part) for g in chosen}
    opp = next((g for g in chosen if g.table == "opportunities"), None)
    pipeline = opportunity_outcomes(opp) if opp is not None else None
    return MappingProposal(
        source=label,
        tables=chosen,
        pipeline=pipeline,
        unrecognised=[p for p in parts if id(p) not in used],
        limit=limit,
    )


def _kind(table: str, column: str) -> str:
    if column.startswith("_"):
        return _ROLE_KINDS.get(column, "text")
    return (columns(table)[column].metadata or {}).get("kind", "text")


def _name_quality(key: str, names: tuple[str, ...]) -> float:
    """1 for the best name, a little less for later ones, 0.5 for a longer header."""
    if key in names:
        return 1.0 - 0.01 * names.index(key)
    words = f" {key} "
    for name in names:
        if " " in name and f" {name} " in words:
            return 0.5
    return 0.0


def _value_fit(kind: str, prof: ColumnProfile, *, key_column: bool) -> float:
    """How well a column's values fit a contract kind (0 excludes the column)."""
    if prof.filled == 0:
        return 0.5
    if kind in _DATE_KINDS:
        return 1.0 if prof.date_format else 0.0
    if kind in _NUMBER_KINDS:
        return 1.0 if prof.numeric else 0.0
    if kind == "flag":
        words = {"true", "false", "yes", "no", "1", "0", "y", "n"}
        return 1.0 if {header_key(v) for v, _ in prof.counts} <= words else 0.3
    if prof.date_format:
        return 0.2
    if kind == "id" and key_column and not prof.unique:
        return 0.9
    return 1.0


def _identifying(table: str) -> str:
    spec = TABLES[table]
    if spec.primary_key:
        return spec.primary_key[0]
    return next(c for c, col in columns(table).items() if col.required)


def _match(
    table: str, part: SourceTable, profiles: dict[str, ColumnProfile]
) -> dict[str, tuple[str, float]]:
    """Contract column -> (header, quality), each header used once, best matches first."""
    key_col = _identifying(table)
    found = []
    for pos, header in enumerate(part.headers):
        _, key = split_prefix(header)
        full = header_key(header)
        for col, aliases in HEADERS[table].items():
            names = aliases if col.startswith("_") else (header_key(col), *aliases)
            q = max(_name_quality(key, names), _name_quality(full, names))
            if q:
                q *= _value_fit(_kind(table, col), profiles[header], key_column=col == key_col)
            if q > 0:
                found.append((q, pos, header, col))
    chosen: dict[str, tuple[str, float]] = {}
    used: set[str] = set()
    for q, _, header, col in sorted(found, key=lambda f: (-f[0], f[1])):
        if col not in chosen and header not in used:
            chosen[col] = (header, q)
            used.add(header)
    return chosen


def _recognise(
    table: str, part: SourceTable, profiles: dict[str, ColumnProfile]
) -> TableGuess | None:
    """The guess that ``part`` is ``table``, or None when it does not look like it."""
    matched = _match(table, part, profiles)
    name = header_key(part.name)
    hint = next((h for h in FILE_HINTS[table] if h in name.replace(" ", "")), None)
    prefixes = {split_prefix(h)[0] for h in part.headers} - {None}
    prefix_hint = any(ENTITY_PREFIXES.get(p) == table for p in prefixes)
    key_col = _identifying(table)
    required = {c for c, col in columns(table).items() if col.required}
    contract = [c for c in matched if not c.startswith("_")]
    if key_col not in matched and not ((hint or prefix_hint) and len(required & set(matched)) >= 2):
        return None
    if len(contract) < 2 and not (hint or prefix_hint):
        return None
    score = sum(
        (3 if c == key_col else 2 if c in required else 1) * q for c, (_, q) in matched.items()
    )
    score += 3 * bool(hint) + 3 * prefix_hint
    why = _table_why(part, matched, hint, prefix_hint)
    order = [*columns(table), *HEADERS[table]]
    guesses = {
        c: Guess(h, _column_why(h, profiles[h], q, key=c == key_col))
        for c, (h, q) in sorted(matched.items(), key=lambda m: order.index(m[0]))
    }
    return TableGuess(table, part, why, score, guesses, profiles)


def _table_why(part: SourceTable, matched: dict, hint: str | None, prefix_hint: bool) -> str:
    keys = {header_key(h) for h in part.headers}
    vendor = max(EXPORT_SIGNATURES, key=lambda v: len(keys & set(EXPORT_SIGNATURES[v])))
    reasons = []
    if len(keys & set(EXPORT_SIGNATURES[vendor])) >= 3:
        reasons.append(f"headers of {vendor}")
    if hint:
        reasons.append(f"name {part.name!r}")
    if prefix_hint:
        reasons.append("headers prefixed like " + repr(part.headers[0].split(" - ")[0] + " - "))
    n = len(part.frame)
    rows = f"{n:,} rows read" + (" (a sample)" if part.truncated else "")
    found = {h for h, _ in matched.values()}
    heads = ", ".join([f'"{h}"' for h in part.headers if h in found][:3])
    reasons.append(f"{len(matched)} of {len(part.headers)} headers recognised ({heads}...)")
    return "; ".join(reasons) + f"; {rows}"


def _column_why(header: str, prof: ColumnProfile, quality: float, *, key: bool = False) -> str:
    what = f'header "{header}"' if quality >= 0.5 else f'header "{header}" (a guess)'
    extra = " (all distinct)" if key and prof.unique and prof.filled > 1 else ""
    return f"{what}, {example_text(prof)}{extra}"


def _complete(guess: TableGuess) -> None:
    """Fill in what the headers did not say: required columns, date formats, value maps."""
    _fill_required(guess)
    for col, g in guess.columns.items():
        kind = _kind(guess.table, col)
        prof = guess.profiles.get(g.source) if g.source else None
        if prof is None or col.startswith("_"):
            continue
        if kind in _DATE_KINDS and prof.date_format and prof.date_format != "ISO8601":
            guess.dates[col] = date_entry(prof)
        if kind in _NUMBER_KINDS and prof.decimal_comma:
            guess.decimal = ","
        if kind == "category" and not (
            guess.table in ("opportunities", "opportunity_history") and col in ("stage", "status")
        ):
            _enum_values(guess, col, prof)
    if guess.table == "orders":
        _order_lines(guess)
    if guess.table == "opportunity_history":
        _history_columns(guess)
    for role in ("_pipeline", "_currency"):
        g = guess.columns.get(role)
        prof = guess.profiles[g.source] if g is not None and g.source else None
        if prof is not None and prof.distinct > 1:
            found = ", ".join(f"{v} ({n})" for v, n in prof.counts[:6])
            what = "pipelines" if role == "_pipeline" else "currencies"
            guess.notes.append(
                f'CHECK: "{g.source}" holds several {what}: {found}. salesnb reads one '
                + (
                    "pipeline: keep one with a filter"
                    if role == "_pipeline"
                    else "currency: convert the amounts first, or keep one with a filter"
                )
            )
            if guess.filter_hint is None:
                guess.filter_hint = f"`{g.source}` = {sql_literal(prof.counts[0][0])}"


def _fill_required(guess: TableGuess) -> None:
    """Required columns the headers did not give, guessed from the values (marked CHECK)."""
    table, part = guess.table, guess.part
    used = {g.source for g in guess.columns.values()}
    for col, spec in columns(table).items():
        if not spec.required or col in guess.columns:
            continue
        kind = _kind(table, col)
        free = [h for h in part.headers if h not in used]
        profs = guess.profiles
        if kind in _DATE_KINDS:
            pool = [h for h in free if profs[h].date_format]
            word = "creat" if col == "created_at" else col.split("_")[0]
            pool.sort(key=lambda h: word not in header_key(h).replace(" ", ""))
            what = "a date column"
        elif kind in _NUMBER_KINDS:
            pool = [h for h in free if profs[h].numeric and profs[h].money]
            what = "a money column"
        elif kind == "id":
            pool = [h for h in free if profs[h].unique and header_key(h).endswith(("id", "number"))]
            what = "a column of distinct ids"
        else:
            pool = []
        if pool:
            h = pool[0]
            why = f'{what} ("{h}", {example_text(profs[h])}), not named like {col}'
            guess.columns[col] = Guess(h, why, check=True)
            used.add(h)


def _allowed(table: str, col: str) -> list[str]:
    for check in columns(table)[col].checks:
        if getattr(check, "name", "") == "isin":
            return [str(v) for v in (check.statistics or {}).get("allowed_values", [])]
    return []


def _enum_values(guess: TableGuess, col: str, prof: ColumnProfile) -> None:
    """A value map onto a contract enumeration (``orders.status``...), unknown values noted."""
    allowed = _allowed(guess.table, col)
    if not allowed:
        return
    words = ENUM_WORDS.get((guess.table, col), {})
    vmap, unknown = {}, []
    for value, _ in prof.counts:
        key = header_key(value)
        target = words.get(key) or next((a for a in allowed if a == key), None)
        if value in allowed:
            continue
        if target:
            vmap[value] = target
        else:
            unknown.append(value)
    if prof.distinct > 40:
        guess.notes.append(f'CHECK: "{guess.columns[col].source}" has {prof.distinct} values')
    if vmap:
        guess.values[col] = vmap
    if unknown:
        guess.unknown_values[col] = unknown


def _history_columns(guess: TableGuess) -> None:
    """A deal history: status read from the stage; a percent probability made a share."""
    cols = guess.columns
    if "status" not in cols and "stage" in cols:
        guess.notes.append(
            "status is not mapped: a change leaves the deal won or lost when its stage is one "
            "of the [pipeline] won / lost values, else open"
        )
    prob = cols.get("probability")
    prof = guess.profiles.get(prob.source) if prob is not None and prob.source else None
    if prof is None:
        return
    if any(is_percent(v) for v in [v for v, _ in prof.counts] or prof.examples):
        why = f'"{prob.source}" holds percentages ({example_text(prof)}): divided by 100'
        quoted = "`" + prob.source.replace("`", "``") + "`"
        cols["probability"] = Guess(prob.source, why, expression=PERCENT_SHARE.format(c=quoted))


def _order_lines(guess: TableGuess) -> None:
    g = guess.columns.get("order_id")
    if g is None or "line_id" in guess.columns:
        return
    if not guess.profiles[g.source].unique and guess.profiles[g.source].filled:
        guess.notes.append(
            f'CHECK: order ids in "{g.source}" repeat (order lines?): map a line number onto '
            f"line_id, or the repeated rows are rejected as duplicate keys"
        )


def _derived_tables(chosen: list[TableGuess]) -> list[TableGuess]:
    """Customers / products as one row per key of an orders or deals file (``distinct``).

    The key is the source column the orders or deals already map onto ``customer_id`` /
    ``product``; the table is proposed when the file also holds one of its attributes
    (a customer's name, segment, country or city; a product's category or prices).
    """
    present = {g.table for g in chosen}
    out = []
    for table, attributes in ATTRIBUTES.items():
        key_col = _identifying(table)
        for base in chosen:
            if table in present or base.table not in ("orders", "opportunities"):
                continue
            key = base.columns.get(key_col)
            if key is None or key.expression:
                continue
            taken = {
                g.source
                for c, g in base.columns.items()
                if c != key_col and g.source and _kind(base.table, c) == "id"
            }
            part = dataclasses.replace(
                base.part, frame=base.part.frame.drop(columns=[*taken, key.source])
            )
            matched = _match(table, part, base.profiles)
            keep = {c: m for c, m in matched.items() if c in (*attributes, "region")}
            if not set(attributes) & set(keep):
                continue
            keep = {key_col: (key.source, 1.0), **keep}
            keep = dict(sorted(keep.items(), key=lambda m: list(columns(table)).index(m[0])))
            guesses = {
                c: Guess(h, _column_why(h, base.profiles[h], q)) for c, (h, q) in keep.items()
            }
            heads = ", ".join(f'"{h}"' for h, _ in keep.values())
            why = f"one row per {key_col} of {base.part.label} (its {table} columns: {heads})"
            out.append(
                TableGuess(table, base.part, why, 0, guesses, base.profiles, distinct=key_col)
            )
            present.add(table)
    return out
