"""Find a named submodule and describe its units (the output features a pruning strategy can remove)."""

from __future__ import annotations

import difflib

from torch import nn

__all__ = ["resolve_module", "unit_count", "unit_dim"]

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def resolve_module(model: nn.Module, name: str) -> nn.Module:
    """The submodule of ``model`` called ``name``, or a ``ValueError`` listing the closest names.

    >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    >>> resolve_module(model, "0")
    Linear(in_features=2, out_features=3, bias=True)
    """
    if not isinstance(name, str):
        raise TypeError(f"Expected argument `layer` to be a module name (str), but got {type(name).__name__}.")
    modules = dict(model.named_modules())
    if name in modules and name != "":
        return modules[name]
    candidates = [key for key in modules if key]
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.3)
    shown = close or candidates[:10]
    raise ValueError(
        f"Expected argument `layer` to name a submodule of the model, but got {name!r}. "
        f"Closest candidates: {', '.join(repr(c) for c in shown) or 'none (the model has no submodules)'}."
    )


def unit_dim(module: nn.Module) -> int:
    """The axis of the module's output that indexes units: 1 (channels) for convolutions, else the last.

    >>> unit_dim(nn.Conv2d(1, 4, 3)), unit_dim(nn.Linear(2, 3))
    (1, -1)
    """
    return 1 if isinstance(module, _CONV) else -1


def unit_count(module: nn.Module, *, layer: str = "layer") -> int:
    """Number of prunable units of a Linear, LSTM (both directions) or convolution module.

    >>> unit_count(nn.LSTM(4, 5, bidirectional=True, batch_first=True))
    10
    """
    if isinstance(module, nn.Linear):
        return module.out_features
    if isinstance(module, _CONV):
        return module.out_channels
    if isinstance(module, nn.LSTM):
        if module.proj_size:
            raise ValueError(f"Expected layer {layer!r} to be an LSTM without projection, but got proj_size={module.proj_size}.")
        return module.hidden_size * (2 if module.bidirectional else 1)
    raise TypeError(
        f"Expected layer {layer!r} to be an nn.Linear, nn.LSTM or nn.Conv1d/2d/3d for unit surgery, "
        f"but got {type(module).__name__}."
    )
