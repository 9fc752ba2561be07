"""The reference training loop of an image classifier (e.g. ``DigitsNet``), inside a ``TransferSession``."""

from __future__ import annotations

import time
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from mitigate.models._checkpoint import save_checkpoint
from mitigate.models._training import EarlyStopping, TrainConfig, TrainResult, make_optimizer, open_session, seed_everything

if TYPE_CHECKING:
    from mitigate.session.strategy import Strategy

__all__ = ["train_classifier", "predict_classes"]


def predict_classes(model: nn.Module, x: np.ndarray, *, batch_size: int = 512) -> np.ndarray:
    """Argmax class of every row of ``x`` (eval mode, no gradients; the model's mode is restored).

    >>> from mitigate.models import DigitsNet
    >>> predict_classes(DigitsNet(), np.zeros((3, 256), dtype=np.float32)).shape
    (3,)
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            parts = [model(torch.as_tensor(x[i : i + batch_size])).argmax(dim=-1) for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(parts).numpy() if parts else np.zeros(0, dtype=np.int64)


def train_classifier(
    model: nn.Module,
    *,
    train: tuple[np.ndarray, np.ndarray],
    dev: tuple[np.ndarray, np.ndarray],
    config: TrainConfig | None = None,
    seed: int = 0,
    strategies: Sequence[Strategy] = (),
    checkpoint_dir: str | Path | None = None,
    on_epoch_end: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train ``model`` in place on ``(x, y)`` arrays, early-stopping on dev accuracy (best state restored).
    With ``checkpoint_dir``, every epoch's state is saved as ``epoch_NNN.pt`` (+ ``.json`` metadata).

    >>> from mitigate.models import DigitsNet
    >>> x, y = np.random.default_rng(0).random((20, 256), dtype=np.float32), np.arange(20) % 10
    >>> len(train_classifier(DigitsNet(), train=(x, y), dev=(x, y), config=TrainConfig(max_epochs=2)).dev_scores)
    2
    """
    config = config or TrainConfig()
    x_train, y_train = (torch.as_tensor(np.asarray(a)) for a in train)
    if len(x_train) != len(y_train) or len(x_train) == 0:
        raise ValueError(f"Expected argument `train` to hold equally many (> 0) images and labels, but got {len(x_train)} and {len(y_train)}.")
    seed_everything(seed)
    start = time.perf_counter()
    optimizer = make_optimizer(model, config)
    criterion = nn.CrossEntropyLoss()
    stopper = EarlyStopping(patience=config.patience)
    result = TrainResult()
    rng = np.random.default_rng(seed)

    with open_session(model, optimizer, strategies) as session:
        for epoch in range(config.max_epochs):
            session.epoch_start(epoch)
            model.train()
            order = torch.as_tensor(rng.permutation(len(x_train)))
            for i in range(0, len(order), config.batch_size):
                batch = order[i : i + config.batch_size]
                loss = criterion(model(x_train[batch]), y_train[batch]) + session.extra_loss()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            dev_score = float(np.mean(predict_classes(model, dev[0]) == dev[1])) if len(dev[1]) else -float(loss.item())
            session.epoch_end(epoch, dev_score=dev_score)
            result.dev_scores.append(dev_score)
            improved = stopper.update(dev_score, model)
            if checkpoint_dir is not None:
                save_checkpoint(model, Path(checkpoint_dir) / f"epoch_{epoch:03d}.pt",
                                metadata={"epoch": epoch, "dev_score": dev_score, "seed": seed, "train_config": config.to_dict()})
            if on_epoch_end is not None:
                on_epoch_end(epoch, dev_score)
            if not improved and stopper.should_stop:
                break
    stopper.restore(model)
    result.best_epoch = stopper.best_epoch
    result.seconds = time.perf_counter() - start
    return result
