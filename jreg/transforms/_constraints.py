r"""Keras weight constraints as Optax transforms (projections after the update).

Keras applies a layer's ``kernel_constraint`` to the weights after each optimizer
step. These transforms do the same inside an optax chain, as its last element: with
$w$ the parameters and $u$ the incoming update they return
$C(w + u) - w$, so that ``optax.apply_updates`` lands on $C(w + u)$.

Norms are taken over ``axis`` (Keras' default ``axis=0``: for a ``Dense`` kernel of
shape ``(inputs, outputs)`` each output unit's incoming weight vector). Keras divides by
``epsilon + norm`` with ``epsilon = 1e-7``, which leaves the result short of the target
norm by a relative ``1e-7 / norm``; here the division is by the norm itself, so the
constrained weights have the target norm up to rounding, and a column of zeros (whose
direction is undefined) stays zero, as in Keras.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jreg import prox as _prox
from jreg._checks import check_interval, is_concrete
from jreg._trees import safe_norm
from jreg.transforms._common import (
    check_hyperparameter,
    landing_update,
    masked,
    require_params,
    resolve,
    zero_count,
)


class ConstraintState(NamedTuple):
    """State of the constraint transforms: the number of updates so far."""

    count: jax.Array


def _axes(axis: Any) -> tuple[int, ...]:
    if isinstance(axis, int) and not isinstance(axis, bool):
        return (axis,)
    if (
        isinstance(axis, Sequence)
        and axis
        and all(isinstance(a, int) and not isinstance(a, bool) for a in axis)
    ):
        return tuple(axis)
    raise TypeError(f"axis must be an int or a non-empty sequence of ints, got {axis!r}.")


def _squared_norms(w: jax.Array, axes: tuple[int, ...]) -> jax.Array:
    for a in axes:
        if not -w.ndim <= a < w.ndim:
            raise ValueError(
                f"axis {a} is out of range for a parameter of shape {w.shape}; mask out "
                "the parameters the constraint does not apply to (for example biases)."
            )
    return jnp.sum(w * w, axis=axes, keepdims=True)


def _inverse_norm(squared: jax.Array, where: jax.Array) -> jax.Array:
    """``1/sqrt(squared)`` where ``where`` holds (there ``squared > 0``), else 1; finite
    gradients everywhere (the masked entries never reach ``rsqrt``)."""
    return jax.lax.rsqrt(jnp.where(where, squared, 1))


# The cost matters: these transforms run on every step after the optimizer. Each leaf
# costs one reduction over ``w + u`` (the squared norms) and one element-wise pass
# ``(w + u) * factor - w``; the per-vector factor is a single expression of the squared
# norms (one rsqrt, no sqrt-then-divide, no separate NaN guards), in the dtype of the
# leaf, so XLA fuses it into the element-wise pass instead of launching extra kernels.


def _constraint(project, hyperparameters: dict[str, Any], mask: Any):
    """A transform returning ``project(w + u, **hyperparameters at count) - w``."""

    def init_fn(params: Any) -> ConstraintState:
        del params
        return ConstraintState(count=zero_count())

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        require_params(params)
        values = {name: resolve(v, state.count) for name, v in hyperparameters.items()}
        new_updates = landing_update(lambda target: project(target, **values), updates, params)
        return new_updates, ConstraintState(count=optax.safe_increment(state.count))

    return masked(optax.GradientTransformationExtraArgs(init_fn, update_fn), mask)


def _norm_constraint(factor, hyperparameters: dict[str, Any], axis: Any, mask: Any):
    """Multiply each weight vector (norm over ``axis``) by ``factor(squared, **values)``,
    with ``squared`` its squared norm and the values cast to the leaf's dtype."""
    axes = _axes(axis)

    def project(tree, **values):
        def leaf(w):
            squared = _squared_norms(w, axes)
            cast = {k: jnp.asarray(v, squared.dtype) for k, v in values.items()}
            return w * factor(squared, **cast).astype(w.dtype)

        return jax.tree.map(leaf, tree)

    return _constraint(project, hyperparameters, mask)


def max_norm(
    max_value: Any = 2.0, *, axis: Any = 0, mask: Any = None
) -> optax.GradientTransformationExtraArgs:
    r"""Keras' ``MaxNorm``: rescale each weight vector whose norm exceeds ``max_value``.

    $$
    C(w) = w \cdot \frac{\min(\|w\|_{\text{axis}}, c)}{\|w\|_{\text{axis}}},
    $$

    with $c$ = ``max_value`` and the Euclidean norm taken over ``axis`` (kept for
    broadcasting). This is the projection onto $\{\|w\|_{\text{axis}} \le c\}$.

    Args:
      max_value: $c \ge 0$, a scalar or an optax schedule.
      axis: the axis (int) or axes (sequence of ints) of the norm; Keras' ``0``.
      mask: optax mask selecting the constrained leaves (mask out biases).

    Returns:
      An ``optax.GradientTransformationExtraArgs`` (last in a chain) with a
      `ConstraintState`.

    Raises:
      ValueError: if a concrete ``max_value`` is negative, ``axis`` is out of range for
        a leaf, or ``update`` is called without ``params``.
      TypeError: if ``axis`` is not an int or a sequence of ints.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> from jreg.transforms import max_norm
      >>> kernel = jnp.array([[3.0, 0.3], [4.0, 0.4]])
      >>> tx = max_norm(1.0)
      >>> updates, _ = tx.update(jnp.zeros_like(kernel), tx.init(kernel), kernel)
      >>> print(optax.apply_updates(kernel, updates))
      [[0.6 0.3]
       [0.8 0.4]]
    """
    check_hyperparameter(max_value, "max_value")

    def factor(squared, max_value):  # c / ||w|| where ||w|| > c, else 1
        above = squared > max_value * max_value
        return jnp.where(above, max_value * _inverse_norm(squared, above), 1)

    return _norm_constraint(factor, {"max_value": max_value}, axis, mask)


def unit_norm(*, axis: Any = 0, mask: Any = None) -> optax.GradientTransformationExtraArgs:
    r"""Keras' ``UnitNorm``: rescale each weight vector to norm 1.

    $$
    C(w) = \frac{w}{\|w\|_{\text{axis}}},
    $$

    with the Euclidean norm over ``axis``; a vector of zeros stays zero.

    Args:
      axis: the axis (int) or axes (sequence of ints) of the norm; Keras' ``0``.
      mask: optax mask selecting the constrained leaves.

    Returns:
      An ``optax.GradientTransformationExtraArgs`` (last in a chain) with a
      `ConstraintState`.

    Raises:
      ValueError: if ``axis`` is out of range for a leaf, or ``update`` is called
        without ``params``.
      TypeError: if ``axis`` is not an int or a sequence of ints.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> from jreg.transforms import unit_norm
      >>> kernel = jnp.array([[3.0, 0.0], [4.0, 2.0]])
      >>> tx = unit_norm()
      >>> updates, _ = tx.update(jnp.zeros_like(kernel), tx.init(kernel), kernel)
      >>> print(optax.apply_updates(kernel, updates))
      [[0.6 0. ]
       [0.8 1. ]]
    """

    def factor(squared):  # 1 / ||w||, 1 for a zero vector
        positive = squared > 0
        return jnp.where(positive, _inverse_norm(squared, positive), 1)

    return _norm_constraint(factor, {}, axis, mask)


def non_neg(*, mask: Any = None) -> optax.GradientTransformationExtraArgs:
    r"""Keras' ``NonNeg``: clip the weights at zero, $C(w) = \max(w, 0)$.

    The projection `jreg.prox.projection_non_negative` applied after the update
    (compare ``optax.keep_params_nonnegative``, which zeroes the update instead).

    Args:
      mask: optax mask selecting the constrained leaves.

    Returns:
      An ``optax.GradientTransformationExtraArgs`` (last in a chain) with a
      `ConstraintState`.

    Raises:
      ValueError: if ``update`` is called without ``params``.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> from jreg.transforms import non_neg
      >>> params = jnp.array([1.0, 0.5])
      >>> tx = non_neg()
      >>> updates, _ = tx.update(jnp.array([-2.0, 0.25]), tx.init(params), params)
      >>> print(optax.apply_updates(params, updates))
      [0.   0.75]
    """
    return _constraint(_prox.projection_non_negative, {}, mask)


def min_max_norm(
    min_value: Any = 0.0,
    max_value: Any = 1.0,
    *,
    rate: Any = 1.0,
    axis: Any = 0,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Keras' ``MinMaxNorm``: move each weight vector's norm into ``[min, max]``.

    $$
    C(w) = w \cdot \frac{r \operatorname{clip}(\|w\|, a, b) + (1 - r)\|w\|}{\|w\|},
    $$

    with $a$ = ``min_value``, $b$ = ``max_value``, $r$ = ``rate``
    (1 enforces the bounds exactly; smaller rates move part of the way at each step)
    and the Euclidean norm over ``axis``. A vector of zeros stays zero.

    Args:
      min_value: $a \ge 0$, a scalar or an optax schedule.
      max_value: $b \ge a$, a scalar or an optax schedule.
      rate: $r \in [0, 1]$, a scalar or an optax schedule.
      axis: the axis (int) or axes (sequence of ints) of the norm; Keras' ``0``.
      mask: optax mask selecting the constrained leaves.

    Returns:
      An ``optax.GradientTransformationExtraArgs`` (last in a chain) with a
      `ConstraintState`.

    Raises:
      ValueError: if a concrete bound is negative, ``min_value > max_value``, ``rate``
        lies outside [0, 1], ``axis`` is out of range for a leaf, or ``update`` is
        called without ``params``.
      TypeError: if ``axis`` is not an int or a sequence of ints.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> from jreg.transforms import min_max_norm
      >>> kernel = jnp.array([[0.3, 3.0], [0.4, 4.0]])
      >>> tx = min_max_norm(1.0, 2.0)
      >>> updates, _ = tx.update(jnp.zeros_like(kernel), tx.init(kernel), kernel)
      >>> print(optax.apply_updates(kernel, updates))
      [[0.6 1.2]
       [0.8 1.6]]
    """
    check_hyperparameter(min_value, "min_value")
    check_hyperparameter(max_value, "max_value")
    if not callable(rate):
        check_interval(rate, "rate", 0.0, 1.0)
    if (
        not callable(min_value)
        and not callable(max_value)
        and is_concrete((min_value, max_value))
        and min_value > max_value
    ):
        raise ValueError(f"min_value must not exceed max_value, got {min_value!r} > {max_value!r}.")

    def factor(squared, min_value, max_value, rate):
        # (r clip(n, a, b) + (1 - r) n) / n, 1 for a zero vector
        positive = squared > 0
        norms = safe_norm(squared)
        clipped = jnp.clip(norms, min_value, max_value) * _inverse_norm(squared, positive)
        return jnp.where(positive, rate * clipped + (1 - rate), 1)

    hyperparameters = {"min_value": min_value, "max_value": max_value, "rate": rate}
    return _norm_constraint(factor, hyperparameters, axis, mask)
