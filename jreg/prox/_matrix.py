r"""Proximal operator of the nuclear norm (singular-value soft thresholding)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jreg._checks import check_nonnegative
from jreg._trees import as_float, cast, check_axes, map_leaves, per_leaf

_HIGHEST = jax.lax.Precision.HIGHEST  # full float32 precision where matmuls default to TF32


def _mt(a: jax.Array) -> jax.Array:
    return jnp.swapaxes(a, -1, -2)


def _matmul(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.matmul(a, b, precision=_HIGHEST)


def _divide(numerator: jax.Array, denominator: jax.Array, limit: jax.Array) -> jax.Array:
    """``numerator / denominator`` where the denominator is positive, else ``limit``."""
    positive = denominator > 0
    return jnp.where(positive, numerator / jnp.where(positive, denominator, 1), limit)


@jax.custom_jvp
def _svt_tall(x: jax.Array, threshold: jax.Array) -> jax.Array:
    """``U max(σ - t, 0) Vᵀ`` for matrices with at least as many rows as columns."""
    u, singular_values, vh = jnp.linalg.svd(x, full_matrices=False)
    shrunk = jnp.maximum(singular_values - threshold[..., None], 0)
    return _matmul(u * shrunk[..., None, :], vh)


@_svt_tall.defjvp
def _svt_tall_jvp(primals, tangents):
    """Derivative of the spectral operator ``X = U diag(σ) Vᵀ -> U diag(f(σ)) Vᵀ``.

    With ``f(σ) = max(σ - t, 0)`` and ``A = Uᵀ dX V`` (Ding, Sun & Toh's formula for
    spectral operators of rectangular matrices):
    ``dF = U (Ξ⁻ ∘ sym(A) + Ξ⁺ ∘ skew(A)) Vᵀ + (I - UUᵀ) dX V diag(f(σ)/σ) Vᵀ
    - U diag(1[σ > t]) Vᵀ dt``, where ``Ξ⁻_ij = (f_i - f_j)/(σ_i - σ_j)`` and
    ``Ξ⁺_ij = (f_i + f_j)/(σ_i + σ_j)``. As ``f`` is piecewise linear these divided
    differences have closed forms, defined (as limits) for repeated singular values too;
    JAX's SVD derivative is not, so low-rank inputs would give NaN.
    """
    x, threshold = primals
    x_dot, threshold_dot = tangents
    u, s, vh = jnp.linalg.svd(x, full_matrices=False)
    t = threshold[..., None]
    f = jnp.maximum(s - t, 0)
    out = _matmul(u * f[..., None, :], vh)

    v = _mt(vh)
    a = _matmul(_matmul(_mt(u), x_dot), v)
    # f'(σ) (1 above the threshold; with t = 0, f is the identity, also at σ = 0)
    slope = ((s > t) | (t <= 0)).astype(x.dtype)
    slope_at_zero = (t <= 0).astype(x.dtype)  # the limit of f(σ)/σ as σ -> 0
    above_i, above_j = slope[..., :, None], slope[..., None, :]
    f_i, f_j = f[..., :, None], f[..., None, :]
    s_i, s_j = s[..., :, None], s[..., None, :]
    # Ξ⁻: 1 where both are above, 0 where both are below, a ratio in [0, 1] across.
    across = jnp.clip(_divide(jnp.abs(f_i - f_j), jnp.abs(s_i - s_j), 0), 0, 1)
    xi_minus = jnp.where(above_i == above_j, above_i, across)
    xi_plus = _divide(f_i + f_j, s_i + s_j, slope_at_zero[..., None])
    inner = xi_minus * (a + _mt(a)) / 2 + xi_plus * (a - _mt(a)) / 2
    eye = jnp.broadcast_to(jnp.eye(s.shape[-1], dtype=x.dtype), inner.shape)
    inner = inner - eye * (slope * threshold_dot[..., None])[..., None, :]
    out_dot = _matmul(_matmul(u, inner), vh)
    if x.shape[-2] > x.shape[-1]:  # the part of dX outside the column space of U
        outside = _matmul(x_dot, v) - _matmul(u, a)
        ratio = _divide(f, s, slope_at_zero)
        out_dot = out_dot + _matmul(outside * ratio[..., None, :], vh)
    return out, out_dot


@jax.jit
def _singular_value_threshold(x: jax.Array, threshold: jax.Array) -> jax.Array:
    if x.shape[-2] < x.shape[-1]:
        return _mt(_svt_tall(_mt(x), threshold))
    return _svt_tall(x, threshold)


def nuclear_norm(tree: Any, strength: Any, scaling: Any = 1.0) -> Any:
    r"""Proximal operator of the nuclear norm: soft thresholding of the singular values.

    For each matrix $X$ formed by the last two axes of a leaf,

    $$
    \operatorname{prox}(X) = \operatorname*{argmin}_Y\;
    \tfrac{1}{2}\|X - Y\|_F^2 + s\,\lambda\|Y\|_*
    = U \operatorname{diag}\bigl(\max(\sigma - s\lambda, 0)\bigr) V^\top,
    $$

    where $X = U \operatorname{diag}(\sigma) V^\top$ is a thin SVD,
    $\|Y\|_*$ is the sum of the singular values of $Y$,
    $\lambda$ = ``strength`` and $s$ = ``scaling``. Leading axes are a batch
    of independent matrices (their nuclear norms add up).

    The derivative (``jax.jvp`` / ``jax.grad``, with respect to the matrices and to the
    strengths) is exact wherever no singular value equals $s\lambda$, repeated
    singular values included (zero and low-rank matrices give no NaN).

    Args:
      tree: pytree of arrays with at least two axes.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the batch shape ``leaf.shape[:-2]``.
      scaling: $s \ge 0$, like ``strength``.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a leaf of ``tree`` has fewer than two axes, or a concrete
        ``strength`` or ``scaling`` is negative or does not match ``tree``.

    References:
      Ding, C., Sun, D., Sun, J. and Toh, K.-C. (2018). Spectral operators of matrices.
      Mathematical Programming, 168, 509-531.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.nuclear_norm(jnp.diag(jnp.array([3.0, 1.0])), 2.0))
      [[1. 0.]
       [0. 0.]]
    """
    check_axes(tree, 2, "matrices for the nuclear norm")
    check_nonnegative(strength, "strength")
    check_nonnegative(scaling, "scaling")
    strengths = per_leaf(strength, tree, "strength", batch_axes=2)
    scalings = per_leaf(scaling, tree, "scaling", batch_axes=2)

    def leaf_prox(x, lam, s):
        x = as_float(x)
        threshold = jnp.broadcast_to(cast(s * jnp.asarray(lam), x), x.shape[:-2])
        return _singular_value_threshold(x, threshold).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, scalings)
