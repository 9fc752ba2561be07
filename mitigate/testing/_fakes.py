"""Deterministic fake strategies for tests: one that records every hook call, one that adds a constant loss."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from mitigate.session import Strategy

if TYPE_CHECKING:
    from mitigate.session import TransferContext

__all__ = ["RecordingStrategy", "ConstantLoss", "HOOK_NAMES"]

#: The hooks a session calls, in the order of one transfer.
HOOK_NAMES = (
    "before_transfer",
    "configure_param_groups",
    "on_epoch_start",
    "extra_loss",
    "after_backward",
    "after_step",
    "on_epoch_end",
    "after_transfer",
)


class RecordingStrategy(Strategy):
    """Records ``calls`` as ``(hook, epoch, step)`` tuples; changes nothing.

    >>> RecordingStrategy().calls
    []
    """

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []
        self.dev_scores: list[float | None] = []

    def _record(self, hook: str, ctx: TransferContext) -> None:
        self.calls.append((hook, ctx.epoch, ctx.step))

    def before_transfer(self, ctx: TransferContext) -> None:
        self._record("before_transfer", ctx)

    def configure_param_groups(self, ctx: TransferContext, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self._record("configure_param_groups", ctx)
        return groups

    def on_epoch_start(self, ctx: TransferContext, epoch: int) -> None:
        self._record("on_epoch_start", ctx)

    def extra_loss(self, ctx: TransferContext) -> torch.Tensor | None:
        self._record("extra_loss", ctx)
        return None

    def after_backward(self, ctx: TransferContext) -> None:
        self._record("after_backward", ctx)

    def after_step(self, ctx: TransferContext) -> None:
        self._record("after_step", ctx)

    def on_epoch_end(self, ctx: TransferContext, epoch: int, dev_score: float | None) -> None:
        self._record("on_epoch_end", ctx)
        self.dev_scores.append(dev_score)

    def after_transfer(self, ctx: TransferContext) -> None:
        self._record("after_transfer", ctx)

    def state_dict(self) -> dict[str, Any]:
        return {"n_calls": len(self.calls)}

    def hooks(self) -> list[str]:
        """The hook names called so far, in order."""
        return [hook for hook, _, _ in self.calls]


class ConstantLoss(Strategy):
    """Adds ``value`` (a 0-dim tensor) to the loss at every step.

    >>> ConstantLoss(value=0.5).value
    0.5
    """

    name = "constant_loss"

    def __init__(self, *, value: float = 1.0) -> None:
        self.value = float(value)

    def extra_loss(self, ctx: TransferContext) -> torch.Tensor | None:
        return torch.tensor(self.value)

    def __repr__(self) -> str:
        return f"ConstantLoss(value={self.value})"
