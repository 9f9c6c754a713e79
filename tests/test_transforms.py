"""Tests for ``jreg.transforms``: penalised Optax chains, proximal optimizers, constraints.

Acceptance: on scikit-learn's diabetes data (standardised X, centred y, data term
(1/2n)‖y − Xw‖²) the proximal chains reach scikit-learn's Lasso / ElasticNet solutions
and the ridge closed form; prox_adam / prox_adagrad / prox_sgd reach the same optimum,
while ``optax.chain(optax.adam(lr), proximal_step(L1(alpha), lr))`` measurably does not.
Every optimisation loop is a ``lax.fori_loop`` inside ``jax.jit``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy.optimize import nnls
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso

from jreg import transforms
from jreg.penalties import L1, L2, ElasticNet, GroupLasso, L1Ball, L2Norm, NonNegative
from jreg.transforms import (
    add_penalty_gradient,
    max_norm,
    min_max_norm,
    non_neg,
    prox_adagrad,
    prox_adam,
    prox_sgd,
    proximal_step,
    regularized,
    unit_norm,
)

STEPS = 3000


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    n = X.shape[0]
    lipschitz = float(np.linalg.eigvalsh(X.T @ X / n).max())
    return X, y, lipschitz


def lasso(X, y, alpha, **kwargs):
    model = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100_000, **kwargs)
    return model.fit(X, y - y.mean()).coef_


def least_squares(X, y):
    X, y = jnp.asarray(X), jnp.asarray(y)

    def loss(w):
        return 0.5 * jnp.mean((y - X @ w) ** 2)

    return loss


def fit(tx, loss, params, steps=STEPS):
    """``steps`` updates of ``tx`` on ``loss`` from ``params``, jit-compiled."""

    @jax.jit
    def run(params):
        def body(_, carry):
            params, state = carry
            updates, state = tx.update(jax.grad(loss)(params), state, params)
            return optax.apply_updates(params, updates), state

        return jax.lax.fori_loop(0, steps, body, (params, tx.init(params)))[0]

    return run(params)


# --------------------------------------------------------------------------------------
# acceptance: reaching scikit-learn's solutions


def test_proximal_step_after_sgd_is_ista_and_reaches_sklearn_lasso(diabetes):
    X, y, L = diabetes
    alpha = 2.0
    reference = lasso(X, y, alpha)
    tx = optax.chain(optax.sgd(1 / L), proximal_step(L1(alpha), 1 / L))
    w = fit(tx, least_squares(X, y - y.mean()), jnp.zeros(10))
    np.testing.assert_allclose(w, reference, atol=1e-6)
    np.testing.assert_array_equal(w == 0, reference == 0)  # exact zeros, same support


@pytest.mark.parametrize(
    "name, make, tolerance",
    [
        ("prox_adam", lambda L, alpha: prox_adam(0.3, L1(alpha)), 1e-3),
        ("prox_adagrad", lambda L, alpha: prox_adagrad(5.0, L1(alpha)), 1e-3),
        ("prox_sgd", lambda L, alpha: prox_sgd(1 / L, L1(alpha)), 1e-4),
        ("prox_sgd_heavy_ball", lambda L, alpha: prox_sgd(0.5 / L, L1(alpha), momentum=0.5), 1e-4),
        (
            "prox_sgd_nesterov",
            lambda L, alpha: prox_sgd(1 / L, L1(alpha), momentum=0.5, nesterov=True),
            1e-4,
        ),
    ],
)
def test_proximal_optimizers_reach_the_lasso_solution(diabetes, name, make, tolerance):
    X, y, L = diabetes
    alpha = 2.0
    w = fit(make(L, alpha), least_squares(X, y - y.mean()), jnp.zeros(10))
    reference = lasso(X, y, alpha)
    np.testing.assert_allclose(w, reference, atol=tolerance, err_msg=name)
    np.testing.assert_array_equal(w == 0, reference == 0)


def test_naive_adam_chain_misses_the_lasso_solution_and_prox_adam_does_not(diabetes):
    """The measured gap of docs/transforms.md, for a batch of penalties under vmap."""
    X, y, _ = diabetes
    alphas = [0.5, 2.0]
    references = np.stack([lasso(X, y, a) for a in alphas])
    loss = least_squares(X, y - y.mean())
    lr = 0.3

    def solve(penalty, naive):
        if naive:
            tx = optax.chain(optax.adam(lr), proximal_step(penalty, lr))
        else:
            tx = prox_adam(lr, penalty)

        def body(_, carry):
            params, state = carry
            updates, state = tx.update(jax.grad(loss)(params), state, params)
            return optax.apply_updates(params, updates), state

        params = jnp.zeros(10)
        return jax.lax.fori_loop(0, STEPS, body, (params, tx.init(params)))[0]

    penalties = L1(jnp.asarray(alphas))  # one pytree holding a batch of strengths
    naive = jax.jit(jax.vmap(lambda p: solve(p, True)))(penalties)
    proper = jax.jit(jax.vmap(lambda p: solve(p, False)))(penalties)
    naive_gap = np.abs(np.asarray(naive) - references).max(axis=1)
    proper_gap = np.abs(np.asarray(proper) - references).max(axis=1)
    assert np.all(naive_gap > 1.0), naive_gap
    assert np.all(proper_gap < 1e-3), proper_gap


def test_elastic_net_penalty_reaches_sklearn_elastic_net(diabetes):
    X, y, L = diabetes
    alpha, l1_ratio = 1.5, 0.3
    model = SkElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-12)
    reference = model.set_params(max_iter=100_000).fit(X, y - y.mean()).coef_
    tx = optax.chain(optax.sgd(1 / L), proximal_step(ElasticNet(alpha, l1_ratio), 1 / L))
    w = fit(tx, least_squares(X, y - y.mean()), jnp.zeros(10))
    np.testing.assert_allclose(w, reference, atol=1e-6)
    w = fit(prox_adam(0.3, ElasticNet(alpha, l1_ratio)), least_squares(X, y - y.mean()), w * 0)
    np.testing.assert_allclose(w, reference, atol=1e-3)


def test_keras_l2_reaches_the_ridge_closed_form(diabetes):
    """L2(l2) = l2·Σw²: minimiser of (1/2n)‖y − Xw‖² + l2‖w‖² solves (XᵀX/n + 2·l2)w = Xᵀy/n."""
    X, y, L = diabetes
    yc = y - y.mean()
    n, l2 = X.shape[0], 0.5
    reference = np.linalg.solve(X.T @ X / n + 2 * l2 * np.eye(10), X.T @ yc / n)
    loss = least_squares(X, yc)
    by_prox = fit(optax.chain(optax.sgd(1 / L), proximal_step(L2(l2), 1 / L)), loss, jnp.zeros(10))
    np.testing.assert_allclose(by_prox, reference, atol=1e-8)
    step = 1 / (L + 2 * l2)
    by_gradient = fit(
        optax.chain(add_penalty_gradient(L2(l2)), optax.sgd(step)), loss, jnp.zeros(10)
    )
    np.testing.assert_allclose(by_gradient, reference, atol=1e-8)
    by_loss = fit(optax.sgd(step), regularized(loss, L2(l2)), jnp.zeros(10))
    np.testing.assert_allclose(by_loss, reference, atol=1e-8)


def test_constraint_penalty_gives_projected_gradient_nnls(diabetes):
    X, y, L = diabetes
    yc = y - y.mean()
    reference = nnls(X, yc)[0]
    loss = least_squares(X, yc)
    w = fit(optax.chain(optax.sgd(1 / L), proximal_step(NonNegative(), 1 / L)), loss, jnp.zeros(10))
    np.testing.assert_allclose(w, reference, atol=1e-6)
    w = fit(prox_adam(0.3, NonNegative()), loss, jnp.zeros(10))  # separable constraint
    np.testing.assert_allclose(w, reference, atol=1e-3)


def test_float32_stays_float32_and_converges(diabetes):
    X, y, L = diabetes
    reference = lasso(X, y, 2.0)
    loss = least_squares(X.astype(np.float32), (y - y.mean()).astype(np.float32))
    w0 = jnp.zeros(10, jnp.float32)
    for tx in (
        optax.chain(optax.sgd(1 / L), proximal_step(L1(2.0), 1 / L)),
        prox_adam(0.3, L1(2.0)),
    ):
        w = fit(tx, loss, w0)
        assert w.dtype == jnp.float32
        np.testing.assert_allclose(w, reference, atol=1e-3)


@pytest.mark.parametrize(
    "make",
    [
        lambda lr: prox_sgd(lr, L1(0.1), momentum=0.5),
        lambda lr: prox_sgd(lr, L1(0.1), momentum=0.5, nesterov=True),
        lambda lr: prox_adagrad(lr, L1(0.1)),
        lambda lr: prox_adam(lr, L1(0.1)),
        # (optax.sgd(np.float64) itself returns float64 updates, kept as they come)
        lambda lr: optax.chain(optax.sgd(0.05), proximal_step(L1(0.1), lr)),
    ],
    ids=["heavy_ball", "nesterov", "prox_adagrad", "prox_adam", "proximal_step"],
)
def test_float32_updates_and_state_with_a_float64_learning_rate(make):
    """A learning rate computed in numpy (``1 / L`` is an ``np.float64``) must not
    promote float32 updates or state to float64 under x64: the state would change dtype
    and break ``lax.fori_loop`` / ``lax.scan``."""
    params = jax.tree.map(lambda a: a.astype(jnp.float32), PARAMS)
    grads = jax.tree.map(lambda a: a.astype(jnp.float32), GRADS)
    tx = make(np.float64(0.05))
    state = tx.init(params)
    updates, new_state = tx.update(grads, state, params)
    assert {u.dtype for u in jax.tree.leaves(updates)} == {jnp.dtype(jnp.float32)}
    assert [a.dtype for a in jax.tree.leaves(new_state)] == [
        a.dtype for a in jax.tree.leaves(state)
    ]

    def body(_, carry):
        params, state = carry
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    out, _ = jax.lax.fori_loop(0, 2, body, (params, state))
    assert {a.dtype for a in jax.tree.leaves(out)} == {jnp.dtype(jnp.float32)}


# --------------------------------------------------------------------------------------
# masks


def test_mask_excludes_the_intercept_and_matches_sklearn_with_intercept(diabetes):
    """Params {w, b}, penalty on w only: the Lasso with an unpenalised intercept."""
    X, y, L = diabetes
    model = Lasso(alpha=2.0, tol=1e-12, max_iter=100_000).fit(X, y)
    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    def loss(params):
        return 0.5 * jnp.mean((yj - Xj @ params["w"] - params["b"]) ** 2)

    params = {"w": jnp.zeros(10), "b": jnp.zeros(())}
    step = 1 / max(L, 1.0)
    mask = {"w": True, "b": False}
    tx = optax.chain(optax.sgd(step), proximal_step(L1(2.0), step, mask=mask))
    out = fit(tx, loss, params)
    np.testing.assert_allclose(out["w"], model.coef_, atol=1e-6)
    np.testing.assert_allclose(out["b"], model.intercept_, atol=1e-6)
    out = fit(prox_adam(0.3, L1(2.0), mask=lambda p: {"w": True, "b": False}), loss, params)
    np.testing.assert_allclose(out["w"], model.coef_, atol=1e-3)
    np.testing.assert_allclose(out["b"], model.intercept_, atol=1e-3)


PARAMS = {"w": jnp.array([[0.5, -1.0], [0.05, 2.0]]), "b": jnp.array([0.01, -0.02])}
GRADS = {"w": jnp.array([[0.1, -0.3], [0.2, 0.05]]), "b": jnp.array([1.0, -0.5])}


@pytest.mark.parametrize(
    "penalised, plain",
    [
        (
            lambda m: optax.chain(optax.sgd(0.1), proximal_step(L1(1.0), 0.1, mask=m)),
            optax.sgd(0.1),
        ),
        (
            lambda m: optax.chain(add_penalty_gradient(L1(1.0), mask=m), optax.sgd(0.1)),
            optax.sgd(0.1),
        ),
        (lambda m: prox_sgd(0.1, L1(1.0), mask=m), optax.sgd(0.1)),
        (lambda m: prox_sgd(0.1, L1(1.0), momentum=0.9, mask=m), optax.sgd(0.1, momentum=0.9)),
        (
            lambda m: prox_sgd(0.1, L1(1.0), momentum=0.9, nesterov=True, mask=m),
            optax.sgd(0.1, momentum=0.9, nesterov=True),
        ),
        (lambda m: prox_adagrad(0.1, L1(1.0), mask=m), optax.adagrad(0.1)),
        (lambda m: prox_adam(0.1, L1(1.0), mask=m), optax.adam(0.1)),
    ],
)
def test_masked_leaves_are_exactly_untouched(penalised, plain):
    """Three steps: the excluded bias follows the unpenalised optimizer bit for bit."""
    for mask in ({"w": True, "b": False}, lambda p: {"w": True, "b": False}):
        tx = penalised(mask)
        params, reference = PARAMS, PARAMS
        state, plain_state = tx.init(params), plain.init(reference)
        for _ in range(3):
            updates, state = tx.update(GRADS, state, params)
            params = optax.apply_updates(params, updates)
            plain_updates, plain_state = plain.update(GRADS, plain_state, reference)
            reference = optax.apply_updates(reference, plain_updates)
        np.testing.assert_array_equal(params["b"], reference["b"])
        assert not np.array_equal(params["w"], reference["w"])  # w was penalised


def test_per_coordinate_strengths_with_a_mask():
    weights = {"w": jnp.array([[1.0, 0.0], [2.0, 0.0]]), "b": jnp.array([5.0, 5.0])}
    tx = optax.chain(optax.sgd(0.1), proximal_step(L1(weights), 0.1, mask={"w": True, "b": False}))
    updates, _ = tx.update(GRADS, tx.init(PARAMS), PARAMS)
    new = optax.apply_updates(PARAMS, updates)
    target = jax.tree.map(lambda p, g: p - 0.1 * g, PARAMS, GRADS)
    expected = np.sign(target["w"]) * np.maximum(np.abs(target["w"]) - 0.1 * weights["w"], 0)
    np.testing.assert_allclose(new["w"], expected, rtol=1e-14)
    np.testing.assert_array_equal(new["b"], target["b"])


# --------------------------------------------------------------------------------------
# equivalences with optax, schedules, the preconditioned threshold


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (prox_sgd(0.1, L1(0.0), momentum=0.9), optax.sgd(0.1, momentum=0.9)),
        (
            prox_sgd(0.1, L1(0.0), momentum=0.9, nesterov=True),
            optax.sgd(0.1, momentum=0.9, nesterov=True),
        ),
        (prox_adagrad(0.1, L1(0.0)), optax.adagrad(0.1)),
        (prox_adam(0.1, L1(0.0)), optax.adam(0.1)),
    ],
)
def test_zero_penalty_reduces_to_the_optax_optimizer(ours, theirs):
    params_a = params_b = PARAMS
    state_a, state_b = ours.init(params_a), theirs.init(params_b)
    for k in range(5):
        grads = jax.tree.map(lambda g, k=k: g * (1 + 0.3 * k) - 0.1 * k, GRADS)
        ua, state_a = ours.update(grads, state_a, params_a)
        ub, state_b = theirs.update(grads, state_b, params_b)
        params_a, params_b = optax.apply_updates(params_a, ua), optax.apply_updates(params_b, ub)
    for a, b in zip(jax.tree.leaves(params_a), jax.tree.leaves(params_b), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_prox_adam_threshold_is_lr_lambda_over_the_preconditioner():
    """Second step by hand: soft threshold lr·λ/d of w − lr·m̂/d, d = √v̂ + ε."""
    lam, lr, eps, b1, b2 = 0.7, 0.05, 1e-8, 0.9, 0.999
    tx = prox_adam(lr, L1(lam), eps=eps)
    g0, g1 = np.array([0.2, 0.4, -1.5]), np.array([-0.1, 0.3, -1.0])
    iterates = [jnp.array([0.3, -0.01, 1.0])]
    state = tx.init(iterates[0])
    for g in (g0, g1):
        updates, state = tx.update(jnp.asarray(g), state, iterates[-1])
        iterates.append(optax.apply_updates(iterates[-1], updates))
    m_hat = (1 - b1) * (b1 * g0 + g1) / (1 - b1**2)
    v_hat = (1 - b2) * (b2 * g0**2 + g1**2) / (1 - b2**2)
    d = np.sqrt(v_hat) + eps
    z = np.asarray(iterates[1]) - lr * m_hat / d
    expected = np.sign(z) * np.maximum(np.abs(z) - lr * lam / d, 0)
    np.testing.assert_allclose(iterates[2], expected, rtol=1e-12, atol=1e-15)
    assert float(iterates[2][1]) == 0.0  # this coordinate is thresholded to exactly 0


def test_schedules_are_evaluated_at_the_step_count():
    schedule = lambda count: 0.1 * (count + 1)  # noqa: E731
    tx = proximal_step(L1(1.0), schedule)
    params = jnp.array([1.0, -1.0])
    state = tx.init(params)
    for count in range(3):
        updates, state = tx.update(jnp.zeros(2), state, params)
        new = optax.apply_updates(params, updates)
        np.testing.assert_allclose(new, params * (1 - 0.1 * (count + 1) / jnp.abs(params)))
        params = new
    assert int(state.count) == 3


def test_penalty_strengths_accept_schedules_evaluated_at_the_step_count():
    """``L1(schedule)``: the strength at step k is schedule(k), in every transform."""
    schedule = lambda count: 0.1 * (count + 1)  # noqa: E731
    params = jnp.array([1.0, -1.0])
    tx = proximal_step(L1(schedule), 1.0)
    state = tx.init(params)
    for count in range(3):
        updates, state = tx.update(jnp.zeros(2), state, params)
        new = optax.apply_updates(params, updates)
        np.testing.assert_allclose(new, params * (1 - schedule(count) / jnp.abs(params)))
        params = new
    tx = add_penalty_gradient(L2(schedule))
    state = tx.init(params)
    for count in range(2):
        updates, state = tx.update(jnp.zeros(2), state, params)
        np.testing.assert_allclose(updates, 2 * schedule(count) * params)
    # the complete optimizers evaluate the schedule at their own count, also under jit
    for make in (prox_sgd, prox_adagrad, prox_adam):
        ours, fixed = make(0.1, L1(schedule)), make(0.1, L1(schedule(1)))
        state, fixed_state = ours.init(params), fixed.init(params)
        _, state = ours.update(GRADS["b"], state, params)
        _, fixed_state = fixed.update(GRADS["b"], fixed_state, params)
        updates, _ = jax.jit(ours.update)(GRADS["b"], state, params)
        expected, _ = fixed.update(GRADS["b"], fixed_state, params)
        np.testing.assert_allclose(updates, expected, rtol=1e-14, err_msg=make.__name__)
    with pytest.raises(TypeError, match="penalty"):
        regularized(lambda p: 0.0, L1(schedule))


def test_prox_adam_with_a_warmup_schedule_converges(diabetes):
    X, y, _ = diabetes
    schedule = optax.linear_schedule(0.01, 0.3, transition_steps=500)
    w = fit(prox_adam(schedule, L1(2.0)), least_squares(X, y - y.mean()), jnp.zeros(10))
    np.testing.assert_allclose(w, lasso(X, y, 2.0), atol=1e-3)


def test_states_are_namedtuples_with_count():
    for tx in (
        proximal_step(L1(0.1), 0.1),
        add_penalty_gradient(L1(0.1)),
        prox_sgd(0.1, L1(0.1), momentum=0.5),
        prox_adagrad(0.1, L1(0.1)),
        prox_adam(0.1, L1(0.1)),
        max_norm(),
    ):
        state = tx.init(PARAMS)
        assert int(state.count) == 0
        _, state = tx.update(GRADS, state, PARAMS)
        assert int(state.count) == 1
        assert isinstance(tx, optax.GradientTransformationExtraArgs)


# --------------------------------------------------------------------------------------
# add_penalty_gradient and regularized


def test_add_penalty_gradient_is_keras_kernel_regularizer():
    params = {"w": jnp.array([2.0, 0.0, -1.0])}
    zeros = optax.tree.zeros_like(params)
    tx = add_penalty_gradient(L1(0.1))
    updates, _ = tx.update(zeros, tx.init(params), params)
    np.testing.assert_array_equal(updates["w"], [0.1, 0.0, -0.1])  # l1·sign(w), sign(0) = 0
    tx = add_penalty_gradient(L2(0.1))
    updates, _ = tx.update(zeros, tx.init(params), params)
    np.testing.assert_allclose(updates["w"], 2 * 0.1 * params["w"])  # Keras: l2·Σw²


def test_regularized_adds_the_masked_penalty():
    def loss(params, x, scale=1.0):
        return scale * jnp.sum((params["w"] * x) ** 2), {"aux": 1}

    params = {"w": jnp.array([1.0, -2.0]), "b": jnp.array([3.0])}
    objective = regularized(loss, L1(0.5), mask={"w": True, "b": False}, has_aux=True)
    value, aux = objective(params, jnp.ones(2), scale=2.0)
    np.testing.assert_allclose(value, 2.0 * 5.0 + 0.5 * 3.0)
    assert aux == {"aux": 1}
    grads, _ = jax.grad(objective, has_aux=True)(params, jnp.ones(2))
    np.testing.assert_allclose(grads["w"], 2 * params["w"] + 0.5 * jnp.sign(params["w"]))
    np.testing.assert_array_equal(grads["b"], [0.0])
    whole = regularized(lambda p: 0.0, L1(0.5))
    np.testing.assert_allclose(whole(params), 0.5 * 6.0)


# --------------------------------------------------------------------------------------
# constraints


def keras_max_norm(w, max_value, axis):
    norms = np.sqrt(np.sum(w**2, axis=axis, keepdims=True))
    return w * (np.clip(norms, 0, max_value) / (1e-7 + norms))


def apply(tx, params, updates=None):
    updates = optax.tree.zeros_like(params) if updates is None else updates
    new_updates, _ = tx.update(updates, tx.init(params), params)
    return optax.apply_updates(params, new_updates)


def test_max_norm_gives_exact_norms_and_matches_keras():
    rng = np.random.default_rng(0)
    kernel = jnp.asarray(rng.normal(size=(6, 4)) * np.array([0.1, 1.0, 2.0, 5.0]))
    out = apply(max_norm(1.5), kernel)
    norms = np.linalg.norm(out, axis=0)
    before = np.linalg.norm(kernel, axis=0)
    np.testing.assert_allclose(norms, np.minimum(before, 1.5), rtol=1e-14)
    np.testing.assert_allclose(out, keras_max_norm(np.asarray(kernel), 1.5, 0), rtol=1e-6)
    conv = jnp.asarray(rng.normal(size=(3, 3, 2, 4)))
    out = apply(max_norm(1.0, axis=(0, 1, 2)), conv)
    np.testing.assert_allclose(
        np.sqrt(np.sum(np.asarray(out) ** 2, axis=(0, 1, 2))), 1.0, rtol=1e-14
    )


def test_unit_norm_min_max_norm_and_non_neg():
    rng = np.random.default_rng(1)
    kernel = jnp.asarray(rng.normal(size=(5, 3)) * np.array([0.1, 1.0, 3.0]))
    out = apply(unit_norm(), kernel)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), 1.0, rtol=1e-14)
    out = apply(unit_norm(axis=1), kernel)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-14)
    zero = jnp.zeros((3, 2))
    np.testing.assert_array_equal(apply(unit_norm(), zero), zero)  # stays zero, no NaN

    before = np.linalg.norm(kernel, axis=0)
    out = apply(min_max_norm(0.5, 2.0), kernel)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), np.clip(before, 0.5, 2.0), rtol=1e-14)
    out = apply(min_max_norm(0.5, 2.0, rate=0.25), kernel)
    partial = 0.25 * np.clip(before, 0.5, 2.0) + 0.75 * before
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), partial, rtol=1e-14)

    params = jnp.array([1.0, 0.5, -0.2])
    out = apply(non_neg(), params, jnp.array([-2.0, 0.25, 0.1]))
    np.testing.assert_array_equal(out, [0.0, 0.75, 0.0])


@pytest.mark.parametrize(
    "make", [lambda: max_norm(1.0), unit_norm, lambda: min_max_norm(0.5, 2.0, rate=0.5)],
    ids=["max_norm", "unit_norm", "min_max_norm"],
)
def test_constraint_gradient_is_finite_at_a_zero_column(make):
    """Differentiating through the constraint (meta-learning, unrolled training) at a
    zero weight vector gives no NaN; a zero column stays zero."""
    kernel = jnp.array([[0.0, 3.0], [0.0, 4.0]])
    tx = make()
    grad = jax.grad(lambda w: jnp.sum(apply(tx, w) * jnp.array([[1.0, 2.0]])))(kernel)
    assert np.all(np.isfinite(np.asarray(grad)))
    np.testing.assert_array_equal(apply(tx, kernel)[:, 0], [0.0, 0.0])


def test_constraints_with_masks_schedules_and_jit():
    params = {"w": jnp.array([[3.0], [4.0]]), "b": jnp.array([10.0])}
    tx = max_norm(lambda count: 1.0 / (count + 1), mask={"w": True, "b": False})
    state = tx.init(params)
    step = jax.jit(tx.update)
    for count in range(3):
        updates, state = step(optax.tree.zeros_like(params), state, params)
        params = optax.apply_updates(params, updates)
        np.testing.assert_allclose(np.linalg.norm(params["w"]), 1.0 / (count + 1), rtol=1e-14)
        np.testing.assert_array_equal(params["b"], [10.0])


@pytest.mark.parametrize(
    "make, check",
    [
        (lambda m: max_norm(1.0, mask=m), lambda w: np.linalg.norm(w, axis=0) <= 1 + 1e-12),
        (lambda m: unit_norm(mask=m), lambda w: np.isclose(np.linalg.norm(w, axis=0), 1.0)),
        (lambda m: non_neg(mask=m), lambda w: w >= 0),
        (lambda m: min_max_norm(2.0, 3.0, mask=m),
         lambda w: np.abs(np.linalg.norm(w, axis=0) - 2.5) <= 0.5 + 1e-12),
    ],
    ids=["max_norm", "unit_norm", "non_neg", "min_max_norm"],
)
@pytest.mark.parametrize("mask_form", ["tree", "callable"])
def test_every_constraint_leaves_masked_out_leaves_exactly_untouched(make, check, mask_form):
    params = {"w": jnp.array([[3.0, -0.5], [-4.0, 0.25]]), "b": jnp.array([-10.0, 7.0])}
    mask = {"w": True, "b": False}
    tx = make(mask if mask_form == "tree" else (lambda p: jax.tree.map(lambda _: True, p)
                                                 | {"b": False}))
    updates = {"w": jnp.array([[0.5, 1.0], [2.0, -3.0]]), "b": jnp.array([1.0, -2.0])}
    new_updates, _ = jax.jit(tx.update)(updates, tx.init(params), params)
    new = optax.apply_updates(params, new_updates)
    assert np.all(check(np.asarray(new["w"])))
    # excluded leaf: the incoming update passes through bit for bit
    np.testing.assert_array_equal(new_updates["b"], updates["b"])


# --------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    "tx",
    [
        proximal_step(L1(0.1), 0.1),
        proximal_step(L1(0.1), 0.1, mask={"w": True, "b": False}),
        add_penalty_gradient(L1(0.1)),
        prox_sgd(0.1, L1(0.1)),
        prox_adagrad(0.1, L1(0.1)),
        prox_adam(0.1, L1(0.1)),
        max_norm(),
        unit_norm(),
        non_neg(),
        min_max_norm(),
    ],
)
def test_params_are_required(tx):
    with pytest.raises(ValueError, match="requires the current value of parameters"):
        tx.update(GRADS, tx.init(PARAMS))


@pytest.mark.parametrize(
    "make, error, name",
    [
        (lambda: prox_adam(0.1, GroupLasso(1.0)), ValueError, "penalty"),
        (lambda: prox_adam(0.1, L2Norm(1.0)), ValueError, "penalty"),
        (lambda: prox_adagrad(0.1, L1Ball(1.0)), ValueError, "penalty"),
        (lambda: add_penalty_gradient(NonNegative()), ValueError, "penalty"),
        (lambda: proximal_step("l1", 0.1), TypeError, "penalty"),
        (lambda: proximal_step(L1(0.1), -0.1), ValueError, "learning_rate"),
        (lambda: prox_adam(jnp.ones(2), L1(0.1)), ValueError, "learning_rate"),
        (lambda: prox_adam(0.1, L1(0.1), b1=1.0), ValueError, "b1"),
        (lambda: prox_adagrad(0.1, L1(0.1), eps=-1.0), ValueError, "eps"),
        (lambda: prox_sgd(0.1, L1(0.1), momentum=1.0), ValueError, "momentum"),
        (lambda: prox_sgd(0.1, L1(0.1), nesterov=True), ValueError, "momentum"),
        (lambda: max_norm(-1.0), ValueError, "max_value"),
        (lambda: min_max_norm(2.0, 1.0), ValueError, "min_value"),
        (lambda: min_max_norm(rate=1.5), ValueError, "rate"),
        (lambda: unit_norm(axis="0"), TypeError, "axis"),
        (lambda: regularized(None, L1(0.1)), TypeError, "loss_fn"),
        (lambda: proximal_step(L1(0.1), None), TypeError, "learning_rate"),
        (lambda: prox_sgd(0.1, L1(0.1), momentum=lambda count: 0.9), TypeError, "momentum"),
        (lambda: prox_adam(0.1, L1(0.1), b1=lambda count: 0.9), TypeError, "b1"),
        (lambda: prox_adam(0.1, L1(0.1), eps=jnp.ones(2)), ValueError, "eps"),
    ],
)
def test_bad_arguments(make, error, name):
    with pytest.raises(error, match=name):
        make()


def test_axis_out_of_range_and_mismatched_strengths_raise_on_update():
    with pytest.raises(ValueError, match="axis"):
        apply(max_norm(axis=2), jnp.ones((2, 3)))
    tx = proximal_step(L1({"w": 1.0}), 0.1)  # strength tree without "b"
    with pytest.raises(ValueError, match="l1"):
        tx.update(GRADS, tx.init(PARAMS), PARAMS)


def test_prox_sgd_accepts_non_separable_penalties():
    params = {"w": jnp.array([3.0, 4.0])}
    tx = prox_sgd(1.0, GroupLasso(2.5))
    updates, _ = tx.update({"w": jnp.zeros(2)}, tx.init(params), params)
    np.testing.assert_allclose(optax.apply_updates(params, updates)["w"], [1.5, 2.0])
    # Group ids for the full parameters, with the bias masked out (column groups of w).
    params = {"w": jnp.array([[3.0, 0.3], [4.0, 0.4]]), "b": jnp.array([1.0, 2.0])}
    groups = {"w": np.array([0, 1]), "b": np.array([0, 0])}
    tx = prox_sgd(1.0, GroupLasso(1.0, groups=groups), mask={"w": True, "b": False})
    updates, _ = tx.update(optax.tree.zeros_like(params), tx.init(params), params)
    new = optax.apply_updates(params, updates)
    np.testing.assert_allclose(new["w"], [[2.4, 0.0], [3.2, 0.0]], rtol=1e-14)
    np.testing.assert_array_equal(new["b"], params["b"])


def test_public_names():
    for name in transforms.__all__:
        assert hasattr(transforms, name)
