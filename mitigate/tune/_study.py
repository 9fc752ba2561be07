"""Create a study once, build each worker's sampler, run a worker, and recover trials of an interrupted run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import optuna
from optuna.trial import TrialState

from mitigate.tune._objective import Objective
from mitigate.tune._space import strategy_label

__all__ = ["create_study_once", "make_sampler", "make_pruner", "run_worker", "count_finished", "requeue_stale_trials"]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def count_finished(study: optuna.Study) -> int:
    """Number of COMPLETE or PRUNED trials (what ``n_trials`` counts).

    >>> count_finished(optuna.create_study())
    0
    """
    return len(study.get_trials(deepcopy=False, states=_FINISHED))


def create_study_once(
    *, storage: Any, study_name: str, objective: Objective, candidates: Sequence[Any] = (),
) -> optuna.Study:
    """Create the study (or load it to resume), before any worker starts: avoids the schema race of parallel creation.

    A new study gets standard fine-tuning (no strategy) enqueued as its first trial, so the answer always sits beside
    the baseline. Loading a study whose directions differ from ``objective``'s raises ``ValueError``.

    >>> study = create_study_once(storage=None, study_name="doc", objective=Objective(kind="gain_vs_nt"))
    >>> [d.name for d in study.directions]
    ['MAXIMIZE', 'MINIMIZE']
    """
    try:
        study = optuna.create_study(storage=storage, study_name=study_name, directions=list(objective.directions))
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=study_name, storage=storage)
        existing = [d.name.lower() for d in study.directions]
        kind = study.user_attrs.get("objective_kind")
        if existing != list(objective.directions) or (kind is not None and kind != objective.kind):
            raise ValueError(f"Study {study_name!r} already exists with objective {kind!r} and directions {existing}, "
                             f"but got objective {objective.kind!r} {list(objective.directions)}; "
                             "choose another study name.") from None
        return study
    study.set_user_attr("objective_kind", objective.kind)
    study.set_user_attr("objective_names", list(objective.names))
    if candidates:
        study.enqueue_trial({f"use:{strategy_label(c)}": False for c in candidates}, user_attrs={"baseline": True})
    return study


def make_sampler(
    *, objective: Objective, seed: int | None = None, fixed: Mapping[str, Any] | None = None, population_size: int = 10,
) -> optuna.samplers.BaseSampler:
    """NSGA-II for multi-objective studies (set explicitly: Optuna 5 defaults to TPE), TPE otherwise.

    ``fixed`` parameters are pinned with ``PartialFixedSampler``.

    >>> type(make_sampler(objective=Objective(kind="gain_vs_nt"), seed=0)).__name__
    'NSGAIISampler'
    """
    sampler: optuna.samplers.BaseSampler
    if objective.is_multi:
        if not isinstance(population_size, int) or population_size < 2:
            raise ValueError(f"Expected argument `population_size` to be an int >= 2, but got {population_size!r}.")
        sampler = optuna.samplers.NSGAIISampler(population_size=population_size, seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)
    if fixed:
        sampler = optuna.samplers.PartialFixedSampler(dict(fixed), sampler)
    return sampler


def make_pruner(*, objective: Objective, enabled: bool = True) -> optuna.pruners.BasePruner:
    """Median pruning on the per-epoch dev score for single-objective studies; none for multi-objective ones.

    >>> type(make_pruner(objective=Objective(kind="gain"))).__name__
    'MedianPruner'
    """
    if objective.is_multi or not enabled:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1)


def run_worker(
    *,
    study_name: str,
    storage: Any,
    objective: Callable[[optuna.Trial], Any],
    n_trials: int,
    sampler: optuna.samplers.BaseSampler | None = None,
    pruner: optuna.pruners.BasePruner | None = None,
    timeout: float | None = None,
) -> int:
    """Run trials on an existing study until it holds ``n_trials`` finished (COMPLETE or PRUNED) trials, or until
    ``timeout`` seconds have passed (a running trial is finished first).

    Several workers (processes or machines) may run this on the same study; each stops when the shared count is
    reached (a worker already inside a trial finishes it, so up to workers − 1 extra trials may complete).
    Returns the number of trials this worker finished.

    >>> study = optuna.create_study(storage=None, study_name="w")
    >>> run_worker(study_name="w", storage=study._storage, objective=lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    3
    """
    if not isinstance(n_trials, int) or isinstance(n_trials, bool) or n_trials < 1:
        raise ValueError(f"Expected argument `n_trials` to be an int >= 1, but got {n_trials!r}.")
    study = optuna.load_study(study_name=study_name, storage=storage, sampler=sampler, pruner=pruner)
    before = count_finished(study)
    if before >= n_trials:
        return 0
    mine: list[int] = []

    def note(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.state in _FINISHED:
            mine.append(trial.number)

    study.optimize(objective, timeout=timeout, callbacks=[optuna.study.MaxTrialsCallback(n_trials, states=_FINISHED), note])
    return len(mine)


def requeue_stale_trials(study: optuna.Study, *, max_retry: int = 3) -> list[int]:
    """Mark RUNNING trials as FAILED and retry them (``retry_callback``); returns their numbers.

    Only for storages without heartbeats (the journal file) when no worker is running, e.g. when resuming
    ``mitigate tune`` after an interruption. RDB storages do this themselves through heartbeats.

    >>> requeue_stale_trials(optuna.create_study())
    []
    """
    from mitigate.tune._storage import retry_callback

    stale = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    retry = retry_callback(max_retry=max_retry)
    for trial in stale:
        study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
        retry(study, study._storage.get_trial(trial._trial_id))
    return [t.number for t in stale]
