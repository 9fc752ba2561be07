"""The harness with the real pieces: TaggingScenario on user files, registry strategies, tuner output, shipped configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mitigate.bench import load_config, read_results, read_tuning_output, run_benchmark
from mitigate.bench._build import build_strategies

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "experiments" / "configs").glob("*.toml"))

SOURCE = [("The cat sat .", "DT NN VBD ."), ("A dog ran home .", "DT NN VBD NN ."), ("The man saw a dog .", "DT NN VBD DT NN .")]
TARGET = [("lol the cat", "! D N"), ("ur dog ran", "D N V"), ("omg a man", "! D N"), ("the dog sat", "D N V")]


def write_conll(path: Path, sentences: list[tuple[str, str]], repeat: int) -> str:
    lines = []
    for _ in range(repeat):
        for words, tags in sentences:
            lines += [f"{w} {t}" for w, t in zip(words.split(), tags.split())] + [""]
    path.write_text("\n".join(lines) + "\n")
    return path.name


def test_tagging_pair_from_user_files_with_registry_strategies(tmp_path: Path) -> None:
    files = {name: write_conll(tmp_path / name, data, 3) for name, data in
             (("src-train.txt", SOURCE), ("src-test.txt", SOURCE), ("tgt-train.txt", TARGET), ("tgt-test.txt", TARGET))}
    config = tmp_path / "grid.toml"
    config.write_text(f"""name = "user-files"
seeds = [0, 1]

[[pairs]]
label = "my-news->my-tweets"
scenario = "tagging"
source = {{ name = "my-news", train = "{files['src-train.txt']}", test = "{files['src-test.txt']}", task = "pos" }}
target = {{ name = "my-tweets", train = "{files['tgt-train.txt']}", test = "{files['tgt-test.txt']}", task = "pos" }}
params = {{ preset = "tiny", train_config = {{ max_epochs = 1 }}, source_config = {{ max_epochs = 1 }} }}

[[strategies]]
strategy = "none"

[[strategies]]
strategy = "freeze"
params = {{ patterns = ["wre.*"] }}
""")
    run = run_benchmark(config=config, out_dir=tmp_path / "out", progress=False)
    assert run.complete and run.counts == {"pretrain": 2, "scratch": 2, "transfer": 4}
    assert any((tmp_path / "out" / "cache" / "sources").iterdir())  # the scenario cached pretrained state dicts
    records = read_results(run.results)
    assert {r["strategy"] for r in records} == {"none", "freeze"}
    for record in records:
        metrics = record["metrics"]
        assert metrics["n_items"] == 36
        assert metrics["gain"] == pytest.approx(metrics["acc_transfer"] - metrics["acc_scratch"])
    assert "## my-news->my-tweets" in run.report.read_text()


def test_reads_the_tuners_best_file(tmp_path: Path) -> None:
    optuna = pytest.importorskip("optuna")
    tune = pytest.importorskip("mitigate.tune")
    study = optuna.create_study(direction="maximize")
    trial = study.ask()
    trial.set_user_attr("strategies", [{"name": "l2sp", "params": {"alpha": 0.05}}])
    study.tell(trial, 0.1)
    tune.write_best(study, tmp_path / "best.json")
    assert json.loads((tmp_path / "best.json").read_text())["schema"] == "mitigate.tune.best/1"
    assert read_tuning_output(tmp_path / "best.json") == (("l2sp", {"alpha": 0.05}),)


@pytest.mark.parametrize("path", CONFIGS, ids=[path.name for path in CONFIGS])
def test_shipped_configs_parse_and_their_strategies_build(path: Path) -> None:
    from mitigate.data import DatasetSplits, Sentence
    from mitigate.models import TaggingScenario
    from mitigate.models._scenario import ScenarioInputs

    config = load_config(path)
    assert config.cells()
    # strategies that take data from the scenario (similarity freezing, pruning) get it from a tiny tagging pair
    tiny = [Sentence(("the", "cat"), ("DT", "NN"))]
    data = DatasetSplits("tiny", "pos", tiny, tiny, tiny)
    inputs = ScenarioInputs(TaggingScenario(source=data, target=data, preset="tiny"), seed=0, source=None)
    for spec in config.strategies:
        assert len(build_strategies(spec, inputs=inputs)) == len(spec.items)


@pytest.mark.realdata
def test_news_tweets_pairs_load_the_real_corpora(shared_data: Path, tmp_path: Path) -> None:
    from mitigate.bench._workspace import Workspace

    config = load_config(next(path for path in CONFIGS if path.name == "news-tweets.toml"))
    workspace = Workspace(config, out_dir=tmp_path, data_dir=shared_data)
    sizes = {}
    for pair in config.pairs:
        scenario = workspace.scenario(pair)
        gold = scenario.gold(split=config.split)
        assert len(gold) == len(scenario.tokens(split=config.split)) > 0
        sizes[pair.label] = len(gold)
    assert sizes["wsj->tpos"] == 118  # the fixed Ritter split: 551 / 118 / 118 tweets
