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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (median shown)")
    args = parser.parse_args(argv)
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
