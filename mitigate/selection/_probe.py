"""``FeatureProbe``: the one forward pass of a pretraining state over the target training set that proxies read."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn

from mitigate.selection._loading import load_source_state
from mitigate.selection._states import PretrainingState
from mitigate.transferability import TargetFeatures, extract_features

__all__ = ["FeatureProbe"]


class FeatureProbe:
    """Load a state into a copy of ``model`` (the *source* architecture) and run ``extract_features`` over
    ``batches`` of the target training set, catching submodule ``module`` (features) and ``head`` (source logits,
    for LEEP / NCE). ``model`` itself is never modified. ``exclude`` lists state keys not to load (see
    ``load_source_state``).

    >>> import tempfile
    >>> from mitigate.selection import PretrainingStateRecorder
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 2))
    >>> state = PretrainingStateRecorder(model=net, directory=tempfile.mkdtemp()).record(epoch=0)
    >>> probe = FeatureProbe(model=net, batches=[(torch.randn(6, 2), torch.tensor([0, 1] * 3))], module="0", head="1")
    >>> probe(state).features.shape
    (6, 3)
    """

    def __init__(
        self,
        *,
        model: nn.Module,
        batches: Iterable[tuple[Any, torch.Tensor]],
        module: str,
        head: str | None = None,
        forward: Callable[[nn.Module, Any], Any] | None = None,
        exclude: Sequence[str] = (),
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"Expected argument `model` to be a torch.nn.Module, but got {type(model).__name__}.")
        self.model = model
        self.batches = list(batches)
        self.module = module
        self.head = head
        self.forward = forward
        self.exclude = tuple(exclude)

    def __call__(self, state: PretrainingState) -> TargetFeatures:
        """Features (and source probabilities) of ``state`` on the target training set."""
        scored = copy.deepcopy(self.model)
        load_source_state(scored, state.load(), exclude=self.exclude, extend_rows=False)
        return extract_features(model=scored, batches=self.batches, module=self.module, head=self.head,
                                forward=self.forward)
