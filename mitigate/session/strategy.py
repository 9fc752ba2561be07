"""The ``Strategy`` base: a handful of typed hooks, each a no-op by default, around the transfer step.

A strategy is bound to its parameters at construction and applied to a model by a ``TransferSession``
(``mitigate.session``), which calls the hooks in this order::

    before_transfer(ctx)                      # once, on entering the session: freeze / prune / re-init / add modules
    configure_param_groups(ctx, groups)       # once, after before_transfer: reshape the optimizer's groups
    for each epoch:
        on_epoch_start(ctx, epoch)
        for each step:
            extra_loss(ctx)                   # added to the user's loss (regularisers); None for nothing
            after_backward(ctx)               # gradients are ready, optimizer.step() is next (e.g. mask gradients)
            after_step(ctx)                   # parameters were updated (e.g. keep pruned weights at zero)
        on_epoch_end(ctx, epoch, dev_score)
    after_transfer(ctx)                       # once, on leaving the session (also on exceptions)

Everything a hook changes through ``ctx`` (requires_grad flags, module hooks, optimizer groups, train/eval
modes) is recorded by the session and undone on exit, so a strategy seldom needs ``after_transfer``.
``ctx`` is a ``mitigate.session.TransferContext``. Every strategy must pass ``mitigate.testing.check_strategy``.

>>> from mitigate.testing import check_strategy
>>> class Nothing(Strategy):
...     name = "nothing"
>>> check_strategy(Nothing)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import optuna
    import torch
    from torch import nn

    from mitigate.session._context import TransferContext

__all__ = ["Strategy"]


class Strategy:
    """Base class of every mitigation strategy. Subclasses override only the hooks they need.

    ``name`` is the registry name (``mitigate.strategies.get(name)``). ``claims()`` lists what the strategy
    takes exclusive control of (e.g. ``"reinit:fe"``), so ``Compose`` can refuse two strategies that
    claim the same thing when it is constructed.
    """

    name: ClassVar[str] = "strategy"
    #: Constructor arguments the benchmark harness and the tuner may take from the scenario, as
    #: ``{argument: input name}`` (names of ``TransferScenario.strategy_inputs``, plus ``"seed"``); arguments a
    #: config gives explicitly win. Empty for strategies built from parameters alone.
    scenario_inputs: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def claims(self) -> frozenset[str]:
        """Exclusive resources this strategy controls (e.g. ``"reinit:fe"``, ``"regulariser:l2sp"``, ``"param_groups:lr"``);
        two composed strategies may not share one. Names are fixed at construction (no model needed)."""
        return frozenset()

    def before_transfer(self, ctx: TransferContext) -> None:
        """Prepare the transferred model before any target step."""

    def configure_param_groups(self, ctx: TransferContext, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Return the optimizer's parameter groups.

        ``groups`` are copies of the optimizer's groups holding every parameter it held (frozen ones included, so
        a parameter unfrozen later comes back with the learning rate chosen here). Keep each parameter in exactly
        one group; missing hyper-parameters are filled from ``optimizer.defaults``. After this hook the session
        takes frozen parameters out of the groups.
        """
        return groups

    def on_epoch_start(self, ctx: TransferContext, epoch: int) -> None:
        """Called at the start of every target epoch (0-based)."""

    def extra_loss(self, ctx: TransferContext) -> torch.Tensor | None:
        """A term added to the user's loss at every step, or ``None``."""
        return None

    def after_backward(self, ctx: TransferContext) -> None:
        """Gradients are computed and ``optimizer.step()`` is about to run."""

    def after_step(self, ctx: TransferContext) -> None:
        """``optimizer.step()`` has updated the parameters."""

    def on_epoch_end(self, ctx: TransferContext, epoch: int, dev_score: float | None) -> None:
        """Called at the end of every target epoch with the user's dev score (higher is better) if any."""

    def after_transfer(self, ctx: TransferContext) -> None:
        """Called once when the session exits, also after an exception."""

    def state_dict(self) -> dict[str, Any]:
        """Serialisable state (tensors, numbers, strings, lists, dicts) to resume the strategy."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""

    @classmethod
    def suggest(cls, trial: optuna.Trial, *, prefix: str = "", **fixed: Any) -> Strategy:
        """Build an instance from an Optuna trial (its search space). Parameter names start with ``prefix``;
        ``fixed`` holds constructor arguments that are not searched (data loaders, module names).
        Strategies without a search space refuse."""
        raise NotImplementedError(f"strategy {cls.name!r} declares no search space")

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> Strategy:
        """A small instance that works on ``model`` (``mitigate.testing``'s tiny tagger by default), used by the
        contract suite ``mitigate.testing.check_strategy`` for every registered strategy. ``batches`` is a
        short list of ``(inputs, targets)`` pairs for strategies that need data. The default calls ``cls()``."""
        return cls()

    @classmethod
    def example_model(cls) -> nn.Module | None:
        """A fresh small model for ``example`` when the strategy needs a special architecture (e.g. a gated
        mixture), or ``None`` for ``mitigate.testing.TinyTagger``. It must accept ``tiny_tagger_batches()``."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
