"""``mitigate bench``: run a benchmark grid, regenerate its report, or gather results from a shared study.

    mitigate bench CONFIG [--out DIR] [--storage URL] [--max-cells N]
    mitigate bench report RESULTS [RESULTS ...] [--out DIR]
    mitigate bench collect --storage URL --study-name NAME --out RESULTS
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

_USAGE = (
    "mitigate bench CONFIG [options]\n"
    "       mitigate bench report RESULTS [RESULTS ...] [--out DIR]\n"
    "       mitigate bench collect --storage URL --study-name NAME --out RESULTS"
)


def register(subparsers: Any) -> None:
    """Add the ``bench`` subcommand.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="mitigate")
    >>> register(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["bench", "grid.toml", "--max-cells", "2"]).max_cells
    2
    """
    parser = subparsers.add_parser(
        "bench",
        help="run a grid of strategies × pairs × seeds (resumable), or report its results",
        usage=_USAGE,
        description="Run a benchmark grid from a TOML config (see docs/benchmarking.md); rerun the same command to resume.",
    )
    parser.add_argument("target", nargs="+", metavar="CONFIG | report RESULTS... | collect",
                        help="a TOML config; or `report` and results files; or `collect`")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (run: default runs/bench/<config name>; report: default <results folder>/report;"
                             " collect: the results file to write)")
    parser.add_argument("--storage", default=None,
                        help="share the grid between workers: an Optuna storage URL (sqlite:///f.db, postgresql://…) or journal:PATH")
    parser.add_argument("--study-name", default=None, help="Optuna study name (default: bench-<name>-<config hash>)")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder of the real corpora (default: $MITIGATE_DATA)")
    parser.add_argument("--max-cells", type=int, default=None, help="stop after this many new cells")
    parser.add_argument("--reference", default="fine-tune",
                        help="report: the strategy label the others are compared with, paired by seed (default fine-tune)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads of this process (default: torch's; use 1 per worker when workers share cores)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-report", action="store_true", help="do not write the report when the grid is complete")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch to run / report / collect; a failed write (e.g. a full disk) exits with code 2 and its message."""
    try:
        return _dispatch(args)
    except OSError as error:
        if isinstance(error, FileNotFoundError):
            raise
        print(f"mitigate bench: error: {error.strerror or error}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    from mitigate.bench import collect_results, load_config, run_benchmark, write_report

    first, rest = args.target[0], args.target[1:]
    if first == "report":
        if not rest:
            raise ValueError("Expected at least one results file after `mitigate bench report`, but got none.")
        out = args.out or Path(rest[0]).parent / "report"
        print(f"report written to {write_report(results=rest, out_dir=out, reference=args.reference)}")
        return 0
    if first == "collect":
        if rest or not (args.storage and args.study_name and args.out):
            raise ValueError("Expected `mitigate bench collect --storage URL --study-name NAME --out RESULTS`.")
        written = collect_results(storage=args.storage, study_name=args.study_name, path=args.out)
        print(f"{written} new results written to {args.out}")
        return 0
    if rest:
        raise ValueError(f"Expected one config file, but got {len(args.target)}: {args.target}.")
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"Expected argument `--threads` to be an int >= 1, but got {args.threads}.")
        import torch

        torch.set_num_threads(args.threads)
    config = load_config(first)
    out = args.out or Path("runs") / "bench" / config.name
    result = run_benchmark(
        config=config, out_dir=out, storage=args.storage, study_name=args.study_name, data_dir=args.data_dir,
        max_cells=args.max_cells, progress=not args.no_progress, report=not args.no_report,
    )
    print(f"{result.ran} cells run, {result.skipped} already done, {result.total} in the grid; results in {result.results}")
    if result.report is not None:
        print(f"report written to {result.report}")
    elif not result.complete:
        print("grid not complete yet: rerun the same command to resume")
    return 0
