r"""Penalties inside an Optax chain: a penalty's gradient, a proximal step, a loss wrapper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jreg.penalties import Constraint
from jreg.transforms._common import (
    check_hyperparameter,
    check_penalty,
    masked,
    prox_update,
    require_params,
    resolve,
    scheduled,
    zero_count,
)


class AddPenaltyGradientState(NamedTuple):
    """State of `add_penalty_gradient`: the number of updates so far."""

    count: jax.Array


class ProximalStepState(NamedTuple):
    """State of `proximal_step`: the number of updates so far."""

    count: jax.Array


def add_penalty_gradient(penalty: Any, mask: Any = None) -> optax.GradientTransformationExtraArgs:
    r"""Add the gradient of a penalty to the updates (Keras' ``kernel_regularizer``).

    $$
    u \leftarrow u + \nabla g(w),
    $$

    with $g$ = ``penalty.value`` and $w$ the parameters. Put it before the
    optimizer (``optax.chain(add_penalty_gradient(L2(1e-4)), optax.adam(1e-3))``): this
    is the effect of adding ``penalty(w)`` to the loss, as Keras does for a layer's
    ``kernel_regularizer``. At a kink the minimum-norm subgradient is used, as in
    TensorFlow: for `jreg.penalties.L1` the gradient is
    $\ell_1\operatorname{sign}(w)$ with ``sign(0) = 0``. It therefore never
    produces exact zeros; use `proximal_step` or a ``prox_*`` optimizer for
    sparsity.

    Args:
      penalty: a penalty object of `jreg.penalties` (not a constraint, which has
        no gradient); a strength may be an optax schedule, evaluated at the count.
      mask: optax mask: a pytree of booleans with the structure of (a prefix of) the
        parameters, or a callable returning one; ``False`` leaves are left untouched.

    Returns:
      An ``optax.GradientTransformationExtraArgs``; its state holds ``count``.

    Raises:
      TypeError: if ``penalty`` is not a penalty object.
      ValueError: if ``penalty`` is a constraint, or ``update`` is called without
        ``params``.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> from jreg.penalties import L1, L2
      >>> from jreg.transforms import add_penalty_gradient
      >>> params = {"w": jnp.array([2.0, 0.0, -1.0]), "b": jnp.array([3.0])}
      >>> tx = add_penalty_gradient(L1(0.1), mask={"w": True, "b": False})
      >>> updates, _ = tx.update(optax.tree.zeros_like(params), tx.init(params), params)
      >>> print(updates["w"], updates["b"])
      [ 0.1  0.  -0.1] [0.]
      >>> tx = add_penalty_gradient(L2(0.5))
      >>> updates, _ = tx.update(optax.tree.zeros_like(params), tx.init(params), params)
      >>> print(updates["w"])
      [ 2.  0. -1.]
    """
    check_penalty(penalty)
    if isinstance(penalty, Constraint):
        raise ValueError(
            f"penalty {penalty!r} is a constraint, which has no gradient; apply it with "
            "proximal_step (a projection) or a constraint transform instead."
        )

    def init_fn(params: Any) -> AddPenaltyGradientState:
        del params
        return AddPenaltyGradientState(count=zero_count())

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        require_params(params)
        grads = jax.grad(scheduled(penalty, state.count).value)(params)
        updates = jax.tree.map(lambda u, g: u + g.astype(jnp.result_type(u)), updates, grads)
        return updates, AddPenaltyGradientState(count=optax.safe_increment(state.count))

    return masked(optax.GradientTransformationExtraArgs(init_fn, update_fn), mask)


def proximal_step(
    penalty: Any, learning_rate: Any, mask: Any = None
) -> optax.GradientTransformationExtraArgs:
    r"""Replace the incoming step by a proximal step; the last transform of a chain.

    With $w$ the parameters, $u$ the incoming update (already scaled by
    $-\eta$, as optax optimizers return it) and $\eta$ = ``learning_rate``,
    the new update is

    $$
    \operatorname{prox}_{\eta g}(w + u) - w, \qquad
    \operatorname{prox}_{\eta g}(z) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|y - z\|_2^2 + \eta\, g(y),
    $$

    so that ``optax.apply_updates`` lands on the prox of the gradient step.
    ``optax.chain(optax.sgd(eta), proximal_step(penalty, eta))`` is the proximal
    gradient method (ISTA), which for a step $\eta \le 1/L$ ($L$ the
    Lipschitz constant of the gradient of the loss) converges to a minimiser of
    loss + $g$. Pass the same ``learning_rate`` (scalar or schedule) as the
    optimizer before it.

    After an optimizer with a *non-scalar* preconditioner (Adam, AdaGrad, RMSProp, ...)
    this chain does **not** minimise loss + $g$: a fixed point satisfies
    $0 \in D^{-1}\nabla f(w) + \partial g(w)$ with $D$ the
    preconditioner, not $0 \in \nabla f(w) + \partial g(w)$. Use
    `prox_adam` / `prox_adagrad`, whose prox is taken in the metric of
    $D$ (see ``docs/transforms.md`` for a measured example).

    Args:
      penalty: a penalty object of `jreg.penalties` (a constraint gives the
        projected gradient method); a strength may be an optax schedule, evaluated
        at the count.
      learning_rate: $\eta \ge 0$, a scalar or an optax schedule (a function of
        the step count, starting at 0).
      mask: optax mask selecting the penalised leaves (a pytree of booleans, a prefix
        of the parameters, or a callable returning one); the update of a ``False``
        leaf passes through unchanged.

    Returns:
      An ``optax.GradientTransformationExtraArgs``; its state holds ``count``.

    Raises:
      TypeError: if ``penalty`` is not a penalty object.
      ValueError: if a concrete ``learning_rate`` is negative or not a scalar, or
        ``update`` is called without ``params``.

    References:
      Beck, A. and Teboulle, M. (2009). A fast iterative shrinkage-thresholding
      algorithm for linear inverse problems. SIAM Journal on Imaging Sciences, 2(1),
      183-202.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> from jreg.penalties import L1
      >>> from jreg.transforms import proximal_step
      >>> tx = optax.chain(optax.sgd(0.5), proximal_step(L1(1.0), 0.5))
      >>> params = jnp.array([1.0, 0.2, -3.0])
      >>> grads = jnp.array([0.0, 0.0, 0.0])
      >>> updates, _ = tx.update(grads, tx.init(params), params)
      >>> print(optax.apply_updates(params, updates))
      [ 0.5  0.  -2.5]
    """
    check_penalty(penalty)
    check_hyperparameter(learning_rate, "learning_rate")

    def init_fn(params: Any) -> ProximalStepState:
        del params
        return ProximalStepState(count=zero_count())

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        require_params(params)
        step = resolve(learning_rate, state.count)
        updates = prox_update(scheduled(penalty, state.count), updates, params, step)
        return updates, ProximalStepState(count=optax.safe_increment(state.count))

    return masked(optax.GradientTransformationExtraArgs(init_fn, update_fn), mask)


def _is_callable_mask(mask: Any) -> bool:
    """optax's rule: a mask is a callable when all its leaves are callables."""
    callables = jax.tree.leaves(jax.tree.map(callable, mask))
    return bool(callables) and all(callables)


def regularized(
    loss_fn: Callable[..., Any], penalty: Any, mask: Any = None, *, has_aux: bool = False
) -> Callable[..., Any]:
    r"""Add a penalty to a loss function: ``loss(params, ...) + penalty.value(params)``.

    $$
    F(w, \ldots) = f(w, \ldots) + g(w_{\text{mask}}),
    $$

    where $g$ = ``penalty.value`` sees only the leaves selected by ``mask`` (all
    of them by default). Differentiate it with `jax.grad` and feed any optax
    optimizer; this is the explicit form of Keras' ``kernel_regularizer`` (the penalty
    counted in the loss, and in its reported value).

    Args:
      loss_fn: ``loss_fn(params, *args, **kwargs)`` returning a scalar (or
        ``(scalar, aux)`` with ``has_aux``).
      penalty: a penalty object of `jreg.penalties` (constant strengths: there is
        no step count here).
      mask: optax mask selecting the penalised leaves (a pytree of booleans, a prefix
        of the parameters, or a callable of the parameters returning one).
      has_aux: ``loss_fn`` returns ``(loss, aux)``; the result then returns
        ``(loss + penalty, aux)``.

    Returns:
      A function with the signature of ``loss_fn``.

    Raises:
      TypeError: if ``loss_fn`` is not callable, ``penalty`` is not a penalty object or
        has a schedule as a strength.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import L2
      >>> from jreg.transforms import regularized
      >>> def loss(params, x):
      ...     return jnp.sum((params["w"] * x + params["b"]) ** 2)
      >>> params = {"w": jnp.array([1.0, 2.0]), "b": jnp.array(1.0)}
      >>> objective = regularized(loss, L2(0.5), mask={"w": True, "b": False})
      >>> float(objective(params, jnp.zeros(2)))  # 2 * 1.0 + 0.5 * (1 + 4)
      4.5
      >>> print(jax.grad(objective)(params, jnp.zeros(2))["w"])
      [1. 2.]
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {loss_fn!r}.")
    check_penalty(penalty)
    if scheduled(penalty, 0) is not penalty:
        raise TypeError(
            f"penalty {penalty!r} has schedules as strengths, which need a step count; "
            "regularized has none (use add_penalty_gradient or a proximal transform)."
        )

    def penalised(params: Any) -> jax.Array:
        if mask is not None:
            mask_tree = mask(params) if _is_callable_mask(mask) else mask
            params = jax.tree.map(lambda m, p: p if m else optax.MaskedNode(), mask_tree, params)
        return penalty.value(params)

    def regularized_loss(params: Any, *args: Any, **kwargs: Any) -> Any:
        out = loss_fn(params, *args, **kwargs)
        if has_aux:
            loss, aux = out
            return loss + penalised(params), aux
        return out + penalised(params)

    return regularized_loss
