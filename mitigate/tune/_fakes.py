"""Deterministic fakes for testing the tuner fast: two strategies with search spaces and a scenario of arithmetic.

``FakeScenario`` implements ``mitigate.models.TransferScenario`` without training anything: its "models" carry
predictions drawn from seeded generators, and the fake strategies move the transfer's PT and NT in opposite ways,
so a multi-objective study has a real trade-off to find. ``epoch_seconds`` makes each epoch sleep (for worker tests).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from mitigate.session.strategy import Strategy

__all__ = ["FakeDamping", "FakeNoise", "FakeScenario", "FakeNoSpace"]


class FakeDamping(Strategy):
    """Damps the update: less negative transfer and less positive transfer as ``strength`` grows.

    >>> FakeDamping(strength=0.5)
    FakeDamping(strength=0.5)
    """

    name = "fake_damping"

    def __init__(self, *, strength: float = 0.5) -> None:
        self.strength = float(strength)

    def claims(self) -> frozenset[str]:
        return frozenset({"fake:update"})

    @classmethod
    def suggest(cls, trial: Any, *, prefix: str = "") -> FakeDamping:
        return cls(strength=trial.suggest_float(f"{prefix}strength", 0.0, 1.0))

    def __repr__(self) -> str:
        return f"FakeDamping(strength={self.strength})"


class FakeNoise(Strategy):
    """Adds ``level`` (0–3) units of harm: more negative transfer, nothing gained.

    >>> FakeNoise(level=2)
    FakeNoise(level=2)
    """

    name = "fake_noise"

    def __init__(self, *, level: int = 1) -> None:
        self.level = int(level)

    @classmethod
    def suggest(cls, trial: Any, *, prefix: str = "") -> FakeNoise:
        return cls(level=trial.suggest_int(f"{prefix}level", 0, 3))

    def __repr__(self) -> str:
        return f"FakeNoise(level={self.level})"


class FakeNoSpace(Strategy):
    """A strategy that declares no search space (to test the error)."""

    name = "fake_no_space"


class _FakeModel(nn.Module):
    def __init__(self, predictions: dict[str, list[str]]) -> None:
        super().__init__()
        self.predictions = predictions


class FakeScenario:
    """A transfer scenario of arithmetic: ``n_items`` labels, scratch right ~80%, transfer shaped by fake strategies.

    >>> scenario = FakeScenario(n_items=50)
    >>> model = scenario.fit_transfer(source=scenario.pretrain(seed=0), seed=0, strategies=[FakeDamping(strength=1.0)])
    >>> len(scenario.predict(model, split="dev")) == len(scenario.gold(split="dev"))
    True
    """

    name = "fake"

    def __init__(self, *, n_items: int = 400, epochs: int = 3, epoch_seconds: float = 0.0) -> None:
        self.n_items = int(n_items)
        self.epochs = int(epochs)
        self.epoch_seconds = float(epoch_seconds)
        self.pretrain_calls = 0
        self.scratch_calls = 0
        rng = np.random.default_rng(12345)
        self._gold = {split: rng.integers(0, 3, self.n_items) for split in ("dev", "test")}

    def _labels(self, values: np.ndarray) -> list[str]:
        return [f"y{v}" for v in values.tolist()]

    def _scratch_right(self, seed: int, split: str) -> np.ndarray:
        rng = np.random.default_rng([seed, 7, len(split)])
        return rng.random(self.n_items) < 0.8

    def _with_errors(self, right: np.ndarray, split: str) -> list[str]:
        gold = self._gold[split]
        return self._labels(np.where(right, gold, (gold + 1) % 3))

    def pretrain(self, *, seed: int, epochs: int | None = None, checkpoint_dir: Path | None = None) -> nn.Module:
        self.pretrain_calls += 1
        return nn.Linear(2, 2)

    def fit_scratch(self, *, seed: int, on_epoch_end: Any = None) -> nn.Module:
        self.scratch_calls += 1
        preds = {split: self._with_errors(self._scratch_right(seed, split), split) for split in ("dev", "test")}
        return _FakeModel(preds)

    def fit_transfer(
        self, *, source: nn.Module, seed: int, strategies: Sequence[Strategy] = (), on_epoch_end: Any = None
    ) -> nn.Module:
        damping = min(1.0, sum(s.strength for s in strategies if isinstance(s, FakeDamping)))
        noise = sum(s.level for s in strategies if isinstance(s, FakeNoise))
        p_nt = 0.06 * (1.0 - damping) + 0.02 * noise + 0.01
        p_pt = 0.45 * (1.0 - 0.6 * damping)
        preds = {}
        for split in ("dev", "test"):
            base = self._scratch_right(0, split)
            u = np.random.default_rng([seed, 99, len(split)]).random(self.n_items)
            right = np.where(base, u >= p_nt, u < p_pt)
            preds[split] = self._with_errors(right, split)
        for epoch in range(self.epochs):
            if self.epoch_seconds:
                time.sleep(self.epoch_seconds)
            if on_epoch_end is not None:
                dev_right = np.asarray(preds["dev"]) == np.asarray(self._labels(self._gold["dev"]))
                on_epoch_end(epoch, float(dev_right.mean()) * (epoch + 1) / self.epochs)
        return _FakeModel(preds)

    def predict(self, model: nn.Module, *, split: str) -> list[str]:
        return list(model.predictions[split])  # type: ignore[index]

    def gold(self, *, split: str) -> list[str]:
        return self._labels(self._gold[split])

    def tokens(self, *, split: str) -> None:
        return None
