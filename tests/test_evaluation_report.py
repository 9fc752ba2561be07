"""Hand-computed examples for the transfer evaluator."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mitigate.evaluation import TransferEvaluator, TransferReport, transfer_counts, transfer_report
from mitigate.evaluation._spans import span_keys

GOLD = [0, 1, 2, 0, 1, 2, 0, 1]
SCRATCH = [0, 1, 2, 1, 1, 0, 0, 2]  # right at 0, 1, 2, 4, 6
TRANSFER = [0, 2, 2, 0, 1, 2, 1, 1]  # right at 0, 2, 3, 4, 5, 7


def test_flat_counts_by_hand() -> None:
    report = transfer_report(gold=GOLD, scratch=SCRATCH, transfer=TRANSFER, n_bootstrap=0)
    assert (report.n, report.pt_count, report.nt_count, report.gain_count) == (8, 3, 2, 1)
    assert (report.pt, report.nt) == (3 / 8, 2 / 8)
    assert report.scratch_accuracy == 5 / 8 and report.transfer_accuracy == 6 / 8
    assert report.gain == pytest.approx(1 / 8) and report.ntg == pytest.approx(-1 / 8)
    assert report.mcnemar_p == pytest.approx(1.0)
    assert report.pt_ci is None and report.bootstrap_unit == "none"
    per_class = {c.label: (c.support, c.pt_count, c.nt_count) for c in report.per_class}
    assert per_class == {0: (3, 1, 1), 1: (3, 1, 1), 2: (2, 1, 0)}
    assert {(c.gold, c.predicted, c.count) for c in report.top_confusions} == {(1, 2, 1), (0, 1, 1)}
    assert report.churn_floor is None and report.seed_noise is None
    assert any("need >= 2 scratch seeds" in note for note in report.notes)


def test_transfer_counts_matches_report() -> None:
    counts = transfer_counts(gold=GOLD, scratch=SCRATCH, transfer=TRANSFER)
    assert (counts.pt_count, counts.nt_count, counts.gain_count) == (3, 2, 1)
    assert counts.mcnemar_p == pytest.approx(1.0)
    assert json.loads(counts.to_json())["nt_count"] == 2


def test_mcnemar_exact_one_sided_discordance() -> None:
    gold = [1] * 10
    report = transfer_report(gold=gold, scratch=[0] * 10, transfer=gold, n_bootstrap=0)
    assert report.mcnemar_p == pytest.approx(2 * 0.5**10)


def test_string_labels_and_ignore_label() -> None:
    report = transfer_report(
        gold=["a", "b", "<pad>", "b"], scratch=["a", "a", "x", "b"], transfer=["a", "b", "y", "a"],
        ignore_label="<pad>", n_bootstrap=0,
    )
    assert report.n == 3 and (report.pt_count, report.nt_count) == (1, 1)
    assert {(c.gold, c.predicted) for c in report.top_confusions} == {("b", "a")}


def test_mask_drops_items() -> None:
    report = transfer_report(gold=GOLD, scratch=SCRATCH, transfer=TRANSFER, mask=[True] * 4 + [False] * 4, n_bootstrap=0)
    assert report.n == 4 and (report.pt_count, report.nt_count) == (1, 1)


BIO_GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "I-ORG"]]
BIO_SCRATCH = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG", "I-ORG"]]
BIO_TRANSFER = [["B-PER", "O", "O", "B-LOC"], ["O", "B-ORG", "I-ORG"]]


def test_bio_spans_by_hand() -> None:
    report = transfer_report(gold=BIO_GOLD, scratch=BIO_SCRATCH, transfer=BIO_TRANSFER, n_bootstrap=0)
    spans = report.spans
    assert spans is not None and spans.n_gold_spans == 3
    assert spans.scratch_f1 == pytest.approx(0.8)  # 2 of 2 predicted spans right, 2 of 3 gold found
    assert spans.transfer_f1 == pytest.approx(2 * 2 / (3 + 3))  # PER cut short: 2 right of 3 predicted
    assert (spans.pt_count, spans.nt_count) == (1, 1)  # LOC found only by transfer, PER only by scratch
    assert spans.pt == pytest.approx(1 / 3)
    assert (report.pt_count, report.nt_count, report.n_sentences) == (1, 1, 2)


def test_iob1_and_iob2_give_the_same_spans() -> None:
    names = ["O", "B-PER", "I-PER", "I-LOC"]
    lengths = np.array([4])
    iob1 = span_keys(np.array([2, 2, 0, 3]), lengths, names)
    iob2 = span_keys(np.array([1, 2, 0, 3]), lengths, names)
    assert iob1.size == 2 and np.array_equal(iob1, iob2)


def test_spans_do_not_cross_sentences() -> None:
    keys = span_keys(np.array([1, 2, 2]), np.array([2, 1]), ["O", "B-PER", "I-PER"])
    assert keys.size == 2  # I-PER opening sentence 1 starts a new span


def test_seed_noise_by_hand() -> None:
    gold = [0, 0, 0, 0]
    report = transfer_report(
        gold=gold, scratch_seeds=[[0, 0, 1, 0], [0, 1, 0, 0]], transfer=[1, 0, 0, 0], n_bootstrap=0
    )
    noise = report.seed_noise
    assert noise is not None
    assert noise.consensus_nt == 0.25 and noise.consensus_pt == 0.0
    assert noise.matched_nt == 0.25 and noise.matched_churn_nt == 0.25 and noise.excess_nt == 0.0
    assert noise.matched_pt == 0.25 and noise.matched_churn_pt == 0.25 and noise.excess_pt == 0.0
    assert noise.reliably_falsified_count == 1 and noise.reliably_corrected_count == 0
    assert report.churn_floor == 0.25
    assert "no test without bootstrap" in noise.verdict and "excess NT +0.00%" in noise.verdict


def test_seed_noise_detects_real_negative_transfer() -> None:
    rng = np.random.default_rng(3)
    gold = rng.integers(0, 5, size=(300, 10))
    hard = rng.random(gold.shape) < 0.2

    def model(extra: np.ndarray | None = None) -> np.ndarray:
        wrong = rng.random(gold.shape) < np.where(hard, 0.5, 0.02)
        if extra is not None:
            wrong |= extra
        return np.where(wrong, (gold + 1) % 5, gold)

    broken = (rng.random(gold.shape) < 0.05) & ~hard  # transfer falsifies these easy items in every seed
    report = transfer_report(
        gold=gold, scratch_seeds=[model() for _ in range(3)], transfer_seeds=[model(broken) for _ in range(3)],
        n_bootstrap=300, seed=1,
    )
    noise = report.seed_noise
    assert noise is not None and noise.excess_nt > 0.02
    assert noise.excess_nt_ci is not None and noise.excess_nt_ci.low > 0
    assert noise.excess_nt_p is not None and noise.excess_nt_p < 0.01
    assert noise.verdict.startswith("NT exceeds seed noise")
    assert report.bootstrap_unit == "sentence" and report.n_sentences == 300


def test_slices_tokens_and_reliably_falsified() -> None:
    tokens = [["Apple", "wont", "#nlp", "@bob", "http://t.co/x", "NASA", "2day", "the"]]
    gold = [["N", "V", "H", "M", "U", "N", "A", "D"]]
    scratch = [["N", "V", "H", "M", "U", "N", "A", "D"]]
    transfer = [["X", "V", "X", "M", "U", "N", "X", "D"]]
    report = transfer_report(
        gold=gold, scratch_seeds=[scratch, scratch], transfer_seeds=[transfer, transfer], tokens=tokens,
        source_vocab={"the", "apple"}, slices={"short": lambda token: len(token) <= 4}, n_bootstrap=0,
    )
    slices = {s.name: s for s in report.slices}
    assert slices["capitalised"].n == 2 and slices["capitalised"].nt == 0.5  # Apple falsified, NASA kept
    assert slices["contraction"].n == 1
    assert slices["hashtag_mention_url"].n == 3 and slices["hashtag_mention_url"].reliably_falsified == 1
    assert slices["all_caps"].n == 1 and slices["digits"].n == 1
    assert slices["oov"].n == 6  # Apple is in the vocabulary through its lower case
    assert slices["short"].n == 6
    noise = report.seed_noise
    assert noise is not None and noise.reliably_falsified_count == 3
    assert {t.token for t in noise.top_reliably_falsified} == {"Apple", "#nlp", "2day"}
    assert noise.reliably_falsified_by_slice["capitalised"] == 1
    assert report.churn_floor == 0.0
    examples = {c.gold: c.examples for c in report.top_confusions}
    assert examples["N"] == ("Apple",)


def test_several_seeds_pairing() -> None:
    scratch_seeds = [SCRATCH, TRANSFER]
    paired = transfer_report(gold=GOLD, scratch_seeds=scratch_seeds, transfer_seeds=[TRANSFER, SCRATCH], n_bootstrap=0)
    assert paired.pairing == "paired" and len(paired.pairs) == 2
    assert paired.pt_std is not None and paired.gain == pytest.approx(0.0)
    crossed = transfer_report(gold=GOLD, scratch_seeds=scratch_seeds, transfer=TRANSFER, n_bootstrap=0)
    assert crossed.pairing == "all" and [(p.scratch_seed, p.transfer_seed) for p in crossed.pairs] == [(0, 0), (1, 0)]


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 400)
    scratch = np.where(rng.random(400) < 0.8, gold, (gold + 1) % 3)
    transfer = np.where(rng.random(400) < 0.85, gold, (gold + 1) % 3)
    first = transfer_report(gold=gold, scratch=scratch, transfer=transfer, n_bootstrap=200, seed=5)
    second = transfer_report(gold=gold, scratch=scratch, transfer=transfer, n_bootstrap=200, seed=5)
    assert first.to_dict() == second.to_dict()
    assert first.nt_ci is not None and first.nt_ci.low <= first.nt <= first.nt_ci.high
    assert first.gain_ci is not None and first.gain_ci.low < first.gain_ci.high


def test_serialisation_roundtrip_and_markdown() -> None:
    report = transfer_report(gold=BIO_GOLD, scratch_seeds=[BIO_SCRATCH, BIO_GOLD], transfer=BIO_TRANSFER, n_bootstrap=20)
    assert isinstance(report, TransferReport)
    data = json.loads(report.to_json())
    assert data["spans"]["n_gold_spans"] == 3 and data["seed_noise"]["n_scratch_seeds"] == 2
    assert data["pairs"][0]["scratch_seed"] == 0
    markdown = report.to_markdown()
    assert "| PT (corrected) |" in markdown and "seed noise" in markdown and "### Spans" in markdown


def test_streaming_reset() -> None:
    evaluator = TransferEvaluator(n_bootstrap=0)
    evaluator.update(gold=GOLD, scratch=SCRATCH, transfer=TRANSFER)
    evaluator.reset()
    evaluator.update(gold=[1], scratch=[1], transfer=[0])
    assert evaluator.compute().nt_count == 1


def test_evaluation_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = "import sys, mitigate.evaluation; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.realdata
def test_reader_and_report_on_real_conll(shared_data: object) -> None:
    from mitigate.evaluation import read_label_file

    path = shared_data / "conll2000" / "conll2000" / "test.txt"  # type: ignore[operator]
    chunks = read_label_file(path, format="conll", label_col=2)
    assert len(chunks.labels) == 2012 and sum(map(len, chunks.labels)) == 47377
    # Scratch = gold, transfer = gold with every B- tag turned into I- (IOB1-style): tokens change, spans do not.
    relabelled = [[tag.replace("B-", "I-") for tag in sentence] for sentence in chunks.labels]
    report = transfer_report(gold=chunks.labels, scratch=chunks.labels, transfer=relabelled, tokens=chunks.tokens,
                             n_bootstrap=0)
    assert report.spans is not None and report.spans.nt_count > 0  # adjacent same-type chunks merge
    assert report.spans.scratch_f1 == 1.0 and report.nt > 0.2 and report.pt == 0.0


def test_negative_and_large_integer_labels() -> None:
    report = transfer_report(gold=[-1, 5, -1, 70000], scratch=[-1, 5, 0, 70000], transfer=[-1, 4, -1, 70000],
                             n_bootstrap=0)
    per_class = {c.label: (c.support, c.pt_count, c.nt_count) for c in report.per_class}
    assert per_class == {-1: (2, 1, 0), 5: (1, 0, 1), 70000: (1, 0, 0)}
    assert [(c.gold, c.predicted) for c in report.top_confusions] == [(5, 4)]


def test_sentences_as_arrays_equal_sentences_as_lists() -> None:
    as_lists = transfer_report(gold=BIO_GOLD, scratch=BIO_SCRATCH, transfer=BIO_TRANSFER, tokens=BIO_GOLD, seed=3,
                               n_bootstrap=50)
    as_arrays = transfer_report(
        gold=[np.array(s) for s in BIO_GOLD], scratch=[np.array(s) for s in BIO_SCRATCH],
        transfer=[np.array(s) for s in BIO_TRANSFER], tokens=[np.array(s) for s in BIO_GOLD], seed=3, n_bootstrap=50,
    )
    assert as_arrays.to_dict() == as_lists.to_dict()


def test_empty_sentences_are_kept_as_units() -> None:
    report = transfer_report(gold=[[1, 2], [], [3]], scratch=[[1, 2], [], [0]], transfer=[[1, 0], [], [3]],
                             n_bootstrap=100)
    assert report.n == 3 and report.n_sentences == 3 and (report.pt_count, report.nt_count) == (1, 1)
    assert report.nt_ci is not None and 0.0 <= report.nt_ci.low <= report.nt_ci.high <= 1.0
