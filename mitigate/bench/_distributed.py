"""Share one grid between workers through an Optuna study: ``GridSampler`` over cell ids, one trial per cell.

Optuna hands out the cells (trial numbers are unique in the storage, and ``GridSampler`` gives the first ``n`` trials
the ``n`` grid points in order), so no two workers start the same cell in the first pass. A cell whose trial failed
(an exception, or a worker that died and was failed by the heartbeat of an RDB storage) is enqueued again by the next
worker loop. Journal storages have no heartbeat: there, a worker starting up fails the running trials of workers on
its own host whose process is gone. Should two workers still pick the same cell, the later trial is pruned before
doing any work.
Each result is stored both in the local results file and as the trial's ``result`` user attribute, so
``collect_results`` can gather results from machines that do not share a disk.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mitigate.bench._config import BenchConfig
from mitigate.bench._results import ResultsFile
from mitigate.bench._workspace import Workspace

__all__ = ["collect_results", "fail_orphaned_trials", "open_storage", "run_worker", "study_name_for"]

_HEARTBEAT_SECONDS = 60


def open_storage(storage: str) -> Any:
    """An Optuna storage from a URL (``sqlite:///…``, ``postgresql://…``) or ``journal:PATH`` (a journal file).

    RDB storages get a heartbeat, so trials of killed workers are failed and their cells run again.

    >>> import tempfile, os
    >>> type(open_storage("journal:" + os.path.join(tempfile.mkdtemp(), "grid.log"))).__name__
    'JournalStorage'
    """
    import optuna

    if not isinstance(storage, str) or not storage:
        raise TypeError(f"Expected argument `storage` to be an Optuna storage URL or 'journal:PATH', but got {storage!r}.")
    if storage.startswith("journal:"):
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(storage.removeprefix("journal:")))
    if "://" not in storage:
        raise ValueError(
            f"Expected argument `storage` to be a URL like 'sqlite:///grid.db' or 'postgresql://…', or 'journal:PATH',"
            f" but got {storage!r}."
        )
    if storage.startswith("postgresql"):
        try:
            import psycopg2  # noqa: F401
        except ImportError as error:
            raise ImportError("A PostgreSQL storage needs psycopg2: pip install 'mitigate[postgres]'") from error
    return optuna.storages.RDBStorage(storage, heartbeat_interval=_HEARTBEAT_SECONDS, grace_period=2 * _HEARTBEAT_SECONDS)


def study_name_for(config: BenchConfig) -> str:
    """The default study name: the config's name and hash (another config version gets another study).

    >>> from mitigate.bench._config import parse_config
    >>> study_name_for(parse_config('seeds = [0]\\n[[pairs]]\\nscenario = "digits"\\n[[strategies]]\\nstrategy = "none"\\n')).startswith("bench-bench-")
    True
    """
    return f"bench-{config.name}-{config.config_hash}"


def _states(study: Any) -> tuple[set[str], dict[str, set[int]], set[str], int]:
    """Cells complete, running (cell → numbers of the trials running it), waiting, and the number of trials."""
    import optuna

    complete: set[str] = set()
    running: dict[str, set[int]] = {}
    waiting: set[str] = set()
    trials = study.get_trials(deepcopy=False)
    for trial in trials:
        cell = trial.params.get("cell", trial.system_attrs.get("fixed_params", {}).get("cell"))
        if cell is None:
            continue
        if trial.state == optuna.trial.TrialState.COMPLETE:
            complete.add(cell)
        elif trial.state == optuna.trial.TrialState.RUNNING:
            running.setdefault(cell, set()).add(trial.number)
        elif trial.state == optuna.trial.TrialState.WAITING:
            waiting.add(cell)
    return complete, running, waiting, len(trials)


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: only a heartbeat (RDB storages) can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def fail_orphaned_trials(study: Any) -> int:
    """Fail the running trials whose worker ran on this host and has exited; returns how many.

    (RDB storages do this for any host through their heartbeat.)
    """
    import optuna

    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        worker = trial.user_attrs.get("worker")
        if worker and _process_gone(str(worker)):
            study._storage.set_trial_state_values(trial._trial_id, state=optuna.trial.TrialState.FAIL)
            failed += 1
    return failed


def _cell_sampler(ids: list[str]) -> Any:
    """``GridSampler`` over cell ids that leaves stopping to ``run_worker``'s loop.

    ``GridSampler.after_trial`` reads the trial's ``grid_id`` when one cell is left, but a trial re-queued with
    ``enqueue_trial`` (a failed cell) has none, which raised ``KeyError: 'grid_id'`` under two workers.
    """
    import optuna

    class _CellSampler(optuna.samplers.GridSampler):
        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            return None

    return _CellSampler({"cell": ids}, seed=0)


def run_worker(
    *,
    config: BenchConfig,
    workspace: Workspace,
    results: ResultsFile,
    storage: str,
    study_name: str | None,
    max_cells: int | None,
    on_cell: Callable[[], None],
) -> tuple[int, int]:
    """Take cells from the shared study until none is left; returns (cells run here, cells found done)."""
    import optuna

    cells = {cell.cell_id: cell for cell in config.cells()}
    ids = list(cells)
    study = optuna.create_study(
        storage=open_storage(storage),
        study_name=study_name or study_name_for(config),
        sampler=_cell_sampler(ids),
        direction="maximize",
        load_if_exists=True,
    )
    study.set_user_attr("config_hash", config.config_hash)
    fail_orphaned_trials(study)
    stored = {record["cell"]: record for record in results.records()}
    ran = 0

    def objective(trial: optuna.Trial) -> float:
        nonlocal ran
        trial.set_user_attr("worker", _worker_id())
        cell_id = trial.suggest_categorical("cell", ids)
        complete, running, _, _ = _states(study)
        # Skip when any other trial holds the cell. (A rule "the lower trial number wins" let two workers run one cell:
        # the higher trial checked before the lower had drawn its cell, then the lower saw itself winning.) Both
        # trials skipping is possible; the loop below then queues the cell again.
        if cell_id in complete or running.get(cell_id, set()) - {trial.number}:
            trial.set_user_attr("skipped", "duplicate: another trial has this cell")
            raise optuna.TrialPruned()
        record = stored.get(cell_id)
        if record is None:
            record = workspace.run_cell(cells[cell_id])
            results.append(record)
            ran += 1
        trial.set_user_attr("result", json.loads(json.dumps({**record, "config_hash": config.config_hash})))
        on_cell()
        return float(record["metrics"]["gain"])

    while max_cells is None or ran < max_cells:
        complete, running, waiting, n_trials = _states(study)
        todo = [cell_id for cell_id in ids if cell_id not in complete and cell_id not in running]
        if not todo:
            break
        if n_trials >= len(ids) and not waiting:
            # The first pass is over: the grid sampler sees failed cells as visited, so queue one again.
            study.enqueue_trial({"cell": todo[0]})
        study.optimize(objective, n_trials=1, gc_after_trial=False, show_progress_bar=False)
    complete = _states(study)[0]
    return ran, len(complete) - ran


def collect_results(*, storage: str, study_name: str, path: str | Path) -> int:
    """Write the results stored in a shared study to a results file (for workers that share no disk).

    Returns the number of records written (cells already in ``path`` are kept, not duplicated).
    """
    import optuna

    study = optuna.load_study(study_name=study_name, storage=open_storage(storage))
    config_hash = study.user_attrs.get("config_hash")
    if config_hash is None:
        raise ValueError(f"Study {study_name!r} was not created by `mitigate bench` (no config_hash attribute).")
    results = ResultsFile(path, config_hash=config_hash)
    have = results.finished()
    written = 0
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        record = trial.user_attrs.get("result")
        if record is not None and record["cell"] not in have:
            results.append(record)
            have.add(record["cell"])
            written += 1
    return written
