r"""Complete proximal optimizers whose prox is taken in their own metric.

A preconditioned gradient step $z = w - \eta D^{-1} m$ ($D$ diagonal and
positive) is the minimiser of a quadratic model in the norm
$\|v\|_D^2 = v^\top D v$; the matching proximal step is therefore

$$
w^+ = \operatorname*{argmin}_y\; \tfrac{1}{2}\|y - z\|_D^2 + \eta\, g(y),
$$

which for a separable $g$ is, coordinate by coordinate, the ordinary prox with
the per-coordinate scaling $\eta / d_i$ (for L1, the threshold
$\eta\lambda/d_i$; for Adam $d_i = \sqrt{\hat v_i} + \epsilon$). At a fixed
point $w^+ = w$ with $m = \nabla f(w)$ the optimality condition of the prox
reads $0 \in D(w - z)/\eta + \partial g(w) = \nabla f(w) + \partial g(w)$:
$D$ cancels, so the fixed points are exactly the minimisers of
$f + g$ (for convex $f, g$) whatever the preconditioner. Chaining an
optimizer with `jreg.transforms.proximal_step` instead uses the Euclidean prox
after a $D$-scaled step, whose fixed points solve
$0 \in D^{-1}\nabla f + \partial g$, a different problem.

For a non-separable penalty (group lasso, nuclear norm, balls, simplex, ...) the prox
in a diagonal metric has no closed form, so `prox_adam` and `prox_adagrad`
refuse them; `prox_sgd` (whose metric is the identity) accepts every penalty.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jreg._checks import check_interval, check_nonnegative
from jreg.transforms._common import (
    check_hyperparameter,
    check_penalty,
    check_scalar,
    masked,
    prox_update,
    require_params,
    resolve,
    scheduled,
    zero_count,
)


class _ScaledProxState(NamedTuple):
    """No state: the masked prox step is recomputed at every update."""


def _scaled_prox(penalty: Any, mask: Any) -> optax.GradientTransformationExtraArgs:
    """Masked ``u -> prox_{scaling·g}(w + u) - w`` with ``scaling`` an extra argument.

    ``optax.masked(..., mask_compatible_extra_args=True)`` masks a per-coordinate
    ``scaling`` (a pytree shaped like the parameters) together with the updates.
    """

    def init_fn(params: Any) -> _ScaledProxState:
        del params
        return _ScaledProxState()

    def update_fn(updates, state, params=None, *, scaling=1.0, **extra_args):
        del extra_args
        return prox_update(penalty, updates, params, scaling), state

    inner = optax.GradientTransformationExtraArgs(init_fn, update_fn)
    return masked(inner, mask, mask_compatible_extra_args=True)


def _apply_scaled_prox(penalty: Any, mask: Any, updates: Any, params: Any, scaling: Any):
    transform = _scaled_prox(penalty, mask)
    new_updates, _ = transform.update(updates, transform.init(params), params, scaling=scaling)
    return new_updates


def _check_separable(penalty: Any, optimizer: str) -> None:
    if not getattr(penalty, "separable", False):
        raise ValueError(
            f"penalty {penalty!r} is not separable: {optimizer} takes the prox in the "
            "metric of its diagonal preconditioner, which has a closed form only for "
            "separable (coordinate-wise) penalties (L1, L2, L1L2, ElasticNet, MCP, SCAD, "
            "NonNegative, Box, LinfBall). Use prox_sgd, or an optimizer chained with "
            "proximal_step, for this penalty."
        )


def _scale(tree: Any, factor: Any) -> Any:
    """``factor * tree`` in the dtype of each leaf (a float64 ``factor``, such as a
    learning rate computed in numpy, must not promote float32 updates or state)."""
    return jax.tree.map(lambda x: x * jnp.asarray(factor, x.dtype), tree)


class ProxSGDState(NamedTuple):
    """State of `prox_sgd`.

    Attributes:
      count: number of updates so far.
      velocity: the last realised step $w_k - w_{k-1}$ of the (non-extrapolated)
        iterate, or ``None`` without momentum.
    """

    count: jax.Array
    velocity: Any


def prox_sgd(
    learning_rate: Any,
    penalty: Any,
    *,
    momentum: Any = None,
    nesterov: bool = False,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Proximal gradient descent, optionally with heavy-ball or Nesterov momentum.

    With $\eta_k$ = ``learning_rate`` at step $k$, $\mu$ =
    ``momentum``, $g$ the penalty and $v_k = w_k - w_{k-1}$ the last
    realised step ($v_0 = 0$):

    * no momentum: $w_{k+1} = \operatorname{prox}_{\eta_k g}(w_k - \eta_k
      \nabla f(w_k))$ (ISTA);
    * heavy ball: $w_{k+1} = \operatorname{prox}_{\eta_k g}(w_k - \eta_k
      \nabla f(w_k) + \mu v_k)$ (iPiano, Ochs et al. 2014; convergent for convex
      $f$ when $0 \le \mu < 1$ and $\eta < 2(1 - \mu)/L$);
    * Nesterov: the parameters are the extrapolated point
      $y_k = x_k + \mu v_k$,
      $x_{k+1} = \operatorname{prox}_{\eta_k g}(y_k - \eta_k \nabla f(y_k))$,
      $y_{k+1} = x_{k+1} + \mu (x_{k+1} - x_k)$ (FISTA with a
      constant momentum; Beck & Teboulle 2009).

    The momentum acts on realised steps, after the prox, so that the fixed points are
    the minimisers of $f + g$: $0 \in \nabla f(w) + \partial g(w)$. (Putting
    optax's gradient momentum before `proximal_step` instead converges to
    $0 \in \nabla f/(1 - \mu) + \partial g$, a weaker penalty.) With a constant
    learning rate and on unpenalised (masked-out) leaves the updates are exactly those
    of ``optax.sgd(learning_rate, momentum, nesterov)``.

    Args:
      learning_rate: $\eta \ge 0$, a scalar or an optax schedule.
      penalty: a penalty object of `jreg.penalties` (any; the metric is the
        identity); a strength may be an optax schedule, evaluated at the count.
      momentum: $\mu \in [0, 1)$, or ``None`` for none.
      nesterov: use Nesterov's extrapolation instead of the heavy ball.
      mask: optax mask selecting the penalised leaves; the others follow
        ``optax.sgd``.

    Returns:
      An ``optax.GradientTransformationExtraArgs`` with a `ProxSGDState`.

    Raises:
      TypeError: if ``penalty`` is not a penalty object.
      ValueError: if ``learning_rate`` is negative, ``momentum`` lies outside [0, 1),
        ``nesterov`` is set without ``momentum``, or ``update`` is called without
        ``params``.

    References:
      Ochs, P., Chen, Y., Brox, T. and Pock, T. (2014). iPiano: inertial proximal
      algorithm for nonconvex optimization. SIAM Journal on Imaging Sciences, 7(2),
      1388-1419.
      Beck, A. and Teboulle, M. (2009). A fast iterative shrinkage-thresholding
      algorithm for linear inverse problems. SIAM Journal on Imaging Sciences, 2(1),
      183-202.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> from jreg.penalties import L1
      >>> from jreg.transforms import prox_sgd
      >>> tx = prox_sgd(0.5, L1(1.0), momentum=0.9)
      >>> params = jnp.array([1.0, 0.2, -3.0])
      >>> updates, state = tx.update(jnp.zeros(3), tx.init(params), params)
      >>> print(optax.apply_updates(params, updates))
      [ 0.5  0.  -2.5]
    """
    check_penalty(penalty)
    check_hyperparameter(learning_rate, "learning_rate")
    if momentum is not None:
        check_scalar(momentum, "momentum")
        check_interval(momentum, "momentum", 0.0, 1.0, high_inclusive=False)
    elif nesterov:
        raise ValueError("nesterov=True needs a momentum; got momentum=None.")

    def init_fn(params: Any) -> ProxSGDState:
        velocity = None if momentum is None else optax.tree.zeros_like(params)
        return ProxSGDState(count=zero_count(), velocity=velocity)

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        require_params(params)
        step = resolve(learning_rate, state.count)
        current = scheduled(penalty, state.count)  # strengths given as schedules
        count = optax.safe_increment(state.count)
        gradient_step = _scale(updates, -step)
        if momentum is None:
            new_updates = _apply_scaled_prox(current, mask, gradient_step, params, step)
            return new_updates, ProxSGDState(count=count, velocity=None)
        mu = momentum
        if not nesterov:
            target = jax.tree.map(lambda u, v: u + mu * v, gradient_step, state.velocity)
            new_updates = _apply_scaled_prox(current, mask, target, params, step)
            return new_updates, ProxSGDState(count=count, velocity=new_updates)
        # params = y_k = x_k + mu v_k; x_{k+1} = prox(y_k - eta grad); v_{k+1} = x_{k+1} - x_k.
        to_next = _apply_scaled_prox(current, mask, gradient_step, params, step)
        velocity = jax.tree.map(lambda d, v: d + mu * v, to_next, state.velocity)
        new_updates = jax.tree.map(lambda d, v: d + mu * v, to_next, velocity)
        return new_updates, ProxSGDState(count=count, velocity=velocity)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class ProxAdagradState(NamedTuple):
    """State of `prox_adagrad`.

    Attributes:
      count: number of updates so far.
      sum_of_squares: the accumulated squared gradients (as in ``optax.adagrad``).
    """

    count: jax.Array
    sum_of_squares: Any


def prox_adagrad(
    learning_rate: Any,
    penalty: Any,
    *,
    initial_accumulator_value: float = 0.1,
    eps: float = 1e-7,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""AdaGrad with its proximal step taken in AdaGrad's own metric.

    With $G_k = G_{k-1} + \nabla f(w_k)^2$ ($G_0$ =
    ``initial_accumulator_value``), $d = \sqrt{G_k + \epsilon}$ and
    $\eta_k$ = ``learning_rate``, exactly as ``optax.adagrad``:

    $$
    w_{k+1} = \operatorname*{argmin}_y\; \tfrac{1}{2}\bigl\|y - (w_k - \eta_k
    \nabla f(w_k)/d)\bigr\|_{\operatorname{diag}(d)}^2 + \eta_k\, g(y),
    $$

    i.e. the prox of $g$ with the per-coordinate scaling $\eta_k / d_i$
    (AdaGrad's composite mirror descent, Duchi et al. 2011). Its fixed points satisfy
    $0 \in \nabla f(w) + \partial g(w)$. On unpenalised (masked-out) leaves the
    updates are exactly those of ``optax.adagrad``.

    For `jreg.penalties.MCP` / `jreg.penalties.SCAD` the same
    ``gamma`` condition as for `prox_adam` applies, with $d = \sqrt{G + \epsilon}$.

    Args:
      learning_rate: $\eta \ge 0$, a scalar or an optax schedule.
      penalty: a *separable* penalty object (``penalty.separable``); a strength may
        be an optax schedule, evaluated at the count.
      initial_accumulator_value: $G_0 \ge 0$.
      eps: $\epsilon \ge 0$, inside the square root as in optax.
      mask: optax mask selecting the penalised leaves.

    Returns:
      An ``optax.GradientTransformationExtraArgs`` with a `ProxAdagradState`.

    Raises:
      TypeError: if ``penalty`` is not a penalty object.
      ValueError: if ``penalty`` is not separable, a hyperparameter is negative, or
        ``update`` is called without ``params``.

    References:
      Duchi, J., Hazan, E. and Singer, Y. (2011). Adaptive subgradient methods for
      online learning and stochastic optimization. Journal of Machine Learning
      Research, 12, 2121-2159.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> from jreg.penalties import L1
      >>> from jreg.transforms import prox_adagrad
      >>> tx = prox_adagrad(1.0, L1(0.5), initial_accumulator_value=0.0, eps=0.0)
      >>> params = jnp.array([1.0, 1.0])
      >>> updates, _ = tx.update(jnp.array([2.0, -0.5]), tx.init(params), params)
      >>> print(optax.apply_updates(params, updates))  # thresholds 0.5/2 and 0.5/0.5
      [0. 1.]
    """
    check_penalty(penalty)
    _check_separable(penalty, "prox_adagrad")
    check_hyperparameter(learning_rate, "learning_rate")
    for name, value in (("initial_accumulator_value", initial_accumulator_value), ("eps", eps)):
        check_scalar(value, name)
        check_nonnegative(value, name)
    rss = optax.scale_by_rss(initial_accumulator_value=initial_accumulator_value, eps=eps)

    def init_fn(params: Any) -> ProxAdagradState:
        inner = rss.init(params)
        return ProxAdagradState(count=zero_count(), sum_of_squares=inner.sum_of_squares)

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        require_params(params)
        step = resolve(learning_rate, state.count)
        current = scheduled(penalty, state.count)  # strengths given as schedules
        inner = optax.ScaleByRssState(sum_of_squares=state.sum_of_squares)
        direction, inner = rss.update(updates, inner, params)
        # The metric d = sqrt(G + eps) of the step above (no move where G = 0, as optax).
        scaling = jax.tree.map(
            lambda t: step * jnp.where(t > 0, jax.lax.rsqrt(t + eps), 0.0), inner.sum_of_squares
        )
        new_updates = _apply_scaled_prox(current, mask, _scale(direction, -step), params, scaling)
        return new_updates, ProxAdagradState(
            count=optax.safe_increment(state.count), sum_of_squares=inner.sum_of_squares
        )

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class ProxAdamState(NamedTuple):
    """State of `prox_adam` (the fields of ``optax.ScaleByAdamState``).

    Attributes:
      count: number of updates so far.
      mu: first moment (exponential moving average of the gradients).
      nu: second moment (exponential moving average of the squared gradients).
    """

    count: jax.Array
    mu: Any
    nu: Any


def prox_adam(
    learning_rate: Any,
    penalty: Any,
    *,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Adam with its proximal step taken in Adam's own metric.

    With Adam's bias-corrected moments $\hat m_k, \hat v_k$ (exactly as
    ``optax.adam``), $d = \sqrt{\hat v_k} + \epsilon$ and $\eta_k$ =
    ``learning_rate``:

    $$
    w_{k+1} = \operatorname*{argmin}_y\; \tfrac{1}{2}\bigl\|y - (w_k - \eta_k
    \hat m_k / d)\bigr\|_{\operatorname{diag}(d)}^2 + \eta_k\, g(y),
    $$

    i.e. the prox of $g$ with the per-coordinate scaling $\eta_k/d_i$ --
    for `jreg.penalties.L1` the soft threshold
    $\eta\lambda/(\sqrt{\hat v_i} + \epsilon)$. A fixed point (where
    $\hat m = \nabla f(w)$) satisfies $0 \in \nabla f(w) + \partial g(w)$
    whatever $d$, so with a constant step prox-Adam converges to the penalised
    optimum (the Lasso solution for L1 with a least-squares loss), whereas
    ``optax.chain(optax.adam(lr), proximal_step(penalty, lr))`` stalls at points with
    $0 \in \nabla f/d + \partial g$ (see ``docs/transforms.md`` for the
    measured gap). On unpenalised (masked-out) leaves the updates are exactly those of
    ``optax.adam``.

    The non-convex `jreg.penalties.MCP` and `jreg.penalties.SCAD` need
    ``gamma > lr/d_i`` (``1 + lr/d_i`` for SCAD) at every coordinate for their prox to
    be defined; this is checked on concrete values only, not under ``jit``.

    Args:
      learning_rate: $\eta \ge 0$, a scalar or an optax schedule.
      penalty: a *separable* penalty object (``penalty.separable``); a strength may
        be an optax schedule, evaluated at the count.
      b1: decay of the first moment, in [0, 1).
      b2: decay of the second moment, in [0, 1).
      eps: $\epsilon \ge 0$, added to $\sqrt{\hat v}$ as in optax.
      mask: optax mask selecting the penalised leaves.

    Returns:
      An ``optax.GradientTransformationExtraArgs`` with a `ProxAdamState`.

    Raises:
      TypeError: if ``penalty`` is not a penalty object.
      ValueError: if ``penalty`` is not separable, a hyperparameter is out of range,
        or ``update`` is called without ``params``.

    References:
      Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic optimization.
      ICLR.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> from jreg.penalties import L1
      >>> from jreg.transforms import prox_adam
      >>> tx = prox_adam(0.1, L1(1.0), eps=0.0)
      >>> params = jnp.array([1.0, 0.05])
      >>> updates, _ = tx.update(jnp.array([2.0, -0.5]), tx.init(params), params)
      >>> print(optax.apply_updates(params, updates))  # step 0.1, thresholds 0.1/2, 0.1/0.5
      [0.85 0.  ]
    """
    check_penalty(penalty)
    _check_separable(penalty, "prox_adam")
    check_hyperparameter(learning_rate, "learning_rate")
    for name, value in (("b1", b1), ("b2", b2)):
        check_scalar(value, name)
        check_interval(value, name, 0.0, 1.0, high_inclusive=False)
    check_scalar(eps, "eps")
    check_nonnegative(eps, "eps")
    adam = optax.scale_by_adam(b1=b1, b2=b2, eps=eps)

    def init_fn(params: Any) -> ProxAdamState:
        inner = adam.init(params)
        return ProxAdamState(count=inner.count, mu=inner.mu, nu=inner.nu)

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        require_params(params)
        step = resolve(learning_rate, state.count)
        current = scheduled(penalty, state.count)  # strengths given as schedules
        inner = optax.ScaleByAdamState(count=state.count, mu=state.mu, nu=state.nu)
        direction, inner = adam.update(updates, inner, params)
        nu_hat = optax.tree.bias_correction(inner.nu, b2, inner.count)
        scaling = jax.tree.map(lambda v: step / (jnp.sqrt(v) + eps), nu_hat)
        new_updates = _apply_scaled_prox(current, mask, _scale(direction, -step), params, scaling)
        return new_updates, ProxAdamState(count=inner.count, mu=inner.mu, nu=inner.nu)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
