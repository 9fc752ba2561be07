"""The tuning output file: the best configuration(s) in a schema the benchmark harness reads directly."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

__all__ = ["best_configurations", "write_best", "SCHEMA"]

SCHEMA = "mitigate.tune.best/1"


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _entry(trial: optuna.trial.FrozenTrial, names: list[str]) -> dict[str, Any]:
    return {
        "trial": trial.number,
        "values": {name: _clean(v) for name, v in zip(names, trial.values)},
        "strategies": trial.user_attrs.get("strategies", []),
        "metrics": trial.user_attrs.get("metrics", {}),
        "params": dict(trial.params),
    }


def _recommend(study: optuna.Study, front: list[optuna.trial.FrozenTrial],
               baseline: optuna.trial.FrozenTrial | None) -> optuna.trial.FrozenTrial:
    """Single objective: the best trial. Multi-objective: the Pareto trial of highest first objective (gain) among
    those whose second objective (NT or excess NT) is no worse than standard fine-tuning's; all of them without one."""
    if len(study.directions) == 1:
        return study.best_trial
    sign = [1.0 if d == optuna.study.StudyDirection.MAXIMIZE else -1.0 for d in study.directions]
    pool = front
    if baseline is not None:
        no_worse = [t for t in front if sign[1] * t.values[1] >= sign[1] * baseline.values[1]]
        pool = no_worse or front
    return max(pool, key=lambda t: (sign[0] * t.values[0], sign[1] * t.values[1], -t.number))


def best_configurations(study: optuna.Study) -> dict[str, Any]:
    """The answer of a study, in the schema the benchmark harness reads (``mitigate.tune.best/1``).

    - ``best``: the strategies of the recommended trial, a list of ``{"name", "params"}`` composed in order (``[]`` is
      standard fine-tuning); ``params`` are search parameters: rebuild with ``strategies_from_record``;
    - ``recommended``: that trial; single objective: the best trial; multi-objective: the Pareto trial of highest
      gain among those with NT (or excess NT) no worse than the baseline's;
    - ``pareto_front``: every Pareto-optimal trial (the best trial for a single objective), by decreasing gain;
    - ``baseline``: standard fine-tuning (no strategy), when the study ran it.

    A trial entry has ``trial``, ``values`` (objective name → value), ``strategies``, ``metrics`` (PT, NT, gain,
    accuracies, churn, excess NT on dev) and the raw Optuna ``params``.

    >>> study = optuna.create_study(direction="maximize")
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    >>> best_configurations(study)["schema"]
    'mitigate.tune.best/1'
    """
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        raise ValueError(f"Study {study.study_name!r} has no complete trial yet; nothing to report.")
    names = list(study.user_attrs.get("objective_names") or [f"value_{i}" for i in range(len(study.directions))])
    multi = len(study.directions) > 1
    front = list(study.best_trials) if multi else [study.best_trial]
    first = 1.0 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1.0
    front.sort(key=lambda t: (-first * t.values[0], t.number))
    baseline = next((t for t in complete if t.user_attrs.get("strategies") == []), None)
    recommended = _recommend(study, front, baseline)
    counts = {state.name.lower(): len(study.get_trials(deepcopy=False, states=(state,)))
              for state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)}
    return {
        "schema": SCHEMA,
        "study_name": study.study_name,
        "objective": {"kind": study.user_attrs.get("objective_kind"), "names": names,
                      "directions": [d.name.lower() for d in study.directions]},
        "n_trials": counts,
        "best": list(recommended.user_attrs.get("strategies", [])),
        "recommended": _entry(recommended, names),
        "pareto_front": [_entry(t, names) for t in front],
        "baseline": None if baseline is None else _entry(baseline, names),
    }


def write_best(study: optuna.Study, path: str | Path, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``best_configurations(study)`` (plus ``extra`` keys) as JSON, atomically; returns what was written.

    >>> import tempfile
    >>> study = optuna.create_study(direction="maximize")
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    >>> write_best(study, Path(tempfile.mkdtemp()) / "best.json")["n_trials"]["complete"]
    1
    """
    result = {**best_configurations(study), **(extra or {})}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)
    return result
