"""Lead conversion pages: conversion compared at equal age, and whether scoring has skill.

Two jobs, both for the leads page (and the headline):

* **Equal age.** A quarter's leads keep converting for weeks after it ends, so
  the latest quarter compared with older ones always looks worse. Quarters
  are therefore compared as they stood at the same point of their own
  quarter (:func:`conversion_by_quarter`, rule in :func:`equal_age_rule`).
* **Skill.** The lead-scoring model is only worth using when it ranks leads
  better than the simple rule (the historical conversion rate of the lead's
  source). :func:`skill_sentence` says in one sentence, computed from the
  out-of-time evaluation, whether it did and by how much;
  :func:`leads_to_call` scores the open leads with the model when it did and
  with the simple rule when it did not; :func:`scoring_table` shows the
  evaluation with plain labels.
"""

from __future__ import annotations

import pandas as pd

from salesnb.models.conversion import (
    ConversionEvaluation,
    SkillCheck,
    scorer_words,
    skill_check,
)
from salesnb.periods import Period
from salesnb.sections.engine_inputs import collect, kpi
from salesnb.sections.format import md_escape
from salesnb.sections.leads import CONVERSION_WINDOW_DAYS
from salesnb.sections.period_rows import up_to

__all__ = [
    "equal_age_rule",
    "conversion_by_quarter",
    "scorer_name",
    "skill_sentence",
    "scoring_table",
    "leads_to_call",
    "gains_by_scorer",
]


def equal_age_rule(period: Period, as_of, *, within_days: int = CONVERSION_WINDOW_DAYS) -> str:
    """The equal-age rule in words, for a label: "within 60 days and by quarter end".

    With ``as_of`` on (or after) the quarter's last day every quarter counts the
    conversions made by its own end; earlier, by the same day of its quarter.

    >>> equal_age_rule(Period.parse("2025Q3"), "2025-09-30")
    'within 60 days and by quarter end'
    >>> equal_age_rule(Period.parse("2025Q3"), "2025-08-14")
    'within 60 days and by day 45 of the quarter'
    """
    day = pd.Timestamp(as_of).normalize()
    if day >= period.last_day:
        return f"within {within_days} days and by quarter end"
    return f"within {within_days} days and by day {(day - period.start).days + 1} of the quarter"


def conversion_by_quarter(
    leads, period: Period, *, as_of, within_days: int = CONVERSION_WINDOW_DAYS, by=None
) -> tuple[pd.DataFrame, str]:
    """Lead conversion by quarter of creation, every quarter at the same age, up to ``period``.

    Rule: a lead counts as converted when it converted within ``within_days``
    of creation and by the end of its own quarter (``as_of`` is the quarter's
    last day) or by the same day of its own quarter as ``as_of`` (a quarter still
    running, whose later leads are then left out in every quarter alike); see
    :func:`salesnb.kpi.lead_conversion_rate` with ``equal_age=True``. The
    latest quarter is thus compared like with like; its rate is lower than the
    final rate older quarters show once all their leads had their full window.

    Returns
    -------
    (table, label)
        ``table``: the KPI table (with comparison columns) up to ``period``;
        ``label``: ``"Lead conversion <rule>"`` for a sentence or a chart.
    """
    as_of = min(pd.Timestamp(as_of).normalize(), period.last_day)
    table = kpi.lead_conversion_rate(
        leads, as_of=as_of, within_days=within_days, equal_age=True, by=by
    )
    table = up_to(table, period)
    return table, f"Lead conversion {equal_age_rule(period, as_of, within_days=within_days)}"


def scorer_name(name: str, *, what: str = "leads", markdown: bool = False) -> str:
    """Plain name of a scorer of an evaluation table (``prior``, ``source_rate``, ``logistic``).

    With ``markdown``, the part taken from the data (a column name) is escaped.

    >>> scorer_name("source_rate"), scorer_name("prior"), scorer_name("hgb")
    ('source-only rule', 'same rate for every lead', 'lead-scoring model (gradient boosting)')
    >>> scorer_name("lead_source_rate", markdown=True)
    'lead source-only rule'
    """
    if not markdown or name == "prior" or name in ("logistic", "hgb"):
        return scorer_words(name, what=what)  # fixed words, nothing from the data
    if name.endswith("_rate"):
        return f"{md_escape(name[: -len('_rate')].replace('_', ' '))}-only rule"
    return md_escape(scorer_words(name, what=what))


def skill_sentence(
    metrics: pd.DataFrame,
    *,
    what: str = "leads",
    margin: float = 0.02,
    fallback: str | None = None,
) -> str:
    """One sentence: did the scoring model beat the simple rule on the most recent records?

    Computed from the out-of-time evaluation
    (:attr:`salesnb.models.conversion.ConversionEvaluation.metrics`) with
    :func:`salesnb.models.conversion.skill_check`: the best model beats the best
    simple rule when its ROC AUC (the chance that a converted record is scored
    above one that did not convert: 1.0 perfect, 0.5 chance) is at least
    ``margin`` higher. When it does not, the sentence says which scores are
    used instead (``fallback``, default: the simple rule's).

    >>> m = pd.DataFrame({"model": ["prior", "source_rate", "logistic"],
    ...                   "baseline": [True, True, False], "roc_auc": [0.5, 0.71, 0.88]})
    >>> skill_sentence(m)
    'The lead-scoring model (logistic regression) ranks leads better than the source-only rule: AUC **0.88** vs 0.71 on the most recent leads (1.0 is perfect, 0.5 is chance), so its scores are used.'
    >>> skill_sentence(m.assign(roc_auc=[0.5, 0.71, 0.72]))
    'No model beats the simple rule here: the lead-scoring model (logistic regression) reaches AUC 0.72 against **0.71** for the source-only rule on the most recent leads (1.0 is perfect, 0.5 is chance), so leads are ranked by the source-only rule.'
    """
    check = skill_check(metrics, margin=margin)
    model = scorer_name(check.model, what=what, markdown=True)
    base = scorer_name(check.baseline, what=what, markdown=True)
    scale = f"on the most recent {what} (1.0 is perfect, 0.5 is chance)"
    if check.beats:
        return (
            f"The {model} ranks {what} better than the {base}: "
            f"AUC **{check.model_auc:.2f}** vs {check.baseline_auc:.2f} {scale}, "
            "so its scores are used."
        )
    used = fallback or f"{what} are ranked by the {base}"
    return (
        f"No model beats the simple rule here: the {model} reaches AUC "
        f"{check.model_auc:.2f} against **{check.baseline_auc:.2f}** for the {base} "
        f"{scale}, so {used}."
    )


def scoring_table(metrics: pd.DataFrame, *, what: str = "leads") -> pd.DataFrame:
    """The evaluation as a manager reads it: plain names and labels, numbers as text.

    One row per scorer: what it is, whether it is a simple rule, how many
    recent records it was tested on, its ranking quality (ROC AUC), the
    conversion rate of its 10% best-scored records and how many times the
    average that is, and its probability error (Brier score: mean squared
    difference between the probability and the outcome, lower is better).

    >>> m = pd.DataFrame({"model": ["source_rate", "logistic"], "baseline": [True, False],
    ...                   "n_test": [400, 400], "roc_auc": [0.71, 0.88], "brier": [0.2, 0.15],
    ...                   "top_decile_rate": [0.4, 0.7], "top_decile_lift": [1.6, 2.8]})
    >>> scoring_table(m).iloc[1].tolist()
    ['lead-scoring model (logistic regression)', 'model', '400', '0.88', '70.0%', '2.8x', '0.150']
    """
    one = {"leads": "lead", "deals": "deal"}.get(what, what)
    return pd.DataFrame(
        {
            "Scores from": [scorer_name(str(n), what=what) for n in metrics["model"]],
            "Kind": ["simple rule" if b else "model" for b in metrics["baseline"].astype(bool)],
            f"Recent {what} tested": [f"{int(n):,}" for n in metrics["n_test"]],
            "Ranking quality (AUC: 1 perfect, 0.5 chance)": [
                f"{v:.2f}" for v in metrics["roc_auc"]
            ],
            f"Top 10% of {what}: converted": [f"{v:.1%}" for v in metrics["top_decile_rate"]],
            "Top 10% vs average": [f"{v:.1f}x" for v in metrics["top_decile_lift"]],
            f"Probability error per {one} (lower is better)": [
                f"{v:.3f}" for v in metrics["brier"]
            ],
        }
    )


def leads_to_call(
    evaluation: ConversionEvaluation,
    leads: pd.DataFrame,
    *,
    as_of,
    within_days: int = CONVERSION_WINDOW_DAYS,
    n: int = 10,
    margin: float = 0.02,
) -> tuple[pd.DataFrame, SkillCheck]:
    """Open leads ranked by the scores that earned it: the model's if it beat the rule, else the rule's.

    Open leads: created in the ``within_days`` days up to and including ``as_of`` (when
    ``created_at`` exists) and not converted by ``as_of`` (no ``converted_at``
    by then, or ``converted`` False when there are no dates). The scorer is
    :attr:`~salesnb.models.conversion.SkillCheck.chosen` of
    :func:`~salesnb.models.conversion.skill_check`; ties keep the newest lead first.

    Returns
    -------
    (table, check)
        ``table``: ``lead_id``, ``created_at`` and ``source`` when present,
        ``chance_to_convert``; the ``n`` highest first. ``check``: the skill check.
    """
    leads = collect(leads)  # on an engine: the leads (a small table) come back to pandas
    check = skill_check(evaluation.metrics, margin=margin)
    scorer = evaluation.models[check.chosen]
    day_after = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    if "created_at" in leads.columns:
        created = pd.to_datetime(leads["created_at"])
        keep = (created < day_after) & (created >= day_after - pd.Timedelta(days=within_days))
    else:
        keep = pd.Series(True, index=leads.index)
    if "converted_at" in leads.columns:
        keep &= ~(pd.to_datetime(leads["converted_at"]) < day_after)
    elif "converted" in leads.columns:
        keep &= ~leads["converted"].astype(bool)
    rows = leads.loc[keep.to_numpy()]
    columns = [c for c in ("lead_id", "created_at", "source") if c in rows.columns]
    out = rows[columns].copy()
    out["chance_to_convert"] = scorer.predict_proba(rows)[:, 1] if len(rows) else []
    order = [c for c in ("chance_to_convert", "created_at") if c in out.columns]
    out = out.sort_values(order, ascending=False, kind="stable").head(n)
    return out.reset_index(drop=True), check


def gains_by_scorer(gains: pd.DataFrame, *, what: str = "leads") -> pd.DataFrame:
    """The gains table of an evaluation with a ``scorer`` column of plain names, for the chart.

    >>> g = pd.DataFrame({"model": ["source_rate", "hgb"], "cumulative_gain": [0.2, 0.3]})
    >>> gains_by_scorer(g)["scorer"].tolist()
    ['source-only rule', 'lead-scoring model (gradient boosting)']
    """
    return gains.assign(scorer=[scorer_name(str(m), what=what) for m in gains["model"]])
