"""The customer-value page follows its own holdout check (salesnb.sections.customer_value).

The ranking uses the model that beat the naive baseline on the holdout; when no
model beats it, the page says so and ranks by the simple rule.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesnb.models.clv import evaluate_holdout, predicted_customer_value
from salesnb.sections import customer_value as cv

COLS = {"customer_col": "customer_id", "date_col": "date", "amount_col": "amount"}


def _table(spearman: dict[str, float], p: dict[str, float], n: int = 500) -> pd.DataFrame:
    rows = {
        name: {
            "n_customers": n,
            "spearman_spend": rho,
            "spearman_gain_p": p.get(name, math.nan),
        }
        for name, rho in spearman.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def test_verdict_picks_the_model_that_beat_the_baseline():
    table = _table(
        {"BG/NBD + Gamma-Gamma": 0.37, "machine learning": 0.40, "naive_baseline": 0.26},
        {"BG/NBD + Gamma-Gamma": 0.001, "machine learning": 0.0001},
    )
    verdict = cv.holdout_verdict(table)
    assert verdict.model == "machine learning" and verdict.method == "ml"
    assert verdict.beats_baseline
    assert verdict.sentence == (
        "Machine learning ranked customers' next-period spend better than the simple rule "
        "(how well it ranks customers, Spearman 0.40 vs 0.26, 1 is a perfect ranking, 0 is "
        "chance; on the holdout, 500 customers); the list below uses it."
    )


def test_verdict_needs_a_gain_beyond_chance():
    """A higher Spearman within sampling noise (as ML on Superstore: 0.05 vs 0.01) is no win."""
    table = _table(
        {"BG/NBD + Gamma-Gamma": -0.01, "machine learning": 0.05, "naive_baseline": 0.01},
        {"BG/NBD + Gamma-Gamma": 0.8, "machine learning": 0.2},
        n=793,
    )
    verdict = cv.holdout_verdict(table)
    assert verdict.method == "naive" and not verdict.beats_baseline
    assert verdict.sentence.startswith("No model beats the simple rule here:")
    assert "machine learning 0.05" in verdict.sentence
    assert "BG/NBD + Gamma-Gamma -0.01" in verdict.sentence
    assert "ranks customers by their past spend" in verdict.sentence
    intro = cv.top_customers_intro(verdict, top=10)
    assert "deserve the most care" not in intro
    assert "past spend" in intro
    good = cv.holdout_verdict(
        _table({"BG/NBD + Gamma-Gamma": 0.4, "naive_baseline": 0.2}, {"BG/NBD + Gamma-Gamma": 0.01})
    )
    assert good.method == "bgnbd"
    assert "deserve the most care" in cv.top_customers_intro(good, top=10)


def test_verdict_requires_the_evaluation_columns():
    with pytest.raises(ValueError, match=r"spearman_gain_p"):
        cv.holdout_verdict(_table({"naive_baseline": 0.2}, {}).drop(columns="spearman_gain_p"))
    with pytest.raises(ValueError, match="naive_baseline"):
        cv.holdout_verdict(_table({"machine learning": 0.2}, {"machine learning": 0.01}))


def test_evaluate_holdout_tests_the_gain_over_the_baseline():
    """spearman_gain_p: Williams' test that a model's Spearman exceeds the baseline's."""
    rng = np.random.default_rng(0)
    n = 400
    s = pd.DataFrame(
        {
            "frequency": rng.integers(0, 6, n),
            "T": 30.0,
            "monetary_value": rng.gamma(2.0, 20.0, n),
            "duration_holdout": 30.0,
        }
    )
    naive = s["frequency"] / 30.0 * 30.0 * s["monetary_value"]
    s["spend_holdout"] = naive * rng.uniform(0.0, 2.0, n) + rng.gamma(1.0, 30.0, n)
    s["frequency_holdout"] = s["frequency"]
    oracle = s["spend_holdout"] + rng.normal(0.0, 1.0, n)
    noise = pd.Series(rng.uniform(size=n))
    table = evaluate_holdout(s, {"oracle": oracle, "noise": noise})
    assert table.loc["oracle", "spearman_gain_p"] < 1e-6
    assert table.loc["noise", "spearman_gain_p"] > 0.5
    assert math.isnan(table.loc["naive_baseline", "spearman_gain_p"])
    # by hand (Steiger 1980, eq. 7) for the oracle row
    r12, r13 = table.loc["oracle", "spearman_spend"], table.loc["naive_baseline", "spearman_spend"]
    r23 = pd.Series(oracle).rank().corr(naive.rank())
    det = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    t = (r12 - r13) * math.sqrt(
        (n - 1)
        * (1 + r23)
        / (2 * (n - 1) / (n - 3) * det + ((r12 + r13) / 2) ** 2 * (1 - r23) ** 3)
    )
    from scipy import stats

    assert table.loc["oracle", "spearman_gain_p"] == pytest.approx(stats.t.sf(t, n - 3), rel=1e-9)


def _shop() -> pd.DataFrame:
    """Customer k buys every (k+1) weeks from 2024-01-01, 20 * (k + 1) a time."""
    rows = []
    for k in range(8):
        day = 0
        while day <= 360:
            rows.append(
                (f"c{k}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=day), 20.0 * (k + 1))
            )
            day += 7 * (k + 1)
    rows.append(("once", pd.Timestamp("2024-06-01"), 999.0))
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_predicted_customer_value_by_each_method():
    tx = _shop()
    kwargs = {**COLS, "observation_end": "2024-12-31", "horizon_months": 3, "discount_rate": 0.0}
    naive = predicted_customer_value(tx, method="naive", **kwargs)
    # naive: repeat spend per week since the first purchase, over 3 months of 4.345 weeks
    c0 = tx.loc[tx["customer_id"] == "c0"]
    rate = (c0["amount"].sum() - c0["amount"].iloc[0]) / (365 / 7)
    assert naive.loc["c0", "predicted_value"] == pytest.approx(rate * 3 * 4.345)
    assert naive.loc["once", "predicted_value"] == 0.0  # no repeat purchase, no rate
    assert naive["predicted_value"].is_monotonic_decreasing
    ml = predicted_customer_value(tx, method="ml", **kwargs)
    assert set(ml.index) == set(naive.index) and ml["predicted_value"].ge(0).all()
    bg = predicted_customer_value(tx, **kwargs)
    assert list(bg.columns) == list(naive.columns) == list(ml.columns)
    with pytest.raises(ValueError, match="method must be one of"):
        predicted_customer_value(tx, method="magic", **kwargs)


def test_customer_value_ranking_follows_the_verdict():
    tx = _shop()
    table = _table(
        {"BG/NBD + Gamma-Gamma": 0.1, "naive_baseline": 0.3}, {"BG/NBD + Gamma-Gamma": 0.9}
    )
    verdict = cv.holdout_verdict(table)
    ranked = cv.customer_value_ranking(tx, verdict, observation_end="2024-12-31", **COLS)
    expected = predicted_customer_value(tx, method="naive", observation_end="2024-12-31", **COLS)
    pd.testing.assert_frame_equal(ranked, expected)


ROOT = Path(__file__).resolve().parents[1]
SUPERSTORE = ROOT.parent / "shared" / "data" / "superstore"


def _holdout_of(data, mapping=None):
    import salesnb
    from salesnb import sections
    from salesnb.models.clv import compare_on_holdout

    sales = salesnb.load(data, mapping=mapping, tables=["orders"])
    now = sections.report_as_of(sections.report_quarter(None, sales.as_of), sales.as_of)
    orders = sales.orders.loc[lambda o: o["order_date"] <= now]
    if "status" in orders.columns:
        orders = orders.loc[orders["status"] != "cancelled"]
    cols = {"customer_col": "customer_id", "date_col": "order_date", "amount_col": "amount"}
    table, _ = compare_on_holdout(orders, observation_end=now, holdout_months=6, **cols)
    return table


@pytest.mark.slow  # loads the sample and runs three models: about 3-5 s
def test_sample_ranks_with_the_model_that_won():
    verdict = cv.holdout_verdict(_holdout_of(ROOT / "data" / "sample"))
    assert verdict.method == "ml" and verdict.beats_baseline


@pytest.mark.skipif(not SUPERSTORE.exists(), reason=f"{SUPERSTORE} not found (shared data)")
def test_superstore_no_model_beats_the_simple_rule():
    verdict = cv.holdout_verdict(
        _holdout_of(SUPERSTORE, mapping=ROOT / "data" / "mappings" / "superstore.toml")
    )
    assert verdict.method == "naive" and not verdict.beats_baseline
    assert verdict.sentence.startswith("No model beats the simple rule here")
    assert "deserve the most care" not in cv.top_customers_intro(verdict, top=10)
