"""Benchmark: wall time of ``salesnb report`` on the sample against a floor.

Measured in one run, on this machine:

* ``pack --jobs 1`` and ``pack --jobs 2``: the full report pack on
  ``data/sample`` (load, execute the six notebooks with Papermill, render
  HTML, index, leaderboard, workbook), via :func:`salesnb.report.run_report`;
* ``floor --jobs 1`` and ``floor --jobs 2``: executing the same number of
  notebooks (same kernel, same Papermill call, same worker pool) that only
  import salesnb's dependencies (pandas, numpy, scipy, seaborn, matplotlib,
  scikit-learn, pandera, narwhals, skforecast) and draw nothing; no data
  loading, rendering or index in the floor.

The floor is what any notebook-based pack costs before doing work: kernel
start-up plus imports. Goals: pack within 3x of the floor at the same
``--jobs``; ``--jobs 2`` at least 1.6x faster than ``--jobs 1``.

Run: ``python benchmarks/bench_report.py [--repeat N]`` (prints a table).
Peak memory is the maximum resident set size of this process and its
finished children (kernels and workers), from ``resource.getrusage``.

Big data (``--big``): the pack on a generated folder, loading once (the
runner's snapshot, the default) against every notebook loading the source
itself (``run_report(snapshot=False)``), and with ``--engine`` on DuckDB or
polars. ``--make-big N`` first writes the folder (under ``/work/bench-data/``
by convention, never in git): the sample's tables except ``customers``, plus
an ``orders`` table of N rows from :func:`salesnb.synth.large_orders` over the
sample's span (2023-10-01 to 2026-09-30), reps, regions and products, as one
``orders.parquet`` file (``--parts P`` > 1: a folder ``orders/`` of Parquet
parts written one at a time by :func:`salesnb.synth.write_large_orders`).
``customers`` is left out because the big orders' customer ids are not the
sample's (the contract's foreign-key check would reject every order); the
pages that name customers fall back to their ids. Peak memory there is the
largest sum of resident memory of this process and all its descendants
(kernels, workers), sampled every 0.2 s with psutil.

    python benchmarks/bench_report.py --make-big 10000000 --big /work/bench-data/sales-10m

``--keep DIR`` writes the packs into ``DIR/<case>/`` and keeps them, to look at the
pages of a big run (by default they go to a temporary folder).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from salesnb import report  # noqa: E402
from salesnb.report import execute  # noqa: E402

FLOOR_SOURCE = """\
import numpy, pandas, scipy.optimize, scipy.special, scipy.stats
import matplotlib, seaborn
import sklearn.ensemble, sklearn.linear_model, sklearn.pipeline, sklearn.compose
import pandera.pandas, narwhals, skforecast
"""


def floor_notebooks(folder: Path, n: int) -> Path:
    """``n`` notebooks with the common parameters that only import the dependencies."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        params = nbformat.v4.new_code_cell(
            "quarter = None\ndata = None\nmapping = None\nregion = None\nas_of = None"
        )
        params.metadata["tags"] = ["parameters"]
        nb.cells = [
            nbformat.v4.new_markdown_cell(f"# Floor {i}"),
            params,
            nbformat.v4.new_code_cell(FLOOR_SOURCE),
        ]
        nbformat.write(nb, folder / f"{i:02d}_floor.ipynb")
    return folder


def run_floor(notebooks: Path, jobs: int, out: Path) -> float:
    """Only execute the notebooks (same Papermill call and worker pool as the pack)."""
    from tqdm.auto import tqdm

    out.mkdir(parents=True)
    params = {"quarter": None, "data": None, "mapping": None, "region": None, "as_of": None}
    start = time.perf_counter()
    results = execute._execute_all(
        report.list_notebooks(notebooks),
        out,
        params,
        jobs=jobs,
        timeout=None,
        progress=False,
        tqdm=tqdm,
    )
    seconds = time.perf_counter() - start
    if not all(r.ok for r in results):
        raise SystemExit(f"floor notebook failed: {[r.error for r in results if not r.ok]}")
    return seconds


def run_pack(notebooks: Path, jobs: int, out: Path) -> float:
    start = time.perf_counter()
    result = report.run_report(
        data=report.DEFAULT_DATA, out=out, jobs=jobs, progress=False, notebooks=notebooks
    )
    seconds = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"report failed: {result.failed}")
    return seconds


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


SAMPLE_SPAN = ("2023-10-01", "2026-09-30")


def make_big_data(folder: Path, n_rows: int, *, parts: int = 1) -> Path:
    """Write the big-data folder described in the module docstring; return it."""
    import shutil

    from salesnb.synth import large_orders, write_large_orders

    folder.mkdir(parents=True, exist_ok=True)
    for src in sorted(report.DEFAULT_DATA.glob("*.csv")):
        if src.stem not in ("orders", "customers"):
            shutil.copy2(src, folder / src.name)
    if parts > 1:
        write_large_orders(
            folder / "orders", n_rows, parts=parts, start=SAMPLE_SPAN[0], end=SAMPLE_SPAN[1]
        )
    else:
        large_orders(n_rows, start=SAMPLE_SPAN[0], end=SAMPLE_SPAN[1]).to_parquet(
            folder / "orders.parquet", index=False
        )
    return folder


class TreeMemory:
    """Peak of the summed resident memory of this process and its descendants (psutil)."""

    def __init__(self, every: float = 0.2):
        import threading

        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        import psutil

        me = psutil.Process()
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self._sample())

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_big(folder: Path, *, jobs: int, cases: list[str], out: Path) -> list[tuple]:
    """Time the pack on ``folder`` for each case (``once``, ``each``, ``duckdb``, ``polars``)."""
    rows = []
    for case in cases:
        kwargs = {"snapshot": case != "each"}
        if case in ("duckdb", "polars"):
            kwargs["engine"] = case
        start = time.perf_counter()
        with TreeMemory() as mem:
            result = report.run_report(
                data=folder, out=out / case, jobs=jobs, progress=False, **kwargs
            )
        seconds = time.perf_counter() - start
        failed = [r.name for r in result.notebooks if not r.ok]
        rows.append((case, seconds, mem.peak / 2**30, failed))
        print(
            f"{case:<8}{seconds:>10.1f}{mem.peak / 2**30:>12.2f}  failed: {failed or '-'}",
            flush=True,
        )
    return rows


def main_big(args) -> int:
    folder = Path(args.big)
    if args.make_big:
        start = time.perf_counter()
        make_big_data(folder, args.make_big, parts=args.parts)
        print(f"wrote {folder} ({args.make_big:,} orders) in {time.perf_counter() - start:.0f} s")
    report.ensure_kernel()
    print(f"salesnb report on {folder}, --jobs {args.jobs}, {os.cpu_count()} CPUs")
    print(f"{'case':<8}{'seconds':>10}{'peak GiB':>12}")
    if args.keep:  # the packs stay there to be looked at (one folder per case)
        rows = run_big(folder, jobs=args.jobs, cases=args.cases, out=Path(args.keep))
    else:
        with tempfile.TemporaryDirectory(prefix="bench_report_big_") as tmp:
            rows = run_big(folder, jobs=args.jobs, cases=args.cases, out=Path(tmp))
    times = {case: seconds for case, seconds, _mem, _failed in rows}
    if "once" in times and "each" in times:
        print(f"loading once vs each notebook loading: {times['each'] / times['once']:.2f}x faster")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (median shown)")
    parser.add_argument("--big", help="benchmark the pack on this big-data folder")
    parser.add_argument("--make-big", type=int, default=0, help="first write it with N orders")
    parser.add_argument("--parts", type=int, default=1, help="orders as a folder of P parts")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks at once (--big)")
    parser.add_argument(
        "--keep", help="--big: write the packs into this folder (one per case) and keep them"
    )
    parser.add_argument(
        "--cases",
        nargs="+",
        default=["once", "each"],
        choices=["once", "each", "duckdb", "polars"],
        help="--big cases: load once, each notebook loads, or an engine",
    )
    args = parser.parse_args(argv)
    if args.big:
        return main_big(args)
    n = len(report.list_notebooks(report.NOTEBOOKS_DIR))
    report.ensure_kernel()
    with tempfile.TemporaryDirectory(prefix="bench_report_") as tmp:
        tmp = Path(tmp)
        floor_dir = floor_notebooks(tmp / "floor_nb", n)
        # warm the OS file cache and byte-code caches once, untimed
        run_floor(floor_dir, 2, tmp / "warm")
        cases = [
            ("floor", run_floor, floor_dir, 1),
            ("floor", run_floor, floor_dir, 2),
            ("pack", run_pack, report.NOTEBOOKS_DIR, 1),
            ("pack", run_pack, report.NOTEBOOKS_DIR, 2),
        ]
        times: dict[tuple[str, int], float] = {}
        for name, fn, folder, jobs in cases:
            runs = [fn(folder, jobs, tmp / f"{name}{jobs}_{k}") for k in range(args.repeat)]
            times[(name, jobs)] = statistics.median(runs)
    print(
        f"salesnb report benchmark: {n} notebooks on data/sample, {os.cpu_count()} CPUs, "
        f"median of {args.repeat} run(s)"
    )
    print(f"{'case':<16}{'seconds':>10}{'vs floor':>10}{'vs jobs 1':>11}")
    for name in ("floor", "pack"):
        for jobs in (1, 2):
            t = times[(name, jobs)]
            print(
                f"{name + ' --jobs ' + str(jobs):<16}{t:>10.1f}"
                f"{t / times[('floor', jobs)]:>9.2f}x{times[(name, 1)] / t:>10.2f}x"
            )
    pack_ratio = max(times[("pack", j)] / times[("floor", j)] for j in (1, 2))
    speedup = times[("pack", 1)] / times[("pack", 2)]
    print(
        f"goal: pack <= 3x floor -> {pack_ratio:.2f}x ({'met' if pack_ratio <= 3 else 'NOT met'})"
    )
    print(
        f"goal: jobs 2 >= 1.6x faster than jobs 1 -> {speedup:.2f}x "
        f"({'met' if speedup >= 1.6 else 'NOT met'})"
    )
    print(f"peak RSS (this process or one child): {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
