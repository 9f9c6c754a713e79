r"""Proximal operators of norms that couple coordinates: l2_norm, group_lasso,
sparse_group_lasso, linf_norm.

Every function returns, leaf by leaf,

$$
\operatorname{prox}_{s\,g}(x) = \operatorname*{argmin}_y\;
\tfrac{1}{2}\|x - y\|_2^2 + s\,g(y),
$$

with ``s = scaling``. These penalties are not separable, so ``strength`` and ``scaling``
hold one value per leaf (or, for the group penalties, one value per group of a leaf).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jreg._checks import check_interval, check_nonnegative
from jreg._groups import group_shrink, resolve_groups
from jreg._trees import as_float, leaves_like, map_leaves, per_leaf, shrink_factor
from jreg.prox._projections import l1_ball_leaf


@jax.jit
def _block_shrink(x: jax.Array, threshold: jax.Array) -> jax.Array:
    """``x · max(0, 1 - threshold/‖x‖₂)`` for the whole array, 0 when ``x = 0``."""
    return x * shrink_factor(jnp.sum(x * x), threshold)


_group_shrink = jax.jit(group_shrink, static_argnames="count")


def _soft_threshold(x: jax.Array, threshold: jax.Array) -> jax.Array:
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - threshold, 0)


@jax.jit
def _sparse_block_shrink(x, l1_threshold, group_threshold):
    return _block_shrink(_soft_threshold(x, l1_threshold), group_threshold)


@functools.partial(jax.jit, static_argnames="count")
def _sparse_group_shrink(x, ids, l1_threshold, group_threshold, count):
    return group_shrink(_soft_threshold(x, l1_threshold[ids]), ids, group_threshold, count)


def l2_norm(tree: Any, strength: Any, scaling: Any = 1.0) -> Any:
    r"""Proximal operator of the (unsquared) L2 norm of each leaf: block soft threshold.

    $$
    \operatorname{prox}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2 + s\,\lambda\|y\|_2
    = x \max\Bigl(0,\, 1 - \frac{s\lambda}{\|x\|_2}\Bigr),
    $$

    with $\lambda$ = ``strength``, $s$ = ``scaling`` and $\|\cdot\|_2$
    the Euclidean norm of all the coordinates of a leaf (0 maps to 0).

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree of scalars matching ``tree``.
      scaling: $s \ge 0$, a scalar or a pytree of scalars matching ``tree``.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``strength`` or ``scaling`` is negative or does not
        match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.l2_norm(jnp.array([3.0, 4.0]), 2.5))
      [1.5 2. ]
    """
    check_nonnegative(strength, "strength")
    check_nonnegative(scaling, "scaling")
    strengths = per_leaf(strength, tree, "strength", scalar=True)
    scalings = per_leaf(scaling, tree, "scaling", scalar=True)

    def leaf_prox(x, lam, s):
        x = as_float(x)
        return _block_shrink(x, jnp.asarray(s * lam, x.dtype)).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, scalings)


def group_lasso(
    tree: Any,
    strength: Any,
    scaling: Any = 1.0,
    *,
    groups: Any = None,
    num_groups: int | None = None,
) -> Any:
    r"""Proximal operator of the group lasso: block soft threshold of each group.

    $$
    \operatorname{prox}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2 + s \sum_{g} \lambda_g \|y_g\|_2,
    \qquad
    \operatorname{prox}(x)_g = x_g \max\Bigl(0,\, 1 - \frac{s\lambda_g}{\|x_g\|_2}\Bigr),
    $$

    with $\lambda$ = ``strength``, $s$ = ``scaling`` and $x_g$ the
    coordinates of group $g$ (no $\sqrt{|g|}$ factor is applied: pass it
    in ``strength`` if wanted). Groups never span leaves.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$: a scalar, or a pytree matching ``tree`` whose
        leaves are scalars or 1-D arrays with one strength per group of that leaf.
      scaling: $s \ge 0$, a scalar or a pytree of scalars matching ``tree``.
      groups: ``None`` (each leaf is one group, as `l2_norm`), or integer group
        ids in ``[0, num_groups)``: an array when ``tree`` is a single array, otherwise
        a pytree of arrays with the structure of ``tree``; each broadcasts against its
        leaf (ids of shape ``(n_columns,)`` group a matrix by columns).
      num_groups: the number of groups of every leaf, a static Python int. When
        ``None`` it is the length of a per-group ``strength`` leaf, else ``max(id) + 1``
        read from concrete ids (so under ``jit`` either close over concrete ``groups``
        or pass ``num_groups``). Groups without coordinates are allowed. Concrete ids
        are range-checked; traced ids cannot be, and out-of-range ones give undefined
        results.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``strength`` or ``scaling`` is negative or does not
        match ``tree``, ``groups`` has the wrong structure, shape, dtype or ids out of
        range, or ``num_groups`` is not a positive int or cannot be inferred.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> x = jnp.array([3.0, 4.0, 0.3, 0.4])
      >>> print(prox.group_lasso(x, 1.0, groups=jnp.array([0, 0, 1, 1])))
      [2.4 3.2 0.  0. ]
      >>> print(prox.group_lasso(x, jnp.array([5.0, 0.0]), groups=jnp.array([0, 0, 1, 1])))
      [0.  0.  0.3 0.4]
    """
    check_nonnegative(strength, "strength")
    check_nonnegative(scaling, "scaling")
    scalings = per_leaf(scaling, tree, "scaling", scalar=True)
    if groups is None:
        return l2_norm(tree, strength, scaling)
    strengths = leaves_like(strength, tree, "strength")
    ids, counts = resolve_groups(tree, groups, num_groups, {"strength": strengths})

    def leaf_prox(x, lam, s, leaf_ids, count):
        x = as_float(x)
        threshold = jnp.broadcast_to(jnp.asarray(s * jnp.asarray(lam), x.dtype), (count,))
        return _group_shrink(x, leaf_ids, threshold, count).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, scalings, ids, counts)


def sparse_group_lasso(
    tree: Any,
    strength: Any,
    l1_ratio: Any,
    scaling: Any = 1.0,
    *,
    groups: Any = None,
    num_groups: int | None = None,
) -> Any:
    r"""Proximal operator of the sparse group lasso.

    $$
    \operatorname{prox}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2
    + s \sum_g \lambda_g\bigl(\rho_g \|y_g\|_1 + (1 - \rho_g)\|y_g\|_2\bigr),
    $$

    with $\lambda$ = ``strength``, $\rho$ = ``l1_ratio`` and $s$ =
    ``scaling``. The solution is the group shrinkage of the soft threshold (Simon et al.,
    2013): with $u = \operatorname{sign}(x)\max(|x| - s\lambda_g\rho_g, 0)$,
    $\operatorname{prox}(x)_g = u_g \max(0, 1 - s\lambda_g(1 - \rho_g)/\|u_g\|_2)$.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, as in `group_lasso` (per leaf or per group).
      l1_ratio: $\rho \in [0, 1]$, like ``strength`` (1 is the lasso, 0 the
        group lasso).
      scaling: $s \ge 0$, a scalar or a pytree of scalars matching ``tree``.
      groups: as in `group_lasso`.
      num_groups: as in `group_lasso`.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: as `group_lasso`, and if ``l1_ratio`` lies outside [0, 1].

    References:
      Simon, N., Friedman, J., Hastie, T. and Tibshirani, R. (2013). A sparse-group
      lasso. Journal of Computational and Graphical Statistics, 22(2), 231-245.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> x = jnp.array([4.0, 5.0, 0.5, 0.0])
      >>> print(prox.sparse_group_lasso(x, 2.0, 0.5, groups=jnp.array([0, 0, 1, 1])))
      [2.4 3.2 0.  0. ]
    """
    check_nonnegative(strength, "strength")
    check_interval(l1_ratio, "l1_ratio", 0.0, 1.0)
    check_nonnegative(scaling, "scaling")
    scalings = per_leaf(scaling, tree, "scaling", scalar=True)
    if groups is None:
        strengths = per_leaf(strength, tree, "strength", scalar=True)
        ratios = per_leaf(l1_ratio, tree, "l1_ratio", scalar=True)

        def whole_leaf(x, lam, rho, s):
            x = as_float(x)
            l1_threshold = jnp.asarray(s * lam * rho, x.dtype)
            group_threshold = jnp.asarray(s * lam * (1 - rho), x.dtype)
            return _sparse_block_shrink(x, l1_threshold, group_threshold).astype(x.dtype)

        return map_leaves(whole_leaf, tree, strengths, ratios, scalings)

    strengths = leaves_like(strength, tree, "strength")
    ratios = leaves_like(l1_ratio, tree, "l1_ratio")
    ids, counts = resolve_groups(
        tree, groups, num_groups, {"strength": strengths, "l1_ratio": ratios}
    )

    def leaf_prox(x, lam, rho, s, leaf_ids, count):
        x = as_float(x)
        lam = jnp.broadcast_to(jnp.asarray(lam, x.dtype), (count,))
        rho = jnp.broadcast_to(jnp.asarray(rho, x.dtype), (count,))
        s = jnp.asarray(s, x.dtype)
        return _sparse_group_shrink(
            x, leaf_ids, s * lam * rho, s * lam * (1 - rho), count
        ).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, ratios, scalings, ids, counts)


@jax.jit
def _linf_leaf(x: jax.Array, radius: jax.Array) -> jax.Array:
    positive = radius > 0
    projected = l1_ball_leaf(x, jnp.where(positive, radius, 1))
    return x - jnp.where(positive, projected, 0)


def linf_norm(tree: Any, strength: Any, scaling: Any = 1.0) -> Any:
    r"""Proximal operator of the L-infinity norm of each leaf.

    $$
    \operatorname{prox}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2 + s\,\lambda\|y\|_\infty
    = x - \operatorname{proj}_{\{\|z\|_1 \le s\lambda\}}(x),
    $$

    by the Moreau decomposition (the dual norm of $\|\cdot\|_\infty$ is
    $\|\cdot\|_1$), with $\lambda$ = ``strength`` and $s$ = ``scaling``;
    the L1-ball projection is exact (sorting). The result clips the largest magnitudes
    of $x$ to a common level.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree of scalars matching ``tree``.
      scaling: $s \ge 0$, a scalar or a pytree of scalars matching ``tree``.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``strength`` or ``scaling`` is negative or does not
        match ``tree``.

    References:
      Duchi, J., Shalev-Shwartz, S., Singer, Y. and Chandra, T. (2008). Efficient
      projections onto the l1-ball for learning in high dimensions. ICML.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.linf_norm(jnp.array([3.0, -2.0, 0.5]), 1.5))
      [ 1.75 -1.75  0.5 ]
    """
    check_nonnegative(strength, "strength")
    check_nonnegative(scaling, "scaling")
    strengths = per_leaf(strength, tree, "strength", scalar=True)
    scalings = per_leaf(scaling, tree, "scaling", scalar=True)

    def leaf_prox(x, lam, s):
        x = as_float(x)
        return _linf_leaf(x, jnp.asarray(s * lam, x.dtype)).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, scalings)

