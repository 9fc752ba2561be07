"""A string ↔ index vocabulary with explicit special entries (padding, unknown), extendable for transfer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["Vocabulary", "PAD", "UNK"]

PAD = "<pad>"
UNK = "<unk>"


class Vocabulary:
    """Map strings to indices; ``specials`` come first (default: ``PAD`` = 0, ``UNK`` = 1).

    Items missing from the vocabulary map to ``UNK`` when it is a special, and raise otherwise (tag sets use
    ``specials=()``). ``extend`` returns a new vocabulary that keeps every existing index and appends unseen
    items, which is how a transferred model gets new embedding rows for target words while keeping source rows.

    >>> vocab = Vocabulary(["the", "cat"])
    >>> vocab.encode(["the", "dog"])
    [2, 1]
    >>> bigger = vocab.extend(["dog", "the"])
    >>> bigger.encode(["the", "dog"]), len(bigger)
    ([2, 4], 5)
    """

    def __init__(self, items: Iterable[str] = (), *, specials: Sequence[str] = (PAD, UNK)) -> None:
        self.specials = tuple(specials)
        self._items: list[str] = []
        self._index: dict[str, int] = {}
        for item in (*self.specials, *items):
            self._add(item)
        self._unk = self._index.get(UNK)

    @classmethod
    def from_list(cls, items: Sequence[str], *, specials: Sequence[str] = (PAD, UNK)) -> Vocabulary:
        """Rebuild from ``to_list()`` output (specials included), keeping every index.

        >>> Vocabulary.from_list(Vocabulary(["a"]).to_list()).encode(["a"])
        [2]
        """
        n = len(specials)
        if list(items[:n]) != list(specials):
            raise ValueError(f"Expected argument `items` to start with {list(specials)}, but got {list(items[:n])}.")
        return cls(items[n:], specials=specials)

    def _add(self, item: str) -> None:
        if not isinstance(item, str):
            raise TypeError(f"Expected vocabulary items to be str, but got {type(item).__name__}: {item!r}.")
        if item not in self._index:
            self._index[item] = len(self._items)
            self._items.append(item)

    def extend(self, items: Iterable[str]) -> Vocabulary:
        """A copy with ``items`` appended (existing indices unchanged)."""
        return Vocabulary([*self._items[len(self.specials) :], *items], specials=self.specials)

    def encode(self, items: Iterable[str]) -> list[int]:
        """Indices of ``items``; unknown items map to ``UNK``, or raise ``ValueError`` when it is not a special."""
        if self._unk is not None:
            unk = self._unk
            return [self._index.get(item, unk) for item in items]
        out = []
        for item in items:
            if item not in self._index:
                raise ValueError(f"Expected an item of the vocabulary, but got {item!r} (known: {self._items}).")
            out.append(self._index[item])
        return out

    def decode(self, indices: Iterable[int]) -> list[str]:
        """Items at ``indices``."""
        return [self._items[i] for i in indices]

    def to_list(self) -> list[str]:
        """All items in index order, specials included (JSON-serialisable)."""
        return list(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._index

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self._items == other._items and self.specials == other.specials

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)}, specials={list(self.specials)})"
