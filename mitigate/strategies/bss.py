"""``BSS``: Batch Spectral Shrinkage (Chen, Wang, Fu, Long, Wang, "Catastrophic Forgetting Meets Negative
Transfer", NeurIPS 2019)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from mitigate.session import Strategy

if TYPE_CHECKING:
    import optuna
    from torch import nn

    from mitigate.session import TransferContext

__all__ = ["BSS"]


class BSS(Strategy):
    """Penalise the ``k`` smallest singular values of the batch feature matrix read from ``module``:
    ``eta · Σᵢ σ²₋ᵢ``, which suppresses the feature directions the paper ties to negative transfer.

    Features are the module's output during training forward passes (a tuple output gives its first item),
    flattened to ``(items, dim)``; for a tagger every position is an item (padding rows are zero and add nothing
    to the spectrum's large end). The loss uses the last forward pass before ``session.extra_loss()``.

    >>> BSS(module="fe_out", k=1, eta=0.001)
    BSS(module='fe_out', k=1, eta=0.001)
    >>> BSS(module="fe_out", k=0)
    Traceback (most recent call last):
    ...
    ValueError: Expected argument `k` to be an int >= 1, but got 0.
    """

    name = "bss"

    def __init__(self, *, module: str, k: int = 1, eta: float = 0.001) -> None:
        if not isinstance(module, str) or not module:
            raise TypeError(f"Expected argument `module` to be a module name, but got {module!r}.")
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"Expected argument `k` to be an int >= 1, but got {k!r}.")
        if isinstance(eta, bool) or not isinstance(eta, (int, float)) or eta < 0:
            raise ValueError(f"Expected argument `eta` to be a float >= 0, but got {eta!r}.")
        self.module = module
        self.k = k
        self.eta = float(eta)
        self._features: torch.Tensor | None = None
        self.last_penalty: float | None = None

    def claims(self) -> frozenset[str]:
        return frozenset({f"regulariser:bss:{self.module}"})

    def before_transfer(self, ctx: TransferContext) -> None:
        ctx.register_forward_hook(self.module, self._capture)

    def _capture(self, module: nn.Module, args: Any, output: Any) -> None:
        if isinstance(output, (tuple, list)):
            output = output[0]
        if module.training and torch.is_grad_enabled() and isinstance(output, torch.Tensor):
            self._features = output

    def extra_loss(self, ctx: TransferContext) -> torch.Tensor | None:
        features, self._features = self._features, None
        if features is None or self.eta == 0:
            return None
        matrix = features.reshape(-1, features.shape[-1]) if features.dim() > 1 else features.reshape(1, -1)
        k = min(self.k, min(matrix.shape))
        singular = torch.linalg.svdvals(matrix.float())  # descending
        penalty = self.eta * singular[-k:].pow(2).sum()
        self.last_penalty = float(penalty.detach())
        return penalty.to(features.dtype)

    def after_transfer(self, ctx: TransferContext) -> None:
        self._features = None

    @classmethod
    def suggest(cls, trial: optuna.Trial, *, prefix: str = "", **fixed: Any) -> BSS:
        """Search ``k`` in [1, 5] and ``eta`` in [1e-4, 1e-1] log-uniform (``fixed``: ``module``, default ``fe_out``)."""
        module = fixed.pop("module", "fe_out")
        k = trial.suggest_int(f"{prefix}k", 1, 5)
        eta = trial.suggest_float(f"{prefix}eta", 1e-4, 1e-1, log=True)
        return cls(module=module, k=k, eta=eta, **fixed)

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> BSS:
        return cls(module="fe_out", k=2, eta=0.01)

    def __repr__(self) -> str:
        return f"BSS(module={self.module!r}, k={self.k}, eta={self.eta})"
