"""``Compose``: several strategies run as one, in order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mitigate.session.strategy import Strategy

if TYPE_CHECKING:
    import torch

    from mitigate.session._context import TransferContext

__all__ = ["Compose"]


class Compose(Strategy):
    """Run ``strategies`` as one strategy: every hook calls them in order, ``configure_param_groups`` chains them
    and ``extra_loss`` sums their terms. Two strategies that claim the same resource, or the same strategy object
    given twice, are refused here, at construction.

    >>> from mitigate.strategies import FreezeModules, L2SP
    >>> Compose([FreezeModules(patterns=["wre"]), L2SP(alpha=0.01)]).claims() == frozenset({"freeze:wre", "regulariser:l2sp"})
    True
    >>> Compose([L2SP(alpha=0.01), L2SP(alpha=0.1)])
    Traceback (most recent call last):
    ...
    ValueError: Strategies L2SP(alpha=0.01, beta=0.0) and L2SP(alpha=0.1, beta=0.0) both claim 'regulariser:l2sp'; keep one of them.
    """

    name = "compose"

    def __init__(self, strategies: Iterable[Strategy]) -> None:
        strategies = list(strategies) if not isinstance(strategies, Strategy) else [strategies]
        for index, strategy in enumerate(strategies):
            if not isinstance(strategy, Strategy):
                raise TypeError(
                    f"Expected argument `strategies` to hold Strategy instances, but item {index} is "
                    f"{type(strategy).__name__}."
                )
        leaves = _leaves(strategies)
        seen: dict[int, Strategy] = {}
        for strategy in leaves:
            if id(strategy) in seen:
                raise ValueError(
                    f"Strategy {strategy!r} is attached twice; build a second instance if you mean two of them."
                )
            seen[id(strategy)] = strategy
        owners: dict[str, Strategy] = {}
        for strategy in (s for s in leaves if not isinstance(s, Compose)):
            for resource in sorted(strategy.claims()):
                if resource in owners:
                    raise ValueError(
                        f"Strategies {owners[resource]!r} and {strategy!r} both claim {resource!r}; keep one of them."
                    )
                owners[resource] = strategy
        self.strategies: list[Strategy] = strategies

    def claims(self) -> frozenset[str]:
        return frozenset().union(*(s.claims() for s in self.strategies))

    def before_transfer(self, ctx: TransferContext) -> None:
        for strategy in self.strategies:
            strategy.before_transfer(ctx)

    def configure_param_groups(self, ctx: TransferContext, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for strategy in self.strategies:
            groups = strategy.configure_param_groups(ctx, groups)
        return groups

    def on_epoch_start(self, ctx: TransferContext, epoch: int) -> None:
        for strategy in self.strategies:
            strategy.on_epoch_start(ctx, epoch)

    def extra_loss(self, ctx: TransferContext) -> torch.Tensor | None:
        total = None
        for strategy in self.strategies:
            term = strategy.extra_loss(ctx)
            if term is not None:
                total = term if total is None else total + term
        return total

    def after_backward(self, ctx: TransferContext) -> None:
        for strategy in self.strategies:
            strategy.after_backward(ctx)

    def after_step(self, ctx: TransferContext) -> None:
        for strategy in self.strategies:
            strategy.after_step(ctx)

    def on_epoch_end(self, ctx: TransferContext, epoch: int, dev_score: float | None) -> None:
        for strategy in self.strategies:
            strategy.on_epoch_end(ctx, epoch, dev_score)

    def after_transfer(self, ctx: TransferContext) -> None:
        errors: list[BaseException] = []
        for strategy in self.strategies:
            try:
                strategy.after_transfer(ctx)
            except Exception as error:  # every strategy gets its after_transfer; the first error is re-raised
                errors.append(error)
        if errors:
            raise errors[0]

    def state_dict(self) -> dict[str, Any]:
        return {"strategies": [s.state_dict() for s in self.strategies]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        states = state.get("strategies") if isinstance(state, dict) else None
        if not isinstance(states, list) or len(states) != len(self.strategies):
            got = len(states) if isinstance(states, list) else type(states).__name__
            raise ValueError(
                f"Expected argument `state` to hold {len(self.strategies)} strategy states under 'strategies', "
                f"but got {got}."
            )
        for strategy, sub in zip(self.strategies, states):
            strategy.load_state_dict(sub)

    def __repr__(self) -> str:
        return f"Compose([{', '.join(repr(s) for s in self.strategies)}])"


def _leaves(strategies: list[Strategy]) -> list[Strategy]:
    out: list[Strategy] = []
    for strategy in strategies:
        if isinstance(strategy, Compose):
            out.append(strategy)
            out.extend(_leaves(strategy.strategies))
        else:
            out.append(strategy)
    return out
