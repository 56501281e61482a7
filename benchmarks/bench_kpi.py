"""Benchmark: a KPI pack with salesnb on pandas and on polars, next to DuckDB SQL.

The pack (all per calendar quarter, cancelled orders excluded):

1. ``revenue_region``   revenue by quarter x region, with previous-quarter and
   last-year comparisons (:func:`salesnb.kpi.revenue`);
2. ``revenue_channel``  the same by channel;
3. ``leaderboard``      revenue per rep per quarter, ranked, with the rank of the
   previous quarter (:func:`salesnb.kpi.leaderboard`);
4. ``new_recurring``    new vs recurring revenue (:func:`salesnb.kpi.new_vs_recurring_revenue`);
5. ``payments``         paid / not due / overdue counts, amounts and the unpaid share
   at ``as_of`` (:func:`salesnb.kpi.payment_status`);
6. ``per_customer``     average revenue per active customer
   (:func:`salesnb.kpi.revenue_per_customer`).

Data: ``salesnb.synth.large_orders(rows, seed=...)`` written once to a Parquet
file in a temporary folder. By default (``--layout text --pandas-strings
arrow``) every text column is a plain string column and pandas reads it as the
Arrow-backed ``str`` dtype (``pandas.options.future.infer_string``; the pandas 3
default), which is what ``salesnb.load`` returns. ``--layout categorical``
keeps the generator's pandas categoricals (Parquet dictionary columns; polars
then reads ``Categorical``), ``--pandas-strings default`` lets pandas 2 read
text as ``object``. Engines, over that same file:

- ``pandas``: ``pandas.read_parquet`` (timed as step ``read``), then the salesnb KPIs;
- ``polars``: ``polars.scan_parquet`` (lazy) -> salesnb KPIs -> ``collect()``;
- ``duckdb``: the same pack written directly in SQL over ``read_parquet(...)``.

Every step runs in a fresh subprocess (pandas re-reads the file first, outside
the step's timing), after a warm-up run of the same step on a 2,000-row file
of the same schema (imports and first-call set-up of every engine stay out of
the timing), so its peak memory is its own; its time is the best of
``--repeat`` runs (default 3; the machine may be shared). ``peak MB``,
measured on the first run, is the growth of the process' resident-set
high-water mark during the step (``VmHWM``, reset
before the step through ``/proc/self/clear_refs``; ``ru_maxrss`` where that is
unavailable). The results of the three engines are compared value by value.

Goal: polars within 1.2x of DuckDB, pandas within 2.5x (totals of the pack,
pandas including its read).

Engines at scale (``--parts DIR``): the pack over a folder of Parquet parts
(``DIR/*.parquet``, written with ``salesnb.synth.write_large_orders`` when the
folder is absent or empty; never in git), one run per step (``--repeat 1``
by default in this mode), each in a fresh process:

- ``sql``: the hand-written DuckDB SQL above over ``read_parquet('DIR/*.parquet')``;
- ``sn-duckdb``: salesnb on the DuckDB relation ``duckdb.read_parquet('DIR/*.parquet')``
  (the result relation is fetched as Arrow);
- ``sn-polars``: salesnb on ``polars.scan_parquet('DIR/*.parquet')`` -> ``collect()``;
- ``spark`` (with ``--spark``): salesnb on ``spark.read.parquet(DIR-spark)`` in a
  local session (``local[2]``, UTC), collected with ``toPandas()``; ``DIR-spark``
  is a copy of the parts with microsecond timestamps (Spark cannot read
  nanoseconds), written on first use. No goal: it is the correctness path for
  clusters.

Goals at 100M rows: sn-duckdb <= 1.2x sql with peak RSS <= 2 GB; sn-polars <=
1.2x sql. Results are compared with the SQL value by value.

``--duckdb-memory-limit 1GB`` sets DuckDB's ``memory_limit`` on the default
connection of every DuckDB worker (``sql`` and ``sn-duckdb`` alike): DuckDB's
default is 80 % of RAM, and its large hash aggregations (per-customer first
orders, distinct customers) fill that before they spill to disk.

Usage::

    python benchmarks/bench_kpi.py [--rows 10000000] [--seed 0] [--layout text|categorical]
                                   [--pandas-strings arrow|default] [--repeat 3] [--keep DIR]
    python benchmarks/bench_kpi.py --parts /work/bench-data/orders-100m --rows 100000000
    python benchmarks/bench_kpi.py --parts /work/bench-data/orders-10m --rows 10000000 --spark
    python benchmarks/bench_kpi.py --parts /work/bench-data/orders-100m --rows 100000000 \
        --engines sn-duckdb --duckdb-memory-limit 1GB
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = (
    "revenue_region",
    "revenue_channel",
    "leaderboard",
    "new_recurring",
    "payments",
    "per_customer",
)
ENGINES = ("pandas", "polars", "duckdb")
PART_ENGINES = ("sql", "sn-duckdb", "sn-polars")
AS_OF = "2024-12-31"

# -- DuckDB SQL: the same pack, written directly ---------------------------------------------
_ORDERS = "(SELECT * FROM read_parquet('{path}') WHERE status IS NULL OR status <> 'cancelled')"
_QLABEL = "strftime({c}, '%Y') || 'Q' || quarter({c})"

_SQL_REVENUE = """
WITH agg AS (
    SELECT date_trunc('quarter', order_date) AS period_start, {by}, sum(amount) AS revenue
    FROM {orders} GROUP BY ALL
)
SELECT {label} AS period, a.period_start, a.{by}, a.revenue,
       p.revenue AS revenue_prev, a.revenue - p.revenue AS revenue_change,
       (a.revenue - p.revenue) / nullif(abs(p.revenue), 0) AS revenue_change_pct,
       l.revenue AS revenue_ly, a.revenue - l.revenue AS revenue_yoy,
       (a.revenue - l.revenue) / nullif(abs(l.revenue), 0) AS revenue_yoy_pct
FROM agg a
LEFT JOIN agg p ON p.{by} IS NOT DISTINCT FROM a.{by}
     AND p.period_start = a.period_start - INTERVAL 3 MONTH
LEFT JOIN agg l ON l.{by} IS NOT DISTINCT FROM a.{by}
     AND l.period_start = a.period_start - INTERVAL 12 MONTH
ORDER BY a.period_start, a.{by}
"""

_SQL_LEADERBOARD = """
WITH agg AS (
    SELECT date_trunc('quarter', order_date) AS period_start, rep_id, sum(amount) AS revenue
    FROM {orders} WHERE rep_id IS NOT NULL GROUP BY ALL
), ranked AS (
    SELECT *, rank() OVER (PARTITION BY period_start ORDER BY revenue DESC) AS revenue_rank
    FROM agg
)
SELECT {label} AS period, a.period_start, a.rep_id, a.revenue, a.revenue_rank,
       p.revenue_rank::DOUBLE AS rank_prev,
       (p.revenue_rank - a.revenue_rank)::DOUBLE AS rank_movement
FROM ranked a
LEFT JOIN ranked p ON p.rep_id = a.rep_id AND p.period_start = a.period_start - INTERVAL 3 MONTH
ORDER BY a.period_start, a.revenue_rank, a.rep_id
"""

_SQL_NEW_RECURRING = """
WITH pc AS (
    SELECT customer_id, date_trunc('quarter', order_date) AS period_start,
           sum(amount) AS amount
    FROM {orders} GROUP BY ALL
), flagged AS (
    SELECT *, period_start = min(period_start) OVER (PARTITION BY customer_id) AS is_new
    FROM pc
)
SELECT {label} AS period, period_start,
       sum(CASE WHEN is_new THEN amount ELSE 0 END) AS new_revenue,
       sum(CASE WHEN is_new THEN 0 ELSE amount END) AS recurring_revenue,
       sum(amount) AS revenue,
       count(*) FILTER (WHERE is_new) AS new_customers,
       count(*) FILTER (WHERE NOT is_new) AS recurring_customers,
       sum(CASE WHEN is_new THEN amount ELSE 0 END) / nullif(sum(amount), 0) AS new_share
FROM flagged GROUP BY period_start ORDER BY period_start
"""

_SQL_PAYMENTS = """
WITH o AS (
    SELECT date_trunc('quarter', order_date) AS period_start, amount,
           coalesce(paid_at < TIMESTAMP '{cutoff}', false) AS paid,
           coalesce(due_date < TIMESTAMP '{day}', false) AS due
    FROM {orders} WHERE order_date < TIMESTAMP '{cutoff}'
), agg AS (
    SELECT period_start, count(*) AS orders, sum(amount) AS amount,
           count(*) FILTER (WHERE paid) AS paid,
           count(*) FILTER (WHERE NOT paid AND NOT due) AS not_due,
           count(*) FILTER (WHERE NOT paid AND due) AS overdue,
           coalesce(sum(amount) FILTER (WHERE paid), 0) AS paid_amount,
           coalesce(sum(amount) FILTER (WHERE NOT paid AND NOT due), 0) AS not_due_amount,
           coalesce(sum(amount) FILTER (WHERE NOT paid AND due), 0) AS overdue_amount
    FROM o GROUP BY period_start
)
SELECT {label} AS period, *, not_due_amount + overdue_amount AS unpaid_amount,
       paid_amount / nullif(amount, 0) AS paid_share,
       not_due_amount / nullif(amount, 0) AS not_due_share,
       overdue_amount / nullif(amount, 0) AS overdue_share,
       (not_due_amount + overdue_amount) / nullif(amount, 0) AS unpaid_share,
       overdue / nullif(orders, 0) AS overdue_count_share
FROM agg ORDER BY period_start
"""

_SQL_PER_CUSTOMER = """
SELECT {label} AS period, date_trunc('quarter', order_date) AS period_start,
       sum(amount) AS revenue, count(DISTINCT customer_id) AS active_customers,
       sum(amount) / count(DISTINCT customer_id) AS revenue_per_customer
FROM {orders} WHERE customer_id IS NOT NULL GROUP BY ALL ORDER BY period_start
"""


def duckdb_sql(step: str, path: str) -> str:
    """The DuckDB SQL of ``step`` over the Parquet file ``path``."""
    import pandas as pd

    orders = _ORDERS.format(path=path)
    day = pd.Timestamp(AS_OF)
    fmt = {
        "orders": orders,
        "day": day.strftime("%Y-%m-%d"),
        "cutoff": (day + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
    }
    if step in ("revenue_region", "revenue_channel"):
        by = "region" if step == "revenue_region" else "channel"
        return _SQL_REVENUE.format(by=by, label=_QLABEL.format(c="a.period_start"), **fmt)
    template = {
        "leaderboard": _SQL_LEADERBOARD,
        "new_recurring": _SQL_NEW_RECURRING,
        "payments": _SQL_PAYMENTS,
        "per_customer": _SQL_PER_CUSTOMER,
    }[step]
    column = {"leaderboard": "a.period_start", "per_customer": "date_trunc('quarter', order_date)"}
    return template.format(label=_QLABEL.format(c=column.get(step, "period_start")), **fmt)


# -- salesnb ------------------------------------------------------------------------------
def salesnb_step(step: str, orders):
    """Run ``step`` with salesnb on ``orders`` (pandas DataFrame or polars LazyFrame)."""
    from salesnb import kpi

    if step == "revenue_region":
        return kpi.revenue(orders, by="region")
    if step == "revenue_channel":
        return kpi.revenue(orders, by="channel")
    if step == "leaderboard":
        return kpi.leaderboard(orders, freq="quarter")
    if step == "new_recurring":
        return kpi.new_vs_recurring_revenue(orders)
    if step == "payments":
        return kpi.payment_status(orders, as_of=AS_OF, freq="quarter")
    if step == "per_customer":
        return kpi.revenue_per_customer(orders)
    raise ValueError(step)


# -- worker (one step in a fresh process) ---------------------------------------------------
def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: how ``--duckdb-memory-limit`` reaches the worker processes
MEMORY_VARIABLE = "SALESNB_BENCH_DUCKDB_MEMORY_LIMIT"


def run_step(engine: str, step: str, path: str, data=None):
    """One step on one engine; ``data`` is the pandas frame already read (pandas only)."""
    import duckdb
    import pandas as pd
    import polars as pl

    if step == "read":
        return pd.read_parquet(path)
    if engine == "pandas":
        return salesnb_step(step, pd.read_parquet(path) if data is None else data)
    if engine == "polars":
        return salesnb_step(step, pl.scan_parquet(path)).collect()
    if engine == "sn-polars":
        return salesnb_step(step, pl.scan_parquet(path)).collect().to_arrow()
    if engine == "sn-duckdb":
        return salesnb_step(step, duckdb.read_parquet(path)).to_arrow_table()
    if engine == "spark":
        folder = _spark_copy(Path(path).parent)
        return salesnb_step(step, _spark().read.parquet(str(folder))).toPandas()
    if engine == "sql":
        return duckdb.sql(duckdb_sql(step, path)).to_arrow_table()
    return duckdb.sql(duckdb_sql(step, path)).df()


def _spark_copy(folder: Path) -> Path:
    """``folder``'s parts with microsecond timestamps (Spark cannot read nanoseconds),
    written once to ``<folder>-spark/``, one part in memory at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = folder.parent / (folder.name + "-spark")
    if list(target.glob("*.parquet")):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for part in sorted(folder.glob("*.parquet")):
        table = pq.read_table(part)
        fields = [
            pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f
            for f in table.schema
        ]
        pq.write_table(table.cast(pa.schema(fields)), target / part.name)
    return target


def _spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _warm_path(path: Path) -> Path:
    return path.with_suffix(".warm.parquet")


def _warm_of(path: str) -> str:
    """The warm-up file of ``path`` (a file, or a glob of parts: its ``warm/`` folder)."""
    if "*" in path:
        return str(Path(path).parent.parent / (Path(path).parent.name + "-warm") / "*.parquet")
    return str(_warm_path(Path(path)))


def worker(
    engine: str, step: str, path: str, out: str, repeat: int = 1, pandas_strings: str = "default"
) -> dict:
    import pandas as pd
    import polars as pl

    if engine == "pandas" and pandas_strings == "arrow":
        pd.options.future.infer_string = True  # pandas 3 default: Arrow-backed str
    limit = os.environ.get(MEMORY_VARIABLE)
    if limit and engine in ("sql", "sn-duckdb", "duckdb"):
        import duckdb

        duckdb.execute("SET memory_limit = ?", [limit]).fetchall()  # the default connection

    # warm-up on a small file of the same schema: lazy imports, first-call set-up
    run_step(engine, step, _warm_of(path))
    data = pd.read_parquet(path) if engine == "pandas" and step != "read" else None
    start_rss = _rss_mb()
    _reset_peak()
    t0 = time.perf_counter()
    result = run_step(engine, step, path, data)
    elapsed = time.perf_counter() - t0
    peak = _peak_mb()
    for _ in range(repeat - 1):  # best of ``repeat``: the machine may be shared
        t0 = time.perf_counter()
        run_step(engine, step, path, data)
        elapsed = min(elapsed, time.perf_counter() - t0)
    if step != "read":
        if isinstance(result, pl.DataFrame):
            result = result.to_pandas()
        if not isinstance(result, pd.DataFrame):  # Arrow
            result = result.to_pandas()
        result.to_parquet(out)
    return {"seconds": elapsed, "peak_mb": max(0.0, peak - start_rss), "rows": len(result)}


def run_worker(
    engine: str, step: str, path: Path, out: Path, repeat: int, pandas_strings: str = "default"
) -> dict:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            engine,
            step,
            str(path),
            str(out),
            str(repeat),
            pandas_strings,
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{engine}/{step} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_parquet(orders, path: Path, *, layout: str) -> None:
    """Write ``orders`` to ``path``; ``layout="text"`` stores text as plain strings."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if layout == "categorical":
        orders.to_parquet(path, index=False)
        return
    table = pa.Table.from_pandas(orders, preserve_index=False)
    columns = [
        c.cast(pa.string())
        if pa.types.is_dictionary(c.type) or pa.types.is_large_string(c.type)
        else c
        for c in table.columns
    ]
    pq.write_table(pa.table(columns, names=table.column_names), path)


# -- comparison of results ----------------------------------------------------------------------
def compare(step: str, folder: Path, engines=ENGINES, reference: str = "duckdb") -> str:
    import numpy as np
    import pandas as pd

    frames = {e: pd.read_parquet(folder / f"{e}-{step}.parquet") for e in engines}
    ref = frames[reference]
    problems = []
    for engine in [e for e in engines if e != reference]:
        got = frames[engine]
        if len(got) != len(ref):
            problems.append(f"{engine}: {len(got)} rows vs {len(ref)}")
            continue
        for column in ref.columns:
            if column not in got.columns:
                continue
            a, b = got[column].reset_index(drop=True), ref[column].reset_index(drop=True)
            if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
                ok = np.allclose(a.astype(float), b.astype(float), rtol=1e-9, equal_nan=True)
            elif pd.api.types.is_datetime64_any_dtype(b):
                ok = (
                    pd.to_datetime(a).astype("datetime64[ns]") == b.astype("datetime64[ns]")
                ).all()
            else:
                ok = (a.astype(str) == b.astype(str)).all()
            if not ok:
                problems.append(f"{engine}.{column}")
    return "same" if not problems else "DIFFER: " + ", ".join(problems)


def ensure_parts(folder: Path, rows: int, seed: int) -> None:
    """Write ``rows`` orders as 10 Parquet parts into ``folder`` unless parts are there,
    and a 2,000-row warm-up part next to it (``<folder>-warm/``)."""
    import pandas as pd

    from salesnb.synth import write_large_orders

    if not list(folder.glob("*.parquet")):
        t0 = time.perf_counter()
        write_large_orders(folder, rows, parts=10, seed=seed)
        print(f"generated {rows:,} orders in 10 parts in {time.perf_counter() - t0:.1f} s")
    warm = folder.parent / (folder.name + "-warm")
    if not list(warm.glob("*.parquet")):
        warm.mkdir(parents=True, exist_ok=True)
        first = sorted(folder.glob("*.parquet"))[0]
        sample = pd.read_parquet(first).head(2000)
        sample.to_parquet(warm / "part-00000.parquet", index=False)
        del sample
    if not list(folder.glob("*.parquet")):
        raise SystemExit(f"no Parquet parts in {folder}")


def main_parts(args) -> None:
    """The pack over a folder of Parquet parts: SQL, salesnb on DuckDB and polars (Spark)."""
    folder = args.parts
    ensure_parts(folder, args.rows, args.seed)
    glob = str(folder / "*.parquet")
    size = sum(p.stat().st_size for p in folder.glob("*.parquet")) / 2**20
    engines = [*PART_ENGINES, *(["spark"] if args.spark else [])]
    if args.engines:
        engines = ["sql", *[e for e in args.engines.split(",") if e != "sql"]]
    repeat = args.repeat or 1
    print(
        f"parts {glob} ({size:,.0f} MB); engines {', '.join(engines)}; as_of {AS_OF}; "
        f"each step in a fresh process, best of {repeat}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        results = {}
        for step in STEPS:
            for engine in engines:
                results[(engine, step)] = run_worker(
                    engine, step, Path(glob), out / f"{engine}-{step}.parquet", repeat
                )
        others = [e for e in engines if e != "sql"]
        header = (
            f"{'step':<16}{'sql s':>8}"
            + "".join(f"{e + ' s':>13}{'/sql':>6}" for e in others)
            + "   peak MB "
            + " / ".join(engines)
            + "   results"
        )
        print(header)
        print("-" * len(header))
        totals = dict.fromkeys(engines, 0.0)
        peaks = dict.fromkeys(engines, 0.0)
        for step in STEPS:
            r = {e: results[(e, step)] for e in engines}
            for e in engines:
                totals[e] += r[e]["seconds"]
                peaks[e] = max(peaks[e], r[e]["peak_mb"])
            sql = r["sql"]["seconds"]
            print(
                f"{step:<16}{sql:>8.2f}"
                + "".join(f"{r[e]['seconds']:>13.2f}{r[e]['seconds'] / sql:>6.2f}" for e in others)
                + "   "
                + " / ".join(f"{r[e]['peak_mb']:.0f}" for e in engines)
                + f"   {compare(step, out, engines, 'sql')}"
            )
        print("-" * len(header))
        sql = totals["sql"]
        print(
            f"{'total':<16}{sql:>8.2f}"
            + "".join(f"{totals[e]:>13.2f}{totals[e] / sql:>6.2f}" for e in others)
            + "   max peak MB "
            + " / ".join(f"{peaks[e]:.0f}" for e in engines)
        )
        if "sn-duckdb" in engines:
            print(
                f"goal: sn-duckdb/sql <= 1.2 -> {totals['sn-duckdb'] / sql:.2f}; "
                f"peak <= 2048 MB -> {peaks['sn-duckdb']:.0f}"
            )
        if "sn-polars" in engines:
            print(f"goal: sn-polars/sql <= 1.2 -> {totals['sn-polars'] / sql:.2f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="folder to keep the Parquet file in")
    parser.add_argument(
        "--layout",
        choices=("categorical", "text"),
        default="text",
        help="text (default): every text column as plain strings, as salesnb.load returns "
        "them; categorical: as large_orders makes them (pandas categoricals)",
    )
    parser.add_argument(
        "--pandas-strings",
        choices=("default", "arrow"),
        default="arrow",
        help="arrow (default): pandas.options.future.infer_string = True, the Arrow-backed "
        "str dtype of pandas 3 and of salesnb.load; default: as the installed pandas reads "
        "text (pandas 2: object)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="time each step this many times and keep the best (default 3)",
    )
    parser.add_argument(
        "--parts",
        type=Path,
        help="folder of Parquet parts (written there with write_large_orders if empty): run "
        "the pack as SQL, salesnb on DuckDB and salesnb on polars lazy (see --spark)",
    )
    parser.add_argument("--spark", action="store_true", help="with --parts: also PySpark local")
    parser.add_argument(
        "--duckdb-memory-limit",
        help="DuckDB memory_limit for the sql and sn-duckdb workers, e.g. 1GB (default: "
        "DuckDB's own, 80%% of RAM)",
    )
    parser.add_argument(
        "--engines", help="with --parts: comma-separated subset of sn-duckdb,sn-polars,spark"
    )
    args = parser.parse_args(argv)
    if args.duckdb_memory_limit:
        os.environ[MEMORY_VARIABLE] = args.duckdb_memory_limit  # inherited by the workers
        print(f"DuckDB memory_limit {args.duckdb_memory_limit} (sql and sn-duckdb workers)")
    if args.parts is not None:
        if args.repeat == 3 and "--repeat" not in (argv or sys.argv):
            args.repeat = 1
        main_parts(args)
        return

    import pandas as pd

    from salesnb.synth import large_orders

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"orders-{args.rows}-{args.seed}-{args.layout}.parquet"
        if not path.exists():
            t0 = time.perf_counter()
            orders = large_orders(args.rows, seed=args.seed)
            write_parquet(orders, path, layout=args.layout)
            write_parquet(orders.head(2000), _warm_path(path), layout=args.layout)
            del orders
            print(f"generated {args.rows:,} orders in {time.perf_counter() - t0:.1f} s")
        print(
            f"rows {args.rows:,}; layout {args.layout}; pandas {pd.__version__} strings "
            f"{args.pandas_strings}; "
            f"parquet {path.stat().st_size / 2**20:.1f} MB; "
            f"as_of {AS_OF}; each step in a fresh process, best of {args.repeat}"
        )
        results: dict[tuple[str, str], dict] = {}
        results[("pandas", "read")] = run_worker(
            "pandas", "read", path, folder / "x", args.repeat, args.pandas_strings
        )
        for step in STEPS:
            for engine in ENGINES:
                results[(engine, step)] = run_worker(
                    engine,
                    step,
                    path,
                    folder / f"{engine}-{step}.parquet",
                    args.repeat,
                    args.pandas_strings,
                )
        header = (
            f"{'step':<16}{'pandas s':>10}{'polars s':>10}{'duckdb s':>10}"
            f"{'pd/duck':>9}{'pl/duck':>9}   {'peak MB pd / pl / duck':<24} results"
        )
        print(header)
        print("-" * len(header))
        read = results[("pandas", "read")]
        print(
            f"{'read (pandas)':<16}{read['seconds']:>10.2f}{'-':>10}{'-':>10}{'':>9}{'':>9}"
            f"   {read['peak_mb']:>6.0f} /      - /      -"
        )
        totals = {"pandas": read["seconds"], "polars": 0.0, "duckdb": 0.0}
        for step in STEPS:
            r = {e: results[(e, step)] for e in ENGINES}
            for e in ENGINES:
                totals[e] += r[e]["seconds"]
            duck = r["duckdb"]["seconds"]
            print(
                f"{step:<16}{r['pandas']['seconds']:>10.2f}{r['polars']['seconds']:>10.2f}"
                f"{duck:>10.2f}{r['pandas']['seconds'] / duck:>9.2f}"
                f"{r['polars']['seconds'] / duck:>9.2f}   "
                f"{r['pandas']['peak_mb']:>6.0f} / {r['polars']['peak_mb']:>6.0f} / "
                f"{r['duckdb']['peak_mb']:>6.0f}   {compare(step, folder)}"
            )
        print("-" * len(header))
        duck = totals["duckdb"]
        print(
            f"{'total':<16}{totals['pandas']:>10.2f}{totals['polars']:>10.2f}{duck:>10.2f}"
            f"{totals['pandas'] / duck:>9.2f}{totals['polars'] / duck:>9.2f}"
        )
        print(
            f"goal: polars/duckdb <= 1.2 -> {totals['polars'] / duck:.2f}; "
            f"pandas/duckdb <= 2.5 -> {totals['pandas'] / duck:.2f} (pandas incl. read)"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        engine, step, path, out, repeat, strings = sys.argv[2:8]
        print(json.dumps(worker(engine, step, path, out, int(repeat), strings)))
    else:
        main()
