"""Helpers shared by the prox modules: per-leaf broadcasting, dtypes and checks."""

from __future__ import annotations

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


def like(value: Any, x: jax.Array) -> jax.Array:
    """``value`` cast to the dtype of ``x`` and broadcast to its shape (explicitly, so
    that ``jax_numpy_rank_promotion='raise'`` is respected)."""
    return jnp.broadcast_to(jnp.asarray(value, x.dtype), x.shape)


def check_broadcasts(value: Any, shape: tuple[int, ...], name: str, what: str) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` broadcasts to ``shape``.

    Shapes are static, so this check also runs under ``jax.jit``.
    """
    value_shape = tuple(np.shape(value))
    try:
        result = np.broadcast_shapes(value_shape, tuple(shape))
    except ValueError:
        result = None
    if result != tuple(shape):
        raise ValueError(
            f"{name} has shape {value_shape}, which does not broadcast to {what} "
            f"{tuple(shape)}."
        )


def per_leaf(value: Any, tree: Any, name: str) -> list[Any]:
    """``value`` broadcast to the structure of ``tree``, returned as a list of leaves."""
    value = broadcast_to_tree(value, tree, name)
    return jax.tree.structure(tree).flatten_up_to(value)


def map_leaves(fn, tree: Any, *per_leaf_args: list[Any]) -> Any:
    """Apply ``fn(leaf, *args)`` to each leaf of ``tree`` with per-leaf argument lists."""
    leaves, tree_def = jax.tree.flatten(tree)
    out = [fn(leaf, *args) for leaf, *args in zip(leaves, *per_leaf_args, strict=True)]
    return jax.tree.unflatten(tree_def, out)
