"""Revenue sections: revenue against target, the next-quarter forecast and its chart frame."""

from __future__ import annotations

import pandas as pd

from salesnb.periods import Period
from salesnb.sections.format import _missing, fmt_money, fmt_pct, md_escape
from salesnb.sections.period_rows import row_for
from salesnb.sections.settings import calendar_quarter_text

__all__ = [
    "attainment_sentence",
    "forecast_sentence",
    "history_and_forecast",
]


def attainment_sentence(
    table: pd.DataFrame | None, period: Period, *, currency: str | None = None, **where
) -> str:
    """Revenue against target for the quarter (columns ``actual, target, gap, attainment``).

    >>> t = pd.DataFrame({"period": ["2025Q3"], "actual": [90.0], "target": [100.0],
    ...                   "gap": [-10.0], "attainment": [0.9]})
    >>> attainment_sentence(t, Period.parse("2025Q3"))
    'Revenue of $90 against a target of $100: **90.0% of target** (short by $10).'
    """
    row = row_for(table, period, **where)
    if row is None or _missing(row.get("target")):
        return f"No revenue target is set for {period.title}."
    gap = row.get("gap")
    tail = ""
    if not _missing(gap):
        tail = (
            f" (short by {fmt_money(-gap, currency=currency)})"
            if gap < 0
            else f" (ahead by {fmt_money(gap, currency=currency)})"
        )
    return (
        f"Revenue of {fmt_money(row['actual'], currency=currency)} against a target of "
        f"{fmt_money(row['target'], currency=currency)}: **{fmt_pct(row['attainment'])} of "
        f"target**{tail}."
    )


def forecast_sentence(
    forecast: pd.DataFrame, model: str, *, coverage: float = 0.8, currency: str | None = None
) -> str:
    """Summary of a next-quarter forecast (columns ``quarter``, ``forecast``, ``model``).

    >>> f = pd.DataFrame({"quarter": ["2025Q4"] * 3, "forecast": [10.0, 20.0, 30.0]})
    >>> forecast_sentence(f, "seasonal_naive")
    'Forecast for **2025Q4**: **$60** in total (model: seasonal naive); the table gives each period with its 80% prediction interval.'
    """
    if forecast is None or forecast.empty:
        return "No forecast could be made."
    quarter = (
        calendar_quarter_text(forecast["quarter"].iloc[0])
        if "quarter" in forecast.columns
        else "next quarter"
    )
    total = float(forecast["forecast"].sum())
    return (
        f"Forecast for **{md_escape(quarter)}**: **{fmt_money(total, currency=currency)}** in "
        f"total (model: {md_escape(str(model).replace('_', ' '))}); the table gives each "
        f"period with its {coverage:.0%} prediction interval."
    )


def history_and_forecast(
    history: pd.Series,
    forecast: pd.DataFrame,
    *,
    periods: int = 12,
    label_format: str = "%Y-%m",
) -> pd.DataFrame:
    """One frame for :func:`salesnb.plot.forecast_chart`: recent history, then the forecast.

    Parameters
    ----------
    history : pandas.Series
        Actual values indexed by period start (e.g. monthly revenue).
    forecast : pandas.DataFrame
        Columns ``period`` (period start), ``forecast``, ``lower``, ``upper``.
    periods : int
        Number of history periods to keep.

    Returns
    -------
    pandas.DataFrame
        ``period`` (label), ``actual``, ``forecast``, ``lower``, ``upper``; the
        last actual period also carries the forecast value so the lines join.

    >>> h = pd.Series([10.0, 12.0], index=pd.to_datetime(["2025-01-01", "2025-02-01"]))
    >>> f = pd.DataFrame({"period": pd.to_datetime(["2025-03-01"]), "forecast": [13.0],
    ...                   "lower": [11.0], "upper": [15.0]})
    >>> history_and_forecast(h, f).to_dict("list")["forecast"]
    [nan, 12.0, 13.0]
    """
    missing = [c for c in ("period", "forecast", "lower", "upper") if c not in forecast.columns]
    if missing:
        raise KeyError(f"history_and_forecast: forecast lacks column(s) {missing}")
    hist = history.tail(periods)
    past = pd.DataFrame({"start": pd.to_datetime(hist.index), "actual": hist.to_numpy(float)})
    past["forecast"] = float("nan")
    past["lower"] = float("nan")
    past["upper"] = float("nan")
    if len(past):
        past.loc[past.index[-1], "forecast"] = past["actual"].iloc[-1]
    future = pd.DataFrame(
        {
            "start": pd.to_datetime(forecast["period"]),
            "actual": float("nan"),
            "forecast": forecast["forecast"].to_numpy(float),
            "lower": forecast["lower"].to_numpy(float),
            "upper": forecast["upper"].to_numpy(float),
        }
    )
    out = pd.concat([past, future], ignore_index=True)
    out.insert(0, "period", out.pop("start").dt.strftime(label_format))
    return out
