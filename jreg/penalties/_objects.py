r"""Penalty objects: immutable pytrees with ``.value(tree)`` and ``.prox(tree, scaling)``.

Each object is a frozen dataclass registered with `jax.tree_util.register_dataclass`:
its strengths are pytree *children* (so a penalty can be passed through ``jax.jit``,
traced, differentiated with respect to its strength, or ``vmap``-ed over a batch of
strengths) and its options (``positive``, ``groups``) are static metadata.

* ``penalty.value(tree)`` (also ``penalty(tree)``, as a Keras regularizer is called)
  returns $g(\text{tree})$, a sum over leaves;
* ``penalty.prox(tree, scaling=1.0)`` returns
  $\operatorname{argmin}_y \tfrac12\|x - y\|^2 + s\,g(y)$ with $s$ =
  ``scaling``, computed by the function of `jreg.prox`;
* ``penalty.separable`` says whether $g$ is a sum of functions of single
  coordinates; for those ``scaling`` may be a pytree matching ``tree`` (per-coordinate
  step sizes), which the preconditioned optimizers of `jreg.transforms` need.

Constraint objects (subclasses of `Constraint`) have the value 0 on their set and
``inf`` outside, and their prox is the Euclidean projection (whatever the ``scaling``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from jreg import prox as _prox
from jreg._checks import check_finite, check_interval, check_nonnegative, check_positive
from jreg._trees import as_float, per_leaf
from jreg.penalties import _functions as _f


def _numeric(value: Any) -> list[Any]:
    """Concrete numeric leaves of ``value`` (strings kept, to be refused by the checks).

    JAX rebuilds pytrees with placeholders (``None``, ``object()``, tracers,
    ``ShapeDtypeStruct``) inside transformations; only real numbers are validated.
    """
    kinds = (int, float, np.ndarray, np.generic, jax.Array, str, bytes)
    return [
        leaf
        for leaf in jax.tree.leaves(value)
        if isinstance(leaf, kinds) and not isinstance(leaf, jax.core.Tracer)
    ]


def _check_strength(value: Any, name: str) -> None:
    """A strength: concrete values must be non-negative and finite."""
    check_nonnegative(_numeric(value), name)
    check_finite(_numeric(value), name)


def _is_empty(node: Any) -> bool:
    """A subtree without leaves (``None``, ``optax.MaskedNode()``, ``()``, ...)."""
    return not jax.tree.leaves(node)


def align(value: Any, tree: Any) -> Any:
    """Drop from a per-leaf ``value`` the subtrees that are empty in ``tree``.

    A per-coordinate strength has the structure of the full parameters; when some
    parameters are excluded by replacing them with an empty node (as ``optax.masked``
    does with ``MaskedNode()``), the matching parts of ``value`` are replaced by the
    same empty node so that the two structures still match. Scalars, and values whose
    structure does not fit ``tree``, are returned unchanged (a mismatch is reported by
    `per_leaf`).
    """
    value_def = jax.tree.structure(value)
    if value_def.num_leaves <= 1 and value_def.num_nodes <= 1:
        return value
    try:
        return jax.tree.map(lambda t, v: t if _is_empty(t) else v, tree, value, is_leaf=_is_empty)
    except (ValueError, TypeError):
        return value


def _matching(value: Any, tree: Any, name: str, **options: Any) -> Any:
    """``value`` aligned with ``tree`` (see `align`) and checked against it.

    Raises:
      ValueError: naming ``name`` if ``value`` is neither a scalar nor a pytree
        matching ``tree`` (``options`` as in `per_leaf`).
    """
    value = align(value, tree)
    per_leaf(value, tree, name, **options)
    return value


class _StaticTree:
    """A hashable, read-only copy of a pytree of concrete arrays, kept as static metadata.

    Used for ``groups``: group ids are structure, not data, so they must not be traced
    or ``vmap``-ed with the strengths; hashing them lets ``jax.jit`` cache on them.
    """

    __slots__ = ("_key", "tree")

    def __init__(self, tree: Any, name: str) -> None:
        leaves, tree_def = jax.tree.flatten(tree)
        arrays = []
        for leaf in leaves:
            if isinstance(leaf, jax.core.Tracer):
                raise ValueError(f"{name} must be concrete (it is static), got a tracer.")
            array = np.array(leaf)
            array.setflags(write=False)
            arrays.append(array)
        self.tree = jax.tree.unflatten(tree_def, arrays)
        self._key = (tree_def, tuple((a.shape, a.dtype.str, a.tobytes()) for a in arrays))

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _StaticTree) and self._key == other._key

    def __repr__(self) -> str:
        return repr(self.tree)


def _static_groups(groups: Any) -> Any:
    if groups is None or isinstance(groups, _StaticTree):
        return groups
    return _StaticTree(groups, "groups")


def _is_zero(value: Any) -> bool:
    """Whether ``value`` is a concrete scalar 0 (a Python or NumPy number; never a tracer
    or a device array, whose value would have to be fetched)."""
    return isinstance(value, int | float | np.generic | np.ndarray) and (
        np.ndim(value) == 0 and value == 0
    )


def _times(factor: float, value: Any) -> Any:
    return jax.tree.map(lambda v: factor * v, value)


def _static(default: Any) -> Any:
    return dataclasses.field(default=default, kw_only=True, metadata={"static": True})


class Penalty:
    r"""Base class of the penalty objects.

    Subclasses define ``value(tree)`` (the scalar $g(\text{tree})$) and
    ``prox(tree, scaling=1.0)``
    ($\operatorname{argmin}_y \tfrac12\|x - y\|^2 + s\,g(y)$), and set the class
    attribute ``separable``. Calling the object returns its value, as a Keras
    regularizer does. A subclass registered as a pytree works with the transforms of
    `jreg.transforms` (``separable`` only if it accepts a pytree ``scaling``).

    Examples:
      >>> import dataclasses
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import prox
      >>> from jreg.penalties import L1, Penalty
      >>> @jax.tree_util.register_dataclass
      ... @dataclasses.dataclass(frozen=True)
      ... class WeightDecay(Penalty):  # g(w) = ½ · strength · Σ w², as optax's weight decay
      ...     strength: float = 1e-4
      ...     separable = True
      ...     def value(self, tree):
      ...         return sum(0.5 * self.strength * jnp.sum(w**2) for w in jax.tree.leaves(tree))
      ...     def prox(self, tree, scaling=1.0):
      ...         return prox.squared_l2(tree, self.strength, scaling)
      >>> float(WeightDecay(0.5)(jnp.array([1.0, 2.0])))
      1.25
      >>> print(WeightDecay(0.5).prox(jnp.array([1.0, 2.0]), scaling=2.0))
      [0.5 1. ]
      >>> isinstance(L1(0.1), Penalty), L1(0.1).separable
      (True, True)
    """

    separable: ClassVar[bool] = False

    def value(self, tree: Any) -> jax.Array:
        """The penalty $g(\\text{tree})$, a scalar."""
        raise NotImplementedError

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        """The proximal operator of ``scaling * g`` at ``tree``."""
        raise NotImplementedError

    def __call__(self, tree: Any) -> jax.Array:
        return self.value(tree)


class Constraint(Penalty):
    r"""Base class of the constraint objects: $g = \iota_C$ (0 on ``C``, ``inf`` off).

    ``value`` accepts points that lie in the set up to the rounding of a projection (a
    relative tolerance of ``4·n·eps`` for a leaf of ``n`` coordinates), so that
    ``value(prox(x)) == 0``; ``prox`` is the Euclidean projection onto ``C`` and ignores
    ``scaling``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import Constraint, L2Ball
      >>> ball = L2Ball(1.0)
      >>> isinstance(ball, Constraint)
      True
      >>> x = jnp.array([3.0, 4.0])
      >>> float(ball.value(x)), float(ball.value(ball.prox(x)))
      (inf, 0.0)
    """

    def value(self, tree: Any) -> jax.Array:
        inside = [jnp.all(ok) for ok in self._inside(tree)]
        feasible = jnp.all(jnp.stack(inside)) if inside else jnp.bool_(True)
        leaves = _leaves(tree)
        dtype = jnp.result_type(*leaves) if leaves else jnp.result_type(float)
        return jnp.where(feasible, jnp.zeros((), dtype), jnp.asarray(jnp.inf, dtype))

    def _inside(self, tree: Any) -> list[jax.Array]:
        raise NotImplementedError


def _tolerance(x: jax.Array) -> jax.Array:
    return 4 * max(x.size, 1) * jnp.finfo(x.dtype).eps


# --------------------------------------------------------------------------------------
# Keras and scikit-learn penalties (separable)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class L1(Penalty):
    r"""Keras' L1 regularizer: $g(w) = \ell_1 \sum_i |w_i|$.

    ``L1(l1)`` is ``keras.regularizers.L1(l1)`` (no $\tfrac12$); its prox is soft
    thresholding, `jreg.prox.l1` with strength ``l1``:
    $\operatorname{sign}(x)\max(|x| - s\,\ell_1, 0)$.

    Args:
      l1: $\ell_1 \ge 0$, a scalar or a pytree matching the parameters whose
        leaves broadcast against the matching leaf (per-coordinate weights). Keras'
        default 0.01.

    Raises:
      ValueError: if a concrete ``l1`` is negative or not finite; when applied, if it
        does not match the parameters.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import L1
      >>> penalty = L1(0.5)
      >>> float(penalty.value(jnp.array([1.0, -2.0])))
      1.5
      >>> print(penalty.prox(jnp.array([1.0, -2.0]), scaling=2.0))
      [ 0. -1.]
    """

    l1: Any = 0.01
    separable: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_strength(self.l1, "l1")

    def value(self, tree: Any) -> jax.Array:
        return _f.l1(tree, _matching(self.l1, tree, "l1"))

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        return _prox.l1(tree, _matching(self.l1, tree, "l1"), scaling)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class L2(Penalty):
    r"""Keras' L2 regularizer: $g(w) = \ell_2 \sum_i w_i^2$ (no $\tfrac12$).

    ``L2(l2)`` is ``keras.regularizers.L2(l2)``; its gradient is $2\ell_2 w$ and
    its prox is `jreg.prox.squared_l2` with strength ``2 * l2``:
    $x / (1 + 2 s \ell_2)$.

    Args:
      l2: $\ell_2 \ge 0$, a scalar or a pytree matching the parameters whose
        leaves broadcast against the matching leaf. Keras' default 0.01.

    Raises:
      ValueError: if a concrete ``l2`` is negative or not finite; when applied, if it
        does not match the parameters.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import L2
      >>> float(L2(0.5).value(jnp.array([1.0, -2.0])))
      2.5
      >>> print(L2(0.5).prox(jnp.array([1.0, -2.0])))
      [ 0.5 -1. ]
    """

    l2: Any = 0.01
    separable: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_strength(self.l2, "l2")

    def value(self, tree: Any) -> jax.Array:
        return _f.squared_l2(tree, _times(2, _matching(self.l2, tree, "l2")))

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        return _prox.squared_l2(tree, _times(2, _matching(self.l2, tree, "l2")), scaling)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class L1L2(Penalty):
    r"""Keras' L1L2 regularizer: $g(w) = \ell_1 \sum_i |w_i| + \ell_2 \sum_i w_i^2$.

    ``L1L2(l1, l2)`` is ``keras.regularizers.L1L2(l1, l2)`` (no $\tfrac12$). Its
    prox is soft thresholding followed by shrinkage,
    $\operatorname{sign}(x)\max(|x| - s\ell_1, 0) / (1 + 2 s \ell_2)$, computed as
    ``prox.squared_l2(prox.l1(x, l1, s), 2 * l2, s)`` (exact: the prox of the sum of
    an L1 and a squared L2 term is the composition).

    Args:
      l1: $\ell_1 \ge 0$, a scalar or a pytree matching the parameters. Keras'
        default 0.0.
      l2: $\ell_2 \ge 0$, like ``l1``. Keras' default 0.0.

    Raises:
      ValueError: if a concrete ``l1`` or ``l2`` is negative or not finite; when
        applied, if one does not match the parameters.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import L1L2
      >>> penalty = L1L2(l1=1.0, l2=0.5)
      >>> float(penalty.value(jnp.array([1.0, -2.0])))
      5.5
      >>> print(penalty.prox(jnp.array([0.5, -3.0])))
      [ 0. -1.]
    """

    l1: Any = 0.0
    l2: Any = 0.0
    separable: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_strength(self.l1, "l1")
        _check_strength(self.l2, "l2")

    def value(self, tree: Any) -> jax.Array:
        l1 = _matching(self.l1, tree, "l1")
        l2 = _matching(self.l2, tree, "l2")
        # as Keras, a term whose strength is a concrete 0 is not computed (one pass over
        # the tree fewer: L1L2(l1=...) or L1L2(l2=...) costs what L1 or L2 costs)
        if _is_zero(l2) and not _is_zero(l1):
            return _f.l1(tree, l1)
        if _is_zero(l1) and not _is_zero(l2):
            return _f.squared_l2(tree, _times(2, l2))
        return _f.l1(tree, l1) + _f.squared_l2(tree, _times(2, l2))

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        l1 = _matching(self.l1, tree, "l1")
        l2 = _matching(self.l2, tree, "l2")
        return _prox.squared_l2(_prox.l1(tree, l1, scaling), _times(2, l2), scaling)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class ElasticNet(Penalty):
    r"""scikit-learn's elastic-net penalty.

    $$
    g(w) = \alpha\rho \sum_i |w_i| + \tfrac{1}{2}\alpha(1 - \rho) \sum_i w_i^2,
    $$

    with $\alpha$ = ``alpha`` and $\rho$ = ``l1_ratio``, exactly the penalty
    of ``sklearn.linear_model.ElasticNet`` (whose data term is
    $\tfrac{1}{2n}\|y - Xw\|^2$). Its prox is `jreg.prox.elastic_net`. This
    is the penalty; the estimator is ``jreg.ElasticNet``.

    Args:
      alpha: $\alpha \ge 0$, a scalar or a pytree matching the parameters.
      l1_ratio: $\rho \in [0, 1]$ (1 is the Lasso), a scalar or a pytree like
        ``alpha``.
      positive: also constrain the parameters to be non-negative (static).

    Raises:
      ValueError: if a concrete ``alpha`` is negative or ``l1_ratio`` lies outside
        [0, 1]; when applied, if one does not match the parameters.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import ElasticNet
      >>> penalty = ElasticNet(alpha=2.0, l1_ratio=0.5)
      >>> float(penalty.value(jnp.array([1.0, -2.0])))
      5.5
      >>> print(penalty.prox(jnp.array([3.0, 0.5])))
      [1. 0.]
    """

    alpha: Any = 1.0
    l1_ratio: Any = 0.5
    positive: bool = _static(False)
    separable: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_strength(self.alpha, "alpha")
        check_interval(_numeric(self.l1_ratio), "l1_ratio", 0.0, 1.0)

    def value(self, tree: Any) -> jax.Array:
        alpha = _matching(self.alpha, tree, "alpha")
        ratio = _matching(self.l1_ratio, tree, "l1_ratio")
        return _f.elastic_net(tree, alpha, ratio, positive=self.positive)

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        alpha = _matching(self.alpha, tree, "alpha")
        ratio = _matching(self.l1_ratio, tree, "l1_ratio")
        return _prox.elastic_net(tree, alpha, ratio, scaling, positive=self.positive)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class MCP(Penalty):
    r"""Minimax concave penalty (Zhang, 2010), non-convex and separable.

    $g(w) = \sum_i p_{\lambda,\gamma}(w_i)$ with
    $p(t) = \lambda|t| - t^2/(2\gamma)$ for $|t| \le \gamma\lambda$ and
    $\tfrac12\gamma\lambda^2$ beyond (see `jreg.penalties.mcp`). Its prox
    is firm thresholding, `jreg.prox.mcp`, defined for ``gamma > scaling``.

    Args:
      strength: $\lambda \ge 0$, a scalar or a pytree matching the parameters.
      gamma: $\gamma > 0$ (default 3, as ncvreg and skglm), like ``strength``.
      positive: also constrain the parameters to be non-negative (static).

    Raises:
      ValueError: if a concrete ``strength`` is negative or ``gamma`` not positive.

    References:
      Zhang, C.-H. (2010). Nearly unbiased variable selection under minimax concave
      penalty. The Annals of Statistics, 38(2), 894-942.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import MCP
      >>> print(MCP(1.0, gamma=3.0).prox(jnp.array([0.5, 2.0, 4.0])))
      [0.  1.5 4. ]
    """

    strength: Any
    gamma: Any = 3.0
    positive: bool = _static(False)
    separable: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_strength(self.strength, "strength")
        check_positive(_numeric(self.gamma), "gamma")

    def value(self, tree: Any) -> jax.Array:
        strength = _matching(self.strength, tree, "strength")
        gamma = _matching(self.gamma, tree, "gamma")
        return _f.mcp(tree, strength, gamma, positive=self.positive)

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        strength = _matching(self.strength, tree, "strength")
        gamma = _matching(self.gamma, tree, "gamma")
        return _prox.mcp(tree, strength, gamma, scaling, positive=self.positive)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class SCAD(Penalty):
    r"""Smoothly clipped absolute deviation (Fan & Li, 2001), non-convex and separable.

    $g(w) = \sum_i p_{\lambda,\gamma}(w_i)$, linear ($\lambda|t|$) up to
    $\lambda$, quadratic up to $\gamma\lambda$, then constant
    $\tfrac12(\gamma + 1)\lambda^2$ (see `jreg.penalties.scad`). Its prox is
    `jreg.prox.scad`, defined for ``gamma > 1 + scaling``.

    Args:
      strength: $\lambda \ge 0$, a scalar or a pytree matching the parameters.
      gamma: $\gamma > 1$ (default 3.7, Fan & Li's choice), like ``strength``.
      positive: also constrain the parameters to be non-negative (static).

    Raises:
      ValueError: if a concrete ``strength`` is negative or ``gamma`` not above 1.

    References:
      Fan, J. and Li, R. (2001). Variable selection via nonconcave penalized likelihood
      and its oracle properties. Journal of the American Statistical Association,
      96(456), 1348-1360.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import SCAD
      >>> print(SCAD(1.0, gamma=4.0).prox(jnp.array([0.5, 1.5, 3.0, 5.0])))
      [0.  0.5 2.5 5. ]
    """

    strength: Any
    gamma: Any = 3.7
    positive: bool = _static(False)
    separable: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_strength(self.strength, "strength")
        check_interval(_numeric(self.gamma), "gamma", 1.0, float("inf"), low_inclusive=False)

    def value(self, tree: Any) -> jax.Array:
        strength = _matching(self.strength, tree, "strength")
        gamma = _matching(self.gamma, tree, "gamma")
        return _f.scad(tree, strength, gamma, positive=self.positive)

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        strength = _matching(self.strength, tree, "strength")
        gamma = _matching(self.gamma, tree, "gamma")
        return _prox.scad(tree, strength, gamma, scaling, positive=self.positive)


# --------------------------------------------------------------------------------------
# Norms of whole leaves (not separable)


class _LeafNorm(Penalty):
    """A norm of each leaf (or of each matrix / signal of a leaf) times a strength."""

    _options: ClassVar[dict[str, Any]] = {"scalar": True}

    def __post_init__(self) -> None:
        _check_strength(self.strength, "strength")

    def _strength(self, tree: Any) -> Any:
        return _matching(self.strength, tree, "strength", **self._options)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class L2Norm(_LeafNorm):
    r"""Euclidean norm of each leaf: $g(w) = \lambda \sum_\ell \|w_\ell\|_2$.

    Not squared (compare `L2`). Each parameter array is one group; its prox is
    block soft thresholding, `jreg.prox.l2_norm`.

    Args:
      strength: $\lambda \ge 0$, a scalar or a pytree of scalars (one per leaf).

    Raises:
      ValueError: if a concrete ``strength`` is negative; when applied, if it does not
        match the parameters.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import L2Norm
      >>> float(L2Norm(2.0).value(jnp.array([3.0, 4.0])))
      10.0
    """

    strength: Any

    def value(self, tree: Any) -> jax.Array:
        return _f.l2_norm(tree, self._strength(tree))

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        return _prox.l2_norm(tree, self._strength(tree), scaling)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class LinfNorm(_LeafNorm):
    r"""Max-norm of each leaf: $g(w) = \lambda \sum_\ell \max_i |w_{\ell,i}|$.

    Its prox is `jreg.prox.linf_norm` (Moreau decomposition with the projection
    onto the L1 ball).

    Args:
      strength: $\lambda \ge 0$, a scalar or a pytree of scalars (one per leaf).

    Raises:
      ValueError: if a concrete ``strength`` is negative; when applied, if it does not
        match the parameters.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import LinfNorm
      >>> float(LinfNorm(2.0).value(jnp.array([3.0, -4.0])))
      8.0
    """

    strength: Any

    def value(self, tree: Any) -> jax.Array:
        return _f.linf_norm(tree, self._strength(tree))

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        return _prox.linf_norm(tree, self._strength(tree), scaling)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class NuclearNorm(_LeafNorm):
    r"""Nuclear norm of each matrix leaf: $g(W) = \lambda \sum_\ell \|W_\ell\|_*$.

    The sum of singular values over the last two axes (a low-rank prior); its prox is
    singular value soft thresholding, `jreg.prox.nuclear_norm`.

    Args:
      strength: $\lambda \ge 0$, a scalar or a pytree matching the parameters
        whose leaves broadcast against ``leaf.shape[:-2]`` (one per matrix).

    Raises:
      ValueError: if a concrete ``strength`` is negative; when applied, if it does not
        match the parameters or a leaf is not a matrix.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import NuclearNorm
      >>> round(float(NuclearNorm(1.0).value(jnp.array([[3.0, 0.0], [0.0, 4.0]]))), 4)
      7.0
    """

    strength: Any
    _options: ClassVar[dict[str, Any]] = {"batch_axes": 2}

    def value(self, tree: Any) -> jax.Array:
        return _f.nuclear_norm(tree, self._strength(tree))

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        return _prox.nuclear_norm(tree, self._strength(tree), scaling)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class TotalVariation1D(_LeafNorm):
    r"""1-D total variation along the last axis: $\lambda \sum |w_{i+1} - w_i|$.

    Its prox (exact, not iterative) is `jreg.prox.total_variation_1d`.

    Args:
      strength: $\lambda \ge 0$, a scalar or a pytree matching the parameters
        whose leaves broadcast against ``leaf.shape[:-1]`` (one per signal).

    Raises:
      ValueError: if a concrete ``strength`` is negative; when applied, if it does not
        match the parameters.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import TotalVariation1D
      >>> float(TotalVariation1D(0.5).value(jnp.array([0.0, 2.0, 2.0, -1.0])))
      2.5
    """

    strength: Any
    _options: ClassVar[dict[str, Any]] = {"batch_axes": 1}

    def value(self, tree: Any) -> jax.Array:
        return _f.total_variation_1d(tree, self._strength(tree))

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        return _prox.total_variation_1d(tree, self._strength(tree), scaling)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class GroupLasso(Penalty):
    r"""Group lasso: $g(w) = \sum_g \lambda_g \|w_g\|_2$ (unsquared norms).

    With ``groups=None`` every parameter array is one group (as `L2Norm`);
    otherwise ``groups`` holds integer group ids per coordinate of each leaf (see
    `jreg.penalties.group_lasso`). Its prox is block soft thresholding,
    `jreg.prox.group_lasso`. ``groups`` and ``num_groups`` are static: a copy of
    the ids is kept, hashed, and never traced.

    Args:
      strength: $\lambda \ge 0$: a scalar, or a pytree matching the parameters
        whose leaves are scalars or 1-D arrays with one strength per group.
      groups: ``None`` or integer group ids (an array for a single-array model, else a
        pytree of arrays matching the parameters), concrete.
      num_groups: number of groups per leaf (static int), inferred when ``None``.

    Raises:
      ValueError: if a concrete ``strength`` is negative or ``groups`` is traced; when
        applied, if ``strength`` or ``groups`` do not match the parameters.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import GroupLasso
      >>> penalty = GroupLasso(1.0, groups=jnp.array([0, 0, 1, 1]))
      >>> float(penalty.value(jnp.array([3.0, 4.0, 0.0, 2.0])))
      7.0
      >>> print(penalty.prox(jnp.array([3.0, 4.0, 0.3, 0.4])))
      [2.4 3.2 0.  0. ]
    """

    strength: Any
    groups: Any = _static(None)
    num_groups: int | None = _static(None)

    def __post_init__(self) -> None:
        _check_strength(self.strength, "strength")
        object.__setattr__(self, "groups", _static_groups(self.groups))

    def _arguments(self, tree: Any) -> tuple[Any, dict[str, Any]]:
        strength = align(self.strength, tree)
        groups = None if self.groups is None else align(self.groups.tree, tree)
        return strength, {"groups": groups, "num_groups": self.num_groups}

    def value(self, tree: Any) -> jax.Array:
        strength, options = self._arguments(tree)
        if options["groups"] is None:
            return _f.l2_norm(tree, _matching(strength, tree, "strength", scalar=True))
        return _f.group_lasso(tree, strength, **options)

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        strength, options = self._arguments(tree)
        if options["groups"] is None:
            strength = _matching(strength, tree, "strength", scalar=True)
        return _prox.group_lasso(tree, strength, scaling, **options)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class SparseGroupLasso(Penalty):
    r"""Sparse group lasso: $\sum_g \lambda_g(\rho_g\|w_g\|_1 + (1 - \rho_g)\|w_g\|_2)$.

    ``groups`` as in `GroupLasso` (``None``: each leaf is one group). Its prox
    (soft threshold, then group shrinkage) is `jreg.prox.sparse_group_lasso`.

    Args:
      strength: $\lambda \ge 0$, as in `GroupLasso`.
      l1_ratio: $\rho \in [0, 1]$ (1 is the lasso, 0 the group lasso), like
        ``strength``.
      groups: as in `GroupLasso` (static).
      num_groups: as in `GroupLasso` (static).

    Raises:
      ValueError: if a concrete ``strength`` is negative or ``l1_ratio`` lies outside
        [0, 1]; when applied, if an argument does not match the parameters.

    References:
      Simon, N., Friedman, J., Hastie, T. and Tibshirani, R. (2013). A sparse-group
      lasso. Journal of Computational and Graphical Statistics, 22(2), 231-245.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import SparseGroupLasso
      >>> penalty = SparseGroupLasso(2.0, 0.5, groups=jnp.array([0, 0, 1, 1]))
      >>> float(penalty.value(jnp.array([3.0, -4.0, 0.0, 2.0])))
      16.0
    """

    strength: Any
    l1_ratio: Any = 0.5
    groups: Any = _static(None)
    num_groups: int | None = _static(None)

    def __post_init__(self) -> None:
        _check_strength(self.strength, "strength")
        check_interval(_numeric(self.l1_ratio), "l1_ratio", 0.0, 1.0)
        object.__setattr__(self, "groups", _static_groups(self.groups))

    def _arguments(self, tree: Any) -> tuple[Any, Any, dict[str, Any]]:
        strength, ratio = align(self.strength, tree), align(self.l1_ratio, tree)
        groups = None if self.groups is None else align(self.groups.tree, tree)
        if groups is None:
            strength = _matching(strength, tree, "strength", scalar=True)
            ratio = _matching(ratio, tree, "l1_ratio", scalar=True)
        return strength, ratio, {"groups": groups, "num_groups": self.num_groups}

    def value(self, tree: Any) -> jax.Array:
        strength, ratio, options = self._arguments(tree)
        return _f.sparse_group_lasso(tree, strength, ratio, **options)

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        strength, ratio, options = self._arguments(tree)
        return _prox.sparse_group_lasso(tree, strength, ratio, scaling, **options)


# --------------------------------------------------------------------------------------
# Constraints


def _leaves(tree: Any) -> list[jax.Array]:
    return [as_float(x) for x in jax.tree.leaves(tree)]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class NonNegative(Constraint):
    r"""The non-negative orthant, $\{w : w \ge 0\}$ (separable).

    Its prox is `jreg.prox.projection_non_negative`, $\max(w, 0)$ (Keras'
    ``NonNeg`` constraint).

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import NonNegative
      >>> print(NonNegative().prox(jnp.array([-1.0, 2.0])))
      [0. 2.]
      >>> float(NonNegative().value(jnp.array([-1.0, 2.0])))
      inf
    """

    separable: ClassVar[bool] = True

    def _inside(self, tree: Any) -> list[jax.Array]:
        return [x >= 0 for x in _leaves(tree)]

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        del scaling
        return _prox.projection_non_negative(tree)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class Box(Constraint):
    r"""The box $\{w : \ell \le w \le u\}$ (separable).

    Its prox is `jreg.prox.projection_box`, $\min(\max(w, \ell), u)$.

    Args:
      lower: $\ell$, a scalar or a pytree matching the parameters (``-inf``
        allowed).
      upper: $u \ge \ell$, like ``lower`` (``inf`` allowed).

    Raises:
      ValueError: if a concrete ``lower`` exceeds ``upper`` or one is NaN; when
        applied, if one does not match the parameters.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import Box
      >>> print(Box(-1.0, 1.0).prox(jnp.array([-2.0, 0.5, 3.0])))
      [-1.   0.5  1. ]
    """

    lower: Any
    upper: Any
    separable: ClassVar[bool] = True

    def __post_init__(self) -> None:
        lows, highs = _numeric(self.lower), _numeric(self.upper)
        for name, values in (("lower", lows), ("upper", highs)):
            check_interval(values, name, -np.inf, np.inf)  # numbers, not NaN
        if len(lows) != len(jax.tree.leaves(self.lower)) or len(highs) != len(
            jax.tree.leaves(self.upper)
        ):
            return  # traced bounds cannot be checked
        if len(lows) == 1:
            lows = lows * len(highs)
        if len(highs) == 1:
            highs = highs * len(lows)
        for lo, up in zip(lows, highs, strict=False):
            try:
                exceeds = np.any(np.asarray(lo) > np.asarray(up))
            except ValueError:  # shapes that do not broadcast are reported when applied
                continue
            if exceeds:
                raise ValueError("lower must not exceed upper.")

    def _inside(self, tree: Any) -> list[jax.Array]:
        lowers = per_leaf(_matching(self.lower, tree, "lower"), tree, "lower")
        uppers = per_leaf(_matching(self.upper, tree, "upper"), tree, "upper")
        return [
            (x >= jnp.asarray(lo, x.dtype)) & (x <= jnp.asarray(up, x.dtype))
            for x, lo, up in zip(_leaves(tree), lowers, uppers, strict=True)
        ]

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        del scaling
        lower = _matching(self.lower, tree, "lower")
        upper = _matching(self.upper, tree, "upper")
        return _prox.projection_box(tree, lower, upper)


class _Ball(Constraint):
    def __post_init__(self) -> None:
        check_nonnegative(_numeric(self.radius), "radius")

    def _radius(self, tree: Any) -> list[Any]:
        return per_leaf(_matching(self.radius, tree, "radius"), tree, "radius", scalar=True)

    def _inside(self, tree: Any) -> list[jax.Array]:
        out = []
        for x, r in zip(_leaves(tree), self._radius(tree), strict=True):
            r = jnp.asarray(r, x.dtype)
            out.append(self._norm(x) <= r * (1 + _tolerance(x)))
        return out


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class L1Ball(_Ball):
    r"""The L1 ball of each leaf, $\{w : \|w_\ell\|_1 \le r\}$.

    Its prox is `jreg.prox.projection_l1_ball` (exact, by sorting).

    Args:
      radius: $r \ge 0$, a scalar or a pytree of scalars (one per leaf).

    Raises:
      ValueError: if a concrete ``radius`` is negative.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import L1Ball
      >>> print(L1Ball(2.0).prox(jnp.array([2.0, -1.0, 0.25])))
      [ 1.5 -0.5  0. ]
    """

    radius: Any = 1.0

    @staticmethod
    def _norm(x: jax.Array) -> jax.Array:
        return jnp.sum(jnp.abs(x))

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        del scaling
        return _prox.projection_l1_ball(tree, _matching(self.radius, tree, "radius"))


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class L2Ball(_Ball):
    r"""The Euclidean ball of each leaf, $\{w : \|w_\ell\|_2 \le r\}$.

    Its prox is `jreg.prox.projection_l2_ball`,
    $w \min(1, r / \|w\|_2)$.

    Args:
      radius: $r \ge 0$, a scalar or a pytree of scalars (one per leaf).

    Raises:
      ValueError: if a concrete ``radius`` is negative.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import L2Ball
      >>> print(L2Ball(1.0).prox(jnp.array([3.0, 4.0])))
      [0.6 0.8]
    """

    radius: Any = 1.0

    @staticmethod
    def _norm(x: jax.Array) -> jax.Array:
        return jnp.sqrt(jnp.sum(x * x))

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        del scaling
        return _prox.projection_l2_ball(tree, _matching(self.radius, tree, "radius"))


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class LinfBall(_Ball):
    r"""The max-norm ball of each leaf, $\{w : \|w_\ell\|_\infty \le r\}$ (separable).

    Its prox is `jreg.prox.projection_linf_ball`, $\min(\max(w, -r), r)$.

    Args:
      radius: $r \ge 0$, a scalar or a pytree of scalars (one per leaf).

    Raises:
      ValueError: if a concrete ``radius`` is negative.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import LinfBall
      >>> print(LinfBall(1.0).prox(jnp.array([3.0, -0.5, -4.0])))
      [ 1.  -0.5 -1. ]
    """

    radius: Any = 1.0
    separable: ClassVar[bool] = True

    @staticmethod
    def _norm(x: jax.Array) -> jax.Array:
        return jnp.max(jnp.abs(x), initial=0)

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        del scaling
        return _prox.projection_linf_ball(tree, _matching(self.radius, tree, "radius"))


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class Simplex(Constraint):
    r"""The simplex of each leaf, $\{w : w \ge 0,\ \sum_i w_{\ell,i} = t\}$.

    Its prox is `jreg.prox.projection_simplex` (exact, by sorting); the sum runs
    over all the coordinates of a leaf.

    Args:
      total: $t > 0$, a scalar or a pytree of scalars (one per leaf).

    Raises:
      ValueError: if a concrete ``total`` is not positive.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.penalties import Simplex
      >>> print(Simplex().prox(jnp.array([1.0, 0.5, -1.0])))
      [0.75 0.25 0.  ]
    """

    total: Any = 1.0

    def __post_init__(self) -> None:
        check_positive(_numeric(self.total), "total")

    def _inside(self, tree: Any) -> list[jax.Array]:
        totals = per_leaf(_matching(self.total, tree, "total"), tree, "total", scalar=True)
        out = []
        for x, t in zip(_leaves(tree), totals, strict=True):
            t = jnp.asarray(t, x.dtype)
            close = jnp.abs(jnp.sum(x) - t) <= _tolerance(x) * jnp.maximum(t, 1)
            out.append(jnp.all(x >= 0) & close)
        return out

    def prox(self, tree: Any, scaling: Any = 1.0) -> Any:
        del scaling
        return _prox.projection_simplex(tree, _matching(self.total, tree, "total"))
