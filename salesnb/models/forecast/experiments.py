"""An experiment log of backtests: append results, read them back in a later session.

One tidy row per model and backtest: ``logged_at`` (UTC timestamp),
``fingerprint`` (:func:`~salesnb.models.forecast.series.series_fingerprint`
of the series: equal data, equal fingerprint), ``freq``, ``horizon``,
``model``, ``parameters`` (class and parameters as JSON text), ``note``, and
the metrics of :func:`~salesnb.models.forecast.backtesting.backtest`
(``folds``, ``points``, ``mae``, ``wape``, ``mape``, ``bias``, ``bias_pct``,
``mase``, ``coverage``, ``wape_vs_baseline``). The file is CSV or Parquet by
its suffix; nothing is written anywhere but the path given.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from salesnb.models.forecast.backtesting import BacktestResult

__all__ = ["log_experiment", "read_experiments", "EXPERIMENT_COLUMNS"]

_METRICS = [
    "folds",
    "points",
    "mae",
    "wape",
    "mape",
    "bias",
    "bias_pct",
    "mase",
    "coverage",
    "wape_vs_baseline",
]
#: Columns of the experiment log, in order.
EXPERIMENT_COLUMNS = [
    "logged_at",
    "fingerprint",
    "freq",
    "horizon",
    "model",
    "parameters",
    "note",
    *_METRICS,
]


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"experiment log {path}: use a .csv or .parquet file; got {suffix!r}")
    return suffix[1:]


def log_experiment(result: BacktestResult, path, *, note: str = "") -> pd.DataFrame:
    """Append one row per model of a backtest to the experiment log at ``path``.

    The file is created when missing (its folder must exist). CSV is
    appended in place; Parquet is read, extended and written back to the
    same path.

    Returns
    -------
    pandas.DataFrame
        The rows appended.

    Raises
    ------
    ValueError
        For a path that is not ``.csv`` or ``.parquet``, or an existing file
        whose columns are not the log's.

    Examples
    --------
    >>> import tempfile
    >>> from salesnb.models.forecast.backtesting import backtest
    >>> from salesnb.models.forecast.baselines import SeasonalNaive
    >>> idx = pd.date_range("2021-01-01", periods=30, freq="MS")
    >>> bt = backtest(pd.Series(100.0, index=idx), {"seasonal_naive": SeasonalNaive()})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = log_experiment(bt, Path(folder) / "log.csv", note="first try")
    ...     read_experiments(Path(folder) / "log.csv")[["model", "horizon", "wape", "note"]]
                model  horizon  wape       note
    0  seasonal_naive        3   0.0  first try
    """
    path = Path(path)
    fmt = _format(path)
    metrics = result.metrics
    rows = pd.DataFrame(
        {
            "logged_at": pd.Timestamp.now(tz="UTC").floor("s").isoformat(),
            "fingerprint": result.fingerprint,
            "freq": result.freq,
            "horizon": int(result.horizon),
            "model": metrics["model"].astype(str).to_numpy(),
            "parameters": [(result.parameters or {}).get(m, "") for m in metrics["model"]],
            "note": str(note),
            **{c: metrics[c].to_numpy() for c in _METRICS},
        }
    )[EXPERIMENT_COLUMNS]
    if path.exists():
        old = read_experiments(path, parse_dates=False)
        if list(old.columns) != EXPERIMENT_COLUMNS:
            raise ValueError(
                f"experiment log {path} has columns {list(old.columns)}; "
                f"expected {EXPERIMENT_COLUMNS}"
            )
        if fmt == "csv":
            rows.to_csv(path, mode="a", header=False, index=False)
        else:
            pd.concat([old, rows], ignore_index=True).to_parquet(path, index=False)
    elif fmt == "csv":
        rows.to_csv(path, index=False)
    else:
        rows.to_parquet(path, index=False)
    return rows


def read_experiments(path, *, parse_dates: bool = True) -> pd.DataFrame:
    """The experiment log at ``path`` (CSV or Parquet), oldest first.

    ``logged_at`` is parsed to a UTC timestamp unless ``parse_dates=False``.
    Raises FileNotFoundError when the file does not exist.
    """
    path = Path(path)
    fmt = _format(path)
    if not path.exists():
        raise FileNotFoundError(f"no experiment log at {path}")
    if fmt == "csv":
        frame = pd.read_csv(path, dtype={"fingerprint": str, "note": str}, keep_default_na=False)
        for column in [c for c in _METRICS if c in frame.columns]:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    else:
        frame = pd.read_parquet(path)
    if parse_dates and "logged_at" in frame.columns:
        frame["logged_at"] = pd.to_datetime(frame["logged_at"], utc=True)
    return frame
