"""Token slices: built-in predicates for the failure modes the study found, plus the user's own."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping

import numpy as np

__all__ = ["builtin_slices"]

TokenPredicate = Callable[[str], bool]

_APOSTROPHE = re.compile(r"[A-Za-z]?['\u2019][A-Za-z]|^n['\u2019]t$", re.IGNORECASE)
# Contractions written without the apostrophe, common in tweets.
_BARE_CONTRACTIONS = frozenset(
    "im id ive ill youre youve youll hes shes theyre theyve weve dont wont cant isnt arent wasnt werent didnt "
    "doesnt hasnt havent hadnt couldnt shouldnt wouldnt aint thats whats lets yall".split()
)
_URL = re.compile(r"^(https?://|www\.)|\.(com|org|net|ly|co)(/|$)", re.IGNORECASE)


def _capitalised(token: str) -> bool:
    return token[:1].isupper()


def _all_caps(token: str) -> bool:
    return token.isupper() and sum(character.isalpha() for character in token) >= 2


def _contraction(token: str) -> bool:
    return bool(_APOSTROPHE.search(token)) or token.lower() in _BARE_CONTRACTIONS


def _hashtag_mention_url(token: str) -> bool:
    return (len(token) > 1 and token[0] in "#@") or bool(_URL.search(token))


def _digits(token: str) -> bool:
    return any(character.isdigit() for character in token)


def builtin_slices(*, source_vocab: Collection[str] | None = None) -> dict[str, TokenPredicate]:
    """The built-in token slices; ``oov`` (neither the token nor its lower case in ``source_vocab``) when given.

    >>> predicates = builtin_slices(source_vocab={"the"})
    >>> sorted(name for name, keep in predicates.items() if keep("#NLP"))
    ['all_caps', 'hashtag_mention_url', 'oov']
    >>> [name for name, keep in predicates.items() if keep("wont")]
    ['contraction', 'oov']
    """
    predicates: dict[str, TokenPredicate] = {
        "capitalised": _capitalised,
        "all_caps": _all_caps,
        "contraction": _contraction,
        "hashtag_mention_url": _hashtag_mention_url,
        "digits": _digits,
    }
    if source_vocab is not None:
        vocab = frozenset(source_vocab)
        predicates["oov"] = lambda token: token not in vocab and token.lower() not in vocab
    return predicates


def check_slices(slices: object) -> dict[str, TokenPredicate]:
    """Validate the user's ``slices`` mapping (name -> callable(token) -> bool)."""
    if slices is None:
        return {}
    if not isinstance(slices, Mapping):
        raise TypeError(
            f"Expected argument `slices` to be a mapping of name to callable(token) -> bool, "
            f"but got {type(slices).__name__}."
        )
    for name, predicate in slices.items():
        if not isinstance(name, str) or not callable(predicate):
            raise TypeError(
                "Expected argument `slices` to map str names to callables, "
                f"but got {name!r}: {type(predicate).__name__}."
            )
    return dict(slices)


def slice_masks(tokens: np.ndarray, predicates: Mapping[str, TokenPredicate]) -> dict[str, np.ndarray]:
    """Item masks per slice; each predicate runs once per distinct token, not once per item."""
    uniques, inverse = np.unique(tokens, return_inverse=True)
    vocabulary = uniques.tolist()
    masks = {}
    for name, predicate in predicates.items():
        on_unique = np.fromiter((bool(predicate(token)) for token in vocabulary), dtype=bool, count=len(vocabulary))
        masks[name] = on_unique[inverse.reshape(-1)]
    return masks
