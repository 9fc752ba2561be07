import json
from pathlib import Path

import optuna
import pytest

from mitigate.cli.main import main
from mitigate.tune import load_config, open_storage, tune

CONFIG = """\
[study]
name = "fake"
objective = "{objective}"
population_size = 4

[scenario]
factory = "mitigate.tune._fakes:FakeScenario"
kwargs = {{ n_items = 120 }}

[search]
strategies = ["mitigate.tune._fakes:FakeDamping", "mitigate.tune._fakes:FakeNoise"]

[seeds]
scratch = [0, 1]
"""


def write_config(tmp_path: Path, objective: str = "gain_vs_nt") -> Path:
    path = tmp_path / "fake.toml"
    path.write_text(CONFIG.format(objective=objective))
    return path


def test_cli_runs_on_the_embedded_journal_and_writes_best_json_and_plots(tmp_path, capsys) -> None:
    run_dir = tmp_path / "run"
    code = main(["tune", str(write_config(tmp_path)), "--n-trials", "6", "--run-dir", str(run_dir), "--quiet"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    best = json.loads((run_dir / "best.json").read_text())
    assert printed["study_name"] == best["study_name"] == "fake"
    assert best["schema"] == "mitigate.tune.best/1"
    assert best["objective"] == {"kind": "gain_vs_nt", "names": ["gain", "nt"], "directions": ["maximize", "minimize"]}
    assert best["n_trials"]["complete"] == 6
    assert best["baseline"]["strategies"] == [] and best["baseline"]["trial"] == 0
    for entry in best["pareto_front"]:
        assert set(entry) == {"trial", "values", "strategies", "metrics", "params"}
        assert entry["values"]["gain"] == pytest.approx(entry["metrics"]["gain"])
    recommended = best["recommended"]
    assert best["best"] == recommended["strategies"]
    assert recommended["trial"] in {entry["trial"] for entry in best["pareto_front"]}
    assert recommended["values"]["nt"] <= best["baseline"]["values"]["nt"]
    assert printed["recommended"]["trial"] == recommended["trial"]
    assert (run_dir / "study.log").is_file() and (run_dir / "scratch_reference.json").is_file()
    assert Path(best["plots"]["pareto_front"]).is_file()


def test_resume_keeps_finished_trials_and_retries_one_left_running(tmp_path) -> None:
    config_path = write_config(tmp_path, objective="gain")
    config = load_config(config_path)
    run_dir = tmp_path / "run"
    tune(config, n_trials=3, run_dir=run_dir, plots=False)
    study = optuna.load_study(study_name="fake", storage=open_storage(None, run_dir=run_dir))
    before = {t.number: t.values for t in study.trials}
    interrupted = study.ask()  # as if a worker had been killed inside this trial
    interrupted.suggest_categorical("use:mitigate.tune._fakes:FakeDamping", [False, True])
    result = tune(config, n_trials=5, run_dir=run_dir, plots=False)
    study = optuna.load_study(study_name="fake", storage=open_storage(None, run_dir=run_dir))
    assert {t.number: t.values for t in study.trials if t.number in before} == before
    assert study.trials[interrupted.number].state == optuna.trial.TrialState.FAIL
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == interrupted.number]
    assert len(retried) == 1 and retried[0].state == optuna.trial.TrialState.COMPLETE
    assert result["n_trials"]["complete"] == 5


def test_unreachable_storage_is_a_clear_error_and_creates_nothing(tmp_path, capsys) -> None:
    run_dir = tmp_path / "run"
    code = main(["tune", str(write_config(tmp_path)), "--n-trials", "2", "--run-dir", str(run_dir),
                 "--storage", "postgresql+psycopg2://postgres:pw@127.0.0.1:1/optuna"])
    err = capsys.readouterr().err
    assert code == 2
    assert "mitigate tune: error: Cannot reach storage postgresql+psycopg2://postgres:***@127.0.0.1:1/optuna" in err
    assert "pw" not in err
    assert not run_dir.exists()
    code = main(["tune", str(write_config(tmp_path)), "--n-trials", "2", "--run-dir", str(run_dir),
                 "--storage", f"sqlite:///{tmp_path}/missing/db.sqlite"])
    err = capsys.readouterr().err
    assert code == 2 and "folder" in err and "does not exist" in err
    assert not run_dir.exists() and not (tmp_path / "missing").exists()


def test_bad_arguments_are_refused(tmp_path, capsys) -> None:
    config = str(write_config(tmp_path))
    assert main(["tune", config, "--n-trials", "0"]) == 2
    assert "Expected argument `--n-trials` to be an int >= 1, but got 0." in capsys.readouterr().err
    assert main(["tune", config, "--n-trials", "2", "--workers", "0"]) == 2
    assert "Expected argument `--workers` to be an int >= 1, but got 0." in capsys.readouterr().err
    assert main(["tune", config, "--n-trials", "2", "--storage", "redis://x"]) == 2
    assert main(["tune", config, "--n-trials", "2", "--storage", "nonsense"]) == 2
    assert "Expected argument `storage` to be an SQLAlchemy URL" in capsys.readouterr().err
    (tmp_path / "unknown.toml").write_text(CONFIG.format(objective="gain").replace("FakeNoise", "FakeNois"))
    assert main(["tune", str(tmp_path / "unknown.toml"), "--n-trials", "2"]) == 2
    assert "module:Class' path, but got 'mitigate.tune._fakes:FakeNois'" in capsys.readouterr().err


def test_timeout_stops_before_n_trials(tmp_path) -> None:
    config_path = tmp_path / "slow.toml"
    config_path.write_text(CONFIG.format(objective="gain").replace("n_items = 120", "n_items = 50, epochs = 2, epoch_seconds = 0.2"))
    result = tune(load_config(config_path), n_trials=50, run_dir=tmp_path / "run", plots=False, timeout=1.0)
    assert 1 <= result["n_trials"]["complete"] + result["n_trials"]["pruned"] < 10
    with pytest.raises(ValueError, match=r"Expected argument `timeout` to be a number of seconds > 0 or None, but got 0"):
        tune(load_config(config_path), n_trials=2, run_dir=tmp_path / "run", timeout=0)
