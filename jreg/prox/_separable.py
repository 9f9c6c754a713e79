r"""Separable proximal operators: l1, squared_l2, elastic_net, mcp, scad.

Every function returns, leaf by leaf,

$$
\operatorname{prox}_{s\,g}(x) = \operatorname*{argmin}_y\;
\tfrac{1}{2}\|x - y\|_2^2 + s\,g(y),
$$

with ``s = scaling``. The penalties act coordinate by coordinate, so ``strength``,
``scaling`` (and ``l1_ratio``, ``gamma``) may be scalars or pytrees with the structure
of ``tree`` whose leaves broadcast against the matching leaf (per-coordinate weights
and step sizes, as used by preconditioned optimizers).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jreg._checks import check_interval, check_nonnegative, describe, is_concrete
from jreg._trees import as_float, leaves_like, like, map_leaves, per_leaf


def _soft_threshold(x: jax.Array, threshold: jax.Array, positive: bool) -> jax.Array:
    if positive:
        return jnp.maximum(x - threshold, 0)
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - threshold, 0)


def _prepare(tree: Any, named_values: dict[str, Any]) -> list[list[Any]]:
    """Each named value broadcast to ``tree`` (one entry per leaf), shapes checked."""
    return [per_leaf(value, tree, name) for name, value in named_values.items()]


def l1(tree: Any, strength: Any, scaling: Any = 1.0, *, positive: bool = False) -> Any:
    r"""Proximal operator of the L1 norm (soft thresholding).

    $$
    \operatorname{prox}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2 + s \sum_i \lambda_i |y_i|
    \;\bigl(+\,\iota_{\{y \ge 0\}}(y) \text{ if positive}\bigr),
    $$

    with $\lambda$ = ``strength`` and $s$ = ``scaling``, whose solution is
    $\operatorname{sign}(x_i)\max(|x_i| - s\lambda_i, 0)$
    ($\max(x_i - s\lambda_i, 0)$ when ``positive``).

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the matching leaf (per-coordinate weights).
      scaling: $s \ge 0$, a scalar or a pytree like ``strength`` (per-coordinate
        step sizes).
      positive: also constrain the solution to be non-negative.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``strength`` or ``scaling`` is negative, or has a
        structure or shape that does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.l1(jnp.array([-2.0, 0.5, 3.0]), 1.0))
      [-1.  0.  2.]
      >>> print(prox.l1({"w": jnp.array([-2.0, 3.0])}, 1.0, positive=True)["w"])
      [0. 2.]
    """
    check_nonnegative(strength, "strength")
    check_nonnegative(scaling, "scaling")
    strengths, scalings = _prepare(tree, {"strength": strength, "scaling": scaling})

    def leaf_prox(x, lam, s):
        x = as_float(x)
        lam, s = like(lam, x), like(s, x)
        return _soft_threshold(x, s * lam, positive).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, scalings)


def squared_l2(tree: Any, strength: Any, scaling: Any = 1.0, *, positive: bool = False) -> Any:
    r"""Proximal operator of half the squared L2 norm (multiplicative shrinkage).

    $$
    \operatorname{prox}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2 + s \sum_i \tfrac{1}{2}\lambda_i y_i^2
    \;\bigl(+\,\iota_{\{y \ge 0\}}(y) \text{ if positive}\bigr),
    $$

    with $\lambda$ = ``strength`` and $s$ = ``scaling``, whose solution is
    $x_i / (1 + s\lambda_i)$ ($\max(x_i, 0) / (1 + s\lambda_i)$ when
    ``positive``). Note the $\tfrac{1}{2}$: the Keras penalty ``L2(l2)`` =
    ``l2·Σw²`` has the prox ``squared_l2(tree, 2 * l2)``.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the matching leaf.
      scaling: $s \ge 0$, a scalar or a pytree like ``strength``.
      positive: also constrain the solution to be non-negative.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``strength`` or ``scaling`` is negative, or has a
        structure or shape that does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.squared_l2(jnp.array([-2.0, 0.5, 3.0]), 1.0))
      [-1.    0.25  1.5 ]
    """
    check_nonnegative(strength, "strength")
    check_nonnegative(scaling, "scaling")
    strengths, scalings = _prepare(tree, {"strength": strength, "scaling": scaling})

    def leaf_prox(x, lam, s):
        x = as_float(x)
        lam, s = like(lam, x), like(s, x)
        y = jnp.maximum(x, 0) if positive else x
        return (y / (1 + s * lam)).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, scalings)


def elastic_net(
    tree: Any,
    strength: Any,
    l1_ratio: Any,
    scaling: Any = 1.0,
    *,
    positive: bool = False,
) -> Any:
    r"""Proximal operator of the elastic-net penalty (scikit-learn's parametrisation).

    $$
    \operatorname{prox}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2 + s \sum_i \lambda_i\bigl(\rho_i |y_i|
    + \tfrac{1}{2}(1 - \rho_i) y_i^2\bigr)
    \;\bigl(+\,\iota_{\{y \ge 0\}}(y) \text{ if positive}\bigr),
    $$

    with $\lambda$ = ``strength``, $\rho$ = ``l1_ratio`` (1 is pure L1, 0 is
    pure `squared_l2`) and $s$ = ``scaling``, whose solution is
    $\operatorname{sign}(x_i)\max(|x_i| - s\lambda_i\rho_i, 0) / (1 + s\lambda_i(1 - \rho_i))$.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the matching leaf.
      l1_ratio: $\rho \in [0, 1]$, a scalar or a pytree like ``strength``.
      scaling: $s \ge 0$, a scalar or a pytree like ``strength``.
      positive: also constrain the solution to be non-negative.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``strength`` or ``scaling`` is negative, ``l1_ratio``
        lies outside [0, 1], or one of them does not match ``tree``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.elastic_net(jnp.array([-3.0, 0.5, 3.0]), 2.0, 0.5))
      [-1.  0.  1.]
    """
    check_nonnegative(strength, "strength")
    check_interval(l1_ratio, "l1_ratio", 0.0, 1.0)
    check_nonnegative(scaling, "scaling")
    strengths, ratios, scalings = _prepare(
        tree, {"strength": strength, "l1_ratio": l1_ratio, "scaling": scaling}
    )

    def leaf_prox(x, lam, rho, s):
        x = as_float(x)
        lam, rho, s = like(lam, x), like(rho, x), like(s, x)
        y = _soft_threshold(x, s * lam * rho, positive)
        return (y / (1 + s * lam * (1 - rho))).astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, ratios, scalings)


def _check_gamma(gamma: Any, scaling: Any, tree: Any, offset: float, bound: str) -> None:
    """Raise unless ``gamma > offset + scaling`` wherever both are concrete."""
    if not (is_concrete(gamma) and is_concrete(scaling)):
        return
    gammas = leaves_like(gamma, tree, "gamma")
    scalings = leaves_like(scaling, tree, "scaling")
    for g, s in zip(gammas, scalings, strict=True):
        g, s = np.asarray(g), np.asarray(s)
        if not np.all(g > offset + s):
            raise ValueError(
                f"gamma must be greater than {bound} (the prox problem is then strongly "
                f"convex and has the closed-form solution), got gamma {describe(g)} and "
                f"scaling {describe(s)}."
            )


def mcp(
    tree: Any,
    strength: Any,
    gamma: Any,
    scaling: Any = 1.0,
    *,
    positive: bool = False,
) -> Any:
    r"""Proximal operator of the minimax concave penalty (firm thresholding).

    The MCP of Zhang (2010) with $\lambda$ = ``strength`` and
    $\gamma$ = ``gamma`` is, coordinate-wise,

    $$
    p_{\lambda,\gamma}(t) = \begin{cases}
      \lambda |t| - \dfrac{t^2}{2\gamma} & |t| \le \gamma\lambda, \\[4pt]
      \tfrac{1}{2}\gamma\lambda^2 & |t| > \gamma\lambda,
    \end{cases}
    $$

    and this function returns

    $$
    \operatorname{prox}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2 + s \sum_i p_{\lambda_i,\gamma_i}(y_i)
    \;\bigl(+\,\iota_{\{y \ge 0\}}(y) \text{ if positive}\bigr),
    $$

    with $s$ = ``scaling``. The penalty is non-convex, but for
    $\gamma > s$ the objective is strongly convex and its global minimiser is the
    closed form (firm thresholding)

    $$
    y_i = \begin{cases}
      0 & |x_i| \le s\lambda, \\
      \operatorname{sign}(x_i)\,\dfrac{|x_i| - s\lambda}{1 - s/\gamma}
        & s\lambda < |x_i| \le \gamma\lambda, \\
      x_i & |x_i| > \gamma\lambda.
    \end{cases}
    $$

    With ``positive``, $x$ is first replaced by $\max(x, 0)$.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the matching leaf.
      gamma: $\gamma > s$, a scalar or a pytree like ``strength``.
      scaling: $s \ge 0$, a scalar or a pytree like ``strength``.
      positive: also constrain the solution to be non-negative.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``strength`` or ``scaling`` is negative, a concrete
        ``gamma`` is not greater than ``scaling``, or one of them does not match
        ``tree``.

    References:
      Zhang, C.-H. (2010). Nearly unbiased variable selection under minimax concave
      penalty. The Annals of Statistics, 38(2), 894-942.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.mcp(jnp.array([0.5, 2.0, 4.0]), 1.0, 3.0))
      [0.  1.5 4. ]
    """
    check_nonnegative(strength, "strength")
    check_nonnegative(scaling, "scaling")
    _check_gamma(gamma, scaling, tree, 0.0, "scaling")
    strengths, gammas, scalings = _prepare(
        tree, {"strength": strength, "gamma": gamma, "scaling": scaling}
    )

    def leaf_prox(x, lam, g, s):
        x = as_float(x)
        lam, g, s = like(lam, x), like(g, x), like(s, x)
        z = jnp.maximum(x, 0) if positive else x
        magnitude = jnp.abs(z)
        firm = jnp.maximum(magnitude - s * lam, 0) / (1 - s / g)
        y = jnp.where(magnitude <= g * lam, jnp.sign(z) * firm, z)
        return y.astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, gammas, scalings)


def scad(
    tree: Any,
    strength: Any,
    gamma: Any,
    scaling: Any = 1.0,
    *,
    positive: bool = False,
) -> Any:
    r"""Proximal operator of the smoothly clipped absolute deviation penalty.

    The SCAD of Fan & Li (2001) with $\lambda$ = ``strength`` and
    $\gamma$ = ``gamma`` (their $a$) is, coordinate-wise,

    $$
    p_{\lambda,\gamma}(t) = \begin{cases}
      \lambda |t| & |t| \le \lambda, \\[4pt]
      \dfrac{2\gamma\lambda|t| - t^2 - \lambda^2}{2(\gamma - 1)}
        & \lambda < |t| \le \gamma\lambda, \\[4pt]
      \tfrac{1}{2}(\gamma + 1)\lambda^2 & |t| > \gamma\lambda,
    \end{cases}
    $$

    and this function returns

    $$
    \operatorname{prox}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2 + s \sum_i p_{\lambda_i,\gamma_i}(y_i)
    \;\bigl(+\,\iota_{\{y \ge 0\}}(y) \text{ if positive}\bigr),
    $$

    with $s$ = ``scaling``. The penalty is non-convex, but for
    $\gamma > 1 + s$ the objective is strongly convex and its global minimiser is
    the closed form

    $$
    y_i = \begin{cases}
      \operatorname{sign}(x_i)\max(|x_i| - s\lambda, 0) & |x_i| \le (1 + s)\lambda, \\
      \dfrac{(\gamma - 1)x_i - \operatorname{sign}(x_i)\,s\gamma\lambda}
            {\gamma - 1 - s} & (1 + s)\lambda < |x_i| \le \gamma\lambda, \\
      x_i & |x_i| > \gamma\lambda.
    \end{cases}
    $$

    With ``positive``, $x$ is first replaced by $\max(x, 0)$.

    Args:
      tree: pytree of arrays $x$.
      strength: $\lambda \ge 0$, a scalar or a pytree matching ``tree`` whose
        leaves broadcast against the matching leaf.
      gamma: $\gamma > 1 + s$, a scalar or a pytree like ``strength``
        (3.7 is Fan & Li's choice).
      scaling: $s \ge 0$, a scalar or a pytree like ``strength``.
      positive: also constrain the solution to be non-negative.

    Returns:
      A pytree with the structure, shapes and dtypes of ``tree``.

    Raises:
      ValueError: if a concrete ``strength`` or ``scaling`` is negative, a concrete
        ``gamma`` is not greater than ``1 + scaling``, or one of them does not match
        ``tree``.

    References:
      Fan, J. and Li, R. (2001). Variable selection via nonconcave penalized likelihood
      and its oracle properties. Journal of the American Statistical Association,
      96(456), 1348-1360.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> print(prox.scad(jnp.array([0.5, 1.5, 3.0, 5.0]), 1.0, 4.0))
      [0.  0.5 2.5 5. ]
    """
    check_nonnegative(strength, "strength")
    check_nonnegative(scaling, "scaling")
    _check_gamma(gamma, scaling, tree, 1.0, "1 + scaling")
    strengths, gammas, scalings = _prepare(
        tree, {"strength": strength, "gamma": gamma, "scaling": scaling}
    )

    def leaf_prox(x, lam, g, s):
        x = as_float(x)
        lam, g, s = like(lam, x), like(g, x), like(s, x)
        z = jnp.maximum(x, 0) if positive else x
        magnitude = jnp.abs(z)
        sign = jnp.sign(z)
        soft = sign * jnp.maximum(magnitude - s * lam, 0)
        middle = ((g - 1) * z - sign * s * g * lam) / (g - 1 - s)
        y = jnp.where(magnitude <= (1 + s) * lam, soft, jnp.where(magnitude <= g * lam, middle, z))
        return y.astype(x.dtype)

    return map_leaves(leaf_prox, tree, strengths, gammas, scalings)
