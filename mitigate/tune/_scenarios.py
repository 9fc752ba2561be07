"""Scenario factories whose arguments fit in a TOML config (plain values only), for ``[scenario] factory``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["tagging_scenario"]


def tagging_scenario(
    *,
    source: str,
    target: str,
    data_dir: str | Path | None = None,
    preset: str = "cpu",
    train: Mapping[str, Any] | None = None,
    source_train: Mapping[str, Any] | None = None,
    cache_dir: str | Path | None = None,
) -> Any:
    """``mitigate.models.TaggingScenario`` from plain values: ``train`` / ``source_train`` are ``TrainConfig`` fields.

    >>> import inspect
    >>> sorted(inspect.signature(tagging_scenario).parameters)[:3]
    ['cache_dir', 'data_dir', 'preset']
    """
    from mitigate.models import TaggingScenario, TrainConfig

    train_config = TrainConfig(**dict(train or {}))
    source_config = TrainConfig(**dict(source_train)) if source_train is not None else None
    return TaggingScenario(source=source, target=target, data_dir=data_dir, preset=preset, train_config=train_config,
                           source_config=source_config,
                           cache_dir=None if cache_dir is None else Path(cache_dir).expanduser())
