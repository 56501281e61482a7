"""The loaded tables of one company: :class:`SalesData`, its summary and filters."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import pandas as pd

from salesnb.errors import PROBLEM_COLUMNS, SelectionError
from salesnb.load.basis import choose_basis, revenue_lines
from salesnb.schema import TABLES
from salesnb.stages import DEFAULT_PIPELINE, SalesPipeline

__all__ = ["SalesData"]

#: Contract tables in the order they are loaded and summarised.
_ORDER = [
    "reps",
    "customers",
    "products",
    "leads",
    "opportunities",
    "orders",
    "targets",
    "activities",
    "satisfaction",
    "engagement",
    "competitor_prices",
    "marketing_spend",
]


@dataclasses.dataclass
class SalesData:
    """The loaded tables of one company, validated against the contract.

    Attributes
    ----------
    tables : dict[str, pandas.DataFrame]
        Present tables by name; each is also an attribute (``data.orders``),
        which is ``None`` when the table is absent.
    as_of : pandas.Timestamp
        The date the data describes ("now" for KPIs that need one).
    rejected : dict[str, pandas.DataFrame]
        Per table, the rows not loaded: their raw values plus ``source_file``,
        ``source_row`` and ``reason``.
    problems : pandas.DataFrame
        Every problem found (columns table, file, row, column, value, rule).
    notes : list[str]
        What the loader did that a user should know (encoding fallbacks,
        dropped empty columns, header-only files, tables missing entirely).
    sources : dict[str, str]
        Where each table came from.
    rows_read : dict[str, int]
        Data rows read per table (rows loaded + rows rejected).
    pipeline : SalesPipeline
        The company's pipeline: its ordered stages (with rotting thresholds and
        default win probabilities when declared) from the mapping's ``[pipeline]``
        section, else the contract's default stages.
    revenue_setting : {"auto", "orders", "won_deals"}
        The mapping's top-level ``revenue`` key: what revenue KPIs run on
        (see :attr:`revenue_basis`). ``"auto"`` when the mapping does not say.
    """

    tables: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    rejected: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    problems: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS)
    )
    notes: list[str] = dataclasses.field(default_factory=list)
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    rows_read: dict[str, int] = dataclasses.field(default_factory=dict)
    source: str = ""
    pipeline: SalesPipeline = DEFAULT_PIPELINE
    revenue_setting: str = "auto"
    _revenue_cache: tuple | None = dataclasses.field(
        default=None, init=False, repr=False, compare=False
    )

    def __getattr__(self, name: str):
        if name in TABLES:
            return self.__dict__["tables"].get(name)
        raise AttributeError(name)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={len(v):,}" for k, v in self.tables.items())
        n_rej = sum(len(v) for v in self.rejected.values())
        return f"SalesData(as_of={self.as_of.date()}, {parts}, rejected={n_rej:,})"

    @property
    def revenue_basis(self) -> str:
        """What the revenue KPIs run on: ``"orders"`` or ``"won_deals"``.

        The mapping's ``revenue`` key when it names one; otherwise ``"orders"``
        when the data has an ``orders`` table with rows, else ``"won_deals"``
        (see :func:`salesnb.load.basis.choose_basis`). :meth:`filter` keeps the
        basis of the data it filters, so a region without orders does not
        switch basis.
        """
        return choose_basis(self.tables, self.revenue_setting)

    @property
    def revenue_lines(self) -> pd.DataFrame | None:
        """The table every revenue KPI runs on, with the ``orders`` contract columns.

        With :attr:`revenue_basis` ``"orders"``: the ``orders`` table, its
        ``region`` filled where missing from the rep's region, else the
        customer's. With ``"won_deals"``: one line per won opportunity with
        ``order_id = opportunity_id``, ``order_date = closed_at`` (the day),
        ``amount``, ``customer_id``, ``rep_id``, ``product``, ``status =
        "fulfilled"`` and ``region`` = the deal's own region, else its rep's,
        else its customer's (see :mod:`salesnb.load.basis`). ``None`` when the
        basis table is absent. Built once per set of input tables.
        """
        basis = self.revenue_basis
        inputs = tuple(self.tables.get(t) for t in ("orders", "opportunities", "reps", "customers"))
        cache = self._revenue_cache
        if (
            cache is not None
            and cache[0] == basis
            and all(a is b for a, b in zip(cache[1], inputs, strict=True))
        ):
            return cache[2]
        lines = revenue_lines(self.tables, basis)
        self._revenue_cache = (basis, inputs, lines)
        return lines

    def summary(self) -> pd.DataFrame:
        """Rows read, loaded and rejected per table, with each table's date range.

        Returns
        -------
        pandas.DataFrame
            Columns ``table, source, rows_read, rows_loaded, rows_rejected,
            first_date, last_date``; one row per table that was found.
        """
        rows = []
        for name in _ORDER:
            if name not in self.rows_read and name not in self.tables:
                continue
            frame = self.tables.get(name)
            spec = TABLES[name]
            first = last = pd.NaT
            if frame is not None:
                for col in spec.date_columns:
                    if col in frame.columns and frame[col].notna().any():
                        first, last = frame[col].min(), frame[col].max()
                        break
            rows.append(
                {
                    "table": name,
                    "source": self.sources.get(name, ""),
                    "rows_read": self.rows_read.get(name, 0),
                    "rows_loaded": 0 if frame is None else len(frame),
                    "rows_rejected": len(self.rejected.get(name, ())),
                    "first_date": first,
                    "last_date": last,
                }
            )
        return pd.DataFrame(
            rows,
            columns=[
                "table",
                "source",
                "rows_read",
                "rows_loaded",
                "rows_rejected",
                "first_date",
                "last_date",
            ],
        )

    def filter(
        self,
        *,
        region: str | Iterable[str] | None = None,
        start: Any = None,
        end: Any = None,
    ) -> SalesData:
        """A new SalesData restricted to a region and/or a date range.

        Parameters
        ----------
        region : str or list of str, optional
            Keep rows of these regions. Tables with a ``region`` column are
            filtered on it; tables without one follow their rep (``rep_id`` of a
            rep in the region) or customer (``customer_id`` of a customer in the
            region). Targets keep region rows for the region and rep rows of its
            reps; their company-level rows become the sum of the kept region
            targets per period (the view's company is the region). Tables with no way to tell (products, competitor prices,
            marketing spend) are kept whole.
        start, end : date-like, optional
            Keep event rows whose main date (the first of the table's
            ``date_columns``) lies in ``[start, end]`` (both inclusive, whole
            days). Tables without dates are kept whole.

        Raises
        ------
        ValueError
            When ``region`` names no region present in the data.
        """
        tables = dict(self.tables)
        if region is not None:
            regions = {region} if isinstance(region, str) else set(region)
            known: set[str] = set()
            for frame in tables.values():
                if "region" in frame.columns:
                    known |= set(frame["region"].dropna().astype(str))
            unknown = regions - known
            if unknown:
                raise SelectionError(
                    f"unknown region(s) {sorted(unknown)}; the data has: {sorted(known)}"
                )
            reps = tables.get("reps")
            customers = tables.get("customers")
            rep_ids = (
                set(reps.loc[reps["region"].isin(regions), "rep_id"])
                if reps is not None and "region" in reps.columns
                else None
            )
            cust_ids = (
                set(customers.loc[customers["region"].isin(regions), "customer_id"])
                if customers is not None and "region" in customers.columns
                else None
            )
            for name, frame in list(tables.items()):
                if name == "targets":
                    keep = ((frame["level"] == "region") & frame["key"].isin(regions)) | (
                        (frame["level"] == "rep") & frame["key"].isin(rep_ids or set())
                    )
                    # the view's company is its region(s): their region targets add up
                    # to its company-level target
                    own = frame.loc[keep & (frame["level"] == "region")]
                    total = own.groupby("period", as_index=False, sort=False)["revenue_target"].sum(
                        min_count=1
                    )
                    total = total.assign(level="company", key="all")
                    tables[name] = pd.concat(
                        [total.reindex(columns=frame.columns), frame.loc[keep]], ignore_index=True
                    )
                    continue
                elif "region" in frame.columns:
                    keep = frame["region"].isin(regions)
                elif "rep_id" in frame.columns and rep_ids is not None:
                    keep = frame["rep_id"].isin(rep_ids)
                elif "customer_id" in frame.columns and cust_ids is not None:
                    keep = frame["customer_id"].isin(cust_ids)
                else:
                    continue
                tables[name] = frame.loc[keep].reset_index(drop=True)
        if start is not None or end is not None:
            lo = pd.Timestamp(start) if start is not None else None
            hi = pd.Timestamp(end) + pd.Timedelta(days=1) if end is not None else None
            for name, frame in list(tables.items()):
                cols = [c for c in TABLES[name].date_columns if c in frame.columns]
                if not cols:
                    continue
                d = frame[cols[0]]
                keep = pd.Series(True, index=frame.index)
                if lo is not None:
                    keep &= d >= lo
                if hi is not None:
                    keep &= d < hi
                tables[name] = frame.loc[keep].reset_index(drop=True)
        return dataclasses.replace(self, tables=tables, revenue_setting=self.revenue_basis)
