"""One cell of the grid: a pair, a strategy and a seed."""

from __future__ import annotations

from dataclasses import dataclass

from mitigate.bench._config import PairSpec, StrategySpec

__all__ = ["Cell"]


@dataclass(frozen=True)
class Cell:
    """A (pair, strategy, seed) triple; ``cell_id`` is its stable name in results files and Optuna studies.

    >>> pair = PairSpec(label="a->b", scenario="digits", factory=None, source="a", target="b")
    >>> Cell(pair=pair, strategy=StrategySpec(label="none", items=()), seed=3).cell_id
    'a->b|none|seed=3'
    """

    pair: PairSpec
    strategy: StrategySpec
    seed: int

    @property
    def cell_id(self) -> str:
        """``"<pair>|<strategy>|seed=<seed>"``."""
        return f"{self.pair.label}|{self.strategy.label}|seed={self.seed}"
