"""From source and target importances to a per-unit bias score, and from scores to the units to prune."""

from __future__ import annotations

import torch

__all__ = ["bias_scores", "select_top_units", "select_random_units", "count_for_percent"]


def _zscore(x: torch.Tensor) -> torch.Tensor:
    std = x.std(unbiased=False)
    return torch.zeros_like(x) if float(std) == 0.0 else (x - x.mean()) / std


def bias_scores(
    source: torch.Tensor,
    target: torch.Tensor,
    *,
    eps: float = 1e-8,
    harm: torch.Tensor | None = None,
    harm_weight: float = 1.0,
) -> torch.Tensor:
    """Per-unit bias: z-score over the layer of ``log((s_S + eps) / (s_T + eps))``, plus an optional harm term.

    ``harm`` is the importance of each unit on the target items a pilot fine-tune falsified; it adds
    ``harm_weight`` × z-score of ``log((s_F + eps) / (s_T + eps))`` (units that drive the falsified items more than
    the target items in general).

    >>> bias_scores(torch.tensor([1.0, 1.0, 4.0]), torch.tensor([1.0, 1.0, 1.0])).argmax().item()
    2
    """
    if source.shape != target.shape or source.dim() != 1:
        raise ValueError(
            f"Expected `source` and `target` importances of the same 1-D shape, but got {tuple(source.shape)} "
            f"and {tuple(target.shape)}."
        )
    if eps <= 0:
        raise ValueError(f"Expected argument `eps` to be > 0, but got {eps}.")
    score = _zscore(torch.log((source + eps) / (target + eps)))
    if harm is not None:
        if harm.shape != target.shape:
            raise ValueError(f"Expected `harm` of shape {tuple(target.shape)}, but got {tuple(harm.shape)}.")
        score = score + harm_weight * _zscore(torch.log((harm + eps) / (target + eps)))
    return score


def count_for_percent(n_units: int, k: float) -> int:
    """How many of ``n_units`` units ``k`` percent is (at least one).

    >>> count_for_percent(200, 10.0), count_for_percent(5, 1.0)
    (20, 1)
    """
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not 0 < k < 100:
        raise ValueError(f"Expected argument `k` to be in (0, 100), but got {k}.")
    return max(1, round(n_units * k / 100.0))


def select_top_units(scores: torch.Tensor, *, k: float | None = None, threshold: float | None = None) -> torch.Tensor:
    """Indices of the top ``k`` percent of units by score, or of those scoring above ``threshold``, best first.

    >>> select_top_units(torch.tensor([0.1, 2.0, -1.0, 1.5]), k=50).tolist()
    [1, 3]
    >>> select_top_units(torch.tensor([0.1, 2.0, -1.0, 1.5]), threshold=1.8).tolist()
    [1]
    """
    if (k is None) == (threshold is None):
        raise ValueError(f"Expected exactly one of `k` and `threshold`, but got k={k} and threshold={threshold}.")
    order = torch.argsort(scores, descending=True, stable=True)
    if k is not None:
        return order[: count_for_percent(scores.numel(), k)]
    return order[scores[order] > threshold]


def select_random_units(n_units: int, *, count: int, seed: int) -> torch.Tensor:
    """``count`` distinct unit indices drawn uniformly with ``seed`` (the control of a biased selection).

    >>> sorted(select_random_units(10, count=3, seed=0).tolist()) == sorted(set(select_random_units(10, count=3, seed=0).tolist()))
    True
    """
    if not 0 <= count <= n_units:
        raise ValueError(f"Expected argument `count` to be in [0, {n_units}], but got {count}.")
    generator = torch.Generator().manual_seed(seed)
    return torch.randperm(n_units, generator=generator)[:count]
