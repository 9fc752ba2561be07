"""``GatedSourceMixture``: a learned per-item softmax gate over K source encoders plus a scratch encoder."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

__all__ = ["GatedSourceMixture", "SCRATCH"]

#: Name of the freshly initialised expert, so the gate can learn to ignore every source.
SCRATCH = "scratch"


def _feature_size(name: str, expert: nn.Module, sizes: Mapping[str, int] | None) -> int:
    size = sizes.get(name) if sizes is not None else getattr(expert, "out_dim", None)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(
            f"Expected a positive int feature size for expert {name!r} (argument `feature_sizes`, or an `out_dim` "
            f"attribute on the expert), but got {size!r}."
        )
    return size


def _reference(module: nn.Module) -> tuple[torch.device, torch.dtype] | None:
    for tensor in list(module.parameters()) + list(module.buffers()):
        if tensor.is_floating_point():
            return tensor.device, tensor.dtype
    return None


class GatedSourceMixture(nn.Module):
    """Mix the features of several encoders with a learned per-item softmax gate.

    ``experts`` maps source names to encoders; ``scratch`` is a freshly initialised encoder of the target (named
    ``"scratch"``; pass ``None`` to leave it out). Every encoder takes the same positional inputs and returns
    features of shape ``(*items, D_k)`` (``(B, D)`` for classifiers, ``(B, T, D)`` for taggers: one gate decision
    per token). The gate is ``softmax(Linear(concat of all features) / temperature)``; with ``top_k`` only the k
    largest logits of each item are kept (the others get weight 0). The output is ``Σ_k w_k · proj_k(f_k)`` of size
    ``out_dim`` (default: the scratch encoder's size, else the largest).

    Feature sizes come from ``feature_sizes`` or each encoder's ``out_dim`` attribute. With ``project=True``,
    encoders whose size differs from ``out_dim`` get a linear projection; with ``project=False`` differing sizes
    are an error. Encoders on another device or dtype than the target's (``scratch``'s, else the first expert's)
    are moved to it in place, with a warning naming them. With a single source the gate only chooses between that
    source and scratch (a warning says so; ``single_source`` is then True).

    After every forward, ``last_weights`` holds the gate weights ``(*items, K+1)`` (detached) and ``last_mask`` the
    item mask passed to ``forward`` (or ``None``), for reports and regularisers (``gate_regulariser``).

    >>> experts = {"a": nn.Linear(3, 4), "b": nn.Linear(3, 6)}
    >>> mix = GatedSourceMixture(experts=experts, scratch=nn.Linear(3, 4), feature_sizes={"a": 4, "b": 6, "scratch": 4})
    >>> mix(torch.randn(5, 3)).shape, mix.names, tuple(mix.last_weights.shape)
    (torch.Size([5, 4]), ['a', 'b', 'scratch'], (5, 3))
    """

    def __init__(
        self,
        *,
        experts: Mapping[str, nn.Module],
        scratch: nn.Module | None = None,
        feature_sizes: Mapping[str, int] | None = None,
        out_dim: int | None = None,
        project: bool = True,
        temperature: float = 1.0,
        top_k: int | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(experts, Mapping) or not experts:
            raise ValueError(f"Expected argument `experts` to be a non-empty mapping of name to nn.Module, but got {experts!r}.")
        for name, expert in experts.items():
            if not isinstance(name, str) or not name or "." in name or name == SCRATCH:
                raise ValueError(
                    f"Expected argument `experts` to have non-empty names without '.' other than {SCRATCH!r}, but got {name!r}."
                )
            if not isinstance(expert, nn.Module):
                raise TypeError(f"Expected argument `experts` to map names to nn.Module, but {name!r} is {type(expert).__name__}.")
        if scratch is not None and not isinstance(scratch, nn.Module):
            raise TypeError(f"Expected argument `scratch` to be an nn.Module or None, but got {type(scratch).__name__}.")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
            raise ValueError(f"Expected argument `temperature` to be a float > 0, but got {temperature!r}.")
        all_experts = dict(experts)
        if scratch is not None:
            all_experts[SCRATCH] = scratch
        n = len(all_experts)
        if n < 2:
            raise ValueError(
                f"Expected at least 2 encoders to gate over (sources plus scratch), but got {n}: {list(all_experts)}."
            )
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= n):
            raise ValueError(f"Expected argument `top_k` to be an int in [1, {n}] or None, but got {top_k!r}.")

        sizes = {name: _feature_size(name, expert, feature_sizes) for name, expert in all_experts.items()}
        if out_dim is None:
            out_dim = sizes[SCRATCH] if SCRATCH in sizes else max(sizes.values())
        if isinstance(out_dim, bool) or not isinstance(out_dim, int) or out_dim < 1:
            raise ValueError(f"Expected argument `out_dim` to be a positive int or None, but got {out_dim!r}.")
        if not project and any(size != out_dim for size in sizes.values()):
            raise ValueError(
                f"Expected every encoder to output `out_dim`={out_dim} features when `project=False`, but got sizes "
                f"{sizes}; pass project=True to adapt them with linear projections."
            )

        reference = _reference(scratch) if scratch is not None else None
        if reference is None:
            reference = next((r for r in (_reference(e) for e in experts.values()) if r is not None), None)
        device, dtype = reference if reference is not None else (torch.device("cpu"), torch.get_default_dtype())
        moved = []
        for name, expert in all_experts.items():
            ref = _reference(expert)
            if ref is not None and ref != (device, dtype):
                moved.append(f"{name!r} ({ref[0]}, {ref[1]})")
                expert.to(device=device, dtype=dtype)
        if moved:
            warnings.warn(
                f"Moved encoders {', '.join(moved)} to the target's device and dtype ({device}, {dtype}).", stacklevel=2
            )

        self.names: list[str] = list(all_experts)
        self.sizes = sizes
        self.out_dim = out_dim
        self.temperature = float(temperature)
        self.top_k = top_k
        self.single_source = len(experts) == 1 and scratch is not None
        self.experts = nn.ModuleDict(all_experts)
        self.projections = nn.ModuleDict(
            {name: nn.Linear(size, out_dim) for name, size in sizes.items() if size != out_dim}
        ).to(device=device, dtype=dtype)
        self.gate = nn.Linear(sum(sizes.values()), n).to(device=device, dtype=dtype)
        nn.init.zeros_(self.gate.weight)  # start uniform: every encoder counts equally until the gate learns
        nn.init.zeros_(self.gate.bias)
        self.last_weights: torch.Tensor | None = None
        self.last_mask: torch.Tensor | None = None
        self._last_probs: torch.Tensor | None = None
        if self.single_source:
            warnings.warn(
                f"Only one source ({self.names[0]!r}): the gate only chooses between it and {SCRATCH!r}.", stacklevel=2
            )

    @property
    def source_names(self) -> list[str]:
        """The names of the source encoders (without scratch)."""
        return [name for name in self.names if name != SCRATCH]

    def gate_weights(self, features: list[torch.Tensor]) -> torch.Tensor:
        """Softmax gate weights ``(*items, K+1)`` from the encoders' features (in ``names`` order)."""
        logits = self.gate(torch.cat(features, dim=-1)) / self.temperature
        if self.top_k is not None and self.top_k < len(self.names):
            kth = logits.topk(self.top_k, dim=-1).values[..., -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        return torch.softmax(logits, dim=-1)

    def forward(self, *inputs: Any, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Mixed features ``(*items, out_dim)``; ``mask`` (``*items``, bool) marks real items (e.g. not padding)
        for ``last_weights`` consumers."""
        features = []
        for name in self.names:
            out = self.experts[name](*inputs)
            if not isinstance(out, torch.Tensor) or out.shape[-1] != self.sizes[name]:
                shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                raise ValueError(
                    f"Expected encoder {name!r} to output a tensor with {self.sizes[name]} features in the last "
                    f"dimension, but got {shape}."
                )
            features.append(out)
        shapes = {tuple(f.shape[:-1]) for f in features}
        if len(shapes) != 1:
            raise ValueError(f"Expected every encoder to output the same item shape, but got {sorted(shapes)}.")
        weights = self.gate_weights(features)
        projected = [self.projections[n](f) if n in self.projections else f for n, f in zip(self.names, features)]
        mixed = (torch.stack(projected, dim=-2) * weights.unsqueeze(-1)).sum(dim=-2)
        self._last_probs = weights if self.training else None
        self.last_weights = weights.detach()
        self.last_mask = mask.detach() if mask is not None else None
        return mixed

    def extra_repr(self) -> str:
        return f"names={self.names}, out_dim={self.out_dim}, temperature={self.temperature}, top_k={self.top_k}"
