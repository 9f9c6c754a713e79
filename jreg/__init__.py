"""jreg: regularization for JAX.

Penalties and proximal operators over pytrees, Optax transforms built on them,
certified solvers and scikit-learn-compatible sparse linear models, and Flax NNX
dropout and augmentation layers. See https://jreg.readthedocs.io (docs/ in the repo).
"""

# before anything starts JAX: XLA reads its flags once (see jreg/_xla_flags.py)
from jreg import _xla_flags

_xla_flags.configure()

from jreg import augment as augment  # noqa: E402
from jreg import linear_model as linear_model  # noqa: E402
from jreg import nn as nn  # noqa: E402
from jreg import penalties as penalties  # noqa: E402
from jreg import prox as prox  # noqa: E402
from jreg import solvers as solvers  # noqa: E402
from jreg import transforms as transforms  # noqa: E402
from jreg.linear_model import ElasticNet as ElasticNet  # noqa: E402
from jreg.linear_model import ElasticNetCV as ElasticNetCV  # noqa: E402
from jreg.linear_model import Lasso as Lasso  # noqa: E402
from jreg.linear_model import LassoCV as LassoCV  # noqa: E402
from jreg.linear_model import Ridge as Ridge  # noqa: E402
from jreg.linear_model import RidgeCV as RidgeCV  # noqa: E402
from jreg.linear_model import enet_path as enet_path  # noqa: E402
from jreg.linear_model import lasso_path as lasso_path  # noqa: E402
from jreg.penalties import L1 as L1  # noqa: E402
from jreg.penalties import L1L2 as L1L2  # noqa: E402
from jreg.penalties import L2 as L2  # noqa: E402
from jreg.transforms import regularized as regularized  # noqa: E402

__version__ = "0.1.0.dev0"

__all__ = [
    "ElasticNet",
    "ElasticNetCV",
    "Lasso",
    "LassoCV",
    "Ridge",
    "RidgeCV",
    "enet_path",
    "lasso_path",
    "L1",
    "L1L2",
    "L2",
    "regularized",
    "augment",
    "linear_model",
    "nn",
    "penalties",
    "prox",
    "solvers",
    "transforms",
]
