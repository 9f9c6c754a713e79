r"""Accelerated proximal gradient over a whole path at once (private).

Coordinate descent is sequential: on a GPU each block of coordinates is a handful of
tiny kernels, so a path is bound by kernel launches (measured on an H200: a tall
10000×2000 float32 path took 2.8 s). This kernel solves *every* alpha of a path at the
same time with FISTA (Beck & Teboulle 2009) and adaptive restart (O'Donoghue & Candès
2015): the coefficients are a ``(p, n_alphas)`` matrix, so each iteration is one or two
matrix–matrix products (``Q W``, or ``X W`` and ``Xᵀ R``) and a few elementwise kernels.

Same units as :mod:`jreg.solvers._cd`: column ``j`` minimises
``½‖y − Xw‖² + a_j‖w‖₁ + ½ b_j‖w‖²`` and stops on the certified gap of
:mod:`jreg.solvers._gap`, computed every iteration from ``XᵀR`` at the current iterate
(freshly multiplied, never updated incrementally). A column whose gap is below ``tol`` is
frozen; the loop ends when all are, or after ``max_iter`` iterations. The gradient at the
extrapolated point needs no extra product: ``XᵀR`` is affine in ``w``, so it is the same
combination of the two last exact ones. Each column adapts its own step, which may grow
as well as shrink (a backtracking whose curvature test is free by the same affinity,
with the momentum rule of Scheinberg, Goldfarb & Bai 2014 for varying steps;
``FistaSettings.step_shrink``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jreg.solvers import _cd
from jreg.solvers._gap import enet_gap_from_stats


class FistaSettings(NamedTuple):
    """Static tuning of the all-alphas-at-once FISTA path solver (``solver="fista"``).

    Attributes:
      power_iters: power iterations for the largest eigenvalue of ``XᵀX``.
      lipschitz_margin: the first step (and the longest a rejected step falls back to) is
        ``1 / (margin · λ_max + b)``; the margin covers the power iteration's
        underestimate.
      finish: ``None``, or :class:`jreg.solvers.CDSettings` to finish with coordinate
        descent every column that FISTA left uncertified (each for up to ``max_iter``
        epochs; ``n_iter`` counts both). ``solver="auto"`` on an accelerator uses
        ``FistaSettings(finish=CDSettings())``.
      finish_factor: with ``finish``, FISTA runs up to ``finish_factor · max_iter``
        iterations before coordinate descent takes over: on an H200 one iteration over
        100 alphas took 0.1–0.8 ms and one coordinate-descent epoch of one alpha
        1.8–7.4 ms (``docs/design/solvers.md``). Without ``finish``: ``max_iter``.
      step_shrink: adaptive steps: each column's step starts at the bound above, every
        accepted step multiplies its inverse ``L`` by this factor in ``(0, 1]``, and a
        step whose curvature ``dᵀ(∇f(w⁺) − ∇f(y)) / ‖d‖²`` (``d = w⁺ − y``, known
        without another product) exceeds ``L`` is rejected (it still counts as an
        iteration) and ``L`` raised to at least that curvature. Along the directions
        FISTA moves in (the support) the curvature is often far below ``λ_max``: the
        wide 200×5000 float64 path needed 3.5× fewer iterations (10688 → 3088 at the
        slowest alpha). ``None``: the fixed step.

    Examples:
      >>> import numpy as np
      >>> from jreg.solvers import FistaSettings, enet_path_solve
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 2.5])
      >>> res = enet_path_solve(X, y, np.array([0.5, 0.1]), tol=1e-10, max_iter=10000,
      ...                       solver="fista", settings=FistaSettings(power_iters=16))
      >>> print(np.round(np.asarray(res.coef), 4))
      [[0.25 0.  ]
       [1.05 0.  ]]
    """

    power_iters: int = 64
    lipschitz_margin: float = 1.05
    finish: _cd.CDSettings | None = None
    finish_factor: int = 10
    step_shrink: float | None = 0.99


def check_settings(settings: FistaSettings) -> None:
    """Raise ``ValueError`` naming the field of ``settings`` that cannot work."""
    for field in ("power_iters", "finish_factor"):
        value = getattr(settings, field)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"settings.{field} must be an int >= 1, got {value!r}.")
    shrink = settings.step_shrink
    if shrink is not None and (isinstance(shrink, bool)
                               or not isinstance(shrink, (int, float))
                               or not 0.0 < shrink <= 1.0):
        raise ValueError(f"settings.step_shrink must be None or in (0, 1], got {shrink!r}.")
    if not settings.lipschitz_margin >= 1.0:
        raise ValueError(
            f"settings.lipschitz_margin must be >= 1, got {settings.lipschitz_margin!r}."
        )
    if settings.finish is not None:
        if not isinstance(settings.finish, _cd.CDSettings):
            raise TypeError(
                "settings.finish must be None or a CDSettings, got "
                f"{type(settings.finish).__name__}."
            )
        _cd.check_settings(settings.finish)


def _largest_eigenvalue(op, iters):
    """``λ_max(XᵀX)`` by power iteration (a lower bound that converges from below)."""
    p = _cd.n_features(op)
    dtype = op.norms2.dtype

    def apply(v):
        if isinstance(op, _cd.GramOp):
            return op.gram @ v
        return op.xt @ (v @ op.xt)  # (not op.xt.T @ v: a transpose on XLA's CPU)

    # a fixed pseudo-random start: almost surely not orthogonal to the top eigenvector
    # (a structured start such as all-ones is, e.g. for negatively correlated columns)
    v = jax.random.normal(jax.random.key(0), (p,), dtype)

    def body(_, v):
        u = apply(v)
        norm = jnp.linalg.norm(u)
        return jnp.where(norm > 0, u / jnp.where(norm > 0, norm, 1.0), v)

    v = jax.lax.fori_loop(0, iters, body, v / jnp.linalg.norm(v))
    return jnp.maximum(jnp.vdot(v, apply(v)), jnp.max(op.norms2))


def _stats(op, w):
    """``XᵀR`` ``(p, A)`` and ``‖R‖²`` ``(A,)`` at the columns of ``w``, computed afresh."""
    if isinstance(op, _cd.GramOp):
        corr = op.xty[:, None] - op.gram @ w
        # ‖y − Xw‖² = ‖y‖² − 2qᵀw + wᵀQw with Qw = q − corr
        r_norm2 = op.yy - op.xty @ w - jnp.sum(w * corr, axis=0)
        return corr, r_norm2
    resid = op.y[:, None] - op.xt.T @ w
    return op.xt @ resid, jnp.sum(resid * resid, axis=0)


class PathState(NamedTuple):
    w: jax.Array  # (p, A) current iterates
    lip: jax.Array  # (A,) inverse step sizes
    corr: jax.Array  # XᵀR at w
    y: jax.Array  # extrapolated points
    corr_y: jax.Array  # XᵀR at y (same affine combination)
    t: jax.Array  # (A,) momentum parameters
    gap: jax.Array  # (A,) certified gaps at w
    n_iter: jax.Array  # (A,) iterations until each column was certified
    k: jax.Array  # iterations done


def _widths(n_cols):
    """Static widths of the loop's phases: every column, then a quarter of them when
    that is at least 4 (100 → 25). A third phase (25 → 7) would save little more: on
    CPU it did 0.54 of the column-iterations of the wide float64 path against 0.56."""
    narrow = -(-n_cols // 4)
    return [n_cols, narrow] if narrow >= 4 else [n_cols]


def solve_path(op, w0, a, b, tol, max_iter, *, positive, settings=None):
    """Minimise every column's problem from ``w0`` until its gap is ``≤ tol``.

    Certified columns are frozen. Once at most a quarter of the columns are left, the
    loop continues on a narrower copy of the state holding them (100 → 25 columns; a
    second loop of static width): the slowest alphas of a path often need several times
    the median's iterations, and every iteration costs in proportion to the width (the
    products with ``X`` or ``Q`` and the gap).

    Args:
      op: :class:`jreg.solvers._cd.GramOp` or :class:`jreg.solvers._cd.ResidualOp`.
      w0: initial coefficients ``(p, A)``.
      a, b: unnormalised L1 and L2 strengths ``(A,)``.
      tol: absolute gap tolerance (unnormalised, shared by the columns).
      max_iter: maximum number of iterations (traced integer).
      positive: static flag.
      settings: static :class:`FistaSettings`.

    Returns:
      :class:`PathState` at exit; ``gap`` is certified at the returned ``w``.
    """
    settings = FistaSettings() if settings is None else settings
    check_settings(settings)
    dtype = w0.dtype
    a, b, tol, max_iter = _cd.as_traced(dtype, a, b, tol, max_iter)
    lam = settings.lipschitz_margin * _largest_eigenvalue(op, settings.power_iters)
    lip = jnp.maximum(lam + b, jnp.finfo(dtype).tiny)  # (A,)

    def gap_of(corr, w, rn2, a, b):
        return enet_gap_from_stats(corr, w, rn2, a, b, positive=positive, columns=True)[0]

    def certify(w, a, b):
        corr, rn2 = _stats(op, w)
        return corr, gap_of(corr, w, rn2, a, b)

    def body(s, a, b, lip_max):
        todo = s.gap > tol
        lip = s.lip
        # prox-gradient step from the extrapolated point: ∇f(y) = b·y − XᵀR(y)
        z = s.y + (s.corr_y - b * s.y) / lip
        thresh = a / lip
        if positive:
            w_new = jnp.maximum(z - thresh, 0.0)
        else:
            w_new = jnp.sign(z) * jnp.maximum(jnp.abs(z) - thresh, 0.0)
        corr_new, gap_new = certify(w_new, a, b)
        if settings.step_shrink is None:
            ok, lip_next = True, lip
        else:
            # the step's curvature dᵀ(∇f(w⁺) − ∇f(y)) / ‖d‖², exact and free: XᵀR is
            # affine in w, so ∇f(w⁺) − ∇f(y) = b·d + XᵀR(y) − XᵀR(w⁺)
            d = w_new - s.y
            dd = jnp.sum(d * d, axis=0)
            curv = b * dd + jnp.sum(d * (s.corr_y - corr_new), axis=0)
            # the quadratic model with this step bounds f at w⁺; a non-finite step (data
            # that overflow) is taken, as with the fixed step, so the caller sees it
            ok = (curv <= lip * dd) | ~jnp.isfinite(curv)
            grown = jnp.where(dd > 0, settings.step_shrink * lip, lip)  # (no move: keep)
            lip_next = jnp.where(
                ok, grown,
                jnp.maximum(jnp.minimum(2.0 * lip, lip_max),
                            1.1 * curv / jnp.where(dd > 0, dd, 1.0)))
        # gradient restart: momentum that points against the last step is dropped (the
        # function-value scheme was measured worse in float32, where rounding of the
        # primal triggers spurious restarts: diabetes 122 -> 428 iterations)
        restart = jnp.sum((s.y - w_new) * (w_new - s.w), axis=0) > 0
        t_new = 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * s.t * s.t * lip_next / lip))
        beta = jnp.where(restart, 0.0, (s.t - 1.0) / t_new)
        t_new = jnp.where(restart, 1.0, t_new)
        y_new = w_new + beta * (w_new - s.w)
        corr_y = (1.0 + beta) * corr_new - beta * s.corr

        move = todo & ok  # a rejected step leaves the column's iterate as it was

        def keep(old, new):
            return jnp.where(move, new, old)

        return PathState(keep(s.w, w_new), jnp.where(todo, lip_next, lip),
                         keep(s.corr, corr_new), keep(s.y, y_new),
                         keep(s.corr_y, corr_y), keep(s.t, t_new), keep(s.gap, gap_new),
                         s.n_iter + todo.astype(jnp.int32), s.k + 1)

    def run(s, a, b, lip, narrow_at):
        """Iterate until every column is certified, ``max_iter``, or at most
        ``narrow_at`` columns are left."""

        def cond(s):
            todo = s.gap > tol
            return jnp.any(todo) & (s.k < max_iter) & (jnp.sum(todo) > narrow_at)

        return jax.lax.while_loop(cond, lambda s: body(s, a, b, lip), s)

    corr0, gap0 = certify(w0, a, b)
    n_cols = w0.shape[1]
    state = PathState(w0, lip, corr0, w0, corr0, jnp.ones(n_cols, dtype), gap0,
                      jnp.zeros(n_cols, jnp.int32), jnp.zeros((), jnp.int32))
    widths = _widths(n_cols)
    state = run(state, a, b, lip, widths[1] if len(widths) > 1 else 0)
    for width, narrow_at in zip(widths[1:], widths[2:] + [0], strict=False):
        # the uncertified columns first (at most `width` of them), then certified ones,
        # which stay frozen; the indices are distinct, so scattering back is exact
        cols = jnp.argsort(~(state.gap > tol), stable=True)[:width]
        columns = state._replace(k=None)  # every field but `k` has the columns last
        sub = jax.tree.map(lambda x, c=cols: x[..., c], columns)._replace(k=state.k)
        sub = run(sub, a[cols], b[cols], lip[cols], narrow_at)
        state = jax.tree.map(lambda x, part, c=cols: x.at[..., c].set(part), columns,
                             sub._replace(k=None))._replace(k=sub.k)
    return state


def finish_with_cd(op, w, gap, n_iter, a, b, tol, max_iter, *, positive, settings):
    """Coordinate descent on every column of ``w`` ``(p, A)`` whose gap is still above
    ``tol``.

    The uncertified columns are visited in path order by a ``while_loop`` (not a scan
    with a ``cond`` per column: under ``vmap`` a ``cond`` becomes a select that runs both
    branches, so every column of every lane would pay a solve's set-up; the loop runs
    only while some lane has a column left, zero times when all are certified). Each
    starts from FISTA's iterate or from the previous column's final solution (coordinate
    descent's usual warm start), whichever has the lower primal value at its own
    strengths — FISTA's iterate can be far off where the problem is ill-conditioned —
    and runs up to ``max_iter`` epochs. Certified columns are left as they are.

    Returns:
      ``(w, gap, n_iter)``: ``(p, A)`` coefficients, certified gaps and iteration counts
      (FISTA's plus coordinate descent's epochs).
    """
    n_cols = gap.shape[0]
    cols = jnp.arange(n_cols)

    def first_uncertified(gap, start):
        return jnp.min(jnp.where((cols >= start) & (gap > tol), cols, n_cols))

    def body(c):
        w, gap, n_iter, j = c
        a_j, b_j = a[j], b[j]
        w_j, w_prev = w[:, j], w[:, jnp.maximum(j - 1, 0)]
        aux, aux_prev = _cd.init_aux(op, w_j), _cd.init_aux(op, w_prev)
        from_prev = (_cd.primal_value(op, w_prev, aux_prev, a_j, b_j)
                     < _cd.primal_value(op, w_j, aux, a_j, b_j))
        st = _cd.solve(op, jnp.where(from_prev, w_prev, w_j),
                       jnp.where(from_prev, aux_prev, aux), a_j, b_j, tol, max_iter,
                       positive=positive, settings=settings)
        gap = gap.at[j].set(st.gap)
        return (w.at[:, j].set(st.w), gap, n_iter.at[j].add(st.n_iter),
                first_uncertified(gap, j + 1))

    init = (w, gap, n_iter, first_uncertified(gap, 0))
    w, gap, n_iter, _ = jax.lax.while_loop(lambda c: c[3] < n_cols, body, init)
    return w, gap, n_iter
