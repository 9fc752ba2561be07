"""Evidence for biased-unit pruning on the four News → Tweets pairs: PT / NT / gain against scratch for standard
fine-tuning, pruning the most source-biased units of ``fe``, pruning as many random units (the control), and
pruning with the harm term (items the standard transfer of the same seed falsified on the target training set).

Every stage writes its JSON (dev curve, test predictions, pruned units) as soon as it finishes; a rerun skips
finished stages, so an interrupted run resumes. ``--summarise`` only rebuilds ``out/summary.json`` / ``out/results.md``.

    python experiments/pruning/run.py --data-dir ../shared/data                       # everything in config.json
    python experiments/pruning/run.py --data-dir ../shared/data --pair WSJ->TPoS --seeds 0
    python experiments/pruning/run.py --summarise
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
sys.path.insert(0, str(HERE))


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def _falsified_mask(scratch: list[list[str]], transfer: list[list[str]], gold: list[list[str]], batches: list) -> Any:
    """Flat bool mask over the labelled training tokens in the order ``batches`` yields them."""
    import torch

    flat = []
    for index in batches:
        for i in index:
            flat += [s == g and t != g for s, t, g in zip(scratch[i], transfer[i], gold[i])]
    return torch.tensor(flat, dtype=torch.bool)


def run_pair(pair: dict[str, Any], config: dict[str, Any], *, data_dir: str | None, out: Path, seeds: list[int]) -> None:
    import torch

    from common import tagger_batches
    from mitigate.models import TaggingScenario, TrainConfig, length_batches, load_tagger, predict_tags, save_tagger
    from mitigate.strategies.pruning import PruneBiasedUnits

    torch.set_num_threads(1)
    pair_dir = out / _slug(pair["name"])
    scenario = TaggingScenario(source=pair["source"], target=pair["target"], data_dir=data_dir, preset=config["preset"],
                               train_config=TrainConfig(**{**config["target"], **pair.get("target_overrides", {})}), source_config=TrainConfig(**config["source"]))
    train = scenario.target_data.train
    _write_json(pair_dir / "data.json", {"pair": pair, "gold_test": scenario.gold(split="test"),
                                         "tokens_test": scenario.tokens(split="test")})
    source_path = out / "sources" / f"{pair['source']}-{config['preset']}-seed{config['source_seed']}.pt"
    if source_path.is_file():
        source = load_tagger(source_path)
    else:
        source = scenario.pretrain(seed=config["source_seed"])
        save_tagger(source, source_path, seed=config["source_seed"])
    prune = config["pruning"]
    source_batches = tagger_batches(scenario.source_data.train, batch_size=prune["batch_size"])
    target_batches = tagger_batches(train, batch_size=prune["batch_size"])
    batch_order = length_batches([len(s.tokens) for s in train], batch_size=prune["batch_size"])

    for seed in seeds:
        for arm in config["arms"]:
            stage = pair_dir / "stages" / f"{arm}_seed{seed}.json"
            if stage.is_file():
                print(f"[{pair['name']}] {arm} seed {seed}: done already", flush=True)
                continue
            start = time.perf_counter()
            strategy = None
            if arm == "scratch":
                model = scenario.fit_scratch(seed=seed)
            elif arm == "transfer":
                model = scenario.fit_transfer(source=source, seed=seed)
            else:
                extra: dict[str, Any] = {}
                if arm == "prune_bias_harm":
                    pilot = {k: json.loads((pair_dir / "stages" / f"{k}_seed{seed}.json").read_text())["train_predictions"]
                             for k in ("scratch", "transfer")}
                    extra = {"falsified": _falsified_mask(pilot["scratch"], pilot["transfer"], [list(s.tags) for s in train],
                                                          batch_order), "harm_weight": prune["harm_weight"]}
                strategy = PruneBiasedUnits(
                    layers=prune["layers"], consumers={"fe": "classifier"}, head="classifier", scale_at="wre",
                    source_model=source, source_batches=source_batches, target_batches=target_batches,
                    k=prune["k"], method=prune["method"], mode=prune["mode"], probe_steps=prune["probe_steps"],
                    selection="random" if arm == "prune_random" else "bias", seed=seed,
                    source_labels=lambda m: m.vocab.tags.to_list(), target_labels=lambda m: m.vocab.tags.to_list(),
                    report_path=pair_dir / "reports" / f"{arm}_seed{seed}", **extra,
                )
                model = scenario.fit_transfer(source=source, seed=seed, strategies=[strategy])
            result = scenario.last_result.to_dict() if scenario.last_result is not None else {}
            record = {
                "arm": arm, "seed": seed, "seconds": time.perf_counter() - start, **result,
                "test_predictions": scenario.predict(model, split="test"),
                "pruned": None if strategy is None else strategy.state_dict()["selected"],
                "scoring_seconds": None if strategy is None else strategy.scoring_seconds,
            }
            if arm in ("scratch", "transfer"):  # the pilot of the harm term
                record["train_predictions"] = predict_tags(model, [list(s.tokens) for s in train])
            _write_json(stage, record)
            print(f"[{pair['name']}] {arm} seed {seed}: {record['seconds']:.0f}s", flush=True)


def summarise(config: dict[str, Any], out: Path) -> None:
    from mitigate.evaluation import transfer_report

    summary: dict[str, Any] = {}
    lines = ["| pair | arm | seeds | acc | PT | NT | gain | NT vs standard transfer | gain vs standard transfer [95% CI] "
             "(McNemar p) | gain vs random control [95% CI] (McNemar p) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for pair in config["pairs"]:
        pair_dir = out / _slug(pair["name"])
        if not (pair_dir / "data.json").is_file():
            continue
        gold = json.loads((pair_dir / "data.json").read_text())["gold_test"]
        preds: dict[str, dict[int, Any]] = {}
        for path in sorted((pair_dir / "stages").glob("*.json")):
            record = json.loads(path.read_text())
            preds.setdefault(record["arm"], {})[record["seed"]] = record["test_predictions"]
        scratch = preds.get("scratch", {})
        for arm in config["arms"][1:]:
            seeds = sorted(set(preds.get(arm, {})) & set(scratch))
            if not seeds:
                continue
            report = transfer_report(gold=gold, scratch_seeds=[scratch[s] for s in seeds],
                                     transfer_seeds=[preds[arm][s] for s in seeds], n_bootstrap=200)
            def versus(reference: str) -> Any:
                """The arm read against another arm of the same seeds (paired by seed, 1000 sentence resamples)."""
                other = preds.get(reference, {})
                if arm == reference or not set(seeds) <= set(other):
                    return None
                return transfer_report(gold=gold, scratch_seeds=[other[s] for s in seeds],
                                       transfer_seeds=[preds[arm][s] for s in seeds], n_bootstrap=1000, seed=0)

            vs_transfer, vs_random = versus("transfer"), versus("prune_random")
            row = {"seeds": seeds, "accuracy": report.transfer_accuracy, "scratch_accuracy": report.scratch_accuracy,
                   "pt": report.pt, "nt": report.nt, "gain": report.gain, "pt_std": report.pt_std,
                   "nt_std": report.nt_std, "gain_std": report.gain_std,
                   "nt_vs_transfer": None if vs_transfer is None else vs_transfer.nt,
                   "gain_vs_transfer": None if vs_transfer is None else vs_transfer.gain}
            for name, rep in (("vs_transfer", vs_transfer), ("vs_random", vs_random)):
                if rep is not None:
                    row[f"gain_{name}"] = rep.gain
                    row[f"gain_{name}_ci"] = [rep.gain_ci.low, rep.gain_ci.high]
                    row[f"mcnemar_p_{name}"] = rep.mcnemar_p
            summary.setdefault(pair["name"], {})[arm] = row

            def pct(x: float | None, sd: float | None = None) -> str:
                return "-" if x is None else f"{100 * x:.2f}" + ("" if sd is None else f" ± {100 * sd:.2f}")

            def paired(name: str) -> str:
                if f"gain_{name}_ci" not in row:
                    return "-"
                low, high = row[f"gain_{name}_ci"]
                return (f"{pct(row[f'gain_{name}'])} [{pct(low)}, {pct(high)}] "
                        f"({row[f'mcnemar_p_{name}']:.2g})")

            lines.append(f"| {pair['name']} | {arm} | {len(seeds)} | {pct(row['accuracy'])} | {pct(row['pt'], row['pt_std'])} | "
                         f"{pct(row['nt'], row['nt_std'])} | {pct(row['gain'], row['gain_std'])} | {pct(row['nt_vs_transfer'])} | "
                         f"{paired('vs_transfer')} | {paired('vs_random')} |")
    _write_json(out / "summary.json", summary)
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--config", type=Path, default=HERE / "config.json")
    parser.add_argument("--pair", action="append", help="pair name(s) of the config (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--summarise", action="store_true", help="only rebuild the summary from finished stages")
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text())
    if not args.summarise:
        known = [p["name"] for p in config["pairs"]]
        for name in args.pair or []:
            if name not in known:
                parser.error(f"unknown pair {name!r}; expected one of {known}")
        for pair in config["pairs"]:
            if args.pair and pair["name"] not in args.pair:
                continue
            run_pair(pair, config, data_dir=args.data_dir, out=args.out, seeds=args.seeds or config["seeds"])
    summarise(config, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
