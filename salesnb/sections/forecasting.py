"""Forecast sections in plain words: the skill of the chosen model, its bias, region forecasts.

Every sentence is computed from an evaluation (:func:`salesnb.models.forecast.choose_model`,
:func:`~salesnb.models.forecast.actual_vs_projected`,
:func:`~salesnb.models.forecast.backtest_hierarchy`); model names are shown
with their plain labels (:func:`~salesnb.models.forecast.model_label`).
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from salesnb.models.forecast import (
    ModelChoice,
    backtest_hierarchy,
    choose_reconciliation,
    forecast_hierarchy,
    hierarchy_frame,
    model_label,
    projection_bias,
)
from salesnb.sections.format import fmt_money, fmt_pct, md_escape

__all__ = [
    "forecast_skill_sentence",
    "bias_sentence",
    "metrics_explanation",
    "backtest_table",
    "region_forecast_table",
    "reconciliation_sentence",
    "GroupForecast",
    "group_forecast",
]

_UNITS = {"MS": "month", "W-MON": "week"}
_METHOD_LABELS = {
    "base": "each series on its own (does not add up)",
    "bottom_up": "each part forecast, then summed",
    "wls_struct": "balanced between the total and its parts (equal weights)",
    "wls_var": "balanced between the total and its parts (weighted by how noisy each is)",
    "seasonal_naive": "seasonal naive (same period last year)",
}


def _ahead(horizon: int, freq: str) -> str:
    unit = _UNITS.get(freq, "period")
    return f"{horizon} {unit}{'s' if horizon != 1 else ''} ahead"


def forecast_skill_sentence(choice: ModelChoice) -> str:
    """Did the chosen model beat seasonal naive at the forecast horizon, and by how much.

    >>> from types import SimpleNamespace as NS
    >>> c = NS(model="ridge", best="ridge", baseline="seasonal_naive", horizon=3, freq="MS",
    ...        metric="wape", score=0.113, baseline_score=0.141, best_score=0.113,
    ...        improvement=0.199, beats_baseline=True)
    >>> forecast_skill_sentence(c)
    'Backtested 3 months ahead (the horizon forecast here), the chosen model, linear regression on recent periods and the calendar, beat the simple rule of repeating the same period last year by 19.9% (error 11.3% of revenue against 14.1%).'
    >>> forecast_skill_sentence(NS(**{**vars(c), "model": "seasonal_naive", "beats_baseline": False,
    ...                      "improvement": 0.02}))
    'No model beats the simple rule here: 3 months ahead the best model, linear regression on recent periods and the calendar, was only 2.0% more accurate than repeating the same period last year (error 11.3% of revenue against 14.1%), so the forecast repeats last year.'
    """
    ahead = _ahead(choice.horizon, choice.freq)
    errors = (
        f"error {fmt_pct(choice.best_score)} of revenue against {fmt_pct(choice.baseline_score)}"
        if choice.metric == "wape"
        else f"{choice.metric} {choice.best_score:.3g} against {choice.baseline_score:.3g}"
    )
    if choice.beats_baseline:
        return (
            f"Backtested {ahead} (the horizon forecast here), the chosen model, "
            f"{md_escape(model_label(choice.model))}, beat the simple rule of repeating the same "
            f"period last year by {fmt_pct(choice.improvement)} ({errors})."
        )
    if not choice.best or math.isnan(choice.improvement):
        return (
            f"No model beats the simple rule here: {ahead} no other model could be scored, "
            "so the forecast repeats the same period last year."
        )
    how = (
        f"was only {fmt_pct(choice.improvement)} more accurate than"
        if choice.improvement > 0
        else f"was {fmt_pct(-choice.improvement)} less accurate than"
    )
    return (
        f"No model beats the simple rule here: {ahead} the best model, "
        f"{md_escape(model_label(choice.best))}, {how} repeating the same period last year "
        f"({errors}), so the forecast repeats last year."
    )


def bias_sentence(projected: pd.DataFrame | None) -> str:
    """Whether the model under- or over-forecast past quarters, in words.

    >>> p = pd.DataFrame({"quarter": ["Q1", "Q2", "Q3", "Q4"], "error": [-5.0, -9, -12, -8],
    ...                   "pct_error": [-0.05, -0.10, -0.12, -0.114], "model": ["ridge"] * 4})
    >>> bias_sentence(p)
    'The chosen model under-forecast each of the last 4 quarters, by 9.6% on average: treat the forecast as a floor rather than a midpoint.'
    >>> bias_sentence(p.assign(error=[-5.0, 3, -2, 1], pct_error=[-0.05, 0.03, -0.02, 0.01]))
    'The chosen model under-forecast 2 of the last 4 quarters and over-forecast 2 (on average 0.8% low): no consistent bias.'
    """
    if projected is None or projected.empty:
        return "No past quarter could be projected, so the forecast's bias is unknown."
    b = projection_bias(projected)
    n, mean = b["quarters"], b["mean_pct_error"]
    size = "" if math.isnan(mean) else f", by {fmt_pct(abs(mean))} on average"
    if b["under"] == n:
        return (
            f"The chosen model under-forecast each of the last {n} quarters{size}: treat the "
            "forecast as a floor rather than a midpoint."
        )
    if b["over"] == n:
        return (
            f"The chosen model over-forecast each of the last {n} quarters{size}: treat the "
            "forecast as a ceiling rather than a midpoint."
        )
    side = (
        ""
        if math.isnan(mean)
        else f" (on average {fmt_pct(abs(mean))} {'low' if mean < 0 else 'high'})"
    )
    return (
        f"The chosen model under-forecast {b['under']} of the last {n} quarters and "
        f"over-forecast {b['over']}{side}: no consistent bias."
    )


def metrics_explanation(choice: ModelChoice, *, coverage: float = 0.8) -> str:
    """One sentence on how to read the backtest table.

    >>> from types import SimpleNamespace as NS
    >>> metrics_explanation(NS(horizon=3, freq="MS", backtest=NS(metrics=pd.DataFrame(
    ...     {"folds": [4]}))))[:90]
    'Each model forecast 3 months ahead from 4 past starting points and was compared with what '
    """
    folds = int(choice.backtest.metrics["folds"].max())
    return (
        f"Each model forecast {_ahead(choice.horizon, choice.freq)} from {folds} past starting "
        "points and was compared with what happened. *Error* is the total miss as a share of "
        "revenue (lower is better); *bias* is the net over- (+) or under-forecast (-); "
        f"*in interval* is how often the actual fell inside the {coverage:.0%} interval (it "
        f"should be near {coverage:.0%}); *against last year's rule* below 100% means better "
        "than repeating the same period last year."
    )


def backtest_table(choice: ModelChoice) -> pd.DataFrame:
    """The backtest metrics with plain model names and column labels, best first.

    Columns: ``model``, ``chosen`` ("yes" on the chosen row), ``error``
    (WAPE), ``bias`` (bias_pct), ``in interval`` (coverage), ``against last
    year's rule`` (wape_vs_baseline).
    """
    m = choice.backtest.metrics.sort_values("wape", kind="stable")
    return pd.DataFrame(
        {
            "model": [model_label(name) for name in m["model"]],
            "chosen": ["yes" if name == choice.model else "" for name in m["model"]],
            "error": m["wape"].to_numpy(),
            "bias": m["bias_pct"].to_numpy(),
            "in interval": m["coverage"].to_numpy(),
            "against last year's rule": m["wape_vs_baseline"].to_numpy(),
        }
    )


def region_forecast_table(forecasts: pd.DataFrame, *, label_format: str = "%Y-%m") -> pd.DataFrame:
    """Reconciled forecasts as one row per period, one column per series (total first).

    >>> f = pd.DataFrame({"period": pd.to_datetime(["2025-01-01"] * 3),
    ...                   "series": ["total", "East", "West"], "forecast": [30.0, 10.0, 20.0]})
    >>> region_forecast_table(f)
        period  total  East  West
    0  2025-01   30.0  10.0  20.0
    """
    order = list(dict.fromkeys(forecasts["series"]))
    wide = forecasts.pivot(index="period", columns="series", values="forecast")[order]
    wide.columns.name = None
    wide = wide.reset_index()
    wide["period"] = wide["period"].dt.strftime(label_format)
    return wide


def reconciliation_sentence(
    table: pd.DataFrame,
    method: str,
    *,
    by: str = "region",
    forecasts: pd.DataFrame | None = None,
    company_forecast: float | None = None,
    currency: str | None = None,
) -> str:
    """Which reconciliation was used and how it did against seasonal naive on the groups.

    >>> t = pd.DataFrame({"method": ["base", "wls_var", "seasonal_naive"],
    ...                   "series": ["all groups"] * 3, "wape": [0.257, 0.246, 0.317],
    ...                   "mae": [9894.0, 9475.0, 12204.0], "horizon": [3] * 3})
    >>> reconciliation_sentence(t, "wls_var")
    'Region forecasts add up to the total in every period. Method: balanced between the total and its parts (weighted by how noisy each is); backtested, its region error was 24.6% of revenue against 31.7% for repeating the same period last year and 25.7% for each region on its own.'

    With the reconciled ``forecasts`` (:func:`~salesnb.models.forecast.forecast_hierarchy`
    rows of the quarter) and the ``company_forecast`` shown above (its sum), a
    second sentence compares the two totals.
    """
    rows = table[table["series"] == "all groups"].set_index("method")
    ref = rows.loc["seasonal_naive", "wape"]
    head = f"{by.capitalize()} forecasts add up to the total in every period."
    tail = ""
    if forecasts is not None and company_forecast:
        total = float(forecasts.loc[forecasts["series"] == "total", "forecast"].sum())
        gap = total / company_forecast - 1
        tail = (
            f" Together they forecast {fmt_money(total, currency=currency)} for the quarter, "
            f"{fmt_pct(abs(gap))} {'below' if gap < 0 else 'above'} the company forecast above "
            f"({fmt_money(company_forecast, currency=currency)}), which is made from the total alone."
        )
    return _method_sentence(rows, method, ref, head, by) + tail


def _method_sentence(rows, method, ref, head, by) -> str:
    if method == "seasonal_naive":
        best = rows.drop(["seasonal_naive"], errors="ignore")["wape"].min()
        return (
            f"{head} No reconciled forecast beat repeating the same period last year on the "
            f"{by}s (best error {fmt_pct(best)} against {fmt_pct(ref)}), so the {by} forecasts "
            "repeat last year (which adds up by itself)."
        )
    return (
        f"{head} Method: {_METHOD_LABELS.get(method, method)}; backtested, its {by} error was "
        f"{fmt_pct(rows.loc[method, 'wape'])} of revenue against {fmt_pct(ref)} for repeating "
        f"the same period last year and {fmt_pct(rows.loc['base', 'wape'])} for each {by} on "
        "its own."
    )


@dataclasses.dataclass(frozen=True)
class GroupForecast:
    """Next-quarter forecasts of a total and its groups that add up (:func:`group_forecast`)."""

    #: reconciliation used (``bottom_up``, ``wls_struct``, ``wls_var`` or ``seasonal_naive``)
    method: str
    #: backtest of every reconciliation (:func:`~salesnb.models.forecast.backtest_hierarchy`)
    backtest: pd.DataFrame
    #: forecast rows of the quarter: ``period, series, forecast, ...`` (``series`` "total" first)
    forecasts: pd.DataFrame
    #: one row per group: the group's name and its quarter's ``forecast``
    quarter_totals: pd.DataFrame
    #: series columns (total and groups) of the forecast table
    columns: list


def group_forecast(
    series_by: pd.DataFrame,
    model,
    next_quarter: pd.DataFrame,
    *,
    by: str,
    test_periods: int,
    coverage: float = 0.8,
) -> GroupForecast:
    """Forecast every group of ``series_by`` for the periods of ``next_quarter``, adding up.

    Rule: the groups and their total (:func:`~salesnb.models.forecast.hierarchy_frame`)
    are backtested with ``model`` under each reconciliation
    (:func:`~salesnb.models.forecast.backtest_hierarchy`); the one
    :func:`~salesnb.models.forecast.choose_reconciliation` picks forecasts the
    periods of ``next_quarter`` — seasonal naive (bottom-up, which adds up by
    itself) when no reconciled forecast beat it. ``quarter_totals`` sums each
    group's forecasts over the quarter.

    Parameters
    ----------
    series_by : pandas.DataFrame
        :func:`~salesnb.models.forecast.revenue_series` with ``by``.
    model
        The model chosen for the total (a name or model object).
    next_quarter : pandas.DataFrame
        The total's forecast rows (their ``period`` values are the quarter).
    by : str
        Name of the group column (for ``quarter_totals``).
    test_periods, coverage
        As :func:`~salesnb.models.forecast.backtest_hierarchy` and
        :func:`~salesnb.models.forecast.forecast_hierarchy`.
    """
    groups = hierarchy_frame(series_by)
    backtest = backtest_hierarchy(groups, model, test_periods=test_periods)
    method = choose_reconciliation(backtest)
    naive = method == "seasonal_naive"
    rows = forecast_hierarchy(
        groups,
        method if naive else model,
        method="bottom_up" if naive else method,
        coverage=coverage,
    )
    rows = rows[rows["period"].isin(next_quarter["period"])]
    totals = (
        rows[rows["series"] != "total"]
        .groupby("series", sort=False)["forecast"]
        .sum()
        .rename_axis(by)
        .reset_index()
    )
    return GroupForecast(method, backtest, rows, totals, list(groups.columns))
