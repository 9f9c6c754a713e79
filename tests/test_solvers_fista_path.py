"""Tests of ``solver="fista"``: every alpha of a path at once by accelerated proximal
gradient, to the same certified gap as coordinate descent.

References: the coordinate-descent solver and scikit-learn (the comparison with
scikit-learn at tol=1e-12 on every alpha is ``test_solvers``' path test, parametrized
over both solvers).
"""

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LassoCV as SkLassoCV
from sklearn.model_selection import KFold

from jreg import linear_model, solvers
from tests.test_solvers import DESIGNS, _batched, grid


@pytest.mark.parametrize("precompute", [True, False])
def test_fista_agrees_with_cd_with_every_option(precompute):
    """Weights, no intercept, positivity, a start and both design operators."""
    x, y = DESIGNS["square"]
    rng = np.random.default_rng(5)
    sw = rng.uniform(0.2, 3.0, len(y))
    w0 = rng.standard_normal(x.shape[1])
    alphas = grid(x, y, 0.8, n_alphas=6)
    for kwargs in ({"sample_weight": sw}, {"fit_intercept": False}, {"positive": True},
                   {"coef_init": w0}):
        out = {solver: solvers.enet_path_solve(x, y, alphas, 0.8, tol=1e-13, max_iter=500000,
                                               precompute=precompute, solver=solver, **kwargs)
               for solver in ("cd", "fista")}
        assert np.all(np.asarray(out["fista"].converged)), kwargs
        np.testing.assert_allclose(np.asarray(out["fista"].coef), np.asarray(out["cd"].coef),
                                   atol=1e-5, err_msg=str(kwargs))
        np.testing.assert_allclose(np.asarray(out["fista"].intercept),
                                   np.asarray(out["cd"].intercept), atol=1e-5)
        if kwargs.get("positive"):
            assert np.all(np.asarray(out["fista"].coef) >= 0)


def test_fista_flags_exactly_the_columns_that_ran_out_of_iterations():
    x, y = DESIGNS["wide"]
    alphas = grid(x, y, 1.0, n_alphas=8)
    res = solvers.enet_path_solve(x, y, alphas, tol=1e-10, max_iter=3, solver="fista")
    converged = np.asarray(res.converged)
    assert converged[0] and not np.all(converged)  # alpha_max is solved by w = 0
    assert np.all(np.asarray(res.n_iter) <= 3)
    tol = 1e-10 * np.var(y)
    np.testing.assert_array_equal(converged, np.asarray(res.gap) <= tol * (1 + 1e-12))
    with pytest.warns(Warning, match="gap|converge"):
        linear_model.Lasso(alpha=alphas[-1], max_iter=3, tol=1e-10, solver="fista").fit(x, y)


@pytest.mark.parametrize("gram", [True, False])
def test_fista_narrows_to_the_uncertified_columns(monkeypatch, gram):
    """Once at most a quarter of the columns are uncertified, FISTA goes on with a
    narrower copy holding them (20 -> 5 columns): the same iterates, iteration counts
    and certified gaps as one loop over every column."""
    from jreg.solvers import _cd, _pg

    x, y = DESIGNS["wide"]
    xc, yc = x - x.mean(0), y - y.mean()
    op = (_cd.gram_op(jnp.asarray(xc.T @ xc), jnp.asarray(xc.T @ yc), jnp.asarray(yc @ yc))
          if gram else _cd.residual_op(jnp.asarray(xc.T), jnp.asarray(yc)))
    a = jnp.asarray(grid(x, y, 1.0, n_alphas=20) * len(y))
    b = 0.1 * a[::-1]
    tol = 1e-11 * float(yc @ yc)
    w0 = jnp.zeros((x.shape[1], 20))

    def solve():  # a new jit each time: traced with the current _pg._widths
        return jax.jit(lambda w0: _pg.solve_path(op, w0, a, b, tol, 100000,
                                                 positive=False))(w0)

    assert _pg._widths(20) == [20, 5]
    narrow = solve()
    monkeypatch.setattr(_pg, "_widths", lambda n_cols: [n_cols])
    single = solve()
    n_iter = np.sort(np.asarray(single.n_iter))[::-1]
    assert n_iter[5] < n_iter[0]  # the narrow loop ran
    assert np.all(np.asarray(narrow.gap) <= tol) and int(narrow.k) == int(single.k)
    np.testing.assert_allclose(np.asarray(narrow.w), np.asarray(single.w), rtol=0,
                               atol=1e-9 * float(np.max(np.abs(single.w))))
    assert np.max(np.abs(np.asarray(narrow.n_iter) - np.asarray(single.n_iter))) <= 1
    np.testing.assert_allclose(np.asarray(narrow.gap), np.asarray(single.gap), rtol=1e-3,
                               atol=1e-3 * tol)


def test_fista_constant_target_and_zero_column():
    x, y = DESIGNS["tall"]
    x = x.copy()
    x[:, 2] = 5.0
    res = solvers.solve_enet(x, y, 0.01, tol=1e-10, max_iter=100000, solver="fista")
    assert float(res.coef[2]) == 0.0 and bool(res.converged)
    const = solvers.solve_enet(x, np.full(len(y), 2.5), 0.01, solver="fista")
    assert np.all(np.asarray(const.coef) == 0) and int(const.n_iter) == 0
    np.testing.assert_allclose(float(const.intercept), 2.5)


def test_fista_keeps_float32_when_x64_is_enabled():
    x, y = (jnp.asarray(a, jnp.float32) for a in DESIGNS["tall"])
    alphas = jnp.asarray(grid(*DESIGNS["tall"], 1.0, n_alphas=5), jnp.float32)
    program = str(jax.make_jaxpr(
        lambda x, y: solvers.enet_path_solve(x, y, alphas, solver="fista").coef)(x, y))
    assert not re.search(r"f64\[\d", program)
    res = solvers.enet_path_solve(x, y, alphas, tol=1e-5, max_iter=100000, solver="fista")
    assert res.coef.dtype == jnp.float32 and bool(jnp.all(res.converged))
    ref = solvers.enet_path_solve(*DESIGNS["tall"], np.asarray(alphas, np.float64), tol=1e-12)
    np.testing.assert_allclose(np.asarray(res.coef), np.asarray(ref.coef), atol=5e-3)


def test_adaptive_steps_need_fewer_iterations_and_reject_too_long_steps():
    """``FistaSettings.step_shrink`` (default 0.99): each column's step grows while the
    curvature along its moves allows, so the same certified solutions take fewer
    iterations than with the fixed step; and a step that the power iteration's bound
    made too long is rejected rather than taken (one power iteration and no margin:
    the fixed step does not certify the square design's path, the adaptive one does)."""
    kw = {"max_iter": 20000, "solver": "fista"}
    for name, tol, low_bound in (("wide", 1e-12, False), ("square", 1e-10, True)):
        x, y = DESIGNS[name]
        alphas = grid(x, y, 1.0, n_alphas=10)
        ref = solvers.enet_path_solve(x, y, alphas, tol=1e-14, max_iter=100000, solver="cd")
        base = (solvers.FistaSettings(power_iters=1, lipschitz_margin=1.0) if low_bound
                else solvers.FistaSettings())
        fixed = solvers.enet_path_solve(x, y, alphas, tol=tol, **kw,
                                        settings=base._replace(step_shrink=None))
        adaptive = solvers.enet_path_solve(x, y, alphas, tol=tol, **kw, settings=base)
        assert np.all(np.asarray(adaptive.converged)), name
        np.testing.assert_allclose(np.asarray(adaptive.coef), np.asarray(ref.coef),
                                   atol=1e-5, err_msg=name)
        if low_bound:
            assert not np.all(np.asarray(fixed.converged))
        else:
            assert np.all(np.asarray(fixed.converged))
            np.testing.assert_allclose(np.asarray(fixed.coef), np.asarray(ref.coef),
                                       atol=1e-5)
            # measured: 4297 against 6618 iterations in all
            assert np.sum(adaptive.n_iter) < 0.8 * np.sum(fixed.n_iter)


def test_adaptive_steps_let_overflow_surface_as_an_error():
    """Data that overflow in float32 make a step non-finite: it is taken (not rejected
    as too long, which would leave a NaN step size and spend every iteration), so the
    estimator reports the non-finite coefficients at once, as with the fixed step."""
    x, y = DESIGNS["wide"]
    big_x, big_y = (np.asarray(a * 1e17, np.float32) for a in (x, y))
    with pytest.raises(ValueError, match="non-finite"), warnings.catch_warnings():
        # numpy's overflow in the checks; the gap's warning comes before the error
        warnings.simplefilter("ignore")
        linear_model.Lasso(solver="fista").fit(big_x, big_y)


def test_solver_and_settings_errors_name_the_argument():
    x, y = DESIGNS["tall"]
    alphas = np.array([0.1])
    with pytest.raises(ValueError, match="solver"):
        solvers.enet_path_solve(x, y, alphas, solver="newton")
    with pytest.raises(TypeError, match="settings must be a FistaSettings"):
        solvers.enet_path_solve(x, y, alphas, solver="fista", settings=solvers.CDSettings())
    with pytest.raises(TypeError, match="settings must be a CDSettings"):
        solvers.enet_path_solve(x, y, alphas, solver="cd", settings=solvers.FistaSettings())
    with pytest.raises(TypeError, match="settings must be a CDSettings or a FistaSettings"):
        solvers.enet_path_solve(x, y, alphas, settings={"block": 8})
    with pytest.raises(TypeError, match="settings.finish"):
        solvers.enet_path_solve(x, y, alphas, solver="fista",
                                settings=solvers.FistaSettings(finish=True))
    with pytest.raises(ValueError, match="settings.finish_factor"):
        solvers.enet_path_solve(x, y, alphas, solver="fista",
                                settings=solvers.FistaSettings(finish_factor=0))
    with pytest.raises(ValueError, match="settings.block"):
        solvers.enet_path_solve(
            x, y, alphas, solver="fista",
            settings=solvers.FistaSettings(finish=solvers.CDSettings(block=0)))
    with pytest.raises(ValueError, match="settings.power_iters"):
        solvers.enet_path_solve(x, y, alphas, solver="fista",
                                settings=solvers.FistaSettings(power_iters=0))
    with pytest.raises(ValueError, match="settings.lipschitz_margin"):
        solvers.enet_path_solve(x, y, alphas, solver="fista",
                                settings=solvers.FistaSettings(lipschitz_margin=0.5))
    for shrink in (0.0, 1.5, True, "0.9"):
        with pytest.raises(ValueError, match="settings.step_shrink"):
            solvers.enet_path_solve(x, y, alphas, solver="fista",
                                    settings=solvers.FistaSettings(step_shrink=shrink))
    for cls in (linear_model.Lasso, linear_model.ElasticNet, linear_model.LassoCV,
                linear_model.ElasticNetCV):
        with pytest.raises(ValueError, match="solver"):
            cls(solver="lars").fit(x, y)
    with pytest.raises(ValueError, match="solver"):
        linear_model.lasso_path(x, y, solver="lars")


def test_estimators_and_paths_with_fista():
    x, y = load_diabetes(return_X_y=True)
    for cls in (linear_model.Lasso, linear_model.ElasticNet):
        cd = cls(alpha=0.05, tol=1e-10, max_iter=100000).fit(x, y)
        fi = cls(alpha=0.05, tol=1e-10, max_iter=100000, solver="fista").fit(x, y)
        np.testing.assert_allclose(fi.coef_, cd.coef_, rtol=1e-5, atol=1e-4)
        assert fi.dual_gap_ <= 1e-10 * np.var(y)
    alphas, coefs, gaps = linear_model.lasso_path(x - x.mean(0), y - y.mean(), alphas=20,
                                                  tol=1e-10, max_iter=100000, solver="fista")
    _, ref, _ = linear_model.lasso_path(x - x.mean(0), y - y.mean(), alphas=20, tol=1e-10,
                                        max_iter=100000)
    np.testing.assert_allclose(coefs, ref, atol=1e-3)
    folds = KFold(5)
    mine = linear_model.LassoCV(cv=folds, tol=1e-10, max_iter=100000, solver="fista").fit(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SkLassoCV(cv=folds, tol=1e-10, max_iter=100000).fit(x, y)
    assert mine.alpha_ == pytest.approx(theirs.alpha_, rel=1e-10)
    # FISTA stops just below the gap tolerance (coordinate descent usually lands far
    # below it): near alpha_max the test errors then agree to ~1e-5, not 1e-8
    np.testing.assert_allclose(mine.mse_path_, theirs.mse_path_, rtol=1e-4)


def test_fista_vmaps_over_alphas_targets_and_folds():
    """``solve_enet(..., solver="fista")`` under ``jax.vmap``: each lane its own alpha,
    target and 0/1 fold weights, each with its own certificate."""
    x, y = DESIGNS["tall"]
    alphas = jnp.asarray(grid(x, y, 1.0, n_alphas=4))
    ys = jnp.stack([y, -y, 2 * y + 1, y])
    masks = jnp.asarray(np.array([np.arange(len(y)) % 3 != k % 3 for k in range(4)], float))
    batch = _batched(x, alphas, ys, masks, 1e-10, 100000, solver="fista")
    assert bool(jnp.all(batch.converged))
    for k in range(4):
        single = solvers.solve_enet(x, ys[k], float(alphas[k]), sample_weight=masks[k],
                                    tol=1e-12, max_iter=100000)
        np.testing.assert_allclose(np.asarray(batch.coef[k]), np.asarray(single.coef),
                                   atol=1e-4)


def test_fista_with_a_user_gram_matrix():
    x, y = DESIGNS["tall"]
    xc = x - x.mean(0)
    gram = xc.T @ xc
    fi = linear_model.ElasticNet(alpha=0.05, precompute=gram, tol=1e-11, max_iter=100000,
                                 solver="fista").fit(xc, y)
    cd = linear_model.ElasticNet(alpha=0.05, tol=1e-11, max_iter=100000).fit(xc, y)
    np.testing.assert_allclose(fi.coef_, cd.coef_, atol=1e-5)
    np.testing.assert_allclose(fi.intercept_, cd.intercept_, atol=1e-5)


@pytest.mark.parametrize("precompute", [True, False])
def test_cd_finish_certifies_the_columns_fista_left(precompute):
    """``FistaSettings(finish=CDSettings())``: the columns FISTA could not certify in
    its ``finish_factor · max_iter`` iterations are finished by coordinate descent; the
    others are FISTA's, untouched."""
    x, y = DESIGNS["wide"]
    alphas = grid(x, y, 1.0, n_alphas=10)
    kwargs = {"tol": 1e-12, "max_iter": 400, "precompute": precompute, "solver": "fista"}
    plain = solvers.enet_path_solve(x, y, alphas, **kwargs)
    finished = solvers.enet_path_solve(
        x, y, alphas, **kwargs,
        settings=solvers.FistaSettings(finish=solvers.CDSettings(), finish_factor=1))
    left = ~np.asarray(plain.converged)
    assert left.any() and not left.all()
    assert np.all(np.asarray(finished.converged))
    # untouched where FISTA certified; FISTA's iterations plus CD's epochs elsewhere
    np.testing.assert_array_equal(np.asarray(finished.coef)[~left],
                                  np.asarray(plain.coef)[~left])
    n_plain, n_fin = np.asarray(plain.n_iter), np.asarray(finished.n_iter)
    np.testing.assert_array_equal(n_fin[~left], n_plain[~left])
    assert np.all(n_fin[left] > 400)
    ref = solvers.enet_path_solve(x, y, alphas, tol=1e-12, max_iter=100000, solver="cd")
    np.testing.assert_allclose(np.asarray(finished.coef), np.asarray(ref.coef), atol=1e-6)
    tol_abs = 1e-12 * np.var(y)
    assert np.all(np.asarray(finished.gap) <= tol_abs * (1 + 1e-12))
    # the default finish_factor=10: FISTA itself gets 4000 iterations, which certify
    # every column here (the finish does not run), exactly as plain FISTA with 4000
    default = solvers.enet_path_solve(
        x, y, alphas, **kwargs, settings=solvers.FistaSettings(finish=solvers.CDSettings()))
    longer = solvers.enet_path_solve(x, y, alphas, **{**kwargs, "max_iter": 4000})
    assert np.all(np.asarray(longer.converged))
    np.testing.assert_array_equal(np.asarray(default.n_iter), np.asarray(longer.n_iter))
    np.testing.assert_array_equal(np.asarray(default.coef), np.asarray(longer.coef))


def test_auto_is_cd_on_cpu_and_fista_finished_by_cd_on_accelerators(monkeypatch):
    from jreg.solvers import _api

    x, y = DESIGNS["wide"]
    assert _api.auto_solver() == ("cd" if jax.default_backend() == "cpu" else "fista")
    monkeypatch.setattr(_api, "auto_solver", lambda: "cd")
    assert _api.resolve_settings("auto", None) == solvers.CDSettings()
    model = linear_model.Lasso(alpha=0.01, tol=1e-10, max_iter=100000).fit(x, y)
    assert model.solver == "auto" and model.solver_ == "cd"
    cd = linear_model.Lasso(alpha=0.01, tol=1e-10, max_iter=100000, solver="cd").fit(x, y)
    np.testing.assert_array_equal(model.coef_, cd.coef_)
    # an explicit settings object picks its own algorithm under "auto"
    fista = solvers.FistaSettings(power_iters=8)
    assert _api.resolve_settings("auto", fista) is fista

    monkeypatch.setattr(_api, "auto_solver", lambda: "fista")
    assert _api.resolve_settings("auto", None) == solvers.FistaSettings(
        finish=solvers.CDSettings())
    # max_iter=500 is too few FISTA iterations for the smallest alphas of this wide
    # design at tol=1e-10 (they need 700-1000); auto (10x the iterations, then the CD
    # finish) certifies every alpha
    alphas = grid(x, y, 1.0, n_alphas=8)
    plain = solvers.enet_path_solve(x, y, alphas, tol=1e-10, max_iter=500, solver="fista")
    assert not np.all(np.asarray(plain.converged))
    auto = solvers.enet_path_solve(x, y, alphas, tol=1e-10, max_iter=500)
    assert np.all(np.asarray(auto.converged))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = linear_model.LassoCV(cv=3, tol=1e-10).fit(x, y)
    assert model.solver_ == "fista"
    ref = linear_model.LassoCV(cv=3, tol=1e-10, solver="cd").fit(x, y)
    assert model.alpha_ == ref.alpha_
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-6)


def _record_stages(monkeypatch, module):
    """Replace ``module.run_staged`` by one that records the stages it calls."""
    from jreg.solvers import _api

    stages = []
    run_staged = _api.__dict__["run_staged"]  # the original, whatever is patched

    def recording(call, settings, deferrable, **kwargs):
        def call_and_record(stage, start):
            stages.append(stage)
            return call(stage, start)

        return run_staged(call_and_record, settings, deferrable, **kwargs)

    monkeypatch.setattr(module, "run_staged", recording)
    return stages


def test_cd_finish_is_a_second_program_run_only_when_fista_leaves_a_column(monkeypatch):
    """With a coordinate-descent finish (``solver="auto"`` on accelerators), a concrete
    call runs FISTA's program first and the finish's only for what FISTA left: the same
    result as the single program that holds both (which runs under ``jit``)."""
    from jreg.solvers import _api

    x, y = DESIGNS["wide"]
    alphas = grid(x, y, 1.0, n_alphas=10)
    kwargs = {"tol": 1e-12, "max_iter": 400, "solver": "fista"}
    settings = {"easy": solvers.FistaSettings(finish=solvers.CDSettings()),
                "hard": solvers.FistaSettings(finish=solvers.CDSettings(), finish_factor=1)}
    stages = _record_stages(monkeypatch, _api)
    staged = {}
    for name, s in settings.items():
        stages.clear()
        staged[name] = solvers.enet_path_solve(x, y, alphas, **kwargs, settings=s)
        assert stages == (["fista"] if name == "easy" else ["fista", "finish"]), name
        assert np.all(np.asarray(staged[name].converged))
    # the "hard" FISTA stage alone leaves columns, which the finish certified
    assert np.any(np.asarray(staged["hard"].n_iter) > 400)

    monkeypatch.setattr(_api, "run_staged", lambda call, *a, **k: call("all", None))
    for name, s in settings.items():
        one = solvers.enet_path_solve(x, y, alphas, **kwargs, settings=s)
        for field in ("coef", "intercept", "n_iter", "gap", "converged"):
            np.testing.assert_allclose(np.asarray(getattr(staged[name], field)),
                                       np.asarray(getattr(one, field)), rtol=1e-9,
                                       atol=1e-12, err_msg=f"{name} {field}")
    # no host decision under jit: one program, finish included
    jitted = jax.jit(lambda a: solvers.enet_path_solve(x, y, a, **kwargs,
                                                       settings=settings["hard"]))(alphas)
    assert np.all(np.asarray(jitted.converged))


def test_cv_runs_the_cd_finish_only_where_fista_left_a_problem(monkeypatch):
    """LassoCV with ``solver="auto"`` as on accelerators: the CV program's finish is a
    second program, run from the first's fold coefficients, with the single program's
    result; its refit is staged too."""
    from jreg.linear_model import _cv
    from jreg.solvers import _api

    x, y = DESIGNS["wide"]
    monkeypatch.setattr(_api, "auto_solver", lambda: "fista")
    kw = dict(cv=KFold(3), alphas=8, tol=1e-10)
    cv_stages = _record_stages(monkeypatch, _cv)
    refit_stages = _record_stages(monkeypatch, _api)
    easy = linear_model.LassoCV(**kw, max_iter=5000).fit(x, y)
    assert cv_stages == ["fista"] and refit_stages == ["fista"]
    cv_stages.clear()
    refit_stages.clear()
    with pytest.warns(Warning, match="gap|converge"):  # too few epochs for the finish too
        linear_model.LassoCV(**kw, max_iter=3).fit(x, y)
    assert cv_stages == ["fista", "finish"]
    cv_stages.clear()
    with warnings.catch_warnings():
        # 1800 FISTA iterations leave a problem (it needs 1851-1900), 180 epochs finish
        # it. (Measured window: 175-185, 190 needs no finish; below it the finish's
        # epochs are too few for some values, e.g. 170, 145-160.)
        warnings.simplefilter("error")
        hard = linear_model.LassoCV(**kw, max_iter=180).fit(x, y)
    assert cv_stages == ["fista", "finish"]

    monkeypatch.setattr(_cv, "run_staged", lambda call, *a, **k: call("all", None))
    for staged, max_iter in ((easy, 5000), (hard, 180)):
        one = linear_model.LassoCV(**kw, max_iter=max_iter).fit(x, y)
        assert one.alpha_ == staged.alpha_
        np.testing.assert_allclose(staged.mse_path_, one.mse_path_, rtol=1e-9)
        np.testing.assert_allclose(staged.coef_, one.coef_, rtol=1e-9, atol=1e-12)
