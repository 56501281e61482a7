"""Which columns may be features: leakage and identifier lists, placeholder values.

Features are the columns known when the record is created. Columns that would
leak the outcome are removed by name (:data:`LEAKAGE_COLUMNS`, matched after
:func:`snake_case`, so ``"Lead Quality"`` and ``lead_quality`` are both
caught), as are identifiers (:data:`ID_COLUMNS`), dates (datetime columns) and
columns with a single value. Form placeholders such as ``"Select"`` count as
missing (:class:`PlaceholderToMissing`). A column that is the outcome under
another name - same name as the target, a copy or relabelling of it, or any
column that predicts it perfectly on the training data - is found by
:func:`outcome_proxies` and left out with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = [
    "LEAKAGE_COLUMNS",
    "ID_COLUMNS",
    "DEFAULT_PLACEHOLDERS",
    "snake_case",
    "PlaceholderToMissing",
    "MIN_OUTCOME_ROWS",
    "outcome_proxies",
]


#: Columns never used as features because they are recorded after (or because
#: of) the outcome. Keys are snake_case names; values say why.
LEAKAGE_COLUMNS: dict[str, str] = {
    # --- the outcome itself -------------------------------------------------
    "converted": "the lead target itself",
    "converted_at": "set when the lead converts: the outcome itself",
    "won": "the deal target itself",
    "status": "open / won / lost: the deal outcome",
    "closed_at": "set when the deal is won or lost",
    "lost_reason": "only filled in for lost deals",
    "customer_id": (
        "leads: filled in when the lead becomes a customer, i.e. on conversion; "
        "opportunities: an account identifier without generalisable signal"
    ),
    # --- updated while the record progresses ---------------------------------
    "stage": (
        "the furthest stage reached: a won deal always reached the last stage, so on "
        "closed deals it encodes the outcome; at creation every deal is at the first stage"
    ),
    "stage_changed_at": "moves with the stage until the deal closes",
    "last_activity_at": "updated until the record is closed or exported",
    "expected_close_date": (
        "revised as the deal progresses and commonly overwritten with the real close "
        "date when it closes"
    ),
    # --- X Education export: filled in by the sales team after contact --------
    "tags": (
        "free tags the sales team sets after talking to the lead ('Will revert after "
        "reading the email', 'Closed by Horizzon', 'Lost to EINS'): a log of the outcome"
    ),
    "lead_quality": "the rep's judgement of the lead after calling it",
    "last_activity": "last activity at export time, i.e. after the conversion for converted leads",
    "last_notable_activity": "as last_activity, for 'notable' activities",
    "lead_profile": (
        "assigned by the sales team after interaction ('Potential Lead', 'Student of SomeSchool')"
    ),
    "asymmetrique_activity_index": (
        "X Education's activity score, computed from the lead's later activity "
        "(missing for 46% of leads)"
    ),
    "asymmetrique_profile_index": "X Education's profile score, assigned after contact",
    "asymmetrique_activity_score": "numeric form of asymmetrique_activity_index",
    "asymmetrique_profile_score": "numeric form of asymmetrique_profile_index",
    "i_agree_to_pay_the_amount_through_cheque": (
        "a payment agreement is part of enrolling, i.e. of converting (constant 'No' in "
        "the export anyway)"
    ),
}
# Kept on purpose (known at sign-up, or mostly accumulated before converting):
# lead origin and source, the sign-up form answers (occupation, specialization,
# city, country, 'How did you hear...', 'What matters most...'), do-not-email /
# do-not-call, the free-copy flag, and the website counters (TotalVisits, Total
# Time Spent on Website, Page Views Per Visit). The counters are totals at export
# time; visits after enrolling would leak a little, but a prospect browses the
# course site before paying for it, so they are treated as pre-conversion
# behaviour. Opportunity ``amount``, ``product`` and ``rep_id`` are set when the
# deal is opened.
# Caveat, measured on X Education: 'What matters most...' and the occupation
# answer are missing for the same ~2,700 leads whose sales-team 'Lead Profile' is
# missing, and those leads convert at 14 % against 49 %. The data dictionary calls
# both customer-selected form options, so they stay, but their missingness may
# partly record that the sales team never worked the lead.

#: Identifier columns: unique per record, never features. ``lead_number`` is
#: X Education's sequential lead number: it orders the leads in time (the export
#: has no dates), so it serves :func:`time_split` and is not a feature - in an
#: out-of-time test set every value lies beyond the training range.
ID_COLUMNS: tuple[str, ...] = ("lead_id", "opportunity_id", "prospect_id", "lead_number")

#: Form placeholders meaning "not chosen"; treated as missing.
DEFAULT_PLACEHOLDERS: tuple[str, ...] = ("Select",)


def snake_case(name: str) -> str:
    """Column name in snake_case: lower case, runs of other characters as ``_``.

    >>> snake_case("Total Time Spent on Website")
    'total_time_spent_on_website'
    >>> snake_case("Prospect ID")
    'prospect_id'
    """
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


class PlaceholderToMissing(TransformerMixin, BaseEstimator):
    """Turn placeholder text (``"Select"``) and any missing marker into ``np.nan``.

    Output is an object array whose non-missing values are ``str`` (so numbers
    stored as categories encode consistently). Matching ignores surrounding
    whitespace and is case-sensitive.

    Parameters
    ----------
    placeholders : sequence of str, default ("Select",)

    Examples
    --------
    >>> PlaceholderToMissing().fit_transform(pd.DataFrame({"city": ["Select", "Mumbai", None]}))
    array([[nan],
           ['Mumbai'],
           [nan]], dtype=object)
    """

    def __init__(self, placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS):
        self.placeholders = placeholders

    def fit(self, X, y=None) -> PlaceholderToMissing:
        X = pd.DataFrame(X)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        return self

    def transform(self, X) -> np.ndarray:
        X = pd.DataFrame(X)
        placeholders = {str(p).strip() for p in self.placeholders}
        out = np.empty(X.shape, dtype=object)
        for j in range(X.shape[1]):
            # work on the distinct values only: factorize codes missing values as -1
            codes, uniques = pd.factorize(X.iloc[:, j], use_na_sentinel=True)
            labels = np.array(
                [np.nan if str(u).strip() in placeholders else str(u) for u in uniques] + [np.nan],
                dtype=object,
            )
            out[:, j] = labels[codes]  # code -1 picks the trailing NaN
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        if input_features is not None:
            return np.asarray(input_features, dtype=object)
        return self.feature_names_in_


#: Fewest records of each outcome before a column may be judged a perfect predictor:
#: with fewer, a column can separate the outcomes by chance.
MIN_OUTCOME_ROWS = 5


def outcome_proxies(
    X: pd.DataFrame, y, *, columns: Sequence[str], outcome_name: str | None = None
) -> dict[str, str]:
    """Columns that are the outcome itself, or a copy of it, judged on the training data alone.

    Rules, in order (a column is flagged by the first that applies):

    1. **Same name**: ``snake_case(column) == snake_case(outcome_name)`` (a
       table whose target column ``y`` was left among the features).
    2. **Each value goes with one outcome**: the column (missing values as one
       more value) has at most ``n / 10`` distinct values and every value's
       records all have the same outcome: a copy, a renaming or another
       one-to-one function of the outcome (``"yes"/"no"`` as ``1/0``, ``"A"/"B"``).
       Identifiers (one value per record) are not caught here: they are left
       out by name (:data:`ID_COLUMNS`).
    3. **A threshold separates the outcomes** (numeric columns): every record
       of one outcome lies strictly above every record of the other, and the
       missing values, if any, all have one outcome (a call duration recorded
       after the call, a days-to-convert count).

    Rules 2 and 3 need at least :data:`MIN_OUTCOME_ROWS` records of each outcome.
    No honest feature predicts a real outcome perfectly, so such a column means
    the outcome was recorded in it.

    Returns
    -------
    dict
        Column -> reason, for the flagged ``columns`` only.

    Examples
    --------
    >>> X = pd.DataFrame({"y": ["yes", "no"] * 6, "flag": [1, 0] * 6,
    ...                   "visits": [3, 1, 2, 2, 5, 1, 1, 1, 2, 4, 3, 1]})
    >>> y = pd.Series([True, False] * 6)
    >>> sorted(outcome_proxies(X, y, columns=list(X.columns), outcome_name="y"))
    ['flag', 'y']
    """
    y = np.asarray(y, dtype=bool)
    found: dict[str, str] = {}
    name = snake_case(outcome_name) if outcome_name is not None else None
    counts = (int(y.sum()), int((~y).sum()))
    enough = min(counts) >= MIN_OUTCOME_ROWS
    for c in columns:
        if name is not None and snake_case(c) == name:
            found[c] = f"the outcome itself: the column has the target's name {outcome_name!r}"
            continue
        if not enough:
            continue
        reason = _perfect_predictor(X[c], y)
        if reason:
            found[c] = "predicts the outcome perfectly on the training data: " + reason
    return found


def _perfect_predictor(col: pd.Series, y: np.ndarray) -> str | None:
    codes, uniques = pd.factorize(col, use_na_sentinel=True)  # missing: code -1
    n_values = len(uniques) + int((codes < 0).any())
    if n_values <= max(2, len(col) // 10):
        # outcomes per value: a value is pure when all its records share one outcome
        pos = np.bincount(codes + 1, weights=y, minlength=len(uniques) + 1)
        tot = np.bincount(codes + 1, minlength=len(uniques) + 1)
        seen = tot > 0
        if np.all((pos[seen] == 0) | (pos[seen] == tot[seen])):
            return (
                f"each of its {n_values} values goes with a single outcome "
                "(a copy or relabelling of the outcome)"
            )
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        return None
    values = col.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(values)
    if missing.any() and len(set(y[missing])) > 1:
        return None
    a, b = values[~missing & y], values[~missing & ~y]
    if len(a) == 0 or len(b) == 0:
        return None
    if a.min() > b.max() or a.max() < b.min():
        return "a threshold on it separates the outcomes exactly"
    return None
