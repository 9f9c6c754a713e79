r"""Keras weight constraints for NNX models, applied after the optimizer step.

The projections themselves are the :mod:`jreg.transforms` constraint transforms
(:func:`~jreg.transforms.max_norm`, :func:`~jreg.transforms.unit_norm`,
:func:`~jreg.transforms.non_neg`, :func:`~jreg.transforms.min_max_norm`); this module
adds the Keras-named objects and the selection of parameters by path pattern or NNX
filter, as optax masks matching what ``nnx.Optimizer`` passes to its transformation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from .. import transforms as _transforms
from ._select import (
    first_match,
    flat_parameters,
    normalize_rules,
    parameters,
    path_of,
    to_predicate,
)


def _is_variable(x: Any) -> bool:
    return isinstance(x, nnx.Variable)


def _mask_from(model_or_state: Any, wrt: Any, chosen) -> Any:
    """Boolean tree with the structure of the parameters; ``chosen(path, leaf)``."""
    selected = {path for path, leaf in flat_parameters(model_or_state, wrt) if chosen(path, leaf)}
    tree = parameters(model_or_state, wrt)
    flat, treedef = jax.tree_util.tree_flatten_with_path(tree, is_leaf=_is_variable)
    return jax.tree_util.tree_unflatten(treedef, [path_of(keys) in selected for keys, _ in flat])


def param_mask(model_or_state: Any, selector: Any, *, wrt: Any = nnx.Param) -> Any:
    r"""An optax mask selecting a model's parameters by path pattern or NNX filter.

    The result is a pytree of ``bool`` with the structure of ``nnx.state(model, wrt)``
    (one ``bool`` per variable), which is a valid ``mask`` for ``optax.masked`` and the
    :mod:`jreg.transforms` factories inside ``nnx.Optimizer(model, tx, wrt=wrt)``, as
    well as for transformations applied to ``nnx.as_pure(nnx.state(model, wrt))``.

    Args:
      model_or_state: the ``nnx.Module`` (or its ``nnx.State``, or a pytree of arrays).
      selector: a regular expression searched in the ``/``-joined path (``"kernel$"``)
        or an NNX filter (see :class:`jreg.nn.PenaltySpec`).
      wrt: the variables the optimizer updates (default ``nnx.Param``).

    Returns:
      A pytree of ``bool``: ``True`` for the selected parameters.

    Raises:
      TypeError, ValueError: a selector that is neither a valid regular expression nor
        an NNX filter.

    Examples:
      >>> import jax, optax
      >>> from flax import nnx
      >>> import jreg
      >>> model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
      >>> mask = jreg.nn.param_mask(model, "kernel$")
      >>> sorted(jax.tree.leaves(mask))
      [False, True]
      >>> tx = optax.chain(optax.sgd(0.1), jreg.transforms.max_norm(1.0, mask=mask))
      >>> optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
    """
    predicate = to_predicate(selector)
    return _mask_from(model_or_state, wrt, predicate)


def _check_axis(axis: Any) -> Any:
    if isinstance(axis, bool) or not (
        isinstance(axis, int)
        or (isinstance(axis, tuple | list) and axis and all(isinstance(a, int) for a in axis))
    ):
        raise TypeError(f"axis must be an int or a non-empty sequence of ints, got {axis!r}.")
    return tuple(axis) if isinstance(axis, list) else axis


class _Constraint:
    """Keras-style constraint object: ``constraint(w)`` projects, ``transform`` for optax."""

    def transform(self, mask: Any = None) -> optax.GradientTransformationExtraArgs:
        raise NotImplementedError

    def __call__(self, w: Any) -> Any:
        """The constrained weights ``C(w)`` (any pytree), as Keras' ``constraint(w)``.

        Args:
          w: an array or a pytree of arrays.

        Returns:
          The projected weights, same structure, shapes and dtypes.
        """
        return _project(self, w)


def _project(constraint: Any, w: Any) -> Any:
    """``C(w)`` through ``constraint.transform()``: a zero update, then the projection."""
    tx = constraint.transform()
    updates, _ = tx.update(jax.tree.map(jnp.zeros_like, w), tx.init(w), w)
    return optax.apply_updates(w, updates)


@dataclasses.dataclass(frozen=True)
class MaxNorm(_Constraint):
    r"""Keras' ``MaxNorm``: each weight vector's norm over ``axis`` at most ``max_value``.

    :math:`C(w) = w\,\min(\|w\|, c)/\|w\|` with the Euclidean norm over ``axis``
    (Keras' default ``0``: for an ``nnx.Linear`` kernel ``(in, out)``, each output unit's
    incoming weights; for an ``nnx.Conv`` kernel ``(kh, kw, in, out)`` use
    ``axis=(0, 1, 2)``). Computed by :func:`jreg.transforms.max_norm` (exact: no
    Keras ``epsilon``).

    Args:
      max_value: :math:`c \ge 0` (Keras' default 2).
      axis: int or tuple of ints.

    Examples:
      >>> import jax.numpy as jnp
      >>> import jreg
      >>> print(jreg.nn.MaxNorm(1.0)(jnp.array([[3.0, 0.3], [4.0, 0.4]])))
      [[0.6 0.3]
       [0.8 0.4]]
    """

    max_value: Any = 2.0
    axis: Any = 0

    def __post_init__(self):
        object.__setattr__(self, "axis", _check_axis(self.axis))
        self.transform()  # validates max_value

    def transform(self, mask: Any = None) -> optax.GradientTransformationExtraArgs:
        """The optax transformation (last in a chain) applying this constraint.

        Args:
          mask: optax mask of the constrained parameters (see :func:`param_mask`).

        Returns:
          ``jreg.transforms.max_norm(max_value, axis=axis, mask=mask)``.
        """
        return _transforms.max_norm(self.max_value, axis=self.axis, mask=mask)


@dataclasses.dataclass(frozen=True)
class UnitNorm(_Constraint):
    r"""Keras' ``UnitNorm``: each weight vector over ``axis`` rescaled to norm 1.

    :math:`C(w) = w/\|w\|` (a zero vector stays zero), via
    :func:`jreg.transforms.unit_norm`.

    Args:
      axis: int or tuple of ints (Keras' default 0).

    Examples:
      >>> import jax.numpy as jnp
      >>> import jreg
      >>> print(jreg.nn.UnitNorm()(jnp.array([[3.0], [4.0]])))
      [[0.6]
       [0.8]]
    """

    axis: Any = 0

    def __post_init__(self):
        object.__setattr__(self, "axis", _check_axis(self.axis))

    def transform(self, mask: Any = None) -> optax.GradientTransformationExtraArgs:
        """``jreg.transforms.unit_norm(axis=axis, mask=mask)``.

        Args:
          mask: optax mask of the constrained parameters.

        Returns:
          The optax transformation, last in a chain.
        """
        return _transforms.unit_norm(axis=self.axis, mask=mask)


@dataclasses.dataclass(frozen=True)
class NonNeg(_Constraint):
    r"""Keras' ``NonNeg``: weights clipped at zero, :math:`C(w) = \max(w, 0)`.

    Via :func:`jreg.transforms.non_neg`.

    Examples:
      >>> import jax.numpy as jnp
      >>> import jreg
      >>> print(jreg.nn.NonNeg()(jnp.array([-1.0, 2.0])))
      [0. 2.]
    """

    def transform(self, mask: Any = None) -> optax.GradientTransformationExtraArgs:
        """``jreg.transforms.non_neg(mask=mask)``.

        Args:
          mask: optax mask of the constrained parameters.

        Returns:
          The optax transformation, last in a chain.
        """
        return _transforms.non_neg(mask=mask)


@dataclasses.dataclass(frozen=True)
class MinMaxNorm(_Constraint):
    r"""Keras' ``MinMaxNorm``: each weight vector's norm moved into ``[min, max]``.

    :math:`C(w) = w\,\bigl(r\,\mathrm{clip}(\|w\|, a, b) + (1-r)\|w\|\bigr)/\|w\|`
    with :math:`a` = ``min_value``, :math:`b` = ``max_value``, :math:`r` = ``rate``
    (``1``: enforce the bounds exactly), via :func:`jreg.transforms.min_max_norm`.

    Args:
      min_value: :math:`a \ge 0` (Keras' default 0).
      max_value: :math:`b \ge a` (Keras' default 1).
      rate: :math:`r \in [0, 1]` (Keras' default 1).
      axis: int or tuple of ints (Keras' default 0).

    Examples:
      >>> import jax.numpy as jnp
      >>> import jreg
      >>> print(jreg.nn.MinMaxNorm(1.0, 2.0)(jnp.array([[0.3, 3.0], [0.4, 4.0]])))
      [[0.6 1.2]
       [0.8 1.6]]
    """

    min_value: Any = 0.0
    max_value: Any = 1.0
    rate: Any = 1.0
    axis: Any = 0

    def __post_init__(self):
        object.__setattr__(self, "axis", _check_axis(self.axis))
        self.transform()  # validates the bounds and the rate

    def transform(self, mask: Any = None) -> optax.GradientTransformationExtraArgs:
        """``jreg.transforms.min_max_norm(min_value, max_value, rate=, axis=, mask=)``.

        Args:
          mask: optax mask of the constrained parameters.

        Returns:
          The optax transformation, last in a chain.
        """
        return _transforms.min_max_norm(
            self.min_value, self.max_value, rate=self.rate, axis=self.axis, mask=mask
        )


def _resolve_rules(rules: Any) -> tuple[tuple[tuple[Any, Any], ...], list]:
    """Validated ``(selector, constraint)`` pairs and one predicate per selector."""
    pairs = normalize_rules(rules, "rules")
    predicates = []
    for index, (selector, constraint) in enumerate(pairs):
        predicates.append(to_predicate(selector, f"the selector of rule {index}"))
        if constraint is not None and not hasattr(constraint, "transform"):
            raise TypeError(
                f"the constraint of rule {index} ({selector!r}) must be a jreg.nn constraint "
                f"(MaxNorm, UnitNorm, NonNeg, MinMaxNorm) or None, got "
                f"{type(constraint).__name__}."
            )
    return pairs, predicates


def constraints(
    model_or_state: Any, rules: Any, *, wrt: Any = nnx.Param
) -> optax.GradientTransformationExtraArgs:
    r"""One optax transformation applying Keras-style constraints to selected parameters.

    The NNX counterpart of Keras' per-layer ``kernel_constraint``/``bias_constraint``:
    put it **last** in the optimizer's chain, so that after every step each selected
    parameter is projected, :math:`w \leftarrow C(w + u)`. As for
    :class:`jreg.nn.PenaltySpec`, the first rule whose selector matches a parameter
    applies, and a rule mapping to ``None`` exempts what it matches.

    Args:
      model_or_state: the ``nnx.Module`` to be optimized (only its structure is read).
      rules: ``{selector: constraint}`` or ``[(selector, constraint), ...]``; a
        constraint is :class:`MaxNorm`, :class:`UnitNorm`, :class:`NonNeg`,
        :class:`MinMaxNorm` (or anything with ``.transform(mask)``) or ``None``.
      wrt: the variables the optimizer updates (default ``nnx.Param``).

    Returns:
      An ``optax.GradientTransformationExtraArgs`` (it needs ``params``, which
      ``nnx.Optimizer`` passes).

    Raises:
      TypeError: a rule that is not a ``(selector, constraint)`` pair, or a constraint
        without ``.transform``.

    Examples:
      >>> import jax.numpy as jnp, optax
      >>> from flax import nnx
      >>> import jreg
      >>> model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
      >>> tx = optax.chain(
      ...     optax.sgd(1.0),
      ...     jreg.nn.constraints(model, {"kernel$": jreg.nn.MaxNorm(0.5)}),
      ... )
      >>> optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
      >>> grads = nnx.grad(lambda m: jnp.sum(m(jnp.ones((1, 3))) ** 2))(model)
      >>> _ = optimizer.update(model, grads)
      >>> norms = jnp.linalg.norm(model.kernel[...], axis=0)
      >>> bool(jnp.all(norms <= 0.5 * (1 + 1e-6)))
      True
    """
    pairs, predicates = _resolve_rules(rules)
    parts = []
    for index, (_, constraint) in enumerate(pairs):
        if constraint is None:
            continue

        def chosen(path, leaf, index=index):
            return first_match(predicates, path, leaf) == index

        parts.append(constraint.transform(mask=_mask_from(model_or_state, wrt, chosen)))
    return optax.chain(*parts) if parts else optax.identity()


def apply_constraints(model: nnx.Module, rules: Any, *, wrt: Any = nnx.Param) -> None:
    r"""Project a model's selected parameters in place: Keras' order, after the step.

    Keras applies ``kernel_constraint`` to each variable right after the optimizer has
    updated it. Call this after ``optimizer.update(model, grads)`` (inside the same
    jitted step) for the same effect: each parameter selected by ``rules`` is replaced
    by :math:`C(w)`. The rules mean what they mean for :func:`constraints` (the first
    matching selector applies; ``None`` exempts). The result equals putting
    :func:`constraints` last in the optimizer's chain; it is a little cheaper, since
    the projection reads only the new weights (see the cost benchmark in the docs).

    Args:
      model: the ``nnx.Module`` whose parameters are projected (modified in place, as
        ``optimizer.update`` modifies it).
      rules: ``{selector: constraint}`` or ``[(selector, constraint), ...]``, as for
        :func:`constraints`.
      wrt: the kind of variables to consider (default ``nnx.Param``).

    Returns:
      ``None``; the model's variables hold the projected values.

    Raises:
      TypeError: ``model`` that is not an ``nnx.Module``, a rule that is not a
        ``(selector, constraint)`` pair, or a constraint without ``.transform``.

    Examples:
      >>> import jax.numpy as jnp, optax
      >>> from flax import nnx
      >>> import jreg
      >>> model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
      >>> optimizer = nnx.Optimizer(model, optax.sgd(1.0), wrt=nnx.Param)
      >>> @nnx.jit
      ... def train_step(model, optimizer, x):
      ...     grads = nnx.grad(lambda m: jnp.sum(m(x) ** 2))(model)
      ...     optimizer.update(model, grads)
      ...     jreg.nn.apply_constraints(model, {"kernel$": jreg.nn.MaxNorm(0.5)})
      >>> train_step(model, optimizer, jnp.ones((1, 3)))
      >>> norms = jnp.linalg.norm(model.kernel[...], axis=0)
      >>> bool(jnp.all(norms <= 0.5 * (1 + 1e-6)))
      True
    """
    if not isinstance(model, nnx.Module):
        raise TypeError(
            f"model must be an nnx.Module (its variables are updated in place), got "
            f"{type(model).__name__}."
        )
    pairs, predicates = _resolve_rules(rules)
    for path, variable in flat_parameters(model, wrt):
        index = first_match(predicates, path, variable)
        if index is None or pairs[index][1] is None:
            continue
        # anything with .transform is accepted, as by `constraints`
        variable[...] = _project(pairs[index][1], variable[...])
