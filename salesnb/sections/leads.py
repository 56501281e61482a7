"""Lead conversion: the conversion window of the headline KPI, the scoring-model sentence."""

from __future__ import annotations

import pandas as pd

from salesnb.sections.format import fmt_pct, md_escape

__all__ = [
    "CONVERSION_WINDOW_DAYS",
    "conversion_sentence",
]

#: Days after creation within which a lead's conversion counts in the headline KPI.
CONVERSION_WINDOW_DAYS = 60


def conversion_sentence(metrics: pd.DataFrame) -> str:
    """Compare the best conversion model with the best baseline (ROC AUC, top-decile lift).

    ``metrics`` is :attr:`salesnb.models.conversion.ConversionEvaluation.metrics`.

    >>> m = pd.DataFrame({"model": ["prior", "logistic"], "baseline": [True, False],
    ...                   "roc_auc": [0.5, 0.7], "top_decile_rate": [0.17, 0.46],
    ...                   "top_decile_lift": [1.0, 2.7], "base_rate": [0.17, 0.17]})
    >>> conversion_sentence(m)
    'Best model: **logistic**, ROC AUC 0.700 against 0.500 for the best baseline (prior). The 10% best-scored leads convert at 46.0%, **2.70x** the average of 17.0% (baseline: 1.00x).'
    """
    models = metrics.loc[~metrics["baseline"].astype(bool)].sort_values("roc_auc", ascending=False)
    bases = metrics.loc[metrics["baseline"].astype(bool)].sort_values("roc_auc", ascending=False)
    if models.empty:
        return "No model could be evaluated."
    m = models.iloc[0]
    text = f"Best model: **{md_escape(m['model'])}**, ROC AUC {m['roc_auc']:.3f}"
    if len(bases):
        b = bases.iloc[0]
        text += f" against {b['roc_auc']:.3f} for the best baseline ({md_escape(b['model'])})"
    text += (
        f". The 10% best-scored leads convert at {fmt_pct(m['top_decile_rate'])}, "
        f"**{m['top_decile_lift']:.2f}x** the average of {fmt_pct(m['base_rate'])}"
    )
    if len(bases):
        text += f" (baseline: {bases.iloc[0]['top_decile_lift']:.2f}x)"
    return text + "."
