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

__version__ = "0.1.0.dev0"

__all__ = [
    "augment",
    "linear_model",
    "nn",
    "penalties",
    "prox",
    "solvers",
    "transforms",
]
