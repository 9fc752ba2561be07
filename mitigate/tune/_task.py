"""What the tuner trains: a ``TransferScenario``, or the user's own scratch / transfer functions."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from mitigate.session.strategy import Strategy

__all__ = ["TransferTask", "ScenarioTask", "FunctionTask"]

#: per-epoch callback ``(epoch, dev_score)``; raises ``optuna.TrialPruned`` to stop a trial early.
EpochCallback = Callable[[int, float], None]


@runtime_checkable
class TransferTask(Protocol):
    """The three calls a tuning objective needs; all predictions are on the split used for tuning (dev)."""

    name: str

    def gold(self) -> Any:
        """Gold labels (one per item, or a list of sentences of labels)."""
        ...

    def scratch(self, *, seed: int) -> Any:
        """Predictions of a model trained from scratch with ``seed``."""
        ...

    def transfer(self, *, strategies: Sequence[Strategy], seed: int, on_epoch_end: EpochCallback | None) -> Any:
        """Predictions of the transferred model fine-tuned with ``strategies``."""
        ...


class ScenarioTask:
    """Adapts a ``TransferScenario``: the source is pretrained once per process and copied for every trial.

    >>> from mitigate.tune._fakes import FakeScenario
    >>> task = ScenarioTask(FakeScenario(n_items=10))
    >>> len(task.scratch(seed=0)) == len(task.gold())
    True
    """

    def __init__(self, scenario: Any, *, source_seed: int = 0, split: str = "dev", checkpoint_dir: Any = None) -> None:
        for method in ("pretrain", "fit_scratch", "fit_transfer", "predict", "gold"):
            if not callable(getattr(scenario, method, None)):
                raise TypeError(f"Expected argument `scenario` to implement TransferScenario (method `{method}`), "
                                f"but got {type(scenario).__name__}.")
        if split not in ("dev", "test"):
            raise ValueError(f"Expected argument `split` to be 'dev' or 'test', but got {split!r}.")
        self.scenario = scenario
        self.name = str(getattr(scenario, "name", type(scenario).__name__))
        self.source_seed = int(source_seed)
        self.split = split
        self.checkpoint_dir = checkpoint_dir
        self._source: Any = None

    def source(self) -> Any:
        """The pretrained source model (pretrained on first use, then kept in memory)."""
        if self._source is None:
            self._source = self.scenario.pretrain(seed=self.source_seed, checkpoint_dir=self.checkpoint_dir)
        return self._source

    def gold(self) -> Any:
        return self.scenario.gold(split=self.split)

    def scratch(self, *, seed: int) -> Any:
        return self.scenario.predict(self.scenario.fit_scratch(seed=seed), split=self.split)

    def transfer(self, *, strategies: Sequence[Strategy], seed: int, on_epoch_end: EpochCallback | None) -> Any:
        model = self.scenario.fit_transfer(source=copy.deepcopy(self.source()), seed=seed, strategies=list(strategies),
                                           on_epoch_end=on_epoch_end)
        return self.scenario.predict(model, split=self.split)


class FunctionTask:
    """Adapts the user's own functions: ``fit_scratch(seed) -> predictions`` and
    ``fit_transfer(strategies, seed, on_epoch_end) -> predictions``, with dev ``gold`` labels.

    >>> task = FunctionTask(gold=[1, 0], fit_scratch=lambda seed: [1, 1], fit_transfer=lambda strategies, seed, cb: [1, 0])
    >>> task.transfer(strategies=[], seed=0, on_epoch_end=None)
    [1, 0]
    """

    def __init__(
        self,
        *,
        gold: Any,
        fit_scratch: Callable[[int], Any],
        fit_transfer: Callable[[Sequence[Strategy], int, EpochCallback | None], Any],
        name: str = "functions",
    ) -> None:
        if not callable(fit_scratch) or not callable(fit_transfer):
            raise TypeError(f"Expected arguments `fit_scratch` and `fit_transfer` to be callables, but got "
                            f"{type(fit_scratch).__name__} and {type(fit_transfer).__name__}.")
        self._gold = gold
        self._fit_scratch = fit_scratch
        self._fit_transfer = fit_transfer
        self.name = name

    def gold(self) -> Any:
        return self._gold

    def scratch(self, *, seed: int) -> Any:
        return self._fit_scratch(seed)

    def transfer(self, *, strategies: Sequence[Strategy], seed: int, on_epoch_end: EpochCallback | None) -> Any:
        return self._fit_transfer(list(strategies), seed, on_epoch_end)
