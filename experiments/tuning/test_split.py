"""Compare the tuned configuration with standard fine-tuning on the *test* split (tuning only ever saw dev).

    python experiments/tuning/test_split.py RUN_DIR --config CONFIG [--seeds 0 1 2] [--pareto]

Reads RUN_DIR/best.json (written by ``mitigate tune``), rebuilds the recommended strategies (and, with --pareto,
every Pareto-optimal configuration) through their own ``suggest``, trains scratch, standard fine-tuning and each tuned
configuration with the same seeds on the config's scenario, and scores every one against the same scratch seeds with
``mitigate.evaluation.transfer_report`` (bootstrap over sentences, seed 0). Predictions are saved as they are made
(RUN_DIR/test/*.json), so an interrupted run resumes. Writes RUN_DIR/test_comparison.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _cached(path: Path, make: Any) -> Any:
    if path.is_file():
        return json.loads(path.read_text())["predictions"]
    start = time.perf_counter()
    predictions = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"predictions": predictions, "seconds": round(time.perf_counter() - start, 1)}))
    os.replace(tmp, path)
    print(f"  {path.name}: {time.perf_counter() - start:.0f} s", flush=True)
    return predictions


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def _ci(interval: dict[str, float] | None) -> str:
    return "" if not interval else f" [{100 * interval['low']:.2f}, {100 * interval['high']:.2f}]"


def main(argv: list[str] | None = None) -> int:
    import torch

    from mitigate.evaluation import transfer_report
    from mitigate.tune import load_config, strategies_from_record

    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--pareto", action="store_true", help="also evaluate every Pareto-optimal configuration")
    args = parser.parse_args(argv)

    best = json.loads((args.run_dir / "best.json").read_text())
    config = load_config(args.config)
    candidates: dict[str, list[dict[str, Any]]] = {"fine-tune": [], "tuned": best["best"]}
    if args.pareto:
        for entry in best["pareto_front"]:
            candidates[f"pareto-trial{entry['trial']}"] = entry["strategies"]
    scenario = config.make_scenario()
    gold = scenario.gold(split="test")
    tokens = scenario.tokens(split="test")
    out = args.run_dir / "test"
    scratch = [_cached(out / f"scratch-seed{s}.json",
                       lambda s=s: scenario.predict(scenario.fit_scratch(seed=s), split="test")) for s in args.seeds]
    source = None
    rows = {}
    for label, record in candidates.items():
        transfer = []
        for seed in args.seeds:
            def make(seed: int = seed, record: list[dict[str, Any]] = record) -> Any:
                nonlocal source
                if source is None:
                    source = scenario.pretrain(seed=config.source_seed)
                strategies = strategies_from_record(record, args=config.args)
                return scenario.predict(scenario.fit_transfer(source=source, seed=seed, strategies=strategies), split="test")
            transfer.append(_cached(out / f"{label}-seed{seed}.json", make))
        report = transfer_report(gold=gold, scratch_seeds=scratch, transfer_seeds=transfer, tokens=tokens,
                                 n_bootstrap=1000, seed=0).to_dict()
        rows[label] = {"strategies": record, "report": {k: report[k] for k in (
            "n", "scratch_accuracy", "transfer_accuracy", "pt", "nt", "gain", "gain_ci", "nt_ci", "mcnemar_p",
            "churn_floor", "seed_noise")}}
    result = {"study_name": best["study_name"], "config": str(args.config), "seeds": args.seeds,
              "source_seed": config.source_seed, "split": "test", "rows": rows}
    (args.run_dir / "test_comparison.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [f"Test split, {best['study_name']}, seeds {args.seeds} (scratch and transfer), source seed {config.source_seed}."
             " Percentages of tokens; [95% bootstrap CI over sentences].", "",
             "| configuration | strategies | acc scratch | acc transfer | PT | NT | gain | churn floor | excess NT |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, row in rows.items():
        r = row["report"]
        noise = r.get("seed_noise") or {}
        strategies = ", ".join(f"{s['name']}({', '.join(f'{k}={v:.3g}' if isinstance(v, float) else f'{k}={v}' for k, v in s['params'].items())})"
                               for s in row["strategies"]) or "–"
        lines.append(f"| {label} | {strategies} | {_pct(r['scratch_accuracy'])} | {_pct(r['transfer_accuracy'])} | "
                     f"{_pct(r['pt'])} | {_pct(r['nt'])}{_ci(r['nt_ci'])} | {_pct(r['gain'])}{_ci(r['gain_ci'])} | "
                     f"{_pct(r['churn_floor'])} | {_pct(noise.get('excess_nt'))}{_ci(noise.get('excess_nt_ci'))} |")
    (args.run_dir / "test_comparison.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
