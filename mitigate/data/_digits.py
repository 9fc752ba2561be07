"""Digit images for the images scenario: USPS 16x16 (source) and scikit-learn's bundled 8x8 digits (target)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from mitigate.data._paths import DATA_ENV_VAR, resolve_data_dir

USPS_FILE = "images/usps/usps_16x16.npz"


@dataclass(frozen=True)
class DigitImages:
    """Square grey-level digits: ``images`` (n, side, side) float32 in [0, 1], ink bright; ``labels`` (n,) int64."""

    name: str
    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def side(self) -> int:
        """Side of the square grid in pixels (8 or 16)."""
        return int(self.images.shape[1])


def load_usps(*, split: Literal["train", "test", "all"] = "all", data_dir: str | Path | None = None) -> DigitImages:
    """USPS handwritten digits, 16x16, from ``images/usps/usps_16x16.npz`` under the data folder.

    ``split="all"`` concatenates the 7,291 train and 2,007 test images (train first).

    >>> load_usps(data_dir="/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: USPS digits not found at /nonexistent/images/usps/usps_16x16.npz; ...
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"Expected argument `split` to be one of ['train', 'test', 'all'], but got {split!r}.")
    path = resolve_data_dir(data_dir) / USPS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"USPS digits not found at {path}; copy {USPS_FILE} from ../shared/data (same layout) there, "
            f"or point `data_dir` or {DATA_ENV_VAR} at a folder that has it."
        )
    with np.load(path) as archive:
        parts = ("train", "test") if split == "all" else (split,)
        pixels = np.concatenate([archive[f"X_{part}"] for part in parts]).astype(np.float32)
        labels = np.concatenate([archive[f"y_{part}"] for part in parts]).astype(np.int64)
    return DigitImages(name=f"usps-{split}", images=np.clip(pixels, 0.0, 1.0).reshape(-1, 16, 16), labels=labels)


def load_sklearn_digits() -> DigitImages:
    """scikit-learn's bundled UCI optical digits (1,797 images, 8x8), scaled from 0..16 to [0, 1]; no download.

    >>> digits = load_sklearn_digits()
    >>> digits.images.shape, digits.images.dtype, float(digits.images.max())
    ((1797, 8, 8), dtype('float32'), 1.0)
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (np.asarray(bunch.images, dtype=np.float32) / 16.0).clip(0.0, 1.0)
    return DigitImages(name="sklearn-digits", images=images, labels=np.asarray(bunch.target, dtype=np.int64))


def to_grid(digits: DigitImages, *, side: int) -> DigitImages:
    """Put digits on a ``side`` x ``side`` grid: mean-pool blocks to shrink, repeat pixels to grow.

    Shrinking USPS 16x16 to 8x8 by 2x2 mean pooling mirrors how the 8x8 UCI digits were made (counts of
    ink pixels in 4x4 blocks of a 32x32 bitmap), so both domains then hold block-averaged ink densities.

    >>> tiny = DigitImages("t", np.arange(16, dtype=np.float32).reshape(1, 4, 4) / 15, np.array([3]))
    >>> np.round(to_grid(tiny, side=2).images[0] * 15, 3).tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    >>> to_grid(tiny, side=8).images.shape
    (1, 8, 8)
    """
    if not isinstance(side, int) or isinstance(side, bool) or side <= 0:
        raise ValueError(f"Expected argument `side` to be a positive int, but got {side!r}.")
    images = digits.images
    n, current = images.shape[0], images.shape[1]
    if side == current:
        return digits
    if current % side == 0:
        factor = current // side
        resized = images.reshape(n, side, factor, side, factor).mean(axis=(2, 4))
    elif side % current == 0:
        factor = side // current
        resized = images.repeat(factor, axis=1).repeat(factor, axis=2)
    else:
        raise ValueError(
            f"Expected argument `side` to divide or be a multiple of the current side {current}, but got {side}."
        )
    return DigitImages(name=f"{digits.name}-{side}x{side}", images=resized.astype(np.float32), labels=digits.labels)


def load_digits_pair(*, side: int = 8, data_dir: str | Path | None = None) -> tuple[DigitImages, DigitImages]:
    """The images scenario's (source, target): all USPS digits and scikit-learn's digits, on one ``side`` grid.

    The default ``side=8`` shrinks USPS (see :func:`to_grid`); ``side=16`` grows the 8x8 digits instead.
    """
    return to_grid(load_usps(data_dir=data_dir), side=side), to_grid(load_sklearn_digits(), side=side)
