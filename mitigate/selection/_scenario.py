"""Fine-tune-and-evaluate functions for the selectors, built from any ``TransferScenario``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from torch import nn

from mitigate.selection._select import FineTune, FineTuneOutcome
from mitigate.selection._states import PretrainingState
from mitigate.session.strategy import Strategy

__all__ = ["item_correctness", "scenario_fine_tuner"]


def item_correctness(predicted: Sequence[Any], gold: Sequence[Any]) -> np.ndarray:
    """Per item (token for taggers), whether the prediction equals the gold label, flattened.

    >>> item_correctness([["A", "B"], ["C"]], [["A", "X"], ["C"]]).tolist()
    [True, False, True]
    """
    def flat(seq: Sequence[Any]) -> list[Any]:
        return [x for s in seq for x in s] if seq and isinstance(seq[0], (list, tuple)) else list(seq)

    p, g = flat(predicted), flat(gold)
    if len(p) != len(g):
        raise ValueError(f"Expected as many predicted as gold items, but got {len(p)} and {len(g)}.")
    return np.asarray(p, dtype=object) == np.asarray(g, dtype=object)


class _Budget(Exception):
    """Raised from the epoch callback to end a short fine-tune."""


class _Capture(Strategy):
    name = "capture_model"

    def __init__(self) -> None:
        self.model: nn.Module | None = None

    def before_transfer(self, ctx: Any) -> None:
        self.model = ctx.model


def scenario_fine_tuner(
    scenario: Any,
    *,
    seed: int,
    load_source: Callable[[PretrainingState], nn.Module],
    split: str = "dev",
    strategies: Sequence[Strategy] = (),
) -> FineTune:
    """A ``fine_tune(state, epochs)`` for the selectors from a ``TransferScenario``: it builds the source model of
    ``state`` with ``load_source``, runs ``scenario.fit_transfer`` and stops it after ``epochs`` epochs (through the
    epoch callback; the scenario's own early stopping may end sooner), then returns the per-item correctness on
    ``split`` and the epochs run. Only the protocol's methods are used, so any scenario works.

    >>> from mitigate.models import DigitsScenario, TrainConfig
    >>> from mitigate.selection import PretrainingStateRecorder
    >>> import tempfile
    >>> sc = DigitsScenario.embedded(per_class=2, train_config=TrainConfig(max_epochs=5))
    >>> source = sc.pretrain(seed=0, epochs=1)
    >>> state = PretrainingStateRecorder(model=source, directory=tempfile.mkdtemp()).record(epoch=0)
    >>> fine_tune = scenario_fine_tuner(sc, seed=0, load_source=lambda s: source)
    >>> outcome = fine_tune(state, 2)
    >>> outcome.epochs, outcome.correct.shape == (len(sc.gold(split="dev")),)
    (2, True)
    """

    def fine_tune(state: PretrainingState, epochs: int) -> FineTuneOutcome:
        capture = _Capture()
        ran = 0

        def on_epoch_end(epoch: int, dev_score: float) -> None:
            nonlocal ran
            ran = epoch + 1
            if ran >= epochs:
                raise _Budget

        try:
            model = scenario.fit_transfer(source=load_source(state), seed=seed, strategies=[capture, *strategies],
                                          on_epoch_end=on_epoch_end)
        except _Budget:
            model = capture.model
        if model is None:
            raise RuntimeError("The scenario's fit_transfer did not open a TransferSession with the given strategies.")
        correct = item_correctness(scenario.predict(model, split=split), scenario.gold(split=split))
        return FineTuneOutcome(correct=correct, epochs=ran)

    return fine_tune
