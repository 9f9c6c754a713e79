"""A/B of the XLA flag ``import jreg`` sets: jreg's paths (and CVs) with and without it.

``import jreg`` raises XLA's CPU small-while-loop threshold (``jreg/_xla_flags.py``);
``JREG_XLA_FLAGS=0`` keeps XLA's default. XLA reads its flags once per process, so each
setting runs in its own Python process; the two settings alternate for ``--rounds``
rounds and the table reports, per setting, the median over rounds of each process's
median of ``--repeats`` warm calls. Also printed: epochs (summed over the path; the two
settings may round differently), first-call time (compilation included) and, with
``--cv``, a warm 5-fold ``LassoCV.fit``.

Usage::

    python benchmarks/ab_xla_flag.py                        # CPU, the four designs
    python benchmarks/ab_xla_flag.py --problems diabetes,mid --rounds 3 --cv
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

import numpy as np

SETTINGS = {"off": "0", "on": "1"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default="diabetes,mid,wide,tall")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5, help="warm calls per process")
    parser.add_argument("--cv", action="store_true", help="also time a 5-fold LassoCV")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def worker(args):
    """Time every problem in this process (its XLA flags are fixed) and print JSON."""
    import time

    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax  # importing JAX starts no backend: jreg can still set XLA_FLAGS

    import jreg  # noqa: F401  (sets XLA_FLAGS unless JREG_XLA_FLAGS=0)

    jax.config.update("jax_enable_x64", True)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _designs import problems
    from sklearn.linear_model import _coordinate_descent as sk_cd
    from sklearn.model_selection import KFold

    import jreg.linear_model as jl

    def timed(fn, repeats):
        start = time.perf_counter()
        out = fn()
        first = time.perf_counter() - start
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return out, first, float(np.median(times))

    data = problems(quick=False)
    rows = {}
    for name in args.problems.split(","):
        x, y = data[name]
        xc, yc = x - x.mean(0), y - y.mean()
        repeats = min(args.repeats, 3) if name == "tall" else args.repeats
        for penalty, l1_ratio in (("lasso", 1.0), ("enet", 0.5)):
            alphas = sk_cd._alpha_grid(xc, yc, l1_ratio=l1_ratio, n_alphas=100, eps=1e-3)
            out, first, warm = timed(lambda a=alphas, r=l1_ratio, xc=xc, yc=yc: jl.enet_path(
                xc, yc, l1_ratio=r, alphas=a, tol=5e-7, max_iter=100000,
                return_n_iter=True), repeats)
            rows[f"{name} {penalty} path"] = {"warm": warm, "first": first,
                                              "epochs": int(np.sum(out[-1]))}
        if args.cv:
            _, first, warm = timed(lambda x=x, y=y: jl.LassoCV(
                cv=KFold(5), tol=5e-7, max_iter=100000).fit(x, y), 3)
            rows[f"{name} LassoCV"] = {"warm": warm, "first": first, "epochs": None}
    print(json.dumps({"flags": os.environ.get("XLA_FLAGS"), "rows": rows}))


def _ms(seconds):
    value = seconds * 1e3
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def main(args):
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load = "/".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    runs = {key: [] for key in SETTINGS}
    flags = {}
    for _ in range(args.rounds):
        for key, value in SETTINGS.items():
            env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
            env["JREG_XLA_FLAGS"] = value
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--problems",
                   args.problems, "--repeats", str(args.repeats)] + (["--cv"] if args.cv else [])
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            flags[key] = result["flags"]
            runs[key].append(result["rows"])
    end_load = "/".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"- started: {started}; machine: "
          f"{platform.platform()}, {os.cpu_count()} CPUs; load average {load} at the "
          f"start, {end_load} at the end")
    print(f"- XLA_FLAGS off: {flags['off']!r}; on: {flags['on']!r}")
    print(f"- {args.rounds} alternating rounds of one process per setting; each process: "
          f"median of {args.repeats} warm calls (tall: 3); table: median over rounds; "
          "float64, tol=5e-7, 100 alphas\n")
    print("| case | off (ms) | on (ms) | off / on | epochs off / on | first call off / on (s) |")
    print("|---|---|---|---|---|---|")
    for case in runs["on"][0]:
        med = {k: float(np.median([r[case]["warm"] for r in runs[k]])) for k in SETTINGS}
        first = {k: float(np.median([r[case]["first"] for r in runs[k]])) for k in SETTINGS}
        epochs = {k: runs[k][0][case]["epochs"] for k in SETTINGS}
        ep = "—" if epochs["on"] is None else f"{epochs['off']} / {epochs['on']}"
        print(f"| {case} | {_ms(med['off'])} | {_ms(med['on'])} | "
              f"{med['off'] / med['on']:.2f} | {ep} | {first['off']:.2f} / {first['on']:.2f} |")


if __name__ == "__main__":
    ARGS = parse_args()
    worker(ARGS) if ARGS.worker else main(ARGS)
