"""Tests for ``jreg.prox``: one table of operators, every property checked for each.

For every operator: the optimality condition of the prox problem (subgradient
inclusion, dual certificate or variational inequality) checked in numpy float64, the
Moreau decomposition against an independently computed prox of the conjugate (convex
ones), non-expansiveness (hypothesis, convex ones), ``prox(tree) == tree_map(prox, tree)``,
plain / jit / vmap agreement, float32 and float64, and gradients against finite
differences. Jitted functions are cached per operator so each compiles once per dtype.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jreg import prox

S = 0.7  # the scaling used throughout the table
TOL64 = 1e-10


def weights(shape, offset=0.3):
    """Deterministic positive per-coordinate weights for a leaf shape."""
    return offset + (np.arange(int(np.prod(shape))).reshape(shape) % 5) * 0.2


def soft(x, t):
    return np.sign(x) * np.maximum(np.abs(x) - t, 0)


# --------------------------------------------------------------------------------------
# numpy optimality checks (float64)


def assert_separable_optimal(x, p, a, b, positive):
    """x - p ∈ a·∂|p| + b·p (+ the normal cone of {p >= 0} when positive), coordinate-wise."""
    r = x - p
    a = np.broadcast_to(a, x.shape)
    b = np.broadcast_to(b, x.shape)
    nonzero = p != 0
    if positive:
        assert np.all(p >= 0)
        np.testing.assert_allclose(r[nonzero], a[nonzero] + b[nonzero] * p[nonzero], atol=TOL64)
        assert np.all(r[~nonzero] <= a[~nonzero] + TOL64)
    else:
        expected = a[nonzero] * np.sign(p[nonzero]) + b[nonzero] * p[nonzero]
        np.testing.assert_allclose(r[nonzero], expected, atol=TOL64)
        assert np.all(np.abs(r[~nonzero]) <= a[~nonzero] + TOL64)


def mcp_penalty(y, lam, gamma):
    y = np.abs(y)
    return np.where(y <= gamma * lam, lam * y - y**2 / (2 * gamma), 0.5 * gamma * lam**2)


def mcp_derivative(y, lam, gamma):
    return np.sign(y) * np.maximum(lam - np.abs(y) / gamma, 0)


def scad_penalty(y, lam, gamma):
    y = np.abs(y)
    middle = (2 * gamma * lam * y - y**2 - lam**2) / (2 * (gamma - 1))
    flat = 0.5 * (gamma + 1) * lam**2
    return np.where(y <= lam, lam * y, np.where(y <= gamma * lam, middle, flat))


def scad_derivative(y, lam, gamma):
    t = np.abs(y)
    return np.sign(y) * np.where(t <= lam, lam, np.maximum(gamma * lam - t, 0) / (gamma - 1))


def assert_nonconvex_optimal(x, p, s, lam, penalty, derivative, positive):
    """Global optimality by a dense grid search per coordinate, plus stationarity."""
    x, p = x.ravel(), p.ravel()
    grid = np.linspace(0.0 if positive else -8.0, 8.0, 160001)
    objective = lambda y: 0.5 * (x[:, None] - y) ** 2 + s * penalty(y, lam)
    best = objective(grid[None, :]).min(axis=1)
    at_p = objective(p[:, None])[:, 0]
    assert np.all(at_p <= best + 1e-12)
    nonzero = p != 0
    np.testing.assert_allclose(x[nonzero] - p[nonzero], s * derivative(p[nonzero], lam), atol=TOL64)
    bound = x[~nonzero] if positive else np.abs(x[~nonzero])
    assert np.all(bound <= s * lam + TOL64)
    if positive:
        assert np.all(p >= 0)


def assert_projection_optimal(x, p, feasible, support_point, sampler):
    """p ∈ C and <x - p, z - p> <= 0 for the maximiser z of <x - p, ·> on C and random z ∈ C."""
    assert feasible(p)
    r = x - p
    candidates = [support_point(r)] + list(sampler(np.random.default_rng(1), x.shape))
    for z in candidates:
        assert feasible(z)
        assert np.vdot(r, z - p) <= 1e-10 * (1 + np.linalg.norm(r) * np.linalg.norm(z - p))


# numpy reference projections (sorting), independent of optax


def np_projection_simplex(v, total):
    flat = v.ravel()
    u = np.sort(flat)[::-1]
    css = np.cumsum(u) - total
    k = np.arange(1, flat.size + 1)
    rho = np.nonzero(u - css / k > 0)[0][-1]
    theta = css[rho] / (rho + 1)
    return np.maximum(flat - theta, 0).reshape(v.shape)


def np_projection_l1_ball(v, radius):
    if np.abs(v).sum() <= radius:
        return v.copy()
    return np.sign(v) * np_projection_simplex(np.abs(v), radius)


def np_projection_l2_ball(v, radius):
    norm = np.linalg.norm(v)
    return v if norm <= radius else v * radius / norm


# --------------------------------------------------------------------------------------
# the table


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    call: Callable  # tree -> tree, fixed parameters
    optimality: Callable  # (x, p) -> None (numpy float64, asserts)
    conjugate_prox: Callable | None  # x -> x - p expected by Moreau (numpy), convex ones
    shape: tuple[int, ...] = (9,)

    @property
    def convex(self):
        return self.conjugate_prox is not None


def _separable_cases():
    lam, rho = 0.8, 0.6
    cases = []
    for positive in (False, True):
        suffix = "_positive" if positive else ""
        a, b = S * lam, S * lam * rho

        def clip_conj(x, a=a, positive=positive):
            return np.minimum(x, a) if positive else np.clip(x, -a, a)

        cases.append(
            Case(
                "l1" + suffix,
                lambda t, positive=positive: prox.l1(t, lam, S, positive=positive),
                lambda x, p, a=a, positive=positive: assert_separable_optimal(
                    x, p, a, 0.0, positive
                ),
                clip_conj,
            )
        )

        def l2_conj(x, c=S * lam, positive=positive):
            shrunk = x * c / (1 + c)
            return np.where(x <= 0, x, shrunk) if positive else shrunk

        cases.append(
            Case(
                "squared_l2" + suffix,
                lambda t, positive=positive: prox.squared_l2(t, lam, S, positive=positive),
                lambda x, p, positive=positive: assert_separable_optimal(
                    x, p, 0.0, S * lam, positive
                ),
                l2_conj,
            )
        )

        def enet_conj(x, a=S * lam * rho, b=S * lam * (1 - rho), positive=positive):
            # prox of h*(z) = (|z| - a)_+^2 / (2b)  (z_+ instead of |z| when positive)
            outside = (b * x + np.sign(x) * a) / (1 + b)
            inside = (x <= a) if positive else (np.abs(x) <= a)
            return np.where(inside, x, outside)

        cases.append(
            Case(
                "elastic_net" + suffix,
                lambda t, positive=positive: prox.elastic_net(t, lam, rho, S, positive=positive),
                lambda x, p, positive=positive: assert_separable_optimal(
                    x, p, S * lam * rho, S * lam * (1 - rho), positive
                ),
                enet_conj,
            )
        )
        del b

    # per-coordinate strengths and step sizes (pytrees of arrays)
    cases.append(
        Case(
            "l1_per_coordinate",
            lambda t: prox.l1(
                t,
                jax.tree.map(lambda v: weights(np.shape(v)[-1:]), t),
                jax.tree.map(lambda v: weights(np.shape(v)[-1:], 0.5) / 2, t),
            ),
            lambda x, p: assert_separable_optimal(
                x, p, weights(x.shape) * weights(x.shape, 0.5) / 2, 0.0, False
            ),
            lambda x: np.clip(
                x, -weights(x.shape) * weights(x.shape, 0.5) / 2,
                weights(x.shape) * weights(x.shape, 0.5) / 2,
            ),
        )
    )
    cases.append(
        Case(
            "elastic_net_per_coordinate",
            lambda t: prox.elastic_net(
                t,
                jax.tree.map(lambda v: weights(np.shape(v)[-1:]), t),
                jax.tree.map(lambda v: weights(np.shape(v)[-1:], 0.0) / 1.2, t),
                jax.tree.map(lambda v: weights(np.shape(v)[-1:], 0.5), t),
                positive=True,
            ),
            lambda x, p: assert_separable_optimal(
                x,
                p,
                weights(x.shape) * weights(x.shape, 0.5) * weights(x.shape, 0.0) / 1.2,
                weights(x.shape) * weights(x.shape, 0.5) * (1 - weights(x.shape, 0.0) / 1.2),
                True,
            ),
            lambda x: enet_conj(
                x,
                weights(x.shape) * weights(x.shape, 0.5) * weights(x.shape, 0.0) / 1.2,
                weights(x.shape) * weights(x.shape, 0.5) * (1 - weights(x.shape, 0.0) / 1.2),
                True,
            ),
        )
    )

    nonconvex = [
        ("mcp", prox.mcp, 2.5, mcp_penalty, mcp_derivative),
        ("scad", prox.scad, 3.7, scad_penalty, scad_derivative),
    ]
    for positive in (False, True):
        for name, fn, gamma, penalty, derivative in nonconvex:
            cases.append(
                Case(
                    name + ("_positive" if positive else ""),
                    lambda t, fn=fn, gamma=gamma, positive=positive: fn(
                        t, lam, gamma, S, positive=positive
                    ),
                    lambda x, p, gamma=gamma, penalty=penalty, derivative=derivative,
                    positive=positive: assert_nonconvex_optimal(
                        x,
                        p,
                        S,
                        lam,
                        lambda y, lam: penalty(y, lam, gamma),
                        lambda y, lam: derivative(y, lam, gamma),
                        positive,
                    ),
                    None,
                )
            )
    return cases


def _projection_cases():
    cases = []
    tol = 1e-12

    def sample_directions(rng, shape, count=20):
        return [rng.normal(size=shape) for _ in range(count)]

    cases.append(
        Case(
            "projection_non_negative",
            prox.projection_non_negative,
            lambda x, p: assert_projection_optimal(
                x,
                p,
                lambda z: np.all(z >= 0),
                lambda r: np.where(r > 0, 10.0, 0.0),
                lambda rng, shape: [np.abs(d) for d in sample_directions(rng, shape)],
            ),
            lambda x: np.minimum(x, 0),
        )
    )

    lower = -0.5
    cases.append(
        Case(
            "projection_box",
            lambda t: prox.projection_box(
                t, lower, jax.tree.map(lambda v: weights(np.shape(v)[-1:]), t)
            ),
            lambda x, p: assert_projection_optimal(
                x,
                p,
                lambda z: np.all((z >= lower - tol) & (z <= weights(x.shape) + tol)),
                lambda r: np.where(r > 0, weights(x.shape), lower),
                lambda rng, shape: [
                    rng.uniform(lower, weights(shape)) for _ in range(20)
                ],
            ),
            lambda x: x - np.clip(x, lower, weights(x.shape)),
        )
    )

    radius = 1.5

    def l1_support(r):
        z = np.zeros_like(r)
        i = np.unravel_index(np.argmax(np.abs(r)), r.shape)
        z[i] = radius * np.sign(r[i])
        return z

    cases.append(
        Case(
            "projection_l1_ball",
            lambda t: prox.projection_l1_ball(t, radius),
            lambda x, p: assert_projection_optimal(
                x,
                p,
                lambda z: np.abs(z).sum() <= radius * (1 + 1e-12),
                l1_support,
                lambda rng, shape: [
                    d / np.abs(d).sum() * radius * rng.uniform()
                    for d in sample_directions(rng, shape)
                ],
            ),
            lambda x: x - np_projection_l1_ball(x, radius),
        )
    )
    cases.append(
        Case(
            "projection_l2_ball",
            lambda t: prox.projection_l2_ball(t, radius),
            lambda x, p: assert_projection_optimal(
                x,
                p,
                lambda z: np.linalg.norm(z) <= radius * (1 + 1e-12),
                lambda r: radius * r / np.linalg.norm(r) if np.any(r) else r,
                lambda rng, shape: [
                    d / np.linalg.norm(d) * radius * rng.uniform()
                    for d in sample_directions(rng, shape)
                ],
            ),
            # prox of the support function radius·‖·‖₂: block soft threshold
            lambda x: x * max(0.0, 1 - radius / np.linalg.norm(x)),
        )
    )
    small_radius = 0.5
    cases.append(
        Case(
            "projection_linf_ball",
            lambda t: prox.projection_linf_ball(t, small_radius),
            lambda x, p: assert_projection_optimal(
                x,
                p,
                lambda z: np.all(np.abs(z) <= small_radius * (1 + 1e-12)),
                lambda r: small_radius * np.sign(r),
                lambda rng, shape: [
                    rng.uniform(-small_radius, small_radius, size=shape) for _ in range(20)
                ],
            ),
            # prox of the support function radius·‖·‖₁: soft threshold
            lambda x: soft(x, small_radius),
        )
    )
    total = 2.0

    def simplex_support(r):
        z = np.zeros_like(r)
        z[np.unravel_index(np.argmax(r), r.shape)] = total
        return z

    cases.append(
        Case(
            "projection_simplex",
            lambda t: prox.projection_simplex(t, total),
            lambda x, p: assert_projection_optimal(
                x,
                p,
                lambda z: np.all(z >= 0) and abs(z.sum() - total) <= 1e-12 * total * z.size,
                simplex_support,
                lambda rng, shape: [
                    rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape) * total
                    for _ in range(20)
                ],
            ),
            lambda x: x - np_projection_simplex(x, total),
        )
    )
    return cases


def assert_norm_prox_optimal(r, p, t, dual_norm, norm, scale=1.0):
    """r ∈ t·∂‖p‖  ⟺  ‖r‖_dual <= t and <r, p> = t‖p‖ (Fenchel equality)."""
    assert dual_norm(r) <= t * (1 + 1e-12) + 1e-12
    np.testing.assert_allclose(np.vdot(r, p), t * norm(p), atol=TOL64 * scale)


GROUP_STRENGTH = np.array([0.5, 1.0, 4.0])


def group_ids(shape):
    return np.broadcast_to(np.arange(shape[-1]) % 3, shape)


def assert_group_lasso_optimal(x, p, thresholds):
    ids = group_ids(x.shape)
    for g, t in enumerate(thresholds):
        member = ids == g
        assert_norm_prox_optimal(x[member] - p[member], p[member], t, np.linalg.norm,
                                 np.linalg.norm)


def group_lasso_conj(x, thresholds):
    ids = group_ids(x.shape)
    out = np.empty_like(x)
    for g, t in enumerate(thresholds):
        out[ids == g] = np_projection_l2_ball(x[ids == g], t)
    return out


def assert_sparse_group_optimal(x, p, a, b):
    """x - p ∈ a·∂‖p‖₁ + b·Σ_g ∂‖p_g‖₂, group by group."""
    ids = group_ids(x.shape)
    for g in range(3):
        xg, pg = x[ids == g], p[ids == g]
        r = xg - pg
        if np.any(pg):
            support = pg != 0
            norm = np.linalg.norm(pg)
            np.testing.assert_allclose(
                r[support], a * np.sign(pg[support]) + b * pg[support] / norm, atol=TOL64
            )
            assert np.all(np.abs(r[~support]) <= a + TOL64)
        else:  # some u ∈ [-a, a]^n with ‖r - u‖₂ <= b
            assert np.linalg.norm(soft(r, a)) <= b + TOL64


def sparse_group_conj(x, a, b):
    """Projection onto {u + v : ‖u‖∞ <= a, ‖v_g‖₂ <= b}, group by group."""
    ids = group_ids(x.shape)
    out = np.empty_like(x)
    for g in range(3):
        xg = x[ids == g]
        out[ids == g] = np.clip(xg, -a, a) + np_projection_l2_ball(soft(xg, a), b)
    return out


def spectral_norm(m):
    return np.linalg.norm(m, 2)


def nuclear(m):
    return np.linalg.svd(m, compute_uv=False).sum()


def spectral_ball_projection(m, t):
    u, sv, vh = np.linalg.svd(m, full_matrices=False)
    return (u * np.minimum(sv, t)) @ vh


def difference_matrix(n):
    return np.diff(np.eye(n), axis=0)  # (D y)_i = y_{i+1} - y_i


def assert_tv_optimal(x, p, t):
    """Dual certificate: x - p = Dᵀz, |z| <= t, z_i = t·sign(p_{i+1} - p_i) at jumps."""
    r = x - p
    z = -np.cumsum(r)  # z_j = -Σ_{i<=j} r_i, from (Dᵀz)_j = z_{j-1} - z_j
    np.testing.assert_allclose(z[-1], 0.0, atol=TOL64)
    z = z[:-1]
    assert np.all(np.abs(z) <= t + TOL64)
    jumps = np.diff(p)
    moving = jumps != 0
    np.testing.assert_allclose(z[moving], t * np.sign(jumps[moving]), atol=TOL64)
    # the output is exactly piecewise constant (no rounding noise inside a piece)
    assert np.all((np.abs(jumps) > 1e-9) | (jumps == 0))


def tv_conj(x, t):
    """Projection of x onto {Dᵀz : |z| <= t}, by bounded least squares (BVLS, exact)."""
    from scipy.optimize import lsq_linear

    d_transpose = difference_matrix(x.size).T
    z = lsq_linear(d_transpose, x, bounds=(-t, t), method="bvls", tol=1e-15).x
    return d_transpose @ z


def _coupled_cases():
    lam, rho = 0.8, 0.4
    t = S * lam
    per_leaf_groups = lambda tree: jax.tree.map(lambda v: np.arange(np.shape(v)[-1]) % 3, tree)
    return [
        Case(
            "l2_norm",
            lambda tree: prox.l2_norm(tree, lam, S),
            lambda x, p: assert_norm_prox_optimal(x - p, p, t, np.linalg.norm, np.linalg.norm),
            lambda x: np_projection_l2_ball(x, t),
        ),
        Case(
            "group_lasso",
            lambda tree: prox.group_lasso(
                tree,
                jax.tree.map(lambda v: GROUP_STRENGTH, tree),
                S,
                groups=per_leaf_groups(tree),
            ),
            lambda x, p: assert_group_lasso_optimal(x, p, S * GROUP_STRENGTH),
            lambda x: group_lasso_conj(x, S * GROUP_STRENGTH),
        ),
        Case(  # groups=None: each leaf is one group
            "group_lasso_per_leaf",
            lambda tree: prox.group_lasso(tree, lam, S),
            lambda x, p: assert_norm_prox_optimal(x - p, p, t, np.linalg.norm, np.linalg.norm),
            lambda x: np_projection_l2_ball(x, t),
        ),
        Case(
            "sparse_group_lasso",
            lambda tree: prox.sparse_group_lasso(
                tree, lam, rho, S, groups=per_leaf_groups(tree), num_groups=3
            ),
            lambda x, p: assert_sparse_group_optimal(x, p, t * rho, t * (1 - rho)),
            lambda x: sparse_group_conj(x, t * rho, t * (1 - rho)),
        ),
        Case(
            "linf_norm",
            lambda tree: prox.linf_norm(tree, 1.5, S),
            lambda x, p: assert_norm_prox_optimal(
                x - p, p, 1.5 * S, lambda r: np.abs(r).sum(), lambda v: np.abs(v).max()
            ),
            lambda x: np_projection_l1_ball(x, 1.5 * S),
        ),
        Case(
            "nuclear_norm",
            lambda tree: prox.nuclear_norm(tree, 2.0, S),
            lambda x, p: assert_norm_prox_optimal(x - p, p, 2.0 * S, spectral_norm, nuclear),
            lambda x: spectral_ball_projection(x, 2.0 * S),
            shape=(3, 4),
        ),
        Case(
            "total_variation_1d",
            lambda tree: prox.total_variation_1d(tree, lam, S),
            lambda x, p: assert_tv_optimal(x, p, t),
            lambda x: tv_conj(x, t),
        ),
    ]


CASES = {
    case.name: case
    for case in _separable_cases() + _coupled_cases() + _projection_cases()
}
ALL = sorted(CASES)
CONVEX = sorted(name for name, case in CASES.items() if case.convex)


# --------------------------------------------------------------------------------------
# shared compiled functions and inputs


@functools.cache
def jitted(name):
    return jax.jit(CASES[name].call)


@functools.cache
def vmapped(name):
    return jax.jit(jax.vmap(CASES[name].call))


@functools.cache
def gradient(name):
    def loss(x):
        out = CASES[name].call(x)
        return jnp.sum(out * jnp.cos(jnp.arange(out.size).reshape(out.shape)))

    return jax.jit(jax.value_and_grad(loss))


def make_input(shape, kind, seed=0):
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    if kind == "random":
        x = 2.0 * rng.normal(size=size)
    elif kind == "small":
        x = 0.2 * rng.normal(size=size)
    elif kind == "grid":  # every regime of the separable thresholds, in order
        x = np.linspace(-4.0, 4.0, size) + 0.0137
    else:
        raise AssertionError(kind)
    return x.reshape(shape)


INPUTS = ["random", "small", "grid"]


# --------------------------------------------------------------------------------------
# tests


@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("name", ALL)
def test_optimality_condition(name, kind):
    case = CASES[name]
    x = make_input(case.shape, kind)
    p = np.asarray(jitted(name)(x))
    assert p.dtype == np.float64 and p.shape == x.shape
    case.optimality(x, p)


@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("name", CONVEX)
def test_moreau_decomposition(name, kind):
    """x = prox_{s g}(x) + prox_{(s g)*}(x), the latter computed independently in numpy."""
    case = CASES[name]
    x = make_input(case.shape, kind, seed=1)
    p = np.asarray(jitted(name)(x))
    np.testing.assert_allclose(x - p, case.conjugate_prox(x), atol=TOL64)


@pytest.mark.parametrize("name", CONVEX)
def test_nonexpansive(name):
    shape = CASES[name].shape
    fn = jitted(name)
    elements = st.floats(-5, 5, allow_nan=False, width=64)

    @settings(max_examples=25, deadline=None, derandomize=True)
    @given(
        hnp.arrays(np.float64, shape, elements=elements),
        hnp.arrays(np.float64, shape, elements=elements),
    )
    def check(x, y):
        distance = np.linalg.norm(np.asarray(fn(x)) - np.asarray(fn(y)))
        assert distance <= np.linalg.norm(x - y) * (1 + 1e-12) + 1e-12

    check()


@pytest.mark.parametrize("name", ALL)
def test_tree_equals_tree_map(name):
    case = CASES[name]
    shape = case.shape
    tree = {
        "a": make_input(shape, "random", seed=2),
        "b": (
            make_input(shape[:-1] + (shape[-1] + 2,), "random", seed=3),
            jnp.asarray(make_input((2,) + shape, "grid"), jnp.float32),
        ),
    }
    out = case.call(tree)
    expected = jax.tree.map(case.call, tree)
    assert jax.tree.structure(out) == jax.tree.structure(tree)
    for got, want, leaf in zip(jax.tree.leaves(out), jax.tree.leaves(expected),
                               jax.tree.leaves(tree), strict=True):
        assert got.dtype == jnp.asarray(leaf).dtype and got.shape == np.shape(leaf)
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


@pytest.mark.parametrize("name", ALL)
def test_plain_jit_vmap_agree(name):
    case = CASES[name]
    batch = np.stack([make_input(case.shape, "random", seed=seed) for seed in range(3)])
    plain = np.stack([np.asarray(case.call(x)) for x in batch])
    compiled = np.stack([np.asarray(jitted(name)(x)) for x in batch])
    mapped = np.asarray(vmapped(name)(batch))
    np.testing.assert_allclose(compiled, plain, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mapped, plain, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_float32_keeps_dtype_and_matches_float64(name):
    case = CASES[name]
    x = make_input(case.shape, "random", seed=4).astype(np.float32)
    out32 = jitted(name)(x)
    assert out32.dtype == jnp.float32
    out64 = jitted(name)(x.astype(np.float64))
    np.testing.assert_allclose(np.asarray(out32), np.asarray(out64), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ALL)
def test_gradient_matches_finite_differences(name):
    case = CASES[name]
    x = make_input(case.shape, "random", seed=5)
    value, grad = gradient(name)(x)
    assert np.all(np.isfinite(np.asarray(grad)))
    direction = np.random.default_rng(6).normal(size=x.shape)
    eps = 1e-6
    plus, _ = gradient(name)(x + eps * direction)
    minus, _ = gradient(name)(x - eps * direction)
    np.testing.assert_allclose(
        (plus - minus) / (2 * eps), np.vdot(np.asarray(grad), direction), rtol=1e-6, atol=1e-6
    )


def test_l1_gradient_is_finite_at_zero_and_thresholds():
    x = jnp.array([0.0, 0.8, -0.8, 2.0])
    grad = jax.grad(lambda v: jnp.sum(prox.l1(v, 0.8) ** 2))(x)
    assert np.all(np.isfinite(np.asarray(grad)))
    np.testing.assert_allclose(np.asarray(grad), [0.0, 0.0, 0.0, 2 * 1.2])


def test_per_coordinate_scaling_pytree_matches_leafwise_calls():
    """prox_adam passes a pytree of per-coordinate step sizes as ``scaling``."""
    tree = {"w": jnp.array([[1.0, -2.0], [0.3, 4.0]]), "b": jnp.array([-0.5, 0.7])}
    scaling = {"w": jnp.array([[0.1, 1.0], [2.0, 0.5]]), "b": jnp.array([1.0, 0.0])}
    strength = {"w": 0.5, "b": jnp.array([0.2, 0.9])}
    for fn, extra in [(prox.l1, ()), (prox.squared_l2, ()), (prox.elastic_net, (0.3,))]:
        out = fn(tree, strength, *extra, scaling)
        for key in tree:
            np.testing.assert_allclose(
                np.asarray(out[key]), np.asarray(fn(tree[key], strength[key], *extra, scaling[key]))
            )
    # the explicit formula for l1
    np.testing.assert_allclose(
        np.asarray(prox.l1(tree, strength, scaling)["w"]), [[0.95, -1.5], [0.0, 3.75]]
    )


def test_integer_input_gives_float_output():
    out = prox.l1(jnp.array([3, -1]), 1.0)
    assert jnp.issubdtype(out.dtype, jnp.floating)
    np.testing.assert_array_equal(np.asarray(out), [2.0, 0.0])


@pytest.mark.parametrize(
    "x, strength",
    [
        (np.zeros((3, 2)), 0.5),  # every singular value 0: the prox is 0 nearby
        (np.eye(3), 0.25),  # a triple singular value above the threshold
        (np.outer([1.0, 2.0, 0.0, -1.0], [0.5, -1.0, 2.0]), 0.4),  # rank 1, two zeros
        (np.outer([1.0, 2.0], [0.5, -1.0, 2.0, 1.0]), 0.0),  # wide, rank 1, no threshold
        (np.stack([np.zeros((2, 2)), np.diag([3.0, 1.0])]), 0.5),  # batch of matrices
    ],
    ids=["zero", "identity", "rank_one_tall", "rank_one_wide_unthresholded", "batch"],
)
def test_nuclear_norm_derivative_at_repeated_singular_values(x, strength):
    """The derivative of singular value thresholding exists wherever no singular value
    equals the threshold, repeated values (low-rank inputs, 0) included: no NaN."""
    direction = np.cos(np.arange(x.size)).reshape(x.shape)
    fn = lambda v, lam: prox.nuclear_norm(v, lam, S)  # noqa: E731
    strength_direction = 0.3 if strength > 0 else 0.0
    _, tangent = jax.jvp(
        fn, (jnp.asarray(x), strength), (jnp.asarray(direction), strength_direction)
    )
    eps = 1e-6
    finite_difference = (
        np.asarray(fn(x + eps * direction, strength + strength_direction * eps))
        - np.asarray(fn(x - eps * direction, strength - strength_direction * eps))
    ) / (2 * eps)
    np.testing.assert_allclose(np.asarray(tangent), finite_difference, atol=1e-7)
    grad = jax.grad(lambda v: jnp.sum(fn(v, strength) * direction))(jnp.asarray(x))
    assert np.all(np.isfinite(np.asarray(grad)))


def test_zero_radius_projects_to_zero_without_nan():
    x = jnp.array([0.0, 0.0])
    for fn in (prox.projection_l1_ball, prox.projection_l2_ball, prox.projection_linf_ball):
        out = fn(x, 0.0)
        np.testing.assert_array_equal(np.asarray(out), [0.0, 0.0])
        grad = jax.grad(lambda v, fn=fn: jnp.sum(fn(v, 0.0)))(jnp.array([1.0, 2.0]))
        assert np.all(np.isfinite(np.asarray(grad)))


# --------------------------------------------------------------------------------------
# bad input

X = jnp.array([1.0, -2.0, 3.0])
TREE = {"a": jnp.array([1.0, -2.0]), "b": jnp.array([3.0])}

BAD_INPUTS = [
    (lambda: prox.l1(X, -1.0), "strength"),
    (lambda: prox.l1(X, jnp.array([1.0, -1.0, 1.0])), "strength"),
    (lambda: prox.l1(X, 1.0, -0.5), "scaling"),
    (lambda: prox.l1(X, jnp.ones(2)), "strength"),
    (lambda: prox.l1(TREE, {"a": 1.0}), "strength"),
    (lambda: prox.l1(TREE, 1.0, {"a": 1.0, "c": 1.0}), "scaling"),
    (lambda: prox.squared_l2(X, -1.0), "strength"),
    (lambda: prox.squared_l2(X, 1.0, jnp.ones(4)), "scaling"),
    (lambda: prox.elastic_net(X, 1.0, 1.5), "l1_ratio"),
    (lambda: prox.elastic_net(X, 1.0, -0.1), "l1_ratio"),
    (lambda: prox.elastic_net(X, -1.0, 0.5), "strength"),
    (lambda: prox.elastic_net(X, 1.0, 0.5, -1.0), "scaling"),
    (lambda: prox.elastic_net(TREE, 1.0, {"a": 0.5, "b": (0.5,)}), "l1_ratio"),
    (lambda: prox.mcp(X, 1.0, 1.0, 1.0), "gamma"),
    (lambda: prox.mcp(X, 1.0, 0.5), "gamma"),
    (lambda: prox.mcp(X, -1.0, 3.0), "strength"),
    (lambda: prox.mcp(X, 1.0, 3.0, {"a": 1.0}), "scaling"),
    (lambda: prox.scad(X, 1.0, 2.0), "gamma"),
    (lambda: prox.scad(X, 1.0, 3.0, 2.5), "gamma"),
    (lambda: prox.scad(X, 1.0, 3.7, -1.0), "scaling"),
    (lambda: prox.projection_box(X, 1.0, 0.0), "lower"),
    (lambda: prox.projection_box(X, jnp.zeros(2), 1.0), "lower"),
    (lambda: prox.projection_box(TREE, 0.0, {"a": 1.0}), "upper"),
    (lambda: prox.projection_l1_ball(X, -1.0), "radius"),
    (lambda: prox.projection_l2_ball(X, -1.0), "radius"),
    (lambda: prox.projection_linf_ball(X, -1.0), "radius"),
    (lambda: prox.projection_l2_ball(X, jnp.ones(3)), "radius"),
    (lambda: prox.projection_l1_ball(TREE, {"a": 1.0}), "radius"),
    (lambda: prox.projection_simplex(X, 0.0), "total"),
    (lambda: prox.projection_simplex(X, -1.0), "total"),
]


@pytest.mark.parametrize("index", range(len(BAD_INPUTS)))
def test_bad_input_raises_value_error_naming_the_argument(index):
    call, name = BAD_INPUTS[index]
    with pytest.raises(ValueError, match=name):
        call()


def test_traced_strengths_are_not_checked_under_jit():
    out = jax.jit(lambda lam: prox.l1(X, lam))(jnp.asarray(0.5))
    np.testing.assert_allclose(np.asarray(out), [0.5, -1.5, 2.5])


# --------------------------------------------------------------------------------------
# options and special cases of the coupled operators


def test_group_lasso_without_groups_is_l2_norm_per_leaf():
    tree = {"a": jnp.array([3.0, 4.0]), "b": jnp.array([[0.3, 0.4], [0.0, 0.1]])}
    out = prox.group_lasso(tree, {"a": 1.0, "b": 0.2}, 2.0)
    expected = prox.l2_norm(tree, {"a": 1.0, "b": 0.2}, 2.0)
    for key in tree:
        np.testing.assert_array_equal(np.asarray(out[key]), np.asarray(expected[key]))
    np.testing.assert_allclose(np.asarray(out["a"]), [1.8, 2.4])


def test_group_count_inferred_from_ids_strengths_or_given():
    x = jnp.asarray(make_input((9,), "random"))
    ids = jnp.asarray(group_ids((9,)))
    from_ids = prox.group_lasso(x, 0.8, groups=ids)
    given_count = prox.group_lasso(x, 0.8, groups=ids, num_groups=3)
    from_strength = prox.group_lasso(x, jnp.full(3, 0.8), groups=ids)
    with_empty_groups = prox.group_lasso(x, 0.8, groups=ids, num_groups=5)
    for other in (given_count, from_strength, with_empty_groups):
        np.testing.assert_array_equal(np.asarray(other), np.asarray(from_ids))


def test_traced_groups_need_num_groups():
    x = jnp.asarray(make_input((9,), "random"))
    ids = jnp.asarray(group_ids((9,)))
    traced = jax.jit(lambda v, g: prox.group_lasso(v, 0.8, groups=g, num_groups=3))(x, ids)
    np.testing.assert_allclose(
        np.asarray(traced), np.asarray(prox.group_lasso(x, 0.8, groups=ids)), rtol=1e-12
    )
    with pytest.raises(ValueError, match="num_groups"):
        jax.jit(lambda v, g: prox.group_lasso(v, 0.8, groups=g))(x, ids)


def test_groups_broadcast_to_columns_of_a_matrix():
    w = jnp.asarray(make_input((4, 3), "random"))
    out = prox.group_lasso(w, 1.5, groups=jnp.arange(3))
    for column in range(3):
        expected = prox.l2_norm(w[:, column], 1.5)
        np.testing.assert_allclose(np.asarray(out[:, column]), np.asarray(expected), rtol=1e-12)


def test_mixing_limits_reduce_to_the_pure_penalties():
    x = jnp.asarray(make_input((9,), "random"))
    ids = jnp.asarray(group_ids((9,)))
    pairs = [
        (prox.elastic_net(x, 0.8, 1.0, S), prox.l1(x, 0.8, S)),
        (prox.elastic_net(x, 0.8, 0.0, S), prox.squared_l2(x, 0.8, S)),
        (prox.sparse_group_lasso(x, 0.8, 1.0, S, groups=ids), prox.l1(x, 0.8, S)),
        (prox.sparse_group_lasso(x, 0.8, 0.0, S, groups=ids),
         prox.group_lasso(x, 0.8, S, groups=ids)),
        (prox.sparse_group_lasso(x, 0.8, 0.0, S), prox.l2_norm(x, 0.8, S)),
    ]
    for got, want in pairs:
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "fn, shape",
    [(prox.nuclear_norm, (2, 3, 4)), (prox.total_variation_1d, (2, 9))],
    ids=["nuclear_norm", "total_variation_1d"],
)
def test_strength_per_batch_element(fn, shape):
    x = jnp.asarray(make_input(shape, "random"))
    strength = jnp.array([0.3, 1.7])
    out = fn(x, strength, S)
    for i in range(2):
        np.testing.assert_allclose(
            np.asarray(out[i]), np.asarray(fn(x[i], strength[i], S)), rtol=1e-12, atol=1e-14
        )


def test_total_variation_matches_bounded_least_squares_on_long_signals():
    rng = np.random.default_rng(7)
    steps = np.repeat(rng.normal(size=8) * 3, 8)
    signals = np.stack([steps + 0.3 * rng.normal(size=64), np.cumsum(rng.normal(size=64))])
    for t in (0.05, 0.8, 5.0):
        out = np.asarray(prox.total_variation_1d(signals, t))
        for signal, row in zip(signals, out, strict=True):
            np.testing.assert_allclose(signal - row, tv_conj(signal, t), atol=1e-10)
            assert_tv_optimal(signal, row, t)


@pytest.mark.parametrize("n", [2, 7])
def test_total_variation_matches_bounded_least_squares_on_many_short_signals(n):
    """Noise, random walks and noisy steps, with a different strength per signal."""
    rng = np.random.default_rng(n)
    count = 48
    kinds = [
        lambda: rng.normal(size=n),
        lambda: np.cumsum(rng.normal(size=n)),
        lambda: np.repeat(rng.normal(size=n), 2)[:n] + 0.01 * rng.normal(size=n),
    ]
    signals = np.stack([kinds[i % 3]() for i in range(count)])
    strengths = np.exp(rng.uniform(np.log(1e-3), np.log(5.0), size=count))
    out = np.asarray(prox.total_variation_1d(signals, strengths))
    for signal, t, row in zip(signals, strengths, out, strict=True):
        np.testing.assert_allclose(signal - row, tv_conj(signal, t), atol=1e-10)
        assert_tv_optimal(signal, row, t)


def test_total_variation_limits():
    x = jnp.asarray(make_input((9,), "random"))
    np.testing.assert_array_equal(np.asarray(prox.total_variation_1d(x, 0.0)), np.asarray(x))
    flat = np.asarray(prox.total_variation_1d(x, 1e3))
    np.testing.assert_allclose(flat, np.full(9, np.mean(np.asarray(x))), rtol=1e-12)
    single = prox.total_variation_1d(jnp.array([[2.0], [3.0]]), 1.0)
    np.testing.assert_array_equal(np.asarray(single), [[2.0], [3.0]])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, lam: prox.l1(x, lam, S),
        lambda x, lam: prox.group_lasso(x, lam, S, groups=group_ids(x.shape)),
        lambda x, lam: prox.linf_norm(x, lam, S),
        lambda x, lam: prox.total_variation_1d(x, lam, S),
        lambda x, lam: prox.nuclear_norm(x.reshape(3, 3), lam, S).ravel(),
    ],
    ids=["l1", "group_lasso", "linf_norm", "total_variation_1d", "nuclear_norm"],
)
def test_gradient_with_respect_to_strength(fn):
    x = jnp.asarray(make_input((9,), "random", seed=8))
    weight = jnp.cos(jnp.arange(9.0))
    loss = jax.jit(jax.value_and_grad(lambda lam: jnp.vdot(fn(x, lam), weight)))
    _, grad = loss(0.6)
    eps = 1e-6
    finite_difference = (loss(0.6 + eps)[0] - loss(0.6 - eps)[0]) / (2 * eps)
    np.testing.assert_allclose(float(grad), float(finite_difference), rtol=1e-6, atol=1e-7)


def test_nonconvex_gamma_checked_per_coordinate_and_not_when_traced():
    x = jnp.array([1.0, 2.0])
    with pytest.raises(ValueError, match="gamma"):
        prox.mcp(x, 1.0, jnp.array([3.0, 0.5]))
    with pytest.raises(ValueError, match="gamma"):
        prox.scad(x, 1.0, 3.0, jnp.array([1.0, 2.5]))
    out = jax.jit(lambda g: prox.mcp(x, 1.0, g))(jnp.asarray(3.0))
    np.testing.assert_allclose(np.asarray(out), [0.0, 1.5])


COUPLED_BAD_INPUTS = [
    (lambda: prox.l2_norm(X, -1.0), "strength"),
    (lambda: prox.l2_norm(X, jnp.ones(3)), "strength"),
    (lambda: prox.l2_norm(X, 1.0, -1.0), "scaling"),
    (lambda: prox.l2_norm(TREE, {"a": 1.0}), "strength"),
    (lambda: prox.group_lasso(X, -1.0, groups=jnp.array([0, 0, 1])), "strength"),
    (lambda: prox.group_lasso(X, 1.0, jnp.ones(3), groups=jnp.array([0, 0, 1])), "scaling"),
    (lambda: prox.group_lasso(X, 1.0, groups=jnp.array([0, 0, 2]), num_groups=2), "groups"),
    (lambda: prox.group_lasso(X, 1.0, groups=jnp.array([0, -1, 1])), "groups"),
    (lambda: prox.group_lasso(X, 1.0, groups=jnp.array([0.0, 0.0, 1.0])), "groups"),
    (lambda: prox.group_lasso(X, 1.0, groups=jnp.array([0, 1])), "groups"),
    (lambda: prox.group_lasso(X, 1.0, groups={"a": jnp.array([0, 0, 1])}), "groups"),
    (lambda: prox.group_lasso(TREE, 1.0, groups={"a": jnp.array([0, 1])}), "groups"),
    (lambda: prox.group_lasso(X, jnp.ones(2), groups=jnp.array([0, 0, 2])), "groups"),
    (lambda: prox.group_lasso(X, jnp.ones(2), groups=jnp.array([0, 0, 1]), num_groups=3),
     "strength"),
    (lambda: prox.group_lasso(X, jnp.ones((2, 2)), groups=jnp.array([0, 0, 1])), "strength"),
    (lambda: prox.group_lasso(X, 1.0, groups=jnp.array([0, 0, 1]), num_groups=0), "num_groups"),
    (lambda: prox.group_lasso(X, 1.0, groups=jnp.array([0, 0, 1]), num_groups=2.5),
     "num_groups"),
    (lambda: prox.sparse_group_lasso(X, 1.0, 1.5), "l1_ratio"),
    (lambda: prox.sparse_group_lasso(X, 1.0, 0.5, -1.0), "scaling"),
    (lambda: prox.sparse_group_lasso(X, -1.0, 0.5, groups=jnp.array([0, 0, 1])), "strength"),
    (lambda: prox.sparse_group_lasso(
        X, jnp.ones(2), jnp.ones(3) / 2, groups=jnp.array([0, 0, 1])), "l1_ratio"),
    (lambda: prox.linf_norm(X, -1.0), "strength"),
    (lambda: prox.linf_norm(X, 1.0, jnp.ones(3)), "scaling"),
    (lambda: prox.nuclear_norm(X, 1.0), "tree"),
    (lambda: prox.nuclear_norm({"w": jnp.ones((2, 2)), "b": jnp.ones(2)}, 1.0), "tree"),
    (lambda: prox.nuclear_norm(jnp.ones((2, 2)), -1.0), "strength"),
    (lambda: prox.nuclear_norm(jnp.ones((3, 2, 2)), jnp.ones(2)), "strength"),
    (lambda: prox.nuclear_norm(jnp.ones((2, 2)), 1.0, -2.0), "scaling"),
    (lambda: prox.total_variation_1d(jnp.asarray(1.0), 1.0), "tree"),
    (lambda: prox.total_variation_1d(X, -1.0), "strength"),
    (lambda: prox.total_variation_1d(X, 1.0, -1.0), "scaling"),
    (lambda: prox.total_variation_1d(X, jnp.ones(3)), "strength"),
    (lambda: prox.total_variation_1d(TREE, {"a": 1.0, "c": 1.0}), "strength"),
]


@pytest.mark.parametrize("index", range(len(COUPLED_BAD_INPUTS)))
def test_coupled_bad_input_raises_value_error_naming_the_argument(index):
    call, name = COUPLED_BAD_INPUTS[index]
    with pytest.raises(ValueError, match=name):
        call()
