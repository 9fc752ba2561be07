"""The optimizer's parameter groups during a session: reshaped once, frozen parameters parked, restored on exit."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["GroupManager"]


class GroupManager:
    """Keeps the optimizer's groups in step with ``requires_grad``.

    After ``install``, every parameter has a *home* group (the group strategies put it in). A frozen parameter is
    removed from its group's ``params`` (``park``) and goes back there when unfrozen (``unpark``), so it comes back
    with the learning rate strategies chose for it. Groups are edited in place (``param_groups[:] = ...``) because
    wrappers such as Lightning's ``LightningOptimizer`` share the list object.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, names: dict[int, str]) -> None:
        self.optimizer = optimizer
        self.names = names
        self.original: list[dict[str, Any]] = list(optimizer.param_groups)
        self.original_params: list[list[torch.Tensor]] = [list(g["params"]) for g in optimizer.param_groups]
        self.held: dict[int, torch.Tensor] = {id(p): p for g in self.original_params for p in g}
        self.home: dict[int, int] = {}
        self.installed = False

    def copies(self) -> list[dict[str, Any]]:
        """Fresh copies of the original groups (with every parameter), for ``configure_param_groups``."""
        return [{**group, "params": list(params)} for group, params in zip(self.original, self.original_params)]

    def install(self, groups: Any, *, owner: str) -> None:
        """Validate ``groups`` (returned by ``owner``) and make them the optimizer's groups, frozen params parked."""
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise TypeError(
                f"Expected `configure_param_groups` of {owner} to return a list of dicts, but got {type(groups).__name__}."
            )
        seen: dict[int, int] = {}
        normalised: list[list[torch.Tensor]] = []
        for index, group in enumerate(groups):
            params = group.get("params")
            if isinstance(params, torch.Tensor):
                params = [params]
            if not isinstance(params, (list, tuple)):
                raise TypeError(
                    f"Expected every group returned by {owner} to hold a list under 'params', "
                    f"but group {index} holds {type(params).__name__}."
                )
            for param in params:
                key = id(param)
                if key not in self.held:
                    name = self.names.get(key, "a tensor outside the model")
                    raise ValueError(
                        f"Expected the groups returned by {owner} to hold only parameters the optimizer held, "
                        f"but group {index} holds {name}."
                    )
                if key in seen:
                    raise ValueError(
                        f"Expected the groups returned by {owner} to hold each parameter once, but "
                        f"{self.names.get(key, '?')!r} is in groups {seen[key]} and {index}."
                    )
                seen[key] = index
            normalised.append(list(params))
        missing = [self.names.get(k, "?") for k in self.held if k not in seen]
        if missing:
            raise ValueError(
                f"Expected the groups returned by {owner} to keep every parameter the optimizer held, but "
                f"{len(missing)} are missing (e.g. {missing[0]!r})."
            )
        defaults = getattr(self.optimizer, "defaults", {}) or {}
        full = [{**defaults, **group, "params": params} for group, params in zip(groups, normalised)]
        self.home = dict(seen)
        active = [{**group, "params": [p for p in group["params"] if p.requires_grad]} for group in full]
        self.optimizer.param_groups[:] = active
        self.installed = True

    def park(self, param: torch.Tensor) -> None:
        """Take a (now frozen) parameter out of its group."""
        if not self.installed or id(param) not in self.home:
            return
        group = self.optimizer.param_groups[self.home[id(param)]]
        group["params"] = [p for p in group["params"] if p is not param]

    def unpark(self, param: torch.Tensor, name: str) -> None:
        """Put an unfrozen parameter back into its group."""
        if id(param) not in self.held:
            raise ValueError(
                f"Cannot unfreeze {name!r}: the optimizer does not hold it. Build the optimizer over all the "
                f"model's parameters (e.g. `model.parameters()`) so strategies can unfreeze them."
            )
        if not self.installed:
            return
        group = self.optimizer.param_groups[self.home[id(param)]]
        if not any(p is param for p in group["params"]):
            group["params"].append(param)

    def restore(self) -> None:
        """Give the optimizer back its original groups."""
        for group, params in zip(self.original, self.original_params):
            group["params"] = params
        self.optimizer.param_groups[:] = self.original
        self.installed = False
