"""BG/NBD fitting on many distinct rows: analytic Hessian, warm start, stable softplus.

The warm start and the analytic Hessian make fits on untied data (recency and
T at hour resolution) fast; they must not move the fitted parameters beyond
the optimiser's tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from salesnb.models.clv import BetaGeo, simulate_beta_geo
from salesnb.models.clv import beta_geo as bg_module
from salesnb.models.clv._fit import _numerical_hessian
from salesnb.models.clv.beta_geo import _BetaGeoData, _softplus

BG = {"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258}


def _untied(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    T = rng.integers(189 * 24, 273 * 24, n) / (7 * 24)  # hours, in weeks
    return simulate_beta_geo(n, **BG, T=T, time_resolution=1 / (7 * 24), random_state=rng)


def test_analytic_hessian_equals_finite_differences_of_the_gradient():
    s = _untied(3000)
    x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    data = _BetaGeoData(x, tx, T, np.ones(len(x)))
    for theta in (np.array([0.2426, 4.4135, 0.7929, 2.4258]), np.array([0.6, 1.5, 1.4, 0.8])):
        numeric = _numerical_hessian(lambda th: data.loglik(th)[1], theta)
        assert_allclose(data.hessian(theta), numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())


def test_grouping_only_repeat_buyers_keeps_the_likelihood():
    s = _untied(2000)
    x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = np.random.default_rng(0).integers(0, 3, len(x)).astype(float)  # zero weights too
    data = _BetaGeoData(x, tx, T, w)
    theta = np.array([0.3, 3.0, 1.2, 2.0])
    per_row = bg_module.beta_geo_log_likelihood(x, tx, T, r=0.3, alpha=3.0, a=1.2, b=2.0)
    assert data.loglik(theta, gradient=False) == pytest.approx(w @ per_row, rel=1e-12)
    assert data.n == w.sum()


def test_warm_start_gives_the_same_parameters(monkeypatch):
    s = _untied(20_000)
    cold = BetaGeo().fit(s)
    monkeypatch.setattr(bg_module, "_WARM_START_GROUPS", 1000)
    monkeypatch.setattr(bg_module, "_WARM_START_ROWS", 2000)
    warm = BetaGeo().fit(s)
    assert warm.converged_ and warm.n_iter_ < cold.n_iter_
    for k, v in cold.params_.items():
        assert warm.params_[k] == pytest.approx(v, rel=1e-6)
        assert warm.standard_errors_[k] == pytest.approx(cold.standard_errors_[k], rel=1e-5)
    assert warm.log_likelihood_ == pytest.approx(cold.log_likelihood_, rel=1e-12)


def test_softplus_is_exact_and_does_not_overflow():
    d = np.array([-800.0, -40.0, -1.0, 0.0, 1e-9, 3.0, 40.0, 800.0, 1e5])
    from scipy import special

    assert_allclose(_softplus(d, special.expit(d)), np.logaddexp(0.0, d), rtol=1e-14, atol=1e-16)
