"""Where the time of a 5-fold ``LassoCV.fit`` goes, against one path of the same solver.

Issue 3 asks for a 5-fold CV over 100 alphas that costs at most twice one path. This
script splits a warm ``LassoCV(cv=KFold(5)).fit`` into

* the compiled CV program (all folds x alphas in one call; on CPU, except tiny designs
  and large Gram matrices, one call per fold, run by threads: from the first call's
  start to the last one's end),
* the refit at ``alpha_`` (``ElasticNet._fit``, a second compiled program),
* everything else on the host (validation, the alpha grid, the folds, transfers),

by timing the two compiled calls from inside the fit, and prints them next to one warm
``lasso_path`` on the same alphas (numpy input, like the fit). Medians of ``--repeats``
warm runs; every call is blocked on before its clock stops.

Usage::

    python benchmarks/profile_cv.py                       # CPU, float64, the three designs
    python benchmarks/profile_cv.py --device gpu --dtype float32 --problems tall,wide
"""

from __future__ import annotations

import argparse
import datetime
import os
import threading
import time
import warnings


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--problems", default="tall,wide,diabetes")
    parser.add_argument("--solver", default="auto", choices=["auto", "cd", "fista"])
    parser.add_argument("--quick", action="store_true", help="smaller tall/wide problems")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="LassoCV's n_jobs (default None: threads per fold where faster)")
    parser.add_argument("--max-iter", type=int, default=100000,
                        help="max_iter of the fits and paths (on accelerators FISTA may "
                             "run 10x as many iterations before the coordinate-descent "
                             "finish)")
    parser.add_argument("--target", type=float, default=None,
                        help="relative gap target (default 1e-6; 1e-4 for float32)")
    parser.add_argument("--no-narrow", action="store_true",
                        help="FISTA without narrowing to its uncertified columns (one loop "
                             "over every column, as before 2026-11-27): an A/B of that step")
    parser.add_argument("--fixed-step", action="store_true",
                        help="FISTA with the fixed step 1/(margin·λ_max + b) (no adaptive "
                             "steps, as before 2026-11-27 afternoon): an A/B of that step")
    parser.add_argument("--no-full-lane", action="store_true",
                        help="refit at alpha_ also where the full data would ride as one "
                             "more lane of the CV program (accelerators; on CPU where "
                             "coordinate descent sweeps every feature): an A/B of that")
    return parser.parse_args(argv)


ARGS = parse_args()
if ARGS.device == "cpu":
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402
from _designs import problems  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

import jreg.linear_model as jl  # noqa: E402
from jreg.linear_model import _coordinate_descent, _cv  # noqa: E402
from jreg.solvers import _pg  # noqa: E402
from jreg.solvers._api import solver_name  # noqa: E402

if ARGS.no_narrow:  # before anything is traced
    _pg._widths = lambda n_cols: [n_cols]
if ARGS.no_full_lane:  # every fit refits
    _cv._MAX_FULL_LANE_SIZE = 0
if ARGS.fixed_step:  # the default settings' adaptive step off, before anything is traced
    _pg.FistaSettings.__new__.__defaults__ = (
        _pg.FistaSettings.__new__.__defaults__[:-1] + (None,))


class Clock:
    """Wall time of the calls of the wrapped functions (blocked on), per name: from the
    first call's start to the last call's end, so that calls overlapping in threads
    (``LassoCV``'s per-fold programs on CPU) count once."""

    def __init__(self):
        self.spans = {}
        self.lock = threading.Lock()

    @property
    def spent(self):
        return {name: end - start for name, (start, end) in self.spans.items()}

    def clear(self):
        self.spans.clear()

    def wrap(self, name, fn):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            out = jax.block_until_ready(fn(*args, **kwargs))
            end = time.perf_counter()
            with self.lock:
                first, last = self.spans.get(name, (start, end))
                self.spans[name] = (min(first, start), max(last, end))
            return out

        return timed


def profile(x, y, tol):
    """Seconds of the first (compiling) fit and path, medians of (fit, CV program, refit,
    host rest, path) over warm repeats, and what the solver reported: the number of
    ConvergenceWarnings of a warm fit, the path's largest iteration count and whether
    it certified every alpha."""
    clock = Clock()
    pick_jit = _cv.pick_jit
    fit = _coordinate_descent.ElasticNet._fit
    _cv.pick_jit = lambda *a, **k: clock.wrap("cv", pick_jit(*a, **k))
    _coordinate_descent.ElasticNet._fit = clock.wrap("refit", fit)
    try:
        def one_fit():
            clock.clear()
            start = time.perf_counter()
            model = jl.LassoCV(cv=KFold(5), tol=tol, max_iter=ARGS.max_iter,
                               solver=ARGS.solver, n_jobs=ARGS.n_jobs)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                model.fit(x, y)
            total = time.perf_counter() - start
            n_warned = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
            # (no refit where the full data was a lane of the CV program)
            spent = clock.spent
            return total, spent["cv"], spent.get("refit", 0.0), model.alphas_, n_warned

        first_fit = one_fit()[0]  # compiles
        runs = [one_fit() for _ in range(ARGS.repeats)]
    finally:
        _cv.pick_jit = pick_jit
        _coordinate_descent.ElasticNet._fit = fit
    alphas = runs[0][3]
    xc, yc = x - x.mean(0), y - y.mean()

    def path():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            out = jax.block_until_ready(jl.lasso_path(
                xc, yc, alphas=alphas, tol=tol, max_iter=ARGS.max_iter, check_input=False,
                solver=ARGS.solver, return_n_iter=True))
        return time.perf_counter() - start, out

    first_path, (_, _, gaps, n_iter) = path()  # compiles
    path_s = float(np.median([path()[0] for _ in range(ARGS.repeats)]))
    total, cv, refit = (float(np.median([r[i] for r in runs])) for i in range(3))
    # lasso_path's gaps are scikit-learn's (divided by n); tol is relative to ‖y‖²/n
    certified = bool(np.all(np.asarray(gaps) <= tol * float(yc @ yc) / len(yc)))
    return {"first fit": first_fit, "fit": total, "cv": cv, "refit": refit,
            "rest": total - cv - refit, "first path": first_path, "path": path_s,
            "warned": runs[-1][4], "path iters": int(np.max(n_iter)),
            "path certified": certified}


def main():
    target = ARGS.target or (1e-4 if ARGS.dtype == "float32" else 1e-6)
    dtype = np.float32 if ARGS.dtype == "float32" else np.float64
    data = problems(ARGS.quick)
    device = jax.devices()[0]
    load = "/".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}; jax "
          f"{jax.__version__}; device: {device.platform} ({device.device_kind}); load "
          f"average at the start {load}")
    print(f"- XLA_FLAGS (as set by `import jreg`): {os.environ.get('XLA_FLAGS', '')!r}")
    print(f"- solver={ARGS.solver!r} runs {solver_name(ARGS.solver)!r}; {ARGS.dtype}; "
          f"tol={target / 2:g}; n_jobs={ARGS.n_jobs}; medians of {ARGS.repeats} warm runs"
          f"{'; FISTA without narrowing (--no-narrow)' if ARGS.no_narrow else ''}"
          f"{'; FISTA with the fixed step (--fixed-step)' if ARGS.fixed_step else ''}"
          f"{'; always a refit (--no-full-lane)' if ARGS.no_full_lane else ''}\n")
    print("| problem | fit (s) | CV program (s) | refit (s) | host rest (s) | one path (s) "
          "| fit / path | CV program / path | first fit (s) | first path (s) | notes |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ARGS.problems.split(","):
        x, y = (a.astype(dtype) for a in data[name])
        r = profile(x, y, target / 2)
        notes = [f"path: at most {r['path iters']} iterations per alpha"]
        if not r["path certified"]:
            notes.append("path not certified at every alpha")
        if r["warned"]:
            notes.append(f"fit: {r['warned']} ConvergenceWarning(s)")
        print(f"| {name} {x.shape[0]}x{x.shape[1]} | {r['fit']:.3g} | {r['cv']:.3g} | "
              f"{r['refit']:.3g} | {r['rest']:.3g} | {r['path']:.3g} | "
              f"{r['fit'] / r['path']:.2g} | {r['cv'] / r['path']:.2g} | {r['first fit']:.3g} | "
              f"{r['first path']:.3g} | {'; '.join(notes)} |", flush=True)


if __name__ == "__main__":
    main()
