"""Per-leaf helpers shared by `jreg.prox`, `jreg.penalties` and the transforms.

Every penalty is a sum over the leaves of a pytree and every prox acts leaf by leaf;
strengths are scalars or pytrees matching the tree. These helpers broadcast such values
to one entry per leaf (checking shapes, which are static, so the checks also run under
``jax.jit``), cast them to the dtype of the leaf, and compute norms whose gradient at 0
is 0 rather than NaN.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jreg._checks import broadcast_to_tree


def as_float(leaf: Any) -> jax.Array:
    """``leaf`` as a JAX array with an inexact dtype (integers become the default float)."""
    leaf = jnp.asarray(leaf)
    if not jnp.issubdtype(leaf.dtype, jnp.inexact):
        leaf = leaf.astype(jnp.result_type(float))
    return leaf


def cast(value: Any, x: jax.Array) -> jax.Array:
    """``value`` as an array of the dtype of ``x`` (strengths follow the parameters)."""
    return jnp.asarray(value, x.dtype)


def like(value: Any, x: jax.Array) -> jax.Array:
    """``value`` cast to the dtype of ``x`` and broadcast to its shape (explicitly, so
    that ``jax_numpy_rank_promotion='raise'`` is respected)."""
    return jnp.broadcast_to(cast(value, x), x.shape)


def leaves_like(value: Any, tree: Any, name: str) -> list[Any]:
    """``value`` broadcast to the structure of ``tree``, one entry per leaf (unchecked)."""
    return jax.tree.structure(tree).flatten_up_to(broadcast_to_tree(value, tree, name))


def per_leaf(
    value: Any, tree: Any, name: str, *, scalar: bool = False, batch_axes: int = 0
) -> list[Any]:
    """``value`` broadcast to the structure of ``tree``, one entry per leaf, checked.

    Every entry must broadcast against its leaf, or against the leaf's leading shape
    ``leaf.shape[:-batch_axes]`` when ``batch_axes > 0`` (one value per matrix or per
    signal); with ``scalar=True`` every entry must be a scalar (one value per leaf).

    Raises:
      ValueError: naming ``name`` when the structure or a shape does not match.
    """
    values = leaves_like(value, tree, name)
    for leaf, v in zip(jax.tree.leaves(tree), values, strict=True):
        if scalar and np.ndim(v) != 0:
            raise ValueError(
                f"{name} must be a scalar or a pytree of scalars matching tree (one value "
                f"per leaf), got a leaf of shape {np.shape(v)}."
            )
        if batch_axes:
            check_broadcast(v, np.shape(leaf)[:-batch_axes], name, "batch shape")
        else:
            check_broadcast(v, np.shape(leaf), name, "shape")
    return values


def check_broadcast(value: Any, shape: tuple[int, ...], name: str, what: str) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` broadcasts to ``shape`` (the
    ``what`` of the matching leaf of tree). Shapes are static: this also runs under jit."""
    value_shape, shape = tuple(np.shape(value)), tuple(shape)
    try:
        result = np.broadcast_shapes(value_shape, shape)
    except ValueError:
        result = None
    if result != shape:
        raise ValueError(
            f"{name} has shape {value_shape}, which does not broadcast to the {what} "
            f"{shape} of the matching leaf of tree."
        )


def check_axes(tree: Any, axes: int, what: str, *, nonempty: bool = False) -> None:
    """Raise ``ValueError`` naming ``tree`` unless every leaf has at least ``axes`` axes
    (``what``: the objects the last axes form), the last of positive length if
    ``nonempty``."""
    for leaf in jax.tree.leaves(tree):
        shape = np.shape(leaf)
        if len(shape) < axes or (nonempty and shape[-1] == 0):
            length = ", the last of positive length" if nonempty else ""
            raise ValueError(
                f"tree must hold {what} (leaves with at least {axes} axes{length}), got a "
                f"leaf of shape {shape}."
            )


def map_leaves(fn, tree: Any, *per_leaf_args: list[Any]) -> Any:
    """Apply ``fn(leaf, *args)`` to each leaf of ``tree`` with per-leaf argument lists."""
    leaves, tree_def = jax.tree.flatten(tree)
    out = [fn(leaf, *args) for leaf, *args in zip(leaves, *per_leaf_args, strict=True)]
    return jax.tree.unflatten(tree_def, out)


def map_sum(fn, tree: Any, *per_leaf_args: list[Any]) -> jax.Array:
    """``Σ_leaves fn(as_float(leaf), *args)`` (0.0 for a tree without leaves)."""
    leaves = jax.tree.leaves(tree)
    values = [fn(as_float(x), *args) for x, *args in zip(leaves, *per_leaf_args, strict=True)]
    if not values:
        return jnp.zeros((), jnp.result_type(float))
    return functools.reduce(operator.add, values)


def safe_norm(squared: jax.Array) -> jax.Array:
    """``sqrt(squared)`` whose gradient at 0 is 0 (the minimum-norm subgradient of a
    norm), not the NaN of ``jnp.sqrt``."""
    positive = squared > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, squared, 1)), 0)


def shrink_factor(squared: jax.Array, threshold: jax.Array) -> jax.Array:
    """``max(0, 1 - threshold / ‖x‖₂)`` from ``squared = ‖x‖₂²``; 0 when ``x = 0``, with
    finite gradients (block soft thresholding is ``x · shrink_factor``)."""
    positive = squared > 0
    norm = jnp.sqrt(jnp.where(positive, squared, 1))
    return jnp.where(positive, jnp.maximum(1 - threshold / norm, 0), 0)
