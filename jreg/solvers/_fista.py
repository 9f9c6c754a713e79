r"""FISTA with adaptive restart and backtracking: the general fallback solver."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jreg import penalties
from jreg._checks import check_finite, check_nonnegative, is_concrete
from jreg.solvers._api import SolverResult, jit_by_size, pick_jit
from jreg.solvers._datafits import Quadratic
from jreg.solvers._gap import enet_gap_from_stats

__all__ = ["fista", "enet_strengths"]


def enet_strengths(penalty):
    r"""``(λ₁, λ₂)`` with $g(w) = λ_1\|w\|_1 + \tfrac12 λ_2\|w\|^2$ for the elastic-net family.

    ``L1(l1)`` → ``(l1, 0)``, ``L2(l2)`` (``l2·Σw²``, no ½) → ``(0, 2·l2)``,
    ``L1L2(l1, l2)`` → ``(l1, 2·l2)``, ``ElasticNet(alpha, l1_ratio)`` →
    ``(αρ, α(1−ρ))``. Any other penalty, or per-coordinate strengths (which have no
    closed-form gap here), gives ``None``.

    Examples:
      >>> from jreg.penalties import ElasticNet, L1L2
      >>> from jreg.solvers import enet_strengths
      >>> print(enet_strengths(L1L2(l1=0.5, l2=0.25)))
      (0.5, 0.5)
      >>> print(enet_strengths(ElasticNet(alpha=2.0, l1_ratio=0.75)))
      (1.5, 0.5)
    """
    if isinstance(penalty, penalties.L1):
        values = (penalty.l1, 0.0)
    elif isinstance(penalty, penalties.L2):
        values = (0.0, 2.0 * penalty.l2)
    elif isinstance(penalty, penalties.L1L2):
        values = (penalty.l1, 2.0 * penalty.l2)
    elif isinstance(penalty, penalties.ElasticNet):
        values = (penalty.alpha * penalty.l1_ratio, penalty.alpha * (1.0 - penalty.l1_ratio))
    else:
        return None
    if any(np.ndim(v) != 0 for v in values):
        return None
    return values


def _power_iteration(xc, weights, n_steps=30):
    v = jnp.full(xc.shape[1], 1.0 / np.sqrt(xc.shape[1]), xc.dtype)

    def body(_, v):
        u = (weights * (xc @ v)) @ xc  # (not xc.T @ …: a transpose on XLA's CPU)
        return u / jnp.maximum(jnp.linalg.norm(u), jnp.finfo(xc.dtype).tiny)

    v = jax.lax.fori_loop(0, n_steps, body, v)
    return jnp.vdot(v, (weights * (xc @ v)) @ xc)


def _fista_impl(x, y, sw, w0, tol, max_iter, penalty, datafit, *, fit_intercept, restart,
                check_every):
    dtype = x.dtype
    total = jnp.sum(sw)
    x_offset = sw @ x / total if fit_intercept else jnp.zeros(x.shape[1], dtype)
    y_offset = jnp.vdot(sw, y) / total if fit_intercept else jnp.zeros((), dtype)
    xc = x - x_offset
    strengths = enet_strengths(penalty) if isinstance(datafit, Quadratic) else None
    # Lipschitz estimate of the gradient in (w, b); backtracking fixes underestimates.
    lip = (datafit.curvature * jnp.maximum(_power_iteration(xc, sw / total), 1.0)).astype(dtype)

    def objective_smooth(w, b):
        return datafit.value(y, xc @ w + b, sw)

    def grads(w, b):
        g = datafit.gradient(y, xc @ w + b, sw)
        gb = jnp.sum(g) if fit_intercept else jnp.zeros((), dtype)
        return g @ xc, gb

    root = jnp.sqrt(sw)
    yc = (y - y_offset) * root
    yy = jnp.vdot(yc, yc)

    def gap_at(w):
        if strengths is None:
            return jnp.asarray(jnp.nan, dtype)
        l1, l2 = strengths
        r = yc - (xc @ w) * root
        corr = (r * root) @ xc
        gap, _ = enet_gap_from_stats(
            corr, w, jnp.vdot(r, r), l1 * total, l2 * total, positive=False
        )
        return gap / total

    def step(state):
        w, b, zw, zb, t, lip, k, _, _ = state
        fz = objective_smooth(zw, zb)
        gw, gb = grads(zw, zb)

        def try_lip(lip):
            nw = penalty.prox(zw - gw / lip, 1.0 / lip)
            nb = zb - gb / lip
            dw, db = nw - zw, nb - zb
            model = fz + jnp.vdot(gw, dw) + gb * db + 0.5 * lip * (jnp.vdot(dw, dw) + db * db)
            return nw, nb, objective_smooth(nw, nb) <= model * (1 + 8 * jnp.finfo(dtype).eps)

        def bt_cond(c):
            return ~c[3] & (c[4] < 60)

        def bt_body(c):
            lip = c[0] * 2.0
            nw, nb, ok = try_lip(lip)
            return lip, nw, nb, ok, c[4] + 1

        nw, nb, ok = try_lip(lip)
        lip, nw, nb, _, _ = jax.lax.while_loop(bt_cond, bt_body, (lip, nw, nb, ok, 0))
        t_new = 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * t * t))
        momentum = (t - 1.0) / t_new
        zw_new = nw + momentum * (nw - w)
        zb_new = nb + momentum * (nb - b)
        if restart:
            bad = jnp.vdot(zw - nw, nw - w) + (zb - nb) * (nb - b) > 0
            zw_new = jnp.where(bad, nw, zw_new)
            zb_new = jnp.where(bad, nb, zb_new)
            t_new = jnp.where(bad, 1.0, t_new)
        change = jnp.max(jnp.abs(nw - w), initial=0.0)
        scale = jnp.maximum(jnp.max(jnp.abs(nw), initial=0.0), jnp.finfo(dtype).tiny)
        k = k + 1
        if strengths is not None:
            gap = jax.lax.cond(
                (k % check_every == 0) | (k >= max_iter), gap_at,
                lambda _: jnp.asarray(jnp.inf, dtype), nw,
            )
            done = gap <= tol * yy / total
        else:
            gap = jnp.asarray(jnp.nan, dtype)
            done = change <= tol * scale
        return nw, nb, zw_new, zb_new, t_new, lip, k, gap, done

    def cond(state):
        return ~state[8] & (state[6] < max_iter)

    init = (w0, y_offset, w0, y_offset, jnp.ones((), dtype), lip,
            jnp.zeros((), jnp.int32), jnp.asarray(jnp.inf, dtype), jnp.zeros((), bool))
    w, b, *_, k, gap, done = jax.lax.while_loop(cond, step, init)
    if strengths is not None:
        gap = gap_at(w)
        done = gap <= tol * yy / total
    intercept = (b - jnp.vdot(x_offset, w)) if fit_intercept else jnp.zeros((), dtype)
    return SolverResult(w, intercept, k, gap, done)


_fista_jits = jit_by_size(_fista_impl, ("datafit", "fit_intercept", "restart", "check_every"))
_fista_jits_static_penalty = jit_by_size(
    _fista_impl, ("penalty", "datafit", "fit_intercept", "restart", "check_every")
)


def _is_pytree_penalty(penalty):
    leaves = jax.tree.leaves(penalty)
    return not (len(leaves) == 1 and leaves[0] is penalty) and all(
        isinstance(leaf, (jax.Array, np.ndarray, float, int, np.generic)) for leaf in leaves
    )


def fista(
    X,
    y,
    penalty,
    *,
    datafit=None,
    sample_weight=None,
    fit_intercept=True,
    coef_init=None,
    tol=1e-4,
    max_iter=10000,
    restart=True,
    check_every=10,
):
    r"""Accelerated proximal gradient (FISTA) for ``F(Xw + b) + g(w)``.

    Minimises ``datafit.value(y, Xw + b, sample_weight) + penalty.value(w)`` (``b`` the
    unpenalised intercept) with Beck & Teboulle's FISTA, a backtracking line search on
    the Lipschitz constant (started from a power-iteration estimate) and O'Donoghue &
    Candès' gradient-based adaptive restart. ``penalty`` is any object with
    ``.value(w)`` and ``.prox(w, scaling)`` (``argmin_v ½‖w − v‖² + scaling·g(v)``).

    Stopping rule: for the quadratic datafit with a scalar elastic-net-family penalty
    (see :func:`enet_strengths`) the certified duality gap of the centred problem, as in
    :func:`solve_enet`: ``gap ≤ tol·‖yc‖²/S`` (checked every ``check_every`` steps).
    For any other penalty no gap is available: ``gap`` is NaN and ``converged`` means
    the relative step ``‖w⁺ − w‖∞ ≤ tol·‖w⁺‖∞`` — a fixed-point test, not a certificate.

    Args:
      X: design ``(n, p)``.
      y: target ``(n,)``.
      penalty: penalty object (a pytree of strengths, or any hashable object).
      datafit: datafit object (default :class:`Quadratic`).
      sample_weight: optional non-negative ``(n,)`` weights.
      fit_intercept: fit the unpenalised intercept ``b``.
      coef_init: initial ``w``.
      tol: tolerance (scikit-learn's meaning for the certified case).
      max_iter: maximum number of FISTA steps.
      restart: adaptive restart on/off.
      check_every: gap evaluation period.

    Returns:
      :class:`SolverResult` (``n_iter`` counts FISTA steps).

    References:
      Beck & Teboulle (2009), A fast iterative shrinkage-thresholding algorithm for
      linear inverse problems, SIAM J. Imaging Sci. 2(1). O'Donoghue & Candès (2015),
      Adaptive restart for accelerated gradient schemes, Found. Comput. Math. 15.

    Examples:
      >>> import numpy as np
      >>> from jreg.solvers import fista, solve_enet
      >>> class L1:  # any object with .value / .prox works
      ...     def __init__(self, l1): self.l1 = l1
      ...     def value(self, w): return self.l1 * abs(w).sum()
      ...     def prox(self, w, scaling=1.0):
      ...         import jax.numpy as jnp
      ...         return jnp.sign(w) * jnp.maximum(jnp.abs(w) - scaling * self.l1, 0.0)
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 2.5])
      >>> res = fista(X, y, L1(0.1), tol=1e-10)
      >>> print(np.round(np.asarray(res.coef), 4), bool(res.converged))
      [1.05 0.  ] True
    """
    datafit = Quadratic() if datafit is None else datafit
    dtype = jnp.result_type(X, y)
    if not jnp.issubdtype(dtype, jnp.inexact):
        dtype = jnp.result_type(float)
    x = jnp.asarray(X, dtype)
    y = jnp.asarray(y, dtype)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"X must be (n, p) and y (n,), got {x.shape} and {y.shape}.")
    check_finite(x, "X")
    check_finite(y, "y")
    check_nonnegative(tol, "tol")
    if is_concrete(max_iter) and int(max_iter) < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}.")
    sw = jnp.ones(x.shape[0], dtype) if sample_weight is None else jnp.asarray(sample_weight, dtype)
    check_nonnegative(sw, "sample_weight")
    w0 = jnp.zeros(x.shape[1], dtype) if coef_init is None else jnp.asarray(coef_init, dtype)
    kwargs = dict(datafit=datafit, fit_intercept=bool(fit_intercept), restart=bool(restart),
                  check_every=int(check_every))
    args = (x, y, sw, w0, jnp.asarray(tol, dtype), jnp.asarray(max_iter, jnp.int32))
    if _is_pytree_penalty(penalty):
        return pick_jit(_fista_jits, x.size, *args, penalty)(*args, penalty, **kwargs)
    return pick_jit(_fista_jits_static_penalty, x.size, *args)(*args, penalty=penalty, **kwargs)

