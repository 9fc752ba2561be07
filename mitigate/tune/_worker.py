"""One tuning worker process: ``python -m mitigate.tune._worker CONFIG --storage URL --run-dir DIR --n-trials N``.

Started by ``mitigate tune --workers K``, or by hand on other machines sharing an RDB storage (PostgreSQL).
The study must exist already (``mitigate tune`` creates it before starting workers).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run trials until the study holds ``--n-trials`` finished ones; returns an exit code."""
    import optuna
    import torch

    from mitigate.tune._config import load_config
    from mitigate.tune._run import _open, build_objective
    from mitigate.tune._study import make_pruner, make_sampler, run_worker

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m mitigate.tune._worker")
    parser.add_argument("config")
    parser.add_argument("--storage", required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--n-trials", type=int, required=True)
    parser.add_argument("--worker-index", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=None)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    storage = _open(config, args.storage, args.run_dir)
    objective = build_objective(config, run_dir=args.run_dir)
    sampler = make_sampler(objective=config.objective, seed=config.sampler_seed + 1000 * (args.worker_index + 1),
                           fixed=config.fixed, population_size=config.population_size)
    run_worker(study_name=config.study_name, storage=storage, objective=objective, n_trials=args.n_trials,
               sampler=sampler, pruner=make_pruner(objective=config.objective, enabled=config.prune), timeout=args.timeout)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
