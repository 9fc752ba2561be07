"""The discriminator gate (Wang, Dai, Póczos, Carbonell, CVPR 2019): weight source examples by an estimated
target/source density ratio on (features, label), so source data unlike the target is filtered out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["DensityRatioWeighting"]


def _check_positive(name: str, value: Any, *, integer: bool = False) -> None:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0:
        raise ValueError(f"Expected argument `{name}` to be {'an int' if integer else 'a float'} > 0, but got {value!r}.")


class DensityRatioWeighting(nn.Module):
    """A discriminator ``D(features, label)`` trained to tell target items (1) from source items (0), and the
    per-source-item weights ``ω = D / (1 − D)`` it implies.

    Choices (documented in docs/strategies/gating.md):

    - the discriminator sees the features *detached* and a one-hot label: it never trains the encoder (no gradient
      reversal), and the weights are constants for the task loss;
    - its loss weighs both domains equally (mean over source + mean over target), so ``D/(1−D)`` estimates
      ``p_T(x, y) / p_S(x, y)`` without a prior correction for unequal batch sizes; ``D`` is clamped to
      [1e-4, 1 − 1e-4];
    - ``ω`` is normalised to mean 1 over the batch's (valid) source items, then clipped to [0, ``max_weight``]
      (not re-normalised after clipping, so clipping only ever lowers the total weight);
    - labels ``< 0`` (padding, ``-100``) are ignored everywhere.

    ``record(ids, weights)`` accumulates each source example's weights (e.g. ``ids`` = sentence index of every
    token), and ``down_weighted()`` lists the examples with the lowest mean weight.

    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> gate = DensityRatioWeighting(feature_dim=2, n_labels=2)
    >>> f, y = torch.randn(8, 2), torch.tensor([0, 1] * 4)
    >>> _ = gate.update(source_features=f, source_labels=y, target_features=f + 3, target_labels=y)
    >>> w = gate.weights(source_features=f, source_labels=y)
    >>> tuple(w.shape), round(float(w.mean()), 4)
    ((8,), 1.0)
    """

    def __init__(
        self,
        *,
        feature_dim: int,
        n_labels: int,
        hidden: int = 64,
        max_weight: float = 5.0,
        lr: float = 1e-3,
    ) -> None:
        super().__init__()
        _check_positive("feature_dim", feature_dim, integer=True)
        _check_positive("n_labels", n_labels, integer=True)
        _check_positive("hidden", hidden, integer=True)
        _check_positive("max_weight", max_weight)
        _check_positive("lr", lr)
        self.n_labels = n_labels
        self.max_weight = float(max_weight)
        self.discriminator = nn.Sequential(nn.Linear(feature_dim + n_labels, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=lr)
        self._sums: dict[int, float] = {}
        self._counts: dict[int, int] = {}

    def _inputs(self, features: torch.Tensor, labels: torch.Tensor, argument: str) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(features, torch.Tensor) or not isinstance(labels, torch.Tensor):
            raise TypeError(f"Expected arguments `{argument}_features` and `{argument}_labels` to be tensors.")
        if features.shape[:-1] != labels.shape:
            raise ValueError(
                f"Expected argument `{argument}_features` to have shape {argument}_labels.shape + (D,) = "
                f"{tuple(labels.shape)} + (D,), but got {tuple(features.shape)}."
            )
        features = features.reshape(-1, features.shape[-1])
        labels = labels.reshape(-1)
        if labels.numel() and int(labels.max()) >= self.n_labels:
            raise ValueError(
                f"Expected argument `{argument}_labels` to be < n_labels={self.n_labels}, but got {int(labels.max())}."
            )
        valid = labels >= 0
        weight = self.discriminator[0].weight
        one_hot = nn.functional.one_hot(labels.clamp_min(0), self.n_labels).to(weight.dtype)
        return torch.cat([features.detach().to(weight.dtype), one_hot], dim=-1), valid

    def probability(self, *, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``D``: the probability that each item is a target item (flattened, every item)."""
        inputs, _ = self._inputs(features, labels, "source")
        return torch.sigmoid(self.discriminator(inputs).squeeze(-1)).clamp(1e-4, 1 - 1e-4)

    def update(
        self,
        *,
        source_features: torch.Tensor,
        source_labels: torch.Tensor,
        target_features: torch.Tensor,
        target_labels: torch.Tensor,
    ) -> float:
        """One step of the discriminator on a source and a target batch; returns its (balanced) loss."""
        xs, vs = self._inputs(source_features, source_labels, "source")
        xt, vt = self._inputs(target_features, target_labels, "target")
        if not vs.any() or not vt.any():
            return float("nan")
        bce = nn.functional.binary_cross_entropy_with_logits
        logit_s = self.discriminator(xs[vs]).squeeze(-1)
        logit_t = self.discriminator(xt[vt]).squeeze(-1)
        loss = 0.5 * (bce(logit_s, torch.zeros_like(logit_s)) + bce(logit_t, torch.ones_like(logit_t)))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())

    def weights(self, *, source_features: torch.Tensor, source_labels: torch.Tensor) -> torch.Tensor:
        """``ω`` per source item (flattened, no gradient): mean 1 over valid items, clipped to [0, max_weight];
        0 for ignored items (label < 0)."""
        with torch.no_grad():
            _, valid = self._inputs(source_features, source_labels, "source")
            d = self.probability(features=source_features, labels=source_labels)
            ratio = torch.where(valid, d / (1 - d), torch.zeros_like(d))
            if valid.any():
                ratio = ratio / ratio[valid].mean()
            return ratio.clamp(0.0, self.max_weight)

    def record(self, ids: Sequence[int] | np.ndarray | torch.Tensor, weights: torch.Tensor, *, labels: torch.Tensor | None = None) -> None:
        """Add a batch's item weights to the running mean weight of each source example ``ids[i]`` (items whose
        ``labels`` are < 0 are skipped)."""
        ids_np = np.asarray(ids.cpu() if isinstance(ids, torch.Tensor) else ids).reshape(-1)
        w = weights.detach().double().cpu().numpy().reshape(-1)
        if ids_np.shape != w.shape:
            raise ValueError(f"Expected one id per weight, but got {ids_np.shape[0]} ids and {w.shape[0]} weights.")
        keep = np.ones_like(w, dtype=bool) if labels is None else labels.reshape(-1).cpu().numpy() >= 0
        uniques, inverse = np.unique(ids_np[keep], return_inverse=True)
        sums = np.bincount(inverse, weights=w[keep], minlength=len(uniques))
        counts = np.bincount(inverse, minlength=len(uniques))
        for key, s, c in zip(uniques.tolist(), sums.tolist(), counts.tolist()):
            self._sums[key] = self._sums.get(key, 0.0) + s
            self._counts[key] = self._counts.get(key, 0) + c

    def mean_weights(self) -> dict[int, float]:
        """Mean recorded weight of every source example seen, by id."""
        return {key: self._sums[key] / self._counts[key] for key in sorted(self._sums)}

    def down_weighted(self, *, threshold: float = 0.5) -> list[tuple[int, float]]:
        """``(id, mean weight)`` of the source examples whose mean weight is below ``threshold``, lowest first."""
        return sorted(((k, v) for k, v in self.mean_weights().items() if v < threshold), key=lambda kv: kv[1])
