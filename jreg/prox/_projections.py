r"""Euclidean projections onto per-leaf constraint sets, built on ``optax.projections``.

Each function returns, leaf by leaf,

$$
\operatorname{proj}_C(x) = \operatorname*{argmin}_{y \in C}\; \tfrac{1}{2}\|x - y\|_2^2,
$$

the prox of the indicator $\iota_C$ (whatever the ``scaling``). A constraint on a
pytree is the product of the per-leaf sets: a ball or simplex applies to each leaf
separately (ravel the tree first for one constraint on all parameters).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jreg._checks import check_nonnegative, check_positive, is_concrete
from jreg._trees import as_float, like, map_leaves, per_leaf


def projection_non_negative(tree: Any) -> Any:
    r"""Projection onto the non-negative orthant.

    $$
    \operatorname*{argmin}_{y \ge 0}\; \tfrac{1}{2}\|x - y\|_2^2 = \max(x, 0).
    $$

    Args:
      tree: pytree of arrays $x$.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.projection_non_negative(jnp.array([-1.0, 2.0])))
      [0. 2.]
    """
    return map_leaves(lambda x: optax.projections.projection_non_negative(as_float(x)), tree)


def projection_box(tree: Any, lower: Any, upper: Any) -> Any:
    r"""Projection onto a box.

    $$
    \operatorname*{argmin}_{\ell \le y \le u}\; \tfrac{1}{2}\|x - y\|_2^2
    = \min(\max(x, \ell), u),
    $$

    with $\ell$ = ``lower`` and $u$ = ``upper`` (``-inf`` / ``inf`` allowed).

    Args:
      tree: pytree of arrays $x$.
      lower: a scalar or a pytree matching ``tree`` whose leaves broadcast against
        the matching leaf.
      upper: like ``lower``, with ``lower <= upper``.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if ``lower`` or ``upper`` does not match ``tree``, or a concrete
        ``lower`` exceeds ``upper``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.projection_box(jnp.array([-2.0, 0.5, 3.0]), -1.0, 1.0))
      [-1.   0.5  1. ]
    """
    lowers = per_leaf(lower, tree, "lower")
    uppers = per_leaf(upper, tree, "upper")
    for lo, up in zip(lowers, uppers, strict=True):
        if is_concrete(lo) and is_concrete(up) and np.any(np.asarray(lo) > np.asarray(up)):
            raise ValueError("lower must not exceed upper.")

    def leaf_projection(x, lo, up):
        x = as_float(x)
        return optax.projections.projection_box(x, like(lo, x), like(up, x)).astype(x.dtype)

    return map_leaves(leaf_projection, tree, lowers, uppers)


def l1_ball_leaf(x: jax.Array, radius: jax.Array) -> jax.Array:
    """Projection of one array onto the L1 ball of a positive radius.

    ``optax.projections.projection_l1_ball`` selects its branch with ``lax.cond``, whose
    branches disagree in dtype for float32 input when x64 is enabled; selecting with
    ``where`` keeps the input dtype and is as cheap for one leaf.
    """
    sphere = jnp.sign(x) * optax.projections.projection_simplex(jnp.abs(x), radius)
    return jnp.where(jnp.sum(jnp.abs(x)) <= radius, x, sphere.astype(x.dtype))


@functools.partial(jax.jit, static_argnames="projection")
def _ball_leaf(x: jax.Array, radius: jax.Array, projection) -> jax.Array:
    positive = radius > 0
    y = projection(x, jnp.where(positive, radius, 1))
    return jnp.where(positive, y, 0).astype(x.dtype)


def _ball(tree: Any, radius: Any, projection) -> Any:
    check_nonnegative(radius, "radius")
    radii = per_leaf(radius, tree, "radius", scalar=True)

    def leaf_projection(x, r):
        x = as_float(x)
        return _ball_leaf(x, jnp.asarray(r, x.dtype), projection)

    return map_leaves(leaf_projection, tree, radii)


def projection_l1_ball(tree: Any, radius: Any = 1.0) -> Any:
    r"""Projection of each leaf onto the L1 ball.

    $$
    \operatorname*{argmin}_{\|y\|_1 \le r}\; \tfrac{1}{2}\|x - y\|_2^2,
    $$

    with $r$ = ``radius``, computed exactly by sorting
    (``optax.projections.projection_simplex`` applied to $|x|$).

    Args:
      tree: pytree of arrays $x$.
      radius: $r \ge 0$, a scalar or a pytree of scalars matching ``tree``.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``radius`` is negative or does not match ``tree``.

    References:
      Duchi, J., Shalev-Shwartz, S., Singer, Y. and Chandra, T. (2008). Efficient
      projections onto the l1-ball for learning in high dimensions. ICML.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.projection_l1_ball(jnp.array([2.0, -1.0, 0.25]), 2.0))
      [ 1.5 -0.5  0. ]
    """
    return _ball(tree, radius, l1_ball_leaf)


def projection_l2_ball(tree: Any, radius: Any = 1.0) -> Any:
    r"""Projection of each leaf onto the L2 ball.

    $$
    \operatorname*{argmin}_{\|y\|_2 \le r}\; \tfrac{1}{2}\|x - y\|_2^2
    = x \min\Bigl(1, \frac{r}{\|x\|_2}\Bigr),
    $$

    with $r$ = ``radius`` (``optax.projections.projection_l2_ball``).

    Args:
      tree: pytree of arrays $x$.
      radius: $r \ge 0$, a scalar or a pytree of scalars matching ``tree``.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``radius`` is negative or does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.projection_l2_ball(jnp.array([3.0, 4.0]), 1.0))
      [0.6 0.8]
    """
    return _ball(tree, radius, optax.projections.projection_l2_ball)


def projection_linf_ball(tree: Any, radius: Any = 1.0) -> Any:
    r"""Projection of each leaf onto the L-infinity ball.

    $$
    \operatorname*{argmin}_{\|y\|_\infty \le r}\; \tfrac{1}{2}\|x - y\|_2^2
    = \min(\max(x, -r), r),
    $$

    with $r$ = ``radius`` (``optax.projections.projection_linf_ball``).

    Args:
      tree: pytree of arrays $x$.
      radius: $r \ge 0$, a scalar or a pytree of scalars matching ``tree``.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``radius`` is negative or does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.projection_linf_ball(jnp.array([3.0, -0.5, -4.0]), 1.0))
      [ 1.  -0.5 -1. ]
    """
    return _ball(tree, radius, optax.projections.projection_linf_ball)


@jax.jit
def _simplex_leaf(x: jax.Array, total: jax.Array) -> jax.Array:
    return optax.projections.projection_simplex(x, total)


def projection_simplex(tree: Any, total: Any = 1.0) -> Any:
    r"""Projection of each leaf onto the simplex of the given total.

    $$
    \operatorname*{argmin}_{y \ge 0,\ \sum_i y_i = t}\; \tfrac{1}{2}\|x - y\|_2^2,
    $$

    with $t$ = ``total``, computed exactly by sorting
    (``optax.projections.projection_simplex``). The sum runs over all the coordinates of
    a leaf.

    Args:
      tree: pytree of arrays $x$.
      total: $t > 0$, a scalar or a pytree of scalars matching ``tree``.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``total`` is not positive or does not match ``tree``.

    References:
      Duchi, J., Shalev-Shwartz, S., Singer, Y. and Chandra, T. (2008). Efficient
      projections onto the l1-ball for learning in high dimensions. ICML.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.projection_simplex(jnp.array([1.0, 0.5, -1.0])))
      [0.75 0.25 0.  ]
    """
    check_positive(total, "total")
    totals = per_leaf(total, tree, "total", scalar=True)

    def leaf_projection(x, t):
        x = as_float(x)
        return _simplex_leaf(x, jnp.asarray(t, x.dtype)).astype(x.dtype)

    return map_leaves(leaf_projection, tree, totals)

