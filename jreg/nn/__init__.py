"""Flax NNX modules: the dropout family, model penalties and constraints.

Every random layer is built like :class:`flax.nnx.Dropout`: constructed in train mode,
random in train mode, the exact identity in eval mode (``model.eval()``), with keys from
an ``nnx.Rngs`` stream (default ``'dropout'``) or an explicit ``key=`` at call time.
"""

from ._constraints import MaxNorm as MaxNorm
from ._constraints import MinMaxNorm as MinMaxNorm
from ._constraints import NonNeg as NonNeg
from ._constraints import UnitNorm as UnitNorm
from ._constraints import constraints as constraints
from ._constraints import param_mask as param_mask
from ._drop_structured import DropBlock2D as DropBlock2D
from ._drop_structured import DropConnect as DropConnect
from ._drop_structured import DropPath as DropPath
from ._dropout import AlphaDropout as AlphaDropout
from ._dropout import Dropout as Dropout
from ._dropout import GaussianDropout as GaussianDropout
from ._dropout import GaussianNoise as GaussianNoise
from ._dropout import SpatialDropout1D as SpatialDropout1D
from ._dropout import SpatialDropout2D as SpatialDropout2D
from ._dropout import SpatialDropout3D as SpatialDropout3D
from ._penalties import ActivityLoss as ActivityLoss
from ._penalties import ActivityRegularization as ActivityRegularization
from ._penalties import PenaltySpec as PenaltySpec
from ._penalties import activity_loss as activity_loss
from ._penalties import penalty as penalty

__all__ = [
    "ActivityLoss",
    "ActivityRegularization",
    "AlphaDropout",
    "DropBlock2D",
    "DropConnect",
    "DropPath",
    "Dropout",
    "GaussianDropout",
    "GaussianNoise",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "PenaltySpec",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "UnitNorm",
    "activity_loss",
    "constraints",
    "param_mask",
    "penalty",
]
