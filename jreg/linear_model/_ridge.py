r"""Ridge and RidgeCV: exact solves (Cholesky / SVD) and scikit-learn's LOO/GCV."""

from __future__ import annotations

import functools
import numbers

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv

from jreg._precision import full_precision
from jreg.linear_model import _base

__all__ = ["Ridge", "RidgeCV"]

_SOLVERS = ("auto", "svd", "cholesky", "eigen", "lsqr", "sparse_cg", "sag", "saga", "lbfgs")


def _center(x, ys, sw, fit_intercept):
    total = jnp.sum(sw)
    if fit_intercept:
        x_offset = sw @ x / total
        y_offset = sw @ ys / total
    else:
        x_offset = jnp.zeros(x.shape[1], x.dtype)
        y_offset = jnp.zeros(ys.shape[1], x.dtype)
    root = jnp.sqrt(sw)
    return (x - x_offset) * root[:, None], (ys - y_offset) * root[:, None], x_offset, y_offset


def _svd_coef(u, s, vt, uty, alpha):
    d = s / (s * s + alpha)
    return vt.T @ (d * uty)


@functools.partial(jax.jit, static_argnames=("fit_intercept", "method"))
@full_precision
def _ridge_solve(x, ys, sw, alphas, *, fit_intercept, method):
    """Exact ridge for targets ``ys`` ``(n, T)`` with per-target ``alphas`` ``(T,)``."""
    xc, yc, x_offset, y_offset = _center(x, ys, sw, fit_intercept)
    n, p = xc.shape
    if method == "svd":
        u, s, vt = jnp.linalg.svd(xc, full_matrices=False)
        uty = u.T @ yc
        coef = jax.vmap(lambda c, a: _svd_coef(u, s, vt, c, a), in_axes=(1, 0), out_axes=1)(
            uty, alphas
        )
    elif n >= p:
        gram = xc.T @ xc
        xty = xc.T @ yc

        def one(rhs, a):
            return jax.scipy.linalg.cho_solve(
                jax.scipy.linalg.cho_factor(gram + a * jnp.eye(p, dtype=x.dtype)), rhs
            )

        coef = jax.vmap(one, in_axes=(1, 0), out_axes=1)(xty, alphas)
    else:
        kernel = xc @ xc.T

        def one(rhs, a):
            dual = jax.scipy.linalg.cho_solve(
                jax.scipy.linalg.cho_factor(kernel + a * jnp.eye(n, dtype=x.dtype)), rhs
            )
            return xc.T @ dual

        coef = jax.vmap(one, in_axes=(1, 0), out_axes=1)(yc, alphas)
    intercept = y_offset - x_offset @ coef
    return coef.T, intercept


def _check_alpha(alpha, n_targets):
    alpha = np.asarray(alpha, dtype=np.float64)
    if alpha.ndim > 1:
        raise ValueError(f"alpha must be a float or a 1-d array, got shape {alpha.shape}.")
    if not np.all(np.isfinite(alpha)) or np.any(alpha < 0):
        raise ValueError(f"alpha must be finite and >= 0, got {alpha!r}.")
    if alpha.ndim == 1 and alpha.size not in (1, n_targets):
        raise ValueError(
            f"Number of targets and number of penalties do not correspond: {n_targets} != "
            f"{alpha.size}"
        )
    return np.broadcast_to(alpha.ravel() if alpha.ndim else alpha, (n_targets,)).copy()


class Ridge(MultiOutputMixin, RegressorMixin, BaseEstimator):
    r"""Linear least squares with L2 regularization (scikit-learn's ``Ridge``).

    Minimises, exactly (no iterative tolerance),

    $$
    \|y - Xw - b\|_2^2 + \alpha\|w\|_2^2
    $$

    (squared errors weighted by ``sample_weight``), by a Cholesky factorisation of
    ``XᵀX + αI`` (or of ``XXᵀ + αI`` when ``n < p``) or an SVD (``solver="svd"``, also the
    fallback when a factorisation is singular). ``positive=True`` is solved by the
    certified coordinate-descent kernel (elastic net with ``l1_ratio=0``) to ``tol``.

    Args:
      alpha: ``α ≥ 0``, a float or one value per target.
      fit_intercept: fit ``b`` (data centred by weighted means).
      copy_X: accepted for compatibility (``X`` is never modified).
      max_iter: epochs for ``positive=True`` (default 15000).
      tol: duality-gap tolerance for ``positive=True`` (scikit-learn's scaling).
      solver: ``"svd"`` uses an SVD; every other scikit-learn name (``"auto"``,
        ``"cholesky"``, ``"lsqr"``, ``"sag"``, ...) gets the exact Cholesky solve.
      positive: force ``w ≥ 0``.
      random_state: accepted for compatibility.

    Attributes:
      coef_: coefficients.
      intercept_: intercept.
      n_iter_: iterations (``None`` for exact solves).
      solver_: the solver used.
      n_features_in_: number of features seen in ``fit``.

    Examples:
      >>> import numpy as np
      >>> from jreg.linear_model import Ridge
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 2.5])
      >>> model = Ridge(alpha=1.0).fit(X, y)
      >>> print(np.round(model.coef_, 4), round(float(model.intercept_), 4))
      [0.8333 0.0714] 0.2381
    """

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        copy_X=True,
        max_iter=None,
        tol=1e-4,
        solver="auto",
        positive=False,
        random_state=None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Fit the ridge model exactly.

        Args:
          X: ``(n_samples, n_features)``.
          y: ``(n_samples,)`` or ``(n_samples, n_targets)``.
          sample_weight: optional non-negative weights (or a scalar).

        Returns:
          self.
        """
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {_SOLVERS}, got {self.solver!r}.")
        _base.check_bool(self.fit_intercept, "fit_intercept")
        _base.check_bool(self.positive, "positive")
        _base.check_number(self.tol, "tol", low=0)
        if self.max_iter is not None:
            _base.check_number(self.max_iter, "max_iter", low=1, integer=True)
        if self.positive and self.solver not in ("auto", "lbfgs"):
            raise ValueError(
                f"solver={self.solver!r} does not support positive=True; use 'auto' or 'lbfgs'."
            )
        X, y = _base.validate_xy(self, X, y)
        n_samples, n_features = X.shape
        sw = _base.check_sample_weight(sample_weight, n_samples, X.dtype)
        if sw is None and isinstance(sample_weight, numbers.Number):
            sw = np.full(n_samples, float(sample_weight), X.dtype)
        ys = y[:, None] if y.ndim == 1 else y
        alphas = _check_alpha(self.alpha, ys.shape[1])
        dtype = X.dtype
        weights = np.ones(n_samples, dtype) if sw is None else sw
        if self.positive:
            coef, intercept = self._fit_positive(X, ys, weights, alphas)
            self.solver_ = "cd"
        else:
            method = "svd" if self.solver == "svd" else "cholesky"
            coef, intercept = self._exact(X, ys, weights, alphas, method)
            if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
                method = "svd"
                coef, intercept = self._exact(X, ys, weights, alphas, method)
            self.solver_ = method
            self.n_iter_ = None
        if y.ndim == 1:
            self.coef_ = coef[0]
            self.intercept_ = float(intercept[0]) if self.fit_intercept else 0.0
        else:
            self.coef_ = coef
            self.intercept_ = intercept if self.fit_intercept else np.zeros(ys.shape[1], dtype)
        return self

    def _exact(self, X, ys, weights, alphas, method):
        dtype = X.dtype
        coef, intercept = _ridge_solve(
            _base.to_jax(X, dtype), _base.to_jax(ys, dtype), _base.to_jax(weights, dtype),
            _base.to_jax(alphas, dtype), fit_intercept=self.fit_intercept, method=method,
        )
        return _base.to_numpy(coef, dtype), _base.to_numpy(intercept, dtype)

    def _fit_positive(self, X, ys, weights, alphas):
        from jreg.linear_model._coordinate_descent import _solve_targets

        total = float(np.sum(weights))
        max_iter = 15000 if self.max_iter is None else self.max_iter
        coefs, intercepts, n_iters = [], [], []
        for t in range(ys.shape[1]):
            # ½‖·‖² + ½α‖w‖² is the elastic net (l1_ratio=0) at strength α/S in its units
            out = _solve_targets(
                X, ys[:, t][None], weights, np.array([alphas[t] / total]), 0.0,
                np.zeros((1, X.shape[1]), X.dtype), tol=self.tol, max_iter=max_iter,
                fit_intercept=self.fit_intercept, positive=True, precompute="auto",
            )
            if not bool(np.all(out["converged"])):
                _base.warn_not_converged(out["gap"].ravel(), out["tol"].ravel())
            coefs.append(out["coef"][0, 0])
            intercepts.append(out["intercept"][0, 0])
            n_iters.append(int(out["n_iter"][0, 0]))
        self.n_iter_ = np.asarray(n_iters)
        return np.array(coefs), np.array(intercepts)

    def predict(self, X):
        """Predict with the fitted linear model: ``X @ coef_.T + intercept_``."""
        return _base.linear_predict(self, X)


@functools.partial(jax.jit, static_argnames=("fit_intercept",))
@full_precision
def _ridge_loo(x, ys, sw, alphas, *, fit_intercept):
    r"""Leave-one-out errors and coefficients for every alpha from one SVD.

    With ``Xc = U S Vᵀ`` (thin) and ``G = XcXcᵀ + αI``: ``αG⁻¹ = I + U diag(M) Uᵀ``,
    ``M = α/(S² + α) − 1``; the LOO residuals are ``(αG⁻¹yc)/diag(αG⁻¹)`` with the
    intercept correction ``d ← d − √s ∘ (G⁻¹√s) ∘ ... / Σs`` (scikit-learn's ``_RidgeGCV``).
    """
    xc, yc, x_offset, y_offset = _center(x, ys, sw, fit_intercept)
    root = jnp.sqrt(sw)
    u, s, vt = jnp.linalg.svd(xc, full_matrices=False)
    uty = u.T @ yc
    uts = u.T @ root
    u2 = u * u

    def one(alpha):
        m = alpha / (s * s + alpha) - 1.0
        alpha_c = yc + u @ (m[:, None] * uty)
        alpha_d = 1.0 + u2 @ m
        if fit_intercept:
            alpha_d = alpha_d - (root + u @ (m * uts)) * root / jnp.sum(sw)
        looe = alpha_c / alpha_d[:, None]
        coef = vt.T @ ((s / (s * s + alpha))[:, None] * uty)
        return looe, coef

    looe, coef = jax.vmap(one)(alphas)  # (A, n, T), (A, p, T)
    intercept = y_offset[None, :] - jnp.einsum("p,apt->at", x_offset, coef)
    return looe, coef, intercept, y_offset


def _fold_ridge(x, ys, train_idx, train_w, test_idx, alphas, fit_intercept):
    """Predictions on each (padded) test fold for every alpha: ``(F, A, n_test, T)``."""

    def fold(tr_idx, tr_w, te_idx):
        xc, yc, x_offset, y_offset = _center(x[tr_idx], ys[tr_idx], tr_w, fit_intercept)
        u, s, vt = jnp.linalg.svd(xc, full_matrices=False)
        uty = u.T @ yc

        def one(alpha):
            coef = vt.T @ ((s / (s * s + alpha))[:, None] * uty)
            return (x[te_idx] - x_offset) @ coef + y_offset

        return jax.vmap(one)(alphas)

    return jax.vmap(fold)(train_idx, train_w, test_idx)


_fold_ridge_jit = jax.jit(full_precision(_fold_ridge), static_argnames=("fit_intercept",))


class _IdentityRegressor(RegressorMixin, BaseEstimator):
    """Scores precomputed predictions with a scikit-learn scorer."""

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return X


class RidgeCV(MultiOutputMixin, RegressorMixin, BaseEstimator):
    r"""Ridge with built-in cross-validation of ``alpha`` (scikit-learn's ``RidgeCV``).

    With ``cv=None`` (default) every alpha is scored by efficient leave-one-out from a
    single SVD of the centred, weighted design (scikit-learn's ``_RidgeGCV`` closed form,
    all alphas in one vmapped call); ``best_score_`` is the negative mean squared LOO
    error (weighted residuals) unless ``scoring`` is given. With ``cv`` set, every fold ×
    alpha is solved exactly in one batched call and scored as ``GridSearchCV`` would
    (``R²`` by default).

    Args:
      alphas: candidate strengths (> 0 for LOO).
      fit_intercept: fit ``b``.
      scoring: ``None`` or a scikit-learn scorer name / callable.
      cv: ``None`` (LOO) or a scikit-learn ``cv``.
      gcv_mode: ``None``, ``"auto"``, ``"svd"`` or ``"eigen"``; accepted, jreg always uses
        the SVD (the same numbers up to rounding).
      store_cv_results: keep ``cv_results_`` (LOO only).
      alpha_per_target: choose one alpha per target (LOO only).

    Attributes:
      alpha_: the chosen alpha (one per target with ``alpha_per_target``).
      best_score_: score of the chosen alpha.
      coef_: coefficients at ``alpha_``.
      intercept_: intercept at ``alpha_``.
      cv_results_: leave-one-out errors, when ``store_cv_results``.
      n_features_in_: number of features seen in ``fit``.

    Examples:
      >>> import numpy as np
      >>> from sklearn.datasets import load_diabetes
      >>> from jreg.linear_model import RidgeCV
      >>> X, y = load_diabetes(return_X_y=True)
      >>> model = RidgeCV(alphas=[1e-3, 1e-2, 1e-1, 1]).fit(X, y)
      >>> round(model.score(X, y), 4), model.alpha_
      (0.5166, 0.01)
    """

    def __init__(
        self,
        alphas=(0.1, 1.0, 10.0),
        *,
        fit_intercept=True,
        scoring=None,
        cv=None,
        gcv_mode=None,
        store_cv_results=False,
        alpha_per_target=False,
    ):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target

    def fit(self, X, y, sample_weight=None, **params):
        """Fit with the cross-validated alpha (LOO closed form or ``cv`` folds).

        Returns:
          self.
        """
        _base.check_bool(self.fit_intercept, "fit_intercept")
        _base.check_bool(self.store_cv_results, "store_cv_results")
        _base.check_bool(self.alpha_per_target, "alpha_per_target")
        if self.gcv_mode not in (None, "auto", "svd", "eigen"):
            raise ValueError(
                f"gcv_mode must be None, 'auto', 'svd' or 'eigen', got {self.gcv_mode!r}."
            )
        alphas = np.atleast_1d(np.asarray(self.alphas, dtype=np.float64)).ravel()
        if alphas.size == 0:
            raise ValueError("alphas must not be empty.")
        low_ok = (alphas > 0) if self.cv is None else (alphas >= 0)
        for index, alpha in enumerate(alphas):
            if not np.isfinite(alpha) or not low_ok[index]:
                bound = "> 0" if self.cv is None else ">= 0"
                raise ValueError(f"alphas[{index}] == {alpha}, must be {bound}.")
        X, y = _base.validate_xy(self, X, y)
        original_dtype = X.dtype
        dtype = np.float64  # scikit-learn's GCV also works in float64
        n_samples = X.shape[0]
        sw = _base.check_sample_weight(sample_weight, n_samples, dtype)
        if sw is None and isinstance(sample_weight, numbers.Number):
            sw = np.full(n_samples, float(sample_weight), dtype)
        if self.cv is None:
            self._fit_loo(X.astype(dtype), y.astype(dtype), sw, alphas)
        else:
            if self.store_cv_results:
                raise ValueError("cv!=None and store_cv_results=True are incompatible")
            if self.alpha_per_target:
                raise ValueError("cv!=None and alpha_per_target=True are incompatible")
            self._fit_folds(X.astype(dtype), y.astype(dtype), sw, alphas, params)
        self.coef_ = np.asarray(self.coef_).astype(original_dtype, copy=False)
        if not isinstance(self.intercept_, float):
            self.intercept_ = np.asarray(self.intercept_).astype(original_dtype, copy=False)
        return self

    def _fit_loo(self, X, y, sw, alphas):
        n_samples = X.shape[0]
        ys = y[:, None] if y.ndim == 1 else y
        weights = np.ones(n_samples) if sw is None else sw
        dt = _base.jax_dtype(np.float64)
        looe, coef, intercept, y_offset = _ridge_loo(
            _base.to_jax(X, dt), _base.to_jax(ys, dt), _base.to_jax(weights, dt),
            _base.to_jax(alphas, dt), fit_intercept=self.fit_intercept,
        )
        looe, coef, intercept = np.asarray(looe), np.asarray(coef), np.asarray(intercept)
        n_y = ys.shape[1]
        if self.scoring is None:
            errors = looe**2  # (A, n, T)
            scores = -errors.mean(axis=1) if self.alpha_per_target else -errors.mean(axis=(1, 2))
            results = errors
        else:
            root = np.sqrt(weights)[None, :, None]
            yc = (ys - np.asarray(y_offset)[None, :]) * root[0]
            predictions = (yc[None] - looe) / root + np.asarray(y_offset)[None, None, :]
            scorer = check_scoring(estimator=self, scoring=self.scoring)
            identity = _IdentityRegressor()
            if self.alpha_per_target:
                scores = np.array([[scorer(identity, predictions[a][:, t], ys[:, t])
                                    for t in range(n_y)] for a in range(len(alphas))])
            else:
                target = y
                scores = np.array([
                    scorer(identity, predictions[a][:, 0] if y.ndim == 1 else predictions[a],
                           target)
                    for a in range(len(alphas))
                ])
            results = predictions
        if self.alpha_per_target and n_y > 1:
            best = np.argmax(scores, axis=0)  # first best per target
            self.alpha_ = alphas[best]
            self.best_score_ = scores[best, np.arange(n_y)]
            coef_t = coef[best, :, np.arange(n_y)]  # (T, p)
            intercept_t = intercept[best, np.arange(n_y)]
        else:
            best = int(np.argmax(scores if scores.ndim == 1 else scores.mean(axis=1)))
            self.alpha_ = float(alphas[best])
            self.best_score_ = (scores[best] if scores.ndim == 1 else scores[best])
            if np.ndim(self.best_score_) == 0:
                self.best_score_ = float(self.best_score_)
            coef_t = coef[best].T
            intercept_t = intercept[best]
        if y.ndim == 1:
            self.coef_ = coef_t[0]
            self.intercept_ = float(intercept_t[0]) if self.fit_intercept else 0.0
        else:
            self.coef_ = coef_t
            self.intercept_ = intercept_t if self.fit_intercept else np.zeros(n_y)
        if self.store_cv_results:
            res = np.moveaxis(results, 0, -1)  # (n, T, A)
            self.cv_results_ = res[:, 0, :] if y.ndim == 1 else res

    def _fit_folds(self, X, y, sw, alphas, params):
        n_samples = X.shape[0]
        folds = list(check_cv(self.cv).split(X, y, **params))
        n_train = max(len(tr) for tr, _ in folds)
        n_test = max(len(te) for _, te in folds)
        weights = np.ones(n_samples) if sw is None else sw
        tr_idx = np.zeros((len(folds), n_train), np.int32)
        tr_w = np.zeros((len(folds), n_train))
        te_idx = np.zeros((len(folds), n_test), np.int32)
        for k, (tr, te) in enumerate(folds):
            tr_idx[k, : len(tr)], tr_w[k, : len(tr)] = tr, weights[tr]
            te_idx[k, : len(te)] = te
        ys = y[:, None] if y.ndim == 1 else y
        dt = _base.jax_dtype(np.float64)
        pred = np.asarray(_fold_ridge_jit(
            _base.to_jax(X, dt), _base.to_jax(ys, dt), jnp.asarray(tr_idx),
            _base.to_jax(tr_w, dt), jnp.asarray(te_idx), _base.to_jax(alphas, dt),
            fit_intercept=self.fit_intercept,
        ))  # (F, A, n_test, T)
        scorer = check_scoring(estimator=Ridge(), scoring=self.scoring)
        identity = _IdentityRegressor()
        scores = np.zeros((len(folds), len(alphas)))
        for k, (_, te) in enumerate(folds):
            for a in range(len(alphas)):
                p = pred[k, a, : len(te)]
                p = p[:, 0] if y.ndim == 1 else p
                scores[k, a] = scorer(identity, p, y[te])
        mean = scores.mean(axis=0)
        best = int(np.argmax(mean))
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(mean[best])
        model = Ridge(alpha=self.alpha_, fit_intercept=self.fit_intercept)
        model.fit(X, y, sample_weight=sw)
        self.coef_ = model.coef_
        self.intercept_ = model.intercept_

    def predict(self, X):
        """Predict with the selected model: ``X @ coef_.T + intercept_``."""
        return _base.linear_predict(self, X)
