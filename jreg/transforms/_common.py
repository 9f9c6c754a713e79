"""Helpers shared by the transforms: schedules, masks, the prox update."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from jreg._checks import check_nonnegative

try:  # optax's own message, so that callers matching it keep working
    from optax._src.base import NO_PARAMS_MSG
except ImportError:  # pragma: no cover - optax moved it
    NO_PARAMS_MSG = (
        "You are using a transformation that requires the current value of parameters, "
        "but you are not passing `params` when calling `update`."
    )


def require_params(params: Any) -> None:
    """Raise optax's ``ValueError`` when a transform that needs ``params`` gets None."""
    if params is None:
        raise ValueError(NO_PARAMS_MSG)


def check_penalty(penalty: Any) -> None:
    """Raise ``TypeError`` naming ``penalty`` unless it has ``value`` and ``prox``."""
    if not (callable(getattr(penalty, "value", None)) and callable(getattr(penalty, "prox", None))):
        raise TypeError(
            "penalty must be a penalty object with .value(tree) and .prox(tree, scaling) "
            f"(for example jreg.penalties.L1(0.01)), got {penalty!r}."
        )


def check_scalar(value: Any, name: str, *, schedule: bool = False) -> None:
    """Raise unless ``value`` is a scalar, or (with ``schedule``) a callable of the count.

    Raises:
      TypeError: naming ``name`` for ``None`` or an unexpected callable.
      ValueError: naming ``name`` for an array that is not a scalar.
    """
    what = "a scalar or an optax schedule" if schedule else "a scalar (not a schedule)"
    if callable(value) and schedule:
        return
    if value is None or callable(value):
        raise TypeError(f"{name} must be {what}, got {value!r}.")
    if jnp.ndim(value) != 0:
        raise ValueError(f"{name} must be {what}, got shape {jnp.shape(value)}.")


def check_hyperparameter(value: Any, name: str) -> None:
    """A scalar hyperparameter or schedule: concrete scalars must be non-negative."""
    check_scalar(value, name, schedule=True)
    if not callable(value):
        check_nonnegative(value, name)


def resolve(value: Any, count: jax.Array) -> Any:
    """The value of a scalar-or-schedule hyperparameter at step ``count``."""
    return value(count) if callable(value) else value


def scheduled(penalty: Any, count: jax.Array) -> Any:
    """``penalty`` with its strengths that are optax schedules evaluated at ``count``.

    A penalty object is a pytree whose leaves are its strengths; a leaf that is a
    callable (``count -> value``) is replaced by its value. A penalty that is not a
    pytree node is returned as it is.
    """
    leaves, tree_def = jax.tree.flatten(penalty)
    if not any(callable(leaf) for leaf in leaves) or leaves == [penalty]:
        return penalty
    return jax.tree.unflatten(tree_def, [v(count) if callable(v) else v for v in leaves])


def zero_count() -> jax.Array:
    """The initial ``count`` of every state (int32, as optax's)."""
    return jnp.zeros([], jnp.int32)


def landing_update(operator: Any, updates: Any, params: Any) -> Any:
    """``operator(params + updates) - params``, in the dtypes of ``updates``: the update
    after which ``optax.apply_updates`` lands on ``operator`` of the plain step."""
    new_params = operator(jax.tree.map(lambda p, u: p + u, params, updates))
    return jax.tree.map(
        lambda n, p, u: (n - p).astype(jnp.result_type(u)), new_params, params, updates
    )


def prox_update(penalty: Any, updates: Any, params: Any, scaling: Any) -> Any:
    """``prox_{scaling·g}(params + updates) - params``, in the dtypes of ``updates``."""
    return landing_update(lambda target: penalty.prox(target, scaling), updates, params)


def masked(inner: optax.GradientTransformationExtraArgs, mask: Any, **kwargs: Any):
    """``inner`` restricted by an optax ``mask`` (prefix pytree or callable), or as is."""
    if mask is None:
        return inner
    return optax.masked(inner, mask, **kwargs)
