"""The company's own sales pipeline: its ordered stages, when a deal in each is rotting,
the default win probability of each, and which source values mean won and lost.

CRMs let every company define its pipeline (Salesforce's default has nine stages,
Pipedrive's five, HubSpot's six; Pipedrive sets "rotting" per stage, Salesforce a
probability per stage). A mapping file declares it in a ``[pipeline]`` section; without
one, the contract's four stages (:data:`salesnb.schema.STAGES`) apply.

.. code-block:: toml

    [pipeline]
    won = ["Won", "Closed Won"]      # source values (of stage or status) meaning won
    lost = ["Lost", "Closed Lost"]   # ... and lost; matched case-insensitively

    [[pipeline.stages]]
    name = "Prospecting"
    rotting_days = 30                # an open deal idle this long in the stage is stale
    probability = 0.1                # default win probability of a deal in the stage

    [[pipeline.stages]]
    name = "Engaging"

``stages = ["Prospecting", "Engaging"]`` (names only) is accepted too.

>>> p = SalesPipeline.from_mapping(
...     {"stages": ["Prospecting", {"name": "Engaging", "rotting_days": 14}],
...      "won": ["Won"], "lost": ["Lost"]})
>>> p.names
('Prospecting', 'Engaging')
>>> p.rotting_days
{'Engaging': 14.0}
>>> p.canonical("  engaging ")
'Engaging'
>>> p.outcome("WON"), p.outcome("Engaging")
('won', None)
>>> DEFAULT_PIPELINE.names
('qualification', 'discovery', 'proposal', 'negotiation')
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping

from salesnb.errors import MappingError
from salesnb.schema import STAGES

__all__ = ["Stage", "SalesPipeline", "DEFAULT_PIPELINE"]

_STAGE_KEYS = {"name", "rotting_days", "probability"}
_PIPELINE_KEYS = {"stages", "won", "lost"}


def _key(value: object) -> str:
    """How stage and outcome values are compared: trimmed, case-folded."""
    return " ".join(str(value).split()).casefold()


@dataclasses.dataclass(frozen=True)
class Stage:
    """One stage of the pipeline, in order.

    Attributes
    ----------
    name : str
        The stage as reports show it (and as the data holds it, up to case and
        surrounding spaces).
    rotting_days : float or None
        Days without activity or stage change after which an open deal in this stage
        counts as stale; ``None`` uses the stale-deal defaults.
    probability : float or None
        Default win probability (0-1) of an open deal in this stage, as CRMs set it;
        ``None`` when not declared.
    """

    name: str
    rotting_days: float | None = None
    probability: float | None = None


@dataclasses.dataclass(frozen=True)
class SalesPipeline:
    """The ordered stages of a company's pipeline and its won / lost source values.

    Attributes
    ----------
    stages : tuple of Stage
        In pipeline order, first stage first.
    won, lost : tuple of str
        Source values that mean the deal is won or lost (e.g. ``"Closed Won"``);
        matched case-insensitively.
    declared : bool
        Whether the pipeline came from a mapping (False for the contract default).
    """

    stages: tuple[Stage, ...]
    won: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    declared: bool = False

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a pipeline needs at least one stage")
        keys = [_key(s.name) for s in self.stages]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"stage names repeat (ignoring case): {dupes}")
        clash = sorted({_key(v) for v in (*self.won, *self.lost)} & set(keys))
        if clash:
            raise ValueError(f"won/lost values are also stage names: {clash}")
        both = sorted({_key(v) for v in self.won} & {_key(v) for v in self.lost})
        if both:
            raise ValueError(f"values listed as both won and lost: {both}")

    @property
    def names(self) -> tuple[str, ...]:
        """Stage names in pipeline order."""
        return tuple(s.name for s in self.stages)

    @property
    def rotting_days(self) -> dict[str, float]:
        """Declared rotting thresholds by stage name (stages without one are left out)."""
        return {s.name: s.rotting_days for s in self.stages if s.rotting_days is not None}

    @property
    def probabilities(self) -> dict[str, float]:
        """Declared default win probabilities by stage name."""
        return {s.name: s.probability for s in self.stages if s.probability is not None}

    def canonical(self, value: object) -> str | None:
        """The declared stage name a source value means (case and spaces ignored), or None."""
        return {_key(s.name): s.name for s in self.stages}.get(_key(value))

    def outcome(self, value: object) -> str | None:
        """``"won"`` / ``"lost"`` when a source value is a declared won / lost value, else None."""
        k = _key(value)
        if k in {_key(v) for v in self.won}:
            return "won"
        if k in {_key(v) for v in self.lost}:
            return "lost"
        return None

    def index(self, stage: str) -> int:
        """0-based position of a stage in the pipeline.

        Raises
        ------
        KeyError
            For a value that is not a stage of this pipeline.
        """
        name = self.canonical(stage)
        if name is None:
            raise KeyError(f"{stage!r} is not a stage of the pipeline ({', '.join(self.names)})")
        return self.names.index(name)

    @classmethod
    def from_mapping(cls, section: Mapping, *, origin: str = "mapping") -> SalesPipeline:
        """Read a ``[pipeline]`` mapping section.

        Raises
        ------
        MappingError
            Unknown keys, no stages, a stage without a name, a rotting threshold that
            is not a positive number, a probability outside 0-1, repeated names, or
            won/lost values that are also stages; the message names the key.
        """
        if not isinstance(section, Mapping):
            raise MappingError(f"{origin}: [pipeline] must be a table, got {section!r}")
        unknown = sorted(set(section) - _PIPELINE_KEYS)
        if unknown:
            raise MappingError(
                f"{origin}: [pipeline] has unknown key(s) {unknown}; "
                f"expected {sorted(_PIPELINE_KEYS)}"
            )
        raw = section.get("stages")
        if not raw or not isinstance(raw, list):
            raise MappingError(
                f"{origin}: [pipeline] stages must be a non-empty list of stage names "
                f"or [[pipeline.stages]] tables, in pipeline order"
            )
        stages = tuple(_stage(item, i, origin) for i, item in enumerate(raw))
        try:
            return cls(
                stages,
                won=_values(section.get("won", ()), "won", origin),
                lost=_values(section.get("lost", ()), "lost", origin),
                declared=True,
            )
        except ValueError as exc:
            raise MappingError(f"{origin}: [pipeline]: {exc}") from exc


def _values(raw: object, key: str, origin: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, Iterable) or not all(isinstance(v, str) for v in raw):
        raise MappingError(f"{origin}: [pipeline] {key} must be a list of source values")
    return tuple(raw)


def _number(value: object, where: str, *, low: float, high: float, low_open: bool) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        bound = f"{'>' if low_open else '>='} {low:g}" + (
            f" and <= {high:g}" if math.isfinite(high) else ""
        )
        raise MappingError(f"{where} must be a number {bound}, got {value!r}")
    return float(value)


def _stage(item: object, i: int, origin: str) -> Stage:
    where = f"{origin}: [pipeline] stages[{i}]"
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, Mapping) or not str(item.get("name", "")).strip():
        raise MappingError(f"{where} needs a name (a string or a table with name = ...)")
    unknown = sorted(set(item) - _STAGE_KEYS)
    if unknown:
        raise MappingError(f"{where} has unknown key(s) {unknown}; expected {sorted(_STAGE_KEYS)}")
    rot, prob = item.get("rotting_days"), item.get("probability")
    return Stage(
        name=str(item["name"]).strip(),
        rotting_days=None
        if rot is None
        else _number(rot, f"{where}.rotting_days", low=0, high=math.inf, low_open=True),
        probability=None
        if prob is None
        else _number(prob, f"{where}.probability", low=0, high=1, low_open=False),
    )


#: The contract's default pipeline: :data:`salesnb.schema.STAGES`, outcomes "won"/"lost".
DEFAULT_PIPELINE = SalesPipeline(tuple(Stage(s) for s in STAGES), won=("won",), lost=("lost",))
