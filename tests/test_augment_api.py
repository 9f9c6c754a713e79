"""The public surface of jreg.augment: key first, keyword-only options, docstrings."""

import inspect

import jreg.augment as augment
from jreg.nn import _augmentation as layers

RANDOM_WITHOUT_PREFIX = {"mixup", "cutmix", "cutout", "rand_augment", "trivial_augment",
                         "aug_mix", "token_dropout"}


def _public_functions():
    for name in augment.__all__:
        obj = getattr(augment, name)
        if inspect.isfunction(obj):
            yield name, obj


def test_all_is_complete_and_sorted():
    exported = set(augment.__all__)
    assert len(exported) == len(augment.__all__)
    public = {n for n in dir(augment) if not n.startswith("_") and n not in {"annotations"}}
    assert public == exported


def test_random_functions_take_key_first():
    random_names = [n for n, _ in _public_functions()
                    if n.startswith("random_") or n in RANDOM_WITHOUT_PREFIX]
    assert len(random_names) > 30
    for name in random_names:
        params = list(inspect.signature(getattr(augment, name)).parameters)
        assert params[0] == "key", name
    for name, fun in _public_functions():
        params = inspect.signature(fun).parameters
        assert "rng" not in params, name
        if name not in random_names:
            assert "key" not in params, name


def test_value_range_and_modes_are_keyword_only():
    keyword_only = {"value_range", "fill_mode", "fill_value", "interpolation", "mask_id",
                    "pad_id", "kernel_size", "rollover", "mask_value", "alpha"}
    for name, fun in _public_functions():
        for param in inspect.signature(fun).parameters.values():
            if param.name in keyword_only:
                assert param.kind is inspect.Parameter.KEYWORD_ONLY, (name, param.name)


def test_every_public_name_is_documented_with_an_example():
    for name, fun in _public_functions():
        doc = inspect.getdoc(fun) or ""
        assert "Examples:" in doc and ">>>" in doc, name
        for param in inspect.signature(fun).parameters:
            assert f"{param}:" in doc, (name, param)
    for name in dir(layers):
        obj = getattr(layers, name)
        if inspect.isclass(obj) and not name.startswith("_") and obj.__module__ == layers.__name__:
            assert ">>>" in (obj.__doc__ or ""), name
