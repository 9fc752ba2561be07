"""The typed outcome of a pretraining-state selection: the chosen state, every candidate's scores, the cost."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CandidateScores", "SelectionCost", "SelectionResult"]


@dataclass
class CandidateScores:
    """What a selector learnt about one candidate state. ``proxies`` maps proxy name → score; the dev fields come
    from the longest fine-tune the candidate received (``fine_tune_epochs`` long), ``None`` when it got none."""

    name: str
    epoch: int | None = None
    step: int | None = None
    source_dev: float | None = None
    proxies: dict[str, float] = field(default_factory=dict)
    fine_tune_epochs: int | None = None
    dev_pt: float | None = None
    dev_nt: float | None = None
    dev_gain: float | None = None
    objective: float | None = None
    rung: int | None = None


@dataclass
class SelectionCost:
    """Compute a selection spent: fine-tuning runs and epochs, forward passes over the target training set
    (one per state scored by proxies) and wall-clock seconds."""

    fine_tune_runs: int = 0
    fine_tune_epochs: int = 0
    forward_passes: int = 0
    seconds: float = 0.0


@dataclass
class SelectionResult:
    """The chosen state and every candidate's scores.

    >>> r = SelectionResult(mode="proxy", chosen="epoch_001", criterion="logme",
    ...                     candidates=[CandidateScores(name="epoch_001", proxies={"logme": -0.5})])
    >>> r.to_dict()["chosen"]
    'epoch_001'
    >>> print(r.to_markdown().splitlines()[0])
    Selection (mode `proxy`, by `logme`): chose **epoch_001**.
    """

    mode: str
    chosen: str
    criterion: str
    candidates: list[CandidateScores]
    cost: SelectionCost = field(default_factory=SelectionCost)

    def candidate(self, name: str) -> CandidateScores:
        """The scores of the candidate called ``name``."""
        for cand in self.candidates:
            if cand.name == name:
                return cand
        raise KeyError(f"No candidate named {name!r}; candidates are {[c.name for c in self.candidates]}.")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SelectionResult:
        """Inverse of ``to_dict``."""
        return cls(
            mode=data["mode"], chosen=data["chosen"], criterion=data["criterion"],
            candidates=[CandidateScores(**c) for c in data["candidates"]], cost=SelectionCost(**data["cost"]),
        )

    def to_markdown(self) -> str:
        """A summary line, the cost, and a table with one row per candidate (the chosen one in bold)."""
        proxy_names = sorted({name for c in self.candidates for name in c.proxies})
        head = ["state", "epoch", "source dev", *proxy_names, "ft epochs", "dev PT", "dev NT", "dev gain", "objective"]

        def fmt(value: Any) -> str:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return "–"
            return f"{value:.4g}" if isinstance(value, float) else str(value)

        lines = [
            f"Selection (mode `{self.mode}`, by `{self.criterion}`): chose **{self.chosen}**.",
            "",
            f"Cost: {self.cost.fine_tune_runs} fine-tunes, {self.cost.fine_tune_epochs} fine-tuning epochs, "
            f"{self.cost.forward_passes} forward passes, {self.cost.seconds:.1f} s.",
            "",
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
        ]
        for c in self.candidates:
            name = f"**{c.name}**" if c.name == self.chosen else c.name
            cells = [name, fmt(c.epoch), fmt(c.source_dev), *(fmt(c.proxies.get(p)) for p in proxy_names),
                     fmt(c.fine_tune_epochs), fmt(c.dev_pt), fmt(c.dev_nt), fmt(c.dev_gain), fmt(c.objective)]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
