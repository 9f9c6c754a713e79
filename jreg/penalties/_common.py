"""Helpers shared by the penalty functions and objects: per-leaf values and sums."""

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


def _is_empty(node: Any) -> bool:
    """A subtree without leaves (``None``, ``optax.MaskedNode()``, ``()``, ...)."""
    return not jax.tree.leaves(node)


def align(value: Any, tree: Any) -> Any:
    """Drop from a per-leaf ``value`` the subtrees that are empty in ``tree``.

    A per-coordinate strength has the structure of the full parameters; when some
    parameters are excluded by replacing them with an empty node (as ``optax.masked``
    does with ``MaskedNode()``), the matching parts of ``value`` are replaced by the
    same empty node so that the two structures still match. Scalars, and values whose
    structure does not fit ``tree``, are returned unchanged (a mismatch is reported by
    :func:`per_leaf`).
    """
    value_def = jax.tree.structure(value)
    if value_def.num_leaves <= 1 and value_def.num_nodes <= 1:
        return value
    try:
        return jax.tree.map(lambda t, v: t if _is_empty(t) else v, tree, value, is_leaf=_is_empty)
    except (ValueError, TypeError):
        return value


def per_leaf(
    value: Any,
    tree: Any,
    name: str,
    *,
    scalar: bool = False,
    batch_axes: int = 0,
) -> list[Any]:
    """``value`` broadcast to the structure of ``tree``, as a list with one entry per leaf.

    Every entry must broadcast against its leaf, or against the leaf's leading shape
    ``leaf.shape[:-batch_axes]`` when ``batch_axes > 0`` (one value per matrix or per
    signal); with ``scalar=True`` every entry must be a scalar. Shapes are static, so
    these checks also run under ``jax.jit``.

    Raises:
      ValueError: naming ``name`` when the structure or a shape does not match.
    """
    values = jax.tree.structure(tree).flatten_up_to(broadcast_to_tree(value, tree, name))
    for leaf, v in zip(jax.tree.leaves(tree), values, strict=True):
        value_shape, leaf_shape = tuple(np.shape(v)), tuple(np.shape(leaf))
        if batch_axes:
            leaf_shape = leaf_shape[:-batch_axes]
        if scalar and value_shape != ():
            raise ValueError(
                f"{name} must be a scalar or a pytree of scalars matching the parameters "
                f"(one value per leaf), got a leaf of shape {value_shape}."
            )
        try:
            result = np.broadcast_shapes(value_shape, leaf_shape)
        except ValueError:
            result = None
        if result != leaf_shape:
            what = "batch shape" if batch_axes else "shape"
            raise ValueError(
                f"{name} has shape {value_shape}, which does not broadcast to the {what} "
                f"{leaf_shape} of the matching parameter leaf."
            )
    return values


def tree_sum(values: list[jax.Array]) -> jax.Array:
    """Sum of per-leaf scalars (0.0 for a tree without leaves)."""
    if not values:
        return jnp.zeros((), jnp.result_type(float))
    return functools.reduce(operator.add, values)


def cast(value: Any, like: jax.Array) -> jax.Array:
    """``value`` as an array of the dtype of ``like`` (strengths follow the parameters)."""
    return jnp.asarray(value, like.dtype)
