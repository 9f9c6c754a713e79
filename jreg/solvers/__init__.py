r"""Certified, jit-compiled solvers for penalized linear models.

Functional, usable without the estimators of :mod:`jreg.linear_model`:

* :func:`solve_enet` / :func:`enet_path_solve` — coordinate descent with working sets,
  Anderson acceleration and scikit-learn's duality-gap stopping rule, for Lasso /
  elastic net (optionally ``positive``), with intercept and sample weights; ``vmap``-able
  over strengths, ``l1_ratio``, targets and folds (0/1 sample weights); with
  ``solver="fista"`` (:class:`FistaSettings`) a path is solved for every alpha at once by
  accelerated proximal gradient, matrix–matrix work for accelerators. The default
  ``solver="auto"`` runs coordinate descent on CPU and, on GPU/TPU, FISTA finished by
  coordinate descent wherever its iterations (``10 · max_iter``) left an alpha uncertified.
* :func:`fista` — FISTA with restart and backtracking for any penalty object with
  ``.value`` / ``.prox``.
* :func:`enet_duality_gap` — scikit-learn's elastic-net gap at given coefficients.
* :class:`Quadratic` — the least-squares datafit; :class:`SolverResult` — what every
  solver returns (``coef, intercept, n_iter, gap, converged``).
"""

from jreg.solvers._api import SolverResult as SolverResult
from jreg.solvers._api import enet_duality_gap as enet_duality_gap
from jreg.solvers._api import enet_path_solve as enet_path_solve
from jreg.solvers._api import solve_enet as solve_enet
from jreg.solvers._cd import CDSettings as CDSettings
from jreg.solvers._datafits import Quadratic as Quadratic
from jreg.solvers._fista import enet_strengths as enet_strengths
from jreg.solvers._fista import fista as fista
from jreg.solvers._pg import FistaSettings as FistaSettings

__all__ = [
    "CDSettings",
    "FistaSettings",
    "Quadratic",
    "SolverResult",
    "enet_duality_gap",
    "enet_path_solve",
    "enet_strengths",
    "fista",
    "solve_enet",
]
