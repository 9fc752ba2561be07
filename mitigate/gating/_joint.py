"""Joint training on source and target data, source items weighted by the discriminator gate."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from mitigate.gating._discriminator import DensityRatioWeighting

__all__ = ["JointResult", "train_jointly", "FeatureTap"]


class FeatureTap:
    """Catch the output tensor of a named submodule at every forward (a forward hook; ``close()`` removes it).

    >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    >>> tap = FeatureTap(net, "0"); _ = net(torch.zeros(4, 2)); tuple(tap.output.shape)
    (4, 3)
    >>> tap.close()
    """

    def __init__(self, model: nn.Module, module: str) -> None:
        modules = dict(model.named_modules())
        if module not in modules:
            raise ValueError(f"Expected argument `feature_module` to name a submodule of the model, but got {module!r}.")
        self.output: torch.Tensor | None = None
        self._handle = modules[module].register_forward_hook(self._catch)

    def _catch(self, _module: nn.Module, _inputs: Any, output: Any) -> None:
        if not isinstance(output, torch.Tensor):
            raise ValueError(f"Expected the feature module to output a tensor, but it returned {type(output).__name__}.")
        self.output = output

    def close(self) -> None:
        """Remove the hook."""
        self._handle.remove()


@dataclass
class JointResult:
    """Per-step target loss, weighted source loss and discriminator loss, and the weighting (its per-example
    record answers ``down_weighted()``).

    >>> JointResult().target_losses
    []
    """

    target_losses: list[float] = field(default_factory=list)
    source_losses: list[float] = field(default_factory=list)
    discriminator_losses: list[float] = field(default_factory=list)
    weighting: DensityRatioWeighting | None = None


def _forward(model: nn.Module, inputs: Any) -> torch.Tensor:
    return model(*inputs) if isinstance(inputs, (tuple, list)) else model(inputs)


def _unpack(batch: Any, index: int) -> tuple[Any, torch.Tensor, Any]:
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise TypeError(
            f"Expected source batches as (inputs, labels) or (inputs, labels, ids), but batch {index} is "
            f"{type(batch).__name__}{f' of length {len(batch)}' if isinstance(batch, (tuple, list)) else ''}."
        )
    return batch[0], batch[1], (batch[2] if len(batch) == 3 else None)


def train_jointly(
    *,
    model: nn.Module,
    source_batches: Sequence[Any],
    target_batches: Sequence[Any],
    feature_module: str,
    weighting: DensityRatioWeighting | None = None,
    epochs: int = 5,
    lr: float = 1e-3,
    source_weight: float = 1.0,
    warmup_steps: int = 0,
    seed: int = 0,
) -> JointResult:
    """Train ``model`` on target and source batches together (same label space, one head): every step adds
    ``source_weight ·`` mean(ω · CE) over a source batch to the target batch's CE, with ω from ``weighting``
    (uniform during the first ``warmup_steps`` steps, and everywhere when ``weighting`` is ``None``: plain joint
    training). The discriminator is updated at every step on the detached output of ``feature_module``.

    Target batches are ``(inputs, labels)``; source batches ``(inputs, labels)`` or ``(inputs, labels, ids)``
    with ``ids`` of ``labels``' shape (e.g. the source sentence of every token) so the weighting records which
    examples were down-weighted. Labels ``< 0`` are ignored. Adam with ``lr``; one epoch = one pass over the
    target batches (source batches are cycled).

    >>> net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> x = torch.randn(16, 2); y = (x[:, 0] > 0).long()
    >>> gate = DensityRatioWeighting(feature_dim=4, n_labels=2)
    >>> out = train_jointly(model=net, source_batches=[(x, y, torch.arange(16))], target_batches=[(x, y)],
    ...                     feature_module="1", weighting=gate, epochs=2)
    >>> len(out.target_losses), len(gate.mean_weights())
    (2, 16)
    """
    if not source_batches or not target_batches:
        raise ValueError(
            f"Expected arguments `source_batches` and `target_batches` to be non-empty, but got {len(source_batches)} "
            f"and {len(target_batches)} batches."
        )
    for name, value in (("epochs", epochs), ("warmup_steps", warmup_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (1 if name == "epochs" else 0):
            raise ValueError(f"Expected argument `{name}` to be an int >= {1 if name == 'epochs' else 0}, but got {value!r}.")
    if isinstance(source_weight, bool) or not isinstance(source_weight, (int, float)) or source_weight < 0:
        raise ValueError(f"Expected argument `source_weight` to be a float >= 0, but got {source_weight!r}.")
    torch.manual_seed(seed)
    tap = FeatureTap(model, feature_module)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    result = JointResult(weighting=weighting)
    source_cycle = itertools.cycle(enumerate(source_batches))
    step = 0
    model.train()
    try:
        for _ in range(epochs):
            for target_inputs, target_labels in target_batches:
                logits_t = _forward(model, target_inputs)
                features_t = tap.output
                loss_t = nn.functional.cross_entropy(
                    logits_t.reshape(-1, logits_t.shape[-1]), target_labels.reshape(-1), ignore_index=-100
                )
                index, batch = next(source_cycle)
                source_inputs, source_labels, ids = _unpack(batch, index)
                logits_s = _forward(model, source_inputs)
                features_s = tap.output
                flat_labels = source_labels.reshape(-1)
                per_item = nn.functional.cross_entropy(
                    logits_s.reshape(-1, logits_s.shape[-1]), flat_labels.clamp_min(0), reduction="none"
                )
                valid = (flat_labels >= 0).to(per_item.dtype)
                if weighting is not None and step >= warmup_steps:
                    omega = weighting.weights(source_features=features_s, source_labels=source_labels).to(per_item.dtype)
                else:
                    omega = valid
                loss_s = (omega * valid * per_item).sum() / valid.sum().clamp_min(1.0)
                loss = loss_t + source_weight * loss_s
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if weighting is not None:
                    result.discriminator_losses.append(weighting.update(
                        source_features=features_s, source_labels=source_labels,
                        target_features=features_t, target_labels=target_labels,
                    ))
                    if ids is not None and step >= warmup_steps:
                        weighting.record(ids, omega, labels=source_labels)
                result.target_losses.append(float(loss_t.detach()))
                result.source_losses.append(float(loss_s.detach()))
                step += 1
    finally:
        tap.close()
    return result
