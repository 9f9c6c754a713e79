"""The public surface holds its conventions: introspection of every public name.

Rules (docs/design/foundation.md and shared/STYLE.md):
- every name in a public module's ``__all__`` exists and has a docstring with a runnable
  ``>>>`` example (NamedTuple states, exceptions and warnings: a docstring suffices);
- argument names are the project's (``strength``, ``scaling``, ``learning_rate``,
  ``mask``, ``key``), never their abbreviations;
- prox functions take ``tree`` first, strengths next, then ``scaling``, then keyword-only
  options; the penalty function of the same name takes the same strengths;
- random augmentation functions take ``key`` first (held in detail by
  tests/test_augment_api.py, with the Keras-style positional factors);
- ``mask`` is keyword-only except where the design's public contract places it.
"""

import inspect

import pytest

import jreg

PUBLIC_MODULES = [
    "augment",
    "linear_model",
    "nn",
    "penalties",
    "prox",
    "solvers",
    "transforms",
]

FORBIDDEN_NAMES = {
    "lam", "lmbda", "lambd", "lambda_", "reg", "l1reg", "l2reg", "l1_reg", "l2_reg",
    "lr", "step_size", "stepsize", "rng", "rng_key", "prng_key", "prngkey", "eta",
}

# The public contract of shared/DESIGN.md gives these a positional `mask`.
POSITIONAL_MASK_ALLOWED = {"add_penalty_gradient", "proximal_step", "regularized"}


def _public(module_name):
    module = getattr(jreg, module_name)
    for name in getattr(module, "__all__", []):
        yield module_name, name, getattr(module, name)


ALL_PUBLIC = [item for m in PUBLIC_MODULES for item in _public(m)]
TOP_LEVEL = [("jreg", name, getattr(jreg, name)) for name in jreg.__all__]


def _ids(items):
    return [f"{m}.{n}" for m, n, _ in items]


def _needs_example(obj):
    if not inspect.isclass(obj):
        return callable(obj)
    if issubclass(obj, BaseException):
        return False
    is_named_tuple = issubclass(obj, tuple) and hasattr(obj, "_fields")
    return not is_named_tuple


def _signature(obj):
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def test_top_level_names_exist():
    for name in jreg.__all__:
        assert hasattr(jreg, name), name


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_is_sorted_and_unique(module_name):
    names = list(getattr(getattr(jreg, module_name), "__all__", []))
    assert len(names) == len(set(names)), names
    assert names == sorted(names), f"jreg.{module_name}.__all__ is not sorted"


@pytest.mark.parametrize("module_name", ["jreg", *PUBLIC_MODULES])
def test_every_public_binding_is_in_all(module_name):
    """A name a user can import from a public module without an underscore is listed
    in its ``__all__`` (and so introspected by the tests here and documented)."""
    module = jreg if module_name == "jreg" else getattr(jreg, module_name)
    unlisted = [
        n for n in dir(module)
        if not n.startswith("_") and n not in module.__all__
        and not inspect.ismodule(getattr(module, n))
        and n != "annotations"  # from __future__ import annotations
    ]
    assert not unlisted, f"{module_name}: public but not in __all__: {unlisted}"


def test_top_level_reexports_are_the_documented_objects():
    """``jreg.L1/L2/L1L2`` are the penalties; ``jreg.ElasticNet`` is the estimator (the
    penalty of that name lives only in ``jreg.penalties``)."""
    for name in ("L1", "L2", "L1L2"):
        assert getattr(jreg, name) is getattr(jreg.penalties, name)
    assert jreg.ElasticNet is jreg.linear_model.ElasticNet
    assert jreg.ElasticNet is not jreg.penalties.ElasticNet
    for name in ("Lasso", "Ridge", "LassoCV", "ElasticNetCV", "RidgeCV", "lasso_path",
                 "enet_path"):
        assert getattr(jreg, name) is getattr(jreg.linear_model, name)


@pytest.mark.parametrize("module_name,name,obj", ALL_PUBLIC, ids=_ids(ALL_PUBLIC))
def test_docstring_with_example(module_name, name, obj):
    if inspect.ismodule(obj):
        return
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"jreg.{module_name}.{name} has no docstring"
    if _needs_example(obj):
        docs = doc
        if inspect.isclass(obj):
            docs += inspect.getdoc(obj.__init__) or ""
        assert ">>>" in docs, f"jreg.{module_name}.{name} has no runnable example"


@pytest.mark.parametrize("module_name,name,obj", ALL_PUBLIC, ids=_ids(ALL_PUBLIC))
def test_argument_names(module_name, name, obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    sig = _signature(target) if callable(target) else None
    if sig is None:
        return
    params = sig.parameters
    bad = FORBIDDEN_NAMES & set(params)
    assert not bad, f"jreg.{module_name}.{name} uses abbreviated argument names {bad}"
    optax_mask = module_name in {"transforms", "nn"}  # elsewhere `mask` is data (tokens)
    if optax_mask and "mask" in params and name not in POSITIONAL_MASK_ALLOWED:
        assert params["mask"].kind is inspect.Parameter.KEYWORD_ONLY, (
            f"jreg.{module_name}.{name}: mask must be keyword-only"
        )


# Arguments a caller may pass by position (data, the penalty, the step size, and the
# Keras-positional bounds of the constraints); every other option is keyword-only.
POSITIONAL_ALLOWED = {
    "transforms": {"penalty", "learning_rate", "loss_fn", "mask", "max_value", "min_value"},
    "solvers": {"X", "y", "coef", "alpha", "alphas", "l1_ratio", "penalty", "curvature"},
}
STEP_SIZE_TAKERS = {"proximal_step", "prox_sgd", "prox_adagrad", "prox_adam"}
OPTIONS = [item for item in ALL_PUBLIC if item[0] in POSITIONAL_ALLOWED
           and not inspect.isclass(item[2]) or item[:2] == ("solvers", "Quadratic")]


@pytest.mark.parametrize("module_name,name,obj", OPTIONS, ids=_ids(OPTIONS))
def test_options_are_keyword_only(module_name, name, obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = [p for p in inspect.signature(target).parameters.values() if p.name != "self"]
    positional = {p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD}
    extra = positional - POSITIONAL_ALLOWED[module_name]
    assert not extra, f"jreg.{module_name}.{name}: options {extra} must be keyword-only"
    if name in STEP_SIZE_TAKERS:
        names = [p.name for p in params]
        assert "learning_rate" in names and "penalty" in names, names


PROX = [item for item in ALL_PUBLIC if item[0] == "prox"]


@pytest.mark.parametrize("module_name,name,obj", PROX, ids=_ids(PROX))
def test_prox_signature_convention(module_name, name, obj):
    params = list(inspect.signature(obj).parameters.values())
    assert params[0].name == "tree"
    kinds = [p.kind for p in params]
    names = [p.name for p in params]
    if name.startswith("projection_"):
        assert "scaling" not in names
        return
    assert "scaling" in names, f"prox.{name} has no scaling argument"
    position = names.index("scaling")
    assert params[position].default == 1.0
    assert all(k is inspect.Parameter.POSITIONAL_OR_KEYWORD for k in kinds[: position + 1])
    assert all(k is inspect.Parameter.KEYWORD_ONLY for k in kinds[position + 1 :]), (
        f"prox.{name}: options after scaling must be keyword-only"
    )
    assert "strength" in names[1:position], f"prox.{name} names its strength otherwise"


@pytest.mark.parametrize("module_name,name,obj", PROX, ids=_ids(PROX))
def test_penalty_function_matches_prox(module_name, name, obj):
    penalty_function = getattr(jreg.penalties, name, None)
    if name.startswith("projection_"):
        return
    assert penalty_function is not None, f"jreg.penalties.{name} is missing"
    prox_params = [p for p in inspect.signature(obj).parameters if p != "scaling"]
    value_params = list(inspect.signature(penalty_function).parameters)
    assert value_params == prox_params, (name, value_params, prox_params)
