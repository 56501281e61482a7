"""The CSV form of the tables: row order and :func:`write`, one reproducible
file per table.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from salesnb.schema import TABLES, columns

__all__ = ["write"]

logger = logging.getLogger(__name__)

_SORT_KEYS = {
    "satisfaction": ("rep_id", "survey_date"),
    "engagement": ("customer_id", "event_at", "channel", "event"),
    "competitor_prices": ("observed_date", "product", "competitor"),
}


def _sort_key(name: str) -> tuple[str, ...]:
    return _SORT_KEYS.get(name) or tuple(TABLES[name].primary_key)


def sort_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (the table ``name``) with its rows sorted by primary key, or by
    ``_SORT_KEYS`` for the tables listed there."""
    keys = [k for k in _sort_key(name) if k in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def write(tables: dict[str, pd.DataFrame], folder) -> list[Path]:
    """Write one CSV per table, ``<folder>/<table>.csv``, reproducibly.

    UTF-8, ``\\n`` line endings, rows sorted by primary key, contract ``date``
    columns as ``YYYY-MM-DD`` and ``timestamp`` columns as
    ``YYYY-MM-DD HH:MM:SS``, money with 2 decimals, other numbers rounded to 2
    decimals without trailing zeros, empty cells for missing values. The same
    tables always give byte-identical files.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Contract tables, e.g. from :func:`~salesnb.synth.generate`. Not modified.
    folder : str or pathlib.Path
        Output folder; created when missing.

    Returns
    -------
    list of pathlib.Path
        The files written, in table order.

    Raises
    ------
    KeyError
        When a table name is not a contract table.

    Examples
    --------
    >>> import tempfile
    >>> from salesnb.synth import generate
    >>> t = generate(3, start="2025-01-01", end="2025-06-30", n_regions=1, n_reps=2,
    ...              n_customers=20)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = write(t, d)
    ...     first = paths[0].read_text(encoding="utf-8").splitlines()[0]
    >>> first
    'rep_id,name,team,region,manager,hire_date'
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, frame in tables.items():
        cols = columns(name) if name in TABLES else None
        if cols is None:
            raise KeyError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}")
        frame = sort_table(name, frame)
        text = pd.DataFrame({c: _format_column(frame[c], cols.get(c)) for c in frame.columns})
        path = folder / f"{name}.csv"
        data = text.to_csv(index=False, lineterminator="\n")
        path.write_bytes(data.encode("utf-8"))
        logger.debug("wrote %s (%d rows)", path, len(frame))
        out.append(path)
    return out


def _format_column(s: pd.Series, col) -> list[str]:
    meta = (col.metadata or {}) if col is not None else {}
    kind = meta.get("kind")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        fmt = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
        return s.dt.strftime(fmt).fillna("").tolist()
    if pd.api.types.is_bool_dtype(s.dtype):
        return ["True" if v else "False" for v in s]
    if pd.api.types.is_numeric_dtype(s.dtype):
        money = meta.get("unit") == "currency"
        out = []
        for v in s.to_numpy(dtype=float):
            if not np.isfinite(v):
                out.append("")
            elif money:
                out.append(f"{round(v, 2):.2f}")
            else:
                r = round(v, 2)
                out.append(str(int(r)) if r == int(r) else f"{r:.2f}".rstrip("0"))
        return out
    return ["" if pd.isna(v) else str(v) for v in s.astype(object)]


# =============================================================================== facts
