"""The loaded tables of one company: :class:`SalesData`, its summary and filters.

The tables are pandas frames after :func:`salesnb.load`, or an engine's lazy
frames (DuckDB relations, polars ``LazyFrame``, PySpark DataFrames) when the
data was scanned or a report snapshot opened on an engine. On lazy tables
:attr:`SalesData.revenue_lines` and :meth:`SalesData.filter` build lazy frames
on the same engine (with narwhals), and :meth:`SalesData.summary` and the
``repr`` ask the engine for counts and date ranges: nothing is materialised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import pandas as pd

from salesnb.errors import PROBLEM_COLUMNS, SelectionError
from salesnb.load.basis import choose_basis, is_lazy, revenue_lines, row_count
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
    "opportunity_history",
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
    rows_rejected : dict[str, int]
        Rows rejected per table when :attr:`rejected` keeps only a sample of
        them (:func:`salesnb.scan`); empty after :func:`salesnb.load`, where
        every rejected row is in :attr:`rejected`. Read it with
        :meth:`rejected_count`.
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
    rows_rejected: dict[str, int] = dataclasses.field(default_factory=dict)
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
        parts = ", ".join(f"{k}={row_count(v):,}" for k, v in self.tables.items())
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

    def rejected_count(self, table: str) -> int:
        """Rows of ``table`` that were not loaded (all of them, not only the kept sample).

        >>> SalesData(tables={}, as_of=pd.Timestamp("2025-01-01"), rows_rejected={"orders": 7}
        ...           ).rejected_count("orders")
        7
        """
        if table in self.rows_rejected:
            return int(self.rows_rejected[table])
        frame = self.rejected.get(table)
        return 0 if frame is None else len(frame)

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
            if is_lazy(frame):
                first, last = _lazy_date_range(frame, spec.date_columns)
            elif frame is not None:
                for col in spec.date_columns:
                    if col in frame.columns and frame[col].notna().any():
                        first, last = frame[col].min(), frame[col].max()
                        break
            rows.append(
                {
                    "table": name,
                    "source": self.sources.get(name, ""),
                    "rows_read": self.rows_read.get(name, 0),
                    "rows_loaded": row_count(frame),
                    "rows_rejected": self.rejected_count(name),
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
            targets per period (the view's company is the region). The history of
            deals (``opportunity_history``) keeps the changes of the kept deals.
            Tables with no way to tell (products, competitor prices, marketing
            spend) are kept whole.
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
        if any(is_lazy(frame) for frame in tables.values()):
            tables = _lazy_filter(tables, region=region, start=start, end=end)
            return dataclasses.replace(self, tables=tables, revenue_setting=self.revenue_basis)
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
            history, opps = tables.get("opportunity_history"), tables.get("opportunities")
            if history is not None and opps is not None:
                # a deal's history follows the deal into (or out of) the region
                keep = history["opportunity_id"].isin(opps["opportunity_id"])
                tables["opportunity_history"] = history.loc[keep].reset_index(drop=True)
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


# -- lazy tables ----------------------------------------------------------------------------
def _lazy_date_range(frame, date_columns) -> tuple:
    """``(min, max)`` of the first of ``date_columns`` with a value, asked of the engine."""
    import narwhals as nw

    table = nw.from_native(frame)
    names = table.collect_schema().names()
    cols = [c for c in date_columns if c in names]
    if not cols:
        return pd.NaT, pd.NaT
    exprs = []
    for col in cols:
        exprs += [nw.col(col).min().alias(f"{col}__min"), nw.col(col).max().alias(f"{col}__max")]
    found = table.select(*exprs)
    row = (found.collect() if isinstance(found, nw.LazyFrame) else found).rows(named=True)[0]
    for col in cols:
        if row[f"{col}__min"] is not None:
            return pd.Timestamp(row[f"{col}__min"]), pd.Timestamp(row[f"{col}__max"])
    return pd.NaT, pd.NaT


def _distinct(table, column: str) -> set:
    """The distinct non-missing values of a (small) column, asked of the engine."""
    import narwhals as nw

    found = table.select(column).filter(~nw.col(column).is_null()).unique()
    if isinstance(found, nw.LazyFrame):
        found = found.collect()
    return {str(v) for v in found[column].to_list()}


def _lazy_filter(tables: dict, *, region, start, end) -> dict:
    """:meth:`SalesData.filter` on lazy tables: the same rules as narwhals filters and joins.

    Rep ids of the region are read (reps are few); customers of the region
    are kept by a semi-join, so a big customer table is never collected.
    """
    import narwhals as nw

    frames = {name: nw.from_native(frame) for name, frame in tables.items()}
    schemas = {name: frame.collect_schema().names() for name, frame in frames.items()}
    out = dict(tables)
    if region is not None:
        regions = {region} if isinstance(region, str) else set(region)
        known: set[str] = set()
        for name, frame in frames.items():
            if "region" in schemas[name]:
                known |= _distinct(frame, "region")
        unknown = regions - known
        if unknown:
            raise SelectionError(
                f"unknown region(s) {sorted(unknown)}; the data has: {sorted(known)}"
            )
        in_region = nw.col("region").is_in(sorted(regions))
        reps, customers = frames.get("reps"), frames.get("customers")
        rep_ids = (
            _distinct(reps.filter(in_region), "rep_id")
            if reps is not None and "region" in schemas["reps"]
            else None
        )
        cust_keys = (
            customers.filter(in_region).select("customer_id")
            if customers is not None and "region" in schemas["customers"]
            else None
        )
        for name, frame in frames.items():
            cols = schemas[name]
            if name == "targets":
                out[name] = _region_targets(frame, cols, regions, rep_ids or set()).to_native()
                continue
            if "region" in cols:
                kept = frame.filter(in_region)
            elif "rep_id" in cols and rep_ids is not None:
                kept = frame.filter(nw.col("rep_id").is_in(sorted(rep_ids)))
            elif "customer_id" in cols and cust_keys is not None:
                kept = frame.join(cust_keys, on="customer_id", how="semi")
            else:
                continue
            out[name] = kept.to_native()
        if "opportunity_history" in out and "opportunities" in out:
            # a deal's history follows the deal into (or out of) the region
            deals = nw.from_native(out["opportunities"]).select("opportunity_id")
            history = frames["opportunity_history"]
            out["opportunity_history"] = history.join(
                deals, on="opportunity_id", how="semi"
            ).to_native()
    if start is not None or end is not None:
        lo = pd.Timestamp(start).to_pydatetime() if start is not None else None
        hi = (pd.Timestamp(end) + pd.Timedelta(days=1)).to_pydatetime() if end is not None else None
        for name, native in list(out.items()):
            frame = nw.from_native(native)
            cols = [c for c in TABLES[name].date_columns if c in frame.collect_schema().names()]
            if not cols:
                continue
            keep = nw.lit(True)
            if lo is not None:
                keep = keep & (nw.col(cols[0]) >= lo)
            if hi is not None:
                keep = keep & (nw.col(cols[0]) < hi)
            out[name] = frame.filter(keep).to_native()
    return out


def _region_targets(frame, cols: list[str], regions: set, rep_ids: set):
    """Targets of a region view: its region and rep rows, and their sum as company rows."""
    import narwhals as nw

    keep = ((nw.col("level") == "region") & nw.col("key").is_in(sorted(regions))) | (
        (nw.col("level") == "rep") & nw.col("key").is_in(sorted(rep_ids))
    )
    kept = frame.filter(keep)
    schema = kept.collect_schema()
    total = (
        kept.filter(nw.col("level") == "region")
        .group_by("period")
        .agg(
            nw.col("revenue_target").sum().alias("_sum"),
            nw.col("revenue_target").count().alias("_n"),
        )
        .with_columns(
            nw.when(nw.col("_n") > 0).then(nw.col("_sum")).alias("revenue_target"),
            nw.lit("company").alias("level"),
            nw.lit("all").alias("key"),
        )
    )
    fill = {
        c: (nw.col(c) if c in ("period", "revenue_target", "level", "key") else nw.lit(None))
        .cast(schema[c])
        .alias(c)
        for c in cols
    }
    return nw.concat([total.select(*fill.values()), kept.select(cols)], how="vertical")
