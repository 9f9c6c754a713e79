"""The ``jreg`` command line: ``jreg demo``, ``jreg path`` and ``jreg bench``.

``demo`` fits a certified Lasso path on a dataset that scikit-learn ships and checks it
against scikit-learn; ``path`` prints (or saves) a regularization path; ``bench`` times
jreg's path solver on the current JAX devices (CPU, GPU or TPU), compile time apart.
Peer comparisons live in ``benchmarks/`` of the repository.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence

import numpy as np

DATASETS = ("diabetes", "breast_cancer")


def _load(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return a standardized design and a centered target from scikit-learn's data."""
    from sklearn import datasets

    if name == "diabetes":
        X, y = datasets.load_diabetes(return_X_y=True)
    elif name == "breast_cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True)
        y = y.astype(np.float64)
    else:  # argparse restricts the choices; this guards programmatic use
        raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}.")
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y - y.mean()


def _enable_x64(dtype: str) -> None:
    """float64 needs JAX's x64 mode; float32 runs either way (the data are cast)."""
    if dtype == "float64":
        import jax

        jax.config.update("jax_enable_x64", True)


def _relative_gaps(X, y, coefs, alphas, l1_ratio):
    """Duality gaps of the elastic net, recomputed here, divided by ‖y‖²/2n.

    The dual point is scikit-learn's: the residual rescaled into the dual feasible set.
    """
    n = X.shape[0]
    gaps = []
    for k, alpha in enumerate(alphas):
        w = coefs[:, k]
        r = y - X @ w
        l1, l2 = alpha * l1_ratio * n, alpha * (1.0 - l1_ratio) * n
        dual_norm = np.max(np.abs(X.T @ r - l2 * w))
        const = l1 / dual_norm if dual_norm > l1 else 1.0
        gap = 0.5 * (r @ r) * (1.0 + const**2)
        gap += l1 * np.abs(w).sum() - const * (r @ y) + 0.5 * l2 * (1.0 + const**2) * (w @ w)
        gaps.append(max(gap, 0.0) / n / (y @ y / (2 * n)))
    return np.asarray(gaps)


def _demo(args: argparse.Namespace) -> int:
    _enable_x64(args.dtype)
    import jax

    import jreg

    X, y = (a.astype(args.dtype) for a in _load(args.dataset))
    if args.tol is None:
        args.tol = 1e-10 if args.dtype == "float64" else 1e-4
    n, p = X.shape
    print(f"jreg {jreg.__version__} on {jax.devices()[0].platform}, {args.dtype}")
    print(f"dataset {args.dataset}: {n} samples x {p} features (standardized, centered)")
    start = time.perf_counter()
    alphas, coefs, gaps = jreg.lasso_path(X, y, n_alphas=args.n_alphas, tol=args.tol)
    first = time.perf_counter() - start
    start = time.perf_counter()
    alphas, coefs, gaps = jreg.lasso_path(X, y, n_alphas=args.n_alphas, tol=args.tol)
    second = time.perf_counter() - start
    coefs = np.asarray(coefs)
    print(
        f"lasso_path, {len(alphas)} alphas: first call {first:.2f} s (with compilation), "
        f"second call {second * 1e3:.1f} ms"
    )
    # certificates and the reference are computed in float64 whatever the solver's dtype
    X64, y64, coefs = X.astype(np.float64), y.astype(np.float64), coefs.astype(np.float64)
    rel = _relative_gaps(X64, y64, coefs, np.asarray(alphas, dtype=np.float64), 1.0)
    print(f"largest relative duality gap over the path (recomputed): {rel.max():.2e}")
    from sklearn.linear_model import lasso_path

    _, sk_coefs, _ = lasso_path(
        X64, y64, alphas=np.asarray(alphas, dtype=np.float64), tol=1e-12, max_iter=100_000
    )
    print(f"max |coef - scikit-learn coef| over the path: {np.abs(coefs - sk_coefs).max():.2e}")
    print("\n  alpha      non-zeros")
    for k in np.linspace(0, len(alphas) - 1, 6).astype(int):
        print(f"  {alphas[k]:9.4g}  {int(np.sum(coefs[:, k] != 0)):4d}")
    model = jreg.LassoCV(cv=5).fit(X, y)
    print(f"\nLassoCV (5 folds): alpha_ = {model.alpha_:.4g}, "
          f"{int(np.sum(np.asarray(model.coef_) != 0))} non-zero coefficients")
    return 0


def _path(args: argparse.Namespace) -> int:
    _enable_x64(args.dtype)
    import jreg

    if not 0.0 <= args.l1_ratio <= 1.0:
        raise SystemExit(f"--l1-ratio must lie in [0, 1], got {args.l1_ratio}.")
    X, y = (a.astype(args.dtype) for a in _load(args.dataset))
    alphas, coefs, gaps = jreg.enet_path(
        X, y, l1_ratio=args.l1_ratio, n_alphas=args.n_alphas, eps=args.eps, tol=args.tol,
        solver=args.solver, max_iter=args.max_iter,
    )
    alphas, coefs, gaps = np.asarray(alphas), np.asarray(coefs), np.asarray(gaps)
    rows = [
        (float(alphas[k]), int(np.sum(coefs[:, k] != 0)), float(gaps[k]), *coefs[:, k].tolist())
        for k in range(len(alphas))
    ]
    header = ["alpha", "non_zeros", "dual_gap"] + [f"coef_{j}" for j in range(coefs.shape[0])]
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        print(f"wrote {len(rows)} rows to {args.csv}")
    else:
        print(f"{'alpha':>10} {'non-zeros':>9} {'dual gap':>10}")
        for alpha, nnz, gap, *_ in rows:
            print(f"{alpha:10.4g} {nnz:9d} {gap:10.2e}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(np.log10(alphas), coefs.T)
        ax.set_xlabel("log10(alpha)")
        ax.set_ylabel("coefficient")
        ax.set_title(f"{args.dataset}: elastic net path (l1_ratio={args.l1_ratio})")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"saved the path plot to {args.plot}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    _enable_x64(args.dtype)
    import jax

    import jreg

    rng = np.random.default_rng(0)
    n, p = args.n_samples, args.n_features
    cov_root = rng.standard_normal((p, p)) / np.sqrt(p) + np.eye(p)
    X = (rng.standard_normal((n, p)) @ cov_root).astype(args.dtype)
    w = np.zeros(p)
    w[: max(1, p // 20)] = rng.standard_normal(max(1, p // 20))
    y = (X @ w + 0.5 * rng.standard_normal(n)).astype(args.dtype)
    X_dev, y_dev = jax.device_put(X), jax.device_put(y)

    def run():
        out = jreg.lasso_path(X_dev, y_dev, n_alphas=args.n_alphas, tol=args.tol,
                              solver=args.solver, max_iter=args.max_iter)
        jax.block_until_ready(out)
        return out

    start = time.perf_counter()
    alphas, coefs, gaps = run()
    first = time.perf_counter() - start
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    device = jax.devices()[0]
    solver = args.solver
    if solver == "auto":
        from jreg.solvers._api import auto_solver

        solver = f"auto ({auto_solver()})"
    print("| device | solver | dtype | n x p | alphas | first call (s) | median (s) "
          "| compile ≈ (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| {device.device_kind} | {solver} | {args.dtype} | {n}x{p} | {args.n_alphas} | "
        f"{first:.3f} | {median:.4f} | {max(first - median, 0.0):.3f} |"
    )
    print(f"\njax {jax.__version__}, jreg {jreg.__version__}, python {platform.python_version()}, "
          f"{args.repeat} timed runs, tol={args.tol}; max dual gap {float(np.max(gaps)):.2e}")
    # the CPU timings depend on it (see jreg/_xla_flags.py and docs/getting_started.md)
    print(f"XLA_FLAGS: {os.environ.get('XLA_FLAGS', '')!r}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``jreg`` argument parser (exposed for the docs and the tests)."""
    parser = argparse.ArgumentParser(prog="jreg", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(
        p: argparse.ArgumentParser, dtype: str = "float64", tol: float | None = 1e-4
    ) -> None:
        p.add_argument("--dtype", choices=("float32", "float64"), default=dtype)
        p.add_argument("--n-alphas", type=int, default=100)
        p.add_argument(
            "--tol", type=float, default=tol,
            help="stop each path point at a duality gap <= tol * ||y||^2 / n (scikit-learn's);"
            " demo default: 1e-10 in float64, 1e-4 in float32",
        )

    def solver_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--solver", choices=("auto", "cd", "fista"), default="auto",
            help="auto (default): coordinate descent on CPU, every alpha at once by FISTA "
            "(finished by coordinate descent) on accelerators; or cd, or fista",
        )
        p.add_argument("--max-iter", type=int, default=100000,
                       help="epochs (cd) or iterations (fista) per alpha at most")

    demo = sub.add_parser("demo", help="certified Lasso path on a bundled dataset")
    demo.add_argument("--dataset", choices=DATASETS, default="diabetes")
    common(demo, tol=None)
    demo.set_defaults(func=_demo)

    path = sub.add_parser("path", help="print or save an elastic-net regularization path")
    path.add_argument("--dataset", choices=DATASETS, default="diabetes")
    path.add_argument("--l1-ratio", type=float, default=1.0)
    path.add_argument("--eps", type=float, default=1e-3)
    path.add_argument("--csv", help="write the path to this CSV file")
    path.add_argument("--plot", help="save a plot of the path to this PNG file")
    common(path)
    solver_options(path)
    path.set_defaults(func=_path)

    bench = sub.add_parser("bench", help="time jreg's Lasso path on the current devices")
    bench.add_argument("--n-samples", type=int, default=2000)
    bench.add_argument("--n-features", type=int, default=500)
    bench.add_argument("--repeat", type=int, default=5)
    common(bench, dtype="float32")
    solver_options(bench)
    bench.set_defaults(func=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jreg`` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
