"""The batch format every scorer reads: ``(inputs, targets)`` pairs, ``inputs`` a tensor or a tuple of tensors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

__all__ = ["Batches", "split_batch"]

#: A re-iterable of ``(inputs, targets)``: ``model(*inputs)`` gives logits with classes last, ``targets`` holds gold
#: class ids of shape ``logits.shape[:-1]`` (``-100`` or ``ignore_index`` marks padding).
Batches = Iterable[Any]


def split_batch(batch: Any, *, index: int, argument: str) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """Check one batch and return ``(inputs_tuple, targets)``.

    >>> inputs, targets = split_batch((torch.zeros(2, 3), torch.tensor([0, 1])), index=0, argument="batches")
    >>> len(inputs), targets.tolist()
    (1, [0, 1])
    """
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(
            f"Expected argument `{argument}` to yield (inputs, targets) pairs, but batch {index} is {type(batch).__name__}"
            + (f" of length {len(batch)}." if isinstance(batch, (tuple, list)) else ".")
        )
    inputs, targets = batch
    inputs = (inputs,) if isinstance(inputs, torch.Tensor) else tuple(inputs)
    if not isinstance(targets, torch.Tensor) or targets.is_floating_point():
        raise TypeError(
            f"Expected the targets of `{argument}` batch {index} to be an integer tensor of class ids, "
            f"but got {getattr(targets, 'dtype', type(targets).__name__)}."
        )
    return inputs, targets
