"""``L2SP``: pull the fine-tuned weights toward the pretrained ones (Li, Grandvalet, Davoine, ICML 2018)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

from mitigate.session import Strategy
from mitigate.session._names import as_name_list, match_parameters

if TYPE_CHECKING:
    import optuna
    from torch import nn

    from mitigate.session import TransferContext

__all__ = ["L2SP"]


class L2SP(Strategy):
    """Add ``α/2 · ‖w − w₀‖²`` over the transferred parameters (``w₀`` their pretrained values) and
    ``β/2 · ‖w‖²`` over new parameters (those under ``new_modules``, or absent / reshaped in the reference).

    ``reference`` is the pretrained state dict; by default the model's state when the session is entered
    (``ctx.pretrained_state``). Only trainable parameters count at each step. With ``alpha=0`` and ``beta=0`` it
    adds nothing.

    >>> L2SP(alpha=0.01, beta=0.001, new_modules=["classifier"])
    L2SP(alpha=0.01, beta=0.001)
    >>> L2SP(alpha=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: Expected argument `alpha` to be a float >= 0, but got -1.0.
    """

    name = "l2sp"

    def __init__(
        self,
        *,
        alpha: float = 0.01,
        beta: float = 0.0,
        new_modules: Sequence[str] = (),
        reference: Mapping[str, torch.Tensor] | None = None,
    ) -> None:
        for argument, value in (("alpha", alpha), ("beta", beta)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"Expected argument `{argument}` to be a float >= 0, but got {value!r}.")
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.new_modules = as_name_list(new_modules, argument="new_modules")
        self.reference = reference
        self._anchored: list[tuple[torch.nn.Parameter, torch.Tensor]] = []
        self._new: list[torch.nn.Parameter] = []

    def claims(self) -> frozenset[str]:
        return frozenset({"regulariser:l2sp"})

    def before_transfer(self, ctx: TransferContext) -> None:
        reference = self.reference if self.reference is not None else ctx.pretrained_state
        new_names = {name for name, _ in match_parameters(ctx.model, self.new_modules, argument="new_modules")}
        self._anchored, self._new = [], []
        for name, param in ctx.model.named_parameters():
            w0 = reference.get(name)
            if name in new_names or w0 is None or tuple(w0.shape) != tuple(param.shape):
                self._new.append(param)
            else:
                self._anchored.append((param, w0.detach().to(device=param.device, dtype=param.dtype)))

    def extra_loss(self, ctx: TransferContext) -> torch.Tensor | None:
        terms = []
        if self.alpha > 0:
            pulled = [(p - w0).pow(2).sum() for p, w0 in self._anchored if p.requires_grad]
            if pulled:
                terms.append(0.5 * self.alpha * torch.stack(pulled).sum())
        if self.beta > 0:
            decayed = [p.pow(2).sum() for p in self._new if p.requires_grad]
            if decayed:
                terms.append(0.5 * self.beta * torch.stack(decayed).sum())
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    def after_transfer(self, ctx: TransferContext) -> None:
        self._anchored, self._new = [], []

    @classmethod
    def suggest(cls, trial: optuna.Trial, *, prefix: str = "", **fixed: Any) -> L2SP:
        """Search ``alpha`` in [1e-4, 1] and ``beta`` in [1e-5, 1e-1], both log-uniform."""
        alpha = trial.suggest_float(f"{prefix}alpha", 1e-4, 1.0, log=True)
        beta = trial.suggest_float(f"{prefix}beta", 1e-5, 1e-1, log=True)
        return cls(alpha=alpha, beta=beta, **fixed)

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> L2SP:
        return cls(alpha=0.1, beta=0.01)

    def __repr__(self) -> str:
        return f"L2SP(alpha={self.alpha}, beta={self.beta})"
