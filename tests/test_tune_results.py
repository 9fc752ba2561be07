import json

import optuna
import pytest

from mitigate.tune import best_configurations, parse_config, save_plots, search_space, strategies_from_record, write_best


def _study(points):
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.set_user_attr("objective_names", ["gain", "nt"])
    for i, (gain, nt) in enumerate(points):
        strategies = [] if i == 0 else [{"name": "l2sp", "params": {"alpha": 0.01 * i, "beta": 0.001}}]
        study.add_trial(optuna.trial.create_trial(values=[gain, nt], user_attrs={"strategies": strategies}))
    return study


def test_recommended_is_the_highest_gain_no_worse_than_baseline_on_nt() -> None:
    # baseline (0.03, 0.02); trial 1 more gain but more NT; trial 2 dominates the baseline; trial 3 less NT, less gain
    result = best_configurations(_study([(0.03, 0.02), (0.05, 0.04), (0.035, 0.015), (0.01, 0.005)]))
    assert result["recommended"]["trial"] == 2
    assert result["best"] == [{"name": "l2sp", "params": {"alpha": 0.02, "beta": 0.001}}]
    assert [e["trial"] for e in result["pareto_front"]] == [1, 2, 3]
    assert result["baseline"]["trial"] == 0


def test_baseline_is_recommended_when_nothing_beats_it_without_more_nt() -> None:
    result = best_configurations(_study([(0.03, 0.02), (0.05, 0.04)]))
    assert result["recommended"]["trial"] == 0 and result["best"] == []


def test_output_is_read_by_the_benchmark_harness_and_rebuilds_real_strategies(tmp_path) -> None:
    pytest.importorskip("mitigate.strategies")
    bench = pytest.importorskip("mitigate.bench._tuning")
    path = tmp_path / "best.json"
    write_best(_study([(0.03, 0.02), (0.035, 0.015)]), path)
    assert bench.read_tuning_output(path) == (("l2sp", {"alpha": 0.01, "beta": 0.001}),)
    (rebuilt,) = strategies_from_record(json.loads(path.read_text())["best"])
    assert type(rebuilt).__name__ == "L2SP" and rebuilt.alpha == pytest.approx(0.01)
    relearn = strategies_from_record([{"name": "relearn", "params": {"preset": "keep-fe", "init": "orthogonal"}}])
    assert type(relearn[0]).__name__ == "Relearn"


def test_real_registry_names_in_a_config() -> None:
    pytest.importorskip("mitigate.strategies")
    raw = {"scenario": {"factory": "mitigate.models:TaggingScenario"},
           "search": {"strategies": ["l2sp", "bss", "relearn"], "args": {"bss": {"module": "fe_out"}},
                      "fixed": {"l2sp.beta": 0.0001}}}
    assert parse_config(raw).args == {"bss": {"module": "fe_out"}}
    raw["search"]["strategies"] = ["l2sp", "l2-sp"]
    with pytest.raises(ValueError, match=r"Unknown strategy 'l2-sp'\. Valid strategies: .*l2sp.*Did you mean l2sp"):
        parse_config(raw)
    raw["search"]["strategies"] = ["l2sp"]
    with pytest.raises(ValueError, match=r"Unknown strategy \['bss'\] in \[search\] args"):
        parse_config(raw)
    # similarity_freezing takes its data from the scenario (Strategy.scenario_inputs): its space is known without args
    assert search_space("similarity_freezing") == {"threshold": "float in [0.5, 0.99]"}
    with pytest.raises(ValueError, match=r"cannot build its search space with arguments \{\}.*\[search\.args\.select_pretraining_state\]"):
        search_space("select_pretraining_state")


def test_plots_of_a_multi_objective_study(tmp_path) -> None:
    saved = save_plots(_study([(0.03, 0.02), (0.05, 0.04), (0.035, 0.015), (0.01, 0.005)]), tmp_path)
    assert (tmp_path / "pareto_front.png").stat().st_size > 1000
    assert set(saved) >= {"pareto_front", "history_gain", "history_nt", "importances_gain", "importances_nt"}


def test_no_complete_trial_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"has no complete trial yet"):
        best_configurations(optuna.create_study(study_name="empty"))
