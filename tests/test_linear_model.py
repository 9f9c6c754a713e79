"""Tests of jreg.linear_model against scikit-learn (objectives, attributes, grids, CV)."""

import warnings

import jax
import numpy as np
import pytest
import sklearn.linear_model as sk
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold

import jreg.linear_model as jl

REL_SUBOPT = 1e-6
TIGHT = dict(tol=1e-12, max_iter=200000)


def correlated_design(n, p, seed, rho=0.6):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, p))
    x = np.empty((n, p))
    x[:, 0] = z[:, 0]
    for j in range(1, p):
        x[:, j] = rho * x[:, j - 1] + np.sqrt(1 - rho**2) * z[:, j]
    x = x * rng.uniform(0.5, 2.0, p) + rng.standard_normal(p)
    w = np.zeros(p)
    support = rng.choice(p, max(1, p // 4), replace=False)
    w[support] = rng.standard_normal(support.size) * 2
    return x, x @ w + 0.5 * rng.standard_normal(n) + 3.0


DATA = {
    "diabetes": load_diabetes(return_X_y=True),
    "tall": correlated_design(40, 8, 0),
    "wide": correlated_design(15, 40, 1),
    "square": correlated_design(20, 20, 2),
}


def enet_objective(x, y, coef, intercept, alpha, l1_ratio, sw=None):
    sw = np.ones(len(y)) if sw is None else sw
    r = y - x @ coef - intercept
    return (0.5 * np.sum(sw * r * r) / np.sum(sw) + alpha * l1_ratio * np.abs(coef).sum()
            + 0.5 * alpha * (1 - l1_ratio) * coef @ coef)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("name", list(DATA))
@pytest.mark.parametrize("cls, l1_ratio", [("Lasso", 1.0), ("ElasticNet", 0.3)])
def test_single_fit_matches_sklearn(name, cls, l1_ratio):
    x, y = DATA[name]
    alpha = 0.05 * np.max(np.abs((x - x.mean(0)).T @ (y - y.mean()))) / len(y)
    kw = {} if cls == "Lasso" else {"l1_ratio": l1_ratio}
    mine = getattr(jl, cls)(alpha=alpha, **kw, **TIGHT).fit(x, y)
    ref = quiet(getattr(sk, cls)(alpha=alpha, **kw, **TIGHT).fit, x, y)
    p_mine = enet_objective(x, y, mine.coef_, mine.intercept_, alpha, l1_ratio)
    p_ref = enet_objective(x, y, ref.coef_, ref.intercept_, alpha, l1_ratio)
    assert (p_mine - p_ref) / p_ref <= REL_SUBOPT
    assert isinstance(mine.intercept_, float) and isinstance(mine.dual_gap_, float)
    assert isinstance(mine.n_iter_, int) and mine.n_iter_ >= 1
    assert mine.coef_.shape == (x.shape[1],) and mine.coef_.dtype == np.float64
    assert mine.dual_gap_ <= 1e-12 * np.var(y) * 1.0001
    np.testing.assert_allclose(mine.predict(x), ref.predict(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_paths_match_sklearn_grid_and_solutions(l1_ratio):
    x, y = DATA["diabetes"]
    xc, yc = x - x.mean(0), y - y.mean()
    fn = jl.lasso_path if l1_ratio == 1.0 else jl.enet_path
    kw = {} if l1_ratio == 1.0 else {"l1_ratio": l1_ratio}
    alphas, coefs, gaps, n_iters = fn(xc, yc, return_n_iter=True, **kw, **TIGHT)
    ref = quiet(getattr(sk, fn.__name__), xc, yc, **kw, **TIGHT)
    np.testing.assert_allclose(alphas, ref[0], rtol=1e-14)  # the default grid
    assert coefs.shape == ref[1].shape == (10, 100) and gaps.shape == (100,)
    assert len(n_iters) == 100 and all(isinstance(k, int) for k in n_iters)
    for i, alpha in enumerate(alphas):
        p_mine = enet_objective(xc, yc, coefs[:, i], 0.0, alpha, l1_ratio)
        p_ref = enet_objective(xc, yc, ref[1][:, i], 0.0, alpha, l1_ratio)
        assert (p_mine - p_ref) / p_ref <= REL_SUBOPT
    # explicit alphas are sorted decreasingly, an int is a grid size (scikit-learn >= 1.9)
    a2, c2, _ = fn(xc, yc, alphas=[0.1, 1.0, 0.5], **kw)
    np.testing.assert_array_equal(a2, [1.0, 0.5, 0.1])
    a3, _, _ = fn(xc, yc, alphas=5, eps=1e-2, **kw)
    np.testing.assert_allclose(a3, getattr(sk, fn.__name__)(xc, yc, alphas=5, eps=1e-2, **kw)[0])


def test_independent_gap_of_returned_coefficients():
    """The certificate holds for the returned coefficients, recomputed in numpy."""
    x, y = DATA["wide"]
    alpha, rho = 0.02, 0.8
    model = jl.ElasticNet(alpha=alpha, l1_ratio=rho, tol=1e-10, max_iter=100000).fit(x, y)
    n = len(y)
    xc, yc = x - x.mean(0), y - y.mean()
    w = model.coef_
    r = yc - xc @ w
    a, b = alpha * rho * n, alpha * (1 - rho) * n
    xta = xc.T @ r - b * w
    scale = min(1.0, a / np.max(np.abs(xta)))
    primal = 0.5 * (r @ r + b * w @ w) + a * np.abs(w).sum()
    dual = -0.5 * scale**2 * (r @ r + b * w @ w) + scale * (r @ yc)
    gap = (primal - dual) / n
    assert gap <= 1e-10 * (yc @ yc) / n * 1.0001
    np.testing.assert_allclose(gap, model.dual_gap_, rtol=1e-3, atol=1e-14 * (yc @ yc))
    np.testing.assert_allclose(model.intercept_, y.mean() - x.mean(0) @ w)


def test_sample_weight_multi_output_warm_start_positive_precompute():
    x, y = DATA["tall"]
    sw = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    mine = jl.ElasticNet(alpha=0.05, l1_ratio=0.6, **TIGHT).fit(x, y, sample_weight=sw)
    ref = sk.ElasticNet(alpha=0.05, l1_ratio=0.6, **TIGHT).fit(x, y, sample_weight=sw)
    assert enet_objective(x, y, mine.coef_, mine.intercept_, 0.05, 0.6, sw) <= (
        enet_objective(x, y, ref.coef_, ref.intercept_, 0.05, 0.6, sw) * (1 + REL_SUBOPT))
    np.testing.assert_allclose(mine.dual_gap_, ref.dual_gap_, atol=1e-9 * np.var(y))
    # multi-output: independent targets, batched
    ys = np.stack([y, 2 * y - 1.0, -y], axis=1)
    multi = jl.Lasso(alpha=0.1, **TIGHT).fit(x, ys)
    assert multi.coef_.shape == (3, 8) and multi.intercept_.shape == (3,)
    assert isinstance(multi.n_iter_, list) and multi.dual_gap_.shape == (3,)
    single = jl.Lasso(alpha=0.1, **TIGHT).fit(x, ys[:, 1])
    np.testing.assert_allclose(multi.coef_[1], single.coef_, atol=1e-8)
    assert multi.predict(x).shape == (40, 3)
    # warm start continues from coef_ and converges at once at the same alpha
    model = jl.Lasso(alpha=0.1, warm_start=True, **TIGHT).fit(x, y)
    coef = model.coef_.copy()
    model.fit(x, y)
    assert model.n_iter_ <= 5
    np.testing.assert_allclose(model.coef_, coef, atol=1e-8)
    # positive
    pos = jl.Lasso(alpha=0.01, positive=True, **TIGHT).fit(x, y)
    ref = sk.Lasso(alpha=0.01, positive=True, **TIGHT).fit(x, y)
    assert np.all(pos.coef_ >= 0)
    assert enet_objective(x, y, pos.coef_, pos.intercept_, 0.01, 1.0) <= enet_objective(
        x, y, ref.coef_, ref.intercept_, 0.01, 1.0) * (1 + REL_SUBOPT)
    # precompute variants give the same solution; a user Gram of centred data is used
    xc = x - x.mean(0)
    base = jl.Lasso(alpha=0.1, precompute=False, **TIGHT).fit(xc, y)
    for pre in (True, "auto", xc.T @ xc):
        other = jl.Lasso(alpha=0.1, precompute=pre, **TIGHT).fit(xc, y)
        np.testing.assert_allclose(other.coef_, base.coef_, atol=1e-8)
    with pytest.warns(UserWarning, match="recomputing Gram"):
        jl.Lasso(alpha=0.1, precompute=x.T @ x).fit(x, y)


def test_float32_in_float32_out():
    x, y = DATA["tall"]
    model = jl.ElasticNet(alpha=0.05, tol=1e-6).fit(x.astype(np.float32), y.astype(np.float32))
    assert model.coef_.dtype == np.float32
    ref = jl.ElasticNet(alpha=0.05, tol=1e-6).fit(x, y)
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=2e-3)


@pytest.mark.parametrize("cls", ["LassoCV", "ElasticNetCV"])
def test_cv_picks_the_same_alpha_as_sklearn(cls):
    x, y = DATA["diabetes"]
    kw = {} if cls == "LassoCV" else {"l1_ratio": [0.3, 0.9]}
    folds = KFold(5)
    mine = getattr(jl, cls)(cv=folds, tol=1e-10, max_iter=100000, **kw).fit(x, y)
    ref = getattr(sk, cls)(cv=folds, tol=1e-10, max_iter=100000, **kw).fit(x, y)
    assert mine.alpha_ == ref.alpha_
    np.testing.assert_allclose(mine.alphas_, ref.alphas_, rtol=1e-14)
    assert mine.mse_path_.shape == ref.mse_path_.shape
    np.testing.assert_allclose(mine.mse_path_, ref.mse_path_, rtol=1e-6)
    np.testing.assert_allclose(mine.coef_, ref.coef_, atol=1e-4)
    if cls == "ElasticNetCV":
        assert mine.l1_ratio_ == ref.l1_ratio_
    else:
        assert not hasattr(mine, "l1_ratio_")


def test_cv_refit_starts_from_the_folds_mean_solution(monkeypatch):
    """The refit starts from the mean over folds of the solutions at the chosen
    (alpha, l1_ratio), solved again here fold by fold; without kept coefficients (over
    the size limit) it starts from zero, and both reach the same certified solution."""
    from jreg.linear_model import _coordinate_descent, _cv

    x, y = DATA["square"]
    folds = list(KFold(4).split(x))
    starts = []
    fit = _coordinate_descent.ElasticNet._fit

    def spy(self, *args, coef_init=None, **kwargs):
        starts.append(None if coef_init is None else np.asarray(coef_init))
        return fit(self, *args, coef_init=coef_init, **kwargs)

    monkeypatch.setattr(_coordinate_descent.ElasticNet, "_fit", spy)
    kw = dict(cv=folds, l1_ratio=[0.2, 0.7], alphas=8, tol=1e-12, max_iter=100000)
    warm = jl.ElasticNetCV(**kw).fit(x, y)
    ratio = list(kw["l1_ratio"]).index(warm.l1_ratio_)
    alphas = warm.alphas_[ratio]
    expected = np.mean([
        jl.ElasticNet(alpha=warm.alpha_, l1_ratio=warm.l1_ratio_, tol=1e-12,
                      max_iter=100000).fit(x[train], y[train]).coef_
        for train, _ in folds], axis=0)
    assert warm.alpha_ in alphas
    np.testing.assert_allclose(starts[0], expected, atol=1e-7)
    assert np.any(starts[0] != 0)

    # exactly at the limit (folds x ratios x alphas x features) they are still kept
    monkeypatch.setattr(_cv, "_MAX_KEPT_COEFS", 4 * 2 * 8 * x.shape[1])
    jl.ElasticNetCV(**kw).fit(x, y)
    assert starts[-1] is not None
    monkeypatch.setattr(_cv, "_MAX_KEPT_COEFS", 0)
    cold = jl.ElasticNetCV(**kw).fit(x, y)
    assert starts[-1] is None
    assert (cold.alpha_, cold.l1_ratio_) == (warm.alpha_, warm.l1_ratio_)
    np.testing.assert_allclose(cold.coef_, warm.coef_, atol=1e-6)
    assert warm.dual_gap_ <= 1e-12 * np.var(y) and cold.dual_gap_ <= 1e-12 * np.var(y)


def test_cv_fit_batched_by_vmap_equals_lax_map(monkeypatch):
    """The accelerators' batching (vmap over folds and l1_ratios, fold coefficients kept
    for the refit's start) gives the CPU's lax.map result."""
    from jreg.linear_model import _cv

    x, y = DATA["square"]
    kw = dict(cv=KFold(4), l1_ratio=[0.3, 0.9], alphas=10, tol=1e-11, max_iter=100000)
    mapped = jl.ElasticNetCV(**kw).fit(x, y)
    monkeypatch.setattr(_cv, "default_batch", lambda: "vmap")
    vmapped = jl.ElasticNetCV(**kw).fit(x, y)
    assert (vmapped.alpha_, vmapped.l1_ratio_) == (mapped.alpha_, mapped.l1_ratio_)
    # both certified at tol 1e-11 (different iterates: vmap runs every lane's loops)
    np.testing.assert_allclose(vmapped.mse_path_, mapped.mse_path_, rtol=1e-7)
    np.testing.assert_allclose(vmapped.coef_, mapped.coef_, atol=1e-6)


@pytest.mark.parametrize("batch, solver", [("vmap", "cd"), ("vmap", "fista"), ("map", "cd")])
def test_cv_full_data_lane_replaces_the_refit(monkeypatch, batch, solver):
    """With vmap batching (accelerators), a small Gram problem's full data is one more
    lane of the CV program, and its solution at the chosen alpha is the fitted model:
    no refit runs; the same folds' errors, alpha_ and certified solution as the refit.
    On CPU (lax.map) the same where coordinate descent sweeps every feature."""
    from jreg.linear_model import _coordinate_descent, _cv

    x, y = load_diabetes(return_X_y=True)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    tol = 1e-12
    monkeypatch.setattr(_cv, "default_batch", lambda: batch)
    kw = dict(cv=KFold(4), l1_ratio=[0.5, 1.0], alphas=12, tol=tol, max_iter=200000,
              solver=solver)

    def no_refit(*args, **kwargs):
        raise AssertionError("refit ran")

    monkeypatch.setattr(_coordinate_descent.ElasticNet, "_fit", no_refit)
    lane = jl.ElasticNetCV(**kw).fit(x, y, sample_weight=sw)
    monkeypatch.undo()
    monkeypatch.setattr(_cv, "default_batch", lambda: batch)
    monkeypatch.setattr(_cv, "_MAX_FULL_LANE_SIZE", 0)
    refit = jl.ElasticNetCV(**kw).fit(x, y, sample_weight=sw)
    assert (lane.alpha_, lane.l1_ratio_) == (refit.alpha_, refit.l1_ratio_)
    # (the same folds; on a GPU a batch of one more lane may round its products
    # differently: 2.5e-11 apart on an H200)
    np.testing.assert_allclose(lane.mse_path_, refit.mse_path_, rtol=1e-9)
    np.testing.assert_allclose(lane.coef_, refit.coef_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(lane.intercept_, refit.intercept_, rtol=1e-9)
    yc = y - np.average(y, weights=sw)
    assert 0 <= lane.dual_gap_ <= tol * np.average(yc**2, weights=sw)
    assert lane.n_iter_ > 0 and lane.solver_ == refit.solver_ == solver
    # a warm-started coordinate-descent path may certify alpha_ in 0 epochs at that
    # alpha: n_iter_ counts the path's epochs up to it (scikit-learn's checks want >= 1;
    # iris: 0 at alpha_ before)
    xi, yi = load_iris(return_X_y=True)
    assert jl.LassoCV(solver=solver).fit(xi, yi).n_iter_ >= 1
    # the lane tests on no row: its dropped test error is finite (jax_debug_nans)
    with jax.debug_nans(True):
        jl.LassoCV(cv=KFold(3), solver=solver).fit(x, y)
    # scikit-learn's solution at the same strengths
    ref = sk.ElasticNet(alpha=lane.alpha_, l1_ratio=lane.l1_ratio_, tol=1e-14,
                        max_iter=100000).fit(x, y, sample_weight=sw)
    np.testing.assert_allclose(lane.coef_, ref.coef_, rtol=1e-5, atol=1e-5)


def test_cv_on_cpu_refits_where_a_lane_would_cost_a_path(monkeypatch):
    """On CPU (folds one after another) the full-data lane would cost one more fold
    path: it is used only where coordinate descent sweeps every feature; with working
    sets, with FISTA, or with the folds in threads, the model is refitted."""
    from jreg.linear_model import _coordinate_descent, _cv

    refits = []
    original = _coordinate_descent.ElasticNet._fit

    def counting(self, *args, **kwargs):
        refits.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(_coordinate_descent.ElasticNet, "_fit", counting)
    monkeypatch.setattr(_cv, "default_batch", lambda: "map")  # the CPU's batching
    x, y = load_diabetes(return_X_y=True)
    kw = dict(cv=KFold(3), alphas=5)
    jl.LassoCV(**kw, solver="cd").fit(x, y)
    assert refits == []  # p = 10: a full sweep, the lane
    jl.LassoCV(**kw, solver="cd", n_jobs=2).fit(x, y)  # threads
    jl.LassoCV(**kw, solver="fista").fit(x, y)
    assert refits == [1, 1]
    wide_x = np.hstack([x, x[:, :1] * np.arange(2, 42)])  # p = 50 > full_sweep_max
    jl.LassoCV(**kw, solver="cd").fit(wide_x, y)
    assert refits == [1, 1, 1]


def test_cv_sample_weight_equals_repetition_at_tight_tol():
    """Weighted = repeated rows (same groups), once both are solved to a tight gap."""
    from sklearn.model_selection import LeaveOneGroupOut

    x, y = DATA["wide"]
    counts = np.random.default_rng(1).integers(0, 4, len(y))
    groups_w = np.arange(len(y)) % 3
    xr, yr = np.repeat(x, counts, 0), np.repeat(y, counts)
    groups_r = np.repeat(groups_w, counts)
    kw = dict(tol=1e-12, max_iter=100000, alphas=20)
    weighted = jl.LassoCV(cv=list(LeaveOneGroupOut().split(x, groups=groups_w)), **kw)
    weighted.fit(x, y, sample_weight=counts.astype(float))
    repeated = jl.LassoCV(cv=list(LeaveOneGroupOut().split(xr, groups=groups_r)), **kw)
    repeated.fit(xr, yr)
    np.testing.assert_allclose(weighted.alpha_, repeated.alpha_, rtol=1e-13)
    np.testing.assert_allclose(weighted.mse_path_, repeated.mse_path_, rtol=1e-7)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-8)


def test_ridge_and_ridgecv_match_sklearn():
    x, y = DATA["diabetes"]
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    for kw in ({}, {"alpha": 10.0, "solver": "svd"}, {"fit_intercept": False}):
        mine = jl.Ridge(**kw).fit(x, y, sample_weight=sw)
        ref = sk.Ridge(**kw).fit(x, y, sample_weight=sw)
        np.testing.assert_allclose(mine.coef_, ref.coef_, rtol=1e-10, atol=1e-8)
        np.testing.assert_allclose(mine.intercept_, ref.intercept_, rtol=1e-10, atol=1e-8)
        assert mine.n_iter_ is None
    xw, yw = DATA["wide"]
    ys = np.stack([yw, -2 * yw], axis=1)
    mine = jl.Ridge(alpha=[0.5, 3.0]).fit(xw, ys)
    ref = sk.Ridge(alpha=[0.5, 3.0]).fit(xw, ys)
    np.testing.assert_allclose(mine.coef_, ref.coef_, rtol=1e-9, atol=1e-10)
    alphas = np.logspace(-3, 2, 12)
    for kw in ({}, {"alpha_per_target": True, "store_cv_results": True},
               {"scoring": "neg_mean_absolute_error"}, {"cv": 4}):
        target = ys if "alpha_per_target" in kw else yw
        mine = jl.RidgeCV(alphas=alphas, **kw).fit(xw, target)
        ref = sk.RidgeCV(alphas=alphas, **kw).fit(xw, target)
        np.testing.assert_array_equal(mine.alpha_, ref.alpha_)
        np.testing.assert_allclose(mine.best_score_, ref.best_score_, rtol=1e-8)
        np.testing.assert_allclose(mine.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
        if "store_cv_results" in kw:
            np.testing.assert_allclose(mine.cv_results_, ref.cv_results_, rtol=1e-8)
    mine = jl.RidgeCV(alphas=alphas).fit(x, y, sample_weight=sw)
    ref = sk.RidgeCV(alphas=alphas).fit(x, y, sample_weight=sw)
    assert mine.alpha_ == ref.alpha_
    np.testing.assert_allclose(mine.best_score_, ref.best_score_, rtol=1e-9)
    pos = jl.Ridge(alpha=1.0, positive=True, tol=1e-10).fit(x, y)
    obj = lambda m: np.sum((y - x @ m.coef_ - m.intercept_) ** 2) + m.coef_ @ m.coef_  # noqa: E731
    assert np.all(pos.coef_ >= 0)
    assert obj(pos) <= obj(sk.Ridge(alpha=1.0, positive=True).fit(x, y)) * (1 + 1e-9)


def test_bad_input_and_documented_behaviour():
    x, y = DATA["tall"]
    bad = x.copy()
    bad[3, 2] = np.inf
    with pytest.raises(ValueError, match="X"):
        jl.Lasso().fit(bad, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        jl.Lasso().fit(x, y[:-1])
    with pytest.raises(ValueError, match="alpha"):
        jl.Lasso(alpha=-1.0).fit(x, y)
    with pytest.raises(ValueError, match="l1_ratio"):
        jl.ElasticNet(l1_ratio=1.5).fit(x, y)
    with pytest.raises(ValueError, match="l1_ratio"):
        jl.ElasticNetCV(l1_ratio=[0.5, -0.1]).fit(x, y)
    with pytest.raises(ValueError, match="n_splits"):
        jl.LassoCV(cv=50).fit(x, y)
    with pytest.raises(ValueError, match="n_jobs"):
        jl.LassoCV(n_jobs=0).fit(x, y)
    with pytest.raises(TypeError, match="n_jobs"):
        jl.ElasticNetCV(n_jobs=1.5).fit(x, y)
    with pytest.raises(ValueError, match="l1_ratio=0"):
        jl.enet_path(x, y, l1_ratio=0.0)
    with pytest.raises(ValueError, match="sample_weight"):
        jl.Lasso().fit(x, y, sample_weight=-np.ones(len(y)))
    # constant y: zero coefficients, intercept = mean, converged at once
    const = jl.Lasso(alpha=0.1).fit(x, np.full(len(y), 4.0))
    assert np.all(const.coef_ == 0) and const.intercept_ == 4.0 and const.n_iter_ == 0
    # zero-variance column: coefficient 0, like scikit-learn
    xz = x.copy()
    xz[:, 1] = 7.0
    model = jl.ElasticNet(alpha=0.01, **TIGHT).fit(xz, y)
    assert model.coef_[1] == 0.0
    # too few iterations: scikit-learn's ConvergenceWarning with the gap
    with pytest.warns(ConvergenceWarning, match="Duality gap") as caught:
        jl.Lasso(alpha=1e-4, tol=1e-14, max_iter=1).fit(x, y)
    assert {w.filename for w in caught} == {__file__}  # the warning names the user's line
    with pytest.warns(ConvergenceWarning, match="Duality gap") as caught:
        jl.lasso_path(x, y, alphas=[1e-4], tol=1e-14, max_iter=1)
    assert {w.filename for w in caught} == {__file__}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jl.Lasso(alpha=0.0, max_iter=5).fit(x, y)
    assert any("alpha=0" in str(w.message) and w.filename == __file__ for w in caught)


@pytest.mark.parametrize("value, message", [(np.nan, "Input X contains NaN"),
                                            (np.inf, "Input X contains infinity")])
def test_non_finite_x_is_found_on_the_device_with_sklearns_message(value, message):
    """X's finiteness is checked on its device (design_to_device), with scikit-learn's
    error; the user's array is left as it was."""
    x, y = DATA["tall"]
    bad = x.copy()
    bad[5, 3] = value
    before = bad.copy()
    fits = [lambda: jl.Lasso().fit(bad, y), lambda: jl.LassoCV(cv=3).fit(bad, y),
            lambda: jl.ElasticNetCV(alphas=[0.1, 0.01], cv=3).fit(bad, y),
            lambda: jl.lasso_path(bad, y), lambda: jl.enet_path(bad, y, alphas=[0.1])]
    for fit in fits:
        with pytest.raises(ValueError, match=message):
            fit()
    np.testing.assert_array_equal(bad, before)


def test_float64_beyond_float32_range_is_an_error_without_x64():
    import jax

    x, y = DATA["tall"]
    big = x.copy()
    big[0, 0] = 1e300  # finite in float64, inf once JAX computes in float32
    with jax.enable_x64(False):
        # products that overflow float32 leave no finite CV error: a clear error, not an
        # UnboundLocalError (scikit-learn's LassoCV has the latter)
        with pytest.raises(ValueError, match="cross-validation errors are not finite"):
            jl.LassoCV(cv=3, alphas=3).fit(x * 1e19, y * 1e19)
        with pytest.raises(ValueError, match="Input X contains infinity or a value too large for "
                                             "dtype\\('float32'\\)"):
            jl.Lasso().fit(big, y)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_alpha_grid_from_the_device_equals_numpys(monkeypatch, fit_intercept, positive,
                                                  weighted):
    """On accelerators the grid's Xᵀy comes from the device (one pass with the finiteness
    check); it equals numpy's to rounding (on CPU numpy's is used, as scikit-learn's)."""
    import jax

    from jreg.linear_model import _base

    x, y = DATA["wide"]
    y = y - (0.0 if fit_intercept else 2 * y.mean())  # a negative Xᵀy for positive=True
    sw = np.random.default_rng(0).uniform(0.2, 2.0, len(y)) if weighted else None
    host_x, host = _base.design_to_device(None, x, y, sw, fit_intercept=fit_intercept,
                                          positive=positive)
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    device_x, device = _base.design_to_device(None, x, y, sw, fit_intercept=fit_intercept,
                                              positive=positive)
    np.testing.assert_array_equal(np.asarray(device_x), x)
    assert host == _base._xy_max(x, y, fit_intercept=fit_intercept, sample_weight=sw,
                                 positive=positive)
    np.testing.assert_allclose(device, host, rtol=1e-13)
    expected = _base.alpha_grid(x, y, fit_intercept=fit_intercept, sample_weight=sw,
                                positive=positive, n_alphas=5)
    n_total = len(y) if sw is None else sw.sum()
    np.testing.assert_allclose(_base.grid_from_max(device, n_total, n_alphas=5), expected,
                               rtol=1e-13)
    # float32 features with a large mean: the device centres X before its product (the
    # uncentred product minus the mean's term was off by 9e-6 relative at offset 1e3)
    if fit_intercept and not weighted:
        rng = np.random.default_rng(1)
        x32 = (1e3 + rng.standard_normal((2000, 20))).astype(np.float32)
        y32 = (x32[:, 0] - x32[:, 1] + rng.standard_normal(2000)).astype(np.float32)
        exact = _base._xy_max(x32.astype(np.float64), y32.astype(np.float64),
                              positive=positive)
        _, device32 = _base.design_to_device(None, x32, y32, fit_intercept=True,
                                             positive=positive)
        np.testing.assert_allclose(device32, exact, rtol=2e-6)


def test_jax_array_x_stays_on_its_device_and_gives_the_numpy_answer(monkeypatch):
    """A JAX array ``X`` is checked as scikit-learn checks a design without being copied
    to the host (scikit-learn's validation never sees it) and gives the same fit."""
    import jax.numpy as jnp

    from jreg.linear_model import _base

    x, y = DATA["tall"]
    seen = []
    validate = _base.validate_data

    def spy(estimator, X="no_validation", *args, **kwargs):
        seen.append(type(X))
        return validate(estimator, X, *args, **kwargs)

    monkeypatch.setattr(_base, "validate_data", spy)
    xj = jnp.asarray(x)
    for make in (lambda: jl.ElasticNet(alpha=0.05, l1_ratio=0.7, **TIGHT),
                 lambda: jl.LassoCV(cv=KFold(3), alphas=5, **TIGHT)):
        ref, mine = make().fit(x, y), make().fit(xj, y)
        np.testing.assert_array_equal(mine.coef_, ref.coef_)
        assert mine.n_features_in_ == x.shape[1] and isinstance(mine.coef_, np.ndarray)
    # the JAX-array fits validate y only ("no_validation" for X); the numpy ones take
    # the plain-array shortcut (test_plain_arrays_validate_as_scikit_learn_does)
    assert seen == [str, str]
    ref, mine = jl.lasso_path(x, y, n_alphas=4), jl.lasso_path(xj, y, n_alphas=4)
    np.testing.assert_array_equal(mine[0], ref[0])
    np.testing.assert_array_equal(mine[1], ref[1])
    ints = jl.Lasso(alpha=0.1).fit(jnp.asarray(np.rint(x).astype(np.int32)), y)
    assert ints.coef_.dtype == np.float64  # integers become scikit-learn's float64
    with pytest.raises(ValueError, match="Input X contains NaN"):
        jl.Lasso().fit(xj.at[2, 1].set(jnp.nan), y)
    with pytest.raises(ValueError, match="2D array for X"):
        jl.Lasso().fit(xj[:, 0], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        jl.LassoCV().fit(xj, y[:-1])
    with pytest.raises(ValueError, match="0 feature"):
        jl.lasso_path(xj[:, :0], y)


def test_refits_with_new_hyperparameters_do_not_recompile():
    from jreg.solvers import _api

    x, y = DATA["square"]
    jl.ElasticNet(alpha=0.1, l1_ratio=0.5).fit(x, y)
    jitted = _api.pick_jit(_api._multi_path_jits, x.size, x)
    size = jitted._cache_size()
    for alpha, rho, tol, max_iter in [(0.3, 0.2, 1e-6, 50), (0.01, 0.9, 1e-9, 5000)]:
        jl.ElasticNet(alpha=alpha, l1_ratio=rho, tol=tol, max_iter=max_iter).fit(x, y)
    assert jitted._cache_size() == size


def test_cv_gram_variant_with_weights_and_no_intercept_matches_sklearn():
    """Fold Gram matrices from G - X_test^T X_test, with weights and without intercept."""
    x, y = DATA["tall"]  # n_train > p: the Gram variant with the fold-Gram shortcut
    sw = np.random.default_rng(2).uniform(0.2, 2.0, len(y))
    for kw in ({"fit_intercept": True}, {"fit_intercept": False}):
        mine = jl.LassoCV(cv=KFold(4), tol=1e-11, max_iter=100000, alphas=30, **kw)
        mine.fit(x, y, sample_weight=sw)
        ref = sk.LassoCV(cv=KFold(4), tol=1e-11, max_iter=100000, alphas=30, **kw)
        ref.fit(x, y, sample_weight=sw)
        np.testing.assert_allclose(mine.alphas_, ref.alphas_, rtol=1e-13)
        np.testing.assert_allclose(mine.mse_path_, ref.mse_path_, rtol=1e-6)
        assert mine.alpha_ == ref.alpha_
        # the refit reuses the CV program's Gram matrix (weighted, centred or not)
        np.testing.assert_allclose(mine.coef_, ref.coef_, atol=1e-6)
        np.testing.assert_allclose(mine.intercept_, ref.intercept_, atol=1e-6)
        yc = y - (np.average(y, weights=sw) if kw["fit_intercept"] else 0.0)
        assert mine.dual_gap_ <= 1e-11 * np.sum(sw * yc**2) / np.sum(sw)


@pytest.mark.parametrize(("solver", "gram"), [("cd", False), ("fista", False), ("fista", True),
                                             ("fista+cd", False)])
def test_cv_vmap_batching_equals_map_batching(solver, gram):
    """The accelerator batching (vmap over folds and l1_ratios) gives the CPU results.

    Solved to tol=1e-13 (cd) / 1e-12 (fista): the lanes may take different warm starts
    (the path predictor's acceptance test rounds differently under vmap), so only the
    certified solutions agree. ``"fista+cd"`` is what ``solver="auto"`` runs on an
    accelerator: 1500 FISTA iterations leave some columns uncertified, so under vmap the
    coordinate-descent finish runs in some lanes and not in others.
    """
    import jax.numpy as jnp

    from jreg.linear_model import _cv
    from jreg.solvers import CDSettings, FistaSettings
    from jreg.solvers._api import resolve_settings

    settings = (FistaSettings(finish=CDSettings(), finish_factor=1) if solver == "fista+cd"
                else resolve_settings(solver, None))

    x, y = DATA["tall" if gram else "wide"]
    folds = list(KFold(3).split(x))
    padded = [jnp.asarray(a) for a in _cv._pad_folds(folds, None, len(y), np.float64)]
    ratios = np.array([0.5, 1.0])
    alphas = np.array([np.geomspace(1.0, 0.01, 6) / r for r in ratios])
    tol, max_iter, rtol = {"cd": (1e-13, 100000, 1e-8), "fista": (1e-12, 500000, 1e-6),
                           "fista+cd": (1e-12, 1500, 1e-6)}[solver]
    out = {}
    for batch in ("map", "vmap"):
        out[batch] = _cv._cv_mse_jits[-1](
            jnp.asarray(x), jnp.asarray(y), jnp.ones(len(y)), *padded, jnp.asarray(alphas),
            jnp.asarray(ratios), jnp.asarray(tol), jnp.asarray(max_iter, jnp.int32),
            fit_intercept=True, positive=False, gram=gram, partition=gram, complement=True,
            settings=settings, batch=batch,
        )[0]
    np.testing.assert_allclose(np.asarray(out["vmap"][0]), np.asarray(out["map"][0]), rtol=rtol)
    assert np.all(np.asarray(out["map"][1]))
    assert np.all(np.asarray(out["vmap"][1]))


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("splitter", ["timeseries", "train_size"])
def test_cv_gram_folds_that_do_not_train_on_all_other_rows_match_sklearn(splitter, n_jobs):
    """A fold's Gram matrix is the full one minus its test block only when it trains on
    every row it does not test on. ``TimeSeriesSplit`` and a ``train_size`` that leaves
    rows out do not: those folds use their own training rows (they were solved on the
    wrong rows until 2026-11-27: ``mse_path_`` 17-64 % off scikit-learn's)."""
    from sklearn.model_selection import ShuffleSplit, TimeSeriesSplit

    from jreg.linear_model import _cv

    x, y = correlated_design(120, 6, 3)  # n_train > p: the Gram variant
    sw = np.random.default_rng(5).uniform(0.5, 2.0, len(y))
    folds = (TimeSeriesSplit(3) if splitter == "timeseries"
             else ShuffleSplit(3, train_size=0.4, test_size=0.3, random_state=0))
    assert not _cv._trains_complement_tests(list(folds.split(x)), len(y))
    kw = dict(cv=folds, alphas=12, tol=1e-12, max_iter=100000)
    mine = jl.LassoCV(**kw, n_jobs=n_jobs).fit(x, y, sample_weight=sw)
    ref = sk.LassoCV(**kw).fit(x, y, sample_weight=sw)
    np.testing.assert_allclose(mine.mse_path_, ref.mse_path_, rtol=1e-7)
    assert mine.alpha_ == ref.alpha_
    np.testing.assert_allclose(mine.coef_, ref.coef_, atol=1e-7)


def test_trains_complement_tests():
    from sklearn.model_selection import KFold as KF
    from sklearn.model_selection import LeaveOneOut, ShuffleSplit

    from jreg.linear_model import _cv

    x = np.zeros((20, 2))
    assert _cv._trains_complement_tests(list(KF(4).split(x)), 20)
    assert _cv._trains_complement_tests(list(LeaveOneOut().split(x)), 20)
    assert _cv._trains_complement_tests(
        list(ShuffleSplit(3, test_size=0.3, random_state=0).split(x)), 20)
    assert not _cv._trains_complement_tests(
        list(ShuffleSplit(3, train_size=0.5, test_size=0.3, random_state=0).split(x)), 20)
    rows = np.arange(20)
    assert not _cv._trains_complement_tests([(rows[:15], rows[10:])], 20)  # overlap
    assert not _cv._trains_complement_tests([(rows[:10], rows[12:])], 20)  # rows left out


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_cv_gram_from_test_blocks_equals_global_gram(fit_intercept):
    """When the test sets partition the rows, the full Gram matrix is the sum of the test
    blocks (one Gram's work instead of two): same fold problems, same Gram, same MSEs."""
    import jax.numpy as jnp

    from jreg.linear_model import _cv
    from jreg.solvers import _cd

    x, y = DATA["tall"]
    sw = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    folds = list(KFold(4, shuffle=True, random_state=0).split(x))
    assert _cv._test_sets_partition(folds, len(y), x.shape[1])
    assert not _cv._test_sets_partition(folds[:3], len(y), x.shape[1])
    assert not _cv._test_sets_partition(folds, len(y), x.shape[1], max_bytes=100)
    padded = [jnp.asarray(a) for a in _cv._pad_folds(folds, sw, len(y), np.float64)]
    alphas = np.geomspace(1.0, 0.01, 5)[None] * np.max(np.abs(x.T @ y)) / len(y)
    out = {}
    for partition in (False, True):
        out[partition] = _cv._cv_mse_jits[-1](
            jnp.asarray(x), jnp.asarray(y), jnp.asarray(sw), *padded, jnp.asarray(alphas),
            jnp.asarray([1.0]), jnp.asarray(1e-13), jnp.asarray(100000, jnp.int32),
            fit_intercept=fit_intercept, positive=False, gram=True, partition=partition,
            complement=True, settings=_cd.CDSettings(), batch="map",
        )
    (mse_a, conv_a, *_), gram_a = out[False]
    (mse_b, conv_b, *_), gram_b = out[True]
    np.testing.assert_allclose(np.asarray(gram_b), np.asarray(gram_a), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(np.asarray(mse_b), np.asarray(mse_a), rtol=1e-9)
    assert np.all(np.asarray(conv_a)) and np.all(np.asarray(conv_b))


def test_cv_test_blocks_unrolled_or_mapped_are_the_same(monkeypatch):
    """Up to ``_MAX_UNROLLED_FOLDS`` folds the test blocks are unrolled products (faster on
    CPU), past it a ``lax.map``: the same blocks, and exactly symmetric ones."""
    import jax
    import jax.numpy as jnp

    from jreg.linear_model import _cv

    x, y = DATA["tall"]
    sw = np.random.default_rng(4).uniform(0.5, 2.0, len(x))
    folds = list(KFold(4, shuffle=True, random_state=1).split(x))
    padded = [jnp.asarray(a) for a in _cv._pad_folds(folds, sw, len(x), np.float64)]
    test_idx, test_w = padded[2], padded[3]
    out = {}
    for limit in (10, 3):
        monkeypatch.setattr(_cv, "_MAX_UNROLLED_FOLDS", limit)
        out[limit] = _cv._fold_grams(jnp.asarray(x), jnp.asarray(y), jnp.asarray(sw), test_idx,
                                     test_w, fit_intercept=True, partition=True)
    for got, ref in zip(jax.tree.leaves(out[3]), jax.tree.leaves(out[10]), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-13, atol=1e-12)
    blocks = np.asarray(out[10][1])
    assert blocks.shape == (4, 8, 8)
    np.testing.assert_array_equal(blocks, np.swapaxes(blocks, 1, 2))
    xc = x - sw @ x / sw.sum()
    np.testing.assert_allclose(np.asarray(out[10][0]), xc.T @ (sw[:, None] * xc), rtol=1e-12)


@pytest.mark.parametrize(("name", "cv"), [("wide", "kfold"), ("tall", "kfold"),
                                          ("tall", "shuffle")])
def test_cv_folds_run_in_threads_give_the_one_program_result(monkeypatch, name, cv):
    """On CPU ``n_jobs`` runs one program per fold, in threads: the same fold problems
    (Gram variant from the test blocks, or with each fold's own block when the test sets
    do not partition the rows), the same MSEs, ``alpha_`` and refit."""
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.model_selection import ShuffleSplit

    from jreg.linear_model import _cv

    pools = []

    class Recording(ThreadPoolExecutor):
        def __init__(self, max_workers):
            pools.append(max_workers)
            super().__init__(max_workers)

    monkeypatch.setattr(_cv, "ThreadPoolExecutor", Recording)
    x, y = DATA[name]
    sw = np.random.default_rng(4).uniform(0.5, 2.0, len(y))
    folds = (KFold(4) if cv == "kfold" else ShuffleSplit(4, test_size=0.3, random_state=0))
    kw = dict(cv=folds, l1_ratio=[0.4, 1.0], alphas=8, tol=1e-12, max_iter=100000)
    one = jl.ElasticNetCV(**kw, n_jobs=1).fit(x, y, sample_weight=sw)
    assert pools == []
    threaded = jl.ElasticNetCV(**kw, n_jobs=3).fit(x, y, sample_weight=sw)
    assert pools == [3]
    # a first fit of this signature ran fold 0 alone (it compiled); a second one starts
    # every fold at once
    first_folds = []
    pool_map = Recording.map

    def recording_map(self, fn, folds):
        first_folds.append(folds[0])
        return pool_map(self, fn, folds)

    monkeypatch.setattr(Recording, "map", recording_map)
    again = jl.ElasticNetCV(**kw, n_jobs=3).fit(x, y, sample_weight=sw)
    assert first_folds == [0]
    np.testing.assert_array_equal(again.mse_path_, threaded.mse_path_)
    pools.pop()
    assert (threaded.alpha_, threaded.l1_ratio_) == (one.alpha_, one.l1_ratio_)
    # both certified at tol=1e-12 (separate programs round differently: 3e-10 seen)
    np.testing.assert_allclose(threaded.mse_path_, one.mse_path_, rtol=1e-8)
    np.testing.assert_allclose(threaded.coef_, one.coef_, rtol=1e-8, atol=1e-9)
    # fold coefficients not kept (too many): the refit starts from zero, same answer
    monkeypatch.setattr(_cv, "_MAX_KEPT_COEFS", 0)
    cold = jl.ElasticNetCV(**kw, n_jobs=2).fit(x, y, sample_weight=sw)
    assert pools == [3, 2]
    np.testing.assert_allclose(cold.mse_path_, one.mse_path_, rtol=1e-8)


@pytest.mark.parametrize("cv", ["kfold", "shuffle"])
def test_cv_threaded_fold_programs_read_only_their_test_rows(monkeypatch, cv):
    """With one program per fold (threads), the passes over the whole design (centring,
    ``Xᵀy``) are made once, with the Gram matrix: no fold program computes an array the
    size of the design (each did, until 2026-11-27: tall 10000×2000, ~0.1 s a fold)."""
    import jax
    import jax.extend
    from sklearn.model_selection import ShuffleSplit

    from jreg.linear_model import _cv

    calls = []
    pick_jit = _cv.pick_jit

    def recording(*args, **kwargs):
        fn = pick_jit(*args, **kwargs)

        def call(*a, **k):
            calls.append((fn, a, k))
            return fn(*a, **k)

        return call

    monkeypatch.setattr(_cv, "pick_jit", recording)
    x, y = DATA["tall"]
    folds = KFold(3) if cv == "kfold" else ShuffleSplit(3, test_size=0.3, random_state=0)
    jl.LassoCV(cv=folds, alphas=4, n_jobs=2).fit(x, y)
    assert len(calls) == 3  # one program per fold

    def shapes(jaxpr):
        for eqn in jaxpr.eqns:
            yield from (tuple(getattr(v.aval, "shape", ())) for v in eqn.outvars)
            for sub in jax.extend.core.jaxprs_in_params(eqn.params):
                yield from shapes(sub)

    for fn, a, k in calls:
        found = set(shapes(fn.trace(*a, **k).jaxpr.jaxpr))
        assert (x.shape[1], x.shape[1]) in found  # the fold's Gram matrix: shapes are read
        assert x.shape not in found and x.shape[::-1] not in found, sorted(found)
        assert (len(y),) not in found, sorted(found)  # nor re-centres y


def test_fold_workers_follow_n_jobs(monkeypatch):
    import os

    from jreg.linear_model import _cv

    cores = 2
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)),
                        raising=False)
    cache = 0  # unknown
    monkeypatch.setattr(_cv, "_last_level_cache_bytes", lambda: cache)
    big = _cv._MIN_THREADED_SIZE
    p_max = _cv._MAX_THREADED_GRAM_FEATURES

    def workers(n_jobs, n_folds, gram=False, n_features=10, size=big):
        return _cv._fold_workers(n_jobs, n_folds, gram=gram, n_features=n_features, size=size)

    assert workers(None, 5, gram=True, n_features=p_max) == 2
    assert workers(None, 5, gram=True, n_features=p_max + 1) == 1  # large Gram, 2 cores
    # ... unless their p x p float64 matrices, one per thread, fit in half the L3
    cache = 32 * 2**20  # the measured limit
    assert workers(None, 5, gram=True, n_features=1025) == 1
    assert workers(None, 5, gram=True, n_features=2000) == 1
    cache = 480 * 2**20
    assert workers(None, 5, gram=True, n_features=2000) == 2
    assert workers(None, 5, gram=True, n_features=3965) == 2
    assert workers(None, 5, gram=True, n_features=3966) == 1
    assert _cv._fold_workers(None, 5, gram=True, n_features=5600, size=big,
                             itemsize=4) == 2  # float32: half the bytes
    cache = 2**60
    assert workers(None, 5, gram=True, n_features=3966) == 2  # the memory cap allows it
    cache = 480 * 2**20
    cores = 3  # counted for the threads that run: min(cores, folds)
    assert workers(None, 2, gram=True, n_features=3500) == 2
    assert workers(None, 3, gram=True, n_features=3500) == 1
    cores = 2
    cache = 0
    # no Gram matrix: up to _MAX_FOLDS_AT_ONCE folds all at once, more: one per core
    assert _cv._MAX_FOLDS_AT_ONCE == 5
    assert workers(None, 3) == 3
    assert workers(None, 5) == 5
    assert workers(None, 6) == 2
    assert workers(None, 5, size=big - 1) == 1  # tiny: one program
    # temporaries capped at _MAX_THREADED_BYTES: (2 copies of n_train x p float64)
    assert workers(None, 5, size=_cv._MAX_THREADED_BYTES // (2 * 8 * 3)) == 3
    assert workers(None, 5, size=_cv._MAX_THREADED_BYTES // 8) == 1
    assert workers(5, 5, size=_cv._MAX_THREADED_BYTES // 8) == 5  # explicit: honoured
    assert _cv._fold_workers(None, 5, gram=False, n_features=10, itemsize=4,
                             size=_cv._MAX_THREADED_BYTES // (2 * 8 * 3)) == 5  # float32
    cores = 6
    assert workers(None, 5) == 5
    assert workers(None, 8) == 6
    assert workers(None, 5, size=big - 1) == 1  # tiny: one program
    assert workers(None, 5, gram=True, n_features=p_max) == 5
    assert workers(None, 5, gram=True, n_features=p_max + 1) == 5  # large Gram, 6 cores
    assert workers(None, 5, n_features=10 * p_max) == 5  # no Gram: any p
    assert workers(-1, 10, gram=True, n_features=10 * p_max, size=1) == 6  # explicit
    assert workers(-2, 10, size=1) == 5
    assert workers(-9, 10, size=1) == 1
    assert workers(3, 2, size=1) == 2
    cores = 16  # threads hold p x p temporaries: their number is capped by memory
    assert workers(None, 8, gram=True, n_features=4000) == 4
    assert workers(None, 8, gram=True, n_features=8000) == 1
    assert workers(8, 8, gram=True, n_features=8000) == 8  # explicit n_jobs: honoured


def test_cv_fold_threads_keep_the_callers_x64_context():
    """A thread-local ``jax.enable_x64`` context reaches the folds' threads: the threaded
    fit computes in the caller's precision, as the one-program fit does (without it the
    threads traced in the global float32 and the fit failed)."""
    import jax

    x, y = DATA["wide"]
    kw = dict(cv=KFold(3), alphas=6, tol=1e-10, max_iter=100000)
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        with jax.enable_x64(True):
            one = jl.LassoCV(**kw, n_jobs=1).fit(x, y)
            threaded = jl.LassoCV(**kw, n_jobs=2).fit(x, y)
    finally:
        jax.config.update("jax_enable_x64", before)
    assert threaded.coef_.dtype == np.float64
    assert threaded.alpha_ == one.alpha_
    np.testing.assert_allclose(threaded.mse_path_, one.mse_path_, rtol=1e-8)


def test_small_jit_arguments_stay_numpy_on_cpu():
    """On CPU a small argument goes to the jitted call as a numpy array in the compute
    dtype (the call's C++ dispatch takes it; ``jax.device_put`` cost ~50 µs each); a
    large one, which later calls may reuse, is put on the device once; a JAX array stays
    where it is. The input is never modified."""
    from jreg.linear_model import _base

    if jax.default_backend() != "cpu":
        pytest.skip("CPU rule")
    small = np.arange(10, dtype=np.int64)
    out = _base.to_jax(small, np.float32)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    # in the compute dtype already: the array itself may be passed on, never written to
    x, y = load_diabetes(return_X_y=True)
    sw = np.ones(len(y))
    before = (x.copy(), y.copy(), sw.copy())
    jl.LassoCV(cv=KFold(3), alphas=5).fit(x, y, sample_weight=sw)
    for after, orig in zip((x, y, sw), before, strict=True):
        np.testing.assert_array_equal(after, orig)
    big = _base.to_jax(np.zeros(_base._HOST_ARG_MAX + 1), np.float64)
    assert isinstance(big, jax.Array) and big.dtype == np.float64
    on_device = jax.numpy.arange(3.0)
    assert isinstance(_base.to_jax(on_device, np.float64), jax.Array)


def test_last_level_cache_bytes_reads_sysfs(monkeypatch, tmp_path):
    import glob

    from jreg.linear_model import _cv

    sizes = {"index0": "48K", "index2": "2048K", "index3": "480M", "index9": "junk"}
    for name, text in sizes.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "size").write_text(text + "\n")
    found = sorted(str(tmp_path / name / "size") for name in sizes)
    found.append(str(tmp_path / "gone" / "size"))  # unreadable: skipped

    def fake_glob(pattern):
        assert pattern == "/sys/devices/system/cpu/cpu0/cache/index*/size"
        return found

    monkeypatch.setattr(glob, "glob", fake_glob)
    _cv._last_level_cache_bytes.cache_clear()
    try:
        assert _cv._last_level_cache_bytes() == 480 * 2**20
        monkeypatch.setattr(glob, "glob", lambda pattern: [])
        _cv._last_level_cache_bytes.cache_clear()
        assert _cv._last_level_cache_bytes() == 0
    finally:
        _cv._last_level_cache_bytes.cache_clear()


class _NdarraySubclass(np.ndarray):
    pass


def test_plain_arrays_validate_as_scikit_learn_does(monkeypatch):
    """validate_xy's shortcut for plain float arrays returns what scikit-learn's
    validate_data returns, sets the same attributes, and leaves every error to it."""
    import sklearn
    from sklearn.utils.validation import validate_data

    from jreg.linear_model import _base, _coordinate_descent

    generic = []  # calls of scikit-learn's validation from the fits and paths

    def spy_on(module, name):
        real = getattr(module, name)

        def spy(*args, **kwargs):
            generic.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)

    spy_on(_base, "validate_data")
    spy_on(_coordinate_descent, "check_array")
    xd, yd = load_diabetes(return_X_y=True)
    for fit in (lambda: jl.Lasso().fit(xd, yd), lambda: jl.Ridge().fit(xd, yd),
                lambda: jl.RidgeCV().fit(xd, yd), lambda: jl.LassoCV(cv=3, alphas=3).fit(xd, yd),
                lambda: jl.lasso_path(xd, yd, n_alphas=3)):
        fit()
    assert generic == []  # plain arrays: the shortcut
    jl.Lasso().fit(xd.tolist(), yd)
    jl.lasso_path(xd.view(_NdarraySubclass), yd, n_alphas=3)
    assert generic == ["validate_data", "check_array", "check_array"]

    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3))
    y = rng.standard_normal(6)
    for xd, yd in [(np.float64, np.float64), (np.float32, np.float64), (np.float32, np.float32)]:
        xs, ys = np.asarray(x, xd), np.asarray(y, yd)
        assert _base._plain_xy(xs, ys)
        mine, ref = jl.Lasso(), jl.Lasso()
        mine.feature_names_in_ = np.array(["a", "b", "c"], dtype=object)  # a past fit's
        got = _base.validate_xy(mine, xs, ys)
        want = validate_data(ref, xs, ys, dtype=[np.float64, np.float32], y_numeric=True,
                             multi_output=True)
        assert got[0] is xs  # not copied
        for a, b in zip(got, (want[0], np.asarray(want[1], want[0].dtype)), strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
        assert mine.n_features_in_ == ref.n_features_in_ == 3
        assert not hasattr(mine, "feature_names_in_")
    # not plain: scikit-learn's own path
    for xs, ys in [(x.astype(int), y), (x, y[:, None]), (x, y[:5]), (x[:0], y[:0]),
                   (x.astype(">f8"), y), (x, y.astype(int)), (x.view(_NdarraySubclass), y),
                   (x.tolist(), y)]:
        assert not _base._plain_xy(xs, ys)
    # errors are scikit-learn's, naming the argument
    bad_y = y.copy()
    bad_y[2] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        _base.validate_xy(jl.Lasso(), x, bad_y)
    bad_x = x.copy()
    bad_x[1, 1] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        _base.validate_xy(jl.Lasso(), bad_x, y)
    assert _base.validate_xy(jl.Lasso(), bad_x, y, finite_x=False)[0] is bad_x  # checked later
    with sklearn.config_context(assume_finite=True):  # scikit-learn's switch is honoured
        assert np.isnan(_base.validate_xy(jl.Lasso(), x, bad_y)[1][2])
    # finite values whose sum overflows are finite
    assert _base.plain_valid_xy(np.full((2, 1), 1e308), np.array([1e308, 1e308]),
                                finite_x=True) is not None
    assert _base.plain_valid_xy(x[:2], np.array([1.0, np.nan]), finite_x=True) is None
    with pytest.raises(ValueError, match="Input X contains infinity"):
        jl.LassoCV(cv=3).fit(bad_x, y)
    # y finite in its dtype but not in X's: scikit-learn's error (cast, then checked)
    huge = y.copy()
    huge[0] = 1e300
    with pytest.raises(ValueError, match="Input y contains infinity or a value too large"), \
            np.errstate(over="ignore"):  # (numpy's warning from scikit-learn's cast)
        jl.lasso_path(x.astype(np.float32), huge, n_alphas=3)
    # X unchecked by the caller (check_input=False) still needs a sample and a feature
    with pytest.raises(ValueError, match="0 sample"):
        jl.enet_path(x[:0], y[:0], check_input=False, n_alphas=3)
    # assume_finite: X's finiteness is not checked (scikit-learn's meaning) ...
    nan_x = x.copy()
    nan_x[0, 0] = np.nan
    with sklearn.config_context(assume_finite=True):
        assert _base.design_to_device(jl.Lasso(), nan_x)[0] is not None
        # ... and where jreg raises anyway, the message names NaN
        with pytest.raises(ValueError, match="Input X contains NaN"):
            _base._raise_not_finite(jl.Lasso(), nan_x, np.float64)
    # paths: the same shortcut, the same answer as through check_array (not plain)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        jl.lasso_path(x, bad_y, n_alphas=3)
    for xd in (np.float64, np.float32):
        fast = jl.enet_path(x.astype(xd), y, n_alphas=3)
        slow = jl.enet_path(x.astype(xd).view(_NdarraySubclass), y.tolist(), n_alphas=3)
        assert fast[1].dtype == slow[1].dtype == xd
        for a, b in zip(fast[:2], slow[:2], strict=True):
            np.testing.assert_array_equal(a, b)
