"""Per-unit importance of one layer with Captum, on one data set, through one head.

The attributed quantity for a batch is, per example, the sum over its labelled items (tokens) of the log-probability
of each item's gold label, ``F(x) = Σ_t log p(y_t | x)``: one backward pass per batch covers every token, and by
linearity the layer attribution of ``F`` is the sum of the per-token attributions. A unit's importance is the mean
over labelled items of ``|A|`` at the item's position (over the whole example for non-sequence outputs).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from mitigate.attribution._adapter import tensor_output
from mitigate.attribution._batches import Batches, split_batch
from mitigate.attribution._modules import resolve_module, unit_dim

__all__ = ["UnitImportance", "unit_importance", "METHODS"]

Method = Literal["conductance", "gradient_x_activation", "activation"]
METHODS: tuple[str, ...] = ("conductance", "gradient_x_activation", "activation")


@dataclass
class UnitImportance:
    """Mean ``|attribution|`` per unit (``importance``, shape ``(units,)``) over ``n_items`` items.

    ``label_importance[c, u]`` is the mean over items whose gold label is ``c`` (``None`` when the layer's output
    is not aligned with the items), ``label_counts[c]`` the number of such items.
    """

    layer: str
    method: str
    importance: torch.Tensor
    n_items: int
    label_importance: torch.Tensor | None = None
    label_counts: torch.Tensor | None = None


@contextmanager
def _scoring_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode and gradients enabled on every parameter (frozen ones included), restored afterwards."""
    was_training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in flags:
        p.requires_grad_(True)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        model.train(was_training)


@contextmanager
def _probe_head(model: nn.Module, head: str | None, probe: nn.Module | None) -> Iterator[None]:
    if probe is None:
        yield
        return
    if head is None:
        raise ValueError("Expected argument `head` (the module the probe replaces) when `probe` is given, but got None.")
    handle = resolve_module(model, head).register_forward_hook(lambda _m, inputs, _o: probe(inputs[0]))
    try:
        yield
    finally:
        handle.remove()


def _captum_method(method: str, forward: Any, layer: nn.Module) -> Any:
    from captum.attr import LayerActivation, LayerConductance, LayerGradientXActivation

    if method == "conductance":
        return LayerConductance(forward, layer)
    if method == "gradient_x_activation":
        return LayerGradientXActivation(forward, layer)
    return LayerActivation(forward, layer)


class _Scaler:
    """Interpolates the model between a zero baseline and the input through one scalar ``alpha`` per example."""

    def __init__(self, model: nn.Module, scale_at: str | None) -> None:
        self.alpha: torch.Tensor | None = None
        self.scale_at = scale_at
        self.module = None if scale_at is None else resolve_module(model, scale_at)

    def scale(self, x: torch.Tensor) -> torch.Tensor:
        if self.alpha is None or self.alpha.shape[0] != x.shape[0]:
            raise ValueError(
                f"Expected the output of `scale_at` module {self.scale_at!r} to be batch first "
                f"(first dim {None if self.alpha is None else self.alpha.shape[0]}), but got shape {tuple(x.shape)}."
            )
        return x * self.alpha.reshape(-1, *([1] * (x.dim() - 1))).to(x.dtype)

    @contextmanager
    def hooked(self) -> Iterator[None]:
        if self.module is None:
            yield
            return

        def hook(_m: nn.Module, _i: Any, output: Any) -> Any:
            if not isinstance(output, torch.Tensor):
                raise ValueError(
                    f"Expected `scale_at` module {self.scale_at!r} to output a tensor, but got {type(output).__name__}."
                )
            return self.scale(output)

        handle = self.module.register_forward_hook(hook)
        try:
            yield
        finally:
            handle.remove()


def _reduce(
    attribution: torch.Tensor, weights: torch.Tensor, targets: torch.Tensor, axis: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Sum of ``|A|`` per unit over the weighted items, and per item ``(n_items, units)`` when aligned."""
    a = attribution.abs().movedim(axis, -1)
    if tuple(a.shape[:-1]) == tuple(targets.shape):
        per_item = a[weights > 0]
        return per_item.sum(0), per_item
    if a.dim() > 2 and a.shape[0] == targets.shape[0] and targets.dim() == 1:  # conv maps: one item per example
        per_item = a.reshape(a.shape[0], -1, a.shape[-1]).sum(1)[weights > 0]
        return per_item.sum(0), per_item
    return a.reshape(-1, a.shape[-1]).sum(0), None


def unit_importance(
    model: nn.Module,
    *,
    layer: str,
    batches: Batches,
    method: Method = "gradient_x_activation",
    head: str | None = None,
    probe: nn.Module | None = None,
    scale_at: str | None = None,
    n_steps: int = 20,
    internal_batch_size: int | None = None,
    item_mask: torch.Tensor | None = None,
    ignore_index: int = -100,
) -> UnitImportance:
    """Score every unit of ``layer`` by mean ``|attribution|`` over the labelled items of ``batches``.

    ``probe`` (with ``head``) replaces the head's output by ``probe(head input)``, to attribute through a target
    probe. ``conductance`` interpolates from a zero baseline: float inputs directly, or the output of module
    ``scale_at`` (e.g. the embeddings) when inputs are integer ids. ``item_mask`` (flat, one entry per labelled
    item in iteration order) restricts both the objective and the average to the selected items.

    >>> _ = torch.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    >>> data = [(torch.randn(8, 3), torch.randint(0, 2, (8,)))]
    >>> scores = unit_importance(model, layer="0", batches=data, method="conductance", n_steps=8)
    >>> tuple(scores.importance.shape), scores.n_items
    ((4,), 8)
    """
    if method not in METHODS:
        raise ValueError(f"Expected argument `method` to be one of {METHODS}, but got {method!r}.")
    if n_steps < 1:
        raise ValueError(f"Expected argument `n_steps` to be a positive int, but got {n_steps}.")
    if internal_batch_size is not None and internal_batch_size < 1:
        raise ValueError(f"Expected argument `internal_batch_size` to be None or a positive int, but got {internal_batch_size}.")
    module = resolve_module(model, layer)
    axis = unit_dim(module)
    scaler = _Scaler(model, scale_at if method == "conductance" else None)

    def forward(alpha: torch.Tensor, *args: torch.Tensor) -> torch.Tensor:
        *inputs, targets, weights = args
        scaler.alpha = alpha
        if method == "conductance" and scale_at is None:
            if not all(x.is_floating_point() for x in inputs):
                raise ValueError(
                    "Expected float model inputs for method 'conductance' (it interpolates inputs from a zero baseline), "
                    "but got integer inputs; pass `scale_at=` the name of a module (e.g. the embeddings) whose "
                    "batch-first output is interpolated instead."
                )
            inputs = [scaler.scale(x) for x in inputs]
        logits = model(*inputs)
        if not isinstance(logits, torch.Tensor) or tuple(logits.shape[:-1]) != tuple(targets.shape):
            raise ValueError(
                f"Expected the model's output to be logits of shape targets.shape + (classes,) = {tuple(targets.shape)} "
                f"+ (classes,), but got {tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__}."
            )
        logp = torch.log_softmax(logits, dim=-1)
        picked = logp.gather(-1, targets.clamp_min(0).unsqueeze(-1)).squeeze(-1)
        return (picked * weights).reshape(picked.shape[0], -1).sum(1)

    total: torch.Tensor | None = None
    label_sums: torch.Tensor | None = None
    label_counts: torch.Tensor | None = None
    aligned = True
    n_items = 0
    offset = 0
    with _scoring_mode(model), _probe_head(model, head, probe), scaler.hooked(), tensor_output(module, layer=layer) as out:
        attributor = _captum_method(method, forward, out)
        for index, batch in enumerate(batches):
            inputs, targets = split_batch(batch, index=index, argument="batches")
            valid = targets != ignore_index
            n_valid = int(valid.sum())
            weights = valid.to(torch.float32)
            if item_mask is not None:
                chunk = item_mask[offset : offset + n_valid]
                if chunk.numel() != n_valid:
                    raise ValueError(
                        f"Expected argument `item_mask` to have one entry per labelled item ({offset + n_valid}+), "
                        f"but got {item_mask.numel()}."
                    )
                weights = torch.zeros_like(weights)
                weights[valid] = chunk.to(torch.float32)
            offset += n_valid
            alpha = torch.ones(targets.shape[0], 1, device=targets.device)
            kwargs: dict[str, Any] = {"additional_forward_args": (*inputs, targets, weights)}
            if method == "conductance":
                kwargs.update(baselines=torch.zeros_like(alpha), n_steps=n_steps, internal_batch_size=internal_batch_size)
            attribution = attributor.attribute(alpha, **kwargs)
            if isinstance(attribution, tuple):
                attribution = attribution[0]
            attribution = attribution.detach()
            if torch.isnan(attribution).any():
                raise ValueError(f"Attribution of layer {layer!r} returned NaN on batch {index} (method {method!r}).")
            summed, per_item = _reduce(attribution, weights, targets, axis)
            total = summed if total is None else total + summed
            n_items += int((weights > 0).sum())
            if per_item is None:
                aligned = False
                continue
            labels = targets[weights > 0] if tuple(targets.shape) == tuple(weights.shape) else targets
            size = int(labels.max()) + 1 if labels.numel() else 0
            if label_sums is None:
                label_sums = torch.zeros(0, per_item.shape[1])
                label_counts = torch.zeros(0, dtype=torch.long)
            if size > label_sums.shape[0]:
                pad = size - label_sums.shape[0]
                label_sums = torch.cat([label_sums, torch.zeros(pad, label_sums.shape[1])])
                label_counts = torch.cat([label_counts, torch.zeros(pad, dtype=torch.long)])  # type: ignore[list-item]
            label_sums.index_add_(0, labels.cpu(), per_item.float().cpu())
            label_counts += torch.bincount(labels.cpu(), minlength=label_sums.shape[0])  # type: ignore[operator]
    if total is None or n_items == 0:
        raise ValueError(f"Expected argument `batches` to contain labelled items to score layer {layer!r}, but got none.")
    importance = (total / n_items).float().cpu()
    label_importance = None
    if aligned and label_sums is not None and label_counts is not None:
        label_importance = label_sums / label_counts.clamp_min(1).unsqueeze(1)
    return UnitImportance(
        layer=layer,
        method=method,
        importance=importance,
        n_items=n_items,
        label_importance=label_importance,
        label_counts=label_counts if aligned else None,
    )
