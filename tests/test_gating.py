"""Gated mixture of source encoders: degenerate sources get ~0 weight, bad input, tagger builder, strategy."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from mitigate.gating import (
    GatedSourceMixture,
    GatedTagger,
    build_gated_tagger,
    gate_entropy,
    gate_regulariser,
    gate_report,
    load_balance,
    summarise_gate,
)
from mitigate.models import BiLSTMTagger, TaggerConfig, TaggerVocab, TrainConfig, predict_tags, train_tagger
from mitigate.strategies.gating import SourceGating
from mitigate.testing import check_strategy, run_transfer

torch.set_num_threads(1)


# -- a tiny synthetic task: 4 classes from a non-linear function of 6 inputs ----------------------------------
def _task(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(n, 6, generator=generator)
    y = ((torch.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2]) > 0).long() + 2 * (x[:, 3] > 0.5).long()
    return x, y


def _encoder(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 16), nn.Tanh())


def _pretrain(encoder: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 300) -> None:
    head = nn.Linear(16, 4)
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=1e-2)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(head(encoder(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for p in encoder.parameters():
        p.requires_grad_(False)


def test_degenerate_sources_get_near_zero_weight_and_result_beats_scratch() -> None:
    generator = torch.Generator().manual_seed(0)
    xs, ys = _task(2000, generator)
    good, permuted, random = _encoder(1), _encoder(2), _encoder(3)
    _pretrain(good, xs, ys)
    _pretrain(permuted, xs, ys[torch.randperm(len(ys), generator=generator)])  # labels shuffled across items
    for p in random.parameters():
        p.requires_grad_(False)
    xt, yt = _task(200, generator)
    xv, yv = _task(1000, generator)

    def fit(experts: dict[str, nn.Module]) -> tuple[float, GatedSourceMixture | nn.Module]:
        torch.manual_seed(0)
        if experts:
            model: nn.Module = GatedSourceMixture(experts=experts, scratch=_encoder(4), feature_sizes=dict.fromkeys(
                [*experts, "scratch"], 16))
        else:
            model = _encoder(4)
        head = nn.Linear(16, 4)
        optimizer = torch.optim.Adam([p for p in [*model.parameters(), *head.parameters()] if p.requires_grad], lr=1e-2)
        for _ in range(300):
            loss = nn.functional.cross_entropy(head(model(xt)), yt)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = float((head(model(xv)).argmax(-1) == yv).float().mean())
        return accuracy, model

    gated_acc, mixture = fit({"good": good, "permuted": permuted, "random": random})
    scratch_acc, _ = fit({})
    report = summarise_gate(mixture.last_weights.numpy(), names=mixture.names)
    assert report.overall["permuted"] < 0.05
    assert report.overall["random"] < 0.05
    assert report.overall["good"] > 0.4  # measured: good 0.57, scratch 0.42, permuted 0.004, random 0.002
    assert gated_acc >= scratch_acc


def _linear_experts(**sizes: int) -> dict[str, nn.Module]:
    return {name: nn.Linear(3, size) for name, size in sizes.items()}


def test_different_feature_sizes_project_or_refuse() -> None:
    experts = _linear_experts(a=4, b=7)
    sizes = {"a": 4, "b": 7, "scratch": 5}
    mixture = GatedSourceMixture(experts=experts, scratch=nn.Linear(3, 5), feature_sizes=sizes)
    assert mixture(torch.randn(2, 3)).shape == (2, 5)
    assert sorted(mixture.projections) == ["a", "b"]
    with pytest.raises(ValueError, match=r"Expected every encoder to output `out_dim`=5 features when `project=False`, "
                                         r"but got sizes \{'a': 4, 'b': 7, 'scratch': 5\}"):
        GatedSourceMixture(experts=experts, scratch=nn.Linear(3, 5), feature_sizes=sizes, project=False)


def test_single_source_warns_and_report_says_so() -> None:
    with pytest.warns(UserWarning, match=r"Only one source \('a'\): the gate only chooses between it and 'scratch'"):
        mixture = GatedSourceMixture(experts=_linear_experts(a=4), scratch=nn.Linear(3, 4), feature_sizes={"a": 4, "scratch": 4})
    assert mixture.single_source
    mixture(torch.randn(3, 3))
    report = summarise_gate(mixture.last_weights.numpy(), names=mixture.names)
    assert report.note is not None and "only chose between it and 'scratch'" in report.note
    assert report.overall == pytest.approx({"a": 0.5, "scratch": 0.5})  # the gate starts uniform


def test_other_dtype_is_moved_to_the_targets_with_a_warning() -> None:
    expert = nn.Linear(3, 4).double()
    with pytest.warns(UserWarning, match=r"Moved encoders 'a' \(cpu, torch.float64\) to the target's device and dtype "
                                         r"\(cpu, torch.float32\)"):
        mixture = GatedSourceMixture(experts={"a": expert, "b": nn.Linear(3, 4)}, scratch=nn.Linear(3, 4),
                                     feature_sizes={"a": 4, "b": 4, "scratch": 4})
    assert expert.weight.dtype == torch.float32
    assert mixture(torch.randn(2, 3)).dtype == torch.float32


def test_top_k_and_temperature() -> None:
    torch.manual_seed(0)
    experts = _linear_experts(a=4, b=4, c=4)
    mixture = GatedSourceMixture(experts=experts, feature_sizes=dict.fromkeys("abc", 4), top_k=2, temperature=0.5)
    nn.init.normal_(mixture.gate.weight)
    mixture(torch.randn(10, 3))
    assert ((mixture.last_weights > 0).sum(-1) == 2).all()
    assert torch.allclose(mixture.last_weights.sum(-1), torch.ones(10))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"temperature": 0}, ValueError, r"Expected argument `temperature` to be a float > 0, but got 0\."),
        ({"top_k": 4}, ValueError, r"Expected argument `top_k` to be an int in \[1, 3\] or None, but got 4\."),
        ({"experts": {}}, ValueError, r"Expected argument `experts` to be a non-empty mapping"),
        ({"experts": {"scratch": nn.Linear(3, 4)}}, ValueError, r"other than 'scratch', but got 'scratch'"),
        ({"experts": {"a": "x"}}, TypeError, r"Expected argument `experts` to map names to nn.Module, but 'a' is str"),
        ({"feature_sizes": {"a": 4}}, ValueError, r"Expected a positive int feature size for expert 'b'"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, message: str) -> None:
    arguments = {"experts": _linear_experts(a=4, b=4), "scratch": nn.Linear(3, 4),
                 "feature_sizes": {"a": 4, "b": 4, "scratch": 4}, **kwargs}
    with pytest.raises(error, match=message):
        GatedSourceMixture(**arguments)


def test_encoder_with_wrong_output_size_is_reported() -> None:
    mixture = GatedSourceMixture(experts=_linear_experts(a=4, b=4), feature_sizes={"a": 4, "b": 5})
    with pytest.raises(ValueError, match=r"Expected encoder 'b' to output a tensor with 5 features in the last dimension, "
                                         r"but got \(2, 4\)"):
        mixture(torch.randn(2, 3))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 20), st.integers(2, 5), st.integers(0, 2**16))
def test_regulariser_ranges(n: int, k: int, seed: int) -> None:
    logits = torch.randn(n, k, generator=torch.Generator().manual_seed(seed)) * 3
    weights = torch.softmax(logits, dim=-1)
    assert -1e-6 <= float(gate_entropy(weights)) <= math.log(k) + 1e-6
    assert -1e-6 <= float(load_balance(weights)) <= k - 1 + 1e-6
    assert float(load_balance(torch.full((n, k), 1.0 / k))) == pytest.approx(0.0, abs=1e-6)


# -- the study's tagger ----------------------------------------------------------------------------------------
_TINY = TaggerConfig(word_dim=8, char_dim=4, char_hidden=4, fe_hidden=6, dropout=0.0)
_TARGET = [(("The", "cat", "sat"), ("D", "N", "V")), (("a", "Dog", "ran"), ("D", "N", "V")),
           (("the", "dog", "sat"), ("D", "N", "V"))] * 3


def _sources() -> dict[str, BiLSTMTagger]:
    torch.manual_seed(0)
    pos = BiLSTMTagger(vocab=TaggerVocab.build([(("the", "cat"), ("DT", "NN"))]), config=_TINY)
    other = BiLSTMTagger(vocab=TaggerVocab.build([(("a", "bird"), ("X", "Y"))]),
                         config=TaggerConfig(word_dim=6, char_dim=4, char_hidden=3, fe_hidden=5, dropout=0.0))
    return {"pos": pos, "other": other}


def _gated() -> GatedTagger:
    return build_gated_tagger(sources=_sources(), target_sentences=_TARGET, seed=0)


def _gated_batches(model: GatedTagger) -> list:
    tokens = [list(t) for t, _ in _TARGET[:3]]
    words, chars = model.vocab.encode_tokens(tokens)
    return [((words, chars), model.vocab.encode_tags([tags for _, tags in _TARGET[:3]]))] * 2


def test_gated_tagger_trains_with_the_reference_loop_and_reports_slices() -> None:
    sources = _sources()
    before = {n: p.detach().clone() for n, p in sources["pos"].named_parameters()}
    model = build_gated_tagger(sources=sources, target_sentences=_TARGET, seed=0)
    assert model.mixture.names == ["pos", "other", "scratch"]
    assert "other" in model.mixture.projections  # fe 5+5 projected to the scratch's 6+6
    strategy = SourceGating(entropy=0.01)
    result = train_tagger(model, train=_TARGET, dev=_TARGET, config=TrainConfig(lr=0.03, max_epochs=3, patience=3),
                          strategies=[strategy])
    assert len(strategy.history) == 3 and all(sum(row) == pytest.approx(1.0, abs=1e-5) for row in strategy.history)
    assert result.best_dev > 0.5
    assert all(torch.equal(before[n], p) for n, p in sources["pos"].named_parameters())  # sources untouched
    tokens = [["The", "lol", "Dog"], ["a"]]
    assert [len(p) for p in predict_tags(model, tokens)] == [3, 1]
    report = gate_report(model, tokens)
    assert report.n_items == 4
    assert report.slices["capitalised"][0] == 2
    assert sum(report.overall.values()) == pytest.approx(1.0, abs=1e-5)
    assert "| capitalised | 2 |" in report.to_markdown()


def test_unknown_words_map_to_each_encoders_unk() -> None:
    model = _gated()
    words, _ = model.vocab.encode_tokens([["bird", "cat"]])
    pos = model.mixture.experts["pos"]
    other = model.mixture.experts["other"]
    assert pos.word_map[words][0, 0].item() == 1  # 'bird' is unknown to the 'pos' source
    assert other.word_map[words][0, 0].item() != 1


def test_encoder_with_identity_maps_reproduces_the_taggers_features() -> None:
    from mitigate.gating import TaggerEncoder

    torch.manual_seed(0)
    tagger = BiLSTMTagger(vocab=TaggerVocab.build([(("a", "b"), ("X", "Y"))]), config=TaggerConfig.preset("tiny")).eval()
    words_map, chars_map = torch.arange(len(tagger.vocab.words)), torch.arange(len(tagger.vocab.chars))
    encoder = TaggerEncoder(tagger=tagger, word_map=words_map, char_map=chars_map).eval()
    words, chars = tagger.vocab.encode_tokens([["a", "b", "a"], ["b"]])
    expected = tagger.features(words, chars)
    assert torch.equal(encoder(words, chars), expected)
    assert torch.count_nonzero(expected[1, 1:]) == 0  # padding positions stay zero


def test_source_gating_passes_the_contract_and_freezes_experts() -> None:
    check_strategy(lambda: SourceGating(freeze_experts=True, entropy=0.01, balance=0.01, warmup_epochs=1), model_factory=_gated,
                   batches=_gated_batches(_gated()))
    model = _gated()
    initial = {n: p.detach().clone() for n, p in model.named_parameters()}
    strategy = SourceGating(freeze_experts=True)
    run_transfer(model, [strategy], _gated_batches(model), epochs=2)
    changed = {n for n, p in model.named_parameters() if not torch.equal(initial[n], p)}
    assert not any(n.startswith(("mixture.experts.pos.", "mixture.experts.other.")) for n in changed)
    assert any(n.startswith("mixture.experts.scratch.") for n in changed)
    assert any(n.startswith("mixture.gate.") for n in changed)
    assert all(p.requires_grad for p in model.parameters())  # freezing undone on exit
    assert set(strategy.last_epoch_weights()) == {"pos", "other", "scratch"}


def test_source_gating_needs_a_mixture() -> None:
    from mitigate.testing import TinyTagger, tiny_tagger_batches

    with pytest.raises(ValueError, match=r"Expected the model to hold exactly one GatedSourceMixture \(or pass `module`\), "
                                         r"but found 0"):
        run_transfer(TinyTagger(), [SourceGating()], tiny_tagger_batches(n=1), epochs=1)
    with pytest.raises(TypeError, match=r"Expected argument `module` to name a GatedSourceMixture, but 'fe' is LSTM"):
        run_transfer(TinyTagger(), [SourceGating(module="fe")], tiny_tagger_batches(n=1), epochs=1)


def test_gate_regulariser_is_zero_before_training_and_report_checks_shapes() -> None:
    mixture = GatedSourceMixture(experts=_linear_experts(a=4, b=4), feature_sizes={"a": 4, "b": 4})
    assert float(gate_regulariser(mixture, entropy=1.0)) == 0.0
    with pytest.raises(ValueError, match=r"Expected argument `weights` to have shape \(N, 2\) \(one column per name\), "
                                         r"but got \(3, 3\)"):
        summarise_gate(np.ones((3, 3)) / 3, names=["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summarise_gate(np.ones((0, 2)), names=["a", "b"], tokens=[])  # empty slices: NaN means, no warning


def test_gate_warmup_keeps_the_gate_uniform_then_trains_it() -> None:
    for epochs, gate_moves in ((1, False), (2, True)):
        model = _gated()
        initial = model.mixture.gate.weight.detach().clone()
        strategy = SourceGating(warmup_epochs=1)
        run_transfer(model, [strategy], _gated_batches(model), epochs=epochs)
        assert (not torch.equal(initial, model.mixture.gate.weight)) is gate_moves
        assert strategy.history[0] == pytest.approx([1 / 3] * 3, abs=1e-6)  # uniform during warm-up
        assert model.mixture.gate.weight.requires_grad  # unfrozen on exit either way
    with pytest.raises(ValueError, match=r"Expected argument `warmup_epochs` to be an int >= 0, but got -1\."):
        SourceGating(warmup_epochs=-1)
