"""Shared helpers of the freezing family: the model's layers in bottom-to-top order."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from mitigate.session._names import match_modules

__all__ = ["layer_names"]


def layer_names(model: nn.Module, layers: Sequence[str] | None, *, argument: str = "layers") -> list[str]:
    """``layers`` checked against the model, or by default its top-level children that hold parameters, in
    definition order (bottom to top for sequential models).

    >>> layer_names(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)), None)
    ['0', '2']
    """
    if layers is None:
        return [name for name, child in model.named_children() if any(True for _ in child.parameters())]
    for name in layers:
        match_modules(model, [name], argument=argument)
    return list(layers)
