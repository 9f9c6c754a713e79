r"""LassoCV and ElasticNetCV: all folds × l1_ratios × alphas in one compiled call."""

from __future__ import annotations

import functools
import glob
import numbers
import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils.validation import column_or_1d

from jreg._precision import full_precision
from jreg.linear_model import _base
from jreg.linear_model._coordinate_descent import ElasticNet, _resolve_precompute
from jreg.solvers import _cd
from jreg.solvers._api import (
    Prepared,
    SolverResult,
    batch_apply,
    default_batch,
    jit_by_size,
    path_from_prepared,
    pick_jit,
    prepare_x,
    prepare_y,
    resolve_settings,
    run_staged,
    solver_name,
    symmetric_gram,
)
from jreg.solvers._pg import FistaSettings

__all__ = ["ElasticNetCV", "LassoCV"]


def _pad_folds(folds, sample_weight, n_samples, dtype):
    """Row indices and weights of each fold, padded with zero-weight rows."""
    sw = np.ones(n_samples, dtype) if sample_weight is None else sample_weight
    n_train = max(len(train) for train, _ in folds)
    n_test = max(len(test) for _, test in folds)
    shape_tr, shape_te = (len(folds), n_train), (len(folds), n_test)
    train_idx, train_w = np.zeros(shape_tr, np.int32), np.zeros(shape_tr, dtype)
    test_idx, test_w = np.zeros(shape_te, np.int32), np.zeros(shape_te, dtype)
    test_mse_w = np.zeros(shape_te, dtype)
    for k, (train, test) in enumerate(folds):
        train_idx[k, : len(train)] = train
        train_w[k, : len(train)] = sw[train]
        test_idx[k, : len(test)] = test
        test_w[k, : len(test)] = sw[test]
        # scikit-learn: plain mean of squared test errors without weights, weighted otherwise
        test_mse_w[k, : len(test)] = 1.0 if sample_weight is None else sw[test]
    return train_idx, train_w, test_idx, test_w, test_mse_w


def _trains_complement_tests(folds, n_samples):
    """Whether every fold trains on exactly the rows it does not test on (``KFold``,
    ``ShuffleSplit`` without ``train_size``, ...): only then is its Gram matrix the full
    one minus its test block. Not for ``TimeSeriesSplit`` or a ``train_size`` that
    leaves rows out (each such fold computes its Gram matrix from its training rows)."""
    for train, test in folds:
        rows = np.concatenate([np.asarray(train), np.asarray(test)]).astype(np.intp)
        # n rows, each once (a count per row: linear, for splitters of many folds)
        if len(rows) != n_samples or np.any(np.bincount(rows, minlength=n_samples) != 1):
            return False
    return True


def _test_sets_partition(folds, n_samples, n_features, max_bytes=2**29):
    """Whether every row is in exactly one test set (``KFold``, ``GroupKFold``, ...) and
    the fold Gram blocks ``X_testᵀ S X_test`` fit in ``max_bytes`` (float64) together."""
    if len(folds) * n_features**2 * 8 > max_bytes:
        return False
    tests = np.concatenate([np.asarray(test) for _, test in folds])
    return len(tests) == n_samples and np.array_equal(np.sort(tests), np.arange(n_samples))


def _centred(v, sw, fit_intercept):
    """``v`` (``x`` or ``y``) centred by its global weighted mean (for accuracy), the
    mean, and the weight sum."""
    total = jnp.sum(sw)
    mean = sw @ v / total if fit_intercept else jnp.zeros(v.shape[1:], v.dtype)
    return v - mean, mean, total


# the folds' Gram blocks are unrolled up to this many folds: XLA ran the products of a
# `lax.map` over the folds slower (10000x2000, 5 folds: 0.49 s against 0.38 s unrolled,
# as much as one Gram matrix of all rows)
_MAX_UNROLLED_FOLDS = 10


def _test_gram(rows, w):
    """``rowsᵀ W rows`` of centred rows (upper blocks only)."""
    return symmetric_gram((rows * jnp.sqrt(w)[:, None]).T)


class _Centring(NamedTuple):
    """The full data's weighted means and centred cross-products, shared by the folds
    (computed once, with the Gram matrix: a pass over the whole design)."""

    xm: jax.Array
    ym: jax.Array
    total: jax.Array
    xty: jax.Array
    yy: jax.Array
    sx: jax.Array
    sy: jax.Array


def _fold_grams(x, y, sw, test_idx, test_w, *, fit_intercept, partition):
    """``(G, test_blocks, centring)``: the full data's centred Gram matrix ``G``; when the
    test sets partition the rows (``partition``: every row in exactly one test set, as
    ``KFold``), the test blocks ``X_testᵀ S X_test`` ``(folds, p, p)``, whose sum ``G``
    then is (one Gram matrix's work in all), else ``None`` (each fold computes its own);
    and the :class:`_Centring` of the data."""
    x0, xm, total = _centred(x, sw, fit_intercept)
    y0, ym, _ = _centred(y, sw, fit_intercept)
    swy = sw * y0
    # (swy @ x0, not x0.T @ …: a transpose on XLA's CPU, see _cd.init_aux)
    centring = _Centring(xm, ym, total, swy @ x0, jnp.vdot(swy, y0), sw @ x0,
                         jnp.vdot(sw, y0))
    if partition:
        n_folds = test_idx.shape[0]
        if n_folds <= _MAX_UNROLLED_FOLDS:
            test_grams = jnp.stack([_test_gram(x0[test_idx[k]], test_w[k])
                                    for k in range(n_folds)])
        else:
            test_grams = jax.lax.map(lambda a: _test_gram(x0[a[0]], a[1]), (test_idx, test_w))
        return jnp.sum(test_grams, axis=0), test_grams, centring
    return symmetric_gram((x0 * jnp.sqrt(sw)[:, None]).T), None, centring


_fold_grams_jit = jax.jit(full_precision(_fold_grams),
                          static_argnames=("fit_intercept", "partition"))


def _fold_prepared_gram(x, y, grams, *, fit_intercept):
    """Per-fold centred Gram problems from one global Gram: ``G − X_testᵀ S X_test``.

    The data are centred by the global weighted means (for accuracy), then each fold's
    Gram, ``Xᵀy`` and ``‖y‖²`` are corrected for its own mean in closed form. ``grams``
    is :func:`_fold_grams`' output for these folds. A fold reads only its test rows of
    ``x``: the passes over the whole design are in ``grams`` (when the folds run as
    programs of their own, each would repeat them: tall 10000×2000, ~0.1 s a fold).
    """
    gram, test_grams, c = grams

    def one(k, idx, w):
        xt_, yt_ = x[idx] - c.xm, y[idx] - c.ym
        s_k = c.total - jnp.sum(w)
        q = gram - (_test_gram(xt_, w) if test_grams is None else test_grams[k])
        cov = c.xty - (w * yt_) @ xt_
        v = c.yy - jnp.vdot(w * yt_, yt_)
        if fit_intercept:
            mx = (c.sx - w @ xt_) / s_k
            my = (c.sy - jnp.vdot(w, yt_)) / s_k
            q = q - s_k * jnp.outer(mx, mx)
            cov = cov - s_k * mx * my
            v = v - s_k * my * my
        else:
            mx = jnp.zeros_like(c.xm)
            my = jnp.zeros_like(c.ym)
        # exactly symmetric: `symmetric_gram`'s blocks are, and so are their differences
        # and the outer product (symmetrising it here cost 17 ms a fold at p = 2000)
        op = _cd.GramOp(q, cov, jnp.diagonal(q), v)
        return Prepared(op, c.xm + mx, c.ym + my, s_k)

    return one


def _cv_mse(x, y, sw, train_idx, train_w, test_idx, test_w, test_mse_w, alphas, l1_ratios, tol,
            max_iter, start=None, grams=None, *, fit_intercept, positive, gram, partition,
            complement, settings, batch, keep_coefs=False, stage="all"):
    """Per fold, ratio and alpha: test MSE, convergence, gap and gap tolerance; with
    ``keep_coefs`` also the coefficients ``(folds, ratios, alphas, p)`` (else ``None``),
    which start the refit; then the iteration counts. Second output: the full data's
    centred Gram matrix (or None).
    ``stage`` and ``start`` (a :class:`SolverResult` of ``(folds, ratios, alphas)``
    problems) as in :func:`jreg.solvers._api.run_staged`. With ``gram``, ``grams`` are
    :func:`_fold_grams`' output for these folds, computed here when ``None``; the folds'
    Gram matrices are ``G`` minus their test blocks where every fold trains on the rows
    it does not test on (``complement``), else computed from their training rows.
    """
    dtype = x.dtype
    p = x.shape[1]
    full_gram = None
    if gram:
        if grams is None:
            grams = _fold_grams(x, y, sw, test_idx, test_w, fit_intercept=fit_intercept,
                                partition=partition)
        full_gram = grams[0]
        if complement:
            fold_gram = _fold_prepared_gram(x, y, grams, fit_intercept=fit_intercept)

    def fold(args):
        k, tr_idx, tr_w, te_idx, te_w, te_mse_w, fold_start = args
        if gram and complement:
            prep = fold_gram(k, te_idx, te_w)
        else:
            px = prepare_x(x[tr_idx], tr_w, fit_intercept=fit_intercept, gram=gram)
            prep = prepare_y(px, y[tr_idx], tr_w, fit_intercept=fit_intercept)
        x_test, y_test = x[te_idx], y[te_idx]

        def per_ratio(alph, rho, ratio_start):
            res = path_from_prepared(
                prep, alph, rho, jnp.zeros(p, dtype), tol, max_iter, positive=positive,
                settings=settings, stage=stage, start=ratio_start,
            )
            pred = res.coef @ x_test.T + res.intercept[:, None]
            mse = (te_mse_w * (pred - y_test) ** 2).sum(axis=1) / te_mse_w.sum()
            return (mse, res.converged, res.gap, prep.op.yy * tol / prep.weight_sum,
                    res.coef if keep_coefs else None, res.n_iter)

        return batch_apply(lambda a: per_ratio(*a), (alphas, l1_ratios, fold_start), batch)

    args = (jnp.arange(train_idx.shape[0]), train_idx, train_w, test_idx, test_w, test_mse_w,
            start)
    return batch_apply(fold, args, batch), full_gram


_cv_mse_jits = jit_by_size(
    _cv_mse,
    ("fit_intercept", "positive", "gram", "partition", "complement", "settings", "batch",
     "keep_coefs", "stage"),
)

# fold coefficients kept on the device for the refit's start: at most this many values
_MAX_KEPT_COEFS = 2**22
# On accelerators the folds are lanes of one batched program; for a small problem a lane
# costs launch latency, not work, so the full data rides along as one more lane (a fold
# that tests on no row) and its solution at alpha_ replaces the refit, a program of its
# own (H200, diabetes 442x10: 5 of the 17 ms of a LassoCV fit). Up to this n·p, with a
# Gram matrix whose folds train on the rows they do not test on (their Gram matrices are
# the full one minus test blocks: the lane's is G, at the cost of one empty test block).
# Larger problems refit. On CPU the folds run one after another in one program, so the
# lane costs one more fold path: it is used there only where coordinate descent sweeps
# every feature (CDSettings.full_sweep_max), a path then costing less than the refit's
# dispatch (2-core CPU, 5 folds, alternating runs, 2026-11-27: diabetes 442x10 2.9-3.0
# -> 2.5-2.6 ms, breast cancer 569x30 3.6 -> 3.2 ms, 300x20 3.15 -> 2.7-2.9 ms; 600x100,
# with working sets, 22.6-24.4 -> 25.3-26.6 ms, so not there), and one program runs
# every fold (threads would run the lane as one more fold).
_MAX_FULL_LANE_SIZE = 2**16


# n_jobs=None runs the folds in threads where that was measured faster (2-core CPU, 5
# folds, 2026-11-27, alternating runs): without a Gram matrix (chains of small steps,
# one core each) wide 200x5000 2.57 -> 1.75 s, 100x1000 0.75-0.83 -> 0.46 s; with one,
# while it fits in the caches, 2000x400 0.169 -> 0.141 s, 3000x700 0.40 -> 0.33 s,
# 4000x1000 0.73 -> 0.62 s, but not at p = 2000 (10000x2000 2.87 -> 2.92 s: the
# threads' p x p products compete for memory bandwidth), nor below this size
# (n_train x p; diabetes 11 -> 12 ms). On the 16-core CPU of a GPU machine
# (2026-11-27, jax 0.11) the 10000x2000 folds in threads took 2.2 s against 4.25 s in
# one program: the Gram limit holds on machines of fewer than 4 cores only (2:
# measured neutral or worse; 4-15: not measured)
_MIN_THREADED_SIZE = 20_000
_MAX_THREADED_GRAM_FEATURES = 1024
_MIN_CORES_LARGE_GRAM = 4
# ... nor where the threads' p x p matrices (counted in the problem's dtype, although
# float64 epochs may read a float32 copy) fit in this share of the last-level cache: the
# 10000x2000 folds were slower in threads with a 32 MB L3 but faster with a 480 MB one,
# fit 2.16-2.24 -> 1.66-1.74 s (fit / path 2.3-2.4 -> 1.9-2.0; 2-core CPU, alternating
# runs, 2026-11-27 evening); with a 32 MB L3 the rule gives the measured 1024 features
_GRAM_CACHE_SHARE = 0.5
# Without a Gram matrix, up to this many folds all start at once even on fewer cores:
# the OS shares the cores between them and they finish together, where one thread per
# core takes them in order and the longest may start last (2 cores, alternating runs,
# 2026-11-27: 5 folds of 200x5000 0.888 -> 0.805 s, of 300x3000 1.29-1.36 -> 1.19-1.25
# s, 3 folds of 200x5000 0.339 -> 0.316 s; 100x1000 and 10 folds of 200x5000 (2, 5 or
# 10 threads) unchanged; 2000x400, a Gram matrix: unchanged, so not done there)
_MAX_FOLDS_AT_ONCE = 5
# each thread holds a few temporaries of its fold (p x p: its Gram matrix, its working
# copies; else its rows of the design, gathered and centred): by default no more
# threads than fit in this many bytes of them (p = 2000: 16 threads; p = 8000: one
# program)
_MAX_THREADED_BYTES = 2**31


@functools.cache
def _last_level_cache_bytes():
    """The largest CPU cache this process's first core reports (Linux sysfs), in bytes;
    0 where it is not known."""
    found = 0
    for index in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        try:
            with open(index) as f:
                text = f.read().strip().upper()
        except OSError:
            continue
        scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
        digits = text[:-1] if scale > 1 else text
        if digits.isdigit():
            found = max(found, int(digits) * scale)
    return found


def _fold_workers(n_jobs, n_folds, *, gram, n_features, size, itemsize=8):
    """Threads that run the folds' programs at once on CPU. ``n_jobs``: a positive count,
    or joblib's negative convention (``-1``: every core, ``-2``: all but one); ``None``:
    every core where that is faster (``size = n_train·p`` at least
    ``_MIN_THREADED_SIZE``, and no Gram matrix, one of at most
    ``_MAX_THREADED_GRAM_FEATURES`` features, at least ``_MIN_CORES_LARGE_GRAM``
    cores, or threads whose ``p × p`` matrices fit in ``_GRAM_CACHE_SHARE`` of the
    last-level cache), and without a Gram matrix every fold when they number at most
    ``_MAX_FOLDS_AT_ONCE``; no more than their temporaries (of ``itemsize`` bytes per
    value) allow in ``_MAX_THREADED_BYTES``; else 1. Never more than the folds; ``1``:
    one program."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    if n_jobs is None:
        faster = size >= _MIN_THREADED_SIZE and (
            not gram or n_features <= _MAX_THREADED_GRAM_FEATURES
            or cores >= _MIN_CORES_LARGE_GRAM
            or min(cores, n_folds) * itemsize * n_features**2
            <= _GRAM_CACHE_SHARE * _last_level_cache_bytes())
        n_jobs = cores if faster else 1
        if faster and not gram and n_folds <= _MAX_FOLDS_AT_ONCE:
            n_jobs = max(n_jobs, n_folds)
        held = itemsize * (4 * n_features**2 if gram else 2 * size)
        n_jobs = min(n_jobs, max(1, _MAX_THREADED_BYTES // held))
    elif n_jobs < 0:
        n_jobs = cores + 1 + n_jobs
    return max(1, min(n_jobs, n_folds))


# signatures (shapes, dtypes, static arguments) whose per-fold programs have run
_RUN_SIGNATURES = set()


def _solve_folds(shared, per_fold, rest, *, workers, size, **kwargs):
    """The CV program's output over every fold, ``((mse, converged, gaps, tols, coefs,
    n_iter), full_gram)``: one program (``workers == 1``), or one program per fold run by
    ``workers`` threads at once (CPU), the Gram blocks from one separate program.
    ``shared``, ``per_fold`` (leading fold axis) and ``rest`` are :func:`_cv_mse`'s
    arguments, ``kwargs`` its static ones; ``size`` is one fold's ``n_train·p`` (the
    compile tier)."""
    settings, keep_coefs = kwargs["settings"], kwargs["keep_coefs"]
    n_folds = per_fold[0].shape[0]

    def run(sel, grams, size):
        """The CV program on the folds ``sel`` (staged as run_staged says)."""
        cv_fn = pick_jit(_cv_mse_jits, size)
        # (every fold: no slicing, which would dispatch one op per array)
        folds = per_fold if sel == slice(None) else tuple(a[sel] for a in per_fold)
        fold_args = shared + folds + rest

        def call(stage, start):
            if start is not None:  # a "fista" stage's output: coefficients and gaps
                (_, _, gaps, _, coefs, n_iter), _ = start
                start = SolverResult(coefs, None, n_iter, gaps, None)
            return cv_fn(*fold_args, start, grams, stage=stage, **kwargs)

        return jax.block_until_ready(
            run_staged(call, settings, keep_coefs, converged=lambda out: out[0][1]))

    if workers == 1:
        return run(slice(None), None, size * n_folds)
    grams = None
    if kwargs["gram"]:
        x, y, sw = shared
        test_idx, test_w = per_fold[2], per_fold[3]
        grams = _fold_grams_jit(x, y, sw, test_idx, test_w,
                                fit_intercept=kwargs["fit_intercept"],
                                partition=kwargs["partition"])
    # a thread-local `jax.enable_x64` context does not reach the pool's threads
    x64 = jax.config.jax_enable_x64

    def fold(k):
        fold_grams = None
        if grams is not None:
            fold_grams = (grams[0], None if grams[1] is None else grams[1][k:k + 1], grams[2])
        with jax.enable_x64(x64):
            return run(slice(k, k + 1), fold_grams, size)[0]

    # the first fold runs alone when it compiles (once: the threads then share the
    # executable); on later fits of the same signature every fold starts at once (after
    # a `jax.clear_caches()` the threads may then each compile it: slower, same result)
    signature = (size, x64, tuple(sorted(kwargs.items())), jax.tree.structure(grams),
                 tuple((a.shape, a.dtype) for a in jax.tree.leaves((shared, per_fold, rest))))
    outs = []
    if signature not in _RUN_SIGNATURES:
        outs.append(fold(0))
        _RUN_SIGNATURES.add(signature)
    with ThreadPoolExecutor(workers) as pool:
        outs += list(pool.map(fold, range(len(outs), n_folds)))
    out = jax.tree.map(lambda *parts: jnp.concatenate(parts), *outs)
    return out, None if grams is None else grams[0]


class _LinearModelCV(RegressorMixin, BaseEstimator):
    """Shared fit of LassoCV / ElasticNetCV (scikit-learn's ``LinearModelCV``)."""

    def _l1_ratios(self):
        return np.array([1.0])

    def _check_params(self):
        _base.check_number(self.eps, "eps", low=0, low_open=True)
        _base.check_number(self.max_iter, "max_iter", low=1, integer=True)
        _base.check_number(self.tol, "tol", low=0)
        for name in ("fit_intercept", "positive", "copy_X"):
            _base.check_bool(getattr(self, name), name)
        if self.n_jobs is not None:
            _base.check_number(self.n_jobs, "n_jobs", integer=True)
            if self.n_jobs == 0:
                raise ValueError("n_jobs must be None, a positive integer or a negative one "
                                 "(-1: every core), got 0.")
        if self.selection not in ("cyclic", "random"):
            raise ValueError(f"selection must be 'cyclic' or 'random', got {self.selection!r}.")
        resolve_settings(self.solver, None)
        if isinstance(self.alphas, numbers.Integral) and not isinstance(self.alphas, bool):
            _base.check_number(self.alphas, "alphas", low=1, integer=True)
        else:
            alphas = np.asarray(self.alphas, dtype=float).ravel()
            if alphas.size == 0:
                raise ValueError("alphas must be an int >= 1 or a non-empty array of floats.")
            for index, alpha in enumerate(alphas):
                if not np.isfinite(alpha) or alpha < 0:
                    raise ValueError(f"alphas[{index}] == {alpha}, must be >= 0.0.")

    def fit(self, X, y, sample_weight=None, **params):
        """Fit the model on the alpha (× l1_ratio) grid selected by cross-validation.

        All folds, l1_ratios and alphas are solved in one jit-compiled call (warm-started
        ``lax.scan`` over alphas, batched over folds and l1_ratios); the mean squared
        test error of each fold picks ``alpha_``; the model is then refitted on all data
        (for a small Gram problem — on accelerators, or on CPU where coordinate descent
        sweeps every feature — the full data is solved as one more lane of that call
        instead, and its solution at ``alpha_`` is the model).

        Args:
          X: ``(n_samples, n_features)``.
          y: ``(n_samples,)``.
          sample_weight: optional weights (used in fitting and in each fold's weighted
            test error, as in scikit-learn).
          **params: forwarded to the CV splitter's ``split``.

        Returns:
          self.
        """
        self._check_params()
        X, y = _base.validate_xy(self, X, y, multi_output=True, finite_x=False)
        if y.ndim > 1 and y.shape[1] > 1:
            raise ValueError(
                f"For multi-task outputs, use MultiTask{type(self).__name__} (not provided "
                "by jreg); fit one model per target."
            )
        if y.ndim != 1:  # (n, 1): scikit-learn's warning and ravel
            y = column_or_1d(y, warn=True).astype(X.dtype, copy=False)
        n_samples, n_features = X.shape
        sw = _base.check_sample_weight(sample_weight, n_samples, X.dtype)
        l1_ratios = self._l1_ratios()
        default_grid = isinstance(self.alphas, numbers.Integral)
        # X goes to the device once: its finiteness check and the grid's Xᵀy run there
        x_device, xy_max = _base.design_to_device(
            self, X, y if default_grid else None, sw, fit_intercept=self.fit_intercept,
            positive=self.positive)
        if default_grid:
            n_total = n_samples if sw is None else sw.sum()
            alphas = np.array([
                _base.grid_from_max(xy_max, n_total, l1_ratio=r, eps=self.eps,
                                    n_alphas=self.alphas)
                for r in l1_ratios
            ])
        else:
            grid = np.sort(np.asarray(self.alphas, dtype=float).ravel())[::-1]
            alphas = np.tile(grid, (len(l1_ratios), 1))
        cv = check_cv(self.cv)
        folds = list(cv.split(X, y, **params))
        n_train_max = max(len(train) for train, _ in folds)
        use_gram, _ = _resolve_precompute(
            self.precompute if not hasattr(self.precompute, "__array__") else "auto",
            n_train_max, n_features,
        )
        dtype = X.dtype
        settings = resolve_settings(self.solver, None)
        batch = default_batch()
        complement = _trains_complement_tests(folds, n_samples)
        user_gram = hasattr(self.precompute, "__array__")
        n_folds = len(folds)
        workers = 1
        if batch == "map":  # CPU (accelerators run every fold at once in one program)
            workers = _fold_workers(self.n_jobs, n_folds, gram=use_gram,
                                    n_features=n_features, size=n_train_max * n_features,
                                    itemsize=np.dtype(_base.jax_dtype(dtype)).itemsize)
        if workers > 1 and isinstance(x_device, np.ndarray):  # one copy for every thread
            x_device = jax.device_put(x_device)
        full_lane = (workers == 1 and use_gram and complement and not user_gram
                     and n_samples * n_features <= _MAX_FULL_LANE_SIZE
                     and (batch == "vmap" or (isinstance(settings, _cd.CDSettings)
                                              and n_features <= settings.full_sweep_max)))
        # the folds' coefficients start the refit, and a deferred coordinate-descent
        # finish (run_staged), while they are few enough to keep on the device
        keep_coefs = (n_folds + full_lane) * alphas.size * n_features <= _MAX_KEPT_COEFS
        full_lane = full_lane and keep_coefs
        if full_lane:  # the full data as one more fold, which tests on no row
            folds = folds + [(np.arange(n_samples), np.arange(0))]
        padded = _pad_folds(folds, sw, n_samples, _base.jax_dtype(dtype))
        if full_lane:  # its test error is dropped: a unit weight on row 0 keeps it finite
            padded[-1][-1, 0] = 1.0  # (test_mse_w only; its Gram block stays empty)
        partition = use_gram and complement and _test_sets_partition(folds, n_samples,
                                                                     n_features)
        weights = _base.to_jax(np.ones(n_samples, dtype) if sw is None else sw, dtype)
        shared = (x_device, _base.to_jax(y, dtype), weights)
        # device_put, not jnp.asarray: on a GPU each jnp.asarray of a numpy array ran an
        # op of its own (19 ms for these five on an H200 machine); small ones stay numpy
        # on CPU
        per_fold = _base.call_args(tuple(padded))  # (folds, ...) each
        rest = (_base.to_jax(alphas, dtype), _base.to_jax(l1_ratios, dtype),
                np.asarray(self.tol, _base.jax_dtype(dtype)), np.asarray(self.max_iter, np.int32))
        out, full_gram = _solve_folds(
            shared, per_fold, rest, workers=workers, size=n_train_max * n_features,
            fit_intercept=self.fit_intercept, positive=self.positive, gram=use_gram,
            settings=settings, batch=batch, partition=partition, complement=complement,
            keep_coefs=keep_coefs)
        mse, converged, gaps, tols, fold_coefs, n_iters = out
        mse = np.asarray(mse, dtype=np.float64)[:n_folds]  # (folds, ratios, alphas)
        if not np.any(np.isfinite(mse.mean(axis=0))):
            raise ValueError(
                "The cross-validation errors are not finite at any alpha: the data "
                "overflow in the compute dtype. Scale X and y."
            )
        converged = np.asarray(converged)
        if not np.all(converged[:n_folds]):
            fold_gaps = np.asarray(gaps)[:n_folds]
            fold_tols = np.broadcast_to(np.asarray(tols)[:n_folds, :, None], fold_gaps.shape)
            bad = ~converged[:n_folds]
            _base.warn_not_converged(fold_gaps[bad], fold_tols[bad])
        mse_paths = np.moveaxis(mse, 0, -1)  # (ratios, alphas, folds)
        mean_mse = mse_paths.mean(axis=-1)
        best_mse = np.inf
        for r, ratio_mse in enumerate(np.where(np.isfinite(mean_mse), mean_mse, np.inf)):
            i_best = int(np.argmin(ratio_mse))
            if ratio_mse[i_best] < best_mse:
                best, best_mse = (r, i_best), ratio_mse[i_best]
        best_alpha, best_ratio = alphas[best], l1_ratios[best[0]]
        self.alpha_ = float(best_alpha)
        self.l1_ratio_ = float(best_ratio)
        self.mse_path_ = np.squeeze(mse_paths)
        self.alphas_ = alphas[0] if len(l1_ratios) == 1 else alphas
        self.solver_ = solver_name(self.solver)
        # the full data's solution at the chosen alpha: no refit (which, for alpha_ = 0 or
        # not finite, still runs, for its warning or error)
        if full_lane and 0.0 < self.alpha_ < np.inf:
            counts = np.asarray(n_iters)[-1, best[0]]
            # coordinate descent reached it along the path (warm starts): its epochs up
            # to alpha_; FISTA solved each alpha from zero
            n_iter = counts[best[1]] if isinstance(settings, FistaSettings) else np.sum(
                counts[: best[1] + 1])
            coefs = np.asarray(fold_coefs) if batch == "map" else fold_coefs  # CPU: a view
            self._set_solution(X, y, sw, np.asarray(coefs[-1, best[0], best[1]]),
                               float(np.asarray(gaps)[-1, best[0], best[1]]),
                               float(np.asarray(tols)[-1, best[0]]), int(n_iter),
                               bool(converged[-1, best[0], best[1]]))
            return self
        model = ElasticNet(
            alpha=self.alpha_, l1_ratio=self.l1_ratio_, fit_intercept=self.fit_intercept,
            precompute=self.precompute if user_gram else False,
            max_iter=self.max_iter, tol=self.tol, positive=self.positive,
            random_state=self.random_state, selection=self.selection, solver=self.solver,
        )
        # the CV program already built the full data's centred Gram matrix and holds X on
        # the device: the refit reuses both (scikit-learn's refit computes the Gram matrix
        # and validates the data again). It starts from the mean of the folds' solutions at
        # the chosen alpha (scikit-learn's from zero): the same certified solution, in
        # fewer iterations
        start = None
        if fold_coefs is not None and batch == "map":  # CPU: a view, no eager device ops
            start = np.asarray(fold_coefs)[:, best[0], best[1]].mean(axis=0)
        elif fold_coefs is not None:
            start = jnp.mean(fold_coefs[:, best[0], best[1]], 0)
        model._fit(X, y, sw, centred_gram=None if user_gram else full_gram, x_device=x_device,
                   coef_init=start)
        self.coef_ = model.coef_
        self.intercept_ = model.intercept_
        self.dual_gap_ = model.dual_gap_
        self.n_iter_ = model.n_iter_
        return self

    def _set_solution(self, X, y, sw, coef, gap, tol, n_iter, converged):
        """The fitted attributes from the full data's lane of the CV program (what the
        refit would have set: the same certified problem, solved with the path)."""
        if not converged:
            _base.warn_not_converged(np.array([gap]), np.array([tol]))
        coef = coef.astype(X.dtype, copy=False)
        intercept = 0.0
        if self.fit_intercept:
            intercept = float(np.average(y, weights=sw) - coef @ np.average(X, 0, weights=sw))
        _base.check_finite_solution(coef, intercept)
        self.coef_, self.intercept_, self.dual_gap_, self.n_iter_ = coef, intercept, gap, n_iter

    def predict(self, X):
        """Predict with the refitted model: ``X @ coef_ + intercept_``."""
        return _base.linear_predict(self, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = False
        return tags


class LassoCV(_LinearModelCV):
    r"""Lasso with the strength chosen by cross-validation (scikit-learn's ``LassoCV``).

    Minimises ``(1/2n)‖y − Xw − b‖² + α‖w‖₁`` on the default grid (``alpha_max``,
    ``eps=1e-3``, 100 values, as scikit-learn) or on ``alphas``, picks the alpha of least
    mean test MSE over the folds of ``cv`` (5-fold ``KFold`` by default) and refits.

    Args:
      eps: ``alpha_min / alpha_max`` of the grid.
      alphas: number of alphas of the grid, or the alphas.
      cv: scikit-learn ``cv`` (int, splitter or iterable).

    ``fit_intercept``, ``precompute``, ``max_iter``, ``tol``, ``copy_X``, ``positive``,
    ``random_state``, ``selection`` and ``solver`` mean what they mean for `Lasso`
    (``"auto"``, the default, runs ``"cd"`` on CPU and ``"fista"`` on accelerators, where
    each fold's alphas are solved at once); ``verbose`` is accepted for compatibility.

    ``n_jobs``: on CPU, how many folds run at once, each fold's program called by its
    own thread (a count, or joblib's ``-1`` for every core, ``-2`` all but one). The
    default ``None`` uses every core where that was measured faster — not tiny designs,
    solved without a Gram matrix, with one of at most 1024 features, or on 4 cores or
    more — and one program over all folds otherwise (on 2 cores larger Gram matrices'
    products are memory-bound and already use both); without a Gram matrix, up to 5
    folds all start at once even on fewer cores (the OS shares the cores and the folds
    finish together); at most as many threads as 2 GiB of the folds' temporaries allow.
    scikit-learn's ``None`` means one job.
    Accelerators run every fold at once in one program whatever ``n_jobs``.

    Attributes:
      alpha_: the chosen alpha.
      alphas_: the grid.
      mse_path_: mean squared test error, ``(n_alphas, n_folds)``.
      coef_: coefficients refitted at ``alpha_`` (or the full data's lane's: see ``fit``).
      intercept_: intercept of the refit.
      dual_gap_: duality gap of the refit.
      n_iter_: iterations of the refit (where the full data rode in the CV program:
        FISTA's iterations at ``alpha_``, or coordinate descent's epochs along the path
        up to it, which can exceed ``max_iter``, a per-alpha limit).
      solver_: the algorithm that ran, ``"cd"`` or ``"fista"``.
      n_features_in_: number of features seen in ``fit``.

    Examples:
      >>> import numpy as np
      >>> from jreg.linear_model import LassoCV
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((40, 5))
      >>> y = X @ np.array([1.0, 0.0, 0.0, 2.0, 0.0]) + 0.1 * rng.standard_normal(40)
      >>> model = LassoCV(cv=4).fit(X, y)
      >>> print(np.round(model.coef_, 1))
      [ 1.  0. -0.  2.  0.]
    """

    def __init__(
        self,
        *,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        copy_X=True,
        cv=None,
        verbose=False,
        n_jobs=None,
        positive=False,
        random_state=None,
        selection="cyclic",
        solver="auto",
    ):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.copy_X = copy_X
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.solver = solver

    def fit(self, X, y, sample_weight=None, **params):
        super().fit(X, y, sample_weight=sample_weight, **params)
        del self.l1_ratio_
        return self

    fit.__doc__ = _LinearModelCV.fit.__doc__


class ElasticNetCV(_LinearModelCV):
    r"""Elastic net with ``alpha`` and ``l1_ratio`` chosen by CV (scikit-learn's ``ElasticNetCV``).

    Minimises ``(1/2n)‖y − Xw − b‖² + αρ‖w‖₁ + ½α(1−ρ)‖w‖²`` over the grid of
    ``l1_ratio`` values (a float or a list) × alphas (per-ratio default grids), all in one
    compiled call, and refits with the best pair. Other parameters as :class:`LassoCV`.

    Attributes:
      alpha_: the chosen alpha.
      l1_ratio_: the chosen l1_ratio.
      alphas_: the grids, ``(n_l1_ratio, n_alphas)`` (squeezed for one ratio).
      mse_path_: mean squared test error, ``(n_l1_ratio, n_alphas, n_folds)`` (squeezed).
      coef_: coefficients refitted at the chosen pair (as :class:`LassoCV`).
      intercept_: intercept of the refit.
      dual_gap_: duality gap of the refit.
      n_iter_: iterations of the refit (as :class:`LassoCV`).
      solver_: the algorithm that ran, ``"cd"`` or ``"fista"``.

    Examples:
      >>> import numpy as np
      >>> from jreg.linear_model import ElasticNetCV
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((40, 5))
      >>> y = X @ np.array([1.0, 0.0, 0.0, 2.0, 0.0]) + 0.1 * rng.standard_normal(40)
      >>> model = ElasticNetCV(l1_ratio=[0.5, 1.0], cv=4).fit(X, y)
      >>> model.l1_ratio_
      1.0
    """

    def __init__(
        self,
        *,
        l1_ratio=0.5,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        cv=None,
        copy_X=True,
        verbose=0,
        n_jobs=None,
        positive=False,
        random_state=None,
        selection="cyclic",
        solver="auto",
    ):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.solver = solver

    def _l1_ratios(self):
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=float)).ravel()
        for index, ratio in enumerate(ratios):
            if not 0 <= ratio <= 1:
                raise ValueError(f"l1_ratio[{index}] == {ratio}, must lie in [0, 1].")
        return ratios

