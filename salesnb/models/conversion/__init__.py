"""Conversion scoring: will a lead convert, will an open deal be won?

Modules: :mod:`~salesnb.models.conversion.outcomes` (targets: which records have
an outcome), :mod:`~salesnb.models.conversion.features` (leaking and identifier
columns, placeholders), :mod:`~salesnb.models.conversion.split` (out-of-time
split), :mod:`~salesnb.models.conversion.baselines` (one-feature rate baseline),
:mod:`~salesnb.models.conversion.model` (the conversion model),
:mod:`~salesnb.models.conversion.evaluation` (out-of-time evaluation, gains and
calibration tables) and :mod:`~salesnb.models.conversion.scoring` (scores of
open records, win probabilities for the pipeline-weighted forecast).
"""

from salesnb.models.conversion.baselines import RateBaseline
from salesnb.models.conversion.evaluation import (
    ConversionEvaluation,
    SkillCheck,
    calibration_table,
    evaluate_classifiers,
    evaluate_conversion,
    gains_table,
    scorer_words,
    skill_check,
)
from salesnb.models.conversion.features import (
    DEFAULT_PLACEHOLDERS,
    ID_COLUMNS,
    LEAKAGE_COLUMNS,
    PlaceholderToMissing,
    snake_case,
)
from salesnb.models.conversion.model import ConversionModel
from salesnb.models.conversion.outcomes import training_data
from salesnb.models.conversion.scoring import (
    PipelineProbability,
    pipeline_win_probability,
    score,
)
from salesnb.models.conversion.split import time_split

__all__ = [
    "LEAKAGE_COLUMNS",
    "ID_COLUMNS",
    "DEFAULT_PLACEHOLDERS",
    "snake_case",
    "training_data",
    "time_split",
    "PlaceholderToMissing",
    "RateBaseline",
    "ConversionModel",
    "gains_table",
    "calibration_table",
    "ConversionEvaluation",
    "evaluate_classifiers",
    "evaluate_conversion",
    "SkillCheck",
    "skill_check",
    "scorer_words",
    "score",
    "PipelineProbability",
    "pipeline_win_probability",
]
