"""Linear CKA (Kornblith, Norouzi, Lee, Hinton, ICML 2019) between layer representations of two models."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from mitigate.session._names import match_modules

__all__ = ["linear_cka", "layer_cka"]


def linear_cka(x: torch.Tensor, y: torch.Tensor) -> float:
    """Linear CKA of two representations of the same ``n`` items: ``x`` (n, d1), ``y`` (n, d2).
    1 means equal up to rotation and isotropic scaling; invariant to both.

    >>> x = torch.randn(50, 4, generator=torch.Generator().manual_seed(0))
    >>> round(linear_cka(x, 3 * x @ torch.linalg.qr(torch.randn(4, 4))[0]), 4)
    1.0
    """
    for argument, value in (("x", x), ("y", y)):
        if not isinstance(value, torch.Tensor) or value.dim() != 2:
            got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise ValueError(f"Expected argument `{argument}` to be a 2-d tensor (items, dim), but got {got}.")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"Expected arguments `x` and `y` to hold the same items, but got {x.shape[0]} and {y.shape[0]} rows.")
    x = x.double() - x.double().mean(dim=0, keepdim=True)
    y = y.double() - y.double().mean(dim=0, keepdim=True)
    cross = torch.linalg.matrix_norm(y.T @ x) ** 2
    norm = torch.linalg.matrix_norm(x.T @ x) * torch.linalg.matrix_norm(y.T @ y)
    return float(cross / norm) if float(norm) > 0 else 0.0


def _as_matrix(output: Any) -> torch.Tensor:
    if isinstance(output, PackedSequence):
        output = output.data
    elif isinstance(output, (tuple, list)):
        return _as_matrix(output[0])
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"Expected a layer to output a tensor, but got {type(output).__name__}.")
    return output.reshape(-1, output.shape[-1]) if output.dim() > 1 else output.reshape(-1, 1)


def _forward(model: nn.Module, inputs: Any) -> Any:
    return model(*inputs) if isinstance(inputs, (tuple, list)) else model(inputs)


def layer_cka(
    model_a: nn.Module, model_b: nn.Module, batches: Iterable[Any], *, layers: Sequence[str]
) -> dict[str, float]:
    """Linear CKA per named layer between two models with the same layer names, on the same inputs (eval mode,
    no gradients). ``batches`` yields ``(inputs, targets)``; items are rows of each layer's output flattened to
    (items, dim) (an RNN's packed output gives one row per real token); rows that are zero in both models
    (padding) are dropped.

    >>> from mitigate.testing import TinyTagger, tiny_tagger_batches
    >>> layer_cka(TinyTagger(), TinyTagger(), tiny_tagger_batches(), layers=["fe", "classifier"])
    {'fe': 1.0, 'classifier': 1.0}
    """
    captured: dict[tuple[int, str], list[torch.Tensor]] = {}
    handles = []
    for side, model in enumerate((model_a, model_b)):
        for name, module in match_modules(model, list(layers), argument="layers"):
            def hook(module: nn.Module, args: Any, output: Any, _key: tuple[int, str] = (side, name)) -> None:
                captured.setdefault(_key, []).append(_as_matrix(output).detach())

            handles.append(module.register_forward_hook(hook))
    modes = [m.training for m in (model_a, model_b)]
    try:
        model_a.eval()
        model_b.eval()
        with torch.no_grad():
            for inputs, _ in batches:
                _forward(model_a, inputs)
                _forward(model_b, inputs)
    finally:
        for handle in handles:
            handle.remove()
        model_a.train(modes[0])
        model_b.train(modes[1])
    out: dict[str, float] = {}
    for name in layers:
        x = torch.cat(captured.get((0, name), []) or [torch.zeros(0, 1)])
        y = torch.cat(captured.get((1, name), []) or [torch.zeros(0, 1)])
        keep = (x != 0).any(dim=1) | (y != 0).any(dim=1)
        out[name] = round(linear_cka(x[keep], y[keep]), 6) if int(keep.sum()) > 1 else 0.0
    return out
