"""``FreezeModules``: keep chosen pretrained modules fixed during fine-tuning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from torch import nn

from mitigate.session import Strategy
from mitigate.session._names import as_name_list
from mitigate.strategies._layers import layer_names

if TYPE_CHECKING:
    import optuna

    from mitigate.session import TransferContext

__all__ = ["FreezeModules"]


class FreezeModules(Strategy):
    """Freeze modules by name or glob pattern (``patterns``) and/or the first ``first_k`` top-level children that
    hold parameters. Frozen parameters leave the optimizer's groups; BatchNorm layers whose parameters are all
    frozen stay in eval mode (``bn_eval``), so their running statistics stay the pretrained ones.

    >>> from torch import nn
    >>> FreezeModules(patterns=["wre.*"], first_k=1).claims() == frozenset({"freeze:wre.*", "freeze:first_k"})
    True
    >>> FreezeModules()
    Traceback (most recent call last):
    ...
    ValueError: Expected argument `patterns` or `first_k` to choose modules to freeze, but got neither.
    """

    name = "freeze"

    def __init__(self, *, patterns: Sequence[str] = (), first_k: int | None = None, bn_eval: bool = True) -> None:
        self.patterns = as_name_list(patterns, argument="patterns")
        if first_k is not None and (not isinstance(first_k, int) or isinstance(first_k, bool) or first_k < 1):
            raise ValueError(f"Expected argument `first_k` to be an int >= 1 or None, but got {first_k!r}.")
        if not self.patterns and first_k is None:
            raise ValueError("Expected argument `patterns` or `first_k` to choose modules to freeze, but got neither.")
        self.first_k = first_k
        self.bn_eval = bool(bn_eval)
        self.frozen: list[str] = []

    def claims(self) -> frozenset[str]:
        out = {f"freeze:{pattern}" for pattern in self.patterns}
        if self.first_k is not None:
            out.add("freeze:first_k")
        return frozenset(out)

    def targets(self, model: nn.Module) -> list[str]:
        """The module / parameter names this strategy freezes on ``model``."""
        names = list(self.patterns)
        if self.first_k is not None:
            layers = layer_names(model, None)
            if self.first_k >= len(layers):
                raise ValueError(
                    f"Expected argument `first_k` to be below the number of top-level modules with parameters "
                    f"({len(layers)}: {', '.join(layers)}), but got {self.first_k}."
                )
            names += layers[: self.first_k]
        return names

    def before_transfer(self, ctx: TransferContext) -> None:
        self.frozen = ctx.freeze(self.targets(ctx.model))
        if self.bn_eval:
            freeze_batchnorm(ctx, set(self.frozen))

    def state_dict(self) -> dict[str, Any]:
        return {"frozen": list(self.frozen)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.frozen = list(state.get("frozen", []))

    @classmethod
    def suggest(cls, trial: optuna.Trial, *, prefix: str = "", **fixed: Any) -> FreezeModules:
        """Search ``first_k`` in [1, ``max_k``] (``fixed``: ``max_k`` default 2, ``bn_eval``)."""
        max_k = int(fixed.pop("max_k", 2))
        return cls(first_k=trial.suggest_int(f"{prefix}first_k", 1, max_k), **fixed)

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> FreezeModules:
        return cls(first_k=1)

    def __repr__(self) -> str:
        args = []
        if self.patterns:
            args.append(f"patterns={self.patterns!r}")
        if self.first_k is not None:
            args.append(f"first_k={self.first_k}")
        return f"FreezeModules({', '.join(args)})"


def freeze_batchnorm(ctx: TransferContext, frozen: set[str]) -> None:
    """Keep in eval mode every BatchNorm whose parameters are all in ``frozen`` (parameter names)."""
    for name, module in ctx.model.named_modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            params = [f"{name}.{p}" for p, _ in module.named_parameters()]
            if params and all(p in frozen for p in params):
                ctx.force_eval(name)
