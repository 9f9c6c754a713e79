r"""Model penalties for Flax NNX: Keras' ``kernel_regularizer``, ``bias_regularizer`` and
``activity_regularizer``.

:class:`PenaltySpec` says which parameters get which penalty (by path pattern or NNX
filter, first matching rule wins) and returns the summed penalty of a model, to add to
the loss; :class:`ActivityRegularization` records the penalty of its input and
:func:`activity_loss` collects what was recorded.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from ..penalties import L1L2
from ._select import (
    first_match,
    flat_parameters,
    leaf_value,
    normalize_rules,
    path_string,
    to_predicate,
)


def _check_penalty(value: Any, name: str) -> None:
    if value is None or hasattr(value, "value") or callable(value):
        return
    raise TypeError(
        f"{name} must be a penalty object (with .value(tree)), a callable tree -> scalar, "
        f"or None (no penalty), got {type(value).__name__}."
    )


def _evaluate(penalty: Any, array: jax.Array) -> jax.Array:
    if hasattr(penalty, "value"):
        return penalty.value(array)
    return penalty(array)


@jax.tree_util.register_pytree_node_class
class PenaltySpec:
    r"""Which parameters of an NNX model get which penalty; its call returns the sum.

    The NNX counterpart of Keras' per-layer ``kernel_regularizer`` and
    ``bias_regularizer``: rules map *selectors* to penalties, and

    .. math::

        \text{spec}(\text{model}) = \sum_{\text{parameters } w} g_{r(w)}(w),

    where :math:`r(w)` is the **first** rule whose selector matches :math:`w` (a
    parameter matched by no rule, or whose first match maps to ``None``, contributes
    nothing). A selector is a regular expression searched in the parameter's path
    joined with ``/`` (``"kernel$"``, ``"^layers/0/"``) or any NNX filter
    (``nnx.PathContains("kernel")``, a ``Variable`` type, a ``(path, variable) -> bool``
    callable, ``...``). A penalty is a :mod:`jreg.penalties` object (``L1(l1)`` is
    ``l1·Σ|w|``, ``L2(l2)`` is ``l2·Σw²`` with no ½, as in Keras), any callable
    ``array -> scalar``, or ``None``.

    The spec is a pytree whose leaves are the penalties' strengths, so it can be
    passed through ``jax.jit`` or ``vmap``-ed over strengths; it is usually closed over
    by the loss. It accepts an ``nnx.Module``, an ``nnx.State`` (e.g. from
    ``nnx.split``) or a pytree of arrays (paths from its dict keys; type filters then
    see arrays and do not match).

    Args:
      rules: a mapping ``{selector: penalty}`` or a sequence of ``(selector, penalty)``
        pairs, in priority order.
      wrt: the NNX filter of the variables considered (default ``nnx.Param``, so
        batch statistics and RNG state are never penalized).

    Raises:
      TypeError: a rule that is not a ``(selector, penalty)`` pair, a selector that is
        neither a string nor an NNX filter, or a penalty that is not a penalty.
      ValueError: a selector that is not a valid regular expression.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> class MLP(nnx.Module):
      ...     def __init__(self, rngs):
      ...         self.layers = nnx.List([nnx.Linear(3, 4, rngs=rngs), nnx.Linear(4, 2, rngs=rngs)])
      >>> model = MLP(nnx.Rngs(0))
      >>> spec = jreg.nn.PenaltySpec([
      ...     ("^layers/0/kernel$", jreg.penalties.L1(1e-3)),   # first layer: L1
      ...     ("kernel$", jreg.penalties.L2(1e-4)),             # other kernels: L2
      ... ])                                                    # biases: nothing
      >>> sorted(spec.assignments(model))
      ['layers/0/kernel', 'layers/1/kernel']
      >>> w0, w1 = model.layers[0].kernel[...], model.layers[1].kernel[...]
      >>> by_hand = 1e-3 * jnp.abs(w0).sum() + 1e-4 * (w1**2).sum()
      >>> bool(jnp.isclose(spec(model), by_hand))
      True
    """

    def __init__(self, rules: Any, *, wrt: Any = nnx.Param):
        pairs = normalize_rules(rules, "rules")
        for index, (selector, penalty) in enumerate(pairs):
            to_predicate(selector, f"the selector of rule {index}")
            _check_penalty(penalty, f"the penalty of rule {index} ({selector!r})")
        self.selectors = tuple(selector for selector, _ in pairs)
        self.penalties = tuple(penalty for _, penalty in pairs)
        self.wrt = wrt
        self._predicates = tuple(to_predicate(s) for s in self.selectors)

    def tree_flatten(self):
        return self.penalties, (self.selectors, self.wrt)

    @classmethod
    def tree_unflatten(cls, aux, penalties):
        selectors, wrt = aux
        return cls(tuple(zip(selectors, penalties, strict=True)), wrt=wrt)

    def __repr__(self) -> str:
        rules = ", ".join(
            f"({s!r}, {p!r})" for s, p in zip(self.selectors, self.penalties, strict=True)
        )
        return f"PenaltySpec([{rules}])"

    def _selected(self, model_or_state: Any):
        for path, leaf in flat_parameters(model_or_state, self.wrt):
            index = first_match(self._predicates, path, leaf)
            if index is not None and self.penalties[index] is not None:
                yield path, leaf, self.penalties[index]

    def assignments(self, model_or_state: Any) -> dict[str, Any]:
        """``{path: penalty}`` for every penalized parameter (to check the rules).

        Args:
          model_or_state: an ``nnx.Module``, an ``nnx.State`` or a pytree of arrays.

        Returns:
          A dict from the ``/``-joined path of each penalized parameter to its penalty.
        """
        return {path_string(path): penalty for path, _, penalty in self._selected(model_or_state)}

    def __call__(self, model_or_state: Any) -> jax.Array:
        """The summed penalty of the selected parameters, a scalar (0 if none).

        Args:
          model_or_state: an ``nnx.Module``, an ``nnx.State`` or a pytree of arrays.

        Returns:
          :math:`\\sum_w g_{r(w)}(w)`, differentiable with respect to the parameters.
        """
        terms = [
            _evaluate(penalty, leaf_value(leaf))
            for _, leaf, penalty in self._selected(model_or_state)
        ]
        if not terms:
            return jnp.zeros(())
        return sum(terms[1:], terms[0])


def penalty(model_or_state: Any, rules: Any, *, wrt: Any = nnx.Param) -> jax.Array:
    r"""The summed penalty of a model's parameters: ``PenaltySpec(rules, wrt=wrt)(model)``.

    Args:
      model_or_state: an ``nnx.Module``, an ``nnx.State`` or a pytree of arrays.
      rules: ``{selector: penalty}`` or ``[(selector, penalty), ...]``, first match wins
        (see :class:`PenaltySpec`).
      wrt: the NNX filter of the variables considered (default ``nnx.Param``).

    Returns:
      The scalar :math:`\sum_w g_{r(w)}(w)`.

    Raises:
      TypeError, ValueError: as :class:`PenaltySpec`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = nnx.Linear(2, 2, rngs=nnx.Rngs(0))
      >>> value = jreg.nn.penalty(layer, {"kernel": jreg.penalties.L2(0.5)})
      >>> bool(jnp.isclose(value, 0.5 * jnp.sum(layer.kernel[...] ** 2)))
      True
    """
    return PenaltySpec(rules, wrt=wrt)(model_or_state)


class ActivityLoss(nnx.Variable):
    """Variable type holding the penalty recorded by :class:`ActivityRegularization`.

    Use it as an NNX filter to read or exclude the recorded penalties.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.ActivityRegularization(l2=1.0)
      >>> _ = layer(jnp.array([[3.0, 4.0]]))
      >>> recorded = nnx.state(layer, jreg.nn.ActivityLoss)
      >>> [float(v) for v in jax.tree.leaves(recorded)]
      [25.0]
    """


class ActivityRegularization(nnx.Module):
    r"""Identity layer that records a penalty of its input (Keras ``ActivityRegularization``).

    The forward pass returns its input unchanged and stores, in the variable
    ``activity_loss`` (of type :class:`ActivityLoss`),

    .. math::

        \frac{g(x)}{N}, \qquad g(x) = \ell_1 \sum_i |x_i| + \ell_2 \sum_i x_i^2
        \ \text{(no ½)},

    where :math:`N` is the batch size ``x.shape[batch_axis]`` (Keras 3 divides activity
    penalties by the batch size; :math:`N = 1` for a scalar input or
    ``batch_axis=None``). Put it after the layer whose output you want to regularize,
    and add :func:`activity_loss` of the model to the loss. Each call overwrites the
    recorded value (a layer called twice in one forward pass keeps the last penalty), so
    no reset is needed between steps. The value is recorded in train and eval mode alike.

    Under ``nnx.vmap``: when the layer's variables are mapped (an ensemble, or a stack of
    layers scanned over), each member records its own value and :func:`activity_loss`
    sums them. When the model is broadcast and the *batch* is mapped (per-example
    application, ``in_axes=(None, 0)``), give the vmap an ``axis_name`` and the layer the
    same ``axis_name``: the recorded value is then the mean over the mapped axis
    (``jax.lax.pmean``), so it is the same for every example and, for a penalty that is
    a sum over entries (``l1``, ``l2``), equals the value for the whole batch; with one
    example per call, pass ``batch_axis=None``. This is the meaning of ``axis_name`` in
    ``nnx.BatchNorm``. Under ``nnx.scan`` over time with the layer in the carry, each step
    overwrites the record: return :func:`activity_loss` from the step to sum over time.

    Args:
      l1: :math:`\ell_1 \ge 0` (Keras' argument, default 0).
      l2: :math:`\ell_2 \ge 0` (Keras' argument, default 0).
      penalty: instead of ``l1``/``l2``, any :mod:`jreg.penalties` object or callable
        ``array -> scalar``.
      batch_axis: the axis of the input that indexes examples (default 0, as Keras);
        ``None`` when the input is a single example (inside a per-example ``nnx.vmap``).
      axis_name: the name of a mapped axis (``nnx.vmap(..., axis_name=...)``,
        ``shard_map``) over which the batch is split; the recorded value is averaged
        over it. ``None`` (default): no averaging.

    Raises:
      ValueError: negative or non-finite ``l1``/``l2``, ``penalty`` given together with
        non-zero ``l1``/``l2``, or (at call time) a ``batch_axis`` out of range for the
        input.
      TypeError: a ``penalty`` that is not a penalty, or a ``batch_axis`` that is
        neither an int nor ``None``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.ActivityRegularization(l1=0.1)
      >>> x = jnp.array([[1.0, -2.0], [3.0, 0.0]])
      >>> y = layer(x)
      >>> round(float(jreg.nn.activity_loss(layer)), 6)  # 0.1 * 6 / 2
      0.3

      The same value with one example per call, inside a per-example ``nnx.vmap``:

      >>> per_example = jreg.nn.ActivityRegularization(l1=0.1, batch_axis=None,
      ...                                              axis_name="batch")
      >>> apply = nnx.vmap(lambda m, x: m(x), in_axes=(None, 0), axis_name="batch")
      >>> y = apply(per_example, x)
      >>> round(float(jreg.nn.activity_loss(per_example)), 6)  # mean of 0.3 and 0.3
      0.3
    """

    def __init__(
        self,
        l1: float = 0.0,
        l2: float = 0.0,
        *,
        penalty: Any = None,
        batch_axis: int | None = 0,
        axis_name: Any = None,
    ):
        if penalty is not None:
            if l1 != 0.0 or l2 != 0.0:
                raise ValueError("pass either penalty or l1/l2, not both.")
            _check_penalty(penalty, "penalty")
        else:
            penalty = L1L2(l1=l1, l2=l2)
        if batch_axis is not None and (
            isinstance(batch_axis, bool) or not isinstance(batch_axis, int)
        ):
            raise TypeError(f"batch_axis must be an int or None, got {batch_axis!r}.")
        # data, not static: the strengths may be arrays (traced under jit)
        self.penalty = nnx.data(penalty)
        self.batch_axis = batch_axis
        self.axis_name = axis_name
        self.activity_loss = ActivityLoss(jnp.zeros(()))

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Record the penalty of ``inputs`` and return ``inputs`` unchanged.

        Args:
          inputs: an array ``(N, ...)`` (examples along ``batch_axis``), or one example
            when ``batch_axis`` is ``None``.

        Returns:
          ``inputs`` itself.

        Raises:
          ValueError: if ``batch_axis`` is out of range for ``inputs``.
        """
        value = _evaluate(self.penalty, inputs)
        ndim = jnp.ndim(inputs)
        if self.batch_axis is not None and ndim > 0:
            if not -ndim <= self.batch_axis < ndim:
                raise ValueError(
                    f"batch_axis {self.batch_axis} is out of range for an input of shape "
                    f"{jnp.shape(inputs)}; use batch_axis=None for a single example."
                )
            size = inputs.shape[self.batch_axis]
            if size > 0:
                value = value / size
        if self.axis_name is not None:
            value = jax.lax.pmean(value, self.axis_name)
        self.activity_loss[...] = jnp.asarray(value, self.activity_loss[...].dtype)
        return inputs


def activity_loss(model: Any) -> jax.Array:
    r"""Sum of the penalties recorded by the model's :class:`ActivityRegularization` layers.

    Call it after the forward pass, inside the loss:
    ``loss = data_loss + jreg.nn.activity_loss(model)``; gradients flow through it.

    Args:
      model: an ``nnx.Module`` (or an ``nnx.State`` holding :class:`ActivityLoss`).

    Returns:
      A scalar (0 when the model has no such layer). A layer built under ``nnx.vmap``
      (an ensemble, or a stack of layers scanned over) records one value per member;
      they are summed.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> model = nnx.Sequential(
      ...     nnx.Linear(2, 3, rngs=nnx.Rngs(0)), jreg.nn.ActivityRegularization(l2=0.01)
      ... )
      >>> _ = model(jnp.ones((4, 2)))
      >>> float(jreg.nn.activity_loss(model)) > 0
      True
    """
    values = [leaf_value(leaf) for _, leaf in flat_parameters(model, ActivityLoss)]
    # a layer built under nnx.vmap (an ensemble, a stack scanned over) holds one value
    # per member: they all count
    values = [jnp.sum(v) if jnp.ndim(v) else v for v in values]
    if not values:
        return jnp.zeros(())
    return sum(values[1:], values[0])
