"""A/B of one coordinate-descent setting: paths with ``CDSettings(NAME=V)`` for each value.

Times 100-alpha Lasso and ElasticNet paths (``solver="cd"``, float64, tol=5e-7) with each
value of one :class:`jreg.solvers.CDSettings` field in the same process, the values
alternating call by call; the table gives medians of ``--repeats`` warm calls, the
ratio of each value's time to the first value's, and the epochs of each path (equal
epochs: the setting changed the cost per epoch, not the iterates' count). The Gram
variant runs where ``n > p`` (the default ``precompute="auto"``). With ``--cd-only`` the
Gram problems' operator (``Q``, ``Xᵀy``) is built once and only the compiled path over it
is timed: coordinate descent without the Gram matrix's products and the host's checks.

Examples of what was measured with it:

* ``block``: 4 or 8 coordinates per block step (the default is 4 for Gram problems on
  CPU, 8 otherwise);
* ``float32_gram``: the epochs of float64 Gram problems read a float32 copy of ``Q``
  (the default on CPU from 256 features).

Usage::

    python benchmarks/ab_cd_settings.py                              # block=4,8
    python benchmarks/ab_cd_settings.py --setting float32_gram=False,True --problems tall,mid
    python benchmarks/ab_cd_settings.py --setting block=4,8,16 --problems mid,wide --repeats 15
"""

from __future__ import annotations

import argparse
import ast
import datetime
import os
import platform
import time

DESIGNS = ("diabetes", "cancer", "digits", "1000x50", "2000x200", "mid", "5000x1000", "tall",
           "wide")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setting", default="block=4,8",
                        help="FIELD=V1,V2,...: a CDSettings field and its values (Python "
                             "literals: 4, None, True)")
    parser.add_argument("--problems", default=",".join(DESIGNS))
    parser.add_argument("--repeats", type=int, default=11, help="(tall and wide: at most 5)")
    parser.add_argument("--cd-only", action="store_true",
                        help="time only the path's coordinate descent on a prebuilt Gram "
                             "operator (designs with n > p)")
    return parser.parse_args(argv)


def parse_setting(text):
    """``"block=4,8"`` -> ``("block", [4, 8])``."""
    field, sep, values = text.partition("=")
    if not sep or not values:
        raise SystemExit(f"--setting must look like FIELD=V1,V2, got {text!r}")
    return field.strip(), [ast.literal_eval(v.strip()) for v in values.split(",")]


ARGS = parse_args()
FIELD, VALUES = parse_setting(ARGS.setting)
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

import jreg  # noqa: E402, F401  (sets XLA_FLAGS before JAX starts)

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402
from _designs import correlated_design, problems  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits  # noqa: E402
from sklearn.linear_model import _coordinate_descent as sk_cd  # noqa: E402

from jreg.solvers import CDSettings, _api, enet_path_solve  # noqa: E402

if FIELD not in CDSettings._fields:
    raise SystemExit(f"unknown CDSettings field {FIELD!r}; fields: {CDSettings._fields}")


def design(name, full):
    if name in full:
        return full[name]
    if name == "cancer":
        return load_breast_cancer(return_X_y=True)
    if name == "digits":
        return load_digits(return_X_y=True)
    n, p = (int(v) for v in name.split("x"))
    return correlated_design(n, p, seed=0)


def path_call(x, y, alphas, l1_ratio, settings):
    """A function running one certified path (the whole solver, or with ``--cd-only`` the
    coordinate descent on a Gram operator built here once)."""
    if not ARGS.cd_only:
        return lambda: enet_path_solve(x, y, alphas, l1_ratio=l1_ratio, tol=5e-7,
                                       max_iter=100000, solver="cd", settings=settings)
    n, p = x.shape
    sw = np.ones(n)
    prep = jax.jit(lambda x, y: _api.prepare(x, y, sw, fit_intercept=False, gram=True))(x, y)
    run = jax.jit(lambda prep, alphas: _api.path_from_prepared(
        prep, alphas, l1_ratio, np.zeros(p), 5e-7, 100000, positive=False, settings=settings))
    return lambda: run(prep, alphas)


def main():
    full = problems(quick=False)
    load = "/".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}; machine: "
          f"{platform.platform()}, {os.cpu_count()} CPUs; jax {jax.__version__} "
          f"({jax.default_backend()}); load average at the start {load}")
    print(f"- XLA_FLAGS (as set by `import jreg`): {os.environ.get('XLA_FLAGS', '')!r}")
    what = "coordinate descent on a prebuilt Gram operator (--cd-only)" if ARGS.cd_only else (
        "whole paths")
    print(f"- solver='cd', float64, tol=5e-7, 100 alphas, {what}; {FIELD} in {VALUES} "
          f"alternating call by call in one process; medians of {ARGS.repeats} warm calls "
          "(tall, wide: at most 5)\n")
    names = [f"{FIELD}={v}" for v in VALUES]
    head = " | ".join(f"{n} (ms)" for n in names)
    ratios = " | ".join(f"{n} / {names[0]}" for n in names[1:])
    print(f"| problem | penalty | {head} | {ratios} | epochs |")
    print("|---|---|" + "---|" * (2 * len(VALUES)))
    for name in ARGS.problems.split(","):
        x, y = design(name, full)
        if ARGS.cd_only and x.shape[0] <= x.shape[1]:
            print(f"| {name} | skipped: --cd-only needs n > p |")
            continue
        x = x.astype(np.float64)
        x, y = x - x.mean(0), y.astype(np.float64) - y.mean()
        repeats = min(ARGS.repeats, 5) if name in ("tall", "wide") else ARGS.repeats
        for penalty, l1_ratio in (("lasso", 1.0), ("enet", 0.5)):
            alphas = sk_cd._alpha_grid(x, y, l1_ratio=l1_ratio, n_alphas=100, eps=1e-3)
            paths = [path_call(x, y, alphas, l1_ratio, CDSettings(**{FIELD: v}))
                     for v in VALUES]
            calls = {i: (lambda f=f: jax.block_until_ready(f())) for i, f in enumerate(paths)}
            epochs = []
            for call in calls.values():
                res = call()  # compile
                if not bool(np.all(res.converged)):
                    raise SystemExit(f"{name} {penalty}: a path did not reach the gap")
                epochs.append(str(int(np.sum(res.n_iter))))
            times = {i: [] for i in calls}
            for _ in range(repeats):
                for i, call in calls.items():
                    start = time.perf_counter()
                    call()
                    times[i].append(time.perf_counter() - start)
            med = {i: float(np.median(v)) for i, v in times.items()}
            cells = " | ".join(f"{med[i] * 1e3:.3g}" for i in calls)
            rel = " | ".join(f"{med[i] / med[0]:.2f}" for i in list(calls)[1:])
            shape = f"{x.shape[0]}x{x.shape[1]}"
            label = shape if name == shape else f"{name} {shape}"
            print(f"| {label} | {penalty} | {cells} | {rel} | "
                  f"{' / '.join(epochs)} |", flush=True)


if __name__ == "__main__":
    main()
