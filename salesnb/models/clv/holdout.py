"""Holdout checks: predictions for a held-out period next to a naive baseline and what happened.

:func:`holdout_predictions` turns fitted BG/NBD (+ Gamma-Gamma) models into
holdout purchases and spend, :func:`naive_holdout_baseline` carries the
calibration purchase rate forward, :func:`evaluate_holdout` scores any set of
predictions against the actual holdout, and :func:`compare_on_holdout` runs
the whole comparison (BG/NBD + Gamma-Gamma, machine learning, naive baseline)
on a transaction table.

Whether a model ranks customers better than the baseline beyond chance is
Williams' test for two dependent correlations sharing one variable (here the
actual spend), as recommended by Steiger (1980) [1]_, applied to Spearman
correlations. It is a closed form of three correlations and ``n``; scipy and
statsmodels have no function for it, so it is written here.

References
----------
.. [1] Steiger, J. H. (1980), "Tests for comparing elements of a correlation
   matrix", Psychological Bulletin 87(2), 245-251, eq. 7.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from salesnb.models.clv._inputs import (
    _as_float_array,
    _require_columns,
    _summary_arrays,
    _to_pandas,
)
from salesnb.models.clv.beta_geo import BetaGeo
from salesnb.models.clv.gamma_gamma import GammaGamma
from salesnb.models.clv.ml import MLCustomerValue, features
from salesnb.models.clv.summary import rfm_summary

__all__ = [
    "compare_on_holdout",
    "evaluate_holdout",
    "holdout_predictions",
    "naive_holdout_baseline",
]


def holdout_predictions(
    beta_geo: BetaGeo,
    summary: Any,
    *,
    gamma_gamma: GammaGamma | None = None,
    duration: Any = None,
) -> pd.DataFrame:
    """BG/NBD (+ Gamma-Gamma) predictions of holdout purchases and spend.

    ``purchases = E[Y(duration) | x, t_x, T]`` and, with ``gamma_gamma``,
    ``spend = purchases * E[M | x, m]``.

    Parameters
    ----------
    beta_geo : BetaGeo
        Fitted on the calibration summary.
    summary : DataFrame
        Calibration summary from :func:`rfm_summary` with ``calibration_end``.
    gamma_gamma : GammaGamma, optional
        Fitted spend model; without it there is no ``spend`` column.
    duration : float or array-like, optional
        Holdout length; defaults to ``summary["duration_holdout"]``.

    Returns
    -------
    DataFrame
        ``purchases`` (and ``spend``) indexed like ``summary``.
    """
    frame, (x, tx, T) = _summary_arrays(summary, ["frequency", "recency", "T"], name="summary")
    if duration is None:
        _require_columns(frame, ["duration_holdout"], name="summary")
        duration = frame["duration_holdout"].to_numpy(dtype="float64")
    purchases = _as_float_array(beta_geo.conditional_expected_purchases(duration, x, tx, T))
    out = pd.DataFrame({"purchases": purchases}, index=frame.index)
    if gamma_gamma is not None:
        _require_columns(frame, ["monetary_value"], name="summary")
        profit = gamma_gamma.conditional_expected_average_profit(
            x, frame["monetary_value"].to_numpy(dtype="float64")
        )
        out["spend"] = purchases * _as_float_array(profit)
    return out


def naive_holdout_baseline(summary: Any) -> pd.DataFrame:
    """Naive holdout forecast: the calibration purchase rate carried forward.

    ``purchases = frequency / T * duration_holdout`` (repeat purchases per
    time unit since the first purchase, 0 when ``T == 0``) and
    ``spend = purchases * monetary_value`` (the historical mean repeat order
    value).

    Parameters
    ----------
    summary : DataFrame
        ``frequency``, ``T``, ``monetary_value`` and ``duration_holdout``.

    Returns
    -------
    DataFrame
        ``purchases`` and ``spend`` indexed like ``summary``.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [2, 0], "T": [20.0, 10.0],
    ...                   "monetary_value": [15.0, 0.0], "duration_holdout": [10.0, 10.0]})
    >>> naive_holdout_baseline(s)
       purchases  spend
    0        1.0   15.0
    1        0.0    0.0
    """
    frame, (x, T, m, duration) = _summary_arrays(
        summary, ["frequency", "T", "monetary_value", "duration_holdout"], name="summary"
    )
    rate = np.divide(x, T, out=np.zeros_like(x), where=T > 0)
    purchases = rate * duration
    return pd.DataFrame({"purchases": purchases, "spend": purchases * m}, index=frame.index)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation, NaN if either side is constant."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(stats.spearmanr(a, b).statistic)


def _williams_gain_p(r12: float, r13: float, r23: float, n: int) -> float:
    """One-sided p-value of ``rho12 > rho13`` given ``r23`` (Williams' T2, Steiger 1980 eq. 7).

    A correlation that is NaN (a constant prediction) counts as 0.
    """
    if math.isnan(r12) or n <= 3:
        return math.nan
    r13 = 0.0 if math.isnan(r13) else r13
    r23 = 0.0 if math.isnan(r23) else r23
    det = 1.0 - r12**2 - r13**2 - r23**2 + 2.0 * r12 * r13 * r23
    rbar = (r12 + r13) / 2.0
    denominator = 2.0 * (n - 1) / (n - 3) * det + rbar**2 * (1.0 - r23) ** 3
    if denominator <= 0:  # the predictions rank customers identically
        return math.nan if r12 == r13 else float(r12 < r13)
    t = (r12 - r13) * math.sqrt((n - 1) * (1.0 + r23) / denominator)
    return float(stats.t.sf(t, n - 3))


def evaluate_holdout(
    summary: Any,
    predictions: Mapping[str, pd.DataFrame | pd.Series],
    *,
    baseline: bool = True,
) -> pd.DataFrame:
    """Compare holdout predictions of several models with what happened.

    Parameters
    ----------
    summary : DataFrame
        From :func:`rfm_summary` with ``calibration_end``: needs
        ``frequency_holdout`` and ``spend_holdout`` (and, for the baseline,
        ``frequency``, ``T``, ``monetary_value``, ``duration_holdout``).
    predictions : dict of str to DataFrame or Series
        Per model, a frame with ``purchases`` and/or ``spend`` columns, or a
        Series of predicted spend, indexed by customer id. Every customer of
        ``summary`` must be present. Missing metrics are NaN.
    baseline : bool, default True
        Add the :func:`naive_holdout_baseline` as model ``"naive_baseline"``.

    Returns
    -------
    DataFrame
        One row per model (index ``model``) with

        - ``n_customers``
        - ``mae_purchases``, ``mae_spend``: mean absolute error per customer;
        - ``predicted_purchases``, ``actual_purchases``, ``predicted_spend``,
          ``actual_spend``: totals over customers;
        - ``spearman_spend``: Spearman rank correlation of predicted and
          actual spend (``scipy.stats.spearmanr``; NaN if either is constant);
        - ``top_decile_revenue_share``: share of actual holdout spend made by
          the 10% of customers (rounded up) with the highest predicted spend.
          Ties in the prediction are broken by the order of ``summary``;
        - ``spearman_gain_p`` (with ``baseline``): one-sided p-value that the
          model's Spearman correlation with actual spend exceeds the
          baseline's, by Williams' test for dependent correlations (Steiger
          1980, eq. 7) with ``df = n - 3``; a small value means the model
          ranks customers better than the baseline beyond chance. NaN for the
          baseline itself and for models without ``spend``.

    Raises
    ------
    ValueError
        If a column is missing or a prediction lacks some customers.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [2, 0, 1], "T": [20.0, 10.0, 10.0],
    ...                   "monetary_value": [15.0, 0.0, 8.0], "duration_holdout": 10.0,
    ...                   "frequency_holdout": [1, 0, 2], "spend_holdout": [12.0, 0.0, 20.0]})
    >>> guess = pd.Series([10.0, 2.0, 15.0], index=s.index)
    >>> table = evaluate_holdout(s, {"guess": guess})
    >>> table[["mae_spend", "predicted_spend", "actual_spend", "spearman_spend"]]
                    mae_spend  predicted_spend  actual_spend  spearman_spend
    model
    guess                 3.0             27.0          32.0             1.0
    naive_baseline        5.0             23.0          32.0             0.5
    """
    frame = _to_pandas(summary, name="summary")
    _require_columns(frame, ["frequency_holdout", "spend_holdout"], name="summary")
    actual_n = frame["frequency_holdout"].to_numpy(dtype="float64")
    actual_s = frame["spend_holdout"].to_numpy(dtype="float64")
    models: dict[str, pd.DataFrame | pd.Series] = dict(predictions)
    if baseline:
        models["naive_baseline"] = naive_holdout_baseline(frame)
    top_n = math.ceil(0.1 * len(frame))
    total_spend = actual_s.sum()
    base_spend = (
        naive_holdout_baseline(frame)["spend"].to_numpy(dtype="float64") if baseline else None
    )
    rows = []
    for name, pred in models.items():
        if isinstance(pred, pd.Series):
            pred = pred.rename("spend").to_frame()
        pred = _to_pandas(pred, name=f"predictions[{name!r}]")
        unknown = [c for c in pred.columns if c not in ("purchases", "spend")]
        if unknown or pred.columns.empty:
            raise ValueError(
                f"predictions[{name!r}] must have columns 'purchases' and/or 'spend', "
                f"got {list(pred.columns)}"
            )
        missing = frame.index.difference(pred.index)
        if len(missing):
            raise ValueError(
                f"predictions[{name!r}] lacks {len(missing)} customer(s) of summary, "
                f"e.g. {list(missing[:5])}"
            )
        pred = pred.reindex(frame.index)
        row: dict[str, Any] = {"model": name, "n_customers": len(frame)}
        if "purchases" in pred:
            pn = pred["purchases"].to_numpy(dtype="float64")
            row["mae_purchases"] = float(np.mean(np.abs(pn - actual_n)))
            row["predicted_purchases"] = float(pn.sum())
        row["actual_purchases"] = float(actual_n.sum())
        if "spend" in pred:
            ps = pred["spend"].to_numpy(dtype="float64")
            row["mae_spend"] = float(np.mean(np.abs(ps - actual_s)))
            row["predicted_spend"] = float(ps.sum())
            row["spearman_spend"] = _spearman(ps, actual_s)
            if base_spend is not None and name != "naive_baseline":
                row["spearman_gain_p"] = _williams_gain_p(
                    row["spearman_spend"],
                    _spearman(base_spend, actual_s),
                    _spearman(ps, base_spend),
                    len(frame),
                )
            top = np.argsort(-ps, kind="stable")[:top_n]
            row["top_decile_revenue_share"] = (
                float(actual_s[top].sum() / total_spend) if total_spend else math.nan
            )
        row["actual_spend"] = float(total_spend)
        rows.append(row)
    columns = [
        "n_customers",
        "mae_purchases",
        "mae_spend",
        "predicted_purchases",
        "actual_purchases",
        "predicted_spend",
        "actual_spend",
        "spearman_spend",
        "top_decile_revenue_share",
    ]
    if baseline:
        columns.append("spearman_gain_p")
    return pd.DataFrame(rows).set_index("model").reindex(columns=columns)


def _ml_training_window(
    first_day: pd.Timestamp, calibration_end: pd.Timestamp, shift: pd.Timestamp
) -> dict[str, Any]:
    """Where the ML model trains: features up to ``features_end``, targets after it.

    The training window is shifted back by one holdout length (``shift`` is
    ``calibration_end`` minus that length) unless the features would then
    cover less history than the target window; the target window is then
    shortened to half of the history before ``calibration_end``.
    """
    history = (calibration_end - first_day).days
    target_days = (calibration_end - shift).days
    shortened = 2 * target_days > history
    if shortened:
        target_days = history // 2
    if target_days < 1:
        raise ValueError(
            f"all purchases before the holdout are on {first_day.date()}: the machine-learning "
            "model needs purchases on at least two days before the calibration end "
            f"{calibration_end.date()} to learn from; choose a later calibration_end"
        )
    return {
        "features_end": calibration_end - pd.Timedelta(days=target_days),
        "target_end": calibration_end,
        "target_days": int(target_days),
        "shortened": bool(shortened),
    }


def compare_on_holdout(
    transactions: Any,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    observation_end: Any,
    holdout_months: int | None = None,
    calibration_end: Any = None,
    random_state: int = 0,
    n_threads: int | None = 1,
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """BG/NBD + Gamma-Gamma against ML CLV and the naive baseline on a holdout.

    The holdout is ``(calibration_end, observation_end]``: give the
    ``calibration_end`` date (e.g. 1997-09-30 for the published CDNOW split)
    or ``holdout_months`` (``calibration_end = observation_end -
    holdout_months``); with neither, the last 6 months are held out. The
    probabilistic models are fitted on the calibration summary. The ML model
    is trained honestly on an earlier window: features up to ``features_end``
    and targets in ``(features_end, calibration_end]``, with
    ``features_end = calibration_end - holdout length``; then it predicts the
    holdout from features at ``calibration_end`` (rate x duration, see
    :class:`MLCustomerValue`). When the data do not reach back that far (the
    features would cover less history than the target window), the target
    window is shortened to half of the history before ``calibration_end``
    and a note says so. All three are scored by :func:`evaluate_holdout`.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    customer_col, date_col, amount_col : str
        Column names.
    observation_end : date-like
        Last day of the holdout.
    holdout_months : int, optional
        Months held out; not with ``calibration_end``. Default 6.
    calibration_end : date-like, optional
        Last day of the calibration period; not with ``holdout_months``.
    random_state : int, default 0
        Seed of the ML model.
    n_threads : int or None, default 1
        Thread limit of the ML model (see :class:`MLCustomerValue`).

    Returns
    -------
    (table, calibration_end)
        The :func:`evaluate_holdout` table (one row per model, the naive
        baseline included) and the calibration end date. ``table.attrs``
        holds ``"ml_training"`` (``features_end``, ``target_end``,
        ``target_days``, ``shortened``) and ``"notes"``, sentences for the
        reader (empty when nothing needs saying).

    Raises
    ------
    ValueError
        Missing columns, both or an invalid ``holdout_months`` /
        ``calibration_end``, no customer with a purchase before the holdout,
        or all purchases before the holdout on one day (no ML training window).
    """
    columns = {"customer_col": customer_col, "date_col": date_col, "amount_col": amount_col}
    end = pd.Timestamp(observation_end)
    if calibration_end is not None and holdout_months is not None:
        raise ValueError(
            f"give either holdout_months ({holdout_months}) or calibration_end "
            f"({calibration_end}), not both"
        )
    if calibration_end is None:
        months = 6 if holdout_months is None else holdout_months
        cal_end = end - pd.DateOffset(months=months)
        shift = cal_end - pd.DateOffset(months=months)
        too_long = f"shorten holdout_months ({months})"
    else:
        cal_end = pd.Timestamp(calibration_end).normalize()
        if cal_end >= end:
            raise ValueError(
                f"calibration_end {cal_end.date()} is not before observation_end {end.date()}"
            )
        shift = cal_end - (end - cal_end)
        too_long = "choose a later calibration_end"
    summary = rfm_summary(transactions, observation_end=end, calibration_end=cal_end, **columns)
    if summary.empty:
        raise ValueError(
            f"no customer bought before the holdout start {cal_end.date()}; {too_long}"
        )
    # the earliest first purchase: T is in weeks since it, up to cal_end
    first_day = cal_end - pd.Timedelta(days=round(float(summary["T"].max()) * 7))
    window = _ml_training_window(first_day.normalize(), cal_end, shift)
    beta_geo = BetaGeo().fit(summary)
    gamma_gamma = GammaGamma().fit(summary.loc[summary["frequency"] > 0])
    train = features(
        transactions, calibration_end=window["features_end"], holdout_end=cal_end, **columns
    )
    test = features(transactions, calibration_end=cal_end, holdout_end=end, **columns)
    ml = MLCustomerValue(random_state=random_state, n_threads=n_threads).fit(train)
    table = evaluate_holdout(
        summary,
        {
            "BG/NBD + Gamma-Gamma": holdout_predictions(beta_geo, summary, gamma_gamma=gamma_gamma),
            "machine learning": ml.predict(test),
        },
    )
    notes = []
    if window["shortened"]:
        notes.append(
            f"The data start on {first_day:%Y-%m-%d}, too late to train the machine-learning "
            f"model on a window as long as the holdout ({(end - cal_end).days} days): its "
            f"training window was shortened to {window['target_days']} days "
            f"({window['features_end']:%Y-%m-%d} to {cal_end:%Y-%m-%d}), and its holdout "
            "prediction assumes each customer's spend rate stays the same over the longer "
            "holdout."
        )
    table.attrs = {"ml_training": window, "notes": notes}
    return table, cal_end
