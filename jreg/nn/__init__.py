"""Flax NNX modules: the dropout family, model penalties and constraints.

Every random layer is built like :class:`flax.nnx.Dropout`: constructed in train mode,
random in train mode, the exact identity in eval mode (``model.eval()``), with keys from
an ``nnx.Rngs`` stream (default ``'dropout'``) or an explicit ``key=`` at call time.
"""

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

__all__ = [
    "AlphaDropout",
    "DropBlock2D",
    "DropConnect",
    "DropPath",
    "Dropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]
