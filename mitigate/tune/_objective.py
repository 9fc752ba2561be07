"""What a trial maximises or minimises, and the Optuna objective that trains one transfer per trial."""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mitigate.models._scenario import ScenarioInputs
from mitigate.session.strategy import Strategy
from mitigate.tune._metrics import transfer_metrics
from mitigate.tune._scratch import scratch_reference
from mitigate.tune._space import suggest_composition
from mitigate.tune._task import TransferTask

if TYPE_CHECKING:
    import optuna

__all__ = ["Objective", "OBJECTIVES", "TransferObjective"]

#: objective kind -> (names of the values, directions)
OBJECTIVES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "gain": (("gain",), ("maximize",)),
    "gain_minus_nt": (("gain_minus_nt",), ("maximize",)),
    "gain_minus_excess_nt": (("gain_minus_excess_nt",), ("maximize",)),
    "gain_vs_nt": (("gain", "nt"), ("maximize", "minimize")),
    "gain_vs_excess_nt": (("gain", "excess_nt"), ("maximize", "minimize")),
}


@dataclass(frozen=True)
class Objective:
    """Which numbers a study optimises: ``kind`` is a key of ``OBJECTIVES``; ``nt_weight`` is λ in gain − λ·NT.

    ``constrain_nt_to_churn`` adds the constraint NT <= churn floor (needs >= 2 scratch seeds), set on each trial with
    ``trial.set_constraint`` so that NSGA-II and TPE prefer feasible trials.

    >>> Objective(kind="gain_vs_nt").directions
    ('maximize', 'minimize')
    >>> Objective(kind="gain_minus_nt", nt_weight=2.0).values({"gain": 0.5, "nt": 0.125})
    [0.25]
    """

    kind: str = "gain_vs_nt"
    nt_weight: float = 1.0
    constrain_nt_to_churn: bool = False

    def __post_init__(self) -> None:
        if self.kind not in OBJECTIVES:
            raise ValueError(f"Expected argument `kind` to be one of {sorted(OBJECTIVES)}, but got {self.kind!r}.")
        if not isinstance(self.nt_weight, (int, float)) or not math.isfinite(self.nt_weight) or self.nt_weight < 0:
            raise ValueError(f"Expected argument `nt_weight` to be a finite number >= 0, but got {self.nt_weight!r}.")

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the objective values, in order."""
        return OBJECTIVES[self.kind][0]

    @property
    def directions(self) -> tuple[str, ...]:
        """``"maximize"`` / ``"minimize"`` per value."""
        return OBJECTIVES[self.kind][1]

    @property
    def is_multi(self) -> bool:
        """Whether the study has several objectives (then the answer is a Pareto front, and nothing is pruned)."""
        return len(self.names) > 1

    @property
    def needs_churn(self) -> bool:
        """Whether >= 2 scratch seeds are needed (excess NT or the churn constraint)."""
        return "excess" in self.kind or self.constrain_nt_to_churn

    def values(self, metrics: dict[str, float]) -> list[float]:
        """The objective values of one trial from its metrics."""
        derived = dict(metrics)
        derived["gain_minus_nt"] = metrics["gain"] - self.nt_weight * metrics["nt"]
        if "excess_nt" in metrics:
            derived["gain_minus_excess_nt"] = metrics["gain"] - self.nt_weight * metrics["excess_nt"]
        return [float(derived[name]) for name in self.names]


class TransferObjective:
    """An Optuna objective: each trial composes strategies, fine-tunes, and scores the transfer against scratch.

    The scratch reference (predictions of ``scratch_seeds`` on the dev split) is computed once and cached in
    ``run_dir/scratch_reference.json``. Single-objective trials report the dev score after every epoch and are
    pruned through ``optuna.TrialPruned``. Each trial stores its metrics in ``trial.user_attrs["metrics"]``.
    ``args`` maps a candidate to the fixed arguments of its ``suggest`` (module names, data loaders); for a
    ``ScenarioTask``, the arguments a chosen strategy declares in ``scenario_inputs`` and ``args`` leaves out come
    from the scenario's ``strategy_inputs`` (per transfer seed, with the task's pretrained source).

    >>> import optuna
    >>> from mitigate.tune import ScenarioTask
    >>> from mitigate.tune._fakes import FakeScenario
    >>> objective = TransferObjective(task=ScenarioTask(FakeScenario(n_items=40)),
    ...                               candidates=["mitigate.tune._fakes:FakeDamping"], objective=Objective(kind="gain"))
    >>> study = optuna.create_study(direction="maximize")
    >>> study.optimize(objective, n_trials=2)
    >>> sorted(study.best_trial.user_attrs["metrics"])[:3]
    ['acc_scratch', 'acc_transfer', 'churn']
    """

    def __init__(
        self,
        *,
        task: TransferTask,
        candidates: Sequence[str | type[Strategy]],
        objective: Objective | None = None,
        scratch_seeds: Sequence[int] = (0,),
        transfer_seeds: Sequence[int] = (0,),
        run_dir: str | Path | None = None,
        args: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.task = task
        self.args = {key: dict(value) for key, value in (args or {}).items()}
        self.candidates = list(candidates)
        if not self.candidates:
            raise ValueError("Expected argument `candidates` to list at least one strategy, but got []: "
                             "the search space would be empty.")
        self.objective = objective or Objective()
        self.scratch_seeds = [int(s) for s in scratch_seeds]
        self.transfer_seeds = [int(s) for s in transfer_seeds]
        if not self.scratch_seeds or not self.transfer_seeds:
            raise ValueError(f"Expected arguments `scratch_seeds` and `transfer_seeds` to be non-empty, but got "
                             f"{self.scratch_seeds} and {self.transfer_seeds}.")
        if self.objective.needs_churn and len(self.scratch_seeds) < 2:
            raise ValueError(f"Expected argument `scratch_seeds` to hold >= 2 seeds for objective {self.objective.kind!r}"
                             f"{' with the churn constraint' if self.objective.constrain_nt_to_churn else ''} "
                             f"(churn and excess NT need two scratch models), but got {self.scratch_seeds}.")
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self._scratch: list[Any] | None = None

    def scratch(self) -> list[Any]:
        """Dev predictions of the scratch seeds (computed once, cached on disk when ``run_dir`` is set)."""
        if self._scratch is None:
            cache = None if self.run_dir is None else self.run_dir / "scratch_reference.json"
            self._scratch = scratch_reference(self.task, seeds=self.scratch_seeds, cache_path=cache)
        return self._scratch

    def _inputs(self, seed: int) -> ScenarioInputs:
        """What strategies may take from the task's scenario (only ``seed`` for tasks without one)."""
        scenario = getattr(self.task, "scenario", None)
        if scenario is None:
            return ScenarioInputs(self.task, seed=seed, source=None)
        source = self.task.source() if callable(getattr(self.task, "source", None)) else None
        return ScenarioInputs(scenario, seed=seed, source=source)

    def _callback(self, trial: optuna.Trial) -> Any:
        import optuna

        def on_epoch_end(epoch: int, dev_score: float) -> None:
            trial.report(float(dev_score), int(epoch))
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after epoch {epoch} (dev score {dev_score:.4f})")

        return on_epoch_end

    def __call__(self, trial: optuna.Trial) -> float | list[float]:
        scratch = self.scratch()
        gold = self.task.gold()
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        runs = []
        for index, seed in enumerate(self.transfer_seeds):
            # fresh instances per seed (strategies keep state); re-suggesting returns the trial's same values
            strategies = suggest_composition(trial, candidates=self.candidates, args=self.args, inputs=self._inputs(seed))
            callback = self._callback(trial) if index == 0 and not self.objective.is_multi else None
            predictions = self.task.transfer(strategies=strategies, seed=seed, on_epoch_end=callback)
            runs.append(transfer_metrics(gold=gold, scratch=scratch, transfer=predictions))
        metrics = {key: float(sum(run[key] for run in runs) / len(runs)) for key in runs[0]}
        trial.set_user_attr("metrics", {k: (None if math.isnan(v) else v) for k, v in metrics.items()})
        if self.objective.constrain_nt_to_churn:
            # feasible when <= 0; NSGA-II and TPE read constraints set on the trial (Optuna 5)
            trial.set_user_attr("constraint_nt_minus_churn", metrics["nt"] - metrics["churn"])
            if hasattr(trial, "set_constraint"):
                trial.set_constraint("nt_minus_churn", metrics["nt"] - metrics["churn"])
        values = self.objective.values(metrics)
        return values[0] if len(values) == 1 else values
