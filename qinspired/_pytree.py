"""The one pytree idiom of the package: frozen dataclasses that are validated once.

Every domain object that JAX transforms (noise channels, noise models,
circuits, matrix product states, tree tensor networks, trainable bond
tensors) is declared with :func:`pytree_dataclass`, and nothing else in the
package registers pytrees (a test checks). The rule:

* **Arrays are leaves.** Parameters, tensors, noise strengths and custom gate
  matrices are the fields ``jit``, ``vmap`` and ``grad`` see and replace.
* **Structure is static.** Fields declared with :func:`static_field` (qubit
  counts, wires, gate names, the label site, padding) go into the tree
  definition: they must be hashable, and a jitted function retraces when
  they change and only then.
* **Validation runs only at construction.** ``__init__`` and
  ``__post_init__`` check what a user builds; unflattening never calls them.
  JAX rebuilds objects from leaves that are tracers, batched arrays,
  gradients (a cotangent of a probability need not lie in [0, 1]) or
  placeholder objects, and re-running the checks on those would raise or
  silently coerce. ``flax.struct.dataclass`` and
  ``jax.tree_util.register_dataclass`` both re-run ``__init__`` when they
  unflatten, which is why neither is used here.

Code that assembles the fields of an object itself, in the same form as an
unflattened one (e.g. MPS tensors with a leading batch axis), builds it with
:func:`unchecked`; everything else calls the constructor.

Examples
--------
>>> import jax, jax.numpy as jnp
>>> @pytree_dataclass
... class Scaled:
...     weight: jax.Array
...     n_wires: int = static_field()
...     def __post_init__(self):
...         if not 0 <= float(self.weight) <= 1:
...             raise ValueError("weight must be in [0, 1]")
>>> s = Scaled(jnp.asarray(0.5), n_wires=2)
>>> g = jax.grad(lambda s: 4.0 * s.weight)(s)  # a gradient of 4: no validation on rebuild
>>> float(g.weight), g.n_wires
(4.0, 2)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, overload

import jax

__all__ = ["is_pytree_dataclass", "pytree_dataclass", "static_field", "unchecked"]

T = TypeVar("T")

_STATIC = "qinspired.pytree.static"
_FIELDS = "_pytree_fields"


def static_field(**kwargs: Any) -> Any:
    """A dataclass field that is part of the pytree's structure, not a leaf.

    Takes the keyword arguments of :func:`dataclasses.field` (``default``,
    ``default_factory``, ...). The value must be hashable.
    """
    metadata = {**kwargs.pop("metadata", {}), _STATIC: True}
    return dataclasses.field(metadata=metadata, **kwargs)


@overload
def pytree_dataclass(cls: type[T], /) -> type[T]: ...


@overload
def pytree_dataclass(*, eq: bool = True) -> Callable[[type[T]], type[T]]: ...


def pytree_dataclass(cls: type[T] | None = None, /, *, eq: bool = True) -> Any:
    """Make ``cls`` a frozen dataclass registered as a pytree (see the module rule).

    Fields are leaves unless declared with :func:`static_field`. Flattening
    yields the leaf fields in declaration order; unflattening sets the
    fields on a new object without calling ``__init__`` or
    ``__post_init__``. The class gains ``replace(**changes)``, which goes
    through the constructor (and its validation) like
    :func:`dataclasses.replace`.

    Parameters
    ----------
    cls : type
        The class; used bare (``@pytree_dataclass``) or called
        (``@pytree_dataclass(eq=False)``).
    eq : bool, default True
        Whether the dataclass generates ``__eq__`` (pass False to keep one's own).
    """
    def wrap(cls: type[T]) -> type[T]:
        cls = dataclasses.dataclass(frozen=True, eq=eq)(cls)
        fields = dataclasses.fields(cls)
        data = tuple(f.name for f in fields if not f.metadata.get(_STATIC, False))
        meta = tuple(f.name for f in fields if f.metadata.get(_STATIC, False))
        keys = tuple(jax.tree_util.GetAttrKey(n) for n in data)

        def flatten_with_keys(obj: Any) -> tuple[list[tuple[Any, Any]], tuple[Any, ...]]:
            return ([(k, getattr(obj, n)) for k, n in zip(keys, data)],
                    tuple(getattr(obj, n) for n in meta))

        def flatten(obj: Any) -> tuple[list[Any], tuple[Any, ...]]:
            return [getattr(obj, n) for n in data], tuple(getattr(obj, n) for n in meta)

        def unflatten(aux: tuple[Any, ...], children: Any) -> Any:
            obj = object.__new__(cls)
            for n, v in zip(data, children):
                object.__setattr__(obj, n, v)
            for n, v in zip(meta, aux):
                object.__setattr__(obj, n, v)
            return obj

        jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
        setattr(cls, _FIELDS, (data, meta))
        if "replace" not in cls.__dict__:
            cls.replace = _replace  # type: ignore[attr-defined]
        return cls

    return wrap if cls is None else wrap(cls)


def _replace(self: T, **changes: Any) -> T:
    """A copy with ``changes`` applied, built (and validated) by the constructor."""
    return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def is_pytree_dataclass(cls: type) -> bool:
    """Whether ``cls`` itself (not only a base class) was declared with :func:`pytree_dataclass`."""
    return _FIELDS in vars(cls)


def unchecked(cls: type[T], /, **fields: Any) -> T:
    """An instance of the pytree dataclass ``cls`` built as unflattening builds it: unvalidated.

    Every field must be given. For code that assembled the fields itself in
    the form an unflattened object may hold (tracers, a leading batch axis);
    use the constructor for anything a user provides.
    """
    if not is_pytree_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a pytree_dataclass")
    data, meta = getattr(cls, _FIELDS)
    if set(fields) != set(data) | set(meta):
        raise TypeError(f"{cls.__name__}: unchecked() needs exactly the fields "
                        f"{sorted(data + meta)}, got {sorted(fields)}")
    obj = object.__new__(cls)
    for n, v in fields.items():
        object.__setattr__(obj, n, v)
    return obj
