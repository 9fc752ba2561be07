"""Does negative transfer grow with the number of source pretraining epochs? (the study's second finding)

Pretrains the WSJ source for a fixed number of epochs keeping every epoch's state, fine-tunes the target from
selected states with several seeds, and evaluates each against the scratch predictions saved by ``run.py``
(run that first). Every fine-tune is a stage written as it finishes; reruns skip finished stages.

    python experiments/news_to_tweets/pretraining_epochs.py --data-dir ../shared/data --target tpos --epochs 1 3 10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import _slug, _write_json  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=HERE / "config.json")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--target", default="tpos", help="a target of a WSJ pair in config.json (tpos or tweebank)")
    parser.add_argument("--epochs", type=int, nargs="+", default=[1, 3, 10], help="pretraining states to transfer")
    args = parser.parse_args(argv)

    import torch

    from mitigate.evaluation import transfer_report
    from mitigate.models import TaggingScenario, TrainConfig, load_tagger, tag_accuracy

    torch.set_num_threads(1)
    config = json.loads(args.config.read_text())
    pair = next((p for p in config["pairs"] if p["target"] == args.target and p["source"] == "wsj-pos"), None)
    if pair is None:
        parser.error(f"Expected --target to be the target of a wsj-pos pair in {args.config}, but got {args.target!r}.")
    pair_dir = args.out / _slug(pair["name"])
    scratch_paths = [pair_dir / "predictions" / f"scratch_seed{s}.json" for s in config["seeds"]]
    if not all(p.is_file() for p in scratch_paths):
        parser.error(f"Expected the scratch predictions of run.py in {pair_dir / 'predictions'}; run run.py for {pair['name']} first.")
    scenario = TaggingScenario(
        source="wsj-pos", target=args.target, data_dir=args.data_dir, preset=config["preset"],
        train_config=TrainConfig(**config["target"]), source_config=TrainConfig(**config["source"]),
    )
    n_epochs = max(args.epochs)
    states = args.out / "sources" / f"wsj-pos-{config['preset']}-seed{config['source_seed']}-every-epoch"
    if not (states / f"epoch_{n_epochs - 1:03d}.pt").is_file():
        start = time.perf_counter()
        scenario.pretrain(seed=config["source_seed"], epochs=n_epochs, checkpoint_dir=states)
        print(f"pretrained {n_epochs} epochs in {time.perf_counter() - start:.0f}s", flush=True)

    out_dir = pair_dir / "pretraining_epochs"
    gold = scenario.gold(split="test")
    scratch = [json.loads(p.read_text())["test"] for p in scratch_paths]
    rows = []
    for epochs in args.epochs:
        source = load_tagger(states / f"epoch_{epochs - 1:03d}.pt")
        transfer = []
        for seed in config["seeds"]:
            stage = out_dir / f"ep{epochs}_seed{seed}.json"
            if not stage.is_file():
                start = time.perf_counter()
                model = scenario.fit_transfer(source=source, seed=seed)
                predictions = scenario.predict(model, split="test")
                _write_json(stage, {"epochs": epochs, "seed": seed, "seconds": time.perf_counter() - start,
                                    **scenario.last_result.to_dict(), "test": predictions,
                                    "test_acc": tag_accuracy(predictions, gold)})
                print(f"{pair['name']} from epoch {epochs}, seed {seed}: done", flush=True)
            transfer.append(json.loads(stage.read_text())["test"])
        report = transfer_report(gold=gold, scratch_seeds=scratch, transfer_seeds=transfer, n_bootstrap=500, seed=0)
        noise = report.seed_noise
        rows.append({"epochs": epochs, "transfer_accuracy": report.transfer_accuracy, "pt": report.pt, "nt": report.nt,
                     "gain": report.gain, "churn_floor": report.churn_floor,
                     "excess_nt": None if noise is None else noise.excess_nt})
    _write_json(out_dir / "summary.json", {"pair": pair, "rows": rows})
    lines = [f"{pair['name']}: transfer from the WSJ state after k pretraining epochs ({len(config['seeds'])} seeds; %)", "",
             "| pretraining epochs | transfer acc | PT | NT | gain | excess NT |", "|---|---|---|---|---|---|"]
    for r in rows:
        excess = "–" if r["excess_nt"] is None else f"{100 * r['excess_nt']:+.2f}"
        lines.append(f"| {r['epochs']} | {100 * r['transfer_accuracy']:.2f} | {100 * r['pt']:.2f} | {100 * r['nt']:.2f} "
                     f"| {100 * r['gain']:+.2f} | {excess} |")
    (out_dir / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
