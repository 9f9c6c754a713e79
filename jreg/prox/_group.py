r"""Proximal operators of norms that couple coordinates: l2_norm, group_lasso,
sparse_group_lasso, linf_norm.

Every function returns, leaf by leaf,

.. math::

    \operatorname{prox}_{s\,g}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2 + s\,g(y),

with ``s = scaling``. These penalties are not separable, so ``strength`` and ``scaling``
hold one value per leaf (or, for the group penalties, one value per group of a leaf).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jreg._checks import check_interval, check_nonnegative, is_concrete
from jreg.prox._common import as_float, check_broadcasts, map_leaves, per_leaf
from jreg.prox._projections import l1_ball_leaf


def scalar_per_leaf(value: Any, tree: Any, name: str) -> list[Any]:
    """``value`` broadcast to ``tree``, checking each leaf value is a scalar."""
    values = per_leaf(value, tree, name)
    for v in values:
        if np.ndim(v) != 0:
            raise ValueError(
                f"{name} must be a scalar or a pytree of scalars matching tree (one value "
                f"per leaf) for this non-separable penalty, got a leaf of shape {np.shape(v)}."
            )
    return values


@jax.jit
def _block_shrink(x: jax.Array, threshold: jax.Array) -> jax.Array:
    """``x · max(0, 1 - threshold/‖x‖₂)`` for the whole array, 0 when ``x = 0``."""
    squared = jnp.sum(x * x)
    norm = jnp.sqrt(jnp.where(squared > 0, squared, 1))
    factor = jnp.where(squared > 0, jnp.maximum(1 - threshold / norm, 0), 0)
    return x * factor


@functools.partial(jax.jit, static_argnames="num_groups")
def _group_shrink(x: jax.Array, ids: jax.Array, threshold: jax.Array, num_groups: int):
    """Block soft threshold of each group ``{i : ids_i = g}`` by ``threshold[g]``."""
    squared = jax.ops.segment_sum((x * x).ravel(), ids.ravel(), num_segments=num_groups)
    norm = jnp.sqrt(jnp.where(squared > 0, squared, 1))
    factor = jnp.where(squared > 0, jnp.maximum(1 - threshold / norm, 0), 0)
    return x * factor[ids]


@jax.jit
def _sparse_block_shrink(x, l1_threshold, group_threshold):
    u = jnp.sign(x) * jnp.maximum(jnp.abs(x) - l1_threshold, 0)
    return _block_shrink(u, group_threshold)


@functools.partial(jax.jit, static_argnames="num_groups")
def _sparse_group_shrink(x, ids, l1_threshold, group_threshold, num_groups):
    u = jnp.sign(x) * jnp.maximum(jnp.abs(x) - l1_threshold[ids], 0)
    return _group_shrink(u, ids, group_threshold, num_groups)


def l2_norm(tree: Any, strength: Any, scaling: Any = 1.0) -> Any:
    r"""Proximal operator of the (unsquared) L2 norm of each leaf: block soft threshold.

    .. math::

        \operatorname{prox}(x) = \operatorname*{argmin}_y\;
        \tfrac{1}{2}\|x - y\|_2^2 + s\,\lambda\|y\|_2
        = x \max\Bigl(0,\, 1 - \frac{s\lambda}{\|x\|_2}\Bigr),

    with :math:`\lambda` = ``strength``, :math:`s` = ``scaling`` and :math:`\|\cdot\|_2`
    the Euclidean norm of all the coordinates of a leaf (0 maps to 0).

    Args:
      tree: pytree of arrays :math:`x`.
      strength: :math:`\lambda \ge 0`, a scalar or a pytree of scalars matching ``tree``.
      scaling: :math:`s \ge 0`, a scalar or a pytree of scalars matching ``tree``.

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
    strengths = scalar_per_leaf(strength, tree, "strength")
    scalings = scalar_per_leaf(scaling, tree, "scaling")

    def leaf_prox(x, lam, s):
        x = as_float(x)
        return _block_shrink(x, jnp.asarray(s * lam, x.dtype)).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, scalings)


def _resolve_groups(
    tree: Any, groups: Any, num_groups: int | None, per_group: dict[str, list[Any]]
) -> tuple[list[Any], list[int]]:
    """Per-leaf integer id arrays and static group counts, validated.

    ``per_group`` maps argument names to their per-leaf values, which may be scalars or
    1-D arrays with one value per group.
    """
    leaves, tree_def = jax.tree.flatten(tree)
    groups_def = jax.tree.structure(groups)
    single = tree_def.num_leaves == 1 and tree_def.num_nodes == 1
    if single and not (groups_def.num_leaves == 1 and groups_def.num_nodes == 1):
        raise ValueError(
            f"groups must be an integer array of group ids when tree is a single array; "
            f"got {groups_def}."
        )
    if not single and groups_def != tree_def:
        raise ValueError(
            f"groups must be a pytree of integer arrays with the structure of tree "
            f"({tree_def}); got {groups_def}."
        )
    group_leaves = jax.tree.leaves(groups)
    if num_groups is not None and (not isinstance(num_groups, (int, np.integer)) or num_groups < 1):
        raise ValueError(f"num_groups must be a positive Python int, got {num_groups!r}.")

    ids_out, counts = [], []
    for index, (leaf, ids) in enumerate(zip(leaves, group_leaves, strict=True)):
        ids = ids if isinstance(ids, jax.core.Tracer) else np.asarray(ids)
        if not jnp.issubdtype(ids.dtype, jnp.integer):
            raise ValueError(f"groups must hold integer group ids, got dtype {ids.dtype}.")
        check_broadcasts(ids, np.shape(leaf), "groups", "the matching leaf of tree, of shape")
        count = num_groups
        if count is None:
            for values in per_group.values():
                if np.ndim(values[index]) == 1:
                    count = int(np.shape(values[index])[0])
                    break
        if count is None:
            if not is_concrete(ids):
                raise ValueError(
                    "num_groups must be given when groups are traced (under jit, pass "
                    "groups as a static or closed-over array, or set num_groups)."
                )
            count = int(ids.max()) + 1 if ids.size else 1
        for name, values in per_group.items():
            value = values[index]
            bad_length = np.ndim(value) == 1 and np.shape(value)[0] != count
            if np.ndim(value) not in (0, 1) or bad_length:
                raise ValueError(
                    f"{name} must hold a scalar or one value per group ({count} groups) for "
                    f"each leaf, got shape {np.shape(value)}."
                )
        if is_concrete(ids) and ids.size and (ids.min() < 0 or ids.max() >= count):
            raise ValueError(
                f"groups must hold ids in [0, {count}) (num_groups={count}), got ids in "
                f"[{ids.min()}, {ids.max()}]."
            )
        ids_out.append(jnp.broadcast_to(jnp.asarray(ids), np.shape(leaf)))
        counts.append(count)
    return ids_out, counts


def group_lasso(
    tree: Any,
    strength: Any,
    scaling: Any = 1.0,
    *,
    groups: Any = None,
    num_groups: int | None = None,
) -> Any:
    r"""Proximal operator of the group lasso: block soft threshold of each group.

    .. math::

        \operatorname{prox}(x) = \operatorname*{argmin}_y\;
        \tfrac{1}{2}\|x - y\|_2^2 + s \sum_{g} \lambda_g \|y_g\|_2,
        \qquad
        \operatorname{prox}(x)_g = x_g \max\Bigl(0,\, 1 - \frac{s\lambda_g}{\|x_g\|_2}\Bigr),

    with :math:`\lambda` = ``strength``, :math:`s` = ``scaling`` and :math:`x_g` the
    coordinates of group :math:`g` (no :math:`\sqrt{|g|}` factor is applied: pass it
    in ``strength`` if wanted). Groups never span leaves.

    Args:
      tree: pytree of arrays :math:`x`.
      strength: :math:`\lambda \ge 0`: a scalar, or a pytree matching ``tree`` whose
        leaves are scalars or 1-D arrays with one strength per group of that leaf.
      scaling: :math:`s \ge 0`, a scalar or a pytree of scalars matching ``tree``.
      groups: ``None`` (each leaf is one group, as :func:`l2_norm`), or integer group
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
    scalings = scalar_per_leaf(scaling, tree, "scaling")
    if groups is None:
        return l2_norm(tree, strength, scaling)
    strengths = per_leaf(strength, tree, "strength")
    ids, counts = _resolve_groups(tree, groups, num_groups, {"strength": strengths})

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

    .. math::

        \operatorname{prox}(x) = \operatorname*{argmin}_y\;
        \tfrac{1}{2}\|x - y\|_2^2
        + s \sum_g \lambda_g\bigl(\rho_g \|y_g\|_1 + (1 - \rho_g)\|y_g\|_2\bigr),

    with :math:`\lambda` = ``strength``, :math:`\rho` = ``l1_ratio`` and :math:`s` =
    ``scaling``. The solution is the group shrinkage of the soft threshold (Simon et al.,
    2013): with :math:`u = \operatorname{sign}(x)\max(|x| - s\lambda_g\rho_g, 0)`,
    :math:`\operatorname{prox}(x)_g = u_g \max(0, 1 - s\lambda_g(1 - \rho_g)/\|u_g\|_2)`.

    Args:
      tree: pytree of arrays :math:`x`.
      strength: :math:`\lambda \ge 0`, as in :func:`group_lasso` (per leaf or per group).
      l1_ratio: :math:`\rho \in [0, 1]`, like ``strength`` (1 is the lasso, 0 the
        group lasso).
      scaling: :math:`s \ge 0`, a scalar or a pytree of scalars matching ``tree``.
      groups: as in :func:`group_lasso`.
      num_groups: as in :func:`group_lasso`.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: as :func:`group_lasso`, and if ``l1_ratio`` lies outside [0, 1].

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
    scalings = scalar_per_leaf(scaling, tree, "scaling")
    if groups is None:
        strengths = scalar_per_leaf(strength, tree, "strength")
        ratios = scalar_per_leaf(l1_ratio, tree, "l1_ratio")

        def whole_leaf(x, lam, rho, s):
            x = as_float(x)
            l1_threshold = jnp.asarray(s * lam * rho, x.dtype)
            group_threshold = jnp.asarray(s * lam * (1 - rho), x.dtype)
            return _sparse_block_shrink(x, l1_threshold, group_threshold).astype(x.dtype)

        return map_leaves(whole_leaf, tree, strengths, ratios, scalings)

    strengths = per_leaf(strength, tree, "strength")
    ratios = per_leaf(l1_ratio, tree, "l1_ratio")
    ids, counts = _resolve_groups(
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

    .. math::

        \operatorname{prox}(x) = \operatorname*{argmin}_y\;
        \tfrac{1}{2}\|x - y\|_2^2 + s\,\lambda\|y\|_\infty
        = x - \operatorname{proj}_{\{\|z\|_1 \le s\lambda\}}(x),

    by the Moreau decomposition (the dual norm of :math:`\|\cdot\|_\infty` is
    :math:`\|\cdot\|_1`), with :math:`\lambda` = ``strength`` and :math:`s` = ``scaling``;
    the L1-ball projection is exact (sorting). The result clips the largest magnitudes
    of :math:`x` to a common level.

    Args:
      tree: pytree of arrays :math:`x`.
      strength: :math:`\lambda \ge 0`, a scalar or a pytree of scalars matching ``tree``.
      scaling: :math:`s \ge 0`, a scalar or a pytree of scalars matching ``tree``.

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
    strengths = scalar_per_leaf(strength, tree, "strength")
    scalings = scalar_per_leaf(scaling, tree, "scaling")

    def leaf_prox(x, lam, s):
        x = as_float(x)
        return _linf_leaf(x, jnp.asarray(s * lam, x.dtype)).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, scalings)

