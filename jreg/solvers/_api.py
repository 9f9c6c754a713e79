r"""Public functional elastic-net solvers built on the coordinate-descent kernels."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jreg._checks import (
    check_finite,
    check_interval,
    check_nonnegative,
    is_concrete,
)
from jreg._precision import full_precision
from jreg.solvers import _cd, _pg
from jreg.solvers._gap import enet_gap_from_stats

__all__ = ["SolverResult", "enet_duality_gap", "enet_path_solve", "solve_enet"]


class SolverResult(NamedTuple):
    """Result of a solver, one entry per problem (leading axes for batches).

    Attributes:
      coef: coefficients, shape ``(..., p)``.
      intercept: intercept, shape ``(...)`` (0 when ``fit_intercept=False``).
      n_iter: number of coordinate-descent epochs over the working set (or FISTA steps).
      gap: certified duality gap at ``coef`` in the objective's own units (divided by
        the sum of sample weights, like scikit-learn's ``dual_gap_``).
      converged: ``gap ≤ tol·‖yc‖²/S`` measured at exit (``yc`` the centred, weighted
        target, ``S`` the sum of weights).
    """

    coef: jax.Array
    intercept: jax.Array
    n_iter: jax.Array
    gap: jax.Array
    converged: jax.Array


def _float_dtype(*arrays):
    dtype = jnp.result_type(*arrays)
    if not jnp.issubdtype(dtype, jnp.inexact):
        dtype = jnp.result_type(float)
    return dtype


class Prepared(NamedTuple):
    """Centred / weighted problem: operator, offsets and the weight sum ``S``."""

    op: object
    x_offset: jax.Array
    y_offset: jax.Array
    weight_sum: jax.Array


class PreparedX(NamedTuple):
    """The design half of :class:`Prepared`, shared by every target."""

    xt: jax.Array  # (p, n) centred, weighted, transposed design
    gram: jax.Array | None
    norms2: jax.Array
    x_offset: jax.Array
    root: jax.Array
    weight_sum: jax.Array


def _mirror_upper(square):
    """``square`` with its strict lower triangle replaced by the upper one's transpose."""
    return jnp.triu(square) + jnp.triu(square, 1).T


def symmetric_gram(xt):
    """``xt @ xt.T`` computing only the upper block triangle (4×4 column blocks).

    XLA has no ``syrk``; skipping the 6 lower blocks saves ~35 % of the flops, which is
    what a Gram matrix of a tall design costs (measured ~1.4x faster on CPU at p=2000).
    The result is exactly symmetric (the diagonal blocks are mirrored too), so sums and
    differences of such matrices are as well.
    """
    p = xt.shape[0]
    if p < 256:
        return _mirror_upper(xt @ xt.T)
    cuts = [round(i * p / 4) for i in range(5)]
    parts = [xt[cuts[i]:cuts[i + 1]] for i in range(4)]
    rows = []
    for i in range(4):
        row = []
        for j in range(4):
            if j > i:
                row.append(parts[i] @ parts[j].T)
            elif j == i:
                row.append(_mirror_upper(parts[i] @ parts[i].T))
            else:
                row.append(None)
        rows.append(row)
    for i in range(4):
        for j in range(i):
            rows[i][j] = rows[j][i].T
    return jnp.block(rows)


def prepare_x(x, sample_weight, *, fit_intercept, gram, gram_matrix=None):
    r"""Centre ``x`` by its weighted mean and scale rows by ``√sw``: ``Xc = √sw (x − x̄)``."""
    weight_sum = jnp.sum(sample_weight)
    if fit_intercept:
        x_offset = sample_weight @ x / weight_sum
    else:
        x_offset = jnp.zeros(x.shape[1], x.dtype)
    root = jnp.sqrt(sample_weight)
    xt = ((x - x_offset) * root[:, None]).T
    q = None
    if gram:
        q = symmetric_gram(xt) if gram_matrix is None else gram_matrix
        norms2 = jnp.diagonal(q)
    else:
        norms2 = jnp.sum(xt * xt, axis=1)
    return PreparedX(xt, q, norms2, x_offset, root, weight_sum)


def prepare_y(px, y, sample_weight, *, fit_intercept):
    """Complete :class:`Prepared` for one target ``y``: ``yc = √sw (y − ȳ)``."""
    if fit_intercept:
        y_offset = jnp.vdot(sample_weight, y) / px.weight_sum
    else:
        y_offset = jnp.zeros((), y.dtype)
    yc = (y - y_offset) * px.root
    yy = jnp.vdot(yc, yc)
    if px.gram is not None:
        # Xcᵀyc as a reduction over the rows of Xc: XLA fuses the centring into it when
        # Xc is not materialised for anything else (a given Gram matrix, as in the CV's
        # refit: 10000x2000, 77 ms as `xt @ yc`, 7 ms like this)
        xty = jnp.sum(px.xt.T * yc[:, None], axis=0)
        op = _cd.GramOp(px.gram, xty, px.norms2, yy)
    else:
        op = _cd.ResidualOp(px.xt, yc, px.norms2, yy)
    return Prepared(op, px.x_offset, y_offset, px.weight_sum)


def prepare(x, y, sample_weight, *, fit_intercept, gram):
    r"""Centre ``x, y`` by their weighted means and scale rows by ``√sw``."""
    px = prepare_x(x, sample_weight, fit_intercept=fit_intercept, gram=gram)
    return prepare_y(px, y, sample_weight, fit_intercept=fit_intercept)


def _predict(op, w, aux, w_prev, aux_prev, alpha, alpha_prev, alpha_prev2, a, b, positive):
    """Warm start for ``alpha``: the path extrapolated linearly from the last two solutions.

    The elastic-net path is piecewise smooth in ``alpha`` (piecewise linear for the lasso),
    so ``w + t·(w − w₂)``, ``t = (α − α₁)/(α₁ − α₂)``, is closer to the next solution than
    ``w`` wherever the support does not change. Its residual (or ``Qw``) is the same
    combination of the two exact ones (no product with ``X``). The prediction is kept only
    if it is finite, feasible and has a lower primal value at the new ``alpha`` than ``w``,
    so a problem never starts worse than from the plain warm start.
    """
    step = alpha_prev - alpha_prev2
    ratio = jnp.where(step != 0, (alpha - alpha_prev) / jnp.where(step != 0, step, 1.0), 0.0)
    pred = w + ratio * (w - w_prev)
    aux_pred = aux + ratio * (aux - aux_prev)
    better = _cd.primal_value(op, pred, aux_pred, a, b) < _cd.primal_value(op, w, aux, a, b)
    better = better & jnp.all(jnp.isfinite(pred))
    if positive:
        better = better & jnp.all(pred >= 0)
    return jnp.where(better, pred, w), jnp.where(better, aux_pred, aux)


def path_from_prepared(prep, alphas, l1_ratio, w0, tol, max_iter, *, positive, settings,
                       stage="all", start=None):
    """Warm-started ``lax.scan`` over ``alphas`` (in the given order).

    From the third alpha on, each problem starts from the linear extrapolation of the two
    previous solutions when that has a lower primal value (see :func:`_predict`).
    With :class:`FistaSettings` every alpha is instead solved at once from ``w0``
    (:mod:`jreg.solvers._pg`), then, with ``settings.finish``, any column left
    uncertified is finished by coordinate descent. The static ``stage`` splits that in
    two programs (:func:`run_staged`): ``"fista"`` stops before the finish, ``"finish"``
    runs only the finish from ``start`` (a ``"fista"`` stage's :class:`SolverResult`);
    ``"all"`` does both.
    """
    op = prep.op
    s = prep.weight_sum
    dtype = w0.dtype
    if isinstance(settings, _cd.CDSettings):
        op = _cd.with_float32_gram(op, settings)
    tol_abs = jnp.asarray(tol, dtype) * op.yy
    if isinstance(settings, _pg.FistaSettings):  # every alpha at once
        a, b = alphas * l1_ratio * s, alphas * (1.0 - l1_ratio) * s
        if stage == "finish":
            w, gap, n_iter = start.coef.T, start.gap * s, start.n_iter
        else:
            w_init = jnp.broadcast_to(w0[:, None], w0.shape + alphas.shape)
            fista_iter = max_iter
            if settings.finish is not None:  # (clamped to int32)
                factor = settings.finish_factor
                fista_iter = jnp.minimum(max_iter, (2**31 - 1) // factor) * factor
            st = _pg.solve_path(op, w_init, a, b, tol_abs, fista_iter, positive=positive,
                                settings=settings)
            w, gap, n_iter = st.w, st.gap, st.n_iter
        if settings.finish is not None and stage != "fista":
            finish_op = _cd.with_float32_gram(op, settings.finish)
            w, gap, n_iter = _pg.finish_with_cd(finish_op, w, gap, n_iter, a, b, tol_abs,
                                                max_iter, positive=positive,
                                                settings=settings.finish)
        coefs = w.T
        return SolverResult(coefs, prep.y_offset - coefs @ prep.x_offset, n_iter, gap / s,
                            gap <= tol_abs)

    def step(carry, alpha):
        w, aux, w_prev, aux_prev, alpha_prev, alpha_prev2, count = carry
        a = alpha * l1_ratio * s
        b = alpha * (1.0 - l1_ratio) * s
        w_start, aux_start = w, aux
        if settings.predict:
            w_start, aux_start = jax.lax.cond(
                count >= 2,
                lambda: _predict(op, w, aux, w_prev, aux_prev, alpha, alpha_prev, alpha_prev2,
                                 a, b, positive),
                lambda: (w, aux),
            )
        st = _cd.solve(op, w_start, aux_start, a, b, tol_abs, max_iter, positive=positive,
                       settings=settings)
        out = (st.w, st.gap / s, st.n_iter, st.gap <= tol_abs)
        return (st.w, st.aux, w, aux, alpha, alpha_prev, count + 1), out

    zero = jnp.zeros((), dtype)
    aux0 = _cd.init_aux(op, w0)
    init = (w0, aux0, w0, aux0, zero, zero, jnp.zeros((), jnp.int32))
    _, (coefs, gaps, n_iters, converged) = jax.lax.scan(step, init, alphas)
    intercepts = prep.y_offset - coefs @ prep.x_offset
    return SolverResult(coefs, intercepts, n_iters, gaps, converged)


def default_batch():
    """How independent problems are batched inside one compiled call.

    ``"vmap"`` on accelerators (lanes run in parallel); ``"map"`` (a sequential
    ``lax.map``) on CPU, where a vmapped ``while_loop`` would run every lane until the
    slowest one finishes and turn each carried update into a masked select — measured
    several times slower there.
    """
    return "map" if jax.default_backend() == "cpu" else "vmap"


def batch_apply(fn, args, batch):
    """``fn`` over the leading axis of the pytree ``args``: direct call for one problem,
    else ``jax.vmap`` or ``jax.lax.map`` (see :func:`default_batch`)."""
    size = jax.tree.leaves(args)[0].shape[0]
    if size == 1:
        out = fn(jax.tree.map(lambda leaf: leaf[0], args))
        return jax.tree.map(lambda leaf: leaf[None], out)
    if batch == "vmap":
        return jax.vmap(fn)(args)
    return jax.lax.map(fn, args)


def _multi_path(x, ys, sw, alphas, l1_ratio, w0s, tol, max_iter, gram_matrix, start, *,
                fit_intercept, positive, gram, settings, batch, stage):
    px = prepare_x(x, sw, fit_intercept=fit_intercept, gram=gram, gram_matrix=gram_matrix)

    def one(args):
        y, w0, start = args
        prep = prepare_y(px, y, sw, fit_intercept=fit_intercept)
        return path_from_prepared(
            prep, alphas, l1_ratio, w0, tol, max_iter, positive=positive, settings=settings,
            stage=stage, start=start,
        )

    return batch_apply(one, (ys, w0s, start), batch)


def defers_finish(settings):
    """Whether ``settings`` hold a coordinate-descent finish, which :func:`run_staged`
    compiles and runs as a second program only when FISTA leaves a problem uncertified."""
    return isinstance(settings, _pg.FistaSettings) and settings.finish is not None


def run_staged(call, settings, deferrable, converged=lambda out: out.converged):
    """``call(stage, start)`` for FISTA with a coordinate-descent finish, in two programs.

    The finish is two thirds of the program (496 of 669 fused kernels on CPU, 1.9 of
    2.9 s of its compilation; compilation costs more on GPUs) but runs only where FISTA
    leaves an alpha uncertified after ``finish_factor · max_iter`` iterations. So the
    ``"fista"`` stage runs first; the ``"finish"`` stage, compiled on first need, runs
    only when some problem is left, from the first stage's output. When that cannot be
    done (not ``deferrable``: under an enclosing ``jit``/``vmap`` no host decision is
    possible; the CV keeps too many fold coefficients to restart from them) and for
    other settings, one ``"all"`` call.
    """
    if not (deferrable and defers_finish(settings)):
        return call("all", None)
    out = call("fista", None)
    if np.all(np.asarray(converged(out))):
        return out
    return call("finish", out)


# Compile time is user time. Tiny problems (n·p ≤ 2000): XLA's CPU optimisation level 0
# (half the compilation; runtime is microseconds either way). Small ones (≤ 5·10⁴):
# skip the expensive LLVM passes (~20 % less compilation, same runtime on diabetes,
# where level 0 made the path 1.5x slower). Large ones: full optimisation. Each tier is
# its own cached jit.
COMPILE_TIERS = (
    (2_000, {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}),
    (50_000, {"xla_llvm_disable_expensive_passes": True}),
)


def jit_by_size(fun, static_argnames):
    """Jitted versions of ``fun``, one per compile tier plus the fully optimised one."""
    fun = full_precision(fun)
    tiers = tuple(jax.jit(fun, static_argnames=static_argnames, compiler_options=options)
                  for _, options in COMPILE_TIERS)
    return tiers + (jax.jit(fun, static_argnames=static_argnames),)


def pick_jit(versions, size, *arrays):
    """The version of the problem's size tier on CPU, else the fully optimised one.

    Under an enclosing ``jit``/``vmap`` (traced ``arrays``) the call is not top-level and
    XLA options cannot be set: the plain version is used.
    """
    if jax.default_backend() == "cpu" and is_concrete(arrays):
        for (limit, _), version in zip(COMPILE_TIERS, versions, strict=False):
            if size <= limit:
                return version
    return versions[-1]


def _as(value, dtype):
    """``value`` in ``dtype`` for a jitted call: numpy for host values (``jnp.asarray`` runs
    an op of its own, milliseconds each on a GPU), a cast for JAX arrays and tracers."""
    if isinstance(value, jax.Array):
        return value.astype(dtype)
    return np.asarray(value, dtype)


_multi_path_jits = jit_by_size(
    _multi_path, ("fit_intercept", "positive", "gram", "settings", "batch", "stage")
)


def multi_path(x, ys, sw, alphas, l1_ratio, w0s, tol, max_iter, gram_matrix=None, *,
               fit_intercept, positive, gram, settings=None):
    """Paths for several targets ``ys`` ``(T, n)`` sharing ``x``, in one compiled call.

    Internal entry point of the estimators (no validation). Returns a
    :class:`SolverResult` with leading ``(T, n_alphas)`` axes.
    """
    settings = _cd.CDSettings() if settings is None else settings
    check_settings(settings)
    dtype = x.dtype
    fn = pick_jit(_multi_path_jits, x.shape[0] * x.shape[1], x, ys, sw, alphas, l1_ratio, tol)
    args = (x, ys, sw, _as(alphas, dtype), _as(l1_ratio, dtype), w0s, _as(tol, dtype),
            _as(max_iter, jnp.int32), gram_matrix)
    concrete = is_concrete((x, ys, sw, alphas, l1_ratio, w0s, tol, max_iter, gram_matrix))
    return run_staged(
        lambda stage, start: fn(
            *args, start, fit_intercept=bool(fit_intercept), positive=bool(positive),
            gram=bool(gram), settings=settings, batch=default_batch(), stage=stage,
        ),
        settings, concrete,
    )


SOLVERS = {"auto": None, "cd": _cd.CDSettings, "fista": _pg.FistaSettings}


def check_settings(settings):
    """Validate the settings of either algorithm (their type selects it)."""
    if isinstance(settings, _pg.FistaSettings):
        _pg.check_settings(settings)
    else:
        _cd.check_settings(settings)


def auto_solver():
    """The algorithm ``solver="auto"`` runs on the default JAX backend: ``"cd"`` on CPU,
    ``"fista"`` (finished by coordinate descent) on accelerators, where coordinate descent
    is bound by kernel launches (``docs/benchmarks.md``, GPU section)."""
    return "cd" if jax.default_backend() == "cpu" else "fista"


def solver_name(solver):
    """The algorithm that ``solver`` runs here: ``"cd"`` or ``"fista"``."""
    return auto_solver() if solver == "auto" else solver


def resolve_settings(solver, settings):
    """The settings object for ``solver`` (``"auto"``, ``"cd"`` or ``"fista"``):
    ``settings`` or the solver's defaults; an error names ``solver`` or ``settings`` when
    they disagree. With ``"auto"``, a settings object's type picks the algorithm, else
    :func:`auto_solver` does."""
    if not isinstance(solver, str) or solver not in SOLVERS:
        raise ValueError(f"solver must be 'auto', 'cd' or 'fista', got {solver!r}.")
    if solver == "auto":
        if settings is not None:
            if not isinstance(settings, (_cd.CDSettings, _pg.FistaSettings)):
                raise TypeError(
                    "settings must be a CDSettings or a FistaSettings, got "
                    f"{type(settings).__name__}."
                )
            check_settings(settings)
            return settings
        if auto_solver() == "cd":
            return _cd.CDSettings()
        return _pg.FistaSettings(finish=_cd.CDSettings())
    kind = SOLVERS[solver]
    if settings is None:
        return kind()
    if not isinstance(settings, kind):
        raise TypeError(
            f"settings must be a {kind.__name__} for solver={solver!r}, got "
            f"{type(settings).__name__}."
        )
    check_settings(settings)
    return settings


def _use_gram(precompute, n, p):
    if isinstance(precompute, str):
        if precompute != "auto":
            raise ValueError(f"precompute must be 'auto', True or False, got {precompute!r}.")
        return n > p
    if not isinstance(precompute, bool):
        raise TypeError(f"precompute must be 'auto', True or False, got {precompute!r}.")
    return precompute


def _check_xy(x, y, sample_weight, coef_init):
    dtype = _float_dtype(x, y)
    x = jnp.asarray(x, dtype)
    y = jnp.asarray(y, dtype)
    if x.ndim != 2:
        raise ValueError(f"X must be a 2-d array (n_samples, n_features), got shape {x.shape}.")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"y must have shape ({x.shape[0]},) to match X {x.shape}, got {y.shape}."
        )
    n, p = x.shape
    if sample_weight is None:
        sw = jnp.ones(n, dtype)
    else:
        sw = jnp.broadcast_to(jnp.asarray(sample_weight, dtype), (n,))
        check_finite(sw, "sample_weight")
        check_nonnegative(sw, "sample_weight")
    if coef_init is None:
        w0 = jnp.zeros(p, dtype)
    else:
        w0 = jnp.asarray(coef_init, dtype)
        if w0.shape != (p,):
            raise ValueError(f"coef_init must have shape ({p},), got {w0.shape}.")
    check_finite(x, "X")
    check_finite(y, "y")
    return x, y, sw, w0


def _check_strengths(alpha, l1_ratio, tol, max_iter):
    check_finite(alpha, "alpha")
    check_nonnegative(alpha, "alpha")
    check_interval(l1_ratio, "l1_ratio", 0.0, 1.0)
    check_nonnegative(tol, "tol")
    if is_concrete(max_iter) and int(max_iter) < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}.")


def enet_path_solve(
    X,
    y,
    alphas,
    l1_ratio=1.0,
    *,
    sample_weight=None,
    fit_intercept=True,
    coef_init=None,
    tol=1e-4,
    max_iter=1000,
    positive=False,
    precompute="auto",
    solver="auto",
    settings=None,
):
    r"""Elastic-net solutions for a sequence of ``alphas``, warm-started in order.

    Each problem is scikit-learn's

    $$
    \min_{w, b}\; \frac{1}{2S}\sum_i s_i (y_i - x_i^\top w - b)^2
    + \alpha\rho\|w\|_1 + \frac{\alpha(1-\rho)}{2}\|w\|_2^2,
    $$

    ``S = Σ s_i`` (``n`` without ``sample_weight``), ``ρ = l1_ratio``. The solver stops on
    scikit-learn's duality gap: ``gap ≤ tol·‖yc‖²/S`` with ``yc`` the centred, weighted
    target. One jit-compiled call solves the whole path (a ``lax.scan``); ``alphas``,
    ``l1_ratio``, ``tol`` and ``max_iter`` are traced, so new values do not recompile.

    Two algorithms reach the same certificate. ``solver="cd"`` (the fastest on CPU) is
    coordinate descent with working sets, warm-started from alpha to alpha.
    ``solver="fista"`` solves every alpha at once with accelerated proximal gradient
    (FISTA with adaptive restart), each iteration one or two matrix–matrix products
    over all alphas: built for accelerators, where coordinate descent is bound by kernel
    launches. Its iterations are counted in ``n_iter`` and ``max_iter`` (they need more
    of them than epochs of coordinate descent: raise ``max_iter`` for tight ``tol``).

    Args:
      X: design ``(n, p)``.
      y: target ``(n,)``.
      alphas: ``(n_alphas,)`` strengths, solved in the given order (pass them decreasing
        for the usual warm-started path).
      l1_ratio: ``ρ`` in ``[0, 1]``.
      sample_weight: optional non-negative ``(n,)`` weights (a 0/1 vector selects a fold).
      fit_intercept: centre ``X`` and ``y`` (weighted) and return the intercept.
      coef_init: warm start for the first alpha, ``(p,)``.
      tol: scikit-learn's ``tol``.
      max_iter: maximum number of epochs per alpha (``"fista"``: iterations).
      positive: constrain ``w ≥ 0``.
      precompute: ``"auto"`` (Gram matrix when ``n > p``), ``True`` or ``False``.
      solver: ``"auto"`` (default: ``"cd"`` on CPU; on GPU/TPU ``"fista"`` for up to
        ``10 · max_iter`` iterations, finishing with coordinate descent any alpha left
        uncertified), ``"cd"`` or ``"fista"`` (see above).
      settings: optional :class:`jreg.solvers.CDSettings` (``"cd"``: working-set tuning)
        or :class:`jreg.solvers.FistaSettings` (``"fista"``).

    Returns:
      :class:`SolverResult` with a leading ``n_alphas`` axis.

    Raises:
      ValueError: on shapes, NaN/inf, negative ``alphas``, ``l1_ratio`` outside [0, 1].

    Examples:
      >>> import numpy as np
      >>> from jreg.solvers import enet_path_solve
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 2.5])
      >>> res = enet_path_solve(X, y, np.array([0.5, 0.1]), tol=1e-10)
      >>> print(np.round(np.asarray(res.coef), 4))
      [[0.25 0.  ]
       [1.05 0.  ]]
      >>> print(np.asarray(res.converged).tolist())
      [True, True]
      >>> res = enet_path_solve(X, y, np.array([0.5, 0.1]), tol=1e-10, solver="fista",
      ...                       max_iter=10000)
      >>> print(np.round(np.asarray(res.coef), 4))
      [[0.25 0.  ]
       [1.05 0.  ]]
    """
    settings = resolve_settings(solver, settings)
    x, y, sw, w0 = _check_xy(X, y, sample_weight, coef_init)
    alphas = jnp.asarray(alphas, x.dtype)
    if alphas.ndim != 1:
        raise ValueError(f"alphas must be a 1-d array, got shape {alphas.shape}.")
    _check_strengths(alphas, l1_ratio, tol, max_iter)
    gram = _use_gram(precompute, *x.shape)
    res = multi_path(
        x, y[None], sw, alphas, l1_ratio, w0[None], tol, max_iter, fit_intercept=fit_intercept,
        positive=positive, gram=gram, settings=settings,
    )
    return jax.tree.map(lambda leaf: leaf[0], res)


def solve_enet(
    X,
    y,
    alpha,
    l1_ratio=1.0,
    *,
    sample_weight=None,
    fit_intercept=True,
    coef_init=None,
    tol=1e-4,
    max_iter=1000,
    positive=False,
    precompute="auto",
    solver="auto",
    settings=None,
):
    r"""Solve one elastic-net problem (scikit-learn's objective) to a certified gap.

    Same objective, arguments and stopping rule as :func:`enet_path_solve` with a single
    scalar ``alpha``. ``jax.vmap`` it over ``alpha``, ``l1_ratio``, ``y`` (targets) or
    ``sample_weight`` (folds as 0/1 weights) to solve a batch; the result's
    ``converged`` flags say which problems reached the gap.

    Returns:
      :class:`SolverResult` with scalar ``intercept``, ``n_iter``, ``gap``, ``converged``.

    Examples:
      >>> import numpy as np
      >>> from jreg.solvers import solve_enet
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 2.5])
      >>> res = solve_enet(X, y, 0.1, tol=1e-10)
      >>> print(np.round(np.asarray(res.coef), 4), round(float(res.intercept), 4))
      [1.05 0.  ] 0.075
    """
    alpha = jnp.asarray(alpha)
    if alpha.ndim != 0:
        raise ValueError(f"alpha must be a scalar, got shape {alpha.shape}.")
    res = enet_path_solve(
        X, y, alpha[None], l1_ratio, sample_weight=sample_weight,
        fit_intercept=fit_intercept, coef_init=coef_init, tol=tol, max_iter=max_iter,
        positive=positive, precompute=precompute, solver=solver, settings=settings,
    )
    return jax.tree.map(lambda leaf: leaf[0], res)


@full_precision
def enet_duality_gap(
    X, y, coef, alpha, l1_ratio=1.0, *, sample_weight=None, fit_intercept=True,
    positive=False,
):
    r"""scikit-learn's elastic-net duality gap at ``coef`` (estimator units).

    The gap of the intercept-profiled problem (data centred by weighted means) with the
    dual point obtained by rescaling the residual, divided by ``S = Σ sample_weight``:
    the number scikit-learn reports as ``dual_gap_``. Any gap is an upper bound on the
    suboptimality ``P(coef) − P*``.

    Examples:
      >>> import numpy as np
      >>> from jreg.solvers import enet_duality_gap, solve_enet
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 2.5])
      >>> res = solve_enet(X, y, 0.1, tol=1e-12)
      >>> float(enet_duality_gap(X, y, res.coef, 0.1)) < 1e-12
      True
    """
    x, y, sw, _ = _check_xy(X, y, sample_weight, None)
    w = jnp.asarray(coef, x.dtype)
    prep = prepare(x, y, sw, fit_intercept=fit_intercept, gram=False)
    op = prep.op
    s = prep.weight_sum
    aux = _cd.init_aux(op, w)
    a = alpha * l1_ratio * s
    b = alpha * (1.0 - l1_ratio) * s
    gap, _ = enet_gap_from_stats(_cd.full_corr(op, aux), w, _cd.r_norm2(op, aux, w), a, b,
                                 positive=positive)
    return gap / s
