"""Tests for ``jreg.penalties``: penalty values and penalty objects.

Values are checked against hand computations in numpy float64 (weighted, pytree,
positive variants), objects against the Keras / scikit-learn formulas and against the
functions, and every object's ``value`` against its ``prox`` (the prox must minimise
``½‖x − y‖² + s·value(y)``, which catches any mismatch of constants such as a missing
½). Objects are checked to be pytrees: jit with the penalty as an argument, vmap over a
batch of strengths, grad with respect to a strength, float32 preserved.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jreg import penalties, prox
from jreg.penalties import (
    L1,
    L1L2,
    L2,
    MCP,
    SCAD,
    Box,
    ElasticNet,
    GroupLasso,
    L1Ball,
    L2Ball,
    L2Norm,
    LinfBall,
    LinfNorm,
    NonNegative,
    Simplex,
    SparseGroupLasso,
    TotalVariation1D,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4))
V = RNG.normal(size=5)
TREE = {"w": X, "b": V}


def np_mcp(t, lam, gamma):
    a = np.abs(t)
    return np.where(a <= gamma * lam, lam * a - t**2 / (2 * gamma), 0.5 * gamma * lam**2)


def np_scad(t, lam, gamma):
    a = np.abs(t)
    middle = (2 * gamma * lam * a - t**2 - lam**2) / (2 * (gamma - 1))
    return np.where(
        a <= lam, lam * a, np.where(a <= gamma * lam, middle, 0.5 * (gamma + 1) * lam**2)
    )


# --------------------------------------------------------------------------------------
# penalty functions: hand computations

W = np.abs(RNG.normal(size=(3, 4))) + 0.1  # per-coordinate weights for "w"
GROUPS = np.array([0, 0, 1, 2])  # column groups of the (3, 4) leaf "w"
VALUE_CASES = {
    "l1": (
        lambda: penalties.l1(TREE, 0.3),
        0.3 * (np.abs(X).sum() + np.abs(V).sum()),
    ),
    "l1_weighted": (
        lambda: penalties.l1(TREE, {"w": W, "b": 2.0}),
        (W * np.abs(X)).sum() + 2.0 * np.abs(V).sum(),
    ),
    "squared_l2": (
        lambda: penalties.squared_l2(TREE, 0.3),
        0.5 * 0.3 * ((X**2).sum() + (V**2).sum()),
    ),
    "elastic_net": (
        lambda: penalties.elastic_net(TREE, 0.8, 0.25),
        0.8
        * (0.25 * (np.abs(X).sum() + np.abs(V).sum()) + 0.5 * 0.75 * ((X**2).sum() + (V**2).sum())),
    ),
    "l2_norm": (
        lambda: penalties.l2_norm(TREE, {"w": 0.5, "b": 2.0}),
        0.5 * np.linalg.norm(X) + 2.0 * np.linalg.norm(V),
    ),
    "linf_norm": (
        lambda: penalties.linf_norm(TREE, 0.7),
        0.7 * (np.abs(X).max() + np.abs(V).max()),
    ),
    "nuclear_norm": (
        lambda: penalties.nuclear_norm(X, 1.5),
        1.5 * np.linalg.svd(X, compute_uv=False).sum(),
    ),
    "nuclear_norm_batch": (
        lambda: penalties.nuclear_norm(np.stack([X, 2 * X]), np.array([1.0, 3.0])),
        (1.0 + 6.0) * np.linalg.svd(X, compute_uv=False).sum(),
    ),
    "total_variation_1d": (
        lambda: penalties.total_variation_1d(TREE, 0.4),
        0.4 * (np.abs(np.diff(X, axis=-1)).sum() + np.abs(np.diff(V)).sum()),
    ),
    "mcp": (
        lambda: penalties.mcp(TREE, 0.6, 2.5),
        np_mcp(X, 0.6, 2.5).sum() + np_mcp(V, 0.6, 2.5).sum(),
    ),
    "scad": (
        lambda: penalties.scad(TREE, 0.6, 3.7),
        np_scad(X, 0.6, 3.7).sum() + np_scad(V, 0.6, 3.7).sum(),
    ),
    "group_lasso": (
        lambda: penalties.group_lasso(X, np.array([1.0, 2.0, 0.5]), groups=GROUPS),
        np.linalg.norm(X[:, :2]) + 2.0 * np.linalg.norm(X[:, 2]) + 0.5 * np.linalg.norm(X[:, 3]),
    ),
    "group_lasso_none": (
        lambda: penalties.group_lasso(TREE, 0.5),
        0.5 * (np.linalg.norm(X) + np.linalg.norm(V)),
    ),
    "sparse_group_lasso": (
        lambda: penalties.sparse_group_lasso(X, 2.0, 0.3, groups=GROUPS),
        2.0
        * (0.3 * np.abs(X).sum() + 0.7 * sum(np.linalg.norm(X[:, GROUPS == g]) for g in range(3))),
    ),
    "sparse_group_lasso_none": (
        lambda: penalties.sparse_group_lasso(V, 2.0, 0.3),
        2.0 * (0.3 * np.abs(V).sum() + 0.7 * np.linalg.norm(V)),
    ),
}


@pytest.mark.parametrize("name", sorted(VALUE_CASES))
def test_value_matches_hand_computation(name):
    compute, expected = VALUE_CASES[name]
    value = compute()
    assert value.shape == ()
    np.testing.assert_allclose(float(value), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "fn, args",
    [
        (penalties.l1, (0.3,)),
        (penalties.squared_l2, (0.3,)),
        (penalties.elastic_net, (0.3, 0.5)),
        (penalties.l2_norm, (0.3,)),
        (penalties.linf_norm, (0.3,)),
        (penalties.total_variation_1d, (0.3,)),
        (penalties.mcp, (0.3, 3.0)),
        (penalties.scad, (0.3, 3.7)),
    ],
)
def test_value_is_a_sum_over_leaves(fn, args):
    total = fn(TREE, *args)
    np.testing.assert_allclose(total, fn(X, *args) + fn(V, *args), rtol=1e-12)


def test_positive_adds_the_orthant_indicator():
    x = np.array([1.0, 2.0])
    for fn, args in [
        (penalties.l1, (1.0,)),
        (penalties.squared_l2, (1.0,)),
        (penalties.elastic_net, (1.0, 0.5)),
        (penalties.mcp, (1.0, 3.0)),
        (penalties.scad, (1.0, 3.7)),
    ]:
        assert float(fn(x, *args, positive=True)) == float(fn(x, *args))
        assert float(fn(-x, *args, positive=True)) == np.inf


def test_float32_values_stay_float32():
    x = jnp.asarray(X, jnp.float32)
    for value in (
        penalties.l1(x, 0.5),
        penalties.elastic_net(x, 0.5, 0.5),
        penalties.nuclear_norm(x, 0.5),
        L2(0.1).value(x),
        GroupLasso(1.0, groups=GROUPS).value(x),
        NonNegative().value(x),
        L2Ball(1.0).value(x),
        Box(-1.0, 1.0).value({"w": x, "b": x[0]}),
    ):
        assert value.dtype == jnp.float32


def test_gradients_use_the_minimum_norm_subgradient():
    """sign(0) = 0 for L1 (as TensorFlow/Keras) and no NaN at a zero group."""
    x = jnp.array([0.0, 2.0, -3.0])
    np.testing.assert_array_equal(jax.grad(penalties.l1)(x, 0.5), [0.0, 0.5, -0.5])
    np.testing.assert_array_equal(jax.grad(L2(0.5).value)(x), x)  # 2·l2·w
    np.testing.assert_array_equal(jax.grad(penalties.l2_norm)(jnp.zeros(3), 1.0), np.zeros(3))
    groups = np.array([0, 0, 1])
    grad = jax.grad(lambda z: penalties.group_lasso(z, 1.0, groups=groups))(jnp.array([0.0, 0, 2]))
    np.testing.assert_array_equal(grad, [0.0, 0.0, 1.0])
    # nuclear norm: U_r V_rᵀ over the non-zero singular values only (0 at a zero matrix)
    nuclear = jax.grad(lambda m: penalties.nuclear_norm(m, 1.0))
    np.testing.assert_array_equal(nuclear(jnp.zeros((2, 3))), np.zeros((2, 3)))
    low_rank = jnp.array([[2.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(nuclear(low_rank), [[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    m = jnp.asarray(X)  # full rank: the gradient is U Vᵀ
    u, _, vh = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(nuclear(m), u @ vh, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------------------
# objects: Keras / scikit-learn meanings


def test_keras_and_sklearn_formulas():
    x = jnp.asarray(X)
    abs_sum, sq_sum = np.abs(X).sum(), (X**2).sum()
    np.testing.assert_allclose(L1(0.3).value(x), 0.3 * abs_sum, rtol=1e-12)
    np.testing.assert_allclose(L2(0.3).value(x), 0.3 * sq_sum, rtol=1e-12)  # no ½
    np.testing.assert_allclose(L1L2(0.2, 0.3).value(x), 0.2 * abs_sum + 0.3 * sq_sum, rtol=1e-12)
    np.testing.assert_allclose(
        ElasticNet(alpha=0.8, l1_ratio=0.25).value(x),
        0.8 * 0.25 * abs_sum + 0.5 * 0.8 * 0.75 * sq_sum,
        rtol=1e-12,
    )
    np.testing.assert_allclose(L1(0.3)(x), L1(0.3).value(x))  # callable like Keras
    assert L1().l1 == 0.01 and L2().l2 == 0.01  # Keras defaults
    assert L1L2().l1 == 0.0 and L1L2().l2 == 0.0
    assert ElasticNet().alpha == 1.0 and ElasticNet().l1_ratio == 0.5  # sklearn defaults


def test_object_prox_uses_the_matching_constants():
    x = jnp.asarray(X)
    np.testing.assert_allclose(L2(0.3).prox(x, 0.5), x / (1 + 2 * 0.3 * 0.5), rtol=1e-14)
    np.testing.assert_allclose(L1(0.3).prox(x, 0.5), prox.l1(x, 0.3, 0.5), rtol=1e-14)
    # L1L2 as an elastic net with strength l1 + 2·l2 and ratio l1 / (l1 + 2·l2).
    np.testing.assert_allclose(
        L1L2(0.2, 0.3).prox(x, 0.5), prox.elastic_net(x, 0.8, 0.25, 0.5), rtol=1e-13
    )
    np.testing.assert_allclose(
        ElasticNet(0.8, 0.25).prox(x, 0.5), prox.elastic_net(x, 0.8, 0.25, 0.5), rtol=1e-14
    )


def squared_distance(a, b):
    return sum(
        float(jnp.sum((u - v) ** 2)) for u, v in zip(*map(jax.tree.leaves, (a, b)), strict=True)
    )


OBJECTS = {
    "L1": L1(0.3),
    "L1_weighted": L1({"w": W, "b": 0.2}),
    "L2": L2(0.3),
    "L1L2": L1L2(0.2, 0.3),
    "ElasticNet": ElasticNet(0.8, 0.25),
    "ElasticNet_positive": ElasticNet(0.8, 0.25, positive=True),
    "MCP": MCP(0.5, 3.0),
    "SCAD": SCAD(0.5, 3.7),
    "L2Norm": L2Norm(0.6),
    "LinfNorm": LinfNorm(0.6),
    "TotalVariation1D": TotalVariation1D(0.6),
    "GroupLasso": GroupLasso(0.6, groups={"w": GROUPS, "b": np.zeros(5, int)}),
    "GroupLasso_none": GroupLasso({"w": 0.6, "b": 0.1}),
    "SparseGroupLasso": SparseGroupLasso(0.6, 0.4, groups={"w": GROUPS, "b": np.arange(5) % 2}),
}
CONSTRAINTS = {
    "NonNegative": NonNegative(),
    "Box": Box(-0.5, {"w": 0.3, "b": np.linspace(0.0, 1.0, 5)}),
    "L1Ball": L1Ball(1.5),
    "L2Ball": L2Ball({"w": 0.5, "b": 1.0}),
    "LinfBall": LinfBall(0.4),
    "Simplex": Simplex(2.0),
}


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_prox_minimises_the_value(name):
    """prox(x) minimises ½‖x − y‖² + s·value(y): value and prox share every constant."""
    penalty = OBJECTS[name]
    s = 0.7
    x = jax.tree.map(jnp.asarray, TREE)
    p = penalty.prox(x, s)

    def objective(y):
        return 0.5 * squared_distance(x, y) + s * penalty.value(y)

    best = float(objective(p))
    assert np.isfinite(best)
    rng = np.random.default_rng(1)
    for scale in (1e-1, 1e-3, 1e-5):
        for _ in range(5):
            noise = jax.tree.map(lambda a: rng.normal(size=a.shape), p)
            moved = jax.tree.map(lambda a, n, c=scale: a + c * n, p, noise)
            assert best <= float(objective(moved)) + 1e-12


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_constraint_value_and_projection(name):
    constraint = CONSTRAINTS[name]
    x = jax.tree.map(lambda a: 3 * jnp.asarray(a), TREE)
    p = constraint.prox(x, 0.7)  # scaling is ignored by a projection
    assert float(constraint.value(p)) == 0.0
    assert float(constraint.value(x)) == np.inf
    assert isinstance(constraint, penalties.Constraint)
    # The projection is the closest feasible point: compare with other feasible points.
    rng = np.random.default_rng(2)
    dist = squared_distance(x, p)
    for _ in range(5):
        q = constraint.prox(jax.tree.map(lambda a: a + rng.normal(size=a.shape), p))
        assert dist <= squared_distance(x, q) + 1e-10


def test_separable_flags():
    separable = {"L1", "L1_weighted", "L2", "L1L2", "ElasticNet", "ElasticNet_positive"}
    separable |= {"MCP", "SCAD", "NonNegative", "Box", "LinfBall"}
    for name, penalty in {**OBJECTS, **CONSTRAINTS}.items():
        assert penalty.separable == (name in separable), name


def test_separable_prox_accepts_per_coordinate_scaling():
    x = jnp.asarray(X)
    scaling = jnp.asarray(np.abs(RNG.normal(size=X.shape)))
    for penalty in (L1(0.3), L2(0.3), L1L2(0.2, 0.3), ElasticNet(0.8, 0.25), MCP(0.5, 3.0)):
        p = penalty.prox(x, scaling)
        for index in np.ndindex(X.shape):
            expected = penalty.prox(x[index], scaling[index])
            np.testing.assert_allclose(p[index], expected, rtol=1e-14, atol=1e-15)


# --------------------------------------------------------------------------------------
# objects are pytrees


def test_strengths_are_children_and_options_static():
    leaves, tree_def = jax.tree.flatten(ElasticNet(0.8, 0.25, positive=True))
    assert leaves == [0.8, 0.25]
    rebuilt = jax.tree.unflatten(tree_def, [1.0, 0.5])
    assert isinstance(rebuilt, ElasticNet) and rebuilt.positive and rebuilt.alpha == 1.0
    assert jax.tree.leaves(GroupLasso(0.5, groups=GROUPS)) == [0.5]  # groups are static
    assert jax.tree.leaves(NonNegative()) == []
    with pytest.raises(dataclasses_frozen_error()):
        L1(0.1).l1 = 0.2


def dataclasses_frozen_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_jit_vmap_and_grad_over_penalties():
    x = jnp.asarray(X)
    value = jax.jit(lambda penalty, y: penalty.value(y))
    np.testing.assert_allclose(value(L1(0.3), x), 0.3 * np.abs(X).sum(), rtol=1e-12)
    np.testing.assert_allclose(value(L1(0.6), x), 0.6 * np.abs(X).sum(), rtol=1e-12)
    groups = GroupLasso(1.0, groups=GROUPS)
    np.testing.assert_allclose(value(groups, x), penalties.group_lasso(x, 1.0, groups=GROUPS))

    strengths = jnp.array([0.1, 0.2, 0.4])
    batch = jax.vmap(lambda penalty: penalty.prox(x, 0.5))(L1(strengths))
    for k, strength in enumerate(strengths):
        np.testing.assert_allclose(batch[k], prox.l1(x, strength, 0.5), rtol=1e-14)
    in_axes = (ElasticNet(alpha=0, l1_ratio=None),)  # map alpha, broadcast l1_ratio
    values = jax.vmap(lambda penalty: penalty.value(x), in_axes=in_axes)(ElasticNet(strengths, 0.5))
    np.testing.assert_allclose(
        values, [penalties.elastic_net(x, s, 0.5) for s in strengths], rtol=1e-12
    )
    group_values = jax.vmap(lambda penalty: penalty.value(x))(GroupLasso(strengths, groups=GROUPS))
    np.testing.assert_allclose(
        group_values, [penalties.group_lasso(x, s, groups=GROUPS) for s in strengths], rtol=1e-12
    )

    slope = jax.grad(lambda strength: L1(strength).value(x))(0.3)
    np.testing.assert_allclose(slope, np.abs(X).sum(), rtol=1e-12)
    slope = jax.grad(lambda strength: L2(strength).value(x))(0.3)
    np.testing.assert_allclose(slope, (X**2).sum(), rtol=1e-12)


def test_masked_parameters_align_with_per_coordinate_strengths():
    """A strength shaped like the full parameters applies to optax-masked parameters."""
    penalty = L1({"w": W, "b": 0.2})
    masked = {"w": jnp.asarray(X), "b": optax.MaskedNode()}
    np.testing.assert_allclose(penalty.value(masked), (W * np.abs(X)).sum(), rtol=1e-12)
    out = penalty.prox(masked, 0.5)
    assert isinstance(out["b"], optax.MaskedNode)
    np.testing.assert_allclose(out["w"], prox.l1(X, W, 0.5), rtol=1e-14)
    grouped = GroupLasso(1.0, groups={"w": GROUPS, "b": np.zeros(5, int)})
    np.testing.assert_allclose(
        grouped.value(masked), penalties.group_lasso(X, 1.0, groups=GROUPS), rtol=1e-12
    )


# --------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: L1(-0.1), "l1"),
        (lambda: L2(-0.1), "l2"),
        (lambda: L1L2(0.1, -0.1), "l2"),
        (lambda: L1(float("nan")), "l1"),
        (lambda: L1({"w": np.array([0.1, -1.0])}), "l1"),
        (lambda: ElasticNet(-1.0), "alpha"),
        (lambda: ElasticNet(1.0, 1.5), "l1_ratio"),
        (lambda: ElasticNet(1.0, -0.1), "l1_ratio"),
        (lambda: MCP(-1.0), "strength"),
        (lambda: MCP(1.0, 0.0), "gamma"),
        (lambda: SCAD(1.0, 1.0), "gamma"),
        (lambda: GroupLasso(-1.0), "strength"),
        (lambda: SparseGroupLasso(1.0, 2.0), "l1_ratio"),
        (lambda: L2Norm(-1.0), "strength"),
        (lambda: Box(1.0, 0.0), "lower"),
        (lambda: L1Ball(-1.0), "radius"),
        (lambda: Simplex(0.0), "total"),
        (lambda: penalties.l1(X, -1.0), "strength"),
        (lambda: penalties.elastic_net(X, 1.0, 2.0), "l1_ratio"),
        (lambda: penalties.mcp(X, 1.0, -3.0), "gamma"),
        (lambda: penalties.scad(X, 1.0, 0.5), "gamma"),
        (lambda: penalties.nuclear_norm(V, 1.0), "tree"),
        (lambda: penalties.l2_norm(X, np.ones(4)), "strength"),
        (lambda: penalties.group_lasso(X, 1.0, groups=np.array([0, 1])), "groups"),
    ],
)
def test_bad_input_raises_naming_the_argument(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: L1("0.1"), "l1"),
        (lambda: ElasticNet(1.0, "0.5"), "l1_ratio"),
        (lambda: penalties.l1(X, "0.1"), "strength"),
        (lambda: prox.l1(X, "0.1"), "strength"),
        (lambda: prox.l1(X, 0.1, lambda: 1.0), "scaling"),
    ],
)
def test_non_numeric_strengths_raise_type_error_naming_the_argument(make, name):
    with pytest.raises(TypeError, match=name):
        make()


def test_mismatched_strength_structure_raises_when_applied():
    penalty = L1({"w": W, "extra": 1.0})
    with pytest.raises(ValueError, match="l1"):
        penalty.value(TREE)
    with pytest.raises(ValueError, match="l1"):
        penalty.prox(TREE)
    with pytest.raises(ValueError, match="alpha"):
        ElasticNet({"w": W}).value(TREE)
    with pytest.raises(ValueError, match="l1"):
        L1({"w": np.ones(3), "b": 1.0}).value(TREE)  # shape (3,) vs (3, 4)
    with pytest.raises(ValueError, match="strength"):
        L2Norm({"w": np.ones(4), "b": 1.0}).value(TREE)  # one strength per leaf


def test_traced_groups_are_refused():
    with pytest.raises(ValueError, match="groups"):
        jax.jit(lambda ids: GroupLasso(1.0, groups=ids).value(X))(GROUPS)
