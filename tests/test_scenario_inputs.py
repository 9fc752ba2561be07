"""Strategies that take data from the scenario (``Strategy.scenario_inputs`` ← ``strategy_inputs``) in bench and tune."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mitigate.bench import load_config, read_results, run_benchmark
from mitigate.bench._build import build_strategies
from mitigate.bench._fakes import FakeTaggingScenario
from mitigate.bench._workspace import Workspace
from mitigate.data import DatasetSplits, Sentence
from mitigate.models import DigitsScenario, TaggingScenario, TrainConfig
from mitigate.models._scenario import ScenarioInputs
from mitigate.strategies import PruneBiasedUnits, SimilarityFreezing

CONFIGS = Path(__file__).resolve().parents[1] / "experiments" / "configs"
SOURCE = [("The cat sat .", "DT NN VBD ."), ("A dog ran home .", "DT NN VBD NN ."), ("The man saw a dog .", "DT NN VBD DT NN .")]
TARGET = [("lol the cat", "! D N"), ("ur dog ran", "D N V"), ("omg a man", "! D N"), ("the dog sat", "D N V")]


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _sentences(data: list[tuple[str, str]], repeat: int) -> list[Sentence]:
    return [Sentence(tuple(words.split()), tuple(tags.split())) for words, tags in data] * repeat


def _write_conll(path: Path, data: list[tuple[str, str]], repeat: int) -> str:
    lines = []
    for sentence in _sentences(data, repeat):
        lines += [f"{w} {t}" for w, t in zip(sentence.tokens, sentence.tags)] + [""]
    path.write_text("\n".join(lines) + "\n")
    return path.name


def _tiny_tagging() -> TaggingScenario:
    source, target = _sentences(SOURCE, 3), _sentences(TARGET, 3)
    return TaggingScenario(
        source=DatasetSplits("src", "pos", source, source, source), target=DatasetSplits("tgt", "pos", target, target, target),
        preset="tiny", train_config=TrainConfig(max_epochs=1, batch_size=4), source_config=TrainConfig(max_epochs=1),
    )


def _grid(tmp_path: Path, strategies: str, seeds: str = "[0]") -> Path:
    files = {name: _write_conll(tmp_path / name, data, 3) for name, data in
             (("src-train.txt", SOURCE), ("src-test.txt", SOURCE), ("tgt-train.txt", TARGET), ("tgt-test.txt", TARGET))}
    config = tmp_path / "grid.toml"
    config.write_text(f"""name = "data-strategies"
seeds = {seeds}

[[pairs]]
label = "news->tweets"
scenario = "tagging"
source = {{ name = "my-news", train = "{files['src-train.txt']}", test = "{files['src-test.txt']}", task = "pos" }}
target = {{ name = "my-tweets", train = "{files['tgt-train.txt']}", test = "{files['tgt-test.txt']}", task = "pos" }}
params = {{ preset = "tiny", train_config = {{ max_epochs = 1, batch_size = 4 }}, source_config = {{ max_epochs = 1 }} }}
{strategies}""")
    return config


def test_bench_runs_data_strategies_with_inputs_from_the_tagging_scenario(tmp_path: Path) -> None:
    config = _grid(tmp_path, """
[[strategies]]
strategy = "similarity_freezing"
params = { threshold = 0.0 }

[[strategies]]
strategy = "prune_biased_units"
params = { k = 25.0, probe_steps = 5, selection = "random" }
""")
    run = run_benchmark(config=config, out_dir=tmp_path / "out", progress=False, report=False)
    assert run.complete and run.counts == {"pretrain": 1, "scratch": 1, "transfer": 2}
    records = read_results(run.results)
    assert {r["strategy"] for r in records} == {"similarity_freezing", "prune_biased_units"}
    for record in records:
        metrics = record["metrics"]
        assert metrics["gain"] == pytest.approx(metrics["pt"] - metrics["nt"])


def test_built_strategies_carry_the_scenario_inputs_and_run(tmp_path: Path) -> None:
    config = load_config(_grid(tmp_path, """
[[strategies]]
strategy = "similarity_freezing"
params = { threshold = 0.0 }
""", seeds="[3]"))
    workspace = Workspace(config, out_dir=tmp_path / "out")
    cell = config.cells()[0]
    scenario, source = workspace.scenario(cell.pair), workspace.source(cell)
    (similarity,) = build_strategies(cell.strategy, inputs=ScenarioInputs(scenario, seed=cell.seed, source=source))
    assert similarity.layers == ["wre", "fe", "classifier"] and similarity.seed == 3 and callable(similarity.batches)
    scenario.fit_transfer(source=source, seed=cell.seed, strategies=[similarity])
    # threshold 0: every layer but the top one is frozen, scored on the scenario's target data
    assert set(similarity.similarity) == {"wre", "fe", "classifier"}
    assert similarity.frozen_layers == ["wre", "fe"]


def test_explicit_params_win_over_scenario_inputs() -> None:
    scenario = _tiny_tagging()
    inputs = ScenarioInputs(scenario, seed=2, source=None)
    filled = inputs.fill(SimilarityFreezing, {"layers": ["wre", "fe"], "seed": 9}, label="similarity_freezing")
    assert filled["layers"] == ["wre", "fe"] and filled["seed"] == 9 and callable(filled["batches"])
    assert inputs.fill(SimilarityFreezing, {"batches": [], "layers": ["a", "b"]}, label="s")["seed"] == 2
    spec = load_config_text('[[strategies]]\nstrategy = "prune_biased_units"\n'
                            'params = { layers = ["wre.word_emb"], consumers = {}, head = "fe", seed = 11 }\n')
    (pruning,) = build_strategies(spec, inputs=inputs)
    assert pruning.layers == ["wre.word_emb"] and pruning.head == "fe" and pruning.consumers == {} and pruning.seed == 11
    assert callable(pruning.source_batches) and pruning.scale_at == "wre"


def load_config_text(strategies: str):  # noqa: ANN201 - a StrategySpec
    from mitigate.bench._config import parse_config

    text = ('seeds = [0]\n[[pairs]]\nfactory = "mitigate.bench._fakes:FakeTaggingScenario"\n' + strategies)
    return parse_config(text).strategies[0]


def test_a_missing_scenario_input_names_the_strategy_the_input_and_the_scenario(tmp_path: Path) -> None:
    inputs = ScenarioInputs(FakeTaggingScenario(n_sentences=5), seed=0, source=None)
    with pytest.raises(ValueError, match=r"Strategy 'similarity_freezing' needs input 'target_batches' \(argument "
                                         r"`batches`\) from its scenario, but scenario 'fake-tagging' "
                                         r"does not provide it \(it provides: seed\)"):
        inputs.fill(SimilarityFreezing, {}, label="similarity_freezing")
    from mitigate.bench._config import parse_config

    config = parse_config('seeds = [0]\n[[pairs]]\nfactory = "mitigate.bench._fakes:FakeTaggingScenario"\n'
                          'params = {n_sentences = 5}\n[[strategies]]\nstrategy = "similarity_freezing"\n')
    with pytest.raises(ValueError, match=r"Strategy 'similarity_freezing' needs input 'target_batches'.*scenario 'fake-tagging'"):
        Workspace(config, out_dir=tmp_path).run_cell(config.cells()[0])
    spec = load_config_text('[[strategies]]\nstrategy = "prune_biased_units"\nparams = { k = 5.0 }\n')
    with pytest.raises(ValueError, match=r"Strategy 'prune_biased_units' of 'prune_biased_units' takes \['consumers', "
                                         r"'head', 'layers'.*from its scenario, but no scenario was given"):
        build_strategies(spec)


def test_tune_objective_prunes_with_inputs_from_the_scenario() -> None:
    optuna = pytest.importorskip("optuna")
    from mitigate.tune import Objective, ScenarioTask, TransferObjective

    objective = TransferObjective(task=ScenarioTask(_tiny_tagging()), candidates=["prune_biased_units"],
                                  objective=Objective(kind="gain"), args={"prune_biased_units": {"probe_steps": 5}})
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"use:prune_biased_units": True, "prune_biased_units.k": 20.0, "prune_biased_units.mode": "mask"})
    study.optimize(objective, n_trials=1)
    (trial,) = study.trials
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert trial.user_attrs["strategies"] == [{"name": "prune_biased_units", "params": {"k": 20.0, "mode": "mask"}}]
    assert -1.0 <= trial.value <= 1.0


def test_tune_config_accepts_data_strategies_without_args() -> None:
    from mitigate.tune import parse_config, search_space

    config = parse_config({"scenario": {"factory": "mitigate.models:TaggingScenario"},
                           "search": {"strategies": ["similarity_freezing", "prune_biased_units"],
                                      "fixed": {"prune_biased_units.mode": "mask"}}})
    assert config.strategies == ("similarity_freezing", "prune_biased_units")
    assert search_space("prune_biased_units") == {"k": "float in [1.0, 30.0] (log)", "mode": "one of ['mask', 'reinit']"}


def test_digits_scenario_inputs_drive_similarity_freezing_and_pruning() -> None:
    scenario = DigitsScenario.embedded(per_class=2, train_config=TrainConfig(max_epochs=1, batch_size=16),
                                       source_config=TrainConfig(max_epochs=1, batch_size=64))
    source = scenario.pretrain(seed=0, epochs=1)
    inputs = ScenarioInputs(scenario, seed=0, source=source)
    similarity = SimilarityFreezing(**inputs.fill(SimilarityFreezing, {"threshold": 0.0}, label="similarity_freezing"))
    pruning = PruneBiasedUnits(**inputs.fill(PruneBiasedUnits, {"k": 25.0, "probe_steps": 5}, label="prune_biased_units"))
    model = scenario.fit_transfer(source=source, seed=0, strategies=[similarity, pruning])
    assert similarity.frozen_layers == ["fe.0", "fe.3", "fe.7"]
    assert pruning.selected["fe.7"].numel() == 16  # 25% of 64 hidden units
    assert float(model.fe[7].weight.detach()[pruning.selected["fe.7"]].abs().sum()) == 0.0


def test_shipped_data_strategies_config_parses_and_builds_with_scenario_inputs() -> None:
    config = load_config(CONFIGS / "news-tweets-data-strategies.toml")
    assert len(config.cells()) == 4 * 4 * 3
    assert {pair.target for pair in config.pairs} == {"tpos", "tweebank", "tchunk", "ritter-ner"}
    inputs = ScenarioInputs(_tiny_tagging(), seed=1, source=None)
    built = {spec.label: build_strategies(spec, inputs=inputs) for spec in config.strategies}
    assert built["fine-tune"] == []
    (similarity,) = built["similarity-auto"]
    assert similarity.freeze == "auto" and similarity.threshold == 0.9 and similarity.seed == 1
    (bias,), (control,) = built["prune-bias-10"], built["prune-random-10"]
    assert (bias.selection, control.selection) == ("bias", "random")
    assert bias.layers == control.layers == ["fe"] and bias.k == control.k == 10.0
