"""Host-side work of a 5-fold ``LassoCV.fit`` and of a path on the tall design.

Prints the time of each host step a fit used to take on the host (scikit-learn's
finiteness check of ``X``, the alpha grid in numpy, the design's transfer) next to
what replaced them on the device (``_base.design_to_device``), the warm fit and path
times (numpy input, and a path from a JAX array already on the device), then a
``cProfile`` of one warm fit (top functions by own time). Medians of ``--repeats``.
The figures of ``docs/design/solvers.md`` ("Host work of a fit on accelerators") come
from a first version of this script on the H200 machine (``gpu_run.sh`` part ``host``).

Usage::

    python benchmarks/profile_host.py --device gpu [--dtype float32]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="the small tall design")
    return parser.parse_args(argv)


ARGS = parse_args()
if ARGS.device == "cpu":
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402
from _designs import problems  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

import jreg.linear_model as jl  # noqa: E402
from jreg.linear_model import _base  # noqa: E402


def median_ms(fn, repeats=None):
    times = []
    for _ in range(repeats or ARGS.repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main():
    dtype = np.float32 if ARGS.dtype == "float32" else np.float64
    x, y = (a.astype(dtype) for a in problems(ARGS.quick)["tall"])
    tol, max_iter = (5e-5, 1000) if dtype == np.float32 else (5e-7, 100000)
    model = jl.LassoCV(cv=KFold(5), tol=tol, max_iter=max_iter)
    device = jax.devices()[0]
    print(f"- jax {jax.__version__}; device: {device.platform} ({device.device_kind}); "
          f"{ARGS.dtype}; tall {x.shape[0]}x{x.shape[1]}; medians of {ARGS.repeats}\n")
    steps = {
        "numpy: isfinite(X).all()": lambda: np.isfinite(x).all(),
        "numpy: alpha grid": lambda: _base.alpha_grid(x, y),
        "transfer of X (device_put, blocked)": lambda: jax.device_put(x),
        "design_to_device (transfer + check + grid)": lambda: _base.design_to_device(
            None, x, y, fit_intercept=True)[0],
    }
    model.fit(x, y)  # compiles
    xc, yc = x - x.mean(0), y - y.mean()
    x_jax = jax.device_put(xc)
    kw = dict(alphas=model.alphas_, tol=tol, max_iter=max_iter, check_input=False)
    jl.lasso_path(xc, yc, **kw)
    steps["LassoCV.fit (warm)"] = lambda: model.fit(x, y).coef_
    steps["lasso_path from numpy (warm)"] = lambda: jl.lasso_path(xc, yc, **kw)[1]
    steps["lasso_path from a JAX array (warm)"] = lambda: jl.lasso_path(x_jax, yc, **kw)[1]
    print("| step | ms |\n|---|---|")
    for name, fn in steps.items():
        fn()
        print(f"| {name} | {median_ms(fn):.3g} |", flush=True)
    profiler = cProfile.Profile()
    profiler.enable()
    model.fit(x, y)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print("\n```\n" + out.getvalue().strip() + "\n```")


if __name__ == "__main__":
    main()
