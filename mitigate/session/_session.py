"""``TransferSession``: attach strategies to a user's own model, optimizer and loop, and undo them on exit."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from types import TracebackType
from typing import Any, cast

import torch
from torch import nn

from mitigate.session._compose import Compose
from mitigate.session._context import TransferContext
from mitigate.session._groups import GroupManager
from mitigate.session.strategy import Strategy

__all__ = ["TransferSession"]

_NEW, _OPEN, _CLOSED = "new", "open", "closed"


class TransferSession:
    """Run ``strategies`` around the fine-tuning loop the user already has.

    Entering calls ``before_transfer`` then ``configure_param_groups`` (the optimizer's groups are reshaped in place
    and frozen parameters leave them), and registers step pre/post hooks on the optimizer that call
    ``after_backward`` / ``after_step``. The loop adds ``session.extra_loss()`` to its loss and calls
    ``epoch_start`` / ``epoch_end``. Exiting (also on an exception) calls ``after_transfer`` then undoes every
    temporary change: ``requires_grad`` flags, module hooks, optimizer groups, forced eval modes.

    With ``optimizer_hooks=False`` nothing is registered on the optimizer and the caller calls ``after_backward()``
    and ``after_step()`` itself (loops whose ``optimizer.step(closure)`` runs the backward pass inside the step,
    e.g. Lightning).

    >>> from torch import nn
    >>> from mitigate.strategies import FreezeModules
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    >>> with TransferSession(model=model, optimizer=optimizer, strategies=[FreezeModules(first_k=1)]) as session:
    ...     for epoch in range(2):
    ...         session.epoch_start(epoch)
    ...         loss = nn.functional.cross_entropy(model(x), y) + session.extra_loss()
    ...         optimizer.zero_grad(); loss.backward(); optimizer.step()
    ...         session.epoch_end(epoch, dev_score=None)
    ...     len(optimizer.param_groups[0]["params"])
    2
    >>> len(optimizer.param_groups[0]["params"]), session.context.step
    (4, 2)
    """

    def __init__(
        self,
        *,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        strategies: Sequence[Strategy] | Strategy = (),
        optimizer_hooks: bool = True,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"Expected argument `model` to be a torch.nn.Module, but got {type(model).__name__}.")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"Expected argument `optimizer` to be a torch.optim.Optimizer, but got {type(optimizer).__name__}."
            )
        self.model = model
        self.optimizer = optimizer
        self.strategy = strategies if isinstance(strategies, Compose) else Compose(strategies)
        self.optimizer_hooks = bool(optimizer_hooks)
        self._names = {id(p): n for n, p in model.named_parameters()}
        _check_optimizer(model, optimizer, self._names)
        self._state = _NEW
        self._context: TransferContext | None = None
        self._optimizer_handles: list[Any] = []
        self._device = torch.device("cpu")
        self._attached: list[Strategy] = []
        self._resume: tuple[int, int] | None = None

    @property
    def strategies(self) -> list[Strategy]:
        """The strategies, in the order their hooks run."""
        return list(self.strategy.strategies)

    @property
    def context(self) -> TransferContext:
        """The ``TransferContext`` of the open (or closed) session."""
        if self._context is None:
            raise RuntimeError("The session has no context yet: enter it first (`with session:`).")
        return self._context

    # -- entering / leaving --------------------------------------------------------------------------------
    def __enter__(self) -> TransferSession:
        if self._state == _OPEN:
            raise RuntimeError("This TransferSession is already open; it cannot be entered twice.")
        if self._state == _CLOSED:
            raise RuntimeError("This TransferSession was closed; build a new TransferSession for another transfer.")
        _check_optimizer(self.model, self.optimizer, self._names)
        self._attach()
        groups = GroupManager(self.optimizer, self._names)
        self._context = ctx = TransferContext(model=self.model, optimizer=self.optimizer, groups=groups)
        if self._resume is not None:
            ctx.epoch, ctx.step = self._resume
        self._state = _OPEN
        try:
            self.strategy.before_transfer(ctx)
            configured = self.strategy.configure_param_groups(ctx, groups.copies())
            groups.install(configured, owner=_owner(self.strategy))
            if not any(p.requires_grad for p in self.model.parameters()):
                raise ValueError(
                    f"Expected some parameters to stay trainable, but the strategies {self.strategies!r} froze "
                    f"every parameter of the model."
                )
            if self.optimizer_hooks:
                self._optimizer_handles = [
                    self.optimizer.register_step_pre_hook(self._pre_step),
                    self.optimizer.register_step_post_hook(self._post_step),
                ]
            first = next(iter(self.model.parameters()), None)
            if first is not None:
                self._device = first.device
        except BaseException:
            self._close(run_after_transfer=False)
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close(run_after_transfer=True, failing=exc is not None)

    def _close(self, *, run_after_transfer: bool, failing: bool = True) -> None:
        ctx = self._context
        error: BaseException | None = None
        try:
            if run_after_transfer and ctx is not None:
                try:
                    self.strategy.after_transfer(ctx)
                except Exception as caught:
                    error = caught
        finally:
            for handle in self._optimizer_handles:
                handle.remove()
            self._optimizer_handles.clear()
            if ctx is not None:
                ctx._undo()
                ctx._groups.restore()
            self._detach()
            self._state = _CLOSED
        if error is not None and not failing:
            raise error

    def _attach(self) -> None:
        leaves = [self.strategy, *_all(self.strategy)]
        for strategy in leaves:
            owner = getattr(strategy, "_mitigate_session", None)
            if owner is not None and owner is not self:
                raise RuntimeError(
                    f"Strategy {strategy!r} is already attached to another open TransferSession; a strategy "
                    f"object serves one session at a time."
                )
        for strategy in leaves:
            strategy._mitigate_session = self  # type: ignore[attr-defined]
        self._attached = leaves

    def _detach(self) -> None:
        for strategy in self._attached:
            if getattr(strategy, "_mitigate_session", None) is self:
                strategy._mitigate_session = None  # type: ignore[attr-defined]
        self._attached = []

    # -- the loop's calls ----------------------------------------------------------------------------------
    def _open_context(self, call: str) -> TransferContext:
        if self._state != _OPEN:
            when = "after it was closed" if self._state == _CLOSED else "before it was entered"
            raise RuntimeError(f"`session.{call}` was called {when}; use it inside `with session:`.")
        return cast(TransferContext, self._context)

    def epoch_start(self, epoch: int) -> None:
        """Call at the start of every target epoch (0-based)."""
        ctx = self._open_context("epoch_start")
        if not isinstance(epoch, numbers.Integral) or isinstance(epoch, bool) or epoch < 0:
            raise ValueError(f"Expected argument `epoch` to be an int >= 0, but got {epoch!r}.")
        ctx.epoch = int(epoch)
        self.strategy.on_epoch_start(ctx, int(epoch))

    def epoch_end(self, epoch: int, *, dev_score: float | None = None) -> None:
        """Call at the end of every target epoch with the dev score (higher is better) if the loop has one."""
        ctx = self._open_context("epoch_end")
        if not isinstance(epoch, numbers.Integral) or isinstance(epoch, bool) or epoch < 0:
            raise ValueError(f"Expected argument `epoch` to be an int >= 0, but got {epoch!r}.")
        if dev_score is not None:
            if isinstance(dev_score, torch.Tensor) and dev_score.numel() == 1:
                dev_score = float(dev_score.item())
            if not isinstance(dev_score, numbers.Real) or isinstance(dev_score, bool):
                raise TypeError(
                    f"Expected argument `dev_score` to be a float or None, but got {type(dev_score).__name__}."
                )
            dev_score = float(dev_score)
        self.strategy.on_epoch_end(ctx, int(epoch), dev_score)

    def extra_loss(self) -> torch.Tensor:
        """The strategies' loss terms summed, a 0-dim tensor (0.0 when no strategy adds one). Add it to the loss."""
        ctx = self._open_context("extra_loss")
        term = self.strategy.extra_loss(ctx)
        if term is None:  # a fresh tensor: the caller may modify it in place
            return torch.zeros((), device=self._device)
        if not isinstance(term, torch.Tensor) or term.dim() != 0:
            got = tuple(term.shape) if isinstance(term, torch.Tensor) else type(term).__name__
            raise ValueError(f"Expected the strategies' extra_loss to be a 0-dim tensor, but got {got}.")
        return term

    def after_backward(self) -> None:
        """Run the strategies' ``after_backward`` (called for you by the optimizer pre-step hook by default)."""
        self.strategy.after_backward(self._open_context("after_backward"))

    def after_step(self) -> None:
        """Run the strategies' ``after_step`` and count the step (called for you by the post-step hook by default)."""
        ctx = self._open_context("after_step")
        ctx.step += 1
        self.strategy.after_step(ctx)

    def _pre_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        self.after_backward()

    def _post_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        self.after_step()

    # -- resuming -------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Progress (epoch, step) and every strategy's state, to resume an interrupted transfer."""
        ctx = self._context
        return {
            "epoch": ctx.epoch if ctx else -1,
            "step": ctx.step if ctx else 0,
            "strategy": self.strategy.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (strategies now; progress once the session is entered)."""
        if not isinstance(state, dict) or not {"epoch", "step", "strategy"} <= set(state):
            raise ValueError(
                f"Expected argument `state` to be a dict with keys 'epoch', 'step', 'strategy', but got "
                f"{sorted(state) if isinstance(state, dict) else type(state).__name__}."
            )
        self.strategy.load_state_dict(state["strategy"])
        self._resume = (int(state["epoch"]), int(state["step"]))
        if self._context is not None:
            self._context.epoch, self._context.step = self._resume

    def __repr__(self) -> str:
        return f"TransferSession(model={type(self.model).__name__}, strategies={self.strategies!r}, state={self._state!r})"


def _all(strategy: Strategy) -> list[Strategy]:
    if isinstance(strategy, Compose):
        out: list[Strategy] = []
        for child in strategy.strategies:
            out.append(child)
            out.extend(_all(child))
        return out
    return []


def _owner(strategy: Compose) -> str:
    return repr(strategy.strategies[0]) if len(strategy.strategies) == 1 else repr(strategy)


def _check_optimizer(model: nn.Module, optimizer: torch.optim.Optimizer, names: dict[int, str]) -> None:
    held = [p for group in optimizer.param_groups for p in group["params"]]
    held_ids = {id(p) for p in held}
    outside = [p for p in held if id(p) not in names]
    if not held_ids & set(names):
        raise ValueError(
            f"Expected argument `optimizer` to hold the model's parameters, but it holds none of them "
            f"({len(held)} foreign tensors)."
        )
    if outside:
        shapes = tuple(outside[0].shape)
        raise ValueError(
            f"Expected argument `optimizer` to hold only the model's parameters, but it holds {len(outside)} "
            f"tensors that are not in the model (the first has shape {shapes})."
        )
    missing = [names[id(p)] for p in model.parameters() if p.requires_grad and id(p) not in held_ids]
    if missing:
        raise ValueError(
            f"Expected argument `optimizer` to hold every trainable parameter of the model, but "
            f"{len(missing)} are missing: {', '.join(repr(m) for m in missing[:5])}."
        )
