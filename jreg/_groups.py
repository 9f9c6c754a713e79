"""Groups of coordinates inside a leaf, shared by the group-lasso penalties and proxes.

Group ids are integers per coordinate of a leaf (or broadcasting against it); the number
of groups must be static (a Python int) because it sizes the per-group arrays.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jreg._checks import is_concrete
from jreg._trees import check_broadcast, safe_norm, shrink_factor


def resolve_groups(
    tree: Any, groups: Any, num_groups: int | None, per_group: dict[str, list[Any]]
) -> tuple[list[jax.Array], list[int]]:
    """Per-leaf integer id arrays (broadcast to the leaf) and static group counts.

    ``per_group`` maps argument names to their per-leaf values, which may be scalars or
    1-D arrays with one value per group; a 1-D value gives the group count when
    ``num_groups`` is ``None``, else concrete ids give ``max(id) + 1``.

    Raises:
      ValueError: naming ``groups``, ``num_groups`` or an entry of ``per_group`` when
        the structure, dtype, shape, range or count does not fit.
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
    if num_groups is not None and (not isinstance(num_groups, (int, np.integer)) or num_groups < 1):
        raise ValueError(f"num_groups must be a positive Python int, got {num_groups!r}.")

    ids_out, counts = [], []
    for index, (leaf, ids) in enumerate(zip(leaves, jax.tree.leaves(groups), strict=True)):
        ids = ids if isinstance(ids, jax.core.Tracer) else np.asarray(ids)
        if not jnp.issubdtype(ids.dtype, jnp.integer):
            raise ValueError(f"groups must hold integer group ids, got dtype {ids.dtype}.")
        check_broadcast(ids, np.shape(leaf), "groups", "shape")
        count = num_groups
        if count is None:
            lengths = [np.shape(v[index])[0] for v in per_group.values() if np.ndim(v[index]) == 1]
            count = int(lengths[0]) if lengths else None
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


def group_sums(values: jax.Array, ids: jax.Array, count: int) -> jax.Array:
    """``Σ_{i : ids_i = g} values_i`` for each group ``g`` in ``[0, count)``."""
    return jax.ops.segment_sum(values.ravel(), ids.ravel(), num_segments=count)


def group_norms(x: jax.Array, ids: jax.Array, count: int) -> jax.Array:
    """Euclidean norm of each group ``{i : ids_i = g}`` (gradient 0 at a zero group)."""
    return safe_norm(group_sums(x * x, ids, count))


def group_shrink(x: jax.Array, ids: jax.Array, threshold: jax.Array, count: int) -> jax.Array:
    """Block soft threshold of each group by ``threshold[g]``: the prox of
    ``Σ_g threshold_g ‖x_g‖₂``."""
    return x * shrink_factor(group_sums(x * x, ids, count), threshold)[ids]
