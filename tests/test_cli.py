"""The ``jreg`` command line runs end to end on small problems."""

import csv

import numpy as np
import pytest

from jreg import cli


def test_demo_runs_and_reports_a_certified_path(capsys):
    assert cli.main(["demo", "--n-alphas", "8"]) == 0
    out = capsys.readouterr().out
    assert "largest relative duality gap" in out
    gap = float(out.split("(recomputed): ")[1].split()[0])
    assert gap <= 2e-10
    diff = float(out.split("scikit-learn coef| over the path: ")[1].split()[0])
    assert diff < 1e-5


def test_path_writes_csv_and_plot(tmp_path, capsys):
    target, image = tmp_path / "path.csv", tmp_path / "path.png"
    argv = ["path", "--n-alphas", "5", "--l1-ratio", "0.5", "--csv", str(target)]
    assert cli.main([*argv, "--plot", str(image)]) == 0
    rows = list(csv.reader(target.open()))
    assert rows[0][:3] == ["alpha", "non_zeros", "dual_gap"]
    alphas = np.array([float(r[0]) for r in rows[1:]])
    assert len(alphas) == 5 and np.all(np.diff(alphas) < 0)
    assert image.stat().st_size > 0


def test_path_rejects_bad_l1_ratio():
    with pytest.raises(SystemExit, match="l1-ratio"):
        cli.main(["path", "--l1-ratio", "1.5"])


def test_relative_gaps_match_scikit_learn():
    from sklearn.linear_model import enet_path

    X, y = cli._load("diabetes")
    alphas, coefs, gaps = enet_path(X, y, l1_ratio=0.5, alphas=5, tol=1e-3)
    ours = cli._relative_gaps(X, y, coefs, alphas, 0.5)
    np.testing.assert_allclose(ours, gaps / (y @ y / (2 * len(y))), rtol=1e-8, atol=1e-14)


@pytest.mark.slow
def test_bench_prints_a_markdown_row(capsys):
    argv = ["bench", "--n-samples", "60", "--n-features", "20", "--n-alphas", "5", "--repeat", "2"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "| device |" in out
    # the default solver="auto" says what it ran on this backend
    import jax

    assert f"| auto ({'cd' if jax.default_backend() == 'cpu' else 'fista'}) |" in out
    # the XLA flags the timings ran under (import jreg may have set one)
    import os

    assert f"XLA_FLAGS: {os.environ.get('XLA_FLAGS', '')!r}" in out
    assert cli.main(argv + ["--solver", "fista"]) == 0
    out = capsys.readouterr().out
    assert "| fista |" in out and "max dual gap" in out
