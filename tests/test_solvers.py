"""Tests of jreg.solvers: certified elastic-net coordinate descent and FISTA.

Reference values come from scikit-learn solved to tol=1e-12 and from an independent
numpy implementation of the duality gap. Shapes are small and shared so that each
compiled program is reused across tests.
"""

import functools
import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import enet_path as sk_enet_path

from jreg import solvers
from jreg.penalties import L1

REL_SUBOPT = 1e-6


def correlated_design(n, p, seed, rho=0.6):
    """Gaussian design with AR(1)-correlated columns and a sparse ground truth."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, p))
    x = np.empty((n, p))
    x[:, 0] = z[:, 0]
    for j in range(1, p):
        x[:, j] = rho * x[:, j - 1] + np.sqrt(1 - rho**2) * z[:, j]
    x = x * rng.uniform(0.5, 2.0, p) + rng.standard_normal(p)  # scales and offsets
    w = np.zeros(p)
    support = rng.choice(p, max(1, p // 4), replace=False)
    w[support] = rng.standard_normal(support.size) * 2
    y = x @ w + 0.5 * rng.standard_normal(n) + 3.0
    return x, y


DESIGNS = {
    "tall": correlated_design(40, 8, 0),
    "wide": correlated_design(15, 40, 1),
    "square": correlated_design(20, 20, 2),
}


def objective(x, y, coef, intercept, alpha, l1_ratio, sw=None):
    """scikit-learn's elastic-net objective, computed in numpy."""
    sw = np.ones(len(y)) if sw is None else sw
    r = y - x @ coef - intercept
    return (0.5 * np.sum(sw * r * r) / np.sum(sw) + alpha * l1_ratio * np.abs(coef).sum()
            + 0.5 * alpha * (1 - l1_ratio) * coef @ coef)


def numpy_gap(x, y, coef, alpha, l1_ratio, positive=False):
    """Independent elastic-net duality gap (scikit-learn's dual point), estimator units."""
    n = len(y)
    xc, yc = x - x.mean(0), y - y.mean()
    r = yc - xc @ coef
    a, b = alpha * l1_ratio * n, alpha * (1 - l1_ratio) * n
    xta = xc.T @ r - b * coef
    dual_norm = np.max(xta) if positive else np.max(np.abs(xta))
    scale = min(1.0, a / dual_norm) if dual_norm > a else 1.0
    quad = r @ r + b * coef @ coef
    primal = 0.5 * quad + a * np.abs(coef).sum()
    dual = -0.5 * scale**2 * quad + scale * (r @ yc)
    return (primal - dual) / n


def sklearn_path(x, y, l1_ratio, alphas, positive=False):
    xc, yc = x - x.mean(0), y - y.mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, coefs, _ = sk_enet_path(xc, yc, l1_ratio=l1_ratio, alphas=alphas, tol=1e-12,
                                   max_iter=200000, positive=positive)
    return coefs.T, y.mean() - coefs.T @ x.mean(0)


def grid(x, y, l1_ratio, n_alphas=100, eps=1e-3):
    xc, yc = x - x.mean(0), y - y.mean()
    alpha_max = np.max(np.abs(xc.T @ yc)) / (len(y) * l1_ratio)
    return np.geomspace(alpha_max, alpha_max * eps, n_alphas)


@pytest.mark.parametrize("solver", ["cd", "fista"])
@pytest.mark.parametrize("name", ["diabetes", "tall", "wide", "square"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_path_matches_sklearn_at_every_alpha(name, l1_ratio, solver):
    if name == "diabetes":
        x, y = load_diabetes(return_X_y=True)
    else:
        x, y = DESIGNS[name]
    alphas = grid(x, y, l1_ratio)
    res = solvers.enet_path_solve(x, y, alphas, l1_ratio, tol=1e-12, max_iter=500000,
                                  solver=solver)
    assert np.all(res.converged)
    n_iter = np.asarray(res.n_iter)
    assert n_iter.shape == (100,) and np.all(n_iter >= 0) and n_iter.max() > 0
    ref_coef, ref_b = sklearn_path(x, y, l1_ratio, alphas)
    for i, alpha in enumerate(alphas):
        mine = objective(x, y, np.asarray(res.coef[i]), float(res.intercept[i]), alpha, l1_ratio)
        ref = objective(x, y, ref_coef[i], ref_b[i], alpha, l1_ratio)
        assert (mine - ref) / ref <= REL_SUBOPT, (i, mine, ref)
    # certificates: the reported gap is the gap recomputed independently
    for i in (0, 50, 99):
        gap = numpy_gap(x, y, np.asarray(res.coef[i]), alphas[i], l1_ratio)
        np.testing.assert_allclose(gap, float(res.gap[i]), rtol=1e-6, atol=1e-12 * np.var(y))
        assert gap <= 1e-12 * np.var(y) * 1.0001


def test_gram_and_residual_variants_agree():
    x, y = DESIGNS["tall"]  # n > p: "auto" picks the Gram variant
    alphas = grid(x, y, 1.0)
    gram = solvers.enet_path_solve(x, y, alphas, 1.0, tol=1e-12, max_iter=200000)
    resid = solvers.enet_path_solve(x, y, alphas, 1.0, tol=1e-12, max_iter=200000,
                                    precompute=False)
    np.testing.assert_allclose(np.asarray(gram.coef), np.asarray(resid.coef), atol=1e-6)
    np.testing.assert_allclose(np.asarray(gram.intercept), np.asarray(resid.intercept),
                               atol=1e-6)


@pytest.mark.parametrize("name", ["tall", "wide"])
def test_path_predictor_gives_the_certified_path(name):
    """Starting each alpha from the extrapolated path (default) or from the previous
    solution gives the same certified solutions, for any order of the alphas."""
    x, y = DESIGNS[name]
    alphas = grid(x, y, 0.7, n_alphas=20)
    plain = solvers.CDSettings(predict=False, anderson=0)  # also: no Anderson steps
    for order in (alphas, np.concatenate([alphas[::2], alphas[1::2]])):
        on = solvers.enet_path_solve(x, y, order, 0.7, tol=1e-13, max_iter=200000)
        off = solvers.enet_path_solve(x, y, order, 0.7, tol=1e-13, max_iter=200000,
                                      settings=plain)
        assert np.all(on.converged) and np.all(off.converged)
        np.testing.assert_allclose(np.asarray(on.coef), np.asarray(off.coef), atol=1e-6)
        for i in (0, 9, 19):
            gap = numpy_gap(x, y, np.asarray(on.coef[i]), order[i], 0.7)
            assert gap <= 1e-13 * np.var(y) * 1.0001


def test_positive():
    x, y = DESIGNS["wide"]
    alphas = grid(x, y, 1.0)
    res = solvers.enet_path_solve(x, y, alphas, 1.0, tol=1e-12, max_iter=200000, positive=True)
    assert np.all(np.asarray(res.coef) >= 0) and np.all(res.converged)
    ref_coef, ref_b = sklearn_path(x, y, 1.0, alphas, positive=True)
    for i, alpha in enumerate(alphas):
        mine = objective(x, y, np.asarray(res.coef[i]), float(res.intercept[i]), alpha, 1.0)
        ref = objective(x, y, ref_coef[i], ref_b[i], alpha, 1.0)
        assert (mine - ref) / ref <= REL_SUBOPT
    gap = numpy_gap(x, y, np.asarray(res.coef[-1]), alphas[-1], 1.0, positive=True)
    assert gap <= 1e-12 * np.var(y) * 1.0001


def test_enet_duality_gap_matches_numpy():
    x, y = DESIGNS["wide"]
    coef = np.random.default_rng(3).standard_normal(x.shape[1]) * 0.1
    for alpha, rho in [(0.3, 1.0), (0.1, 0.4), (0.2, 0.0)]:
        got = float(solvers.enet_duality_gap(x, y, coef, alpha, rho))
        if rho > 0:
            np.testing.assert_allclose(got, numpy_gap(x, y, coef, alpha, rho), rtol=1e-10)
        else:  # formulation B (ridge): gap = primal - dual >= 0
            assert got >= 0


@pytest.mark.parametrize("positive", [False, True])
def test_enet_gap_by_columns_equals_the_gap_of_each_column(positive):
    """``columns=True`` (FISTA's ``(p, A)`` matrices, reduced down the columns) gives
    each column's gap and dual norm, in every formulation (lasso, elastic net, ridge,
    least squares)."""
    from jreg.solvers._gap import enet_gap_from_stats

    rng = np.random.default_rng(5)
    p, n_cols = 30, 8
    corr, w = rng.standard_normal((p, n_cols)), rng.standard_normal((p, n_cols)) * 0.1
    if positive:
        w = np.abs(w)
    w[rng.random((p, n_cols)) < 0.5] = 0.0
    r_norm2 = rng.uniform(1.0, 2.0, n_cols)
    a = np.array([0.5, 1.0, 2.0, 0.0, 0.0, 0.3, 0.7, 0.0])
    b = np.array([0.0, 0.5, 0.0, 1.0, 0.0, 0.2, 0.0, 0.0])
    gaps, norms = enet_gap_from_stats(jnp.asarray(corr), jnp.asarray(w), jnp.asarray(r_norm2),
                                      jnp.asarray(a), jnp.asarray(b), positive=positive,
                                      columns=True)
    for j in range(n_cols):
        gap, norm = enet_gap_from_stats(jnp.asarray(corr[:, j]), jnp.asarray(w[:, j]),
                                        r_norm2[j], a[j], b[j], positive=positive)
        np.testing.assert_allclose(float(gaps[j]), float(gap), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(float(norms[j]), float(norm), rtol=1e-15)


def test_sample_weight_matches_sklearn():
    from sklearn.linear_model import ElasticNet as SkElasticNet

    x, y = DESIGNS["tall"]
    sw = np.random.default_rng(4).integers(0, 3, len(y)).astype(float)
    alpha = 0.05
    res = solvers.solve_enet(x, y, alpha, 0.7, sample_weight=sw, tol=1e-13, max_iter=100000)
    ref = SkElasticNet(alpha=alpha, l1_ratio=0.7, tol=1e-13, max_iter=100000)
    ref.fit(x, y, sample_weight=sw)
    mine = objective(x, y, np.asarray(res.coef), float(res.intercept), alpha, 0.7, sw)
    theirs = objective(x, y, ref.coef_, ref.intercept_, alpha, 0.7, sw)
    assert (mine - theirs) / theirs <= REL_SUBOPT
    np.testing.assert_allclose(np.asarray(res.coef), ref.coef_, atol=1e-6)
    np.testing.assert_allclose(float(res.gap), ref.dual_gap_, atol=1e-9 * np.var(y))


@functools.partial(jax.jit, static_argnames="solver")
def _batched(x, alphas, ys, weights, tol, max_iter, solver="auto"):
    """One compiled batch: lane k has its own alpha, target and fold weights."""

    def one(alpha, y, w):
        return solvers.solve_enet(x, y, alpha, sample_weight=w, tol=tol, max_iter=max_iter,
                                  solver=solver)

    return jax.vmap(one)(alphas, ys, weights)


def test_vmap_over_alphas_targets_and_folds_with_flags():
    x, y = DESIGNS["tall"]
    alphas = jnp.asarray(grid(x, y, 1.0, n_alphas=4))
    ys = jnp.stack([y, -y, 2 * y + 1, y])
    masks = jnp.asarray(np.array([np.arange(len(y)) % 3 != k % 3 for k in range(4)], float))
    batch = _batched(x, alphas, ys, masks, 1e-10, 100000)
    assert batch.coef.shape == (4, x.shape[1]) and batch.converged.shape == (4,)
    assert bool(jnp.all(batch.converged))
    for k in range(4):
        single = solvers.solve_enet(x, ys[k], float(alphas[k]), sample_weight=masks[k],
                                    tol=1e-10, max_iter=100000)
        np.testing.assert_allclose(np.asarray(batch.coef[k]), np.asarray(single.coef),
                                   atol=1e-8)
        np.testing.assert_allclose(float(batch.intercept[k]), float(single.intercept),
                                   atol=1e-8)
    # a batch that runs out of iterations flags exactly the lanes that did not converge
    short = _batched(x, alphas, ys, masks, 1e-14, 1)
    assert not bool(jnp.all(short.converged))
    assert np.all(np.asarray(short.n_iter) <= 1)
    flags = np.asarray(short.converged)
    tols = 1e-14 * np.array([np.sum(np.asarray(m) * (np.asarray(t) - np.average(t, weights=m)) ** 2)
                             / np.sum(m) for t, m in zip(ys, masks, strict=True)])
    np.testing.assert_array_equal(flags, np.asarray(short.gap) <= tols)


def test_float32():
    x, y = DESIGNS["tall"]
    r64 = solvers.solve_enet(x, y, 0.05, 0.5, tol=1e-6)
    assert r64.coef.dtype == jnp.float64
    r32 = solvers.solve_enet(x.astype(np.float32), y.astype(np.float32), 0.05, 0.5, tol=1e-6)
    assert r32.coef.dtype == jnp.float32 and bool(r32.converged)
    np.testing.assert_allclose(np.asarray(r32.coef), np.asarray(r64.coef), atol=2e-3)
    gap32 = numpy_gap(x, y, np.asarray(r32.coef, np.float64), 0.05, 0.5)
    assert gap32 <= 1e-5 * np.var(y)


def test_no_recompilation_across_alphas_tols_max_iter():
    from jreg.solvers import _api

    x, y = DESIGNS["tall"]
    solvers.solve_enet(x, y, 0.1, 0.5, tol=1e-4, max_iter=100)
    jitted = _api.pick_jit(_api._multi_path_jits, x.size, x)
    size = jitted._cache_size()
    assert size >= 1
    for alpha, rho, tol, max_iter in [(0.2, 0.5, 1e-6, 50), (0.01, 0.9, 1e-8, 1000),
                                      (1.0, 0.0, 1e-3, 7)]:
        solvers.solve_enet(x, y, alpha, rho, tol=tol, max_iter=max_iter)
    assert jitted._cache_size() == size


def test_zero_columns_constant_y_and_alpha_max():
    x, y = DESIGNS["tall"]
    x = x.copy()
    x[:, 2] = 5.0  # zero variance after centring
    res = solvers.solve_enet(x, y, 0.01, tol=1e-10)
    assert float(res.coef[2]) == 0.0 and bool(res.converged)
    const = solvers.solve_enet(x, np.full(len(y), 2.5), 0.01)
    assert np.all(np.asarray(const.coef) == 0) and int(const.n_iter) == 0
    np.testing.assert_allclose(float(const.intercept), 2.5)
    alpha_max = grid(x, y, 1.0)[0]
    top = solvers.solve_enet(x, y, alpha_max * 1.0001)
    assert np.all(np.asarray(top.coef) == 0) and int(top.n_iter) == 0


def test_bad_input_errors_name_the_argument():
    x, y = DESIGNS["tall"]
    with pytest.raises(ValueError, match="alpha"):
        solvers.solve_enet(x, y, -1.0)
    with pytest.raises(ValueError, match="l1_ratio"):
        solvers.solve_enet(x, y, 0.1, 1.5)
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X"):
        solvers.solve_enet(bad, y, 0.1)
    with pytest.raises(ValueError, match="y"):
        solvers.solve_enet(x, y[:-1], 0.1)
    with pytest.raises(ValueError, match="sample_weight"):
        solvers.solve_enet(x, y, 0.1, sample_weight=-np.ones(len(y)))


class _NonNegL2:
    """A penalty without a known conjugate: ½‖w‖² + indicator(w ≥ 0)."""

    def value(self, w):
        return 0.5 * jnp.vdot(w, w)

    def prox(self, w, scaling=1.0):
        return jnp.maximum(w, 0.0) / (1.0 + scaling)


def test_fista_matches_cd_with_certified_gap():
    x, y = DESIGNS["tall"]
    alpha = 0.05
    res = solvers.fista(x, y, L1(alpha), tol=1e-10, max_iter=20000)  # jreg.penalties.L1
    ref = solvers.solve_enet(x, y, alpha, tol=1e-12, max_iter=100000)
    assert bool(res.converged) and np.isfinite(float(res.gap))
    np.testing.assert_allclose(np.asarray(res.coef), np.asarray(ref.coef), atol=1e-5)
    np.testing.assert_allclose(float(res.intercept), float(ref.intercept), atol=1e-5)
    assert numpy_gap(x, y, np.asarray(res.coef), alpha, 1.0) <= 1e-10 * np.var(y) * 1.0001


def test_fista_uncertified_penalty_reports_nan_gap():
    x, y = DESIGNS["tall"]
    res = solvers.fista(x, y, _NonNegL2(), tol=1e-9, max_iter=20000)
    assert np.isnan(float(res.gap)) and bool(res.converged)
    coef = np.asarray(res.coef)
    assert np.all(coef >= 0)
    # optimality of the projected problem: fixed point of the prox-gradient map
    xc, yc = x - x.mean(0), y - y.mean()
    grad = xc.T @ (xc @ coef - yc) / len(y)
    step = 1e-3
    fixed = np.maximum(coef - step * grad, 0.0) / (1 + step)
    np.testing.assert_allclose(fixed, coef, atol=1e-6)


def test_enet_strengths_mapping():
    from jreg import penalties

    assert solvers.enet_strengths(penalties.L1(0.5)) == (0.5, 0.0)
    assert solvers.enet_strengths(penalties.L2(0.3)) == (0.0, 0.6)
    assert solvers.enet_strengths(penalties.L1L2(0.1, 0.3)) == (0.1, 0.6)
    assert solvers.enet_strengths(penalties.ElasticNet(2.0, 0.25)) == (0.5, 1.5)
    assert solvers.enet_strengths(_NonNegL2()) is None

    class L1:  # same name, not jreg's penalty: its meaning is unknown, so no gap
        l1 = 0.5

    assert solvers.enet_strengths(L1()) is None
    assert solvers.enet_strengths(penalties.L1(np.array([0.1, 0.2]))) is None


def test_fista_with_jreg_penalty_objects():
    from jreg import penalties

    x, y = DESIGNS["tall"]
    res = solvers.fista(x, y, penalties.ElasticNet(alpha=0.05, l1_ratio=0.5), tol=1e-10,
                        max_iter=20000)
    ref = solvers.solve_enet(x, y, 0.05, 0.5, tol=1e-12, max_iter=100000)
    assert bool(res.converged) and np.isfinite(float(res.gap))
    np.testing.assert_allclose(np.asarray(res.coef), np.asarray(ref.coef), atol=1e-5)
    # a penalty without a known conjugate: solved, but flagged as uncertified (gap NaN)
    group = solvers.fista(x, y, penalties.GroupLasso(0.1), tol=1e-8, max_iter=20000)
    assert np.isnan(float(group.gap)) and bool(group.converged)


def test_working_set_selection_without_sort_equals_stable_argsort():
    """The sort-free selection of the m smallest priorities is argsort's (ties by index)."""
    from jreg.solvers import _cd

    rng = np.random.default_rng(0)
    pick = jax.jit(_cd._smallest)
    for dtype in (np.float32, np.float64):
        values = np.round(rng.exponential(size=50), 1).astype(dtype)  # many ties
        values[[3, 17]] = np.inf
        values[[5, 9]] = 0.0
        values[11] = -0.0
        values[[21, 40]] = np.nan  # argsort puts NaNs last, whatever their sign bit
        values[21] = -values[21]
        for m in (0, 1, 7, 30, 47, 48, 49, 50):
            expected = np.zeros(50, bool)
            expected[np.argsort(values + 0.0, kind="stable")[:m]] = True
            np.testing.assert_array_equal(np.asarray(pick(jnp.asarray(values), m)), expected)


@pytest.mark.parametrize("gram", [True, False])
def test_blocks_longer_than_eight_are_plain_cyclic_cd(gram):
    """A block of 12 or 16 coordinates is split into recursions of 8 (XLA fuses those
    well); an epoch still makes the same coordinate updates, in the same order, as one
    with blocks of 8 or of 1 (plain cyclic coordinate descent)."""
    from jreg.solvers import _cd

    rng = np.random.default_rng(5)
    x = rng.standard_normal((30, 40)) @ (np.eye(40) + 0.3 * rng.standard_normal((40, 40)))
    y = x[:, :5] @ rng.standard_normal(5) + rng.standard_normal(30)
    op = (_cd.gram_op(jnp.asarray(x.T @ x), jnp.asarray(x.T @ y), jnp.asarray(y @ y)) if gram
          else _cd.residual_op(jnp.asarray(x.T), jnp.asarray(y)))
    a = 0.05 * np.max(np.abs(x.T @ y))
    w = jnp.asarray(np.where(rng.uniform(size=40) < 0.5, rng.standard_normal(40), 0.0))
    aux = _cd.init_aux(op, w)
    corr = _cd.full_corr(op, aux)
    out = {}
    for block in (1, 4, 8, 12, 16, None):  # None: the default rule (block_size)
        settings = _cd.CDSettings(block=block, p0=40)
        ws = _cd._select_working_set(op, corr, w, a, 0.5, False, settings)
        order = np.asarray(ws.idx)[np.asarray(ws.valid)]
        w_ws = jnp.where(ws.valid.reshape(-1), w[ws.idx.reshape(-1)], 0.0)
        w_new, aux_new = _cd._epoch(op, ws, w_ws, aux, a, 0.5, False)
        w_full = jnp.zeros(40).at[ws.idx.reshape(-1)].add(
            jnp.where(ws.valid.reshape(-1), w_new, 0.0))
        out[block] = (order, np.asarray(w_full), np.asarray(aux_new))
    for block in (4, 8, 12, 16, None):
        np.testing.assert_array_equal(out[block][0], out[1][0])
        np.testing.assert_allclose(out[block][1], out[1][1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(out[block][2], out[1][2], rtol=1e-10, atol=1e-10)
    assert np.any(out[16][1] != np.asarray(w))


def test_default_block_size_by_operator_and_backend(monkeypatch):
    """Blocks of 4 for Gram problems on CPU (measured faster there), 8 for the residual
    operator and on accelerators; an explicit ``block`` always wins."""
    from jreg.solvers import _cd

    gram = _cd.gram_op(jnp.eye(3), jnp.ones(3), jnp.asarray(1.0))
    resid = _cd.residual_op(jnp.eye(3), jnp.ones(3))
    default = _cd.CDSettings()
    assert default.block is None
    assert _cd.block_size(gram, default) == 4 and _cd.block_size(resid, default) == 8
    assert _cd.block_size(gram, _cd.CDSettings(block=16)) == 16
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert _cd.block_size(gram, default) == 8 and _cd.block_size(resid, default) == 8
    _cd.check_settings(default)  # None is valid


@pytest.mark.parametrize("p", [40, 300])
def test_symmetric_gram_is_the_exactly_symmetric_gram(p):
    """Upper block triangle products (p >= 256) or one product, mirrored: ``XᵀX`` to
    rounding, and symmetric bit for bit (the CV's fold Gram matrices rely on it)."""
    from jreg.solvers import _api

    x = np.random.default_rng(p).standard_normal((50, p))
    gram = np.asarray(jax.jit(_api.symmetric_gram)(jnp.asarray(x.T)))
    np.testing.assert_array_equal(gram, gram.T)
    np.testing.assert_allclose(gram, x.T @ x, rtol=1e-12, atol=1e-12)


def test_float32_gram_default_rule(monkeypatch):
    """The float32 copy of ``Q``: float64 Gram problems of at least 256 features on CPU by
    default; ``float32_gram`` True / False overrides the size and the backend, never the
    dtype; the residual operator is left alone."""
    from jreg.solvers import _cd

    def op(p, dtype=jnp.float64):
        return _cd.gram_op(jnp.eye(p, dtype=dtype), jnp.ones(p, dtype), jnp.asarray(1.0, dtype))

    default, on, off = (_cd.CDSettings(float32_gram=v) for v in (None, True, False))
    big = _cd.with_float32_gram(op(256), default)
    assert big.gram_lo.dtype == jnp.float32 and big.gram.dtype == jnp.float64
    np.testing.assert_array_equal(np.asarray(big.gram_lo), np.eye(256))
    assert _cd.with_float32_gram(op(255), default).gram_lo is None
    assert _cd.with_float32_gram(op(256), off).gram_lo is None
    assert _cd.with_float32_gram(op(3), on).gram_lo is not None
    assert _cd.with_float32_gram(op(300, jnp.float32), on).gram_lo is None
    resid = _cd.residual_op(jnp.eye(3), jnp.ones(3))
    assert _cd.with_float32_gram(resid, on) is resid
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert _cd.with_float32_gram(op(256), default).gram_lo is None
    assert _cd.with_float32_gram(op(256), on).gram_lo is not None


@pytest.mark.parametrize("name", ["tall", "wide", "square"])
@pytest.mark.parametrize("l1_ratio, positive", [(1.0, False), (0.5, False), (1.0, True)])
def test_float32_gram_updates_still_certify_tight_gaps(name, l1_ratio, positive):
    """With the epochs' updates read from a float32 copy of ``Q``, the path still reaches
    a float64 gap of 1e-12 (the outer loop recomputes ``Qw`` from ``Q``), the reported gaps
    are the gaps recomputed independently, and the optimum is scikit-learn's."""
    x, y = DESIGNS[name]
    alphas = grid(x, y, l1_ratio)
    res = solvers.enet_path_solve(x, y, alphas, l1_ratio, tol=1e-12, max_iter=500000,
                                  precompute=True, positive=positive, solver="cd",
                                  settings=solvers.CDSettings(float32_gram=True))
    assert np.all(res.converged)
    ref_coef, ref_b = sklearn_path(x, y, l1_ratio, alphas, positive=positive)
    for i, alpha in enumerate(alphas):
        mine = objective(x, y, np.asarray(res.coef[i]), float(res.intercept[i]), alpha, l1_ratio)
        ref = objective(x, y, ref_coef[i], ref_b[i], alpha, l1_ratio)
        assert (mine - ref) / ref <= REL_SUBOPT, (i, mine, ref)
    for i in range(0, 100, 9):
        gap = numpy_gap(x, y, np.asarray(res.coef[i]), alphas[i], l1_ratio, positive)
        np.testing.assert_allclose(gap, float(res.gap[i]), rtol=1e-6, atol=1e-13 * np.var(y))
        assert gap <= 1e-12 * np.var(y) * 1.0001


@pytest.mark.parametrize("name", ["tall", "wide", "square"])
def test_float32_gram_updates_cost_no_more_epochs_at_usual_tolerances(name):
    """At a relative gap of 1e-9 the float32 updates take about the float64 updates'
    epochs (ElasticNet on these designs: -5 % to +4 %; the tall Lasso +17 %; at 1e-12,
    on these tiny rank-deficient designs, up to 1.4x)."""
    x, y = DESIGNS[name]
    alphas = grid(x, y, 0.5)
    epochs = {
        flag: int(np.sum(solvers.enet_path_solve(
            x, y, alphas, 0.5, tol=1e-9, max_iter=500000, precompute=True, solver="cd",
            settings=solvers.CDSettings(float32_gram=flag)).n_iter))
        for flag in (True, False)
    }
    assert epochs[True] <= 1.1 * epochs[False] + 10, epochs


def test_float32_gram_is_the_default_from_256_features():
    """A float64 path on 300 features converts ``Q`` to float32 once (the default rule, in
    the compiled program), and still certifies scikit-learn's optimum at every alpha."""
    from jreg.solvers import _api

    x, y = correlated_design(400, 300, 7)
    alphas = grid(x, y, 1.0, n_alphas=8, eps=0.05)
    program = str(jax.make_jaxpr(
        lambda x, y: _api._multi_path(x, y[None], jnp.ones(400), alphas, 1.0,
                                      jnp.zeros((1, 300)), 1e-10, 10000, None, None,
                                      fit_intercept=True, positive=False, gram=True,
                                      settings=solvers.CDSettings(), batch="map",
                                      stage="all"))(x, y))
    assert "f32[300,300]" in program
    res = solvers.enet_path_solve(x, y, alphas, tol=1e-10, max_iter=100000)
    assert np.all(res.converged)
    ref_coef, ref_b = sklearn_path(x, y, 1.0, alphas)
    for i, alpha in enumerate(alphas):
        mine = objective(x, y, np.asarray(res.coef[i]), float(res.intercept[i]), alpha, 1.0)
        ref = objective(x, y, ref_coef[i], ref_b[i], alpha, 1.0)
        assert (mine - ref) / ref <= REL_SUBOPT, (i, mine, ref)
        gap = numpy_gap(x, y, np.asarray(res.coef[i]), alpha, 1.0)
        np.testing.assert_allclose(gap, float(res.gap[i]), rtol=1e-6, atol=1e-13 * np.var(y))


@pytest.mark.parametrize(
    "field, value",
    [("max_inner_rounds", 0), ("p0", 0), ("block", 0), ("anderson", -1), ("inner_ratio", 1.0),
     ("float32_gram", 1), ("full_sweep_max", -1), ("full_sweep_max", 2.0),
     ("full_sweep_max", 129)],
)
def test_settings_that_cannot_work_are_rejected(field, value):
    """``max_inner_rounds=0`` used to loop forever and ``p0=0`` to stall silently."""
    x, y = DESIGNS["tall"]
    settings = solvers.CDSettings(**{field: value})
    with pytest.raises(ValueError, match=f"settings.{field}"):
        solvers.enet_path_solve(x, y, np.array([0.1]), settings=settings)


def test_fista_keeps_float32_when_x64_is_enabled():
    """float32 data stays float32 (x64 is on in the tests): the step size, the gap
    placeholder and every loop carry are cast to the data's dtype."""
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.standard_normal((20, 4)), jnp.float32)
    y = jnp.asarray(rng.standard_normal(20), jnp.float32)
    res = solvers.fista(x, y, L1(0.05), tol=1e-4, max_iter=500)
    program = str(jax.make_jaxpr(lambda x, y: solvers.fista(x, y, L1(0.05), max_iter=5))(x, y))
    # no float64 array anywhere (the float penalty strength stays a weak f64 scalar)
    assert not re.search(r"f64\[\d", program), program
    assert res.coef.dtype == res.intercept.dtype == res.gap.dtype == jnp.float32
    assert bool(res.converged)
    ref = solvers.fista(x.astype(jnp.float64), y.astype(jnp.float64), L1(0.05), tol=1e-10,
                max_iter=5000)
    np.testing.assert_allclose(res.coef, ref.coef, atol=1e-3)


@pytest.mark.parametrize("l1_ratio, positive", [(1.0, False), (0.5, False), (1.0, True)])
def test_full_sweeps_and_working_sets_give_the_same_certified_path(l1_ratio, positive):
    """Gram problems of at most ``full_sweep_max`` features sweep every feature each
    epoch (the default for diabetes' 10); with ``full_sweep_max=0`` they use working
    sets. Both certify every alpha, and the gap is the one recomputed in numpy."""
    x, y = load_diabetes(return_X_y=True)
    alphas = grid(x, y, l1_ratio, n_alphas=30)
    kw = dict(tol=1e-12, max_iter=200000, positive=positive)
    sweep = solvers.enet_path_solve(x, y, alphas, l1_ratio, **kw)
    ws = solvers.enet_path_solve(x, y, alphas, l1_ratio, **kw,
                                 settings=solvers.CDSettings(full_sweep_max=0))
    anderson_off = solvers.enet_path_solve(x, y, alphas, l1_ratio, **kw,
                                           settings=solvers.CDSettings(anderson=0))
    for res in (sweep, ws, anderson_off):
        assert np.all(res.converged) and int(np.sum(res.n_iter)) > 0
    # Anderson's extrapolations are taken in the full sweep too
    assert int(np.sum(sweep.n_iter)) < int(np.sum(anderson_off.n_iter))
    # different iterates (and Anderson steps), the same certified solutions
    assert not np.array_equal(np.asarray(sweep.n_iter), np.asarray(ws.n_iter))
    np.testing.assert_allclose(np.asarray(sweep.coef), np.asarray(ws.coef), rtol=1e-5,
                               atol=1e-3)
    np.testing.assert_allclose(np.asarray(anderson_off.coef), np.asarray(ws.coef), rtol=1e-5,
                               atol=1e-3)
    if positive:
        assert np.all(np.asarray(sweep.coef) >= 0)
    for i in (0, 15, 29):
        coef = np.asarray(sweep.coef[i])
        gap = numpy_gap(x, y, coef, alphas[i], l1_ratio, positive=positive)
        np.testing.assert_allclose(gap, float(sweep.gap[i]), rtol=1e-6,
                                   atol=1e-12 * np.var(y))
        assert gap <= 1e-12 * np.var(y) * 1.0001


def test_full_sweep_stops_at_max_iter_with_an_honest_gap():
    """A full-sweep solve cut short by ``max_iter`` reports it as not converged, with the
    gap of the coefficients it returns; a zero column stays at zero."""
    x, y = load_diabetes(return_X_y=True)
    x = np.hstack([x, np.zeros((len(y), 1))])
    for max_iter in (3, 5, 10):  # within a round, and on an Anderson step
        res = solvers.solve_enet(x, y, 1e-4, tol=1e-14, max_iter=max_iter)
        assert not bool(res.converged) and int(res.n_iter) == max_iter
        gap = numpy_gap(x, y, np.asarray(res.coef), 1e-4, 1.0)
        np.testing.assert_allclose(gap, float(res.gap), rtol=1e-6)
        assert float(res.coef[-1]) == 0.0


def test_anderson_weights_solve_their_system():
    """Fused sums (short rows) or dots (long rows), the unrolled elimination (K ≤ 10)
    or LAPACK (longer histories): all give the affine weights ``c ∝ (DDᵀ)⁻¹1``."""
    from jreg.solvers import _cd

    rng = np.random.default_rng(0)
    for m, k in ((12, 5), (300, 5), (40, 12)):
        hist = np.cumsum(rng.standard_normal((k + 1, m)), axis=0)
        diffs = np.diff(hist, axis=0)
        z = np.linalg.solve(diffs @ diffs.T, np.ones(k))
        np.testing.assert_allclose(np.asarray(_cd._anderson_weights(jnp.asarray(hist))),
                                   z / z.sum(), rtol=1e-8)
    mat = rng.standard_normal((4, 4))
    mat = mat @ mat.T + np.eye(4)
    np.testing.assert_allclose(np.asarray(_cd._solve_small(jnp.asarray(mat), jnp.ones(4))),
                               np.linalg.solve(mat, np.ones(4)), rtol=1e-10)
