r"""Penalty values $g(\text{tree})$, with the names and strengths of ``jreg.prox``.

Every penalty is a sum over the leaves of ``tree``,
$g(\text{tree}) = \sum_{\text{leaves}} g(\text{leaf})$, and
``jreg.prox.<name>(tree, ..., scaling)`` is its proximal operator
$\operatorname{argmin}_y \tfrac12\|x - y\|^2 + s\,g(y)$.
Strengths are scalars or pytrees with the structure of ``tree`` whose leaves broadcast
against the matching leaf (per-coordinate weights); the norms (``l2_norm``,
``linf_norm``, ``nuclear_norm``, ``total_variation_1d``) take one strength per leaf.

The values are differentiable with `jax.grad`; at the kinks of $|t|$ and
of the norms the derivative is the minimum-norm subgradient (``sign(0) = 0``, as in
TensorFlow and Keras), so the gradient of ``l1`` at a zero weight is zero.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jreg._checks import check_interval, check_nonnegative, check_positive
from jreg._groups import group_norms, group_sums, resolve_groups
from jreg._trees import cast, check_axes, leaves_like, map_sum, per_leaf, safe_norm


@jax.custom_jvp
def _abs(x: jax.Array) -> jax.Array:
    """``|x|`` whose derivative at 0 is 0 (``sign(x)``), as in TensorFlow."""
    return jnp.abs(x)


@_abs.defjvp
def _abs_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return jnp.abs(x), jnp.sign(x) * t


@jax.custom_jvp
def _nuclear(x: jax.Array) -> jax.Array:
    """Sum of the singular values of each matrix (last two axes) of ``x``.

    Its derivative is ``U_r V_rᵀ`` over the non-zero singular values only, the
    minimum-norm subgradient (JAX's SVD derivative would add arbitrary singular vectors
    of the zero singular values of a rank-deficient matrix).
    """
    return jnp.sum(jnp.linalg.svd(x, compute_uv=False), axis=-1)


@_nuclear.defjvp
def _nuclear_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    u, singular_values, vh = jnp.linalg.svd(x, full_matrices=False)
    # σ_i' = u_iᵀ dX v_i, kept only where σ_i > 0
    projected = jnp.einsum("...ji,...jk,...ik->...i", u, x_dot, vh)
    return (
        jnp.sum(singular_values, axis=-1),
        jnp.sum(jnp.where(singular_values > 0, projected, 0), axis=-1),
    )


def _sign_constraint(value: jax.Array, x: jax.Array, positive: bool) -> jax.Array:
    """``value`` plus the indicator of ``x >= 0`` when ``positive``."""
    if not positive:
        return value
    return jnp.where(jnp.all(x >= 0), value, jnp.inf)


def _weighted_sum(weight: jax.Array, values: jax.Array) -> jax.Array:
    """``Σ weight·values``; a scalar weight multiplies the sum (one pass, no broadcast)."""
    if jnp.ndim(weight) == 0:
        return weight * jnp.sum(values)
    return jnp.sum(weight * values)


def l1(tree: Any, strength: Any, *, positive: bool = False) -> jax.Array:
    r"""L1 penalty.

    $$
    g(x) = \sum_i \lambda_i |x_i| \;\bigl(+\,\iota_{\{x \ge 0\}}(x)
    \text{ if positive}\bigr),
    $$

    with $\lambda$ = ``strength`` (no $\tfrac12$; the sum runs over every
    coordinate of every leaf). Its prox is `jreg.prox.l1`.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the matching leaf (per-coordinate weights).
      positive: add the indicator of the non-negative orthant (``inf`` if any
        coordinate is negative).

    Returns:
      A scalar array.

    Raises:
      ValueError: if a concrete ``strength`` is negative or does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> float(penalties.l1({"w": jnp.array([1.0, -2.0]), "b": jnp.array(3.0)}, 0.5))
      3.0
    """
    check_nonnegative(strength, "strength")
    strengths = per_leaf(strength, tree, "strength")

    def leaf_value(x, lam):
        return _sign_constraint(_weighted_sum(cast(lam, x), _abs(x)), x, positive)

    return map_sum(leaf_value, tree, strengths)


def squared_l2(tree: Any, strength: Any, *, positive: bool = False) -> jax.Array:
    r"""Half the squared L2 norm (ridge / weight decay).

    $$
    g(x) = \tfrac{1}{2} \sum_i \lambda_i x_i^2 \;\bigl(+\,\iota_{\{x \ge 0\}}(x)
    \text{ if positive}\bigr),
    $$

    with $\lambda$ = ``strength``. Note the $\tfrac12$: the Keras penalty
    ``L2(l2)`` = ``l2·Σw²`` is ``squared_l2(tree, 2 * l2)``. Its prox is
    `jreg.prox.squared_l2`.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the matching leaf.
      positive: add the indicator of the non-negative orthant.

    Returns:
      A scalar array.

    Raises:
      ValueError: if a concrete ``strength`` is negative or does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> float(penalties.squared_l2(jnp.array([3.0, 4.0]), 2.0))
      25.0
    """
    check_nonnegative(strength, "strength")
    strengths = per_leaf(strength, tree, "strength")

    def leaf_value(x, lam):
        return _sign_constraint(0.5 * _weighted_sum(cast(lam, x), x * x), x, positive)

    return map_sum(leaf_value, tree, strengths)


def elastic_net(tree: Any, strength: Any, l1_ratio: Any, *, positive: bool = False) -> jax.Array:
    r"""Elastic-net penalty (scikit-learn's parametrisation).

    $$
    g(x) = \sum_i \lambda_i \bigl(\rho_i |x_i| + \tfrac{1}{2}(1 - \rho_i) x_i^2\bigr)
    \;\bigl(+\,\iota_{\{x \ge 0\}}(x) \text{ if positive}\bigr),
    $$

    with $\lambda$ = ``strength`` (scikit-learn's ``alpha``) and $\rho$ =
    ``l1_ratio`` (1 is pure L1, 0 is `squared_l2`). Its prox is
    `jreg.prox.elastic_net`.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the matching leaf.
      l1_ratio: $\rho \in [0, 1]$, a scalar or a pytree like ``strength``.
      positive: add the indicator of the non-negative orthant.

    Returns:
      A scalar array.

    Raises:
      ValueError: if a concrete ``strength`` is negative, ``l1_ratio`` lies outside
        [0, 1], or one of them does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> float(penalties.elastic_net(jnp.array([2.0, -2.0]), 1.0, 0.5))
      4.0
    """
    check_nonnegative(strength, "strength")
    check_interval(l1_ratio, "l1_ratio", 0.0, 1.0)
    strengths = per_leaf(strength, tree, "strength")
    ratios = per_leaf(l1_ratio, tree, "l1_ratio")

    def leaf_value(x, lam, rho):
        lam, rho = cast(lam, x), cast(rho, x)
        value = jnp.sum(lam * (rho * _abs(x) + 0.5 * (1 - rho) * x * x))
        return _sign_constraint(value, x, positive)

    return map_sum(leaf_value, tree, strengths, ratios)


def l2_norm(tree: Any, strength: Any) -> jax.Array:
    r"""Euclidean norm of each leaf (not squared).

    $$
    g(x) = \sum_{\text{leaves } \ell} \lambda_\ell \|x_\ell\|_2,
    $$

    with $\lambda$ = ``strength``, one value per leaf (a leaf is one group; see
    `group_lasso` for groups inside a leaf). Its prox is `jreg.prox.l2_norm`
    (block soft thresholding).

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree of scalars matching
        ``tree``.

    Returns:
      A scalar array.

    Raises:
      ValueError: if a concrete ``strength`` is negative or does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> float(penalties.l2_norm({"a": jnp.array([3.0, 4.0]), "b": jnp.ones(4)}, 2.0))
      14.0
    """
    check_nonnegative(strength, "strength")
    strengths = per_leaf(strength, tree, "strength", scalar=True)
    return map_sum(lambda x, lam: cast(lam, x) * safe_norm(jnp.sum(x * x)), tree, strengths)


def group_lasso(
    tree: Any, strength: Any, *, groups: Any = None, num_groups: int | None = None
) -> jax.Array:
    r"""Group lasso: the sum of the (unsquared) Euclidean norms of groups of coordinates.

    $$
    g(x) = \sum_g \lambda_g \|x_g\|_2,
    $$

    with $\lambda$ = ``strength`` and $x_g$ the coordinates of group
    $g$ (no $\sqrt{|g|}$ factor: put it in ``strength`` if wanted). Groups
    never span leaves; with ``groups=None`` each leaf is one group (`l2_norm`).
    Its prox is `jreg.prox.group_lasso`, with the same ``groups`` and
    ``num_groups``.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$: a scalar, or a pytree matching ``tree`` whose
        leaves are scalars or 1-D arrays with one strength per group of that leaf.
      groups: ``None``, or integer group ids in ``[0, num_groups)``: an array when
        ``tree`` is a single array, otherwise a pytree of arrays with the structure of
        ``tree``; each broadcasts against its leaf (ids of shape ``(n_columns,)`` group
        a matrix by columns).
      num_groups: the number of groups of every leaf (a static int); by default the
        length of a per-group ``strength``, else ``max(id) + 1`` of concrete ids.

    Returns:
      A scalar array.

    Raises:
      ValueError: if a concrete ``strength`` is negative or does not match ``tree``, or
        ``groups`` / ``num_groups`` are invalid (as `jreg.prox.group_lasso`).

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> x = jnp.array([3.0, 4.0, 0.0, 2.0])
      >>> float(penalties.group_lasso(x, 1.0, groups=jnp.array([0, 0, 1, 1])))
      7.0
      >>> float(penalties.group_lasso(x, jnp.array([1.0, 0.5]), groups=jnp.array([0, 0, 1, 1])))
      6.0
    """
    check_nonnegative(strength, "strength")
    if groups is None:
        return l2_norm(tree, strength)
    strengths = leaves_like(strength, tree, "strength")
    ids, counts = resolve_groups(tree, groups, num_groups, {"strength": strengths})

    def leaf_value(x, lam, leaf_ids, count):
        lam = jnp.broadcast_to(cast(lam, x), (count,))
        return jnp.sum(lam * group_norms(x, leaf_ids, count))

    return map_sum(leaf_value, tree, strengths, ids, counts)


def sparse_group_lasso(
    tree: Any,
    strength: Any,
    l1_ratio: Any,
    *,
    groups: Any = None,
    num_groups: int | None = None,
) -> jax.Array:
    r"""Sparse group lasso: a mix of the L1 norm and the group lasso.

    $$
    g(x) = \sum_g \lambda_g\bigl(\rho_g \|x_g\|_1 + (1 - \rho_g)\|x_g\|_2\bigr),
    $$

    with $\lambda$ = ``strength`` and $\rho$ = ``l1_ratio`` (1 is the
    lasso, 0 the group lasso); no $\tfrac12$ anywhere. Its prox is
    `jreg.prox.sparse_group_lasso`.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, as in `group_lasso` (per leaf or per
        group).
      l1_ratio: $\rho \in [0, 1]$, like ``strength``.
      groups: as in `group_lasso` (``None``: each leaf is one group).
      num_groups: as in `group_lasso`.

    Returns:
      A scalar array.

    Raises:
      ValueError: as `group_lasso`, and if ``l1_ratio`` lies outside [0, 1].

    References:
      Simon, N., Friedman, J., Hastie, T. and Tibshirani, R. (2013). A sparse-group
      lasso. Journal of Computational and Graphical Statistics, 22(2), 231-245.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> x = jnp.array([3.0, -4.0, 0.0, 2.0])
      >>> float(penalties.sparse_group_lasso(x, 2.0, 0.5, groups=jnp.array([0, 0, 1, 1])))
      16.0
    """
    check_nonnegative(strength, "strength")
    check_interval(l1_ratio, "l1_ratio", 0.0, 1.0)
    if groups is None:
        strengths = per_leaf(strength, tree, "strength", scalar=True)
        ratios = per_leaf(l1_ratio, tree, "l1_ratio", scalar=True)

        def whole_leaf(x, lam, rho):
            lam, rho = cast(lam, x), cast(rho, x)
            return lam * (rho * jnp.sum(_abs(x)) + (1 - rho) * safe_norm(jnp.sum(x * x)))

        return map_sum(whole_leaf, tree, strengths, ratios)

    strengths = leaves_like(strength, tree, "strength")
    ratios = leaves_like(l1_ratio, tree, "l1_ratio")
    ids, counts = resolve_groups(
        tree, groups, num_groups, {"strength": strengths, "l1_ratio": ratios}
    )

    def leaf_value(x, lam, rho, leaf_ids, count):
        lam = jnp.broadcast_to(cast(lam, x), (count,))
        rho = jnp.broadcast_to(cast(rho, x), (count,))
        l1_norms = group_sums(_abs(x), leaf_ids, count)
        return jnp.sum(lam * (rho * l1_norms + (1 - rho) * group_norms(x, leaf_ids, count)))

    return map_sum(leaf_value, tree, strengths, ratios, ids, counts)


def linf_norm(tree: Any, strength: Any) -> jax.Array:
    r"""Maximum absolute value of each leaf.

    $$
    g(x) = \sum_{\text{leaves } \ell} \lambda_\ell \|x_\ell\|_\infty
    = \sum_\ell \lambda_\ell \max_i |x_{\ell,i}|,
    $$

    with $\lambda$ = ``strength``, one value per leaf (an empty leaf counts 0).
    Its prox is `jreg.prox.linf_norm`.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree of scalars matching
        ``tree``.

    Returns:
      A scalar array.

    Raises:
      ValueError: if a concrete ``strength`` is negative or does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> float(penalties.linf_norm(jnp.array([1.0, -3.0, 2.0]), 0.5))
      1.5
    """
    check_nonnegative(strength, "strength")
    strengths = per_leaf(strength, tree, "strength", scalar=True)

    def leaf_value(x, lam):
        return cast(lam, x) * jnp.max(_abs(x), initial=0)

    return map_sum(leaf_value, tree, strengths)


def nuclear_norm(tree: Any, strength: Any) -> jax.Array:
    r"""Nuclear (trace) norm of each matrix leaf: the sum of its singular values.

    $$
    g(X) = \sum_{\text{leaves } \ell} \lambda_\ell \|X_\ell\|_*
    = \sum_\ell \lambda_\ell \sum_k \sigma_k(X_\ell),
    $$

    with $\lambda$ = ``strength``. The matrices are the last two axes of a leaf;
    leading axes are a batch of matrices whose (weighted) norms are summed.
    Its prox is `jreg.prox.nuclear_norm` (singular value soft thresholding). Its
    derivative is $\lambda U_r V_r^\top$ over the non-zero singular values (the
    minimum-norm subgradient; 0 at a zero matrix).

    Args:
      tree: pytree of arrays with at least two dimensions.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the batch shape ``leaf.shape[:-2]`` (one strength per
        matrix).

    Returns:
      A scalar array.

    Raises:
      ValueError: if a concrete ``strength`` is negative or does not match ``tree``, or
        a leaf of ``tree`` has fewer than two dimensions.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> round(float(penalties.nuclear_norm(jnp.array([[3.0, 0.0], [0.0, -4.0]]), 1.0)), 4)
      7.0
    """
    check_axes(tree, 2, "matrices for the nuclear norm")
    check_nonnegative(strength, "strength")
    strengths = per_leaf(strength, tree, "strength", batch_axes=2)

    def leaf_value(x, lam):
        return jnp.sum(cast(lam, x) * _nuclear(x))

    return map_sum(leaf_value, tree, strengths)


def total_variation_1d(tree: Any, strength: Any) -> jax.Array:
    r"""Anisotropic 1-D total variation along the last axis of each leaf.

    $$
    g(x) = \sum_{\text{leaves } \ell} \lambda_\ell \sum_i |x_{\ell,i+1} - x_{\ell,i}|,
    $$

    with $\lambda$ = ``strength``; the differences are taken along the last axis
    and summed over any leading axes (a batch of signals, one strength each). Its prox is
    `jreg.prox.total_variation_1d`.

    Args:
      tree: pytree of arrays with at least one dimension.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the batch shape ``leaf.shape[:-1]`` (one strength per
        signal).

    Returns:
      A scalar array.

    Raises:
      ValueError: if a concrete ``strength`` is negative or does not match ``tree``, or
        a leaf is a scalar.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> float(penalties.total_variation_1d(jnp.array([0.0, 2.0, 2.0, -1.0]), 0.5))
      2.5
    """
    check_axes(tree, 1, "signals for the 1-D total variation")
    check_nonnegative(strength, "strength")
    strengths = per_leaf(strength, tree, "strength", batch_axes=1)

    def leaf_value(x, lam):
        variation = jnp.sum(_abs(jnp.diff(x, axis=-1)), axis=-1)
        return jnp.sum(cast(lam, x) * variation)

    return map_sum(leaf_value, tree, strengths)


def mcp(tree: Any, strength: Any, gamma: Any, *, positive: bool = False) -> jax.Array:
    r"""Minimax concave penalty (Zhang, 2010).

    $$
    g(x) = \sum_i p_{\lambda_i,\gamma_i}(x_i), \qquad
    p_{\lambda,\gamma}(t) = \begin{cases}
      \lambda |t| - \dfrac{t^2}{2\gamma} & |t| \le \gamma\lambda, \\[4pt]
      \tfrac{1}{2}\gamma\lambda^2 & |t| > \gamma\lambda,
    \end{cases}
    $$

    ($+\,\iota_{\{x \ge 0\}}$ if ``positive``) with $\lambda$ =
    ``strength`` and $\gamma$ = ``gamma``. Non-convex; its prox (firm
    thresholding) is `jreg.prox.mcp`.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the matching leaf.
      gamma: $\gamma > 0$, a scalar or a pytree like ``strength``.
      positive: add the indicator of the non-negative orthant.

    Returns:
      A scalar array.

    Raises:
      ValueError: if a concrete ``strength`` is negative, ``gamma`` is not positive, or
        one of them does not match ``tree``.

    References:
      Zhang, C.-H. (2010). Nearly unbiased variable selection under minimax concave
      penalty. The Annals of Statistics, 38(2), 894-942.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> round(float(penalties.mcp(jnp.array([1.0, 5.0]), 1.0, 3.0)), 4)
      2.3333
    """
    check_nonnegative(strength, "strength")
    check_positive(gamma, "gamma")
    strengths = per_leaf(strength, tree, "strength")
    gammas = per_leaf(gamma, tree, "gamma")

    def leaf_value(x, lam, g):
        lam, g = cast(lam, x), cast(g, x)
        magnitude = _abs(x)
        inner = lam * magnitude - x * x / (2 * g)
        outer = 0.5 * g * lam * lam
        value = jnp.sum(jnp.where(magnitude <= g * lam, inner, outer))
        return _sign_constraint(value, x, positive)

    return map_sum(leaf_value, tree, strengths, gammas)


def scad(tree: Any, strength: Any, gamma: Any, *, positive: bool = False) -> jax.Array:
    r"""Smoothly clipped absolute deviation penalty (Fan & Li, 2001).

    $$
    g(x) = \sum_i p_{\lambda_i,\gamma_i}(x_i), \qquad
    p_{\lambda,\gamma}(t) = \begin{cases}
      \lambda |t| & |t| \le \lambda, \\[4pt]
      \dfrac{2\gamma\lambda|t| - t^2 - \lambda^2}{2(\gamma - 1)}
        & \lambda < |t| \le \gamma\lambda, \\[4pt]
      \tfrac{1}{2}(\gamma + 1)\lambda^2 & |t| > \gamma\lambda,
    \end{cases}
    $$

    ($+\,\iota_{\{x \ge 0\}}$ if ``positive``) with $\lambda$ =
    ``strength`` and $\gamma$ = ``gamma`` (Fan & Li's $a$, 3.7 in their
    paper). Non-convex; its prox is `jreg.prox.scad`.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the matching leaf.
      gamma: $\gamma > 1$, a scalar or a pytree like ``strength``.
      positive: add the indicator of the non-negative orthant.

    Returns:
      A scalar array.

    Raises:
      ValueError: if a concrete ``strength`` is negative, ``gamma`` is not greater than
        1, or one of them does not match ``tree``.

    References:
      Fan, J. and Li, R. (2001). Variable selection via nonconcave penalized likelihood
      and its oracle properties. Journal of the American Statistical Association,
      96(456), 1348-1360.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import penalties
      >>> float(penalties.scad(jnp.array([0.5, 2.0, 10.0]), 1.0, 3.0))
      4.25
    """
    check_nonnegative(strength, "strength")
    check_interval(gamma, "gamma", 1.0, float("inf"), low_inclusive=False)
    strengths = per_leaf(strength, tree, "strength")
    gammas = per_leaf(gamma, tree, "gamma")

    def leaf_value(x, lam, g):
        lam, g = cast(lam, x), cast(g, x)
        magnitude = _abs(x)
        linear = lam * magnitude
        quadratic = (2 * g * lam * magnitude - x * x - lam * lam) / (2 * (g - 1))
        flat = 0.5 * (g + 1) * lam * lam
        value = jnp.where(
            magnitude <= lam, linear, jnp.where(magnitude <= g * lam, quadratic, flat)
        )
        return _sign_constraint(jnp.sum(value), x, positive)

    return map_sum(leaf_value, tree, strengths, gammas)
