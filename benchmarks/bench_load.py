"""Benchmark: salesnb.load (with validation) on a large orders table.

Generates an orders table (default 10M rows) with ``salesnb.synth.large_orders``,
writes it as Parquet and CSV, and times ``salesnb.load`` on each next to the
floor measured in the same run: ``pyarrow.parquet.read_table`` and
``pyarrow.csv.read_csv`` on the same file. Each step runs in a fresh
subprocess so that its peak memory (``ru_maxrss``) is its own.

Goal (issue 2): Parquet load+validate within 2x of the Arrow read, peak memory
within 2x of the Arrow table size.

Each step runs ``--repeat`` times (default 3) in fresh processes; the fastest
run is shown, so first-touch memory costs do not decide the ratio.

Scan mode (``--scan``): ``salesnb.scan`` with the contract checks on a folder of
Parquet parts (default ``/work/bench-data/orders-100m``, 100M orders written by
``salesnb.synth.write_large_orders`` when missing), on DuckDB and on polars, next
to ``duckdb.read_parquet(...).aggregate('count(*)')`` on the same files in the
same run. Each step counts the loaded rows once (the lazy table is run).
``scan-duckdb-1gb`` passes a connection with ``memory_limit = 1GB`` (DuckDB spills
the key search to disk). Goal: peak RSS <= 2 GB for scan + checks on DuckDB.

Usage::

    python benchmarks/bench_load.py [--rows 10000000] [--keep DIR] [--repeat 3]
    python benchmarks/bench_load.py --scan [--parts-dir DIR] [--scan-rows 100000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import pyarrow.csv, pyarrow.parquet  # import costs outside the timing, for every step
if kind.startswith(("salesnb", "scan")):
    import salesnb
t = time.perf_counter()
extra = {}
if kind == "arrow-parquet":
    import pyarrow.parquet as pq
    table = pq.read_table(path + "/orders.parquet")
    extra["arrow_mb"] = table.nbytes / 2**20
elif kind == "arrow-csv":
    import pyarrow.csv as pc
    table = pc.read_csv(path + "/orders.csv")
    extra["arrow_mb"] = table.nbytes / 2**20
elif kind == "salesnb-parquet":
    data = salesnb.load(path + "/pq", tables=["orders"], as_of="2024-12-31")
    extra["rows"] = len(data.orders)
    extra["rejected"] = len(data.rejected.get("orders", ()))
elif kind == "duckdb-count":
    import duckdb
    rel = duckdb.read_parquet(path + "/**/*.parquet")
    extra["rows"] = rel.aggregate("count(*)").fetchall()[0][0]
elif kind.startswith("scan-"):
    engine = kind.split("-")[1]
    con = None
    if kind.endswith("-1gb"):  # a connection with a memory limit: DuckDB spills to disk
        import duckdb
        con = duckdb.connect(config={"memory_limit": "1GB"})
    data = salesnb.scan(
        {"orders": path}, engine=engine, connection=con, as_of="2024-12-31", sample_rows=100
    )
    extra["checks_s"] = time.perf_counter() - t
    if engine == "duckdb":
        extra["rows"] = data.orders.aggregate("count(*)").fetchall()[0][0]
    else:
        import polars as pl
        extra["rows"] = data.orders.select(pl.len()).collect().item()
    extra["rejected"] = data.rows_read["orders"] - extra["rows"]
elif kind == "salesnb-csv":
    data = salesnb.load(path + "/csv", tables=["orders"], as_of="2024-12-31")
    extra["rows"] = len(data.orders)
    extra["rejected"] = len(data.rejected.get("orders", ()))
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_mb": peak / 1024, "base_mb": base / 1024, **extra}))
"""


def run_step(kind: str, folder: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STEP, kind, str(folder)], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"step {kind} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--keep", type=Path, default=None, help="reuse/keep files in this folder")
    ap.add_argument("--repeat", type=int, default=3, help="runs per step; the fastest is shown")
    ap.add_argument("--scan", action="store_true", help="scan mode: lazy loading of parts")
    ap.add_argument("--parts-dir", type=Path, default=Path("/work/bench-data/orders-100m"))
    ap.add_argument("--scan-rows", type=int, default=100_000_000)
    args = ap.parse_args(argv)
    if args.scan:
        scan_mode(args)
        return

    from salesnb.synth import large_orders

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        (folder / "pq").mkdir(parents=True, exist_ok=True)
        (folder / "csv").mkdir(parents=True, exist_ok=True)
        if not (folder / "orders.parquet").exists():
            t = time.perf_counter()
            orders = large_orders(args.rows, seed=1)
            print(f"generated {len(orders):,} orders in {time.perf_counter() - t:.1f} s")
            orders.to_parquet(folder / "orders.parquet", index=False)
            orders.to_csv(folder / "orders.csv", index=False, date_format="%Y-%m-%d")
            del orders
        for sub, name in (("pq", "orders.parquet"), ("csv", "orders.csv")):
            link = folder / sub / name
            if not link.exists():
                link.symlink_to(folder / name)
        sizes = {n: (folder / n).stat().st_size / 2**20 for n in ("orders.parquet", "orders.csv")}
        print(f"files: parquet {sizes['orders.parquet']:.0f} MB, csv {sizes['orders.csv']:.0f} MB")
        res = {}
        for k in ("arrow-parquet", "salesnb-parquet", "arrow-csv", "salesnb-csv"):
            runs = [run_step(k, folder) for _ in range(args.repeat)]
            res[k] = min(runs, key=lambda r: r["seconds"])

    arrow_mb = res["arrow-parquet"]["arrow_mb"]
    print(f"\nrows: {args.rows:,}; Arrow table size {arrow_mb:.0f} MB; best of {args.repeat}")
    print(f"{'step':<18}{'seconds':>9}{'peak MB':>10}{'x floor time':>14}{'x arrow size':>14}")
    for fmt in ("parquet", "csv"):
        floor = res[f"arrow-{fmt}"]
        for kind in (f"arrow-{fmt}", f"salesnb-{fmt}"):
            r = res[kind]
            print(
                f"{kind:<18}{r['seconds']:>9.2f}{r['peak_mb']:>10.0f}"
                f"{r['seconds'] / floor['seconds']:>14.2f}{r['peak_mb'] / arrow_mb:>14.2f}"
            )
    for fmt in ("parquet", "csv"):
        r = res[f"salesnb-{fmt}"]
        print(f"salesnb-{fmt}: loaded {r['rows']:,} rows, rejected {r['rejected']:,}")


def scan_mode(args) -> None:
    """salesnb.scan + checks on DuckDB and polars next to a plain DuckDB count."""
    folder = args.parts_dir
    if not any(folder.glob("**/*.parquet")):
        from salesnb.synth import write_large_orders

        t = time.perf_counter()
        write_large_orders(folder, args.scan_rows, parts=10)
        print(f"wrote {args.scan_rows:,} orders as parts in {time.perf_counter() - t:.0f} s")
    size = sum(p.stat().st_size for p in folder.glob("**/*.parquet")) / 2**20
    print(f"parts: {folder} ({size:.0f} MB Parquet); best of {args.repeat}")
    res = {}
    for k in ("duckdb-count", "scan-duckdb", "scan-duckdb-1gb", "scan-polars"):
        runs = [run_step(k, folder) for _ in range(args.repeat)]
        res[k] = min(runs, key=lambda r: r["seconds"])
    ref = res["duckdb-count"]["seconds"]
    print(f"{'step':<15}{'seconds':>9}{'checks s':>10}{'peak MB':>10}{'x count':>9}{'rows':>14}")
    for k, r in res.items():
        print(
            f"{k:<15}{r['seconds']:>9.2f}{r.get('checks_s', float('nan')):>10.2f}"
            f"{r['peak_mb']:>10.0f}{r['seconds'] / ref:>9.1f}{r['rows']:>14,}"
        )


if __name__ == "__main__":
    main()
