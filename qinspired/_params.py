"""scikit-learn style parameters for the core's configurable objects.

Feature maps and kernels are not estimators, but they sit inside estimators
as parameters, so :func:`sklearn.base.clone`, ``get_params(deep=True)`` and
nested ``set_params(kernel__feature_map__reps=3)`` must work on them. This
mixin provides that without importing scikit-learn: every constructor
argument is an explicit keyword stored unchanged under its own name.
"""

from __future__ import annotations

import inspect
from typing import Any


class Params:
    """Constructor-signature parameters with nested ``get_params``/``set_params``."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            raise TypeError(f"{cls.__name__}.__init__ must not take *args or **kwargs")
        return [p.name for p in params]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters by name; with ``deep``, also ``name__sub`` entries
        of parameters that have parameters themselves."""
        out: dict[str, Any] = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params(deep=True).items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> "Params":
        """Set parameters by name (``name__sub`` sets a parameter's own parameter)."""
        valid = self._get_param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, sep, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid parameters are: {', '.join(valid)}")
            if sep:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            target = getattr(self, name)
            if not hasattr(target, "set_params"):
                raise ValueError(f"{type(self).__name__}.{name} is {target!r}, which has no "
                                 f"parameters to set ({', '.join(sub_params)})")
            target.set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params(deep=False).items())
        return f"{type(self).__name__}({args})"
