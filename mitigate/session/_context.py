"""``TransferContext``: what every hook sees, and the undoable helpers strategies change the model through."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from mitigate.session._groups import GroupManager
from mitigate.session._names import as_name_list, match_modules, match_parameters

__all__ = ["TransferContext"]


class TransferContext:
    """The model, optimizer and progress of one transfer, passed to every strategy hook.

    ``pretrained_state`` is a detached copy of the model's ``state_dict`` taken when the session is entered
    (before any strategy ran). Changes made through ``freeze`` / ``unfreeze`` / ``force_eval`` /
    ``register_forward_hook`` / ``register_forward_pre_hook`` are recorded and undone when the session exits.
    Changes made to weights (re-initialisation, pruning) are kept: they are the point of the strategy.

    >>> from torch import nn
    >>> from mitigate.session import TransferSession
    >>> model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    >>> session = TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    >>> with session:
    ...     session.context.freeze("0")
    ...     [n for n, p in model.named_parameters() if p.requires_grad]
    ['0.weight', '0.bias']
    ['1.weight', '1.bias']
    >>> model[0].weight.requires_grad
    True
    """

    def __init__(self, *, model: nn.Module, optimizer: torch.optim.Optimizer, groups: GroupManager) -> None:
        self.model = model
        self.optimizer = optimizer
        self.pretrained_state: dict[str, torch.Tensor] = {
            name: tensor.detach().clone() for name, tensor in model.state_dict().items()
        }
        self.epoch = -1
        self.step = 0
        self._groups = groups
        self._requires_grad: dict[int, tuple[nn.Parameter, bool]] = {}
        self._handles: list[RemovableHandle] = []
        self._training: dict[int, tuple[nn.Module, bool]] = {}

    # -- lookup ---------------------------------------------------------------------------------------------
    def get_module(self, name: str) -> nn.Module:
        """The submodule called ``name`` (an error lists close matches when there is none)."""
        return match_modules(self.model, [name], argument="name")[0][1]

    def match_modules(self, names: str | Iterable[str]) -> list[tuple[str, nn.Module]]:
        """``(name, module)`` pairs for exact names or glob patterns, in model order."""
        return match_modules(self.model, as_name_list(names, argument="names"))

    def match_parameters(self, names: str | Iterable[str]) -> list[tuple[str, nn.Parameter]]:
        """``(name, parameter)`` pairs for parameter names, module names or glob patterns, in model order."""
        return match_parameters(self.model, as_name_list(names, argument="names"))

    # -- undoable changes -----------------------------------------------------------------------------------
    def freeze(self, names: str | Iterable[str]) -> list[str]:
        """Stop training the named modules / parameters (``requires_grad=False``, out of the optimizer's groups).

        Returns the names of the parameters frozen. Freezing every parameter of the model is an error.
        """
        hits = self.match_parameters(names)
        hit_ids = {id(p) for _, p in hits}
        if not any(p.requires_grad and id(p) not in hit_ids for p in self.model.parameters()):
            raise ValueError(
                f"Expected some parameters to stay trainable, but freezing {as_name_list(names, argument='names')} "
                f"would freeze every parameter of the model."
            )
        for name, param in hits:
            self._set_requires_grad(param, False)
            param.grad = None
            self._groups.park(param)
        return [name for name, _ in hits]

    def unfreeze(self, names: str | Iterable[str]) -> list[str]:
        """Train the named modules / parameters again (back into the group strategies chose for them)."""
        hits = self.match_parameters(names)
        for name, param in hits:
            self._groups.unpark(param, name)
            self._set_requires_grad(param, True)
        return [name for name, _ in hits]

    def is_frozen(self, name: str) -> bool:
        """Whether every parameter under ``name`` is frozen."""
        return not any(p.requires_grad for _, p in self.match_parameters(name))

    def force_eval(self, names: str | Iterable[str]) -> list[str]:
        """Keep the named modules (and their children) in eval mode for the session, even when the loop calls
        ``model.train()`` (e.g. frozen BatchNorm keeps its running statistics)."""
        chosen = self.match_modules(names)
        for _, module in chosen:
            for sub in module.modules():
                if id(sub) in self._training:
                    continue
                self._training[id(sub)] = (sub, sub.training)
                sub.training = False
                self._handles.append(sub.register_forward_pre_hook(_keep_eval))
        return [name for name, _ in chosen]

    def register_forward_hook(self, module_name: str, fn: Callable[..., Any]) -> RemovableHandle:
        """``register_forward_hook`` on the named module, removed when the session exits."""
        handle = self.get_module(module_name).register_forward_hook(fn)
        self._handles.append(handle)
        return handle

    def register_forward_pre_hook(self, module_name: str, fn: Callable[..., Any]) -> RemovableHandle:
        """``register_forward_pre_hook`` on the named module, removed when the session exits."""
        handle = self.get_module(module_name).register_forward_pre_hook(fn)
        self._handles.append(handle)
        return handle

    def trainable_parameters(self) -> list[tuple[str, nn.Parameter]]:
        """The parameters currently trained."""
        return [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]

    # -- session internals -----------------------------------------------------------------------------------
    def _set_requires_grad(self, param: nn.Parameter, value: bool) -> None:
        self._requires_grad.setdefault(id(param), (param, param.requires_grad))
        param.requires_grad_(value)

    def _undo(self) -> None:
        for handle in reversed(self._handles):
            handle.remove()
        self._handles.clear()
        for module, training in self._training.values():
            module.training = training
        self._training.clear()
        for param, requires_grad in self._requires_grad.values():
            param.requires_grad_(requires_grad)
        self._requires_grad.clear()

    def __repr__(self) -> str:
        return f"TransferContext(model={type(self.model).__name__}, epoch={self.epoch}, step={self.step})"


def _keep_eval(module: nn.Module, args: Any) -> None:
    module.training = False
