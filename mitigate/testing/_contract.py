"""The contract every strategy must pass: ``check_strategy(factory)``."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from mitigate.session import Compose, Strategy, TransferSession
from mitigate.testing._fakes import HOOK_NAMES, ConstantLoss, RecordingStrategy
from mitigate.testing._models import TinyTagger, tiny_tagger_batches

__all__ = ["check_strategy", "ContractViolation", "run_transfer", "snapshot"]

class ContractViolation(AssertionError):
    """A strategy broke the contract; the message says which clause and what was seen."""


def _forward(model: nn.Module, inputs: Any) -> torch.Tensor:
    return model(*inputs) if isinstance(inputs, (tuple, list)) else model(inputs)


def _cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def run_transfer(
    model: nn.Module,
    strategies: Sequence[Strategy] | Strategy,
    batches: Sequence[Any],
    *,
    epochs: int = 2,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = _cross_entropy,
    fail_after_steps: int | None = None,
    optimizer: torch.optim.Optimizer | None = None,
) -> tuple[TransferSession, torch.optim.Optimizer, list[float]]:
    """Fine-tune ``model`` on ``batches`` inside a session, the way a user's plain PyTorch loop does.

    ``optimizer`` defaults to SGD (lr 0.05, momentum 0.9) over all parameters. ``fail_after_steps`` raises ``RuntimeError("planned failure")`` inside the session after that many steps.

    >>> session, _, losses = run_transfer(TinyTagger(), [], tiny_tagger_batches(n=1), epochs=1)
    >>> len(losses), session.context.step
    (1, 1)
    """
    if optimizer is None:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    session = TransferSession(model=model, optimizer=optimizer, strategies=strategies)
    losses: list[float] = []
    with session:
        for epoch in range(epochs):
            session.epoch_start(epoch)
            model.train()
            for inputs, targets in batches:
                loss = loss_fn(_forward(model, inputs), targets) + session.extra_loss()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(float(loss.detach()))
                if fail_after_steps is not None and len(losses) >= fail_after_steps:
                    raise RuntimeError("planned failure")
            session.epoch_end(epoch, dev_score=-losses[-1])
    return session, optimizer, losses


def snapshot(model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> dict[str, Any]:
    """Everything a session must give back: requires_grad flags, module hooks, train/eval flags, optimizer groups
    and optimizer hooks (weights excluded: changing them is a strategy's job).

    >>> model = TinyTagger()
    >>> snapshot(model) == snapshot(model)
    True
    """
    hook_dicts = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
    state: dict[str, Any] = {
        "requires_grad": {n: p.requires_grad for n, p in model.named_parameters()},
        "hooks": {n: tuple(len(getattr(m, d, {})) for d in hook_dicts) for n, m in model.named_modules()},
        "training": {n: m.training for n, m in model.named_modules()},
    }
    if optimizer is not None:
        names = {id(p): n for n, p in model.named_parameters()}
        state["groups"] = [
            (
                tuple(names.get(id(p), "?") for p in group["params"]),
                {k: v for k, v in group.items() if k != "params" and not isinstance(v, torch.Tensor)},
            )
            for group in optimizer.param_groups
        ]
        state["optimizer_hooks"] = (len(optimizer._optimizer_step_pre_hooks), len(optimizer._optimizer_step_post_hooks))
    return state


def _diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    for key in before:
        if before[key] != after[key]:
            if isinstance(before[key], dict):
                changed = [k for k in before[key] if before[key][k] != after[key].get(k)]
                return f"{key} changed for {changed[:5]}"
            return f"{key} changed: {before[key]!r} -> {after[key]!r}"
    return ""


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return bool(a == b)


def _instrument(strategy: Strategy) -> list[str]:
    calls: list[str] = []
    for hook in HOOK_NAMES:
        original = getattr(strategy, hook)

        def wrapped(*args: Any, _original: Any = original, _hook: str = hook, **kwargs: Any) -> Any:
            calls.append(_hook)
            return _original(*args, **kwargs)

        setattr(strategy, hook, wrapped)
    return calls


def _expected_calls(epochs: int, steps: int) -> list[str]:
    per_epoch = ["on_epoch_start", *(["extra_loss", "after_backward", "after_step"] * steps), "on_epoch_end"]
    return ["before_transfer", "configure_param_groups", *(per_epoch * epochs), "after_transfer"]


def check_strategy(
    strategy_factory: Callable[[], Strategy],
    *,
    model_factory: Callable[[], nn.Module] = TinyTagger,
    batches: Sequence[Any] | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = _cross_entropy,
    epochs: int = 2,
) -> None:
    """Run the strategy contract; raise ``ContractViolation`` naming the first clause broken.

    Clauses: (1) the session calls the strategy's hooks in the documented order and training stays finite;
    (2) on exit, and on exit after an exception, requires_grad flags, module hooks, train/eval flags, optimizer
    groups and optimizer hooks are as before; (3) ``state_dict()`` survives ``torch.save`` /
    ``torch.load(weights_only=True)`` and ``load_state_dict`` into a fresh instance gives the same state back;
    (4) it composes with other strategies (``Compose`` with a recorder and a loss term), undoing as well;
    (5) the model after the session saves and reloads into a fresh ``model_factory()`` with equal outputs.
    ``strategy_factory`` must build a fresh instance per call; ``batches`` are ``(inputs, targets)`` pairs
    (``inputs`` a tensor or a tuple of positional arguments); by default the tiny tagger's.

    >>> from mitigate.strategies import L2SP
    >>> check_strategy(lambda: L2SP(alpha=0.1))
    """
    batches = list(batches) if batches is not None else tiny_tagger_batches()
    if not batches:
        raise ValueError("Expected argument `batches` to hold at least one batch, but got none.")
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"Expected argument `epochs` to be an int >= 1, but got {epochs!r}.")
    strategy = strategy_factory()
    if not isinstance(strategy, Strategy):
        raise TypeError(
            f"Expected argument `strategy_factory` to return a Strategy, but it returned {type(strategy).__name__}."
        )
    name = type(strategy).__name__

    # (1) hooks in order, (2) undo on exit
    model = model_factory()
    calls = _instrument(strategy)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    before = snapshot(model, optimizer)
    initial = {n: p.detach().clone() for n, p in model.named_parameters()}
    _, _, losses = run_transfer(model, [strategy], batches, epochs=epochs, loss_fn=loss_fn, optimizer=optimizer)
    expected = _expected_calls(epochs, len(batches))
    if calls != expected:
        raise ContractViolation(f"{name}: hooks ran as {calls}, expected {expected}.")
    if not all(torch.isfinite(torch.tensor(losses))):
        raise ContractViolation(f"{name}: the loss became non-finite during the session: {losses}.")
    if all(torch.equal(initial[n], p.detach()) for n, p in model.named_parameters()):
        raise ContractViolation(f"{name}: no parameter changed during the session; nothing was trained.")
    after = snapshot(model, optimizer)
    if before != after:
        raise ContractViolation(f"{name}: the session did not undo its changes: {_diff(before, after)}.")

    # (2b) undo after an exception inside the session
    model = model_factory()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    before = snapshot(model, optimizer)
    try:
        run_transfer(
            model, [strategy_factory()], batches, epochs=epochs, loss_fn=loss_fn, fail_after_steps=1, optimizer=optimizer
        )
    except RuntimeError as error:
        if str(error) != "planned failure":
            raise
    else:
        raise ContractViolation(f"{name}: the planned failure inside the session did not propagate.")
    after = snapshot(model, optimizer)
    if before != after:
        raise ContractViolation(f"{name}: after an exception the session did not undo: {_diff(before, after)}.")

    # (3) state_dict round-trip
    state = strategy.state_dict()
    if not isinstance(state, dict):
        raise ContractViolation(f"{name}: state_dict() returned {type(state).__name__}, expected dict.")
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    try:
        loaded = torch.load(buffer, weights_only=True)
    except Exception as error:
        raise ContractViolation(f"{name}: state_dict() does not load with weights_only=True: {error}") from error
    fresh = strategy_factory()
    fresh.load_state_dict(loaded)
    if not _equal(fresh.state_dict(), state):
        raise ContractViolation(f"{name}: load_state_dict(state_dict()) gave {fresh.state_dict()!r}, expected {state!r}.")

    # (4) composes
    recorder = RecordingStrategy()
    composed = Compose([strategy_factory(), recorder, ConstantLoss(value=0.0)])
    model = model_factory()
    before = snapshot(model)
    run_transfer(model, composed, batches, epochs=epochs, loss_fn=loss_fn)
    if recorder.hooks() != expected:
        raise ContractViolation(f"{name}: composed with a recorder, the recorder saw {recorder.hooks()}.")
    if snapshot(model) != before:
        raise ContractViolation(f"{name}: composed, the session did not undo: {_diff(before, snapshot(model))}.")

    # (5) the model after the session saves and reloads
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    reloaded = model_factory()
    try:
        reloaded.load_state_dict(torch.load(buffer, weights_only=True))
    except RuntimeError as error:
        raise ContractViolation(f"{name}: the model after the session does not reload into a fresh model: {error}") from error
    model.eval()
    reloaded.eval()
    inputs = batches[0][0]
    with torch.no_grad():
        if not torch.allclose(_forward(model, inputs), _forward(reloaded, inputs)):
            raise ContractViolation(f"{name}: the reloaded model's outputs differ from the model's.")
