"""scikit-learn's parameter protocol, for the model: ``get_params``, ``set_params`` and a
repr naming the parameters set away from their defaults.

Written out rather than inherited from ``sklearn.base.BaseEstimator``: importing that
loads scikit-learn's utilities and SciPy's statistics, 1.1 s added to every classify run,
which otherwise never imports them. ``sklearn.base.clone`` works on it all the same.
"""

from __future__ import annotations

import inspect
from typing import Any


class ParamsMixin:
    """Parameters are ``__init__``'s arguments, stored under their own names."""

    @classmethod
    def _param_defaults(cls) -> dict[str, Any]:
        signature = inspect.signature(cls.__init__)
        return {n: p.default for n, p in signature.parameters.items() if n != "self"}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The parameters, by name (``deep`` is accepted for scikit-learn; none nests)."""
        return {name: getattr(self, name) for name in sorted(self._param_defaults())}

    def set_params(self, **params: Any) -> Any:
        """Set parameters by name; an unknown name is refused. Returns ``self``."""
        unknown = sorted(set(params) - set(self._param_defaults()))
        if unknown:
            raise ValueError(
                f"{type(self).__name__} has no parameter {', '.join(unknown)}; its parameters "
                f"are {', '.join(sorted(self._param_defaults()))}"
            )
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = self._param_defaults()
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if not _same(value, defaults[name])
        ]
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(value: Any, default: Any) -> bool:
    try:
        return bool(value == default)
    except Exception:  # an array-like compared element-wise: not the default
        return False
