"""Pretraining-state recorder, state loading and the selectors (oracle / proxy / halving / fixed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from mitigate.selection import (
    FeatureProbe,
    FineTuneOutcome,
    PretrainingStateRecorder,
    SelectionResult,
    dev_objective,
    load_pretraining_states,
    load_source_state,
    select_pretraining_state,
)
from mitigate.testing import TinyTagger, run_transfer, tiny_tagger_batches


def _record_tagger_states(folder: Path, n: int = 4) -> list:
    model = TinyTagger()
    recorder = PretrainingStateRecorder(model=model, directory=folder)
    for epoch in range(n):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.01 * (epoch + 1))
        recorder(epoch, [0.5, 0.55, 0.52, 0.35][epoch])
    return recorder.states


# ---- recorder ------------------------------------------------------------------------------------------------


def test_recorder_keeps_chosen_epochs_with_dev_scores_and_resumes(tmp_path: Path) -> None:
    model = nn.Linear(2, 1)
    recorder = PretrainingStateRecorder(model=model, directory=tmp_path, epochs=[0, 2])
    for epoch in range(3):
        nn.init.constant_(model.weight, float(epoch))
        recorder(epoch, dev_score=epoch / 10)
    index = json.loads((tmp_path / "states.json").read_text())
    assert [s["name"] for s in index["states"]] == ["epoch_000", "epoch_002"]
    states = load_pretraining_states(tmp_path)
    assert [s.dev_score for s in states] == [0.0, 0.2]
    assert float(states[1].load()["weight"][0, 0]) == 2.0
    # a second run in the same folder resumes the index; re-recording a name overwrites it
    again = PretrainingStateRecorder(model=model, directory=tmp_path)
    again.record(epoch=2, dev_score=0.9)
    again.record(epoch=3, dev_score=0.95)
    assert [(s.name, s.dev_score) for s in load_pretraining_states(tmp_path)] == [
        ("epoch_000", 0.0), ("epoch_002", 0.9), ("epoch_003", 0.95)]


def test_recorder_refuses_another_architecture_naming_keys(tmp_path: Path) -> None:
    PretrainingStateRecorder(model=nn.Linear(2, 1), directory=tmp_path).record(epoch=0)
    other = PretrainingStateRecorder(model=nn.Linear(3, 1), directory=tmp_path)
    with pytest.raises(ValueError, match=r"shape mismatch: weight: expected \(1, 2\) but got \(1, 3\)\. Use another directory"):
        other.record(epoch=1)


def test_recorder_as_a_session_strategy_records_epochs_and_steps(tmp_path: Path) -> None:
    model = TinyTagger()
    recorder = PretrainingStateRecorder(directory=tmp_path, every_n_steps=2)
    run_transfer(model, [recorder], tiny_tagger_batches(n=3), epochs=2)
    names = [s.name for s in recorder.states]
    # 3 steps per epoch: steps 2, 4, 6 are recorded as they happen, epochs at their ends
    assert names == ["step_0000002", "epoch_000", "step_0000004", "step_0000006", "epoch_001"]
    assert [s.epoch for s in recorder.states] == [0, 0, 1, 1, 1]
    last = load_pretraining_states(tmp_path)[-1].load()
    assert all(torch.equal(last[k], v) for k, v in model.state_dict().items())


def test_recorder_and_loader_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="No pretraining states found in .*: record some with PretrainingStateRecorder"):
        load_pretraining_states(tmp_path / "empty")
    with pytest.raises(ValueError, match=r"Expected argument `every_n_steps` to be a positive int or None, but got 0\."):
        PretrainingStateRecorder(directory=tmp_path, every_n_steps=0)
    with pytest.raises(ValueError, match="Expected a model to record"):
        PretrainingStateRecorder(directory=tmp_path).record(epoch=0)
    # states of two architectures in one folder (written by hand): the loader names the mismatched keys
    torch.save(nn.Linear(2, 1).state_dict(), tmp_path / "epoch_000.pt")
    torch.save(nn.Linear(2, 2).state_dict(), tmp_path / "epoch_001.pt")
    with pytest.raises(ValueError, match=r"different architectures: 'epoch_001' differs from 'epoch_000' \(shape mismatch: bias"):
        load_pretraining_states(tmp_path)


def test_reads_the_reference_loop_checkpoint_folder(tmp_path: Path) -> None:
    from mitigate.models import save_checkpoint

    for epoch in range(2):
        save_checkpoint(nn.Linear(2, 1), tmp_path / f"epoch_{epoch:03d}.pt", metadata={"epoch": epoch, "dev_score": 0.1 * epoch})
    states = load_pretraining_states(tmp_path)
    assert [(s.name, s.epoch, s.dev_score) for s in states] == [("epoch_000", 0, 0.0), ("epoch_001", 1, 0.1)]


# ---- loading -------------------------------------------------------------------------------------------------


def test_load_source_state_grows_rows_skips_excluded_and_names_mismatches() -> None:
    target = nn.Sequential(nn.Embedding(6, 2), nn.Linear(2, 5))
    source = nn.Sequential(nn.Embedding(4, 2), nn.Linear(2, 3))
    tail = target[0].weight[4:].detach().clone()
    assert load_source_state(target, source.state_dict(), exclude=["1.*"]) == ["0.weight"]
    assert torch.equal(target[0].weight[:4], source[0].weight) and torch.equal(target[0].weight[4:], tail)
    with pytest.raises(ValueError, match=r"shape mismatch: 0\.weight: state \(4, 2\) vs model \(6, 2\); 1\.bias: state \(3,\) vs model \(5,\); 1\.weight"):
        load_source_state(target, source.state_dict(), extend_rows=False)
    with pytest.raises(ValueError, match=r"shape mismatch: 1\.bias: state \(5,\) vs model \(3,\)"):
        load_source_state(source, target.state_dict(), exclude=["0.*"])
    with pytest.raises(ValueError, match=r"keys missing from the state: 1\.bias, 1\.weight"):
        load_source_state(target, {"0.weight": torch.zeros(4, 2)})


# ---- selectors -----------------------------------------------------------------------------------------------

SCRATCH = np.array([True] * 50 + [False] * 50)
# Per state (by epoch): the transferred model's correctness on 100 dev items after a full fine-tune.
QUALITY = {0: (10, 5), 1: (20, 3), 2: (25, 12), 3: (15, 1)}  # (corrected, falsified)


def _fake_fine_tune(calls: list):
    def fine_tune(state, epochs):
        calls.append((state.name, epochs))
        corrected, falsified = QUALITY[state.epoch]
        # a short fine-tune realises a fraction of the full effect (same ranking, monotone in epochs)
        corrected, falsified = corrected * min(epochs, 8) // 8, falsified * min(epochs, 8) // 8
        correct = SCRATCH.copy()
        correct[:falsified] = False
        correct[50 : 50 + corrected] = True
        return FineTuneOutcome(correct=correct, epochs=epochs)

    return fine_tune


def test_dev_objective_matches_counts() -> None:
    t = np.array([1, 0, 1, 0, 1], bool)
    s = np.array([1, 1, 0, 0, 1], bool)
    out = dev_objective(transfer_correct=t, scratch_correct=s, nt_weight=2.0)
    assert out == {"pt": 0.2, "nt": 0.2, "gain": 0.0, "objective": -0.4}
    assert out["gain"] == pytest.approx(t.mean() - s.mean())


def test_oracle_fine_tunes_every_state_and_picks_best_objective(tmp_path: Path) -> None:
    states = _record_tagger_states(tmp_path)
    calls: list = []
    result = select_pretraining_state(states=states, mode="oracle", fine_tune=_fake_fine_tune(calls),
                                      scratch_correct=SCRATCH, nt_weight=1.0, max_epochs=8)
    # objective = (corrected - falsified) - falsified: 0, 14, 1, 13 per 100 → epoch 1
    assert result.chosen == "epoch_001"
    assert [c.objective for c in result.candidates] == pytest.approx([0.0, 0.14, 0.01, 0.13])
    assert calls == [(s.name, 8) for s in states]
    assert (result.cost.fine_tune_runs, result.cost.fine_tune_epochs, result.cost.forward_passes) == (4, 32, 0)
    # with a higher NT weight, the low-NT state wins
    heavy = select_pretraining_state(states=states, mode="oracle", fine_tune=_fake_fine_tune([]),
                                     scratch_correct=SCRATCH, nt_weight=5.0, max_epochs=8)
    assert heavy.chosen == "epoch_003"


def test_halving_costs_less_than_the_oracle(tmp_path: Path) -> None:
    states = _record_tagger_states(tmp_path)
    calls: list = []
    result = select_pretraining_state(states=states, mode="halving", proxy="source_dev", keep=4, min_epochs=2,
                                      max_epochs=8, fine_tune=_fake_fine_tune(calls), scratch_correct=SCRATCH)
    # rung 0: 4 states × 2 epochs; rung 1: the best 2 × 4 epochs; then one survivor
    assert [e for _, e in calls] == [2, 2, 2, 2, 4, 4]
    assert result.cost.fine_tune_epochs == 16 and result.chosen == "epoch_001"
    assert {c.name: c.rung for c in result.candidates if c.rung == 1} == {"epoch_001": 1, "epoch_003": 1}
    # keep=2 by source dev score: epochs 1 and 2 score 0.55 and 0.52, the others less
    short = select_pretraining_state(states=states, mode="halving", proxy="source_dev", keep=2, min_epochs=2,
                                     max_epochs=8, fine_tune=_fake_fine_tune([]), scratch_correct=SCRATCH)
    assert {c.name for c in short.candidates if c.fine_tune_epochs} == {"epoch_001", "epoch_002"}


def test_proxy_mode_scores_each_state_once_with_a_probe(tmp_path: Path) -> None:
    states = _record_tagger_states(tmp_path)
    batches = tiny_tagger_batches(n=4, seed=1)
    probe = FeatureProbe(model=TinyTagger(), batches=batches, module="fe_out", head="classifier")
    seen: list = []

    def counting(state):
        seen.append(state.name)
        return probe(state)

    result = select_pretraining_state(states=states, mode="proxy", proxy="leep", proxies=["logme", "nce"], probe=counting)
    assert seen == [s.name for s in states] and result.cost.forward_passes == 4 and result.cost.fine_tune_epochs == 0
    best = max(result.candidates, key=lambda c: c.proxies["leep"])
    assert result.chosen == best.name
    assert all(set(c.proxies) == {"logme", "nce", "leep"} for c in result.candidates)
    text = result.to_markdown()
    assert f"**{result.chosen}**" in text and "| state | epoch | source dev | leep | logme | nce |" in text
    assert SelectionResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_fixed_mode_and_selector_errors(tmp_path: Path) -> None:
    states = _record_tagger_states(tmp_path, n=2)
    assert select_pretraining_state(states=states, mode="fixed", state=-1).chosen == "epoch_001"
    with pytest.raises(ValueError, match=r"`state` to be one of \['epoch_000', 'epoch_001'\] or a position in them, but got 'x'\."):
        select_pretraining_state(states=states, mode="fixed", state="x")
    with pytest.raises(ValueError, match=r"`mode` to be one of \['oracle', 'proxy', 'halving', 'fixed'\], but got 'best'\."):
        select_pretraining_state(states=states, mode="best")
    with pytest.raises(ValueError, match="pass `fine_tune=`"):
        select_pretraining_state(states=states, mode="oracle", max_epochs=2)
    with pytest.raises(ValueError, match="pass `probe=`"):
        select_pretraining_state(states=states, mode="proxy", proxy="logme")
    with pytest.raises(ValueError, match=r"`max_epochs` to be a positive int, but got None\."):
        select_pretraining_state(states=states, mode="oracle", fine_tune=_fake_fine_tune([]), scratch_correct=SCRATCH)
    with pytest.raises(ValueError, match="at least one pretraining state, but got none"):
        select_pretraining_state(states=[], mode="proxy")
