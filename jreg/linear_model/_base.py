"""Shared helpers of the estimators: validation, dtype handling, alpha grid (private)."""

from __future__ import annotations

import functools
import numbers
import os
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)
from threadpoolctl import ThreadpoolController

from jreg._precision import full_precision

CONVERGENCE_MESSAGE = (
    "Objective did not converge. You might want to increase the number of iterations, "
    "check the scale of the features or consider increasing regularisation."
)


def jax_dtype(dtype) -> np.dtype:
    """The dtype JAX computes in for numpy ``dtype`` (float32 when x64 is off)."""
    dtype = np.dtype(dtype)
    if dtype == np.float64 and not jax.config.jax_enable_x64:
        return np.dtype(np.float32)
    return dtype


# On CPU, arrays of at most this many values go to a jitted call as numpy arrays
_HOST_ARG_MAX = 2**16


def call_args(arrays):
    """``arrays`` (a numpy array or a tuple of them, already in their dtypes) as
    arguments of jitted calls: kept numpy on CPU while they hold at most
    ``_HOST_ARG_MAX`` values in all (see :func:`to_jax`), else put on the device once."""
    size = arrays.size if isinstance(arrays, np.ndarray) else sum(a.size for a in arrays)
    if size <= _HOST_ARG_MAX and jax.default_backend() == "cpu":
        return arrays
    return jax.device_put(arrays)


def to_jax(array, dtype):
    """``array`` in the compute dtype as an argument of a jitted call (never modifies
    ``array``): a JAX array, or on CPU a small numpy array.

    ``jax.device_put`` copies a numpy array once (``jnp.asarray`` measured ~1.7x slower
    on a 160 MB design). A JAX array stays on its device. On CPU an array of at most
    ``_HOST_ARG_MAX`` values stays numpy: the jitted call takes it in its C++ dispatch,
    where ``jax.device_put``'s Python path cost ~50 µs per array (diabetes `LassoCV`
    2.4–2.5 → 2.0–2.2 ms, seven such arrays).
    """
    if isinstance(array, jax.Array):
        return array.astype(jax_dtype(dtype))
    return call_args(np.asarray(array, dtype=jax_dtype(dtype)))


def to_numpy(array, dtype):
    return np.asarray(array).astype(dtype, copy=False)


def check_number(value, name, *, low=None, high=None, low_open=False, integer=False):
    """Validate a scalar hyper-parameter, naming it in the error."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {what}, got {value!r} of type {type(value).__name__}.")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if low is not None and (value < low or (low_open and value == low)):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got {value!r}.")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}.")
    return value


def check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}.")
    return bool(value)


def check_sample_weight(sample_weight, n_samples, dtype):
    """``None`` for no weights (or a scalar), else a validated float ``(n,)`` array."""
    if sample_weight is None or isinstance(sample_weight, numbers.Number):
        return None
    sw = np.asarray(sample_weight, dtype=dtype)
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {sw.shape}, expected ({n_samples},)."
        )
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight must be finite; it contains NaN or inf.")
    if np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative.")
    if not np.any(sw > 0):
        raise ValueError("sample_weight must have a positive entry: all weights are zero.")
    return sw


def check_device_x(X):
    """``X`` if it is a concrete JAX array, checked as scikit-learn checks a design (2-d,
    not empty, real; integers become the default float dtype), else ``None``.

    A JAX array stays on its device: its finiteness is :func:`design_to_device`'s (with
    scikit-learn's validation, ``np.asarray`` would copy it to the host and back).
    """
    if not isinstance(X, jax.Array) or isinstance(X, jax.core.Tracer):
        return None
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D array for X, got {X.ndim}D array instead.")
    for axis, what in enumerate(("sample", "feature")):
        if X.shape[axis] < 1:
            raise ValueError(f"Found array with {X.shape[axis]} {what}(s) (shape={X.shape}) "
                             f"while a minimum of 1 is required.")
    if jnp.issubdtype(X.dtype, jnp.complexfloating) or not (
            jnp.issubdtype(X.dtype, jnp.floating) or jnp.issubdtype(X.dtype, jnp.integer)
            or X.dtype == jnp.bool_):
        raise ValueError(f"X must hold real numbers, got dtype {X.dtype}.")
    if X.dtype not in (jnp.float32, jnp.float64):
        X = X.astype(jax_dtype(np.float64))  # scikit-learn's float64 (float32 without x64)
    return X


_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def _plain_xy(X, y):
    """Whether ``X, y`` are numpy arrays that scikit-learn's ``validate_data`` would
    return unchanged once found finite: a non-empty 2-d float64/float32 ``X`` and a float
    ``y`` of one value per row (native byte order)."""
    return (type(X) is np.ndarray and type(y) is np.ndarray and X.ndim == 2
            and y.ndim == 1 and X.dtype in _FLOAT_DTYPES and y.dtype in _FLOAT_DTYPES
            and X.shape[0] >= 1 and X.shape[1] >= 1 and y.shape[0] == X.shape[0])


def plain_valid_xy(X, y, *, finite_x):
    """``(X, y)`` with ``y`` in ``X``'s dtype where they are plain arrays
    (:func:`_plain_xy`) that pass scikit-learn's checks as they are: ``y`` finite in that
    dtype (a float64 value beyond float32's range is not), and ``X`` with ``finite_x``
    (unless scikit-learn's ``assume_finite`` is set) — what its validation returns, and
    no copy. Else ``None``: its validation must run (and raise the errors)."""
    if not _plain_xy(X, y):
        return None
    with np.errstate(over="ignore"):
        y = y.astype(X.dtype, copy=False)
    try:  # (scikit-learn's check: honours its assume_finite)
        assert_all_finite(y, input_name="y")
        if finite_x:
            assert_all_finite(X, input_name="X")
    except ValueError:
        return None
    return X, y


def validate_xy(estimator, X, y, *, reset=True, multi_output=True, finite_x=True):
    """scikit-learn validation of ``X, y``: finite, float64/float32, consistent lengths.

    ``finite_x=False`` leaves ``X``'s finiteness to :func:`design_to_device` (``y`` is
    always checked); a JAX array ``X`` then stays on its device (:func:`check_device_x`).
    Plain float arrays (:func:`_plain_xy`) in a fit get the same checks and attributes
    without ``validate_data``'s generic path (~0.1 ms a call: diabetes); anything else,
    and every error, goes through it.
    """
    plain = plain_valid_xy(X, y, finite_x=finite_x) if reset else None
    if plain is not None:
        estimator.n_features_in_ = X.shape[1]
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return plain
    x_device = check_device_x(X) if not finite_x else None
    if x_device is not None:
        y = validate_data(estimator, "no_validation", y, reset=reset,
                          multi_output=multi_output, y_numeric=True)
        check_consistent_length(x_device, y)
        if reset:
            estimator.n_features_in_ = x_device.shape[1]
            if hasattr(estimator, "feature_names_in_"):
                del estimator.feature_names_in_
        elif x_device.shape[1] != estimator.n_features_in_:
            raise ValueError(f"X has {x_device.shape[1]} features, but "
                             f"{type(estimator).__name__} is expecting "
                             f"{estimator.n_features_in_} features as input.")
        return x_device, np.asarray(y, dtype=x_device.dtype)
    X, y = validate_data(
        estimator, X, y, reset=reset, dtype=[np.float64, np.float32], multi_output=multi_output,
        y_numeric=True, accept_sparse=False, ensure_all_finite=finite_x,
    )
    y = np.asarray(y, dtype=X.dtype)
    return X, y


def linear_predict(estimator, X):
    check_is_fitted(estimator)
    X = validate_data(estimator, X, reset=False, dtype=[np.float64, np.float32],
                      accept_sparse=False)
    coef = np.asarray(estimator.coef_)
    return X @ coef.T + estimator.intercept_


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_stacklevel() -> int:
    """``stacklevel`` for ``warnings.warn`` called here that points at the user's code.

    Counts the frames from the caller of this function up to the first one outside the
    ``jreg`` package, so warnings name the user's line however deep inside jreg they are
    raised (``fit`` -> ``_fit`` -> helper, a path function, a CV refit, ...).
    """
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        _PACKAGE_DIR + os.sep
    ):
        frame = frame.f_back
        level += 1
    return level


def warn_not_converged(gaps, tols):
    gaps = np.atleast_1d(gaps)
    tols = np.atleast_1d(tols)
    worst = int(np.argmax(gaps - tols))
    warnings.warn(
        f"{CONVERGENCE_MESSAGE} Duality gap: {gaps[worst]:.6e}, tolerance: {tols[worst]:.3e}",
        ConvergenceWarning,
        stacklevel=user_stacklevel(),
    )


def check_finite_solution(coef, intercept):
    """scikit-learn's error for coefficients or intercepts that are not finite."""
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
        raise ValueError(
            "Coordinate descent iterations resulted in non-finite parameter values. The "
            "input data may contain large values and need to be preprocessed."
        )


def check_grid_ratio(l1_ratio):
    if l1_ratio == 0:
        raise ValueError(
            "Automatic alpha grid generation is not supported for l1_ratio=0. Please supply "
            "a grid by providing your estimator with the appropriate `alphas=` argument."
        )


def grid_from_max(xy_max, n_samples, *, l1_ratio=1.0, eps=1e-3, n_alphas=100):
    """scikit-learn's grid from ``xy_max`` (:func:`alpha_grid`'s numerator, e.g. from
    :func:`design_to_device`): ``n_alphas`` values geometrically spaced from
    ``alpha_max = xy_max / (n_samples·l1_ratio)`` down to ``eps·alpha_max``."""
    check_grid_ratio(l1_ratio)
    alpha_max = xy_max / (n_samples * l1_ratio)  # in xy_max's dtype, as scikit-learn
    if alpha_max <= np.finfo(np.float64).resolution:
        return np.full(n_alphas, np.finfo(np.float64).resolution)
    return np.geomspace(alpha_max, alpha_max * eps, num=n_alphas)


def alpha_grid(X, y, *, Xy=None, l1_ratio=1.0, fit_intercept=True, eps=1e-3, n_alphas=100,
               sample_weight=None, positive=False):
    r"""scikit-learn's default alpha grid.

    ``alpha_max = max_j |Σ_i s_i x_ij (y_i − ȳ)| / (S·ρ)`` (centred when
    ``fit_intercept``; ``max`` without ``|·|`` when ``positive``), then ``n_alphas``
    values geometrically spaced from ``alpha_max`` down to ``eps·alpha_max``.
    """
    check_grid_ratio(l1_ratio)
    xy_max = _xy_max(X, y, Xy=Xy, fit_intercept=fit_intercept, sample_weight=sample_weight,
                     positive=positive)
    n_samples = X.shape[0] if sample_weight is None else sample_weight.sum()
    return grid_from_max(xy_max, n_samples, l1_ratio=l1_ratio, eps=eps, n_alphas=n_alphas)


@functools.cache
def _blas_controller():
    """The process's :class:`threadpoolctl.ThreadpoolController` (made once: ~8 ms)."""
    return ThreadpoolController()


def _one_blas_thread():
    """A context in which numpy's BLAS runs on one thread.

    After a multithreaded call OpenBLAS keeps a worker spinning on a core for ~0.1 s
    (2-core CPU: 95 ms of CPU time after one ``Xᵀy`` of 2000×400), which the compiled
    solver that runs next then lacks: a 5-fold ``LassoCV`` on that design, whose CV
    program takes ~50 ms, ran 1.4x slower after it. On one thread the product still
    reads ``X`` once (10000×2000: 47 ms for ``Xᵀy`` and a 3-column ``XᵀY`` together).
    """
    return _blas_controller().limit(limits=1, user_api="blas")


def _xy_max(X, y, *, Xy=None, fit_intercept=True, sample_weight=None, positive=False):
    """:func:`alpha_grid`'s numerator in numpy, with scikit-learn's arithmetic (on one BLAS
    thread, see :func:`_one_blas_thread`: scikit-learn's own grid may round differently
    in the last bit with several)."""
    if Xy is not None:
        xyw = np.asarray(Xy)
    else:
        if fit_intercept:
            y = y - np.average(y, axis=0, weights=sample_weight)
            x_mean = np.average(X, axis=0, weights=sample_weight)
        if sample_weight is None:
            yw = y
        else:
            yw = y * (sample_weight.reshape(-1, 1) if y.ndim > 1 else sample_weight)
        with _one_blas_thread():
            xyw = X.T @ yw
        if fit_intercept:
            if y.ndim > 1:
                xyw = xyw - x_mean[:, None] * np.sum(yw, axis=0)
            else:
                xyw = xyw - x_mean * np.sum(yw, axis=0)
    if xyw.ndim == 1:
        xyw = xyw[:, np.newaxis]
    return max(0, np.max(xyw)) if positive else np.sqrt(np.max(np.sum(xyw**2, axis=1)))


@functools.partial(jax.jit, static_argnames=("fit_intercept", "positive"))
@full_precision
def _scan_design(x, y, sw, *, fit_intercept, positive):
    """Whether ``x`` is finite, and :func:`alpha_grid`'s numerator for ``y`` ``(n,)`` and
    weights ``sw`` ``(n,)`` (``None``: no grid): one pass over ``x`` on its device."""
    finite = jnp.all(jnp.isfinite(x))
    if y is None:
        return finite, jnp.zeros((), x.dtype)
    if fit_intercept:  # centred before the product: no cancellation with large means
        total = jnp.sum(sw)
        y = y - jnp.dot(sw, y) / total
        x = x - (sw @ x) / total
    xy = (y * sw) @ x  # (not x.T @ …: a transpose on XLA's CPU)
    return finite, jnp.max(xy) if positive else jnp.max(jnp.abs(xy))


def _raise_not_finite(estimator, X, cast):
    """scikit-learn's error for a non-finite ``X``, or for values that ``cast`` (``X`` in
    the compute dtype) turned infinite."""
    with config_context(assume_finite=False):  # its message names NaN or infinity
        check_array(np.asarray(X), ensure_all_finite=True, dtype=None, input_name="X",
                    estimator=estimator)
    raise ValueError(
        f"Input X contains infinity or a value too large for {np.dtype(cast)!r}, the dtype "
        "JAX computes in (float64 needs jax.config.update('jax_enable_x64', True))."
    )


def design_to_device(estimator, X, y=None, sw=None, *, fit_intercept=False, positive=False):
    """``X`` (validated except finiteness: ``validate_xy(..., finite_x=False)``) on its
    device in the compute dtype, checked finite, and with ``y`` ``(n,)`` the numerator of
    scikit-learn's default alpha grid (:func:`grid_from_max`), else ``None``.

    On an accelerator the check and the numerator are one small program on the device,
    which needs ``X`` anyway: two passes over ``X`` on the host (scikit-learn's check and
    the grid's ``Xᵀy``) took 45 ms for a 10000×2000 float64 design on an H200 machine.
    On CPU, where the device is the host, both stay numpy's (no program to compile; the
    grid is scikit-learn's arithmetic, its ``Xᵀy`` on one BLAS thread: see
    :func:`_one_blas_thread`). A non-finite ``X`` raises scikit-learn's
    error, naming ``X`` (also for float64 values beyond float32's range when JAX computes
    in float32).
    """
    dtype = jax_dtype(X.dtype)
    if jax.default_backend() == "cpu":
        host = np.asarray(X)
        with np.errstate(over="ignore"):  # float64 beyond float32's range: the check below
            cast = host.astype(dtype, copy=False)
        if cast.ndim != 2 or 0 in cast.shape:  # unchecked input (check_input=False)
            check_array(cast, dtype=None, input_name="X", estimator=estimator)
        try:
            assert_all_finite(cast, input_name="X", estimator_name=type(estimator).__name__)
        except ValueError:
            _raise_not_finite(estimator, host, dtype)
        x_device = X if isinstance(X, jax.Array) and X.dtype == dtype else to_jax(cast, dtype)
        xy_max = None if y is None else _xy_max(host, y, fit_intercept=fit_intercept,
                                                 sample_weight=sw, positive=positive)
        return x_device, xy_max
    with np.errstate(over="ignore"):
        x_device = to_jax(X, dtype)
    y_device = weights = None
    if y is not None:
        y_device = to_jax(y, dtype)
        weights = to_jax(np.ones(X.shape[0], dtype) if sw is None else sw, dtype)
    finite, xy_max = (np.asarray(a) for a in _scan_design(
        x_device, y_device, weights, fit_intercept=bool(fit_intercept),
        positive=bool(positive)))
    if not finite:
        _raise_not_finite(estimator, X, dtype)
    if y is None:
        return x_device, None
    return x_device, max(0, xy_max[()]) if positive else xy_max[()]
