"""Customer value: which model the holdout check trusts, its skill sentence, the ranking it gives.

The customer-value page ranks customers with the model that won its own
holdout check (:func:`salesnb.models.clv.compare_on_holdout`), not with a
fixed one. A model wins when it ranked customers' holdout spend better than
the naive baseline beyond chance (``spearman_gain_p < 0.05``, Williams' test
for dependent correlations, see :func:`salesnb.models.clv.evaluate_holdout`);
among winners, the highest Spearman correlation is chosen. When none wins, the
page says so and ranks by the baseline, the simple rule "past spend carried
forward". The ranking is what the page shows, so the criterion is a ranking
one (Spearman), not the mean absolute error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from salesnb.models.clv import VALUE_METHODS, predicted_customer_value
from salesnb.sections.format import fmt_money, fmt_number, fmt_pct

__all__ = [
    "SKILL_P_VALUE",
    "HoldoutVerdict",
    "customer_value_ranking",
    "holdout_table",
    "holdout_verdict",
    "top_customers_intro",
]

#: Largest one-sided p-value of ``spearman_gain_p`` that counts as beating the baseline.
SKILL_P_VALUE = 0.05

_BASELINE = VALUE_METHODS["naive"]
_METHOD_OF = {name: method for method, name in VALUE_METHODS.items()}
_SIMPLE_RULE = "past repeat spend per week carried forward"


@dataclass(frozen=True)
class HoldoutVerdict:
    """What the holdout check says about the customer-value models.

    Attributes
    ----------
    model : str
        Row of the holdout table whose ranking the page uses (the baseline's
        ``"naive_baseline"`` when no model beat it).
    method : str
        Its :func:`~salesnb.models.clv.predicted_customer_value` method
        (``"bgnbd"``, ``"ml"`` or ``"naive"``).
    beats_baseline : bool
        Whether a model beat the baseline.
    sentence : str
        One sentence for the reader, computed from the evaluation.
    """

    model: str
    method: str
    beats_baseline: bool
    sentence: str


def _label(model: str, *, start: bool = False) -> str:
    return model[:1].upper() + model[1:] if start else model


def holdout_verdict(table: pd.DataFrame, *, p_value: float = SKILL_P_VALUE) -> HoldoutVerdict:
    """Pick the model the page should rank customers with, and say why in one sentence.

    Rule: the models (rows other than ``"naive_baseline"``) with
    ``spearman_gain_p < p_value`` beat the baseline; the one with the highest
    ``spearman_spend`` wins. With no winner the baseline ranks customers.

    Parameters
    ----------
    table : DataFrame
        From :func:`salesnb.models.clv.compare_on_holdout` (index ``model``, or
        a ``model`` column): ``n_customers``, ``spearman_spend``,
        ``spearman_gain_p`` and a ``"naive_baseline"`` row.
    p_value : float, default 0.05
        Largest one-sided p-value that counts as a gain beyond chance.

    Returns
    -------
    HoldoutVerdict

    Raises
    ------
    ValueError
        If a column or the baseline row is missing, or a model is unknown to
        :data:`salesnb.models.clv.VALUE_METHODS`.

    Examples
    --------
    >>> t = pd.DataFrame({"model": ["BG/NBD + Gamma-Gamma", "naive_baseline"],
    ...                   "n_customers": [2357, 2357], "spearman_spend": [0.41, 0.33],
    ...                   "spearman_gain_p": [0.001, float("nan")]})
    >>> holdout_verdict(t).sentence
    "BG/NBD + Gamma-Gamma ranked customers' next-period spend better than the simple rule (how well it ranks customers, Spearman 0.41 vs 0.33, 1 is a perfect ranking, 0 is chance; on the holdout, 2,357 customers); the list below uses it."
    """
    frame = table.set_index("model") if "model" in table.columns else table
    missing = [
        c for c in ("n_customers", "spearman_spend", "spearman_gain_p") if c not in frame.columns
    ]
    if missing:
        raise ValueError(
            f"holdout table is missing column(s) {missing}; it has {list(frame.columns)} "
            "(expected the table of compare_on_holdout)"
        )
    if _BASELINE not in frame.index:
        raise ValueError(
            f"holdout table has no {_BASELINE!r} row (models: {list(frame.index)}); "
            "evaluate with baseline=True"
        )
    unknown = [m for m in frame.index if m not in _METHOD_OF]
    if unknown:
        raise ValueError(f"holdout table has model(s) {unknown}; known: {sorted(_METHOD_OF)}")
    base_rho = float(frame.loc[_BASELINE, "spearman_spend"])
    n = int(frame.loc[_BASELINE, "n_customers"])
    models = frame.drop(index=_BASELINE)
    winners = models.loc[models["spearman_gain_p"] < p_value].sort_values(
        "spearman_spend", ascending=False, kind="stable"
    )
    if len(winners):
        model = str(winners.index[0])
        rho = float(winners["spearman_spend"].iloc[0])
        sentence = (
            f"{_label(model, start=True)} ranked customers' next-period spend better than "
            f"the simple rule (how well it ranks customers, Spearman {rho:.2f} vs "
            f"{_rho(base_rho)}, 1 is a perfect ranking, 0 is chance; on the holdout, "
            f"{fmt_number(n)} customers); the list below uses it."
        )
        return HoldoutVerdict(model, _METHOD_OF[model], True, sentence)
    scores = ", ".join(f"{_label(m)} {_rho(r)}" for m, r in models["spearman_spend"].items())
    sentence = (
        "No model beats the simple rule here: on the holdout, the Spearman rank correlation "
        f"with next-period spend was {scores or 'not computed'} against {_rho(base_rho)} for "
        f"the simple rule ({_SIMPLE_RULE}; {fmt_number(n)} customers; a gain must be beyond "
        f"chance, one-sided p < {p_value:g}), so the list below ranks customers by their "
        "past spend."
    )
    return HoldoutVerdict(_BASELINE, "naive", False, sentence)


def holdout_table(table: pd.DataFrame, *, currency: str | None = None) -> pd.DataFrame:
    """The holdout check as a manager reads it: plain model names and labels, numbers as text.

    One row per model of :func:`salesnb.models.clv.compare_on_holdout` (index
    ``model`` or a ``model`` column); the baseline row is called "simple rule (past
    repeat spend per week carried forward)". Money without decimals, the Spearman
    correlation with 2 decimals, shares with 1.

    >>> t = pd.DataFrame({"model": ["machine learning", "naive_baseline"],
    ...                   "n_customers": [2486, 2486], "mae_spend": [399.2, 544.0],
    ...                   "predicted_spend": [700405.0, 1246099.0],
    ...                   "actual_spend": [863792.0, 863792.0], "spearman_spend": [0.4021, 0.2604],
    ...                   "top_decile_revenue_share": [0.36573, 0.35094]})
    >>> holdout_table(t).iloc[1].tolist()
    ['simple rule (past repeat spend per week carried forward)', '2,486', '$544', '$1,246,099', '$863,792', '0.26', '35.1%']
    """
    frame = table.reset_index() if "model" not in table.columns else table
    return pd.DataFrame(
        {
            "Model": [
                f"simple rule ({_SIMPLE_RULE})" if m == _BASELINE else str(m)
                for m in frame["model"]
            ],
            "Customers": [fmt_number(v) for v in frame["n_customers"]],
            "Average miss per customer": [
                fmt_money(v, currency=currency) for v in frame["mae_spend"]
            ],
            "Predicted spend": [fmt_money(v, currency=currency) for v in frame["predicted_spend"]],
            "Actual spend": [fmt_money(v, currency=currency) for v in frame["actual_spend"]],
            "Ranking quality (Spearman: 1 perfect, 0 none)": [
                _rho(float(v)) for v in frame["spearman_spend"]
            ],
            "Revenue share of the top 10% ranked": [
                fmt_pct(v) for v in frame["top_decile_revenue_share"]
            ],
        }
    )


def _rho(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def customer_value_ranking(
    transactions: Any,
    verdict: HoldoutVerdict,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    observation_end: Any,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
) -> pd.DataFrame:
    """Customers by predicted value, with the method of ``verdict``.

    :func:`salesnb.models.clv.predicted_customer_value` with
    ``method=verdict.method``: the same columns whichever method, highest
    value first.
    """
    return predicted_customer_value(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        observation_end=observation_end,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
        method=verdict.method,
    )


def top_customers_intro(
    verdict: HoldoutVerdict,
    *,
    top: int,
    value: pd.DataFrame | None = None,
    horizon_months: int = 12,
    currency: str | None = None,
) -> str:
    """The text above the top-customers table: what the list is, and how far to trust it.

    With a model that beat the baseline, the list is a forecast and "these
    accounts deserve the most care". Without, it is a list of past spend and
    says so. With ``value`` (from :func:`customer_value_ranking`) the total
    of the ``top`` customers and its share of all customers are added.

    Examples
    --------
    >>> v = HoldoutVerdict("naive_baseline", "naive", False, "")
    >>> top_customers_intro(v, top=5)
    'No model forecast customer spend better than the simple rule, so these are the 5 customers with the highest past repeat spend per week carried forward: a list of past spend, not a forecast of who will be worth the most.'
    """
    if verdict.beats_baseline:
        text = (
            f"The {top} customers with the highest value predicted by {verdict.model}. "
            "These accounts deserve the most care; a high value with a long time since the "
            "last order is a customer at risk."
        )
    else:
        text = (
            "No model forecast customer spend better than the simple rule, so these are the "
            f"{top} customers with the highest {_SIMPLE_RULE}: a list of past spend, not a "
            "forecast of who will be worth the most."
        )
    if value is not None and len(value):
        total = float(value["predicted_value"].sum())
        shown = float(value["predicted_value"].head(top).sum())
        verb = "are expected to spend" if verdict.beats_baseline else "would spend at that rate"
        share = fmt_pct(shown / total) if total > 0 else "n/a"
        text += (
            f" Together they {verb} **{fmt_money(shown, currency=currency)}** in the next "
            f"{horizon_months} months (discounted), {share} of the value for all customers."
        )
    return text
