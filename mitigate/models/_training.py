"""Training recipe shared by the reference loops: optimiser settings, seeding, early stopping, session opening."""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:
    from mitigate.session.strategy import Strategy

__all__ = ["TrainConfig", "TrainResult", "seed_everything", "make_optimizer", "EarlyStopping", "open_session"]

_DEFAULT_LR = {"adam": 1e-3, "sgd": 1.5e-2}


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser and schedule. ``optimizer="sgd"`` with ``lr=None`` is the study's recipe (momentum 0.9,
    lr 1.5e-2); the default Adam (lr 1e-3) converges within the CPU budget (see docs/models.md).

    >>> TrainConfig(optimizer="sgd").learning_rate
    0.015
    """

    optimizer: str = "adam"
    lr: float | None = None
    momentum: float = 0.9
    batch_size: int = 16
    max_epochs: int = 15
    patience: int = 3
    grad_clip: float | None = 5.0

    def __post_init__(self) -> None:
        if self.optimizer not in _DEFAULT_LR:
            raise ValueError(f"Expected argument `optimizer` to be one of {sorted(_DEFAULT_LR)}, but got {self.optimizer!r}.")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"Expected argument `lr` to be > 0 or None, but got {self.lr}.")
        for name in ("batch_size", "max_epochs", "patience"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Expected argument `{name}` to be an int >= 1, but got {value!r}.")

    @property
    def learning_rate(self) -> float:
        """``lr``, or the optimiser's default."""
        return self.lr if self.lr is not None else _DEFAULT_LR[self.optimizer]

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return asdict(self)

    def cache_tag(self) -> str:
        """A short name for these settings in cache file names: epochs, optimiser and a hash of every field, so a
        cached model is reused only under the same settings.

        >>> TrainConfig(max_epochs=5).cache_tag() == TrainConfig(max_epochs=5, patience=3).cache_tag()
        True
        >>> TrainConfig(patience=2).cache_tag() == TrainConfig(patience=3).cache_tag()
        False
        """
        digest = hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:8]
        return f"ep{self.max_epochs}-{self.optimizer}-{digest}"


@dataclass
class TrainResult:
    """What a training run did: dev score per epoch (higher is better), the restored best epoch, wall time."""

    dev_scores: list[float] = field(default_factory=list)
    best_epoch: int = -1
    seconds: float = 0.0

    @property
    def best_dev(self) -> float:
        """Dev score of the restored epoch."""
        return self.dev_scores[self.best_epoch] if self.best_epoch >= 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return {"dev_scores": self.dev_scores, "best_epoch": self.best_epoch, "seconds": self.seconds}


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch.

    >>> seed_everything(0); a = torch.rand(1); seed_everything(0); bool(torch.equal(a, torch.rand(1)))
    True
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"Expected argument `seed` to be an int, but got {type(seed).__name__}.")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimiser of ``config`` over the trainable parameters of ``model``.

    >>> type(make_optimizer(nn.Linear(2, 2), TrainConfig(optimizer="sgd"))).__name__
    'SGD'
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.learning_rate, momentum=config.momentum)
    return torch.optim.Adam(params, lr=config.learning_rate)


class EarlyStopping:
    """Track dev scores, keep a copy of the best state, say when ``patience`` epochs brought no improvement.

    >>> stop = EarlyStopping(patience=1)
    >>> m = nn.Linear(1, 1)
    >>> stop.update(0.5, m), stop.update(0.4, m), stop.should_stop
    (True, False, True)
    """

    def __init__(self, *, patience: int) -> None:
        self.patience = patience
        self.best_score = -float("inf")
        self.best_epoch = -1
        self.best_state: dict[str, torch.Tensor] | None = None
        self._epoch = -1

    def update(self, score: float, model: nn.Module) -> bool:
        """Record this epoch's score; return whether it is the best so far."""
        self._epoch += 1
        if score > self.best_score:
            self.best_score, self.best_epoch = score, self._epoch
            self.best_state = copy.deepcopy(model.state_dict())
            return True
        return False

    @property
    def should_stop(self) -> bool:
        """``patience`` epochs passed since the best one."""
        return self._epoch - self.best_epoch >= self.patience

    def restore(self, model: nn.Module) -> None:
        """Load the best state into ``model``."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)


def open_session(model: nn.Module, optimizer: torch.optim.Optimizer, strategies: Sequence[Strategy]) -> Any:
    """The ``TransferSession`` every reference loop runs in (the same one users open in their own loops)."""
    from mitigate.session import TransferSession

    return TransferSession(model=model, optimizer=optimizer, strategies=list(strategies))
