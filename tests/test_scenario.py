"""Scenarios end to end: tiny transfers evaluated by the evaluator, strategies through the session."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mitigate.data import DatasetSplits, Sentence
from mitigate.evaluation import transfer_report
from mitigate.models import DigitsScenario, TaggingScenario, TrainConfig, TransferScenario, transfer_model
from mitigate.session import Strategy

NEWS = [
    Sentence(("The", "company", "said", "it", "rose", "."), ("DT", "NN", "VBD", "PRP", "VBD", ".")),
    Sentence(("Shares", "fell", "sharply", "."), ("NNS", "VBD", "RB", ".")),
    Sentence(("It", "'s", "a", "deal", "."), ("PRP", "VBZ", "DT", "NN", ".")),
    Sentence(("Prices", "rose", "."), ("NNS", "VBD", ".")),
]
TWEETS = [
    Sentence(("lol", "the", "company", "is", "gr8"), ("UH", "DT", "NN", "VBZ", "JJ")),
    Sentence(("@bob", "wont", "go", "2", "it"), ("USR", "MD", "VB", "TO", "PRP")),
    Sentence(("shares", "fell", "lol"), ("NNS", "VBD", "UH")),
]
TWEETS_TEST = [*TWEETS, Sentence(("#sad", "it", "fell"), ("HT", "PRP", "VBD"))]  # HT never seen in training


def _scenario() -> TaggingScenario:
    return TaggingScenario(
        source=DatasetSplits("news", "pos", NEWS, NEWS, NEWS),
        target=DatasetSplits("tweets", "pos", TWEETS, TWEETS, TWEETS_TEST),
        preset="tiny",
        train_config=TrainConfig(max_epochs=2),
        source_config=TrainConfig(max_epochs=2),
    )


def test_tagging_scenario_end_to_end_report_invariants():
    scenario = _scenario()
    assert isinstance(scenario, TransferScenario)
    source = scenario.pretrain(seed=0)
    scratch = [scenario.predict(scenario.fit_scratch(seed=s), split="test") for s in (0, 1)]
    transfer = [scenario.predict(scenario.fit_transfer(source=source, seed=s), split="test") for s in (0, 1)]
    gold = scenario.gold(split="test")
    report = transfer_report(gold=gold, scratch_seeds=scratch, transfer_seeds=transfer,
                             tokens=scenario.tokens(split="test"), n_bootstrap=0)
    assert report.n == sum(len(s) for s in gold)
    assert report.gain == pytest.approx(report.pt - report.nt)
    assert report.gain == pytest.approx(report.transfer_accuracy - report.scratch_accuracy)
    for pair in report.pairs:
        s = np.concatenate([np.asarray(x) for x in scratch[pair.scratch_seed]]) == np.concatenate(gold)
        t = np.concatenate([np.asarray(x) for x in transfer[pair.transfer_seed]]) == np.concatenate(gold)
        assert pair.pt_count == int((~s & t).sum()) and pair.nt_count == int((s & ~t).sum())
        assert pair.gain == pytest.approx(t.mean() - s.mean())
    assert report.churn_floor is not None


def test_unseen_test_tags_are_counted_not_a_crash():
    scenario = _scenario()
    assert scenario.unseen_tags(split="test") == {"HT": 1}
    model = scenario.fit_scratch(seed=0)
    predictions = scenario.predict(model, split="test")
    assert [len(p) for p in predictions] == [len(g) for g in scenario.gold(split="test")]
    assert "HT" not in {tag for sentence in predictions for tag in sentence}


class _FreezeWordRepresentation(Strategy):
    name = "test-freeze-wre"

    def before_transfer(self, ctx) -> None:
        ctx.freeze("wre")


def test_fit_transfer_runs_strategies_inside_the_session():
    scenario = _scenario()
    source = scenario.pretrain(seed=0)
    reference = transfer_model(source, target_sentences=TWEETS, seed=3)
    tuned = scenario.fit_transfer(source=source, seed=3, strategies=[_FreezeWordRepresentation()])
    for name, tensor in reference.wre.state_dict().items():
        assert torch.equal(tensor, tuned.wre.state_dict()[name]), name  # frozen: unchanged by fine-tuning
    assert not torch.equal(reference.fe.weight_hh_l0, tuned.fe.weight_hh_l0)  # the rest trained
    assert all(p.requires_grad for p in tuned.parameters())  # the session undid the freezing on exit


def test_pretrain_cache_returns_the_same_model(tmp_path):
    scenario = TaggingScenario(
        source=DatasetSplits("news", "pos", NEWS, NEWS, NEWS), target=DatasetSplits("tweets", "pos", TWEETS, TWEETS, TWEETS),
        preset="tiny", source_config=TrainConfig(max_epochs=1), cache_dir=tmp_path,
    )
    first = scenario.pretrain(seed=0)
    assert len(list(tmp_path.glob("*.pt"))) == 1
    second = scenario.pretrain(seed=0)
    for name, tensor in first.state_dict().items():
        assert torch.equal(tensor, second.state_dict()[name])


def test_bad_split_and_source_are_clear_errors():
    scenario = _scenario()
    with pytest.raises(ValueError, match=r"Expected argument `split` to be one of \['train', 'dev', 'test'\], but got 'val'"):
        scenario.gold(split="val")
    with pytest.raises(TypeError, match="Expected argument `source` to be a registry name or DatasetSplits, but got int"):
        TaggingScenario(source=3, target=DatasetSplits("t", "pos", TWEETS, TWEETS, TWEETS))
    with pytest.raises(TypeError, match="Expected argument `source` to be a BiLSTMTagger, but got Linear"):
        transfer_model(torch.nn.Linear(2, 2), target_sentences=TWEETS)


def test_embedded_digits_scenario_transfers_and_reports():
    scenario = DigitsScenario.embedded(per_class=3, train_config=TrainConfig(max_epochs=3, batch_size=16),
                                       source_config=TrainConfig(max_epochs=2, batch_size=64))
    assert isinstance(scenario, TransferScenario)
    source = scenario.pretrain(seed=0)
    model = scenario.fit_transfer(source=source, seed=0)
    gold = scenario.gold(split="test")
    report = transfer_report(gold=gold, scratch=scenario.predict(scenario.fit_scratch(seed=0), split="test"),
                             transfer=scenario.predict(model, split="test"), n_bootstrap=0)
    assert report.n == len(gold) and scenario.tokens(split="test") is None
    assert report.gain == pytest.approx(report.transfer_accuracy - report.scratch_accuracy)


def test_digits_scenario_needs_a_data_dir_without_a_source():
    with pytest.raises(ValueError, match="Expected argument `data_dir`"):
        DigitsScenario()


@pytest.mark.realdata
def test_real_pair_vocabulary_extension(shared_data):
    scenario = TaggingScenario(source="wsj-pos", target="tpos", data_dir=shared_data, preset="tiny")
    from mitigate.models import BiLSTMTagger, TaggerVocab

    source = BiLSTMTagger(vocab=TaggerVocab.build(scenario.source_data.train), config=scenario.model_config)
    target = transfer_model(source, target_sentences=scenario.target_data.train)
    tweet_words = {t.lower() for s in scenario.target_data.train for t in s.tokens}
    assert all(w in target.vocab.words for w in tweet_words)  # every target training word has its own row
    assert len(target.vocab.words) > len(source.vocab.words)
    assert scenario.name == "wsj-pos->tpos"


@pytest.mark.realdata
def test_usps_digits_scenario_loads(shared_data):
    scenario = DigitsScenario(data_dir=shared_data, per_class=10)
    assert scenario.source_data.x_train.shape[1] == 256 == scenario.target_data.x_train.shape[1]
    assert len(scenario.target_data.y_train) == 100


def test_digits_pretrain_keeps_every_epoch(tmp_path):
    scenario = DigitsScenario.embedded(per_class=2, source_config=TrainConfig(max_epochs=5, batch_size=128))
    scenario.pretrain(seed=0, epochs=2, checkpoint_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == ["epoch_000.pt", "epoch_001.pt"]
    assert len(scenario.last_result.dev_scores) == 2


def test_ner_targets_early_stop_on_span_f1():
    from mitigate.models import span_f1

    ner = [Sentence(("Obama", "visits", "Paris"), ("B-PER", "O", "B-LOC"))]
    scenario = TaggingScenario(source=DatasetSplits("news", "pos", NEWS, NEWS, NEWS),
                               target=DatasetSplits("tw-ner", "ner", ner, ner, ner), preset="tiny")
    assert scenario.dev_metric is span_f1 and scenario.source_dev_metric is None
    scenario.train_config = TrainConfig(max_epochs=1)
    scenario.fit_scratch(seed=0)
    assert 0.0 <= scenario.last_result.dev_scores[0] <= 1.0
