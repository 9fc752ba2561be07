"""The reference tagger loop (mitigate.models.train_tagger) runs the built-in strategies through the session."""

from __future__ import annotations

import pytest
import torch

from mitigate.strategies import BSS, L2SP, GradualUnfreezing, LayerwiseLRDecay, Relearn, SimilarityFreezing

models = pytest.importorskip("mitigate.models")
torch.set_num_threads(1)

DATA = [(("The", "cat", "sat"), ("DT", "NN", "VB")), (("A", "dog", "ran", "home"), ("DT", "NN", "VB", "NN"))] * 3


def _tagger() -> torch.nn.Module:
    torch.manual_seed(0)
    return models.BiLSTMTagger(vocab=models.TaggerVocab.build(DATA), config=models.TaggerConfig.preset("tiny"))


def _batches(model: torch.nn.Module) -> list:  # type: ignore[type-arg]
    words, chars = model.vocab.encode_tokens([list(t) for t, _ in DATA])
    return [((words, chars), model.vocab.encode_tags([list(g) for _, g in DATA]))]


@pytest.mark.parametrize(
    "build",
    [
        lambda model: [Relearn.preset("keep-fe", seed=0), L2SP(alpha=0.01), BSS(module="fe_out", k=1)],
        lambda model: [GradualUnfreezing(every=1), LayerwiseLRDecay(decay=0.5)],
        lambda model: [SimilarityFreezing(batches=_batches(model), layers=["wre", "fe", "classifier"], threshold=0.0)],
    ],
    ids=["relearn+l2sp+bss", "gradual+lr_decay", "similarity"],
)
def test_reference_loop_runs_strategies_and_leaves_a_plain_model(build) -> None:  # type: ignore[no-untyped-def]
    model = _tagger()
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    result = models.train_tagger(model, train=DATA, dev=DATA, config=models.TrainConfig(max_epochs=3, patience=3),
                                 strategies=build(model))
    assert len(result.dev_scores) >= 1
    assert all(p.requires_grad for p in model.parameters())
    assert any(not torch.equal(start[n], p) for n, p in model.named_parameters())
    fresh = _tagger()
    fresh.load_state_dict(model.state_dict())


def test_keep_fe_leaves_fe_untouched_in_the_reference_loop() -> None:
    model = _tagger()
    fe = {n: p.detach().clone() for n, p in model.fe.named_parameters()}
    models.train_tagger(model, train=DATA, dev=DATA, config=models.TrainConfig(max_epochs=2),
                        strategies=[Relearn.preset("keep-fe", seed=0)])
    assert all(torch.equal(fe[n], p) for n, p in model.fe.named_parameters())
