"""Shared input validation. Every error names the argument it is about.

Checks only look at concrete values: under ``jax.jit`` the values are tracers and
cannot be inspected, so the checks pass silently there (the caller is responsible).
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np


def is_concrete(value: Any) -> bool:
    """True when ``value`` holds data that can be inspected (no tracer inside)."""
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(value))


def _concrete_leaves(value: Any):
    for leaf in jax.tree.leaves(value):
        if not isinstance(leaf, jax.core.Tracer):
            yield np.asarray(leaf)


def _numeric_leaves(value: Any, name: str):
    """The concrete leaves of ``value`` as numpy arrays, for comparisons; ``TypeError``
    naming ``name`` for a leaf that is not a number (a string, a function, ...)."""
    for leaf in jax.tree.leaves(value):
        if isinstance(leaf, jax.core.Tracer):
            continue
        try:
            array = np.asarray(leaf)
        except (TypeError, ValueError):
            array = np.asarray(None)
        if not (np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)):
            raise TypeError(f"{name} must be a number or an array of numbers, got {leaf!r}.")
        yield array


def check_finite(value: Any, name: str) -> None:
    """Raise ``ValueError`` if any concrete leaf of ``value`` holds NaN or inf."""
    for leaf in _concrete_leaves(value):
        if np.issubdtype(leaf.dtype, np.inexact) and not np.all(np.isfinite(leaf)):
            raise ValueError(f"{name} must be finite; it contains NaN or inf.")


def check_nonnegative(value: Any, name: str) -> None:
    """Raise ``ValueError`` unless every concrete leaf of ``value`` is ``>= 0`` (NaN fails).

    A leaf that is not a number raises ``TypeError`` naming ``name`` (also below).
    """
    for leaf in _numeric_leaves(value, name):
        if not np.all(leaf >= 0):
            raise ValueError(f"{name} must be non-negative, got {describe(leaf)}.")


def check_positive(value: Any, name: str) -> None:
    """Raise ``ValueError`` unless every concrete leaf of ``value`` is ``> 0``."""
    for leaf in _numeric_leaves(value, name):
        if not np.all(leaf > 0):
            raise ValueError(f"{name} must be positive, got {describe(leaf)}.")


def check_interval(
    value: Any,
    name: str,
    low: float,
    high: float,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> None:
    """Raise ``ValueError`` unless every concrete leaf of ``value`` lies in the interval."""
    for leaf in _numeric_leaves(value, name):
        above = leaf >= low if low_inclusive else leaf > low
        below = leaf <= high if high_inclusive else leaf < high
        if not np.all(above & below):
            left = "[" if low_inclusive else "("
            right = "]" if high_inclusive else ")"
            raise ValueError(
                f"{name} must lie in {left}{low}, {high}{right}, got {describe(leaf)}."
            )


def broadcast_to_tree(value: Any, tree: Any, name: str) -> Any:
    """Return ``value`` as a pytree with the structure of ``tree``.

    ``value`` is either a scalar (Python number or 0-d array), copied to every leaf, or
    a pytree with exactly the structure of ``tree`` (per-leaf / per-coordinate values).
    When ``tree`` is a single array, ``value`` may be an array broadcastable to it.

    Raises:
      ValueError: naming ``name`` when ``value`` is neither.
    """
    tree_def = jax.tree.structure(tree)
    value_def = jax.tree.structure(value)
    is_leaf = value_def.num_leaves == 1 and value_def.num_nodes == 1
    if is_leaf and np.ndim(value) == 0:
        return jax.tree.unflatten(tree_def, [value] * tree_def.num_leaves)
    if value_def == tree_def:
        return value
    if is_leaf and tree_def.num_leaves == 1 and tree_def.num_nodes == 1:
        return value
    raise ValueError(
        f"{name} must be a scalar or a pytree with the structure of the parameters "
        f"({tree_def}); got {value_def}."
    )


def describe(leaf: np.ndarray) -> str:
    """A short description of a value for an error message (itself, or its range)."""
    if leaf.ndim == 0:
        return repr(leaf.item())
    if leaf.size == 0:
        return f"an empty array of shape {leaf.shape}"
    return f"an array with min {np.min(leaf).item()!r} and max {np.max(leaf).item()!r}"

