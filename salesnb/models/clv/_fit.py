"""Maximum-likelihood fitting shared by the BG/NBD and Gamma-Gamma models.

Sample weights, grouping of identical rows, the BFGS optimiser and its
convergence rule, standard errors from a numerical Hessian, the parameter
table, and the learned state of a model built from given parameters.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from sklearn.exceptions import ConvergenceWarning

from salesnb.models.clv._inputs import _as_float_array

_Z95 = 1.959963984540054


def _sample_weight(sample_weight: Any, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    w = _as_float_array(sample_weight)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or (w < 0).any():
        raise ValueError(
            f"sample_weight must be {n} finite non-negative numbers, got shape {w.shape}"
        )
    return w


def _wsum(weights: np.ndarray, values: np.ndarray) -> float:
    """``weights @ values`` for long vectors, single-threaded.

    ``np.einsum`` does not call BLAS, whose threaded dot product slows down
    badly when its threads compete for the CPU with other work.
    """
    return float(np.einsum("i,i->", weights, values))


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64), np.asarray(uniques, dtype="float64")


def _numerical_hessian(grad, theta: np.ndarray, rel_step: float = 1e-5) -> np.ndarray:
    """Central-difference Hessian of a function whose gradient is ``grad``."""
    k = theta.size
    hess = np.empty((k, k))
    for j in range(k):
        h = rel_step * max(abs(theta[j]), 1e-8)
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        hess[:, j] = (grad(up) - grad(down)) / (2.0 * h)
    return 0.5 * (hess + hess.T)


def _standard_errors(hess_nll: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    try:
        cov = np.linalg.inv(hess_nll)
        diag = np.diag(cov)
    except np.linalg.LinAlgError:
        diag = np.full(len(names), np.nan)
    se = np.sqrt(np.where(diag > 0, diag, np.nan))
    return dict(zip(names, map(float, se), strict=True))


def _params_table(params: Mapping[str, float], se: Mapping[str, float]) -> pd.DataFrame:
    table = pd.DataFrame(
        {"coef": pd.Series(params, dtype="float64"), "se": pd.Series(se, dtype="float64")}
    )
    table["lower_95"] = table["coef"] - _Z95 * table["se"]
    table["upper_95"] = table["coef"] + _Z95 * table["se"]
    table.index.name = "param"
    return table


def _with_given_params(model, params: Mapping[str, float]):
    """Set the learned attributes of ``model`` from given parameters (no data seen)."""
    model.params_ = {k: float(v) for k, v in params.items()}
    model.standard_errors_ = dict.fromkeys(model.params_, math.nan)
    model.summary_ = _params_table(model.params_, model.standard_errors_)
    model.log_likelihood_ = math.nan
    model.n_customers_ = math.nan
    model.n_groups_ = 0
    model.converged_ = True
    model.n_iter_ = 0
    return model


def _objective(data, pen: float):
    """``log_theta -> (-LL / n + pen * |theta|^2, gradient)``, the per-customer objective.

    ``data`` has ``n`` (customers, weighted) and ``loglik(theta) -> (LL, dLL/dtheta)``;
    the parameters are optimised on the log scale (``theta = exp(log_theta)``), so the
    gradient is chained through ``theta``. A non-finite value returns ``inf`` (the
    optimiser backs off).
    """
    n = data.n

    def objective(log_theta: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(log_theta)
        ll, grad = data.loglik(theta)
        value = -ll / n + pen * theta @ theta
        g = theta * (-grad / n + 2.0 * pen * theta)
        if not np.isfinite(value):
            return np.inf, np.zeros_like(g)
        return value, g

    return objective


def _maximise(
    objective,
    x0: np.ndarray,
    *,
    tol: float,
    maxiter: int,
    model: str,
    hess_inv0: np.ndarray | None = None,
) -> tuple[optimize.OptimizeResult, bool]:
    """Minimise ``objective(log_params) -> (value, gradient)`` with BFGS.

    BFGS rather than L-BFGS-B: with 3-4 parameters its dense update is
    cheap, and L-BFGS-B's tiny BLAS calls can be very slow when OpenBLAS
    threads compete for the CPU. A stop for "precision loss" with a
    gradient already below ``1e-5`` counts as converged: the optimum is found
    to within floating-point noise. ``hess_inv0`` is BFGS's first inverse
    Hessian (identity by default), e.g. from a fit on a subsample.
    """
    options: dict[str, Any] = {"maxiter": maxiter, "gtol": tol}
    if hess_inv0 is not None:
        options["hess_inv0"] = hess_inv0
    result = optimize.minimize(objective, x0, jac=True, method="BFGS", options=options)
    converged = bool(result.success) or (
        result.status == 2 and float(np.max(np.abs(result.jac))) <= 1e-5
    )
    if not converged:
        warnings.warn(
            f"{model} fit did not converge: {result.message}. Try a larger penalizer_coef, "
            "other initial_params or a larger maxiter.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return result, converged
