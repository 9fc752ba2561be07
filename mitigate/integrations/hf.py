"""``MitigateTrainerCallback``: run mitigation strategies inside a Hugging Face ``Trainer``.

Needs transformers: ``pip install 'mitigate[hf]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

import torch

from mitigate.session import Compose, Strategy, TransferSession

try:
    from transformers import TrainerCallback
except ImportError as error:  # pragma: no cover - exercised only without transformers
    raise ImportError(
        "mitigate.integrations.hf needs transformers; install it with `pip install 'mitigate[hf]'`."
    ) from error

__all__ = ["MitigateTrainerCallback"]


class MitigateTrainerCallback(TrainerCallback):
    """Open a ``TransferSession`` on the Trainer's model and optimizer in ``on_train_begin`` and close it in
    ``on_train_end``.

    ``attach(trainer)`` adds the callback and wraps ``trainer.compute_loss`` so the strategies' loss term is added
    to the training loss (not to evaluation losses). ``after_backward`` runs in ``on_pre_optimizer_step`` (after
    gradient clipping) and ``after_step`` in ``on_optimizer_step``. ``metric`` names an evaluation metric
    (e.g. ``"eval_accuracy"``, higher is better) passed to ``on_epoch_end`` as the dev score; the Trainer
    evaluates after its ``on_epoch_end``, so the session's epoch end is called once that evaluation is in.
    Use the callback as a context manager around ``trainer.train()`` so a failed run is undone too.

    >>> from mitigate.strategies import L2SP
    >>> callback = MitigateTrainerCallback(strategies=[L2SP(alpha=0.01)], metric="eval_accuracy")
    >>> callback.is_open
    False
    """

    def __init__(self, *, strategies: Sequence[Strategy] | Strategy = (), metric: str | None = None) -> None:
        self.strategy = strategies if isinstance(strategies, Compose) else Compose(strategies)
        if metric is not None and not isinstance(metric, str):
            raise TypeError(f"Expected argument `metric` to be a metric name or None, but got {type(metric).__name__}.")
        self.metric = metric
        self.session: TransferSession | None = None
        self._epoch = 0
        self._pending_epoch: int | None = None

    @property
    def is_open(self) -> bool:
        """Whether a session is running."""
        return self.session is not None

    def attach(self, trainer: Any) -> MitigateTrainerCallback:
        """Add this callback to ``trainer`` and add the strategies' loss term to its training loss."""
        trainer.add_callback(self)
        compute_loss = trainer.compute_loss

        def compute_loss_with_strategies(model: Any, inputs: Any, return_outputs: bool = False, **kwargs: Any) -> Any:
            result = compute_loss(model, inputs, return_outputs=return_outputs, **kwargs)
            if self.session is None or not model.training:
                return result
            if return_outputs:
                loss, outputs = result
                return loss + self.session.extra_loss().to(loss.device), outputs
            return result + self.session.extra_loss().to(result.device)

        trainer.compute_loss = compute_loss_with_strategies
        return self

    def extra_loss(self) -> torch.Tensor:
        """The strategies' loss term for this step (0.0 outside training), for custom ``compute_loss`` overrides."""
        return torch.zeros(()) if self.session is None else self.session.extra_loss()

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, optimizer: Any = None, **kwargs: Any) -> None:
        if model is None or optimizer is None:
            raise ValueError("Expected the Trainer to pass `model` and `optimizer` to on_train_begin, but one is missing.")
        session = TransferSession(model=model, optimizer=optimizer, strategies=self.strategy, optimizer_hooks=False)
        session.__enter__()
        self.session = session
        self._epoch = 0

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.session is None:
            return
        self._flush()
        self.session.epoch_start(self._epoch)

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.session is not None:
            self.session.after_backward()

    def on_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.session is not None:
            self.session.after_step()

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.session is None:
            return
        self._pending_epoch = self._epoch
        self._epoch += 1
        if self.metric is None:
            self._flush()

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None, **kwargs: Any) -> None:
        if self.session is None or self._pending_epoch is None:
            return
        value = (metrics or {}).get(self.metric) if self.metric else None
        self._flush(None if value is None else float(value))

    def _flush(self, score: float | None = None) -> None:
        if self.session is not None and self._pending_epoch is not None:
            epoch, self._pending_epoch = self._pending_epoch, None
            self.session.epoch_end(epoch, dev_score=score)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._flush()
        self.close()

    def close(self, *, failing: bool = False) -> None:
        """Close the session (undo everything temporary); safe to call twice."""
        session, self.session = self.session, None
        self._pending_epoch = None
        if session is not None:
            if failing:
                session.__exit__(RuntimeError, RuntimeError("training failed"), None)
            else:
                session.__exit__(None, None, None)

    def __enter__(self) -> MitigateTrainerCallback:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(failing=exc is not None)
