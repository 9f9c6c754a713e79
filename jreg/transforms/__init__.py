r"""Optax gradient transformations built on `jreg.penalties` and `jreg.prox`.

* `add_penalty_gradient` -- add $\nabla g(w)$ to the updates (Keras'
  ``kernel_regularizer``), before an optimizer;
* `proximal_step` -- turn the incoming step into a proximal step, last in a chain
  (exact for plain SGD);
* `prox_sgd`, `prox_adagrad`, `prox_adam` -- complete optimizers whose
  prox is taken in the metric of their own preconditioner, so that they converge to the
  minimiser of loss + penalty;
* `max_norm`, `unit_norm`, `non_neg`, `min_max_norm` -- Keras
  weight constraints as projections after the update, last in a chain;
* `regularized` -- a loss function plus a penalty.

Every factory returns an ``optax.GradientTransformationExtraArgs`` whose state is a
NamedTuple with a ``count``; hyperparameters and the strengths of the penalty (as in
``L1(schedule)``) accept scalars or optax schedules, and
``mask`` follows ``optax.masked``. See ``docs/transforms.md``.
"""

from jreg.transforms._constraints import ConstraintState as ConstraintState
from jreg.transforms._constraints import max_norm as max_norm
from jreg.transforms._constraints import min_max_norm as min_max_norm
from jreg.transforms._constraints import non_neg as non_neg
from jreg.transforms._constraints import unit_norm as unit_norm
from jreg.transforms._optimizers import ProxAdagradState as ProxAdagradState
from jreg.transforms._optimizers import ProxAdamState as ProxAdamState
from jreg.transforms._optimizers import ProxSGDState as ProxSGDState
from jreg.transforms._optimizers import prox_adagrad as prox_adagrad
from jreg.transforms._optimizers import prox_adam as prox_adam
from jreg.transforms._optimizers import prox_sgd as prox_sgd
from jreg.transforms._penalty import AddPenaltyGradientState as AddPenaltyGradientState
from jreg.transforms._penalty import ProximalStepState as ProximalStepState
from jreg.transforms._penalty import add_penalty_gradient as add_penalty_gradient
from jreg.transforms._penalty import proximal_step as proximal_step
from jreg.transforms._penalty import regularized as regularized

__all__ = [
    "AddPenaltyGradientState",
    "ConstraintState",
    "ProxAdagradState",
    "ProxAdamState",
    "ProxSGDState",
    "ProximalStepState",
    "add_penalty_gradient",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "prox_adagrad",
    "prox_adam",
    "prox_sgd",
    "proximal_step",
    "regularized",
    "unit_norm",
]
