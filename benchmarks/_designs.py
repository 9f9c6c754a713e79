"""The benchmark designs shared by the linear-model scripts (``bench_linear_model.py``,
``profile_cv.py``, ``cv_floor.py``, ``ab_cd_settings.py``)."""

import numpy as np
from sklearn.datasets import load_diabetes


def correlated_design(n, p, seed, rho=0.5, density=0.05, snr=3.0):
    """AR(1)-correlated Gaussian columns, sparse truth, Gaussian noise at a given SNR."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p))
    for j in range(1, p):
        x[:, j] = rho * x[:, j - 1] + np.sqrt(1 - rho**2) * x[:, j]
    w = np.zeros(p)
    k = max(1, int(density * p))
    w[rng.choice(p, k, replace=False)] = rng.standard_normal(k)
    signal = x @ w
    y = signal + np.std(signal) / snr * rng.standard_normal(n)
    return x, y


def problems(quick):
    sizes = {"tall": (2000, 400), "mid": (1000, 200), "wide": (100, 1000)} if quick else {
        "tall": (10000, 2000), "mid": (2000, 400), "wide": (200, 5000)}
    out = {}
    for name, (n, p) in sizes.items():
        out[name] = correlated_design(n, p, seed=1 if name == "wide" else 0)
    out["diabetes"] = load_diabetes(return_X_y=True)
    return out
