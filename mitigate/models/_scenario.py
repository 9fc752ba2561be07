"""The ``TransferScenario`` protocol: one source → target pair with its data, model family and training recipe.

The benchmark harness, the tuner and ``mitigate demo`` talk to scenarios only through this protocol, so a user's own
pair (any model, any data) plugs in by implementing these few methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from torch import nn

    from mitigate.session.strategy import Strategy

__all__ = ["TransferScenario", "EpochCallback"]

#: Called after every target epoch with ``(epoch, dev_score)``; may raise (e.g. ``optuna.TrialPruned``) to stop early.
EpochCallback = Callable[[int, float], None]


@runtime_checkable
class TransferScenario(Protocol):
    """A source → target transfer setting.

    Predictions and gold labels are returned per split (``"dev"`` or ``"test"``) in the evaluator's input form:
    a list of sentences of labels for taggers, a flat list of labels for classifiers.
    """

    name: str

    def pretrain(self, *, seed: int, epochs: int | None = None, checkpoint_dir: Path | None = None) -> nn.Module:
        """Train the source model (optionally keeping a state per epoch in ``checkpoint_dir``)."""
        ...

    def fit_scratch(self, *, seed: int, on_epoch_end: EpochCallback | None = None) -> nn.Module:
        """Train a target model from random initialisation."""
        ...

    def fit_transfer(
        self,
        *,
        source: nn.Module,
        seed: int,
        strategies: Sequence[Strategy] = (),
        on_epoch_end: EpochCallback | None = None,
    ) -> nn.Module:
        """Build the target model from ``source`` and fine-tune it inside a ``TransferSession`` with ``strategies``."""
        ...

    def predict(self, model: nn.Module, *, split: str) -> list[list[str]] | list[str]:
        """The model's labels on a target split."""
        ...

    def gold(self, *, split: str) -> list[list[str]] | list[str]:
        """Gold labels of a target split."""
        ...

    def tokens(self, *, split: str) -> list[list[str]] | None:
        """Tokens of a target split (for slices and examples), or ``None`` when items are not tokens."""
        ...
