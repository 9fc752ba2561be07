"""``mitigate demo``: the README's main job (scratch vs transfer, PT / NT table, report folder)."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="scratch vs transfer on an embedded scenario (no download): PT / NT table and a report folder",
        description="Train scratch and transferred models with several seeds, print the PT / NT table and write "
        "report.md, report.json and pt_nt.png. Without --data-dir: scikit-learn's bundled digits, upright -> "
        "rotated (no download, about a minute on 2 cores).",
    )
    parser.add_argument("--out", default="mitigate-report", help="report folder (default: ./mitigate-report)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds of the scratch / transfer runs")
    parser.add_argument("--quick", action="store_true", help="short trainings (smoke test, a few seconds)")
    parser.add_argument("--data-dir", default=None, help="real corpora folder: run a registry pair instead")
    parser.add_argument("--pair", default=None, help="registry pair source:target with --data-dir (default wsj-pos:tpos)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from mitigate.demo import run_demo

    run_demo(
        out=args.out, seeds=args.seeds, quick=args.quick, data_dir=args.data_dir, pair=args.pair,
        progress=not args.no_progress,
    )
    return 0
