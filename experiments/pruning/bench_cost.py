"""Cost of scoring one 200-unit BiLSTM layer (the tagger's ``fe``, preset "cpu": 100 + 100) over the whole target
training set, per attribution method, against one fine-tuning epoch of the tagger on the same data.

The weights do not change the cost, so the source tagger is freshly initialised (no pretraining needed). Each timing
is the best of ``--repeats`` runs (the machine is shared). Writes ``out/cost.json`` and ``out/cost.md``.

    python experiments/pruning/bench_cost.py --data-dir ../shared/data            # WSJ -> TPoS, seed 0
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--source", default="wsj-pos")
    parser.add_argument("--target", default="tpos")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--n-steps", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args(argv)

    import torch

    from common import tagger_batches
    from mitigate.attribution import fit_probe, unit_importance
    from mitigate.data import load_dataset
    from mitigate.models import BiLSTMTagger, TaggerConfig, TaggerVocab, TrainConfig, train_tagger, transfer_model

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    source_data = load_dataset(args.source, data_dir=args.data_dir)
    target_data = load_dataset(args.target, data_dir=args.data_dir)
    source = BiLSTMTagger(vocab=TaggerVocab.build(source_data.train), config=TaggerConfig.preset("cpu"))
    model = transfer_model(source, target_sentences=target_data.train, seed=args.seed)
    n_units = 2 * model.config.fe_hidden
    batches = tagger_batches(target_data.train, batch_size=args.batch_size)(model)
    n_tokens = sum(len(s.tokens) for s in target_data.train)

    def best_of(fn: object) -> float:
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            fn()  # type: ignore[operator]
            times.append(time.perf_counter() - start)
        return min(times)

    def one_epoch() -> None:
        fresh = transfer_model(source, target_sentences=target_data.train, seed=args.seed)
        train_tagger(fresh, train=target_data.train, dev=[], config=TrainConfig(max_epochs=1, batch_size=args.batch_size))

    epoch_seconds = best_of(one_epoch)
    probe_holder: dict[str, object] = {}

    def probe() -> None:
        probe_holder["probe"] = fit_probe(model, head="classifier", batches=batches, steps=100, seed=args.seed)

    probe_seconds = best_of(probe)
    rows = []
    settings = [("activation", None), ("gradient_x_activation", None)] + [("conductance", n) for n in args.n_steps]
    for method, n_steps in settings:
        def score() -> None:
            unit_importance(model, layer="fe", batches=batches, method=method, head="classifier",
                            probe=probe_holder["probe"], scale_at="wre", n_steps=n_steps or 1)  # type: ignore[arg-type]

        seconds = best_of(score)
        rows.append({"method": method, "n_steps": n_steps, "seconds": seconds,
                     "ratio_to_epoch": seconds / epoch_seconds,
                     "ratio_with_probe": (seconds + probe_seconds) / epoch_seconds})
        print(f"{method:24s} n_steps={n_steps}: {seconds:.2f}s = {seconds / epoch_seconds:.2f} epochs", flush=True)

    # Not part of the criterion, but part of a pruning's bill: the source side, through the source head.
    source_batches = tagger_batches(source_data.train, batch_size=args.batch_size)(source)
    source_rows = []
    for method in ("activation", "gradient_x_activation"):
        seconds = best_of(lambda: unit_importance(source, layer="fe", batches=source_batches, method=method))
        source_rows.append({"method": method, "seconds": seconds, "ratio_to_epoch": seconds / epoch_seconds})
        print(f"source side {method:24s}: {seconds:.2f}s = {seconds / epoch_seconds:.2f} target epochs", flush=True)

    result = {
        "source": args.source, "target": args.target, "units": n_units, "target_train_sentences": len(target_data.train),
        "target_train_tokens": n_tokens, "batch_size": args.batch_size, "seed": args.seed, "repeats": args.repeats,
        "epoch_seconds": epoch_seconds, "probe_seconds": probe_seconds, "methods": rows,
        "source_train_sentences": len(source_data.train), "source_side": source_rows,
        "torch": torch.__version__, "threads": torch.get_num_threads(), "machine": platform.machine(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cost.json").write_text(json.dumps(result, indent=1))
    lines = [
        f"Scoring the {n_units} units of `fe` over the {args.target} training set ({len(target_data.train)} sentences, "
        f"{n_tokens} tokens, batches of {args.batch_size}) vs one fine-tuning epoch of the tagger "
        f"({epoch_seconds:.2f} s); best of {args.repeats}, 1 torch thread. Probe fit (100 Adam steps): {probe_seconds:.2f} s.",
        "",
        "| method | n_steps | seconds | ratio to one epoch | ratio incl. probe | within one epoch? |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ok = "yes" if row["ratio_with_probe"] <= 1.0 else "no"
        lines.append(f"| {row['method']} | {row['n_steps'] or '-'} | {row['seconds']:.2f} | {row['ratio_to_epoch']:.2f} | "
                     f"{row['ratio_with_probe']:.2f} | {ok} |")
    lines += ["", f"The source side (not in the criterion) scores the {args.source} training set ({len(source_data.train)} "
              "sentences) through the source head: " + ", ".join(
                  f"{r['method']} {r['seconds']:.2f} s ({r['ratio_to_epoch']:.2f} target epochs)" for r in source_rows) + "."]
    (args.out / "cost.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
