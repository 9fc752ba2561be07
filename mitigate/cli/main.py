"""Entry point of the ``mitigate`` console script.

Each subcommand lives in its own module of this package and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` to a callable taking the parsed namespace and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mitigate import __version__

# Subcommand modules, in the order ``mitigate --help`` lists them.
_COMMANDS: tuple[str, ...] = ("demo", "evaluate", "data", "bench", "tune")


def build_parser() -> argparse.ArgumentParser:
    """Build the full argument parser (all subcommands registered).

    >>> parser = build_parser()
    >>> parser.prog
    'mitigate'
    """
    parser = argparse.ArgumentParser(
        prog="mitigate",
        description="Measure and mitigate hidden negative transfer.",
    )
    parser.add_argument("--version", action="version", version=f"mitigate {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(f"mitigate.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as error:
        print(f"mitigate {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
