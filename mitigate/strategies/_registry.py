"""The strategy registry: names → classes, imported on first use."""

from __future__ import annotations

import difflib
import importlib

from mitigate.session import Strategy

__all__ = ["get", "available", "register"]

# name -> "module:Class"; modules are imported only when asked for (strategies may need optional packages).
_BUILTIN: dict[str, str] = {
    "freeze": "mitigate.strategies.freeze:FreezeModules",
    "gradual_unfreezing": "mitigate.strategies.gradual:GradualUnfreezing",
    "lr_decay": "mitigate.strategies.lr_decay:LayerwiseLRDecay",
    "l2sp": "mitigate.strategies.l2sp:L2SP",
    "bss": "mitigate.strategies.bss:BSS",
    "relearn": "mitigate.strategies.relearn:Relearn",
    "similarity_freezing": "mitigate.strategies.similarity:SimilarityFreezing",
    "prune_biased_units": "mitigate.strategies.pruning:PruneBiasedUnits",
    "discriminator_gate": "mitigate.strategies.gating:DiscriminatorGate",
    "select_pretraining_state": "mitigate.strategies.selection:SelectPretrainingState",
}
_EXTRA: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Add a strategy class under ``cls.name`` (usable as a decorator). Names must be unique.

    >>> class Nothing(Strategy):
    ...     name = "nothing_doctest"
    >>> register(Nothing) is Nothing, "nothing_doctest" in available()
    (True, True)
    >>> _EXTRA.pop("nothing_doctest") is Nothing  # leave the registry as it was
    True
    """
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise TypeError(f"Expected argument `cls` to be a Strategy subclass, but got {cls!r}.")
    name = cls.name
    known = _BUILTIN.get(name)
    if (known and known != f"{cls.__module__}:{cls.__qualname__}") or (name in _EXTRA and _EXTRA[name] is not cls):
        raise ValueError(f"Expected a new strategy name, but {name!r} is already registered.")
    if not known:
        _EXTRA[name] = cls
    return cls


def available() -> list[str]:
    """Registered strategy names, sorted.

    >>> "l2sp" in available()
    True
    """
    return sorted(set(_BUILTIN) | set(_EXTRA))


def get(name: str) -> type[Strategy]:
    """The strategy class registered as ``name``.

    >>> get("l2sp").__name__
    'L2SP'
    """
    if name in _EXTRA:
        return _EXTRA[name]
    if name not in _BUILTIN:
        close = difflib.get_close_matches(str(name), available(), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"Expected argument `name` to be one of {available()}, but got {name!r}.{hint}")
    module, cls = _BUILTIN[name].split(":")
    return getattr(importlib.import_module(module), cls)
