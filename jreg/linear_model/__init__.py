r"""scikit-learn-compatible penalized linear models on jreg's certified solvers.

Drop-in replacements with scikit-learn's objectives, parameters, attributes and return
values: :class:`Lasso`, :class:`ElasticNet`, :class:`Ridge`, :class:`LassoCV`,
:class:`ElasticNetCV`, :class:`RidgeCV`, :func:`lasso_path`, :func:`enet_path`.
"""

from jreg.linear_model._coordinate_descent import ElasticNet as ElasticNet
from jreg.linear_model._coordinate_descent import Lasso as Lasso
from jreg.linear_model._coordinate_descent import enet_path as enet_path
from jreg.linear_model._coordinate_descent import lasso_path as lasso_path
from jreg.linear_model._cv import ElasticNetCV as ElasticNetCV
from jreg.linear_model._cv import LassoCV as LassoCV
from jreg.linear_model._ridge import Ridge as Ridge
from jreg.linear_model._ridge import RidgeCV as RidgeCV

__all__ = [
    "ElasticNet",
    "ElasticNetCV",
    "Lasso",
    "LassoCV",
    "Ridge",
    "RidgeCV",
    "enet_path",
    "lasso_path",
]
