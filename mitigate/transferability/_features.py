"""One forward pass of a model over a target set, catching a module's output (features) and the source head's."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["TargetFeatures", "extract_features"]

_HOW_TO_EXPOSE = (
    "Expose the features as the output of a named submodule: add `self.feats = nn.Identity()` in __init__ and "
    "call `x = self.feats(x)` in forward (an nn.LSTM returns a tuple, so wrap its output tensor this way)."
)


@dataclass(frozen=True)
class TargetFeatures:
    """What the proxies read: ``features`` (N, D) float64, integer ``labels`` (N,) and, when a head was given,
    ``source_probs`` (N, Z), the softmax of the head's output."""

    features: np.ndarray
    labels: np.ndarray
    source_probs: np.ndarray | None = None


def _find_module(model: nn.Module, name: str, argument: str) -> nn.Module:
    modules = dict(model.named_modules())
    if name not in modules:
        close = difflib.get_close_matches(name, [n for n in modules if n], n=5)
        hint = f" Close matches: {close}." if close else ""
        raise ValueError(
            f"Expected argument `{argument}` to name a submodule of the model, but got {name!r}.{hint} {_HOW_TO_EXPOSE}"
        )
    return modules[name]


def extract_features(
    *,
    model: nn.Module,
    batches: Iterable[tuple[Any, torch.Tensor]],
    module: str,
    head: str | None = None,
    forward: Callable[[nn.Module, Any], Any] | None = None,
) -> TargetFeatures:
    """Run ``model`` once over ``batches`` in eval mode (no gradients) and collect the output of submodule
    ``module`` (features) and, if given, of submodule ``head`` (logits of the source task, turned into
    probabilities with a softmax over the last dimension).

    Each batch is ``(inputs, labels)``: ``inputs`` is passed as ``model(*inputs)`` when it is a tuple or list and
    ``model(inputs)`` otherwise (or ``forward(model, inputs)``). The module's output must be a tensor of shape
    ``labels.shape + (D,)`` (per item, or per token for taggers); positions whose label is negative (padding,
    ``-100``) are dropped. The model's train/eval mode is restored afterwards.

    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> x, y = torch.randn(5, 3), torch.tensor([0, 1, 0, 1, -100])
    >>> out = extract_features(model=net, batches=[(x, y)], module="1", head="2")
    >>> out.features.shape, out.labels.tolist(), out.source_probs.shape
    ((4, 4), [0, 1, 0, 1], (4, 2))
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"Expected argument `model` to be a torch.nn.Module, but got {type(model).__name__}.")
    targets = {"module": _find_module(model, module, "module")}
    if head is not None:
        targets["head"] = _find_module(model, head, "head")
    caught: dict[str, list[torch.Tensor]] = {key: [] for key in targets}
    labels_out: list[torch.Tensor] = []

    def make_hook(key: str, name: str) -> Callable[..., None]:
        def hook(_mod: nn.Module, _inp: Any, output: Any) -> None:
            if not isinstance(output, torch.Tensor):
                raise ValueError(
                    f"Expected submodule {name!r} (argument `{key}`) to output a tensor, but it returned "
                    f"{type(output).__name__}. {_HOW_TO_EXPOSE}"
                )
            caught[key].append(output.detach())

        return hook

    handles = [targets[key].register_forward_hook(make_hook(key, name)) for key, name in
               (("module", module), ("head", head)) if key in targets]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in batches:
                if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                    raise TypeError(
                        "Expected argument `batches` to yield (inputs, labels) pairs, "
                        f"but got {type(batch).__name__}{'' if not isinstance(batch, (tuple, list)) else f' of length {len(batch)}'}."
                    )
                inputs, labels = batch
                before = {key: len(values) for key, values in caught.items()}
                if forward is not None:
                    forward(model, inputs)
                elif isinstance(inputs, (tuple, list)):
                    model(*inputs)
                else:
                    model(inputs)
                for key, values in caught.items():
                    if len(values) != before[key] + 1:
                        raise ValueError(
                            f"Expected submodule for argument `{key}` to run once per batch, but it ran "
                            f"{len(values) - before[key]} times; expose one tensor per batch. {_HOW_TO_EXPOSE}"
                        )
                labels = torch.as_tensor(labels)
                for key, values in caught.items():
                    if tuple(values[-1].shape[:-1]) != tuple(labels.shape):
                        raise ValueError(
                            f"Expected the output of argument `{key}` to have shape labels.shape + (D,) = "
                            f"{tuple(labels.shape)} + (D,), but got {tuple(values[-1].shape)}."
                        )
                keep = labels >= 0
                for key, values in caught.items():
                    values[-1] = values[-1][keep]
                labels_out.append(labels[keep])
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    if not labels_out or sum(int(t.numel()) for t in labels_out) == 0:
        raise ValueError("Expected argument `batches` to hold at least one labelled item, but got none.")
    features = torch.cat(caught["module"]).double().numpy()
    probs = torch.softmax(torch.cat(caught["head"]).double(), dim=-1).numpy() if head is not None else None
    return TargetFeatures(features=features, labels=torch.cat(labels_out).long().numpy(), source_probs=probs)
