"""Optuna storages: an embedded journal file by default, any RDB URL (SQLite, PostgreSQL) for many workers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

__all__ = ["open_storage", "describe_storage", "retry_callback"]


def retry_callback(*, max_retry: int = 3) -> Any:
    """The callback that re-queues a killed worker's trial: ``RetryHeartbeatStaleTrialCallback`` (Optuna >= 4.9),
    else ``RetryFailedTrialCallback``. The retried trial's ``system_attrs["failed_trial"]`` names the original.

    >>> type(retry_callback(max_retry=1)).__name__ in ("RetryHeartbeatStaleTrialCallback", "RetryFailedTrialCallback")
    True
    """
    import warnings

    import optuna.storages as storages

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the class is marked experimental
        if hasattr(storages, "RetryHeartbeatStaleTrialCallback"):
            return storages.RetryHeartbeatStaleTrialCallback(max_retry=max_retry)
        return storages.RetryFailedTrialCallback(max_retry=max_retry)


def describe_storage(storage: str | None) -> str:
    """The storage URL with any password masked (safe to print or write to files).

    >>> describe_storage("postgresql+psycopg2://me:secret@db:5432/optuna")
    'postgresql+psycopg2://me:***@db:5432/optuna'
    """
    if storage is None:
        return "journal file in the run folder"
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", storage)


def open_storage(
    storage: str | None,
    *,
    run_dir: str | Path | None = None,
    heartbeat_interval: int = 10,
    grace_period: int | None = None,
    max_retry: int = 3,
) -> Any:
    """Open (and check) an Optuna storage.

    - ``None``: ``JournalStorage(JournalFileBackend(run_dir / "study.log"))``, needing no server;
    - ``"journal:PATH"`` or a path ending in ``.log``: a journal file at that path;
    - an SQLAlchemy URL (``sqlite:///...``, ``postgresql+psycopg2://...``): ``RDBStorage`` with heartbeats every
      ``heartbeat_interval`` seconds, so the trial of a killed worker is marked failed after ``grace_period`` seconds and
      retried (``retry_callback``, at most ``max_retry`` times).

    An unreachable database raises ``ValueError`` before anything is created.

    >>> import tempfile
    >>> type(open_storage(None, run_dir=tempfile.mkdtemp())).__name__
    'JournalStorage'
    """
    import optuna.storages as storages
    from optuna.storages import JournalStorage, RDBStorage
    from optuna.storages.journal import JournalFileBackend

    if not isinstance(heartbeat_interval, int) or heartbeat_interval < 1:
        raise ValueError(f"Expected argument `heartbeat_interval` to be an int >= 1 (seconds), but got {heartbeat_interval!r}.")
    if storage is None:
        if run_dir is None:
            raise ValueError("Expected argument `run_dir` when `storage` is None (the journal file lives there), but got None.")
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(Path(run_dir) / "study.log")))
    if not isinstance(storage, str) or not storage:
        raise TypeError(f"Expected argument `storage` to be a URL string or None, but got {storage!r}.")
    if storage.startswith("journal:") or (storage.endswith(".log") and "://" not in storage):
        path = Path(storage.removeprefix("journal:"))
        if not path.parent.is_dir():
            raise ValueError(f"Expected the journal file's folder {str(path.parent)!r} to exist, but it does not.")
        return JournalStorage(JournalFileBackend(str(path)))
    if "://" not in storage:
        raise ValueError(f"Expected argument `storage` to be an SQLAlchemy URL (sqlite:///FILE, "
                         f"postgresql+psycopg2://USER@HOST:PORT/DB), 'journal:PATH' or None, but got {storage!r}.")
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if storage.startswith("postgresql"):
        engine_kwargs["connect_args"] = {"connect_timeout": 10}
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise ImportError("PostgreSQL storage needs a driver: pip install 'mitigate[postgres]'") from None
    _check_reachable(storage, engine_kwargs)
    import warnings

    from optuna.exceptions import ExperimentalWarning

    callback_name = ("heartbeat_stale_trial_callback" if hasattr(storages, "RetryHeartbeatStaleTrialCallback")
                     else "failed_trial_callback")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)  # heartbeats are marked experimental; we opt in
            return RDBStorage(
                storage,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period if grace_period is not None else 3 * heartbeat_interval,
                **{callback_name: retry_callback(max_retry=max_retry)},
            )
    except Exception as error:  # SQLAlchemy / driver errors carry the reason in their first line
        raise ValueError(f"Cannot open storage {describe_storage(storage)}: {str(error).splitlines()[0]}") from None


def _check_reachable(url: str, engine_kwargs: dict[str, Any]) -> None:
    """Connect once without creating anything, so a wrong URL fails with a clear error and leaves no tables."""
    import sqlalchemy

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) not in ("", ":memory:") and not path.parent.is_dir():
            raise ValueError(f"Cannot open storage {url}: folder {str(path.parent)!r} does not exist.")
        return
    try:
        engine = sqlalchemy.create_engine(url, **engine_kwargs)
    except Exception as error:
        raise ValueError(f"Cannot open storage {describe_storage(url)}: {str(error).splitlines()[0]}") from None
    try:
        with engine.connect():
            pass
    except Exception as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise ValueError(f"Cannot reach storage {describe_storage(url)}: {reason}") from None
    finally:
        engine.dispose()
