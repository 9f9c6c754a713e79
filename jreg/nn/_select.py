"""Selecting parameters of an NNX model by path pattern or NNX filter (shared by
:mod:`jreg.nn` penalties and constraints).

A *selector* is either

* a ``str``: a regular expression searched (``re.search``) in the parameter's path
  joined with ``/``, e.g. ``"kernel$"`` (every kernel), ``"^layers/0/"`` (the first
  layer of an ``nnx.List`` named ``layers``), ``"^encoder/.*bias$"``; or
* any NNX filter (:mod:`flax.nnx.filterlib`): a ``Variable`` type (``nnx.Param``),
  ``nnx.PathContains("kernel")``, ``nnx.All(...)``/``nnx.Any(...)``/``nnx.Not(...)``,
  ``...`` or ``True`` (everything), or a callable ``(path, variable) -> bool``.

(NNX itself reads a bare string filter as a tag; jreg reads it as a path pattern,
which is what Keras users assigning per-layer regularizers need.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
from flax import nnx
from flax.nnx import filterlib

Path = tuple[Any, ...]


def _key_name(key: Any) -> Any:
    for attribute in ("key", "name", "idx"):
        if hasattr(key, attribute):
            return getattr(key, attribute)
    return str(key)


def path_string(path: Path) -> str:
    """``('layers', 0, 'kernel')`` -> ``'layers/0/kernel'``."""
    return "/".join(str(part) for part in path)


def to_predicate(selector: Any, name: str = "selector") -> Callable[[Path, Any], bool]:
    """Turn a selector (regex string or NNX filter) into ``predicate(path, leaf)``."""
    if isinstance(selector, str):
        try:
            pattern = re.compile(selector)
        except re.error as error:
            raise ValueError(
                f"{name} {selector!r} is not a valid regular expression: {error}."
            ) from None
        return lambda path, leaf: pattern.search(path_string(path)) is not None
    if isinstance(selector, re.Pattern):
        return lambda path, leaf: selector.search(path_string(path)) is not None
    try:
        return filterlib.to_predicate(selector)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a regular expression string or an NNX filter, got {selector!r}."
        ) from None


def normalize_rules(rules: Any, name: str) -> tuple[tuple[Any, Any], ...]:
    """A mapping ``{selector: value}`` or a sequence of ``(selector, value)`` pairs."""
    if isinstance(rules, Mapping):
        return tuple(rules.items())
    if isinstance(rules, Sequence) and not isinstance(rules, str):
        pairs = []
        for rule in rules:
            if not (isinstance(rule, Sequence) and not isinstance(rule, str) and len(rule) == 2):
                raise TypeError(
                    f"{name} must be a mapping {{selector: value}} or a sequence of "
                    f"(selector, value) pairs, got the entry {rule!r}."
                )
            pairs.append(tuple(rule))
        return tuple(pairs)
    raise TypeError(
        f"{name} must be a mapping {{selector: value}} or a sequence of (selector, value) "
        f"pairs, got {type(rules).__name__}."
    )


def _is_variable(x: Any) -> bool:
    return isinstance(x, nnx.Variable)


def parameters(model_or_state: Any, wrt: Any) -> Any:
    """The parameter tree: ``nnx.state(model, wrt)`` for a module, else the tree itself.

    A ``State`` (or any pytree) holding ``Variable`` leaves is filtered by ``wrt``; a
    tree of plain arrays (``nnx.as_pure(state)``, a dict) is taken as it is.
    """
    if isinstance(model_or_state, nnx.Module):
        return nnx.state(model_or_state, wrt)
    return model_or_state


def path_of(keys: Sequence[Any]) -> Path:
    """A ``jax.tree_util`` key path as an NNX path: ``('layers', 0, 'kernel')``."""
    return tuple(_key_name(k) for k in keys)


def flat_parameters(model_or_state: Any, wrt: Any) -> list[tuple[Path, Any]]:
    """``[(path, leaf)]`` with ``leaf`` a ``Variable`` (module/State) or an array."""
    tree = parameters(model_or_state, wrt)
    keep = filterlib.to_predicate(wrt)
    flat, _ = jax.tree_util.tree_flatten_with_path(tree, is_leaf=_is_variable)
    out = []
    for keys, leaf in flat:
        path = path_of(keys)
        if _is_variable(leaf) and not keep(path, leaf):
            continue
        out.append((path, leaf))
    return out


def leaf_value(leaf: Any) -> Any:
    """The array inside a ``Variable`` (or the array itself)."""
    return leaf.get_value() if _is_variable(leaf) else leaf


def first_match(predicates: Sequence[Callable], path: Path, leaf: Any) -> int | None:
    """Index of the first predicate that selects ``(path, leaf)``, or ``None``."""
    for index, predicate in enumerate(predicates):
        if predicate(path, leaf):
            return index
    return None
