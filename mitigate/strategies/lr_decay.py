"""``LayerwiseLRDecay``: lower layers learn slower (discriminative fine-tuning, Howard & Ruder 2018)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mitigate.session import Strategy
from mitigate.session._names import as_name_list
from mitigate.strategies._layers import layer_names

if TYPE_CHECKING:
    import optuna
    from torch import nn

    from mitigate.session import TransferContext

__all__ = ["LayerwiseLRDecay"]


class LayerwiseLRDecay(Strategy):
    """Split every optimizer group by layer: the top layer keeps the group's ``lr``, the layer ``d`` below it
    gets ``lr · decay**d``. Parameters outside ``layers`` keep the group's ``lr``.

    ``layers`` lists module names from bottom to top (default: top-level children with parameters, in order).
    Create learning-rate schedulers inside the session: they index the optimizer's groups.

    >>> LayerwiseLRDecay(decay=0.5)
    LayerwiseLRDecay(decay=0.5, layers=None)
    >>> LayerwiseLRDecay(decay=1.5)
    Traceback (most recent call last):
    ...
    ValueError: Expected argument `decay` to be in (0, 1], but got 1.5.
    """

    name = "lr_decay"

    def __init__(self, *, decay: float = 0.8, layers: Sequence[str] | None = None) -> None:
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 < decay <= 1:
            raise ValueError(f"Expected argument `decay` to be in (0, 1], but got {decay!r}.")
        self.decay = float(decay)
        self.layers = None if layers is None else as_name_list(layers, argument="layers")
        self.learning_rates: dict[str, float] = {}

    def claims(self) -> frozenset[str]:
        return frozenset({"param_groups:lr"})

    def configure_param_groups(self, ctx: TransferContext, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        layers = layer_names(ctx.model, self.layers)
        depth_of: dict[int, int] = {}
        for index, layer in enumerate(layers):
            for _, param in ctx.match_parameters(layer):
                depth_of.setdefault(id(param), len(layers) - 1 - index)
        names = {id(p): n for n, p in ctx.model.named_parameters()}
        out: list[dict[str, Any]] = []
        self.learning_rates = {}
        for group in groups:
            by_depth: dict[int, list[Any]] = {}
            for param in group["params"]:
                by_depth.setdefault(depth_of.get(id(param), 0), []).append(param)
            for depth in sorted(by_depth, reverse=True):
                lr = group["lr"] * self.decay**depth
                out.append({**group, "params": by_depth[depth], "lr": lr})
                for param in by_depth[depth]:
                    self.learning_rates[names[id(param)]] = lr
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"learning_rates": dict(self.learning_rates)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.learning_rates = dict(state.get("learning_rates", {}))

    @classmethod
    def suggest(cls, trial: optuna.Trial, *, prefix: str = "", **fixed: Any) -> LayerwiseLRDecay:
        """Search ``decay`` in [0.1, 1.0] (``fixed``: ``layers``)."""
        return cls(decay=trial.suggest_float(f"{prefix}decay", 0.1, 1.0), **fixed)

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> LayerwiseLRDecay:
        return cls(decay=0.5)

    def __repr__(self) -> str:
        return f"LayerwiseLRDecay(decay={self.decay}, layers={self.layers!r})"
