"""Readers on small fixture files: CoNLL, CoNLL-U, Penn Treebank .pos, IOB1 -> IOB2, quirks and errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mitigate.data import (
    DataFormatError,
    Sentence,
    clean_token,
    iob1_to_iob2,
    load_splits,
    read_conll,
    read_conllu,
    read_ptb,
    read_tagged,
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- CoNLL -------------------------------------------------------------------------------------------------


def test_conll_columns_docstart_and_tab_only_separators(tmp_path: Path) -> None:
    text = "-DOCSTART- -X- -X- O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\n\t\nPeter NNP I-NP I-PER\n \n\n"
    path = write(tmp_path, "eng.train", text)
    sentences = read_conll(path)
    assert sentences == [
        Sentence(("EU", "rejects"), ("I-ORG", "O")),
        Sentence(("Peter",), ("I-PER",)),
    ]
    assert read_conll(path, label_col=1)[0].tags == ("NNP", "VBZ")
    assert read_conll(path, token_col=1, label_col=2)[1] == Sentence(("NNP",), ("I-NP",))
    assert read_conll(path, iob1=True)[0].tags == ("B-ORG", "O")


def test_conll_tab_separated_and_no_trailing_blank_line(tmp_path: Path) -> None:
    path = write(tmp_path, "ner.txt", "@paulwalk\tO\nIt\tO\n\t\nNew\tB-geo-loc\nYork\tI-geo-loc")
    sentences = read_conll(path, sep="\t")
    assert [s.tokens for s in sentences] == [("@paulwalk", "It"), ("New", "York")]
    assert sentences[1].tags == ("B-geo-loc", "I-geo-loc")


def test_conll_quirks_zero_width_and_entities(tmp_path: Path) -> None:
    text = "\ufeffI PRP\n\u200b UH\n&lt; UH\nlove\u200b VBP\nA&amp;W NNP\n\n\u200b UH\n\ufeff UH\n\nok UH\n"
    sentences = read_conll(write(tmp_path, "pos.txt", text))
    assert sentences[0] == Sentence(("I", "<", "love", "A&W"), ("PRP", "UH", "VBP", "NNP"))
    assert sentences[1] == Sentence(("ok",), ("UH",))
    assert sentences.skipped_empty == 1  # the tweet made only of zero-width characters


def test_conll_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.txt", "a DT\nb NN\n\nc NN\nlonely\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt:5: expected a token in column 0 and a label in column -1, "):
        read_conll(path)
    with pytest.raises(DataFormatError, match=r"bad\.txt:1: .* but the line has 2 column\(s\): 'a DT'"):
        read_conll(path, label_col=2)
    with pytest.raises(TypeError, match="Expected argument `label_col` to be an int, but got str."):
        read_conll(path, label_col="1")  # type: ignore[arg-type]


# --- CoNLL-U -----------------------------------------------------------------------------------------------

CONLLU = (
    "# sent_id = 1\n# text = I'm home\n"
    "1-2\tI'm\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_\n"
    "2\t'm\tbe\tAUX\tVBP\t_\t3\tcop\t_\t_\n"
    "3\thome\thome\tADV\tRB\t_\t0\troot\t_\t_\n"
    "3.1\tgone\tgo\tVERB\tVBN\t_\t_\t_\t3:conj\t_\n"
    "\n"
    "# sent_id = 2\n# text = only comments\n\n"
    "1\t&lt;3\t<3\tSYM\tNFP\t_\t0\troot\t_\t_\n\n"
)


def test_conllu_upos_xpos_ranges_empty_nodes(tmp_path: Path) -> None:
    path = write(tmp_path, "x.conllu", CONLLU)
    upos = read_conllu(path)
    assert upos[0] == Sentence(("I", "'m", "home"), ("PRON", "AUX", "ADV"))
    assert upos[1] == Sentence(("<3",), ("SYM",))
    assert upos.skipped_empty == 1
    assert read_conllu(path, tag="xpos")[0].tags == ("PRP", "VBP", "RB")


def test_conllu_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.conllu", "# c\n1\tI\tI\tPRON\n")
    with pytest.raises(DataFormatError, match=r"bad\.conllu:2: expected 10 tab-separated fields, but got 4"):
        read_conllu(path)
    with pytest.raises(ValueError, match=r"Expected argument `tag` to be one of \['upos', 'xpos'\], but got 'lemma'."):
        read_conllu(path, tag="lemma")  # type: ignore[arg-type]


# --- Penn Treebank .pos ------------------------------------------------------------------------------------

PTB = """

[ Pierre/NNP Vinken/NNP ]
,/, 
[ 61/CD years/NNS ]
old/JJ ./. 

[ Mr./NNP Vinken/NNP ]
is/VBZ 
[ chairman/NN ]

of/IN 3\\/4/CD *-1/-NONE- targeting/VBG|NN ./. 

''/'' 
======================================
[ ``/`` Why/WRB ]
?/. ''/'' he/PRP asked/VBD ./. 
[ The/DT end/NN ]
"""


def test_ptb_sentences_close_at_final_punctuation_not_blank_lines(tmp_path: Path) -> None:
    sentences = read_ptb(write(tmp_path, "wsj_0001.pos", PTB))
    assert [" ".join(s.tokens) for s in sentences] == [
        "Pierre Vinken , 61 years old .",
        "Mr. Vinken is chairman of 3/4 targeting . ''",  # blank line inside, trace dropped, \/ unescaped
        "`` Why ? '' he asked .",  # a lower-case word after `?''` continues the sentence
        "The end",  # the end of the file closes the last one
    ]
    assert sentences[1].tags == ("NNP", "NNP", "VBZ", "NN", "IN", "CD", "VBG", ".", "''")


def test_ptb_separator_closes_sentence_and_bad_token_names_line(tmp_path: Path) -> None:
    sentences = read_ptb(write(tmp_path, "a.pos", "a/DT\n=====\nb/NN ./.\n"))
    assert [s.tokens for s in sentences] == [("a",), ("b", ".")]
    with pytest.raises(DataFormatError, match=r"b\.pos:3: expected a `word/TAG` token, but got 'oops'"):
        read_ptb(write(tmp_path, "b.pos", "a/DT\n\noops\n"))


# --- IOB1 -> IOB2 and clean-up ------------------------------------------------------------------------------


def test_iob1_to_iob2_examples() -> None:
    assert iob1_to_iob2(["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "I-ORG"]) == (
        "B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "B-ORG",
    )  # fmt: skip
    with pytest.raises(TypeError, match="Expected argument `tags` to hold strings, but got int."):
        iob1_to_iob2(["O", 3])  # type: ignore[list-item]


iob_tags = st.lists(st.sampled_from(["O", "I-PER", "I-LOC", "B-PER", "B-LOC"]), max_size=30)


def _spans(tags: tuple[str, ...] | list[str]) -> int:
    """Number of spans under IOB1 reading rules."""
    count, previous = 0, "O"
    for tag in tags:
        if tag.startswith("B-") or (tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:])):
            count += 1
        previous = tag
    return count


@given(iob_tags)
def test_iob2_is_valid_idempotent_and_keeps_spans(tags: list[str]) -> None:
    converted = iob1_to_iob2(tags)
    assert len(converted) == len(tags)
    assert [tag[2:] for tag in converted] == [tag[2:] for tag in tags]  # types never change
    previous = "O"
    for tag in converted:  # IOB2: an I-X only continues a span of type X
        if tag.startswith("I-"):
            assert previous != "O" and previous[2:] == tag[2:]
        previous = tag
    assert iob1_to_iob2(converted) == converted
    assert _spans(converted) == _spans(tags)


@given(st.text(max_size=20))
def test_clean_token_removes_every_zero_width_char(text: str) -> None:
    cleaned = clean_token(text)
    assert not any(char in cleaned for char in "\u200b\u200c\u200d\u2060\ufeff")


# --- any user dataset ---------------------------------------------------------------------------------------


def test_read_tagged_formats_and_several_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.txt", "a DT\n\n")
    second = write(tmp_path, "b.txt", "b NN\n\n")
    assert [s.tokens for s in read_tagged([first, second])] == [("a",), ("b",)]
    assert read_tagged(write(tmp_path, "x.conllu", CONLLU), format="conllu", tag="xpos")[0].tags[0] == "PRP"
    assert read_tagged(write(tmp_path, "w.pos", PTB), format="ptb")[0].tokens[0] == "Pierre"
    with pytest.raises(ValueError, match=r"Expected argument `format` to be one of \['conll', 'conllu', 'ptb'\]"):
        read_tagged(first, format="csv")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="Tagged file not found: .*nope.txt"):
        read_tagged(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match="Expected argument `path` to name at least one file"):
        read_tagged([])


def test_load_splits_with_and_without_dev(tmp_path: Path) -> None:
    train = write(tmp_path, "train.txt", "".join(f"w{i} NN\n\n" for i in range(20)))
    dev = write(tmp_path, "dev.txt", "d VB\n\n")
    test = write(tmp_path, "test.txt", "t JJ\n\nu JJ\n\n")
    held = load_splits(train=train, test=test, name="mine", task="pos")
    assert (len(held.train), len(held.dev), len(held.test)) == (18, 2, 2)
    assert held.dev[0].tokens == ("w18",) and held.name == "mine" and held.task == "pos"
    given_dev = load_splits(train=train, dev=dev, test=test, label_col=1)
    assert (len(given_dev.train), len(given_dev.dev)) == (20, 1)
