"""Reader for the Penn Treebank ``.pos`` tagged files (``word/TAG``) of the WSJ sample."""

from __future__ import annotations

from pathlib import Path

from mitigate.data._clean import clean_token
from mitigate.data._errors import DataFormatError
from mitigate.data._types import Sentence, SentenceList

# Tokens that belong to the sentence a `.` just closed: closing quotes and brackets (`. ''`, `. )`).
_CLOSERS = frozenset({"''", "'", ")", "-RRB-", "-RCB-"})


def read_ptb(path: str | Path) -> SentenceList:
    """Read one Penn Treebank ``.pos`` file into sentences.

    The files put blank lines *inside* sentences, so a blank line is not a sentence break. A sentence ends
    at a sentence-final punctuation token (tag ``.``, i.e. ``. ? !``) together with the closing quotes or
    brackets that follow it, unless the next word starts in lower case (``"Why?" he asked.``); a ``=====``
    separator line and the end of the file also end a sentence. ``[ ]`` NP brackets are ignored, ``-NONE-``
    trace tokens are dropped, ``\\/`` is unescaped to ``/`` and a token with several tags (``NN|VBG``) keeps
    the first.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "wsj_0001.pos")
    >>> text = "[ Pierre/NNP ]\\n\\nsaid/VBD 1\\\\/2/CD ./. \\n''/''\\n[ It/PRP ]\\n*-1/-NONE- grew/VBD|VBN ./.\\n"
    >>> _ = open(path, "w").write(text)
    >>> [" ".join(sentence.tokens) for sentence in read_ptb(path)]
    ["Pierre said 1/2 . ''", 'It grew .']
    """
    path = Path(path)
    sentences = SentenceList(source=str(path))
    tokens: list[str] = []
    tags: list[str] = []
    closing = False  # a sentence-final `.` was seen: the sentence ends before the next non-closer

    def close() -> None:
        nonlocal tokens, tags, closing
        if tokens:
            sentences.append(Sentence(tuple(tokens), tuple(tags)))
        tokens, tags, closing = [], [], False

    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            stripped = line.strip()
            if stripped.startswith("====="):
                close()
                continue
            for item in stripped.split():
                if item in ("[", "]"):
                    continue
                word, slash, tag = item.rpartition("/")
                if not slash or not word or not tag:
                    raise DataFormatError(f"expected a `word/TAG` token, but got {item!r}", path=path, line=number)
                tag = tag.split("|", 1)[0]
                if tag == "-NONE-":
                    continue
                word = clean_token(word.replace("\\/", "/"))
                if not word:
                    continue
                if closing and tag not in _CLOSERS:
                    if word[0].islower():
                        closing = False
                    else:
                        close()
                closing = closing or tag == "."
                tokens.append(word)
                tags.append(tag)
    close()
    return sentences
