r"""Proximal operator of the nuclear norm (singular-value soft thresholding)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jreg._checks import check_nonnegative
from jreg.prox._common import as_float, check_broadcasts, map_leaves, per_leaf


@jax.jit
def _singular_value_threshold(x: jax.Array, threshold: jax.Array) -> jax.Array:
    u, singular_values, vh = jnp.linalg.svd(x, full_matrices=False)
    shrunk = jnp.maximum(singular_values - threshold[..., None], 0)
    # full float32 precision on accelerators whose default matmul is TF32/bf16
    return jnp.matmul(u * shrunk[..., None, :], vh, precision=jax.lax.Precision.HIGHEST)


def nuclear_norm(tree: Any, strength: Any, scaling: Any = 1.0) -> Any:
    r"""Proximal operator of the nuclear norm: soft thresholding of the singular values.

    For each matrix :math:`X` formed by the last two axes of a leaf,

    .. math::

        \operatorname{prox}(X) = \operatorname*{argmin}_Y\;
        \tfrac{1}{2}\|X - Y\|_F^2 + s\,\lambda\|Y\|_*
        = U \operatorname{diag}\bigl(\max(\sigma - s\lambda, 0)\bigr) V^\top,

    where :math:`X = U \operatorname{diag}(\sigma) V^\top` is a thin SVD,
    :math:`\|Y\|_*` is the sum of the singular values of :math:`Y`,
    :math:`\lambda` = ``strength`` and :math:`s` = ``scaling``. Leading axes are a batch
    of independent matrices (their nuclear norms add up).

    Gradients follow JAX's SVD derivative, which is defined where the singular values
    are distinct.

    Args:
      tree: pytree of arrays with at least two axes.
      strength: :math:`\lambda \ge 0`, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the batch shape ``leaf.shape[:-2]``.
      scaling: :math:`s \ge 0`, like ``strength``.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a leaf of ``tree`` has fewer than two axes, or a concrete
        ``strength`` or ``scaling`` is negative or does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.nuclear_norm(jnp.diag(jnp.array([3.0, 1.0])), 2.0))
      [[1. 0.]
       [0. 0.]]
    """
    for leaf in jax.tree.leaves(tree):
        if np.ndim(leaf) < 2:
            raise ValueError(
                f"tree must hold matrices (leaves with at least two axes) for the nuclear "
                f"norm, got a leaf of shape {np.shape(leaf)}."
            )
    check_nonnegative(strength, "strength")
    check_nonnegative(scaling, "scaling")
    strengths = per_leaf(strength, tree, "strength")
    scalings = per_leaf(scaling, tree, "scaling")
    for leaf, lam, s in zip(jax.tree.leaves(tree), strengths, scalings, strict=True):
        batch = np.shape(leaf)[:-2]
        check_broadcasts(lam, batch, "strength", "the batch shape of the matching leaf,")
        check_broadcasts(s, batch, "scaling", "the batch shape of the matching leaf,")

    def leaf_prox(x, lam, s):
        x = as_float(x)
        threshold = jnp.broadcast_to(jnp.asarray(s * jnp.asarray(lam), x.dtype), x.shape[:-2])
        return _singular_value_threshold(x, threshold).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, scalings)
