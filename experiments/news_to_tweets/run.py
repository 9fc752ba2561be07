"""News → Tweets: pretrain on news, train scratch and standard transfer on tweets with several seeds.

Every stage (source pretraining, each scratch / transfer seed) writes its result JSON as soon as it finishes, and
a rerun skips finished stages, so an interrupted run resumes. Test (and dev) predictions of every seed are saved
under ``out/<pair>/predictions/`` for later analyses; ``report.py`` turns them into tables and the figure.

    python experiments/news_to_tweets/run.py --data-dir ../shared/data            # all pairs of config.json
    python experiments/news_to_tweets/run.py --data-dir ../shared/data --pair WSJ->TPoS
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def run_pair(
    pair: dict[str, Any], config: dict[str, Any], *, data_dir: str, out: Path, seeds: list[int] | None = None
) -> None:
    import torch

    from mitigate.models import TaggingScenario, TrainConfig, load_tagger, save_tagger, tag_accuracy

    torch.set_num_threads(1)
    pair_dir = out / _slug(pair["name"])
    scenario = TaggingScenario(
        source=pair["source"],
        target=pair["target"],
        data_dir=data_dir,
        preset=config["preset"],
        train_config=TrainConfig(**{**config["target"], **pair.get("target_overrides", {})}),
        # CoNLL sources are 2.5-3.5x the WSJ sample: fewer epochs give a similar number of updates (config.json).
        source_config=TrainConfig(**{**config["source"], **pair.get("source_overrides", {})}),
    )
    gold = {split: scenario.gold(split=split) for split in ("dev", "test")}
    _write_json(pair_dir / "data.json", {
        "pair": pair, "task": scenario.task, "tokens_test": scenario.tokens(split="test"),
        "gold_test": gold["test"], "gold_dev": gold["dev"], "unseen_test_tags": scenario.unseen_tags(split="test"),
        "sizes": {s: len(getattr(scenario.target_data, s)) for s in ("train", "dev", "test")},
        "source_sizes": {s: len(getattr(scenario.source_data, s)) for s in ("train", "dev", "test")},
    })

    # The pretrained source is shared by pairs with the same source (and seed / recipe).
    source_key = f"{pair['source']}-{config['preset']}-seed{config['source_seed']}"
    source_path = out / "sources" / f"{source_key}.pt"
    source_stage = out / "sources" / f"{source_key}.stage.json"
    if source_stage.is_file() and source_path.is_file():
        source = load_tagger(source_path)
        print(f"[{pair['name']}] source: cached ({source_path.name})", flush=True)
    else:
        start, cpu_start = time.perf_counter(), time.process_time()
        source = scenario.pretrain(seed=config["source_seed"])
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        save_tagger(source, source_path, seed=config["source_seed"])
        _write_json(source_stage, {"stage": "source", "cpu_seconds": cpu, **scenario.last_result.to_dict(), "seconds": seconds})
        print(f"[{pair['name']}] source: {seconds:.0f}s, dev {scenario.last_result.best_dev:.4f}", flush=True)

    for seed in seeds if seeds is not None else config["seeds"]:
        for kind in ("scratch", "transfer"):
            stage = pair_dir / "stages" / f"{kind}_seed{seed}.json"
            if stage.is_file():
                print(f"[{pair['name']}] {kind} seed {seed}: done already", flush=True)
                continue
            start, cpu_start = time.perf_counter(), time.process_time()
            if kind == "scratch":
                model = scenario.fit_scratch(seed=seed)
            else:
                model = scenario.fit_transfer(source=source, seed=seed)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            predictions = {split: scenario.predict(model, split=split) for split in ("dev", "test")}
            _write_json(pair_dir / "predictions" / f"{kind}_seed{seed}.json", predictions)
            result = {
                "stage": kind, "seed": seed, **scenario.last_result.to_dict(), "seconds": seconds, "cpu_seconds": cpu,
                "dev_acc": tag_accuracy(predictions["dev"], gold["dev"]),
                "test_acc": tag_accuracy(predictions["test"], gold["test"]),
            }
            _write_json(stage, result)
            print(f"[{pair['name']}] {kind} seed {seed}: {seconds:.0f}s, {len(result['dev_scores'])} epochs, "
                  f"test acc {result['test_acc']:.4f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=HERE / "config.json")
    parser.add_argument("--data-dir", default=None, help="the shared data folder (default: config, then MITIGATE_DATA)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--pair", action="append", help="run only these pairs (by name); repeatable")
    parser.add_argument("--seed", type=int, action="append",
                        help="run only these target seeds (repeatable), e.g. to split one pair over processes")
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text())
    data_dir = args.data_dir or config.get("data_dir") or os.environ.get("MITIGATE_DATA")
    pairs = [p for p in config["pairs"] if not args.pair or p["name"] in args.pair]
    if not pairs:
        known = [p["name"] for p in config["pairs"]]
        parser.error(f"Expected --pair to be one of {known}, but got {args.pair}.")
    for pair in pairs:
        start = time.perf_counter()
        run_pair(pair, config, data_dir=data_dir, out=args.out, seeds=args.seed)
        print(f"[{pair['name']}] pair finished in {time.perf_counter() - start:.0f}s (this invocation)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
