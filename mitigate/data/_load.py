"""Load a registered dataset from the data folder."""

from __future__ import annotations

from pathlib import Path

from mitigate.data._paths import DATA_ENV_VAR, resolve_data_dir
from mitigate.data._registry import get_spec
from mitigate.data._types import DatasetSplits


def missing_files(name: str, *, data_dir: str | Path | None = None) -> list[Path]:
    """The files of dataset ``name`` absent from the data folder (empty when it is all there).

    >>> missing_files("tpos", data_dir="/nonexistent")
    [PosixPath('/nonexistent/ritter-twitter/pos.txt')]
    """
    root = resolve_data_dir(data_dir)
    return [root / relative for relative in get_spec(name).files if not (root / relative).is_file()]


def load_dataset(name: str, *, data_dir: str | Path | None = None) -> DatasetSplits:
    """Load a registered dataset with its fixed train / dev / test splits.

    The data folder is ``data_dir``, else ``$MITIGATE_DATA``, else the user cache (see :func:`resolve_data_dir`);
    it is laid out like ``../shared/data``.

    >>> load_dataset("tpos", data_dir="/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: Dataset 'tpos' is missing 1 file(s) under /nonexistent, e.g. /nonexistent/ritter-twitter/...
    """
    spec = get_spec(name)
    root = resolve_data_dir(data_dir)
    missing = missing_files(name, data_dir=root)
    if missing:
        how = (
            f"run `mitigate data download {name}`"
            if spec.downloads
            else f"download is not offered ({spec.no_download_reason})"
        )
        raise FileNotFoundError(
            f"Dataset {name!r} is missing {len(missing)} file(s) under {root}, e.g. {missing[0]}. "
            f"Copy the files there (same layout as ../shared/data), point `data_dir` or the {DATA_ENV_VAR} "
            f"environment variable at a folder that has them, or {how}."
        )
    train, dev, test = spec.loader(root)
    return DatasetSplits(name=spec.name, task=spec.task, train=train, dev=dev, test=test)
