r"""The elastic-net duality gap, exactly as scikit-learn's ``cd_fast`` computes it.

Everything here is in the *unnormalised* units of the coordinate-descent kernels,

$$
P(w) = \tfrac12\|y - Xw\|_2^2 + a\|w\|_1 + \tfrac{b}{2}\|w\|_2^2,
$$

with ``a = S·α·ρ`` and ``b = S·α·(1−ρ)`` where ``S`` is the sum of the sample weights
(``n`` without weights). The estimator objective is ``P/S``; so is its gap.
"""

from __future__ import annotations

import jax.numpy as jnp


def enet_gap_from_stats(corr, w, r_norm2, a, b, *, positive, mask=None, columns=False):
    r"""Duality gap of ``P`` at ``w`` from ``XᵀR``, ``w`` and ``‖R‖²``.

    Formulation A (``a > 0``, scikit-learn's ``dual_gap_formulation_A``): the dual point
    is the extended residual ``θ = s·(R, −√b·w)`` with
    ``s = min(1, a/‖XᵀR − b·w‖∞)`` (``max`` instead of ``‖·‖∞`` when ``positive``), and
    ``G = P(w) − D(θ)``. Using ``y = R + Xw`` this equals

    $$
    G = \tfrac12 (1 - s)^2 (\|R\|^2 + b\|w\|^2) + a\|w\|_1 - s\,(X^\top R - b w)^\top w,
    $$

    the same number as scikit-learn's ``P − D`` but without its cancellation between two
    terms of size ``‖y‖²``, so it stays accurate at tolerances near machine precision.
    Formulation B (``a = 0 < b``): ``G = ‖XᵀR − b·w‖²/(2b)`` (scikit-learn's
    ``‖R‖² + ½b‖w‖² − Rᵀy + ‖XᵀR‖²/(2b)`` simplified the same way); with ``positive``
    the conjugate of ``½b‖w‖² + ι(w ≥ 0)`` gives ``(‖XᵀR − b·w‖² − ‖min(XᵀR, 0)‖²)/(2b)``
    (scikit-learn uses the unconstrained formula there, which is not a valid
    certificate when the constraint is active). Ordinary least squares
    (``a = b = 0``): ``G = ‖XᵀR‖²`` (first-order condition, as scikit-learn; projected
    on the constraint when ``positive``).

    Args:
      corr: ``XᵀR``, shape ``(p,)``.
      w: coefficients, shape ``(p,)``.
      r_norm2: ``‖R‖²``.
      a: L1 strength (unnormalised).
      b: L2 strength (unnormalised).
      positive: whether ``w ≥ 0`` is imposed (static).
      mask: optional boolean ``(p,)``: restrict the dual norm to these coordinates
        (the gap of the sub-problem on a working set; coordinates outside must be 0).
      columns: ``corr`` and ``w`` are ``(p, A)``, one problem per column (``r_norm2``,
        ``a``, ``b`` then ``(A,)``; no ``mask``): the reductions run down the columns,
        where ``jax.vmap`` over them made XLA transpose each ``(p, A)`` operand first.

    Returns:
      ``(gap, dual_norm)`` where ``dual_norm`` is ``‖XᵀR − b·w‖∞`` (or its max).
    """
    dtype = corr.dtype
    axis = 0 if columns else None

    def vdot(u, v):  # (per column: a sum down it; else jnp.vdot, as always)
        return jnp.sum(u * v, axis=0) if columns else jnp.vdot(u, v)

    xta = corr - b * w
    if mask is not None:
        xta = jnp.where(mask, xta, 0.0)
    stat = xta if positive else jnp.abs(xta)
    if mask is not None:
        stat = jnp.where(mask, stat, -jnp.inf)
    dual_norm = (jnp.max(stat, axis=axis, initial=-jnp.inf) if positive
                 else jnp.max(stat, axis=axis, initial=0.0))
    dual_norm = jnp.maximum(dual_norm, jnp.asarray(-jnp.finfo(dtype).max, dtype))
    w_l1 = jnp.sum(jnp.abs(w), axis=axis)
    quad = r_norm2 + b * vdot(w, w)
    safe = jnp.where(dual_norm > a, dual_norm, jnp.ones((), dtype))
    scale = jnp.where(dual_norm > a, a / safe, jnp.ones((), dtype))
    gap_a = 0.5 * (1.0 - scale) ** 2 * quad + (a * w_l1 - scale * vdot(xta, w))
    safe_b = jnp.where(b > 0, b, jnp.ones((), dtype))
    corr_m = corr if mask is None else jnp.where(mask, corr, 0.0)
    if positive:
        # conjugate of ½b‖w‖² + ι(w ≥ 0) is ‖max(v, 0)‖²/(2b): coordinates with w_j = 0
        # and x_jᵀR < 0 satisfy the constraint's optimality condition
        blocked = jnp.minimum(corr_m, 0.0)
        gap_b = (vdot(xta, xta) - vdot(blocked, blocked)) / (2.0 * safe_b)
        free = jnp.where(w > 0, corr_m, jnp.maximum(corr_m, 0.0))
        gap_ols = vdot(free, free)
    else:
        gap_b = vdot(xta, xta) / (2.0 * safe_b)
        gap_ols = vdot(corr_m, corr_m)
    gap = jnp.where(a > 0, gap_a, jnp.where(b > 0, gap_b, gap_ols))
    return gap, dual_norm
