"""A/B of the coordinate-descent block size: paths with ``CDSettings(block=B)`` for each B.

The default ``CDSettings.block=None`` means 4 coordinates for Gram problems on CPU and 8
otherwise (``jreg.solvers._cd.block_size``). This script times 100-alpha Lasso and
ElasticNet paths (``solver="cd"``, float64, tol=5e-7) with each block size in the same
process, the sizes alternating call by call; the table gives medians of ``--repeats``
warm calls and the ratio of each size's time to the first size's.

Usage::

    python benchmarks/ab_cd_block.py                      # blocks 4 and 8, all designs
    python benchmarks/ab_cd_block.py --blocks 4,8,16 --problems mid,wide --repeats 15
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

DESIGNS = ("diabetes", "cancer", "digits", "1000x50", "2000x200", "mid", "5000x1000", "tall",
           "wide")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", default="4,8")
    parser.add_argument("--problems", default=",".join(DESIGNS))
    parser.add_argument("--repeats", type=int, default=11, help="(tall and wide: at most 5)")
    return parser.parse_args(argv)


ARGS = parse_args()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

import jreg  # noqa: E402, F401  (sets XLA_FLAGS before JAX starts)

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402
from _designs import correlated_design, problems  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits  # noqa: E402
from sklearn.linear_model import _coordinate_descent as sk_cd  # noqa: E402

from jreg.solvers import CDSettings, enet_path_solve  # noqa: E402


def design(name, full):
    if name in full:
        return full[name]
    if name == "cancer":
        return load_breast_cancer(return_X_y=True)
    if name == "digits":
        return load_digits(return_X_y=True)
    n, p = (int(v) for v in name.split("x"))
    return correlated_design(n, p, seed=0)


def main():
    blocks = [int(b) for b in ARGS.blocks.split(",")]
    full = problems(quick=False)
    load = "/".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}; machine: "
          f"{platform.platform()}, {os.cpu_count()} CPUs; jax {jax.__version__} "
          f"({jax.default_backend()}); load average at the start {load}")
    print(f"- XLA_FLAGS (as set by `import jreg`): {os.environ.get('XLA_FLAGS', '')!r}")
    print(f"- solver='cd', float64, tol=5e-7, 100 alphas; blocks {blocks} alternating call by "
          f"call in one process; medians of {ARGS.repeats} warm calls (tall, wide: at most 5)\n")
    head = " | ".join(f"block {b} (ms)" for b in blocks)
    ratios = " | ".join(f"{b} / {blocks[0]}" for b in blocks[1:])
    print(f"| problem | penalty | {head} | {ratios} |")
    print("|---|---|" + "---|" * (2 * len(blocks) - 1))
    for name in ARGS.problems.split(","):
        x, y = design(name, full)
        x = x.astype(np.float64)
        x, y = x - x.mean(0), y.astype(np.float64) - y.mean()
        repeats = min(ARGS.repeats, 5) if name in ("tall", "wide") else ARGS.repeats
        for penalty, l1_ratio in (("lasso", 1.0), ("enet", 0.5)):
            alphas = sk_cd._alpha_grid(x, y, l1_ratio=l1_ratio, n_alphas=100, eps=1e-3)
            calls = {b: (lambda b=b, a=alphas, r=l1_ratio, x=x, y=y: jax.block_until_ready(
                enet_path_solve(x, y, a, l1_ratio=r, tol=5e-7, max_iter=100000, solver="cd",
                                settings=CDSettings(block=b)))) for b in blocks}
            for call in calls.values():
                call()  # compile
            times = {b: [] for b in blocks}
            for _ in range(repeats):
                for b, call in calls.items():
                    start = time.perf_counter()
                    call()
                    times[b].append(time.perf_counter() - start)
            med = {b: float(np.median(v)) for b, v in times.items()}
            cells = " | ".join(f"{med[b] * 1e3:.3g}" for b in blocks)
            rel = " | ".join(f"{med[b] / med[blocks[0]]:.2f}" for b in blocks[1:])
            print(f"| {name} {x.shape[0]}x{x.shape[1]} | {penalty} | {cells} | {rel} |",
                  flush=True)


if __name__ == "__main__":
    main()
