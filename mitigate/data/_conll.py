"""Reader for CoNLL column files (one token per line, blank line between sentences)."""

from __future__ import annotations

from pathlib import Path

from mitigate.data._clean import clean_token
from mitigate.data._errors import DataFormatError
from mitigate.data._iob import iob1_to_iob2
from mitigate.data._types import Sentence, SentenceList


def read_conll(
    path: str | Path,
    *,
    token_col: int = 0,
    label_col: int = -1,
    sep: str | None = None,
    iob1: bool = False,
) -> SentenceList:
    """Read a CoNLL column file: any token / label column, blank (or whitespace-only) lines end a sentence.

    ``sep=None`` splits columns on any run of whitespace (spaces or tabs); ``-DOCSTART-`` lines are skipped;
    ``iob1=True`` converts IOB1 span tags to IOB2. Tokens are cleaned with :func:`clean_token` and a token
    that becomes empty is dropped with its tag.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.txt")
    >>> _ = open(path, "w").write("-DOCSTART- -X- O\\n\\nEU NNP I-ORG\\nrejects VBZ O\\n\\t\\nPeter NNP I-PER\\n")
    >>> read_conll(path, iob1=True)
    [Sentence(tokens=('EU', 'rejects'), tags=('B-ORG', 'O')), Sentence(tokens=('Peter',), tags=('B-PER',))]
    """
    for name, value in (("token_col", token_col), ("label_col", label_col)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"Expected argument `{name}` to be an int, but got {type(value).__name__}.")
    path = Path(path)
    sentences = SentenceList(source=str(path))
    tokens: list[str] = []
    tags: list[str] = []
    in_sentence = False

    def close() -> None:
        nonlocal tokens, tags, in_sentence
        if tokens:
            sentences.append(Sentence(tuple(tokens), iob1_to_iob2(tags) if iob1 else tuple(tags)))
        elif in_sentence:
            sentences.skipped_empty += 1
        tokens, tags, in_sentence = [], [], False

    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                close()
                continue
            columns = line.split(sep)
            if columns[0] == "-DOCSTART-":
                close()
                continue
            width = len(columns)
            if not (-width <= token_col < width and -width <= label_col < width) or (
                token_col % width == label_col % width
            ):
                raise DataFormatError(
                    f"expected a token in column {token_col} and a label in column {label_col}, "
                    f"but the line has {len(columns)} column(s): {line!r}",
                    path=path,
                    line=number,
                )
            token, tag = columns[token_col], columns[label_col]
            in_sentence = True
            token = clean_token(token.strip())
            if token:
                tokens.append(token)
                tags.append(tag.strip())
    close()
    return sentences
