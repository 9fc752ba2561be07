"""Where the named datasets live: explicit folder, then ``MITIGATE_DATA``, then the user cache."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming a folder laid out like ``../shared/data``.
DATA_ENV_VAR = "MITIGATE_DATA"


def default_cache_dir() -> Path:
    """The user cache folder for downloaded datasets: ``$XDG_CACHE_HOME/mitigate/data`` or ``~/.cache/mitigate/data``.

    >>> default_cache_dir().parts[-2:]
    ('mitigate', 'data')
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "mitigate" / "data"


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The data folder to use: ``data_dir`` if given, else ``$MITIGATE_DATA`` if set, else :func:`default_cache_dir`.

    The folder need not exist yet (downloads create it).

    >>> str(resolve_data_dir("/srv/corpora"))
    '/srv/corpora'
    """
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)):
            raise TypeError(f"Expected argument `data_dir` to be a path or None, but got {type(data_dir).__name__}.")
        return Path(data_dir).expanduser()
    from_env = os.environ.get(DATA_ENV_VAR)
    if from_env:
        return Path(from_env).expanduser()
    return default_cache_dir()
