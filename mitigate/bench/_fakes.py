"""Deterministic fakes for testing the harness in seconds: a tagging scenario of arithmetic and two strategies.

``FakeTaggingScenario`` implements ``mitigate.models.TransferScenario`` without training: its "models" carry
predictions drawn from generators seeded by (seed, strategy settings), so reruns give identical results.
``FakeShield`` lowers negative transfer, ``FakeHarm`` raises it. Every pretrain / scratch / transfer call is
appended to ``call_log`` (a file) when given, so tests can count them across processes; ``fail_if_exists``
makes ``fit_transfer`` raise while that file exists (a crash that a test can switch off without changing the config).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mitigate.session.strategy import Strategy

__all__ = ["FakeHarm", "FakeShield", "FakeTaggingScenario"]

_VOCAB = np.array(["the", "Hello", "'s", "ur", "2", "@user", "#tag", "http://t.co/x", ".", "awsome", "go", "LOL"])


class FakeShield(Strategy):
    """Protects ``strength`` (0–1) of the items the transfer would falsify.

    >>> FakeShield(strength=0.5)
    FakeShield(strength=0.5)
    """

    name = "fake_shield"

    def __init__(self, *, strength: float = 0.5) -> None:
        self.strength = float(strength)

    def __repr__(self) -> str:
        return f"FakeShield(strength={self.strength})"


class FakeHarm(Strategy):
    """Falsifies ``rate`` more of the items.

    >>> FakeHarm(rate=0.1)
    FakeHarm(rate=0.1)
    """

    name = "fake_harm"

    def __init__(self, *, rate: float = 0.05) -> None:
        self.rate = float(rate)

    def __repr__(self) -> str:
        return f"FakeHarm(rate={self.rate})"


class _Predictions(nn.Module):
    def __init__(self, predictions: dict[str, list[list[str]]]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1))
        self.predictions = predictions


class FakeTaggingScenario:
    """Sentences of tokens with tags; scratch is right ~80% of the time, transfer shaped by the fake strategies.

    ``task="chunk"`` uses IOB2 tags; ``misaligned=True`` makes every model predict tags the gold never uses.

    >>> scenario = FakeTaggingScenario(n_sentences=3)
    >>> model = scenario.fit_scratch(seed=0)
    >>> [len(s) for s in scenario.predict(model, split="test")] == [len(s) for s in scenario.gold(split="test")]
    True
    """

    name = "fake-tagging"

    def __init__(
        self,
        *,
        source: str = "fake-news",
        target: str = "fake-tweets",
        n_sentences: int = 40,
        task: str = "pos",
        misaligned: bool = False,
        call_log: str | None = None,
        seconds: float = 0.0,
        fail_if_exists: str | None = None,
    ) -> None:
        self.source, self.target = source, target
        self.task = task
        self.misaligned = misaligned
        self.call_log = Path(call_log) if call_log else None
        self.seconds = float(seconds)
        self.fail_if_exists = Path(fail_if_exists) if fail_if_exists else None
        tags = ["B-NP", "I-NP", "O", "B-VP"] if task == "chunk" else ["N", "V", "D", "P", "^"]
        self._tags = np.array(tags)
        rng = np.random.default_rng(2021)
        self._gold: dict[str, list[np.ndarray]] = {}
        self._tokens: dict[str, list[list[str]]] = {}
        for split in ("dev", "test"):
            lengths = rng.integers(3, 12, n_sentences)
            self._gold[split] = [rng.integers(0, len(tags), n) for n in lengths]
            self._tokens[split] = [_VOCAB[rng.integers(0, len(_VOCAB), n)].tolist() for n in lengths]

    def _log(self, what: str) -> None:
        if self.call_log is not None:
            with open(self.call_log, "a", encoding="utf-8") as log:
                log.write(f"{what} {os.getpid()}\n")
        if self.seconds:
            time.sleep(self.seconds)

    def _flat_gold(self, split: str) -> np.ndarray:
        return np.concatenate(self._gold[split])

    def _as_sentences(self, split: str, right: np.ndarray) -> list[list[str]]:
        gold = self._flat_gold(split)
        wrong = (gold + 1) % len(self._tags)
        labels = self._tags[np.where(right, gold, wrong)]
        if self.misaligned:
            labels = np.array([f"X{label}" for label in labels])
        cuts = np.cumsum([len(sentence) for sentence in self._gold[split]])[:-1]
        return [part.tolist() for part in np.split(labels, cuts)]

    def _scratch_right(self, seed: int, split: str) -> np.ndarray:
        return np.random.default_rng([seed, 7, len(split)]).random(len(self._flat_gold(split))) < 0.8

    def pretrain(self, *, seed: int, epochs: int | None = None, checkpoint_dir: Path | None = None) -> nn.Module:
        self._log(f"pretrain {self.source} seed={seed} epochs={epochs}")
        return nn.Linear(2, 2)

    def fit_scratch(self, *, seed: int, on_epoch_end: Any = None) -> nn.Module:
        self._log(f"scratch {self.target} seed={seed}")
        return _Predictions({split: self._as_sentences(split, self._scratch_right(seed, split)) for split in ("dev", "test")})

    def fit_transfer(
        self, *, source: nn.Module, seed: int, strategies: Sequence[Strategy] = (), on_epoch_end: Any = None
    ) -> nn.Module:
        if self.fail_if_exists is not None and self.fail_if_exists.exists():
            raise RuntimeError(f"simulated crash ({self.fail_if_exists} exists)")
        self._log(f"transfer {self.source}->{self.target} seed={seed} {strategies!r}")
        shield = min(1.0, sum(s.strength for s in strategies if isinstance(s, FakeShield)))
        harm = sum(s.rate for s in strategies if isinstance(s, FakeHarm))
        p_nt, p_pt = 0.08 * (1.0 - shield) + harm, 0.5 * (1.0 - 0.3 * shield)
        predictions = {}
        for split in ("dev", "test"):
            base = self._scratch_right(seed, split)
            u = np.random.default_rng([seed, 99, len(split)]).random(base.shape[0])
            predictions[split] = self._as_sentences(split, np.where(base, u >= p_nt, u < p_pt))
        return _Predictions(predictions)

    def predict(self, model: nn.Module, *, split: str) -> list[list[str]]:
        return [list(sentence) for sentence in model.predictions[split]]  # type: ignore[index]

    def gold(self, *, split: str) -> list[list[str]]:
        return [self._tags[sentence].tolist() for sentence in self._gold[split]]

    def tokens(self, *, split: str) -> list[list[str]]:
        return [list(sentence) for sentence in self._tokens[split]]
