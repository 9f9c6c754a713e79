r"""Lasso, ElasticNet and their paths: scikit-learn's API on jreg's certified solvers."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils.validation import check_array

from jreg.linear_model import _base
from jreg.solvers._api import multi_path, resolve_settings, solver_name

__all__ = ["ElasticNet", "Lasso", "enet_path", "lasso_path"]

_PATH_PARAMS = {"tol", "max_iter", "random_state", "selection", "solver"}


def _resolve_precompute(precompute, n_samples, n_features):
    """``(use_gram, gram_array_or_None)`` from scikit-learn's ``precompute`` values."""
    if isinstance(precompute, str):
        if precompute != "auto":
            raise ValueError(f"precompute must be 'auto', a bool or an array, got {precompute!r}.")
        return n_samples > n_features, None
    if isinstance(precompute, (bool, np.bool_)):
        return bool(precompute), None
    if hasattr(precompute, "__array__"):
        gram = np.asarray(precompute)
        if gram.shape != (n_features, n_features):
            raise ValueError(
                f"precompute (Gram matrix) must have shape ({n_features}, {n_features}), "
                f"got {gram.shape}."
            )
        return True, gram
    raise ValueError(f"precompute must be 'auto', a bool or an array, got {precompute!r}.")


def _check_gram(gram, X, dtype):
    """scikit-learn's sanity check of a user Gram matrix (one entry)."""
    j = X.shape[1] // 2
    expected = X[:, j] @ X[:, j]
    if not np.isclose(expected, gram[j, j], rtol=1e-4 if dtype == np.float32 else 1e-7):
        raise ValueError(
            "Gram matrix passed in via 'precompute' parameter did not pass validation when "
            f"a single element was checked: X[:, {j}] @ X[:, {j}] = {expected} but "
            f"precompute[{j}, {j}] = {gram[j, j]}."
        )


def _solve_targets(X, Y, sw, alphas, l1_ratio, W0, *, tol, max_iter, fit_intercept, positive,
                   precompute, centred_gram=None, x_device=None, solver="auto"):
    """Run the compiled multi-target path; numpy results with leading (T, A) axes.

    ``centred_gram`` (internal, from the CV program) is the Gram matrix of the centred,
    weighted design exactly as the solver would build it; it is trusted as is.
    ``x_device`` (internal) is ``X`` already on the device in the compute dtype.
    """
    dtype = X.dtype
    n, p = X.shape
    if centred_gram is not None:
        use_gram, gram = True, None
    else:
        use_gram, gram = _resolve_precompute(precompute, n, p)
    if gram is not None and fit_intercept:
        offset = np.average(X, axis=0, weights=sw)
        if not np.allclose(offset, 0.0):
            warnings.warn(
                "Gram matrix was provided but X was centered to fit intercept: recomputing "
                "Gram matrix.",
                UserWarning,
                stacklevel=_base.user_stacklevel(),
            )
            use_gram, gram = n > p, None
    if gram is not None:
        _check_gram(gram, X if sw is None else X * np.sqrt(sw)[:, None], dtype)
    weights = np.ones(n, dtype) if sw is None else sw
    res = multi_path(
        _base.to_jax(X, dtype) if x_device is None else x_device, _base.to_jax(Y, dtype),
        _base.to_jax(weights, dtype), _base.to_jax(alphas, dtype), l1_ratio,
        _base.to_jax(W0, dtype), tol, max_iter,
        centred_gram if gram is None else _base.to_jax(gram, dtype),
        fit_intercept=fit_intercept, positive=positive, gram=use_gram,
        settings=resolve_settings(solver, None),
    )
    out = {k: np.asarray(v) for k, v in res._asdict().items()}
    out["coef"] = out["coef"].astype(dtype, copy=False)
    out["intercept"] = out["intercept"].astype(dtype, copy=False)
    out["gap"] = out["gap"].astype(np.float64)
    if sw is None:
        yc = Y - (Y.mean(axis=1, keepdims=True) if fit_intercept else 0.0)
        yy = np.sum(yc**2, axis=1)
        total = n
    else:
        mean = np.average(Y, axis=1, weights=sw)[:, None] if fit_intercept else 0.0
        yy = np.sum(sw * (Y - mean) ** 2, axis=1)
        total = np.sum(sw)
    out["tol"] = tol * yy / total  # in the units of the reported (normalised) gap
    return out


def _check_path_inputs(X, y, check_input, copy_X):
    plain = _base.plain_valid_xy(X, y, finite_x=False) if check_input else None
    if plain is not None:
        return plain  # what check_array would return
    x_device = _base.check_device_x(X)  # a JAX array stays on its device
    if x_device is not None:
        X = x_device
    elif check_input:
        # X's finiteness: design_to_device, on its device
        X = check_array(X, dtype=[np.float64, np.float32], accept_sparse=False, copy=False,
                        ensure_all_finite=False, input_name="X")
    else:
        X = np.asarray(X)
    if check_input:
        y = check_array(y, dtype=X.dtype.type, ensure_2d=False, copy=False, input_name="y")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            "y must be 1-d: jreg has no multi-task (L2,1) path; fit one path per target or "
            "use ElasticNet/Lasso with a 2-d y (independent targets)."
        )
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {X.shape[0]} and {y.shape[0]}."
        )
    return X, y


def enet_path(
    X,
    y,
    *,
    l1_ratio=0.5,
    eps=1e-3,
    n_alphas=100,
    alphas=None,
    precompute="auto",
    Xy=None,
    copy_X=True,
    coef_init=None,
    verbose=False,
    return_n_iter=False,
    positive=False,
    check_input=True,
    **params,
):
    r"""Compute the elastic-net path with coordinate descent (scikit-learn's ``enet_path``).

    For each ``alpha`` (decreasing, warm-started) it minimises

    $$
    \frac{1}{2n}\|y - Xw\|_2^2 + \alpha\rho\|w\|_1 + \frac{\alpha(1-\rho)}{2}\|w\|_2^2
    $$

    (``ρ = l1_ratio``, no intercept: centre ``X`` and ``y`` first, as scikit-learn
    expects) until scikit-learn's duality gap is at most ``tol·‖y‖²/n``. The whole path
    is one jit-compiled ``lax.scan``.

    Args:
      X: ``(n_samples, n_features)`` training data (dense).
      y: ``(n_samples,)`` target.
      l1_ratio: ``ρ`` in ``[0, 1]``.
      eps: ``alpha_min / alpha_max`` of the default grid.
      n_alphas: number of alphas of the default grid.
      alphas: an int (number of alphas, scikit-learn ≥ 1.9) or the alphas themselves
        (sorted decreasing); ``None`` for the default grid of ``n_alphas`` values.
      precompute: ``"auto"`` (Gram matrix when ``n > p``), a bool, or the Gram matrix.
      Xy: precomputed ``Xᵀy`` for the alpha grid.
      copy_X: accepted for compatibility (``X`` is never modified).
      coef_init: ``(n_features,)`` warm start for the first alpha.
      verbose: accepted for compatibility.
      return_n_iter: also return the epochs per alpha.
      positive: force ``w ≥ 0``.
      check_input: validate ``X`` and ``y``.
      **params: ``tol`` (default 1e-4), ``max_iter`` (default 1000), ``solver``
        (``"auto"``, default: ``"cd"`` on CPU and ``"fista"`` on accelerators; ``"cd"``;
        or ``"fista"``: every alpha at once; see :func:`jreg.solvers.enet_path_solve`),
        ``random_state`` and ``selection`` (accepted; the epoch order is deterministic).

    Returns:
      ``(alphas, coefs, dual_gaps)`` or ``(alphas, coefs, dual_gaps, n_iters)`` with
      ``coefs`` of shape ``(n_features, n_alphas)`` — scikit-learn's tuple.

    Examples:
      >>> import numpy as np
      >>> from jreg.linear_model import enet_path
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 2.5])
      >>> X, y = X - X.mean(0), y - y.mean()
      >>> alphas, coefs, gaps = enet_path(X, y, l1_ratio=0.5, alphas=3, eps=1e-2)
      >>> print(np.round(alphas, 4))
      [1.25   0.125  0.0125]
      >>> print(np.round(coefs, 3))
      [[0.    1.    1.222]
       [0.    0.    0.129]]
    """
    unknown = set(params) - _PATH_PARAMS
    if unknown:
        raise ValueError(f"Unexpected parameters in params: {sorted(unknown)}")
    tol = _base.check_number(params.get("tol", 1e-4), "tol", low=0)
    max_iter = _base.check_number(params.get("max_iter", 1000), "max_iter", low=1, integer=True)
    selection = params.get("selection", "cyclic")
    if selection not in ("cyclic", "random"):
        raise ValueError("selection should be either random or cyclic.")
    solver = params.get("solver", "auto")
    resolve_settings(solver, None)
    _base.check_number(l1_ratio, "l1_ratio", low=0, high=1)
    X, y = _check_path_inputs(X, y, check_input, copy_X)
    n_samples, n_features = X.shape
    default_grid = alphas is None or isinstance(alphas, numbers.Integral)
    if default_grid:
        count = n_alphas if alphas is None else alphas
        _base.check_number(count, "n_alphas", low=1, integer=True)
        _base.check_number(eps, "eps", low=0, low_open=True)
        _base.check_grid_ratio(l1_ratio)
    x_device = xy_max = None
    if check_input or (default_grid and Xy is None):  # else X goes as it is
        x_device, xy_max = _base.design_to_device(
            None, X, y if default_grid and Xy is None else None, positive=positive)
    if default_grid:
        alphas = (
            _base.grid_from_max(xy_max, n_samples, l1_ratio=l1_ratio, eps=eps, n_alphas=count)
            if Xy is None else
            _base.alpha_grid(X, y, Xy=Xy, l1_ratio=l1_ratio, fit_intercept=False, eps=eps,
                             n_alphas=count, positive=positive)
        )
    else:
        alphas = np.asarray(alphas, dtype=np.float64).ravel()
        if alphas.size == 0:
            raise ValueError("alphas must not be empty.")
        if not np.all(np.isfinite(alphas)) or np.any(alphas < 0):
            raise ValueError("alphas must be finite and non-negative.")
        if alphas.size > 1:
            alphas = np.sort(alphas)[::-1]
    if coef_init is None:
        w0 = np.zeros(n_features, X.dtype)
    else:
        w0 = np.asarray(coef_init, dtype=X.dtype)
        if w0.shape != (n_features,):
            raise ValueError(f"coef_init must have shape ({n_features},), got {w0.shape}.")
    out = _solve_targets(
        X, y[None], None, alphas, l1_ratio, w0[None], tol=tol, max_iter=max_iter,
        fit_intercept=False, positive=positive, precompute=precompute, x_device=x_device,
        solver=solver,
    )
    if not np.all(out["converged"]):
        bad = ~out["converged"][0]
        _base.warn_not_converged(out["gap"][0][bad], np.broadcast_to(out["tol"][0], bad.shape)[bad])
    coefs = out["coef"][0].T
    gaps = out["gap"][0]
    if return_n_iter:
        return alphas, coefs, gaps, [int(k) for k in out["n_iter"][0]]
    return alphas, coefs, gaps


def lasso_path(
    X,
    y,
    *,
    eps=1e-3,
    n_alphas=100,
    alphas=None,
    precompute="auto",
    Xy=None,
    copy_X=True,
    coef_init=None,
    verbose=False,
    return_n_iter=False,
    positive=False,
    **params,
):
    r"""Compute the Lasso path (scikit-learn's ``lasso_path``): :func:`enet_path` with ρ = 1.

    Minimises ``(1/2n)‖y − Xw‖² + α‖w‖₁`` for each alpha. Same arguments and return
    tuple as :func:`enet_path`.

    Examples:
      >>> import numpy as np
      >>> from jreg.linear_model import lasso_path
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 2.5])
      >>> X, y = X - X.mean(0), y - y.mean()
      >>> alphas, coefs, gaps = lasso_path(X, y, alphas=[0.5, 0.1])
      >>> print(np.round(coefs, 4))
      [[0.25 1.05]
       [0.   0.  ]]
    """
    return enet_path(
        X, y, l1_ratio=1.0, eps=eps, n_alphas=n_alphas, alphas=alphas, precompute=precompute,
        Xy=Xy, copy_X=copy_X, coef_init=coef_init, verbose=verbose,
        return_n_iter=return_n_iter, positive=positive, **params,
    )


class ElasticNet(MultiOutputMixin, RegressorMixin, BaseEstimator):
    r"""Linear regression with combined L1 and L2 priors (scikit-learn's ``ElasticNet``).

    Minimises, with ``ρ = l1_ratio``,

    $$
    \frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\rho\|w\|_1
    + \frac{\alpha(1-\rho)}{2}\|w\|_2^2
    $$

    (with ``sample_weight`` the squared errors are a weighted average), by coordinate
    descent with working sets, stopping when scikit-learn's duality gap is at most
    ``tol·‖y − ȳ‖²/n``. A 2-d ``y`` fits independent targets in one batched call.

    Args:
      alpha: strength ``α ≥ 0``.
      l1_ratio: ``ρ`` in ``[0, 1]``.
      fit_intercept: fit the intercept ``b`` (data centred by weighted means).
      precompute: ``False`` (default), ``True``, ``"auto"`` or a Gram matrix.
      max_iter: maximum number of epochs.
      copy_X: accepted for compatibility (``X`` is never modified).
      tol: scikit-learn's tolerance on the duality gap.
      warm_start: start from the previous ``coef_``.
      positive: force ``w ≥ 0``.
      random_state: accepted for compatibility.
      selection: ``"cyclic"`` or ``"random"``; accepted, the epoch order is deterministic.
      solver: ``"auto"`` (default), ``"cd"`` (coordinate descent) or ``"fista"``
        (accelerated proximal gradient, matrix–matrix work for accelerators; ``max_iter``
        counts its iterations). ``"auto"`` runs ``"cd"`` on CPU and, on GPU/TPU,
        ``"fista"`` (up to ``10 · max_iter`` iterations) finished by coordinate descent
        wherever those did not certify the gap. All stop on the same certified gap;
        ``solver_`` says which ran.

    Attributes:
      coef_: ``(n_features,)`` or ``(n_targets, n_features)``.
      intercept_: float or ``(n_targets,)``.
      n_iter_: epochs (int, or a list per target).
      solver_: the algorithm that ran, ``"cd"`` or ``"fista"``.
      dual_gap_: certified duality gap(s) at ``coef_``, normalised like scikit-learn's.
      n_features_in_: number of features seen in ``fit``.

    Examples:
      >>> import numpy as np
      >>> from jreg.linear_model import ElasticNet
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 2.5])
      >>> model = ElasticNet(alpha=0.1, l1_ratio=0.5).fit(X, y)
      >>> print(np.round(model.coef_, 3), round(float(model.intercept_), 3))
      [1.045 0.   ] 0.08
    """

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=0.5,
        fit_intercept=True,
        precompute=False,
        max_iter=1000,
        copy_X=True,
        tol=1e-4,
        warm_start=False,
        positive=False,
        random_state=None,
        selection="cyclic",
        solver="auto",
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.solver = solver

    def _check_params(self):
        _base.check_number(self.alpha, "alpha", low=0)
        _base.check_number(self.l1_ratio, "l1_ratio", low=0, high=1)
        _base.check_number(self.max_iter, "max_iter", low=1, integer=True)
        _base.check_number(self.tol, "tol", low=0)
        for name in ("fit_intercept", "warm_start", "positive", "copy_X"):
            _base.check_bool(getattr(self, name), name)
        if self.selection not in ("cyclic", "random"):
            raise ValueError(f"selection must be 'cyclic' or 'random', got {self.selection!r}.")
        resolve_settings(self.solver, None)

    def fit(self, X, y, sample_weight=None, check_input=True):
        """Fit the model by coordinate descent (scikit-learn's ``fit``).

        Args:
          X: ``(n_samples, n_features)`` dense data.
          y: ``(n_samples,)`` or ``(n_samples, n_targets)``.
          sample_weight: optional non-negative ``(n_samples,)`` weights (or a scalar).
          check_input: accepted for compatibility; inputs are always validated.

        Returns:
          self.

        Raises:
          ValueError: on NaN/inf, inconsistent shapes, invalid hyper-parameters or
            non-finite coefficients.
        """
        return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight, centred_gram=None, x_device=None, coef_init=None):
        """``fit``. Internal, for the refit of the CV estimators: ``centred_gram`` is the
        Gram matrix their program built and ``x_device`` is ``X`` already on the device;
        ``X`` and ``y`` are then trusted as validated. ``coef_init`` ``(p,)`` (one target)
        is the starting point when given (before ``warm_start``)."""
        self._check_params()
        if self.alpha == 0:
            warnings.warn(
                "With alpha=0, this algorithm does not converge well. You are advised to use "
                "the LinearRegression estimator",
                stacklevel=_base.user_stacklevel(),
            )
        if x_device is None:
            X, y = _base.validate_xy(self, X, y, finite_x=False)
            x_device, _ = _base.design_to_device(self, X)
        else:
            self.n_features_in_ = X.shape[1]
        n_samples, n_features = X.shape
        sw = _base.check_sample_weight(sample_weight, n_samples, X.dtype)
        Y = y[None] if y.ndim == 1 else y.T
        if coef_init is not None:
            W0 = coef_init[None]
        elif self.warm_start and hasattr(self, "coef_"):
            W0 = np.atleast_2d(np.asarray(self.coef_, dtype=X.dtype))
            if W0.shape != (Y.shape[0], n_features):
                raise ValueError(
                    f"warm_start: coef_ has shape {np.shape(self.coef_)}, incompatible with "
                    f"{Y.shape[0]} target(s) and {n_features} features."
                )
        else:
            W0 = np.zeros((Y.shape[0], n_features), X.dtype)
        out = _solve_targets(
            X, Y, sw, np.array([self.alpha]), self.l1_ratio, W0, tol=self.tol,
            max_iter=self.max_iter, fit_intercept=self.fit_intercept, positive=self.positive,
            precompute=self.precompute, centred_gram=centred_gram, x_device=x_device,
            solver=self.solver,
        )
        coef = out["coef"][:, 0]
        intercept = out["intercept"][:, 0]
        gaps = out["gap"][:, 0]
        n_iter = [int(k) for k in out["n_iter"][:, 0]]
        if not np.all(out["converged"]):
            bad = ~out["converged"][:, 0]
            _base.warn_not_converged(gaps[bad], out["tol"][bad])
        _base.check_finite_solution(coef, intercept)
        if y.ndim == 1:
            self.coef_ = coef[0]
            self.intercept_ = float(intercept[0]) if self.fit_intercept else 0.0
            self.dual_gap_ = float(gaps[0])
            self.n_iter_ = n_iter[0]
        else:
            self.coef_ = coef
            self.intercept_ = intercept if self.fit_intercept else np.zeros(len(coef), X.dtype)
            self.dual_gap_ = gaps
            self.n_iter_ = n_iter
        self.solver_ = solver_name(self.solver)
        return self

    def predict(self, X):
        """Predict with the fitted linear model: ``X @ coef_.T + intercept_``."""
        return _base.linear_predict(self, X)

    @property
    def sparse_coef_(self):
        """Sparse (CSR) representation of ``coef_``."""
        from scipy import sparse

        return sparse.csr_matrix(np.atleast_2d(self.coef_))

    path = staticmethod(enet_path)


class Lasso(ElasticNet):
    r"""Linear model with an L1 prior (scikit-learn's ``Lasso``).

    Minimises ``(1/2n)‖y − Xw − b‖² + α‖w‖₁``: :class:`ElasticNet` with ``l1_ratio=1``.
    Same parameters (without ``l1_ratio``), attributes and stopping rule.

    Examples:
      >>> import numpy as np
      >>> from jreg.linear_model import Lasso
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 2.5])
      >>> model = Lasso(alpha=0.1).fit(X, y)
      >>> print(np.round(model.coef_, 4), round(float(model.intercept_), 4))
      [1.05 0.  ] 0.075
    """

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        precompute=False,
        copy_X=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        positive=False,
        random_state=None,
        selection="cyclic",
        solver="auto",
    ):
        super().__init__(
            alpha=alpha, l1_ratio=1.0, fit_intercept=fit_intercept, precompute=precompute,
            max_iter=max_iter, copy_X=copy_X, tol=tol, warm_start=warm_start,
            positive=positive, random_state=random_state, selection=selection, solver=solver,
        )

    path = staticmethod(enet_path)

