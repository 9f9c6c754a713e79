"""Every matrix product of the solvers and estimators runs at full float32 precision.

GPUs multiply float32 matrices in TF32 by default (relative error ~1e-3), which no
certified solver survives. The solver programs are traced under
``jax.default_matmul_precision("highest")``: read the precision of every ``dot_general``
in their jaxprs (the device does not matter, so this runs on CPU).
"""

import functools

import jax
import jax.extend
import jax.numpy as jnp
import numpy as np
import pytest

import jreg
from jreg.linear_model import _cv, _ridge
from jreg.solvers import CDSettings, enet_duality_gap, enet_path_solve, fista, solve_enet
from jreg.solvers._api import jit_by_size

HIGHEST = jax.lax.Precision.HIGHEST


def _dot_precisions(jaxpr):
    """The ``precision`` of every ``dot_general`` in ``jaxpr`` and its sub-jaxprs."""
    found = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general":
            found.append(eqn.params["precision"])
        for sub in jax.extend.core.jaxprs_in_params(eqn.params):
            found.extend(_dot_precisions(sub))
    return found


def _assert_all_highest(fun, *args):
    if hasattr(fun, "trace"):  # a jit object: trace it as the top-level program
        jaxpr = fun.trace(*args).jaxpr.jaxpr
    else:
        jaxpr = jax.make_jaxpr(fun)(*args).jaxpr
    precisions = _dot_precisions(jaxpr)
    assert precisions, "no matrix product found: the check would pass vacuously"
    assert all(p == (HIGHEST, HIGHEST) for p in precisions), precisions


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 5)).astype(np.float32)
    y = rng.standard_normal(12).astype(np.float32)
    return jnp.asarray(x), jnp.asarray(y)


@pytest.mark.parametrize("solver", ["cd", "fista"])
@pytest.mark.parametrize("precompute", [True, False])
def test_path_and_single_solves_trace_full_precision_products(data, precompute, solver):
    x, y = data
    alphas = jnp.asarray([0.3, 0.1], jnp.float32)
    _assert_all_highest(
        lambda x, y: enet_path_solve(x, y, alphas, 0.5, precompute=precompute,
                                     solver=solver).coef, x, y
    )
    _assert_all_highest(
        lambda x, y: solve_enet(x, y, 0.1, precompute=precompute, solver=solver).coef, x, y
    )


def test_duality_gap_uses_full_precision_products(data):
    x, y = data
    coef = jnp.full(5, 0.1, jnp.float32)
    _assert_all_highest(lambda x, y: enet_duality_gap(x, y, coef, 0.1), x, y)


def test_fista_traces_full_precision_products(data):
    x, y = data
    _assert_all_highest(lambda x, y: fista(x, y, jreg.L1(0.1), max_iter=20).coef, x, y)


def test_ridge_programs_trace_full_precision_products(data):
    x, y = data
    ys, sw = y[:, None], jnp.ones(12, jnp.float32)
    alphas = jnp.asarray([1.0], jnp.float32)
    for method in ("svd", "cholesky"):
        _assert_all_highest(
            lambda x, method=method: _ridge._ridge_solve(
                x, ys, sw, alphas, fit_intercept=True, method=method)[0], x)
    _assert_all_highest(
        lambda x: _ridge._ridge_loo(x, ys, sw, alphas, fit_intercept=True)[0], x
    )


def test_the_check_sees_default_precision(data):
    """The helper is not vacuous: a plain product is reported as not HIGHEST."""
    x, _ = data
    with pytest.raises(AssertionError):
        _assert_all_highest(lambda x: x.T @ x, x)


def test_every_compile_tier_traces_full_precision_products(data):
    """The CV program and the path programs are built by ``jit_by_size``."""
    x, _ = data
    versions = jit_by_size(lambda a: a.T @ a, ())
    assert len(versions) == len(_cv._cv_mse_jits)
    for version in versions:
        _assert_all_highest(version, x)


@pytest.mark.parametrize(("gram", "partition", "complement"),
                         [(True, True, True), (True, False, True), (True, False, False),
                          (False, False, True)])
def test_cv_and_fold_ridge_programs_trace_full_precision_products(data, gram, partition,
                                                                 complement):
    x, y = data
    folds = [(np.arange(6, 12), np.arange(6)), (np.arange(6), np.arange(6, 12))]
    padded = [jnp.asarray(a) for a in _cv._pad_folds(folds, None, 12, np.float32)]
    sw = jnp.ones(12, jnp.float32)
    alphas = jnp.asarray([[0.3, 0.1]], jnp.float32)
    ratios = jnp.asarray([1.0], jnp.float32)
    cv = functools.partial(_cv._cv_mse_jits[-1], fit_intercept=True, positive=False,
                           gram=gram, partition=partition, complement=complement,
                           settings=CDSettings(),
                           batch="map")
    _assert_all_highest(
        lambda x, y: cv(x, y, sw, *padded, alphas, ratios, jnp.float32(1e-4),
                        jnp.int32(50))[0][0], x, y)
    train_idx, train_w, test_idx = padded[0], padded[1], padded[2]
    _assert_all_highest(
        lambda x: _ridge._fold_ridge_jit(x, y[:, None], train_idx, train_w, test_idx,
                                         jnp.asarray([1.0], jnp.float32), fit_intercept=True),
        x)
