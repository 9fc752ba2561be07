"""The evaluator's options, checked once at the boundary with exact messages."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from mitigate.evaluation._slices import TokenPredicate, check_slices

__all__: list[str] = []

_PAIRINGS = ("auto", "paired", "all")


@dataclass(frozen=True)
class Options:
    """Validated evaluator options (see :func:`mitigate.evaluation.transfer_report` for their meaning)."""

    ignore_label: int | str | None = None
    pairing: str = "auto"
    consensus: float = 1.0
    n_bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0
    source_vocab: frozenset[str] | None = None
    slices: Mapping[str, TokenPredicate] | None = None
    spans: bool | str = "auto"
    top_k: int = 10


def check_options(
    *,
    ignore_label: int | str | None,
    pairing: str,
    consensus: float,
    n_bootstrap: int,
    confidence: float,
    seed: int,
    source_vocab: Collection[str] | None,
    slices: Mapping[str, TokenPredicate] | None,
    spans: bool | str,
    top_k: int,
) -> Options:
    """Check every option once, with exact messages."""
    if ignore_label is not None and (isinstance(ignore_label, bool) or not isinstance(ignore_label, (int, str))):
        raise TypeError(
            f"Expected argument `ignore_label` to be an int or str label or None, but got {ignore_label!r}."
        )
    if pairing not in _PAIRINGS:
        raise ValueError(f"Expected argument `pairing` to be one of {_PAIRINGS}, but got {pairing!r}.")
    if isinstance(consensus, bool) or not isinstance(consensus, (int, float)) or not 0.0 < consensus <= 1.0:
        raise ValueError(f"Expected argument `consensus` to be a share in (0, 1], but got {consensus!r}.")
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int) or n_bootstrap < 0:
        raise ValueError(f"Expected argument `n_bootstrap` to be an int >= 0, but got {n_bootstrap!r}.")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0.0 < confidence < 1.0:
        raise ValueError(f"Expected argument `confidence` to be in (0, 1), but got {confidence!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"Expected argument `seed` to be an int, but got {type(seed).__name__}.")
    vocab = None
    if source_vocab is not None:
        if isinstance(source_vocab, (str, bytes)) or not isinstance(source_vocab, Collection):
            raise TypeError(
                "Expected argument `source_vocab` to be a collection of str tokens, "
                f"but got {type(source_vocab).__name__}."
            )
        vocab = frozenset(source_vocab)
    if spans not in ("auto", True, False):
        raise ValueError(f"Expected argument `spans` to be 'auto', True or False, but got {spans!r}.")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
        raise ValueError(f"Expected argument `top_k` to be an int >= 0, but got {top_k!r}.")
    return Options(
        ignore_label=ignore_label,
        pairing=pairing,
        consensus=float(consensus),
        n_bootstrap=n_bootstrap,
        confidence=float(confidence),
        seed=seed,
        source_vocab=vocab,
        slices=check_slices(slices),
        spans=spans,
        top_k=top_k,
    )
