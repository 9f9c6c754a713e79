"""jreg: regularization for JAX.

Penalties and proximal operators over pytrees, Optax transforms built on them,
certified solvers and scikit-learn-compatible sparse linear models, and Flax NNX
dropout and augmentation layers. See https://jreg.readthedocs.io (docs/ in the repo).
"""

from jreg import augment as augment
from jreg import linear_model as linear_model
from jreg import nn as nn
from jreg import penalties as penalties
from jreg import prox as prox
from jreg import solvers as solvers
from jreg import transforms as transforms
from jreg.linear_model import ElasticNet as ElasticNet
from jreg.linear_model import ElasticNetCV as ElasticNetCV
from jreg.linear_model import Lasso as Lasso
from jreg.linear_model import LassoCV as LassoCV
from jreg.linear_model import Ridge as Ridge
from jreg.linear_model import RidgeCV as RidgeCV
from jreg.linear_model import enet_path as enet_path
from jreg.linear_model import lasso_path as lasso_path
from jreg.penalties import L1 as L1
from jreg.penalties import L1L2 as L1L2
from jreg.penalties import L2 as L2
from jreg.transforms import regularized as regularized

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
