"""Benchmark the CLV models: fit speed and memory, and a CDNOW holdout comparison.

Run from the repository root::

    .venv/bin/python benchmarks/bench_clv.py [--repeat 5] [--master PATH] [--skip-lifetimes]

Part 1 times ``BetaGeo`` and ``GammaGamma`` fits on

- the CDNOW master calibration summary (23,570 customers, calibration ends
  1997-09-30), built with ``rfm_summary`` from ``CDNOW_master.txt``;
- synthetic summaries of 100k and 1M customers, simulated from the BG/NBD
  with the CDNOW parameters at day resolution (T is a whole number of days,
  27-39 weeks, as in the CDNOW cohort). Spend comes from the Gamma-Gamma
  model with the CDNOW parameters, rounded to cents.

It puts lifetimes' ``BetaGeoFitter`` / ``GammaGammaFitter`` on the same data
next to them when ``import lifetimes`` works. Times are the best of
``--repeat`` runs for our models and of up to 3 runs for lifetimes (1 run
above 100k customers). Peak memory is the tracemalloc peak of one separate
fit (numpy buffers included).

Part 2 evaluates BG/NBD + Gamma-Gamma, the ML model and the naive baseline
on the CDNOW master holdout (1997-10-01 to 1998-06-30, 39 weeks).

This is a script, not a test. It prints tables and writes nothing.
"""

from __future__ import annotations

import argparse
import platform
import sys
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
    evaluate_holdout,
    features,
    holdout_predictions,
    rfm_summary,
    simulate_beta_geo,
)

DEFAULT_MASTER = ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"
CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"
BG_PARAMS = {"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258}  # CDNOW MLE
GG_PARAMS = {"p": 6.25, "q": 3.74, "v": 15.44}


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


def synthetic_summary(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.integers(189, 273, n) / 7.0  # 27 to 39 weeks, whole days
    summary = simulate_beta_geo(n, **BG_PARAMS, T=T, time_resolution=1 / 7, random_state=rng)
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


def fit_table(datasets: dict[str, pd.DataFrame], lifetimes, repeat: int) -> pd.DataFrame:
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
            "gg_ours_s": gg_s,
            "gg_lifetimes_s": np.nan,
            "gg_speedup": np.nan,
            "gg_ours_peak_mb": peak_mb(lambda s=summary: GammaGamma().fit(s)),
            "gg_max_rel_param_diff": np.nan,
        }
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
    summary = rfm_summary(
        master, **cols, observation_end=OBSERVATION_END, calibration_end=CALIBRATION_END
    )
    bg = BetaGeo().fit(summary)
    gg = GammaGamma().fit(summary)
    predictions = {"bgnbd_gammagamma": holdout_predictions(bg, summary, gamma_gamma=gg)}

    # ML: time-shifted training window. CDNOW starts on 1997-01-01, so a full
    # 39-week shift is impossible; train on features up to 1997-06-30 with
    # targets in (1997-06-30, 1997-09-30] (13.1 weeks), then predict the
    # 39-week holdout from features at 1997-09-30 (rate x duration).
    train = features(master, **cols, calibration_end="1997-06-30", holdout_end=CALIBRATION_END)
    test = features(master, **cols, calibration_end=CALIBRATION_END, holdout_end=OBSERVATION_END)
    spend_model = MLCustomerValue(random_state=0).fit(train)
    purchase_model = MLCustomerValue(target="frequency_holdout", random_state=0).fit(train)
    predictions["ml_hist_gradient_boosting"] = pd.DataFrame(
        {"purchases": purchase_model.predict(test), "spend": spend_model.predict(test)}
    )
    info = {
        "customers": len(summary),
        "bg_params": {k: round(v, 4) for k, v in bg.params_.items()},
        "gg_params": {k: round(v, 4) for k, v in gg.params_.items()},
        "ml_train_window_weeks": round(float(train["duration_holdout"].iloc[0]), 2),
        "holdout_weeks": float(summary["duration_holdout"].iloc[0]),
    }
    return evaluate_holdout(summary, predictions), info


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", type=Path, default=DEFAULT_MASTER)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--skip-lifetimes", action="store_true")
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

    print("\nFit times (seconds), peak memory (MiB, tracemalloc) and agreement with lifetimes:")
    table = fit_table(datasets, lifetimes, args.repeat)
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
