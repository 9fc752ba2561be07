"""The tagger, its vocabularies, the transfer step and checkpoints."""

from __future__ import annotations

import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mitigate.data import Sentence
from mitigate.models import (
    BiLSTMTagger,
    DigitsNet,
    TaggerConfig,
    TaggerVocab,
    TrainConfig,
    Vocabulary,
    load_state_checked,
    load_tagger,
    predict_tags,
    save_checkpoint,
    save_tagger,
    train_tagger,
    transfer_model,
)

NEWS = [
    Sentence(("The", "company", "said", "it", "rose", "."), ("DT", "NN", "VBD", "PRP", "VBD", ".")),
    Sentence(("Shares", "fell", "sharply", "."), ("NNS", "VBD", "RB", ".")),
    Sentence(("It", "'s", "a", "deal", "."), ("PRP", "VBZ", "DT", "NN", ".")),
]
TWEETS = [
    Sentence(("lol", "the", "company", "is", "gr8", "#win"), ("UH", "DT", "NN", "VBZ", "JJ", "HT")),
    Sentence(("@bob", "wont", "go", "2", "it"), ("USR", "MD", "VB", "TO", "PRP")),
]


def _tagger(data=NEWS, seed=0) -> BiLSTMTagger:
    torch.manual_seed(seed)
    return BiLSTMTagger(vocab=TaggerVocab.build(data), config=TaggerConfig.preset("tiny"))


def test_parts_are_addressable_by_the_study_names():
    model = _tagger()
    names = dict(model.named_modules())
    for name in ("wre", "wre.word_emb", "wre.char_lstm", "wre.char_out", "fe", "fe_out", "classifier"):
        assert name in names
    assert isinstance(model.fe, torch.nn.LSTM) and isinstance(model.fe_out, torch.nn.Identity)


def test_fe_out_exposes_the_bilstm_output_to_forward_hooks():
    model = _tagger().eval()
    seen = []
    model.fe_out.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    words, chars = model.vocab.encode_tokens([["The", "company"], ["Shares"]])
    model(words, chars)
    assert seen == [torch.Size([2, 2, 2 * model.config.fe_hidden])]


def test_padding_does_not_change_a_sentence_prediction():
    model = _tagger().eval()
    alone = model(*model.vocab.encode_tokens([["Shares", "fell"]]))
    padded = model(*model.vocab.encode_tokens([["Shares", "fell"], ["The", "company", "said", "it"]]))
    torch.testing.assert_close(alone[0], padded[0, :2])


def test_char_bilstm_sees_capitalisation():
    vocab = TaggerVocab.build(NEWS)
    _, lower = vocab.encode_tokens([["shares"]])
    _, upper = vocab.encode_tokens([["Shares"]])
    words_l, _ = vocab.encode_tokens([["shares"]])
    words_u, _ = vocab.encode_tokens([["Shares"]])
    assert torch.equal(words_l, words_u)  # one word row for both casings
    assert not torch.equal(lower, upper)  # but different characters


def test_empty_sentence_is_a_clear_error():
    with pytest.raises(ValueError, match="Expected non-empty sentences, but sentence 1 of the batch has no tokens"):
        TaggerVocab.build(NEWS).encode_tokens([["a"], []])


def test_config_rejects_bad_sizes_and_presets():
    with pytest.raises(ValueError, match="Expected argument `fe_hidden` to be a positive int, but got 0"):
        TaggerConfig(fe_hidden=0)
    with pytest.raises(ValueError, match=r"Expected argument `preset` to be one of \['cpu', 'study', 'tiny'\], but got 'huge'"):
        TaggerConfig.preset("huge")
    with pytest.raises(ValueError, match="Expected argument `optimizer` to be one of"):
        TrainConfig(optimizer="rmsprop")


def test_transfer_keeps_source_rows_and_adds_new_ones():
    source = _tagger()
    target = transfer_model(source, target_sentences=TWEETS, seed=1)
    n_words, n_chars = len(source.vocab.words), len(source.vocab.chars)
    # Known words keep their index and their source row.
    assert target.vocab.words.to_list()[:n_words] == source.vocab.words.to_list()
    assert torch.equal(target.wre.word_emb.weight[:n_words], source.wre.word_emb.weight)
    assert torch.equal(target.wre.char_emb.weight[:n_chars], source.wre.char_emb.weight)
    # Target words unseen in the source get their own new rows (not UNK).
    new_words = {"lol", "gr8", "#win", "@bob", "wont", "go", "2", "is"}
    assert new_words <= set(target.vocab.words.to_list()[n_words:])
    assert 1 not in target.vocab.words.encode(sorted(new_words))
    assert len(target.vocab.words) == n_words + len(new_words)
    # Φ copied, Ψ fresh for the target tag set.
    for name, tensor in source.fe.state_dict().items():
        assert torch.equal(tensor, target.fe.state_dict()[name])
    assert target.classifier.out_features == len({t for s in TWEETS for t in s.tags})
    # The source is untouched.
    assert source.wre.word_emb.weight.shape[0] == n_words


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=4), max_size=12), st.lists(st.text(min_size=1, max_size=4), max_size=12))
def test_vocabulary_extend_keeps_every_index(first, second):
    vocab = Vocabulary(first)
    bigger = vocab.extend(second)
    assert bigger.to_list()[: len(vocab)] == vocab.to_list()
    assert bigger.encode(first) == vocab.encode(first)
    assert set(bigger.to_list()) == set(vocab.to_list()) | set(second)


def test_tag_vocabulary_has_no_unknown():
    tags = TaggerVocab.build(NEWS).tags
    with pytest.raises(ValueError, match="Expected an item of the vocabulary, but got 'ZZ'"):
        tags.encode(["ZZ"])


def test_checkpoint_round_trip_with_weights_only(tmp_path):
    model = _tagger()
    result = train_tagger(model, train=NEWS, dev=NEWS, config=TrainConfig(max_epochs=2), checkpoint_dir=tmp_path / "ck")
    assert len(result.dev_scores) == 2
    saved = sorted(p.name for p in (tmp_path / "ck").iterdir())
    assert saved == ["epoch_000.json", "epoch_000.pt", "epoch_001.json", "epoch_001.pt"]
    meta = json.loads((tmp_path / "ck" / "epoch_001.json").read_text())
    assert meta["epoch"] == 1 and meta["dev_score"] == result.dev_scores[1]
    path = save_tagger(model, tmp_path / "final.pt")
    torch.load(path, weights_only=True)  # a plain state dict
    loaded = load_tagger(path)
    assert loaded.vocab == model.vocab
    tokens = [list(s.tokens) for s in NEWS]
    assert predict_tags(loaded, tokens) == predict_tags(model, tokens)


def test_checkpoint_of_another_architecture_names_the_mismatch(tmp_path):
    path = save_checkpoint(_tagger(), tmp_path / "tagger.pt")
    bigger = BiLSTMTagger(vocab=TaggerVocab.build(NEWS), config=TaggerConfig(word_dim=32, char_dim=8, char_hidden=8, fe_hidden=16))
    with pytest.raises(ValueError, match=r"shape mismatch: .*wre\.word_emb\.weight: checkpoint \(\d+, 16\) vs model \(\d+, 32\)"):
        load_state_checked(bigger, path)
    with pytest.raises(ValueError, match=r"missing keys: fe\.0\.bias, .*unexpected keys: .*wre\.char_emb\.weight.*shape mismatch: classifier\.bias"):
        load_state_checked(DigitsNet(), path)



def test_span_f1_matches_exact_spans_only():
    from mitigate.models import span_f1

    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    assert span_f1(gold, gold) == 1.0
    assert span_f1([["B-PER", "O", "O", "B-LOC"]], gold) == pytest.approx(0.5)  # PER boundary wrong
    assert span_f1([["O", "O", "O", "O"]], gold) == 0.0  # all-O: high token accuracy, zero F1
    with pytest.raises(ValueError, match="Expected as many predicted as gold sentences, but got 0 and 1"):
        span_f1([], gold)
