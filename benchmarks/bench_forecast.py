"""Benchmark the revenue-forecasting model set: rolling-origin backtest time and memory.

Run from the repository root::

    .venv/bin/python benchmarks/bench_forecast.py [--repeat 3] [--horizon 13]
        [--test-periods 52] [--step 1] [--seed 0]

The series is a seeded synthetic weekly revenue series over three years
(156 Monday-labelled weeks from 2022-01-03): a linear upward trend, a Q4 peak
(weeks starting October-December are ~35 % higher, rising to ~60 % in
December) and Gaussian noise (sd 8 % of the level).

For each model of :func:`salesnb.models.forecast.default_models` the script
times :func:`salesnb.models.forecast.backtest` of that model alone (refit at
every origin over the last ``--test-periods`` weeks, ``--horizon`` weeks
ahead, an origin every ``--step`` weeks, 80 % intervals) and reports the best
of ``--repeat`` runs, the time per fold, the tracemalloc peak of one separate
run, and both as ratios to the seasonal-naive baseline measured in the same
run. WAPE and interval coverage of the backtest are shown next to the times
so the cost can be weighed against the accuracy it buys. Imports and a
warm-up fit happen before any timing.

This is a script, not a test. It prints a table and writes nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from salesnb.models.forecast import backtest, default_models  # noqa: E402


def synthetic_weekly(seed: int, weeks: int = 156) -> pd.Series:
    """Trend + Q4 seasonality + noise, one value per Monday-to-Sunday week."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-03", periods=weeks, freq="W-MON", name="period")
    level = 20_000 + 60 * np.arange(weeks)
    month = idx.month.to_numpy()
    season = np.where(month >= 10, 1.35, 1.0) * np.where(month == 12, 1.2, 1.0)
    values = level * season * (1 + rng.normal(0, 0.08, weeks))
    return pd.Series(np.round(values, 2), index=idx, name="amount")


def run(series: pd.Series, name: str, model, args) -> object:
    return backtest(
        series,
        {name: model},
        horizon=args.horizon,
        test_periods=args.test_periods,
        step=args.step,
        baseline=name,  # time the model alone
    )


def best_time(fn, repeat: int) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--horizon", type=int, default=13)
    parser.add_argument("--test-periods", type=int, default=52)
    parser.add_argument("--step", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import skforecast
    import sklearn

    series = synthetic_weekly(args.seed)
    models = default_models()
    # warm-up: imports, first skforecast fit
    for name, model in models.items():
        backtest(series, {name: model}, horizon=2, test_periods=2, baseline=name)

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"scikit-learn {sklearn.__version__}, skforecast {skforecast.__version__}, "
        f"{os.cpu_count()} CPUs ({platform.machine()})"
    )
    n_folds = len(range(len(series) - args.test_periods, len(series), args.step))
    print(
        f"series: {len(series)} weeks {series.index[0].date()}..{series.index[-1].date()}, "
        f"total {series.sum():,.0f}; backtest: last {args.test_periods} weeks, horizon "
        f"{args.horizon}, step {args.step} -> {n_folds} folds (refit each); best of {args.repeat}"
    )
    rows = []
    for name, model in models.items():
        seconds, result = best_time(lambda n=name, m=model: run(series, n, m, args), args.repeat)
        metrics = result.metrics.iloc[0]
        rows.append(
            {
                "model": name,
                "time_s": seconds,
                "ms_per_fold": 1000 * seconds / n_folds,
                "peak_mb": peak_mb(lambda n=name, m=model: run(series, n, m, args)),
                "wape": metrics["wape"],
                "mase": metrics["mase"],
                "coverage_80": metrics["coverage"],
            }
        )
        print(f"  done: {name}", flush=True)
    table = pd.DataFrame(rows).set_index("model")
    ref = table.loc["seasonal_naive"]
    table.insert(1, "time_vs_naive", table["time_s"] / ref["time_s"])
    table.insert(4, "mem_vs_naive", table["peak_mb"] / ref["peak_mb"])
    whole_set = sum(table["time_s"])
    with pd.option_context("display.width", 200, "display.float_format", "{:,.4g}".format):
        print(table.to_string())
    print(f"whole model set: {whole_set:.2f} s ({whole_set / ref['time_s']:.0f}x seasonal naive)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
