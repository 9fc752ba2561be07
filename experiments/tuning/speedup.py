"""Speed-up of 2 workers over 1 worker on the same study definition (same machine, same number of trials).

    python experiments/tuning/speedup.py CONFIG --n-trials 12 --out runs/tune/speedup [--workers 2]

Runs ``mitigate.tune.tune`` twice on fresh journal storages in OUT/w1 and OUT/wK (the scratch reference is
computed once in OUT/w1 and copied to OUT/wK, so neither timing includes it; tune's clock starts after it).
Writes OUT/speedup.json with both wall times and their ratio. The ratio means something only for CPU-bound trials
on an otherwise idle machine: note the machine's load (``uptime``) beside it. Sampling differs between 1 and K workers
(K samplers draw in parallel), so the trials differ; their count is the same.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from mitigate.tune import load_config, tune

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--n-trials", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    timings = {}
    for workers in (1, args.workers):
        run_dir = args.out / f"w{workers}"
        if run_dir.exists():
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True)
        reference = args.out / "w1" / "scratch_reference.json"
        if workers > 1 and reference.is_file():
            shutil.copy(reference, run_dir / "scratch_reference.json")
        result = tune(config, n_trials=args.n_trials, workers=workers, run_dir=run_dir, config_path=args.config,
                      plots=False, progress=lambda m: print(m, file=sys.stderr, flush=True))
        timings[workers] = {"seconds": result["seconds"], "n_trials": result["n_trials"]}
    load = os.getloadavg()
    out = {"config": str(args.config), "n_trials": args.n_trials, "timings": timings,
           "speedup": timings[1]["seconds"] / timings[args.workers]["seconds"], "cpu_count": os.cpu_count(),
           "loadavg_after": load}
    (args.out / "speedup.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
