"""``tune``: one call that creates the study, runs K workers, and writes the best configurations and plots."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna

from mitigate.tune._config import TuneConfig
from mitigate.tune._objective import TransferObjective
from mitigate.tune._plots import save_plots
from mitigate.tune._results import write_best
from mitigate.tune._storage import describe_storage, open_storage
from mitigate.tune._study import (count_finished, create_study_once, make_pruner, make_sampler, requeue_stale_trials,
                                  run_worker)
from mitigate.tune._task import ScenarioTask

__all__ = ["tune", "build_objective"]


def build_objective(config: TuneConfig, *, run_dir: str | Path) -> TransferObjective:
    """The objective of a config: its scenario as a task, its strategies, seeds and objective kind.

    >>> import tempfile
    >>> from mitigate.tune import parse_config
    >>> cfg = parse_config({"scenario": {"factory": "mitigate.tune._fakes:FakeScenario"},
    ...                     "search": {"strategies": ["mitigate.tune._fakes:FakeDamping"]}})
    >>> build_objective(cfg, run_dir=tempfile.mkdtemp()).objective.kind
    'gain_vs_nt'
    """
    task = ScenarioTask(config.make_scenario(), source_seed=config.source_seed)
    return TransferObjective(task=task, candidates=list(config.strategies), objective=config.objective,
                             scratch_seeds=config.scratch_seeds, transfer_seeds=config.transfer_seeds, run_dir=run_dir,
                             args=config.args)


def _open(config: TuneConfig, storage: str | None, run_dir: Path) -> Any:
    return open_storage(storage, run_dir=run_dir, heartbeat_interval=config.heartbeat_interval,
                        grace_period=config.grace_period, max_retry=config.max_retry)


def tune(
    config: TuneConfig,
    *,
    n_trials: int,
    storage: str | None = None,
    workers: int = 1,
    run_dir: str | Path,
    config_path: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    plots: bool = True,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run a study until it holds ``n_trials`` finished trials (resuming it if it exists) and write the answer.

    ``storage=None`` keeps the study in ``run_dir/study.log`` (no server). ``workers > 1`` starts that many worker
    processes (they need ``config_path`` to rebuild the objective); with an RDB storage more workers may join from
    other machines with ``python -m mitigate.tune._worker``. Writes ``run_dir/best.json`` and ``run_dir/plots/*.png``,
    and returns the content of ``best.json``. ``timeout`` (seconds) stops every worker after its running trial once
    that time has passed (the scratch reference is computed before the clock starts).

    >>> import tempfile
    >>> from mitigate.tune import parse_config
    >>> cfg = parse_config({"study": {"objective": "gain"}, "scenario": {"factory": "mitigate.tune._fakes:FakeScenario"},
    ...                     "search": {"strategies": ["mitigate.tune._fakes:FakeDamping"]}})
    >>> tune(cfg, n_trials=2, run_dir=tempfile.mkdtemp(), plots=False)["n_trials"]["complete"]
    2
    """
    if not isinstance(n_trials, int) or isinstance(n_trials, bool) or n_trials < 1:
        raise ValueError(f"Expected argument `n_trials` to be an int >= 1, but got {n_trials!r}.")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"Expected argument `workers` to be an int >= 1, but got {workers!r}.")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValueError(f"Expected argument `timeout` to be a number of seconds > 0 or None, but got {timeout!r}.")
    if workers > 1 and config_path is None:
        raise ValueError("Expected argument `config_path` when `workers` > 1 (worker processes read the config), but got None.")
    say = progress or (lambda message: None)
    run_dir = Path(run_dir)
    storage_obj = _open(config, storage, run_dir)  # raises before anything is created when unreachable
    run_dir.mkdir(parents=True, exist_ok=True)
    study = create_study_once(storage=storage_obj, study_name=config.study_name, objective=config.objective,
                              candidates=config.strategies)
    if storage is None:
        stale = requeue_stale_trials(study, max_retry=config.max_retry)
        if stale:
            say(f"re-queued trial(s) {stale} left running by an interrupted run")
    done = count_finished(study)
    say(f"study {config.study_name!r} on {describe_storage(storage)}: {done}/{n_trials} trials finished")
    objective = build_objective(config, run_dir=run_dir)
    objective.scratch()  # once, before workers start, so they all read the cache
    started = time.perf_counter()
    failed_workers = 0
    if workers == 1:
        def report(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            values = ", ".join(f"{v:.4g}" for v in trial.values or [])
            say(f"[{count_finished(study)}/{n_trials}] trial {trial.number} {trial.state.name.lower()} {values}")

        study = optuna.load_study(study_name=config.study_name, storage=storage_obj,
                                  sampler=make_sampler(objective=config.objective, seed=config.sampler_seed,
                                                       fixed=config.fixed, population_size=config.population_size),
                                  pruner=make_pruner(objective=config.objective, enabled=config.prune))
        if count_finished(study) < n_trials:
            study.optimize(objective, timeout=timeout, callbacks=[
                optuna.study.MaxTrialsCallback(n_trials, states=(optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)),
                report])
    else:
        failed_workers = _run_processes(config_path=Path(config_path), storage=storage or f"journal:{run_dir / 'study.log'}",  # type: ignore[arg-type]
                                        run_dir=run_dir, n_trials=n_trials, workers=workers, study=study, say=say,
                                        timeout=timeout)
    elapsed = time.perf_counter() - started
    study = optuna.load_study(study_name=config.study_name, storage=storage_obj)
    extra = {"storage": describe_storage(storage), "n_trials_target": n_trials, "workers": workers, "timeout": timeout,
             "seconds": round(elapsed, 3), "failed_workers": failed_workers,
             "seeds": {"source": config.source_seed, "scratch": list(config.scratch_seeds),
                       "transfer": list(config.transfer_seeds), "sampler": config.sampler_seed},
             "scenario": {"factory": config.scenario_factory, "kwargs": dict(config.scenario_kwargs)}}
    if plots:
        extra["plots"] = save_plots(study, run_dir / "plots")
    result = write_best(study, run_dir / "best.json", extra=extra)
    say(f"{result['n_trials']} in {elapsed:.1f} s; best configuration(s) in {run_dir / 'best.json'}")
    return result


def _run_processes(*, config_path: Path, storage: str, run_dir: Path, n_trials: int, workers: int,
                   study: optuna.Study, say: Callable[[str], None], timeout: float | None) -> int:
    command = [sys.executable, "-m", "mitigate.tune._worker", str(config_path), "--storage", storage,
               "--run-dir", str(run_dir), "--n-trials", str(n_trials)]
    if timeout is not None:
        command += ["--timeout", str(timeout)]
    procs = [subprocess.Popen([*command, "--worker-index", str(i)]) for i in range(workers)]
    last = -1
    while any(p.poll() is None for p in procs):
        finished = count_finished(study)
        if finished != last:
            say(f"[{finished}/{n_trials}] trials finished ({sum(p.poll() is None for p in procs)} workers running)")
            last = finished
        time.sleep(1.0)
    failed = sum(p.returncode != 0 for p in procs)
    if failed:
        say(f"warning: {failed} worker(s) exited with an error; run the same command again to resume")
    return failed
