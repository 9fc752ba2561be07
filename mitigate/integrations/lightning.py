"""``MitigateCallback``: run mitigation strategies inside a Lightning ``Trainer.fit``.

Needs Lightning: ``pip install 'mitigate[lightning]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from mitigate.session import Compose, Strategy, TransferSession

try:
    from lightning.pytorch.callbacks import Callback
except ImportError as error:  # pragma: no cover - exercised only without lightning
    raise ImportError(
        "mitigate.integrations.lightning needs Lightning; install it with `pip install 'mitigate[lightning]'`."
    ) from error

__all__ = ["MitigateCallback"]


class MitigateCallback(Callback):
    """Open a ``TransferSession`` on the ``LightningModule`` and its optimizer when training starts, close it
    (undoing every temporary change) when training ends or fails.

    Lightning runs the backward pass inside ``optimizer.step(closure)``, so ``after_backward`` is called from
    ``on_before_optimizer_step`` and ``after_step`` from an optimizer post-step hook. Add the strategies' loss term
    in ``training_step``: ``return loss + self.mitigate.extra_loss()`` (keep the callback on the module, e.g.
    ``model.mitigate = callback``). ``monitor`` names a logged metric (e.g. ``"val_acc"``, higher is better)
    passed to ``on_epoch_end`` as the dev score.

    >>> from mitigate.strategies import L2SP
    >>> callback = MitigateCallback(strategies=[L2SP(alpha=0.01)], monitor="val_acc")
    >>> float(callback.extra_loss())  # 0 outside training
    0.0
    """

    def __init__(self, *, strategies: Sequence[Strategy] | Strategy = (), monitor: str | None = None) -> None:
        super().__init__()
        self.strategy = strategies if isinstance(strategies, Compose) else Compose(strategies)
        if monitor is not None and not isinstance(monitor, str):
            raise TypeError(f"Expected argument `monitor` to be a metric name or None, but got {type(monitor).__name__}.")
        self.monitor = monitor
        self.session: TransferSession | None = None
        self._post_hook: Any = None
        self._state: dict[str, Any] | None = None

    @property
    def is_open(self) -> bool:
        """Whether a session is running (between ``on_train_start`` and ``on_train_end``)."""
        return self.session is not None

    def extra_loss(self) -> torch.Tensor:
        """The strategies' loss term for this step (a 0-dim tensor; 0.0 outside training)."""
        if self.session is None:
            return torch.zeros(())
        return self.session.extra_loss()

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        optimizers = trainer.optimizers
        if len(optimizers) != 1:
            raise ValueError(
                f"Expected the LightningModule to configure exactly one optimizer, but got {len(optimizers)}."
            )
        optimizer = optimizers[0]
        session = TransferSession(model=pl_module, optimizer=optimizer, strategies=self.strategy, optimizer_hooks=False)
        if self._state is not None:
            session.load_state_dict(self._state)
        session.__enter__()
        self.session = session
        self._post_hook = optimizer.register_step_post_hook(lambda *args: session.after_step())

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        if self.session is not None:
            self.session.epoch_start(trainer.current_epoch)

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        if self.session is not None:
            self.session.after_backward()

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.session is None:
            return
        score = None
        if self.monitor is not None:
            value = trainer.callback_metrics.get(self.monitor)
            score = None if value is None else float(value)
        self.session.epoch_end(trainer.current_epoch, dev_score=score)

    def _close(self, *, failing: bool) -> None:
        if self._post_hook is not None:
            self._post_hook.remove()
            self._post_hook = None
        session, self.session = self.session, None
        if session is not None:
            self._state = session.state_dict()
            if failing:
                session.__exit__(RuntimeError, RuntimeError("training failed"), None)
            else:
                session.__exit__(None, None, None)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._close(failing=False)

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._close(failing=True)

    def state_dict(self) -> dict[str, Any]:
        if self.session is not None:
            return self.session.state_dict()
        return self._state or {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._state = dict(state_dict) if state_dict else None
