import json

import optuna
import pytest

from mitigate.tune import FunctionTask, Objective, ScenarioTask, TransferObjective, create_study_once, make_sampler
from mitigate.tune._fakes import FakeScenario

DAMP = "mitigate.tune._fakes:FakeDamping"


def test_scratch_reference_is_computed_once_and_cached_on_disk(tmp_path) -> None:
    scenario = FakeScenario(n_items=60)
    objective = TransferObjective(task=ScenarioTask(scenario), candidates=[DAMP], scratch_seeds=[0, 1], run_dir=tmp_path)
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=optuna.samplers.NSGAIISampler(seed=0))
    study.optimize(objective, n_trials=4)
    assert scenario.scratch_calls == 2 and scenario.pretrain_calls == 1
    cached = json.loads((tmp_path / "scratch_reference.json").read_text())
    assert cached["seeds"] == [0, 1] and len(cached["predictions"]) == 2
    again = FakeScenario(n_items=60)
    TransferObjective(task=ScenarioTask(again), candidates=[DAMP], scratch_seeds=[0, 1], run_dir=tmp_path).scratch()
    assert again.scratch_calls == 0
    metrics = study.trials[0].user_attrs["metrics"]
    assert metrics["gain"] == pytest.approx(metrics["pt"] - metrics["nt"])
    assert study.trials[0].values == pytest.approx([metrics["gain"], metrics["nt"]])


def test_single_objective_prunes_through_the_epoch_callback() -> None:
    epochs_run: list[int] = []

    def fit_transfer(strategies, seed, on_epoch_end):
        for epoch in range(5):
            epochs_run.append(epoch)
            on_epoch_end(epoch, 0.1)  # below the threshold: pruned at the first report
        return [1, 1, 0, 0]

    task = FunctionTask(gold=[1, 1, 0, 0], fit_scratch=lambda seed: [1, 0, 0, 0], fit_transfer=fit_transfer)
    objective = TransferObjective(task=task, candidates=[DAMP], objective=Objective(kind="gain"))
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=0.5))
    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.PRUNED] * 2
    assert epochs_run == [0, 0]


def test_multi_objective_does_not_report_and_keeps_the_churn_constraint() -> None:
    calls = []

    def fit_transfer(strategies, seed, on_epoch_end):
        calls.append(on_epoch_end)
        return list("aabb")

    task = FunctionTask(gold=list("aaaa"), fit_scratch=lambda seed: list("aaab") if seed else list("aaba"),
                        fit_transfer=fit_transfer)
    objective = TransferObjective(task=task, candidates=[DAMP],
                                  objective=Objective(kind="gain_vs_excess_nt", constrain_nt_to_churn=True),
                                  scratch_seeds=[0, 1])
    study = optuna.create_study(directions=["maximize", "minimize"],
                                sampler=make_sampler(objective=objective.objective, seed=0))
    study.optimize(objective, n_trials=2)
    assert calls == [None, None]
    trial = study.trials[0]
    expected = trial.user_attrs["metrics"]["nt"] - trial.user_attrs["metrics"]["churn"]
    assert trial.user_attrs["constraint_nt_minus_churn"] == pytest.approx(expected)
    assert [v for k, v in trial.system_attrs.items() if k.endswith("nt_minus_churn")] == pytest.approx([expected])
    assert trial.values[1] == pytest.approx(trial.user_attrs["metrics"]["excess_nt"])


def test_new_study_starts_with_the_baseline_and_refuses_other_directions() -> None:
    storage = optuna.storages.InMemoryStorage()
    study = create_study_once(storage=storage, study_name="s", objective=Objective(kind="gain"), candidates=[DAMP])
    study.optimize(TransferObjective(task=ScenarioTask(FakeScenario(n_items=20)), candidates=[DAMP],
                                     objective=Objective(kind="gain")), n_trials=1)
    assert study.trials[0].user_attrs["strategies"] == []
    with pytest.raises(ValueError, match=r"Study 's' already exists with objective 'gain' and directions \['maximize'\]"):
        create_study_once(storage=storage, study_name="s", objective=Objective(kind="gain_vs_nt"))


def test_bad_objective_arguments() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `kind` to be one of \["):
        Objective(kind="accuracy")
    with pytest.raises(ValueError, match=r"Expected argument `nt_weight` to be a finite number >= 0, but got -1"):
        Objective(kind="gain_minus_nt", nt_weight=-1)
    task = ScenarioTask(FakeScenario(n_items=5))
    with pytest.raises(ValueError, match=r"`scratch_seeds` to hold >= 2 seeds for objective 'gain_vs_excess_nt'"):
        TransferObjective(task=task, candidates=[DAMP], objective=Objective(kind="gain_vs_excess_nt"))
    with pytest.raises(ValueError, match=r"the search space would be empty"):
        TransferObjective(task=task, candidates=[])
    with pytest.raises(TypeError, match=r"implement TransferScenario \(method `pretrain`\), but got int"):
        ScenarioTask(3)


def test_every_transfer_seed_gets_fresh_strategy_instances() -> None:
    seen = []

    def fit_transfer(strategies, seed, on_epoch_end):
        seen.append((seed, strategies))
        return [1, 0]

    task = FunctionTask(gold=[1, 0], fit_scratch=lambda seed: [1, 1], fit_transfer=fit_transfer)
    objective = TransferObjective(task=task, candidates=[DAMP], transfer_seeds=[3, 4])
    trial = optuna.trial.FixedTrial({f"use:{DAMP}": True, f"{DAMP}.strength": 0.4})
    objective(trial)
    (seed_a, first), (seed_b, second) = seen
    assert (seed_a, seed_b) == (3, 4)
    assert repr(first) == repr(second) == "[FakeDamping(strength=0.4)]" and first[0] is not second[0]
