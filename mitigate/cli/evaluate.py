"""``mitigate evaluate``: PT / NT / gain of transfer against scratch from prediction files (one file per seed)."""

from __future__ import annotations

import argparse
from pathlib import Path


__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``evaluate`` subcommand."""
    parser = subparsers.add_parser(
        "evaluate",
        help="compare scratch and transferred predictions: PT, NT, gain, McNemar, CIs, seed noise",
        description=(
            "Compare predictions of models trained from scratch with those of transferred models on the same items. "
            "Files hold one label per line (--format lines) or CoNLL columns (--format conll); a blank line ends a "
            "sentence. Give one file per seed; >= 2 scratch seeds add the churn floor and excess NT over seed noise."
        ),
    )
    parser.add_argument("--gold", type=Path, required=True, metavar="FILE", help="gold labels")
    for side in ("scratch", "transfer"):
        parser.add_argument(
            f"--{side}", type=Path, nargs="+", required=True, metavar="FILE", help=f"one file per {side} seed"
        )
    parser.add_argument("--format", choices=("lines", "conll"), default="lines", help="file format (default: lines)")
    parser.add_argument("--token-col", type=int, default=0, metavar="N", help="token column for conll (default 0)")
    parser.add_argument(
        "--label-col", type=int, default=-1, metavar="N", help="label column for conll (default -1: last)"
    )
    parser.add_argument(
        "--source-vocab", type=Path, default=None, metavar="FILE", help="one source token per line (OOV slice)"
    )
    parser.add_argument("--pairing", choices=("auto", "paired", "all"), default="auto")
    parser.add_argument("--consensus", type=float, default=1.0, help="share of scratch seeds for consensus (default 1)")
    parser.add_argument("--n-bootstrap", type=int, default=1000, help="bootstrap resamples (0: no CIs)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--json", action="store_true", help="print the JSON result instead of markdown")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the files, evaluate, print markdown (or JSON with ``--json``)."""
    from mitigate.evaluation import read_label_file, transfer_report  # scipy loads only when evaluating

    def read(path: Path) -> list[list[str]]:
        return read_label_file(path, format=args.format, token_col=args.token_col, label_col=args.label_col).labels

    gold = read_label_file(args.gold, format=args.format, token_col=args.token_col, label_col=args.label_col)
    source_vocab = None
    if args.source_vocab is not None:
        lines = args.source_vocab.read_text(encoding="utf-8").splitlines()
        source_vocab = {line.strip() for line in lines if line.strip()}
    try:
        report = transfer_report(
            gold=gold.labels,
            scratch_seeds=[read(path) for path in args.scratch],
            transfer_seeds=[read(path) for path in args.transfer],
            tokens=gold.tokens,
            source_vocab=source_vocab,
            pairing=args.pairing,
            consensus=args.consensus,
            n_bootstrap=args.n_bootstrap,
            seed=args.seed,
        )
    except (ValueError, TypeError) as error:
        raise type(error)(_with_file_names(str(error), args)) from error
    print(report.to_json() if args.json else report.to_markdown(), end="" if not args.json else "\n")
    return 0


def _with_file_names(message: str, args: argparse.Namespace) -> str:
    """Point at files, not at Python argument names: `scratch_seeds[1]` -> `b.txt` (--scratch file 1)."""
    message = message.replace("`gold`", f"`{args.gold}` (--gold)")
    for side in ("scratch", "transfer"):
        for index, path in enumerate(getattr(args, side)):
            message = message.replace(f"`{side}_seeds[{index}]`", f"`{path}` (--{side} file {index})")
    return message
