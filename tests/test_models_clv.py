"""Tests for salesnb.models.clv.

Reference figures come from /work/shared/data/cdnow/REFERENCE_FIGURES.md
(lifetimes tests and Quickstart, CLVTools, pymc-marketing, Fader, Hardie & Lee
2005). Each assertion states its tolerance. Figures marked "own check" were
computed with lifetimes 0.11.3 on the same vendored files.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import NotFittedError
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from salesnb.models import clv
from salesnb.models.clv import (
    BetaGeo,
    GammaGamma,
    MLCustomerValue,
    beta_geo_log_likelihood,
    evaluate_holdout,
    features,
    gamma_gamma_log_likelihood,
    holdout_predictions,
    naive_holdout_baseline,
    rfm_summary,
    simulate_beta_geo,
)
from salesnb.models.clv.beta_geo import _BetaGeoData

DATA = Path(__file__).parent / "data" / "cdnow"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow"
MASTER = SHARED / "CDNOW_master.txt"
CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    """Hardie's 2,357-customer CDNOW summary (39-week calibration, weeks)."""
    frame = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv", index_col="ID")
    return frame.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.fixture(scope="module")
def cdnow_sample() -> pd.DataFrame:
    return pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "sample_id", "date", "number_of_cds", "dollar_value"],
        dtype=str,
    ).assign(
        date=lambda d: pd.to_datetime(d["date"], format="%Y%m%d"),
        dollar_value=lambda d: d["dollar_value"].astype(float),
    )


@pytest.fixture(scope="module")
def sample_split(cdnow_sample) -> pd.DataFrame:
    return rfm_summary(
        cdnow_sample,
        customer_col="sample_id",
        date_col="date",
        amount_col="dollar_value",
        observation_end=OBSERVATION_END,
        calibration_end=CALIBRATION_END,
    )


@pytest.fixture(scope="module")
def bg_fit(cdnow_summary) -> BetaGeo:
    return BetaGeo().fit(cdnow_summary)


@pytest.fixture(scope="module")
def gg_fit(cdnow_summary) -> GammaGamma:
    return GammaGamma().fit(cdnow_summary)


@pytest.fixture
def tiny_transactions() -> pd.DataFrame:
    """Four customers; calibration ends 2024-01-15, observation 2024-01-29.

    a: 01-01 (10 + 5 same day), 01-08 (20), 01-15 (30, last calibration day);
       holdout 01-20 (40 + 2 same day), 01-25 (8); 02-10 (100) after the end.
    b: 01-08 (7) only.
    c: 01-03 (12 + 3 same day); holdout 01-29 (11, last observed day).
    d: first purchase 01-20, in the holdout -> excluded from the split summary.
    """
    rows = [
        ("a", "2024-01-01", 10.0, "web"),
        ("a", "2024-01-01", 5.0, "shop"),
        ("a", "2024-01-08", 20.0, "web"),
        ("a", "2024-01-15", 30.0, "web"),
        ("a", "2024-01-20", 40.0, "web"),
        ("a", "2024-01-20", 2.0, "web"),
        ("a", "2024-01-25", 8.0, "shop"),
        ("a", "2024-02-10", 100.0, "web"),
        ("b", "2024-01-08", 7.0, "shop"),
        ("c", "2024-01-03", 12.0, "web"),
        ("c", "2024-01-03", 3.0, "web"),
        ("c", "2024-01-29", 11.0, "web"),
        ("d", "2024-01-20", 9.0, "web"),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount", "channel"])
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    return frame


def _tiny_summary(tx: pd.DataFrame, **kwargs) -> pd.DataFrame:
    options = {
        "customer_col": "customer_id",
        "date_col": "ordered_at",
        "amount_col": "amount",
        "observation_end": "2024-01-29",
        "calibration_end": "2024-01-15",
        "time_unit": "D",
    }
    options.update(kwargs)
    return rfm_summary(tx, **options)


# --------------------------------------------------------------------------- rfm_summary


def test_rfm_summary_tiny_calibration_holdout_days(tiny_transactions):
    s = _tiny_summary(tiny_transactions)
    expected = pd.DataFrame(
        {
            "frequency": [2, 0, 0],
            "recency": [14.0, 0.0, 0.0],
            "T": [14.0, 7.0, 12.0],
            "monetary_value": [25.0, 0.0, 0.0],
            "frequency_holdout": [2, 0, 1],
            "monetary_value_holdout": [25.0, 0.0, 11.0],
            "spend_holdout": [50.0, 0.0, 11.0],
            "duration_holdout": [14.0, 14.0, 14.0],
        },
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(s, expected, check_index_type=False)
    assert s.attrs["n_excluded_customers"] == 1
    assert s.attrs["time_unit"] == "D"
    assert s.attrs["calibration_end"] == pd.Timestamp("2024-01-15")


def test_rfm_summary_tiny_weeks_and_no_split(tiny_transactions):
    weeks = _tiny_summary(tiny_transactions, time_unit="W")
    assert_allclose(weeks["recency"], [2.0, 0.0, 0.0])
    assert_allclose(weeks["T"], [2.0, 1.0, 12 / 7])
    assert_allclose(weeks["duration_holdout"], 2.0)

    full = _tiny_summary(tiny_transactions, calibration_end=None)
    assert list(full.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert full["frequency"].tolist() == [4, 0, 1, 0]  # a: 5 purchase days, 02-10 ignored
    assert_allclose(full["recency"], [24.0, 0.0, 26.0, 0.0])
    assert_allclose(full["T"], [28.0, 21.0, 26.0, 9.0])
    assert_allclose(full["monetary_value"], [(20 + 30 + 42 + 8) / 4, 0.0, 11.0, 0.0])
    assert full.attrs["n_excluded_customers"] == 0


def test_rfm_summary_logs_excluded_and_does_not_mutate(tiny_transactions, caplog):
    before = tiny_transactions.copy()
    with caplog.at_level(logging.INFO, logger="salesnb.models.clv"):
        _tiny_summary(tiny_transactions)
    assert "excluded 1 customer(s)" in caplog.text
    pd.testing.assert_frame_equal(tiny_transactions, before)


def test_rfm_summary_accepts_string_dates_and_polars(tiny_transactions):
    expected = _tiny_summary(tiny_transactions)
    as_text = tiny_transactions.assign(
        ordered_at=tiny_transactions["ordered_at"].dt.strftime("%Y-%m-%d")
    )
    pd.testing.assert_frame_equal(_tiny_summary(as_text), expected)
    pl = pytest.importorskip("polars")
    from_polars = _tiny_summary(pl.from_pandas(tiny_transactions))
    pd.testing.assert_frame_equal(from_polars, expected, check_index_type=False)


def test_rfm_summary_errors(tiny_transactions):
    with pytest.raises(
        ValueError, match=r"missing required column\(s\) \['ordered_at', 'amount'\]"
    ):
        rfm_summary(
            tiny_transactions.drop(columns=["ordered_at", "amount"]),
            customer_col="customer_id",
            date_col="ordered_at",
            amount_col="amount",
            observation_end="2024-01-29",
        )
    with pytest.raises(ValueError, match="time_unit must be one of"):
        _tiny_summary(tiny_transactions, time_unit="M")
    with pytest.raises(ValueError, match="must not be after observation_end"):
        _tiny_summary(tiny_transactions, calibration_end="2024-02-01")
    broken = tiny_transactions.copy()
    broken.loc[3, "amount"] = np.nan
    with pytest.raises(ValueError, match=r"1 row\(s\) with a missing .*\[3\]"):
        _tiny_summary(broken)


def test_rfm_summary_reproduces_published_cdnow_summary(sample_split, cdnow_summary):
    """Rebuild Hardie's summary from CDNOW_sample.txt.

    T convention: T = (1997-09-30 - first purchase day) / 7, i.e. the
    calibration period includes 1997-09-30, with times in days divided by 7.
    The published file rounds recency, T and zbar to 2 decimals, so the
    tolerance is 0.01 weeks (and 0.01 dollars); frequency must match exactly.
    """
    ours = sample_split.copy()
    ours.index = ours.index.astype(int)
    assert len(ours) == 2357
    assert ours.attrs["n_excluded_customers"] == 0
    ref = cdnow_summary.reindex(ours.index)
    for column in ["frequency", "recency", "T", "monetary_value"]:
        diff = (ours[column] - ref[column]).abs()
        bad = diff[diff > (0 if column == "frequency" else 0.01)]
        assert bad.empty, f"{column}: {len(bad)} mismatches, e.g. {bad.head().to_dict()}"
    assert ours["frequency_holdout"].sum() == 1882
    assert ours["duration_holdout"].iloc[0] == 39.0


@pytest.mark.skipif(not MASTER.exists(), reason=f"{MASTER} not found (not vendored; 1.9 MB)")
def test_rfm_summary_master_matches_sample(sample_split, cdnow_sample):
    master = pd.read_csv(MASTER, sep=r"\s+", dtype=str)
    master["dollar_value"] = master["dollar_value"].astype(float)
    full = rfm_summary(
        master,
        customer_col="customer_id",
        date_col="date",
        amount_col="dollar_value",
        observation_end=OBSERVATION_END,
        calibration_end=CALIBRATION_END,
    )
    assert len(full) == 23570
    ids = cdnow_sample.drop_duplicates("sample_id").set_index("sample_id")["master_id"]
    subset = full.loc[ids.to_numpy()]
    subset.index = ids.index
    pd.testing.assert_frame_equal(
        subset, sample_split, check_index_type=False, check_names=False, atol=1e-9
    )


# --------------------------------------------------------------------------- BG/NBD


def test_beta_geo_params_match_published(bg_fit):
    """Within 0.5% of the MLE (CLVTools, own Nelder-Mead) and of the paper's rounded values."""
    ours = np.array([bg_fit.params_[k] for k in ("r", "alpha", "a", "b")])
    assert_allclose(ours, [0.2425945, 4.4136019, 0.7929199, 2.4258881], rtol=0.005)  # CLVTools
    assert_allclose(ours, [0.2426, 4.4135, 0.7929, 2.4258], rtol=0.005)  # Nelder-Mead MLE
    assert_allclose(ours, [0.243, 4.414, 0.793, 2.426], rtol=0.005)  # FHL 2005
    assert bg_fit.converged_
    assert bg_fit.n_customers_ == 2357
    assert bg_fit.n_groups_ < 2357


def test_beta_geo_log_likelihood_matches_published(bg_fit, cdnow_summary):
    assert bg_fit.log_likelihood_ == pytest.approx(-9582.43, abs=0.01)  # CLVTools -9582.429
    at_paper = beta_geo_log_likelihood(
        cdnow_summary["frequency"],
        cdnow_summary["recency"],
        cdnow_summary["T"],
        r=0.243,
        alpha=4.414,
        a=0.793,
        b=2.426,
    ).sum()
    assert at_paper == pytest.approx(-9582.4268, abs=1e-3)  # own check in REFERENCE_FIGURES
    assert bg_fit.score_samples(cdnow_summary).sum() == pytest.approx(bg_fit.log_likelihood_)


def test_beta_geo_standard_errors_match_lifetimes(bg_fit):
    """lifetimes Quickstart: r 0.012557, alpha 0.378221, a 0.185719, b 0.705345; rtol 1%."""
    se = bg_fit.standard_errors_
    assert_allclose(
        [se["r"], se["alpha"], se["a"], se["b"]],
        [0.012557, 0.378221, 0.185719, 0.705345],
        rtol=0.01,
    )
    table = bg_fit.summary_
    assert list(table.index) == ["r", "alpha", "a", "b"]
    assert list(table.columns) == ["coef", "se", "lower_95", "upper_95"]


def test_beta_geo_stable_log_likelihood_pymc_marketing():
    """Hardie note 027 / pymc-marketing test_numerically_stable_logp, decimal=5."""
    ll = beta_geo_log_likelihood([0, 200], [0, 38], 40, r=0.25, alpha=4.0, a=0.8, b=2.5)
    np.testing.assert_array_almost_equal(ll, [-0.59947382, 100.7957], decimal=5)


def test_beta_geo_conditional_expectation_hardie_sheet(bg_fit):
    value = bg_fit.conditional_expected_purchases(39, 2, 30.43, 38.86)
    assert value == pytest.approx(1.226, abs=0.001)


def test_beta_geo_expected_purchases_hardie_sheet(bg_fit):
    times = np.array([0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00])
    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    np.testing.assert_array_almost_equal(bg_fit.expected_purchases(times), expected, decimal=3)


def test_beta_geo_probability_of_n_purchases_r_btyd():
    bg = BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert bg.probability_of_n_purchases(2, 10) == pytest.approx(1.07869e-07, rel=1e-4)
    assert bg.probability_of_n_purchases(39, 0) == pytest.approx(0.5737864, abs=1e-7)
    expected = [
        0.0019995214,
        0.0015170236,
        0.0011633150,
        0.0009003148,
        0.0007023638,
        0.0005517902,
        0.0004361913,
        0.0003467171,
        0.0002769613,
        0.0002222260,
    ]
    got = bg.probability_of_n_purchases(30, np.arange(11, 21))
    np.testing.assert_array_almost_equal(got, expected, decimal=5)
    assert_allclose(got, expected, rtol=1e-5)  # tighter than the published decimal=5
    # the pmf sums to one
    assert bg.probability_of_n_purchases(30, np.arange(0, 2000)).sum() == pytest.approx(1.0)


def test_beta_geo_quickstart_top_predictions(bg_fit, cdnow_summary):
    """lifetimes Quickstart: one-week-ahead predictions of the top-5 customers (rtol 1e-4)."""
    top = cdnow_summary.loc[[1516, 157, 1981, 841, 509]]
    got = bg_fit.conditional_expected_purchases(1, top["frequency"], top["recency"], top["T"])
    assert isinstance(got, pd.Series)
    assert list(got.index) == [1516, 157, 1981, 841, 509]
    assert_allclose(got, [0.710623, 0.662396, 0.486526, 0.474738, 0.424877], rtol=1e-4)


def test_beta_geo_probability_alive_closed_form(bg_fit):
    p = bg_fit.params_
    x, tx, T = 2, 30.43, 38.86
    by_hand = 1 / (
        1 + p["a"] / (p["b"] + x - 1) * ((p["alpha"] + T) / (p["alpha"] + tx)) ** (p["r"] + x)
    )
    assert bg_fit.probability_alive(x, tx, T) == pytest.approx(by_hand, rel=1e-12)
    assert bg_fit.probability_alive(0, 0, 10.0) == 1.0
    # huge frequency with an old last purchase: no overflow, essentially dead
    assert 0 <= bg_fit.probability_alive(500, 1.0, 200.0) < 1e-100


def test_beta_geo_gradient_is_exact(cdnow_summary):
    """The analytic gradient of the grouped log-likelihood equals a finite difference."""
    from scipy.optimize import approx_fprime

    s = cdnow_summary
    data = _BetaGeoData(
        s["frequency"].to_numpy(float),
        s["recency"].to_numpy(float),
        s["T"].to_numpy(float),
        np.ones(len(s)),
    )
    theta = np.array([0.4, 3.0, 1.3, 1.7])
    ll, grad = data.loglik(theta)
    numeric = approx_fprime(theta, lambda th: data.loglik(th, gradient=False), 1e-7)
    assert_allclose(grad, numeric, rtol=1e-5)
    per_customer = beta_geo_log_likelihood(
        s["frequency"], s["recency"], s["T"], r=0.4, alpha=3.0, a=1.3, b=1.7
    )
    assert ll == pytest.approx(per_customer.sum(), rel=1e-12)


def test_beta_geo_grouping_weights_and_penalizer(cdnow_summary, bg_fit):
    doubled = BetaGeo().fit(pd.concat([cdnow_summary, cdnow_summary]))
    weighted = BetaGeo().fit(cdnow_summary, sample_weight=np.full(len(cdnow_summary), 2.0))
    for model in (doubled, weighted):
        assert model.n_customers_ == 2 * 2357
        for k, v in bg_fit.params_.items():
            assert model.params_[k] == pytest.approx(v, rel=1e-4)
            assert model.standard_errors_[k] == pytest.approx(
                bg_fit.standard_errors_[k] / np.sqrt(2), rel=1e-3
            )
    penalised = BetaGeo(penalizer_coef=0.1).fit(cdnow_summary)
    assert sum(v**2 for v in penalised.params_.values()) < sum(
        v**2 for v in bg_fit.params_.values()
    )


def test_beta_geo_recovers_simulated_parameters():
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    rng = np.random.default_rng(2024)
    s = simulate_beta_geo(30_000, **truth, T=rng.uniform(27, 39, 30_000), random_state=rng)
    model = BetaGeo().fit(s)
    for k, v in truth.items():
        z = (model.params_[k] - v) / model.standard_errors_[k]
        assert abs(z) < 4, f"{k}: {model.params_[k]:.4f} vs {v} ({z:+.1f} SE)"


def test_beta_geo_sklearn_contract_and_errors(cdnow_summary):
    model = BetaGeo(penalizer_coef=0.01, tol=1e-7)
    assert model.get_params() == {
        "initial_params": None,
        "maxiter": 1000,
        "penalizer_coef": 0.01,
        "tol": 1e-7,
    }
    assert not [k for k in vars(model) if k.endswith("_")]
    assert clone(model).get_params() == model.get_params()
    for call in (
        lambda: model.expected_purchases(1.0),
        lambda: model.conditional_expected_purchases(1.0, 1, 1.0, 2.0),
        lambda: model.probability_alive(1, 1.0, 2.0),
        lambda: model.probability_of_n_purchases(1.0, 0),
    ):
        with pytest.raises(NotFittedError, match="BetaGeo model is not fitted yet"):
            call()
    assert model.fit(cdnow_summary) is model
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['T'\]"):
        BetaGeo().fit(cdnow_summary.drop(columns="T"))
    bad = cdnow_summary.copy()
    bad.loc[1, "recency"] = 99.0
    with pytest.raises(ValueError, match="recency is larger than T"):
        BetaGeo().fit(bad)


# --------------------------------------------------------------------------- Gamma-Gamma


def test_gamma_gamma_params_and_log_likelihood(gg_fit, cdnow_summary):
    ours = [gg_fit.params_[k] for k in ("p", "q", "v")]
    assert_allclose(ours, [6.25, 3.74, 15.44], rtol=0.005)  # Fader & Hardie 2013
    assert_allclose(ours, [6.2488, 3.7446, 15.4477], rtol=0.005)  # own Nelder-Mead MLE
    assert gg_fit.n_customers_ == 946  # repeaters only
    assert gg_fit.converged_
    assert gg_fit.log_likelihood_ == pytest.approx(-4055.92, abs=0.01)  # CLVTools -4055.9177
    repeat = cdnow_summary[cdnow_summary["frequency"] > 0]
    at_paper = gamma_gamma_log_likelihood(
        repeat["frequency"], repeat["monetary_value"], p=6.25, q=3.74, v=15.44
    ).sum()
    assert at_paper == pytest.approx(-4055.9247, abs=1e-3)  # own check in REFERENCE_FIGURES


def test_gamma_gamma_standard_errors_match_lifetimes(gg_fit):
    """Own check: lifetimes 0.11.3 GammaGammaFitter.summary on this data (rtol 1%)."""
    se = gg_fit.standard_errors_
    assert_allclose([se["p"], se["q"], se["v"]], [1.189687, 0.290166, 4.159994], rtol=0.01)


def test_gamma_gamma_conditional_expected_average_profit(gg_fit, cdnow_summary):
    first10 = cdnow_summary.iloc[:10]
    published = GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
    hardie = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    got = published.conditional_expected_average_profit(
        first10["frequency"], first10["monetary_value"]
    )
    assert_allclose(got, hardie, atol=0.1)  # lifetimes test, Hardie spreadsheet
    quickstart = [
        24.658619,
        18.911489,
        35.170981,
        35.170981,
        35.170981,
        71.462843,
        18.911489,
        35.170981,
        27.282408,
        35.170981,
    ]
    fitted = gg_fit.conditional_expected_average_profit(
        first10["frequency"], first10["monetary_value"]
    )
    assert_allclose(fitted, quickstart, rtol=1e-4)  # lifetimes Quickstart (fitted params)
    # Quickstart: mean over all 2,357 customers vs mean monetary_value of repeaters
    mean_profit = gg_fit.conditional_expected_average_profit(
        cdnow_summary["frequency"], cdnow_summary["monetary_value"]
    ).mean()
    assert mean_profit == pytest.approx(35.2529588256, rel=1e-4)
    repeat = cdnow_summary[cdnow_summary["frequency"] > 0]
    assert repeat["monetary_value"].mean() == pytest.approx(35.078551797, rel=1e-9)


def test_customer_lifetime_value_quickstart(bg_fit, gg_fit, cdnow_summary):
    """lifetimes Quickstart 12-month CLV, discount 1%/month, customers 1-10 (rtol 1e-4).

    The Quickstart called lifetimes' customer_lifetime_value with its default
    freq="D" on data in weeks, i.e. 30 time units (weeks) per "month". We
    reproduce that with time_unit_per_month=30; the correct weekly value
    (4.345, our default, lifetimes freq="W") is checked against lifetimes
    0.11.3 run on the same data (own check).
    """
    first10 = cdnow_summary.iloc[:10]
    published = [
        140.096211,
        18.943467,
        38.180574,
        38.180574,
        38.180574,
        1003.868107,
        28.109683,
        38.180574,
        167.418216,
        38.180574,
    ]
    got = gg_fit.customer_lifetime_value(bg_fit, first10, time_unit_per_month=30)
    assert_allclose(got, published, rtol=1e-4)
    assert got.name == "clv"
    assert list(got.index) == list(first10.index)
    weekly = [
        36.278496,
        4.637466,
        8.344093,
        8.344093,
        8.344093,
        283.523593,
        6.881407,
        8.344093,
        43.353642,
        8.344093,
    ]
    assert_allclose(gg_fit.customer_lifetime_value(bg_fit, first10), weekly, rtol=1e-4)


def test_gamma_gamma_errors(cdnow_summary):
    model = GammaGamma()
    with pytest.raises(NotFittedError, match="GammaGamma model is not fitted yet"):
        model.conditional_expected_average_profit(1, 10.0)
    with pytest.raises(NotFittedError, match="BetaGeo model is not fitted yet"):
        GammaGamma.from_params(p=6.25, q=3.74, v=15.44).customer_lifetime_value(
            BetaGeo(), cdnow_summary
        )
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['monetary_value'\]"):
        model.fit(cdnow_summary.drop(columns="monetary_value"))
    with pytest.raises(ValueError, match="frequency > 0 and monetary_value > 0"):
        model.fit(cdnow_summary.assign(frequency=0))


# --------------------------------------------------------------------------- holdout evaluation


def test_naive_baseline_and_evaluate_holdout_by_hand():
    s = pd.DataFrame(
        {
            "frequency": [2, 0, 1, 4],
            "T": [20.0, 10.0, 10.0, 40.0],
            "monetary_value": [15.0, 0.0, 8.0, 5.0],
            "duration_holdout": 10.0,
            "frequency_holdout": [1, 0, 2, 1],
            "spend_holdout": [12.0, 0.0, 20.0, 4.0],
        },
        index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    )
    base = naive_holdout_baseline(s)
    assert_allclose(base["purchases"], [1.0, 0.0, 1.0, 1.0])
    assert_allclose(base["spend"], [15.0, 0.0, 8.0, 5.0])

    model = pd.DataFrame(
        {"purchases": [1.0, 0.5, 1.5, 1.0], "spend": [10.0, 1.0, 30.0, 2.0]}, index=s.index
    )
    # predictions are aligned on the customer id, not on position
    table = evaluate_holdout(s, {"model": model.iloc[::-1], "spend_only": model["spend"]})
    assert list(table.index) == ["model", "spend_only", "naive_baseline"]
    row = table.loc["model"]
    assert row["mae_purchases"] == pytest.approx((0 + 0.5 + 0.5 + 0) / 4)
    assert row["mae_spend"] == pytest.approx((2 + 1 + 10 + 2) / 4)
    assert row["predicted_purchases"] == pytest.approx(4.0)
    assert row["actual_purchases"] == pytest.approx(4.0)
    assert row["predicted_spend"] == pytest.approx(43.0)
    assert row["actual_spend"] == pytest.approx(36.0)
    assert row["spearman_spend"] == pytest.approx(1.0)  # same ranks: (3, 1, 4, 2)
    # top decile = ceil(0.4) = 1 customer: c (predicted 30) spent 20 of 36
    assert row["top_decile_revenue_share"] == pytest.approx(20 / 36)
    assert np.isnan(table.loc["spend_only", "mae_purchases"])
    naive = table.loc["naive_baseline"]
    assert naive["mae_purchases"] == pytest.approx((0 + 0 + 1 + 0) / 4)
    assert naive["mae_spend"] == pytest.approx((3 + 0 + 12 + 1) / 4)

    with pytest.raises(ValueError, match="lacks 1 customer"):
        evaluate_holdout(s, {"short": model.iloc[:3]})
    with pytest.raises(ValueError, match="must have columns 'purchases' and/or 'spend'"):
        evaluate_holdout(s, {"wrong": model.rename(columns={"spend": "value"})})


def test_holdout_evaluation_on_cdnow_sample(sample_split, cdnow_sample):
    bg = BetaGeo().fit(sample_split)
    gg = GammaGamma().fit(sample_split)
    prob = holdout_predictions(bg, sample_split, gamma_gamma=gg)
    assert list(prob.columns) == ["purchases", "spend"]
    table = evaluate_holdout(sample_split, {"bgnbd_gg": prob})
    assert table.loc["bgnbd_gg", "actual_purchases"] == 1882
    # BG/NBD beats carrying the calibration rate forward on purchases
    assert table.loc["bgnbd_gg", "mae_purchases"] < table.loc["naive_baseline", "mae_purchases"]
    assert 0.3 < table.loc["bgnbd_gg", "spearman_spend"] < 1


# --------------------------------------------------------------------------- ML CLV


def test_features_tiny(tiny_transactions):
    f = features(
        tiny_transactions,
        customer_col="customer_id",
        date_col="ordered_at",
        amount_col="amount",
        calibration_end="2024-01-15",
        holdout_end="2024-01-29",
        extra_cols=["channel"],
        time_unit="D",
    )
    assert list(f.index) == ["a", "b", "c"]
    a = f.loc["a"]
    assert a["n_orders"] == 3
    assert a["total_spend"] == 65.0
    assert a["first_order_value"] == 15.0
    assert a["order_value_mean"] == pytest.approx(65 / 3)
    assert a["order_value_max"] == 30.0
    assert a["order_value_std"] == pytest.approx(np.std([15.0, 20.0, 30.0]))
    assert a["mean_interpurchase_time"] == 7.0
    assert a["time_since_last"] == 0.0
    assert (a["n_channel_web"], a["n_channel_shop"]) == (3, 1)  # rows, not days
    assert a["spend_holdout"] == 50.0
    assert np.isnan(f.loc["b", "mean_interpurchase_time"])
    assert f.loc["c", "time_since_last"] == 12.0
    assert f.loc["c", "frequency_holdout"] == 1
    no_target = features(
        tiny_transactions,
        customer_col="customer_id",
        date_col="ordered_at",
        amount_col="amount",
        calibration_end="2024-01-15",
    )
    assert "spend_holdout" not in no_target.columns


@pytest.fixture
def one_openmp_thread():
    """HistGradientBoosting's OpenMP threads crawl on a busy CPU; one thread is fast here."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def test_ml_customer_value_time_shifted(cdnow_sample, sample_split, one_openmp_thread):
    kwargs = {"customer_col": "sample_id", "date_col": "date", "amount_col": "dollar_value"}
    train = features(cdnow_sample, calibration_end="1997-06-30", holdout_end="1997-09-30", **kwargs)
    test = features(
        cdnow_sample, calibration_end=CALIBRATION_END, holdout_end=OBSERVATION_END, **kwargs
    )
    model = MLCustomerValue(random_state=0)
    assert not [k for k in vars(model) if k.endswith("_")]
    with pytest.raises(NotFittedError, match="MLCustomerValue model is not fitted yet"):
        model.predict(test)
    model.fit(train)
    assert "spend_holdout" not in model.feature_names_in_
    assert model.duration_ == pytest.approx(92 / 7)
    pred = model.predict(test)
    assert pred.index.equals(test.index) and (pred >= 0).all()
    again = clone(model).fit(train).predict(test)
    pd.testing.assert_series_equal(pred, again)  # seeded, deterministic
    # rate * duration: a 2x horizon doubles the prediction
    assert_allclose(model.predict(test, duration=78.0), 2 * pred)
    # a category-count column absent at prediction time is 0; other features are required
    small = HistGradientBoostingRegressor(max_iter=10, random_state=0)
    model_n = MLCustomerValue(small).fit(train.assign(n_channel_web=1))
    assert_allclose(model_n.predict(test), model_n.predict(test.assign(n_channel_web=0)))
    with pytest.raises(ValueError, match=r"missing feature column\(s\) \['recency'\]"):
        model.predict(test.drop(columns="recency"))
    table = evaluate_holdout(sample_split, {"ml": pred})
    assert table.loc["ml", "spearman_spend"] > 0.3
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['duration_holdout'\]"):
        MLCustomerValue().fit(train.drop(columns="duration_holdout"))


# -- orchestration used by the customers notebook --------------------------------------------
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample_orders():
    import salesnb

    orders = salesnb.load(SAMPLE_DIR, tables=["orders"]).orders
    return orders.loc[orders["status"] != "cancelled"]


def test_compare_on_holdout_scores_all_models_against_what_happened(sample_orders):
    cols = dict(customer_col="customer_id", date_col="order_date", amount_col="amount")
    table, calibration_end = clv.compare_on_holdout(
        sample_orders, observation_end="2026-09-30", holdout_months=6, **cols
    )
    assert calibration_end == pd.Timestamp("2026-03-30")
    assert list(table.index) == ["BG/NBD + Gamma-Gamma", "machine learning", "naive_baseline"]
    # actual holdout spend: customers who bought up to the calibration end, their
    # purchases in (calibration_end, observation_end]
    known = sample_orders.loc[sample_orders["order_date"] <= calibration_end, "customer_id"]
    later = sample_orders.loc[
        (sample_orders["order_date"] > calibration_end)
        & (sample_orders["order_date"] <= pd.Timestamp("2026-09-30"))
        & sample_orders["customer_id"].isin(set(known))
    ]
    assert table["actual_spend"].iloc[0] == pytest.approx(later["amount"].sum(), rel=1e-9)
    assert (table["n_customers"] == known.nunique()).all()
    assert table["predicted_spend"].gt(0).all()


def test_predicted_customer_value_is_sorted_and_positive(sample_orders):
    value = clv.predicted_customer_value(
        sample_orders,
        customer_col="customer_id",
        date_col="order_date",
        amount_col="amount",
        observation_end="2026-09-30",
        horizon_months=12,
    )
    assert value["predicted_value"].is_monotonic_decreasing
    assert value["predicted_value"].ge(0).all()
    assert len(value) == sample_orders["customer_id"].nunique()
