"""``mitigate tune CONFIG``: tune mitigation strategies with Optuna (see docs/tuning.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    import optuna
    import torch

    from mitigate.tune import load_config, tune

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our progress lines replace Optuna's per-trial INFO lines
    if args.n_trials < 1:
        raise ValueError(f"Expected argument `--n-trials` to be an int >= 1, but got {args.n_trials}.")
    if args.workers < 1:
        raise ValueError(f"Expected argument `--workers` to be an int >= 1, but got {args.workers}.")
    config = load_config(args.config)
    run_dir = Path(args.run_dir) if args.run_dir else Path("tune-runs") / config.study_name

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    result = tune(config, n_trials=args.n_trials, storage=args.storage, workers=args.workers, run_dir=run_dir,
                  config_path=args.config, progress=None if args.quiet else say, plots=not args.no_plots,
                  timeout=args.timeout)
    summary: dict[str, Any] = {
        "best_json": str(run_dir / "best.json"), "study_name": result["study_name"], "n_trials": result["n_trials"],
        "recommended": {key: result["recommended"][key] for key in ("trial", "values", "strategies")},
        "baseline": None if result["baseline"] is None else result["baseline"]["values"],
        "pareto_front": [{"trial": b["trial"], "values": b["values"], "strategies": b["strategies"]}
                         for b in result["pareto_front"]]}
    print(json.dumps(summary, indent=2))
    missing = args.timeout is None and result["n_trials"]["complete"] + result["n_trials"]["pruned"] < args.n_trials
    return 1 if result["failed_workers"] or missing else 0


def register(subparsers: Any) -> None:
    """Add the ``tune`` subcommand."""
    parser = subparsers.add_parser(
        "tune", help="tune strategies with Optuna (gain vs negative transfer)",
        description="Run an Optuna study over mitigation strategies until it holds N finished trials (rerun to resume). "
                    "Writes RUN_DIR/best.json and RUN_DIR/plots/*.png.")
    parser.add_argument("config", help="TOML config: [study] [scenario] [search] [seeds] [workers]")
    parser.add_argument("--storage", default=None,
                        help="Optuna storage URL (sqlite:///FILE, postgresql+psycopg2://USER@HOST:PORT/DB, journal:PATH); "
                             "default: a journal file RUN_DIR/study.log")
    parser.add_argument("--n-trials", type=int, required=True, help="finished trials the study should hold")
    parser.add_argument("--workers", type=int, default=1, help="worker processes on this machine (default 1)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="stop starting trials after this many seconds (the running ones finish)")
    parser.add_argument("--run-dir", default=None, help="output folder (default tune-runs/STUDY_NAME)")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(func=_run)
