"""``GradualUnfreezing``: ULMFiT's schedule (Howard & Ruder, ACL 2018) - train the top layer first, then unfreeze
one more layer below every ``every`` epochs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mitigate.session import Strategy
from mitigate.session._names import as_name_list
from mitigate.strategies._layers import layer_names
from mitigate.strategies.freeze import freeze_batchnorm

if TYPE_CHECKING:
    import optuna
    from torch import nn

    from mitigate.session import TransferContext

__all__ = ["GradualUnfreezing"]


class GradualUnfreezing(Strategy):
    """At epoch ``e`` the top ``1 + e // every`` layers train and the ones below stay frozen.

    ``layers`` lists module names from bottom to top; by default the model's top-level children that hold
    parameters, in definition order (for the tagger: ``wre``, ``fe``, ``classifier``). Unfrozen parameters go back
    into the optimizer group they came from (with the learning rate other strategies gave them). Parameters already
    frozen when it starts (by the user or by strategies listed before it) stay frozen.

    >>> GradualUnfreezing(every=2)
    GradualUnfreezing(layers=None, every=2)
    >>> GradualUnfreezing(every=0)
    Traceback (most recent call last):
    ...
    ValueError: Expected argument `every` to be an int >= 1, but got 0.
    """

    name = "gradual_unfreezing"

    def __init__(self, *, layers: Sequence[str] | None = None, every: int = 1) -> None:
        self.layers = None if layers is None else as_name_list(layers, argument="layers")
        if self.layers is not None and len(self.layers) < 2:
            raise ValueError(f"Expected argument `layers` to name at least 2 layers, but got {self.layers!r}.")
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"Expected argument `every` to be an int >= 1, but got {every!r}.")
        self.every = every
        self.unfrozen = 1
        self._layers: list[str] = []
        self._held_back: set[str] = set()

    def claims(self) -> frozenset[str]:
        return frozenset({"schedule:requires_grad"})

    def before_transfer(self, ctx: TransferContext) -> None:
        self._layers = layer_names(ctx.model, self.layers)
        if len(self._layers) < 2:
            raise ValueError(
                f"Expected the model to have at least 2 layers to unfreeze gradually, but found {self._layers!r}; "
                f"pass `layers`."
            )
        self._held_back = {name for name, p in ctx.match_parameters(self._layers) if not p.requires_grad}
        self._apply(ctx, self.unfrozen)

    def on_epoch_start(self, ctx: TransferContext, epoch: int) -> None:
        self._apply(ctx, 1 + epoch // self.every)

    def _apply(self, ctx: TransferContext, unfrozen: int) -> None:
        unfrozen = min(max(unfrozen, 1), len(self._layers))
        cut = len(self._layers) - unfrozen
        if cut:
            frozen = ctx.freeze(self._layers[:cut])
            freeze_batchnorm(ctx, set(frozen))
        names = [name for name, _ in ctx.match_parameters(self._layers[cut:]) if name not in self._held_back]
        if names:
            ctx.unfreeze(names)
        self.unfrozen = unfrozen

    def state_dict(self) -> dict[str, Any]:
        return {"unfrozen": self.unfrozen}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.unfrozen = int(state["unfrozen"])

    @classmethod
    def suggest(cls, trial: optuna.Trial, *, prefix: str = "", **fixed: Any) -> GradualUnfreezing:
        """Search ``every`` in [1, 3] (``fixed``: ``layers``)."""
        return cls(every=trial.suggest_int(f"{prefix}every", 1, 3), **fixed)

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> GradualUnfreezing:
        return cls(every=1)

    def __repr__(self) -> str:
        return f"GradualUnfreezing(layers={self.layers!r}, every={self.every})"
