"""A lower bound on 5-fold ``LassoCV`` time / one path, from the folds' own solver time.

Issue 3 asks for a 5-fold CV over 100 alphas that costs at most twice one path. A
fold's problem is a full-size path on 80 % of the rows. This script measures, on the
benchmark designs,

* one warm ``lasso_path`` (the denominator, as in ``profile_cv.py``),
* its coordinate descent alone (the compiled path over a prebuilt operator, as
  ``ab_cd_settings.py --cd-only``; Gram variant where ``n > p``, as ``precompute="auto"``),
* the Gram matrix alone (``n > p``; the CV computes one Gram matrix's worth of products
  for its folds, split into blocks),
* each fold's coordinate descent alone on the same alphas (``KFold(5)``, its training
  rows centred, operator prebuilt), and folds 0 and 1 run at once by two threads (their
  wall time over the longer one's alone: 1.0 where two cores run two folds at full
  speed),
* the refit's coordinate descent: the full data's problem at the ``alpha_`` a warm
  ``LassoCV(cv=KFold(5)).fit`` picks, from the mean of the folds' solutions there (as
  ``LassoCV`` starts it), on the prebuilt operator; and that fit's own time,

and prints the floor ``(Gram + max(Σ fold CD / c, longest fold CD) + refit CD) / path``
with the folds on ``c`` cores: what a 5-fold CV would cost if it did nothing but the
Gram matrix (timed as XLA runs it, on every core), the folds' coordinate descent and
the refit's, with the folds shared perfectly between the cores, and no set-up, test
predictions, dispatch or host work (each part is still one compiled call of its own,
with its dispatch). A fold's coordinate descent is one sequential chain (alpha after
alpha, epoch after epoch): it runs on one core at a time, so no schedule beats the
longest fold, or the total over the cores (time-sliced threads, ``LassoCV``'s default
without a Gram matrix, can reach it; whole folds per core cannot beat 3 of 5 folds on
2 cores). The floor also assumes two folds side by side run at full speed (the pair
column says whether they do). Next to it, the measured ``LassoCV`` fit / path. Medians
of ``--repeats`` warm calls, each blocked on.

Usage::

    python benchmarks/cv_floor.py                          # tall, mid, wide, diabetes
    python benchmarks/cv_floor.py --problems mid --repeats 9
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import threading
import time
import warnings


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default="tall,mid,wide,diabetes")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tol", type=float, default=5e-7)
    return parser.parse_args(argv)


ARGS = parse_args()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

import jreg  # noqa: E402, F401  (sets XLA_FLAGS before JAX starts)

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402
from _designs import problems  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import _coordinate_descent as sk_cd  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

import jreg.linear_model as jl  # noqa: E402
from jreg.solvers import CDSettings, _api  # noqa: E402

N_FOLDS = 5


def shared_time(times, cores):
    """The least time in which ``cores`` cores run sequential jobs of these ``times``
    when a job may move between cores but runs on one at a time."""
    return max(sum(times) / cores, max(times))


def median_time(call, repeats):
    """Median seconds of ``repeats`` warm calls (after one untimed call)."""
    jax.block_until_ready(call())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(call())
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def pair_time(calls, repeats):
    """Median wall seconds of two calls started at once from two threads."""
    times = []
    for _ in range(repeats):
        threads = [threading.Thread(target=lambda c=c: jax.block_until_ready(c()))
                   for c in calls]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def cd_only(x, y, alphas, gram, w0=None):
    """A call running the compiled path over a prebuilt operator from ``w0`` (default
    zero), its epochs and its coefficients."""
    n, p = x.shape
    w0 = np.zeros(p) if w0 is None else w0
    prep = jax.jit(lambda x, y: _api.prepare(x, y, np.ones(n), fit_intercept=True,
                                             gram=gram))(x, y)
    run = jax.jit(lambda prep, alphas, w0: _api.path_from_prepared(
        prep, alphas, 1.0, w0, ARGS.tol, 100000, positive=False, settings=CDSettings()))
    res = jax.block_until_ready(run(prep, alphas, w0))
    if not bool(np.all(res.converged)):
        raise SystemExit("a coordinate-descent path did not reach the gap")
    return (lambda: run(prep, alphas, w0)), int(np.sum(res.n_iter)), np.asarray(res.coef)


def measure(x, y, repeats):
    n, p = x.shape
    gram = n > p
    xc, yc = x - x.mean(0), y - y.mean()
    alphas = sk_cd._alpha_grid(xc, yc, n_alphas=100, eps=1e-3)

    def path():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return jl.lasso_path(xc, yc, alphas=alphas, tol=ARGS.tol, max_iter=100000,
                                 check_input=False)

    out = {"path": median_time(path, repeats)}
    if gram:
        gram_fn = jax.jit(lambda x: _api.symmetric_gram(x.T))
        out["gram"] = median_time(lambda: gram_fn(xc), repeats)
    else:
        out["gram"] = 0.0
    call, out["epochs"], _ = cd_only(x, y, alphas, gram)
    out["cd"] = median_time(call, repeats)
    folds, fold_epochs, calls, fold_coefs = [], [], [], []
    for train, _ in KFold(N_FOLDS).split(x):
        call, epochs, coefs = cd_only(x[train], y[train], alphas, gram)
        folds.append(median_time(call, repeats))
        fold_epochs.append(epochs)
        calls.append(call)
        fold_coefs.append(coefs)
    out["folds"], out["fold epochs"] = folds, fold_epochs
    out["pair"] = pair_time(calls[:2], repeats) / max(folds[:2])

    model = jl.LassoCV(cv=KFold(N_FOLDS), tol=ARGS.tol, max_iter=100000)
    out["cv"] = median_time(lambda: model.fit(x, y).coef_, repeats)
    best = int(np.argmin(np.abs(alphas - model.alpha_)))
    start = np.mean([c[best] for c in fold_coefs], axis=0)
    call, _, _ = cd_only(x, y, alphas[best:best + 1], gram, w0=start)
    out["refit"] = median_time(call, repeats)
    return out


def main():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    load = "/".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}; machine: "
          f"{platform.platform()}, {cores} cores; jax {jax.__version__} "
          f"({jax.default_backend()}); load average at the start {load}")
    print(f"- float64, tol={ARGS.tol:g}, 100 alphas, KFold({N_FOLDS}); medians of "
          f"{ARGS.repeats} warm calls\n")
    floors = sorted({1, 2, cores})
    head = " | ".join(f"floor, folds on {c} core{'s' if c > 1 else ''}" for c in floors)
    print("| problem | path (s) | its CD (s) | Gram (s) | fold CD (s, each) | fold / path "
          f"epochs | two folds at once / alone | refit CD (s) | {head} | LassoCV fit / path |")
    print("|---|---|---|---|---|---|---|---|" + "---|" * len(floors) + "---|")
    data = problems(quick=False)
    for name in ARGS.problems.split(","):
        x, y = (a.astype(np.float64) for a in data[name])
        m = measure(x, y, ARGS.repeats)
        cells = " | ".join(
            f"{(m['gram'] + shared_time(m['folds'], c) + m['refit']) / m['path']:.2f}"
            for c in floors)
        each = ", ".join(f"{t:.3g}" for t in m["folds"])
        epochs = f"{np.mean(m['fold epochs']):.0f} / {m['epochs']}"
        print(f"| {name} {x.shape[0]}x{x.shape[1]} | {m['path']:.3g} | {m['cd']:.3g} | "
              f"{m['gram']:.3g} | {each} | {epochs} | {m['pair']:.2f} | {m['refit']:.3g} | "
              f"{cells} | "
              f"{m['cv'] / m['path']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
