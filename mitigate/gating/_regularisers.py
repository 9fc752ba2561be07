"""Gate regularisers: load balancing over encoders and per-item entropy, read from the mixture's last forward."""

from __future__ import annotations

import torch

from mitigate.gating._mixture import GatedSourceMixture

__all__ = ["gate_regulariser", "load_balance", "gate_entropy"]


def _flat(weights: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    flat = weights.reshape(-1, weights.shape[-1])
    if mask is not None:
        flat = flat[mask.reshape(-1).to(torch.bool)]
    return flat


def load_balance(weights: torch.Tensor, *, mask: torch.Tensor | None = None) -> torch.Tensor:
    """``n · Σ_k P_k² − 1`` with ``P_k`` the mean weight of encoder k over the (masked) items: 0 when the encoders
    are used equally on average, ``n − 1`` when one takes everything.

    >>> float(load_balance(torch.full((4, 2), 0.5))), float(load_balance(torch.tensor([[1.0, 0.0]])))
    (0.0, 1.0)
    """
    flat = _flat(weights, mask)
    if flat.shape[0] == 0:
        return weights.sum() * 0.0
    importance = flat.mean(dim=0)
    return flat.shape[-1] * importance.pow(2).sum() - 1.0


def gate_entropy(weights: torch.Tensor, *, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean per-item entropy of the gate (nats): ``log n`` for uniform weights, 0 for one-hot ones.

    >>> round(float(gate_entropy(torch.full((3, 4), 0.25))), 4), abs(float(gate_entropy(torch.tensor([[0.0, 1.0]]))))
    (1.3863, 0.0)
    """
    flat = _flat(weights, mask)
    if flat.shape[0] == 0:
        return weights.sum() * 0.0
    return -(flat * flat.clamp_min(1e-12).log()).sum(dim=-1).mean()


def gate_regulariser(mixture: GatedSourceMixture, *, balance: float = 0.0, entropy: float = 0.0) -> torch.Tensor:
    """``balance · load_balance + entropy · gate_entropy`` on the gate weights of ``mixture``'s last training
    forward (padding excluded through its mask); a zero tensor before any training forward.

    A positive ``balance`` spreads the load over the encoders, which works *against* ignoring a harmful source:
    keep it small. A positive ``entropy`` pushes each item toward one encoder (sharper, more interpretable gates).

    >>> from torch import nn
    >>> mix = GatedSourceMixture(experts={"a": nn.Linear(2, 3), "b": nn.Linear(2, 3)}, feature_sizes={"a": 3, "b": 3})
    >>> _ = mix(torch.randn(4, 2))
    >>> round(gate_regulariser(mix, entropy=1.0).item(), 4)
    0.6931
    """
    for name, value in (("balance", balance), ("entropy", entropy)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"Expected argument `{name}` to be a float >= 0, but got {value!r}.")
    probs = mixture._last_probs
    if probs is None:
        return torch.zeros((), device=mixture.gate.weight.device, dtype=mixture.gate.weight.dtype)
    total = probs.sum() * 0.0
    if balance > 0:
        total = total + balance * load_balance(probs, mask=mixture.last_mask)
    if entropy > 0:
        total = total + entropy * gate_entropy(probs, mask=mixture.last_mask)
    return total
