"""Two worker processes share one grid through an Optuna storage: every cell runs exactly once."""

from __future__ import annotations

import socket
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest

from mitigate.bench import collect_results, load_config, read_results, run_benchmark, study_name_for, write_report

FAKE = "mitigate.bench._fakes:FakeTaggingScenario"

WORKER = """
import sys, torch
torch.set_num_threads(1)
from mitigate.bench import run_benchmark
run = run_benchmark(config=sys.argv[1], out_dir=sys.argv[2], storage=sys.argv[3], progress=False, report=False)
print(run.ran, run.skipped)
"""


def write_grid(tmp_path: Path) -> Path:
    log = tmp_path / "calls.log"
    config = tmp_path / "grid.toml"
    config.write_text(f"""name = "shared"
seeds = [0, 1, 2]

[[pairs]]
label = "tweets"
factory = "{FAKE}"
params = {{ n_sentences = 8, call_log = "{log}", seconds = 0.05 }}

[[strategies]]
strategy = "none"

[[strategies]]
strategy = "mitigate.bench._fakes:FakeShield"
label = "shield"

[[strategies]]
strategy = "mitigate.bench._fakes:FakeHarm"
label = "harm"
""")
    return config


def test_two_worker_processes_run_each_cell_once(tmp_path: Path) -> None:
    config_path = write_grid(tmp_path)
    storage = f"journal:{tmp_path / 'grid.log'}"
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(config_path), str(tmp_path / f"w{i}"), storage],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
    ran = [int(out.split()[0]) for out, _ in outputs]
    assert sum(ran) == 9
    transfers = [line for line in (tmp_path / "calls.log").read_text().splitlines() if line.startswith("transfer")]
    assert len(transfers) == 9
    cells = Counter(r["cell"] for i in range(2) for r in read_results(tmp_path / f"w{i}" / "results.jsonl"))
    assert len(cells) == 9 and set(cells.values()) == {1}
    merged = tmp_path / "merged.jsonl"
    config = load_config(config_path)
    assert collect_results(storage=storage, study_name=study_name_for(config), path=merged) == 9
    assert collect_results(storage=storage, study_name=study_name_for(config), path=merged) == 0
    assert {r["cell"] for r in read_results(merged)} == set(cells)
    assert "shield" in write_report(results=merged, out_dir=tmp_path / "report").read_text()


def test_workers_one_after_another_on_sqlite_resume_without_duplicates(tmp_path: Path) -> None:
    config = load_config(write_grid(tmp_path))
    storage = f"sqlite:///{tmp_path / 'grid.db'}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optuna: heartbeat_interval is experimental
        first = run_benchmark(config=config, out_dir=tmp_path / "w0", storage=storage, max_cells=4, progress=False)
        second = run_benchmark(config=config, out_dir=tmp_path / "w1", storage=storage, progress=False)
        third = run_benchmark(config=config, out_dir=tmp_path / "w2", storage=storage, progress=False)
    assert (first.ran, second.ran, third.ran) == (4, 5, 0)
    assert (second.skipped, third.skipped) == (4, 9)
    done = [r["cell"] for i in range(2) for r in read_results(tmp_path / f"w{i}" / "results.jsonl")]
    assert sorted(done) == sorted(cell.cell_id for cell in config.cells())


def test_a_failed_cell_is_handed_out_again(tmp_path: Path) -> None:
    switch = tmp_path / "crash"
    config = load_config(write_grid(tmp_path))
    text = config.path.read_text().replace("seconds = 0.05", f'seconds = 0.0, fail_if_exists = "{switch}"')
    config.path.write_text(text)
    config = load_config(config.path)
    storage = f"journal:{tmp_path / 'grid.log'}"
    run_benchmark(config=config, out_dir=tmp_path / "out", storage=storage, max_cells=2, progress=False)
    switch.touch()
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_benchmark(config=config, out_dir=tmp_path / "out", storage=storage, progress=False)
    switch.unlink()
    rerun = run_benchmark(config=config, out_dir=tmp_path / "out", storage=storage, progress=False)
    assert rerun.ran == 7 and rerun.report is not None
    assert len(read_results(tmp_path / "out" / "results.jsonl")) == 9


def test_a_killed_workers_cell_is_reclaimed_on_a_journal_storage(tmp_path: Path) -> None:
    import optuna

    from mitigate.bench import open_storage

    config = load_config(write_grid(tmp_path))
    storage = f"journal:{tmp_path / 'grid.log'}"
    study = optuna.create_study(storage=open_storage(storage), study_name=study_name_for(config),
                                sampler=optuna.samplers.GridSampler({"cell": [c.cell_id for c in config.cells()]}, seed=0))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    trial = study.ask()  # a worker took a cell, then died without telling
    trial.set_user_attr("worker", f"{socket.gethostname()}:{dead.pid}")
    taken = trial.suggest_categorical("cell", [c.cell_id for c in config.cells()])
    run = run_benchmark(config=config, out_dir=tmp_path / "out", storage=storage, progress=False)
    assert run.complete and run.ran == 9
    assert taken in {r["cell"] for r in read_results(tmp_path / "out" / "results.jsonl")}
    assert study.trials[0].state == optuna.trial.TrialState.FAIL


def test_a_requeued_cell_with_one_cell_left_does_not_break_the_grid_sampler() -> None:
    import optuna

    from mitigate.bench._distributed import _cell_sampler

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=_cell_sampler(["a", "b"]), direction="maximize")
    study.optimize(lambda trial: float(trial.suggest_categorical("cell", ["a", "b"]) == "a"), n_trials=1)
    # One cell is left and a failed cell is queued again: that trial carries no grid_id (plain GridSampler: KeyError).
    study.enqueue_trial({"cell": "b"})
    study.optimize(lambda trial: float(trial.suggest_categorical("cell", ["a", "b"]) == "a"), n_trials=1)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 2


def test_workers_sharing_a_folder_train_each_scratch_model_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import threading

    from mitigate.bench._config import parse_config
    from mitigate.bench._workspace import Workspace

    log = tmp_path / "calls.log"
    config = parse_config(
        'seeds = [0]\n[[pairs]]\nfactory = "mitigate.bench._fakes:FakeTaggingScenario"\n'
        f'params = {{n_sentences = 5, seconds = 0.3, call_log = "{log}"}}\n[[strategies]]\nstrategy = "none"\n'
    )
    pair = config.pairs[0]
    results: list[object] = []
    workers = [threading.Thread(target=lambda: results.append(Workspace(config, out_dir=tmp_path / "out").scratch(pair, 0)))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["scratch"]
    assert results[0] == results[1]


def test_a_scratch_seed_being_trained_elsewhere_is_read_last(tmp_path: Path) -> None:
    from mitigate.bench._lock import exclusive
    from mitigate.bench._workspace import Workspace

    config = load_config(write_grid(tmp_path))
    pair = config.pairs[0]
    seed1 = Workspace(config, out_dir=tmp_path / "out").scratch(pair, 1)
    name = next((tmp_path / "out" / "cache" / "scratch").glob("*-seed1-*")).stem.replace("-seed1-", "-seed2-")
    fresh = Workspace(config, out_dir=tmp_path / "out")
    with exclusive(tmp_path / "out" / "cache" / "locks" / f"{name}.lock"):  # another worker is training seed 2
        assert fresh.scratch(pair, 2, wait=False) is None
        assert fresh.scratch(pair, 1, wait=False) == seed1  # finished seeds are read without waiting
        with exclusive(tmp_path / "out" / "cache" / "locks" / f"{name}.lock", wait=False) as held:
            assert held is False
    assert set(fresh.scratch_seeds(pair)) == {0, 1, 2}
