"""``mitigate data``: list, verify and download the registered datasets."""

from __future__ import annotations

import argparse
import sys

from mitigate.data import (
    REGISTRY,
    ChecksumError,
    DownloadError,
    download_dataset,
    get_spec,
    missing_files,
    resolve_data_dir,
    verify_dataset,
)


def _list(args: argparse.Namespace) -> int:
    root = resolve_data_dir(args.data_dir)
    print(f"data folder: {root}")
    header = f"{'name':<16} {'task':<6} {'source':<7} {'tags':>4} {'train/dev/test sentences':>24}  local"
    print(header)
    print("-" * len(header))
    for spec in REGISTRY.values():
        missing = missing_files(spec.name, data_dir=root)
        local = "yes" if not missing else f"no ({len(missing)} missing)"
        sizes = "/".join(str(size) for size in spec.sizes)
        print(f"{spec.name:<16} {spec.task:<6} {spec.domain:<7} {spec.n_tags:>4} {sizes:>24}  {local}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    names = [get_spec(args.name).name] if args.name else list(REGISTRY)
    root = resolve_data_dir(args.data_dir)
    failures = 0
    for name in names:
        checks = verify_dataset(name, data_dir=root)
        bad = [check for check in checks if check.status != "ok"]
        failures += len(bad)
        print(f"{name}: {len(checks) - len(bad)}/{len(checks)} files ok")
        for check in bad:
            detail = f"expected {check.expected}, got {check.actual}" if check.actual else "file not found"
            print(f"  {check.status}: {check.path} ({detail})")
    return 1 if failures else 0


def _download(args: argparse.Namespace) -> int:
    spec = get_spec(args.name)
    try:
        root = download_dataset(spec.name, data_dir=args.data_dir, mirror=args.mirror, progress=not args.quiet)
    except (DownloadError, ChecksumError) as error:
        print(f"mitigate data download: error: {error}", file=sys.stderr)
        return 1
    print(f"{spec.name}: downloaded and verified under {root}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``mitigate data {list,verify,download}``."""
    parser = subparsers.add_parser("data", help="list, verify (sha256) and download the registered datasets")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
    commands = parser.add_subparsers(dest="data_command", metavar="ACTION")
    data_dir_help = "data folder laid out like ../shared/data (default: $MITIGATE_DATA, then the user cache)"

    listing = commands.add_parser("list", help="name, task, source, tag count and whether present locally")
    listing.add_argument("--data-dir", default=None, help=data_dir_help)
    listing.set_defaults(func=_list)

    verify = commands.add_parser("verify", help="check files against the recorded sha256 (exit 1 on any problem)")
    verify.add_argument("name", nargs="?", default=None, help="one dataset (default: all)")
    verify.add_argument("--data-dir", default=None, help=data_dir_help)
    verify.set_defaults(func=_verify)

    download = commands.add_parser("download", help="fetch a dataset from its public origin into the data folder")
    download.add_argument("name", help="dataset name (see `mitigate data list`)")
    download.add_argument("--data-dir", default=None, help=data_dir_help)
    download.add_argument("--mirror", default=None, help="base URL of a server laid out like ../shared/data")
    download.add_argument("--quiet", action="store_true", help="no progress bar")
    download.set_defaults(func=_download)
