"""Certified Lasso / ElasticNet paths and 5-fold LassoCV: jreg against its peers.

For each problem (tall 10000x2000, mid 2000x400, wide 200x5000, diabetes 442x10;
``--quick`` uses smaller tall/mid/wide sizes) and each penalty (Lasso; ElasticNet with
l1_ratio=0.5), every solver computes the 100-alpha path of scikit-learn's default grid
(eps=1e-3) on centred data, and the script verifies **itself**, in float64 numpy,
scikit-learn's duality gap (dual point = rescaled residual) of every returned
coefficient vector:

    relative gap = gap / (||y||^2 / 2n) <= 1e-6  at every alpha   (target)

A peer whose own stopping rule is not that gap (celer: extrapolated dual point; skglm:
KKT violation; jaxopt: fixed-point residual) starts at the equivalent tolerance and is
re-run with 10x tighter tolerances until its path passes the verification (at most
``--max-tighten`` times); its time is the one at the first tolerance that passes, or the
table says it never certified. Times are medians of ``--repeats`` runs; jreg's and
jaxopt's compile times are reported separately (first call minus a warm call). Ratios
are jreg / peer (below 1: jreg faster).

Then 5-fold LassoCV (same KFold folds, same tol; both may run folds in parallel: jreg's
default n_jobs, scikit-learn's n_jobs=-1) of jreg against scikit-learn's LassoCV,
checking that both pick the same alpha_, and the cost of jreg's CV relative to one jreg
path (target <= 2), for each jreg solver named in ``--peers``.

jreg runs as ``jreg`` (the default ``solver="auto"``: coordinate descent on CPU, FISTA
finished by coordinate descent on accelerators), ``jreg-cd`` (``solver="cd"``) and
``jreg-fista`` (``solver="fista"``: every alpha at once by accelerated proximal
gradient); the compile column and the ratios are those of the first of them named in
``--peers`` (``jreg`` in the default list).

Usage::

    python benchmarks/bench_linear_model.py --quick
    python benchmarks/bench_linear_model.py                      # full sizes, CPU
    python benchmarks/bench_linear_model.py --device gpu --peers jreg,jaxopt \\
        --dtype float32 --max-seconds 500                        # GPU column

``--max-seconds`` is a global budget: once spent, remaining measurements are skipped
(and listed as such); ``--peer-seconds`` caps one peer on one problem.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import os
import platform
import sys
import time
import warnings

ALL_PEERS = ("jreg", "jreg-cd", "jreg-fista", "sklearn", "celer", "skglm", "jaxopt")
# jreg's solvers (not peers in the ratios)
OURS = {"jreg": "auto", "jreg-cd": "cd", "jreg-fista": "fista"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller tall/wide problems")
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--peers", default=",".join(p for p in ALL_PEERS if p != "jreg-cd"),
                        help=f"comma-separated, from {', '.join(ALL_PEERS)}")
    parser.add_argument("--problems", default="tall,mid,wide,diabetes")
    parser.add_argument("--penalties", default="lasso,enet")
    parser.add_argument("--no-cv", action="store_true", help="skip the LassoCV section")
    parser.add_argument("--cv-sklearn", action="store_true",
                        help="time scikit-learn's LassoCV even when sklearn is not in --peers")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", type=float, default=None,
                        help="relative gap target (default 1e-6; 1e-4 for float32)")
    parser.add_argument("--max-tighten", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    parser.add_argument("--peer-seconds", type=float, default=240.0)
    parser.add_argument("--output", default=None, help="also write the markdown here")
    return parser.parse_args(argv)


ARGS = parse_args()
if ARGS.device == "cpu":
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from _designs import problems  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

import jreg  # noqa: E402
import jreg.linear_model as jl  # noqa: E402
from jreg.solvers._api import auto_solver  # noqa: E402

warnings.filterwarnings("ignore", category=ConvergenceWarning)
warnings.filterwarnings("ignore", category=FutureWarning)
START = time.perf_counter()


def budget_left():
    return ARGS.max_seconds - (time.perf_counter() - START)


# --------------------------------------------------------------------------- data
def default_alphas(x, y, l1_ratio, n_alphas=100, eps=1e-3):
    alpha_max = np.max(np.abs(x.T @ y)) / (len(y) * l1_ratio)
    return np.geomspace(alpha_max, alpha_max * eps, n_alphas)


def relative_gaps(x, y, coefs, alphas, l1_ratio):
    """scikit-learn's duality gap of every column of coefs, / (||y||^2 / 2n), float64."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    coefs = np.asarray(coefs, np.float64)  # (A, p)
    n = len(y)
    r = y[None, :] - coefs @ x.T
    a = alphas * l1_ratio * n
    b = alphas * (1 - l1_ratio) * n
    xta = r @ x - b[:, None] * coefs
    dual_norm = np.max(np.abs(xta), axis=1)
    scale = np.where(dual_norm > a, a / np.where(dual_norm > 0, dual_norm, 1), 1.0)
    quad = np.sum(r * r, axis=1) + b * np.sum(coefs * coefs, axis=1)
    primal = 0.5 * quad + a * np.sum(np.abs(coefs), axis=1)
    dual = -0.5 * scale**2 * quad + scale * (r @ y)
    return (primal - dual) / (y @ y / 2.0)


# --------------------------------------------------------------------------- solvers
def run_jreg(x, y, alphas, l1_ratio, tol, solver="auto"):
    _, coefs, _ = jl.enet_path(x, y, l1_ratio=l1_ratio, alphas=alphas, tol=tol,
                               max_iter=100000, check_input=False, solver=solver)
    return coefs.T


def run_sklearn(x, y, alphas, l1_ratio, tol):
    from sklearn.linear_model import enet_path

    _, coefs, _ = enet_path(x, y, l1_ratio=l1_ratio, alphas=alphas, tol=tol, max_iter=100000)
    return coefs.T


def run_celer(x, y, alphas, l1_ratio, tol):
    from celer import celer_path

    # celer's tol is an absolute gap in the (1/2n) units of the objective
    _, coefs, _ = celer_path(x, y, "lasso", alphas=alphas, l1_ratio=l1_ratio,
                             tol=tol * (y @ y) / len(y), max_epochs=100000, max_iter=100)
    return coefs.T


def run_skglm(x, y, alphas, l1_ratio, tol):
    from skglm.datafits import Quadratic
    from skglm.penalties import L1, L1_plus_L2
    from skglm.solvers import AndersonCD

    penalty = L1(alphas[0]) if l1_ratio == 1.0 else L1_plus_L2(alphas[0], l1_ratio)
    solver = AndersonCD(tol=tol * np.sqrt((y @ y) / len(y)), fit_intercept=False,
                        max_iter=100, max_epochs=100000)
    _, coefs, _ = solver.path(x, y, Quadratic(), penalty, alphas=alphas)
    return coefs.T


_JAXOPT = {}


def run_jaxopt(x, y, alphas, l1_ratio, tol):
    from jaxopt import ProximalGradient
    from jaxopt.prox import prox_elastic_net, prox_lasso

    xj, yj = jnp.asarray(x), jnp.asarray(y)
    key = (x.shape, str(x.dtype), l1_ratio, tol)
    if key not in _JAXOPT:
        def fun(w, xs, ys):
            r = ys - xs @ w
            return 0.5 * jnp.vdot(r, r) / ys.shape[0]

        prox = prox_lasso if l1_ratio == 1.0 else prox_elastic_net
        solver = ProximalGradient(fun=fun, prox=prox, tol=tol, maxiter=20000)
        _JAXOPT[key] = jax.jit(lambda w0, hyper, xs, ys: solver.run(
            w0, hyperparams_prox=hyper, xs=xs, ys=ys).params)
    run = _JAXOPT[key]
    w = jnp.zeros(x.shape[1], xj.dtype)
    coefs = []
    start = time.perf_counter()
    for alpha in alphas:
        if time.perf_counter() - start > ARGS.peer_seconds:
            raise TimeoutError(f"path not finished in {ARGS.peer_seconds:.0f}s")
        hyper = alpha if l1_ratio == 1.0 else (alpha * l1_ratio, alpha * (1 - l1_ratio))
        # in the data's dtype: a float64 strength would make jaxopt's float32 loop
        # carry float64 (x64 is on for the float64 gap checks)
        hyper = jax.tree.map(lambda h: jnp.asarray(h, xj.dtype), hyper)
        w = run(w, hyper, xj, yj)
        coefs.append(w)
    return np.asarray(jnp.stack(coefs))


RUNNERS = {name: functools.partial(run_jreg, solver=solver) for name, solver in OURS.items()}
RUNNERS.update(sklearn=run_sklearn, celer=run_celer, skglm=run_skglm, jaxopt=run_jaxopt)
COMPILED = (*OURS, "jaxopt")


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    jax.block_until_ready(out) if isinstance(out, jax.Array) else None
    return out, time.perf_counter() - t0


def measure(peer, x, y, alphas, l1_ratio, target):
    """(seconds, compile_seconds, tol, worst relative gap, note) for one peer."""
    fn = RUNNERS[peer]
    tol = target / 2.0  # sklearn's tol: gap <= tol ||y||^2/n  <=>  relative gap <= 2 tol
    compile_s = None
    spent = 0.0
    for attempt in range(ARGS.max_tighten + 1):
        if budget_left() <= 0:
            return None, None, tol, None, "skipped (global budget)"
        coefs, first = timed(fn, x, y, alphas, l1_ratio, tol)
        spent += first
        worst = float(np.max(relative_gaps(x, y, coefs, alphas, l1_ratio)))
        if worst <= target:
            break
        # a tighter tolerance costs at least as much as this attempt: stop if it won't fit
        if spent + first > ARGS.peer_seconds or attempt == ARGS.max_tighten:
            return first, None, tol, worst, "not certified"
        tol /= 10.0
    runs = []
    for _ in range(ARGS.repeats):
        if budget_left() <= 0 or (runs and sum(runs) > ARGS.peer_seconds):
            break
        runs.append(timed(fn, x, y, alphas, l1_ratio, tol)[1])
    seconds = float(np.median(runs)) if runs else first
    if peer in COMPILED:
        compile_s = max(first - seconds, 0.0) if attempt == 0 else None
    return seconds, compile_s, tol, worst, ""


def run_cv(x, y, tol, solver, with_sklearn):
    from sklearn.linear_model import LassoCV as SkLassoCV

    folds = KFold(5)
    out = {}
    makers = {"jreg": lambda: jl.LassoCV(cv=folds, tol=tol, max_iter=100000, solver=solver)}
    if with_sklearn:
        # its folds in parallel too (joblib threads; its default n_jobs=None is one job),
        # as jreg's default runs them where that is faster on CPU
        makers["sklearn"] = lambda: SkLassoCV(cv=folds, tol=tol, max_iter=100000, n_jobs=-1)
    for name, make in makers.items():
        if budget_left() <= 0:
            out[name] = None
            continue
        runs = []
        model = None
        for _ in range(ARGS.repeats + (1 if name == "jreg" else 0)):
            model, t = timed(lambda m=make: m().fit(x, y))
            runs.append(t)
            if sum(runs) > ARGS.peer_seconds:
                break
        first = runs[0]
        steady = runs[1:] if name == "jreg" and len(runs) > 1 else runs
        out[name] = (float(np.median(steady)), first - float(np.median(steady)), model.alpha_)
    return out


# --------------------------------------------------------------------------- report
def versions():
    import importlib.metadata

    parts = [f"jreg {jreg.__version__}", f"jax {jax.__version__}",
             f"scikit-learn {sklearn.__version__}", f"numpy {np.__version__}"]
    for mod in ("celer", "skglm", "jaxopt"):
        try:
            parts.append(f"{mod} {importlib.metadata.version(mod)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{mod} missing")
    return ", ".join(parts)


def fmt(value, digits=3):
    if value is None:
        return "—"
    return f"{value:.{digits}g}"



def load_average():
    """The 1/5/15-minute load averages (the machines are shared: a busy one is slower)."""
    return "/".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"

def main():
    peers = [p for p in ARGS.peers.split(",") if p]
    target = ARGS.target or (1e-4 if ARGS.dtype == "float32" else 1e-6)
    dtype = np.float32 if ARGS.dtype == "float32" else np.float64
    data = problems(ARGS.quick)
    device = jax.devices()[0]
    lines = [
        f"# jreg linear-model benchmark ({'quick' if ARGS.quick else 'full'})",
        "",
        f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"- machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; jax device: {device.platform} ({device.device_kind}); "
        f"load average at the start {load_average()}",
        f"- versions: {versions()}",
        f"- XLA_FLAGS (as set by `import jreg`): {os.environ.get('XLA_FLAGS', '')!r}",
        f"- jreg's default solver='auto' runs {auto_solver()!r} on this device",
        f"- dtype of jreg/jaxopt inputs: {ARGS.dtype}; certified target: relative duality "
        f"gap <= {target:g} at every alpha (verified in float64 numpy)",
        f"- repeats: {ARGS.repeats} (median); budget {ARGS.max_seconds:.0f}s",
        "",
        "| problem | penalty | " + " | ".join(f"{p} (s)" for p in peers)
        + " | jreg compile (s) | jreg / sklearn | jreg / fastest peer | notes |",
        "|" + "---|" * (len(peers) + 6),
    ]
    print("\n".join(lines), flush=True)
    for pname in ARGS.problems.split(","):
        x, y = data[pname]
        x = x - x.mean(0)
        y = y - y.mean()
        for pen in ARGS.penalties.split(","):
            l1_ratio = 1.0 if pen == "lasso" else 0.5
            alphas = default_alphas(x, y, l1_ratio)
            results, notes = {}, []
            for peer in peers:
                xs, ys = (x.astype(dtype), y.astype(dtype)) if peer in COMPILED else (x, y)
                try:
                    res = measure(peer, xs, ys, alphas, l1_ratio, target)
                except Exception as exc:  # a peer failing must not stop the benchmark
                    res = (None, None, None, None, f"error: {type(exc).__name__}: {exc}"[:80])
                results[peer] = res
                seconds, _, tol, worst, note = res
                if note:
                    notes.append(f"{peer}: {note}" + (f" (worst {worst:.1e})" if worst else ""))
                elif peer != "jreg" and tol is not None and tol < target / 2.0:
                    notes.append(f"{peer} needed tol {tol:.0e}")
            ok = {p: r[0] for p, r in results.items()
                  if r[0] is not None and not r[4] and p not in OURS}
            # compile time and ratios: the first jreg solver named in --peers
            lead = next((p for p in peers if p in OURS), "jreg")
            mine = results.get(lead, (None,) * 5)
            ratio_sk = (mine[0] / ok["sklearn"]) if mine[0] and "sklearn" in ok else None
            fastest = min(ok.values()) if ok else None
            ratio_best = (mine[0] / fastest) if mine[0] and fastest else None
            row = (f"| {pname} {x.shape[0]}x{x.shape[1]} | {pen} | "
                   + " | ".join(fmt(results[p][0]) + ("" if not results[p][4] else " ✗")
                                for p in peers)
                   + f" | {fmt(mine[1])} | {fmt(ratio_sk, 2)} | {fmt(ratio_best, 2)} | "
                   + "; ".join(notes) + " |")
            lines.append(row)
            print(row, flush=True)
    ours = [p for p in peers if p in OURS]
    if not ARGS.no_cv and ours:
        lines += ["", "5-fold LassoCV (100 alphas, KFold(5), tol = target/2; jreg's default "
                  "n_jobs, scikit-learn's n_jobs=-1; 'jreg path': median of max(3, repeats) warm "
                  "lasso_path calls on the same data, timed right after):", "",
                  "| problem | jreg solver | jreg (s) | jreg compile (s) | sklearn (s) "
                  "| jreg / sklearn | same alpha_ | jreg path (s) | jreg CV / jreg path |",
                  "|---|---|---|---|---|---|---|---|---|"]
        print("\n".join(lines[-5:]), flush=True)
        for pname in ARGS.problems.split(","):
            x, y = data[pname]
            xs, ys = x.astype(dtype), y.astype(dtype)
            ref = None
            for variant in ours:
                solver = OURS[variant]
                with_sklearn = ref is None and ("sklearn" in peers or ARGS.cv_sklearn)
                out = run_cv(xs, ys, target / 2.0, solver, with_sklearn=with_sklearn)
                ref = out.get("sklearn") if ref is None else ref
                path_time = None
                if budget_left() > 0:
                    xc, yc = xs - xs.mean(0), ys - ys.mean()
                    alphas = default_alphas(xc, yc, 1.0)
                    run_jreg(xc, yc, alphas, 1.0, target / 2.0, solver)
                    path_time = float(np.median([
                        timed(run_jreg, xc, yc, alphas, 1.0, target / 2.0, solver)[1]
                        for _ in range(max(3, ARGS.repeats))]))
                mine = out.get("jreg")
                same = (mine[2] == ref[2]) if mine and ref else None
                label = f"auto ({auto_solver()})" if solver == "auto" else solver
                row = (f"| {pname} {x.shape[0]}x{x.shape[1]} | {label} | "
                       f"{fmt(mine and mine[0])} | "
                       f"{fmt(mine and mine[1])} | {fmt(ref and ref[0])} | "
                       f"{fmt(mine[0] / ref[0], 2) if mine and ref else '—'} | {same} | "
                       f"{fmt(path_time)} | "
                       f"{fmt(mine[0] / path_time, 2) if mine and path_time else '—'} |")
                lines.append(row)
                print(row, flush=True)
    lines += ["", f"total wall time: {time.perf_counter() - START:.0f}s; load average at the "
                  f"end {load_average()}"]
    print(lines[-1])
    if ARGS.output:
        with open(ARGS.output, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
