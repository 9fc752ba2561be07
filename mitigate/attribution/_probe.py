"""A linear probe on frozen features: the target head used to attribute target data before any fine-tuning."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mitigate.attribution._batches import Batches, split_batch
from mitigate.attribution._modules import resolve_module

__all__ = ["fit_probe", "head_features"]


def head_features(
    model: nn.Module, *, head: str, batches: Batches, ignore_index: int = -100
) -> tuple[torch.Tensor, torch.Tensor]:
    """The inputs of module ``head`` at every labelled item, flattened to ``(n_items, dim)``, and their labels.

    >>> model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    >>> x, y = head_features(model, head="1", batches=[(torch.zeros(5, 3), torch.zeros(5, dtype=torch.long))])
    >>> tuple(x.shape), tuple(y.shape)
    ((5, 4), (5,))
    """
    module = resolve_module(model, head)
    captured: list[torch.Tensor] = []

    def hook(_module: nn.Module, inputs: tuple[Any, ...]) -> None:
        captured.append(inputs[0])

    feats, labels = [], []
    handle = module.register_forward_pre_hook(hook)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for index, batch in enumerate(batches):
                inputs, targets = split_batch(batch, index=index, argument="batches")
                captured.clear()
                model(*inputs)
                if not captured or not isinstance(captured[0], torch.Tensor):
                    raise ValueError(f"Expected head {head!r} to be called with a tensor input on batch {index}.")
                x = captured[0]
                if tuple(x.shape[:-1]) != tuple(targets.shape):
                    raise ValueError(
                        f"Expected the input of head {head!r} to have shape targets.shape + (dim,) = "
                        f"{tuple(targets.shape)} + (dim,), but got {tuple(x.shape)} on batch {index}."
                    )
                valid = targets != ignore_index
                feats.append(x[valid])
                labels.append(targets[valid])
    finally:
        handle.remove()
        model.train(was_training)
    return torch.cat(feats), torch.cat(labels)


def fit_probe(
    model: nn.Module,
    *,
    head: str,
    batches: Batches,
    n_labels: int | None = None,
    steps: int = 100,
    lr: float = 0.05,
    seed: int = 0,
    ignore_index: int = -100,
) -> nn.Linear:
    """Fit a linear probe (features at ``head``'s input → target labels) for ``steps`` full-batch Adam steps.

    The model stays frozen: only the probe learns. It stands in for the target head the transferred model does not
    have yet, so target items can be attributed "through the target task".

    >>> torch.manual_seed(0) is not None
    True
    >>> model = nn.Sequential(nn.Identity(), nn.Linear(2, 2))
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0]] * 4); y = torch.tensor([0, 1] * 4)
    >>> probe = fit_probe(model, head="1", batches=[(x, y)], steps=50)
    >>> probe(x).argmax(-1).tolist() == y.tolist()
    True
    """
    if steps < 1:
        raise ValueError(f"Expected argument `steps` to be a positive int, but got {steps}.")
    feats, labels = head_features(model, head=head, batches=batches, ignore_index=ignore_index)
    if feats.shape[0] == 0:
        raise ValueError("Expected argument `batches` to contain labelled items for the probe, but got none.")
    n_labels = int(labels.max()) + 1 if n_labels is None else n_labels
    generator = torch.Generator().manual_seed(seed)
    probe = nn.Linear(feats.shape[1], n_labels).to(feats.device)
    with torch.no_grad():
        bound = feats.shape[1] ** -0.5
        probe.weight.copy_(torch.empty_like(probe.weight).uniform_(-bound, bound, generator=generator))
        probe.bias.zero_()
    optimizer = torch.optim.Adam(probe.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(probe(feats), labels).backward()
        optimizer.step()
    probe.requires_grad_(False)
    return probe
