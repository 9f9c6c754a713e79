"""What one FISTA iteration costs on a device, by width (columns solved at once) and by
the number of folds batched with ``vmap`` — the unit of the GPU CV's time.

``solve_path`` runs a fixed number of iterations (a negative tolerance certifies
nothing), with the library's settings and full-precision float32 products; the cost of
one iteration is the difference of two such runs over the difference of their
iteration counts (compilation, the power iteration and transfers cancel). Medians of
``--repeats``.

Usage::

    python benchmarks/fista_iteration_cost.py --device gpu --problems wide,tall
    python benchmarks/fista_iteration_cost.py --device gpu --folds 5 --widths 100 --trace 20
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import os
import tempfile
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--problems", default="wide")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--widths", default="100,50,25")
    parser.add_argument("--folds", default="1,5")
    parser.add_argument("--iters", default="100,400")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trace", type=int, default=0, metavar="K",
                        help="also trace one run of the longer count with jax.profiler and "
                             "print the K costliest events (kernels on a GPU) per iteration")
    return parser.parse_args(argv)


ARGS = parse_args()
if ARGS.device == "cpu":
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from _designs import problems  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

from jreg._precision import full_precision  # noqa: E402
from jreg.solvers import _api, _pg  # noqa: E402


def solver(gram):
    @jax.jit
    @full_precision  # float32 products as the library runs them (not TF32)
    def run(xs, ys, a, iters):
        def one(x, y):
            prep = _api.prepare(x, y, jnp.ones(x.shape[0], x.dtype), fit_intercept=True,
                                gram=gram)
            w0 = jnp.zeros((x.shape[1], a.shape[0]), x.dtype)
            st = _pg.solve_path(prep.op, w0, a * prep.weight_sum, 0.0 * a, -1.0, iters,
                                positive=False)
            return st.w, st.k

        return jax.vmap(one)(xs, ys)

    return run


def traced(run, args, iters, top):
    """Run ``run(*args, iters)`` under ``jax.profiler.trace`` and print the ``top`` events
    by total duration, per iteration, from the Perfetto trace (on a GPU its kernels, named
    after XLA's fusions; on CPU the runtime's thunks). Events that run fewer times than
    there are iterations (set-up, host calls) are listed too: read the calls column."""
    with tempfile.TemporaryDirectory() as log_dir:
        with jax.profiler.trace(log_dir, create_perfetto_trace=True):
            jax.block_until_ready(run(*args, iters))
        (path,) = glob.glob(os.path.join(log_dir, "**", "perfetto_trace.json.gz"),
                            recursive=True)
        with gzip.open(path) as fh:
            trace = json.load(fh)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    calls, micros = collections.Counter(), collections.Counter()
    for event in events:
        if event.get("ph") == "X":
            calls[event["name"]] += 1
            micros[event["name"]] += event.get("dur", 0)
    print()
    print("| event | calls / iteration | µs / iteration |")
    print("|---|---|---|")
    for name, total in micros.most_common(top):
        print(f"| `{name[:70]}` | {calls[name] / iters:.2f} | {total / iters:.2f} |")
    print()


def main():
    iters_lo, iters_hi = (int(v) for v in ARGS.iters.split(","))
    designs = problems(False)
    print(f"# one FISTA iteration ({jax.devices()[0].device_kind}, jax {jax.__version__})")
    print()
    print("| problem | dtype | folds | width | ms / iteration | ms / iteration / fold |")
    print("|---|---|---|---|---|---|")
    for name in ARGS.problems.split(","):
        x, y = designs[name]
        gram = x.shape[0] > x.shape[1]
        run = solver(gram)
        for dtype in ARGS.dtypes.split(","):
            for n_folds in (int(v) for v in ARGS.folds.split(",")):
                if n_folds == 1:
                    xs, ys = x[None], y[None]
                else:
                    train = [tr for tr, _ in KFold(n_folds).split(x)]
                    xs, ys = np.stack([x[tr] for tr in train]), np.stack([y[tr] for tr in train])
                xs, ys = jnp.asarray(xs, dtype), jnp.asarray(ys, dtype)
                alpha_max = np.max(np.abs((x - x.mean(0)).T @ (y - y.mean()))) / len(y)
                for width in (int(v) for v in ARGS.widths.split(",")):
                    a = jnp.asarray(alpha_max * np.geomspace(1, 1e-3, 100)[-width:], dtype)
                    times = {}
                    for iters in (iters_lo, iters_hi):
                        jax.block_until_ready(run(xs, ys, a, iters))  # compile / warm
                        runs = []
                        for _ in range(ARGS.repeats):
                            start = time.perf_counter()
                            jax.block_until_ready(run(xs, ys, a, iters))
                            runs.append(time.perf_counter() - start)
                        times[iters] = float(np.median(runs))
                    per = (times[iters_hi] - times[iters_lo]) / (iters_hi - iters_lo) * 1e3
                    print(f"| {name} {x.shape[0]}x{x.shape[1]} | {dtype} | {n_folds} | "
                          f"{width} | {per:.4f} | {per / n_folds:.4f} |", flush=True)
                    if ARGS.trace:
                        traced(run, (xs, ys, a), iters_hi, ARGS.trace)


if __name__ == "__main__":
    main()
