"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013) [1]_.

:class:`GammaGamma` is fitted by maximum likelihood and reports standard
errors, and :func:`gamma_gamma_log_likelihood` is its per-customer
log-likelihood. With a fitted :class:`~salesnb.models.clv.beta_geo.BetaGeo`,
:meth:`GammaGamma.customer_lifetime_value` gives each customer's discounted
expected spend.

It is written here rather than taken from a library for the reasons given in
:mod:`salesnb.models.clv.beta_geo`, and it reproduces the published CDNOW
figures (``tests/test_models_clv.py`` asserts them with stated tolerances).

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma Model of
   Monetary Value", http://brucehardie.com/notes/025/
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from salesnb.models.clv._fit import (
    _factorize,
    _maximise,
    _numerical_hessian,
    _objective,
    _params_table,
    _sample_weight,
    _standard_errors,
    _with_given_params,
    _wsum,
)
from salesnb.models.clv._inputs import _as_float_array, _summary_arrays, _wrap
from salesnb.models.clv.beta_geo import BetaGeo

logger = logging.getLogger(__name__)

__all__ = ["GammaGamma", "gamma_gamma_log_likelihood"]

_GG_PARAMS = ("p", "q", "v")


def gamma_gamma_log_likelihood(
    frequency: Any, monetary_value: Any, *, p: float, q: float, v: float
) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean repeat spend.

    With ``x`` repeat transactions of mean value ``m``:

    .. math::

        \\ell = \\ln\\Gamma(px+q) - \\ln\\Gamma(px) - \\ln\\Gamma(q) + q\\ln v
              + (px-1)\\ln m + px\\ln x - (px+q)\\ln(v + x m)

    (Fader & Hardie 2013, eq. 4, the density of the mean ``m``). Only defined
    for ``x > 0`` and ``m > 0``.

    Examples
    --------
    >>> gamma_gamma_log_likelihood([1, 2], [20.0, 35.0], p=6.25, q=3.74, v=15.44).round(4)
    array([-3.5942, -4.0958])
    """
    x, m = np.broadcast_arrays(_as_float_array(frequency), _as_float_array(monetary_value))
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + x * m)
    )


class _GammaGammaData:
    """Gamma-Gamma sufficient statistics over grouped ``(x, m)`` rows."""

    def __init__(self, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> None:
        cx, ux = _factorize(x)
        cm, um = _factorize(m)
        gcode, gkey = pd.factorize(cx * len(um) + cm, sort=False)
        gw = np.bincount(gcode, weights=w)
        keep = gw > 0
        gkey, gw = np.asarray(gkey)[keep], gw[keep]
        g_cx, g_cm = gkey // len(um), gkey % len(um)
        gx, gm = ux[g_cx], um[g_cm]
        self.n = float(gw.sum())
        self.n_groups = len(gw)
        self.ux = ux
        self.w_x = np.bincount(g_cx, weights=gw, minlength=len(ux))
        self.g_w, self.g_x, self.g_xm = gw, gx, gx * gm
        self.g_wx = gw * gx
        self.const_lnm = _wsum(gw, np.log(gm))
        self.sum_wx_lnxm = _wsum(self.g_wx, np.log(gm) + np.log(gx))

    def loglik(self, theta: np.ndarray, *, gradient: bool = True):
        p, q, v = theta
        ux, n = self.ux, self.n
        pux = p * ux
        L = np.log(v + self.g_xm)
        ll = (
            self.w_x @ (special.gammaln(pux + q) - special.gammaln(pux))
            - n * special.gammaln(q)
            + n * q * np.log(v)
            + p * self.sum_wx_lnxm
            - self.const_lnm
            - _wsum(p * self.g_wx + q * self.g_w, L)
        )
        if not gradient:
            return ll
        psi_sum = special.digamma(pux + q)
        g_p = (
            (self.w_x * ux) @ (psi_sum - special.digamma(pux))
            + self.sum_wx_lnxm
            - _wsum(self.g_wx, L)
        )
        g_q = self.w_x @ psi_sum - n * special.digamma(q) + n * np.log(v) - _wsum(self.g_w, L)
        g_v = n * q / v - _wsum(p * self.g_wx + q * self.g_w, 1.0 / (v + self.g_xm))
        return ll, np.array([g_p, g_q, g_v])


class GammaGamma(BaseEstimator):
    """Gamma-Gamma model of spend per transaction (Fader & Hardie 2013).

    Each transaction value is ``Gamma(p, nu)`` (shape ``p``, rate ``nu``) and
    the customer's ``nu ~ Gamma(q, v)`` (shape ``q``, rate ``v``). Spend is
    assumed independent of purchase frequency. The mean spend per transaction
    in the population is ``p v / (q - 1)``.

    Fitted by maximum likelihood over ``log(p, q, v)`` on customers with
    ``frequency > 0`` (the spend of one-time buyers' repeat purchases is
    unobserved) and ``monetary_value > 0``. Others are skipped and the count
    is logged.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters, as in :class:`BetaGeo`.
    tol : float, default 1e-8
        Gradient tolerance of BFGS, as in :class:`BetaGeo`.
    maxiter : int, default 1000
        Maximum iterations.
    initial_params : dict, optional
        Starting values ``{"p", "q", "v"}``. The default is ``p = 1, q = 2`` and
        ``v`` equal to the mean ``monetary_value``, so the start does not
        depend on the currency unit.

    Attributes
    ----------
    params_ : dict
        ``{"p", "q", "v"}``.
    standard_errors_ : dict
        From the inverse numerical Hessian of the negative log-likelihood in
        the natural parameter space.
    summary_ : DataFrame
        ``coef``, ``se`` and a normal 95% interval per parameter.
    log_likelihood_ : float
        Total log-likelihood at ``params_``.
    n_customers_ : float
        Customers used (``frequency > 0`` and ``monetary_value > 0``).
    n_groups_ : int
        Distinct ``(frequency, monetary_value)`` rows.
    converged_ : bool
        Whether the optimiser reported convergence.
    n_iter_ : int
        Optimiser iterations.

    Notes
    -----
    Prediction methods raise :class:`sklearn.exceptions.NotFittedError`
    before :meth:`fit` (or :meth:`from_params`).

    Examples
    --------
    >>> summary = pd.DataFrame({"frequency": [1, 2, 3, 1, 4, 0],
    ...                         "monetary_value": [20.0, 35.0, 12.5, 50.0, 28.0, 0.0]})
    >>> gg = GammaGamma().fit(summary)
    >>> gg.n_customers_
    5.0
    >>> gg.conditional_expected_average_profit(0, 0.0) > 0
    True
    """

    def __init__(
        self,
        *,
        penalizer_coef: float = 0.0,
        tol: float = 1e-8,
        maxiter: int = 1000,
        initial_params: Mapping[str, float] | None = None,
    ) -> None:
        self.penalizer_coef = penalizer_coef
        self.tol = tol
        self.maxiter = maxiter
        self.initial_params = initial_params

    @classmethod
    def from_params(cls, *, p: float, q: float, v: float) -> GammaGamma:
        """A model with given parameters, ready to predict (other learned attributes are NaN).

        Examples
        --------
        >>> gg = GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
        >>> round(gg.conditional_expected_average_profit(2, 22.35), 2)
        24.66
        """
        return _with_given_params(cls(), {"p": p, "q": q, "v": v})

    def fit(self, summary: Any, y: Any = None, *, sample_weight: Any = None) -> GammaGamma:
        """Fit by maximum likelihood on customers with ``frequency > 0``.

        Parameters
        ----------
        summary : DataFrame
            Columns ``frequency`` and ``monetary_value`` (mean repeat-purchase
            value, as from :func:`rfm_summary`).
        y : None
            Ignored; present for scikit-learn API compatibility.
        sample_weight : array-like, optional
            Number of customers each row stands for.

        Returns
        -------
        GammaGamma
            ``self``, fitted.

        Raises
        ------
        ValueError
            If a column or value is missing, or no customer has
            ``frequency > 0`` and ``monetary_value > 0``.
        """
        _, (x, m) = _summary_arrays(summary, ["frequency", "monetary_value"], name="summary")
        w = _sample_weight(sample_weight, len(x))
        repeat = x > 0
        usable = repeat & (m > 0)
        n_nonpositive = int((repeat & ~usable).sum())
        if n_nonpositive:
            logger.info(
                "GammaGamma: skipping %d repeat customer(s) with monetary_value <= 0",
                n_nonpositive,
            )
        if not usable.any() or w[usable].sum() <= 0:
            raise ValueError(
                "GammaGamma needs customers with frequency > 0 and monetary_value > 0; "
                "summary has none"
            )
        x, m, w = x[usable], m[usable], w[usable]
        data = _GammaGammaData(x, m, w)
        n, pen = data.n, float(self.penalizer_coef)
        objective = _objective(data, pen)

        if self.initial_params is not None:
            missing = [k for k in _GG_PARAMS if k not in self.initial_params]
            if missing:
                raise ValueError(f"initial_params is missing {missing}")
            init = np.array([float(self.initial_params[k]) for k in _GG_PARAMS])
        else:
            init = np.array([1.0, 2.0, float(np.sum(w * m) / w.sum())])
        result, converged = _maximise(
            objective, np.log(init), tol=self.tol, maxiter=self.maxiter, model="GammaGamma"
        )
        theta = np.exp(result.x)
        hess = _numerical_hessian(lambda th: -data.loglik(th)[1] + 2.0 * n * pen * th, theta)
        self.params_ = dict(zip(_GG_PARAMS, map(float, theta), strict=True))
        self.standard_errors_ = _standard_errors(hess, _GG_PARAMS)
        self.summary_ = _params_table(self.params_, self.standard_errors_)
        self.log_likelihood_ = float(data.loglik(theta, gradient=False))
        self.n_customers_ = n
        self.n_groups_ = data.n_groups
        self.converged_ = converged
        self.n_iter_ = int(result.nit)
        return self

    def _theta(self) -> tuple[float, float, float]:
        check_is_fitted(
            self,
            "params_",
            msg="This GammaGamma model is not fitted yet: call fit(summary) or "
            "GammaGamma.from_params(...) before predicting.",
        )
        return self.params_["p"], self.params_["q"], self.params_["v"]

    def conditional_expected_average_profit(self, frequency: Any, monetary_value: Any) -> Any:
        """Expected mean spend per transaction given ``x`` repeat purchases of mean value ``m``.

        .. math::

            E[M \\mid x, m] = \\frac{p (v + x m)}{p x + q - 1}
              = \\frac{q-1}{px+q-1}\\,\\frac{p v}{q-1} + \\frac{px}{px+q-1}\\, m

        (Fader & Hardie 2013, eq. 5): a weighted average of the population
        mean ``p v / (q - 1)`` and the customer's own mean. For ``x = 0`` it
        is the population mean. Needs ``q > 1``.

        Examples
        --------
        >>> gg = GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
        >>> gg.conditional_expected_average_profit([0, 2], [0.0, 22.35]).round(2)
        array([35.22, 24.66])
        """
        p, q, v = self._theta()
        x, m = np.broadcast_arrays(_as_float_array(frequency), _as_float_array(monetary_value))
        m = np.where(x > 0, m, 0.0)
        result = p * (v + x * m) / (p * x + q - 1.0)
        return _wrap(result, frequency, monetary_value, name="expected_average_profit")

    def customer_lifetime_value(
        self,
        beta_geo: BetaGeo,
        summary: Any,
        *,
        horizon_months: int = 12,
        discount_rate: float = 0.01,
        time_unit_per_month: float = 4.345,
    ) -> pd.Series:
        """Discounted expected spend over the next ``horizon_months`` months.

        .. math::

            \\mathrm{CLV} = \\sum_{k=1}^{H} \\frac{E[M \\mid x, m]\\,
              \\big(E[Y(k u)\\mid x,t_x,T] - E[Y((k-1) u)\\mid x,t_x,T]\\big)}
              {(1 + d)^k}

        where ``u = time_unit_per_month``, ``d`` is the monthly
        ``discount_rate`` and ``E[Y]`` is
        :meth:`BetaGeo.conditional_expected_purchases`. This is the
        computation of lifetimes' ``customer_lifetime_value`` with
        ``time=H`` and its ``freq`` factor (``"W"``: 4.345, ``"D"``: 30,
        ``"M"``: 1) as ``time_unit_per_month``.

        Note: lifetimes' Quickstart CLV table for CDNOW (data in weeks) was
        produced with the default ``freq="D"``, i.e. ``time_unit_per_month=30``
        *weeks*. For weekly data the correct value is 4.345 (the default
        here); use 30 only to reproduce those published numbers.

        Parameters
        ----------
        beta_geo : BetaGeo
            Fitted transaction model.
        summary : DataFrame
            ``frequency``, ``recency``, ``T``, ``monetary_value``.
        horizon_months : int, default 12
            Number of months ``H``.
        discount_rate : float, default 0.01
            Monthly discount rate ``d``.
        time_unit_per_month : float, default 4.345
            Model time units per month (4.345 weeks, about 30.4 days).

        Returns
        -------
        Series
            ``clv`` per customer, indexed like ``summary``.

        Examples
        --------
        >>> bg = BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> gg = GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
        >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0],
        ...                   "T": [38.86, 38.86], "monetary_value": [22.35, 0.0]})
        >>> gg.customer_lifetime_value(bg, s).round(2).tolist()
        [36.29, 8.37]
        """
        self._theta()
        beta_geo._theta()
        frame, (x, tx, T, m) = _summary_arrays(
            summary, ["frequency", "recency", "T", "monetary_value"], name="summary"
        )
        spend = _as_float_array(self.conditional_expected_average_profit(x, m))
        clv = np.zeros(len(x))
        previous = np.zeros(len(x))
        for month in range(1, int(horizon_months) + 1):
            cumulative = _as_float_array(
                beta_geo.conditional_expected_purchases(month * time_unit_per_month, x, tx, T)
            )
            clv += spend * (cumulative - previous) / (1.0 + discount_rate) ** month
            previous = cumulative
        return pd.Series(clv, index=frame.index, name="clv")
