"""Names next to ids: "R029 Irene Nakamura" for a rep, "C00310 Union Labs Group" for a
customer, in every table and chart of the pack.

The id stays at the front of the label, so a reader (or a test) can still find a row by
id, and two people with the same name stay apart. Products are named by their name
already (the contract has no product id).
"""

from __future__ import annotations

import pandas as pd

from salesnb.sections.engine_inputs import collect

__all__ = [
    "label",
    "name_map",
    "with_names",
]

#: The id column, the table holding its names and the column the label goes into.
_KINDS = {
    "rep_id": ("reps", "rep"),
    "customer_id": ("customers", "customer"),
}


def label(key, name=None) -> str:
    """``"<id> <name>"``; the id alone when the name is missing, empty or the id itself.

    >>> label("R029", "Irene Nakamura"), label("R030", None), label("R031", " ")
    ('R029 Irene Nakamura', 'R030', 'R031')
    >>> label("C1", "C1")
    'C1'
    """
    key = "" if key is None or (isinstance(key, float) and key != key) else str(key)
    if name is None or (isinstance(name, float) and name != name):
        return key
    name = str(name).strip()
    if not name or name == key:
        return key
    return f"{key} {name}".strip()


def name_map(sales, column: str = "rep_id", *, ids=None) -> dict[str, str]:
    """Id -> label for the reps (``column="rep_id"``) or customers (``"customer_id"``)
    of ``sales``: every id of the table, or only ``ids`` (a big customer table on an
    engine brings back only those rows). Empty when the table or its names are absent.

    Raises
    ------
    ValueError
        When ``column`` is neither ``rep_id`` nor ``customer_id``.
    """
    if column not in _KINDS:
        raise ValueError(f"name_map: column must be one of {sorted(_KINDS)}, got {column!r}")
    table = sales.tables.get(_KINDS[column][0]) if hasattr(sales, "tables") else None
    if table is None:
        return {}
    import narwhals as nw

    frame = nw.from_native(table)
    if "name" not in frame.collect_schema().names():
        return {}
    if ids is not None:
        wanted = sorted({str(i) for i in ids if i is not None and i == i})
        frame = frame.filter(nw.col(column).cast(nw.String).is_in(wanted))
    names = collect(frame.select(column, "name").to_native())
    return {str(k): label(k, v) for k, v in zip(names[column], names["name"], strict=True)}


def with_names(frame: pd.DataFrame, sales, column: str = "rep_id") -> pd.DataFrame:
    """A copy of ``frame`` whose ``column`` (``rep_id`` or ``customer_id``) is replaced,
    at the same place, by a ``rep`` (or ``customer``) column of labels "<id> <name>". A
    ``name`` column of the frame (the same person's name) is dropped; ids without a name
    keep the id alone. A frame without ``column`` is returned unchanged.

    Raises
    ------
    ValueError
        When ``column`` is neither ``rep_id`` nor ``customer_id``.

    >>> from types import SimpleNamespace
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann Lee", "Bo Kim"]})
    >>> sales = SimpleNamespace(tables={"reps": reps})
    >>> f = pd.DataFrame({"rep_id": ["R2", "R9"], "deals": [3, 1]})
    >>> with_names(f, sales).to_dict("list")
    {'rep': ['R2 Bo Kim', 'R9'], 'deals': [3, 1]}
    """
    if column not in _KINDS:
        raise ValueError(f"with_names: column must be one of {sorted(_KINDS)}, got {column!r}")
    frame = collect(frame)
    if column not in frame.columns:
        return frame
    ids = frame[column]
    names = name_map(sales, column, ids=ids.dropna().unique())
    labels = [names.get(str(i), label(i)) for i in ids]
    out = frame.drop(columns=[c for c in ("name",) if c in frame.columns])
    target = _KINDS[column][1]
    if target in out.columns and target != column:
        out = out.drop(columns=[target])
    at = list(out.columns).index(column)
    out = out.drop(columns=[column])
    out.insert(at, target, labels)
    return out
