"""Benchmark: salesnb.load from PostgreSQL against the same rows from a CSV folder.

Starts a throwaway PostgreSQL server (the test suite's ``start_postgres``:
initdb in a temporary folder, a free localhost port), generates an orders
table (default 5M rows) with ``salesnb.synth.large_orders``, writes it as CSV
and copies it into the server typed (numbers ``double precision``, dates
``timestamp``). Then it times ``salesnb.load`` (with validation) of the CSV
folder and of the ``postgresql://`` URL, each in a fresh subprocess so its peak
memory (``ru_maxrss``) is its own, and stops and deletes the server.

Usage::

    python benchmarks/bench_db.py [--rows 5000000] [--repeat 1]

Measured (5,000,000 orders, 2 shared cores under load, best of 1; frame 705 MB):

    source        seconds   peak MB
    csv folder       8.49      1769
    postgresql      16.28      1760

(before the COPY + Arrow path: 61 s and 8.5 GB for the same 5M rows.) The
bundled 43k-row sample: 0.39 s from PostgreSQL against 0.30 s from its folder
(was 1.3 s against 0.34 s).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STEP = r"""
import json, resource, sys, time
kind, source = sys.argv[1], sys.argv[2]
import pyarrow.csv, psycopg, sqlalchemy  # import costs outside the timing
import salesnb
t = time.perf_counter()
data = salesnb.load(source, tables=["orders"], as_of="2024-12-31")
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
frame_mb = data.orders.memory_usage(deep=True).sum() / 2**20
print(json.dumps({"seconds": elapsed, "peak_mb": peak / 1024, "frame_mb": frame_mb,
                  "rows": len(data.orders), "rejected": len(data.rejected.get("orders", ()))}))
"""

COLUMN_TYPES = {
    "amount": "double precision",
    "profit": "double precision",
    "quantity": "double precision",
}


def run_step(kind: str, source: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STEP, kind, source], capture_output=True, text=True, cwd=ROOT
    )
    if out.returncode != 0:
        raise SystemExit(f"step {kind} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def copy_into(admin_url: str, csv_path: Path, columns: list[str], dates: set[str]) -> None:
    """Create ``orders`` typed and fill it with COPY FROM the CSV file."""
    import psycopg

    cols = ", ".join(
        f'"{c}" ' + ("timestamp" if c in dates else COLUMN_TYPES.get(c, "text")) for c in columns
    )
    with psycopg.connect(admin_url) as con, con.cursor() as cur:
        cur.execute(f"CREATE TABLE orders ({cols})")
        with cur.copy("COPY orders FROM STDIN (FORMAT csv, HEADER true)") as copy:
            with csv_path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    copy.write(block)
        cur.execute("ANALYZE orders")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs per step; the fastest is shown")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import start_postgres

    from salesnb.synth import large_orders

    root = Path(tempfile.mkdtemp(prefix="salesnb-bench-db-"))
    pg_ctl = None
    try:
        pg_ctl, _data, port, password = start_postgres(root)
        url = f"postgresql://salesnb:{password}@127.0.0.1:{port}/postgres"
        folder = root / "csv"
        folder.mkdir()
        t = time.perf_counter()
        orders = large_orders(args.rows, seed=1)
        dates = {c for c in orders.columns if str(orders[c].dtype).startswith("datetime")}
        orders.to_csv(folder / "orders.csv", index=False)
        columns = list(orders.columns)
        del orders
        print(f"generated and wrote {args.rows:,} orders in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        copy_into(url, folder / "orders.csv", columns, dates)
        print(f"copied into PostgreSQL in {time.perf_counter() - t:.1f} s")
        res = {}
        for kind, source in (("csv folder", str(folder)), ("postgresql", url)):
            runs = [run_step(kind, source) for _ in range(args.repeat)]
            res[kind] = min(runs, key=lambda r: r["seconds"])
    finally:
        if pg_ctl is not None:
            subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)

    print(f"\nrows: {args.rows:,}; best of {args.repeat}")
    print(
        f"{'source':<12}{'seconds':>9}{'peak MB':>10}{'frame MB':>10}{'loaded':>12}{'rejected':>10}"
    )
    for kind, r in res.items():
        print(
            f"{kind:<12}{r['seconds']:>9.2f}{r['peak_mb']:>10.0f}{r['frame_mb']:>10.0f}"
            f"{r['rows']:>12,}{r['rejected']:>10,}"
        )


if __name__ == "__main__":
    main()
