r"""Penalty values over pytrees, as functions and as objects.

Functions ``jreg.penalties.<name>(tree, *strengths, **options)`` return the scalar
$g(\text{tree}) = \sum_{\text{leaves}} g(\text{leaf})$, with the names, strengths
and constants of the proximal operators ``jreg.prox.<name>`` (``squared_l2`` is
$\tfrac12\lambda\|x\|^2$, ``elastic_net`` is scikit-learn's
$\lambda(\rho\|x\|_1 + \tfrac12(1-\rho)\|x\|^2)$, the norms carry no
$\tfrac12$).

Objects (immutable pytrees) bundle a penalty with its strengths and expose
``.value(tree)``, ``.prox(tree, scaling=1.0)`` and ``.separable``: the Keras
regularizers ``L1(l1)``, ``L2(l2)``, ``L1L2(l1, l2)`` (``l2·Σw²``, no
$\tfrac12$), scikit-learn's ``ElasticNet(alpha, l1_ratio)``, the structured and
non-convex penalties, and the constraints (value 0 on the set, ``inf`` outside, prox =
projection). Inside `jreg.transforms` a strength may also be an optax schedule
(``L1(optax.linear_schedule(0.0, 1e-3, 1000))``), evaluated at the step count. See
``docs/penalties.md``.
"""

from jreg.penalties._functions import elastic_net as elastic_net
from jreg.penalties._functions import group_lasso as group_lasso
from jreg.penalties._functions import l1 as l1
from jreg.penalties._functions import l2_norm as l2_norm
from jreg.penalties._functions import linf_norm as linf_norm
from jreg.penalties._functions import mcp as mcp
from jreg.penalties._functions import nuclear_norm as nuclear_norm
from jreg.penalties._functions import scad as scad
from jreg.penalties._functions import sparse_group_lasso as sparse_group_lasso
from jreg.penalties._functions import squared_l2 as squared_l2
from jreg.penalties._functions import total_variation_1d as total_variation_1d
from jreg.penalties._objects import L1 as L1
from jreg.penalties._objects import L1L2 as L1L2
from jreg.penalties._objects import L2 as L2
from jreg.penalties._objects import MCP as MCP
from jreg.penalties._objects import SCAD as SCAD
from jreg.penalties._objects import Box as Box
from jreg.penalties._objects import Constraint as Constraint
from jreg.penalties._objects import ElasticNet as ElasticNet
from jreg.penalties._objects import GroupLasso as GroupLasso
from jreg.penalties._objects import L1Ball as L1Ball
from jreg.penalties._objects import L2Ball as L2Ball
from jreg.penalties._objects import L2Norm as L2Norm
from jreg.penalties._objects import LinfBall as LinfBall
from jreg.penalties._objects import LinfNorm as LinfNorm
from jreg.penalties._objects import NonNegative as NonNegative
from jreg.penalties._objects import NuclearNorm as NuclearNorm
from jreg.penalties._objects import Penalty as Penalty
from jreg.penalties._objects import Simplex as Simplex
from jreg.penalties._objects import SparseGroupLasso as SparseGroupLasso
from jreg.penalties._objects import TotalVariation1D as TotalVariation1D

__all__ = [
    "Box",
    "Constraint",
    "ElasticNet",
    "GroupLasso",
    "L1",
    "L1Ball",
    "L1L2",
    "L2",
    "L2Ball",
    "L2Norm",
    "LinfBall",
    "LinfNorm",
    "MCP",
    "NonNegative",
    "NuclearNorm",
    "Penalty",
    "SCAD",
    "Simplex",
    "SparseGroupLasso",
    "TotalVariation1D",
    "elastic_net",
    "group_lasso",
    "l1",
    "l2_norm",
    "linf_norm",
    "mcp",
    "nuclear_norm",
    "scad",
    "sparse_group_lasso",
    "squared_l2",
    "total_variation_1d",
]
