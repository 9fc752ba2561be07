"""The selectors: ``oracle`` (fine-tune every state), ``proxy`` (score each state, no fine-tuning) and ``halving``
(rank by a proxy, keep the top few, successive halving with short fine-tunes judged on dev)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from mitigate.selection._result import CandidateScores, SelectionCost, SelectionResult
from mitigate.selection._states import PretrainingState
from mitigate.transferability import PROXIES, TargetFeatures, score_proxies

__all__ = ["FineTuneOutcome", "MODES", "dev_objective", "select_pretraining_state"]

MODES = ("oracle", "proxy", "halving", "fixed")


class FineTuneOutcome(NamedTuple):
    """What a fine-tune-and-evaluate function returns: per dev item, whether the transferred model is right, and
    the number of epochs it actually ran (early stopping may end before the budget)."""

    correct: np.ndarray
    epochs: int


#: ``fine_tune(state, epochs)``: fine-tune on the target from ``state`` for at most ``epochs`` epochs and return the
#: per-item correctness on target dev (a bool array, or a ``FineTuneOutcome``).
FineTune = Callable[[PretrainingState, int], "np.ndarray | FineTuneOutcome"]
#: ``probe(state)``: one forward pass of ``state`` over the target training set (see ``FeatureProbe``).
Probe = Callable[[PretrainingState], TargetFeatures]


def dev_objective(*, transfer_correct: np.ndarray, scratch_correct: np.ndarray, nt_weight: float) -> dict[str, float]:
    """PT, NT, gain = PT - NT against the scratch reference, and the objective gain - nt_weight * NT.

    >>> dev_objective(transfer_correct=np.array([1, 1, 0, 1], bool), scratch_correct=np.array([0, 1, 1, 1], bool),
    ...               nt_weight=1.0)
    {'pt': 0.25, 'nt': 0.25, 'gain': 0.0, 'objective': -0.25}
    """
    t = np.asarray(transfer_correct, dtype=bool)
    s = np.asarray(scratch_correct, dtype=bool)
    if t.shape != s.shape or t.ndim != 1:
        raise ValueError(
            f"Expected the fine-tune's correctness and `scratch_correct` to be 1-D of one length, "
            f"but got shapes {t.shape} and {s.shape}."
        )
    pt = float(np.mean(t & ~s)) if t.size else 0.0
    nt = float(np.mean(s & ~t)) if t.size else 0.0
    return {"pt": pt, "nt": nt, "gain": pt - nt, "objective": pt - nt - nt_weight * nt}


def _check_positive_int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"Expected argument `{name}` to be a positive int, but got {value!r}.")
    return value


def select_pretraining_state(
    *,
    states: Sequence[PretrainingState],
    mode: str,
    proxy: str = "logme",
    proxies: Sequence[str] | None = None,
    probe: Probe | None = None,
    fine_tune: FineTune | None = None,
    scratch_correct: np.ndarray | None = None,
    nt_weight: float = 1.0,
    max_epochs: int | None = None,
    keep: int = 4,
    min_epochs: int = 1,
    eta: int = 2,
    state: str | int | None = None,
    precomputed: Mapping[str, Mapping[str, float]] | None = None,
) -> SelectionResult:
    """Choose one of ``states`` to transfer.

    - ``oracle``: ``fine_tune(state, max_epochs)`` from every state, pick the best dev objective
      gain - ``nt_weight`` * NT against ``scratch_correct`` (costs K full fine-tunes);
    - ``proxy``: ``probe(state)`` once per state, score ``proxies`` (all that apply by default), pick the best
      ``proxy`` score (no fine-tuning); ``proxy="source_dev"`` picks by the recorded source dev score for free;
    - ``halving``: rank by ``proxy``, keep the top ``keep``, then successive halving: fine-tune the survivors for
      ``min_epochs``, keep the best 1/``eta`` by the dev objective, multiply the budget by ``eta`` (capped at
      ``max_epochs``) until one survivor is left;
    - ``fixed``: the state named (or at position) ``state``, no cost.

    ``precomputed`` (state name → proxy name → score) supplies proxy scores already computed (no probe needed;
    their forward passes are then not counted).

    Ties go to the earliest state. The result lists every candidate's scores and the compute spent.

    >>> import tempfile, torch
    >>> from mitigate.selection import PretrainingStateRecorder
    >>> rec = PretrainingStateRecorder(model=torch.nn.Linear(1, 1), directory=tempfile.mkdtemp())
    >>> states = [rec.record(epoch=e, dev_score=d) for e, d in [(0, 0.5), (1, 0.9), (2, 0.7)]]
    >>> select_pretraining_state(states=states, mode="proxy", proxy="source_dev").chosen
    'epoch_001'
    """
    start = time.perf_counter()
    states = list(states)
    if not states:
        raise ValueError("Expected argument `states` to hold at least one pretraining state, but got none.")
    if mode not in MODES:
        raise ValueError(f"Expected argument `mode` to be one of {list(MODES)}, but got {mode!r}.")
    names = [s.name for s in states]
    if len(set(names)) != len(names):
        raise ValueError(f"Expected argument `states` to have distinct names, but got {names}.")
    cands = [CandidateScores(name=s.name, epoch=s.epoch, step=s.step, source_dev=s.dev_score) for s in states]
    cost = SelectionCost()

    if mode == "fixed":
        if isinstance(state, int) and not isinstance(state, bool) and -len(states) <= state < len(states):
            chosen = names[state]
        elif isinstance(state, str) and state in names:
            chosen = state
        else:
            raise ValueError(f"Expected argument `state` to be one of {names} or a position in them, but got {state!r}.")
        return SelectionResult(mode=mode, chosen=chosen, criterion="fixed", candidates=cands, cost=cost)

    needs_tuning = mode in ("oracle", "halving")
    if needs_tuning:
        if fine_tune is None or scratch_correct is None:
            raise ValueError(
                f"Mode {mode!r} fine-tunes candidates: pass `fine_tune=` (state, epochs) -> dev correctness and "
                "`scratch_correct=` (the scratch model's per-item correctness on the same dev set)."
            )
        max_epochs = _check_positive_int(max_epochs, "max_epochs")
        _check_positive_int(min_epochs, "min_epochs")
        if min_epochs > max_epochs:
            raise ValueError(f"Expected argument `min_epochs` to be <= max_epochs={max_epochs}, but got {min_epochs}.")
        if not isinstance(eta, int) or eta < 2:
            raise ValueError(f"Expected argument `eta` to be an int >= 2, but got {eta!r}.")
        _check_positive_int(keep, "keep")
    if mode in ("proxy", "halving") and proxy != "source_dev":
        if proxy not in PROXIES:
            raise ValueError(f"Expected argument `proxy` to be one of {sorted(PROXIES) + ['source_dev']}, but got {proxy!r}.")
        if probe is None and precomputed is None:
            raise ValueError(
                f"Mode {mode!r} scores states with proxy {proxy!r}: pass `probe=` (e.g. FeatureProbe(model=..., "
                "batches=..., module=...)), or use proxy='source_dev'."
            )
    if mode in ("proxy", "halving") and proxy == "source_dev" and any(s.dev_score is None for s in states):
        raise ValueError("Expected every state to carry a source dev score for proxy='source_dev', but some have none.")

    def evaluate(i: int, epochs: int, rung: int | None) -> float:
        outcome = fine_tune(states[i], epochs)  # type: ignore[misc]
        correct, ran = (outcome.correct, outcome.epochs) if isinstance(outcome, FineTuneOutcome) else (outcome, epochs)
        scores = dev_objective(transfer_correct=correct, scratch_correct=scratch_correct,  # type: ignore[arg-type]
                               nt_weight=nt_weight)
        cost.fine_tune_runs += 1
        cost.fine_tune_epochs += int(ran)
        c = cands[i]
        c.fine_tune_epochs, c.rung = int(ran), rung
        c.dev_pt, c.dev_nt, c.dev_gain, c.objective = scores["pt"], scores["nt"], scores["gain"], scores["objective"]
        return scores["objective"]

    def best(indices: Sequence[int], key: Callable[[int], float]) -> list[int]:
        # Stable sort on -score: ties keep the earlier state first.
        return sorted(indices, key=lambda i: -key(i))

    if mode == "oracle":
        for i in range(len(states)):
            evaluate(i, max_epochs, None)  # type: ignore[arg-type]
        chosen = names[best(range(len(states)), lambda i: cands[i].objective)[0]]  # type: ignore[arg-type,return-value]
        criterion = f"gain - {nt_weight:g}*NT (dev)"
    else:
        if proxy == "source_dev":
            ranking_score = [float(s.dev_score) for s in states]  # type: ignore[arg-type]
            for c in cands:
                c.proxies["source_dev"] = float(c.source_dev)  # type: ignore[arg-type]
        else:
            wanted = list(proxies) if proxies is not None else [proxy]
            if proxy not in wanted:
                wanted.append(proxy)
            for i, s in enumerate(states):
                if precomputed is not None:
                    if s.name not in precomputed or proxy not in precomputed[s.name]:
                        raise ValueError(f"Expected argument `precomputed` to hold a {proxy!r} score for state {s.name!r}.")
                    cands[i].proxies.update({k: float(v) for k, v in precomputed[s.name].items()})
                    continue
                data = probe(s)  # type: ignore[misc]
                cost.forward_passes += 1
                cands[i].proxies.update(score_proxies(data, proxies=wanted))
            ranking_score = [cands[i].proxies[proxy] for i in range(len(states))]
        ranked = best(range(len(states)), lambda i: ranking_score[i] if math.isfinite(ranking_score[i]) else -math.inf)
        if mode == "proxy":
            chosen, criterion = names[ranked[0]], proxy
        else:
            survivors, rung = ranked[:keep], 0
            while True:
                budget = min(max_epochs, min_epochs * eta**rung)  # type: ignore[operator]
                for i in survivors:
                    evaluate(i, budget, rung)
                survivors = best(survivors, lambda i: cands[i].objective)[: max(1, math.ceil(len(survivors) / eta))]  # type: ignore[arg-type,return-value]
                if len(survivors) == 1 or budget >= max_epochs:  # type: ignore[operator]
                    break
                rung += 1
            chosen = names[survivors[0]]
            criterion = f"{proxy} top-{keep}, then halving on gain - {nt_weight:g}*NT (dev)"
    cost.seconds = time.perf_counter() - start
    return SelectionResult(mode=mode, chosen=chosen, criterion=criterion, candidates=cands, cost=cost)
