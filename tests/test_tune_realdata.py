import json

import pytest

from mitigate.tune import parse_config, strategies_from_record, tune


@pytest.mark.realdata
def test_tune_runs_on_a_real_news_to_tweets_pair(shared_data, tmp_path) -> None:
    pytest.importorskip("mitigate.models")
    config = parse_config({
        "study": {"name": "wsj-tpos-smoke", "objective": "gain"},
        "scenario": {"factory": "mitigate.tune:tagging_scenario", "kwargs": {
            "source": "wsj-pos", "target": "tpos", "data_dir": str(shared_data), "preset": "tiny",
            "train": {"max_epochs": 1, "patience": 1}, "source_train": {"max_epochs": 1, "patience": 1}}},
        "search": {"strategies": ["l2sp", "freeze"]},
    })
    result = tune(config, n_trials=2, run_dir=tmp_path, plots=False)
    assert result["n_trials"]["complete"] == 2
    baseline = result["baseline"]
    assert baseline["strategies"] == [] and -1.0 <= baseline["values"]["gain"] <= 1.0
    assert baseline["metrics"]["gain"] == pytest.approx(baseline["metrics"]["acc_transfer"] - baseline["metrics"]["acc_scratch"])
    assert baseline["metrics"]["n_items"] > 1000  # tokens of the TPoS dev split
    strategies_from_record(json.loads((tmp_path / "best.json").read_text())["best"])
