"""What the mapping assistant proposes: its data types and how a guess is worded.

:class:`MappingProposal` holds one :class:`TableGuess` per recognised table (each
contract column's :class:`Guess`) and the proposed :class:`PipelineGuess`; built by
:func:`salesnb.load.assistant.propose_mapping`, written by :mod:`salesnb.load.draft`.
"""

from __future__ import annotations

import dataclasses

from salesnb.load.survey import ColumnProfile, SourceTable

__all__ = ["Guess", "TableGuess", "PipelineGuess", "MappingProposal"]


@dataclasses.dataclass
class Guess:
    """How one contract column is filled: from a source column, or by an expression.

    ``why`` says what the guess rests on (header, values); ``check`` marks guesses the
    user must confirm.
    """

    source: str | None
    why: str
    expression: str | None = None
    check: bool = False


@dataclasses.dataclass
class TableGuess:
    """The proposed mapping of one contract table from one part of the source."""

    table: str
    part: SourceTable
    why: str
    score: float
    columns: dict[str, Guess]
    profiles: dict[str, ColumnProfile]
    dates: dict[str, tuple[str, str, bool]] = dataclasses.field(default_factory=dict)
    values: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    unknown_values: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
    distinct: str | None = None
    decimal: str | None = None
    filter_hint: str | None = None

    @property
    def mapped(self) -> dict[str, str]:
        """Contract column -> source column, for the ``[columns]`` section."""
        return {
            c: g.source
            for c, g in self.columns.items()
            if g.source and not g.expression and not c.startswith("_")
        }

    @property
    def unmapped(self) -> list[str]:
        """Source columns neither mapped nor used in an expression, in source order."""
        used = set(self.mapped.values())
        exprs = " ".join(g.expression or "" for g in self.columns.values())
        return [h for h in self.part.headers if h not in used and f"`{h}`" not in exprs]


@dataclasses.dataclass
class PipelineGuess:
    """The proposed ``[pipeline]``: open stages in a proposed order, won and lost values.

    ``stages`` holds (name, deals in the sample, median win probability or None).
    """

    where: str
    stages: list[tuple[str, int, float | None]]
    won: list[tuple[str, int]]
    lost: list[tuple[str, int]]
    order_why: str
    values: list[tuple[str, int]]


@dataclasses.dataclass
class MappingProposal:
    """What the assistant recognised in a source, ready to be written as a mapping."""

    source: str
    tables: list[TableGuess]
    pipeline: PipelineGuess | None
    unrecognised: list[SourceTable]
    limit: int | None

    def toml(self, *, data: str | None = None, out: str | None = None) -> str:
        """The commented mapping file (TOML); ``data``/``out`` name paths in its comments."""
        from salesnb.load.draft import draft_toml

        return draft_toml(self, data=data, out=out)

    def table(self, name: str) -> TableGuess | None:
        """The guess for contract table ``name``, if any."""
        return next((t for t in self.tables if t.table == name), None)


def example_text(prof: ColumnProfile) -> str:
    shown = ", ".join(short(v) for v in prof.examples)
    return f"values like {shown}" if shown else "empty in the sample"


def short(value: str, n: int = 24) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= n else value[: n - 1] + "…"


def date_entry(prof: ColumnProfile) -> tuple[str, str, bool]:
    why = example_text(prof)
    others = [a for a in prof.date_alternatives if a.split()[0] != prof.date_format.split()[0]]
    if others:
        return prof.date_format, f"{why}; {others[0]} fits too: no day above 12 in the sample", True
    return prof.date_format, why, False
