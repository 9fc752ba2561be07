"""Many workers on one study in a real PostgreSQL, started on 127.0.0.1 by a fixture (recipe: shared/docs/POSTGRES.md)."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import optuna
import pytest

from mitigate.tune import build_objective, count_finished, create_study_once, load_config, open_storage, tune

CONFIG = """\
[study]
name = "pg"
objective = "gain_vs_nt"
population_size = 4

[scenario]
factory = "mitigate.tune._fakes:FakeScenario"
kwargs = {{ n_items = 80, epochs = 3, epoch_seconds = {epoch_seconds} }}

[search]
strategies = ["mitigate.tune._fakes:FakeDamping", "mitigate.tune._fakes:FakeNoise"]

[workers]
heartbeat_interval = 1
grace_period = 6
"""


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in Path(p).parent.name.split(".") if x.isdigit()])
    if found:
        return Path(found[-1])
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL server on 127.0.0.1; yields a function that creates a fresh database and returns its URL."""
    pg_bin = _pg_bin()
    if pg_bin is None or not (pg_bin / "initdb").exists():
        pytest.skip("PostgreSQL not installed (no initdb): apt-get install -y postgresql")
    pytest.importorskip("psycopg2", reason="needs psycopg2: pip install 'mitigate[postgres]'")
    as_root = os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as the postgres user")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    root = Path(tempfile.mkdtemp(prefix="mitigate-pg-"))
    (root / "data").mkdir()
    (root / "sock").mkdir()
    if as_root:
        shutil.chown(root, "postgres", "postgres")
        for sub in ("data", "sock"):
            shutil.chown(root / sub, "postgres", "postgres")
    port = _free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*prefix, *cmd], check=True, capture_output=True, timeout=120)

    try:
        run(str(pg_bin / "initdb"), "-D", str(root / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        run(str(pg_bin / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "server.log"), "-w", "-t", "60",
            "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {root / 'sock'}", "start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start PostgreSQL: {error}")

    def new_database() -> str:
        name = f"optuna_{uuid.uuid4().hex[:8]}"
        run(str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name)
        return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{name}"

    try:
        yield new_database
    finally:
        subprocess.run([*prefix, str(pg_bin / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def _config(tmp_path: Path, epoch_seconds: float) -> Path:
    path = tmp_path / "pg.toml"
    path.write_text(CONFIG.format(epoch_seconds=epoch_seconds))
    return path


def test_two_worker_processes_complete_all_trials(postgres, tmp_path) -> None:
    url = postgres()
    config_path = _config(tmp_path, epoch_seconds=0.05)
    result = tune(load_config(config_path), n_trials=6, storage=url, workers=2, run_dir=tmp_path / "run",
                  config_path=config_path, plots=False)
    assert result["failed_workers"] == 0
    study = optuna.load_study(study_name="pg", storage=url)
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert 6 <= len(complete) <= 7  # a worker already inside a trial finishes it
    assert len({t.user_attrs["worker"] for t in complete}) == 2
    assert not study.get_trials(states=(optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.FAIL))


def test_killed_worker_trial_is_retried_and_no_finished_trial_is_lost(postgres, tmp_path) -> None:
    url = postgres()
    config_path = _config(tmp_path, epoch_seconds=0.4)
    config = load_config(config_path)
    run_dir = tmp_path / "run"
    storage = open_storage(url, heartbeat_interval=1, grace_period=6)
    study = create_study_once(storage=storage, study_name="pg", objective=config.objective, candidates=config.strategies)
    build_objective(config, run_dir=run_dir).scratch()
    n_trials = 12
    command = [sys.executable, "-m", "mitigate.tune._worker", str(config_path), "--storage", url,
               "--run-dir", str(run_dir), "--n-trials", str(n_trials)]
    victim, survivor = (subprocess.Popen([*command, "--worker-index", str(i)]) for i in range(2))
    try:
        deadline = time.time() + 90
        killed_trial = None
        while time.time() < deadline and killed_trial is None:
            if count_finished(study) >= 2:
                for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
                    if trial.user_attrs.get("worker", "").endswith(f":{victim.pid}"):
                        killed_trial = trial.number
                        break
            time.sleep(0.05)
        assert killed_trial is not None, "the victim never ran a trial"
        finished_before = {t.number: t.values for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))}
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        assert survivor.wait(timeout=120) == 0
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.kill()
    study = optuna.load_study(study_name="pg", storage=url)
    assert study.trials[killed_trial].state == optuna.trial.TrialState.FAIL
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed_trial]
    assert len(retried) == 1 and retried[0].state == optuna.trial.TrialState.COMPLETE
    assert retried[0].params == study.trials[killed_trial].params
    after = {t.number: t.values for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))}
    assert all(after[number] == values for number, values in finished_before.items())
    assert len(after) >= n_trials
    assert not study.get_trials(states=(optuna.trial.TrialState.RUNNING,))
