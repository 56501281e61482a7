"""Benchmark the CLV models: fit speed and memory, and a CDNOW holdout comparison.

Run from the repository root::

    .venv/bin/python benchmarks/bench_clv.py [--repeat 5] [--master PATH] [--skip-lifetimes]

Part 1 times ``BetaGeo`` and ``GammaGamma`` fits on

- the CDNOW master calibration summary (23,570 customers, calibration ends
  1997-09-30), built with ``rfm_summary`` from ``CDNOW_master.txt``;
- synthetic summaries of 100k and 1M customers, simulated from the BG/NBD
  with the CDNOW parameters at day resolution (T is a whole number of days,
  27-39 weeks, as in the CDNOW cohort). Spend comes from the Gamma-Gamma
  model with the CDNOW parameters, rounded to cents;
- "untied" summaries of 1M customers whose recency and T are at hour
  resolution (timestamps, not days), so few rows are identical and grouping
  them saves little.

The BG/NBD fit is also timed with the reference code of an earlier revision
(``--reference-rev``, default the revision before the untied-data speed-up),
loaded with ``git show`` into the same process, on the same data, and the
ratio and largest relative parameter difference are printed.

It puts lifetimes' ``BetaGeoFitter`` / ``GammaGammaFitter`` on the same data
next to them when ``import lifetimes`` works. Times are the best of
``--repeat`` runs for our models and of up to 3 runs for lifetimes (1 run
above 100k customers). Peak memory is the tracemalloc peak of one separate
fit (numpy buffers included).

Part 2 times ``MLCustomerValue.fit`` on the CDNOW master training frame with
one thread (the default) and with all cores (``n_threads=None``), on the
machine as it is (quiet or not: the 1-minute load average is printed) and
with every core kept busy by one more spinning process each (another
notebook or report job running).

Part 3 evaluates BG/NBD + Gamma-Gamma, the ML model and the naive baseline
on the CDNOW master holdout (1997-10-01 to 1998-06-30, 39 weeks) with
``compare_on_holdout(calibration_end="1997-09-30")``.

This is a script, not a test. It prints tables and writes nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import sklearn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from salesnb.models.clv import (  # noqa: E402
    BetaGeo,
    GammaGamma,
    MLCustomerValue,
    compare_on_holdout,
    features,
    rfm_summary,
    simulate_beta_geo,
)

DEFAULT_MASTER = ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"
CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"
BG_PARAMS = {"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258}  # CDNOW MLE
GG_PARAMS = {"p": 6.25, "q": 3.74, "v": 15.44}
REFERENCE_REV = "d17bf99"  # BetaGeo before the untied-data speed-up


def load_reference_beta_geo(rev: str):
    """The ``beta_geo`` module of revision ``rev`` (``git show``), or None and the reason."""
    try:
        source = subprocess.run(
            ["git", "show", f"{rev}:salesnb/models/clv/beta_geo.py"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        return None, f"git show {rev} failed: {exc}"
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    try:
        spec = importlib.util.spec_from_file_location("salesnb.models.clv._reference", handle.name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        os.unlink(handle.name)
    return module, None


def load_lifetimes():
    """Return the lifetimes module, or None and the reason it is unavailable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import lifetimes
        return lifetimes, None
    except Exception as exc:  # noqa: BLE001 - any import failure means "unavailable"
        return None, f"{type(exc).__name__}: {exc}"


def read_master(path: Path) -> pd.DataFrame:
    master = pd.read_csv(path, sep=r"\s+", dtype=str)
    master["date"] = pd.to_datetime(master["date"], format="%Y%m%d")
    master["dollar_value"] = master["dollar_value"].astype(float)
    return master


def synthetic_summary(n: int, seed: int, *, per_day: int = 1) -> pd.DataFrame:
    """27 to 39 weeks of history at ``1 / per_day`` day resolution (24: hours)."""
    rng = np.random.default_rng(seed)
    steps = 7 * per_day
    T = rng.integers(27 * steps, 39 * steps, n) / steps
    summary = simulate_beta_geo(n, **BG_PARAMS, T=T, time_resolution=1 / steps, random_state=rng)
    x = summary["frequency"].to_numpy()
    # Gamma-Gamma spend: nu ~ Gamma(q, rate v); mean of x values ~ Gamma(p x, rate x nu)
    nu = rng.gamma(GG_PARAMS["q"], 1.0 / GG_PARAMS["v"], n)
    pos = x > 0
    money = np.zeros(n)
    money[pos] = rng.gamma(GG_PARAMS["p"] * x[pos], 1.0 / (x[pos] * nu[pos]))
    summary["monetary_value"] = np.round(money, 2)
    return summary


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


def fit_table(datasets: dict[str, pd.DataFrame], lifetimes, reference, repeat: int) -> pd.DataFrame:
    rows = []
    for name, summary in datasets.items():
        n = len(summary)
        # the Gamma-Gamma fitting set (GammaGamma skips non-positive spend itself)
        repeaters = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
        x, tx, T = summary["frequency"], summary["recency"], summary["T"]
        bg_s, bg = best_time(lambda s=summary: BetaGeo().fit(s), repeat)
        gg_s, gg = best_time(lambda s=summary: GammaGamma().fit(s), repeat)
        row = {
            "data": name,
            "n_customers": n,
            "bg_groups": bg.n_groups_,
            "bg_ours_s": bg_s,
            "bg_lifetimes_s": np.nan,
            "bg_speedup": np.nan,
            "bg_ours_peak_mb": peak_mb(lambda s=summary: BetaGeo().fit(s)),
            "bg_lifetimes_peak_mb": np.nan,
            "bg_max_rel_param_diff": np.nan,
            "bg_reference_s": np.nan,
            "bg_reference_ratio": np.nan,
            "bg_reference_max_rel_diff": np.nan,
            "gg_ours_s": gg_s,
            "gg_lifetimes_s": np.nan,
            "gg_speedup": np.nan,
            "gg_ours_peak_mb": peak_mb(lambda s=summary: GammaGamma().fit(s)),
            "gg_max_rel_param_diff": np.nan,
        }
        if reference is not None:
            ref_s, ref = best_time(lambda s=summary: reference.BetaGeo().fit(s), repeat)
            ours = np.array([bg.params_[k] for k in ("r", "alpha", "a", "b")])
            theirs = np.array([ref.params_[k] for k in ("r", "alpha", "a", "b")])
            row["bg_reference_s"] = ref_s
            row["bg_reference_ratio"] = ref_s / bg_s
            row["bg_reference_max_rel_diff"] = float(np.max(np.abs(ours / theirs - 1)))
        if lifetimes is not None:
            lt_repeat = min(repeat, 3) if n <= 100_000 else 1
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")

                def lt_bg(x=x, tx=tx, T=T):
                    return lifetimes.BetaGeoFitter().fit(x, tx, T)

                def lt_gg(rep=repeaters):
                    return lifetimes.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])

                lt_bg_s, lt_bg_model = best_time(lt_bg, lt_repeat)
                lt_gg_s, lt_gg_model = best_time(lt_gg, lt_repeat)
                row["bg_lifetimes_peak_mb"] = peak_mb(lt_bg)
            ours = np.array([bg.params_[k] for k in ("r", "alpha", "a", "b")])
            theirs = lt_bg_model.params_[["r", "alpha", "a", "b"]].to_numpy()
            row["bg_lifetimes_s"] = lt_bg_s
            row["bg_speedup"] = lt_bg_s / bg_s
            row["bg_max_rel_param_diff"] = float(np.max(np.abs(ours / theirs - 1)))
            ours_gg = np.array([gg.params_[k] for k in ("p", "q", "v")])
            theirs_gg = lt_gg_model.params_[["p", "q", "v"]].to_numpy()
            row["gg_lifetimes_s"] = lt_gg_s
            row["gg_speedup"] = lt_gg_s / gg_s
            row["gg_max_rel_param_diff"] = float(np.max(np.abs(ours_gg / theirs_gg - 1)))
        rows.append(row)
        print(f"  done: {name}", flush=True)
    return pd.DataFrame(rows).set_index("data")


def holdout_table(master: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    cols = {"customer_col": "customer_id", "date_col": "date", "amount_col": "dollar_value"}
    start = time.perf_counter()
    table, _ = compare_on_holdout(
        master, **cols, observation_end=OBSERVATION_END, calibration_end=CALIBRATION_END
    )
    info = {"seconds": round(time.perf_counter() - start, 2), **table.attrs["ml_training"]}
    for note in table.attrs["notes"]:
        print(f"  note: {note}")
    return table, info


def _spin(stop) -> None:  # a busy core: another notebook or job running
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def ml_thread_table(master: pd.DataFrame, repeat: int) -> pd.DataFrame:
    """MLCustomerValue fit time, one thread vs all cores, quiet and with every core busy."""
    cols = {"customer_col": "customer_id", "date_col": "date", "amount_col": "dollar_value"}
    train = features(master, **cols, calibration_end="1997-05-17", holdout_end=CALIBRATION_END)
    rows = []
    for load in ("as is", "+1 spinner per core"):
        stop = multiprocessing.Event()
        spinners = []
        if load != "as is":
            spinners = [
                multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
                for _ in range(os.cpu_count() or 1)
            ]
            for proc in spinners:
                proc.start()
        try:
            for threads in (1, None):
                seconds, _ = best_time(
                    lambda t=threads: MLCustomerValue(n_threads=t).fit(train), repeat
                )
                rows.append(
                    {
                        "machine": load,
                        "n_threads": "1 (default)" if threads == 1 else "None (all cores)",
                        "fit_s": seconds,
                        "load_avg_1min": os.getloadavg()[0],
                    }
                )
        finally:
            stop.set()
            for proc in spinners:
                proc.join(timeout=10)
    table = pd.DataFrame(rows)
    table.attrs["rows"] = len(train)
    return table


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", type=Path, default=DEFAULT_MASTER)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--reference-rev", default=REFERENCE_REV)
    parser.add_argument("--untied-sizes", type=int, nargs="*", default=[1_000_000])
    args = parser.parse_args(argv)

    lifetimes, why = (None, "skipped (--skip-lifetimes)")
    if not args.skip_lifetimes:
        lifetimes, why = load_lifetimes()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"machine {platform.machine()}, {platform.processor() or '?'}"
    )
    print(
        f"lifetimes: {lifetimes.__version__}"
        if lifetimes is not None
        else f"lifetimes: unavailable - {why}"
    )
    reference, ref_why = load_reference_beta_geo(args.reference_rev)
    print(
        f"reference BetaGeo: revision {args.reference_rev}"
        if reference is not None
        else f"reference BetaGeo: unavailable - {ref_why}"
    )
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()}")

    datasets: dict[str, pd.DataFrame] = {}
    master = None
    if args.master.exists():
        master = read_master(args.master)
        build_s, summary = best_time(
            lambda: rfm_summary(
                master,
                customer_col="customer_id",
                date_col="date",
                amount_col="dollar_value",
                observation_end=OBSERVATION_END,
                calibration_end=CALIBRATION_END,
            ),
            args.repeat,
        )
        print(
            f"rfm_summary on CDNOW master ({len(master):,} transactions -> "
            f"{len(summary):,} customers): {build_s * 1000:.1f} ms"
        )
        datasets["cdnow_master"] = summary
    else:
        print(f"CDNOW master not found at {args.master}; skipping it")
    for n in args.sizes:
        datasets[f"synthetic_{n // 1000}k"] = synthetic_summary(n, seed=n)
    for n in args.untied_sizes:
        datasets[f"untied_hours_{n // 1000}k"] = synthetic_summary(n, seed=n + 1, per_day=24)

    print("\nFit times (seconds), peak memory (MiB, tracemalloc) and agreement with lifetimes:")
    table = fit_table(datasets, lifetimes, reference, args.repeat)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print("\nBG/NBD (BetaGeo vs lifetimes BetaGeoFitter)")
        print(
            table[
                [
                    "n_customers",
                    "bg_groups",
                    "bg_ours_s",
                    "bg_lifetimes_s",
                    "bg_speedup",
                    "bg_ours_peak_mb",
                    "bg_lifetimes_peak_mb",
                    "bg_max_rel_param_diff",
                ]
            ].to_string(float_format=lambda v: f"{v:.4g}")
        )
        print(f"\nBG/NBD (BetaGeo vs the reference code of revision {args.reference_rev})")
        print(
            table[
                [
                    "n_customers",
                    "bg_groups",
                    "bg_ours_s",
                    "bg_reference_s",
                    "bg_reference_ratio",
                    "bg_reference_max_rel_diff",
                ]
            ].to_string(float_format=lambda v: f"{v:.4g}")
        )
        print("\nGamma-Gamma (GammaGamma vs lifetimes GammaGammaFitter)")
        print(
            table[
                [
                    "n_customers",
                    "gg_ours_s",
                    "gg_lifetimes_s",
                    "gg_speedup",
                    "gg_ours_peak_mb",
                    "gg_max_rel_param_diff",
                ]
            ].to_string(float_format=lambda v: f"{v:.4g}")
        )

    if master is not None:
        threads = ml_thread_table(master, args.repeat)
        print(
            f"\nMLCustomerValue.fit on the CDNOW master training frame "
            f"({threads.attrs['rows']:,} customers), seconds, best of {args.repeat}:"
        )
        print(threads.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print(
            f"\nHoldout evaluation on CDNOW master: calibration to {CALIBRATION_END}, "
            f"holdout to {OBSERVATION_END}"
        )
        evaluation, info = holdout_table(master)
        for key, value in info.items():
            print(f"  {key}: {value}")
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(evaluation.to_string(float_format=_number))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
